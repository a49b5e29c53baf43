//! Availability (RULES.md `slo-availability`, LANGUAGE.md §8).
//!
//! A copy of n instances is up when one is (1 − (1 − a)ⁿ; autoscale counts
//! its min); a shard serves reads when any instance is up and writes when
//! the primary is, or a replica with `failover = automatic`; managed
//! services have their own figure. Along a request's path the copies it
//! needs multiply (fan-out: all; shares: the alternative taken; caches and
//! CDNs: misses only go further, and a failed cache fails its requests; a
//! CDN with `fallback = origin` lets static requests reach the origin when
//! it fails). Datacenters combine in parallel when §8's failover conditions
//! hold for the class, else weighted by weight.

use super::Estimate;
use crate::model::{
    Class, ComponentId, CopyEdgeKind, DcId, FailoverMode, Fallback, Kind, Model, Session,
};
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeFiltered;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub overall: f64,
    pub per_class: [f64; 3],
    pub failover: [FailoverCheck; 3],
}

/// Whether losing a datacenter is survived by a class's requests (§8).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailoverCheck {
    pub ok: bool,
    /// The design has two or more datacenters.
    pub multi_dc: bool,
    /// The `dns` on the class's path, if any.
    pub dns: Option<ComponentId>,
    pub dns_fails_over: bool,
    /// Regional components the class needs that only one datacenter holds.
    pub single_placed: Vec<ComponentId>,
    /// Stateful components the class needs with `cross_dc = none`.
    pub unsynced: Vec<ComponentId>,
}

/// One instance-level figure per copy and class.
pub fn copy_availability(model: &Model, node: NodeIndex, class: Class) -> f64 {
    let comp = &model.components[model.graph[node].component];
    if comp.kind == Kind::Client {
        return 1.0;
    }
    let a = comp.availability.value;
    if comp.managed {
        return a;
    }
    if let Some(db) = comp.database() {
        let all = 1.0 - (1.0 - a).powi(1 + comp.replicas.value as i32);
        return match class {
            Class::Write => {
                if db.failover.value == FailoverMode::Automatic && comp.replicas.value >= 1 {
                    all
                } else {
                    a
                }
            }
            _ => all,
        };
    }
    let n = comp.min_instances().max(1);
    1.0 - (1.0 - a).powi(n as i32)
}

#[derive(Clone, Copy, PartialEq)]
enum Part {
    All,
    /// Only global copies count (regional ones are taken as up).
    Global,
    /// Only regional copies count.
    Regional,
}

/// Availability of a class entering at the entry points, with global edges
/// into regional components forced to datacenter `forced` when given.
fn path_availability(g: &Graph, class: Class, forced: Option<DcId>, part: Part) -> f64 {
    let model = g.model;
    let Some(order) = g.order else {
        return 0.0;
    };
    let mut a = vec![1.0; model.graph.node_count()];
    for &node in order.iter().rev() {
        let copy = model.graph[node];
        let comp = &model.components[copy.component];
        let own = match (part, comp.kind.is_global()) {
            (Part::Global, false) | (Part::Regional, true) => 1.0,
            _ => copy_availability(model, node, class),
        };
        let down = downstream(g, node, class, forced, &a);
        let matches_hit = |hit: f64| own * (hit + (1.0 - hit) * down);
        a[node.index()] = match comp.kind {
            Kind::Cache if class != Class::Write => {
                matches_hit(comp.cache().map_or(0.0, |c| c.hit_ratio.value))
            }
            Kind::Cdn if class == Class::Static => {
                let cdn = comp.cdn();
                let hit = cdn.map_or(0.0, |c| c.hit_ratio.value);
                let with_cdn = matches_hit(hit);
                if cdn.is_some_and(|c| c.fallback.value == Fallback::Origin) {
                    with_cdn + (1.0 - own) * down
                } else {
                    with_cdn
                }
            }
            Kind::Queue | Kind::Database | Kind::Storage => own,
            _ => own * down,
        };
    }
    // Entry points, by share.
    let mut total = 0.0;
    for &(comp, share) in &model.entries {
        let copies: Vec<(Option<DcId>, NodeIndex)> = model.copies_of(comp).collect();
        let v = if copies.len() == 1 {
            a[copies[0].1.index()]
        } else if let Some(d) = forced {
            copies
                .iter()
                .find(|(dc, _)| *dc == Some(d))
                .map_or(0.0, |(_, n)| a[n.index()])
        } else {
            let dcs: Vec<DcId> = copies.iter().filter_map(|(d, _)| *d).collect();
            let w = model.weights_over(&dcs);
            copies
                .iter()
                .zip(w)
                .map(|((_, n), w)| w * a[n.index()])
                .sum()
        };
        total += share * v;
    }
    total
}

