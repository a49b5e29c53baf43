use super::figures::rate;
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::Kind;

declare_rule! {
    /// ## What it flags
    /// A `queue` that no `service` consumes (`consumes = QUEUE`). This needs
    /// no traffic figures; with a `traffic` block the message gives the
    /// messages that pile up per second at peak.
    ///
    /// ## Why it matters
    /// A queue decouples the request that creates work from the workers that
    /// do it. With no worker, the work is accepted — the caller is told it
    /// succeeded — and never done: messages pile up until the broker's disk
    /// or memory fills, and then the queue starts failing its producers.
    ///
    /// ## Example
    /// ```arch
    /// queue jobs
    /// service workers { replicas = 2 }
    /// web -> jobs [write]
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// queue jobs
    /// service workers { replicas = 2  consumes = jobs }
    /// web -> jobs [write]
    /// ```
    pub struct QueueNoConsumer = "queue-no-consumer", Error, "capacity", "add `consumes = QUEUE` to the service that does the work";
    position 4;
}

impl Rule for QueueNoConsumer {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let mut consumed = vec![false; m.components.len()];
        for c in &m.components {
            if let Some(q) = c.service().and_then(|s| s.consumes.as_ref()) {
                consumed[q.value] = true;
            }
        }
        let mut producer = vec![None; m.components.len()];
        for f in &m.flows {
            if producer[f.to].is_none() {
                producer[f.to] = Some(f.span);
            }
        }
        for (id, c) in m.components.iter().enumerate() {
            if c.kind != Kind::Queue || consumed[id] {
                continue;
            }
            let peak: f64 = m
                .copies_of(id)
                .map(|(_, n)| cx.estimate.copy(n).peak_rps)
                .sum();
            let figures = if cx.estimate.has_traffic && peak > 0.0 {
                format!(" ({} at peak)", rate(peak))
            } else {
                String::new()
            };
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                c.name_span,
                format!(
                    "no service consumes queue `{}`: its messages{figures} pile up and are never processed",
                    c.name
                ),
            )
            .label("no consumer")
            .help(format!(
                "add `consumes = {}` to the service that processes its messages",
                c.name
            ))
            .component(&c.name);
            if let Some(span) = producer[id] {
                d = d.related(span, "messages enter here");
            }
            out.push(d);
        }
    }
}
