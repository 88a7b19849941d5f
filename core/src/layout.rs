//! Where each file of the GitOps repository lives, relative to the repo root.

use std::path::PathBuf;

/// The file that is the single source of truth.
pub const PLAN_FILE: &str = "plan.toml";

/// What the build reads besides its own outputs: plan.toml and the hand-written
/// files it edits or audits. A change to any of them re-runs the build script.
pub const INPUTS: [&str; 4] = [PLAN_FILE, "kubernetes", "bootstrap", ARCHITECTURE];

/// The directories whose YAML files the audits read.
pub const AUDIT_ROOTS: [&str; 2] = ["kubernetes", "bootstrap"];

/// The directory holding one Cilium LB-IPAM component per cluster.
pub const IPAM_ROOT: &str = "kubernetes/infrastructure/networking/cilium/ipam";

/// The generated allocation summary.
pub const IP_SUMMARY: &str = "docs/IP-ALLOCATION-SUMMARY.md";

/// The generated picture of the address map, embedded in [`IP_SUMMARY`].
pub const IP_MAP: &str = "docs/ip-map.svg";

/// The hand-written architecture document with one generated section.
pub const ARCHITECTURE: &str = "docs/architecture.md";

/// The Flux Kustomization we own in every cluster.
pub const FLUX_NAME: &str = "cilium-ipam";

/// `kubernetes/infrastructure/networking/cilium/ipam/<cluster>`.
pub fn ipam_dir(cluster: &str) -> PathBuf {
    PathBuf::from(IPAM_ROOT).join(cluster)
}

/// The cluster's `CiliumLoadBalancerIPPool` manifests.
pub fn pool_file(cluster: &str) -> PathBuf {
    ipam_dir(cluster).join(pool_file_name(cluster))
}

/// `lb-ippool-<cluster>.yaml`.
pub fn pool_file_name(cluster: &str) -> String {
    format!("lb-ippool-{cluster}.yaml")
}

/// The component `kustomization.yaml` listing the pool file.
pub fn component_kustomization(cluster: &str) -> PathBuf {
    ipam_dir(cluster).join("kustomization.yaml")
}

/// The Flux path of the cluster's component, as Flux wants it (`./`-relative).
pub fn flux_path(cluster: &str) -> String {
    format!("./{IPAM_ROOT}/{cluster}")
}

/// The directory holding one directory of Flux wiring per cluster.
pub const CLUSTERS_ROOT: &str = "kubernetes/clusters";

/// `kubernetes/clusters/<cluster>`.
pub fn cluster_dir(cluster: &str) -> PathBuf {
    PathBuf::from(CLUSTERS_ROOT).join(cluster)
}

/// The cluster's Flux Kustomizations, partly hand-written.
pub fn flux_file(cluster: &str) -> PathBuf {
    cluster_dir(cluster).join("infrastructure.yaml")
}

/// The cluster's `cluster-settings` ConfigMap, partly hand-written.
pub fn cluster_settings(cluster: &str) -> PathBuf {
    cluster_dir(cluster).join("cluster-settings.yaml")
}

/// The cluster's bootstrap Cilium Helm values, partly hand-written.
pub fn cilium_values(cluster: &str) -> PathBuf {
    PathBuf::from("bootstrap/clusters")
        .join(cluster)
        .join("cilium-values.yaml")
}
