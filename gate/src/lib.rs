//! The schema gate of lbipam-plan, a workspace member of its own so that its
//! heavy dev-dependencies (the CRD-generated `kcr_*` types, `k8s-openapi`) are
//! not copied into the trybuild project of the root crate's compile-fail tests.
//! Everything is in `tests/gate_schema.rs`; this library is empty.
