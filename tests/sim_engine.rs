//! The request walk of LANGUAGE.md §6–§7, one rule per test, on small
//! designs whose right answers are worked out by hand in the comments.

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

fn run_model(model: &archc::Model, requests: u64, seed: u64) -> RunResult {
    let opts = Options {
        seed,
        requests: Some(requests),
        ..Options::default()
    };
    sim::run(model, None, &opts, &|_, _| {})
        .expect("simulates")
        .remove(0)
}

fn node(model: &archc::Model, comp: &str, dc: Option<&str>) -> usize {
    let c = model.component_id(comp).expect("component");
    let d = dc.map(|n| {
        model
            .datacenters
            .iter()
            .position(|x| x.name == n)
            .expect("datacenter")
    });
    model
        .copy_node(
            c,
            d.or(Some(0))
                .filter(|_| !model.components[c].kind.is_global()),
        )
        .expect("copy")
        .index()
}

fn share(r: &RunResult, n: usize) -> f64 {
    r.copies[n].arrivals as f64 / r.arrivals as f64
}

/// Two shared edges are alternatives: a request takes at most one. Both
/// callees hold a request exactly 1 s (managed storage has no capacity
/// limit, §7), so a request that took both would take 2 s.
const SHARES: &str = "
traffic { rate = 100/s }
assumptions { hop_latency = 0s }
client users
service a { capacity = 100000/s  latency = 1ms }
storage b { engine = s3  latency = 1s }
storage c { engine = s3  latency = 1s }
users -> a
a -> b [50%]
a -> c [30%]
";

#[test]
fn shared_edges_are_alternatives() {
    let model = compile(SHARES);
    let r = run_model(&model, 100_000, 1);
    // 50% and 30% of requests; binomial standard errors about 0.16%.
    assert!((share(&r, node(&model, "b", None)) - 0.5).abs() < 0.01);
    assert!((share(&r, node(&model, "c", None)) - 0.3).abs() < 0.01);
    // Nobody took both: the slowest request is one call plus a's service.
    let max = r.latency.max_s.expect("completed");
    assert!(max < 1.1, "max latency {max}");
    // Mean: 0.8 × 1 s + a's ~1 ms.
    let mean = r.latency.mean_s.expect("completed");
    assert!((mean - 0.801).abs() < 0.01, "mean {mean}");
}

/// Unshared edges are all called, one after the other: 1 s then 2 s.
const FAN_OUT: &str = "
traffic { rate = 10/s }
assumptions { hop_latency = 0s }
client users
service a { capacity = 100000/s  latency = 1ms  timeout = 1h }
storage b { engine = s3  latency = 1s }
storage c { engine = s3  latency = 2s }
users -> a
a -> b
a -> c
";

#[test]
fn unshared_edges_fan_out_and_their_times_add_up() {
    let model = compile(FAN_OUT);
    let r = run_model(&model, 20_000, 2);
    let min = r.latency.p50_s.expect("completed");
    let max = r.latency.max_s.expect("completed");
    assert!(min >= 3.0 && max < 3.1, "p50 {min}, max {max}");
    assert_eq!(r.copies[node(&model, "b", None)].arrivals, r.arrivals);
    assert_eq!(r.copies[node(&model, "c", None)].arrivals, r.arrivals);
}

/// A one-worker service (M/M/1, μ = 1) whose every request then spends
/// 10 s downstream. The worker is released before the call (§7): `a` stays
/// an M/M/1 at ρ = 0.5 (W = 2 s) and a request takes 2 + 10 = 12 s on
/// average. Holding the worker would mean ρ = 0.5 × 11 > 1.
const RELEASE: &str = "
traffic { rate = 0.5/s }
assumptions { hop_latency = 0s }
client users
service a { capacity = 1/s  latency = 1s  timeout = 1d }
storage slow { engine = s3  latency = 10s }
users -> a -> slow
";

