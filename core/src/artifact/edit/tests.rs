//! The edits of the files the build partly owns, and the lossless YAML
//! machinery under them, through their private functions.

use std::fmt;

use super::*;
use crate::yaml::*;
use serde::Deserialize;
use yaml_serde::Value;

#[test]
fn positions_from_one_index_equal_yaml_edits_own_at_every_offset() {
    let text = "\u{feff}a: é\r\nb: \"x\"\rc: ü\n\u{feff}d: 1\n\nz";
    let index = Positions::new(text);
    // Offsets inside a character are no parser's positions (the index counts
    // them as that character, yaml-edit as the next): only boundaries compare.
    let boundaries = (0..=text.len() + 2).filter(|&o| o >= text.len() || text.is_char_boundary(o));
    for offset in boundaries {
        let want = yaml_edit::byte_offset_to_line_column(text, offset);
        assert_eq!(
            index.at(offset),
            (want.line, want.column),
            "offset {offset}"
        );
    }
}

/// Checks `text` with yaml-edit (and its validator) and an independent parser,
/// returning the documents as the independent parser reads them.
fn valid(text: &str) -> Vec<Value> {
    if let Err(e) = parse(text) {
        panic!("yaml-edit rejects the output: {e}\n{text}");
    }
    yaml_serde::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{e}\n{text}")))
        .collect()
}

