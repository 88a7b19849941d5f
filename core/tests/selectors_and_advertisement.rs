//! Sub-pools by serviceSelector, BGP and L2 advertisement and the Cilium
//! version's rules, on the seed opted in to them
//! (`tests/fixtures/beyond/plan.toml`: two selecting pools per cluster, BGP on
//! infra, L2 on apps, a dual-stack network with an IPv6 block on infra) and on
//! small edits of it.

mod common;

use std::path::Path;
use std::process::Command;

use common::{beyond_repo, builds_twice, crate_dir, edit, read, unbuilt_beyond};
use lbipam_core::check::compile;
use lbipam_core::{Mode, build_with};

const IPAM: &str = "kubernetes/infrastructure/networking/cilium/ipam";

/// `kubectl kustomize` of each IPAM dir of the opted-in fixture, committed
/// (made with kubectl v1.32.4, kustomize v5.5.0, on the fixture's build).
fn kustomized(cluster: &str) -> String {
    std::fs::read_to_string(
        crate_dir().join(format!("tests/fixtures/beyond/kustomized/{cluster}.yaml")),
    )
    .expect("committed kubectl output")
}

/// The objects of a multi-document YAML text, each as a value, sorted by kind
/// and name (kustomize sorts by kind; the build lists files in plan order).
fn objects(text: &str) -> Vec<yaml_serde::Value> {
    let mut out: Vec<yaml_serde::Value> = text
        .split("\n---\n")
        .filter_map(|d| yaml_serde::from_str::<yaml_serde::Value>(d).ok())
        .filter(|v| !v.is_null())
        .collect();
    out.sort_by_key(|v| {
        (
            v["kind"].as_str().unwrap_or("").to_owned(),
            v["metadata"]["name"].as_str().unwrap_or("").to_owned(),
        )
    });
    out
}

#[test]
fn the_opted_in_fixture_builds_and_a_second_build_changes_nothing() {
    let repo = unbuilt_beyond();
    builds_twice(repo.path());
    let out = tempfile::tempdir().expect("out");
    build_with(repo.path(), out.path(), Mode::Check)
        .unwrap_or_else(|r| panic!("check mode on a fresh build: {r}"));
}

#[test]
fn what_each_cluster_applies_from_its_ipam_dir_is_what_kubectl_kustomize_builds() {
    let repo = beyond_repo();
    let plan = lbipam_core::generate::load(repo.path()).expect("plan");
    let tree = lbipam_core::tree::Tree::disk(repo.path());
    for cluster in ["infra", "apps"] {
        let build =
            lbipam_core::flux::entry::resolve_cluster(&tree, &plan, cluster).expect("resolves");
        let applied = build.applied("cilium-ipam").expect("cilium-ipam");
        let ours: Vec<yaml_serde::Value> = {
            let mut v: Vec<yaml_serde::Value> =
                applied.objects.iter().map(|o| (*o.value).clone()).collect();
            v.sort_by_key(|v| {
                (
                    v["kind"].as_str().unwrap_or("").to_owned(),
                    v["metadata"]["name"].as_str().unwrap_or("").to_owned(),
                )
            });
            v
        };
        assert_eq!(ours, objects(&kustomized(cluster)), "{cluster}");
    }
}

/// Where kubectl is installed, the committed output is what it builds today.
#[test]
fn the_committed_kubectl_output_is_what_kubectl_kustomize_builds_where_kubectl_is_installed() {
    let repo = beyond_repo();
    for cluster in ["infra", "apps"] {
        let dir = repo.path().join(IPAM).join(cluster);
        let Ok(out) = Command::new("kubectl").arg("kustomize").arg(&dir).output() else {
            eprintln!("kubectl is not installed: the committed output stands");
            return;
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            kustomized(cluster),
            "{cluster}"
        );
    }
}

#[test]
fn the_advertisement_and_the_l2_policy_are_listed_in_their_clusters_kustomization() {
    let repo = beyond_repo();
    let infra = read(repo.path(), &format!("{IPAM}/infra/kustomization.yaml"));
    assert!(
        infra.ends_with("resources:\n- lb-ippool-infra.yaml\n- advertisement.bgp.yaml\n"),
        "{infra}"
    );
    let apps = read(repo.path(), &format!("{IPAM}/apps/kustomization.yaml"));
    assert!(
        apps.ends_with("resources:\n- lb-ippool-apps.yaml\n- announcement.l2.yaml\n"),
        "{apps}"
    );
}

