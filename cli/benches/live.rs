//! `lbipam live` at fleet scale, as a whole process: a plan of 1,000 clusters
//! (one /25 pool and one pinned Service each) and, per cluster, the output of
//! `kubectl get services,ciliumloadbalancerippools -A -o json` with 100
//! LoadBalancer Services and the pool, written as kubectl writes it (indented,
//! every field a real Service has). Timed healthy (exit 0), and with every
//! tenth Service on an address of the next cluster's pool (10,000
//! `other-cluster-pool` and as many `held-in-two-clusters` findings).
//! `cargo bench -p lbipam-cli --bench live`; best of 5 wall times, recorded in
//! manual/cli.md.

#[path = "../../core/benches/common/mod.rs"]
mod common;

use common::{best_of, dotted};

use std::fmt::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const CLUSTERS: u32 = 1_000;
const SERVICES: u32 = 100;
const POOL: u32 = 128;

fn base(c: u32) -> u32 {
    (1 << 8) + c * POOL
}

fn plan() -> String {
    let mut toml = String::from(
        "[network]\ncidr = \"10.0.0.0/8\"\n\n[services.api]\nservice = \"bench/svc-0\"\n\n[flux]\ndepends-on = []\n\n",
    );
    for c in 0..CLUSTERS {
        let (first, last) = (base(c), base(c) + POOL - 1);
        let _ = write!(
            toml,
            "[clusters.c{c}.pools.p{c}]\nblocks = [\"{}-{}\"]\n\n[clusters.c{c}.pins]\napi = \"{}\"\n\n",
            dotted(first),
            dotted(last),
            dotted(first)
        );
    }
    toml
}

/// One Service as `kubectl get -o json` prints it inside a List.
fn service(out: &mut String, i: u32, ip: &str) {
    let _ = write!(
        out,
        r#"        {{
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {{
                "annotations": {{
                    "meta.helm.sh/release-name": "svc-{i}",
                    "meta.helm.sh/release-namespace": "bench"
                }},
                "creationTimestamp": "2026-11-30T09:12:41Z",
                "labels": {{
                    "app.kubernetes.io/instance": "svc-{i}",
                    "app.kubernetes.io/managed-by": "Helm",
                    "app.kubernetes.io/name": "svc-{i}"
                }},
                "name": "svc-{i}",
                "namespace": "bench",
                "resourceVersion": "{rv}",
                "uid": "5d3c{i:04x}-8a1e-4c2b-9f61-3a7b0000b99a"
            }},
            "spec": {{
                "allocateLoadBalancerNodePorts": true,
                "clusterIP": "10.96.{a}.{b}",
                "clusterIPs": [
                    "10.96.{a}.{b}"
                ],
                "externalTrafficPolicy": "Cluster",
                "internalTrafficPolicy": "Cluster",
                "ipFamilies": [
                    "IPv4"
                ],
                "ipFamilyPolicy": "SingleStack",
                "ports": [
                    {{
                        "name": "https",
                        "nodePort": {port},
                        "port": 443,
                        "protocol": "TCP",
                        "targetPort": 8443
                    }}
                ],
                "selector": {{
                    "app.kubernetes.io/instance": "svc-{i}",
                    "app.kubernetes.io/name": "svc-{i}"
                }},
                "sessionAffinity": "None",
                "type": "LoadBalancer"
            }},
            "status": {{
                "conditions": [
                    {{
                        "lastTransitionTime": "2026-11-30T09:12:41Z",
                        "message": "",
                        "observedGeneration": 1,
                        "reason": "satisfied",
                        "status": "True",
                        "type": "cilium.io/IPAMRequestSatisfied"
                    }}
                ],
                "loadBalancer": {{
                    "ingress": [
                        {{
                            "ip": "{ip}"
                        }}
                    ]
                }}
            }}
        }},
"#,
        rv = 48210 + i,
        a = i / 200,
        b = i % 200 + 20,
        port = 30000 + i
    );
}

