//! The `kubernetes` target: plain manifests and a kustomization with one
//! overlay per datacenter.
//!
//! Layout: `base/` holds one file per mapped component (its workload, the
//! Services in front of it, autoscaler, disruption budget and network
//! policy), `ingress.yaml`, `network-policies.yaml` (default deny) and a
//! `kustomization.yaml` listing them; `overlays/<datacenter>/` sets the
//! namespace, the per-datacenter instance counts, and deletes what the
//! datacenter does not run.
//!
//! Mapped: `service` → Deployment + Service (+ HorizontalPodAutoscaler);
//! `database`, `cache`, `queue` and self-hosted `storage` → StatefulSet +
//! headless Service + volumeClaimTemplates; `lb` → a Service in front of
//! what it balances, plus an Ingress when public. Managed and global
//! components (client, dns, cdn, managed stores) run outside the cluster.

use super::engines::images;
use super::view::{ComponentView, View};
use super::{BuildError, Job};
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "workload.yaml.j2",
        include_str!("../../templates/kubernetes/workload.yaml.j2"),
    ),
    (
        "ingress.yaml.j2",
        include_str!("../../templates/kubernetes/ingress.yaml.j2"),
    ),
    (
        "network-policies.yaml.j2",
        include_str!("../../templates/kubernetes/network-policies.yaml.j2"),
    ),
    (
        "kustomization.yaml.j2",
        include_str!("../../templates/kubernetes/kustomization.yaml.j2"),
    ),
    (
        "overlay.yaml.j2",
        include_str!("../../templates/kubernetes/overlay.yaml.j2"),
    ),
];

/// The port every `service` container listens on (passed as `PORT`).
pub const SERVICE_PORT: u16 = 8080;

/// The namespace the ingress controller runs in; the network policies of
/// what an Ingress reaches admit it.
pub const INGRESS_NAMESPACE: &str = "ingress-nginx";

/// The label every selector and policy matches components by.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";

/// Volume size when the design gives no storage figure, in GiB.
pub const DEFAULT_VOLUME_GIB: u64 = 10;

/// How one stateful engine runs in a pod.
struct EngineSpec {
    image: &'static str,
    port: u16,
    port_name: &'static str,
    data_path: &'static str,
    args: &'static [&'static str],
    /// Environment variable of the image that takes the password, and the
    /// user name variable with its value, when the image has them.
    password_env: Option<&'static str>,
    user_env: Option<(&'static str, &'static str)>,
    /// Extra literal settings.
    extra_env: &'static [(&'static str, &'static str)],
}

fn engine_spec(engine: &str) -> Option<EngineSpec> {
    let spec = match engine {
        "postgres" => EngineSpec {
            image: images::POSTGRES,
            port: 5432,
            port_name: "postgres",
            data_path: "/var/lib/postgresql/data",
            args: &[],
            password_env: Some("POSTGRES_PASSWORD"),
            user_env: None,
            // A fresh volume holds `lost+found`; postgres wants an empty
            // folder, so its data goes one level down.
            extra_env: &[("PGDATA", "/var/lib/postgresql/data/pgdata")],
        },
        "mysql" => EngineSpec {
            image: images::MYSQL,
            port: 3306,
            port_name: "mysql",
            data_path: "/var/lib/mysql",
            args: &["--ignore-db-dir=lost+found"],
            password_env: Some("MYSQL_ROOT_PASSWORD"),
            user_env: None,
            extra_env: &[],
        },
        "redis" => EngineSpec {
            image: images::REDIS,
            port: 6379,
            port_name: "redis",
            data_path: "/data",
            args: &[],
            password_env: None,
            user_env: None,
            extra_env: &[],
        },
        "memcached" => EngineSpec {
            image: images::MEMCACHED,
            port: 11211,
            port_name: "memcached",
            data_path: "/data",
            args: &[],
            password_env: None,
            user_env: None,
            extra_env: &[],
        },
        "rabbitmq" => EngineSpec {
            image: images::RABBITMQ,
            port: 5672,
            port_name: "amqp",
            data_path: "/var/lib/rabbitmq",
            args: &[],
            password_env: Some("RABBITMQ_DEFAULT_PASS"),
            user_env: Some(("RABBITMQ_DEFAULT_USER", "archc")),
            extra_env: &[],
        },
        "kafka" => EngineSpec {
            image: images::KAFKA,
            port: 9092,
            port_name: "kafka",
            data_path: "/var/lib/kafka/data",
            args: &[],
            password_env: None,
            user_env: None,
            extra_env: &[],
        },
        "nats" => EngineSpec {
            image: images::NATS,
            port: 4222,
            port_name: "nats",
            data_path: "/data",
            args: &["--jetstream", "--store_dir=/data"],
            password_env: None,
            user_env: None,
            extra_env: &[],
        },
        "minio" => EngineSpec {
            image: images::MINIO,
            port: 9000,
            port_name: "s3",
            data_path: "/data",
            args: &["server", "/data"],
            password_env: Some("MINIO_ROOT_PASSWORD"),
            user_env: Some(("MINIO_ROOT_USER", "archc")),
            extra_env: &[],
        },
        _ => return None,
    };
    Some(spec)
}

