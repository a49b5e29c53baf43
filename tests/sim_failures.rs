//! Failure behaviour (LANGUAGE.md §6, §8, §10): what a scenario's failures
//! do to requests, checked against what the semantics say must happen,
//! with the expected figures worked out in comments.

use archc::estimate::{self, shards::PlacementCache};
use archc::sim::{self, Cause, Options, RunResult};

fn compile(source: &str) -> archc::Model {
    let compiled = archc::compile(source, &archc::BuildOptions::default());
    assert!(
        !compiled.has_errors(),
        "test design does not compile: {:?}",
        compiled.diagnostics
    );
    compiled.model.expect("model")
}

fn scenario_run(model: &archc::Model, scenario: &str, seed: u64) -> RunResult {
    let s = model
        .scenarios
        .iter()
        .find(|s| s.name == scenario)
        .expect("scenario");
    let opts = Options {
        seed,
        ..Options::default()
    };
    sim::run(model, Some(s), &opts, &|_, _| {})
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
    model.copy_node(c, d.or(Some(0))).expect("copy").index()
}

fn failed_in(r: &RunResult, bucket: usize) -> u64 {
    r.timeline.failed[bucket].iter().sum()
}

fn completed_in(r: &RunResult, bucket: usize) -> u64 {
    r.timeline.completed[bucket].iter().sum()
}

/// Every request writes; the database is one instance with no replica, so
/// `failover` defaults to `none` (§4).
const SINGLE_DB: &str = "
traffic { rate = 200/s  reads = 0% }
assumptions { hop_latency = 0s }
client users
service app { replicas = 2  capacity = 500/s  latency = 10ms }
database db { capacity = 1000/s  latency = 5ms }
users -> app -> db
scenario db-dies {
  duration = 60s
  at 30s fail db
}
";

#[test]
fn single_instance_database_loses_every_write_from_its_failure() {
    let model = compile(SINGLE_DB);
    let r = scenario_run(&model, "db-dies", 1);
    assert_eq!(r.timeline.bucket_s, 1.0);
    // Before the failure nothing fails and about 200 writes complete per
    // second.
    for b in 0..30 {
        assert_eq!(failed_in(&r, b), 0, "second {b}");
        assert!(completed_in(&r, b) > 120, "second {b}");
    }
    // From the failure on, not one write completes: the ones in flight at
    // the database fail with it, every later one finds no instance.
    for b in 30..60 {
        assert_eq!(completed_in(&r, b), 0, "second {b}");
        assert!(failed_in(&r, b) > 120, "second {b}");
    }
    // No replica and no failover: the design never recovers, and says so.
    let no_failover = r.errors[Cause::NoFailover as usize];
    let dead = r.errors[Cause::DeadInstance as usize];
    assert!(no_failover > 5_000, "{:?}", r.errors);
    // Only the writes in flight at the moment of failure fail as "dead
    // instance": at most the database's 8 workers plus its queue.
    assert!(dead <= 50, "{:?}", r.errors);
    assert_eq!(r.failed, no_failover + dead);
}

/// Half the requests write. The database has one replica and automatic
/// failover after 10 s; reads go to the replica.
const FAILOVER: &str = "
traffic { rate = 200/s  reads = 50% }
assumptions { hop_latency = 0s }
client users
service app { replicas = 2  capacity = 500/s  latency = 10ms }
database db {
  replicas      = 1
  failover      = automatic
  failover_time = 10s
  capacity      = 1000/s
  latency       = 5ms
}
users -> app -> db
scenario primary-dies {
  duration = 60s
  at 20s fail db.primary
}
";

#[test]
fn automatic_failover_stops_errors_after_failover_time() {
    let model = compile(FAILOVER);
    let r = scenario_run(&model, "primary-dies", 2);
    for b in 0..20 {
        assert_eq!(failed_in(&r, b), 0, "second {b}");
    }
    // From 20 s the writes fail until a replica is promoted at 20 + 10 s.
    // The database's failover_time is its whole detection-and-promotion
    // budget (docs/simulator.md), so nothing is added for detection.
    for b in 20..30 {
        assert!(failed_in(&r, b) > 50, "second {b}: {}", failed_in(&r, b));
    }
    for b in 30..60 {
        assert_eq!(failed_in(&r, b), 0, "second {b}");
    }
    // Only writes failed: 100 writes/s for 10 s = 1000, Poisson with a
    // standard deviation of about 32.
    assert_eq!(r.classes[1].failed, 0, "reads never notice");
    let writes_failed = r.classes[2].failed;
    assert!(
        (850..=1150).contains(&writes_failed),
        "writes failed: {writes_failed}"
    );
    // The promoted replica was the only one: reads moved to it as the new
    // primary, and they kept completing throughout.
    for b in 0..60 {
        assert!(r.timeline.completed[b][1] > 50, "reads in second {b}");
    }
}

