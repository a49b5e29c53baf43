//! `archc simulate --report FILE.html`: one self-contained page — inline
//! CSS and SVG, no script, no font, no link — so it opens offline and can
//! be attached to a CI run. Charts: throughput, errors by cause, p99 (and
//! mean) latency, per-copy utilisation; scenario events are dashed lines
//! on every time axis, expectation windows are shaded.

use std::fmt::Write as _;

use super::report::Report;

use crate::figures::{Style, duration, number, percent, rate, tally};

const WIDTH: f64 = 880.0;
const HEIGHT: f64 = 250.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 34.0;

const PALETTE: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#7f7f7f",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round step giving about `n` ticks up to `max`.
fn nice_step(max: f64, n: f64) -> f64 {
    if max.is_nan() || max <= 0.0 {
        return 1.0;
    }
    let raw = max / n;
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10.0 * mag
}

fn tick_label(v: f64) -> String {
    number(v, Style::Report)
}

struct Series<'a> {
    name: &'a str,
    values: Vec<Option<f64>>,
}

/// A line chart over the timeline's buckets.
fn chart(
    out: &mut String,
    title: &str,
    unit: &str,
    x: &[f64],
    bucket: f64,
    series: &[Series<'_>],
    report: &Report,
) {
    let x_max = x.last().map_or(bucket, |l| l + bucket).max(bucket);
    let y_data = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0_f64, |a, b| a.max(*b));
    let step = nice_step(if y_data > 0.0 { y_data } else { 1.0 }, 4.0);
    let y_max = (y_data / step).ceil().max(1.0) * step;
    let pw = WIDTH - LEFT - RIGHT;
    let ph = HEIGHT - TOP - BOTTOM;
    let sx = |t: f64| LEFT + t / x_max * pw;
    let sy = |v: f64| TOP + ph - v / y_max * ph;
    let _ = writeln!(out, "<h3>{}</h3>", esc(title));
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{}\">",
        esc(title)
    );
    // Expectation windows, shaded.
    for e in &report.expectations {
        if let Some([a, b]) = e.during_s {
            let (xa, xb) = (sx(a.min(x_max)), sx(b.min(x_max)));
            let _ = writeln!(
                out,
                "<rect x=\"{xa:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{ph}\" fill=\"#f2f2f2\"><title>{}</title></rect>",
                (xb - xa).max(0.0),
                esc(&e.text)
            );
        }
    }
    // Axes and grid.
    let mut v = 0.0;
    while v <= y_max + step * 1e-9 {
        let y = sy(v);
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" class=\"tick\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            tick_label(v)
        );
        v += step;
    }
    let xstep = nice_step(x_max, 8.0);
    let mut t = 0.0;
    while t <= x_max + xstep * 1e-9 {
        let xx = sx(t);
        let _ = writeln!(
            out,
            "<line x1=\"{xx:.1}\" y1=\"{:.1}\" x2=\"{xx:.1}\" y2=\"{:.1}\" stroke=\"#999\"/><text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"tick\">{}</text>",
            TOP + ph,
            TOP + ph + 4.0,
            TOP + ph + 16.0,
            tick_label(t)
        );
        t += xstep;
    }
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"tick\">seconds after warm-up</text><text x=\"12\" y=\"{:.1}\" class=\"tick\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">{}</text>",
        LEFT + pw / 2.0,
        HEIGHT - 4.0,
        TOP + ph / 2.0,
        TOP + ph / 2.0,
        esc(unit)
    );
    let _ = writeln!(
        out,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#999\"/>"
    );
    // Lines, broken where a bucket has no value.
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let mut seg = String::new();
        let flush = |seg: &mut String, out: &mut String| {
            if !seg.is_empty() {
                let _ = writeln!(
                    out,
                    "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"><title>{}</title></polyline>",
                    seg.trim_end(),
                    esc(s.name)
                );
                seg.clear();
            }
        };
        for (xv, yv) in x.iter().zip(&s.values) {
            match yv {
                Some(y) => {
                    let _ = write!(seg, "{:.1},{:.1} ", sx(xv + bucket / 2.0), sy(*y));
                }
                None => flush(&mut seg, out),
            }
        }
        flush(&mut seg, out);
    }
    // Scenario events.
    for e in &report.scenario_events {
        if e.at_s > x_max {
            continue;
        }
        let xx = sx(e.at_s);
        let _ = writeln!(
            out,
            "<line x1=\"{xx:.1}\" y1=\"{TOP}\" x2=\"{xx:.1}\" y2=\"{:.1}\" stroke=\"#444\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{:.1}\" class=\"event\">{}</text>",
            TOP + ph,
            xx + 3.0,
            TOP + 11.0,
            esc(&e.text)
        );
    }
    let _ = writeln!(out, "</svg>");
    if series.len() > 1 {
        let _ = write!(out, "<p class=\"legend\">");
        for (i, s) in series.iter().enumerate() {
            let _ = write!(
                out,
                "<span><i style=\"background:{}\"></i>{}</span> ",
                PALETTE[i % PALETTE.len()],
                esc(s.name)
            );
        }
        let _ = writeln!(out, "</p>");
    }
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or("–".into(), |m| duration(m / 1e3, Style::Report))
}

