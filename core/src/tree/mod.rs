//! The repository as the build will leave it: the files on disk, overlaid with
//! the files the build is about to write and without those it is about to delete.
//!
//! The audits and the Flux resolver read through a [`Tree`], so a build checks the
//! tree it produces — in check mode too, where nothing is written — and never
//! passes a tree that only its own writes would have broken.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use yaml_serde::Value;

use crate::diag::error::Error;
use crate::yaml;

mod walk;

pub use walk::{Links, Walked, is_yaml};

/// The repository on disk, with pending writes and deletions applied in memory.
/// Parses and directory listings are kept for the tree's life: a tree is a
/// snapshot for one build's checks, made again after anything is written.
#[derive(Debug)]
pub struct Tree {
    root: PathBuf,
    overlay: BTreeMap<PathBuf, String>,
    removed: BTreeSet<PathBuf>,
    /// The entries pending writes add to each directory (and their directories):
    /// looked up, not scanned, so a build of thousands of files stays linear.
    pending: BTreeMap<PathBuf, BTreeMap<OsString, bool>>,
    /// Each file's documents, read once.
    parsed: Mutex<HashMap<PathBuf, Arc<Documents>>>,
    /// Each file's text on disk, read once (files up to [`TEXT_CACHE_LIMIT`]):
    /// the resolver reads a shared component's files for every directory using it.
    texts: Mutex<HashMap<PathBuf, String>>,
    /// Each directory's entries on disk (`None`: no such directory), listed
    /// once: the resolver and the audits list a fleet's directories many times.
    listed: Mutex<HashMap<PathBuf, Option<Arc<Vec<Entry>>>>>,
    /// The root with its symlinks resolved, once.
    real_root: OnceLock<Option<PathBuf>>,
}

/// The largest file whose text [`Tree::read`] keeps: a vendored bundle is read
/// again rather than held.
pub(crate) const TEXT_CACHE_LIMIT: usize = 1 << 20;

/// A file's documents as the tree reads them, once: the objects (as YAML 1.1
/// tools read them), the parse errors, and the lossless parse the audits that
/// place a value need, made only when first asked for.
#[derive(Debug)]
pub struct Documents {
    /// Each object with the line its document starts on, shared with whatever
    /// the resolver builds of it.
    pub objects: Vec<(usize, Arc<Value>)>,
    /// Why a document could not be read: an error at its line.
    pub errors: Vec<Error>,
    text: String,
    /// Each document's byte range in `text`, by the line it starts on.
    ranges: Ranges,
    lossless: OnceLock<Result<yaml::Checked, yaml::YamlError>>,
}

impl Documents {
    /// The documents of `text`, the file `rel`, read without the tree's cache
    /// (a text that is no file, a patch body, a rendering): each object with
    /// the line its document starts on; empty documents (comments only, a
    /// stray `---`) are skipped.
    pub fn read(rel: &Path, text: &str) -> Documents {
        let (objects, errors, ranges) = read_documents(rel, text);
        Documents {
            objects: objects.into_iter().map(|(l, v)| (l, Arc::new(v))).collect(),
            errors,
            text: text.to_owned(),
            ranges,
            lossless: OnceLock::new(),
        }
    }

    /// The text the documents were read from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text of the document starting on `line` (without its `---` line).
    pub fn source(&self, line: usize) -> Option<&str> {
        let at = self.ranges.binary_search_by_key(&line, |(l, _)| *l).ok()?;
        Some(&self.text[self.ranges[at].1.clone()])
    }

    /// The 1-based number of the document holding `line`, as YAML numbers
    /// them: the text before the first `---` is a document only when it holds
    /// more than comments.
    pub fn number(&self, line: usize) -> usize {
        let content = |r: &std::ops::Range<usize>| {
            self.text[r.clone()].lines().any(|l| {
                let l = l.trim();
                !l.is_empty() && !l.starts_with('#')
            })
        };
        let skip = usize::from(self.ranges.len() > 1 && !content(&self.ranges[0].1));
        let starts = &self.ranges[skip.min(self.ranges.len())..];
        starts.partition_point(|(s, _)| *s <= line).max(1)
    }

