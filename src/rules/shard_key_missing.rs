use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;

declare_rule! {
    /// ## What it flags
    /// A database with `shards` above 1 and no `shard_key`.
    ///
    /// ## Why it matters
    /// Sharding splits the rows over independent databases; the shard key
    /// is the field whose value picks the shard for every read and write.
    /// Without one, nothing says where a row lives: every query has to ask
    /// every shard, and related rows (a user and their photos) land on
    /// different shards, so joins and transactions across them break.
    /// Choosing the key is the central design decision of sharding — it
    /// decides whether load spreads evenly or piles onto a celebrity's
    /// shard.
    ///
    /// ## Example
    /// ```arch
    /// database users { shards = 8 }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// database users { shards = 8  shard_key = user_id  sharding = consistent }
    /// ```
    pub struct ShardKeyMissing = "shard-key-missing", Error, "data", "name the field that picks the shard: `shard_key = user_id`";
    position 3;
}

impl Rule for ShardKeyMissing {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for c in &cx.model.components {
            let Some(db) = c.database() else { continue };
            let k = db.shards.value;
            if k <= 1 || db.shard_key.is_some() {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.attr_or_name("shards"),
                    format!(
                        "database `{}` is split into {k} shards but has no `shard_key`: nothing decides which shard holds a row, so every query must ask every shard",
                        c.name
                    ),
                )
                .label(format!("{k} shards, no key"))
                .related(c.name_span, format!("`{}` declared here", c.name))
                .help(format!(
                    "add `shard_key = …` to `{}`: the field every request carries, such as `user_id`",
                    c.name
                ))
                .component(&c.name),
            );
        }
    }
}
