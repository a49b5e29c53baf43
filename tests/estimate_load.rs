//! Load propagation (LANGUAGE.md §6, §9) against hand computations.
//!
//! Every expected number below is derived from the spec by hand; the
//! arithmetic is in the comment above it. Rates are averages per second
//! unless a test says "peak".

// Tests may unwrap: a panic is how they report a failure.
#![allow(clippy::unwrap_used)]

mod common;

use archc::estimate::shards::{KeyDist, Placement, ShardSpec, Sharding, place};
use archc::model::Class::{Read, Static, Write};
use common::{close, copy, edge, estimate, exact, mmc_response, node, rate};
use xxhash_rust::xxh64::xxh64;

/// The issue's worked example, from `examples/estimate-worked.arch`.
#[test]
fn worked_example() {
    let (m, e) = estimate(include_str!("../examples/estimate-worked.arch"));
    // rate 1000/s, static 25% → 250/s; dynamic 750/s: reads 80% → 600/s,
    // writes 150/s.
    exact(rate(&m, &e, "users", Static), 250.0, "static");
    exact(rate(&m, &e, "users", Read), 600.0, "read");
    exact(rate(&m, &e, "users", Write), 150.0, "write");
    // The CDN gets every static request and misses 10%: 25/s to media.
    exact(copy(&m, &e, "edge").avg_rps, 250.0, "edge");
    exact(copy(&m, &e, "media").avg_rps, 25.0, "media");
    exact(edge(&m, &e, "edge", "media")[0], 25.0, "edge -> media");
    // front and web carry the dynamic 750/s; at peak (2x) web has 1500/s
    // on 4 instances × k = ⌊500 × 0.02 + 0.5⌋ = 10 workers of μ = 50/s:
    // ρ = 1500 / (40 × 50) = 0.75.
    exact(copy(&m, &e, "front").avg_rps, 750.0, "front");
    let web = copy(&m, &e, "web");
    exact(web.avg_rps, 750.0, "web avg");
    exact(web.peak_rps, 1500.0, "web peak");
    assert_eq!((web.instances, web.workers), (4, 10));
    exact(web.service_time_s, 0.02, "web service time");
    exact(web.utilization, 0.75, "web utilisation");
    // The cache gets the 600/s of reads and sends 25% of them on: 150/s.
    exact(copy(&m, &e, "c").avg_rps, 600.0, "cache");
    exact(edge(&m, &e, "c", "db")[1], 150.0, "c -> db reads");
    // db: 150 reads + 150 writes = 300/s, 600/s at peak. The primary
    // takes the writes (150/s); each of the 2 replicas takes half the
    // reads (75/s) plus every write applied (150/s): 225/s, 450/s at peak.
    let db = copy(&m, &e, "db");
    exact(db.avg_rps, 300.0, "db avg");
    exact(db.peak_rps, 600.0, "db peak");
    let shard = &db.shards[0];
    exact(shard.primary.peak_rps, 300.0, "primary peak");
    exact(shard.replica.unwrap().peak_rps, 450.0, "replica peak");
    // Busiest instance: a replica at 450 / 2000 (default capacity).
    exact(db.utilization, 0.225, "db utilisation");
}

/// `users × per_user` and the static/read/write split.
#[test]
fn users_per_user_and_class_split() {
    let (m, e) = estimate(
        "traffic { users = 8.64M  per_user = 10/day  peak = 3x  static = 20%  reads = 75% }
         client u
         service s
         u -> s",
    );
    // 8.64M × 10/day ÷ 86,400 s = 1000/s. static 20% = 200/s; dynamic
    // 800/s: reads 75% = 600/s, writes 200/s. Peak 3x: 3000/s.
    let t = m.traffic.as_ref().unwrap();
    exact(t.rate, 1000.0, "rate");
    exact(rate(&m, &e, "s", Static), 200.0, "static");
    exact(rate(&m, &e, "s", Read), 600.0, "read");
    exact(rate(&m, &e, "s", Write), 200.0, "write");
    exact(copy(&m, &e, "s").peak_rps, 3000.0, "peak");
    // A `rate` gives the same without users.
    let (m2, e2) = estimate("traffic { rate = 2k/min }\nclient u\nservice s\nu -> s");
    // 2000 per minute = 33.33/s, all reads (reads default 100%).
    exact(rate(&m2, &e2, "s", Read), 2000.0 / 60.0, "rate per minute");
    exact(rate(&m2, &e2, "s", Write), 0.0, "no writes");
}

