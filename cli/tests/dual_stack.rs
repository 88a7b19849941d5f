//! `lbipam report`, `next-free` and `explain` on a plan of two networks, one of
//! each family, whose pool holds blocks of both; numbers worked out by hand.

mod common;

use common::{assert_ok, lbipam, plan_only};

/// 10.0.0.0/29 (8 addresses, .0 and .7 unusable) and fd00::/120 (256, no
/// broadcast); pool p holds .2-.3 and fd00::10-fd00::13, x pinned on fd00::10.
const DUAL: &str = r#"[network]
cidr = ["10.0.0.0/29", "fd00::/120"]

[reserved]
gw6 = { range = "fd00::1" }

[clusters.a.pools.p]
blocks = ["10.0.0.2-10.0.0.3", "fd00::10-fd00::13"]

[clusters.a.pins]
x = "fd00::10"

[flux]
depends-on = []
"#;

#[test]
fn report_has_one_line_per_network_ipv4_first() {
    let dir = plan_only(DUAL);
    let out = lbipam(dir.path(), &["report"]);
    // IPv4: 8 - 2 in the pool - 2 edges = 4 free (.1, .4-.6), 50.0 % allocated.
    // IPv6: 256 - 1 reserved - 4 in the pool = 251 free, 5/256 = 2.0 %.
    let lines: Vec<&str> = out.stdout.lines().take(2).collect();
    assert_eq!(
        lines,
        [
            "Network 10.0.0.0/29: 8 addresses; 0 reserved, 2 network/broadcast, 2 in pools (0 pinned), 4 free; 50.0% allocated",
            "Network fd00::/120: 256 addresses; 1 reserved, 4 in pools (1 pinned), 251 free; 2.0% allocated",
        ],
        "{out:?}"
    );
    assert!(
        out.stdout.contains("fd00::14-fd00::ff"),
        "the IPv6 free range is listed: {}",
        out.stdout
    );
}

#[test]
fn report_json_lists_every_network_and_keeps_network_for_one() {
    let dir = plan_only(DUAL);
    let out = lbipam(dir.path(), &["report", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["networks"][1]["cidr"], "fd00::/120");
    assert_eq!(v["networks"][1]["free"], 251);
    assert!(
        v.get("network").is_none(),
        "two networks: no single `network`"
    );
    let one = plan_only(
        &DUAL
            .replace(
                r#"cidr = ["10.0.0.0/29", "fd00::/120"]"#,
                r#"cidr = "fd00::/120""#,
            )
            .replace(r#""10.0.0.2-10.0.0.3", "#, ""),
    );
    let out = lbipam(one.path(), &["report", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["network"], v["networks"][0], "{}", out.stdout);
}

#[test]
fn next_free_walks_the_pool_in_address_order_across_families() {
    let dir = plan_only(DUAL);
    assert_ok(
        &lbipam(dir.path(), &["next-free", "a", "--count", "4"]),
        "10.0.0.2\n10.0.0.3\nfd00::11\nfd00::12\n",
    );
}

#[test]
fn explain_an_ipv6_address_and_one_outside_every_network() {
    let dir = plan_only(DUAL);
    let out = lbipam(dir.path(), &["explain", "fd00::12"]);
    assert!(out.stdout.starts_with("fd00::12: "), "{out:?}");
    assert!(out.stdout.contains("pool p"), "{out:?}");
    let out = lbipam(dir.path(), &["explain", "fd01::1"]);
    assert_eq!(
        out.stderr,
        "error: fd01::1 is outside network 10.0.0.0/29 or fd00::/120\n"
    );
}
