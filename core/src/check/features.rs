//! The rules of pool selectors, pins naming their pool, advertisement and the
//! Cilium version.

use crate::diag::error::{Error, Subject, shown};
use crate::diag::rule::Rule;
use crate::net::Interval;
use crate::plan::selector::{label_key_error, label_value_error};
use crate::plan::{AdvertiseMode, ApiVersion, At, Cluster, Label, LabelSelector, Plan, Span, Str};

/// Every rule of this module.
pub(super) fn check(plan: &Plan, errors: &mut Vec<Error>) {
    for c in plan.clusters.iter() {
        for p in c.pools.iter() {
            if let Some(s) = &p.service_selector {
                selector(s, errors);
            }
        }
        pins(plan, c, errors);
        advertise(plan, c, errors);
    }
    for s in plan.services.iter() {
        labels(&s.labels, errors);
    }
    version(plan, errors);
}

fn rule(span: Span, rule: Rule, message: String) -> Error {
    Error::Rule {
        span,
        related: None,
        rule,
        message,
    }
}

fn bad(at: &At<Str>, what: Subject, reason: String) -> Error {
    Error::BadValue {
        span: at.span,
        what,
        value: at.item.to_string(),
        reason,
    }
}

fn labels(labels: &[Label], errors: &mut Vec<Error>) {
    for l in labels {
        key(&l.key, errors);
        if let Some(why) = label_value_error(&l.value.item) {
            errors.push(bad(
                &l.value,
                Subject::LabelValue,
                format!("a label value {why}"),
            ));
        }
    }
}

fn key(key: &At<Str>, errors: &mut Vec<Error>) {
    if let Some(why) = label_key_error(&key.item) {
        errors.push(bad(key, Subject::LabelKey, why));
    }
}

/// Label syntax, and values that fit each operator.
fn selector(s: &LabelSelector, errors: &mut Vec<Error>) {
    labels(&s.match_labels, errors);
    for e in s.match_expressions.iter() {
        key(&e.key, errors);
        let op = e.operator.item;
        if op.takes_values() && e.values.is_empty() {
            errors.push(rule(
                e.span,
                Rule::SelectorValues,
                format!(
                    "expression on `{}` with operator {} needs `values`: Kubernetes rejects an empty list",
                    shown(&e.key.item),
                    op.as_str()
                ),
            ));
        } else if !op.takes_values() && !e.values.is_empty() {
            errors.push(rule(
                e.span,
                Rule::SelectorValues,
                format!(
                    "expression on `{}` with operator {} must have no `values`",
                    shown(&e.key.item),
                    op.as_str()
                ),
            ));
        }
        for v in e.values.iter() {
            if let Some(why) = label_value_error(&v.item) {
                errors.push(bad(v, Subject::LabelValue, format!("a label value {why}")));
            }
        }
    }
}

/// A pin's `pool` is a pool of its cluster holding its address, and the pool
/// holding it selects its Service, when the plan knows the Service.
fn pins(plan: &Plan, c: &Cluster, errors: &mut Vec<Error>) {
    for pin in c.pins.iter() {
        let addr = pin.addr.item;
        if let Some(named) = &pin.pool {
            match c.pools.iter().find(|p| p.name.item == named.item) {
                None => errors.push(rule(
                    named.span,
                    Rule::PinPoolMismatch,
                    format!(
                        "pin {} ({}) names pool `{}`, which cluster {} does not have",
                        shown(&pin.service.item),
                        shown(&c.name.item),
                        shown(&named.item),
                        shown(&c.name.item)
                    ),
                )),
                Some(p) if !p.holds(addr) => errors.push(Error::Rule {
                    span: pin.addr.span,
                    related: Some((p.name.span, "the pool it names")),
                    rule: Rule::PinPoolMismatch,
                    message: format!(
                        "pin {} ({}) {addr} is not in pool {}, which it names",
                        shown(&pin.service.item),
                        shown(&c.name.item),
                        shown(&p.name.item)
                    ),
                }),
                Some(_) => {}
            }
        }
        let Some(pool) = c.pools.iter().find(|p| p.holds(addr)) else {
            continue;
        };
        let (Some(sel), Some(service)) = (&pool.service_selector, plan.service(&pin.service.item))
        else {
            continue;
        };
        let Some(labels) = service.selector_labels() else {
            continue;
        };
        if !sel.matches(&labels) {
            let svc = service.service.as_ref().map_or("", |s| &*s.item);
            errors.push(Error::Rule {
                span: pin.addr.span,
                related: Some((sel.span, "the pool's selector")),
                rule: Rule::PoolSelectorMismatch,
                message: format!(
                    "pin {} ({}) {addr} is in pool {}, whose service-selector cannot match Service {} (labels {}): Cilium would leave it pending (pool_selector_mismatch); pin an address of a pool that selects it, or give the Service the labels in [services.{}] labels",
                    shown(&pin.service.item),
                    shown(&c.name.item),
                    shown(&pool.name.item),
                    shown(svc),
                    shown(&describe(&labels)),
                    shown(&pin.service.item)
                ),
            });
        }
    }
}

fn describe(labels: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(", ")
}

