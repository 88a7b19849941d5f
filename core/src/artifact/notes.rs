//! What the allocation summary says of a cluster beyond its pools and pins:
//! which Services each selecting pool serves, whether some Services get no
//! pool, and how its addresses are advertised.

use std::fmt::Write as _;

use super::markdown::{md_code, md_escape};
use crate::plan::{AdvertiseMode, Cluster, LabelSelector};

/// The notes of one cluster, as Markdown (empty when there is nothing to say).
pub(crate) fn cluster_notes(c: &Cluster) -> String {
    let mut md = String::new();
    for p in c.pools.iter() {
        if let Some(s) = p.service_selector.as_ref().filter(|s| !s.is_empty()) {
            let _ = writeln!(
                md,
                "- Pool {} serves only Services matching {}.",
                md_escape(&p.name.item),
                describe(s)
            );
        }
    }
    if let Some(note) = crate::cilium::unselected_note(c) {
        let _ = writeln!(md, "- **No default pool:** {}.", md_escape(&note));
    }
    let name = super::bgp::object_name(c);
    match c.advertise.mode.item {
        AdvertiseMode::Bgp => {
            if let Some(b) = &c.advertise.bgp {
                let labels: Vec<String> = b
                    .advertise_labels
                    .iter()
                    .map(|l| md_code(&format!("{}={}", l.key.item, l.value.item)))
                    .collect();
                let _ = writeln!(
                    md,
                    "- Advertised over BGP to peer `{}` (ASN {}) by CiliumBGPAdvertisement `{name}` (labels {}, which the cluster's CiliumBGPPeerConfig selects); Services: {}.",
                    b.peer_address.item,
                    b.peer_asn.item,
                    if labels.is_empty() {
                        "none".to_owned()
                    } else {
                        labels.join(", ")
                    },
                    b.service_selector
                        .as_ref()
                        .map_or("all".to_owned(), describe)
                );
            }
        }
        AdvertiseMode::L2 => {
            if let Some(l) = &c.advertise.l2 {
                let interfaces: Vec<String> =
                    l.interfaces.iter().map(|i| md_code(&i.item)).collect();
                let _ = writeln!(
                    md,
                    "- Announced by L2 (ARP) by CiliumL2AnnouncementPolicy `{name}` on interfaces {}, from nodes {}; Services: {}.",
                    if interfaces.is_empty() {
                        "all".to_owned()
                    } else {
                        interfaces.join(", ")
                    },
                    l.node_selector.as_ref().map_or("all".to_owned(), describe),
                    l.service_selector
                        .as_ref()
                        .map_or("all".to_owned(), describe)
                );
            }
        }
        AdvertiseMode::None => {}
    }
    if md.is_empty() { md } else { format!("\n{md}") }
}

/// A selector in words: `key=value` pairs and expressions, joined by "and".
fn describe(s: &LabelSelector) -> String {
    let mut parts: Vec<String> = s
        .match_labels
        .iter()
        .map(|l| md_code(&format!("{}={}", l.key.item, l.value.item)))
        .collect();
    for e in s.match_expressions.iter() {
        let values: Vec<&str> = e.values.iter().map(|v| &*v.item).collect();
        let values = if values.is_empty() {
            String::new()
        } else {
            format!(" ({})", values.join(", "))
        };
        parts.push(md_code(&format!(
            "{} {}{}",
            e.key.item,
            e.operator.item.as_str(),
            values
        )));
    }
    if parts.is_empty() {
        "every Service".to_owned()
    } else {
        parts.join(" and ")
    }
}
