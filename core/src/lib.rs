//! The validation core of lbipam-plan, shared by its `build.rs` and its library.
//!
//! `plan.toml` → [`plan::parse`] → [`check::check`] → [`render`] / [`edit`] →
//! [`write`]. [`generate::build`] runs the whole chain; [`proof`] re-checks the
//! generated constants at compile time. [`resolve`] works out what each cluster's
//! Flux Kustomizations apply, without kustomize, and holds it against the plan.
//! [`edit`] changes only the parts of hand-written files the build owns, on the
//! domain-free lossless YAML of [`yaml`]; [`error`] is the one error type.

pub mod artifact;
pub mod audit;
pub mod build_script;
pub mod check;
pub mod cilium;
pub mod diag;
pub mod flux;
pub mod generate;
pub(crate) mod glob;
pub mod header;
pub mod net;
pub mod par;
pub mod plan;
pub mod proof;
pub mod read;
pub(crate) mod sync;
pub mod tree;
pub mod usage;
pub mod write;
pub mod yaml;

/// Re-exported for the generated `plan.rs`, which names `ipnet` types.
pub use ipnet;

pub use generate::{build, build_with, verify};
pub use sync::Mode;

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
