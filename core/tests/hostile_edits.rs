//! Hand-written YAML the build edits or audits, as an attacker or a careless user
//! writes it: edits never change what the user wrote, no check is skipped
//! silently, legitimate YAML is not refused, and a refusal blames the right line.
//! Every file the build writes is read back with libyaml (the YAML 1.1 parser
//! family of kubectl, Helm and Flux), independently of the editor's own parser.

mod common;

use std::fs;
use std::path::Path;

use common::{builds_twice, edit, read, scratch_repo, snapshot};
use lbipam_core::artifact::edit::upsert_document;
use lbipam_core::build;
use yaml_serde::Value;

const SETTINGS: &str = "kubernetes/clusters/infra/cluster-settings.yaml";
const VALUES: &str = "bootstrap/clusters/infra/cilium-values.yaml";
const FLUX: &str = "kubernetes/clusters/infra/infrastructure.yaml";

/// Every document of `text` as libyaml reads it; panics if it cannot.
fn yaml11(text: &str) -> Vec<Value> {
    yaml_serde::Deserializer::from_str(text.trim_start_matches('\u{feff}'))
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{e}\n{text}")))
        .collect()
}

fn write(root: &Path, path: &str, text: &str) {
    fs::write(root.join(path), text).expect("write");
}

/// Gives Cilium's HelmRelease defaults for the hand-written settings it
/// substitutes (CLUSTER_NAME, CLUSTER_ID): without them in cluster-settings the
/// build, as Flux, refuses it.
fn defaults(root: &Path) {
    let release = "kubernetes/infrastructure/networking/cilium/core/helmrelease.yaml";
    let text = read(root, release)
        .replace("${CLUSTER_NAME}", "${CLUSTER_NAME:=infra}")
        .replace("${CLUSTER_ID}", "${CLUSTER_ID:=1}");
    write(root, release, &text);
}

/// Builds, expecting failure with nothing written; returns the report.
fn refuses(root: &Path) -> String {
    let out = tempfile::tempdir().expect("out");
    let before = snapshot(root);
    let report = build(root, out.path()).expect_err("must fail").to_string();
    assert_eq!(snapshot(root), before, "nothing may be written:\n{report}");
    report
}

/// Drops the `CILIUM_LB_POOL_BLOCKS` line, so the build must append a key.
fn settings_without_blocks(root: &Path) -> String {
    let text = read(root, SETTINGS);
    let line = text
        .lines()
        .find(|l| l.contains("CILIUM_LB_POOL_BLOCKS"))
        .expect("blocks line");
    text.replace(&format!("{line}\n"), "")
}

// --- Edits must not change what the user wrote --------------------------------

#[test]
fn a_block_scalar_ending_the_file_without_a_line_break_keeps_its_value() {
    let repo = scratch_repo();
    let motd = "  MOTD: |\n    Welcome\n    Ask #netops for help";
    let text = format!("{}{motd}", settings_without_blocks(repo.path()));
    write(repo.path(), SETTINGS, &text);
    builds_twice(repo.path());
    let out = read(repo.path(), SETTINGS);
    let data = &yaml11(&out)[0]["data"];
    assert_eq!(data["MOTD"], Value::from("Welcome\nAsk #netops for help"));
    assert_eq!(
        data["CILIUM_LB_POOL_BLOCKS"],
        Value::from("10.25.11.100-10.25.11.119")
    );
    assert!(
        out.ends_with(motd),
        "the block stays last, untouched:\n{out}"
    );
}

#[test]
fn a_document_inserted_after_a_block_scalar_ending_the_file_keeps_its_value() {
    let text = "kind: ConfigMap\nmetadata:\n  name: motd\ndata:\n  MOTD: |\n    hi";
    let doc = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: cilium-ipam\n";
    let out = upsert_document(text, "Kustomization", "cilium-ipam", doc, None, &[]).expect("edit");
    let docs = yaml11(&out);
    let motd = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .expect("kept");
    assert_eq!(motd["data"]["MOTD"], Value::from("hi"));
    assert!(docs.iter().any(|d| d["metadata"]["name"] == "cilium-ipam"));
    assert!(out.ends_with(text), "{out}");
}

#[test]
fn a_helm_service_reached_through_a_merge_key_is_refused_with_what_to_write() {
    let repo = scratch_repo();
    let text = read(repo.path(), VALUES);
    let mesh = text.find("clustermesh:").expect("clustermesh");
    let merged = "lbsvc: &lbsvc\n  annotations:\n    external-dns.alpha.kubernetes.io/hostname: mesh.example.org\nclustermesh:\n  apiserver:\n    service:\n      <<: *lbsvc\n";
    write(repo.path(), VALUES, &format!("{}{merged}", &text[..mesh]));
    let report = refuses(repo.path());
    assert!(
        report.contains(&format!("--> {VALUES}:"))
            && report.contains("comes from the merge key `<<`")
            && report.contains("write `annotations:` out under `clustermesh.apiserver.service`"),
        "{report}"
    );
}

