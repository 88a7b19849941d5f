//! Every finding has its own stable code: the table of manual/codes.md lists exactly
//! the codes there are ([`codes::all`]), every code of the table is produced by
//! one of the fixtures below, and every code a fixture produces is in the table.
//! Fixtures are scratch copies of `core/tests/fixtures/seed/`, each broken one
//! way, or small plans.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::{scratch_repo as seed, write};
use lbipam_core::diag::codes;
use lbipam_core::diag::error::Error;

/// Codes only lbipam-gate's checks report, with the test that has their
/// fixture: this crate's build and audits never give them.
const OTHER_CRATES: [(&str, &str); 5] = [
    (
        "schema",
        "lbipam-gate's schema check (on top of this crate); gate/tests/gate_schema.rs has the fixture",
    ),
    (
        "namespace-on-cluster-scoped",
        "a warning of lbipam-gate's schema check; gate/tests/gate_schema.rs has the fixture",
    ),
    (
        "unknown-field",
        "lbipam-gate's schema check; gate/tests/gate_schema.rs and cli/tests/check.rs have fixtures",
    ),
    (
        "missing-field",
        "lbipam-gate's schema check; gate/tests/gate_schema.rs has the fixture",
    ),
    (
        "outside-audit",
        "a reference the schema gate's reach (flux::reach) does not follow; core/tests/reach.rs and gate/tests/gate_schema.rs have fixtures",
    ),
];

/// Fixtures that give other codes beside their own, each for a reason: one
/// mistake that is two findings. Every other fixture gives its code alone.
const COMPANIONS: [(&str, &[&str], &str); 7] = [
    (
        "stray-ip",
        &["ip-in-two-clusters"],
        "the address asked for outside the cluster's pools is also in the other cluster's",
    ),
    (
        "ip-in-two-clusters",
        &["stray-ip"],
        "an address of the other cluster's pool is outside this cluster's",
    ),
    (
        "namespaced-pool",
        &["foreign-pool", "pool-wrong-kustomization"],
        "the pool file is written by hand in a directory the plan does not give it",
    ),
    (
        "foreign-pool",
        &["pool-wrong-kustomization"],
        "a pool copied into another cluster's directory is applied by that cluster's Kustomization",
    ),
    (
        "pool-wrong-kustomization",
        &["foreign-pool"],
        "the pool applied by the wrong Kustomization is one the plan gives another cluster",
    ),
    (
        "duplicate-pool",
        &["namespaced-pool"],
        "the second pool of the name is written with a namespace",
    ),
    (
        "suppression-without-reason",
        &["stray-ip", "ip-in-two-clusters"],
        "a suppression without its reason suppresses nothing: the address it meant to allow is still reported",
    ),
];

/// Codes no fixture can produce, with why: safety nets behind other checks.
const UNREACHABLE: [(&str, &str); 1] = [(
    "proof-rejected",
    "the compile-time proof re-checks what the checker already passed; it fires only if the two ever disagree",
)];

const PLAN: &str = "[network]\ncidr = \"10.0.0.0/24\"\n\n[clusters.a.pools.p]\nblocks = [\"10.0.0.10-10.0.0.19\"]\n";

