//! What the clusters apply, in the plan's terms: the clusters from the Flux
//! entries, each cluster's pools with the Flux Kustomization and files that
//! hold them, the Services and Gateways asking for a fixed address, and the
//! settings ConfigMap and Cilium values the layout points at. Whatever the
//! plan cannot say yet is a refusal naming the object and its file.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use yaml_serde::Value;

use super::entry::Entry;
use crate::audit::chart_values::{at_path, load_balancer_ip_paths};
use crate::audit::isolation::{is_pool, pool_blocks};
use crate::audit::releases::chart_of;
use crate::check::dns1123_label_error;
use crate::cilium::IP_ANNOTATIONS;
use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::flux::object::Object;
use crate::flux::resolve::{Applied, ClusterBuild, key_line};
use crate::net::{Block, Interval};
use crate::tree::Tree;

/// The clusters: one per Flux entry, and the `cluster-dir` template.
#[derive(Clone)]
pub(crate) struct Clusters {
    /// `(name, its directory)`, in path order.
    pub(crate) names: Vec<(String, PathBuf)>,
    /// `cluster-dir`: the one directory, or the directories with the part that
    /// differs as `{cluster}`.
    pub(crate) template: String,
    /// The file of the first entry, for the notes.
    pub(crate) entry_file: PathBuf,
    /// What the first entry is, for the notes ([`Entry::what`]).
    pub(crate) entry_what: String,
}

/// A pool as the cluster applies it.
pub(crate) struct Pool {
    pub(crate) name: String,
    pub(crate) file: PathBuf,
    pub(crate) blocks: Vec<Block>,
    pub(crate) allow_first_last: Option<bool>,
    /// `service-selector`'s inline table, if the pool selects Services.
    pub(crate) selector: Option<String>,
}

/// A fixed address a Service (or a Gateway's Service, or a chart's) asks for.
pub(crate) struct Pin {
    pub(crate) name: String,
    /// `NS/NAME` of the Service, when the object says it; a chart's values do
    /// not (the chart names its Services).
    pub(crate) service: Option<String>,
    /// Where a pin with no Service came from: `HelmRelease NS/NAME spec.values.PATH`.
    pub(crate) origin: Option<String>,
    pub(crate) addr: IpAddr,
    /// The Service's own labels as an inline TOML table, if it has any: what a
    /// pool's selector is judged against.
    pub(crate) labels: Option<String>,
}

/// One cluster, read.
pub(crate) struct Cluster {
    pub(crate) name: String,
    pub(crate) pools: Vec<Pool>,
    pub(crate) pins: Vec<Pin>,
    /// The Flux Kustomization applying the pools.
    pub(crate) flux: Applied,
    pub(crate) settings: Option<(PathBuf, String)>,
    pub(crate) helm_values: Option<String>,
}

/// The whole repository, read.
pub(crate) struct Repo {
    pub(crate) clusters: Clusters,
    pub(crate) read: Vec<Cluster>,
    pub(crate) api_version: String,
    pub(crate) notes: Vec<String>,
}

impl Repo {
    /// Every pool block, as intervals.
    pub(crate) fn blocks(&self) -> Vec<Interval> {
        let blocks = self
            .read
            .iter()
            .flat_map(|c| &c.pools)
            .flat_map(|p| &p.blocks);
        blocks.filter_map(Block::interval).collect()
    }
}

pub(crate) fn refusal(path: &Path, line: usize, message: String) -> Error {
    Error::file(
        Code::InitRefused,
        path.to_owned(),
        line,
        1,
        format!("{message}; nothing written"),
    )
}

