//! plan.toml → [`Plan`], keeping the span of every value.
//!
//! The file is read as a generic spanned TOML tree and walked by hand rather than
//! through `serde(deny_unknown_fields)`, which stops at the first problem: a user
//! fixing a plan wants every unknown key, wrong type and unparsable address at once.
//! Only the shape and the spelling of values are judged here; what the values mean
//! together (overlaps, containment, names) is [`crate::check`]'s job.

use std::borrow::Cow;
use std::net::IpAddr;

use ipnet::IpNet;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{
    ApiVersion, At, AuditOptions, Block, Cilium, Cluster, Flux, Layout, Pin, Plan, Pool, Reserved,
    Service, Span, Str, Version,
};
use crate::diag::error::{Error, Subject};

mod features;

/// Parses plan.toml. Returns every syntax and shape error found, or the plan.
pub fn parse(text: &str) -> Result<Plan, Vec<Error>> {
    match parse_lenient(text) {
        (Some(plan), errors) if errors.is_empty() => Ok(plan),
        (_, errors) => Err(errors),
    }
}

/// Parses plan.toml, also returning the plan when the only problems are unknown
/// keys: nothing was lost then, so the checker can still report what the values
/// mean together, and the user sees every error in one build.
pub(crate) fn parse_lenient(text: &str) -> (Option<Plan>, Vec<Error>) {
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        // A broken file parses into a partial tree; judging its shape would only
        // add noise to the real problem.
        let errors = syntax
            .iter()
            .map(|e| Error::Syntax {
                span: e
                    .span()
                    .map(span)
                    .unwrap_or_else(|| locate(text, e.message())),
                message: e.message().to_owned(),
            })
            .collect();
        return (None, errors);
    }
    let mut w = TableReader { errors: Vec::new() };
    let plan = w.plan(root.get_ref(), span(root.span()));
    let complete = w
        .errors
        .iter()
        .all(|e| matches!(e, Error::UnknownKey { .. }));
    (plan.filter(|_| complete), w.errors)
}

/// The line of an error the TOML parser reports without a place (a dotted key
/// of more parts than its recursion limit): the first line such that the file
/// up to it already has the error, found by bisection in O(log lines) parses.
/// The whole line, indentation aside, is the span; the start of the file if the
/// error cannot be reproduced on a prefix.
fn locate(text: &str, message: &str) -> Span {
    let ends: Vec<usize> = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .chain((!text.ends_with('\n')).then_some(text.len()))
        .collect();
    let has_it = |end: usize| {
        let (_, errors) = DeTable::parse_recoverable(&text[..end]);
        errors
            .iter()
            .any(|e| e.span().is_none() && e.message() == message)
    };
    let line = ends.partition_point(|&end| !has_it(end));
    let Some(&end) = ends.get(line) else {
        return Span::default();
    };
    let start = line.checked_sub(1).map_or(0, |l| ends[l]);
    let content = &text[start..end];
    let indent = content.len() - content.trim_start().len();
    span(start + indent..start + content.trim_end().len())
}

type Entry<'a, 'i> = (&'a Spanned<Cow<'i, str>>, &'a Spanned<DeValue<'i>>);

