use super::figures::{ms, target_secs};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::estimate::{ClassEstimate, Estimate};
use crate::model::{Class, Model, Setting};

declare_rule! {
    /// ## What it flags
    /// (needs `traffic`) A request class whose latency at peak misses the
    /// `slo`:
    ///
    /// - **error** — the estimated mean latency of the class is above
    ///   `slo.latency_p99` or `slo.latency_mean`: when even the mean is over
    ///   the objective, the objective is missed for certain;
    /// - **warning** — the estimator's p99 estimate (the p99 response times
    ///   of every node a request of the class reaches with probability 1% or
    ///   more, plus hops) is above `slo.latency_p99`, while the mean is not.
    ///
    /// The estimate is a sum of per-node p99s, an upper bound more than a
    /// quantile, hence a warning. The related span is the copy that adds
    /// the most.
    ///
    /// ## Why it matters
    /// A latency objective is what users feel. Tail latency adds up along a
    /// path: a request that crosses five tiers meets a slow one far more
    /// often than one in a hundred. Queueing near saturation, cross-
    /// datacenter calls and cache misses to a slow store are the usual
    /// causes, and all of them show in the estimate before they show in
    /// production.
    ///
    /// ## Example
    /// ```arch
    /// slo { latency_p99 = 100ms }
    /// service web { replicas = 2  capacity = 100/s  latency = 60ms }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// slo { latency_p99 = 100ms }
    /// service web { replicas = 4  capacity = 200/s  latency = 15ms }
    /// ```
    pub struct SloLatency = "slo-latency", Error, "capacity", "shorten the slowest part of the path, or relax the objective"; needs traffic;
    position 6;
}

impl Rule for SloLatency {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let est = cx.estimate;
        let slo = &m.slo;
        let span_of = |s: &Setting<f64>| s.span.or(slo.span).unwrap_or_else(|| m.top_span());
        for ce in &est.classes {
            if ce.avg_rps <= 0.0 {
                continue;
            }
            let class = ce.class.as_str();
            let mean = ce.mean_latency_s;
            // Objectives the mean misses: the mean objective first, as the
            // one the mean is naturally held to.
            let mut missed: Vec<(&str, &Setting<f64>)> = Vec::new();
            if let Some(t) = &slo.latency_mean
                && mean > t.value
            {
                missed.push(("latency_mean", t));
            }
            if let Some(t) = &slo.latency_p99
                && mean > t.value
            {
                missed.push(("latency_p99", t));
            }
            if let Some((name, first)) = missed.first() {
                let targets: Vec<String> = missed
                    .iter()
                    .map(|(n, t)| format!("`{n} = {}`", target_secs(t.value)))
                    .collect();
                let mut d = Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    span_of(first),
                    format!(
                        "`{class}` requests take {} on average at peak, above {}",
                        ms(mean),
                        targets.join(" and ")
                    ),
                )
                .label(format!("`{name}` missed by the mean"));
                for (n, t) in missed.iter().skip(1) {
                    d = d.related(span_of(t), format!("`{n}` missed too"));
                }
                let top = slowest(m, est, ce, false);
                d = with_top(d, m, top, "to the mean", class);
                out.push(d);
            }
            if let Some(t) = &slo.latency_p99
                && mean <= t.value
                && ce.p99_estimate_s > t.value
            {
                let top = slowest(m, est, ce, true);
                let d = Diagnostic::new(
                    Self::INFO.name,
                    Severity::Warning,
                    span_of(t),
                    format!(
                        "the p99 estimate of `{class}` requests is {} at peak, above `latency_p99 = {}` (mean {})",
                        ms(ce.p99_estimate_s),
                        target_secs(t.value),
                        ms(mean)
                    ),
                )
                .label("`latency_p99` likely missed");
                out.push(with_top(d, m, top, "at p99", class));
            }
        }
    }
}

/// The copy that adds the most to a class's mean (or, with `p99`, the
/// largest p99 among the copies its p99 estimate sums), with that figure.
fn slowest(m: &Model, est: &Estimate, ce: &ClassEstimate, p99: bool) -> Option<(usize, f64)> {
    let c = ce.class.index();
    let mut best: Option<(usize, f64)> = None;
    for node in m.graph.node_indices() {
        let visits = est.flows.sync[node.index()][c] / ce.avg_rps;
        if visits <= 0.0 || (p99 && visits < 0.01) {
            continue;
        }
        let copy = est.copy(node);
        let (resp, q99) = match ce.class {
            Class::Write => (copy.write_response_s, copy.write_p99_s),
            _ => (copy.read_response_s, copy.read_p99_s),
        };
        let v = if p99 { q99 } else { visits * resp };
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((node.index(), v));
        }
    }
    best
}

fn with_top(
    d: Diagnostic,
    m: &Model,
    top: Option<(usize, f64)>,
    what: &str,
    class: &str,
) -> Diagnostic {
    match top {
        Some((i, v)) => {
            let copy = m.graph[petgraph::graph::NodeIndex::new(i)];
            let comp = &m.components[copy.component];
            let name = m.copy_name(copy);
            let span: Span = comp.name_span;
            d.related(span, format!("`{name}` adds the most: {} {what}", ms(v)))
                .help(format!(
                    "shorten the path of `{class}` requests where `{name}` adds {} {what}: more instances cut its queueing, a lower `latency` or a cache its time; or relax the objective",
                    ms(v)
                ))
        }
        None => d.help("shorten the path or relax the objective"),
    }
}
