//! One kustomization per datacenter: the namespace (labelled so the API
//! server enforces the `restricted` Pod Security Standard on it), the
//! instance counts the estimator found there, and patches deleting what the
//! datacenter does not run.

use super::{Resource, runs_in_cluster};
use crate::backends::Job;
use crate::backends::escape;
use crate::backends::view::View;
use serde::Serialize;

/// The Pod Security Standard level the overlays' namespaces enforce.
pub const POD_SECURITY_LEVEL: &str = "restricted";

/// A pod set the overlays scale with the component's instance count in
/// each datacenter, less `offset` (a replica set beside its primary runs
/// one fewer than the component's instances).
#[derive(Clone, Debug)]
pub(super) struct Scaled {
    pub component: usize,
    pub name: String,
    pub offset: u32,
}

#[derive(Clone, Debug, Serialize)]
struct Overlay {
    datacenter: String,
    /// The datacenter as a label value.
    datacenter_label: String,
    namespace: String,
    pod_security: &'static str,
    replicas: Vec<ReplicaCount>,
    deletes: Vec<Resource>,
}

#[derive(Clone, Debug, Serialize)]
struct ReplicaCount {
    name: String,
    count: u32,
    comment: String,
}

pub(super) fn jobs(view: &View, owned: &[Vec<Resource>], scaled: &[Scaled]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for dc in &view.datacenters {
        let mut replicas = Vec::new();
        let mut deletes = Vec::new();
        for c in view.components.iter().filter(|c| runs_in_cluster(c)) {
            match c.copy_in(dc.index) {
                Some(k) => {
                    for s in scaled.iter().filter(|s| s.component == c.index) {
                        let instances = k.instances.max(1);
                        replicas.push(ReplicaCount {
                            name: s.name.clone(),
                            count: instances - s.offset.min(instances),
                            comment: if s.offset > 0 {
                                format!("{}, less the primary", k.figure)
                            } else {
                                k.figure.clone()
                            },
                        });
                    }
                }
                None => deletes.extend(owned[c.index].iter().cloned()),
            }
        }
        let namespace = if dc.implicit {
            view.system_label.clone()
        } else {
            escape::resource_name(&[&view.system_label, &dc.label], 63)
        };
        let overlay = Overlay {
            datacenter: dc.name.clone(),
            datacenter_label: dc.label.clone(),
            namespace,
            pod_security: POD_SECURITY_LEVEL,
            replicas,
            deletes,
        };
        jobs.push(Job::new(
            format!("overlays/{}/namespace.yaml", dc.label),
            "namespace.yaml.j2",
            &overlay,
        ));
        jobs.push(Job::new(
            format!("overlays/{}/kustomization.yaml", dc.label),
            "overlay.yaml.j2",
            overlay,
        ));
    }
    jobs
}