/// A small plan for each plan code.
fn plan_cases() -> Vec<(&'static str, String)> {
    let with = |extra: &str| format!("{PLAN}{extra}");
    let blocks = |b: &str| PLAN.replace("\"10.0.0.10-10.0.0.19\"", b);
    vec![
        ("syntax", "[network\n".to_owned()),
        (
            "unknown-key",
            PLAN.replace("[network]\n", "[network]\ncolour = 1\n"),
        ),
        ("missing-key", PLAN.replace("cidr = \"10.0.0.0/24\"\n", "")),
        ("wrong-type", PLAN.replace("\"10.0.0.0/24\"", "5")),
        ("bad-value", PLAN.replace("\"10.0.0.0/24\"", "\"ten\"")),
        ("start-after-stop", blocks("\"10.0.0.19-10.0.0.10\"")),
        ("mixed-family", blocks("\"10.0.0.10-::1\"")),
        ("host-bits", blocks("\"10.0.0.9/29\"")),
        ("outside-network", blocks("\"10.1.0.10\"")),
        (
            "overlap",
            with("[clusters.b.pools.q]\nblocks = [\"10.0.0.15-10.0.0.25\"]\n"),
        ),
        (
            "pin-outside-pool",
            with("[clusters.a.pins]\nweb = \"10.0.0.50\"\n"),
        ),
        (
            "duplicate-pin",
            with("[clusters.a.pins]\nweb = \"10.0.0.11\"\napi = \"10.0.0.11\"\n"),
        ),
        ("bad-name", PLAN.replace("clusters.a.", "clusters.A_.")),
        (
            "no-clusters",
            "[network]\ncidr = \"10.0.0.0/24\"\n[clusters]\n".to_owned(),
        ),
        ("no-pools", with("[clusters.b]\n")),
        ("no-blocks", blocks("")),
        (
            "duplicate-setting",
            with(
                "[clusters.a.pins]\nweb = \"10.0.0.11\"\napi = \"10.0.0.12\"\n[services.web]\nsetting = \"IP\"\n[services.api]\nsetting = \"IP\"\n",
            ),
        ),
        ("network-or-broadcast", blocks("\"10.0.0.0/29\"")),
        (
            "pin-not-allocatable",
            blocks("\"10.0.0.8/29\"").replace("blocks", "allow-first-last-ips = false\nblocks")
                + "[clusters.a.pins]\nweb = \"10.0.0.8\"\n",
        ),
        (
            "pin-without-service",
            with("[cilium]\nreserve-pins = true\n[clusters.a.pins]\nweb = \"10.0.0.11\"\n"),
        ),
        (
            "selector-values",
            PLAN.replace(
                "blocks = ",
                "service-selector = { match-expressions = [{ key = \"k\", operator = \"In\" }] }\nblocks = ",
            ),
        ),
        (
            "pin-pool-mismatch",
            with("[clusters.a.pins]\nweb = { address = \"10.0.0.11\", pool = \"q\" }\n"),
        ),
        (
            "pool-selector-mismatch",
            PLAN.replace(
                "blocks = ",
                "service-selector = { match-labels = { tier = \"edge\" } }\nblocks = ",
            ) + "[clusters.a.pins]\nweb = \"10.0.0.11\"\n[services.web]\nservice = \"default/web\"\n",
        ),
        (
            "invalid-advertisement",
            PLAN.replace(
                "[clusters.a.pools.p]",
                "[clusters.a]\nadvertise = \"bgp\"\n[clusters.a.pools.p]",
            ),
        ),
        (
            "bgp-peer-not-reserved",
            PLAN.replace(
                "[clusters.a.pools.p]",
                "[clusters.a]\nadvertise = \"bgp\"\n[clusters.a.bgp]\npeer-address = \"10.0.0.1\"\npeer-asn = 64501\n[clusters.a.pools.p]",
            ),
        ),
        (
            "l2-ipv6",
            "[network]\ncidr = \"fd00::/64\"\n[clusters.a]\nadvertise = \"l2\"\n[clusters.a.l2]\ninterfaces = [\"^eth0$\"]\n[clusters.a.pools.p]\nblocks = [\"fd00::10-fd00::19\"]\n".to_owned(),
        ),
        ("cilium-version", with("[cilium]\nversion = \"1.20\"\n")),
    ]
}

fn append(root: &Path, path: &str, text: &str) {
    let mut old = fs::read_to_string(root.join(path)).expect("read");
    old.push_str(text);
    fs::write(root.join(path), old).expect("write");
}

fn replace(root: &Path, path: &str, from: &str, to: &str) {
    common::edit(&root.join(path), from, to);
}

/// A Service asking for `ip`, with extra annotations and spec lines.
fn service(name: &str, ns: &str, ip: &str, annotations: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n    lbipam.cilium.io/ips: \"{ip}\"\n{annotations}spec:\n  type: LoadBalancer\n{spec}  ports:\n    - port: 80\n"
    )
}

