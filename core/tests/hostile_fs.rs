//! What the file system can hold that a careless user or an attacker puts
//! there: FIFOs, devices and sockets where files are read (never a hang: an
//! error naming the file, or a skip with a warning for a file no cluster
//! applies), UTF-16 files (located at the file itself), YAML directives
//! (`%YAML`, `%TAG`: read as YAML), a large file no cluster applies (audited
//! without a parse when its text asks for nothing), and several builds of one
//! tree at once (they converge). Each on a scratch copy of the seed repository.

mod scratch;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use scratch::{assert_has, fails_untouched, put};

const CORE: &str = "kubernetes/infrastructure/networking/cilium/core";
const APPS_IPAM: &str = "kubernetes/infrastructure/networking/cilium/ipam/apps";

/// Runs `f` on a thread and waits for it: a read that blocks (the bug these
/// tests guard against) fails the test instead of hanging the suite.
fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(f());
    });
    receive
        .recv_timeout(Duration::from_secs(120))
        .expect("the build blocked (reading a FIFO?)")
}

/// [`scratch::fails_untouched`] with the hang guard.
fn fails(root: &Path) -> Vec<String> {
    let root = root.to_owned();
    within(move || fails_untouched(&root))
}

/// A build expected to pass, with the hang guard: its notices.
fn passes(root: &Path) -> Vec<String> {
    let root = root.to_owned();
    within(move || match scratch::build(&root) {
        Ok(summary) => summary.change_lines(),
        Err(lines) => panic!("the build failed: {lines:#?}"),
    })
}

// --- Regular files only ------------------------------------------------------------

#[test]
fn a_fifo_in_an_audited_directory_that_no_cluster_applies_is_skipped_with_a_warning() {
    let repo = scratch::repo();
    let root = repo.path();
    fs::create_dir_all(root.join("kubernetes/notes")).expect("mkdir");
    scratch::fifo(root, "kubernetes/notes/pipe.yaml");
    let notices = passes(root);
    assert_has(
        &notices,
        &[
            "warning[skipped-file]: kubernetes/notes/pipe.yaml:1:1: skipped: it cannot be read (it is a FIFO (named pipe), not a regular file)",
        ],
    );
}

#[test]
fn a_socket_in_an_audited_directory_is_skipped_with_a_warning() {
    let repo = scratch::repo();
    let root = repo.path();
    let _listener =
        std::os::unix::net::UnixListener::bind(root.join("kubernetes/agent.yaml")).expect("bind");
    let notices = passes(root);
    assert_has(
        &notices,
        &[
            "warning[skipped-file]: kubernetes/agent.yaml:1:1: skipped: ",
            "it is a socket",
        ],
    );
}

#[test]
fn a_fifo_that_a_cluster_applies_is_an_error_at_the_file() {
    let repo = scratch::repo();
    let root = repo.path();
    scratch::fifo(root, &format!("{CORE}/helmrepository.yaml"));
    let lines = fails(root);
    assert_has(
        &lines,
        &[
            &format!("{CORE}/helmrepository.yaml:1:1:"),
            "it is a FIFO (named pipe)",
        ],
    );
}

#[test]
fn a_fifo_where_a_hand_written_file_the_build_edits_is_an_error_naming_it() {
    for file in [
        "kubernetes/clusters/apps/cluster-settings.yaml",
        "kubernetes/clusters/apps/infrastructure.yaml",
        "bootstrap/clusters/apps/cilium-values.yaml",
        "docs/architecture.md",
    ] {
        let repo = scratch::repo();
        let root = repo.path();
        scratch::fifo(root, file);
        let lines = fails(root);
        assert_has(
            &lines,
            &[&format!("{file}:1:1:"), "it is a FIFO (named pipe)"],
        );
    }
}

#[test]
fn a_fifo_where_a_generated_doc_goes_is_an_error_naming_it() {
    let repo = scratch::repo();
    let root = repo.path();
    scratch::fifo(root, "docs/IP-ALLOCATION-SUMMARY.md");
    let lines = fails(root);
    assert_has(
        &lines,
        &["docs/IP-ALLOCATION-SUMMARY.md", "it is a FIFO (named pipe)"],
    );
}

