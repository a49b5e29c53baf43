use super::figures::{pct, rate};
use super::reach::{Cdn, classes_reaching};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::{Class, Kind};

declare_rule! {
    /// ## What it flags
    /// A `cache` where fewer than half of the dynamic requests (`read` and
    /// `write`) that reach it are reads. With a `traffic` block the rates
    /// come from the estimator, over every copy of the cache; without one,
    /// the rule fires when writes can reach the cache and reads cannot.
    ///
    /// ## Why it matters
    /// A cache pays off when data is read much more often than it changes:
    /// each write invalidates or rewrites an entry, and an entry that is
    /// replaced before anyone reads it again was cached for nothing. A cache
    /// that mostly sees writes adds a hop, memory and a consistency problem
    /// (stale entries after a failed invalidation) for few hits.
    ///
    /// ## Example
    /// ```arch
    /// traffic { rate = 1000/s  reads = 30% }
    /// web -> hot -> db
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// traffic { rate = 1000/s  reads = 30% }
    /// web -> hot -> db [read]
    /// web -> db [write]
    /// ```
    pub struct CacheWriteHeavy = "cache-write-heavy", Info, "cache", "keep the cache on the read path; send writes to the store";
    position 5;
}

impl Rule for CacheWriteHeavy {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let mut reach = None;
        // The first flow edge bringing writes into each cache.
        let mut write_edge = vec![None; m.components.len()];
        for f in &m.flows {
            if f.classes.contains(Class::Write) && write_edge[f.to].is_none() {
                write_edge[f.to] = Some(f.span);
            }
        }
        for (id, c) in m.components.iter().enumerate() {
            if c.kind != Kind::Cache {
                continue;
            }
            let message = if cx.estimate.has_traffic {
                let (mut reads, mut writes) = (0.0, 0.0);
                for (_, node) in m.copies_of(id) {
                    let peak = cx.estimate.copy(node).peak;
                    reads += peak[Class::Read.index()];
                    writes += peak[Class::Write.index()];
                }
                let dynamic = reads + writes;
                if dynamic <= 0.0 || reads >= 0.5 * dynamic {
                    continue;
                }
                format!(
                    "only {} of the dynamic requests reaching cache `{}` are reads ({} of {} at peak): most of its traffic changes entries instead of hitting them",
                    pct(reads / dynamic),
                    c.name,
                    rate(reads),
                    rate(dynamic)
                )
            } else {
                let reach = reach.get_or_insert_with(|| classes_reaching(m, Cdn::PassMisses));
                if !reach[id].contains(Class::Write) || reach[id].contains(Class::Read) {
                    continue;
                }
                format!(
                    "cache `{}` receives writes and no reads: nothing it stores is ever read from it",
                    c.name
                )
            };
            let mut d = Diagnostic::new(Self::INFO.name, Self::INFO.severity, c.name_span, message)
                .label("mostly written")
                .help(format!(
                    "label the flows through `{}` `[read]` and send writes straight to the store behind it",
                    c.name
                ))
                .component(&c.name);
            if let Some(span) = write_edge[id] {
                d = d.related(span, "writes reach the cache here");
            }
            out.push(d);
        }
    }
}
