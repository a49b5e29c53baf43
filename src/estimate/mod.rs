//! The estimator: load per copy at peak, instances, queueing, latency,
//! storage and availability (LANGUAGE.md §6–§9, RULES.md `slo-*`).
//!
//! Computed once per model by [`estimate`]; every rule, the backends and
//! the simulator's starting instance counts read the same figures.
//! Architecture invariant: nothing here mutates the model.

pub mod availability;
pub mod cold;
pub mod failure;
pub mod load;
pub mod queueing;
pub mod report;
pub mod shards;
pub mod tail;
pub mod zones;

use crate::model::{Class, ComponentId, Copy, CopyEdgeKind, CrossDc, DcId, Kind, Model};
use load::{Flows, PerClass, sum};
use petgraph::graph::NodeIndex;
use queueing::MMc;
use serde::Serialize;
use shards::PlacementCache;
use std::sync::Arc;

/// A station's figures at peak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Station {
    /// Arrivals per second at peak.
    pub peak_rps: f64,
    /// Servers in the station (instances × workers).
    pub servers: u64,
    pub utilization: f64,
    pub wait_s: f64,
    pub response_s: f64,
    pub p99_s: f64,
}

/// One shard of a database copy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardEstimate {
    pub shard: usize,
    pub dedicated_key: Option<String>,
    /// Fraction of the database's requests.
    pub share: f64,
    /// Heaviest keys with their shares.
    pub heaviest: Vec<(String, f64)>,
    pub primary: Station,
    /// One replica (replicas of a shard are alike); `None` without replicas.
    pub replica: Option<Station>,
    /// Peak requests the shard receives from flows.
    pub peak_rps: f64,
    /// What the shard serves at its instances' capacity, per roles.
    pub capacity_rps: Option<f64>,
    /// Busiest instance's utilisation.
    pub utilization: f64,
    /// Mean wait and response of a request of the shard (reads at the role
    /// they go to, writes at the primary), and the larger of the read and
    /// write p99s.
    pub wait_s: f64,
    pub response_s: f64,
    pub p99_s: f64,
    /// What the shard's members receive at peak, by who may serve it.
    #[serde(skip)]
    pub members: MemberLoads,
}

