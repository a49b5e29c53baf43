//! The `kubernetes` target: plain manifests and a kustomization with one
//! overlay per datacenter.
//!
//! Layout: `base/` holds one file per mapped component (its ServiceAccount,
//! workload, the Services in front of it, autoscaler, disruption budget,
//! network policy and, for a replicated store, the ConfigMap of its
//! replication scripts), `ingress.yaml`, `network-policies.yaml` (default
//! deny) and a `kustomization.yaml` listing them; `overlays/<datacenter>/`
//! sets the namespace (labelled for the `restricted` Pod Security
//! Standard), the per-datacenter instance counts, and deletes what the
//! datacenter does not run.
//!
//! Mapped: `service` → Deployment + Service (+ HorizontalPodAutoscaler);
//! `database`, `cache`, `queue` and self-hosted `storage` → StatefulSet +
//! headless Service + volumeClaimTemplates, and a replicated store (Postgres
//! streaming, MySQL GTID, Redis `replicaof`) → a primary StatefulSet and a
//! replica StatefulSet wired to it ([`database`]); `lb` → a Service in front
//! of what it balances, plus an Ingress when public ([`ingress`]). Managed
//! and global components (client, dns, cdn, managed stores) run outside the
//! cluster.
//!
//! The code map: [`network`] finds who connects to whom (the network
//! policies), [`ingress`] maps balancers, [`workload`] lays out pods
//! (security context, resources, probes), [`database`] adds replication,
//! [`overlay`] writes one kustomization per datacenter.
//!
//! Architecture invariants:
//! - Every engine fact (image, port, user, data and scratch folders, health
//!   command, replication kind) comes from [`super::engines`]; nothing here
//!   branches on an engine's name.
//! - Every pod admits under the `restricted` Pod Security Standard: non-root
//!   with a numeric user, no privilege escalation, every capability dropped,
//!   the runtime's default seccomp profile, a read-only root file system.
//! - Shell scripts live in `templates/kubernetes/*.sh.j2`, never in Rust
//!   strings.

mod database;
mod ingress;
mod network;
mod overlay;
mod workload;

pub use network::connections;

use super::engines::{self, Engine};
use super::view::{ComponentView, View};
use super::{BuildError, Job};
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "workload.yaml.j2",
        include_str!("../../../templates/kubernetes/workload.yaml.j2"),
    ),
    (
        "ingress.yaml.j2",
        include_str!("../../../templates/kubernetes/ingress.yaml.j2"),
    ),
    (
        "network-policies.yaml.j2",
        include_str!("../../../templates/kubernetes/network-policies.yaml.j2"),
    ),
    (
        "kustomization.yaml.j2",
        include_str!("../../../templates/kubernetes/kustomization.yaml.j2"),
    ),
    (
        "overlay.yaml.j2",
        include_str!("../../../templates/kubernetes/overlay.yaml.j2"),
    ),
    (
        "namespace.yaml.j2",
        include_str!("../../../templates/kubernetes/namespace.yaml.j2"),
    ),
    (
        "postgres-primary.sh.j2",
        include_str!("../../../templates/kubernetes/postgres-primary.sh.j2"),
    ),
    (
        "postgres-replica.sh.j2",
        include_str!("../../../templates/kubernetes/postgres-replica.sh.j2"),
    ),
    (
        "postgres-ready.sh.j2",
        include_str!("../../../templates/kubernetes/postgres-ready.sh.j2"),
    ),
    (
        "mysql-primary.sh.j2",
        include_str!("../../../templates/kubernetes/mysql-primary.sh.j2"),
    ),
    (
        "mysql-replica.sh.j2",
        include_str!("../../../templates/kubernetes/mysql-replica.sh.j2"),
    ),
    (
        "mysql-start.sh.j2",
        include_str!("../../../templates/kubernetes/mysql-start.sh.j2"),
    ),
    (
        "mysql-ready.sh.j2",
        include_str!("../../../templates/kubernetes/mysql-ready.sh.j2"),
    ),
    (
        "redis-ready.sh.j2",
        include_str!("../../../templates/kubernetes/redis-ready.sh.j2"),
    ),
];

/// The port every `service` container listens on (passed as `PORT`).
pub const SERVICE_PORT: u16 = engines::SERVICE_PORT;

/// The namespace the ingress controller runs in; the network policies of
/// what an Ingress reaches admit it.
pub const INGRESS_NAMESPACE: &str = "ingress-nginx";