#[derive(Clone, Debug, Serialize)]
struct Labels {
    name: String,
    part_of: String,
    component: &'static str,
}

#[derive(Clone, Debug, Serialize)]
struct EnvVar {
    name: String,
    value: Option<String>,
    /// `[secret name, key]` for a `secretKeyRef`.
    secret: Option<[String; 2]>,
}

#[derive(Clone, Debug, Serialize)]
struct Probe {
    /// HTTP path, or none for a TCP check.
    http_path: Option<String>,
    port: u16,
    initial_delay_s: u32,
}

#[derive(Clone, Debug, Serialize)]
struct PodSet {
    name: String,
    shard: Option<usize>,
    replicas: u32,
    comment: String,
    image: String,
    args: Vec<String>,
    env: Vec<EnvVar>,
    cpu: String,
    memory: String,
    volume: Option<Volume>,
    probe: Probe,
}

#[derive(Clone, Debug, Serialize)]
struct Volume {
    mount: String,
    size: String,
    comment: String,
}

#[derive(Clone, Debug, Serialize)]
struct Hpa {
    min: u32,
    max: u32,
    cpu_percent: u32,
}

#[derive(Clone, Debug, Serialize)]
struct Workload {
    labels: Labels,
    kind: &'static str,
    design_name: String,
    stateful: bool,
    port: u16,
    port_name: String,
    sets: Vec<PodSet>,
    hpa: Option<Hpa>,
    pdb: bool,
    /// Components (name labels) allowed to open connections to this one.
    allowed_from: Vec<String>,
    /// Whether the ingress controller may reach it (it backs an Ingress).
    from_ingress: bool,
    /// Balancers in front of it: (Service name, design name).
    aliases: Vec<Alias>,
}

#[derive(Clone, Debug, Serialize)]
struct Alias {
    name: String,
    design_name: String,
}

