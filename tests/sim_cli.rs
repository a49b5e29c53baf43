//! `archc simulate` as users run it: exit codes, the JSON document's
//! required keys (CLI.md), byte-identical output for the same seed, the
//! HTML report; and what issue 14 asked of it: a window the run did not
//! cover fails "not measured", `--requests` cannot cut a scenario short,
//! counts are whole, durations take the language's units, throughput is
//! over the arrival window, folders run every design, `--set` works.

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

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8")
}

/// Two datacenters; `fine` holds — losing one of east's two web instances
/// fails half of east's 200/s until the balancer's 5 s health check, about
/// 500 of 12,000 requests (4%) — and `strict` cannot (p99 under 1 ms while
/// the service alone takes 10 ms on average).
const DESIGN: &str = "system shop
traffic { rate = 400/s  reads = 75% }
datacenter east { weight = 50% }
datacenter west { weight = 50% }
client users
dns geo { ttl = 10s }
lb front { replicas = 2 }
service web { replicas = 2  capacity = 400/s  latency = 10ms }
database db { replicas = 1  capacity = 2000/s  latency = 2ms  cross_dc = async }
users -> geo -> front -> web -> db
scenario fine {
  duration = 30s
  at 10s fail 1 of web@east
  expect error_rate < 10%
  expect p99 < 1s during 15s..30s
  expect throughput > 300/s
}
scenario strict {
  duration = 20s
  expect p99 < 1ms
}
";

#[test]
fn json_has_the_documented_keys_and_is_byte_identical_for_a_seed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "shop.arch", DESIGN);
    let f = f.to_str().expect("path");
    let args = [
        "simulate",
        f,
        "--requests",
        "20k",
        "--seed",
        "7",
        "--format",
        "json",
    ];
    let a = archc(&args);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    let b = archc(&args);
    assert_eq!(a.stdout, b.stdout, "same seed, same bytes");
    let c = archc(&[
        "simulate",
        f,
        "--requests",
        "20k",
        "--seed",
        "8",
        "--format",
        "json",
    ]);
    assert_ne!(a.stdout, c.stdout, "another seed, another run");

    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).expect("JSON");
    for key in [
        "version",
        "seed",
        "requests",
        "simulated_s",
        "events",
        "throughput_rps",
        "error_rate",
        "latency_ms",
        "classes",
        "components",
        "expectations",
        "timeline",
    ] {
        assert!(v.get(key).is_some(), "missing `{key}`");
    }
    assert_eq!(v["version"], "0.1");
    assert_eq!(v["seed"], 7);
    assert_eq!(v["requests"], 20_000);
    for q in ["mean", "p50", "p90", "p99", "p999", "max"] {
        assert!(v["latency_ms"][q].as_f64().is_some(), "latency_ms.{q}");
    }
    let class = &v["classes"][0];
    assert!(class["class"].is_string());
    assert!(class["latency_ms"]["p99"].as_f64().is_some());
    assert!(class["error_rate"].as_f64().is_some());
    let web = v["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["component"] == "web" && c["datacenter"] == "east")
        .expect("web@east");
    for key in [
        "utilization",
        "mean_queue",
        "dropped",
        "instances",
        "workers",
    ] {
        assert!(web.get(key).is_some(), "web@east has no `{key}`");
    }
    // 200/s reach each datacenter's web: 200 / (2 × 400) = 25%.
    let u = web["utilization"].as_f64().expect("number");
    assert!((u - 0.25).abs() < 0.02, "{u}");
}

#[test]
fn a_passing_scenario_exits_0_and_a_failing_one_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "shop.arch", DESIGN);
    let f = f.to_str().expect("path");
    let ok = archc(&["simulate", f, "--scenario", "fine"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let text = stdout(&ok);
    assert!(text.contains("3 of 3 expectations held"), "{text}");
    assert!(text.contains("error_rate < 10%"), "{text}");
    assert!(text.contains("measured"), "{text}");

    let bad = archc(&["simulate", f, "--scenario", "strict", "--format", "json"]);
    assert_eq!(bad.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&bad)).expect("JSON");
    assert_eq!(v["passed"], false);
    let x = &v["expectations"][0];
    assert_eq!(x["text"], "p99 < 1ms");
    assert_eq!(x["passed"], false);
    assert_eq!(x["unit"], "ms");
    assert!(x["measured"].as_f64().expect("measured") > 10.0);

    // `all` runs both, and fails because one fails.
    let all = archc(&["simulate", f, "--scenario", "all", "--format", "json"]);
    assert_eq!(all.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&all)).expect("JSON");
    let names: Vec<&str> = v["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| s["scenario"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["fine", "strict"]);
    assert_eq!(v["passed"], false);
}

