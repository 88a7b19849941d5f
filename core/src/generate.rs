//! The build: plan.toml in, a repository in sync with it out — or a report and
//! nothing written.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::check::{Error, check};
use crate::diag::Report;
use crate::layout;
use crate::plan::{Plan, parse_lenient};
use crate::render;
use crate::write::{self, Change};
use crate::{audit, edit};

/// Parses and checks plan.toml's text: the plan, or every error in it.
pub fn compile(text: &str) -> Result<Plan, Vec<Error>> {
    let (plan, mut errors) = parse_lenient(text);
    if let Some(plan) = &plan {
        errors.extend(check(plan));
    }
    match plan {
        Some(plan) if errors.is_empty() => Ok(plan),
        _ => Err(errors),
    }
}

/// Reads and compiles `root/plan.toml`.
pub fn load(root: &Path) -> Result<Plan, Report> {
    let path = root.join(layout::PLAN_FILE);
    let bytes = fs::read(&path).map_err(|e| {
        file_report(
            String::new(),
            layout::PLAN_FILE,
            format!("cannot read plan.toml: {e}"),
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
        let (line, column) = crate::diag::line_col(&text, valid);
        let mut r = Report::new(layout::PLAN_FILE, text, Vec::new());
        r.errors.push(Error::File {
            path: layout::PLAN_FILE.into(),
            line,
            column,
            message: format!("plan.toml is not valid UTF-8 (at byte {valid})"),
        });
        r
    })?;
    compile(&text).map_err(|errors| Report::new(layout::PLAN_FILE, text, errors))
}

fn file_report(plan_text: String, path: &str, message: String) -> Report {
    Report::new(
        layout::PLAN_FILE,
        plan_text,
        vec![Error::File {
            path: path.into(),
            line: 1,
            column: 1,
            message,
        }],
    )
}

/// Everything a valid plan wants in the repository, computed in memory from the
/// plan and the hand-written files on disk.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    /// Files that must hold exactly this text (paths relative to the root).
    pub files: Vec<(PathBuf, String)>,
    /// Generated files the plan no longer produces.
    pub remove: Vec<PathBuf>,
}

