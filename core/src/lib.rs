//! The validation core of lbipam-plan, shared by its `build.rs` and its library.
//!
//! The data flows up through layers; a module uses its own layer and those below,
//! never one above (`core/tests/layers.rs` holds the code to this order and
//! finds any cycle):
//!
//! - primitives — [`net`] (addresses, blocks, intervals), `glob`, [`par`],
//!   [`read`], [`text`] (the line index), [`write`] (atomic writes), [`header`] (the generated-file header),
//!   [`yaml`] (lossless YAML, domain-free);
//! - diagnostics — [`diag`]: the codes, the one error type, the rendered report;
//! - the model — [`plan`] (types, parse, layout), [`check`] (the plan checker),
//!   [`proof`] (the compile-time re-check), [`usage`], [`cilium`] (what Cilium
//!   makes of the plan);
//! - the repository — [`tree`]: files on disk or pending, and the one parse cache;
//! - [`flux`] — what each cluster's Flux Kustomizations apply, without kustomize;
//! - [`audit`] — the hand-written files held against the plan and that model;
//! - [`artifact`] — what the plan renders, whole files and edits of the parts the
//!   build owns;
//! - the build — [`generate`] (load → proof → artifacts → edits → pending tree →
//!   audit → check or write), `sync`, [`build_script`], and this crate root;
//! - [`adopt`] — `lbipam init`: a plan read from a repository that already runs
//!   LB-IPAM, checked by computing the build's outputs.

pub(crate) mod glob;
pub mod header;
pub mod net;
pub mod par;
pub mod read;
pub mod text;
pub mod write;
pub mod yaml;

pub mod diag;

pub mod check;
pub mod cilium;
pub mod plan;
pub mod proof;
pub mod usage;

pub mod tree;

pub mod flux;

pub mod audit;

pub mod artifact;

pub mod build_script;
pub mod generate;
pub(crate) mod sync;

pub mod adopt;

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
