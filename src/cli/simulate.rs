//! `archc simulate FILE`: runs the embedded simulator; a scenario's `expect`
//! lines decide the exit status (CLI.md).

use super::{Common, EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, inputs};
use archc::diagnostic::did_you_mean;
use archc::figures::{Style, duration, number, percent, rate, tally};
use archc::render;
use archc::sim::report::Report;
use archc::sim::{self, Options, RateMode};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SimFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Rate {
    Avg,
    Peak,
}

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The `.arch` design to simulate.
    pub file: PathBuf,
    /// Run a scenario of the design (its events and expectations), or
    /// `all` to run every scenario.
    #[arg(long, value_name = "NAME|all")]
    pub scenario: Option<String>,
    /// Simulated time to measure, after the warm-up (`90s`, `10m`, `1h`);
    /// a scenario's `duration` by default.
    #[arg(long, value_name = "T", value_parser = parse_duration)]
    pub duration: Option<f64>,
    /// Entry requests to measure (`1M`, `250k`); 1M when neither this nor
    /// a duration is given.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub requests: Option<u64>,
    /// Seed of the random streams; the same seed gives the same results.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Independent replications, run in parallel, reported as mean ± 95%
    /// confidence interval.
    #[arg(long, value_name = "R", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub runs: u32,
    /// Arrival rate: the traffic's average, or its peak.
    #[arg(long, value_enum, default_value = "peak")]
    pub rate: Rate,
    /// Simulated time run first and not measured (`30s`).
    #[arg(long, value_name = "T", value_parser = parse_duration, default_value = "0s")]
    pub warmup: f64,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: SimFormat,
    /// What-if override of one attribute, as if written in the file
    /// (`web.replicas=4`, `traffic.users=50M`); repeatable, later ones win.
    #[arg(long = "set", value_name = "BLOCK.ATTR=VALUE")]
    pub sets: Vec<String>,
    /// Also write a self-contained HTML report with charts.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

/// A duration as the language writes one (`500ms`, `90s`, `10m`, `2h`,
/// `1d`, `1y`, `1.5h`), or plain seconds; `min` is accepted for minutes.
/// The language's own value parser reads it, so `--duration` and
/// `--warmup` take exactly what a file's durations do.
fn parse_duration(s: &str) -> Result<f64, String> {
    use archc::syntax::ast::{Unit, ValueKind};
    let text = s.trim();
    let text = match text.strip_suffix("min") {
        Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.') => {
            format!("{n}m")
        }
        _ => text.to_string(),
    };
    let bad = || {
        format!(
            "`{s}` is not a duration: write `90s`, `10m`, `1.5h` or `500ms` (units: us, ms, s, m, h, d, y)"
        )
    };
    let value = archc::syntax::parse_value(&text).map_err(|_| bad())?;
    let seconds = match value.kind {
        ValueKind::Number { value, .. } => value,
        ValueKind::Quantity(q) if q.unit == Unit::Duration => q.value,
        _ => return Err(bad()),
    };
    if seconds.is_finite() && seconds >= 0.0 {
        Ok(seconds)
    } else {
        Err(bad())
    }
}

/// A whole number of requests: `1000000`, `250k`, `1M`, `1.5k`, `2G`.
fn parse_count(s: &str) -> Result<u64, String> {
    use archc::syntax::ast::ValueKind;
    let bad = || format!("`{s}` is not a count: write `1000000`, `250k` or `1M`");
    let value = archc::syntax::parse_value(s.trim()).map_err(|_| bad())?;
    let ValueKind::Number { value: n, integer } = value.kind else {
        return Err(bad());
    };
    if !integer || n.fract() != 0.0 {
        return Err(format!(
            "`{s}` is not a whole number of requests: write `{}` or `{}`",
            n.floor().max(1.0),
            n.ceil().max(1.0)
        ));
    }
    if n < 1.0 {
        return Err(format!("`{s}` must be at least 1"));
    }
    if n > 1e15 {
        return Err(format!(
            "`{s}` is more than the 10^15 requests a run can count"
        ));
    }
    Ok(n as u64)
}

