//! `lbipam report`, `explain`, `next-free` and `pin` on the committed plan and on
//! small plans whose numbers are worked out by hand in the comments.

mod common;

use std::fs;

use common::{add_flux, assert_ok, lbipam, plan_of, plan_only, scratch_repo, service, write};

/// A /27 (32 addresses): `gw` at .1, cluster a with p1 .4-.7 and p2 .12-.13,
/// cluster b with q .8-.9; pins x .4 (p1), y .13 (p2, with a comment), z .8 (q).
const SMALL: &str = r#"# a small plan
[network]
cidr = "10.0.0.0/27"

[reserved]
gw = { range = "10.0.0.1", note = "router" }

[clusters.a.pools.p1]
blocks = ["10.0.0.4-10.0.0.7"]

[clusters.a.pools.p2]
blocks = ["10.0.0.12/31"]

[clusters.a.pins]
x = "10.0.0.4"
y = "10.0.0.13"   # keep me

[clusters.b.pools.q]
blocks = ["10.0.0.8-10.0.0.9"]

[flux]
depends-on = []
"#;

/// SMALL, with z pinned in cluster b.
fn small() -> String {
    SMALL.replace(
        "blocks = [\"10.0.0.8-10.0.0.9\"]\n",
        "blocks = [\"10.0.0.8-10.0.0.9\"]\n\n[clusters.b.pins]\nz = \"10.0.0.8\"\n",
    )
}

// ---------------------------------------------------------------------------
// report

#[test]
fn report_of_the_committed_plan() {
    let seed = scratch_repo();
    // 256 addresses: bgp-router 1 + static-infra 98 reserved, two pools of 20,
    // two pins each; .0 and .255 are the network and broadcast addresses; free:
    // .140-.254, 115; allocated (256 - 115)/256 = 55.1 %.
    assert_ok(
        &lbipam(seed.path(), &["report"]),
        "Network 10.25.11.0/24: 256 addresses; 99 reserved, 2 network/broadcast, 40 in pools (4 pinned), 115 free; 55.1% allocated

CLUSTER / POOL  SIZE  PINNED  FREE  UTILIZATION  BLOCKS
infra             20       2    18        10.0%
  infra-pool      20       2    18        10.0%  10.25.11.100-10.25.11.119
apps              20       2    18        10.0%
  apps-pool       20       2    18        10.0%  10.25.11.120-10.25.11.139

RANGE                      SIZE  OWNER
10.25.11.0                    1  network address
10.25.11.1                    1  reserved bgp-router: BGP router / peer, ASN 64501
10.25.11.2-10.25.11.99       98  reserved static-infra: Static infrastructure (MinIO .3, ...)
10.25.11.100-10.25.11.119    20  pool infra-pool (cluster infra)
10.25.11.120-10.25.11.139    20  pool apps-pool (cluster apps)
10.25.11.140-10.25.11.254   115  free
10.25.11.255                  1  broadcast address
",
    );
}

#[test]
fn report_of_a_small_plan_counts_per_network_cluster_and_pool() {
    let dir = plan_only(&small());
    // Pools 4 + 2 + 2 = 8, reserved 1, network .0 and broadcast .31, free
    // 32 - 11 = 21 (.2-.3, .10-.11, .14-.30), allocated 11/32 = 34.4 %.
    // Cluster a: 6 addresses, 2 pins, 33.3 %.
    assert_ok(
        &lbipam(dir.path(), &["report"]),
        "Network 10.0.0.0/27: 32 addresses; 1 reserved, 2 network/broadcast, 8 in pools (3 pinned), 21 free; 34.4% allocated

CLUSTER / POOL  SIZE  PINNED  FREE  UTILIZATION  BLOCKS
a                  6       2     4        33.3%
  p1               4       1     3        25.0%  10.0.0.4-10.0.0.7
  p2               2       1     1        50.0%  10.0.0.12/31
b                  2       1     1        50.0%
  q                2       1     1        50.0%  10.0.0.8-10.0.0.9

RANGE                SIZE  OWNER
10.0.0.0                1  network address
10.0.0.1                1  reserved gw: router
10.0.0.2-10.0.0.3       2  free
10.0.0.4-10.0.0.7       4  pool p1 (cluster a)
10.0.0.8-10.0.0.9       2  pool q (cluster b)
10.0.0.10-10.0.0.11     2  free
10.0.0.12-10.0.0.13     2  pool p2 (cluster a)
10.0.0.14-10.0.0.30    17  free
10.0.0.31               1  broadcast address
",
    );
}

