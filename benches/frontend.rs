//! Front-end throughput: parse and model build of generated designs of
//! 1,000 and 10,000 components (two flow statements each, three
//! datacenters). The target is 10k under one second and a 10k/1k ratio of
//! at most 12, i.e. close to linear.
//!
//! Run: `cargo bench --bench frontend -- --warm-up-time 1 --measurement-time 5`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

#[path = "gen/mod.rs"]
mod generator;

fn frontend(c: &mut Criterion) {
    let options = archc::BuildOptions::default();
    let mut group = c.benchmark_group("frontend");
    group.sample_size(10);
    for n in [1_000usize, 10_000] {
        let source = generator::generate_design(n, 42);
        // Measure the success path: a design with errors would stop early.
        let compiled = archc::compile(&source, &options);
        assert!(
            compiled.diagnostics.is_empty(),
            "generated design has diagnostics: {:?}",
            compiled.diagnostics.first()
        );
        group.throughput(Throughput::Bytes(source.len() as u64));
        group.bench_with_input(BenchmarkId::new("parse", n), &source, |b, s| {
            b.iter(|| archc::syntax::parse(black_box(s)))
        });
        let (file, _) = archc::syntax::parse(&source);
        group.bench_with_input(BenchmarkId::new("build", n), &file, |b, f| {
            b.iter(|| archc::model::build(black_box(f), &options))
        });
        group.bench_with_input(BenchmarkId::new("compile", n), &source, |b, s| {
            b.iter(|| archc::compile(black_box(s), &options))
        });
    }
    group.finish();
}

criterion_group!(benches, frontend);
criterion_main!(benches);
