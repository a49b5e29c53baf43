//! What fails when one unit is lost: the analysis behind `spof` and
//! `no-redundancy` (RULES.md, LANGUAGE.md §6 and §8).
//!
//! A *unit* is what one failure takes out: every instance of a
//! non-managed regional copy that has a single instance (autoscale min 1
//! counts as one), the one instance of a shard of a database without
//! replicas, or the primary of a shard whose database has replicas but
//! `failover = none`. (With `failover = manual` and a replica, the loss is
//! `manual-failover`'s business; managed services and global components are
//! never units.)
//!
//! A request needs a unit when it reaches it: nothing in the language
//! re-routes a call that fails, so every call that arrives at a dead copy
//! fails, and its request with it. What the estimator's flows give per copy
//! and class is the rate of such calls. Two things turn that rate into the
//! requests lost:
//!
//! - **Datacenter failover.** When a class meets §8's conditions
//!   ([`failover_check`]), a `dns` that fails over stops sending to a
//!   datacenter whose requests need a dead copy, so every call that came
//!   through the `dns` is recovered (after its `ttl`). Calls that reach the
//!   unit without passing a failing-over `dns` — another entry point, or a
//!   class that fails the check — are not. One pass in topological order
//!   splits each copy's flow into the part that came through such a `dns`
//!   and the rest, edge by edge, in proportion.
//! - **Fan-out meeting again.** A request whose fan-out branches meet at the
//!   same copy calls it twice, but fails only once. Every request that
//!   reaches a copy has passed through each of the copy's dominators (on the
//!   graph of unrecovered calls, from a virtual root joined to the entry
//!   copies), so the lost rate is capped by the smallest flow along its
//!   dominator chain, and by the class's own rate at the root — one pass
//!   down petgraph's dominator tree.
//!
//! Both passes are linear in the copy graph (the dominator tree is built
//! once per class), so a design of 10,000 components checks in well under a
//! second.

use crate::estimate::Estimate;
use crate::estimate::availability::{FailoverCheck, failover_check};
use crate::estimate::load::{self, PerClass};
use crate::model::{Class, CopyEdgeKind, FailoverMode, Kind, Model};
use petgraph::Direction;
use petgraph::algo::dominators;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{EdgeFiltered, EdgeRef};

/// What one failure takes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitKind {
    /// Every instance of a copy that has one.
    Instance,
    /// The one instance of a shard (a sharded database without replicas).
    ShardInstance,
    /// The primary of a shard, with replicas but `failover = none`.
    ShardPrimary,
}

#[derive(Clone, Debug)]
pub struct Unit {
    pub node: NodeIndex,
    pub kind: UnitKind,
    /// Shards in the copy (1 when not sharded).
    pub shards: usize,
    /// For shard units, the shard whose loss costs most and its share of
    /// the database's requests.
    pub shard: Option<(usize, f64)>,
    /// The key a dedicated shard holds, when the shard named is one.
    pub dedicated: Option<String>,
    /// Requests lost per class (average rates, or fractions of the class
    /// without a `traffic` block): no automatic recovery.
    pub lost: PerClass,
    /// Queued work (messages of a queue) that stops per class.
    pub lost_async: PerClass,
    /// Requests that need the unit but recover by datacenter failover.
    pub recovered: PerClass,
}

impl Unit {
    pub fn loses_anything(&self) -> bool {
        self.lost.iter().chain(&self.lost_async).any(|x| *x > 0.0)
    }

    pub fn recovers_anything(&self) -> bool {
        self.recovered.iter().any(|x| *x > 0.0)
    }
}

pub struct Analysis {
    pub units: Vec<Unit>,
    /// Average entry rate per class; 1 per class without traffic, so that
    /// figures read as fractions of the class.
    pub entry: PerClass,
    pub peak: f64,
    pub has_traffic: bool,
    /// §8's conditions per class.
    pub checks: [FailoverCheck; 3],
}

/// Flow below this share of a class's rate is rounding noise.
const EPS: f64 = 1e-12;

/// How much of a copy's load fails when one shard's primary (or only
/// instance) is lost, and which shard that is.
fn worst_shard(est: &Estimate, node: NodeIndex) -> (usize, f64) {
    est.copy(node)
        .shards
        .iter()
        .map(|s| (s.shard, s.share))
        .fold((0, 0.0), |best, s| if s.1 > best.1 { s } else { best })
}

