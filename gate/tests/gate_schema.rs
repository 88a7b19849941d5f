//! The strict schema gate (`lbipam_gate`) on the built seed repository and on
//! scratch copies: broken the ways a hand edit breaks a manifest, and grown the
//! ways real repositories grow (more kinds, Helm charts, SOPS files, kustomize
//! `configurations:`, patches from a parent Flux Kustomization).

#[path = "../../core/tests/common/mod.rs"]
mod common;

use std::fs;
use std::io::Write as _;
use std::path::Path;

use common::{edit, scratch_repo, seed_plan};
use lbipam_core::diag::Report;
use lbipam_core::diag::codes::Code;
use lbipam_core::diag::error::{Error, Location};
use lbipam_gate::{SchemaReport, check_applied, check_repository};

/// A finding as one line, `FILE:LINE:COL: message`.
fn one_line(e: &Error) -> String {
    Report::default().line(e)
}

/// The files gate on the repository at `root`.
fn gate(root: &Path) -> SchemaReport {
    check_repository(root, seed_plan())
}

fn assert_reports(report: &SchemaReport, expected: &str) {
    assert!(
        report.problem_texts().iter().any(|p| p == expected),
        "the schema gate must report\n  {expected}\nit reported:\n  {}",
        report.problem_texts().join("\n  ")
    );
}

/// The codes of the problems, in order.
fn codes(report: &SchemaReport) -> Vec<&'static str> {
    report.problems.iter().map(Error::code).collect()
}

fn assert_passes(report: &SchemaReport) {
    assert!(
        report.problem_texts().is_empty(),
        "legitimate content failed the schema gate:\n  {}",
        report.problem_texts().join("\n  ")
    );
}

/// Writes `text` to `root/path`, creating its directory.
fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

// ---------------------------------------------------------------------------
// The seed repository, built.

/// What the plan generates and the cluster files hold: the gate must have
/// checked each, whatever else the repository holds.
const PLAN_KINDS: [&str; 6] = [
    "cilium.io/v2alpha1 CiliumLoadBalancerIPPool",
    "helm.toolkit.fluxcd.io/v2 HelmRelease",
    "kustomize.config.k8s.io/v1beta1 Kustomization",
    "kustomize.toolkit.fluxcd.io/v1 Kustomization",
    "source.toolkit.fluxcd.io/v1 HelmRepository",
    "v1 ConfigMap",
];

#[test]
fn every_resource_under_kubernetes_passes_the_strict_schema_check() {
    let seed = scratch_repo();
    let report = gate(seed.path());
    // The counts, in the test output: straight to stderr, which the test
    // harness does not capture.
    let _ = writeln!(std::io::stderr(), "{}", report.summary());
    assert!(
        report.problem_texts().is_empty(),
        "manifests that the cluster would reject or misread:\n  {}\nfix the files named (generated ones: edit plan.toml and run `cargo build`)",
        report.problem_texts().join("\n  ")
    );
    for kind in PLAN_KINDS {
        assert!(
            report.checked.contains_key(kind),
            "{kind} not among {:?}",
            report.checked
        );
    }
}

#[test]
fn everything_flux_applies_to_each_cluster_passes_the_strict_schema_check() {
    let seed = scratch_repo();
    let report = check_applied(seed.path(), seed_plan());
    assert!(
        report.problem_texts().is_empty(),
        "objects Flux would apply that the cluster would reject or misread:\n  {}",
        report.problem_texts().join("\n  ")
    );
    // The cluster files (Flux Kustomizations, cluster-settings) and both builds.
    for kind in PLAN_KINDS {
        if kind.starts_with("kustomize.config.k8s.io") {
            continue; // build files are not applied
        }
        assert!(
            report.checked.contains_key(kind),
            "{kind} not among {:?}",
            report.checked
        );
    }
}

