#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! Designs of several files (LANGUAGE.md §11), through the binary.
//!
//! `tests/fixtures/multi/CASE/` holds one design per folder: `main.arch`
//! (or `team/main.arch`) and the files it imports, and `expected.txt` with
//! the compile errors `archc check` must report (lint findings are other
//! tests' business), one per line:
//! `RULE FILE:LINE [| TEXT]`, where TEXT must appear in the message or name
//! a related span as `related FILE:LINE`. A case with an empty
//! `expected.txt` must compile without error, each of its files listed once.
//!
//! The split flagship (`examples/split/`) must give what the single-file
//! flagship gives: the same estimate, the same findings and byte-identical
//! deployment files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn archc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The folder `archc` runs in for a case, and the design's file name.
fn case_root(case: &Path) -> (PathBuf, &'static str) {
    if case.join("team/main.arch").is_file() {
        (case.join("team"), "main.arch")
    } else {
        (case.to_path_buf(), "main.arch")
    }
}

#[test]
fn every_multi_file_case_reports_its_errors_in_the_right_file_and_line() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("tests/fixtures/multi"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "{cases:?}");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let (dir, design) = case_root(&case);
        let out = archc(&["check", "--format", "json", design], &dir);
        let doc = json(&out);
        let errors: Vec<&serde_json::Value> = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| archc::codes::Code::from_name(d["rule"].as_str().unwrap()).is_some())
            .collect();
        let expected: Vec<String> = std::fs::read_to_string(case.join("expected.txt"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(
            errors.len(),
            expected.len(),
            "{name}: expected {expected:?}, got {errors:#?}"
        );
        for (want, got) in expected.iter().zip(&errors) {
            let (head, text) = want.split_once(" | ").unwrap_or((want, ""));
            let (rule, at) = head.split_once(' ').unwrap();
            let place = format!("{}:{}", got["file"].as_str().unwrap(), got["span"]["line"]);
            assert_eq!(got["rule"], rule, "{name}: {got:#}");
            assert_eq!(place, at, "{name}: {got:#}");
            if let Some(rel) = text.strip_prefix("related ") {
                let related: Vec<String> = got["related"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        let file = r["file"].as_str().unwrap_or(got["file"].as_str().unwrap());
                        format!("{file}:{}", r["span"]["line"])
                    })
                    .collect();
                assert!(related.iter().any(|r| r == rel), "{name}: {related:?}");
            } else {
                let message = got["message"].as_str().unwrap();
                assert!(message.contains(text), "{name}: {message}");
            }
        }
        let code = out.status.code().unwrap();
        if expected.is_empty() {
            assert_ne!(code, 2, "{name}: {}", String::from_utf8_lossy(&out.stderr));
            let files: Vec<&str> = doc["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();
            let mut unique = files.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(
                unique.len(),
                files.len(),
                "{name}: a file listed twice: {files:?}"
            );
        } else {
            assert_eq!(code, 2, "{name}: compile errors exit 2");
        }
    }
}

#[test]
fn a_diamond_loads_the_shared_file_once() {
    let dir = Path::new(ROOT).join("tests/fixtures/multi/diamond");
    let doc = json(&archc(&["check", "--format", "json", "main.arch"], &dir));
    assert_eq!(
        doc["files"],
        serde_json::json!(["main.arch", "left.arch", "shared/dc.arch", "right.arch"])
    );
    // The datacenter the two halves share is declared once: no
    // duplicate-name, and the finding about it is located in its file.
    let single = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "single-datacenter")
        .unwrap();
    assert_eq!(single["file"], "shared/dc.arch");
}