/// Two datacenters behind a failover DNS with a 20 s ttl. Each web copy is
/// one instance of 800/s: enough for its half (500/s, 62.5%), not for all
/// of it (1000/s).
const TWO_DCS: &str = "
traffic { rate = 1000/s }
assumptions { hop_latency = 0s  cross_dc_latency = 0s }
datacenter east { weight = 50% }
datacenter west { weight = 50% }
client users
dns geo { failover = true  ttl = 20s }
service web { capacity = 800/s  latency = 10ms  timeout = 2s }
users -> geo -> web
scenario east-down {
  duration = 120s
  at 30s fail east
  expect utilization(web@west) > 95% during 60s..120s
  expect error_rate > 15% during 60s..120s
}
";

#[test]
fn datacenter_outage_moves_traffic_after_the_ttl_and_overloads_the_survivor() {
    let model = compile(TWO_DCS);
    let r = scenario_run(&model, "east-down", 3);
    let east = node(&model, "web", Some("east"));
    let west = node(&model, "web", Some("west"));
    let arrivals = |n: usize, b: usize| r.timeline.arrivals[n][b] as f64;
    // Until the ttl runs out DNS keeps sending half the users east, where
    // they fail; from 30 + 20 = 50 s nothing goes east any more.
    for b in 31..50 {
        assert!(
            arrivals(east, b) > 400.0,
            "second {b}: {}",
            arrivals(east, b)
        );
        let rate = failed_in(&r, b) as f64 / (failed_in(&r, b) + completed_in(&r, b)) as f64;
        assert!((0.4..0.6).contains(&rate), "second {b}: error rate {rate}");
    }
    for b in 50..120 {
        assert_eq!(arrivals(east, b), 0.0, "second {b}");
        assert!(
            arrivals(west, b) > 900.0,
            "second {b}: {}",
            arrivals(west, b)
        );
    }
    // The survivor serves 800/s of the 1000/s it now gets: it runs flat out
    // and refuses the rest, 1 − 800/1000 = 20% of requests.
    let window = &r.windows[1];
    let util = window.utilization[west];
    assert!(util > 0.97, "utilisation of web@west: {util}");
    let rate = window.error_rate().expect("requests finished");
    assert!((0.17..0.23).contains(&rate), "error rate {rate}");
    assert!(r.errors[Cause::QueueFull as usize] > 0);
}

#[test]
fn scenario_expectations_are_evaluated_from_the_run() {
    let model = compile(TWO_DCS);
    let s = &model.scenarios[0];
    let report = sim::simulate(&model, Some(s), &Options::default(), &|_, _| {}).expect("runs");
    assert_eq!(report.expectations.len(), 2);
    assert!(report.passed, "{:?}", report.expectations);
    let util = &report.expectations[0];
    assert_eq!(util.unit, "fraction");
    assert!(util.measured.expect("measured") > 0.95);
    assert_eq!(util.during_s, Some([60.0, 120.0]));
}

/// Reads only, over 8 hashed shards of a Zipf(1.1) key space: the shard
/// holding the most popular ranks is hot.
const ZIPF: &str = "
traffic { rate = 2000/s }
assumptions { hop_latency = 0s }
client users
database accounts {
  capacity  = 1000/s
  latency   = 5ms
  shards    = 8
  shard_key = user_id
  sharding  = hash
  keys      = zipf(1.1)
  key_count = 1M
}
users -> accounts
";

