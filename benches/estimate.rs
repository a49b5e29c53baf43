//! `archc::estimate` on a generated design of 10,000 components: three
//! datacenters, every kind, two flows from every caller, sharded databases
//! of a few layouts (so the placement cache is exercised), queues with
//! consumers. Run with `cargo bench --bench estimate`.

use archc::estimate::shards::PlacementCache;
use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::hint::black_box;

/// A deterministic pseudo-random index in `0..n` (SplitMix64), so the
/// design is the same on every run.
struct Pick(u64);

impl Pick {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

const LBS: usize = 400;
const LAYERS: usize = 4;
const PER_LAYER: usize = 1399;
const CACHES: usize = 1000;
const DATABASES: usize = 1500;
const QUEUES: usize = 500;
const STORES: usize = 500;

/// The design's source: 3 global components + 400 lb + 5,596 services in
/// four layers + 1,000 caches + 1,500 databases + 500 queues + 500
/// consumers + 500 stores = 9,999 + 1 spare service = 10,000.
fn design() -> String {
    let mut s = String::new();
    let mut pick = Pick(7);
    let w = &mut s;
    let _ = writeln!(
        w,
        "traffic {{ users = 50M  per_user = 40/day  peak = 3x  reads = 90%  static = 20%  payload = 20KB  retention = 1y }}"
    );
    let _ = writeln!(w, "slo {{ latency_p99 = 500ms  availability = 99.9% }}");
    for (dc, weight) in [("east", 50), ("west", 30), ("eu", 20)] {
        let _ = writeln!(w, "datacenter {dc} {{ weight = {weight}% }}");
    }
    let _ = writeln!(w, "client users");
    let _ = writeln!(w, "dns geo {{ routing = geo }}");
    let _ = writeln!(
        w,
        "cdn assets {{ hit_ratio = 95%  ttl = 1d  fallback = origin }}"
    );
    for i in 0..LBS {
        let _ = writeln!(w, "lb lb{i} {{ replicas = 2 }}");
    }
    for l in 0..LAYERS {
        for i in 0..PER_LAYER {
            if i % 3 == 0 {
                let _ = writeln!(
                    w,
                    "service s{l}x{i} {{ autoscale = 2..20  capacity = 800/s  latency = 15ms }}"
                );
            } else {
                let _ = writeln!(
                    w,
                    "service s{l}x{i} {{ replicas = 3  capacity = 2000/s  latency = 5ms }}"
                );
            }
        }
    }
    let _ = writeln!(w, "service spare");
    for i in 0..CACHES {
        let _ = writeln!(
            w,
            "cache c{i} {{ replicas = 2  hit_ratio = 80%  ttl = 10m  eviction = lru }}"
        );
    }
    for i in 0..DATABASES {
        let layout = match i % 10 {
            0 => {
                "shards = 8  shard_key = id  sharding = consistent  keys = zipf(1.1)  key_count = 10M"
            }
            5 => "shards = 4  shard_key = id  sharding = hash  key_count = 1M",
            7 => "shards = 6  shard_key = id  sharding = range  keys = zipf(0.9)  key_count = 500k",
            _ => "",
        };
        let _ = writeln!(
            w,
            "database d{i} {{ replicas = 2  capacity = 5000/s  cross_dc = async  {layout} }}"
        );
    }
    for i in 0..QUEUES {
        let _ = writeln!(w, "queue q{i}");
        let _ = writeln!(
            w,
            "service work{i} {{ replicas = 2  capacity = 500/s  latency = 50ms  consumes = q{i} }}"
        );
    }
    for i in 0..STORES {
        let _ = writeln!(w, "storage st{i} {{ engine = minio  cross_dc = async }}");
    }

    // Flows: two from every caller, towards later tiers only (no cycles).
    let _ = writeln!(w, "users -> assets -> st0 [static]");
    let _ = writeln!(w, "users -> geo [read, write]");
    for i in 0..LBS {
        // 400 shared edges of 0.25% each split the dynamic traffic.
        let _ = writeln!(w, "geo -> lb{i} [read, write 0.25%]");
        let (a, b) = (pick.below(PER_LAYER), pick.below(PER_LAYER));
        let _ = writeln!(w, "lb{i} -> s0x{a}");
        let _ = writeln!(w, "lb{i} -> s0x{b} [read, write 30%]");
    }
    for l in 0..LAYERS {
        for i in 0..PER_LAYER {
            if l + 1 < LAYERS {
                let (a, b) = (pick.below(PER_LAYER), pick.below(PER_LAYER));
                let _ = writeln!(w, "s{l}x{i} -> s{}x{a}", l + 1);
                let _ = writeln!(w, "s{l}x{i} -> s{}x{b} [read 30%]", l + 1);
            } else {
                let c = pick.below(CACHES);
                let d = pick.below(DATABASES);
                let _ = writeln!(w, "s{l}x{i} -> c{c} [read]");
                let _ = writeln!(w, "s{l}x{i} -> d{d} [write]");
                if i % 3 == 0 {
                    let q = pick.below(QUEUES);
                    let _ = writeln!(w, "s{l}x{i} -> q{q} [write 10%]");
                }
            }
        }
    }
    let _ = writeln!(w, "spare -> st1");
    for i in 0..CACHES {
        let (a, b) = (pick.below(DATABASES), pick.below(DATABASES));
        let _ = writeln!(w, "c{i} -> d{a} [read]");
        let _ = writeln!(w, "c{i} -> d{b} [read 20%]");
    }
    for i in 0..QUEUES {
        let (st, d) = (pick.below(STORES), pick.below(DATABASES));
        let _ = writeln!(w, "work{i} -> st{st} [write]");
        let _ = writeln!(w, "work{i} -> d{d} [write]");
    }
    s
}

fn bench(c: &mut Criterion) {
    let source = design();
    let compiled = archc::compile(&source, &archc::BuildOptions::default());
    let errors: Vec<_> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.severity == archc::diagnostic::Severity::Error)
        .collect();
    assert!(
        errors.is_empty(),
        "the generated design compiles: {errors:#?}"
    );
    let model = compiled.model.expect("a model");
    assert_eq!(model.components.len(), 10_000);
    let mut group = c.benchmark_group("estimate");
    group.sample_size(10);
    group.bench_function(
        "10k components, 3 datacenters, fresh placement cache",
        |b| b.iter(|| archc::estimate(black_box(&model), &mut PlacementCache::default())),
    );
    let mut warm = PlacementCache::default();
    group.bench_function("10k components, 3 datacenters, warm placement cache", |b| {
        b.iter(|| archc::estimate(black_box(&model), &mut warm))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
