//! What the benchmarks share: best-of-N timing, the sizes asked for, and the
//! addresses of the generated plans.

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// The best of `runs` timings of `f`, and what its last run returned.
pub fn best_of<T>(runs: u32, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let out = std::hint::black_box(f());
        best = best.min(start.elapsed());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}

/// The best of `runs` timings of `f`.
pub fn time<T>(runs: u32, f: impl FnMut() -> T) -> Duration {
    best_of(runs, f).0
}

/// The sizes given on the command line (cargo adds `--bench`), or the defaults.
pub fn sizes(default: &[usize]) -> Vec<usize> {
    let given: Vec<usize> = std::env::args().filter_map(|a| a.parse().ok()).collect();
    if given.is_empty() {
        default.to_vec()
    } else {
        given
    }
}

/// An offset into 10.0.0.0/8 as a dotted address.
pub fn dotted(offset: u32) -> String {
    std::net::Ipv4Addr::from(0x0a00_0000u32 + offset).to_string()
}
