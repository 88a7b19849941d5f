//! The running fleet held against the plan: what each cluster's Services and
//! pools hold that plan.toml does not say, and how full each pool is.

use std::collections::HashMap;
use std::net::IpAddr;

use lbipam_core::cilium::{self, CiliumPool, Selector};
use lbipam_core::net::{Block, Interval, Size};
use lbipam_core::plan::{self, Cluster, Plan, Span};
use lbipam_core::usage;
use lbipam_core::usage::{AddressMap, Owner};

use super::Source;
use super::kube::{self, Item, Objects, Selects, Service};

pub(crate) use lbipam_core::diag::codes::Code;

/// The `[services.NAME] setting` through which a Gateway takes its address.
pub(crate) const GATEWAY_SETTING: &str = "CILIUM_GATEWAY_LB_IP";

/// Where a finding points.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Place {
    /// A byte offset in an input.
    Live { source: usize, offset: usize },
    /// A span of plan.toml (for what the cluster lacks).
    Plan(Span),
}

/// One way the live state differs from the plan.
#[derive(Clone, Debug)]
pub(crate) struct Drift {
    pub(crate) code: Code,
    pub(crate) cluster: String,
    /// `NAMESPACE/NAME` of a Service, or a pool's name.
    pub(crate) object: Option<String>,
    pub(crate) address: Option<IpAddr>,
    pub(crate) message: String,
    pub(crate) at: Place,
    /// A second place the finding concerns, and the words naming it: the
    /// message ends `; WORDS FILE:LINE:COL` (positions are found for all
    /// findings at once, when printing).
    pub(crate) also: Option<(String, Place)>,
}

/// How full a pool the plan gives a cluster is.
#[derive(Clone, Debug)]
pub(crate) struct PoolUsage {
    pub(crate) name: String,
    pub(crate) size: Size,
    pub(crate) used: u128,
    pub(crate) free: Size,
    /// Counted by Cilium (`cilium.io/IPsUsed`), else from the Services.
    pub(crate) by_cilium: bool,
}

/// An address a Service of the cluster holds outside the cluster's pools.
#[derive(Clone, Debug)]
pub(crate) struct Unaccounted {
    pub(crate) address: IpAddr,
    pub(crate) service: String,
    /// Who has it in the plan, in words.
    pub(crate) owner: String,
}

/// One cluster's report; `pools` and `unaccounted` are empty when not checked.
#[derive(Clone, Debug)]
pub(crate) struct ClusterUsage {
    pub(crate) cluster: String,
    pub(crate) checked: bool,
    pub(crate) pools: Vec<PoolUsage>,
    pub(crate) unaccounted: Vec<Unaccounted>,
}

/// Findings and usage of the fleet.
pub(crate) struct Outcome {
    pub(crate) findings: Vec<Drift>,
    pub(crate) clusters: Vec<ClusterUsage>,
}

/// Holds what each cluster holds (`live[i]` for the plan's cluster `i`, `None`
/// when nothing was read for it) against the plan; `sources` are the inputs,
/// for finding places inside them.
pub(crate) fn compare(plan: &Plan, live: &[Option<Objects>], sources: &[Source]) -> Outcome {
    let owners = AddressMap::new(plan);
    let mut findings = Vec::new();
    let mut clusters = Vec::new();
    // The first Service of the fleet holding each address, by cluster order.
    let mut first: HashMap<IpAddr, (usize, &Service)> = HashMap::new();
    for (ci, (cluster, objects)) in plan.clusters.iter().zip(live).enumerate() {
        let Some(objects) = objects else {
            findings.push(Drift {
                code: Code::NotChecked,
                cluster: cluster.name.item.to_string(),
                object: None,
                address: None,
                message: format!(
                    "cluster {} was not checked: no --from or --context gave its state",
                    cluster.name.item
                ),
                at: Place::Plan(cluster.name.span),
                also: None,
            });
            clusters.push(ClusterUsage {
                cluster: cluster.name.item.to_string(),
                checked: false,
                pools: Vec::new(),
                unaccounted: Vec::new(),
            });
            continue;
        };
        let mut check = Check {
            plan,
            cluster,
            sources,
            findings: &mut findings,
        };
        let held = check.services(objects, &owners, ci, &mut first);
        check.pins(objects, &held);
        check.gateway(objects);
        let expected = cilium::cilium_pools(plan, cluster);
        check.pools(objects, &expected);
        clusters.push(usage_of(plan, cluster, objects, &expected, &held, &owners));
    }
    Outcome { findings, clusters }
}

