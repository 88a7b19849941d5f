//! Whether a build may write the repository, and what check mode reports when the
//! committed tree is not what the plan renders.
//!
//! CI must not repair a broken commit: Flux applies what is committed, not what
//! the plan says. So in CI the build computes everything as usual, writes nothing
//! outside `OUT_DIR`, and fails naming each file that differs.

use std::path::{Path, PathBuf};

use crate::diag::error::Error;

/// How a build treats the files it owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Write what changed (a developer's `cargo build`).
    Write,
    /// Write nothing; fail if any owned file differs from the plan (CI).
    Check,
}

/// The environment variables that select [`Mode::Check`]. `CI` is set by every
/// CI provider; `LBIPAM_CHECK` asks for the check anywhere (a pre-commit hook).
pub(crate) const CHECK_VARS: [&str; 2] = ["CI", "LBIPAM_CHECK"];

impl Mode {
    /// Check mode when `CI` or `LBIPAM_CHECK` is set to anything but empty,
    /// `0` or `false`; write mode otherwise.
    pub(crate) fn from_env() -> Mode {
        let set =
            |var: &str| std::env::var_os(var).is_some_and(|v| is_truthy(&v.to_string_lossy()));
        if CHECK_VARS.iter().any(|v| set(v)) {
            Mode::Check
        } else {
            Mode::Write
        }
    }
}

fn is_truthy(value: &str) -> bool {
    let v = value.trim();
    !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false"))
}

/// One [`Error::Stale`] per file whose committed bytes are not `wanted`, and per
/// generated file in `remove` that still exists. Reads, never writes.
pub(crate) fn stale(root: &Path, wanted: &[(PathBuf, String)], remove: &[PathBuf]) -> Vec<Error> {
    let mut errors: Vec<Error> =
        crate::par::map(wanted, |(path, rendered)| differs(root, path, rendered))
            .into_iter()
            .flatten()
            .collect();
    for path in remove {
        if root.join(path).exists() {
            errors.push(Error::Stale {
                path: path.clone(),
                line: 1,
                found: Some(String::new()),
                rendered: None,
            });
        }
    }
    errors
}

/// The [`Error::Stale`] of one file whose committed bytes are not `rendered`.
fn differs(root: &Path, path: &Path, rendered: &str) -> Option<Error> {
    use crate::read::Committed;
    match crate::read::committed(&root.join(path), rendered) {
        Committed::Same => None,
        Committed::Differs(bytes) => {
            let found = String::from_utf8_lossy(&bytes);
            let (line, found, rendered) = first_difference(&found, rendered);
            Some(Error::Stale {
                path: path.to_owned(),
                line,
                found: Some(found),
                rendered: Some(rendered),
            })
        }
        Committed::Unreadable(error) => Some(Error::unreadable(path, &error)),
        Committed::Missing => Some(Error::Stale {
            path: path.to_owned(),
            line: 1,
            found: None,
            rendered: Some(String::new()),
        }),
    }
}

/// What a line shows when one text ends before the other.
const END_OF_FILE: &str = "<end of file>";

/// The first line (1-based) on which two texts differ, and that line in each,
/// without its line break. A difference only in line breaks shows them escaped.
pub(crate) fn first_difference(found: &str, rendered: &str) -> (usize, String, String) {
    let mut a = found.split_inclusive('\n');
    let mut b = rendered.split_inclusive('\n');
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                let shown = |l: Option<&str>, other: Option<&str>| match l {
                    None => END_OF_FILE.to_owned(),
                    Some(l) if other.map(bare) == Some(bare(l)) => l.to_owned(),
                    Some(l) => bare(l).to_owned(),
                };
                return (line, shown(x, y), shown(y, x));
            }
        }
    }
}

fn bare(line: &str) -> &str {
    line.trim_end_matches(['\n', '\r'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_values_that_mean_off_leave_write_mode() {
        for off in ["", "0", "false", "FALSE", " "] {
            assert!(!is_truthy(off), "{off:?}");
        }
        for on in ["true", "1", "yes", "True"] {
            assert!(is_truthy(on), "{on:?}");
        }
    }

    #[test]
    fn the_first_differing_line_is_named_with_both_versions() {
        let (line, found, rendered) = first_difference("a\nb\nc\n", "a\nB\nc\n");
        assert_eq!((line, found.as_str(), rendered.as_str()), (2, "b", "B"));
    }

    #[test]
    fn a_shorter_file_differs_at_its_end() {
        let (line, found, rendered) = first_difference("a\n", "a\nb\n");
        assert_eq!(line, 2);
        assert_eq!(found, END_OF_FILE);
        assert_eq!(rendered, "b");
    }

    #[test]
    fn a_difference_only_in_line_breaks_shows_them() {
        let (line, found, rendered) = first_difference("a\r\n", "a\n");
        assert_eq!(
            (line, found.as_str(), rendered.as_str()),
            (1, "a\r\n", "a\n")
        );
    }
}
