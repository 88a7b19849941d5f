//! Two pins of one cluster on one address, with another pin between them.

#[path = "../support.rs"]
#[macro_use]
mod support;

use lbipam_core::plan::Plan;
use support::{ip, range};

const PLAN: Plan = plan!(
    reserved: [],
    clusters: [cluster!(
        "apps",
        "apps-pool",
        [range(ip(11, 120), ip(11, 139))],
        [("clustermesh-apiserver", ip(11, 120)), ("gateway", ip(11, 121)), ("dns", ip(11, 120))]
    )],
);

lbipam_core::assert_plan!(PLAN);

fn main() {}
