//! The audit follows what each cluster's Flux Kustomizations apply: a request
//! in a shared component is held against every cluster that applies it, after
//! Flux's substitution; content no cluster applies is skipped when it is not YAML,
//! never failing the build; isolation is a build error in both modes.

mod common;

use std::fs;
use std::path::Path;

use common::{add_flux, scratch_repo, service, snapshot, write};
use lbipam_core::{Mode, build_with};

/// The notices of a build, or its report.
fn build(root: &Path, mode: Mode) -> Result<Vec<String>, String> {
    let out = tempfile::tempdir().expect("out dir");
    build_with(root, out.path(), mode)
        .map(|s| s.change_lines())
        .map_err(|r| r.lines().join("\n"))
}

/// Builds in write mode, expecting failure with nothing written.
fn fails(root: &Path) -> String {
    let before = snapshot(root);
    let report = build(root, Mode::Write).expect_err("the build must fail");
    assert_eq!(snapshot(root), before, "nothing written:\n{report}");
    report
}

/// The report of a build in which only infra applies `kubernetes/apps/web/`,
/// holding `service.yaml` with this text.
fn applied_by_infra(text: &str) -> String {
    let repo = scratch_repo();
    let root = repo.path();
    write(root, "kubernetes/apps/web/service.yaml", text);
    add_flux(root, "infra", "web", "./kubernetes/apps/web", &[]);
    fails(root)
}

#[test]
fn a_component_only_infra_applies_may_not_ask_for_an_apps_address() {
    let report = applied_by_infra(&service("web", "10.25.11.125"));
    assert_eq!(
        report,
        "kubernetes/apps/web/service.yaml:7:28: LoadBalancer IP 10.25.11.125 (annotation lbipam.cilium.io/ips) is not given to cluster infra by plan.toml: it belongs to apps-pool (apps); cluster infra applies this file through Flux Kustomization web (web → ./kubernetes/apps/web → service.yaml)"
    );
}

#[test]
fn the_same_component_applied_by_the_owning_cluster_passes() {
    let repo = scratch_repo();
    let root = repo.path();
    write(
        root,
        "kubernetes/apps/web/service.yaml",
        &service("web", "10.25.11.125"),
    );
    add_flux(root, "apps", "web", "./kubernetes/apps/web", &[]);
    build(root, Mode::Write).unwrap_or_else(|r| panic!("{r}"));
}

#[test]
fn a_shared_component_is_held_against_each_cluster_that_applies_it() {
    let repo = scratch_repo();
    let root = repo.path();
    write(
        root,
        "kubernetes/apps/web/service.yaml",
        &service("web", "10.25.11.125"),
    );
    add_flux(root, "apps", "web", "./kubernetes/apps/web", &[]);
    add_flux(root, "infra", "web", "./kubernetes/apps/web", &[]);
    let report = fails(root);
    assert_eq!(report.lines().count(), 1, "{report}");
    assert!(report.contains("not given to cluster infra"), "{report}");
}

#[test]
fn a_substituted_request_is_checked_with_the_value_each_cluster_gives_it() {
    let repo = scratch_repo();
    let root = repo.path();
    // Each cluster's own settings, in a ConfigMap of another name and file.
    for (cluster, ip) in [("infra", "10.25.11.111"), ("apps", "10.25.11.110")] {
        write(
            root,
            &format!("kubernetes/clusters/{cluster}/secrets/cluster-config.yaml"),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-config\n  namespace: flux-system\ndata:\n  WEB_IP: \"{ip}\"\n"
            ),
        );
    }
    write(
        root,
        "kubernetes/apps/web/service.yaml",
        &service("web", "${WEB_IP}"),
    );
    for cluster in ["infra", "apps"] {
        add_flux(
            root,
            cluster,
            "web",
            "./kubernetes/apps/web",
            &["cluster-config"],
        );
    }
    let report = fails(root);
    // infra's value is its own; apps was given infra's .110.
    assert_eq!(
        report,
        "kubernetes/apps/web/service.yaml:7:28: LoadBalancer IP 10.25.11.110 (annotation lbipam.cilium.io/ips, `${WEB_IP}` substituted by Flux) is not given to cluster apps by plan.toml: it belongs to infra-pool (infra); cluster apps applies this file through Flux Kustomization web (web → ./kubernetes/apps/web → service.yaml)"
    );
}

