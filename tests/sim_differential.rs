//! The estimator and the simulator check each other (LANGUAGE.md §6–§9).
//!
//! The two are independent implementations of the same semantics: the
//! estimator propagates average rates through the flows and solves every
//! copy as an M/M/c station in closed form (§7: a design whose flows form
//! tiers is an open Jackson network, so its class means are exact); the
//! simulator routes individual requests by its own flow tables and measures.
//! §7 says their means MUST agree within sampling error whenever the run
//! drops and times out nothing. This test generates random valid designs as
//! `.arch` text, and for every design whose estimate puts every copy below
//! 70% utilisation, simulates it briefly with a fixed seed and asserts:
//!
//! - no request fails (no drop, no timeout, no dead instance);
//! - every copy receives the arrivals the estimator's load says
//!   (`peak_rps × T`), every copy with a capacity has the estimator's
//!   utilisation, and every database station (each shard's primary and
//!   replicas) has the estimator's station utilisation;
//! - every class's mean response time is the estimator's.
//!
//! Every disagreement found is a bug on one side; each one is kept as a
//! fixture under `tests/fixtures/differential/`, run explicitly by
//! `fixtures_agree` with the same checks.
//!
//! # Tolerances, from the sample size
//!
//! *Utilisation.* Over a measured time T a station with arrival rate λ and
//! exponential service of mean s serves n = λT requests (Poisson); its busy
//! time is their service times' sum up to the change in unfinished work,
//! which is O(1) in steady state. If every entry request brings B visits
//! to the station (B = 1 on a tree of flows, more with fan-out diamonds or
//! cross-datacenter applied writes), the busy time is compound Poisson with
//! variance λ_e T E[(Σ_B S)²] = λ_e T s² (E[B] + E[B²]) ≤ n s² (1 + m),
//! with m the most visits one request can make (bounded here by the number
//! of paths from an entry copy to the station in the copy graph). So the
//! utilisation U has relative standard error at most sqrt((1 + m) / n);
//! with m = 1 that is the familiar sqrt(2 / n) of `sim_examples.rs`. The
//! test allows `Z = 5` standard errors.
//!
//! *Arrivals.* A copy's arrival count is Poisson with B-batches: variance
//! λ_e T E[B²] ≤ m n; the test allows `Z · sqrt(m n) + 1`.
//!
//! *Class means.* Response times of successive requests are correlated
//! (they share queues), so an i.i.d. standard error would be too small.
//! The run is cut into `BATCHES = 16` batches of equal length (whole
//! one-second timeline buckets: the simulator records each bucket's
//! per-class latency sum and count), and the standard error of the ratio
//! estimator Σ L / Σ N is the batch-means one,
//! sqrt(B / (B − 1) · Σ_b (L_b − m̂ N_b)²) / Σ N. Batches are 2 or 3 s long;
//! every station's relaxation time, about 1 / (cμ (1 − √ρ)²), is well under
//! that for the generated capacities, so the batches are nearly
//! independent. The bound is the two-sided Student t quantile for 15 degrees
//! of freedom at α = 10⁻⁵, `T_CRIT = 6.5`, times that standard error. With
//! about 10⁴ comparisons in the CI stage a false alarm is then unlikely
//! (≈ 0.1 expected), and the seeds are fixed, so a pass is reproducible.
//!
//! That independence is an assumption, and it failed once: design
//! 1936779303947732759 (an M/M/3 queue at ρ = 0.61 with μ = 15/s on 20% of
//! the writes) gave a batch-means standard error of 0.44 ms for the write
//! mean, while 16 independent seeds of the same design spread with a
//! standard deviation of 1.12 ms around the estimator's 47.65 ms (their
//! mean 48.28 ms) — no bug, a 3σ run against the true spread. The bound is
//! therefore widened by `BATCH_SE_INFLATION = 2.5`, the ratio measured
//! there; real disagreements found so far were 5 ms to 60 ms against
//! bounds of 1–3 ms. Deriving the inflation per design (from the visited
//! stations' relaxation times) is the better fix and is left open.
//!
//! Small stations simply get wide tolerances; nothing is skipped for being
//! small, except a class with fewer than 200 completions.
//!
//! # What legitimately differs, and what the test does about it
//!
//! - *Warm-up.* The simulator starts empty; the estimator is steady state.
//!   Every run has a warm-up of `WARMUP_S` (several relaxation times) that
//!   is not measured.
//! - *Run end.* A run bounded by request count drains at the end (no
//!   arrivals, busy workers finishing), which biases utilisation low by
//!   about drain time / T. Runs are bounded by time instead (`duration`),
//!   which ends in steady state; requests in flight then are `unfinished`,
//!   a W / T fraction that biases nothing measurably.
//! - *Autoscale.* The estimator sizes an `autoscale` copy for peak; the
//!   simulator starts it at that same count and re-targets every 60 s of
//!   simulated time from the measured arrival rate, which fluctuates. Every
//!   run here ends before 60 s (warm-up included), so the counts are the
//!   estimator's throughout and the comparison is exact (§7 says the two
//!   agree on the starting count).
//! - *Peak against mean.* The simulator runs at `rate × peak`, the rate the
//!   estimator's utilisations and latencies are computed at.
//! - *DNS failover, timeouts, drops.* Nothing fails in these runs: every
//!   service gets `timeout = 1m`, every copy stays under 70% so no bounded
//!   waiting line fills, and no scenario runs. A run with any failure is a
//!   test failure ("no request fails").
//! - *Queue consumers* do asynchronous work: it loads copies (compared)
//!   but is in no response time (neither side counts it).
//!
//! # Generator coverage
//!
//! Kinds and the attributes that affect load or latency (✓ generated,
//! — not generated, with why):
//!
//! | kind / block | covered |
//! |---|---|
//! | `traffic` | ✓ `rate`, `peak` (1x–3x), `reads`, `static`; — `users`/`per_user` (only another way to give `rate`) |
//! | `assumptions` | ✓ `hop_latency` (incl. 0), `cross_dc_latency`, `target_utilization` (autoscale sizing) |
//! | `datacenter` | ✓ 0–3, with or without `weight`; ✓ components' `datacenters` subsets (cross-datacenter calls) |
//! | `client` | ✓ 0–2 (none: entries are the components nothing calls), ✓ `share` |
//! | `dns` | ✓ present or not, `routing`; `failover`/`ttl` do not act without failures |
//! | `cdn` | ✓ `hit_ratio`, `fallback`; ✓ `latency`; — `capacity` (CDNs are unlimited in practice) |
//! | `lb` | ✓ `replicas`, `capacity`, `latency`, `autoscale`; `algorithm`/`sticky` do not change load (§7: one shared queue) |
//! | `service` | ✓ `replicas`, `autoscale`, `capacity`, `latency`, `timeout` (generous), `consumes`; `session` adds no calls |
//! | `cache` | ✓ `replicas`, `capacity`, `latency`, `hit_ratio`, `cross_dc`; memory/ttl/eviction do not enter the load model |
//! | `database` | ✓ `replicas` 0–2, `capacity`, `latency`, `shards` 1–6, `sharding` (hash, consistent, range), `keys` (uniform, zipf), `key_count` (below and above 100,000), `hot_keys`, `dedicated`, `read_from`, `cross_dc` (none, async, sync), roles `.primary`/`.replicas`, managed `dynamodb` with and without capacity |
//! | `queue` | ✓ `replicas`, `capacity`, `latency`, one or two consuming services, managed `sqs`; `max_backlog` only matters when full |
//! | `storage` | ✓ `capacity`, `latency`, managed `s3` without capacity, `cross_dc` |
//! | flows | ✓ class labels, shares (alternatives, and next to unshared edges), chains with a share on the first edge, fan-out, cross-datacenter edges, call counts (`x2` between services, `x2`/`x3` to databases, with and without a share), `all-shards` reads to sharded databases (with and without a share) |
//!
//! A call count's calls are made in turn, so designs with them are still
//! Jackson networks and every check is two-sided; a request makes that many
//! visits, which the arrival and utilisation tolerances count (`paths`).
//! An `all-shards` read waits for its slowest shard: the estimator gives
//! the slowest of independent shard responses, an upper bound on the
//! fork-join mean, so for reads in a design that scatters only "the
//! simulator is not slower than the estimator" is checked; loads and
//! utilisations (every shard receives every scatter read) stay exact.
//!
//! Not generated: zones, scenarios (failures are the simulator's own
//! business), queue loops.
//!
//! # Sizes
//!
//! `cargo test` runs `ARCHC_DIFF_CASES` designs (default 300) at
//! `ARCHC_DIFF_REQUESTS` entry requests each (default 15,000) in about a
//! minute in debug; `.ci/stages/sim-differential.sh` runs 3,000 designs at
//! 100,000 requests in release mode.

