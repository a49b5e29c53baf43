//! The estimate as people and programs read it: the table `archc estimate`
//! prints, and the `--format json` object (documented in
//! `docs/estimator.md`). Both are plain functions of the model and its
//! [`Estimate`]; nothing here does I/O.
//!
//! Every figure that rests on a default rather than on a value written in
//! the design is marked "(assumed)" in the table and listed under
//! `"assumed"` in JSON. Non-finite numbers never reach the output: an
//! overloaded copy's queue has no steady state, which the table says in
//! words and JSON says with `null`.

use super::{CopyEstimate, Estimate, ShardEstimate, availability};
use crate::figures::Style::{Report, Written};
use crate::figures::{
    self, availability_pair, count, duration, multiplier, number, per_day, percent, rate, size,
    size_per_second,
};
use crate::model::{Class, Component, Copy, Kind, Model, Setting};
use crate::stream::Lazy;
use petgraph::graph::NodeIndex;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The version of the JSON shape (CLI.md).
pub const JSON_VERSION: &str = "0.1";

/// The mark next to a figure that rests on a default.
pub const ASSUMED: &str = "(assumed)";

/// What the report says about where the design came from.
#[derive(Clone, Debug, Default)]
pub struct Source<'a> {
    /// The file as the user named it.
    pub name: &'a str,
    /// `--set` overrides applied, as typed.
    pub sets: &'a [String],
}

// ─── Which figures rest on defaults ──────────────────────────────────────

/// Kinds whose capacity and latency are not attributes (§4): nothing about
/// them is assumed.
fn fixed_kind(c: &Component) -> bool {
    matches!(c.kind, Kind::Client | Kind::Dns)
}

fn capacity_assumed(c: &Component, e: &CopyEstimate) -> bool {
    !fixed_kind(c) && e.assumed_capacity && c.capacity.value.is_some()
}

fn latency_assumed(c: &Component, e: &CopyEstimate) -> bool {
    !fixed_kind(c) && e.assumed_latency
}

/// The defaults a copy's figures rest on, as the `--set` paths that would
/// replace them (`web.capacity`, `assumptions.target_utilization`).
fn copy_assumed(model: &Model, c: &Component, e: &CopyEstimate) -> Vec<String> {
    let mut out = Vec::new();
    if capacity_assumed(c, e) {
        out.push(format!("{}.capacity", c.name));
    }
    if latency_assumed(c, e) {
        out.push(format!("{}.latency", c.name));
    }
    if c.autoscale.is_some() && model.assumptions.target_utilization.is_default() {
        out.push("assumptions.target_utilization".into());
    }
    out
}

/// Components a class reaches: by load with traffic, by flow labels without.
fn reached(model: &Model, est: &Estimate, class: Class) -> Vec<bool> {
    let mut seen = vec![false; model.components.len()];
    if est.has_traffic {
        for node in model.graph.node_indices() {
            if est.flows.sync[node.index()][class.index()] > 0.0 {
                seen[model.graph[node].component] = true;
            }
        }
    } else {
        for f in model.flows.iter().filter(|f| f.classes.contains(class)) {
            seen[f.from] = true;
            seen[f.to] = true;
        }
        for (id, _) in &model.entries {
            seen[*id] = true;
        }
    }
    seen
}

/// The defaults a class's latency figures rest on.
fn latency_assumptions(model: &Model, est: &Estimate, class: Class) -> Vec<String> {
    let mut out = Vec::new();
    let rate = est.class(class).map_or(0.0, |c| c.avg_rps);
    if rate <= 0.0 {
        return out;
    }
    let mut comps = Vec::new();
    for node in model.graph.node_indices() {
        if est.flows.sync[node.index()][class.index()] <= 0.0 {
            continue;
        }
        let copy = model.graph[node];
        let c = &model.components[copy.component];
        let e = est.copy(node);
        if capacity_assumed(c, e) {
            comps.push(format!("{}.capacity", c.name));
        }
        if latency_assumed(c, e) {
            comps.push(format!("{}.latency", c.name));
        }
    }
    comps.sort();
    comps.dedup();
    out.extend(comps);
    let mut hops = false;
    let mut cross = false;
    for edge in model.graph.edge_indices() {
        if est.flows.edge_sync[edge.index()][class.index()] > 0.0 {
            if model.graph[edge].cross_dc {
                cross = true;
            } else {
                hops = true;
            }
        }
    }
    if hops && model.assumptions.hop_latency.is_default() {
        out.push("assumptions.hop_latency".into());
    }
    if cross && model.assumptions.cross_dc_latency.is_default() {
        out.push("assumptions.cross_dc_latency".into());
    }
    out
}

/// The defaults a class's availability rests on: the components whose
/// instance availability is not written.
fn availability_assumptions(model: &Model, est: &Estimate, class: Class) -> Vec<String> {
    let seen = reached(model, est, class);
    model
        .components
        .iter()
        .enumerate()
        .filter(|(i, c)| seen[*i] && c.kind != Kind::Client && c.availability.is_default())
        .map(|(_, c)| format!("{}.availability", c.name))
        .collect()
}

// ─── Numbers as text ─────────────────────────────────────────────────────

// Figures are written by `crate::figures`: measured and computed ones in
// its Report style (three significant digits, thousands grouped), values
// taken from the design as written (docs/figures.md).

/// A latency of the queueing model. It is NaN or infinite only where a
/// queue has no steady state (overload), which the table calls unbounded.
fn latency(s: f64) -> String {
    if s.is_finite() {
        duration(s, Report)
    } else {
        figures::UNBOUNDED.into()
    }
}

fn mark(text: String, assumed: bool) -> String {
    if assumed {
        format!("{text} {ASSUMED}")
    } else {
        text
    }
}

fn setting_pct<T>(s: &Setting<T>, f: f64) -> String {
    mark(percent(f, Written), s.is_default())
}

/// A plain table: columns padded to their widest cell, left-aligned text,
/// right-aligned numbers; title rows (datacenter names) span the table and
/// do not count towards the widths.
struct Table {
    header: Vec<String>,
    rows: Vec<Row>,
    right: Vec<bool>,
}

enum Row {
    Cells(Vec<String>),
    Title(String),
}

