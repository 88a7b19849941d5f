//! Which LoadBalancer IPs a YAML file asks for, however it spells them.

use lbipam_core::audit::requests::find_ip_requests;

fn requests(text: &str) -> Vec<(usize, usize, String)> {
    find_ip_requests(text)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .into_iter()
        .map(|r| (r.line, r.column, r.value))
        .collect()
}

#[test]
fn a_request_written_as_an_alias_is_its_anchor_value_at_the_alias() {
    let text = "x: &lbIP 10.0.0.5\nmetadata:\n  annotations:\n    lbipam.cilium.io/ips: *lbIP\n";
    assert_eq!(requests(text), [(4, 27, "10.0.0.5".to_owned())]);
}

#[test]
fn a_tagged_request_counts_as_its_scalar() {
    let text = "spec:\n  loadBalancerIP: !!str 10.0.0.6\n";
    assert_eq!(requests(text), [(2, 25, "10.0.0.6".to_owned())]);
}

#[test]
fn a_comma_list_behind_an_alias_gives_each_item() {
    let text = "x: &two \"10.0.0.7,10.0.0.8\"\nannotations:\n  io.cilium/lb-ipam-ips: *two\n";
    assert_eq!(
        requests(text),
        [
            (3, 26, "10.0.0.7".to_owned()),
            (3, 26, "10.0.0.8".to_owned())
        ]
    );
}
