use super::failure::and_list;
use super::figures::{count, rate};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::{DcId, Kind};

declare_rule! {
    /// ## What it flags
    /// A `queue` whose consumers all run in one datacenter while the queue
    /// has copies in others. Day to day the other copies hand their
    /// messages across to the consumers (LANGUAGE.md §6); once the
    /// consumers' datacenter is lost, the surviving copies keep accepting
    /// messages and no one drains them. With a `traffic` block the message
    /// gives the rate at which the backlog grows: the peak message rate the
    /// surviving copies receive with that datacenter lost (the estimator's
    /// datacenter-loss figures, after DNS failover moved its traffic).
    ///
    /// ## Why it matters
    /// The producers are told their work was accepted, and it waits for a
    /// datacenter that may be gone for hours: every message of the outage
    /// is processed late, all at once when the consumers return — or lost
    /// when the broker's disk fills first. A queue is only as available as
    /// the workers that empty it.
    ///
    /// ## Example
    /// ```arch
    /// datacenter dc-a
    /// datacenter dc-b
    /// queue jobs
    /// service workers { consumes = jobs  datacenters = [dc-a] }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// datacenter dc-a
    /// datacenter dc-b
    /// queue jobs
    /// service workers { consumes = jobs }
    /// ```
    pub struct QueueConsumerDc = "queue-consumer-dc", Warning, "capacity", "run the queue's consumers in every datacenter the queue runs in";
    position 9;
}

impl Rule for QueueConsumerDc {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        if !m.has_datacenters() {
            return;
        }
        for (id, queue) in m.components.iter().enumerate() {
            if queue.kind != Kind::Queue {
                continue;
            }
            let consumers: Vec<_> = m.consumers_of(id).collect();
            let consumer_dcs: Vec<Option<DcId>> = consumers
                .iter()
                .flat_map(|&c| m.copies_of(c).map(|(dc, _)| dc))
                .collect();
            // Only one datacenter's loss can strand every consumer: the one
            // they all run in.
            let Some(&Some(lost)) = consumer_dcs.first() else {
                continue;
            };
            if consumer_dcs.iter().any(|dc| *dc != Some(lost)) {
                continue;
            }
            let stranded: Vec<(DcId, petgraph::graph::NodeIndex)> = m
                .copies_of(id)
                .filter_map(|(dc, node)| dc.filter(|d| *d != lost).map(|d| (d, node)))
                .collect();
            if stranded.is_empty() {
                continue;
            }
            let lost_name = &m.datacenters[lost].name;
            let where_ = and_list(
                &stranded
                    .iter()
                    .map(|(d, _)| format!("`{}`", m.datacenters[*d].name))
                    .collect::<Vec<_>>(),
            );
            let growth: Option<f64> = cx
                .estimate
                .dc_loss
                .iter()
                .find(|l| l.datacenter == lost)
                .map(|l| stranded.iter().map(|(_, n)| l.peak_rps[n.index()]).sum());
            let mut message = format!(
                "every consumer of queue `{}` runs in `{lost_name}`: losing it leaves the queue's copies in {where_} with no one to drain them",
                queue.name
            );
            if let Some(g) = growth.filter(|g| *g > 0.0 && cx.estimate.has_traffic) {
                message.push_str(&format!(
                    ", and the backlog grows by {} at peak ({} messages an hour)",
                    rate(g),
                    count(g * 3600.0)
                ));
            }
            let names: Vec<String> = consumers
                .iter()
                .map(|&c| format!("`{}`", m.components[c].name))
                .collect();
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                queue.name_span,
                message,
            )
            .label(format!("consumed only in `{lost_name}`"))
            .help(format!(
                "place {} in every datacenter `{}` runs in",
                and_list(&names),
                queue.name
            ))
            .component(&queue.name)
            .datacenter(Some(lost_name.clone()));
            for &c in &consumers {
                let comp = &m.components[c];
                let span = comp.attr_span("datacenters").unwrap_or(comp.name_span);
                d = d.related(span, format!("`{}` runs only in `{lost_name}`", comp.name));
            }
            out.push(d);
        }
    }
}
