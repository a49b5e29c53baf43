use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;

declare_rule! {
    /// ## What it flags
    /// A `cache` with `overprovision = 0%` (the default): its `memory` is
    /// planned to be filled completely.
    ///
    /// ## Why it matters
    /// A cache's memory is never all available to data: allocator
    /// fragmentation, replication and persistence buffers, connection
    /// buffers and key overhead take their part, and the working set grows
    /// with the user base. A cache sized to exactly its data starts evicting
    /// hot entries (or runs out of memory) at the first growth or failover.
    /// Overprovisioning keeps that headroom in the plan; `cache-memory` then
    /// checks the data against what is left.
    ///
    /// ## Example
    /// ```arch
    /// cache hot { memory = 16GB  ttl = 10m  eviction = lru }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// cache hot { memory = 16GB  ttl = 10m  eviction = lru  overprovision = 25% }
    /// ```
    pub struct CacheHeadroom = "cache-headroom", Info, "cache", "keep memory headroom: `overprovision = 25%`";
    position 4;
}

impl Rule for CacheHeadroom {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for c in &cx.model.components {
            let Some(cache) = c.cache() else { continue };
            if cache.overprovision.value > 0.0 {
                continue;
            }
            let label = if cache.overprovision.is_default() {
                "no `overprovision` given: 0% by default"
            } else {
                "no headroom"
            };
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.attr_or_name("overprovision"),
                    format!(
                        "cache `{}` plans no memory headroom (`overprovision = 0%`): fragmentation, buffers and growth will push out hot entries",
                        c.name
                    ),
                )
                .label(label)
                .help(format!(
                    "set `overprovision = 25%` on `{}` and size `memory` for the data plus that headroom",
                    c.name
                ))
                .component(&c.name),
            );
        }
    }
}
