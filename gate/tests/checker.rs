//! The schema check of one object (`lbipam_gate::schema`): what it rejects, and
//! what it must not.

use std::path::Path;

use lbipam_core::diag::error::Error;
use lbipam_gate::schema::{
    MismatchKind, Scope, Verdict, build_file_problems, check_object, check_yaml, kind_spec, kinds,
    lost_or_changed,
};

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
        Ok(_) => panic!("expected a schema error for:\n{text}"),
        Err(e) => e,
    }
}

fn assert_valid(value: &yaml_serde::Value) {
    assert_eq!(check_object(value), Ok(Verdict::Valid), "{value:?}");
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
        assert_eq!(check_object(&parse(seed)), Ok(Verdict::Valid), "{seed}");
    }
}

#[test]
fn seed_stream_passes_as_multi_document_yaml() {
    let text = SEEDS
        .iter()
        .map(|s| s.trim())
        .collect::<Vec<_>>()
        .join("\n---\n");
    check_yaml(Path::new("seed.yaml"), &text).unwrap();
    // A leading and a trailing `---` (empty documents) are fine too.
    check_yaml(Path::new("seed.yaml"), &format!("---\n{text}\n---\n")).unwrap();
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
    assert_valid(&parse(&POOL.replace(
        "serviceSelector: {}",
        "serviceSelector:\n    matchLabels:\n      a: b",
    )));
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
    assert_valid(&parse(&text.replace("\"yes\"", "\"Yes\"")));
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
fn a_kind_without_a_type_is_untyped_not_an_error() {
    // A custom resource the gate has no CRD for, a misspelled kind and an API
    // version the gate has no type for are all just "not checked".
    let external_secret = "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: s\nspec:\n  anything: goes\n";
    assert_eq!(check_object(&parse(external_secret)), Ok(Verdict::Untyped));
    let misspelled = POOL.replace("CiliumLoadBalancerIPPool", "CiliumLoadBalancerIPPol");
    assert_eq!(check_object(&parse(&misspelled)), Ok(Verdict::Untyped));
    let old = HELM_RELEASE.replace(
        "helm.toolkit.fluxcd.io/v2",
        "helm.toolkit.fluxcd.io/v2beta1",
    );
    assert_eq!(check_object(&parse(&old)), Ok(Verdict::Untyped));
    // Control: the typed spelling is checked.
    assert_eq!(check_object(&parse(POOL)), Ok(Verdict::Valid));
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
    assert_valid(&parse(KUSTOMIZE));
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
    assert_valid(&parse(
        &HELM_RELEASE.replace("    ratio: 0.5", "    anything:\n      goes: [1, 2.5, x]"),
    ));
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
    assert_valid(&parse(&format!(
        "{KUSTOMIZE}namespace: flux-system\ncommonLabels:\n  a: b\nconfigMapGenerator:\n  - name: c\n    behavior: merge\n    literals: [\"K=V\"]\ngeneratorOptions:\n  disableNameSuffixHash: true\n"
    )));
}

#[test]
fn nulls_and_defaults_are_not_reported() {
    // `creationTimestamp: null` and `status: {}` are what `kubectl create
    // --dry-run -o yaml` prints; an explicit null counts as absent.
    let text = CONFIG_MAP.replace(
        "  name: cluster-settings\n",
        "  name: cluster-settings\n  creationTimestamp: null\n  labels: {}\n",
    );
    assert_valid(&parse(&text));
    // Empty selector survives the round trip (it is `Some(default)`, serialized as `{}`).
    assert_valid(&parse(POOL));
    // Annotation keys with dots and slashes are map keys, not paths.
    assert_valid(&parse(&POOL.replace(
        "name: infra-pool",
        "name: infra-pool\n  annotations:\n    lbipam.cilium.io/plan: infra",
    )));
}

/// What `check_yaml` finds in `text`: each finding's code, line and message.
fn yaml_findings(text: &str) -> Vec<(&'static str, usize, String)> {
    let findings = check_yaml(Path::new("objects.yaml"), text).unwrap_err();
    findings
        .iter()
        .map(|e| match e {
            Error::File {
                path,
                line,
                message,
                ..
            } => {
                assert_eq!(path, Path::new("objects.yaml"), "{e}");
                (e.code(), *line, message.clone())
            }
            e => panic!("not a finding in the text: {e}"),
        })
        .collect()
}

#[test]
fn check_yaml_reports_every_bad_document_with_its_number_line_and_code() {
    let text = format!(
        "{}\n---\n{}\n---\n{}",
        POOL.replace("serviceSelector", "serviceSelecter"),
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  n: 1\n"
    );
    // A document starts on the line after its `---` (the first, on line 1):
    // the pool's 10 lines and a blank, `---` on 12, the Widget on 13 to 16, a
    // blank, `---` on 18, the ConfigMap from 19.
    assert_eq!(
        yaml_findings(&text),
        [
            (
                "unknown-field",
                1,
                "document 1: CiliumLoadBalancerIPPool/infra-pool: unknown field spec.serviceSelecter"
                    .to_owned()
            ),
            (
                "schema",
                19,
                "document 3: ConfigMap/x: invalid field data.n: invalid type: integer `1`, expected a string"
                    .to_owned()
            ),
        ],
        "the untyped Widget (document 2) is no finding"
    );
}

#[test]
fn check_yaml_rejects_empty_text_and_syntax_errors() {
    let none = (
        "not-an-object",
        1,
        "no Kubernetes object in the text".to_owned(),
    );
    assert_eq!(yaml_findings(""), std::slice::from_ref(&none));
    assert_eq!(yaml_findings("---\n---\n"), [none]);
    let errors = yaml_findings("a: [1,\n");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].0, "invalid-yaml", "{errors:#?}");
    assert!(errors[0].2.starts_with("document 1: "), "{errors:#?}");
}

