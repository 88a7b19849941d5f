//! The GitHub Actions example, `examples/github-actions/lbipam.yaml`: it parses,
//! installs the CLI from its Cargo package, and each `lbipam` command it runs
//! does on a pull request what the job needs — run here on a scratch clone
//! whose `origin/main` is the seed and whose branch shrinks a pool.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{commit_all, git, lbipam, replace, repo_root, seed_git};
use yaml_serde::Value;

fn workflow_text() -> String {
    fs::read_to_string(repo_root().join("examples/github-actions/lbipam.yaml"))
        .expect("the example")
}

fn workflow() -> Value {
    yaml_serde::from_str(&workflow_text()).expect("valid YAML")
}

/// The job's steps and its environment.
fn job() -> (Vec<Value>, BTreeMap<String, String>) {
    let w = workflow();
    let jobs = w["jobs"].as_mapping().expect("jobs");
    assert_eq!(jobs.len(), 1);
    let job = jobs.values().next().expect("a job");
    let env = job["env"]
        .as_mapping()
        .expect("env")
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().expect("name").to_owned(),
                v.as_str().expect("value").to_owned(),
            )
        })
        .collect();
    (job["steps"].as_sequence().expect("steps").clone(), env)
}

/// A `run:` line as the shell splits it: words (double quotes grouped,
/// `$NAME` expanded from `env`), up to a redirection.
fn words(line: &str, env: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '$' => {
                let mut name = String::new();
                while let Some(&n) = chars
                    .peek()
                    .filter(|n| n.is_ascii_alphanumeric() || **n == '_')
                {
                    name.push(n);
                    chars.next();
                }
                word.push_str(
                    env.get(&name)
                        .unwrap_or_else(|| panic!("${name} is not set")),
                );
            }
            '>' if !quoted => break,
            ' ' if !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Every `lbipam …` command the job runs, by step name, split into words.
fn lbipam_steps(env: &BTreeMap<String, String>) -> Vec<(String, Vec<String>)> {
    let (steps, _) = job();
    steps
        .iter()
        .filter_map(|s| {
            let run = s["run"].as_str()?;
            let line = run.trim();
            line.starts_with("lbipam ").then(|| {
                (
                    s["name"].as_str().expect("a name").to_owned(),
                    words(line, env),
                )
            })
        })
        .collect()
}

#[test]
fn the_workflow_runs_on_pull_requests_and_installs_the_cli_package() {
    let w = workflow();
    assert!(
        w["on"]
            .as_mapping()
            .expect("on")
            .contains_key("pull_request")
    );
    assert_eq!(w["permissions"]["pull-requests"].as_str(), Some("write"));
    let (steps, env) = job();
    let install = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.starts_with("cargo install"))
        .expect("an install step");
    let words = words(install, &env);
    assert_eq!(&words[..3], ["cargo", "install", "--locked"]);
    // The package it names builds the `lbipam` binary.
    let package = words.last().expect("a package");
    let manifest: toml_edit::DocumentMut = fs::read_to_string(repo_root().join("cli/Cargo.toml"))
        .expect("cli/Cargo.toml")
        .parse()
        .expect("TOML");
    assert_eq!(manifest["package"]["name"].as_str(), Some(package.as_str()));
    let bins = manifest["bin"].as_array_of_tables().expect("[[bin]]");
    assert!(bins.iter().any(|b| b["name"].as_str() == Some("lbipam")));
    // A step the diff's comment needs: the checkout with the base branch.
    let checkout = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout@"))
        })
        .expect("checkout");
    assert_eq!(checkout["with"]["fetch-depth"].as_u64(), Some(0));
}

#[test]
fn the_readme_shows_the_example_as_it_is() {
    let readme =
        fs::read_to_string(repo_root().join("manual/adoption.md")).expect("manual/adoption.md");
    assert!(readme.contains(&format!("```yaml\n{}```\n", workflow_text())));
}

/// A clone of the seed (its `origin/main`) on a branch that shrinks apps-pool,
/// built with `lbipam build` and committed, as a pull request would be.
fn pull_request() -> (tempfile::TempDir, tempfile::TempDir) {
    let upstream = seed_git();
    let clone = tempfile::tempdir().expect("temp dir");
    let ok = std::process::Command::new("git")
        .args(["clone", "-q"])
        .arg(upstream.path())
        .arg(clone.path())
        .status()
        .expect("git clone")
        .success();
    assert!(ok);
    let dir = clone.path();
    git(dir, &["checkout", "-q", "-b", "shrink"]);
    replace(
        dir,
        "plan.toml",
        "10.25.11.120-10.25.11.139",
        "10.25.11.120-10.25.11.129",
    );
    assert_eq!(lbipam(dir, &["build"]).code, 0);
    commit_all(dir, "shrink apps-pool");
    (upstream, clone)
}

fn run(dir: &Path, words: &[String]) -> lbipam_cli::Output {
    assert_eq!(words[0], "lbipam");
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    lbipam(dir, &args)
}

#[test]
fn each_lbipam_command_of_the_workflow_does_its_part_on_a_pull_request() {
    let (_upstream, clone) = pull_request();
    let dir = clone.path();
    let mut env = job().1;
    env.insert("BASE_REF".into(), "main".into()); // ${{ github.base_ref }}
    let steps = lbipam_steps(&env);
    let names: Vec<&str> = steps.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Check",
            "Diff against the base branch",
            "Fail on a change that re-addresses running Services"
        ]
    );

    // Check: the branch is built and committed, so nothing to report.
    let check = run(dir, &steps[0].1);
    assert_eq!(steps[0].1, ["lbipam", "check", "--format", "github"]);
    assert_eq!((check.code, check.stdout.as_str()), (0, ""));

    // The comment: Markdown of the shrink against origin/main, never failing the step.
    let diff = run(dir, &steps[1].1);
    assert_eq!(diff.code, 0);
    assert!(
        diff.stdout
            .starts_with("### lbipam diff: `plan.toml` against origin/main\n"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout.contains(
            "> - pool apps-pool (apps) shrunk: it no longer holds 10.25.11.130-10.25.11.139;"
        ),
        "{}",
        diff.stdout
    );

    // The gate: a shrink re-addresses Services, so the job fails.
    assert_eq!(run(dir, &steps[2].1).code, 1);
}