impl Table {
    fn new(header: &[&str], right: &[bool]) -> Table {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
            right: right.to_vec(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(Row::Cells(cells));
    }

    fn title(&mut self, text: String) {
        self.rows.push(Row::Title(text));
    }

    fn render(&self, indent: &str, out: &mut String) {
        let n = self.header.len();
        let cells = || {
            std::iter::once(&self.header).chain(self.rows.iter().filter_map(|r| match r {
                Row::Cells(c) => Some(c),
                Row::Title(_) => None,
            }))
        };
        let mut width = vec![0usize; n];
        for r in cells() {
            for (i, c) in r.iter().enumerate().take(n) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let line_of = |r: &Vec<String>| {
            let mut line = String::from(indent);
            for (i, c) in r.iter().enumerate().take(n) {
                let pad = width[i] - c.chars().count();
                if i > 0 {
                    line.push_str("  ");
                }
                if self.right.get(i).copied().unwrap_or(false) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(c);
                } else {
                    line.push_str(c);
                    line.push_str(&" ".repeat(pad));
                }
            }
            line.trim_end().to_string()
        };
        out.push_str(&line_of(&self.header));
        out.push('\n');
        for r in &self.rows {
            match r {
                Row::Cells(c) => out.push_str(&line_of(c)),
                Row::Title(t) => {
                    out.push_str(indent);
                    out.push_str(t);
                }
            }
            out.push('\n');
        }
    }
}

// ─── Human output ────────────────────────────────────────────────────────

/// Copies grouped for the table: global ones first, then per datacenter in
/// declaration order; inside a group, components in declaration order.
fn copy_groups(model: &Model) -> Vec<(Option<usize>, Vec<NodeIndex>)> {
    let mut groups: Vec<(Option<usize>, Vec<NodeIndex>)> = Vec::new();
    let mut global = Vec::new();
    for (id, c) in model.components.iter().enumerate() {
        if c.kind.is_global() {
            global.extend(model.copy_node(id, None));
        }
    }
    if !global.is_empty() {
        groups.push((None, global));
    }
    for dc in 0..model.datacenters.len() {
        let nodes: Vec<NodeIndex> = (0..model.components.len())
            .filter_map(|id| model.copy_node(id, Some(dc)))
            .collect();
        if !nodes.is_empty() {
            groups.push((Some(dc), nodes));
        }
    }
    groups
}

fn instances_text(model: &Model, c: &Component, e: &CopyEstimate) -> String {
    if c.kind == Kind::Client {
        return "-".into();
    }
    if c.managed {
        return "managed".into();
    }
    if let Some(db) = c.database() {
        let shards = db.total_shards().max(1);
        let per = 1 + c.replicas.value;
        return if shards > 1 {
            format!("{} ({shards} shards x {per})", e.instances)
        } else {
            format!("{} (1 primary + {})", e.instances, c.replicas.value)
        };
    }
    let mut s = e.instances.to_string();
    if let Some(a) = &c.autoscale {
        let (lo, hi) = a.value;
        if e.max_not_enough {
            s = format!("{s} ({lo}..{hi}, max too low)");
        } else {
            s = format!("{s} ({lo}..{hi})");
        }
        if model.assumptions.target_utilization.is_default() {
            s = mark(s, true);
        }
    }
    s
}

/// One row of the copy table, at peak.
fn copy_row(model: &Model, est: &Estimate, node: NodeIndex, with_traffic: bool) -> Vec<String> {
    let copy: Copy = model.graph[node];
    let c = &model.components[copy.component];
    let e = est.copy(node);
    let cap = capacity_assumed(c, e);
    let lat = latency_assumed(c, e);
    let limited = c.capacity.value.is_some();
    let name = c.name.clone();
    let kind = c.kind.as_str().to_string();
    let workers = if limited {
        mark(e.workers.to_string(), cap || lat)
    } else {
        "-".into()
    };
    if !with_traffic {
        let capacity = match e.capacity_rps {
            Some(x) => mark(rate(x, Report), cap),
            None if c.kind == Kind::Client => "-".into(),
            None => "unlimited".into(),
        };
        return vec![
            name,
            kind,
            instances_text(model, c, e),
            workers,
            capacity,
            mark(duration(c.latency.value, Written), lat),
        ];
    }
    let util = if limited {
        let mut u = mark(percent(e.utilization, Report), cap);
        if e.utilization >= 1.0 {
            u.push_str(" OVERLOADED");
        }
        u
    } else {
        "-".into()
    };
    let wait = if limited {
        mark(latency(e.wait_s), cap || lat)
    } else {
        "-".into()
    };
    vec![
        name,
        kind,
        number(e.peak_rps, Report),
        instances_text(model, c, e),
        workers,
        util,
        wait,
        mark(latency(e.response_s), (cap && limited) || lat),
        mark(latency(e.p99_s), (cap && limited) || lat),
    ]
}

fn shard_table(model: &Model, est: &Estimate, node: NodeIndex, out: &mut String) {
    let e = est.copy(node);
    let c = &model.components[model.graph[node].component];
    let cap = capacity_assumed(c, e);
    let lat = latency_assumed(c, e);
    let has_replicas = c.replicas.value > 0;
    let _ = writeln!(
        out,
        "  shards of {} (share of its requests; utilisation of the busiest instance):",
        model.copy_name(model.graph[node])
    );
    let mut t = Table::new(
        &[
            "shard", "share", "peak/s", "primary", "replica", "busiest", "response", "p99", "keys",
        ],
        &[true, true, true, true, true, true, true, true, false],
    );
    for s in &e.shards {
        let keys = match &s.dedicated_key {
            Some(k) => format!("dedicated to \"{k}\""),
            None => {
                let names: Vec<String> = s
                    .heaviest
                    .iter()
                    .take(3)
                    .map(|(k, share)| format!("\"{k}\" {}", percent(*share, Report)))
                    .collect();
                if names.is_empty() {
                    String::new()
                } else {
                    format!("heaviest {}", names.join(", "))
                }
            }
        };
        t.row(vec![
            s.shard.to_string(),
            percent(s.share, Report),
            number(s.peak_rps, Report),
            mark(percent(s.primary.utilization, Report), cap),
            if has_replicas {
                mark(
                    percent(s.replica.map_or(0.0, |r| r.utilization), Report),
                    cap,
                )
            } else {
                "-".into()
            },
            mark(percent(s.utilization, Report), cap),
            mark(latency(s.response_s), cap || lat),
            mark(latency(s.p99_s), cap || lat),
            keys,
        ]);
    }
    t.render("    ", out);
}

fn traffic_section(model: &Model, est: &Estimate, out: &mut String) {
    let Some(t) = &model.traffic else { return };
    out.push_str("traffic\n");
    let how = match (t.users, t.per_user) {
        (Some(u), Some(p)) => format!(
            "{} users x {} = {} average",
            count(u, Report),
            per_day(p * 86_400.0, Written),
            rate(t.rate, Report)
        ),
        _ => format!("{} average", rate(t.rate, Report)),
    };
    let _ = writeln!(
        out,
        "  {how}; peak {} = {}",
        mark(multiplier(t.peak.value, Written), t.peak.is_default()),
        rate(t.rate * est.peak_factor, Report)
    );
    let _ = writeln!(
        out,
        "  static {} of all requests; reads {} of the dynamic ones",
        setting_pct(&t.static_share, t.static_share.value),
        setting_pct(&t.reads, t.reads.value)
    );
    let parts: Vec<String> = Class::ALL
        .iter()
        .map(|c| {
            let r = t.class_rate(*c);
            format!(
                "{} {} ({} at peak)",
                c.as_str(),
                rate(r, Report),
                rate(r * est.peak_factor, Report)
            )
        })
        .collect();
    let _ = writeln!(out, "  {}", parts.join(" · "));
}

fn failover_words(model: &Model, est: &Estimate, class: Class) -> String {
    let check = availability::failover_check(model, est, class);
    if !check.multi_dc {
        return String::new();
    }
    if check.ok {
        return "datacenters in parallel (failover holds)".into();
    }
    let mut why = Vec::new();
    match check.dns {
        None => why.push("no dns on its path".to_string()),
        Some(_) if !check.dns_fails_over => why.push("dns failover is off".into()),
        _ => {}
    }
    let names = |ids: &[usize]| -> String {
        ids.iter()
            .map(|i| format!("`{}`", model.components[*i].name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !check.single_placed.is_empty() {
        why.push(format!(
            "{} in one datacenter only",
            names(&check.single_placed)
        ));
    }
    if !check.unsynced.is_empty() {
        why.push(format!("{} with cross_dc = none", names(&check.unsynced)));
    }
    format!("datacenters weighted ({})", why.join("; "))
}

/// The estimate as a readable report.
pub fn human(model: &Model, est: &Estimate, source: &Source) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "estimate of `{}` ({})", model.system, source.name);
    if !source.sets.is_empty() {
        let _ = writeln!(out, "with --set {}", source.sets.join(", --set "));
    }
    out.push('\n');
    if !est.has_traffic {
        out.push_str(
            "No `traffic` block: the figures below are structural only. Load, utilisation,\n\
             latency under load, storage and bandwidth need traffic: add\n\
             `traffic { rate = 1000/s }` (or `users` and `per_user`), or try\n\
             `--set traffic.rate=1000/s`.\n\n",
        );
    } else {
        traffic_section(model, est, &mut out);
        out.push('\n');
    }

    // Components, per datacenter.
    let peak_note = match &model.traffic {
        Some(t) if t.peak.is_default() => " at peak (peak 1x assumed)",
        Some(_) => " at peak",
        None => "",
    };
    let _ = writeln!(out, "components{peak_note}");
    let mut table = if est.has_traffic {
        Table::new(
            &[
                "component",
                "kind",
                "peak/s",
                "instances",
                "workers",
                "utilisation",
                "wait",
                "response",
                "p99",
            ],
            &[false, false, true, false, true, true, true, true, true],
        )
    } else {
        Table::new(
            &[
                "component",
                "kind",
                "instances",
                "workers",
                "capacity",
                "latency",
            ],
            &[false, false, false, true, true, true],
        )
    };
    let groups = copy_groups(model);
    for (dc, nodes) in &groups {
        let title = match *dc {
            None => "global".to_string(),
            Some(d) if model.datacenters[d].implicit => "datacenter default".to_string(),
            Some(d) => {
                let dcm = &model.datacenters[d];
                format!(
                    "datacenter {} (weight {})",
                    dcm.name,
                    mark(percent(dcm.weight.value, Report), dcm.weight.is_default())
                )
            }
        };
        table.title(format!("[{title}]"));
        for &node in nodes {
            table.row(copy_row(model, est, node, est.has_traffic));
        }
    }
    table.render("  ", &mut out);
    if est.has_traffic {
        for (_, nodes) in &groups {
            for &node in nodes {
                if est.copy(node).shards.len() > 1 {
                    shard_table(model, est, node, &mut out);
                }
            }
        }
    }
    let overloaded_autoscale: Vec<String> = model
        .graph
        .node_indices()
        .filter(|n| est.copy(*n).max_not_enough)
        .map(|n| model.copy_name(model.graph[n]))
        .collect();
    if !overloaded_autoscale.is_empty() {
        let _ = writeln!(
            out,
            "  autoscale max too low: {} stays above the target utilisation even at its largest count",
            overloaded_autoscale.join(", ")
        );
    }
    if est.unbounded {
        out.push_str(
            "  queue messages loop without dying out: rates along the loop are capped and unreliable\n",
        );
    }
    let over_capacity: Vec<String> = model
        .graph
        .node_indices()
        .filter(|n| !est.copy(*n).response_s.is_finite())
        .map(|n| model.copy_name(model.graph[n]))
        .collect();
    if !over_capacity.is_empty() {
        let _ = writeln!(
            out,
            "  unbounded: {} {} over capacity: no steady state, the waits grow without limit",
            over_capacity.join(", "),
            if over_capacity.len() == 1 {
                "is"
            } else {
                "are"
            }
        );
    }
    out.push('\n');

    // Request classes.
    if est.has_traffic {
        out.push_str("request classes (latency at peak)\n");
        let mut t = Table::new(
            &[
                "class",
                "avg/s",
                "peak/s",
                "mean latency",
                "p99",
                "p99 bound",
                "availability",
            ],
            &[false, true, true, true, true, true, true],
        );
        for ce in &est.classes {
            let lat_assumed = !latency_assumptions(model, est, ce.class).is_empty();
            let av_assumed = !availability_assumptions(model, est, ce.class).is_empty();
            t.row(vec![
                ce.class.as_str().into(),
                number(ce.avg_rps, Report),
                number(ce.peak_rps, Report),
                mark(latency(ce.mean_latency_s), lat_assumed),
                mark(latency(ce.p99_s), lat_assumed),
                mark(latency(ce.p99_estimate_s), lat_assumed),
                mark(figures::availability(ce.availability), av_assumed),
            ]);
        }
        t.render("  ", &mut out);
        out.push_str(
            "  p99: the 99th percentile of the class's response time (alternatives mixed by\n  \
             share, calls in series convolved). p99 bound: the sum of the p99s of every\n  \
             node a class reaches with probability 1% or more, plus hops (what slo-latency\n  \
             checks); an upper-side bound, not a quantile.\n",
        );
        if let Some(p) = &model.slo.latency_p99 {
            let worst = est
                .classes
                .iter()
                .map(|c| c.p99_estimate_s)
                .fold(0.0, f64::max);
            let worst_p99 = est.classes.iter().map(|c| c.p99_s).fold(0.0, f64::max);
            let verdict = if worst <= p.value { "met" } else { "MISSED" };
            let _ = writeln!(
                out,
                "  slo latency_p99 {}: {verdict} (worst p99 bound {}; worst p99 {})",
                duration(p.value, Written),
                latency(worst),
                latency(worst_p99)
            );
        }
        if let Some(m) = &model.slo.latency_mean {
            let worst = est
                .classes
                .iter()
                .map(|c| c.mean_latency_s)
                .fold(0.0, f64::max);
            let verdict = if worst <= m.value { "met" } else { "MISSED" };
            let _ = writeln!(
                out,
                "  slo latency_mean {}: {verdict} (worst mean {})",
                duration(m.value, Written),
                latency(worst)
            );
        }
        out.push('\n');
    }

    // Availability.
    out.push_str("availability (instance availability and redundancy)\n");
    let mut any_assumed = false;
    for ce in &est.classes {
        let assumed = availability_assumptions(model, est, ce.class);
        any_assumed |= !assumed.is_empty();
        let how = failover_words(model, est, ce.class);
        let _ = writeln!(
            out,
            "  {:<7} {}{}",
            ce.class.as_str(),
            mark(figures::availability(ce.availability), !assumed.is_empty()),
            if how.is_empty() {
                String::new()
            } else {
                format!("  {how}")
            }
        );
    }
    match &model.slo.availability {
        Some(slo) => {
            let (overall, objective) = availability_pair(est.availability, slo.value);
            let overall = mark(overall, any_assumed);
            let verdict = if est.availability >= slo.value {
                "met"
            } else {
                "MISSED"
            };
            let _ = writeln!(
                out,
                "  overall {overall} against the slo of {objective}: {verdict}"
            );
        }
        None => {
            let overall = mark(figures::availability(est.availability), any_assumed);
            let _ = writeln!(out, "  overall {overall} (no slo availability given)");
        }
    }
    if any_assumed {
        let _ = writeln!(
            out,
            "  (instance availability {} where not written)",
            mark(
                figures::availability(model.assumptions.instance_availability.value),
                model.assumptions.instance_availability.is_default()
            )
        );
    }
    out.push('\n');

    if est.has_traffic {
        storage_section(model, est, &mut out);
        bandwidth_section(model, est, &mut out);
        dc_loss_section(model, est, &mut out);
        zone_loss_section(model, est, &mut out);
    }
    assumptions_section(model, &mut out);
    out
}

fn storage_section(model: &Model, est: &Estimate, out: &mut String) {
    let Some(t) = &model.traffic else { return };
    let retention = t.retention.as_ref().map(|r| r.value);
    let _ = writeln!(
        out,
        "storage (write_size {}{})",
        mark(size(t.write_size.value, Written), t.write_size.is_default()),
        retention.map_or(String::new(), |r| format!(
            ", retention {}",
            duration(r, Written)
        ))
    );
    if est.storage.is_empty() {
        out.push_str("  no database or storage receives writes\n\n");
        return;
    }
    let sharded = est.storage.iter().any(|s| s.shard.is_some());
    let mut table = if sharded {
        Table::new(
            &["store", "shard", "per day", "after retention"],
            &[false, true, true, true],
        )
    } else {
        Table::new(
            &["store", "per day", "after retention"],
            &[false, true, true],
        )
    };
    let row = |name: String, shard: String, day: String, kept: String| {
        if sharded {
            vec![name, shard, day, kept]
        } else {
            vec![name, day, kept]
        }
    };
    for s in &est.storage {
        let name = match &s.datacenter {
            Some(dc) if model.has_datacenters() => format!("{}@{dc}", s.component),
            _ => s.component.clone(),
        };
        table.row(row(
            name,
            s.shard.map_or(String::new(), |x| x.to_string()),
            mark(size(s.bytes_per_day, Report), s.assumed),
            s.bytes_retained
                .map_or("-".into(), |b| mark(size(b, Report), s.assumed)),
        ));
    }
    let assumed = est.storage.iter().any(|s| s.assumed);
    table.row(row(
        "total".into(),
        String::new(),
        mark(size(est.storage_bytes_per_day, Report), assumed),
        est.storage_bytes_retained
            .map_or("- (no retention given)".into(), |b| {
                mark(size(b, Report), assumed)
            }),
    ));
    table.render("  ", out);
    out.push_str(
        "  writes x record size (a database's record_size, else write_size) x (1 + replicas) per copy; a copy with cross_dc also stores the other copies' writes\n",
    );
    // Databases whose own record_size is used, once each in design order.
    let mut records: Vec<String> = Vec::new();
    for s in est
        .storage
        .iter()
        .filter(|s| s.record_bytes != t.write_size.value)
    {
        let r = format!("`{}` {}", s.component, size(s.record_bytes, Written));
        if !records.contains(&r) {
            records.push(r);
        }
    }
    if !records.is_empty() {
        let _ = writeln!(
            out,
            "  record_size instead of write_size: {}",
            records.join(", ")
        );
    }
    for s in &est.storage {
        if let Some(g) = s.backlog_growth_per_s {
            let _ = writeln!(
                out,
                "  queue `{}`: {} its consumers cannot drain, kept as backlog",
                s.component,
                figures::rate(g, Report)
            );
        }
    }
    out.push('\n');
}

fn bandwidth_section(model: &Model, est: &Estimate, out: &mut String) {
    match (
        &est.bandwidth,
        model.traffic.as_ref().and_then(|t| t.payload.as_ref()),
    ) {
        (Some(b), Some(p)) => {
            let _ = writeln!(
                out,
                "egress at peak (payload {})\n  from the CDN  {}\n  from origin   {}\n",
                size(p.value, Written),
                size_per_second(b.cdn_bytes_per_s, Report),
                size_per_second(b.origin_bytes_per_s, Report)
            );
        }
        _ => out.push_str("egress: needs `traffic.payload` (the mean response size)\n\n"),
    }
}

/// Per zone lost: the three busiest copies of its datacenter, those it
/// takes down, and the databases whose primaries move or go.
/// The three busiest copies of a what-if, busiest first (ties by copy),
/// each `NAME UTILISATION` with `OVERLOADED` at or above 100%.
fn busiest_three(model: &Model, est: &Estimate, busiest: &mut [(f64, NodeIndex)]) -> Vec<String> {
    busiest.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    busiest
        .iter()
        .take(3)
        .map(|(u, n)| {
            let over = if *u >= 1.0 { " OVERLOADED" } else { "" };
            let c = &model.components[model.graph[*n].component];
            let u = mark(percent(*u, Report), capacity_assumed(c, est.copy(*n)));
            format!("{} {u}{over}", model.copy_name(model.graph[*n]))
        })
        .collect()
}

fn zone_loss_section(model: &Model, est: &Estimate, out: &mut String) {
    if est.zone_loss.is_empty() {
        return;
    }
    out.push_str(
        "losing a zone (its datacenter's load on the instances left; utilisation at the largest instance count outside the zone)\n",
    );
    for loss in &est.zone_loss {
        let mut busiest: Vec<(f64, NodeIndex)> = loss
            .copies
            .iter()
            .filter(|f| !f.down())
            .filter(|f| {
                model.components[model.graph[f.node].component]
                    .capacity
                    .value
                    .is_some()
            })
            .map(|f| (f.utilization_at_max, f.node))
            .collect();
        let shown = busiest_three(model, est, &mut busiest);
        let mut line = format!(
            "  without {}: busiest {}",
            model.datacenters[loss.datacenter].zone_name(loss.zone),
            if shown.is_empty() {
                "-".into()
            } else {
                shown.join(", ")
            }
        );
        let down: Vec<String> = loss
            .copies
            .iter()
            .filter(|f| f.down())
            .map(|f| model.copy_name(model.graph[f.node]))
            .collect();
        if !down.is_empty() {
            let _ = write!(line, "; down: {}", down.join(", "));
        }
        for f in loss.copies.iter().filter(|f| !f.down()) {
            let name = model.copy_name(model.graph[f.node]);
            let shards = |n: u32| {
                if n == 1 {
                    "1 shard".to_string()
                } else {
                    format!("{n} shards")
                }
            };
            if f.shards_promoted > 0 {
                let _ = write!(
                    line,
                    "; {name} promotes a replica for {}",
                    shards(f.shards_promoted)
                );
            }
            if f.shards_without_primary > 0 {
                let _ = write!(
                    line,
                    "; {name} has no primary for {}",
                    shards(f.shards_without_primary)
                );
            }
        }
        line.push('\n');
        out.push_str(&line);
    }
    out.push('\n');
}

fn dc_loss_section(model: &Model, est: &Estimate, out: &mut String) {
    if est.dc_loss.is_empty() {
        return;
    }
    out.push_str(
        "losing a datacenter (its weight shared among the others; utilisation at the largest instance count)\n",
    );
    for loss in &est.dc_loss {
        let mut busiest: Vec<(f64, NodeIndex)> = model
            .graph
            .node_indices()
            .filter(|n| model.graph[*n].dc != Some(loss.datacenter))
            .filter(|n| {
                model.components[model.graph[*n].component]
                    .capacity
                    .value
                    .is_some()
            })
            .map(|n| (loss.utilization_at_max[n.index()], n))
            .collect();
        let shown = busiest_three(model, est, &mut busiest);
        let _ = writeln!(
            out,
            "  without {}: busiest {}",
            model.datacenters[loss.datacenter].name,
            if shown.is_empty() {
                "-".into()
            } else {
                shown.join(", ")
            }
        );
    }
    out.push('\n');
}

fn assumptions_section(model: &Model, out: &mut String) {
    let a = &model.assumptions;
    out.push_str("assumptions\n");
    let rows = [
        (
            "target_utilization",
            percent(a.target_utilization.value, Written),
            a.target_utilization.is_default(),
        ),
        (
            "instance_availability",
            figures::availability(a.instance_availability.value),
            a.instance_availability.is_default(),
        ),
        (
            "hop_latency",
            duration(a.hop_latency.value, Written),
            a.hop_latency.is_default(),
        ),
        (
            "cross_dc_latency",
            duration(a.cross_dc_latency.value, Written),
            a.cross_dc_latency.is_default(),
        ),
        (
            "hotspot_factor",
            multiplier(a.hotspot_factor.value, Written),
            a.hotspot_factor.is_default(),
        ),
    ];
    for (name, value, assumed) in rows {
        let _ = writeln!(out, "  {name:<22} {}", mark(value, assumed));
    }
    let _ = writeln!(
        out,
        "{ASSUMED}: the figure rests on a default, not on a value written in the design"
    );
}

// ─── JSON ────────────────────────────────────────────────────────────────

/// A finite number rounded to 9 significant digits (stable across
/// platforms' last-bit differences); `null` for NaN and infinities.
/// Magnitudes below this are printed as 0: a wait of 1e-40 ms is noise of
/// the Erlang C product, not information.
const JSON_ZERO: f64 = 1e-12;

pub fn num(x: f64) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    let rounded = round9(x);
    let rounded = if rounded.abs() < JSON_ZERO {
        0.0
    } else {
        rounded
    };
    serde_json::Number::from_f64(rounded).map_or(Value::Null, Value::Number)
}

/// An availability keeps the significant digits of its complement, so
/// 1 − 10⁻¹² does not round to a perfect 1.
pub fn num_avail(a: f64) -> Value {
    if !a.is_finite() {
        return Value::Null;
    }
    let down = round9(1.0 - a);
    serde_json::Number::from_f64(1.0 - down).map_or(Value::Null, Value::Number)
}

/// `x` rounded to 9 significant digits: exactly
/// `format!("{x:.8e}").parse()`, which is what [`round9_slow`] does, but
/// without the exact-digit formatting (a big-number fallback for many
/// values) and the allocation, which took about 8% of `archc estimate
/// --format json` at 100,000 components.
///
/// The shortest round-trip digits `D` of `x` (Żmij, as `serde_json`
/// prints) stand for `x`'s exact binary value: both lie in the interval of
/// reals that round to `x`. With at most 9 significant digits, `D` is
/// already the 9-digit rounding and parses back to `x`. Otherwise the two
/// round alike unless the midpoint `m` between `D`'s 9-digit neighbours
/// lies in that interval, which is exactly when `m` parses to `x`; that
/// case (and exponents outside the exact fast path) takes the slow way.
/// The parse of a 9- or 10-digit integer times a power of ten up to 10²²
/// is one correctly rounded multiplication or division (Clinger's fast
/// path), as `str::parse` rounds.
fn round9(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return round9_slow(x);
    }
    let mut buf = zmij::Buffer::new();
    let text = buf.format_finite(x.abs());
    // Significant digits (at most 17) and the power of ten of the first.
    let mut digits = [0u8; 20];
    let mut n = 0usize;
    let mut point: i32 = 0; // digits before the decimal point, once seen
    let mut seen_point = false;
    let mut leading = 0i32; // zeros after the point before the first digit
    let mut exp: i32 = 0;
    let mut bytes = text.bytes();
    for b in bytes.by_ref() {
        match b {
            b'0'..=b'9' => {
                if n == 0 && b == b'0' {
                    if seen_point {
                        leading += 1;
                    }
                    continue;
                }
                if n == digits.len() {
                    return round9_slow(x);
                }
                digits[n] = b - b'0';
                n += 1;
                if !seen_point {
                    point += 1;
                }
            }
            b'.' => seen_point = true,
            b'e' | b'E' => break,
            _ => return round9_slow(x),
        }
    }
    let rest: &[u8] = &text.as_bytes()[text.len() - bytes.len()..];
    if !rest.is_empty() {
        match std::str::from_utf8(rest)
            .ok()
            .and_then(|r| r.parse::<i32>().ok())
        {
            Some(e) => exp = e,
            None => return round9_slow(x),
        }
    }
    while n > 0 && digits[n - 1] == 0 {
        n -= 1;
    }
    if n == 0 {
        return round9_slow(x);
    }
    if n <= 9 {
        return x;
    }
    // x ≈ 0.d₁d₂… × 10^top.
    let top = exp + if point > 0 { point } else { -leading };
    let head = digits[..9].iter().fold(0u64, |a, &d| a * 10 + u64::from(d));
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    // The midpoint head·10 + 5, times 10^(top − 10).
    match exact_decimal(head * 10 + 5, top - 10) {
        Some(m) if m != x.abs() => {}
        _ => return round9_slow(x),
    }
    let (mut head, mut top) = (head, top);
    if digits[9] >= 5 {
        head += 1;
        if head == 1_000_000_000 {
            head = 100_000_000;
            top += 1;
        }
    }
    match exact_decimal(head, top - 9) {
        Some(v) => sign * v,
        None => round9_slow(x),
    }
}

