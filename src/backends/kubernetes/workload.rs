//! One component's pods: the pod sets (a Deployment for a service, one
//! StatefulSet per shard and role for a store), the Services in front of
//! them, its ServiceAccount, autoscaler, disruption budget and network
//! policy.
//!
//! Every pod is laid out to admit under the `restricted` Pod Security
//! Standard and to pass checkov's Kubernetes checks: a numeric non-root
//! user (the image's documented one, from the engine catalogue), no
//! privilege escalation, every capability dropped, the runtime's default
//! seccomp profile, a read-only root file system with an `emptyDir` where
//! the server writes, no service account token, resource requests and
//! limits, readiness and liveness probes.

use super::database::{self, Replicated, Role};
use super::ingress::Alias;
use super::overlay::Scaled;
use super::{DEFAULT_VOLUME_GIB, Resource, SERVICE_PORT, engine_of, port_of};
use crate::backends::engines::{Engine, User, images};
use crate::backends::view::{self, ComponentView, View};
use serde::Serialize;

/// The user a `service` container runs as. The design says nothing about
/// the image's user, so archc picks an unprivileged id above the host's
/// own range (10000, checkov's CKV_K8S_40); an image that insists on root
/// does not start under the `restricted` standard and must be rebuilt to
/// run as any user (the default image, `traefik/whoami`, does).
pub const SERVICE_USER: User = User {
    uid: 10001,
    gid: 10001,
};

/// Folders a `service` may write on its read-only root file system.
pub const SERVICE_SCRATCH: &[&str] = &["/tmp"];

/// What one pod may use when the design names no instance type: a
/// service, and a data store.
pub const SERVICE_DEFAULT: Size = Size {
    millicpu: 1000,
    mebibytes: 1024,
};
pub const STORE_DEFAULT: Size = Size {
    millicpu: 2000,
    mebibytes: 2048,
};

/// The smallest CPU request, in millicores.
pub const MIN_CPU_REQUEST: u32 = 100;

/// A pod's CPU (millicores) and memory (MiB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub millicpu: u32,
    pub mebibytes: u32,
}

/// The size of an AWS-style instance type (`m7g.large`, `c6i.2xlarge`):
/// vCPUs from the size (`large` 2, `xlarge` 4, `Nxlarge` 4N, `medium` 1,
/// `small`/`micro` 1), memory per vCPU from the family letter (`c` 2 GiB,
/// `r`/`x` 8 GiB, anything else 4 GiB). `None` for a name it cannot read.
pub fn instance_size(instance: &str) -> Option<Size> {
    let name = instance.strip_prefix("cache.").unwrap_or(instance);
    let name = name.strip_prefix("db.").unwrap_or(name);
    let (family, size) = name.split_once('.')?;
    let vcpu: u32 = match size {
        "nano" | "micro" | "small" | "medium" => 1,
        "large" => 2,
        "xlarge" => 4,
        s => s
            .strip_suffix("xlarge")?
            .parse::<u32>()
            .ok()?
            .checked_mul(4)?,
    };
    let per_vcpu_gib = match family.chars().next()? {
        'c' => 2,
        'r' | 'x' => 8,
        _ => 4,
    };
    Some(Size {
        millicpu: vcpu.checked_mul(1000)?,
        mebibytes: vcpu.checked_mul(per_vcpu_gib * 1024)?,
    })
}

/// Requests and limits of one container, with where they came from.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Resources {
    cpu_request: String,
    cpu_limit: String,
    memory_request: String,
    memory_limit: String,
    comment: String,
}

