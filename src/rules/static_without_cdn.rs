use super::figures::{pct, rate};
use super::reach::{Cdn, classes_reaching};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::{Class, Kind};

declare_rule! {
    /// ## What it flags
    /// `traffic.static` above 0% and static requests that reach a `service`
    /// without passing a `cdn` on the way. (A CDN's misses reaching a
    /// service as its origin are what a CDN is for, and are not flagged.)
    /// The message gives the static requests the service receives at peak.
    ///
    /// ## Why it matters
    /// Images, scripts and stylesheets are the same bytes for every user.
    /// Served by the web tier they take its workers, its bandwidth and its
    /// instances, for requests a CDN answers from an edge near the user in
    /// a few milliseconds. Moving static assets to a CDN is usually the
    /// cheapest large capacity gain a growing design can make.
    ///
    /// ## Example
    /// ```arch
    /// traffic { rate = 1000/s  static = 50% }
    /// browsers -> web
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// traffic { rate = 1000/s  static = 50% }
    /// browsers -> assets -> media [static]
    /// browsers -> web [read, write]
    /// ```
    pub struct StaticWithoutCdn = "static-without-cdn", Info, "cdn", "serve static assets from a CDN: `client -> cdn -> storage [static]`";
    position 4;
}

impl Rule for StaticWithoutCdn {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let Some(t) = &m.traffic else { return };
        if t.static_share.value <= 0.0 {
            return;
        }
        let reach = classes_reaching(m, Cdn::StopsStatic);
        // The first flow edge that brings CDN-less static requests into each
        // service.
        let mut first = vec![None; m.components.len()];
        for f in &m.flows {
            if m.components[f.to].kind == Kind::Service
                && f.classes.contains(Class::Static)
                && reach[f.from].contains(Class::Static)
                && m.components[f.from].kind != Kind::Cdn
                && first[f.to].is_none()
            {
                first[f.to] = Some(f.span);
            }
        }
        let total = t.rate * cx.estimate.peak_factor;
        let entry = m
            .entries
            .first()
            .map_or("client", |(id, _)| m.components[*id].name.as_str());
        for (id, c) in m.components.iter().enumerate() {
            let Some(span) = first[id] else { continue };
            let statics: f64 = m
                .copies_of(id)
                .map(|(_, n)| cx.estimate.copy(n).peak[Class::Static.index()])
                .sum();
            let figures = if total > 0.0 {
                format!(
                    ": it serves {} of static requests at peak ({} of all requests)",
                    rate(statics),
                    pct(statics / total)
                )
            } else {
                String::new()
            };
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    span,
                    format!(
                        "static requests reach service `{}` with no cdn on the way{figures}",
                        c.name
                    ),
                )
                .label("static requests take this flow")
                .related(c.name_span, format!("`{}` spends its workers on static files", c.name))
                .help(format!(
                    "serve static assets through a cdn: `{entry} -> cdn -> {} [static]` with `{}` as its origin, or from storage behind one",
                    c.name, c.name
                ))
                .component(&c.name),
            );
        }
    }
}
