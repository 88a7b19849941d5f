//! What each cluster's Flux Kustomizations apply, resolved without kustomize
//! from small scratch repositories, and the checks held against it: pools,
//! substitution, dependsOn, components, remote resources.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use lbipam_core::audit::isolation::{check_cluster, check_repo};
use lbipam_core::check::compile;
use lbipam_core::diag::Report;
use lbipam_core::diag::error::{Error, Location};
use lbipam_core::flux::entry::resolve_cluster;
use lbipam_core::flux::object::Object;
use lbipam_core::flux::resolve::*;
use lbipam_core::plan::Plan;
use lbipam_core::tree::Tree;

const PLAN: &str = "[network]\ncidr = \"10.0.0.0/24\"\n\n[clusters.one.pools.one-pool]\nblocks = [\"10.0.0.10-10.0.0.19\"]\n\n[clusters.two.pools.two-pool]\nblocks = [\"10.0.0.20-10.0.0.29\", \"10.0.0.32/28\"]\n";

/// Cluster `one`'s pool kustomization.
const ONE_KUSTOMIZATION: &str = "kubernetes/ipam/one/kustomization.yaml";
/// The file of cluster `one`'s Flux Kustomizations.
const ONE_FLUX: &str = "kubernetes/clusters/one/infrastructure.yaml";

/// A resolver finding as `file: chain: problem`, the file it is in and its message.
fn at_file(e: &Error) -> String {
    match e.location() {
        Location::File { path, .. } => format!("{}: {e}", path.display()),
        Location::Plan { .. } => format!("plan.toml: {e}"),
    }
}

fn plan() -> Plan {
    compile(PLAN).unwrap_or_else(|e| panic!("fixture plan: {e:?}"))
}

/// The plan with `[audit] strict = true`: what is out of reach is an error.
fn strict_plan() -> Plan {
    compile(&format!("{PLAN}\n[audit]\nstrict = true\n"))
        .unwrap_or_else(|e| panic!("fixture plan: {e:?}"))
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    fs::write(full, text).expect("write");
}

fn edit(root: &Path, path: &str, from: &str, to: &str) {
    let text = fs::read_to_string(root.join(path)).expect("read");
    assert!(text.contains(from), "{path} must contain {from:?}");
    fs::write(root.join(path), text.replacen(from, to, 1)).expect("write");
}

fn flux(name: &str, path: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: {path}\n{extra}"
    )
}

/// Two clusters, each with a shared `core` (a ConfigMap filled in by
/// post-build substitution) and its own `ipam/<c>` component holding its pool.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    for (c, blocks) in [
        ("one", "  - start: 10.0.0.10\n    stop: 10.0.0.19\n"),
        (
            "two",
            "  - start: 10.0.0.20\n    stop: 10.0.0.29\n  - cidr: 10.0.0.32/28\n",
        ),
    ] {
        write(
            root,
            &format!("kubernetes/clusters/{c}/infrastructure.yaml"),
            &format!(
                "# {c}\n{}{}",
                flux(
                    "core",
                    "./kubernetes/core",
                    "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n"
                ),
                flux(
                    "cilium-ipam",
                    &format!("./kubernetes/ipam/{c}"),
                    "  dependsOn:\n    - name: core\n"
                )
            ),
        );
        write(
            root,
            &format!("kubernetes/clusters/{c}/cluster-settings.yaml"),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  CLUSTER_NAME: \"{c}\"\n"
            ),
        );
        write(
            root,
            &format!("kubernetes/ipam/{c}/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - pool.yaml\n",
        );
        write(
            root,
            &format!("kubernetes/ipam/{c}/pool.yaml"),
            &format!(
                "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: {c}-pool\nspec:\n  blocks:\n{blocks}  serviceSelector: {{}}\n"
            ),
        );
    }
    write(
        root,
        "kubernetes/core/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - settings.yaml\n",
    );
    write(
        root,
        "kubernetes/core/settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: core\n  namespace: kube-system\ndata:\n  cluster: ${CLUSTER_NAME}\n  zone: ${ZONE:=default-zone}\n  literal: $${NOT_A_VAR}\n",
    );
    dir
}

fn resolved(root: &Path, cluster: &str) -> ClusterBuild {
    resolve_cluster(&Tree::disk(root), &plan(), cluster).unwrap_or_else(|e| {
        panic!(
            "{cluster} must resolve:\n{}",
            e.iter().map(at_file).collect::<Vec<_>>().join("\n")
        )
    })
}

