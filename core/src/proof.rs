//! The compile-time proof: the same range rules as [`crate::check`], written as
//! `const fn`s so the generated `plan.rs` can evaluate them in a `const _: ()` item.
//!
//! `check` explains every problem with spans for people; this module only has to
//! refuse, with the first problem, anything `check` would refuse about addresses
//! and names — so the crate cannot compile with an overlapping or out-of-subnet
//! plan even if the generated constants are edited by hand. Both share the address
//! primitives of [`crate::net`]; property tests hold their verdicts equal.

// `const fn`s cannot box, so the message travels by value in `Result::Err`;
// and they cannot `Deref` a `Cow`, hence the `&Cow` parameters of `slice`/`str_of`.
#![allow(clippy::result_large_err, clippy::ptr_arg)]

use std::borrow::Cow;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::net::{Block, Interval, Sweep, has_host_bits, net_addr, net_prefix_len};
use crate::plan::{At, Plan, Pool};

/// Fails compilation unless the plan constant is valid.
///
/// ```ignore
/// lbipam_core::assert_plan!(PLAN);
/// ```
///
/// The plan is copied into a `static` first: borrowing a `const` would create a
/// temporary that must be dropped at compile time, which `const` evaluation
/// refuses for types with heap-owning variants such as `Cow`.
#[macro_export]
macro_rules! assert_plan {
    ($plan:expr) => {
        // A plan of many thousand blocks takes a while to prove; that is the point.
        #[allow(long_running_const_eval)]
        const _: () = {
            static PLAN_UNDER_PROOF: $crate::plan::Plan = $plan;
            $crate::proof::assert_valid::<{ $crate::proof::scratch_len(&PLAN_UNDER_PROOF) }>(
                &PLAN_UNDER_PROOF,
            );
        };
    };
}

/// Whether an error of [`crate::check`] is one the proof must also find: about
/// addresses and names of ranges, pools and pins. Services, Flux settings, the
/// layout and the annotation key are the checker's alone — they cannot make a
/// pool overlap.
pub fn covers(e: &crate::diag::error::Error) -> bool {
    use crate::diag::error::{Error, Subject};
    !matches!(
        e,
        Error::BadValue {
            what: Subject::SettingKey
                | Subject::HelmValuesPath
                | Subject::AnnotationKey
                | Subject::Duration
                | Subject::ServiceRef
                | Subject::FluxSourceKind
                | Subject::LayoutPath
                | Subject::Glob
                | Subject::LabelKey
                | Subject::LabelValue
                | Subject::SelectorOperator
                | Subject::InterfaceRegex
                | Subject::CiliumVersion
                | Subject::AdvertiseMode
                | Subject::PeerAddress,
            ..
        } | Error::DuplicateSetting { .. }
            | Error::PinNotAllocatable { .. }
            | Error::PinWithoutService { .. }
            | Error::Rule { .. }
            | Error::BadName {
                what: Subject::Service | Subject::FluxKustomization | Subject::FluxNamespace,
                ..
            }
    )
}

/// How many items the proof sorts: every range (reserved ranges and pool
/// blocks) and every pin. The size of its scratch space.
pub const fn scratch_len(plan: &Plan) -> usize {
    let (ranges, pins) = counts(plan);
    ranges + pins
}

/// (ranges, pins) of the plan.
const fn counts(plan: &Plan) -> (usize, usize) {
    let mut ranges = slice(&plan.reserved).len();
    let mut pins = 0;
    let clusters = slice(&plan.clusters);
    let mut c = 0;
    while c < clusters.len() {
        pins += slice(&clusters[c].pins).len();
        let pools = slice(&clusters[c].pools);
        let mut p = 0;
        while p < pools.len() {
            ranges += slice(&pools[p].blocks).len();
            p += 1;
        }
        c += 1;
    }
    (ranges, pins)
}

/// Panics (a compile error in a `const` item) with the first problem found.
/// `N` must be [`scratch_len`] of the plan.
pub const fn assert_valid<const N: usize>(plan: &Plan) {
    let mut scratch = [Item::EMPTY; N];
    if let Err(msg) = validate(plan, &mut scratch) {
        panic!("{}", msg.as_str());
    }
}

/// Who holds a range, by index (`cluster == usize::MAX` for a reserved range);
/// or a pin, by cluster and index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    iv: Interval,
    cluster: usize,
    index: usize,
}

