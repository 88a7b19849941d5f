//! `lbipam report`: how full the network, each cluster and each pool is, and the
//! network as ranges.

use std::path::Path;

use lbipam_core::ipnet::IpNet;
use lbipam_core::net::{Interval, Size};
use lbipam_core::plan::{Plan, allocatable};
use lbipam_core::usage::{self, Holder, Segment, Usage};
use serde_json::{Value, json};

use crate::table::{self, Style, Table};
use crate::{Output, ReportFormat};

pub(crate) fn run(
    _root: &Path,
    plan: &Plan,
    cluster: Option<&str>,
    format: ReportFormat,
    color: bool,
) -> Output {
    let only = match cluster {
        Some(name) => match crate::cluster(plan, name) {
            Ok(_) => plan.clusters.iter().position(|c| c.name.item == name),
            Err(out) => return out,
        },
        None => None,
    };
    let segments = usage::segments(plan);
    let shown: Vec<&Segment> = segments
        .iter()
        .filter(|s| match (only, s.holder) {
            (None, _) => true,
            (Some(i), Holder::Pool { cluster, .. }) => cluster == i,
            (Some(_), _) => false,
        })
        .collect();
    let clusters: Vec<usize> = (0..plan.clusters.len())
        .filter(|i| only.is_none_or(|o| o == *i))
        .collect();
    let notes: String = clusters
        .iter()
        .filter_map(|&i| lbipam_core::cilium::unselected_note(&plan.clusters[i]))
        .map(|n| format!("\nnote: {n}\n"))
        .collect();
    crate::ok(match format {
        ReportFormat::Table => format!(
            "{}\n\n{}\n{}{notes}",
            network_lines(plan, &segments),
            usage_table(plan, &clusters).text(color),
            ranges_table(plan, &shown).text(color)
        ),
        ReportFormat::Markdown => format!(
            "{}\n\n{}\n{}{notes}",
            network_lines(plan, &segments),
            usage_table(plan, &clusters).markdown(),
            ranges_table(plan, &shown).markdown()
        ),
        ReportFormat::Json => {
            let mut text = to_json(plan, &segments, &clusters, &shown).to_string();
            text.push('\n');
            text
        }
    })
}

/// Addresses of the network by kind of holder.
struct Totals {
    reserved: Size,
    /// The IPv4 network and broadcast addresses no pool may hold.
    unusable: Size,
    pools: Size,
    free: Size,
}

fn totals(segments: &[Segment]) -> Totals {
    let zero = Size::Count(0);
    let mut t = Totals {
        reserved: zero,
        unusable: zero,
        pools: zero,
        free: zero,
    };
    for s in segments {
        let slot = match s.holder {
            Holder::Reserved { .. } => &mut t.reserved,
            Holder::Unusable { .. } => &mut t.unusable,
            Holder::Pool { .. } => &mut t.pools,
            Holder::Free => &mut t.free,
        };
        *slot = usage::add(*slot, s.iv.size());
    }
    t
}

/// One network's part of the map: its segments, the pins in it, and how many
/// of its pool addresses Cilium can hand out.
struct Net<'p, 's> {
    cidr: IpNet,
    segments: &'s [Segment<'p>],
    pinned: usize,
    handed: Size,
}

