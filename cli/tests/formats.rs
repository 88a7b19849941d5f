//! `lbipam check --format github|sarif|junit` beside `json`, on scratch copies
//! of the seed: GitHub workflow commands parsed back as the runner reads them,
//! SARIF against the 2.1.0 structure, JUnit parsed as XML. The broken fixture
//! asks, in the apps cluster, for an infra address (two findings: `stray-ip`
//! and `ip-in-two-clusters`) from a file whose name needs escaping.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{lbipam, scratch_repo, service_with, write};
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use serde_json::Value;

/// A file name with the two characters workflow-command properties escape.
const FILE: &str = "kubernetes/clusters/apps/web,v2:blue.yaml";
const IP: &str = "10.25.11.100";

/// The seed with the stray request, and the line and column of its address.
fn broken() -> (tempfile::TempDir, usize, usize) {
    let dir = scratch_repo();
    let text = service_with("web", IP, "");
    write(dir.path(), FILE, &text);
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find(IP).map(|c| (i + 1, c + 1)))
        .expect("the address is written");
    (dir, line, col)
}

/// (file, line, col, code, message) of `check --format json`; the message
/// followed by `help: …` on a line of its own when the finding has help, as
/// the text of a workflow command or SARIF result shows it.
fn json_findings(dir: &Path) -> Vec<(String, u64, u64, String, String)> {
    let out = lbipam(dir, &["check", "--format", "json"]);
    let v: Vec<Value> = serde_json::from_str(&out.stdout).expect("JSON");
    v.iter()
        .map(|e| {
            (
                e["file"].as_str().expect("file").to_owned(),
                e["line"].as_u64().expect("line"),
                e["col"].as_u64().expect("col"),
                e["code"].as_str().expect("code").to_owned(),
                match e["help"].as_str() {
                    Some(help) => {
                        format!("{}\nhelp: {help}", e["message"].as_str().expect("message"))
                    }
                    None => e["message"].as_str().expect("message").to_owned(),
                },
            )
        })
        .collect()
}

/// A workflow command's value, unescaped as the Actions runner does.
fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// `::error file=F,line=L,col=C,title=T::MESSAGE`, parsed as the runner does:
/// the command up to the first space or `::`, properties split on `,`, each
/// on its first `=`.
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let rest = line.strip_prefix("::").expect("a workflow command");
    let (head, message) = rest.split_once("::").expect("a message");
    let (command, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_owned(), unescape(v))
        })
        .collect();
    (command.to_owned(), props, unescape(message))
}

#[test]
fn github_commands_put_each_finding_on_its_file_line_and_column() {
    let (dir, line, col) = broken();
    let out = lbipam(dir.path(), &["check", "--format", "github"]);
    assert_eq!((out.code, out.stderr.as_str()), (1, ""));
    let mut codes = BTreeSet::new();
    let parsed: Vec<_> = out.stdout.lines().map(parse_command).collect();
    for (command, props, message) in &parsed {
        assert_eq!(command, "error");
        let keys: Vec<&str> = props.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["file", "line", "col", "title"]);
        assert_eq!(props[0].1, FILE);
        assert_eq!(props[1].1, line.to_string());
        assert_eq!(props[2].1, col.to_string());
        assert!(message.contains(IP), "{message}");
        codes.insert(props[3].1.clone());
    }
    assert_eq!(
        codes,
        BTreeSet::from(["ip-in-two-clusters".to_owned(), "stray-ip".to_owned()])
    );
    // The same findings as JSON, one command each.
    let json = json_findings(dir.path());
    assert_eq!(json.len(), parsed.len());
    for ((file, l, c, code, message), (_, props, text)) in json.iter().zip(&parsed) {
        assert_eq!(
            (file, l.to_string(), c.to_string(), code, message),
            (
                &props[0].1,
                props[1].1.clone(),
                props[2].1.clone(),
                &props[3].1,
                text
            )
        );
    }
}