#[test]
fn the_owned_flux_document_keeps_fields_labels_and_comments_the_user_added() {
    let repo = scratch_repo();
    let text = read(repo.path(), FLUX);
    let ours = text.rfind("name: cilium-ipam\n").expect("ours");
    let mut mine = text.clone();
    mine.insert_str(
        ours + "name: cilium-ipam\n".len(),
        "  labels:\n    team: net # who to call\n",
    );
    let mine = mine.replace(
        "  timeout: 5m\n",
        "  timeout: 5m\n  # retry faster than the default\n  retryInterval: 1m\n",
    );
    write(repo.path(), FLUX, &mine);
    edit(
        &repo.path().join("plan.toml"),
        "interval = \"10m\"",
        "interval = \"15m\"",
    );
    builds_twice(repo.path());
    let out = read(repo.path(), FLUX);
    // Only the rendered field that changed; cilium-core's own `interval` stays.
    let expected = format!(
        "{}{}",
        &mine[..ours],
        mine[ours..].replacen("interval: 10m", "interval: 15m", 1)
    );
    assert_eq!(out, expected);
    let doc = yaml11(&out)
        .into_iter()
        .find(|d| d["metadata"]["name"] == "cilium-ipam");
    let doc = doc.expect("cilium-ipam");
    assert_eq!(doc["spec"]["interval"], Value::from("15m"));
    assert_eq!(doc["spec"]["retryInterval"], Value::from("1m"));
    assert_eq!(doc["metadata"]["labels"]["team"], Value::from("net"));
}

#[test]
fn a_values_file_holding_only_a_null_document_gets_valid_values() {
    let repo = scratch_repo();
    write(repo.path(), VALUES, "--- !!null  # no values yet\n");
    builds_twice(repo.path());
    let out = read(repo.path(), VALUES);
    assert!(out.starts_with("---  # no values yet\n"), "{out}");
    let service = &yaml11(&out)[0]["clustermesh"]["apiserver"]["service"];
    assert_eq!(
        service["annotations"]["io.cilium/lb-ipam-ips"],
        Value::from("10.25.11.100")
    );
    assert_eq!(service["type"], Value::from("LoadBalancer"));
}

// --- No check may be skipped silently -----------------------------------------

#[test]
fn a_trailing_separator_does_not_hide_a_stale_setting() {
    let repo = scratch_repo();
    let text = read(repo.path(), SETTINGS);
    // A hand-written key holding the apps pool's address, then a lone `---`.
    write(
        repo.path(),
        SETTINGS,
        &format!("{text}  OLD_MESH_IP: \"10.25.11.120\"\n---\n"),
    );
    let report = refuses(repo.path());
    assert!(
        report
            .contains("`OLD_MESH_IP: 10.25.11.120` of cluster infra is another cluster's address"),
        "{report}"
    );
}