#[test]
fn a_settings_file_that_links_to_a_device_is_refused_before_it_is_opened() {
    let repo = scratch::repo();
    let root = repo.path();
    let file = root.join("kubernetes/clusters/infra/cluster-settings.yaml");
    fs::remove_file(&file).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &file).expect("link");
    let lines = fails(root);
    // The layout path leads out of the repository: refused at the file, by
    // the key whose default put it there.
    assert_has(
        &lines,
        &[
            "kubernetes/clusters/infra/cluster-settings.yaml:1:1:",
            "is a symbolic link to /dev/zero, outside the repository",
            "[layout] settings-file is its default",
        ],
    );
}

#[test]
fn a_settings_file_that_is_a_directory_is_an_error_naming_it() {
    let repo = scratch::repo();
    let root = repo.path();
    let file = root.join("kubernetes/clusters/infra/cluster-settings.yaml");
    fs::remove_file(&file).expect("rm");
    fs::create_dir(&file).expect("mkdir");
    let lines = fails(root);
    assert_has(
        &lines,
        &[
            "kubernetes/clusters/infra/cluster-settings.yaml:1:1:",
            "it is a directory, not a regular file",
        ],
    );
}

#[test]
fn a_plan_that_is_a_fifo_or_a_device_says_so() {
    for make in ["fifo", "device"] {
        let repo = scratch::repo();
        let root = repo.path();
        fs::remove_file(root.join("plan.toml")).expect("rm");
        match make {
            "fifo" => scratch::fifo(root, "plan.toml"),
            _ => std::os::unix::fs::symlink("/dev/zero", root.join("plan.toml")).expect("link"),
        }
        let lines = fails(root);
        let what = if make == "fifo" {
            "a FIFO (named pipe)"
        } else {
            "a character device"
        };
        assert_has(
            &lines,
            &[
                "plan.toml:1:1:",
                &format!("it is {what}, not a regular file"),
            ],
        );
        assert!(
            !lines.iter().any(|l| l.contains("No such file")),
            "{lines:#?}"
        );
    }
}

// --- Locations ---------------------------------------------------------------------

/// `text` as UTF-16 (little endian) with its byte order mark.
fn utf16(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

#[test]
fn a_utf16_kustomization_is_an_error_at_the_file_not_at_its_directory() {
    let repo = scratch::repo();
    let root = repo.path();
    let file = root.join(format!("{CORE}/kustomization.yaml"));
    let text = fs::read_to_string(&file).expect("read");
    fs::write(&file, utf16(&text)).expect("write");
    let lines = fails(root);
    assert_has(
        &lines,
        &[
            &format!("{CORE}/kustomization.yaml:1:1:"),
            "it is UTF-16 text",
            "save it as UTF-8",
        ],
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("kubernetes/clusters/")),
        "located at the Flux Kustomization instead: {lines:#?}"
    );
}

#[test]
fn a_utf16_file_in_a_cluster_directory_is_an_error_at_the_file() {
    let repo = scratch::repo();
    let root = repo.path();
    let rel = "kubernetes/clusters/apps/extra.yaml";
    fs::write(root.join(rel), utf16("apiVersion: v1\nkind: ConfigMap\n")).expect("write");
    let lines = fails(root);
    assert_has(&lines, &[&format!("{rel}:1:1:"), "it is UTF-16 text"]);
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("kubernetes/clusters/apps:")),
        "{lines:#?}"
    );
}

#[test]
fn a_utf16_settings_file_is_named_as_utf16() {
    let repo = scratch::repo();
    let root = repo.path();
    let rel = "kubernetes/clusters/apps/cluster-settings.yaml";
    let text = fs::read_to_string(root.join(rel)).expect("read");
    fs::write(root.join(rel), utf16(&text)).expect("write");
    let lines = fails(root);
    assert_has(&lines, &[&format!("{rel}:1:1:"), "it is UTF-16 text"]);
}

// --- YAML directives -------------------------------------------------------------

