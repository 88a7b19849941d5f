//! The parts of plan.toml for pool selectors, pins naming their pool, Service
//! labels and a cluster's advertisement: shapes and spellings only, like the
//! rest of the parser.

use std::borrow::Cow;

use toml::de::{DeTable, DeValue};

use super::{Entry, TableReader, parse_addr, span};
use crate::diag::error::{Error, Subject};
use crate::plan::advertise::{Advertise, AdvertiseMode, Bgp, L2};
use crate::plan::selector::{Expression, Label, LabelSelector, Operator};
use crate::plan::{At, Span, Str};

impl TableReader {
    /// A table of `key = "value"` labels.
    pub(super) fn labels(&mut self, entry: Entry<'_, '_>, path: &str) -> Vec<Label> {
        let Some(table) = self.table(entry, path) else {
            return Vec::new();
        };
        table
            .iter()
            .filter_map(|(k, v)| {
                let value = self.string((k, v), &format!("{path}.{}", k.get_ref()))?;
                Some(Label {
                    key: super::key(k),
                    value,
                })
            })
            .collect()
    }

    /// `{ match-labels = { … }, match-expressions = [{ key, operator, values }] }`.
    pub(super) fn selector(&mut self, entry: Entry<'_, '_>, path: &str) -> Option<LabelSelector> {
        let table = self.table(entry, path)?;
        let [labels, expressions] = self.fields(
            table,
            &format!("[{path}]"),
            ["match-labels", "match-expressions"],
        );
        let match_labels = labels.map_or(Vec::new(), |e| {
            self.labels(e, &format!("{path}.match-labels"))
        });
        let match_expressions = expressions.map_or(Vec::new(), |e| {
            self.expressions(e, &format!("{path}.match-expressions"))
        });
        Some(LabelSelector {
            match_labels: Cow::Owned(match_labels),
            match_expressions: Cow::Owned(match_expressions),
            span: span(entry.1.span()),
        })
    }

    fn expressions(&mut self, entry: Entry<'_, '_>, path: &str) -> Vec<Expression> {
        let DeValue::Array(items) = entry.1.get_ref() else {
            self.wrong_type(entry.1, path, "an array of tables", entry.1.get_ref());
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let DeValue::Table(table) = item.get_ref() else {
                self.wrong_type(item, path, "a table", item.get_ref());
                continue;
            };
            let table_span = span(item.span());
            if let Some(e) = self.expression(table, table_span, path) {
                out.push(e);
            }
        }
        out
    }

    fn expression(&mut self, table: &DeTable<'_>, at: Span, path: &str) -> Option<Expression> {
        let [key, operator, values] =
            self.fields(table, &format!("[{path}]"), ["key", "operator", "values"]);
        let key = self
            .required(key, "key", path, at)
            .and_then(|e| self.string(e, &format!("{path}.key")));
        let operator = self
            .required(operator, "operator", path, at)
            .and_then(|e| self.string(e, &format!("{path}.operator")))
            .and_then(|s| {
                self.value(s, Subject::SelectorOperator, |v| {
                    Operator::ALL
                        .into_iter()
                        .find(|o| o.as_str() == v)
                        .ok_or_else(|| "expected In, NotIn, Exists or DoesNotExist".to_owned())
                })
            });
        let values = values.map_or(Some(Vec::new()), |e| {
            self.strings(e, &format!("{path}.values"))
        });
        Some(Expression {
            key: key?,
            operator: operator?,
            values: Cow::Owned(values?),
            span: at,
        })
    }

    /// `advertise`, `[clusters.C.bgp]` and `[clusters.C.l2]` of a cluster.
    pub(super) fn advertise(
        &mut self,
        [mode, bgp, l2]: [Option<Entry<'_, '_>>; 3],
        cluster: &str,
    ) -> Advertise {
        let mode = mode
            .and_then(|e| self.string(e, &format!("{cluster}.advertise")))
            .and_then(|s| {
                self.value(s, Subject::AdvertiseMode, |v| {
                    AdvertiseMode::ALL
                        .into_iter()
                        .find(|m| m.as_str() == v)
                        .ok_or_else(|| "expected bgp, l2 or none".to_owned())
                })
            })
            .unwrap_or(At::new(AdvertiseMode::None));
        Advertise {
            mode,
            bgp: bgp.and_then(|e| self.bgp(e, &format!("{cluster}.bgp"))),
            l2: l2.and_then(|e| self.l2(e, &format!("{cluster}.l2"))),
        }
    }