#[test]
fn a_line_break_only_yaml_1_1_sees_is_refused_wherever_the_audit_reads() {
    let hidden = "# see runbook\u{2028}    io.cilium/lb-ipam-ips: \"10.25.12.100\"";
    for (file, text) in [
        (
            "kubernetes/apps/mesh.yaml",
            format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: mesh\n  annotations:\n    {hidden}\n"
            ),
        ),
        (VALUES, format!("cluster:\n  name: infra {hidden}\n")),
        ("kubernetes/apps/cr.yaml", "a: 1\rb: 2\n".to_owned()),
        (
            "kubernetes/apps/nel.yaml",
            "a: 1 # x\u{85}b: 2\n".to_owned(),
        ),
    ] {
        let repo = scratch_repo();
        fs::create_dir_all(repo.path().join("kubernetes/apps")).expect("mkdir");
        write(repo.path(), file, &text);
        let report = refuses(repo.path());
        assert!(
            report.contains(&format!("--> {file}:"))
                && report.contains("YAML 1.1 tools (kubectl, Helm, Flux) read it as a line break"),
            "{file}: {report}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_manifest_is_audited_as_what_it_points_at() {
    let repo = scratch_repo();
    let dir = repo.path().join("kubernetes/clusters/infra/apps");
    fs::create_dir_all(&dir).expect("mkdir");
    let real = repo.path().join("kubernetes/shared-service.yaml");
    fs::write(
        &real,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  loadBalancerIP: 10.25.11.120\n",
    )
    .expect("write");
    // Shared, the address is fine (apps holds it); linked into infra, it is not.
    std::os::unix::fs::symlink(&real, dir.join("service.yaml")).expect("symlink");
    let report = refuses(repo.path());
    assert!(
        report.contains("kubernetes/clusters/infra/apps/service.yaml:6:")
            && report.contains("is not given to cluster infra"),
        "{report}"
    );

    let repo = scratch_repo();
    let outside = tempfile::tempdir().expect("outside");
    fs::write(outside.path().join("x.yaml"), "a: 1\n").expect("write");
    let link = repo.path().join("kubernetes/x.yaml");
    std::os::unix::fs::symlink(outside.path().join("x.yaml"), link).expect("symlink");
    let report = refuses(repo.path());
    assert!(
        report.contains("kubernetes/x.yaml: a symlink to"),
        "{report}"
    );
}

// --- Legitimate YAML accepted, the right line blamed ----------------------------

#[test]
fn a_byte_order_mark_before_the_first_key_is_kept_and_accepted() {
    let repo = scratch_repo();
    for file in [SETTINGS, VALUES, FLUX] {
        let text = read(repo.path(), file);
        write(repo.path(), file, &format!("\u{feff}{text}"));
    }
    edit(
        &repo.path().join("plan.toml"),
        "clustermesh-apiserver = \"10.25.11.100\"",
        "clustermesh-apiserver = \"10.25.11.101\"",
    );
    builds_twice(repo.path());
    for file in [SETTINGS, VALUES, FLUX] {
        assert!(read(repo.path(), file).starts_with('\u{feff}'), "{file}");
    }
    let settings = yaml11(&read(repo.path(), SETTINGS));
    assert_eq!(
        settings[0]["data"]["CLUSTERMESH_IP"],
        Value::from("10.25.11.101")
    );
}

#[test]
fn null_maps_are_opened_like_empty_ones() {
    for (file, from, to) in [
        (VALUES, "      annotations:\n", "      annotations: ~\n"),
        (
            VALUES,
            "      annotations:\n",
            "      annotations: null # none yet\n",
        ),
        (
            VALUES,
            "      annotations:\n",
            "      annotations: !!map {}\n",
        ),
    ] {
        let repo = scratch_repo();
        let text = read(repo.path(), file);
        let line = text
            .lines()
            .find(|l| l.contains("io.cilium/lb-ipam-ips"))
            .expect("annotation");
        write(
            repo.path(),
            file,
            &text.replace(&format!("{line}\n"), "").replace(from, to),
        );
        builds_twice(repo.path());
        let out = read(repo.path(), file);
        let service = &yaml11(&out)[0]["clustermesh"]["apiserver"]["service"];
        assert_eq!(
            service["annotations"]["io.cilium/lb-ipam-ips"],
            Value::from("10.25.11.100"),
            "{to}:\n{out}"
        );
    }
    let repo = scratch_repo();
    let text = read(repo.path(), SETTINGS);
    let data = text.find("\ndata:").expect("data") + 1;
    defaults(repo.path());
    write(
        repo.path(),
        SETTINGS,
        &format!("{}data: ~\n", &text[..data]),
    );
    builds_twice(repo.path());
    let settings = yaml11(&read(repo.path(), SETTINGS));
    assert_eq!(
        settings[0]["data"]["CLUSTERMESH_IP"],
        Value::from("10.25.11.100")
    );
}

#[test]
fn removing_a_managed_key_whose_anchor_is_used_names_the_alias() {
    let repo = scratch_repo();
    edit(
        &repo.path().join(SETTINGS),
        "CLUSTERMESH_IP: \"10.25.11.100\"",
        "CLUSTERMESH_IP: &mesh \"10.25.11.100\"",
    );
    let text = read(repo.path(), SETTINGS);
    write(
        repo.path(),
        SETTINGS,
        &format!("{text}  MESH_COPY: *mesh\n"),
    );
    edit(
        &repo.path().join("plan.toml"),
        "clustermesh-apiserver = \"10.25.11.100\"\n",
        "",
    );
    let report = refuses(repo.path());
    assert!(
        report.contains(&format!("--> {SETTINGS}:16:"))
            && report.contains("its anchor `&mesh` is used by `*mesh` on line 21")
            && report.contains("write the value there instead of `*mesh`"),
        "{report}"
    );
}

#[test]
fn an_empty_settings_file_is_treated_like_a_missing_one() {
    let missing = scratch_repo();
    defaults(missing.path());
    fs::remove_file(missing.path().join(SETTINGS)).expect("rm");
    builds_twice(missing.path());
    for empty in ["", "\n", "# settings to come\n"] {
        let repo = scratch_repo();
        defaults(repo.path());
        write(repo.path(), SETTINGS, empty);
        builds_twice(repo.path());
        assert_eq!(
            read(repo.path(), SETTINGS),
            format!("{empty}{}", read(missing.path(), SETTINGS)),
            "{empty:?}"
        );
    }
}
