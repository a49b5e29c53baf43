//! Whole-binary scale measurements: `archc check` and `archc estimate` on
//! generated designs of 1,000, 10,000 and 100,000 components, and `archc
//! build --target terraform|kubernetes` and `archc simulate --requests 100k`
//! at 1,000 and 10,000. (Compose refuses designs of this size: a project
//! runs one datacenter on one host, at most 1,000 containers.) Each command runs as a child process of the optimised binary, so
//! the figures include reading the file and rendering the output — what a
//! CI job pays.
//!
//! Run: `cargo bench --bench scale` (prints a Markdown table of medians;
//! `SCALE_RUNS=N` sets the runs per cell, 5 by default, 3 for 100k;
//! `SCALE_DIR=DIR` keeps the designs and outputs in DIR;
//! `SCALE_GENERATE_ONLY=1` with `SCALE_DIR` only writes the designs).

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
    let temporary = tempfile::tempdir().expect("temporary directory");
    let kept = std::env::var_os("SCALE_DIR").map(std::path::PathBuf::from);
    if let Some(k) = &kept {
        std::fs::create_dir_all(k).expect("SCALE_DIR can be created");
    }
    let dir = kept.as_deref().unwrap_or(temporary.path());
    let sizes = [1_000usize, 10_000, 100_000];
    // `SCALE_GENERATE_ONLY=1` writes the designs into SCALE_DIR and stops,
    // for measuring one command by hand (`/usr/bin/time -v`).
    if std::env::var_os("SCALE_GENERATE_ONLY").is_some() {
        for &n in &sizes {
            let path = dir.join(format!("design-{n}.arch"));
            std::fs::write(&path, generator::generate_design(n, 42)).expect("write design");
            println!("{}", path.display());
        }
        return;
    }
    let mut check_medians = Vec::new();
    println!("| command | components | median s | runs | exit |");
    println!("|---|---:|---:|---:|---:|");
    for &n in &sizes {
        let path = dir.join(format!("design-{n}.arch"));
        std::fs::write(&path, generator::generate_design(n, 42)).expect("write design");
        let file = path.to_str().expect("UTF-8 path");
        let outs: Vec<String> = ["terraform", "kubernetes"]
            .iter()
            .map(|t| {
                dir.join(format!("out-{n}-{t}"))
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        let mut cases: Vec<(&str, Vec<&str>)> = vec![
            ("check", vec!["check", "--format", "json", file]),
            ("estimate", vec!["estimate", "--format", "json", file]),
        ];
        if n <= 10_000 {
            for (target, out) in ["terraform", "kubernetes"].into_iter().zip(&outs) {
                cases.push((
                    if target == "terraform" {
                        "build --target terraform"
                    } else {
                        "build --target kubernetes"
                    },
                    vec!["build", file, "--target", target, "-o", out, "--force"],
                ));
            }
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
