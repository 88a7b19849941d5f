//! The `CiliumLoadBalancerIPPool`s a cluster gets, as Cilium's LB-IPAM will see
//! them: the one place that decides which pools exist, with which blocks and
//! selectors. The renderer writes them, the inclusion gate expects them, the docs
//! list them.
//!
//! Cilium hands an unpinned Service the lowest free address of a matching pool
//! and does not hold requested addresses back, so a pinned address left in a
//! general pool can be taken by any Service first. With `[cilium] reserve-pins`
//! each pinned address is cut out of its pool's blocks and put in a pool of its
//! own whose `serviceSelector` matches only the pinned Service, by the
//! `io.kubernetes.service.namespace` and `io.kubernetes.service.name` labels
//! LB-IPAM adds to every Service. Pools never overlap, and together they hold
//! exactly the addresses of the plan's pools that Cilium can allocate.

use std::net::IpAddr;

use crate::net::{Block, Interval, addr};
use crate::plan::{Cluster, Pin, Plan, Pool};

pub use crate::plan::selector::{NAME_LABEL, NAMESPACE_LABEL};

/// Annotation keys through which a Service asks Cilium LB-IPAM for specific IPs
/// (the primary first, then its alias), each with how a request names its source.
pub const IP_ANNOTATIONS: [(&str, &str); 2] = [
    ("lbipam.cilium.io/ips", "annotation lbipam.cilium.io/ips"),
    ("io.cilium/lb-ipam-ips", "annotation io.cilium/lb-ipam-ips"),
];

/// The sharing-key annotation and its alias.
pub const SHARING_KEY: [&str; 2] = [
    "lbipam.cilium.io/sharing-key",
    "io.cilium/lb-ipam-sharing-key",
];
/// The cross-namespace annotation and its alias.
pub(crate) const CROSS_NAMESPACE: [&str; 2] = [
    "lbipam.cilium.io/sharing-cross-namespace",
    "io.cilium/lb-ipam-sharing-cross-namespace",
];

/// Which Services a pool serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// `serviceSelector: {}`: every Service.
    All,
    /// The Services the plan pool's `service-selector` matches.
    Plan(crate::plan::LabelSelector),
    /// Only the Service of that namespace and name.
    Service {
        /// `metadata.namespace` of the Service.
        namespace: String,
        /// `metadata.name` of the Service.
        name: String,
    },
}

/// One `CiliumLoadBalancerIPPool` as the build writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CiliumPool {
    /// `metadata.name`.
    pub name: String,
    /// `spec.blocks`.
    pub blocks: Vec<Block>,
    /// `spec.serviceSelector`.
    pub selector: Selector,
    /// `spec.allowFirstLastIPs`, written whenever the pool has a `cidr:` block
    /// so that the behaviour never depends on the Cilium version's default.
    pub allow_first_last_ips: Option<bool>,
    /// The plan pool it comes from.
    pub pool: String,
    /// The pin it holds, if it is a pin's own pool.
    pub pin: Option<String>,
}

impl CiliumPool {
    /// How many addresses Cilium can allocate from this pool.
    pub fn allocatable(&self) -> crate::net::Size {
        crate::plan::allocatable(self.blocks.iter(), self.allow_first_last_ips != Some(false))
    }
}

/// The name of the pool holding a pin of `pool`: `POOL.PIN`. A plan pool name is
/// a DNS-1123 label, so it never contains a dot and cannot collide with it.
pub(crate) fn pin_pool_name(pool: &str, pin: &str) -> String {
    format!("{pool}.{pin}")
}

/// The pools of a checked plan's cluster, in file order: each plan pool, then
/// (with `reserve-pins`) the pools of the pins it holds, in pin order.
pub fn cilium_pools(plan: &Plan, cluster: &Cluster) -> Vec<CiliumPool> {
    let mut out = Vec::new();
    for pool in cluster.pools.iter() {
        let pins: Vec<(&Pin, (String, String))> = if plan.cilium.reserve_pins.item {
            cluster
                .pins
                .iter()
                .filter(|pin| pool.holds(pin.addr.item))
                .filter_map(|pin| Some((pin, pinned_service(plan, &pin.service.item)?)))
                .collect()
        } else {
            Vec::new()
        };
        let held: Vec<IpAddr> = pins.iter().map(|(pin, _)| pin.addr.item).collect();
        let blocks = carve(pool, &held);
        out.push(CiliumPool {
            name: pool.name.item.to_string(),
            allow_first_last_ips: has_cidr(&blocks).then(|| pool.allows_first_last()),
            blocks,
            selector: pool
                .service_selector
                .clone()
                .map_or(Selector::All, Selector::Plan),
            pool: pool.name.item.to_string(),
            pin: None,
        });
        for (pin, (namespace, name)) in pins {
            out.push(CiliumPool {
                name: pin_pool_name(&pool.name.item, &pin.service.item),
                blocks: vec![Block::single(pin.addr.item)],
                selector: Selector::Service { namespace, name },
                allow_first_last_ips: None,
                pool: pool.name.item.to_string(),
                pin: Some(pin.service.item.to_string()),
            });
        }
    }
    out
}

