//! The audit reaches every app of a home-lab shaped repository: the Flux
//! Kustomizations an entry applies (`kubernetes/apps/<ns>/<app>/ks.yaml`) are
//! built in turn, and an address asked for in a HelmRelease's values is a
//! request like a Service's, for the charts whose values shapes are known.
//!
//! The fixture is written here: one cluster `main`, its entry
//! `kubernetes/flux/cluster/ks.yaml` applying `kubernetes/apps`, whose namespace
//! directory lists each app's `ks.yaml`; an app with a plain LoadBalancer
//! Service and an app-template HelmRelease asking for the pinned address.

mod common;

use std::path::Path;

use common::{edit, write};
use lbipam_core::diag::error::Error;
use lbipam_core::{Mode, build_with};

const PLAN: &str = r#"[network]
cidr = "192.168.50.0/24"

[clusters.main.pools.main-pool]
blocks = ["192.168.50.200-192.168.50.239"]

[clusters.main.pins]
web = "192.168.50.210"

[flux]
depends-on = []

[layout]
pools-dir = "kubernetes/infrastructure/cilium/ipam"
pool-file = "pools.yaml"
cluster-dir = "kubernetes/flux/cluster"
flux-file = "kubernetes/flux/cluster/ks.yaml"
settings-name = ""
helm-values = ""
audit = ["kubernetes"]
"#;

fn flux(name: &str, path: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: {path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n{extra}"
    )
}

const ECHO_SERVICE: &str = "kubernetes/apps/default/echo/app/service.yaml";
const WEB_RELEASE: &str = "kubernetes/apps/default/web/app/helmrelease.yaml";
const WEB_KS: &str = "kubernetes/apps/default/web/ks.yaml";

/// An app-template HelmRelease whose Service `app` asks for `ip` by annotation.
fn app_template(chart: &str, service: &str) -> String {
    format!(
        "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: {chart}\n      version: 4.4.0\n      sourceRef:\n        kind: HelmRepository\n        name: bjw-s\n        namespace: flux-system\n  values:\n    controllers:\n      web:\n        containers:\n          app:\n            image:\n              repository: nginx\n              tag: 1.27\n    service:\n      app:\n        controller: web\n        type: LoadBalancer\n{service}        ports:\n          http:\n            port: 80\n"
    )
}

fn annotated(ip: &str) -> String {
    format!("        annotations:\n          lbipam.cilium.io/ips: \"{ip}\"\n")
}

/// The home-lab fixture, unbuilt.
fn home_lab() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let r = dir.path();
    write(r, "plan.toml", PLAN);
    write(
        r,
        "kubernetes/flux/cluster/ks.yaml",
        &format!(
            "# The cluster's entry: every app.\n{}",
            flux("cluster-apps", "./kubernetes/apps", "")
        ),
    );
    write(
        r,
        "kubernetes/apps/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./default\n",
    );
    write(
        r,
        "kubernetes/apps/default/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./namespace.yaml\n  - ./echo/ks.yaml\n  - ./web/ks.yaml\n",
    );
    write(
        r,
        "kubernetes/apps/default/namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n",
    );
    let app = |name: &str| {
        flux(
            name,
            &format!("./kubernetes/apps/default/{name}/app"),
            "  targetNamespace: default\n",
        )
    };
    write(r, "kubernetes/apps/default/echo/ks.yaml", &app("echo"));
    write(
        r,
        "kubernetes/apps/default/echo/app/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./service.yaml\n",
    );
    write(
        r,
        ECHO_SERVICE,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: echo\n  annotations:\n    lbipam.cilium.io/ips: \"192.168.50.220\"\nspec:\n  type: LoadBalancer\n  selector:\n    app: echo\n  ports:\n    - port: 80\n",
    );
    write(r, WEB_KS, &app("web"));
    write(
        r,
        "kubernetes/apps/default/web/app/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./helmrelease.yaml\n",
    );
    write(
        r,
        WEB_RELEASE,
        &app_template("app-template", &annotated("192.168.50.210")),
    );
    dir
}

