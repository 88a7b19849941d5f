//! A block that runs past the /24 into 10.25.12.x.

#[path = "../support.rs"]
#[macro_use]
mod support;

use lbipam_core::plan::Plan;
use support::{ip, range};

const PLAN: Plan = plan!(
    reserved: [],
    clusters: [cluster!("apps", "apps-pool", [range(ip(11, 120), ip(12, 5))], [])],
);

lbipam_core::assert_plan!(PLAN);

fn main() {}
