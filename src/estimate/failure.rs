//! What fails when one unit is lost (LANGUAGE.md §6 and §8): computed
//! once per estimate, read by `spof`, `no-redundancy` and anything else
//! that needs to know what a failure costs (the rules' wording lives in
//! `rules/failure.rs`).
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

use super::Estimate;
use super::availability::{FailoverCheck, failover_check};
use super::load::{self, PerClass};
use crate::model::{Class, CopyEdgeKind, DcId, FailoverMode, Kind, Model};
use petgraph::Direction;
use petgraph::algo::dominators;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{EdgeFiltered, EdgeRef};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What one failure takes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitKind {
    /// Every instance of a copy that has one.
    Instance,
    /// The one instance of a shard (a sharded database without replicas).
    ShardInstance,
    /// The primary of a shard, with replicas but `failover = none`.
    ShardPrimary,
    /// The one datacenter that holds a regional component, in a design of
    /// several: losing it takes every copy of the component, and no
    /// failover helps the requests that need it.
    Datacenter,
}

#[derive(Clone, Debug, PartialEq)]
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
    /// For a [`UnitKind::Datacenter`] unit, the datacenter lost.
    pub datacenter: Option<DcId>,
}

impl Unit {
    pub fn loses_anything(&self) -> bool {
        self.lost.iter().chain(&self.lost_async).any(|x| *x > 0.0)
    }

    pub fn recovers_anything(&self) -> bool {
        self.recovered.iter().any(|x| *x > 0.0)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailureAnalysis {
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

/// How many times [`analyse`] has run in this process: the test that
/// `check` computes the analysis once reads it.
static RUNS: AtomicUsize = AtomicUsize::new(0);

#[doc(hidden)]
pub fn runs() -> usize {
    RUNS.load(Ordering::Relaxed)
}

/// The units of `model` and what losing each costs, from the estimate's
/// flows (everything but [`Estimate::failure`] must be filled in).
pub fn analyse(model: &Model, est: &Estimate) -> FailureAnalysis {
    RUNS.fetch_add(1, Ordering::Relaxed);
    let has_traffic = est.has_traffic;
    // Without traffic figures the flows of one request per class per second
    // give every figure as a fraction of its class.
    let owned;
    let (flows, entry) = if has_traffic {
        (&est.flows, super::entry_rates(model))
    } else {
        owned = load::propagate(model, [1.0; 3], None);
        (&owned, [1.0; 3])
    };
    let checks = Class::ALL.map(|c| failover_check(model, est, c));
    let n = model.graph.node_count();
    let mut analysis = FailureAnalysis {
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
    let single_placed = single_placed(model);
    if kinds.iter().all(Option::is_none) && single_placed.is_empty() {
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
        if any_partial || !single_placed.is_empty() {
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
            // A scatter-gather read needs every shard, so it is lost
            // whatever the shard's share.
            let db = flows.db[i];
            let reads = db.reads();
            let lost_reads = if reads > 0.0 {
                (share * db.reads_primary + db.scatter_primary) / reads
            } else {
                0.0
            };
            part = [lost_reads, lost_reads, share];
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
            datacenter: None,
        };
        if unit.loses_anything() || unit.recovers_anything() {
            analysis.units.push(unit);
        }
    }

    // Losing the one datacenter that holds a component loses every request
    // that reaches it: failing the `dns` over sends them to datacenters
    // that have no copy to call (§8), so nothing recovers them.
    // Only the requests that wait for the component count: queued work
    // whose consumers run in one datacenter is `queue-consumer-dc`'s
    // finding (other consumers may take it over).
    for (dc, node) in single_placed {
        let i = node.index();
        let unit = Unit {
            node,
            kind: UnitKind::Datacenter,
            shards: 1,
            shard: None,
            dedicated: None,
            lost: lost_cap_all[i],
            lost_async: [0.0; 3],
            recovered: [0.0; 3],
            datacenter: Some(dc),
        };
        if unit.loses_anything() {
            analysis.units.push(unit);
        }
    }
    analysis
}

/// In a design of two or more datacenters, the regional components placed
/// in only one of them, as (that datacenter, the one copy). Provider-scaled
/// components are global or managed and never held by one datacenter.
fn single_placed(model: &Model) -> Vec<(DcId, NodeIndex)> {
    if !(model.has_datacenters() && model.datacenters.len() >= 2) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (id, comp) in model.components.iter().enumerate() {
        if comp.provider_scaled() {
            continue;
        }
        let mut copies = model.copies_of(id);
        if let (Some((Some(dc), node)), None) = (copies.next(), copies.next()) {
            out.push((dc, node));
        }
    }
    out
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
