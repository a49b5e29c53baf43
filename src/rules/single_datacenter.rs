use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;

declare_rule! {
    /// ## What it flags
    /// A design whose regional components (everything but `client`, `dns`
    /// and `cdn`) are each placed in a single datacenter: a design with no
    /// `datacenter` block, one with a single datacenter, or one whose
    /// components are each pinned to one place with `datacenters`.
    ///
    /// ## Why it matters
    /// A datacenter is a failure domain: power, cooling, network and the
    /// provider's control plane fail for everything inside it at once. With
    /// every component in one place, no amount of redundancy inside it
    /// survives that; and users far from it pay the round trip on every
    /// request. It is an informational finding because a young system can
    /// rightly accept the risk — the point is to accept it knowingly.
    ///
    /// ## Example
    /// ```arch
    /// service web { replicas = 2 }
    /// database photos { replicas = 1 }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// datacenter us-east { region = "us-east-1"  weight = 60% }
    /// datacenter us-west { region = "us-west-2"  weight = 40% }
    /// dns geo { routing = geo  failover = true }
    /// database photos { replicas = 1  cross_dc = async }
    /// ```
    pub struct SingleDatacenter = "single-datacenter", Info, "redundancy", "declare a second `datacenter` and fail over with a `dns`";
    position 3;
}

impl Rule for SingleDatacenter {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let regional: Vec<_> = m
            .components
            .iter()
            .filter(|c| !c.kind.is_global())
            .collect();
        if regional.is_empty() || regional.iter().any(|c| c.datacenters.value.len() > 1) {
            return;
        }
        let mut used: Vec<usize> = regional
            .iter()
            .flat_map(|c| c.datacenters.value.iter().copied())
            .collect();
        used.sort_unstable();
        used.dedup();
        let help = "declare a second `datacenter`, place the components in both, and put a `dns` with `failover = true` in front";
        let d = if !m.has_datacenters() {
            Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                m.top_span(),
                format!(
                    "every regional component of `{}` runs in one datacenter: losing it takes the whole system down",
                    m.system
                ),
            )
            .label("no `datacenter` declared in this design")
        } else if let [only] = used.as_slice() {
            let dc = &m.datacenters[*only];
            Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                dc.name_span,
                format!(
                    "every regional component of `{}` is placed in `{}` alone: losing it takes the whole system down",
                    m.system, dc.name
                ),
            )
            .label("the one datacenter in use")
            .datacenter(Some(dc.name.as_str()))
        } else {
            // Pinned to different datacenters, each component still fails
            // with its one place.
            let first = regional[0];
            Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                first.attr_or_name("datacenters"),
                format!(
                    "each of the {} regional components of `{}` is placed in one datacenter: losing any of the {} datacenters takes the components there down",
                    regional.len(),
                    m.system,
                    used.len()
                ),
            )
            .label("placed in one datacenter")
        };
        out.push(d.help(help));
    }
}
