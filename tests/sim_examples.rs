//! Every example simulated against the estimator: where a run drops and
//! times out nothing, each copy's utilisation must match the estimator's
//! (LANGUAGE.md §7: the estimator solves the same M/M/c stations in closed
//! form). The simulator shares no code with the estimator's load
//! propagation: it routes each request by the flow tables and counts what
//! arrives.
//!
//! A utilisation estimate from n services has a relative standard error of
//! sqrt(2/n) (busy time is a compound Poisson sum of exponential service
//! times), so the default suite checks each copy at max(2%, 4.5·sqrt(2/n))
//! with n the services its busiest station is expected to see, and the
//! ignored acceptance run sizes every example so that n ≥ 100,000 at every
//! copy and checks the plain 2%:
//!
//!     cargo test --release --test sim_examples -- --ignored

use archc::estimate::{self, Estimate, shards::PlacementCache};
use archc::sim::{self, Options};
use std::path::Path;

fn examples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("examples folder")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "arch"))
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).expect("readable"),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 10, "examples found: {}", out.len());
    out
}

/// Per copy with a capacity: the estimator's utilisation and the arrival
/// rate at its busiest station (the whole copy, or for a database the
/// busiest instance: utilisation × one instance's capacity).
fn expected(model: &archc::Model, est: &Estimate) -> Vec<Option<(f64, f64)>> {
    model
        .graph
        .node_indices()
        .map(|n| {
            let ce = est.copy(n);
            let comp = model.component(model.graph[n].component);
            let capacity = comp.capacity.value?;
            let station_rate = if comp.database().is_some() {
                ce.utilization * capacity
            } else {
                ce.peak_rps
            };
            Some((ce.utilization, station_rate))
        })
        .collect()
}

fn check(name: &str, source: &str, acceptance: bool) {
    let model = archc::compile(source, &archc::BuildOptions::default())
        .model
        .unwrap_or_else(|| panic!("{name} compiles"));
    let est = estimate::estimate(&model, &mut PlacementCache::default());
    let want = expected(&model, &est);
    let total_rate = model.traffic.as_ref().expect("traffic").rate
        * model.traffic.as_ref().expect("traffic").peak.value;
    // The smallest station's share of the traffic decides the run length.
    let min_share = want
        .iter()
        .flatten()
        .filter(|(u, _)| *u > 0.0)
        .map(|(_, r)| r / total_rate)
        .fold(1.0_f64, f64::min);
    let requests = if acceptance {
        let needed = (100_000.0 / min_share).ceil() as u64;
        assert!(needed <= 60_000_000, "{name}: {needed} requests needed");
        needed.max(1_000_000)
    } else {
        200_000
    };
    let opts = Options {
        seed: 5,
        requests: Some(requests),
        ..Options::default()
    };
    let run = sim::run(&model, None, &opts, &|_, _| {})
        .expect("simulates")
        .remove(0);
    if run.failed > 0 {
        // The comparison holds only when nothing is dropped or timed out;
        // every example is sized to stay clear of that.
        panic!("{name}: {} requests failed: {:?}", run.failed, run.errors);
    }
    if acceptance {
        eprintln!("{name}: {requests} requests, {} events", run.events);
    }
    let mut compared = 0;
    for (n, w) in want.iter().enumerate() {
        let Some((u_est, station_rate)) = *w else {
            continue;
        };
        if u_est <= 0.0 {
            continue;
        }
        let u_sim = run.copies[n].utilization;
        let services = station_rate * run.measured_s;
        let tol = if acceptance {
            0.02
        } else {
            (4.5 * (2.0 / services).sqrt()).max(0.02)
        };
        let copy = model.copy_name(model.graph[petgraph::graph::NodeIndex::new(n)]);
        assert!(
            (u_sim - u_est).abs() <= tol * u_est,
            "{name}: {copy}: simulated utilisation {u_sim:.5} vs estimated {u_est:.5} \
             (tolerance {:.2}%, {services:.0} services)",
            tol * 100.0
        );
        compared += 1;
    }
    assert!(compared > 0, "{name}: no copy compared");
}

#[test]
fn utilisation_matches_the_estimator_on_every_example() {
    for (name, source) in examples() {
        check(&name, &source, false);
    }
}

#[test]
#[ignore = "long: acceptance-size run, see the file's header"]
fn utilisation_within_two_percent_on_every_example() {
    for (name, source) in examples() {
        check(&name, &source, true);
    }
}
