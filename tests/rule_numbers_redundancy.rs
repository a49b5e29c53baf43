#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The numbers in the messages of the redundancy, state and network rules
//! (and `dc-data-sync`), checked against hand computations written out
//! beside each assertion.
//!
//! Most designs here use `traffic { rate = 1000/s  peak = 2x  reads = 90% }`:
//! 1000/s on average, 2000/s at peak, of which reads are 90% (1800/s at
//! peak) and writes 10% (200/s at peak), no static requests.

use archc::diagnostic::Diagnostic;
use archc::rules::config::Config;

const TRAFFIC: &str = "traffic { rate = 1000/s  peak = 2x  reads = 90% }\n";

fn check(source: &str) -> Vec<Diagnostic> {
    let options = archc::BuildOptions {
        default_name: "numbers".into(),
        ..Default::default()
    };
    let compiled = archc::check(source, &options, &Config::default(), "2026-11-20");
    assert!(compiled.model.is_some(), "{:#?}", compiled.diagnostics);
    compiled.diagnostics
}

/// The messages of one rule, in output order.
fn messages(source: &str, rule: &str) -> Vec<String> {
    check(source)
        .into_iter()
        .filter(|d| d.rule == rule)
        .map(|d| d.message)
        .collect()
}

fn only(source: &str, rule: &str) -> String {
    let m = messages(source, rule);
    assert_eq!(m.len(), 1, "{rule}: {m:#?}");
    m.into_iter().next().unwrap()
}

// ── spof ────────────────────────────────────────────────────────────────

#[test]
fn spof_single_database_fails_every_dynamic_request() {
    // Every read and write reaches `photos`: 1800 + 200 = 2000/s at peak,
    // all of the traffic.
    let src = format!(
        "{TRAFFIC}client c\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 2  capacity = 5000/s }}\ndatabase photos {{ capacity = 5000/s }}\nc -> front -> web -> photos\n"
    );
    assert_eq!(
        only(&src, "spof"),
        "losing the one instance of `photos` fails 100% of reads and writes (2000.0/s at peak), 100% of traffic"
    );
}

#[test]
fn spof_on_a_shared_route_fails_that_share() {
    // One write in ten goes to the queue: 200/s × 10% = 20/s at peak, 10%
    // of writes, 20 / 2000 = 1% of traffic.
    let src = format!(
        "{TRAFFIC}client c\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 2  capacity = 5000/s }}\ndatabase photos {{ replicas = 1  capacity = 5000/s }}\nqueue jobs\nservice workers {{ replicas = 2  consumes = jobs }}\nc -> front -> web -> photos\nweb -> jobs [write 10%]\n"
    );
    assert_eq!(
        only(&src, "spof"),
        "losing the one instance of `jobs` fails 10% of writes (20.0/s at peak), 1% of traffic"
    );
}

#[test]
fn spof_on_two_alternatives_counts_each_share() {
    // Reads split 30% to `a` and 70% to `b`, both calling the single
    // `store`: every read reaches the store once, through one alternative
    // or the other — 1800/s at peak, not more.
    let src = format!(
        "{TRAFFIC}client c\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 2  capacity = 5000/s }}\nservice a {{ replicas = 2  capacity = 5000/s }}\nservice b {{ replicas = 2  capacity = 5000/s }}\ndatabase store {{ capacity = 5000/s }}\nc -> front -> web\nweb -> a -> store [read 30%]\nweb -> b -> store [read 70%]\n"
    );
    assert_eq!(
        only(&src, "spof"),
        "losing the one instance of `store` fails 100% of reads (1800.0/s at peak), 90% of traffic"
    );
}

#[test]
fn spof_reached_twice_by_fan_out_fails_each_request_once() {
    // Every read calls both `a` and `b` (fan-out), and each calls `store`:
    // the store receives 2 × 1800 = 3600 calls/s at peak, but a read fails
    // once. Its dominator `web` carries 1800/s, which caps the figure: 100%
    // of reads, 1800/s.
    let src = format!(
        "{TRAFFIC}client c\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 2  capacity = 5000/s }}\nservice a {{ replicas = 2  capacity = 5000/s }}\nservice b {{ replicas = 2  capacity = 5000/s }}\ndatabase store {{ capacity = 9000/s }}\nc -> front -> web\nweb -> a -> store [read]\nweb -> b -> store [read]\n"
    );
    assert_eq!(
        only(&src, "spof"),
        "losing the one instance of `store` fails 100% of reads (1800.0/s at peak), 90% of traffic"
    );
}

