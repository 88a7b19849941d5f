//! The lenient reach (`flux::reach`): which files of a repository are objects,
//! on a small tree shaped like a Flux home-lab repository — a cluster directory,
//! an app's `ks.yaml` whose path has patches, a Helm chart, a directory without a
//! kustomization file that a FluxInstance syncs, and references it cannot follow.

use std::fs;
use std::path::{Path, PathBuf};

use lbipam_core::flux::reach::{Resources, resources};
use lbipam_core::tree::Tree;

const PLAN: &str = "[network]\ncidr = \"10.0.0.0/24\"\n\n[clusters.home.pools.lb]\nblocks = [\"10.0.0.10-10.0.0.19\"]\n";

const SOURCE: &str = "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";

fn flux(name: &str, path: &str, extra: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n{SOURCE}  path: {path}\n{extra}"
    )
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// The reach of the repository `files` make, with the default layout.
fn reach(files: &[(&str, &str)]) -> Resources {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    let plan = lbipam_core::check::compile(PLAN).expect("a valid plan");
    resources(&Tree::disk(dir.path()), &plan)
}

fn paths(files: &Resources) -> Vec<String> {
    files
        .files
        .keys()
        .map(|p| p.display().to_string())
        .collect()
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";

#[test]
fn a_chart_template_and_a_values_file_are_no_objects_but_what_the_kustomization_lists_is() {
    let found = reach(&[
        (
            "kubernetes/clusters/home/apps.yaml",
            &flux("apps", "./kubernetes/apps", ""),
        ),
        (
            "kubernetes/apps/kustomization.yaml",
            "resources:\n  - ./cm.yaml\n",
        ),
        ("kubernetes/apps/cm.yaml", CM),
        ("kubernetes/apps/values.yaml", "replicas: 2\n"),
        (
            "kubernetes/charts/echo/templates/svc.yaml",
            "kind: {{ .Values.kind }}\n",
        ),
    ]);
    assert_eq!(
        paths(&found),
        [
            "kubernetes/apps/cm.yaml",
            "kubernetes/clusters/home/apps.yaml"
        ]
    );
    assert_eq!(
        found.kustomizations.iter().collect::<Vec<_>>(),
        [&PathBuf::from("kubernetes/apps/kustomization.yaml")]
    );
}

#[test]
fn an_object_a_flux_kustomization_patches_is_recorded_by_the_line_its_document_starts_on() {
    let patch = "  patches:\n    - target:\n        kind: ConfigMap\n      patch: |\n        - op: add\n          path: /data\n          value: {a: b}\n";
    let found = reach(&[
        (
            "kubernetes/clusters/home/apps.yaml",
            &flux("apps", "./kubernetes/apps", patch),
        ),
        (
            "kubernetes/apps/kustomization.yaml",
            "resources:\n  - ./cm.yaml\n",
        ),
        (
            "kubernetes/apps/cm.yaml",
            &format!("# a comment\n---\n{CM}"),
        ),
    ]);
    let lines: Vec<usize> = found.files[Path::new("kubernetes/apps/cm.yaml")]
        .iter()
        .copied()
        .collect();
    assert_eq!(lines, [3], "the document after `---` on line 2");
}

#[test]
fn a_directory_without_a_kustomization_file_is_read_when_a_flux_instance_syncs_it() {
    let instance = "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\nspec:\n  sync:\n    kind: GitRepository\n    url: https://example.com/r.git\n    ref: refs/heads/main\n    path: ./kubernetes/operator\n";
    let without = reach(&[("kubernetes/operator/cm.yaml", CM)]);
    assert!(without.files.is_empty(), "{:?}", paths(&without));
    let with = reach(&[
        ("kubernetes/operator/cm.yaml", CM),
        ("kubernetes/clusters/home/instance.yaml", instance),
    ]);
    assert_eq!(
        paths(&with),
        [
            "kubernetes/clusters/home/instance.yaml",
            "kubernetes/operator/cm.yaml"
        ]
    );
}

#[test]
fn references_it_cannot_follow_are_recorded_with_their_codes_and_the_rest_is_read() {
    let found = reach(&[
        (
            "kubernetes/clusters/home/apps.yaml",
            &format!(
                "{}---\n{}---\n{}",
                flux("gone", "./kubernetes/gone", ""),
                flux("out", "./elsewhere", ""),
                flux("apps", "./kubernetes/apps", "")
            ),
        ),
        ("elsewhere/cm.yaml", CM),
        (
            "kubernetes/apps/kustomization.yaml",
            "resources:\n  - ./cm.yaml\n  - https://example.com/base.yaml\n",
        ),
        ("kubernetes/apps/cm.yaml", CM),
    ]);
    let mut codes: Vec<&str> = found.unfollowed.iter().map(|e| e.code()).collect();
    codes.sort();
    assert_eq!(
        codes,
        ["missing-resource", "outside-audit", "remote-resource"],
        "{:#?}",
        found.unfollowed
    );
    assert!(
        found
            .files
            .contains_key(Path::new("kubernetes/apps/cm.yaml"))
    );
}

#[test]
fn a_problem_of_a_flux_kustomizations_own_patches_is_at_that_kustomization() {
    let bad = "  patches:\n    - target:\n        kind: ConfigMap\n";
    let found = reach(&[
        (
            "kubernetes/clusters/home/apps.yaml",
            &flux("apps", "./kubernetes/apps", bad),
        ),
        (
            "kubernetes/apps/kustomization.yaml",
            "resources:\n  - ./cm.yaml\n",
        ),
        ("kubernetes/apps/cm.yaml", CM),
    ]);
    let places: Vec<(String, String)> = found
        .unfollowed
        .iter()
        .map(|e| match e.location() {
            lbipam_core::diag::error::Location::File { path, .. } => {
                (e.code().to_owned(), path.display().to_string())
            }
            other => panic!("a file finding: {other:?}"),
        })
        .collect();
    assert_eq!(
        places,
        [(
            "invalid-patch".to_owned(),
            "kubernetes/clusters/home/apps.yaml".to_owned()
        )],
        "not at the directory the Kustomization applies"
    );
}
