//! `lbipam live`: a two-cluster fleet's state, as `kubectl get
//! services,ciliumloadbalancerippools -A -o json` prints it (fixtures in
//! `tests/live/`, written after Kubernetes' and Cilium's shapes), held against a
//! plan in a temporary directory. The healthy fleet passes; each finding has a
//! fixture that fails with its code, naming the cluster, the object and the
//! address, at the line of the fixture that shows it.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::lbipam;
use lbipam_cli::Output;
use serde_json::Value;

/// The seed's two clusters, with the ClusterMesh API server's Service named
/// (so its pin is checked as a Service's address) and the Gateway reached
/// through CILIUM_GATEWAY_LB_IP.
const PLAN: &str = r#"[network]
cidr = "10.25.11.0/24"

[reserved]
bgp-router   = { range = "10.25.11.1" }
static-infra = { range = "10.25.11.2-10.25.11.99" }

[clusters.infra.pools.infra-pool]
blocks = ["10.25.11.100-10.25.11.119"]

[clusters.infra.pins]
clustermesh-apiserver = "10.25.11.100"
gateway               = "10.25.11.110"

[clusters.apps.pools.apps-pool]
blocks = ["10.25.11.120-10.25.11.139"]

[clusters.apps.pins]
clustermesh-apiserver = "10.25.11.120"
gateway               = "10.25.11.121"

[services.clustermesh-apiserver]
setting = "CLUSTERMESH_IP"
helm-service = "clustermesh.apiserver.service"
service = "kube-system/clustermesh-apiserver"

[services.gateway]
setting = "CILIUM_GATEWAY_LB_IP"

[flux]
depends-on = ["cilium-core"]
"#;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live")
}

/// A temporary directory with the plan and every fixture.
fn fleet() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("plan.toml"), PLAN).expect("plan");
    for entry in fs::read_dir(fixtures()).expect("fixtures") {
        let path = entry.expect("entry").path();
        fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    dir
}

fn live(dir: &Path, args: &[&str]) -> Output {
    let args: Vec<&str> = std::iter::once("live")
        .chain(args.iter().copied())
        .collect();
    lbipam(dir, &args)
}

/// The findings of a `--format json` run.
fn findings(dir: &Path, args: &[&str]) -> Vec<Value> {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let out = live(dir, &args);
    let json: Value = serde_json::from_str(&out.stdout).expect(&out.stdout);
    let findings = json["findings"].as_array().expect("findings").clone();
    assert_eq!(out.code, i32::from(!findings.is_empty()), "{}", out.stdout);
    findings
}

/// The one finding with `code`; asserts what it names and that its file has,
/// at its line and column, the text `shown`.
#[track_caller]
fn assert_finding<'a>(
    dir: &Path,
    all: &'a [Value],
    code: &str,
    (cluster, object, address): (&str, Option<&str>, Option<&str>),
    (file, shown): (&str, &str),
) -> &'a Value {
    let mine: Vec<&Value> = all.iter().filter(|f| f["code"] == code).collect();
    assert_eq!(mine.len(), 1, "{code} in {all:#?}");
    let f = mine[0];
    assert_eq!(f["cluster"], cluster, "{f:#}");
    assert_eq!(f["object"].as_str(), object, "{f:#}");
    assert_eq!(f["address"].as_str(), address, "{f:#}");
    assert_eq!(f["file"], file, "{f:#}");
    let text = fs::read_to_string(dir.join(file)).expect("file");
    let line = text
        .lines()
        .nth(f["line"].as_u64().expect("line") as usize - 1)
        .expect("line in file");
    let col = f["col"].as_u64().expect("col") as usize - 1;
    let at: String = line.chars().skip(col).collect();
    assert!(
        at.starts_with(shown),
        "{file}:{}: `{line}`, not `{shown}`",
        f["line"]
    );
    if let Some(object) = object {
        assert!(
            f["message"].as_str().expect("message").contains(object),
            "{f:#}"
        );
    }
    f
}

fn message(f: &Value) -> &str {
    f["message"].as_str().expect("message")
}

const HEALTHY: [&str; 4] = ["--from", "infra=infra.json", "--from", "apps=apps.json"];