/// Client shares, given and defaulted.
#[test]
fn client_shares() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s }
         client mobile { share = 70% }
         client browser { share = 30% }
         service api
         service web
         mobile -> api
         browser -> web -> api",
    );
    // mobile sends 70% = 700/s straight to api; browser 300/s via web.
    exact(copy(&m, &e, "web").avg_rps, 300.0, "web");
    exact(copy(&m, &e, "api").avg_rps, 1000.0, "api: 700 + 300");
    exact(edge(&m, &e, "mobile", "api")[1], 700.0, "mobile -> api");
    // Without shares, three clients split traffic equally: 1000/3 each.
    let (m, e) = estimate(
        "traffic { rate = 1000/s }
         client a
         client b
         client c
         service x
         service y
         a -> x
         b -> x
         c -> y",
    );
    exact(copy(&m, &e, "x").avg_rps, 2000.0 / 3.0, "x");
    exact(copy(&m, &e, "y").avg_rps, 1000.0 / 3.0, "y");
}

/// A dns splits by datacenter weight, whatever its routing.
#[test]
fn dns_splits_by_weight() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s  reads = 80% }
         datacenter a { weight = 50% }
         datacenter b { weight = 30% }
         datacenter c { weight = 20% }
         client users
         dns geo { routing = latency }
         lb front
         users -> geo -> front",
    );
    // 1000/s × 50/30/20%; in a, reads 80% of 500 = 400, writes 100.
    exact(copy(&m, &e, "front@a").avg_rps, 500.0, "a");
    exact(copy(&m, &e, "front@b").avg_rps, 300.0, "b");
    exact(copy(&m, &e, "front@c").avg_rps, 200.0, "c");
    exact(rate(&m, &e, "front@a", Read), 400.0, "a reads");
    exact(rate(&m, &e, "front@a", Write), 100.0, "a writes");
    exact(
        edge(&m, &e, "geo", "front@b")[1],
        240.0,
        "geo -> b reads: 300 × 80%",
    );
}

/// A global component calling a regional one without dns (client → lb,
/// cdn → storage) fans out by weight too; weights default to equal.
#[test]
fn global_to_regional_edges_split_by_weight() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s  static = 40% }
         datacenter a { weight = 75% }
         datacenter b { weight = 25% }
         client users
         cdn assets { hit_ratio = 90% }
         storage media
         lb front
         users -> assets -> media [static]
         users -> front [read, write]",
    );
    // Dynamic 600/s: front@a 75% = 450, front@b 150.
    exact(copy(&m, &e, "front@a").avg_rps, 450.0, "front@a");
    exact(copy(&m, &e, "front@b").avg_rps, 150.0, "front@b");
    // Static 400/s, 10% misses = 40/s: media@a 30, media@b 10.
    exact(copy(&m, &e, "assets").avg_rps, 400.0, "cdn");
    exact(copy(&m, &e, "media@a").avg_rps, 30.0, "media@a");
    exact(copy(&m, &e, "media@b").avg_rps, 10.0, "media@b");

    let (m, e) = estimate(
        "traffic { rate = 900/s }
         datacenter a
         datacenter b
         datacenter c
         client users
         lb front
         users -> front",
    );
    // No weights: a third each, 300/s.
    for dc in ["a", "b", "c"] {
        exact(copy(&m, &e, &format!("front@{dc}")).avg_rps, 300.0, dc);
    }
}

