//! The build: plan.toml in, a repository in sync with it out — or a report and
//! nothing written.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::artifact::{self, Want};
use crate::audit;
use crate::check::compile;
use crate::diag::Report;
use crate::diag::codes::Code;
use crate::diag::error::{Error, Span};
use crate::mode::{self, Mode};
use crate::plan::Plan;
use crate::plan::layout;
use crate::text::LineIndex;
use crate::tree::{Links, Tree};
use crate::write::{self, Change};

/// Reads and compiles `root/plan.toml`.
///
/// ```no_run
/// let plan = lbipam_core::generate::load(std::path::Path::new("."))
///     .unwrap_or_else(|report| panic!("{}", report.render_all()));
/// println!("{} clusters", plan.clusters.len());
/// ```
pub fn load(root: &Path) -> Result<Plan, Report> {
    load_at(root, Path::new(layout::PLAN_FILE))
}

/// Reads and compiles the plan at `root/plan`; messages name it `plan`.
pub(crate) fn load_at(root: &Path, plan: &Path) -> Result<Plan, Report> {
    let shown = plan.display().to_string();
    let bytes = crate::read::bytes(&root.join(plan)).map_err(|e| {
        let message = format!("cannot read {shown}: {e}");
        file_report(Code::Unreadable, &shown, message)
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
        let (line, column) = crate::text::LineIndex::new(&text).line_col(valid);
        let mut r = Report::new(plan, text, Vec::new());
        r.errors.push(Error::file(
            Code::NotUtf8,
            plan,
            line,
            column,
            format!("{shown} is not valid UTF-8 (at byte {valid})"),
        ));
        r
    })?;
    compile(&text).map_err(|errors| Report::new(plan, text, errors))
}

