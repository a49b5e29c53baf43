use super::figures::{count, dc_of, rate};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::figures::{Style, number};
use crate::model::Kind;

declare_rule! {
    /// ## What it flags
    /// (needs `traffic`) A queue copy whose peak message rate exceeds what
    /// its consumers can take: the consumer copies it hands messages to,
    /// each at its largest instance count × `capacity`. When a consumer
    /// copy takes messages from several copies of the queue (a queue placed
    /// where its consumers are not), its capacity is shared among them in
    /// proportion to the messages each sends it. Other work the consumers
    /// do is not subtracted; `overload` reports a consumer that cannot keep
    /// up with everything it receives. The message gives the growth in
    /// messages per second and, when `max_backlog` is set, the hours until
    /// the queue is full.
    ///
    /// ## Why it matters
    /// A queue absorbs bursts: at the peak, work waits and is drained later.
    /// That only works if the consumers are faster than the producers on
    /// average over the day; if they cannot keep up at peak for hours, the
    /// backlog grows until it hits the broker's limit, and then new
    /// messages are refused (or the oldest dropped) — silently losing work.
    ///
    /// ## Example
    /// ```arch
    /// traffic { rate = 300/s  reads = 0% }
    /// queue jobs { max_backlog = 1.8M }
    /// service workers { replicas = 2  capacity = 100/s  consumes = jobs }
    /// web -> jobs
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// service workers { autoscale = 2..6  capacity = 100/s  consumes = jobs }
    /// ```
    pub struct QueueBacklog = "queue-backlog", Error, "capacity", "let the consumers drain at least the peak message rate"; needs traffic;
    position 5;
}

impl Rule for QueueBacklog {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let est = cx.estimate;
        for (id, c) in m.components.iter().enumerate() {
            if c.kind != Kind::Queue {
                continue;
            }
            let consumers: Vec<usize> = m.consumers_of(id).collect();
            if consumers.is_empty() {
                // `queue-no-consumer` reports it.
                continue;
            }
            for (dc, qnode) in m.copies_of(id) {
                let messages = est.copy(qnode).peak_rps;
                if messages <= 0.0 {
                    continue;
                }
                // An unlimited consumer keeps up with anything.
                let Some(drain) = est.copy(qnode).drain_rps else {
                    continue;
                };
                if messages <= drain * (1.0 + 1e-9) {
                    continue;
                }
                let growth = messages - drain;
                let names: Vec<String> = consumers
                    .iter()
                    .map(|s| {
                        let sc = &m.components[*s];
                        format!(
                            "`{}` {} × {}",
                            sc.name,
                            sc.max_servers(),
                            rate(sc.capacity.value.unwrap_or(0.0))
                        )
                    })
                    .collect();
                let fill = match &c.queue().and_then(|q| q.max_backlog.clone()) {
                    Some(b) => {
                        let hours = b.value / growth / 3600.0;
                        let minutes = if hours < 1.0 {
                            format!(" ({} minutes)", count(hours * 60.0))
                        } else {
                            String::new()
                        };
                        format!(
                            " and reaches `max_backlog` ({} messages) in {} hours{minutes}",
                            count(b.value),
                            number(hours, Style::Precise)
                        )
                    }
                    None => format!(
                        " ({} messages an hour) with no `max_backlog` to bound it",
                        count(growth * 3600.0)
                    ),
                };
                let copy = m.copy_name(m.graph[qnode]);
                let mut d = Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    c.name_span,
                    format!(
                        "messages reach `{copy}` at {} at peak but its consumers take at most {} ({}): the backlog grows by {}{fill}",
                        rate(messages),
                        rate(drain),
                        names.join(", "),
                        rate(growth)
                    ),
                )
                .label("backlog grows at peak")
                .help(format!(
                    "let {} drain at least {}: more instances or a higher `capacity`",
                    consumers
                        .iter()
                        .map(|s| format!("`{}`", m.components[*s].name))
                        .collect::<Vec<_>>()
                        .join(" and "),
                    rate(messages)
                ))
                .component(&c.name)
                .datacenter(dc_of(m, dc));
                if let Some(first) = consumers.first() {
                    let sc = &m.components[*first];
                    d = d.related(
                        sc.attr_or_name("consumes"),
                        format!("`{}` consumes `{}`", sc.name, c.name),
                    );
                }
                out.push(d);
            }
        }
    }
}
