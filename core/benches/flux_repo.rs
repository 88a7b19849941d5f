//! A synthetic Flux repository the size of a real home-lab one — about 700 YAML
//! files, 880 KB under `kubernetes/` — and how long the build takes on it.
//!
//! `cargo bench --bench flux_repo` copies this repository's plan and GitOps tree
//! into a temporary directory, adds the synthetic apps, and times the whole build
//! (`lbipam_core::build`, release profile) on it. `cargo bench --bench flux_repo --
//! DIR` only adds the synthetic apps to DIR, a clone of this repository, to measure
//! `cargo build` there (see manual/performance.md, "Build-script speed"). The files are generated
//! here, from nothing fetched; they are shaped like real Flux + Cilium repositories:
//! one directory per app with a kustomization, a HelmRelease with its values, an
//! OCIRepository, an ExternalSecret, a PVC, a ConfigMap and either a LoadBalancer
//! Service or a SOPS-encrypted Secret; each app applied by one or both clusters
//! through a Flux Kustomization in `kubernetes/clusters/<cluster>/apps.yaml`; a
//! Gateway per cluster taking its address from `cluster-settings`; and a Helm chart
//! whose templates are not YAML.

use std::fmt::Write;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How many apps: 98 apps of 7 files, plus namespaces, clusters and a chart, make
/// about 700 YAML files.
const APPS: usize = 98;

const NAMESPACES: [&str; 10] = [
    "media",
    "home",
    "monitoring",
    "databases",
    "network",
    "security",
    "tools",
    "storage",
    "games",
    "automation",
];

/// One synthetic app.
struct App {
    name: String,
    namespace: &'static str,
    /// The clusters applying it.
    clusters: Vec<&'static str>,
    /// The LoadBalancer address its Service requests, if it has one.
    lb_ip: Option<String>,
}

/// Six apps in ten run on `apps`, three on `infra`, one on both; the first
/// twelve of each cluster get a LoadBalancer Service on an unpinned address of
/// the cluster's pool.
fn apps() -> Vec<App> {
    let mut next = [(122u8, 0usize), (101u8, 0usize)]; // apps .122–, infra .101–
    (0..APPS)
        .map(|i| {
            let clusters = match i % 10 {
                0..=5 => vec!["apps"],
                6..=8 => vec!["infra"],
                _ => vec!["apps", "infra"],
            };
            let lb_ip = match clusters.as_slice() {
                [c] => {
                    let slot = &mut next[usize::from(*c == "infra")];
                    (slot.1 < 12).then(|| {
                        let ip = slot.0;
                        slot.0 += if slot.0 == 109 { 2 } else { 1 }; // skip infra's gateway pin
                        slot.1 += 1;
                        format!("10.25.11.{ip}")
                    })
                }
                _ => None,
            };
            App {
                name: format!("app-{i:02}"),
                namespace: NAMESPACES[i % NAMESPACES.len()],
                clusters,
                lb_ip,
            }
        })
        .collect()
}

fn app_dir(app: &App) -> String {
    format!("kubernetes/apps/{}/{}", app.namespace, app.name)
}

/// The files of one app, by path relative to the repository root.
fn app_files(app: &App) -> Vec<(String, String)> {
    let dir = app_dir(app);
    let last = if app.lb_ip.is_some() {
        ("service.yaml", service(app))
    } else {
        ("secret.sops.yaml", sops_secret(app))
    };
    let files = [
        ("helmrelease.yaml", helm_release(app)),
        ("ocirepository.yaml", oci_repository(app)),
        ("externalsecret.yaml", external_secret(app)),
        ("pvc.yaml", pvc(app)),
        ("configmap.yaml", config_map(app)),
        last,
    ];
    let mut kustomization = format!(
        "---\n# yaml-language-server: $schema=https://json.schemastore.org/kustomization\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {}\nresources:\n",
        app.namespace
    );
    for (name, _) in &files {
        let _ = writeln!(kustomization, "  - ./{name}");
    }
    let mut out = vec![(format!("{dir}/kustomization.yaml"), kustomization)];
    out.extend(files.map(|(name, text)| (format!("{dir}/{name}"), text)));
    out
}