use archc::estimate::{self, Estimate, shards::PlacementCache};
use archc::model::{Class, Kind, Model};
use archc::sim::{self, Options, RunResult};
use petgraph::visit::EdgeRef;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::fmt::Write as _;
use std::path::Path;

/// Standard errors allowed on utilisations and arrival counts.
const Z: f64 = 5.0;
/// Batches for the class means' batch-means standard error...
const BATCHES: usize = 16;
/// ...and the two-sided Student t quantile, 15 degrees of freedom,
/// α = 1e-5.
const T_CRIT: f64 = 6.5;
/// Batch means underestimate the class mean's standard error when a slow
/// station's response times stay correlated across batches; see the
/// header ("Class means") for the measurement behind this factor.
const BATCH_SE_INFLATION: f64 = 2.5;
/// Unmeasured start of every run, seconds.
const WARMUP_S: f64 = 4.0;
/// Copies at or above this estimated utilisation make a design ineligible.
const MAX_UTILISATION: f64 = 0.7;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---- the generator --------------------------------------------------------

/// One component of a generated design.
#[derive(Clone, Debug)]
struct Comp {
    kind: &'static str,
    name: String,
    /// Attributes other than capacity, as written.
    attrs: Vec<String>,
    /// Per-instance capacity; `None` for no `capacity` attribute.
    capacity: Option<f64>,
    /// The utilisation the sizing pass aims this component at.
    aim: f64,
}

