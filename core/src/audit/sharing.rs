//! Who may take a requested LoadBalancer IP, as Cilium's LB-IPAM decides it.
//!
//! Two Services get one address only if they share it: the same sharing key
//! (`lbipam.cilium.io/sharing-key`, alias `io.cilium/lb-ipam-sharing-key`), each
//! allowing the other's namespace when they differ
//! (`lbipam.cilium.io/sharing-cross-namespace`, a comma list or `*`), the same
//! `externalTrafficPolicy`, and no port number in common (LB-IPAM compares port
//! numbers, not protocols). Otherwise the second stays pending. One address on
//! the shared L2 network never serves two clusters. With `[cilium] reserve-pins`
//! a pinned address lies in a pool that selects only its Service, so any other
//! Service asking for it stays pending (`pool_selector_mismatch`).
//!
//! [`check`] judges a list of requests, however they were found; [`requests_in`]
//! lifts them out of one YAML file.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use yaml_serde::Value;

use super::requests::{Role, requests_of};
use crate::cilium::{CROSS_NAMESPACE, SHARING_KEY};
use crate::diag::codes::Code;
use crate::diag::error::{Error, Related};
use crate::plan::Plan;
use crate::tree::Documents;

/// A Kubernetes Service; `namespace` is `None` when the manifest leaves it to
/// Flux or kustomize.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceId {
    /// `metadata.namespace`, if written.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "Service {ns}/{}", self.name),
            None => write!(f, "Service {}", self.name),
        }
    }
}

/// One request for a LoadBalancer IP, with what LB-IPAM looks at to share it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The cluster it is applied to.
    pub cluster: String,
    /// The file, relative to the repository root.
    pub file: PathBuf,
    /// 1-based line and column of the address.
    pub line: usize,
    /// See `line`.
    pub column: usize,
    /// The first line of the YAML document: requests of one document are one
    /// Service's.
    pub document: usize,
    /// The address.
    pub addr: IpAddr,
    /// The Service asking, if it can be told.
    pub service: Option<ServiceId>,
    /// Its sharing key.
    pub sharing_key: Option<String>,
    /// Namespaces it allows to share with (`*`: all).
    pub cross_namespace: Vec<String>,
    /// `spec.externalTrafficPolicy` (`Cluster` when unset).
    pub external_traffic_policy: String,
    /// Its ports, each with its protocol (`TCP` unless said); `None` when they
    /// cannot be told.
    pub ports: Option<Vec<(u32, String)>>,
}

/// A pinned address held back for one Service (`reserve-pins`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pinned {
    /// The cluster of the pin.
    pub cluster: String,
    /// The pin's name in plan.toml.
    pub pin: String,
    /// The address.
    pub addr: IpAddr,
    /// The only Service its pool selects.
    pub namespace: String,
    /// See `namespace`.
    pub name: String,
}

/// The pinned addresses a plan holds back: none unless `reserve-pins` is on.
pub fn pinned(plan: &Plan) -> Vec<Pinned> {
    if !plan.cilium.reserve_pins.item {
        return Vec::new();
    }
    let mut out = Vec::new();
    for c in plan.clusters.iter() {
        for pin in c.pins.iter() {
            if let Some((namespace, name)) = crate::cilium::pinned_service(plan, &pin.service.item)
            {
                out.push(Pinned {
                    cluster: c.name.item.to_string(),
                    pin: pin.service.item.to_string(),
                    addr: pin.addr.item,
                    namespace,
                    name,
                });
            }
        }
    }
    out
}

/// Every request that Cilium would leave pending: a pinned address asked for by
/// another Service, an address asked for in two clusters, or by two Services of
/// one cluster that cannot share it. Each error names both places.
///
/// With `differentiate` (`[cilium] load-balancer-protocol-differentiation`)
/// two Services clash only on the same port and protocol, else on the same
/// port number whatever the protocol.
pub fn check(requests: &[Request], pinned: &[Pinned], differentiate: bool) -> Vec<Error> {
    let mut errors = spaced_namespaces(requests);
    for r in requests {
        if let Some(p) = pinned
            .iter()
            .find(|p| p.addr == r.addr && p.cluster == r.cluster)
            && !owns(r, p)
        {
            let who = r.service.as_ref().map_or_else(
                || "a request whose Service cannot be told".to_owned(),
                ToString::to_string,
            );
            errors.push(at(r, Code::PinnedIpTaken, format!(
                "LoadBalancer IP {} is pinned to Service {}/{} (pin {} of cluster {}) and its pool selects only that Service; {who} would stay pending (pool_selector_mismatch)",
                r.addr, p.namespace, p.name, p.pin, p.cluster
            )));
        }
    }
    for (i, r) in requests.iter().enumerate() {
        // Against the first earlier request of another object for the address.
        let Some(o) = requests[..i]
            .iter()
            .find(|o| o.addr == r.addr && (o.file != r.file || o.document != r.document))
        else {
            continue;
        };
        let why = if o.cluster != r.cluster {
            Some((
                Code::IpInTwoClusters,
                format!(
                    "it is also requested in cluster {} at {}:{}; one address on the shared network cannot serve two clusters",
                    o.cluster,
                    o.file.display(),
                    o.line
                ),
            ))
        } else {
            not_shareable(r, o, differentiate).map(|(code, reason)| {
                (code, format!(
                    "it is also requested by {} at {}:{}, and Cilium will not let them share it: {reason}",
                    shown(&o.service),
                    o.file.display(),
                    o.line
                ))
            })
        };
        if let Some((code, why)) = why {
            let message = format!(
                "LoadBalancer IP {} requested by {} in cluster {}: {why}",
                r.addr,
                shown(&r.service),
                r.cluster
            );
            let other = Related {
                path: o.file.clone(),
                line: o.line,
                column: o.column,
                label: match &o.service {
                    Some(s) => format!("also requested by {s}"),
                    None => "also requested here".to_owned(),
                },
            };
            errors.push(at(r, code, message).with_related(other));
        }
    }
    errors
}