#[test]
fn a_cluster_that_stops_advertising_loses_its_generated_advertisement() {
    let repo = beyond_repo();
    let plan = repo.path().join("plan.toml");
    edit(&plan, "advertise = \"bgp\"\n", "");
    edit(
        &plan,
        "[clusters.infra.bgp]\npeer-address = \"10.25.11.1\"\npeer-asn = 64501\nadvertise-labels = { advertise = \"bgp\" }\n",
        "",
    );
    builds_twice(repo.path());
    assert!(
        !repo
            .path()
            .join(IPAM)
            .join("infra/advertisement.bgp.yaml")
            .exists()
    );
    let infra = read(repo.path(), &format!("{IPAM}/infra/kustomization.yaml"));
    assert!(!infra.contains("advertisement"), "{infra}");
}

#[test]
fn the_docs_say_which_services_each_pool_serves_and_how_addresses_are_advertised() {
    let repo = beyond_repo();
    let summary = read(repo.path(), "docs/IP-ALLOCATION-SUMMARY.md");
    for line in [
        "Networks `10.25.11.0/24` (256 addresses) and `fd00:10:25:11::/64` (18446744073709551616 addresses), shared by every cluster.",
        "| infra-pool | `10.25.11.100-10.25.11.109`, `fd00:10:25:11::100/124` | 26 |",
        "- Pool infra-gateway serves only Services matching `io.kubernetes.service.namespace=gateway`.",
        "- Advertised over BGP to peer `10.25.11.1` (ASN 64501) by CiliumBGPAdvertisement `infra-lb-ips` (labels `advertise=bgp`, which the cluster's CiliumBGPPeerConfig selects); Services: all.",
        "- **No default pool:** every pool of cluster apps has a service-selector: a LoadBalancer Service that none of them matches gets no address (Cilium leaves it pending, no\\_pool).",
        "- Announced by L2 (ARP) by CiliumL2AnnouncementPolicy `apps-lb-ips` on interfaces `^eth[0-9]+$`, `^enp[0-9]+s[0-9]+$`, from nodes `node-role.kubernetes.io/control-plane DoesNotExist`; Services: all.",
    ] {
        assert!(summary.contains(line), "missing {line}\n{summary}");
    }
    assert!(
        !summary.contains("No default pool:** every pool of cluster infra"),
        "infra has a pool without selector"
    );
}

/// The build's error lines for the fixture's repository with `edits` applied
/// to the file `path`.
fn errors_after(path: &str, edits: &[(&str, &str)]) -> Vec<String> {
    let repo = unbuilt_beyond();
    for (from, to) in edits {
        edit(&repo.path().join(path), from, to);
    }
    let out = tempfile::tempdir().expect("out");
    match build_with(repo.path(), out.path(), Mode::Write) {
        Ok(_) => Vec::new(),
        Err(report) => report.lines(),
    }
}

#[test]
fn an_advertising_cluster_whose_helm_values_lack_the_feature_fails_naming_the_file_and_key() {
    let values = "bootstrap/clusters/apps/cilium-values.yaml";
    let lines = errors_after(values, &[("l2announcements:\n  enabled: true\n", "")]);
    assert_eq!(
        lines,
        [format!(
            "{values}:1:1: {values}: `l2announcements.enabled` is not true, but cluster apps has advertise = \"l2\" in plan.toml: the build writes a CiliumL2AnnouncementPolicy, which needs L2 announcements and the kube-proxy replacement; set `l2announcements.enabled: true` in {values} (or change advertise)"
        )]
    );
    let lines = errors_after(
        values,
        &[("kubeProxyReplacement: true", "kubeProxyReplacement: false")],
    );
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!(
            "{values}:11:1: {values}: `kubeProxyReplacement` is not true"
        )),
        "{lines:?}"
    );
    let infra = "bootstrap/clusters/infra/cilium-values.yaml";
    let lines = errors_after(
        infra,
        &[(
            "bgpControlPlane:\n  enabled: true",
            "bgpControlPlane:\n  enabled: false",
        )],
    );
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with(&format!("{infra}:13:1: {infra}: `bgpControlPlane.enabled` is not true, but cluster infra has advertise = \"bgp\"")), "{lines:?}");
}

