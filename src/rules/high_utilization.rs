use super::figures::{dc_of, pct_pair};
use super::overload::{at_max, capacity_related, help, span_of};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;

declare_rule! {
    /// ## What it flags
    /// (needs `traffic`) A component copy whose utilisation at peak is above
    /// `assumptions.target_utilization` (default 70%) even at its largest
    /// instance count, but below 100% (at 100% it is an `overload`). For a
    /// database copy it is the busiest instance.
    ///
    /// ## Why it matters
    /// Queueing delay grows steeply as utilisation nears 100%: an M/M/1
    /// server at 90% makes requests wait nine times their service time on
    /// average. Headroom also absorbs what the estimate cannot see — a
    /// traffic spike above the planned peak, an instance lost, a slow
    /// deploy. A copy that cannot get under the target even when fully
    /// scaled out has no room left for any of them.
    ///
    /// ## Example
    /// ```arch
    /// traffic { rate = 1000/s }
    /// service web { replicas = 4  capacity = 300/s }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// traffic { rate = 1000/s }
    /// service web { autoscale = 4..8  capacity = 300/s }
    /// ```
    pub struct HighUtilization = "high-utilization", Warning, "capacity", "allow more instances or raise `capacity` to get under the target"; needs traffic;
    position 2;
}

impl Rule for HighUtilization {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let target = m.assumptions.target_utilization.value;
        for ce in &cx.estimate.copies {
            let u = ce.utilization_at_max;
            if u <= target || u >= 1.0 {
                continue;
            }
            let Some(view) = at_max(m, ce, target) else {
                continue;
            };
            let comp = &m.components[ce.copy.component];
            let (got, limit) = pct_pair(u, target);
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                span_of(comp),
                format!(
                    "`{}` runs at {got} at peak, above the {limit} target: it {}",
                    view.copy, view.figures
                ),
            )
            .label(format!("{got} at peak"))
            .help(help(m, ce.node, &view, target))
            .component(&comp.name)
            .datacenter(dc_of(m, ce.copy.dc));
            d = capacity_related(comp, d);
            out.push(d);
        }
    }
}
