//! Helpers shared by the estimator's integration tests: compile a design
//! from text, estimate it, and find copies and edges by name.

#![allow(dead_code)]

use archc::estimate::shards::PlacementCache;
use archc::estimate::{CopyEstimate, Estimate};
use archc::model::{Class, Model};
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

/// Compiles a design that must be valid; a compile error fails the test
/// with the diagnostics.
pub fn model(src: &str) -> Model {
    let c = archc::compile(src, &archc::BuildOptions::default());
    match c.model {
        Some(m) => m,
        None => panic!("design does not compile: {:#?}", c.diagnostics),
    }
}

pub fn estimate(src: &str) -> (Model, Estimate) {
    let m = model(src);
    let e = archc::estimate(&m, &mut PlacementCache::default());
    (m, e)
}

/// The copy node named `web@east`, or `web` for a global component or a
/// design without datacenters.
pub fn node(m: &Model, name: &str) -> NodeIndex {
    let (comp, dc) = match name.split_once('@') {
        Some((c, d)) => (c, Some(d)),
        None => (name, None),
    };
    let id = m
        .component_id(comp)
        .unwrap_or_else(|| panic!("no component `{comp}`"));
    let dc_id = dc.map(|d| {
        m.datacenters
            .iter()
            .position(|x| x.name == d)
            .unwrap_or_else(|| panic!("no datacenter `{d}`"))
    });
    let dc_id = match dc_id {
        Some(d) => Some(d),
        // A regional component in a design without datacenters sits in the
        // implicit `default` one.
        None if !m.components[id].kind.is_global() => Some(0),
        None => None,
    };
    m.copy_node(id, dc_id)
        .unwrap_or_else(|| panic!("no copy `{name}`"))
}

pub fn copy<'a>(m: &Model, e: &'a Estimate, name: &str) -> &'a CopyEstimate {
    e.copy(node(m, name))
}

/// Average rates per class along every copy edge from `from` to `to`.
pub fn edge(m: &Model, e: &Estimate, from: &str, to: &str) -> [f64; 3] {
    let (a, b) = (node(m, from), node(m, to));
    let mut out = [0.0; 3];
    for er in m.graph.edges(a).filter(|er| er.target() == b) {
        for (o, r) in out.iter_mut().zip(e.edges[er.id().index()]) {
            *o += r;
        }
    }
    out
}

/// Average synchronous plus asynchronous rate of one class at a copy.
pub fn rate(m: &Model, e: &Estimate, name: &str, class: Class) -> f64 {
    e.flows.total(node(m, name))[class.index()]
}

/// Asserts `got` is within `rel` (relative) of `want`, or within 1e-9
/// absolutely when `want` is zero.
#[track_caller]
pub fn close(got: f64, want: f64, rel: f64, what: &str) {
    let ok = if want == 0.0 {
        got.abs() <= 1e-9
    } else {
        ((got - want) / want).abs() <= rel
    };
    assert!(ok, "{what}: got {got}, want {want} (tolerance {rel})");
}

/// Exact to rounding: the load model is plain arithmetic.
#[track_caller]
pub fn exact(got: f64, want: f64, what: &str) {
    close(got, want, 1e-9, what);
}

/// Erlang C by its textbook definition, summed term by term in log space
/// so that it is exact for small c and never overflows: an implementation
/// independent of the estimator's Erlang B recursion.
pub fn erlang_c(lambda: f64, mu: f64, c: u64) -> f64 {
    let a = lambda / mu;
    let cf = c as f64;
    // log of a^k / k!, for k = 0..c-1, and the last term a^c/c! · c/(c−a).
    let mut log_terms = Vec::with_capacity(c as usize + 1);
    let mut log_term = 0.0_f64;
    for k in 0..c {
        if k > 0 {
            log_term += a.ln() - (k as f64).ln();
        }
        log_terms.push(log_term);
    }
    let log_last = log_term + a.ln() - cf.ln() + (cf / (cf - a)).ln();
    let max = log_terms.iter().copied().fold(log_last, f64::max);
    let sum: f64 = log_terms.iter().map(|t| (t - max).exp()).sum::<f64>() + (log_last - max).exp();
    (log_last - max).exp() / sum
}

/// Mean response time of an M/M/c queue: Wq + 1/μ with Wq = C/(cμ − λ).
pub fn mmc_response(lambda: f64, mu: f64, c: u64) -> f64 {
    erlang_c(lambda, mu, c) / (c as f64 * mu - lambda) + 1.0 / mu
}
