//! How long resolving and auditing takes on a 2,000-file tree built from
//! components and patches: the home-lab fixture (`core/tests/fixtures/homelab`)
//! with 400 generated namespaces under `kubernetes/apps/`, each a
//! kustomization (namespace, the shared component, an inline strategic-merge
//! patch, a JSON 6902 patch by label selector, a generator) over a Service, a
//! Deployment, a ConfigMap and an app Kustomization — five files each. Timed
//! in process with `lbipam_core::generate::outputs` (the resolver and every
//! audit, what the build and `lbipam check` run), best of 5.
//! `cargo bench -p lbipam-core --bench kustomize_scale`; another count of
//! namespaces: `-- 800`. Figures are in manual/performance.md; a measurement,
//! not a test.

use std::fs;
use std::path::Path;
use std::time::Instant;

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).expect("copy");
        }
    }
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    fs::create_dir_all(full.parent().expect("dir")).expect("mkdir");
    fs::write(full, text).expect("write");
}

/// One generated namespace `ns-<i>`: five files.
fn namespace(root: &Path, i: usize) {
    let dir = format!("kubernetes/apps/ns-{i}");
    write(
        root,
        &format!("{dir}/kustomization.yaml"),
        &format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ns-{i}\ncomponents:\n  - ../../components/common\nresources:\n  - ./app/service.yaml\n  - ./app/deployment.yaml\n  - ./app/config.yaml\n  - ./app/ks.yaml\nconfigMapGenerator:\n  - name: settings\n    literals:\n      - INDEX={i}\npatches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: web\n      spec:\n        template:\n          spec:\n            containers:\n              - name: web\n                image: web:2\n  - target:\n      kind: Service\n      labelSelector: tier=web\n    patch: |\n      - op: add\n        path: /metadata/labels/patched\n        value: \"yes\"\n"
        ),
    );
    write(
        root,
        &format!("{dir}/app/service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n    tier: web\nspec:\n  type: ClusterIP\n  selector:\n    app: web\n  ports:\n    - port: 80\n",
    );
    write(
        root,
        &format!("{dir}/app/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: web:1\n          ports:\n            - containerPort: 80\n",
    );
    write(
        root,
        &format!("{dir}/app/config.yaml"),
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\ndata:\n  index: \"{i}\"\n"
        ),
    );
    write(
        root,
        &format!("{dir}/app/ks.yaml"),
        &format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app-{i}\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./kubernetes/apps/ns-{i}/app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
        ),
    );
}

fn main() {
    let counts: Vec<usize> = std::env::args().filter_map(|a| a.parse().ok()).collect();
    let counts = if counts.is_empty() { vec![400] } else { counts };
    for n in counts {
        let repo = tempfile::tempdir().expect("temp dir");
        let root = repo.path();
        copy(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/homelab"),
            root,
        );
        for i in 0..n {
            namespace(root, i);
        }
        let out = tempfile::tempdir().expect("out");
        lbipam_core::build(root, out.path()).unwrap_or_else(|r| panic!("{}", r.lines().join("\n")));
        let plan = lbipam_core::generate::load(root).expect("the plan is valid");
        let mut best = f64::MAX;
        let mut verdict = String::new();
        for _ in 0..5 {
            let start = Instant::now();
            let outputs = lbipam_core::generate::outputs(root, &plan);
            best = best.min(start.elapsed().as_secs_f64());
            verdict = match &outputs {
                Ok(o) => format!("passes, {} warnings", o.warnings.len()),
                Err(r) => format!("fails: {}", r.lines().join("; ")),
            };
        }
        let start = Instant::now();
        let tree = lbipam_core::tree::Tree::disk(root);
        let _ = lbipam_core::audit::isolation::resolve_repo(&tree, &plan);
        let resolve = start.elapsed().as_secs_f64() * 1000.0;
        println!("resolve alone (cold tree): {resolve:.0} ms");
        println!(
            "{} files ({n} namespaces): resolve + audit {:.0} ms (best of 5); {verdict}",
            n * 5,
            best * 1000.0
        );
    }
}
