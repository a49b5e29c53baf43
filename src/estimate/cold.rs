//! A cache that has lost its entries (RULES.md `cache-failure-overload`):
//! after a restart or a failure it answers nothing until it warms up, so
//! the reads and static requests it used to absorb go on to what is behind
//! it.
//!
//! Load propagation is linear, so the extra load is the cache's hits sent
//! on along its edges like misses, then forwarded by everything downstream
//! as usual — one forward pass over the copies reachable from the cache,
//! in topological order. The copies reached are then estimated again with
//! their base load plus the extra. A design whose copy graph loops through
//! a queue falls back to a full propagation per cache.

use super::load::{self, Flows, PerClass};
use super::shards::PlacementCache;
use super::{Detail, Estimate, copy_estimate, entry_rates};
use crate::model::{Kind, Model};
use petgraph::graph::NodeIndex;

/// One cache copy that has gone cold.
#[derive(Clone, Debug, PartialEq)]
pub struct ColdCache {
    pub cache: NodeIndex,
    /// What the cache answers itself at peak, per class (its hits).
    pub absorbed_peak: PerClass,
    /// Every copy behind it, with its figures while the cache is cold.
    pub behind: Vec<ColdCopy>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColdCopy {
    pub node: NodeIndex,
    pub peak_rps: f64,
    /// Utilisation at the largest instance count the design allows.
    pub utilization_at_max: f64,
}

/// Every cache copy that absorbs load at peak, gone cold one at a time.
/// Empty without traffic figures.
pub fn cold_caches(model: &Model, est: &Estimate) -> Vec<ColdCache> {
    if !est.has_traffic {
        return Vec::new();
    }
    let caches: Vec<(NodeIndex, f64)> = model
        .graph
        .node_indices()
        .filter_map(|node| {
            let comp = &model.components[model.graph[node].component];
            let hit = comp.cache()?.hit_ratio.value;
            let has_callees = model.graph.edges(node).next().is_some();
            (comp.kind == Kind::Cache && hit > 0.0 && has_callees).then_some((node, hit))
        })
        .collect();
    if caches.is_empty() {
        return Vec::new();
    }
    let peak = est.peak_factor;
    let target = model.assumptions.target_utilization.value;
    let mut placements = PlacementCache::default();
    let mut out = Vec::new();
    match petgraph::algo::toposort(&model.graph, None) {
        Ok(order) => {
            let mut position = vec![0; model.graph.node_count()];
            for (i, n) in order.iter().enumerate() {
                position[n.index()] = i;
            }
            let mut extra = empty_flows(model);
            let mut combined = est.flows.clone();
            for (cache, hit) in caches {
                let i = cache.index();
                let hits = |r: PerClass| -> PerClass { [r[0] * hit, r[1] * hit, 0.0] };
                let (hs, ha) = (hits(est.flows.sync[i]), hits(est.flows.async_[i]));
                if load::sum(hs) + load::sum(ha) <= 0.0 {
                    continue;
                }
                let mut reached = reachable(model, cache);
                reached.sort_by_key(|n| position[n.index()]);
                let ctx = load::Ctx {
                    model,
                    failed: None,
                    cold: Some(cache),
                };
                load::forward(&ctx, &mut extra, cache, hs, ha);
                for &node in &reached {
                    let (s, a) = (extra.sync[node.index()], extra.async_[node.index()]);
                    load::forward(&ctx, &mut extra, node, s, a);
                }
                let mut behind = Vec::with_capacity(reached.len());
                for &node in &reached {
                    let j = node.index();
                    for c in 0..3 {
                        combined.sync[j][c] += extra.sync[j][c];
                        combined.async_[j][c] += extra.async_[j][c];
                    }
                    let db = &mut combined.db[j];
                    let add = extra.db[j];
                    db.add(&add);
                    let e = copy_estimate(
                        model,
                        &combined,
                        node,
                        peak,
                        target,
                        &mut placements,
                        Detail::LoadOnly,
                    );
                    behind.push(ColdCopy {
                        node,
                        peak_rps: e.peak_rps,
                        utilization_at_max: e.utilization_at_max,
                    });
                }
                // Back to the base figures for the next cache.
                for &node in reached.iter().chain(std::iter::once(&cache)) {
                    let j = node.index();
                    combined.sync[j] = est.flows.sync[j];
                    combined.async_[j] = est.flows.async_[j];
                    combined.db[j] = est.flows.db[j];
                    extra.sync[j] = [0.0; 3];
                    extra.async_[j] = [0.0; 3];
                    extra.db[j] = Default::default();
                }
                out.push(ColdCache {
                    cache,
                    absorbed_peak: [hs[0] + ha[0], hs[1] + ha[1], 0.0].map(|x| x * peak),
                    behind,
                });
            }
        }
        Err(_) => {
            let entry = entry_rates(model);
            for (cache, hit) in caches {
                let total = est.flows.total(cache);
                let absorbed = [total[0] * hit, total[1] * hit, 0.0];
                if load::sum(absorbed) <= 0.0 {
                    continue;
                }
                let flows = load::propagate_with(model, entry, None, Some(cache));
                let behind = reachable(model, cache)
                    .into_iter()
                    .map(|node| {
                        let e = copy_estimate(
                            model,
                            &flows,
                            node,
                            peak,
                            target,
                            &mut placements,
                            Detail::LoadOnly,
                        );
                        ColdCopy {
                            node,
                            peak_rps: e.peak_rps,
                            utilization_at_max: e.utilization_at_max,
                        }
                    })
                    .collect();
                out.push(ColdCache {
                    cache,
                    absorbed_peak: absorbed.map(|x| x * peak),
                    behind,
                });
            }
        }
    }
    out
}

fn empty_flows(model: &Model) -> Flows {
    let (n, e) = (model.graph.node_count(), model.graph.edge_count());
    Flows {
        sync: vec![[0.0; 3]; n],
        async_: vec![[0.0; 3]; n],
        edge: vec![[0.0; 3]; e],
        edge_sync: vec![[0.0; 3]; e],
        db: vec![Default::default(); n],
        unbounded: false,
    }
}

/// Copies reachable from `start` (itself excluded).
fn reachable(model: &Model, start: NodeIndex) -> Vec<NodeIndex> {
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![start];
    let mut out = Vec::new();
    while let Some(n) = stack.pop() {
        for next in model.graph.neighbors(n) {
            if next != start && seen.insert(next) {
                out.push(next);
                stack.push(next);
            }
        }
    }
    out
}
