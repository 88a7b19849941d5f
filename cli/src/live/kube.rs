//! What `kubectl get services,ciliumloadbalancerippools -A -o json` (or
//! `-o yaml`) prints, read into the Services and pools `lbipam live` compares
//! with the plan, each with where it is in the text so a finding can point at it.
//!
//! The shapes are Kubernetes' and Cilium's: a `v1` `List` whose `items` are
//! objects with `metadata`, `spec` and `status`; a Service's addresses in
//! `status.loadBalancer.ingress[].ip` and LB-IPAM's verdict in its
//! `cilium.io/IPAMRequestSatisfied` condition; a pool's `spec.blocks`
//! (`cidr`, or `start` with an optional `stop`), `serviceSelector`, `disabled`,
//! `allowFirstLastIPs`, and the `cilium.io/PoolConflict` and `cilium.io/IPsUsed`
//! conditions the operator writes into its status.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Range;

use lbipam_core::cilium::{IP_ANNOTATIONS, NAME_LABEL, NAMESPACE_LABEL};
use lbipam_core::ipnet::IpNet;
use lbipam_core::net::Block;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The condition LB-IPAM sets on a Service it has handled.
pub(crate) const SATISFIED: &str = "cilium.io/IPAMRequestSatisfied";
/// The condition LB-IPAM sets on a pool that overlaps another.
pub(crate) const POOL_CONFLICT: &str = "cilium.io/PoolConflict";
/// The condition holding how many addresses of a pool are allocated.
pub(crate) const IPS_USED: &str = "cilium.io/IPsUsed";
/// The label Cilium's Gateway controller puts on the Service of a Gateway.
pub(crate) const OWNING_GATEWAY: &str = "io.cilium.gateway/owning-gateway";

/// Where an object is: its source and the byte range of its text there
/// (`0..0` when the text's layout could not be followed).
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) source: usize,
    pub(crate) range: Range<usize>,
}

/// A condition of an object's status, as the operator wrote it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Condition {
    pub(crate) status: String,
    pub(crate) reason: String,
    pub(crate) message: String,
}

/// A Service of the cluster.
#[derive(Clone, Debug)]
pub(crate) struct Service {
    pub(crate) namespace: String,
    pub(crate) name: String,
    /// `spec.type: LoadBalancer`.
    pub(crate) load_balancer: bool,
    /// Whether Cilium's LB-IPAM hands it its address: no `loadBalancerClass`,
    /// or one of Cilium's (`io.cilium/…`).
    pub(crate) cilium: bool,
    /// `status.loadBalancer.ingress[].ip` that parse as addresses.
    pub(crate) ips: Vec<IpAddr>,
    /// What it asks for: `spec.loadBalancerIP` and the LB-IPAM annotations.
    pub(crate) requested: Vec<String>,
    /// Its `cilium.io/IPAMRequestSatisfied` condition.
    pub(crate) satisfied: Option<Condition>,
    pub(crate) sharing_key: Option<String>,
    /// The Gateway it serves (`io.cilium.gateway/owning-gateway`).
    pub(crate) gateway: Option<String>,
    pub(crate) at: Item,
}

impl Service {
    /// `NAMESPACE/NAME`.
    pub(crate) fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// Which Services a live pool serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Selects {
    /// No selector, or an empty one: every Service.
    All,
    /// Only `matchLabels`.
    Labels(BTreeMap<String, String>),
    /// Anything else, as compact JSON.
    Other(String),
}

impl Selects {
    /// As messages show it.
    pub(crate) fn describe(&self) -> String {
        match self {
            Selects::All => "every Service".to_owned(),
            Selects::Labels(labels) => {
                if let (Some(ns), Some(name), 2) = (
                    labels.get(NAMESPACE_LABEL),
                    labels.get(NAME_LABEL),
                    labels.len(),
                ) {
                    return format!("only Service {ns}/{name}");
                }
                let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("Services labelled {}", pairs.join(","))
            }
            Selects::Other(json) => format!("serviceSelector {json}"),
        }
    }
}

