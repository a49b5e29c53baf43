//! Balancers: a Service named after the balancer selecting the pods of its
//! first backend, and an Ingress for a public one (or for a service the
//! internet reaches directly). The cluster's ingress controller takes the
//! public balancer's place.

use super::network::through_balancers;
use super::{SERVICE_PORT, runs_in_cluster};
use crate::backends::Job;
use crate::backends::view::View;
use serde::Serialize;

/// A Service a balancer stands for, in front of its backend's pods.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Alias {
    pub name: String,
    pub design_name: String,
}

#[derive(Clone, Debug, Serialize)]
pub(super) struct Ingress {
    pub name: String,
    design_name: String,
    backend: String,
    port: u16,
    others: Vec<String>,
}

/// What the balancers of a design become.
pub(super) struct Balancers {
    /// Per component: the balancer Services in front of it.
    pub aliases: Vec<Vec<Alias>>,
    /// Per component: whether an Ingress sends traffic to it.
    pub ingress_backed: Vec<bool>,
    /// Each Ingress with the component whose pods it reaches.
    pub ingresses: Vec<(usize, Ingress)>,
    /// What the target does not map, for the base kustomization.
    pub notes: Vec<String>,
}

pub(super) fn balancers(view: &View) -> Balancers {
    let n = view.components.len();
    let mut out = Balancers {
        aliases: vec![Vec::new(); n],
        ingress_backed: vec![false; n],
        ingresses: Vec::new(),
        notes: Vec::new(),
    };
    for c in &view.components {
        if c.kind == "lb" && !c.managed {
            let mut backends = Vec::new();
            through_balancers(view, c.index, &mut backends);
            let Some(&first) = backends.first() else {
                out.notes.push(format!(
                    "lb `{}` balances nothing that runs in the cluster",
                    c.name
                ));
                continue;
            };
            out.aliases[first].push(Alias {
                name: c.label.clone(),
                design_name: c.name.clone(),
            });
            if backends.len() > 1 {
                out.notes.push(format!(
                    "lb `{}` sends everything to `{}`; add Ingress paths for the others",
                    c.name, view.components[first].name
                ));
            }
            if c.exposed {
                out.ingress_backed[first] = true;
                out.ingresses.push((
                    first,
                    Ingress {
                        name: c.label.clone(),
                        design_name: c.name.clone(),
                        backend: c.label.clone(),
                        port: SERVICE_PORT,
                        others: backends[1..]
                            .iter()
                            .map(|&b| view.components[b].name.clone())
                            .collect(),
                    },
                ));
            }
        } else if c.kind == "service" && c.exposed && runs_in_cluster(c) {
            out.ingress_backed[c.index] = true;
            out.ingresses.push((
                c.index,
                Ingress {
                    name: c.label.clone(),
                    design_name: c.name.clone(),
                    backend: c.label.clone(),
                    port: SERVICE_PORT,
                    others: Vec::new(),
                },
            ));
        } else if !runs_in_cluster(c) && c.kind != "client" && c.kind != "lb" {
            let external = c
                .engine
                .as_deref()
                .and_then(crate::backends::engines::lookup)
                .filter(|e| e.external());
            out.notes.push(match external {
                Some(e) => format!(
                    "{} `{}` runs outside the cluster: {} has no image; its callers read its address and password from Secret `{}-credentials` (keys `address`, `password`)",
                    c.kind, c.name, e.title, c.label
                ),
                None => format!(
                    "{} `{}` runs outside the cluster{}",
                    c.kind,
                    c.name,
                    if c.managed { " (managed)" } else { "" }
                ),
            });
        }
    }
    out
}

pub(super) fn job(ingresses: &[(usize, Ingress)]) -> Job {
    let list: Vec<&Ingress> = ingresses.iter().map(|(_, i)| i).collect();
    Job::new(
        "base/ingress.yaml",
        "ingress.yaml.j2",
        serde_json::json!({ "ingresses": list }),
    )
}