/// The networks in the map's order (IPv4 first, each family by address).
fn nets<'p, 's>(plan: &'p Plan, segments: &'s [Segment<'p>]) -> Vec<Net<'p, 's>> {
    let cidrs = lbipam_core::usage::networks(plan);
    let mut rest = segments;
    cidrs
        .into_iter()
        .map(|(iv, cidr)| {
            let n = rest.partition_point(|s| iv.contains(&s.iv));
            let (mine, after) = rest.split_at(n);
            rest = after;
            let pins = plan.clusters.iter().flat_map(|c| c.pins.iter());
            let pinned = pins.filter(|p| iv.contains_addr(p.addr.item)).count();
            let handed =
                plan.clusters
                    .iter()
                    .flat_map(|c| c.pools.iter())
                    .fold(Size::Count(0), |acc, p| {
                        let blocks = p.blocks.iter().map(|b| &b.item);
                        let inside =
                            blocks.filter(|b| b.interval().is_some_and(|b| iv.contains(&b)));
                        usage::add(acc, allocatable(inside, p.allows_first_last()))
                    });
            Net {
                cidr,
                segments: mine,
                pinned,
                handed,
            }
        })
        .collect()
}

/// Share of a network that is reserved or in a pool.
fn allocated(size: Size, free: Size) -> f64 {
    match free {
        Size::Count(free) => 100.0 - usage::percent(free, size),
        Size::All128 => 0.0,
    }
}

/// One line per network.
fn network_lines(plan: &Plan, segments: &[Segment]) -> String {
    let lines: Vec<String> = nets(plan, segments).iter().map(network_line).collect();
    lines.join("\n")
}

fn network_line(net: &Net) -> String {
    let Totals {
        reserved,
        unusable,
        pools,
        free,
    } = totals(net.segments);
    let edges = match unusable {
        Size::Count(0) => String::new(),
        n => format!(", {n} network/broadcast"),
    };
    // Pools that withhold their blocks' ends hand out fewer than they hold.
    let handed = match net.handed == pools {
        true => String::new(),
        false => format!("{} Cilium can hand out, ", net.handed),
    };
    let size = Interval::of_net(net.cidr).size();
    format!(
        "Network {}: {} addresses; {reserved} reserved{edges}, {pools} in pools ({handed}{} pinned), {free} free; {:.1}% allocated",
        net.cidr,
        size,
        net.pinned,
        allocated(size, free)
    )
}

/// Green below half, yellow below 80 %, red above.
fn level(percent: f64) -> Style {
    if percent < 50.0 {
        table::GREEN
    } else if percent < 80.0 {
        table::YELLOW
    } else {
        table::RED
    }
}

fn usage_cells(u: Usage, name: String, name_style: Style, blocks: String) -> Vec<(String, Style)> {
    vec![
        (name, name_style),
        (u.size.to_string(), None),
        (u.pinned.to_string(), None),
        (u.free().to_string(), None),
        (format!("{:.1}%", u.percent()), level(u.percent())),
        (blocks, None),
    ]
}

fn usage_table(plan: &Plan, clusters: &[usize]) -> Table {
    let mut t = Table::new(
        vec![
            "CLUSTER / POOL",
            "SIZE",
            "PINNED",
            "FREE",
            "UTILIZATION",
            "BLOCKS",
        ],
        vec![false, true, true, true, true, false],
    );
    for &ci in clusters {
        let c = &plan.clusters[ci];
        let name = c.name.item.to_string();
        t.row(usage_cells(
            usage::cluster_usage(c),
            name,
            table::BOLD,
            String::new(),
        ));
        for p in c.pools.iter() {
            let blocks: Vec<String> = p.blocks.iter().map(|b| b.item.to_string()).collect();
            let u = usage::pool_usage(c, p);
            t.row(usage_cells(
                u,
                format!("  {}", p.name.item),
                None,
                blocks.join(", "),
            ));
        }
    }
    t
}

fn owner(plan: &Plan, h: Holder) -> (String, Style) {
    match h {
        Holder::Free => ("free".to_owned(), table::GREEN),
        Holder::Unusable { which } => (format!("{which} address"), table::DIM),
        Holder::Reserved { name, note } => {
            let note = note
                .map(|n| format!(": {}", crate::printable(n)))
                .unwrap_or_default();
            (format!("reserved {name}{note}"), table::DIM)
        }
        Holder::Pool { cluster, pool } => {
            let c = &plan.clusters[cluster];
            (
                format!("pool {} (cluster {})", c.pools[pool].name.item, c.name.item),
                table::CYAN,
            )
        }
    }
}

fn ranges_table(plan: &Plan, segments: &[&Segment]) -> Table {
    let mut t = Table::new(vec!["RANGE", "SIZE", "OWNER"], vec![false, true, false]);
    for s in segments {
        let (text, style) = owner(plan, s.holder);
        t.row(vec![
            (s.iv.to_string(), None),
            (s.iv.size().to_string(), None),
            (text, style),
        ]);
    }
    t
}

/// A size as a JSON number: exact up to 2^64, a float beyond.
pub(crate) fn size_json(size: Size) -> Value {
    match size {
        Size::Count(n) => u64::try_from(n).map_or_else(|_| json!(n as f64), |n| json!(n)),
        Size::All128 => json!(2f64.powi(128)),
    }
}

/// A percentage to one decimal, rounded exactly as the table prints it.
fn percent_json(p: f64) -> Value {
    json!(format!("{p:.1}").parse::<f64>().unwrap_or(p))
}

fn usage_json(u: Usage) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("size".into(), size_json(u.size));
    m.insert("pinned".into(), json!(u.pinned as u64));
    m.insert("free".into(), size_json(u.free()));
    m.insert("utilization".into(), percent_json(u.percent()));
    m
}

