//! `archc estimate` end to end: a human and a JSON snapshot per example and
//! fixture (each read before it was accepted), the JSON fields CLI.md
//! requires, `--set` what-ifs checked by hand, and the exit codes.

// Tests may unwrap: a panic is how they report a failure.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// Runs `archc estimate ARGS…` from the crate root (so paths in the output
/// are stable) and returns (exit code, stdout, stderr).
fn archc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_archc"))
        .arg("estimate")
        .args(args)
        .arg("--color")
        .arg("never")
        .current_dir(MANIFEST)
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .output()
        .expect("archc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn relative(path: &Path) -> String {
    path.strip_prefix(MANIFEST)
        .unwrap_or(path)
        .display()
        .to_string()
        .replace('\\', "/")
}

/// Non-finite numbers never reach the output, in words or in JSON.
#[track_caller]
fn assert_finite_text(text: &str, what: &str) {
    for bad in ["NaN", "nan", "inf", "Inf"] {
        assert!(
            !text.contains(bad),
            "{what}: output contains `{bad}`:\n{text}"
        );
    }
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, out, err) = archc(&all);
    assert_eq!(code, 0, "{args:?} failed: {err}");
    serde_json::from_str(&out).expect("valid JSON")
}

#[test]
fn examples_human() {
    insta::glob!("..", "{examples,tests/fixtures/estimate}/*.arch", |path| {
        let file = relative(path);
        let (code, out, err) = archc(&[&file]);
        assert_eq!(code, 0, "{file}: {err}");
        assert!(err.is_empty(), "{file}: unexpected stderr {err}");
        assert_finite_text(&out, &file);
        insta::assert_snapshot!(out);
    });
}

#[test]
fn examples_json() {
    insta::glob!("..", "{examples,tests/fixtures/estimate}/*.arch", |path| {
        let file = relative(path);
        let (code, out, err) = archc(&[&file, "--format", "json"]);
        assert_eq!(code, 0, "{file}: {err}");
        assert_finite_text(&out, &file);
        let v: Value = serde_json::from_str(&out).expect("valid JSON");
        check_required_fields(&v, &file);
        insta::assert_snapshot!(out);
    });
}

/// The fields CLI.md says every `archc estimate --format json` holds.
fn check_required_fields(v: &Value, file: &str) {
    assert_eq!(v["version"], "0.1", "{file}");
    assert!(v["availability"].is_number(), "{file}: availability");
    let comps = v["components"].as_array().expect("components");
    assert!(!comps.is_empty(), "{file}: components");
    for c in comps {
        for key in [
            "component",
            "datacenter",
            "kind",
            "avg_rps",
            "peak_rps",
            "instances",
            "workers",
            "utilization",
            "wait_ms",
            "response_ms",
        ] {
            assert!(
                c.get(key).is_some(),
                "{file}: component without `{key}`: {c}"
            );
        }
        if c.get("shard").is_some() {
            assert!(c["share"].is_number(), "{file}: shard without share");
            assert!(c.get("dedicated_key").is_some(), "{file}: dedicated_key");
        }
    }
    for c in v["classes"].as_array().expect("classes") {
        for key in ["class", "mean_latency_ms", "p99_latency_ms", "availability"] {
            assert!(c.get(key).is_some(), "{file}: class without `{key}`");
        }
    }
}

/// A design without traffic prints what it can and says what is missing.
#[test]
fn no_traffic_is_structural() {
    let (code, out, _) = archc(&["tests/fixtures/estimate/no-traffic.arch"]);
    assert_eq!(code, 0);
    assert!(out.contains("No `traffic` block: the figures below are structural only"));
    assert!(out.contains("need traffic"));
    // web: autoscale 2..8 sits at its minimum without load; k = 500 × 15ms
    // = 7.5 → ⌊8⌋ = 8 workers.
    let v = json(&["tests/fixtures/estimate/no-traffic.arch"]);
    assert_eq!(v["has_traffic"], false);
    let web = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == "web")
        .unwrap();
    assert_eq!(web["instances"], 2);
    assert_eq!(web["workers"], 8);
    assert!(v["storage"].is_null() && v["bandwidth"].is_null());
    for c in v["classes"].as_array().unwrap() {
        assert!(c["mean_latency_ms"].is_null(), "latency needs traffic");
    }
}