/// The resolve errors as `file: chain: problem` lines.
fn resolve_errors(root: &Path, cluster: &str) -> Vec<String> {
    resolve_errors_with(&plan(), root, cluster)
}

fn resolve_errors_with(plan: &Plan, root: &Path, cluster: &str) -> Vec<String> {
    match resolve_cluster(&Tree::disk(root), plan, cluster) {
        Ok(_) => panic!("{cluster} must fail to resolve"),
        Err(e) => e.iter().map(at_file).collect(),
    }
}

/// The notes of a build that passes, as `file: chain: problem` lines.
fn notes(root: &Path, cluster: &str) -> Vec<String> {
    resolved(root, cluster).notes.iter().map(at_file).collect()
}

/// The check's problems as `file:line:col: message` lines.
fn problems(root: &Path, cluster: &str) -> Vec<String> {
    let errors = check_cluster(&Tree::disk(root), &plan(), &resolved(root, cluster));
    Report::new("plan.toml", PLAN, errors).lines()
}

fn assert_one_contains(lines: &[String], needle: &str) {
    assert!(
        lines.iter().any(|l| l.contains(needle)),
        "expected a line containing {needle:?} in:\n{}",
        lines.join("\n")
    );
}

#[test]
fn each_cluster_applies_its_own_pool_and_passes_the_check() {
    let repo = fixture();
    for c in ["one", "two"] {
        let build = resolved(repo.path(), c);
        let ipam = build.applied("cilium-ipam").expect("cilium-ipam built");
        let pools: Vec<(&str, &Path)> = ipam
            .objects
            .iter()
            .map(|o| (o.name(), o.source.as_path()))
            .collect();
        let file = PathBuf::from(format!("kubernetes/ipam/{c}/pool.yaml"));
        assert_eq!(pools, [(format!("{c}-pool").as_str(), file.as_path())]);
        assert_eq!(
            ipam.objects[0].via,
            [
                "cilium-ipam".to_owned(),
                format!("./kubernetes/ipam/{c}"),
                "pool.yaml".to_owned()
            ]
        );
        assert_eq!(ipam.dirs, [PathBuf::from(format!("kubernetes/ipam/{c}"))]);
        assert_eq!(problems(repo.path(), c), Vec::<String>::new());
    }
}

#[test]
fn post_build_substitution_fills_in_cluster_settings_and_defaults() {
    let repo = fixture();
    let build = resolved(repo.path(), "two");
    let core = &build.applied("core").expect("core built").objects[0];
    assert_eq!(core.value["data"]["cluster"].as_str(), Some("two"));
    assert_eq!(core.value["data"]["zone"].as_str(), Some("default-zone"));
    assert_eq!(core.value["data"]["literal"].as_str(), Some("${NOT_A_VAR}"));
}

#[test]
fn a_cluster_whose_path_points_at_the_other_clusters_dir_fails_isolation() {
    let repo = fixture();
    edit(
        repo.path(),
        "kubernetes/clusters/two/infrastructure.yaml",
        "./kubernetes/ipam/two",
        "./kubernetes/ipam/one",
    );
    let p = problems(repo.path(), "two");
    assert_one_contains(
        &p,
        "kubernetes/ipam/one/pool.yaml:4:1: CiliumLoadBalancerIPPool one-pool belongs to cluster one in plan.toml, but Flux Kustomization cilium-ipam of cluster two applies it (via cilium-ipam → ./kubernetes/ipam/one → pool.yaml)",
    );
    assert_one_contains(
        &p,
        "kubernetes/clusters/two/infrastructure.yaml:29:1: pool two-pool of cluster two in plan.toml is not applied",
    );
    assert_eq!(p.len(), 2, "{p:#?}");
    // The other cluster is unaffected.
    assert_eq!(problems(repo.path(), "one"), Vec::<String>::new());
}

#[test]
fn a_missing_resource_file_is_an_error_at_its_entry_naming_the_chain() {
    let repo = fixture();
    fs::remove_file(repo.path().join("kubernetes/ipam/one/pool.yaml")).expect("rm");
    let e = resolve_cluster(&Tree::disk(repo.path()), &plan(), "one").expect_err("must fail");
    assert_eq!(
        e.iter().map(at_file).collect::<Vec<_>>(),
        [
            "kubernetes/ipam/one/kustomization.yaml: cilium-ipam → ./kubernetes/ipam/one → pool.yaml: file not found: kubernetes/ipam/one/pool.yaml (listed in kubernetes/ipam/one/kustomization.yaml)"
        ]
    );
    assert_at_line_of(repo.path(), &e[0], ONE_KUSTOMIZATION, "- pool.yaml");
    let related: Vec<_> = e[0]
        .related_files()
        .iter()
        .map(|r| (r.path.display().to_string(), r.line))
        .collect();
    let flux = ONE_FLUX;
    let text = fs::read_to_string(repo.path().join(flux)).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    let name = lines
        .iter()
        .position(|l| l.trim() == "name: cilium-ipam")
        .expect("cilium-ipam");
    let starts = 1 + lines[..name]
        .iter()
        .rposition(|l| l.starts_with("apiVersion:"))
        .expect("its document");
    assert_eq!(
        related,
        [(flux.to_owned(), starts)],
        "the Flux Kustomization applying it, where its document starts"
    );
}