/// A regional callee not placed in the caller's datacenter is called
/// across datacenters, split by the weights of the ones it is placed in,
/// adding `cross_dc_latency` to the hop.
#[test]
fn cross_datacenter_callee() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s }
         datacenter a { weight = 50% }
         datacenter b { weight = 30% }
         datacenter c { weight = 20% }
         client users
         dns geo
         service web { capacity = 1000000/s  latency = 10ms }
         service search { capacity = 1000000/s  latency = 10ms  datacenters = [a, b] }
         users -> geo -> web -> search",
    );
    // web@c (200/s) calls search in a and b by their weights 50:30:
    // 200 × 5/8 = 125 to a, 75 to b. search@a = 500 + 125 = 625,
    // search@b = 300 + 75 = 375, and search has no copy in c.
    exact(copy(&m, &e, "search@a").avg_rps, 625.0, "search@a");
    exact(copy(&m, &e, "search@b").avg_rps, 375.0, "search@b");
    assert!(
        m.copy_node(m.component_id("search").unwrap(), Some(2))
            .is_none()
    );
    exact(
        edge(&m, &e, "web@c", "search@a")[1],
        125.0,
        "web@c -> search@a",
    );
    let cross = m
        .graph
        .edge_indices()
        .filter(|i| m.graph[*i].cross_dc)
        .count();
    assert_eq!(cross, 2, "only web@c's two edges leave their datacenter");
    // Latency: k = 10^6 × 0.01 = 10,000 workers of exactly 10ms each at a
    // utilisation of 6e-4, so no request waits: every service responds in
    // 10ms. Hops: users→geo 0.5ms, geo→web 0.5ms, web→search 0.5ms for
    // the 80% from a and b and 60ms for the 20% from c:
    // 10 + 10 + 0.5 + 0.5 + 0.8 × 0.5 + 0.2 × 60 = 33.4ms.
    let read = e.class(Read).unwrap();
    close(read.mean_latency_s, 0.0334, 1e-9, "mean read latency");
    // The p99 estimate counts each component once: 2 × 10ms × ln 100 for
    // web and search (exponential service), plus one hop per flow edge,
    // the web→search edge at its worst, 60ms:
    // 2 × 46.0517ms + 0.5 + 0.5 + 60 = 153.103ms.
    close(
        read.p99_estimate_s,
        2.0 * 0.010 * 100f64.ln() + 0.061,
        1e-6,
        "p99 estimate",
    );
}

/// Every unshared matching edge is a separate call (fan-out).
#[test]
fn fan_out() {
    let (m, e) = estimate(
        "traffic { rate = 100/s  reads = 60% }
         client u
         service web
         service a
         service b
         database d
         u -> web
         web -> a [read]
         web -> b
         web -> d [write]
         a -> d [read]",
    );
    // reads 60/s, writes 40/s. a gets every read; b every request; d the
    // reads through a and the writes from web: 60 + 40.
    exact(copy(&m, &e, "web").avg_rps, 100.0, "web");
    exact(copy(&m, &e, "a").avg_rps, 60.0, "a");
    exact(copy(&m, &e, "b").avg_rps, 100.0, "b");
    exact(rate(&m, &e, "d", Read), 60.0, "d reads");
    exact(rate(&m, &e, "d", Write), 40.0, "d writes");
}

/// Shared edges are alternatives; a chain's share is on its first edge.
#[test]
fn shared_edges() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s  reads = 50% }
         client u
         service web
         service audit
         service x
         service y
         service z
         database db
         u -> web
         web -> audit [write 10%]
         web -> x -> y [write 30%]
         web -> z [read 25%]
         web -> db [write]",
    );
    // 500 writes/s. audit 10% = 50; x 30% = 150, and x sends all of its
    // 150 on to y (the share is on the chain's first edge only); db gets
    // every write (the unshared edge): 500. z gets 25% of 500 reads = 125.
    exact(copy(&m, &e, "audit").avg_rps, 50.0, "audit");
    exact(copy(&m, &e, "x").avg_rps, 150.0, "x");
    exact(copy(&m, &e, "y").avg_rps, 150.0, "y");
    exact(edge(&m, &e, "x", "y")[2], 150.0, "x -> y");
    exact(copy(&m, &e, "db").avg_rps, 500.0, "db");
    exact(copy(&m, &e, "z").avg_rps, 125.0, "z");
}

/// A cdn answers static hits; a cache answers read and static hits; writes
/// and the other classes pass; a database takes static like reads.
#[test]
fn cache_and_cdn_hits() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s  static = 30%  reads = 80% }
         client u
         cdn edge { hit_ratio = 90% }
         service web
         cache c { hit_ratio = 75% }
         database db
         u -> edge -> web
         web -> c -> db",
    );
    // static 300, read 560, write 140. The CDN passes 10% of static (30)
    // and every read and write: web gets 730.
    exact(copy(&m, &e, "edge").avg_rps, 1000.0, "cdn");
    exact(rate(&m, &e, "web", Static), 30.0, "web static");
    exact(copy(&m, &e, "web").avg_rps, 730.0, "web");
    // The cache misses 25% of static and reads (7.5, 140) and passes
    // every write (140): db gets 287.5/s.
    exact(copy(&m, &e, "c").avg_rps, 730.0, "cache");
    exact(rate(&m, &e, "db", Static), 7.5, "db static");
    exact(rate(&m, &e, "db", Read), 140.0, "db reads");
    exact(rate(&m, &e, "db", Write), 140.0, "db writes");
    // Static at a database is served like a read: with no replica, the
    // primary takes all 287.5/s.
    let db = copy(&m, &e, "db");
    exact(db.shards[0].primary.peak_rps, 287.5, "primary");
    let inflow = e.flows.db[node(&m, "db").index()];
    exact(inflow.reads_primary, 147.5, "reads incl. static");
}

