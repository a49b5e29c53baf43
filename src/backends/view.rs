//! The design as every backend sees it: a plain, serialisable view built
//! from the model and the estimate, with identifiers already mapped for each
//! format and the estimator's figures already phrased.
//!
//! Target views ([`super::compose`], [`super::terraform`]) are built from
//! this one; templates only lay them out. Nothing here is specific to one
//! target, so a later backend (Kubernetes) starts from the same view.

use super::escape::{Namer, Style, ident};
use crate::estimate::{CopyEstimate, Estimate, StorageEstimate};
use crate::figures;
use crate::model::{
    Algorithm, Component, CrossDc, Eviction, FailoverMode, Fallback, Invalidation, Kind, Model,
    ReadFrom, Role, Routing, Session,
};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, Serialize)]
pub struct View {
    pub system: String,
    /// The system name as a DNS label.
    pub system_label: String,
    /// The `.arch` file the view comes from, as the user named it.
    pub source: String,
    pub has_traffic: bool,
    pub peak_factor: f64,
    /// `assumptions.target_utilization`, a fraction.
    pub target_utilization: f64,
    /// Whether the design declares datacenters (else one implicit one).
    pub has_datacenters: bool,
    pub datacenters: Vec<DcView>,
    pub components: Vec<ComponentView>,
    pub monitoring: Option<MonitoringView>,
    pub slo: SloView,
}

