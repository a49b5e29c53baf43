use super::figures::{dc_of, pct, rate};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::estimate::CopyEstimate;
use crate::model::{Component, Model};
use petgraph::graph::NodeIndex;

declare_rule! {
    /// ## What it flags
    /// (needs `traffic`) A component copy whose utilisation at peak reaches
    /// 100% even at its largest instance count: `replicas`, or the max of
    /// `autoscale`. For a database copy it is the busiest instance — a
    /// shard's primary or one of its replicas, counting the writes every
    /// instance applies (LANGUAGE.md §6). The message names the copy, its
    /// peak rate and the capacity at its largest instance count.
    ///
    /// ## Why it matters
    /// A server that receives more than it can serve does not slow down
    /// gracefully: its queue grows without bound, every request waits
    /// longer than the one before, and time-outs turn the overload into
    /// errors and retries that add more load. Autoscaling cannot help past
    /// its maximum. The estimate assumes the declared `capacity`; if it
    /// rests on a kind default, a note says so.
    ///
    /// ## Example
    /// ```arch
    /// traffic { rate = 1500/s }
    /// service web { autoscale = 2..4  capacity = 300/s }
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// traffic { rate = 1500/s }
    /// service web { autoscale = 2..10  capacity = 300/s }
    /// ```
    pub struct Overload = "overload", Error, "capacity", "allow more instances or raise `capacity` until peak fits"; needs traffic;
    position 1;
}

/// What a copy's utilisation at its largest instance count rests on.
pub(super) struct AtMax {
    pub utilization: f64,
    /// `web@us-east`.
    pub copy: String,
    /// "needs 1500.0/s at peak even at its autoscale max of 4 instances,
    /// which serve 1200.0/s".
    pub figures: String,
    /// Instances that would keep it at `target` (non-database copies).
    pub instances_for: Option<u32>,
    /// For a database copy: whether the busiest instance is a primary.
    pub primary_bound: Option<bool>,
}

/// Utilisation of a copy at its largest instance count, from the estimate,
/// described for a message; `None` for a copy without a capacity limit.
pub(super) fn at_max(m: &Model, ce: &CopyEstimate, target: f64) -> Option<AtMax> {
    let comp = &m.components[ce.copy.component];
    let per_instance = comp.capacity.value?;
    let copy = m.copy_name(ce.copy);
    if comp.database().is_some() {
        let (what, station) = busiest_instance(ce)?;
        let primary_bound = Some(what.starts_with("the primary"));
        return Some(AtMax {
            utilization: ce.utilization_at_max,
            copy,
            figures: format!(
                "receives {} at peak; its busiest instance, {what}, needs {} of {}",
                rate(ce.peak_rps),
                rate(station.peak_rps),
                rate(per_instance),
            ),
            instances_for: None,
            primary_bound,
        });
    }
    let max = comp.max_servers();
    let limit = instances_phrase(comp, max);
    let needed = (ce.peak_rps / (per_instance * target)).ceil();
    Some(AtMax {
        utilization: ce.utilization_at_max,
        copy,
        figures: format!(
            "needs {} at peak {limit} {}",
            rate(ce.peak_rps),
            rate(per_instance * f64::from(max)),
        ),
        instances_for: (!comp.managed && needed.is_finite()).then_some(needed.max(1.0) as u32),
        primary_bound: None,
    })
}

/// "even at its autoscale max of 4 instances, which serve", "with its one
/// instance, which serves": how many instances a copy has at most, ending
/// in the verb the capacity follows.
pub(super) fn instances_phrase(comp: &Component, max: u32) -> String {
    if comp.managed {
        "at its provisioned capacity, which serves".to_string()
    } else if comp.autoscale.is_some() {
        let noun = if max == 1 { "instance" } else { "instances" };
        let verb = if max == 1 { "serves" } else { "serve" };
        format!("even at its autoscale max of {max} {noun}, which {verb}")
    } else if max == 1 {
        "with its one instance, which serves".to_string()
    } else {
        format!("with all {max} instances, which serve")
    }
}

/// The busiest instance of a database copy: "the primary of shard 2".
fn busiest_instance(ce: &CopyEstimate) -> Option<(String, crate::estimate::Station)> {
    let sharded = ce.shards.len() > 1;
    let mut best: Option<(String, crate::estimate::Station)> = None;
    for s in &ce.shards {
        let of = if sharded {
            format!(" of shard {}", s.shard)
        } else {
            String::new()
        };
        let mut candidates = vec![(format!("the primary{of}"), s.primary)];
        if let Some(r) = s.replica {
            candidates.push((format!("a replica{of}"), r));
        }
        for (what, st) in candidates {
            if best
                .as_ref()
                .is_none_or(|(_, b)| st.utilization > b.utilization)
            {
                best = Some((what, st));
            }
        }
    }
    best
}

pub(super) fn help(m: &Model, node: NodeIndex, view: &AtMax, target: f64) -> String {
    let comp = &m.components[m.graph[node].component];
    match (view.primary_bound, view.instances_for) {
        (Some(true), _) => format!(
            "split the writes over more `shards` of `{}`, or raise its `capacity`",
            comp.name
        ),
        (Some(false), _) => format!(
            "add `replicas` to `{}` to spread its reads (each still applies every write), add `shards`, or raise its `capacity`",
            comp.name
        ),
        (None, Some(n)) if comp.autoscale.is_some() => format!(
            "raise the `autoscale` max of `{}` to {n} (peak at the {} target) or raise its `capacity`",
            comp.name,
            pct(target)
        ),
        (None, Some(n)) => format!(
            "run {n} instances of `{}` (peak at the {} target) or raise its `capacity`",
            comp.name,
            pct(target)
        ),
        (None, None) => format!("raise the provisioned `capacity` of `{}`", comp.name),
    }
}

/// Where a capacity finding points: the attribute that bounds the
/// instances (`autoscale`, `replicas`), else the component.
pub(super) fn span_of(comp: &Component) -> crate::diagnostic::Span {
    // A database's instances are fixed by its shards and replicas together:
    // the finding is about the database as a whole.
    if comp.database().is_some() {
        return comp.name_span;
    }
    comp.attr_span("autoscale")
        .or_else(|| comp.attr_span("replicas"))
        .unwrap_or(comp.name_span)
}

impl Rule for Overload {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let target = m.assumptions.target_utilization.value;
        for ce in &cx.estimate.copies {
            if ce.utilization_at_max < 1.0 {
                continue;
            }
            let Some(view) = at_max(m, ce, target) else {
                continue;
            };
            let comp = &m.components[ce.copy.component];
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                span_of(comp),
                format!(
                    "`{}` is overloaded at {} at peak: it {}",
                    view.copy,
                    pct(view.utilization),
                    view.figures
                ),
            )
            .label(format!("{} at peak", pct(view.utilization)))
            .help(help(m, ce.node, &view, target))
            .component(&comp.name)
            .datacenter(dc_of(m, ce.copy.dc));
            d = capacity_related(comp, d);
            out.push(d);
        }
    }
}

/// The declared capacity as related span, or a note that it is assumed.
pub(super) fn capacity_related(comp: &Component, d: Diagnostic) -> Diagnostic {
    match comp.attr_span("capacity") {
        Some(span) => d.related(span, "capacity of one instance"),
        None => d.note(format!(
            "`capacity` of `{}` is the {} default; state the figure you measured",
            comp.name,
            comp.kind.as_str()
        )),
    }
}