/// Non-empty documents (a trailing `---` starts an empty one).
fn objects(text: &str) -> usize {
    valid(text).iter().filter(|d| !d.is_null()).count()
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

fn error_position<T: fmt::Debug>(result: Result<T, YamlError>) -> (usize, usize) {
    let e = result.unwrap_err();
    (e.line, e.column)
}

fn plain(s: &str) -> Scalar {
    Scalar::Plain(s.into())
}

fn quoted(s: &str) -> Scalar {
    Scalar::Quoted(s.into())
}

const SETTINGS: &str = r#"# Cluster-wide settings substituted by Flux postBuild.
apiVersion: v1
kind: ConfigMap
metadata:
    name: cluster-settings
    namespace: flux-system
data:
    # Hand-written, not ours:
    CLUSTER_NAME: home
    TIMEZONE: "Europe/Berlin"   # keep

    LB_POOL_START: '10.0.10.1'  # managed by lbipam-plan
    MOTD: |
        Welcome
        home
    # OLD_KEY: "x"
"#;

const SETTINGS_EDITED: &str = r#"# Cluster-wide settings substituted by Flux postBuild.
apiVersion: v1
kind: ConfigMap
metadata:
    name: cluster-settings
    namespace: flux-system
data:
    # Hand-written, not ours:
    CLUSTER_NAME: home
    TIMEZONE: "Europe/Berlin"   # keep # managed by lbipam-plan

    LB_POOL_START: "10.0.20.1"  # managed by lbipam-plan
    MOTD: |
        Welcome
        home
    LB_POOL_STOP: "10.0.20.50" # managed by lbipam-plan
    # OLD_KEY: "x"
"#;

const POOL: [(&str, &str); 3] = [
    ("LB_POOL_START", "10.0.20.1"),
    ("LB_POOL_STOP", "10.0.20.50"),
    ("TIMEZONE", "Europe/Berlin"),
];

#[test]
fn configmap_replaces_and_inserts_keeping_everything_else() {
    let out = set_configmap_data(SETTINGS, &POOL).unwrap();
    assert_eq!(out, SETTINGS_EDITED);
    assert_eq!(
        valid(&out)[0]["data"]["LB_POOL_STOP"],
        Value::from("10.0.20.50")
    );
    assert_eq!(
        set_configmap_data(&crlf(SETTINGS), &POOL).unwrap(),
        crlf(SETTINGS_EDITED)
    );
    // `key:` with no value yet, maybe a comment.
    let empty = "kind: ConfigMap\ndata:\n  A:   # todo\n  B:\n";
    let out = set_configmap_data(empty, &[("A", "1"), ("B", "2")]).unwrap();
    assert_eq!(
        out,
        "kind: ConfigMap\ndata:\n  A: \"1\"   # todo # managed by lbipam-plan\n  B: \"2\" # managed by lbipam-plan\n"
    );
}

#[test]
fn configmap_already_set_is_a_no_op() {
    assert_eq!(
        set_configmap_data(SETTINGS_EDITED, &POOL).unwrap(),
        SETTINGS_EDITED
    );
    // Semantically equal but single-quoted: left as the user wrote it.
    let same = [("LB_POOL_START", "10.0.10.1")];
    assert_eq!(set_configmap_data(SETTINGS, &same).unwrap(), SETTINGS);
    // Equal but unmarked: only the marker is added.
    let unmarked = "kind: ConfigMap\ndata:\n  A: \"1\"\n";
    let out = set_configmap_data(unmarked, &[("A", "1")]).unwrap();
    assert_eq!(
        out,
        "kind: ConfigMap\ndata:\n  A: \"1\" # managed by lbipam-plan\n"
    );
    // A plain 8080 is an integer, not the string a ConfigMap needs: quoted.
    let port = set_configmap_data(
        "kind: ConfigMap\ndata:\n  PORT: 8080 # x\n",
        &[("PORT", "8080")],
    );
    assert_eq!(
        port.unwrap(),
        "kind: ConfigMap\ndata:\n  PORT: \"8080\" # x # managed by lbipam-plan\n"
    );
}

const MULTI: &str = r#"---
# Settings for the lab cluster
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  labels: &labels {app.kubernetes.io/part-of: infra, tier: base}
  annotations:
    copied: *labels
immutable: false
---
apiVersion: v1
kind: Namespace
metadata:
  name: infra
---
"#;

#[test]
fn configmap_without_data_gets_a_block_at_the_end_of_its_document() {
    let out = set_configmap_data(MULTI, &[("LB_POOL_START", "10.0.20.1"), ("Z", "2")]);
    let data = "data: # managed by lbipam-plan\n  LB_POOL_START: \"10.0.20.1\" # managed by lbipam-plan\n  Z: \"2\" # managed by lbipam-plan\n";
    let expected = MULTI.replace("immutable: false\n", &format!("immutable: false\n{data}"));
    assert_eq!(out.unwrap(), expected);
    assert_eq!(objects(&expected), 2);
    let text = "kind: ConfigMap\r\nmetadata:\r\n  name: s\r\n";
    let out = set_configmap_data(text, &[("A", "1")]).unwrap();
    assert_eq!(
        out,
        format!("{text}data: # managed by lbipam-plan\r\n  A: \"1\" # managed by lbipam-plan\r\n")
    );
}

#[test]
fn configmap_values_are_escaped() {
    let tricky = "say \"hi\"\nC:\\temp\tbell\u{7}";
    let out = set_configmap_data(SETTINGS, &[("MOTD", tricky)]).unwrap();
    let line = "    MOTD: \"say \\\"hi\\\"\\nC:\\\\temp\\tbell\\u0007\" # managed by lbipam-plan\n";
    assert!(out.contains(&format!("{line}    # OLD_KEY")), "{out}");
    assert_eq!(valid(&out)[0]["data"]["MOTD"], Value::from(tricky));
    assert_eq!(set_configmap_data(&out, &[("MOTD", tricky)]).unwrap(), out);
}

#[test]
fn configmap_errors_point_at_the_offending_node() {
    let list = "kind: ConfigMap\ndata:\n  LB_POOL_START:\n    - 10.0.0.1\n";
    let e = set_configmap_data(list, &[("LB_POOL_START", "x")]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "4:5: `data.LB_POOL_START` is a list, expected a scalar"
    );
    let e = set_configmap_data("kind: ConfigMap\ndata: none\n", &[("A", "1")]).unwrap_err();
    assert_eq!(e.to_string(), "2:7: `data` is a scalar, expected a mapping");
    assert!(set_configmap_data("kind: Secret\n", &[("A", "1")]).is_err());
    let two = "kind: ConfigMap\n---\nkind: ConfigMap\n";
    assert_eq!(
        error_position(set_configmap_data(two, &[("A", "1")])),
        (3, 1)
    );
}

#[test]
fn malformed_files_are_refused() {
    let unclosed = "kind: ConfigMap\ndata: {A: \"1\"\n";
    assert!(set_configmap_data(unclosed, &[("A", "2")]).is_err());
    let indent = "kind: ConfigMap\ndata:\n  A: \"1\"\n B: \"2\"\n";
    assert_eq!(
        error_position(set_configmap_data(indent, &[("A", "2")])),
        (4, 1)
    );
    let doc = "kind: X\nmetadata: {name: y}\n";
    assert!(upsert_document("a: [1\n", "X", "y", doc, None, &[]).is_err());
}

#[test]
fn pruning_configmap_keys_drops_marked_lines_only() {
    let text = "kind: ConfigMap\r\ndata:\r\n  KEEP: \"1\" # mine\r\n  GONE: \"10.0.0.1\" # managed by lbipam-plan\r\n  # trailing note\r\n  LAST: x # managed by lbipam-plan\r\n  HAND: \"10.0.0.2\"\r\n";
    let out = prune_configmap_data(text, &["LAST", "ABSENT"]).expect("edit");
    assert_eq!(
        out,
        "kind: ConfigMap\r\ndata:\r\n  KEEP: \"1\" # mine\r\n  # trailing note\r\n  LAST: x # managed by lbipam-plan\r\n  HAND: \"10.0.0.2\"\r\n"
    );
    assert_eq!(prune_configmap_data(&out, &["LAST"]).expect("no-op"), out);
    let block = "kind: ConfigMap\ndata:\n  GONE: >- # managed by lbipam-plan\n    10.25.11.100\n  KEEP: \"keep-me\"\n  K2: | # managed by lbipam-plan\n    x\n\n  NEXT: \"keep\"\n";
    assert_eq!(
        prune_configmap_data(block, &[]).expect("edit"),
        // The blank line after `x` is part of the literal block, so it goes too.
        "kind: ConfigMap\ndata:\n  KEEP: \"keep-me\"\n  NEXT: \"keep\"\n"
    );
    // Marked keys inside a flow mapping the build keeps are not searched.
    let flow = "kind: ConfigMap\ndata: {GONE: \"1\", KEEP: \"2\"} # managed by lbipam-plan\n";
    assert_eq!(prune_configmap_data(flow, &["KEEP"]).expect("kept"), flow);
}

#[test]
fn pruning_helm_values_drops_marked_lines_and_emptied_marked_maps() {
    let text = "# values\nclustermesh:\n  apiserver:\n    service:\n      type: LoadBalancer # keep\n      annotations:\n        lbipam.cilium.io/ips: \"10.25.11.100\" # managed by lbipam-plan\n        io.cilium/lb-ipam-ips: \"10.25.11.105\"\nhubble: # managed by lbipam-plan\n  service: # managed by lbipam-plan\n    type: LoadBalancer # managed by lbipam-plan\n";
    let kept: &[&str] = &["clustermesh", "apiserver", "service", "type"];
    assert_eq!(
        prune_values(text, Scope::Single, &[kept]).expect("edit"),
        "# values\nclustermesh:\n  apiserver:\n    service:\n      type: LoadBalancer # keep\n      annotations:\n        io.cilium/lb-ipam-ips: \"10.25.11.105\"\n"
    );
    let hubble: &[&str] = &["hubble", "service", "type"];
    let out = prune_values(text, Scope::Single, &[hubble]).expect("edit");
    assert!(out.ends_with("hubble: # managed by lbipam-plan\n  service: # managed by lbipam-plan\n    type: LoadBalancer # managed by lbipam-plan\n"), "{out}");
}

const CILIUM: &str = r#"# Cilium Helm values for the home cluster.
# Docs: https://docs.cilium.io/en/stable/helm-reference/

cluster:
  name: home   # must match clustermesh config
  id: 1

kubeProxyReplacement: true
k8sServiceHost: &apiHost 192.168.1.10
bgpControlPlane:
  peer: *apiHost
l2announcements:
  interfaces:
    - ^eth[0-9]+

ipam:
  mode: kubernetes
  operator: {clusterPoolIPv4PodCIDRList: ["10.42.0.0/16"]}

# --- Cluster mesh ------------------------------------------------------
clustermesh:
  useAPIServer: true
  config:
    enabled: false
    # clusters: []

hubble:
  ui:
    enabled: true
    service:
      annotations: {}   # filled in by lbipam-plan
      type: ClusterIP
"#;

const CILIUM_EDITED: &str = r#"# Cilium Helm values for the home cluster.
# Docs: https://docs.cilium.io/en/stable/helm-reference/

cluster:
  name: home   # must match clustermesh config
  id: 1

kubeProxyReplacement: true
k8sServiceHost: &apiHost 192.168.1.10
bgpControlPlane:
  peer: *apiHost
l2announcements:
  interfaces:
    - ^eth[0-9]+

ipam:
  mode: kubernetes
  operator: {clusterPoolIPv4PodCIDRList: ["10.42.0.0/16"]}

# --- Cluster mesh ------------------------------------------------------
clustermesh:
  useAPIServer: true
  config:
    enabled: false
    # clusters: []
  apiserver: # managed by lbipam-plan
    service: # managed by lbipam-plan
      type: LoadBalancer # managed by lbipam-plan
      annotations: # managed by lbipam-plan
        io.cilium/lb-ipam-ips: "10.0.10.5" # managed by lbipam-plan

hubble:
  ui:
    enabled: true
    service:
      annotations:   # filled in by lbipam-plan
        io.cilium/lb-ipam-ips: "10.0.10.6" # managed by lbipam-plan
      type: LoadBalancer # managed by lbipam-plan
"#;

const LB_IPS: &str = "io.cilium/lb-ipam-ips";

fn cilium_entries() -> Vec<(&'static [&'static str], Scalar)> {
    vec![
        (
            &["clustermesh", "apiserver", "service", "type"],
            plain("LoadBalancer"),
        ),
        (
            &["clustermesh", "apiserver", "service", "annotations", LB_IPS],
            quoted("10.0.10.5"),
        ),
        (
            &["hubble", "ui", "service", "annotations", LB_IPS],
            quoted("10.0.10.6"),
        ),
        (&["hubble", "ui", "service", "type"], plain("LoadBalancer")),
    ]
}

