//! Safe writes: compare first, then write atomically, and only what changed.
//!
//! A build computes every output in memory and turns it into a list of
//! [`Change`]s before touching the disk, so an error in any file leaves the whole
//! tree as it was.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::diag::codes::Code;
use crate::diag::error::Error;

/// One change to the repository, with paths relative to its root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Create or replace a file.
    Write { path: PathBuf, contents: String },
    /// Delete a generated file that the plan no longer produces.
    Remove { path: PathBuf },
}

impl Change {
    /// The path the change touches.
    pub fn path(&self) -> &Path {
        match self {
            Change::Write { path, .. } | Change::Remove { path } => path,
        }
    }
}

/// A file the write step will not touch (a symlink, a directory, a file that
/// changed under the build): found before anything is written.
fn refused(path: &Path, reason: &str) -> Error {
    let message = format!("cannot update {}: {reason}", path.display());
    Error::file(Code::WriteRefused, path, 1, 1, message)
}

/// Turns wanted files into the changes needed, reading what is on disk.
/// A file whose content is already right yields no change. A file that must
/// change but cannot be written safely — a symlink, a symlinked directory on the
/// way, a directory, a read-only file — is refused: the build must not write
/// through a link or guess.
pub fn changes(
    root: &Path,
    wanted: &[(PathBuf, String)],
    remove: &[PathBuf],
) -> Result<Vec<Change>, Vec<Error>> {
    let mut out = Vec::new();
    let mut refusals = Vec::new();
    for (path, contents) in wanted {
        let committed = crate::read::committed(&root.join(path), contents);
        if matches!(committed, crate::read::Committed::Same) {
            continue;
        }
        match writable(root, path) {
            Ok(()) => out.push(Change::Write {
                path: path.clone(),
                contents: contents.clone(),
            }),
            Err(reason) => refusals.push(refused(path, &reason)),
        }
    }
    for path in remove {
        match writable(root, path) {
            Ok(()) => out.push(Change::Remove { path: path.clone() }),
            Err(reason) => refusals.push(refused(path, &reason)),
        }
    }
    if refusals.is_empty() {
        Ok(out)
    } else {
        Err(refusals)
    }
}

/// Whether `root/rel` may be created or replaced.
fn writable(root: &Path, rel: &Path) -> Result<(), String> {
    // A symlinked directory on the way would let a write land outside the repo.
    let mut dir = root.to_path_buf();
    // The deepest directory that exists: where the write creates its entry.
    let mut existing = fs::metadata(root).ok().map(|m| (root.to_path_buf(), m));
    if let Some(parent) = rel.parent() {
        for part in parent.components() {
            dir.push(part);
            let shown = || dir.strip_prefix(root).unwrap_or(&dir).display().to_string();
            match fs::symlink_metadata(&dir) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(format!(
                        "its directory {} is a symbolic link; refusing to write through it",
                        shown()
                    ));
                }
                Ok(m) if !m.is_dir() => return Err(format!("{} is not a directory", shown())),
                Ok(m) => existing = Some((dir.clone(), m)),
                _ => {}
            }
        }
    }
    // Checked by its mode, as for a file below: root may write anywhere, and the
    // build must fail before its first write, not halfway.
    if let Some((dir, meta)) = existing
        && meta.permissions().readonly()
    {
        let shown = dir.strip_prefix(root).unwrap_or(&dir).display().to_string();
        let shown = if shown.is_empty() {
            ".".to_owned()
        } else {
            shown
        };
        return Err(format!("its directory {shown} is read-only"));
    }
    match fs::symlink_metadata(root.join(rel)) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.to_string()),
        Ok(m) if m.file_type().is_symlink() => {
            Err("is a symbolic link; refusing to write through it".to_owned())
        }
        Ok(m) if m.is_dir() => Err("is a directory, expected a file".to_owned()),
        Ok(m) if m.permissions().readonly() => Err("is read-only".to_owned()),
        Ok(_) => Ok(()),
    }
}

