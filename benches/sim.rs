//! Simulator speed: the three-tier chain (examples/three-tier-chain.arch)
//! at one million requests is six million events — an arrival and a
//! completion at each of the three tiers — so criterion's throughput line
//! reads directly in events per second. The target is 20 million events
//! per second on one core.
//!
//!     cargo bench --bench sim
//!
//! Two measurements: wall time, and the benchmark thread's own CPU time
//! (Linux `/proc/thread-self/schedstat`), which stays meaningful on a
//! machine other jobs are loading. The median of the samples is in
//! `target/criterion/<group>/<bench>/new/estimates.json`.

use archc::sim::{self, Options};
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// CPU time of the calling thread, in nanoseconds, when the kernel says.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Criterion measurement of the thread's CPU time; falls back to zero
/// where `/proc/thread-self/schedstat` does not exist.
struct CpuTime;

struct NsFormatter;

impl ValueFormatter for NsFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e6 {
            (1e-3, "µs (cpu)")
        } else if typical < 1e9 {
            (1e-6, "ms (cpu)")
        } else {
            (1e-9, "s (cpu)")
        };
        for v in values {
            *v *= factor;
        }
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let elements = match *throughput {
            Throughput::Elements(n) => n as f64,
            Throughput::ElementsAndBytes { elements, .. } => elements as f64,
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Bits(n) => n as f64,
        };
        for v in values {
            *v = elements * 1e9 / *v / 1e6;
        }
        "Melem/s (cpu)"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns().unwrap_or(0)
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().unwrap_or(0).saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NsFormatter
    }
}

fn setup() -> (archc::Model, Options, u64) {
    let source = include_str!("../examples/three-tier-chain.arch");
    let model = archc::compile(source, &archc::BuildOptions::default())
        .model
        .expect("the example compiles");
    let opts = Options {
        requests: Some(1_000_000),
        ..Options::default()
    };
    // Check once that the run is the six million events the figure assumes.
    let runs = sim::run(&model, None, &opts, &|_, _| {}).expect("the example simulates");
    assert_eq!(runs[0].events, 6_000_000);
    (model, opts, runs[0].events)
}

fn wall(c: &mut Criterion) {
    let (model, opts, events) = setup();
    let mut group = c.benchmark_group("simulate-wall");
    group.throughput(Throughput::Elements(events));
    group.sample_size(10);
    group.bench_function("three-tier-chain-1M", |b| {
        b.iter(|| sim::run(&model, None, &opts, &|_, _| {}).expect("the example simulates"))
    });
    group.finish();
}

fn cpu(c: &mut Criterion<CpuTime>) {
    let (model, opts, events) = setup();
    let mut group = c.benchmark_group("simulate-cpu");
    group.throughput(Throughput::Elements(events));
    group.sample_size(10);
    group.bench_function("three-tier-chain-1M", |b| {
        b.iter(|| sim::run(&model, None, &opts, &|_, _| {}).expect("the example simulates"))
    });
    group.finish();
}

criterion_group!(wall_time, wall);
criterion_group! {
    name = cpu_time;
    config = Criterion::default().with_measurement(CpuTime);
    targets = cpu
}
criterion_main!(wall_time, cpu_time);
