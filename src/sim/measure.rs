//! What a run measures: latency histograms (hdrhistogram, so memory does not
//! grow with the number of requests), errors by cause, per-copy figures, the
//! expectation windows and the timeline.
//!
//! Everything is attributed to the moment a request finishes — completes or
//! fails — and only from the end of the warm-up on.

use hdrhistogram::Histogram;

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// It reached an instance that is down (or that its load balancer had
    /// not yet noticed was down), or a copy with no live instance.
    DeadInstance = 0,
    /// The waiting line of a copy was full.
    QueueFull = 1,
    /// A service's `timeout` ran out before the request was done there.
    Timeout = 2,
    /// A database primary is down and the design never replaces it
    /// (`failover = none` or `manual`, or no replica configured).
    NoFailover = 3,
}

pub const CAUSES: [Cause; 4] = [
    Cause::DeadInstance,
    Cause::QueueFull,
    Cause::Timeout,
    Cause::NoFailover,
];

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::DeadInstance => "dead_instance",
            Cause::QueueFull => "queue_full",
            Cause::Timeout => "timeout",
            Cause::NoFailover => "no_failover",
        }
    }
}

/// Latencies are recorded in microseconds, up to about 11.5 days.
const MAX_MICROS: u64 = 1_000_000_000_000;

/// A latency distribution: an exact mean and hdrhistogram quantiles.
#[derive(Clone, Debug)]
pub struct Latency {
    hist: Histogram<u64>,
    sum: f64,
    count: u64,
}

impl Latency {
    /// `digits` significant digits: 3 for results (quantiles within 0.1%),
    /// 2 for the per-bucket timeline where 1% is plenty.
    pub fn new(digits: u8) -> Latency {
        // Bounds 1..10^12 with 1 to 5 digits are valid by hdrhistogram's
        // contract, so this cannot fail.
        let hist = Histogram::new_with_bounds(1, MAX_MICROS, digits.clamp(1, 5))
            .expect("constant histogram bounds are valid");
        Latency {
            hist,
            sum: 0.0,
            count: 0,
        }
    }

    #[inline]
    pub fn record(&mut self, seconds: f64) {
        let micros = (seconds * 1e6).round();
        let v = if micros > 0.0 { micros as u64 } else { 0 };
        self.hist.saturating_record(v.min(MAX_MICROS));
        self.sum += seconds;
        self.count += 1;
    }

    pub fn reset(&mut self) {
        self.hist.reset();
        self.sum = 0.0;
        self.count = 0;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn summary(&self) -> LatencySummary {
        if self.count == 0 {
            return LatencySummary::default();
        }
        let q = |p: f64| Some(self.hist.value_at_quantile(p) as f64 / 1e6);
        LatencySummary {
            count: self.count,
            mean_s: Some(self.sum / self.count as f64),
            p50_s: q(0.50),
            p90_s: q(0.90),
            p99_s: q(0.99),
            p999_s: q(0.999),
            max_s: Some(self.hist.max() as f64 / 1e6),
        }
    }
}

/// Latency figures of completed requests, in seconds; `None` when nothing
/// completed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_s: Option<f64>,
    pub p50_s: Option<f64>,
    pub p90_s: Option<f64>,
    pub p99_s: Option<f64>,
    pub p999_s: Option<f64>,
    pub max_s: Option<f64>,
}

/// An expectation's `during` window (or the whole run), while it runs.
#[derive(Clone, Debug)]
pub struct WindowAcc {
    /// Absolute simulated times.
    pub start: f64,
    pub end: f64,
    pub open: bool,
    pub latency: Latency,
    pub failed: [u64; 4],
    /// Per station at the window's start: busy and live worker-seconds,
    /// worker-seconds of queue.
    pub snap_start: Vec<[f64; 3]>,
    pub snap_end: Vec<[f64; 3]>,
    /// The time the window actually closed (the run may end first).
    pub closed_at: Option<f64>,
}

impl WindowAcc {
    pub fn new(start: f64, end: f64) -> WindowAcc {
        WindowAcc {
            start,
            end,
            open: false,
            latency: Latency::new(3),
            failed: [0; 4],
            snap_start: Vec::new(),
            snap_end: Vec::new(),
            closed_at: None,
        }
    }
}

