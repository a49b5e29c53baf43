//! The simulation report: replications combined (mean ± 95% confidence
//! interval), expectations evaluated, and the JSON document of
//! `archc simulate --format json` (docs/simulator.md describes every key;
//! every number carries its unit in its name).

use serde::Serialize;

use super::Options;
use super::measure::{CAUSES, LatencySummary, RunResult};
use super::plan::{Exec, ExpectPlan, MetricPlan, Plan};

pub const VERSION: &str = "0.1";

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub version: &'static str,
    pub system: String,
    pub scenario: Option<String>,
    pub seed: u64,
    pub runs: u32,
    /// `avg` or `peak`.
    pub rate: &'static str,
    pub entry_rate_rps: f64,
    pub warmup_s: f64,
    /// Entry requests that arrived after the warm-up, over every run.
    pub requests: u64,
    pub completed: u64,
    pub failed: u64,
    pub unfinished: u64,
    /// Simulated seconds after the warm-up (mean over runs).
    pub simulated_s: f64,
    pub events: u64,
    pub throughput_rps: f64,
    pub error_rate: f64,
    pub errors: Errors,
    pub latency_ms: LatencyMs,
    pub classes: Vec<ClassOut>,
    pub components: Vec<ComponentOut>,
    pub jobs: JobsOut,
    pub scenario_events: Vec<EventOut>,
    pub expectations: Vec<ExpectationOut>,
    /// Every expectation held.
    pub passed: bool,
    /// Half-widths of the 95% confidence intervals; `null` for one run.
    pub ci95: Option<Ci95>,
    pub replications: Vec<Replication>,
    pub timeline: TimelineOut,
}

/// Failed requests by cause, over every run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Errors {
    pub dead_instance: u64,
    pub queue_full: u64,
    pub timeout: u64,
    pub no_failover: u64,
}