#[test]
fn cilium_network_policies_are_untyped_for_their_schema_is_not_embedded() {
    // Their CRDs are not embedded (see gate/crds/README.md): counted, not failed.
    for kind in ["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"] {
        assert!(kind_spec("cilium.io/v2", kind).is_none(), "{kind}");
        let text = format!(
            "apiVersion: cilium.io/v2\nkind: {kind}\nmetadata:\n  name: p\nspec:\n  anything: goes\n"
        );
        assert_eq!(check_object(&parse(&text)), Ok(Verdict::Untyped));
    }
}

#[test]
fn the_table_has_the_kinds_real_repositories_hold_with_their_scopes() {
    for (api_version, kind, scope) in [
        ("v1", "Service", Scope::Namespaced),
        ("v1", "ServiceAccount", Scope::Namespaced),
        ("v1", "ConfigMap", Scope::Namespaced),
        ("v1", "Secret", Scope::Namespaced),
        ("v1", "Namespace", Scope::Cluster),
        ("v1", "PersistentVolumeClaim", Scope::Namespaced),
        ("apps/v1", "Deployment", Scope::Namespaced),
        ("apps/v1", "StatefulSet", Scope::Namespaced),
        ("batch/v1", "CronJob", Scope::Namespaced),
        ("networking.k8s.io/v1", "Ingress", Scope::Namespaced),
        ("networking.k8s.io/v1", "NetworkPolicy", Scope::Namespaced),
        (
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            Scope::Cluster,
        ),
        (
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            Scope::Namespaced,
        ),
        ("storage.k8s.io/v1", "StorageClass", Scope::Cluster),
        (
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            Scope::Cluster,
        ),
        (
            "cilium.io/v2alpha1",
            "CiliumLoadBalancerIPPool",
            Scope::Cluster,
        ),
        ("cilium.io/v2", "CiliumLoadBalancerIPPool", Scope::Cluster),
        (
            "cilium.io/v2alpha1",
            "CiliumL2AnnouncementPolicy",
            Scope::Cluster,
        ),
        ("cilium.io/v2", "CiliumBGPClusterConfig", Scope::Cluster),
        (
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            Scope::Namespaced,
        ),
        (
            "source.toolkit.fluxcd.io/v1",
            "GitRepository",
            Scope::Namespaced,
        ),
        (
            "source.toolkit.fluxcd.io/v1",
            "OCIRepository",
            Scope::Namespaced,
        ),
        (
            "helm.toolkit.fluxcd.io/v2",
            "HelmRelease",
            Scope::Namespaced,
        ),
        (
            "kustomize.config.k8s.io/v1beta1",
            "Kustomization",
            Scope::BuildFile,
        ),
    ] {
        let spec = kind_spec(api_version, kind)
            .unwrap_or_else(|| panic!("no type for {api_version} {kind}"));
        assert_eq!(spec.scope, scope, "{api_version} {kind}");
    }
    let mut pairs: Vec<_> = kinds().iter().map(|k| (&k.api_version, &k.kind)).collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), kinds().len(), "duplicate table rows");
}

