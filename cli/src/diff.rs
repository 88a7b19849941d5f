//! `lbipam diff`: what a change to plan.toml does, against a git revision — per
//! cluster, pools and pins added, removed, grown, shrunk or moved; reserved
//! ranges; addresses changing owner; and a warning for every change that makes
//! Cilium re-address a running Service.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

use lbipam_core::net::{self, Interval};
use lbipam_core::plan::{Cluster, Plan, Pool};
use lbipam_core::usage::{self, Holder};
use serde_json::{Value, json};

use crate::Output;

/// How `diff` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DiffFormat {
    Text,
    Markdown,
    Json,
}

/// What makes `diff` exit 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOn {
    /// A change that re-addresses a running Service (a pool shrunk, moved or
    /// removed, a pin moved).
    ReAddress,
    /// Any change at all.
    Any,
    /// Never: report only.
    Never,
}

pub(crate) fn run(
    plan_path: &Path,
    base: Option<&str>,
    format: DiffFormat,
    fail_on: FailOn,
) -> Output {
    let root = crate::root_of(plan_path);
    let new = match lbipam_core::generate::load(root) {
        Ok(plan) => plan,
        Err(report) => return crate::invalid(&report),
    };
    let (rev, shown) = match base {
        Some(rev) => (rev.to_owned(), rev.to_owned()),
        None => match default_base(root) {
            Ok(found) => found,
            Err(message) => return usage(message),
        },
    };
    let old = match base_plan(root, &rev) {
        Ok(Some(text)) => match lbipam_core::check::compile(&text) {
            Ok(plan) => Some(plan),
            Err(errors) => {
                return crate::fail(format!(
                    "plan.toml at {shown} does not pass the checks ({} error(s)), so there is nothing to compare with",
                    errors.len()
                ));
            }
        },
        // A plan the base does not have: everything is new.
        Ok(None) => None,
        Err(e) => return usage(format!("cannot read plan.toml at `{shown}`: {e}")),
    };
    let diff = diff(old.as_ref(), &new);
    let stdout = match format {
        DiffFormat::Text => text(&diff, &shown),
        DiffFormat::Markdown => markdown(&diff, &shown),
        DiffFormat::Json => {
            let mut s = serde_json::to_string_pretty(&to_json(&diff, &shown)).unwrap_or_default();
            s.push('\n');
            s
        }
    };
    let failed = match fail_on {
        FailOn::ReAddress => !diff.warnings.is_empty(),
        FailOn::Any => !diff.is_empty(),
        FailOn::Never => false,
    };
    Output {
        code: i32::from(failed),
        stdout,
        ..Output::default()
    }
}

fn usage(message: String) -> Output {
    Output {
        code: 2,
        ..crate::fail(message)
    }
}

/// `git -C root ARGS`, its stdout, or its stderr as the error.
fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// plan.toml (of the directory holding it) at revision `rev`; `None` when
/// the revision has no such file.
fn base_plan(root: &Path, rev: &str) -> Result<Option<String>, String> {
    let commit = format!("{rev}^{{commit}}");
    git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &commit,
        ],
    )
    .map_err(|_| "no such revision".to_owned())?;
    let spec = format!("{rev}:./{}", lbipam_core::plan::layout::PLAN_FILE);
    if git(root, &["cat-file", "-e", &spec]).is_err() {
        return Ok(None);
    }
    git(root, &["show", &spec]).map(Some)
}

/// The merge base of `HEAD` with the default branch (`origin/HEAD`, else
/// `main`, `master`, `origin/main`, `origin/master`), and how to name it.
fn default_base(root: &Path) -> Result<(String, String), String> {
    let mut candidates = Vec::new();
    if let Ok(head) = git(root, &["rev-parse", "--abbrev-ref", "origin/HEAD"]) {
        candidates.push(head.trim().to_owned());
    }
    candidates.extend(["main", "master", "origin/main", "origin/master"].map(str::to_owned));
    for branch in candidates {
        if git(
            root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{branch}^{{commit}}"),
            ],
        )
        .is_err()
        {
            continue;
        }
        let base = git(root, &["merge-base", "HEAD", &branch])
            .map_err(|e| format!("no merge base of HEAD and {branch}: {e}"))?;
        let base = base.trim().to_owned();
        let short = base.get(..12).unwrap_or(&base).to_owned();
        return Ok((base, format!("{branch} (merge base {short})")));
    }
    Err("no default branch to compare with (origin/HEAD, main or master); name a revision with --base REV".to_owned())
}