fn to_json(plan: &Plan, all: &[Segment], clusters: &[usize], shown: &[&Segment]) -> Value {
    let networks: Vec<Value> = nets(plan, all).iter().map(network_json).collect();
    let clusters: Vec<Value> = clusters
        .iter()
        .map(|&ci| {
            let c = &plan.clusters[ci];
            let mut m = usage_json(usage::cluster_usage(c));
            m.insert("name".into(), json!(c.name.item));
            let pools: Vec<Value> = c
                .pools
                .iter()
                .map(|p| {
                    let mut pm = usage_json(usage::pool_usage(c, p));
                    pm.insert("name".into(), json!(p.name.item));
                    let blocks: Vec<String> = p.blocks.iter().map(|b| b.item.to_string()).collect();
                    pm.insert("blocks".into(), json!(blocks));
                    Value::Object(pm)
                })
                .collect();
            m.insert("pools".into(), json!(pools));
            Value::Object(m)
        })
        .collect();
    let ranges: Vec<Value> = shown
        .iter()
        .map(|s| {
            let mut m = serde_json::Map::new();
            m.insert("first".into(), json!(s.iv.first().to_string()));
            m.insert("last".into(), json!(s.iv.last().to_string()));
            m.insert("size".into(), size_json(s.iv.size()));
            match s.holder {
                Holder::Free => {
                    m.insert("owner".into(), json!("free"));
                }
                Holder::Unusable { which } => {
                    m.insert("owner".into(), json!(which));
                }
                Holder::Reserved { name, note } => {
                    m.insert("owner".into(), json!("reserved"));
                    m.insert("name".into(), json!(name));
                    m.insert("note".into(), json!(note));
                }
                Holder::Pool { cluster, pool } => {
                    let c = &plan.clusters[cluster];
                    m.insert("owner".into(), json!("pool"));
                    m.insert("cluster".into(), json!(c.name.item));
                    m.insert("pool".into(), json!(c.pools[pool].name.item));
                }
            }
            Value::Object(m)
        })
        .collect();
    let mut out = serde_json::Map::new();
    // `network` is the one network of a plan that has one, as before networks
    // could be several; `networks` always lists them all.
    if let [one] = networks.as_slice() {
        out.insert("network".into(), one.clone());
    }
    out.insert("networks".into(), json!(networks));
    out.insert("clusters".into(), json!(clusters));
    out.insert("ranges".into(), json!(ranges));
    Value::Object(out)
}

fn network_json(net: &Net) -> Value {
    let Totals {
        reserved,
        unusable,
        pools,
        free,
    } = totals(net.segments);
    let size = Interval::of_net(net.cidr).size();
    json!({
        "cidr": net.cidr.to_string(),
        "size": size_json(size),
        "reserved": size_json(reserved),
        "network_broadcast": size_json(unusable),
        "pools": size_json(pools),
        "pinned": net.pinned,
        "free": size_json(free),
        "allocated": percent_json(allocated(size, free)),
    })
}
