use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::FailoverMode;

declare_rule! {
    /// ## What it flags
    /// A `database` with `failover = manual`: when a primary fails, no
    /// replica is promoted until someone does it by hand.
    ///
    /// ## Why it matters
    /// Replication protects the data, but the writes still go to one
    /// primary per shard. With manual failover, losing it stops every write
    /// to that shard until an operator is paged, wakes up, decides the
    /// primary is really gone and promotes a replica — minutes at best,
    /// hours at night. Automatic failover (Patroni, orchestrator, a managed
    /// database) promotes within `failover_time`.
    ///
    /// ## Example
    /// ```arch
    /// database photos { replicas = 2  failover = manual }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// database photos { replicas = 2  failover = automatic  failover_time = 30s }
    /// ```
    pub struct ManualFailover = "manual-failover", Warning, "redundancy", "set `failover = automatic`";
    position 4;
}

impl Rule for ManualFailover {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let (m, est) = (cx.model, cx.estimate);
        for (id, c) in m.components.iter().enumerate() {
            let Some(db) = c.database() else { continue };
            if c.managed || db.failover.value != FailoverMode::Manual {
                continue;
            }
            // The worst single loss: the busiest shard's primary in the
            // copy that receives the most writes.
            let writes = m
                .copies_of(id)
                .map(|(_, node)| {
                    // Every database copy has at least one shard estimate;
                    // an unsharded one holds its whole load.
                    let busiest = est
                        .copy(node)
                        .shards
                        .iter()
                        .map(|s| s.share)
                        .fold(0.0, f64::max);
                    est.flows.db[node.index()].writes * busiest
                })
                .fold(0.0, f64::max)
                * est.peak_factor;
            let rate = if est.has_traffic {
                format!(" (up to {} at peak)", super::figures::rate(writes))
            } else {
                String::new()
            };
            let message = if c.replicas.value == 0 {
                format!(
                    "`{}` has `failover = manual` and no replica to promote: when its primary fails, its writes{rate} fail until someone restores it",
                    c.name
                )
            } else {
                format!(
                    "`{}` has `failover = manual`: when a primary fails, its writes{rate} fail until someone promotes a replica",
                    c.name
                )
            };
            let help = if c.replicas.value == 0 {
                format!("give `{}` a replica and set `failover = automatic`", c.name)
            } else {
                format!("set `failover = automatic` on `{}`", c.name)
            };
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.attr_or_name("failover"),
                    message,
                )
                .label("promotion waits for an operator")
                .help(help)
                .component(&c.name),
            );
        }
    }
}
