//! The `CiliumL2AnnouncementPolicy` of each cluster with `advertise = "l2"`:
//! its LoadBalancer IPs answered for by ARP on the plan's interfaces and
//! nodes, in the cluster's IPAM component.

use std::path::PathBuf;

use serde::Serialize;

use super::want::Want;
use crate::artifact::render::{Metadata, Object, Selector, value, yaml};
use crate::header::yaml_header;
use crate::plan::{AdvertiseMode, Cluster, L2, Plan};

/// The L2 policy file of every L2 cluster.
pub(crate) fn wants(plan: &Plan) -> Vec<Want> {
    plan.clusters
        .iter()
        .filter_map(|c| {
            let (path, l2) = file(plan, c)?;
            let name = super::bgp::object_name(c);
            let object = value(&Object {
                // Cilium serves this kind as v2alpha1 only (no v2 yet, 1.18).
                api_version: "cilium.io/v2alpha1",
                kind: "CiliumL2AnnouncementPolicy",
                metadata: Metadata {
                    name: &name,
                    namespace: None,
                },
                spec: spec(l2),
            });
            Some(Want::Whole {
                path,
                text: format!("{}{}", yaml_header(), yaml(&object)),
                objects: Some(vec![object]),
            })
        })
        .collect()
}

/// The cluster's L2 policy file and settings, if it announces by L2.
pub(crate) fn file<'a>(plan: &Plan, c: &'a Cluster) -> Option<(PathBuf, &'a L2)> {
    let l2 = c.advertise.l2.as_ref()?;
    (c.advertise.mode.item == AdvertiseMode::L2)
        .then(|| (plan.layout.l2_policy_file(&c.name.item), l2))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    /// Both announce flags default to false: without it nothing is announced.
    #[serde(rename = "loadBalancerIPs")]
    load_balancer_ips: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    interfaces: Vec<String>,
    /// Absent: every node announces.
    #[serde(skip_serializing_if = "Option::is_none")]
    node_selector: Option<Selector>,
    /// Absent: every Service is announced.
    #[serde(skip_serializing_if = "Option::is_none")]
    service_selector: Option<Selector>,
}

fn spec(l2: &L2) -> Spec {
    Spec {
        load_balancer_ips: true,
        interfaces: l2.interfaces.iter().map(|i| i.item.to_string()).collect(),
        node_selector: l2.node_selector.as_ref().map(Selector::of),
        service_selector: l2.service_selector.as_ref().map(Selector::of),
    }
}
