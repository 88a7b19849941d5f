//! plan.toml's text for an adopted repository.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ipnet::IpNet;

use super::found::{Cluster, Repo};
use super::layout::Guess;
pub(crate) use super::toml_text::string;

/// Whether the pin's address lies in a pool of its cluster that selects
/// Services: only then do the Service's labels matter to the plan.
fn selected(c: &Cluster, pin: &super::found::Pin) -> bool {
    c.pools.iter().filter(|p| p.selector.is_some()).any(|p| {
        p.blocks
            .iter()
            .filter_map(|b| b.interval())
            .any(|iv| iv.contains_addr(pin.addr))
    })
}

/// A TOML key: bare when it can be.
pub(crate) fn key(s: &str) -> String {
    let bare = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare { s.to_owned() } else { string(s) }
}

/// The plan: the network, an empty `[reserved]`, each cluster's pools and
/// pins, the pinned Services, `[cilium]`, `[flux]` and `[layout]`.
pub(crate) fn plan(repo: &Repo, networks: &[IpNet], guess: &Guess) -> String {
    let mut out = String::new();
    out.push_str(
        "# The single source of truth for LoadBalancer IPs of every cluster, written by\n",
    );
    out.push_str(
        "# `lbipam init` from what the clusters apply. Edit it and run `cargo build` (or\n",
    );
    out.push_str(
        "# `lbipam build`): it checks the plan and rewrites the files that follow from it.\n\n",
    );
    network(&mut out, networks);
    let mut services = BTreeMap::new();
    for c in &repo.read {
        pools(&mut out, c);
        pins(&mut out, c, &mut services);
    }
    for (name, (service, labels)) in &services {
        let _ = writeln!(
            out,
            "[services.{}]\nservice = {}",
            key(name),
            string(service)
        );
        if let Some(labels) = labels {
            let _ = writeln!(out, "labels = {labels}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "[cilium]\napi-version = {}\n",
        string(&repo.api_version)
    );
    out.push_str("[flux]                                     # the Flux Kustomization that applies the pools\n");
    for (k, v) in &guess.flux {
        let _ = writeln!(out, "{k} = {v}");
    }
    out.push_str(
        "\n[layout]                                   # where things are (lbipam init's guesses)\n",
    );
    for (k, v) in &guess.layout {
        let _ = writeln!(out, "{k} = {v}");
    }
    out
}

/// `[network]`, and an empty `[reserved]` saying what belongs there.
fn network(out: &mut String, networks: &[IpNet]) {
    let cidrs: Vec<String> = networks.iter().map(|n| string(&n.to_string())).collect();
    let cidr = match cidrs.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    };
    let _ = writeln!(out, "[network]\ncidr = {cidr}\n");
    out.push_str(
        "# Addresses of the network no pool may take (routers, static hosts): init cannot\n",
    );
    out.push_str("# see them in the repository, so list them here, e.g.\n");
    out.push_str("# router = { range = \"192.168.1.1\", note = \"gateway\" }\n[reserved]\n\n");
}

/// A table per pool of cluster `c`.
fn pools(out: &mut String, c: &Cluster) {
    for p in &c.pools {
        let blocks: Vec<String> = p.blocks.iter().map(|b| string(&b.to_string())).collect();
        let _ = writeln!(
            out,
            "[clusters.{}.pools.{}]\nblocks = [{}]",
            key(&c.name),
            key(&p.name),
            blocks.join(", ")
        );
        if let Some(allow) = p.allow_first_last {
            let _ = writeln!(out, "allow-first-last-ips = {allow}");
        }
        if let Some(selector) = &p.selector {
            let _ = writeln!(out, "service-selector = {selector}");
        }
        out.push('\n');
    }
}

/// The pins of cluster `c`; each pin's Service (and labels a pool selects it
/// by) into `services`, or a comment when only its chart names it.
fn pins(out: &mut String, c: &Cluster, services: &mut BTreeMap<String, (String, Option<String>)>) {
    if c.pins.is_empty() {
        return;
    }
    let _ = writeln!(out, "[clusters.{}.pins]", key(&c.name));
    for pin in &c.pins {
        let _ = write!(
            out,
            "{} = {}",
            key(&pin.name),
            string(&pin.addr.to_string())
        );
        match (&pin.service, &pin.origin) {
            (Some(service), _) => {
                let labels = pin.labels.clone().filter(|_| selected(c, pin));
                services.insert(pin.name.clone(), (service.clone(), labels));
            }
            (None, Some(origin)) => {
                let origin: String = origin
                    .chars()
                    .map(|c| if c.is_control() { '?' } else { c })
                    .collect();
                let _ = write!(out, "  # {origin}: the chart names the Service");
            }
            (None, None) => {}
        }
        out.push('\n');
    }
    out.push('\n');
}