#[derive(Clone, Debug, Serialize)]
pub struct DcView {
    pub index: usize,
    pub name: String,
    pub label: String,
    pub snake: String,
    pub region: Option<String>,
    /// Share of entry traffic, a fraction.
    pub weight: f64,
    pub implicit: bool,
    /// Availability zones (LANGUAGE.md §13); 1 when the design gives none.
    pub zones: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct SloView {
    pub latency_p99_s: Option<f64>,
    pub latency_mean_s: Option<f64>,
    pub availability: Option<f64>,
    pub error_rate: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MonitoringView {
    pub logs: Option<String>,
    pub metrics: Option<String>,
    pub tracing: Option<String>,
    pub alerts: bool,
}

/// One call edge out of a component (edges to the same callee merged).
#[derive(Clone, Debug, Serialize)]
pub struct CallView {
    /// Index of the callee in [`View::components`].
    pub to: usize,
    /// A database role the edge addresses, when it addresses one.
    pub role: Option<&'static str>,
    /// Request classes that take the edge.
    pub classes: Vec<&'static str>,
    pub reads: bool,
    pub writes: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ComponentView {
    pub index: usize,
    pub name: String,
    pub kind: &'static str,
    /// A DNS label unique among components (Compose services, hostnames).
    pub label: String,
    /// An identifier unique among components (`[a-z][a-z0-9_]*`).
    pub snake: String,
    /// An environment-variable prefix unique among components.
    pub env: String,
    pub engine: Option<String>,
    /// `image` as written.
    pub image: Option<String>,
    /// `instance` as written.
    pub instance: Option<String>,
    /// `public` as resolved by the model.
    pub public: bool,
    /// `public` was written (not defaulted).
    pub public_given: bool,
    /// Reachable from the internet in the generated files: `public`, or
    /// called straight from a client or dns without `public = false`.
    /// Databases, caches and queues are never exposed.
    pub exposed: bool,
    pub managed: bool,
    pub global: bool,
    pub replicas: u32,
    pub autoscale: Option<[u32; 2]>,
    pub min_instances: u32,
    pub max_instances: u32,
    pub capacity_rps: Option<f64>,
    pub latency_s: f64,
    pub calls: Vec<CallView>,
    /// What a service reaches through the caches it calls: a cache in
    /// front of a database is read-through in the design, but in a
    /// deployment the service itself asks the database on a miss.
    pub through_caches: Vec<CallView>,
    /// Components that call this one.
    pub callers: Vec<usize>,
    /// Called from a client or a dns.
    pub entry: bool,
    pub copies: Vec<CopyView>,
    pub lb: Option<Box<LbView>>,
    pub cdn: Option<Box<CdnView>>,
    pub dns: Option<Box<DnsView>>,
    pub service: Option<Box<ServiceView>>,
    pub cache: Option<Box<CacheView>>,
    pub database: Option<Box<DatabaseView>>,
    pub queue: Option<Box<QueueView>>,
    pub storage: Option<Box<StorageView>>,
}

impl ComponentView {
    pub fn copy_in(&self, dc: usize) -> Option<&CopyView> {
        self.copies.iter().find(|c| c.dc == Some(dc))
    }

    pub fn is(&self, kind: Kind) -> bool {
        self.kind == kind.as_str()
    }
}

/// One copy of a component: in a datacenter, or the global one.
#[derive(Clone, Debug, Serialize)]
pub struct CopyView {
    pub dc: Option<usize>,
    pub dc_name: Option<String>,
    /// Instances the estimator uses for this copy (for autoscale: the count
    /// at the target utilisation; for a database: per shard, primary plus
    /// replicas, see [`ShardView`]).
    pub instances: u32,
    pub peak_rps: f64,
    pub utilization: f64,
    /// Where `instances` came from, in words, for a comment next to it.
    pub figure: String,
    pub shards: Vec<ShardView>,
    /// Bytes written per day into this copy (databases and storage).
    pub storage_bytes_per_day: Option<f64>,
    /// Bytes kept over `traffic.retention`, when given.
    pub storage_bytes_retained: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ShardView {
    pub index: usize,
    pub dedicated_key: Option<String>,
    /// Fraction of the database's requests.
    pub share: f64,
    pub peak_rps: f64,
    /// Busiest instance's utilisation.
    pub utilization: f64,
    pub figure: String,
    pub storage_bytes_per_day: Option<f64>,
    pub storage_bytes_retained: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LbView {
    pub algorithm: &'static str,
    pub sticky: bool,
    pub health_interval_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CdnView {
    pub ttl_s: Option<f64>,
    pub hit_ratio: f64,
    pub fallback: &'static str,
    pub invalidation: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct DnsView {
    pub routing: &'static str,
    pub failover: bool,
    pub ttl_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServiceView {
    /// `session = local`.
    pub session_local: bool,
    /// The component holding sessions, when one does.
    pub session_store: Option<usize>,
    pub consumes: Option<usize>,
    pub timeout_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CacheView {
    pub engine: String,
    /// Bytes per instance.
    pub memory_bytes: Option<f64>,
    pub ttl_s: Option<f64>,
    pub eviction: &'static str,
    pub hit_ratio: f64,
    pub overprovision: f64,
    pub cross_dc: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct DatabaseView {
    pub engine: String,
    /// Read replicas per shard.
    pub replicas: u32,
    pub failover: &'static str,
    pub failover_time_s: f64,
    pub read_from: &'static str,
    /// Hashed shards (`shards`).
    pub shards: u32,
    /// Hashed plus dedicated shards.
    pub total_shards: usize,
    pub shard_key: Option<String>,
    pub sharding: &'static str,
    pub dedicated: Vec<String>,
    pub cross_dc: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct QueueView {
    pub engine: String,
    pub durable: bool,
    pub max_backlog: Option<f64>,
    /// Services consuming this queue.
    pub consumers: Vec<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StorageView {
    pub engine: String,
    pub cross_dc: &'static str,
}

/// `{"key": shard, …}` for the keys with a dedicated shard, numbered after
/// the hashed ones (LANGUAGE.md §9).
pub fn dedicated_json(keys: &[String], hashed: u32) -> String {
    let map: serde_json::Map<String, serde_json::Value> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.clone(), serde_json::Value::from(hashed as usize + i)))
        .collect();
    serde_json::Value::Object(map).to_string()
}

// Generated files' comments write the estimator's figures in the
// `figures` Precise style, one decimal throughout (docs/figures.md), so a
// comment reads the same in every target.

/// A rate per second: `4166.7/s`.
pub fn rate(x: f64) -> String {
    figures::rate(x, figures::Style::Precise)
}

/// A fraction as a percentage: `65.1%`, `70.0%`, `0.1%`.
pub fn percent(x: f64) -> String {
    figures::percent(x, figures::Style::Precise)
}

/// A size in decimal units, as `.arch` writes them: `2.0GB`, `6.6TB`.
pub fn size(bytes: f64) -> String {
    figures::size(bytes, figures::Style::Precise)
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Builds the view. `source` names the `.arch` file in headers.
pub fn build(model: &Model, est: &Estimate, source: &str) -> View {
    let target = model.assumptions.target_utilization.value;

    let mut dc_labels = Namer::new(Style::Label, 20);
    let mut dc_snakes = Namer::new(Style::Snake, 20);
    let datacenters: Vec<DcView> = model
        .datacenters
        .iter()
        .enumerate()
        .map(|(i, d)| DcView {
            index: i,
            name: d.name.clone(),
            label: dc_labels.name(&d.name),
            snake: dc_snakes.name(&d.name),
            region: d.region.clone(),
            zones: d.zones.value,
            weight: d.weight.value,
            implicit: d.implicit,
        })
        .collect();

    // Names reserved for what backends add next to the components, so a
    // component called `prometheus` or `public` never collides with them.
    let mut labels = Namer::new(Style::Label, 40);
    let mut snakes = Namer::new(Style::Snake, 40);
    let mut envs = Namer::new(Style::Env, 40);
    for fixed in super::RESERVED_LABELS {
        labels.reserve(fixed);
        snakes.reserve(&fixed.replace('-', "_"));
        envs.reserve(&fixed.replace('-', "_").to_ascii_uppercase());
    }

    // Storage figures by (component, datacenter), looked up per copy.
    let mut storage: StorageIndex = HashMap::new();
    for s in &est.storage {
        storage
            .entry((s.component.as_str(), s.datacenter.as_deref()))
            .or_default()
            .push(s);
    }
    let mut components: Vec<ComponentView> = model
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| {
            component_view(
                model,
                est,
                &storage,
                i,
                c,
                target,
                labels.name(&c.name),
                snakes.name(&c.name),
                envs.name(&c.name),
            )
        })
        .collect();

    // A service reaches what its caches call (recursively through caches).
    for i in 0..components.len() {
        if components[i].kind != "service" {
            continue;
        }
        let direct: Vec<usize> = components[i].calls.iter().map(|k| k.to).collect();
        let mut found: Vec<CallView> = Vec::new();
        let mut stack: Vec<usize> = direct
            .iter()
            .copied()
            .filter(|&t| components[t].kind == "cache")
            .collect();
        let mut seen = stack.clone();
        while let Some(cache) = stack.pop() {
            for k in &components[cache].calls {
                if components[k.to].kind == "cache" {
                    if !seen.contains(&k.to) {
                        seen.push(k.to);
                        stack.push(k.to);
                    }
                } else if !direct.contains(&k.to) && !found.iter().any(|f| f.to == k.to) {
                    found.push(k.clone());
                }
            }
        }
        found.sort_by_key(|k| k.to);
        components[i].through_caches = found;
    }

    // Callers, entries and exposure need every component's calls first.
    let calls: Vec<Vec<usize>> = components
        .iter()
        .map(|c| c.calls.iter().map(|k| k.to).collect())
        .collect();
    for (from, tos) in calls.iter().enumerate() {
        for &to in tos {
            if !components[to].callers.contains(&from) {
                components[to].callers.push(from);
            }
        }
    }
    for (view, comp) in components.iter_mut().zip(&model.components) {
        let entry = view
            .callers
            .iter()
            .any(|&c| matches!(model.components[c].kind, Kind::Client | Kind::Dns));
        let exposable = matches!(
            comp.kind,
            Kind::Lb | Kind::Cdn | Kind::Service | Kind::Storage
        );
        view.entry = entry;
        view.exposed = exposable && (comp.public.value || (entry && comp.public.is_default()));
    }

    View {
        system: model.system.clone(),
        system_label: ident(&model.system, Style::Label, 24),
        source: source.to_string(),
        has_traffic: est.has_traffic,
        peak_factor: est.peak_factor,
        target_utilization: target,
        has_datacenters: model.has_datacenters(),
        datacenters,
        components,
        monitoring: model.monitoring.as_ref().map(|m| MonitoringView {
            logs: m.logs.clone(),
            metrics: m.metrics.clone(),
            tracing: m.tracing.clone(),
            alerts: m.alerts,
        }),
        slo: SloView {
            latency_p99_s: model.slo.latency_p99.as_ref().map(|s| s.value),
            latency_mean_s: model.slo.latency_mean.as_ref().map(|s| s.value),
            availability: model.slo.availability.as_ref().map(|s| s.value),
            error_rate: model.slo.error_rate.as_ref().map(|s| s.value),
        },
    }
}

/// The estimator's storage figures of each (component, datacenter).
type StorageIndex<'a> = HashMap<(&'a str, Option<&'a str>), Vec<&'a StorageEstimate>>;

#[allow(clippy::too_many_arguments)]
fn component_view(
    model: &Model,
    est: &Estimate,
    storage: &StorageIndex,
    index: usize,
    c: &Component,
    target: f64,
    label: String,
    snake: String,
    env: String,
) -> ComponentView {
    let mut calls: Vec<CallView> = Vec::new();
    for (_, f) in model.flows_from(index) {
        let role = f.role.map(|r| match r {
            Role::Primary => "primary",
            Role::Replicas => "replicas",
        });
        let classes: Vec<&'static str> = f.classes.names();
        match calls.iter_mut().find(|k| k.to == f.to) {
            Some(k) => {
                for cl in classes {
                    if !k.classes.contains(&cl) {
                        k.classes.push(cl);
                    }
                }
                if k.role != role {
                    k.role = None;
                }
            }
            None => calls.push(CallView {
                to: f.to,
                role,
                classes,
                reads: false,
                writes: false,
            }),
        }
    }
    for k in &mut calls {
        k.classes
            .sort_by_key(|c| ["static", "read", "write"].iter().position(|x| x == c));
        k.reads = k.classes.iter().any(|c| *c != "write");
        k.writes = k.classes.contains(&"write");
    }

    let copies = model
        .copies_of(index)
        .map(|(dc, node)| copy_view(model, est, storage, c, dc, est.copy(node), target))
        .collect();

    let engine = match &c.spec {
        crate::model::KindSpec::Cache(s) => Some(s.engine.value.clone()),
        crate::model::KindSpec::Database(s) => Some(s.engine.value.clone()),
        crate::model::KindSpec::Queue(s) => Some(s.engine.value.clone()),
        crate::model::KindSpec::Storage(s) => Some(s.engine.value.clone()),
        _ => None,
    };

    ComponentView {
        index,
        name: c.name.clone(),
        kind: c.kind.as_str(),
        label,
        snake,
        env,
        engine,
        image: c.image.as_ref().map(|s| s.value.clone()),
        instance: c.instance.as_ref().map(|s| s.value.clone()),
        public: c.public.value,
        public_given: !c.public.is_default(),
        exposed: false,
        managed: c.managed,
        global: c.kind.is_global(),
        replicas: c.replicas.value,
        autoscale: c.autoscale.as_ref().map(|a| [a.value.0, a.value.1]),
        min_instances: c.min_instances(),
        max_instances: c.max_instances(),
        capacity_rps: c.capacity.value,
        latency_s: c.latency.value,
        calls,
        through_caches: Vec::new(),
        callers: Vec::new(),
        entry: false,
        copies,
        lb: c.lb().map(|s| {
            Box::new(LbView {
                algorithm: match s.algorithm.value {
                    Algorithm::RoundRobin => "round-robin",
                    Algorithm::LeastConnections => "least-connections",
                    Algorithm::IpHash => "ip-hash",
                },
                sticky: s.sticky.value,
                health_interval_s: s.health_interval.value,
            })
        }),
        cdn: c.cdn().map(|s| {
            Box::new(CdnView {
                ttl_s: s.ttl.as_ref().map(|t| t.value),
                hit_ratio: s.hit_ratio.value,
                fallback: match s.fallback.value {
                    Fallback::Origin => "origin",
                    Fallback::None => "none",
                },
                invalidation: match s.invalidation.value {
                    Invalidation::Versioning => "versioning",
                    Invalidation::Api => "api",
                    Invalidation::None => "none",
                },
            })
        }),
        dns: c.dns().map(|s| {
            Box::new(DnsView {
                routing: match s.routing.value {
                    Routing::Simple => "simple",
                    Routing::Weighted => "weighted",
                    Routing::Geo => "geo",
                    Routing::Latency => "latency",
                },
                failover: s.failover.value,
                ttl_s: s.ttl.value,
            })
        }),
        service: c.service().map(|s| {
            Box::new(ServiceView {
                session_local: s.session.value == Session::Local,
                session_store: match s.session.value {
                    Session::Store(id) => Some(id),
                    _ => None,
                },
                consumes: s.consumes.as_ref().map(|q| q.value),
                timeout_s: s.timeout.value,
            })
        }),
        cache: c.cache().map(|s| {
            Box::new(CacheView {
                engine: s.engine.value.clone(),
                memory_bytes: s.memory.as_ref().map(|m| m.value),
                ttl_s: s.ttl.as_ref().map(|t| t.value),
                eviction: match s.eviction.value {
                    Eviction::Lru => "lru",
                    Eviction::Lfu => "lfu",
                    Eviction::Fifo => "fifo",
                    Eviction::None => "none",
                },
                hit_ratio: s.hit_ratio.value,
                overprovision: s.overprovision.value,
                cross_dc: cross_dc(s.cross_dc.value),
            })
        }),
        database: c.database().map(|s| {
            Box::new(DatabaseView {
                engine: s.engine.value.clone(),
                replicas: c.replicas.value,
                failover: match s.failover.value {
                    FailoverMode::Automatic => "automatic",
                    FailoverMode::Manual => "manual",
                    FailoverMode::None => "none",
                },
                failover_time_s: s.failover_time.value,
                read_from: match s.read_from.value {
                    ReadFrom::Replicas => "replicas",
                    ReadFrom::Primary => "primary",
                    ReadFrom::Any => "any",
                },
                shards: s.shards.value,
                total_shards: s.total_shards(),
                shard_key: s.shard_key.as_ref().map(|k| k.value.clone()),
                sharding: match s.sharding.value {
                    crate::model::Sharding::Hash => "hash",
                    crate::model::Sharding::Consistent => "consistent",
                    crate::model::Sharding::Range => "range",
                },
                dedicated: s.dedicated.value.clone(),
                cross_dc: cross_dc(s.cross_dc.value),
            })
        }),
        queue: c.queue().map(|s| {
            Box::new(QueueView {
                engine: s.engine.value.clone(),
                durable: s.durable.value,
                max_backlog: s.max_backlog.as_ref().map(|m| m.value),
                consumers: model.consumers_of(index).collect(),
            })
        }),
        storage: c.storage().map(|s| {
            Box::new(StorageView {
                engine: s.engine.value.clone(),
                cross_dc: cross_dc(s.cross_dc.value),
            })
        }),
    }
}

fn cross_dc(c: CrossDc) -> &'static str {
    match c {
        CrossDc::None => "none",
        CrossDc::Async => "async",
        CrossDc::Sync => "sync",
    }
}

fn copy_view(
    model: &Model,
    est: &Estimate,
    storage: &StorageIndex,
    c: &Component,
    dc: Option<usize>,
    ce: &CopyEstimate,
    target: f64,
) -> CopyView {
    let dc_name = model.dc_name(dc).map(String::from);
    let storage: &[&StorageEstimate] = storage
        .get(&(c.name.as_str(), dc_name.as_deref()))
        .map_or(&[], Vec::as_slice);
    // The first figure of each shard, as a search in order would find.
    let mut by_shard: HashMap<Option<usize>, &StorageEstimate> = HashMap::new();
    for s in storage {
        by_shard.entry(s.shard).or_insert(s);
    }
    let copy_storage = |shard: Option<usize>| {
        by_shard
            .get(&shard)
            .map(|s| (s.bytes_per_day, s.bytes_retained))
    };
    let (per_day, retained) = if storage.len() == 1 {
        (Some(storage[0].bytes_per_day), storage[0].bytes_retained)
    } else if storage.is_empty() {
        (None, None)
    } else {
        (
            Some(storage.iter().map(|s| s.bytes_per_day).sum()),
            storage
                .iter()
                .map(|s| s.bytes_retained)
                .sum::<Option<f64>>(),
        )
    };
    let shards = ce
        .shards
        .iter()
        .map(|s| {
            let st = copy_storage(Some(s.shard));
            let keys = match &s.dedicated_key {
                Some(k) => format!(" (dedicated to key {k:?})"),
                None => String::new(),
            };
            let figure = if est.has_traffic {
                format!(
                    "shard {}{keys}: {} of the requests, {} at peak; busiest instance at {}",
                    s.shard,
                    percent(s.share),
                    rate(s.peak_rps),
                    percent(s.utilization)
                )
            } else {
                format!("shard {}{keys}", s.shard)
            };
            ShardView {
                index: s.shard,
                dedicated_key: s.dedicated_key.clone(),
                share: s.share,
                peak_rps: s.peak_rps,
                utilization: s.utilization,
                figure,
                storage_bytes_per_day: st.map(|x| x.0),
                storage_bytes_retained: st.and_then(|x| x.1),
            }
        })
        .collect();
    CopyView {
        dc,
        dc_name,
        instances: ce.instances,
        peak_rps: ce.peak_rps,
        utilization: ce.utilization,
        figure: figure(c, ce, est.has_traffic, target),
        shards,
        storage_bytes_per_day: per_day,
        storage_bytes_retained: retained,
    }
}

/// The estimator's reason for an instance count, in one sentence.
fn figure(c: &Component, ce: &CopyEstimate, has_traffic: bool, target: f64) -> String {
    let n = ce.instances;
    if c.provider_scaled() {
        return if has_traffic {
            format!(
                "managed: scales inside the provider; {} at peak",
                rate(ce.peak_rps)
            )
        } else {
            "managed: scales inside the provider".to_string()
        };
    }
    if let Some(db) = c.database() {
        let shards = db.total_shards();
        let instances = match c.replicas.value {
            0 => "1 primary, no read replica".to_string(),
            r => format!("1 primary + {}", plural(r, "read replica", "read replicas")),
        };
        let layout = if shards > 1 {
            format!("{shards} shards of {instances}")
        } else {
            instances
        };
        return if has_traffic {
            format!(
                "{layout}: {} at peak, busiest instance at {}",
                rate(ce.peak_rps),
                percent(ce.utilization)
            )
        } else {
            layout
        };
    }
    let instances = plural(n, "instance", "instances");
    match (&c.autoscale, has_traffic, c.capacity.value) {
        (Some(a), true, Some(_)) => {
            let (lo, hi) = a.value;
            let mut s = format!(
                "autoscale {lo}..{hi}: the estimator needs {instances} for {} at peak, {} utilisation (target {})",
                rate(ce.peak_rps),
                percent(ce.utilization),
                percent(target)
            );
            if ce.max_not_enough {
                s.push_str("; even the maximum is above the target");
            }
            s
        }
        (Some(a), _, _) => format!(
            "autoscale {}..{}: no traffic block, so it starts at the minimum",
            a.value.0, a.value.1
        ),
        (None, true, Some(_)) => format!(
            "{instances} for {} at peak, {} utilisation",
            rate(ce.peak_rps),
            percent(ce.utilization)
        ),
        (None, _, _) => format!("{instances} as written"),
    }
}

/// Components ordered so that every callee comes before its callers (the
/// flows are acyclic apart from queue hand-offs, which consumers follow):
/// callees, consumed queues and session stores first.
pub fn placement_order(view: &View) -> Vec<usize> {
    crate::model::walk::postorder(view.components.len(), |i, out| {
        let c = &view.components[i];
        out.extend(c.calls.iter().map(|k| k.to));
        if let Some(s) = &c.service {
            out.extend(s.consumes);
            out.extend(s.session_store);
        }
    })
}
