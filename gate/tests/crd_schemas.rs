//! Custom resources checked against the embedded upstream CRD schemas: what
//! the schemas catch that generated types did not, and that objects written as
//! the upstream docs show them pass.

use lbipam_gate::schema::{Verdict, check_object};

fn check(text: &str) -> Result<Verdict, String> {
    check_object(&yaml_serde::from_str(text).expect("test YAML parses"))
}

#[track_caller]
fn assert_valid(text: &str) {
    assert_eq!(check(text), Ok(Verdict::Valid), "{text}");
}

#[track_caller]
fn assert_fails_with(text: &str, needle: &str) {
    let e = check(text).expect_err("must fail");
    assert!(e.contains(needle), "expected {needle:?} in:\n{e}");
}

const POOL_V2: &str = "apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: pool
spec:
  blocks:
    - cidr: 10.0.10.0/24
  serviceSelector:
    matchLabels:
      lbipam.cilium.io/pool: apps
";

#[test]
fn a_load_balancer_ip_pool_with_a_misspelt_field_fails() {
    assert_valid(POOL_V2);
    assert_eq!(
        check(&POOL_V2.replace("blocks:", "blokcs:")),
        Err("CiliumLoadBalancerIPPool/pool: unknown field spec.blokcs".to_owned())
    );
    assert_fails_with(
        &POOL_V2.replace("    - cidr:", "    - cdir:"),
        "CiliumLoadBalancerIPPool/pool: unknown field spec.blocks[0].cdir",
    );
}

#[test]
fn a_load_balancer_ip_pool_label_value_over_63_characters_fails() {
    let long = "a".repeat(64);
    assert_fails_with(
        &POOL_V2.replace(": apps", &format!(": {long}")),
        "invalid field spec.serviceSelector.matchLabels[\"lbipam.cilium.io/pool\"]",
    );
}

const FLUX_KS: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: ./kubernetes/apps
";

#[test]
fn a_flux_kustomization_interval_of_10min_fails_the_duration_pattern() {
    assert_valid(FLUX_KS);
    assert_valid(&FLUX_KS.replace("10m", "1h30m"));
    assert_fails_with(
        &FLUX_KS.replace("10m", "10min"),
        "Kustomization.kustomize.toolkit.fluxcd.io/apps: invalid field spec.interval: \"10min\" does not match the pattern",
    );
}

#[test]
fn a_flux_kustomization_metadata_is_read_as_object_meta() {
    assert_fails_with(
        &FLUX_KS.replace(
            "  namespace: flux-system\n",
            "  namespace: flux-system\n  lables: {}\n",
        ),
        "unknown field metadata.lables",
    );
    assert_fails_with(
        &FLUX_KS.replace(
            "  namespace: flux-system\n",
            "  namespace: flux-system\n  labels: [a]\n",
        ),
        "invalid field metadata.labels",
    );
}

#[test]
fn a_helm_release_values_tree_is_free_form() {
    let release = "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cilium
  namespace: kube-system
spec:
  interval: 30m
  chart:
    spec:
      chart: cilium
      version: 1.18.2
      sourceRef:
        kind: HelmRepository
        name: cilium
        namespace: flux-system
  values:
    l2announcements:
      enabled: true
    anything: [1, {goes: here}]
";
    assert_valid(release);
    assert_fails_with(
        &release.replace("kind: HelmRepository", "kind: HelmRepo"),
        "invalid field spec.chart.spec.sourceRef.kind: unknown variant `HelmRepo`",
    );
}

#[test]
fn an_l2_announcement_policy_as_cilium_documents_it_passes() {
    let policy = r#"apiVersion: "cilium.io/v2alpha1"
kind: CiliumL2AnnouncementPolicy
metadata:
  name: policy1
spec:
  serviceSelector:
    matchLabels:
      color: blue
  nodeSelector:
    matchExpressions:
      - key: node-role.kubernetes.io/control-plane
        operator: DoesNotExist
  interfaces:
  - ^eth[0-9]+
  externalIPs: true
  loadBalancerIPs: true
"#;
    assert_valid(policy);
    assert_fails_with(
        &policy.replace("DoesNotExist", "Missing"),
        "invalid field spec.nodeSelector.matchExpressions[0].operator: unknown variant `Missing`",
    );
}

const ADVERTISEMENT: &str = "apiVersion: cilium.io/v2
kind: CiliumBGPAdvertisement
metadata:
  name: bgp-advertisements
  labels:
    advertise: bgp
