//! Free text from plan.toml cannot change the shape of an output. Names are
//! DNS-1123 labels; the free-text inputs are reserved and pool `note`s,
//! `[cilium] ip-annotation` and `[services.X] helm-service`. Each is set to
//! hostile strings and the build's outputs are parsed: a note, key or path may
//! add no YAML key or document, no Markdown table row, cell, line or HTML, and
//! must survive as one Rust string literal in `plan.rs`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{scratch_repo, snapshot};
use lbipam_core::build;
use yaml_serde::Value;

type Snapshot = BTreeMap<PathBuf, Vec<u8>>;

/// Strings that mean something to YAML, Markdown, HTML or a line-based report.
const HOSTILE: [&str; 12] = [
    "say \"hi\"",
    "key: value",
    "# not a comment",
    "line one\nevil: true",
    "first\r\n---\r\nkind: Secret",
    "</details><script>alert(1)</script>",
    "| forged | row |",
    "`code` *bold* _em_ [link](http://x) ![img](y)",
    "back\\slash \\n \\| \\`",
    "tab\tbell\u{7} del\u{7f} nel\u{85} ls\u{2028} bom\u{feff} nonchar\u{fffe}",
    "&lt; &amp; &#60;",
    "- item\n> quote\n\n| a | b |\n| --- | --- |",
];

/// `s` as a TOML basic string, escaped here rather than by the code under test.
fn toml_string(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The committed plan with edits; each `from` must occur in it.
fn plan_with(edits: &[(&str, String)]) -> String {
    let mut plan = std::fs::read_to_string(common::seed().join("plan.toml")).expect("plan.toml");
    for (from, to) in edits {
        assert!(plan.contains(from), "plan.toml must contain {from:?}");
        plan = plan.replacen(from, to, 1);
    }
    plan
}

/// Builds a scratch repository from `plan`, which must be valid; its files.
fn built(plan: &str) -> Snapshot {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out dir");
    std::fs::write(repo.path().join("plan.toml"), plan).expect("write plan");
    // These plans rename the ClusterMesh setting, so the HelmRelease that
    // substitutes it needs a default, or the build (as Flux) refuses it.
    common::edit(
        &repo
            .path()
            .join("kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml"),
        "${CLUSTERMESH_IP}",
        "${CLUSTERMESH_IP:=}",
    );
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}\n{plan}"));
    let mut files = snapshot(repo.path());
    let rs = std::fs::read(out.path().join("plan.rs")).expect("plan.rs");
    files.insert(PathBuf::from("$OUT_DIR/plan.rs"), rs);
    files
}

fn text(files: &Snapshot, path: &str) -> String {
    let bytes = files
        .get(Path::new(path))
        .unwrap_or_else(|| panic!("{path} was not written"));
    String::from_utf8(bytes.clone()).expect("UTF-8")
}

fn yaml_files(files: &Snapshot) -> BTreeMap<&PathBuf, String> {
    files
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "yaml"))
        .map(|(p, b)| (p, String::from_utf8(b.clone()).expect("UTF-8")))
        .collect()
}

fn yaml_docs(text: &str) -> Vec<Value> {
    yaml_serde::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{e}\n{text}")))
        .collect()
}

/// The cells of a Markdown table row: split on `|` not escaped by `\`.
fn cells(row: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = row.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let cell = out.last_mut().expect("a cell");
                cell.push(c);
                cell.extend(chars.next());
            }
            '|' => out.push(String::new()),
            c => out.last_mut().expect("a cell").push(c),
        }
    }
    out
}

/// Markup a cell's text would render instead of showing: anything but
/// backslash escapes, `&lt;`/`&gt;`/`&amp;` and closed code spans free of `<>`.
fn raw_markup(cell: &str) -> Vec<char> {
    let mut raw = Vec::new();
    let mut rest = cell;
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            let next = rest[1..].chars().next().map_or(0, char::len_utf8);
            rest = &rest[1 + next..];
            continue;
        }
        if let Some(entity) = ["&lt;", "&gt;", "&amp;"]
            .into_iter()
            .find(|e| rest.starts_with(e))
        {
            rest = &rest[entity.len()..];
            continue;
        }
        if c == '`' {
            let fence = rest.bytes().take_while(|&b| b == b'`').count();
            let body = &rest[fence..];
            let close = (0..body.len()).find(|&i| {
                body[i..].starts_with(&"`".repeat(fence))
                    && !body[..i].ends_with('`')
                    && !body[i + fence..].starts_with('`')
            });
            match close {
                Some(i) if !body[..i].contains(['<', '>']) => {
                    rest = &body[i + fence..];
                    continue;
                }
                _ => raw.push('`'),
            }
        } else if "<>[]*_&".contains(c) || c.is_control() {
            raw.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    raw
}

