use super::failure::{and_list, percent};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::estimate::cold::cold_caches;

declare_rule! {
    /// ## What it flags
    /// A cache copy whose hits at peak, if it lost every entry (a failure,
    /// a restart, a cold start after a deploy), would push a component
    /// behind it to 100% utilisation or more at its largest instance count.
    /// The finding names the cache, how much it absorbs, and the component
    /// that would overload, with that component as the related span.
    /// Components already at 100% without the cache's help are `overload`'s
    /// finding, not this one.
    ///
    /// ## Why it matters
    /// A cache with an 80% hit ratio hides four fifths of the reads from the
    /// database. The day it comes back empty, all of them go to the
    /// database at once: queues grow without bound, timeouts cascade to the
    /// callers, and the cache never warms up because the database cannot
    /// answer the misses that would fill it. Size what is behind a cache for
    /// the load it would get without it, or make sure the cache survives
    /// (replicas, persistence) and warms gradually.
    ///
    /// ## Example
    /// ```arch
    /// traffic { rate = 5000/s  reads = 90% }
    /// cache hot { replicas = 2  hit_ratio = 90%  ttl = 10m  eviction = lru }
    /// database photos { replicas = 1  capacity = 2000/s }
    /// web -> hot -> photos [read]
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// database photos { replicas = 3  capacity = 2000/s }
    /// ```
    pub struct CacheFailureOverload = "cache-failure-overload", Warning, "redundancy", "size what is behind the cache for the load the cache absorbs"; needs traffic;
    position 5;
}

impl Rule for CacheFailureOverload {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let (m, est) = (cx.model, cx.estimate);
        for cold in cold_caches(m, est) {
            // Only what the cache's help keeps under 100% counts here.
            let overloaded: Vec<_> = cold
                .behind
                .iter()
                .filter(|b| {
                    b.utilization_at_max >= 1.0 && est.copy(b.node).utilization_at_max < 1.0
                })
                .collect();
            let Some(worst) = overloaded
                .iter()
                .max_by(|a, b| a.utilization_at_max.total_cmp(&b.utilization_at_max))
            else {
                continue;
            };
            let cache_copy = m.graph[cold.cache];
            let cache = &m.components[cache_copy.component];
            let victim_copy = m.graph[worst.node];
            let victim = &m.components[victim_copy.component];
            let mut classes = Vec::new();
            if cold.absorbed_peak[0] > 0.0 {
                classes.push("static requests".to_string());
            }
            if cold.absorbed_peak[1] > 0.0 {
                classes.push("reads".to_string());
            }
            let absorbed: f64 = cold.absorbed_peak.iter().sum();
            let others = if overloaded.len() > 1 {
                format!(" (and {} more copies behind it)", overloaded.len() - 1)
            } else {
                String::new()
            };
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    cache.name_span,
                    format!(
                        "if `{}` lost its entries, the {} of {} it absorbs at peak would push `{}` to {} utilisation (from {}){others}",
                        m.copy_name(cache_copy),
                        super::figures::rate(absorbed),
                        and_list(&classes),
                        m.copy_name(victim_copy),
                        percent(worst.utilization_at_max),
                        percent(est.copy(worst.node).utilization_at_max),
                    ),
                )
                .label("absorbs the load that would overload what is behind it")
                .related(
                    victim.name_span,
                    format!(
                        "`{}` at {} while `{}` is cold",
                        m.copy_name(victim_copy),
                        percent(worst.utilization_at_max),
                        cache.name
                    ),
                )
                .help(format!(
                    "give `{}` the capacity to serve without `{}` (more instances, replicas or shards)",
                    victim.name, cache.name
                ))
                .component(&cache.name)
                .datacenter(if m.has_datacenters() {
                    m.dc_name(cache_copy.dc)
                } else {
                    None
                }),
            );
        }
    }
}
