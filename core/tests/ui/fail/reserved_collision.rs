//! A pool that reaches down into the static-infrastructure range.

#[path = "../support.rs"]
#[macro_use]
mod support;

use lbipam_core::plan::Plan;
use support::{ip, range};

const PLAN: Plan = plan!(
    reserved: [reserved!("static-infra", range(ip(11, 2), ip(11, 99)))],
    clusters: [cluster!("infra", "infra-pool", [range(ip(11, 90), ip(11, 119))], [])],
);

lbipam_core::assert_plan!(PLAN);

fn main() {}
