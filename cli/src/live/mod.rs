//! `lbipam live`: what each running cluster holds, held against the plan across
//! the whole fleet. Each cluster's state comes from the output of `kubectl get
//! services,ciliumloadbalancerippools -A -o json` (a file, stdin, or kubectl
//! run here); the findings are reported as the build reports its errors, then
//! how full each pool is.
//!
//! Cilium sees one cluster; two clusters on the shared network handing out one
//! address is visible only here.

mod compare;
mod input;
mod kube;
mod render;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lbipam_core::plan::Plan;

pub(crate) use input::{Binding, binding};

use crate::Output;

/// One input that was read: how messages name it, the file it is (for
/// GitHub annotations), its text.
pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) file: Option<PathBuf>,
    pub(crate) text: String,
}

/// How `live` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Findings as the build prints errors (stderr), the report as a table.
    Text,
    /// One JSON object: findings and report.
    Json,
    /// GitHub Actions `::error` annotations, then the report as a table.
    Github,
}

/// What `lbipam live` was asked.
pub(crate) struct Args {
    pub(crate) from: Vec<Binding>,
    pub(crate) context: Vec<Binding>,
    pub(crate) format: Format,
    pub(crate) timeout: Duration,
    pub(crate) all: bool,
    pub(crate) color: bool,
}

/// Exit code 2 with every reason on stderr, and nothing else.
fn unusable(errors: &[String]) -> Output {
    Output {
        code: 2,
        stderr: errors.iter().map(|e| format!("error: {e}\n")).collect(),
        ..Output::default()
    }
}

pub(crate) fn run(root: &Path, cwd: &Path, plan: &Plan, args: &Args) -> Output {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    let bindings = args
        .from
        .iter()
        .map(|b| (b, input::Input::File(b.value.clone()), "--from"))
        .chain(
            args.context
                .iter()
                .map(|b| (b, input::Input::Context(b.value.clone()), "--context")),
        );
    for (b, input, flag) in bindings {
        if plan.cluster(&b.cluster).is_none() {
            let names: Vec<&str> = plan.clusters.iter().map(|c| &*c.name.item).collect();
            errors.push(format!(
                "{flag} {}={}: no cluster `{}` in plan.toml (clusters: {})",
                b.cluster,
                b.value,
                b.cluster,
                names.join(", ")
            ));
        }
        inputs.push((b.cluster.clone(), input));
    }
    let stdin = args.from.iter().filter(|b| b.value == "-").count();
    if stdin > 1 {
        errors.push(format!(
            "--from CLUSTER=- is given {stdin} times; stdin can be read once"
        ));
    }
    if !errors.is_empty() {
        return unusable(&errors);
    }
    let sources = match input::read_all(&inputs, cwd, args.timeout) {
        Ok(sources) => sources,
        Err(errors) => return unusable(&errors),
    };
    // Every input is read before anything is judged: one that is not a
    // kubectl List stops the run, with nothing reported.
    let parsed = lbipam_core::par::map(sources.iter().enumerate(), |(i, s)| kube::read(&s.text, i));
    let mut live: Vec<Option<kube::Objects>> = vec![None; plan.clusters.len()];
    for (((cluster, _), source), objects) in inputs.iter().zip(&sources).zip(parsed) {
        match objects {
            Ok(objects) => {
                let Some(ci) = plan.clusters.iter().position(|c| c.name.item == *cluster) else {
                    continue;
                };
                let slot = live[ci].get_or_insert_with(kube::Objects::default);
                slot.services.extend(objects.services);
                slot.pools.extend(objects.pools);
            }
            Err(e) => errors.push(format!("{}: {e}", source.name)),
        }
    }
    if !errors.is_empty() {
        return unusable(&errors);
    }
    let outcome = compare::compare(plan, &live, &sources);
    let plan_text = std::fs::read_to_string(root.join(lbipam_core::plan::layout::PLAN_FILE))
        .unwrap_or_default();
    render::render(&outcome, &sources, &plan_text, args)
}