#[test]
fn zipf_hot_shard_is_the_estimators_hot_shard() {
    let model = compile(ZIPF);
    let est = estimate::estimate(&model, &mut PlacementCache::default());
    let db = node(&model, "accounts", None);
    let shards_est = &est.copies[db].shards;
    assert_eq!(shards_est.len(), 8);
    let opts = Options {
        seed: 4,
        requests: Some(400_000),
        ..Options::default()
    };
    let r = sim::run(&model, None, &opts, &|_, _| {})
        .expect("simulates")
        .remove(0);
    let shards = &r.copies[db].shards;
    let hottest = |u: &[f64]| {
        (0..u.len())
            .max_by(|a, b| u[*a].total_cmp(&u[*b]))
            .expect("shards")
    };
    let est_u: Vec<f64> = shards_est.iter().map(|s| s.utilization).collect();
    let sim_u: Vec<f64> = shards.iter().map(|s| s.utilization).collect();
    let hot = hottest(&est_u);
    assert_eq!(hottest(&sim_u), hot, "sim {sim_u:?} vs est {est_u:?}");
    // The hot shard stands clear of the fair share 2000/8/1000 = 25%, and
    // every shard matches the estimator within sampling error: at 400k
    // requests a shard of share s sees 400k·s services, a relative standard
    // error of sqrt(2/(400k·s)) — under 1.1% for s ≥ 4% — so 5% is over 4σ.
    assert!(sim_u[hot] > 0.3, "{sim_u:?}");
    for (i, (s, e)) in sim_u.iter().zip(&est_u).enumerate() {
        assert!((s - e).abs() <= 0.05 * e, "shard {i}: {s} vs {e}");
        if i != hot {
            assert!(
                sim_u[hot] > s + 0.05,
                "shard {i}: {s} vs hot {}",
                sim_u[hot]
            );
        }
    }
    // Shares measured by routing alone (no queueing in them) match the
    // placement's shares.
    for (i, (s, e)) in shards.iter().zip(shards_est).enumerate() {
        assert!(
            (s.share - e.share).abs() < 0.005,
            "shard {i}: {} vs {}",
            s.share,
            e.share
        );
    }
}

/// Four web instances behind a load balancer that checks health every 5 s.
const HEALTH: &str = "
traffic { rate = 800/s }
assumptions { hop_latency = 0s }
client users
lb front { replicas = 2  health_interval = 5s }
service web { replicas = 4  capacity = 400/s  latency = 10ms }
users -> front -> web
scenario lose-one {
  duration = 40s
  at 10s fail 1 of web
}
";

#[test]
fn load_balancer_sends_to_a_dead_instance_until_its_health_check() {
    let model = compile(HEALTH);
    let r = scenario_run(&model, "lose-one", 5);
    for b in 0..10 {
        assert_eq!(failed_in(&r, b), 0, "second {b}");
    }
    // For health_interval = 5 s one request in four still goes to the dead
    // instance: 200/s of the 800/s.
    for b in 10..15 {
        let f = failed_in(&r, b);
        assert!((140..=260).contains(&f), "second {b}: {f} failed");
    }
    for b in 15..40 {
        assert_eq!(failed_in(&r, b), 0, "second {b}");
    }
    // The three survivors carry 800/s: 800 / (3 × 400) = 66.7%.
    let web = node(&model, "web", None);
    let late: f64 = r.timeline.utilization[web][20..40]
        .iter()
        .map(|u| f64::from(*u))
        .sum::<f64>()
        / 20.0;
    assert!((late - 2.0 / 3.0).abs() < 0.03, "utilisation {late}");
}

/// A service whose timeout is shorter than its downstream call.
const TIMEOUTS: &str = "
traffic { rate = 50/s }
assumptions { hop_latency = 0s }
client users
service api { capacity = 1000/s  latency = 1ms  timeout = 100ms }
storage slow { engine = s3  latency = 1s }
users -> api -> slow
";

#[test]
fn timeouts_count_as_errors() {
    let model = compile(TIMEOUTS);
    let opts = Options {
        requests: Some(2_000),
        ..Options::default()
    };
    let r = sim::run(&model, None, &opts, &|_, _| {})
        .expect("simulates")
        .remove(0);
    // Every request spends 1 s in `slow`, ten times the timeout of `api`.
    assert_eq!(r.completed, 0);
    assert_eq!(r.failed, 2_000);
    assert_eq!(r.errors[Cause::Timeout as usize], 2_000);
}

/// A queue whose workers die for a minute and come back.
const WORKERS: &str = "
traffic { rate = 100/s  reads = 0% }
assumptions { hop_latency = 0s }
client users
service api { replicas = 2  capacity = 500/s  latency = 5ms }
queue jobs { max_backlog = 100k }
service workers { replicas = 2  capacity = 100/s  latency = 10ms  consumes = jobs }
users -> api -> jobs
scenario workers-down {
  duration = 180s
  at 30s fail workers
  at 90s recover workers
}
";