#[test]
fn values_creates_missing_levels_and_opens_empty_flow_mappings() {
    let out = set_values(CILIUM, Scope::Single, &cilium_entries()).unwrap();
    assert_eq!(out, CILIUM_EDITED);
    let service = &valid(&out)[0]["clustermesh"]["apiserver"]["service"];
    assert_eq!(service["annotations"][LB_IPS], Value::from("10.0.10.5"));
    assert_eq!(
        set_values(&out, Scope::Single, &cilium_entries()).unwrap(),
        out
    );
    let crlf_out = set_values(&crlf(CILIUM), Scope::Single, &cilium_entries()).unwrap();
    assert_eq!(crlf_out, crlf(CILIUM_EDITED));
}

#[test]
fn values_follow_four_space_indentation_and_unindented_lists() {
    let text = "controller:\n    extraArgs:\n    - --enable-ssl-passthrough\n    service:\n        externalTrafficPolicy: Local\n";
    let entries: [(&[&str], Scalar); 2] = [
        (
            &["controller", "service", "loadBalancerIP"],
            quoted("10.0.10.7"),
        ),
        (
            &["controller", "admissionWebhooks", "service", "type"],
            plain("ClusterIP"),
        ),
    ];
    let out = set_values(text, Scope::Single, &entries).unwrap();
    let service = "        loadBalancerIP: \"10.0.10.7\" # managed by lbipam-plan\n";
    let webhooks = "    admissionWebhooks: # managed by lbipam-plan\n        service: # managed by lbipam-plan\n            type: ClusterIP # managed by lbipam-plan\n";
    assert_eq!(out, format!("{text}{service}{webhooks}"));
    valid(&out);
    // A byte order mark takes no column.
    let bom = set_values("\u{feff}a: 1\n", Scope::Single, &[(&["b"], plain("x"))]).unwrap();
    assert_eq!(bom, "\u{feff}a: 1\nb: x # managed by lbipam-plan\n");
}

