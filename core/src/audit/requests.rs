//! The LoadBalancer IP requests a manifest makes, read losslessly so each is
//! reported at its own line and column: LB-IPAM annotations, `loadBalancerIP`
//! keys, and the `spec.addresses` of Gateways. What the audits hold against the
//! plan.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use yaml_edit::{AnchorRegistry, YamlFile, YamlNode};

use super::chart_values;
use crate::cilium::IP_ANNOTATIONS;
use crate::tree::Documents;
use crate::yaml::{Positions, YamlError, as_mapping, child, parse, scalar_string};

/// A LoadBalancer IP request found in a YAML file, for an audit of stray
/// hand-written IPs that would clash with the planned pools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRequest {
    pub line: usize,
    pub column: usize,
    pub value: String,
    pub source: &'static str,
    /// For the alias annotation key: what the primary key of the same
    /// annotations asks for instead, when it asks for other addresses. Cilium
    /// reads the primary key first, so this request is ignored.
    pub shadowed_by: Option<String>,
}

/// Marks the requests of the alias annotation key (`alias`, a range of
/// `found`) with what the primary key of the same annotations (`primary`) asks
/// for, when the two ask for different addresses.
fn shadow(found: &mut [IpRequest], primary: Range<usize>, alias: Range<usize>) {
    let asked = |r: &Range<usize>| -> BTreeSet<String> {
        found[r.clone()].iter().map(|q| q.value.clone()).collect()
    };
    let (wins, loses) = (asked(&primary), asked(&alias));
    if wins == loses {
        return;
    }
    let wins: Vec<String> = wins.into_iter().collect();
    for q in &mut found[alias] {
        q.shadowed_by = Some(wins.join(","));
    }
}

/// Whether `text` may ask for a LoadBalancer IP at all, read as text: every
/// request has a key (`loadBalancerIP`, an LB-IPAM annotation) or a kind
/// (`Gateway`) that is written out literally — unless a double-quoted escape
/// (`"\x6coadBalancerIP"`) spells it, so a backslash anywhere counts too. A text
/// without any of them needs no parse to know it asks for nothing.
pub fn may_ask_for_ips(text: &str) -> bool {
    text.contains('\\')
        || text.contains("loadBalancerIP")
        || text.contains("Gateway")
        || IP_ANNOTATIONS.iter().any(|(name, _)| text.contains(name))
}

/// Whether a document, as YAML 1.1 tools read it (aliases expanded), holds
/// anything [`find_ip_requests`] looks at: a Gateway, or an [`IP_ANNOTATIONS`] or
/// `loadBalancerIP` key at any depth, maps merged in with `<<` included. Most
/// files hold none, and are then known to request nothing without the full parse.
pub(crate) fn may_request_ips(doc: &yaml_serde::Value) -> bool {
    doc["kind"].as_str() == Some("Gateway") || has_request_key(doc)
}

fn has_request_key(value: &yaml_serde::Value) -> bool {
    use yaml_serde::Value;
    let is_request_key = |key: &Value| {
        crate::yaml::untag(key).as_str().is_some_and(|k| {
            k == "loadBalancerIP" || IP_ANNOTATIONS.iter().any(|(name, _)| *name == k)
        })
    };
    match value {
        Value::Mapping(m) => m
            .iter()
            .any(|(k, v)| is_request_key(k) || has_request_key(v)),
        Value::Sequence(items) => items.iter().any(has_request_key),
        Value::Tagged(t) => has_request_key(&t.value),
        _ => false,
    }
}

/// Lists every LoadBalancer IP requested in `text`, in file order and unquoted:
/// LB-IPAM annotations anywhere (one request per comma-separated item),
/// `loadBalancerIP` keys anywhere, and `spec.addresses[].value` of Gateways (except
/// addresses whose `type` is not IPAddress). Empty values are skipped. A value
/// written as an alias (`*lbIP`) is resolved to its anchor and reported at the
/// alias; a tagged value (`!!str 10.0.0.5`) counts as its scalar.
pub fn find_ip_requests(text: &str) -> Result<Vec<IpRequest>, YamlError> {
    located(text, &parse(text)?.file(), &Role::default())
}

