use super::failure::and_list;
use super::figures::rate;
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::{Class, Kind};

declare_rule! {
    /// ## What it flags
    /// (needs `traffic`) Requests of a class that reach a component which
    /// cannot answer them and has flows, none of which carries that class:
    /// `users -> assets [static]` and `users -> web [read]` leave the
    /// users' writes with nowhere to go. The components that cannot answer
    /// are those that only pass requests on: a `client`, `dns`, `lb`, a
    /// `cdn` (for what it does not hit) and a `cache` (for its misses and
    /// writes). The figure is the class's peak rate at the component that
    /// would have to send it on — for a cache its misses, for a CDN the
    /// static misses (what it answers itself is not lost).
    ///
    /// A `service` does work of its own: the classes its flows do not
    /// carry are answered there (`web -> db [read, write]` with static
    /// files served from the web tier's disk), as everything is at a
    /// service without flows. A database or storage answers everything; a
    /// queue hands everything to its consumers. None of them is flagged.
    ///
    /// ## Why it matters
    /// The estimate, the rules and the deployment files then describe a
    /// system that never sees those requests: the tiers they should load
    /// look idle, and the simulator would report them answered in no time.
    /// In the real system they hit an error page. A design should say
    /// where every request goes.
    ///
    /// ## Example
    /// ```arch
    /// client users
    /// users -> assets [static]
    /// users -> web [read]
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// client users
    /// users -> assets [static]
    /// users -> web [read, write]
    /// ```
    pub struct UnmatchedTraffic = "unmatched-traffic", Error, "network", "give the class a flow, or drop the labels that exclude it"; needs traffic;
    position 5;
}

impl Rule for UnmatchedTraffic {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        for (id, comp) in m.components.iter().enumerate() {
            if matches!(
                comp.kind,
                Kind::Service | Kind::Queue | Kind::Database | Kind::Storage
            ) {
                continue;
            }
            let flows: Vec<_> = m.flows_from(id).collect();
            if flows.is_empty() {
                continue;
            }
            let carried = flows
                .iter()
                .fold(crate::model::Classes::NONE, |acc, (_, f)| {
                    f.classes.iter().fold(acc, |a, c| a.with(c))
                });
            let lost: Vec<(Class, f64)> = Class::ALL
                .into_iter()
                .filter(|c| !carried.contains(*c))
                .map(|c| {
                    let peak: f64 = m
                        .copies_of(id)
                        .map(|(_, n)| cx.estimate.copy(n).peak[c.index()])
                        .sum();
                    (c, peak * comp.onward_fraction(c))
                })
                .filter(|(_, r)| *r > 0.0)
                .collect();
            if lost.is_empty() {
                continue;
            }
            let what = and_list(
                &lost
                    .iter()
                    .map(|(c, r)| format!("{} ({} at peak)", c.as_str(), rate(*r)))
                    .collect::<Vec<_>>(),
            );
            let names: Vec<String> = lost.iter().map(|(c, _)| c.as_str().to_string()).collect();
            // Suggest the callee that suits the lost classes: a CDN (or
            // any callee) for static requests; for reads and writes, one
            // that is neither a CDN nor storage.
            let wants_static = lost.iter().all(|(c, _)| *c == Class::Static);
            let callees = || flows.iter().map(|(_, f)| f.to);
            let target = if wants_static {
                callees()
                    .find(|&t| m.components[t].kind == Kind::Cdn)
                    .or_else(|| callees().next())
            } else {
                callees().find(|&t| !matches!(m.components[t].kind, Kind::Cdn | Kind::Storage))
            }
            .map_or("SERVICE", |t| m.components[t].name.as_str());
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                comp.name_span,
                format!(
                    "`{}` receives {what} requests but none of its flows carries {}: they are lost",
                    comp.name,
                    if lost.len() == 1 {
                        "them"
                    } else {
                        "those classes"
                    }
                ),
            )
            .label(format!("{} requests go nowhere", and_list(&names)))
            .help(format!(
                "add a flow for them (`{} -> {first} [{}]`), or drop the labels that exclude them",
                comp.name,
                names.join(", "),
                first = target
            ))
            .component(&comp.name);
            for (_, f) in &flows {
                let labels = f.classes.names().join(", ");
                d = d.related(f.span, format!("carries {labels}"));
            }
            out.push(d);
        }
    }
}