fn pool(out: &mut String, c: u32, used: u32) {
    let _ = write!(
        out,
        r#"        {{
            "apiVersion": "cilium.io/v2",
            "kind": "CiliumLoadBalancerIPPool",
            "metadata": {{
                "creationTimestamp": "2026-11-30T09:12:41Z",
                "generation": 1,
                "name": "p{c}",
                "resourceVersion": "9999",
                "uid": "5d3c0000-8a1e-4c2b-9f61-3a7b0000b99a"
            }},
            "spec": {{
                "blocks": [
                    {{
                        "start": "{first}",
                        "stop": "{last}"
                    }}
                ],
                "serviceSelector": {{}}
            }},
            "status": {{
                "conditions": [
                    {{
                        "lastTransitionTime": "2026-11-30T09:12:41Z",
                        "message": "{POOL}",
                        "observedGeneration": 1,
                        "reason": "noreason",
                        "status": "Unknown",
                        "type": "cilium.io/IPsTotal"
                    }},
                    {{
                        "lastTransitionTime": "2026-11-30T09:12:41Z",
                        "message": "{used}",
                        "observedGeneration": 1,
                        "reason": "noreason",
                        "status": "Unknown",
                        "type": "cilium.io/IPsUsed"
                    }}
                ]
            }}
        }}
"#,
        first = dotted(base(c)),
        last = dotted(base(c) + POOL - 1),
    );
}

/// Cluster `c`'s kubectl output; with `stray`, every tenth Service holds the
/// address Service `i - 1` of cluster `c + 1` holds.
fn cluster(c: u32, stray: bool) -> String {
    let mut out = String::from("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n");
    for i in 0..SERVICES {
        let ip = if stray && i % 10 == 9 {
            dotted(base((c + 1) % CLUSTERS) + i - 1)
        } else {
            dotted(base(c) + i)
        };
        service(&mut out, i, &ip);
    }
    pool(&mut out, c, SERVICES);
    out.push_str("    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n");
    out
}

/// The best of 5 runs of `lbipam live --from c0=c0.json …`, and the last
/// run's exit code and output size.
fn time(dir: &Path) -> (Duration, Option<i32>, usize) {
    let (best, out) = best_of(5, || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lbipam"));
        cmd.current_dir(dir).arg("live").env("NO_COLOR", "1");
        for c in 0..CLUSTERS {
            cmd.arg("--from").arg(format!("c{c}=c{c}.json"));
        }
        cmd.output().expect("run lbipam")
    });
    (best, out.status.code(), out.stdout.len() + out.stderr.len())
}

fn main() {
    println!("| fleet | input | `lbipam live` (whole process) | exit | output |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for stray in [false, true] {
        let temp = tempfile::tempdir().expect("temp dir");
        // LBIPAM_LIVE_BENCH_KEEP=DIR leaves the healthy fleet there, to profile.
        let dir = match std::env::var_os("LBIPAM_LIVE_BENCH_KEEP").filter(|_| !stray) {
            Some(keep) => std::path::PathBuf::from(keep),
            None => temp.path().to_owned(),
        };
        std::fs::create_dir_all(&dir).expect("fleet dir");
        std::fs::write(dir.join("plan.toml"), plan()).expect("plan");
        let mut bytes = 0;
        for c in 0..CLUSTERS {
            let text = cluster(c, stray);
            bytes += text.len();
            std::fs::write(dir.join(format!("c{c}.json")), text).expect("input");
        }
        let (best, code, output) = time(&dir);
        println!(
            "| {CLUSTERS} clusters x {SERVICES} Services, {} | {} MiB | {:.0} ms | {} | {} KiB |",
            if stray {
                "every tenth Service stray"
            } else {
                "healthy"
            },
            bytes / (1 << 20),
            best.as_secs_f64() * 1000.0,
            code.map_or("signal".to_owned(), |c| c.to_string()),
            output / 1024
        );
    }
}