#[test]
fn spof_shard_primary_names_the_busiest_shard() {
    // `celebrity` has a dedicated shard (number 4, after hashed 0..3) with
    // 40% of the database's requests; the hashed shards share the other
    // 60%, about 15% each. Losing its primary fails 40% of the writes:
    // 200/s × 40% = 80/s, 80 / 2000 = 4% of traffic. Reads go to the
    // replica and survive.
    let src = format!(
        "{TRAFFIC}client c\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 2  capacity = 5000/s }}\ndatabase users {{ replicas = 1  failover = none  shards = 4  shard_key = id  sharding = consistent  hot_keys = {{ \"celebrity\" = 40% }}  dedicated = [\"celebrity\"]  capacity = 5000/s }}\nc -> front -> web -> users\n"
    );
    assert_eq!(
        only(&src, "spof"),
        "losing the primary of shard 4 (dedicated to \"celebrity\") of `users` (`failover = none`) fails 40% of writes (80.0/s at peak), 4% of traffic"
    );
}

#[test]
fn spof_primary_with_reads_from_primary_fails_reads_too() {
    // `read_from = primary`: reads need the primary as much as writes do.
    let src = format!(
        "{TRAFFIC}client c\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 2  capacity = 5000/s }}\ndatabase photos {{ replicas = 1  failover = none  read_from = primary  capacity = 5000/s }}\nc -> front -> web -> photos\n"
    );
    assert_eq!(
        only(&src, "spof"),
        "losing the primary of `photos` (`failover = none`) fails 100% of reads and writes (2000.0/s at peak), 100% of traffic"
    );
}

#[test]
fn spof_without_failover_conditions_fails_the_datacenter_share() {
    // Two datacenters at 60/40 behind a failing-over dns, but `photos` is
    // not replicated (`cross_dc = none`), so §8's conditions fail and
    // nothing recovers the loss of `web@us-east`: its 60% of traffic,
    // 2000 × 0.6 = 1200/s at peak.
    let src = format!(
        "{TRAFFIC}datacenter us-east {{ weight = 60% }}\ndatacenter us-west {{ weight = 40% }}\nclient c\ndns geo {{ routing = geo  failover = true }}\nlb front {{ replicas = 2 }}\nservice web {{ capacity = 5000/s }}\ndatabase photos {{ replicas = 1  capacity = 5000/s }}\nc -> geo -> front -> web -> photos\n"
    );
    let m = messages(&src, "spof");
    assert_eq!(
        m,
        vec![
            "losing the one instance of `web@us-east` fails 60% of reads and writes (1200.0/s at peak), 60% of traffic".to_string(),
            "losing the one instance of `web@us-west` fails 40% of reads and writes (800.0/s at peak), 40% of traffic".to_string(),
        ]
    );
}

#[test]
fn spof_bypassing_the_dns_is_not_recovered() {
    // Half the traffic enters through the dns (recovered by failover), the
    // other half from a second client straight to the load balancers (not
    // recovered). Of `web@us-east`'s reads and writes only the direct
    // half's 60% counts: 2000 × 0.5 × 0.6 = 600/s at peak, 30% of traffic.
    let src = format!(
        "{TRAFFIC}datacenter us-east {{ weight = 60% }}\ndatacenter us-west {{ weight = 40% }}\nclient people\nclient partners\ndns geo {{ routing = geo  failover = true }}\nlb front {{ replicas = 2 }}\nservice web {{ capacity = 5000/s }}\ndatabase photos {{ replicas = 1  capacity = 5000/s  cross_dc = async }}\npeople -> geo -> front\npartners -> front\nfront -> web -> photos\n"
    );
    let m = messages(&src, "spof");
    assert_eq!(
        m[0],
        "losing the one instance of `web@us-east` fails 30% of reads and writes (600.0/s at peak), 30% of traffic"
    );
}

