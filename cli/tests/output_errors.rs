//! The `lbipam` binary's output as a process meets it: a write that fails (a
//! full disk, a closed stdout) is an error with a message and a non-zero exit;
//! a closed pipe (`| head`) ends it quietly; `next-free` streams what it finds,
//! so a count beyond what the pools hold is bounded by them (and by the reader).
//! Each run on a scratch copy of the seed repository, or a scratch IPv6 plan.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn seed() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/seed")
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().expect("type").is_dir() {
            copy(&src, &dst);
        } else {
            fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// A copy of the seed repository in a fresh temporary directory, built.
fn scratch_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy(&seed(), dir.path());
    // The fixture keeps only what is written by hand: build it as a user would.
    let out = tempfile::tempdir().expect("out dir");
    lbipam_core::build_with(dir.path(), out.path(), lbipam_core::Mode::Write)
        .unwrap_or_else(|r| panic!("the seed fixture must build: {r}"));
    dir
}

/// A one-cluster IPv6 repository: a plan whose pool holds `block`, and the
/// Flux file the build would write, so `next-free` finds a passing tree.
fn ipv6_repo(block: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = format!(
        "[network]\ncidr = \"fd00:25:11::/48\"\n\n[clusters.main.pools.main-pool]\nblocks = [\"{block}\"]\n\n[clusters.main.pins]\ngateway = \"fd00:25:11:1::10\"\n\n[services.gateway]\n\n[flux]\ndepends-on = []\n\n[layout]\nhelm-values = \"\"\nsettings-name = \"\"\ndocs-dir = \"\"\naudit = [\"kubernetes\"]\n"
    );
    fs::write(dir.path().join("plan.toml"), plan).expect("plan");
    dir
}

fn lbipam(root: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lbipam"));
    cmd.current_dir(root).env("NO_COLOR", "1");
    cmd
}

/// `lbipam ARGS >/dev/full`: the output cannot be written.
fn to_full_disk(root: &Path, args: &[&str]) -> std::process::Output {
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    lbipam(root).args(args).stdout(full).output().expect("run")
}

