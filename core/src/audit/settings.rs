//! The hand-written cluster-settings ConfigMap: no value is an address of
//! another cluster's pool.

use std::net::IpAddr;
use std::path::Path;

use yaml_serde::Value;

use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::tree::Documents;
use crate::usage::{AddressMap, Owner};

/// A `cluster-settings` value must not be an address of another cluster's pool.
/// Flux substitutes these into manifests (`${CLUSTERMESH_IP}`), so a key left
/// behind when a service's `setting` was renamed would still request its old
/// address — which, once pools move, is another cluster's. Other addresses
/// (the BGP peer, static hosts) are the hand-written settings' own business.
pub(super) fn stale_settings(
    owners: &AddressMap,
    cluster: &str,
    (path, text): (&Path, &str),
    docs: &Documents,
) -> Vec<Error> {
    // A file the audit cannot read is an error, never a skipped check.
    let Documents {
        objects, errors, ..
    } = docs;
    if !errors.is_empty() {
        return errors.clone();
    }
    let configmaps = objects
        .iter()
        .map(|(_, d)| &**d)
        .filter(|d| d["kind"].as_str() == Some("ConfigMap"));
    let data = configmaps.filter_map(|d| d.get("data").and_then(Value::as_mapping));
    let mut errors = Vec::new();
    for (key, v) in data.flat_map(|d| d.iter()) {
        let (Some(key), Some(v)) = (key.as_str(), v.as_str()) else {
            continue;
        };
        let Ok(addr) = v.trim().parse::<IpAddr>() else {
            continue;
        };
        let Some(owner @ Owner::Pool { cluster: other, .. }) = owners.owner(addr) else {
            continue;
        };
        if other == cluster {
            continue;
        }
        let why = format!("it belongs to {owner}");
        let line = crate::yaml::key_in_text(text, key).map_or(1, |k| k.line);
        errors.push(Error::file(Code::ForeignSetting, path.to_owned(), line, 1, format!(
                "cluster-settings `{key}: {addr}` of cluster {cluster} is another cluster's address: {why}; remove the key or fix plan.toml"
            )));
    }
    errors
}