impl Item {
    /// Filler for the scratch array.
    pub const EMPTY: Item = Item {
        iv: Interval {
            v6: false,
            start: 0,
            stop: 0,
        },
        cluster: 0,
        index: 0,
    };
    const RESERVED: usize = usize::MAX;
}

/// Runs the proof with caller-provided scratch space of [`scratch_len`] items;
/// usable at run time as well, which is how tests compare it with `check`.
/// O(n log n) in ranges and pins: two heapsorts and linear scans.
pub const fn validate(plan: &Plan, scratch: &mut [Item]) -> Result<(), Msg> {
    if scratch.len() != scratch_len(plan) {
        return Err(Msg::new()
            .push("scratch size does not match the plan: it needs scratch_len(plan) items"));
    }
    let (scratch, pins) = scratch.split_at_mut(counts(plan).0);
    let nets = slice(&plan.networks);
    if let Err(m) = networks_ok(nets) {
        return Err(m);
    }
    let n = match reserved_ok(plan, nets, scratch) {
        Ok(n) => n,
        Err(m) => return Err(m),
    };
    if let Err(m) = clusters_ok(plan, nets, scratch, n) {
        return Err(m);
    }
    sort(scratch, false);
    if let Err(m) = no_overlap(plan, scratch) {
        return Err(m);
    }
    pins_ok(plan, scratch, pins)
}

/// Each reserved range named and inside a network, into `scratch` from its
/// start; how many there are.
const fn reserved_ok(plan: &Plan, nets: &[At<IpNet>], scratch: &mut [Item]) -> Result<usize, Msg> {
    let reserved = slice(&plan.reserved);
    let mut r = 0;
    while r < reserved.len() {
        if let Err(m) = name_ok("reserved range", str_of(&reserved[r].name.item)) {
            return Err(m);
        }
        match range_ok(&reserved[r].range.item, nets) {
            Ok((iv, _)) => {
                scratch[r] = Item {
                    iv,
                    cluster: Item::RESERVED,
                    index: r,
                }
            }
            Err(m) => {
                return Err(m
                    .push(" (reserved range ")
                    .push(str_of(&reserved[r].name.item))
                    .push(")"));
            }
        }
        r += 1;
    }
    Ok(r)
}

/// At least one cluster, each named with at least one pool, each pool's
/// blocks into `scratch` from `n`.
const fn clusters_ok(
    plan: &Plan,
    nets: &[At<IpNet>],
    scratch: &mut [Item],
    mut n: usize,
) -> Result<(), Msg> {
    let clusters = slice(&plan.clusters);
    if clusters.is_empty() {
        return Err(Msg::new().push("the plan has no cluster"));
    }
    let mut c = 0;
    while c < clusters.len() {
        let cluster = &clusters[c];
        if let Err(m) = name_ok("cluster", str_of(&cluster.name.item)) {
            return Err(m);
        }
        let pools = slice(&cluster.pools);
        if pools.is_empty() {
            return Err(Msg::new()
                .push("cluster ")
                .push(str_of(&cluster.name.item))
                .push(" has no pool"));
        }
        let mut p = 0;
        while p < pools.len() {
            n = match pool_ok(plan, nets, (c, p), scratch, n) {
                Ok(n) => n,
                Err(m) => return Err(m),
            };
            p += 1;
        }
        c += 1;
    }
    Ok(())
}

/// Pool `p` of cluster `c` named, with blocks inside a network and off its
/// network and broadcast addresses, into `scratch` from `n`; where the next
/// range goes.
const fn pool_ok(
    plan: &Plan,
    nets: &[At<IpNet>],
    (c, p): (usize, usize),
    scratch: &mut [Item],
    mut n: usize,
) -> Result<usize, Msg> {
    let pool = &slice(&slice(&plan.clusters)[c].pools)[p];
    if let Err(m) = name_ok("pool", str_of(&pool.name.item)) {
        return Err(m);
    }
    let blocks = slice(&pool.blocks);
    if blocks.is_empty() {
        return Err(owner(Msg::new().push("empty pool "), plan, c, p));
    }
    let mut b = 0;
    while b < blocks.len() {
        let withheld = pool.edges_withheld(&blocks[b].item);
        match range_ok(&blocks[b].item, nets) {
            Ok((iv, net)) if !withheld && !edges_ok(iv, net) => {
                let m = interval(Msg::new().push("range "), iv);
                return Err(owner(
                    m.push(" holds the network or broadcast address; in pool "),
                    plan,
                    c,
                    p,
                ));
            }
            Ok((iv, _)) => {
                scratch[n] = Item {
                    iv,
                    cluster: c,
                    index: p,
                }
            }
            Err(m) => return Err(owner(m.push(" in pool "), plan, c, p)),
        }
        n += 1;
        b += 1;
    }
    Ok(n)
}