#[test]
fn a_report_to_a_full_disk_fails_with_a_message() {
    let repo = scratch_repo();
    let out = to_full_disk(repo.path(), &["report"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: cannot write the output: No space left on device"),
        "{stderr}"
    );
}

#[test]
fn every_command_that_prints_fails_on_a_full_disk() {
    let repo = scratch_repo();
    for args in [
        &["check", "--format", "json"][..],
        &["check"],
        &["report", "--format", "markdown"],
        &["explain", "10.25.11.120"],
        &["next-free", "apps", "--count", "3"],
        &["--help"],
    ] {
        let out = to_full_disk(repo.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("cannot write the output"),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_closed_stdout_is_an_error_not_lost_output() {
    let repo = scratch_repo();
    for args in [&["report"][..], &["check", "--format", "json"]] {
        let mut cmd = lbipam(repo.path());
        cmd.args(args).stderr(Stdio::piped());
        // SAFETY: close(2) is async-signal-safe; the child closes its own stdout.
        unsafe {
            cmd.pre_exec(|| {
                libc::close(1);
                Ok(())
            });
        }
        let out = cmd.output().expect("run");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("stdout is closed"),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn output_to_dev_null_is_still_fine() {
    let repo = scratch_repo();
    let out = lbipam(repo.path())
        .arg("report")
        .stdout(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/null")
                .expect("null"),
        )
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `lbipam ARGS`, reads `lines` lines of its stdout, closes the pipe and
/// waits (at most a minute: an unbounded run fails instead of hanging).
fn read_then_close(
    root: &Path,
    args: &[&str],
    lines: usize,
) -> (Vec<String>, std::process::ExitStatus, String) {
    let mut child = lbipam(root)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let got: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(lines)
        .map(|l| l.expect("line"))
        .collect();
    // The reader is dropped here: the pipe is closed.
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("lbipam {args:?} did not stop after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    (got, status, stderr)
}

#[test]
fn next_free_of_an_ipv6_pool_streams_the_largest_count_and_stops_at_a_closed_pipe() {
    let repo = ipv6_repo("fd00:25:11:1::/64");
    let (got, status, stderr) = read_then_close(
        repo.path(),
        &["next-free", "main", "--count", "18446744073709551615"],
        3,
    );
    assert_eq!(
        got,
        ["fd00:25:11:1::", "fd00:25:11:1::1", "fd00:25:11:1::2"]
    );
    assert!(status.success(), "{status:?}: {stderr}");
    assert_eq!(stderr, "", "a closed pipe ends the output quietly");
}

#[test]
fn a_count_beyond_a_small_ipv6_pool_ends_with_the_pool() {
    // 256 addresses, one pinned: 255 printed, then the shortfall.
    let repo = ipv6_repo("fd00:25:11:1::/120");
    let out = lbipam(repo.path())
        .args(["next-free", "main", "--count", "18446744073709551615"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 255);
    assert!(
        !stdout.contains("fd00:25:11:1::10\n"),
        "the pin is not free"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("only 255 free addresses, 18446744073709551615 asked for"),
        "{stderr}"
    );
}

#[test]
fn output_into_a_pipe_nobody_reads_ends_quietly_with_the_commands_own_code() {
    let repo = scratch_repo();
    for args in [
        &["report"][..],
        &["check", "--format", "json"],
        &["explain", "10.25.11.120"],
    ] {
        // No reader left before the program writes a byte: every write is EPIPE.
        let (got, status, stderr) = read_then_close(repo.path(), args, 0);
        assert!(got.is_empty());
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

#[test]
fn a_plan_that_is_a_fifo_is_named_as_one_not_as_missing() {
    let repo = scratch_repo();
    let plan = repo.path().join("plan.toml");
    fs::remove_file(&plan).expect("rm");
    let status = Command::new("mkfifo").arg(&plan).status().expect("mkfifo");
    assert!(status.success());
    for args in [&["check"][..], &["report"]] {
        let mut child = lbipam(repo.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let start = Instant::now();
        while child.try_wait().expect("wait").is_none() {
            if start.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("lbipam {args:?} blocked on the FIFO");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().expect("output");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("cannot read plan.toml: it is a FIFO (named pipe), not a regular file"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("no such file"), "{stderr}");
    }
}

#[test]
fn explain_and_report_refuse_an_audit_directory_linked_out_of_the_repository() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path().join("repo");
    copy(&seed(), &root);
    fs::create_dir_all(temp.path().join("outside")).expect("mkdir");
    fs::write(temp.path().join("outside/x.yaml"), "ip: 10.25.11.120\n").expect("write");
    std::os::unix::fs::symlink(temp.path().join("outside"), root.join("kubernetes/ext"))
        .expect("link");
    let mut plan = fs::read_to_string(root.join("plan.toml")).expect("plan");
    plan.push_str("\n[layout]\naudit = [\"kubernetes/ext\", \"kubernetes\"]\n");
    fs::write(root.join("plan.toml"), plan).expect("plan");
    for args in [&["explain", "10.25.11.120"][..], &["report"], &["check"]] {
        let out = lbipam(&root).args(args).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr.contains("kubernetes/ext is a symbolic link to")
                && stderr.contains("outside the repository"),
            "{args:?}: {stderr}"
        );
        assert!(!String::from_utf8_lossy(&out.stdout).contains("outside/x.yaml"));
    }
}

#[test]
fn a_warning_that_cannot_be_written_to_stderr_fails_the_command() {
    // A passing check with a notice to print: stderr is full.
    let repo = scratch_repo();
    fs::write(
        repo.path().join("kubernetes/notes.yaml"),
        "key: [unclosed\n",
    )
    .expect("write");
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = lbipam(repo.path())
        .arg("check")
        .stderr(full)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "the warning was lost unsaid");
    // Without the notice, the same check passes into a full stderr.
    fs::remove_file(repo.path().join("kubernetes/notes.yaml")).expect("rm");
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = lbipam(repo.path())
        .arg("check")
        .stderr(full)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
}
