//! Which request classes can reach each component (LANGUAGE.md §6), from
//! the flows alone — for rules that must judge a design without a `traffic`
//! block, where the estimator's rates are all zero.
//!
//! Entry components receive every class (with traffic: every class with a
//! positive rate); a flow edge passes the classes that reach its caller and
//! that it is labelled with; a queue hands every class it receives to the
//! services that consume it. Caches and CDNs pass their misses on, so they
//! stop nothing unless their hit ratio is 100%.

use crate::model::{Class, Classes, ComponentId, Kind, Model};

/// Whether a CDN counts as the end of the road for `static` requests.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Cdn {
    /// Misses continue to the origin like any other request.
    PassMisses,
    /// `static` stops at a CDN: what remains is the static traffic that
    /// never passed one.
    StopsStatic,
}

/// The classes reaching each component, indexed by component id.
pub fn classes_reaching(model: &Model, cdn: Cdn) -> Vec<Classes> {
    let n = model.components.len();
    let entering = match &model.traffic {
        Some(t) => Class::ALL
            .into_iter()
            .filter(|c| t.class_rate(*c) > 0.0)
            .fold(Classes::NONE, Classes::with),
        None => Classes::ALL,
    };
    let mut reach = vec![Classes::NONE; n];
    let mut work: Vec<ComponentId> = Vec::new();
    for &(entry, _) in &model.entries {
        reach[entry] = entering;
        work.push(entry);
    }
    while let Some(c) = work.pop() {
        let passed = passes(model, c, reach[c], cdn);
        // The model's own indexes: flows out of `c`, and the services
        // consuming it when it is a queue (they take every class).
        let onward = model
            .flows_from(c)
            .map(|(_, f)| (f.to, f.classes))
            .chain(model.consumers_of(c).map(|s| (s, Classes::ALL)));
        for (to, labels) in onward {
            let add = intersect(passed, labels);
            let merged = union(reach[to], add);
            if merged != reach[to] {
                reach[to] = merged;
                work.push(to);
            }
        }
    }
    reach
}

/// The classes a component sends on, of those it receives.
fn passes(model: &Model, id: ComponentId, received: Classes, cdn: Cdn) -> Classes {
    let comp = &model.components[id];
    let drop = |set: Classes, class: Class| -> Classes {
        set.iter()
            .filter(|c| *c != class)
            .fold(Classes::NONE, Classes::with)
    };
    match comp.kind {
        Kind::Cache if comp.cache().is_some_and(|c| c.hit_ratio.value >= 1.0) => {
            drop(drop(received, Class::Read), Class::Static)
        }
        Kind::Cdn
            if cdn == Cdn::StopsStatic || comp.cdn().is_some_and(|c| c.hit_ratio.value >= 1.0) =>
        {
            drop(received, Class::Static)
        }
        Kind::Database | Kind::Storage => Classes::NONE,
        _ => received,
    }
}

fn intersect(a: Classes, b: Classes) -> Classes {
    a.iter()
        .filter(|c| b.contains(*c))
        .fold(Classes::NONE, Classes::with)
}

fn union(a: Classes, b: Classes) -> Classes {
    b.iter().fold(a, Classes::with)
}
