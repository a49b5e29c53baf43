use super::figures::pct;
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::estimate::shards::{Sharding, moved_fraction};

declare_rule! {
    /// ## What it flags
    /// A database with `shards = K` above 1 and `sharding = hash` (the
    /// default): a key's shard is `XXH64(key) mod K`.
    ///
    /// ## Why it matters
    /// Data grows and shards fill up; sooner or later you add one. With
    /// `mod K`, going from K to K+1 shards changes the shard of K/(K+1) of
    /// the keys — 89% of them at 8 shards — so nearly the whole database
    /// moves between machines while it serves traffic. Consistent hashing
    /// (a ring with virtual nodes) moves only the keys the new shard takes
    /// over, 1/(K+1): 11% at 8 shards.
    ///
    /// ## Example
    /// ```arch
    /// database users { shards = 8  shard_key = user_id }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// database users { shards = 8  shard_key = user_id  sharding = consistent }
    /// ```
    pub struct ModuloSharding = "modulo-sharding", Warning, "data", "use `sharding = consistent` so adding a shard moves few keys";
    position 4;
}

impl Rule for ModuloSharding {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for c in &cx.model.components {
            let Some(db) = c.database() else { continue };
            let k = db.shards.value;
            if k <= 1 || db.sharding.value != Sharding::Hash {
                continue;
            }
            let moved = moved_fraction(Sharding::Hash, k);
            let consistent = moved_fraction(Sharding::Consistent, k);
            let (span, label) = match c.attr_span("sharding") {
                Some(s) => (s, "key mod shard count".to_string()),
                None => (
                    c.attr_or_name("shards"),
                    "`sharding = hash` by default: key mod shard count".to_string(),
                ),
            };
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                span,
                format!(
                    "database `{}` picks a shard as hash mod {k}: adding a shard ({k} to {}) moves {} of the keys; consistent hashing would move {}",
                    c.name,
                    k + 1,
                    pct(moved),
                    pct(consistent)
                ),
            )
            .label(label)
            .help(format!(
                "set `sharding = consistent` on `{}` so growing to {} shards moves 1/{} of the keys",
                c.name,
                k + 1,
                k + 1
            ))
            .component(&c.name);
            if c.attr_span("sharding").is_some()
                && let Some(s) = c.attr_span("shards")
            {
                d = d.related(s, format!("{k} shards"));
            }
            out.push(d);
        }
    }
}