/// `mantissa × 10^exp` correctly rounded, where one IEEE operation does it.
fn exact_decimal(mantissa: u64, exp: i32) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    if mantissa >= 1 << 53 {
        return None;
    }
    let m = mantissa as f64;
    let k = usize::try_from(exp.unsigned_abs()).ok()?;
    let p = *POW10.get(k)?;
    Some(if exp >= 0 { m * p } else { m / p })
}

/// The definition [`round9`] follows.
fn round9_slow(x: f64) -> f64 {
    format!("{x:.8e}").parse().unwrap_or(x)
}

fn ms(seconds: f64) -> Value {
    num(seconds * 1e3)
}

fn opt(x: Option<f64>) -> Value {
    x.map_or(Value::Null, num)
}

fn dc_value(model: &Model, dc: Option<usize>) -> Value {
    match dc {
        None => Value::Null,
        Some(d) => Value::String(model.datacenters[d].name.clone()),
    }
}

fn station_json(s: &super::Station) -> Value {
    json!({
        "peak_rps": num(s.peak_rps),
        "servers": s.servers,
        "utilization": num(s.utilization),
        "wait_ms": ms(s.wait_s),
        "response_ms": ms(s.response_s),
        "p99_ms": ms(s.p99_s),
    })
}

fn copy_json(model: &Model, est: &Estimate, node: NodeIndex) -> Obj {
    let copy = model.graph[node];
    let c = &model.components[copy.component];
    let e = est.copy(node);
    let limited = c.capacity.value.is_some();
    let mut m = Vec::with_capacity(32);
    m.push(("component", json!(c.name)));
    m.push(("datacenter", dc_value(model, copy.dc)));
    m.push(("kind", json!(c.kind.as_str())));
    // Without traffic there is no load: rates and what follows from them
    // are null rather than a misleading zero.
    let loaded = |v: Value| if est.has_traffic { v } else { Value::Null };
    m.push(("avg_rps", loaded(num(e.avg_rps))));
    m.push(("peak_rps", loaded(num(e.peak_rps))));
    m.push((
        "peak_rps_by_class",
        loaded(json!({
            "static": num(e.peak[0]),
            "read": num(e.peak[1]),
            "write": num(e.peak[2]),
        })),
    ));
    m.push(("instances", json!(e.instances)));
    if let Some(a) = &c.autoscale {
        m.push(("autoscale", json!({"min": a.value.0, "max": a.value.1})));
    }
    m.push(("max_not_enough", json!(e.max_not_enough)));
    m.push(("managed", json!(c.managed)));
    m.push((
        "workers",
        if limited {
            json!(e.workers)
        } else {
            Value::Null
        },
    ));
    m.push((
        "service_time_ms",
        if limited {
            ms(e.service_time_s)
        } else {
            Value::Null
        },
    ));
    m.push(("capacity_rps", opt(e.capacity_rps)));
    m.push((
        "utilization",
        if limited {
            loaded(num(e.utilization))
        } else {
            Value::Null
        },
    ));
    m.push((
        "utilization_at_max",
        if limited {
            loaded(num(e.utilization_at_max))
        } else {
            Value::Null
        },
    ));
    m.push(("wait_ms", loaded(ms(e.wait_s))));
    m.push(("response_ms", ms(e.response_s)));
    m.push(("p99_ms", ms(e.p99_s)));
    if c.kind == Kind::Database {
        m.push(("read_response_ms", ms(e.read_response_s)));
        m.push(("write_response_ms", ms(e.write_response_s)));
        m.push(("read_p99_ms", ms(e.read_p99_s)));
        m.push(("write_p99_ms", ms(e.write_p99_s)));
    }
    m.push((
        "availability",
        num_avail(availability::copy_availability(model, node, Class::Read)),
    ));
    m.push(("assumed", Value::from(copy_assumed(model, c, e))));
    Obj::new(m)
}

