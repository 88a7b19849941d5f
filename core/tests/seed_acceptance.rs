//! The seed story's acceptance criteria AC-1, AC-2 (component part) and AC-5,
//! checked against what the build writes for the frozen seed repository.
//! Expected values are copied from the story (STORY-NET-CILIUM-IPAM), not from the
//! generator.

mod common;

use std::net::Ipv4Addr;
use std::path::Path;

use yaml_serde::Value;

fn read(root: &Path, path: &str) -> String {
    let full = root.join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path} must exist: {e}"))
}

fn documents(root: &Path, path: &str) -> Vec<Value> {
    let text = read(root, path);
    yaml_serde::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

const IPAM: &str = "kubernetes/infrastructure/networking/cilium/ipam";

/// (cluster, pool file, pool name, start, stop) as AC-1 lists them.
const SEED_POOLS: [(&str, &str, &str, &str, &str); 2] = [
    (
        "infra",
        "lb-ippool-infra.yaml",
        "infra-pool",
        "10.25.11.100",
        "10.25.11.119",
    ),
    (
        "apps",
        "lb-ippool-apps.yaml",
        "apps-pool",
        "10.25.11.120",
        "10.25.11.139",
    ),
];

#[test]
fn ac1_each_cluster_has_its_cluster_scoped_default_pool() {
    let seed = common::scratch_repo();
    for (cluster, file, name, start, stop) in SEED_POOLS {
        let path = format!("{IPAM}/{cluster}/{file}");
        let docs = documents(seed.path(), &path);
        assert_eq!(docs.len(), 1, "{path}: one pool per cluster");
        let pool = &docs[0];
        assert_eq!(
            str_at(pool, &["apiVersion"]),
            Some("cilium.io/v2alpha1"),
            "{path}"
        );
        assert_eq!(
            str_at(pool, &["kind"]),
            Some("CiliumLoadBalancerIPPool"),
            "{path}"
        );
        assert_eq!(str_at(pool, &["metadata", "name"]), Some(name), "{path}");
        assert!(
            pool["metadata"].get("namespace").is_none(),
            "{path}: the CRD is cluster-scoped, so no namespace"
        );
        let blocks = pool["spec"]["blocks"]
            .as_sequence()
            .expect("spec.blocks is a list");
        assert_eq!(blocks.len(), 1, "{path}");
        assert_eq!(str_at(&blocks[0], &["start"]), Some(start), "{path}");
        assert_eq!(str_at(&blocks[0], &["stop"]), Some(stop), "{path}");
        let selector = pool["spec"]["serviceSelector"]
            .as_mapping()
            .expect("serviceSelector is a mapping");
        assert!(
            selector.is_empty(),
            "{path}: serviceSelector: {{}} makes it the default pool"
        );
        assert!(
            pool["spec"].get("disabled").is_none(),
            "{path}: no spec.disabled toggle"
        );
    }
}

#[test]
fn ac2_component_kustomizations_list_only_their_pool_file() {
    let seed = common::scratch_repo();
    for (cluster, file, ..) in SEED_POOLS {
        let path = format!("{IPAM}/{cluster}/kustomization.yaml");
        let docs = documents(seed.path(), &path);
        assert_eq!(docs.len(), 1, "{path}");
        let k = &docs[0];
        assert_eq!(
            str_at(k, &["apiVersion"]),
            Some("kustomize.config.k8s.io/v1beta1"),
            "{path}"
        );
        assert_eq!(str_at(k, &["kind"]), Some("Kustomization"), "{path}");
        let resources: Vec<_> = k["resources"]
            .as_sequence()
            .expect("resources is a list")
            .iter()
            .map(|r| r.as_str().expect("resource is a string"))
            .collect();
        assert_eq!(resources, [file], "{path}");
    }
}

#[test]
fn ac2_no_flux_kustomization_inside_the_component_dirs() {
    let seed = common::scratch_repo();
    for (cluster, ..) in SEED_POOLS {
        let dir = seed.path().join(IPAM).join(cluster);
        for entry in std::fs::read_dir(&dir).expect("component dir exists") {
            let rel = format!(
                "{IPAM}/{cluster}/{}",
                entry.expect("entry").file_name().to_string_lossy()
            );
            for doc in documents(seed.path(), &rel) {
                let api = str_at(&doc, &["apiVersion"]).unwrap_or("");
                assert!(
                    !api.starts_with("kustomize.toolkit.fluxcd.io"),
                    "{rel} holds a Flux Kustomization CR"
                );
            }
        }
    }
}

fn addr(s: &str) -> u32 {
    u32::from(s.parse::<Ipv4Addr>().expect("IPv4 address"))
}

#[test]
fn ac5_pools_hold_20_addresses_each_inside_the_subnet_without_overlap() {
    let seed = common::scratch_repo();
    // From the committed manifests, not the plan: this is what reaches the clusters.
    let mut ranges = Vec::new();
    for (cluster, file, ..) in SEED_POOLS {
        let docs = documents(seed.path(), &format!("{IPAM}/{cluster}/{file}"));
        let block = &docs[0]["spec"]["blocks"][0];
        let (start, stop) = (
            addr(str_at(block, &["start"]).expect("start")),
            addr(str_at(block, &["stop"]).expect("stop")),
        );
        assert_eq!(stop - start + 1, 20, "{cluster} pool holds 20 IPs");
        // Shared L2 subnet 10.25.11.0/24.
        assert_eq!(
            start >> 8,
            addr("10.25.11.0") >> 8,
            "{cluster} start in 10.25.11.0/24"
        );
        assert_eq!(
            stop >> 8,
            addr("10.25.11.0") >> 8,
            "{cluster} stop in 10.25.11.0/24"
        );
        ranges.push((start, stop));
    }
    let [(_, infra_stop), (apps_start, _)] = [ranges[0], ranges[1]];
    assert!(
        infra_stop < apps_start,
        "infra (.100-.119) and apps (.120-.139) must not overlap"
    );
}