/// A write-mode build: its warnings, or its errors.
fn build(root: &Path) -> Result<Vec<String>, Vec<Error>> {
    let out = tempfile::tempdir().expect("out dir");
    build_with(root, out.path(), Mode::Write)
        .map(|s| {
            let w = s.warnings;
            w.warnings.iter().map(|e| w.line(e)).collect()
        })
        .map_err(|r| r.errors)
}

/// The errors of a build expected to fail, as `code path:line: message`.
fn failures(root: &Path) -> Vec<String> {
    let errors = build(root).expect_err("the build must fail");
    errors
        .iter()
        .map(|e| match e {
            Error::File {
                code,
                path,
                line,
                message,
                ..
            } => format!("{code} {}:{line}: {message}", path.display()),
            other => format!("{other}"),
        })
        .collect()
}

fn one_with<'a>(found: &'a [String], needle: &str) -> &'a String {
    let hits: Vec<&String> = found.iter().filter(|f| f.contains(needle)).collect();
    assert_eq!(hits.len(), 1, "one finding with {needle:?} in {found:#?}");
    hits[0]
}

#[test]
fn the_home_lab_builds_and_every_app_kustomization_is_built() {
    let repo = home_lab();
    build(repo.path()).unwrap_or_else(|e| panic!("{e:#?}"));
    let plan = lbipam_core::generate::load(repo.path()).unwrap_or_else(|r| panic!("{r}"));
    let tree = lbipam_core::tree::Tree::disk(repo.path());
    let cluster = lbipam_core::flux::entry::resolve_cluster(&tree, &plan, "main")
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let names: Vec<&str> = cluster
        .kustomizations
        .iter()
        .map(|a| a.flux.name.as_str())
        .collect();
    // The entry file's own first, then the managed one the build appended, then the apps.
    assert_eq!(names, ["cluster-apps", "cilium-ipam", "echo", "web"]);
    let echo = cluster.applied("echo").expect("echo");
    assert_eq!(echo.objects[0].source, Path::new(ECHO_SERVICE));
    // targetNamespace of the child, not of its parent.
    assert_eq!(echo.objects[0].namespace(), Some("default"));
}

#[test]
fn a_pin_requested_through_app_template_values_is_fine() {
    // The fixture's web asks for its pin; a second build changes nothing.
    let repo = home_lab();
    build(repo.path()).unwrap_or_else(|e| panic!("{e:#?}"));
    let out = tempfile::tempdir().expect("out dir");
    let again = build_with(repo.path(), out.path(), Mode::Write).expect("second build");
    assert!(again.changes.is_empty(), "{:?}", again.changes);
}

#[test]
fn a_stray_ip_in_app_template_service_annotations_is_caught_at_its_line() {
    let repo = home_lab();
    edit(
        &repo.path().join(WEB_RELEASE),
        "lbipam.cilium.io/ips: \"192.168.50.210\"",
        "lbipam.cilium.io/ips: \"192.168.50.20\"",
    );
    let found = failures(repo.path());
    let line = app_template("app-template", &annotated("192.168.50.20"))
        .lines()
        .position(|l| l.contains("192.168.50.20"))
        .expect("the line")
        + 1;
    let hit = one_with(&found, "192.168.50.20");
    assert!(
        hit.starts_with(&format!("stray-ip {WEB_RELEASE}:{line}: ")),
        "{hit}"
    );
    assert!(hit.contains("main"), "names the cluster applying it: {hit}");
}

#[test]
fn a_stray_load_balancer_ip_of_a_known_chart_is_caught_at_the_values_key() {
    let repo = home_lab();
    write(
        repo.path(),
        WEB_RELEASE,
        &app_template("app-template", "        loadBalancerIP: 192.168.50.30\n"),
    );
    let found = failures(repo.path());
    let hit = one_with(&found, "192.168.50.30");
    assert!(
        hit.starts_with(&format!("stray-ip {WEB_RELEASE}:28: ")),
        "{hit}"
    );
}