fn shard_json(model: &Model, est: &Estimate, node: NodeIndex, s: &ShardEstimate) -> Obj {
    let copy = model.graph[node];
    let c = &model.components[copy.component];
    let e = est.copy(node);
    Obj::new(vec![
        ("component", json!(c.name)),
        ("datacenter", dc_value(model, copy.dc)),
        ("kind", json!(c.kind.as_str())),
        ("shard", json!(s.shard)),
        ("share", num(s.share)),
        ("dedicated_key", json!(s.dedicated_key)),
        (
            "heaviest_keys",
            Value::Array(
                s.heaviest
                    .iter()
                    .map(|(k, v)| json!({"key": k, "share": num(*v)}))
                    .collect(),
            ),
        ),
        ("avg_rps", num(e.avg_rps * s.share)),
        ("peak_rps", num(s.peak_rps)),
        ("instances", json!(1 + c.replicas.value)),
        (
            "workers",
            if c.capacity.value.is_some() {
                json!(e.workers)
            } else {
                Value::Null
            },
        ),
        ("capacity_rps", opt(s.capacity_rps)),
        ("utilization", num(s.utilization)),
        ("wait_ms", ms(s.wait_s)),
        ("response_ms", ms(s.response_s)),
        ("p99_ms", ms(s.p99_s)),
        ("primary", station_json(&s.primary)),
        (
            "replica",
            s.replica.as_ref().map_or(Value::Null, station_json),
        ),
        ("assumed", Value::from(copy_assumed(model, c, e))),
    ])
}

