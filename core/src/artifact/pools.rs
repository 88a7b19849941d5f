//! The generated pools: each cluster's `CiliumLoadBalancerIPPool` files and the
//! component `kustomization.yaml` listing them, where `[layout]` puts them.

use serde::Serialize;

use super::want::Want;
use crate::artifact::render::{Metadata, Object, value, yaml};
use crate::cilium::{NAME_LABEL, NAMESPACE_LABEL, Selector, cilium_pools};
use crate::diag::codes::Code;
use crate::diag::error::{Error, Span};
use crate::header::yaml_header;
use crate::net::Block;
use crate::plan::layout::PLAN_FILE;
use crate::plan::{ApiVersion, Cluster, Plan, Version};

/// Every file of each cluster's pool component (a fleet's clusters rendered
/// side by side: serializing a thousand pools' blocks is most of a fleet build).
pub fn wants(plan: &Plan) -> Vec<Want> {
    crate::par::map(plan.clusters.iter(), |c| cluster_wants(plan, c))
        .into_iter()
        .flatten()
        .collect()
}

/// The pool files and the component `kustomization.yaml` of one cluster.
fn cluster_wants(plan: &Plan, c: &Cluster) -> Vec<Want> {
    let layout = &plan.layout;
    let mut out = Vec::new();
    for (path, pools) in layout.pool_files(c) {
        let objects = pool_objects(plan, c, &pools);
        out.push(Want::Whole {
            path,
            text: documents(&objects),
            objects: Some(objects),
        });
    }
    let path = layout.component_kustomization(&c.name.item);
    out.push(Want::whole(path, component_kustomization(plan, c)));
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PoolSpec {
    #[serde(rename = "allowFirstLastIPs", skip_serializing_if = "Option::is_none")]
    allow_first_last_ips: Option<&'static str>,
    blocks: Vec<PoolBlock>,
    service_selector: ServiceSelector,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ServiceSelector {
    /// `{}`: a selector that matches every Service, so the pool is the cluster's default.
    All {},
    /// The plan pool's `service-selector`.
    Plan(crate::artifact::render::Selector),
    /// `matchLabels` on the labels LB-IPAM gives every Service.
    Labels {
        #[serde(rename = "matchLabels")]
        match_labels: std::collections::BTreeMap<&'static str, String>,
    },
}

#[derive(Serialize)]
#[serde(untagged)]
enum PoolBlock {
    Range { start: String, stop: String },
    Cidr { cidr: String },
}

/// A pool file: the `CiliumLoadBalancerIPPool`s (cluster-scoped, so no
/// namespace) that [`cilium_pools`] makes of the plan pools named in `pools`.
pub fn pool_manifest(plan: &Plan, cluster: &Cluster, pools: &[&str]) -> String {
    documents(&pool_objects(plan, cluster, pools))
}

/// A generated file of these objects, one document each.
fn documents(objects: &[yaml_serde::Value]) -> String {
    let docs: Vec<String> = objects.iter().map(yaml).collect();
    format!("{}{}", yaml_header(), docs.join("---\n"))
}

/// The objects of [`pool_manifest`].
fn pool_objects(plan: &Plan, cluster: &Cluster, pools: &[&str]) -> Vec<yaml_serde::Value> {
    cilium_pools(plan, cluster)
        .into_iter()
        .filter(|pool| pools.contains(&pool.pool.as_str()))
        .map(|pool| {
            let blocks = pool
                .blocks
                .iter()
                .map(|b| match *b {
                    Block::Range { start, stop } => PoolBlock::Range {
                        start: start.to_string(),
                        stop: stop.to_string(),
                    },
                    Block::Cidr(net) => PoolBlock::Cidr {
                        cidr: net.to_string(),
                    },
                })
                .collect();
            let service_selector = match pool.selector {
                Selector::All => ServiceSelector::All {},
                Selector::Plan(s) => {
                    ServiceSelector::Plan(crate::artifact::render::Selector::of(&s))
                }
                Selector::Service { namespace, name } => ServiceSelector::Labels {
                    match_labels: [(NAMESPACE_LABEL, namespace), (NAME_LABEL, name)]
                        .into_iter()
                        .collect(),
                },
            };
            value(&Object {
                api_version: plan.cilium.api_version.item.as_str(),
                kind: "CiliumLoadBalancerIPPool",
                metadata: Metadata {
                    name: &pool.name,
                    namespace: None,
                },
                spec: PoolSpec {
                    allow_first_last_ips: pool
                        .allow_first_last_ips
                        .map(|yes| if yes { "Yes" } else { "No" }),
                    blocks,
                    service_selector,
                },
            })
        })
        .collect()
}

/// The warning a build prints once when it writes pools as `cilium.io/v2alpha1`.
///
/// Only from Cilium 1.18, which deprecates it; 1.20 no longer serves it, which
/// the checker refuses.
pub fn api_version_warning(
    plan: &Plan,
    line_col: impl Fn(Span) -> (usize, usize),
) -> Option<Error> {
    let deprecated = plan.cilium.version.item.at_least(18);
    (plan.cilium.api_version.item == ApiVersion::V2Alpha1 && deprecated).then(|| {
        // Where the choice is made: the api-version written, else the version,
        // else nowhere (both defaults), which the message says.
        let unwritten = |span: Span| span == Span { start: 0, end: 0 };
        let span = match plan.cilium.api_version.span {
            span if unwritten(span) => plan.cilium.version.span,
            span => span,
        };
        let (line, column) = line_col(span);
        let mut message = "CiliumLoadBalancerIPPool is written as cilium.io/v2alpha1, which Cilium 1.18 and later serve but deprecate; cilium.io/v2 is the storage version since 1.18".to_owned();
        if unwritten(span) {
            message.push_str(&format!(
                " (plan.toml writes neither [cilium] api-version nor version: both are their defaults, cilium.io/v2alpha1 and {})",
                Version::DEFAULT
            ));
        }
        Error::file(Code::DeprecatedPoolApi, PLAN_FILE, line, column, message)
    })
}

/// The cluster's component `kustomization.yaml`: a plain kustomize Kustomization
/// listing the pool files (never a Flux CR: those live in the cluster's directory).
pub(crate) fn component_kustomization(plan: &Plan, cluster: &Cluster) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Kustomization {
        api_version: &'static str,
        kind: &'static str,
        resources: Vec<String>,
    }
    format!(
        "{}{}",
        yaml_header(),
        yaml(&Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            resources: plan
                .layout
                .pool_files(cluster)
                .into_iter()
                .filter_map(|(file, _)| Some(file.file_name()?.to_string_lossy().into_owned()))
                .chain(advertisement_files(plan, cluster))
                .collect(),
        })
    )
}

/// The file names of the cluster's advertisement objects, listed after its pools.
fn advertisement_files(plan: &Plan, cluster: &Cluster) -> Vec<String> {
    let bgp = super::bgp::file(plan, cluster).map(|(p, _)| p);
    let l2 = super::l2::file(plan, cluster).map(|(p, _)| p);
    [bgp, l2]
        .into_iter()
        .flatten()
        .filter_map(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
        .collect()
}
