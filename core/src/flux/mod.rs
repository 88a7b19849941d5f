//! The kustomize/Flux model: the Flux Kustomizations of a cluster's files and
//! what each of them applies, worked out from the repository alone. A model, not
//! a policy: what the plan says of the result is [`crate::audit`]'s.

pub mod entry;
pub mod kustomization;
pub mod resolve;
