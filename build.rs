//! Validates plan.toml and regenerates the repository from it; see README.md.

use std::path::PathBuf;

fn main() {
    // Inputs only: plan.toml, and the hand-written files the build edits or audits.
    // Generated files are not listed, so an in-sync tree leaves the crate Fresh.
    for input in [
        "plan.toml",
        "kubernetes",
        "bootstrap",
        "docs/architecture.md",
    ] {
        println!("cargo::rerun-if-changed={input}");
    }
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    match lbipam_core::build(&root, &out_dir) {
        Ok(summary) => summary
            .warnings
            .iter()
            .for_each(|w| println!("cargo::warning={w}")),
        Err(report) => {
            eprintln!("{report}");
            std::process::exit(1);
        }
    }
}