#[test]
fn a_default_in_a_substitution_counts_when_the_variable_is_unset() {
    let repo = scratch_repo();
    let root = repo.path();
    write(
        root,
        "kubernetes/apps/web/service.yaml",
        &service("web", "${WEB_IP:=10.25.11.130}"),
    );
    add_flux(
        root,
        "infra",
        "web",
        "./kubernetes/apps/web",
        &["cluster-settings"],
    );
    let report = fails(root);
    assert!(
        report.contains("LoadBalancer IP 10.25.11.130 (annotation lbipam.cilium.io/ips, `${WEB_IP:=10.25.11.130}` substituted by Flux) is not given to cluster infra"),
        "{report}"
    );
}

#[test]
fn a_variable_applied_without_post_build_reaches_cilium_unsubstituted() {
    let report = applied_by_infra(&service("web", "${WEB_IP}"));
    assert!(
        report.contains("`${WEB_IP}` is applied to cluster infra by Flux Kustomization web, which has no spec.postBuild"),
        "{report}"
    );
}

#[test]
fn a_request_written_as_an_alias_is_audited() {
    let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: default\n  labels:\n    ip: &lbIP 10.25.11.125\n  annotations:\n    lbipam.cilium.io/ips: *lbIP\nspec:\n  type: LoadBalancer\n";
    let report = applied_by_infra(text);
    assert!(
        report.starts_with("kubernetes/apps/web/service.yaml:9:27: LoadBalancer IP 10.25.11.125"),
        "{report}"
    );
}

#[test]
fn a_hand_written_pool_in_an_applied_directory_fails_both_modes() {
    let repo = scratch_repo();
    let root = repo.path();
    let pool = "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: legacy-pool\nspec:\n  blocks:\n    - cidr: 10.25.11.240/28\n";
    write(root, "kubernetes/apps/legacy/pool.yaml", pool);
    add_flux(root, "apps", "legacy", "./kubernetes/apps/legacy", &[]);
    for mode in [Mode::Write, Mode::Check] {
        let before = snapshot(root);
        let report = build(root, mode).expect_err("a pool the plan does not have");
        assert!(
            report.contains("kubernetes/apps/legacy/pool.yaml:4:1: CiliumLoadBalancerIPPool legacy-pool (applied by Flux Kustomization legacy of cluster apps via legacy → ./kubernetes/apps/legacy → pool.yaml) is not a pool of plan.toml"),
            "{mode:?}: {report}"
        );
        assert_eq!(snapshot(root), before);
    }
}

#[test]
fn a_pool_written_on_its_document_marker_line_is_seen() {
    let repo = scratch_repo();
    let root = repo.path();
    // YAML lets a document start on its `---` line: kubectl applies this pool.
    // The finding points at the pool's name, as for a block-style pool: line 3.
    let pool = "# legacy\n--- {apiVersion: cilium.io/v2alpha1, kind: CiliumLoadBalancerIPPool,\n  metadata: {name: legacy-pool}, spec: {blocks: [{cidr: 10.25.11.240/28}]}}\n";
    write(root, "kubernetes/apps/legacy/pool.yaml", pool);
    add_flux(root, "apps", "legacy", "./kubernetes/apps/legacy", &[]);
    let report = fails(root);
    assert!(
        report.contains("kubernetes/apps/legacy/pool.yaml:3:1: CiliumLoadBalancerIPPool legacy-pool (applied by Flux Kustomization legacy of cluster apps via legacy → ./kubernetes/apps/legacy → pool.yaml) is not a pool of plan.toml"),
        "{report}"
    );
}

#[test]
fn a_service_written_on_its_document_marker_line_is_audited() {
    let text = "--- {apiVersion: v1, kind: Service, metadata: {name: web, annotations: {lbipam.cilium.io/ips: 10.25.11.125}}, spec: {type: LoadBalancer}}\n";
    let report = applied_by_infra(text);
    assert!(
        report.contains("kubernetes/apps/web/service.yaml:1:") && report.contains("LoadBalancer IP 10.25.11.125 (annotation lbipam.cilium.io/ips) is not given to cluster infra by plan.toml"),
        "{report}"
    );
}