#[derive(Clone, Debug)]
struct Design {
    header: String,
    comps: Vec<Comp>,
    flows: Vec<String>,
}

impl Design {
    fn render(&self) -> String {
        let mut s = self.header.clone();
        for c in &self.comps {
            let mut attrs = c.attrs.clone();
            if let Some(cap) = c.capacity {
                attrs.push(format!("capacity = {}/s", round_rate(cap)));
            }
            if attrs.is_empty() {
                let _ = writeln!(s, "{} {}", c.kind, c.name);
            } else {
                let _ = writeln!(s, "{} {} {{ {} }}", c.kind, c.name, attrs.join("  "));
            }
        }
        for f in &self.flows {
            let _ = writeln!(s, "{f}");
        }
        s
    }
}

/// A rate with four significant digits, as a plain decimal.
fn round_rate(r: f64) -> String {
    let digits = (3 - r.log10().floor() as i32).max(0) as usize;
    let v = format!("{r:.digits$}");
    if v.contains('.') {
        v.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        v
    }
}

struct Gen {
    rng: Xoshiro256PlusPlus,
}

impl Gen {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.rng.random_range(0..xs.len())]
    }
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        self.rng.random_range(lo..=hi)
    }
    fn aim(&mut self) -> f64 {
        0.15 + 0.5 * self.rng.random::<f64>()
    }
}

