//! lbipam-plan: the GitOps repository that cannot be committed with a wrong
//! LoadBalancer IP.
//!
//! `build.rs` compiles `plan.toml` into the repository's manifests and into the
//! [`PLAN`] constant below; this crate re-exports the validation core so tests
//! and tools use the same checks and renderers as the build.

pub use lbipam_core::*;

include!(concat!(env!("OUT_DIR"), "/plan.rs"));