/// A `CiliumLoadBalancerIPPool` of the cluster.
#[derive(Clone, Debug)]
pub(crate) struct Pool {
    pub(crate) name: String,
    /// `spec.blocks`, each parsed or kept as written when it does not parse.
    pub(crate) blocks: Vec<Result<Block, String>>,
    pub(crate) selects: Selects,
    pub(crate) disabled: bool,
    /// `spec.allowFirstLastIPs` is not `No`.
    pub(crate) allow_first_last: bool,
    /// Its `cilium.io/PoolConflict` condition.
    pub(crate) conflict: Option<Condition>,
    /// The count of its `cilium.io/IPsUsed` condition.
    pub(crate) used: Option<u128>,
    pub(crate) at: Item,
}

/// What one input holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct Objects {
    pub(crate) services: Vec<Service>,
    pub(crate) pools: Vec<Pool>,
}

/// Reads a `kubectl get … -o json` or `-o yaml` text (source number `source`);
/// the error says why it is not a kubectl List, at a line of the text.
pub(crate) fn read(text: &str, source: usize) -> Result<Objects, String> {
    if text.trim_start().starts_with('{') {
        read_json(text, source)
    } else {
        read_yaml(text, source)
    }
}

#[derive(Deserialize)]
struct List<'a> {
    #[serde(default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    items: Option<Vec<&'a RawValue>>,
}

/// A List read in one pass: each item's parts as this command reads them, its
/// metadata kept as text (its start marks where the item is).
#[derive(Deserialize)]
struct FastList<'a> {
    #[serde(default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    items: Option<Vec<FastItem<'a>>>,
}

#[derive(Deserialize)]
struct FastItem<'a> {
    #[serde(default, borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    metadata: Option<&'a RawValue>,
    #[serde(default, borrow)]
    spec: Option<Spec<'a>>,
    #[serde(default, borrow)]
    status: Option<Status<'a>>,
}

fn read_json(text: &str, source: usize) -> Result<Objects, String> {
    // Items of other kinds may not fit the parts read in one pass: then each
    // item is read on its own, which also says which item is wrong.
    match serde_json::from_str::<FastList>(text) {
        Ok(list) if is_list(list.kind.as_deref()) => {
            read_fast(text, list.items.unwrap_or_default(), source)
        }
        _ => read_json_by_item(text, source),
    }
}

fn read_fast(text: &str, items: Vec<FastItem>, source: usize) -> Result<Objects, String> {
    let offset = |raw: &RawValue| raw.get().as_ptr() as usize - text.as_ptr() as usize;
    let starts: Vec<Option<usize>> = items.iter().map(|i| i.metadata.map(offset)).collect();
    let mut objects = Objects::default();
    for (i, item) in items.into_iter().enumerate() {
        // An item runs from its metadata to the next item's (kubectl sorts
        // keys: apiVersion and kind come first, spec and status after).
        let range = match starts[i] {
            Some(start) => {
                let end = starts[i + 1..].iter().flatten().next().copied();
                start..end.unwrap_or(text.len())
            }
            None => 0..0,
        };
        let meta: Meta = match item.metadata {
            Some(raw) => serde_json::from_str(raw.get()).map_err(|e| {
                let line = lbipam_core::text::LineIndex::new(text)
                    .line_col(range.start)
                    .0;
                format!("line {line}: items[{i}].metadata: {e}")
            })?,
            None => Meta::default(),
        };
        let at = Item { source, range };
        let (spec, status) = (
            item.spec.unwrap_or_default(),
            item.status.unwrap_or_default(),
        );
        match &*item.kind {
            "Service" => objects.services.push(service(&meta, spec, status, at)),
            "CiliumLoadBalancerIPPool" => {
                let start = at.range.start;
                let pool = pool(&meta, spec, status, at).map_err(|e| {
                    let line = lbipam_core::text::LineIndex::new(text).line_col(start).0;
                    format!("line {line}: items[{i}]: {e}")
                })?;
                objects.pools.push(pool);
            }
            _ => {}
        }
    }
    Ok(objects)
}

