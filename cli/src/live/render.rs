//! How `lbipam live` prints: findings as the build prints its errors (through
//! core's diag, with the excerpt of the input or plan.toml they point at), in
//! JSON, or as GitHub annotations; then the pools' usage.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lbipam_core::diag::error::Error;
use lbipam_core::diag::{Report, SHOWN_IN_FULL};
use lbipam_core::net::Size;
use lbipam_core::plan::layout::PLAN_FILE;
use lbipam_core::text::LineIndex;
use lbipam_core::usage;
use serde_json::{Value, json};

use super::compare::{ClusterUsage, Drift, Outcome, Place};
use super::{Args, Format, Source};
use crate::Output;
use crate::formats::github_error;
use crate::table::{self, Table};

/// Where a finding is, as printed.
struct Position {
    /// How the input or plan.toml is named.
    name: String,
    /// The file, when the input is one (GitHub annotations name it).
    file: Option<PathBuf>,
    line: usize,
    col: usize,
}

/// The position of every place, each text scanned once.
fn positions(places: &[Place], sources: &[Source], plan_text: &str) -> Vec<Position> {
    // Offsets by text: sources first, plan.toml last.
    let mut wanted: Vec<Vec<(usize, usize)>> = vec![Vec::new(); sources.len() + 1];
    for (i, place) in places.iter().enumerate() {
        match *place {
            Place::Live { source, offset } => wanted[source].push((i, offset)),
            Place::Plan(span) => wanted[sources.len()].push((i, span.start as usize)),
        }
    }
    let mut out: Vec<Option<Position>> = places.iter().map(|_| None).collect();
    for (t, list) in wanted.iter().enumerate() {
        let (text, name, file) = match sources.get(t) {
            Some(s) => (s.text.as_str(), s.name.clone(), s.file.clone()),
            None => (
                plan_text,
                PLAN_FILE.to_owned(),
                Some(PathBuf::from(PLAN_FILE)),
            ),
        };
        let index = LineIndex::new(text);
        for &(i, offset) in list {
            let (line, col) = index.line_col(offset);
            out[i] = Some(Position {
                name: name.clone(),
                file: file.clone(),
                line,
                col,
            });
        }
    }
    out.into_iter()
        .map(|p| {
            p.unwrap_or(Position {
                name: String::new(),
                file: None,
                line: 1,
                col: 1,
            })
        })
        .collect()
}

pub(crate) fn render(
    outcome: &Outcome,
    sources: &[Source],
    plan_text: &str,
    args: &Args,
) -> Output {
    let places: Vec<Place> = outcome.findings.iter().map(|f| f.at).collect();
    let at = positions(&places, sources, plan_text);
    let outcome = &with_also(outcome, sources, plan_text);
    let code = i32::from(!outcome.findings.is_empty());
    match args.format {
        Format::Text => Output {
            code,
            stdout: usage_text(&outcome.clusters, args.color),
            stderr: findings_text(outcome, &at, sources, plan_text, args.all),
        },
        Format::Json => Output {
            code,
            stdout: format!("{}\n", to_json(outcome, &at)),
            stderr: String::new(),
        },
        Format::Github => Output {
            code,
            stdout: format!(
                "{}{}",
                annotations(&outcome.findings, &at),
                usage_text(&outcome.clusters, false)
            ),
            stderr: String::new(),
        },
    }
}

/// The findings with their second places named at the end of their messages.
fn with_also(outcome: &Outcome, sources: &[Source], plan_text: &str) -> Outcome {
    let places: Vec<Place> = outcome
        .findings
        .iter()
        .filter_map(|f| f.also.as_ref().map(|(_, p)| *p))
        .collect();
    let mut at = positions(&places, sources, plan_text).into_iter();
    let findings = outcome
        .findings
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if let Some((words, _)) = f.also.take()
                && let Some(p) = at.next()
            {
                f.message = format!("{}; {words} {}:{}:{}", f.message, p.name, p.line, p.col);
            }
            f
        })
        .collect();
    Outcome {
        findings,
        clusters: outcome.clusters.clone(),
    }
}

/// The findings in the build's form: the first [`SHOWN_IN_FULL`] (every one
/// with `all`) with their excerpts, the rest counted by code, and a summary.
fn findings_text(
    outcome: &Outcome,
    at: &[Position],
    sources: &[Source],
    plan_text: &str,
    all: bool,
) -> String {
    let findings = &outcome.findings;
    let checked = outcome.clusters.iter().filter(|c| c.checked).count();
    if findings.is_empty() {
        return format!(
            "ok: what the {checked} cluster{} hold matches plan.toml\n",
            if checked == 1 { "" } else { "s" }
        );
    }
    let shown = if all {
        findings.len()
    } else {
        SHOWN_IN_FULL.min(findings.len())
    };
    let errors = findings[..shown]
        .iter()
        .zip(at)
        .map(|(f, p)| {
            Error::file(
                f.code,
                PathBuf::from(&p.name),
                p.line,
                p.col,
                format!("{} [{}]", f.message, f.code.as_str()),
            )
        })
        .collect();
    // Only the texts the shown findings point into, for their excerpts.
    let mut files: BTreeMap<PathBuf, String> = BTreeMap::new();
    for f in &findings[..shown] {
        if let Place::Live { source, .. } = f.at
            && let Some(s) = sources.get(source)
        {
            files
                .entry(PathBuf::from(&s.name))
                .or_insert_with(|| s.text.clone());
        }
    }
    files.insert(PathBuf::from(PLAN_FILE), plan_text.to_owned());
    let report = Report {
        files,
        ..Report::new(PLAN_FILE, plan_text, errors)
    };
    let mut out = report.render_each();
    let counts = by_code(findings);
    if shown < findings.len() {
        let rest = by_code(&findings[shown..]);
        out.push_str(&format!(
            "note: {} more findings not shown in full (run with --all), by code:\n{rest}\n",
            findings.len() - shown
        ));
    }
    let n = findings.len();
    out.push_str(&format!(
        "error: {n} finding{} in what the clusters hold ({checked} of {} checked), by code:\n{counts}",
        if n == 1 { "" } else { "s" },
        outcome.clusters.len()
    ));
    out
}