/// The checks of one cluster.
struct Check<'a, 'f> {
    plan: &'a Plan,
    cluster: &'a Cluster,
    sources: &'a [Source],
    findings: &'f mut Vec<Drift>,
}

/// Each address Services of the cluster hold, with the Services holding it.
type Held<'o> = HashMap<IpAddr, Vec<&'o Service>>;

impl<'a> Check<'a, '_> {
    fn name(&self) -> &'a str {
        &self.cluster.name.item
    }

    fn push(
        &mut self,
        code: Code,
        object: Option<String>,
        address: Option<IpAddr>,
        at: Place,
        message: String,
    ) {
        self.findings.push(Drift {
            code,
            cluster: self.name().to_owned(),
            object,
            address,
            message,
            at,
            also: None,
        });
    }

    /// A place in an object: `needle` after `anchor`, else the object's start.
    fn at(&self, item: &Item, anchor: &str, needle: &str) -> Place {
        let text = self
            .sources
            .get(item.source)
            .map_or("", |s| s.text.as_str());
        Place::Live {
            source: item.source,
            offset: kube::find_in(text, item.range.clone(), anchor, needle),
        }
    }

    /// Where an object is named.
    fn at_name(&self, item: &Item, name: &str) -> Place {
        let text = self
            .sources
            .get(item.source)
            .map_or("", |s| s.text.as_str());
        Place::Live {
            source: item.source,
            offset: kube::find_name(text, item.range.clone(), name),
        }
    }

    /// Where a Service holds `ip`, or where it is named.
    fn at_ip(&self, s: &Service, ip: Option<IpAddr>) -> Place {
        match ip {
            Some(ip) => self.at(&s.at, "ingress", &ip.to_string()),
            None => self.at_name(&s.at, &s.name),
        }
    }

    /// Addresses of LoadBalancer Services: in the cluster's pools, held by no
    /// other cluster; Services without one are pending.
    fn services<'o>(
        &mut self,
        objects: &'o Objects,
        owners: &AddressMap,
        ci: usize,
        first: &mut HashMap<IpAddr, (usize, &'o Service)>,
    ) -> Held<'o> {
        let mut held: Held = HashMap::new();
        for s in objects.services.iter().filter(|s| s.load_balancer) {
            if s.ips.is_empty() && s.cilium {
                self.pending(s);
            }
            for &ip in &s.ips {
                held.entry(ip).or_default().push(s);
                self.address(s, ip, owners);
                match first.get(&ip) {
                    None => {
                        first.insert(ip, (ci, s));
                    }
                    Some(&(other, o)) if other != ci => {
                        let at = self.at_ip(s, Some(ip));
                        let (o_id, o_cluster) = (o.id(), &self.plan.clusters[other].name.item);
                        let message = format!(
                            "{ip} is held by Service {} of cluster {} and by Service {o_id} of cluster {o_cluster}: two clusters answer for one address on the shared network",
                            s.id(),
                            self.name(),
                        );
                        self.push(Code::HeldInTwoClusters, Some(s.id()), Some(ip), at, message);
                        let also = self.at_ip(o, Some(ip));
                        if let Some(f) = self.findings.last_mut() {
                            f.also = Some((
                                format!("Service {o_id} of cluster {o_cluster} holds it at"),
                                also,
                            ));
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        held
    }

    fn pending(&mut self, s: &Service) {
        let asks = match s.requested.as_slice() {
            [] => String::new(),
            list => format!(" (it asks for {})", list.join(", ")),
        };
        let why = match &s.satisfied {
            Some(c) if c.status == "False" => {
                format!("Cilium says {}: {}", c.reason, c.message)
            }
            _ => format!(
                "no {} condition is False, so LB-IPAM has not said why",
                kube::SATISFIED
            ),
        };
        let at = match &s.satisfied {
            Some(c) if c.status == "False" => self.at(&s.at, "conditions", &c.reason),
            _ => self.at_ip(s, None),
        };
        let message = format!(
            "Service {} of cluster {} has no LoadBalancer IP{asks}: {why}",
            s.id(),
            self.name()
        );
        self.push(Code::Pending, Some(s.id()), None, at, message);
    }

    /// An address held by a Service: the cluster's, by the plan.
    fn address(&mut self, s: &Service, ip: IpAddr, owners: &AddressMap) {
        let (code, why) = match owners.owner(ip) {
            Some(Owner::Pool { cluster, .. }) if cluster == self.name() => return,
            Some(Owner::Pool { pool, cluster }) => (
                Code::OtherClusterPool,
                format!("plan.toml gives it to cluster {cluster} (pool {pool})"),
            ),
            Some(Owner::Reserved(name)) => (
                Code::OutsidePools,
                format!("it is in reserved range {name}, outside the cluster's pools"),
            ),
            None if plan_network_holds(self.plan, ip) => (
                Code::OutsidePools,
                "no pool or reserved range of plan.toml holds it".to_owned(),
            ),
            None => (
                Code::OutsidePools,
                format!("it is outside network {}", self.plan.networks_text(None)),
            ),
        };
        let message = format!(
            "Service {} of cluster {} holds {ip}, which is not in the cluster's pools ({}): {why}",
            s.id(),
            self.name(),
            pools_text(self.cluster)
        );
        let at = self.at_ip(s, Some(ip));
        self.push(code, Some(s.id()), Some(ip), at, message);
    }

    /// Each pin naming its Service holds its address, and no other Service does
    /// (one sharing it with the pinned Service by a common sharing key may).
    fn pins(&mut self, objects: &Objects, held: &Held) {
        for pin in self.cluster.pins.iter() {
            let Some((ns, name)) = cilium::pinned_service(self.plan, &pin.service.item) else {
                continue;
            };
            let addr = pin.addr.item;
            let pinned = objects
                .services
                .iter()
                .find(|s| s.namespace == ns && s.name == name);
            let id = format!("{ns}/{name}");
            let what = format!(
                "Service {id} of cluster {} is pinned to {addr} (pin {})",
                self.name(),
                pin.service.item
            );
            match pinned {
                None => {
                    let message = format!("{what}, but the cluster has no such Service");
                    self.push(
                        Code::PinNotHeld,
                        Some(id.clone()),
                        Some(addr),
                        Place::Plan(pin.addr.span),
                        message,
                    );
                }
                Some(s) if !s.ips.contains(&addr) => {
                    let holds = match s.ips.as_slice() {
                        [] => "no address".to_owned(),
                        ips => list(ips),
                    };
                    let at = self.at_ip(s, s.ips.first().copied());
                    self.push(
                        Code::PinNotHeld,
                        Some(id.clone()),
                        Some(addr),
                        at,
                        format!("{what}, but holds {holds}"),
                    );
                }
                Some(_) => {}
            }
            let key = pinned
                .filter(|s| s.ips.contains(&addr))
                .and_then(|s| s.sharing_key.as_ref());
            for other in held.get(&addr).into_iter().flatten() {
                let sharing = key.is_some() && other.sharing_key.as_ref() == key;
                if other.namespace == ns && other.name == name || sharing {
                    continue;
                }
                let message = format!(
                    "{addr}, pinned to Service {id} (pin {}), is held by Service {} of cluster {}",
                    pin.service.item,
                    other.id(),
                    self.name()
                );
                let at = self.at_ip(other, Some(addr));
                self.push(Code::PinTaken, Some(other.id()), Some(addr), at, message);
            }
        }
    }

    /// A pin reaching its Gateway through `CILIUM_GATEWAY_LB_IP` (and naming
    /// no Service, which [`Check::pins`] would check): some Gateway Service of
    /// the cluster holds it.
    fn gateway(&mut self, objects: &Objects) {
        for pin in self.cluster.pins.iter() {
            let Some(service) = self.plan.service(&pin.service.item) else {
                continue;
            };
            let by_setting = service
                .setting
                .as_ref()
                .is_some_and(|s| s.item == GATEWAY_SETTING);
            if !by_setting || service.service.is_some() {
                continue;
            }
            let addr = pin.addr.item;
            let gateways: Vec<&Service> = objects
                .services
                .iter()
                .filter(|s| s.gateway.is_some() || s.name.starts_with("cilium-gateway-"))
                .collect();
            if gateways.iter().any(|g| g.ips.contains(&addr)) {
                continue;
            }
            let renders = format!(
                "plan.toml renders {GATEWAY_SETTING} = {addr} in cluster-settings (pin {})",
                pin.service.item
            );
            if gateways.is_empty() {
                let message = format!(
                    "no Gateway Service of cluster {} (labelled {}) holds {addr}: {renders}",
                    self.name(),
                    kube::OWNING_GATEWAY
                );
                self.push(
                    Code::GatewayAddress,
                    None,
                    Some(addr),
                    Place::Plan(pin.addr.span),
                    message,
                );
            }
            for g in gateways {
                let holds = match g.ips.as_slice() {
                    [] => "no address".to_owned(),
                    ips => list(ips),
                };
                let message = format!(
                    "Gateway Service {} of cluster {} holds {holds}: {renders}",
                    g.id(),
                    self.name()
                );
                let at = self.at_ip(g, g.ips.first().copied());
                self.push(Code::GatewayAddress, Some(g.id()), Some(addr), at, message);
            }
        }
    }

    /// The cluster's pools are the ones the build writes for it, as written.
    fn pools(&mut self, objects: &Objects, expected: &[CiliumPool]) {
        for want in expected {
            match objects.pools.iter().find(|p| p.name == want.name) {
                None => {
                    let span = self.plan_span(want);
                    let message = format!(
                        "cluster {} has no CiliumLoadBalancerIPPool {}; plan.toml gives it {}",
                        self.name(),
                        want.name,
                        blocks_text(&want.blocks)
                    );
                    self.push(
                        Code::PoolMissing,
                        Some(want.name.clone()),
                        None,
                        Place::Plan(span),
                        message,
                    );
                }
                Some(live) => self.pool(live, want),
            }
        }
        for live in &objects.pools {
            if expected.iter().any(|w| w.name == live.name) {
                continue;
            }
            let message = format!(
                "cluster {} has CiliumLoadBalancerIPPool {} ({}), which plan.toml does not have",
                self.name(),
                live.name,
                live_blocks_text(live)
            );
            let at = self.at_name(&live.at, &live.name);
            self.push(Code::PoolExtra, Some(live.name.clone()), None, at, message);
        }
    }

    /// A pool the cluster runs held against the plan's: what it hands out,
    /// what it selects, and whether Cilium hands out from it at all.
    fn pool(&mut self, live: &kube::Pool, want: &CiliumPool) {
        self.pool_blocks(live, want);
        let want_selects = match &want.selector {
            Selector::All => Selects::All,
            Selector::Plan(sel) => plan_selects(sel),
            Selector::Service { namespace, name } => Selects::Labels(
                [
                    (cilium::NAMESPACE_LABEL.to_owned(), namespace.clone()),
                    (cilium::NAME_LABEL.to_owned(), name.clone()),
                ]
                .into(),
            ),
        };
        let pool = format!("pool {} of cluster {}", live.name, self.name());
        if live.selects != want_selects {
            let message = format!(
                "{pool} selects {}; plan.toml's selects {}",
                live.selects.describe(),
                want_selects.describe()
            );
            self.pool_finding(
                live,
                Code::PoolSelector,
                ("spec", "serviceSelector"),
                message,
            );
        }
        if live.disabled {
            let message = format!(
                "{pool} is disabled (spec.disabled: true): Cilium hands out no new address from it"
            );
            self.pool_finding(live, Code::PoolDisabled, ("spec", "disabled"), message);
        }
        if let Some(c) = live.conflict.as_ref().filter(|c| c.status == "True") {
            let message = format!(
                "{pool} conflicts ({} is True, {}): {}; Cilium hands out nothing from it",
                kube::POOL_CONFLICT,
                c.reason,
                c.message
            );
            self.pool_finding(
                live,
                Code::PoolConflict,
                ("status", kube::POOL_CONFLICT),
                message,
            );
        }
    }

    /// The addresses a live pool hands out, held against the plan's.
    fn pool_blocks(&mut self, live: &kube::Pool, want: &CiliumPool) {
        let want_allow = want.allow_first_last_ips != Some(false);
        let handed_out = live
            .blocks
            .iter()
            .map(|b| b.as_ref().ok().copied())
            .collect::<Option<Vec<Block>>>()
            .map(|blocks| allocatable(&blocks, live.allow_first_last));
        if handed_out.as_ref() == Some(&allocatable(&want.blocks, want_allow)) {
            return;
        }
        let message = format!(
            "pool {} of cluster {} hands out {}; plan.toml gives it {}",
            live.name,
            self.name(),
            describe_blocks(
                &live_blocks_text(live),
                live.allow_first_last,
                live_has_cidr(live)
            ),
            describe_blocks(
                &blocks_text(&want.blocks),
                want_allow,
                has_cidr(&want.blocks)
            )
        );
        self.pool_finding(live, Code::PoolBlocks, ("spec", "blocks"), message);
    }

    /// A finding about live pool `live`, at its `section.key`.
    fn pool_finding(
        &mut self,
        live: &kube::Pool,
        code: Code,
        (section, key): (&str, &str),
        message: String,
    ) {
        let at = self.at(&live.at, section, key);
        self.push(code, Some(live.name.clone()), None, at, message);
    }

    /// Where plan.toml writes a pool the build gives the cluster: its pin's
    /// address for a pin's own pool, else the pool's name.
    fn plan_span(&self, want: &CiliumPool) -> Span {
        let pin = want
            .pin
            .as_ref()
            .and_then(|p| self.cluster.pins.iter().find(|x| *x.service.item == **p));
        let pool = self
            .cluster
            .pools
            .iter()
            .find(|p| *p.name.item == *want.pool);
        match (pin, pool) {
            (Some(pin), _) => pin.addr.span,
            (None, Some(pool)) => pool.name.span,
            (None, None) => self.cluster.name.span,
        }
    }
}

fn plan_network_holds(plan: &Plan, ip: IpAddr) -> bool {
    plan.in_networks(ip)
}

fn list(ips: &[IpAddr]) -> String {
    let list: Vec<String> = ips.iter().map(IpAddr::to_string).collect();
    list.join(", ")
}

fn pools_text(cluster: &Cluster) -> String {
    let list: Vec<String> = cluster
        .pools
        .iter()
        .map(|p| {
            let blocks: Vec<Block> = p.blocks.iter().map(|b| b.item).collect();
            format!("{} {}", p.name.item, blocks_text(&blocks))
        })
        .collect();
    list.join("; ")
}

fn blocks_text(blocks: &[Block]) -> String {
    let list: Vec<String> = blocks.iter().map(Block::to_string).collect();
    if list.is_empty() {
        "no blocks".to_owned()
    } else {
        list.join(", ")
    }
}

fn live_blocks_text(pool: &kube::Pool) -> String {
    let list: Vec<String> = pool
        .blocks
        .iter()
        .map(|b| match b {
            Ok(b) => b.to_string(),
            Err(s) => format!("`{s}` (not a block)"),
        })
        .collect();
    if list.is_empty() {
        "no blocks".to_owned()
    } else {
        list.join(", ")
    }
}

fn has_cidr(blocks: &[Block]) -> bool {
    blocks.iter().any(|b| matches!(b, Block::Cidr(_)))
}

fn live_has_cidr(pool: &kube::Pool) -> bool {
    pool.blocks.iter().any(|b| matches!(b, Ok(Block::Cidr(_))))
}

/// Blocks as a message shows them, with whether a `cidr:` block's ends are
/// handed out when that matters.
fn describe_blocks(blocks: &str, allow: bool, cidr: bool) -> String {
    match (cidr, allow) {
        (true, false) => format!("{blocks} (allowFirstLastIPs: No)"),
        _ => blocks.to_owned(),
    }
}

/// The addresses Cilium hands out from blocks, as sorted, merged intervals: the
/// same set written two ways (a CIDR or its range) compares equal.
fn allocatable(blocks: &[Block], allow_first_last: bool) -> Vec<Interval> {
    let mut ivs: Vec<Interval> = blocks
        .iter()
        .filter_map(|b| {
            let iv = b.interval()?;
            if plan::edges_withheld(b, allow_first_last) {
                Some(Interval {
                    start: iv.start + 1,
                    stop: iv.stop - 1,
                    ..iv
                })
            } else {
                Some(iv)
            }
        })
        .collect();
    ivs.sort();
    let mut out: Vec<Interval> = Vec::with_capacity(ivs.len());
    for iv in ivs {
        match out.last_mut() {
            Some(last)
                if last.v6 == iv.v6 && last.stop.checked_add(1).is_some_and(|n| n >= iv.start) =>
            {
                last.stop = last.stop.max(iv.stop);
            }
            _ => out.push(iv),
        }
    }
    out
}

/// Used, size and free of each pool the build writes for the cluster, and the
/// addresses its Services hold outside its pools.
fn usage_of(
    plan: &Plan,
    cluster: &Cluster,
    objects: &Objects,
    expected: &[CiliumPool],
    held: &Held,
    owners: &AddressMap,
) -> ClusterUsage {
    let pools = expected
        .iter()
        .map(|want| {
            let live = objects.pools.iter().find(|p| p.name == want.name);
            let by_cilium = live.and_then(|p| p.used.map(|used| (p, used)));
            let used = match by_cilium {
                // Cilium counts the ends it withholds from a `cidr:` block as used.
                Some((p, used)) => used.saturating_sub(2 * withheld_blocks(p)),
                None => {
                    let ivs: Vec<Interval> =
                        want.blocks.iter().filter_map(Block::interval).collect();
                    held.keys()
                        .filter(|ip| ivs.iter().any(|iv| iv.contains_addr(**ip)))
                        .count() as u128
                }
            };
            let size = want.allocatable();
            PoolUsage {
                name: want.name.clone(),
                size,
                used,
                free: usage::sub(size, used),
                by_cilium: by_cilium.is_some(),
            }
        })
        .collect();
    let mut unaccounted: Vec<Unaccounted> = held
        .iter()
        .filter(|(ip, _)| !cluster.holds(**ip))
        .map(|(ip, services)| Unaccounted {
            address: *ip,
            service: services
                .iter()
                .map(|s| s.id())
                .collect::<Vec<_>>()
                .join(", "),
            owner: match owners.owner(*ip) {
                Some(owner) => owner.to_string(),
                None if plan.in_networks(*ip) => "free".to_owned(),
                None => "outside the network".to_owned(),
            },
        })
        .collect();
    unaccounted.sort_by_key(|u| Interval::of_addr(u.address));
    ClusterUsage {
        cluster: cluster.name.item.to_string(),
        checked: true,
        pools,
        unaccounted,
    }
}

/// How many `cidr:` blocks of a live pool Cilium withholds both ends of.
fn withheld_blocks(pool: &kube::Pool) -> u128 {
    pool.blocks
        .iter()
        .filter(|b| matches!(b, Ok(b) if plan::edges_withheld(b, pool.allow_first_last)))
        .count() as u128
}

/// What a plan pool's `service-selector` looks like read back from a cluster:
/// as kube reads a live pool's (`Selects`), so equal selectors compare equal.
fn plan_selects(sel: &lbipam_core::plan::LabelSelector) -> Selects {
    let labels: std::collections::BTreeMap<String, String> = sel
        .match_labels
        .iter()
        .map(|l| (l.key.item.to_string(), l.value.item.to_string()))
        .collect();
    if sel.match_expressions.is_empty() {
        return if labels.is_empty() {
            Selects::All
        } else {
            Selects::Labels(labels)
        };
    }
    let expressions: Vec<serde_json::Value> = sel
        .match_expressions
        .iter()
        .map(|e| {
            let mut o =
                serde_json::json!({ "key": &*e.key.item, "operator": e.operator.item.as_str() });
            if !e.values.is_empty() {
                let values: Vec<&str> = e.values.iter().map(|v| &*v.item).collect();
                o["values"] = serde_json::json!(values);
            }
            o
        })
        .collect();
    let mut json = serde_json::json!({ "matchExpressions": expressions });
    if !labels.is_empty() {
        json["matchLabels"] = serde_json::json!(labels);
    }
    Selects::Other(json.to_string())
}