#[test]
fn values_of_a_helm_release_among_other_documents_go_into_it_alone() {
    let repo = "# the chart\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: cilium\nspec:\n  url: https://helm.cilium.io\n";
    let release = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cilium\nspec:\n  values:\n    ipam:\n      mode: kubernetes\n";
    let text = format!("{repo}---\n{release}---\n{repo}");
    let entries: [(&[&str], Scalar); 1] = [(
        &[
            "spec",
            "values",
            "clustermesh",
            "apiserver",
            "service",
            "type",
        ],
        plain("LoadBalancer"),
    )];
    let scope = Scope::Kind("HelmRelease");
    let out = set_values(&text, scope, &entries).expect("edit");
    let added = "    clustermesh: # managed by lbipam-plan\n      apiserver: # managed by lbipam-plan\n        service: # managed by lbipam-plan\n          type: LoadBalancer # managed by lbipam-plan\n";
    assert_eq!(out, format!("{repo}---\n{release}{added}---\n{repo}"));
    assert_eq!(set_values(&out, scope, &entries).expect("again"), out);
    // Gone from the plan: only the marked keys go, from the HelmRelease alone.
    assert_eq!(prune_values(&out, scope, &[]).expect("prune"), text);
    // Among several documents, none or two HelmReleases: nothing to guess.
    let repos = format!("{repo}---\n{repo}");
    let none = set_values(&repos, scope, &entries).expect_err("no HelmRelease");
    assert_eq!(none.message, "no HelmRelease among the file's 2 documents");
    let two = format!("{release}---\n{release}");
    assert!(set_values(&two, scope, &entries).is_err());
}