#[test]
fn a_missing_flux_path_is_an_error() {
    let repo = fixture();
    fs::remove_dir_all(repo.path().join("kubernetes/ipam/one")).expect("rm");
    assert_eq!(
        resolve_errors(repo.path(), "one"),
        [
            "kubernetes/clusters/one/infrastructure.yaml: cilium-ipam → ./kubernetes/ipam/one: directory not found: kubernetes/ipam/one"
        ]
    );
}

#[test]
fn paths_escaping_the_repository_are_errors() {
    let repo = fixture();
    let k = ONE_KUSTOMIZATION;
    edit(
        repo.path(),
        k,
        "  - pool.yaml\n",
        "  - pool.yaml\n  - ../../../../outside.yaml\n  - /etc/hosts\n",
    );
    assert_eq!(
        resolve_errors(repo.path(), "one"),
        [
            "kubernetes/ipam/one/kustomization.yaml: cilium-ipam → ./kubernetes/ipam/one → ../../../../outside.yaml: `../../../../outside.yaml` leaves the repository; paths must stay inside it",
            "kubernetes/ipam/one/kustomization.yaml: cilium-ipam → ./kubernetes/ipam/one → /etc/hosts: `/etc/hosts` is an absolute path; paths must be relative to the repository",
        ]
    );
    let repo = fixture();
    edit(
        repo.path(),
        ONE_FLUX,
        "./kubernetes/ipam/one",
        "../elsewhere",
    );
    assert_one_contains(
        &resolve_errors(repo.path(), "one"),
        "cilium-ipam → ../elsewhere: `../elsewhere` leaves the repository",
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_repository_is_an_error() {
    let repo = fixture();
    let outside = tempfile::tempdir().expect("temp dir");
    write(
        outside.path(),
        "pool.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    std::os::unix::fs::symlink(
        outside.path().join("pool.yaml"),
        repo.path().join("kubernetes/ipam/one/linked.yaml"),
    )
    .expect("symlink");
    edit(
        repo.path(),
        ONE_KUSTOMIZATION,
        "  - pool.yaml\n",
        "  - pool.yaml\n  - linked.yaml\n",
    );
    assert_one_contains(
        &resolve_errors(repo.path(), "one"),
        "→ linked.yaml: `linked.yaml` leaves the repository through a symlink",
    );
}

#[test]
fn a_symlink_out_of_a_flux_path_without_kustomization_is_an_error_naming_the_chain() {
    let repo = fixture();
    fs::remove_file(repo.path().join(ONE_KUSTOMIZATION)).expect("rm");
    let outside = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink(
        outside.path(),
        repo.path().join("kubernetes/ipam/one/linked"),
    )
    .expect("symlink");
    let errors = resolve_errors(repo.path(), "one");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "kubernetes/clusters/one/infrastructure.yaml: cilium-ipam → ./kubernetes/ipam/one: "
        ) && errors[0].contains("kubernetes/ipam/one/linked"),
        "{errors:?}"
    );
}

#[test]
fn a_resource_cycle_is_an_error_naming_the_loop_at_the_entry_closing_it() {
    let repo = fixture();
    edit(
        repo.path(),
        ONE_KUSTOMIZATION,
        "  - pool.yaml\n",
        "  - pool.yaml\n  - ../loop\n",
    );
    write(
        repo.path(),
        "kubernetes/ipam/loop/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../one\n",
    );
    let e = resolve_cluster(&Tree::disk(repo.path()), &plan(), "one").expect_err("must fail");
    assert_eq!(
        e.iter().map(at_file).collect::<Vec<_>>(),
        [
            "kubernetes/ipam/loop/kustomization.yaml: cilium-ipam → ./kubernetes/ipam/one → ../loop → ../one: cycle: kubernetes/ipam/one includes itself (kubernetes/ipam/one → kubernetes/ipam/loop → kubernetes/ipam/one)"
        ]
    );
    assert_at_line_of(
        repo.path(),
        &e[0],
        "kubernetes/ipam/loop/kustomization.yaml",
        "- ../one",
    );
}

