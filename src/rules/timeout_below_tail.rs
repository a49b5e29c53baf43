use super::figures::{dc_of, ms, pct, target_secs};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::estimate::CopyEstimate;
use crate::estimate::queueing::MMc;

/// The share of requests above which a timeout is flagged: one in a
/// thousand (the issue's threshold; below it, timeouts are rare enough to
/// be retries' business).
const THRESHOLD: f64 = 0.001;

declare_rule! {
    /// ## What it flags
    /// (needs `traffic`) A `service` whose `timeout` (default `2s`) is
    /// shorter than its own response-time tail: more than 0.1% of the
    /// requests it receives at peak would take longer than the timeout at
    /// that tier alone. The figure is P(response > timeout) of the copy's
    /// M/M/c queue (LANGUAGE.md §7: wait plus an exponential service time,
    /// at the peak rate and the instance count in use); the busiest copy is
    /// reported. A service without a capacity limit takes exactly its
    /// `latency`, so it is flagged only when the latency reaches the
    /// timeout. A copy at or over 100% is left to `overload`: its tail is
    /// the backlog's, not the timeout's.
    ///
    /// The time a request then spends in the calls the service makes only
    /// adds to it, so the share quoted is a lower bound on the requests
    /// the timeout cuts off.
    ///
    /// ## Why it matters
    /// Service times vary: with `latency = 1s` and exponential service, one
    /// request in seven takes longer than 2 s. Each of them fails with a
    /// timeout although every instance is healthy, and a retry doubles the
    /// load it had. The simulator counts them; a design review should not
    /// have to run it to find out.
    ///
    /// ## Example
    /// ```arch
    /// service report { latency = 1s  capacity = 20/s  replicas = 4 }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// service report { latency = 1s  capacity = 20/s  replicas = 4  timeout = 10s }
    /// ```
    pub struct TimeoutBelowTail = "timeout-below-tail", Warning, "capacity", "raise `timeout` above the tier's tail, or make the tier faster"; needs traffic;
    position 8;
}

/// The copy's M/M/c station at peak (LANGUAGE.md §7), `None` for a copy
/// without a capacity limit, whose requests take exactly the latency.
fn station(ce: &CopyEstimate) -> Option<MMc> {
    (ce.capacity_rps.is_some() && ce.service_time_s.is_finite() && ce.service_time_s > 0.0).then(
        || MMc {
            lambda: ce.peak_rps,
            mu: 1.0 / ce.service_time_s,
            servers: u64::from(ce.instances) * u64::from(ce.workers.max(1)),
        },
    )
}

/// P(a request's time at the copy > `timeout`).
fn tail_beyond(ce: &CopyEstimate, latency: f64, timeout: f64) -> f64 {
    match station(ce) {
        Some(q) => q.response_survival(timeout),
        None => f64::from(u8::from(latency >= timeout)),
    }
}

/// The response time one request in a thousand exceeds at the copy.
fn p999(ce: &CopyEstimate, latency: f64) -> f64 {
    station(ce).map_or(latency, |q| q.response_quantile(1.0 - THRESHOLD))
}

impl Rule for TimeoutBelowTail {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        for (id, comp) in m.components.iter().enumerate() {
            let Some(service) = comp.service() else {
                continue;
            };
            let timeout = service.timeout.value;
            if !(timeout.is_finite() && timeout > 0.0) {
                continue;
            }
            let worst = m
                .copies_of(id)
                .map(|(dc, node)| {
                    let ce = cx.estimate.copy(node);
                    (dc, ce, tail_beyond(ce, comp.latency.value, timeout))
                })
                .filter(|(_, ce, _)| ce.peak_rps > 0.0 && ce.utilization < 1.0)
                .max_by(|a, b| a.2.total_cmp(&b.2));
            let Some((dc, ce, tail)) = worst else {
                continue;
            };
            if tail <= THRESHOLD {
                continue;
            }
            let whose = if service.timeout.is_default() {
                format!("the default timeout of {}", target_secs(timeout))
            } else {
                format!("its timeout of {}", target_secs(timeout))
            };
            let copy = match dc_of(m, dc) {
                Some(dc) => format!("`{}` in {dc}", comp.name),
                None => format!("`{}`", comp.name),
            };
            let why = if ce.capacity_rps.is_none() {
                format!(
                    "its latency of {} reaches the timeout",
                    target_secs(comp.latency.value)
                )
            } else {
                format!(
                    "mean service {}, {} busy at peak",
                    target_secs(ce.service_time_s),
                    pct(ce.utilization.min(1.0))
                )
            };
            let span = comp.attr_span("timeout").unwrap_or(comp.name_span);
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                span,
                format!(
                    "{} of the requests to {copy} take longer than {whose} at that tier alone ({why})",
                    pct(tail)
                ),
            )
            .label(format!("{} time out", pct(tail)))
            .help(format!(
                "raise `timeout` on `{}` above its p99.9 ({}), or lower its `latency`",
                comp.name,
                ms(p999(ce, comp.latency.value))
            ))
            .component(&comp.name)
            .datacenter(dc_of(m, dc));
            if let Some(s) = comp.latency.span {
                d = d.related(s, "the service time behind the tail");
            }
            out.push(d);
        }
    }
}