#[test]
fn values_under_a_prefix_of_a_file_of_one_document_go_into_it_whatever_its_kind() {
    let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  values:\n    a: 1\n";
    let entries: [(&[&str], Scalar); 1] = [(&["spec", "values", "b"], plain("x"))];
    let out = set_values(app, Scope::Kind("HelmRelease"), &entries).expect("edit");
    assert_eq!(out, format!("{app}    b: x # managed by lbipam-plan\n"));
}

#[test]
fn values_into_an_empty_file_or_empty_document() {
    let entries: [(&[&str], Scalar); 2] = [
        (&["service", "annotations", LB_IPS], quoted("10.0.0.9")),
        (&["service", "type"], plain("LoadBalancer")),
    ];
    let expected = "service: # managed by lbipam-plan\n  annotations: # managed by lbipam-plan\n    io.cilium/lb-ipam-ips: \"10.0.0.9\" # managed by lbipam-plan\n  type: LoadBalancer # managed by lbipam-plan\n";
    assert_eq!(set_values("", Scope::Single, &entries).unwrap(), expected);
    assert_eq!(
        set_values("{}\n", Scope::Single, &entries).unwrap(),
        expected
    );
    let commented = set_values("# values\n", Scope::Single, &entries).unwrap();
    assert_eq!(commented, format!("# values\n{expected}"));
    let null = set_values("service:  # todo\nother: 1\n", Scope::Single, &entries[1..]).unwrap();
    assert_eq!(
        null,
        "service:  # todo\n  type: LoadBalancer # managed by lbipam-plan\nother: 1\n"
    );
}