/// A JSON object of fixed keys, written in key order as a
/// [`serde_json::Value`] object prints (the same bytes) but without a
/// `String` per key and a tree per object: the per-copy objects of a
/// 100,000-component report made some five million of each.
struct Obj(Vec<(&'static str, Value)>);

impl Obj {
    fn new(mut entries: Vec<(&'static str, Value)>) -> Obj {
        entries.sort_unstable_by_key(|e| e.0);
        debug_assert!(entries.windows(2).all(|w| w[0].0 != w[1].0));
        Obj(entries)
    }
}

impl serde::Serialize for Obj {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The estimate as one JSON object (see `docs/estimator.md`).
/// The estimate as a JSON value (CLI.md's `estimate --format json`).
/// Large designs should serialise [`JsonReport`] straight to a writer
/// instead, which never holds more than one copy's object at a time.
pub fn json(model: &Model, est: &Estimate, source: &Source) -> Value {
    serde_json::to_value(JsonReport::new(model, est, source)).unwrap_or(Value::Null)
}

/// `estimate --format json`, serialised field by field: the arrays that
/// grow with the design (components, shards, stores, datacenter-loss
/// tables) are produced one element at a time while writing, so memory
/// stays flat however large the design. Field order is alphabetical,
/// which is the order a [`serde_json::Value`] object prints in, so both
/// paths give the same bytes.
pub struct JsonReport<'a> {
    model: &'a Model,
    est: &'a Estimate,
    source: &'a Source<'a>,
}

impl<'a> JsonReport<'a> {
    pub fn new(model: &'a Model, est: &'a Estimate, source: &'a Source<'a>) -> Self {
        JsonReport { model, est, source }
    }
}

impl serde::Serialize for JsonReport<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (model, est, source) = (self.model, self.est, self.source);
        let components = Lazy(|| {
            copy_groups(model).into_iter().flat_map(move |(_, nodes)| {
                nodes.into_iter().flat_map(move |node| {
                    let e = est.copy(node);
                    let shards = if e.shards.len() > 1 {
                        &e.shards[..]
                    } else {
                        &[]
                    };
                    std::iter::once(copy_json(model, est, node)).chain(
                        shards
                            .iter()
                            .map(move |sh| shard_json(model, est, node, sh)),
                    )
                })
            })
        });
        let dc_loss = Lazy(|| {
            est.dc_loss.iter().map(move |loss| {
                let comps = Lazy(move || {
                    model
                        .graph
                        .node_indices()
                        .filter(move |n| model.graph[*n].dc != Some(loss.datacenter))
                        .map(move |n| dc_loss_copy(model, loss, n))
                });
                DcLossJson {
                    components: comps,
                    datacenter: &model.datacenters[loss.datacenter].name,
                }
            })
        });
        let zone_loss = Lazy(|| {
            est.zone_loss.iter().map(move |loss| {
                let comps = Lazy(move || {
                    loss.copies
                        .iter()
                        .map(move |fig| zone_loss_copy(model, fig))
                });
                ZoneLossJson {
                    components: comps,
                    datacenter: &model.datacenters[loss.datacenter].name,
                    zone: model.datacenters[loss.datacenter].zone_name(loss.zone),
                }
            })
        });
        let mut m = s.serialize_map(Some(16))?;
        m.serialize_entry("assumptions", &assumptions_json(model))?;
        m.serialize_entry("availability", &num_avail(est.availability))?;
        m.serialize_entry("bandwidth", &bandwidth_json(est))?;
        m.serialize_entry("classes", &Lazy(|| classes_json(model, est)))?;
        m.serialize_entry("components", &components)?;
        m.serialize_entry("dc_loss", &dc_loss)?;
        m.serialize_entry("file", source.name)?;
        m.serialize_entry("has_traffic", &est.has_traffic)?;
        m.serialize_entry("queue_loop_unbounded", &est.unbounded)?;
        m.serialize_entry("sets", source.sets)?;
        m.serialize_entry("slo", &slo_json(model, est))?;
        m.serialize_entry("storage", &StorageJson { est })?;
        m.serialize_entry("system", &model.system)?;
        m.serialize_entry("traffic", &traffic_json(model, est))?;
        m.serialize_entry("version", &JSON_VERSION)?;
        m.serialize_entry("zone_loss", &zone_loss)?;
        m.end()
    }
}

/// One zone-loss table; fields in alphabetical order.
#[derive(serde::Serialize)]
struct ZoneLossJson<'a, C: serde::Serialize> {
    components: C,
    datacenter: &'a str,
    zone: String,
}

