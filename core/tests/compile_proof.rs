//! The generated `PLAN` carries its own proof: a crate holding an invalid plan
//! constant does not compile, even if the constants are written by hand.

#[test]
fn an_invalid_plan_constant_does_not_compile() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