/// Addresses as sorted, disjoint, non-adjacent intervals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Ranges(Vec<Interval>);

impl Ranges {
    fn new(mut ivs: Vec<Interval>) -> Ranges {
        ivs.sort();
        let mut out: Vec<Interval> = Vec::with_capacity(ivs.len());
        for iv in ivs {
            match out.last_mut() {
                Some(last)
                    if last.v6 == iv.v6
                        && last.stop.checked_add(1).is_none_or(|n| n >= iv.start) =>
                {
                    last.stop = last.stop.max(iv.stop);
                }
                _ => out.push(iv),
            }
        }
        Ranges(out)
    }

    /// The addresses of `self` not in `other`.
    fn minus(&self, other: &Ranges) -> Ranges {
        let mut out = Vec::new();
        for iv in &self.0 {
            let mut rest = Some(*iv);
            for o in other.0.iter().filter(|o| o.v6 == iv.v6) {
                let Some(r) = rest else { break };
                if o.stop < r.start || o.start > r.stop {
                    continue;
                }
                if o.start > r.start {
                    out.push(Interval {
                        stop: o.start - 1,
                        ..r
                    });
                }
                rest = o
                    .stop
                    .checked_add(1)
                    .filter(|&s| s <= r.stop)
                    .map(|start| Interval { start, ..r });
            }
            out.extend(rest);
        }
        Ranges(out)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for Ranges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&shown.join(", "))
    }
}

/// The addresses Cilium can hand out from a pool: its blocks, less the first
/// and last of a `cidr:` block the pool withholds them from.
fn allocatable(pool: &Pool) -> Ranges {
    let ivs = pool
        .blocks
        .iter()
        .filter_map(|b| {
            let iv = b.item.interval()?;
            Some(if pool.edges_withheld(&b.item) {
                Interval {
                    start: iv.start + 1,
                    stop: iv.stop - 1,
                    ..iv
                }
            } else {
                iv
            })
        })
        .collect();
    Ranges::new(ivs)
}

fn blocks(pool: &Pool) -> String {
    let shown: Vec<String> = pool.blocks.iter().map(|b| b.item.to_string()).collect();
    shown.join(", ")
}

/// One change of a pool, a pin or a reserved range.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Item {
    /// The cluster; `None` for a reserved range or the network.
    cluster: Option<String>,
    /// `pool`, `pin`, `reserved` or `network`.
    kind: &'static str,
    name: String,
    /// `added`, `removed`, `grown`, `shrunk`, `moved`, `changed`.
    change: &'static str,
    before: Option<String>,
    after: Option<String>,
    /// Addresses Cilium may no longer hand out from this pool.
    taken: Ranges,
    /// Addresses newly handed out.
    given: Ranges,
}

/// A change that makes Cilium re-address running Services.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Warning {
    cluster: String,
    /// `pool-shrunk`, `pool-moved`, `pool-removed` or `pin-moved`.
    kind: &'static str,
    message: String,
}

/// A range of addresses whose holder changes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct OwnerChange {
    range: Interval,
    before: String,
    after: String,
}

#[derive(Debug, Default)]
struct Diff {
    items: Vec<Item>,
    owners: Vec<OwnerChange>,
    warnings: Vec<Warning>,
}

impl Diff {
    fn is_empty(&self) -> bool {
        self.items.is_empty() && self.owners.is_empty()
    }
}

/// The networks as diff shows them: `10.25.11.0/24`, or several joined by `, `.
fn networks(plan: &Plan) -> String {
    let nets: Vec<String> = plan.networks.iter().map(|n| n.item.to_string()).collect();
    nets.join(", ")
}

