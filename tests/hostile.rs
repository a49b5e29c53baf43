#![allow(clippy::unwrap_used)] // Tests fail loudly on broken set-up.
//! Hostile input through the binary (issue 8): huge files, huge chains,
//! deep nesting, long identifiers and strings, invalid UTF-8, NUL bytes,
//! CRLF and tabs, folders and unreadable files. Each input either works
//! (exit 0 or 1) or is refused with exit 2 and, where the problem has a
//! place in a file, a located diagnostic in `--format json`. None may panic
//! (exit 101, "panicked" on stderr), overflow the stack (a signal) or hang
//! (a deadline kills the child and fails the test).

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../benches/gen/mod.rs"]
mod generator;

/// Far above what any case needs in the test profile on a loaded machine:
/// a hang shows up as this deadline, not as a stuck suite.
const DEADLINE: Duration = Duration::from_secs(120);

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `archc ARGS` with a deadline and asserts it neither panicked, died
/// on a signal nor hung.
fn archc(args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain the pipes on threads so a large output cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut s).unwrap();
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut s).unwrap();
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("archc {args:?} still running after {DEADLINE:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).into_owned();
    let code = status
        .code()
        .unwrap_or_else(|| panic!("archc {args:?} killed by a signal (stack overflow?): {stderr}"));
    assert!(
        code != 101 && !stderr.contains("panicked"),
        "archc {args:?} panicked (exit {code}): {stderr}"
    );
    assert!(
        [0, 1, 2].contains(&code),
        "archc {args:?} exit {code}: {stderr}"
    );
    Run {
        code,
        stdout,
        stderr,
    }
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_owned()
}

/// `archc check --format json FILE`: exit 0/1 works; exit 2 must come with
/// at least one diagnostic located by line and column. Returns the run and
/// the parsed JSON.
fn check_json(file: &str) -> (Run, serde_json::Value) {
    let run = archc(&["check", "--format", "json", file]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("check --format json is not JSON ({e}): {}", run.stdout));
    if run.code == 2 {
        let diags = json["diagnostics"].as_array().unwrap();
        assert!(
            diags.iter().any(|d| d["severity"] == "error"
                && d["span"]["line"].as_u64().is_some_and(|l| l >= 1)
                && d["span"]["column"].as_u64().is_some_and(|c| c >= 1)),
            "exit 2 without a located error: {}",
            run.stdout
        );
    }
    (run, json)
}

/// The first error diagnostic of a check run.
fn first_error(json: &serde_json::Value) -> &serde_json::Value {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap()
}

#[test]
fn one_megabyte_design_works() {
    let dir = tempfile::tempdir().unwrap();
    // The generator writes about 150 bytes per component.
    let mut n = 4_000;
    let mut source = generator::generate_design(n, 7);
    while source.len() < 1 << 20 {
        n += 1_000;
        source = generator::generate_design(n, 7);
    }
    let file = write(dir.path(), "big.arch", &source);
    let (run, _) = check_json(&file);
    assert!(run.code <= 1, "a valid design must compile: {}", run.stdout);
    // Terraform and Kubernetes lay out a design of this size.
    for target in ["terraform", "kubernetes"] {
        let out = dir.path().join(target);
        let run = archc(&[
            "build",
            &file,
            "--target",
            target,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{target}: {}", run.stderr);
        assert!(std::fs::read_dir(&out).unwrap().count() > 0);
    }
    // Compose runs a datacenter on one host: tens of thousands of
    // containers are refused by count, and nothing is written.
    let out = dir.path().join("compose");
    let run = archc(&[
        "build",
        &file,
        "--target",
        "compose",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("containers on one host, more than 1000; build for terraform or kubernetes"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
}

/// `users -> s0 -> s1 -> … -> s{n-1}`, with each service declared or not.
fn chain(n: usize, declared: bool) -> String {
    let mut s = String::from("traffic { rate = 10/s }\nclient users\n");
    if declared {
        for i in 0..n {
            let _ = writeln!(s, "service s{i} {{ replicas = 2 }}");
        }
    }
    s.push_str("users");
    for i in 0..n {
        let _ = write!(s, " -> s{i}");
    }
    s.push('\n');
    s
}

/// Found by this test: petgraph's Tarjan SCC recursed once per hop, so
/// `archc check` and `archc dump` on this chain died with a stack overflow
/// (exit 134). The cycle check now uses Kosaraju's iterative walk; `dump`
/// (133 MB of JSON) is covered by the same model stage.
#[test]
fn chain_of_100k_declared_components() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "chain.arch", chain(100_000, true));
    let (run, json) = check_json(&file);
    // A 100,000-hop chain blows any latency objective: findings are fine,
    // refusing it is not.
    assert!(
        run.code <= 1,
        "exit {}: {}",
        run.code,
        &run.stdout[..run.stdout.len().min(2000)]
    );
    assert!(json["diagnostics"].is_array());
}

/// The same chain through the verbs that walk the call graph themselves:
/// the simulator's plan measured its call depth recursively and overflowed
/// the stack here too, and the diagram's layout scanned every edge per node.
#[test]
fn chain_of_100k_declared_components_simulates_and_draws() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "chain.arch", chain(100_000, true));
    let run = archc(&["simulate", &file, "--requests", "1000", "--format", "json"]);
    assert!(run.code <= 1, "simulate exit {}: {}", run.code, run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(json.is_object());
    let run = archc(&["graph", &file, "--format", "svg"]);
    assert_eq!(run.code, 0, "graph: {}", run.stderr);
    assert!(run.stdout.contains("s99999"));
}

#[test]
fn chain_of_100k_undeclared_components() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "chain.arch", chain(100_000, false));
    let (run, json) = check_json(&file);
    assert_eq!(run.code, 2);
    assert_eq!(first_error(&json)["rule"], "unknown-reference");
}

