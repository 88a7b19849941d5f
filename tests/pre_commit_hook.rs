//! The pre-commit hook of `.pre-commit-hooks.yaml`, run as pre-commit runs it:
//! `language: rust` installs this root package's binaries (`cargo install
//! --bins --path .`), so the hook's `entry` must be one of them; pre-commit then
//! runs `entry` with the hook's `args` at the root of the repository being
//! committed, with no file names (`pass_filenames: false`). Here the entry is
//! the binary Cargo built for this package, run on scratch copies of the seed.
//! (The root package's tests are the gate and this: the binary is the root
//! package's own.)

use std::fs;
use std::path::Path;
use std::process::Command;

use yaml_serde::Value;

#[path = "../core/tests/common/mod.rs"]
mod common;

fn hooks() -> Vec<Value> {
    let text =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
            .expect(".pre-commit-hooks.yaml");
    yaml_serde::from_str(&text).expect("a YAML list of hooks")
}

/// Runs the hook's entry and args in `root`: (exit code, stdout, stderr).
fn run_hook(hook: &Value, root: &Path) -> (i32, String, String) {
    let entry = hook["entry"].as_str().expect("entry");
    let mut words = entry.split_whitespace();
    let program = words.next().expect("a program");
    assert_eq!(
        program, "lbipam-check",
        "the entry must be a binary of this package"
    );
    let args: Vec<String> = words
        .map(str::to_owned)
        .chain(
            hook["args"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|a| a.as_str().expect("an argument").to_owned()),
        )
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_lbipam-check"))
        .args(&args)
        .current_dir(root)
        .env_remove("CI")
        .output()
        .expect("run the hook");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_hook_is_lbipam_check_built_by_cargo_without_file_names() {
    let hooks = hooks();
    assert_eq!(hooks.len(), 1);
    let hook = &hooks[0];
    assert_eq!(hook["id"].as_str(), Some("lbipam-check"));
    assert_eq!(hook["language"].as_str(), Some("rust"));
    assert_eq!(hook["pass_filenames"].as_bool(), Some(false));
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/bin/lbipam-check.rs")
            .is_file()
    );
}

#[test]
fn the_hooks_entry_passes_a_clean_repository_and_fails_a_broken_one() {
    let hook = &hooks()[0];
    let dir = common::scratch_repo();
    let (code, stdout, stderr) = run_hook(hook, dir.path());
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(stdout.starts_with("ok: "), "{stdout}");
    // A hand edit of a generated pool file: the commit is refused, naming the file.
    let pool = dir
        .path()
        .join("kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml");
    let text = fs::read_to_string(&pool).expect("pool");
    fs::write(&pool, format!("{text}# edited by hand\n")).expect("write");
    let (code, _, stderr) = run_hook(hook, dir.path());
    assert_eq!(code, 1);
    assert!(
        stderr
            .contains("kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml"),
        "{stderr}"
    );
}

#[test]
fn the_hooks_binary_prints_every_error_with_all_and_refuses_other_arguments() {
    let dir = common::scratch_repo();
    let pools = "kubernetes/infrastructure/networking/cilium/ipam";
    for cluster in ["infra", "apps"] {
        let pool = dir
            .path()
            .join(format!("{pools}/{cluster}/lb-ippool-{cluster}.yaml"));
        fs::write(&pool, "# edited by hand\n").expect("write");
    }
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_lbipam-check"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("CI")
            .output()
            .expect("run")
    };
    let all = run(&["--all"]);
    let stderr = String::from_utf8_lossy(&all.stderr);
    assert_eq!(all.status.code(), Some(1));
    for cluster in ["infra", "apps"] {
        assert!(
            stderr.contains(&format!("{cluster}/lb-ippool-{cluster}.yaml")),
            "{stderr}"
        );
    }
    let usage = run(&["--format", "json"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("\"--format\""));
}
