//! Load propagation (LANGUAGE.md §6): average requests per second of each
//! class at every copy and along every copy edge.
//!
//! Traffic enters at the entry components, then each copy forwards what it
//! does not answer itself along its matching flow edges: every unshared
//! edge (fan-out), each shared edge with its share's probability, each
//! times its call count (`x10`, §13), split
//! over callee copies by the edge's datacenter fraction. Caches and CDNs
//! answer hits; queues hand messages to their consumers, whose work is
//! *asynchronous* — it loads the copies but is not part of any request's
//! response time, so it is tracked apart.

use crate::model::{Class, CopyEdgeKind, DcId, Kind, Model, ReadFrom, Role};
use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

/// Rates of the three classes, indexed by [`Class::index`].
pub type PerClass = [f64; 3];

/// How the reads and writes arriving at a database copy divide over its
/// roles, before shards (average rates).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DbInflow {
    /// Reads addressed to `.primary`, or defaulting there per `read_from`.
    pub reads_primary: f64,
    /// Reads addressed to `.replicas`, or defaulting there.
    pub reads_replicas: f64,
    /// Reads spread evenly over primary and replicas (`read_from = any`).
    pub reads_any: f64,
    pub writes: f64,
    /// Scatter-gather reads (`all-shards`, LANGUAGE.md §13), by role as
    /// above: each one reaches every shard, where the others reach the one
    /// shard that holds their key.
    pub scatter_primary: f64,
    pub scatter_replicas: f64,
    pub scatter_any: f64,
    /// The synchronous part of the scatter-gather reads (all of class
    /// `read`), for the class latencies.
    pub scatter_sync: f64,
}

impl DbInflow {
    /// Reads that go to one shard, by key.
    pub fn keyed_reads(&self) -> f64 {
        self.reads_primary + self.reads_replicas + self.reads_any
    }

    /// Reads that go to every shard.
    pub fn scatter_reads(&self) -> f64 {
        self.scatter_primary + self.scatter_replicas + self.scatter_any
    }

    /// Every read the copy receives, a scatter-gather read counted once.
    pub fn reads(&self) -> f64 {
        self.keyed_reads() + self.scatter_reads()
    }