    /// The file's lossless parse, checked as every edit's is
    /// ([`yaml::parse`](crate::yaml)), made on the first call.
    pub(crate) fn lossless(&self) -> Result<yaml_edit::YamlFile, yaml::YamlError> {
        let checked = self.lossless.get_or_init(|| yaml::parse(&self.text));
        checked
            .as_ref()
            .map(yaml::Checked::file)
            .map_err(Clone::clone)
    }
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The file or directory name.
    pub name: OsString,
    /// A directory (never a symlink to one: the walk must not leave the repo).
    pub is_dir: bool,
    /// A regular file, or a symlink to one.
    pub is_file: bool,
    /// A symbolic link (see `Tree::follow`).
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
            texts: Mutex::default(),
            listed: Mutex::default(),
            real_root: OnceLock::new(),
        }
    }

    /// The repository root on disk.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// [`Documents::read`] of the file `rel`, whose text is `text`,
    /// parsed once: the resolver reads a file for every cluster and Flux
    /// Kustomization applying it, and every file of a component directory again.
    pub fn documents(&self, rel: &Path, text: &str) -> Arc<Documents> {
        let parsed = || self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(docs) = parsed().get(rel)
            && docs.text == text
        {
            return Arc::clone(docs);
        }
        // Parsed outside the lock: another thread may parse the same file meanwhile.
        let docs = Arc::new(Documents::read(rel, text));
        parsed().insert(rel.to_owned(), Arc::clone(&docs));
        docs
    }

    /// Takes files off the tree, as the build's deletions will.
    pub fn remove(&mut self, files: &[PathBuf]) {
        self.removed.extend(files.iter().cloned());
    }

    /// Tells the tree the objects the build rendered `text`, a pending file,
    /// from, in document order, so [`Tree::documents`] need not read them back.
    /// Ignored unless `text` is what the tree holds at `rel` and has one
    /// document per object (that they say the same is the renderer's promise,
    /// held by a property test).
    pub fn rendered(&mut self, rel: &Path, text: &str, objects: Vec<Value>) {
        let Some(text) = self.overlay.get(rel).filter(|t| *t == text) else {
            return;
        };
        let docs = crate::yaml::split(text);
        if docs.len() != objects.len() || objects.iter().any(Value::is_null) {
            return;
        }
        let lines = docs.iter().map(|d| d.line);
        let entry = Arc::new(Documents {
            objects: lines.zip(objects.into_iter().map(Arc::new)).collect(),
            errors: Vec::new(),
            text: text.clone(),
            ranges: docs.into_iter().map(|d| (d.line, d.range)).collect(),
            lossless: OnceLock::new(),
        });
        let parsed = self
            .parsed
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        parsed.insert(rel.to_owned(), entry);
    }

    /// Tells the tree the parse an edit checked its result `text` with, so
    /// the audits need not parse the pending file `rel` again. Ignored unless
    /// `text` is what the tree holds at `rel`.
    pub(crate) fn edited(&mut self, rel: &Path, text: &str, checked: yaml::Checked) {
        let Some(text) = self.overlay.get(rel).filter(|t| *t == text) else {
            return;
        };
        let docs = Documents::read(rel, text);
        if docs.lossless.set(Ok(checked)).is_ok() {
            let parsed = self
                .parsed
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner);
            parsed.insert(rel.to_owned(), Arc::new(docs));
        }
    }

    /// A file's text.
    pub fn read(&self, rel: &Path) -> io::Result<String> {
        if let Some(text) = self.overlay.get(rel) {
            return Ok(text.clone());
        }
        if self.removed.contains(rel) {
            return Err(io::ErrorKind::NotFound.into());
        }
        let texts = || self.texts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(text) = texts().get(rel) {
            return Ok(text.clone());
        }
        let text = crate::read::text(&self.root.join(rel))?;
        if text.len() <= TEXT_CACHE_LIMIT {
            texts().insert(rel.to_owned(), text.clone());
        }
        Ok(text)
    }

    /// Whether the file at `rel` carries our generated-file header. Only its
    /// first bytes are read from disk: the stale-file search asks this of every
    /// file under the audited directories, vendored bundles of any size included.
    pub fn is_generated(&self, rel: &Path) -> bool {
        if let Some(text) = self.overlay.get(rel) {
            return crate::header::is_generated(text);
        }
        !self.removed.contains(rel)
            && crate::read::head(&self.root.join(rel), 1024)
                .is_ok_and(|head| crate::header::is_generated(&String::from_utf8_lossy(&head)))
    }

    /// Whether the build is about to write `rel` or something below it.
    pub(crate) fn is_pending(&self, rel: &Path) -> bool {
        self.overlay.contains_key(rel) || self.pending.contains_key(rel)
    }

    /// Whether `rel` is a file (or a symlink to one).
    pub fn is_file(&self, rel: &Path) -> bool {
        self.overlay.contains_key(rel)
            || (!self.removed.contains(rel)
                && match self.listed(rel) {
                    Some(entry) => entry.is_some_and(|e| e.is_file),
                    None => self.root.join(rel).is_file(),
                })
    }

    /// Whether `rel` is a directory, on disk or made by a pending write.
    pub fn is_dir(&self, rel: &Path) -> bool {
        self.pending.contains_key(rel)
            || match self.listed(rel) {
                Some(Some(e)) if !e.is_symlink => e.is_dir,
                Some(None) => false,
                _ => self.root.join(rel).is_dir(), // a symlink, or not listed
            }
    }

    /// `rel` as its directory's listing on disk shows it (`Some(None)`: not
    /// there); `None` when there is no listing to ask (the root, `..`, a
    /// directory that cannot be listed).
    fn listed(&self, rel: &Path) -> Option<Option<Entry>> {
        let (dir, name) = (rel.parent()?, rel.file_name()?);
        let entries = match self.disk_entries(dir) {
            Ok(Some(entries)) => entries,
            Ok(None) => return Some(None),
            Err(_) => return None,
        };
        let at = entries.binary_search_by(|e| e.name.as_os_str().cmp(name));
        Some(at.ok().map(|i| entries[i].clone()))
    }

    /// Whether anything is at `rel`.
    pub fn exists(&self, rel: &Path) -> bool {
        self.is_file(rel) || self.is_dir(rel) || self.root.join(rel).exists()
    }

    /// Where `rel` really is on disk when a symlink on its way leads out of the
    /// repository; `None` when it stays inside (or does not exist yet).
    pub fn escapes(&self, rel: &Path) -> Option<PathBuf> {
        if !self.through_symlink(rel) {
            return None;
        }
        let real = self.root.join(rel).canonicalize().ok()?;
        let top = self.real_root()?;
        (!real.starts_with(top)).then_some(real)
    }

    /// Whether a symlink may be on the way to `rel` on disk (or `rel` may be
    /// one), as the listings say: resolving every path a fleet applies costs a
    /// system call per component, so only paths the listings cannot clear are.
    fn through_symlink(&self, rel: &Path) -> bool {
        let mut dir = PathBuf::new();
        for part in rel.components() {
            let name = part.as_os_str();
            let entries = match self.disk_entries(&dir) {
                Ok(Some(entries)) => entries,
                Ok(None) => return false,
                Err(_) => return true, // unlisted: let the real resolution decide
            };
            match entries.binary_search_by(|e| e.name.as_os_str().cmp(name)) {
                Ok(i) if entries[i].is_symlink => return true,
                Ok(_) => dir.push(name),
                // Not listed under this spelling (a case-insensitive disk, a
                // file yet to be written): the real resolution decides.
                Err(_) => return true,
            }
        }
        false
    }

    fn real_root(&self) -> Option<&Path> {
        let real = self.real_root.get_or_init(|| self.root.canonicalize().ok());
        real.as_deref()
    }

    /// Where the symlink `rel` leads, checked: whether it is a directory, or why
    /// it must not be followed (out of the repository, dangling, a loop).
    pub(crate) fn follow(&self, rel: &Path) -> Result<bool, String> {
        if rel.components().count() > 32 {
            return Err("too deep below symlinks (a loop?); remove the symlink".to_owned());
        }
        let home = self
            .real_root()
            .ok_or("the repository root cannot be resolved")?;
        let target = self.root.join(rel).canonicalize().map_err(|e| {
            format!("a symlink that cannot be followed ({e}); replace it with the file")
        })?;
        if !target.starts_with(home) {
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
        // A directory that cannot be read lists as none, as it always has.
        let on_disk = self.disk_entries(rel).ok().flatten();
        let pending = self.pending.get(rel);
        if on_disk.is_none() && pending.is_none() {
            return Err(io::ErrorKind::NotFound.into());
        }
        let mut entries: BTreeMap<&OsString, Entry> = BTreeMap::new();
        for e in on_disk.iter().flat_map(|e| e.iter()) {
            if !self.removed.contains(&rel.join(&e.name)) {
                entries.insert(&e.name, e.clone());
            }
        }
        for (name, &is_dir) in pending.into_iter().flatten() {
            entries.entry(name).or_insert_with(|| Entry {
                name: name.clone(),
                is_dir,
                is_file: !is_dir,
                is_symlink: false,
            });
        }
        Ok(entries.into_values().collect())
    }

    /// Lists every directory on disk below `roots` (symlinks not followed), a
    /// level at a time with the directories of a level side by side, so the
    /// walks that follow find each listing ready: a fleet has thousands.
    pub(crate) fn prefetch(&self, roots: &[PathBuf]) {
        let mut level = roots.to_vec();
        while !level.is_empty() {
            let listed = crate::par::map(level, |dir| {
                let entries = self.disk_entries(&dir).ok().flatten();
                (dir, entries)
            });
            level = listed
                .into_iter()
                .flat_map(|(dir, entries)| {
                    let below: Vec<PathBuf> = entries
                        .iter()
                        .flat_map(|e| e.iter())
                        .filter(|e| e.is_dir)
                        .map(|e| dir.join(&e.name))
                        .collect();
                    below
                })
                .collect();
        }
    }

    /// The entries of a directory on disk, sorted by name; `None` if there is
    /// no such directory. Another error (a directory that cannot be read) is
    /// returned, not kept, so the callers ask the disk their own way.
    fn disk_entries(&self, rel: &Path) -> io::Result<Option<Arc<Vec<Entry>>>> {
        let listed = || self.listed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = listed().get(rel) {
            return Ok(known.clone());
        }
        let entries = match fs::read_dir(self.root.join(rel)) {
            Ok(on_disk) => {
                let mut entries = Vec::new();
                for e in on_disk {
                    let e = e?;
                    let kind = e.file_type()?;
                    entries.push(Entry {
                        name: e.file_name(),
                        is_dir: kind.is_dir(),
                        is_file: kind.is_file() || (kind.is_symlink() && e.path().is_file()),
                        is_symlink: kind.is_symlink(),
                    });
                }
                entries.sort();
                Some(Arc::new(entries))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                None
            }
            Err(e) => return Err(e),
        };
        listed().insert(rel.to_owned(), entries.clone());
        Ok(entries)
    }
}

