use super::figures::{dc_of, pct, rate};
use super::overload::{capacity_related, instances_phrase, span_of};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;

declare_rule! {
    /// ## What it flags
    /// (needs `traffic`) A design whose `dns` fails over (`failover = true`)
    /// between two or more datacenters, where losing one datacenter — its
    /// weight shared among the others in proportion — takes a component copy
    /// in another datacenter to 100% utilisation or more even at its
    /// largest instance count. For a database copy it is the busiest
    /// instance. Copies already at 100% without a loss are `overload`
    /// findings and are not repeated here. The lost datacenter is the
    /// related span.
    ///
    /// ## Why it matters
    /// A second datacenter is bought for the day the first one fails. On
    /// that day the survivors take all of its users at once. If a tier there
    /// was sized only for its own share, failover moves the outage instead
    /// of ending it: the surviving datacenter saturates and fails everyone.
    ///
    /// ## Example
    /// ```arch
    /// datacenter east { weight = 50% }
    /// datacenter west { weight = 50% }
    /// service web { replicas = 2  capacity = 400/s }   # 500/s each at peak
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// service web { autoscale = 2..4  capacity = 400/s }  # one side carries 1000/s
    /// ```
    pub struct DcFailoverCapacity = "dc-failover-capacity", Error, "capacity", "size each datacenter to carry the others' traffic after a failover"; needs traffic;
    position 3;
}

impl Rule for DcFailoverCapacity {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let est = cx.estimate;
        let fails_over = m
            .components
            .iter()
            .any(|c| c.dns().is_some_and(|d| d.failover.value));
        if !fails_over {
            return;
        }
        let target = m.assumptions.target_utilization.value;
        for node in m.graph.node_indices() {
            let copy = m.graph[node];
            let i = node.index();
            if est.copy(node).utilization_at_max >= 1.0 {
                // Already overloaded without a loss: `overload` reports it.
                continue;
            }
            // Every loss that overloads this copy; the worst is described.
            let losses: Vec<&crate::estimate::DcLoss> = est
                .dc_loss
                .iter()
                .filter(|l| copy.dc != Some(l.datacenter) && l.utilization_at_max[i] >= 1.0)
                .collect();
            // The first of equally bad losses, in datacenter order.
            let Some(loss) = losses.iter().copied().reduce(|b, l| {
                if l.utilization_at_max[i] > b.utilization_at_max[i] {
                    l
                } else {
                    b
                }
            }) else {
                continue;
            };
            let lost = &m.datacenters[loss.datacenter];
            let also: Vec<String> = losses
                .iter()
                .filter(|l| l.datacenter != loss.datacenter)
                .map(|l| format!("`{}`", m.datacenters[l.datacenter].name))
                .collect();
            let also = if also.is_empty() {
                String::new()
            } else {
                format!("; losing {} overloads it too", also.join(" or "))
            };
            let comp = &m.components[copy.component];
            let Some(per_instance) = comp.capacity.value else {
                continue;
            };
            let peak = loss.peak_rps[i];
            let util = loss.utilization_at_max[i];
            let (figures, help) = if comp.database().is_some() {
                (
                    format!(
                        "it then receives {} at peak (from {}) and its busiest instance runs at {}",
                        rate(peak),
                        rate(est.copy(node).peak_rps),
                        pct(util)
                    ),
                    format!(
                        "raise `capacity` of `{}`, add `replicas` for reads or `shards` for writes, so one datacenter carries the whole load",
                        comp.name
                    ),
                )
            } else {
                let max = comp.max_servers();
                let limit = instances_phrase(comp, max);
                let needed = (peak / (per_instance * target)).ceil().max(1.0);
                (
                    format!(
                        "it then needs {} at peak (from {}) {limit} {} ({})",
                        rate(peak),
                        rate(est.copy(node).peak_rps),
                        rate(per_instance * f64::from(max)),
                        pct(util)
                    ),
                    if comp.autoscale.is_some() {
                        format!(
                            "raise the `autoscale` max of `{}` to {needed} so it carries the failed datacenter's share at the {} target",
                            comp.name,
                            pct(target)
                        )
                    } else {
                        format!(
                            "let `{}` scale to {needed} instances per datacenter (`autoscale = {}..{needed}`) or raise its `capacity`",
                            comp.name,
                            comp.min_instances().max(1)
                        )
                    },
                )
            };
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                span_of(comp),
                format!(
                    "losing datacenter `{}` overloads `{}`: {figures}{also}",
                    lost.name,
                    m.copy_name(copy)
                ),
            )
            .label(format!("{} after failover", pct(util)))
            .related(
                lost.name_span,
                format!("if `{}` fails, its traffic moves", lost.name),
            )
            .help(help)
            .component(&comp.name)
            .datacenter(dc_of(m, copy.dc));
            d = capacity_related(comp, d);
            out.push(d);
        }
    }
}