#[test]
fn a_durable_queue_keeps_messages_while_its_consumers_are_down() {
    let model = compile(WORKERS);
    let r = scenario_run(&model, "workers-down", 6);
    // Users never notice: the queue accepts at once.
    assert_eq!(r.failed, 0);
    // About 100 messages/s pile up for 60 s: a backlog near 6,000 that the
    // workers (200/s of capacity) drain in about a minute after 90 s.
    assert!(
        (5_000..=7_000).contains(&r.jobs.backlog_max),
        "backlog {}",
        r.jobs.backlog_max
    );
    assert_eq!(r.jobs.failed, 0, "in-flight messages are redelivered");
    let workers = node(&model, "workers", None);
    // Busy flat out while draining, then back to 100/200 = 50%.
    let draining: f64 = r.timeline.utilization[workers][92..140]
        .iter()
        .map(|u| f64::from(*u))
        .sum::<f64>()
        / 48.0;
    assert!(draining > 0.95, "{draining}");
    let settled: f64 = r.timeline.utilization[workers][160..180]
        .iter()
        .map(|u| f64::from(*u))
        .sum::<f64>()
        / 20.0;
    assert!((settled - 0.5).abs() < 0.06, "{settled}");
    assert!(r.jobs.completed + 200 >= r.jobs.created);
}

/// Autoscaling re-targets every 60 s (§7).
const AUTOSCALE: &str = "
traffic { rate = 1000/s }
assumptions { hop_latency = 0s  target_utilization = 70% }
client users
lb front { replicas = 2 }
service web { autoscale = 2..20  capacity = 200/s  latency = 10ms  timeout = 10s }
users -> front -> web
scenario surge {
  duration = 240s
  at 90s traffic 2x
}
";

#[test]
fn autoscale_retargets_every_minute() {
    let model = compile(AUTOSCALE);
    let r = scenario_run(&model, "surge", 7);
    let web = node(&model, "web", None);
    let util = |a: usize, b: usize| {
        r.timeline.utilization[web][a..b]
            .iter()
            .map(|u| f64::from(*u))
            .sum::<f64>()
            / (b - a) as f64
    };
    // 1000/s needs ⌈1000 / (200 × 0.7)⌉ = 8 instances: 1000/1600 = 62.5%.
    assert!((util(10, 85) - 0.625).abs() < 0.03, "{}", util(10, 85));
    // At 90 s the rate doubles; the decision at 120 s still sees [60, 120),
    // half of it old: 1500/s → ⌈1500/140⌉ = 11 instances; 2000/2200 = 91%
    // until 180 s, when it takes ⌈2000/140⌉ = 15: 2000/3000 = 66.7%.
    assert!(util(95, 118) > 0.97, "overloaded: {}", util(95, 118));
    assert!(
        (util(125, 178) - 2000.0 / 2200.0).abs() < 0.03,
        "{}",
        util(125, 178)
    );
    assert!(
        (util(185, 240) - 2000.0 / 3000.0).abs() < 0.03,
        "{}",
        util(185, 240)
    );
}

/// Zones (LANGUAGE.md §13): instance `i` lives in zone `i mod zones`, a
/// shard's primary in zone `shard mod zones` and its `r`-th replica in zone
/// `(shard + r) mod zones`.
const ZONED: &str = "
traffic { rate = 200/s  reads = 50% }
assumptions { hop_latency = 0s }
datacenter east { zones = 3 }
client users
lb front { replicas = 2  capacity = 10000/s }
service web { replicas = 4  capacity = 500/s  latency = 5ms }
database db { replicas = 2  capacity = 5000/s  latency = 2ms  failover = automatic  failover_time = 5s }
users -> front -> web -> db
scenario lose-a {
  duration = 40s
  at 20s fail east/a
}
scenario lose-b {
  duration = 40s
  at 20s fail east/b
}
";