#[test]
fn values_keys_are_quoted_only_when_needed() {
    let entries: [(&[&str], Scalar); 4] = [
        (&["a", "true"], plain("1")),
        (&["a", "8080"], plain("x")),
        (&["a", "key: with colon"], plain("y")),
        (&["a", "app.kubernetes.io/name"], plain("z")),
    ];
    let out = set_values("a:\n  b: 0\n", Scope::Single, &entries).unwrap();
    let added = "  \"true\": 1 # managed by lbipam-plan\n  \"8080\": x # managed by lbipam-plan\n  \"key: with colon\": y # managed by lbipam-plan\n  app.kubernetes.io/name: z # managed by lbipam-plan\n";
    assert_eq!(out, format!("a:\n  b: 0\n{added}"));
    let a = &valid(&out)[0]["a"];
    assert_eq!(a["key: with colon"], Value::from("y"));
    assert_eq!(a["true"], Value::from(1));
}

#[test]
fn values_wrong_types_and_unwritable_values_are_errors() {
    let set = |text: &str, path: &[&str], value: &str| {
        set_values(text, Scope::Single, &[(path, plain(value))])
    };
    let e = set("service: LoadBalancer\n", &["service", "type"], "x").unwrap_err();
    assert_eq!(
        e.to_string(),
        "1:10: `service` is a scalar, expected a mapping"
    );
    let e = set(
        "ingress:\n  hosts:\n    - a\n",
        &["ingress", "hosts", "x"],
        "y",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "3:5: `ingress.hosts` is a list, expected a mapping"
    );
    let e = set(CILIUM, &["hubble", "ui"], "x").unwrap_err();
    assert_eq!(e.message, "`hubble.ui` is a mapping, expected a scalar");
    assert!(set(CILIUM, &["ipam", "operator", "new"], "x").is_err()); // non-empty flow
    assert!(set("a: 1\n", &["b"], "x: y").is_err());
    assert!(set("a: 1\n", &["b"], "- x").is_err());
    assert!(set("a: 1\n---\nb: 2\n", &["c"], "x").is_err());
}

fn kustomization(name: &str, interval: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: {interval}\n  path: ./infra/{name}\n  prune: true\n"
    )
}

/// A hand-written Flux file: a header comment, comments between documents,
/// an anchor and an alias, a flow sequence.
fn flux() -> String {
    let core = kustomization("cilium-core", "10m");
    let apps = kustomization("apps", "1h");
    format!(
        "# Flux Kustomizations for the home cluster.\n---\n{core}  retryInterval: &retry 2m   # hand-tuned\n  timeout: *retry\n# cilium-core must be Ready before anything else\n\n# Apps, applied after cilium-core.\n---\n{apps}  dependsOn: [{{name: cilium-core}}]\n"
    )
}

fn upsert(text: &str, name: &str, doc: &str, after: Option<&str>) -> Result<String, YamlError> {
    upsert_document(text, "Kustomization", name, doc, after, &[])
}

#[test]
fn upsert_replaces_only_the_documents_own_content() {
    let text = flux();
    let new = kustomization("cilium-core", "5m");
    let out = upsert(&text, "cilium-core", &new, None).unwrap();
    // Only the rendered field that differs changes; the user's fields stay.
    assert_eq!(out, text.replacen("interval: 10m", "interval: 5m", 1));
    assert_eq!(valid(&out)[0]["spec"]["interval"], Value::from("5m"));
    // Equal: byte-identical, also for a CRLF file and a doc given with CRLF.
    assert_eq!(upsert(&out, "cilium-core", &new, None).unwrap(), out);
    let crlf_out = crlf(&out);
    assert_eq!(
        upsert(&crlf_out, "cilium-core", &crlf(&new), None).unwrap(),
        crlf_out
    );
}

#[test]
fn upsert_inserts_after_the_named_document_before_the_next_ones_comments() {
    let text = flux();
    let new = kustomization("cilium-config", "10m");
    let out = upsert(&text, "cilium-config", &new, Some("cilium-core")).unwrap();
    let comment = "# Apps, applied after cilium-core.\n";
    assert_eq!(out, text.replace(comment, &format!("---\n{new}{comment}")));
    let names: Vec<Value> = valid(&out)
        .iter()
        .map(|d| d["metadata"]["name"].clone())
        .collect();
    assert_eq!(
        names,
        ["cilium-core", "cilium-config", "apps"].map(Value::from)
    );
    // An unknown `after`: appended at the end.
    let out = upsert(&text, "cilium-config", &new, Some("nope")).unwrap();
    assert_eq!(out, format!("{text}---\n{new}"));
}

