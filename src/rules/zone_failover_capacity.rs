use super::figures::{pct, rate};
use super::overload::{capacity_related, span_of};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::{Kind, instances_in_zone};

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
    /// the lost instances in the surviving zones.
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
        for ce in &cx.estimate.copies {
            let Some(dc) = ce.copy.dc else { continue };
            let datacenter = &m.datacenters[dc];
            let zones = datacenter.zones.value;
            let comp = &m.components[ce.copy.component];
            if zones < 2
                || comp.kind == Kind::Database
                || comp.autoscale.is_some()
                || comp.provider_scaled()
                || ce.utilization >= 1.0
            {
                continue;
            }
            let Some(capacity) = ce.capacity_rps else {
                continue;
            };
            let n = ce.instances;
            let lost = instances_in_zone(n, zones, 0);
            let left = n - lost;
            if left == 0 || n < 2 {
                continue;
            }
            let after = ce.peak_rps / (capacity * f64::from(left) / f64::from(n));
            if after < 1.0 {
                continue;
            }
            let zone = datacenter.zone_name(0);
            let copy = m.copy_name(ce.copy);
            let d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                span_of(comp),
                format!(
                    "losing zone `{zone}` takes {lost} of `{copy}`'s {n} instances: the {left} left serve {} against its peak of {}, {} utilisation",
                    rate(capacity * f64::from(left) / f64::from(n)),
                    rate(ce.peak_rps),
                    pct(after)
                ),
            )
            .label(format!("{n} instances over {zones} zones"))
            .related(datacenter.zones.span.unwrap_or(datacenter.name_span), "zones")
            .help(format!(
                "give `{}` {} instances or more, or let it autoscale",
                comp.name,
                needed(ce.peak_rps, capacity / f64::from(n), zones)
            ))
            .component(&comp.name);
            out.push(capacity_related(comp, d));
        }
    }
}

/// The fewest instances `n` whose survivors of a zone's loss, n − ⌈n /
/// zones⌉, carry `peak` below 100% at `per_instance` each.
fn needed(peak: f64, per_instance: f64, zones: u32) -> u32 {
    (2..=10_000)
        .find(|&n| f64::from(n - instances_in_zone(n, zones, 0)) * per_instance > peak)
        .unwrap_or(10_000)
}

#[cfg(test)]
mod tests {
    use super::needed;

    #[test]
    fn the_fewest_instances_that_survive_a_zone() {
        // 500/s at 200/s an instance over 3 zones: 4 leaves 2 (400/s), 5
        // leaves 3 (600/s).
        assert_eq!(needed(500.0, 200.0, 3), 5);
        // Over 2 zones half is lost: 6 leaves 3 (600/s).
        assert_eq!(needed(500.0, 200.0, 2), 6);
    }
}
