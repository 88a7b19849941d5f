//! Repository-wide audits of hand-written YAML, on what the resolver
//! ([`crate::flux`]) says each cluster applies: the IP requests a manifest makes
//! ([`requests`]) are the cluster's own (`stray`) and may share an address
//! ([`sharing`]); a cluster applies its own pools alone ([`isolation`]); a
//! cluster-settings value is no other cluster's address (`settings`); a finding
//! can be suppressed (`suppress`). This module reads the files and drives them.
//!
//! The seed repository's two real bugs were hand-written IPs — an apps ClusterMesh
//! annotation on `10.25.12.100`, an infra Gateway on the apps pool's first address —
//! which no per-file check could see.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::diag::codes::Code;
use crate::diag::error::{Error, Location};
use crate::glob::Globs;
use crate::plan::Plan;
use crate::tree::{Documents, Links, Tree, Walked, is_yaml};
use crate::usage::AddressMap;
use crate::yaml;
use releases::Releases;
use requests::{IpRequest, Role};

mod advertise;
mod appliers;
pub(crate) mod chart_values;
mod families;
pub mod isolation;
pub(crate) mod releases;
pub mod requests;
mod settings;
pub mod sharing;
mod stray;
pub(crate) mod suppress;

use appliers::{Applier, OwnDirs, appliers};
use settings::stale_settings;
pub use stray::Requested;
use stray::stray_ips;

/// What the audits found: errors, notices, and the texts they read (for the
/// excerpts of the report).
#[derive(Debug, Default)]
pub struct Audit {
    /// Every problem, in file order.
    pub errors: Vec<Error>,
    /// Findings that do not fail the build (files skipped, values not audited).
    pub warnings: Vec<Error>,
    /// The texts of the files read.
    pub texts: BTreeMap<PathBuf, String>,
    /// Every LoadBalancer IP asked for, in file order.
    pub requested: Vec<Requested>,
}

/// Every audit of the tree the build leaves: the Flux inclusion gate (each
/// cluster applies exactly its pools), then every LoadBalancer IP requested in
/// any YAML file, held against the clusters that really apply it, and the
/// `cluster-settings` of each cluster. Files in `skip` (already reported) are
/// not read, and while there are any, the resolver does not run.
pub fn audit(tree: &Tree, plan: &Plan, skip: &BTreeSet<PathBuf>) -> Audit {
    // A file the build could not edit is broken already: resolving through it
    // would only report it again, so the resolver waits for the fix.
    let listed = yaml_files(tree, &plan.layout.audit_roots());
    let (builds, mut errors) = if skip.is_empty() {
        preparse(tree, &listed.0);
        isolation::resolve_repo(tree, plan)
    } else {
        Default::default()
    };
    let releases = Releases::new(&builds);
    let mut applied = appliers(&builds);
    for (path, values) in &releases.values_files {
        let list = applied.entry(path.clone()).or_default();
        list.extend(values.appliers.iter().cloned());
    }
    let mut out = Audit::default();
    out.warnings.extend(releases.unread.iter().cloned());
    let (dual_stack, notices) = families::dual_stack(plan, &builds);
    errors.extend(dual_stack);
    out.warnings.extend(notices);
    out.warnings
        .extend(builds.iter().flat_map(|b| &b.notes).cloned());
    let mut skipped = Vec::new();
    let own = OwnDirs::new(plan);
    let map = AddressMap::new(plan);
    // Files that ask for an address: the only ones the sharing rules read again.
    let mut asking = BTreeSet::new();
    let (read, refused) = read_files(tree, &map, skip, listed, (&applied, &releases), &own);
    errors.extend(refused);
    for (path, found) in read {
        if out.take(path.clone(), found, &mut errors, &mut skipped) {
            asking.insert(path);
        }
    }
    let asked: BTreeMap<PathBuf, String> = out
        .texts
        .iter()
        .filter(|(p, _)| asking.contains(*p))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect();
    errors.extend(shared_ips(tree, &map, &own, &asked, (&applied, &releases)));
    errors.extend(every_stale_setting(tree, plan, &map, &out.texts));
    errors.extend(advertise::check(tree, plan));
    skipped.retain(|(path, _)| !is_chart_template(tree, path) && !reported(&errors, path));
    out.warnings.extend(skipped_warnings(skipped));
    out.errors = crate::audit::suppress::apply(tree, errors, &out.texts);
    out
}