/// Asserts that `e` is in `file` at the line whose trimmed text is `line`.
fn assert_at_line_of(root: &Path, e: &Error, file: &str, line: &str) {
    let expected = line_of(root, file, line);
    assert!(
        matches!(e.location(), Location::File { path, line, .. } if path == Path::new(file) && line == expected),
        "points at `{line}` ({file}:{expected}): {:?}",
        e.location()
    );
}

#[test]
fn remote_resources_are_notes_and_errors_when_the_plan_is_strict() {
    for remote in [
        "https://example.com/pool.yaml",
        "github.com/org/repo//deploy?ref=v1",
        "git@github.com:org/repo.git",
    ] {
        let repo = fixture();
        edit(
            repo.path(),
            ONE_KUSTOMIZATION,
            "  - pool.yaml\n",
            &format!("  - pool.yaml\n  - {remote}\n"),
        );
        let expected = format!(
            "→ {remote}: remote resource `{remote}`: only files of this repository can be resolved"
        );
        assert_one_contains(&notes(repo.path(), "one"), &expected);
        assert_one_contains(
            &resolve_errors_with(&strict_plan(), repo.path(), "one"),
            &expected,
        );
    }
}

#[test]
fn a_listed_directory_without_kustomization_is_an_error_at_its_entry() {
    let repo = fixture();
    write(
        repo.path(),
        "kubernetes/ipam/one/extra/more.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    edit(
        repo.path(),
        ONE_KUSTOMIZATION,
        "  - pool.yaml\n",
        "  - pool.yaml\n  - extra\n",
    );
    let e = resolve_cluster(&Tree::disk(repo.path()), &plan(), "one").expect_err("must fail");
    assert_eq!(
        e.len(),
        1,
        "{:?}",
        e.iter().map(at_file).collect::<Vec<_>>()
    );
    assert!(
        at_file(&e[0])
            .contains("→ extra: directory kubernetes/ipam/one/extra has no kustomization.yaml"),
        "{}",
        at_file(&e[0])
    );
    assert_at_line_of(repo.path(), &e[0], ONE_KUSTOMIZATION, "- extra");
}

#[test]
fn a_flux_path_without_kustomization_takes_every_yaml_file_below_it() {
    let repo = fixture();
    fs::remove_file(repo.path().join(ONE_KUSTOMIZATION)).expect("rm");
    write(
        repo.path(),
        "kubernetes/ipam/one/sub/more.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more\n",
    );
    write(repo.path(), "kubernetes/ipam/one/README.md", "not yaml");
    let build = resolved(repo.path(), "one");
    let names: Vec<&str> = build
        .applied("cilium-ipam")
        .expect("built")
        .objects
        .iter()
        .map(Object::name)
        .collect();
    assert_eq!(names, ["one-pool", "more"]);
}

#[test]
fn fields_out_of_the_models_reach_are_notes_naming_the_file_and_errors_when_strict() {
    for field in ["helmCharts:\n  - name: x\n", "replacements: []\n"] {
        let repo = fixture();
        edit(
            repo.path(),
            ONE_KUSTOMIZATION,
            "resources:",
            &format!("{field}resources:"),
        );
        let key = field.split(':').next().expect("key");
        let expected = format!(
            "cilium-ipam → ./kubernetes/ipam/one: kubernetes/ipam/one/kustomization.yaml: `{key}` is out of the kustomize model's reach"
        );
        assert_one_contains(&notes(repo.path(), "one"), &expected);
        assert_one_contains(
            &resolve_errors_with(&strict_plan(), repo.path(), "one"),
            &expected,
        );
    }
}

#[test]
fn a_flux_name_prefix_and_patches_are_applied_to_what_the_kustomization_builds() {
    let repo = fixture();
    edit(
        repo.path(),
        ONE_FLUX,
        "  dependsOn:",
        "  namePrefix: x-\n  patches:\n    - patch: |\n        - op: add\n          path: /metadata/labels\n          value: {patched: \"yes\"}\n      target:\n        kind: CiliumLoadBalancerIPPool\n  dependsOn:",
    );
    let build = resolved(repo.path(), "one");
    let pool = &build.applied("cilium-ipam").expect("built").objects[0];
    assert_eq!(pool.name(), "x-one-pool");
    assert_eq!(
        pool.value["metadata"]["labels"]["patched"].as_str(),
        Some("yes")
    );
    assert!(pool.patched);
}

