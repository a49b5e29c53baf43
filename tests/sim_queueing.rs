//! The simulator against closed-form queueing results (LANGUAGE.md §7: a
//! copy of n instances with k workers is one M/M/(n·k) FIFO queue, so a
//! chain of copies is an open Jackson network).
//!
//! The default suite runs sizes whose sampling error is far inside the
//! tolerance; the acceptance-size runs are `#[ignore]`d and run with
//!
//!     cargo test --release --test sim_queueing -- --ignored
//!
//! Tolerances are the acceptance bounds (2% for means, 5% for p99, 1.5% for
//! the chain); each test states the standard error it expects, so a pass is
//! not luck: the bound is at least four standard errors wide.

use archc::sim::{self, Options, RunResult};

fn compile(source: &str) -> archc::Model {
    let compiled = archc::compile(source, &archc::BuildOptions::default());
    assert!(
        !compiled.has_errors(),
        "test design does not compile: {:?}",
        compiled.diagnostics
    );
    compiled.model.expect("model")
}

fn run(source: &str, requests: u64, seed: u64) -> RunResult {
    let model = compile(source);
    let opts = Options {
        seed,
        requests: Some(requests),
        // A tenth of the run's length is plenty to forget the empty start.
        warmup_s: 0.0,
        ..Options::default()
    };
    let mut runs = sim::run(&model, None, &opts, &|_, _| {}).expect("simulates");
    let r = runs.remove(0);
    assert_eq!(r.failed, 0, "a closed-form check must not drop or time out");
    r
}

/// One service with one worker: capacity 1/s and latency 1s give
/// k = max(1, ⌊1·1 + 0.5⌋) = 1 worker with mean service time k/C = 1 s, so
/// an M/M/1 queue with μ = 1 at arrival rate λ = ρ.
fn mm1(rho: f64) -> String {
    format!(
        "traffic {{ rate = {rho}/s }}\n\
         assumptions {{ hop_latency = 0s }}\n\
         client users\n\
         service s {{ capacity = 1/s  latency = 1s  timeout = 1d }}\n\
         users -> s\n"
    )
}

/// Three one-worker instances: M/M/3 with λ = 2, μ = 1.
const MM3: &str = "traffic { rate = 2/s }
assumptions { hop_latency = 0s }
client users
service s { replicas = 3  capacity = 1/s  latency = 1s  timeout = 1d }
users -> s
";

/// The same M/M/3 reached through k = 3 workers of one instance
/// (capacity 3/s, latency 1s: k = 3, mean service 3/3 = 1 s).
const MM3_WORKERS: &str = "traffic { rate = 2/s }
assumptions { hop_latency = 0s }
client users
service s { capacity = 3/s  latency = 1s  timeout = 1d }
users -> s
";

fn rel(measured: f64, truth: f64) -> f64 {
    (measured - truth).abs() / truth
}

fn mean(r: &RunResult) -> f64 {
    r.latency.mean_s.expect("requests completed")
}

fn p99(r: &RunResult) -> f64 {
    r.latency.p99_s.expect("requests completed")
}

#[test]
fn mm1_half_load_mean_and_p99() {
    // W = 1/(μ − λ) = 1/(1 − 0.5) = 2 s; the response time of M/M/1 is
    // exponential with rate μ − λ, so p99 = −ln(0.01)/0.5 = 9.2103 s.
    // The time-average number in system has asymptotic variance
    // 2ρ(1+ρ)/(1−ρ)^4 = 24 per unit time (Whitt), so 1M requests (2M s)
    // estimate the mean within sqrt(24/2e6)/1 = 0.35% (one standard error).
    let r = run(&mm1(0.5), 1_000_000, 11);
    let w = 1.0 / (1.0 - 0.5);
    assert!(rel(mean(&r), w) < 0.02, "mean {} vs {w}", mean(&r));
    let q = -(0.01f64.ln()) / (1.0 - 0.5);
    assert!(rel(p99(&r), q) < 0.05, "p99 {} vs {q}", p99(&r));
    // Utilisation is ρ.
    let u = r.copies[1].utilization;
    assert!(rel(u, 0.5) < 0.01, "utilisation {u}");
}

