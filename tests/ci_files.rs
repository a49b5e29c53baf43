#![allow(clippy::unwrap_used)] // Tests fail loudly on broken files.
//! The CI files archc ships for its users validate against the schemas the
//! services publish (vendored in tests/schemas, see SOURCES.md): the GitHub
//! Actions workflow and the GitLab CI file of docs/ci/, and the pre-commit
//! hooks file has the fields pre-commit requires.

use serde_json::Value;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn validate(schema: &str, document: &str) {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(schema)).unwrap()).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let doc = yaml(document);
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{document}: {errors:#?}");
    // The validator is not vacuous: a workflow with an unknown top-level
    // key, or a pipeline whose "job" is a boolean, is refused.
    let mut broken = doc.clone();
    broken
        .as_object_mut()
        .unwrap()
        .insert("archc_not_a_key".into(), Value::Bool(true));
    assert!(!validator.is_valid(&broken), "the schema accepts anything");
}

#[test]
fn the_github_workflow_is_valid() {
    validate(
        "tests/schemas/github-workflows.json",
        "docs/ci/github-workflow.yml",
    );
}

#[test]
fn the_gitlab_pipeline_is_valid() {
    validate("tests/schemas/gitlab-ci.json", "docs/ci/gitlab-ci.yml");
}

#[test]
fn the_pre_commit_hooks_name_archc_commands() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().expect("a list of hooks");
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["archc-check", "archc-fmt"]);
    for h in hooks {
        // pre-commit's required keys (pre_commit/clientlib.py MANIFEST_HOOK_DICT).
        for key in ["id", "name", "entry", "language"] {
            assert!(h[key].is_string(), "{h}: `{key}`");
        }
        let entry = h["entry"].as_str().unwrap();
        let verb = entry.strip_prefix("archc ").unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_archc"))
            .args([verb, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "`{entry}` is not an archc command");
    }
}

#[test]
fn the_action_is_valid() {
    validate("tests/schemas/github-actions.json", "action.yml");
}

/// The action's check step, run by bash as the runner runs it: `archc`
/// installed where the install step puts it, the runner's variables set.
fn run_action(files: &str, format: &str, deny: &str) -> (std::process::Output, String) {
    let action = yaml("action.yml");
    let step = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "check")
        .unwrap();
    let script = step["run"].as_str().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let bin = temp.path().join("archc/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_archc"), bin.join("archc")).unwrap();
    let output_file = temp.path().join("github-output");
    std::fs::write(&output_file, "").unwrap();
    let out = std::process::Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(root())
        .env("RUNNER_TEMP", temp.path())
        .env("GITHUB_OUTPUT", &output_file)
        .env("FILES", files)
        .env("FORMAT", format)
        .env("DENY", deny)
        .output()
        .unwrap();
    let outputs = std::fs::read_to_string(&output_file).unwrap();
    let sarif = outputs
        .lines()
        .find_map(|l| l.strip_prefix("sarif="))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap_or_default();
    (out, sarif)
}

#[test]
fn the_action_annotates_and_writes_sarif() {
    // The flagship is clean: annotations pass.
    let (out, _) = run_action("examples/09-sharded-db.arch", "github", "false");
    assert!(out.status.success(), "{out:?}");
    // The single server has warnings: annotations with --deny warnings fail.
    let (out, _) = run_action("examples/01-single-server.arch", "github", "true");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("::warning"));
    // SARIF: findings are not a failure of the step, and the log is there.
    let (out, sarif) = run_action("examples/01-single-server.arch", "sarif", "true");
    assert!(out.status.success(), "{out:?}");
    let log: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
    // A bad format is refused.
    let (out, _) = run_action("examples/09-sharded-db.arch", "xml", "false");
    assert_eq!(out.status.code(), Some(2));
}