#[test]
fn github_escapes_a_message_so_it_stays_one_command() {
    // A plan error whose message quotes a value with a newline and a percent sign.
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "plan.toml",
        "[network]\ncidr = \"10.0.0.0/24\"\n[clusters.a.pools.p]\nblocks = [\"\"\"50%\n::error::forged\"\"\"]\n",
    );
    let out = lbipam(dir.path(), &["check", "--format", "github"]);
    assert_eq!(out.code, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    let (command, props, message) = parse_command(lines[0]);
    assert_eq!(
        (command.as_str(), props[0].1.as_str(), props[3].1.as_str()),
        ("error", "plan.toml", "bad-value")
    );
    assert!(message.contains("50%"), "{message}");
}

#[test]
fn github_prints_warnings_at_their_file_and_a_clean_check_as_nothing() {
    let dir = scratch_repo();
    assert_eq!(
        lbipam(dir.path(), &["check", "--format", "github"]).stdout,
        ""
    );
    // A file that is not YAML and that nothing applies: skipped, with a warning there.
    write(dir.path(), "kubernetes/notes.yaml", "a: [1\n");
    let out = lbipam(dir.path(), &["check", "--format", "github"]);
    assert_eq!(out.code, 0);
    let (command, props, message) = parse_command(out.stdout.trim_end());
    let props: Vec<(&str, &str)> = props
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        (command.as_str(), props),
        (
            "warning",
            vec![
                ("file", "kubernetes/notes.yaml"),
                ("line", "1"),
                ("col", "1"),
                ("title", "skipped-file")
            ]
        )
    );
    assert!(message.starts_with("skipped: not valid YAML"), "{message}");
    assert!(
        message.contains("\nhelp: add it to [layout] exclude"),
        "{message}"
    );
}

#[test]
fn a_missing_plan_is_one_finding_in_every_machine_format() {
    let empty = tempfile::tempdir().expect("temp dir");
    let out = lbipam(empty.path(), &["check", "--format", "github"]);
    assert_eq!(out.code, 1);
    let (command, props, _) = parse_command(out.stdout.trim_end());
    assert_eq!(
        (command.as_str(), props[0].1.as_str(), props[3].1.as_str()),
        ("error", "plan.toml", "unreadable")
    );
    let sarif: Value =
        serde_json::from_str(&lbipam(empty.path(), &["check", "--format", "sarif"]).stdout)
            .expect("SARIF");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "unreadable");
}

/// The structure SARIF 2.1.0 requires of what we write (its JSON schema's
/// `required` members and constraints, sarif-schema-2.1.0.json): sarifLog
/// {version = "2.1.0", runs}; run {tool}; tool {driver}; toolComponent {name};
/// reportingDescriptor {id}; result {message}; message {text or id};
/// physicalLocation {artifactLocation or address}; region startLine,
/// startColumn >= 1; level one of none/note/warning/error; ruleIndex pointing
/// at the rule of ruleId; columnKind one of utf16CodeUnits/unicodeCodePoints.
fn assert_sarif(log: &Value) {
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs");
    assert!(!runs.is_empty());
    for run in runs {
        let driver = &run["tool"]["driver"];
        assert!(driver["name"].is_string(), "tool.driver.name");
        assert!(
            ["utf16CodeUnits", "unicodeCodePoints"]
                .contains(&run["columnKind"].as_str().expect("columnKind"))
        );
        let rules = driver["rules"].as_array().expect("rules");
        let ids: Vec<&str> = rules
            .iter()
            .map(|r| r["id"].as_str().expect("rule id"))
            .collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "one rule per code");
        for result in run["results"].as_array().expect("results") {
            let message = &result["message"];
            assert!(
                message["text"].is_string() || message["id"].is_string(),
                "result.message"
            );
            assert!(
                ["none", "note", "warning", "error"]
                    .contains(&result["level"].as_str().expect("level"))
            );
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(
                Some(&result["ruleId"]),
                rules.get(index).map(|r| &r["id"]),
                "ruleIndex"
            );
            for location in result["locations"].as_array().expect("locations") {
                let physical = &location["physicalLocation"];
                let uri = physical["artifactLocation"]["uri"].as_str().expect("uri");
                assert!(
                    !uri.contains(',') && !uri.contains(':') && !uri.contains(' '),
                    "a URI reference: {uri}"
                );
                let region = &physical["region"];
                assert!(region["startLine"].as_u64().expect("startLine") >= 1);
                assert!(region["startColumn"].as_u64().expect("startColumn") >= 1);
            }
        }
    }
}

