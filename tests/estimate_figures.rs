//! The estimator's figures against independent truth: closed-form M/M/c
//! results through `.arch` designs, hand-computed availability, storage,
//! bandwidth and datacenter-loss figures. The arithmetic is in the
//! comments.

// Tests may unwrap: a panic is how they report a failure.
#![allow(clippy::unwrap_used)]

mod common;

use archc::model::Class::{Read, Static, Write};
use common::{close, copy, erlang_c, estimate, exact, mmc_response};

// ─── Queueing through designs (§7) ───────────────────────────────────────

/// The three-tier chain: an open Jackson network whose mean is the
/// sum of three M/M/n response times, 13.34 s.
#[test]
fn three_tier_chain() {
    let (m, e) = estimate(include_str!("../examples/three-tier-chain.arch"));
    // k = ⌊C·L + 0.5⌋ = 1 everywhere, so μ = C and each tier is M/M/n at
    // λ = 1: front (μ 0.3125, n 4), middle (0.714286, 2), back (0.208333,
    // 8). Hops are 0s.
    let want = mmc_response(1.0, 0.3125, 4)
        + mmc_response(1.0, 0.714286, 2)
        + mmc_response(1.0, 0.208333, 8);
    let got = e.class(Read).unwrap().mean_latency_s;
    close(got, want, 1e-9, "sum of the tiers");
    close(got, 13.34, 0.001, "the issue's 13.34 s");
    for (name, mu, n) in [
        ("front", 0.3125, 4),
        ("middle", 0.714286, 2),
        ("back", 0.208333, 8),
    ] {
        let c = copy(&m, &e, name);
        assert_eq!((c.instances, c.workers), (n as u32, 1), "{name}");
        close(c.response_s, mmc_response(1.0, mu, n), 1e-9, name);
    }
}

/// One service whose copy is the M/M/c station (λ, μ, c), behind a client
/// with free hops: the class's mean latency is W.
fn station_design(rate: &str, replicas: u32, capacity: &str, latency: &str) -> String {
    format!(
        "traffic {{ rate = {rate} }}
         assumptions {{ hop_latency = 0s }}
         client u
         service s {{ replicas = {replicas}  capacity = {capacity}  latency = {latency} }}
         u -> s"
    )
}

/// The closed-form cases, (λ, μ, c) → Wq, W, to 0.1%.
#[test]
fn closed_form_mmc_designs() {
    // (2, 1, 3): one instance of capacity 3/s and latency 1s has k = 3
    // workers of mean 1s: M/M/3 at λ = 2. Wq 0.4444, W 1.444.
    // (1000, 100, 12): 3 instances of capacity 400/s, latency 10ms:
    // k = 4 each, 12 servers of μ = 100. Wq 0.002247, W 0.01225.
    // (0.35, 0.1, 4): 4 instances of capacity 0.1/s, latency 10s: k = 1.
    // Wq 14.76, W 24.76.
    let cases = [
        ("2/s", 1, "3/s", "1s", 0.4444, 1.444),
        ("1000/s", 3, "400/s", "10ms", 0.002247, 0.01225),
        ("0.35/s", 4, "0.1/s", "10s", 14.76, 24.76),
    ];
    for (rate, n, cap, lat, wq, w) in cases {
        let (m, e) = estimate(&station_design(rate, n, cap, lat));
        let s = copy(&m, &e, "s");
        let what = format!("λ {rate}, {n} × {cap} × {lat}");
        close(s.wait_s, wq, 0.001, &format!("{what}: Wq"));
        close(s.response_s, w, 0.001, &format!("{what}: W"));
        close(e.class(Read).unwrap().mean_latency_s, w, 0.001, &what);
    }
}

