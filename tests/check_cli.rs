#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! `archc check` through the binary, as CI runs it: exit codes (CLI.md),
//! configuration, inline suppressions, baselines, and the machine formats
//! (SARIF validated against the official 2.1.0 schema, GitHub and JSON
//! snapshotted); `archc rules` and `archc explain`.

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

/// Runs in the crate root, so file names in outputs are stable.
fn run(args: &[&str]) -> Output {
    archc(args, Path::new(ROOT))
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}\n{}", stdout(out), stderr(out));
    })
}

/// (rule, severity, component) of every diagnostic in a JSON report.
fn findings(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
                d["component"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The first diagnostic of `rule` in a JSON report.
fn first_of<'a>(v: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == rule)
        .unwrap_or_else(|| panic!("no `{rule}` in {v}"))
}

/// `archc check --format json` on a scratch design, from its folder.
fn check_scratch(dir: &tempfile::TempDir, path: &Path) -> Output {
    archc(
        &["check", "--format", "json", path.to_str().unwrap()],
        dir.path(),
    )
}

fn rules_named(v: &serde_json::Value, rule: &str) -> usize {
    findings(v).iter().filter(|f| f.0 == rule).count()
}

/// A scratch folder holding `design.arch` (and `archc.toml` when given).
fn scratch(design: &str, config: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("design.arch");
    std::fs::write(&path, design).unwrap();
    if let Some(c) = config {
        std::fs::write(dir.path().join("archc.toml"), c).unwrap();
    }
    (dir, path)
}

const SPOF: &str = "tests/cli/spof.arch";

/// `tests/cli/spof.arch` with a comment line inserted above `service web`.
fn spof_with_comment(comment: &str) -> String {
    let source = std::fs::read_to_string(Path::new(ROOT).join(SPOF)).unwrap();
    source.replace(
        "service web { replicas = 1  capacity = 1000/s }",
        &format!("{comment}\nservice web {{ replicas = 1  capacity = 1000/s }}"),
    )
}

// ── Exit codes ──────────────────────────────────────────────────────────

#[test]
fn clean_design_exits_0() {
    let out = run(&["check", "--format", "json", "tests/cli/clean.arch"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(findings(&json(&out)), vec![]);
}

#[test]
fn errors_exit_1() {
    let out = run(&["check", "--format", "json", SPOF]);
    assert_eq!(code(&out), 1);
    let v = json(&out);
    // The one web server and the one database server.
    assert_eq!(rules_named(&v, "spof"), 2);
    assert_eq!(v["summary"]["errors"], 2);
}

#[test]
fn warnings_exit_0_unless_denied() {
    let out = run(&["check", "--format", "json", "tests/cli/warning_only.arch"]);
    assert_eq!(code(&out), 0);
    let v = json(&out);
    assert_eq!(
        findings(&v),
        vec![("no-monitoring".into(), "warning".into(), String::new())]
    );
    let denied = run(&["check", "--deny", "warnings", "tests/cli/warning_only.arch"]);
    assert_eq!(code(&denied), 1);
    // Denying warnings does not make a clean design fail.
    let clean = run(&["check", "--deny", "warnings", "tests/cli/clean.arch"]);
    assert_eq!(code(&clean), 0);
}

#[test]
fn syntax_error_exits_2() {
    let out = run(&["check", "--format", "json", "tests/cli/syntax.arch"]);
    assert_eq!(code(&out), 2);
    assert_eq!(rules_named(&json(&out), "syntax"), 1);
    // One unusable file makes the whole run unusable, whatever the others.
    let mixed = run(&["check", "tests/cli/clean.arch", "tests/cli/syntax.arch"]);
    assert_eq!(code(&mixed), 2);
}

#[test]
fn unreadable_input_and_bad_options_exit_2() {
    let missing = run(&["check", "tests/cli/no-such-file.arch"]);
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("no-such-file.arch"));
    let bad_format = run(&["check", "--format", "xml", SPOF]);
    assert_eq!(code(&bad_format), 2);
    let bad_deny = run(&["check", "--deny", "infos", SPOF]);
    assert_eq!(code(&bad_deny), 2);
}

#[test]
fn config_errors_exit_2() {
    let missing = run(&["check", "--config", "tests/cli/no-such.toml", SPOF]);
    assert_eq!(code(&missing), 2);
    assert!(
        stderr(&missing).contains("no-such.toml"),
        "{}",
        stderr(&missing)
    );

    let (dir, design) = scratch("client c\n", Some("[rules]\nspfo = \"off\"\n"));
    let out = archc(&["check", design.to_str().unwrap()], dir.path());
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unknown rule `spfo`")
            && stderr(&out).contains("did you mean `spof`"),
        "{}",
        stderr(&out)
    );

    let (dir, design) = scratch("client c\n", Some("[rules]\nspof = \"fatal\"\n"));
    let out = archc(&["check", design.to_str().unwrap()], dir.path());
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("\"fatal\""), "{}", stderr(&out));

    let (dir, design) = scratch("client c\n", Some("[rules\n"));
    let out = archc(&["check", design.to_str().unwrap()], dir.path());
    assert_eq!(code(&out), 2);
}

