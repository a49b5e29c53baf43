#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! Acceptance tests of the front end's diagnostics.
//!
//! Every file in `tests/fixtures/compile/` is a bad input whose header lines
//! `# expect: RULE LINE` name the diagnostics it must produce, exactly: the
//! test compares that list with the (rule, primary line) pairs of the JSON
//! output, then snapshots the source and the rendered report together so a
//! reviewer sees the wording next to the text it is about.
//!
//! Every file in `tests/fixtures/parse/` (`# expect: ok`) and every example
//! must compile with no diagnostic at all.

use std::path::Path;

use archc::render::{self, FileReport};
use archc::{BuildOptions, compile};

/// The `# expect: RULE LINE` headers of a fixture, sorted.
fn expected_headers(source: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = source
        .lines()
        .filter_map(|l| l.strip_prefix("# expect:"))
        .map(|rest| {
            let mut words = rest.split_whitespace();
            let rule = words.next().expect("a rule after `# expect:`").to_string();
            let line = words
                .next()
                .expect("a line after the rule")
                .parse()
                .expect("the line is a number");
            assert_eq!(words.next(), None, "trailing words in `# expect:{rest}`");
            (rule, line)
        })
        .collect();
    out.sort();
    out
}

fn options_for(path: &Path) -> BuildOptions {
    BuildOptions {
        default_name: path
            .file_stem()
            .expect("fixture has a stem")
            .to_string_lossy()
            .into_owned(),
        ..Default::default()
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("fixture has a name")
        .to_string_lossy()
        .into_owned()
}

/// (rule, line) of every diagnostic, read back from the JSON renderer: the
/// stable interface users and editors consume.
fn reported(
    name: &str,
    source: &str,
    diagnostics: &[archc::diagnostic::Diagnostic],
) -> Vec<(String, usize)> {
    let report = FileReport {
        name,
        source,
        diagnostics,
    };
    let json: serde_json::Value =
        serde_json::from_str(&render::json(&[report])).expect("the JSON renderer prints JSON");
    let mut out: Vec<(String, usize)> = json["diagnostics"]
        .as_array()
        .expect("a diagnostics array")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().expect("rule").to_string(),
                d["span"]["line"].as_u64().expect("line") as usize,
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn compile_fixtures_report_exactly_their_expected_diagnostics() {
    insta::glob!("fixtures/compile/*.arch", |path| {
        let source = std::fs::read_to_string(path).expect("fixture readable");
        let name = file_name(path);
        let expected = expected_headers(&source);
        assert!(!expected.is_empty(), "{name}: no `# expect:` header");

        let compiled = compile(&source, &options_for(path));
        let got = reported(&name, &source, &compiled.diagnostics);
        assert_eq!(
            got, expected,
            "{name}: diagnostics differ from the `# expect:` headers"
        );
        assert!(compiled.has_errors(), "{name}: a bad input must fail");
        assert!(
            compiled.model.is_none(),
            "{name}: no model from a failed compile"
        );
        for d in &compiled.diagnostics {
            assert!(
                d.primary.span.end <= source.len() && d.primary.span.start <= d.primary.span.end,
                "{name}: span {:?} outside the source",
                d.primary.span
            );
            assert!(!d.message.is_empty(), "{name}: `{}` has no message", d.rule);
            assert!(d.help.is_some(), "{name}: `{}` has no help line", d.rule);
        }

        let report = FileReport {
            name: &name,
            source: &source,
            diagnostics: &compiled.diagnostics,
        };
        let rendered = render::human(&[report], false, 100);
        let newline = if source.ends_with('\n') { "" } else { "\n" };
        let snapshot = format!("----- SOURCE\n{source}{newline}----- DIAGNOSTICS\n{rendered}");
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!("diagnostics", snapshot);
        });
    });
}

fn assert_compiles_cleanly(path: &Path) {
    let source = std::fs::read_to_string(path).expect("file readable");
    let name = path.display();
    let compiled = compile(&source, &options_for(path));
    let report = FileReport {
        name: &file_name(path),
        source: &source,
        diagnostics: &compiled.diagnostics,
    };
    assert!(
        compiled.diagnostics.is_empty(),
        "{name} must compile with no diagnostic:\n{}",
        render::human(&[report], false, 100)
    );
    assert!(compiled.model.is_some(), "{name}: no model");
}

/// The `.arch` files of a folder below the crate root, sorted.
fn arch_files(folder: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("folder readable")
        .map(|e| e.expect("entry readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "arch"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .arch files in {folder}");
    files
}

#[test]
fn parse_fixtures_compile_with_no_diagnostic() {
    for path in arch_files("tests/fixtures/parse") {
        let source = std::fs::read_to_string(&path).expect("fixture readable");
        assert!(
            source.lines().any(|l| l.trim() == "# expect: ok"),
            "{}: a parse fixture says `# expect: ok`",
            path.display()
        );
        assert_compiles_cleanly(&path);
    }
}

#[test]
fn examples_compile_with_no_diagnostic() {
    for path in arch_files("examples") {
        assert_compiles_cleanly(&path);
    }
}
