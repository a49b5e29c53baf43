#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! Robustness: every fixture and example, cut short or damaged in simple
//! systematic ways, must compile without a panic, and a failed compile must
//! say where. The binary gets a few of the same inputs and must exit 0 or 2
//! with a located diagnostic.
//!
//! Inputs are sampled deterministically so the suite stays fast: every
//! prefix of small files, evenly spaced prefixes (and the first and last
//! few hundred bytes in full) of large ones.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

use archc::render::{self, FileReport};
use archc::{BuildOptions, compile};

/// Positions tried per file and mutation kind, at most.
const BUDGET: usize = 250;

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = Vec::new();
    for folder in ["tests/fixtures/compile", "tests/fixtures/parse", "examples"] {
        for entry in std::fs::read_dir(root.join(folder)).expect("folder readable") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "arch") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        files.len() > 50,
        "fixtures and examples found: {}",
        files.len()
    );
    files
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            (name, std::fs::read_to_string(&p).expect("readable"))
        })
        .collect()
}

/// Character boundaries of `s` to try, comments left out (cutting or
/// damaging a comment tests nothing the first character of one does not):
/// all of them when there are few, else the first and last `BUDGET / 4`
/// and evenly spaced ones between.
fn positions(s: &str) -> Vec<usize> {
    let mut all: Vec<usize> = Vec::new();
    let (mut in_string, mut in_comment, mut escaped) = (false, false, false);
    for (i, c) in s.char_indices() {
        if c == '\n' {
            (in_string, in_comment) = (false, false);
        } else if !in_comment && c == '"' && !escaped {
            in_string = !in_string;
        } else if !in_string && c == '#' {
            // The `#` itself is kept; the rest of the comment is not.
            if !in_comment {
                all.push(i);
            }
            in_comment = true;
        }
        escaped = in_string && c == '\\' && !escaped;
        if !in_comment {
            all.push(i);
        }
    }
    all.push(s.len());
    if all.len() <= BUDGET {
        return all;
    }
    let edge = BUDGET / 4;
    let middle = &all[edge..all.len() - edge];
    let step = middle.len().div_ceil(BUDGET / 2);
    let mut out: Vec<usize> = all[..edge].to_vec();
    out.extend(middle.iter().step_by(step));
    out.extend_from_slice(&all[all.len() - edge..]);
    out
}

/// Compiles `source`; panics with the input's description if the compiler
/// panics or fails without pointing inside the source.
fn check(what: &dyn Fn() -> String, source: &str) {
    let result = catch_unwind(AssertUnwindSafe(|| {
        compile(source, &BuildOptions::default())
    }));
    let compiled = match result {
        Ok(c) => c,
        Err(_) => panic!("the compiler panicked on {}:\n{source}", what()),
    };
    for d in &compiled.diagnostics {
        let s = d.primary.span;
        assert!(
            s.start <= s.end
                && s.end <= source.len()
                && source.is_char_boundary(s.start)
                && source.is_char_boundary(s.end),
            "{}: `{}` has span {s:?} outside the source of {} bytes",
            what(),
            d.rule,
            source.len()
        );
        for r in &d.related {
            assert!(
                r.span.end <= source.len(),
                "{}: related span {:?} outside",
                what(),
                r.span
            );
        }
    }
    if compiled.has_errors() {
        assert!(
            compiled.model.is_none(),
            "{}: a model despite errors",
            what()
        );
        // Rendering must not panic either; JSON is cheap enough to do
        // every time.
        let report = FileReport {
            name: "input.arch",
            source,
            diagnostics: &compiled.diagnostics,
        };
        let json = catch_unwind(AssertUnwindSafe(|| render::json(&[report])));
        assert!(json.is_ok(), "the JSON renderer panicked on {}", what());
    } else {
        assert!(
            compiled.model.is_some(),
            "{}: no error and no model",
            what()
        );
    }
}

#[test]
fn every_truncation_compiles_or_fails_with_a_location() {
    for (name, source) in sources() {
        for cut in positions(&source) {
            check(&|| format!("{name} cut at byte {cut}"), &source[..cut]);
        }
    }
}

#[test]
fn deleting_one_character_compiles_or_fails_with_a_location() {
    for (name, source) in sources() {
        for at in positions(&source) {
            let Some(c) = source[at..].chars().next() else {
                continue;
            };
            let mutated = format!("{}{}", &source[..at], &source[at + c.len_utf8()..]);
            check(
                &|| format!("{name} without the {c:?} at byte {at}"),
                &mutated,
            );
        }
    }
}

#[test]
fn duplicating_a_line_compiles_or_fails_with_a_location() {
    for (name, source) in sources() {
        let lines: Vec<&str> = source.split_inclusive('\n').collect();
        for i in 0..lines.len() {
            let mut mutated = String::with_capacity(source.len() * 2);
            for (j, l) in lines.iter().enumerate() {
                mutated.push_str(l);
                if j == i {
                    if !l.ends_with('\n') {
                        mutated.push('\n');
                    }
                    mutated.push_str(l);
                }
            }
            check(&|| format!("{name} with line {} doubled", i + 1), &mutated);
        }
    }
}

