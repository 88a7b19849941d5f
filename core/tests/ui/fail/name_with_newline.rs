//! A pin name holding a line break: the panic message shows it escaped, on one line.

#[path = "../support.rs"]
#[macro_use]
mod support;

use lbipam_core::plan::Plan;
use support::{ip, range};

const PLAN: Plan = plan!(
    reserved: [],
    clusters: [cluster!("apps", "apps-pool", [range(ip(11, 120), ip(11, 139))], [("gateway\nevil: true", ip(11, 121))])],
);

lbipam_core::assert_plan!(PLAN);

fn main() {}