/// Ten thousand servers in one copy (100 instances × k = 100) at 95%:
/// the estimator's Erlang C against the log-space textbook sum.
#[test]
fn ten_thousand_servers() {
    let (m, e) = estimate(&station_design("950k/s", 100, "10000/s", "10ms"));
    let s = copy(&m, &e, "s");
    assert_eq!(s.workers, 100);
    // λ = 950,000/s, μ = 100/s, c = 10,000: Wq = C / (cμ − λ).
    let c = erlang_c(950_000.0, 100.0, 10_000);
    assert!(
        c > 1e-12 && c < 1.0,
        "a meaningful waiting probability: {c}"
    );
    close(s.wait_s, c / 50_000.0, 1e-9, "Wq");
    close(s.response_s, c / 50_000.0 + 0.01, 1e-12, "W");
    exact(s.utilization, 0.95, "ρ");
}

/// Autoscale: the smallest count in range at or under the target (§7).
#[test]
fn autoscale_counts() {
    let design = |rate: &str| {
        format!(
            "traffic {{ rate = {rate} }}
             client u
             service web {{ autoscale = 2..10  capacity = 100/s  latency = 10ms }}
             u -> web"
        )
    };
    // 350/s at a 70% target: n ≥ 350 / (0.7 × 100) = 5 → 5 at exactly 70%.
    let (m, e) = estimate(&design("350/s"));
    let web = copy(&m, &e, "web");
    assert_eq!((web.instances, web.max_not_enough), (5, false));
    exact(web.utilization, 0.7, "at the target");
    exact(web.utilization_at_max, 0.35, "350 / (10 × 100)");
    // 10/s: the minimum, 2.
    let (m, e) = estimate(&design("10/s"));
    assert_eq!(copy(&m, &e, "web").instances, 2);
    // 1200/s needs 18 > 10: the max, flagged, and overloaded (ρ = 1.2):
    // no finite wait.
    let (m, e) = estimate(&design("1200/s"));
    let web = copy(&m, &e, "web");
    assert_eq!((web.instances, web.max_not_enough), (10, true));
    exact(web.utilization, 1.2, "overloaded");
    assert!(web.wait_s.is_infinite() && web.response_s.is_infinite());
}

// ─── Availability (RULES.md slo-availability, §8) ────────────────────────

/// A chain of single instances at the default 99.9% multiplies.
#[test]
fn availability_single_chain() {
    let (_, e) = estimate(
        "traffic { rate = 100/s  reads = 50% }
         client u
         lb f
         service w
         database d
         u -> f -> w -> d",
    );
    // 0.999³ for reads and writes alike (one primary, no replica).
    let want = 0.999f64.powi(3);
    exact(e.class(Read).unwrap().availability, want, "read");
    exact(e.class(Write).unwrap().availability, want, "write");
    exact(e.availability, want, "overall");
}

/// Redundant copies are up when one instance is; a database shard serves
/// reads on any instance and writes on the primary, or on a promoted
/// replica with automatic failover.
#[test]
fn availability_replicas_and_database_roles() {
    let design = |failover: &str| {
        format!(
            "traffic {{ rate = 100/s  reads = 75% }}
             client u
             lb f {{ replicas = 2  availability = 99% }}
             service w {{ autoscale = 3..6  availability = 99% }}
             database d {{ replicas = 1  failover = {failover}  availability = 99% }}
             u -> f -> w -> d"
        )
    };
    // lb: 1 − 0.01² = 0.9999; web (autoscale counts its min, 3):
    // 1 − 0.01³ = 0.999999; db reads: 1 − 0.01² = 0.9999.
    let path = 0.9999 * 0.999_999;
    let (_, e) = estimate(&design("automatic"));
    exact(e.class(Read).unwrap().availability, path * 0.9999, "read");
    // Automatic failover: writes survive the primary too.
    exact(
        e.class(Write).unwrap().availability,
        path * 0.9999,
        "write, automatic",
    );
    // Manual failover counts as none: writes need the primary, 0.99.
    let (_, e) = estimate(&design("manual"));
    exact(
        e.class(Read).unwrap().availability,
        path * 0.9999,
        "read, manual",
    );
    exact(
        e.class(Write).unwrap().availability,
        path * 0.99,
        "write, manual",
    );
    // Classes weighted by traffic: 75% reads, 25% writes.
    exact(
        e.availability,
        0.75 * path * 0.9999 + 0.25 * path * 0.99,
        "overall",
    );
}

