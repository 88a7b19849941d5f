//! The gate follows the plan: each edit a user makes to plan.toml, followed by the
//! build, leaves a tree the whole gate (plan, audits, committed == rendered, schema)
//! passes; and a hand break of one generated value of that tree then fails it,
//! naming the file. The edits are made to the frozen seed repository.

#[path = "../../core/tests/common/mod.rs"]
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{edit, unbuilt_seed};

const PLAN: &str = "plan.toml";

/// A user's edit: plan.toml and, where the edit needs them, hand-written files.
struct Edit {
    name: &'static str,
    apply: fn(&Path),
}

const EDITS: &[Edit] = &[
    Edit {
        name: "grow a pool",
        apply: |root| {
            edit(
                &root.join(PLAN),
                "10.25.11.120-10.25.11.139",
                "10.25.11.120-10.25.11.149",
            )
        },
    },
    Edit {
        name: "shrink a pool",
        apply: |root| {
            edit(
                &root.join(PLAN),
                "10.25.11.100-10.25.11.119",
                "10.25.11.100-10.25.11.112",
            )
        },
    },
    Edit {
        name: "move a pin",
        apply: |root| {
            edit(
                &root.join(PLAN),
                "gateway               = \"10.25.11.121\"",
                "gateway = \"10.25.11.125\"",
            )
        },
    },
    Edit {
        name: "add a reserved range",
        apply: |root| {
            edit(
                &root.join(PLAN),
                "[reserved]",
                "[reserved]\ndns = { range = \"10.25.11.200-10.25.11.209\", note = \"DNS appliances\" }",
            )
        },
    },
    Edit {
        name: "remove a reserved range",
        apply: |root| {
            edit(
                &root.join(PLAN),
                "bgp-router   = { range = \"10.25.11.1\",             note = \"BGP router / peer, ASN 64501\" }\n",
                "",
            )
        },
    },
    Edit {
        name: "add a block",
        apply: |root| {
            edit(
                &root.join(PLAN),
                "blocks = [\"10.25.11.100-10.25.11.119\"]",
                "blocks = [\"10.25.11.100-10.25.11.119\", \"10.25.11.160/28\"]",
            )
        },
    },
    Edit {
        name: "hold pins back with cilium.io/v2 pools",
        apply: |root| {
            let plan = root.join(PLAN);
            edit(
                &plan,
                "[cilium]\n",
                "[cilium]\nreserve-pins = true\napi-version = \"cilium.io/v2\"\n",
            );
            edit(
                &plan,
                "[services.clustermesh-apiserver]",
                "[services.clustermesh-apiserver]\nservice = \"kube-system/clustermesh-apiserver\"",
            );
            edit(
                &plan,
                "[services.gateway]",
                "[services.gateway]\nservice = \"kube-system/cilium-gateway-main\"",
            );
        },
    },
    Edit {
        name: "add a cluster",
        apply: add_edge_cluster,
    },
    Edit {
        name: "remove a cluster",
        apply: |root| {
            edit(
                &root.join(PLAN),
                "[clusters.apps.pools.apps-pool]\nblocks = [\"10.25.11.120-10.25.11.139\"]\n\n[clusters.apps.pins]\nclustermesh-apiserver = \"10.25.11.120\"\ngateway               = \"10.25.11.121\"\n",
                "",
            );
            for dir in ["kubernetes/clusters/apps", "bootstrap/clusters/apps"] {
                fs::remove_dir_all(root.join(dir)).expect("remove the cluster's own files");
            }
        },
    },
    Edit {
        name: "widen the network to a /23 with a block in the new half",
        apply: |root| {
            let plan = root.join(PLAN);
            edit(
                &plan,
                "cidr = \"10.25.11.0/24\"",
                "cidr = \"10.25.10.0/23\"",
            );
            edit(
                &plan,
                "blocks = [\"10.25.11.120-10.25.11.139\"]",
                "blocks = [\"10.25.11.120-10.25.11.139\", \"10.25.10.16/28\"]",
            );
        },
    },
    Edit {
        name: "put the pools on an IPv4 and an IPv6 network, one pool of both families",
        apply: |root| {
            let plan = root.join(PLAN);
            edit(
                &plan,
                "cidr = \"10.25.11.0/24\"",
                "cidr = [\"10.25.11.0/24\", \"fd00:10:25:11::/64\"]",
            );
            edit(
                &plan,
                "blocks = [\"10.25.11.120-10.25.11.139\"]",
                "blocks = [\"fd00:10:25:11::100/120\", \"10.25.11.120-10.25.11.139\", \"fd00:10:25:11::200-fd00:10:25:11::20f\"]",
            );
        },
    },
    Edit {
        name: "name the namespace of a dependency",
        apply: |root| {
            edit(
                &root.join(PLAN),
                "depends-on = [\"cilium-core\"]",
                "depends-on = [\"flux-system/cilium-core\"]",
            )
        },
    },
];