#[test]
fn an_alias_annotation_the_primary_key_overrides_is_an_error_unless_they_agree() {
    let both = |primary: &str, alias: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: default\n  annotations:\n    lbipam.cilium.io/ips: \"{primary}\"\n    io.cilium/lb-ipam-ips: \"{alias}\"\nspec:\n  type: LoadBalancer\n"
        )
    };
    let repo = scratch_repo();
    let root = repo.path();
    write(
        root,
        "kubernetes/apps/web/service.yaml",
        &both("10.25.11.125", "10.25.11.126"),
    );
    add_flux(root, "apps", "web", "./kubernetes/apps/web", &[]);
    let report = fails(root);
    assert!(
        report.contains("kubernetes/apps/web/service.yaml:8:29: `io.cilium/lb-ipam-ips: 10.25.11.126` is never read: the same annotations ask for `10.25.11.125` with lbipam.cilium.io/ips, which Cilium reads first"),
        "{report}"
    );
    // Saying the same thing twice is redundant, not wrong.
    write(
        root,
        "kubernetes/apps/web/service.yaml",
        &both("10.25.11.125", "10.25.11.125"),
    );
    build(root, Mode::Write).unwrap_or_else(|r| panic!("{r}"));
}

#[test]
fn a_primary_key_written_beside_the_managed_alias_in_helm_values_is_caught() {
    let repo = scratch_repo();
    let root = repo.path();
    let values = root.join("bootstrap/clusters/apps/cilium-values.yaml");
    let text = fs::read_to_string(&values).expect("read");
    let managed = "        io.cilium/lb-ipam-ips: \"10.25.11.120\" # managed by lbipam-plan\n";
    assert!(text.contains(managed), "{text}");
    let hand = "        lbipam.cilium.io/ips: \"10.25.11.125\"\n";
    fs::write(&values, text.replace(managed, &format!("{hand}{managed}"))).expect("write");
    let report = fails(root);
    assert!(
        report.contains("`io.cilium/lb-ipam-ips: 10.25.11.120` is never read: the same annotations ask for `10.25.11.125` with lbipam.cilium.io/ips"),
        "{report}"
    );
}

#[test]
fn a_helm_chart_with_templates_under_kubernetes_does_not_fail_the_build() {
    let repo = scratch_repo();
    let root = repo.path();
    write(
        root,
        "kubernetes/charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(
        root,
        "kubernetes/charts/web/templates/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n  {{- with .Values.annotations }}\n  annotations:\n    {{- toYaml . | nindent 4 }}\n  {{- end }}\n",
    );
    write(
        root,
        "kubernetes/charts/web/values.yaml",
        "annotations: {}\n",
    );
    let notices = build(root, Mode::Write).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(
        notices,
        Vec::<String>::new(),
        "chart templates pass silently"
    );
}

#[test]
fn invalid_yaml_nobody_applies_is_skipped_with_one_notice_and_later_files_are_still_audited() {
    let repo = scratch_repo();
    let root = repo.path();
    write(root, "kubernetes/a-notes/broken.yaml", "key: [unclosed\n");
    fs::write(
        root.join("kubernetes/a-notes/latin1.yaml"),
        b"name: caf\xe9\n",
    )
    .expect("write");
    write(
        root,
        "kubernetes/z-apps/web.yaml",
        &service("web", "10.25.12.1"),
    );
    let report = fails(root);
    assert_eq!(report.lines().count(), 1, "{report}");
    assert!(report.starts_with("kubernetes/z-apps/web.yaml:7:28: LoadBalancer IP 10.25.12.1"));
    fs::remove_file(root.join("kubernetes/z-apps/web.yaml")).expect("rm");
    let notices = build(root, Mode::Write).unwrap_or_else(|r| panic!("{r}"));
    // One warning at each file skipped, in path order.
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(
        notices[0].starts_with(
            "warning[skipped-file]: kubernetes/a-notes/broken.yaml:1:1: skipped: not valid YAML"
        ),
        "{notices:?}"
    );
}