impl Audit {
    /// Takes what was read of the file at `path`: its text, requests, findings
    /// and notes, or why it was skipped. Whether it asks for an address.
    fn take(
        &mut self,
        path: PathBuf,
        found: Read,
        errors: &mut Vec<Error>,
        skipped: &mut Vec<(PathBuf, String)>,
    ) -> bool {
        match found {
            Read::Unreadable(why) => skipped.push((path, format!("it cannot be read ({why})"))),
            Read::Unparsed(bytes) => skipped.push((path, unparsed(bytes))),
            Read::NotYaml { text, why } => {
                let why = format!("not valid YAML ({})", why.lines().next().unwrap_or(""));
                skipped.push((path.clone(), why));
                self.texts.insert(path, text);
            }
            Read::Generated => {}
            Read::Text {
                text,
                asks,
                requested,
                errors: found,
                notes,
            } => {
                self.warnings.extend(notes);
                self.requested.extend(requested);
                errors.extend(found);
                self.texts.insert(path, text);
                return asks;
            }
            Read::Failed(e) => errors.push(e),
        }
        false
    }
}

/// Every value of a cluster's settings ConfigMap (among `texts`) that is an
/// address of another cluster's pool, the clusters side by side.
fn every_stale_setting(
    tree: &Tree,
    plan: &Plan,
    map: &AddressMap,
    texts: &BTreeMap<PathBuf, String>,
) -> Vec<Error> {
    let settings: Vec<_> = plan
        .clusters
        .iter()
        .filter_map(|c| {
            let path = plan.layout.settings_file(&c.name.item)?;
            let text = texts.get(&path)?;
            Some((&c.name.item, path, text))
        })
        .collect();
    let stale = crate::par::map(settings, |(c, path, text)| {
        stale_settings(map, c, (&path, text), &tree.documents(&path, text))
    });
    stale.into_iter().flatten().collect()
}

/// Reads and parses the audited YAML files side by side, so the resolver, which
/// walks a cluster's Kustomizations one after another, finds each parse ready
/// in the tree. Files the tree does not keep the text of are left to whoever
/// reads them.
fn preparse(tree: &Tree, paths: &[PathBuf]) {
    crate::par::map(paths, |path| {
        if let Ok(text) = tree.read(path)
            && text.len() <= crate::tree::TEXT_CACHE_LIMIT
        {
            tree.documents(path, &text);
        }
    });
}

/// Every YAML file under the audited directories and every file a cluster
/// applies (wherever it lies, however it is named: a `.json` resource), read
/// and checked side by side, in path order; and the symlinks refused on the way (`listed`:
/// what [`yaml_files`] found under the audited directories).
fn read_files(
    tree: &Tree,
    map: &AddressMap,
    skip: &BTreeSet<PathBuf>,
    (mut paths, refused): (Vec<PathBuf>, Vec<Error>),
    (applied, releases): (&HashMap<PathBuf, Vec<Applier>>, &Releases),
    own: &OwnDirs,
) -> (Vec<(PathBuf, Read)>, Vec<Error>) {
    let excluded = Globs::new(map.plan().layout.exclude.iter().map(|g| &*g.item)).ok();
    let excluded = |path: &Path| excluded.as_ref().is_some_and(|g| g.matches(path));
    paths.extend(applied.keys().cloned());
    paths.sort();
    paths.dedup();
    paths.retain(|p| !skip.contains(p) && !excluded(p));
    // A symlink where the build writes is refused by the write step, by name.
    let refused = refused
        .into_iter()
        .filter(|e| match e {
            Error::File { path, .. } => !tree.is_pending(path),
            _ => true,
        })
        .collect();
    let read = crate::par::map(paths, |path| {
        let how = applied.get(&path).map_or(&[][..], Vec::as_slice);
        let found = releases.with_role(&path, |role| read_file(tree, map, own, &path, how, role));
        (path, found)
    });
    (read, refused)
}