#[test]
fn report_of_one_cluster_in_markdown() {
    let dir = plan_only(&small());
    assert_ok(
        &lbipam(dir.path(), &["report", "--cluster", "b", "--format", "markdown"]),
        "Network 10.0.0.0/27: 32 addresses; 1 reserved, 2 network/broadcast, 8 in pools (3 pinned), 21 free; 34.4% allocated

| CLUSTER / POOL | SIZE | PINNED | FREE | UTILIZATION | BLOCKS |
| --- | ---: | ---: | ---: | ---: | --- |
| b | 2 | 1 | 1 | 50.0% |  |
| &nbsp;&nbsp;q | 2 | 1 | 1 | 50.0% | 10.0.0.8-10.0.0.9 |

| RANGE | SIZE | OWNER |
| --- | ---: | --- |
| 10.0.0.8-10.0.0.9 | 2 | pool q (cluster b) |
",
    );
    let out = lbipam(dir.path(), &["report", "--cluster", "c"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "error: no cluster `c` in plan.toml (clusters: a, b)\n"
    );
}

#[test]
fn report_json_parses_and_holds_the_same_numbers() {
    let dir = plan_only(&small());
    let out = lbipam(dir.path(), &["report", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let n = &v["network"];
    assert_eq!(
        (&n["cidr"], &n["size"], &n["reserved"], &n["pools"]),
        (&"10.0.0.0/27".into(), &32.into(), &1.into(), &8.into())
    );
    assert_eq!(
        (&n["pinned"], &n["free"], &n["allocated"]),
        (&3.into(), &21.into(), &34.4.into())
    );
    let a = &v["clusters"][0];
    assert_eq!(
        (&a["name"], &a["size"], &a["pinned"], &a["free"]),
        (&"a".into(), &6.into(), &2.into(), &4.into())
    );
    assert_eq!(a["utilization"], 33.3);
    assert_eq!(a["pools"][1]["blocks"][0], "10.0.0.12/31");
    let ranges = v["ranges"].as_array().expect("ranges");
    assert_eq!(ranges.len(), 9);
    assert_eq!(ranges[0]["owner"], "network");
    assert_eq!(ranges[1]["owner"], "reserved");
    assert_eq!(ranges[1]["note"], "router");
    assert_eq!(ranges[7]["first"], "10.0.0.14");
    assert_eq!(ranges[7]["size"], 17);
    assert_eq!(ranges[8]["owner"], "broadcast");
    assert_eq!(v["network"]["network_broadcast"], 2);
}

#[test]
fn report_is_colored_only_when_asked_and_the_binary_honours_no_color() {
    let seed = scratch_repo();
    let env = lbipam_cli::Env {
        cwd: seed.path().to_path_buf(),
        color: true,
    };
    let colored = lbipam_cli::run(["lbipam", "report"], &env);
    // Headers bold, 10 % utilization green, free ranges green.
    assert!(
        colored.stdout.contains("\x1b[1mSIZE\x1b[0m"),
        "{}",
        colored.stdout
    );
    assert!(colored.stdout.contains("\x1b[32m10.0%\x1b[0m"));
    let plain = lbipam(seed.path(), &["report"]);
    assert!(!plain.stdout.contains('\x1b'));
    // A pipe is no terminal: the binary prints no escape even without NO_COLOR.
    let bin = env!("CARGO_BIN_EXE_lbipam");
    let out = std::process::Command::new(bin)
        .arg("report")
        .current_dir(seed.path())
        .env_remove("NO_COLOR")
        .output()
        .expect("run");
    assert_eq!(String::from_utf8_lossy(&out.stdout), plain.stdout);
}

// ---------------------------------------------------------------------------
// explain

#[test]
fn explain_a_pinned_address_names_its_pool_pin_and_every_file() {
    let seed = scratch_repo();
    // Found with `grep -rn '10\.25\.11\.121\b' plan.toml kubernetes bootstrap docs`.
    assert_ok(
        &lbipam(seed.path(), &["explain", "10.25.11.121"]),
        "10.25.11.121: pool apps-pool of cluster apps (block 10.25.11.120-10.25.11.139)
  pinned: gateway (reaches the cluster through cluster-settings CILIUM_GATEWAY_LB_IP)
mentioned in:
  plan.toml:24 (the plan)
  kubernetes/clusters/apps/cluster-settings.yaml:17 (hand-written, partly written by the build)
  docs/IP-ALLOCATION-SUMMARY.md:48 (generated)
  docs/architecture.md:28 (hand-written, partly written by the build)
  docs/ip-map.svg:135 (generated)
",
    );
}

#[test]
fn explain_a_reserved_address_gives_its_note() {
    let seed = scratch_repo();
    let out = lbipam(seed.path(), &["explain", "10.25.11.3"]);
    assert_ok(
        &out,
        "10.25.11.3: reserved range static-infra (10.25.11.2-10.25.11.99)
  note: Static infrastructure (MinIO .3, ...)
mentioned in:
  docs/ip-map.svg:10 (generated)
",
    );
}

#[test]
fn explain_a_free_or_unpinned_address_and_one_outside_the_network() {
    let dir = plan_only(&small());
    assert_ok(
        &lbipam(dir.path(), &["explain", "10.0.0.20"]),
        "10.0.0.20: free (no reserved range or pool holds it)\n  free range: 10.0.0.14-10.0.0.30 (17 addresses)\nno file mentions 10.0.0.20\n",
    );
    assert_ok(
        &lbipam(dir.path(), &["explain", "10.0.0.5"]),
        "10.0.0.5: pool p1 of cluster a (block 10.0.0.4-10.0.0.7)\n  not pinned: Cilium may give it to any LoadBalancer Service of cluster a\nno file mentions 10.0.0.5\n",
    );
    // The pin y's line keeps its comment; the plan is the only file here.
    assert_ok(
        &lbipam(dir.path(), &["explain", "10.0.0.13"]),
        "10.0.0.13: pool p2 of cluster a (block 10.0.0.12-10.0.0.13)\n  pinned: y\nmentioned in:\n  plan.toml:16 (the plan)\n",
    );
    let out = lbipam(dir.path(), &["explain", "10.0.1.1"]);
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert_eq!(
        out.stderr,
        "error: 10.0.1.1 is outside network 10.0.0.0/27\n"
    );
    assert_eq!(lbipam(dir.path(), &["explain", "not-an-ip"]).code, 2);
}

/// A /28 pool that withholds its first and last address (.16 and .31), beside
/// a range pool that hands out all of its own.
const EDGES: &str = r#"[network]
cidr = "10.0.0.0/24"

[clusters.a.pools.edges]
blocks = ["10.0.0.16/28"]
allow-first-last-ips = false

[clusters.a.pools.range]
blocks = ["10.0.0.40-10.0.0.41"]

[flux]
depends-on = []
"#;

#[test]
fn explain_says_cilium_hands_out_no_withheld_end_of_a_block() {
    let dir = plan_only(EDGES);
    assert_ok(
        &lbipam(dir.path(), &["explain", "10.0.0.31"]),
        "10.0.0.31: pool edges of cluster a (block 10.0.0.16-10.0.0.31)\n  withheld: an end of cidr block 10.0.0.16/28, which pool edges does not hand out (allow-first-last-ips = false); Cilium gives it to no Service and it cannot be pinned\nno file mentions 10.0.0.31\n",
    );
}

// ---------------------------------------------------------------------------
// next-free

#[test]
fn next_free_and_pin_skip_the_ends_a_pool_withholds() {
    let dir = plan_only(EDGES);
    // .16 is withheld: the first address Cilium hands out is .17.
    assert_ok(
        &lbipam(dir.path(), &["next-free", "a", "--count", "2"]),
        "10.0.0.17\n10.0.0.18\n",
    );
    let out = lbipam(
        dir.path(),
        &["next-free", "a", "--pool", "edges", "--count", "15"],
    );
    assert_eq!(out.stdout.lines().last(), Some("10.0.0.30"));
    assert_eq!(
        out.stderr,
        "error: pool edges of cluster a has only 14 free addresses, 15 asked for\n"
    );
    let out = lbipam(dir.path(), &["pin", "a", "web"]);
    assert!(
        out.stdout.starts_with("pinned web (a) at 10.0.0.17 in "),
        "{out:?}"
    );
}

/// The scratch repository with a hand-written LoadBalancer Service asking for
/// `ip`, in `kubernetes/apps/web/`, which cluster `cluster` applies.
fn with_web_service(cluster: &str, ip: &str) -> tempfile::TempDir {
    let scratch = scratch_repo();
    let root = scratch.path();
    write(
        root,
        "kubernetes/apps/web/service.yaml",
        &service("web", ip),
    );
    add_flux(root, cluster, "web", "./kubernetes/apps/web", &[]);
    scratch
}

#[test]
fn next_free_and_pin_leave_out_an_address_a_hand_written_service_asks_for() {
    // apps-pool .120-.139 pins .120 and .121; the web Service asks for .122.
    let scratch = with_web_service("apps", "10.25.11.122");
    let note = "note: left out 10.25.11.122: kubernetes/apps/web/service.yaml:7 asks for it\n";
    let out = lbipam(scratch.path(), &["next-free", "apps", "--count", "2"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "10.25.11.123\n10.25.11.124\n", note)
    );
    let out = lbipam(scratch.path(), &["pin", "apps", "grafana"]);
    assert!(
        out.stdout
            .starts_with("pinned grafana (apps) at 10.25.11.123 "),
        "{out:?}"
    );
    assert_eq!(out.stderr, note);
    // Asked for by name, the address is pinned, with a word on who else asks.
    let out = lbipam(scratch.path(), &["pin", "apps", "web", "10.25.11.122"]);
    assert!(
        out.stdout.starts_with("pinned web (apps) at 10.25.11.122 "),
        "{out:?}"
    );
    assert_eq!(
        out.stderr,
        "note: kubernetes/apps/web/service.yaml:7 already asks for 10.25.11.122: unless that is web's Service, two Services now ask for it\n"
    );
}

#[test]
fn next_free_in_a_repository_failing_its_checks_says_what_it_could_not_know() {
    // infra applies a Service asking for an apps address: an audit error.
    let scratch = with_web_service("infra", "10.25.11.122");
    let out = lbipam(scratch.path(), &["next-free", "apps"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "10.25.11.122\n"));
    assert_eq!(
        out.stderr,
        "warning: the repository fails its checks (1 error, see `lbipam check`), so the addresses its files ask for are not known and were not left out\n"
    );
}

#[test]
fn next_free_skips_pins_in_address_order() {
    let seed = scratch_repo();
    // apps-pool .120-.139 pins .120 and .121.
    assert_ok(
        &lbipam(seed.path(), &["next-free", "apps", "--count", "3"]),
        "10.25.11.122\n10.25.11.123\n10.25.11.124\n",
    );
    let dir = plan_only(&small());
    // Cluster a in address order: p1 .4(x) .5 .6 .7, p2 .12 .13(y).
    assert_ok(
        &lbipam(dir.path(), &["next-free", "a", "--count", "4"]),
        "10.0.0.5\n10.0.0.6\n10.0.0.7\n10.0.0.12\n",
    );
    assert_ok(
        &lbipam(dir.path(), &["next-free", "a", "--pool", "p2"]),
        "10.0.0.12\n",
    );
}

#[test]
fn next_free_says_when_the_pools_run_out() {
    let dir = plan_only(&small());
    let out = lbipam(
        dir.path(),
        &["next-free", "a", "--pool", "p2", "--count", "2"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "10.0.0.12\n");
    assert_eq!(
        out.stderr,
        "error: pool p2 of cluster a has only 1 free address, 2 asked for\n"
    );
    let out = lbipam(dir.path(), &["next-free", "a", "--pool", "q"]);
    assert_eq!(
        out.stderr,
        "error: cluster a has no pool `q` (pools: p1, p2); `q` is a pool of cluster b\n"
    );
    // Cluster b: q .8-.9 with z on .8; once .9 is pinned too, nothing is left.
    assert_eq!(lbipam(dir.path(), &["pin", "b", "w", "10.0.0.9"]).code, 0);
    let out = lbipam(dir.path(), &["next-free", "b"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            1,
            "error: the pools of cluster b have no free address left, 1 asked for\n"
        )
    );
    assert_eq!(
        lbipam(dir.path(), &["next-free", "a", "--count", "0"]).code,
        2
    );
}

// ---------------------------------------------------------------------------
// pin

#[test]
fn pin_adds_the_next_free_address_after_the_clusters_last_pin_keeping_everything_else() {
    let scratch = scratch_repo();
    let plan = plan_of(scratch.path());
    let before = fs::read_to_string(&plan).expect("read");
    let out = lbipam(scratch.path(), &["pin", "apps", "grafana"]);
    assert_ok(
        &out,
        &format!(
            "pinned grafana (apps) at 10.25.11.122 in {}; run `cargo build` to regenerate the repository\n",
            plan.display()
        ),
    );
    let gateway = "gateway               = \"10.25.11.121\"\n";
    // Lined up with the `=` of the pins above it.
    let grafana = "grafana               = \"10.25.11.122\"\n";
    let want = before.replace(gateway, &format!("{gateway}{grafana}"));
    assert_ne!(want, before);
    assert_eq!(fs::read_to_string(&plan).expect("read"), want);
    // The plan is valid; only the files the build writes lag behind.
    let check = lbipam(scratch.path(), &["check", "--format", "json"]);
    let errors: Vec<serde_json::Value> = serde_json::from_str(&check.stdout).expect("json");
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|e| e["code"] == "stale"), "{errors:?}");
}

#[test]
fn pin_moves_a_pin_in_place_keeping_its_comment() {
    let dir = plan_only(&small());
    let out = lbipam(dir.path(), &["pin", "a", "y", "10.0.0.6"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("pinned y (a) at 10.0.0.6 (was 10.0.0.13) in ")
    );
    let want = small().replace(
        "y = \"10.0.0.13\"   # keep me",
        "y = \"10.0.0.6\"   # keep me",
    );
    assert_eq!(fs::read_to_string(plan_of(dir.path())).expect("read"), want);
    // Moving it back restores the file byte for byte.
    assert_eq!(lbipam(dir.path(), &["pin", "a", "y", "10.0.0.13"]).code, 0);
    assert_eq!(
        fs::read_to_string(plan_of(dir.path())).expect("read"),
        small()
    );
}

#[test]
fn pin_moves_a_pin_that_names_its_pool_keeping_the_pool() {
    let plan = "[network]\ncidr = \"10.0.0.0/24\"\n\n[clusters.a.pools.p]\nblocks = [\"10.0.0.10-10.0.0.19\"]\n\n[clusters.a.pins]\ny = { address = \"10.0.0.13\", pool = \"p\" }\n";
    let dir = plan_only(plan);
    let out = lbipam(dir.path(), &["pin", "a", "y", "10.0.0.15"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        fs::read_to_string(plan_of(dir.path())).expect("read"),
        plan.replace("10.0.0.13", "10.0.0.15")
    );
}

#[test]
fn pin_creates_the_pins_table_after_the_clusters_pools() {
    let dir = plan_only(SMALL);
    assert_eq!(lbipam(dir.path(), &["pin", "b", "web"]).code, 0);
    let want = SMALL.replace(
        "blocks = [\"10.0.0.8-10.0.0.9\"]\n",
        "blocks = [\"10.0.0.8-10.0.0.9\"]\n\n[clusters.b.pins]\nweb = \"10.0.0.8\"\n",
    );
    assert_eq!(fs::read_to_string(plan_of(dir.path())).expect("read"), want);
}

#[test]
fn pin_refuses_an_address_that_fails_the_checks_and_writes_nothing() {
    let dir = plan_only(&small());
    let out = lbipam(dir.path(), &["pin", "a", "y", "10.0.0.8"]);
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert!(
        out.stderr.starts_with(
            "error: refusing to pin y (a) at 10.0.0.8: plan.toml would fail its checks (the excerpts show the edited text, which was not written)\n\n\
             error: pin y (a) 10.0.0.8 is not in any pool of cluster a; it belongs to q (b)\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("error: pin z (b) 10.0.0.8 is also pinned by y (a)\n")
    );
    assert!(
        out.stderr.ends_with(
            "error: 2 errors in the plan or the files it manages; nothing was written\n"
        )
    );
    assert_eq!(
        fs::read_to_string(plan_of(dir.path())).expect("read"),
        small()
    );
    let out = lbipam(dir.path(), &["pin", "a", "Bad_Name", "10.0.0.5"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("pin name `Bad_Name` is not a DNS-1123 label"),
        "{}",
        out.stderr
    );
    assert_eq!(
        fs::read_to_string(plan_of(dir.path())).expect("read"),
        small()
    );
}

#[test]
fn pin_without_an_address_leaves_an_existing_pin() {
    let dir = plan_only(&small());
    assert_ok(
        &lbipam(dir.path(), &["pin", "a", "x"]),
        "x (a) is already pinned at 10.0.0.4; give an address to move it\n",
    );
    assert_eq!(
        fs::read_to_string(plan_of(dir.path())).expect("read"),
        small()
    );
}

// ---------------------------------------------------------------------------
// what an independent review broke

#[test]
fn pin_keeps_crlf_line_endings_and_a_byte_order_mark() {
    let lf = plan_only(&small());
    assert_eq!(lbipam(lf.path(), &["pin", "a", "w", "10.0.0.6"]).code, 0);
    let pinned = fs::read_to_string(plan_of(lf.path())).expect("read");
    // The same edit of the same plan written with CRLF and a BOM: only the
    // new line differs, in the file's own line endings.
    let crlf = plan_only(&format!("\u{feff}{}", small().replace('\n', "\r\n")));
    assert_eq!(lbipam(crlf.path(), &["pin", "a", "w", "10.0.0.6"]).code, 0);
    assert_eq!(
        fs::read_to_string(plan_of(crlf.path())).expect("read"),
        format!("\u{feff}{}", pinned.replace('\n', "\r\n"))
    );
}

#[cfg(unix)]
#[test]
fn pin_edits_a_symlinked_plan_where_it_lies_and_keeps_its_permissions() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = plan_only(&small());
    let real = dir.path().join("real.toml");
    fs::rename(plan_of(dir.path()), &real).expect("move");
    fs::set_permissions(&real, fs::Permissions::from_mode(0o664)).expect("chmod");
    symlink(&real, plan_of(dir.path())).expect("symlink");
    assert_eq!(lbipam(dir.path(), &["pin", "a", "w", "10.0.0.6"]).code, 0);
    assert!(plan_of(dir.path()).is_symlink(), "the link stays a link");
    assert!(
        fs::read_to_string(&real)
            .expect("read")
            .contains("w = \"10.0.0.6\"")
    );
    let mode = fs::metadata(&real).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o664);
}

#[test]
fn pin_in_a_repository_already_failing_refuses_only_for_errors_of_its_own() {
    // infra applies a Service asking for an apps address: an error before any pin.
    let scratch = with_web_service("infra", "10.25.11.122");
    let out = lbipam(scratch.path(), &["pin", "apps", "foo", "10.25.11.130"]);
    assert!(
        out.stdout.starts_with("pinned foo (apps) at 10.25.11.130 "),
        "{out:?}"
    );
    assert_eq!(
        out.stderr,
        "warning: the repository still fails 1 check it failed before (see `lbipam check`)\n"
    );
    // A pin in another cluster's pool is this pin's error: refused, and only it shown.
    let out = lbipam(scratch.path(), &["pin", "apps", "bar", "10.25.11.110"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("pin bar (apps) 10.25.11.110 is not in any pool of cluster apps")
    );
    assert!(
        !out.stderr.contains("kubernetes/apps/web/service.yaml"),
        "{}",
        out.stderr
    );
}

#[test]
fn report_json_rounds_as_the_table_does() {
    // 400 addresses, one pinned: 0.25 %, which the table prints as 0.2%.
    let dir = plan_only(
        "[network]\ncidr = \"10.0.0.0/16\"\n[clusters.a.pools.p]\nblocks = [\"10.0.1.0-10.0.2.143\"]\n[clusters.a.pins]\nx = \"10.0.1.5\"\n[flux]\ndepends-on = []\n",
    );
    let table = lbipam(dir.path(), &["report"]).stdout;
    let row = table
        .lines()
        .find(|l| l.starts_with("  p "))
        .expect("the pool's row");
    assert!(row.contains(" 0.2% "), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&lbipam(dir.path(), &["report", "--format", "json"]).stdout)
            .expect("json");
    assert_eq!(json["clusters"][0]["utilization"], 0.2, "{json}");
}

#[test]
fn the_network_line_says_how_many_addresses_withholding_pools_hand_out() {
    // 16 + 2 addresses in pools; the /28 withholds 2 of its 16.
    let out = lbipam(plan_only(EDGES).path(), &["report"]);
    assert!(
        out.stdout.starts_with("Network 10.0.0.0/24: 256 addresses; 0 reserved, 2 network/broadcast, 18 in pools (16 Cilium can hand out, 0 pinned), "),
        "{}",
        out.stdout
    );
}

#[test]
fn explain_names_the_file_that_asks_for_an_unpinned_address() {
    let scratch = with_web_service("apps", "10.25.11.122");
    let out = lbipam(scratch.path(), &["explain", "10.25.11.122"]);
    assert!(
        out.stdout.contains("\n  not pinned: kubernetes/apps/web/service.yaml:7 asks for it, so Cilium gives it to that Service\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn explain_escapes_control_characters_in_file_names() {
    let dir = plan_only(EDGES);
    let odd = dir.path().join("kubernetes/x\u{1b}[2J\nfake.yaml");
    fs::create_dir_all(odd.parent().expect("dir")).expect("mkdir");
    fs::write(&odd, "ip: 10.0.0.17\n").expect("write");
    let out = lbipam(dir.path(), &["explain", "10.0.0.17"]);
    assert!(
        out.stdout
            .contains("  kubernetes/x\\u{1b}[2J\\nfake.yaml:1 (hand-written)\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn pin_into_an_inline_table_writes_it_as_a_person_would() {
    let head = "[network]\ncidr = \"10.0.0.0/24\"\n\n[clusters.a]\npools = { p = { blocks = [\"10.0.0.4-10.0.0.9\"] } }\n";
    let tail = "   # inline\n\n[flux]\ndepends-on = []\n";
    let dir = plan_only(&format!("{head}pins = {{ x = \"10.0.0.4\" }}{tail}"));
    assert_eq!(lbipam(dir.path(), &["pin", "a", "y", "10.0.0.5"]).code, 0);
    assert_eq!(
        fs::read_to_string(plan_of(dir.path())).expect("read"),
        format!("{head}pins = {{ x = \"10.0.0.4\", y = \"10.0.0.5\" }}{tail}")
    );
}

#[test]
fn a_pin_that_moves_an_old_error_down_its_file_is_not_refused_for_it() {
    let scratch = scratch_repo();
    let root = scratch.path();
    // Below the apps settings, a hand-written Service asks for an infra
    // address: an error before any pin, on a line the new key will move.
    let settings = root.join("kubernetes/clusters/apps/cluster-settings.yaml");
    let mut text = fs::read_to_string(&settings).expect("read");
    text.push_str("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    lbipam.cilium.io/ips: \"10.25.11.110\"\n");
    fs::write(&settings, text).expect("write");
    let plan = plan_of(root);
    let mut toml = fs::read_to_string(&plan).expect("read");
    toml.push_str("\n[services.metrics]\nsetting = \"METRICS_IP\"\n");
    fs::write(&plan, toml).expect("write");
    let before = lbipam(root, &["check", "--format", "json"]).stdout;
    assert!(before.contains("LoadBalancer IP 10.25.11.110"), "{before}");
    // The pin adds METRICS_IP to the ConfigMap above the Service.
    let out = lbipam(root, &["pin", "apps", "metrics", "10.25.11.130"]);
    assert!(
        out.stdout
            .starts_with("pinned metrics (apps) at 10.25.11.130 "),
        "{out:?}"
    );
    assert_eq!(
        out.stderr,
        "warning: the repository still fails 1 check it failed before (see `lbipam check`)\n"
    );
}
