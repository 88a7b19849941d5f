//! `lbipam explain IP`: who owns an address, and which files mention it.

use std::fmt::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lbipam_core::header::is_generated;
use lbipam_core::net::Size;
use lbipam_core::plan::layout;
use lbipam_core::plan::{Cluster, Plan, Pool};
use lbipam_core::tree::{Links, Tree};
use lbipam_core::usage::{self, Holder};

use crate::Output;
use crate::next_free::Asked;

pub(crate) fn run(root: &Path, plan: &Plan, ip: IpAddr) -> Output {
    let segments = usage::segments(plan);
    let Some(segment) = usage::segment_at(&segments, ip) else {
        return crate::fail(format!(
            "{ip} is outside network {}",
            plan.networks_text(None)
        ));
    };
    let mut out = String::new();
    match segment.holder {
        Holder::Free => {
            let _ = writeln!(out, "{ip}: free (no reserved range or pool holds it)");
            let size = segment.iv.size();
            let plural = if size == Size::Count(1) { "" } else { "es" };
            let _ = writeln!(out, "  free range: {} ({size} address{plural})", segment.iv);
        }
        Holder::Unusable { which } => {
            let _ = writeln!(
                out,
                "{ip}: the {which} address of {}: no pool may hold it (Cilium would hand it out)",
                plan.networks
                    .iter()
                    .find(|n| n.item.contains(&ip))
                    .map_or_else(String::new, |n| n.item.to_string())
            );
        }
        Holder::Reserved { name, note } => {
            let _ = writeln!(out, "{ip}: reserved range {name} ({})", segment.iv);
            if let Some(note) = note {
                let _ = writeln!(out, "  note: {}", crate::printable(note));
            }
        }
        Holder::Pool { cluster, pool } => {
            let c = &plan.clusters[cluster];
            let p = &c.pools[pool];
            let _ = writeln!(
                out,
                "{ip}: pool {} of cluster {} (block {})",
                p.name.item, c.name.item, segment.iv
            );
            let _ = writeln!(out, "  {}", in_pool(root, plan, (c, p), ip));
        }
    }
    let mentions = mentions(root, plan, ip);
    if mentions.is_empty() {
        let _ = writeln!(out, "no file mentions {ip}");
    } else {
        let _ = writeln!(out, "mentioned in:");
        for (path, line, kind) in mentions {
            let _ = writeln!(out, "  {}:{line} ({kind})", shown(&path));
        }
    }
    crate::ok(out)
}

/// What becomes of an address of pool `p` of cluster `c`: withheld, pinned,
/// asked for by a file, or Cilium's to give to any Service.
fn in_pool(root: &Path, plan: &Plan, (c, p): (&Cluster, &Pool), ip: IpAddr) -> String {
    let withheld = p.blocks.iter().find(|b| {
        let iv = b.item.interval();
        let end = iv.is_some_and(|iv| iv.first() == ip || iv.last() == ip);
        end && p.edges_withheld(&b.item)
    });
    if let Some(block) = withheld {
        return format!(
            "withheld: an end of cidr block {}, which pool {} does not hand out \
             (allow-first-last-ips = false); Cilium gives it to no Service and it cannot \
             be pinned",
            block.item, p.name.item
        );
    }
    if let Some(pin) = c.pins.iter().find(|pin| pin.addr.item == ip) {
        let service = &pin.service.item;
        return format!("pinned: {service}{}", delivery(plan, service));
    }
    let asked = Asked::of(root, plan, &c.name.item);
    match asked.at(ip) {
        Some(at) => format!("not pinned: {at} asks for it, so Cilium gives it to that Service"),
        None if asked.unknown().is_some() => "not pinned; whether a file asks for it is not \
             known, as the repository fails its checks (see `lbipam check`)"
            .to_owned(),
        None => format!(
            "not pinned: Cilium may give it to any LoadBalancer Service of cluster {}",
            c.name.item
        ),
    }
}

/// How a pin reaches its cluster, as ` → setting KEY, Helm values PATH`.
fn delivery(plan: &Plan, pin: &str) -> String {
    let Some(s) = plan.service(pin) else {
        return String::new();
    };
    let mut ways = Vec::new();
    if let Some(key) = &s.setting {
        ways.push(format!("cluster-settings {}", key.item));
    }
    if let Some(path) = &s.helm_service {
        ways.push(format!(
            "Cilium Helm values {}",
            crate::printable(&path.item)
        ));
    }
    if ways.is_empty() {
        String::new()
    } else {
        format!(" (reaches the cluster through {})", ways.join(", "))
    }
}

