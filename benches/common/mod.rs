//! What the benchmarks share: best-of-N timing.

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
