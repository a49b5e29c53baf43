//! The wording of failure findings: what `spof`, `no-redundancy` and the
//! datacenter rules say about the units of [`FailureAnalysis`], which the
//! estimator computes once per design (`estimate/failure.rs`).

use crate::estimate::failure::{FailureAnalysis, Unit, UnitKind};
use crate::estimate::load::PerClass;
use crate::model::{Class, Kind, Model};

/// Whole percent, as every finding writes it (`crate::figures`, Compact).
pub fn percent(x: f64) -> String {
    crate::figures::percent(x, crate::figures::Style::Compact)
}

/// A class's name as the object of "fails": "static requests", "reads".
fn plural(class: Class) -> &'static str {
    match class {
        Class::Static => "static requests",
        Class::Read => "reads",
        Class::Write => "writes",
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "100% of reads and writes (12.5/s at peak), 50% of traffic": the
/// classes with something in `rates`, grouped by their percentage of the
/// class, with peak rates and the share of all traffic when the design has
/// traffic figures.
pub fn describe(analysis: &FailureAnalysis, rates: &PerClass) -> String {
    describe_with(analysis, rates, true)
}

/// As [`describe`], with or without the share of traffic.
pub fn describe_with(analysis: &FailureAnalysis, rates: &PerClass, traffic_share: bool) -> String {
    let mut groups: Vec<(String, Vec<Class>, f64)> = Vec::new();
    for class in Class::ALL {
        let c = class.index();
        if rates[c] <= 0.0 || analysis.entry[c] <= 0.0 {
            continue;
        }
        let pct = percent(rates[c] / analysis.entry[c]);
        match groups.iter_mut().find(|g| g.0 == pct) {
            Some(g) => {
                g.1.push(class);
                g.2 += rates[c];
            }
            None => groups.push((pct, vec![class], rates[c])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(pct, classes, rate)| {
            let names: Vec<String> = classes.iter().map(|c| plural(*c).to_string()).collect();
            let mut s = format!("{pct} of {}", and_list(&names));
            if analysis.has_traffic {
                s.push_str(&format!(
                    " ({} at peak)",
                    super::figures::rate(rate * analysis.peak)
                ));
            }
            s
        })
        .collect();
    let mut out = and_list(&parts);
    if analysis.has_traffic && traffic_share {
        let total: f64 = analysis.entry.iter().sum();
        let lost: f64 = rates.iter().sum();
        if total > 0.0 {
            out.push_str(&format!(", {} of traffic", percent(lost / total)));
        }
    }
    out
}

/// "the one instance of `web@us-east`", "the primary of shard 3 of
/// `users@us-east`".
pub fn unit_phrase(model: &Model, unit: &Unit) -> String {
    let name = model.copy_name(model.graph[unit.node]);
    let shard = match unit.shard {
        Some((s, _)) if unit.shards > 1 => match &unit.dedicated {
            Some(key) => format!("shard {s} (dedicated to \"{key}\") of "),
            None => format!("shard {s} of "),
        },
        _ => String::new(),
    };
    match unit.kind {
        UnitKind::Datacenter => {
            let comp = &model.components[model.graph[unit.node].component];
            format!(
                "datacenter `{}`, the only one that holds `{}`,",
                model.dc_name(unit.datacenter).unwrap_or_default(),
                comp.name
            )
        }
        UnitKind::Instance | UnitKind::ShardInstance => {
            format!("the one instance of {shard}`{name}`")
        }
        UnitKind::ShardPrimary => format!("the primary of {shard}`{name}` (`failover = none`)"),
    }
}

/// The one-line change that removes the unit.
pub fn unit_help(model: &Model, unit: &Unit) -> String {
    let comp = &model.components[model.graph[unit.node].component];
    let name = &comp.name;
    match unit.kind {
        UnitKind::Datacenter => {
            let held = unit.datacenter.and_then(|d| model.dc_name(Some(d)));
            let other = model
                .datacenters
                .iter()
                .find(|d| Some(d.name.as_str()) != held)
                .map_or("another", |d| d.name.as_str());
            let dcs = format!("[{}, {other}]", held.unwrap_or_default());
            if comp.cross_dc().is_some() {
                format!(
                    "place `{name}` in a second datacenter, replicated across them: `datacenters = {dcs}  cross_dc = async`"
                )
            } else {
                format!("place `{name}` in a second datacenter: `datacenters = {dcs}`")
            }
        }
        UnitKind::ShardPrimary => format!(
            "set `failover = automatic` on `{name}` so a replica is promoted when a primary fails"
        ),
        _ if comp.kind == Kind::Database => {
            format!("give `{name}` a replica that takes over: `replicas = 1  failover = automatic`")
        }
        _ => match &comp.autoscale {
            Some(a) => format!(
                "raise the autoscale minimum of `{name}` to 2: `autoscale = 2..{}`",
                a.value.1.max(2)
            ),
            None => format!("run a second instance of `{name}`: `replicas = 2`"),
        },
    }
}

/// Why datacenter failover does not recover the lost classes: a sentence
/// for a note, and the places that explain it. Empty when the design has a
/// single datacenter (there is nothing to fail over to, and
/// `single-datacenter` says so).
pub fn failover_gaps(
    model: &Model,
    analysis: &FailureAnalysis,
    unit: &Unit,
) -> (Option<String>, Vec<(crate::diagnostic::Span, String)>) {
    if !(model.has_datacenters() && model.datacenters.len() >= 2) {
        return (None, Vec::new());
    }
    let lost = &unit.lost;
    if unit.kind == UnitKind::Datacenter {
        // The unit is the gap: no datacenter is left to fail over to.
        return (None, Vec::new());
    }
    if unit.kind != UnitKind::Instance {
        let copy = model.copy_name(model.graph[unit.node]);
        return (
            Some(format!(
                "datacenter failover does not recover these requests: `{copy}` keeps live instances, so no `dns` fails its datacenter over"
            )),
            Vec::new(),
        );
    }
    let mut reasons: Vec<String> = Vec::new();
    let mut related = Vec::new();
    let mut push = |reason: String, at: Option<(crate::diagnostic::Span, String)>| {
        if !reasons.contains(&reason) {
            reasons.push(reason);
            if let Some(r) = at {
                related.push(r);
            }
        }
    };
    for class in Class::ALL {
        if lost[class.index()] <= 0.0 {
            continue;
        }
        let check = &analysis.checks[class.index()];
        if check.ok {
            push(
                format!(
                    "{} reach it without passing a `dns` that fails over",
                    plural(class)
                ),
                None,
            );
            continue;
        }
        match check.dns {
            None => push("no `dns` fails over between the datacenters".into(), None),
            Some(d) if !check.dns_fails_over => {
                let dns = &model.components[d];
                push(
                    format!("`{}` has `failover = false`", dns.name),
                    Some((dns.attr_or_name("failover"), "failover is off here".into())),
                );
            }
            Some(_) => {}
        }
        for &s in &check.single_placed {
            let comp = &model.components[s];
            let placed: Vec<String> = comp
                .datacenters
                .value
                .iter()
                .map(|d| format!("`{}`", model.datacenters[*d].name))
                .collect();
            push(
                format!("`{}` is placed only in {}", comp.name, and_list(&placed)),
                Some((
                    comp.attr_or_name("datacenters"),
                    format!("`{}` placed in one datacenter", comp.name),
                )),
            );
        }
        for &s in &check.unsynced {
            let comp = &model.components[s];
            push(
                format!("`{}` has `cross_dc = none`", comp.name),
                Some((
                    comp.attr_or_name("cross_dc"),
                    format!("`{}` is not replicated across datacenters", comp.name),
                )),
            );
        }
    }
    if reasons.is_empty() {
        return (None, related);
    }
    (
        Some(format!(
            "datacenter failover does not recover these requests: {}",
            and_list(&reasons)
        )),
        related,
    )
}

/// The datacenter with the largest weight among `dcs` (the first of equals).
pub fn heaviest_dc(model: &Model, dcs: impl IntoIterator<Item = usize>) -> Option<usize> {
    dcs.into_iter()
        .fold(None, |best: Option<usize>, d| match best {
            Some(b) if model.datacenters[b].weight.value >= model.datacenters[d].weight.value => {
                Some(b)
            }
            _ => Some(d),
        })
}