/// The per-bucket timeline, from the end of the warm-up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    pub bucket_s: f64,
    /// Completed requests per bucket, per class.
    pub completed: Vec<[u64; 3]>,
    /// Per bucket, per class: the sum of the completions' latencies, in
    /// seconds (exact, not from the histogram), so that batch means and
    /// their confidence intervals can be formed per class.
    pub latency_sum_s: Vec<[f64; 3]>,
    /// Failed requests per bucket, per cause.
    pub failed: Vec<[u64; 4]>,
    /// Mean latency of the bucket's completions, seconds.
    pub mean_s: Vec<Option<f64>>,
    pub p99_s: Vec<Option<f64>>,
    /// Per copy (by node index), per bucket: utilisation.
    pub utilization: Vec<Vec<f32>>,
    /// Per copy, per bucket: requests arriving from flows.
    pub arrivals: Vec<Vec<u64>>,
}

/// Queue messages handled by consumers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct JobsResult {
    pub created: u64,
    pub completed: u64,
    pub failed: u64,
    /// From the message's creation to the end of the consumer's work.
    pub latency: LatencySummary,
    /// Largest number of messages waiting at any consumer copy.
    pub backlog_max: u64,
}

/// One shard of a database copy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShardResult {
    pub shard: usize,
    pub dedicated_key: Option<String>,
    /// Fraction of the copy's requests that went to this shard.
    pub share: f64,
    pub arrivals: u64,
    /// Busiest instance of the shard.
    pub utilization: f64,
    pub primary_utilization: f64,
    /// Mean over the shard's replicas; `None` without replicas.
    pub replica_utilization: Option<f64>,
}

/// One copy over the measured run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CopyResult {
    pub node: usize,
    /// Busy worker-time over live worker-time; for a database, its busiest
    /// instance's (§6).
    pub utilization: f64,
    /// Requests waiting, averaged over time (all of the copy's stations).
    pub mean_queue: f64,
    /// Requests arriving from flows.
    pub arrivals: u64,
    /// Requests refused because the waiting line was full.
    pub dropped: u64,
    /// Requests failed here because an instance was down.
    pub errors: u64,
    /// Serving instances, averaged over time.
    pub instances: f64,
    pub shards: Vec<ShardResult>,
}

/// A window's figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WindowResult {
    /// Relative to the measurement start.
    pub start_s: f64,
    pub end_s: f64,
    pub latency: LatencySummary,
    pub completed: u64,
    pub failed: u64,
    pub errors: [u64; 4],
    /// Per copy (by node index).
    pub utilization: Vec<f64>,
    /// The window as planned, relative to the measurement start (infinite
    /// end for the whole run): `start_s..end_s` is what the run covered.
    pub planned_s: [f64; 2],
}

impl WindowResult {
    /// Why an expectation over this window measured nothing, if it did
    /// not: the run ended before the window began or before it ended
    /// (`run_end_s`, relative to the measurement start), or no request
    /// finished inside it.
    pub fn unmeasured(&self, run_end_s: f64) -> Option<String> {
        use crate::figures::{Style, duration};
        let [start, end] = self.planned_s;
        let at = |t: f64| duration(t, Style::Written);
        if run_end_s + 1e-9 < start {
            return Some(format!(
                "the run ended at {}; the window starts at {}",
                at(run_end_s),
                at(start)
            ));
        }
        if end.is_finite() && run_end_s + 1e-9 < end {
            return Some(format!(
                "the run ended at {}, before the window's end at {}",
                at(run_end_s),
                at(end)
            ));
        }
        if self.completed + self.failed == 0 {
            return Some("no request finished in the window".to_string());
        }
        None
    }

    pub fn error_rate(&self) -> Option<f64> {
        let total = self.completed + self.failed;
        (total > 0).then(|| self.failed as f64 / total as f64)
    }

    /// Completed requests per second of the part of the window in which
    /// measured requests arrived (`arrivals_until_s`, relative to the
    /// measurement start: the run's [`RunResult::arrival_window_s`]), so
    /// the drain after the last arrival does not dilute it.
    pub fn throughput(&self, arrivals_until_s: f64) -> f64 {
        let span = self.end_s.min(arrivals_until_s) - self.start_s;
        if span > 0.0 {
            self.completed as f64 / span
        } else {
            0.0
        }
    }
}

/// Per class over the measured run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassResult {
    pub class: usize,
    pub arrivals: u64,
    pub completed: u64,
    pub failed: u64,
    pub latency: LatencySummary,
}

/// Everything one run measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunResult {
    pub seed: u64,
    /// Entry requests that arrived after the warm-up.
    pub arrivals: u64,
    pub completed: u64,
    pub failed: u64,
    /// Requests still in flight when the run ended.
    pub unfinished: u64,
    pub errors: [u64; 4],
    /// Simulated seconds after the warm-up.
    pub measured_s: f64,
    /// Seconds after the warm-up during which measured requests arrived:
    /// `measured_s` for a run bounded by time; for one bounded by
    /// `--requests`, up to the last measured arrival (the drain after it,
    /// requests finishing or timing out, is not part of the window).
    pub arrival_window_s: f64,
    /// Arrivals at and completions of copies that take time, plus timers.
    pub events: u64,
    pub latency: LatencySummary,
    pub classes: Vec<ClassResult>,
    pub copies: Vec<CopyResult>,
    pub jobs: JobsResult,
    /// Index 0 is the whole run, then the scenario's `during` windows.
    pub windows: Vec<WindowResult>,
    pub timeline: Timeline,
}

