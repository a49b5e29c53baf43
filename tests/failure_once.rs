//! The failure analysis (what each single failure costs) is computed once
//! per `check`, by the estimator, and read by every rule that needs it —
//! not recomputed by `spof` and `no-redundancy` each (issue 13).
//!
//! This file holds one test on purpose: the count is process-wide, and
//! tests in one binary run in parallel.

use archc::rules::config::Config;

#[test]
fn check_runs_the_failure_analysis_once() {
    // A design where both readers of the analysis have something to say:
    // `web` is a single point of failure in each datacenter, recovered by
    // failover (no-redundancy); `main`, in one datacenter, is not (spof).
    let source = r#"
system once
datacenter us-east { weight = 50% }
datacenter us-west { weight = 50% }
traffic { rate = 1000/s  reads = 90% }
client users
dns geo { routing = geo  failover = true }
lb front { replicas = 2 }
service web { replicas = 1 }
database main { engine = postgres  replicas = 1  failover = automatic  cross_dc = async }
users -> geo -> front -> web -> main
"#;
    let before = archc::estimate::failure::runs();
    let compiled = archc::check(
        source,
        &Default::default(),
        &Config::default(),
        "2026-12-02",
    );
    let after = archc::estimate::failure::runs();
    let names: Vec<&str> = compiled
        .diagnostics
        .iter()
        .map(|d| d.rule.as_ref())
        .collect();
    assert!(compiled.model.is_some(), "{names:?}");
    assert!(
        names.contains(&"no-redundancy"),
        "the analysis has a reader with something to report: {names:?}"
    );
    assert_eq!(after - before, 1, "one analysis per check");
}
