//! Who connects to whom: the connections the design's flows make between
//! pods, from which each component's NetworkPolicy admits exactly its
//! callers, and the default deny every other policy opens holes in.

use super::runs_in_cluster;
use crate::backends::Job;
use crate::backends::view::View;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
struct DefaultDeny {
    part_of: String,
}

/// The policy that makes every pod of the system refuse connections no
/// other policy admits.
pub(super) fn default_deny(view: &View) -> Job {
    Job::new(
        "base/network-policies.yaml",
        "network-policies.yaml.j2",
        DefaultDeny {
            part_of: view.system_label.clone(),
        },
    )
}

/// What a caller reaching `to` actually talks to: a balancer is a Service
/// in front of its backends, so calling it means calling them.
pub(super) fn through_balancers(view: &View, to: usize, out: &mut Vec<usize>) {
    // Depth first with an explicit stack (balancers may chain without
    // bound); children are pushed in reverse so they come off in order.
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![to];
    while let Some(v) = stack.pop() {
        if !seen.insert(v) {
            continue;
        }
        let c = &view.components[v];
        if c.kind == "lb" {
            stack.extend(c.calls.iter().rev().map(|k| k.to));
        } else if runs_in_cluster(c) && !out.contains(&v) {
            out.push(v);
        }
    }
}

/// The components each pod-running component opens connections to:
/// its calls (through balancers), what its caches call (a cache does not
/// fetch on a miss; the service does), the queue it consumes and its
/// session store. Indexed by component; empty for what runs outside.
pub fn connections(view: &View) -> Vec<Vec<usize>> {
    view.components
        .iter()
        .map(|c| {
            let mut out = Vec::new();
            if !runs_in_cluster(c) {
                return out;
            }
            let mut targets: Vec<usize> = Vec::new();
            if c.kind == "service" {
                targets.extend(c.calls.iter().map(|k| k.to));
                targets.extend(c.through_caches.iter().map(|k| k.to));
                if let Some(s) = &c.service {
                    targets.extend(s.consumes);
                    targets.extend(s.session_store);
                }
            }
            // A data store answers and calls nobody: a cache in front of a
            // database is read-through in the design, but the service asks
            // the database on a miss (`through_caches` above).
            for t in targets {
                through_balancers(view, t, &mut out);
            }
            out.retain(|&t| t != c.index);
            out.sort_unstable();
            out
        })
        .collect()
}

/// The inverse of [`connections`]: for each component, who connects to it.
pub(super) fn callers(conns: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut callers: Vec<Vec<usize>> = vec![Vec::new(); conns.len()];
    for (from, tos) in conns.iter().enumerate() {
        for &to in tos {
            callers[to].push(from);
        }
    }
    callers
}
