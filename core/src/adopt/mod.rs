//! `lbipam init`: the plan of a repository that already runs Cilium LB-IPAM,
//! read from what its clusters apply with the model the audits use (the
//! [`Tree`] and the Flux resolver), so that the first build changes no address.
//!
//! The steps: find the Flux entries (`flux bootstrap`'s `flux-system`
//! Kustomization, whose `spec.path` is a cluster's directory), resolve what
//! each cluster applies, read its `CiliumLoadBalancerIPPool`s and the
//! Services and Gateways asking for a fixed address (`found`), guess the
//! `[layout]` from where they are, and write the plan (`render`) with
//! `take-over` naming the pool files. Then the plan is compiled and the build's
//! outputs computed on the repository, as the first `cargo build` will: a plan
//! the build would refuse (the take-over check included) is never written.

mod entry;
mod found;
mod layout;
mod render;
mod toml_text;

use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;

use crate::diag::Report;
use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::flux::entry::resolve_cluster;
use crate::net::Interval;
use crate::plan::layout::PLAN_FILE;
use crate::tree::Tree;
use entry::{Entry, entries};

/// A plan written from the repository, and how it was guessed.
#[derive(Clone, Debug)]
pub struct Adopted {
    /// plan.toml's text.
    pub plan: String,
    /// Each inference, with the file that made it (`cluster-dir = …: the Flux
    /// entry in kubernetes/clusters/a/flux-system/gotk-sync.yaml`).
    pub notes: Vec<String>,
}