fn file_report(code: Code, path: &str, message: String) -> Report {
    Report::new(
        layout::PLAN_FILE,
        String::new(),
        vec![Error::file(code, path, 1, 1, message)],
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
    /// What the build wants the user to know without failing (files it skipped).
    pub warnings: Vec<Error>,
    /// Every LoadBalancer IP a file of the tree asks for (see [`audit::Requested`]).
    pub requested: Vec<audit::Requested>,
}

/// Computes the outputs of a checked plan: the generated files, and the
/// hand-written files with only the parts we own edited. Reads the repository,
/// writes nothing. Also audits the resulting tree (stray LoadBalancer IPs,
/// dangling `dependsOn`), so a build fails before any write if it is not whole.
///
/// ```no_run
/// use lbipam_core::generate::{load, outputs};
/// let root = std::path::Path::new(".");
/// let plan = load(root).expect("a valid plan");
/// for (path, _text) in outputs(root, &plan).expect("a whole tree").files {
///     println!("{}", path.display());
/// }
/// ```
pub fn outputs(root: &Path, plan: &Plan) -> Result<Outputs, Report> {
    // Before reading anything: no path of the plan may lead out of the repository.
    let escapes = plan.layout.escapes(root, &plan.clusters);
    if !escapes.is_empty() {
        return Err(plan_report(root, escapes));
    }
    let Drafts {
        files,
        mut errors,
        mut sources,
        rendered,
        parsed,
        whole,
    } = drafts(root, plan);
    let foreign = not_ours(root, plan, &whole, &files);
    if !foreign.is_empty() {
        return Err(plan_report(root, foreign));
    }

    // Audit the tree as it will be after the build: disk, overlaid with our outputs.
    let mut tree = Tree::pending(root, &files, &[]);
    let remove = stale_generated(&tree, plan, &files);
    tree.remove(&remove);
    for (path, text, objects) in rendered {
        tree.rendered(&path, &text, objects);
    }
    for (path, text, checked) in parsed {
        tree.edited(&path, &text, checked);
    }
    // A file we already failed to edit is reported once, not again by the audits.
    let failed: BTreeSet<PathBuf> = errors
        .iter()
        .filter_map(|e| match e {
            Error::File { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect();
    let audited = audit::audit(&tree, plan, &failed);
    errors.extend(audited.errors);
    for (path, text) in audited.texts {
        sources.entry(path).or_insert(text);
    }

    if !errors.is_empty() {
        let mut report = Report::new(layout::PLAN_FILE, String::new(), errors);
        report.files = sources;
        report.warnings = audited.warnings;
        return Err(report);
    }
    Ok(Outputs {
        files,
        remove,
        warnings: audited.warnings,
        requested: audited.requested,
    })
}

/// What every artifact wants, applied to the files as they are.
#[derive(Default)]
struct Drafts {
    /// Every file the build would leave, with its new text.
    files: Vec<(PathBuf, String)>,
    /// The edits that could not be made, and the files that could not be read.
    errors: Vec<Error>,
    /// The text each error's excerpt is cut from: a failed edit's file as it
    /// is (the audit adds every other file as it read it).
    sources: BTreeMap<PathBuf, String>,
    /// The whole files rendered from values, with their objects.
    rendered: Vec<(PathBuf, String, Vec<yaml_serde::Value>)>,
    /// The edited files whose edit kept its parse.
    parsed: Vec<(PathBuf, String, crate::yaml::Checked)>,
    /// The files written whole.
    whole: Vec<PathBuf>,
}

/// Every artifact's wants, applied side by side.
fn drafts(root: &Path, plan: &Plan) -> Drafts {
    let mut d = Drafts::default();
    for applied in crate::par::map(artifact::wants(plan), |want| apply(root, want)) {
        match applied {
            Draft::Whole(path, text, objects) => {
                d.whole.push(path.clone());
                if let Some(objects) = objects {
                    d.rendered.push((path.clone(), text.clone(), objects));
                }
                d.files.push((path, text));
            }
            Draft::Edit(path, before, after) => match after {
                Ok(new) => {
                    if let Some(checked) = new.checked {
                        d.parsed.push((path.clone(), new.text.clone(), checked));
                    }
                    d.files.push((path, new.text));
                }
                Err(error) => {
                    d.errors.push(Error::edit_refused(&path, error));
                    d.sources.insert(path, before);
                }
            },
            Draft::Unread(error) => d.errors.push(error),
        }
    }
    d
}

/// The files the build would write whole over something it did not write: a
/// hand-written file without our header (its content would be lost), or
/// something that is not a regular file. A plan error at the value that puts
/// the output there, naming the file. A hand-written file `[layout] take-over`
/// lists is taken over when its objects are what the build writes there
/// (`files`), and refused naming the first difference when they are not.
fn not_ours(
    root: &Path,
    plan: &Plan,
    whole: &[PathBuf],
    files: &[(PathBuf, String)],
) -> Vec<Error> {
    let whole: BTreeSet<&Path> = whole.iter().map(PathBuf::as_path).collect();
    let placed = plan.layout.placed(&plan.clusters);
    let placed: Vec<_> = placed
        .iter()
        .filter(|p| p.whole && whole.contains(p.path.as_path()))
        .collect();
    let found = crate::par::map(placed, |p| {
        let why = match crate::read::head(&root.join(&p.path), 1024) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => format!("it cannot be read ({e})"),
            Ok(head) if crate::header::is_generated(&String::from_utf8_lossy(&head)) => {
                return None;
            }
            Ok(_) if plan.layout.takes_over(&p.path) => {
                let ours = files.iter().find(|(f, _)| *f == p.path).map(|(_, t)| t);
                let existing = crate::read::text(&root.join(&p.path));
                let why = match (existing, ours) {
                    (Ok(text), Some(ours)) => artifact::take_over::mismatch(&p.path, &text, ours)?,
                    (Err(e), _) => format!("it cannot be read ({e})"),
                    (Ok(_), None) => return None,
                };
                return Some(Error::file(
                    Code::TakeOverDiffers,
                    p.path.clone(),
                    1,
                    1,
                    format!(
                        "{} would take over {} ([layout] take-over), but {why}; the build takes over only a file it rewrites address for address: make plan.toml say what the file says (or remove the file from take-over and move it away)",
                        p.what,
                        p.path.display()
                    ),
                ));
            }
            Ok(_) => format!(
                "that file is hand-written (its first line is not the `# {}` header) and would be lost",
                crate::header::GENERATED
            ),
        };
        Some(p.error(format!(
            "{} would replace {}, but {why}; move that file away or change {} so the build writes elsewhere",
            p.what,
            p.path.display(),
            p.key
        )))
    });
    found.into_iter().flatten().collect()
}

/// A report of plan errors found after the plan was loaded: plan.toml is read
/// again for the excerpts (only on this failure path).
fn plan_report(root: &Path, errors: Vec<Error>) -> Report {
    let text = crate::read::text(&root.join(layout::PLAN_FILE)).unwrap_or_default();
    Report::new(layout::PLAN_FILE, text, errors)
}

/// A [`Want`] worked out against the repository: what the build would write.
enum Draft {
    /// A file written whole: its path, text and objects (see [`Want::Whole`]).
    Whole(PathBuf, String, Option<Vec<yaml_serde::Value>>),
    /// A hand-written file: its path, its text now, and the edited text.
    Edit(
        PathBuf,
        String,
        Result<crate::artifact::Edited, crate::artifact::edit::YamlError>,
    ),
    /// A hand-written file that cannot be read.
    Unread(Error),
}

/// Reads the file a want edits (its default if there is none) and edits it.
fn apply(root: &Path, want: Want) -> Draft {
    match want {
        Want::Whole {
            path,
            text,
            objects,
        } => Draft::Whole(path, text, objects),
        Want::Edit {
            path,
            default,
            edit,
        } => match read_text(root, &path) {
            Ok(text) => {
                let text = text.unwrap_or(default);
                let after = edit(&text);
                Draft::Edit(path, text, after)
            }
            Err(e) => Draft::Unread(e),
        },
    }
}

/// A file's text, `None` if it does not exist.
fn read_text(root: &Path, path: &Path) -> Result<Option<String>, Error> {
    let path = path.to_owned();
    match crate::read::text(&root.join(&path)) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(Error::unreadable(&path, &error)),
    }
}

/// Generated files (carrying our header) under the layout's generated roots
/// that no output names any more: the component of a cluster removed from the
/// plan, the old pools directory after `pools-dir` moved, the docs after
/// `docs-dir = ""`. Hand-written files are left alone; symlinked directories are never
/// followed (their files are not the repository's).
fn stale_generated(tree: &Tree, plan: &Plan, files: &[(PathBuf, String)]) -> Vec<PathBuf> {
    let wanted: BTreeSet<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    let mut stale = BTreeSet::new();
    let (dirs, docs) = plan.layout.generated_roots();
    tree.prefetch(&dirs);
    let is_stale = |rel: &Path| !wanted.contains(rel) && tree.is_generated(rel);
    // The default docs are searched too when docs-dir moved: only inside the repository.
    let plain_file = |d: &Path| {
        tree.is_file(d) && !tree.root().join(d).is_symlink() && tree.escapes(d).is_none()
    };
    stale.extend(docs.into_iter().filter(|d| plain_file(d) && is_stale(d)));
    let walked = tree.walk(&dirs, Links::Skip, |_| true);
    let temp = |rel: &Path| rel.file_name().is_some_and(write::is_temp);
    stale.extend(
        walked
            .files
            .into_iter()
            .filter(|rel| tree.is_file(rel) && !temp(rel) && is_stale(rel)),
    );
    stale.into_iter().collect()
}

/// What a successful build did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The changes made, in order (none in check mode).
    pub changes: Vec<Change>,
    /// What the user should know without failing, in its `warnings` (it has no
    /// errors): files the audits skipped ([`Outputs::warnings`]), and, when pools
    /// are written, advice on them.
    pub warnings: Report,
    /// The written files that did not exist before.
    pub created: BTreeSet<PathBuf>,
}

impl Summary {
    /// One line per file the build wrote or deleted, for `cargo::warning=`: a hand
    /// edit to a generated file is repaired, never discarded silently.
    pub fn change_lines(&self) -> Vec<String> {
        self.changes
            .iter()
            .map(|c| match c {
                Change::Write { path, .. } if self.created.contains(path) => {
                    format!("wrote {} from plan.toml (a new file)", path.display())
                }
                Change::Write { path, .. } => {
                    format!("rewrote {} from plan.toml", path.display())
                }
                Change::Remove { path } => {
                    format!(
                        "deleted {} (plan.toml no longer renders it)",
                        path.display()
                    )
                }
            })
            .chain(self.warnings.warning_lines())
            .collect()
    }
}

/// The whole build in write mode: see [`build_with`].
///
/// ```no_run
/// let out_dir = std::env::temp_dir();
/// match lbipam_core::build(std::path::Path::new("."), &out_dir) {
///     Ok(summary) => summary.change_lines().iter().for_each(|l| println!("{l}")),
///     Err(report) => eprintln!("{}", report.render_all()),
/// }
/// ```
pub fn build(root: &Path, out_dir: &Path) -> Result<Summary, Report> {
    build_with(root, out_dir, Mode::Write)
}

/// The whole build, as `build.rs` runs it: load and check plan.toml, compute every
/// output, then — only if all of that succeeded — in [`Mode::Write`] write what
/// changed, in [`Mode::Check`] fail naming every file that differs. `plan.rs` is
/// written into `out_dir` in both modes.
///
/// ```no_run
/// use lbipam_core::{Mode, build_with};
/// let out_dir = std::env::temp_dir();
/// let checked = build_with(std::path::Path::new("."), &out_dir, Mode::Check);
/// assert!(checked.is_ok(), "the committed files are what plan.toml renders");
/// ```
pub fn build_with(root: &Path, out_dir: &Path, mode: Mode) -> Result<Summary, Report> {
    build_plan(root, out_dir, &load(root)?, mode)
}

/// [`build_with`] for a plan already loaded from `root`.
pub(crate) fn build_plan(
    root: &Path,
    out_dir: &Path,
    plan: &Plan,
    mode: Mode,
) -> Result<Summary, Report> {
    let summary = build_files(root, plan, mode)?;
    write_constants(out_dir, plan)?;
    Ok(summary)
}

/// Writes `out_dir/plan.rs`. Rendering it (unoptimized in a dev build) is a
/// noticeable part of a build script run, and most runs follow an edit
/// under kubernetes/ that leaves the plan as it was: `plan.rs.from` records what
/// the file was rendered from and its text, and while both hold, it is left alone.
fn write_constants(out_dir: &Path, plan: &Plan) -> Result<(), Report> {
    let rs = out_dir.join("plan.rs");
    let from = out_dir.join("plan.rs.from");
    let source = constants_source(plan);
    let current = fs::read_to_string(&rs).ok();
    if let (Some(source), Some(current), Ok(recorded)) =
        (&source, &current, fs::read_to_string(&from))
        && recorded.strip_prefix(source.as_str()) == Some(current.as_str())
    {
        return Ok(());
    }
    let rust = artifact::rust::rust_constants(plan);
    if current.as_deref() != Some(rust.as_str()) {
        write::write_atomic(&rs, rust.as_bytes()).map_err(|e| io_report(&rs, e))?;
    }
    if let Some(source) = source {
        // Only a shortcut: if it cannot be written, the next run renders again.
        let _ = write::write_atomic(&from, format!("{source}{rust}").as_bytes());
    }
    Ok(())
}

/// What plan.rs is rendered from, on one line: the checked plan, and the program
/// rendering it (its renderer may have changed) by path, size and modification time.
fn constants_source(plan: &Plan) -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let meta = fs::metadata(&exe).ok()?;
    let modified = meta.modified().ok()?;
    Some(format!(
        "{} {} {modified:?} {plan:?}\n",
        exe.display(),
        meta.len()
    ))
}

