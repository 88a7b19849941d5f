//! The Markdown the build owns: the whole allocation summary, and one marked
//! section of the hand-written architecture document.

use std::fmt::Write;
use std::rc::Rc;

use crate::cilium::{Selector, cilium_pools};
use crate::net::{Interval, Size};
use crate::plan::{Cluster, Plan};

use super::markdown::{md_code, md_escape};
use crate::header::{GENERATED, HOW_TO_CHANGE};

/// One row of the address map: who holds a range of the network (the texts
/// shared by the rows of one pool, as a fleet's pools have thousands of blocks).
struct Row {
    iv: Interval,
    owner: Rc<str>,
    note: Rc<str>,
}

fn address_map(plan: &Plan) -> Vec<Row> {
    let mut held: Vec<Row> = Vec::new();
    for r in plan.reserved.iter() {
        if let Some(iv) = r.range.item.interval() {
            held.push(Row {
                iv,
                owner: format!("reserved: {}", r.name.item).into(),
                note: r.note.as_deref().map(md_escape).unwrap_or_default().into(),
            });
        }
    }
    for c in plan.clusters.iter() {
        for p in c.pools.iter() {
            let owner: Rc<str> = format!("pool {} (cluster {})", p.name.item, c.name.item).into();
            let note: Rc<str> = p.note.as_deref().map(md_escape).unwrap_or_default().into();
            for b in p.blocks.iter() {
                if let Some(iv) = b.item.interval() {
                    held.push(Row {
                        iv,
                        owner: Rc::clone(&owner),
                        note: Rc::clone(&note),
                    });
                }
            }
        }
    }
    // Cilium would hand out the network and broadcast addresses like any other;
    // the plan keeps them out of pools, and the map says why they are not free.
    let edges = crate::net::network_and_broadcast(plan.network.item.trunc());
    if let Some((first, last)) = edges {
        for (addr, owner) in [(first, "network"), (last, "broadcast")] {
            let iv = Interval::of_addr(addr);
            if !held.iter().any(|r| r.iv.overlap(&iv).is_some()) {
                held.push(Row {
                    iv,
                    owner: owner.into(),
                    note: "".into(),
                });
            }
        }
    }
    held.sort_by_key(|r| r.iv);
    // Fill the gaps with free ranges so the table covers the whole network.
    let net = Interval::of_net(plan.network.item);
    let mut rows = Vec::with_capacity(held.len() * 2 + 1);
    let mut next = Some(net.start);
    for row in held {
        if let Some(n) = next
            && n < row.iv.start
        {
            rows.push(free(net.v6, n, row.iv.start - 1));
        }
        next = row.iv.stop.checked_add(1).filter(|&n| n <= net.stop);
        rows.push(row);
    }
    if let Some(n) = next {
        rows.push(free(net.v6, n, net.stop));
    }
    rows
}

fn free(v6: bool, start: u128, stop: u128) -> Row {
    Row {
        iv: Interval { v6, start, stop },
        owner: "free".into(),
        note: "".into(),
    }
}

fn size(iv: &Interval) -> String {
    iv.size().to_string()
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
pub fn ip_summary(plan: &Plan) -> String {
    let net = Interval::of_net(plan.network.item);
    let mut md = String::new();
    let _ = writeln!(md, "<!-- {GENERATED} -->\n<!-- {HOW_TO_CHANGE} -->\n");
    let _ = writeln!(md, "# IP allocation summary\n");
    let _ = writeln!(
        md,
        "Network `{}` ({} addresses), shared by every cluster. This file is generated from \
         `plan.toml`, the single source of truth: to change an allocation, edit `plan.toml` \
         and run `cargo build`, which refuses overlapping or out-of-network ranges.\n",
        plan.network.item,
        size(&net)
    );
    let _ = writeln!(md, "## Address map\n");
    let _ = writeln!(
        md,
        "![Address map of {}: reserved ranges, each cluster's pools, pins and free addresses](ip-map.svg)\n",
        plan.network.item
    );
    let _ = writeln!(
        md,
        "| range | size | owner | note |\n| --- | ---: | --- | --- |"
    );
    for row in address_map(plan) {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            row.iv,
            size(&row.iv),
            row.owner,
            row.note
        );
    }
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
pub const ARCH_BEGIN: &str = "<!-- BEGIN lbipam: generated from plan.toml by `cargo build`; edits inside are overwritten -->";
/// See [`ARCH_BEGIN`].
pub const ARCH_END: &str = "<!-- END lbipam -->";
/// The heading placed before the markers when the build has to add them.
pub const ARCH_HEADING: &str = "## Networking (Cilium) — LoadBalancer IPAM";

/// The body between the markers of `docs/architecture.md`.
pub fn architecture_section(plan: &Plan) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\nAll clusters share the L2 subnet `{}`; each gets its own `CiliumLoadBalancerIPPool`, \
         included only by that cluster's Flux `cilium-ipam` Kustomization, so pools cannot \
         collide at run time. Full address map: [IP-ALLOCATION-SUMMARY.md](IP-ALLOCATION-SUMMARY.md).\n",
        plan.network.item
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
