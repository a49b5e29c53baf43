use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;

declare_rule! {
    /// ## What it flags
    /// A design with two or more datacenters whose `dns` has
    /// `failover = false`.
    ///
    /// ## Why it matters
    /// A second datacenter is there to take over when the first fails. With
    /// failover off the `dns` keeps sending each datacenter its share of
    /// users after it has died, and those requests fail until someone edits
    /// the records by hand — the outage lasts as long as the response time
    /// of a person instead of the record's `ttl`.
    ///
    /// ## Example
    /// ```arch
    /// datacenter us-east { weight = 60% }
    /// datacenter us-west { weight = 40% }
    /// dns geo { routing = geo  failover = false }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// dns geo { routing = geo  failover = true  ttl = 60s }
    /// ```
    pub struct DnsFailoverOff = "dns-failover-off", Warning, "network", "set `failover = true` on the `dns`";
    position 4;
}

impl Rule for DnsFailoverOff {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        if !(m.has_datacenters() && m.datacenters.len() >= 2) {
            return;
        }
        let Some(heaviest) =
            super::failure::heaviest_dc(m, 0..m.datacenters.len()).map(|d| &m.datacenters[d])
        else {
            return;
        };
        let share = super::failure::percent(heaviest.weight.value);
        for c in &m.components {
            let Some(dns) = c.dns() else { continue };
            if dns.failover.value {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.attr_or_name("failover"),
                    format!(
                        "`{}` has `failover = false`: when `{}` fails, its {share} of traffic keeps being sent there and fails until someone changes the records",
                        c.name,
                        heaviest.name,
                    ),
                )
                .label("no failover between datacenters")
                .related(heaviest.name_span, format!("`{}` takes {share} of traffic", heaviest.name))
                .help(format!("set `failover = true` on `{}`", c.name))
                .component(&c.name),
            );
        }
    }
}