fn zone_loss_copy(model: &Model, fig: &super::zones::ZoneCopy) -> Value {
    let copy = model.graph[fig.node];
    let c = &model.components[copy.component];
    let unlimited = c.capacity.value.is_none();
    let util = |u: f64| {
        if unlimited || !u.is_finite() {
            Value::Null
        } else {
            num(u)
        }
    };
    let mut v = json!({
        "component": c.name,
        "datacenter": dc_value(model, copy.dc),
        "down": fig.down(),
        "instances": fig.instances,
        "instances_left": fig.instances_left,
        "capacity_rps": opt(fig.capacity_rps),
        "utilization": util(fig.utilization),
        "utilization_at_max": util(fig.utilization_at_max),
    });
    if c.database().is_some() {
        v["shards_promoted"] = json!(fig.shards_promoted);
        v["shards_without_primary"] = json!(fig.shards_without_primary);
    }
    v
}

/// One datacenter-loss table; fields in alphabetical order.
#[derive(serde::Serialize)]
struct DcLossJson<'a, C: serde::Serialize> {
    components: C,
    datacenter: &'a str,
}

fn dc_loss_copy(model: &Model, loss: &super::DcLoss, n: NodeIndex) -> Obj {
    let copy = model.graph[n];
    let c = &model.components[copy.component];
    Obj::new(vec![
        ("component", json!(c.name)),
        ("datacenter", dc_value(model, copy.dc)),
        ("peak_rps", num(loss.peak_rps[n.index()])),
        (
            "utilization_at_max",
            if c.capacity.value.is_some() {
                num(loss.utilization_at_max[n.index()])
            } else {
                Value::Null
            },
        ),
    ])
}