/// A failed cache fails its requests; its misses also need what is behind.
#[test]
fn availability_cache() {
    let (_, e) = estimate(
        "traffic { rate = 100/s  reads = 50% }
         client u
         cache c { hit_ratio = 80%  availability = 99% }
         database db { availability = 99% }
         u -> c -> db",
    );
    // read: 0.99 × (0.8 + 0.2 × 0.99) = 0.98802; a write passes through
    // the cache to the database: 0.99 × 0.99 = 0.9801.
    exact(
        e.class(Read).unwrap().availability,
        0.99 * (0.8 + 0.2 * 0.99),
        "read",
    );
    exact(e.class(Write).unwrap().availability, 0.99 * 0.99, "write");
}

/// A CDN with `fallback = origin` lets static requests reach the origin
/// when it fails; without it, a CDN outage fails them.
#[test]
fn availability_cdn_fallback() {
    let design = |fallback: &str| {
        format!(
            "traffic {{ rate = 100/s  static = 100% }}
             client u
             cdn e {{ hit_ratio = 90%  fallback = {fallback}  availability = 99% }}
             storage s {{ availability = 99.5% }}
             u -> e -> s"
        )
    };
    // Up: 0.99 × (0.9 + 0.1 × 0.995) = 0.989505; down, straight to the
    // origin: 0.01 × 0.995 = 0.00995. With fallback: 0.999455.
    let (_, e) = estimate(&design("origin"));
    exact(e.class(Static).unwrap().availability, 0.999_455, "fallback");
    let (_, e) = estimate(&design("none"));
    exact(
        e.class(Static).unwrap().availability,
        0.989_505,
        "no fallback",
    );
}

/// Managed services default to 99.99%; a shared edge counts with its share.
#[test]
fn availability_managed_and_shared() {
    let (_, e) = estimate(
        "traffic { rate = 100/s  reads = 0% }
         client u
         dns g
         service w { availability = 99% }
         service x { availability = 90% }
         queue q { engine = sqs }
         service c { consumes = q }
         u -> g -> w
         w -> x [write 10%]
         w -> q",
    );
    // dns 0.9999 × web 0.99 × (10% of writes need x at 0.9: 0.1 × 0.9 +
    // 0.9 = 0.99) × sqs 0.9999 (its consumer does not count: the queue
    // answers at once).
    exact(
        e.class(Write).unwrap().availability,
        0.9999 * 0.99 * 0.99 * 0.9999,
        "write",
    );
}