const APPS: &str = "kubernetes/clusters/apps";
const APPS_FLUX: &str = "kubernetes/clusters/apps/infrastructure.yaml";
const CORE: &str = "kubernetes/infrastructure/networking/cilium/core";
const POOL: &str = "kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml";

fn pool(name: &str, extra_meta: &str) -> String {
    format!(
        "---\napiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: {name}\n{extra_meta}spec:\n  blocks:\n  - start: 10.25.11.120\n    stop: 10.25.11.139\n"
    )
}

fn flux(name: &str, path: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: {path}\n{extra}"
    )
}

/// Puts `file` (with its text) into the cilium-core build every cluster applies.
fn in_core(root: &Path, file: &str, text: &str) {
    write(root, &format!("{CORE}/{file}"), text);
    append(
        root,
        &format!("{CORE}/kustomization.yaml"),
        &format!("  - {file}\n"),
    );
}

/// A Flux Kustomization `extra` of apps applying `kubernetes/extra`, holding `file`.
fn extra(root: &Path, flux_extra: &str, file: &str, text: &str) {
    append(
        root,
        APPS_FLUX,
        &flux("extra", "./kubernetes/extra", flux_extra),
    );
    write(root, &format!("kubernetes/extra/{file}"), text);
}

fn reserve_pins(root: &Path) {
    replace(
        root,
        "plan.toml",
        "[cilium]\n",
        "[cilium]\nreserve-pins = true\n",
    );
    replace(
        root,
        "plan.toml",
        "[services.gateway]\n",
        "[services.gateway]\nservice = \"default/gw\"\n",
    );
    replace(
        root,
        "plan.toml",
        "[services.clustermesh-apiserver]",
        "[services.clustermesh-apiserver]\nservice = \"kube-system/clustermesh-apiserver\"\n#",
    );
    let out = tempfile::tempdir().expect("out");
    lbipam_core::build(root, out.path()).unwrap_or_else(|r| panic!("{r}"));
}

/// `[audit] strict = true`: what the model does not follow is an error.
fn strict(root: &Path) {
    append(root, "plan.toml", "\n[audit]\nstrict = true\n");
}

type Setup = fn(&Path);

/// How a fixture is run.
enum Run {
    /// `lbipam_core::verify` (check mode) after the setup.
    Check(Setup),
    /// A write-mode build after the setup.
    Build(Setup),
    /// `lbipam init`'s reading of the repository ([`lbipam_core::adopt::adopt`]).
    Adopt(Setup),
    /// The resolver's inclusion gate over the files as they are on disk,
    /// for what the build would repair before the check mode sees it.
    Disk(Setup),
}

