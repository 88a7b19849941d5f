#![warn(unreachable_pub)]
//! `lbipam`, the operator's command line for a repository with a `plan.toml`:
//! `build`, `check` (also as GitHub workflow commands, SARIF or JUnit), `diff`,
//! `report`, `explain`, `next-free`, `pin` and `live`, all on the same library
//! as the build (`lbipam-core`): one parser, one checker.
//!
//! [`run_to`] is the whole program minus the process: arguments and an
//! environment in, output written as it comes to the streams it is given, exit
//! code out; `main` passes the real ones. [`run`] collects the output for tests.

mod build;
mod check;
mod diff;
mod explain;
mod formats;
mod init;
mod live;
mod next_free;
mod pin;
mod report;
mod table;

use std::ffi::OsString;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use lbipam_core::diag::Report;
use lbipam_core::plan::layout;
use lbipam_core::plan::{Cluster, Plan};

/// What the program prints and how it exits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// The process exit code: 0 success, 1 a problem found, 2 a usage error.
    pub code: i32,
    /// Text for stdout.
    pub stdout: String,
    /// Text for stderr.
    pub stderr: String,
}

/// What the program knows of its surroundings.
#[derive(Clone, Debug)]
pub struct Env {
    /// The working directory, where `plan.toml` is looked for.
    pub cwd: PathBuf,
    /// Whether to color the terminal table (stdout is a terminal and
    /// `NO_COLOR` is unset).
    pub color: bool,
}

#[derive(Parser, Debug)]
#[command(
    name = "lbipam",
    version,
    about = "Check and query plan.toml, the LoadBalancer IP plan of a GitOps repository"
)]
struct Cli {
    /// The plan file (named plan.toml; its directory is the repository root).
    /// Default: plan.toml in the working directory or the nearest parent.
    #[arg(long, global = true, value_name = "PATH")]
    plan: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Writes plan.toml for a repository that already runs Cilium LB-IPAM, from
    /// what its clusters apply: pools, pins, the network and the layout; the
    /// first build then takes the pool files over in place, changing no address.
    Init {
        /// A network of the plan, once per network (default: per subnet the
        /// pools are on, the smallest prefix covering them).
        #[arg(long, value_name = "CIDR")]
        network: Vec<lbipam_core::ipnet::IpNet>,
        /// Print the plan instead of writing plan.toml.
        #[arg(long)]
        dry_run: bool,
    },
    /// The build in write mode, without Cargo: every check, then the files
    /// plan.toml renders (only if everything passed).
    Build,
    /// Everything the build checks, writing nothing: exit 1 on any error.
    Check {
        /// `text` (as the build prints it, on stderr); on stdout: `json`,
        /// `github` (workflow commands), `sarif` (2.1.0) or `junit` (XML).
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Print every error, not only the first ones.
        #[arg(long)]
        all: bool,
    },
    /// What the change to plan.toml does, against a git revision: pools, pins
    /// and reserved ranges added, removed, grown, shrunk or moved, addresses
    /// changing owner, and a warning for each change that re-addresses a
    /// running Service.
    Diff {
        /// The revision to compare with (default: the merge base of HEAD and
        /// the default branch).
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        /// `text`, `markdown` (a pull-request comment) or `json`.
        #[arg(long, value_enum, default_value_t = diff::DiffFormat::Text)]
        format: diff::DiffFormat,
        /// What makes the exit code 1: `re-address` (a change that
        /// re-addresses a running Service), `any` change, or `never`.
        #[arg(long, value_enum, default_value_t = diff::FailOn::ReAddress)]
        fail_on: diff::FailOn,
    },
    /// Size, pins and free addresses per network, cluster and pool, and the
    /// network as ranges.
    Report {
        /// Only this cluster's pools and ranges.
        #[arg(long)]
        cluster: Option<String>,
        /// `table` (aligned, colored on a terminal), `json` or `markdown`.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
    /// Who owns an address and which files mention it.
    Explain {
        /// An address of the network.
        ip: IpAddr,
    },
    /// The lowest addresses of a cluster's pools that no pin takes.
    NextFree {
        /// The cluster.
        cluster: String,
        /// How many addresses.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        count: u64,
        /// Only this pool of the cluster.
        #[arg(long)]
        pool: Option<String>,
    },
    /// Adds or moves a pin in plan.toml (comments and layout kept), refusing
    /// if the result fails the checks; then run `cargo build`.
    Pin {
        /// The cluster.
        cluster: String,
        /// The pinned service (a DNS-1123 label).
        name: String,
        /// The address; default: the cluster's next free address.
        ip: Option<IpAddr>,
    },
    /// What the running clusters hold (Services' LoadBalancer IPs, LB-IPAM
    /// pools), held against the plan across the fleet: exit 1 on any finding,
    /// 2 on unusable input.
    Live {
        /// A cluster's state: the output of `kubectl get
        /// services,ciliumloadbalancerippools -A -o json` (or `-o yaml`) in FILE,
        /// `-` for stdin; give a cluster twice for the two kinds in two files.
        #[arg(long, value_name = "CLUSTER=FILE", value_parser = live::binding)]
        from: Vec<live::Binding>,
        /// A cluster's state from `kubectl --context KUBECONTEXT get …`, run here.
        #[arg(long, value_name = "CLUSTER=KUBECONTEXT", value_parser = live::binding)]
        context: Vec<live::Binding>,
        /// `text` (findings as the build prints errors, on stderr; the report
        /// on stdout), `json` or `github` (workflow annotations).
        #[arg(long, value_enum, default_value_t = live::Format::Text)]
        format: live::Format,
        /// Seconds each kubectl may take.
        #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
        timeout: u64,
        /// Print every finding in full, not only the first ones.
        #[arg(long)]
        all: bool,
    },
}

/// How `check` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    Text,
    Json,
    Github,
    Sarif,
    Junit,
}