#[test]
fn flux_patches_are_applied_when_the_kustomization_writes_an_empty_patches_key() {
    let repo = fixture();
    edit(
        repo.path(),
        ONE_KUSTOMIZATION,
        "resources:\n",
        "patches:\nresources:\n",
    );
    edit(
        repo.path(),
        ONE_FLUX,
        "  dependsOn:",
        "  patches:\n    - patch: |\n        - op: add\n          path: /metadata/labels\n          value: {patched: \"yes\"}\n      target:\n        kind: CiliumLoadBalancerIPPool\n  dependsOn:",
    );
    let build = resolved(repo.path(), "one");
    let pool = &build.applied("cilium-ipam").expect("built").objects[0];
    assert_eq!(
        pool.value["metadata"]["labels"]["patched"].as_str(),
        Some("yes"),
        "kustomize-controller appends the spec's patches to an empty list"
    );
}

#[test]
fn a_kustomization_namespace_lands_on_the_pool_but_is_no_finding() {
    let repo = fixture();
    edit(
        repo.path(),
        ONE_KUSTOMIZATION,
        "resources:",
        "namespace: kube-system\nresources:",
    );
    let build = resolved(repo.path(), "one");
    let pool = &build.applied("cilium-ipam").expect("built").objects[0];
    // Set as kustomize sets it, and dropped by the API server from a pool.
    assert_eq!(pool.namespace(), Some("kube-system"));
    assert!(!pool.writes_namespace());
    assert_eq!(problems(repo.path(), "one"), Vec::<String>::new());
}

#[test]
fn a_namespace_written_in_the_pool_file_is_a_finding() {
    let repo = fixture();
    edit(
        repo.path(),
        "kubernetes/ipam/one/pool.yaml",
        "name: one-pool",
        "name: one-pool\n  namespace: kube-system",
    );
    assert_one_contains(
        &problems(repo.path(), "one"),
        "CiliumLoadBalancerIPPool one-pool is applied by Flux Kustomization cilium-ipam of cluster one with metadata.namespace `kube-system` written in its file, but pools are cluster-scoped",
    );
}

#[test]
fn a_hand_edited_block_fails_the_check_with_both_values() {
    let repo = fixture();
    edit(
        repo.path(),
        "kubernetes/ipam/two/pool.yaml",
        "stop: 10.0.0.29",
        "stop: 10.0.0.30",
    );
    assert_eq!(
        problems(repo.path(), "two"),
        [
            "kubernetes/ipam/two/pool.yaml:6:1: CiliumLoadBalancerIPPool two-pool of cluster two has spec.blocks 10.0.0.20-10.0.0.30, 10.0.0.32/28 but plan.toml gives it 10.0.0.20-10.0.0.29, 10.0.0.32/28; the file was edited by hand"
        ]
    );
}

#[test]
fn a_pool_the_plan_does_not_have_fails_the_check() {
    let repo = fixture();
    edit(
        repo.path(),
        "kubernetes/ipam/one/pool.yaml",
        "name: one-pool",
        "name: spare-pool",
    );
    let p = problems(repo.path(), "one");
    assert_one_contains(
        &p,
        "CiliumLoadBalancerIPPool spare-pool (applied by Flux Kustomization cilium-ipam of cluster one via cilium-ipam → ./kubernetes/ipam/one → pool.yaml) is not a pool of plan.toml",
    );
    assert_one_contains(
        &p,
        "pool one-pool of cluster one in plan.toml is not applied",
    );
}

#[test]
fn a_dangling_depends_on_fails_the_check() {
    let repo = fixture();
    edit(repo.path(), ONE_FLUX, "- name: core", "- name: cilium-core");
    assert_eq!(
        problems(repo.path(), "one"),
        [
            "kubernetes/clusters/one/infrastructure.yaml:31:1: Flux Kustomization cilium-ipam of cluster one depends on `cilium-core`, which no file in kubernetes/clusters/one/ defines, nor any Kustomization applied from there"
        ]
    );
}

#[test]
fn a_flux_kustomization_inside_a_component_dir_fails_the_check() {
    let repo = fixture();
    // Not even listed in resources: living there is enough.
    write(
        repo.path(),
        "kubernetes/ipam/one/nested.yaml",
        &flux("nested", "./kubernetes/x", ""),
    );
    assert_eq!(
        problems(repo.path(), "one"),
        [
            "kubernetes/ipam/one/nested.yaml:2:1: Flux Kustomization nested lives in component directory kubernetes/ipam/one (reached by cilium-ipam of cluster one); Flux Kustomizations belong in kubernetes/clusters/one/"
        ]
    );
}

