//! The kustomize model against the real kustomize: every case directory of
//! `core/tests/fixtures/kustomize/` is built by the model and compared with its
//! committed `expected.yaml`, which `regen.sh` there wrote with `kubectl
//! kustomize`; where kubectl is on PATH, it is run again and compared too.
//!
//! The comparison is of parsed objects, order-insensitive: kustomize's
//! default (`legacy`) output order sorts by kind (Namespaces first, then RBAC,
//! ConfigMaps, Secrets, Services, workloads, ...), while the model keeps the
//! order objects are reached in.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use lbipam_core::flux::kustomize::{Strictness, Walker};
use lbipam_core::tree::{Documents, Tree};
use yaml_serde::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kustomize")
}

fn cases() -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(fixtures())
        .expect("fixtures")
        .flatten()
        .filter(|e| e.path().join("kustomization.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    assert!(out.len() >= 5, "the cases: {out:?}");
    out
}

/// Objects sorted by apiVersion, kind, namespace and name.
fn sorted(mut objects: Vec<Value>) -> Vec<Value> {
    let key = |v: &Value| {
        let s = |p: &Value| p.as_str().unwrap_or("").to_owned();
        (
            s(&v["apiVersion"]),
            s(&v["kind"]),
            s(&v["metadata"]["namespace"]),
            s(&v["metadata"]["name"]),
        )
    };
    objects.sort_by_key(key);
    objects
}

fn parsed(name: &str, text: &str) -> Vec<Value> {
    let docs = Documents::read(Path::new(name), text);
    assert!(docs.errors.is_empty(), "{name}: {:?}", docs.errors);
    sorted(docs.objects.iter().map(|(_, v)| (**v).clone()).collect())
}

/// The model's build of a case, with every problem it met.
fn model(case: &str) -> Vec<Value> {
    let tree = Tree::disk(&fixtures());
    let mut walker = Walker::new(&tree, Strictness::Strict);
    let objects = walker.build(Path::new(case), &[case.to_owned()], None, false);
    assert!(walker.problems.is_empty(), "{case}: {:#?}", walker.problems);
    sorted(objects.iter().map(|o| (*o.value).clone()).collect())
}

/// Fails naming each object that differs (or is missing on either side).
fn assert_same(case: &str, what: &str, want: &[Value], got: &[Value]) {
    let show = |v: &Value| yaml_serde::to_string(v).unwrap_or_default();
    let mut diffs = Vec::new();
    for w in want {
        if !got.contains(w) {
            diffs.push(format!("--- {what} has\n{}", show(w)));
        }
    }
    for g in got {
        if !want.contains(g) {
            diffs.push(format!("--- the model has\n{}", show(g)));
        }
    }
    assert!(
        diffs.is_empty(),
        "{case}: the model differs from {what}\n{}",
        diffs.join("\n")
    );
}

#[test]
fn the_model_builds_every_case_as_the_committed_kubectl_kustomize_output() {
    for case in cases() {
        let text = fs::read_to_string(fixtures().join(&case).join("expected.yaml"))
            .expect("expected.yaml");
        assert_same(&case, "expected.yaml", &parsed(&case, &text), &model(&case));
    }
}

#[test]
fn the_model_builds_every_case_as_kubectl_kustomize_does_when_kubectl_is_here() {
    let Ok(probe) = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
    else {
        eprintln!("kubectl is not on PATH: compared with the committed expected.yaml only");
        return;
    };
    if !probe.status.success() {
        eprintln!("kubectl does not run here: compared with the committed expected.yaml only");
        return;
    }
    for case in cases() {
        let out = Command::new("kubectl")
            .arg("kustomize")
            .arg(fixtures().join(&case))
            .output()
            .expect("kubectl kustomize");
        assert!(
            out.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert_same(
            &case,
            "kubectl kustomize",
            &parsed(&case, &text),
            &model(&case),
        );
    }
}

/// `kubectl kustomize` (kustomize v5) builds a kustomization file from its
/// first document and ignores the rest: `resources: [a.yaml]` then `---` and
/// `resources: [b.yaml]` gives ConfigMap a alone. The model builds the same and
/// says, as a note, which document it left out.
#[test]
fn a_kustomization_file_is_built_from_its_first_document_as_kustomize_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let case = dir.path().join("multi");
    fs::create_dir_all(&case).expect("dir");
    let map = |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
    fs::write(case.join("a.yaml"), map("a")).expect("write");
    fs::write(case.join("b.yaml"), map("b")).expect("write");
    let kustomization = "resources: [a.yaml]\n---\nresources: [b.yaml]\n";
    fs::write(case.join("kustomization.yaml"), kustomization).expect("write");
    let tree = Tree::disk(dir.path());
    let mut walker = Walker::new(&tree, Strictness::Strict);
    let objects = walker.build(Path::new("multi"), &["multi".to_owned()], None, false);
    let names: Vec<&str> = objects
        .iter()
        .filter_map(|o| o.value["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["a"]);
    let problems: Vec<_> = walker
        .problems
        .iter()
        .map(|p| (p.code.as_str(), p.note, p.at.clone()))
        .collect();
    assert_eq!(
        problems,
        [(
            "ignored-document",
            true,
            Some((PathBuf::from("multi/kustomization.yaml"), 3))
        )]
    );
}

/// Whether `kubectl kustomize` builds `dir`, where kubectl runs here.
fn kubectl_builds(dir: &Path) -> Option<bool> {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A kubectl that cannot run at all says so before it reads anything.
    (out.status.success() || stderr.contains("kustomization")).then_some(out.status.success())
}

/// `kubectl kustomize` (kustomize v5) refuses a kustomization file whose first
/// YAML document sets nothing but `apiVersion` and `kind` ("kustomization.yaml
/// is empty") — an empty file, `{}`, or an empty document before the one that
/// says something — but reads a comment before the first `---` as no document
/// and `resources: []` as something. The model refuses and accepts the same.
#[test]
fn an_empty_first_document_is_refused_as_kustomize_refuses_it() {
    let cases = [
        ("", false),
        ("{}\n", false),
        ("# only a comment\n", false),
        (
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
            false,
        ),
        ("---\n---\nresources: [a.yaml]\n", false),
        ("---\n# nothing\n---\nresources: [a.yaml]\n", false),
        ("# header\n---\nresources: [a.yaml]\n", true),
        ("---\nresources: [a.yaml]\n", true),
        ("resources: []\n", true),
        ("namespace: x\n", true),
    ];
    for (kustomization, builds) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let case = dir.path().join("k");
        fs::create_dir_all(&case).expect("dir");
        let map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
        fs::write(case.join("a.yaml"), map).expect("write");
        fs::write(case.join("kustomization.yaml"), kustomization).expect("write");
        let tree = Tree::disk(dir.path());
        let mut walker = Walker::new(&tree, Strictness::Strict);
        walker.build(Path::new("k"), &["k".to_owned()], None, false);
        let refused: Vec<_> = walker.problems.iter().filter(|p| !p.note).collect();
        assert_eq!(refused.is_empty(), builds, "{kustomization:?}: {refused:?}");
        if !builds {
            assert_eq!(refused[0].code.as_str(), "invalid-kustomization");
            assert!(refused[0].message.contains("is empty"), "{refused:?}");
        }
        if let Some(kubectl) = kubectl_builds(&case) {
            assert_eq!(kubectl, builds, "kubectl kustomize on {kustomization:?}");
        }
    }
}

/// Flux's rule for a path without a kustomization file (kustomize-controller
/// generates one): every manifest below it, and a subdirectory with a
/// kustomization file of its own as one resource, built by that file.
#[test]
fn a_flux_path_without_a_kustomization_file_lists_its_manifests_and_stops_at_a_nested_kustomization()
 {
    let dir = tempfile::tempdir().expect("temp dir");
    let cm = |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
    for (path, text) in [
        ("app/top.yaml", cm("top")),
        ("app/deep/inner.yml", cm("inner")),
        ("app/notes.txt", "not a manifest\n".to_owned()),
        (
            "app/own/kustomization.yaml",
            "resources:\n  - listed.yaml\n".to_owned(),
        ),
        ("app/own/listed.yaml", cm("listed")),
        ("app/own/unlisted.yaml", cm("unlisted")),
    ] {
        let file = dir.path().join(path);
        fs::create_dir_all(file.parent().expect("a parent")).expect("mkdir");
        fs::write(file, text).expect("write");
    }
    let tree = Tree::disk(dir.path());
    let mut walker = Walker::new(&tree, Strictness::Strict);
    let objects = walker.build(Path::new("app"), &["app".to_owned()], None, true);
    assert!(walker.problems.is_empty(), "{:#?}", walker.problems);
    let mut built: Vec<(String, &str)> = objects
        .iter()
        .map(|o| (o.source.display().to_string(), o.name()))
        .collect();
    built.sort();
    assert_eq!(
        built,
        [
            ("app/deep/inner.yml".to_owned(), "inner"),
            ("app/own/listed.yaml".to_owned(), "listed"),
            ("app/top.yaml".to_owned(), "top"),
        ]
    );
}
