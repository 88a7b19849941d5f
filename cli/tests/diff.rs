//! `lbipam diff`: what a change to plan.toml does against a git revision, on
//! scratch git repositories of the seed with two commits (or a working-tree
//! change). The seed's apps cluster has `apps-pool` = 10.25.11.120-139 with pins
//! clustermesh-apiserver .120 and gateway .121; infra has 10.25.11.100-119.

mod common;

use common::{commit_all, git, lbipam, replace, seed_git, write};
use serde_json::Value;

const APPS_BLOCK: &str = "blocks = [\"10.25.11.120-10.25.11.139\"]";
const GATEWAY_PIN: &str = "gateway               = \"10.25.11.121\"";

fn json(dir: &std::path::Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["diff", "--format", "json"];
    all.extend_from_slice(args);
    let out = lbipam(dir, &all);
    assert_eq!(out.stderr, "", "stdout: {}", out.stdout);
    (out.code, serde_json::from_str(&out.stdout).expect("JSON"))
}

/// A git repository of the seed with one more commit, `from` replaced by `to`
/// in plan.toml, and `lbipam diff --format json` against the commit before.
fn committed_plan_edit(from: &str, to: &str) -> (tempfile::TempDir, i32, Value) {
    let repo = seed_git();
    replace(repo.path(), "plan.toml", from, to);
    commit_all(repo.path(), "edit the plan");
    let (code, v) = json(repo.path(), &["--base", "HEAD~1"]);
    (repo, code, v)
}

fn warnings(v: &Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["kind"].as_str().expect("kind").to_owned())
        .collect()
}

/// The one change of the diff of that kind and name.
fn change<'v>(v: &'v Value, kind: &str, name: &str) -> &'v Value {
    let found: Vec<&Value> = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["kind"] == kind && c["name"] == name)
        .collect();
    assert_eq!(found.len(), 1, "{kind} {name} in {v:#}");
    found[0]
}

#[test]
fn a_shrunk_pool_warns_that_its_lost_addresses_are_re_addressed_and_exits_1() {
    let (repo, code, v) =
        committed_plan_edit(APPS_BLOCK, "blocks = [\"10.25.11.120-10.25.11.129\"]");
    let dir = repo.path();
    assert_eq!(code, 1);
    let pool = change(&v, "pool", "apps-pool");
    assert_eq!(pool["cluster"], "apps");
    assert_eq!(pool["change"], "shrunk");
    assert_eq!(
        pool["taken"],
        serde_json::json!(["10.25.11.130-10.25.11.139"])
    );
    assert_eq!(pool["given"], serde_json::json!([]));
    assert_eq!(warnings(&v), ["pool-shrunk"]);
    assert_eq!(
        v["owners"],
        serde_json::json!([{"range": "10.25.11.130-10.25.11.139", "before": "pool apps-pool (apps)", "after": "free"}])
    );
    // The text says the same, warning included.
    let text = lbipam(dir, &["diff", "--base", "HEAD~1"]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout.contains(
            "warning: pool apps-pool (apps) shrunk: it no longer holds 10.25.11.130-10.25.11.139;"
        ),
        "{}",
        text.stdout
    );
}

#[test]
fn a_moved_block_takes_and_gives_addresses_and_warns() {
    // .130-.139 leave the pool, .140-.149 join it.
    let moved = "blocks = [\"10.25.11.120-10.25.11.129\", \"10.25.11.140-10.25.11.149\"]";
    let (_repo, code, v) = committed_plan_edit(APPS_BLOCK, moved);
    assert_eq!(code, 1);
    let pool = change(&v, "pool", "apps-pool");
    assert_eq!(pool["change"], "moved");
    assert_eq!(
        pool["taken"],
        serde_json::json!(["10.25.11.130-10.25.11.139"])
    );
    assert_eq!(
        pool["given"],
        serde_json::json!(["10.25.11.140-10.25.11.149"])
    );
    assert_eq!(warnings(&v), ["pool-moved"]);
    let owners: Vec<(&str, &str, &str)> = v["owners"]
        .as_array()
        .expect("owners")
        .iter()
        .map(|o| {
            (
                o["range"].as_str().expect("range"),
                o["before"].as_str().expect("before"),
                o["after"].as_str().expect("after"),
            )
        })
        .collect();
    assert_eq!(
        owners,
        [
            ("10.25.11.130-10.25.11.139", "pool apps-pool (apps)", "free"),
            ("10.25.11.140-10.25.11.149", "free", "pool apps-pool (apps)"),
        ]
    );
}

#[test]
fn a_moved_pin_is_a_re_address_of_its_service() {
    let (_repo, code, v) = committed_plan_edit(GATEWAY_PIN, "gateway = \"10.25.11.125\"");
    assert_eq!(code, 1);
    let pin = change(&v, "pin", "gateway");
    assert_eq!(
        (
            &pin["cluster"],
            &pin["change"],
            &pin["before"],
            &pin["after"]
        ),
        (
            &"apps".into(),
            &"moved".into(),
            &"10.25.11.121".into(),
            &"10.25.11.125".into()
        )
    );
    assert_eq!(warnings(&v), ["pin-moved"]);
    // Both addresses change owner: the pin leaves .121 to the pool, takes .125.
    assert_eq!(
        v["owners"],
        serde_json::json!([
            {"range": "10.25.11.121", "before": "pin gateway (apps)", "after": "pool apps-pool (apps)"},
            {"range": "10.25.11.125", "before": "pool apps-pool (apps)", "after": "pin gateway (apps)"},
        ])
    );
}