pub fn run(args: Args) -> u8 {
    // A folder: each design in turn, each human report headed by its file
    // (JSON prints one document per design, in file order).
    let header = args.format == SimFormat::Human;
    if let Some(code) = inputs::each_design(&args.file, header, |file| {
        run(Args {
            file,
            ..args.clone()
        })
    }) {
        return code;
    }
    let Some(mut input) = inputs::load_one(&args.file) else {
        return EXIT_INPUT;
    };
    let config = match inputs::config_for(&input.path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    // With `--report` the diagram is coloured by the checker's findings:
    // check once (compile, one estimate, the rules) and reuse its estimate
    // for every scenario's plan; without it, compiling is enough.
    let today = super::today();
    let lint = args.report.is_some().then_some(today.as_str());
    let (sources, mut compiled) = inputs::compile(&mut input, &config, &args.sets, lint);
    let estimate = compiled.estimate.take();
    let Some(model) = compiled.model else {
        let split = sources.split(compiled.diagnostics);
        let reports = inputs::reports(&sources, &split);
        match args.format {
            SimFormat::Json => super::emit(&render::json(&reports)),
            SimFormat::Human => eprint!(
                "{}",
                render::human(
                    &reports,
                    super::use_color(args.common.color),
                    super::terminal_width()
                )
            ),
        }
        return EXIT_INPUT;
    };

    let scenarios: Vec<Option<&archc::model::Scenario>> = match args.scenario.as_deref() {
        None => vec![None],
        Some("all") => {
            if model.scenarios.is_empty() {
                if !args.common.quiet {
                    eprintln!("note: {} has no scenario to run", input.name);
                }
                return EXIT_OK;
            }
            model.scenarios.iter().map(Some).collect()
        }
        Some(name) => match model.scenarios.iter().find(|s| s.name == name) {
            Some(s) => vec![Some(s)],
            None => {
                let names: Vec<&str> = model.scenarios.iter().map(|s| s.name.as_str()).collect();
                let hint = match did_you_mean(name, names.iter().copied()) {
                    Some(s) => format!(": did you mean `{s}`?"),
                    None if names.is_empty() => ": the design has no scenario".into(),
                    None => format!(": the scenarios are {}", quote(&names)),
                };
                eprintln!("error: no scenario named `{name}` in {}{hint}", input.name);
                return EXIT_INPUT;
            }
        },
    };

    let opts = Options {
        seed: args.seed,
        requests: args.requests,
        duration_s: args.duration,
        rate: match args.rate {
            Rate::Avg => RateMode::Avg,
            Rate::Peak => RateMode::Peak,
        },
        warmup_s: args.warmup,
        runs: args.runs,
    };
    let show_progress = !args.common.quiet && std::io::stderr().is_terminal();
    // One estimate sizes every scenario's plan (and the report's diagram).
    let est = estimate.unwrap_or_else(|| archc::estimate(&model, &mut Default::default()));
    let mut reports = Vec::new();
    for scenario in &scenarios {
        let label = scenario.map_or_else(
            || "simulating".to_string(),
            |s| format!("scenario {}", s.name),
        );
        let bar = Progress::new(show_progress, args.runs as usize, &label);
        let result =
            sim::simulate_with(&model, &est, *scenario, &opts, &|run, f| bar.update(run, f));
        bar.finish();
        match result {
            Ok(r) => reports.push(r),
            Err(e) => {
                eprintln!("error: {}: {e}", input.name);
                return EXIT_INPUT;
            }
        }
    }

    match args.format {
        SimFormat::Json => {
            if reports.len() == 1 {
                super::emit(&reports[0].to_json());
            } else {
                super::emit(&all_json(&reports));
            }
        }
        SimFormat::Human => {
            let color = super::use_color(args.common.color);
            for (i, r) in reports.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                super::emit(&human(r, &input.name, color, args.common.quiet));
            }
        }
    }
    if let Some(path) = &args.report {
        // The design as archc draws it, coloured by the checker's findings.
        let svg = archc::graph::Diagram::new(&model, &est, &compiled.diagnostics, None).svg();
        let html = archc::sim::html::render_with_diagram(&reports, &input.name, Some(&svg));
        if let Err(e) = super::write_atomic(path, html.as_bytes()) {
            eprintln!("error: {}: cannot write the report: {e}", path.display());
            return EXIT_INPUT;
        }
    }
    if reports.iter().all(|r| r.passed) {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}

fn quote(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn all_json(reports: &[Report]) -> String {
    #[derive(serde::Serialize)]
    struct All<'a> {
        version: &'static str,
        passed: bool,
        scenarios: &'a [Report],
    }
    let all = All {
        version: archc::sim::report::VERSION,
        passed: reports.iter().all(|r| r.passed),
        scenarios: reports,
    };
    serde_json::to_string_pretty(&all).expect("report types always serialize") + "\n"
}

/// The progress bar: on a terminal only, and only once a run has taken
/// more than a second.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    fractions: Vec<AtomicU64>,
    started: Instant,
}