fn repo_cases() -> Vec<(&'static str, Run)> {
    use Run::*;
    vec![
        (
            "unreadable",
            Check(|r| {
                fs::remove_file(r.join("plan.toml")).expect("rm");
                fs::create_dir(r.join("plan.toml")).expect("mkdir");
            }),
        ),
        (
            "not-utf8",
            Check(|r| {
                fs::write(
                    r.join(APPS).join("cluster-settings.yaml"),
                    b"data:\n  A: \"\xff\"\n",
                )
                .expect("write");
            }),
        ),
        (
            "invalid-yaml",
            Check(|r| write(r, &format!("{APPS}/broken.yaml"), "a: [1\n")),
        ),
        (
            "edit-refused",
            Check(|r| {
                replace(
                    r,
                    &format!("{APPS}/cluster-settings.yaml"),
                    "data:\n",
                    "base: &b {X: \"1\"}\ndata:\n  <<: *b\n",
                );
            }),
        ),
        (
            "write-refused",
            Build(|r| {
                // A symlink (inside the repository) where the build writes a pool.
                let pool = r.join(POOL);
                write(r, "notes/pool.yaml", "kind: Old\n");
                fs::remove_file(&pool).expect("rm");
                std::os::unix::fs::symlink(r.join("notes/pool.yaml"), &pool).expect("symlink");
            }),
        ),
        (
            "write-failed",
            Build(|r| {
                // A pool file name the file system takes (240 bytes) but not the
                // write step's temporary file beside it (`.NAME.lbipam-PID-N.tmp`,
                // longer than 255 whatever the process id).
                let name = format!("{}-{{cluster}}.yaml", "p".repeat(230));
                append(
                    r,
                    "plan.toml",
                    &format!("\n[layout]\npool-file = \"{name}\"\n"),
                );
            }),
        ),
        (
            "take-over-differs",
            Check(|r| {
                // The pool file as a hand-written one, listed for take-over, whose
                // last address is not the plan's.
                let text = fs::read_to_string(r.join(POOL)).expect("read");
                let body: String = text.lines().skip(2).map(|l| format!("{l}\n")).collect();
                fs::write(r.join(POOL), body.replace("10.25.11.139", "10.25.11.138"))
                    .expect("write");
                append(
                    r,
                    "plan.toml",
                    &format!("\n[layout]\ntake-over = [\"{POOL}\"]\n"),
                );
            }),
        ),
        (
            // The seed has no `flux-system` Kustomization (flux bootstrap's) to start from.
            "init-refused",
            Adopt(|_| {}),
        ),
        (
            "symlink-refused",
            Check(|r| {
                std::os::unix::fs::symlink("/etc", r.join("kubernetes/outside")).expect("symlink");
            }),
        ),
        (
            "stale",
            Check(|r| replace(r, POOL, "10.25.11.139", "10.25.11.138")),
        ),
        (
            "skipped-file",
            Check(|r| write(r, "kubernetes/notes.yaml", "a: [1\n")),
        ),
        (
            "unaudited-values",
            Check(|r| {
                write(
                    r,
                    &format!("{APPS}/web.yaml"),
                    "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: default\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: someones-chart\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n  values:\n    service:\n      type: LoadBalancer\n      loadBalancerIP: 10.25.11.130\n",
                )
            }),
        ),
        (
            "one-family-only",
            Check(|r| {
                write(
                    r,
                    &format!("{CORE}/dual.yaml"),
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: dual\n  namespace: default\nspec:\n  type: LoadBalancer\n  ipFamilyPolicy: PreferDualStack\n  ports:\n    - port: 80\n",
                );
                replace(
                    r,
                    &format!("{CORE}/kustomization.yaml"),
                    "resources:\n",
                    "resources:\n  - dual.yaml\n",
                );
            }),
        ),
        (
            "deprecated-pool-api",
            // The seed writes pools as v2alpha1 for Cilium 1.18: a pool that
            // grows is rewritten, with the warning.
            Build(|r| {
                replace(
                    r,
                    "plan.toml",
                    "10.25.11.120-10.25.11.139",
                    "10.25.11.120-10.25.11.140",
                )
            }),
        ),
        (
            "stray-ip",
            Check(|r| {
                write(
                    r,
                    &format!("{APPS}/svc.yaml"),
                    &service("web", "default", "10.25.11.100", "", ""),
                )
            }),
        ),
        (
            "not-an-ip",
            Check(|r| {
                write(
                    r,
                    &format!("{APPS}/svc.yaml"),
                    &service("web", "default", "ten", "", ""),
                )
            }),
        ),
        (
            "shadowed-ip-annotation",
            Check(|r| {
                let both = service(
                    "web",
                    "default",
                    "10.25.11.125",
                    "    io.cilium/lb-ipam-ips: \"10.25.11.126\"\n",
                    "",
                );
                write(r, &format!("{APPS}/svc.yaml"), &both);
            }),
        ),
        (
            "unsubstituted-variable",
            Check(|r| {
                extra(
                    r,
                    "",
                    "svc.yaml",
                    &service("web", "default", "${WEB_IP}", "", ""),
                )
            }),
        ),
        (
            "foreign-setting",
            Check(|r| {
                replace(
                    r,
                    &format!("{APPS}/cluster-settings.yaml"),
                    "  CLUSTER_ID: \"2\"\n",
                    "  CLUSTER_ID: \"2\"\n  OLD_IP: \"10.25.11.105\"\n",
                );
            }),
        ),
        (
            "dangling-depends-on",
            Check(|r| {
                let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
                extra(r, "  dependsOn:\n  - name: nowhere\n", "x.yaml", cm);
            }),
        ),
        (
            "dual-stack-unsatisfiable",
            Check(|r| {
                let dual = "  ipFamilyPolicy: RequireDualStack\n";
                let svc = service("web", "default", "10.25.11.130", "", dual);
                extra(r, "", "svc.yaml", &svc);
            }),
        ),
        (
            "pinned-ip-taken",
            Check(|r| {
                reserve_pins(r);
                write(
                    r,
                    &format!("{APPS}/svc.yaml"),
                    &service("web", "default", "10.25.11.121", "", ""),
                );
            }),
        ),
        (
            "ip-in-two-clusters",
            Check(|r| {
                write(
                    r,
                    &format!("{APPS}/svc.yaml"),
                    &service("web", "default", "10.25.11.125", "", ""),
                );
                write(
                    r,
                    "kubernetes/clusters/infra/svc.yaml",
                    &service("web", "default", "10.25.11.125", "", ""),
                );
            }),
        ),
        (
            "sharing-key-mismatch",
            Check(|r| {
                let two = service("a", "default", "10.25.11.125", "", "")
                    + &service("b", "default", "10.25.11.125", "", "");
                write(r, &format!("{APPS}/svc.yaml"), &two);
            }),
        ),
        (
            "sharing-namespace-mismatch",
            Check(|r| {
                let key = "    lbipam.cilium.io/sharing-key: k\n";
                let two = service("a", "one", "10.25.11.125", key, "")
                    + &service("b", "two", "10.25.11.125", key, "");
                write(r, &format!("{APPS}/svc.yaml"), &two);
            }),
        ),
        (
            "sharing-traffic-policy-mismatch",
            Check(|r| {
                let key = "    lbipam.cilium.io/sharing-key: k\n";
                let local = "  externalTrafficPolicy: Local\n";
                let two = service("a", "default", "10.25.11.125", key, "")
                    + &service("b", "default", "10.25.11.125", key, local);
                write(r, &format!("{APPS}/svc.yaml"), &two);
            }),
        ),
        (
            "sharing-port-clash",
            Check(|r| {
                let key = "    lbipam.cilium.io/sharing-key: k\n";
                let two = service("a", "default", "10.25.11.125", key, "")
                    + &service("b", "default", "10.25.11.125", key, "");
                write(r, &format!("{APPS}/svc.yaml"), &two);
            }),
        ),
        (
            "sharing-namespace-space",
            Check(|r| {
                let ann = "    lbipam.cilium.io/sharing-key: k\n    lbipam.cilium.io/sharing-cross-namespace: \"web, blog\"\n";
                write(
                    r,
                    &format!("{APPS}/svc.yaml"),
                    &service("a", "default", "10.25.11.125", ann, ""),
                );
            }),
        ),
        (
            "advertisement-not-enabled",
            Check(|r| {
                replace(
                    r,
                    "plan.toml",
                    "[clusters.apps.pools.apps-pool]",
                    "[clusters.apps]\nadvertise = \"l2\"\n[clusters.apps.l2]\ninterfaces = [\"^eth0$\"]\n[clusters.apps.pools.apps-pool]",
                );
            }),
        ),
        (
            "unplanned-cluster",
            Check(|r| {
                write(
                    r,
                    "kubernetes/clusters/ghost/settings.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
                )
            }),
        ),
        (
            "missing-ipam-kustomization",
            Disk(|r| {
                let text = fs::read_to_string(r.join(APPS_FLUX)).expect("read");
                let at = text.find("---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: cilium-ipam").expect("ipam doc");
                fs::write(r.join(APPS_FLUX), &text[..at]).expect("write");
            }),
        ),
        (
            "namespaced-pool",
            // A hand-written pool whose file writes a namespace (a transformer's is fine).
            Check(|r| {
                in_core(
                    r,
                    "pool.yaml",
                    &pool("apps-pool", "  namespace: kube-system\n"),
                )
            }),
        ),
        (
            "unknown-pool",
            Check(|r| in_core(r, "pool.yaml", &pool("extra-pool", ""))),
        ),
        (
            "foreign-pool",
            Check(|r| in_core(r, "pool.yaml", &pool("apps-pool", ""))),
        ),
        (
            "pool-wrong-kustomization",
            Check(|r| in_core(r, "pool.yaml", &pool("apps-pool", ""))),
        ),
        (
            "duplicate-pool",
            Disk(|r| {
                let two =
                    pool("apps-pool", "  namespace: a\n") + &pool("apps-pool", "  namespace: b\n");
                fs::write(r.join(POOL), two).expect("write");
            }),
        ),
        (
            "pool-blocks-differ",
            Disk(|r| replace(r, POOL, "10.25.11.139", "10.25.11.138")),
        ),
        (
            "invalid-pool-blocks",
            Disk(|r| replace(r, POOL, "stop: 10.25.11.139", "stop: ten")),
        ),
        (
            "pool-not-applied",
            Disk(|r| {
                replace(
                    r,
                    "kubernetes/infrastructure/networking/cilium/ipam/apps/kustomization.yaml",
                    "- lb-ippool-apps.yaml\n",
                    "[]\n",
                );
                replace(
                    r,
                    "kubernetes/infrastructure/networking/cilium/ipam/apps/kustomization.yaml",
                    "resources:\n[]\n",
                    "resources: []\n",
                );
            }),
        ),
        (
            // Lying in a directory a build reaches, applied by none: Flux never
            // reconciles it. (One a build applies is followed and built.)
            "flux-in-component",
            Check(|r| {
                write(
                    r,
                    &format!("{CORE}/flux.yaml"),
                    &flux("nested", "./kubernetes/extra", ""),
                )
            }),
        ),
        (
            "flux-kustomization-cycle",
            Check(|r| {
                extra(r, "", "a.yaml", &flux("a", "./kubernetes/loop-a", ""));
                write(
                    r,
                    "kubernetes/loop-a/b.yaml",
                    &flux("b", "./kubernetes/loop-b", ""),
                );
                write(
                    r,
                    "kubernetes/loop-b/kustomization.yaml",
                    "resources:\n  - ../extra/a.yaml\n",
                );
            }),
        ),
        (
            "unmodelled-kustomize",
            Check(|r| {
                strict(r);
                append(r, &format!("{CORE}/kustomization.yaml"), "helmCharts: []\n");
            }),
        ),
        (
            // Kustomize reads only the first document (`kubectl kustomize`
            // builds `resources: [a.yaml]` from `resources: [a.yaml]\n---\n...`).
            "ignored-document",
            Check(|r| {
                strict(r);
                append(
                    r,
                    &format!("{CORE}/kustomization.yaml"),
                    "---\nresources:\n  - more.yaml\n",
                );
            }),
        ),
        (
            "invalid-patch",
            Check(|r| {
                append(
                    r,
                    &format!("{CORE}/kustomization.yaml"),
                    "patches:\n  - patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: nowhere\n",
                );
            }),
        ),
        (
            "invalid-generator",
            Check(|r| {
                append(
                    r,
                    &format!("{CORE}/kustomization.yaml"),
                    "configMapGenerator:\n  - name: x\n    files:\n      - missing.txt\n",
                );
            }),
        ),
        (
            "wrong-source",
            Check(|r| {
                strict(r);
                append(
                    r,
                    APPS_FLUX,
                    &flux("extra", "./kubernetes/extra", "")
                        .replace("name: flux-system\n  path", "name: elsewhere\n  path"),
                )
            }),
        ),
        (
            "missing-flux-path",
            Check(|r| {
                append(
                    r,
                    APPS_FLUX,
                    &flux("extra", "./x", "").replace("  path: ./x\n", ""),
                )
            }),
        ),
        (
            "missing-resource",
            Check(|r| append(r, APPS_FLUX, &flux("extra", "./kubernetes/nowhere", ""))),
        ),
        (
            "remote-resource",
            Check(|r| {
                strict(r);
                append(
                    r,
                    &format!("{CORE}/kustomization.yaml"),
                    "  - https://example.org/x.yaml\n",
                )
            }),
        ),
        (
            "path-outside-repo",
            Check(|r| {
                append(
                    r,
                    &format!("{CORE}/kustomization.yaml"),
                    "  - ../../../../../../x.yaml\n",
                )
            }),
        ),
        (
            "kustomize-cycle",
            Check(|r| {
                write(
                    r,
                    "kubernetes/extra/kustomization.yaml",
                    "resources:\n  - ../extra\n",
                );
                append(r, APPS_FLUX, &flux("extra", "./kubernetes/extra", ""));
            }),
        ),
        (
            "missing-kustomization",
            Check(|r| {
                write(
                    r,
                    "kubernetes/lib/x.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
                );
                append(
                    r,
                    &format!("{CORE}/kustomization.yaml"),
                    "  - ../../../../lib\n",
                );
            }),
        ),
        (
            "invalid-kustomization",
            Check(|r| append(r, &format!("{CORE}/kustomization.yaml"), "namespace: [a]\n")),
        ),
        (
            "not-an-object",
            Check(|r| extra(r, "", "x.yaml", "just: data\n")),
        ),
        (
            "unset-variable",
            Check(|r| {
                extra(
                    r,
                    "  postBuild:\n    substitute:\n      A: b\n",
                    "x.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: ${NOT_SET}\n",
                );
            }),
        ),
        (
            "bad-substitution",
            Check(|r| {
                extra(
                    r,
                    "  postBuild:\n    substitute:\n      A: b\n",
                    "x.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: ${A\n",
                );
            }),
        ),
        (
            "missing-substitute-from",
            Check(|r| {
                extra(
                    r,
                    "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: nowhere\n",
                    "x.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
                );
            }),
        ),
        (
            "duplicate-object",
            Check(|r| {
                let cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
                extra(r, "", "x.yaml", &format!("{cm}{cm}"));
            }),
        ),
        (
            "suppression-without-reason",
            Check(|r| {
                let ann = "    lbipam.dev/ignore: \"stray-ip\"\n";
                write(
                    r,
                    &format!("{APPS}/svc.yaml"),
                    &service("web", "default", "10.25.11.100", ann, ""),
                );
            }),
        ),
        (
            "unused-suppression",
            Check(|r| {
                let ann = "    lbipam.dev/ignore: \"stray-ip: moved next week\"\n";
                write(
                    r,
                    &format!("{APPS}/svc.yaml"),
                    &service("web", "default", "10.25.11.125", ann, ""),
                );
            }),
        ),
    ]
}

