//! The repository as the build will leave it: the files on disk, overlaid with
//! the files the build is about to write and without those it is about to delete.
//!
//! The audits and the Flux resolver read through a [`Tree`], so a build checks the
//! tree it produces — in check mode too, where nothing is written — and never
//! passes a tree that only its own writes would have broken.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use yaml_serde::Value;

use crate::error::Error;

/// The repository on disk, with pending writes and deletions applied in memory.
#[derive(Debug)]
pub struct Tree {
    root: PathBuf,
    overlay: BTreeMap<PathBuf, String>,
    removed: BTreeSet<PathBuf>,
    /// The entries pending writes add to each directory (and their directories):
    /// looked up, not scanned, so a build of thousands of files stays linear.
    pending: BTreeMap<PathBuf, BTreeMap<OsString, bool>>,
    /// Each file's parsed documents, with the text they were parsed from.
    parsed: Mutex<BTreeMap<PathBuf, (String, Arc<Documents>)>>,
}

/// A file's objects, each with the line its document starts on, and its parse
/// errors: what [`crate::audit::parse_documents`] returns.
pub type Documents = (Vec<(usize, Value)>, Vec<Error>);

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The file or directory name.
    pub name: OsString,
    /// A directory (never a symlink to one: the walk must not leave the repo).
    pub is_dir: bool,
    /// A regular file, or a symlink to one.
    pub is_file: bool,
    /// A symbolic link (see [`Tree::follow`]).
    pub is_symlink: bool,
}

impl Tree {
    /// The repository at `root` as it is on disk.
    pub fn disk(root: &Path) -> Tree {
        Tree::pending(root, &[], &[])
    }

    /// The repository at `root` after writing `files` and deleting `remove`
    /// (paths relative to the root).
    pub fn pending(root: &Path, files: &[(PathBuf, String)], remove: &[PathBuf]) -> Tree {
        let mut pending: BTreeMap<PathBuf, BTreeMap<OsString, bool>> = BTreeMap::new();
        for (path, _) in files {
            let mut is_dir = false;
            let mut at = path.as_path();
            while let (Some(parent), Some(name)) = (at.parent(), at.file_name()) {
                let entries = pending.entry(parent.to_path_buf()).or_default();
                let known = entries.insert(name.to_owned(), is_dir).is_some();
                if known && is_dir {
                    break;
                }
                is_dir = true;
                at = parent;
            }
        }
        Tree {
            root: root.to_path_buf(),
            overlay: files.iter().cloned().collect(),
            removed: remove.iter().cloned().collect(),
            pending,
            parsed: Mutex::default(),
        }
    }

