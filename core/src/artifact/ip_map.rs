//! `docs/ip-map.svg`: the networks as a picture. Per network a grid of at most
//! 16×16 cells — one per address up to a /24 (or an IPv6 /120), else 256 equal
//! blocks of addresses, each showing the owner of most of its addresses — colored
//! by owner, pinned cells marked, with a legend and the list of ranges. The
//! picture's size depends on the number of networks only: the legend and the
//! range list are capped, and the side is as wide as its longest line.

use std::collections::HashMap;
use std::fmt::Write;

use crate::net::{Interval, Size};
use crate::plan::Plan;
use crate::usage::{self, Holder, Segment};
use crate::xml;

use crate::header::GENERATED;

const CELL: u32 = 26;
const COLUMNS: u128 = 16;
const MARGIN: u32 = 16;
const TOP: u32 = 48;
/// Rows of the legend and of the range list shown at most.
const MAX_ROWS: usize = 16;
const LINE: u32 = 18;

/// Fill and text color of each pool, in plan order (Okabe–Ito, readable by
/// color-blind readers); the colors repeat after seven pools.
const POOL_COLORS: [(&str, &str); 7] = [
    ("#E69F00", "#000"),
    ("#56B4E9", "#000"),
    ("#009E73", "#fff"),
    ("#F0E442", "#000"),
    ("#0072B2", "#fff"),
    ("#D55E00", "#fff"),
    ("#CC79A7", "#000"),
];
const RESERVED: (&str, &str) = ("#BDBDBD", "#000");
const FREE: (&str, &str) = ("#FFFFFF", "#666");
/// The network and broadcast addresses: dark, as nothing may be handed out there.
const UNUSABLE: (&str, &str) = ("#424242", "#FFF");

/// The colors and legend name of a holder.
fn style(plan: &Plan, h: Holder) -> ((&'static str, &'static str), String) {
    match h {
        Holder::Free => (FREE, "free".to_owned()),
        Holder::Unusable { which } => (UNUSABLE, which.to_owned()),
        Holder::Reserved { name, .. } => (RESERVED, format!("reserved {name}")),
        Holder::Pool { cluster, pool } => {
            let index: usize = plan.clusters[..cluster]
                .iter()
                .map(|c| c.pools.len())
                .sum::<usize>()
                + pool;
            let c = &plan.clusters[cluster];
            let name = format!("{} / {}", c.name.item, c.pools[pool].name.item);
            (POOL_COLORS[index % POOL_COLORS.len()], name)
        }
    }
}

/// One cell of the grid: its addresses, the holder of most of them, whether
/// others share it, and whether it holds a pin.
struct Cell<'a> {
    iv: Interval,
    holder: Holder<'a>,
    mixed: bool,
    pinned: bool,
}

/// Splits one network into the grid's cells and finds each one's main holder,
/// in one pass over the segments (those of every network, in address order).
fn cells<'a>(plan: &Plan, net: Interval, segments: &[Segment<'a>]) -> (Vec<Cell<'a>>, u128) {
    let span = net.stop - net.start; // size - 1, never overflows
    let (count, per) = if span >= 255 {
        (256, (span >> 8) + 1)
    } else {
        (span + 1, 1)
    };
    let mut pins: Vec<u128> = plan
        .clusters
        .iter()
        .flat_map(|c| c.pins.iter())
        .map(|p| Interval::of_addr(p.addr.item))
        .filter(|iv| net.contains(iv))
        .map(|iv| (iv.start - net.start) / per)
        .collect();
    pins.sort_unstable();
    let mut out = Vec::with_capacity(count as usize);
    let mut j = segments.partition_point(|s| (s.iv.v6, s.iv.stop) < (net.v6, net.start));
    for i in 0..count {
        let start = net.start + i * per;
        let iv = Interval {
            v6: net.v6,
            start,
            stop: start + (per - 1),
        };
        let mut shares: Vec<(Holder, u128)> = Vec::new();
        while let Some(s) = segments.get(j) {
            if let Some(part) = s.iv.overlap(&iv) {
                let n = (part.stop - part.start).saturating_add(1);
                match shares.iter_mut().find(|(h, _)| *h == s.holder) {
                    Some((_, total)) => *total = total.saturating_add(n),
                    None => shares.push((s.holder, n)),
                }
            }
            if (s.iv.v6, s.iv.stop) > (iv.v6, iv.stop) {
                break;
            }
            j += 1;
        }
        // The largest share wins; among equals, the first in address order.
        let holder = shares
            .iter()
            .rev()
            .max_by_key(|(_, n)| *n)
            .map_or(Holder::Free, |(h, _)| *h);
        out.push(Cell {
            iv,
            holder,
            mixed: shares.len() > 1,
            pinned: pins.binary_search(&i).is_ok(),
        });
    }
    (out, per)
}

