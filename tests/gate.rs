//! The gate of this repository: whatever `plan.toml` says, the plan is valid, every
//! audit of what each cluster applies passes, the committed files are what the plan
//! renders, and every object passes the strict schema check. (That `PLAN`, the
//! plan as Rust constants, holds the same checks is proven when this crate compiles.) Nothing here names an
//! address: the tests of the tool itself live in its crates (core/, gate/, cli/).

#[test]
fn the_repository_is_what_plan_toml_says() {
    lbipam_gate::gate(env!("CARGO_MANIFEST_DIR"));
}