#[test]
fn a_template_error_is_shown_in_the_template_with_the_component_beside_it() {
    let dir = Path::new(ROOT).join("tests/fixtures/multi/template-attribute");
    let out = archc(&["check", "main.arch"], &dir);
    let text =
        String::from_utf8(out.stderr.clone()).unwrap() + &String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("╭─[platform/templates.arch:3:3]"), "{text}");
    assert!(
        text.contains("template applied to `sessions` here: main.arch:5:18"),
        "{text}"
    );
    // SARIF: the related location is in the component's file.
    let sarif = json(&archc(&["check", "--format", "sarif", "main.arch"], &dir));
    let result = &sarif["runs"][0]["results"][0];
    let uri = |l: &serde_json::Value| {
        l["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(uri(&result["locations"][0]).ends_with("platform/templates.arch"));
    assert!(uri(&result["relatedLocations"][0]).ends_with("main.arch"));
    assert_eq!(
        result["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
}

/// Copies a file or a folder tree.
fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            copy(&e.path(), &to.join(e.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

/// Every file below `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_split_flagship_gives_what_the_single_file_flagship_gives() {
    let tmp = std::env::temp_dir().join(format!("archc-split-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let (one, split) = (tmp.join("one"), tmp.join("split"));
    std::fs::create_dir_all(&one).unwrap();
    // Both designs under the same file name, so the headers of generated
    // files (which name the design) are the same bytes too.
    copy(
        &Path::new(ROOT).join("examples/09-sharded-db.arch"),
        &one.join("photo-share.arch"),
    );
    copy(&Path::new(ROOT).join("examples/split"), &split);
    let run = |dir: &Path, args: &[&str]| {
        let out = archc(args, dir);
        assert!(
            out.status.code().unwrap() < 2,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let estimate =
        |dir: &Path| run(dir, &["estimate", "--format", "json", "photo-share.arch"]).stdout;
    assert_eq!(
        String::from_utf8(estimate(&one)).unwrap(),
        String::from_utf8(estimate(&split)).unwrap()
    );
    // Findings: the same rules, components and messages (their spans are in
    // different files). `--deny warnings` would make this exit 1 on any.
    let findings = |dir: &Path| {
        let doc = json(&run(
            dir,
            &["check", "--format", "json", "photo-share.arch"],
        ));
        let mut v: Vec<String> = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| format!("{} {} {}", d["rule"], d["component"], d["message"]))
            .collect();
        v.sort();
        v
    };
    assert_eq!(findings(&one), findings(&split));
    // The split design lists its three files.
    let doc = json(&run(
        &split,
        &["check", "--format", "json", "photo-share.arch"],
    ));
    assert_eq!(
        doc["files"],
        serde_json::json!([
            "photo-share.arch",
            "platform/datacenters.arch",
            "platform/templates.arch"
        ])
    );
    for target in ["compose", "terraform", "kubernetes"] {
        let built = |dir: &Path| {
            let out_dir = dir.join(format!("out-{target}"));
            run(
                dir,
                &[
                    "build",
                    "photo-share.arch",
                    "--target",
                    target,
                    "-o",
                    out_dir.to_str().unwrap(),
                ],
            );
            tree(&out_dir)
        };
        let (a, b) = (built(&one), built(&split));
        assert!(!a.is_empty(), "{target}: nothing generated");
        assert_eq!(
            a.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            b.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            "{target}: different files"
        );
        for ((name, x), (_, y)) in a.iter().zip(&b) {
            assert!(x == y, "{target}: {name} differs");
        }
    }
    // The dump differs only where the split design's values came from
    // templates: the origins say so, and every value is the same.
    let dump = |dir: &Path| json(&run(dir, &["dump", "photo-share.arch"]));
    let (mut a, mut b) = (dump(&one), dump(&split));
    let web = |d: &serde_json::Value| {
        d["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "web")
            .unwrap()
            .clone()
    };
    assert_eq!(web(&a)["origins"]["autoscale"], "own");
    assert_eq!(
        web(&b)["origins"]["autoscale"],
        serde_json::json!({"template": "web-tier", "file": "platform/templates.arch", "line": 7})
    );
    assert_eq!(web(&b)["origins"]["capacity"], "own");
    assert_eq!(web(&b)["origins"]["availability"], "default");
    for d in [&mut a, &mut b] {
        for c in d["components"].as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("origins");
        }
    }
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn check_dir_checks_designs_and_their_libraries_through_them() {
    // examples/split holds one design and two libraries: checking the
    // folder checks the design (three files), not the libraries alone.
    let out = archc(
        &["check", "--format", "json", "examples/split"],
        Path::new(ROOT),
    );
    let doc = json(&out);
    assert_eq!(
        doc["files"],
        serde_json::json!([
            "examples/split/photo-share.arch",
            "examples/split/platform/datacenters.arch",
            "examples/split/platform/templates.arch"
        ])
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_suppression_above_a_templated_component_covers_it() {
    // The attributes `front` takes from its template live in another file;
    // they must not make the suppression below `front` look inside it.
    let dir = Path::new(ROOT).join("tests/fixtures/multi/suppression-templated");
    let doc = json(&archc(&["check", "--format", "json", "main.arch"], &dir));
    let found: Vec<(String, String)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().into(),
                d["component"].to_string(),
            )
        })
        .collect();
    assert!(
        !found.iter().any(|(r, _)| r == "invalid-suppression"),
        "{found:?}"
    );
    assert!(
        found.contains(&("spof".into(), "\"front\"".into())),
        "{found:?}"
    );
    assert!(
        !found.contains(&("spof".into(), "\"front2\"".into())),
        "{found:?}"
    );
}

#[test]
fn a_baseline_keys_each_finding_by_the_file_that_holds_it() {
    let src = Path::new(ROOT).join("tests/fixtures/multi/diamond");
    let tmp = std::env::temp_dir().join(format!("archc-baseline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    copy(&src, &tmp);
    let out = archc(
        &["check", "main.arch", "--write-baseline", "base.json"],
        &tmp,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("base.json")).unwrap()).unwrap();
    let files: Vec<(String, String)> = base["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().into(),
                f["file"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        files.contains(&("single-datacenter".into(), "shared/dc.arch".into())),
        "{files:?}"
    );
    assert!(
        files.contains(&("missing-lb".into(), "main.arch".into())),
        "{files:?}"
    );
    let again = archc(&["check", "main.arch", "--baseline", "base.json"], &tmp);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        String::from_utf8(again.stdout)
            .unwrap()
            .contains("no findings"),
        "every finding is in the baseline"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