#[test]
fn a_load_balancer_ip_in_an_unknown_charts_values_is_not_guessed_at_but_noted() {
    let repo = home_lab();
    write(
        repo.path(),
        WEB_RELEASE,
        &app_template("someones-chart", "        loadBalancerIP: 192.168.50.30\n"),
    );
    let warnings = build(repo.path()).unwrap_or_else(|e| panic!("not a request: {e:#?}"));
    let note = one_with(&warnings, "loadBalancerIP");
    assert!(
        note.starts_with(&format!("{WEB_RELEASE}:28:")) && note.contains("someones-chart"),
        "{note}"
    );
}

/// Puts an address no pool holds on the echo Service and checks the build
/// fails at its line as cluster `main`'s: the Service was reached through Flux.
fn echo_stray_ip_is_the_clusters(root: &Path) {
    edit(&root.join(ECHO_SERVICE), "192.168.50.220", "192.168.50.40");
    let found = failures(root);
    let hit = one_with(&found, "192.168.50.40");
    assert!(
        hit.starts_with(&format!("stray-ip {ECHO_SERVICE}:6: ")),
        "{hit}"
    );
    assert!(!hit.contains("any cluster"), "found through Flux: {hit}");
    assert!(hit.contains("main"), "{hit}");
}

#[test]
fn a_stray_service_ip_of_an_app_kustomization_is_caught_as_the_clusters() {
    let repo = home_lab();
    echo_stray_ip_is_the_clusters(repo.path());
}

#[test]
fn a_cycle_of_flux_kustomizations_is_a_clear_error() {
    let repo = home_lab();
    let r = repo.path();
    // web's app applies a Kustomization `loop` whose path applies web's ks.yaml again.
    write(
        r,
        "kubernetes/apps/default/web/app/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./helmrelease.yaml\n  - ./loop.yaml\n",
    );
    write(
        r,
        "kubernetes/apps/default/web/app/loop.yaml",
        &flux("loop", "./kubernetes/loop", ""),
    );
    write(
        r,
        "kubernetes/loop/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../apps/default/web/ks.yaml\n",
    );
    let found = failures(r);
    let hit = one_with(&found, "cycle");
    assert_eq!(
        hit,
        &format!(
            "flux-kustomization-cycle {WEB_KS}:2: Flux Kustomization web is applied by its own descendants (web → loop → web): a cycle Flux never settles; apply each Kustomization from one parent"
        )
    );
}

#[test]
fn a_child_depending_on_a_missing_kustomization_is_a_finding() {
    let repo = home_lab();
    edit(
        &repo.path().join(WEB_KS),
        "  targetNamespace: default\n",
        "  targetNamespace: default\n  dependsOn:\n    - name: database\n",
    );
    let found = failures(repo.path());
    let hit = one_with(&found, "database");
    assert!(
        hit.starts_with(&format!("dangling-depends-on {WEB_KS}:16: ")),
        "{hit}"
    );
}

#[test]
fn a_child_depending_on_a_sibling_is_fine() {
    let repo = home_lab();
    edit(
        &repo.path().join(WEB_KS),
        "  targetNamespace: default\n",
        "  targetNamespace: default\n  dependsOn:\n    - name: echo\n",
    );
    build(repo.path()).unwrap_or_else(|e| panic!("{e:#?}"));
}

/// A HelmRelease of `chart` with `values` (indented under `spec.values`).
fn release(chart: &str, values: &str) -> String {
    format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: r\nspec:\n  chart:\n    spec:\n      chart: {chart}\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n  values:\n{values}"
    )
}

/// The (line, value) of every request `text` makes.
fn asked(text: &str) -> Vec<(usize, String)> {
    lbipam_core::audit::requests::find_ip_requests(text)
        .expect("valid YAML")
        .into_iter()
        .map(|r| (r.line, r.value))
        .collect()
}