/// One network's grid: its CIDR, cells, and addresses per cell.
struct NetGrid<'a> {
    cidr: ipnet::IpNet,
    cells: Vec<Cell<'a>>,
    per: u128,
}

/// Height of one network's title lines above its grid.
const TITLE: u32 = TOP;

/// `docs/ip-map.svg`, fully generated.
pub fn ip_map_svg(plan: &Plan) -> String {
    let segments = usage::segments(plan);
    let nets = usage::networks(plan);
    let grids: Vec<NetGrid> = nets
        .iter()
        .map(|&(iv, cidr)| {
            let (cells, per) = cells(plan, iv, &segments);
            NetGrid { cidr, cells, per }
        })
        .collect();
    let grid_rows = |g: &NetGrid| (g.cells.len() as u128).div_ceil(COLUMNS) as u32;
    // The grids one under the other, each under its title lines.
    let grids_height: u32 =
        grids.iter().map(|g| grid_rows(g) * CELL).sum::<u32>() + TITLE * (grids.len() as u32 - 1);
    let label_width = grids
        .iter()
        .flat_map(|g| g.cells.iter().step_by(COLUMNS as usize))
        .map(|c| c.iv.first().to_string().len() as u32)
        .max()
        .unwrap_or(0)
        * 7
        + 8;
    let grid_x = MARGIN + label_width;
    let side_x = grid_x + COLUMNS as u32 * CELL + 24;
    let legend = legend(plan, &segments);
    let ranges = range_list(plan, &segments);
    let side_rows = (legend.len() + ranges.len() + 4) as u32;
    let height = TOP + grids_height.max(side_rows * LINE) + MARGIN + LINE;
    // Wide enough for the longest line at 11px monospace (about 6.7px a
    // character), so IPv6 ranges are not cut off.
    let longest = legend.iter().chain(&ranges).map(|e| e.text.chars().count());
    let side_width = (longest.max().unwrap_or(0) as u32 * 67).div_ceil(10) + 28;
    let width = side_x + side_width.max(380);

    let mut svg = String::new();
    let _ = writeln!(svg, "<!-- {GENERATED} -->");
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(
        svg,
        "<rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>"
    );
    let mut top = 0;
    for g in &grids {
        title(&mut svg, top, g);
        grid(&mut svg, plan, &g.cells, grid_x, top + TOP);
        top += grid_rows(g) * CELL + TITLE;
    }
    side(&mut svg, side_x, &legend, &ranges);
    svg.push_str("</svg>\n");
    svg
}

/// The two lines above a network's grid: the network, and how cells count.
fn title(svg: &mut String, top: u32, g: &NetGrid) {
    let scale = if g.per == 1 {
        "one cell per address".to_owned()
    } else {
        format!(
            "one cell per {} addresses, colored by the owner of most of them",
            g.per
        )
    };
    let _ = writeln!(
        svg,
        "<text x=\"{MARGIN}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\">Address map of {} ({} addresses)</text>",
        top + 24,
        g.cidr,
        Interval::of_net(g.cidr).size()
    );
    let _ = writeln!(
        svg,
        "<text x=\"{MARGIN}\" y=\"{}\" fill=\"#444\">{scale}; a dot marks a pinned address</text>",
        top + 40
    );
}

