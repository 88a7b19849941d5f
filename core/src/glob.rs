//! File globs of `[layout] exclude`, matched against paths relative to the repo root.

use std::path::Path;

use glob::{MatchOptions, Pattern};

/// A set of globs; `*` stays within one path segment, `**` crosses them.
#[derive(Clone, Debug)]
pub(crate) struct Globs(Vec<Pattern>);

/// `*` and `?` never match a `/`; a leading `.` is matched like any character.
const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

impl Globs {
    /// Compiles the globs, or says why one is not valid.
    pub(crate) fn new<'a>(globs: impl IntoIterator<Item = &'a str>) -> Result<Globs, String> {
        globs
            .into_iter()
            .map(|g| Pattern::new(g).map_err(|e| e.msg.to_string()))
            .collect::<Result<_, _>>()
            .map(Globs)
    }

    /// Whether a path matches any glob.
    pub(crate) fn matches(&self, path: &Path) -> bool {
        self.0.iter().any(|g| g.matches_path_with(path, OPTIONS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_stays_in_its_directory_and_two_stars_cross_them() {
        let g = Globs::new(["kubernetes/*/templates/*.yaml", "tools/**"]).expect("globs");
        assert!(g.matches(Path::new("kubernetes/chart/templates/svc.yaml")));
        assert!(!g.matches(Path::new("kubernetes/a/b/templates/svc.yaml")));
        assert!(g.matches(Path::new("tools/x/y/z.yaml")));
        assert!(Globs::new(["a/[b"]).is_err());
    }
}
