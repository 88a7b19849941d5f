//! Reading a file of the repository: regular files only, opened without blocking.
//!
//! A FIFO where a manifest should be would block a plain `open` forever (and the
//! build with it, and `cargo build` with that); a device (`/dev/zero` behind a
//! symlink) would be read without end. So every read opens with `O_NONBLOCK`
//! and checks what it opened before reading a byte.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

/// The bytes of the regular file at `path` (symlinks followed). Anything else
/// — a FIFO, a device, a socket, a directory — is an error saying what it is.
pub fn bytes(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = regular(path)?;
    let len = file.metadata().map_or(0, |m| m.len());
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.read_to_end(&mut out)?;
    Ok(out)
}

/// What is committed at a path, against what the build renders there: the one
/// comparison of check mode (a stale file) and of the write step (a file to
/// write).
#[derive(Debug)]
pub(crate) enum Committed {
    /// The file holds exactly the rendered bytes.
    Same,
    /// The file holds other bytes: these.
    Differs(Vec<u8>),
    /// No file is there.
    Missing,
    /// Something is there that cannot be read.
    Unreadable(io::Error),
}

/// [`Committed`] at `path`, for the `rendered` text.
pub(crate) fn committed(path: &Path, rendered: &str) -> Committed {
    match bytes(path) {
        Ok(found) if found == rendered.as_bytes() => Committed::Same,
        Ok(found) => Committed::Differs(found),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Committed::Missing,
        Err(e) => Committed::Unreadable(e),
    }
}

/// The regular file at `path`, open for reading.
fn regular(path: &Path) -> io::Result<File> {
    let file = open(path).map_err(|e| match fs::metadata(path) {
        // A socket cannot be opened at all (ENXIO): say what it is instead.
        Ok(meta) if !meta.is_file() => io::Error::other(format!(
            "it is {}, not a regular file",
            kind(&meta.file_type())
        )),
        _ => e,
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "it is {}, not a regular file",
            kind(&meta.file_type())
        )));
    }
    Ok(file)
}

/// At most the first `limit` bytes of the regular file at `path` (see [`bytes`]).
pub(crate) fn head(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = regular(path)?;
    let mut out = Vec::new();
    file.take(limit).read_to_end(&mut out)?;
    Ok(out)
}

/// The text of the regular file at `path`; not UTF-8 is an
/// [`io::ErrorKind::InvalidData`] error, as [`fs::read_to_string`] gives.
pub fn text(path: &Path) -> io::Result<String> {
    String::from_utf8(bytes(path)?).map_err(|e| {
        let bytes = e.as_bytes();
        let why = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            "it is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8"
                .to_owned()
        } else {
            let at = e.utf8_error().valid_up_to();
            format!("it is not valid UTF-8 (at byte {at}); save it as UTF-8")
        };
        io::Error::new(io::ErrorKind::InvalidData, why)
    })
}

#[cfg(unix)]
fn open(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // Opening a FIFO for reading blocks until a writer comes; O_NONBLOCK makes the
    // open return at once, and it changes nothing for a regular file.
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// What a non-regular file is, in words: `a FIFO (named pipe)`.
pub fn kind(t: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a file"
    }
}