/// `HEALTHY` with apps' state from these files instead.
fn with_apps(files: &[&str]) -> Vec<String> {
    let mut args = vec!["--from".to_owned(), "infra=infra.json".to_owned()];
    for f in files {
        args.extend(["--from".to_owned(), format!("apps={f}")]);
    }
    args
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The one finding of the apps cluster given `base` and the fixture `file`:
/// `code`, about `subject` (a pool or a Service's `NS/NAME`, and its address),
/// at the line of `file` holding `needle`; its message.
fn the_finding(
    (base, file): (&str, &str),
    code: &str,
    subject: (&str, Option<&str>),
    needle: &str,
) -> String {
    let dir = fleet();
    let all = findings(dir.path(), &strs(&with_apps(&[base, file])));
    assert_eq!(all.len(), 1, "{all:#?}");
    let about = ("apps", Some(subject.0), subject.1);
    let f = assert_finding(dir.path(), &all, code, about, (file, needle));
    message(f).to_owned()
}

/// [`the_finding`] of a pool fixture, beside the apps cluster's healthy Services.
fn the_pool_finding(file: &str, code: &str, pool: &str, needle: &str) -> String {
    the_finding(("apps-services.json", file), code, (pool, None), needle)
}

// ---------------------------------------------------------------------------
// a healthy fleet

/// Each cluster runs three LoadBalancer Services in its pool of 20 (the
/// ClusterMesh API server and the Gateway on their pins, one more), and its
/// pool's IPsUsed condition says 3.
const HEALTHY_TABLE: &str = "\
CLUSTER / POOL  USED  SIZE  FREE  COUNTED FROM
infra              3    20    17
  infra-pool       3    20    17  cilium.io/IPsUsed
apps               3    20    17
  apps-pool        3    20    17  cilium.io/IPsUsed
";

#[test]
fn a_healthy_two_cluster_fleet_passes_with_each_pools_usage() {
    let dir = fleet();
    let out = live(dir.path(), &HEALTHY);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (0, "ok: what the 2 clusters hold matches plan.toml\n")
    );
    assert_eq!(out.stdout, HEALTHY_TABLE);
    assert!(findings(dir.path(), &HEALTHY).is_empty());
}

#[test]
fn the_two_kinds_in_separate_files_read_as_one_list() {
    let dir = fleet();
    let args = with_apps(&["apps-services.json", "apps-pools.json"]);
    let out = live(dir.path(), &strs(&args));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, HEALTHY_TABLE);
}

#[test]
fn yaml_output_reads_as_the_json_does() {
    let dir = fleet();
    let out = live(dir.path(), &strs(&with_apps(&["apps.yaml"])));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, HEALTHY_TABLE);
}

