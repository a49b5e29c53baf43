//! Placement: the copy graph of a checked model, one node per component
//! copy in each of its datacenters, and the entry points of traffic.
//!
//! Invariant: runs on a model whose flows and datacenters are final (the
//! implicit `default` one included) and is a function of them alone; it
//! reports nothing, since everything it reads was checked before.

use super::*;

/// Creates the copy graph (§5, §6): a node per placed copy, then an edge per
/// flow edge and placement, and consumer edges from queues.
pub(super) fn place(model: &mut Model) {
    let mut graph = petgraph::graph::DiGraph::new();
    let mut copies = BTreeMap::new();
    for (id, c) in model.components.iter().enumerate() {
        if c.kind.is_global() {
            copies.insert(
                (id, None),
                graph.add_node(Copy {
                    component: id,
                    dc: None,
                }),
            );
        } else {
            for &dc in &c.datacenters.value {
                copies.insert(
                    (id, Some(dc)),
                    graph.add_node(Copy {
                        component: id,
                        dc: Some(dc),
                    }),
                );
            }
        }
    }
    let targets =
        |model: &Model, from_dc: Option<DcId>, to: ComponentId| -> Vec<(Option<DcId>, f64, bool)> {
            let callee = &model.components[to];
            if callee.kind.is_global() {
                return vec![(None, 1.0, false)];
            }
            let placed = &callee.datacenters.value;
            if let Some(dc) = from_dc
                && placed.contains(&dc)
            {
                return vec![(Some(dc), 1.0, false)];
            }
            let weights = model.weights_over(placed);
            placed
                .iter()
                .zip(weights)
                .map(|(d, w)| (Some(*d), w, from_dc.is_some()))
                .collect()
        };
    for (fid, f) in model.flows.iter().enumerate() {
        let from_copies: Vec<(Option<DcId>, NodeIndex)> = copies
            .range((f.from, None)..=(f.from, Some(usize::MAX)))
            .map(|((_, d), n)| (*d, *n))
            .collect();
        for (dc, from_node) in from_copies {
            for (to_dc, fraction, cross) in targets(model, dc, f.to) {
                if let Some(&to_node) = copies.get(&(f.to, to_dc)) {
                    graph.add_edge(
                        from_node,
                        to_node,
                        CopyEdge {
                            kind: CopyEdgeKind::Call(fid),
                            fraction,
                            cross_dc: cross,
                        },
                    );
                }
            }
        }
    }
    // A queue copy's messages go to the consumer copy in its datacenter, or
    // across to every consumer copy when its datacenter has none; consumer
    // copies in datacenters without a queue copy pull from every queue copy.
    // Messages are shared among the copies pulling from a queue copy in
    // proportion to their datacenters' weights.
    for (id, c) in model.components.iter().enumerate() {
        let Some(q) = c
            .service()
            .and_then(|s| s.consumes.as_ref())
            .map(|q| q.value)
        else {
            continue;
        };
        let queue_placed: Vec<Option<DcId>> = copies
            .range((q, None)..=(q, Some(usize::MAX)))
            .map(|((_, d), _)| *d)
            .collect();
        let consumer_copies: Vec<(Option<DcId>, NodeIndex)> = copies
            .range((id, None)..=(id, Some(usize::MAX)))
            .map(|((_, d), n)| (*d, *n))
            .collect();
        for &qdc in &queue_placed {
            let Some(&qnode) = copies.get(&(q, qdc)) else {
                continue;
            };
            let pulling: Vec<(Option<DcId>, NodeIndex)> = consumer_copies
                .iter()
                .copied()
                .filter(|(cdc, _)| {
                    *cdc == qdc
                        || qdc.is_none()
                        || cdc.is_none()
                        // No copy of the consumer here: every copy takes a part.
                        || !consumer_copies.iter().any(|(d, _)| *d == qdc)
                        // This consumer copy has no queue copy of its own.
                        || !queue_placed.contains(cdc)
                })
                .collect();
            let weights = model.copy_weights(&pulling);
            for ((cdc, cnode), w) in pulling.into_iter().zip(weights) {
                let cross = qdc.is_some() && cdc.is_some() && cdc != qdc;
                graph.add_edge(
                    qnode,
                    cnode,
                    CopyEdge {
                        kind: CopyEdgeKind::Consume,
                        fraction: w,
                        cross_dc: cross,
                    },
                );
            }
        }
    }
    model.graph = graph;
    model.copies = copies;
    model.index_graph();
}

/// Every client, split by share; without clients, every component no flow
/// reaches (and that consumes no queue), split equally.
pub(super) fn entries(model: &Model) -> Vec<(ComponentId, f64)> {
    let clients: Vec<(ComponentId, f64)> = model
        .components
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.client().map(|s| (i, s.share.value)))
        .collect();
    if !clients.is_empty() {
        return clients;
    }
    let mut reached = vec![false; model.components.len()];
    for f in &model.flows {
        reached[f.to] = true;
    }
    for (i, c) in model.components.iter().enumerate() {
        if c.service().is_some_and(|s| s.consumes.is_some()) {
            reached[i] = true;
        }
    }
    let roots: Vec<ComponentId> = (0..model.components.len())
        .filter(|i| !reached[*i])
        .collect();
    let n = roots.len().max(1) as f64;
    roots.into_iter().map(|i| (i, 1.0 / n)).collect()
}