/// The file-system operations a build performs. The seam exists so tests can
/// make any step fail and prove the tree survives; [`Disk`] is the real one.
pub trait Fs {
    /// Creates (or truncates) `path`, writes `bytes` and flushes them to disk.
    fn write_new(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Renames `from` over `to`, atomically on POSIX file systems.
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()>;
    /// Deletes a file.
    fn remove_file(&mut self, path: &Path) -> io::Result<()>;
    /// Gives `to` the permissions of `from`, if `from` exists.
    fn keep_permissions(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        match fs::metadata(from) {
            Ok(meta) => fs::set_permissions(to, plain(meta.permissions())),
            Err(_) => Ok(()),
        }
    }
}

/// Permissions without set-user-ID, set-group-ID and sticky bits: a file the
/// build rewrites is data, whatever it was.
fn plain(permissions: fs::Permissions) -> fs::Permissions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::Permissions::from_mode(permissions.mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        permissions
    }
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct Disk;

impl Fs for Disk {
    fn write_new(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut file = fs::File::create(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&mut self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }
}

/// Applies changes under `root` on the real file system; see [`apply_with`].
pub fn apply(root: &Path, changes: &[Change]) -> Result<(), (PathBuf, io::Error)> {
    apply_with(&mut Disk, root, changes)
}

/// Applies changes under `root`. Stops at the first failure, returning the file
/// (relative to `root`) it failed on; every file is replaced atomically, so each
/// file is either its old or its new self, and a second run after a failure
/// converges.
pub fn apply_with(
    fs: &mut dyn Fs,
    root: &Path,
    changes: &[Change],
) -> Result<(), (PathBuf, io::Error)> {
    for change in changes {
        let path = root.join(change.path());
        let failed = |e: io::Error| (change.path().to_path_buf(), e);
        match change {
            Change::Write { contents, .. } => {
                write_atomic_with(fs, &path, contents.as_bytes()).map_err(failed)?;
            }
            Change::Remove { .. } => {
                match fs.remove_file(&path) {
                    // Another build of the same tree removed it first: the same end.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    other => other.map_err(failed)?,
                }
                // Drop the directory too once it holds nothing else. Best effort:
                // another build may be writing into it (or have removed it).
                if let Some(dir) = path.parent()
                    && std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none())
                {
                    let _ = std::fs::remove_dir(dir);
                }
            }
        }
    }
    Ok(())
}

/// Writes `contents` to a temporary file beside `path`, flushes it, and renames
/// it over `path`: readers see the old file or the new one, never half of one.
/// On failure the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_atomic_with(&mut Disk, path, contents)
}

/// [`write_atomic`] through the given file system.
pub(crate) fn write_atomic_with(fs: &mut dyn Fs, path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_path(path);
    let mut tries = 0;
    let result = loop {
        std::fs::create_dir_all(dir)?;
        match fs.write_new(&tmp, contents) {
            // Another build of the same tree removed the directory, emptied by its
            // deletion of a stale file, between our mkdir and our write: again.
            Err(e) if e.kind() == io::ErrorKind::NotFound && tries < 3 => tries += 1,
            written => break written,
        }
    };
    let result = result
        .and_then(|()| fs.keep_permissions(path, &tmp))
        .and_then(|()| fs.rename(&tmp, path));
    if result.is_err() {
        // Best effort: the error that matters is the one being returned.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The temporary file beside `path`: hidden, named so a leftover is
/// recognizable (`.NAME.lbipam-PID-N.tmp`, see [`is_temp`]), and unique to this
/// write, so builds of one tree at once (an editor's and a terminal's) never
/// share one.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.lbipam-{}-{n}.tmp", std::process::id()))
}

/// Whether a file name is one of [`temp_path`]'s: another build's write in
/// flight, never a stale generated file, though it carries our header.
pub(crate) fn is_temp(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') && name.ends_with(".tmp") && name.contains(".lbipam-")
}