/// A Markdown file rendered with a hostile string has the same lines as with a
/// benign one, except the rows that held the benign marker; those keep their
/// cells, show no markup, and keep the hostile string's words.
fn assert_same_markdown_shape(path: &str, benign: &str, hostile: &str, marker: &str, words: &str) {
    let (b, h): (Vec<&str>, Vec<&str>) = (benign.lines().collect(), hostile.lines().collect());
    assert_eq!(
        b.len(),
        h.len(),
        "{path}: lines added or removed:\n{hostile}"
    );
    let mut rows = 0;
    for (b, h) in b.iter().zip(&h) {
        if !b.contains(marker) {
            assert_eq!(b, h, "{path}: a line without the free text changed");
            continue;
        }
        rows += 1;
        assert!(b.starts_with('|'), "{path}: {marker} in a table row: {b}");
        assert_eq!(cells(b).len(), cells(h).len(), "{path}: cells of {h:?}");
        for cell in cells(h) {
            assert_eq!(
                raw_markup(&cell),
                Vec::<char>::new(),
                "{path}: markup in {cell:?}"
            );
        }
        for word in words.split(|c: char| !c.is_alphanumeric()) {
            assert!(h.contains(word), "{path}: {word:?} lost from {h:?}");
        }
    }
    assert!(rows > 0, "{path}: the free text appears in no row");
}

/// The string literals of a Rust file.
fn string_literals(rust: &str) -> Vec<String> {
    struct Strings(Vec<String>);
    impl<'a> syn::visit::Visit<'a> for Strings {
        fn visit_lit_str(&mut self, lit: &'a syn::LitStr) {
            self.0.push(lit.value());
        }
    }
    let file = syn::parse_file(rust).unwrap_or_else(|e| panic!("plan.rs: {e}\n{rust}"));
    assert_eq!(file.items.len(), 2, "plan.rs holds PLAN and its proof only");
    let mut strings = Strings(Vec::new());
    syn::visit::visit_file(&mut strings, &file);
    strings.0
}

#[test]
fn hostile_notes_touch_no_yaml_and_stay_inside_their_markdown_cell() {
    let note_edits = |note: &str| {
        vec![
            (
                "note = \"BGP router / peer, ASN 64501\"",
                format!("note = {}", toml_string(note)),
            ),
            (
                "blocks = [\"10.25.11.100-10.25.11.119\"]\n",
                format!(
                    "blocks = [\"10.25.11.100-10.25.11.119\"]\nnote = {}\n",
                    toml_string(note)
                ),
            ),
        ]
    };
    let marker = "MARKER";
    let benign = built(&plan_with(&note_edits(marker)));
    let summary = "docs/IP-ALLOCATION-SUMMARY.md";
    assert_eq!(text(&benign, summary).matches(marker).count(), 2);
    for note in HOSTILE {
        let hostile = built(&plan_with(&note_edits(note)));
        assert_eq!(
            yaml_files(&hostile),
            yaml_files(&benign),
            "a note changed YAML: {note:?}"
        );
        assert_eq!(
            text(&hostile, "docs/architecture.md"),
            text(&benign, "docs/architecture.md")
        );
        assert_same_markdown_shape(
            summary,
            &text(&benign, summary),
            &text(&hostile, summary),
            marker,
            note,
        );
        let literals = string_literals(&text(&hostile, "$OUT_DIR/plan.rs"));
        assert_eq!(
            literals.iter().filter(|s| *s == note).count(),
            2,
            "plan.rs holds both notes verbatim: {note:?}"
        );
    }
}

/// Every key path of a YAML value: `a.b.c` as a list of keys.
fn key_paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if let Some(m) = v.as_mapping() {
        for (k, v) in m {
            let key = k
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("a key that does not read back as a string: {k:?}"));
            prefix.push(key);
            out.push(prefix.clone());
            key_paths(v, prefix, out);
            prefix.pop();
        }
    }
}

fn paths_of(text: &str) -> Vec<Vec<String>> {
    let docs = yaml_docs(text);
    assert_eq!(docs.len(), 1, "one document:\n{text}");
    let mut out = Vec::new();
    key_paths(&docs[0], &mut Vec::new(), &mut out);
    out.sort();
    out
}

const MESH_PINS: [(&str, &str); 2] = [("infra", "10.25.11.100"), ("apps", "10.25.11.120")];