/// The table of the cluster's mode is there and no other; the BGP peer is a
/// reserved address outside every pool; the L2 interfaces are regular
/// expressions and the cluster has no IPv6 block.
fn advertise(plan: &Plan, c: &Cluster, errors: &mut Vec<Error>) {
    let a = &c.advertise;
    let name = shown(&c.name.item);
    let mode = a.mode.item;
    let missing = |table: &str| {
        rule(
            a.mode.span,
            Rule::InvalidAdvertisement,
            format!(
                "cluster {name} has advertise = \"{}\" but no [clusters.{name}.{table}] table",
                mode.as_str()
            ),
        )
    };
    let stray = |table: &str, at: Span| {
        rule(
            at,
            Rule::InvalidAdvertisement,
            format!(
                "[clusters.{name}.{table}] is set, but cluster {name} has advertise = \"{}\"; set advertise = \"{table}\" or remove the table",
                mode.as_str()
            ),
        )
    };
    match (&a.bgp, mode) {
        (None, AdvertiseMode::Bgp) => errors.push(missing("bgp")),
        (Some(b), AdvertiseMode::Bgp) => bgp(plan, c, b, errors),
        (Some(b), _) => errors.push(stray("bgp", b.span)),
        (None, _) => {}
    }
    match (&a.l2, mode) {
        (None, AdvertiseMode::L2) => errors.push(missing("l2")),
        (Some(l), AdvertiseMode::L2) => l2(c, l, errors),
        (Some(l), _) => errors.push(stray("l2", l.span)),
        (None, _) => {}
    }
}

fn bgp(plan: &Plan, c: &Cluster, b: &crate::plan::Bgp, errors: &mut Vec<Error>) {
    labels(&b.advertise_labels, errors);
    if let Some(s) = &b.service_selector {
        selector(s, errors);
    }
    let peer = b.peer_address.item;
    let reserved = plan.reserved.iter().any(|r| {
        r.range
            .item
            .interval()
            .is_some_and(|iv| iv.contains_addr(peer))
    });
    let pool = plan
        .clusters
        .iter()
        .find_map(|o| Some((o, o.pools.iter().find(|p| p.holds(peer))?)));
    let why = match pool {
        Some((o, p)) => Some(format!(
            "it is in pool {} ({}), so Cilium could hand the router's address to a Service",
            shown(&p.name.item),
            shown(&o.name.item)
        )),
        None if !reserved => {
            Some("it is in no [reserved] range; reserve it so that no pool can take it".to_owned())
        }
        None => None,
    };
    if let Some(why) = why {
        errors.push(rule(
            b.peer_address.span,
            Rule::BgpPeerNotReserved,
            format!(
                "BGP peer {peer} of cluster {} must be a reserved address outside every pool: {why}",
                shown(&c.name.item)
            ),
        ));
    }
}

fn l2(c: &Cluster, l: &crate::plan::L2, errors: &mut Vec<Error>) {
    for i in l.interfaces.iter() {
        if let Err(e) = regex_syntax::Parser::new().parse(&i.item) {
            let why = e.to_string();
            let last = why.lines().last().unwrap_or("").trim();
            errors.push(bad(
                i,
                Subject::InterfaceRegex,
                format!(
                    "not a regular expression ({})",
                    last.trim_start_matches("error: ")
                ),
            ));
        }
    }
    for s in [&l.node_selector, &l.service_selector]
        .into_iter()
        .flatten()
    {
        selector(s, errors);
    }
    for p in c.pools.iter() {
        for b in p.blocks.iter() {
            if b.item.interval().is_some_and(|iv: Interval| iv.v6) {
                errors.push(rule(
                    b.span,
                    Rule::L2Ipv6,
                    format!(
                        "pool {} ({}) has IPv6 block `{}`, but cluster {} has advertise = \"l2\": Cilium's L2 announcements answer ARP (IPv4) only, so the address would never be reachable; advertise the cluster over BGP or keep IPv6 out of its pools",
                        shown(&p.name.item),
                        shown(&c.name.item),
                        b.item,
                        shown(&c.name.item)
                    ),
                ));
            }
        }
    }
}

/// Settings the configured Cilium version does not have or no longer serves.
fn version(plan: &Plan, errors: &mut Vec<Error>) {
    let cilium = &plan.cilium;
    let v = cilium.version.item;
    if cilium.api_version.item == ApiVersion::V2Alpha1 && v.at_least(20) {
        // The default API version has no span; point at the version then.
        let span = if cilium.api_version.span == Span::default() {
            cilium.version.span
        } else {
            cilium.api_version.span
        };
        errors.push(rule(
            span,
            Rule::CiliumVersion,
            format!(
                "Cilium {v} no longer serves CiliumLoadBalancerIPPool as cilium.io/v2alpha1: set [cilium] api-version = \"cilium.io/v2\""
            ),
        ));
    }
    if cilium.protocol_differentiation.item && !v.at_least(17) {
        errors.push(rule(
            cilium.protocol_differentiation.span,
            Rule::CiliumVersion,
            format!(
                "load-balancer-protocol-differentiation needs Cilium 1.17 or later; [cilium] version is {v}"
            ),
        ));
    }
}