/// A code of `lbipam live`, found in what a running cluster holds:
/// `cli/tests/live.rs` has a fixture for each, no fixture of the build can.
fn is_live(code: &str) -> bool {
    codes::Code::from_name(code).is_some_and(codes::Code::is_live)
}

fn codes_of(errors: &[Error]) -> BTreeSet<String> {
    errors.iter().map(|e| e.code().to_owned()).collect()
}

/// The codes of a failed run: its errors and its warnings.
fn reported(report: &lbipam_core::diag::Report) -> BTreeSet<String> {
    let mut codes = codes_of(&report.errors);
    codes.extend(codes_of(&report.warnings));
    codes
}

/// The codes one fixture produces.
fn produced(run: &Run) -> BTreeSet<String> {
    let dir = seed();
    let root = dir.path();
    match run {
        Run::Check(setup) => {
            setup(root);
            match lbipam_core::verify(&root.join("plan.toml")) {
                Ok(passed) => codes_of(&passed.warnings),
                Err(report) => reported(&report),
            }
        }
        Run::Build(setup) => {
            setup(root);
            let out = tempfile::tempdir().expect("out");
            match lbipam_core::build(root, out.path()) {
                Ok(summary) => codes_of(&summary.warnings.warnings),
                Err(report) => reported(&report),
            }
        }
        Run::Adopt(setup) => {
            setup(root);
            match lbipam_core::adopt::adopt(root, &[]) {
                Ok(_) => BTreeSet::new(),
                Err(report) => reported(&report),
            }
        }
        Run::Disk(setup) => {
            setup(root);
            let plan = lbipam_core::generate::load(root).unwrap_or_else(|r| panic!("{r}"));
            let tree = lbipam_core::tree::Tree::disk(root);
            codes_of(&lbipam_core::audit::isolation::check_repo(&tree, &plan))
        }
    }
}