// ── Configuration ───────────────────────────────────────────────────────

#[test]
fn config_overrides_severity_and_turns_rules_off() {
    let dir = tempfile::tempdir().unwrap();
    let warn = dir.path().join("warn.toml");
    std::fs::write(&warn, "[rules]\nspof = \"warning\"\n").unwrap();
    let out = run(&[
        "check",
        "--format",
        "json",
        "--config",
        warn.to_str().unwrap(),
        SPOF,
    ]);
    assert_eq!(code(&out), 0, "spof as a warning does not fail the run");
    let v = json(&out);
    let spofs: Vec<_> = findings(&v).into_iter().filter(|f| f.0 == "spof").collect();
    assert_eq!(spofs.len(), 2);
    assert!(spofs.iter().all(|f| f.1 == "warning"));
    // …but it does under --deny warnings.
    let denied = run(&[
        "check",
        "--deny",
        "warnings",
        "--config",
        warn.to_str().unwrap(),
        SPOF,
    ]);
    assert_eq!(code(&denied), 1);

    let off = dir.path().join("off.toml");
    std::fs::write(
        &off,
        "[rules]\nspof = \"off\"\nsingle-datacenter = \"off\"\n",
    )
    .unwrap();
    let out = run(&[
        "check",
        "--format",
        "json",
        "--config",
        off.to_str().unwrap(),
        SPOF,
    ]);
    assert_eq!(code(&out), 0);
    assert_eq!(findings(&json(&out)), vec![]);
}

