use super::figures::availability_pair;
use super::reach::{Cdn, classes_reaching};
use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::estimate::availability::copy_availability;
use crate::figures::{Style, number};
use crate::model::{Class, Classes, Component, FailoverMode, Model};

/// Minutes in the month downtime is quoted for (30 days).
const MONTH_MINUTES: f64 = 30.0 * 24.0 * 60.0;

declare_rule! {
    /// ## What it flags
    /// An `slo.availability` above what the design can deliver. The
    /// estimator computes availability from instance availabilities and
    /// redundancy (LANGUAGE.md §8): a copy of n instances is up when one is
    /// (for `autoscale`, n is its min); a shard per §8 (`manual` failover as
    /// `none`); along a request's path every copy it calls multiplies in,
    /// global components (dns, cdn) and caches included; datacenters back
    /// each other up when §8's failover conditions hold, else are weighted
    /// by weight; classes are weighted by their traffic.
    ///
    /// The rule fires when the overall figure is below the objective (one
    /// finding, with the classes below it in a note), or else for each
    /// request class below it. The message gives both figures with enough
    /// decimals to differ and the downtime they mean in a 30-day month; the
    /// related span is the least available copy the requests need.
    ///
    /// Availability rests on structure, not load: unlike the other capacity
    /// rules this one also judges a design without a `traffic` block (the
    /// classes its flows carry then count equally).
    ///
    /// ## Why it matters
    /// Availabilities multiply along a path: three tiers of 99.9% give
    /// 99.7%, nearly four times the downtime of one. An objective above
    /// what the architecture can reach will be missed however well it is
    /// run; redundancy at the weakest tier is what moves the number.
    ///
    /// ## Example
    /// ```arch
    /// slo { availability = 99.9% }
    /// service web { replicas = 1 }
    /// database db
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// slo { availability = 99.9% }
    /// service web { replicas = 2 }
    /// database db { replicas = 1  failover = automatic }
    /// ```
    pub struct SloAvailability = "slo-availability", Error, "capacity", "add redundancy at the least available tier, or relax the objective";
    position 7;
}

impl Rule for SloAvailability {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        let est = cx.estimate;
        let Some(objective) = &m.slo.availability else {
            return;
        };
        let target = objective.value;
        let span = objective
            .span
            .or(m.slo.span)
            .unwrap_or_else(|| m.top_span());
        // The classes that count: with traffic, those with a rate (the
        // estimator lists only those); without, those the flows carry.
        let carried = m.flows.iter().fold(Classes::NONE, |acc, f| {
            f.classes.iter().fold(acc, Classes::with)
        });
        let classes: Vec<(Class, f64)> = est
            .classes
            .iter()
            .filter(|c| est.has_traffic || carried.contains(c.class))
            .map(|c| (c.class, c.availability))
            .collect();
        let below: Vec<(Class, f64)> = classes
            .iter()
            .copied()
            .filter(|(_, a)| *a < target)
            .collect();
        let reach = classes_reaching(m, Cdn::PassMisses);
        let overall = est.availability;
        if overall < target {
            let (got, want) = availability_pair(overall, target);
            let weakest_class = below
                .iter()
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map_or(Class::Read, |c| c.0);
            let mut d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                span,
                format!(
                    "the design is available {got} of the time, below the objective of {want}: about {} of downtime a month against {} allowed",
                    downtime(overall),
                    downtime(target)
                ),
            )
            .label(format!("{want} objective"));
            // By class, when the classes differ from the overall figure.
            let parts: Vec<String> = below
                .iter()
                .map(|(c, a)| format!("`{}` {}", c.as_str(), availability_pair(*a, target).0))
                .collect();
            let differ = below
                .iter()
                .any(|(_, a)| availability_pair(*a, target).0 != got);
            if differ {
                d = d.note(format!(
                    "below the objective by class: {}",
                    parts.join(", ")
                ));
            }
            out.push(with_weakest(d, m, &reach, weakest_class, false));
            return;
        }
        for (class, a) in below {
            let (got, want) = availability_pair(a, target);
            let d = Diagnostic::new(
                Self::INFO.name,
                Self::INFO.severity,
                span,
                format!(
                    "`{}` requests are available {got} of the time, below the objective of {want}: about {} of downtime a month against {} allowed",
                    class.as_str(),
                    downtime(a),
                    downtime(target)
                ),
            )
            .label(format!("{want} objective"));
            out.push(with_weakest(d, m, &reach, class, true));
        }
    }
}

/// The change that makes a copy redundant, by kind.
fn redundancy_help(comp: &Component) -> String {
    let name = &comp.name;
    match comp.database() {
        Some(_) if comp.replicas.value == 0 => format!(
            "give `{name}` a replica with automatic failover (`replicas = 1  failover = automatic`), or relax the objective"
        ),
        Some(db) if db.failover.value != FailoverMode::Automatic => format!(
            "set `failover = automatic` on `{name}` so a replica takes over writes, or relax the objective"
        ),
        Some(_) => format!("add `replicas` to `{name}`, or relax the objective"),
        None if comp.managed => format!(
            "`{name}` is managed: its `availability` is the provider's; route around it or relax the objective"
        ),
        None => format!("run `{name}` on two or more instances, or relax the objective"),
    }
}

/// Downtime in a 30-day month: `43.2 minutes`, `3.6 hours`.
pub fn downtime(availability: f64) -> String {
    let minutes = (1.0 - availability).max(0.0) * MONTH_MINUTES;
    if minutes < 120.0 {
        format!("{} minutes", number(minutes, Style::Precise))
    } else {
        format!("{} hours", number(minutes / 60.0, Style::Precise))
    }
}

/// Points at the least available copy a class needs, and says to make it
/// redundant; `named` says whether the label names the class.
fn with_weakest(
    d: Diagnostic,
    m: &Model,
    reach: &[Classes],
    class: Class,
    named: bool,
) -> Diagnostic {
    let mut weakest: Option<(petgraph::graph::NodeIndex, f64)> = None;
    for node in m.graph.node_indices() {
        let copy = m.graph[node];
        if !reach[copy.component].contains(class) {
            continue;
        }
        let a = copy_availability(m, node, class);
        if weakest.is_none_or(|(_, w)| a < w) {
            weakest = Some((node, a));
        }
    }
    match weakest {
        Some((node, a)) if a < 1.0 => {
            let copy = m.graph[node];
            let comp = &m.components[copy.component];
            let name = m.copy_name(copy);
            let (text, _) = availability_pair(a, 1.0);
            d.related(
                comp.name_span,
                if named {
                    format!(
                        "`{name}` is the least available copy `{}` requests need: {text}",
                        class.as_str()
                    )
                } else {
                    format!("`{name}` is the least available copy the requests need: {text}")
                },
            )
            .help(redundancy_help(comp))
        }
        _ => d.help("add redundancy where requests depend on one instance, or relax the objective"),
    }
}