/// What the audit makes of one file.
enum Read {
    /// Not readable as text, and applied by no cluster: skipped with a notice.
    Unreadable(String),
    /// A file of this many bytes, applied by no cluster, too large to parse and
    /// asking for no address: skipped with a notice.
    Unparsed(usize),
    /// Text that is not YAML, applied by no cluster: skipped with a notice.
    NotYaml { text: String, why: String },
    /// A file the build renders whole: it asks for no address.
    Generated,
    /// Its text, whether it asks for an address, what it asks for (as far as
    /// the addresses are known), and the problems with that.
    Text {
        text: String,
        asks: bool,
        requested: Vec<Requested>,
        errors: Vec<Error>,
        /// Helm values keys that look like requests but are not read.
        notes: Vec<Error>,
    },
    /// A file some cluster applies that cannot be read.
    Failed(Error),
}

/// Reads one file and checks the LoadBalancer IPs it asks for; `how`: the
/// clusters applying it.
fn read_file(
    tree: &Tree,
    map: &AddressMap,
    own: &OwnDirs,
    path: &Path,
    how: &[Applier],
    role: &Role<'_>,
) -> Read {
    let text = match tree.read(path) {
        Ok(text) => text,
        Err(e) if how.is_empty() => return Read::Unreadable(e.to_string()),
        Err(e) => return Read::Failed(unreadable(path, &e, how)),
    };
    // A file the build renders whole asks for no address (pools list blocks,
    // not requests): reading it again is all cost, at a fleet's thousands.
    if tree.is_pending(path) && crate::header::is_generated(&text) {
        return Read::Generated;
    }
    // Whether or not anything applies it: a file whose lines YAML 1.1 tools
    // read differently could hide a request from any later reader.
    if let Err(e) = yaml::check_line_breaks(&text) {
        let errors = vec![Error::invalid_yaml(path, e)];
        return Read::Text {
            text,
            asks: false,
            requested: Vec::new(),
            errors,
            notes: Vec::new(),
        };
    }
    // Parsing runs at tens of MB/s and holds the whole tree of values: a large
    // file nobody applies, whose text holds no key that asks for an address, has
    // nothing to audit, and is not parsed just to say whether it is valid YAML.
    if how.is_empty() && text.len() > PARSE_LIMIT && !requests::may_ask_for_ips(&text) {
        return Read::Unparsed(text.len());
    }
    let docs = tree.documents(path, &text);
    match requests::requests_of(&docs, role) {
        Ok(requests) => {
            let (mut errors, requested) = stray_ips(map, own, path, &requests, how);
            errors.extend(shadowed(path, &requests));
            let asks = !requests.is_empty();
            let notes = unread_notes(path, &docs, role);
            Read::Text {
                text,
                asks,
                requested,
                errors,
                notes,
            }
        }
        Err(e) if how.is_empty() => Read::NotYaml {
            text,
            why: e.message,
        },
        Err(e) => Read::Text {
            text,
            asks: false,
            requested: Vec::new(),
            errors: vec![Error::invalid_yaml(path, e)],
            notes: Vec::new(),
        },
    }
}