/// Computes the outputs of a checked plan: the generated files, and the
/// hand-written files with only the parts we own edited. Reads the repository,
/// writes nothing. Also audits the resulting tree (stray LoadBalancer IPs,
/// dangling `dependsOn`), so a build fails before any write if it is not whole.
pub fn outputs(root: &Path, plan: &Plan) -> Result<Outputs, Report> {
    let mut files = render::component_files(plan);
    let mut errors = Vec::new();
    let mut sources = BTreeMap::new();
    // Reads a hand-written file (or starts from `default`), applies our edit, and
    // records the result or the error; the original text is kept for diagnostics.
    let mut edited =
        |path: PathBuf, default: &str, edit: &dyn Fn(&str) -> Result<String, edit::EditError>| {
            let text = match read_text(root, &path) {
                Ok(Some(text)) => text,
                Ok(None) => default.to_owned(),
                Err(e) => return errors.push(e),
            };
            match edit(&text) {
                Ok(new) => files.push((path.clone(), new)),
                Err(e) => errors.push(Error::File {
                    path: path.clone(),
                    line: e.line,
                    column: e.column,
                    message: format!("cannot update {}: {}", path.display(), e.message),
                }),
            }
            sources.insert(path, text);
        };

    for c in plan.clusters.iter() {
        let name = &c.name.item;
        let doc = render::flux_kustomization(plan, c);
        let after = plan.flux.depends_on.first().map(|d| d.item.to_string());
        edited(layout::flux_file(name), "", &|text| {
            edit::upsert_document(
                text,
                "Kustomization",
                layout::FLUX_NAME,
                &doc,
                after.as_deref(),
            )
        });
        let settings = render::cluster_settings(plan, c);
        // Settings of services this cluster pins no more are ours too: they go.
        let stale: Vec<&str> = plan
            .services
            .iter()
            .filter_map(|s| s.setting.as_ref())
            .map(|s| &*s.item)
            .filter(|key| !settings.iter().any(|(k, _)| k == key))
            .collect();
        edited(layout::cluster_settings(name), SETTINGS_SKELETON, &|text| {
            let entries: Vec<(&str, &str)> = settings
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let text = edit::remove_configmap_data(text, &stale)?;
            edit::set_configmap_data(&text, &entries)
        });
        let values = render::cilium_values(plan, c);
        let stale = render::stale_cilium_values(plan, c);
        edited(layout::cilium_values(name), "", &|text| {
            let stale: Vec<Vec<&str>> = stale
                .iter()
                .map(|p| p.iter().map(String::as_str).collect())
                .collect();
            let stale: Vec<&[&str]> = stale.iter().map(Vec::as_slice).collect();
            let text = edit::remove_values(text, &stale)?;
            let text = text.as_str();
            let paths: Vec<Vec<&str>> = values
                .iter()
                .map(|(p, _)| p.iter().map(String::as_str).collect())
                .collect();
            let entries: Vec<(&[&str], edit::Scalar)> = paths
                .iter()
                .zip(&values)
                .map(|(p, (_, v))| (p.as_slice(), v.clone()))
                .collect();
            edit::set_values(text, &entries)
        });
    }
    let section = render::architecture_section(plan);
    edited(
        layout::ARCHITECTURE.into(),
        ARCHITECTURE_SKELETON,
        &|text| {
            Ok(
                match edit::replace_marked_section(
                    text,
                    render::ARCH_BEGIN,
                    render::ARCH_END,
                    &section,
                )? {
                    Some(new) => new,
                    None => format!(
                        "{}{}\n{}\n{}\n{section}{}\n",
                        text,
                        if text.is_empty() || text.ends_with("\n\n") {
                            ""
                        } else if text.ends_with('\n') {
                            "\n"
                        } else {
                            "\n\n"
                        },
                        render::ARCH_HEADING,
                        render::ARCH_BEGIN,
                        render::ARCH_END
                    ),
                },
            )
        },
    );

    files.push((layout::IP_SUMMARY.into(), render::ip_summary(plan)));

    // Audit the tree as it will be after the build: disk, overlaid with our outputs.
    match yaml_tree(root) {
        Ok(mut tree) => {
            for (path, text) in &files {
                if is_yaml(path) {
                    tree.insert(path.clone(), text.clone());
                }
            }
            // A file we already failed to edit is reported once, not again by the audits.
            for e in &errors {
                if let Error::File { path, .. } = e {
                    tree.remove(path);
                }
            }
            for c in plan.clusters.iter() {
                let dir = layout::cluster_dir(&c.name.item);
                let mine: BTreeMap<PathBuf, String> = tree
                    .iter()
                    .filter(|(p, _)| p.starts_with(&dir))
                    .map(|(p, t)| (p.clone(), t.clone()))
                    .collect();
                match audit::flux_kustomizations(&mine) {
                    Ok(ks) => errors.extend(audit::dangling_depends_on(&c.name.item, &ks)),
                    Err(e) => errors.extend(e),
                }
            }
            errors.extend(audit::stray_ips(plan, &tree));
            for c in plan.clusters.iter() {
                let path = layout::cluster_settings(&c.name.item);
                if let Some(text) = tree.get(&path) {
                    errors.extend(audit::stale_settings(plan, &c.name.item, &path, text));
                }
            }
            for (path, text) in tree {
                sources.entry(path).or_insert(text);
            }
        }
        Err(e) => errors.push(e),
    }

    if !errors.is_empty() {
        let mut report = Report::new(layout::PLAN_FILE, String::new(), errors);
        report.files = sources;
        return Err(report);
    }
    let remove = stale_generated(root, &files);
    Ok(Outputs { files, remove })
}

/// A `cluster-settings` ConfigMap for a cluster that has none yet.
const SETTINGS_SKELETON: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\n";

/// `docs/architecture.md` for a repository that has none yet.
const ARCHITECTURE_SKELETON: &str = "# Architecture\n";

