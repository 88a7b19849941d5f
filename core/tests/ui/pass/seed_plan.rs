//! The seed plan, written by hand as constants: it compiles.

#[path = "../support.rs"]
#[macro_use]
mod support;

use lbipam_core::plan::Plan;
use support::{ip, range};

const PLAN: Plan = plan!(
    reserved: [
        reserved!("bgp-router", range(ip(11, 1), ip(11, 1))),
        reserved!("static-infra", range(ip(11, 2), ip(11, 99))),
    ],
    clusters: [
        cluster!(
            "infra",
            "infra-pool",
            [range(ip(11, 100), ip(11, 119))],
            [("clustermesh-apiserver", ip(11, 100)), ("gateway", ip(11, 110))]
        ),
        cluster!(
            "apps",
            "apps-pool",
            [range(ip(11, 120), ip(11, 139))],
            [("clustermesh-apiserver", ip(11, 120)), ("gateway", ip(11, 121))]
        ),
    ],
);

lbipam_core::assert_plan!(PLAN);

fn main() {}
