use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;

declare_rule! {
    /// ## What it flags
    /// A `cache` without a `ttl`: nothing expires, so entries live until
    /// evicted.
    ///
    /// ## Why it matters
    /// A cache is a copy of data that lives elsewhere. Without an expiration
    /// policy, a value the database has since changed stays in the cache
    /// forever: users read stale data, and the only cure is a restart.
    ///
    /// ## Example
    /// ```arch
    /// cache hot { engine = redis  eviction = lru }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// cache hot { engine = redis  eviction = lru  ttl = 10m }
    /// ```
    pub struct CacheTtl = "cache-ttl", Warning, "cache", "give the cache a `ttl` so stale entries expire";
    position 1;
}

impl Rule for CacheTtl {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for c in &cx.model.components {
            let Some(cache) = c.cache() else { continue };
            if cache.ttl.is_some() {
                continue;
            }
            out.push(
                Diagnostic::new(Self::INFO.name, Self::INFO.severity, c.name_span, format!("cache `{}` has no `ttl`: entries never expire and stale data stays until evicted", c.name))
                    .label("no expiration policy")
                    .help(format!("add `ttl = 10m` (or the staleness you can accept) to `{}`", c.name))
                    .component(&c.name),
            );
        }
    }
}