fn shown(s: &Option<ServiceId>) -> String {
    s.as_ref()
        .map_or_else(|| "an object".to_owned(), ToString::to_string)
}

fn at(r: &Request, code: Code, message: String) -> Error {
    Error::file(code, r.file.clone(), r.line, r.column, message)
}

/// Whether the request is the pinned Service's (a namespace the manifest leaves
/// unset is not held against it).
fn owns(r: &Request, p: &Pinned) -> bool {
    r.service.as_ref().is_some_and(|s| {
        s.name == p.name && s.namespace.as_deref().is_none_or(|ns| ns == p.namespace)
    })
}

/// Why two Services of one cluster cannot share an address, if they cannot.
fn not_shareable(a: &Request, b: &Request, differentiate: bool) -> Option<(Code, String)> {
    let key = |r: &Request| r.sharing_key.clone().unwrap_or_else(|| "none".to_owned());
    if a.sharing_key.is_none() || a.sharing_key != b.sharing_key {
        return Some((
            Code::SharingKeyMismatch,
            format!(
                "they have no common sharing key ({} and {})",
                key(a),
                key(b)
            ),
        ));
    }
    let ns = |r: &Request| r.service.as_ref().and_then(|s| s.namespace.clone());
    if let (Some(na), Some(nb)) = (ns(a), ns(b))
        && na != nb
    {
        let allows =
            |r: &Request, other: &str| r.cross_namespace.iter().any(|n| n == "*" || n == other);
        if !allows(a, &nb) || !allows(b, &na) {
            return Some((
                Code::SharingNamespaceMismatch,
                format!(
                    "namespaces {na} and {nb} differ and do not both allow each other in {}",
                    CROSS_NAMESPACE[0]
                ),
            ));
        }
    }
    if a.external_traffic_policy != b.external_traffic_policy {
        return Some((
            Code::SharingTrafficPolicyMismatch,
            format!(
                "externalTrafficPolicy {} and {} differ",
                a.external_traffic_policy, b.external_traffic_policy
            ),
        ));
    }
    let clash = |(pa, ta): &(u32, String), (pb, tb): &(u32, String)| {
        pa == pb && (!differentiate || ta == tb)
    };
    if let (Some(pa), Some(pb)) = (&a.ports, &b.ports)
        && let Some((port, proto)) = pa.iter().find(|p| pb.iter().any(|q| clash(p, q)))
    {
        let message = if differentiate {
            format!("both use port {port}/{proto}")
        } else {
            format!("both use port {port}")
        };
        return Some((Code::SharingPortClash, message));
    }
    None
}

/// A `sharing-cross-namespace` entry with spaces around it, once per Service:
/// Cilium splits the value on `,` without trimming, so `"a, b"` allows `a` and
/// ` b`, which names no namespace.
fn spaced_namespaces(requests: &[Request]) -> Vec<Error> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for r in requests {
        let spaced: Vec<&String> = r
            .cross_namespace
            .iter()
            .filter(|n| n.trim() != n.as_str())
            .collect();
        if spaced.is_empty() || !seen.insert((&r.file, r.document)) {
            continue;
        }
        let shown: Vec<String> = spaced.iter().map(|n| format!("{n:?}")).collect();
        let message = format!(
            "{} of {} names {}: Cilium splits it on ',' without trimming spaces, so no namespace is allowed by that entry; write the list without spaces (\"a,b\")",
            CROSS_NAMESPACE[0],
            self::shown(&r.service),
            shown.join(", ")
        );
        out.push(at(r, Code::SharingNamespaceSpace, message));
    }
    out
}

/// The LoadBalancer-IP requests of one YAML file with their Service's sharing
/// details. `cluster` names the cluster each address is applied to (`None`:
/// skip it, the stray-IP audit reports it).
pub fn requests_in(
    plan: &Plan,
    path: &Path,
    text: &str,
    cluster: impl Fn(IpAddr) -> Option<String>,
) -> Vec<Request> {
    requests_as(
        plan,
        path,
        &Documents::read(path, text),
        &Role::default(),
        cluster,
    )
}