/// A third cluster, `edge`: its hand-written Flux, settings and bootstrap files
/// copied from `apps` the way a user starts one, its pool and pins in the plan.
fn add_edge_cluster(root: &Path) {
    for (from, to) in [
        (
            "kubernetes/clusters/apps/infrastructure.yaml",
            "kubernetes/clusters/edge/infrastructure.yaml",
        ),
        (
            "kubernetes/clusters/apps/cluster-settings.yaml",
            "kubernetes/clusters/edge/cluster-settings.yaml",
        ),
        (
            "bootstrap/clusters/apps/cilium-values.yaml",
            "bootstrap/clusters/edge/cilium-values.yaml",
        ),
    ] {
        let text = fs::read_to_string(root.join(from)).expect("apps file");
        common::write(root, to, &text.replace("apps", "edge"));
    }
    let plan = root.join(PLAN);
    let mut text = fs::read_to_string(&plan).expect("plan");
    text.push_str(
        "\n[clusters.edge.pools.edge-pool]\nblocks = [\"10.25.11.140-10.25.11.159\"]\n\n[clusters.edge.pins]\nclustermesh-apiserver = \"10.25.11.140\"\ngateway = \"10.25.11.141\"\n",
    );
    fs::write(plan, text).expect("write plan");
}

/// The seed repository with `edit` applied and built, as a user commits it.
fn edited_and_built(edit: &Edit) -> tempfile::TempDir {
    let repo = unbuilt_seed();
    (edit.apply)(repo.path());
    let out = tempfile::tempdir().expect("out dir");
    if let Err(report) = lbipam_core::build_with(repo.path(), out.path(), lbipam_core::Mode::Write)
    {
        panic!("{}: the build refused a valid edit:\n{report}", edit.name);
    }
    repo
}

