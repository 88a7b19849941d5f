//! `lbipam check`: the build's check mode from the command line.

mod common;

use std::fs;
use std::path::Path;

use common::{assert_ok, lbipam, plan_of, plan_only, scratch_repo};
use lbipam_core::Mode;

#[test]
fn the_built_seed_repository_passes_and_json_says_no_errors() {
    let seed = scratch_repo();
    let shown = plan_of(seed.path()).display().to_string();
    assert_ok(
        &lbipam(seed.path(), &["check"]),
        &format!("ok: {shown} and the files it manages agree\n"),
    );
    assert_ok(&lbipam(seed.path(), &["check", "--format", "json"]), "[]\n");
}

#[test]
fn plan_is_found_in_a_parent_directory_and_must_be_named_plan_toml() {
    let seed = scratch_repo();
    let out = lbipam(&seed.path().join("docs"), &["check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Another name is a usage error (exit 2), as clap's own are.
    let out = lbipam(
        seed.path(),
        &["check", "--plan", "tests/bad_plans/empty-pool.toml"],
    );
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: --plan tests/bad_plans/empty-pool.toml: the file must be named plan.toml (its directory is the repository root)\n"
    );
}

#[test]
fn a_missing_plan_is_named_and_json_consumers_get_json() {
    let seed = scratch_repo();
    let out = lbipam(seed.path(), &["report", "--plan", "no/such/plan.toml"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "error: --plan no/such/plan.toml: no such file\n")
    );
    let empty = tempfile::tempdir().expect("temp dir");
    let out = lbipam(empty.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 1);
    let errors: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["file"], "plan.toml");
    let message = errors[0]["message"].as_str().expect("message");
    assert!(message.starts_with("no plan.toml in "), "{message}");
}

/// The catalogue of bad plans, kept with the core's tests.
fn catalogue_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/bad_plans")
}

/// The catalogue's cases, by name.
fn catalogue() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(catalogue_dir())
        .expect("catalogue")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The `file:line:col: message` lines of a `check --format json` output.
fn json_lines(stdout: &str) -> Vec<String> {
    let errors: Vec<serde_json::Value> = serde_json::from_str(stdout).expect("valid JSON");
    errors
        .iter()
        .map(|e| {
            let code = e["code"].as_str().expect("code");
            assert!(!code.is_empty());
            format!(
                "{}:{}:{}: {}",
                e["file"].as_str().expect("file"),
                e["line"].as_u64().expect("line"),
                e["col"].as_u64().expect("col"),
                e["message"].as_str().expect("message")
            )
        })
        .collect()
}

#[test]
fn every_bad_plan_of_the_catalogue_gives_the_builds_diagnostics_and_writes_nothing() {
    let names = catalogue();
    assert!(names.len() >= 30, "{names:?}");
    let mut failures = Vec::new();
    for name in names {
        let dir = catalogue_dir();
        let plan = fs::read(dir.join(format!("{name}.toml"))).expect("plan");
        let want = fs::read_to_string(dir.join(format!("{name}.stderr"))).expect("stderr");
        let scratch = scratch_repo();
        fs::write(plan_of(scratch.path()), &plan).expect("write");
        let before = fs::read(plan_of(scratch.path())).expect("read");

        // JSON: the catalogue's expected lines, written by hand from the messages.
        let json = lbipam(scratch.path(), &["check", "--format", "json"]);
        let got = json_lines(&json.stdout);
        if json.code != 1 || got != want.lines().collect::<Vec<_>>() {
            failures.push(format!(
                "{name} (json, exit {}):\n{}",
                json.code,
                got.join("\n")
            ));
        }
        // Text: exactly what the build prints in check mode.
        let out_dir = tempfile::tempdir().expect("out");
        let build = lbipam_core::build_with(scratch.path(), out_dir.path(), Mode::Check)
            .expect_err("the build fails");
        let text = lbipam(scratch.path(), &["check"]);
        if text.code != 1 || text.stderr != build.render() || !text.stdout.is_empty() {
            failures.push(format!("{name} (text):\n{}", text.stderr));
        }
        assert_eq!(fs::read(plan_of(scratch.path())).expect("read"), before);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_plan_alone_fails_naming_each_file_the_build_would_write() {
    // No `dependsOn`: with the default `cilium-core`, the audit would first
    // report that no file of cluster a defines it.
    let dir = plan_only(
        "[network]\ncidr = \"10.0.0.0/24\"\n[clusters.a.pools.p]\nblocks = [\"10.0.0.10-10.0.0.19\"]\n[flux]\ndepends-on = []\n",
    );
    let out = lbipam(dir.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 1);
    // What `cargo build` writes for one cluster (manual/build.md: "What `cargo build` writes").
    let want: Vec<String> = [
        "kubernetes/infrastructure/networking/cilium/ipam/a/lb-ippool-a.yaml",
        "kubernetes/infrastructure/networking/cilium/ipam/a/kustomization.yaml",
        "kubernetes/clusters/a/infrastructure.yaml",
        "kubernetes/clusters/a/cluster-settings.yaml",
        "bootstrap/clusters/a/cilium-values.yaml",
        "docs/architecture.md",
        "docs/IP-ALLOCATION-SUMMARY.md",
        "docs/ip-map.svg",
    ]
    .iter()
    .map(|f| format!("{f}:1:1: missing; plan.toml renders this file"))
    .collect();
    assert_eq!(json_lines(&out.stdout), want);
    let errors: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).expect("json");
    assert!(errors.iter().all(|e| e["code"] == "stale"), "{errors:?}");
    assert_eq!(
        fs::read_dir(dir.path()).expect("dir").count(),
        1,
        "only plan.toml"
    );
}

/// A plan whose one pool has `n` copies of the same block after the first.
fn overlapping(n: usize) -> String {
    let mut plan =
        String::from("[network]\ncidr = \"10.0.0.0/24\"\n[clusters.a.pools.p]\nblocks = [\n");
    for _ in 0..=n {
        plan.push_str("\"10.0.0.8/30\",\n");
    }
    plan.push_str("]\n");
    plan
}

fn count_errors(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| l.starts_with("error: p (a)"))
        .count()
}