/// A LoadBalancer Service asking for `ip`, after `prologue` (directives).
fn service(prologue: &str, ip: &str) -> String {
    format!(
        "{prologue}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: web\n  annotations:\n    io.cilium/lb-ipam-ips: \"{ip}\"\nspec:\n  type: LoadBalancer\n"
    )
}

#[test]
fn a_file_starting_with_a_yaml_directive_is_read_as_yaml() {
    for prologue in [
        "%YAML 1.2\n",
        "%YAML 1.1\n",
        "%YAML 1.2\n%TAG !e! tag:example.com,2000:\n",
    ] {
        let repo = scratch::repo();
        let root = repo.path();
        let rel = "kubernetes/clusters/apps/web.yaml";
        // An address of the apps pool: valid.
        put(root, rel, &service(prologue, "10.25.11.130"));
        passes(root);
        // Another cluster's address: the audit must have read the request.
        put(root, rel, &service(prologue, "10.25.11.105"));
        let lines = fails(root);
        // The annotation's line: 8 of the Service, after the directives.
        let line = 8 + prologue.lines().count();
        assert_has(&lines, &[&format!("{rel}:{line}:"), "10.25.11.105"]);
        assert!(
            !lines.iter().any(|l| l.contains("not valid YAML")),
            "{lines:#?}"
        );
    }
}

#[test]
fn directives_after_a_document_end_marker_start_the_next_document() {
    let repo = scratch::repo();
    let root = repo.path();
    let rel = "kubernetes/clusters/apps/two.yaml";
    let first = "%YAML 1.1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n...\n";
    let text = format!(
        "{first}{}",
        service("%YAML 1.2\n%TAG ! tag:example.com,2000:\n", "10.25.11.105")
    );
    put(root, rel, &text);
    let lines = fails(root);
    // The Service's annotation is on line 17 of the file (7 + 2 + 8).
    assert_has(&lines, &[&format!("{rel}:17:"), "10.25.11.105"]);
}

// --- A large file no cluster applies -----------------------------------------------

/// A ConfigMap holding a block scalar of long lines until `bytes` (cheap to
/// parse even in a debug build, unlike as many small keys), with `extra` appended.
fn bundle(bytes: usize, extra: &str) -> String {
    let mut out =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dump\ndata:\n  blob: |\n".to_owned();
    let line = format!("    {}\n", "x".repeat(64 << 10));
    while out.len() < bytes {
        out.push_str(&line);
    }
    out.push_str(extra);
    out
}

#[test]
fn a_large_file_no_cluster_applies_and_asking_for_nothing_is_skipped_with_a_notice() {
    let repo = scratch::repo();
    let root = repo.path();
    // Not even valid YAML at its end: it is not parsed, and says so.
    put(
        root,
        "kubernetes/vendor/bundle.yaml",
        &bundle(9 << 20, "key: [unclosed\n"),
    );
    let notices = passes(root);
    assert_has(
        &notices,
        &[
            "warning[skipped-file]: kubernetes/vendor/bundle.yaml:1:1: skipped: ",
            "so it was not read as YAML",
        ],
    );
}

#[test]
fn a_large_file_no_cluster_applies_that_asks_for_an_address_is_still_audited() {
    let repo = scratch::repo();
    let root = repo.path();
    put(
        root,
        "kubernetes/vendor/bundle.yaml",
        &bundle(9 << 20, &service("", "10.25.12.1")),
    );
    let lines = fails(root);
    assert_has(&lines, &["kubernetes/vendor/bundle.yaml:", "10.25.12.1"]);
}

#[test]
fn an_escaped_key_is_not_taken_for_text_without_requests() {
    // `\x6c` is `l`: the text holds no literal `loadBalancerIP`, the YAML does.
    let text = "kind: Service\nspec:\n  \"\\x6coadBalancerIP\": 10.25.12.1\n";
    assert!(lbipam_core::audit::requests::may_ask_for_ips(text));
    assert!(!lbipam_core::audit::requests::may_ask_for_ips(
        "kind: ConfigMap\ndata:\n  a: b\n"
    ));
}