/// What a copy's calls for one class need to succeed, given the callees'
/// availabilities `a`.
fn downstream(g: &Graph, node: NodeIndex, class: Class, forced: Option<DcId>, a: &[f64]) -> f64 {
    let model = g.model;
    let copy = model.graph[node];
    let from_global = model.components[copy.component].kind.is_global();
    let mut all = 1.0;
    let mut shared_sum = 0.0;
    let mut shared_share = 0.0;
    for (fid, flow) in model.flows_from(copy.component) {
        if !flow.classes.contains(class) {
            continue;
        }
        // The callees, read again rather than collected: this runs per
        // copy, flow, class and datacenter, and two vectors each time were
        // a third of the availability's cost at 100,000 components.
        let targets = || {
            model
                .call_edges(node, fid)
                .map(|(_, target, e)| (target, e.fraction))
        };
        let in_forced = |t: NodeIndex| forced.is_some() && model.graph[t].dc == forced;
        // A global caller with a datacenter forced calls only that
        // datacenter's copies, each as if it took all the calls, when it
        // has some there.
        let only_forced = forced.is_some()
            && from_global
            && targets().nth(1).is_some()
            && targets().any(|(t, _)| in_forced(t));
        let e: f64 = if only_forced {
            targets()
                .filter(|(t, _)| in_forced(*t))
                .map(|(t, _)| a[t.index()])
                .sum()
        } else {
            targets().map(|(t, f)| f * a[t.index()]).sum()
        };
        match flow.share {
            None => all *= e,
            Some(p) => {
                shared_sum += p * e;
                shared_share += p;
            }
        }
    }
    all * (shared_sum + (1.0 - shared_share).max(0.0))
}

/// §8's conditions for surviving a datacenter loss, for one class.
pub fn failover_check(model: &Model, est: &Estimate, class: Class) -> FailoverCheck {
    let mut check = FailoverCheck {
        multi_dc: model.has_datacenters() && model.datacenters.len() >= 2,
        ..Default::default()
    };
    let mut needed = vec![false; model.components.len()];
    for node in model.graph.node_indices() {
        if est.flows.sync[node.index()][class.index()] > 0.0 {
            needed[model.graph[node].component] = true;
        }
    }
    // Without traffic figures, every component a flow of this class joins.
    if !est.has_traffic {
        for f in &model.flows {
            if f.classes.contains(class) {
                needed[f.from] = true;
                needed[f.to] = true;
            }
        }
    }
    let mut stateful = Vec::new();
    for (id, c) in model.components.iter().enumerate() {
        if !needed[id] {
            continue;
        }
        if let Some(dns) = c.dns() {
            check.dns = Some(id);
            check.dns_fails_over = dns.failover.value;
        }
        if !c.kind.is_global() && c.datacenters.value.len() < 2 {
            check.single_placed.push(id);
        }
        if matches!(c.kind, Kind::Database | Kind::Storage) {
            stateful.push(id);
        }
        if let Some(Session::Store(s)) = c.service().map(|s| &s.session.value) {
            stateful.push(*s);
        }
    }
    stateful.sort_unstable();
    stateful.dedup();
    for s in stateful {
        if model.components[s].cross_dc() == Some(crate::model::CrossDc::None) {
            check.unsynced.push(s);
        }
    }
    check.ok = check.multi_dc
        && check.dns.is_some()
        && check.dns_fails_over
        && check.single_placed.is_empty()
        && check.unsynced.is_empty();
    check
}

/// The call graph's order and flow index, computed once per report.
struct Graph<'a> {
    model: &'a Model,
    /// Copies in topological order of the call edges.
    order: Option<&'a [NodeIndex]>,
}

pub fn compute(model: &Model, est: &Estimate) -> Report {
    let mut report = Report::default();
    let calls = EdgeFiltered::from_fn(&model.graph, |e| {
        matches!(e.weight().kind, CopyEdgeKind::Call(_))
    });
    // Synchronous call cycles are compile errors, so the order exists; were
    // it missing, every path would count as down rather than up.
    let order = petgraph::algo::toposort(&calls, None).ok();
    let g = Graph {
        model,
        order: order.as_deref(),
    };
    let weights_total: f64 = model.datacenters.iter().map(|d| d.weight.value).sum();
    for class in Class::ALL {
        let check = failover_check(model, est, class);
        let a = if !(model.has_datacenters() && model.datacenters.len() >= 2) {
            path_availability(&g, class, None, Part::All)
        } else if check.ok {
            let global = path_availability(&g, class, None, Part::Global);
            let down_all: f64 = (0..model.datacenters.len())
                .map(|d| 1.0 - path_availability(&g, class, Some(d), Part::Regional))
                .product();
            global * (1.0 - down_all)
        } else {
            (0..model.datacenters.len())
                .map(|d| {
                    let w = model.datacenters[d].weight.value / weights_total.max(1e-12);
                    w * path_availability(&g, class, Some(d), Part::All)
                })
                .sum()
        };
        report.per_class[class.index()] = a;
        report.failover[class.index()] = check;
    }
    let rates = super::entry_rates(model);
    let total: f64 = rates.iter().sum();
    report.overall = if total > 0.0 {
        (0..3).map(|c| rates[c] * report.per_class[c]).sum::<f64>() / total
    } else {
        // Without traffic, the classes flows carry count equally.
        let carried: Vec<usize> = (0..3)
            .filter(|c| {
                model
                    .flows
                    .iter()
                    .any(|f| f.classes.contains(Class::ALL[*c]))
            })
            .collect();
        if carried.is_empty() {
            report.per_class[1]
        } else {
            carried.iter().map(|c| report.per_class[*c]).sum::<f64>() / carried.len() as f64
        }
    };
    report
}
