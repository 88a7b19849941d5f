//! The seed's infra Gateway bug: pinned to .120, the apps pool's first address.

use std::borrow::Cow::Borrowed as B;
use std::net::{IpAddr, Ipv4Addr};

use lbipam_plan::ipnet::IpNet;
use lbipam_plan::net::Block;
use lbipam_plan::plan::{At, Cilium, Cluster, Flux, Pin, Plan, Pool};

const fn ip(c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 25, c, d))
}

const fn range(a: IpAddr, b: IpAddr) -> At<Block> {
    At::new(Block::Range { start: a, stop: b })
}

const PLAN: Plan = Plan {
    network: At::new(IpNet::new_assert(ip(11, 0), 24)),
    reserved: B(&[]),
    clusters: B(&[
        Cluster {
            name: At::new(B("infra")),
            pools: B(&[Pool {
                name: At::new(B("infra-pool")),
                blocks: B(&[range(ip(11, 100), ip(11, 119))]),
                note: None,
            }]),
            pins: B(&[Pin {
                service: At::new(B("gateway")),
                addr: At::new(ip(11, 120)),
            }]),
        },
        Cluster {
            name: At::new(B("apps")),
            pools: B(&[Pool {
                name: At::new(B("apps-pool")),
                blocks: B(&[range(ip(11, 120), ip(11, 139))]),
                note: None,
            }]),
            pins: B(&[]),
        },
    ]),
    cilium: Cilium::DEFAULT,
    services: B(&[]),
    flux: Flux::DEFAULT,
};

lbipam_plan::assert_plan!(PLAN);

fn main() {}