fn span(r: std::ops::Range<usize>) -> Span {
    // plan.toml is bounded well below 4 GiB by anything that can edit it; saturate
    // rather than wrap if someone tries.
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Span {
        start: clamp(r.start),
        end: clamp(r.end),
    }
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Reads plan.toml's tables key by key, collecting every problem instead
/// of stopping at the first.
struct TableReader {
    errors: Vec<Error>,
}

impl TableReader {
    /// Picks the known keys out of a table, in the order of `known`; reports the
    /// others as unknown.
    fn fields<'a, 'i, const N: usize>(
        &mut self,
        table: &'a DeTable<'i>,
        path: &str,
        known: [&'static str; N],
    ) -> [Option<Entry<'a, 'i>>; N] {
        let mut out = [None; N];
        for (k, v) in table.iter() {
            let name: &str = k.get_ref();
            match known.iter().position(|known| *known == name) {
                Some(i) => out[i] = Some((k, v)),
                None => self.errors.push(Error::UnknownKey {
                    span: span(k.span()),
                    key: k.get_ref().to_string(),
                    table: path.to_owned(),
                    expected: known.join(", "),
                }),
            }
        }
        out
    }

    fn required<'a, 'i>(
        &mut self,
        entry: Option<Entry<'a, 'i>>,
        key: &'static str,
        table: &str,
        table_span: Span,
    ) -> Option<Entry<'a, 'i>> {
        if entry.is_none() {
            self.errors.push(Error::MissingKey {
                span: table_span,
                key,
                table: table.to_owned(),
            });
        }
        entry
    }

    fn table<'a, 'i>(&mut self, entry: Entry<'a, 'i>, path: &str) -> Option<&'a DeTable<'i>> {
        match entry.1.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.wrong_type(entry.1, path, "a table", other);
                None
            }
        }
    }

    fn string(&mut self, entry: Entry<'_, '_>, path: &str) -> Option<At<Str>> {
        match entry.1.get_ref() {
            DeValue::String(s) => Some(At {
                item: Cow::Owned(s.to_string()),
                span: span(entry.1.span()),
            }),
            other => {
                self.wrong_type(entry.1, path, "a string", other);
                None
            }
        }
    }

    fn boolean(&mut self, entry: Entry<'_, '_>, path: &str) -> Option<At<bool>> {
        match entry.1.get_ref() {
            DeValue::Boolean(b) => Some(At {
                item: *b,
                span: span(entry.1.span()),
            }),
            other => {
                self.wrong_type(entry.1, path, "a boolean", other);
                None
            }
        }
    }

    fn strings(&mut self, entry: Entry<'_, '_>, path: &str) -> Option<Vec<At<Str>>> {
        let DeValue::Array(items) = entry.1.get_ref() else {
            self.wrong_type(entry.1, path, "an array of strings", entry.1.get_ref());
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push(At {
                    item: Cow::Owned(s.to_string()),
                    span: span(item.span()),
                }),
                other => self.wrong_type(item, path, "a string", other),
            }
        }
        Some(out)
    }

    fn wrong_type(
        &mut self,
        at: &Spanned<DeValue<'_>>,
        path: &str,
        expected: &'static str,
        found: &DeValue<'_>,
    ) {
        self.errors.push(Error::WrongType {
            span: span(at.span()),
            key: path.to_owned(),
            expected,
            found: type_name(found),
        });
    }

    /// Parses a string value with `f`, reporting the value and reason on failure.
    fn value<T>(
        &mut self,
        s: At<Str>,
        what: Subject,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<At<T>> {
        match f(&s.item) {
            Ok(item) => Some(At { item, span: s.span }),
            Err(reason) => {
                self.errors.push(Error::BadValue {
                    span: s.span,
                    what,
                    value: s.item.into_owned(),
                    reason,
                });
                None
            }
        }
    }

    fn plan(&mut self, root: &DeTable<'_>, root_span: Span) -> Option<Plan> {
        let [
            network,
            reserved,
            clusters,
            cilium,
            services,
            flux,
            layout,
            audit,
        ] = self.fields(
            root,
            "the top level",
            [
                "network", "reserved", "clusters", "cilium", "services", "flux", "layout", "audit",
            ],
        );
        let network = self
            .required(network, "network", "the top level", root_span)
            .and_then(|e| self.network(e));
        let reserved = reserved.map_or(Some(Vec::new()), |e| self.reserved(e));
        let clusters = self
            .required(clusters, "clusters", "the top level", root_span)
            .and_then(|e| self.clusters(e));
        let cilium = self.cilium(cilium);
        let services = services.map_or(Some(Vec::new()), |e| self.services(e));
        let flux = self.flux(flux);
        let layout = self.layout(layout);
        let mut clusters = clusters?;
        if let Some(cilium) = &cilium {
            version_defaults(cilium.version.item, &mut clusters);
        }
        let audit = self.audit(audit);
        Some(Plan {
            networks: Cow::Owned(network?),
            reserved: Cow::Owned(reserved?),
            clusters: Cow::Owned(clusters),
            cilium: cilium?,
            services: Cow::Owned(services?),
            flux: flux?,
            layout: layout?,
            audit: audit?,
        })
    }

    fn audit(&mut self, entry: Option<Entry<'_, '_>>) -> Option<AuditOptions> {
        let mut audit = AuditOptions::DEFAULT;
        let Some(entry) = entry else {
            return Some(audit);
        };
        let table = self.table(entry, "audit")?;
        let [strict] = self.fields(table, "[audit]", ["strict"]);
        if let Some(e) = strict {
            audit.strict = self.boolean(e, "audit.strict")?;
        }
        Some(audit)
    }

    /// `cidr = "A/len"`, or a list of them for pools on several subnets (and
    /// both address families).
    fn network(&mut self, entry: Entry<'_, '_>) -> Option<Vec<At<IpNet>>> {
        let table = self.table(entry, "network")?;
        let [cidr] = self.fields(table, "[network]", ["cidr"]);
        let cidr = self.required(cidr, "cidr", "[network]", span(entry.1.span()))?;
        let cidrs = match cidr.1.get_ref() {
            DeValue::Array(items) if items.is_empty() => {
                self.errors.push(Error::BadValue {
                    span: span(cidr.1.span()),
                    what: Subject::NetworkCidr,
                    value: "[]".to_owned(),
                    reason: "the list is empty; name at least one network".to_owned(),
                });
                return None;
            }
            DeValue::Array(_) => self.strings(cidr, "network.cidr")?,
            _ => vec![self.string(cidr, "network.cidr")?],
        };
        let count = cidrs.len();
        let nets: Vec<At<IpNet>> = cidrs
            .into_iter()
            .filter_map(|c| self.value(c, Subject::NetworkCidr, parse_net))
            .collect();
        (nets.len() == count).then_some(nets)
    }

    fn reserved(&mut self, entry: Entry<'_, '_>) -> Option<Vec<Reserved>> {
        let table = self.table(entry, "reserved")?;
        let mut out = Vec::with_capacity(table.len());
        for (name, value) in table.iter() {
            let path = format!("reserved.{}", name.get_ref());
            let Some(fields) = self.table((name, value), &path) else {
                continue;
            };
            let [range, note] = self.fields(fields, &format!("[{path}]"), ["range", "note"]);
            let range = self
                .required(range, "range", &format!("[{path}]"), span(value.span()))
                .and_then(|e| self.string(e, &format!("{path}.range")))
                .and_then(|s| self.value(s, Subject::ReservedRange, parse_block));
            let note = note.and_then(|e| self.string(e, &format!("{path}.note")));
            if let Some(range) = range {
                out.push(Reserved {
                    name: key(name),
                    range,
                    note: note.map(|n| n.item),
                });
            }
        }
        Some(out)
    }

    fn clusters(&mut self, entry: Entry<'_, '_>) -> Option<Vec<Cluster>> {
        let table = self.table(entry, "clusters")?;
        if table.is_empty() {
            // Nothing would be generated, and every cluster's files would go.
            self.errors.push(Error::NoClusters {
                span: span(entry.1.span()),
            });
            return None;
        }
        let mut out = Vec::with_capacity(table.len());
        for (name, value) in table.iter() {
            let path = format!("clusters.{}", name.get_ref());
            let Some(fields) = self.table((name, value), &path) else {
                continue;
            };
            let [pools, pins, advertise, bgp, l2] = self.fields(
                fields,
                &format!("[{path}]"),
                ["pools", "pins", "advertise", "bgp", "l2"],
            );
            let pools = pools.map_or(Vec::new(), |e| self.pools(e, &path));
            let pins = pins.map_or(Vec::new(), |e| self.pins(e, &path));
            let advertise = self.advertise([advertise, bgp, l2], &path);
            out.push(Cluster {
                name: key(name),
                pools: Cow::Owned(pools),
                pins: Cow::Owned(pins),
                advertise,
            });
        }
        Some(out)
    }

    fn pools(&mut self, entry: Entry<'_, '_>, cluster: &str) -> Vec<Pool> {
        let path = format!("{cluster}.pools");
        let Some(table) = self.table(entry, &path) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(table.len());
        for (name, value) in table.iter() {
            let path = format!("{path}.{}", name.get_ref());
            let Some(fields) = self.table((name, value), &path) else {
                continue;
            };
            let [blocks, note, first_last, selector] = self.fields(
                fields,
                &format!("[{path}]"),
                ["blocks", "note", "allow-first-last-ips", "service-selector"],
            );
            let blocks = self
                .required(blocks, "blocks", &format!("[{path}]"), span(value.span()))
                .and_then(|e| self.strings(e, &format!("{path}.blocks")))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| self.value(s, Subject::Block, parse_block))
                .collect::<Vec<_>>();
            let note = note.and_then(|e| self.string(e, &format!("{path}.note")));
            let first_last =
                first_last.and_then(|e| self.boolean(e, &format!("{path}.allow-first-last-ips")));
            let service_selector =
                selector.and_then(|e| self.selector(e, &format!("{path}.service-selector")));
            out.push(Pool {
                name: key(name),
                blocks: Cow::Owned(blocks),
                note: note.map(|n| n.item),
                allow_first_last_ips: first_last,
                service_selector,
            });
        }
        out
    }

    fn pins(&mut self, entry: Entry<'_, '_>, cluster: &str) -> Vec<Pin> {
        let path = format!("{cluster}.pins");
        let Some(table) = self.table(entry, &path) else {
            return Vec::new();
        };
        table
            .iter()
            .filter_map(|(name, value)| {
                let (s, pool) =
                    self.pin_value((name, value), &format!("{path}.{}", name.get_ref()))?;
                let addr = self.value(s, Subject::PinnedAddress, parse_addr)?;
                Some(Pin {
                    service: key(name),
                    addr,
                    pool,
                })
            })
            .collect()
    }

    fn cilium(&mut self, entry: Option<Entry<'_, '_>>) -> Option<Cilium> {
        let mut cilium = Cilium::DEFAULT;
        let Some(entry) = entry else {
            return Some(cilium);
        };
        let table = self.table(entry, "cilium")?;
        let [annotation, reserve, api, version, differentiation] = self.fields(
            table,
            "[cilium]",
            [
                "ip-annotation",
                "reserve-pins",
                "api-version",
                "version",
                "load-balancer-protocol-differentiation",
            ],
        );
        if let Some(e) = version {
            let s = self.string(e, "cilium.version")?;
            cilium.version = self.value(s, Subject::CiliumVersion, parse_version)?;
        }
        if let Some(e) = differentiation {
            cilium.protocol_differentiation =
                self.boolean(e, "cilium.load-balancer-protocol-differentiation")?;
        }
        if let Some(e) = annotation {
            cilium.ip_annotation = self.string(e, "cilium.ip-annotation")?;
        }
        if let Some(e) = reserve {
            cilium.reserve_pins = self.boolean(e, "cilium.reserve-pins")?;
        }
        if let Some(e) = api {
            let s = self.string(e, "cilium.api-version")?;
            cilium.api_version = self.value(s, Subject::CiliumApiVersion, |v| {
                ApiVersion::ALL
                    .into_iter()
                    .find(|a| a.as_str() == v)
                    .ok_or_else(|| "expected cilium.io/v2alpha1 or cilium.io/v2".to_owned())
            })?;
        }
        Some(cilium)
    }

    fn services(&mut self, entry: Entry<'_, '_>) -> Option<Vec<Service>> {
        let table = self.table(entry, "services")?;
        let mut out = Vec::with_capacity(table.len());
        for (name, value) in table.iter() {
            let path = format!("services.{}", name.get_ref());
            let Some(fields) = self.table((name, value), &path) else {
                continue;
            };
            let [setting, helm, service, labels] = self.fields(
                fields,
                &format!("[{path}]"),
                ["setting", "helm-service", "service", "labels"],
            );
            out.push(Service {
                name: key(name),
                setting: setting.and_then(|e| self.string(e, &format!("{path}.setting"))),
                helm_service: helm.and_then(|e| self.string(e, &format!("{path}.helm-service"))),
                service: service.and_then(|e| self.string(e, &format!("{path}.service"))),
                labels: Cow::Owned(
                    labels.map_or(Vec::new(), |e| self.labels(e, &format!("{path}.labels"))),
                ),
            });
        }
        Some(out)
    }

    fn flux(&mut self, entry: Option<Entry<'_, '_>>) -> Option<Flux> {
        let mut flux = Flux::DEFAULT;
        let Some(entry) = entry else {
            return Some(flux);
        };
        let table = self.table(entry, "flux")?;
        let [interval, timeout, depends_on, source, namespace] = self.fields(
            table,
            "[flux]",
            ["interval", "timeout", "depends-on", "source", "namespace"],
        );
        if let Some(e) = namespace {
            flux.namespace = self.string(e, "flux.namespace")?;
        }
        if let Some(e) = interval {
            flux.interval = self.string(e, "flux.interval")?;
        }
        if let Some(e) = timeout {
            flux.timeout = self.string(e, "flux.timeout")?;
        }
        if let Some(e) = depends_on {
            flux.depends_on = Cow::Owned(self.strings(e, "flux.depends-on")?);
        }
        if let Some(e) = source {
            let table = self.table(e, "flux.source")?;
            let [kind, name, namespace] =
                self.fields(table, "[flux.source]", ["kind", "name", "namespace"]);
            let src = &mut flux.source;
            for (entry, field, key) in [
                (kind, &mut src.kind, "flux.source.kind"),
                (name, &mut src.name, "flux.source.name"),
                (namespace, &mut src.namespace, "flux.source.namespace"),
            ] {
                if let Some(e) = entry {
                    *field = self.string(e, key)?;
                }
            }
        }
        Some(flux)
    }

    fn layout(&mut self, entry: Option<Entry<'_, '_>>) -> Option<Layout> {
        let mut layout = Layout::DEFAULT;
        let Some(entry) = entry else {
            return Some(layout);
        };
        let table = self.table(entry, "layout")?;
        let [
            pools_dir,
            pool_file,
            cluster_dir,
            flux_file,
            flux_name,
            settings_file,
            settings_name,
            helm_values,
            docs_dir,
            audit,
            exclude,
            take_over,
        ] = self.fields(
            table,
            "[layout]",
            [
                "pools-dir",
                "pool-file",
                "cluster-dir",
                "flux-file",
                "flux-name",
                "settings-file",
                "settings-name",
                "helm-values",
                "docs-dir",
                "audit",
                "exclude",
                "take-over",
            ],
        );
        let l = &mut layout;
        for (entry, field, key) in [
            (pools_dir, &mut l.pools_dir, "layout.pools-dir"),
            (pool_file, &mut l.pool_file, "layout.pool-file"),
            (cluster_dir, &mut l.cluster_dir, "layout.cluster-dir"),
            (flux_file, &mut l.flux_file, "layout.flux-file"),
            (flux_name, &mut l.flux_name, "layout.flux-name"),
            (settings_file, &mut l.settings_file, "layout.settings-file"),
            (settings_name, &mut l.settings_name, "layout.settings-name"),
            (helm_values, &mut l.helm_values, "layout.helm-values"),
            (docs_dir, &mut l.docs_dir, "layout.docs-dir"),
        ] {
            if let Some(e) = entry {
                *field = self.string(e, key)?;
            }
        }
        if let Some(e) = audit {
            layout.audit = Cow::Owned(self.strings(e, "layout.audit")?);
        }
        if let Some(e) = exclude {
            let globs = self.strings(e, "layout.exclude")?;
            for g in &globs {
                if let Err(reason) = crate::glob::Globs::new([&*g.item]) {
                    self.errors.push(Error::BadValue {
                        span: g.span,
                        what: Subject::Glob,
                        value: g.item.to_string(),
                        reason,
                    });
                }
            }
            layout.exclude = Cow::Owned(globs);
        }
        if let Some(e) = take_over {
            layout.take_over = Cow::Owned(self.strings(e, "layout.take-over")?);
        }
        Some(layout)
    }
}