fn assert_too_deep(source: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "deep.arch", source);
    let (run, json) = check_json(&file);
    assert_eq!(run.code, 2);
    let e = first_error(&json);
    assert_eq!(e["rule"], "syntax");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("nested deeper than 100")
    );
    // The 101st opening bracket is the one reported: line 1, and the
    // column of that bracket (prefix length + 101).
    let prefix = source.find(['[', '{']).unwrap();
    let first_bracket_col = prefix as u64 + 1;
    assert_eq!(e["span"]["line"], 1);
    // All brackets are on line 1 and contiguous after the attribute's
    // `= `, except the block's own `{` which counts as one level.
    assert!(e["span"]["column"].as_u64().unwrap() > first_bracket_col + 99);
}

#[test]
fn deeply_nested_lists_are_refused_at_the_place() {
    let depth = 10_000;
    let source = format!(
        "service a {{ datacenters = {}x{} }}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert_too_deep(&source);
}

#[test]
fn deeply_nested_maps_are_refused_at_the_place() {
    let depth = 10_000;
    let source = format!(
        "service a {{ x = {}{} }}\n",
        "{ y = ".repeat(depth),
        "}".repeat(depth)
    );
    assert_too_deep(&source);
}

#[test]
fn nesting_at_the_limit_is_not_refused_for_depth() {
    // 100 levels in total (the block's brace is one) is allowed by the
    // depth check; whatever the grammar says about it, no panic and no
    // "nested deeper" error.
    let source = format!(
        "service a {{ datacenters = {}east{} }}\n",
        "[".repeat(99),
        "]".repeat(99)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "deep.arch", &source);
    let (_, json) = check_json(&file);
    assert!(!json.to_string().contains("nested deeper"));
}

#[test]
fn identifier_of_100k_characters() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("s{}", "x".repeat(100_000));
    let source = format!(
        "traffic {{ rate = 10/s }}\nclient users\nservice {name} {{ replicas = 2 }}\nusers -> {name}\n"
    );
    let file = write(dir.path(), "long.arch", &source);
    let (run, _) = check_json(&file);
    assert!(
        run.code <= 1,
        "{}",
        &run.stdout[..run.stdout.len().min(2000)]
    );
    // A misspelt long name is an unknown reference, located on line 4.
    let source = source.replace(&format!("users -> {name}"), &format!("users -> {name}y"));
    let file = write(dir.path(), "long2.arch", &source);
    let (run, json) = check_json(&file);
    assert_eq!(run.code, 2);
    assert_eq!(first_error(&json)["rule"], "unknown-reference");
    assert_eq!(first_error(&json)["span"]["line"], 4);
    let run = archc(&["simulate", &file, "--requests", "1k"]);
    assert_eq!(run.code, 2);
}

#[test]
fn string_of_one_megabyte() {
    let dir = tempfile::tempdir().unwrap();
    let long = "r".repeat(1 << 20);
    let source = format!(
        "datacenter east {{ region = \"{long}\" }}\nclient users\nservice web {{ replicas = 2 }}\nusers -> web\n"
    );
    let file = write(dir.path(), "string.arch", &source);
    let (_, json) = check_json(&file);
    assert!(json["diagnostics"].is_array());
    // Unterminated: the string runs to the end of the file.
    let file = write(dir.path(), "open.arch", format!("system \"{long}\n"));
    let (run, _) = check_json(&file);
    assert_eq!(run.code, 2);
}

#[test]
fn invalid_utf8_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"client users\nservice web { replicas = 2 }\nusers -> w".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"b\n");
    let file = write(dir.path(), "bad.arch", &bytes);
    let (run, json) = check_json(&file);
    assert_eq!(run.code, 2);
    let e = first_error(&json);
    assert_eq!(e["rule"], "invalid-utf8");
    assert_eq!(e["span"]["line"], 3);
    assert_eq!(e["span"]["column"], 11);
    for verb in [&["simulate", &file][..], &["estimate", &file][..]] {
        assert_eq!(archc(verb).code, 2);
    }
}