#[test]
fn each_known_chart_is_read_at_its_own_values_paths_only() {
    // Line 13 is the first line of the values.
    let cases = [
        (
            "ingress-nginx",
            "    controller:\n      service:\n        loadBalancerIP: 10.0.0.1\n        internal:\n          loadBalancerIP: 10.0.0.2\n      admissionWebhooks:\n        loadBalancerIP: 10.0.0.9\n",
            vec![(15, "10.0.0.1"), (17, "10.0.0.2")],
        ),
        (
            "traefik",
            "    service:\n      annotations:\n        io.cilium/lb-ipam-ips: 10.0.0.3\n      spec:\n        loadBalancerIP: 10.0.0.4\n    loadBalancerIP: 10.0.0.9\n",
            vec![(15, "10.0.0.3"), (17, "10.0.0.4")],
        ),
        (
            "cilium",
            "    clustermesh:\n      apiserver:\n        service:\n          loadBalancerIP: 10.0.0.5\n    hubble:\n      relay:\n        loadBalancerIP: 10.0.0.9\n",
            vec![(16, "10.0.0.5")],
        ),
        (
            "oci://ghcr.io/bjw-s-labs/helm/app-template",
            "    service:\n      main:\n        loadBalancerIP: 10.0.0.6\n    controllers:\n      main:\n        loadBalancerIP: 10.0.0.9\n",
            vec![(15, "10.0.0.6")],
        ),
    ];
    for (chart, values, want) in cases {
        let text = release(chart, values);
        let want: Vec<(usize, String)> = want.into_iter().map(|(l, v)| (l, v.to_owned())).collect();
        assert_eq!(asked(&text), want, "{chart}");
        // Each unread loadBalancerIP (10.0.0.9) is noted, at its line.
        let unread = lbipam_core::audit::requests::unread_helm_values(&text);
        let lines: Vec<usize> = unread.iter().map(|(l, _, _)| *l).collect();
        let nines: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("10.0.0.9"))
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(lines, nines, "{chart}: {unread:?}");
    }
}

#[test]
fn a_chart_ref_is_named_by_the_oci_repository_of_the_same_file() {
    let text = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: web\nspec:\n  url: oci://ghcr.io/bjw-s-labs/helm/app-template\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\nspec:\n  chartRef:\n    kind: OCIRepository\n    name: web\n  values:\n    service:\n      app:\n        loadBalancerIP: 10.0.0.7\n";
    assert_eq!(asked(text), [(19, "10.0.0.7".to_owned())]);
    // Without it, the chart is unknown: not read, and noted.
    let alone = &text[text.find("apiVersion: helm").expect("release")..];
    assert_eq!(asked(alone), []);
    let unread = lbipam_core::audit::requests::unread_helm_values(alone);
    assert_eq!(unread.len(), 1, "{unread:?}");
    assert!(unread[0].2.contains("chartRef"), "{unread:?}");
}

#[test]
fn lb_ipam_annotations_count_in_any_charts_values() {
    let text = release(
        "someones-chart",
        "    frontend:\n      svc:\n        annotations:\n          lbipam.cilium.io/ips: 10.0.0.8\n",
    );
    assert_eq!(asked(&text), [(16, "10.0.0.8".to_owned())]);
}

/// The web app as an app-template release of the OCIRepository `ocirepository.yaml`
/// defines, its Service asking for `ip` by `loadBalancerIP`.
fn web_from_oci_repository(ip: &str) -> tempfile::TempDir {
    let repo = home_lab();
    let r = repo.path();
    write(
        r,
        "kubernetes/apps/default/web/app/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./ocirepository.yaml\n  - ./helmrelease.yaml\n",
    );
    write(
        r,
        "kubernetes/apps/default/web/app/ocirepository.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: app-template\nspec:\n  interval: 1h\n  url: oci://ghcr.io/bjw-s-labs/helm/app-template\n  ref:\n    tag: 4.4.0\n",
    );
    write(
        r,
        WEB_RELEASE,
        &format!(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\nspec:\n  interval: 1h\n  chartRef:\n    kind: OCIRepository\n    name: app-template\n  values:\n    service:\n      app:\n        controller: web\n        type: LoadBalancer\n        loadBalancerIP: {ip}\n"
        ),
    );
    repo
}

