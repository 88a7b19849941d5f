//! Where `lbipam live` gets each cluster's state: files (`--from CLUSTER=FILE`,
//! `-` for stdin) or kubectl itself (`--context CLUSTER=KUBECONTEXT`).

use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::Source;

/// What kubectl is asked for: every Service and every LB-IPAM pool.
pub(crate) const KINDS: &str = "services,ciliumloadbalancerippools";

/// `CLUSTER=VALUE` of `--from` and `--context`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Binding {
    pub(crate) cluster: String,
    pub(crate) value: String,
}

/// Parses `CLUSTER=VALUE` (clap's value parser).
pub(crate) fn binding(s: &str) -> Result<Binding, String> {
    match s.split_once('=') {
        Some((cluster, value)) if !cluster.is_empty() && !value.is_empty() => Ok(Binding {
            cluster: cluster.to_owned(),
            value: value.to_owned(),
        }),
        _ => Err(format!("`{s}` is not CLUSTER=VALUE")),
    }
}

/// One input, before it is read.
#[derive(Clone, Debug)]
pub(crate) enum Input {
    /// A file (`-`: stdin).
    File(String),
    /// A kubeconfig context.
    Context(String),
}

/// Reads every input (contexts side by side): the texts by input, or every
/// reason one could not be read.
pub(crate) fn read_all(
    inputs: &[(String, Input)],
    cwd: &Path,
    timeout: Duration,
) -> Result<Vec<Source>, Vec<String>> {
    let results = lbipam_core::par::map(inputs, |(_, input)| read(input, cwd, timeout));
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(s) => sources.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(sources)
    } else {
        Err(errors)
    }
}

fn read(input: &Input, cwd: &Path, timeout: Duration) -> Result<Source, String> {
    match input {
        Input::File(name) if name == "-" => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("<stdin>: cannot read: {e}"))?;
            text("<stdin>", None, bytes)
        }
        Input::File(name) => {
            let path = cwd.join(name);
            // Not `read::text`, which refuses what is not a regular file: the
            // user names this file, and `<(kubectl get …)` is a FIFO.
            let bytes = std::fs::read(&path).map_err(|e| format!("{name}: cannot read: {e}"))?;
            text(name, Some(PathBuf::from(name)), bytes)
        }
        Input::Context(context) => {
            let name = format!("kubectl --context {context}");
            text(&name, None, kubectl(context, timeout)?)
        }
    }
}

fn text(name: &str, file: Option<PathBuf>, bytes: Vec<u8>) -> Result<Source, String> {
    let text = String::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8 text"))?;
    Ok(Source {
        name: name.to_owned(),
        file,
        text,
    })
}

/// `kubectl --context CONTEXT get services,ciliumloadbalancerippools -A -o
/// json`, given `timeout` to finish (kubectl is told too, so it gives up
/// cleanly; the process is killed if it does not).
fn kubectl(context: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let command = format!("kubectl --context {context} get {KINDS} -A -o json");
    let mut child = Command::new("kubectl")
        .args(["--context", context, "get", KINDS, "-A", "-o", "json"])
        .arg(format!("--request-timeout={}s", timeout.as_secs().max(1)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => format!(
                "{command}: kubectl is not on PATH (install it, or save its output and use --from)"
            ),
            _ => format!("{command}: cannot run kubectl: {e}"),
        })?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                // The pipe readers are left behind: a process kubectl started
                // may still hold the pipes open.
                return Err(format!(
                    "{command}: no answer within {} s (--timeout); nothing was checked",
                    timeout.as_secs_f64()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("{command}: {e}")),
        }
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        let said = String::from_utf8_lossy(&err);
        let said = said.trim();
        let said = if said.is_empty() {
            "(nothing on stderr)"
        } else {
            said
        };
        return Err(format!(
            "{command} failed ({status}): {}",
            crate::printable(said)
        ));
    }
    Ok(out)
}