/// A path as the output shows it: `/`-separated, control characters escaped
/// (a file name cannot move the cursor or start a line of its own).
fn shown(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| crate::printable(&c.as_os_str().to_string_lossy()))
        .collect();
    parts.join("/")
}

/// Every line of plan.toml and of the files under the audited directories and
/// the docs (the seed's `kubernetes/`, `bootstrap/` and `docs/`) that spells the
/// address, with what kind of file it is.
fn mentions(root: &Path, plan: &Plan, ip: IpAddr) -> Vec<(PathBuf, usize, &'static str)> {
    let needle = ip.to_string();
    let docs = plan
        .layout
        .summary()
        .and_then(|s| s.parent().map(Path::to_path_buf));
    let roots: Vec<PathBuf> = plan.layout.audit_roots().into_iter().chain(docs).collect();
    // Root by root, as `grep -rn ADDR plan.toml kubernetes bootstrap docs` lists them.
    let tree = Tree::disk(root);
    let mut files = vec![PathBuf::from(layout::PLAN_FILE)];
    for dir in roots {
        files.extend(tree.walk(&[dir], Links::Skip, |_| true).files);
    }
    let mut seen = std::collections::BTreeSet::new();
    files.retain(|f| tree.is_file(f) && seen.insert(f.clone()));
    let mut out = Vec::new();
    for rel in files {
        let Ok(text) = lbipam_core::read::text(&root.join(&rel)) else {
            continue;
        };
        let kind = kind(plan, &rel, &text);
        for (i, line) in text.lines().enumerate() {
            if spells(line, &needle) {
                out.push((rel.clone(), i + 1, kind));
            }
        }
    }
    out
}

fn kind(plan: &Plan, rel: &Path, text: &str) -> &'static str {
    if rel == Path::new(layout::PLAN_FILE) {
        "the plan"
    } else if is_generated(text) {
        "generated"
    } else if is_managed(plan, rel) {
        "hand-written, partly written by the build"
    } else {
        "hand-written"
    }
}

/// The hand-written files of which the build owns a part.
fn is_managed(plan: &Plan, rel: &Path) -> bool {
    let l = &plan.layout;
    l.architecture().as_deref() == Some(rel)
        || plan.clusters.iter().any(|c| {
            let c = &*c.name.item;
            l.flux_file(c) == rel
                || l.settings_file(c).as_deref() == Some(rel)
                || l.helm_values(c).is_some_and(|v| v.file == rel)
        })
}

/// Whether `line` spells the address as a whole: `10.25.11.1` is not in
/// `10.25.11.100`, but is in `10.25.11.1-10.25.11.9` and `"10.25.11.1".`.
fn spells(line: &str, needle: &str) -> bool {
    // `:` continues an IPv6 address; after an IPv4 one it starts a port.
    let v6 = needle.contains(':');
    let part = |c: char| c.is_ascii_alphanumeric() || (v6 && c == ':');
    line.match_indices(needle).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let mut after = line[at + needle.len()..].chars();
        let next = after.next();
        let ok_before = before.is_none_or(|c| !part(c) && c != '.');
        let ok_after = match next {
            None => true,
            Some('.') => !after.next().is_some_and(|c| c.is_ascii_digit()),
            Some(c) => !part(c),
        };
        ok_before && ok_after
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_spelled_only_as_a_whole() {
        assert!(spells("gateway = \"10.25.11.1\"", "10.25.11.1"));
        assert!(spells("range = \"10.25.11.1-10.25.11.9\"", "10.25.11.1"));
        assert!(spells("the router is 10.25.11.1.", "10.25.11.1"));
        assert!(!spells("gateway = \"10.25.11.110\"", "10.25.11.1"));
        assert!(!spells("110.25.11.1", "10.25.11.1"));
        assert!(!spells("10.25.11.1.5", "10.25.11.1"));
        assert!(!spells("fd00::1:2", "fd00::1"));
        assert!(spells("<title>10.25.11.1: reserved</title>", "10.25.11.1"));
        assert!(spells("10.25.11.1:443", "10.25.11.1"));
    }
}