/// How `report` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Table,
    Json,
    Markdown,
}

/// Runs `lbipam` with `args` (the first is the program name), collecting
/// what it prints (see [`run_to`]).
pub fn run<I, T>(args: I, env: &Env) -> Output
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = run_to(args, env, &mut stdout, &mut stderr);
    Output {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Runs `lbipam` with `args`, writing its output to `stdout` and `stderr` as it
/// goes (`next-free` prints each address as found), and returns the exit code.
/// A write that fails is an error — the message on stderr, exit 1 — except a
/// closed pipe (`lbipam next-free c --count 1000000 | head`), which ends the
/// program quietly (with the command's exit code once it has one).
pub fn run_to<I, T>(args: I, env: &Env, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let out = match execute(args, env, stdout) {
        Ok(out) => out,
        Err(e) => return write_failed(&e, stderr, 0),
    };
    let mut print = || -> std::io::Result<()> {
        stdout.write_all(out.stdout.as_bytes())?;
        stdout.flush()?;
        stderr.write_all(out.stderr.as_bytes())?;
        stderr.flush()
    };
    match print() {
        Ok(()) => out.code,
        Err(e) => write_failed(&e, stderr, out.code),
    }
}

/// The exit code after a failed write: `code` (the command's own) for a closed
/// pipe, else 1 with the error on stderr — or, if stderr fails too, the exit
/// code is all that is left to say it with.
fn write_failed(e: &std::io::Error, stderr: &mut dyn Write, code: i32) -> i32 {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return code;
    }
    let _ = writeln!(stderr, "error: cannot write the output: {e}");
    let _ = stderr.flush();
    1
}

/// Runs the command; what it streams goes to `stdout` at once, the rest is
/// returned.
fn execute<I, T>(args: I, env: &Env, stdout: &mut dyn Write) -> std::io::Result<Output>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return Ok(usage(&e)),
    };
    // There is no plan to locate yet: init writes it, at --plan or here.
    if let Command::Init { network, dry_run } = cli.command {
        let root = cli
            .plan
            .as_deref()
            .map_or_else(|| env.cwd.clone(), |p| env.cwd.join(root_of(p)));
        return Ok(init::run(&root, &network, dry_run));
    }
    let plan_path = match locate(cli.plan.as_deref(), &env.cwd) {
        Ok(p) => p,
        Err(Located::Usage(message)) => {
            return Ok(Output {
                code: 2,
                ..fail(message)
            });
        }
        Err(Located::Missing(message)) => {
            return Ok(match cli.command {
                // A machine consumer gets its format, whatever went wrong.
                Command::Check { format, .. } if format != CheckFormat::Text => {
                    check::missing_plan(format, layout::PLAN_FILE, &message)
                }
                _ => fail(message),
            });
        }
    };
    dispatch(cli.command, &plan_path, env, stdout)
}

/// What clap says of arguments it refuses (or of `--help`), on the stream it
/// names.
fn usage(e: &clap::Error) -> Output {
    let text = e.render().to_string();
    let (stdout, stderr) = match e.use_stderr() {
        true => (String::new(), text),
        false => (text, String::new()),
    };
    Output {
        code: e.exit_code(),
        stdout,
        stderr,
    }
}

