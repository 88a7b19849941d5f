//! `lbipam init`: plan.toml for a repository that already runs Cilium LB-IPAM,
//! read from what its clusters apply ([`lbipam_core::adopt`]); never over an
//! existing plan.

use std::path::Path;

use lbipam_core::ipnet::IpNet;
use lbipam_core::plan::layout::PLAN_FILE;

use crate::Output;

/// Writes `root/plan.toml` (or, with `dry_run`, prints it): each inference on
/// the way is printed with the file that made it; a refusal writes nothing.
pub(crate) fn run(root: &Path, networks: &[IpNet], dry_run: bool) -> Output {
    let path = root.join(PLAN_FILE);
    if !dry_run && (path.exists() || path.is_symlink()) {
        return crate::fail(format!(
            "{} exists already; lbipam init writes a plan only where there is none (--dry-run prints what it would write)",
            path.display()
        ));
    }
    let adopted = match lbipam_core::adopt::adopt(root, networks) {
        Ok(a) => a,
        Err(report) => {
            return Output {
                code: 1,
                stderr: crate::check::render(&report, false),
                ..Output::default()
            };
        }
    };
    let notes: String = adopted
        .notes
        .iter()
        .map(|n| format!("inferred: {}\n", crate::printable(n)))
        .collect();
    if dry_run {
        return Output {
            stdout: adopted.plan,
            stderr: notes,
            ..Output::default()
        };
    }
    if let Err(e) = lbipam_core::write::write_atomic(&path, adopted.plan.as_bytes()) {
        return crate::fail(format!("cannot write {}: {e}", path.display()));
    }
    crate::ok(format!(
        "{notes}wrote {PLAN_FILE}; `lbipam build` (or `cargo build`) now takes over the pool files in place, changing no address\n"
    ))
}
