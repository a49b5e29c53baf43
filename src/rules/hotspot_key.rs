use super::figures::{dc_of, pct, pct_pair, rate};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::estimate::ShardEstimate;
use crate::figures::{Style, multiplier};
use crate::model::Component;

declare_rule! {
    /// ## What it flags
    /// A sharded database whose keys do not spread evenly:
    ///
    /// - **warning** — the hottest hashed shard takes more than
    ///   `assumptions.hotspot_factor` (default 2x) times its fair share 1/K
    ///   of the database's requests. Judged once per database from the key
    ///   placement (LANGUAGE.md §9), which needs no traffic figures.
    /// - **error** (needs `traffic`) — a shard of a database copy receives
    ///   more at peak than it serves: the busiest instance of the shard
    ///   (its primary, or a replica, with reads and applied writes split per
    ///   the roles of LANGUAGE.md §6) is at 100% of its `capacity` or more.
    ///   Reported once per copy, at the worst shard. Dedicated shards exist
    ///   for hot keys: they are judged by this capacity test only.
    ///
    /// The message names the shard, its share, the fair share and the
    /// heaviest keys on it. An overloaded copy is also reported by
    /// `overload`; this rule says which shard and which keys.
    ///
    /// ## Why it matters
    /// Sharding divides the load only if keys divide it. Real keys are
    /// skewed: a celebrity's profile or one viral post draws a large share
    /// of all requests, and every one of them goes to the same shard. That
    /// shard saturates while the others idle, and adding shards does not
    /// help — the celebrity key still lives on exactly one of them.
    ///
    /// ## Example
    /// ```arch
    /// database users {
    ///   shards = 8  shard_key = user_id  sharding = consistent
    ///   hot_keys = { "taylor" = 30% }
    /// }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// database users {
    ///   shards = 8  shard_key = user_id  sharding = consistent
    ///   hot_keys = { "taylor" = 30% }
    ///   dedicated = ["taylor"]   # a shard of its own, with its own replicas
    /// }
    /// ```
    pub struct HotspotKey = "hotspot-key", Warning, "data", "give hot keys a shard of their own (`dedicated`) or cache them";
    position 5;
}

impl Rule for HotspotKey {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let factor = m.assumptions.hotspot_factor.value;
        for (id, c) in m.components.iter().enumerate() {
            let Some(db) = c.database() else { continue };
            if db.total_shards() <= 1 {
                continue;
            }
            let k = db.shards.value;
            let fair = 1.0 / f64::from(k.max(1));
            let copies: Vec<_> = m.copies_of(id).collect();

            // The share warning: the placement is the same in every copy.
            if k > 1
                && let Some((_, node)) = copies.first()
                && let Some(hot) = cx
                    .estimate
                    .copy(*node)
                    .shards
                    .iter()
                    .filter(|s| s.dedicated_key.is_none())
                    .fold(None, |best: Option<&ShardEstimate>, s| match best {
                        Some(b) if b.share >= s.share => Some(b),
                        _ => Some(s),
                    })
                && hot.share > factor * fair
            {
                let (got, limit) = pct_pair(hot.share, factor * fair);
                let mut d = Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.name_span,
                    format!(
                        "shard {} of `{}` takes {got} of the database's requests, above {} its fair share of 1/{k} ({}) = {limit}{}",
                        hot.shard,
                        c.name,
                        multiplier(factor, Style::Written),
                        pct(fair),
                        heaviest_text(hot)
                    ),
                )
                .label(format!("shard {} is hot", hot.shard))
                .help(help(c))
                .component(&c.name);
                d = key_distribution_related(c, d);
                out.push(d);
            }

            // The capacity error, per copy: the worst shard at or above 100%.
            if !cx.estimate.has_traffic {
                continue;
            }
            for (dc, node) in copies {
                let ce = cx.estimate.copy(node);
                let over: Vec<&ShardEstimate> =
                    ce.shards.iter().filter(|s| s.utilization >= 1.0).collect();
                let Some(worst) =
                    over.iter()
                        .copied()
                        .fold(None, |best: Option<&ShardEstimate>, s| match best {
                            Some(b) if b.utilization >= s.utilization => Some(b),
                            _ => Some(s),
                        })
                else {
                    continue;
                };
                let copy_name = m.copy_name(m.graph[node]);
                let (role, station) = match worst.replica {
                    Some(r) if r.utilization > worst.primary.utilization => {
                        ("each of its replicas", r)
                    }
                    _ => ("its primary", worst.primary),
                };
                let per_instance = c.capacity.value.unwrap_or(0.0);
                let which = match &worst.dedicated_key {
                    Some(key) => format!("dedicated shard {} (key \"{key}\")", worst.shard),
                    None => format!("shard {}", worst.shard),
                };
                let fair_text = if worst.dedicated_key.is_none() {
                    format!(" (fair share 1/{k}: {})", pct(fair))
                } else {
                    String::new()
                };
                let others = match over.len() - 1 {
                    0 => String::new(),
                    1 => "; 1 other shard is over capacity too".to_string(),
                    n => format!("; {n} other shards are over capacity too"),
                };
                let mut d = Diagnostic::new(
                    Self::INFO.name,
                    Severity::Error,
                    c.name_span,
                    format!(
                        "{which} of `{copy_name}` is over capacity: it receives {} at peak and {role} handles {} (applied writes included) of {} ({}); the shard takes {} of the requests{fair_text}{}{others}",
                        rate(worst.peak_rps),
                        rate(station.peak_rps),
                        rate(per_instance),
                        pct(station.utilization),
                        pct(worst.share),
                        heaviest_text(worst),
                    ),
                )
                .label(format!("{which} is over capacity"))
                .help(help(c))
                .component(&c.name)
                .datacenter(dc_of(m, dc));
                if let Some(span) = c.attr_span("capacity") {
                    d = d.related(span, "capacity of one instance");
                }
                out.push(d);
            }
        }
    }
}

/// `; heaviest keys: "1" 11%, "2" 5.4%` — up to three, with their shares.
/// Only keys that weigh at least 1% of the shard's load are named: on an
/// evenly spread shard no key stands out, and listing three of its
/// millions would mislead.
fn heaviest_text(s: &ShardEstimate) -> String {
    let keys: Vec<String> = s
        .heaviest
        .iter()
        .filter(|(_, v)| *v > 0.0 && *v >= 0.01 * s.share)
        .take(3)
        .map(|(k, v)| format!("\"{k}\" {}", pct(*v)))
        .collect();
    if keys.is_empty() {
        "; no single key stands out".to_string()
    } else {
        format!("; heaviest keys: {}", keys.join(", "))
    }
}

fn help(c: &Component) -> String {
    format!(
        "give the heaviest keys a shard of their own (`dedicated = [\"…\"]` on `{}`), or cache them in front of it",
        c.name
    )
}

/// Points at where the key distribution is declared, when it is written.
fn key_distribution_related(c: &Component, d: Diagnostic) -> Diagnostic {
    if let Some(span) = c.attr_span("hot_keys") {
        d.related(span, "hot keys declared here")
    } else if let Some(span) = c.attr_span("keys") {
        d.related(span, "key distribution declared here")
    } else if let Some(span) = c.attr_span("key_count") {
        d.related(span, "key count declared here")
    } else {
        d
    }
}