fn helm_release(app: &App) -> String {
    let name = &app.name;
    let mut env = String::new();
    for (i, key) in ["TZ", "LOG_LEVEL", "PUID", "PGID", "CLUSTER", "METRICS_PORT"]
        .iter()
        .enumerate()
    {
        let value = match *key {
            "TZ" => "Europe/Amsterdam".to_owned(),
            "CLUSTER" => "${CLUSTER_NAME}".to_owned(),
            _ => format!("\"{}\"", 1000 + i),
        };
        let _ = writeln!(env, "              {key}: {value}");
    }
    format!(
        r#"---
# yaml-language-server: $schema=https://raw.githubusercontent.com/fluxcd-community/flux2-schemas/main/helmrelease-helm-v2.json
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: {name}
  install:
    remediation:
      retries: -1
  upgrade:
    cleanupOnFail: true
    remediation:
      strategy: rollback
      retries: 3
  values:
    controllers:
      {name}:
        annotations:
          reloader.stakater.com/auto: "true"
        pod:
          securityContext:
            runAsUser: 1000
            runAsGroup: 1000
            fsGroup: 1000
            fsGroupChangePolicy: OnRootMismatch
        containers:
          app:
            image:
              repository: ghcr.io/home-operations/{name}
              tag: 1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
            env:
{env}            envFrom:
              - secretRef:
                  name: {name}-secret
            probes:
              liveness: &probes
                enabled: true
                custom: true
                spec:
                  httpGet:
                    path: /healthz
                    port: &port 8080
                  initialDelaySeconds: 0
                  periodSeconds: 10
                  timeoutSeconds: 1
                  failureThreshold: 3
              readiness: *probes
              startup:
                enabled: true
                spec:
                  failureThreshold: 30
                  periodSeconds: 10
            securityContext:
              allowPrivilegeEscalation: false
              readOnlyRootFilesystem: true
              capabilities: {{ drop: ["ALL"] }}
            resources:
              requests:
                cpu: 10m
                memory: 128Mi
              limits:
                memory: 1Gi
    service:
      app:
        controller: {name}
        ports:
          http:
            port: *port
    route:
      app:
        hostnames: ["{name}.example.com"]
        parentRefs:
          - name: internal
            namespace: kube-system
            sectionName: https
        rules:
          - backendRefs:
              - name: {name}
                port: *port
    persistence:
      config:
        existingClaim: {name}
        globalMounts:
          - path: /config
      tmp:
        type: emptyDir
        medium: Memory
        sizeLimit: 1Gi
      media:
        type: nfs
        server: nas.internal
        path: /volume1/media
        globalMounts:
          - path: /media
            readOnly: true
"#
    )
}

fn oci_repository(app: &App) -> String {
    format!(
        "---\n# yaml-language-server: $schema=https://raw.githubusercontent.com/fluxcd-community/flux2-schemas/main/ocirepository-source-v1.json\napiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: {}\nspec:\n  interval: 15m\n  layerSelector:\n    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n  ref:\n    tag: 4.1.2\n  url: oci://ghcr.io/bjw-s-labs/helm/app-template\n",
        app.name
    )
}

fn external_secret(app: &App) -> String {
    let name = &app.name;
    format!(
        "---\n# yaml-language-server: $schema=https://kubernetes-schemas.example/external-secrets.io/externalsecret_v1.json\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: {name}\nspec:\n  secretStoreRef:\n    kind: ClusterSecretStore\n    name: onepassword\n  target:\n    name: {name}-secret\n    template:\n      data:\n        API_KEY: \"{{{{ .API_KEY }}}}\"\n        DATABASE_URL: \"postgres://{{{{ .PG_USER }}}}:{{{{ .PG_PASS }}}}@postgres-rw.databases.svc.cluster.local/{name}\"\n  dataFrom:\n    - extract:\n        key: {name}\n    - extract:\n        key: cloudnative-pg\n"
    )
}

fn pvc(app: &App) -> String {
    format!(
        "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: {}\nspec:\n  accessModes: [\"ReadWriteOnce\"]\n  resources:\n    requests:\n      storage: 5Gi\n  storageClassName: ceph-block\n",
        app.name
    )
}