#[test]
fn spof_consumer_stops_queued_work() {
    // Writes all go to the queue; its single consumer does the work:
    // 200/s at peak of queued writes stop, and the request itself has
    // already succeeded.
    let src = format!(
        "{TRAFFIC}client c\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 2  capacity = 5000/s }}\ndatabase photos {{ replicas = 1  capacity = 5000/s }}\nqueue jobs {{ replicas = 3 }}\nservice workers {{ replicas = 1  capacity = 500/s  consumes = jobs }}\nc -> front -> web\nweb -> photos [read]\nweb -> jobs [write]\nworkers -> photos [write]\n"
    );
    assert_eq!(
        only(&src, "spof"),
        "losing the one instance of `workers` stops the queued work of 100% of writes (200.0/s at peak)"
    );
}

// ── no-redundancy ───────────────────────────────────────────────────────

#[test]
fn no_redundancy_gives_the_datacenter_share_and_ttl() {
    // As above but with `cross_dc = async`: failover recovers. Until the
    // dns moves `us-east` (ttl 45s), its 60% fails: 1200/s at peak.
    let src = format!(
        "{TRAFFIC}datacenter us-east {{ weight = 60% }}\ndatacenter us-west {{ weight = 40% }}\nclient c\ndns geo {{ routing = geo  failover = true  ttl = 45s }}\nlb front {{ replicas = 2 }}\nservice web {{ capacity = 5000/s }}\ndatabase photos {{ replicas = 1  capacity = 5000/s  cross_dc = async }}\nc -> geo -> front -> web -> photos\n"
    );
    assert!(messages(&src, "spof").is_empty());
    assert_eq!(
        messages(&src, "no-redundancy")[0],
        "losing the one instance of `web@us-east` fails 60% of reads and writes (1200.0/s at peak), 60% of traffic, until `geo` fails `us-east` over to `us-west` up to 45s later"
    );
}

// ── manual-failover ─────────────────────────────────────────────────────

#[test]
fn manual_failover_gives_the_writes_of_the_busiest_primary() {
    // Two datacenters at 75/25 without sharding: the busier copy receives
    // 200 × 0.75 = 150 writes/s at peak.
    let src = format!(
        "{TRAFFIC}datacenter a {{ weight = 75% }}\ndatacenter b {{ weight = 25% }}\nclient c\ndns geo {{ routing = geo }}\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 2  capacity = 5000/s }}\ndatabase photos {{ replicas = 1  failover = manual  capacity = 5000/s  cross_dc = async }}\nc -> geo -> front -> web -> photos\n"
    );
    assert_eq!(
        only(&src, "manual-failover"),
        "`photos` has `failover = manual`: when a primary fails, its writes (up to 150.0/s at peak) fail until someone promotes a replica"
    );
}

// ── cache-failure-overload ──────────────────────────────────────────────

#[test]
fn cache_failure_overload_compares_cold_and_warm_utilisation() {
    // Reads 1800/s at peak; the cache answers 80% = 1440/s. Warm, the one
    // replica of `photos` (capacity 1000/s) serves the 360 misses plus the
    // 200 writes it applies: 560 / 1000 = 56%. Cold, it serves all 1800
    // reads plus 200 writes: 2000 / 1000 = 200%.
    let src = format!(
        "{TRAFFIC}client c\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 2  capacity = 5000/s }}\ncache hot {{ replicas = 2  ttl = 10m  eviction = lru  hit_ratio = 80% }}\ndatabase photos {{ replicas = 1  capacity = 1000/s }}\nc -> front -> web\nweb -> hot -> photos [read]\nweb -> photos [write]\n"
    );
    assert_eq!(
        only(&src, "cache-failure-overload"),
        "if `hot` lost its entries, the 1440.0/s of reads it absorbs at peak would push `photos` to 200% utilisation (from 56%)"
    );
}

