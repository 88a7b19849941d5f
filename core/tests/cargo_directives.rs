//! Nothing a file name or a plan value holds becomes a cargo directive: a real
//! `cargo build` of a scratch GitOps crate (the seed repository, with a
//! `build.rs` calling `lbipam_core::build_script::run`), and the build script's
//! output read back from cargo's own record of it
//! (`target/debug/build/<crate>-<hash>/output`), each directive on one line.
//!
//! The scratch crate is compiled offline against this checkout's lbipam-core,
//! into a target directory under `CARGO_TARGET_TMPDIR` (cargo's scratch space
//! for integration tests), kept between runs so only the first compiles the
//! dependencies.

mod scratch;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Makes the scratch repository at `root` a crate whose build script is the
/// one every adopting repository has.
fn make_crate(root: &Path) {
    let core = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = format!(
        "[package]\nname = \"scratch-gitops\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[build-dependencies]\nlbipam-core = {{ path = {:?} }}\n\n[workspace]\n",
        core.display().to_string()
    );
    fs::write(root.join("Cargo.toml"), manifest).expect("Cargo.toml");
    fs::write(
        root.join("build.rs"),
        "fn main() {\n    lbipam_core::build_script::run();\n}\n",
    )
    .expect("build.rs");
    fs::create_dir_all(root.join("src")).expect("src");
    fs::write(root.join("src/lib.rs"), "").expect("lib.rs");
    // The workspace's lock: the same versions, already in the local registry.
    let lock = core.parent().expect("workspace").join("Cargo.lock");
    fs::copy(lock, root.join("Cargo.lock")).expect("Cargo.lock");
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("cargo-directives")
}

/// Runs `cargo build` in `root` (write mode) and returns whether it passed and
/// the build script's output as cargo recorded it.
fn cargo_build(root: &Path) -> (bool, String, String) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--offline", "--quiet"])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("CI")
        .env_remove("LBIPAM_CHECK")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), recorded_output(), stderr)
}

/// The newest `output` file of the scratch crate's build script runs.
fn recorded_output() -> String {
    let build = target_dir().join("debug/build");
    let newest = fs::read_dir(&build)
        .expect("build dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("scratch-gitops-"))
        })
        .map(|p| p.join("output"))
        .filter(|p| p.is_file())
        .max_by_key(|p| fs::metadata(p).and_then(|m| m.modified()).ok())
        .expect("a recorded build script output");
    fs::read_to_string(newest).expect("output")
}

/// The directives cargo would act on, other than the ones the build script
/// means to print (warnings, rerun-if-*).
fn foreign_directives(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| l.starts_with("cargo:"))
        .filter(|l| {
            let key = l.trim_start_matches("cargo::").trim_start_matches("cargo:");
            !(key.starts_with("warning=")
                || key.starts_with("rerun-if-changed=")
                || key.starts_with("rerun-if-env-changed="))
        })
        .collect()
}

/// Touches plan.toml so the build script runs again.
fn rerun(root: &Path, n: usize) {
    let plan = root.join("plan.toml");
    let mut text = fs::read_to_string(&plan).expect("plan");
    text.push_str(&format!("# run {n}\n"));
    fs::write(plan, text).expect("plan");
}

#[test]
fn no_file_name_or_plan_value_injects_a_cargo_directive() {
    let repo = scratch::repo();
    let root = repo.path();
    make_crate(root);

    // An invalid YAML file (skipped with a warning naming it) whose name holds
    // a line break and a directive.
    let misc = root.join("kubernetes/misc");
    fs::create_dir_all(&misc).expect("mkdir");
    fs::write(
        misc.join("x\ncargo::rustc-env=EVIL=1.yaml"),
        "key: [unclosed\n",
    )
    .expect("write");
    let (ok, output, stderr) = cargo_build(root);
    assert!(ok, "{stderr}");
    assert_eq!(foreign_directives(&output), Vec::<&str>::new(), "{output}");
    assert!(
        output.lines().any(|l| l.starts_with(
            "cargo::warning=warning[skipped-file]: kubernetes/misc/x\\ncargo::rustc-env=EVIL=1.yaml:1:1: skipped: "
        )),
        "the warning, escaped on one line: {output}"
    );
    fs::remove_dir_all(&misc).expect("rm");

    // A stale generated file (deleted with a notice naming it) whose directory
    // name holds another directive.
    let dir =
        root.join("kubernetes/infrastructure/networking/cilium/ipam/old\ncargo::rustc-cfg=evil");
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(
        dir.join("pool.yaml"),
        "# Code generated by lbipam-plan from plan.toml. DO NOT EDIT.\nkind: ConfigMap\n",
    )
    .expect("write");
    rerun(root, 1);
    let (ok, output, stderr) = cargo_build(root);
    assert!(ok, "{stderr}");
    assert_eq!(foreign_directives(&output), Vec::<&str>::new(), "{output}");
    assert!(output.contains("cargo::warning=deleted kubernetes/infrastructure/networking/cilium/ipam/old\\ncargo::rustc-cfg=evil/pool.yaml"), "{output}");

    // A layout value with a line break: refused, nothing printed for it.
    let plan = root.join("plan.toml");
    let mut text = fs::read_to_string(&plan).expect("plan");
    text.push_str("\n[layout]\npools-dir = \"kubernetes/ipam\\ncargo::rustc-link-arg=-Wl,--evil/{cluster}\"\n");
    fs::write(&plan, text).expect("plan");
    let (ok, _, stderr) = cargo_build(root);
    assert!(!ok, "a line break in pools-dir must fail the build");
    // Cargo keeps no `output` of a failed run; it shows the script's stdout in
    // its error instead, and that holds no directive but the script's own.
    let stdout = stderr
        .split("--- stdout")
        .nth(1)
        .and_then(|s| s.split("--- stderr").next())
        .expect("cargo shows the build script's stdout");
    let printed: String = stdout
        .lines()
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    assert!(
        printed.contains("cargo::rerun-if-changed=plan.toml"),
        "{printed}"
    );
    assert_eq!(
        foreign_directives(&printed),
        Vec::<&str>::new(),
        "{printed}"
    );
    assert!(
        stderr.contains("pools-dir must not contain control characters"),
        "{stderr}"
    );
}