#[test]
fn sarif_has_one_rule_per_code_and_one_result_per_finding_at_its_line() {
    let (dir, line, col) = broken();
    let out = lbipam(dir.path(), &["check", "--format", "sarif"]);
    assert_eq!(out.code, 1);
    let log: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_sarif(&log);
    let run = &log["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(rules, ["ip-in-two-clusters", "stray-ip"]);
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), json_findings(dir.path()).len());
    for r in results {
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (region["startLine"].as_u64(), region["startColumn"].as_u64()),
            (Some(line as u64), Some(col as u64))
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "kubernetes/clusters/apps/web%2Cv2%3Ablue.yaml"
        );
    }
    // A clean check is a valid log with no result.
    let clean = scratch_repo();
    let log: Value =
        serde_json::from_str(&lbipam(clean.path(), &["check", "--format", "sarif"]).stdout)
            .expect("JSON");
    assert_sarif(&log);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

/// A testcase of the JUnit XML: name, and its failure's body if it failed.
#[derive(Debug)]
struct Case {
    name: String,
    failure: Option<String>,
}

/// Every testcase of a JUnit document, read with an XML parser (which fails on
/// anything that is not well-formed), and the suite's `tests` and `failures`.
fn junit(xml: &str) -> (Vec<Case>, usize, usize) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases: Vec<Case> = Vec::new();
    let (mut tests, mut failures) = (0, 0);
    let mut in_failure = false;
    let attr = |e: &quick_xml::events::BytesStart, key: &str| -> Option<String> {
        e.attributes()
            .map(|a| a.expect("attribute"))
            .find(|a| a.key.as_ref() == key)
            .map(|a| {
                a.normalized_value(XmlVersion::Implicit1_0)
                    .expect("value")
                    .into_owned()
            })
    };
    fn body(cases: &mut [Case]) -> &mut String {
        cases
            .last_mut()
            .and_then(|c| c.failure.as_mut())
            .expect("inside a failure")
    }
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "testsuite" => {
                tests = attr(&e, "tests").expect("tests").parse().expect("a number");
                failures = attr(&e, "failures")
                    .expect("failures")
                    .parse()
                    .expect("a number");
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "testcase" => {
                cases.push(Case {
                    name: attr(&e, "name").expect("name"),
                    failure: None,
                })
            }
            Event::Start(e) if e.name().as_ref() == "failure" => {
                in_failure = true;
                cases.last_mut().expect("a testcase").failure = Some(String::new());
            }
            Event::End(e) if e.name().as_ref() == "failure" => in_failure = false,
            Event::Text(t) if in_failure => body(&mut cases).push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_failure => {
                let reference = format!("&{};", r.into_inner());
                let text = quick_xml::escape::unescape(&reference).expect("a known entity");
                body(&mut cases).push_str(&text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (cases, tests, failures)
}

#[test]
fn junit_has_one_testcase_per_check_failing_with_file_and_line() {
    let (dir, line, col) = broken();
    let out = lbipam(dir.path(), &["check", "--format", "junit"]);
    assert_eq!(out.code, 1);
    let (cases, tests, failures) = junit(&out.stdout);
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, lbipam_core::diag::codes::all());
    assert_eq!((tests, failures), (cases.len(), 2));
    for case in &cases {
        match case.name.as_str() {
            "stray-ip" | "ip-in-two-clusters" => {
                let body = case.failure.as_deref().expect("a failure");
                assert!(
                    body.starts_with(&format!("{FILE}:{line}:{col}: LoadBalancer IP {IP}")),
                    "{body}"
                );
            }
            _ => assert!(case.failure.is_none(), "{case:?}"),
        }
    }
    let clean = scratch_repo();
    let (cases, _, failures) = junit(&lbipam(clean.path(), &["check", "--format", "junit"]).stdout);
    assert_eq!(failures, 0);
    assert!(cases.iter().all(|c| c.failure.is_none()));
}

#[test]
fn junit_escapes_markup_in_messages() {
    let dir = scratch_repo();
    write(
        dir.path(),
        "kubernetes/clusters/apps/a<b>&\"c\".yaml",
        &service_with("web", IP, ""),
    );
    let out = lbipam(dir.path(), &["check", "--format", "junit"]);
    let (cases, _, _) = junit(&out.stdout);
    let stray = cases
        .iter()
        .find(|c| c.name == "stray-ip")
        .expect("stray-ip");
    let body = stray.failure.as_deref().expect("a failure");
    assert!(
        body.starts_with("kubernetes/clusters/apps/a<b>&\"c\".yaml:"),
        "{body}"
    );
}

#[test]
fn each_finding_carries_its_help_and_the_other_places_it_involves() {
    let (dir, _, _) = broken();
    let out = lbipam(dir.path(), &["check", "--format", "json"]);
    let v: Vec<Value> = serde_json::from_str(&out.stdout).expect("JSON");
    let by = |code: &str| v.iter().find(|e| e["code"] == code).expect("finding");
    let stray = by("stray-ip");
    let help = stray["help"].as_str().expect("stray-ip has help");
    assert!(help.contains("lbipam next-free"), "{help}");
    assert_eq!(stray["related"].as_array().map(Vec::len), Some(0));
    // The same address asked for in the other cluster: that request is the
    // related place, with the line and column of its address.
    let twice = by("ip-in-two-clusters");
    assert!(twice["help"].is_null());
    let related = twice["related"].as_array().expect("related");
    assert_eq!(related.len(), 1, "{twice}");
    let file = related[0]["file"].as_str().expect("file");
    let text = std::fs::read_to_string(dir.path().join(file)).expect("related file");
    let line = related[0]["line"].as_u64().expect("line") as usize;
    let col = related[0]["col"].as_u64().expect("col") as usize;
    let at_col = text.lines().nth(line - 1).map(|l| &l[col - 1..]);
    assert!(
        at_col.is_some_and(|s| s.starts_with(IP)),
        "{file}:{line}:{col}"
    );
    // The text report shows both under the excerpt, as cargo does.
    let text = lbipam(dir.path(), &["check"]).stderr;
    assert!(text.contains(&format!("= help: {help}")), "{text}");
    let label = related[0]["label"].as_str().expect("label");
    assert!(
        text.contains(&format!("= note: {label}: {file}:{line}:{col}")),
        "{text}"
    );
}

#[test]
fn a_warning_is_a_finding_of_level_warning_that_fails_no_format() {
    let dir = scratch_repo();
    write(dir.path(), "kubernetes/notes.yaml", "a: [1\n");
    let json = lbipam(dir.path(), &["check", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stdout);
    let found: Vec<Value> = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(
        (&f["level"], &f["file"], &f["line"], &f["code"]),
        (
            &Value::from("warning"),
            &Value::from("kubernetes/notes.yaml"),
            &Value::from(1),
            &Value::from("skipped-file")
        )
    );
    let sarif: Value =
        serde_json::from_str(&lbipam(dir.path(), &["check", "--format", "sarif"]).stdout)
            .expect("SARIF");
    assert_sarif(&sarif);
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "warning");
    let out = lbipam(dir.path(), &["check", "--format", "junit"]);
    assert_eq!(out.code, 0);
    let (cases, _, failures) = junit(&out.stdout);
    assert_eq!(failures, 0);
    assert!(cases.iter().all(|c| c.failure.is_none()));
    assert!(
        out.stdout
            .contains("<system-out>kubernetes/notes.yaml:1:1: skipped: "),
        "{}",
        out.stdout
    );
}