/// Runs `command` on the plan at `plan_path`.
fn dispatch(
    command: Command,
    plan_path: &Path,
    env: &Env,
    stdout: &mut dyn Write,
) -> std::io::Result<Output> {
    let out = match command {
        // Handled above, before a plan is looked for; the same call if it were not.
        Command::Init { network, dry_run } => init::run(root_of(plan_path), &network, dry_run),
        Command::Build => build::run(plan_path),
        Command::Diff {
            base,
            format,
            fail_on,
        } => diff::run(plan_path, base.as_deref(), format, fail_on),
        Command::Check { format, all } => check::run(plan_path, format, all),
        Command::Report { cluster, format } => with_plan(plan_path, |root, plan| {
            report::run(root, plan, cluster.as_deref(), format, env.color)
        }),
        Command::Explain { ip } => with_plan(plan_path, |root, plan| explain::run(root, plan, ip)),
        Command::NextFree {
            cluster,
            count,
            pool,
        } => {
            let root = root_of(plan_path);
            return match load(root) {
                Ok(plan) => next_free::run(root, &plan, (&cluster, pool.as_deref(), count), stdout),
                Err(report) => Ok(invalid(&report)),
            };
        }
        Command::Pin { cluster, name, ip } => pin::run(plan_path, &cluster, &name, ip),
        Command::Live {
            from,
            context,
            format,
            timeout,
            all,
        } => with_plan(plan_path, |root, plan| {
            let args = live::Args {
                from,
                context,
                format,
                timeout: std::time::Duration::from_secs(timeout),
                all,
                color: env.color,
            };
            live::run(root, &env.cwd, plan, &args)
        }),
    };
    Ok(out)
}

/// Text from a file or a file name as one line of output: control characters
/// escaped, so it cannot move the cursor or start a line of its own.
pub(crate) fn printable(s: &str) -> String {
    lbipam_core::text::one_line(s)
}

/// An error message on stderr, exit code 1.
pub(crate) fn fail(message: impl std::fmt::Display) -> Output {
    Output {
        code: 1,
        stderr: format!("error: {message}\n"),
        ..Output::default()
    }
}

/// Output on stdout, exit code 0.
pub(crate) fn ok(stdout: String) -> Output {
    Output {
        stdout,
        ..Output::default()
    }
}

/// Why there is no plan file to work on.
enum Located {
    /// `--plan` names a file that cannot be the plan (exit 2).
    Usage(String),
    /// There is no such file.
    Missing(String),
}

/// The plan file: `--plan` as given (it must be named plan.toml, since its
/// directory is the repository the build works on), else plan.toml in `cwd` or
/// the nearest parent directory holding one.
fn locate(given: Option<&Path>, cwd: &Path) -> Result<PathBuf, Located> {
    match given {
        Some(path) if path.file_name().is_none_or(|n| n != layout::PLAN_FILE) => {
            Err(Located::Usage(format!(
                "--plan {}: the file must be named {} (its directory is the repository root)",
                path.display(),
                layout::PLAN_FILE
            )))
        }
        Some(path) if !is_there(&cwd.join(path)) => Err(Located::Missing(format!(
            "--plan {}: no such file",
            path.display()
        ))),
        Some(path) => Ok(cwd.join(path)),
        None => cwd
            .ancestors()
            .map(|dir| dir.join(layout::PLAN_FILE))
            .find(|p| is_there(p))
            .ok_or_else(|| {
                Located::Missing(format!(
                    "no {} in {} or any parent directory (use --plan PATH)",
                    layout::PLAN_FILE,
                    cwd.display()
                ))
            }),
    }
}

/// Whether something other than a directory is at `path` (a symlink too, even
/// a dangling one): a plan.toml that is a FIFO or a link to a device is found,
/// and loading it says what it is, instead of "no such file".
fn is_there(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir())
}

/// The repository root of a plan file: its directory.
pub(crate) fn root_of(plan_path: &Path) -> &Path {
    match plan_path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Loads and checks the plan, then runs `f`; an invalid plan prints the build's
/// diagnostics instead.
fn with_plan(plan_path: &Path, f: impl FnOnce(&Path, &Plan) -> Output) -> Output {
    let root = root_of(plan_path);
    match load(root) {
        Ok(plan) => f(root, &plan),
        Err(report) => invalid(&report),
    }
}

/// Loads and checks the plan, and refuses a layout leading out of the
/// repository through a symlink on disk (the commands walk its directories).
fn load(root: &Path) -> Result<Plan, Report> {
    let plan = lbipam_core::generate::load(root)?;
    let escapes = plan.layout.escapes(root, &plan.clusters);
    if escapes.is_empty() {
        return Ok(plan);
    }
    let text = lbipam_core::read::text(&root.join(layout::PLAN_FILE)).unwrap_or_default();
    Err(Report::new(layout::PLAN_FILE, text, escapes))
}

/// The build's diagnostics of an invalid plan, exit code 1.
pub(crate) fn invalid(report: &Report) -> Output {
    Output {
        code: 1,
        stderr: check::render(report, false),
        ..Output::default()
    }
}

/// The cluster of that name, or an error listing the clusters there are.
pub(crate) fn cluster<'p>(plan: &'p Plan, name: &str) -> Result<&'p Cluster, Output> {
    plan.cluster(name).ok_or_else(|| {
        let names: Vec<&str> = plan.clusters.iter().map(|c| &*c.name.item).collect();
        fail(format!(
            "no cluster `{name}` in plan.toml (clusters: {})",
            names.join(", ")
        ))
    })
}