/// Class labels for an edge; `share` is appended when given.
fn labels(classes: &[&str], share: Option<u32>) -> String {
    let mut parts: Vec<String> = classes.iter().map(|c| c.to_string()).collect();
    if let Some(p) = share {
        match parts.last_mut() {
            Some(last) => *last = format!("{last} {p}%"),
            None => parts.push(format!("{p}%")),
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  [{}]", parts.join(", "))
    }
}

/// `labels` with more words (`x2`, `all-shards`) on the edge.
fn decorate(labels: String, words: &str) -> String {
    match labels.strip_suffix(']') {
        Some(open) => format!("{open} {words}]"),
        None => format!("  [{words}]"),
    }
}

/// A random valid design with `entry_rate` requests per second at peak.
fn generate(seed: u64, entry_rate: f64) -> Design {
    let mut g = Gen {
        rng: Xoshiro256PlusPlus::seed_from_u64(seed),
    };
    let mut h = String::new();
    let _ = writeln!(h, "system diff-{seed}");
    let peak = g.pick(&[1.0, 1.5, 2.0, 3.0]);
    let reads = g.pick(&[100, 90, 70, 50]);
    let statics = g.pick(&[0, 0, 10, 30, 50]);
    let _ = writeln!(
        h,
        "traffic {{ rate = {}/s  peak = {peak}x  reads = {reads}%  static = {statics}% }}",
        round_rate(entry_rate / peak)
    );
    let hop = g.pick(&["0ms", "0.5ms", "0.5ms", "2ms"]);
    let xdc = g.pick(&["20ms", "60ms"]);
    let target = g.pick(&[50, 60, 70]);
    let _ = writeln!(
        h,
        "assumptions {{ hop_latency = {hop}  cross_dc_latency = {xdc}  target_utilization = {target}% }}"
    );
    let n_dc = g.pick(&[0, 1, 2, 2, 3]);
    let dc_names = ["east", "west", "north"];
    let weighted = n_dc >= 2 && g.chance(0.6);
    let weights: Vec<u32> = match n_dc {
        2 => {
            let a = g.pick(&[20, 30, 50, 60, 75]);
            vec![a, 100 - a]
        }
        3 => {
            let a = g.pick(&[20, 30, 50]);
            let b = g.pick(&[10, 20, 30]);
            vec![a, b, 100 - a - b]
        }
        _ => vec![100],
    };
    for i in 0..n_dc {
        if weighted {
            let _ = writeln!(
                h,
                "datacenter {} {{ region = \"r{i}\"  weight = {}% }}",
                dc_names[i], weights[i]
            );
        } else {
            let _ = writeln!(h, "datacenter {} {{ region = \"r{i}\" }}", dc_names[i]);
        }
    }
    // A subset of datacenters for a regional component, now and then.
    let placement = |g: &mut Gen| -> Option<String> {
        if n_dc >= 2 && g.chance(0.25) {
            let k = g.range(1, n_dc as u32 - 1) as usize;
            let start = g.range(0, n_dc as u32 - 1) as usize;
            let names: Vec<&str> = (0..k).map(|i| dc_names[(start + i) % n_dc]).collect();
            Some(format!("datacenters = [{}]", names.join(", ")))
        } else {
            None
        }
    };

    let mut comps: Vec<Comp> = Vec::new();
    let mut flows: Vec<String> = Vec::new();
    let latencies = ["1ms", "2ms", "5ms", "10ms", "20ms", "50ms"];
    let scale = |g: &mut Gen, attrs: &mut Vec<String>, autoscale_ok: bool| {
        if autoscale_ok && g.chance(0.3) {
            let lo = g.range(1, 3);
            let hi = lo + g.range(1, 6);
            attrs.push(format!("autoscale = {lo}..{hi}"));
        } else {
            let r = g.range(1, 4);
            if r > 1 || g.chance(0.5) {
                attrs.push(format!("replicas = {r}"));
            }
        }
    };

    // Entry side.
    let n_clients = g.pick(&[0, 1, 1, 1, 2]);
    let mut clients = Vec::new();
    for i in 0..n_clients {
        let name = format!("users{i}");
        let mut attrs = Vec::new();
        if n_clients == 2 && g.chance(0.5) {
            attrs.push(format!("share = {}%", if i == 0 { 30 } else { 70 }));
        }
        comps.push(Comp {
            kind: "client",
            name: name.clone(),
            attrs,
            capacity: None,
            aim: 0.0,
        });
        clients.push(name);
    }
    // The first hop of dynamic traffic (and of static without a CDN).
    let mut front: Vec<String> = clients.clone();
    if g.chance(0.4) {
        let routing = g.pick(&["simple", "weighted", "geo", "latency"]);
        comps.push(Comp {
            kind: "dns",
            name: "geo".into(),
            attrs: vec![format!("routing = {routing}")],
            capacity: None,
            aim: 0.0,
        });
        for c in &front {
            flows.push(format!("{c} -> geo"));
        }
        front = vec!["geo".into()];
    }
    let cdn = statics > 0 && !clients.is_empty() && g.chance(0.6);
    let storage_needed = cdn || g.chance(0.4);
    if cdn {
        let hit = g.pick(&[50, 80, 90, 95]);
        let mut attrs = vec![format!("hit_ratio = {hit}%")];
        if g.chance(0.5) {
            attrs.push("fallback = origin".into());
        }
        if g.chance(0.5) {
            attrs.push(format!("latency = {}", g.pick(&["2ms", "5ms", "10ms"])));
        }
        comps.push(Comp {
            kind: "cdn",
            name: "assets".into(),
            attrs,
            capacity: None,
            aim: 0.0,
        });
        for c in &clients {
            flows.push(format!("{c} -> assets -> media  [static]"));
        }
    }
    if g.chance(0.5) {
        let mut attrs = Vec::new();
        scale(&mut g, &mut attrs, true);
        if g.chance(0.5) {
            attrs.push(format!("latency = {}", g.pick(&["1ms", "2ms"])));
        }
        if let Some(p) = placement(&mut g) {
            attrs.push(p);
        }
        comps.push(Comp {
            kind: "lb",
            name: "edge".into(),
            attrs,
            capacity: Some(1000.0),
            aim: g.aim(),
        });
        let dynamic = if cdn {
            labels(&["read", "write"], None)
        } else {
            String::new()
        };
        for c in &front {
            flows.push(format!("{c} -> edge{dynamic}"));
        }
        front = vec!["edge".into()];
    }

    // Services.
    let n_services = g.range(1, 3) as usize;
    let services: Vec<String> = (0..n_services).map(|i| format!("svc{i}")).collect();
    for s in &services {
        let mut attrs = vec![
            format!("latency = {}", g.pick(&latencies)),
            "timeout = 1m".to_string(),
        ];
        scale(&mut g, &mut attrs, true);
        if let Some(p) = placement(&mut g) {
            attrs.push(p);
        }
        comps.push(Comp {
            kind: "service",
            name: s.clone(),
            attrs,
            capacity: Some(1000.0),
            aim: g.aim(),
        });
    }
    let entry_labels = if cdn {
        labels(&["read", "write"], None)
    } else {
        String::new()
    };
    if front.is_empty() {
        // No client: svc0 is an entry (nothing calls it).
    } else {
        for c in &front {
            flows.push(format!("{c} -> svc0{entry_labels}"));
        }
    }

    // Backends: caches, databases, a queue with consumers, storage.
    let n_caches = g.pick(&[0, 1, 1, 2]);
    let n_dbs = g.pick(&[0, 1, 1, 2]);
    let queue = g.chance(0.4);
    // Name, replicas, and whether it has more than one shard.
    let mut dbs: Vec<(String, u32, bool)> = Vec::new();
    for i in 0..n_dbs {
        let name = format!("db{i}");
        let managed = g.chance(0.2);
        let mut attrs = Vec::new();
        let mut replicas = 0;
        let mut capacity = Some(1000.0);
        if managed {
            attrs.push("engine = dynamodb".into());
            if g.chance(0.5) {
                capacity = None;
            }
            attrs.push(format!("latency = {}", g.pick(&["2ms", "5ms", "10ms"])));
        } else {
            attrs.push(format!("engine = {}", g.pick(&["postgres", "mysql"])));
            replicas = g.range(0, 2);
            if replicas > 0 {
                attrs.push(format!("replicas = {replicas}"));
                attrs.push(format!(
                    "read_from = {}",
                    g.pick(&["replicas", "primary", "any"])
                ));
            }
            attrs.push(format!(
                "latency = {}",
                g.pick(&["1ms", "2ms", "5ms", "10ms"])
            ));
        }
        let sharded = g.chance(0.5);
        if sharded {
            let shards = g.range(2, 6);
            attrs.push(format!("shards = {shards}"));
            attrs.push("shard_key = user_id".into());
            attrs.push(format!(
                "sharding = {}",
                g.pick(&["hash", "consistent", "range"])
            ));
            if g.chance(0.6) {
                attrs.push(format!("keys = zipf({})", g.pick(&["0.8", "1.1", "1.3"])));
            }
            attrs.push(format!("key_count = {}", g.pick(&["1000", "50k", "1M"])));
            if g.chance(0.4) {
                attrs.push(format!(
                    "hot_keys = {{ \"star\" = {}% }}",
                    g.pick(&[2, 5, 10])
                ));
                if g.chance(0.5) {
                    attrs.push("dedicated = [\"star\"]".into());
                }
            } else if g.chance(0.2) {
                attrs.push("dedicated = [\"1\"]".into());
            }
        }
        if n_dc >= 2 {
            attrs.push(format!("cross_dc = {}", g.pick(&["none", "async", "sync"])));
        } else if g.chance(0.2) {
            attrs.push(format!("cross_dc = {}", g.pick(&["async", "sync"])));
        }
        if let Some(p) = placement(&mut g) {
            attrs.push(p);
        }
        comps.push(Comp {
            kind: "database",
            name: name.clone(),
            attrs,
            capacity,
            aim: g.aim(),
        });
        dbs.push((name, replicas, sharded));
    }
    let mut caches: Vec<String> = Vec::new();
    for i in 0..n_caches {
        let name = format!("cache{i}");
        let mut attrs = vec![
            format!("hit_ratio = {}%", g.pick(&[30, 50, 80, 95])),
            format!("latency = {}", g.pick(&["1ms", "2ms"])),
        ];
        let r = g.range(1, 3);
        if r > 1 {
            attrs.push(format!("replicas = {r}"));
        }
        if let Some(p) = placement(&mut g) {
            attrs.push(p);
        }
        comps.push(Comp {
            kind: "cache",
            name: name.clone(),
            attrs,
            capacity: Some(1000.0),
            aim: g.aim(),
        });
        caches.push(name);
    }
    let storage = storage_needed.then(|| {
        let managed = g.chance(0.5);
        let mut attrs = Vec::new();
        let mut capacity = Some(1000.0);
        if managed {
            attrs.push("engine = s3".into());
            capacity = None;
        } else {
            attrs.push("engine = minio".into());
            attrs.push(format!("latency = {}", g.pick(&["5ms", "10ms", "20ms"])));
            if g.chance(0.5) {
                attrs.push(format!("replicas = {}", g.range(1, 3)));
            }
        }
        if n_dc >= 2 && g.chance(0.5) {
            attrs.push("cross_dc = async".into());
        }
        if !managed && let Some(p) = placement(&mut g) {
            attrs.push(p);
        }
        comps.push(Comp {
            kind: "storage",
            name: "media".into(),
            attrs,
            capacity,
            aim: g.aim(),
        });
        "media".to_string()
    });
    let mut consumers: Vec<String> = Vec::new();
    if queue {
        let managed = g.chance(0.3);
        let mut attrs = Vec::new();
        if managed {
            attrs.push("engine = sqs".into());
        } else {
            attrs.push(format!("latency = {}", g.pick(&["1ms", "2ms"])));
            scale(&mut g, &mut attrs, false);
            if let Some(p) = placement(&mut g) {
                attrs.push(p);
            }
        }
        comps.push(Comp {
            kind: "queue",
            name: "jobs".into(),
            attrs,
            capacity: if managed { None } else { Some(1000.0) },
            aim: g.aim(),
        });
        let n_consumers = g.pick(&[1, 1, 2]);
        for i in 0..n_consumers {
            let name = format!("worker{i}");
            let mut attrs = vec![
                "consumes = jobs".to_string(),
                format!("latency = {}", g.pick(&latencies)),
                "timeout = 1m".to_string(),
            ];
            scale(&mut g, &mut attrs, true);
            if let Some(p) = placement(&mut g) {
                attrs.push(p);
            }
            comps.push(Comp {
                kind: "service",
                name: name.clone(),
                attrs,
                capacity: Some(1000.0),
                aim: g.aim(),
            });
            consumers.push(name);
        }
    }

    // Flows from the services onward. Shares of one caller stay within a
    // budget of 100% over all its shared edges, so no class can pass it.
    let class_sets: [&[&str]; 6] = [
        &[],
        &["read"],
        &["write"],
        &["read", "write"],
        &["static"],
        &["static", "read"],
    ];
    for (i, s) in services.iter().enumerate() {
        let mut budget = 100u32;
        let mut share = |g: &mut Gen| -> Option<u32> {
            if budget >= 10 && g.chance(0.3) {
                let p = g.pick(&[10, 25, 40, 50]).min(budget);
                budget -= p;
                Some(p)
            } else {
                None
            }
        };
        let mut calls = 0;
        // Later services: every one has a caller.
        for later in services.iter().skip(i + 1) {
            if i == 0 || g.chance(0.4) {
                let cls = g.pick(&class_sets);
                let sh = share(&mut g);
                // svc0 always calls each later service, so they are reached.
                let sh = if i == 0 { None } else { sh };
                let mut l = labels(cls, sh);
                if g.chance(0.1) {
                    l = decorate(l, "x2");
                }
                flows.push(format!("{s} -> {later}{l}"));
                calls += 1;
            }
        }
        for (ci, c) in caches.iter().enumerate() {
            if (i == 0 && ci == 0) || g.chance(0.4) {
                let target = if !dbs.is_empty() && g.chance(0.7) {
                    Some(dbs[g.range(0, dbs.len() as u32 - 1) as usize].0.clone())
                } else {
                    None
                };
                let sh = share(&mut g);
                match target {
                    // A chain: the share sits on the first edge only.
                    Some(db) => flows.push(format!("{s} -> {c} -> {db}{}", labels(&["read"], sh))),
                    None => flows.push(format!("{s} -> {c}{}", labels(&["read"], sh))),
                }
                calls += 1;
            }
        }
        for (di, (db, replicas, sharded)) in dbs.iter().enumerate() {
            if (i == 0 && di == 0) || g.chance(0.4) {
                let sh = share(&mut g);
                if *sharded && g.chance(0.25) {
                    // Scatter-gather: every shard serves the read.
                    let l = decorate(labels(&["read"], sh), "all-shards");
                    flows.push(format!("{s} -> {db}{l}"));
                    flows.push(format!("{s} -> {db}  [write]"));
                } else if *replicas > 0 && g.chance(0.3) {
                    let role = g.pick(&["replicas", "primary"]);
                    flows.push(format!("{s} -> {db}.{role}{}", labels(&["read"], sh)));
                    flows.push(format!("{s} -> {db}  [write]"));
                } else {
                    let cls = g.pick(&class_sets);
                    let mut l = labels(cls, sh);
                    if g.chance(0.15) {
                        l = decorate(l, g.pick(&["x2", "x3"]));
                    }
                    flows.push(format!("{s} -> {db}{l}"));
                }
                calls += 1;
            }
        }
        if queue && (i == 0 || g.chance(0.3)) {
            // Drawn from the same budget as the caller's other shares.
            let sh = share(&mut g);
            flows.push(format!("{s} -> jobs{}", labels(&["write"], sh)));
            calls += 1;
        }
        if let Some(m) = &storage
            && (g.chance(0.3) || (calls == 0 && g.chance(0.5)))
        {
            let cls = g.pick(&[&["write"][..], &["static"][..], &[][..]]);
            flows.push(format!("{s} -> {m}{}", labels(cls, None)));
        }
    }
    for w in &consumers {
        if let Some((db, _, _)) = dbs.first()
            && g.chance(0.7)
        {
            flows.push(format!("{w} -> {db}  [write]"));
        } else if let Some(m) = &storage {
            flows.push(format!("{w} -> {m}"));
        }
    }
    // A cache nobody calls would become an entry without clients: have
    // svc0 call every backend nothing else calls.
    let called = |name: &str, flows: &[String]| {
        flows.iter().any(|f| {
            f.split("->").skip(1).any(|p| {
                p.split_whitespace()
                    .next()
                    .is_some_and(|t| t == name || t.starts_with(&format!("{name}.")))
            })
        })
    };
    let mut extra = Vec::new();
    for c in &comps {
        if matches!(c.kind, "client" | "dns") || c.name == "svc0" || consumers.contains(&c.name) {
            continue;
        }
        if !called(&c.name, &flows) {
            if clients.is_empty() && c.kind == "lb" {
                continue;
            }
            extra.push(format!("svc0 -> {}", c.name));
        }
    }
    flows.extend(extra);
    Design {
        header: h,
        comps,
        flows,
    }
}

// ---- running one design ---------------------------------------------------

fn compile(source: &str) -> Result<Model, String> {
    let compiled = archc::compile(source, &archc::BuildOptions::default());
    match compiled.model {
        Some(m) if !compiled.has_errors() => Ok(m),
        _ => Err(format!("{:?}", compiled.diagnostics)),
    }
}

/// Scales every component's capacity so that its busiest copy sits at
/// its aim; `None` when the design does not compile.
fn size(design: &mut Design) -> Result<(), String> {
    for _ in 0..2 {
        let model = compile(&design.render())?;
        let est = estimate::estimate(&model, &mut PlacementCache::default());
        for comp in &mut design.comps {
            let Some(cap) = comp.capacity else { continue };
            let Some(id) = model.components.iter().position(|c| c.name == comp.name) else {
                continue;
            };
            let u = model
                .copies_of(id)
                .map(|(_, n)| est.copy(n).utilization)
                .fold(0.0, f64::max);
            let autoscaled = model.components[id].autoscale.is_some();
            if u > 0.0 && !autoscaled {
                comp.capacity = Some((cap * u / comp.aim).max(1.0));
            } else if autoscaled {
                // Sized at the maximum, so that the estimator's count sits
                // inside the range and below the target.
                let max = model
                    .copies_of(id)
                    .map(|(_, n)| est.copy(n).utilization_at_max)
                    .fold(0.0, f64::max);
                if max > 0.0 {
                    comp.capacity = Some((cap * max / (comp.aim * 0.5)).max(1.0));
                }
            }
        }
    }
    Ok(())
}

/// The number of paths from an entry copy to each copy (the most visits
/// one request can make there), over call and consume edges.
fn paths(model: &Model) -> Vec<f64> {
    let n = model.graph.node_count();
    let order = petgraph::algo::toposort(&model.graph, None).unwrap_or_default();
    let mut most = vec![1.0_f64; n];
    for &(comp, _) in &model.entries {
        for (_, entry) in model.copies_of(comp) {
            let mut p = vec![0.0_f64; n];
            p[entry.index()] = 1.0;
            for &v in &order {
                let pv = p[v.index()];
                if pv == 0.0 {
                    continue;
                }
                for e in model.graph.edges(v) {
                    // A call count (`x3`) is that many visits per request.
                    let calls = match e.weight().kind {
                        archc::model::CopyEdgeKind::Call(fid) => f64::from(model.flows[fid].calls),
                        _ => 1.0,
                    };
                    p[e.target().index()] += pv * calls;
                }
            }
            for i in 0..n {
                most[i] = most[i].max(p[i]);
            }
        }
    }
    most
}

/// Per class, the mean latency and its batch-means standard error.
fn class_mean(run: &RunResult, class: usize) -> Option<(f64, f64, u64)> {
    let t = &run.timeline;
    let buckets = t.completed.len();
    if buckets < BATCHES {
        return None;
    }
    let per = buckets / BATCHES;
    let mut l = [0.0; BATCHES];
    let mut n = [0.0; BATCHES];
    for b in 0..buckets {
        let i = (b / per).min(BATCHES - 1);
        l[i] += t.latency_sum_s[b][class];
        n[i] += t.completed[b][class] as f64;
    }
    let (sl, sn): (f64, f64) = (l.iter().sum(), n.iter().sum());
    if sn < 200.0 {
        return None;
    }
    let m = sl / sn;
    let ss: f64 = l.iter().zip(&n).map(|(l, n)| (l - m * n).powi(2)).sum();
    let bf = BATCHES as f64;
    let se = (bf / (bf - 1.0) * ss).sqrt() / sn;
    Some((m, se, sn as u64))
}

/// What one design's comparison found.
#[derive(Default)]
struct Outcome {
    compared: usize,
    skipped_overloaded: bool,
    events: u64,
}

/// Compiles, estimates, simulates and compares one design.
fn check(name: &str, source: &str, requests: u64, seed: u64) -> Result<Outcome, String> {
    let model = compile(source).map_err(|e| format!("{name}: does not compile: {e}\n{source}"))?;
    let est: Estimate = estimate::estimate(&model, &mut PlacementCache::default());
    let mut out = Outcome::default();
    if est.unbounded
        || est
            .copies
            .iter()
            .any(|c| c.utilization >= MAX_UTILISATION || c.max_not_enough)
    {
        out.skipped_overloaded = true;
        return Ok(out);
    }
    let traffic = model.traffic.as_ref().ok_or("no traffic")?;
    let entry_rate = traffic.rate * traffic.peak.value;
    // Whole batches of whole seconds, ending before the first autoscale
    // decision at 60 s.
    let per_batch = ((requests as f64 / entry_rate / BATCHES as f64).round()).clamp(1.0, 3.0);
    let duration = per_batch * BATCHES as f64;
    let opts = Options {
        seed,
        requests: None,
        duration_s: Some(duration),
        warmup_s: WARMUP_S,
        ..Options::default()
    };
    let run = sim::run(&model, None, &opts, &|_, _| {})
        .map_err(|e| format!("{name}: does not simulate: {e}"))?
        .remove(0);
    out.events = run.events;
    let mut errors = Vec::new();
    if run.failed > 0 {
        errors.push(format!("{} requests failed: {:?}", run.failed, run.errors));
    }
    let t = run.measured_s;
    let most = paths(&model);
    for node in model.graph.node_indices() {
        let i = node.index();
        let ce = est.copy(node);
        let copy = model.copy_name(model.graph[node]);
        let comp = model.component(model.graph[node].component);
        let m = most[i];
        // Arrivals from flows.
        let want = ce.peak_rps * t;
        let got = run.copies[i].arrivals as f64;
        let tol = Z * (m * want).sqrt() + 1.0;
        if (got - want).abs() > tol {
            errors.push(format!(
                "{copy}: {got} arrivals, estimator {want:.1} (± {tol:.1})"
            ));
        }
        out.compared += 1;
        if comp.capacity.value.is_none() || ce.peak_rps <= 0.0 {
            continue;
        }
        if comp.kind == Kind::Database {
            let m_db: f64 = model
                .copies_of(model.graph[node].component)
                .map(|(_, n)| most[n.index()])
                .sum::<f64>()
                + 1.0;
            let shards = &run.copies[i].shards;
            for (k, sh) in ce.shards.iter().enumerate() {
                let Some(s) = shards.get(k) else {
                    errors.push(format!("{copy}: shard {k} missing from the run"));
                    continue;
                };
                let mut stations = vec![("primary", sh.primary, Some(s.primary_utilization))];
                if let Some(r) = sh.replica {
                    stations.push(("replica", r, s.replica_utilization));
                }
                for (role, st, sim_u) in stations {
                    let Some(got) = sim_u else {
                        errors.push(format!("{copy} shard {k}: no {role} utilisation"));
                        continue;
                    };
                    let want = st.utilization;
                    if want <= 0.0 {
                        continue;
                    }
                    let n = st.peak_rps * t;
                    let tol = Z * want * ((1.0 + m_db) / n).sqrt();
                    if (got - want).abs() > tol {
                        errors.push(format!(
                            "{copy} shard {k} {role}: utilisation {got:.4}, estimator {want:.4} \
                             (± {tol:.4}, {n:.0} services)"
                        ));
                    }
                    out.compared += 1;
                }
            }
            continue;
        }
        let want = ce.utilization;
        let got = run.copies[i].utilization;
        let n = ce.peak_rps * t;
        let tol = Z * want * ((1.0 + m) / n).sqrt();
        if (got - want).abs() > tol {
            errors.push(format!(
                "{copy}: utilisation {got:.4}, estimator {want:.4} (± {tol:.4}, {n:.0} services)"
            ));
        }
        out.compared += 1;
    }
    for class in Class::ALL {
        let Some(ce) = est.class(class) else { continue };
        if ce.peak_rps <= 0.0 {
            continue;
        }
        let Some((got, se, count)) = class_mean(&run, class.index()) else {
            continue;
        };
        let want = ce.mean_latency_s;
        let tol = T_CRIT * BATCH_SE_INFLATION * se + 1e-6;
        // A scatter-gather read waits for its slowest shard; the estimator
        // takes the slowest of independent shard responses, an upper bound
        // (docs/estimator.md), so only that side is checked for reads when
        // a flow scatters.
        let bound_only = class == Class::Read && model.flows.iter().any(|f| f.all_shards);
        let off = if bound_only {
            got - want
        } else {
            (got - want).abs()
        };
        if off > tol {
            errors.push(format!(
                "class {}: mean {:.4} ms, estimator {:.4} ms (± {:.4} ms, {count} requests)",
                class.as_str(),
                got * 1e3,
                want * 1e3,
                tol * 1e3
            ));
        }
        out.compared += 1;
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "{name}: the estimator and the simulator disagree (seed {seed}, {t} s measured):\n  {}\n\n{source}",
            errors.join("\n  ")
        ))
    }
}