/// [`requests_in`] of a file in its `role` (the values of a HelmRelease).
pub(crate) fn requests_as(
    plan: &Plan,
    path: &Path,
    docs: &Documents,
    role: &Role<'_>,
    cluster: impl Fn(IpAddr) -> Option<String>,
) -> Vec<Request> {
    let Ok(found) = requests_of(docs, role) else {
        return Vec::new(); // the stray-IP audit reports the broken file
    };
    let objects = &docs.objects;
    let mut out = Vec::new();
    for req in found {
        let Ok(addr) = req.value.trim().parse::<IpAddr>() else {
            continue;
        };
        let Some(cluster) = cluster(addr) else {
            continue;
        };
        let (document, object) = objects
            .iter()
            .rfind(|(start, _)| *start <= req.line)
            .map_or((0, &Value::Null), |(s, v)| (*s, v));
        let mut r = Request {
            cluster,
            file: path.to_owned(),
            line: req.line,
            column: req.column,
            document,
            addr,
            service: None,
            sharing_key: None,
            cross_namespace: Vec::new(),
            external_traffic_policy: "Cluster".to_owned(),
            ports: None,
        };
        describe(plan, &mut r, object);
        out.push(r);
    }
    out
}

/// Fills in the Service of the object asking: a Service itself, the Service
/// Cilium makes for a Gateway (`cilium-gateway-<name>`, its annotations from
/// `spec.infrastructure.annotations`), or a pin's Helm-managed Service.
fn describe(plan: &Plan, r: &mut Request, object: &Value) {
    let meta = &object["metadata"];
    let namespace = meta["namespace"].as_str().map(str::to_owned);
    let name = meta["name"].as_str().unwrap_or("");
    let annotations = match object["kind"].as_str() {
        Some("Service") => {
            r.service = Some(ServiceId {
                namespace,
                name: name.to_owned(),
            });
            if let Some(p) = object["spec"]["externalTrafficPolicy"].as_str() {
                r.external_traffic_policy = p.to_owned();
            }
            r.ports = ports(&object["spec"]["ports"], "port");
            &meta["annotations"]
        }
        Some("Gateway") => {
            r.service = Some(ServiceId {
                namespace,
                name: format!("cilium-gateway-{name}"),
            });
            r.ports = ports(&object["spec"]["listeners"], "port");
            &object["spec"]["infrastructure"]["annotations"]
        }
        _ => match helm_service(plan, r, object) {
            Some(values) => &values["annotations"],
            None => &Value::Null,
        },
    };
    let annotation = |keys: [&str; 2]| keys.iter().find_map(|k| annotations[*k].as_str());
    r.sharing_key = annotation(SHARING_KEY).map(str::to_owned);
    r.cross_namespace = annotation(CROSS_NAMESPACE)
        // As Cilium reads it: split on ',' and not trimmed.
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
}

/// The values of a pin's `helm-service` in Helm values (a values file or a
/// HelmRelease's `spec.values`) that request the pin's address there; marks the
/// request as the pin's Service.
fn helm_service<'v>(plan: &Plan, r: &mut Request, object: &'v Value) -> Option<&'v Value> {
    let cluster = plan.cluster(&r.cluster)?;
    // Values in a plain values file, or inside a HelmRelease (`FILE#spec.values`).
    let values = match object["kind"].as_str() {
        Some("HelmRelease") => &object["spec"]["values"],
        _ => object,
    };
    for pin in cluster.pins.iter().filter(|p| p.addr.item == r.addr) {
        let Some(path) = plan
            .service(&pin.service.item)
            .and_then(|s| s.helm_service.as_ref())
        else {
            continue;
        };
        let node = path.item.split('.').fold(values, |v, k| &v[k]);
        let asks = crate::cilium::IP_ANNOTATIONS.iter().any(|(k, _)| {
            node["annotations"][*k]
                .as_str()
                .is_some_and(|v| v.split(',').any(|a| a.trim().parse() == Ok(r.addr)))
        });
        if asks {
            r.service = crate::cilium::pinned_service(plan, &pin.service.item).map(|(ns, name)| {
                ServiceId {
                    namespace: Some(ns),
                    name,
                }
            });
            return Some(node);
        }
    }
    None
}

/// The ports of a Service (`protocol`, `TCP` when unset) or a Gateway's
/// listeners (`UDP` for UDP routes' listeners, every other protocol TCP).
fn ports(list: &Value, key: &str) -> Option<Vec<(u32, String)>> {
    let list = list.as_sequence()?;
    Some(
        list.iter()
            .filter_map(|p| {
                let port = u32::try_from(p[key].as_u64()?).ok()?;
                let proto = p["protocol"]
                    .as_str()
                    .filter(|v| ["UDP", "SCTP"].contains(v))
                    .unwrap_or("TCP");
                Some((port, proto.to_owned()))
            })
            .collect(),
    )
}