fn unit_kind(model: &Model, node: NodeIndex) -> Option<UnitKind> {
    let comp = &model.components[model.graph[node].component];
    if comp.provider_scaled() {
        return None;
    }
    match comp.database() {
        Some(db) => {
            if comp.replicas.value == 0 {
                if db.total_shards() > 1 {
                    Some(UnitKind::ShardInstance)
                } else {
                    Some(UnitKind::Instance)
                }
            } else if db.failover.value == FailoverMode::None {
                Some(UnitKind::ShardPrimary)
            } else {
                None
            }
        }
        None => (comp.min_instances() <= 1).then_some(UnitKind::Instance),
    }
}

pub fn analyse(model: &Model, est: &Estimate) -> Analysis {
    let has_traffic = est.has_traffic;
    // Without traffic figures the flows of one request per class per second
    // give every figure as a fraction of its class.
    let owned;
    let (flows, entry) = if has_traffic {
        (&est.flows, crate::estimate::entry_rates(model))
    } else {
        owned = load::propagate(model, [1.0; 3], None);
        (&owned, [1.0; 3])
    };
    let checks = Class::ALL.map(|c| failover_check(model, est, c));
    let n = model.graph.node_count();
    let mut analysis = Analysis {
        units: Vec::new(),
        entry,
        peak: if has_traffic { est.peak_factor } else { 1.0 },
        has_traffic,
        checks,
    };
    let calls = EdgeFiltered::from_fn(&model.graph, |e| {
        matches!(e.weight().kind, CopyEdgeKind::Call(_))
    });
    // Synchronous calls never loop (a cycle is a compile error).
    let Ok(order) = petgraph::algo::toposort(&calls, None) else {
        return analysis;
    };
    let kinds: Vec<Option<UnitKind>> = model
        .graph
        .node_indices()
        .map(|node| unit_kind(model, node))
        .collect();
    if kinds.iter().all(Option::is_none) {
        return analysis;
    }

    // A unit that takes out only part of a copy (a shard, a primary)
    // leaves the copy live instances, so the `dns` sees nothing to fail
    // over from (LANGUAGE.md §6): its requests are never recovered.
    let any_partial = kinds
        .iter()
        .any(|k| matches!(k, Some(UnitKind::ShardInstance | UnitKind::ShardPrimary)));
    let mut lost_cap = vec![[0.0; 3]; n];
    let mut lost_cap_all = vec![[0.0; 3]; n];
    let mut recovered = vec![[0.0; 3]; n];
    for class in Class::ALL {
        let c = class.index();
        let rate = entry[c];
        if rate <= 0.0 {
            continue;
        }
        let recover = analysis.checks[c].ok;
        let pass = class_pass(model, flows, &order, c, rate, recover);
        for i in 0..n {
            lost_cap[i][c] = pass.cap[i];
            recovered[i][c] = pass.recovered[i];
        }
        if any_partial {
            let all = if recover {
                class_pass(model, flows, &order, c, rate, false).cap
            } else {
                pass.cap
            };
            for i in 0..n {
                lost_cap_all[i][c] = all[i];
            }
        }
    }

    for node in model.graph.node_indices() {
        let Some(kind) = kinds[node.index()] else {
            continue;
        };
        let i = node.index();
        let (shard, share) = match kind {
            UnitKind::Instance => (None, 1.0),
            _ => {
                let (s, share) = worst_shard(est, node);
                (Some((s, share)), share)
            }
        };
        // The part of each class's load that the lost instance serves.
        let mut part = [share; 3];
        if kind == UnitKind::ShardPrimary {
            // Writes need the primary; reads need it only when they are
            // sent there (reads spread over every instance move to the
            // replicas that are left).
            let db = flows.db[i];
            let reads = db.reads_primary + db.reads_replicas + db.reads_any;
            let to_primary = if reads > 0.0 {
                db.reads_primary / reads
            } else {
                0.0
            };
            part = [share * to_primary, share * to_primary, share];
        }
        let async_in = flows.async_[i];
        let partial = kind != UnitKind::Instance;
        let (lost, recovered) = if partial {
            (lost_cap_all[i], [0.0; 3])
        } else {
            (lost_cap[i], recovered[i])
        };
        let unit = Unit {
            node,
            kind,
            shards: est.copy(node).shards.len().max(1),
            shard,
            dedicated: shard.and_then(|(s, _)| {
                est.copy(node)
                    .shards
                    .iter()
                    .find(|x| x.shard == s)
                    .and_then(|x| x.dedicated_key.clone())
            }),
            lost: std::array::from_fn(|c| lost[c] * part[c]),
            lost_async: std::array::from_fn(|c| async_in[c].min(entry[c]) * part[c]),
            recovered: std::array::from_fn(|c| recovered[c] * part[c]),
        };
        if unit.loses_anything() || unit.recovers_anything() {
            analysis.units.push(unit);
        }
    }
    analysis
}

