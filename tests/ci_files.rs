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