#[test]
fn cache_failure_overload_reaches_past_a_service() {
    // The cache fronts `render` (2 × 200/s = 400/s), which calls `photos`.
    // Reads 1800/s at peak, 90% hits: warm, render sees 180/s (45%); cold,
    // 1800/s (450%). `photos` (2 × 5000/s) stays under 100% either way.
    let src = format!(
        "{TRAFFIC}client c\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 2  capacity = 5000/s }}\ncache pages {{ replicas = 2  ttl = 1m  eviction = lru  hit_ratio = 90% }}\nservice render {{ replicas = 2  capacity = 200/s  latency = 20ms }}\ndatabase photos {{ replicas = 1  capacity = 5000/s }}\nc -> front -> web\nweb -> pages -> render -> photos [read]\n"
    );
    assert_eq!(
        only(&src, "cache-failure-overload"),
        "if `pages` lost its entries, the 1620.0/s of reads it absorbs at peak would push `render` to 450% utilisation (from 45%)"
    );
}

#[test]
fn cache_failure_overload_with_a_loop_through_a_queue() {
    // `w` consumes `q` and sends half its messages back to it, so the
    // copy graph loops and the cold cache takes the full-propagation path.
    // Writes: 50/s from `web`, and the loop makes it 50 / (1 − 0.5) = 100
    // messages/s, each written to `photos` and applied on its replica.
    // Reads 50/s, 90% hits. Warm, the replica serves 5 + 100 = 105 of 120
    // (87.5%); cold, 50 + 100 = 150 of 120 = 125%.
    let src = "traffic { rate = 100/s  reads = 50% }\nclient c\nlb front { replicas = 2 }\nservice web { replicas = 2 }\ncache hot { replicas = 2  ttl = 1m  eviction = lru  hit_ratio = 90% }\ndatabase photos { replicas = 1  capacity = 120/s }\nqueue q { replicas = 2 }\nservice w { replicas = 2  consumes = q }\nc -> front -> web\nweb -> hot -> photos [read]\nweb -> q [write]\nw -> q [write 50%]\nw -> photos [write]\n";
    let m = only(src, "cache-failure-overload");
    assert!(
        m.starts_with("if `hot` lost its entries, the 45.0/s of reads it absorbs at peak would push `photos` to 125% utilisation"),
        "{m}"
    );
}

// ── State ───────────────────────────────────────────────────────────────

#[test]
fn stateful_tier_gives_the_chance_of_landing_elsewhere() {
    // n instances: the next request lands elsewhere (n − 1)/n of the time.
    // 3 → 67%; autoscale 2..8 → 50% to 88% (7/8 = 87.5%, rounded up).
    let src = "client c\nlb front { replicas = 2 }\nservice web { replicas = 3  session = local }\nc -> front -> web\n";
    assert!(only(src, "stateful-tier").ends_with(", 67% of the time"));
    let src = "client c\nlb front { replicas = 2 }\nservice web { autoscale = 2..8  session = local }\nc -> front -> web\n";
    assert!(only(src, "stateful-tier").ends_with(", 50% to 88% of the time"));
}

#[test]
fn sticky_sessions_gives_the_users_logged_out() {
    // Losing one of 8 instances logs out 1/8 = 12.5% → 13%; of 4, 25%.
    let src = "client c\nlb front { replicas = 2  sticky = true }\nservice web { replicas = 8  session = local }\nc -> front -> web\n";
    assert!(only(src, "sticky-sessions").contains("logs out 13% of users"));
    let src = "client c\nlb front { replicas = 2  algorithm = ip-hash }\nservice web { autoscale = 4..8  session = local }\nc -> front -> web\n";
    assert!(only(src, "sticky-sessions").contains("logs out 13% to 25% of users"));
}

// ── Network ─────────────────────────────────────────────────────────────

#[test]
fn geo_routing_gives_the_share_sent_away() {
    // Σ w(1 − w): 60/40 → 0.24 + 0.24 = 48%; 50/30/20 → 0.25 + 0.21 + 0.16
    // = 62%.
    let src = "datacenter a { weight = 60% }\ndatacenter b { weight = 40% }\nclient c\ndns names\nlb front { replicas = 2 }\nc -> names -> front\n";
    assert!(only(src, "geo-routing").contains(
        "so 48% of requests go to a datacenter other than the nearest and pay 60ms more"
    ));
    let src = "datacenter a { weight = 50% }\ndatacenter b { weight = 30% }\ndatacenter d { weight = 20% }\nclient c\ndns names { routing = simple }\nlb front { replicas = 2 }\nc -> names -> front\n";
    assert!(only(src, "geo-routing").contains("so 62% of requests"));
}

