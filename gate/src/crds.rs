//! The upstream CRD schemas the gate checks custom resources against.
//!
//! `gate/crds/` holds one minified JSON file per CustomResourceDefinition, in
//! the compact form `gate/crds/extract.py` writes (its `README.md` names the
//! sources the files were written by hand from): for every served version, the
//! group, version, kind, scope and `openAPIV3Schema`. The files are embedded in the
//! binary; a file's schemas are parsed once, the first time an object of one
//! of its kinds is checked, so a repository with no Flux objects never parses
//! Flux's schemas.

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value as Schema;

use crate::schema::Scope;

/// One embedded CRD file.
pub(crate) struct CrdFile {
    name: &'static str,
    text: &'static str,
    parsed: OnceLock<Result<Vec<Served>, String>>,
}

/// What the kind table needs of a served version; the schema is skipped.
#[derive(Deserialize)]
struct Header {
    group: String,
    version: String,
    kind: String,
    scope: String,
}

#[derive(Deserialize)]
struct Served {
    schema: Schema,
}

/// A row of the kind table taken from a CRD file: its `apiVersion`, `kind`,
/// scope, and where to find its schema.
pub(crate) struct CrdRow {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) scope: Scope,
    pub(crate) file: &'static CrdFile,
    pub(crate) index: usize,
}

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        static FILES: [CrdFile; [$($name),*].len()] = [$(CrdFile {
            name: $name,
            text: include_str!(concat!("../crds/", $name, ".json")),
            parsed: OnceLock::new(),
        }),*];
    };
}

embedded![
    "ciliumbgpadvertisements.cilium.io",
    "ciliumbgpclusterconfigs.cilium.io",
    "ciliumbgpnodeconfigoverrides.cilium.io",
    "ciliumbgppeerconfigs.cilium.io",
    "ciliumcidrgroups.cilium.io",
    "ciliuml2announcementpolicies.cilium.io",
    "ciliumloadbalancerippools.cilium.io",
    "ciliumpodippools.cilium.io",
    "kustomizations.kustomize.toolkit.fluxcd.io",
    "helmreleases.helm.toolkit.fluxcd.io",
    "buckets.source.toolkit.fluxcd.io",
    "gitrepositories.source.toolkit.fluxcd.io",
    "helmcharts.source.toolkit.fluxcd.io",
    "helmrepositories.source.toolkit.fluxcd.io",
    "ocirepositories.source.toolkit.fluxcd.io",
];

/// One row per served version of every embedded CRD. A file that does not
/// read gives no rows: its kinds are untyped, and the gate's tests, which
/// list the kinds they expect, fail.
pub(crate) fn rows() -> Vec<CrdRow> {
    let mut rows = Vec::new();
    for file in &FILES {
        let Ok(headers) = serde_json::from_str::<Vec<Header>>(file.text) else {
            continue;
        };
        for (index, h) in headers.into_iter().enumerate() {
            let scope = match h.scope.as_str() {
                "Cluster" => Scope::Cluster,
                _ => Scope::Namespaced,
            };
            rows.push(CrdRow {
                api_version: format!("{}/{}", h.group, h.version),
                kind: h.kind,
                scope,
                file,
                index,
            });
        }
    }
    rows
}

impl CrdFile {
    /// The `openAPIV3Schema` of the file's `index`th served version, parsed
    /// on first use.
    pub(crate) fn schema(&self, index: usize) -> Result<&Schema, String> {
        let parsed = self.parsed.get_or_init(|| {
            serde_json::from_str::<Vec<Served>>(self.text).map_err(|e| e.to_string())
        });
        match parsed {
            Ok(served) => served
                .get(index)
                .map(|s| &s.schema)
                .ok_or_else(|| format!("the embedded CRD {} has no version {index}", self.name)),
            Err(e) => Err(format!(
                "the embedded CRD {} does not parse: {e}",
                self.name
            )),
        }
    }
}
