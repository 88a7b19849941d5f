//! File globs of `[layout] exclude`, matched against paths relative to the repo root.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// A set of globs; `*` stays within one path segment, `**` crosses them.
#[derive(Clone, Debug)]
pub struct Globs(GlobSet);

impl Globs {
    /// Compiles the globs, or says why one is not valid.
    pub fn new<'a>(globs: impl IntoIterator<Item = &'a str>) -> Result<Globs, String> {
        let mut set = GlobSetBuilder::new();
        for g in globs {
            let glob = GlobBuilder::new(g)
                .literal_separator(true)
                .build()
                .map_err(|e| e.kind().to_string())?;
            set.add(glob);
        }
        set.build().map(Globs).map_err(|e| e.to_string())
    }

    /// Whether a path matches any glob.
    pub fn matches(&self, path: &Path) -> bool {
        self.0.is_match(path)
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
