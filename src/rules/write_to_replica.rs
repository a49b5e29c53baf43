use super::figures::{pct, rate};
use super::reach::{Cdn, classes_reaching};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::{Class, CopyEdgeKind, Role};

declare_rule! {
    /// ## What it flags
    /// A flow that sends `write` requests to the read replicas of a
    /// database: `web -> users.replicas [write]`, or an unlabelled
    /// `web -> users.replicas` from a component that writes ever reach.
    ///
    /// ## Why it matters
    /// In primary–replica replication only the primary accepts writes; the
    /// replicas replay the primary's log. A write sent to a replica is
    /// rejected (or, worse, applied to one copy and lost when the replica
    /// is resynchronised or promoted), so every such write fails.
    ///
    /// The rule reads the classes that can reach the caller from the flows
    /// alone, so it also judges a design without a `traffic` block; with
    /// traffic, the message gives the rate of writes at peak.
    ///
    /// ## Example
    /// ```arch
    /// web -> users.replicas
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// web -> users.replicas [read]
    /// web -> users [write]
    /// ```
    pub struct WriteToReplica = "write-to-replica", Error, "data", "send writes to the database (its primary), reads to `.replicas`";
    position 1;
}

impl Rule for WriteToReplica {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let addressed = m
            .flows
            .iter()
            .any(|f| f.role == Some(Role::Replicas) && f.classes.contains(Class::Write));
        if !addressed {
            return;
        }
        let reach = classes_reaching(m, Cdn::PassMisses);
        // Writes along each flow edge at peak, from the estimator's edges.
        let mut writes = vec![0.0; m.flows.len()];
        for e in m.graph.edge_indices() {
            if let CopyEdgeKind::Call(fid) = m.graph[e].kind {
                writes[fid] += cx.estimate.edges[e.index()][Class::Write.index()];
            }
        }
        let total: f64 = crate::estimate::entry_rates(m).iter().sum();
        for (fid, f) in m.flows.iter().enumerate() {
            if f.role != Some(Role::Replicas)
                || !f.classes.contains(Class::Write)
                || !reach[f.from].contains(Class::Write)
            {
                continue;
            }
            let db = m.component(f.to);
            let caller = &m.component(f.from).name;
            let figures = if cx.estimate.has_traffic && total > 0.0 {
                let peak = writes[fid] * cx.estimate.peak_factor;
                format!(
                    " ({} at peak, {} of all requests)",
                    rate(peak),
                    pct(writes[fid] / total)
                )
            } else {
                String::new()
            };
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    f.span,
                    format!(
                        "`{caller}` sends writes to the read replicas of `{}`: replicas accept no writes, so every one fails{figures}",
                        db.name
                    ),
                )
                .label("writes reach `.replicas` here")
                .related(db.name_span, format!("only the primary of `{}` takes writes", db.name))
                .help(format!(
                    "label this flow `[read]` and send writes to the primary: `{caller} -> {} [write]`",
                    db.name
                ))
                .component(&db.name),
            );
        }
    }
}