/// Defaults that follow the Cilium version: before 1.16 a pool without
/// `allow-first-last-ips` withholds the first and last address of its `cidr:`
/// blocks (`allowFirstLastIPs` defaulted to `No`), and the build writes that
/// default out.
fn version_defaults(version: Version, clusters: &mut [Cluster]) {
    if version.at_least(16) {
        return;
    }
    for c in clusters {
        for p in c.pools.to_mut() {
            p.allow_first_last_ips.get_or_insert(At::new(false));
        }
    }
}

/// `1.N`, for a minor version lbipam-plan knows the rules of.
fn parse_version(s: &str) -> Result<Version, String> {
    let range = format!("{} to {}", Version::OLDEST, Version::NEWEST);
    let minor = s
        .strip_prefix("1.")
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) && !m.starts_with('0'))
        .and_then(|m| m.parse::<u8>().ok())
        .ok_or_else(|| format!("expected a Cilium minor version like \"1.18\" ({range})"))?;
    let version = Version { minor };
    if version < Version::OLDEST || version > Version::NEWEST {
        return Err(format!("lbipam-plan knows the rules of Cilium {range}"));
    }
    Ok(version)
}

fn key(k: &Spanned<Cow<'_, str>>) -> At<Str> {
    At {
        item: Cow::Owned(k.get_ref().to_string()),
        span: span(k.span()),
    }
}