/// No two of the `sorted` ranges overlap.
const fn no_overlap(plan: &Plan, sorted: &[Item]) -> Result<(), Msg> {
    let mut sweep = Sweep::new();
    let mut i = 0;
    while i < sorted.len() {
        if let Some((j, at)) = sweep.step(i, sorted[i].iv) {
            let m = describe(Msg::new(), plan, sorted[i]).push(" ");
            let m = describe(
                interval(m, sorted[i].iv).push(" overlaps "),
                plan,
                sorted[j],
            );
            return Err(interval(m.push(" at "), at));
        }
        i += 1;
    }
    Ok(())
}

/// Each pin in its own cluster's pools and on an address no other pin has.
/// Problems are found in file order, pin by pin, as `check` lists them.
const fn pins_ok(plan: &Plan, sorted: &[Item], pins_scratch: &mut [Item]) -> Result<(), Msg> {
    let duplicate = first_duplicate(plan, pins_scratch);
    let clusters = slice(&plan.clusters);
    let mut c = 0;
    while c < clusters.len() {
        let pins = slice(&clusters[c].pins);
        let mut p = 0;
        while p < pins.len() {
            let name = str_of(&pins[p].service.item);
            if let Err(m) = name_ok("pin", name) {
                return Err(m);
            }
            let addr = pins[p].addr.item;
            let at = Interval::of_addr(addr);
            // The last range starting at or before the pin is the only candidate.
            let mut lo = 0;
            let mut hi = sorted.len();
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if sorted[mid].iv.precedes(&at)
                    || sorted[mid].iv.start == at.start && sorted[mid].iv.v6 == at.v6
                {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            let own = lo > 0 && sorted[lo - 1].cluster == c && sorted[lo - 1].iv.contains(&at);
            if !own {
                let m = Msg::new().push("pin ").push(name).push(" ").addr(addr);
                return Err(m
                    .push(" is not in any pool of cluster ")
                    .push(str_of(&clusters[c].name.item)));
            }
            if let Some((dc, dp, first)) = duplicate
                && dc == c
                && dp == p
            {
                let m = Msg::new().push("pin ").push(name).push(" ").addr(addr);
                let other = &slice(&clusters[first.cluster].pins)[first.index];
                return Err(m
                    .push(" is also pinned by ")
                    .push(str_of(&other.service.item)));
            }
            p += 1;
        }
        c += 1;
    }
    Ok(())
}

/// The pin, earliest in file order, whose address an earlier pin already has,
/// with that first pin: `(cluster, index, first)`. Sorting the pins by address,
/// then file order, puts every pin sharing an address right after the first
/// one with it, so one pass over the sorted pins finds them all.
const fn first_duplicate(plan: &Plan, scratch: &mut [Item]) -> Option<(usize, usize, Item)> {
    let clusters = slice(&plan.clusters);
    let mut n = 0;
    let mut c = 0;
    while c < clusters.len() {
        let pins = slice(&clusters[c].pins);
        let mut p = 0;
        while p < pins.len() {
            scratch[n] = Item {
                iv: Interval::of_addr(pins[p].addr.item),
                cluster: c,
                index: p,
            };
            n += 1;
            p += 1;
        }
        c += 1;
    }
    sort(scratch, true);
    let mut found: Option<(usize, usize, Item)> = None;
    let mut first = 0;
    let mut i = 1;
    while i < scratch.len() {
        let (a, b) = (scratch[first], scratch[i]);
        if a.iv.start == b.iv.start && a.iv.v6 == b.iv.v6 {
            let earlier = match found {
                Some((fc, fp, _)) => b.cluster < fc || b.cluster == fc && b.index < fp,
                None => true,
            };
            if earlier {
                found = Some((b.cluster, b.index, a));
            }
        } else {
            first = i;
        }
        i += 1;
    }
    found
}

/// At least one network, none with host bits, no two sharing an address
/// (a pairwise loop: a plan has a handful of networks).
const fn networks_ok(nets: &[At<IpNet>]) -> Result<(), Msg> {
    if nets.is_empty() {
        return Err(Msg::new().push("the plan has no network"));
    }
    let mut i = 0;
    while i < nets.len() {
        if has_host_bits(nets[i].item) {
            return Err(Msg::new().push("network CIDR has host bits set"));
        }
        let mut j = 0;
        while j < i {
            if Interval::of_net(nets[i].item)
                .overlap(&Interval::of_net(nets[j].item))
                .is_some()
            {
                return Err(Msg::new().push("two networks overlap"));
            }
            j += 1;
        }
        i += 1;
    }
    Ok(())
}

/// The block's addresses and the network holding them all.
const fn range_ok(block: &Block, nets: &[At<IpNet>]) -> Result<(Interval, IpNet), Msg> {
    let iv = match block.interval() {
        Some(iv) => iv,
        None => return Err(Msg::new().push("range starts after it stops or mixes IPv4 and IPv6")),
    };
    if let Block::Cidr(n) = *block
        && has_host_bits(n)
    {
        return Err(Msg::new()
            .push("CIDR ")
            .addr(net_addr(n))
            .push("/")
            .num(net_prefix_len(n) as u128)
            .push(" has host bits set"));
    }
    let mut i = 0;
    while i < nets.len() {
        if Interval::of_net(nets[i].item).contains(&iv) {
            return Ok((iv, nets[i].item));
        }
        i += 1;
    }
    Err(interval(Msg::new().push("range "), iv).push(" is outside the network"))
}

/// Whether a pool range stays off the network and broadcast addresses of the
/// network (IPv4, /30 or larger).
const fn edges_ok(iv: Interval, net: IpNet) -> bool {
    match crate::net::network_and_broadcast(net) {
        Some((first, last)) => !iv.contains_addr(first) && !iv.contains_addr(last),
        None => true,
    }
}

const fn name_ok(what: &str, name: &str) -> Result<(), Msg> {
    let b = name.as_bytes();
    let mut ok = !b.is_empty() && b.len() <= 63 && b[0] != b'-' && b[b.len() - 1] != b'-';
    let mut i = 0;
    while ok && i < b.len() {
        ok = b[i].is_ascii_lowercase() || b[i].is_ascii_digit() || b[i] == b'-';
        i += 1;
    }
    if ok {
        Ok(())
    } else {
        Err(Msg::new()
            .push(what)
            .push(" name is not a DNS-1123 label: ")
            .shown(name))
    }
}

const fn owner(m: Msg, plan: &Plan, cluster: usize, pool: usize) -> Msg {
    let c = &slice(&plan.clusters)[cluster];
    let p: &Pool = &slice(&c.pools)[pool];
    m.push(str_of(&p.name.item))
        .push(" (")
        .push(str_of(&c.name.item))
        .push(")")
}

const fn describe(m: Msg, plan: &Plan, item: Item) -> Msg {
    if item.cluster == Item::RESERVED {
        m.push("reserved range ")
            .push(str_of(&slice(&plan.reserved)[item.index].name.item))
    } else {
        owner(m, plan, item.cluster, item.index)
    }
}

const fn interval(m: Msg, iv: Interval) -> Msg {
    let m = m.addr(iv.first());
    if iv.start == iv.stop {
        m
    } else {
        m.push("-").addr(iv.last())
    }
}

/// Heapsort (O(n log n), `sort_unstable` is not `const`) by
/// [`Interval::precedes`]; with `ties`, equal intervals by cluster and index.
const fn sort(items: &mut [Item], ties: bool) {
    let n = items.len();
    let mut start = n / 2;
    while start > 0 {
        start -= 1;
        sift_down(items, start, n, ties);
    }
    let mut end = n;
    while end > 1 {
        end -= 1;
        items.swap(0, end);
        sift_down(items, 0, end, ties);
    }
}

const fn less(a: &Item, b: &Item, ties: bool) -> bool {
    let same = a.iv.v6 == b.iv.v6 && a.iv.start == b.iv.start && a.iv.stop == b.iv.stop;
    if !ties || !same {
        return a.iv.precedes(&b.iv);
    }
    a.cluster < b.cluster || a.cluster == b.cluster && a.index < b.index
}

const fn sift_down(items: &mut [Item], mut root: usize, end: usize, ties: bool) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && less(&items[child], &items[child + 1], ties) {
            child += 1;
        }
        if less(&items[root], &items[child], ties) {
            items.swap(root, child);
            root = child;
        } else {
            return;
        }
    }
}