/// Everything the build checks, in check mode, without `OUT_DIR`: the plan, the
/// audits, what each cluster applies, and whether the committed files are what the
/// plan renders. `plan_path` is the repository's plan.toml; its directory is the
/// repository root. Never writes. Passing, it returns the warnings a build
/// would print (files the audit skipped), a report without errors.
///
/// ```no_run
/// if let Err(report) = lbipam_core::verify(std::path::Path::new("plan.toml")) {
///     eprintln!("{}", report.render_all());
///     std::process::exit(1);
/// }
/// ```
pub fn verify(plan_path: &Path) -> Result<Report, Report> {
    let root = match plan_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = plan_path
        .file_name()
        .map_or(layout::PLAN_FILE.as_ref(), Path::new);
    let plan = load_at(root, name)?;
    sync(root, &plan, Mode::Check).map(|summary| summary.warnings)
}

/// The build of the repository's files, without `plan.rs`: what `build_plan`
/// does besides the Rust constants, and all that `lbipam build` does. Proves,
/// computes every output, and only if all of that succeeded writes what changed
/// ([`Mode::Write`]) or fails naming every file that differs ([`Mode::Check`]).
///
/// ```no_run
/// use lbipam_core::{Mode, generate};
/// let root = std::path::Path::new(".");
/// let plan = generate::load(root).expect("a valid plan");
/// let summary = generate::build_files(root, &plan, Mode::Write).expect("written");
/// println!("{} files changed", summary.changes.len());
/// ```
pub fn build_files(root: &Path, plan: &Plan, mode: Mode) -> Result<Summary, Report> {
    sync(root, plan, mode)
}