/// A shard's peak requests by the members that may serve them (§6): the
/// writes every member applies, reads only the primary serves, reads for
/// the replicas (the primary's when none is up) and reads any member
/// serves. The zone-loss what-if ([`zones`]) spreads them over the members
/// a lost zone leaves; with every member up, the primary receives
/// `applied + primary + any / members` and each replica `applied +
/// replicas / r + any / members`, the shard's stations. Without replicas
/// every read is the primary's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct MemberLoads {
    pub applied_rps: f64,
    pub primary_reads_rps: f64,
    pub replica_reads_rps: f64,
    pub any_reads_rps: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CopyEstimate {
    #[serde(skip)]
    pub node: NodeIndex,
    #[serde(skip)]
    pub copy: Copy,
    /// Average and peak requests per second received, per class.
    pub avg: PerClass,
    pub peak: PerClass,
    pub avg_rps: f64,
    pub peak_rps: f64,
    /// Instances in use (for autoscale: the count at the target
    /// utilisation, clamped to the range; for a database: every instance of
    /// every shard).
    pub instances: u32,
    /// Autoscale max does not reach the target utilisation.
    pub max_not_enough: bool,
    /// Workers per instance (k of §7).
    pub workers: u32,
    pub service_time_s: f64,
    /// Instances × capacity, `None` when unlimited.
    pub capacity_rps: Option<f64>,
    pub utilization: f64,
    /// Utilisation at the largest instance count the design allows.
    pub utilization_at_max: f64,
    pub wait_s: f64,
    pub response_s: f64,
    pub p99_s: f64,
    /// Read and write response times (databases differ by role).
    pub read_response_s: f64,
    pub write_response_s: f64,
    pub read_p99_s: f64,
    pub write_p99_s: f64,
    /// A database's mean response to a read that goes to one shard, and
    /// to a scatter-gather read (`all-shards`: its slowest shard);
    /// `read_response_s` is their mix by rate. Elsewhere both are
    /// `read_response_s`.
    #[serde(skip)]
    pub keyed_read_response_s: f64,
    #[serde(skip)]
    pub scatter_read_response_s: f64,
    pub shards: Vec<ShardEstimate>,
    /// Capacity or latency rests on a kind default.
    pub assumed_capacity: bool,
    pub assumed_latency: bool,
    /// For a queue copy: the most messages per second its consumers take
    /// from it at their largest instance count — each consumer copy's
    /// capacity split over the queue copies that feed it, in proportion to
    /// what each sends. `None` for other kinds, and for a queue one of whose
    /// consumers has unlimited capacity.
    #[serde(skip)]
    pub drain_rps: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassEstimate {
    pub class: Class,
    pub avg_rps: f64,
    pub peak_rps: f64,
    pub mean_latency_s: f64,
    /// RULES.md `slo-latency`: the p99s of every node the class reaches
    /// with probability 1% or more, plus hops. An estimate, not a quantile:
    /// a conservative bound by the rule's definition.
    pub p99_estimate_s: f64,
    /// The 99th percentile of the class's response time, read from its
    /// distribution (alternatives mixed by share, calls in series
    /// convolved; see [`tail`]). Infinite when more than 1% of its requests
    /// meet an overloaded copy.
    pub p99_s: f64,
    pub availability: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StorageEstimate {
    pub component: String,
    pub datacenter: Option<String>,
    pub shard: Option<usize>,
    pub bytes_per_day: f64,
    pub bytes_retained: Option<f64>,
    /// Bytes one write (a database's record, a queue's message) stores.
    pub record_bytes: f64,
    /// The record size is a default: neither the database's `record_size`
    /// nor `traffic.write_size` was written.
    pub assumed: bool,
    /// For a queue copy: messages per second its consumers cannot drain
    /// (average rates), the growth of its backlog.
    pub backlog_growth_per_s: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Bandwidth {
    /// Response bytes per second at peak served by the CDN (hits).
    pub cdn_bytes_per_s: f64,
    /// Response bytes per second at peak served by the origin.
    pub origin_bytes_per_s: f64,
}

/// The figures with one datacenter lost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DcLoss {
    pub datacenter: DcId,
    /// Per copy (by node index): peak rps and utilisation at max instances;
    /// the failed datacenter's copies carry zero.
    pub peak_rps: Vec<f64>,
    pub utilization_at_max: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// A `traffic` block was given; without it only structural figures
    /// (instances, workers, availability) are meaningful.
    pub has_traffic: bool,
    pub peak_factor: f64,
    /// Per copy, by node index.
    pub copies: Vec<CopyEstimate>,
    /// Per copy edge, by edge index: average rates per class.
    pub edges: Vec<PerClass>,
    pub classes: Vec<ClassEstimate>,
    pub availability: f64,
    pub storage: Vec<StorageEstimate>,
    pub storage_bytes_per_day: f64,
    pub storage_bytes_retained: Option<f64>,
    pub bandwidth: Option<Bandwidth>,
    pub dc_loss: Vec<DcLoss>,
    /// Per zone of every datacenter with `zones` of 2 or more, in
    /// datacenter then zone order: what losing it costs (§13).
    pub zone_loss: Vec<zones::ZoneLoss>,
    pub flows: Flows,
    /// Queue messages loop without dying out.
    pub unbounded: bool,
    /// What each single failure costs (computed last, from the rest).
    pub failure: failure::FailureAnalysis,
}

impl Estimate {
    pub fn copy(&self, node: NodeIndex) -> &CopyEstimate {
        &self.copies[node.index()]
    }

    pub fn class(&self, class: Class) -> Option<&ClassEstimate> {
        self.classes.iter().find(|c| c.class == class)
    }
}

/// The consumers' drain of one queue copy (see [`CopyEstimate::drain_rps`]).
fn queue_drain(model: &Model, flows: &Flows, node: NodeIndex) -> Option<f64> {
    use petgraph::Direction;
    use petgraph::visit::EdgeRef;
    let consume = |kind: &CopyEdgeKind| *kind == CopyEdgeKind::Consume;
    let mut drain = 0.0;
    for e in model
        .graph
        .edges(node)
        .filter(|e| consume(&e.weight().kind))
    {
        let target = e.target();
        let comp = &model.components[model.graph[target].component];
        let per_instance = comp.capacity.value?;
        // This queue copy's part of the consumer copy's intake.
        let (mut total, mut feeds) = (0.0, 0usize);
        for x in model.graph.edges_directed(target, Direction::Incoming) {
            if consume(&x.weight().kind) {
                total += sum(flows.edge[x.id().index()]);
                feeds += 1;
            }
        }
        let part = if total > 0.0 {
            sum(flows.edge[e.id().index()]) / total
        } else {
            1.0 / feeds.max(1) as f64
        };
        drain += part * per_instance * f64::from(comp.max_servers());
    }
    Some(drain)
}

/// Workers per instance and service time (§7): k = max(1, ⌊C·L + 0.5⌋),
/// each serving with mean k / C.
pub fn workers(capacity: f64, latency: f64) -> (u32, f64) {
    let k = ((capacity * latency + 0.5).floor()).max(1.0);
    let k = k.min(1e6);
    (k as u32, k / capacity)
}

/// What a copy estimate computes: everything, or only loads and
/// utilisations (what the datacenter-loss and cold-cache figures read),
/// leaving out the M/M/c waits and quantiles that dominate the cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Detail {
    Full,
    LoadOnly,
}

fn station(
    lambda: f64,
    capacity: Option<f64>,
    latency: f64,
    instances: u32,
    detail: Detail,
) -> Station {
    match capacity {
        None => Station {
            peak_rps: lambda,
            servers: 0,
            utilization: 0.0,
            wait_s: 0.0,
            response_s: latency,
            // Unlimited capacity: each request just takes its latency.
            p99_s: latency,
        },
        Some(c) => {
            let (k, service) = workers(c, latency);
            let servers = u64::from(k) * u64::from(instances.max(1));
            let q = MMc {
                lambda,
                mu: 1.0 / service,
                servers,
            };
            let utilization = lambda / (c * f64::from(instances.max(1)));
            if detail == Detail::LoadOnly {
                return Station {
                    peak_rps: lambda,
                    servers,
                    utilization,
                    wait_s: 0.0,
                    response_s: service,
                    p99_s: service,
                };
            }
            let (wait_s, response_s, p99_s) = q.wait_response_quantile(0.99);
            Station {
                peak_rps: lambda,
                servers,
                utilization,
                wait_s,
                response_s,
                p99_s,
            }
        }
    }
}

/// Average entry rate per class (zero without traffic).
pub fn entry_rates(model: &Model) -> PerClass {
    match &model.traffic {
        Some(t) => [
            t.class_rate(Class::Static),
            t.class_rate(Class::Read),
            t.class_rate(Class::Write),
        ],
        None => [0.0; 3],
    }
}

/// Estimates a model. `cache` keeps shard placements across calls.
pub fn estimate(model: &Model, cache: &mut PlacementCache) -> Estimate {
    let entry = entry_rates(model);
    let peak = model.traffic.as_ref().map_or(1.0, |t| t.peak.value);
    let order = load::order(model);
    let flows = load::propagate_in(model, entry, None, None, &order);
    let target = model.assumptions.target_utilization.value;

    let mut copies = Vec::with_capacity(model.graph.node_count());
    for node in model.graph.node_indices() {
        copies.push(copy_estimate(
            model,
            &flows,
            node,
            peak,
            target,
            cache,
            Detail::Full,
        ));
    }

    let mut est = Estimate {
        has_traffic: model.traffic.is_some(),
        peak_factor: peak,
        copies,
        edges: flows.edge.clone(),
        classes: Vec::new(),
        availability: 1.0,
        storage: Vec::new(),
        storage_bytes_per_day: 0.0,
        storage_bytes_retained: None,
        bandwidth: None,
        dc_loss: Vec::new(),
        zone_loss: Vec::new(),
        unbounded: flows.unbounded,
        flows,
        failure: Default::default(),
    };
    let avail = availability::compute(model, &est);
    est.availability = avail.overall;
    est.classes = class_estimates(model, &est, entry, peak, &avail.per_class);
    storage(model, &mut est);
    est.bandwidth = bandwidth(model, &est, entry, peak);
    let p99s = class_p99s(model, &est);
    for (ce, p99) in est.classes.iter_mut().zip(p99s) {
        ce.p99_s = p99;
    }
    if model.has_datacenters() && model.datacenters.len() > 1 {
        for dc in 0..model.datacenters.len() {
            est.dc_loss
                .push(dc_loss(model, &order, dc, entry, peak, cache));
        }
    }
    est.zone_loss = zones::compute(model, &est);
    est.failure = failure::analyse(model, &est);
    est
}

fn copy_estimate(
    model: &Model,
    flows: &Flows,
    node: NodeIndex,
    peak: f64,
    target: f64,
    cache: &mut PlacementCache,
    detail: Detail,
) -> CopyEstimate {
    let copy = model.graph[node];
    let comp = &model.components[copy.component];
    let avg = flows.total(node);
    let peak_pc = [avg[0] * peak, avg[1] * peak, avg[2] * peak];
    let peak_rps = sum(peak_pc);
    let capacity = comp.capacity.value;
    let latency = comp.latency.value;
    let (k, service) = capacity.map_or((1, latency), |c| workers(c, latency));
    let mut e = CopyEstimate {
        node,
        copy,
        avg,
        peak: peak_pc,
        avg_rps: sum(avg),
        peak_rps,
        instances: comp.replicas.value,
        max_not_enough: false,
        workers: k,
        service_time_s: service,
        capacity_rps: None,
        utilization: 0.0,
        utilization_at_max: 0.0,
        wait_s: 0.0,
        response_s: latency,
        p99_s: latency,
        read_response_s: latency,
        write_response_s: latency,
        read_p99_s: latency,
        write_p99_s: latency,
        keyed_read_response_s: latency,
        scatter_read_response_s: latency,
        shards: Vec::new(),
        assumed_capacity: comp.capacity.is_default(),
        assumed_latency: comp.latency.is_default(),
        drain_rps: None,
    };
    // The what-ifs (datacenter loss, cold caches) read loads only.
    if comp.kind == Kind::Queue && detail == Detail::Full {
        e.drain_rps = queue_drain(model, flows, node);
    }
    if let Some(db) = comp.database() {
        database_estimate(model, flows, node, peak, db, cache, &mut e, detail);
        return e;
    }
    // Managed services and global kinds scale inside their provider: one
    // instance of unlimited or stated capacity.
    let instances = if comp.provider_scaled() {
        1
    } else if let Some(a) = &comp.autoscale {
        let (lo, hi) = a.value;
        match capacity {
            Some(c) => {
                let (n, ok) =
                    queueing::servers_for_target(peak_rps, c, target, u64::from(lo), u64::from(hi));
                e.max_not_enough = !ok;
                n as u32
            }
            None => lo,
        }
    } else {
        comp.replicas.value
    };
    e.instances = instances;
    let s = station(peak_rps, capacity, latency, instances, detail);
    e.capacity_rps = capacity.map(|c| c * f64::from(instances));
    e.utilization = s.utilization;
    e.utilization_at_max = capacity.map_or(0.0, |c| {
        let max = if comp.provider_scaled() {
            1
        } else {
            comp.max_instances()
        };
        peak_rps / (c * f64::from(max.max(1)))
    });
    e.wait_s = s.wait_s;
    e.response_s = s.response_s;
    e.p99_s = s.p99_s;
    e.read_response_s = s.response_s;
    e.keyed_read_response_s = s.response_s;
    e.scatter_read_response_s = s.response_s;
    e.write_response_s = s.response_s;
    e.read_p99_s = s.p99_s;
    e.write_p99_s = s.p99_s;
    e
}

/// A database copy: per shard, a primary station and replica stations with
/// reads split per role and every write applied everywhere (§6).
// The copy and its flows, the database, the placement cache, the estimate
// being filled and the detail wanted: each is needed here.
#[allow(clippy::too_many_arguments)]
fn database_estimate(
    model: &Model,
    flows: &Flows,
    node: NodeIndex,
    peak: f64,
    db: &crate::model::DatabaseSpec,
    cache: &mut PlacementCache,
    e: &mut CopyEstimate,
    detail: Detail,
) {
    let copy = model.graph[node];
    let comp = &model.components[copy.component];
    let inflow = flows.db[node.index()];
    let replicas = comp.replicas.value;
    // Writes every instance applies: this copy's, plus the other copies'
    // when writes replicate across datacenters.
    let mut applied = inflow.writes;
    if db.cross_dc.value != CrossDc::None {
        for (dc, other) in model.copies_of(copy.component) {
            if dc != copy.dc {
                applied += flows.db[other.index()].writes;
            }
        }
    }
    let placement: Arc<shards::Placement> = if db.total_shards() > 1 {
        cache.get(&db.shard_spec())
    } else {
        Arc::new(shards::Placement {
            shards: vec![shards::ShardLoad {
                index: 0,
                dedicated_key: None,
                share: 1.0,
                heaviest: Vec::new(),
            }],
        })
    };
    let r = f64::from(replicas);
    let capacity = comp.capacity.value;
    let latency = comp.latency.value;
    // A synchronous write waits for the other datacenters' copies; a
    // database with a single copy has none to wait for (as the simulator
    // does it).
    let sync_extra =
        if db.cross_dc.value == CrossDc::Sync && model.copies_of(copy.component).count() > 1 {
            model.assumptions.cross_dc_latency.value
        } else {
            0.0
        };
    let (mut read_resp, mut write_resp, mut read_p99, mut write_p99) = (0.0, 0.0, 0.0_f64, 0.0_f64);
    let mut busiest: f64 = 0.0;
    let mut busiest_at_max: f64 = 0.0;
    let mut wait = 0.0;
    let keyed_reads = inflow.keyed_reads();
    let scatter_reads = inflow.scatter_reads();
    // How reads of one kind (keyed or scatter-gather) split over a shard's
    // roles: (to the primary, to the replicas), as fractions.
    let role_split = |primary: f64, replicas_reads: f64, any: f64| -> (f64, f64) {
        let total = primary + replicas_reads + any;
        if total <= 0.0 {
            return (0.0, 0.0);
        }
        let any_each = if replicas > 0 { any / (r + 1.0) } else { any };
        (
            (primary + any_each) / total,
            (replicas_reads + any - any_each) / total,
        )
    };
    let (keyed_p, keyed_r) = role_split(
        inflow.reads_primary,
        inflow.reads_replicas,
        inflow.reads_any,
    );
    let (scatter_p, scatter_r) = role_split(
        inflow.scatter_primary,
        inflow.scatter_replicas,
        inflow.scatter_any,
    );
    // Per shard, the response law of a scatter-gather read there.
    let mut scatter_parts: Vec<Vec<(f64, queueing::Response)>> = Vec::new();
    let mut scatter_slowest_mean: f64 = 0.0;
    for sh in &placement.shards {
        let s = sh.share;
        // A keyed read reaches this shard with its share; a scatter-gather
        // read reaches it always.
        let to_primary = s * keyed_reads * keyed_p + scatter_reads * scatter_p;
        let to_replicas = s * keyed_reads * keyed_r + scatter_reads * scatter_r;
        let shard_reads = to_primary + to_replicas;
        let primary_avg = s * applied + to_primary;
        let replica_avg = if replicas > 0 {
            s * applied + to_replicas / r
        } else {
            0.0
        };
        let primary = station(primary_avg * peak, capacity, latency, 1, detail);
        let replica =
            (replicas > 0).then(|| station(replica_avg * peak, capacity, latency, 1, detail));
        let util = primary
            .utilization
            .max(replica.map_or(0.0, |x| x.utilization));
        busiest = busiest.max(util);
        busiest_at_max = busiest_at_max.max(util);
        // Reads see the role they go to; writes see the primary.
        let rep = replica.unwrap_or(primary);
        let mix = |p: f64, rr: f64, of: fn(&Station) -> f64| -> f64 {
            if p + rr > 0.0 {
                (of(&primary) * p + of(&rep) * rr) / (p + rr)
            } else {
                of(&rep)
            }
        };
        let keyed_resp = mix(keyed_p, keyed_r, |x| x.response_s);
        let scatter_resp = mix(scatter_p, scatter_r, |x| x.response_s);
        let rs = mix(to_primary, to_replicas, |x| x.response_s);
        let rw = mix(to_primary, to_replicas, |x| x.wait_s);
        let ws = primary.response_s + sync_extra;
        read_resp += s * keyed_resp;
        write_resp += s * ws;
        scatter_slowest_mean = scatter_slowest_mean.max(scatter_resp);
        if scatter_reads > 0.0 && detail == Detail::Full {
            let law = |st: &Station| match capacity {
                Some(c) => {
                    let (_, service) = workers(c, latency);
                    queueing::Response::station(&MMc {
                        lambda: st.peak_rps,
                        mu: 1.0 / service,
                        servers: st.servers,
                    })
                }
                None => queueing::Response::fixed(latency),
            };
            let (p, rr) = if scatter_p + scatter_r > 0.0 {
                (scatter_p, scatter_r)
            } else {
                (1.0, 0.0)
            };
            scatter_parts.push(vec![(p, law(&primary)), (rr, law(&rep))]);
        }
        let rp = if to_replicas > 0.0 {
            rep.p99_s
        } else {
            primary.p99_s
        };
        if s >= 0.01 || placement.shards.len() == 1 || scatter_reads > 0.0 {
            read_p99 = read_p99.max(rp);
            write_p99 = write_p99.max(primary.p99_s + sync_extra);
        }
        let shard_writes = s * inflow.writes;
        let requests = shard_reads + shard_writes;
        let (shard_resp, shard_wait) = if requests > 0.0 {
            (
                (rs * shard_reads + ws * shard_writes) / requests,
                (rw * shard_reads + primary.wait_s * shard_writes) / requests,
            )
        } else {
            (rs, rw)
        };
        let shard_p99 = if inflow.writes > 0.0 {
            rp.max(primary.p99_s + sync_extra)
        } else {
            rp
        };
        // A request's wait at the copy, a scatter-gather read counted at
        // every shard's share of the copy's requests like a keyed one.
        wait += s * shard_wait;
        let members = if replicas > 0 {
            MemberLoads {
                applied_rps: s * applied * peak,
                primary_reads_rps: (s * inflow.reads_primary + inflow.scatter_primary) * peak,
                replica_reads_rps: (s * inflow.reads_replicas + inflow.scatter_replicas) * peak,
                any_reads_rps: (s * inflow.reads_any + inflow.scatter_any) * peak,
            }
        } else {
            MemberLoads {
                applied_rps: s * applied * peak,
                primary_reads_rps: to_primary * peak,
                ..MemberLoads::default()
            }
        };
        e.shards.push(ShardEstimate {
            shard: sh.index,
            dedicated_key: sh.dedicated_key.clone(),
            share: s,
            heaviest: sh.heaviest.clone(),
            primary,
            replica,
            peak_rps: requests * peak,
            capacity_rps: capacity.map(|c| c * (1.0 + r)),
            utilization: util,
            wait_s: shard_wait,
            response_s: shard_resp,
            p99_s: shard_p99,
            members,
        });
    }
    // A scatter-gather read waits for its slowest shard (§13): the mean and
    // p99 of the slowest of independent shard responses. The what-ifs that
    // read loads only take the slowest shard's mean.
    if scatter_reads > 0.0 {
        let (slowest, slowest_p99) = if scatter_parts.is_empty() {
            (scatter_slowest_mean, scatter_slowest_mean)
        } else {
            queueing::slowest_of(&scatter_parts, 0.99)
        };
        let reads = keyed_reads + scatter_reads;
        e.keyed_read_response_s = read_resp;
        e.scatter_read_response_s = slowest;
        read_resp = (read_resp * keyed_reads + slowest * scatter_reads) / reads;
        read_p99 = read_p99.max(slowest_p99);
    }
    let total_shards = placement.shards.len() as u32;
    e.instances = (1 + replicas) * total_shards;
    if comp.managed {
        e.instances = 1;
    }
    e.capacity_rps = capacity.map(|c| c * f64::from(e.instances));
    e.utilization = busiest;
    e.utilization_at_max = busiest_at_max;
    if scatter_reads <= 0.0 {
        e.keyed_read_response_s = read_resp;
        e.scatter_read_response_s = read_resp;
    }
    e.read_response_s = read_resp;
    e.write_response_s = write_resp;
    e.read_p99_s = read_p99;
    e.write_p99_s = write_p99;
    let reads = keyed_reads + scatter_reads;
    let writes = inflow.writes;
    e.response_s = if reads + writes > 0.0 {
        (read_resp * reads + write_resp * writes) / (reads + writes)
    } else {
        read_resp
    };
    e.p99_s = read_p99.max(write_p99);
    e.wait_s = wait;
}

fn class_estimates(
    model: &Model,
    est: &Estimate,
    entry: PerClass,
    peak: f64,
    avail: &[f64; 3],
) -> Vec<ClassEstimate> {
    let mut out = Vec::new();
    for class in Class::ALL {
        let c = class.index();
        let rate = entry[c];
        if rate <= 0.0 && model.traffic.is_some() {
            continue;
        }
        let mut mean = 0.0;
        let mut p99 = 0.0;
        if rate > 0.0 {
            // The mean adds every copy's response time weighted by how often
            // a request visits it. The p99 estimate (RULES.md `slo-latency`)
            // adds p99s along one request's path: the copies of a component
            // in different datacenters are alternatives a request takes one
            // of, not stages it passes through, so a component counts once,
            // with the largest p99 among its visited copies, when the class
            // reaches it with probability 1% or more. Hops count the same
            // way per flow edge.
            let mut visits_of = vec![0.0_f64; model.components.len()];
            let mut p99_of = vec![0.0_f64; model.components.len()];
            for node in model.graph.node_indices() {
                let visits = est.flows.sync[node.index()][c] / rate;
                if visits <= 0.0 {
                    continue;
                }
                let ce = est.copy(node);
                let (resp, q99) = match class {
                    Class::Write => (ce.write_response_s, ce.write_p99_s),
                    _ => (ce.keyed_read_response_s, ce.read_p99_s),
                };
                // Scatter-gather reads (all of class `read`) wait for the
                // slowest shard; every other read for its key's shard.
                let scatter = match class {
                    Class::Read => (est.flows.db[node.index()].scatter_sync / rate).min(visits),
                    _ => 0.0,
                };
                // A term with no visits adds nothing, even at an unstable
                // copy (0 × ∞ would be NaN).
                if visits > scatter {
                    mean += (visits - scatter) * resp;
                }
                if scatter > 0.0 {
                    mean += scatter * ce.scatter_read_response_s;
                }
                let comp = model.graph[node].component;
                visits_of[comp] += visits;
                p99_of[comp] = p99_of[comp].max(q99);
            }
            // A component a request visits several times in turn (a call
            // count, `x10`, or two edges to it) adds its p99 once a visit:
            // the sum of the p99s bounds the p99 of the sum.
            p99 += (0..visits_of.len())
                .filter(|i| visits_of[*i] >= 0.01)
                .map(|i| p99_of[i] * visits_of[i].max(1.0))
                .sum::<f64>();
            let mut flow_visits = vec![0.0_f64; model.flows.len()];
            let mut flow_hop = vec![0.0_f64; model.flows.len()];
            for edge in model.graph.edge_indices() {
                let visits = est.flows.edge_sync[edge.index()][c] / rate;
                if visits <= 0.0 {
                    continue;
                }
                let e = model.graph[edge];
                let hop = if e.cross_dc {
                    model.assumptions.cross_dc_latency.value
                } else {
                    model.assumptions.hop_latency.value
                };
                mean += visits * hop;
                if let CopyEdgeKind::Call(fid) = e.kind {
                    flow_visits[fid] += visits;
                    flow_hop[fid] = flow_hop[fid].max(hop);
                }
            }
            p99 += (0..flow_visits.len())
                .filter(|i| flow_visits[*i] >= 0.01)
                .map(|i| flow_hop[i] * flow_visits[i].max(1.0))
                .sum::<f64>();
        }
        out.push(ClassEstimate {
            class,
            avg_rps: rate,
            peak_rps: rate * peak,
            mean_latency_s: mean,
            p99_estimate_s: p99,
            // Filled in below, the classes side by side.
            p99_s: 0.0,
            availability: avail[c],
        });
    }
    out
}

/// Each class's p99 ([`tail::class_quantile`]), in the order of
/// `est.classes`; zero for a class without traffic.
fn class_p99s(model: &Model, est: &Estimate) -> Vec<f64> {
    if est.classes.iter().all(|ce| ce.avg_rps <= 0.0) {
        return vec![0.0; est.classes.len()];
    }
    let shared = tail::Shared::new(model, est);
    est.classes
        .iter()
        .map(|ce| {
            if ce.avg_rps > 0.0 {
                tail::class_quantile(model, est, &shared, ce.class, 0.99)
            } else {
                0.0
            }
        })
        .collect()
}

/// Data kept per day, per database copy and shard, storage copy, and queue
/// copy whose backlog grows; with `retention`, what is kept after it.
///
/// A database write stores the database's `record_size` when it is
/// written, else `traffic.write_size`, × (1 + replicas) (managed: × 1). A
/// storage write stores `write_size` once. A queue message carries one
/// write (`write_size`); a queue keeps only what its consumers cannot
/// drain, so its figure is the backlog's growth (none for a queue that
/// keeps up), and what it retains is capped by `max_backlog`. Rates capped
/// by a queue loop are not turned into queue storage.
fn storage(model: &Model, est: &mut Estimate) {
    let Some(t) = &model.traffic else { return };
    let write_size = t.write_size.value;
    let retention_days = t.retention.as_ref().map(|r| r.value / 86_400.0);
    let mut total = 0.0;
    for node in model.graph.node_indices() {
        let copy = model.graph[node];
        let comp = &model.components[copy.component];
        let dc = model.dc_name(copy.dc).map(String::from);
        let row = |bytes_per_day: f64, record_bytes: f64, assumed: bool| StorageEstimate {
            component: comp.name.clone(),
            datacenter: dc.clone(),
            shard: None,
            bytes_per_day,
            bytes_retained: retention_days.map(|d| bytes_per_day * d),
            record_bytes,
            assumed,
            backlog_growth_per_s: None,
        };
        match comp.kind {
            Kind::Database => {
                let Some(db) = comp.database() else { continue };
                let mut writes = est.flows.db[node.index()].writes;
                if db.cross_dc.value != CrossDc::None {
                    writes = model
                        .copies_of(copy.component)
                        .map(|(_, n)| est.flows.db[n.index()].writes)
                        .sum();
                }
                let copies = if comp.managed {
                    1.0
                } else {
                    1.0 + f64::from(comp.replicas.value)
                };
                let (record, assumed) = if db.record_size.is_default() {
                    (write_size, t.write_size.is_default())
                } else {
                    (db.record_size.value, false)
                };
                let per_day = writes * 86_400.0 * record * copies;
                total += per_day;
                let shards = &est.copies[node.index()].shards;
                if shards.len() > 1 {
                    for s in shards {
                        est.storage.push(StorageEstimate {
                            shard: Some(s.shard),
                            ..row(per_day * s.share, record, assumed)
                        });
                    }
                } else {
                    est.storage.push(row(per_day, record, assumed));
                }
            }
            Kind::Storage => {
                let mut writes = est.flows.total(node)[Class::Write.index()];
                if comp.cross_dc() != Some(CrossDc::None) {
                    writes = model
                        .copies_of(copy.component)
                        .map(|(_, n)| est.flows.total(n)[Class::Write.index()])
                        .sum();
                }
                let per_day = writes * 86_400.0 * write_size;
                total += per_day;
                est.storage
                    .push(row(per_day, write_size, t.write_size.is_default()));
            }
            Kind::Queue if !est.unbounded => {
                let Some(drain) = est.copies[node.index()].drain_rps else {
                    continue;
                };
                let growth = sum(est.flows.total(node)) - drain;
                if growth <= 0.0 {
                    continue;
                }
                let per_day = growth * 86_400.0 * write_size;
                total += per_day;
                let cap = comp
                    .queue()
                    .and_then(|q| q.max_backlog.as_ref())
                    .map(|m| m.value * write_size);
                let mut r = row(per_day, write_size, t.write_size.is_default());
                r.bytes_retained = r.bytes_retained.map(|b| cap.map_or(b, |c| b.min(c)));
                r.backlog_growth_per_s = Some(growth);
                est.storage.push(r);
            }
            _ => {}
        }
    }
    est.storage_bytes_per_day = total;
    est.storage_bytes_retained =
        retention_days.map(|_| est.storage.iter().filter_map(|s| s.bytes_retained).sum());
}

/// Response bytes at peak: CDN hits are served by the CDN, every other
/// entry request by the origin.
fn bandwidth(model: &Model, est: &Estimate, entry: PerClass, peak: f64) -> Option<Bandwidth> {
    let payload = model.traffic.as_ref()?.payload.as_ref()?.value;
    let mut cdn_hits = 0.0;
    for node in model.graph.node_indices() {
        let comp = &model.components[model.graph[node].component];
        if let Some(cdn) = comp.cdn() {
            cdn_hits += est.flows.total(node)[Class::Static.index()] * cdn.hit_ratio.value;
        }
    }
    let total = sum(entry);
    Some(Bandwidth {
        cdn_bytes_per_s: cdn_hits * peak * payload,
        origin_bytes_per_s: (total - cdn_hits).max(0.0) * peak * payload,
    })
}

/// The figures with `dc` lost: its weight shared among the others.
fn dc_loss(
    model: &Model,
    order: &load::Order,
    dc: DcId,
    entry: PerClass,
    peak: f64,
    cache: &mut PlacementCache,
) -> DcLoss {
    let flows = load::propagate_in(model, entry, Some(dc), None, order);
    let target = model.assumptions.target_utilization.value;
    let mut peak_rps = Vec::with_capacity(model.graph.node_count());
    let mut util = Vec::with_capacity(model.graph.node_count());
    for node in model.graph.node_indices() {
        let e = copy_estimate(model, &flows, node, peak, target, cache, Detail::LoadOnly);
        peak_rps.push(e.peak_rps);
        util.push(e.utilization_at_max);
    }
    DcLoss {
        datacenter: dc,
        peak_rps,
        utilization_at_max: util,
    }
}

/// Components a class's requests reach (synchronously or not).
pub fn reached_components(model: &Model, est: &Estimate, class: Class) -> Vec<ComponentId> {
    let mut seen = vec![false; model.components.len()];
    for node in model.graph.node_indices() {
        if est.flows.total(node)[class.index()] > 0.0 {
            seen[model.graph[node].component] = true;
        }
    }
    (0..seen.len()).filter(|i| seen[*i]).collect()
}
