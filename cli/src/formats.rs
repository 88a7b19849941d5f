//! The machine formats of `lbipam check`: JSON, GitHub workflow commands, SARIF
//! 2.1.0 and JUnit XML, all from one list of [`Finding`]s.

use std::collections::BTreeMap;

use lbipam_core::diag::Report;
use lbipam_core::diag::codes;
use lbipam_core::diag::error::Location;
use lbipam_core::diag::error::Related;
use lbipam_core::text::LineIndex;
use lbipam_core::xml::escape as xml;
use serde_json::{Value, json};

/// Whether a finding fails the check or only tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Error,
    Warning,
}

impl Level {
    /// The level's name in JSON, SARIF and GitHub workflow commands.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// One finding, placed: its level, the file (relative to the repository root),
/// 1-based line and column (in characters), its stable code, its message, what
/// to do about it and the other places it involves.
pub(crate) struct Finding {
    pub level: Level,
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub code: &'static str,
    pub message: String,
    pub help: Option<&'static str>,
    pub related: Vec<Related>,
}

/// Every error of a report as a finding, then every warning.
pub(crate) fn findings(report: &Report) -> Vec<Finding> {
    let lines = LineIndex::new(&report.plan_text);
    let errors = report.errors.iter().map(|e| (Level::Error, e));
    let warnings = report.warnings.iter().map(|w| (Level::Warning, w));
    errors
        .chain(warnings)
        .map(|(level, e)| {
            let mut related = e.related_files().to_vec();
            let (file, line, col) = match e.location() {
                Location::Plan {
                    span,
                    related: other,
                } => {
                    // The other span of a plan error (the range it overlaps, the
                    // first pin on the address) is a related place in plan.toml.
                    if let Some((other, label)) = other {
                        let (line, column) = lines.line_col(other.start as usize);
                        related.push(Related {
                            path: report.plan_path.clone(),
                            line,
                            column,
                            label: label.to_owned(),
                        });
                    }
                    let (line, col) = lines.line_col(span.start as usize);
                    (report.plan_path.display().to_string(), line, col)
                }
                Location::File { path, line, column } => (path.display().to_string(), line, column),
            };
            Finding {
                level,
                file,
                line,
                col,
                code: e.code(),
                message: e.to_string(),
                help: e.help(),
                related,
            }
        })
        .collect()
}

/// One JSON object per finding: `level`, `file`, `line`, `col`, `code`, `message`,
/// `help` (`null` when none) and `related` (`file`, `line`, `col`, `label` of
/// each other place); in an array, one object per line.
pub(crate) fn json(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "[]\n".to_owned();
    }
    // Written by hand to keep the documented key order; strings by serde_json.
    let string = |s: &str| Value::from(s).to_string();
    let objects: Vec<String> = findings
        .iter()
        .map(|f| {
            let related: Vec<String> = f
                .related
                .iter()
                .map(|r| {
                    format!(
                        "{{\"file\":{},\"line\":{},\"col\":{},\"label\":{}}}",
                        string(&r.path.display().to_string()),
                        r.line,
                        r.column,
                        string(&r.label)
                    )
                })
                .collect();
            format!(
                "{{\"level\":{},\"file\":{},\"line\":{},\"col\":{},\"code\":{},\"message\":{},\"help\":{},\"related\":[{}]}}",
                string(f.level.name()),
                string(&f.file),
                f.line,
                f.col,
                string(f.code),
                string(&f.message),
                f.help.map_or("null".to_owned(), string),
                related.join(",")
            )
        })
        .collect();
    format!("[\n{}\n]\n", objects.join(",\n"))
}

/// GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=CODE::MESSAGE`
/// per error and `::warning …` per warning, so the findings show on the lines
/// of the pull request.
pub(crate) fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let at = (f.file.as_str(), f.line, f.col);
        out.push_str(&github_command(f.level, Some(at), f.code, &with_help(f)));
    }
    out
}

/// One `::error` workflow command: at `file`, `line` and `col` when given
/// (GitHub then shows it on that line of the pull request), titled `title`.
pub(crate) fn github_error(at: Option<(&str, usize, usize)>, title: &str, message: &str) -> String {
    github_command(Level::Error, at, title, message)
}