fn config_map(app: &App) -> String {
    let mut config = String::new();
    for i in 0..32 {
        let _ = writeln!(
            config,
            "      [section-{i}]\n      enabled = {}\n      url = \"http://{}.{}.svc.cluster.local:{}\"",
            i % 2 == 0,
            app.name,
            app.namespace,
            8000 + i
        );
    }
    format!(
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}-config\n  labels:\n    app.kubernetes.io/name: {}\ndata:\n  config.toml: |\n{config}",
        app.name, app.name
    )
}

fn service(app: &App) -> String {
    let ip = app.lb_ip.as_deref().unwrap_or_default();
    format!(
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}-lb\n  annotations:\n    lbipam.cilium.io/ips: \"{ip}\"\nspec:\n  type: LoadBalancer\n  externalTrafficPolicy: Cluster\n  selector:\n    app.kubernetes.io/name: {name}\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n      protocol: TCP\n",
        name = app.name
    )
}

fn sops_secret(app: &App) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n    name: {}-sops\ntype: Opaque\nstringData:\n    API_TOKEN: ENC[AES256_GCM,data:Zm9vYmFyYmF6cXV4Zm9vYmFy,iv:MDEyMzQ1Njc4OWFiY2RlZg==,tag:dGFndGFndGFndGFndGFn,type:str]\n    PASSWORD: ENC[AES256_GCM,data:cGFzc3dvcmQ=,iv:ZmVkY2JhOTg3NjU0MzIxMA==,tag:c2VjcmV0c2VjcmV0c2Vj,type:str]\nsops:\n    age:\n        - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs0sl0pq\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBhYmNkZWZnaGlqa2xtbm9w\n            cXJzdHV2d3h5ejAxMjM0NTY3ODlBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWgo=\n            -----END AGE ENCRYPTED FILE-----\n    lastmodified: \"2026-01-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:bWFjbWFjbWFj,iv:aXZpdml2aXZpdml2,tag:dGFndGFn,type:str]\n    encrypted_regex: ^(data|stringData)$\n    version: 3.10.2\n",
        app.name
    )
}

/// `kubernetes/clusters/<cluster>/apps.yaml`: the Flux Kustomization of the
/// namespaces and one per app the cluster runs, each substituting from
/// `cluster-settings`.
fn cluster_apps(cluster: &str, apps: &[App]) -> String {
    let mut out = format!("# Flux Kustomizations of the {cluster} cluster's apps.\n");
    let gateway = format!("./kubernetes/apps/network/gateway-{cluster}");
    let mut docs = vec![
        (
            "namespaces".to_owned(),
            "./kubernetes/namespaces".to_owned(),
        ),
        (format!("gateway-{cluster}"), gateway),
    ];
    for app in apps.iter().filter(|a| a.clusters.contains(&cluster)) {
        docs.push((app.name.clone(), format!("./{}", app_dir(app))));
    }
    for (name, path) in docs {
        let depends = if name == "namespaces" {
            "cilium-core"
        } else {
            "namespaces"
        };
        let _ = write!(
            out,
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  retryInterval: 2m\n  timeout: 5m\n  prune: true\n  wait: false\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n  path: {path}\n  dependsOn:\n    - name: {depends}\n  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n"
        );
    }
    out
}

