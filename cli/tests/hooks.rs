//! The hooks manual/adoption.md documents besides pre-commit: the plain git hook, run
//! for real by git in a scratch repository with the built `lbipam` on the
//! PATH, and the lefthook configuration, whose command is the same.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{repo_root, seed_git, service_with, write};

/// The code block of manual/adoption.md that starts with `first_line`.
fn readme_block(first_line: &str) -> String {
    let readme =
        fs::read_to_string(repo_root().join("manual/adoption.md")).expect("manual/adoption.md");
    let start = readme
        .find(&format!("\n{first_line}\n"))
        .expect("the block")
        + 1;
    let end = readme[start..].find("\n```").expect("its end") + start;
    readme[start..=end].to_owned()
}

/// `git commit -am MESSAGE` in `dir` with the hooks of `.git/hooks` and the
/// built `lbipam` first on the PATH.
fn commit(dir: &Path, message: &str) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_lbipam"))
        .parent()
        .expect("bin dir");
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    Command::new("git")
        .current_dir(dir)
        .env("PATH", path)
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.org",
            "-c",
            "core.hooksPath=.git/hooks",
        ])
        .args(["commit", "-q", "-m", message])
        .output()
        .expect("git commit")
}

fn add_all(dir: &Path) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args(["add", "-A"])
        .status()
        .expect("git add")
        .success();
    assert!(ok);
}

#[test]
fn the_documented_git_hook_refuses_a_commit_that_fails_the_check() {
    let script = readme_block(
        "#!/bin/sh\n# .git/hooks/pre-commit (chmod +x): refuse a commit that lbipam check fails",
    );
    assert!(
        script.lines().any(|l| l.trim() == "exec lbipam check"),
        "{script}"
    );
    let repo = seed_git();
    let dir = repo.path();
    let hook = dir.join(".git/hooks/pre-commit");
    fs::create_dir_all(hook.parent().expect("hooks dir")).expect("mkdir");
    fs::write(&hook, &script).expect("hook");
    fs::set_permissions(
        &hook,
        <fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
    )
    .expect("chmod");

    // A Service asking the apps cluster for an infra address: refused.
    write(
        dir,
        "kubernetes/clusters/apps/web.yaml",
        &service_with("web", "10.25.11.100", ""),
    );
    add_all(dir);
    let out = commit(dir, "a stray address");
    assert!(!out.status.success(), "the commit went through");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("kubernetes/clusters/apps/web.yaml:7:28"),
        "{stderr}"
    );

    // The same Service on an apps address: committed.
    write(
        dir,
        "kubernetes/clusters/apps/web.yaml",
        &service_with("web", "10.25.11.125", ""),
    );
    add_all(dir);
    let out = commit(dir, "an apps address");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_documented_lefthook_configuration_runs_lbipam_check() {
    let config = readme_block("pre-commit:\n  commands:");
    let v: yaml_serde::Value = yaml_serde::from_str(&config).expect("YAML");
    assert_eq!(
        v["pre-commit"]["commands"]["lbipam"]["run"].as_str(),
        Some("lbipam check")
    );
}
