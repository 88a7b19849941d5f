//! Issue 5, part 2: every object in the repository — generated or hand-written —
//! is valid against the types generated from the upstream CRDs (Cilium, Flux) and
//! Kubernetes' own, strictly: an unknown or misspelled field, a wrong type or enum
//! value, a missing required field, or a namespace on a cluster-scoped kind fails
//! (`tests/common/schema.rs` explains how and what it does not check).
//!
//! The gate runs twice: on every YAML file under `kubernetes/` as written
//! ([`schema_gate`]), and on what Flux applies to each cluster after kustomize and
//! post-build substitution ([`applied_schema_gate`]). Both run on the committed
//! repository and on scratch copies broken the ways issue 5 lists.

mod common;
#[path = "common/schema.rs"]
mod schema;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::{edit, repo, scratch_repo};
use lbipam_plan::PLAN;
use lbipam_plan::audit::parse_documents;
use lbipam_plan::resolve::resolve_cluster;
use schema::{KINDS, Scope, check_object};

/// What a schema gate saw and found.
#[derive(Debug, Default)]
struct Checked {
    /// `apiVersion kind` of every object checked.
    kinds: BTreeSet<String>,
    /// Every problem, as `file:line: Kind/name: problem` (the line a document starts on).
    problems: Vec<String>,
}

impl Checked {
    fn object(&mut self, at: &str, value: &yaml_serde::Value) {
        self.kinds.insert(format!(
            "{} {}",
            value["apiVersion"].as_str().unwrap_or("?"),
            value["kind"].as_str().unwrap_or("?")
        ));
        if let Err(e) = check_object(value) {
            self.problems
                .extend(e.lines().map(|line| format!("{at}: {line}")));
        }
    }
}

