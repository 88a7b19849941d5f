//! Validates plan.toml and brings the repository in line with it; see README.md.

fn main() {
    lbipam_core::build_script::run();
}