/// The page for one report.
pub fn render(report: &Report, file: &str) -> String {
    render_all(std::slice::from_ref(report), file)
}

/// One page for several reports (`--scenario all`), one section each.
pub fn render_all(reports: &[Report], file: &str) -> String {
    render_with_diagram(reports, file, None)
}

/// [`render_all`], with the design's diagram (an inline SVG from
/// [`crate::graph`]) shown first.
pub fn render_with_diagram(reports: &[Report], file: &str, diagram: Option<&str>) -> String {
    let mut out = String::new();
    let title = match reports {
        [one] => page_title(one),
        _ => format!(
            "{} — {} scenarios",
            reports.first().map_or("", |r| r.system.as_str()),
            reports.len()
        ),
    };
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>archc simulate: {}</title>\n<style>\n\
body{{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:920px;color:#222;padding:0 12px}}\n\
h1{{font-size:22px;margin-bottom:4px}} h2{{font-size:18px;margin-top:28px}} h3{{font-size:15px;margin:18px 0 4px}}\n\
table{{border-collapse:collapse;margin:8px 0}} td,th{{padding:3px 10px;border-bottom:1px solid #e4e4e4;text-align:right}}\n\
td:first-child,th:first-child{{text-align:left}} .pass{{color:#1a7f37;font-weight:600}} .fail{{color:#cf222e;font-weight:600}}\n\
.tick{{font-size:11px;fill:#555}} .event{{font-size:11px;fill:#222}} .legend span{{margin-right:14px;white-space:nowrap}}\n\
.legend i{{display:inline-block;width:12px;height:3px;margin-right:5px;vertical-align:middle}} .muted{{color:#666}}\n\
section{{border-top:2px solid #ccc;margin-top:32px}}\n\
</style>\n</head>\n<body>",
        esc(&title)
    );
    if let Some(svg) = diagram {
        // The diagram is archc's own SVG: its text is already escaped.
        let _ = writeln!(
            out,
            "<section>\n<h2>Design</h2>\n<div style=\"overflow-x:auto\">{svg}</div>\n</section>"
        );
    }
    for report in reports {
        let _ = writeln!(out, "<section>");
        section(&mut out, report, file);
        let _ = writeln!(out, "</section>");
    }
    let _ = writeln!(
        out,
        "<p class=\"muted\">archc {} · report format {}</p>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        super::report::VERSION
    );
    out
}

fn page_title(report: &Report) -> String {
    match &report.scenario {
        Some(s) => format!("{} — scenario {}", report.system, s),
        None => report.system.clone(),
    }
}

fn section(out: &mut String, report: &Report, file: &str) {
    let title = page_title(report);
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        out,
        "<p class=\"muted\">{} · seed {} · {} run{} · {} rate ({}) · {} simulated after a {} warm-up</p>",
        esc(file),
        report.seed,
        report.runs,
        if report.runs == 1 { "" } else { "s" },
        report.rate,
        rate(report.entry_rate_rps, Style::Report),
        duration(report.simulated_s, Style::Report),
        duration(report.warmup_s, Style::Report)
    );

    if !report.expectations.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Expectations: <span class=\"{}\">{}</span></h2>\n<table><tr><th>expectation</th><th>measured</th><th>result</th></tr>",
            if report.passed { "pass" } else { "fail" },
            if report.passed { "passed" } else { "failed" }
        );
        for e in &report.expectations {
            let measured = match (e.measured, e.unit) {
                (None, _) => format!(
                    "not measured: {}",
                    e.not_measured.as_deref().unwrap_or("nothing was measured")
                ),
                (Some(m), "ms") => duration(m / 1e3, Style::Report),
                (Some(m), "fraction") => percent(m, Style::Report),
                (Some(m), _) => rate(m, Style::Report),
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                esc(&e.text),
                esc(&measured),
                if e.passed { "pass" } else { "fail" },
                if e.passed { "pass" } else { "fail" }
            );
        }
        let _ = writeln!(out, "</table>");
    }

    let l = &report.latency_ms;
    let _ = writeln!(
        out,
        "<h2>Summary</h2>\n<table>\n<tr><td>requests</td><td>{}</td></tr>\n<tr><td>throughput</td><td>{}</td></tr>\n<tr><td>error rate</td><td>{}</td></tr>\n<tr><td>errors by cause</td><td>dead instance {} · queue full {} · timeout {} · no failover {}</td></tr>\n<tr><td>latency</td><td>mean {} · p50 {} · p90 {} · p99 {} · p999 {} · max {}</td></tr>\n</table>",
        tally(report.requests),
        rate(report.throughput_rps, Style::Report),
        percent(report.error_rate, Style::Report),
        tally(report.errors.dead_instance),
        tally(report.errors.queue_full),
        tally(report.errors.timeout),
        tally(report.errors.no_failover),
        opt_ms(l.mean),
        opt_ms(l.p50),
        opt_ms(l.p90),
        opt_ms(l.p99),
        opt_ms(l.p999),
        opt_ms(l.max)
    );

    let t = &report.timeline;
    if !t.start_s.is_empty() {
        let _ = writeln!(out, "<h2>Over time</h2>");
        chart(
            out,
            "Throughput (completed requests per second)",
            "requests/s",
            &t.start_s,
            t.bucket_s,
            &[Series {
                name: "throughput",
                values: t.throughput_rps.iter().map(|v| Some(*v)).collect(),
            }],
            report,
        );
        chart(
            out,
            "Errors per second, by cause",
            "errors/s",
            &t.start_s,
            t.bucket_s,
            &[
                Series {
                    name: "dead instance",
                    values: t
                        .errors_rps
                        .dead_instance
                        .iter()
                        .map(|v| Some(*v))
                        .collect(),
                },
                Series {
                    name: "queue full",
                    values: t.errors_rps.queue_full.iter().map(|v| Some(*v)).collect(),
                },
                Series {
                    name: "timeout",
                    values: t.errors_rps.timeout.iter().map(|v| Some(*v)).collect(),
                },
                Series {
                    name: "no failover",
                    values: t.errors_rps.no_failover.iter().map(|v| Some(*v)).collect(),
                },
            ],
            report,
        );
        chart(
            out,
            "Latency (p99 and mean)",
            "ms",
            &t.start_s,
            t.bucket_s,
            &[
                Series {
                    name: "p99",
                    values: t.p99_ms.clone(),
                },
                Series {
                    name: "mean",
                    values: t.mean_ms.clone(),
                },
            ],
            report,
        );
        let busy: Vec<Series<'_>> = t
            .copies
            .iter()
            .filter(|c| c.utilization.iter().any(|u| *u > 0.0))
            .map(|c| Series {
                name: &c.copy,
                values: c.utilization.iter().map(|u| Some(u * 100.0)).collect(),
            })
            .collect();
        if !busy.is_empty() {
            chart(
                out,
                "Utilisation per copy",
                "%",
                &t.start_s,
                t.bucket_s,
                &busy,
                report,
            );
        }
    }

    let _ = writeln!(
        out,
        "<h2>Components</h2>\n<table><tr><th>copy</th><th>instances</th><th>utilisation</th><th>mean queue</th><th>arrivals</th><th>dropped</th><th>errors</th></tr>"
    );
    for c in &report.components {
        let mut name = match &c.datacenter {
            Some(dc) if dc != "default" => format!("{}@{}", c.component, dc),
            _ => c.component.clone(),
        };
        if let Some(s) = c.shard {
            let _ = write!(name, " shard {s}");
            if let Some(k) = &c.dedicated_key {
                let _ = write!(name, " (\"{k}\")");
            }
        }
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&name),
            number(c.instances, Style::Report),
            percent(c.utilization, Style::Report),
            number(c.mean_queue, Style::Report),
            tally(c.arrivals),
            tally(c.dropped),
            tally(c.errors)
        );
    }
    let _ = writeln!(out, "</table>");
}
