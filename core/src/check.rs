//! Validation of a plan: every error at once, each with the span of the value at fault.
//!
//! Ranges are checked by sort-and-sweep (O(n log n)), never pairwise, so a plan with
//! a hundred thousand blocks is checked as fast as it is parsed.

use crate::net::{Interval, Sweep, has_host_bits};
use crate::plan::{At, Block, Plan, Span, Str, parse_lenient};

use crate::diag::error::{Error, Subject};

mod features;

/// Parses and checks plan.toml's text: the plan, or every error in it.
pub fn compile(text: &str) -> Result<Plan, Vec<Error>> {
    let (plan, mut errors) = parse_lenient(text);
    if let Some(plan) = &plan {
        errors.extend(check(plan));
    }
    match plan {
        Some(plan) if errors.is_empty() => Ok(plan),
        _ => Err(errors),
    }
}

/// Checks what the values of a parsed plan mean together. Returns every problem.
pub fn check(plan: &Plan) -> Vec<Error> {
    let mut errors = Vec::new();
    check_names(plan, &mut errors);
    let (ranges, intact) = check_ranges(plan, &mut errors);
    check_pins(plan, &ranges, &intact, &mut errors);
    check_services(plan, &mut errors);
    check_cilium(plan, &mut errors);
    features::check(plan, &mut errors);
    errors.extend(plan.layout.problems(plan.clusters.len()));
    errors.extend(plan.layout.collisions(&plan.clusters));
    errors.extend(source_problems(plan));
    errors.extend(setting_problems(plan));
    errors
}

/// `[flux] source` must be a kind of source Flux builds a path from.
/// A `setting` needs a settings ConfigMap to be written into: with
/// `[layout] settings-name = ""` it would be dropped silently.
fn setting_problems(plan: &Plan) -> Vec<Error> {
    if plan.layout.settings_name().is_some() {
        return Vec::new();
    }
    plan.services
        .iter()
        .filter_map(|s| s.setting.as_ref())
        .map(|setting| Error::BadValue {
            span: setting.span,
            what: Subject::SettingKey,
            value: setting.item.to_string(),
            reason: "[layout] settings-name is \"\", so there is no settings ConfigMap to write it into; remove the setting or name the ConfigMap".to_owned(),
        })
        .collect()
}

fn source_problems(plan: &Plan) -> Vec<Error> {
    let kind = &plan.flux.source.kind;
    if ["GitRepository", "OCIRepository"].contains(&&*kind.item) {
        return Vec::new();
    }
    vec![Error::BadValue {
        span: kind.span,
        what: Subject::FluxSourceKind,
        value: kind.item.to_string(),
        reason: "must be GitRepository or OCIRepository".to_owned(),
    }]
}

/// How to keep a block holding the network's network or broadcast address from
/// handing it out: the pool's `allow-first-last-ips` decides, for `cidr:` blocks only.
fn block_fix(block: &crate::net::Block) -> crate::diag::error::EdgeFix {
    match block {
        crate::net::Block::Cidr(_) => crate::diag::error::EdgeFix::CidrBlock,
        crate::net::Block::Range { .. } => crate::diag::error::EdgeFix::Range,
    }
}

/// What Cilium will do with the pools: no network or broadcast address in a
/// pool or pin, no pin on an address Cilium withholds, and with `reserve-pins`
/// every pin knows the Service its own pool selects.
fn check_cilium(plan: &Plan, errors: &mut Vec<Error>) {
    check_network_edges(plan, errors);
    for c in plan.clusters.iter() {
        for pin in c.pins.iter() {
            check_pin_allocatable(c, pin, errors);
            let service = plan.service(&pin.service.item);
            if plan.cilium.reserve_pins.item && service.is_none_or(|s| s.service.is_none()) {
                errors.push(Error::PinWithoutService {
                    span: pin.addr.span,
                    pin: pin.service.item.to_string(),
                    cluster: c.name.item.to_string(),
                });
            }
        }
    }
    for s in plan.services.iter() {
        if let Some(svc) = &s.service
            && let Some(reason) = service_ref_error(&svc.item)
        {
            errors.push(Error::BadValue {
                span: svc.span,
                what: Subject::ServiceRef,
                value: svc.item.to_string(),
                reason: reason.to_owned(),
            });
        }
    }
}