#[test]
fn an_excluded_glob_is_not_read() {
    let repo = scratch_repo();
    let root = repo.path();
    write(root, "kubernetes/templates/web.yaml", "key: [unclosed\n");
    let plan = root.join("plan.toml");
    let text = fs::read_to_string(&plan).expect("plan");
    fs::write(
        &plan,
        format!("{text}\n[layout]\nexclude = [\"kubernetes/templates/**\"]\n"),
    )
    .expect("write");
    let notices = build(root, Mode::Write).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(notices, Vec::<String>::new());
}

#[test]
fn a_bad_exclude_glob_is_a_plan_error_at_its_line() {
    let repo = scratch_repo();
    let root = repo.path();
    let plan = root.join("plan.toml");
    let text = fs::read_to_string(&plan).expect("plan");
    let line = text.lines().count() + 3;
    fs::write(&plan, format!("{text}\n[layout]\nexclude = [\"a/[b\"]\n")).expect("write");
    let report = fails(root);
    assert!(
        report.starts_with(&format!("plan.toml:{line}:12: invalid glob `a/[b`")),
        "{report}"
    );
}

#[test]
fn a_variable_a_substitute_from_secret_may_set_is_unknown_not_an_error() {
    let repo = scratch_repo();
    let root = repo.path();
    // A SOPS-encrypted Secret beside each cluster's settings: its values are not
    // in git. Both clusters apply the shared cilium-core component below.
    for cluster in ["infra", "apps"] {
        write(
            root,
            &format!("kubernetes/clusters/{cluster}/cluster-secrets.sops.yaml"),
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\nstringData:\n  WEB_IP: ENC[AES256_GCM,data:abc=,iv:x=,tag:y=,type:str]\nsops:\n  version: 3.9.0\n",
        );
        let file = root.join(format!("kubernetes/clusters/{cluster}/infrastructure.yaml"));
        let text = fs::read_to_string(&file).expect("read");
        fs::write(
            &file,
            text.replacen(
                "        name: cluster-settings\n",
                "        name: cluster-settings\n      - kind: Secret\n        name: cluster-secrets\n",
                1,
            ),
        )
        .expect("write");
    }
    build(root, Mode::Write).unwrap_or_else(|r| panic!("{r}"));
    // A request through it is unknown; a literal stray address beside it is not.
    write(
        root,
        "kubernetes/infrastructure/networking/cilium/core/web.yaml",
        &format!(
            "{}---\n{}",
            service("web", "${WEB_IP}"),
            service("db", "10.25.11.125")
        ),
    );
    let kustomization =
        root.join("kubernetes/infrastructure/networking/cilium/core/kustomization.yaml");
    let text = fs::read_to_string(&kustomization).expect("read");
    fs::write(&kustomization, format!("{text}  - web.yaml\n")).expect("write");
    let report = fails(root);
    assert_eq!(report.lines().count(), 1, "{report}");
    assert!(
        report.starts_with("kubernetes/infrastructure/networking/cilium/core/web.yaml:19:28: LoadBalancer IP 10.25.11.125 (annotation lbipam.cilium.io/ips) is not given to cluster infra"),
        "{report}"
    );
}

#[test]
fn what_a_cluster_applies_is_audited_outside_the_audited_directories_and_as_json() {
    let repo = scratch_repo();
    let root = repo.path();
    write(
        root,
        "extra/web/service.yaml",
        &service("web", "10.25.11.5"),
    );
    write(
        root,
        "kubernetes/apps/web/db.json",
        r#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "annotations": {"lbipam.cilium.io/ips": "10.25.11.6"}}}"#,
    );
    write(
        root,
        "kubernetes/apps/web/kustomization.yaml",
        "resources:\n  - ../../../extra/web/service.yaml\n  - db.json\n",
    );
    add_flux(root, "infra", "web", "./kubernetes/apps/web", &[]);
    let report = fails(root);
    for (file, addr) in [
        ("extra/web/service.yaml", "10.25.11.5"),
        ("kubernetes/apps/web/db.json", "10.25.11.6"),
    ] {
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(file) && l.contains(&format!("LoadBalancer IP {addr}"))),
            "{file}: {report}"
        );
    }
}