// ---- the tests ------------------------------------------------------------

/// Random designs: `ARCHC_DIFF_CASES` of them (default 300), each at
/// `ARCHC_DIFF_REQUESTS` entry requests (default 15,000).
#[test]
fn estimator_and_simulator_agree_on_random_designs() {
    let cases = env_u64("ARCHC_DIFF_CASES", 300) as u32;
    let requests = env_u64("ARCHC_DIFF_REQUESTS", 15_000);
    let config = Config {
        cases,
        failure_persistence: None,
        // Shrinking a seed means nothing: the failure message carries
        // the design's source, which becomes a fixture.
        max_shrink_iters: 0,
        ..Config::default()
    };
    // A fixed stream of seeds, so every run checks the same designs.
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let stats = std::cell::RefCell::new((0u32, 0u32, 0u32, 0u64));
    let result = runner.run(&any::<u64>(), |seed| {
        // Every run lasts 32 or 48 s (16 batches of 2 or 3 s): the entry
        // rate follows from the requests wanted.
        let duration = if seed % 2 == 0 { 32.0 } else { 48.0 };
        let mut design = generate(seed, requests as f64 / duration);
        let sized = size(&mut design);
        let source = design.render();
        let mut s = stats.borrow_mut();
        s.0 += 1;
        if let Err(e) = sized {
            return Err(TestCaseError::fail(format!(
                "generated design {seed} does not compile: {e}\n{source}"
            )));
        }
        match check(&format!("design {seed}"), &source, requests, seed) {
            Ok(o) if o.skipped_overloaded => s.1 += 1,
            Ok(o) => {
                s.2 += 1;
                s.3 += o.events;
            }
            Err(e) => return Err(TestCaseError::fail(e)),
        }
        Ok(())
    });
    let (generated, skipped, ran, events) = *stats.borrow();
    eprintln!(
        "differential: {generated} designs generated, {ran} simulated and compared, \
         {skipped} skipped (a copy at 70% or more), {events} events"
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        ran as f64 >= 0.8 * generated as f64,
        "too few designs were eligible: {ran} of {generated}"
    );
}

/// Every disagreement found so far, kept as a regression fixture.
#[test]
fn fixtures_agree() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/differential");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "arch"));
    files.sort();
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let source = std::fs::read_to_string(path).expect("readable fixture");
        match check(&name, &source, 40_000, 7) {
            Ok(o) => assert!(
                !o.skipped_overloaded && o.compared > 0,
                "{name}: the fixture must be eligible"
            ),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