/// Every block and pin holding its network's network or broadcast address,
/// which Cilium would hand out.
fn check_network_edges(plan: &Plan, errors: &mut Vec<Error>) {
    // Outside every network is reported already; the edges matter inside one,
    // each network's own. `what` and `value` name the range, made only for an error.
    let mut edge = |span: Span, what: &dyn Fn() -> (String, String), iv: Interval, fix| {
        let Some(network) = plan.network_of(&iv) else {
            return;
        };
        let Some((first, last)) = crate::net::network_and_broadcast(network.item.trunc()) else {
            return;
        };
        for (addr, which) in [(first, "network"), (last, "broadcast")] {
            if iv.contains_addr(addr) {
                let (what, value) = what();
                errors.push(Error::NetworkOrBroadcast {
                    span,
                    what,
                    value,
                    addr,
                    which,
                    network: network.item.trunc().to_string(),
                    fix,
                });
            }
        }
    };
    for c in plan.clusters.iter() {
        for p in c.pools.iter() {
            for b in p.blocks.iter() {
                // A CIDR block's ends that Cilium withholds are never handed out,
                // and the network's ends can only be a block's ends.
                if p.edges_withheld(&b.item) {
                    continue;
                }
                if let Some(iv) = b.item.interval() {
                    let what = || {
                        let what = format!("block of {} ({})", p.name.item, c.name.item);
                        (what, b.item.to_string())
                    };
                    edge(b.span, &what, iv, block_fix(&b.item));
                }
            }
        }
        for pin in c.pins.iter() {
            let addr = pin.addr.item;
            let what = || {
                let what = format!("pin {} ({})", pin.service.item, c.name.item);
                (what, addr.to_string())
            };
            let fix = crate::diag::error::EdgeFix::Pin;
            edge(pin.addr.span, &what, Interval::of_addr(addr), fix);
        }
    }
}

/// A pin on the first or last address of a `cidr:` block that Cilium withholds.
fn check_pin_allocatable(
    c: &crate::plan::Cluster,
    pin: &crate::plan::Pin,
    errors: &mut Vec<Error>,
) {
    let addr = pin.addr.item;
    for p in c.pools.iter() {
        for b in p.blocks.iter().filter(|b| p.edges_withheld(&b.item)) {
            let Some(iv) = b.item.interval() else {
                continue;
            };
            let edge = if iv.first() == addr {
                "first"
            } else if iv.last() == addr {
                "last"
            } else {
                continue;
            };
            errors.push(Error::PinNotAllocatable {
                span: pin.addr.span,
                other_span: b.span,
                pin: format!("{} ({})", pin.service.item, c.name.item),
                addr,
                edge,
                block: b.item.to_string(),
                pool: format!("{} ({})", p.name.item, c.name.item),
            });
        }
    }
}

/// Why a `service` value is not `NAMESPACE/NAME` of a Kubernetes Service, if
/// it is not: a namespace is a DNS-1123 label, a Service name a DNS-1035 label
/// (it starts with a letter).
pub(crate) fn service_ref_error(s: &str) -> Option<&'static str> {
    let Some((namespace, name)) = s.split_once('/') else {
        return Some("expected NAMESPACE/NAME, e.g. kube-system/clustermesh-apiserver");
    };
    if dns1123_label_error(namespace).is_some() {
        return Some("the namespace is not a DNS-1123 label");
    }
    if dns1123_label_error(name).is_some() || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some(
            "the Service name is not a DNS-1035 label (lowercase letters, digits, '-', starting with a letter)",
        );
    }
    None
}

/// Why a name is not a DNS-1123 label (`[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most
/// 63 characters), or `None` if it is one. The characters are judged before the
/// length: a label is ASCII, so a name of 32 `é` is wrong for its letters, and
/// once the letters are right, bytes and characters are the same count.
pub(crate) fn dns1123_label_error(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Some("only lowercase letters a-z, digits and '-' are allowed")
    } else if name.len() > 63 {
        Some("it is longer than 63 characters")
    } else if name.starts_with('-') || name.ends_with('-') {
        Some("it must start and end with a letter or digit")
    } else {
        None
    }
}