#[test]
fn a_service_with_a_string_for_its_ports_is_a_type_error() {
    let e =
        err_of("apiVersion: v1\nkind: Service\nmetadata:\n  name: echo\nspec:\n  ports: \"80\"\n");
    assert_contains(
        &e,
        "Service/echo: invalid field spec.ports: invalid type: string \"80\"",
    );
}

#[test]
fn a_kustomization_without_api_version_with_configurations_and_deprecated_fields_passes() {
    // kustomize lets one leave out apiVersion and kind, and still builds the
    // deprecated fields.
    let fine = build_file_problems(&parse(
        "resources: [a.yaml]\nconfigurations: [kustomizeconfig.yaml]\nconfigMapGenerator:\n  - name: v\n    files: [values.yaml]\npatchesStrategicMerge: [p.yaml]\nbases: [../base]\nreplacements:\n  - source: {kind: ConfigMap, name: v}\n    targets: []\n",
    ));
    assert_eq!(fine, [], "kustomize builds every one of these fields");
    let problems = build_file_problems(&parse("resources: [a.yaml]\nconfiguration: [k.yaml]\n"));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].kind, MismatchKind::UnknownField);
    let e = problems[0].text.clone();
    assert_contains(&e, "unknown field configuration, expected one of");
}

/// What the round trip lost or changed, as (whether the field is unknown, text).
fn lost(orig: &str, back: &str) -> Vec<(bool, String)> {
    lost_or_changed(&parse(orig), &parse(back))
        .into_iter()
        .map(|m| (m.kind == MismatchKind::UnknownField, m.text))
        .collect()
}

#[test]
fn comparison_normalizes_only_nulls_defaults_and_number_forms() {
    // `1` -> `1.0`, a dropped null and an added default are not problems.
    assert_eq!(
        lost(
            "a: 1\nb: x\nc: null\nd: [1, 2]\n",
            "a: 1.0\nb: x\nd: [1, 2]\nadded: {}\n"
        ),
        []
    );
    // A changed scalar, a string/number swap, a lost key and a shorter list
    // are; only the lost key is an unknown field.
    assert_eq!(
        lost("a: 1\nb: \"1\"\nd: [1, 2]\ne: 0\n", "a: 2\nb: 1\nd: [1]\n"),
        [
            (
                false,
                "field a changed in the round trip: 1 became 2".to_owned()
            ),
            (
                false,
                "field b changed in the round trip: \"1\" became 1".to_owned()
            ),
            (
                false,
                "list d has 2 items but 1 after the round trip".to_owned()
            ),
            (true, "unknown field e".to_owned()),
        ]
    );
}

/// The `k8s-openapi` source the gate compiles against: the version Cargo.lock
/// pins, in cargo's registry cache, which holds it because this test links it.
/// `cargo metadata` is the fallback for other setups (vendored sources); it is
/// not the first choice because offline it wants every locked package present.
fn k8s_openapi_source() -> std::path::PathBuf {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the gate crate sits in the workspace");
    locked_registry_source(workspace, "k8s-openapi")
        .unwrap_or_else(|| metadata_source("k8s-openapi"))
        .join("src")
}

