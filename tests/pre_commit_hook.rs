//! The pre-commit hook of `.pre-commit-hooks.yaml`, run as pre-commit runs it:
//! `language: rust` installs this root package's binaries (`cargo install
//! --bins --path .`), so the hook's `entry` must be one of them; pre-commit then
//! runs `entry` with the hook's `args` at the root of the repository being
//! committed, with no file names (`pass_filenames: false`). Here the entry is
//! the binary Cargo built for this package, run on scratch copies of the seed.

use std::fs;
use std::path::Path;
use std::process::Command;

use yaml_serde::Value;

fn hooks() -> Vec<Value> {
    let text =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
            .expect(".pre-commit-hooks.yaml");
    yaml_serde::from_str(&text).expect("a YAML list of hooks")
}

fn seed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("core/tests/fixtures/seed"),
        dir.path(),
    );
    dir
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        if e.path().is_dir() {
            copy(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
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
    let dir = seed();
    let (code, stdout, stderr) = run_hook(hook, dir.path());
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(stdout.starts_with("ok: "), "{stdout}");
    // A hand edit of a generated pool file: the commit is refused, naming the file.
    let pool = dir
        .path()
        .join("kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml");
    let text = fs::read_to_string(&pool).expect("pool");
    fs::write(&pool, text.replace("10.25.11.139", "10.25.11.140")).expect("write");
    let (code, _, stderr) = run_hook(hook, dir.path());
    assert_eq!(code, 1);
    assert!(
        stderr
            .contains("kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml"),
        "{stderr}"
    );
}

#[test]
fn the_hooks_binary_passes_check_options_through() {
    let dir = seed();
    let out = Command::new(env!("CARGO_BIN_EXE_lbipam-check"))
        .args(["--format", "json"])
        .current_dir(dir.path())
        .env_remove("CI")
        .output()
        .expect("run");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[]\n");
    assert_eq!(out.status.code(), Some(0));
}