#[test]
fn the_worker_is_released_before_downstream_calls() {
    let model = compile(RELEASE);
    let r = run_model(&model, 200_000, 3);
    let u = r.copies[node(&model, "a", None)].utilization;
    assert!((u - 0.5).abs() < 0.01, "utilisation {u}");
    let mean = r.latency.mean_s.expect("completed");
    assert!((mean - 12.0).abs() < 0.12, "mean {mean}");
}

/// 80% reads; the cache answers 75% of reads; writes always pass. The
/// database sees 0.2 + 0.8 × 0.25 = 40% of requests.
const CACHE: &str = "
traffic { rate = 1000/s  reads = 80% }
assumptions { hop_latency = 0s }
client users
cache c { hit_ratio = 75% }
database db { capacity = 5000/s }
users -> c -> db
";

#[test]
fn a_cache_answers_reads_by_its_hit_ratio_and_passes_writes() {
    let model = compile(CACHE);
    let r = run_model(&model, 200_000, 4);
    let db = share(&r, node(&model, "db", None));
    assert!((db - 0.4).abs() < 0.005, "database share {db}");
}

/// Half the traffic is static; the CDN answers 90% of it and passes the
/// dynamic half: the origin sees 0.5 × 0.1 + 0.5 = 55%.
const CDN: &str = "
traffic { rate = 1000/s  static = 50% }
assumptions { hop_latency = 0s }
client users
cdn edge { hit_ratio = 90% }
storage origin { engine = s3 }
users -> edge -> origin
";

#[test]
fn a_cdn_answers_static_requests_only() {
    let model = compile(CDN);
    let r = run_model(&model, 200_000, 5);
    let origin = share(&r, node(&model, "origin", None));
    assert!((origin - 0.55).abs() < 0.005, "origin share {origin}");
}

/// Two datacenters of 500/s each: 400 reads and 100 writes. With cross_dc
/// every copy applies both datacenters' writes, 200/s, on its primary and
/// on each replica.
fn roles(read_from: &str, sync: bool) -> String {
    format!(
        "traffic {{ rate = 1000/s  reads = 80% }}
assumptions {{ hop_latency = 0s  cross_dc_latency = 50ms }}
datacenter a {{ weight = 50% }}
datacenter b {{ weight = 50% }}
client users
database db {{
  replicas  = 2
  capacity  = 1000/s
  latency   = 5ms
  read_from = {read_from}
  cross_dc  = {}
}}
users -> db
",
        if sync { "sync" } else { "async" }
    )
}

fn db_utils(read_from: &str, sync: bool) -> (f64, f64, RunResult, usize) {
    let model = compile(&roles(read_from, sync));
    let r = run_model(&model, 300_000, 6);
    let n = node(&model, "db", Some("a"));
    let shard = &r.copies[n].shards[0];
    (
        shard.primary_utilization,
        shard.replica_utilization.expect("replicas"),
        r,
        n,
    )
}

#[test]
fn database_roles_split_reads_and_apply_writes_everywhere() {
    // replicas: primary 100 own + 100 applied = 200/s → 20%; each replica
    // 400/2 reads + 200 applied = 400/s → 40%.
    let (p, rep, r, n) = db_utils("replicas", false);
    assert!((p - 0.2).abs() < 0.008, "primary {p}");
    assert!((rep - 0.4).abs() < 0.012, "replica {rep}");
    assert!(
        (r.copies[n].utilization - 0.4).abs() < 0.012,
        "busiest instance"
    );
    // any: reads spread over 3 instances, 133.3 each: every instance at
    // 133.3 + 200 = 333.3/s → 33.3%.
    let (p, rep, _, _) = db_utils("any", false);
    assert!((p - 1.0 / 3.0).abs() < 0.01, "primary {p}");
    assert!((rep - 1.0 / 3.0).abs() < 0.01, "replica {rep}");
    // primary: 400 + 200 = 600/s on the primary, replicas only apply 200/s.
    let (p, rep, _, _) = db_utils("primary", false);
    assert!((p - 0.6).abs() < 0.015, "primary {p}");
    assert!((rep - 0.2).abs() < 0.008, "replica {rep}");
}

