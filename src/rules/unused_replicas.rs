use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::{Class, ReadFrom, Role};

declare_rule! {
    /// ## What it flags
    /// A database with read replicas and `read_from = primary`, when no flow
    /// addresses its `.replicas` with reads either: the replicas serve
    /// nothing.
    ///
    /// ## Why it matters
    /// Replication scales reads: most traffic only reads, and every replica
    /// can answer it. Sending every read to the primary leaves the replicas
    /// idle (they still replay every write) while the primary carries the
    /// whole load. The replicas still help with failover, which is why this
    /// is only information.
    ///
    /// ## Example
    /// ```arch
    /// database users { replicas = 2  read_from = primary }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// database users { replicas = 2  read_from = replicas }
    /// ```
    pub struct UnusedReplicas = "unused-replicas", Info, "data", "let the replicas serve reads: `read_from = replicas` (or `any`)";
    position 2;
}

impl Rule for UnusedReplicas {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        // Databases whose replicas a flow addresses with reads.
        let mut addressed = vec![false; m.components.len()];
        for f in &m.flows {
            if f.role == Some(Role::Replicas) && f.classes.contains(Class::Read) {
                addressed[f.to] = true;
            }
        }
        for (id, c) in m.components.iter().enumerate() {
            let Some(db) = c.database() else { continue };
            let replicas = c.replicas.value;
            if replicas == 0 || db.read_from.value != ReadFrom::Primary || addressed[id] {
                continue;
            }
            let (noun, verbs) = if replicas == 1 {
                ("replica", "replays writes and stands")
            } else {
                ("replicas", "replay writes and stand")
            };
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                c.attr_or_name("read_from"),
                format!(
                    "database `{}` has {replicas} read {noun} per shard but sends every read to the primary: the {noun} only {verbs} by for failover",
                    c.name
                ),
            )
            .label("every read goes to the primary")
            .help(format!(
                "set `read_from = replicas` (or `any`) on `{}` to spread reads over its replicas",
                c.name
            ))
            .component(&c.name);
            if let Some(span) = c.attr_span("replicas") {
                d = d.related(span, format!("{replicas} read {noun} declared here"));
            }
            out.push(d);
        }
    }
}
