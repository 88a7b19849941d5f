//! How a checked plan uses its network: every address range in order with its
//! holder (reserved, a cluster's pool, or free), and per cluster and pool how
//! many addresses are pinned and how many are left. The address map picture and
//! the `lbipam` command line read the plan through this one view.

use std::net::IpAddr;

use crate::net::{Interval, Size};
use crate::plan::{Cluster, Plan, Pool};

/// Who holds a range of the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Holder<'a> {
    /// No reserved range or pool holds it.
    Free,
    /// The IPv4 network's network or broadcast address, which no pool may hold
    /// (Cilium would hand it out); `which` is `network` or `broadcast`.
    Unusable {
        /// `network` or `broadcast`.
        which: &'static str,
    },
    /// A reserved range, by name, with its note.
    Reserved {
        /// The `[reserved]` key.
        name: &'a str,
        /// Its note, if any.
        note: Option<&'a str>,
    },
    /// A pool of a cluster.
    Pool {
        /// Index of the cluster in the plan.
        cluster: usize,
        /// Index of the pool in its cluster.
        pool: usize,
    },
}

/// A run of consecutive addresses with one holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The addresses.
    pub iv: Interval,
    /// Who holds them.
    pub holder: Holder<'a>,
}

/// The plan's networks in the map's order: IPv4 first, each family by
/// address; each with its interval.
pub fn networks(plan: &Plan) -> Vec<(Interval, ipnet::IpNet)> {
    let mut nets: Vec<(Interval, ipnet::IpNet)> = plan
        .networks
        .iter()
        .map(|n| (Interval::of_net(n.item), n.item.trunc()))
        .collect();
    nets.sort();
    nets
}

/// Every network as consecutive segments in address order (IPv4 networks
/// first, then IPv6, each family by address), the gaps between reserved ranges
/// and pool blocks filled with [`Holder::Free`]. The one map of the networks:
/// the docs' table and picture, `lbipam report` and `explain` read it. The plan
/// must be checked: ranges of a plan with overlaps would be listed twice.
pub fn segments(plan: &Plan) -> Vec<Segment<'_>> {
    let mut held = Vec::new();
    for r in plan.reserved.iter() {
        if let Some(iv) = r.range.item.interval() {
            let holder = Holder::Reserved {
                name: &r.name.item,
                note: r.note.as_deref(),
            };
            held.push(Segment { iv, holder });
        }
    }
    for (ci, c) in plan.clusters.iter().enumerate() {
        for (pi, p) in c.pools.iter().enumerate() {
            for b in p.blocks.iter() {
                if let Some(iv) = b.item.interval() {
                    let holder = Holder::Pool {
                        cluster: ci,
                        pool: pi,
                    };
                    held.push(Segment { iv, holder });
                }
            }
        }
    }
    held.sort_by_key(|s| s.iv);
    let nets = networks(plan);
    let mut out = Vec::with_capacity(held.len() * 2 + nets.len());
    let mut rest = held.as_slice();
    for (net, cidr) in nets {
        // Networks do not overlap, so each one's ranges follow the previous one's.
        let skip = rest.partition_point(|s| (s.iv.v6, s.iv.start) < (net.v6, net.start));
        let inside = rest[skip..].partition_point(|s| net.contains(&s.iv));
        let mut mine = rest[skip..skip + inside].to_vec();
        rest = &rest[skip + inside..];
        mine.extend(unusable_edges(cidr, &mine));
        mine.sort_by_key(|s| s.iv);
        fill(net, mine, &mut out);
    }
    out
}

/// The network and broadcast addresses of an IPv4 network are not free,
/// unless a reserved range says what they are.
fn unusable_edges<'a>(net: ipnet::IpNet, held: &[Segment<'a>]) -> Vec<Segment<'a>> {
    let Some((first, last)) = crate::net::network_and_broadcast(net) else {
        return Vec::new();
    };
    [(first, "network"), (last, "broadcast")]
        .into_iter()
        .map(|(addr, which)| Segment {
            iv: Interval::of_addr(addr),
            holder: Holder::Unusable { which },
        })
        .filter(|e| !held.iter().any(|s| s.iv.overlap(&e.iv).is_some()))
        .collect()
}