fn check_names(plan: &Plan, errors: &mut Vec<Error>) {
    let mut name = |what: Subject, at: &crate::plan::At<crate::plan::Str>| {
        if let Some(reason) = dns1123_label_error(&at.item) {
            errors.push(Error::BadName {
                span: at.span,
                what,
                name: at.item.to_string(),
                reason,
            });
        }
    };
    for r in plan.reserved.iter() {
        name(Subject::ReservedRange, &r.name);
    }
    for c in plan.clusters.iter() {
        name(Subject::Cluster, &c.name);
        for p in c.pools.iter() {
            name(Subject::Pool, &p.name);
        }
        for p in c.pins.iter() {
            name(Subject::Pin, &p.service);
        }
    }
    for s in plan.services.iter() {
        name(Subject::Service, &s.name);
    }
    for c in plan.clusters.iter() {
        if c.pools.is_empty() {
            errors.push(Error::NoPools {
                span: c.name.span,
                cluster: c.name.item.to_string(),
            });
        }
        for p in c.pools.iter().filter(|p| p.blocks.is_empty()) {
            errors.push(Error::NoBlocks {
                span: p.name.span,
                pool: p.name.item.to_string(),
                cluster: c.name.item.to_string(),
            });
        }
    }
}

/// Who holds a range, as an index into the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Claim {
    Reserved(usize),
    Pool { cluster: usize, pool: usize },
}

impl Claim {
    fn name(self, plan: &Plan) -> String {
        match self {
            Claim::Reserved(i) => format!("reserved range {}", plan.reserved[i].name.item),
            Claim::Pool { cluster, pool } => {
                let c = &plan.clusters[cluster];
                format!("{} ({})", c.pools[pool].name.item, c.name.item)
            }
        }
    }
}

/// A well-formed range, ready for the sweep.
#[derive(Clone, Copy, Debug)]
struct Range {
    iv: Interval,
    holder: Claim,
    span: Span,
}

/// Checks each block and reserved range alone, then all of them against each other.
/// Returns the well-formed ones sorted by address, for the pin checks, and per
/// cluster whether it has pools and all are well-formed: a cluster without pools,
/// or with a broken or empty one, cannot say which addresses it holds, and judging
/// its pins would only repeat the problem already reported.
fn check_ranges(plan: &Plan, errors: &mut Vec<Error>) -> (Vec<Range>, Vec<bool>) {
    let mut intact: Vec<bool> = plan
        .clusters
        .iter()
        .map(|c| !c.pools.is_empty() && c.pools.iter().all(|p| !p.blocks.is_empty()))
        .collect();
    check_networks(plan, errors);
    let net_str = plan.networks_text(None);
    let mut ranges = Vec::new();
    for (holder, block) in claims(plan) {
        match block_interval(block, &net_str) {
            Ok(iv) => {
                if plan.network_of(&iv).is_none() {
                    let value = || block.item.to_string();
                    errors.push(outside(plan, iv, block.span, &value, || match holder {
                        Claim::Reserved(_) => holder.name(plan),
                        Claim::Pool { .. } => format!("block of {}", holder.name(plan)),
                    }));
                }
                ranges.push(Range {
                    iv,
                    holder,
                    span: block.span,
                });
            }
            Err(e) => {
                if let Claim::Pool { cluster, .. } = holder {
                    intact[cluster] = false;
                }
                errors.push(e);
            }
        }
    }
    overlaps(plan, &mut ranges, errors);
    (ranges, intact)
}

/// Every range the plan claims: the reserved ranges, then each pool's blocks.
fn claims(plan: &Plan) -> impl Iterator<Item = (Claim, &At<Block>)> {
    let reserved = plan
        .reserved
        .iter()
        .enumerate()
        .map(|(i, r)| (Claim::Reserved(i), &r.range));
    let blocks = plan.clusters.iter().enumerate().flat_map(|(ci, c)| {
        c.pools.iter().enumerate().flat_map(move |(pi, p)| {
            let holder = Claim::Pool {
                cluster: ci,
                pool: pi,
            };
            p.blocks.iter().map(move |b| (holder, b))
        })
    });
    reserved.chain(blocks)
}

