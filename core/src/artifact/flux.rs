//! The managed Flux Kustomization of each cluster (`flux-name` in `flux-file`):
//! the build owns the fields it renders and keeps the rest of the file.

use serde::Serialize;

use super::want::Want;
use crate::artifact::edit;
use crate::artifact::render::{Metadata, Object, yaml};
use crate::plan::{Cluster, Plan};

/// The managed document of each cluster's Flux file.
pub(crate) fn wants(plan: &Plan) -> Vec<Want> {
    let layout = &plan.layout;
    let after =
        (plan.flux.depends_on.first()).map(|d| crate::plan::dependency(&d.item).1.to_owned());
    plan.clusters
        .iter()
        .map(|c| {
            let doc = flux_kustomization(plan, c);
            let name = layout.flux_name().to_owned();
            let after = after.clone();
            Want::edit(layout.flux_file(&c.name.item), "", move |text| {
                let name = &name;
                edit::upsert_document(
                    text,
                    "Kustomization",
                    name,
                    &doc,
                    after.as_deref(),
                    FLUX_OPTIONAL,
                )
                .map(Into::into)
            })
        })
        .collect()
}

/// The cluster's Flux `cilium-ipam` Kustomization: the one document of
/// `kubernetes/clusters/<cluster>/infrastructure.yaml` the build owns. Its path
/// names only this cluster's IPAM component — that is the isolation.
pub(crate) fn flux_kustomization(plan: &Plan, cluster: &Cluster) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec<'a> {
        interval: &'a str,
        prune: bool,
        wait: bool,
        timeout: &'a str,
        source_ref: SourceRef<'a>,
        path: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        depends_on: Vec<Dependency<'a>>,
    }
    #[derive(Serialize)]
    struct SourceRef<'a> {
        kind: &'a str,
        name: &'a str,
        namespace: &'a str,
    }
    #[derive(Serialize)]
    struct Dependency<'a> {
        name: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<&'a str>,
    }
    yaml(&Object {
        api_version: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: Metadata {
            name: plan.layout.flux_name(),
            namespace: Some(&plan.flux.namespace.item),
        },
        spec: Spec {
            interval: &plan.flux.interval.item,
            prune: true,
            wait: true,
            timeout: &plan.flux.timeout.item,
            source_ref: SourceRef {
                kind: &plan.flux.source.kind.item,
                name: &plan.flux.source.name.item,
                namespace: &plan.flux.source.namespace.item,
            },
            path: plan.layout.flux_path(&cluster.name.item),
            depends_on: plan
                .flux
                .depends_on
                .iter()
                .map(|d| {
                    let (namespace, name) = crate::plan::dependency(&d.item);
                    Dependency { name, namespace }
                })
                .collect(),
        },
    })
}

/// Fields of the `cilium-ipam` Kustomization the build owns although it may not
/// render them: an empty `depends-on` drops `spec.dependsOn`.
pub(crate) const FLUX_OPTIONAL: &[&[&str]] = &[&["spec", "dependsOn"]];
