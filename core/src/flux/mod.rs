//! The kustomize/Flux model: the Flux Kustomizations of a cluster's files and
//! what each of them applies, worked out from the repository alone. A model, not
//! a policy: what the plan says of the result is the audits' (`audit`).
//!
//! `object` is one object of a build; `kustomize/` is kustomize's build (the
//! one walker through kustomization files, strict for the resolver, lenient
//! for the schema gate); `kustomization` finds the Flux Kustomizations of a
//! cluster's files; `resolve` builds each of them as Flux does, and `entry`
//! follows the Flux Kustomizations those builds apply, strictly, per cluster;
//! `reach` is its lenient twin over the whole repository: which files are
//! objects at all, for the schema gate.

pub mod entry;
pub mod kustomization;
pub mod kustomize;
pub mod object;
pub mod reach;
pub mod resolve;