impl RunResult {
    pub fn error_rate(&self) -> f64 {
        let total = self.completed + self.failed;
        if total > 0 {
            self.failed as f64 / total as f64
        } else {
            0.0
        }
    }

    /// Completed requests per second of the arrival window.
    pub fn throughput(&self) -> f64 {
        if self.arrival_window_s > 0.0 {
            self.completed as f64 / self.arrival_window_s
        } else {
            0.0
        }
    }
}

/// Running counters of the current timeline bucket.
#[derive(Clone, Debug)]
pub struct BucketAcc {
    pub completed: [u64; 3],
    pub latency_sum_s: [f64; 3],
    pub failed: [u64; 4],
    pub latency: Latency,
}

/// The measuring side of a run.
#[derive(Clone, Debug)]
pub struct Recorder {
    /// Measurement starts here (the end of the warm-up).
    pub start: f64,
    pub overall: Latency,
    pub classes: [Latency; 3],
    pub class_failed: [[u64; 4]; 3],
    pub class_arrivals: [u64; 3],
    /// Explicit `during` windows (the whole run is `overall`).
    pub windows: Vec<WindowAcc>,
    pub bucket: BucketAcc,
    pub timeline: Timeline,
    pub jobs: JobsResult,
    pub job_latency: Latency,
}

impl Recorder {
    pub fn new(start: f64, bucket_s: f64, windows: &[(f64, f64)], nodes: usize) -> Recorder {
        Recorder {
            start,
            overall: Latency::new(3),
            classes: [Latency::new(3), Latency::new(3), Latency::new(3)],
            class_failed: [[0; 4]; 3],
            class_arrivals: [0; 3],
            windows: windows
                .iter()
                .skip(1)
                .map(|&(a, b)| WindowAcc::new(start + a, start + b))
                .collect(),
            bucket: BucketAcc {
                completed: [0; 3],
                latency_sum_s: [0.0; 3],
                failed: [0; 4],
                latency: Latency::new(2),
            },
            timeline: Timeline {
                bucket_s,
                utilization: vec![Vec::new(); nodes],
                arrivals: vec![Vec::new(); nodes],
                ..Timeline::default()
            },
            jobs: JobsResult::default(),
            job_latency: Latency::new(3),
        }
    }

    #[inline]
    pub fn complete(&mut self, class: usize, latency: f64, now: f64) {
        if now < self.start {
            return;
        }
        self.overall.record(latency);
        self.classes[class].record(latency);
        self.bucket.completed[class] += 1;
        self.bucket.latency_sum_s[class] += latency;
        self.bucket.latency.record(latency);
        for w in &mut self.windows {
            if w.open {
                w.latency.record(latency);
            }
        }
    }

    #[inline]
    pub fn fail(&mut self, class: usize, cause: Cause, now: f64) {
        if now < self.start {
            return;
        }
        let c = cause as usize;
        self.class_failed[class][c] += 1;
        self.bucket.failed[c] += 1;
        for w in &mut self.windows {
            if w.open {
                w.failed[c] += 1;
            }
        }
    }

    /// Ends the current bucket with the copies' figures for it.
    pub fn close_bucket(&mut self, utilization: &[f32], arrivals: &[u64]) {
        let t = &mut self.timeline;
        t.completed.push(self.bucket.completed);
        t.latency_sum_s.push(self.bucket.latency_sum_s);
        t.failed.push(self.bucket.failed);
        let s = self.bucket.latency.summary();
        t.mean_s.push(s.mean_s);
        t.p99_s.push(s.p99_s);
        for (n, u) in utilization.iter().enumerate() {
            t.utilization[n].push(*u);
        }
        for (n, a) in arrivals.iter().enumerate() {
            t.arrivals[n].push(*a);
        }
        self.bucket.completed = [0; 3];
        self.bucket.latency_sum_s = [0.0; 3];
        self.bucket.failed = [0; 4];
        self.bucket.latency.reset();
    }
}

/// A station's utilisation between two snapshots.
pub fn utilization(start: [f64; 3], end: [f64; 3]) -> f64 {
    let live = end[1] - start[1];
    if live > 1e-12 {
        ((end[0] - start[0]) / live).max(0.0)
    } else {
        0.0
    }
}
