//! Address arithmetic shared by the runtime checker and the compile-time proof.
//!
//! Everything here is `const fn` so that the generated `plan.rs` can run the same
//! primitives inside a `const _: () = ...;` item. Addresses are widened to `u128`
//! (IPv4 keeps its 32-bit value) and tagged with their family, so one inclusive
//! [`Interval`] type serves both families without overflow: a range's size is
//! computed as `stop - start` and only reported as `+ 1` through [`Interval::size`],
//! which saturates into [`Size::All128`] for the whole IPv6 space.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// A block of addresses as written in plan.toml: an inclusive range (`"A-B"`, or a
/// single `"A"` with `start == stop`) or a CIDR (`"10.25.11.128/27"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// `start` through `stop`, both included.
    Range { start: IpAddr, stop: IpAddr },
    /// A prefix; rendered as `cidr:` in Cilium pools.
    Cidr(IpNet),
}

impl Block {
    /// One address.
    pub const fn single(addr: IpAddr) -> Block {
        Block::Range {
            start: addr,
            stop: addr,
        }
    }

    /// The addresses this block covers. A range with mixed families or `start > stop`
    /// yields `None`; the checker reports those before asking.
    pub const fn interval(&self) -> Option<Interval> {
        match *self {
            Block::Range { start, stop } => {
                let (a6, a) = bits(start);
                let (b6, b) = bits(stop);
                if a6 != b6 || a > b {
                    None
                } else {
                    Some(Interval {
                        v6: a6,
                        start: a,
                        stop: b,
                    })
                }
            }
            Block::Cidr(net) => Some(Interval::of_net(net)),
        }
    }

    /// The lowest address of the block, as written (for a CIDR: its network address).
    pub const fn first(&self) -> IpAddr {
        match *self {
            Block::Range { start, .. } => start,
            Block::Cidr(net) => net_addr(net),
        }
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Block::Range { start, stop } if start == stop => write!(f, "{start}"),
            Block::Range { start, stop } => write!(f, "{start}-{stop}"),
            Block::Cidr(net) => write!(f, "{net}"),
        }
    }
}

/// An inclusive, non-empty range of addresses of one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    /// `true` for IPv6; ordered after IPv4 so a sort keeps the families apart.
    pub v6: bool,
    /// First address, widened.
    pub start: u128,
    /// Last address, widened; `start <= stop`.
    pub stop: u128,
}

/// How many addresses an interval holds. The whole IPv6 space (`::/0`) has
/// 2^128, one more than `u128` can count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Size {
    /// An exact count.
    Count(u128),
    /// 2^128 addresses.
    All128,
}

impl Size {
    /// The sum, saturating into [`Size::All128`].
    pub const fn plus(self, other: Size) -> Size {
        match (self, other) {
            (Size::Count(a), Size::Count(b)) => match a.checked_add(b) {
                Some(n) => Size::Count(n),
                None => Size::All128,
            },
            _ => Size::All128,
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Count(n) => write!(f, "{n}"),
            Size::All128 => f.write_str("2^128"),
        }
    }
}

impl Interval {
    /// A single address.
    pub const fn of_addr(addr: IpAddr) -> Interval {
        let (v6, b) = bits(addr);
        Interval {
            v6,
            start: b,
            stop: b,
        }
    }

    /// Every address of a prefix, host bits ignored.
    pub const fn of_net(net: IpNet) -> Interval {
        let (v6, addr) = bits(net_addr(net));
        let width: u32 = if v6 { 128 } else { 32 };
        let host_bits = width - net_prefix_len(net) as u32;
        // `checked_shl` keeps a /0 (host_bits == 128) from overflowing the shift.
        let host_mask = match 1u128.checked_shl(host_bits) {
            Some(p) => p - 1,
            None => u128::MAX,
        };
        Interval {
            v6,
            start: addr & !host_mask,
            stop: (addr & !host_mask) | host_mask,
        }
    }

    /// Whether `other` lies entirely inside `self`.
    pub const fn contains(&self, other: &Interval) -> bool {
        self.v6 == other.v6 && self.start <= other.start && other.stop <= self.stop
    }

    /// Whether the address lies inside `self`.
    pub const fn contains_addr(&self, addr: IpAddr) -> bool {
        self.contains(&Interval::of_addr(addr))
    }

    /// The addresses both intervals share, if any.
    pub const fn overlap(&self, other: &Interval) -> Option<Interval> {
        if self.v6 != other.v6 {
            return None;
        }
        let start = if self.start > other.start {
            self.start
        } else {
            other.start
        };
        let stop = if self.stop < other.stop {
            self.stop
        } else {
            other.stop
        };
        if start <= stop {
            Some(Interval {
                v6: self.v6,
                start,
                stop,
            })
        } else {
            None
        }
    }

    /// The number of addresses, without overflow.
    pub const fn size(&self) -> Size {
        match (self.stop - self.start).checked_add(1) {
            Some(n) => Size::Count(n),
            None => Size::All128,
        }
    }

    /// The first address.
    pub const fn first(&self) -> IpAddr {
        addr(self.v6, self.start)
    }

    /// The last address.
    pub const fn last(&self) -> IpAddr {
        addr(self.v6, self.stop)
    }

    /// Sort key: family first, then start, then stop.
    pub(crate) const fn precedes(&self, other: &Interval) -> bool {
        if self.v6 != other.v6 {
            return !self.v6;
        }
        if self.start != other.start {
            return self.start < other.start;
        }
        self.stop < other.stop
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.stop {
            write!(f, "{}", self.first())
        } else {
            write!(f, "{}-{}", self.first(), self.last())
        }
    }
}

