//! The shared-IP and held-back-pin rules (`lbipam_core::audit::sharing`): each rule
//! with requests that pass and requests that fail, and requests lifted out of
//! YAML the way the stray-IP audit finds them.

use std::net::IpAddr;
use std::path::PathBuf;

use lbipam_core::audit::sharing::{Pinned, Request, ServiceId, check, pinned, requests_in};
use lbipam_core::diag::error::Error;
use lbipam_core::plan::parse;

const ADDR: &str = "10.25.11.150";

/// A request by `ns/name` in cluster `apps`, at `file:line`, with a sharing key,
/// on port 443.
fn req(file: &str, line: usize, ns: &str, name: &str, key: Option<&str>) -> Request {
    Request {
        cluster: "apps".to_owned(),
        file: PathBuf::from(file),
        line,
        column: 7,
        document: 1,
        addr: ADDR.parse().expect("addr"),
        service: Some(ServiceId {
            namespace: Some(ns.to_owned()),
            name: name.to_owned(),
        }),
        sharing_key: key.map(str::to_owned),
        cross_namespace: Vec::new(),
        external_traffic_policy: "Cluster".to_owned(),
        ports: Some(vec![(443, "TCP".to_owned())]),
    }
}

fn messages(errors: &[Error]) -> Vec<String> {
    errors
        .iter()
        .map(|e| match e {
            Error::File {
                path,
                line,
                message,
                ..
            } => format!("{}:{line}: {message}", path.display()),
            other => other.to_string(),
        })
        .collect()
}

fn web() -> (Request, Request) {
    let a = req("a.yaml", 5, "web", "https", Some("web"));
    let mut b = req("b.yaml", 9, "web", "http", Some("web"));
    b.ports = Some(vec![(80, "TCP".to_owned())]);
    (a, b)
}

#[test]
fn two_services_with_one_key_one_policy_and_different_ports_share_an_address() {
    let (a, b) = web();
    assert_eq!(messages(&check(&[a, b], &[], false)), Vec::<String>::new());
}

#[test]
fn one_service_asking_twice_is_not_sharing() {
    let (a, _) = web();
    let mut again = a.clone();
    again.line = 6;
    again.sharing_key = None;
    assert!(check(&[a, again], &[], false).is_empty());
}

#[test]
fn services_without_a_common_sharing_key_cannot_share_and_both_places_are_named() {
    let (a, mut b) = web();
    b.sharing_key = Some("other".to_owned());
    assert_eq!(
        messages(&check(&[a.clone(), b], &[], false)),
        [
            "b.yaml:9: LoadBalancer IP 10.25.11.150 requested by Service web/http in cluster apps: it is also requested by Service web/https at a.yaml:5, and Cilium will not let them share it: they have no common sharing key (other and web)"
        ]
    );
    let (mut a, mut b) = web();
    a.sharing_key = None;
    b.sharing_key = None;
    assert_eq!(check(&[a, b], &[], false).len(), 1, "no key on either side");
}

#[test]
fn services_in_two_namespaces_share_only_if_each_allows_the_other() {
    let (a, mut b) = web();
    b.service = Some(ServiceId {
        namespace: Some("blog".to_owned()),
        name: "http".to_owned(),
    });
    let refused = messages(&check(&[a.clone(), b.clone()], &[], false));
    assert!(refused[0].ends_with("namespaces blog and web differ and do not both allow each other in lbipam.cilium.io/sharing-cross-namespace"), "{refused:?}");
    let mut a1 = a.clone();
    a1.cross_namespace = vec!["blog".to_owned()];
    assert_eq!(
        check(&[a1.clone(), b.clone()], &[], false).len(),
        1,
        "one side only"
    );
    let mut b1 = b.clone();
    b1.cross_namespace = vec!["*".to_owned()];
    assert!(
        check(&[a1, b1], &[], false).is_empty(),
        "both sides, one by `*`"
    );
}

#[test]
fn services_with_different_external_traffic_policies_cannot_share() {
    let (a, mut b) = web();
    b.external_traffic_policy = "Local".to_owned();
    let m = messages(&check(&[a, b], &[], false));
    assert!(
        m[0].ends_with("externalTrafficPolicy Local and Cluster differ"),
        "{m:?}"
    );
}

#[test]
fn services_on_the_same_port_cannot_share() {
    let (a, mut b) = web();
    b.ports = Some(vec![(80, "TCP".to_owned()), (443, "TCP".to_owned())]);
    let m = messages(&check(&[a, b], &[], false));
    assert!(m[0].ends_with("both use port 443"), "{m:?}");
}

#[test]
fn one_address_asked_for_in_two_clusters_is_always_an_error() {
    let (a, mut b) = web();
    b.cluster = "infra".to_owned();
    assert_eq!(
        messages(&check(&[a, b], &[], false)),
        [
            "b.yaml:9: LoadBalancer IP 10.25.11.150 requested by Service web/http in cluster infra: it is also requested in cluster apps at a.yaml:5; one address on the shared network cannot serve two clusters"
        ]
    );
}

fn gateway_pin() -> Pinned {
    Pinned {
        cluster: "apps".to_owned(),
        pin: "gateway".to_owned(),
        addr: ADDR.parse().expect("addr"),
        namespace: "gateway".to_owned(),
        name: "cilium-gateway-main".to_owned(),
    }
}

