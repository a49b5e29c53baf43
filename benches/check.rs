//! `archc::check` with every rule on, on generated designs of 1,000 and
//! 10,000 components.
//!
//! Run with `cargo bench --bench check`. The target (issue 4): a
//! 10,000-component design checks in under a second, and the 10k/1k ratio
//! stays at or under 12 — near-linear, with room for the log factors of
//! sorting and dominator trees.
//!
//! The generated design is a realistic one scaled up, not a best case for
//! the checker: three datacenters behind a failing-over `dns`, traffic, and
//! groups of ten components — a load balancer, two services (one with a
//! single instance, so `spof` and `no-redundancy` have work to do), a cache,
//! a session store, a sharded database, a single-instance database, a queue
//! with its workers and an object store — each with about two outgoing flows,
//! some components placed in only two of the datacenters (cross-datacenter
//! calls), and calls between neighbouring groups.

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write;
use std::hint::black_box;

/// A design of about `components` components (rounded to groups of ten,
/// plus the client, the dns and the cdn).
fn design(components: usize) -> String {
    let groups = (components / 10).max(1);
    let mut s = String::new();
    let _ = writeln!(s, "system bench");
    let _ = writeln!(
        s,
        "traffic {{ users = 50M  per_user = 40/day  peak = 3x  reads = 90%  static = 20%  payload = 20KB }}"
    );
    let _ = writeln!(s, "slo {{ latency_p99 = 500ms  availability = 99.9% }}");
    let _ = writeln!(s, "monitoring {{ logs = loki  metrics = prometheus }}");
    for (dc, w) in [("east", 50), ("west", 30), ("south", 20)] {
        let _ = writeln!(s, "datacenter {dc} {{ weight = {w}% }}");
    }
    let _ = writeln!(s, "client users");
    let _ = writeln!(s, "dns geo {{ routing = geo  failover = true }}");
    let _ = writeln!(
        s,
        "cdn assets {{ ttl = 1d  fallback = origin  invalidation = versioning }}"
    );
    let _ = writeln!(s, "users -> assets [static]");
    let _ = writeln!(s, "users -> geo [read, write]");
    // Shares of the dns's traffic per group, summing to at most 100%.
    let share = 99.0 / groups as f64;
    for g in 0..groups {
        // Every third group leaves out one datacenter, so its callers there
        // call across datacenters.
        let placed = if g % 3 == 0 {
            "  datacenters = [east, west]"
        } else {
            ""
        };
        let _ = writeln!(s, "lb lb{g} {{ replicas = 2 }}");
        let _ = writeln!(
            s,
            "service web{g} {{ autoscale = 2..20  capacity = 800/s  latency = 15ms  session = sess{g} }}"
        );
        let _ = writeln!(
            s,
            "service api{g} {{ replicas = 1  capacity = 400/s  latency = 10ms }}"
        );
        let _ = writeln!(
            s,
            "cache hot{g} {{ replicas = 2  memory = 4GB  ttl = 10m  eviction = lru  overprovision = 20% }}"
        );
        let _ = writeln!(
            s,
            "cache sess{g} {{ replicas = 2  ttl = 30m  eviction = lru  cross_dc = async }}"
        );
        let _ = writeln!(
            s,
            "database db{g} {{ replicas = 1  shards = 4  shard_key = user_id  sharding = consistent  keys = zipf(1.1)  key_count = 1M  cross_dc = async{placed} }}"
        );
        let _ = writeln!(s, "database idx{g} {{ cross_dc = async }}");
        let _ = writeln!(s, "queue q{g} {{ replicas = 3 }}");
        let _ = writeln!(
            s,
            "service work{g} {{ replicas = 2  capacity = 50/s  latency = 100ms  consumes = q{g} }}"
        );
        let _ = writeln!(
            s,
            "storage files{g} {{ engine = minio  replicas = 2  cross_dc = async }}"
        );
        let _ = writeln!(s, "geo -> lb{g} [{share:.4}%]");
        let _ = writeln!(s, "lb{g} -> web{g} [80%]");
        let _ = writeln!(s, "lb{g} -> api{g} [20%]");
        let _ = writeln!(s, "web{g} -> sess{g}");
        let _ = writeln!(s, "web{g} -> hot{g} -> db{g} [read]");
        let _ = writeln!(s, "web{g} -> db{g} [write]");
        let _ = writeln!(s, "api{g} -> idx{g}");
        let _ = writeln!(s, "api{g} -> q{g} [write 50%]");
        let _ = writeln!(s, "work{g} -> files{g} [write]");
        let _ = writeln!(s, "work{g} -> db{g} [write 10%]");
        if g + 1 < groups {
            let _ = writeln!(s, "web{g} -> api{} [read 5%]", g + 1);
        }
        // The origin of the CDN's misses.
        if g == 0 {
            let _ = writeln!(s, "assets -> files0 [static]");
        }
    }
    s
}

fn check(source: &str) -> usize {
    let options = archc::BuildOptions {
        default_name: "bench".into(),
        ..Default::default()
    };
    let compiled = archc::check(
        source,
        &options,
        &archc::rules::config::Config::default(),
        "2026-01-01",
    );
    assert!(compiled.model.is_some(), "the generated design compiles");
    compiled.diagnostics.len()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let source = design(n);
        group.bench_function(format!("{n} components"), |b| {
            b.iter(|| check(black_box(&source)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
