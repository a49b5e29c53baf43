use super::failure;
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::figures::{self, Style};
use crate::model::Class;

declare_rule! {
    /// ## What it flags
    /// A regional component copy with one instance (or a database shard
    /// that cannot replace its primary) whose loss is survived only because
    /// the `dns` fails the whole datacenter over: the design meets
    /// LANGUAGE.md §8's failover conditions, so `spof` does not fire, but
    /// one crashed process still takes a datacenter out of service.
    ///
    /// ## Why it matters
    /// Datacenter failover is the last line of defence, not the first. Until
    /// the `dns` notices and its `ttl` runs out, every request sent to that
    /// datacenter fails; afterwards the other datacenters carry its whole
    /// share of traffic, with less headroom, for as long as the instance
    /// stays down. A second instance in each datacenter survives the same
    /// failure without anyone noticing.
    ///
    /// ## Example
    /// ```arch
    /// datacenter us-east { weight = 60% }
    /// datacenter us-west { weight = 40% }
    /// dns geo { routing = geo  failover = true }
    /// service web { replicas = 1 }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// service web { replicas = 2 }
    /// ```
    pub struct NoRedundancy = "no-redundancy", Warning, "redundancy", "run a second instance in each datacenter";
    position 2;
}

impl Rule for NoRedundancy {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let model = cx.model;
        let analysis = &cx.estimate.failure;
        for unit in analysis.units.iter() {
            // A unit that loses anything is a `spof`; one nobody calls costs
            // nothing.
            if unit.loses_anything() || !unit.recovers_anything() {
                continue;
            }
            let copy = model.graph[unit.node];
            let comp = &model.components[copy.component];
            let dc = model.dc_name(copy.dc).unwrap_or_default();
            let others: Vec<String> = model
                .datacenters
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != copy.dc)
                .map(|(_, d)| format!("`{}`", d.name))
                .collect();
            // The classes that recovered passed a `dns` that fails over.
            let dns = Class::ALL
                .iter()
                .filter(|c| unit.recovered[c.index()] > 0.0)
                .find_map(|c| analysis.checks[c.index()].dns)
                .map(|d| &model.components[d]);
            let (dns_name, ttl, dns_span) = match dns.and_then(|d| d.dns().map(|s| (d, s))) {
                Some((d, s)) => (d.name.clone(), s.ttl.value, Some(d.name_span)),
                None => ("the dns".to_string(), 0.0, None),
            };
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                comp.name_span,
                format!(
                    "losing {} fails {}, until `{dns_name}` fails `{dc}` over to {} up to {} later",
                    failure::unit_phrase(model, unit),
                    failure::describe(analysis, &unit.recovered),
                    failure::and_list(&others),
                    if ttl < 600.0 {
                        format!("{}s", figures::number(ttl, Style::Written))
                    } else {
                        figures::duration(ttl, Style::Written)
                    },
                ),
            )
            .label("one instance in this datacenter")
            .help(failure::unit_help(model, unit))
            .component(&comp.name)
            .datacenter(model.dc_name(copy.dc));
            if let Some(span) = dns_span {
                d = d.related(span, "the only recovery: failing the datacenter over");
            }
            out.push(d);
        }
    }
}