/// An address as (is IPv6, value widened to `u128`).
pub const fn bits(addr: IpAddr) -> (bool, u128) {
    match addr {
        IpAddr::V4(a) => (false, a.to_bits() as u128),
        IpAddr::V6(a) => (true, a.to_bits()),
    }
}

/// The inverse of [`bits`]; an IPv4 value is truncated to its 32 bits.
pub const fn addr(v6: bool, bits: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from_bits(bits))
    } else {
        IpAddr::V4(Ipv4Addr::from_bits(bits as u32))
    }
}

/// `IpNet::addr` as a `const fn`.
pub(crate) const fn net_addr(net: IpNet) -> IpAddr {
    match net {
        IpNet::V4(n) => IpAddr::V4(n.addr()),
        IpNet::V6(n) => IpAddr::V6(n.addr()),
    }
}

/// `IpNet::prefix_len` as a `const fn`.
pub(crate) const fn net_prefix_len(net: IpNet) -> u8 {
    match net {
        IpNet::V4(n) => n.prefix_len(),
        IpNet::V6(n) => n.prefix_len(),
    }
}

/// The network and broadcast addresses of an IPv4 network of four addresses or
/// more (/30 or shorter), which no pool may hand out; `None` for IPv6 and for
/// /31 and /32, whose every address is usable.
pub(crate) const fn network_and_broadcast(net: IpNet) -> Option<(IpAddr, IpAddr)> {
    match net {
        IpNet::V4(n) if n.prefix_len() <= 30 => {
            let iv = Interval::of_net(net);
            Some((iv.first(), iv.last()))
        }
        _ => None,
    }
}

/// Whether a CIDR is written with host bits set (`10.25.11.5/24`).
pub(crate) const fn has_host_bits(net: IpNet) -> bool {
    let (_, a) = bits(net_addr(net));
    a != Interval::of_net(net).start
}

/// Finds overlaps in intervals sorted by [`Interval::precedes`] in one pass.
///
/// The sweep remembers the item reaching furthest so far; an item that starts
/// before that reach overlaps it. Every item that overlaps any earlier item is
/// reported at least once (against the earlier item reaching furthest), so a
/// plan with overlaps never passes, in O(n) after the sort.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sweep {
    reach: Option<(usize, Interval)>,
}

impl Sweep {
    /// A sweep that has seen nothing.
    pub(crate) const fn new() -> Sweep {
        Sweep { reach: None }
    }

    /// Feeds the next item (`id` is the caller's handle for it); returns the
    /// earlier item it overlaps and the shared addresses.
    pub(crate) const fn step(&mut self, id: usize, iv: Interval) -> Option<(usize, Interval)> {
        match self.reach {
            Some((prev, reach)) if reach.v6 == iv.v6 => {
                let hit = match reach.overlap(&iv) {
                    Some(shared) => Some((prev, shared)),
                    None => None,
                };
                if iv.stop > reach.stop {
                    self.reach = Some((id, iv));
                }
                hit
            }
            _ => {
                self.reach = Some((id, iv));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn cidr_interval_covers_network_and_broadcast() {
        let iv = Interval::of_net("10.25.11.128/27".parse().expect("net"));
        assert_eq!(iv.first(), ip("10.25.11.128"));
        assert_eq!(iv.last(), ip("10.25.11.159"));
        assert_eq!(iv.size(), Size::Count(32));
    }

    #[test]
    fn whole_ipv6_space_has_a_size_without_overflow() {
        let iv = Interval::of_net("::/0".parse().expect("net"));
        assert_eq!(iv.size(), Size::All128);
        assert_eq!(iv.size().to_string(), "2^128");
        let v4 = Interval::of_net("0.0.0.0/0".parse().expect("net"));
        assert_eq!(v4.size(), Size::Count(1 << 32));
    }

    #[test]
    fn host_bits_are_detected() {
        assert!(has_host_bits("10.25.11.5/24".parse().expect("net")));
        assert!(!has_host_bits("10.25.11.0/24".parse().expect("net")));
        assert!(!has_host_bits("::/0".parse().expect("net")));
    }

    #[test]
    fn touching_ranges_do_not_overlap_but_sharing_one_address_does() {
        let a = Block::Range {
            start: ip("10.25.11.100"),
            stop: ip("10.25.11.119"),
        };
        let b = Block::Range {
            start: ip("10.25.11.120"),
            stop: ip("10.25.11.139"),
        };
        let c = Block::single(ip("10.25.11.119"));
        let (a, b, c) = (
            a.interval().expect("a"),
            b.interval().expect("b"),
            c.interval().expect("c"),
        );
        assert_eq!(a.overlap(&b), None);
        assert_eq!(a.overlap(&c), Some(c));
    }

    #[test]
    fn reversed_or_mixed_ranges_have_no_interval() {
        let reversed = Block::Range {
            start: ip("10.0.0.9"),
            stop: ip("10.0.0.1"),
        };
        let mixed = Block::Range {
            start: ip("10.0.0.1"),
            stop: ip("::1"),
        };
        assert_eq!(reversed.interval(), None);
        assert_eq!(mixed.interval(), None);
    }

    #[test]
    fn sweep_reports_each_item_that_overlaps_an_earlier_one() {
        // [0,10] [2,3] [5,12] [13,14]: the 2nd and 3rd overlap the 1st.
        let ivs = [(0, 10), (2, 3), (5, 12), (13, 14)].map(|(s, e)| Interval {
            v6: false,
            start: s,
            stop: e,
        });
        let mut sweep = Sweep::new();
        let hits: Vec<_> = ivs
            .iter()
            .enumerate()
            .filter_map(|(i, iv)| sweep.step(i, *iv).map(|(j, at)| (i, j, at.start, at.stop)))
            .collect();
        assert_eq!(hits, vec![(1, 0, 2, 3), (2, 0, 5, 10)]);
    }
}