/// Two datacenters: in parallel when §8's failover conditions hold
/// (dns fails over, every component in both, every stateful component —
/// the session store included — replicated across), else weighted.
#[test]
fn availability_datacenters_parallel_or_weighted() {
    let design = |db_sync: &str, sess_sync: &str, dns_failover: &str| {
        format!(
            "traffic {{ rate = 100/s  reads = 50% }}
             datacenter a {{ weight = 60% }}
             datacenter b {{ weight = 40% }}
             client u
             dns g {{ failover = {dns_failover} }}
             service web {{ availability = 99%  session = sess }}
             cache sess {{ availability = 99.5%  cross_dc = {sess_sync} }}
             database db {{ availability = 98%  cross_dc = {db_sync} }}
             u -> g -> web
             web -> sess
             web -> db"
        )
    };
    // One datacenter's path: web 0.99 × sess 0.995 (a session store answers
    // everything itself) × db 0.98 = 0.965349.
    let r = 0.99 * 0.995 * 0.98;
    // Parallel: dns 0.9999 × (1 − (1 − 0.965349)²) = 0.9999 × 0.998799.
    let parallel = 0.9999 * (1.0 - (1.0 - r) * (1.0 - r));
    // Weighted: 0.6 × 0.9999 r + 0.4 × 0.9999 r = 0.9999 × 0.965349.
    let weighted = 0.9999 * r;
    let (m, e) = estimate(&design("async", "async", "true"));
    exact(
        e.class(Read).unwrap().availability,
        parallel,
        "parallel read",
    );
    exact(
        e.class(Write).unwrap().availability,
        parallel,
        "parallel write",
    );
    let check = archc::estimate::availability::failover_check(&m, &e, Read);
    assert!(check.ok);
    for (db, sess, dns, why) in [
        ("none", "async", "true", "database not replicated"),
        ("async", "none", "true", "session store not replicated"),
        ("async", "async", "false", "dns does not fail over"),
    ] {
        let (m, e) = estimate(&design(db, sess, dns));
        exact(e.class(Read).unwrap().availability, weighted, why);
        assert!(
            !archc::estimate::availability::failover_check(&m, &e, Read).ok,
            "{why}"
        );
    }
}

// ─── Storage and bandwidth ───────────────────────────────────────────────

#[test]
fn storage_per_day_and_retention() {
    let (_, e) = estimate(
        "traffic { rate = 100/s  reads = 90%  write_size = 2KB  retention = 30d }
         client u
         service web
         database db { replicas = 2 }
         storage files { engine = minio  replicas = 3 }
         u -> web -> db
         web -> files [write 50%]",
    );
    // db: 10 writes/s × 86,400 s × 2,000 B × (1 + 2) = 5.184 GB/day;
    // kept 30 days: 155.52 GB.
    let db = e.storage.iter().find(|s| s.component == "db").unwrap();
    exact(db.bytes_per_day, 5.184e9, "db per day");
    exact(db.bytes_retained.unwrap(), 155.52e9, "db retained");
    // files: 5 writes/s × 86,400 × 2,000 = 0.864 GB/day, stored once per
    // copy (object storage replicates inside the copy).
    let files = e.storage.iter().find(|s| s.component == "files").unwrap();
    exact(files.bytes_per_day, 0.864e9, "files per day");
    exact(e.storage_bytes_per_day, 6.048e9, "total");
    exact(
        e.storage_bytes_retained.unwrap(),
        181.44e9,
        "total retained",
    );
}

#[test]
fn storage_per_shard_and_across_datacenters() {
    let (_, e) = estimate(
        "traffic { rate = 1000/s  reads = 80% }
         datacenter a { weight = 75% }
         datacenter b { weight = 25% }
         client u
         dns g
         service web
         database db { replicas = 1  shards = 4  shard_key = id  key_count = 1000  cross_dc = async }
         database local
         u -> g -> web -> db
         web -> local [write]",
    );
    // 200 writes/s: a 150, b 50. db replicates across datacenters, so each
    // copy stores all 200: 200 × 86,400 × 1,000 B × 2 = 34.56 GB/day per
    // copy, split over the shards by share.
    let db_a: Vec<_> = e
        .storage
        .iter()
        .filter(|s| s.component == "db" && s.datacenter.as_deref() == Some("a"))
        .collect();
    assert_eq!(db_a.len(), 4, "one row per shard");
    let total: f64 = db_a.iter().map(|s| s.bytes_per_day).sum();
    exact(total, 34.56e9, "db@a");
    // local keeps its own writes: a 150 × 86,400 × 1,000 = 12.96 GB/day.
    let local_a = e
        .storage
        .iter()
        .find(|s| s.component == "local" && s.datacenter.as_deref() == Some("a"))
        .unwrap();
    exact(local_a.bytes_per_day, 12.96e9, "local@a");
    // No retention: nothing retained is claimed.
    assert!(e.storage_bytes_retained.is_none());
}