/// An overloaded copy has no finite wait: JSON says null, the table says
/// so in words, and the autoscale range is flagged.
#[test]
fn overload_is_reported_without_infinities() {
    let v = json(&["tests/fixtures/estimate/overloaded.arch"]);
    let comps = v["components"].as_array().unwrap();
    let web = comps.iter().find(|c| c["component"] == "web").unwrap();
    // 4000/s at peak needs ⌈4000 / (0.7 × 500)⌉ = 12 instances; the range
    // stops at 6: ρ = 4000 / 3000.
    assert_eq!(web["instances"], 6);
    assert_eq!(web["max_not_enough"], true);
    assert!((web["utilization"].as_f64().unwrap() - 4000.0 / 3000.0).abs() < 1e-6);
    assert!(web["wait_ms"].is_null() && web["response_ms"].is_null());
    let (_, out, _) = archc(&["tests/fixtures/estimate/overloaded.arch"]);
    assert!(out.contains("OVERLOADED"));
    assert!(out.contains("autoscale max too low: web"));
    assert!(
        out.contains("MISSED"),
        "the latency objective cannot be met"
    );
}

/// `--set` rewrites the design before it is built; the numbers follow by
/// hand.
#[test]
fn set_overrides() {
    let flagship = "examples/09-sharded-db.arch";
    let v = json(&[flagship, "--set", "traffic.users=50M"]);
    assert_eq!(v["sets"][0], "traffic.users=50M");
    // 50M × 40/day = 23,148.1/s; peak 3x, dynamic half, us-east 60%:
    // 20,833.3/s at web@us-east → ⌈20,833.3 / (0.7 × 800)⌉ = 38 of 4..40.
    let web = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == "web" && c["datacenter"] == "us-east")
        .unwrap()
        .clone();
    assert!((web["peak_rps"].as_f64().unwrap() - 20_833.333_3).abs() < 1e-3);
    assert_eq!(web["instances"], 38);

    // A component attribute; `replicas` replaces `autoscale`.
    let v = json(&[
        flagship,
        "--set",
        "web.replicas=4",
        "--set",
        "assumptions.hop_latency=2ms",
    ]);
    let webs: Vec<&Value> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["component"] == "web")
        .collect();
    assert!(
        webs.iter()
            .all(|w| w["instances"] == 4 && w.get("autoscale").is_none())
    );
    // us-east web: 4166.7 / (4 × 800) = 1.30: overloaded with 4.
    assert!((webs[0]["utilization"].as_f64().unwrap() - 4166.6667 / 3200.0).abs() < 1e-6);
    assert_eq!(v["assumptions"]["hop_latency_ms"]["value"], 2.0);
    assert_eq!(v["assumptions"]["hop_latency_ms"]["assumed"], false);

    // Creating a block that is missing: traffic for a design without it.
    let v = json(&[
        "tests/fixtures/estimate/no-traffic.arch",
        "--set",
        "traffic.rate=300/s",
    ]);
    assert_eq!(v["has_traffic"], true);
    assert!((v["traffic"]["avg_rps"].as_f64().unwrap() - 300.0).abs() < 1e-9);
}

/// A bad `--set` is unusable input: exit 2 with a located message.
#[test]
fn bad_set_is_exit_2() {
    let flagship = "examples/09-sharded-db.arch";
    let cases = [
        (
            "traffic.users=50M/s",
            "`users` expects a number, found a rate",
        ),
        ("wbe.replicas=2", "`--set` names `wbe`"),
        ("web.replica=2", "unknown attribute `replica`"),
        ("web.replicas", "has no `=`"),
        ("traffic.users=5 M", "unexpected `M` after the value `5`"),
    ];
    for (set, message) in cases {
        let (code, out, err) = archc(&[flagship, "--set", set]);
        assert_eq!(code, 2, "{set}");
        assert!(out.is_empty(), "{set}: nothing on stdout");
        assert!(err.contains(message), "{set}: {err}");
        assert!(
            err.contains(&format!("# --set {set}")),
            "{set}: shows the override"
        );
    }
    // Under --format json the diagnostics are JSON, as for `archc check`.
    let (code, out, _) = archc(&[flagship, "--set", "web.replicas=many", "--format", "json"]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["diagnostics"][0]["severity"], "error");
}

#[test]
fn unusable_input_is_exit_2() {
    let (code, _, err) = archc(&["examples/does-not-exist.arch"]);
    assert_eq!(code, 2);
    assert!(err.contains("no such file"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.arch");
    std::fs::write(&bad, "service web { replicas = }\n").unwrap();
    let (code, _, err) = archc(&[bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("syntax"));
}