/// The namespaces, the Gateways, and a Helm chart kept in the repository.
fn shared_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut list = String::from(
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for ns in NAMESPACES {
        let _ = writeln!(list, "  - ./{ns}.yaml");
        out.push((
            format!("kubernetes/namespaces/{ns}.yaml"),
            format!("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n"),
        ));
    }
    out.push(("kubernetes/namespaces/kustomization.yaml".to_owned(), list));
    for cluster in ["apps", "infra"] {
        let dir = format!("kubernetes/apps/network/gateway-{cluster}");
        out.push((
            format!("{dir}/kustomization.yaml"),
            "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: network\nresources:\n  - ./gateway.yaml\n".to_owned(),
        ));
        out.push((
            format!("{dir}/gateway.yaml"),
            "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: cluster-gateway\nspec:\n  gatewayClassName: cilium\n  addresses:\n    - type: IPAddress\n      value: \"${CILIUM_GATEWAY_LB_IP}\"\n  listeners:\n    - name: https\n      port: 443\n      protocol: HTTPS\n      allowedRoutes:\n        namespaces:\n          from: All\n".to_owned(),
        ));
    }
    let chart = "kubernetes/charts/internal-tool";
    out.push((
        format!("{chart}/Chart.yaml"),
        "apiVersion: v2\nname: internal-tool\nversion: 0.1.0\n".to_owned(),
    ));
    out.push((
        format!("{chart}/values.yaml"),
        "replicaCount: 1\nservice:\n  type: ClusterIP\n  port: 80\n".to_owned(),
    ));
    out.push((
        format!("{chart}/templates/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"internal-tool.fullname\" . }}\nspec:\n  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n      containers:\n        - name: app\n          {{- with .Values.resources }}\n          resources:\n            {{- toYaml . | nindent 12 }}\n          {{- end }}\n".to_owned(),
    ));
    out.push((
        format!("{chart}/templates/service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"internal-tool.fullname\" . }}\nspec:\n  type: {{ .Values.service.type }}\n  ports:\n    - port: {{ .Values.service.port }}\n".to_owned(),
    ));
    out
}

/// Every synthetic file, by path relative to the repository root.
fn synthetic_files() -> Vec<(String, String)> {
    let apps = apps();
    let mut out = shared_files();
    for app in &apps {
        out.extend(app_files(app));
    }
    for cluster in ["apps", "infra"] {
        out.push((
            format!("kubernetes/clusters/{cluster}/apps.yaml"),
            cluster_apps(cluster, &apps),
        ));
    }
    out
}

fn write_all(root: &Path, files: &[(String, String)]) -> std::io::Result<()> {
    for (path, text) in files {
        let path = root.join(path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, text)?;
    }
    Ok(())
}

/// Copies `from` (a file or directory) to `to`.
fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            copy(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        fs::copy(from, to).map(|_| ())
    }
}

/// YAML files and their bytes below `root/kubernetes`.
fn yaml_under(dir: &Path) -> (usize, u64) {
    let mut total = (0, 0);
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            let (n, b) = yaml_under(&path);
            total = (total.0 + n, total.1 + b);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let len = entry.metadata().map_or(0, |m| m.len());
            total = (total.0 + 1, total.1 + len);
        }
    }
    total
}

fn fail(message: String) -> ! {
    eprintln!("flux_repo: {message}");
    std::process::exit(1)
}

fn main() {
    let files = synthetic_files();
    // `cargo bench` passes `--bench`; anything else is the target directory.
    let target = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    if let Some(dir) = target {
        let root = PathBuf::from(dir);
        if !root.join("plan.toml").is_file() {
            fail(format!(
                "{} holds no plan.toml; give a clone of this repository",
                root.display()
            ));
        }
        write_all(&root, &files).unwrap_or_else(|e| fail(e.to_string()));
        let (n, bytes) = yaml_under(&root.join("kubernetes"));
        println!(
            "{}: {n} YAML files, {} KB under kubernetes/",
            root.display(),
            bytes / 1000
        );
        return;
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed");
    let tmp = tempfile::tempdir().unwrap_or_else(|e| fail(e.to_string()));
    for part in ["plan.toml", "kubernetes", "bootstrap", "docs"] {
        copy(&here.join(part), &tmp.path().join(part)).unwrap_or_else(|e| fail(e.to_string()));
    }
    write_all(tmp.path(), &files).unwrap_or_else(|e| fail(e.to_string()));
    let (n, bytes) = yaml_under(&tmp.path().join("kubernetes"));
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).unwrap_or_else(|e| fail(e.to_string()));
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        if let Err(report) = lbipam_core::build(tmp.path(), &out) {
            fail(format!(
                "the synthetic repository does not build:\n{report}"
            ));
        }
        best = best.min(start.elapsed());
    }
    println!(
        "{n} YAML files, {} KB under kubernetes/: build (release, in process) best of 5: {:.0} ms",
        bytes / 1000,
        best.as_secs_f64() * 1e3
    );
}