/// Why an address, range or CIDR is not in its one accepted spelling, if it is
/// not: no whitespace or control character anywhere (`" 10.25.11.1"`, a tab, a
/// no-break space, the newline of a multi-line string), and no IPv4 number
/// with a leading zero (`010`, read as decimal 10 by some tools and as octal 8
/// by others).
fn spelling_error(s: &str) -> Option<String> {
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        let what = match c {
            ' ' => "a space".to_owned(),
            '\t' => "a tab".to_owned(),
            '\n' | '\r' => "a line break".to_owned(),
            '\u{a0}' => "a no-break space (`\\u{a0}`)".to_owned(),
            c if c.is_whitespace() => format!("the space character `{}`", c.escape_unicode()),
            c => format!("the control character `{}`", c.escape_unicode()),
        };
        return Some(format!(
            "it contains {what}; an address is written without whitespace"
        ));
    }
    let zero = s.split(['.', '-', '/']).find(|part| {
        part.len() > 1 && part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit())
    })?;
    let plain = zero.trim_start_matches('0');
    let plain = if plain.is_empty() { "0" } else { plain };
    Some(format!(
        "`{zero}` has a leading zero, which some tools read as octal; write `{plain}`"
    ))
}

/// An IPv4 or IPv6 address, in its one spelling.
pub(crate) fn parse_addr(s: &str) -> Result<IpAddr, String> {
    if let Some(reason) = spelling_error(s) {
        return Err(reason);
    }
    s.parse::<IpAddr>()
        .map_err(|_| "not an IPv4 or IPv6 address".to_owned())
}

