//! Hand-written files and faults: a broken or dangerous file in the
//! repository fails the build with its name and nothing is written; a write that
//! fails midway leaves every file whole and a second run converges.

mod common;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use common::{edit, scratch_repo, snapshot};
use lbipam_core::build;
use lbipam_core::generate::outputs;
use lbipam_core::write::{self, Change, Disk, Fs};

/// Builds, expects failure, and proves nothing changed; returns the report.
fn fails_writing_nothing(root: &Path) -> String {
    let out = tempfile::tempdir().expect("out");
    let before = snapshot(root);
    let report = build(root, out.path())
        .expect_err("the build must fail")
        .to_string();
    assert_eq!(snapshot(root), before, "nothing may be written:\n{report}");
    assert!(snapshot(out.path()).is_empty(), "no plan.rs either");
    report
}

/// A plan edit that forces every managed file to change, so refusals show.
fn move_infra_pin(root: &Path) {
    edit(
        &root.join("plan.toml"),
        "clustermesh-apiserver = \"10.25.11.100\"",
        "clustermesh-apiserver = \"10.25.11.101\"",
    );
}

#[test]
fn malformed_yaml_in_each_managed_hand_written_file_is_named_and_nothing_is_written() {
    for (file, broken) in [
        (
            "kubernetes/clusters/infra/infrastructure.yaml",
            "apiVersion: v1\nkind: [unclosed\n",
        ),
        (
            "kubernetes/clusters/infra/cluster-settings.yaml",
            "apiVersion: v1\ndata:\n  A: \"1\n  B: 2\n",
        ),
        (
            "bootstrap/clusters/apps/cilium-values.yaml",
            "clustermesh:\n  useAPIServer: true\n bad: indent\n",
        ),
    ] {
        let repo = scratch_repo();
        move_infra_pin(repo.path());
        fs::write(repo.path().join(file), broken).expect("write");
        let report = fails_writing_nothing(repo.path());
        assert_eq!(
            report.matches(&format!("--> {file}:")).count(),
            1,
            "reported once: {report}"
        );
    }
}

#[test]
fn a_second_cilium_ipam_document_is_an_error_not_a_guess() {
    let repo = scratch_repo();
    let path = repo
        .path()
        .join("kubernetes/clusters/apps/infrastructure.yaml");
    let text = fs::read_to_string(&path).expect("read");
    let ours = &text[text.rfind("---\n").expect("documents")..];
    fs::write(&path, format!("{text}{ours}")).expect("write");
    let report = fails_writing_nothing(repo.path());
    assert!(
        report.contains("kubernetes/clusters/apps/infrastructure.yaml"),
        "{report}"
    );
    assert!(report.contains("cilium-ipam"), "{report}");
}

