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

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/common/schema.rs"]
mod schema;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::{edit, repo, scratch_repo};
use lbipam_plan::PLAN;
use lbipam_plan::audit::parse_documents;
use lbipam_plan::resolve::resolve_cluster;
use schema::check_object;

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
        match resolve_cluster(&lbipam_plan::tree::Tree::disk(root), c) {
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

// ---------------------------------------------------------------------------
// The checker itself (brought in with tests/common/schema.rs): what it rejects,
// and what it must not.

mod checker {
    use super::schema::{KINDS, Scope, check_object, check_yaml, lost_or_changed};

    const POOL: &str = r#"
apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata:
  name: infra-pool
spec:
  blocks:
    - start: "10.25.11.100"
      stop: "10.25.11.119"
  serviceSelector: {}
"#;

    const FLUX_KS: &str = r#"
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cilium-ipam
  namespace: flux-system
spec:
  interval: 10m
  prune: true
  wait: true
  timeout: 5m
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  path: ./kubernetes/infrastructure/networking/cilium/ipam/infra
  dependsOn:
    - name: cilium-core
"#;

    const KUSTOMIZE: &str = r#"
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - lb-ippool-infra.yaml
"#;

    const HELM_REPO: &str = r#"
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: cilium
  namespace: flux-system
spec:
  interval: 1h
  url: https://helm.cilium.io/
"#;

    const HELM_RELEASE: &str = r#"
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cilium
  namespace: kube-system
spec:
  interval: 30m
  chart:
    spec:
      chart: cilium
      version: "1.18.2"
      sourceRef:
        kind: HelmRepository
        name: cilium
        namespace: flux-system
  install:
    crds: CreateReplace
  upgrade:
    crds: CreateReplace
  values:
    kubeProxyReplacement: true
    k8sServicePort: 6443
    ipam:
      mode: kubernetes
    l2announcements:
      enabled: false
    bgpControlPlane:
      enabled: true
    operator:
      replicas: 2
    tolerations:
      - operator: Exists
    ratio: 0.5
"#;

    const CONFIG_MAP: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  CLUSTER: infra
  CLUSTER_ID: "1"
  LB_POOL_START: "10.25.11.100"
  LB_POOL_STOP: "10.25.11.119"
"#;

    const SEEDS: &[&str] = &[
        POOL,
        FLUX_KS,
        KUSTOMIZE,
        HELM_REPO,
        HELM_RELEASE,
        CONFIG_MAP,
    ];

    fn parse(text: &str) -> yaml_serde::Value {
        yaml_serde::from_str(text).expect("test YAML parses")
    }

    /// The error of `check_object`, with a failure if it passed.
    fn err_of(text: &str) -> String {
        match check_object(&parse(text)) {
            Ok(()) => panic!("expected a schema error for:\n{text}"),
            Err(e) => e,
        }
    }

    fn assert_contains(haystack: &str, needle: &str) {
        assert!(
            haystack.contains(needle),
            "expected {needle:?} in the error, got:\n{haystack}"
        );
    }

    #[test]
    fn each_seed_object_passes() {
        for seed in SEEDS {
            if let Err(e) = check_object(&parse(seed)) {
                panic!("seed failed:\n{e}\n---\n{seed}");
            }
        }
    }

    #[test]
    fn seed_stream_passes_as_multi_document_yaml() {
        let text = SEEDS
            .iter()
            .map(|s| s.trim())
            .collect::<Vec<_>>()
            .join("\n---\n");
        check_yaml(&text).unwrap();
        // A leading and a trailing `---` (empty documents) are fine too.
        check_yaml(&format!("---\n{text}\n---\n")).unwrap();
    }

    #[test]
    fn misspelled_service_selector_is_reported_with_its_path() {
        let e = err_of(&POOL.replace("serviceSelector", "serviceSelecter"));
        assert_eq!(
            e,
            "CiliumLoadBalancerIPPool/infra-pool: unknown field spec.serviceSelecter"
        );
    }

    #[test]
    fn misspelled_nested_fields_are_reported_with_their_paths() {
        let e = err_of(&POOL.replace("stop:", "stopp:").replace(
            "serviceSelector: {}",
            "serviceSelector:\n    matchLabel:\n      a: b",
        ));
        assert_contains(&e, "unknown field spec.blocks[0].stopp");
        assert_contains(&e, "unknown field spec.serviceSelector.matchLabel");
        assert_eq!(e.lines().count(), 2, "{e}");
        // The right spelling passes.
        check_object(&parse(&POOL.replace(
            "serviceSelector: {}",
            "serviceSelector:\n    matchLabels:\n      a: b",
        )))
        .unwrap();
    }

    #[test]
    fn misspelled_metadata_field_is_reported() {
        let text = POOL.replace("name: infra-pool", "name: infra-pool\n  lables:\n    a: b");
        assert_contains(&err_of(&text), "unknown field metadata.lables");
    }

    #[test]
    fn namespaced_pool_is_reported_for_both_versions() {
        for version in ["v2alpha1", "v2"] {
            let text = POOL
                .replace("cilium.io/v2alpha1", &format!("cilium.io/{version}"))
                .replace(
                    "name: infra-pool",
                    "name: infra-pool\n  namespace: kube-system",
                );
            let e = err_of(&text);
            assert_contains(
                &e,
                "CiliumLoadBalancerIPPool/infra-pool: metadata.namespace",
            );
            assert_contains(&e, "cluster-scoped");
        }
    }

    #[test]
    fn cluster_scoped_namespace_object_is_reported() {
        let e = err_of("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  namespace: b\n");
        assert_contains(&e, "Namespace/a: metadata.namespace is set");
    }

    #[test]
    fn lowercase_enum_value_is_reported() {
        let text = POOL.replace(
            "serviceSelector: {}",
            "serviceSelector: {}\n  allowFirstLastIPs: \"yes\"",
        );
        let e = err_of(&text);
        assert_contains(
            &e,
            "CiliumLoadBalancerIPPool/infra-pool: invalid field spec.allowFirstLastIPs",
        );
        assert_contains(&e, "unknown variant `yes`");
        // Control: the enum's real spelling passes.
        check_object(&parse(&text.replace("\"yes\"", "\"Yes\""))).unwrap();
    }

    #[test]
    fn flux_kustomization_without_source_ref_is_reported() {
        let text = FLUX_KS.replace(
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n",
        "",
    );
        assert_ne!(text, FLUX_KS, "the replacement must remove sourceRef");
        let e = err_of(&text);
        assert_eq!(
            e,
            "Kustomization.kustomize.toolkit.fluxcd.io/cilium-ipam: missing required field spec.sourceRef"
        );
    }

    #[test]
    fn unknown_kind_is_reported() {
        let e = err_of(&POOL.replace("CiliumLoadBalancerIPPool", "CiliumLoadBalancerIPPol"));
        assert_contains(&e, "CiliumLoadBalancerIPPol/infra-pool: unsupported kind");
    }

    #[test]
    fn unknown_api_version_of_a_known_kind_is_reported() {
        let e = err_of(&HELM_RELEASE.replace(
            "helm.toolkit.fluxcd.io/v2",
            "helm.toolkit.fluxcd.io/v2beta1",
        ));
        assert_contains(
            &e,
            "HelmRelease/cilium: unsupported apiVersion \"helm.toolkit.fluxcd.io/v2beta1\"",
        );
        assert_contains(&e, "helm.toolkit.fluxcd.io/v2");
    }

    #[test]
    fn missing_api_version_or_kind_is_reported() {
        let e = err_of("kind: ConfigMap\nmetadata:\n  name: x\n");
        assert_contains(&e, "apiVersion and kind");
        let e = err_of("- a\n- b\n");
        assert_contains(&e, "not a Kubernetes object");
    }

    #[test]
    fn missing_name_is_reported_for_api_objects_only() {
        let e = err_of(&CONFIG_MAP.replace("  name: cluster-settings\n", ""));
        assert_contains(&e, "ConfigMap: metadata.name is missing");
        // The kustomize build file needs none (the seed has none).
        check_object(&parse(KUSTOMIZE)).unwrap();
    }

    #[test]
    fn chart_version_as_a_yaml_number_is_a_type_error() {
        // `version: 1.18` is a float in YAML; the CRD wants a string.
        let e = err_of(&HELM_RELEASE.replace("version: \"1.18.2\"", "version: 1.18"));
        assert_contains(
            &e,
            "HelmRelease/cilium: invalid field spec.chart.spec.version",
        );
    }

    #[test]
    fn flux_enum_and_bool_types_are_enforced() {
        let e = err_of(&FLUX_KS.replace("kind: GitRepository", "kind: GitRepo"));
        assert_contains(&e, "invalid field spec.sourceRef.kind");
        let e = err_of(&FLUX_KS.replace("prune: true", "prune: \"true\""));
        assert_contains(&e, "invalid field spec.prune");
    }

    #[test]
    fn helm_release_values_are_free_form_but_spec_is_not() {
        // Arbitrary keys under `values` are fine (the CRD preserves unknown fields there) ...
        check_object(&parse(
            &HELM_RELEASE.replace("    ratio: 0.5", "    anything:\n      goes: [1, 2.5, x]"),
        ))
        .unwrap();
        // ... but not next to it.
        let e = err_of(&HELM_RELEASE.replace("  values:", "  valuez:"));
        assert_contains(&e, "unknown field spec.valuez");
    }

    #[test]
    fn config_map_data_must_be_strings() {
        let e = err_of(&CONFIG_MAP.replace("CLUSTER_ID: \"1\"", "CLUSTER_ID: 1"));
        assert_contains(
            &e,
            "ConfigMap/cluster-settings: invalid field data.CLUSTER_ID",
        );
    }

    #[test]
    fn kustomize_build_file_is_strict() {
        let e = err_of(&KUSTOMIZE.replace("resources:", "resource:"));
        assert_contains(
            &e,
            "Kustomization.kustomize.config.k8s.io: unknown field resource, expected one of `apiVersion`",
        );
        let e = err_of(&format!(
            "{KUSTOMIZE}patches:\n  - path: p.yaml\n    targt:\n      kind: X\n"
        ));
        assert_contains(&e, "unknown field patches[0].targt, expected one of");
        // The supported subset passes.
        check_object(&parse(&format!(
        "{KUSTOMIZE}namespace: flux-system\ncommonLabels:\n  a: b\nconfigMapGenerator:\n  - name: c\n    behavior: merge\n    literals: [\"K=V\"]\ngeneratorOptions:\n  disableNameSuffixHash: true\n"
    )))
    .unwrap();
    }

    #[test]
    fn nulls_and_defaults_are_not_reported() {
        // `creationTimestamp: null` and `status: {}` are what `kubectl create
        // --dry-run -o yaml` prints; an explicit null counts as absent.
        let text = CONFIG_MAP.replace(
            "  name: cluster-settings\n",
            "  name: cluster-settings\n  creationTimestamp: null\n  labels: {}\n",
        );
        check_object(&parse(&text)).unwrap();
        // Empty selector survives the round trip (it is `Some(default)`, serialized as `{}`).
        check_object(&parse(POOL)).unwrap();
        // Annotation keys with dots and slashes are map keys, not paths.
        check_object(&parse(&POOL.replace(
            "name: infra-pool",
            "name: infra-pool\n  annotations:\n    lbipam.cilium.io/plan: infra",
        )))
        .unwrap();
    }

    #[test]
    fn check_yaml_reports_every_bad_document_with_its_number() {
        let text = format!(
            "{}\n---\n{}\n---\n{}",
            POOL.replace("serviceSelector", "serviceSelecter"),
            CONFIG_MAP,
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
        );
        let errors = check_yaml(&text).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert_eq!(
            errors[0],
            "document 1: CiliumLoadBalancerIPPool/infra-pool: unknown field spec.serviceSelecter"
        );
        assert!(
            errors[1].starts_with("document 3: Widget/w: unsupported kind"),
            "{errors:#?}"
        );
    }

    #[test]
    fn check_yaml_rejects_empty_text_and_syntax_errors() {
        assert_eq!(
            check_yaml("").unwrap_err(),
            vec!["no Kubernetes object in the text"]
        );
        assert_eq!(check_yaml("---\n---\n").unwrap_err().len(), 1);
        let errors = check_yaml("a: [1,\n").unwrap_err();
        assert!(
            errors[0].starts_with("document 1: YAML parse error"),
            "{errors:#?}"
        );
    }

    #[test]
    fn table_matches_generated_types() {
        for k in KINDS {
            match (k.generated)() {
                None => assert_eq!(k.scope, Scope::BuildFile, "{} {}", k.api_version, k.kind),
                Some((api_version, kind, scope)) => {
                    assert_eq!(
                        (api_version.as_str(), kind.as_str(), scope),
                        (k.api_version, k.kind, k.scope),
                        "table row disagrees with its generated type"
                    );
                }
            }
        }
        let mut pairs: Vec<_> = KINDS.iter().map(|k| (k.api_version, k.kind)).collect();
        pairs.sort();
        pairs.dedup();
        assert_eq!(pairs.len(), KINDS.len(), "duplicate table rows");
    }

    #[test]
    fn comparison_normalizes_only_nulls_defaults_and_number_forms() {
        let orig = parse("a: 1\nb: x\nc: null\nd: [1, 2]\n");
        // `1` -> `1.0`, a dropped null and an added default are not problems.
        let back = parse("a: 1.0\nb: x\nd: [1, 2]\nadded: {}\n");
        assert_eq!(lost_or_changed(&orig, &back), Vec::<String>::new());
        // A changed scalar, a string/number swap, a lost key and a shorter list are.
        let back = parse("a: 2\nb: 1\nd: [1]\n");
        assert_eq!(
            lost_or_changed(&parse("a: 1\nb: \"1\"\nd: [1, 2]\ne: 0\n"), &back),
            vec![
                "field a changed in the round trip: 1 became 2".to_owned(),
                "field b changed in the round trip: \"1\" became 1".to_owned(),
                "list d has 2 items but 1 after the round trip".to_owned(),
                "unknown field e".to_owned(),
            ]
        );
    }
}

// ---------------------------------------------------------------------------
// What Cilium will do: the pools as written for each API version, with and
// without pins held back, against the upstream CRD types.

/// The committed plan with `[cilium]` set to `api-version` and `reserve-pins`,
/// the Services its pins are for, and a `/29` in apps-pool that withholds its
/// first and last address.
fn cilium_plan(api_version: &str, reserve_pins: bool) -> String {
    let plan = std::fs::read_to_string(repo().join("plan.toml")).expect("plan.toml");
    plan.replace(
        "blocks = [\"10.25.11.120-10.25.11.139\"]\n",
        "blocks = [\"10.25.11.120-10.25.11.139\", \"10.25.11.144/29\"]\nallow-first-last-ips = false\n",
    )
    .replace(
        "[cilium]\n",
        &format!("[cilium]\napi-version = \"{api_version}\"\nreserve-pins = {reserve_pins}\n"),
    )
    .replace(
        "\nsetting = \"CLUSTERMESH_IP\"",
        "\nservice = \"kube-system/clustermesh-apiserver\"\nsetting = \"CLUSTERMESH_IP\"",
    )
    .replace(
        "[services.gateway]\n",
        "[services.gateway]\nservice = \"gateway/cilium-gateway-cluster-gateway\"\n",
    )
}

#[test]
fn pools_of_both_api_versions_with_and_without_reserved_pins_pass_the_crd_types_and_the_inclusion_gate()
 {
    for api_version in ["cilium.io/v2alpha1", "cilium.io/v2"] {
        for reserve_pins in [false, true] {
            let case = format!("{api_version}, reserve-pins = {reserve_pins}");
            let repo = scratch_repo();
            let out = tempfile::tempdir().expect("out dir");
            fs::write(
                repo.path().join("plan.toml"),
                cilium_plan(api_version, reserve_pins),
            )
            .expect("write plan");
            lbipam_plan::build(repo.path(), out.path())
                .unwrap_or_else(|r| panic!("{case}: build failed:\n{r}"));
            for checked in [schema_gate(repo.path()), applied_schema_gate(repo.path())] {
                assert_eq!(checked.problems, Vec::<String>::new(), "{case}");
                let kind = format!("{api_version} CiliumLoadBalancerIPPool");
                assert!(checked.kinds.contains(&kind), "{case}: {:?}", checked.kinds);
            }
            let plan = lbipam_plan::generate::load(repo.path()).expect("plan");
            let gate = lbipam_plan::resolve::check_repo(
                &lbipam_plan::tree::Tree::disk(repo.path()),
                &plan,
            );
            assert_eq!(gate, Vec::new(), "{case}: the inclusion gate");
            // What the apps cluster applies: its pools, by name, with selector
            // and first/last setting.
            let build = resolve_cluster(&lbipam_plan::tree::Tree::disk(repo.path()), "apps")
                .expect("apps builds");
            let pools: Vec<String> = build
                .objects()
                .filter(|o| o.kind() == "CiliumLoadBalancerIPPool")
                .map(|o| {
                    let spec = &o.value["spec"];
                    format!(
                        "{} {} {}",
                        o.name(),
                        spec["allowFirstLastIPs"].as_str().unwrap_or("-"),
                        spec["serviceSelector"]["matchLabels"]["io.kubernetes.service.name"]
                            .as_str()
                            .unwrap_or("any")
                    )
                })
                .collect();
            let want: &[&str] = if reserve_pins {
                &[
                    "apps-pool No any",
                    "apps-pool.clustermesh-apiserver - clustermesh-apiserver",
                    "apps-pool.gateway - cilium-gateway-cluster-gateway",
                ]
            } else {
                &["apps-pool No any"]
            };
            assert_eq!(pools, want, "{case}");
        }
    }
}