/// The rows of the tables in manual/codes.md after each `| code | … |` header
/// (the build's findings, and `lbipam live`'s): the code and its help cell.
fn rows() -> Vec<(String, String)> {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../manual/codes.md");
    let text = fs::read_to_string(readme).expect("manual/codes.md");
    let mut rows = Vec::new();
    for (start, _) in text.match_indices("\n| code |") {
        let lines = text[start + 1..].lines().skip(2);
        rows.extend(lines.take_while(|l| l.starts_with('|')).map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let code = cells[0].trim_start_matches('|').trim().trim_matches('`');
            let help = cells.get(2).map_or("", |c| c.trim_end_matches('|').trim());
            (code.to_owned(), help.replace("\\|", "|"))
        }));
    }
    assert!(!rows.is_empty(), "the tables of codes");
    rows
}

/// The codes of the tables in manual/codes.md.
fn table() -> Vec<String> {
    rows().into_iter().map(|(code, _)| code).collect()
}

#[test]
fn the_table_gives_each_code_the_help_its_findings_show() {
    for (code, help) in rows() {
        let shown = match codes::Code::from_name(&code) {
            Some(c) => c.help(),
            None if code == codes::STALE => Error::Stale {
                path: "f".into(),
                line: 1,
                found: None,
                rendered: None,
            }
            .help(),
            None => None,
        };
        assert_eq!(help, shown.unwrap_or(""), "the help of `{code}`");
    }
}

