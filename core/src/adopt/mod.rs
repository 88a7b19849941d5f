//! `lbipam init`: the plan of a repository that already runs Cilium LB-IPAM,
//! read from what its clusters apply with the model the audits use (the
//! [`Tree`] and the Flux resolver), so that the first build changes no address.
//!
//! The steps: find the Flux entries (`flux bootstrap`'s `flux-system`
//! Kustomization, whose `spec.path` is a cluster's directory), resolve what
//! each cluster applies, read its `CiliumLoadBalancerIPPool`s and the
//! Services and Gateways asking for a fixed address ([`found`]), guess the
//! `[layout]` from where they are, and write the plan ([`render`]) with
//! `take-over` naming the pool files. Then the plan is compiled and the build's
//! outputs computed on the repository, as the first `cargo build` will: a plan
//! the build would refuse (the take-over check included) is never written.

mod found;
mod layout;
mod render;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;

use crate::diag::Report;
use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::flux::kustomization::is_flux_kustomization;
use crate::flux::resolve::{is_yaml, resolve_cluster};
use crate::net::Interval;
use crate::plan::layout::PLAN_FILE;
use crate::tree::Tree;

/// A plan written from the repository, and how it was guessed.
#[derive(Clone, Debug)]
pub struct Adopted {
    /// plan.toml's text.
    pub plan: String,
    /// Each inference, with the file that made it (`cluster-dir = …: the Flux
    /// entry in kubernetes/clusters/a/flux-system/gotk-sync.yaml`).
    pub notes: Vec<String>,
}

/// A Flux entry: the `flux-system` Kustomization `flux bootstrap` writes, whose
/// `spec.path` is the cluster's own directory.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) dir: PathBuf,
    pub(crate) file: PathBuf,
    pub(crate) source: [String; 3],
}

/// The plan of the repository at `root` (see the module): every refusal at
/// once, nothing decided by guess where the plan could say something other
/// than what the clusters apply. `network` overrides the inferred one.
pub fn adopt(root: &Path, network: Option<IpNet>) -> Result<Adopted, Report> {
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
            Err(e) => errors.extend(e.into_iter().map(Error::from)),
        }
    }
    if !errors.is_empty() {
        return Err(refuse(errors));
    }
    let repo = found::read(&tree, &clusters, &builds).map_err(refuse)?;
    let mut notes = repo.notes.clone();
    let network = match network {
        Some(n) => n,
        None => {
            let n = covering(&repo.blocks()).map_err(|e| refuse(vec![e]))?;
            notes.insert(0, format!("network {n}: the smallest prefix covering every pool (choose another with --network CIDR)"));
            n
        }
    };
    let guess = layout::guess(&tree, &repo).map_err(refuse)?;
    notes.extend(guess.notes.iter().cloned());
    let plan = render::plan(&repo, network, &guess);
    verify(root, &plan)?;
    Ok(Adopted { plan, notes })
}

/// Every Flux entry of the repository (its YAML files outside hidden
/// directories and `target/`), in path order.
fn entries(tree: &Tree) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut dirs = vec![PathBuf::new()];
    while let Some(dir) = dirs.pop() {
        for e in tree.read_dir(&dir).into_iter().flatten() {
            let name = e.name.to_string_lossy();
            let rel = dir.join(&e.name);
            if e.is_dir
                && !name.starts_with('.')
                && !(dir.as_os_str().is_empty() && name == "target")
            {
                dirs.push(rel);
            } else if e.is_file && !e.is_symlink && is_yaml(&rel) {
                out.extend(entry_in(tree, &rel));
            }
        }
    }
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
    out
}

/// The Flux entries in one file.
fn entry_in(tree: &Tree, rel: &Path) -> Vec<Entry> {
    let Ok(text) = tree.read(rel) else {
        return Vec::new();
    };
    if !text.contains("flux-system") {
        return Vec::new();
    }
    let docs = tree.documents(rel, &text);
    docs.0
        .iter()
        .filter(|(_, v)| {
            is_flux_kustomization(v) && v["metadata"]["name"].as_str() == Some("flux-system")
        })
        .filter_map(|(_, v)| {
            let path = v["spec"]["path"].as_str()?;
            let dir = path.trim_start_matches("./").trim_end_matches('/');
            let namespace = v["metadata"]["namespace"].as_str().unwrap_or("flux-system");
            let src = &v["spec"]["sourceRef"];
            let text = |v: &yaml_serde::Value, or: &str| v.as_str().unwrap_or(or).to_owned();
            Some(Entry {
                dir: PathBuf::from(if dir.is_empty() { "." } else { dir }),
                file: rel.to_owned(),
                source: [
                    text(&src["kind"], "GitRepository"),
                    text(&src["name"], "flux-system"),
                    text(&src["namespace"], namespace),
                ],
            })
        })
        .collect()
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

/// The smallest prefix covering every block, widened while its network or
/// broadcast address (IPv4) would fall in one (the plan refuses a block
/// holding them).
fn covering(blocks: &[Interval]) -> Result<IpNet, Error> {
    let refuse = |message: String| Error::File {
        code: Code::InitRefused,
        path: PLAN_FILE.into(),
        line: 1,
        column: 1,
        message,
    };
    let Some(first) = blocks.first() else {
        return Err(refuse("no cluster applies a CiliumLoadBalancerIPPool, so there is nothing to take over: write plan.toml by hand (README, \"plan.toml\")".to_owned()));
    };
    if blocks.iter().any(|b| b.v6 != first.v6) {
        return Err(refuse("the pools hold IPv4 and IPv6 addresses, and a plan has one network: pass --network CIDR for the family to keep, or write plan.toml by hand".to_owned()));
    }
    let width: u32 = if first.v6 { 128 } else { 32 };
    let lo = blocks.iter().map(|b| b.start).min().unwrap_or(0);
    let hi = blocks.iter().map(|b| b.stop).max().unwrap_or(0);
    // The bits lo and hi share, of the family's width (IPv4 sits in the low 32).
    let mut len = (lo ^ hi).leading_zeros() - (128 - width);
    loop {
        let net = prefix(first.v6, lo, len as u8);
        let ends = crate::net::network_and_broadcast(net);
        let holds = |a: IpAddr| blocks.iter().any(|b| b.contains_addr(a));
        match ends {
            Some((n, b)) if len > 0 && (holds(n) || holds(b)) => len -= 1,
            _ => return Ok(net),
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
fn verify(root: &Path, text: &str) -> Result<(), Report> {
    let plan = crate::check::compile(text).map_err(|e| Report::new(PLAN_FILE, text, e))?;
    crate::generate::outputs(root, &plan)
        .map(|_| ())
        .map_err(|mut r| {
            r.plan_text = text.to_owned();
            r
        })
}