/// A notice for each `loadBalancerIP` of HelmRelease values the audit does not
/// read as a request (see [`chart_values`]): never silent.
fn unread_notes(path: &Path, docs: &Documents, role: &Role<'_>) -> Vec<Error> {
    requests::unread_values(docs, role)
        .into_iter()
        .map(|(line, column, why)| {
            let message = format!(
                "this loadBalancerIP of HelmRelease values is not audited: {why} (manual/build.md, \"HelmRelease values\")"
            );
            Error::file(Code::UnauditedValues, path, line, column, message)
        })
        .collect()
}

/// The largest file nobody applies that the audit parses when its text asks for
/// no address (about a third of a second of parsing).
const PARSE_LIMIT: usize = 8 << 20;

/// Why a file was not parsed, for the notice.
fn unparsed(bytes: usize) -> String {
    format!(
        "{:.1} MB, larger than the {} MiB the audit parses of a file whose text asks for no LoadBalancer IP, so it was not read as YAML",
        bytes as f64 / 1e6,
        PARSE_LIMIT >> 20
    )
}

/// Alias-key requests Cilium never reads: the same annotations ask for other
/// addresses with the primary key, which it reads first.
fn shadowed(path: &Path, requests: &[IpRequest]) -> Vec<Error> {
    let [(primary, _), (alias, _)] = crate::cilium::IP_ANNOTATIONS;
    let shadowed = requests
        .iter()
        .filter_map(|r| Some((r, r.shadowed_by.as_ref()?)));
    shadowed
        .map(|(r, by)| Error::file(Code::ShadowedIpAnnotation, path.to_owned(), r.line, r.column, format!(
                "`{alias}: {}` is never read: the same annotations ask for `{by}` with {primary}, \
                 which Cilium reads first; remove one of the two or make them agree",
                r.value
            )))
        .collect()
}

fn unreadable(path: &Path, why: &std::io::Error, how: &[Applier]) -> Error {
    Error::file(
        Code::of_read(why),
        path.to_owned(),
        1,
        1,
        format!(
            "{} cannot be read ({why}), but cluster {} applies it through Flux Kustomization {}",
            path.display(),
            how[0].cluster,
            how[0].kustomization
        ),
    )
}

/// Whether one of `errors` is in the file at `path`: a file a cluster's build
/// broke on is applied, and reported already, not skipped.
fn reported(errors: &[Error], path: &Path) -> bool {
    errors
        .iter()
        .any(|e| matches!(e.location(), Location::File { path: at, .. } if at == path))
}

/// A warning at each file skipped (not YAML, not readable, too large to
/// audit), in path order: what the audits did not see is said where it is.
fn skipped_warnings(mut skipped: Vec<(PathBuf, String)>) -> impl Iterator<Item = Error> {
    skipped.sort_by(|a, b| a.0.cmp(&b.0));
    skipped.into_iter().map(|(path, why)| {
        let message = format!("skipped: {why} and applied by no Flux Kustomization");
        Error::file(Code::SkippedFile, path, 1, 1, message)
    })
}

/// Whether `path` is a Helm chart template: below a `templates/` directory whose
/// parent holds a `Chart.yaml`. Helm renders these; they are not YAML as written.
fn is_chart_template(tree: &Tree, path: &Path) -> bool {
    path.ancestors().skip(1).any(|dir| {
        dir.file_name().is_some_and(|n| n == "templates")
            && dir
                .parent()
                .is_some_and(|chart| tree.is_file(&chart.join("Chart.yaml")))
    })
}

/// Every YAML file below the audited roots, in path order, and the symlinks and
/// directories that cannot be audited (see [`Links::Follow`]).
fn yaml_files(tree: &Tree, roots: &[PathBuf]) -> (Vec<PathBuf>, Vec<Error>) {
    let Walked { mut files, refused } = tree.walk(roots, Links::Follow, |_| true);
    files.retain(|f| is_yaml(f));
    (files, refused)
}