/// `$CARGO_HOME/registry/src/<index>/<name>-<version>` for the version in Cargo.lock.
fn locked_registry_source(workspace: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    let lock = std::fs::read_to_string(workspace.join("Cargo.lock")).ok()?;
    let at = lock.find(&format!("name = \"{name}\"\nversion = \""))?;
    let version = lock[at..].lines().nth(1)?;
    let version = version.strip_prefix("version = \"")?.strip_suffix('"')?;
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")))?;
    std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .flatten()
        .map(|index| index.path().join(format!("{name}-{version}")))
        .find(|dir| dir.join("Cargo.toml").is_file())
}

/// The crate directory of dependency `name`, as `cargo metadata` (offline, host
/// only) reports it.
fn metadata_source(name: &str) -> std::path::PathBuf {
    let rustc = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    let rustc = String::from_utf8_lossy(&rustc.stdout).into_owned();
    let host = rustc
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", host])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let manifest = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["manifest_path"].as_str())
        .unwrap_or_else(|| panic!("{name} is a dependency"));
    std::path::Path::new(manifest)
        .parent()
        .expect("crate dir")
        .to_owned()
}

/// Every (apiVersion, kind) of the newest Kubernetes version in the source (the
/// gate enables `latest`) whose type can be stored (`ListableResource`).
fn k8s_openapi_kinds() -> Vec<(String, String)> {
    let src = k8s_openapi_source();
    let newest = std::fs::read_dir(&src)
        .expect("src")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("v1_"))
        })
        .max_by_key(|p| {
            let n = p.file_name().expect("name").to_string_lossy().into_owned();
            n[3..].parse::<u32>().unwrap_or(0)
        })
        .expect("a version module");
    let mut out = Vec::new();
    let mut dirs = vec![newest];
    while let Some(dir) = dirs.pop() {
        for path in std::fs::read_dir(dir)
            .expect("read_dir")
            .flatten()
            .map(|e| e.path())
        {
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            if !text.contains("impl crate::ListableResource for") {
                continue;
            }
            let constant = |name: &str| {
                let at = text
                    .find(&format!("const {name}: &'static str = \""))
                    .expect(name);
                let rest = &text[at..];
                let start = rest.find('"').expect("quote") + 1;
                let end = start + rest[start..].find('"').expect("quote");
                rest[start..end].to_owned()
            };
            out.push((constant("API_VERSION"), constant("KIND")));
        }
    }
    out.sort();
    out
}

#[test]
fn the_table_has_every_kubernetes_kind() {
    let known = k8s_openapi_kinds();
    assert!(known.len() > 50, "found only {known:?}");
    let missing: Vec<_> = known
        .iter()
        .filter(|(api_version, kind)| kind_spec(api_version, kind).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "kinds of k8s-openapi without a row: {missing:?}"
    );
}

/// A Deployment mounting a ConfigMap with `defaultMode` written as given.
fn deployment_with_default_mode(mode: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n        - name: web\n          image: nginx\n      volumes:\n        - name: scripts\n          configMap:\n            name: scripts\n            defaultMode: {mode}\n"
    )
}

#[test]
fn yaml_1_1_integers_are_integers_as_kubernetes_reads_them() {
    // go-yaml, which kubectl and the API machinery use, reads these as integers.
    for mode in ["0755", "0o755", "0x1ED", "493", "0b111101101", "4_93"] {
        check_yaml(Path::new("web.yaml"), &deployment_with_default_mode(mode))
            .unwrap_or_else(|e| panic!("defaultMode: {mode}: {e:?}"));
    }
}

#[test]
fn a_quoted_integer_is_still_a_string() {
    let errors = yaml_findings(&deployment_with_default_mode("\"0755\""));
    assert!(
        errors
            .iter()
            .any(|(code, _, m)| *code == "schema" && m.contains("defaultMode")),
        "{errors:?}"
    );
}

#[test]
fn a_name_with_a_line_break_is_one_finding_not_two() {
    // The message quotes the name; the finding is still one.
    let errors = yaml_findings("kind: Service\nmetadata:\n  name: \"one\\ntwo\"\n");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].0, "not-an-object", "no apiVersion: {errors:#?}");
    let errors = yaml_findings(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"one\\ntwo\"\ndata:\n  n: 1\n",
    );
    assert_eq!(errors.len(), 1, "{errors:#?}");
}
