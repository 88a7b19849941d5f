//! The `CiliumBGPAdvertisement` of each cluster with `advertise = "bgp"`:
//! its LoadBalancer IPs advertised to the peers of the `CiliumBGPPeerConfig`
//! that selects the advertisement's labels, in the cluster's IPAM component.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::want::Want;
use crate::artifact::render::{Selector, value, yaml};
use crate::header::yaml_header;
use crate::plan::{AdvertiseMode, Bgp, Cluster, Plan};

/// The advertisement file of every BGP cluster.
pub(crate) fn wants(plan: &Plan) -> Vec<Want> {
    plan.clusters
        .iter()
        .filter_map(|c| {
            let (path, bgp) = file(plan, c)?;
            let object = value(&advertisement(c, bgp));
            Some(Want::Whole {
                path,
                text: format!("{}{}", yaml_header(), yaml(&object)),
                objects: Some(vec![object]),
            })
        })
        .collect()
}

/// The cluster's advertisement file and settings, if it advertises over BGP.
pub(crate) fn file<'a>(plan: &Plan, c: &'a Cluster) -> Option<(PathBuf, &'a Bgp)> {
    let bgp = c.advertise.bgp.as_ref()?;
    (c.advertise.mode.item == AdvertiseMode::Bgp)
        .then(|| (plan.layout.bgp_advertisement_file(&c.name.item), bgp))
}

/// The name of a cluster's advertisement and L2 policy.
pub(crate) fn object_name(c: &Cluster) -> String {
    format!("{}-lb-ips", c.name.item)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Advertisement {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: Spec,
}

#[derive(Serialize)]
struct Metadata {
    name: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Spec {
    advertisements: Vec<Entry>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    advertisement_type: &'static str,
    service: ServiceAddresses,
    /// Always written: an advertisement without a selector selects no Service.
    selector: Selector,
}

#[derive(Serialize)]
struct ServiceAddresses {
    addresses: [&'static str; 1],
}

fn advertisement(c: &Cluster, bgp: &Bgp) -> Advertisement {
    Advertisement {
        api_version: "cilium.io/v2",
        kind: "CiliumBGPAdvertisement",
        metadata: Metadata {
            name: object_name(c),
            labels: bgp
                .advertise_labels
                .iter()
                .map(|l| (l.key.item.to_string(), l.value.item.to_string()))
                .collect(),
        },
        spec: Spec {
            advertisements: vec![Entry {
                advertisement_type: "Service",
                service: ServiceAddresses {
                    addresses: ["LoadBalancerIP"],
                },
                selector: Selector::or_everything(bgp.service_selector.as_ref()),
            }],
        },
    }
}