#[test]
fn storage_uses_a_database_record_size_and_a_queue_backlog() {
    let (_, e) = estimate(
        "traffic { rate = 300/s  reads = 50%  write_size = 2KB  retention = 30d }
         client u
         service web { replicas = 2  capacity = 1000/s }
         queue jobs { max_backlog = 1M }
         queue mail
         service workers { replicas = 1  capacity = 100/s  consumes = jobs }
         service senders { replicas = 2  capacity = 100/s  consumes = mail }
         database db { replicas = 1  record_size = 500B }
         database logs
         u -> web -> db
         web -> logs [write]
         web -> jobs [write]
         web -> mail [write 10%]",
    );
    // 150 writes/s. db writes its own record size: 150 × 86,400 × 500 B ×
    // (1 + 1) = 12.96 GB/day; logs has none, so write_size: 150 × 86,400 ×
    // 2,000 = 25.92 GB/day.
    let row = |name: &str| e.storage.iter().find(|s| s.component == name);
    exact(row("db").unwrap().bytes_per_day, 12.96e9, "db per day");
    exact(row("db").unwrap().record_bytes, 500.0, "db record");
    assert!(!row("db").unwrap().assumed);
    exact(row("logs").unwrap().bytes_per_day, 25.92e9, "logs per day");
    // jobs: 150 messages/s against a drain of 1 × 100/s grows by 50/s:
    // 50 × 86,400 × 2,000 = 8.64 GB/day; 30 days would be 259.2 GB, capped
    // at max_backlog 1M × 2,000 B = 2 GB.
    let jobs = row("jobs").unwrap();
    exact(jobs.backlog_growth_per_s.unwrap(), 50.0, "jobs growth");
    exact(jobs.bytes_per_day, 8.64e9, "jobs per day");
    exact(jobs.bytes_retained.unwrap(), 2e9, "jobs retained");
    // mail: 15/s against a drain of 200/s keeps up and stores nothing.
    assert!(row("mail").is_none(), "a queue that keeps up holds no data");
    exact(
        e.storage_bytes_per_day,
        (12.96 + 25.92 + 8.64) * 1e9,
        "total",
    );
    exact(
        e.storage_bytes_retained.unwrap(),
        (12.96 + 25.92) * 30e9 + 2e9,
        "total retained",
    );
}

#[test]
fn bandwidth_from_cdn_and_origin() {
    let (_, e) = estimate(
        "traffic { rate = 1000/s  peak = 2x  static = 40%  payload = 10KB }
         client u
         cdn edge { hit_ratio = 90% }
         storage media
         service web
         u -> edge -> media [static]
         u -> web [read, write]",
    );
    // CDN hits: 400 × 90% = 360/s, 720/s at peak, × 10 KB = 7.2 MB/s.
    // The origin serves the rest: (1000 − 360) × 2 × 10 KB = 12.8 MB/s.
    let b = e.bandwidth.as_ref().unwrap();
    exact(b.cdn_bytes_per_s, 7.2e6, "cdn");
    exact(b.origin_bytes_per_s, 12.8e6, "origin");
}

// ─── Losing a datacenter ─────────────────────────────────────────────────