#[test]
fn config_is_found_next_to_the_design() {
    let source = std::fs::read_to_string(Path::new(ROOT).join(SPOF)).unwrap();
    let (dir, design) = scratch(&source, Some("[rules]\nspof = \"info\"\n"));
    // Run from elsewhere: the file beside the design counts, not the
    // working directory's.
    let out = run(&["check", "--format", "json", design.to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    let v = json(&out);
    assert!(
        findings(&v)
            .iter()
            .filter(|f| f.0 == "spof")
            .all(|f| f.1 == "info")
    );
    assert_eq!(rules_named(&v, "spof"), 2);
    // An explicit --config wins over the discovered one.
    let strict = dir.path().join("strict.toml");
    std::fs::write(&strict, "[rules]\n").unwrap();
    let out = run(&[
        "check",
        "--config",
        strict.to_str().unwrap(),
        design.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1);
}

#[test]
fn config_assumptions_reach_the_rules() {
    // Simple routing over two datacenters: `geo-routing` quotes the
    // cross-datacenter latency, 60ms by default, 80ms from the project file.
    let design = "datacenter a { weight = 50% }\ndatacenter b { weight = 50% }\nclient c\ndns names\nlb front { replicas = 2 }\nc -> names -> front\n";
    let (dir, path) = scratch(design, Some("[assumptions]\ncross_dc_latency = 0.08\n"));
    let out = check_scratch(&dir, &path);
    let v = json(&out);
    let geo = first_of(&v, "geo-routing");
    assert!(
        geo["message"].as_str().unwrap().contains("pay 80ms more"),
        "{geo}"
    );

    let (dir, path) = scratch(design, Some("[assumptions]\nlatency = 1\n"));
    let out = archc(&["check", path.to_str().unwrap()], dir.path());
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unknown assumption `latency`"),
        "{}",
        stderr(&out)
    );
}

// ── Inline suppressions ─────────────────────────────────────────────────

#[test]
fn allow_with_reason_suppresses() {
    let design = spof_with_comment("# allow(spof): the single box is accepted until launch");
    let (dir, path) = scratch(&design, None);
    let out = check_scratch(&dir, &path);
    let v = json(&out);
    let spofs: Vec<_> = findings(&v).into_iter().filter(|f| f.0 == "spof").collect();
    assert_eq!(
        spofs,
        vec![("spof".into(), "error".into(), "photos".into())],
        "only the finding on `web` is suppressed"
    );
    assert_eq!(code(&out), 1);

    let future = spof_with_comment("# allow(spof): accepted until launch until 2999-12-31");
    let (dir, path) = scratch(&future, None);
    let out = check_scratch(&dir, &path);
    assert_eq!(rules_named(&json(&out), "spof"), 1);
}

#[test]
fn allow_without_reason_is_a_finding() {
    let design = spof_with_comment("# allow(spof)");
    let (dir, path) = scratch(&design, None);
    let out = check_scratch(&dir, &path);
    let v = json(&out);
    assert_eq!(rules_named(&v, "invalid-suppression"), 1);
    // Not suppressed: both single points of failure are still reported.
    assert_eq!(rules_named(&v, "spof"), 2);
    let bad = first_of(&v, "invalid-suppression");
    assert_eq!(bad["message"], "suppression of `spof` without a reason");
    assert_eq!(bad["span"]["line"], 7, "points at the comment");

    let unknown = spof_with_comment("# allow(spfo): a typo");
    let (dir, path) = scratch(&unknown, None);
    let out = check_scratch(&dir, &path);
    let v = json(&out);
    let bad = first_of(&v, "invalid-suppression");
    assert_eq!(bad["message"], "suppression of unknown rule `spfo`");
    assert_eq!(bad["help"], "did you mean `spof`?");
}

#[test]
fn allow_must_sit_directly_above_what_it_silences() {
    // Above the `traffic` block, not above `web`: it silences nothing.
    let source = std::fs::read_to_string(Path::new(ROOT).join(SPOF)).unwrap();
    let design = source.replace("traffic {", "# allow(spof): meant for web\ntraffic {");
    let (dir, path) = scratch(&design, None);
    let out = check_scratch(&dir, &path);
    let v = json(&out);
    assert_eq!(rules_named(&v, "spof"), 2);
    let bad = first_of(&v, "invalid-suppression");
    assert_eq!(
        bad["message"],
        "suppression of `spof` is not directly above a component or flow"
    );

    // Inside the block, above an attribute: not above the block.
    let design = source.replace(
        "service web { replicas = 1  capacity = 1000/s }",
        "service web {\n  # allow(spof): meant for web\n  replicas = 1\n  capacity = 1000/s\n}",
    );
    let (dir, path) = scratch(&design, None);
    let out = check_scratch(&dir, &path);
    let v = json(&out);
    assert_eq!(rules_named(&v, "spof"), 2);
    assert_eq!(rules_named(&v, "invalid-suppression"), 1);

    // Other comments between the allow and the block are fine.
    let design = spof_with_comment("# allow(spof): accepted for the demo\n# the one web server");
    let (dir, path) = scratch(&design, None);
    let out = check_scratch(&dir, &path);
    let v = json(&out);
    assert_eq!(rules_named(&v, "spof"), 1);
    assert_eq!(rules_named(&v, "invalid-suppression"), 0);

    // A flow statement can be silenced too: `missing-lb` points at the edge.
    let design = "client browsers\nservice web { replicas = 2 }\nmonitoring { logs = loki }\n# allow(missing-lb): the CDN in front balances\nbrowsers -> web\n";
    let (dir, path) = scratch(design, None);
    let out = check_scratch(&dir, &path);
    let v = json(&out);
    assert_eq!(rules_named(&v, "missing-lb"), 0);
    assert_eq!(rules_named(&v, "invalid-suppression"), 0);
}

#[test]
fn expired_allow_brings_the_finding_back_with_a_note() {
    let design = spof_with_comment("# allow(spof): replaced in Q3 until 2020-09-30");
    let (dir, path) = scratch(&design, None);
    let out = check_scratch(&dir, &path);
    assert_eq!(rules_named(&json(&out), "spof"), 2);
    assert_eq!(code(&out), 1);
    let human = archc(
        &["check", "--color", "never", path.to_str().unwrap()],
        dir.path(),
    );
    let text = stdout(&human);
    assert!(
        text.contains("the suppression `allow(spof)` expired on 2020-09-30: replaced in Q3"),
        "{text}"
    );
}

// ── Baselines ───────────────────────────────────────────────────────────

#[test]
fn baseline_reports_only_new_findings() {
    let source = std::fs::read_to_string(Path::new(ROOT).join(SPOF)).unwrap();
    let (dir, path) = scratch(&source, None);
    let baseline = dir.path().join("baseline.json");
    let design = path.to_str().unwrap();
    let b = baseline.to_str().unwrap();
    let out = archc(&["check", "--write-baseline", b, design], dir.path());
    assert_eq!(code(&out), 0, "recording a baseline succeeds");
    assert!(baseline.is_file());

    // Unchanged: nothing new, so a clean exit.
    let out = archc(
        &["check", "--format", "json", "--baseline", b, design],
        dir.path(),
    );
    assert_eq!(findings(&json(&out)), vec![]);
    assert_eq!(code(&out), 0);

    // A new single-instance tier: only its finding is reported.
    let grown = source.replace(
        "browsers -> web -> photos",
        "service thumbs { replicas = 1 }\nbrowsers -> web -> photos\nweb -> thumbs [write]",
    );
    std::fs::write(&path, grown).unwrap();
    let out = archc(
        &["check", "--format", "json", "--baseline", b, design],
        dir.path(),
    );
    assert_eq!(
        findings(&json(&out)),
        vec![("spof".into(), "error".into(), "thumbs".into())]
    );
    assert_eq!(code(&out), 1);

    let out = archc(
        &["check", "--baseline", "no-such-baseline.json", design],
        dir.path(),
    );
    assert_eq!(code(&out), 2);
}

// ── Machine formats ─────────────────────────────────────────────────────

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema_path = Path::new(ROOT).join("tests/schemas/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::draft4::new(&schema).unwrap();

    // Findings of several rules, an invalid suppression, and a file that
    // does not compile, in one run.
    let dir = tempfile::tempdir().unwrap();
    let suppressed = dir.path().join("suppressed.arch");
    std::fs::write(&suppressed, spof_with_comment("# allow(spof)")).unwrap();
    let out = run(&[
        "check",
        "--format",
        "sarif",
        SPOF,
        "tests/cli/warning_only.arch",
        "tests/cli/syntax.arch",
        suppressed.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    let sarif = json(&out);
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );

    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for rule in archc::rules::RULES {
        assert!(
            ids.contains(&rule.info().name),
            "rule {} missing",
            rule.info().name
        );
    }
    for c in archc::rules::COMPILE_ERRORS {
        assert!(ids.contains(&c.name), "compile error {} missing", c.name);
    }
    let results = run["results"].as_array().unwrap();
    let seen: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    for want in ["spof", "no-monitoring", "syntax", "invalid-suppression"] {
        assert!(seen.contains(&want), "no `{want}` result in {seen:?}");
    }
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex {index} does not point at its rule"
        );
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn json_output_snapshot() {
    let out = run(&[
        "check",
        "--format",
        "json",
        SPOF,
        "tests/cli/warning_only.arch",
    ]);
    assert_eq!(code(&out), 1);
    insta::assert_snapshot!("check_json", stdout(&out));
}

#[test]
fn github_output_snapshot() {
    let out = run(&[
        "check",
        "--format",
        "github",
        SPOF,
        "tests/cli/warning_only.arch",
    ]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    // One workflow command per finding, in CLI.md's shape.
    for line in text.lines() {
        assert!(
            line.starts_with("::error file=")
                || line.starts_with("::warning file=")
                || line.starts_with("::notice file="),
            "{line}"
        );
        assert!(line.contains(",title=archc("), "{line}");
    }
    insta::assert_snapshot!("check_github", text);
}

#[test]
fn human_output_snapshot() {
    let out = run(&["check", "--color", "never", SPOF]);
    assert_eq!(code(&out), 1);
    insta::assert_snapshot!("check_human", stdout(&out));
}

// ── rules and explain ───────────────────────────────────────────────────

#[test]
fn rules_table_snapshot() {
    let out = run(&["rules"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    for rule in archc::rules::RULES {
        assert!(text.contains(rule.info().name));
    }
    insta::assert_snapshot!("rules_table", text);
}

#[test]
fn explain_prints_the_rule_doc() {
    let out = run(&["explain", "spof"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.starts_with("# spof (error, redundancy)"), "{text}");
    for section in [
        "## What it flags",
        "## Why it matters",
        "## Example",
        "## Instead",
    ] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }
}

#[test]
fn explain_suggests_a_near_name() {
    let out = run(&["explain", "spfo"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim(),
        "error: no rule named `spfo`; did you mean `spof`?"
    );
    let out = run(&["explain", "no-such-thing-at-all"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("`archc rules` lists them"));
}