#[test]
fn upsert_appends_keeping_leading_and_trailing_separators_and_crlf() {
    let apps = kustomization("apps", "1h");
    let new = kustomization("cilium-core", "5m");
    let out = upsert(
        &crlf(&format!("---\n{apps}---\n")),
        "cilium-core",
        &new,
        None,
    )
    .unwrap();
    assert_eq!(out, crlf(&format!("---\n{apps}---\n{new}---\n")));
    assert_eq!(objects(&out), 2);
    assert_eq!(upsert("", "cilium-core", &new, None).unwrap(), new);
    let no_newline = "kind: A\nmetadata: {name: a}";
    let out = upsert(no_newline, "cilium-core", &new, None).unwrap();
    assert_eq!(out, format!("{no_newline}\n---\n{new}"));
}

#[test]
fn upsert_refuses_duplicates_and_mismatched_documents() {
    let text = format!("{}---\n{}", flux(), kustomization("apps", "2h"));
    let e = upsert(&text, "apps", &kustomization("apps", "3h"), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "29:1: duplicate Kustomization `apps` (first at line 18)"
    );
    assert!(upsert(&flux(), "apps", &kustomization("other", "1h"), None).is_err());
}

const README: &str = "# Home cluster\n\nIntro.\n\n<!-- BEGIN lbipam-plan -->\nold table\n<!-- END lbipam-plan -->\n\nFooter.\n";
const BEGIN: &str = "<!-- BEGIN lbipam-plan -->";
const END: &str = "<!-- END lbipam-plan -->";

#[test]
fn marked_section_is_replaced_between_markers() {
    let section = |text: &str, body: &str| replace_marked_section(text, BEGIN, END, body);
    let table = "| pool | range |\n|---|---|";
    let expected = README.replace("old table\n", &format!("{table}\n"));
    assert_eq!(section(README, table).unwrap(), Some(expected));
    let expected = crlf(&README.replace("old table", "new"));
    assert_eq!(section(&crlf(README), "new\n").unwrap(), Some(expected));
    assert_eq!(section("# Title\n", "x").unwrap(), None);
    assert_eq!(
        error_position(section(&format!("{BEGIN}\nx\n"), "y")),
        (1, 1)
    );
    assert_eq!(
        error_position(section(&format!("{BEGIN}\n{BEGIN}\n{END}\n"), "y")),
        (2, 1)
    );
    assert_eq!(
        error_position(section(&format!("{END}\n{BEGIN}\n{END}\n"), "y")),
        (1, 1)
    );
}

// The edits whole, as the artifacts run them step by step on one `Editing`.

pub(super) fn set_configmap_data(
    text: &str,
    entries: &[(&str, &str)],
) -> Result<String, YamlError> {
    let mut editing = Editing::new(text)?;
    configmap_data(&mut editing, entries)?;
    editing.finish()
}

pub(super) fn prune_configmap_data(text: &str, keep: &[&str]) -> Result<String, YamlError> {
    let mut editing = Editing::new(text)?;
    configmap_prune(&mut editing, keep)?;
    editing.finish()
}

pub(super) fn prune_values(
    text: &str,
    scope: Scope,
    keep: &[&[&str]],
) -> Result<String, YamlError> {
    let mut editing = Editing::new(text)?;
    values_prune(&mut editing, scope, keep)?;
    editing.finish()
}

pub(super) fn set_values(
    text: &str,
    scope: Scope,
    entries: &[(&[&str], Scalar)],
) -> Result<String, YamlError> {
    let mut editing = Editing::new(text)?;
    values(&mut editing, scope, entries)?;
    editing.finish()
}