/// `A/len`, in its one spelling: the standard library's address parser (which
/// refuses IPv4 leading zeros, unlike `ipnet`'s) and a decimal prefix length.
fn parse_net(s: &str) -> Result<IpNet, String> {
    if let Some(reason) = spelling_error(s) {
        return Err(reason);
    }
    let bad = || "not a CIDR like 10.25.11.0/24".to_owned();
    let (addr, len) = s.split_once('/').ok_or_else(bad)?;
    let addr = addr.parse::<IpAddr>().map_err(|_| bad())?;
    if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let len = len.parse::<u8>().map_err(|_| bad())?;
    IpNet::new(addr, len).map_err(|_| bad())
}

/// `"A-B"`, `"A"` or `"A/len"`. Order and family of a range are judged by the
/// checker, so that hand-built plans get the same verdict.
fn parse_block(s: &str) -> Result<Block, String> {
    if let Some(reason) = spelling_error(s) {
        return Err(reason);
    }
    if s.contains('/') {
        return parse_net(s).map(Block::Cidr);
    }
    match s.split_once('-') {
        Some((a, b)) => {
            let start =
                parse_addr(a).map_err(|_| format!("range start `{a}` is not an IP address"))?;
            let stop =
                parse_addr(b).map_err(|_| format!("range stop `{b}` is not an IP address"))?;
            Ok(Block::Range { start, stop })
        }
        None => parse_addr(s)
            .map(Block::single)
            .map_err(|_| "not an address, a range A-B or a CIDR".to_owned()),
    }
}