#[test]
fn datacenter_loss() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s  peak = 2x }
         datacenter a { weight = 50% }
         datacenter b { weight = 30% }
         datacenter c { weight = 20% }
         client u
         dns g
         service web { autoscale = 2..10  capacity = 300/s }
         u -> g -> web",
    );
    let web = |dc: &str| common::node(&m, &format!("web@{dc}")).index();
    // Normally web@a carries 2000 × 50% = 1000/s at peak: 1000 / (10 ×
    // 300) = 33.3% at its largest count.
    exact(
        copy(&m, &e, "web@a").utilization_at_max,
        1000.0 / 3000.0,
        "a",
    );
    // Losing a, its 50% goes to b and c in proportion 30:20: b carries
    // 60% = 1200/s (40% at max), c 40% = 800/s; a carries nothing.
    let lost_a = &e.dc_loss[0];
    assert_eq!(m.datacenters[lost_a.datacenter].name, "a");
    exact(lost_a.peak_rps[web("b")], 1200.0, "b after losing a");
    exact(lost_a.peak_rps[web("c")], 800.0, "c after losing a");
    exact(lost_a.peak_rps[web("a")], 0.0, "a is gone");
    exact(lost_a.utilization_at_max[web("b")], 0.4, "b at max");
    // Losing c: a gets 50/80 = 62.5% = 1250/s, 41.7% at max.
    let lost_c = &e.dc_loss[2];
    exact(lost_c.peak_rps[web("a")], 1250.0, "a after losing c");
    exact(
        lost_c.utilization_at_max[web("a")],
        1250.0 / 3000.0,
        "a at max",
    );
}

// ─── Losing a zone ───────────────────────────────────────────────────────

/// The figures of one copy with one zone lost.
fn zone_fig<'a>(
    m: &archc::model::Model,
    e: &'a archc::estimate::Estimate,
    zone: &str,
    copy: &str,
) -> &'a archc::estimate::zones::ZoneCopy {
    let node = common::node(m, copy);
    let loss = e
        .zone_loss
        .iter()
        .find(|l| m.datacenters[l.datacenter].zone_name(l.zone) == zone)
        .unwrap_or_else(|| panic!("no zone loss for `{zone}`"));
    loss.copies
        .iter()
        .find(|f| f.node == node)
        .unwrap_or_else(|| panic!("`{copy}` not in the loss of `{zone}`"))
}

/// tests/fixtures/estimate/zones.arch: instances spread `i mod zones`, the
/// load stays in the datacenter, a single instance goes down with zone a,
/// autoscaled copies refill only the slots outside the zone.
#[test]
fn zone_loss_of_services_and_a_single_instance() {
    let src = std::fs::read_to_string("tests/fixtures/estimate/zones.arch").unwrap();
    let (m, e) = estimate(&src);
    // Only east has zones: three losses, a to c.
    let names: Vec<String> = e
        .zone_loss
        .iter()
        .map(|l| m.datacenters[l.datacenter].zone_name(l.zone))
        .collect();
    assert_eq!(names, ["east/a", "east/b", "east/c"]);
    // web@east: 500/s at peak over 5 × 200/s. Zone a holds instances 0
    // and 3: 3 left serve 600/s, 83.3%. Zone c holds instance 2 only: 4
    // left serve 800/s, 62.5%.
    let a = zone_fig(&m, &e, "east/a", "web@east");
    assert_eq!((a.instances, a.instances_left), (5, 3));
    exact(a.capacity_rps.unwrap(), 600.0, "web left after a");
    exact(a.utilization, 500.0 / 600.0, "web after a");
    exact(
        a.utilization_at_max,
        500.0 / 600.0,
        "web fixed: at max the same",
    );
    let c = zone_fig(&m, &e, "east/c", "web@east");
    assert_eq!(c.instances_left, 4);
    exact(c.utilization, 500.0 / 800.0, "web after c");
    // api@east autoscales 2..6 and runs 2 (500/s at 400/s, 62.5% under the
    // 70% target). Zone a takes instance 0: the one left is at 125% until
    // the autoscaler refills the slots outside a, 4 of 6 (1, 2, 4, 5):
    // 500 / 1600 = 31.25%.
    let api = zone_fig(&m, &e, "east/a", "api@east");
    assert_eq!((api.instances, api.instances_left), (2, 1));
    exact(api.utilization, 500.0 / 400.0, "api right after a");
    exact(api.utilization_at_max, 500.0 / 1600.0, "api refilled");
    // hot@east has one instance, in zone a: down with it, up with b.
    assert!(zone_fig(&m, &e, "east/a", "hot@east").down());
    assert!(!zone_fig(&m, &e, "east/b", "hot@east").down());
    // orders@east: 3 shards × (primary + 1 replica), shard s's primary in
    // zone s and its replica in zone s + 1. Zone a takes shard 0's primary
    // (promoted: its replica in b) and shard 2's replica. Each member
    // applies 1/3 of both datacenters' writes (cross_dc): 200/s × 1/3 at
    // peak; reads go to the replicas: the cache passes half of east's 400/s
    // at peak, 1/3 each. The promoted primary and shard 2's primary serve
    // both, 133.3/s of 1000/s: 13.3%, as a replica did before.
    let o = zone_fig(&m, &e, "east/a", "orders@east");
    assert_eq!((o.instances, o.instances_left), (6, 4));
    assert_eq!((o.shards_promoted, o.shards_without_primary), (1, 0));
    close(o.utilization, 400.0 / 3.0 / 1000.0, 1e-3, "orders busiest");
}

