use super::figures::{pct, rate};
use super::overload::{capacity_related, span_of};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::estimate::zones::{ZoneCopy, ZoneLoss, instances_to_survive};
use crate::model::Kind;
use petgraph::graph::NodeIndex;
use std::collections::BTreeMap;

declare_rule! {
    /// ## What it flags
    /// (needs `traffic`) A copy with a fixed instance count (`replicas`, no
    /// `autoscale`) in a datacenter with `zones` (LANGUAGE.md §13) that
    /// keeps up at peak but not after losing the zone holding most of its
    /// instances: its instances spread evenly over the zones, instance `i`
    /// in zone `i mod zones`, so zone `a` holds ⌈n / zones⌉ of them, and
    /// the rest must carry the copy's whole peak at 100% utilisation or
    /// more. A copy that is already overloaded is `overload`'s finding; a
    /// copy with one instance is `spof`'s. Databases are left out (a lost
    /// zone costs a database a primary or replicas, which failover and
    /// `spof` judge), as are autoscaled copies, whose autoscaler replaces
    /// the lost instances in the surviving zones. The figures are the
    /// estimator's zone-loss what-if (`archc estimate`, "losing a zone"),
    /// and the zone judged is each copy's worst.
    ///
    /// ## Why it matters
    /// Zones are bought for the day one of them fails. On that day the
    /// load balancer sends a zone's share to the instances left in the
    /// other zones; sized only for the normal day, they saturate and the
    /// zone's outage becomes the datacenter's.
    ///
    /// ## Example
    /// ```arch
    /// traffic { rate = 500/s }
    /// datacenter east { zones = 3 }
    /// service web { replicas = 3  capacity = 200/s }   # 2 left: 400/s
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// traffic { rate = 500/s }
    /// datacenter east { zones = 3 }
    /// service web { replicas = 5  capacity = 200/s }   # zone a holds 2: 600/s left
    /// ```
    pub struct ZoneFailoverCapacity = "zone-failover-capacity", Warning, "capacity", "size each tier to carry its peak with one zone's instances lost"; needs traffic;
    position 11;
}

impl Rule for ZoneFailoverCapacity {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let est = cx.estimate;
        // The worst zone of each copy the rule judges (the first of equally
        // bad ones, zone `a` under even spread), from the estimator's
        // zone-loss what-ifs.
        let mut worst: BTreeMap<NodeIndex, (&ZoneLoss, &ZoneCopy)> = BTreeMap::new();
        for loss in &est.zone_loss {
            for fig in &loss.copies {
                let ce = est.copy(fig.node);
                let comp = &m.components[ce.copy.component];
                if comp.kind == Kind::Database
                    || comp.autoscale.is_some()
                    || ce.utilization >= 1.0
                    || ce.capacity_rps.is_none()
                    || fig.instances < 2
                    || fig.down()
                    || fig.utilization < 1.0
                {
                    continue;
                }
                let e = worst.entry(fig.node).or_insert((loss, fig));
                if fig.utilization > e.1.utilization {
                    *e = (loss, fig);
                }
            }
        }
        for (node, (loss, fig)) in worst {
            let ce = est.copy(node);
            let comp = &m.components[ce.copy.component];
            let Some(per_instance) = comp.capacity.value else {
                continue;
            };
            let datacenter = &m.datacenters[loss.datacenter];
            let zones = datacenter.zones.value;
            let zone = datacenter.zone_name(loss.zone);
            let copy = m.copy_name(ce.copy);
            let (n, left) = (fig.instances, fig.instances_left);
            let d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                span_of(comp),
                format!(
                    "losing zone `{zone}` takes {} of `{copy}`'s {n} instances: the {left} left serve {} against its peak of {}, {} utilisation",
                    n - left,
                    rate(fig.capacity_rps.unwrap_or(0.0)),
                    rate(ce.peak_rps),
                    pct(fig.utilization)
                ),
            )
            .label(format!("{n} instances over {zones} zones"))
            .related(datacenter.zones.span.unwrap_or(datacenter.name_span), "zones")
            .help(format!(
                "give `{}` {} instances or more, or let it autoscale",
                comp.name,
                instances_to_survive(ce.peak_rps, per_instance, zones)
            ))
            .component(&comp.name);
            out.push(capacity_related(comp, d));
        }
    }
}