/// The interval of a well-formed block, or why it is none: its ends of two
/// families, a start after its stop, a CIDR with host bits. Only an error
/// names the block: a valid fleet plan has 100,000.
fn block_interval(block: &At<Block>, networks: &str) -> Result<Interval, Error> {
    let (span, value) = (block.span, || block.item.to_string());
    let Some(iv) = block.item.interval() else {
        return Err(match block.item {
            Block::Range { start, stop } if start.is_ipv4() != stop.is_ipv4() => {
                Error::MixedFamily {
                    span,
                    value: value(),
                    network: networks.to_owned(),
                }
            }
            _ => Error::StartAfterStop {
                span,
                value: value(),
            },
        });
    };
    match block.item {
        Block::Cidr(net) if has_host_bits(net) => Err(Error::HostBits {
            span,
            value: value(),
            network: net.trunc().to_string(),
        }),
        _ => Ok(iv),
    }
}

/// Every range that overlaps one before it, sorted in place (stable: among
/// equal ranges the first written is the one overlapped).
fn overlaps(plan: &Plan, ranges: &mut [Range], errors: &mut Vec<Error>) {
    ranges.sort_by_key(|r| r.iv);
    let mut sweep = Sweep::new();
    for (i, r) in ranges.iter().enumerate() {
        if let Some((j, at)) = sweep.step(i, r.iv) {
            let other = &ranges[j];
            errors.push(Error::Overlap {
                span: r.span,
                other_span: other.span,
                owner: r.holder.name(plan),
                range: r.iv.to_string(),
                other: other.holder.name(plan),
                at: at.to_string(),
            });
        }
    }
}

/// A range or pin in no network: of a family no network has (mixed), or
/// outside every network of its family.
fn outside(
    plan: &Plan,
    iv: Interval,
    span: Span,
    value: &dyn Fn() -> String,
    what: impl FnOnce() -> String,
) -> Error {
    let same_family = plan.networks_text(Some(iv.v6));
    if same_family.is_empty() {
        Error::MixedFamily {
            span,
            value: value(),
            network: plan.networks_text(None),
        }
    } else {
        Error::OutsideNetwork {
            span,
            what: what(),
            value: value(),
            network: same_family,
        }
    }
}

/// Each network alone (no host bits) and the networks against each other: two
/// that share addresses would let a block be judged by either's edges.
fn check_networks(plan: &Plan, errors: &mut Vec<Error>) {
    let mut nets: Vec<(Interval, &crate::plan::At<ipnet::IpNet>)> = Vec::new();
    for n in plan.networks.iter() {
        if has_host_bits(n.item) {
            errors.push(Error::HostBits {
                span: n.span,
                value: n.item.to_string(),
                network: n.item.trunc().to_string(),
            });
        }
        nets.push((Interval::of_net(n.item), n));
    }
    nets.sort_by_key(|(iv, n)| (*iv, n.span.start));
    let mut sweep = Sweep::new();
    for (i, (iv, n)) in nets.iter().enumerate() {
        if let Some((j, at)) = sweep.step(i, *iv) {
            let (_, other) = nets[j];
            errors.push(Error::Overlap {
                span: n.span,
                other_span: other.span,
                owner: format!("network {}", n.item.trunc()),
                range: iv.to_string(),
                other: format!("network {}", other.item.trunc()),
                at: at.to_string(),
            });
        }
    }
}

/// Intervals sorted by start that may overlap, asked "which one holds this
/// address?" in O(log n): only the interval reaching furthest among those that
/// start at or before the address can hold it if any does.
struct Cover<T> {
    items: Vec<(Interval, T)>,
    /// `reach[i]`: the index of the interval reaching furthest among `items[..=i]`.
    reach: Vec<usize>,
}

impl<T: Copy> Cover<T> {
    /// `items` must be sorted by interval.
    fn new(items: Vec<(Interval, T)>) -> Cover<T> {
        let mut reach: Vec<usize> = Vec::with_capacity(items.len());
        for (i, (iv, _)) in items.iter().enumerate() {
            let best = match reach.last() {
                Some(&b) if (items[b].0.v6, items[b].0.stop) >= (iv.v6, iv.stop) => b,
                _ => i,
            };
            reach.push(best);
        }
        Cover { items, reach }
    }