/// A queue hands each message to its consumers (split evenly between
/// consuming services, in the queue's datacenter or across when a consumer
/// is placed elsewhere); their work and onward calls are asynchronous.
#[test]
fn queues_and_consumers() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s  reads = 80% }
         datacenter a { weight = 60% }
         datacenter b { weight = 40% }
         client u
         dns g
         service web
         queue jobs
         queue q2
         service w1 { consumes = jobs }
         service w2 { consumes = jobs }
         service solo { consumes = q2  datacenters = [a] }
         storage st { engine = minio }
         u -> g -> web
         web -> jobs [write 50%]
         web -> q2 [read 10%]
         w1 -> st [write]
         w2 -> st [write]",
    );
    // writes 200: a 120, b 80; half to jobs: jobs@a 60, jobs@b 40. Two
    // consuming services split each queue copy's messages: w1@a = w2@a =
    // 30, w1@b = w2@b = 20. st@a = 30 + 30 = 60, st@b = 40.
    exact(copy(&m, &e, "jobs@a").avg_rps, 60.0, "jobs@a");
    exact(copy(&m, &e, "jobs@b").avg_rps, 40.0, "jobs@b");
    for (n, want) in [
        ("w1@a", 30.0),
        ("w2@a", 30.0),
        ("w1@b", 20.0),
        ("w2@b", 20.0),
    ] {
        exact(copy(&m, &e, n).avg_rps, want, n);
        // Consumers' work is asynchronous: no request waits for it.
        exact(e.flows.sync[node(&m, n).index()][2], 0.0, "no sync load");
    }
    exact(copy(&m, &e, "st@a").avg_rps, 60.0, "st@a");
    exact(copy(&m, &e, "st@b").avg_rps, 40.0, "st@b");
    exact(
        e.flows.async_[node(&m, "st@a").index()][2],
        60.0,
        "st@a async",
    );
    // reads 800: a 480, b 320; 10% to q2: 48 and 32. solo exists only in
    // a and takes both: 80.
    exact(copy(&m, &e, "solo@a").avg_rps, 80.0, "solo@a");
    exact(edge(&m, &e, "q2@b", "solo@a")[1], 32.0, "q2@b -> solo@a");
    // The enqueue is part of the write's response; the rendering is not:
    // a write visits web and half the time jobs, never w1 or st.
    let write = e.class(Write).unwrap();
    assert!(write.mean_latency_s > 0.0);
}

/// Database roles: writes to the primary and applied on every replica;
/// reads per `read_from` or per `.replicas`/`.primary` edges.
#[test]
fn database_roles() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s  reads = 80% }
         client u
         service web
         database r { replicas = 2 }
         database p { replicas = 2  read_from = primary }
         database anyr { replicas = 3  read_from = any }
         database roles { replicas = 2 }
         database lone
         u -> web
         web -> r
         web -> p
         web -> anyr
         web -> roles.replicas [read]
         web -> roles.primary [read 25%]
         web -> roles [write]
         web -> lone.replicas [read]",
    );
    // reads 800/s, writes 200/s; peak = 1x so peak rates equal averages.
    let roles = |n: &str| {
        let s = &copy(&m, &e, n).shards[0];
        (s.primary.peak_rps, s.replica.map_or(0.0, |x| x.peak_rps))
    };
    // read_from = replicas: primary 200 (writes); replica 800/2 + 200.
    let (pr, rr) = roles("r");
    exact(pr, 200.0, "r primary");
    exact(rr, 600.0, "r replica");
    // read_from = primary: primary 800 + 200; each replica applies 200.
    let (pr, rr) = roles("p");
    exact(pr, 1000.0, "p primary");
    exact(rr, 200.0, "p replica");
    // read_from = any over 1 + 3 instances: 200 reads each, plus the 200
    // writes everywhere: 400 on every instance.
    let (pr, rr) = roles("anyr");
    exact(pr, 400.0, "any primary");
    exact(rr, 400.0, "any replica");
    // Addressed roles: every read to .replicas (400 each) and 25% of reads
    // (200) to .primary; writes 200 on the primary and on each replica:
    // primary 400, replica 600.
    let (pr, rr) = roles("roles");
    exact(pr, 400.0, "roles primary");
    exact(rr, 600.0, "roles replica");
    // `.replicas` of a database without replicas reaches the primary (§8).
    let (pr, _) = roles("lone");
    exact(pr, 800.0, "lone primary");
    // What the copy receives from flows, and its busiest instance.
    exact(copy(&m, &e, "roles").peak_rps, 1200.0, "roles receives");
    exact(
        copy(&m, &e, "roles").utilization,
        600.0 / 2000.0,
        "roles busiest",
    );
}