fn diff(old: Option<&Plan>, new: &Plan) -> Diff {
    let mut d = Diff::default();
    if let Some(old) = old
        && networks(old) != networks(new)
    {
        d.items.push(item(
            None,
            "network",
            "cidr",
            "changed",
            Some(networks(old)),
            Some(networks(new)),
        ));
    }
    reserved(&mut d, old, new);
    let old_clusters: Vec<&Cluster> = old.map(|p| p.clusters.iter().collect()).unwrap_or_default();
    let mut names: Vec<&str> = old_clusters.iter().map(|c| &*c.name.item).collect();
    names.extend(new.clusters.iter().map(|c| &*c.name.item));
    let mut seen = BTreeSet::new();
    names.retain(|n| seen.insert(*n));
    for name in names {
        let before = old_clusters.iter().copied().find(|c| c.name.item == name);
        cluster(&mut d, name, before, new.cluster(name));
    }
    d.owners = owner_changes(old, new);
    d
}

fn item(
    cluster: Option<&str>,
    kind: &'static str,
    name: &str,
    change: &'static str,
    before: Option<String>,
    after: Option<String>,
) -> Item {
    Item {
        cluster: cluster.map(str::to_owned),
        kind,
        name: name.to_owned(),
        change,
        before,
        after,
        taken: Ranges::default(),
        given: Ranges::default(),
    }
}

fn reserved(d: &mut Diff, old: Option<&Plan>, new: &Plan) {
    let map = |p: &Plan| -> BTreeMap<String, String> {
        p.reserved
            .iter()
            .map(|r| (r.name.item.to_string(), r.range.item.to_string()))
            .collect()
    };
    let before = old.map(map).unwrap_or_default();
    let after = map(new);
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for name in names {
        let (b, a) = (before.get(name), after.get(name));
        let change = match (b, a) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(b), Some(a)) if b != a => "changed",
            _ => continue,
        };
        d.items
            .push(item(None, "reserved", name, change, b.cloned(), a.cloned()));
    }
}

fn cluster(d: &mut Diff, name: &str, old: Option<&Cluster>, new: Option<&Cluster>) {
    let pools =
        |c: Option<&Cluster>| -> Vec<Pool> { c.map(|c| c.pools.to_vec()).unwrap_or_default() };
    let (old_pools, new_pools) = (pools(old), pools(new));
    let mut pool_names: Vec<&str> = old_pools.iter().map(|p| &*p.name.item).collect();
    pool_names.extend(
        new_pools
            .iter()
            .map(|p| &*p.name.item)
            .filter(|n| !old_pools.iter().any(|p| &*p.name.item == *n)),
    );
    for pool in pool_names {
        let b = old_pools.iter().find(|p| p.name.item == pool);
        let a = new_pools.iter().find(|p| p.name.item == pool);
        pool_change(d, name, pool, b, a);
    }
    let pins = |c: Option<&Cluster>| -> BTreeMap<String, IpAddr> {
        c.map(|c| {
            c.pins
                .iter()
                .map(|p| (p.service.item.to_string(), p.addr.item))
                .collect()
        })
        .unwrap_or_default()
    };
    let (old_pins, new_pins) = (pins(old), pins(new));
    let services: BTreeSet<&String> = old_pins.keys().chain(new_pins.keys()).collect();
    for service in services {
        let (b, a) = (old_pins.get(service), new_pins.get(service));
        let change = match (b, a) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(b), Some(a)) if b != a => "moved",
            _ => continue,
        };
        if let (Some(b), Some(a)) = (b, a)
            && b != a
        {
            d.warnings.push(Warning {
                cluster: name.to_owned(),
                kind: "pin-moved",
                message: format!(
                    "pin {service} ({name}) moves from {b} to {a}: Cilium re-addresses that Service, and whatever reaches it at {b} (DNS, firewall rules, peers) must follow"
                ),
            });
        }
        d.items.push(item(
            Some(name),
            "pin",
            service,
            change,
            b.map(ToString::to_string),
            a.map(ToString::to_string),
        ));
    }
}

fn pool_change(d: &mut Diff, cluster: &str, name: &str, old: Option<&Pool>, new: Option<&Pool>) {
    let before = old.map(allocatable).unwrap_or_default();
    let after = new.map(allocatable).unwrap_or_default();
    let taken = before.minus(&after);
    let given = after.minus(&before);
    let change = match (old, new) {
        (None, Some(_)) => "added",
        (Some(_), None) => "removed",
        _ if !taken.is_empty() && !given.is_empty() => "moved",
        _ if !taken.is_empty() => "shrunk",
        _ if !given.is_empty() => "grown",
        (Some(b), Some(a)) if blocks(b) != blocks(a) => "changed",
        _ => return,
    };
    if !taken.is_empty() {
        let kind = match change {
            "removed" => "pool-removed",
            "moved" => "pool-moved",
            _ => "pool-shrunk",
        };
        d.warnings.push(Warning {
            cluster: cluster.to_owned(),
            kind,
            message: format!(
                "pool {name} ({cluster}) {change}: it no longer holds {taken}; Cilium takes these addresses from any Service holding one and gives it another, or leaves it pending"
            ),
        });
    }
    d.items.push(Item {
        taken,
        given,
        ..item(
            Some(cluster),
            "pool",
            name,
            change,
            old.map(blocks),
            new.map(blocks),
        )
    });
}

