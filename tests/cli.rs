#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The `archc` binary as users run it: exit codes (CLI.md "Exit status"),
//! folder arguments, the stable JSON shape of `check --format json`, and
//! `archc dump`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn archc<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_archc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("COLUMNS")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("archc runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("an exit code, not a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("UTF-8 errors")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(words: &[&'a str]) -> BTreeSet<&'a str> {
    words.iter().copied().collect()
}

#[test]
fn a_clean_example_exits_0() {
    // The flagship is the story's end: no error and no warning.
    let out = archc(["check", "--color", "never", "examples/09-sharded-db.arch"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out), "no findings in examples/09-sharded-db.arch\n");
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_syntax_error_exits_2_and_is_shown() {
    let out = archc([
        "check",
        "--color",
        "never",
        "tests/fixtures/compile/syntax_missing_equals.arch",
    ]);
    assert_eq!(code(&out), 2);
    let text = stdout(&out);
    assert!(text.contains("syntax"), "{text}");
    assert!(text.contains("expected `=`, found `2`"), "{text}");
    assert!(text.contains("syntax_missing_equals.arch:5:12"), "{text}");
    assert!(
        text.ends_with("1 error in tests/fixtures/compile/syntax_missing_equals.arch\n"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour with --color never");
}

#[test]
fn a_semantic_error_exits_2() {
    let out = archc([
        "check",
        "tests/fixtures/compile/unknown_reference_flow.arch",
    ]);
    assert_eq!(code(&out), 2);
}

#[test]
fn a_missing_file_exits_2_with_its_cause() {
    let out = archc(["check", "no/such/file.arch"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("no/such/file.arch"), "{err}");
    assert!(err.contains("no such file"), "{err}");
    // The files that could be read are still checked.
    let out = archc(["check", "no/such/file.arch", "examples/09-sharded-db.arch"]);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("no findings in examples/09-sharded-db.arch"));
}

#[test]
fn a_bad_option_exits_2() {
    for args in [
        vec!["check", "--bogus", "examples/01-single-server.arch"],
        vec!["check", "--format", "xml", "examples/01-single-server.arch"],
        vec![
            "check",
            "--deny",
            "everything",
            "examples/01-single-server.arch",
        ],
        vec!["check"],
        vec!["no-such-verb"],
        vec![],
        vec!["dump", "--format", "yaml", "examples/01-single-server.arch"],
    ] {
        let out = archc(&args);
        assert_eq!(code(&out), 2, "archc {args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty(), "archc {args:?} says why");
    }
    // Asking for help is not an error.
    assert_eq!(code(&archc(["--help"])), 0);
    assert_eq!(code(&archc(["check", "--help"])), 0);
    assert_eq!(code(&archc(["--version"])), 0);
}

#[test]
fn invalid_utf8_exits_2_with_its_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("latin1.arch");
    // "café" in Latin-1: the `é` is byte 26, on line 2, column 14.
    std::fs::write(&path, b"client users\n# service caf\xe9\n").expect("write");
    let out = archc([Path::new("check"), &path]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("latin1.arch:2:14: invalid UTF-8 at byte 26"),
        "{err}"
    );
}

#[test]
fn a_nul_byte_exits_2_with_a_located_syntax_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nul.arch");
    std::fs::write(&path, b"client users\nservice web\0\nusers -> web\n").expect("write");
    let out = archc([
        Path::new("check"),
        Path::new("--format"),
        Path::new("json"),
        &path,
    ]);
    assert_eq!(code(&out), 2);
    let v = json(&out);
    let diags = v["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diags.len(), 1, "{v:#}");
    assert_eq!(diags[0]["rule"], "syntax");
    assert_eq!(
        diags[0]["span"],
        serde_json::json!({ "line": 2, "column": 12, "offset": 24, "length": 1 })
    );
}

#[test]
fn a_folder_means_every_arch_file_below_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("sub/deeper")).expect("mkdir");
    std::fs::write(root.join("b.arch"), "client u\nservice s\nu -> s\n").expect("write");
    std::fs::write(root.join("sub/a.arch"), "service s\n").expect("write");
    std::fs::write(root.join("sub/deeper/c.arch"), "database d\n").expect("write");
    std::fs::write(root.join("sub/notes.txt"), "not a design {").expect("write");
    std::fs::write(root.join("sub/x.arch.bak"), "not a design {").expect("write");

    let out = archc([
        Path::new("check"),
        Path::new("--format"),
        Path::new("json"),
        root,
    ]);
    // One-instance designs have findings (exit 1); what matters here is
    // that every file was read and compiled (not exit 2).
    assert!(matches!(code(&out), 0 | 1), "{}", stderr(&out));
    let v = json(&out);
    let files: Vec<String> = v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            let f = f.as_str().expect("a name");
            Path::new(f)
                .strip_prefix(root)
                .unwrap_or_else(|_| panic!("{f} below the folder"))
                .display()
                .to_string()
                .replace('\\', "/")
        })
        .collect();
    assert_eq!(files, ["b.arch", "sub/a.arch", "sub/deeper/c.arch"]);

    // One bad file below the folder makes the run exit 2.
    std::fs::write(root.join("sub/deeper/bad.arch"), "service {").expect("write");
    assert_eq!(code(&archc([Path::new("check"), root])), 2);

    // A folder with no design is an input error.
    let empty = tempfile::tempdir().expect("temp dir");
    let out = archc([Path::new("check"), empty.path()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no .arch files"), "{}", stderr(&out));
}

#[test]
fn the_examples_folder_compiles() {
    // The early stages of the story have findings (exit 1); none fails to
    // compile (that would be exit 2).
    let out = archc(["check", "--format", "json", "examples"]);
    assert!(matches!(code(&out), 0 | 1), "{}", stderr(&out));
    let v = json(&out);
    // Every .arch file below examples/, the split flagship's libraries
    // included (checked through the design that imports them), each once.
    fn count(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .expect("examples")
            .map(|e| e.expect("entry").path())
            .map(|p| {
                if p.is_dir() {
                    count(&p)
                } else {
                    usize::from(p.extension().is_some_and(|x| x == "arch"))
                }
            })
            .sum()
    }
    let expected = count(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"));
    assert_eq!(v["files"].as_array().expect("files").len(), expected);
    let compile_errors = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| {
            archc::rules::COMPILE_ERRORS
                .iter()
                .any(|c| c.name == d["rule"])
        })
        .count();
    assert_eq!(compile_errors, 0);
}

#[test]
fn json_output_has_exactly_the_documented_keys() {
    let fixture = "tests/fixtures/compile/two_problems_type_and_duplicate.arch";
    let out = archc(["check", "--format", "json", fixture]);
    assert_eq!(code(&out), 2);
    let v = json(&out);
    assert_eq!(
        keys(&v),
        set(&["version", "files", "diagnostics", "summary"])
    );
    assert_eq!(v["version"], "0.1");
    assert_eq!(v["files"], serde_json::json!([fixture]));
    assert_eq!(keys(&v["summary"]), set(&["errors", "warnings", "infos"]));
    assert_eq!(v["summary"]["errors"], 2);

    let diags = v["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diags.len(), 2);
    let mut related_seen = 0;
    for d in diags {
        assert_eq!(
            keys(d),
            set(&[
                "rule",
                "severity",
                "message",
                "help",
                "component",
                "datacenter",
                "file",
                "span",
                "related"
            ])
        );
        assert_eq!(d["severity"], "error");
        assert_eq!(d["file"], fixture);
        assert!(d["message"].is_string() && d["help"].is_string());
        assert!(d["component"].is_null() || d["component"].is_string());
        assert!(d["datacenter"].is_null() || d["datacenter"].is_string());
        assert_eq!(
            keys(&d["span"]),
            set(&["line", "column", "offset", "length"])
        );
        for r in d["related"].as_array().expect("related") {
            related_seen += 1;
            assert_eq!(keys(r), set(&["message", "span"]));
            assert_eq!(
                keys(&r["span"]),
                set(&["line", "column", "offset", "length"])
            );
        }
    }
    assert!(
        related_seen > 0,
        "the duplicate name points at the first definition"
    );

    // Positions are exact: `32GB` on line 6, column 17.
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture))
        .expect("fixture");
    let ttl = &diags[0];
    assert_eq!(ttl["rule"], "type-mismatch");
    let offset = ttl["span"]["offset"].as_u64().expect("offset") as usize;
    let length = ttl["span"]["length"].as_u64().expect("length") as usize;
    assert_eq!(&source[offset..offset + length], "32GB");
    assert_eq!(
        (ttl["span"]["line"].as_u64(), ttl["span"]["column"].as_u64()),
        (Some(6), Some(17))
    );
    assert_eq!(diags[1]["rule"], "duplicate-name");
    assert_eq!(diags[1]["related"][0]["span"]["line"], 8);
}

#[test]
fn dump_prints_the_model_as_json() {
    let out = archc(["dump", "examples/07-multi-dc.arch"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    for key in [
        "version",
        "system",
        "datacenters",
        "components",
        "flows",
        "nodes",
        "edges",
        "entries",
    ] {
        assert!(v.get(key).is_some(), "dump has `{key}`");
    }
    assert_eq!(v["system"], "photo-share");
    let ids: Vec<&str> = v["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["id"].as_str().expect("id"))
        .collect();
    assert!(
        ids.contains(&"web@us-east") && ids.contains(&"web@us-west") && ids.contains(&"geo"),
        "{ids:?}"
    );

    // `--format json` is accepted; a file without a `system` line is named
    // after its stem.
    let out = archc([
        "dump",
        "--format",
        "json",
        "tests/fixtures/parse/implicit_default_dc.arch",
    ]);
    assert_eq!(code(&out), 0);
    assert_eq!(json(&out)["system"], "implicit_default_dc");

    // A design that does not compile: exit 2, the diagnostics on stderr and
    // nothing on stdout.
    let out = archc(["dump", "tests/fixtures/compile/weight_sum.arch"]);
    assert_eq!(code(&out), 2);
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("weight-sum"), "{}", stderr(&out));
    assert_eq!(code(&archc(["dump", "no/such/file.arch"])), 2);
}