#[test]
fn unusable_input_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "shop.arch", DESIGN);
    let f = f.to_str().expect("path");
    let o = archc(&["simulate", f, "--scenario", "fien"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `fine`?"),
        "{}",
        stderr(&o)
    );

    let no_traffic = write(
        dir.path(),
        "quiet.arch",
        "client users\nservice web\nusers -> web\n",
    );
    let o = archc(&["simulate", no_traffic.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no `traffic` block"), "{}", stderr(&o));

    let o = archc(&["simulate", f, "--duration", "ten minutes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a duration"), "{}", stderr(&o));

    let broken = write(
        dir.path(),
        "broken.arch",
        "service web { capacity = 10GB }\n",
    );
    let o = archc(&["simulate", broken.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("type-mismatch"), "{}", stderr(&o));

    let o = archc(&[
        "simulate",
        dir.path().join("missing.arch").to_str().expect("path"),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn replications_report_a_confidence_interval() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "shop.arch", DESIGN);
    let o = archc(&[
        "simulate",
        f.to_str().expect("path"),
        "--requests",
        "10k",
        "--runs",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["runs"], 3);
    assert_eq!(v["requests"], 30_000, "counts add up over runs");
    let reps = v["replications"].as_array().expect("replications");
    let seeds: Vec<u64> = reps
        .iter()
        .map(|r| r["seed"].as_u64().expect("seed"))
        .collect();
    assert_eq!(seeds, [1, 2, 3]);
    let ci = v["ci95"]["latency_ms"]["mean"].as_f64().expect("interval");
    assert!(ci > 0.0);
    // The reported mean is the mean of the replications' means.
    let mean: f64 = reps
        .iter()
        .map(|r| r["latency_ms"]["mean"].as_f64().expect("mean"))
        .sum::<f64>()
        / 3.0;
    let reported = v["latency_ms"]["mean"].as_f64().expect("mean");
    assert!((mean - reported).abs() < 0.002, "{mean} vs {reported}");
}

#[test]
fn the_html_report_is_one_self_contained_file_with_charts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "shop.arch", DESIGN);
    let html = dir.path().join("out.html");
    let o = archc(&[
        "simulate",
        f.to_str().expect("path"),
        "--scenario",
        "fine",
        "--report",
        html.to_str().expect("path"),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(&html).expect("report written");
    assert!(page.starts_with("<!DOCTYPE html>"));
    // The design diagram, then the throughput, errors, latency and
    // utilisation charts.
    assert_eq!(page.matches("<svg").count(), 5, "diagram and charts");
    assert!(page.contains("fail 1 of web@east"), "the event is marked");
    assert!(page.contains("stroke-dasharray"), "as a dashed line");
    // Nothing is fetched: no script, no stylesheet or font link, no URL
    // other than the SVG namespace.
    assert!(!page.contains("<script"));
    assert!(!page.contains("<link"));
    // `url(#arrow)` names a marker inside the page; nothing else may.
    assert!(!page.replace("url(#", "").contains("url("));
    let urls = page.matches("http").count();
    let ns = page.matches("http://www.w3.org/2000/svg").count();
    assert_eq!(urls, ns, "only the SVG namespace");
    // No progress bar or anything else on a non-terminal.
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn the_html_report_embeds_the_design_diagram() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.html");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archc"))
        .args([
            "simulate",
            "examples/03-load-balancer.arch",
            "--requests",
            "20k",
            "--quiet",
            "--report",
        ])
        .arg(&report)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<h2>Design</h2>"));
    // One node per copy of stage 3: browsers, front, web, photos; the
    // database is drawn as the SPOF the checker reports.
    assert_eq!(html.matches("class=\"node\"").count(), 4);
    assert!(html.contains("single point of failure"));
}

/// 100 requests a second, comfortably served; `early` looks at 2m..3m of
/// its 3 minutes.
const TRUST: &str = "system trust
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
    let f = write(dir.path(), "trust.arch", TRUST);
    let f = f.to_str().unwrap();
    // `--duration 10s` ends the run long before the window.
    let out = archc(&["simulate", f, "--scenario", "early", "--duration", "10s"]);
    let stdout = stdout(&out);
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
    let f = write(dir.path(), "trust.arch", TRUST);
    let out = archc(&["simulate", f.to_str().unwrap(), "--scenario", "early"]);
    let stdout = stdout(&out);
    // web: 100/s over 2 × 400/s = 12.5% busy.
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("not measured"), "{stdout}");
}

#[test]
fn requests_that_would_end_a_scenario_early_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "trust.arch", TRUST);
    // 1000 requests at 100/s end after 10 s; the scenario runs 3 minutes.
    let out = archc(&[
        "simulate",
        f.to_str().unwrap(),
        "--scenario",
        "early",
        "--requests",
        "1k",
    ]);
    let stderr = stderr(&out);
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
    let f = write(dir.path(), "trust.arch", TRUST);
    let f = f.to_str().unwrap();
    let out = archc(&["simulate", f, "--requests", "2.5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a whole number of requests"),
        "{}",
        stderr(&out)
    );
    // `1.5k` is 1500: whole.
    let out = archc(&["simulate", f, "--requests", "1.5k", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A fractional duration, as a file may write one.
    let out = archc(&["simulate", f, "--requests", "2k", "--warmup", "0.5m"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = archc(&["simulate", f, "--warmup", "3 parsecs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("units: us, ms, s, m, h, d, y"));
}

#[test]
fn set_overrides_on_simulate_and_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "trust.arch", TRUST);
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
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        text.contains("a.arch <==") && text.contains("b.arch <=="),
        "{text}"
    );
    assert!(text.find("a.arch").unwrap() < text.find("b.arch").unwrap());
    let out = archc(&["simulate", d, "--requests", "1k"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches("==> ").count(), 2);
    let out = archc(&["graph", d]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text.matches("digraph").count(), 2, "{text}");
    // SVG of several designs needs a folder to write into.
    let out = archc(&["graph", d, "--format", "svg"]);
    assert_eq!(out.status.code(), Some(2));
    let svg = dir.path().join("svg");
    let out = archc(&["graph", d, "--format", "svg", "-o", svg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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