#[test]
fn a_grown_pool_and_a_new_pin_re_address_nothing_and_exit_0_unless_fail_on_any() {
    let repo = seed_git();
    let dir = repo.path();
    replace(
        dir,
        "plan.toml",
        APPS_BLOCK,
        "blocks = [\"10.25.11.120-10.25.11.149\"]",
    );
    replace(
        dir,
        "plan.toml",
        GATEWAY_PIN,
        &format!("{GATEWAY_PIN}\nweb = \"10.25.11.140\""),
    );
    commit_all(dir, "grow apps");
    let (code, v) = json(dir, &["--base", "HEAD~1"]);
    assert_eq!(code, 0);
    assert_eq!(change(&v, "pool", "apps-pool")["change"], "grown");
    assert_eq!(change(&v, "pin", "web")["change"], "added");
    assert_eq!(warnings(&v), Vec::<String>::new());
    assert_eq!(v["re_addresses"], false);
    assert_eq!(
        lbipam(dir, &["diff", "--base", "HEAD~1", "--fail-on", "any"]).code,
        1
    );
}

#[test]
fn fail_on_never_reports_a_shrink_and_exits_0() {
    let repo = seed_git();
    let dir = repo.path();
    replace(
        dir,
        "plan.toml",
        APPS_BLOCK,
        "blocks = [\"10.25.11.120-10.25.11.129\"]",
    );
    commit_all(dir, "shrink apps");
    let out = lbipam(dir, &["diff", "--base", "HEAD~1", "--fail-on", "never"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("warning: pool apps-pool (apps) shrunk"),
        "{}",
        out.stdout
    );
}

#[test]
fn without_base_a_branch_is_compared_with_its_merge_base_with_main_and_the_working_tree_counts() {
    let repo = seed_git();
    let dir = repo.path();
    git(dir, &["checkout", "-q", "-b", "feature"]);
    replace(dir, "plan.toml", GATEWAY_PIN, "gateway = \"10.25.11.125\"");
    commit_all(dir, "move the gateway");
    // main moves on meanwhile; the merge base is still the seed.
    git(dir, &["checkout", "-q", "main"]);
    write(dir, "NOTES.md", "main moves on\n");
    commit_all(dir, "main moves on");
    git(dir, &["checkout", "-q", "feature"]);
    // Uncommitted: a change of the working tree is part of the diff.
    replace(
        dir,
        "plan.toml",
        APPS_BLOCK,
        "blocks = [\"10.25.11.120-10.25.11.149\"]",
    );
    let base = git(dir, &["rev-list", "--max-parents=0", "HEAD"]);
    let (code, v) = json(dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(change(&v, "pin", "gateway")["change"], "moved");
    assert_eq!(change(&v, "pool", "apps-pool")["change"], "grown");
    let shown = v["base"].as_str().expect("base");
    assert_eq!(shown, format!("main (merge base {})", &base.trim()[..12]));
}

#[test]
fn no_change_prints_so_and_exits_0() {
    let repo = seed_git();
    let out = lbipam(repo.path(), &["diff", "--base", "HEAD"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            "plan.toml against HEAD\nno change to pools, pins, reserved ranges or the network\n",
            ""
        )
    );
}

#[test]
fn an_unknown_base_is_a_usage_error() {
    let repo = seed_git();
    let out = lbipam(repo.path(), &["diff", "--base", "no-such-rev"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("error: cannot read plan.toml at `no-such-rev`:"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_plan_the_base_does_not_have_is_all_new() {
    let repo = seed_git();
    let dir = repo.path();
    git(dir, &["rm", "-q", "--cached", "plan.toml"]);
    git(dir, &["commit", "-q", "--no-verify", "-m", "no plan yet"]);
    let (code, v) = json(dir, &["--base", "HEAD"]);
    assert_eq!(code, 0);
    assert_eq!(change(&v, "pool", "apps-pool")["change"], "added");
    assert_eq!(change(&v, "reserved", "bgp-router")["change"], "added");
}

#[test]
fn an_address_moving_between_clusters_changes_owner() {
    let repo = seed_git();
    let dir = repo.path();
    // .119 leaves infra, .140 joins apps... and infra takes .140-.149 instead.
    replace(
        dir,
        "plan.toml",
        "blocks = [\"10.25.11.100-10.25.11.119\"]",
        "blocks = [\"10.25.11.100-10.25.11.118\"]",
    );
    replace(
        dir,
        "plan.toml",
        APPS_BLOCK,
        "blocks = [\"10.25.11.119-10.25.11.139\"]",
    );
    commit_all(dir, "give .119 to apps");
    let (code, v) = json(dir, &["--base", "HEAD~1"]);
    assert_eq!(code, 1);
    assert_eq!(change(&v, "pool", "infra-pool")["change"], "shrunk");
    assert_eq!(change(&v, "pool", "apps-pool")["change"], "grown");
    assert_eq!(
        v["owners"],
        serde_json::json!([{"range": "10.25.11.119", "before": "pool infra-pool (infra)", "after": "pool apps-pool (apps)"}])
    );
}

/// The Markdown of a shrink and a pin move, as a pull-request comment; the
/// committed snapshot was read by hand (rendered, it is one warning box, one
/// table of changes and a folded table of owners).
#[test]
fn markdown_of_a_shrink_and_a_pin_move_is_the_reviewed_comment() {
    let repo = seed_git();
    let dir = repo.path();
    replace(
        dir,
        "plan.toml",
        APPS_BLOCK,
        "blocks = [\"10.25.11.120-10.25.11.129\"]",
    );
    replace(dir, "plan.toml", GATEWAY_PIN, "gateway = \"10.25.11.125\"");
    commit_all(dir, "shrink apps, move the gateway");
    let out = lbipam(dir, &["diff", "--base", "HEAD~1", "--format", "markdown"]);
    assert_eq!(out.code, 1);
    let expected = include_str!("snapshots/diff-shrink-and-pin-move.md");
    assert_eq!(out.stdout, expected);
}