fn grid(svg: &mut String, plan: &Plan, cells: &[Cell], grid_x: u32, top: u32) {
    for (i, cell) in cells.iter().enumerate() {
        let (col, row) = (i as u32 % COLUMNS as u32, i as u32 / COLUMNS as u32);
        let (x, y) = (grid_x + col * CELL, top + row * CELL);
        if col == 0 {
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-family=\"monospace\" font-size=\"11\">{}</text>",
                grid_x - 6,
                y + 17,
                cell.iv.first()
            );
        }
        let ((fill, ink), name) = style(plan, cell.holder);
        let mut title = format!("{}: {name}", cell.iv);
        if cell.mixed {
            title.push_str(" (and others)");
        }
        if cell.pinned {
            title.push_str(", pinned");
        }
        let _ = write!(
            svg,
            "<g><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{CELL}\" height=\"{CELL}\" fill=\"{fill}\" stroke=\"#999\" stroke-width=\"0.5\"/>",
            xml::escape(&title)
        );
        if cell.iv.start == cell.iv.stop {
            let offset = i;
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"9\" fill=\"{ink}\">{offset}</text>",
                x + CELL / 2,
                y + CELL / 2 + 3
            );
        }
        if cell.pinned {
            let _ = write!(
                svg,
                "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"#000\" stroke=\"#fff\" stroke-width=\"1\"/>",
                x + CELL - 6,
                y + 6
            );
        }
        svg.push_str("</g>\n");
    }
}

/// One line of the legend or the range list: a swatch and its text.
struct Entry {
    fill: &'static str,
    text: String,
}

/// Owners with their total size, in address order of first appearance; capped.
fn legend(plan: &Plan, segments: &[Segment]) -> Vec<Entry> {
    let mut owners: Vec<(Holder, Size)> = Vec::new();
    // Where each owner is in `owners`: a fleet has thousands of pools.
    let mut index: HashMap<Holder, usize> = HashMap::new();
    for s in segments {
        // All reserved ranges share one color, so one legend line.
        let key = match s.holder {
            Holder::Reserved { .. } => Holder::Reserved {
                name: "",
                note: None,
            },
            h => h,
        };
        match index.get(&key) {
            Some(&i) => owners[i].1 = usage::add(owners[i].1, s.iv.size()),
            None => {
                index.insert(key, owners.len());
                owners.push((key, s.iv.size()));
            }
        }
    }
    let shown = owners.len().min(MAX_ROWS);
    let mut out: Vec<Entry> = owners[..shown]
        .iter()
        .map(|(h, size)| {
            let ((fill, _), name) = style(plan, *h);
            let name = match h {
                Holder::Reserved { .. } => "reserved".to_owned(),
                _ => name,
            };
            Entry {
                fill,
                text: format!("{name} ({size})"),
            }
        })
        .collect();
    if owners.len() > shown {
        out.push(Entry {
            fill: "none",
            text: format!(
                "… {} more owners (pool colors repeat)",
                owners.len() - shown
            ),
        });
    }
    out
}

/// The ranges of the networks in address order, as labels; capped.
fn range_list(plan: &Plan, segments: &[Segment]) -> Vec<Entry> {
    let shown = segments.len().min(MAX_ROWS);
    let mut out: Vec<Entry> = segments[..shown]
        .iter()
        .map(|s| {
            let ((fill, _), name) = style(plan, s.holder);
            Entry {
                fill,
                text: format!("{}  {}  ({})", s.iv, name, s.iv.size()),
            }
        })
        .collect();
    if segments.len() > shown {
        out.push(Entry {
            fill: "none",
            text: format!(
                "… {} more ranges: see {}",
                segments.len() - shown,
                crate::plan::layout::IP_SUMMARY
            ),
        });
    }
    out
}

fn side(svg: &mut String, x: u32, legend: &[Entry], ranges: &[Entry]) {
    let mut y = TOP + 12;
    let heading = |svg: &mut String, y: u32, text: &str| {
        let _ = writeln!(
            svg,
            "<text x=\"{x}\" y=\"{y}\" font-weight=\"bold\">{text}</text>"
        );
    };
    heading(svg, y, "Owners");
    y += LINE;
    for e in legend {
        entry(svg, x, y, e);
        y += LINE;
    }
    let _ = writeln!(
        svg,
        "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"#000\"/><text x=\"{}\" y=\"{y}\">pinned address</text>",
        x + 6,
        y - 4,
        x + 20
    );
    y += LINE + 8;
    heading(svg, y, "Ranges");
    y += LINE;
    for e in ranges {
        entry(svg, x, y, e);
        y += LINE;
    }
}

fn entry(svg: &mut String, x: u32, y: u32, e: &Entry) {
    if e.fill != "none" {
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\" stroke=\"#999\" stroke-width=\"0.5\"/>",
            y - 10,
            e.fill
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{y}\" font-family=\"monospace\" font-size=\"11\">{}</text>",
        x + 20,
        xml::escape(&e.text)
    );
}