/// The mapping: the limit is one instance as the design sizes it (its
/// instance type, a cache's memory, or a default); the CPU request is the
/// share of it the estimator expects at peak (utilisation, at least
/// [`MIN_CPU_REQUEST`]); memory is requested at its limit, since memory is
/// not reclaimed by throttling and a pod above its request is the first
/// evicted.
fn resources(c: &ComponentView, default: Size) -> Resources {
    let (mut size, mut why) = match c.instance.as_deref().and_then(instance_size) {
        Some(s) => (
            s,
            format!(
                "limits: one `{}`",
                c.instance.as_deref().unwrap_or_default()
            ),
        ),
        None => (default, "limits: archc's default pod size".to_string()),
    };
    if let Some(bytes) = c.cache.as_ref().and_then(|k| k.memory_bytes) {
        // The cache's memory plus a quarter for the server's own overhead.
        let mib = ((bytes * 1.25 / 1_048_576.0).ceil() as u32).max(64);
        size.mebibytes = mib;
        why.push_str(&format!(
            ", memory the cache's {} plus 25%",
            view::size(bytes)
        ));
    }
    let utilization = c
        .copies
        .iter()
        .map(|k| k.utilization)
        .fold(0.0_f64, f64::max);
    let request = if utilization > 0.0 {
        why.push_str(&format!(
            "; CPU request the estimated peak utilisation ({})",
            view::percent(utilization)
        ));
        let m = (f64::from(size.millicpu) * utilization.min(1.0) / 100.0).ceil() as u32 * 100;
        m.clamp(MIN_CPU_REQUEST.min(size.millicpu), size.millicpu)
    } else {
        why.push_str("; no load estimate: CPU request a quarter of the limit");
        (size.millicpu / 4).max(MIN_CPU_REQUEST.min(size.millicpu))
    };
    Resources {
        cpu_request: format!("{request}m"),
        cpu_limit: format!("{}m", size.millicpu),
        memory_request: format!("{}Mi", size.mebibytes),
        memory_limit: format!("{}Mi", size.mebibytes),
        comment: why,
    }
}

#[derive(Clone, Debug, Serialize)]
struct Labels {
    name: String,
    part_of: String,
    component: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub(super) struct EnvVar {
    name: String,
    value: Option<String>,
    /// `[secret name, key]` for a `secretKeyRef`.
    secret: Option<[String; 2]>,
}

impl EnvVar {
    pub fn value(name: impl Into<String>, value: impl Into<String>) -> EnvVar {
        EnvVar {
            name: name.into(),
            value: Some(value.into()),
            secret: None,
        }
    }

    pub fn secret(name: impl Into<String>, secret: String, key: &str) -> EnvVar {
        EnvVar {
            name: name.into(),
            value: None,
            secret: Some([secret, key.to_string()]),
        }
    }
}

/// A check of a container: a command, an HTTP GET or a TCP connect.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Probe {
    exec: Vec<String>,
    http_path: Option<String>,
    port: u16,
    initial_delay_s: u32,
    period_s: u32,
    timeout_s: u32,
    failure_threshold: u32,
}

impl Probe {
    pub fn exec(command: Vec<String>, initial_delay_s: u32) -> Probe {
        Probe {
            exec: command,
            http_path: None,
            port: 0,
            initial_delay_s,
            period_s: 10,
            timeout_s: 5,
            failure_threshold: 3,
        }
    }

    pub fn tcp(port: u16, initial_delay_s: u32) -> Probe {
        Probe {
            exec: Vec::new(),
            http_path: None,
            port,
            initial_delay_s,
            period_s: 10,
            timeout_s: 5,
            failure_threshold: 6,
        }
    }

    fn http(path: &str, port: u16) -> Probe {
        Probe {
            exec: Vec::new(),
            http_path: Some(path.to_string()),
            port,
            initial_delay_s: 5,
            period_s: 5,
            timeout_s: 2,
            failure_threshold: 3,
        }
    }
}

/// A writable folder on the read-only root file system.
#[derive(Clone, Debug, Serialize)]
struct Scratch {
    name: String,
    path: String,
}