// ---------------------------------------------------------------------------
// Scratch copies broken the ways a hand edit breaks them.

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
    let report = gate(repo.path());
    assert_reports(&report, &format!("{APPS_POOL}:1:1: {expected}"));
    assert_eq!(
        report.problem_texts().len(),
        1,
        "{:#?}",
        report.problem_texts()
    );
    assert_reports(
        &check_applied(repo.path(), seed_plan()),
        &format!("{APPS_POOL}:1:1: {expected} (as cluster apps applies it)"),
    );
}

#[test]
fn a_namespace_written_on_a_pool_is_a_warning_with_the_fix() {
    // The API server drops a namespace on a cluster-scoped kind: harmless, but
    // not what the file means.
    let repo = scratch_repo();
    edit(
        &repo.path().join(APPS_POOL),
        "name: apps-pool\n",
        "name: apps-pool\n  namespace: kube-system\n",
    );
    let report = gate(repo.path());
    assert_passes(&report);
    let warnings: Vec<String> = report.warnings.iter().map(one_line).collect();
    assert_eq!(
        warnings,
        [format!(
            "{APPS_POOL}:1:1: CiliumLoadBalancerIPPool/apps-pool: metadata.namespace is set (\"kube-system\") but CiliumLoadBalancerIPPool is cluster-scoped"
        )]
    );
    assert_eq!(
        report.warnings[0].help(),
        Some("remove `metadata.namespace` from the file: the API server drops it")
    );
    assert_eq!(
        report.warnings[0].code(),
        Code::NamespaceOnClusterScoped.as_str()
    );
    assert!(
        report
            .summary()
            .contains("\nwarning[namespace-on-cluster-scoped]: "),
        "{}",
        report.summary()
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
    let report = gate(repo.path());
    let problem = report
        .problems
        .iter()
        .find(|p| p.to_string().contains("spec.allowFirstLastIPs"))
        .unwrap_or_else(|| {
            panic!(
                "no allowFirstLastIPs problem in {:#?}",
                report.problem_texts()
            )
        });
    assert!(
        one_line(problem).starts_with(&format!(
            "{APPS_POOL}:1:1: CiliumLoadBalancerIPPool/apps-pool: invalid field spec.allowFirstLastIPs: unknown variant `yes`"
        )),
        "{problem}"
    );
    // A value with its code and place, not a line of text to take apart.
    assert_eq!(problem.code(), Code::Schema.as_str());
    assert_eq!(
        problem.location(),
        Location::File {
            path: Path::new(APPS_POOL),
            line: 1,
            column: 1
        }
    );
    // The CRD's own spelling passes: the check is about the value, not the field.
    edit(&repo.path().join(APPS_POOL), "\"yes\"", "\"Yes\"");
    assert_passes(&gate(repo.path()));
}

const SOURCE_REF: &str =
    "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n";

#[test]
fn a_flux_kustomization_without_source_ref_fails_the_schema_gate() {
    let repo = scratch_repo();
    edit(
        &repo.path().join(APPS_FLUX),
        &format!("{SOURCE_REF}  path: ./kubernetes/infrastructure/networking/cilium/ipam/apps\n"),
        "  path: ./kubernetes/infrastructure/networking/cilium/ipam/apps\n",
    );
    assert_eq!(
        gate(repo.path()).problem_texts(),
        [format!(
            "{APPS_FLUX}:25:1: Kustomization.kustomize.toolkit.fluxcd.io/cilium-ipam: missing required field spec.sourceRef"
        )]
    );
    assert_eq!(codes(&gate(repo.path())), ["missing-field"]);
}

#[test]
fn a_misspelled_depends_on_in_a_hand_written_file_fails_the_schema_gate() {
    // Flux would silently drop the ordering: cilium-ipam before the CNI is up.
    let repo = scratch_repo();
    edit(&repo.path().join(APPS_FLUX), "  dependsOn:", "  dependOn:");
    assert_eq!(
        gate(repo.path()).problem_texts(),
        [format!(
            "{APPS_FLUX}:25:1: Kustomization.kustomize.toolkit.fluxcd.io/cilium-ipam: unknown field spec.dependOn"
        )]
    );
    assert_eq!(codes(&gate(repo.path())), ["unknown-field"]);
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
    let report = gate(repo.path());
    assert!(
        report.problem_texts().len() == 1
            && report.problem_texts()[0].starts_with(&format!(
                "{release}:1:1: HelmRelease/cilium: invalid field spec.chart.spec.version"
            )),
        "{:#?}",
        report.problem_texts()
    );
    assert_eq!(codes(&report), ["schema"], "a value of the wrong type");
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
    let report = gate(repo.path());
    assert!(
        report.problem_texts().len() == 1
            && report.problem_texts()[0].starts_with(&format!(
                "{settings}:1:1: ConfigMap/cluster-settings: invalid field data.CLUSTER_ID"
            )),
        "{:#?}",
        report.problem_texts()
    );
}

// ---------------------------------------------------------------------------
// Scratch copies grown the ways real repositories grow: none of this content
// is an error.

const APP: &str = "kubernetes/apps/default/echo/app";

/// An app laid out as Flux home-lab repositories lay them out: a namespace
/// directory listing the app's Flux Kustomization (`ks.yaml`), whose path is
/// the app's directory, with a kustomization listing its resources and
/// generating a ConfigMap from a Helm `values.yaml` with a `configurations:`
/// file. The apps cluster applies `kubernetes/apps`.
fn with_app(root: &Path) {
    write(
        root,
        "kubernetes/clusters/apps/apps.yaml",
        &format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n{SOURCE_REF}  path: ./kubernetes/apps\n"
        ),
    );
    write(
        root,
        "kubernetes/apps/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./default\n",
    );
    write(
        root,
        "kubernetes/apps/default/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: default\nresources:\n  - ./echo/ks.yaml\n",
    );
    write(
        root,
        "kubernetes/apps/default/echo/ks.yaml",
        &format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: echo\n  namespace: flux-system\nspec:\n  interval: 1h\n  prune: true\n{SOURCE_REF}  path: ./{APP}\n  targetNamespace: default\n"
        ),
    );
    write(
        root,
        &format!("{APP}/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./service.yaml\n  - ./serviceaccount.yaml\n  - ./externalsecret.yaml\nconfigMapGenerator:\n  - name: echo-values\n    files:\n      - values.yaml\nconfigurations:\n  - ./kustomizeconfig.yaml\n",
    );
    write(
        root,
        &format!("{APP}/service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: echo\n  annotations:\n    lbipam.cilium.io/sharing-key: echo\nspec:\n  type: ClusterIP\n  selector:\n    app.kubernetes.io/name: echo\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n",
    );
    write(
        root,
        &format!("{APP}/serviceaccount.yaml"),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: echo\nautomountServiceAccountToken: false\n",
    );
    write(
        root,
        &format!("{APP}/externalsecret.yaml"),
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: echo\nspec:\n  secretStoreRef:\n    kind: ClusterSecretStore\n    name: onepassword\n  target:\n    name: echo-secret\n  dataFrom:\n    - extract:\n        key: echo\n",
    );
    write(
        root,
        &format!("{APP}/values.yaml"),
        "replicaCount: 2\nimage:\n  repository: ghcr.io/example/echo\n  tag: 1.0.0\n",
    );
    write(
        root,
        &format!("{APP}/kustomizeconfig.yaml"),
        "nameReference:\n  - kind: ConfigMap\n    version: v1\n    fieldSpecs:\n      - path: spec/valuesFrom/name\n        kind: HelmRelease\n",
    );
}

#[test]
fn an_ordinary_service_a_service_account_and_an_unknown_kind_pass() {
    let repo = scratch_repo();
    with_app(repo.path());
    let report = gate(repo.path());
    assert_passes(&report);
    for kind in ["v1 Service", "v1 ServiceAccount"] {
        assert_eq!(report.checked.get(kind), Some(&1), "{:?}", report.checked);
    }
    assert_eq!(
        report.untyped.iter().collect::<Vec<_>>(),
        [(&"external-secrets.io/v1 ExternalSecret".to_owned(), &1)]
    );
    let _ = writeln!(std::io::stderr(), "{}", report.summary());
    assert!(
        report.summary().contains(
            "skipped 1 objects of kinds the gate has no type for: external-secrets.io/v1 ExternalSecret (1)"
        ),
        "{}",
        report.summary()
    );
}

#[test]
fn a_values_yaml_and_a_configurations_file_that_no_kustomization_lists_as_a_resource_pass() {
    let repo = scratch_repo();
    with_app(repo.path());
    let report = gate(repo.path());
    assert_passes(&report);
    let not_read: Vec<String> = report
        .not_resources
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    // The audited directories hold the bootstrap Helm values too: not resources.
    assert_eq!(
        not_read,
        [
            "bootstrap/clusters/apps/cilium-values.yaml".to_owned(),
            "bootstrap/clusters/infra/cilium-values.yaml".to_owned(),
            format!("{APP}/kustomizeconfig.yaml"),
            format!("{APP}/values.yaml")
        ]
    );
}

#[test]
fn a_misspelled_field_of_a_kustomization_fails_naming_the_file() {
    // `configurations:` passes (above); a field kustomize does not know does not.
    let repo = scratch_repo();
    with_app(repo.path());
    let kfile = format!("{APP}/kustomization.yaml");
    edit(
        &repo.path().join(&kfile),
        "configurations:",
        "configuration:",
    );
    let report = gate(repo.path());
    assert_eq!(
        report.problem_texts().len(),
        1,
        "{:#?}",
        report.problem_texts()
    );
    assert!(
        report.problem_texts()[0].starts_with(&format!(
            "{kfile}:1:1: Kustomization.kustomize.config.k8s.io: unknown field configuration, expected one of"
        )),
        "{:#?}",
        report.problem_texts()
    );
}

#[test]
fn a_helm_chart_with_templates_that_no_kustomization_includes_passes() {
    let repo = scratch_repo();
    let chart = "kubernetes/charts/echo";
    write(
        repo.path(),
        &format!("{chart}/Chart.yaml"),
        "apiVersion: v2\nname: echo\nversion: 0.1.0\n",
    );
    write(
        repo.path(),
        &format!("{chart}/values.yaml"),
        "replicaCount: 1\n",
    );
    write(
        repo.path(),
        &format!("{chart}/templates/service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"echo.fullname\" . }}\n  labels:\n    {{- include \"echo.labels\" . | nindent 4 }}\nspec:\n  ports:\n    - port: {{ .Values.service.port }}\n",
    );
    let report = gate(repo.path());
    assert_passes(&report);
    // The chart's three files and the two bootstrap values files.
    assert_eq!(report.not_resources.len(), 5, "{:?}", report.not_resources);
}

#[test]
fn a_service_with_a_real_schema_error_fails_naming_the_file() {
    let repo = scratch_repo();
    with_app(repo.path());
    let service = format!("{APP}/service.yaml");
    let path = repo.path().join(&service);
    let text = fs::read_to_string(&path).expect("read");
    let ports = "  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n";
    assert!(text.contains(ports), "{text}");
    fs::write(&path, text.replace(ports, "  ports: \"80\"\n")).expect("write");
    let report = gate(repo.path());
    assert_eq!(
        report.problem_texts().len(),
        1,
        "{:#?}",
        report.problem_texts()
    );
    assert!(
        report.problem_texts()[0].starts_with(&format!(
            "{service}:1:1: Service/echo: invalid field spec.ports: invalid type: string \"80\""
        )),
        "{:#?}",
        report.problem_texts()
    );
}

/// The parent `apps` Flux Kustomization supplies what every app's
/// Kustomization shares, as home-lab repositories do with `spec.patches`.
fn with_parent_patch(root: &Path) {
    let apps = root.join("kubernetes/clusters/apps/apps.yaml");
    let mut text = fs::read_to_string(&apps).expect("read");
    text.push_str("  patches:\n    - patch: |\n        apiVersion: kustomize.toolkit.fluxcd.io/v1\n        kind: Kustomization\n        metadata:\n          name: not-used\n        spec:\n          sourceRef:\n            kind: GitRepository\n            name: flux-system\n            namespace: flux-system\n      target:\n        group: kustomize.toolkit.fluxcd.io\n        kind: Kustomization\n");
    fs::write(apps, text).expect("write");
}

const ECHO_KS: &str = "kubernetes/apps/default/echo/ks.yaml";

#[test]
fn a_field_a_parent_kustomization_patches_in_may_be_missing() {
    let repo = scratch_repo();
    with_app(repo.path());
    with_parent_patch(repo.path());
    edit(&repo.path().join(ECHO_KS), SOURCE_REF, "");
    let report = gate(repo.path());
    assert_passes(&report);
    assert_eq!(report.left_to_patches, 1);
    // Control: without the parent's patch, the same file fails.
    let repo = scratch_repo();
    with_app(repo.path());
    edit(&repo.path().join(ECHO_KS), SOURCE_REF, "");
    assert_eq!(
        gate(repo.path()).problem_texts(),
        [format!(
            "{ECHO_KS}:1:1: Kustomization.kustomize.toolkit.fluxcd.io/echo: missing required field spec.sourceRef"
        )]
    );
}

#[test]
fn a_misspelled_field_in_a_patched_object_still_fails() {
    // Only a missing field is left to the patch; with every required field
    // there, the object is checked in full.
    let repo = scratch_repo();
    with_app(repo.path());
    with_parent_patch(repo.path());
    edit(
        &repo.path().join(ECHO_KS),
        "  targetNamespace:",
        "  targetNamespce:",
    );
    assert_eq!(
        gate(repo.path()).problem_texts(),
        [format!(
            "{ECHO_KS}:1:1: Kustomization.kustomize.toolkit.fluxcd.io/echo: unknown field spec.targetNamespce"
        )]
    );
}

#[test]
fn a_sops_encrypted_secret_listed_as_a_resource_passes() {
    let repo = scratch_repo();
    with_app(repo.path());
    write(
        repo.path(),
        &format!("{APP}/secret.sops.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: echo\ntype: Opaque\nstringData:\n  TOKEN: ENC[AES256_GCM,data:c2VjcmV0,iv:aXZpdml2aXZpdml2,tag:dGFndGFndGFn,type:str]\nsops:\n  age:\n    - recipient: age1example\n      enc: |\n        -----BEGIN AGE ENCRYPTED FILE-----\n        -----END AGE ENCRYPTED FILE-----\n  lastmodified: \"2025-01-01T00:00:00Z\"\n  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n  encrypted_regex: ^(data|stringData)$\n  version: 3.9.0\n",
    );
    edit(
        &repo.path().join(format!("{APP}/kustomization.yaml")),
        "  - ./service.yaml\n",
        "  - ./service.yaml\n  - ./secret.sops.yaml\n",
    );
    let report = gate(repo.path());
    assert_passes(&report);
    assert_eq!(
        report.checked.get("v1 Secret"),
        Some(&1),
        "{:?}",
        report.checked
    );
}

// ---------------------------------------------------------------------------
// What Cilium will do: the pools as written for each API version, with and
// without pins held back, against the upstream CRD schemas.

/// The committed plan with `[cilium]` set to `api-version` and `reserve-pins`,
/// the Services its pins are for, and a `/29` in apps-pool that withholds its
/// first and last address.
fn cilium_plan(api_version: &str, reserve_pins: bool) -> String {
    let seed = scratch_repo();
    let plan = std::fs::read_to_string(seed.path().join("plan.toml")).expect("plan.toml");
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
            lbipam_core::build(repo.path(), out.path())
                .unwrap_or_else(|r| panic!("{case}: build failed:\n{r}"));
            let plan = lbipam_core::generate::load(repo.path()).expect("plan");
            for checked in [
                check_repository(repo.path(), &plan),
                check_applied(repo.path(), &plan),
            ] {
                assert_eq!(checked.problem_texts(), Vec::<String>::new(), "{case}");
                let kind = format!("{api_version} CiliumLoadBalancerIPPool");
                assert!(
                    checked.checked.contains_key(&kind),
                    "{case}: {:?}",
                    checked.checked
                );
            }
            let gate = lbipam_core::audit::isolation::check_repo(
                &lbipam_core::tree::Tree::disk(repo.path()),
                &plan,
            );
            assert_eq!(gate, Vec::new(), "{case}: the inclusion gate");
            // What the apps cluster applies: its pools, by name, with selector
            // and first/last setting.
            let build = lbipam_core::flux::entry::resolve_cluster(
                &lbipam_core::tree::Tree::disk(repo.path()),
                &plan,
                "apps",
            )
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

/// A cluster-scoped Cilium kind in a directory the apps cluster applies through
/// a Flux Kustomization with `targetNamespace`, below a kustomization with
/// `namespace:`: both transformers set the namespace of a kind they do not know
/// is cluster-scoped.
fn with_cluster_scoped_kind(root: &Path, metadata_extra: &str) {
    write(
        root,
        "kubernetes/clusters/apps/l2.yaml",
        &format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: l2\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n{SOURCE_REF}  path: ./kubernetes/l2\n  targetNamespace: kube-system\n"
        ),
    );
    write(
        root,
        "kubernetes/l2/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kube-system\nresources:\n  - ./policy.yaml\n",
    );
    write(
        root,
        "kubernetes/l2/policy.yaml",
        &format!(
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata:\n  name: l2\n{metadata_extra}spec:\n  loadBalancerIPs: true\n"
        ),
    );
}

#[test]
fn a_namespace_a_transformer_sets_on_a_cluster_scoped_kind_is_neither_a_problem_nor_a_warning() {
    let repo = scratch_repo();
    with_cluster_scoped_kind(repo.path(), "");
    let applied = check_applied(repo.path(), seed_plan());
    assert_passes(&applied);
    assert_eq!(applied.warnings, []);
    assert!(
        applied
            .checked
            .contains_key("cilium.io/v2alpha1 CiliumL2AnnouncementPolicy"),
        "{:?}",
        applied.checked
    );
}

#[test]
fn a_namespace_written_on_a_cluster_scoped_kind_warns_as_applied_too() {
    let repo = scratch_repo();
    with_cluster_scoped_kind(repo.path(), "  namespace: kube-system\n");
    let applied = check_applied(repo.path(), seed_plan());
    assert_passes(&applied);
    assert_eq!(applied.warnings.len(), 1, "{:?}", applied.warnings);
    assert!(
        applied.warnings[0]
            .to_string()
            .contains("CiliumL2AnnouncementPolicy/l2: metadata.namespace is set")
    );
}

// ---------------------------------------------------------------------------
// Sub-pools by serviceSelector, BGP advertisement and L2 announcements.

#[test]
fn the_opted_in_fixtures_selectors_advertisement_and_l2_policy_pass_the_crd_types_and_the_inclusion_gate()
 {
    let repo = common::beyond_repo();
    let plan = lbipam_core::generate::load(repo.path()).expect("plan");
    for checked in [
        check_repository(repo.path(), &plan),
        check_applied(repo.path(), &plan),
    ] {
        assert_passes(&checked);
        for kind in [
            "cilium.io/v2 CiliumLoadBalancerIPPool",
            "cilium.io/v2 CiliumBGPAdvertisement",
            "cilium.io/v2alpha1 CiliumL2AnnouncementPolicy",
        ] {
            assert!(
                checked.checked.contains_key(kind),
                "{kind} not checked: {:?}",
                checked.checked
            );
        }
    }
    let tree = lbipam_core::tree::Tree::disk(repo.path());
    assert_eq!(
        lbipam_core::audit::isolation::check_repo(&tree, &plan),
        Vec::new(),
        "the inclusion gate"
    );
    // Each cluster applies its own advertisement object, and only its own.
    for (cluster, kind, other) in [
        (
            "infra",
            "CiliumBGPAdvertisement",
            "CiliumL2AnnouncementPolicy",
        ),
        (
            "apps",
            "CiliumL2AnnouncementPolicy",
            "CiliumBGPAdvertisement",
        ),
    ] {
        let build =
            lbipam_core::flux::entry::resolve_cluster(&tree, &plan, cluster).expect("builds");
        let kinds: Vec<&str> = build.objects().map(|o| o.kind()).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == kind).count(),
            1,
            "{cluster}: {kinds:?}"
        );
        assert!(!kinds.contains(&other), "{cluster}: {kinds:?}");
    }
}

#[test]
fn a_generated_selector_the_crd_types_refuse_fails_the_schema_gate() {
    // The gate really reads the selector: a hand edit giving matchLabels a list fails it.
    let repo = common::beyond_repo();
    let plan = lbipam_core::generate::load(repo.path()).expect("plan");
    let file = repo
        .path()
        .join("kubernetes/infrastructure/networking/cilium/ipam/infra/advertisement.bgp.yaml");
    edit(
        &file,
        "    selector:\n",
        "    selector:\n      matchLabels: [a]\n",
    );
    let report = check_repository(repo.path(), &plan);
    assert!(
        report
            .problems
            .iter()
            .map(one_line)
            .any(|p| p.contains("advertisement.bgp.yaml") && p.contains("matchLabels")),
        "{:?}",
        report.problem_texts()
    );
}

#[test]
fn a_cluster_the_resolver_cannot_build_is_a_problem_at_the_broken_file_with_its_code() {
    let repo = scratch_repo();
    fs::write(
        repo.path().join(APPS_POOL),
        "kind: [CiliumLoadBalancerIPPool\n",
    )
    .expect("write");
    let report = check_applied(repo.path(), seed_plan());
    let unbuilt: Vec<_> = report
        .unbuilt
        .iter()
        .filter(|p| p.to_string().starts_with("cluster apps: cannot be built"))
        .collect();
    assert!(!unbuilt.is_empty(), "{:#?}", report.problem_texts());
    // The code says why: the file is no YAML, not a schema mismatch.
    assert!(
        unbuilt
            .iter()
            .all(|p| p.code() == Code::InvalidYaml.as_str()),
        "{:#?}",
        report.unbuilt
    );
    // Where the YAML breaks, with the Flux Kustomization whose build read it
    // as the related place.
    for p in &unbuilt {
        assert!(
            matches!(p.location(), Location::File { path, .. } if path == Path::new(APPS_POOL)),
            "{p:#?}"
        );
        let related: Vec<_> = p.related_files().iter().map(|r| r.path.clone()).collect();
        assert_eq!(related, [Path::new(APPS_FLUX)], "{p:#?}");
    }
}

#[test]
fn a_hand_written_file_two_clusters_apply_that_is_not_yaml_is_one_error_per_cluster_and_no_warning()
{
    let repo = scratch_repo();
    let release = "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml";
    write(repo.path(), release, "apiVersion: v1\nkind: [ConfigMap\n");
    let report = lbipam_gate::verify(repo.path()).expect_err("no cluster can be built");
    let at_release = |e: &&Error| matches!(e.location(), Location::File { path, .. } if path == Path::new(release));
    let errors: Vec<(&str, Vec<_>)> = report
        .errors
        .iter()
        .filter(at_release)
        .map(|e| {
            (
                e.code(),
                e.related_files().iter().map(|r| r.path.clone()).collect(),
            )
        })
        .collect();
    // Once per cluster, as core's audit reports it (the schema check's view of
    // the same resolver error adds nothing), each with the cluster's Flux
    // Kustomization that applies it.
    let applied_by = |c: &str| {
        vec![Path::new(&format!("kubernetes/clusters/{c}/infrastructure.yaml")).to_owned()]
    };
    assert_eq!(
        errors,
        [
            ("invalid-yaml", applied_by("infra")),
            ("invalid-yaml", applied_by("apps"))
        ],
        "{report}"
    );
    let warnings: Vec<&str> = report
        .warnings
        .iter()
        .filter(at_release)
        .map(Error::code)
        .collect();
    assert_eq!(
        warnings,
        Vec::<&str>::new(),
        "applied, so not skipped: {report}"
    );
}

#[test]
fn a_cluster_file_that_is_not_utf8_is_one_not_utf8_error() {
    let repo = scratch_repo();
    let settings = "kubernetes/clusters/apps/cluster-settings.yaml";
    fs::write(repo.path().join(settings), b"data:\n  A: \"\xff\"\n").expect("write");
    let report = lbipam_gate::verify(repo.path()).expect_err("the file cannot be read");
    let at_settings: Vec<&str> = report
        .errors
        .iter()
        .filter(
            |e| matches!(e.location(), Location::File { path, .. } if path == Path::new(settings)),
        )
        .map(Error::code)
        .collect();
    // Core's audit, the resolver and the schema check all read it: one
    // finding, with the code of what is wrong with it.
    assert_eq!(at_settings, [Code::NotUtf8.as_str()], "{report}");
}

#[test]
fn the_whole_gate_reports_an_audit_finding_and_a_schema_finding_together() {
    let repo = scratch_repo();
    with_app(repo.path());
    // One edit breaks both: an address no pool holds (the audit) and a
    // misspelled field (the schema).
    write(
        repo.path(),
        &format!("{APP}/service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: echo\n  annotations:\n    lbipam.cilium.io/ips: \"10.25.11.250\"\nspec:\n  type: LoadBalancer\n  selecter:\n    app: echo\n  ports:\n    - port: 80\n",
    );
    let report = lbipam_gate::verify(repo.path()).expect_err("both findings fail the gate");
    let codes: Vec<_> = report.errors.iter().map(|e| e.code()).collect();
    assert!(
        codes.contains(&Code::StrayIp.as_str()),
        "the audit's finding:\n{report}"
    );
    assert!(
        codes.contains(&Code::UnknownField.as_str()),
        "the schema check's finding, though the audit failed:\n{report}"
    );
}

#[test]
fn a_flux_path_inside_the_repository_but_outside_the_audited_directories_is_an_outside_audit_warning()
 {
    let repo = scratch_repo();
    write(
        repo.path(),
        "kubernetes/clusters/apps/elsewhere.yaml",
        &format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: elsewhere\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n{SOURCE_REF}  path: ./elsewhere\n"
        ),
    );
    write(
        repo.path(),
        "elsewhere/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    );
    let report = gate(repo.path());
    assert!(report.unfollowed.is_empty(), "{:?}", report.unfollowed);
    let warnings: Vec<(&str, String)> = report
        .warnings
        .iter()
        .map(|e| (e.code(), one_line(e)))
        .collect();
    assert_eq!(
        warnings,
        [(
            "outside-audit",
            "kubernetes/clusters/apps/elsewhere.yaml:1:1: ./elsewhere: outside the audited directories".to_owned()
        )]
    );
}

#[test]
fn a_directory_a_flux_instance_syncs_is_read_as_flux_would_build_it() {
    let repo = scratch_repo();
    // No kustomization.yaml: Flux generates one listing every manifest.
    write(
        repo.path(),
        "kubernetes/operator/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: flux-system\nspec:\n  x: \"1\"\n",
    );
    let before = gate(repo.path());
    assert!(
        before
            .not_resources
            .contains(&Path::new("kubernetes/operator/cm.yaml").to_owned()),
        "nothing applies it yet: {:?}",
        before.not_resources
    );
    write(
        repo.path(),
        "kubernetes/clusters/apps/instance.yaml",
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  distribution:\n    version: \"2.x\"\n    registry: ghcr.io/fluxcd\n  sync:\n    kind: GitRepository\n    url: https://example.com/repo.git\n    ref: refs/heads/main\n    path: ./kubernetes/operator\n",
    );
    let report = gate(repo.path());
    assert_eq!(
        codes(&report),
        ["unknown-field"],
        "{:#?}",
        report.problem_texts()
    );
    assert!(
        report.problem_texts()[0]
            .starts_with("kubernetes/operator/cm.yaml:1:1: ConfigMap/extra: unknown field spec"),
        "{:#?}",
        report.problem_texts()
    );
}
