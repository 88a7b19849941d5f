//! The committed tree is what the plan renders: a stale file fails the gate with
//! its name and the command that fixes it (rust-analyzer's `ensure_file_contents`).

use std::path::Path;

use lbipam_plan::PLAN;
use lbipam_plan::generate::{compile, outputs};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_files_equal_a_fresh_render_of_the_plan() {
    let outs = outputs(root(), &PLAN).unwrap_or_else(|r| panic!("{r}"));
    let mut stale = Vec::new();
    for (path, want) in &outs.files {
        let have = std::fs::read_to_string(root().join(path)).unwrap_or_default();
        if have != *want {
            stale.push(path.display().to_string());
        }
    }
    for path in &outs.remove {
        stale.push(format!(
            "{} (no longer produced by the plan)",
            path.display()
        ));
    }
    assert!(
        stale.is_empty(),
        "generated files are out of date with plan.toml:\n  {}\nrun `cargo build` and commit the result",
        stale.join("\n  ")
    );
}

#[test]
fn plan_constant_is_the_committed_plan_toml() {
    let text = std::fs::read_to_string(root().join("plan.toml")).expect("plan.toml");
    let parsed = compile(&text).unwrap_or_else(|e| panic!("plan.toml is invalid: {e:?}"));
    assert_eq!(parsed, PLAN, "PLAN is stale: run `cargo build`");
}