#[test]
fn a_flux_instance_inside_a_component_dir_fails_the_check_like_a_kustomization() {
    let repo = fixture();
    write(
        repo.path(),
        "kubernetes/ipam/one/instance.yaml",
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  sync:\n    kind: GitRepository\n    url: https://example.com/repo\n    ref: refs/heads/main\n    path: kubernetes/x\n",
    );
    assert_eq!(
        problems(repo.path(), "one"),
        [
            "kubernetes/ipam/one/instance.yaml:1:1: FluxInstance flux lives in component directory kubernetes/ipam/one (reached by cilium-ipam of cluster one); Flux Kustomizations belong in kubernetes/clusters/one/"
        ]
    );
}

#[test]
fn the_clusters_own_directory_is_not_a_component() {
    // As `flux bootstrap` writes it: a Kustomization applying the cluster's directory.
    let repo = fixture();
    write(
        repo.path(),
        "kubernetes/clusters/one/sync.yaml",
        &flux("flux-system", "./kubernetes/clusters/one", ""),
    );
    let build = resolved(repo.path(), "one");
    let sync = build.applied("flux-system").expect("built");
    assert!(sync.objects.iter().any(|o| o.name() == "cilium-ipam"));
    assert_eq!(problems(repo.path(), "one"), Vec::<String>::new());
}

#[test]
fn a_missing_cilium_ipam_fails_the_check() {
    let repo = fixture();
    edit(repo.path(), ONE_FLUX, "name: cilium-ipam", "name: pools");
    let p = problems(repo.path(), "one");
    assert_one_contains(&p, "cluster one has no Flux Kustomization cilium-ipam");
    assert_one_contains(&p, "only cilium-ipam may apply the cluster's pools");
}

#[test]
fn a_cluster_directory_the_plan_does_not_name_fails_the_gate() {
    let repo = fixture();
    let plan = plan();
    assert_eq!(check_repo(&Tree::disk(repo.path()), &plan), []);
    write(
        repo.path(),
        "kubernetes/clusters/three/cluster-settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\n",
    );
    let lines = Report::new(
        "plan.toml",
        PLAN,
        check_repo(&Tree::disk(repo.path()), &plan),
    )
    .lines();
    assert_eq!(
        lines,
        [
            "kubernetes/clusters/three:1:1: cluster three has files in kubernetes/clusters/three/ but no [clusters.three] in plan.toml, so nothing checks what it applies"
        ]
    );
}

#[test]
fn an_unset_substitution_variable_is_an_error() {
    let repo = fixture();
    edit(
        repo.path(),
        "kubernetes/core/settings.yaml",
        "${CLUSTER_NAME}",
        "${CLUSTER_NAM}",
    );
    assert_one_contains(
        &resolve_errors(repo.path(), "one"),
        // At the reference (line 7: `  cluster: ${CLUSTER_NAM}`), with the ways out.
        "kubernetes/clusters/one/infrastructure.yaml: core → ./kubernetes/core → settings.yaml: kubernetes/core/settings.yaml:7: variable ${CLUSTER_NAM} is not set by spec.postBuild (substitute or substituteFrom): set it there, give it a default (`${CLUSTER_NAM:=value}`), write `$${CLUSTER_NAM}` for a literal `${CLUSTER_NAM}`, or opt the object out with the annotation `kustomize.toolkit.fluxcd.io/substitute: disabled`",
    );
}

#[test]
fn a_variable_in_a_comment_is_never_substituted_so_it_need_not_be_set() {
    // Flux substitutes kustomize's output, which has no comments left.
    let repo = fixture();
    edit(
        repo.path(),
        "kubernetes/core/settings.yaml",
        "  cluster: ${CLUSTER_NAME}\n",
        "  # ${UNSET_IN_A_COMMENT} on a line of its own\n  cluster: ${CLUSTER_NAME} # and ${AFTER_A_VALUE}\n",
    );
    let build = resolved(repo.path(), "one");
    let core = &build.applied("core").expect("core built").objects[0];
    assert_eq!(core.value["data"]["cluster"].as_str(), Some("one"));
}

#[test]
fn a_variable_in_a_value_that_holds_a_hash_is_still_substituted() {
    let repo = fixture();
    edit(
        repo.path(),
        "kubernetes/core/settings.yaml",
        "  cluster: ${CLUSTER_NAME}\n",
        "  cluster: \"# ${CLUSTER_NAM}\"\n",
    );
    assert_one_contains(
        &resolve_errors(repo.path(), "one"),
        "variable ${CLUSTER_NAM} is not set by spec.postBuild",
    );
}

