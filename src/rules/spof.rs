use super::failure;
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::estimate::failure::UnitKind;

declare_rule! {
    /// ## What it flags
    /// A single point of failure: a unit whose loss makes requests fail with
    /// nothing to recover them automatically. A unit is every instance of a
    /// component copy that runs one instance (`replicas = 1`, or
    /// `autoscale` with a minimum of 1), the one instance of a shard of a
    /// database without replicas, or the primary of a shard whose database
    /// has `failover = none`. The finding names the unit, the request
    /// classes that fail, their rate at peak and their share of traffic.
    ///
    /// Losing a copy in one datacenter is recovered when the `dns` in front
    /// fails over and the class meets every condition of LANGUAGE.md §8
    /// (every component it needs in another datacenter too, its data
    /// replicated with `cross_dc`); such a copy is reported by
    /// `no-redundancy` instead. A copy placed in one datacenter that every
    /// datacenter calls is never recovered that way, and in a design of two
    /// or more datacenters that one datacenter is a unit of its own: losing
    /// it fails every request that needs the component, however many
    /// instances it runs (the finding says "losing datacenter `X`, the only
    /// one that holds `Y`"). Managed services
    /// (`dns`, `cdn`, `s3`, `dynamodb`, `sqs`) are redundant inside their
    /// provider and never single points of failure; `failover = manual` is
    /// `manual-failover`'s finding.
    ///
    /// ## Why it matters
    /// Hardware fails, processes crash, and deploys restart servers. With
    /// one instance of a tier, each of those is an outage for every request
    /// that passes through it, lasting until someone notices and brings it
    /// back. Building redundancy at every tier — two or more instances
    /// behind a load balancer, a replica that is promoted automatically when
    /// the primary dies — turns an outage into a blip.
    ///
    /// ## Example
    /// ```arch
    /// client browsers
    /// service web { replicas = 1 }
    /// database photos { engine = postgres }
    /// browsers -> web -> photos
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// client browsers
    /// lb front { replicas = 2 }
    /// service web { replicas = 2 }
    /// database photos { engine = postgres  replicas = 1  failover = automatic }
    /// browsers -> front -> web -> photos
    /// ```
    pub struct Spof = "spof", Error, "redundancy", "run two or more instances, or give the database a replica with automatic failover";
    position 1;
}

impl Rule for Spof {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let model = cx.model;
        let analysis = &cx.estimate.failure;
        for unit in analysis.units.iter().filter(|u| u.loses_anything()) {
            let copy = model.graph[unit.node];
            let comp = &model.components[copy.component];
            let sync_lost = unit.lost.iter().any(|x| *x > 0.0);
            let async_lost = unit.lost_async.iter().any(|x| *x > 0.0);
            let mut message = format!("losing {}", failure::unit_phrase(model, unit));
            if sync_lost {
                message.push_str(&format!(
                    " fails {}",
                    failure::describe(analysis, &unit.lost)
                ));
            }
            if async_lost {
                message.push_str(&format!(
                    "{} stops the queued work of {}",
                    if sync_lost { " and" } else { "" },
                    failure::describe_with(analysis, &unit.lost_async, false)
                ));
            }
            let label = match unit.kind {
                UnitKind::Datacenter => "placed in one datacenter".to_string(),
                UnitKind::Instance => "one instance".to_string(),
                UnitKind::ShardInstance => "one instance per shard".to_string(),
                UnitKind::ShardPrimary => "no failover for a lost primary".to_string(),
            };
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                comp.name_span,
                message,
            )
            .label(label)
            .help(failure::unit_help(model, unit))
            .component(&comp.name)
            .datacenter(if model.has_datacenters() {
                model.dc_name(unit.datacenter.or(copy.dc))
            } else {
                None
            });
            let explaining = match unit.kind {
                UnitKind::Datacenter => comp
                    .attr_span("datacenters")
                    .map(|s| (s, "the only datacenter that holds it")),
                UnitKind::ShardPrimary => comp
                    .attr_span("failover")
                    .map(|s| (s, "no promotion of a replica")),
                _ => comp
                    .attr_span("replicas")
                    .map(|s| (s, "a single instance"))
                    .or_else(|| {
                        comp.attr_span("autoscale")
                            .map(|s| (s, "scales down to a single instance"))
                    }),
            };
            if let Some((span, text)) = explaining {
                d = d.related(span, text);
            }
            if unit.shards > 1 {
                let what = match unit.kind {
                    UnitKind::ShardPrimary => "primary",
                    _ => "instance",
                };
                d = d.note(format!(
                    "each of the {} shards of `{}` loses its requests with its {what}; the shard named is the busiest",
                    unit.shards, comp.name
                ));
            }
            let (why, related) = failure::failover_gaps(model, analysis, unit);
            for (span, text) in related {
                d = d.related(span, text);
            }
            if let Some(why) = why {
                d = d.note(why);
            }
            out.push(d);
        }
    }
}
