//! The Markdown the build owns: the whole allocation summary, and one marked
//! section of the hand-written architecture document.

use std::fmt::Write;

use crate::cilium::{Selector, cilium_pools};
use crate::net::{Interval, Size};
use crate::plan::{Cluster, Plan};
use crate::usage::{self, Holder};

use super::markdown::{md_code, md_escape};
use crate::header::{GENERATED, HOW_TO_CHANGE};

/// The rows of the address map (range, size, owner, note), from the one map
/// of the networks ([`usage::segments`]); a pool's texts are made once, as a
/// fleet's pools have thousands of blocks.
fn address_map(md: &mut String, plan: &Plan) {
    let pools: Vec<Vec<(String, String)>> = plan
        .clusters
        .iter()
        .map(|c| {
            c.pools
                .iter()
                .map(|p| {
                    let owner = format!("pool {} (cluster {})", p.name.item, c.name.item);
                    (owner, p.note.as_deref().map(md_escape).unwrap_or_default())
                })
                .collect()
        })
        .collect();
    for seg in usage::segments(plan) {
        let reserved;
        let (owner, note): (&str, &str) = match seg.holder {
            Holder::Free => ("free", ""),
            Holder::Unusable { which } => (which, ""),
            Holder::Reserved { name, note } => {
                reserved = (
                    format!("reserved: {name}"),
                    note.map(md_escape).unwrap_or_default(),
                );
                (&reserved.0, &reserved.1)
            }
            Holder::Pool { cluster, pool } => {
                let (owner, note) = &pools[cluster][pool];
                (owner, note)
            }
        };
        let _ = writeln!(md, "| {} | {} | {owner} | {note} |", seg.iv, seg.iv.size());
    }
}

/// The networks as the docs name them: `` `10.25.11.0/24` ``, or each in
/// backticks joined with commas and `and`.
fn networks_md(plan: &Plan, sizes: bool) -> String {
    let names: Vec<String> = plan
        .networks
        .iter()
        .map(|n| match sizes {
            true => format!(
                "`{}` ({} addresses)",
                n.item,
                Interval::of_net(n.item).size()
            ),
            false => format!("`{}`", n.item),
        })
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// Addresses Cilium can allocate from a cluster's pools, and how many of them
/// no pin takes.
fn cluster_counts(c: &Cluster) -> (Size, Size) {
    let total = c
        .pools
        .iter()
        .fold(Size::Count(0), |acc, p| acc.plus(p.allocatable()));
    let free = match total {
        Size::Count(n) => Size::Count(n.saturating_sub(c.pins.len() as u128)),
        Size::All128 => Size::All128,
    };
    (total, free)
}

/// How a pin reaches the cluster, for the docs.
fn delivery(plan: &Plan, pin: &str) -> String {
    match plan.service(pin) {
        None => "reserved in the pool only".to_owned(),
        Some(s) => {
            let mut ways = Vec::new();
            if let Some(setting) = &s.setting {
                ways.push(format!("cluster-settings {}", md_code(&setting.item)));
            }
            if let Some(helm) = &s.helm_service {
                ways.push(format!("Cilium Helm value {}", md_code(&helm.item)));
            }
            if ways.is_empty() {
                "reserved in the pool only".to_owned()
            } else {
                ways.join(", ")
            }
        }
    }
}

/// `docs/IP-ALLOCATION-SUMMARY.md`, fully generated.
pub(crate) fn ip_summary(plan: &Plan) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "<!-- {GENERATED} -->\n<!-- {HOW_TO_CHANGE} -->\n");
    let _ = writeln!(md, "# IP allocation summary\n");
    let (what, map_of) = match plan.networks.len() {
        1 => ("Network", plan.networks[0].item.to_string()),
        _ => ("Networks", networks_md(plan, false).replace('`', "")),
    };
    let _ = writeln!(
        md,
        "{what} {}, shared by every cluster. This file is generated from \
         `plan.toml`, the single source of truth: to change an allocation, edit `plan.toml` \
         and run `cargo build`, which refuses overlapping or out-of-network ranges.\n",
        networks_md(plan, true),
    );
    let _ = writeln!(md, "## Address map\n");
    let map = crate::plan::layout::IP_MAP_NAME;
    let _ = writeln!(
        md,
        "![Address map of {map_of}: reserved ranges, each cluster's pools, pins and free addresses]({map})\n",
    );
    let _ = writeln!(
        md,
        "| range | size | owner | note |\n| --- | ---: | --- | --- |"
    );
    address_map(&mut md, plan);
    let _ = writeln!(md, "\n## Clusters");
    for c in plan.clusters.iter() {
        let (total, free) = cluster_counts(c);
        let _ = writeln!(
            md,
            "\n### {}\n\n{} addresses in {} pool{}, {} pinned, {} free for other LoadBalancer Services.\n",
            c.name.item,
            total,
            c.pools.len(),
            if c.pools.len() == 1 { "" } else { "s" },
            c.pins.len(),
            free
        );
        if plan.cilium.reserve_pins.item {
            cilium_pool_table(&mut md, plan, c);
        } else {
            let _ = writeln!(md, "| pool | blocks | size |\n| --- | --- | ---: |");
            for p in c.pools.iter() {
                let blocks: Vec<String> =
                    p.blocks.iter().map(|b| format!("`{}`", b.item)).collect();
                let n = p.allocatable();
                let _ = writeln!(md, "| {} | {} | {} |", p.name.item, blocks.join(", "), n);
            }
        }
        if !c.pins.is_empty() {
            let _ = writeln!(
                md,
                "\n| pinned service | address | reaches the cluster through |\n| --- | --- | --- |"
            );
            for pin in c.pins.iter() {
                let _ = writeln!(
                    md,
                    "| {} | `{}` | {} |",
                    pin.service.item,
                    pin.addr.item,
                    delivery(plan, &pin.service.item)
                );
            }
        }
        md.push_str(&super::notes::cluster_notes(c));
    }
    md
}