/// The clusters of the Flux entries: one entry, its directory's name; several,
/// the one path component in which their directories differ.
pub(crate) fn clusters(entries: &[Entry]) -> Result<Clusters, Error> {
    let Some(first) = entries.first() else {
        return Err(refusal(Path::new(crate::plan::layout::PLAN_FILE), 1, "no Flux entry found: no `flux-system` Kustomization (kustomize.toolkit.fluxcd.io, as `flux bootstrap` writes it) and no flux-operator FluxInstance in flux-system whose path is a cluster's directory".to_owned()));
    };
    let entry_file = first.file.clone();
    let entry_what = first.what.clone();
    let parts = |e: &Entry| -> Vec<String> {
        e.dir
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    };
    if entries.len() == 1 {
        let name = first
            .dir
            .file_name()
            .map_or("main".to_owned(), |n| label(&n.to_string_lossy()));
        let template = first.dir.display().to_string();
        return Ok(Clusters {
            names: vec![(name, first.dir.clone())],
            template,
            entry_file,
            entry_what,
        });
    }
    let all: Vec<Vec<String>> = entries.iter().map(parts).collect();
    let same_len = all.iter().all(|p| p.len() == all[0].len());
    let differ: Vec<usize> = (0..all[0].len())
        .filter(|&i| all.iter().any(|p| p.get(i) != all[0].get(i)))
        .collect();
    let sources: BTreeSet<&[String; 3]> = entries.iter().map(|e| &e.source).collect();
    let dirs: Vec<String> = entries
        .iter()
        .map(|e| e.dir.display().to_string())
        .collect();
    if !same_len || differ.len() != 1 || sources.len() != 1 {
        return Err(refusal(
            &entry_file,
            1,
            format!(
                "the Flux entries {} are not one directory per cluster differing in one name on one source, which `cluster-dir = \"…{{cluster}}…\"` needs",
                dirs.join(", ")
            ),
        ));
    }
    let at = differ[0];
    let mut template = all[0].clone();
    template[at] = "{cluster}".to_owned();
    let names = entries
        .iter()
        .zip(&all)
        .map(|(e, p)| (label(&p[at]), e.dir.clone()))
        .collect();
    Ok(Clusters {
        names,
        template: template.join("/"),
        entry_file,
        entry_what,
    })
}

/// A name as a DNS-1123 label: lower case, other characters as `-`.
pub(crate) fn label(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-');
    let s: String = s.chars().take(63).collect();
    s.trim_end_matches('-').to_owned()
}

