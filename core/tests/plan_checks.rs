//! One test per check of plan.toml: each feeds a small plan and asserts the
//! message and the `plan.toml:line:col` it points at.

use lbipam_core::check::compile;
use lbipam_core::diag::Report;

/// The errors of a plan as `plan.toml:line:col: message` lines.
fn errors(plan: &str) -> Vec<String> {
    match compile(plan) {
        Ok(_) => Vec::new(),
        Err(e) => Report::new("plan.toml", plan, e).lines(),
    }
}

/// A valid two-cluster plan; tests edit one line of it.
const SEED: &str = r#"[network]
cidr = "10.25.11.0/24"

[reserved]
bgp-router = { range = "10.25.11.1", note = "BGP router" }
static-infra = { range = "10.25.11.2-10.25.11.99" }

[clusters.infra.pools.infra-pool]
blocks = ["10.25.11.100-10.25.11.119"]

[clusters.infra.pins]
clustermesh-apiserver = "10.25.11.100"
gateway = "10.25.11.110"

[clusters.apps.pools.apps-pool]
blocks = ["10.25.11.120-10.25.11.139"]

[clusters.apps.pins]
clustermesh-apiserver = "10.25.11.120"
gateway = "10.25.11.121"
"#;

fn seed_with(from: &str, to: &str) -> String {
    assert!(
        SEED.contains(from),
        "test edits a line the seed has: {from}"
    );
    SEED.replacen(from, to, 1)
}

#[test]
fn the_seed_plan_is_valid() {
    assert_eq!(errors(SEED), Vec::<String>::new());
}