/// The LoadBalancer-IP requests of a file in its `role`. The lossless parse
/// that places them (yaml-edit and its YAML 1.2 validator) is most of the
/// build's time, so a file in which libyaml, reading as kubectl and Flux do,
/// sees no request — nearly every file — is not parsed again: it requests
/// nothing. A file libyaml cannot read takes the lossless parse too, to be
/// reported as before.
pub(crate) fn requests_of(docs: &Documents, role: &Role<'_>) -> Result<Vec<IpRequest>, YamlError> {
    if docs.errors.is_empty() && !docs.objects.iter().any(|(_, o)| may_request_ips(o)) {
        return Ok(Vec::new());
    }
    located(docs.text(), &docs.lossless()?, role)
}

/// The chart of a HelmRelease by its `metadata.name`, as another file names it.
pub(crate) type ChartOf<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What a file is to the clusters applying it, as far as other files say.
pub(crate) enum Role<'a> {
    /// Manifests, with the chart of each HelmRelease (by `metadata.name`) that
    /// only another file names.
    Manifests(Option<ChartOf<'a>>),
    /// The values of a HelmRelease of this chart (`None`: not known), which
    /// its `valuesFrom` reads.
    Values(Option<&'a str>),
}

impl Default for Role<'_> {
    fn default() -> Self {
        Role::Manifests(None)
    }
}

/// [`find_ip_requests`] of `text`, whose lossless parse is `file`, in its `role`.
fn located(text: &str, file: &YamlFile, role: &Role<'_>) -> Result<Vec<IpRequest>, YamlError> {
    let text = &Positions::new(text);
    let mut found = Vec::new();
    let registries = file.documents().map(|d| AnchorRegistry::from_document(&d));
    let parsed = crate::yaml::parsed(text.text, file);
    let roots: Vec<YamlNode> = parsed.iter().filter_map(|d| d.node.clone()).collect();
    for (doc, anchors) in parsed.into_iter().zip(registries) {
        let Some(root) = doc.node else { continue };
        let kind = scalar_string(child(&root, "kind"));
        let values = helm_values(&root, &roots, role);
        let finder = Finder {
            text,
            anchors: &anchors,
            lb_ip: true,
            values: values.as_ref(),
        };
        if let Role::Values(chart) = role {
            finder.helm_values(&root, *chart, &mut found);
            continue;
        }
        finder.collect(&root, &mut found);
        let addresses = child(&root, "spec").and_then(|spec| child(&spec, "addresses"));
        let Some(YamlNode::Sequence(addresses)) =
            addresses.filter(|_| kind.as_deref() == Some("Gateway"))
        else {
            continue;
        };
        for address in addresses.values() {
            let kind = scalar_string(child(&address, "type"));
            if let (Some(value), None | Some("IPAddress")) =
                (child(&address, "value"), kind.as_deref())
            {
                finder.push(&value, false, "Gateway spec.addresses", &mut found);
            }
        }
    }
    found.sort_by_key(|r| (r.line, r.column));
    Ok(found)
}

/// A HelmRelease's `spec.values` (at its byte offset) and the chart it installs.
struct HelmValues {
    at: usize,
    chart: Option<String>,
}

fn helm_values(root: &YamlNode, roots: &[YamlNode], role: &Role<'_>) -> Option<HelmValues> {
    if !chart_values::is_helm_release(root) {
        return None;
    }
    let values = child(root, "spec").and_then(|s| child(&s, "values"))?;
    let elsewhere = || match role {
        Role::Manifests(Some(charts)) => charts(&scalar_string(
            child(root, "metadata").and_then(|m| child(&m, "name")),
        )?),
        _ => None,
    };
    Some(HelmValues {
        at: values.byte_range().start as usize,
        chart: chart_values::chart_name(root, roots).or_else(elsewhere),
    })
}

/// Walks one document for IP requests, resolving aliases through its anchors.
struct Finder<'a> {
    text: &'a Positions<'a>,
    anchors: &'a AnchorRegistry,
    /// Whether a `loadBalancerIP` key asks for its value (not in Helm values).
    lb_ip: bool,
    /// The HelmRelease values of the document, read chart by chart.
    values: Option<&'a HelmValues>,
}

