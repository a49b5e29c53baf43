use super::figures::{pct, rate};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::{Class, Fallback};

declare_rule! {
    /// ## What it flags
    /// A `cdn` with `fallback = none` (the default). With a `traffic`
    /// block, the message gives the static requests that would fail at peak
    /// and their share of all requests.
    ///
    /// ## Why it matters
    /// A CDN is a service run by someone else, and CDNs do have outages —
    /// whole regions, or a bad configuration push. If the design has no way
    /// to reach the origin directly (DNS failover to the bucket, a second
    /// provider), every static request fails while the CDN is down: pages
    /// without images, scripts or styles, which for users is an outage.
    ///
    /// ## Example
    /// ```arch
    /// cdn assets { ttl = 1d }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// cdn assets { ttl = 1d  fallback = origin }
    /// ```
    pub struct CdnFallback = "cdn-fallback", Warning, "cdn", "let static requests reach the origin when the CDN fails: `fallback = origin`";
    position 2;
}

impl Rule for CdnFallback {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let total: f64 =
            crate::estimate::entry_rates(m).iter().sum::<f64>() * cx.estimate.peak_factor;
        for (id, c) in m.components.iter().enumerate() {
            let Some(cdn) = c.cdn() else { continue };
            if cdn.fallback.value != Fallback::None {
                continue;
            }
            let statics: f64 = m
                .copies_of(id)
                .map(|(_, n)| cx.estimate.copy(n).peak[Class::Static.index()])
                .sum();
            let figures = if cx.estimate.has_traffic && total > 0.0 && statics > 0.0 {
                format!(
                    " ({} at peak, {} of all requests)",
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
                    c.attr_or_name("fallback"),
                    format!(
                        "cdn `{}` has no fallback: a CDN outage fails every static request it serves{figures}",
                        c.name
                    ),
                )
                .label(if cdn.fallback.is_default() {
                    "no `fallback` given: `none` by default"
                } else {
                    "no fallback"
                })
                .help(format!("set `fallback = origin` on `{}`", c.name))
                .component(&c.name),
            );
        }
    }
}
