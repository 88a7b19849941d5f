//! What a cluster's advertisement relies on in its Cilium Helm values: BGP
//! needs the BGP control plane (`bgpControlPlane.enabled`), L2 announcements
//! need `l2announcements.enabled` and the kube-proxy replacement
//! (`kubeProxyReplacement`). Without them Cilium ignores the generated
//! objects and the addresses are handed out but never reachable.

use std::path::Path;

use yaml_serde::Value;

use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::plan::{AdvertiseMode, Plan};
use crate::tree::Tree;

/// The Helm values keys each mode needs set to `true`.
fn needs(mode: AdvertiseMode) -> &'static [&'static [&'static str]] {
    match mode {
        AdvertiseMode::None => &[],
        AdvertiseMode::Bgp => &[&["bgpControlPlane", "enabled"]],
        AdvertiseMode::L2 => &[&["l2announcements", "enabled"], &["kubeProxyReplacement"]],
    }
}

/// An error for each key an advertising cluster's Helm values leave unset or false.
pub(super) fn check(tree: &Tree, plan: &Plan) -> Vec<Error> {
    let mut out = Vec::new();
    for c in plan.clusters.iter() {
        let mode = c.advertise.mode.item;
        let Some(helm) = plan.layout.helm_values(&c.name.item) else {
            continue;
        };
        if needs(mode).is_empty() {
            continue;
        }
        // An unreadable or broken values file is reported by its reader.
        let Ok(text) = tree.read(&helm.file) else {
            continue;
        };
        let docs = tree.documents(&helm.file, &text);
        let values = docs
            .objects
            .iter()
            .map(|(_, v)| &**v)
            .find(|v| helm.prefix.is_empty() || v["kind"].as_str() == Some("HelmRelease"))
            .map(|v| helm.prefix.iter().fold(v, |v, k| &v[k.as_str()]));
        for key in needs(mode) {
            let set = values.is_some_and(|v| is_true(key.iter().fold(v, |v, k| &v[*k])));
            if !set {
                out.push(not_enabled(
                    &helm.file,
                    &text,
                    &helm.prefix,
                    key,
                    &c.name.item,
                    mode,
                ));
            }
        }
    }
    out
}

/// `true`, or the string `"true"` the chart also accepts.
fn is_true(v: &Value) -> bool {
    v.as_bool() == Some(true) || v.as_str() == Some("true")
}

fn not_enabled(
    file: &Path,
    text: &str,
    prefix: &[String],
    key: &[&str],
    cluster: &str,
    mode: AdvertiseMode,
) -> Error {
    let path: Vec<&str> = prefix
        .iter()
        .map(String::as_str)
        .chain(key.iter().copied())
        .collect();
    let dotted = path.join(".");
    let (line, column) =
        crate::yaml::key_in_text(text, key[0]).map_or((1, 1), |k| (k.line, k.column));
    let what = match mode {
        AdvertiseMode::Bgp => "a CiliumBGPAdvertisement, which only the BGP control plane reads",
        _ => {
            "a CiliumL2AnnouncementPolicy, which needs L2 announcements and the kube-proxy replacement"
        }
    };
    Error::file(
        Code::AdvertisementNotEnabled,
        file.to_owned(),
        line,
        column,
        format!(
            "{}: `{dotted}` is not true, but cluster {cluster} has advertise = \"{}\" in plan.toml: the build writes {what}; set `{dotted}: true` in {} (or change advertise)",
            file.display(),
            mode.as_str(),
            file.display()
        ),
    )
}
