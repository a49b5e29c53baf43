use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::Kind;

declare_rule! {
    /// ## What it flags
    /// A `service` with more than one instance (or autoscaling) called
    /// straight from a `dns` or a `client`, with no load balancer between.
    ///
    /// ## Why it matters
    /// DNS hands out addresses and clients cache them: nothing spreads the
    /// requests evenly over the instances, nothing notices that one has
    /// died and stops sending to it, and adding an instance waits for every
    /// cached record to expire. A load balancer in front health-checks the
    /// instances, spreads the load, and lets the tier scale behind one
    /// stable address.
    ///
    /// ## Example
    /// ```arch
    /// client browsers
    /// service web { replicas = 3 }
    /// browsers -> web
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// client browsers
    /// lb front { replicas = 2 }
    /// service web { replicas = 3 }
    /// browsers -> front -> web
    /// ```
    pub struct MissingLb = "missing-lb", Error, "network", "put an `lb` between the caller and the service";
    position 2;
}

impl Rule for MissingLb {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        for f in &m.flows {
            let (from, to) = (&m.components[f.from], &m.components[f.to]);
            if !matches!(from.kind, Kind::Dns | Kind::Client) || to.kind != Kind::Service {
                continue;
            }
            if to.max_instances() <= 1 && to.autoscale.is_none() {
                continue;
            }
            let instances = if to.min_instances() == to.max_instances() {
                format!("{} instances", to.max_instances())
            } else {
                format!("{} to {} instances", to.min_instances(), to.max_instances())
            };
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    f.span,
                    format!(
                        "{} `{}` calls `{}` directly, but `{}` runs {instances}: nothing spreads requests over them or stops sending to one that died",
                        from.kind.as_str(),
                        from.name,
                        to.name,
                        to.name
                    ),
                )
                .label("no load balancer on this call")
                .related(to.attr_or_name(if to.autoscale.is_some() { "autoscale" } else { "replicas" }), format!("`{}` runs {instances}", to.name))
                .help(format!(
                    "add `lb front {{ replicas = 2 }}` and route `{} -> front -> {}`",
                    from.name, to.name
                ))
                .component(&to.name),
            );
        }
    }
}