/// The label every selector and policy matches components by.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";

/// Volume size when the design gives no storage figure, in GiB.
pub const DEFAULT_VOLUME_GIB: u64 = 10;

/// The most shards of one database the target lays out, a StatefulSet
/// each. Beyond this the manifests run to hundreds of megabytes; such a
/// database belongs on a managed engine (`engine = dynamodb`).
pub const MAX_SHARDS: usize = 1_000;

/// The catalogue entry of a component that runs its engine in a pod.
fn engine_of(c: &ComponentView) -> Option<&'static Engine> {
    engines::lookup(c.engine.as_deref()?).filter(|e| e.self_hosted())
}

/// Whether a component runs as pods in the cluster.
fn runs_in_cluster(c: &ComponentView) -> bool {
    if c.managed || c.global {
        return false;
    }
    match c.kind {
        "service" => true,
        "database" | "cache" | "queue" | "storage" => engine_of(c).is_some(),
        _ => false,
    }
}

/// The port clients reach a component on, and its name.
fn port_of(c: &ComponentView) -> (u16, &'static str) {
    match engine_of(c) {
        Some(e) if c.kind != "service" => (e.port, e.port_name),
        _ => (SERVICE_PORT, "http"),
    }
}

/// A Kubernetes object archc writes, for the overlays to delete where its
/// component does not run.
#[derive(Clone, Debug, Serialize)]
struct Resource {
    api_version: &'static str,
    kind: &'static str,
    name: String,
}

impl Resource {
    fn new(api_version: &'static str, kind: &'static str, name: &str) -> Resource {
        Resource {
            api_version,
            kind,
            name: name.to_string(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
struct Base {
    resources: Vec<String>,
    notes: Vec<String>,
    system: String,
}

/// A database of more shards than this target lays out is refused, one
/// error per such database.
fn check_shards(view: &View) -> Result<(), Vec<BuildError>> {
    let too_many: Vec<BuildError> = view
        .components
        .iter()
        .filter(|c| !c.managed)
        .filter_map(|c| {
            let shards = c.database.as_ref()?.total_shards;
            (shards > MAX_SHARDS).then(|| BuildError::Unsupported {
                component: format!("{} `{}`", c.kind, c.name),
                message: format!(
                    "{shards} shards would be {shards} StatefulSets, more than the {MAX_SHARDS} this target lays out; use fewer, larger shards or a managed engine (`engine = dynamodb`)"
                ),
            })
        })
        .collect();
    if too_many.is_empty() {
        Ok(())
    } else {
        Err(too_many)
    }
}

/// Files of the kubernetes target.
pub(crate) fn jobs(view: &View) -> Result<Vec<Job>, Vec<BuildError>> {
    check_shards(view)?;
    let conns = network::connections(view);
    let callers = network::callers(&conns);
    let balancers = ingress::balancers(view);

    let mut jobs = Vec::new();
    let mut resources = vec!["network-policies.yaml".to_string()];
    jobs.push(network::default_deny(view));

    // Resources of each component, to delete where it does not run, and
    // the pod sets the overlays scale.
    let mut owned: Vec<Vec<Resource>> = vec![Vec::new(); view.components.len()];
    let mut scaled: Vec<overlay::Scaled> = Vec::new();
    for c in view.components.iter().filter(|c| runs_in_cluster(c)) {
        let w = workload::build(
            view,
            c,
            &conns[c.index],
            &callers[c.index],
            balancers.ingress_backed[c.index],
            &balancers.aliases[c.index],
        );
        owned[c.index] = w.resources();
        scaled.extend(w.scaled(c.index));
        let file = format!("{}.yaml", c.label);
        resources.push(file.clone());
        jobs.push(Job::new(format!("base/{file}"), "workload.yaml.j2", w));
    }

    if !balancers.ingresses.is_empty() {
        resources.push("ingress.yaml".to_string());
        for (backend, ing) in &balancers.ingresses {
            owned[*backend].push(Resource::new("networking.k8s.io/v1", "Ingress", &ing.name));
        }
        jobs.push(ingress::job(&balancers.ingresses));
    }

    jobs.push(Job::new(
        "base/kustomization.yaml",
        "kustomization.yaml.j2",
        Base {
            resources,
            notes: balancers.notes,
            system: view.system.clone(),
        },
    ));
    jobs.extend(overlay::jobs(view, &owned, &scaled));
    Ok(jobs)
}
