use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;

declare_rule! {
    /// ## What it flags
    /// A `cdn` without a `ttl`.
    ///
    /// ## Why it matters
    /// A CDN keeps copies of your assets at its edges. How long an edge may
    /// serve its copy before asking the origin again is the TTL. Without a
    /// stated one, the CDN falls back to whatever headers the origin sends —
    /// often none, so either nothing is cached (every request goes to the
    /// origin and the CDN buys nothing) or a provider default keeps an
    /// outdated file at the edges with no plan for when it refreshes.
    ///
    /// ## Example
    /// ```arch
    /// cdn assets { hit_ratio = 95%  fallback = origin }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// cdn assets { ttl = 1d  hit_ratio = 95%  fallback = origin  invalidation = versioning }
    /// ```
    pub struct CdnTtl = "cdn-ttl", Warning, "cdn", "give the CDN a `ttl`, such as `ttl = 1d`";
    position 1;
}

impl Rule for CdnTtl {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for c in &cx.model.components {
            let Some(cdn) = c.cdn() else { continue };
            if cdn.ttl.is_some() {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.name_span,
                    format!(
                        "cdn `{}` has no `ttl`: how long its edges keep an asset is left to origin headers or provider defaults",
                        c.name
                    ),
                )
                .label("no caching lifetime")
                .help(format!(
                    "add `ttl = 1d` to `{}` (with `invalidation = versioning` to ship changes at once)",
                    c.name
                ))
                .component(&c.name),
            );
        }
    }
}
