//! The `[layout]` and `[flux]` of an adopted repository, guessed from where
//! the clusters' pools, Flux Kustomization, settings and Cilium values are:
//! each guess with the file that made it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::found::{Repo, refusal};
use super::toml_text::string;
use crate::diag::error::Error;
use crate::tree::Tree;

/// The guessed keys: `[layout]` and `[flux]`, each value as TOML.
pub(crate) struct Guess {
    /// `[layout]` keys, in order.
    pub(crate) layout: Vec<(&'static str, String)>,
    /// `[flux]` keys, in order.
    pub(crate) flux: Vec<(&'static str, String)>,
    /// What each guess came from.
    pub(crate) notes: Vec<String>,
}

/// `path` with the cluster's name as `{cluster}` in each component holding it,
/// when there are several clusters (one cluster's paths are kept as they are).
fn template(path: &str, cluster: &str, many: bool) -> String {
    if !many {
        return path.to_owned();
    }
    let parts: Vec<String> = path
        .split('/')
        .map(|p| p.replace(cluster, "{cluster}"))
        .collect();
    parts.join("/")
}

/// One value for every cluster, or a refusal naming the first that differs.
fn agree(
    repo: &Repo,
    key: &str,
    of: impl Fn(usize) -> Option<(String, PathBuf)>,
) -> Result<Option<(String, PathBuf)>, Error> {
    let many = repo.read.len() > 1;
    let values: Vec<Option<(String, PathBuf)>> = (0..repo.read.len())
        .map(|i| of(i).map(|(v, f)| (template(&v, &repo.read[i].name, many), f)))
        .collect();
    let first = values[0].clone();
    if many
        && first
            .as_ref()
            .is_some_and(|(v, _)| !v.contains("{cluster}"))
    {
        return Ok(None);
    }
    match values
        .iter()
        .position(|v| v.as_ref().map(|x| &x.0) != first.as_ref().map(|x| &x.0))
    {
        None => Ok(first),
        Some(i) => Err(refusal(
            &repo.read[i].flux.flux.path,
            1,
            format!(
                "`{key}` differs between cluster {} ({}) and cluster {} ({}), and a layout key names one path for every cluster ({{cluster}} standing for its name)",
                repo.read[0].name,
                first.map_or("none".to_owned(), |v| v.0),
                repo.read[i].name,
                values[i].clone().map_or("none".to_owned(), |v| v.0)
            ),
        )),
    }
}

/// [`agree`] for a file the build edits per cluster: several clusters on one
/// path (no `{cluster}` in it) are no value.
fn agree_per_cluster(
    repo: &Repo,
    key: &str,
    of: impl Fn(usize) -> Option<(String, PathBuf)>,
) -> Result<Option<(String, PathBuf)>, Error> {
    let many = repo.read.len() > 1;
    let found = agree(repo, key, of)?;
    Ok(found.filter(|(v, _)| !many || v.contains("{cluster}")))
}

/// The layout of the repository the clusters were read from.
pub(crate) fn guess(tree: &Tree, repo: &Repo) -> Result<Guess, Vec<Error>> {
    let mut g = Guess {
        layout: Vec::new(),
        flux: Vec::new(),
        notes: Vec::new(),
    };
    let mut errors = Vec::new();
    let c = &repo.clusters;
    g.layout.push(("cluster-dir", string(&c.template)));
    g.notes.push(format!(
        "cluster-dir = {}: the directory of the Flux entry (spec.path of {} in {})",
        c.template,
        c.entry_what,
        c.entry_file.display()
    ));
    let mut audit = BTreeSet::new();
    audit.extend(first_part(&c.template));
    match pool_paths(repo) {
        Ok((dir, file, from)) => {
            audit.extend(first_part(&dir));
            g.notes.push(format!("pools-dir = {dir}, pool-file = {file}: where the CiliumLoadBalancerIPPools are ({})", from.display()));
            g.layout.push(("pools-dir", string(&dir)));
            g.layout.push(("pool-file", string(&file)));
        }
        Err(e) => errors.push(e),
    }
    errors.extend(g.flux_file(repo));
    g.settings(repo);
    audit.extend(g.helm_values(repo));
    let audit: Vec<String> = audit.iter().map(|a| string(a)).collect();
    g.layout.push(("audit", format!("[{}]", audit.join(", "))));
    let take: Vec<String> = take_over(tree, repo)
        .iter()
        .map(|p| string(&p.display().to_string()))
        .collect();
    g.layout
        .push(("take-over", format!("[\n    {},\n]", take.join(",\n    "))));
    errors.extend(flux_keys(repo, &mut g));
    if errors.is_empty() {
        Ok(g)
    } else {
        Err(errors)
    }
}

impl Guess {
    /// `flux-file` and `flux-name`: the Flux Kustomization applying the pools,
    /// one file template and one name for every cluster.
    fn flux_file(&mut self, repo: &Repo) -> Vec<Error> {
        let flux = agree(repo, "flux-file", |i| {
            let f = &repo.read[i].flux.flux;
            Some((f.path.display().to_string(), f.path.clone()))
        });
        let (file, from) = match flux {
            Ok(Some(found)) => found,
            Ok(None) => return Vec::new(),
            Err(e) => return vec![e],
        };
        let name = &repo.read[0].flux.flux.name;
        self.notes.push(format!("flux-file = {file}, flux-name = {name}: the Flux Kustomization applying the pools ({})", from.display()));
        self.layout.push(("flux-file", string(&file)));
        self.layout.push(("flux-name", string(name)));
        let other = repo.read.iter().find(|r| r.flux.flux.name != *name);
        other.map(|other| refusal(&other.flux.flux.path, other.flux.flux.line, format!("cluster {} applies its pools through Flux Kustomization {}, cluster {} through {name}; `flux-name` is one name", other.name, other.flux.flux.name, repo.read[0].name))).into_iter().collect()
    }

    /// `settings-file` and `settings-name`: the ConfigMap every cluster's Flux
    /// Kustomizations substitute from, or none.
    fn settings(&mut self, repo: &Repo) {
        let found = agree_per_cluster(repo, "settings-file", |i| {
            repo.read[i]
                .settings
                .as_ref()
                .map(|(p, n)| (format!("{}\n{n}", p.display()), p.clone()))
        });
        if let Ok(Some((both, from))) = found {
            let (file, name) = both.split_once('\n').unwrap_or((&both, ""));
            self.notes.push(format!("settings-file = {file}, settings-name = {name}: the ConfigMap postBuild.substituteFrom names ({})", from.display()));
            self.layout.push(("settings-file", string(file)));
            self.layout.push(("settings-name", string(name)));
        } else {
            self.notes.push("settings-name = \"\": no Flux Kustomization substitutes from a ConfigMap of every cluster's own files".to_owned());
            self.layout.push(("settings-name", string("")));
        }
    }

    /// `helm-values`: the HelmRelease of the cilium chart, or none; the
    /// directory it is in, to audit.
    fn helm_values(&mut self, repo: &Repo) -> Option<String> {
        let found = agree_per_cluster(repo, "helm-values", |i| {
            repo.read[i]
                .helm_values
                .clone()
                .map(|v| (v.clone(), PathBuf::from(v.split('#').next().unwrap_or(""))))
        });
        let Ok(Some((values, from))) = found else {
            self.notes.push(
                "helm-values = \"\": no cluster applies a HelmRelease of the cilium chart"
                    .to_owned(),
            );
            self.layout.push(("helm-values", string("")));
            return None;
        };
        self.notes.push(format!(
            "helm-values = {values}: the HelmRelease of the cilium chart ({})",
            from.display()
        ));
        self.layout.push(("helm-values", string(&values)));
        first_part(&values)
    }
}

fn first_part(path: &str) -> Option<String> {
    path.split('/')
        .next()
        .filter(|p| !p.is_empty() && *p != "." && !p.contains('{'))
        .map(str::to_owned)
}

/// `pools-dir` and `pool-file`: one file per cluster, or one per pool named
/// after it.
fn pool_paths(repo: &Repo) -> Result<(String, String, PathBuf), Error> {
    let dir = agree(repo, "pools-dir", |i| {
        let p = repo.read[i].pools.first()?;
        Some((p.file.parent()?.display().to_string(), p.file.clone()))
    })?;
    let (dir, from) = dir.unwrap_or_default();
    let one_file = repo
        .read
        .iter()
        .all(|c| c.pools.iter().all(|p| p.file == c.pools[0].file));
    let per_pool = repo.read.iter().all(|c| {
        let files: BTreeSet<&Path> = c.pools.iter().map(|p| p.file.as_path()).collect();
        files.len() == c.pools.len()
            && c.pools.iter().all(|p| {
                p.file
                    .file_stem()
                    .is_some_and(|s| s.to_string_lossy() == p.name)
            })
    });
    let file_name = |c: usize| {
        repo.read[c].pools[0]
            .file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let file = if one_file {
        agree(repo, "pool-file", |i| Some((file_name(i), from.clone())))?
            .map(|v| v.0)
            .unwrap_or_default()
    } else if per_pool {
        let ext = repo.read[0].pools[0]
            .file
            .extension()
            .map_or("yaml".to_owned(), |e| e.to_string_lossy().into_owned());
        format!("{{pool}}.{ext}")
    } else {
        let c = &repo.read[0];
        return Err(refusal(
            &c.pools[0].file,
            1,
            format!(
                "the pools of cluster {} are in several files not named after them, and `pool-file` is one file or `{{pool}}.yaml`",
                c.name
            ),
        ));
    };
    Ok((dir, file, from))
}

/// The hand-written files the first build rewrites: the pool files, and each
/// pools directory's `kustomization.yaml`.
fn take_over(tree: &Tree, repo: &Repo) -> Vec<PathBuf> {
    let mut out = BTreeSet::new();
    for c in &repo.read {
        for p in &c.pools {
            out.insert(p.file.clone());
            if let Some(dir) = p.file.parent() {
                let k = dir.join(crate::plan::layout::COMPONENT_KUSTOMIZATION);
                if tree.is_file(&k) && !tree.is_generated(&k) {
                    out.insert(k);
                }
            }
        }
    }
    out.into_iter().collect()
}

/// `[flux]` from the Flux Kustomization applying the first cluster's pools.
fn flux_keys(repo: &Repo, g: &mut Guess) -> Vec<Error> {
    let k = &repo.read[0].flux.flux;
    let spec = &k.object["spec"];
    let ns = k.object["metadata"]["namespace"]
        .as_str()
        .unwrap_or("flux-system");
    if ns != "flux-system" {
        g.flux.push(("namespace", string(ns)));
    }
    // `[flux] namespace` is one for every cluster's managed Kustomization.
    let errors: Vec<Error> = repo.read[1..]
        .iter()
        .map(|c| &c.flux.flux)
        .filter(|o| o.object["metadata"]["namespace"].as_str().unwrap_or("flux-system") != ns)
        .map(|o| refusal(&o.path, o.line, format!(
            "Flux Kustomization {} (which applies the pools of a cluster) is not in namespace {ns}, as {} is: the plan's managed Kustomizations share one namespace",
            o.name, k.name
        )))
        .collect();
    if let Some(v) = spec["interval"].as_str() {
        g.flux.push(("interval", string(v)));
    }
    if let Some(v) = spec["timeout"].as_str() {
        g.flux.push(("timeout", string(v)));
    }
    // Flux looks a dependency without a namespace up in the Kustomization's own.
    let deps: Vec<String> = spec["dependsOn"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|d| {
            let name = d["name"].as_str().unwrap_or("");
            match d["namespace"].as_str() {
                Some(other) if other != ns => string(&format!("{other}/{name}")),
                _ => string(name),
            }
        })
        .collect();
    g.flux
        .push(("depends-on", format!("[{}]", deps.join(", "))));
    let src = &spec["sourceRef"];
    let text = |v: &yaml_serde::Value, or: &str| string(v.as_str().unwrap_or(or));
    g.flux.push((
        "source",
        format!(
            "{{ kind = {}, name = {}, namespace = {} }}",
            text(&src["kind"], "GitRepository"),
            text(&src["name"], "flux-system"),
            text(&src["namespace"], ns)
        ),
    ));
    g.notes.push(format!(
        "[flux] namespace, interval, timeout, depends-on and source: from Flux Kustomization {} ({})",
        k.name,
        k.path.display()
    ));
    errors
}