/// The plan of the repository at `root` (see the module): every refusal at
/// once, nothing decided by guess where the plan could say something other
/// than what the clusters apply. `networks`, when not empty, replace the
/// inferred ones.
///
/// ```no_run
/// let adopted = lbipam_core::adopt::adopt(std::path::Path::new("."), &[])
///     .unwrap_or_else(|report| panic!("{}", report.render_all()));
/// adopted.notes.iter().for_each(|n| eprintln!("inferred: {n}"));
/// std::fs::write("plan.toml", adopted.plan).expect("written");
/// ```
pub fn adopt(root: &Path, networks: &[IpNet]) -> Result<Adopted, Report> {
    let tree = Tree::disk(root);
    let refuse = |errors: Vec<Error>| Report::new(PLAN_FILE, String::new(), errors);
    let entries = entries(&tree);
    let clusters = found::clusters(&entries).map_err(|e| refuse(vec![e]))?;
    let probe = probe_plan(&clusters, &entries[0]).map_err(refuse)?;
    let mut builds = Vec::new();
    let mut errors = Vec::new();
    for (name, _) in &clusters.names {
        match resolve_cluster(&tree, &probe, name) {
            Ok(b) => builds.push(b),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(refuse(errors));
    }
    let repo = found::read(&tree, &clusters, &builds).map_err(refuse)?;
    let mut notes = repo.notes.clone();
    let networks = if networks.is_empty() {
        let nets = self::networks(&repo.blocks()).map_err(|e| refuse(vec![e]))?;
        for (i, n) in nets.iter().enumerate() {
            let note = format!(
                "network {n}: the smallest prefix covering the pools on it (choose others with --network CIDR)"
            );
            notes.insert(i, note);
        }
        nets
    } else {
        networks.to_vec()
    };
    let guess = layout::guess(&tree, &repo).map_err(refuse)?;
    notes.extend(guess.notes.iter().cloned());
    let plan = render::plan(&repo, &networks, &guess);
    would_build(root, &plan)?;
    Ok(Adopted { plan, notes })
}

/// A plan that only says where the clusters' directories are and which source
/// is this repository: what the resolver needs to read them.
fn probe_plan(clusters: &found::Clusters, entry: &Entry) -> Result<crate::plan::Plan, Vec<Error>> {
    let mut text = String::from("[network]\ncidr = \"10.0.0.0/8\"\n");
    for (name, _) in &clusters.names {
        text.push_str(&format!(
            "[clusters.{}.pools.p]\nblocks = [\"10.0.0.1\"]\n",
            render::key(name)
        ));
    }
    let [kind, name, namespace] = &entry.source;
    text.push_str(&format!(
        "[flux]\nsource = {{ kind = {}, name = {}, namespace = {} }}\n[layout]\ncluster-dir = {}\n",
        render::string(kind),
        render::string(name),
        render::string(namespace),
        render::string(&clusters.template)
    ));
    crate::plan::parse(&text)
}

/// The networks the blocks lie in: per family, the blocks in address order
/// grouped while one subnet of at most [`widest`] prefix bits holds them, each
/// group's network the smallest prefix covering it ([`covering`]). Pools on
/// two subnets give two networks; IPv4 and IPv6 blocks give one of each.
fn networks(blocks: &[Interval]) -> Result<Vec<IpNet>, Error> {
    if blocks.is_empty() {
        let message = "no cluster applies a CiliumLoadBalancerIPPool, so there is nothing to take over: write plan.toml by hand (manual/plan.md)";
        return Err(Error::file(Code::InitRefused, PLAN_FILE, 1, 1, message));
    }
    let mut sorted = blocks.to_vec();
    sorted.sort();
    let mut groups: Vec<Vec<Interval>> = Vec::new();
    for b in sorted {
        let joins = groups.last().is_some_and(|g| {
            g[0].v6 == b.v6 && shared_bits(g[0].start, b.stop, b.v6) >= widest(b.v6)
        });
        match groups.last_mut() {
            Some(g) if joins => g.push(b),
            _ => groups.push(vec![b]),
        }
    }
    // Widening past a network or broadcast address can make two networks
    // meet; such groups are one.
    let mut i = 1;
    while i < groups.len() {
        let (a, b) = (covering(&groups[i - 1]), covering(&groups[i]));
        if a.contains(&b) || b.contains(&a) {
            let next = groups.remove(i);
            groups[i - 1].extend(next);
            i = i.saturating_sub(1).max(1);
        } else {
            i += 1;
        }
    }
    Ok(groups.iter().map(|g| covering(g)).collect())
}

/// The widest subnet init infers for a group of blocks: a /24 for IPv4, a
/// /64 for IPv6, the subnets a shared L2 network usually has.
fn widest(v6: bool) -> u32 {
    if v6 { 64 } else { 24 }
}

/// How many leading bits two addresses of a family share.
fn shared_bits(a: u128, b: u128, v6: bool) -> u32 {
    let width: u32 = if v6 { 128 } else { 32 };
    ((a ^ b).leading_zeros() - (128 - width)).min(width)
}

/// The smallest prefix covering `blocks` (one family, address order), widened
/// while its network or broadcast address (IPv4) would fall in one (the plan
/// refuses a block holding them).
fn covering(blocks: &[Interval]) -> IpNet {
    let v6 = blocks[0].v6;
    let lo = blocks.iter().map(|b| b.start).min().unwrap_or(0);
    let hi = blocks.iter().map(|b| b.stop).max().unwrap_or(0);
    let mut len = shared_bits(lo, hi, v6);
    loop {
        let net = prefix(v6, lo, len as u8);
        let ends = crate::net::network_and_broadcast(net);
        let holds = |a: IpAddr| blocks.iter().any(|b| b.contains_addr(a));
        match ends {
            Some((n, b)) if len > 0 && (holds(n) || holds(b)) => len -= 1,
            _ => return net,
        }
    }
}

/// The network of `len` bits holding the address `addr_bits` of a family.
fn prefix(v6: bool, addr_bits: u128, len: u8) -> IpNet {
    let addr = crate::net::addr(v6, addr_bits);
    IpNet::new(addr, len).map_or_else(|_| IpNet::from(addr), |n| n.trunc())
}

/// Compiles the plan and computes the build's outputs on the repository: the
/// report of what the build would refuse, with the plan as its source.
fn would_build(root: &Path, text: &str) -> Result<(), Report> {
    let plan = crate::check::compile(text).map_err(|e| Report::new(PLAN_FILE, text, e))?;
    crate::generate::outputs(root, &plan)
        .map(|_| ())
        .map_err(|mut r| {
            r.plan_text = text.into();
            r
        })
}