/// Database members after a zone loss: reads for any member spread over
/// the members left, a lost primary is promoted away only with automatic
/// failover.
#[test]
fn zone_loss_of_database_members() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s  reads = 60% }
         datacenter east { zones = 3 }
         client u
         service app { replicas = 3  capacity = 1000/s }
         database main { replicas = 2  read_from = any  capacity = 2000/s }
         database logs { replicas = 1  failover = none  capacity = 2000/s }
         u -> app -> main
         app -> logs [write]",
    );
    // main: every member applies the 400/s of writes and takes a third of
    // the 600/s of reads: 600 / 2000 = 30%. Losing zone a (the primary) a
    // replica is promoted and the two left share the reads: 400 + 300 =
    // 700/s, 35%.
    exact(copy(&m, &e, "main@east").utilization, 0.3, "main normally");
    let a = zone_fig(&m, &e, "east/a", "main@east");
    assert_eq!((a.instances_left, a.shards_promoted), (2, 1));
    exact(a.utilization, 0.35, "main after a");
    exact(a.capacity_rps.unwrap(), 4000.0, "two members left");
    // Losing zone b (a replica) needs no promotion and costs the same.
    let b = zone_fig(&m, &e, "east/b", "main@east");
    assert_eq!((b.instances_left, b.shards_promoted), (2, 0));
    exact(b.utilization, 0.35, "main after b");
    // logs: failover = none, so losing zone a leaves its one shard without
    // a primary; the replica in b still applies 400/s, 20%.
    let l = zone_fig(&m, &e, "east/a", "logs@east");
    assert_eq!((l.instances_left, l.shards_without_primary), (1, 1));
    exact(l.utilization, 0.2, "logs replica");
    assert_eq!(
        zone_fig(&m, &e, "east/c", "logs@east").shards_without_primary,
        0
    );
    // app: 3 instances, one per zone: any zone leaves 2, 50%.
    exact(
        zone_fig(&m, &e, "east/b", "app@east").utilization,
        0.5,
        "app",
    );
}

/// No zone-loss figures without zones, nor for a managed service, which
/// is redundant across zones inside its provider.
#[test]
fn zone_loss_needs_zones_and_skips_managed() {
    let (_, e) = estimate(
        "traffic { rate = 100/s }
         datacenter east { }
         client u
         service app { replicas = 2 }
         u -> app",
    );
    assert!(e.zone_loss.is_empty());
    let (m, e) = estimate(
        "traffic { rate = 100/s }
         datacenter east { zones = 2 }
         client u
         service app { replicas = 2 }
         database kv { engine = dynamodb }
         u -> app -> kv",
    );
    assert_eq!(e.zone_loss.len(), 2);
    let kv = common::node(&m, "kv@east");
    assert!(
        e.zone_loss
            .iter()
            .all(|l| l.copies.iter().all(|f| f.node != kv))
    );
}