// --- Builds at once --------------------------------------------------------------

/// Set in a child process: the scratch root it builds once, then exits.
const CHILD_ROOT: &str = "LBIPAM_TEST_CONCURRENT_BUILD_ROOT";
/// Set in a child process: milliseconds to wait before building, so that one
/// build's scan of the tree meets another's writes (they are the end of a run).
const CHILD_DELAY: &str = "LBIPAM_TEST_CONCURRENT_BUILD_DELAY";

#[test]
fn several_build_processes_on_one_tree_at_once_all_succeed_and_converge() {
    if let Some(root) = std::env::var_os(CHILD_ROOT) {
        // The child: one build after its delay, its verdict as the exit code.
        let delay = std::env::var(CHILD_DELAY).ok().and_then(|d| d.parse().ok());
        std::thread::sleep(Duration::from_millis(delay.unwrap_or(0)));
        let out = tempfile::tempdir().expect("out dir");
        let code = match lbipam_core::build(Path::new(&root), out.path()) {
            Ok(_) => 0,
            Err(report) => {
                eprintln!("{report}");
                1
            }
        };
        // `exit` runs no destructors: remove the out dir first.
        drop(out);
        std::process::exit(code);
    }
    let repo = scratch::repo();
    let root = repo.path();
    let exe = std::env::current_exe().expect("test binary");
    for round in 0..10 {
        // Each round has writes to make (both pools shrink or grow: pool files,
        // settings, Helm values, docs) and a stale generated file to delete.
        for (long, short) in [
            ("10.25.11.120-10.25.11.139", "10.25.11.120-10.25.11.138"),
            ("10.25.11.100-10.25.11.119", "10.25.11.100-10.25.11.118"),
        ] {
            let (from, to) = if round % 2 == 0 {
                (long, short)
            } else {
                (short, long)
            };
            scratch::edit(root, "plan.toml", from, to);
        }
        put(
            root,
            &format!("{APPS_IPAM}/stale-{round}.yaml"),
            "# Code generated by lbipam-plan from plan.toml. DO NOT EDIT.\nkind: ConfigMap\n",
        );
        // Spawned all before any is waited for, so they overlap.
        let running: Vec<_> = (0..8u64)
            .map(|i| {
                Command::new(&exe)
                    .args([
                        "--exact",
                        "several_build_processes_on_one_tree_at_once_all_succeed_and_converge",
                        "--nocapture",
                    ])
                    .env(CHILD_ROOT, root)
                    .env(CHILD_DELAY, ((i * 29 + round * 7) % 200).to_string())
                    .env_remove("CI")
                    .env_remove("LBIPAM_CHECK")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for child in running {
            let out = child.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "round {round}: a concurrent build failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            !root
                .join(format!("{APPS_IPAM}/stale-{round}.yaml"))
                .exists()
        );
        // Converged: what one more build finds to do is nothing.
        let again = scratch::build(root).expect("builds");
        assert!(
            again.changes.is_empty(),
            "round {round}: {:?}",
            again.change_lines()
        );
        let leftovers: Vec<_> = fs::read_dir(root.join(APPS_IPAM))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .filter(|n| n.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[test]
fn a_settings_file_with_a_yaml_directive_is_edited_and_keeps_it() {
    let repo = scratch::repo();
    let root = repo.path();
    let rel = "kubernetes/clusters/apps/cluster-settings.yaml";
    let text = fs::read_to_string(root.join(rel)).expect("read");
    fs::write(root.join(rel), format!("%YAML 1.2\n---\n{text}")).expect("write");
    scratch::edit(
        root,
        "plan.toml",
        "gateway               = \"10.25.11.121\"",
        "gateway               = \"10.25.11.122\"",
    );
    passes(root);
    let after = fs::read_to_string(root.join(rel)).expect("read");
    assert!(after.starts_with("%YAML 1.2\n---\n"), "{after}");
    assert!(
        after.contains("CILIUM_GATEWAY_LB_IP: \"10.25.11.122\" # managed by lbipam-plan"),
        "{after}"
    );
}