/// One `::error` or `::warning` workflow command, as [`github_error`].
fn github_command(
    level: Level,
    at: Option<(&str, usize, usize)>,
    title: &str,
    message: &str,
) -> String {
    let place = at.map_or(String::new(), |(file, line, col)| {
        format!("file={},line={line},col={col},", property(file))
    });
    format!(
        "::{} {place}title={}::{}\n",
        level.name(),
        property(title),
        data(message)
    )
}

/// A workflow command's message, escaped as the runner unescapes it.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as [`data`], and `:` and `,` too.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// SARIF 2.1.0: one run of `lbipam`, one rule per stable code found, one
/// result per finding (level `error` or `warning`), columns in Unicode code
/// points.
pub(crate) fn sarif(findings: &[Finding]) -> String {
    let mut rule_ids: Vec<&str> = findings.iter().map(|f| f.code).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| json!({"id": id, "name": id}))
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let index = rule_ids.binary_search(&f.code).unwrap_or(0);
            json!({
                "ruleId": f.code,
                "ruleIndex": index,
                "level": f.level.name(),
                "message": {"text": with_help(f)},
                "locations": [location(&f.file, f.line, f.col)],
                "relatedLocations": f.related.iter().enumerate().map(|(i, r)| {
                    let mut at = location(&r.path.display().to_string(), r.line, r.column);
                    at["id"] = json!(i);
                    at["message"] = json!({"text": r.label});
                    at
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    let log = json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {
                "name": "lbipam",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// A finding's message, then what to do about it: the text of a SARIF result
/// or a workflow command.
fn with_help(f: &Finding) -> String {
    match f.help {
        Some(help) => format!("{}\nhelp: {help}", f.message),
        None => f.message.clone(),
    }
}

/// A SARIF location: a file and a 1-based line and column.
fn location(file: &str, line: usize, col: usize) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(file)},
            "region": {"startLine": line.max(1), "startColumn": col.max(1)},
        }
    })
}

/// A relative path as a URI reference: `/`-separated, percent-encoded where a
/// URI needs it.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// JUnit XML: one testcase per check (every stable code), failing with every
/// error of its code as `file:line:col: message`; a code found only as a
/// warning passes, its warnings in the testcase's `system-out`.
pub(crate) fn junit(findings: &[Finding]) -> String {
    let mut by_code: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    let mut warned: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        let into = match f.level {
            Level::Error => &mut by_code,
            Level::Warning => &mut warned,
        };
        into.entry(f.code).or_default().push(f);
    }
    let all = codes::all();
    let failures = all.iter().filter(|c| by_code.contains_key(*c)).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"lbipam check\" tests=\"{n}\" failures=\"{failures}\">\n  <testsuite name=\"lbipam check\" tests=\"{n}\" failures=\"{failures}\" errors=\"0\">\n",
        n = all.len()
    ));
    for code in &all {
        let name = xml(code);
        match (by_code.get(code), warned.get(code)) {
            (None, None) => out.push_str(&format!(
                "    <testcase classname=\"lbipam.check\" name=\"{name}\"/>\n"
            )),
            (None, Some(found)) => out.push_str(&format!(
                "    <testcase classname=\"lbipam.check\" name=\"{name}\">\n      <system-out>{}</system-out>\n    </testcase>\n",
                xml(&junit_lines(found).join("\n"))
            )),
            (Some(found), _) => {
                let lines = junit_lines(found);
                let first = found[0];
                out.push_str(&format!(
                    "    <testcase classname=\"lbipam.check\" name=\"{name}\" file=\"{}\" line=\"{}\">\n      <failure type=\"{name}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml(&first.file),
                    first.line,
                    xml(&format!("{} finding(s): {}", found.len(), lines[0])),
                    xml(&lines.join("\n"))
                ));
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// `file:line:col: message` of each finding, as a JUnit testcase shows it.
fn junit_lines(found: &[&Finding]) -> Vec<String> {
    found
        .iter()
        .map(|f| format!("{}:{}:{}: {}", f.file, f.line, f.col, f.message))
        .collect()
}
