#![warn(unreachable_pub)]
//! The validation core of lbipam-plan, shared by its `build.rs` and its library.
//!
//! The data flows up through layers; a module uses its own layer and those below,
//! never one above (`core/tests/layers.rs` holds the code to this order and
//! finds any cycle between module files, `yaml/` counted as one):
//!
//! - primitives — [`net`] (addresses, blocks, intervals), `glob`, [`par`],
//!   [`read`], [`text`] (the line index), [`xml`] (the XML escaper), [`header`]
//!   (the generated-file header), `yaml` (lossless YAML, domain-free);
//! - diagnostics — [`diag`]: the codes, the one error type, the rendered report;
//! - the model — [`plan`] (types, parse, layout), [`check`] (the plan checker),
//!   [`proof`] (the compile-time re-check), [`usage`], [`cilium`] (what Cilium
//!   makes of the plan);
//! - the repository — [`tree`]: files on disk or pending, and the one parse cache;
//!   [`write`](mod@write): the build's changes, atomic;
//! - [`flux`] — what each cluster's Flux Kustomizations apply, without kustomize;
//! - [`audit`] — the hand-written files held against the plan and that model;
//! - [`artifact`] — what the plan renders, whole files and edits of the parts the
//!   build owns;
//! - the build — [`generate`] (load → proof → artifacts → edits → pending tree →
//!   audit → check or write), `mode` (write or check), [`build_script`], and this crate root;
//! - [`adopt`] — `lbipam init`: a plan read from a repository that already runs
//!   LB-IPAM, checked by computing the build's outputs.
//!
//! # Entry points
//!
//! The repository's `build.rs` is three lines ([`build_script::run`] reads
//! `CARGO_MANIFEST_DIR`, `OUT_DIR` and `CI`, prints the report and the
//! `rerun-if` lines):
//!
//! ```no_run
//! // build.rs: fn main() {
//! lbipam_core::build_script::run();
//! // }
//! ```
//!
//! A gate, `tests/gate.rs`, checks everything the build checks, in check mode,
//! and panics with the whole report ([`gate`]; [`verify`] returns it instead).
//! This repository's own gate calls `lbipam_gate::gate`, which adds the strict
//! schema check of every object on top:
//!
//! ```no_run
//! #[test]
//! fn the_repository_is_what_plan_toml_says() {
//!     lbipam_core::gate(env!("CARGO_MANIFEST_DIR"));
//! }
//! ```
//!
//! A tool that builds a repository in a mode of its own choosing (the CLI's
//! `lbipam build`) calls [`generate::build_files`]; one that only reads the plan,
//! [`generate::load`], or [`check::compile`] for a text. Every finding carries a
//! stable code (manual/codes.md):
//!
//! ```
//! let errors = lbipam_core::check::compile("[network]\ncidr = \"10.0.0.0/24\"\ncolour = 1\n")
//!     .expect_err("not a plan");
//! assert!(errors.iter().any(|e| e.code() == "unknown-key"));
//! ```

pub(crate) mod glob;
pub mod header;
pub mod net;
pub mod par;
pub mod read;
pub mod text;
pub mod xml;
pub(crate) mod yaml;

pub mod diag;

pub mod check;
pub mod cilium;
pub mod plan;
pub mod proof;
pub mod usage;

pub mod tree;
pub mod write;

pub mod flux;

pub mod audit;

pub mod artifact;

pub mod build_script;
pub mod generate;
pub(crate) mod mode;

pub mod adopt;

/// Re-exported for the generated `plan.rs`, which names `ipnet` types.
pub use ipnet;

pub use generate::{build, build_with, verify};
pub use mode::Mode;

/// The gate for a repository's `tests/gate.rs`: panics with the whole report
/// unless plan.toml is valid, every audit of what each cluster applies passes,
/// and the committed files are what plan.toml renders ([`verify`], in check
/// mode whatever the environment). `root` is the directory holding plan.toml.
pub fn gate(root: impl AsRef<std::path::Path>) {
    let plan = root.as_ref().join(plan::layout::PLAN_FILE);
    if let Err(report) = verify(&plan) {
        panic!("{}", report.render_all());
    }
}
