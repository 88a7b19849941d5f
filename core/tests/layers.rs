//! The module layers of lbipam-core: the graph of `crate::` and `super::` paths
//! in `core/src` has no cycle, and every module uses only its own layer or the
//! layers below it, in the order documented by [`LAYERS`].
//!
//! A node is a module file: a top-level module (`net`, from `net.rs`), a folder
//! module's `mod.rs` (`audit`), or a child at any depth (`audit::sharing`,
//! `artifact::edit::marked`). A path to an item is an edge to the deepest module
//! file it names. A folder of [`ONE_NAMESPACE`] (`yaml/`, whose files share one
//! namespace) is one node, and no other child writes `use super::*;` outside tests.
//! Comments are skipped: a doc link is not a dependency. A folder's `mod.rs`
//! naming its own children (`mod x; pub use x::Y`) is how it owns them, not an
//! edge; its code using a child by a relative path (`use x::f;`, `x::f()`) or
//! through its re-export is an edge to the child, so a child using an item of
//! `mod.rs` that uses the child is a cycle. Not seen: a method a child adds
//! to its parent's type in an `impl` block (`plan/parse/features.rs` adds the
//! readers of selectors and advertisement to `TableReader`), called as
//! `self.method()`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers of lbipam-core, lowest first. A module may use its own layer and
/// every layer below; a layer above is an error, and so is a cycle within one.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "primitives",
        &[
            "net", "glob", "par", "read", "text", "header", "xml", "yaml",
        ],
    ),
    ("diagnostics", &["diag"]),
    ("model", &["plan", "check", "proof", "usage", "cilium"]),
    ("io", &["tree", "write"]),
    ("flux", &["flux"]),
    ("audit", &["audit"]),
    ("artifact", &["artifact"]),
    ("build", &["generate", "mode", "build_script", "lib"]),
    ("adopt", &["adopt"]),
];

/// Folder modules written as one namespace in several files: each child
/// imports the folder whole (`use super::*`), and the folder is one node of
/// the graph. No other module writes `use super::*;` outside its tests.
const ONE_NAMESPACE: &[&str] = &["yaml"];

/// One use of a module by another: where it is written.
#[derive(Clone, Debug)]
struct Use {
    file: PathBuf,
    line: usize,
}

/// The module graph: node → (used node → first use).
type Graph = BTreeMap<String, BTreeMap<String, Use>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file below `src` (`audit/mod.rs` → `[audit]`).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && !(parts.is_empty() && stem == "lib") {
        parts.push(stem.to_string());
    }
    if parts.is_empty() {
        parts.push("lib".to_string());
    }
    parts
}

/// The graph node of a module path: the deepest module file it names (a
/// folder's child at any depth, or a top-level module).
fn node_of(path: &[String], folders: &BTreeMap<Vec<String>, BTreeSet<String>>) -> String {
    let mut node = vec![path[0].clone()];
    for part in &path[1..] {
        match folders.get(&node) {
            Some(children) if children.contains(part) => node.push(part.clone()),
            _ => break,
        }
    }
    node.join("::")
}