#[test]
fn a_held_back_pin_may_be_requested_by_its_service_only() {
    let owner = req("gw.yaml", 8, "gateway", "cilium-gateway-main", None);
    assert!(check(std::slice::from_ref(&owner), &[gateway_pin()], false).is_empty());
    let thief = req("svc.yaml", 4, "web", "https", None);
    assert_eq!(
        messages(&check(&[thief], &[gateway_pin()], false)),
        [
            "svc.yaml:4: LoadBalancer IP 10.25.11.150 is pinned to Service gateway/cilium-gateway-main (pin gateway of cluster apps) and its pool selects only that Service; Service web/https would stay pending (pool_selector_mismatch)"
        ]
    );
}

const PLAN: &str = r#"
[network]
cidr = "10.25.11.0/24"

[clusters.apps.pools.apps-pool]
blocks = ["10.25.11.120-10.25.11.199"]

[clusters.apps.pins]
gateway = "10.25.11.150"

[cilium]
reserve-pins = true

[services.gateway]
service = "gateway/cilium-gateway-main"
"#;

#[test]
fn pinned_addresses_are_held_back_only_with_reserve_pins() {
    let plan = parse(PLAN).expect("plan");
    assert_eq!(pinned(&plan), [gateway_pin()]);
    let off = parse(&PLAN.replace("reserve-pins = true", "reserve-pins = false")).expect("plan");
    assert!(pinned(&off).is_empty());
}

#[test]
fn a_gateway_asks_as_the_service_cilium_makes_for_it_and_a_service_with_its_sharing_details() {
    let plan = parse(PLAN).expect("plan");
    let yaml = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: main\n  namespace: gateway\nspec:\n  gatewayClassName: cilium\n  infrastructure:\n    annotations:\n      io.cilium/lb-ipam-sharing-key: edge\n  addresses:\n  - type: IPAddress\n    value: 10.25.11.150\n  listeners:\n  - name: https\n    port: 443\n    protocol: HTTPS\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: ssh\n  namespace: git\n  annotations:\n    lbipam.cilium.io/ips: 10.25.11.150\n    lbipam.cilium.io/sharing-key: edge\n    lbipam.cilium.io/sharing-cross-namespace: gateway\nspec:\n  type: LoadBalancer\n  externalTrafficPolicy: Local\n  ports:\n  - port: 22\n";
    let found = requests_in(&plan, "k.yaml".as_ref(), yaml, |_: IpAddr| {
        Some("apps".to_owned())
    });
    assert_eq!(found.len(), 2);
    let (gw, ssh) = (&found[0], &found[1]);
    assert_eq!(
        gw.service,
        Some(ServiceId {
            namespace: Some("gateway".into()),
            name: "cilium-gateway-main".into()
        })
    );
    assert_eq!(gw.sharing_key.as_deref(), Some("edge"));
    assert_eq!(gw.ports, Some(vec![(443, "TCP".to_owned())]));
    assert_eq!((gw.line, gw.document, ssh.document), (13, 1, 19));
    assert_eq!(ssh.cross_namespace, ["gateway"]);
    assert_eq!(ssh.external_traffic_policy, "Local");
    assert_eq!(ssh.ports, Some(vec![(22, "TCP".to_owned())]));
    // The pin is the Gateway's: the Service may not take it.
    let m = messages(&check(&found, &pinned(&plan), false));
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(m[0].contains("Service git/ssh would stay pending"), "{m:?}");
    assert!(m[1].contains("namespaces"), "{m:?}");
}

#[test]
fn tcp_and_udp_on_one_port_clash_unless_protocol_differentiation_is_on() {
    let (a, mut b) = web();
    b.ports = Some(vec![(443, "UDP".to_owned())]);
    let refused = messages(&check(&[a.clone(), b.clone()], &[], false));
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].ends_with("both use port 443"), "{refused:?}");
    assert!(
        check(&[a.clone(), b], &[], true).is_empty(),
        "TCP 443 and UDP 443 share with protocol differentiation"
    );
    let (a2, mut same) = web();
    same.ports = Some(vec![(443, "TCP".to_owned())]);
    let m = messages(&check(&[a2, same], &[], true));
    assert!(m[0].ends_with("both use port 443/TCP"), "{m:?}");
}

#[test]
fn a_spaced_cross_namespace_list_is_flagged_and_read_untrimmed_as_cilium_does() {
    let plan = parse(
        "[network]\ncidr = \"10.25.11.0/24\"\n[clusters.apps.pools.p]\nblocks = [\"10.25.11.150\"]\n",
    )
    .expect("plan");
    let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: web\n  annotations:\n    lbipam.cilium.io/ips: \"10.25.11.150\"\n    lbipam.cilium.io/sharing-key: k\n    lbipam.cilium.io/sharing-cross-namespace: \"blog, shop\"\nspec:\n  type: LoadBalancer\n  ports:\n    - port: 443\n";
    let found = requests_in(&plan, std::path::Path::new("web.yaml"), yaml, |_| {
        Some("apps".to_owned())
    });
    assert_eq!(found[0].cross_namespace, ["blog", " shop"]);
    let m = messages(&check(&found, &[], false));
    assert_eq!(
        m,
        [
            "web.yaml:7: lbipam.cilium.io/sharing-cross-namespace of Service web/web names \" shop\": Cilium splits it on ',' without trimming spaces, so no namespace is allowed by that entry; write the list without spaces (\"a,b\")"
        ]
    );
}