/// With `cross_dc`, every datacenter's copy also applies the writes the
/// other copies receive.
#[test]
fn cross_dc_applied_writes() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s  reads = 80% }
         datacenter a { weight = 60% }
         datacenter b { weight = 40% }
         client u
         dns g
         service web
         database db { replicas = 1  cross_dc = async }
         database local { replicas = 1 }
         u -> g -> web
         web -> db
         web -> local",
    );
    // a: reads 480, writes 120; b: reads 320, writes 80.
    let roles = |n: &str| {
        let s = &copy(&m, &e, n).shards[0];
        (s.primary.peak_rps, s.replica.unwrap().peak_rps)
    };
    // db replicates: each copy applies all 200 writes. db@a: primary 120
    // own + 80 applied = 200; replica 480 + 200 = 680.
    let (p, r) = roles("db@a");
    exact(p, 200.0, "db@a primary");
    exact(r, 680.0, "db@a replica");
    let (p, r) = roles("db@b");
    exact(p, 200.0, "db@b primary");
    exact(r, 520.0, "db@b replica: 320 + 200");
    // What a copy receives is still its own traffic: 600 and 400.
    exact(copy(&m, &e, "db@a").peak_rps, 600.0, "db@a receives");
    // Without cross_dc each copy applies only its own writes.
    let (p, r) = roles("local@a");
    exact(p, 120.0, "local@a primary");
    exact(r, 600.0, "local@a replica: 480 + 120");
}

// ─── Shards (§9), against direct loops over the keys ─────────────────────

/// The consistent-hash ring by its definition: 100 points per shard at
/// XXH64("shard-{i}-{j}"); a hash goes to the first point at or after it,
/// wrapping around.
fn ring(k: u32) -> Vec<(u64, usize)> {
    let mut r: Vec<(u64, usize)> = (0..k)
        .flat_map(|i| {
            (0..100).map(move |j| (xxh64(format!("shard-{i}-{j}").as_bytes(), 0), i as usize))
        })
        .collect();
    r.sort_unstable();
    r
}

fn on_ring(r: &[(u64, usize)], h: u64) -> usize {
    r.iter().find(|(p, _)| *p >= h).unwrap_or(&r[0]).1
}

/// Shares by a direct loop over every key: the distribution's mass of
/// each rank (scaled by what the hot keys leave), the hot keys' own shares,
/// dedicated keys on their own shards numbered after the K.
fn direct_shares(
    k: u32,
    sharding: Sharding,
    keys: KeyDist,
    n: u64,
    hot: &[(&str, f64)],
    dedicated: &[&str],
) -> Vec<f64> {
    let ring = ring(k);
    let route = |key: &str, rank: Option<u64>| -> usize {
        if let Some(d) = dedicated.iter().position(|x| *x == key) {
            return k as usize + d;
        }
        match sharding {
            Sharding::Hash => (xxh64(key.as_bytes(), 0) % u64::from(k)) as usize,
            Sharding::Consistent => on_ring(&ring, xxh64(key.as_bytes(), 0)),
            // K equal ranges of ranks; named keys rank before "1".
            Sharding::Range => rank.map_or(0, |r| ((r - 1) * u64::from(k) / n) as usize),
        }
    };
    let weight = |r: u64| match keys {
        KeyDist::Uniform => 1.0,
        KeyDist::Zipf(s) => (r as f64).powf(-s),
    };
    let norm: f64 = (1..=n).map(weight).sum();
    let hot_sum: f64 = hot.iter().map(|h| h.1).sum();
    let mut shares = vec![0.0; k as usize + dedicated.len()];
    for r in 1..=n {
        let name = r.to_string();
        shares[route(&name, Some(r))] += (1.0 - hot_sum) * weight(r) / norm;
    }
    for (key, share) in hot {
        let rank = key.parse::<u64>().ok().filter(|r| *r >= 1 && *r <= n);
        shares[route(key, rank)] += share;
    }
    shares
}