#[test]
fn a_missing_substitute_from_config_map_is_an_error() {
    let repo = fixture();
    fs::remove_file(
        repo.path()
            .join("kubernetes/clusters/one/cluster-settings.yaml"),
    )
    .expect("rm");
    assert_one_contains(
        &resolve_errors(repo.path(), "one"),
        "core: spec.postBuild.substituteFrom ConfigMap cluster-settings is not defined in namespace flux-system by any file of kubernetes/clusters/one",
    );
}

#[test]
fn a_foreign_source_ref_is_a_note_and_an_error_when_strict() {
    let repo = fixture();
    edit(
        repo.path(),
        ONE_FLUX,
        "name: flux-system\n  path: ./kubernetes/core",
        "name: other-repo\n  path: ./kubernetes/core",
    );
    let expected = "core: spec.sourceRef must be GitRepository flux-system (this repository, [flux] source in plan.toml) for its path to be resolved here, found GitRepository other-repo";
    assert_one_contains(&notes(repo.path(), "one"), expected);
    assert_one_contains(
        &resolve_errors_with(&strict_plan(), repo.path(), "one"),
        expected,
    );
}

#[test]
fn an_object_applied_twice_is_an_error() {
    let repo = fixture();
    edit(
        repo.path(),
        ONE_KUSTOMIZATION,
        "  - pool.yaml\n",
        "  - pool.yaml\n  - ./pool.yaml\n",
    );
    assert_one_contains(
        &resolve_errors(repo.path(), "one"),
        "cilium-ipam → ./kubernetes/ipam/one: CiliumLoadBalancerIPPool one-pool is applied twice",
    );
}

#[test]
fn envsubst_replaces_defaults_and_escapes_like_flux() {
    let vars: BTreeMap<String, String> = [
        ("A".to_owned(), "1".to_owned()),
        ("E".to_owned(), String::new()),
    ]
    .into();
    assert_eq!(
        envsubst("${A} ${B:=x} ${E:-y} ${E} $${A} $A", &vars).as_deref(),
        Ok("1 x y  ${A} $A")
    );
    let unset = envsubst("${B}", &vars).expect_err("B is not set");
    assert!(
        unset.starts_with(
            "variable ${B} is not set by spec.postBuild (substitute or substituteFrom): "
        ),
        "{unset}"
    );

    assert!(envsubst("${1x}", &vars).is_err());
    assert!(envsubst("${A", &vars).is_err());
}

#[test]
fn audit_strict_must_be_a_boolean_named_at_its_line_and_column() {
    let text = format!("{PLAN}\n[audit]\nstrict = \"yes\"\n");
    let errors = compile(&text).expect_err("a string is no boolean");
    assert_eq!(
        errors.iter().map(|e| e.code()).collect::<Vec<_>>(),
        ["wrong-type"]
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("strict"))
        .expect("line")
        + 1;
    assert_one_contains(
        &Report::new("plan.toml", &text, errors).lines(),
        &format!("plan.toml:{line}:10: "),
    );
    let unknown = compile(&format!("{PLAN}\n[audit]\nstrickt = true\n")).expect_err("unknown");
    assert_eq!(
        unknown.iter().map(|e| e.code()).collect::<Vec<_>>(),
        ["unknown-key"]
    );
}

/// `(file, line)` of each finding.
fn places(errors: &[Error]) -> Vec<(String, usize)> {
    errors
        .iter()
        .map(|e| match e.location() {
            Location::File { path, line, .. } => (path.display().to_string(), line),
            Location::Plan { .. } => ("plan.toml".to_owned(), 0),
        })
        .collect()
}

