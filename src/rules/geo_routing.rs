use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::Routing;

declare_rule! {
    /// ## What it flags
    /// A design with two or more datacenters whose `dns` routes with
    /// `routing = simple` (the default): it answers without regard to where
    /// the user is.
    ///
    /// ## Why it matters
    /// The point of a second datacenter near other users is to serve them
    /// from nearby. Simple routing spreads users by weight alone, so a user
    /// in Virginia is sent to Oregon as often as the weights say, and pays
    /// the cross-country round trip (`cross_dc_latency`, 60ms by default) on
    /// every request. With users spread like the weights, the share sent
    /// away from their nearest datacenter is the sum over datacenters of
    /// weight × (1 − weight). `geo` or `latency` routing sends each user to
    /// the nearest healthy datacenter.
    ///
    /// ## Example
    /// ```arch
    /// datacenter us-east { weight = 60% }
    /// datacenter us-west { weight = 40% }
    /// dns front { failover = true }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// dns front { routing = geo  failover = true }
    /// ```
    pub struct GeoRouting = "geo-routing", Warning, "network", "set `routing = geo` (or `latency`) on the `dns`";
    position 3;
}

impl Rule for GeoRouting {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        if !(m.has_datacenters() && m.datacenters.len() >= 2) {
            return;
        }
        // Users spread like the weights, each sent to a datacenter by weight
        // alone: the chance of landing away from home is Σ w(1 − w).
        let away: f64 = m
            .datacenters
            .iter()
            .map(|d| d.weight.value * (1.0 - d.weight.value))
            .sum();
        let extra = crate::figures::duration(
            m.assumptions.cross_dc_latency.value,
            crate::figures::Style::Written,
        );
        for c in &m.components {
            let Some(dns) = c.dns() else { continue };
            if dns.routing.value != Routing::Simple {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.attr_or_name("routing"),
                    format!(
                        "`{}` routes `simple` over {} datacenters: it ignores where users are, so {} of requests go to a datacenter other than the nearest and pay {extra} more per round trip",
                        c.name,
                        m.datacenters.len(),
                        super::failure::percent(away)
                    ),
                )
                .label("routing without regard to location")
                .help(format!("set `routing = geo` (or `latency`) on `{}`", c.name))
                .component(&c.name),
            );
        }
    }
}
