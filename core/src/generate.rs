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

/// Computes the outputs of a checked plan.
pub fn outputs(root: &Path, plan: &Plan) -> Result<Outputs, Report> {
    let files = render::component_files(plan);
    let remove = stale_generated(root, &files);
    Ok(Outputs { files, remove })
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
    write::apply(root, &changes).map_err(|e| io(root, e))?;
    let rust = render::rust_constants(&plan);
    let rs = out_dir.join("plan.rs");
    if fs::read_to_string(&rs).ok().as_deref() != Some(rust.as_str()) {
        write::write_atomic(&rs, rust.as_bytes()).map_err(|e| io(&rs, e))?;
    }
    Ok(Summary { changes })
}