/// Every YAML file under `root/kubernetes`, relative to `root`, sorted.
fn manifests(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![PathBuf::from("kubernetes")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(root.join(&dir)).expect("read_dir") {
            let entry = entry.expect("entry");
            let rel = dir.join(entry.file_name());
            if entry.file_type().expect("file type").is_dir() {
                dirs.push(rel);
            } else if rel.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

/// The schema gate on the files as written: every object of every YAML file
/// under `kubernetes/` of the repository at `root`.
fn schema_gate(root: &Path) -> Checked {
    let mut checked = Checked::default();
    for path in manifests(root) {
        let text = fs::read_to_string(root.join(&path)).expect("read");
        let (objects, errors) = parse_documents(&path, &text);
        checked
            .problems
            .extend(errors.iter().map(|e| e.to_string()));
        if objects.is_empty() && errors.is_empty() {
            checked.problems.push(format!(
                "{}: no Kubernetes object in the file",
                path.display()
            ));
        }
        for (line, value) in objects {
            checked.object(&format!("{}:{line}", path.display()), &value);
        }
    }
    checked
}

/// The schema gate on what Flux applies: every object of every cluster of `PLAN`,
/// as the resolver builds it from the repository at `root`.
fn applied_schema_gate(root: &Path) -> Checked {
    let mut checked = Checked::default();
    for cluster in PLAN.clusters.iter() {
        let c = cluster.name.item.as_ref();
        match resolve_cluster(root, c) {
            Err(errors) => checked.problems.extend(
                errors
                    .iter()
                    .map(|e| format!("cluster {c}: cannot be built: {e}")),
            ),
            Ok(build) => {
                for o in build.objects() {
                    let at = format!("cluster {c}: {}:{}", o.source.display(), o.line);
                    checked.object(&at, &o.value);
                }
            }
        }
    }
    checked
}

fn assert_reports(checked: &Checked, expected: &str) {
    assert!(
        checked.problems.iter().any(|p| p == expected),
        "the schema gate must report\n  {expected}\nit reported:\n  {}",
        checked.problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------
// The committed repository.

/// What the repository holds today; a kind missing here means the gate checked
/// less than it claims.
const EXPECTED_KINDS: [&str; 6] = [
    "cilium.io/v2alpha1 CiliumLoadBalancerIPPool",
    "helm.toolkit.fluxcd.io/v2 HelmRelease",
    "kustomize.config.k8s.io/v1beta1 Kustomization",
    "kustomize.toolkit.fluxcd.io/v1 Kustomization",
    "source.toolkit.fluxcd.io/v1 HelmRepository",
    "v1 ConfigMap",
];

#[test]
fn every_manifest_under_kubernetes_passes_the_strict_schema_check() {
    let checked = schema_gate(repo());
    assert!(
        checked.problems.is_empty(),
        "manifests that the cluster would reject or misread:\n  {}\nfix the files named (generated ones: edit plan.toml and run `cargo build`)",
        checked.problems.join("\n  ")
    );
    let kinds: Vec<&str> = checked.kinds.iter().map(String::as_str).collect();
    assert_eq!(kinds, EXPECTED_KINDS, "the kinds the gate checked");
}

#[test]
fn everything_flux_applies_to_each_cluster_passes_the_strict_schema_check() {
    let checked = applied_schema_gate(repo());
    assert!(
        checked.problems.is_empty(),
        "objects Flux would apply that the cluster would reject or misread:\n  {}",
        checked.problems.join("\n  ")
    );
    // The cluster files (Flux Kustomizations, cluster-settings) and both builds.
    for kind in [
        "cilium.io/v2alpha1 CiliumLoadBalancerIPPool",
        "helm.toolkit.fluxcd.io/v2 HelmRelease",
        "kustomize.toolkit.fluxcd.io/v1 Kustomization",
        "source.toolkit.fluxcd.io/v1 HelmRepository",
        "v1 ConfigMap",
    ] {
        assert!(
            checked.kinds.contains(kind),
            "{kind} not among {:?}",
            checked.kinds
        );
    }
}

#[test]
fn the_scope_column_of_the_schema_table_agrees_with_the_generated_types() {
    for k in KINDS {
        match (k.generated)() {
            None => assert_eq!(k.scope, Scope::BuildFile, "{} {}", k.api_version, k.kind),
            Some((api_version, kind, scope)) => assert_eq!(
                (api_version.as_str(), kind.as_str(), scope),
                (k.api_version, k.kind, k.scope),
                "table row disagrees with its generated type"
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// Scratch copies broken the ways issue 5 lists.

const APPS_POOL: &str = "kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml";
const APPS_FLUX: &str = "kubernetes/clusters/apps/infrastructure.yaml";

#[test]
fn a_misspelled_service_selector_fails_both_gates() {
    let repo = scratch_repo();
    edit(
        &repo.path().join(APPS_POOL),
        "serviceSelector",
        "serviceSelecter",
    );
    let expected = "CiliumLoadBalancerIPPool/apps-pool: unknown field spec.serviceSelecter";
    let checked = schema_gate(repo.path());
    assert_reports(&checked, &format!("{APPS_POOL}:1: {expected}"));
    assert_eq!(checked.problems.len(), 1, "{:#?}", checked.problems);
    assert_reports(
        &applied_schema_gate(repo.path()),
        &format!("cluster apps: {APPS_POOL}:1: {expected}"),
    );
}

#[test]
fn a_namespaced_pool_fails_the_schema_gate() {
    let repo = scratch_repo();
    edit(
        &repo.path().join(APPS_POOL),
        "name: apps-pool\n",
        "name: apps-pool\n  namespace: kube-system\n",
    );
    assert_reports(
        &schema_gate(repo.path()),
        &format!(
            "{APPS_POOL}:1: CiliumLoadBalancerIPPool/apps-pool: metadata.namespace is set (\"kube-system\") but CiliumLoadBalancerIPPool is cluster-scoped"
        ),
    );
}

#[test]
fn allow_first_last_ips_yes_in_lowercase_fails_the_schema_gate() {
    let repo = scratch_repo();
    edit(
        &repo.path().join(APPS_POOL),
        "  serviceSelector: {}\n",
        "  serviceSelector: {}\n  allowFirstLastIPs: \"yes\"\n",
    );
    let checked = schema_gate(repo.path());
    let problem = checked
        .problems
        .iter()
        .find(|p| p.contains("spec.allowFirstLastIPs"))
        .unwrap_or_else(|| panic!("no allowFirstLastIPs problem in {:#?}", checked.problems));
    assert!(
        problem.starts_with(&format!(
            "{APPS_POOL}:1: CiliumLoadBalancerIPPool/apps-pool: invalid field spec.allowFirstLastIPs: unknown variant `yes`"
        )),
        "{problem}"
    );
    // The CRD's own spelling passes: the check is about the value, not the field.
    edit(&repo.path().join(APPS_POOL), "\"yes\"", "\"Yes\"");
    assert_eq!(schema_gate(repo.path()).problems, Vec::<String>::new());
}

#[test]
fn a_flux_kustomization_without_source_ref_fails_the_schema_gate() {
    let repo = scratch_repo();
    let path = repo.path().join(APPS_FLUX);
    let text = fs::read_to_string(&path).expect("read");
    let source_ref = "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n  path: ./kubernetes/infrastructure/networking/cilium/ipam/apps\n";
    assert!(text.contains(source_ref), "{text}");
    fs::write(
        &path,
        text.replace(
            source_ref,
            "  path: ./kubernetes/infrastructure/networking/cilium/ipam/apps\n",
        ),
    )
    .expect("write");
    assert_eq!(
        schema_gate(repo.path()).problems,
        [format!(
            "{APPS_FLUX}:25: Kustomization.kustomize.toolkit.fluxcd.io/cilium-ipam: missing required field spec.sourceRef"
        )]
    );
}

#[test]
fn a_misspelled_depends_on_in_a_hand_written_file_fails_the_schema_gate() {
    // Flux would silently drop the ordering: cilium-ipam before the CNI is up.
    let repo = scratch_repo();
    edit(&repo.path().join(APPS_FLUX), "  dependsOn:", "  dependOn:");
    assert_eq!(
        schema_gate(repo.path()).problems,
        [format!(
            "{APPS_FLUX}:25: Kustomization.kustomize.toolkit.fluxcd.io/cilium-ipam: unknown field spec.dependOn"
        )]
    );
}

#[test]
fn a_chart_version_written_as_a_number_fails_the_schema_gate() {
    let repo = scratch_repo();
    let release = "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml";
    edit(
        &repo.path().join(release),
        "version: \"1.18.4\"",
        "version: 1.18",
    );
    let checked = schema_gate(repo.path());
    assert!(
        checked.problems.len() == 1
            && checked.problems[0].starts_with(&format!(
                "{release}:1: HelmRelease/cilium: invalid field spec.chart.spec.version"
            )),
        "{:#?}",
        checked.problems
    );
}

#[test]
fn a_cluster_setting_that_is_not_a_string_fails_the_schema_gate() {
    let repo = scratch_repo();
    let settings = "kubernetes/clusters/infra/cluster-settings.yaml";
    edit(
        &repo.path().join(settings),
        "CLUSTER_ID: \"1\"",
        "CLUSTER_ID: 1",
    );
    let checked = schema_gate(repo.path());
    assert!(
        checked.problems.len() == 1
            && checked.problems[0].starts_with(&format!(
                "{settings}:1: ConfigMap/cluster-settings: invalid field data.CLUSTER_ID"
            )),
        "{:#?}",
        checked.problems
    );
}