/// Reads every cluster's build; every refusal at once.
pub(crate) fn read(
    tree: &Tree,
    clusters: &Clusters,
    builds: &[ClusterBuild],
) -> Result<Repo, Vec<Error>> {
    let mut errors = Vec::new();
    let mut read = Vec::new();
    let mut services: BTreeMap<String, String> = BTreeMap::new();
    let mut api_versions = BTreeSet::new();
    for build in builds {
        match cluster(tree, build, &mut services, &mut api_versions) {
            Ok(c) => read.push(c),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let api_version = api_versions
        .into_iter()
        .next_back()
        .unwrap_or_else(|| "cilium.io/v2".to_owned());
    let notes = vec![format!(
        "{} cluster(s) from the Flux entries ({} in {})",
        clusters.names.len(),
        clusters.entry_what,
        clusters.entry_file.display()
    )];
    Ok(Repo {
        clusters: clusters.clone(),
        read,
        api_version,
        notes,
    })
}

/// One cluster: the one Flux Kustomization applying pools, its pools, the pins.
fn cluster(
    tree: &Tree,
    build: &ClusterBuild,
    services: &mut BTreeMap<String, String>,
    api_versions: &mut BTreeSet<String>,
) -> Result<Cluster, Vec<Error>> {
    let c = &build.cluster;
    let with_pools: Vec<&Applied> = build
        .kustomizations
        .iter()
        .filter(|a| a.objects.iter().any(|o| is_pool(&o.value)))
        .collect();
    let flux = match with_pools.as_slice() {
        [one] => *one,
        [] => {
            return Err(vec![refusal(
                &build
                    .kustomizations
                    .first()
                    .map_or_else(PathBuf::new, |a| a.flux.path.clone()),
                1,
                format!("cluster {c} applies no CiliumLoadBalancerIPPool"),
            )]);
        }
        [first, rest @ ..] => {
            let names: Vec<&str> = rest.iter().map(|a| a.flux.name.as_str()).collect();
            return Err(vec![refusal(
                &first.flux.path,
                first.flux.line,
                format!(
                    "cluster {c} applies CiliumLoadBalancerIPPools through Flux Kustomization {} and also {}; the plan's pools come from one",
                    first.flux.name,
                    names.join(", ")
                ),
            )]);
        }
    };
    let mut errors = Vec::new();
    let dir = flux.flux.object["spec"]["path"]
        .as_str()
        .unwrap_or("")
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_owned();
    let mut pools = Vec::new();
    for o in flux.objects.iter().filter(|o| is_pool(&o.value)) {
        api_versions.insert(o.value["apiVersion"].as_str().unwrap_or("").to_owned());
        match pool(tree, c, o, Path::new(&dir)) {
            Ok(p) => pools.push(p),
            Err(e) => errors.push(e),
        }
    }
    errors.extend(others_in_pool_files(tree, flux, &pools));
    if !errors.is_empty() {
        return Err(errors);
    }
    let pins = pins(build, services);
    Ok(Cluster {
        name: c.clone(),
        pools,
        pins,
        flux: flux.clone(),
        settings: settings(build),
        helm_values: helm_values(build),
    })
}

/// A pool object as a plan pool, or why the plan cannot say it.
fn pool(tree: &Tree, c: &str, o: &Object, dir: &Path) -> Result<Pool, Error> {
    let name = o.name().to_owned();
    let text = tree.read(&o.source).unwrap_or_default();
    let at = |key: &str| key_line(&text, o.line, key);
    let refuse = |key: &str, why: String| {
        refusal(
            &o.source,
            at(key),
            format!("CiliumLoadBalancerIPPool {name} (cluster {c}) {why}"),
        )
    };
    let spec = &o.value["spec"];
    let selector =
        selector(&spec["serviceSelector"]).map_err(|why| refuse("serviceSelector", why))?;
    if spec["disabled"].as_bool() == Some(true) {
        return Err(refuse(
            "disabled",
            "is `disabled: true`, which plan.toml cannot say yet".to_owned(),
        ));
    }
    if let Some(m) = spec.as_mapping() {
        let known = ["blocks", "serviceSelector", "disabled", "allowFirstLastIPs"];
        if let Some(k) = m
            .keys()
            .filter_map(Value::as_str)
            .find(|k| !known.contains(k))
        {
            return Err(refuse(
                k,
                format!("has spec.{k}, which plan.toml cannot say"),
            ));
        }
    }
    let meta = o.value["metadata"].as_mapping();
    if let Some(k) = meta.and_then(|m| m.keys().filter_map(Value::as_str).find(|k| *k != "name")) {
        return Err(refuse(
            k,
            format!(
                "has metadata.{k}, which the build's rendering would drop (a BGP advertisement or L2 policy may select the pool by its labels)"
            ),
        ));
    }
    if let Some(e) = dns1123_label_error(&name) {
        return Err(refuse("name", format!("is not a plan pool name: {e}")));
    }
    let blocks = pool_blocks(&o.value).map_err(|e| refuse("blocks", e))?;
    let cidr = blocks.iter().any(|b| matches!(b, Block::Cidr(_)));
    let allow_first_last = match spec["allowFirstLastIPs"].as_str() {
        None if spec["allowFirstLastIPs"].is_null() && !cidr => None,
        None if spec["allowFirstLastIPs"].is_null() => return Err(refuse("blocks", "has cidr blocks and no allowFirstLastIPs, so whether Cilium hands out their first and last addresses depends on its version: write `allowFirstLastIPs: \"Yes\"` or `\"No\"` in the file, as the cluster runs it, and run init again".to_owned())),
        Some("Yes") => Some(true),
        Some("No") => Some(false),
        _ => return Err(refuse("allowFirstLastIPs", format!("has allowFirstLastIPs {}; Cilium reads \"Yes\" or \"No\"", one_line(&spec["allowFirstLastIPs"])))),
    };
    if o.source.parent() != Some(dir) {
        return Err(refuse(
            "name",
            format!(
                "is in {}, not in {} (the spec.path of the Flux Kustomization applying it), where the plan's pool files are",
                o.source.display(),
                dir.display()
            ),
        ));
    }
    Ok(Pool {
        name,
        file: o.source.clone(),
        blocks,
        allow_first_last: allow_first_last.filter(|_| cidr),
        selector,
    })
}

/// A pool's `serviceSelector` as the plan's inline `service-selector` table;
/// `None` for an absent or empty one (every Service).
fn selector(v: &Value) -> Result<Option<String>, String> {
    let Some(m) = v.as_mapping().filter(|m| !m.is_empty()) else {
        return match v {
            Value::Null | Value::Mapping(_) => Ok(None),
            _ => Err(format!(
                "has serviceSelector {}, which is no label selector",
                one_line(v)
            )),
        };
    };
    let mut parts = Vec::new();
    for (k, val) in m {
        match k.as_str() {
            Some("matchLabels") => parts.push(format!("match-labels = {}", labels(val)?)),
            Some("matchExpressions") => {
                parts.push(format!("match-expressions = {}", expressions(val)?))
            }
            _ => {
                return Err(format!(
                    "has serviceSelector.{}, which plan.toml cannot say",
                    one_line(k)
                ));
            }
        }
    }
    Ok(Some(format!("{{ {} }}", parts.join(", "))))
}

/// A map of label keys to values as an inline TOML table.
pub(crate) fn labels(v: &Value) -> Result<String, String> {
    let Some(m) = v.as_mapping() else {
        return Err(format!("has labels {}, which is no map", one_line(v)));
    };
    let mut pairs = Vec::new();
    for (k, val) in m {
        let (Some(k), Some(val)) = (k.as_str(), scalar(val)) else {
            return Err(format!(
                "has a label {}: {}, which is not a string",
                one_line(k),
                one_line(val)
            ));
        };
        pairs.push(format!(
            "{} = {}",
            super::toml_text::string(k),
            super::toml_text::string(&val)
        ));
    }
    Ok(format!("{{ {} }}", pairs.join(", ")))
}

/// `matchExpressions` as an inline TOML array of `{ key, operator, values }`.
fn expressions(v: &Value) -> Result<String, String> {
    let Some(list) = v.as_sequence() else {
        return Err(format!(
            "has matchExpressions {}, which is no list",
            one_line(v)
        ));
    };
    let mut out = Vec::new();
    for e in list {
        let (Some(key), Some(op)) = (e["key"].as_str(), e["operator"].as_str()) else {
            return Err(format!(
                "has a match expression {} without key or operator",
                one_line(e)
            ));
        };
        let string = super::toml_text::string;
        let mut item = format!("key = {}, operator = {}", string(key), string(op));
        if let Some(values) = e["values"].as_sequence() {
            let values: Option<Vec<String>> = values
                .iter()
                .map(|v| scalar(v).map(|s| string(&s)))
                .collect();
            let values = values.ok_or_else(|| {
                format!(
                    "has a match expression {} with a value that is not a string",
                    one_line(e)
                )
            })?;
            item.push_str(&format!(", values = [{}]", values.join(", ")));
        }
        out.push(format!("{{ {item} }}"));
    }
    Ok(format!("[{}]", out.join(", ")))
}

/// A string, number or boolean as the API server reads it into a string field.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The pool files are taken over whole: any other object the Flux Kustomization
/// applies from one of them would be lost.
fn others_in_pool_files(tree: &Tree, flux: &Applied, pools: &[Pool]) -> Vec<Error> {
    let files: BTreeSet<&Path> = pools.iter().map(|p| p.file.as_path()).collect();
    flux.objects
        .iter()
        .filter(|o| files.contains(o.source.as_path()) && !is_pool(&o.value))
        .map(|o| {
            let text = tree.read(&o.source).unwrap_or_default();
            refusal(&o.source, key_line(&text, o.line, "kind"), format!(
                "{} {} shares its file with the pools, which the build writes whole: move it to a file of its own (listed in the same kustomization.yaml)",
                o.kind(), o.name()
            ))
        })
        .collect()
}

fn one_line(v: &Value) -> String {
    let text = yaml_serde::to_string(v).unwrap_or_default();
    let parts: Vec<&str> = text.lines().map(str::trim).collect();
    parts.join(" ")
}

/// The Services (and the Services Cilium makes for Gateways, and the charts
/// of known values shapes) the cluster applies that ask for fixed addresses,
/// as pins named after them.
fn pins(build: &ClusterBuild, services: &mut BTreeMap<String, String>) -> Vec<Pin> {
    let mut out: Vec<Pin> = Vec::new();
    let mut seen = BTreeSet::new();
    let objects: Vec<&Object> = build.objects().collect();
    for o in &objects {
        for ask in asks(o, &objects) {
            for &addr in &ask.addrs {
                let owner = ask.service.clone().or_else(|| ask.origin.clone());
                if !seen.insert((owner.unwrap_or_default(), addr)) {
                    continue;
                }
                let name = free_name(&out, services, &ask);
                if let Some(service) = &ask.service {
                    services.insert(name.clone(), service.clone());
                }
                out.push(Pin {
                    name,
                    service: ask.service.clone(),
                    origin: ask.origin.clone(),
                    addr,
                    labels: ask.service.as_ref().and_then(|_| service_labels(o)),
                });
            }
        }
    }
    out
}

/// The ask's name, or one made from it that no other pin of the cluster has
/// (and that no other cluster gives another Service).
fn free_name(out: &[Pin], services: &BTreeMap<String, String>, ask: &Ask) -> String {
    let taken = |n: &str| {
        out.iter().any(|p| p.name == n)
            || services
                .get(n)
                .is_some_and(|s| ask.service.as_ref() != Some(s))
    };
    let ns = ask
        .service
        .as_deref()
        .and_then(|s| s.split('/').next())
        .unwrap_or("");
    let mut name = ask.name.clone();
    if taken(&name) && !ns.is_empty() {
        name = label(&format!("{}-{ns}", ask.name));
    }
    let mut n = 2;
    while taken(&name) {
        name = label(&format!("{}-{n}", ask.name));
        n += 1;
    }
    name
}

/// The labels of the Service an object is or makes: a Service's own, or what a
/// Gateway puts on the Service Cilium makes for it (`spec.infrastructure.labels`).
fn service_labels(o: &Object) -> Option<String> {
    let v = match o.kind() {
        "Gateway" => &o.value["spec"]["infrastructure"]["labels"],
        _ => &o.value["metadata"]["labels"],
    };
    v.as_mapping().filter(|m| !m.is_empty())?;
    labels(v).ok()
}

/// What one object asks for: a pin's name, the Service (or where the ask is),
/// the addresses.
struct Ask {
    name: String,
    service: Option<String>,
    origin: Option<String>,
    addrs: Vec<IpAddr>,
}

/// The fixed addresses one object asks for.
fn asks(o: &Object, objects: &[&Object]) -> Vec<Ask> {
    let ns = o.namespace().unwrap_or("default");
    let service = |name: &str, values: Vec<String>| Ask {
        name: label(name),
        service: Some(format!("{ns}/{name}")),
        origin: None,
        addrs: values.iter().filter_map(|v| v.parse().ok()).collect(),
    };
    let found = match o.kind() {
        "Service" => {
            let ann = &o.value["metadata"]["annotations"];
            let by_key = IP_ANNOTATIONS.iter().find_map(|(k, _)| ann[*k].as_str());
            let Some(value) = by_key.or_else(|| o.value["spec"]["loadBalancerIP"].as_str()) else {
                return Vec::new();
            };
            let values = value.split(',').map(|v| v.trim().to_owned()).collect();
            vec![service(o.name(), values)]
        }
        "Gateway" => {
            let list = o.value["spec"]["addresses"].as_sequence();
            let values = list
                .into_iter()
                .flatten()
                .filter(|a| a["type"].as_str().is_none_or(|t| t == "IPAddress"))
                .filter_map(|a| a["value"].as_str().map(str::to_owned))
                .collect();
            let mut ask = service(&format!("cilium-gateway-{}", o.name()), values);
            ask.name = label(o.name());
            vec![ask]
        }
        "HelmRelease" => chart_asks(o, objects, ns),
        _ => Vec::new(),
    };
    found.into_iter().filter(|a| !a.addrs.is_empty()).collect()
}

/// The `loadBalancerIP`s a HelmRelease's values give the Services of a chart
/// whose values shapes the audit knows (named in the release, or by the
/// OCIRepository its `chartRef` names among the cluster's `objects`): pins
/// named after the release (and the key a `*` of the shape matched), with no
/// Service — the chart names it.
fn chart_asks(o: &Object, objects: &[&Object], ns: &str) -> Vec<Ask> {
    let chart = chart_of(o, objects);
    let Some(paths) = chart.as_deref().and_then(load_balancer_ip_paths) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for path in paths {
        for (keys, value) in at_path(&o.value["spec"]["values"], path) {
            let Some(value) = value.as_str().map(str::trim).filter(|v| !v.is_empty()) else {
                continue;
            };
            let path = dotted(path, &keys);
            out.push(Ask {
                name: chart_pin_name(o.name(), &path),
                service: None,
                origin: Some(format!("HelmRelease {ns}/{} spec.values.{path}", o.name())),
                addrs: value.parse().into_iter().collect(),
            });
        }
    }
    out
}

/// A chart pin's name: the release's, then the words of the values path that
/// say which Service (`plex-app` for app-template's `service.app.loadBalancerIP`,
/// `cilium-clustermesh-apiserver` for Cilium's `clustermesh.apiserver.service…`).
fn chart_pin_name(release: &str, path: &str) -> String {
    let words = path
        .split('.')
        .filter(|w| !matches!(*w, "service" | "spec" | "loadBalancerIP"));
    let name: Vec<&str> = std::iter::once(release).chain(words).collect();
    label(&name.join("-"))
}

/// A values path with its `*`s replaced by the keys they matched.
fn dotted(path: &[&str], keys: &[String]) -> String {
    let mut keys = keys.iter();
    let parts: Vec<&str> = path
        .iter()
        .map(|p| match *p {
            "*" => keys.next().map_or("*", String::as_str),
            p => p,
        })
        .collect();
    parts.join(".")
}

/// The settings ConfigMap a Flux Kustomization of the cluster substitutes
/// from, if one of the cluster's own files defines it.
fn settings(build: &ClusterBuild) -> Option<(PathBuf, String)> {
    build.kustomizations.iter().find_map(|a| {
        let from = a.flux.object["spec"]["postBuild"]["substituteFrom"].as_sequence()?;
        from.iter()
            .filter(|s| s["kind"].as_str() == Some("ConfigMap"))
            .filter_map(|s| s["name"].as_str())
            .find_map(|name| {
                let o = build
                    .files
                    .iter()
                    .find(|o| o.kind() == "ConfigMap" && o.name() == name)?;
                Some((o.source.clone(), name.to_owned()))
            })
    })
}

/// Cilium's Helm values: the values inside the HelmRelease of the `cilium`
/// chart the cluster applies.
fn helm_values(build: &ClusterBuild) -> Option<String> {
    build.objects().find_map(|o| {
        let chart = &o.value["spec"]["chart"]["spec"]["chart"];
        (o.kind() == "HelmRelease" && chart.as_str() == Some("cilium"))
            .then(|| format!("{}#spec.values", o.source.display()))
    })
}