fn beyond_plan() -> String {
    std::fs::read_to_string(crate_dir().join("tests/fixtures/beyond/plan.toml")).expect("plan")
}

/// The messages of compiling the opted-in plan with one edit.
fn plan_errors(from: &str, to: &str) -> Vec<String> {
    let plan = beyond_plan();
    assert!(plan.contains(from), "{from}");
    match compile(&plan.replacen(from, to, 1)) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .iter()
            .map(|e| format!("{}: {e}", e.code()))
            .collect(),
    }
}

#[test]
fn a_pin_in_a_pool_whose_selector_cannot_match_its_service_is_an_error() {
    // The gateway Service lives in namespace gateway; apps-pool excludes it.
    let errors = plan_errors(
        "gateway               = { address = \"10.25.11.130\", pool = \"apps-gateway\" }",
        "gateway               = \"10.25.11.121\"",
    );
    assert_eq!(
        errors,
        [
            "pool-selector-mismatch: pin gateway (apps) 10.25.11.121 is in pool apps-pool, whose service-selector cannot match Service gateway/cilium-gateway-cluster-gateway (labels io.kubernetes.service.namespace=gateway, io.kubernetes.service.name=cilium-gateway-cluster-gateway): Cilium would leave it pending (pool_selector_mismatch); pin an address of a pool that selects it, or give the Service the labels in [services.gateway] labels"
        ]
    );
}

#[test]
fn labels_the_plan_declares_for_a_service_count_for_selectors() {
    let with_selector = |extra: &str| {
        plan_errors(
            "[clusters.infra.pools.infra-gateway]\nblocks = [\"10.25.11.110-10.25.11.119\"]\nservice-selector = { match-labels = { \"io.kubernetes.service.namespace\" = \"gateway\" } }",
            &format!(
                "[clusters.infra.pools.infra-gateway]\nblocks = [\"10.25.11.110-10.25.11.119\"]\nservice-selector = {{ match-labels = {{ \"io.kubernetes.service.namespace\" = \"gateway\", tier = \"edge\" }} }}{extra}"
            ),
        )
    };
    let errors = with_selector("");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("pool-selector-mismatch: pin gateway (infra)"),
        "{errors:?}"
    );
    let plan = beyond_plan().replace(
        "service-selector = { match-labels = { \"io.kubernetes.service.namespace\" = \"gateway\" } }\nnote",
        "service-selector = { match-labels = { \"io.kubernetes.service.namespace\" = \"gateway\", tier = \"edge\" } }\nnote",
    ).replace(
        "service = \"gateway/cilium-gateway-cluster-gateway\"\n",
        "service = \"gateway/cilium-gateway-cluster-gateway\"\nlabels = { tier = \"edge\" }\n",
    );
    assert!(compile(&plan).is_ok(), "{:?}", compile(&plan).err());
}

#[test]
fn a_pin_naming_a_pool_must_lie_in_it() {
    let errors = plan_errors("pool = \"infra-gateway\"", "pool = \"infra-pool\"");
    assert_eq!(
        errors,
        [
            "pin-pool-mismatch: pin gateway (infra) 10.25.11.110 is not in pool infra-pool, which it names"
        ]
    );
    let errors = plan_errors("pool = \"infra-gateway\"", "pool = \"nowhere\"");
    assert_eq!(
        errors,
        [
            "pin-pool-mismatch: pin gateway (infra) names pool `nowhere`, which cluster infra does not have"
        ]
    );
}

#[test]
fn the_bgp_peer_must_be_a_reserved_address_outside_every_pool() {
    let errors = plan_errors(
        "peer-address = \"10.25.11.1\"",
        "peer-address = \"10.25.11.105\"",
    );
    assert_eq!(
        errors,
        [
            "bgp-peer-not-reserved: BGP peer 10.25.11.105 of cluster infra must be a reserved address outside every pool: it is in pool infra-pool (infra), so Cilium could hand the router's address to a Service"
        ]
    );
    let errors = plan_errors(
        "peer-address = \"10.25.11.1\"",
        "peer-address = \"10.25.11.250\"",
    );
    assert!(
        errors[0].ends_with("it is in no [reserved] range; reserve it so that no pool can take it"),
        "{errors:?}"
    );
}