/// A file's text, `None` if it does not exist.
fn read_text(root: &Path, path: &Path) -> Result<Option<String>, Error> {
    let err = |message: String| Error::File {
        path: path.to_owned(),
        line: 1,
        column: 1,
        message,
    };
    match fs::read(root.join(path)) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| err(format!("{} is not valid UTF-8", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(err(format!("cannot read {}: {e}", path.display()))),
    }
}

fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

/// Every YAML file under `kubernetes/` and `bootstrap/`, by path relative to root.
fn yaml_tree(root: &Path) -> Result<BTreeMap<PathBuf, String>, Error> {
    let mut out = BTreeMap::new();
    let mut dirs: Vec<PathBuf> = vec!["kubernetes".into(), "bootstrap".into()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(root.join(&dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let rel = dir.join(entry.file_name());
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                dirs.push(rel);
            } else if kind.is_file()
                && is_yaml(&rel)
                && let Some(text) = read_text(root, &rel)?
            {
                out.insert(rel, text);
            }
        }
    }
    Ok(out)
}

/// Generated files (carrying our header) under the IPAM root that no output
/// names any more, e.g. the component of a cluster removed from the plan.
/// Hand-written files there are left alone.
fn stale_generated(root: &Path, files: &[(PathBuf, String)]) -> Vec<PathBuf> {
    let wanted: BTreeMap<&Path, ()> = files.iter().map(|(p, _)| (p.as_path(), ())).collect();
    let mut stale = Vec::new();
    let Ok(dirs) = fs::read_dir(root.join(layout::IPAM_ROOT)) else {
        return stale;
    };
    for dir in dirs.flatten() {
        // Never follow a symlinked directory: its files are not the repository's.
        if !dir.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(entries) = fs::read_dir(dir.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let rel = PathBuf::from(layout::IPAM_ROOT)
                .join(dir.file_name())
                .join(entry.file_name());
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if is_file
                && !wanted.contains_key(rel.as_path())
                && fs::read_to_string(entry.path()).is_ok_and(|t| render::is_generated(&t))
            {
                stale.push(rel);
            }
        }
    }
    stale.sort();
    stale
}

/// What a successful build did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The changes made, in order.
    pub changes: Vec<Change>,
}

/// The whole build, as `build.rs` runs it: load and check plan.toml, compute
/// every output, then — only if all of that succeeded — write what changed and
/// `plan.rs` into `out_dir`.
pub fn build(root: &Path, out_dir: &Path) -> Result<Summary, Report> {
    let plan = load(root)?;
    // The proof plan.rs will run at compile time, run now: if it ever disagreed
    // with the checker, the build must fail before writing, not after.
    let mut scratch = vec![crate::proof::Item::EMPTY; crate::proof::scratch_len(&plan)];
    if let Err(msg) = crate::proof::validate(&plan, &mut scratch) {
        return Err(file_report(
            String::new(),
            layout::PLAN_FILE,
            format!("the compile-time proof rejects this plan: {msg}"),
        ));
    }
    let outs = outputs(root, &plan)?;
    let changes = write::changes(root, &outs.files, &outs.remove).map_err(|refusals| {
        let mut r = Report::new(layout::PLAN_FILE, String::new(), Vec::new());
        r.errors = refusals
            .into_iter()
            .map(|f| Error::File {
                message: format!("cannot update {}: {}", f.path.display(), f.reason),
                path: f.path,
                line: 1,
                column: 1,
            })
            .collect();
        r
    })?;
    let io = |path: &Path, e: std::io::Error| {
        file_report(
            String::new(),
            &path.display().to_string(),
            format!("cannot write {}: {e}", path.display()),
        )
    };
    write::apply(root, &changes).map_err(|(path, e)| {
        let mut report = io(&path, e);
        // Files before this one were replaced (each atomically): say so, not "nothing".
        report.partial = true;
        report
    })?;
    let rust = render::rust_constants(&plan);
    let rs = out_dir.join("plan.rs");
    if fs::read_to_string(&rs).ok().as_deref() != Some(rust.as_str()) {
        write::write_atomic(&rs, rust.as_bytes()).map_err(|e| io(&rs, e))?;
    }
    Ok(Summary { changes })
}