#[derive(Clone, Debug, Serialize)]
struct Ingress {
    name: String,
    design_name: String,
    backend: String,
    port: u16,
    others: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
struct Base {
    resources: Vec<String>,
    notes: Vec<String>,
    system: String,
}

#[derive(Clone, Debug, Serialize)]
struct Overlay {
    datacenter: String,
    /// The datacenter as a label value.
    datacenter_label: String,
    namespace: String,
    replicas: Vec<ReplicaCount>,
    deletes: Vec<Resource>,
}

#[derive(Clone, Debug, Serialize)]
struct ReplicaCount {
    name: String,
    count: u32,
    comment: String,
}

#[derive(Clone, Debug, Serialize)]
struct Resource {
    api_version: &'static str,
    kind: &'static str,
    name: String,
}

#[derive(Clone, Debug, Serialize)]
struct DefaultDeny {
    part_of: String,
}

/// Whether a component runs as pods in the cluster.
fn runs_in_cluster(c: &ComponentView) -> bool {
    if c.managed || c.global {
        return false;
    }
    match c.kind {
        "service" => true,
        "database" | "cache" | "queue" | "storage" => c
            .engine
            .as_deref()
            .is_some_and(|e| engine_spec(e).is_some()),
        _ => false,
    }
}

/// What a caller reaching `to` actually talks to: a balancer is a Service
/// in front of its backends, so calling it means calling them.
fn through_balancers(view: &View, to: usize, out: &mut Vec<usize>) {
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

fn labels(view: &View, c: &ComponentView) -> Labels {
    Labels {
        name: c.label.clone(),
        part_of: view.system_label.clone(),
        component: c.kind,
    }
}

fn gib(bytes: f64) -> u64 {
    ((bytes / f64::from(1u32 << 30)).ceil() as u64).max(1)
}

/// The instances of a component in its first datacenter (the base's
/// count; overlays set each datacenter's own).
fn base_instances(c: &ComponentView) -> (u32, String) {
    c.copies
        .first()
        .map_or((c.min_instances, String::new()), |k| {
            (k.instances.max(1), k.figure.clone())
        })
}

fn port_of(c: &ComponentView) -> (u16, String) {
    if c.kind == "service" {
        return (SERVICE_PORT, "http".into());
    }
    match c.engine.as_deref().and_then(engine_spec) {
        Some(e) => (e.port, e.port_name.into()),
        None => (SERVICE_PORT, "http".into()),
    }
}

fn secret_name(c: &ComponentView) -> String {
    format!("{}-credentials", c.label)
}

/// The most shards of one database the target lays out, a StatefulSet
/// each. Beyond this the manifests run to hundreds of megabytes; such a
/// database belongs on a managed engine (`engine = dynamodb`).
pub const MAX_SHARDS: usize = 1_000;

/// Files of the kubernetes target.
pub(crate) fn jobs(view: &View) -> Result<Vec<Job>, Vec<BuildError>> {
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
    if !too_many.is_empty() {
        return Err(too_many);
    }
    let conns = connections(view);
    let mut callers: Vec<Vec<usize>> = vec![Vec::new(); view.components.len()];
    for (from, tos) in conns.iter().enumerate() {
        for &to in tos {
            callers[to].push(from);
        }
    }

    let mut jobs = Vec::new();
    let mut resources = Vec::new();
    let mut notes = Vec::new();
    let mut ingresses = Vec::new();
    // Resources of each component, to delete where it does not run.
    let mut owned: Vec<Vec<Resource>> = vec![Vec::new(); view.components.len()];
    let mut scaled: Vec<(usize, String, Option<usize>)> = Vec::new();

    // Balancers: a Service named after the balancer selecting the pods of
    // its first backend; a public one also gets an Ingress.
    let mut aliases: Vec<Vec<Alias>> = vec![Vec::new(); view.components.len()];
    let mut ingress_backed: Vec<bool> = vec![false; view.components.len()];
    for c in &view.components {
        let backends: Vec<usize> = {
            let mut out = Vec::new();
            through_balancers(view, c.index, &mut out);
            out
        };
        if c.kind == "lb" && !c.managed {
            let Some(&first) = backends.first() else {
                notes.push(format!(
                    "lb `{}` balances nothing that runs in the cluster",
                    c.name
                ));
                continue;
            };
            aliases[first].push(Alias {
                name: c.label.clone(),
                design_name: c.name.clone(),
            });
            if backends.len() > 1 {
                notes.push(format!(
                    "lb `{}` sends everything to `{}`; add Ingress paths for the others",
                    c.name, view.components[first].name
                ));
            }
            if c.exposed {
                ingress_backed[first] = true;
                ingresses.push(Ingress {
                    name: c.label.clone(),
                    design_name: c.name.clone(),
                    backend: c.label.clone(),
                    port: SERVICE_PORT,
                    others: backends[1..]
                        .iter()
                        .map(|&b| view.components[b].name.clone())
                        .collect(),
                });
            }
        } else if c.kind == "service" && c.exposed && runs_in_cluster(c) {
            ingress_backed[c.index] = true;
            ingresses.push(Ingress {
                name: c.label.clone(),
                design_name: c.name.clone(),
                backend: c.label.clone(),
                port: SERVICE_PORT,
                others: Vec::new(),
            });
        } else if !runs_in_cluster(c) && c.kind != "client" && c.kind != "lb" {
            notes.push(format!(
                "{} `{}` runs outside the cluster{}",
                c.kind,
                c.name,
                if c.managed { " (managed)" } else { "" }
            ));
        }
    }

    resources.push("network-policies.yaml".to_string());
    jobs.push(Job::new(
        "base/network-policies.yaml",
        "network-policies.yaml.j2",
        DefaultDeny {
            part_of: view.system_label.clone(),
        },
    ));

    for c in &view.components {
        if !runs_in_cluster(c) {
            continue;
        }
        let (port, port_name) = port_of(c);
        let (instances, figure) = base_instances(c);
        let stateful = c.kind != "service";
        let mut env = Vec::new();
        let mut sets = Vec::new();
        if c.kind == "service" {
            env.push(EnvVar {
                name: "PORT".into(),
                value: Some(SERVICE_PORT.to_string()),
                secret: None,
            });
            for &t in &conns[c.index] {
                let callee = &view.components[t];
                let (p, _) = port_of(callee);
                // A sharded database is one address per shard, in shard
                // order, for the service's router.
                let (name, value) = match callee.database.as_ref() {
                    Some(db) if db.total_shards > 1 => (
                        format!("{}_SHARD_ADDRS", callee.env),
                        (0..db.total_shards)
                            .map(|i| format!("{}-shard-{i}:{p}", callee.label))
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                    _ => (
                        format!("{}_ADDR", callee.env),
                        format!("{}:{p}", callee.label),
                    ),
                };
                env.push(EnvVar {
                    name,
                    value: Some(value),
                    secret: None,
                });
                if let Some(spec) = callee.engine.as_deref().and_then(engine_spec)
                    && spec.password_env.is_some()
                {
                    env.push(EnvVar {
                        name: format!("{}_PASSWORD", callee.env),
                        value: None,
                        secret: Some([secret_name(callee), "password".into()]),
                    });
                }
            }
            sets.push(PodSet {
                name: c.label.clone(),
                shard: None,
                replicas: instances,
                comment: figure,
                image: c.image.clone().unwrap_or_else(|| images::SERVICE.into()),
                args: Vec::new(),
                env,
                cpu: "500m".into(),
                memory: "512Mi".into(),
                volume: None,
                probe: Probe {
                    http_path: Some("/".into()),
                    port,
                    initial_delay_s: 5,
                },
            });
            scaled.push((c.index, c.label.clone(), None));
        } else {
            let Some(spec) = c.engine.as_deref().and_then(engine_spec) else {
                continue;
            };
            if let Some(pw) = spec.password_env {
                env.push(EnvVar {
                    name: pw.into(),
                    value: None,
                    secret: Some([secret_name(c), "password".into()]),
                });
            }
            if let Some((k, v)) = spec.user_env {
                env.push(EnvVar {
                    name: k.into(),
                    value: Some(v.into()),
                    secret: None,
                });
            }
            for (k, v) in spec.extra_env {
                env.push(EnvVar {
                    name: (*k).into(),
                    value: Some((*v).into()),
                    secret: None,
                });
            }
            let memory = match c.cache.as_ref().and_then(|k| k.memory_bytes) {
                Some(b) => format!("{}Mi", ((b / 1_048_576.0).ceil() as u64).max(64)),
                None => "1Gi".into(),
            };
            let copy = c.copies.first();
            let shard_count = c.database.as_ref().map_or(1, |d| d.total_shards.max(1));
            for shard in 0..shard_count {
                let (bytes, what) = match copy {
                    Some(k) if shard_count > 1 => {
                        let s = k.shards.get(shard);
                        (
                            s.and_then(|s| s.storage_bytes_retained.or(s.storage_bytes_per_day)),
                            s.map_or(String::new(), |s| s.figure.clone()),
                        )
                    }
                    Some(k) => (
                        k.storage_bytes_retained.or(k.storage_bytes_per_day),
                        k.figure.clone(),
                    ),
                    None => (None, String::new()),
                };
                let (size, size_comment) = match (bytes, copy) {
                    (Some(b), Some(k)) if k.storage_bytes_retained.is_some() => (
                        format!("{}Gi", gib(b * 1.25)),
                        format!("retained data plus 25% headroom ({})", super::view::size(b)),
                    ),
                    (Some(b), _) => (
                        format!("{}Gi", gib(b * 30.0 * 1.25).max(DEFAULT_VOLUME_GIB)),
                        format!(
                            "no retention in the design: 30 days of writes ({}/day) plus 25%",
                            super::view::size(b)
                        ),
                    ),
                    _ => (
                        format!("{DEFAULT_VOLUME_GIB}Gi"),
                        "no storage figure in the design: a default size".to_string(),
                    ),
                };
                let replicas = match &c.database {
                    Some(db) => 1 + db.replicas,
                    None => instances,
                };
                let name = if shard_count > 1 {
                    format!("{}-shard-{shard}", c.label)
                } else {
                    c.label.clone()
                };
                if c.database.is_none() {
                    scaled.push((c.index, name.clone(), None));
                }
                sets.push(PodSet {
                    name,
                    shard: (shard_count > 1).then_some(shard),
                    replicas,
                    comment: what,
                    image: c.image.clone().unwrap_or_else(|| spec.image.into()),
                    args: spec.args.iter().map(|a| (*a).to_string()).collect(),
                    env: env.clone(),
                    cpu: "1".into(),
                    memory: memory.clone(),
                    volume: Some(Volume {
                        mount: spec.data_path.into(),
                        size,
                        comment: size_comment,
                    }),
                    probe: Probe {
                        http_path: None,
                        port,
                        initial_delay_s: 15,
                    },
                });
            }
        }

        let max_instances = c
            .copies
            .iter()
            .map(|k| k.instances)
            .chain(sets.iter().map(|s| s.replicas))
            .max()
            .unwrap_or(1)
            .max(c.autoscale.map_or(0, |a| a[1]));
        let hpa = if c.kind == "service" {
            c.autoscale.map(|[min, max]| Hpa {
                min: min.max(1),
                max: max.max(min).max(1),
                cpu_percent: ((view.target_utilization * 100.0).round() as u32).clamp(1, 100),
            })
        } else {
            None
        };
        let workload = Workload {
            labels: labels(view, c),
            kind: c.kind,
            design_name: c.name.clone(),
            stateful,
            port,
            port_name,
            sets,
            hpa,
            pdb: max_instances >= 2,
            allowed_from: callers[c.index]
                .iter()
                .map(|&i| view.components[i].label.clone())
                .collect(),
            from_ingress: ingress_backed[c.index],
            aliases: aliases[c.index].clone(),
        };

        let own = &mut owned[c.index];
        for s in &workload.sets {
            own.push(Resource {
                api_version: "apps/v1",
                kind: if stateful {
                    "StatefulSet"
                } else {
                    "Deployment"
                },
                name: s.name.clone(),
            });
            own.push(Resource {
                api_version: "v1",
                kind: "Service",
                name: s.name.clone(),
            });
            if workload.pdb {
                own.push(Resource {
                    api_version: "policy/v1",
                    kind: "PodDisruptionBudget",
                    name: s.name.clone(),
                });
            }
        }
        for a in &workload.aliases {
            own.push(Resource {
                api_version: "v1",
                kind: "Service",
                name: a.name.clone(),
            });
        }
        if workload.hpa.is_some() {
            own.push(Resource {
                api_version: "autoscaling/v2",
                kind: "HorizontalPodAutoscaler",
                name: c.label.clone(),
            });
        }
        own.push(Resource {
            api_version: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            name: c.label.clone(),
        });
        let file = format!("{}.yaml", c.label);
        resources.push(file.clone());
        jobs.push(Job::new(
            format!("base/{file}"),
            "workload.yaml.j2",
            workload,
        ));
    }

    if !ingresses.is_empty() {
        resources.push("ingress.yaml".to_string());
        for ing in &ingresses {
            if let Some(c) = view.components.iter().find(|c| c.label == ing.backend) {
                let target = if c.kind == "lb" {
                    let mut out = Vec::new();
                    through_balancers(view, c.index, &mut out);
                    out.first().copied()
                } else {
                    Some(c.index)
                };
                if let Some(t) = target {
                    owned[t].push(Resource {
                        api_version: "networking.k8s.io/v1",
                        kind: "Ingress",
                        name: ing.name.clone(),
                    });
                }
            }
        }
        jobs.push(Job::new(
            "base/ingress.yaml",
            "ingress.yaml.j2",
            serde_json::json!({ "ingresses": ingresses }),
        ));
    }

    jobs.push(Job::new(
        "base/kustomization.yaml",
        "kustomization.yaml.j2",
        Base {
            resources,
            notes,
            system: view.system.clone(),
        },
    ));

    for dc in &view.datacenters {
        let mut replicas = Vec::new();
        let mut deletes = Vec::new();
        for c in &view.components {
            if !runs_in_cluster(c) {
                continue;
            }
            match c.copy_in(dc.index) {
                Some(k) => {
                    for (i, name, _) in &scaled {
                        if *i == c.index {
                            replicas.push(ReplicaCount {
                                name: name.clone(),
                                count: k.instances.max(1),
                                comment: k.figure.clone(),
                            });
                        }
                    }
                }
                None => deletes.extend(owned[c.index].iter().cloned()),
            }
        }
        let namespace = if dc.implicit {
            view.system_label.clone()
        } else {
            super::escape::resource_name(&[&view.system_label, &dc.label], 63)
        };
        jobs.push(Job::new(
            format!("overlays/{}/kustomization.yaml", dc.label),
            "overlay.yaml.j2",
            Overlay {
                datacenter: dc.name.clone(),
                datacenter_label: dc.label.clone(),
                namespace,
                replicas,
                deletes,
            },
        ));
    }
    Ok(jobs)
}