fn scratch(paths: &[&str]) -> Vec<Scratch> {
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| Scratch {
            name: format!("scratch-{i}"),
            path: (*p).to_string(),
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
struct Volume {
    mount: String,
    size: String,
    comment: String,
}

/// Where an init container puts its copy of the image's configuration
/// folder (see [`crate::backends::engines::Engine::config`]).
const CONFIG_COPY: &str = "/config-copy";

/// The image's configuration folder, copied into an `emptyDir` before the
/// server starts and mounted in its place: the server rewrites it, and the
/// root file system is read-only.
#[derive(Clone, Debug, Serialize)]
struct ConfigCopy {
    path: String,
    /// Where the init container mounts the `emptyDir` it copies into.
    mount: &'static str,
    command: Vec<String>,
}

impl ConfigCopy {
    fn of(path: &str) -> ConfigCopy {
        ConfigCopy {
            path: path.to_string(),
            mount: CONFIG_COPY,
            command: vec![
                "cp".into(),
                "-R".into(),
                format!("{path}/."),
                format!("{CONFIG_COPY}/"),
            ],
        }
    }
}

/// A container that runs to completion before the server starts.
#[derive(Clone, Debug, Serialize)]
pub(super) struct InitContainer {
    pub name: &'static str,
    pub command: Vec<String>,
}

/// One Deployment or StatefulSet and the Service in front of it.
#[derive(Clone, Debug, Serialize)]
pub(super) struct PodSet {
    pub name: String,
    pub shard: Option<usize>,
    /// `primary` or `replica` for a replicated store.
    pub role: Option<&'static str>,
    pub replicas: u32,
    pub comment: String,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    user: UserIds,
    resources: Resources,
    volume: Option<Volume>,
    scratch: Vec<Scratch>,
    config: Option<ConfigCopy>,
    pub readiness: Probe,
    liveness: Probe,
    pub init: Option<InitContainer>,
    /// The ConfigMap key mounted as the image's first-start script
    /// (`/docker-entrypoint-initdb.d/10-replication.sh`).
    pub init_script: Option<&'static str>,
}

#[derive(Clone, Copy, Debug, Serialize)]
struct UserIds {
    uid: u32,
    gid: u32,
}

impl From<User> for UserIds {
    fn from(u: User) -> UserIds {
        UserIds {
            uid: u.uid,
            gid: u.gid,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
struct Hpa {
    min: u32,
    max: u32,
    cpu_percent: u32,
}

/// Everything in one component's file.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Workload {
    labels: Labels,
    kind: &'static str,
    design_name: String,
    stateful: bool,
    port: u16,
    port_name: &'static str,
    sets: Vec<PodSet>,
    hpa: Option<Hpa>,
    pdb: bool,
    /// The most zones of a datacenter it runs in (LANGUAGE.md §13), when
    /// two or more and it has two instances or more: its pods spread over
    /// them.
    zones: Option<u32>,
    /// Components (name labels) allowed to open connections to this one.
    allowed_from: Vec<String>,
    /// Whether its own pods connect to each other (replicas to their
    /// primary).
    peers: bool,
    /// Whether the ingress controller may reach it (it backs an Ingress).
    from_ingress: bool,
    /// Balancers in front of it.
    aliases: Vec<Alias>,
    /// The replication set-up, when its copies replicate.
    replication: Option<Replicated>,
}

impl Workload {
    /// The objects this component's file holds.
    pub fn resources(&self) -> Vec<Resource> {
        let mut own = vec![Resource::new("v1", "ServiceAccount", &self.labels.name)];
        if let Some(r) = &self.replication {
            own.push(Resource::new("v1", "ConfigMap", &r.config_map));
        }
        for s in &self.sets {
            let kind = if self.stateful {
                "StatefulSet"
            } else {
                "Deployment"
            };
            own.push(Resource::new("apps/v1", kind, &s.name));
            own.push(Resource::new("v1", "Service", &s.name));
            if self.pdb {
                own.push(Resource::new("policy/v1", "PodDisruptionBudget", &s.name));
            }
        }
        for a in &self.aliases {
            own.push(Resource::new("v1", "Service", &a.name));
        }
        if self.hpa.is_some() {
            own.push(Resource::new(
                "autoscaling/v2",
                "HorizontalPodAutoscaler",
                &self.labels.name,
            ));
        }
        own.push(Resource::new(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            &self.labels.name,
        ));
        own
    }

    /// The pod sets the overlays scale with the datacenter's instance
    /// count: a service, an unreplicated store, and a Redis replica set
    /// (one fewer than the instances: its primary is the other). A
    /// database's count is its primary and replicas, the same everywhere.
    pub fn scaled(&self, component: usize) -> Vec<Scaled> {
        if self.kind == "database" {
            return Vec::new();
        }
        self.sets
            .iter()
            .filter(|s| s.role != Some(Role::Primary.as_str()))
            .map(|s| Scaled {
                component,
                name: s.name.clone(),
                offset: u32::from(s.role.is_some()),
            })
            .collect()
    }
}

fn secret_name(c: &ComponentView) -> String {
    format!("{}-credentials", c.label)
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

fn gib(bytes: f64) -> u64 {
    ((bytes / f64::from(1u32 << 30)).ceil() as u64).max(1)
}

/// A `service` container's environment: its port, and the address (and
/// password reference) of everything it connects to.
fn service_env(view: &View, conns: &[usize]) -> Vec<EnvVar> {
    let mut env = vec![EnvVar::value("PORT", SERVICE_PORT.to_string())];
    for &t in conns {
        let callee = &view.components[t];
        let (p, _) = port_of(callee);
        // A sharded database is one address per shard, in shard order, for
        // the service's router.
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
        env.push(EnvVar::value(name, value));
        if let Some(read) = database::read_addresses(callee) {
            env.push(EnvVar::value(format!("{}_READ_ADDRS", callee.env), read));
        }
        if engine_of(callee).is_some_and(|e| e.password_env.is_some()) {
            env.push(EnvVar::secret(
                format!("{}_PASSWORD", callee.env),
                secret_name(callee),
                "password",
            ));
        }
    }
    env
}

/// What a `service` gets for the managed-only engines it calls
/// (Redshift), which run outside the cluster: their address and password
/// from the Secret `<component>-credentials` the operator creates (keys
/// `address` and `password`), never a value in the manifests.
fn external_env(view: &View, c: &ComponentView) -> Vec<EnvVar> {
    let mut env = Vec::new();
    let mut seen = Vec::new();
    for t in c.calls.iter().chain(&c.through_caches).map(|k| k.to) {
        let callee = &view.components[t];
        let Some(e) = callee
            .engine
            .as_deref()
            .and_then(crate::backends::engines::lookup)
            .filter(|e| e.external())
        else {
            continue;
        };
        if seen.contains(&t) {
            continue;
        }
        seen.push(t);
        env.push(EnvVar::secret(
            format!("{}_ADDR", callee.env),
            secret_name(callee),
            "address",
        ));
        env.push(EnvVar::value(
            format!("{}_PORT", callee.env),
            e.port.to_string(),
        ));
        env.push(EnvVar::secret(
            format!("{}_PASSWORD", callee.env),
            secret_name(callee),
            "password",
        ));
    }
    env
}

/// The pods of a `service`: one Deployment.
fn service_set(view: &View, c: &ComponentView, conns: &[usize]) -> PodSet {
    let (instances, figure) = base_instances(c);
    PodSet {
        name: c.label.clone(),
        shard: None,
        role: None,
        replicas: instances,
        comment: figure,
        image: c.image.clone().unwrap_or_else(|| images::SERVICE.into()),
        command: Vec::new(),
        args: Vec::new(),
        env: {
            let mut env = service_env(view, conns);
            env.extend(external_env(view, c));
            env
        },
        user: SERVICE_USER.into(),
        resources: resources(c, SERVICE_DEFAULT),
        volume: None,
        scratch: scratch(SERVICE_SCRATCH),
        config: None,
        readiness: Probe::http("/", SERVICE_PORT),
        liveness: Probe {
            initial_delay_s: 10,
            period_s: 10,
            ..Probe::http("/", SERVICE_PORT)
        },
        init: None,
        init_script: None,
    }
}

/// The data volume of one shard: retained data plus headroom, or 30 days
/// of writes, or a default.
fn volume(c: &ComponentView, e: &Engine, shard: Option<usize>) -> (Volume, String) {
    let copy = c.copies.first();
    let (bytes, what) = match (copy, shard) {
        (Some(k), Some(i)) => {
            let s = k.shards.get(i);
            (
                s.and_then(|s| s.storage_bytes_retained.or(s.storage_bytes_per_day)),
                s.map_or(String::new(), |s| s.figure.clone()),
            )
        }
        (Some(k), None) => (
            k.storage_bytes_retained.or(k.storage_bytes_per_day),
            k.figure.clone(),
        ),
        (None, _) => (None, String::new()),
    };
    let (size, comment) = match (bytes, copy) {
        (Some(b), Some(k)) if k.storage_bytes_retained.is_some() => (
            format!("{}Gi", gib(b * 1.25)),
            format!("retained data plus 25% headroom ({})", view::size(b)),
        ),
        (Some(b), _) => (
            format!("{}Gi", gib(b * 30.0 * 1.25).max(DEFAULT_VOLUME_GIB)),
            format!(
                "no retention in the design: 30 days of writes ({}/day) plus 25%",
                view::size(b)
            ),
        ),
        _ => (
            format!("{DEFAULT_VOLUME_GIB}Gi"),
            "no storage figure in the design: a default size".to_string(),
        ),
    };
    (
        Volume {
            mount: e.data_path.to_string(),
            size,
            comment,
        },
        what,
    )
}

/// A store's environment: the administrator password (from the Secret)
/// and user name its image takes.
fn store_env(c: &ComponentView, e: &Engine) -> Vec<EnvVar> {
    let mut env = Vec::new();
    if let Some(pw) = e.password_env {
        env.push(EnvVar::secret(pw, secret_name(c), "password"));
    }
    if let Some((k, v)) = e.user_env {
        env.push(EnvVar::value(k, v));
    }
    env.extend(e.env.iter().map(|&(k, v)| EnvVar::value(k, v)));
    env
}

/// The pods of a store: a StatefulSet per shard, or per shard and role
/// when its copies replicate ([`database`]).
fn store_sets(c: &ComponentView, e: &'static Engine) -> Vec<PodSet> {
    let (instances, _) = base_instances(c);
    let shard_count = c.database.as_ref().map_or(1, |d| d.total_shards.max(1));
    let plan = database::plan(c, e);
    let mut sets = Vec::new();
    for shard in 0..shard_count {
        let shard_index = (shard_count > 1).then_some(shard);
        let (vol, what) = volume(c, e, shard_index);
        let base_name = if shard_count > 1 {
            format!("{}-shard-{shard}", c.label)
        } else {
            c.label.clone()
        };
        let readiness = if e.health.is_empty() {
            Probe::tcp(e.port, 5)
        } else {
            Probe::exec(e.health.iter().map(|s| (*s).to_string()).collect(), 10)
        };
        let set = PodSet {
            name: base_name.clone(),
            shard: shard_index,
            role: None,
            replicas: c.database.as_ref().map_or(instances, |db| 1 + db.replicas),
            comment: what,
            image: c
                .image
                .clone()
                .unwrap_or_else(|| e.image.unwrap_or_default().to_string()),
            command: Vec::new(),
            args: e.args.iter().map(|a| (*a).to_string()).collect(),
            env: store_env(c, e),
            user: e.user.into(),
            resources: resources(c, STORE_DEFAULT),
            volume: Some(vol),
            scratch: scratch(e.scratch),
            config: e.config.map(ConfigCopy::of),
            readiness,
            liveness: Probe::tcp(e.port, 30),
            init: None,
            init_script: None,
        };
        let (env, args) = database::data_settings(e);
        let mut set = set;
        set.env.extend(env);
        set.args.extend(args);
        match &plan {
            Some(p) => {
                let (primary, replica) = p.sets(set, &base_name);
                sets.push(primary);
                sets.push(replica);
            }
            None => sets.push(set),
        }
    }
    sets
}

/// Lays out one component that runs in the cluster.
pub(super) fn build(
    view: &View,
    c: &ComponentView,
    conns: &[usize],
    callers: &[usize],
    from_ingress: bool,
    aliases: &[Alias],
) -> Workload {
    let (port, port_name) = port_of(c);
    let (sets, replication) = match engine_of(c).filter(|_| c.kind != "service") {
        Some(e) => (store_sets(c, e), database::replicated(c, e)),
        None => (vec![service_set(view, c, conns)], None),
    };
    let max_instances = c
        .copies
        .iter()
        .map(|k| k.instances)
        // The pods of one shard, primary and replicas together.
        .chain(std::iter::once(
            sets.iter().map(|s| s.replicas).sum::<u32>()
                / (sets
                    .iter()
                    .filter(|s| s.role != Some(Role::Replica.as_str()))
                    .count()
                    .max(1) as u32),
        ))
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
    Workload {
        labels: Labels {
            name: c.label.clone(),
            part_of: view.system_label.clone(),
            component: c.kind,
        },
        kind: c.kind,
        design_name: c.name.clone(),
        stateful: c.kind != "service",
        port,
        port_name,
        sets,
        hpa,
        pdb: max_instances >= 2,
        zones: c
            .copies
            .iter()
            .filter_map(|k| k.dc)
            .map(|d| view.datacenters[d].zones)
            .max()
            .filter(|z| *z >= 2 && max_instances >= 2),
        allowed_from: callers
            .iter()
            .map(|&i| view.components[i].label.clone())
            .collect(),
        peers: replication.is_some(),
        from_ingress,
        aliases: aliases.to_vec(),
        replication,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_sizes() {
        let s = |m: u32, g: u32| {
            Some(Size {
                millicpu: m,
                mebibytes: g * 1024,
            })
        };
        assert_eq!(instance_size("m7g.large"), s(2000, 8));
        assert_eq!(instance_size("c6i.2xlarge"), s(8000, 16));
        assert_eq!(instance_size("r6g.xlarge"), s(4000, 32));
        assert_eq!(instance_size("cache.m7g.large"), s(2000, 8));
        assert_eq!(instance_size("t3.medium"), s(1000, 4));
        assert_eq!(instance_size("a box"), None);
        assert_eq!(instance_size("m7g.hugexlarge"), None);
    }

    #[test]
    fn every_self_hosted_engine_runs_as_a_non_root_user() {
        for e in crate::backends::engines::ENGINES
            .iter()
            .filter(|e| e.self_hosted())
        {
            assert!(e.user.uid > 0 && e.user.gid > 0, "{}", e.name);
        }
    }
}