#[test]
fn dns_failover_off_names_the_heaviest_datacenter() {
    let src = "datacenter eu { weight = 30% }\ndatacenter us { weight = 70% }\nclient c\ndns geo { routing = geo  failover = false }\nlb front { replicas = 2 }\nc -> geo -> front\n";
    assert_eq!(
        only(src, "dns-failover-off"),
        "`geo` has `failover = false`: when `us` fails, its 70% of traffic keeps being sent there and fails until someone changes the records"
    );
}

#[test]
fn dc_data_sync_names_the_heaviest_datacenter_and_classes() {
    // Only writes reach `ledger`; `us-east` carries 60%.
    let src = format!(
        "{TRAFFIC}datacenter us-east {{ weight = 60% }}\ndatacenter us-west {{ weight = 40% }}\nclient c\ndns geo {{ routing = geo  failover = true }}\nlb front {{ replicas = 2 }}\nservice web {{ replicas = 2  capacity = 5000/s }}\ndatabase photos {{ replicas = 1  capacity = 5000/s  cross_dc = async }}\ndatabase ledger {{ replicas = 1  capacity = 5000/s }}\nc -> geo -> front -> web -> photos\nweb -> ledger [write]\n"
    );
    assert_eq!(
        only(&src, "dc-data-sync"),
        "`ledger` has `cross_dc = none`: when `geo` fails `us-east` over, its 60% of traffic sends writes to datacenters whose `ledger` lacks their data"
    );
}

// ── spof: the one datacenter that holds a component ────────────────────

/// Two datacenters of equal weight, a `dns` that fails over, and a
/// redundant tier in each.
const TWO_DCS: &str = "datacenter dc-a { weight = 50% }\ndatacenter dc-b { weight = 50% }\nclient c\ndns geo { routing = geo  failover = true }\nlb front { replicas = 2 }\nservice web { replicas = 2  capacity = 5000/s }\n";

#[test]
fn spof_the_only_datacenter_holding_a_database() {
    // `main` lives in dc-a only; `web` runs in both. Every read and write
    // of both datacenters reaches `main@dc-a`: 1800 + 200 = 2000/s at peak.
    // Losing dc-a fails all of them — the `dns` fails dc-a's requests over
    // to dc-b, whose `web` calls the same lost copy.
    let src = format!(
        "{TRAFFIC}{TWO_DCS}database main {{ datacenters = [dc-a]  replicas = 1  failover = automatic  capacity = 5000/s }}\nc -> geo -> front -> web -> main\n"
    );
    assert_eq!(
        only(&src, "spof"),
        "losing datacenter `dc-a`, the only one that holds `main`, fails 100% of reads and writes (2000.0/s at peak), 100% of traffic"
    );
}

#[test]
fn spof_the_only_datacenter_holding_a_queue_fails_its_writes() {
    // One write in ten (200/s × 10% = 20/s at peak) is handed to `jobs`,
    // placed in dc-b only: those writes fail with dc-b, 1% of traffic.
    let src = format!(
        "{TRAFFIC}{TWO_DCS}database main {{ replicas = 1  failover = automatic  cross_dc = async  capacity = 5000/s }}\nqueue jobs {{ replicas = 2  datacenters = [dc-b] }}\nservice workers {{ replicas = 2  consumes = jobs  datacenters = [dc-b] }}\nc -> geo -> front -> web -> main\nweb -> jobs [write 10%]\n"
    );
    // Its consumers, in dc-b only too, are no unit of their own: no
    // request waits for queued work (`queue-consumer-dc` judges where
    // consumers run).
    assert_eq!(
        messages(&src, "spof"),
        vec![
            "losing datacenter `dc-b`, the only one that holds `jobs`, fails 10% of writes (20.0/s at peak), 1% of traffic".to_string(),
        ]
    );
}

#[test]
fn no_datacenter_spof_when_each_datacenter_holds_a_copy() {
    let src = format!(
        "{TRAFFIC}{TWO_DCS}database main {{ replicas = 1  failover = automatic  cross_dc = async  capacity = 5000/s }}\nc -> geo -> front -> web -> main\n"
    );
    assert_eq!(messages(&src, "spof"), Vec::<String>::new());
}
