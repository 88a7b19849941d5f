//! The values the build owns in each cluster's Cilium Helm values (`helm-values`:
//! a values file, or the `spec.values` of a HelmRelease): each pinned service's
//! IP annotation and `type: LoadBalancer`, marked as the build's.

use super::want::Want;
use crate::artifact::edit;
use crate::plan::{Cluster, Plan};

/// Each cluster's managed Helm values, when the layout has Helm values.
pub(crate) fn wants(plan: &Plan) -> Vec<Want> {
    let mut out = Vec::new();
    for c in plan.clusters.iter() {
        let Some(helm) = plan.layout.helm_values(&c.name.item) else {
            continue;
        };
        let values = cilium_values(plan, c);
        let prefix = helm.prefix;
        // `FILE#spec.values`: the HelmRelease among the file's documents (or
        // its one document, whatever its kind).
        let scope = if prefix.is_empty() {
            edit::Scope::Single
        } else {
            edit::Scope::Kind("HelmRelease")
        };
        out.push(Want::edit(helm.file, "", move |text| {
            let paths: Vec<Vec<&str>> = values
                .iter()
                .map(|(p, _)| prefix.iter().chain(p).map(String::as_str).collect())
                .collect();
            let keep: Vec<&[&str]> = paths.iter().map(Vec::as_slice).collect();
            // Marked values the plan no longer renders (a changed `helm-service`,
            // the other annotation key after `ip-annotation` changed) go.
            let mut editing = edit::Editing::new(text)?;
            edit::values_prune(&mut editing, scope, &keep)?;
            let entries: Vec<(&[&str], edit::Scalar)> = paths
                .iter()
                .zip(&values)
                .map(|(p, (_, v))| (p.as_slice(), v.clone()))
                .collect();
            edit::values(&mut editing, scope, &entries)?;
            Ok(editing.finish_checked()?.into())
        }));
    }
    out
}

/// A value the build sets in a Helm values file.
pub(crate) type HelmValue = (Vec<String>, crate::artifact::edit::Scalar);

/// The bootstrap Helm values the build owns: for each pinned service with a
/// `helm-service` path, its IP annotation and `type: LoadBalancer` (Cilium's
/// chart defaults the ClusterMesh API server Service to NodePort, where a pin
/// would do nothing).
pub(crate) fn cilium_values(plan: &Plan, cluster: &Cluster) -> Vec<HelmValue> {
    let mut out = Vec::new();
    for pin in cluster.pins.iter() {
        let Some(path) = plan
            .service(&pin.service.item)
            .and_then(|s| s.helm_service.as_ref())
        else {
            continue;
        };
        let base: Vec<String> = path.item.split('.').map(str::to_owned).collect();
        let mut annotation = base.clone();
        annotation.push("annotations".to_owned());
        annotation.push(plan.cilium.ip_annotation.item.to_string());
        out.push((
            annotation,
            crate::artifact::edit::Scalar::Quoted(pin.addr.item.to_string()),
        ));
        let mut ty = base;
        ty.push("type".to_owned());
        out.push((
            ty,
            crate::artifact::edit::Scalar::Plain("LoadBalancer".to_owned()),
        ));
    }
    out
}