#[test]
fn mm3_mean_by_instances_and_by_workers() {
    // Erlang C with c = 3, a = λ/μ = 2: P(wait) = (a^c/c!)·c/(c−a) over
    // Σ_{k<c} a^k/k! + (a^c/c!)·c/(c−a) = 4 / (1 + 2 + 2 + 4) = 4/9, and
    // W = 1/μ + P(wait)/(cμ − λ) = 1 + 4/9 = 1.4444 s.
    let w = 1.0 + 4.0 / 9.0;
    for (design, seed) in [(MM3, 21), (MM3_WORKERS, 22)] {
        let r = run(design, 600_000, seed);
        assert!(rel(mean(&r), w) < 0.02, "mean {} vs {w}", mean(&r));
        let u = r.copies[1].utilization;
        assert!(rel(u, 2.0 / 3.0) < 0.01, "utilisation {u}");
    }
}

#[test]
fn mm1_heavy_load_mean_short() {
    // ρ = 0.9: W = 10 s and p99 = ln(100)/0.1 = 46.05 s. The asymptotic
    // variance of the number in system is 2·0.9·1.9/0.1^4 = 34,200 per unit
    // time: 2M requests (2.22M s) give a standard error of
    // sqrt(34200/2.22e6)/9 = 1.38%, so this short run checks at 4σ = 5.5%;
    // the acceptance bound of 2% is the ignored test below.
    let r = run(&mm1(0.9), 2_000_000, 31);
    assert!(rel(mean(&r), 10.0) < 0.055, "mean {}", mean(&r));
}

#[test]
#[ignore = "long: acceptance-size run, see the file's header"]
fn mm1_heavy_load_acceptance() {
    // 30M requests: standard error sqrt(34200/3.33e7)/9 = 0.36%, so the 2%
    // bound is 5.6 standard errors; p99's bound of 5% is wider still.
    let r = run(&mm1(0.9), 30_000_000, 32);
    assert!(rel(mean(&r), 10.0) < 0.02, "mean {}", mean(&r));
    let q = (100f64).ln() / 0.1;
    assert!(rel(p99(&r), q) < 0.05, "p99 {} vs {q}", p99(&r));
}

#[test]
#[ignore = "long: acceptance-size run, see the file's header"]
fn mm1_half_load_and_mm3_acceptance() {
    let r = run(&mm1(0.5), 10_000_000, 12);
    assert!(rel(mean(&r), 2.0) < 0.02);
    assert!(rel(p99(&r), 100f64.ln() / 0.5) < 0.05);
    let r = run(MM3, 10_000_000, 23);
    assert!(rel(mean(&r), 1.0 + 4.0 / 9.0) < 0.02);
}

const CHAIN: &str = include_str!("../examples/three-tier-chain.arch");

/// The chain's closed form, from Erlang C per tier (the example's header):
/// front M/M/4 with ρ = 0.8 → 5.586 s, middle M/M/2 with ρ = 0.7 → 2.745 s,
/// back M/M/8 with ρ = 0.6 → 5.009 s; hops cost nothing. Computed here
/// from first principles rather than read from the estimator.
fn chain_mean() -> f64 {
    fn erlang_c_response(lambda: f64, service: f64, c: u32) -> f64 {
        let a = lambda * service;
        let mut term = 1.0;
        let mut sum = 0.0;
        for k in 0..c {
            if k > 0 {
                term *= a / f64::from(k);
            }
            sum += term;
        }
        let last = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
        let p_wait = last / (sum + last);
        service + p_wait * service / (f64::from(c) - a)
    }
    erlang_c_response(1.0, 3.2, 4) + erlang_c_response(1.0, 1.4, 2) + erlang_c_response(1.0, 4.8, 8)
}

#[test]
fn chain_closed_form_is_13_34() {
    assert!((chain_mean() - 13.34).abs() < 0.005, "{}", chain_mean());
}

#[test]
fn three_tier_chain_short() {
    // Over ten seeds the mean's standard deviation was 0.84% at 200k
    // requests (0.37% at 1M), so this checks at 4% (4.8σ); the acceptance
    // run below holds it to 1.5% (4σ at 1M).
    let r = run(CHAIN, 200_000, 41);
    assert!(rel(mean(&r), chain_mean()) < 0.04, "mean {}", mean(&r));
    assert_eq!(r.events, 6 * 200_000);
}

#[test]
#[ignore = "long: acceptance-size run, see the file's header"]
fn three_tier_chain_acceptance() {
    let r = run(CHAIN, 1_000_000, 42);
    assert!(rel(mean(&r), chain_mean()) < 0.015, "mean {}", mean(&r));
    // Each tier's utilisation is its ρ.
    for (i, rho) in [(1, 0.8), (2, 0.7), (3, 0.6)] {
        let u = r.copies[i].utilization;
        assert!(rel(u, rho) < 0.02, "tier {i}: {u} vs {rho}");
    }
}