#[test]
fn synchronous_cross_dc_writes_wait_for_the_other_datacenter() {
    let (_, _, async_run, _) = db_utils("replicas", false);
    let (_, _, sync_run, _) = db_utils("replicas", true);
    let w_async = async_run.classes[2].latency.mean_s.expect("writes");
    let w_sync = sync_run.classes[2].latency.mean_s.expect("writes");
    // Only writes pay the 50 ms round trip.
    assert!(
        (w_sync - w_async - 0.050).abs() < 0.002,
        "{w_sync} vs {w_async}"
    );
    let r_async = async_run.classes[1].latency.mean_s.expect("reads");
    let r_sync = sync_run.classes[1].latency.mean_s.expect("reads");
    assert!((r_sync - r_async).abs() < 0.001);
}

/// A queue returns at once; its consumers' work is not in the response.
const QUEUE: &str = "
traffic { rate = 100/s  reads = 0% }
assumptions { hop_latency = 0s }
client users
service api { replicas = 2  capacity = 1000/s  latency = 1ms }
queue jobs
service workers { replicas = 4  capacity = 50/s  latency = 500ms  consumes = jobs }
users -> api -> jobs
";

#[test]
fn queue_consumers_work_at_their_own_pace_outside_the_response_time() {
    let model = compile(QUEUE);
    let r = run_model(&model, 100_000, 7);
    // api ~1 ms and the queue's 2 ms default latency: a few milliseconds,
    // nowhere near the workers' 500 ms.
    let mean = r.latency.mean_s.expect("completed");
    assert!(mean < 0.01, "mean {mean}");
    // Workers: k = 50 × 0.5 = 25 per instance, 4 instances; 100/s against
    // 200/s of capacity is 50%.
    let u = r.copies[node(&model, "workers", None)].utilization;
    assert!((u - 0.5).abs() < 0.02, "workers {u}");
    let jobs = r.jobs.latency.mean_s.expect("messages done");
    assert!(jobs > 0.45, "message latency {jobs}");
}

#[test]
fn the_same_seed_gives_the_same_run_and_replications_are_independent() {
    let model = compile(CACHE);
    let a = run_model(&model, 20_000, 9);
    let b = run_model(&model, 20_000, 9);
    assert_eq!(a, b);
    let c = run_model(&model, 20_000, 10);
    assert_ne!(a.latency, c.latency);
    // Replication 0 of `--runs 2` is the single run with the same seed;
    // replication 1 runs with the next seed.
    let opts = Options {
        seed: 9,
        requests: Some(20_000),
        runs: 2,
        ..Options::default()
    };
    let runs = sim::run(&model, None, &opts, &|_, _| {}).expect("simulates");
    assert_eq!(runs[0], a);
    assert_eq!(runs[1], c);
}

/// `traffic 2x` doubles the arrival rate from its time on.
const SURGE: &str = "
traffic { rate = 100/s }
assumptions { hop_latency = 0s }
client users
service a { replicas = 2  capacity = 500/s  latency = 1ms }
users -> a
scenario surge {
  duration = 100s
  at 50s traffic 2x
}
";

#[test]
fn traffic_events_change_the_arrival_rate() {
    let model = compile(SURGE);
    let opts = Options::default();
    let r = sim::run(&model, Some(&model.scenarios[0]), &opts, &|_, _| {})
        .expect("simulates")
        .remove(0);
    let a = node(&model, "a", None);
    let before: u64 = r.timeline.arrivals[a][0..50].iter().sum();
    let after: u64 = r.timeline.arrivals[a][50..100].iter().sum();
    // 5,000 and 10,000 arrivals, Poisson: standard deviations 71 and 100.
    assert!((4_700..=5_300).contains(&before), "{before}");
    assert!((9_600..=10_400).contains(&after), "{after}");
}

