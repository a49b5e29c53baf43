use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::{ComponentId, Kind, Model};

declare_rule! {
    /// ## What it flags
    /// A queue whose messages come back to it and never die out: a
    /// consumer of the queue (directly or through the services it calls)
    /// sends every message it handles, or more, back into the same queue.
    /// The estimator's flows then have no steady state (LANGUAGE.md §6):
    /// it stops after a bounded number of passes and marks its rates as
    /// capped. The loop is reported once, here; the rules that judge rates
    /// (`overload`, `high-utilization`, `queue-backlog` and the other
    /// rules that need traffic) stay silent on such a design rather than
    /// quote figures built on capped numbers.
    ///
    /// ## Why it matters
    /// Each message that makes at least one more message is work that
    /// never ends: the queue grows without bound however many consumers
    /// run, and the first sign in production is a broker out of disk. A
    /// loop that is meant to retry must lose part of its messages on each
    /// turn (a `share` on the edge back), so that the work dies out.
    ///
    /// ## Example
    /// ```arch
    /// queue jobs
    /// service workers { replicas = 2  consumes = jobs }
    /// web -> jobs [write]
    /// workers -> jobs [write]
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// queue jobs
    /// service workers { replicas = 2  consumes = jobs }
    /// web -> jobs [write]
    /// workers -> jobs [write 5%]
    /// ```
    pub struct QueueLoop = "queue-loop", Error, "capacity", "let the messages that come back to the queue die out: a `share` below 100% on the edge back";
    position 10;
}

impl Rule for QueueLoop {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        if !cx.estimate.unbounded {
            return;
        }
        let m = cx.model;
        let Some(cycle) = queue_cycle(m) else {
            return;
        };
        let queue = &m.components[cycle[0]];
        let path: Vec<String> = cycle
            .iter()
            .chain(std::iter::once(&cycle[0]))
            .map(|&c| format!("`{}`", m.components[c].name))
            .collect();
        let consumer = cycle.get(1).map(|&c| &m.components[c]);
        let mut d = Diagnostic::new(
            Self::INFO.name,
            Self::INFO.severity,
            queue.name_span,
            format!(
                "messages of queue `{}` come back to it ({}) and never die out: its rate has no steady state, and the estimate's rates along the loop are capped",
                queue.name,
                path.join(" → ")
            ),
        )
        .label("messages loop back here")
        .help("put a `share` below 100% on the edge back into the queue, or send the follow-up work to another queue")
        .component(&queue.name);
        if let Some(c) = consumer {
            d = d.related(
                c.attr_or_name("consumes"),
                format!("`{}` consumes `{}`", c.name, queue.name),
            );
        }
        out.push(d);
    }
}

/// The shortest loop from a queue back to itself through flows and
/// consumption, as the components along it starting with the queue; the
/// first queue (in design order) that has one.
fn queue_cycle(m: &Model) -> Option<Vec<ComponentId>> {
    let onward = |c: ComponentId| m.flows_from(c).map(|(_, f)| f.to).chain(m.consumers_of(c));
    let n = m.components.len();
    for (id, c) in m.components.iter().enumerate() {
        if c.kind != Kind::Queue {
            continue;
        }
        // Breadth-first from the queue: the first edge back closes the
        // shortest loop.
        let mut parent = vec![usize::MAX; n];
        parent[id] = id;
        let mut frontier = vec![id];
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for &u in &frontier {
                for v in onward(u) {
                    if v == id {
                        let mut path = vec![u];
                        let mut at = u;
                        while at != id {
                            at = parent[at];
                            path.push(at);
                        }
                        path.reverse();
                        return Some(path);
                    }
                    if parent[v] == usize::MAX {
                        parent[v] = u;
                        next.push(v);
                    }
                }
            }
            frontier = next;
        }
    }
    None
}