/// What to say of a cluster whose every pool has a `service-selector`: a
/// LoadBalancer Service that none of them matches gets no address at all
/// (Cilium's `no_pool`), which a cluster with a selector-free pool never does.
pub fn unselected_note(cluster: &Cluster) -> Option<String> {
    let all = !cluster.pools.is_empty()
        && cluster
            .pools
            .iter()
            .all(|p| p.service_selector.as_ref().is_some_and(|s| !s.is_empty()));
    all.then(|| {
        format!(
            "every pool of cluster {} has a service-selector: a LoadBalancer Service that none of them matches gets no address (Cilium leaves it pending, no_pool)",
            cluster.name.item
        )
    })
}

/// The Service (namespace, name) a pin of this name is for, if the plan says.
pub fn pinned_service(plan: &Plan, pin: &str) -> Option<(String, String)> {
    let (namespace, name) = plan.service(pin)?.namespaced_name()?;
    Some((namespace.to_owned(), name.to_owned()))
}

fn has_cidr(blocks: &[Block]) -> bool {
    blocks.iter().any(|b| matches!(b, Block::Cidr(_)))
}

/// The pool's blocks without the `held` addresses. A block holding none stays
/// as written; one holding some becomes the ranges around them. A `cidr:` block
/// whose first and last address Cilium withholds loses them too, since a range
/// would hand them out.
fn carve(pool: &Pool, held: &[IpAddr]) -> Vec<Block> {
    let mut out = Vec::new();
    for b in pool.blocks.iter() {
        let Some(iv) = b.item.interval() else {
            continue;
        };
        let mut cuts: Vec<u128> = held
            .iter()
            .filter(|a| iv.contains_addr(**a))
            .map(|a| Interval::of_addr(*a).start)
            .collect();
        if cuts.is_empty() {
            out.push(b.item);
            continue;
        }
        if pool.edges_withheld(&b.item) {
            cuts.extend([iv.start, iv.stop]);
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut next = Some(iv.start);
        for cut in cuts {
            if let Some(start) = next
                && start < cut
            {
                out.push(range(iv.v6, start, cut - 1));
            }
            next = cut.checked_add(1);
        }
        if let Some(start) = next
            && start <= iv.stop
        {
            out.push(range(iv.v6, start, iv.stop));
        }
    }
    out
}

fn range(v6: bool, start: u128, stop: u128) -> Block {
    Block::Range {
        start: addr(v6, start),
        stop: addr(v6, stop),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::parse;

    const PLAN: &str = r#"
[network]
cidr = "10.25.11.0/24"

[clusters.infra.pools.infra-pool]
blocks = ["10.25.11.100-10.25.11.119", "10.25.11.128/29"]
allow-first-last-ips = false

[clusters.infra.pins]
gateway = "10.25.11.100"
dns = "10.25.11.130"

[cilium]
reserve-pins = true

[services.gateway]
service = "gateway/cilium-gateway-main"

[services.dns]
service = "kube-system/dns"
"#;

    fn block(s: &str) -> Block {
        match s.split_once('-') {
            Some((a, b)) => Block::Range {
                start: a.parse().expect("start"),
                stop: b.parse().expect("stop"),
            },
            None => Block::single(s.parse().expect("addr")),
        }
    }

    #[test]
    fn pins_are_cut_out_into_pools_of_their_own_that_select_only_their_service() {
        let plan = parse(PLAN).expect("plan");
        let pools = cilium_pools(&plan, &plan.clusters[0]);
        let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["infra-pool", "infra-pool.gateway", "infra-pool.dns"]
        );
        // .100 goes to the gateway; .130 to dns; the /29 (.128-.135) becomes
        // ranges without .130 and without .128 and .135, which Cilium withholds.
        let want: Vec<Block> = [
            "10.25.11.101-10.25.11.119",
            "10.25.11.129",
            "10.25.11.131-10.25.11.134",
        ]
        .map(block)
        .to_vec();
        assert_eq!(pools[0].blocks, want);
        assert_eq!(pools[0].selector, Selector::All);
        assert_eq!(pools[0].allow_first_last_ips, None, "no cidr: block left");
        assert_eq!(pools[1].blocks, [block("10.25.11.100")]);
        assert_eq!(
            pools[2].selector,
            Selector::Service {
                namespace: "kube-system".into(),
                name: "dns".into()
            }
        );
    }

    #[test]
    fn without_reserve_pins_the_pool_is_the_plans_and_says_whether_it_allows_first_and_last() {
        let plan =
            parse(&PLAN.replace("reserve-pins = true", "reserve-pins = false")).expect("plan");
        let pools = cilium_pools(&plan, &plan.clusters[0]);
        assert_eq!(pools.len(), 1);
        let written: Vec<Block> = plan.clusters[0].pools[0]
            .blocks
            .iter()
            .map(|b| b.item)
            .collect();
        assert_eq!(pools[0].blocks, written);
        assert_eq!(pools[0].allow_first_last_ips, Some(false));
    }
}