/// One class's figures per copy: the calls that arrive without passing a
/// failing-over `dns` (when `recover`), capped along their dominators, and
/// the calls that did pass one.
struct ClassPass {
    cap: Vec<f64>,
    recovered: Vec<f64>,
}

fn class_pass(
    model: &Model,
    flows: &load::Flows,
    order: &[NodeIndex],
    c: usize,
    rate: f64,
    recover: bool,
) -> ClassPass {
    let n = model.graph.node_count();
    let mut unrec = vec![0.0; n];
    let mut ratio = vec![0.0; n];
    let mut recovered = vec![0.0; n];
    let mut dom_graph: DiGraph<(), ()> = DiGraph::with_capacity(n + 1, n);
    for _ in 0..=n {
        dom_graph.add_node(());
    }
    let root = NodeIndex::new(n);
    for &node in order {
        let i = node.index();
        let arriving = flows.sync[i][c];
        if arriving <= EPS * rate {
            continue;
        }
        let mut through_edges = 0.0;
        let mut unrecovered = 0.0;
        for e in model.graph.edges_directed(node, Direction::Incoming) {
            if !matches!(e.weight().kind, CopyEdgeKind::Call(_)) {
                continue;
            }
            let along = flows.edge_sync[e.id().index()][c];
            through_edges += along;
            let part = along * ratio[e.source().index()];
            if part > EPS * rate {
                unrecovered += part;
                dom_graph.add_edge(e.source(), node, ());
            }
        }
        // What arrives other than along an edge is entry traffic.
        let entered = arriving - through_edges;
        if entered > EPS * rate {
            unrecovered += entered;
            dom_graph.add_edge(root, node, ());
        }
        unrec[i] = unrecovered.min(arriving);
        recovered[i] = (arriving - unrec[i]).max(0.0).min(rate);
        let comp = &model.components[model.graph[node].component];
        ratio[i] = if comp.kind == Kind::Dns && recover {
            0.0
        } else {
            unrec[i] / arriving
        };
    }
    let doms = dominators::simple_fast(&dom_graph, root);
    // Dominators precede what they dominate in topological order, so one
    // pass carries the smallest flow down each dominator chain.
    let mut cap = vec![0.0; n];
    for &node in order {
        let i = node.index();
        if unrec[i] <= EPS * rate {
            continue;
        }
        let above = match doms.immediate_dominator(node) {
            Some(d) if d == root => rate,
            Some(d) => cap[d.index()],
            None => 0.0,
        };
        cap[i] = unrec[i].min(above);
    }
    ClassPass { cap, recovered }
}

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

impl Analysis {
    /// "100% of reads and writes (12.5/s at peak), 50% of traffic": the
    /// classes with something in `rates`, grouped by their percentage of the
    /// class, with peak rates and the share of all traffic when the design
    /// has traffic figures.
    pub fn describe(&self, rates: &PerClass) -> String {
        self.describe_with(rates, true)
    }

    /// As [`Analysis::describe`], with or without the share of traffic.
    pub fn describe_with(&self, rates: &PerClass, traffic_share: bool) -> String {
        let mut groups: Vec<(String, Vec<Class>, f64)> = Vec::new();
        for class in Class::ALL {
            let c = class.index();
            if rates[c] <= 0.0 || self.entry[c] <= 0.0 {
                continue;
            }
            let pct = percent(rates[c] / self.entry[c]);
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
                if self.has_traffic {
                    s.push_str(&format!(
                        " ({} at peak)",
                        super::figures::rate(rate * self.peak)
                    ));
                }
                s
            })
            .collect();
        let mut out = and_list(&parts);
        if self.has_traffic && traffic_share {
            let total: f64 = self.entry.iter().sum();
            let lost: f64 = rates.iter().sum();
            if total > 0.0 {
                out.push_str(&format!(", {} of traffic", percent(lost / total)));
            }
        }
        out
    }
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
    analysis: &Analysis,
    unit: &Unit,
) -> (Option<String>, Vec<(crate::diagnostic::Span, String)>) {
    if !(model.has_datacenters() && model.datacenters.len() >= 2) {
        return (None, Vec::new());
    }
    let lost = &unit.lost;
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