/// Appends `held` (sorted, inside `net`) to `out` with the gaps as free.
fn fill<'a>(net: Interval, held: Vec<Segment<'a>>, out: &mut Vec<Segment<'a>>) {
    let free = |start, stop| Segment {
        iv: Interval {
            v6: net.v6,
            start,
            stop,
        },
        holder: Holder::Free,
    };
    let mut next = Some(net.start);
    for s in held {
        if let Some(n) = next
            && n < s.iv.start
        {
            out.push(free(n, s.iv.start - 1));
        }
        next = s.iv.stop.checked_add(1).filter(|&n| n <= net.stop);
        out.push(s);
    }
    if let Some(n) = next {
        out.push(free(n, net.stop));
    }
}

/// The segment holding an address, if the address is in the network.
pub fn segment_at<'s, 'a>(segments: &'s [Segment<'a>], addr: IpAddr) -> Option<&'s Segment<'a>> {
    let at = Interval::of_addr(addr);
    let after = segments.partition_point(|s| (s.iv.v6, s.iv.start) <= (at.v6, at.start));
    let s = segments.get(after.checked_sub(1)?)?;
    s.iv.contains(&at).then_some(s)
}

/// Who holds each address of a checked plan: its [`segments`], built once and
/// searched by address. The audits, the settings check and `lbipam live` ask it
/// for the owner of thousands of addresses.
pub struct AddressMap<'a> {
    plan: &'a Plan,
    segments: Vec<Segment<'a>>,
}

impl<'a> AddressMap<'a> {
    /// The map of a checked plan.
    pub fn new(plan: &'a Plan) -> AddressMap<'a> {
        let segments = segments(plan);
        AddressMap { plan, segments }
    }

    /// The plan it maps.
    pub fn plan(&self) -> &'a Plan {
        self.plan
    }

    /// Who holds `addr`; `None` outside the plan's networks.
    pub fn holder(&self, addr: IpAddr) -> Option<Holder<'a>> {
        segment_at(&self.segments, addr).map(|s| s.holder)
    }

    /// The cluster whose pool holds `addr`.
    pub(crate) fn cluster_of(&self, addr: IpAddr) -> Option<&'a Cluster> {
        match self.holder(addr)? {
            Holder::Pool { cluster, .. } => self.plan.clusters.get(cluster),
            _ => None,
        }
    }

    /// The reserved range or pool holding `addr`, as messages name it.
    pub fn owner(&self, addr: IpAddr) -> Option<Owner<'a>> {
        match self.holder(addr)? {
            Holder::Reserved { name, .. } => Some(Owner::Reserved(name)),
            Holder::Pool { cluster, pool } => {
                let c = self.plan.clusters.get(cluster)?;
                let p = c.pools.get(pool)?;
                Some(Owner::Pool {
                    pool: &p.name.item,
                    cluster: &c.name.item,
                })
            }
            Holder::Free | Holder::Unusable { .. } => None,
        }
    }
}

/// Who an address or range belongs to, as messages name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner<'a> {
    /// A reserved range.
    Reserved(&'a str),
    /// A pool of a cluster.
    Pool {
        /// The pool's name.
        pool: &'a str,
        /// Its cluster's name.
        cluster: &'a str,
    },
}

impl std::fmt::Display for Owner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Owner::Reserved(name) => write!(f, "reserved range {name}"),
            Owner::Pool { pool, cluster } => write!(f, "{pool} ({cluster})"),
        }
    }
}

/// The sum of two sizes, saturating at 2^128.
pub fn add(a: Size, b: Size) -> Size {
    match (a, b) {
        (Size::Count(a), Size::Count(b)) => a.checked_add(b).map_or(Size::All128, Size::Count),
        _ => Size::All128,
    }
}

/// `a - b` for a count `b` not larger than `a`.
pub fn sub(a: Size, b: u128) -> Size {
    match a {
        Size::Count(a) => Size::Count(a.saturating_sub(b)),
        // 2^128 - b, b >= 1, fits.
        Size::All128 if b > 0 => Size::Count(u128::MAX - (b - 1)),
        Size::All128 => Size::All128,
    }
}

