//! Whole-binary scale measurements: `archc check` on generated designs of
//! 1,000, 10,000 and 100,000 components, and `archc estimate`, `archc build
//! --target compose` and `archc simulate --requests 100k` at 1,000 and
//! 10,000. Each command runs as a child process of the optimised binary, so
//! the figures include reading the file and rendering the output — what a
//! CI job pays.
//!
//! Run: `cargo bench --bench scale` (prints a Markdown table of medians;
//! `SCALE_RUNS=N` sets the runs per cell, 5 by default, 3 for 100k).

use std::process::Command;
use std::time::Instant;

#[path = "gen/mod.rs"]
mod generator;

/// Runs `archc ARGS` and returns the wall-clock seconds and the exit code.
fn time_once(args: &[&str]) -> (f64, Option<i32>) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(args)
        .output()
        .expect("archc runs");
    (start.elapsed().as_secs_f64(), out.status.code())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    // Criterion-style filters and `--bench` are passed by `cargo bench`;
    // this harness has no options of its own.
    let runs: usize = std::env::var("SCALE_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().expect("temporary directory");
    let sizes = [1_000usize, 10_000, 100_000];
    let mut check_medians = Vec::new();
    println!("| command | components | median s | runs | exit |");
    println!("|---|---:|---:|---:|---:|");
    for &n in &sizes {
        let path = dir.path().join(format!("design-{n}.arch"));
        std::fs::write(&path, generator::generate_design(n, 42)).expect("write design");
        let file = path.to_str().expect("UTF-8 path");
        let out = dir.path().join(format!("out-{n}"));
        let out = out.to_str().expect("UTF-8 path");
        let mut cases: Vec<(&str, Vec<&str>)> =
            vec![("check", vec!["check", "--format", "json", file])];
        if n <= 10_000 {
            cases.push(("estimate", vec!["estimate", "--format", "json", file]));
            cases.push((
                "build --target compose",
                vec!["build", file, "--target", "compose", "-o", out, "--force"],
            ));
            cases.push((
                "simulate --requests 100k",
                vec!["simulate", file, "--requests", "100k", "--format", "json"],
            ));
        }
        for (name, args) in cases {
            let runs = if n >= 100_000 { runs.min(3) } else { runs };
            let mut times = Vec::new();
            let mut code = None;
            for _ in 0..runs {
                let (t, c) = time_once(&args);
                times.push(t);
                code = c;
            }
            let m = median(times);
            if name == "check" {
                check_medians.push((n, m));
            }
            println!(
                "| `archc {name}` | {n} | {m:.3} | {runs} | {} |",
                code.map_or("signal".into(), |c| c.to_string())
            );
        }
    }
    if let [(_, t1k), (_, t10k), ..] = check_medians[..] {
        println!("\ncheck 10k/1k ratio: {:.1}", t10k / t1k);
    }
}