#[test]
fn a_chart_ref_to_an_oci_repository_of_another_file_names_the_chart() {
    let repo = web_from_oci_repository("192.168.50.40");
    let found = failures(repo.path());
    let hit = one_with(&found, "192.168.50.40");
    assert!(
        hit.starts_with(&format!("stray-ip {WEB_RELEASE}:15: ")),
        "read as app-template's Service address: {hit}"
    );
    // The pool's address is fine, and no note says the chart is unknown.
    let repo = web_from_oci_repository("192.168.50.230");
    let warnings = build(repo.path()).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(
        !warnings.iter().any(|w| w.contains("loadBalancerIP")),
        "{warnings:#?}"
    );
}

const WEB_VALUES: &str = "kubernetes/apps/default/web/app/values.yaml";

/// The web app's values in `values.yaml`, which a `configMapGenerator` makes
/// the ConfigMap `web-values` its HelmRelease reads through `valuesFrom`.
fn web_values_from_generator(chart: &str, values: &str) -> tempfile::TempDir {
    let repo = home_lab();
    let r = repo.path();
    write(
        r,
        "kubernetes/apps/default/web/app/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./helmrelease.yaml\nconfigMapGenerator:\n  - name: web-values\n    files:\n      - values.yaml=./values.yaml\ngeneratorOptions:\n  disableNameSuffixHash: true\n",
    );
    write(
        r,
        WEB_RELEASE,
        &format!(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: {chart}\n      sourceRef:\n        kind: HelmRepository\n        name: bjw-s\n  valuesFrom:\n    - kind: ConfigMap\n      name: web-values\n"
        ),
    );
    write(r, WEB_VALUES, values);
    repo
}

#[test]
fn values_from_a_generated_config_map_are_the_releases_values_of_its_cluster() {
    let values = "service:\n  app:\n    controller: web\n    loadBalancerIP: 192.168.50.41\n";
    let repo = web_values_from_generator("app-template", values);
    let found = failures(repo.path());
    let hit = one_with(&found, "192.168.50.41");
    assert!(
        hit.starts_with(&format!("stray-ip {WEB_VALUES}:4: ")),
        "{hit}"
    );
    assert!(
        hit.contains("cluster main applies this file through Flux Kustomization web")
            && hit.contains("HelmRelease web valuesFrom"),
        "found by following the release to its values: {hit}"
    );
}

#[test]
fn values_from_a_generated_config_map_are_read_at_the_charts_paths_only() {
    // app-template puts `service.<key>.loadBalancerIP` on a Service, not
    // `controllers.<key>.loadBalancerIP`: that one is noted, not a request.
    let values = "service:\n  app:\n    loadBalancerIP: 192.168.50.231\ncontrollers:\n  web:\n    loadBalancerIP: 192.168.50.42\n";
    let repo = web_values_from_generator("app-template", values);
    let warnings = build(repo.path()).unwrap_or_else(|e| panic!("{e:#?}"));
    let note = one_with(&warnings, "loadBalancerIP");
    assert!(note.starts_with(&format!("{WEB_VALUES}:6:")), "{note}");
    // An unknown chart's values are not guessed at either.
    let repo = web_values_from_generator("someones-chart", values);
    let warnings = build(repo.path()).unwrap_or_else(|e| panic!("{e:#?}"));
    let notes: Vec<&String> = warnings
        .iter()
        .filter(|w| w.contains("someones-chart"))
        .collect();
    assert_eq!(notes.len(), 2, "{warnings:#?}");
}

#[test]
fn a_hand_written_values_config_map_asking_for_an_address_is_noted_not_skipped() {
    let repo = web_values_from_generator("app-template", "");
    let r = repo.path();
    write(
        r,
        "kubernetes/apps/default/web/app/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./helmrelease.yaml\n  - ./values.yaml\n",
    );
    write(
        r,
        WEB_VALUES,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-values\ndata:\n  values.yaml: |\n    service:\n      app:\n        loadBalancerIP: 192.168.50.43\n",
    );
    let warnings = build(r).unwrap_or_else(|e| panic!("{e:#?}"));
    let note = one_with(&warnings, "web-values");
    assert!(
        note.starts_with(&format!("{WEB_VALUES}:1:1: ")) && note.contains("default/web"),
        "{note}"
    );
}