spec:
  advertisements:
    - advertisementType: \"Service\"
      service:
        addresses:
          - ClusterIP
          - ExternalIP
          - LoadBalancerIP
      selector:
        matchExpressions:
          - {key: somekey, operator: NotIn, values: ['never-used-value']}
      attributes:
        communities:
          standard: [ \"65000:99\" ]
        localPreference: 99
";

#[test]
fn a_bgp_advertisement_as_cilium_documents_it_passes() {
    assert_valid(ADVERTISEMENT);
}

#[test]
fn a_bgp_advertisement_with_a_bad_community_or_no_addresses_fails() {
    assert_fails_with(
        &ADVERTISEMENT.replace("65000:99", "65536:99"),
        "invalid field spec.advertisements[0].attributes.communities.standard[0]",
    );
    assert_fails_with(
        &ADVERTISEMENT.replace(
            "        addresses:\n          - ClusterIP\n          - ExternalIP\n          - LoadBalancerIP\n",
            "        addresses: []\n",
        ),
        "0 items, fewer than minItems 1",
    );
}

#[test]
fn bgp_cluster_and_peer_configs_as_cilium_documents_them_pass_and_bounds_hold() {
    let cluster = "apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata:
  name: cilium-bgp
spec:
  nodeSelector:
    matchLabels:
      rack: rack0
  bgpInstances:
  - name: \"instance-65000\"
    localASN: 65000
    peers:
    - name: \"peer-65000-tor1\"
      peerASN: 65000
      peerAddress: fd00:10:0:0::1
      peerConfigRef:
        name: \"cilium-peer\"
    - name: \"peer-65000-tor2\"
      peerASN: 65000
      peerAddress: 10.0.0.1
      peerConfigRef:
        name: \"cilium-peer\"
";
    assert_valid(cluster);
    assert_fails_with(
        &cluster.replace("10.0.0.1", "10.0.0.256"),
        "invalid field spec.bgpInstances[0].peers[1].peerAddress",
    );
    let peer = "apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata:
  name: cilium-peer
spec:
  timers:
    holdTimeSeconds: 9
    keepAliveTimeSeconds: 3
  authSecretRef: bgp-auth-secret
  ebgpMultihop: 4
  gracefulRestart:
    enabled: true
    restartTimeSeconds: 15
  families:
    - afi: ipv4
      safi: unicast
      advertisements:
        matchLabels:
          advertise: \"bgp\"
";
    assert_valid(peer);
    assert_fails_with(
        &peer.replace("ebgpMultihop: 4", "ebgpMultihop: 0"),
        "invalid field spec.ebgpMultihop: 0 must be at least 1",
    );
}

#[test]
fn a_cluster_scoped_custom_resource_takes_its_scope_from_the_crd() {
    assert_fails_with(
        &POOL_V2.replace("  name: pool\n", "  name: pool\n  namespace: kube-system\n"),
        "but CiliumLoadBalancerIPPool is cluster-scoped",
    );
    // A namespaced one may carry a namespace.
    assert_valid(FLUX_KS);
}

#[test]
fn a_pod_ip_pool_and_a_cidr_group_are_checked_against_their_crds() {
    let pod_pool = "apiVersion: cilium.io/v2
kind: CiliumPodIPPool
metadata:
  name: green-pool
spec:
  ipv4:
    cidrs:
      - cidr: 10.20.0.0/16
    maskSize: 27
";
    assert_valid(pod_pool);
    assert_fails_with(
        &pod_pool.replace("maskSize: 27", "maskSize: 33"),
        "invalid field spec.ipv4.maskSize: 33 must be at most 32",
    );
    let group = "apiVersion: cilium.io/v2alpha1
kind: CiliumCIDRGroup
metadata:
  name: vpn-example-1
spec:
  externalCIDRs:
    - 10.48.0.0/24
";
    assert_valid(group);
    assert_fails_with(
        &group.replace("externalCIDRs", "externalCIDR"),
        "missing required field spec.externalCIDRs",
    );
}

/// Every committed CRD file, as `(file name, parsed JSON)`.
fn committed_crds() -> Vec<(String, serde_json::Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crds");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("gate/crds").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("read");
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            out.push((
                name,
                serde_json::from_str(&text).expect("committed JSON parses"),
            ));
        }
    }
    assert!(out.len() >= 13, "found only {} CRD files", out.len());
    out
}

