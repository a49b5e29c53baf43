//! Whole-binary scale measurements: `archc check` and `archc estimate` on
//! generated designs of 1,000, 10,000 and 100,000 components, and `archc
//! build --target terraform|kubernetes` and `archc simulate --requests 100k`
//! at 1,000 and 10,000. (Compose refuses designs of this size: a project
//! runs one datacenter on one host, at most 1,000 containers.) Each command runs as a child process of the optimised binary, so
//! the figures include reading the file and rendering the output — what a
//! CI job pays.
//!
//! The split case (issue 15): a generated design of 100 library files of
//! 100 components each (plus a root, a datacenters and a templates file)
//! checked in-process through `check_design` with an in-memory loader,
//! against the same 10,004 components in one file through `archc::check`,
//! then both through the binary from disk. `SCALE_ONLY=split` runs only
//! that case (`SCALE_SPLIT_RUNS=N` runs per cell, 11 by default).
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
    let split_runs: usize = std::env::var("SCALE_SPLIT_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11);
    if std::env::var_os("SCALE_GENERATE_ONLY").is_none() {
        split_case(split_runs, dir);
        if std::env::var("SCALE_ONLY").as_deref() == Ok("split") {
            return;
        }
        println!();
    }
    // `SCALE_GENERATE_ONLY=1` writes the designs into SCALE_DIR and stops,
    // for measuring one command by hand (`/usr/bin/time -v`).
    if std::env::var_os("SCALE_GENERATE_ONLY").is_some() {
        for &n in &sizes {
            let path = dir.join(format!("design-{n}.arch"));
            std::fs::write(&path, generator::generate_design(n, 42)).expect("write design");
            println!("{}", path.display());
        }
        println!("{}", write_split(dir).display());
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

/// Writes the split design under `DIR/split/` and its one-file form as
/// `DIR/split-joined.arch`; returns the root's path.
fn write_split(dir: &std::path::Path) -> std::path::PathBuf {
    let files = generator::generate_split_design(100, 10, 42);
    for (name, text) in &files {
        let path = dir.join("split").join(name);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create folder");
        std::fs::write(&path, text).expect("write a split file");
    }
    std::fs::write(
        dir.join("split-joined.arch"),
        generator::join_split_design(&files),
    )
    .expect("write the joined design");
    dir.join("split").join("main.arch")
}

/// The split case: in-process `check_design` over 103 files against
/// `check` on the same design in one file, then the binary on both.
fn split_case(runs: usize, dir: &std::path::Path) {
    use std::collections::HashMap;
    let files = generator::generate_split_design(100, 10, 42);
    let joined = generator::join_split_design(&files);
    let map: HashMap<&str, &str> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let loader = |path: &str| {
        map.get(path)
            .map(|t| t.to_string())
            .ok_or_else(|| "no such file".to_string())
    };
    let options = archc::BuildOptions::default();
    let config = archc::rules::config::Config::default();
    let today = "2026-12-04";
    let check_design = |root: &str, text: String| {
        archc::check_design(
            root,
            text,
            &loader,
            &Default::default(),
            &options,
            &[],
            &config,
            today,
        )
    };
    let design = || check_design("main.arch", files[0].1.clone());
    let single = || archc::check(&joined, &options, &config, today);
    // Both forms compile to the same design with the same findings.
    let (sources, split) = design();
    let one = single();
    let errors = |c: &archc::Compiled| {
        c.diagnostics
            .iter()
            .filter(|d| d.severity == archc::diagnostic::Severity::Error)
            .count()
    };
    assert_eq!(sources.files.len(), files.len(), "every file loaded");
    let (m1, m2) = (
        split.model.as_ref().expect("a model"),
        one.model.as_ref().expect("a model"),
    );
    assert_eq!(m1.components.len(), m2.components.len());
    // The joined text through `check_design` too, to tell a difference of
    // the pipeline from one of the files.
    let (_, joined_design) = check_design("joined.arch", joined.clone());
    println!(
        "findings (errors): split {} ({}), one file {} ({}), one file through check_design {} ({})\n",
        split.diagnostics.len(),
        errors(&split),
        one.diagnostics.len(),
        errors(&one),
        joined_design.diagnostics.len(),
        errors(&joined_design)
    );
    let components = m1.components.len();

    let time = |f: &dyn Fn()| {
        let mut times = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            f();
            times.push(start.elapsed().as_secs_f64());
        }
        median(times)
    };
    let t_split = time(&|| {
        std::hint::black_box(design());
    });
    let t_one = time(&|| {
        std::hint::black_box(single());
    });
    let root = write_split(dir);
    let root = root.to_str().expect("UTF-8 path");
    let joined_path = dir.join("split-joined.arch");
    let joined_path = joined_path.to_str().expect("UTF-8 path");
    let binary = |file: &str| {
        let mut times = Vec::new();
        let mut code = None;
        for _ in 0..runs {
            let (t, c) = time_once(&["check", "--format", "json", file]);
            times.push(t);
            code = c;
        }
        (median(times), code)
    };
    let (b_split, c_split) = binary(root);
    let (b_one, c_one) = binary(joined_path);
    let code = |c: Option<i32>| c.map_or("signal".into(), |c| c.to_string());
    println!("| split design, {components} components | files | median s | runs | exit |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| `check_design`, in memory | {} | {t_split:.3} | {runs} | |",
        files.len()
    );
    println!("| `check`, one file | 1 | {t_one:.3} | {runs} | |");
    println!(
        "| `archc check --format json main.arch` | {} | {b_split:.3} | {runs} | {} |",
        files.len(),
        code(c_split)
    );
    println!(
        "| `archc check --format json` one file | 1 | {b_one:.3} | {runs} | {} |",
        code(c_one)
    );
    println!(
        "\nsplit/one-file ratio: {:.2} in process, {:.2} through the binary",
        t_split / t_one,
        b_split / b_one
    );
}