    fn bgp(&mut self, entry: Entry<'_, '_>, path: &str) -> Option<Bgp> {
        let table = self.table(entry, path)?;
        let at = span(entry.1.span());
        let [address, asn, labels, services] = self.fields(
            table,
            &format!("[{path}]"),
            [
                "peer-address",
                "peer-asn",
                "advertise-labels",
                "service-selector",
            ],
        );
        let address = self
            .required(address, "peer-address", &format!("[{path}]"), at)
            .and_then(|e| self.string(e, &format!("{path}.peer-address")))
            .and_then(|s| self.value(s, Subject::PeerAddress, parse_addr));
        let asn = self
            .required(asn, "peer-asn", &format!("[{path}]"), at)
            .and_then(|e| self.asn(e, &format!("{path}.peer-asn")));
        let labels = labels.map_or(Vec::new(), |e| {
            self.labels(e, &format!("{path}.advertise-labels"))
        });
        let services = services.and_then(|e| self.selector(e, &format!("{path}.service-selector")));
        Some(Bgp {
            peer_address: address?,
            peer_asn: asn?,
            advertise_labels: Cow::Owned(labels),
            service_selector: services,
            span: at,
        })
    }

    /// An ASN: 1 to 4294967295 (four-octet ASNs; 0 is reserved).
    fn asn(&mut self, entry: Entry<'_, '_>, path: &str) -> Option<At<u32>> {
        let DeValue::Integer(i) = entry.1.get_ref() else {
            self.wrong_type(entry.1, path, "an integer", entry.1.get_ref());
            return None;
        };
        let at = span(entry.1.span());
        match u32::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) if n > 0 => Some(At { item: n, span: at }),
            _ => {
                self.errors.push(Error::Rule {
                    span: at,
                    related: None,
                    rule: crate::diag::rule::Rule::InvalidAdvertisement,
                    message: format!("BGP ASN `{i}` is out of range: an ASN is 1 to 4294967295"),
                });
                None
            }
        }
    }

    fn l2(&mut self, entry: Entry<'_, '_>, path: &str) -> Option<L2> {
        let table = self.table(entry, path)?;
        let at = span(entry.1.span());
        let [interfaces, nodes, services] = self.fields(
            table,
            &format!("[{path}]"),
            ["interfaces", "node-selector", "service-selector"],
        );
        let interfaces: Vec<At<Str>> = self
            .required(interfaces, "interfaces", &format!("[{path}]"), at)
            .and_then(|e| self.strings(e, &format!("{path}.interfaces")))?;
        Some(L2 {
            interfaces: Cow::Owned(interfaces),
            node_selector: nodes.and_then(|e| self.selector(e, &format!("{path}.node-selector"))),
            service_selector: services
                .and_then(|e| self.selector(e, &format!("{path}.service-selector"))),
            span: at,
        })
    }

    /// A pin: `"ADDRESS"` or `{ address = "ADDRESS", pool = "POOL" }`.
    pub(super) fn pin_value(
        &mut self,
        entry: Entry<'_, '_>,
        path: &str,
    ) -> Option<(At<Str>, Option<At<Str>>)> {
        let DeValue::Table(table) = entry.1.get_ref() else {
            return Some((self.string(entry, path)?, None));
        };
        let [address, pool] = self.fields(table, &format!("[{path}]"), ["address", "pool"]);
        let address = self
            .required(
                address,
                "address",
                &format!("[{path}]"),
                span(entry.1.span()),
            )
            .and_then(|e| self.string(e, &format!("{path}.address")))?;
        let pool = pool.and_then(|e| self.string(e, &format!("{path}.pool")));
        Some((address, pool))
    }
}