/// The generated manifests under `root` (files starting with our header).
fn generated_yaml(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.join("kubernetes")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if fs::read_to_string(&path)
                .is_ok_and(|t| t.starts_with("# Code generated by lbipam-plan"))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Changes one address of a generated pool by hand: the last digit of the first
/// `start:` or `cidr:` value.
fn break_a_pool(root: &Path) -> String {
    for path in generated_yaml(root) {
        let text = fs::read_to_string(&path).expect("read");
        let Some(line) = text.lines().find(|l| {
            let item = l.trim_start().trim_start_matches("- ");
            item.starts_with("start:") || item.starts_with("cidr:")
        }) else {
            continue;
        };
        let last = line.chars().last().expect("a value");
        let other = if last == '9' {
            '8'
        } else {
            char::from(last as u8 + 1)
        };
        let broken = format!("{}{other}", &line[..line.len() - 1]);
        fs::write(&path, text.replacen(line, &broken, 1)).expect("write");
        return path
            .strip_prefix(root)
            .expect("under root")
            .display()
            .to_string();
    }
    panic!("no generated pool under {}", root.display());
}

#[test]
fn every_valid_edit_of_the_plan_passes_the_gate_once_built_and_a_hand_break_fails_it() {
    for edit in EDITS {
        let repo = edited_and_built(edit);
        if let Err(report) = lbipam_gate::check(repo.path()) {
            panic!("{}: the gate rejects the built tree:\n{report}", edit.name);
        }
        let broken = break_a_pool(repo.path());
        match lbipam_gate::check(repo.path()) {
            Ok(_) => panic!("{}: the gate passed a hand edit of {broken}", edit.name),
            Err(report) => assert!(
                report.contains(&broken),
                "{}: the gate must name {broken}:\n{report}",
                edit.name
            ),
        }
    }
}

#[test]
fn removing_a_cluster_deletes_its_generated_pools() {
    let remove = EDITS
        .iter()
        .find(|e| e.name == "remove a cluster")
        .expect("edit");
    let repo = edited_and_built(remove);
    let ipam = repo
        .path()
        .join("kubernetes/infrastructure/networking/cilium/ipam");
    assert!(ipam.join("infra").is_dir());
    assert!(
        !ipam.join("apps").exists(),
        "the removed cluster's pool dir is gone"
    );
}

/// The fenced `text` block of manual/plan.md's *Adding a cluster*: the finding a
/// user meets when a new cluster has no `cilium-core` yet.
fn manual_new_cluster_block() -> String {
    let manual =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../manual/plan.md"))
            .expect("manual/plan.md");
    let section = manual
        .split_once("## Adding a cluster")
        .expect("the section")
        .1;
    let block = section.split_once("```text\n").expect("its text block").1;
    block.split_once("```").expect("its end").0.to_owned()
}

/// The codes of the errors `cargo build` reports for `root`, asserting that it
/// refused and wrote nothing of the new cluster `edge`.
fn refused_codes(root: &Path) -> (Vec<&'static str>, String) {
    let out = tempfile::tempdir().expect("out dir");
    let report = lbipam_core::build_with(root, out.path(), lbipam_core::Mode::Write)
        .expect_err("the build refuses the half-added cluster");
    let ipam = "kubernetes/infrastructure/networking/cilium/ipam/edge";
    assert!(!root.join(ipam).exists(), "nothing written:\n{report}");
    let codes = report.errors.iter().map(|e| e.code()).collect();
    (codes, report.to_string())
}

#[test]
fn a_new_cluster_is_refused_until_its_hand_written_files_are_copied_as_the_manual_says() {
    let repo = unbuilt_seed();
    let root = repo.path();
    let plan = root.join(PLAN);
    let mut text = fs::read_to_string(&plan).expect("plan");
    text.push_str(
        "\n[clusters.edge.pools.edge-pool]\nblocks = [\"10.25.11.140-10.25.11.149\"]\n\n[clusters.edge.pins]\nclustermesh-apiserver = \"10.25.11.140\"\ngateway = \"10.25.11.141\"\n",
    );
    fs::write(&plan, text).expect("write plan");

    let (codes, shown) = refused_codes(root);
    assert_eq!(codes, ["dangling-depends-on"], "{shown}");
    assert!(
        shown.contains(&manual_new_cluster_block()),
        "manual/plan.md shows the finding as the build renders it:\n{shown}"
    );

    // Step 2, half done: the `cilium-core` Kustomization, but no settings yet.
    let apps = fs::read_to_string(root.join("kubernetes/clusters/apps/infrastructure.yaml"))
        .expect("apps' Flux");
    let core = apps
        .split("---\n")
        .find(|d| d.contains("name: cilium-core\n"))
        .expect("apps' cilium-core document");
    common::write(
        root,
        "kubernetes/clusters/edge/infrastructure.yaml",
        &format!("---\n{core}"),
    );
    let (codes, shown) = refused_codes(root);
    assert!(
        !codes.is_empty() && codes.iter().all(|c| *c == "unset-variable"),
        "{shown}"
    );

    // Step 2 done: the hand-written settings keys too; the build writes the rest.
    common::write(
        root,
        "kubernetes/clusters/edge/cluster-settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\ndata:\n  CLUSTER_NAME: \"edge\"\n  CLUSTER_ID: \"3\"\n  BGP_PEER_ADDRESS: \"10.25.11.1\"\n  BGP_PEER_ASN: \"64501\"\n",
    );
    let out = tempfile::tempdir().expect("out dir");
    if let Err(report) = lbipam_core::build_with(root, out.path(), lbipam_core::Mode::Write) {
        panic!("the build refuses the added cluster:\n{report}");
    }
    if let Err(report) = lbipam_gate::check(root) {
        panic!("the gate rejects the added cluster:\n{report}");
    }
}
