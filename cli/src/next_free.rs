//! `lbipam next-free CLUSTER [--count N] [--pool P]`: the lowest addresses of a
//! cluster's pools that Cilium can hand out and nothing takes yet — no pin, and
//! no file of the repository asking for it (a hand-written Service with a
//! literal `lbipam.cilium.io/ips`, say) — which `pin` also picks from.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lbipam_core::diag::error::Error;
use lbipam_core::generate;
use lbipam_core::plan::{Cluster, Plan};
use lbipam_core::usage;

use crate::{Output, fail, ok};

/// The addresses the files of the repository ask of one cluster, each with the
/// first place it is asked for.
pub(crate) struct Asked {
    taken: BTreeMap<IpAddr, (PathBuf, usize)>,
    /// Why they are not known, when they are not: the repository fails its
    /// checks, so what its files ask for cannot be worked out.
    unknown: Option<String>,
    /// The errors the repository has already (none when `unknown` is `None`).
    pub(crate) errors: Vec<Error>,
}

impl Asked {
    /// What the audit of the repository at `root` finds asked of `cluster` (or
    /// of no cluster it can name).
    pub(crate) fn of(root: &Path, plan: &Plan, cluster: &str) -> Asked {
        let outputs = match generate::outputs(root, plan) {
            Ok(outputs) => outputs,
            Err(report) => {
                let n = report.errors.len();
                let why = format!(
                    "the repository fails its checks ({n} error{}, see `lbipam check`), so the \
                     addresses its files ask for are not known and were not left out",
                    if n == 1 { "" } else { "s" }
                );
                let taken = BTreeMap::new();
                return Asked {
                    taken,
                    unknown: Some(why),
                    errors: report.errors,
                };
            }
        };
        let mut taken = BTreeMap::new();
        for r in outputs.requested {
            if r.cluster.as_deref().is_none_or(|c| c == cluster) {
                taken.entry(r.addr).or_insert((r.path, r.line));
            }
        }
        Asked {
            taken,
            unknown: None,
            errors: Vec::new(),
        }
    }

    /// Why what the files ask for is not known, if it is not.
    pub(crate) fn unknown(&self) -> Option<&str> {
        self.unknown.as_deref()
    }

    /// Where a file asks for `addr`, if one does.
    pub(crate) fn at(&self, addr: IpAddr) -> Option<String> {
        let (path, line) = self.taken.get(&addr)?;
        Some(format!(
            "{}:{line}",
            crate::printable(&path.to_string_lossy())
        ))
    }

    /// The first `count` addresses of the cluster's pools (or of `pool`) that
    /// Cilium can hand out, no pin takes and no file asks for; and a note for
    /// each address left out on the way, and for addresses not known.
    pub(crate) fn free(
        &self,
        c: &Cluster,
        pool: Option<&str>,
        count: usize,
    ) -> (Vec<IpAddr>, String) {
        let mut notes = String::new();
        let found = self.free_iter(c, pool, &mut notes).take(count).collect();
        if let Some(why) = &self.unknown {
            let _ = writeln!(notes, "warning: {why}");
        }
        (found, notes)
    }

    /// The addresses of [`Asked::free`], lazily and without end but the pools':
    /// an IPv6 pool holds more than any list could; a note goes to `notes` for
    /// each address left out on the way.
    fn free_iter<'a>(
        &'a self,
        c: &'a Cluster,
        pool: Option<&'a str>,
        notes: &'a mut String,
    ) -> impl Iterator<Item = IpAddr> + 'a {
        usage::free_addresses(c, pool).filter(move |&addr| match self.at(addr) {
            Some(at) => {
                let _ = writeln!(notes, "note: left out {addr}: {at} asks for it");
                false
            }
            None => true,
        })
    }
}

/// Prints the free addresses to `stdout` as they are found (a count beyond what
/// the pools hold ends where they do; a closed pipe ends it at once); returns
/// what is left to say on stderr and the exit code, or the write error.
pub(crate) fn run(
    root: &Path,
    plan: &Plan,
    (cluster, pool, count): (&str, Option<&str>, u64),
    stdout: &mut dyn std::io::Write,
) -> std::io::Result<Output> {
    let c = match crate::cluster(plan, cluster) {
        Ok(c) => c,
        Err(out) => return Ok(out),
    };
    if let Some(pool) = pool
        && !c.pools.iter().any(|p| p.name.item == pool)
    {
        let names: Vec<&str> = c.pools.iter().map(|p| &*p.name.item).collect();
        let elsewhere = plan
            .clusters
            .iter()
            .find(|o| o.pools.iter().any(|p| p.name.item == pool))
            .map(|o| format!("; `{pool}` is a pool of cluster {}", o.name.item))
            .unwrap_or_default();
        return Ok(fail(format!(
            "cluster {cluster} has no pool `{pool}` (pools: {}){elsewhere}",
            names.join(", ")
        )));
    }
    let asked = Asked::of(root, plan, cluster);
    let mut notes = String::new();
    let mut found: u64 = 0;
    for addr in asked.free_iter(c, pool, &mut notes) {
        if found == count {
            break;
        }
        writeln!(stdout, "{addr}")?;
        found += 1;
    }
    if let Some(why) = asked.unknown() {
        let _ = writeln!(notes, "warning: {why}");
    }
    if found < count {
        let whose = match pool {
            Some(p) => format!("pool {p} of cluster {cluster}"),
            None => format!("the pools of cluster {cluster}"),
        };
        return Ok(Output {
            code: 1,
            stdout: String::new(),
            stderr: format!(
                "{notes}error: {whose} {} {}, {count} asked for\n",
                if pool.is_some() { "has" } else { "have" },
                match found {
                    0 => "no free address left".to_owned(),
                    1 => "only 1 free address".to_owned(),
                    n => format!("only {n} free addresses"),
                }
            ),
        });
    }
    Ok(Output {
        stderr: notes,
        ..ok(String::new())
    })
}