/// Pinned addresses (by family and bits) with their holder's name.
type PinHolders = BTreeMap<(bool, u128), String>;

/// Who holds each address of a plan: a pin, and the pools and reserved ranges
/// of its address map.
fn holders(plan: Option<&Plan>) -> (PinHolders, Vec<(Interval, String)>) {
    let Some(plan) = plan else {
        return Default::default();
    };
    let label = |holder| match holder {
        Holder::Reserved { name, .. } => Some(format!("reserved {name}")),
        Holder::Pool { cluster, pool } => {
            let c = plan.clusters.get(cluster)?;
            let p = c.pools.get(pool)?;
            Some(format!("pool {} ({})", p.name.item, c.name.item))
        }
        Holder::Free | Holder::Unusable { .. } => None,
    };
    let ranges = usage::segments(plan)
        .into_iter()
        .filter_map(|s| Some((s.iv, label(s.holder)?)))
        .collect();
    let pins = plan.clusters.iter().flat_map(|c| {
        c.pins.iter().map(|pin| {
            let name = format!("pin {} ({})", pin.service.item, c.name.item);
            (net::bits(pin.addr.item), name)
        })
    });
    (pins.collect(), ranges)
}

/// Every range of addresses whose holder differs between the plans, adjacent
/// ranges with the same change merged.
fn owner_changes(old: Option<&Plan>, new: &Plan) -> Vec<OwnerChange> {
    let (old_pins, old_ranges) = holders(old);
    let (new_pins, new_ranges) = holders(Some(new));
    // Every point where a holder may change: range starts, the address after
    // each range's end, and each pin and the address after it.
    let mut points: BTreeSet<(bool, u128)> = BTreeSet::new();
    for (iv, _) in old_ranges.iter().chain(&new_ranges) {
        points.insert((iv.v6, iv.start));
        if let Some(n) = iv.stop.checked_add(1) {
            points.insert((iv.v6, n));
        }
    }
    for &(v6, a) in old_pins.keys().chain(new_pins.keys()) {
        points.insert((v6, a));
        if let Some(n) = a.checked_add(1) {
            points.insert((v6, n));
        }
    }
    let holder = |pins: &BTreeMap<(bool, u128), String>,
                  ranges: &[(Interval, String)],
                  at: (bool, u128)|
     -> String {
        if let Some(p) = pins.get(&at) {
            return p.clone();
        }
        let i = ranges.partition_point(|(iv, _)| (iv.v6, iv.start) <= at);
        match i.checked_sub(1).map(|i| &ranges[i]) {
            Some((iv, who)) if iv.v6 == at.0 && iv.stop >= at.1 => who.clone(),
            _ => "free".to_owned(),
        }
    };
    let points: Vec<(bool, u128)> = points.into_iter().collect();
    let mut out: Vec<OwnerChange> = Vec::new();
    for (i, &(v6, start)) in points.iter().enumerate() {
        let stop = match points.get(i + 1) {
            Some(&(nv6, next)) if nv6 == v6 => next - 1,
            _ => continue, // past the last range: free in both
        };
        let before = holder(&old_pins, &old_ranges, (v6, start));
        let after = holder(&new_pins, &new_ranges, (v6, start));
        if before == after {
            continue;
        }
        match out.last_mut() {
            Some(last)
                if last.range.v6 == v6
                    && last.range.stop.checked_add(1) == Some(start)
                    && last.before == before
                    && last.after == after =>
            {
                last.range.stop = stop;
            }
            _ => out.push(OwnerChange {
                range: Interval { v6, start, stop },
                before,
                after,
            }),
        }
    }
    out
}