/// The storage section: the per-store list is written lazily.
struct StorageJson<'a> {
    est: &'a Estimate,
}

impl serde::Serialize for StorageJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let est = self.est;
        if !est.has_traffic {
            return s.serialize_unit();
        }
        let assumed = est.storage.iter().any(|st| st.assumed);
        let stores = Lazy(|| {
            est.storage.iter().map(|st| {
                json!({
                    "component": st.component,
                    "datacenter": st.datacenter,
                    "shard": st.shard,
                    "storage_bytes_per_day": num(st.bytes_per_day),
                    "storage_bytes_retained": opt(st.bytes_retained),
                    "record_bytes": num(st.record_bytes),
                    "backlog_growth_per_s": opt(st.backlog_growth_per_s),
                })
            })
        });
        let mut m = s.serialize_map(Some(4))?;
        let assumed: &[&str] = if assumed {
            &["traffic.write_size"]
        } else {
            &[]
        };
        m.serialize_entry("assumed", assumed)?;
        m.serialize_entry("storage_bytes_per_day", &num(est.storage_bytes_per_day))?;
        m.serialize_entry("storage_bytes_retained", &opt(est.storage_bytes_retained))?;
        m.serialize_entry("stores", &stores)?;
        m.end()
    }
}

fn classes_json<'a>(model: &'a Model, est: &'a Estimate) -> impl Iterator<Item = Value> + 'a {
    est.classes.iter().map(move |ce| {
        let check = availability::failover_check(model, est, ce.class);
        let combine = if !check.multi_dc {
            "single"
        } else if check.ok {
            "parallel"
        } else {
            "weighted"
        };
        let mut assumed = latency_assumptions(model, est, ce.class);
        assumed.extend(availability_assumptions(model, est, ce.class));
        json!({
            "class": ce.class.as_str(),
            "avg_rps": if est.has_traffic { num(ce.avg_rps) } else { Value::Null },
            "peak_rps": if est.has_traffic { num(ce.peak_rps) } else { Value::Null },
            "mean_latency_ms": if est.has_traffic { ms(ce.mean_latency_s) } else { Value::Null },
            "p99_latency_ms": if est.has_traffic { ms(ce.p99_s) } else { Value::Null },
            "p99_bound_ms": if est.has_traffic { ms(ce.p99_estimate_s) } else { Value::Null },
            "availability": num_avail(ce.availability),
            "datacenters": combine,
            "assumed": assumed,
        })
    })
}

