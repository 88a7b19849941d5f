//! The one walk over the repository's directories: the audits, the stale-file
//! sweep, the adoption's search for Flux entries, the schema gate and
//! `lbipam explain` all list files through [`Tree::walk`], so they agree on what
//! a symbolic link is and on the order files come in.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::Tree;
use crate::diag::codes::Code;
use crate::diag::error::Error;

/// How a walk treats a symbolic link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// Walk what it points at, under its own path, if that lies inside the
    /// repository; one leading out of it, dangling or looping is refused by
    /// name, so a check is never skipped silently.
    Follow,
    /// Leave it out: the files the build deletes, or reads to adopt, must be
    /// the repository's own.
    Skip,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Every file, relative to the root, sorted.
    pub files: Vec<PathBuf>,
    /// The directories that could not be listed and the symlinks refused.
    pub refused: Vec<Error>,
}

impl Tree {
    /// Every file below `roots` (pending writes included, pending deletions
    /// not), entering each directory that `enter` accepts; a root that does not
    /// exist holds nothing.
    pub fn walk(&self, roots: &[PathBuf], links: Links, enter: impl Fn(&Path) -> bool) -> Walked {
        let mut out = Walked::default();
        let mut seen = BTreeSet::new();
        let mut dirs = roots.to_vec();
        while let Some(dir) = dirs.pop() {
            if !seen.insert(dir.clone()) {
                continue;
            }
            let entries = match self.read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    out.refused
                        .push(refusal(Code::Unreadable, &dir, format!("cannot list: {e}")));
                    continue;
                }
            };
            for entry in entries {
                let rel = dir.join(&entry.name);
                let is_dir = match (entry.is_symlink, links) {
                    (false, _) => entry.is_dir,
                    (true, Links::Skip) => continue,
                    (true, Links::Follow) => match self.follow(&rel) {
                        Ok(is_dir) => is_dir,
                        Err(m) => {
                            out.refused.push(refusal(Code::SymlinkRefused, &rel, m));
                            continue;
                        }
                    },
                };
                match is_dir {
                    true if enter(&rel) => dirs.push(rel),
                    true => {}
                    false => out.files.push(rel),
                }
            }
        }
        out.files.sort();
        out.files.dedup();
        out
    }
}

/// Whether a path names a YAML file (`.yaml` or `.yml`).
pub fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

fn refusal(code: Code, path: &Path, message: String) -> Error {
    let message = format!("{}: {message}", path.display());
    Error::file(code, path.to_owned(), 1, 1, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(walked: &Walked) -> Vec<String> {
        let files = walked.files.iter().map(|f| f.display().to_string());
        files.collect()
    }

    #[test]
    fn a_walk_lists_pending_files_sorted_and_leaves_deleted_ones_and_unentered_dirs_out() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for f in ["k/b.yaml", "k/a/x.yaml", "k/.git/c.yaml", "k/gone.yaml"] {
            fs::create_dir_all(root.join(f).parent().expect("parent")).expect("dir");
            fs::write(root.join(f), "x").expect("write");
        }
        let pending = [("k/new/n.yaml".into(), "n".into())];
        let tree = Tree::pending(root, &pending, &["k/gone.yaml".into()]);
        let hidden = |d: &Path| d.file_name().is_none_or(|n| n != ".git");
        let walked = tree.walk(&["k".into(), "missing".into()], Links::Skip, hidden);
        assert_eq!(names(&walked), ["k/a/x.yaml", "k/b.yaml", "k/new/n.yaml"]);
        assert!(walked.refused.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_followed_symlink_inside_the_repository_is_walked_and_one_leading_out_is_refused() {
        let outside = tempfile::tempdir().expect("temp dir");
        fs::write(outside.path().join("o.yaml"), "x").expect("write");
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        fs::create_dir_all(root.join("k/real")).expect("dir");
        fs::write(root.join("k/real/r.yaml"), "x").expect("write");
        std::os::unix::fs::symlink(root.join("k/real"), root.join("k/link")).expect("link");
        std::os::unix::fs::symlink(outside.path(), root.join("k/out")).expect("link");
        let tree = Tree::disk(root);
        let followed = tree.walk(&["k".into()], Links::Follow, |_| true);
        assert_eq!(names(&followed), ["k/link/r.yaml", "k/real/r.yaml"]);
        let refused: Vec<_> = followed.refused.iter().map(|e| e.code()).collect();
        assert_eq!(refused, ["symlink-refused"]);
        let skipped = tree.walk(&["k".into()], Links::Skip, |_| true);
        assert_eq!(names(&skipped), ["k/real/r.yaml"]);
        assert!(skipped.refused.is_empty());
    }
}