fn read_json_by_item(text: &str, source: usize) -> Result<Objects, String> {
    let list: List = serde_json::from_str(text).map_err(|e| {
        format!(
            "line {}:{}: not a kubectl List in JSON: {e}",
            e.line(),
            e.column()
        )
    })?;
    let items = list_items(list.kind.as_deref(), list.items)?;
    let mut objects = Objects::default();
    for (i, raw) in items.into_iter().enumerate() {
        let item = raw.get();
        let start = item.as_ptr() as usize - text.as_ptr() as usize;
        let at = Item {
            source,
            range: start..start + item.len(),
        };
        add_item(&mut objects, item, at).map_err(|e| {
            let line = lbipam_core::text::LineIndex::new(text).line_col(start).0;
            format!("line {line}: items[{i}]: {e}")
        })?;
    }
    Ok(objects)
}

/// Whether an object of this kind is a List (`List`, `ServiceList`, ...).
fn is_list(kind: Option<&str>) -> bool {
    kind.is_some_and(|k| k.ends_with("List"))
}

/// The items of a List, or why the text is not one.
fn list_items<T>(kind: Option<&str>, items: Option<Vec<T>>) -> Result<Vec<T>, String> {
    match (kind, items) {
        (k, Some(items)) if is_list(k) => Ok(items),
        (Some(k), _) => Err(format!(
            "a `{k}`, not a kubectl List (run `kubectl get services,ciliumloadbalancerippools -A -o json`)"
        )),
        (None, _) => Err(
            "no `kind: List`: not the output of `kubectl get services,ciliumloadbalancerippools -A -o json`"
                .to_owned(),
        ),
    }
}

fn read_yaml(text: &str, source: usize) -> Result<Objects, String> {
    let value: yaml_serde::Value = yaml_serde::from_str(text).map_err(|e| {
        let at = e.location().map_or(String::new(), |l| {
            format!("line {}:{}: ", l.line(), l.column())
        });
        format!("{at}not a kubectl List in JSON or YAML: {e}")
    })?;
    let kind = value.get("kind").and_then(|k| k.as_str());
    let items = value
        .get("items")
        .and_then(|i| i.as_sequence())
        .map(|s| s.to_vec());
    let items = list_items(kind, items)?;
    // kubectl prints block YAML: each item starts with a `-` at one indentation
    // under `items:`. When the text is laid out otherwise, findings point at
    // the start of the file.
    let starts = yaml_item_ranges(text).filter(|r| r.len() == items.len());
    let mut objects = Objects::default();
    for (i, value) in items.iter().enumerate() {
        let range = starts.as_ref().map_or(0..0, |r| r[i].clone());
        let line = || {
            lbipam_core::text::LineIndex::new(text)
                .line_col(range.start)
                .0
        };
        let json = serde_json::to_string(value).map_err(|e| format!("items[{i}]: {e}"))?;
        add_item(
            &mut objects,
            &json,
            Item {
                source,
                range: range.clone(),
            },
        )
        .map_err(|e| format!("line {}: items[{i}]: {e}", line()))?;
    }
    Ok(objects)
}

/// Byte ranges of the entries of the top-level `items:` block sequence.
fn yaml_item_ranges(text: &str) -> Option<Vec<Range<usize>>> {
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n').map(|line| {
        let at = offset;
        offset += line.len();
        (at, line)
    });
    lines.find(|(_, l)| l.trim_end() == "items:")?;
    let mut dash: Option<usize> = None;
    let mut starts = Vec::new();
    let mut end = text.len();
    for (at, line) in lines {
        let body = line.trim_start_matches(' ');
        if body.trim().is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        let entry = body.starts_with("- ") || body.trim_end() == "-";
        match dash {
            None if entry => dash = Some(indent),
            None => return None,
            Some(d) if indent < d || (indent == d && !entry) => {
                end = at;
                break;
            }
            Some(_) => {}
        }
        if dash == Some(indent) && entry {
            starts.push(at + indent);
        }
    }
    let ends = starts.iter().skip(1).copied().chain(std::iter::once(end));
    Some(starts.iter().zip(ends).map(|(&s, e)| s..e).collect())
}

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(default, borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    metadata: Meta<'a>,
    #[serde(default, borrow)]
    spec: Option<&'a RawValue>,
    #[serde(default, borrow)]
    status: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct Meta<'a> {
    #[serde(default, borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow)]
    namespace: Cow<'a, str>,
    #[serde(default, borrow)]
    labels: Option<BTreeMap<Cow<'a, str>, Cow<'a, str>>>,
    #[serde(default, borrow)]
    annotations: Option<BTreeMap<Cow<'a, str>, Cow<'a, str>>>,
}