    /// An interval that holds all of `iv`, if any.
    fn holder(&self, iv: &Interval) -> Option<T> {
        let after = self
            .items
            .partition_point(|(r, _)| (r.v6, r.start) <= (iv.v6, iv.start));
        let (r, t) = self.items[self.reach[after.checked_sub(1)?]];
        r.contains(iv).then_some(t)
    }
}

fn check_pins(plan: &Plan, ranges: &[Range], intact: &[bool], errors: &mut Vec<Error>) {
    let any_range = Cover::new(ranges.iter().map(|r| (r.iv, r.holder)).collect());
    let mut own_ranges = vec![Vec::new(); plan.clusters.len()];
    for r in ranges {
        if let Claim::Pool { cluster, .. } = r.holder {
            own_ranges[cluster].push((r.iv, ()));
        }
    }
    let own_ranges: Vec<Cover<()>> = own_ranges.into_iter().map(Cover::new).collect();
    let mut all = Vec::new();
    for (ci, c) in plan.clusters.iter().enumerate() {
        for pin in c.pins.iter() {
            let addr = pin.addr.item;
            let iv = Interval::of_addr(addr);
            all.push((iv, pin, c));
            if plan.network_of(&iv).is_none() {
                let value = || addr.to_string();
                errors.push(outside(plan, iv, pin.addr.span, &value, || {
                    format!("pin {} ({})", pin.service.item, c.name.item)
                }));
                continue;
            }
            // Ranges may still overlap here (that is reported above), so the pin
            // is judged against every range that holds it, not just the nearest.
            let own = own_ranges[ci].holder(&iv).is_some();
            let holder = if own { None } else { any_range.holder(&iv) };
            if !own && (holder.is_some() || intact[ci]) {
                errors.push(Error::PinOutsidePool {
                    span: pin.addr.span,
                    pin: pin.service.item.to_string(),
                    cluster: c.name.item.to_string(),
                    addr,
                    holder: holder.map(|h| h.name(plan)),
                });
            }
        }
    }
    all.sort_by_key(|(iv, pin, _)| (*iv, pin.addr.span));
    for pair in all.windows(2) {
        let [(a_iv, a, ac), (b_iv, b, bc)] = pair else {
            continue;
        };
        if a_iv == b_iv {
            errors.push(Error::DuplicatePin {
                span: b.addr.span,
                other_span: a.addr.span,
                addr: b.addr.item,
                pin: format!("{} ({})", b.service.item, bc.name.item),
                other: format!("{} ({})", a.service.item, ac.name.item),
            });
        }
    }
}

/// A ConfigMap key: `[-._a-zA-Z0-9]+`, at most 253 characters.
pub(crate) fn configmap_key_error(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        Some("it is empty")
    } else if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        // Before the length, as for labels: the count is then in characters.
        Some("only letters, digits, '-', '_' and '.' are allowed")
    } else if key.len() > 253 {
        Some("it is longer than 253 characters")
    } else if key == "." || key == ".." {
        Some("`.` and `..` are not allowed")
    } else {
        None
    }
}

/// A Kubernetes duration as Flux's CRDs accept it: `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`.
pub(crate) fn duration_error(s: &str) -> Option<&'static str> {
    let mut rest = s.as_bytes();
    if rest.is_empty() {
        return Some("it is empty");
    }
    while !rest.is_empty() {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Some("expected a number like 10m, 5m or 1h30m");
        }
        rest = &rest[digits..];
        if let Some(frac) = rest.strip_prefix(b".") {
            let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return Some("expected digits after the decimal point");
            }
            rest = &frac[n..];
        }
        let unit = [&b"ms"[..], b"s", b"m", b"h"]
            .into_iter()
            .find(|u| rest.starts_with(u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return Some("expected a unit: ms, s, m or h"),
        }
    }
    None
}