/// The home lab with a `vars` app listed `before` or after `web` in the
/// namespace's kustomization, applying the ConfigMap `web-settings` (`WEB_IP`)
/// that `web` substitutes its address from.
fn home_lab_with_vars(before: bool, web_ip: &str) -> tempfile::TempDir {
    let repo = home_lab();
    let r = repo.path();
    let listed = if before {
        "  - ./vars/ks.yaml\n  - ./echo/ks.yaml\n  - ./web/ks.yaml\n"
    } else {
        "  - ./echo/ks.yaml\n  - ./web/ks.yaml\n  - ./vars/ks.yaml\n"
    };
    write(
        r,
        "kubernetes/apps/default/kustomization.yaml",
        &format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./namespace.yaml\n{listed}"
        ),
    );
    let vars_app = "./kubernetes/apps/default/vars/app";
    write(
        r,
        "kubernetes/apps/default/vars/ks.yaml",
        &flux("vars", vars_app, ""),
    );
    write(
        r,
        "kubernetes/apps/default/vars/app/settings.yaml",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-settings\n  namespace: flux-system\ndata:\n  WEB_IP: \"{web_ip}\"\n"
        ),
    );
    edit(
        &r.join(WEB_KS),
        "  targetNamespace: default\n",
        "  targetNamespace: default\n  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: web-settings\n",
    );
    edit(
        &r.join(WEB_RELEASE),
        "lbipam.cilium.io/ips: \"192.168.50.210\"",
        "lbipam.cilium.io/ips: \"${WEB_IP}\"",
    );
    repo
}

#[test]
fn a_sibling_kustomization_listed_before_gives_its_config_map_to_substitute_from() {
    let fine = home_lab_with_vars(true, "192.168.50.210");
    build(fine.path()).unwrap_or_else(|e| panic!("{e:#?}"));
    // The variable's value is what the audit reads: a stray one is caught.
    let stray = home_lab_with_vars(true, "192.168.50.20");
    let found = failures(stray.path());
    let hit = one_with(&found, "192.168.50.20");
    assert!(
        hit.starts_with(&format!("stray-ip {WEB_RELEASE}:")),
        "{hit}"
    );
}

#[test]
fn a_config_map_of_a_sibling_listed_after_is_not_yet_there_to_substitute_from() {
    let repo = home_lab_with_vars(false, "192.168.50.210");
    let found = failures(repo.path());
    let hit = one_with(&found, "web-settings");
    assert!(
        hit.starts_with(&format!("missing-substitute-from {WEB_KS}:")),
        "{hit}"
    );
}

/// A flux-operator `FluxInstance` syncing `path`: the operator generates the
/// Flux Kustomization that applies it.
fn flux_instance(path: &str) -> String {
    format!(
        "---\napiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  distribution:\n    version: \"2.x\"\n    registry: ghcr.io/fluxcd\n  sync:\n    kind: GitRepository\n    url: https://example.com/home-ops.git\n    ref: refs/heads/main\n    path: {path}\n"
    )
}

#[test]
fn the_apps_a_flux_instance_syncs_are_audited_as_the_clusters() {
    let repo = home_lab();
    let entry = repo.path().join("kubernetes/flux/cluster/ks.yaml");
    std::fs::write(&entry, flux_instance("./kubernetes/apps")).expect("write the entry");
    build(repo.path()).unwrap_or_else(|e| panic!("{e:#?}"));
    echo_stray_ip_is_the_clusters(repo.path());
}

#[test]
fn a_flux_instance_a_build_applies_is_followed_like_a_kustomization() {
    let repo = home_lab();
    let r = repo.path();
    std::fs::write(
        r.join("kubernetes/flux/cluster/ks.yaml"),
        flux("flux-operator", "./kubernetes/flux/operator", ""),
    )
    .expect("write the entry");
    write(
        r,
        "kubernetes/flux/operator/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./instance.yaml\n",
    );
    write(
        r,
        "kubernetes/flux/operator/instance.yaml",
        &flux_instance("./kubernetes/apps"),
    );
    build(r).unwrap_or_else(|e| panic!("{e:#?}"));
    echo_stray_ip_is_the_clusters(r);
}