/// What this command reads of a Service's and of a pool's `spec`, in one
/// struct (their fields differ), so a List of both parses in one pass
/// without knowing each item's kind first.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Spec<'a> {
    #[serde(default, rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    load_balancer_class: Option<Cow<'a, str>>,
    #[serde(default, rename = "loadBalancerIP", borrow)]
    load_balancer_ip: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    blocks: Option<Vec<RawBlock<'a>>>,
    #[serde(default, borrow)]
    service_selector: Option<&'a RawValue>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default, rename = "allowFirstLastIPs", borrow)]
    allow_first_last_ips: Option<Cow<'a, str>>,
}

/// What this command reads of a Service's and of a pool's `status`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    #[serde(default, borrow)]
    load_balancer: Option<LoadBalancer<'a>>,
    #[serde(default, borrow)]
    conditions: Option<Vec<RawCondition<'a>>>,
}

#[derive(Deserialize, Default)]
struct LoadBalancer<'a> {
    #[serde(default, borrow)]
    ingress: Option<Vec<Ingress<'a>>>,
}

#[derive(Deserialize)]
struct Ingress<'a> {
    #[serde(default, borrow)]
    ip: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawCondition<'a> {
    #[serde(default, rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    status: Cow<'a, str>,
    #[serde(default, borrow)]
    reason: Cow<'a, str>,
    #[serde(default, borrow)]
    message: Cow<'a, str>,
}

#[derive(Deserialize)]
struct RawBlock<'a> {
    #[serde(default, borrow)]
    cidr: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    start: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    stop: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Selector {
    #[serde(default)]
    match_labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    match_expressions: Option<Vec<serde_json::Value>>,
}

/// Adds one item of the List, if it is a Service or a pool; other kinds are
/// not this command's business.
fn add_item(objects: &mut Objects, item: &str, at: Item) -> Result<(), String> {
    let head: Head = serde_json::from_str(item).map_err(|e| e.to_string())?;
    match &*head.kind {
        "Service" => {
            let spec: Spec = parse_part(head.spec, "spec")?;
            let status: Status = parse_part(head.status, "status")?;
            objects
                .services
                .push(service(&head.metadata, spec, status, at));
        }
        "CiliumLoadBalancerIPPool" => {
            let spec: Spec = parse_part(head.spec, "spec")?;
            let status: Status = parse_part(head.status, "status")?;
            objects.pools.push(pool(&head.metadata, spec, status, at)?);
        }
        _ => {}
    }
    Ok(())
}

/// `spec` or `status` of an item as `T`; absent or `null` is `T::default()`.
fn parse_part<'a, T: Deserialize<'a> + Default>(
    raw: Option<&'a RawValue>,
    what: &str,
) -> Result<T, String> {
    match raw {
        Some(raw) if raw.get() != "null" => {
            serde_json::from_str(raw.get()).map_err(|e| format!("{what}: {e}"))
        }
        _ => Ok(T::default()),
    }
}

fn condition(conditions: &Option<Vec<RawCondition>>, kind: &str) -> Option<Condition> {
    conditions
        .iter()
        .flatten()
        .find(|c| c.kind == kind)
        .map(|c| Condition {
            status: c.status.to_string(),
            reason: c.reason.to_string(),
            message: c.message.to_string(),
        })
}

fn service(meta: &Meta, spec: Spec, status: Status, at: Item) -> Service {
    let annotation = |keys: &[&str]| {
        let map = meta.annotations.as_ref()?;
        keys.iter().find_map(|k| map.get(*k)).map(|v| v.to_string())
    };
    let mut requested: Vec<String> = spec
        .load_balancer_ip
        .iter()
        .map(|s| s.to_string())
        .collect();
    let ip_keys: Vec<&str> = IP_ANNOTATIONS.iter().map(|(k, _)| *k).collect();
    if let Some(list) = annotation(&ip_keys) {
        requested.extend(list.split(',').map(|s| s.trim().to_owned()));
    }
    let ips = status
        .load_balancer
        .as_ref()
        .and_then(|lb| lb.ingress.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|i| i.ip.as_deref()?.parse().ok())
        .collect();
    Service {
        namespace: meta.namespace.to_string(),
        name: meta.name.to_string(),
        load_balancer: spec.kind.as_deref() == Some("LoadBalancer"),
        cilium: spec
            .load_balancer_class
            .as_deref()
            .is_none_or(|c| c.starts_with("io.cilium/")),
        ips,
        requested,
        satisfied: condition(&status.conditions, SATISFIED),
        sharing_key: annotation(&lbipam_core::cilium::SHARING_KEY),
        gateway: meta
            .labels
            .as_ref()
            .and_then(|l| l.get(OWNING_GATEWAY))
            .map(|g| g.to_string()),
        at,
    }
}

