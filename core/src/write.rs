//! Safe writes: compare first, then write atomically, and only what changed.
//!
//! A build computes every output in memory and turns it into a list of
//! [`Change`]s before touching the disk, so an error in any file leaves the whole
//! tree as it was.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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

/// Why a change cannot be made; found before anything is written.
#[derive(Debug)]
pub struct Refusal {
    /// The file, relative to the repo root.
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

/// Turns wanted files into the changes needed, reading what is on disk.
/// A file whose content is already right yields no change. A path that is a
/// symlink or a directory, or a file that cannot be read, is refused: the build
/// must not write through a link or guess.
pub fn changes(
    root: &Path,
    wanted: &[(PathBuf, String)],
    remove: &[PathBuf],
) -> Result<Vec<Change>, Vec<Refusal>> {
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for (path, contents) in wanted {
        match current(&root.join(path)) {
            Ok(Some(old)) if old == *contents => {}
            Ok(_) => out.push(Change::Write {
                path: path.clone(),
                contents: contents.clone(),
            }),
            Err(reason) => refused.push(Refusal {
                path: path.clone(),
                reason,
            }),
        }
    }
    for path in remove {
        out.push(Change::Remove { path: path.clone() });
    }
    if refused.is_empty() {
        Ok(out)
    } else {
        Err(refused)
    }
}

/// The text of a file we may replace: `None` if absent.
fn current(path: &Path) -> Result<Option<String>, String> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    if meta.file_type().is_symlink() {
        return Err("is a symbolic link; refusing to write through it".to_owned());
    }
    if meta.is_dir() {
        return Err("is a directory, expected a file".to_owned());
    }
    if meta.permissions().readonly() {
        return Err("is read-only".to_owned());
    }
    let bytes = fs::read(path).map_err(|e| e.to_string())?;
    // A non-UTF-8 file can never equal our output: it is simply replaced.
    Ok(String::from_utf8(bytes).ok())
}

/// Applies changes under `root`. Stops at the first failure; every file is
/// replaced atomically, so what was written before stays whole.
pub fn apply(root: &Path, changes: &[Change]) -> io::Result<()> {
    for change in changes {
        let path = root.join(change.path());
        match change {
            Change::Write { contents, .. } => write_atomic(&path, contents.as_bytes())?,
            Change::Remove { .. } => {
                fs::remove_file(&path)?;
                // Drop the directory too once it holds nothing else.
                if let Some(dir) = path.parent()
                    && fs::read_dir(dir)?.next().is_none()
                {
                    fs::remove_dir(dir)?;
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
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.lbipam-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