fn spec(
    k: u32,
    sharding: Sharding,
    keys: KeyDist,
    n: u64,
    hot: &[(&str, f64)],
    dedicated: &[&str],
) -> ShardSpec {
    ShardSpec {
        shards: k,
        sharding,
        keys,
        key_count: n,
        hot_keys: hot.iter().map(|(k, s)| (k.to_string(), *s)).collect(),
        dedicated: dedicated.iter().map(|s| s.to_string()).collect(),
    }
}

#[track_caller]
fn within_half_point(p: &Placement, want: &[f64], what: &str) {
    assert_eq!(p.shards.len(), want.len(), "{what}: shard count");
    for (s, w) in p.shards.iter().zip(want) {
        assert!(
            (s.share - w).abs() <= 0.005,
            "{what}: shard {} share {} vs direct loop {}",
            s.index,
            s.share,
            w
        );
    }
}

/// hash, consistent and range over uniform and zipf keys, including more
/// keys than are placed exactly (300,000 > 100,000).
#[test]
fn shard_shares_match_direct_loops() {
    let cases = [
        (4, Sharding::Hash, KeyDist::Uniform, 10_000),
        (8, Sharding::Consistent, KeyDist::Uniform, 10_000),
        (5, Sharding::Range, KeyDist::Uniform, 10_000),
        (8, Sharding::Hash, KeyDist::Zipf(1.1), 300_000),
        (8, Sharding::Consistent, KeyDist::Zipf(1.1), 300_000),
        (6, Sharding::Range, KeyDist::Zipf(0.9), 300_000),
    ];
    for (k, sharding, keys, n) in cases {
        let what = format!("{k} {sharding:?} {keys:?} {n}");
        let got = place(&spec(k, sharding, keys, n, &[], &[]));
        let want = direct_shares(k, sharding, keys, n, &[], &[]);
        within_half_point(&got, &want, &what);
        let total: f64 = got.shards.iter().map(|s| s.share).sum();
        close(total, 1.0, 1e-9, &format!("{what}: shares sum to 1"));
    }
}

/// Range over uniform keys is exact: 10,000 keys in 5 ranges of 2,000.
#[test]
fn range_sharding_by_hand() {
    let p = place(&spec(
        5,
        Sharding::Range,
        KeyDist::Uniform,
        10_000,
        &[("vip", 0.3)],
        &[],
    ));
    // "vip" ranks before "1", so it lands in the first range: 0.3 + 0.7/5
    // = 0.44; the others 0.7/5 = 0.14.
    exact(p.shards[0].share, 0.44, "range 0");
    for s in &p.shards[1..] {
        exact(s.share, 0.14, "other ranges");
    }
}

/// Hot keys and dedicated shards, including a dedicated key beyond the
/// exactly placed ranks.
#[test]
fn hot_keys_and_dedicated_shards() {
    let hot = [("taylor", 0.05), ("7", 0.02)];
    let dedicated = ["taylor", "1", "150000"];
    for sharding in [Sharding::Hash, Sharding::Consistent] {
        let s = spec(8, sharding, KeyDist::Zipf(1.1), 300_000, &hot, &dedicated);
        let got = place(&s);
        let want = direct_shares(8, sharding, KeyDist::Zipf(1.1), 300_000, &hot, &dedicated);
        within_half_point(&got, &want, &format!("{sharding:?}"));
        // Dedicated shards are numbered after the 8 hashed ones, in order.
        assert_eq!(got.shards[8].dedicated_key.as_deref(), Some("taylor"));
        assert_eq!(got.shards[9].dedicated_key.as_deref(), Some("1"));
        assert_eq!(got.shards[10].dedicated_key.as_deref(), Some("150000"));
        // "taylor" holds exactly its 5%.
        exact(got.shards[8].share, 0.05, "taylor's shard");
    }
}