/// The objects of a multi-document YAML text, each with the line its document
/// starts on, the errors, and the byte range of every document in `text` by
/// the line it starts on. Empty documents (comments only, a stray `---`) are
/// skipped; a document that is not valid YAML is an error at its line.
type Read = (Vec<(usize, Value)>, Vec<Error>, Ranges);

/// Each document's byte range in a text, with the line it starts on, in order.
type Ranges = Vec<(usize, std::ops::Range<usize>)>;

fn read_documents(path: &Path, text: &str) -> Read {
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let shift = text.len() - body.len();
    if let Err(e) = yaml::check_line_breaks(body) {
        errors.push(Error::invalid_yaml(path, e));
        return (objects, errors, Ranges::new());
    }
    let mut ranges = Ranges::new();
    for doc in yaml::split(body) {
        match yaml::yaml11_value(&body[doc.range.clone()]) {
            Ok(Value::Null) => {}
            Ok(value) => objects.push((doc.line, value)),
            Err(error) => errors.push(Error::not_yaml(path, doc.line, &error)),
        }
        ranges.push((doc.line, doc.range.start + shift..doc.range.end + shift));
    }
    (objects, errors, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_numbered_as_yaml_numbers_them_a_comment_header_is_none() {
        let number = |text: &str, line| Documents::read(Path::new("f.yaml"), text).number(line);
        assert_eq!(number("a: 1\n---\nb: 2\n", 1), 1);
        assert_eq!(number("a: 1\n---\nb: 2\n", 3), 2);
        assert_eq!(number("# header\n---\na: 1\n---\nb: 2\n", 3), 1);
        assert_eq!(number("# header\n---\na: 1\n---\nb: 2\n", 5), 2);
        assert_eq!(number("---\na: 1\n---\nb: 2\n", 4), 2);
        assert_eq!(number("", 1), 1);
    }

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
    fn rendered_objects_are_not_taken_for_another_text_or_another_count() {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = "# header\nkind: A\n---\nkind: B\n";
        let files = [("two.yaml".into(), text.to_owned())];
        let mut tree = Tree::pending(dir.path(), &files, &[]);
        let mapping = |kind: &str| {
            let mut map = yaml_serde::Mapping::new();
            map.insert("kind".into(), kind.into());
            Value::Mapping(map)
        };
        // Objects rendered as another text, or too few for the documents: the
        // text is read, and says A and B.
        tree.rendered(Path::new("two.yaml"), "kind: C\n", vec![mapping("C")]);
        tree.rendered(Path::new("two.yaml"), text, vec![mapping("C")]);
        let read = vec![(1, Arc::new(mapping("A"))), (4, Arc::new(mapping("B")))];
        assert_eq!(tree.documents(Path::new("two.yaml"), text).objects, read);
    }

    #[cfg(unix)]
    #[test]
    fn listings_answer_what_is_there_and_leave_symlinks_to_the_disk() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outside = tempfile::tempdir().expect("outside");
        fs::create_dir_all(dir.path().join("a/b")).expect("mkdir");
        fs::write(dir.path().join("a/b/f.yaml"), "x: 1\n").expect("write");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("a/out")).expect("link");
        fs::write(outside.path().join("g.yaml"), "x: 2\n").expect("write");
        let tree = Tree::disk(dir.path());
        assert!(tree.is_file(Path::new("a/b/f.yaml")) && tree.is_dir(Path::new("a/b")));
        assert!(!tree.is_file(Path::new("a/b/missing.yaml")));
        // A symlink on the way is found and resolved: it leads out.
        assert!(tree.is_dir(Path::new("a/out")));
        assert!(tree.escapes(Path::new("a/out/g.yaml")).is_some());
        assert_eq!(tree.escapes(Path::new("a/b/f.yaml")), None);
        // A name no listing holds (another spelling, a file to come) is
        // resolved for real; a missing file leads nowhere.
        assert_eq!(tree.escapes(Path::new("a/B/f.yaml")), None);
    }
}