#[test]
fn without_ips_used_conditions_the_pool_is_counted_from_its_services() {
    let dir = fleet();
    // apps-pool without status; apps' Services hold .120, .121, .122 in it and
    // web/static .200 outside it, which the pool does not count.
    let args = with_apps(&[
        "apps-services.json",
        "apps-pools-no-status.json",
        "outside-pools.json",
    ]);
    let out = live(dir.path(), &strs(&args));
    assert!(
        out.stdout
            .contains("  apps-pool        3    20    17  Services\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn addresses_held_outside_the_clusters_pools_are_listed_under_the_usage() {
    let dir = fleet();
    let out = live(
        dir.path(),
        &strs(&with_apps(&["apps.json", "outside-pools.json"])),
    );
    let tail = "\nAddresses in use that the plan does not give the cluster:\n\n\
        CLUSTER  ADDRESS       HELD BY     IN THE PLAN\n\
        apps     10.25.11.200  web/static  free\n";
    assert!(out.stdout.ends_with(tail), "{}", out.stdout);
}

// ---------------------------------------------------------------------------
// one fixture per finding

#[test]
fn a_service_outside_its_clusters_pools() {
    let file = "outside-pools.json";
    let at = ("web/static", Some("10.25.11.200"));
    let m = the_finding(("apps.json", file), "outside-pools", at, "10.25.11.200\"");
    assert!(m.contains("no pool or reserved range"), "{m}");
}

#[test]
fn a_service_holding_an_address_of_another_clusters_pool() {
    let file = "other-cluster-pool.json";
    let at = ("web/legacy", Some("10.25.11.105"));
    let m = the_finding(
        ("apps.json", file),
        "other-cluster-pool",
        at,
        "10.25.11.105\"",
    );
    assert!(m.contains("cluster infra (pool infra-pool)"), "{m}");
}

#[test]
fn the_same_address_held_by_services_of_two_clusters() {
    let dir = fleet();
    // infra's monitoring/grafana holds .101; so does apps' web/metrics.
    let all = findings(
        dir.path(),
        &strs(&with_apps(&["apps.json", "held-in-two-clusters.json"])),
    );
    let f = assert_finding(
        dir.path(),
        &all,
        "held-in-two-clusters",
        ("apps", Some("web/metrics"), Some("10.25.11.101")),
        ("held-in-two-clusters.json", "10.25.11.101\""),
    );
    let infra = fs::read_to_string(dir.path().join("infra.json")).expect("infra");
    let line = infra
        .lines()
        .position(|l| l.contains("\"ip\": \"10.25.11.101\""))
        .expect("grafana's address")
        + 1;
    let there =
        format!("; Service monitoring/grafana of cluster infra holds it at infra.json:{line}:");
    assert!(message(f).contains(&there), "{f:#}");
    // The address is also another cluster's, for apps.
    assert!(all.iter().any(|f| f["code"] == "other-cluster-pool"));
}

#[test]
fn a_pinned_service_without_its_pinned_address() {
    let dir = fleet();
    let all = findings(
        dir.path(),
        &strs(&with_apps(&["pin-not-held.json", "apps-pools.json"])),
    );
    assert_eq!(all.len(), 1, "{all:#?}");
    let f = assert_finding(
        dir.path(),
        &all,
        "pin-not-held",
        (
            "apps",
            Some("kube-system/clustermesh-apiserver"),
            Some("10.25.11.120"),
        ),
        ("pin-not-held.json", "10.25.11.125\""),
    );
    assert!(message(f).ends_with("but holds 10.25.11.125"), "{f:#}");
}

#[test]
fn a_pinned_address_held_by_another_service() {
    let dir = fleet();
    // web/frontend took .120 first; the pinned Service stays pending.
    let all = findings(
        dir.path(),
        &strs(&with_apps(&["pin-taken.json", "apps-pools.json"])),
    );
    assert_finding(
        dir.path(),
        &all,
        "pin-taken",
        ("apps", Some("web/frontend"), Some("10.25.11.120")),
        ("pin-taken.json", "10.25.11.120\""),
    );
    let pending = assert_finding(
        dir.path(),
        &all,
        "pending",
        ("apps", Some("kube-system/clustermesh-apiserver"), None),
        ("pin-taken.json", "already_allocated\""),
    );
    assert!(message(pending).contains("(it asks for 10.25.11.120)"));
    assert_finding(
        dir.path(),
        &all,
        "pin-not-held",
        (
            "apps",
            Some("kube-system/clustermesh-apiserver"),
            Some("10.25.11.120"),
        ),
        ("pin-taken.json", "\"clustermesh-apiserver\""),
    );
}

#[test]
fn pending_services_with_cilium_s_reason() {
    let dir = fleet();
    let all = findings(
        dir.path(),
        &strs(&with_apps(&["apps.json", "pending.json"])),
    );
    let reasons: Vec<(&str, &str)> = all
        .iter()
        .map(|f| {
            (
                f["object"].as_str().expect("object"),
                f["code"].as_str().expect("code"),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("web/api", "pending"),
            ("web/admin", "pending"),
            ("web/intranet", "pending")
        ]
    );
    let text = fs::read_to_string(dir.path().join("pending.json")).expect("pending");
    for (f, reason) in all
        .iter()
        .zip(["out_of_ips", "no_pool", "pool_selector_mismatch"])
    {
        assert!(
            message(f).contains(&format!("Cilium says {reason}: ")),
            "{f:#}"
        );
        let line = text
            .lines()
            .nth(f["line"].as_u64().expect("line") as usize - 1);
        assert!(
            line.expect("line")
                .contains(&format!("\"reason\": \"{reason}\""))
        );
    }
    assert!(message(&all[1]).contains("(it asks for 10.25.11.150)"));
}

#[test]
fn a_pool_the_plan_has_missing_from_the_cluster() {
    let dir = fleet();
    let all = findings(
        dir.path(),
        &strs(&with_apps(&["apps-services.json", "pool-missing.json"])),
    );
    assert_eq!(all.len(), 1, "{all:#?}");
    // Nothing in the cluster shows it: the finding points at the plan's pool.
    assert_finding(
        dir.path(),
        &all,
        "pool-missing",
        ("apps", Some("apps-pool"), None),
        ("plan.toml", "apps-pool]"),
    );
}

#[test]
fn a_pool_the_plan_does_not_have() {
    let m = the_pool_finding(
        "pool-extra.json",
        "pool-extra",
        "apps-pool-old",
        "\"apps-pool-old\"",
    );
    assert!(m.contains("(10.25.11.144/28)"), "{m}");
}

#[test]
fn a_pool_with_other_blocks() {
    let m = the_pool_finding("pool-blocks.json", "pool-blocks", "apps-pool", "blocks");
    let says = "hands out 10.25.11.120-10.25.11.129; plan.toml gives it 10.25.11.120-10.25.11.139";
    assert!(m.contains(says), "{m}");
}

#[test]
fn a_pool_selecting_other_services() {
    let m = the_pool_finding(
        "pool-selector.json",
        "pool-selector",
        "apps-pool",
        "serviceSelector",
    );
    assert!(m.contains("selects Services labelled team=web"), "{m}");
}

#[test]
fn a_disabled_pool() {
    the_pool_finding(
        "pool-disabled.json",
        "pool-disabled",
        "apps-pool",
        "disabled\": true",
    );
}

#[test]
fn a_pool_cilium_marks_conflicting() {
    let dir = fleet();
    let all = findings(
        dir.path(),
        &strs(&with_apps(&["apps-services.json", "pool-conflict.json"])),
    );
    let f = assert_finding(
        dir.path(),
        &all,
        "pool-conflict",
        ("apps", Some("apps-pool"), None),
        ("pool-conflict.json", "cilium.io/PoolConflict"),
    );
    assert!(message(f).contains("cidr_overlap"), "{f:#}");
    assert!(message(f).contains("from IP Pool 'lab'"), "{f:#}");
    // The pool it overlaps is not the plan's.
    assert_finding(
        dir.path(),
        &all,
        "pool-extra",
        ("apps", Some("lab"), None),
        ("pool-conflict.json", "\"lab\""),
    );
}

#[test]
fn a_gateway_off_the_address_cluster_settings_renders() {
    let dir = fleet();
    let all = findings(
        dir.path(),
        &strs(&with_apps(&["gateway-address.json", "apps-pools.json"])),
    );
    assert_eq!(all.len(), 1, "{all:#?}");
    let f = assert_finding(
        dir.path(),
        &all,
        "gateway-address",
        (
            "apps",
            Some("gateway/cilium-gateway-cluster-gateway"),
            Some("10.25.11.121"),
        ),
        ("gateway-address.json", "10.25.11.130\""),
    );
    assert!(
        message(f).contains("CILIUM_GATEWAY_LB_IP = 10.25.11.121"),
        "{f:#}"
    );
}

#[test]
fn a_cluster_given_no_input_is_not_checked_and_fails() {
    let dir = fleet();
    let out = live(dir.path(), &["--from", "infra=infra.json"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .ends_with("apps               -     -     -  not checked\n"),
        "{}",
        out.stdout
    );
    let all = findings(dir.path(), &["--from", "infra=infra.json"]);
    assert_eq!(all.len(), 1);
    assert_finding(
        dir.path(),
        &all,
        "not-checked",
        ("apps", None, None),
        ("plan.toml", "apps"),
    );
}

// ---------------------------------------------------------------------------
// formats

/// The line (1-based) and column of the first `needle` in a fixture.
fn place(dir: &Path, file: &str, needle: &str) -> (usize, usize) {
    let text = fs::read_to_string(dir.join(file)).expect("file");
    text.lines()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|c| (i + 1, l[..c].chars().count() + 1)))
        .expect("needle")
}

#[test]
fn text_findings_are_the_builds_diagnostics_with_the_line_of_the_input() {
    let dir = fleet();
    let out = live(
        dir.path(),
        &strs(&with_apps(&["apps.json", "outside-pools.json"])),
    );
    let (line, col) = place(dir.path(), "outside-pools.json", "10.25.11.200\"");
    let head = format!(
        "error: Service web/static of cluster apps holds 10.25.11.200, which is not in the cluster's pools (apps-pool 10.25.11.120-10.25.11.139): no pool or reserved range of plan.toml holds it [outside-pools]\n  --> outside-pools.json:{line}:{col}\n"
    );
    assert!(out.stderr.starts_with(&head), "{}", out.stderr);
    assert!(
        out.stderr.ends_with(
            "error: 1 finding in what the clusters hold (2 of 2 checked), by code:\n  1 outside-pools\n"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn github_format_annotates_the_input_file_and_line() {
    let dir = fleet();
    let mut args = with_apps(&["apps.json", "outside-pools.json"]);
    args.extend(["--format".to_owned(), "github".to_owned()]);
    let out = live(dir.path(), &strs(&args));
    assert_eq!(out.code, 1);
    let (line, col) = place(dir.path(), "outside-pools.json", "10.25.11.200\"");
    let want = format!(
        "::error file=outside-pools.json,line={line},col={col},title=lbipam live outside-pools::Service web/static of cluster apps holds 10.25.11.200"
    );
    assert!(out.stdout.starts_with(&want), "{}", out.stdout);
}

// ---------------------------------------------------------------------------
// unusable input: exit 2, the file named, nothing reported

#[track_caller]
fn assert_unusable(out: &Output, says: &[&str]) {
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout, "", "nothing half-reported");
    for s in says {
        assert!(out.stderr.contains(s), "`{s}` not in {}", out.stderr);
    }
}

#[test]
fn a_file_that_is_not_a_kubectl_list_is_unusable() {
    let dir = fleet();
    // One Service, as `kubectl get service NAME -o json` prints it.
    let list: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("apps.json")).expect("apps"))
            .expect("json");
    fs::write(dir.path().join("one.json"), list["items"][1].to_string()).expect("write");
    let out = live(
        dir.path(),
        &["--from", "infra=infra.json", "--from", "apps=one.json"],
    );
    assert_unusable(&out, &["error: one.json: a `Service`, not a kubectl List"]);
}

#[test]
fn a_broken_file_is_unusable_at_its_line() {
    let dir = fleet();
    let text = fs::read_to_string(dir.path().join("apps.json")).expect("apps");
    // Cut inside the fifth line.
    let cut: usize = text.lines().take(4).map(|l| l.len() + 1).sum::<usize>() + 6;
    fs::write(dir.path().join("cut.json"), &text[..cut]).expect("write");
    let out = live(
        dir.path(),
        &["--from", "infra=infra.json", "--from", "apps=cut.json"],
    );
    assert_unusable(
        &out,
        &["error: cut.json: line 5:", "not a kubectl List in JSON"],
    );
}

#[test]
fn an_item_of_the_wrong_shape_is_unusable_naming_it() {
    let dir = fleet();
    let text = fs::read_to_string(dir.path().join("pool-disabled.json")).expect("pool");
    fs::write(
        dir.path().join("odd.json"),
        text.replace("\"disabled\": true", "\"disabled\": \"yes\""),
    )
    .expect("write");
    let out = live(
        dir.path(),
        &strs(&with_apps(&["apps-services.json", "odd.json"])),
    );
    assert_unusable(
        &out,
        &["error: odd.json: line 4: items[0]: spec: invalid type"],
    );
}

#[test]
fn an_unknown_cluster_or_a_missing_file_is_unusable() {
    let dir = fleet();
    let out = live(
        dir.path(),
        &["--from", "infra=infra.json", "--from", "aps=apps.json"],
    );
    assert_unusable(
        &out,
        &["--from aps=apps.json: no cluster `aps` in plan.toml (clusters: infra, apps)"],
    );
    let out = live(
        dir.path(),
        &["--from", "infra=infra.json", "--from", "apps=nope.json"],
    );
    assert_unusable(&out, &["error: nope.json: cannot read"]);
    let out = live(dir.path(), &["--from", "apps"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("`apps` is not CLUSTER=VALUE"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------
// stdin and kubectl, through the binary

fn binary(dir: &Path, path_env: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lbipam"));
    cmd.current_dir(dir)
        .env("PATH", path_env)
        .arg("live")
        .args(args);
    cmd
}

#[test]
fn stdin_is_read_for_a_dash() {
    let dir = fleet();
    let apps = fs::read(dir.path().join("apps.json")).expect("apps");
    let mut child = binary(
        dir.path(),
        Path::new("/usr/bin:/bin"),
        &["--from", "infra=infra.json", "--from", "apps=-"],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("lbipam");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&apps)
        .expect("write");
    let out = child.wait_with_output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), HEALTHY_TABLE);
}

/// A directory holding an executable `kubectl` with this shell body.
fn stand_in(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("kubectl");
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn run(mut cmd: Command) -> (Option<i32>, String, String) {
    let out = cmd.output().expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// PATH: the stand-in first, then the system (for `cat` and `sleep`).
fn path_with(stub: &Path) -> PathBuf {
    PathBuf::from(format!("{}:/usr/bin:/bin", stub.display()))
}

#[test]
fn context_runs_kubectl_get_with_that_context_and_reads_its_answer() {
    let dir = fleet();
    let fixtures = dir.path().display().to_string();
    // Prints the fixture of the context it is asked for; logs its arguments.
    let stub = stand_in(&format!(
        "echo \"$@\" >> {fixtures}/kubectl.log\ncase \"$2\" in\n  infra-admin) exec cat {fixtures}/infra.json ;;\n  apps-admin) exec cat {fixtures}/apps.json ;;\nesac\necho \"error: context \\\"$2\\\" does not exist\" >&2\nexit 1"
    ));
    let cmd = binary(
        dir.path(),
        &path_with(stub.path()),
        &[
            "--context",
            "infra=infra-admin",
            "--context",
            "apps=apps-admin",
        ],
    );
    let (code, stdout, stderr) = run(cmd);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, HEALTHY_TABLE);
    let log = fs::read_to_string(dir.path().join("kubectl.log")).expect("log");
    let mut calls: Vec<&str> = log.lines().collect();
    calls.sort();
    assert_eq!(
        calls,
        [
            "--context apps-admin get services,ciliumloadbalancerippools -A -o json --request-timeout=30s",
            "--context infra-admin get services,ciliumloadbalancerippools -A -o json --request-timeout=30s",
        ]
    );
}

#[test]
fn a_failing_kubectl_is_unusable_input_with_what_it_said() {
    let dir = fleet();
    let stub = stand_in("echo 'error: context \"apps-admin\" does not exist' >&2\nexit 1");
    let cmd = binary(
        dir.path(),
        &path_with(stub.path()),
        &["--from", "infra=infra.json", "--context", "apps=apps-admin"],
    );
    let (code, stdout, stderr) = run(cmd);
    assert_eq!((code, stdout.as_str()), (Some(2), ""), "{stderr}");
    assert!(
        stderr.contains("kubectl --context apps-admin get services,ciliumloadbalancerippools -A -o json failed (exit status: 1): error: context \"apps-admin\" does not exist"),
        "{stderr}"
    );
}

#[test]
fn a_kubectl_that_hangs_past_the_timeout_is_unusable_input() {
    let dir = fleet();
    let stub = stand_in("exec sleep 60");
    let cmd = binary(
        dir.path(),
        &path_with(stub.path()),
        &[
            "--context",
            "infra=infra-admin",
            "--from",
            "apps=apps.json",
            "--timeout",
            "1",
        ],
    );
    let (code, stdout, stderr) = run(cmd);
    assert_eq!((code, stdout.as_str()), (Some(2), ""), "{stderr}");
    assert!(
        stderr.contains("kubectl --context infra-admin get services,ciliumloadbalancerippools -A -o json: no answer within 1 s (--timeout)"),
        "{stderr}"
    );
}

#[test]
fn a_missing_kubectl_is_named() {
    let dir = fleet();
    let empty = tempfile::tempdir().expect("temp dir");
    let cmd = binary(
        dir.path(),
        empty.path(),
        &["--context", "infra=infra-admin", "--from", "apps=apps.json"],
    );
    let (code, stdout, stderr) = run(cmd);
    assert_eq!((code, stdout.as_str()), (Some(2), ""), "{stderr}");
    assert!(stderr.contains("kubectl is not on PATH"), "{stderr}");
}

#[test]
fn with_reserve_pins_each_pin_has_its_pool_selecting_its_service() {
    let dir = fleet();
    let plan = PLAN
        .replace(
            "[flux]",
            "[cilium]\nreserve-pins = true\n\n[flux]",
        )
        .replace(
            "setting = \"CILIUM_GATEWAY_LB_IP\"\n",
            "setting = \"CILIUM_GATEWAY_LB_IP\"\nservice = \"gateway/cilium-gateway-cluster-gateway\"\n",
        );
    fs::write(dir.path().join("plan.toml"), plan).expect("plan");
    // apps-pool without .120 and .121; the ClusterMesh pool selects its Service,
    // the Gateway's selects a Gateway `main` instead of `cluster-gateway`.
    let all = findings(dir.path(), &["--from", "apps=apps-reserve-pins.json"]);
    let codes: Vec<&str> = all
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["not-checked", "pool-selector"], "{all:#?}");
    let f = assert_finding(
        dir.path(),
        &all,
        "pool-selector",
        ("apps", Some("apps-pool.gateway"), None),
        ("apps-reserve-pins.json", "serviceSelector"),
    );
    assert!(
        message(f).ends_with(
            "selects only Service gateway/cilium-gateway-main; plan.toml's selects only Service gateway/cilium-gateway-cluster-gateway"
        ),
        "{f:#}"
    );
}

// ---------------------------------------------------------------------------
// selectors with expressions

/// The apps pool serving kube-system's Services that have no `team` label, as
/// plan.toml says it.
const EXPRESSIONS_PLAN: &str = r#"blocks = ["10.25.11.120-10.25.11.139"]
service-selector = { match-labels = { "io.kubernetes.service.namespace" = "kube-system" }, match-expressions = [{ key = "team", operator = "DoesNotExist" }, { key = "tier", operator = "NotIn", values = ["edge", "dmz"] }] }
"#;

/// The same selector as the API server prints it: Kubernetes' field order
/// (`matchLabels` before `matchExpressions`), `values` left out where empty.
const EXPRESSIONS_LIVE: &str = r#""serviceSelector": {
                    "matchLabels": {
                        "io.kubernetes.service.namespace": "kube-system"
                    },
                    "matchExpressions": [
                        {
                            "key": "team",
                            "operator": "DoesNotExist"
                        },
                        {
                            "key": "tier",
                            "operator": "NotIn",
                            "values": [
                                "edge",
                                "dmz"
                            ]
                        }
                    ]
                }"#;

/// A fleet whose plan gives the apps pool [`EXPRESSIONS_PLAN`]'s selector and
/// whose `pool-expressions.json` shows the live pool with `live_selector`.
fn fleet_with_expressions(live_selector: &str) -> tempfile::TempDir {
    let dir = fleet();
    let plan = PLAN.replace(
        "[clusters.apps.pools.apps-pool]\nblocks = [\"10.25.11.120-10.25.11.139\"]\n",
        &format!("[clusters.apps.pools.apps-pool]\n{EXPRESSIONS_PLAN}"),
    );
    assert_ne!(plan, PLAN, "the plan has the apps pool to edit");
    fs::write(dir.path().join("plan.toml"), plan).expect("plan");
    let pools = fs::read_to_string(fixtures().join("pool-selector.json")).expect("fixture");
    let team_web = "\"serviceSelector\": {\n                    \"matchLabels\": {\n                        \"team\": \"web\"\n                    }\n                }";
    assert!(pools.contains(team_web), "the fixture's selector");
    let pools = pools.replace(team_web, live_selector);
    fs::write(dir.path().join("pool-expressions.json"), pools).expect("pools");
    dir
}

#[test]
fn a_live_selector_with_expressions_equal_to_the_plans_is_no_finding() {
    let dir = fleet_with_expressions(EXPRESSIONS_LIVE);
    let args = with_apps(&["apps-services.json", "pool-expressions.json"]);
    let all = findings(dir.path(), &strs(&args));
    assert!(all.iter().all(|f| f["code"] != "pool-selector"), "{all:#?}");
}

#[test]
fn a_live_selector_whose_expression_values_differ_is_a_pool_selector_finding() {
    let dir = fleet_with_expressions(&EXPRESSIONS_LIVE.replace("\"dmz\"", "\"lab\""));
    let args = with_apps(&["apps-services.json", "pool-expressions.json"]);
    let all = findings(dir.path(), &strs(&args));
    let f = assert_finding(
        dir.path(),
        &all,
        "pool-selector",
        ("apps", Some("apps-pool"), None),
        ("pool-expressions.json", "serviceSelector"),
    );
    assert!(message(f).contains("\"lab\""), "{f:#}");
    assert!(message(f).contains("\"dmz\""), "{f:#}");
}