/// A small design by hand: uniform keys, one hot key, one dedicated key,
/// through a `.arch` design, with the shard loads that follow.
#[test]
fn hot_key_in_a_design() {
    let (m, e) = estimate(
        r#"traffic { rate = 1000/s  reads = 100% }
           client u
           service web
           database db {
             shards = 4  shard_key = id  sharding = hash
             key_count = 1000  hot_keys = { "celebrity" = 20%, "vip" = 10% }
             dedicated = ["vip"]
           }
           u -> web -> db"#,
    );
    // The 1000 uniform keys share 70%: 0.07% each, so a hashed shard with
    // n of them has 0.0007 n, plus 20% on the shard "celebrity" hashes to;
    // "vip" has shard 4 to itself with 10%.
    let mut count = [0usize; 4];
    for r in 1..=1000u64 {
        count[(xxh64(r.to_string().as_bytes(), 0) % 4) as usize] += 1;
    }
    let celeb = (xxh64(b"celebrity", 0) % 4) as usize;
    let want: Vec<f64> = count
        .iter()
        .enumerate()
        .map(|(i, n)| 0.0007 * *n as f64 + if i == celeb { 0.2 } else { 0.0 })
        .collect();
    let db = copy(&m, &e, "db");
    assert_eq!(db.shards.len(), 5);
    for (shard, want) in db.shards.iter().zip(&want) {
        let i = shard.shard;
        exact(shard.share, *want, &format!("shard {i}"));
        // The shard's load is its share of the 1000 reads/s.
        exact(shard.peak_rps, 1000.0 * want, &format!("shard {i} load"));
    }
    exact(db.shards[4].share, 0.1, "vip's dedicated shard");
    assert_eq!(db.shards[4].dedicated_key.as_deref(), Some("vip"));
    // No replicas: the busiest instance is the hottest shard's primary.
    let hottest = want.iter().copied().fold(0.0, f64::max);
    exact(db.utilization, 1000.0 * hottest / 2000.0, "busiest shard");
    // Instances: 5 shards × 1 primary.
    assert_eq!(db.instances, 5);
}

/// The flagship's sharded database: the shard shares its comments quote.
#[test]
fn flagship_shards() {
    let (m, e) = estimate(include_str!("../examples/09-sharded-db.arch"));
    let db = copy(&m, &e, "photos@us-east");
    // The example's own arithmetic (a loop over 50M keys is too slow for
    // the default suite; the 300,000-key cases above check the method):
    // shard 2 17.7%, "taylor" 5.0%, "1" 10.7%.
    close(db.shards[2].share, 0.177, 0.003, "shard 2");
    exact(db.shards[8].share, 0.05, "taylor");
    close(db.shards[9].share, 0.107, 0.003, "rank 1");
    // Shard 2's replica in us-east: reads 750/s × 17.7% / 2 plus every
    // write of both datacenters (694.4/s) × 17.7%: 189.4/s of 1500.
    let s2 = &db.shards[2];
    let want = s2.share * (750.0 / 2.0 + 694.444_444);
    close(s2.replica.unwrap().peak_rps, want, 1e-6, "shard 2 replica");
    close(
        s2.replica.unwrap().utilization,
        want / 1500.0,
        1e-6,
        "shard 2 util",
    );
}