impl Progress {
    fn new(enabled: bool, runs: usize, label: &str) -> Progress {
        let bar = enabled.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(1000),
                indicatif::ProgressDrawTarget::hidden(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{prefix} [{bar:40}] {percent:>3}% {elapsed_precise} (eta {eta})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(label.to_string());
            bar
        });
        Progress {
            bar,
            fractions: (0..runs).map(|_| AtomicU64::new(0)).collect(),
            started: Instant::now(),
        }
    }

    fn update(&self, run: usize, fraction: f64) {
        let Some(bar) = &self.bar else { return };
        if let Some(slot) = self.fractions.get(run) {
            slot.store(fraction.to_bits(), Ordering::Relaxed);
        }
        let total: f64 = self
            .fractions
            .iter()
            .map(|f| f64::from_bits(f.load(Ordering::Relaxed)))
            .sum();
        if bar.is_hidden() && self.started.elapsed() > Duration::from_secs(1) {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.set_position((total / self.fractions.len().max(1) as f64 * 1000.0) as u64);
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or("–".into(), |m| duration(m / 1e3, Style::Report))
}

fn pm(v: Option<f64>) -> String {
    v.map_or(String::new(), |c| {
        format!(" ± {}", duration(c / 1e3, Style::Report))
    })
}

/// The readable summary.
pub fn human(r: &Report, file: &str, color: bool, quiet: bool) -> String {
    use std::fmt::Write as _;
    let (green, red, dim, reset) = if color {
        ("\x1b[32m", "\x1b[31m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let mut o = String::new();
    let head = match &r.scenario {
        Some(s) => format!("scenario {s} of {} ({file})", r.system),
        None => format!("{} ({file})", r.system),
    };
    let _ = writeln!(o, "{head}");
    if !quiet {
        let runs = if r.runs > 1 {
            format!(
                ", mean of {} runs (± is the 95% confidence interval)",
                r.runs
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "  {dim}seed {}, {} rate {}, {} simulated after {} warm-up, {} events{runs}{reset}",
            r.seed,
            r.rate,
            rate(r.entry_rate_rps, Style::Report),
            duration(r.simulated_s, Style::Report),
            duration(r.warmup_s, Style::Report),
            tally(r.events),
        );
        let ci = r.ci95.as_ref();
        let _ = writeln!(
            o,
            "  requests    {} ({} completed, {} failed{})",
            tally(r.requests),
            tally(r.completed),
            tally(r.failed),
            if r.unfinished > 0 {
                format!(", {} unfinished at the end", tally(r.unfinished))
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            o,
            "  throughput  {}{}",
            rate(r.throughput_rps, Style::Report),
            ci.map_or(String::new(), |c| format!(
                " ± {}",
                rate(c.throughput_rps, Style::Report)
            ))
        );
        let mut causes = Vec::new();
        for (name, n) in [
            ("dead instance", r.errors.dead_instance),
            ("queue full", r.errors.queue_full),
            ("timeout", r.errors.timeout),
            ("no failover", r.errors.no_failover),
        ] {
            if n > 0 {
                causes.push(format!("{name} {}", tally(n)));
            }
        }
        let _ = writeln!(
            o,
            "  errors      {}{}{}",
            percent(r.error_rate, Style::Report),
            ci.map_or(String::new(), |c| format!(
                " ± {}",
                percent(c.error_rate, Style::Report)
            )),
            if causes.is_empty() {
                String::new()
            } else {
                format!(" ({})", causes.join(", "))
            }
        );
        let l = &r.latency_ms;
        let lc = ci.map(|c| c.latency_ms);
        let _ = writeln!(
            o,
            "  latency     mean {}{}  p50 {}  p90 {}  p99 {}{}  p999 {}  max {}",
            opt_ms(l.mean),
            pm(lc.and_then(|c| c.mean)),
            opt_ms(l.p50),
            opt_ms(l.p90),
            opt_ms(l.p99),
            pm(lc.and_then(|c| c.p99)),
            opt_ms(l.p999),
            opt_ms(l.max)
        );
        if !r.classes.is_empty() {
            let _ = writeln!(
                o,
                "\n  {:<8} {:>12} {:>8} {:>10} {:>10} {:>10}",
                "class", "requests", "errors", "mean", "p99", "max"
            );
            for c in &r.classes {
                let _ = writeln!(
                    o,
                    "  {:<8} {:>12} {:>8} {:>10} {:>10} {:>10}",
                    c.class,
                    tally(c.requests),
                    percent(c.error_rate, Style::Report),
                    opt_ms(c.latency_ms.mean),
                    opt_ms(c.latency_ms.p99),
                    opt_ms(c.latency_ms.max)
                );
            }
        }
        let _ = writeln!(
            o,
            "\n  {:<28} {:>9} {:>8} {:>8} {:>12} {:>9} {:>9}",
            "copy", "instances", "util", "queue", "arrivals", "dropped", "errors"
        );
        for c in &r.components {
            let mut name = match &c.datacenter {
                Some(dc) if dc != "default" => format!("{}@{}", c.component, dc),
                _ => c.component.clone(),
            };
            if let Some(s) = c.shard {
                name = format!("  shard {s}");
                if let Some(k) = &c.dedicated_key {
                    name.push_str(&format!(" (\"{k}\")"));
                }
            }
            let (util, instances) = if c.workers.is_some() {
                (
                    percent(c.utilization, Style::Report),
                    number(c.instances, Style::Report),
                )
            } else {
                ("–".into(), "–".into())
            };
            let _ = writeln!(
                o,
                "  {:<28} {:>9} {:>8} {:>8} {:>12} {:>9} {:>9}",
                name,
                instances,
                util,
                number(c.mean_queue, Style::Report),
                tally(c.arrivals),
                tally(c.dropped),
                tally(c.errors)
            );
        }
        if r.jobs.created > 0 {
            let _ = writeln!(
                o,
                "\n  queue messages: {} created, {} done, {} failed; largest backlog {}; mean {} from enqueue to done",
                tally(r.jobs.created),
                tally(r.jobs.completed),
                tally(r.jobs.failed),
                tally(r.jobs.backlog_max),
                opt_ms(r.jobs.latency_ms.mean)
            );
        }
    }
    if !r.expectations.is_empty() {
        let held = r.expectations.iter().filter(|e| e.passed).count();
        let _ = writeln!(
            o,
            "\n  {}{} of {} expectations held{reset}",
            if r.passed { green } else { red },
            held,
            r.expectations.len()
        );
        let width = r
            .expectations
            .iter()
            .map(|e| e.text.len())
            .max()
            .unwrap_or(0);
        for e in &r.expectations {
            let measured = match (e.measured, e.unit) {
                (None, _) => format!(
                    "not measured: {}",
                    e.not_measured.as_deref().unwrap_or("nothing was measured")
                ),
                (Some(m), "ms") => format!("measured {}", duration(m / 1e3, Style::Report)),
                (Some(m), "fraction") => format!("measured {}", percent(m, Style::Report)),
                (Some(m), _) => format!("measured {}", rate(m, Style::Report)),
            };
            let ci = match (e.ci95, e.unit) {
                (Some(c), "ms") => format!(" ± {}", duration(c / 1e3, Style::Report)),
                (Some(c), "fraction") => format!(" ± {}", percent(c, Style::Report)),
                (Some(c), _) => format!(" ± {}", rate(c, Style::Report)),
                (None, _) => String::new(),
            };
            let (mark, col) = if e.passed {
                ("✓", green)
            } else {
                ("✗", red)
            };
            let _ = writeln!(o, "  {col}{mark}{reset} {:<width$}  {measured}{ci}", e.text);
        }
    }
    o
}
