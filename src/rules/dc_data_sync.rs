use super::failure::and_list;
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::estimate::availability::failover_check;
use crate::model::Class;

declare_rule! {
    /// ## What it flags
    /// A design with two or more datacenters and a `dns` that fails over,
    /// where a stateful component the requests need — a `database`, a
    /// `storage`, or the store a service's `session` names — is placed in
    /// several datacenters with `cross_dc = none`: each datacenter's copy
    /// holds only the data written there.
    ///
    /// ## Why it matters
    /// Failover moves users, not data. When a datacenter fails, the `dns`
    /// sends its users to another one, whose database never saw their
    /// writes and whose session store never saw their logins: users find
    /// their photos missing and are logged out, or worse, write new data
    /// that conflicts with the old when the datacenter returns. Replicate
    /// the data across datacenters (`cross_dc = async`, or `sync` when no
    /// write may be lost) so that failover lands users where their data is.
    ///
    /// ## Example
    /// ```arch
    /// datacenter us-east { weight = 60% }
    /// datacenter us-west { weight = 40% }
    /// dns geo { routing = geo  failover = true }
    /// database photos { replicas = 1 }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// database photos { replicas = 1  cross_dc = async }
    /// ```
    pub struct DcDataSync = "dc-data-sync", Error, "data", "replicate the data across datacenters: `cross_dc = async`";
    position 6;
}

impl Rule for DcDataSync {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        // Per stateful component: the classes that need it, and the dns.
        let mut found: Vec<(usize, Vec<Class>, usize)> = Vec::new();
        for class in Class::ALL {
            let check = failover_check(m, cx.estimate, class);
            let Some(dns) = check.dns else { continue };
            if !(check.multi_dc && check.dns_fails_over) {
                continue;
            }
            for s in check.unsynced {
                // A store placed in one datacenter is one copy that every
                // datacenter shares: nothing to sync, and `spof` reports
                // what its loss costs.
                if m.components[s].datacenters.value.len() < 2 {
                    continue;
                }
                match found.iter_mut().find(|f| f.0 == s) {
                    Some(f) => f.1.push(class),
                    None => found.push((s, vec![class], dns)),
                }
            }
        }
        for (s, classes, dns) in found {
            let c = &m.components[s];
            let dns = &m.components[dns];
            let names: Vec<String> = classes
                .iter()
                .map(|c| match c {
                    Class::Static => "static requests".to_string(),
                    Class::Read => "reads".to_string(),
                    Class::Write => "writes".to_string(),
                })
                .collect();
            // The heaviest datacenter the store is placed in: the failover
            // that moves the most users.
            let Some(heaviest) =
                super::failure::heaviest_dc(m, c.datacenters.value.iter().copied())
            else {
                continue;
            };
            let dc = &m.datacenters[heaviest];
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.attr_or_name("cross_dc"),
                    format!(
                        "`{}` has `cross_dc = none`: when `{}` fails `{}` over, its {} of traffic sends {} to datacenters whose `{}` lacks their data",
                        c.name,
                        dns.name,
                        dc.name,
                        super::failure::percent(dc.weight.value),
                        and_list(&names),
                        c.name
                    ),
                )
                .label("each datacenter holds only its own writes")
                .related(dns.attr_or_name("failover"), format!("`{}` moves users between datacenters", dns.name))
                .help(format!("replicate `{}` across datacenters: `cross_dc = async`", c.name))
                .component(&c.name),
            );
        }
    }
}