fn describe(i: &Item) -> String {
    let what = format!("{} {}", i.kind, i.name);
    let mut line = match (&i.before, &i.after) {
        (None, Some(a)) => format!("{what} added: {a}"),
        (Some(b), None) => format!("{what} removed (was {b})"),
        (Some(b), Some(a)) => format!("{what} {}: {b} → {a}", i.change),
        (None, None) => what,
    };
    if i.kind == "pool" && i.change != "added" && i.change != "removed" {
        if !i.given.is_empty() {
            let _ = write!(line, " (+{})", i.given);
        }
        if !i.taken.is_empty() {
            let _ = write!(line, " (−{})", i.taken);
        }
    }
    line
}

fn text(d: &Diff, base: &str) -> String {
    let mut out = format!("plan.toml against {base}\n");
    if d.is_empty() {
        out.push_str("no change to pools, pins, reserved ranges or the network\n");
        return out;
    }
    let mut groups: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
    for i in &d.items {
        let group = i
            .cluster
            .as_ref()
            .map_or_else(|| "network".to_owned(), |c| format!("cluster {c}"));
        groups.entry(group).or_default().push(i);
    }
    for (group, items) in &groups {
        let _ = writeln!(out, "\n{group}");
        for i in items {
            let _ = writeln!(out, "  {}", describe(i));
        }
    }
    if !d.owners.is_empty() {
        out.push_str("\naddresses changing owner\n");
        for o in &d.owners {
            let _ = writeln!(out, "  {}: {} → {}", o.range, o.before, o.after);
        }
    }
    if !d.warnings.is_empty() {
        out.push('\n');
    }
    for w in &d.warnings {
        let _ = writeln!(out, "warning: {}", w.message);
    }
    out
}

/// Markdown for a pull-request comment. Names in a checked plan are DNS
/// labels and addresses, so they need no escaping inside code spans.
fn markdown(d: &Diff, base: &str) -> String {
    let mut out = format!("### lbipam diff: `plan.toml` against {}\n\n", md(base));
    if d.is_empty() {
        out.push_str("No change to pools, pins, reserved ranges or the network.\n");
        return out;
    }
    if d.warnings.is_empty() {
        out.push_str("No change re-addresses a running Service.\n\n");
    } else {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> {} change(s) make Cilium re-address running Services:\n>",
            d.warnings.len()
        );
        for w in &d.warnings {
            let _ = writeln!(out, "> - {}", md(&w.message));
        }
        out.push('\n');
    }
    out.push_str("| cluster | what | change | before | after |\n| --- | --- | --- | --- | --- |\n");
    let code = |s: &Option<String>| {
        s.as_ref()
            .map_or_else(|| "—".to_owned(), |s| format!("`{s}`"))
    };
    for i in &d.items {
        let _ = writeln!(
            out,
            "| {} | {} `{}` | {} | {} | {} |",
            i.cluster.as_deref().unwrap_or("—"),
            i.kind,
            i.name,
            i.change,
            code(&i.before),
            code(&i.after)
        );
    }
    if !d.owners.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>Addresses changing owner ({})</summary>\n\n| addresses | before | after |\n| --- | --- | --- |",
            d.owners.len()
        );
        for o in &d.owners {
            let _ = writeln!(out, "| `{}` | {} | {} |", o.range, o.before, o.after);
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// Text outside a code span, with the characters Markdown would act on escaped.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn to_json(d: &Diff, base: &str) -> Value {
    let ranges = |r: &Ranges| -> Vec<String> { r.0.iter().map(ToString::to_string).collect() };
    json!({
        "base": base,
        "changes": d.items.iter().map(|i| json!({
            "cluster": i.cluster,
            "kind": i.kind,
            "name": i.name,
            "change": i.change,
            "before": i.before,
            "after": i.after,
            "taken": ranges(&i.taken),
            "given": ranges(&i.given),
        })).collect::<Vec<_>>(),
        "owners": d.owners.iter().map(|o| json!({
            "range": o.range.to_string(),
            "before": o.before,
            "after": o.after,
        })).collect::<Vec<_>>(),
        "warnings": d.warnings.iter().map(|w| json!({
            "cluster": w.cluster,
            "kind": w.kind,
            "message": w.message,
        })).collect::<Vec<_>>(),
        "re_addresses": !d.warnings.is_empty(),
    })
}