#[test]
fn every_served_version_of_every_committed_crd_is_a_row_with_its_scope() {
    for (file, served) in committed_crds() {
        for v in served.as_array().expect("a list of served versions") {
            let field = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("{file}: {k}"));
            let api_version = format!("{}/{}", field("group"), field("version"));
            let spec = lbipam_gate::schema::kind_spec(&api_version, field("kind"))
                .unwrap_or_else(|| panic!("{file}: no row for {api_version} {}", field("kind")));
            let scope = match field("scope") {
                "Cluster" => lbipam_gate::schema::Scope::Cluster,
                _ => lbipam_gate::schema::Scope::Namespaced,
            };
            assert_eq!(spec.scope, scope, "{file}");
        }
    }
}

fn patterns<'a>(schema: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match schema {
        serde_json::Value::Object(map) => {
            if let Some(p) = map.get("pattern").and_then(serde_json::Value::as_str) {
                out.push(p);
            }
            map.iter()
                .filter(|(k, _)| k.as_str() != "pattern")
                .for_each(|(_, v)| patterns(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| patterns(v, out)),
        _ => {}
    }
}

#[test]
fn every_committed_pattern_compiles_so_none_is_silently_skipped() {
    let mut count = 0;
    for (file, served) in committed_crds() {
        let mut found = Vec::new();
        patterns(&served, &mut found);
        for p in found {
            count += 1;
            assert!(regex::Regex::new(p).is_ok(), "{file}: {p}");
        }
    }
    assert!(count > 10, "found only {count} patterns");
}

#[test]
fn flux_sources_as_the_flux_docs_show_them_pass_and_misspellings_fail() {
    let oci = "apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: podinfo
  namespace: default
spec:
  interval: 5m0s
  url: oci://ghcr.io/stefanprodan/manifests/podinfo
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
  ref:
    semver: \">= 6.1.x-0\"
    semverFilter: \".*-rc.*\"
  verify:
    provider: cosign
    matchOIDCIdentity:
      - issuer: \"^https://token.actions.githubusercontent.com$\"
        subject: \"^https://github.com/stefanprodan/podinfo.*$\"
";
    assert_valid(oci);
    assert_fails_with(
        &oci.replace("operation: copy", "operation: move"),
        "invalid field spec.layerSelector.operation: unknown variant `move`",
    );
    assert_fails_with(
        &oci.replace("url: oci://", "url: https://"),
        "invalid field spec.url",
    );
    let git = "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: podinfo
  namespace: default
spec:
  interval: 5m0s
  url: https://github.com/stefanprodan/podinfo
  ref:
    branch: master
  sparseCheckout:
    - apps
";
    assert_valid(git);
    assert_fails_with(
        &git.replace("    branch: master", "    brnach: master"),
        "unknown field spec.ref.brnach",
    );
    let bucket = "apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata:
  name: aws
  namespace: default
spec:
  interval: 5m0s
  provider: aws
  bucketName: podinfo
  endpoint: s3.amazonaws.com
  region: us-east-1
  timeout: 30s
";
    assert_valid(bucket);
    assert_fails_with(
        &bucket.replace("  bucketName: podinfo\n", ""),
        "missing required field spec.bucketName",
    );
    let chart = "apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: podinfo
  namespace: default
spec:
  interval: 10m
  chart: podinfo
  sourceRef:
    kind: HelmRepository
    name: podinfo
  version: \"6.x\"
  valuesFiles:
    - values-prod.yaml
";
    assert_valid(chart);
    assert_fails_with(
        &chart.replace("interval: 10m", "interval: 10 minutes"),
        "invalid field spec.interval",
    );
}

#[test]
fn a_helm_release_install_strategy_is_checked() {
    let release = "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: webapp
  namespace: apps
spec:
  interval: 30m
  chartRef:
    kind: OCIRepository
    name: webapp-chart
  driftDetection:
    mode: enabled
  install:
    strategy:
      name: RetryOnFailure
      retryInterval: 5m
  upgrade:
    crds: CreateReplace
    strategy:
      name: RetryOnFailure
      retryInterval: 5m
";
    assert_valid(release);
    assert_fails_with(
        &release.replace(
            "name: RetryOnFailure\n      retryInterval: 5m\n  upgrade",
            "name: Retry\n      retryInterval: 5m\n  upgrade",
        ),
        "invalid field spec.install.strategy.name: unknown variant `Retry`",
    );
    assert_fails_with(
        &release.replace("  driftDetection:", "  driftDetecton:"),
        "unknown field spec.driftDetecton",
    );
}