/// A call count (`x10`, LANGUAGE.md §13) makes ten calls per request, one
/// after another (docs/simulator.md): the callee receives exactly ten
/// arrivals per request, and a request spends ten times its 100 ms there
/// (managed storage has no capacity limit, §7: each call takes exactly its
/// latency), so every request takes 1 s, not 0.1 s.
const CALL_COUNT: &str = "
traffic { rate = 100/s  reads = 50% }
assumptions { hop_latency = 0s }
client users
service a { capacity = 100000/s  latency = 1ms  timeout = 1m }
storage b { engine = s3  latency = 100ms }
storage c { engine = s3  latency = 1ms }
users -> a
a -> b [write x10]
a -> c [read 50% x3]
";

#[test]
fn call_counts_make_that_many_calls_in_turn() {
    let model = compile(CALL_COUNT);
    let r = run_model(&model, 20_000, 3);
    let writes = r.classes[2].arrivals;
    let reads = r.classes[1].arrivals;
    assert_eq!(writes + reads, r.arrivals);
    // Every write calls b ten times.
    assert_eq!(r.copies[node(&model, "b", None)].arrivals, 10 * writes);
    // Half the reads (binomial) call c three times each: expected
    // 1.5 × reads, standard deviation 3 × sqrt(reads / 4); 5 of them allowed.
    let got = r.copies[node(&model, "c", None)].arrivals as f64;
    let want = 1.5 * reads as f64;
    let sd = 3.0 * (reads as f64 / 4.0).sqrt();
    assert!(
        (got - want).abs() < 5.0 * sd,
        "c arrivals {got}, want {want} ± {}",
        5.0 * sd
    );
    // Writes: a's ~1 ms, then ten calls of 100 ms in turn.
    let w = &r.classes[2].latency;
    let (p50, max) = (w.p50_s.expect("writes"), w.max_s.expect("writes"));
    assert!(p50 >= 1.0 && max < 1.1, "write p50 {p50}, max {max}");
}

/// `all-shards` (§13): one read reaches every shard at once and returns
/// when the last answers. Each shard has k = ⌊1000 × 0.1 + 0.5⌋ = 100
/// workers of mean service 100 ms at 10 reads/s (ρ = 0.01, so waits are
/// negligible): a read takes the slowest of 4 independent exponential
/// services of mean 100 ms, whose mean is H₄ × 100 ms = 208.3 ms (one shard
/// alone: 100 ms; the four in turn: 400 ms). Its standard deviation is
/// sqrt(Σ 1/(k·10)², k = 1..4) = 119 ms, so over 5,000 reads the standard
/// error is 1.7 ms; 5 of them are allowed.
const SCATTER: &str = "
traffic { rate = 10/s }
assumptions { hop_latency = 0s }
client users
service search { capacity = 100000/s  latency = 1ms  timeout = 1m }
database index { shards = 4  shard_key = term  capacity = 1000/s  latency = 100ms }
users -> search
search -> index [read all-shards]
";

#[test]
fn all_shards_reads_fan_out_in_parallel_and_wait_for_the_slowest() {
    let model = compile(SCATTER);
    let r = run_model(&model, 5_000, 4);
    let n = node(&model, "index", None);
    // The copy receives each read once, and every shard receives it.
    assert_eq!(r.copies[n].arrivals, r.arrivals);
    assert_eq!(r.copies[n].shards.len(), 4);
    for s in &r.copies[n].shards {
        assert_eq!(s.arrivals, r.arrivals, "shard {}", s.shard);
    }
    let mean = r.classes[1].latency.mean_s.expect("reads");
    // search adds about 1 ms (its own exponential service of mean 1 ms).
    let want = (25.0 / 12.0) * 0.1 + 0.001;
    let se = 0.119 / (r.arrivals as f64).sqrt();
    assert!(
        (mean - want).abs() < 5.0 * se,
        "read mean {mean}, want {want} ± {}",
        5.0 * se
    );
}