/// The shared-IP and held-back-pin rules of [`crate::audit::sharing`] over the same
/// files: a file is applied to each cluster that applies it; a file no cluster
/// applies, to the cluster of its path, else to the cluster whose pool holds the
/// address.
fn shared_ips(
    tree: &Tree,
    map: &AddressMap,
    own_dirs: &OwnDirs,
    files: &BTreeMap<PathBuf, String>,
    (applied, releases): (&HashMap<PathBuf, Vec<Applier>>, &Releases),
) -> Vec<Error> {
    let plan = map.plan();
    let mut requests = Vec::new();
    for (path, text) in files {
        let docs = tree.documents(path, text);
        let how = applied.get(path).map_or(&[][..], Vec::as_slice);
        let mut clusters: Vec<&str> = how.iter().map(|a| a.cluster.as_str()).collect();
        clusters.dedup();
        for c in clusters {
            requests.extend(releases.with_role(path, |role| {
                crate::audit::sharing::requests_as(plan, path, &docs, role, |_| Some(c.to_owned()))
            }));
        }
        if how.is_empty() {
            let own = own_dirs.cluster_of(path);
            requests.extend(crate::audit::sharing::requests_as(
                plan,
                path,
                &docs,
                &Role::default(),
                |addr| {
                    own.clone()
                        .or_else(|| Some(map.cluster_of(addr)?.name.item.to_string()))
                },
            ));
        }
    }
    crate::audit::sharing::check(
        &requests,
        &crate::audit::sharing::pinned(plan),
        plan.cilium.protocol_differentiation.item,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        crate::check::compile(
            "[network]\ncidr = \"10.0.0.0/24\"\n[clusters.infra.pools.p]\nblocks = [\"10.0.0.8/29\"]\n[clusters.apps.pools.q]\nblocks = [\"10.0.0.16/29\"]\n",
        )
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn the_cheap_first_read_never_loses_a_request_nor_a_parse_error() {
        let cases = [
            "kind: Service\nmetadata:\n  annotations:\n    lbipam.cilium.io/ips: 10.0.0.1\n",
            "kind: Service\nmetadata:\n  annotations: {\"io.cilium/lb-ipam-ips\": \"10.0.0.1,10.0.0.2\"}\n",
            "kind: Service\nspec:\n  !!str loadBalancerIP: 10.0.0.3\n",
            "base: &b {loadBalancerIP: 10.0.0.4}\nkind: Service\nspec:\n  <<: *b\n",
            "a: 1\n---\nkind: Gateway\nspec:\n  addresses:\n  - value: 10.0.0.5\n",
            "kind: Service\nspec:\n  \"loadBalancer\\x49P\": 10.0.0.6\n",
            "kind: Deployment\nspec:\n  replicas: 1\n",
            "a: [1\n",
            "a: 1\na: 2\n",
        ];
        for (i, text) in cases.iter().enumerate() {
            let full = requests::find_ip_requests(text);
            let docs = Documents::read(Path::new("t.yaml"), text);
            assert_eq!(
                requests::requests_of(&docs, &Role::default()),
                full,
                "{text}"
            );
            // The first six request an address, the last two do not parse.
            match i {
                0..6 => assert!(full.is_ok_and(|r| !r.is_empty()), "{text}"),
                6 => assert_eq!(full, Ok(Vec::new())),
                _ => assert!(full.is_err(), "{text}"),
            }
        }
    }

    #[test]
    fn files_belong_to_the_cluster_in_their_path() {
        assert_eq!(
            OwnDirs::new(&plan())
                .cluster_of(Path::new("kubernetes/clusters/apps/x.yaml"))
                .as_deref(),
            Some("apps")
        );
        assert_eq!(
            OwnDirs::new(&plan())
                .cluster_of(Path::new("bootstrap/clusters/infra/cilium-values.yaml"))
                .as_deref(),
            Some("infra")
        );
        assert_eq!(
            OwnDirs::new(&plan()).cluster_of(Path::new("kubernetes/infrastructure/a.yaml")),
            None
        );
    }
}