fn check_services(plan: &Plan, errors: &mut Vec<Error>) {
    let mut settings: Vec<&At<Str>> = Vec::new();
    let mut helm_paths: Vec<&At<Str>> = Vec::new();
    for s in plan.services.iter() {
        if let Some(setting) = &s.setting {
            check_setting(setting, &mut settings, errors);
        }
        if let Some(path) = &s.helm_service {
            check_helm_path(path, &mut helm_paths, errors);
        }
    }
    check_annotation(&plan.cilium.ip_annotation, errors);
    check_flux(plan, errors);
}

/// A pin's `setting`: a ConfigMap key the build does not write itself,
/// written by one Service (`seen`: the ones before it).
fn check_setting<'p>(setting: &'p At<Str>, seen: &mut Vec<&'p At<Str>>, errors: &mut Vec<Error>) {
    let bad = |reason: &str| Error::BadValue {
        span: setting.span,
        what: Subject::SettingKey,
        value: setting.item.to_string(),
        reason: reason.to_owned(),
    };
    if let Some(reason) = configmap_key_error(&setting.item) {
        errors.push(bad(reason));
    }
    let pool_keys = [
        "CILIUM_LB_POOL_START",
        "CILIUM_LB_POOL_END",
        "CILIUM_LB_POOL_BLOCKS",
    ];
    if pool_keys.contains(&&*setting.item) {
        errors.push(bad("this key is written from the cluster's pools"));
    }
    errors.extend(written_twice(setting, seen, "cluster-settings key"));
}

/// `value` if one of the values before it (`seen`) is the same: the `what`
/// two services write; else `value` joins them.
fn written_twice<'p>(
    value: &'p At<Str>,
    seen: &mut Vec<&'p At<Str>>,
    what: &'static str,
) -> Option<Error> {
    let Some(first) = seen.iter().find(|o| o.item == value.item) else {
        seen.push(value);
        return None;
    };
    Some(Error::DuplicateSetting {
        span: value.span,
        other_span: first.span,
        what,
        setting: value.item.to_string(),
    })
}

/// A pin's `helm-service`: dot-separated keys, annotated by one pin (`seen`:
/// the ones before it) — with two, the last would silently win.
fn check_helm_path<'p>(path: &'p At<Str>, seen: &mut Vec<&'p At<Str>>, errors: &mut Vec<Error>) {
    errors.extend(written_twice(path, seen, "Helm values path"));
    if path.item.split('.').any(str::is_empty) {
        errors.push(Error::BadValue {
            span: path.span,
            what: Subject::HelmValuesPath,
            value: path.item.to_string(),
            reason: "expected dot-separated keys like clustermesh.apiserver.service".to_owned(),
        });
    }
}

/// `[cilium] ip-annotation`: one annotation key.
fn check_annotation(annotation: &At<Str>, errors: &mut Vec<Error>) {
    let item = &annotation.item;
    if item.is_empty() || item.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.push(Error::BadValue {
            span: annotation.span,
            what: Subject::AnnotationKey,
            value: item.to_string(),
            reason: "expected an annotation key like lbipam.cilium.io/ips".to_owned(),
        });
    }
}

/// `[flux]`: durations, the namespace and each `depends-on` as Flux names them.
fn check_flux(plan: &Plan, errors: &mut Vec<Error>) {
    for d in [&plan.flux.interval, &plan.flux.timeout] {
        if let Some(reason) = duration_error(&d.item) {
            errors.push(Error::BadValue {
                span: d.span,
                what: Subject::Duration,
                value: d.item.to_string(),
                reason: reason.to_owned(),
            });
        }
    }
    let namespace = &plan.flux.namespace;
    if let Some(reason) = dns1123_label_error(&namespace.item) {
        errors.push(Error::BadName {
            span: namespace.span,
            what: Subject::FluxNamespace,
            name: namespace.item.to_string(),
            reason,
        });
    }
    for d in plan.flux.depends_on.iter() {
        let (ns, name) = crate::plan::dependency(&d.item);
        let bad_ns = ns
            .and_then(dns1123_label_error)
            .map(|r| (Subject::FluxNamespace, r));
        let bad_name = dns1123_label_error(name).map(|r| (Subject::FluxKustomization, r));
        if let Some((what, reason)) = bad_ns.or(bad_name) {
            errors.push(Error::BadName {
                span: d.span,
                what,
                name: d.item.to_string(),
                reason,
            });
        }
    }
}