#[test]
fn an_l2_cluster_with_an_ipv6_block_is_an_error() {
    // The plan's network is IPv4 here; the rule is on the block's family.
    let plan = lbipam_core::plan::parse(&beyond_plan()).expect("plan");
    let mut plan = plan;
    let clusters = plan.clusters.to_mut();
    let apps = clusters
        .iter_mut()
        .find(|c| c.name.item == "apps")
        .expect("apps");
    let pool = &mut apps.pools.to_mut()[0];
    pool.blocks
        .to_mut()
        .push(lbipam_core::plan::At::new(lbipam_core::net::Block::single(
            "fd00::10".parse().expect("v6"),
        )));
    let errors: Vec<String> = lbipam_core::check::check(&plan)
        .iter()
        .filter(|e| e.code() == "l2-ipv6")
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errors,
        [
            "pool apps-pool (apps) has IPv6 block `fd00::10`, but cluster apps has advertise = \"l2\": Cilium's L2 announcements answer ARP (IPv4) only, so the address would never be reachable; advertise the cluster over BGP or keep IPv6 out of its pools"
        ]
    );
}

#[test]
fn interface_patterns_must_be_regular_expressions() {
    let errors = plan_errors("\"^eth[0-9]+$\"", "\"^eth[0-9+$\"");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("bad-value: invalid interface regular expression `^eth[0-9+$`: not a regular expression ("),
        "{errors:?}"
    );
}

#[test]
fn label_keys_and_values_follow_kubernetes_syntax_and_operators_their_values() {
    let key = |k: &str| {
        plan_errors(
            "{ advertise = \"bgp\" }",
            &format!("{{ \"{k}\" = \"bgp\" }}"),
        )
    };
    assert_eq!(key("example.com/ok"), Vec::<String>::new());
    assert!(key("Example.com/x")[0].contains("its prefix `Example.com` is not a DNS subdomain"));
    assert!(key(&"a".repeat(64))[0].contains("its name is longer than 63 characters"));
    assert!(key("-x")[0].contains("its name must start and end with a letter or digit"));
    assert!(key(&format!("{}/x", "a.".repeat(127) + "a"))[0].contains("longer than 253"));
    let value = plan_errors("{ advertise = \"bgp\" }", "{ advertise = \"b g p\" }");
    assert!(
        value[0].starts_with(
            "bad-value: invalid label value `b g p`: a label value may hold only letters"
        ),
        "{value:?}"
    );
    let no_values = plan_errors(
        "operator = \"NotIn\", values = [\"gateway\"]",
        "operator = \"NotIn\"",
    );
    assert_eq!(
        no_values,
        [
            "selector-values: expression on `io.kubernetes.service.namespace` with operator NotIn needs `values`: Kubernetes rejects an empty list"
        ]
    );
    let with_values = plan_errors(
        "operator = \"DoesNotExist\"",
        "operator = \"DoesNotExist\", values = [\"x\"]",
    );
    assert_eq!(
        with_values,
        [
            "selector-values: expression on `node-role.kubernetes.io/control-plane` with operator DoesNotExist must have no `values`"
        ]
    );
    let bad_op = plan_errors("operator = \"DoesNotExist\"", "operator = \"Absent\"");
    assert_eq!(
        bad_op,
        [
            "bad-value: invalid selector operator `Absent`: expected In, NotIn, Exists or DoesNotExist"
        ]
    );
}

#[test]
fn advertise_needs_the_table_of_its_mode_and_no_other() {
    let errors = plan_errors("advertise = \"l2\"", "advertise = \"bgp\"");
    assert_eq!(
        errors,
        [
            "invalid-advertisement: cluster apps has advertise = \"bgp\" but no [clusters.apps.bgp] table",
            "invalid-advertisement: [clusters.apps.l2] is set, but cluster apps has advertise = \"bgp\"; set advertise = \"l2\" or remove the table",
        ]
    );
    let errors = plan_errors("peer-asn = 64501", "peer-asn = 0");
    assert_eq!(
        errors,
        ["invalid-advertisement: BGP ASN `0` is out of range: an ASN is 1 to 4294967295"]
    );
    let errors = plan_errors("advertise = \"l2\"", "advertise = \"arp\"");
    assert_eq!(
        errors,
        ["bad-value: invalid advertise mode `arp`: expected bgp, l2 or none"]
    );
}