#[test]
fn a_hostile_annotation_key_is_one_quoted_key_of_the_helm_values() {
    let annotation = |key: &str| {
        plan_with(&[(
            "ip-annotation = \"io.cilium/lb-ipam-ips\"",
            format!("ip-annotation = {}", toml_string(key)),
        )])
    };
    let benign = built(&annotation("example.com/marker"));
    // Whitespace and control characters are refused by the checks; everything
    // else is a legal mapping key that must come back exactly.
    let keys = [
        "a\"b'c\\d",
        "x:y#z",
        "</details>&amp;",
        "-item",
        "{flow}[seq],",
        "&anchor*alias!tag%dir@at?q|lit>fold",
        "'single'",
        "true",
        "~",
        "0x1F",
        "yes",
        "bom\u{feff}nonchar\u{fffe}\u{ffff}",
    ];
    for key in keys {
        let hostile = built(&annotation(key));
        for (cluster, ip) in MESH_PINS {
            let path = format!("bootstrap/clusters/{cluster}/cilium-values.yaml");
            let (b, h) = (text(&benign, &path), text(&hostile, &path));
            let swap = |paths: Vec<Vec<String>>| -> Vec<Vec<String>> {
                let mut swapped: Vec<Vec<String>> = paths
                    .into_iter()
                    .map(|p| {
                        p.into_iter()
                            .map(|k| {
                                if k == key {
                                    "example.com/marker".into()
                                } else {
                                    k
                                }
                            })
                            .collect()
                    })
                    .collect();
                swapped.sort();
                swapped
            };
            assert_eq!(swap(paths_of(&h)), paths_of(&b), "{path}: {key:?}\n{h}");
            let annotations =
                &yaml_docs(&h)[0]["clustermesh"]["apiserver"]["service"]["annotations"];
            assert_eq!(annotations[key].as_str(), Some(ip), "{path}: {key:?}\n{h}");
        }
        fn others(files: &Snapshot) -> BTreeMap<&PathBuf, String> {
            let mut y = yaml_files(files);
            y.retain(|p, _| !p.ends_with("cilium-values.yaml"));
            y
        }
        assert_eq!(
            others(&hostile),
            others(&benign),
            "{key:?} reached other YAML"
        );
    }
}

#[test]
fn a_hostile_helm_values_path_nests_quoted_keys_and_stays_inside_its_markdown_cell() {
    let helm = |path: &str| {
        plan_with(&[(
            "helm-service = \"clustermesh.apiserver.service\"",
            format!("helm-service = {}", toml_string(path)),
        )])
    };
    let marker = "marker.apiserver.service";
    let benign = built(&helm(marker));
    for path in [
        "clustermesh.api server: x.#svc",
        "a\"b.c`d.</details>",
        "svc.line\nevil: true",
        "one | two.three",
        "x.y\r\n---\r\nkind: Secret",
        "`code`.*b*.[l](u)",
    ] {
        let hostile = built(&helm(path));
        let keys: Vec<&str> = path.split('.').collect();
        for (cluster, ip) in MESH_PINS {
            let file = format!("bootstrap/clusters/{cluster}/cilium-values.yaml");
            let h = text(&hostile, &file);
            let mut service = &yaml_docs(&h)[0];
            for k in &keys {
                service = &service[*k];
            }
            assert_eq!(
                service["annotations"]["io.cilium/lb-ipam-ips"].as_str(),
                Some(ip),
                "{file}: {path:?}\n{h}"
            );
            assert_eq!(service["type"].as_str(), Some("LoadBalancer"));
            let added: Vec<Vec<String>> = paths_of(&h)
                .into_iter()
                .filter(|p| !paths_of(&text(&benign, &file)).contains(p))
                .collect();
            assert!(
                added.iter().all(|p| p[0] == keys[0]),
                "{file}: keys outside {:?}: {added:?}",
                keys[0]
            );
        }
        let summary = "docs/IP-ALLOCATION-SUMMARY.md";
        assert_same_markdown_shape(
            summary,
            &text(&benign, summary),
            &text(&hostile, summary),
            marker,
            path,
        );
    }
}