/// Latency of completed requests in milliseconds; `null` when none
/// completed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencyMs {
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub p999: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ci95 {
    pub throughput_rps: f64,
    pub error_rate: f64,
    pub latency_ms: LatencyMs,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replication {
    pub seed: u64,
    pub requests: u64,
    pub simulated_s: f64,
    pub events: u64,
    pub throughput_rps: f64,
    pub error_rate: f64,
    pub latency_ms: LatencyMs,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassOut {
    pub class: &'static str,
    pub requests: u64,
    pub completed: u64,
    pub failed: u64,
    pub error_rate: f64,
    pub latency_ms: LatencyMs,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentOut {
    pub component: String,
    pub datacenter: Option<String>,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dedicated_key: Option<String>,
    /// A shard's fraction of its copy's requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// Serving instances averaged over time (a shard: its live instances).
    pub instances: f64,
    /// Workers per instance (k of §7); `null` without a capacity.
    pub workers: Option<u32>,
    /// A database copy or shard: its busiest instance's.
    pub utilization: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_utilization: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_utilization: Option<f64>,
    pub mean_queue: f64,
    pub arrivals: u64,
    pub dropped: u64,
    pub errors: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobsOut {
    pub created: u64,
    pub completed: u64,
    pub failed: u64,
    pub backlog_max: u64,
    pub latency_ms: LatencyMs,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventOut {
    pub at_s: f64,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExpectationOut {
    pub text: String,
    pub metric: String,
    pub during_s: Option<[f64; 2]>,
    /// `ms`, `fraction` or `rps`: the unit of `bound`, `measured`, `ci95`.
    pub unit: &'static str,
    pub bound: f64,
    /// `null` when nothing was measured: see `not_measured`.
    pub measured: Option<f64>,
    pub ci95: Option<f64>,
    pub passed: bool,
    /// Why nothing was measured, when nothing was (the run ended before the
    /// window, or no request finished in it); such an expectation fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_measured: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TimelineOut {
    pub bucket_s: f64,
    pub start_s: Vec<f64>,
    pub throughput_rps: Vec<f64>,
    pub error_rate: Vec<Option<f64>>,
    pub errors_rps: ErrorSeries,
    pub mean_ms: Vec<Option<f64>>,
    pub p99_ms: Vec<Option<f64>>,
    pub copies: Vec<TimelineCopy>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ErrorSeries {
    pub dead_instance: Vec<f64>,
    pub queue_full: Vec<f64>,
    pub timeout: Vec<f64>,
    pub no_failover: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelineCopy {
    pub copy: String,
    pub utilization: Vec<f64>,
    pub arrivals_rps: Vec<f64>,
}

impl Report {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report types always serialize") + "\n"
    }
}

// ---- numbers -------------------------------------------------------------

fn round(x: f64, decimals: i32) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    let f = 10f64.powi(decimals);
    // Adding zero turns -0.0 into 0.0 so output never shows "-0.0".
    (x * f).round() / f + 0.0
}

fn ms(x: Option<f64>) -> Option<f64> {
    x.map(|s| round(s * 1e3, 3))
}

fn frac(x: f64) -> f64 {
    round(x, 6)
}

fn rps(x: f64) -> f64 {
    round(x, 3)
}

/// Two-sided 95% Student t quantile for `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => T[df - 1],
        // Cornish–Fisher: z + (z³ + z)/(4ν) + (5z⁵ + 16z³ + 3z)/(96ν²),
        // within 0.0002 of the exact quantile above 30.
        _ => {
            let v = df as f64;
            1.959_964 + 2.372_4 / v + 2.822_6 / (v * v)
        }
    }
}

/// Mean and 95% half-width of the values present.
pub fn mean_ci(values: &[Option<f64>]) -> (Option<f64>, Option<f64>) {
    let v: Vec<f64> = values.iter().flatten().copied().collect();
    if v.is_empty() {
        return (None, None);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (Some(mean), None);
    }
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (Some(mean), Some(t975(v.len() - 1) * (var / n).sqrt()))
}

fn latency_ms(runs: &[&LatencySummary]) -> (LatencyMs, LatencyMs) {
    let pick = |f: fn(&LatencySummary) -> Option<f64>| {
        let vals: Vec<Option<f64>> = runs.iter().map(|l| f(l)).collect();
        let (m, c) = mean_ci(&vals);
        (ms(m), ms(c))
    };
    let (mean, c_mean) = pick(|l| l.mean_s);
    let (p50, c50) = pick(|l| l.p50_s);
    let (p90, c90) = pick(|l| l.p90_s);
    let (p99, c99) = pick(|l| l.p99_s);
    let (p999, c999) = pick(|l| l.p999_s);
    let (max, cmax) = pick(|l| l.max_s);
    (
        LatencyMs {
            mean,
            p50,
            p90,
            p99,
            p999,
            max,
        },
        LatencyMs {
            mean: c_mean,
            p50: c50,
            p90: c90,
            p99: c99,
            p999: c999,
            max: cmax,
        },
    )
}

// ---- expectations ----------------------------------------------------------

/// What an expectation measures in one run, in base units (seconds,
/// fraction, per second); `None` when the window saw nothing to measure.
pub fn metric_value(run: &RunResult, x: &ExpectPlan) -> Option<f64> {
    let w = run.windows.get(x.window)?;
    match x.metric {
        MetricPlan::P50 => w.latency.p50_s,
        MetricPlan::P90 => w.latency.p90_s,
        MetricPlan::P99 => w.latency.p99_s,
        MetricPlan::P999 => w.latency.p999_s,
        MetricPlan::Mean => w.latency.mean_s,
        MetricPlan::ErrorRate => w.error_rate(),
        MetricPlan::Throughput => (w.end_s > w.start_s).then(|| w.throughput(run.arrival_window_s)),
        MetricPlan::Utilization(n) => w.utilization.get(n as usize).copied(),
    }
}

fn metric_name(m: MetricPlan, plan: &Plan) -> String {
    match m {
        MetricPlan::P50 => "p50".into(),
        MetricPlan::P90 => "p90".into(),
        MetricPlan::P99 => "p99".into(),
        MetricPlan::P999 => "p999".into(),
        MetricPlan::Mean => "mean".into(),
        MetricPlan::ErrorRate => "error_rate".into(),
        MetricPlan::Throughput => "throughput".into(),
        MetricPlan::Utilization(n) => format!("utilization({})", plan.nodes[n as usize].name),
    }
}

/// Expectations over the mean of the runs.
fn expectations(plan: &Plan, runs: &[RunResult]) -> Vec<ExpectationOut> {
    plan.expectations
        .iter()
        .map(|x| {
            // An expectation holds only over what was simulated: a window
            // the run never reached, or one no request finished in, is
            // "not measured" and fails (never a vacuous 0%).
            let not_measured = runs.iter().find_map(|r| match r.windows.get(x.window) {
                Some(w) => w.unmeasured(r.measured_s),
                None => Some("the window was not simulated".to_string()),
            });
            let values: Vec<Option<f64>> = if not_measured.is_some() {
                vec![None; runs.len()]
            } else {
                runs.iter().map(|r| metric_value(r, x)).collect()
            };
            let (mean, ci) = mean_ci(&values);
            let (unit, scale, digits) = match x.metric {
                MetricPlan::ErrorRate | MetricPlan::Utilization(_) => ("fraction", 1.0, 6),
                MetricPlan::Throughput => ("rps", 1.0, 3),
                _ => ("ms", 1e3, 3),
            };
            ExpectationOut {
                text: x.text.clone(),
                metric: metric_name(x.metric, plan),
                during_s: x.during.map(|(a, b)| [round(a, 3), round(b, 3)]),
                unit,
                bound: round(x.bound * scale, digits),
                measured: mean.map(|m| round(m * scale, digits)),
                ci95: ci.map(|c| round(c * scale, digits)),
                passed: mean.is_some_and(|m| x.op.holds(m, x.bound)),
                not_measured: not_measured
                    .or_else(|| mean.is_none().then(|| "nothing was measured".to_string())),
            }
        })
        .collect()
}

// ---- the report -------------------------------------------------------------

pub fn build(plan: &Plan, opts: &Options, runs: &[RunResult]) -> Report {
    let n = runs.len().max(1) as f64;
    let total = |f: fn(&RunResult) -> u64| runs.iter().map(f).sum::<u64>();
    let mean = |f: &dyn Fn(&RunResult) -> f64| runs.iter().map(f).sum::<f64>() / n;
    let lat: Vec<&LatencySummary> = runs.iter().map(|r| &r.latency).collect();
    let (latency, latency_ci) = latency_ms(&lat);
    let (_, thr_ci) = mean_ci(
        &runs
            .iter()
            .map(|r| Some(r.throughput()))
            .collect::<Vec<_>>(),
    );
    let (_, err_ci) = mean_ci(
        &runs
            .iter()
            .map(|r| Some(r.error_rate()))
            .collect::<Vec<_>>(),
    );
    let errors_total = |c: usize| runs.iter().map(|r| r.errors[c]).sum::<u64>();
    let classes = (0..3)
        .filter(|&c| plan.class_cum[c] > if c == 0 { 0.0 } else { plan.class_cum[c - 1] })
        .map(|c| {
            let ls: Vec<&LatencySummary> = runs.iter().map(|r| &r.classes[c].latency).collect();
            let completed = runs.iter().map(|r| r.classes[c].completed).sum::<u64>();
            let failed = runs.iter().map(|r| r.classes[c].failed).sum::<u64>();
            ClassOut {
                class: crate::model::Class::ALL[c].as_str(),
                requests: runs.iter().map(|r| r.classes[c].arrivals).sum(),
                completed,
                failed,
                error_rate: if completed + failed > 0 {
                    frac(failed as f64 / (completed + failed) as f64)
                } else {
                    0.0
                },
                latency_ms: latency_ms(&ls).0,
            }
        })
        .collect();
    let expectations = expectations(plan, runs);
    let passed = expectations.iter().all(|e| e.passed);
    let jobs_lat: Vec<&LatencySummary> = runs.iter().map(|r| &r.jobs.latency).collect();
    Report {
        version: VERSION,
        system: plan.system.clone(),
        scenario: plan.scenario.clone(),
        seed: opts.seed,
        runs: runs.len() as u32,
        rate: opts.rate.as_str(),
        entry_rate_rps: rps(plan.rate),
        warmup_s: round(plan.warmup, 3),
        requests: total(|r| r.arrivals),
        completed: total(|r| r.completed),
        failed: total(|r| r.failed),
        unfinished: total(|r| r.unfinished),
        simulated_s: round(mean(&|r| r.measured_s), 3),
        events: total(|r| r.events),
        throughput_rps: rps(mean(&|r| r.throughput())),
        error_rate: frac(mean(&|r| r.error_rate())),
        errors: Errors {
            dead_instance: errors_total(0),
            queue_full: errors_total(1),
            timeout: errors_total(2),
            no_failover: errors_total(3),
        },
        latency_ms: latency,
        classes,
        components: components(plan, runs),
        jobs: JobsOut {
            created: total(|r| r.jobs.created),
            completed: total(|r| r.jobs.completed),
            failed: total(|r| r.jobs.failed),
            backlog_max: runs.iter().map(|r| r.jobs.backlog_max).max().unwrap_or(0),
            latency_ms: latency_ms(&jobs_lat).0,
        },
        scenario_events: plan
            .events
            .iter()
            .map(|e| EventOut {
                at_s: round(e.at, 3),
                text: e.text.clone(),
            })
            .collect(),
        expectations,
        passed,
        ci95: (runs.len() > 1).then(|| Ci95 {
            throughput_rps: rps(thr_ci.unwrap_or(0.0)),
            error_rate: frac(err_ci.unwrap_or(0.0)),
            latency_ms: latency_ci,
        }),
        replications: if runs.len() > 1 {
            runs.iter()
                .map(|r| Replication {
                    seed: r.seed,
                    requests: r.arrivals,
                    simulated_s: round(r.measured_s, 3),
                    events: r.events,
                    throughput_rps: rps(r.throughput()),
                    error_rate: frac(r.error_rate()),
                    latency_ms: latency_ms(&[&r.latency]).0,
                })
                .collect()
        } else {
            Vec::new()
        },
        timeline: timeline(plan, runs),
    }
}

fn components(plan: &Plan, runs: &[RunResult]) -> Vec<ComponentOut> {
    let n = runs.len().max(1) as f64;
    let mut out = Vec::new();
    // Components in declaration order, each with its copies in
    // datacenter order, then its shards.
    let mut order: Vec<usize> = (0..plan.nodes.len()).collect();
    order.sort_by_key(|&i| (plan.nodes[i].component, plan.nodes[i].dc));
    for i in order {
        let node = &plan.nodes[i];
        let workers = match node.exec {
            Exec::Station(s) => Some(plan.stations[s as usize].k),
            Exec::Db(d) => plan.dbs[d as usize]
                .shards
                .first()
                .and_then(|s| s.first())
                .map(|&s| plan.stations[s as usize].k),
            _ => None,
        };
        let avg = |f: &dyn Fn(&super::measure::CopyResult) -> f64| {
            runs.iter().map(|r| f(&r.copies[i])).sum::<f64>() / n
        };
        let sum = |f: &dyn Fn(&super::measure::CopyResult) -> u64| {
            runs.iter().map(|r| f(&r.copies[i])).sum::<u64>()
        };
        out.push(ComponentOut {
            component: node.component_name.clone(),
            datacenter: node.dc_name.clone(),
            kind: node.kind.as_str(),
            shard: None,
            dedicated_key: None,
            share: None,
            instances: round(avg(&|c| c.instances), 3),
            workers,
            utilization: frac(avg(&|c| c.utilization)),
            primary_utilization: None,
            replica_utilization: None,
            mean_queue: round(avg(&|c| c.mean_queue), 4),
            arrivals: sum(&|c| c.arrivals),
            dropped: sum(&|c| c.dropped),
            errors: sum(&|c| c.errors),
        });
        let shards = runs.first().map_or(0, |r| r.copies[i].shards.len());
        if shards > 1 {
            for sh in 0..shards {
                let avg_sh = |f: &dyn Fn(&super::measure::ShardResult) -> f64| {
                    runs.iter().map(|r| f(&r.copies[i].shards[sh])).sum::<f64>() / n
                };
                let first = &runs[0].copies[i].shards[sh];
                let replica = first
                    .replica_utilization
                    .map(|_| avg_sh(&|s| s.replica_utilization.unwrap_or(0.0)));
                out.push(ComponentOut {
                    component: node.component_name.clone(),
                    datacenter: node.dc_name.clone(),
                    kind: node.kind.as_str(),
                    shard: Some(sh),
                    dedicated_key: first.dedicated_key.clone(),
                    share: Some(frac(avg_sh(&|s| s.share))),
                    instances: plan
                        .dbs
                        .iter()
                        .find(|d| d.node as usize == i)
                        .map_or(0.0, |d| d.shards.get(sh).map_or(0.0, |s| s.len() as f64)),
                    workers,
                    utilization: frac(avg_sh(&|s| s.utilization)),
                    primary_utilization: Some(frac(avg_sh(&|s| s.primary_utilization))),
                    replica_utilization: replica.map(frac),
                    mean_queue: 0.0,
                    arrivals: runs.iter().map(|r| r.copies[i].shards[sh].arrivals).sum(),
                    dropped: 0,
                    errors: 0,
                });
            }
        }
    }
    out
}

/// The runs' timelines, averaged bucket by bucket.
fn timeline(plan: &Plan, runs: &[RunResult]) -> TimelineOut {
    let len = runs
        .iter()
        .map(|r| r.timeline.completed.len())
        .max()
        .unwrap_or(0);
    let w = plan.bucket;
    let mut t = TimelineOut {
        bucket_s: w,
        ..TimelineOut::default()
    };
    let avg_of = |b: usize, f: &dyn Fn(&RunResult) -> Option<f64>| -> Option<f64> {
        let v: Vec<f64> = runs
            .iter()
            .filter(|r| b < r.timeline.completed.len())
            .filter_map(f)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    for b in 0..len {
        t.start_s.push(round(b as f64 * w, 3));
        let completed = avg_of(b, &|r| {
            Some(r.timeline.completed[b].iter().sum::<u64>() as f64)
        })
        .unwrap_or(0.0);
        t.throughput_rps.push(rps(completed / w));
        let failed = avg_of(
            b,
            &|r| Some(r.timeline.failed[b].iter().sum::<u64>() as f64),
        )
        .unwrap_or(0.0);
        t.error_rate
            .push((completed + failed > 0.0).then(|| frac(failed / (completed + failed))));
        for (c, series) in [
            &mut t.errors_rps.dead_instance,
            &mut t.errors_rps.queue_full,
            &mut t.errors_rps.timeout,
            &mut t.errors_rps.no_failover,
        ]
        .into_iter()
        .enumerate()
        {
            let v = avg_of(b, &|r| {
                Some(r.timeline.failed[b][CAUSES[c] as usize] as f64)
            });
            series.push(rps(v.unwrap_or(0.0) / w));
        }
        t.mean_ms.push(ms(avg_of(b, &|r| r.timeline.mean_s[b])));
        t.p99_ms.push(ms(avg_of(b, &|r| r.timeline.p99_s[b])));
    }
    let mut order: Vec<usize> = (0..plan.nodes.len()).collect();
    order.sort_by_key(|&i| (plan.nodes[i].component, plan.nodes[i].dc));
    for i in order {
        let mut util = Vec::with_capacity(len);
        let mut arrivals = Vec::with_capacity(len);
        for b in 0..len {
            util.push(round(
                avg_of(b, &|r| {
                    r.timeline.utilization[i].get(b).map(|u| f64::from(*u))
                })
                .unwrap_or(0.0),
                4,
            ));
            arrivals.push(rps(avg_of(b, &|r| {
                r.timeline.arrivals[i].get(b).map(|a| *a as f64)
            })
            .unwrap_or(0.0)
                / w));
        }
        t.copies.push(TimelineCopy {
            copy: plan.nodes[i].name.clone(),
            utilization: util,
            arrivals_rps: arrivals,
        });
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_quantiles_match_the_table() {
        // Two-sided 95%: t(1) = 12.706, t(9) = 2.262, t(30) = 2.042, and
        // the normal 1.960 in the limit.
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(9), 2.262);
        assert_eq!(t975(30), 2.042);
        // Exact values: t(31) = 2.0395, t(100) = 1.9840, t(1000) = 1.9623.
        assert!((t975(31) - 2.0395).abs() < 0.0002);
        assert!((t975(100) - 1.9840).abs() < 0.0002);
        assert!((t975(1000) - 1.9623).abs() < 0.0002);
    }

    #[test]
    fn mean_and_interval_by_hand() {
        // Values 1, 2, 3: mean 2, sample variance 1, standard error
        // 1/sqrt(3), half-width t(2) · 0.57735 = 4.303 · 0.57735 = 2.4843.
        let (m, ci) = mean_ci(&[Some(1.0), Some(2.0), None, Some(3.0)]);
        assert_eq!(m, Some(2.0));
        assert!((ci.expect("three values") - 2.4843).abs() < 1e-4);
        assert_eq!(mean_ci(&[Some(5.0)]), (Some(5.0), None));
        assert_eq!(mean_ci(&[None]), (None, None));
    }

    /// The simulator's text is `crate::figures`' Report style (and the
    /// design's own values as written).
    #[test]
    fn human_numbers() {
        use crate::figures::{Style, duration, multiplier, percent, rate, tally};
        assert_eq!(multiplier(2.0, Style::Written), "2x");
        assert_eq!(multiplier(1.5, Style::Written), "1.5x");
        assert_eq!(duration(0.0142, Style::Report), "14.2ms");
        assert_eq!(duration(13.34, Style::Report), "13.3s");
        assert_eq!(duration(0.00085, Style::Report), "850us");
        assert_eq!(percent(0.651, Style::Report), "65.1%");
        assert_eq!(percent(0.0012, Style::Report), "0.12%");
        assert_eq!(rate(8301.2, Style::Report), "8,301/s");
        assert_eq!(tally(1_000_000), "1,000,000");
        assert_eq!(round(-0.0000001, 3).to_string(), "0");
    }
}