/// The `CiliumLoadBalancerIPPool`s of a cluster with `reserve-pins`: each plan
/// pool without its pins, and each pin's own pool, with whom it serves.
fn cilium_pool_table(md: &mut String, plan: &Plan, c: &Cluster) {
    let _ = writeln!(
        md,
        "| CiliumLoadBalancerIPPool | blocks | size | serves |\n| --- | --- | ---: | --- |"
    );
    for cp in cilium_pools(plan, c) {
        let blocks: Vec<String> = cp.blocks.iter().map(|b| format!("`{b}`")).collect();
        let n = cp.allocatable();
        let serves = match &cp.selector {
            Selector::All => "any Service".to_owned(),
            Selector::Plan(_) => "the Services its service-selector matches".to_owned(),
            Selector::Service { namespace, name } => format!(
                "only Service `{namespace}/{name}` (pin {})",
                cp.pin.as_deref().unwrap_or("")
            ),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {n} | {serves} |",
            cp.name,
            blocks.join(", ")
        );
    }
}

/// The marker lines around the section of `docs/architecture.md` we own.
pub(crate) const ARCH_BEGIN: &str = "<!-- BEGIN lbipam: generated from plan.toml by `cargo build`; edits inside are overwritten -->";
/// See [`ARCH_BEGIN`].
pub(crate) const ARCH_END: &str = "<!-- END lbipam -->";
/// The heading placed before the markers when the build has to add them.
pub(crate) const ARCH_HEADING: &str = "## Networking (Cilium) — LoadBalancer IPAM";

/// The body between the markers of `docs/architecture.md`.
pub(crate) fn architecture_section(plan: &Plan) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\nAll clusters share the L2 {} {}; each gets its own `CiliumLoadBalancerIPPool`, \
         included only by that cluster's Flux `cilium-ipam` Kustomization, so pools cannot \
         collide at run time. Full address map: [IP-ALLOCATION-SUMMARY.md](IP-ALLOCATION-SUMMARY.md).\n",
        if plan.networks.len() == 1 {
            "subnet"
        } else {
            "subnets"
        },
        networks_md(plan, false)
    );
    let _ = writeln!(
        md,
        "| cluster | pool | blocks | pinned |\n| --- | --- | --- | --- |"
    );
    for c in plan.clusters.iter() {
        let pins: Vec<String> = c
            .pins
            .iter()
            .map(|p| format!("{} `{}`", p.service.item, p.addr.item))
            .collect();
        for (i, p) in c.pools.iter().enumerate() {
            let blocks: Vec<String> = p.blocks.iter().map(|b| format!("`{}`", b.item)).collect();
            let pinned = if i == 0 {
                pins.join(", ")
            } else {
                String::new()
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                c.name.item,
                p.name.item,
                blocks.join(", "),
                pinned
            );
        }
    }
    let reserved: Vec<String> = plan
        .reserved
        .iter()
        .map(|r| format!("{} `{}`", r.name.item, r.range.item))
        .collect();
    if !reserved.is_empty() {
        let _ = writeln!(md, "\nReserved, never in a pool: {}.", reserved.join(", "));
    }
    md.push('\n');
    md
}