fn traffic_json(model: &Model, est: &Estimate) -> Value {
    model.traffic.as_ref().map_or(Value::Null, |t| {
        let mut assumed = Vec::new();
        for (name, d) in [
            ("traffic.peak", t.peak.is_default()),
            ("traffic.reads", t.reads.is_default()),
            ("traffic.static", t.static_share.is_default()),
            ("traffic.write_size", t.write_size.is_default()),
        ] {
            if d {
                assumed.push(name);
            }
        }
        json!({
            "avg_rps": num(t.rate),
            "peak_rps": num(t.rate * est.peak_factor),
            "peak_factor": num(t.peak.value),
            "users": opt(t.users),
            "per_user_per_s": opt(t.per_user),
            "reads": num(t.reads.value),
            "static": num(t.static_share.value),
            "payload_bytes": opt(t.payload.as_ref().map(|p| p.value)),
            "write_size_bytes": num(t.write_size.value),
            "retention_s": opt(t.retention.as_ref().map(|r| r.value)),
            "avg_rps_by_class": {
                "static": num(t.class_rate(Class::Static)),
                "read": num(t.class_rate(Class::Read)),
                "write": num(t.class_rate(Class::Write)),
            },
            "assumed": assumed,
        })
    })
}

fn bandwidth_json(est: &Estimate) -> Value {
    est.bandwidth.as_ref().map_or(Value::Null, |b| {
        json!({
            "cdn_bytes_per_s": num(b.cdn_bytes_per_s),
            "origin_bytes_per_s": num(b.origin_bytes_per_s),
        })
    })
}

fn assumptions_json(model: &Model) -> Value {
    let a = &model.assumptions;
    let assumption = |value: Value, s: bool| json!({"value": value, "assumed": s});
    json!({
        "target_utilization": assumption(num(a.target_utilization.value), a.target_utilization.is_default()),
        "instance_availability": assumption(num_avail(a.instance_availability.value), a.instance_availability.is_default()),
        "hop_latency_ms": assumption(ms(a.hop_latency.value), a.hop_latency.is_default()),
        "cross_dc_latency_ms": assumption(ms(a.cross_dc_latency.value), a.cross_dc_latency.is_default()),
        "hotspot_factor": assumption(num(a.hotspot_factor.value), a.hotspot_factor.is_default()),
    })
}

fn slo_json(model: &Model, est: &Estimate) -> Value {
    json!({
        "latency_p99_ms": opt(model.slo.latency_p99.as_ref().map(|s| s.value * 1e3)),
        "latency_mean_ms": opt(model.slo.latency_mean.as_ref().map(|s| s.value * 1e3)),
        "availability": model.slo.availability.as_ref().map_or(Value::Null, |s| num_avail(s.value)),
        "availability_met": model.slo.availability.as_ref().map(|s| est.availability >= s.value),
    })
}

#[cfg(test)]
mod tests {
    use super::{round9, round9_slow};

    fn same(x: f64) {
        let (fast, slow) = (round9(x), round9_slow(x));
        assert!(
            fast.to_bits() == slow.to_bits() || (fast.is_nan() && slow.is_nan()),
            "{x:e}: {fast:e} vs {slow:e}"
        );
    }

    #[test]
    fn rounding_to_nine_digits_matches_the_formatter() {
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.7,
            60.0,
            0.5,
            1e-12,
            9.999999995e-13,
            1e22,
            1e23,
            1e-22,
            1e-23,
            123_456_789.5,
            1_234_567_895.0,
            0.123_456_789_5,
            999_999_999.5,
            9.999_999_995,
            9.999_999_994_999,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            0.523_179_993_999_999_9,
            1.0 / 3.0,
            2.0 / 3.0,
            f64::INFINITY,
            f64::NAN,
        ] {
            same(x);
            same(-x);
        }
        // Pseudo-random bit patterns over the whole range, and values near
        // the midpoints between 9-digit neighbours.
        let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..200_000 {
            same(f64::from_bits(next()));
            let m = (next() % 9_000_000_000) + 1_000_000_000;
            let e = i32::try_from(next() % 60).unwrap_or(0) - 30;
            let mid = format!("{}5e{e}", m / 10).parse::<f64>().unwrap_or(1.0);
            same(mid);
            same(f64::from_bits(mid.to_bits() + 1));
            same(f64::from_bits(mid.to_bits() - 1));
            let frac = (next() % 1_000_000) as f64 / 997.0;
            same(frac);
            same(frac * 1e-3);
        }
    }
}
