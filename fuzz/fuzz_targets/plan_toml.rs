//! Any plan.toml text: compiling it and reporting its errors never panics, every
//! diagnostic is one line, and the compile-time proof's verdict on a plan that
//! parses equals the checker's on the rules the proof covers.

#![no_main]

use lbipam_core::check::check;
use lbipam_core::diag::Report;
use lbipam_core::check::compile;
use lbipam_core::plan::parse;
use lbipam_core::proof::{Item, covers, scratch_len, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errors) = compile(text) {
        let report = Report::new("plan.toml", text, errors);
        for line in report.lines() {
            assert!(!line.contains('\n'), "a multi-line diagnostic: {line:?}");
        }
        assert!(report.render().ends_with("nothing was written\n"));
    }
    if let Ok(plan) = parse(text) {
        let mut scratch = vec![Item::EMPTY; scratch_len(&plan)];
        let proof = validate(&plan, &mut scratch).is_ok();
        let checked = check(&plan).iter().all(|e| !covers(e));
        assert_eq!(proof, checked, "the proof and the checker disagree");
    }
});