#[test]
fn without_all_the_first_fifty_errors_are_printed_and_the_rest_counted() {
    let dir = plan_only(&overlapping(60));
    let out = lbipam(dir.path(), &["check"]);
    assert_eq!(out.code, 1);
    // Each of the 60 copies overlaps the first block; the message names the pool.
    let first = "error: p (a) 10.0.0.8-10.0.0.11 overlaps p (a) at 10.0.0.8-10.0.0.11";
    assert_eq!(out.stderr.lines().filter(|l| *l == first).count(), 50);
    assert!(
        out.stderr.ends_with(
            "note: 10 more errors not shown in full, by kind:\n  10 overlap\n\n\
             error: 60 errors in the plan or the files it manages; nothing was written\n\
             note: run `lbipam check --all` to print every error in full\n"
        ),
        "{}",
        out.stderr
    );
    let all = lbipam(dir.path(), &["check", "--all"]);
    assert_eq!(count_errors(&all.stderr), 60);
    let json = lbipam(dir.path(), &["check", "--format", "json"]);
    let errors: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(errors.len(), 60, "JSON lists every error");
    // The n-th copy is on line 5 + n, column 1.
    assert_eq!(errors[59]["line"], 65);
    assert_eq!(errors[59]["col"], 1);
    assert_eq!(errors[59]["code"], "overlap");
}

#[test]
fn check_never_writes_even_when_the_tree_is_stale() {
    let scratch = scratch_repo();
    let settings = scratch
        .path()
        .join("kubernetes/clusters/apps/cluster-settings.yaml");
    let text = fs::read_to_string(&settings).expect("read");
    let broken = text.replace("\"10.25.11.121\"", "\"10.25.11.122\"");
    assert_ne!(text, broken);
    fs::write(&settings, &broken).expect("write");
    let out = lbipam(scratch.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        json_lines(&out.stdout),
        [format!(
            "kubernetes/clusters/apps/cluster-settings.yaml:{}:1: differs from plan.toml: the file has `  CILIUM_GATEWAY_LB_IP: \"10.25.11.122\" # managed by lbipam-plan`, plan.toml renders `  CILIUM_GATEWAY_LB_IP: \"10.25.11.121\" # managed by lbipam-plan`",
            line_of(&broken, "CILIUM_GATEWAY_LB_IP: \"10.25.11.122\"")
        )]
    );
    assert_eq!(fs::read_to_string(&settings).expect("read"), broken);
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect("line") + 1
}