/// The code of a line without its `//` comment (strings holding `//` are rare
/// enough in this crate's `use` paths to ignore).
fn code_of(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// The name of the inline module a line opens (`mod tests {`), if it opens one.
fn inline_module(code: &str) -> Option<&str> {
    let rest = code.trim_start();
    let rest = rest
        .strip_prefix("pub(crate) ")
        .or_else(|| rest.strip_prefix("pub "))
        .unwrap_or(rest);
    let rest = rest.strip_prefix("mod ")?;
    let name = ident_at(rest);
    rest[name.len()..]
        .trim_start()
        .starts_with('{')
        .then_some(name)
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The module paths a line names from the crate root: `crate::a::b`,
/// `crate::{a, b::{c, d}}` and, relative to `here`, `super::x`.
fn paths_in(code: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        if i > 0 && code[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            continue; // `lbipam_crate::` or similar: not this crate
        }
        let rest = &code[i + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => group_paths(&[], &group[..closing(group)], &mut found),
            None => found.push(segments(rest)),
        }
    }
    for (i, _) in code.match_indices("super::") {
        if i > 0 && code[..i].ends_with("super::") {
            continue; // counted with the first `super::`
        }
        let mut base: Vec<String> = here.to_vec();
        let mut rest = &code[i..];
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        match rest.strip_prefix('{') {
            Some(group) => group_paths(&base, &group[..closing(group)], &mut found),
            None => {
                let mut path = base;
                path.extend(segments(rest));
                found.push(path);
            }
        }
    }
    found.retain(|p| !p.is_empty() && p[0] != "self");
    found
}

/// Where the brace group `text` starts inside (just after its `{`) closes.
fn closing(text: &str) -> usize {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

/// The paths of a `use` group's items (`a, b::{c, d}` → `a`, `b::c`, `b::d`),
/// each after `prefix`.
fn group_paths(prefix: &[String], group: &str, out: &mut Vec<Vec<String>>) {
    let mut depth = 0usize;
    let mut start = 0;
    let mut items = Vec::new();
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        let mut path = prefix.to_vec();
        match item.find('{') {
            Some(open) => {
                path.extend(segments(item[..open].trim_end_matches("::")));
                let inner = &item[open + 1..];
                group_paths(&path, &inner[..closing(inner)], out);
            }
            None => {
                path.extend(segments(item));
                out.push(path);
            }
        }
    }
}

/// Whether `code` declares a child module (`mod x;`) or re-exports from one
/// (`pub use x::Y;`): how a folder's `mod.rs` owns its children.
fn reexports_or_declares(code: &str) -> bool {
    let code = code.trim_start();
    let code = code
        .strip_prefix("pub(crate) ")
        .or_else(|| code.strip_prefix("pub "));
    match code {
        Some(rest) => rest.starts_with("use ") || rest.starts_with("mod "),
        None => false,
    }
}

/// The paths a folder's `mod.rs` names relative to itself through one of its
/// `children` (`stray::stray_ips`), each from the crate root.
fn child_paths(code: &str, folder: &[String], children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("::") {
        let before = &code[..i];
        let start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |j| j + 1);
        let name = &before[start..];
        // `a::b::c` is one path, counted at its first segment; `crate::x` and
        // `super::x` are read by `paths_in`.
        if before[..start].ends_with("::") || !children.contains(name) {
            continue;
        }
        let mut path = folder.to_vec();
        path.extend(segments(&code[start..]));
        out.push(path);
    }
    out
}

/// The names a folder's `mod.rs` line `pub use child::{A, B as C};` gives
/// items of one of its `children`, each with the item's path.
fn child_reexports(
    code: &str,
    folder: &[String],
    children: &BTreeSet<String>,
) -> Vec<(String, Vec<String>)> {
    let Some(rest) = code.trim().split_once("use ").map(|(_, r)| r) else {
        return Vec::new();
    };
    let rest = rest.trim_end_matches(';').trim();
    let mut paths = Vec::new();
    match rest.find('{') {
        Some(open) => {
            let prefix = segments(rest[..open].trim_end_matches("::"));
            let inner = &rest[open + 1..];
            group_paths(&prefix, &inner[..closing(inner)], &mut paths);
        }
        None => paths.push(segments(rest)),
    }
    let renamed = |p: &Vec<String>| {
        let written = rest.split(p.last().map_or("", String::as_str)).nth(1);
        let alias = written.and_then(|w| w.trim_start().strip_prefix("as "));
        alias.map(|a| ident_at(a.trim_start()).to_string())
    };
    paths
        .into_iter()
        .filter(|p| p.len() > 1 && children.contains(&p[0]))
        .map(|p| {
            let name = renamed(&p).unwrap_or_else(|| p[p.len() - 1].clone());
            let mut full = folder.to_vec();
            full.extend(p);
            (name, full)
        })
        .collect()
}