/// Size, pins and what is left of a pool or cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// Addresses Cilium can hand out from it.
    pub size: Size,
    /// How many of them are pinned.
    pub pinned: u128,
}

impl Usage {
    /// Addresses no pin takes.
    pub fn free(&self) -> Size {
        sub(self.size, self.pinned)
    }

    /// Pinned addresses as a percentage of the size (0 for an empty one).
    pub fn percent(&self) -> f64 {
        percent(self.pinned, self.size)
    }
}

/// `part` as a percentage of `whole`.
pub fn percent(part: u128, whole: Size) -> f64 {
    let whole = match whole {
        Size::Count(0) => return 0.0,
        Size::Count(n) => n as f64,
        Size::All128 => 2f64.powi(128),
    };
    part as f64 * 100.0 / whole
}

/// The addresses Cilium can hand out from a pool (a `cidr:` block's first and
/// last left out when the pool withholds them).
fn pool_size(p: &Pool) -> Size {
    p.allocatable()
}

/// A pool's size and the cluster's pins inside it.
pub fn pool_usage(c: &Cluster, p: &Pool) -> Usage {
    let pinned = c.pins.iter().filter(|pin| p.holds(pin.addr.item));
    Usage {
        size: pool_size(p),
        pinned: pinned.count() as u128,
    }
}

/// A cluster's pools together.
pub fn cluster_usage(c: &Cluster) -> Usage {
    let size = c
        .pools
        .iter()
        .fold(Size::Count(0), |acc, p| add(acc, pool_size(p)));
    Usage {
        size,
        pinned: c.pins.len() as u128,
    }
}