/// A call count (`x10`, LANGUAGE.md §13) makes each matching request that
/// many calls along the chain's first edge: the callee's rate, and all
/// below it, times ten; with a share, the share first and then the count.
#[test]
fn call_count_multiplies_downstream() {
    let (m, e) = estimate(
        "traffic { rate = 1000/s  reads = 80% }
         client users
         service fanout { capacity = 2000/s  latency = 5ms }
         service timelines { replicas = 4  capacity = 1000/s  latency = 2ms }
         database inbox { capacity = 4000/s  latency = 1ms }
         users -> fanout
         fanout -> timelines [write x10]
         fanout -> timelines [read 5% x3]
         timelines -> inbox [write]",
    );
    // reads 80% of 1000/s = 800/s, writes 200/s, all through fanout.
    exact(copy(&m, &e, "fanout").avg_rps, 1000.0, "fanout");
    // timelines: 200 writes × 10 calls = 2000/s; 800 reads × 5% × 3 calls
    // = 120/s.
    exact(rate(&m, &e, "timelines", Write), 2000.0, "timelines writes");
    exact(rate(&m, &e, "timelines", Read), 120.0, "timelines reads");
    exact(
        edge(&m, &e, "fanout", "timelines")[2],
        2000.0,
        "edge writes",
    );
    exact(edge(&m, &e, "fanout", "timelines")[1], 120.0, "edge reads");
    // Each of the 2000 write calls makes its one call to inbox.
    exact(copy(&m, &e, "inbox").avg_rps, 2000.0, "inbox");
    // Latency: the ten calls are made one after another (docs/simulator.md),
    // so a write spends ten times the hop, timelines and inbox figures.
    // fanout: k = ⌊2000 × 0.005 + 0.5⌋ = 10 workers of μ = 200/s, λ = 1000.
    // timelines: 4 × k = ⌊1000 × 0.002 + 0.5⌋ = 2 → 8 workers of μ = 500/s,
    // λ = 2120. inbox: k = ⌊4000 × 0.001 + 0.5⌋ = 4 workers of μ = 1000/s,
    // λ = 2000. hop_latency 0.5ms per edge.
    let (rf, rt, ri) = (
        mmc_response(1000.0, 200.0, 10),
        mmc_response(2120.0, 500.0, 8),
        mmc_response(2000.0, 1000.0, 4),
    );
    let hop = 0.0005;
    let class = |c| e.classes.iter().find(|x| x.class == c).unwrap();
    close(
        class(Write).mean_latency_s,
        hop + rf + 10.0 * (hop + rt + hop + ri),
        1e-9,
        "write mean",
    );
    // A read takes the 5% edge with its three calls 5% of the time.
    close(
        class(Read).mean_latency_s,
        hop + rf + 0.05 * 3.0 * (hop + rt),
        1e-9,
        "read mean",
    );
}

/// `all-shards` (§13): a read reaches every shard of the sharded callee,
/// each shard receiving the full read rate instead of its share of it,
/// and the read waits for the slowest shard.
#[test]
fn all_shards_reaches_every_shard() {
    let (m, e) = estimate(
        "traffic { rate = 100/s }
         client users
         service search { capacity = 100k/s  latency = 1ms }
         database index { shards = 4  shard_key = term  capacity = 200/s  latency = 5ms }
         database docs { shards = 4  shard_key = id  capacity = 200/s  latency = 5ms }
         users -> search
         search -> index [read all-shards]
         search -> docs [read]",
    );
    // 100 reads/s (reads default 100%, peak 1x). The copy receives each
    // read once; each of the 4 shards receives all of them.
    let index = copy(&m, &e, "index");
    exact(index.avg_rps, 100.0, "index copy");
    assert_eq!(index.shards.len(), 4);
    for s in &index.shards {
        exact(s.peak_rps, 100.0, "index shard");
        // One worker (k = ⌊200 × 0.005 + 0.5⌋ = 1) of μ = 200/s: ρ = 0.5.
        exact(s.primary.peak_rps, 100.0, "index primary");
        exact(s.utilization, 0.5, "index shard utilisation");
        // M/M/1 response 1 / (μ − λ) = 10ms.
        close(s.response_s, 0.01, 1e-9, "index shard response");
    }
    exact(index.utilization, 0.5, "index busiest");
    // The slowest of 4 independent exponential responses of rate 100/s:
    // mean H₄ / 100 = (1 + 1/2 + 1/3 + 1/4) / 100 = 20.83ms; its p99 t
    // solves (1 − e^(−100t))⁴ = 0.99.
    close(
        index.read_response_s,
        (25.0 / 12.0) / 100.0,
        1e-6,
        "scatter mean",
    );
    let p99 = -(1.0 - 0.99_f64.powf(0.25)).ln() / 100.0;
    close(index.read_p99_s, p99, 1e-6, "scatter p99");
    // A keyed read reaches one shard: the shards of docs share the 100/s.
    let docs = copy(&m, &e, "docs");
    let total: f64 = docs.shards.iter().map(|s| s.peak_rps).sum();
    close(total, 100.0, 1e-9, "docs shards sum");
    for s in &docs.shards {
        close(s.peak_rps, 100.0 * s.share, 1e-9, "docs shard");
    }
}
