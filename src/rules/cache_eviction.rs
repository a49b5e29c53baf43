use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::Eviction;

declare_rule! {
    /// ## What it flags
    /// A `cache` with `eviction = none` (the default).
    ///
    /// ## Why it matters
    /// A cache holds the popular part of the data in a bounded memory. When
    /// that memory is full, an eviction policy decides which entry makes
    /// room for the new one — the least recently used (`lru`), the least
    /// frequently used (`lfu`), or the oldest (`fifo`). Without one, a full
    /// cache refuses new entries (Redis answers writes with an
    /// out-of-memory error): the hit ratio decays to whatever was cached
    /// first, and the database behind takes the rest.
    ///
    /// ## Example
    /// ```arch
    /// cache hot { memory = 16GB  ttl = 10m }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// cache hot { memory = 16GB  ttl = 10m  eviction = lru }
    /// ```
    pub struct CacheEviction = "cache-eviction", Warning, "cache", "give the cache an eviction policy: `eviction = lru`";
    position 2;
}

impl Rule for CacheEviction {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for c in &cx.model.components {
            let Some(cache) = c.cache() else { continue };
            if cache.eviction.value != Eviction::None {
                continue;
            }
            let label = if cache.eviction.is_default() {
                "no `eviction` given: `none` by default"
            } else {
                "no eviction policy"
            };
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.attr_or_name("eviction"),
                    format!(
                        "cache `{}` never evicts: once its memory is full it refuses new entries and its hit ratio decays",
                        c.name
                    ),
                )
                .label(label)
                .help(format!("set `eviction = lru` on `{}`", c.name))
                .component(&c.name),
            );
        }
    }
}
