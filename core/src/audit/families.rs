//! Dual-stack Services against the address families of their cluster's pools.
//!
//! Cilium's LB-IPAM gives a LoadBalancer Service one address of each family it
//! asks for (`spec.ipFamilyPolicy`, `spec.ipFamilies`), each from a pool that
//! holds that family; a family no pool holds leaves the Service unsatisfied
//! (condition reason `no_pool`). `RequireDualStack` asks for both families, so
//! a cluster whose pools lack one can never satisfy it: an error.
//! `PreferDualStack` settles for the family there is: a warning.

use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::flux::object::Object;
use crate::flux::resolve::ClusterBuild;
use crate::plan::Plan;

/// The errors (`RequireDualStack`) and warnings (`PreferDualStack`) of every
/// LoadBalancer Service each cluster applies whose pools lack a family.
pub(crate) fn dual_stack(plan: &Plan, builds: &[ClusterBuild]) -> (Vec<Error>, Vec<Error>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for build in builds {
        let Some(cluster) = plan.cluster(&build.cluster) else {
            continue;
        };
        let (v4, v6) = cluster.families();
        let missing = match (v4, v6) {
            (true, false) => "IPv6",
            (false, true) => "IPv4",
            _ => continue,
        };
        // The cluster's own files too: the bootstrap `flux-system` applies them.
        for o in build.objects().filter(|o| o.kind() == "Service") {
            let spec = &o.value["spec"];
            if spec["type"].as_str() != Some("LoadBalancer") {
                continue;
            }
            let policy = spec["ipFamilyPolicy"].as_str().unwrap_or("");
            let (line, column) = position(o);
            let id = format!("{}/{}", o.namespace().unwrap_or("default"), o.name());
            let c = &build.cluster;
            match policy {
                "RequireDualStack" => errors.push(Error::file(Code::DualStackUnsatisfiable, o.source.clone(), line, column, format!(
                        "Service {id} requires dual-stack (ipFamilyPolicy: RequireDualStack), but no pool of cluster {c} in plan.toml holds {missing}: Cilium can never give it both addresses; add a {missing} block to a pool of {c} or use PreferDualStack or SingleStack"
                    ))),
                "PreferDualStack" => warnings.push(Error::file(Code::OneFamilyOnly, o.source.clone(), line, column, format!(
                    "Service {id} prefers dual-stack (ipFamilyPolicy: PreferDualStack), but no pool of cluster {c} in plan.toml holds {missing}: it gets one family only"
                ))),
                _ => {}
            }
        }
    }
    (errors, warnings)
}

/// The line and column of the `ipFamilyPolicy` value in the object's file (the
/// document's first line when it cannot be found as written).
fn position(o: &Object) -> (usize, usize) {
    crate::yaml::key_in_text(&o.raw, "ipFamilyPolicy")
        .map_or((o.line, 1), |k| (o.line + k.line - 1, k.value_column))
}
