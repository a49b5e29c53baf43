//! `archc simulate` never passes a scenario it did not measure (issue 14):
//! a window the run did not reach, or one no request finished in, fails
//! with "not measured" and the reason; `--requests` cannot cut a scenario
//! short; counts are whole numbers; durations take the language's units;
//! folders run every design; `--set` applies as on `estimate`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn archc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(args)
        .output()
        .expect("archc runs")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("writable");
    p
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// 100 requests a second, comfortably served; `early` looks at 2m..3m of
/// its 3 minutes.
const DESIGN: &str = "system trust
traffic { rate = 100/s }
client users
lb front { replicas = 2 }
service web { replicas = 2  capacity = 400/s  latency = 10ms }
users -> front -> web
scenario early {
  duration = 3m
  expect utilization(web) < 90% during 2m..3m
}
";

#[test]
fn a_window_the_run_never_reached_is_not_measured_and_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "trust.arch", DESIGN);
    let f = f.to_str().unwrap();
    // `--duration 10s` ends the run long before the window.
    let out = archc(&["simulate", f, "--scenario", "early", "--duration", "10s"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("not measured"), "{stdout}");
    assert!(
        stdout.contains("the run ended at 10s; the window starts at 2m"),
        "{stdout}"
    );
    // JSON says the same, with the expectation failed and nothing measured.
    let out = archc(&[
        "simulate",
        f,
        "--scenario",
        "early",
        "--duration",
        "10s",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let x = &v["expectations"][0];
    assert_eq!(x["passed"], false);
    assert!(x["measured"].is_null());
    assert!(
        x["not_measured"]
            .as_str()
            .unwrap()
            .contains("window starts at")
    );
}

#[test]
fn a_window_the_run_covers_is_measured() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "trust.arch", DESIGN);
    let out = archc(&["simulate", f.to_str().unwrap(), "--scenario", "early"]);
    let stdout = text(&out.stdout);
    // web: 100/s over 2 × 400/s = 12.5% busy.
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("not measured"), "{stdout}");
}

#[test]
fn requests_that_would_end_a_scenario_early_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "trust.arch", DESIGN);
    // 1000 requests at 100/s end after 10 s; the scenario runs 3 minutes.
    let out = archc(&[
        "simulate",
        f.to_str().unwrap(),
        "--scenario",
        "early",
        "--requests",
        "1k",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`--requests 1000` ends the run after about 10s"),
        "{stderr}"
    );
    assert!(
        stderr.contains("before scenario `early` ends at 3m"),
        "{stderr}"
    );
}

#[test]
fn requests_must_be_whole_and_warmup_takes_the_languages_units() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "trust.arch", DESIGN);
    let f = f.to_str().unwrap();
    let out = archc(&["simulate", f, "--requests", "2.5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is not a whole number of requests"),
        "{}",
        text(&out.stderr)
    );
    // `1.5k` is 1500: whole.
    let out = archc(&["simulate", f, "--requests", "1.5k", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A fractional duration, as a file may write one.
    let out = archc(&["simulate", f, "--requests", "2k", "--warmup", "0.5m"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = archc(&["simulate", f, "--warmup", "3 parsecs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("units: us, ms, s, m, h, d, y"));
}

#[test]
fn set_overrides_on_simulate_and_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "trust.arch", DESIGN);
    let f = f.to_str().unwrap();
    // One instance of web: check now finds the single point of failure.
    let out = archc(&["check", f, "--format", "json", "--set", "web.replicas=1"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rules: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"spof"), "{rules:?}");
    // At 50/s capacity web is overloaded: the `early` window fails measured.
    let out = archc(&[
        "simulate",
        f,
        "--scenario",
        "early",
        "--set",
        "web.capacity=50/s",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(1));
    assert!(v["expectations"][0]["measured"].as_f64().unwrap() > 0.9);
    // A bad override is an input error pointing at the override.
    let out = archc(&["simulate", f, "--set", "web.replicas=many"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn folder_verbs_run_every_design() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "a.arch",
        "system a\ntraffic { rate = 10/s }\nclient u\nservice s { replicas = 2 }\nu -> s\n",
    );
    write(
        dir.path(),
        "b.arch",
        "system b\ntraffic { rate = 20/s }\nclient u\nservice t { replicas = 2 }\nu -> t\n",
    );
    let d = dir.path().to_str().unwrap();
    let out = archc(&["estimate", d]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains("a.arch <==") && stdout.contains("b.arch <=="),
        "{stdout}"
    );
    assert!(stdout.find("a.arch").unwrap() < stdout.find("b.arch").unwrap());
    let out = archc(&["simulate", d, "--requests", "1k"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).matches("==> ").count(), 2);
    let out = archc(&["graph", d]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout.matches("digraph").count(), 2, "{stdout}");
    // SVG of several designs needs a folder to write into.
    let out = archc(&["graph", d, "--format", "svg"]);
    assert_eq!(out.status.code(), Some(2));
    let svg = dir.path().join("svg");
    let out = archc(&["graph", d, "--format", "svg", "-o", svg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(svg.join("a.svg").is_file() && svg.join("b.svg").is_file());
    // The worst exit code wins: a broken design makes the folder exit 2.
    write(dir.path(), "c.arch", "system c\nservice {\n");
    let out = archc(&["estimate", d]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn throughput_is_over_the_arrival_window_not_the_drain() {
    // 2,000 requests at 100/s arrive over about 20 s; each takes 5 s on
    // average (exponential), so the run drains for tens of seconds after
    // the last arrival. A stable system completes what arrives: the
    // throughput is the arrival rate, 100/s — dividing by the whole run
    // (about 49 s here) would report about 40/s.
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(
        dir.path(),
        "slow.arch",
        "system slow\ntraffic { rate = 100/s }\nclient users\nlb front { replicas = 2 }\nservice web { replicas = 2  capacity = 1000/s  latency = 5s  timeout = 30s }\nusers -> front -> web\n",
    );
    let out = archc(&[
        "simulate",
        f.to_str().unwrap(),
        "--requests",
        "2k",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let simulated = v["simulated_s"].as_f64().unwrap();
    let throughput = v["throughput_rps"].as_f64().unwrap();
    assert!(
        simulated > 30.0,
        "the run drains well past 20 s: {simulated}"
    );
    // Poisson arrivals: 2,000 of them span 20 s ± 2.2% (1/√2000).
    assert!((throughput - 100.0).abs() < 7.0, "{throughput}");
}
