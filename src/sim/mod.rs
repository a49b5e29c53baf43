//! The embedded discrete-event simulator behind `archc simulate`.
//!
//! It runs requests through the model with the semantics of LANGUAGE.md
//! §6–§10 — the same ones the estimator solves in closed form — and measures
//! what a formula cannot give: quantiles, the seconds during a failover,
//! whether the surviving datacenter holds, how a hot key loads one shard.
//! Where the two should agree (no drops, no timeouts) the simulator is an
//! independent check of the estimator.
//!
//! Layout: [`plan`] flattens the model into integer-indexed tables once;
//! [`engine`] is the event loop and the request walk; `failures` applies
//! scenario events, health checks, promotions, DNS failover and autoscaling;
//! [`measure`] holds what a run records; [`report`] turns runs into the JSON
//! document and evaluates expectations; [`html`] draws the report page.
//!
//! Architecture invariant: nothing here does I/O. Randomness comes from one
//! seeded xoshiro256++ stream per run, so a file, a seed and options give
//! the same results, byte for byte, on every machine.

pub mod engine;
mod failures;
pub mod html;
pub mod measure;
pub mod plan;
pub mod report;

use crate::estimate::Estimate;
use crate::model::{Model, Scenario};
use rayon::prelude::*;

pub use measure::{Cause, RunResult};
pub use report::Report;

/// Requests simulated when neither `--requests` nor a duration is given.
pub const DEFAULT_REQUESTS: u64 = 1_000_000;
/// The timeline keeps about this many buckets (one second each for runs
/// up to an hour).
pub const MAX_BUCKETS: usize = 3_600;

/// Which traffic rate drives the arrivals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateMode {
    /// `traffic.rate`.
    Avg,
    /// `traffic.rate × peak`, what the estimator sizes for.
    Peak,
}

impl RateMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RateMode::Avg => "avg",
            RateMode::Peak => "peak",
        }
    }
}

/// How to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub seed: u64,
    /// Entry requests to measure (after the warm-up). Without it and without
    /// a duration, [`DEFAULT_REQUESTS`].
    pub requests: Option<u64>,
    /// Simulated seconds after the warm-up; a scenario's `duration` when
    /// not given.
    pub duration_s: Option<f64>,
    pub rate: RateMode,
    /// Simulated seconds run first and not measured.
    pub warmup_s: f64,
    /// Independent replications, run in parallel.
    pub runs: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 1,
            requests: None,
            duration_s: None,
            rate: RateMode::Peak,
            warmup_s: 0.0,
            runs: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("the design has no `traffic` block: the simulator needs an arrival rate")]
    NoTraffic,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    TooLarge(String),
}

/// Runs `opts.runs` replications of the model (under `scenario`, if any)
/// and reports them. `progress(run, fraction)` is called now and then from
/// the worker threads. Estimates the model first; a caller that already
/// holds its estimate (every scenario of one design shares it) calls
/// [`simulate_with`].
pub fn simulate(
    model: &Model,
    scenario: Option<&Scenario>,
    opts: &Options,
    progress: &(dyn Fn(usize, f64) + Sync),
) -> Result<Report, SimError> {
    let est = crate::estimate::estimate(model, &mut Default::default());
    simulate_with(model, &est, scenario, opts, progress)
}

/// As [`simulate`], sized from the model's estimate `est`.
pub fn simulate_with(
    model: &Model,
    est: &Estimate,
    scenario: Option<&Scenario>,
    opts: &Options,
    progress: &(dyn Fn(usize, f64) + Sync),
) -> Result<Report, SimError> {
    let plan = plan::Plan::build(model, est, scenario, opts)?;
    let runs = run_plan(&plan, opts, progress)?;
    Ok(report::build(&plan, opts, &runs))
}

/// The replications themselves, in order.
pub fn run(
    model: &Model,
    scenario: Option<&Scenario>,
    opts: &Options,
    progress: &(dyn Fn(usize, f64) + Sync),
) -> Result<Vec<RunResult>, SimError> {
    let est = crate::estimate::estimate(model, &mut Default::default());
    let plan = plan::Plan::build(model, &est, scenario, opts)?;
    run_plan(&plan, opts, progress)
}

fn run_plan(
    plan: &plan::Plan,
    opts: &Options,
    progress: &(dyn Fn(usize, f64) + Sync),
) -> Result<Vec<RunResult>, SimError> {
    if opts.runs == 0 {
        return Err(SimError::Invalid("`--runs` must be at least 1".into()));
    }
    if plan.workers > engine::MAX_INDEX / 4 || plan.instances > engine::MAX_INDEX / 4 {
        return Err(SimError::TooLarge(format!(
            "the design has {} workers at its largest; the simulator handles up to {}",
            plan.workers,
            engine::MAX_INDEX / 4
        )));
    }
    let one = |i: u32| {
        let seed = run_seed(opts.seed, i);
        let mut r = engine::Engine::new(plan, seed).run(&|f| progress(i as usize, f));
        r.seed = seed;
        r
    };
    // One run stays on the caller's thread; replications share the pool.
    if opts.runs == 1 {
        return Ok(vec![one(0)]);
    }
    Ok((0..opts.runs).into_par_iter().map(one).collect())
}

/// Replication `i` runs with seed `seed + i`: xoshiro's seeding passes the
/// number through SplitMix64, so neighbouring seeds give unrelated streams.
pub fn run_seed(seed: u64, i: u32) -> u64 {
    seed.wrapping_add(u64::from(i))
}