#[test]
fn a_problem_in_a_kustomization_file_is_at_its_line_there_and_one_from_flux_spec_at_its_field_there()
 {
    let repo = fixture();
    let k = ONE_KUSTOMIZATION;
    edit(repo.path(), k, "resources:\n", "colour: blue\nresources:\n");
    let text = fs::read_to_string(repo.path().join(k)).expect("read");
    let colour = 1 + text
        .lines()
        .position(|l| l.starts_with("colour:"))
        .expect("colour");
    let e = resolve_cluster(&Tree::disk(repo.path()), &plan(), "one").expect_err("must fail");
    assert_eq!(places(&e), [(k.to_owned(), colour)], "{e:?}");
    assert!(
        e[0].to_string()
            .contains("`colour` is not a kustomization field"),
        "{}",
        e[0]
    );

    // The same kind of problem written in the Flux Kustomization's spec (merged
    // into the build) is placed at that Flux Kustomization, where it is fixed.
    let repo = fixture();
    let flux = ONE_FLUX;
    edit(
        repo.path(),
        flux,
        "  path: ./kubernetes/ipam/one\n",
        "  path: ./kubernetes/ipam/one\n  patches:\n    - target:\n        kind: 7\n",
    );
    let e = resolve_cluster(&Tree::disk(repo.path()), &plan(), "one").expect_err("must fail");
    assert_eq!(
        places(&e),
        [(flux.to_owned(), line_of(repo.path(), flux, "patches:"))]
    );

    // So is one when the kustomization writes patches of its own, and its
    // message does not blame the kustomization file.
    let repo = fixture();
    edit(
        repo.path(),
        k,
        "resources:\n",
        "patches:\n  - patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: nothing\n    target:\n      kind: ConfigMap\nresources:\n",
    );
    edit(
        repo.path(),
        flux,
        "  path: ./kubernetes/ipam/one\n",
        "  path: ./kubernetes/ipam/one\n  patches:\n    - target:\n        kind: 7\n",
    );
    let e = resolve_cluster(&Tree::disk(repo.path()), &plan(), "one").expect_err("must fail");
    let spec_patches = line_of(repo.path(), flux, "patches:");
    assert_eq!(places(&e), [(flux.to_owned(), spec_patches)], "{e:?}");
    assert!(!e[0].to_string().contains(k), "{}", e[0]);

    // A finding at `spec.path` is on that key, not on a JSON patch operation's
    // `path:` written above it.
    let repo = fixture();
    edit(
        repo.path(),
        flux,
        "  path: ./kubernetes/ipam/one\n",
        "  patches:\n    - patch: |\n        - op: add\n          path: /metadata/labels/x\n          value: y\n      target:\n        kind: CiliumLoadBalancerIPPool\n  path: ./kubernetes/ipam/gone\n",
    );
    let e = resolve_cluster(&Tree::disk(repo.path()), &plan(), "one").expect_err("must fail");
    let spec_path = line_of(repo.path(), flux, "path: ./kubernetes/ipam/gone");
    assert_eq!(places(&e), [(flux.to_owned(), spec_path)], "{e:?}");

    // A component listed by the Flux Kustomization's spec is at its
    // `components:` there, even when the kustomization lists components too.
    let repo = fixture();
    write(
        repo.path(),
        "kubernetes/ipam/one/extra/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels:\n  extra: \"yes\"\n",
    );
    edit(
        repo.path(),
        k,
        "resources:\n",
        "components:\n  - extra\nresources:\n",
    );
    edit(
        repo.path(),
        flux,
        "  path: ./kubernetes/ipam/one\n",
        "  path: ./kubernetes/ipam/one\n  components:\n    - missing\n",
    );
    let e = resolve_cluster(&Tree::disk(repo.path()), &plan(), "one").expect_err("must fail");
    assert_eq!(
        places(&e),
        [(flux.to_owned(), line_of(repo.path(), flux, "components:"))],
        "{e:?}"
    );
}

/// The 1-based line of `file` whose trimmed text is `line`.
fn line_of(root: &Path, file: &str, line: &str) -> usize {
    let text = fs::read_to_string(root.join(file)).expect("read");
    1 + text
        .lines()
        .position(|l| l.trim() == line)
        .unwrap_or_else(|| panic!("{file} has a line {line:?}"))
}

#[test]
fn a_patch_file_that_is_not_yaml_is_an_error_at_its_line_in_that_file() {
    let repo = fixture();
    let k = ONE_KUSTOMIZATION;
    edit(
        repo.path(),
        k,
        "resources:\n",
        "patches:\n  - path: patch.yaml\nresources:\n",
    );
    let patch = "kubernetes/ipam/one/patch.yaml";
    write(
        repo.path(),
        patch,
        "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: [one-pool\n",
    );
    let e = resolve_cluster(&Tree::disk(repo.path()), &plan(), "one").expect_err("must fail");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].code(), "invalid-patch");
    // At the patch file, on the line its parse error names.
    let message = e[0].to_string();
    let line: usize = message
        .split("at line ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("the parse error names its line: {message}"));
    assert!(line > 1, "{message}");
    assert_eq!(places(&e), [(patch.to_owned(), line)], "{e:?}");
    assert!(
        message.contains(&format!("{patch} is not valid YAML")),
        "{message}"
    );
}