#[test]
fn the_cilium_version_decides_api_versions_protocol_differentiation_and_first_last_defaults() {
    let errors = plan_errors(
        "api-version = \"cilium.io/v2\"\nversion = \"1.18\"",
        "version = \"1.20\"",
    );
    assert_eq!(
        errors,
        [
            "cilium-version: Cilium 1.20 no longer serves CiliumLoadBalancerIPPool as cilium.io/v2alpha1: set [cilium] api-version = \"cilium.io/v2\""
        ]
    );
    assert_eq!(
        plan_errors("version = \"1.18\"", "version = \"1.20\""),
        Vec::<String>::new()
    );
    let errors = plan_errors(
        "version = \"1.18\"",
        "version = \"1.16\"\nload-balancer-protocol-differentiation = true",
    );
    assert_eq!(
        errors,
        [
            "cilium-version: load-balancer-protocol-differentiation needs Cilium 1.17 or later; [cilium] version is 1.16"
        ]
    );
    assert_eq!(
        plan_errors("version = \"1.18\"", "version = \"1.9\""),
        [
            "bad-value: invalid Cilium version `1.9`: lbipam-plan knows the rules of Cilium 1.15 to 1.20"
        ]
    );
    assert_eq!(
        plan_errors("version = \"1.18\"", "version = \"v1.18\""),
        [
            "bad-value: invalid Cilium version `v1.18`: expected a Cilium minor version like \"1.18\" (1.15 to 1.20)"
        ]
    );
    // Before 1.16 a pool without allow-first-last-ips withholds a CIDR's ends.
    let old = beyond_plan().replace("version = \"1.18\"", "version = \"1.15\"");
    let plan = compile(&old).expect("1.15 plan");
    assert!(
        plan.clusters
            .iter()
            .flat_map(|c| c.pools.iter())
            .all(|p| !p.allows_first_last())
    );
    let new = compile(&beyond_plan()).expect("1.18 plan");
    assert!(
        new.clusters
            .iter()
            .flat_map(|c| c.pools.iter())
            .all(|p| p.allows_first_last())
    );
}

#[test]
fn the_v2alpha1_warning_follows_the_cilium_version_and_points_at_it() {
    let text = |version: &str| {
        beyond_plan()
            .replace("api-version = \"cilium.io/v2\"\n", "")
            .replace("version = \"1.18\"", &format!("version = \"{version}\""))
    };
    let warning = |text: &str| {
        let plan = compile(text).expect("plan");
        let lines = lbipam_core::text::LineIndex::new(text);
        lbipam_core::artifact::pools::api_version_warning(&plan, |s| {
            lines.line_col(s.start as usize)
        })
    };
    let deprecated = text("1.18");
    let found = warning(&deprecated).expect("a warning from 1.18");
    assert_eq!(found.code(), "deprecated-pool-api");
    // The version that makes v2alpha1 deprecated, as no api-version is written.
    let version_line = 1 + deprecated
        .lines()
        .position(|l| l.starts_with("version = \"1.18\""))
        .expect("the version line");
    assert!(
        matches!(found.location(), lbipam_core::diag::error::Location::File { line, .. } if line == version_line),
        "{:?}",
        found.location()
    );
    assert!(warning(&text("1.17")).is_none());
}

#[test]
fn the_plan_constant_carries_the_new_settings() {
    let repo = unbuilt_beyond();
    let out = tempfile::tempdir().expect("out");
    build_with(repo.path(), out.path(), Mode::Write).unwrap_or_else(|r| panic!("{r}"));
    let text = std::fs::read_to_string(out.path().join("plan.rs")).expect("plan.rs");
    for needle in [
        "pool: ::core::option::Option::Some(",
        "::lbipam_core::plan::AdvertiseMode::Bgp",
        "::lbipam_core::plan::AdvertiseMode::L2",
        "::lbipam_core::plan::Operator::NotIn",
        "item: 64501u32",
        "version: ::lbipam_core::plan::At {",
    ] {
        assert!(text.contains(needle), "{needle} in\n{text}");
    }
    assert!(Path::new(&out.path().join("plan.rs")).is_file());
}