#[test]
fn losing_a_zone_takes_its_instances_and_promotes_away_from_it() {
    let model = compile(ZONED);
    let web = node(&model, "web", Some("east"));
    let db = node(&model, "db", Some("east"));
    let front = node(&model, "front", Some("east"));

    // Zone a holds web's instances 0 and 3 (4 over 3 zones): 4 serve for
    // 20 s, 2 for 20 s, 3.0 on average. It holds db's primary (shard 0,
    // member 0): 3 members, then 2, 2.5 on average; writes fail until the
    // promotion 5 s on, and complete again after it.
    let r = scenario_run(&model, "lose-a", 1);
    let copy = |n: usize| r.copies.iter().find(|c| c.node == n).expect("copy");
    assert!(
        (copy(web).instances - 3.0).abs() < 0.05,
        "{}",
        copy(web).instances
    );
    assert!(
        (copy(db).instances - 2.5).abs() < 0.05,
        "{}",
        copy(db).instances
    );
    // front's 2 instances: zone a holds instance 0, so one is lost.
    assert!(
        (copy(front).instances - 1.5).abs() < 0.05,
        "{}",
        copy(front).instances
    );
    assert!(copy(db).errors > 0, "writes at the lost primary fail");
    let late: u64 = (30..39).map(|b| failed_in(&r, b)).sum();
    assert_eq!(late, 0, "after the promotion nothing fails");
    assert!((30..39).all(|b| completed_in(&r, b) > 150));

    // Zone b holds web's instance 1 and db's first replica only: the
    // primary stays, so no write waits for a promotion.
    let r = scenario_run(&model, "lose-b", 1);
    let copy = |n: usize| r.copies.iter().find(|c| c.node == n).expect("copy");
    assert!(
        (copy(web).instances - 3.5).abs() < 0.05,
        "{}",
        copy(web).instances
    );
    assert!(
        (copy(db).instances - 2.5).abs() < 0.05,
        "{}",
        copy(db).instances
    );
    let late: u64 = (25..39).map(|b| failed_in(&r, b)).sum();
    assert_eq!(late, 0);
}

/// A managed service is redundant across zones inside its provider: a
/// zone's loss takes none of it (as the estimator's zone-loss what-if has
/// it), while the service in front loses its instance in the zone.
#[test]
fn losing_a_zone_spares_a_managed_service() {
    let model = compile(
        "
traffic { rate = 200/s  reads = 50% }
datacenter east { zones = 2 }
client users
lb front { replicas = 2  capacity = 10000/s }
service web { replicas = 2  capacity = 500/s  latency = 5ms }
database kv { engine = dynamodb }
users -> front -> web -> kv
scenario lose-a {
  duration = 30s
  at 10s fail east/a
}
",
    );
    let kv = node(&model, "kv", Some("east"));
    let web = node(&model, "web", Some("east"));
    let r = scenario_run(&model, "lose-a", 1);
    let copy = |n: usize| r.copies.iter().find(|c| c.node == n).expect("copy");
    assert_eq!(copy(kv).errors, 0, "kv is not lost with zone a");
    // web: 2 for 10 s, 1 for 20 s.
    assert!(
        (copy(web).instances - 4.0 / 3.0).abs() < 0.05,
        "{}",
        copy(web).instances
    );
    let late: u64 = (15..29).map(|b| failed_in(&r, b)).sum();
    assert_eq!(late, 0, "the web instance left carries everything");
}

#[test]
fn zone_targets_are_checked_against_the_datacenter() {
    for (target, message) in [
        (
            "east/d",
            "`east` has no zone `d`: its 3 zones are `a` to `c`",
        ),
        ("west/a", "`west` is one zone: it declares no `zones`"),
        ("web/a", "no datacenter named `web`"),
        ("2 of east/a", "a zone is failed whole"),
    ] {
        let source = format!(
            "datacenter east {{ zones = 3 }}\ndatacenter west\nclient users\nservice web\nusers -> web\nscenario s {{\n  at 1s fail {target}\n}}\n"
        );
        let compiled = archc::compile(&source, &archc::BuildOptions::default());
        let d = compiled
            .diagnostics
            .iter()
            .find(|d| d.message.contains(message))
            .unwrap_or_else(|| panic!("{target}: {:?}", compiled.diagnostics));
        assert_eq!(
            archc::diagnostic::line_col(&source, d.primary.span.start).0,
            7,
            "{target}"
        );
    }
    let compiled = archc::compile(
        "datacenter east { zones = 27 }\nclient u\nservice web\nu -> web\n",
        &archc::BuildOptions::default(),
    );
    assert!(
        compiled
            .diagnostics
            .iter()
            .any(|d| d.message.contains("above the 26 zones")),
        "{:?}",
        compiled.diagnostics
    );
}