impl Finder<'_> {
    /// A HelmRelease's values: the LB-IPAM annotations anywhere, and the
    /// `loadBalancerIP`s of the chart's known shapes ([`chart_values`]).
    fn helm_values(&self, values: &YamlNode, chart: Option<&str>, found: &mut Vec<IpRequest>) {
        let inner = Finder {
            lb_ip: false,
            values: None,
            ..*self
        };
        inner.collect(values, found);
        for node in chart_values::load_balancer_ips(chart, values).unwrap_or_default() {
            self.push(&node, false, "loadBalancerIP", found);
        }
    }

    fn collect(&self, node: &YamlNode, found: &mut Vec<IpRequest>) {
        if let Some(mapping) = as_mapping(node) {
            // Where each annotation key's requests are in `found`.
            let mut keys: [Option<Range<usize>>; 2] = [None, None];
            for entry in mapping.entries() {
                let Some(value) = entry.value_node() else {
                    continue;
                };
                let key = scalar_string(entry.key_node());
                let annotation = IP_ANNOTATIONS
                    .iter()
                    .position(|(k, _)| key.as_deref() == Some(*k));
                match annotation {
                    Some(i) => {
                        let start = found.len();
                        self.push(&value, true, IP_ANNOTATIONS[i].1, found);
                        keys[i] = Some(start..found.len());
                    }
                    None if key.as_deref() == Some("loadBalancerIP") => {
                        if self.lb_ip {
                            self.push(&value, false, "loadBalancerIP", found)
                        }
                    }
                    None => match self.values {
                        Some(v) if v.at == value.byte_range().start as usize => {
                            self.helm_values(&value, v.chart.as_deref(), found)
                        }
                        _ => self.collect(&value, found),
                    },
                }
            }
            if let [Some(primary), Some(alias)] = keys {
                shadow(found, primary, alias);
            }
        } else if let Some(sequence) = node
            .as_sequence()
            .cloned()
            .or_else(|| node.as_tagged()?.as_sequence())
        {
            sequence
                .values()
                .for_each(|item| self.collect(&item, found));
        }
    }

    /// Pushes the requests of a request value: a scalar, a tagged scalar, or an
    /// alias of one (at the alias, its anchor's value).
    fn push(&self, node: &YamlNode, list: bool, source: &'static str, found: &mut Vec<IpRequest>) {
        match node {
            YamlNode::Scalar(s) => push_requests(self.text, s, list, source, found),
            YamlNode::TaggedNode(t) => {
                if let Some(s) = t.value() {
                    push_requests(self.text, &s, list, source, found);
                }
            }
            YamlNode::Alias(alias) => {
                let Ok(target) = self.anchors.resolve_alias(alias) else {
                    return;
                };
                let scalar = match target {
                    YamlNode::Scalar(s) => s,
                    YamlNode::TaggedNode(t) => match t.value() {
                        Some(s) => s,
                        None => return,
                    },
                    _ => return,
                };
                let at = node.byte_range().start as usize;
                push_values(self.text, &scalar.as_string(), list, source, at, found);
            }
            _ => {}
        }
    }
}

/// The `loadBalancerIP` keys of HelmRelease values that [`find_ip_requests`]
/// does not read (a chart not in `chart_values`' table, or a place its chart
/// does not put on a Service), each at its line and column with why.
pub fn unread_helm_values(text: &str) -> Vec<(usize, usize, String)> {
    unread_values(&Documents::read(Path::new(""), text), &Role::default())
}

/// [`unread_helm_values`] of a file in its `role`.
pub(crate) fn unread_values(docs: &Documents, role: &Role<'_>) -> Vec<(usize, usize, String)> {
    let text = docs.text();
    let values_file = matches!(role, Role::Values(_));
    if !text.contains("loadBalancerIP") || !(values_file || text.contains("HelmRelease")) {
        return Vec::new();
    }
    let Ok(file) = docs.lossless() else {
        return Vec::new();
    };
    let positions = Positions::new(text);
    let roots: Vec<YamlNode> = crate::yaml::parsed(text, &file)
        .into_iter()
        .filter_map(|d| d.node)
        .collect();
    let mut out = Vec::new();
    for root in &roots {
        let (chart, values) = match role {
            Role::Values(chart) => (chart.map(str::to_owned), root.clone()),
            Role::Manifests(_) => {
                let Some(v) = helm_values(root, &roots, role) else {
                    continue;
                };
                let Some(values) = child(root, "spec").and_then(|s| child(&s, "values")) else {
                    continue;
                };
                (v.chart, values)
            }
        };
        let known = chart_values::load_balancer_ips(chart.as_deref(), &values);
        let read: BTreeSet<usize> = known
            .iter()
            .flatten()
            .map(|n| n.byte_range().start as usize)
            .collect();
        let mut keys = Vec::new();
        chart_values::unread_keys(&values, &mut keys);
        for at in keys.into_iter().filter(|at| !read.contains(at)) {
            let (line, column) = positions.at(at);
            let why = match (&chart, &known) {
                (_, Some(_)) => format!(
                    "chart {} does not put this loadBalancerIP on a Service lbipam-plan knows of",
                    chart.as_deref().unwrap_or("?")
                ),
                (Some(chart), None) => format!("chart {chart} is not one whose values lbipam-plan knows"),
                (None, None) => "no chart is named for the release (neither spec.chart.spec.chart nor an OCIRepository of spec.chartRef the cluster applies)".to_owned(),
            };
            out.push((line, column, why));
        }
    }
    out
}