/// The slice behind a `Cow`, in a `const fn`.
pub const fn slice<'a, T: Clone>(c: &'a Cow<'static, [T]>) -> &'a [T] {
    match c {
        Cow::Borrowed(s) => s,
        Cow::Owned(v) => v.as_slice(),
    }
}

/// The `str` behind a `Cow`, in a `const fn`.
pub(crate) const fn str_of<'a>(c: &'a Cow<'static, str>) -> &'a str {
    match c {
        Cow::Borrowed(s) => s,
        Cow::Owned(s) => s.as_str(),
    }
}

/// A panic message built without allocation, since `format!` is not `const`.
#[derive(Clone, Copy, Debug)]
pub struct Msg {
    buf: [u8; 240],
    len: usize,
}

impl Msg {
    const fn new() -> Msg {
        Msg {
            buf: [0; 240],
            len: 0,
        }
    }

    /// Appends a string; one that does not fit whole is left out (the message
    /// is long enough for any plan with DNS-1123 names).
    const fn push(mut self, s: &str) -> Msg {
        let b = s.as_bytes();
        if self.len + b.len() > self.buf.len() {
            return self;
        }
        let mut i = 0;
        while i < b.len() {
            self.buf[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// Appends a string from the plan as the checker's messages show it: printable
    /// ASCII as is, `\\`, `\n`, `\r`, `\t`, anything else as `\u{hex}`, so a
    /// name cannot break the panic message into lines or pass for another.
    /// Stops at the first character that does not fit.
    const fn shown(mut self, s: &str) -> Msg {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let (c, len) = decode(b, i);
            let before = self.len;
            self = match c {
                0x5c => self.push("\\\\"),
                0x0a => self.push("\\n"),
                0x0d => self.push("\\r"),
                0x09 => self.push("\\t"),
                0x20..=0x7e => match std::str::from_utf8(b.split_at(i).1.split_at(1).0) {
                    Ok(one) => self.push(one),
                    Err(_) => self,
                },
                _ => self.push("\\u{").digits(c as u128, 16).push("}"),
            };
            if self.len == before {
                return self;
            }
            i += len;
        }
        self
    }

    /// Appends `n` in base `radix` (10 or 16), lowercase.
    const fn digits(self, mut n: u128, radix: u128) -> Msg {
        let mut buf = [0u8; 40];
        let mut i = buf.len();
        loop {
            i -= 1;
            let d = (n % radix) as u8;
            buf[i] = if d < 10 { b'0' + d } else { b'a' + d - 10 };
            n /= radix;
            if n == 0 {
                break;
            }
        }
        let (_, tail) = buf.split_at(i);
        match std::str::from_utf8(tail) {
            Ok(s) => self.push(s),
            Err(_) => self,
        }
    }

    const fn num(self, n: u128) -> Msg {
        self.digits(n, 10)
    }

    /// Appends an address; IPv6 without `::` compression, which `const` code can
    /// spell without a formatter.
    const fn addr(self, a: IpAddr) -> Msg {
        match a {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                self.num(o[0] as u128)
                    .push(".")
                    .num(o[1] as u128)
                    .push(".")
                    .num(o[2] as u128)
                    .push(".")
                    .num(o[3] as u128)
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                let mut m = self;
                let mut i = 0;
                while i < 8 {
                    if i > 0 {
                        m = m.push(":");
                    }
                    m = m.digits(s[i] as u128, 16);
                    i += 1;
                }
                m
            }
        }
    }

    /// The message text.
    pub const fn as_str(&self) -> &str {
        let (used, _) = self.buf.split_at(self.len);
        match std::str::from_utf8(used) {
            Ok(s) => s,
            Err(_) => "invalid plan",
        }
    }
}

/// The code point starting at byte `i` of valid UTF-8, and its length in bytes.
const fn decode(b: &[u8], i: usize) -> (u32, usize) {
    let lead = b[i] as u32;
    let (len, mut c) = match lead {
        0..=0x7f => return (lead, 1),
        0xc0..=0xdf => (2, lead & 0x1f),
        0xe0..=0xef => (3, lead & 0x0f),
        _ => (4, lead & 0x07),
    };
    let mut k = 1;
    while k < len && i + k < b.len() {
        c = (c << 6) | (b[i + k] as u32 & 0x3f);
        k += 1;
    }
    (c, len)
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
