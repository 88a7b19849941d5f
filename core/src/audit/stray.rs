//! Stray LoadBalancer IPs: every address a manifest asks for is one the plan
//! gives to the cluster that applies it, as that cluster reads it after Flux's
//! substitution.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::appliers::{Applier, OwnDirs};
use super::requests::IpRequest;
use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::usage::{AddressMap, Holder, Owner};

/// A LoadBalancer IP a file asks for, as the cluster applying it reads it
/// (after Flux's substitution).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requested {
    /// The address.
    pub addr: IpAddr,
    /// The cluster it is asked of: the one applying the file, else the cluster
    /// of its path; `None` when neither is known.
    pub cluster: Option<String>,
    /// The file, relative to the root.
    pub path: PathBuf,
    /// The 1-based line of the request.
    pub line: usize,
}

/// Checks the LoadBalancer IP requests of one file. A file some cluster applies
/// must ask each such cluster only for that cluster's addresses, after Flux's
/// substitution; a file no cluster applies is held against the cluster of its
/// path (`kubernetes/clusters/<c>/`, `bootstrap/clusters/<c>/`), or else must ask
/// for an address given to some cluster. `${VAR}` in a file nothing substitutes
/// is left to the tool that reads it. Also returns each address asked for, as
/// the cluster asked reads it.
pub(super) fn stray_ips(
    map: &AddressMap,
    own: &OwnDirs,
    path: &Path,
    requests: &[IpRequest],
    how: &[Applier],
) -> (Vec<Error>, Vec<Requested>) {
    let mut errors = Vec::new();
    let mut requested = Vec::new();
    for req in requests {
        let at = |(code, message): (Code, String)| {
            Error::file(code, path.to_owned(), req.line, req.column, message)
        };
        let mut asked = |value: &str, cluster: Option<String>| {
            if let Ok(addr) = value.trim().parse() {
                let (path, line) = (path.to_owned(), req.line);
                requested.push(Requested {
                    addr,
                    cluster,
                    path,
                    line,
                });
            }
        };
        if how.is_empty() {
            let cluster = own.cluster_of(path);
            if req.value.contains("${") {
                continue;
            }
            asked(&req.value, cluster.clone());
            if let Some(found) = judge(map, cluster.as_deref(), &req.value, req.source, "") {
                errors.push(at(found));
            }
            continue;
        }
        for a in how {
            let (value, shown) = match substituted(&req.value, a) {
                Ok(Subst::Literal) => (req.value.clone(), String::new()),
                Ok(Subst::Value(v)) => (v, format!(", `{}` substituted by Flux", req.value)),
                Ok(Subst::Unknown) => continue,
                Err(message) => {
                    errors.push(at((Code::UnsubstitutedVariable, message)));
                    continue;
                }
            };
            asked(&value, Some(a.cluster.clone()));
            if let Some((code, message)) = judge(map, Some(&a.cluster), &value, req.source, &shown)
            {
                errors.push(at((code, format!(
                    "{message}; cluster {} applies this file through Flux Kustomization {} ({})",
                    a.cluster, a.kustomization, a.via
                ))));
            }
        }
    }
    (errors, requested)
}

/// A requested value after the applier's substitution.
enum Subst {
    /// It has no `${`.
    Literal,
    /// What Flux makes of it.
    Value(String),
    /// Not knowable from the repository: a variable a Secret may set, or one the
    /// resolver already reported as unset.
    Unknown,
}

fn substituted(value: &str, a: &Applier) -> Result<Subst, String> {
    if !value.contains("${") {
        return Ok(Subst::Literal);
    }
    match &a.vars {
        Some(vars) => Ok(
            match crate::flux::resolve::envsubst_with(value, &vars.values, vars.secret) {
                Ok(v) if !v.contains("${") => Subst::Value(v),
                _ => Subst::Unknown,
            },
        ),
        None => Err(format!(
            "`{value}` is applied to cluster {} by Flux Kustomization {}, which has no spec.postBuild, so Cilium receives it unsubstituted",
            a.cluster, a.kustomization
        )),
    }
}

/// Why a requested address is not the given cluster's (or, with no cluster,
/// nobody's); `None` when it is fine.
fn judge(
    map: &AddressMap,
    cluster: Option<&str>,
    value: &str,
    source: &str,
    shown: &str,
) -> Option<(Code, String)> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let Ok(addr) = value.parse::<IpAddr>() else {
        return Some((
            Code::NotAnIp,
            format!("{source} `{value}`{shown} is not an IP address"),
        ));
    };
    let plan = map.plan();
    let holder = map.holder(addr);
    let given = match (holder, cluster) {
        (Some(Holder::Pool { cluster: ci, .. }), Some(name)) => {
            plan.clusters.get(ci).is_some_and(|c| c.name.item == name)
        }
        (Some(Holder::Pool { .. }), None) => true,
        _ => false,
    };
    if given {
        return None;
    }
    let whose = match cluster {
        Some(name) => format!("cluster {name}"),
        None => "any cluster".to_owned(),
    };
    let why = match (holder, map.owner(addr)) {
        (None, _) => format!("it is outside network {}", plan.networks_text(None)),
        (_, Some(owner @ Owner::Pool { .. })) => format!("it belongs to {owner}"),
        (_, Some(owner @ Owner::Reserved(_))) => format!("it is in {owner}"),
        (_, None) => "no pool holds it".to_owned(),
    };
    Some((
        Code::StrayIp,
        format!(
            "LoadBalancer IP {addr} ({source}{shown}) is not given to {whose} by plan.toml: {why}"
        ),
    ))
}