#[test]
fn the_table_lists_every_code_once_and_only_codes_there_are() {
    let table = table();
    let unique: BTreeSet<&String> = table.iter().collect();
    assert_eq!(unique.len(), table.len(), "a code listed twice: {table:?}");
    let mut listed = table.clone();
    listed.sort();
    let mut all: Vec<String> = codes::all().into_iter().map(str::to_owned).collect();
    all.sort();
    assert_eq!(listed, all);
}

#[test]
fn every_plan_code_is_produced_by_its_plan() {
    for (code, text) in plan_cases() {
        let errors = lbipam_core::check::compile(&text).err().unwrap_or_default();
        assert!(
            codes_of(&errors).contains(code),
            "{code}: the plan gives {:?}\n{text}",
            codes_of(&errors)
        );
    }
}

#[test]
fn every_file_code_is_produced_by_its_fixture_alone_or_with_its_known_companions() {
    let failures: Vec<String> = repo_cases()
        .iter()
        .filter_map(|(code, run)| {
            let got = produced(run);
            let mut expected = BTreeSet::from([(*code).to_owned()]);
            let companions = COMPANIONS.iter().filter(|(c, _, _)| c == code);
            expected
                .extend(companions.flat_map(|(_, also, _)| also.iter().map(|a| (*a).to_owned())));
            (got != expected)
                .then(|| format!("{code}: the fixture gives {got:?}, not {expected:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_fixtures_produce_every_code_of_the_table_and_nothing_else() {
    let mut seen = BTreeSet::new();
    for (_, text) in plan_cases() {
        seen.extend(codes_of(
            &lbipam_core::check::compile(&text).err().unwrap_or_default(),
        ));
    }
    for (_, run) in repo_cases() {
        seen.extend(produced(&run));
    }
    let table: BTreeSet<String> = table().into_iter().collect();
    let unlisted: Vec<&String> = seen.difference(&table).collect();
    assert!(
        unlisted.is_empty(),
        "produced but not in the table: {unlisted:?}"
    );
    let unreachable: BTreeSet<String> = UNREACHABLE.iter().map(|(c, _)| (*c).to_owned()).collect();
    let missing: Vec<&String> = table
        .difference(&seen)
        .filter(|c| !unreachable.contains(*c) && !is_live(c))
        .filter(|c| !OTHER_CRATES.iter().any(|(o, _)| o == c))
        .collect();
    assert!(
        missing.is_empty(),
        "in the table, produced by no fixture: {missing:?}"
    );
    // A safety net that some fixture does reach belongs with the others.
    assert!(
        unreachable
            .iter()
            .all(|c| !seen.contains(c) && table.contains(c))
    );
}