/// Proves, computes the outputs, and writes them or checks them against the disk.
fn sync(root: &Path, plan: &Plan, mode: Mode) -> Result<Summary, Report> {
    // The proof plan.rs will run at compile time, run now: if it ever disagreed
    // with the checker, the build must fail before writing, not after.
    let mut scratch = vec![crate::proof::Item::EMPTY; crate::proof::scratch_len(plan)];
    if let Err(msg) = crate::proof::validate(plan, &mut scratch) {
        return Err(file_report(
            Code::ProofRejected,
            layout::PLAN_FILE,
            format!("the compile-time proof rejects this plan: {msg}"),
        ));
    }
    let outs = outputs(root, plan)?;
    if mode == Mode::Check {
        let errors = mode::stale(root, &outs.files, &outs.remove);
        if errors.is_empty() {
            return Ok(Summary {
                warnings: warnings_report(root, outs.warnings),
                ..Summary::default()
            });
        }
        let mut report = Report::new(layout::PLAN_FILE, String::new(), errors);
        report.check_mode = true;
        report.warnings = outs.warnings;
        return Err(report);
    }
    let changes = write::changes(root, &outs.files, &outs.remove).map_err(|refusals| {
        let mut r = Report::new(layout::PLAN_FILE, String::new(), Vec::new());
        r.errors = refusals;
        r
    })?;
    let created = changes
        .iter()
        .filter(|c| matches!(c, Change::Write { .. }) && !root.join(c.path()).exists())
        .map(|c| c.path().to_path_buf())
        .collect();
    write::apply(root, &changes).map_err(|(path, e)| {
        let mut report = io_report(&path, e);
        // Files before this one were replaced (each atomically): say so, not "nothing".
        report.partial = true;
        report
    })?;
    let pools: Vec<PathBuf> = plan
        .clusters
        .iter()
        .flat_map(|c| plan.layout.pool_files(c))
        .map(|(file, _)| file)
        .collect();
    let mut warnings = warnings_report(root, outs.warnings);
    // Once, when pools are written: a build that changes nothing says nothing.
    if changes.iter().any(|c| pools.iter().any(|p| p == c.path())) {
        let lines = LineIndex::new(&warnings.plan_text);
        let at = |span: Span| lines.line_col(span.start as usize);
        warnings
            .warnings
            .extend(artifact::pools::api_version_warning(plan, at));
    }
    Ok(Summary {
        changes,
        warnings,
        created,
    })
}

/// The warnings of a passing build, with the text of plan.toml some point into.
fn warnings_report(root: &Path, warnings: Vec<Error>) -> Report {
    let mut report = plan_report(root, Vec::new());
    report.warnings = warnings;
    report
}

fn io_report(path: &Path, e: std::io::Error) -> Report {
    file_report(
        Code::WriteFailed,
        &path.display().to_string(),
        format!("cannot write {}: {e}", path.display()),
    )
}