#[test]
fn nul_byte_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "nul.arch",
        "client users\nservice w\0eb { replicas = 2 }\n",
    );
    let (run, json) = check_json(&file);
    assert_eq!(run.code, 2);
    let e = first_error(&json);
    assert!(e["message"].as_str().unwrap().contains("NUL"));
    assert_eq!(e["span"]["line"], 2);
    assert_eq!(e["span"]["column"], 10);
    let out = dir.path().join("out");
    let run = archc(&[
        "build",
        &file,
        "--target",
        "compose",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(!out.exists(), "nothing is written for unusable input");
}

/// The comparable part of a check report: rule, severity, message and line
/// of every diagnostic (offsets and columns move with CRLF and tabs).
fn findings(json: &serde_json::Value) -> Vec<(String, String, String, u64)> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].to_string(),
                d["severity"].to_string(),
                d["message"].to_string(),
                d["span"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn crlf_and_tabs_compile_like_lf() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for name in [
        "05-cache-cdn.arch",
        "09-sharded-db.arch",
        "three-tier-chain.arch",
    ] {
        let lf = std::fs::read_to_string(root.join(name)).unwrap();
        // Tabs for indentation and between tokens (outside strings and
        // comments the examples use spaces only as separators).
        let tabbed: String = lf
            .lines()
            .map(|l| {
                let body = l.trim_start_matches(' ');
                let indent = (l.len() - body.len()).div_ceil(2);
                format!("{}{body}\n", "\t".repeat(indent))
            })
            .collect();
        let crlf = tabbed.replace('\n', "\r\n");
        // Same file name in two folders: the system's name defaults to it.
        let (d_lf, d_crlf) = (dir.path().join("lf"), dir.path().join("crlf"));
        std::fs::create_dir_all(&d_lf).unwrap();
        std::fs::create_dir_all(&d_crlf).unwrap();
        let f_lf = write(&d_lf, name, &lf);
        let f_crlf = write(&d_crlf, name, &crlf);
        let (a, ja) = check_json(&f_lf);
        let (b, jb) = check_json(&f_crlf);
        assert_eq!(a.code, b.code, "{name}");
        assert_eq!(findings(&ja), findings(&jb), "{name}");
        let ea = archc(&["estimate", "--format", "json", &f_lf]);
        let eb = archc(&["estimate", "--format", "json", &f_crlf]);
        assert_eq!(ea.code, eb.code, "{name}");
        // The estimate names its file; everything else must match.
        let strip = |s: &str| {
            let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
            v.as_object_mut().unwrap().remove("file");
            v
        };
        assert_eq!(
            strip(&ea.stdout),
            strip(&eb.stdout),
            "{name}: estimates differ"
        );
        compared += 1;
    }
    assert_eq!(compared, 3);
}

#[test]
fn simulate_crlf_matches_lf() {
    let lf = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/three-tier-chain.arch"),
    )
    .unwrap();
    // Same file name in two folders: the system's name defaults to it.
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = write(da.path(), "chain.arch", &lf);
    let b = write(db.path(), "chain.arch", lf.replace('\n', "\r\n"));
    let args = |f: &str| {
        archc(&[
            "simulate",
            f,
            "--requests",
            "2k",
            "--seed",
            "3",
            "--format",
            "json",
        ])
        .stdout
    };
    let (sa, sb) = (args(&a), args(&b));
    assert!(sa.contains("\"events\""), "{sa}");
    assert_eq!(sa, sb);
}

#[test]
fn folder_without_arch_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.txt", "not a design");
    let d = dir.path().to_str().unwrap();
    let run = archc(&["check", "--format", "json", d]);
    assert_eq!(run.code, 2);
    assert!(
        (run.stdout.clone() + &run.stderr).contains("no .arch files"),
        "{} {}",
        run.stdout,
        run.stderr
    );
    assert_eq!(archc(&["simulate", d]).code, 2);
    assert_eq!(archc(&["build", d, "--target", "compose"]).code, 2);
}

#[test]
fn unreadable_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "secret.arch", "client users\n");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root (and CAP_DAC_OVERRIDE) reads mode-000 files, and CI runs as
    // root; a symbolic link to itself is unreadable for every user (ELOOP).
    let file = if std::fs::read(&file).is_ok() {
        let link = dir.path().join("loop.arch");
        std::os::unix::fs::symlink(&link, &link).unwrap();
        assert!(std::fs::read(&link).is_err());
        link.to_str().unwrap().to_string()
    } else {
        file
    };
    let (run, json) = check_json(&file);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!((run.stdout.clone() + &run.stderr).contains("cannot read"));
    assert_eq!(first_error(&json)["rule"], "unreadable-file");
}

#[test]
fn missing_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("absent.arch");
    let run = archc(&["check", "--format", "json", file.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!((run.stdout + &run.stderr).contains("cannot read"));
}
