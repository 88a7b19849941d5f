//! The pool API version: `cilium.io/v2alpha1` (the seed's) makes the build warn,
//! once, when it writes pools; `cilium.io/v2` is written without a warning.

mod common;

use std::fs;

use common::{edit, scratch_repo};
use lbipam_core::build;

const POOL: &str = "kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml";

#[test]
fn writing_pools_as_v2alpha1_warns_once_and_v2_does_not() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out dir");
    let plan = repo.path().join("plan.toml");
    // The committed tree is in sync: nothing is written, nothing said.
    let quiet = build(repo.path(), out.path()).expect("build");
    assert_eq!(quiet.warnings.warning_lines(), Vec::<String>::new());
    // A pool changes: written as v2alpha1, with the warning.
    edit(
        &plan,
        "10.25.11.120-10.25.11.139",
        "10.25.11.120-10.25.11.140",
    );
    let moved = build(repo.path(), out.path()).expect("build");
    let said = moved.warnings.warning_lines();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("warning[deprecated-pool-api]: plan.toml:")
            && said[0].contains("cilium.io/v2 is the storage version since 1.18")
            && said[0].contains("plan.toml writes neither [cilium] api-version nor version"),
        "{said:?}"
    );
    assert!(
        fs::read_to_string(repo.path().join(POOL))
            .expect("pool")
            .contains("apiVersion: cilium.io/v2alpha1\n")
    );
    assert!(
        build(repo.path(), out.path())
            .expect("again")
            .warnings
            .warnings
            .is_empty()
    );
    // Moved to v2: the pools are rewritten, silently.
    edit(
        &plan,
        "[cilium]\n",
        "[cilium]\napi-version = \"cilium.io/v2\"\n",
    );
    let v2 = build(repo.path(), out.path()).expect("build");
    assert!(v2.warnings.warnings.is_empty(), "{:?}", v2.warnings);
    assert!(
        fs::read_to_string(repo.path().join(POOL))
            .expect("pool")
            .contains("apiVersion: cilium.io/v2\n")
    );
}