/// Pushes the (comma-separated, if `list`) items of `scalar`, each at its own column
/// when the source spells the value literally (no escapes, no line folding).
fn push_requests(
    text: &Positions<'_>,
    scalar: &yaml_edit::Scalar,
    list: bool,
    source: &'static str,
    found: &mut Vec<IpRequest>,
) {
    if scalar.is_null() {
        return;
    }
    let value = scalar.as_string();
    let start = scalar.byte_range().start as usize;
    let inner = start + usize::from(scalar.is_quoted());
    if text.text.get(inner..inner + value.len()) != Some(value.as_str()) {
        return push_values(text, &value, list, source, start, found);
    }
    let items: Vec<&str> = if list {
        value.split(',').collect()
    } else {
        vec![value.as_str()]
    };
    let mut offset = inner;
    for item in items {
        let lead = item.len() - item.trim_start().len();
        push_item(text, item, offset + lead, source, found);
        offset += item.len() + 1;
    }
}

/// Pushes the items of `value`, all at byte `at` (a value not spelled literally
/// there: escaped, folded, or reached through an alias).
fn push_values(
    text: &Positions<'_>,
    value: &str,
    list: bool,
    source: &'static str,
    at: usize,
    found: &mut Vec<IpRequest>,
) {
    let items: Vec<&str> = if list {
        value.split(',').collect()
    } else {
        vec![value]
    };
    for item in items {
        push_item(text, item, at, source, found);
    }
}

fn push_item(
    text: &Positions<'_>,
    item: &str,
    at: usize,
    source: &'static str,
    found: &mut Vec<IpRequest>,
) {
    if item.trim().is_empty() {
        return;
    }
    let (line, column) = text.at(at);
    found.push(IpRequest {
        line,
        column,
        value: item.trim().to_string(),
        source,
        shadowed_by: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPS: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: dns
  annotations:
    lbipam.cilium.io/ips: "10.0.10.53, 10.0.10.54"
    external-dns.alpha.kubernetes.io/hostname: dns.home
spec:
  type: LoadBalancer
  loadBalancerIP: 10.0.10.50
---
# Helm values embedded in a HelmRelease
spec:
  values:
    controller:
      service:
        annotations: {"io.cilium/lb-ipam-ips": '10.0.10.60'}
        loadBalancerIP: ""
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
spec:
  gatewayClassName: cilium
  addresses:
  - type: IPAddress
    value: 10.0.10.80
  - value: "10.0.10.81"
  - type: Hostname
    value: gw.home
"#;

    #[test]
    fn ip_requests_are_found_with_positions() {
        let found = find_ip_requests(IPS).unwrap();
        let got: Vec<_> = found
            .iter()
            .map(|r| (r.line, r.column, r.value.as_str(), r.source))
            .collect();
        let annotation = "annotation lbipam.cilium.io/ips";
        let gateway = "Gateway spec.addresses";
        let expected = [
            (6, 28, "10.0.10.53", annotation),
            (6, 40, "10.0.10.54", annotation),
            (10, 19, "10.0.10.50", "loadBalancerIP"),
            (17, 49, "10.0.10.60", "annotation io.cilium/lb-ipam-ips"),
            (28, 12, "10.0.10.80", gateway),
            (29, 13, "10.0.10.81", gateway),
        ];
        assert_eq!(got, expected);
        assert_eq!(find_ip_requests(&crlf(IPS)).unwrap(), found);
    }

    #[test]
    fn a_malformed_file_is_refused_at_the_offending_line() {
        let e = find_ip_requests("a:\n\tb: 1\n").expect_err("a tab in the indentation");
        assert_eq!((e.line, e.column), (2, 1));
    }

    fn crlf(text: &str) -> String {
        text.replace('\n', "\r\n")
    }
}