#[test]
fn swapping_a_brace_compiles_or_fails_with_a_location() {
    for (name, source) in sources() {
        for (at, c) in source
            .char_indices()
            .filter(|(_, c)| matches!(c, '{' | '}' | '[' | ']'))
        {
            let other = match c {
                '{' => "}",
                '}' => "{",
                '[' => "]",
                _ => "[",
            };
            let mutated = format!("{}{other}{}", &source[..at], &source[at + 1..]);
            check(
                &|| format!("{name} with the {c:?} at byte {at} swapped"),
                &mutated,
            );
        }
    }
}

#[test]
fn awkward_inputs_compile_or_fail_with_a_location() {
    for (i, source) in [
        "",
        "\n",
        "#",
        "\u{FEFF}",
        "\u{FEFF}client users",
        "\0",
        "client users\0",
        "client é",
        "service 日本 { }",
        "\"",
        "system \"",
        "a ->",
        "a -> b [",
        "a -> b [write 10",
        "traffic { rate = 1e5/s }",
        "service web { replicas = 99999999999999999999999 }",
        "database db { shards = 4294967296 }",
        "database db { key_count = 1G  keys = zipf(100.5) }",
        "service a { autoscale = 0..0 }",
        "scenario s { at 0 fail x }",
        "service web\r\nclient u\r\nu -> web\r\n",
        // A long token of two-byte characters: a span cut at a fixed byte
        // count would end inside one.
        "$ééééééééééééééééééééééééééééééééééééééééé",
        "service web { image = \"ééééééééééééééééééééééééééééé",
        "cache c { ttl = 10mé }",
        "scenario s { expect p99 < 1s during 1m..2mx }",
        "service web { timeout = 1h30m }",
        "service web { timeout = 1.5m30 }",
        "traffic { users = 10Mb }",
        "traffic { users = 3K }",
        "service web { replicas = 2",
        "service web { datacenters = [a",
    ]
    .into_iter()
    .enumerate()
    {
        check(&|| format!("awkward input {i} {source:?}"), source);
    }
}

/// Runs `archc check --format json` on `source` written to a temporary
/// file; returns the exit code and the parsed output.
fn run_check(source: &str) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("input.arch");
    std::fs::write(&path, source).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .expect("archc runs");
    let code = out.status.code().expect("exit code, not a signal");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, json)
}

#[test]
fn the_binary_exits_0_or_2_with_a_located_diagnostic() {
    let sources = sources();
    let picks = [
        "examples/07-multi-dc.arch",
        "tests/fixtures/parse/scenarios_all.arch",
    ];
    let mut failures_seen = 0;
    for pick in picks {
        let (_, source) = sources
            .iter()
            .find(|(n, _)| n == pick)
            .expect("picked file exists");
        let cuts = positions(source);
        // A few cuts spread over the file, and the whole file.
        for &cut in cuts
            .iter()
            .step_by((cuts.len() / 4).max(1))
            .chain(cuts.last())
        {
            let text = &source[..cut];
            let (code, json) = run_check(text);
            assert!(code == 0 || code == 2, "{pick} cut at {cut}: exit {code}");
            let diags = json["diagnostics"].as_array().expect("diagnostics");
            if code == 2 {
                failures_seen += 1;
                assert!(
                    !diags.is_empty(),
                    "{pick} cut at {cut}: exit 2 without a diagnostic"
                );
                let d = &diags[0];
                assert_eq!(d["severity"], "error");
                let line = d["span"]["line"].as_u64().expect("line") as usize;
                let offset = d["span"]["offset"].as_u64().expect("offset") as usize;
                assert!(
                    line >= 1 && line <= text.lines().count().max(1) + 1,
                    "line {line}"
                );
                assert!(offset <= text.len(), "offset {offset} past {}", text.len());
            } else {
                assert_eq!(json["summary"]["errors"], 0);
            }
        }
    }
    assert!(failures_seen > 0, "some cut should fail to compile");
}

/// Inputs the fuzzers found crashing, kept as regressions: each must give
/// a located diagnostic or compile, through every stage, without a panic.
#[test]
fn fuzz_regressions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("fuzz fixtures") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        let Ok(source) = String::from_utf8(bytes) else {
            continue;
        };
        seen += 1;
        let checked = archc::check(
            &source,
            &Default::default(),
            &Default::default(),
            "2026-11-20",
        );
        for d in &checked.diagnostics {
            assert!(
                d.primary.span.end <= source.len(),
                "{}: span past the end",
                path.display()
            );
        }
        if checked.model.is_none() {
            assert!(
                !checked.diagnostics.is_empty(),
                "{}: failed without a diagnostic",
                path.display()
            );
        }
        let _ = archc::fmt::format(&source);
        if let (Some(model), Some(estimate)) = (&checked.model, &checked.estimate) {
            for target in [
                archc::backends::Target::Compose,
                archc::backends::Target::Terraform,
                archc::backends::Target::Kubernetes,
            ] {
                let _ = archc::backends::build(model, estimate, target, &Default::default());
            }
        }
    }
    assert!(seen > 0, "no fuzz fixtures");
}
