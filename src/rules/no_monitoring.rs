use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;

declare_rule! {
    /// ## What it flags
    /// A design with no `monitoring` block, or one that names neither `logs`
    /// nor `metrics`.
    ///
    /// ## Why it matters
    /// Once a system serves real users you must know when a tier runs hot,
    /// when errors climb and why a request was slow. Without logs and
    /// metrics the first report of an outage comes from a user, and every
    /// capacity decision is a guess.
    ///
    /// ## Example
    /// ```arch
    /// service web { replicas = 2 }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// monitoring { logs = loki  metrics = prometheus  alerts = true }
    /// ```
    pub struct NoMonitoring = "no-monitoring", Warning, "operations", "add `monitoring { logs = …  metrics = … }`";
    position 1;
}

impl Rule for NoMonitoring {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        match &m.monitoring {
            Some(mon) if mon.logs.is_some() || mon.metrics.is_some() => {}
            Some(mon) => out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    mon.span,
                    format!(
                        "`monitoring` of `{}` names neither `logs` nor `metrics`",
                        m.system
                    ),
                )
                .label("no logs or metrics")
                .help("name the tools: `logs = loki  metrics = prometheus`"),
            ),
            None => out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    m.top_span(),
                    format!(
                        "`{}` has no monitoring: no logs or metrics to see failures and load",
                        m.system
                    ),
                )
                .label("no `monitoring` block in this design")
                .help("add `monitoring { logs = loki  metrics = prometheus  alerts = true }`"),
            ),
        }
    }
}