/// The paths of the re-exported names a line of `mod.rs` uses.
fn reexports_named(code: &str, reexported: &BTreeMap<String, Vec<String>>) -> Vec<Vec<String>> {
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter_map(|word| reexported.get(word).cloned())
        .collect()
}

/// Whether `code` starts a `use` declaration.
fn starts_use(code: &str) -> bool {
    let code = code.trim_start();
    let code = code
        .strip_prefix("pub(crate) ")
        .or_else(|| code.strip_prefix("pub "))
        .unwrap_or(code);
    code.starts_with("use ")
}

fn segments(mut s: &str) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let id = ident_at(s);
        if id.is_empty() {
            break;
        }
        out.push(id.to_string());
        match s[id.len()..].strip_prefix("::") {
            Some(r) => s = r,
            None => break,
        }
    }
    out
}

/// The crate root's re-exports (`pub use mode::Mode;` in `lib.rs`): each name
/// the root gives an item of a module, with the module path it stands for. A
/// `crate::Mode` elsewhere is a use of `mode`, not of the root.
fn root_reexports(src: &Path) -> BTreeMap<String, Vec<String>> {
    let text = fs::read_to_string(src.join("lib.rs")).unwrap_or_default();
    let mut paths = Vec::new();
    for line in text.lines().map(code_of) {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let rest = rest.trim_end_matches(';').trim();
        let rest = rest.strip_prefix("crate::").unwrap_or(rest);
        match rest.find('{') {
            Some(open) => {
                let prefix = segments(rest[..open].trim_end_matches("::"));
                let inner = &rest[open + 1..];
                group_paths(&prefix, &inner[..closing(inner)], &mut paths);
            }
            None => paths.push(segments(rest)),
        }
    }
    paths
        .into_iter()
        .filter(|p| p.len() > 1)
        .filter_map(|p| Some((p.last()?.clone(), p)))
        .collect()
}

/// `path` with a leading re-exported name replaced by the path it stands for.
fn through_reexports(path: Vec<String>, reexports: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    match reexports.get(&path[0]) {
        Some(real) => real.iter().chain(&path[1..]).cloned().collect(),
        None => path,
    }
}

/// The module graph of the crate whose sources are in `src`.
fn graph(src: &Path) -> Graph {
    let reexports = root_reexports(src);
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: Vec<(PathBuf, Vec<String>)> = files
        .iter()
        .map(|f| {
            (
                f.clone(),
                module_of(f.strip_prefix(src).expect("below src")),
            )
        })
        .collect();
    // Every folder module (at any depth) with the names of its children; a
    // folder of one namespace is one node.
    let mut folders: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    for (_, path) in &modules {
        for depth in 1..path.len() {
            if ONE_NAMESPACE.contains(&path[..depth].join("::").as_str()) {
                break;
            }
            let children = folders.entry(path[..depth].to_vec()).or_default();
            children.insert(path[depth].clone());
        }
    }
    let mut graph = Graph::new();
    for (file, here) in &modules {
        let from = node_of(here, &folders);
        graph.entry(from.clone()).or_default();
        let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // Below an inline module (`mod tests {`, which runs to the end of the
        // file in this crate), `super::` is the file's own module.
        let mut inner = here.clone();
        // A `use` written over several lines (as rustfmt breaks a long one)
        // is read whole, at the line it starts on.
        let mut open_use: Option<(usize, String)> = None;
        // A folder's `mod.rs` re-exporting a child's item and using it itself
        // uses the child: name → the child's path.
        let mut reexported: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let mut code = code_of(line).to_owned();
            let mut n = n;
            if let Some((start, mut joined)) = open_use.take() {
                joined.push(' ');
                joined.push_str(&code);
                if !code.contains(';') {
                    open_use = Some((start, joined));
                    continue;
                }
                (n, code) = (start, joined);
            } else if starts_use(&code) && !code.contains(';') {
                open_use = Some((n, code));
                continue;
            }
            if let Some(name) = inline_module(&code) {
                inner.push(name.to_string());
            }
            let mut paths = paths_in(&code, &inner);
            if let Some(children) = folders.get(&inner).filter(|_| inner == *here) {
                if reexports_or_declares(&code) {
                    reexported.extend(child_reexports(&code, here, children));
                } else {
                    paths.extend(child_paths(&code, here, children));
                    paths.extend(reexports_named(&code, &reexported));
                }
            }
            for path in paths {
                let path = through_reexports(path, &reexports);
                let to = node_of(&path, &folders);
                // A use within one node, or of something that is no module here.
                if to == from || !modules.iter().any(|(_, m)| m[0] == path[0]) {
                    continue;
                }
                let rel = file.strip_prefix(src).expect("below src").to_path_buf();
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert(Use {
                        file: rel,
                        line: n + 1,
                    });
            }
        }
    }
    graph
}