#[test]
fn the_binary_exits_with_the_checks_verdict() {
    let seed = scratch_repo();
    let bin = Path::new(env!("CARGO_BIN_EXE_lbipam"));
    let ok = std::process::Command::new(bin)
        .args(["check", "--plan"])
        .arg(plan_of(seed.path()))
        .env_remove("CI")
        .env("NO_COLOR", "1")
        .output()
        .expect("run lbipam");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let dir = plan_only(&overlapping(1));
    let bad = std::process::Command::new(bin)
        .args(["check", "--format", "json"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run lbipam");
    assert_eq!(bad.status.code(), Some(1));
    let errors: Vec<serde_json::Value> = serde_json::from_slice(&bad.stdout).expect("json");
    assert_eq!(errors[0]["code"], "overlap");
}

#[test]
fn an_error_in_a_file_the_build_would_create_shows_the_line_it_would_write() {
    // Two clusters with the default `depends-on = ["cilium-core"]`, which no file
    // defines: the error is on the dependsOn line of the Flux file the build
    // would write, the same line in text and in JSON.
    let dir = plan_only(
        "[network]\ncidr = \"10.0.0.0/24\"\n[clusters.a.pools.pa]\nblocks = [\"10.0.0.10-10.0.0.19\"]\n[clusters.b.pools.pb]\nblocks = [\"10.0.0.20-10.0.0.29\"]\n",
    );
    let text = lbipam(dir.path(), &["check"]).stderr;
    assert!(
        text.contains(" --> kubernetes/clusters/a/infrastructure.yaml:17:1\n   |\n17 |   - name: cilium-core\n"),
        "{text}"
    );
    let json = lbipam(dir.path(), &["check", "--format", "json"]).stdout;
    let errors: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json");
    assert_eq!(errors[0]["line"], 17);
}

#[test]
fn a_passing_check_still_says_which_files_it_skipped() {
    let scratch = scratch_repo();
    fs::write(
        scratch.path().join("kubernetes/notes.yaml"),
        "key: [unclosed\n",
    )
    .expect("write");
    let out = lbipam(scratch.path(), &["check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("ok: "));
    assert!(
        out.stderr.starts_with(
            "warning[skipped-file]: kubernetes/notes.yaml:1:1: skipped: not valid YAML"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn check_and_the_gate_fail_alike_on_a_tree_only_the_schema_check_rejects() {
    let repo = scratch_repo();
    // A ConfigMap has no `spec`: nothing the build or its audits read, only its type.
    common::write(
        repo.path(),
        "kubernetes/clusters/apps/extra.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: flux-system\nspec:\n  x: \"1\"\n",
    );
    assert!(
        lbipam_core::verify(&plan_of(repo.path())).is_ok(),
        "the build's own checks must pass: the problem is for the schema check alone"
    );
    let gate = lbipam_gate::check(repo.path()).expect_err("the gate must fail");
    let text = lbipam(repo.path(), &["check", "--all"]);
    assert_eq!(text.code, 1);
    assert_eq!(
        text.stderr, gate,
        "lbipam check and the gate print one report"
    );
    let json = lbipam(repo.path(), &["check", "--format", "json"]);
    let findings: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let codes: Vec<(&str, &str)> = findings
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or(""),
                f["file"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // Once as written, once as the bootstrap Kustomization applies it.
    let extra = ("unknown-field", "kubernetes/clusters/apps/extra.yaml");
    assert_eq!(codes, [extra, extra], "{}", json.stdout);
    assert!(
        gate.contains("kubernetes/clusters/apps/extra.yaml"),
        "{gate}"
    );
}

#[test]
fn a_flux_path_outside_the_audited_directories_is_a_warning_json_gives_its_code() {
    let repo = scratch_repo();
    common::write(
        repo.path(),
        "kubernetes/clusters/apps/elsewhere.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: elsewhere\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n  path: ./elsewhere\n",
    );
    common::write(
        repo.path(),
        "elsewhere/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    );
    let json = lbipam(repo.path(), &["check", "--format", "json"]);
    assert_eq!(json.code, 0, "a warning passes: {}", json.stdout);
    let findings: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let found: Vec<(&str, &str, &str)> = findings
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or("");
            (text("level"), text("code"), text("file"))
        })
        .collect();
    assert_eq!(
        found,
        [(
            "warning",
            "outside-audit",
            "kubernetes/clusters/apps/elsewhere.yaml"
        )],
        "{}",
        json.stdout
    );
}

#[test]
fn json_gives_a_plan_errors_second_place_as_a_related_location() {
    let dir = plan_only(
        "[network]\ncidr = \"10.0.0.0/24\"\n[clusters.a.pools.p]\nblocks = [\"10.0.0.8/30\"]\n[clusters.b.pools.q]\nblocks = [\"10.0.0.10-10.0.0.20\"]\n",
    );
    let json = lbipam(dir.path(), &["check", "--format", "json"]);
    let findings: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let overlap = &findings[0];
    assert_eq!(overlap["code"], "overlap", "{}", json.stdout);
    // The later block (line 6) overlaps the earlier one (line 4, column 11).
    assert_eq!(
        (overlap["line"].as_u64(), overlap["col"].as_u64()),
        (Some(6), Some(11))
    );
    let related = overlap["related"].as_array().expect("related");
    assert_eq!(related.len(), 1, "{}", json.stdout);
    assert_eq!(related[0]["file"], "plan.toml");
    assert_eq!(
        (related[0]["line"].as_u64(), related[0]["col"].as_u64()),
        (Some(4), Some(11))
    );
    assert_eq!(related[0]["label"], "overlapped range");
}
