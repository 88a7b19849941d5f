//! Which keys of a HelmRelease's `spec.values` ask for a LoadBalancer IP, chart
//! by chart: a table of the charts whose values shapes are known, read from
//! each chart's templates. A chart not in the table is not guessed at.
//!
//! The LB-IPAM annotation keys (`lbipam.cilium.io/ips`, `io.cilium/lb-ipam-ips`)
//! are Cilium's own names, which no chart uses for anything else: they are read
//! anywhere in any chart's values, like anywhere else. `loadBalancerIP` is a
//! word every chart uses its own way (on which Service, if any), so it is read
//! only where the table says the chart puts it on a Service.

use yaml_edit::YamlNode;

use crate::yaml::{as_mapping, child, scalar_string};

/// A chart whose values shapes are known.
struct Chart {
    /// Its chart names (`spec.chart.spec.chart`, or the last segment of an
    /// `oci://` URL).
    names: &'static [&'static str],
    /// The values paths of its Services' `loadBalancerIP`; `*` stands for any key.
    load_balancer_ips: &'static [&'static [&'static str]],
}

/// The known charts. Each path as its chart's templates use it: cilium's
/// `templates/clustermesh-apiserver/service.yaml`, ingress-nginx's
/// `controller-service.yaml` and `controller-service-internal.yaml`, traefik's
/// `_service.tpl` (which copies `service.spec` into the Service whole).
const CHARTS: &[Chart] = &[
    // bjw-s app-template (common library 2 to 4): one Service per key of `service`.
    Chart {
        names: &["app-template"],
        load_balancer_ips: &[&["service", "*", "loadBalancerIP"]],
    },
    Chart {
        names: &["cilium"],
        load_balancer_ips: &[&["clustermesh", "apiserver", "service", "loadBalancerIP"]],
    },
    Chart {
        names: &["ingress-nginx"],
        load_balancer_ips: &[
            &["controller", "service", "loadBalancerIP"],
            &["controller", "service", "internal", "loadBalancerIP"],
        ],
    },
    Chart {
        names: &["traefik"],
        load_balancer_ips: &[&["service", "spec", "loadBalancerIP"]],
    },
];

/// Whether a document is a Flux HelmRelease.
pub(crate) fn is_helm_release(root: &YamlNode) -> bool {
    scalar_string(child(root, "kind")).as_deref() == Some("HelmRelease")
        && scalar_string(child(root, "apiVersion"))
            .is_some_and(|a| a.starts_with("helm.toolkit.fluxcd.io/"))
}

/// The chart a HelmRelease installs, as far as its file says: `spec.chart.spec.chart`
/// (a path or URL: its last segment), or the `spec.url` of the OCIRepository
/// `spec.chartRef` names, when the same file defines it.
pub(crate) fn chart_name(root: &YamlNode, docs: &[YamlNode]) -> Option<String> {
    let spec = child(root, "spec")?;
    if let Some(chart) = child(&spec, "chart").and_then(|c| child(&c, "spec")) {
        return scalar_string(child(&chart, "chart")).map(|c| last_segment(&c));
    }
    let chart_ref = child(&spec, "chartRef")?;
    let name = scalar_string(child(&chart_ref, "name"))?;
    let repo = docs.iter().find(|d| {
        scalar_string(child(d, "kind")).as_deref() == Some("OCIRepository")
            && scalar_string(child(d, "metadata").and_then(|m| child(&m, "name"))).as_deref()
                == Some(&name)
    })?;
    let url = scalar_string(child(repo, "spec").and_then(|s| child(&s, "url")))?;
    Some(last_segment(&url))
}

/// A chart reference's name: the last segment of a path or `oci://` URL.
pub(crate) fn last_segment(s: &str) -> String {
    s.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(s)
        .to_owned()
}

/// The values paths where `chart` puts a Service's `loadBalancerIP` (`*`
/// stands for any key), or `None` for a chart not in the table.
pub(crate) fn load_balancer_ip_paths(chart: &str) -> Option<&'static [&'static [&'static str]]> {
    CHARTS
        .iter()
        .find(|c| c.names.contains(&chart))
        .map(|c| c.load_balancer_ips)
}

/// The `loadBalancerIP` nodes of `values` that `chart` puts on a Service, or
/// `None` for a chart not in the table.
pub(crate) fn load_balancer_ips(chart: Option<&str>, values: &YamlNode) -> Option<Vec<YamlNode>> {
    let mut out = Vec::new();
    for path in load_balancer_ip_paths(chart?)? {
        out.extend(
            at_path(values.clone(), path)
                .into_iter()
                .map(|(_, node)| node),
        );
    }
    Some(out)
}

/// A tree of Helm values that a chart's values path walks: the lossless nodes
/// the audit places, or the values `lbipam init` reads.
pub(crate) trait ValueTree: Sized {
    /// The value at `key` of a mapping.
    fn get(&self, key: &str) -> Option<Self>;
    /// The entries of a mapping with a string key, in order; none for anything else.
    fn entries(&self) -> Vec<(String, Self)>;
}

impl ValueTree for YamlNode {
    fn get(&self, key: &str) -> Option<Self> {
        child(self, key)
    }

    fn entries(&self) -> Vec<(String, Self)> {
        let entries = as_mapping(self).into_iter().flat_map(|m| m.entries());
        entries
            .filter_map(|e| Some((scalar_string(e.key_node())?, e.value_node()?)))
            .collect()
    }
}

impl ValueTree for &yaml_serde::Value {
    fn get(&self, key: &str) -> Option<Self> {
        self.as_mapping()?.get(key)
    }

    fn entries(&self) -> Vec<(String, Self)> {
        let entries = self.as_mapping().into_iter().flatten();
        entries
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v)))
            .collect()
    }
}

/// The values at `path` below `node` (`*` matching any key), each with the
/// keys its `*`s matched.
pub(crate) fn at_path<V: ValueTree>(node: V, path: &[&str]) -> Vec<(Vec<String>, V)> {
    let mut out = Vec::new();
    walk(node, path, &mut Vec::new(), &mut out);
    out
}

fn walk<V: ValueTree>(
    node: V,
    path: &[&str],
    keys: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, V)>,
) {
    let Some((first, rest)) = path.split_first() else {
        out.push((keys.clone(), node));
        return;
    };
    if *first != "*" {
        if let Some(next) = node.get(first) {
            walk(next, rest, keys, out);
        }
        return;
    }
    for (key, next) in node.entries() {
        keys.push(key);
        walk(next, rest, keys, out);
        keys.pop();
    }
}

/// The `loadBalancerIP` keys anywhere below `node`, by byte offset: in values
/// of a chart not in the table, or where the table does not put them, they are
/// not read — and the audit says so.
pub(crate) fn unread_keys(node: &YamlNode, out: &mut Vec<usize>) {
    if let Some(m) = as_mapping(node) {
        for entry in m.entries() {
            let Some(value) = entry.value_node() else {
                continue;
            };
            if scalar_string(entry.key_node()).as_deref() == Some("loadBalancerIP") {
                out.push(value.byte_range().start as usize);
            } else {
                unread_keys(&value, out);
            }
        }
    } else if let Some(s) = node
        .as_sequence()
        .cloned()
        .or_else(|| node.as_tagged()?.as_sequence())
    {
        s.values().for_each(|v| unread_keys(&v, out));
    }
}
