//! The keys the build owns in each cluster's settings ConfigMap (`settings-name`
//! in `settings-file`), which Flux substitutes into manifests as `${VAR}`.

use super::want::Want;
use crate::artifact::edit;
use crate::plan::{Cluster, Plan};
use crate::yaml::render_key;

/// Each cluster's settings keys, when the layout has a settings ConfigMap.
pub(crate) fn wants(plan: &Plan) -> Vec<Want> {
    let layout = &plan.layout;
    let Some(cm) = layout.settings_name() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in plan.clusters.iter() {
        let Some(file) = layout.settings_file(&c.name.item) else {
            continue;
        };
        let settings = cluster_settings(plan, c);
        let skeleton = skeleton(cm, &plan.flux.namespace.item);
        out.push(Want::edit(file, &skeleton.clone(), move |text| {
            let keys: Vec<&str> = settings.iter().map(|(k, _)| k.as_str()).collect();
            let entries: Vec<(&str, &str)> = settings
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            // Marked keys the plan no longer renders (a renamed `setting`) go.
            let text = with_skeleton(text, &skeleton);
            let mut editing = edit::Editing::new(&text)?;
            edit::configmap_prune(&mut editing, &keys)?;
            edit::configmap_data(&mut editing, &entries)?;
            Ok(editing.finish_checked()?.into())
        }));
    }
    out
}

/// The settings ConfigMap `name` for a cluster that has none yet, in the
/// namespace of the Flux Kustomization that substitutes from it (`[flux]
/// namespace`): Flux looks for `substituteFrom` ConfigMaps there.
fn skeleton(name: &str, namespace: &str) -> String {
    // Plain where YAML reads the string back as itself (`on` would be a boolean).
    let (name, namespace) = (render_key(name), render_key(namespace));
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
    )
}

/// A settings file with no YAML content yet (empty, blank or only comments) is
/// treated like a missing one: the skeleton goes after whatever it holds.
fn with_skeleton(text: &str, skeleton: &str) -> String {
    let blank = text.lines().all(|l| {
        let l = l.trim().trim_start_matches('\u{feff}');
        l.is_empty() || l.starts_with('#') || l == "---"
    });
    if !blank || text == skeleton {
        return text.to_owned();
    }
    let nl = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    format!("{text}{nl}{skeleton}")
}

/// The `cluster-settings` keys the build owns, with their values: each pinned
/// service's `setting`, and the pool range (`CILIUM_LB_POOL_START`/`_END`, the
/// lowest and highest pool address; `CILIUM_LB_POOL_BLOCKS`, every block).
pub(crate) fn cluster_settings(plan: &Plan, cluster: &Cluster) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = cluster
        .pins
        .iter()
        .filter_map(|pin| {
            let setting = plan.service(&pin.service.item)?.setting.as_ref()?;
            Some((setting.item.to_string(), pin.addr.item.to_string()))
        })
        .collect();
    let blocks: Vec<_> = cluster.pools.iter().flat_map(|p| p.blocks.iter()).collect();
    let ivs: Vec<_> = blocks.iter().filter_map(|b| b.item.interval()).collect();
    if let (Some(lo), Some(hi)) = (
        ivs.iter().min_by_key(|iv| iv.start),
        ivs.iter().max_by_key(|iv| iv.stop),
    ) {
        out.push(("CILIUM_LB_POOL_START".to_owned(), lo.first().to_string()));
        out.push(("CILIUM_LB_POOL_END".to_owned(), hi.last().to_string()));
    }
    let list: Vec<String> = blocks.iter().map(|b| b.item.to_string()).collect();
    out.push(("CILIUM_LB_POOL_BLOCKS".to_owned(), list.join(",")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings file a build starts from for a cluster without one.
    fn new_settings_file(flux: &str) -> (String, yaml_serde::Value) {
        let text = format!(
            "[network]\ncidr = \"10.0.0.0/24\"\n[clusters.a.pools.p]\nblocks = [\"10.0.0.8/29\"]\n{flux}"
        );
        let plan = crate::check::compile(&text).expect("valid plan");
        let wants = wants(&plan);
        let Some(Want::Edit { default, edit, .. }) = wants.first() else {
            panic!("no settings edit");
        };
        let edited = edit(default).expect("edits its own skeleton");
        let value = yaml_serde::from_str(&edited.text).expect("YAML");
        (edited.text, value)
    }

    #[test]
    fn a_new_settings_file_is_in_the_namespace_of_the_kustomization_substituting_from_it() {
        // Flux looks for `substituteFrom` ConfigMaps in the namespace of the
        // Kustomization substituting, which `[flux] namespace` names.
        let (_, cm) = new_settings_file("[flux]\nnamespace = \"gitops\"\n");
        assert_eq!(cm["metadata"]["namespace"].as_str(), Some("gitops"));
        assert_eq!(cm["metadata"]["name"].as_str(), Some("cluster-settings"));
        let (_, default) = new_settings_file("");
        assert_eq!(
            default["metadata"]["namespace"].as_str(),
            Some("flux-system")
        );
        // A name YAML 1.1 readers (kubectl) would take for a boolean is quoted.
        let (text, _) = new_settings_file("[flux]\nnamespace = \"on\"\n");
        assert!(text.contains("  namespace: \"on\"\n"), "{text}");
    }
}