/// `  COUNT code` lines, in the order codes are declared.
fn by_code(findings: &[Drift]) -> String {
    let mut counts: BTreeMap<_, usize> = BTreeMap::new();
    for f in findings {
        *counts.entry(f.code).or_default() += 1;
    }
    let width = counts.values().max().map_or(1, |n| n.to_string().len());
    counts
        .iter()
        .map(|(code, n)| format!("  {n:>width$} {}\n", code.as_str()))
        .collect()
}

/// Per cluster and pool: used, size and free, and where the count comes from;
/// then the addresses held outside the clusters' pools.
fn usage_text(clusters: &[ClusterUsage], color: bool) -> String {
    let mut t = Table::new(
        vec!["CLUSTER / POOL", "USED", "SIZE", "FREE", "COUNTED FROM"],
        vec![false, true, true, true, false],
    );
    for c in clusters {
        if !c.checked {
            let dash = || ("-".to_owned(), table::DIM);
            t.row(vec![
                (c.cluster.clone(), table::BOLD),
                dash(),
                dash(),
                dash(),
                ("not checked".to_owned(), table::YELLOW),
            ]);
            continue;
        }
        let used: u128 = c.pools.iter().map(|p| p.used).sum();
        let size = c
            .pools
            .iter()
            .fold(Size::Count(0), |a, p| usage::add(a, p.size));
        t.row(vec![
            (c.cluster.clone(), table::BOLD),
            (used.to_string(), None),
            (size.to_string(), None),
            (usage::sub(size, used).to_string(), None),
            (String::new(), None),
        ]);
        for p in &c.pools {
            let from = if p.by_cilium {
                "cilium.io/IPsUsed"
            } else {
                "Services"
            };
            t.row(vec![
                (format!("  {}", p.name), None),
                (p.used.to_string(), None),
                (p.size.to_string(), None),
                (p.free.to_string(), None),
                (from.to_owned(), table::DIM),
            ]);
        }
    }
    let mut out = t.text(color);
    let stray: Vec<_> = clusters
        .iter()
        .flat_map(|c| c.unaccounted.iter().map(move |u| (c, u)))
        .collect();
    if !stray.is_empty() {
        let mut t = Table::new(
            vec!["CLUSTER", "ADDRESS", "HELD BY", "IN THE PLAN"],
            vec![false, false, false, false],
        );
        for (c, u) in stray {
            t.row(vec![
                (c.cluster.clone(), table::BOLD),
                (u.address.to_string(), table::RED),
                (u.service.clone(), None),
                (u.owner.clone(), None),
            ]);
        }
        out.push_str("\nAddresses in use that the plan does not give the cluster:\n\n");
        out.push_str(&t.text(color));
    }
    out
}

fn to_json(outcome: &Outcome, at: &[Position]) -> Value {
    let findings: Vec<Value> = outcome
        .findings
        .iter()
        .zip(at)
        .map(|(f, p)| {
            json!({
                "file": p.name,
                "line": p.line,
                "col": p.col,
                "code": f.code.as_str(),
                "cluster": f.cluster,
                "object": f.object,
                "address": f.address.map(|a| a.to_string()),
                "message": f.message,
            })
        })
        .collect();
    let clusters: Vec<Value> = outcome
        .clusters
        .iter()
        .map(|c| {
            let pools: Vec<Value> = c
                .pools
                .iter()
                .map(|p| {
                    json!({
                        "pool": p.name,
                        "used": u64::try_from(p.used).unwrap_or(u64::MAX),
                        "size": crate::report::size_json(p.size),
                        "free": crate::report::size_json(p.free),
                        "counted_from": if p.by_cilium { "cilium.io/IPsUsed" } else { "Services" },
                    })
                })
                .collect();
            let unaccounted: Vec<Value> = c
                .unaccounted
                .iter()
                .map(|u| json!({"address": u.address.to_string(), "held_by": u.service, "in_the_plan": u.owner}))
                .collect();
            json!({"cluster": c.cluster, "checked": c.checked, "pools": pools, "unaccounted": unaccounted})
        })
        .collect();
    json!({"findings": findings, "clusters": clusters})
}

/// One `::error` workflow command per finding; `file`, `line` and `col` when
/// the finding is in a file (not in kubectl's answer or stdin).
fn annotations(findings: &[Drift], at: &[Position]) -> String {
    findings
        .iter()
        .zip(at)
        .map(|(f, p)| {
            let title = format!("lbipam live {}", f.code.as_str());
            match &p.file {
                Some(file) => {
                    let file = file.display().to_string();
                    github_error(Some((&file, p.line, p.col)), &title, &f.message)
                }
                None => {
                    let message = format!("{}:{}:{}: {}", p.name, p.line, p.col, f.message);
                    github_error(None, &title, &message)
                }
            }
        })
        .collect()
}