/// The addresses of a cluster's pools (or of one of them) that Cilium can hand
/// out and no pin takes, in address order: a `cidr:` block's first and last
/// address are left out when its pool withholds them. Lazy: asking for the
/// first few of a huge pool is cheap.
pub fn free_addresses<'a>(
    c: &'a Cluster,
    pool: Option<&'a str>,
) -> impl Iterator<Item = IpAddr> + 'a {
    let mut blocks: Vec<(Interval, bool)> = c
        .pools
        .iter()
        .filter(move |p| pool.is_none_or(|name| p.name.item == name))
        .flat_map(|p| {
            let blocks = p.blocks.iter();
            blocks.filter_map(|b| Some((b.item.interval()?, p.edges_withheld(&b.item))))
        })
        .collect();
    blocks.sort();
    let mut pinned: Vec<Interval> = c
        .pins
        .iter()
        .map(|p| Interval::of_addr(p.addr.item))
        .collect();
    pinned.sort();
    blocks.into_iter().flat_map(move |(iv, withheld)| {
        let pinned = pinned.clone();
        let (first, last) = if withheld {
            (iv.start + 1, iv.stop - 1)
        } else {
            (iv.start, iv.stop)
        };
        (first..=last)
            .map(move |n| Interval {
                v6: iv.v6,
                start: n,
                stop: n,
            })
            .filter(move |a| pinned.binary_search(a).is_err())
            .map(|a| a.first())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::compile;

    const PLAN: &str = r#"
[network]
cidr = "10.0.0.0/28"
[reserved]
router = { range = "10.0.0.1", note = "gw" }
[clusters.a.pools.p]
blocks = ["10.0.0.4-10.0.0.7", "10.0.0.12/31"]
[clusters.a.pins]
x = "10.0.0.4"
y = "10.0.0.6"
"#;

    #[test]
    fn segments_cover_the_network_in_order_with_gaps_free_and_its_edges_unusable() {
        let plan = compile(PLAN).expect("valid");
        let got: Vec<String> = segments(&plan)
            .iter()
            .map(|s| format!("{} {:?}", s.iv, s.holder))
            .collect();
        assert_eq!(
            got,
            [
                "10.0.0.0 Unusable { which: \"network\" }",
                "10.0.0.1 Reserved { name: \"router\", note: Some(\"gw\") }",
                "10.0.0.2-10.0.0.3 Free",
                "10.0.0.4-10.0.0.7 Pool { cluster: 0, pool: 0 }",
                "10.0.0.8-10.0.0.11 Free",
                "10.0.0.12-10.0.0.13 Pool { cluster: 0, pool: 0 }",
                "10.0.0.14 Free",
                "10.0.0.15 Unusable { which: \"broadcast\" }",
            ]
        );
        let segs = segments(&plan);
        let at = |a: &str| segment_at(&segs, a.parse().expect("ip")).map(|s| s.iv.to_string());
        assert_eq!(at("10.0.0.9").as_deref(), Some("10.0.0.8-10.0.0.11"));
        assert_eq!(at("10.0.0.14").as_deref(), Some("10.0.0.14"));
        assert_eq!(at("10.0.0.16"), None);
    }

    #[test]
    fn the_address_map_names_the_pool_or_reserved_range_holding_an_address() {
        let plan = compile(PLAN).expect("valid");
        let map = AddressMap::new(&plan);
        let owner = |a: &str| map.owner(a.parse().expect("ip")).map(|o| o.to_string());
        assert_eq!(owner("10.0.0.13").as_deref(), Some("p (a)"));
        assert_eq!(owner("10.0.0.1").as_deref(), Some("reserved range router"));
        assert_eq!(owner("10.0.0.9"), None);
        assert_eq!(owner("10.0.0.15"), None);
        assert_eq!(owner("10.0.1.1"), None);
        let cluster = |a: &str| {
            map.cluster_of(a.parse().expect("ip"))
                .map(|c| &*c.name.item)
        };
        assert_eq!(cluster("10.0.0.5"), Some("a"));
        assert_eq!(cluster("10.0.0.1"), None);
        assert_eq!(map.holder("10.0.1.1".parse().expect("ip")), None);
    }

    #[test]
    fn free_addresses_skip_pins_and_follow_address_order() {
        let plan = compile(PLAN).expect("valid");
        let c = &plan.clusters[0];
        let free: Vec<String> = free_addresses(c, None).map(|a| a.to_string()).collect();
        assert_eq!(free, ["10.0.0.5", "10.0.0.7", "10.0.0.12", "10.0.0.13"]);
        let u = cluster_usage(c);
        assert_eq!(
            (u.size, u.pinned, u.free()),
            (Size::Count(6), 2, Size::Count(4))
        );
        assert!((u.percent() - 100.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn free_addresses_leave_out_the_first_and_last_a_pool_withholds() {
        let plan = compile(
            r#"
[network]
cidr = "10.0.0.0/24"
[clusters.a.pools.edges]
blocks = ["10.0.0.16/30", "10.0.0.32-10.0.0.33", "10.0.0.40/31"]
allow-first-last-ips = false
[clusters.a.pools.all]
blocks = ["10.0.0.64/30"]
"#,
        )
        .expect("valid");
        let c = &plan.clusters[0];
        let free =
            |pool| -> Vec<String> { free_addresses(c, pool).map(|a| a.to_string()).collect() };
        // Cilium withholds .16 and .19 of the /30; a range and a /31 give out all.
        assert_eq!(
            free(Some("edges")),
            [
                "10.0.0.17",
                "10.0.0.18",
                "10.0.0.32",
                "10.0.0.33",
                "10.0.0.40",
                "10.0.0.41"
            ]
        );
        assert_eq!(
            free(Some("all")),
            ["10.0.0.64", "10.0.0.65", "10.0.0.66", "10.0.0.67"]
        );
        // As many as the report counts.
        assert_eq!(Size::Count(free(None).len() as u128), cluster_usage(c).size);
    }

    #[test]
    fn the_whole_ipv6_space_withholding_its_ends_hands_out_two_fewer() {
        let plan = compile(
            "[network]\ncidr = \"::/0\"\n[clusters.a.pools.all]\nblocks = [\"::/0\"]\nallow-first-last-ips = false\n",
        )
        .expect("valid");
        let u = cluster_usage(&plan.clusters[0]);
        assert_eq!(u.size, Size::Count(u128::MAX - 1));
    }

    #[test]
    fn the_whole_ipv6_space_minus_one_pin_is_counted_exactly() {
        assert_eq!(sub(Size::All128, 1), Size::Count(u128::MAX));
        assert_eq!(add(Size::Count(u128::MAX), Size::Count(1)), Size::All128);
    }
}