#[test]
fn a_managed_key_of_the_wrong_type_is_an_error() {
    let repo = scratch_repo();
    let settings = repo
        .path()
        .join("kubernetes/clusters/infra/cluster-settings.yaml");
    let text = fs::read_to_string(&settings).expect("read");
    let data = text.find("\ndata:").expect("data") + 1;
    fs::write(
        &settings,
        format!("{}data:\n  - not\n  - a mapping\n", &text[..data]),
    )
    .expect("write");
    let report = fails_writing_nothing(repo.path());
    assert!(
        report.contains("kubernetes/clusters/infra/cluster-settings.yaml"),
        "{report}"
    );

    let repo = scratch_repo();
    let values = repo
        .path()
        .join("bootstrap/clusters/apps/cilium-values.yaml");
    let text = fs::read_to_string(&values).expect("read");
    let mesh = text.find("clustermesh:").expect("clustermesh");
    fs::write(
        &values,
        format!(
            "{}clustermesh:\n  apiserver:\n    service: LoadBalancer\n",
            &text[..mesh]
        ),
    )
    .expect("write");
    let report = fails_writing_nothing(repo.path());
    assert!(
        report.contains("bootstrap/clusters/apps/cilium-values.yaml"),
        "{report}"
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_in_place_of_a_generated_file_is_refused() {
    let repo = scratch_repo();
    let outside = tempfile::tempdir().expect("outside");
    let target = outside.path().join("victim.yaml");
    fs::write(&target, "precious\n").expect("write");
    let pool = repo
        .path()
        .join("kubernetes/infrastructure/networking/cilium/ipam/apps/lb-ippool-apps.yaml");
    fs::remove_file(&pool).expect("rm");
    std::os::unix::fs::symlink(&target, &pool).expect("symlink");
    let report = fails_writing_nothing(repo.path());
    assert!(
        report.contains("lb-ippool-apps.yaml")
            && (report.contains("symbolic link") || report.contains("through a symlink")),
        "{report}"
    );
    assert_eq!(fs::read_to_string(&target).expect("read"), "precious\n");
}

#[cfg(unix)]
#[test]
fn a_symlinked_directory_on_the_way_to_a_generated_file_is_refused() {
    let repo = scratch_repo();
    let outside = tempfile::tempdir().expect("outside");
    let dir = repo
        .path()
        .join("kubernetes/infrastructure/networking/cilium/ipam/apps");
    fs::remove_dir_all(&dir).expect("rm");
    std::os::unix::fs::symlink(outside.path(), &dir).expect("symlink");
    let report = fails_writing_nothing(repo.path());
    assert!(
        report.contains("symbolic link") || report.contains("through a symlink"),
        "{report}"
    );
    assert!(
        snapshot(outside.path()).is_empty(),
        "nothing written outside the repo"
    );
}

#[test]
fn a_read_only_file_that_must_change_is_refused_before_anything_is_written() {
    let repo = scratch_repo();
    move_infra_pin(repo.path());
    let settings = repo
        .path()
        .join("kubernetes/clusters/infra/cluster-settings.yaml");
    let mut perms = fs::metadata(&settings).expect("meta").permissions();
    perms.set_readonly(true);
    fs::set_permissions(&settings, perms).expect("chmod");
    let report = fails_writing_nothing(repo.path());
    assert!(
        report.contains("cluster-settings.yaml") && report.contains("read-only"),
        "{report}"
    );
}

#[test]
fn crlf_hand_written_files_keep_their_line_endings_and_content() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    let settings = repo
        .path()
        .join("kubernetes/clusters/infra/cluster-settings.yaml");
    let lf = fs::read_to_string(&settings).expect("read");
    fs::write(&settings, lf.replace('\n', "\r\n")).expect("write");
    move_infra_pin(repo.path());
    build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    let after = fs::read_to_string(&settings).expect("read");
    assert_eq!(
        after.matches('\n').count(),
        after.matches("\r\n").count(),
        "every line ends in CRLF"
    );
    assert_eq!(
        after.replace("\r\n", "\n"),
        lf.replace(
            "CLUSTERMESH_IP: \"10.25.11.100\"",
            "CLUSTERMESH_IP: \"10.25.11.101\""
        )
    );
}

/// A file system whose `fail_at`-th operation fails; a failing write leaves
/// half of the bytes behind, as a crash or a full disk would.
struct Faulty {
    ops: usize,
    fail_at: usize,
}

impl Fs for Faulty {
    fn write_new(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.ops += 1;
        if self.ops == self.fail_at {
            fs::write(path, &bytes[..bytes.len() / 2])?;
            return Err(io::Error::other("injected: disk full"));
        }
        Disk.write_new(path, bytes)
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        self.ops += 1;
        if self.ops == self.fail_at {
            return Err(io::Error::other("injected: rename failed"));
        }
        Disk.rename(from, to)
    }

    fn remove_file(&mut self, path: &Path) -> io::Result<()> {
        self.ops += 1;
        if self.ops == self.fail_at {
            return Err(io::Error::other("injected: remove failed"));
        }
        Disk.remove_file(path)
    }

    fn keep_permissions(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        self.ops += 1;
        if self.ops == self.fail_at {
            return Err(io::Error::other("injected: chmod failed"));
        }
        Disk.keep_permissions(from, to)
    }
}

fn temp_files(root: &Path) -> Vec<PathBuf> {
    snapshot(root)
        .into_keys()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect()
}

#[test]
fn a_write_failing_at_any_step_leaves_each_file_whole_and_a_rerun_converges() {
    let mut step = 1;
    loop {
        let repo = scratch_repo();
        move_infra_pin(repo.path());
        let plan = lbipam_core::generate::load(repo.path()).unwrap_or_else(|r| panic!("{r}"));
        let outs = outputs(repo.path(), &plan).unwrap_or_else(|r| panic!("{r}"));
        let changes = write::changes(repo.path(), &outs.files, &outs.remove).expect("changes");
        assert!(changes.len() >= 4, "the pin move touches several files");
        let before = snapshot(repo.path());

        let mut faulty = Faulty {
            ops: 0,
            fail_at: step,
        };
        let result = write::apply_with(&mut faulty, repo.path(), &changes);
        if result.is_ok() {
            assert!(
                step > 2 * changes.len(),
                "every step must have been made to fail once"
            );
            break;
        }
        assert_eq!(
            temp_files(repo.path()),
            Vec::<PathBuf>::new(),
            "step {step}: temp file left behind"
        );
        let now = snapshot(repo.path());
        for change in &changes {
            let Change::Write { path, contents } = change else {
                continue;
            };
            let have = &now[path];
            assert!(
                *have == before[path] || *have == contents.as_bytes(),
                "step {step}: {} is neither old nor new",
                path.display()
            );
        }

        // A second, clean run converges on the outputs.
        let changes = write::changes(repo.path(), &outs.files, &outs.remove).expect("changes");
        write::apply(repo.path(), &changes).expect("clean run");
        let done = snapshot(repo.path());
        for (path, contents) in &outs.files {
            assert_eq!(
                done[path],
                contents.as_bytes(),
                "step {step}: {} converged",
                path.display()
            );
        }
        step += 1;
    }
}

#[test]
fn a_read_only_file_that_is_already_right_does_not_fail_the_build() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    let pool = repo
        .path()
        .join("kubernetes/infrastructure/networking/cilium/ipam/infra/lb-ippool-infra.yaml");
    let mut perms = fs::metadata(&pool).expect("meta").permissions();
    perms.set_readonly(true);
    fs::set_permissions(&pool, perms).expect("chmod");
    let summary = build(repo.path(), out.path()).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(summary.changes, []);
}

#[cfg(unix)]
#[test]
fn a_symlinked_directory_among_the_pool_components_is_never_cleaned_up() {
    let repo = scratch_repo();
    let out = tempfile::tempdir().expect("out");
    let outside = tempfile::tempdir().expect("outside");
    // Looks like a generated component of a removed cluster, but lives elsewhere.
    let victim = outside.path().join("kustomization.yaml");
    fs::write(
        &victim,
        "# Code generated by lbipam-plan from plan.toml. DO NOT EDIT.\nkind: Kustomization\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(
        outside.path(),
        repo.path()
            .join("kubernetes/infrastructure/networking/cilium/ipam/old"),
    )
    .expect("symlink");
    // The audit will not read through a link leaving the repository either.
    let report = build(repo.path(), out.path())
        .expect_err("a symlink out of the repository")
        .to_string();
    assert!(
        report.contains("ipam/old: a symlink to") && report.contains("outside the repository"),
        "{report}"
    );
    assert!(victim.exists(), "a file outside the repository was deleted");
}