fn top(node: &str) -> &str {
    node.split("::").next().unwrap_or(node)
}

/// The graph with every folder's children merged into the folder.
fn top_level(graph: &Graph) -> Graph {
    let mut out = Graph::new();
    for (from, uses) in graph {
        let entry = out.entry(top(from).to_string()).or_default();
        for (to, at) in uses {
            if top(to) != top(from) {
                entry
                    .entry(top(to).to_string())
                    .or_insert_with(|| at.clone());
            }
        }
    }
    out
}

/// A cycle of the graph, as `a → b → a` with where each use is written.
fn cycle(graph: &Graph) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit<'g>(
        graph: &'g Graph,
        node: &'g str,
        marks: &mut BTreeMap<&'g str, Mark>,
        stack: &mut Vec<&'g str>,
    ) -> Option<String> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = stack.iter().position(|n| *n == node).expect("on the stack");
                let mut ring: Vec<&str> = stack[start..].to_vec();
                ring.push(node);
                let steps: Vec<String> = ring
                    .windows(2)
                    .map(|w| {
                        let at = &graph[w[0]][w[1]];
                        format!("{} → {} ({}:{})", w[0], w[1], at.file.display(), at.line)
                    })
                    .collect();
                return Some(steps.join(", "));
            }
            None => {}
        }
        marks.insert(node, Mark::Open);
        stack.push(node);
        if let Some(uses) = graph.get(node) {
            for to in uses.keys() {
                if let Some(found) = visit(graph, to, marks, stack) {
                    return Some(found);
                }
            }
        }
        stack.pop();
        marks.insert(node, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if let Some(found) = visit(graph, node, &mut marks, &mut Vec::new()) {
            return Some(found);
        }
    }
    None
}

/// Every use of a layer above the user's, and every module missing from [`LAYERS`].
fn layer_violations(graph: &Graph) -> Vec<String> {
    let layer_of = |module: &str| LAYERS.iter().position(|(_, mods)| mods.contains(&module));
    let mut out = Vec::new();
    for (from, uses) in top_level(graph) {
        let Some(own) = layer_of(&from) else {
            out.push(format!("module `{from}` is in no layer of LAYERS"));
            continue;
        };
        for (to, at) in uses {
            match layer_of(&to) {
                Some(layer) if layer > own => out.push(format!(
                    "`{from}` ({}) uses `{to}` ({}) at {}:{}",
                    LAYERS[own].0,
                    LAYERS[layer].0,
                    at.file.display(),
                    at.line
                )),
                _ => {}
            }
        }
    }
    out
}

fn core_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_two_top_level_modules_use_each_other_even_through_others() {
    let graph = top_level(&graph(&core_src()));
    assert!(graph.len() > 5, "found the modules: {:?}", graph.keys());
    if let Some(found) = cycle(&graph) {
        panic!("module cycle: {found}");
    }
}

#[test]
fn no_cycle_among_the_children_of_folder_modules() {
    if let Some(found) = cycle(&graph(&core_src())) {
        panic!("module cycle: {found}");
    }
}