#[test]
fn toml_syntax_error_points_at_the_line() {
    let e = errors(&seed_with(
        "gateway = \"10.25.11.110\"",
        "gateway = \"10.25.11.110",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("plan.toml:13:"), "{e:?}");
    assert!(e[0].contains("invalid TOML"), "{e:?}");
}

#[test]
fn unknown_keys_are_all_reported_with_what_was_expected() {
    let plan = seed_with(
        "blocks = [\"10.25.11.100-10.25.11.119\"]",
        "blokcs = [\"10.25.11.100-10.25.11.119\"]",
    )
    .replacen("[network]\ncidr", "[network]\ncird = \"x\"\ncidr", 1);
    let e = errors(&plan);
    assert!(
        e.contains(
            &"plan.toml:2:1: unknown key `cird` in [network] (expected one of: cidr)".to_owned()
        ),
        "{e:?}"
    );
    assert!(
        e.contains(
            &"plan.toml:10:1: unknown key `blokcs` in [clusters.infra.pools.infra-pool] (expected one of: blocks, note, allow-first-last-ips, service-selector)"
                .to_owned()
        ),
        "{e:?}"
    );
}

#[test]
fn wrong_type_names_the_key_and_both_types() {
    let e = errors(&seed_with("gateway = \"10.25.11.110\"", "gateway = 110"));
    assert_eq!(
        e,
        ["plan.toml:13:11: `clusters.infra.pins.gateway` must be a string, found an integer"]
    );
}

#[test]
fn unparsable_address_range_and_cidr_are_reported_with_the_value() {
    let plan = seed_with(
        "blocks = [\"10.25.11.120-10.25.11.139\"]",
        "blocks = [\"10.25.11.120-10.25.11.300\", \"10.25.11.0/33\", \"ten\"]",
    );
    let e = errors(&plan);
    assert_eq!(
        e,
        [
            "plan.toml:16:11: invalid block `10.25.11.120-10.25.11.300`: range stop `10.25.11.300` is not an IP address",
            "plan.toml:16:40: invalid block `10.25.11.0/33`: not a CIDR like 10.25.11.0/24",
            "plan.toml:16:57: invalid block `ten`: not an address, a range A-B or a CIDR",
        ]
    );
}

#[test]
fn range_that_starts_after_it_stops_is_rejected() {
    let e = errors(&seed_with(
        "10.25.11.120-10.25.11.139",
        "10.25.11.139-10.25.11.120",
    ));
    assert_eq!(
        e,
        ["plan.toml:16:11: range `10.25.11.139-10.25.11.120` starts after it stops"]
    );
}

#[test]
fn cidr_with_host_bits_is_rejected_with_the_intended_prefix() {
    let e = errors(&seed_with(
        "\"10.25.11.120-10.25.11.139\"",
        "\"10.25.11.130/27\"",
    ));
    assert!(
        e.contains(&"plan.toml:16:11: CIDR `10.25.11.130/27` has host bits set; did you mean `10.25.11.128/27`?".to_owned()),
        "{e:?}"
    );
}

#[test]
fn ipv6_block_in_an_ipv4_network_is_rejected() {
    let e = errors(&seed_with(
        "\"10.25.11.120-10.25.11.139\"",
        "\"10.25.11.120-10.25.11.139\", \"fd00::/120\"",
    ));
    assert_eq!(
        e,
        ["plan.toml:16:40: `fd00::/120` mixes IPv4 and IPv6 (network is 10.25.11.0/24)"]
    );
}

#[test]
fn range_from_ipv4_to_ipv6_is_rejected() {
    let e = errors(&seed_with(
        "10.25.11.120-10.25.11.139",
        "10.25.11.120-fd00::1",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("plan.toml:16:11: `10.25.11.120-fd00::1` mixes IPv4 and IPv6"),
        "{e:?}"
    );
}

#[test]
fn block_reserved_range_and_pin_outside_the_network_are_rejected() {
    let plan = seed_with(
        "\"10.25.11.120-10.25.11.139\"",
        "\"10.25.11.120-10.25.12.3\"",
    )
    .replacen("\"10.25.11.1\"", "\"10.25.10.1\"", 1)
    .replacen(
        "gateway = \"10.25.11.121\"",
        "gateway = \"10.25.12.100\"",
        1,
    );
    let e = errors(&plan);
    assert!(e.contains(&"plan.toml:5:24: reserved range bgp-router `10.25.10.1` is outside network 10.25.11.0/24".to_owned()), "{e:?}");
    assert!(e.contains(&"plan.toml:16:11: block of apps-pool (apps) `10.25.11.120-10.25.12.3` is outside network 10.25.11.0/24".to_owned()), "{e:?}");
    assert!(
        e.contains(
            &"plan.toml:20:11: pin gateway (apps) `10.25.12.100` is outside network 10.25.11.0/24"
                .to_owned()
        ),
        "{e:?}"
    );
}

#[test]
fn overlap_across_clusters_names_both_owners_and_the_shared_addresses() {
    let e = errors(&seed_with(
        "10.25.11.120-10.25.11.139",
        "10.25.11.119-10.25.11.139",
    ));
    assert_eq!(
        e,
        [
            "plan.toml:16:11: apps-pool (apps) 10.25.11.119-10.25.11.139 overlaps infra-pool (infra) at 10.25.11.119"
        ]
    );
}

#[test]
fn overlap_with_a_reserved_range_is_rejected() {
    let e = errors(&seed_with(
        "10.25.11.100-10.25.11.119",
        "10.25.11.90-10.25.11.119",
    ));
    assert!(
        e.contains(&"plan.toml:9:11: infra-pool (infra) 10.25.11.90-10.25.11.119 overlaps reserved range static-infra at 10.25.11.90-10.25.11.99".to_owned()),
        "{e:?}"
    );
}

#[test]
fn overlap_inside_one_pool_and_between_pools_of_one_cluster_is_rejected() {
    let plan = seed_with(
        "blocks = [\"10.25.11.100-10.25.11.119\"]",
        "blocks = [\"10.25.11.100-10.25.11.119\", \"10.25.11.104/30\"]\n\n[clusters.infra.pools.extra]\nblocks = [\"10.25.11.119\"]",
    );
    let e = errors(&plan);
    assert!(e.contains(&"plan.toml:9:40: infra-pool (infra) 10.25.11.104-10.25.11.107 overlaps infra-pool (infra) at 10.25.11.104-10.25.11.107".to_owned()), "{e:?}");
    assert!(e.contains(&"plan.toml:12:11: extra (infra) 10.25.11.119 overlaps infra-pool (infra) at 10.25.11.119".to_owned()), "{e:?}");
}

#[test]
fn touching_ranges_do_not_overlap() {
    // Up to the last address but the broadcast address, which no pool may hold.
    let plan = seed_with("10.25.11.120-10.25.11.139", "10.25.11.120-10.25.11.254");
    assert_eq!(errors(&plan), Vec::<String>::new());
}

#[test]
fn pin_outside_its_own_clusters_pools_names_who_holds_the_address() {
    let plan = seed_with("gateway = \"10.25.11.110\"", "gateway = \"10.25.11.120\"").replacen(
        "gateway = \"10.25.11.121\"",
        "gateway = \"10.25.11.200\"",
        1,
    );
    let e = errors(&plan);
    assert!(e.contains(&"plan.toml:13:11: pin gateway (infra) 10.25.11.120 is not in any pool of cluster infra; it belongs to apps-pool (apps)".to_owned()), "{e:?}");
    assert!(
        e.contains(
            &"plan.toml:20:11: pin gateway (apps) 10.25.11.200 is not in any pool of cluster apps"
                .to_owned()
        ),
        "{e:?}"
    );
}

#[test]
fn two_pins_on_one_address_are_rejected() {
    let e = errors(&seed_with(
        "gateway = \"10.25.11.110\"",
        "gateway = \"10.25.11.100\"",
    ));
    assert_eq!(
        e,
        [
            "plan.toml:13:11: pin gateway (infra) 10.25.11.100 is also pinned by clustermesh-apiserver (infra)"
        ]
    );
}

#[test]
fn names_that_are_not_dns1123_labels_are_rejected() {
    for (name, reason) in [
        (
            "\"../x\"",
            "only lowercase letters a-z, digits and '-' are allowed",
        ),
        (
            "A",
            "only lowercase letters a-z, digits and '-' are allowed",
        ),
        (
            "a_b",
            "only lowercase letters a-z, digits and '-' are allowed",
        ),
        ("\"\"", "it is empty"),
        ("-a", "it must start and end with a letter or digit"),
        (&"a".repeat(64), "it is longer than 63 characters"),
    ] {
        let plan = SEED.replace("clusters.apps.", &format!("clusters.{name}."));
        let e = errors(&plan);
        let shown = name.trim_matches('"');
        assert!(
            e.iter().any(|l| l.starts_with("plan.toml:15:11: ")
                && l.ends_with(&format!(
                    "cluster name `{shown}` is not a DNS-1123 label: {reason}"
                ))),
            "{name}: {e:?}"
        );
    }
    let e = errors(&seed_with(
        "[clusters.infra.pools.infra-pool]",
        "[clusters.infra.pools.Infra_Pool]",
    ));
    assert!(
        e.iter()
            .any(|l| l.contains("pool name `Infra_Pool` is not a DNS-1123 label")),
        "{e:?}"
    );
}

#[test]
fn cluster_without_pool_and_pool_without_block_are_rejected() {
    let plan = seed_with("blocks = [\"10.25.11.100-10.25.11.119\"]", "blocks = []")
        .replacen(
            "[clusters.apps.pools.apps-pool]\nblocks = [\"10.25.11.120-10.25.11.139\"]\n",
            "",
            1,
        )
        .replacen(
            "clustermesh-apiserver = \"10.25.11.120\"\ngateway = \"10.25.11.121\"\n",
            "",
            1,
        );
    let e = errors(&plan);
    assert!(
        e.contains(&"plan.toml:8:23: pool infra-pool (infra) has no block".to_owned()),
        "{e:?}"
    );
    assert!(
        e.contains(&"plan.toml:16:11: cluster apps has no pool".to_owned()),
        "{e:?}"
    );
}

#[test]
fn whole_ipv6_space_is_checked_without_overflow() {
    let plan = "[network]\ncidr = \"::/0\"\n\n[clusters.a.pools.p]\nblocks = [\"::/0\"]\n\n[clusters.b.pools.q]\nblocks = [\"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\"]\n";
    let e = errors(plan);
    assert_eq!(
        e,
        [
            "plan.toml:8:11: q (b) ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff overlaps p (a) at ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        ]
    );
}

#[test]
fn every_error_is_reported_in_one_run() {
    let plan = seed_with("10.25.11.120-10.25.11.139", "10.25.11.119-10.25.11.139")
        .replacen("gateway = \"10.25.11.110\"", "gateway = \"10.25.11.99\"", 1)
        .replacen("[network]\n", "[network]\ncolour = \"blue\"\n", 1);
    assert_eq!(errors(&plan).len(), 3, "{:?}", errors(&plan));
}

#[test]
fn two_services_on_one_helm_values_path_are_rejected() {
    let plan = format!(
        "{SEED}\n[services.clustermesh-apiserver]\nhelm-service = \"clustermesh.apiserver.service\"\n\n[services.gateway]\nhelm-service = \"clustermesh.apiserver.service\"\n"
    );
    assert_eq!(
        errors(&plan),
        [
            "plan.toml:26:16: Helm values path `clustermesh.apiserver.service` is written by two services"
        ]
    );
}

/// A plan whose one pool is the whole /24 as a single `cidr:` block, with
/// `allow-first-last-ips` as given (`None`: not written, Cilium's default).
fn whole_network_pool(allow_first_last: Option<bool>) -> String {
    let setting =
        allow_first_last.map_or(String::new(), |a| format!("allow-first-last-ips = {a}\n"));
    format!(
        "[network]\ncidr = \"10.25.11.0/24\"\n\n[clusters.infra.pools.infra-pool]\nblocks = [\"10.25.11.0/24\"]\n{setting}"
    )
}

#[test]
fn a_cidr_block_of_the_whole_network_passes_when_its_pool_withholds_first_and_last() {
    // Cilium never hands out a CIDR block's first and last address when the pool
    // says `allowFirstLastIPs: "No"`: here they are .0 and .255, the network's ends.
    let text = whole_network_pool(Some(false));
    assert_eq!(errors(&text), Vec::<String>::new());
    // The compile-time proof agrees, and refuses the same block handed out whole.
    let proof = |text: &str| {
        let plan = compile(text)
            .or_else(|_| lbipam_core::plan::parse(text))
            .expect("parses");
        let mut scratch =
            vec![lbipam_core::proof::Item::EMPTY; lbipam_core::proof::scratch_len(&plan)];
        lbipam_core::proof::validate(&plan, &mut scratch).map_err(|m| m.to_string())
    };
    assert_eq!(proof(&text), Ok(()));
    let refused = proof(&whole_network_pool(Some(true))).expect_err("ends handed out");
    assert!(refused.contains("network or broadcast"), "{refused}");
}

#[test]
fn a_cidr_block_of_the_whole_network_names_the_setting_that_decides_when_its_pool_hands_ends_out() {
    for allow in [None, Some(true)] {
        let e = errors(&whole_network_pool(allow));
        assert_eq!(e.len(), 2, "{e:?}");
        for (line, which) in e
            .iter()
            .zip(["10.25.11.0, the network", "10.25.11.255, the broadcast"])
        {
            assert!(line.starts_with("plan.toml:5:11: "), "{line}");
            assert!(line.contains(which), "{line}");
            assert!(
                line.contains("set `allow-first-last-ips = false` on the pool"),
                "{line}"
            );
        }
    }
}

#[test]
fn a_range_block_holding_the_network_address_fails_whatever_its_pool_allows() {
    // Only `cidr:` blocks have their ends withheld; a range hands out every address.
    let plan =
        whole_network_pool(Some(false)).replace("10.25.11.0/24\"]", "10.25.11.0-10.25.11.9\"]");
    let e = errors(&plan);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("holds 10.25.11.0, the network address"),
        "{e:?}"
    );
    assert!(e[0].contains("leave it out of the range"), "{e:?}");
}

/// The example of README.md ("What an error looks like"), from a plan with the
/// two blocks on the same lines 13 and 20.
#[test]
fn an_overlap_renders_as_in_the_readme_with_both_blocks_in_one_excerpt() {
    let plan = "[network]\ncidr = \"10.25.11.0/24\"\n\n[reserved]\n\
        bgp-router = { range = \"10.25.11.1\" }\n\
        static-infra = { range = \"10.25.11.2-10.25.11.99\" }\n\n\
        [clusters.infra.pins]\nclustermesh-apiserver = \"10.25.11.100\"\n\
        gateway = \"10.25.11.110\"\n\n[clusters.infra.pools.infra-pool]\n\
        blocks = [\"10.25.11.100-10.25.11.119\"]\n\n[clusters.apps.pins]\n\
        clustermesh-apiserver = \"10.25.11.120\"\ngateway = \"10.25.11.121\"\n\n\
        [clusters.apps.pools.apps-pool]\nblocks = [\"10.25.11.119-10.25.11.139\"]\n";
    let errors = compile(plan).expect_err("overlap");
    let want = "\
error: apps-pool (apps) 10.25.11.119-10.25.11.139 overlaps infra-pool (infra) at 10.25.11.119
  --> plan.toml:20:11
   |
13 | blocks = [\"10.25.11.100-10.25.11.119\"]
   |           --------------------------- overlapped range
...
20 | blocks = [\"10.25.11.119-10.25.11.139\"]
   |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^ overlap

error: 1 error in the plan or the files it manages; nothing was written
";
    assert_eq!(Report::new("plan.toml", plan, errors).render(), want);
}
