//! Shared by the trybuild cases: a terse way to write a plan as constants, the
//! way the generated `plan.rs` does (struct literals, so `const` evaluation can
//! see that nothing needs dropping).

use std::net::{IpAddr, Ipv4Addr};

use lbipam_core::net::Block;
use lbipam_core::plan::At;

/// `10.25.C.D`.
pub const fn ip(c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 25, c, d))
}

/// An inclusive range block.
pub const fn range(a: IpAddr, b: IpAddr) -> At<Block> {
    At::new(Block::Range { start: a, stop: b })
}

/// A plan on 10.25.11.0/24 with default `[cilium]`, `[services]` and `[flux]`.
#[macro_export]
macro_rules! plan {
    (reserved: [$($reserved:expr),* $(,)?], clusters: [$($cluster:expr),* $(,)?] $(,)?) => {
        ::lbipam_core::plan::Plan {
            networks: ::std::borrow::Cow::Borrowed(&[::lbipam_core::plan::At::new(::lbipam_core::ipnet::IpNet::new_assert(support::ip(11, 0), 24))]),
            reserved: ::std::borrow::Cow::Borrowed(&[$($reserved),*]),
            clusters: ::std::borrow::Cow::Borrowed(&[$($cluster),*]),
            cilium: ::lbipam_core::plan::Cilium::DEFAULT,
            services: ::std::borrow::Cow::Borrowed(&[]),
            flux: ::lbipam_core::plan::Flux::DEFAULT,
            layout: ::lbipam_core::plan::Layout::DEFAULT,
            audit: ::lbipam_core::plan::AuditOptions::DEFAULT,
        }
    };
}

/// A cluster with one pool and some pins: `cluster!("infra", "infra-pool", [blocks], [("svc", ip)])`.
#[macro_export]
macro_rules! cluster {
    ($name:literal, $pool:literal, [$($block:expr),* $(,)?], [$(($svc:literal, $addr:expr)),* $(,)?]) => {
        ::lbipam_core::plan::Cluster {
            name: ::lbipam_core::plan::At::new(::std::borrow::Cow::Borrowed($name)),
            pools: ::std::borrow::Cow::Borrowed(&[::lbipam_core::plan::Pool {
                name: ::lbipam_core::plan::At::new(::std::borrow::Cow::Borrowed($pool)),
                blocks: ::std::borrow::Cow::Borrowed(&[$($block),*]),
                note: None,
                allow_first_last_ips: None,
                service_selector: None,
            }]),
            pins: ::std::borrow::Cow::Borrowed(&[$(::lbipam_core::plan::Pin {
                service: ::lbipam_core::plan::At::new(::std::borrow::Cow::Borrowed($svc)),
                addr: ::lbipam_core::plan::At::new($addr),
                pool: None,
            }),*]),
            advertise: ::lbipam_core::plan::Advertise::NONE,
        }
    };
}

/// A reserved range: `reserved!("static-infra", block)`.
#[macro_export]
macro_rules! reserved {
    ($name:literal, $range:expr) => {
        ::lbipam_core::plan::Reserved {
            name: ::lbipam_core::plan::At::new(::std::borrow::Cow::Borrowed($name)),
            range: $range,
            note: None,
        }
    };
}