fn pool(meta: &Meta, spec: Spec, status: Status, at: Item) -> Result<Pool, String> {
    let blocks = spec
        .blocks
        .iter()
        .flatten()
        .map(|b| match (&b.cidr, &b.start, &b.stop) {
            (Some(c), _, _) => c
                .parse::<IpNet>()
                .map(Block::Cidr)
                .map_err(|_| c.to_string()),
            (None, Some(start), stop) => {
                let stop = stop.as_deref().filter(|s| !s.is_empty()).unwrap_or(start);
                match (start.parse(), stop.parse()) {
                    (Ok(start), Ok(stop)) => Ok(Block::Range { start, stop }),
                    _ => Err(format!("{start}-{stop}")),
                }
            }
            (None, None, _) => Err("a block without cidr or start".to_owned()),
        })
        .collect();
    let selects = match spec.service_selector.map(RawValue::get) {
        None | Some("null") => Selects::All,
        Some(raw) => {
            let s: Selector =
                serde_json::from_str(raw).map_err(|e| format!("spec.serviceSelector: {e}"))?;
            let labels = s.match_labels.unwrap_or_default();
            match s.match_expressions.as_deref() {
                Some([_, ..]) => Selects::Other(compact(raw)),
                _ if labels.is_empty() => Selects::All,
                _ => Selects::Labels(labels),
            }
        }
    };
    Ok(Pool {
        name: meta.name.to_string(),
        blocks,
        selects,
        disabled: spec.disabled == Some(true),
        allow_first_last: spec.allow_first_last_ips.as_deref() != Some("No"),
        conflict: condition(&status.conditions, POOL_CONFLICT),
        used: condition(&status.conditions, IPS_USED).and_then(|c| c.message.parse().ok()),
        at,
    })
}

/// A JSON text without its layout.
fn compact(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw)
        .map_or_else(|_| raw.to_owned(), |v| v.to_string())
}

/// The offset of `needle` as a whole word (not inside a longer address or
/// name) in `range` of `text`: the first after `anchor` (the part of the
/// object it belongs to), else the first anywhere in the range, else the start
/// of the range.
pub(crate) fn find_in(text: &str, range: Range<usize>, anchor: &str, needle: &str) -> usize {
    let Some(region) = text.get(range.clone()) else {
        return 0;
    };
    let after = region
        .find(anchor)
        .and_then(|from| word_at(region, from, needle));
    after
        .or_else(|| word_at(region, 0, needle))
        .map_or(range.start, |at| range.start + at)
}

/// The offset of an object's `metadata.name` value in `range` of `text`, as
/// kubectl prints it (`"name": "N"` or `name: N`); else the start of the range.
pub(crate) fn find_name(text: &str, range: Range<usize>, name: &str) -> usize {
    let Some(region) = text.get(range.clone()) else {
        return 0;
    };
    let json = format!("\"name\": \"{name}\"");
    let yaml = format!("name: {name}");
    let found = region
        .find(&json)
        .map(|i| i + "\"name\": ".len())
        .or_else(|| {
            let i = word_at(region, 0, &yaml)?;
            Some(i + "name: ".len())
        });
    found.map_or(range.start, |at| range.start + at)
}

/// The first whole-word `needle` in `text` at or after `from`.
fn word_at(text: &str, from: usize, needle: &str) -> Option<usize> {
    let word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '_' | '-' | '/');
    let mut at = from;
    while let Some(i) = text.get(at..).and_then(|r| r.find(needle)) {
        let start = at + i;
        let end = start + needle.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(word) && !after.is_some_and(word) {
            return Some(start);
        }
        at = end;
    }
    None
}