    /// The repository root on disk.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// [`crate::audit::parse_documents`] of the file `rel`, whose text is `text`,
    /// parsed once: the resolver reads a file for every cluster and Flux
    /// Kustomization applying it, and every file of a component directory again.
    pub fn documents(&self, rel: &Path, text: &str) -> Arc<Documents> {
        let parsed = || self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, docs)) = parsed().get(rel)
            && seen == text
        {
            return Arc::clone(docs);
        }
        // Parsed outside the lock: another thread may parse the same file meanwhile.
        let docs = Arc::new(crate::audit::parse_documents(rel, text));
        let entry = (text.to_owned(), Arc::clone(&docs));
        parsed().insert(rel.to_owned(), entry);
        docs
    }

    /// Tells the tree the objects of a pending file the build rendered from
    /// them, in document order, so [`Tree::documents`] need not read them back
    /// from its text. Ignored unless they match the text's documents one to one.
    pub fn rendered(&mut self, rel: &Path, objects: Vec<Value>) {
        let Some(text) = self.overlay.get(rel) else {
            return;
        };
        let docs = crate::yaml::split(text);
        if docs.len() != objects.len() || objects.iter().any(Value::is_null) {
            return;
        }
        let lines = docs.into_iter().map(|d| d.line);
        let parsed = (lines.zip(objects).collect(), Vec::new());
        let entry = (text.clone(), Arc::new(parsed));
        let parsed = self
            .parsed
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        parsed.insert(rel.to_owned(), entry);
    }

    /// A file's text.
    pub fn read(&self, rel: &Path) -> io::Result<String> {
        if let Some(text) = self.overlay.get(rel) {
            return Ok(text.clone());
        }
        if self.removed.contains(rel) {
            return Err(io::ErrorKind::NotFound.into());
        }
        fs::read_to_string(self.root.join(rel))
    }

    /// Whether the build is about to write `rel` or something below it.
    pub fn is_pending(&self, rel: &Path) -> bool {
        self.overlay.contains_key(rel) || self.pending.contains_key(rel)
    }

    /// Whether `rel` is a file (or a symlink to one).
    pub fn is_file(&self, rel: &Path) -> bool {
        self.overlay.contains_key(rel)
            || (!self.removed.contains(rel) && self.root.join(rel).is_file())
    }

    /// Whether `rel` is a directory, on disk or made by a pending write.
    pub fn is_dir(&self, rel: &Path) -> bool {
        self.pending.contains_key(rel) || self.root.join(rel).is_dir()
    }

    /// Whether anything is at `rel`.
    pub fn exists(&self, rel: &Path) -> bool {
        self.is_file(rel) || self.is_dir(rel) || self.root.join(rel).exists()
    }

    /// Where `rel` really is on disk when a symlink on its way leads out of the
    /// repository; `None` when it stays inside (or does not exist yet).
    pub fn escapes(&self, rel: &Path) -> Option<PathBuf> {
        let real = self.root.join(rel).canonicalize().ok()?;
        let top = self.root.canonicalize().ok()?;
        (!real.starts_with(&top)).then_some(real)
    }

    /// Where the symlink `rel` leads, checked: whether it is a directory, or why
    /// it must not be followed (out of the repository, dangling, a loop).
    pub fn follow(&self, rel: &Path) -> Result<bool, String> {
        if rel.components().count() > 32 {
            return Err("too deep below symlinks (a loop?); remove the symlink".to_owned());
        }
        let home = self.root.canonicalize().map_err(|e| e.to_string())?;
        let target = self.root.join(rel).canonicalize().map_err(|e| {
            format!("a symlink that cannot be followed ({e}); replace it with the file")
        })?;
        if !target.starts_with(&home) {
            return Err(format!(
                "a symlink to {}, outside the repository: Flux cannot follow it and the audit will not; replace it with the file itself",
                target.display()
            ));
        }
        let parent = self
            .root
            .join(rel)
            .parent()
            .and_then(|p| p.canonicalize().ok());
        if parent.is_some_and(|p| p.starts_with(&target)) {
            return Err("a symlink to a directory holding it (a loop); remove it".to_owned());
        }
        Ok(target.is_dir())
    }

    /// The entries of a directory, sorted by name, pending writes included.
    pub fn read_dir(&self, rel: &Path) -> io::Result<Vec<Entry>> {
        let mut entries: BTreeMap<OsString, Entry> = BTreeMap::new();
        let on_disk = fs::read_dir(self.root.join(rel));
        let mut found = on_disk.is_ok();
        for e in on_disk.into_iter().flatten() {
            let e = e?;
            let name = e.file_name();
            if self.removed.contains(&rel.join(&name)) {
                continue;
            }
            let kind = e.file_type()?;
            let is_file = kind.is_file() || (kind.is_symlink() && e.path().is_file());
            entries.insert(
                name.clone(),
                Entry {
                    name,
                    is_dir: kind.is_dir(),
                    is_file,
                    is_symlink: kind.is_symlink(),
                },
            );
        }
        if let Some(names) = self.pending.get(rel) {
            found = true;
            for (name, &is_dir) in names {
                entries.entry(name.clone()).or_insert(Entry {
                    name: name.clone(),
                    is_dir,
                    is_file: !is_dir,
                    is_symlink: false,
                });
            }
        }
        if !found {
            return Err(io::ErrorKind::NotFound.into());
        }
        Ok(entries.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_writes_are_seen_before_the_disk_and_make_their_directories() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("a.yaml"), "old").expect("write");
        fs::write(dir.path().join("gone.yaml"), "x").expect("write");
        let tree = Tree::pending(
            dir.path(),
            &[
                ("a.yaml".into(), "new".into()),
                ("new/dir/b.yaml".into(), "b".into()),
            ],
            &["gone.yaml".into()],
        );
        assert_eq!(tree.read(Path::new("a.yaml")).expect("a"), "new");
        assert!(tree.is_dir(Path::new("new/dir")));
        assert!(!tree.is_file(Path::new("gone.yaml")));
        let names: Vec<OsString> = tree
            .read_dir(Path::new(""))
            .expect("root")
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, [OsString::from("a.yaml"), OsString::from("new")]);
        assert!(tree.read_dir(Path::new("missing")).is_err());
    }

    #[test]
    fn rendered_objects_stand_in_for_the_text_only_when_they_match_its_documents() {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = "# header\nkind: A\n---\nkind: B\n";
        let files = [
            ("two.yaml".into(), text.to_owned()),
            ("other.yaml".into(), text.to_owned()),
        ];
        let mut tree = Tree::pending(dir.path(), &files, &[]);
        let object = |kind: &str| {
            let mut map = yaml_serde::Mapping::new();
            map.insert("kind".into(), kind.into());
            Value::Mapping(map)
        };
        // Told: taken as given, each at its document's line.
        tree.rendered(Path::new("two.yaml"), vec![object("A"), object("rendered")]);
        let told = tree.documents(Path::new("two.yaml"), text);
        assert_eq!(told.0, [(1, object("A")), (4, object("rendered"))]);
        // One object for two documents: ignored, the text is read.
        tree.rendered(Path::new("other.yaml"), vec![object("A")]);
        let read = tree.documents(Path::new("other.yaml"), text);
        assert_eq!(read.0, [(1, object("A")), (4, object("B"))]);
    }
}
