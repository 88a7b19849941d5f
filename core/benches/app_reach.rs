//! How long resolving and auditing takes on a home-lab shaped repository whose
//! apps are reached only through Flux: one entry Kustomization applying
//! `kubernetes/apps`, each app a `ks.yaml` (a Flux Kustomization built in turn)
//! with an app-template HelmRelease asking for an address in its
//! `service.app.annotations`, every fourth one with a plain LoadBalancer Service
//! beside it. Generated here, from nothing fetched.
//!
//! `cargo bench -p lbipam-core --bench app_reach` (apps: 200 and 1000; others:
//! `-- 500`) times `lbipam_core::audit::audit` (the resolver and every audit, on a
//! fresh tree), best of 5, after one build that writes the pools. Figures are in manual/performance.md.

mod common;

use std::fs;
use std::path::Path;

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    fs::write(path, text).expect("write");
}

fn flux(name: &str, path: &str) -> String {
    format!(
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: {path}\n  prune: true\n  targetNamespace: apps\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    )
}

/// The repository with `apps` apps; each asks for one address of 10.0.0.0/16.
fn repo(root: &Path, apps: usize) {
    write(
        root,
        "plan.toml",
        "[network]\ncidr = \"10.0.0.0/16\"\n\n[clusters.main.pools.main-pool]\nblocks = [\"10.0.4.0-10.0.11.255\"]\n\n[flux]\ndepends-on = []\n\n[layout]\npools-dir = \"kubernetes/infrastructure/ipam\"\npool-file = \"pools.yaml\"\ncluster-dir = \"kubernetes/flux/cluster\"\nflux-file = \"kubernetes/flux/cluster/ks.yaml\"\nsettings-name = \"\"\nhelm-values = \"\"\naudit = [\"kubernetes\"]\n",
    );
    write(
        root,
        "kubernetes/flux/cluster/ks.yaml",
        &flux("cluster-apps", "./kubernetes/apps"),
    );
    let mut list = String::from("resources:\n");
    for i in 0..apps {
        let app = format!("app-{i:04}");
        list.push_str(&format!("  - ./{app}/ks.yaml\n"));
        let dir = format!("kubernetes/apps/{app}");
        write(
            root,
            &format!("{dir}/ks.yaml"),
            &flux(&app, &format!("./{dir}/app")),
        );
        let ip = common::dotted(1024 + i as u32);
        let mut resources = "resources:\n  - ./helmrelease.yaml\n".to_owned();
        write(
            root,
            &format!("{dir}/app/helmrelease.yaml"),
            &format!(
                "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {app}\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: app-template\n      version: 4.4.0\n      sourceRef:\n        kind: HelmRepository\n        name: bjw-s\n        namespace: flux-system\n  values:\n    controllers:\n      {app}:\n        containers:\n          app:\n            image:\n              repository: ghcr.io/example/{app}\n              tag: 1.0.0\n            env:\n              TZ: Etc/UTC\n    service:\n      app:\n        controller: {app}\n        type: LoadBalancer\n        annotations:\n          lbipam.cilium.io/ips: \"{ip}\"\n        ports:\n          http:\n            port: 8080\n    persistence:\n      config:\n        existingClaim: {app}\n"
            ),
        );
        if i % 4 == 0 {
            resources.push_str("  - ./service.yaml\n");
            write(
                root,
                &format!("{dir}/app/service.yaml"),
                &format!(
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}-udp\n  annotations:\n    lbipam.cilium.io/ips: \"{}\"\nspec:\n  type: LoadBalancer\n  ports:\n    - port: 53\n      protocol: UDP\n",
                    common::dotted(2048 + i as u32)
                ),
            );
        }
        write(root, &format!("{dir}/app/kustomization.yaml"), &resources);
    }
    write(root, "kubernetes/apps/kustomization.yaml", &list);
}

fn main() {
    for apps in common::sizes(&[200, 1000]) {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        repo(root, apps);
        let out = tempfile::tempdir().expect("out dir");
        lbipam_core::build(root, out.path()).unwrap_or_else(|r| panic!("{r}"));
        let plan = lbipam_core::generate::load(root).expect("the plan is valid");
        let files = walk(root);
        // A fresh tree each run: nothing parsed is reused.
        let skip = std::collections::BTreeSet::new();
        let (took, audit) = common::best_of(5, || {
            let tree = lbipam_core::tree::Tree::disk(root);
            lbipam_core::audit::audit(&tree, &plan, &skip)
        });
        let verdict = match audit.errors.as_slice() {
            [] => format!("passes, {} warnings", audit.warnings.len()),
            errors => format!("fails: {errors:?}"),
        };
        println!(
            "{apps} apps ({files} YAML files, {apps} Flux Kustomizations reached through the entry): resolve + audit {:.0} ms; {verdict}",
            took.as_secs_f64() * 1e3
        );
    }
}

fn walk(dir: &Path) -> usize {
    fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .map(|p| {
            if p.is_dir() {
                walk(&p)
            } else {
                usize::from(p.extension().is_some_and(|e| e == "yaml"))
            }
        })
        .sum()
}