#[test]
fn names_yaml_would_read_as_booleans_numbers_or_null_are_quoted_strings() {
    // Valid DNS-1123 labels that YAML 1.1 (kubectl's parser) or YAML 1.2 reads
    // as something other than a string when written plain: each names a pool
    // of cluster infra and a Flux Kustomization its cilium-ipam depends on.
    let names = [
        "yes", "no", "on", "off", "y", "n", "true", "false", "null", "123", "0777", "0x1f",
        "0b101", "1e3", "0o17",
    ];
    let pools: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(
                "[clusters.infra.pools.{n}]\nblocks = [\"10.25.11.{}\"]\n\n",
                140 + i
            )
        })
        .collect();
    let deps: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let plan = plan_with(&[
        (
            "[clusters.infra.pins]",
            format!("{pools}[clusters.infra.pins]"),
        ),
        (
            "depends-on = [\"cilium-core\"]",
            format!("depends-on = [\"cilium-core\", {}]", deps.join(", ")),
        ),
    ]);
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out dir");
    std::fs::write(repo.path().join("plan.toml"), &plan).expect("write");
    for cluster in ["infra", "apps"] {
        let flux = repo
            .path()
            .join(format!("kubernetes/clusters/{cluster}/infrastructure.yaml"));
        let mut text = std::fs::read_to_string(&flux).expect("read");
        for name in names {
            text.push_str(&format!(
                "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: \"{name}\"\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: ./x\n"
            ));
        }
        std::fs::write(&flux, text).expect("write");
    }
    // The directory those Kustomizations apply, so the build can resolve them.
    std::fs::create_dir_all(repo.path().join("x")).expect("mkdir");
    std::fs::write(repo.path().join("x/kustomization.yaml"), "resources: []\n").expect("write");
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let quoted = |text: &str, prefix: &str, name: &str| {
        text.contains(&format!("{prefix}'{name}'\n"))
            || text.contains(&format!("{prefix}\"{name}\"\n"))
    };

    let pool_file = "kubernetes/infrastructure/networking/cilium/ipam/infra/lb-ippool-infra.yaml";
    let pool = std::fs::read_to_string(repo.path().join(pool_file)).expect("pool");
    let got: Vec<Value> = yaml_docs(&pool)
        .iter()
        .map(|d| d["metadata"]["name"].clone())
        .collect();
    let mut want = vec![Value::String("infra-pool".to_owned())];
    want.extend(names.iter().map(|n| Value::String((*n).to_owned())));
    assert_eq!(got, want, "{pool}");

    let flux_file = "kubernetes/clusters/infra/infrastructure.yaml";
    let flux = std::fs::read_to_string(repo.path().join(flux_file)).expect("flux");
    let ipam: Vec<Value> = yaml_docs(&flux)
        .into_iter()
        .filter(|d| d["metadata"]["name"].as_str() == Some("cilium-ipam"))
        .collect();
    assert_eq!(ipam.len(), 1, "{flux}");
    let deps: Vec<&Value> = ipam[0]["spec"]["dependsOn"]
        .as_sequence()
        .expect("dependsOn")
        .iter()
        .map(|d| &d["name"])
        .collect();
    assert_eq!(deps[1..], want[1..].iter().collect::<Vec<_>>(), "{flux}");

    for name in names {
        assert!(
            quoted(&pool, "  name: ", name),
            "{name} unquoted in:\n{pool}"
        );
        assert!(
            quoted(&flux, "  - name: ", name),
            "{name} unquoted in:\n{flux}"
        );
    }
}

#[test]
fn setting_keys_yaml_would_read_as_booleans_numbers_or_null_stay_string_keys() {
    // cluster-settings keys may be any of `[-._a-zA-Z0-9]+`; these read as
    // something other than a string in YAML 1.1 or 1.2 when written plain.
    let pairs = [
        ("true", "Yes"),
        ("null", "1e3"),
        ("0x1F", ".inf"),
        ("-", "1_000"),
        ("0b101", "NO"),
    ];
    for (mesh, gateway) in pairs {
        let plan = plan_with(&[
            (
                "setting = \"CLUSTERMESH_IP\"",
                format!("setting = \"{mesh}\""),
            ),
            (
                "setting = \"CILIUM_GATEWAY_LB_IP\"",
                format!("setting = \"{gateway}\""),
            ),
        ]);
        let files = built(&plan);
        for (cluster, mesh_ip, gateway_ip) in [
            ("infra", "10.25.11.100", "10.25.11.110"),
            ("apps", "10.25.11.120", "10.25.11.121"),
        ] {
            let path = format!("kubernetes/clusters/{cluster}/cluster-settings.yaml");
            let text = text(&files, &path);
            let data = &yaml_docs(&text)[0]["data"];
            let keys = data.as_mapping().expect("data is a mapping");
            assert!(
                keys.keys().all(|k| k.as_str().is_some()),
                "{path}: every key is a string:\n{text}"
            );
            assert_eq!(data[mesh].as_str(), Some(mesh_ip), "{path}:\n{text}");
            assert_eq!(data[gateway].as_str(), Some(gateway_ip), "{path}:\n{text}");
        }
    }
}