#[test]
fn every_module_uses_only_its_own_layer_and_those_below() {
    let violations = layer_violations(&graph(&core_src()));
    assert!(
        violations.is_empty(),
        "layer order broken:\n{}",
        violations.join("\n")
    );
}

/// Every intra-doc link (``[`crate::m…`]``) in the comments of `src` that points
/// from a module to one in a higher layer: a doc that sends a reader up the
/// stack describes its users, which change without it.
fn doc_links_up(src: &Path) -> Vec<String> {
    let layer_of = |module: &str| LAYERS.iter().position(|(_, mods)| mods.contains(&module));
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).expect("below src");
        let from = module_of(rel)[0].clone();
        let Some(own) = layer_of(&from) else { continue };
        let text = fs::read_to_string(&file).expect("read");
        for (n, line) in text.lines().enumerate() {
            let Some(comment) = line.find("//").map(|i| &line[i..]) else {
                continue;
            };
            for link in comment.split("[`crate::").skip(1) {
                let to = ident_at(link);
                if layer_of(to).is_some_and(|l| l > own) {
                    out.push(format!(
                        "{}:{}: `{from}` links to `{to}`",
                        rel.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn doc_links_point_only_to_the_own_layer_and_those_below() {
    let up = doc_links_up(&core_src());
    assert!(up.is_empty(), "doc links up the layers:\n{}", up.join("\n"));
}

#[test]
fn a_doc_link_to_a_higher_layer_is_found() {
    let src = fixture(&[
        ("lib.rs", "mod net;\nmod audit;\n"),
        (
            "net.rs",
            "/// Used by [`crate::audit::f`].\npub fn g() {}\n",
        ),
        ("audit.rs", "/// Uses [`crate::net::g`].\npub fn f() {}\n"),
    ]);
    assert_eq!(
        doc_links_up(src.path()),
        ["net.rs:1: `net` links to `audit`"]
    );
}

/// What yaml/ may use besides itself: primitives that know no domain either.
const YAML_MAY_USE: &[&str] = &["yaml", "text"];

#[test]
fn yaml_uses_no_domain_module_of_the_crate() {
    let graph = graph(&core_src());
    let outside: Vec<String> = graph
        .iter()
        .filter(|(from, _)| top(from) == "yaml")
        .flat_map(|(from, uses)| {
            uses.iter()
                .filter(|(to, _)| !YAML_MAY_USE.contains(&top(to)))
                .map(move |(to, at)| format!("{from} → {to} ({}:{})", at.file.display(), at.line))
        })
        .collect();
    assert!(
        outside.is_empty(),
        "yaml/ is domain-free, but uses: {outside:?}"
    );
    // Not even its docs name a domain module: it is documented on its own terms.
    let mut files = Vec::new();
    rust_files(&core_src().join("yaml"), &mut files);
    for file in files {
        let here = module_of(file.strip_prefix(core_src()).expect("below src"));
        let text = fs::read_to_string(&file).expect("readable");
        let mut inner = here.clone();
        for (n, line) in text.lines().enumerate() {
            if let Some(name) = inline_module(code_of(line)) {
                inner.push(name.to_string());
            }
            let named = paths_in(line, &inner);
            assert!(
                named.iter().all(|p| YAML_MAY_USE.contains(&p[0].as_str())),
                "{}:{}: yaml/ names {named:?}",
                file.display(),
                n + 1
            );
        }
    }
}

/// Writes a small crate source tree into a temp dir.
fn fixture(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    dir
}

/// The first cycle of the module graph of the crate `files` make.
fn cycle_in(files: &[(&str, &str)]) -> Option<String> {
    cycle(&graph(fixture(files).path()))
}

#[test]
fn a_cycle_through_a_third_module_is_named_with_where_each_use_is() {
    let dir = fixture(&[
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n"),
        ("a.rs", "use crate::b::B;\n"),
        ("b/mod.rs", "mod inner;\n"),
        (
            "b/inner.rs",
            "// crate::a is only named here\nuse crate::c::{C, D};\n",
        ),
        ("c.rs", "fn f() { crate::a::g() }\n"),
    ]);
    let found = cycle(&top_level(&graph(dir.path()))).expect("a → b → c → a");
    assert_eq!(
        found,
        "a → b (a.rs:1), b → c (b/inner.rs:2), c → a (c.rs:1)"
    );
}

#[test]
fn a_cycle_between_two_children_of_one_folder_is_found() {
    let dir = fixture(&[
        ("lib.rs", "pub mod f;\n"),
        ("f/mod.rs", "mod x;\nmod y;\n"),
        ("f/x.rs", "use super::y::Y;\n"),
        ("f/y.rs", "use crate::f::x::X;\n"),
    ]);
    assert!(
        cycle(&top_level(&graph(dir.path()))).is_none(),
        "one top-level module"
    );
    let found = cycle(&graph(dir.path())).expect("f::x → f::y → f::x");
    assert_eq!(found, "f::x → f::y (f/x.rs:1), f::y → f::x (f/y.rs:1)");
}

#[test]
fn a_use_of_a_higher_layer_is_reported_and_a_lower_one_is_not() {
    let dir = fixture(&[
        ("lib.rs", "pub mod net;\npub mod plan;\n"),
        ("net.rs", "use crate::plan::Plan;\n"),
        ("plan/mod.rs", "use crate::net::Block;\n"),
    ]);
    let violations = layer_violations(&graph(dir.path()));
    assert_eq!(
        violations,
        ["`net` (primitives) uses `plan` (model) at net.rs:1"],
        "plan → net is downward and allowed"
    );
}

#[test]
fn super_in_an_inline_test_module_is_the_file_itself() {
    let dir = fixture(&[
        ("lib.rs", "pub mod f;\npub mod g;\n"),
        ("f/mod.rs", "mod x;\nfn h() { crate::g::k() }\n"),
        (
            "f/x.rs",
            "fn y() {}\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
        ),
        (
            "g.rs",
            "#[cfg(test)]\nmod tests {\n    use super::super::f::x;\n}\n",
        ),
    ]);
    let graph = graph(dir.path());
    assert!(graph["f::x"].is_empty(), "{graph:?}");
    assert_eq!(graph["g"].keys().collect::<Vec<_>>(), ["f::x"]);
    let found = cycle(&top_level(&graph)).expect("f → g → f, through a test module");
    assert_eq!(found, "f → g (f/mod.rs:2), g → f (g.rs:3)");
}

#[test]
fn a_use_written_over_several_lines_or_with_nested_groups_is_an_edge() {
    let dir = fixture(&[
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod d;\n"),
        ("a.rs", "use crate::{\n    b::B,\n};\n"),
        ("b.rs", "use crate::{d::D, c::{C, E}};\n"),
        (
            "c.rs",
            "pub(crate) use super::{\n    a::{\n        A,\n    },\n};\n",
        ),
        ("d.rs", "\n"),
    ]);
    let graph = graph(dir.path());
    assert_eq!(graph["a"].keys().collect::<Vec<_>>(), ["b"], "{graph:?}");
    assert_eq!(
        graph["b"].keys().collect::<Vec<_>>(),
        ["c", "d"],
        "{graph:?}"
    );
    let found = cycle(&top_level(&graph)).expect("a → b → c → a");
    assert_eq!(found, "a → b (a.rs:1), b → c (b.rs:1), c → a (c.rs:1)");
}

#[test]
fn a_use_of_a_crate_root_reexport_is_a_use_of_the_module_it_comes_from() {
    let dir = fixture(&[
        (
            "lib.rs",
            "pub mod net;\nmod sync;\npub use sync::Mode;\npub use net::{Block, Pool as P};\n",
        ),
        ("net.rs", "fn f(m: crate::Mode) {}\n"),
        ("sync.rs", "use crate::Block;\n"),
    ]);
    let graph = graph(dir.path());
    assert_eq!(
        graph["net"].keys().collect::<Vec<_>>(),
        ["sync"],
        "{graph:?}"
    );
    assert_eq!(
        graph["sync"].keys().collect::<Vec<_>>(),
        ["net"],
        "{graph:?}"
    );
    assert_eq!(
        cycle(&top_level(&graph)).as_deref(),
        Some("net → sync (net.rs:1), sync → net (sync.rs:1)")
    );
}

#[test]
fn a_folder_using_a_child_that_uses_the_folder_is_a_cycle() {
    let files = [
        ("lib.rs", "pub mod f;\n"),
        (
            "f/mod.rs",
            "mod x;\npub struct Shared;\npub fn run() { x::go() }\n",
        ),
        ("f/x.rs", "use super::Shared;\npub fn go() {}\n"),
    ];
    let found = cycle_in(&files).expect("f → f::x → f");
    assert_eq!(found, "f → f::x (f/mod.rs:3), f::x → f (f/x.rs:1)");
}

#[test]
fn a_folder_using_an_item_it_reexports_from_a_child_uses_the_child() {
    let files = [
        ("lib.rs", "pub mod f;\n"),
        (
            "f/mod.rs",
            "mod x;\npub use x::{Item as Named};\npub struct Shared;\npub struct Holder(Named);\n",
        ),
        ("f/x.rs", "use super::Shared;\npub struct Item;\n"),
    ];
    let found = cycle_in(&files).expect("f → f::x → f");
    assert_eq!(found, "f → f::x (f/mod.rs:4), f::x → f (f/x.rs:1)");
}

#[test]
fn a_folder_declaring_and_reexporting_its_children_does_not_use_them() {
    let files = [
        ("lib.rs", "pub mod f;\n"),
        (
            "f/mod.rs",
            "mod x;\npub(crate) mod y;\npub use x::Item;\npub struct Shared;\n",
        ),
        ("f/x.rs", "use super::Shared;\npub struct Item;\n"),
        ("f/y.rs", "use super::x::Item;\n"),
    ];
    assert_eq!(cycle_in(&files), None);
}

/// Every file below `src` that writes `use super::*;` outside a
/// test module, but is no part of a [`ONE_NAMESPACE`] folder.
fn glob_imports_of_the_parent(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).expect("below src");
        let module = module_of(rel);
        let shared =
            (1..module.len()).any(|d| ONE_NAMESPACE.contains(&module[..d].join("::").as_str()));
        if shared || rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap_or_default();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            let line = code_of(line).trim();
            if line.ends_with("use super::*;") {
                out.push(format!("{}:{}", rel.display(), n + 1));
            }
        }
    }
    out
}

#[test]
fn only_a_folder_of_one_namespace_is_imported_whole_by_its_children() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    assert_eq!(glob_imports_of_the_parent(&src), Vec::<String>::new());
}

#[test]
fn a_glob_import_of_the_parent_outside_a_folder_of_one_namespace_is_found() {
    let dir = fixture(&[
        ("lib.rs", "pub mod f;\npub mod yaml;\n"),
        ("f/mod.rs", "mod x;\n"),
        ("f/x.rs", "use super::*;\n"),
        ("yaml/mod.rs", "mod y;\n"),
        ("yaml/y.rs", "use super::*;\n"),
    ]);
    assert_eq!(glob_imports_of_the_parent(dir.path()), ["f/x.rs:1"]);
}

#[test]
fn a_cycle_between_a_nested_folder_and_its_child_is_found() {
    let files = [
        ("lib.rs", "pub mod a;\n"),
        ("a/mod.rs", "pub mod b;\n"),
        (
            "a/b/mod.rs",
            "mod c;\npub struct Shared;\npub fn run() { c::go() }\n",
        ),
        ("a/b/c.rs", "use super::Shared;\npub fn go() {}\n"),
    ];
    let found = cycle_in(&files).expect("a::b → a::b::c → a::b");
    assert_eq!(
        found,
        "a::b → a::b::c (a/b/mod.rs:3), a::b::c → a::b (a/b/c.rs:1)"
    );
}