    pub fn add(&mut self, o: &DbInflow) {
        self.reads_primary += o.reads_primary;
        self.reads_replicas += o.reads_replicas;
        self.reads_any += o.reads_any;
        self.writes += o.writes;
        self.scatter_primary += o.scatter_primary;
        self.scatter_replicas += o.scatter_replicas;
        self.scatter_any += o.scatter_any;
        self.scatter_sync += o.scatter_sync;
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Flows {
    /// Per copy: requests that are part of an entry request's response.
    pub sync: Vec<PerClass>,
    /// Per copy: work done for queue messages.
    pub async_: Vec<PerClass>,
    /// Per copy edge: requests along it (sync and async).
    pub edge: Vec<PerClass>,
    /// Per copy edge: the synchronous part.
    pub edge_sync: Vec<PerClass>,
    /// Per copy (databases only): the role split.
    pub db: Vec<DbInflow>,
    /// The copy graph has a loop through a queue whose messages never die
    /// out; rates were capped.
    pub unbounded: bool,
}

impl Flows {
    pub fn total(&self, n: NodeIndex) -> PerClass {
        let (s, a) = (self.sync[n.index()], self.async_[n.index()]);
        [s[0] + a[0], s[1] + a[1], s[2] + a[2]]
    }
}

pub fn sum(p: PerClass) -> f64 {
    p[0] + p[1] + p[2]
}

/// Propagates the average entry rates `entry` (per class) through the
/// model. With `failed` set, that datacenter's copies receive nothing and
/// the traffic they would have had is shared among the others in
/// proportion to their weights.
pub fn propagate(model: &Model, entry: PerClass, failed: Option<DcId>) -> Flows {
    propagate_with(model, entry, failed, None)
}

/// [`propagate`], with the cache or CDN copy `cold` answering nothing (the
/// cold-cache figures of [`super::cold`]).
pub(super) fn propagate_with(
    model: &Model,
    entry: PerClass,
    failed: Option<DcId>,
    cold: Option<NodeIndex>,
) -> Flows {
    propagate_in(model, entry, failed, cold, &order(model))
}

/// The copy graph's topological order, `None` when flows loop through
/// queues. It is the same for every propagation over one model, so an
/// estimate sorts once for its own flows and each datacenter loss.
pub(super) type Order = Option<Vec<NodeIndex>>;

pub(super) fn order(model: &Model) -> Order {
    petgraph::algo::toposort(&model.graph, None).ok()
}

/// [`propagate_with`] along `order`, which is [`order`] of the same model.
pub(super) fn propagate_in(
    model: &Model,
    entry: PerClass,
    failed: Option<DcId>,
    cold: Option<NodeIndex>,
    order: &Order,
) -> Flows {
    let n = model.graph.node_count();
    let e = model.graph.edge_count();
    let mut f = Flows {
        sync: vec![[0.0; 3]; n],
        async_: vec![[0.0; 3]; n],
        edge: vec![[0.0; 3]; e],
        edge_sync: vec![[0.0; 3]; e],
        db: vec![DbInflow::default(); n],
        unbounded: false,
    };
    let alive = |node: NodeIndex| failed.is_none() || model.graph[node].dc != failed;

    // Entry traffic.
    for &(comp, share) in &model.entries {
        let copies: Vec<(Option<DcId>, NodeIndex)> =
            model.copies_of(comp).filter(|(_, n)| alive(*n)).collect();
        for ((_, node), w) in copies.iter().zip(model.copy_weights(&copies)) {
            for (slot, rate) in f.sync[node.index()].iter_mut().zip(entry) {
                *slot += rate * share * w;
            }
        }
    }

    let ctx = Ctx {
        model,
        failed,
        cold,
    };

    match order {
        Some(order) => {
            for &node in order {
                let (si, ai) = (f.sync[node.index()], f.async_[node.index()]);
                forward(&ctx, &mut f, node, si, ai);
            }
        }
        None => {
            // A loop through a queue: Jacobi passes, each forwarding only
            // what arrived in the previous pass, until the rates settle.
            let mut pending_sync = f.sync.clone();
            let mut pending_async = f.async_.clone();
            for _ in 0..1000 {
                let mut next = Flows {
                    sync: vec![[0.0; 3]; n],
                    async_: vec![[0.0; 3]; n],
                    edge: vec![[0.0; 3]; e],
                    edge_sync: vec![[0.0; 3]; e],
                    db: vec![DbInflow::default(); n],
                    unbounded: false,
                };
                for node in model.graph.node_indices() {
                    let i = node.index();
                    forward(&ctx, &mut next, node, pending_sync[i], pending_async[i]);
                }
                let mut moved = 0.0;
                for i in 0..n {
                    for c in 0..3 {
                        f.sync[i][c] += next.sync[i][c];
                        f.async_[i][c] += next.async_[i][c];
                        moved += next.sync[i][c] + next.async_[i][c];
                    }
                    f.db[i].add(&next.db[i]);
                }
                for i in 0..e {
                    for c in 0..3 {
                        f.edge[i][c] += next.edge[i][c];
                        f.edge_sync[i][c] += next.edge_sync[i][c];
                    }
                }
                pending_sync = next.sync;
                pending_async = next.async_;
                if moved < 1e-9 * (1.0 + sum(entry)) {
                    return f;
                }
            }
            f.unbounded = true;
        }
    }
    f
}

/// What every step of one propagation reads.
pub(super) struct Ctx<'a> {
    pub model: &'a Model,
    pub failed: Option<DcId>,
    /// A cache or CDN copy that answers nothing: it forwards everything.
    pub cold: Option<NodeIndex>,
}

/// Sends what `node` does not answer onward.
pub(super) fn forward(
    ctx: &Ctx,
    f: &mut Flows,
    node: NodeIndex,
    sync_in: PerClass,
    async_in: PerClass,
) {
    let (model, failed) = (ctx.model, ctx.failed);
    let copy = model.graph[node];
    let comp = &model.components[copy.component];
    // What continues past this copy.
    let answer_nothing = ctx.cold == Some(node);
    let pass = |rates: PerClass| -> PerClass {
        if answer_nothing && matches!(comp.kind, Kind::Cache | Kind::Cdn) {
            return rates;
        }
        match comp.kind {
            Kind::Cache => {
                let miss = 1.0 - comp.cache().map_or(0.0, |c| c.hit_ratio.value);
                [rates[0] * miss, rates[1] * miss, rates[2]]
            }
            Kind::Cdn => {
                let miss = 1.0 - comp.cdn().map_or(0.0, |c| c.hit_ratio.value);
                [rates[0] * miss, rates[1], rates[2]]
            }
            Kind::Database | Kind::Storage => [0.0; 3],
            _ => rates,
        }
    };
    let (fwd_sync, fwd_async) = (pass(sync_in), pass(async_in));

    if comp.kind == Kind::Queue {
        // Every message (of either origin) becomes asynchronous work for the
        // consumers, split evenly between consuming services.
        let total: PerClass = [
            sync_in[0] + async_in[0],
            sync_in[1] + async_in[1],
            sync_in[2] + async_in[2],
        ];
        // Renormalise over each consumer's own live copies: the edges of
        // different consuming services are not alternatives to each other.
        let edges: Vec<(EdgeIndex, NodeIndex, f64)> = live_edges(model, node, failed, None);
        let groups: Vec<Vec<(EdgeIndex, NodeIndex, f64)>> = model
            .consumers_of(copy.component)
            .map(|consumer| {
                let mut g: Vec<(EdgeIndex, NodeIndex, f64)> = edges
                    .iter()
                    .copied()
                    .filter(|(ei, t, _)| {
                        model.graph[*ei].kind == CopyEdgeKind::Consume
                            && model.graph[*t].component == consumer
                    })
                    .collect();
                let fractions: f64 = g.iter().map(|x| x.2).sum();
                if fractions > 0.0 {
                    for x in &mut g {
                        x.2 /= fractions;
                    }
                }
                g
            })
            .filter(|g| !g.is_empty())
            .collect();
        // Consuming services compete for messages: each takes an equal part,
        // and one with no live copy leaves its part to the others.
        let k = groups.len().max(1) as f64;
        for (ei, target, frac) in groups.into_iter().flatten() {
            for (c, messages) in total.iter().enumerate() {
                let v = messages * frac / k;
                f.async_[target.index()][c] += v;
                f.edge[ei.index()][c] += v;
            }
        }
        return;
    }

    let live = |t: NodeIndex| failed.is_none() || model.graph[t].dc != failed;
    for (fid, flow) in model.flows_from(copy.component) {
        // The flow's live edges, read from the index each time rather than
        // collected: this runs per copy and flow in every propagation, five
        // of them per estimate. Fractions are renormalised over the live
        // targets, as `live_edges` does.
        let edges = || {
            model
                .call_edges(node, fid)
                .filter(|(_, t, _)| live(*t))
                .map(|(e, t, w)| (e, t, w.fraction))
        };
        if edges().next().is_none() {
            continue;
        }
        let total: f64 = edges().map(|x| x.2).sum();
        // A share thins the edge's requests; a call count (`x10`) makes
        // each of them that many calls.
        let mult = flow.share.unwrap_or(1.0) * f64::from(flow.calls);
        for class in flow.classes.iter() {
            let c = class.index();
            let (s, a) = (fwd_sync[c] * mult, fwd_async[c] * mult);
            if s + a == 0.0 {
                continue;
            }
            for (ei, target, frac) in edges() {
                let frac = if total > 0.0 { frac / total } else { frac };
                let (vs, va) = (s * frac, a * frac);
                f.sync[target.index()][c] += vs;
                f.async_[target.index()][c] += va;
                f.edge[ei.index()][c] += vs + va;
                f.edge_sync[ei.index()][c] += vs;
                let target_comp = &model.components[model.graph[target].component];
                if let Some(db) = target_comp.database() {
                    let v = vs + va;
                    let slot = &mut f.db[target.index()];
                    if class == Class::Write {
                        slot.writes += v;
                    } else {
                        let has_replicas = target_comp.replicas.value > 0;
                        if flow.all_shards {
                            slot.scatter_sync += vs;
                        }
                        let (primary, replicas, any) = if flow.all_shards {
                            (
                                &mut slot.scatter_primary,
                                &mut slot.scatter_replicas,
                                &mut slot.scatter_any,
                            )
                        } else {
                            (
                                &mut slot.reads_primary,
                                &mut slot.reads_replicas,
                                &mut slot.reads_any,
                            )
                        };
                        match (flow.role, db.read_from.value) {
                            (Some(Role::Primary), _) => *primary += v,
                            // With no replica left, reads go to the primary (§8).
                            (Some(Role::Replicas), _) if has_replicas => *replicas += v,
                            (None, ReadFrom::Replicas) if has_replicas => *replicas += v,
                            (None, ReadFrom::Any) if has_replicas => *any += v,
                            _ => *primary += v,
                        }
                    }
                }
            }
        }
    }
}

/// The copy edges leaving `node` for one flow (or consumer edges when
/// `flow` is `None`), with fractions renormalised over live targets.
fn live_edges(
    model: &Model,
    node: NodeIndex,
    failed: Option<DcId>,
    flow: Option<usize>,
) -> Vec<(EdgeIndex, NodeIndex, f64)> {
    let live = |t: &NodeIndex| failed.is_none() || model.graph[*t].dc != failed;
    let mut out: Vec<(EdgeIndex, NodeIndex, f64)> = match flow {
        Some(want) => model
            .call_edges(node, want)
            .filter(|(_, t, _)| live(t))
            .map(|(e, t, w)| (e, t, w.fraction))
            .collect(),
        None => model
            .graph
            .edges(node)
            .filter(|er| er.weight().kind == CopyEdgeKind::Consume && live(&er.target()))
            .map(|er| (er.id(), er.target(), er.weight().fraction))
            .collect(),
    };
    let total: f64 = out.iter().map(|x| x.2).sum();
    if total > 0.0 {
        for x in &mut out {
            x.2 /= total;
        }
    }
    out
}
