//! `lbipam`, the operator's command line for a repository with a `plan.toml`:
//! `check`, `report`, `explain`, `next-free`, `pin` and `live`, all on the same library
//! as the build (`lbipam-core`): one parser, one checker.
//!
//! [`run`] is the whole program minus the process: arguments and an
//! environment in, exit code and the text of stdout and stderr out, so tests
//! call it directly and `main` only prints.

mod check;
mod explain;
mod live;
mod next_free;
mod pin;
mod report;
mod table;

use std::ffi::OsString;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use lbipam_core::diag::Report;
use lbipam_core::layout;
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
    /// Everything the build checks, writing nothing: exit 1 on any error.
    Check {
        /// `text` (as the build prints it, on stderr) or `json` (on stdout).
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Print every error, not only the first ones.
        #[arg(long)]
        all: bool,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

/// How `report` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Table,
    Json,
    Markdown,
}

/// Runs `lbipam` with `args` (the first is the program name).
pub fn run<I, T>(args: I, env: &Env) -> Output
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            return if e.use_stderr() {
                Output {
                    code: e.exit_code(),
                    stderr: text,
                    ..Output::default()
                }
            } else {
                Output {
                    code: e.exit_code(),
                    stdout: text,
                    ..Output::default()
                }
            };
        }
    };
    let plan_path = match locate(cli.plan.as_deref(), &env.cwd) {
        Ok(p) => p,
        Err(Located::Usage(message)) => {
            return Output {
                code: 2,
                ..fail(message)
            };
        }
        Err(Located::Missing(message)) => {
            return match cli.command {
                // A JSON consumer gets JSON, whatever went wrong.
                Command::Check {
                    format: CheckFormat::Json,
                    ..
                } => Output {
                    code: 1,
                    stdout: check::file_error_json(layout::PLAN_FILE, &message),
                    ..Output::default()
                },
                _ => fail(message),
            };
        }
    };
    match cli.command {
        Command::Check { format, all } => check::run(&plan_path, format == CheckFormat::Json, all),
        Command::Report { cluster, format } => with_plan(&plan_path, |root, plan| {
            report::run(root, plan, cluster.as_deref(), format, env.color)
        }),
        Command::Explain { ip } => with_plan(&plan_path, |root, plan| explain::run(root, plan, ip)),
        Command::NextFree {
            cluster,
            count,
            pool,
        } => with_plan(&plan_path, |root, plan| {
            next_free::run(root, plan, &cluster, pool.as_deref(), count)
        }),
        Command::Pin { cluster, name, ip } => pin::run(&plan_path, &cluster, &name, ip),
        Command::Live {
            from,
            context,
            format,
            timeout,
            all,
        } => with_plan(&plan_path, |root, plan| {
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
    }
}

/// Text from a file or a file name as one line of output: control characters
/// escaped, so it cannot move the cursor or start a line of its own.
pub(crate) fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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
        Some(path) if !cwd.join(path).is_file() => Err(Located::Missing(format!(
            "--plan {}: no such file",
            path.display()
        ))),
        Some(path) => Ok(cwd.join(path)),
        None => cwd
            .ancestors()
            .map(|dir| dir.join(layout::PLAN_FILE))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                Located::Missing(format!(
                    "no {} in {} or any parent directory (use --plan PATH)",
                    layout::PLAN_FILE,
                    cwd.display()
                ))
            }),
    }
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
    match lbipam_core::generate::load(root) {
        Ok(plan) => f(root, &plan),
        Err(report) => invalid(&report),
    }
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
