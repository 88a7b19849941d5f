//! The seed's infra Gateway bug: pinned to .120, the apps pool's first address.

#[path = "../support.rs"]
#[macro_use]
mod support;

use lbipam_core::plan::Plan;
use support::{ip, range};

const PLAN: Plan = plan!(
    reserved: [],
    clusters: [
        cluster!("infra", "infra-pool", [range(ip(11, 100), ip(11, 119))], [("gateway", ip(11, 120))]),
        cluster!("apps", "apps-pool", [range(ip(11, 120), ip(11, 139))], []),
    ],
);

lbipam_core::assert_plan!(PLAN);

fn main() {}
