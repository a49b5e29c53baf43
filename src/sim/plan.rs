//! The simulation plan: everything the event loop needs from the model,
//! flattened once into tables indexed by integers (LANGUAGE.md §6–§10).
//!
//! The event loop never looks at the model: a copy is a [`NodePlan`] at its
//! graph node index, a queueing station is a [`StationPlan`], a call is a
//! [`CallPlan`] with its callee copies as a slice of [`TargetPlan`]s. Building
//! the tables here, once, is what lets the loop run without allocating or
//! searching per event.

use crate::estimate::shards::ShardSampler;
use crate::estimate::{self, Estimate, queueing, shards::PlacementCache};
use crate::model::Comparison;
use crate::model::{
    Class, CopyEdgeKind, CrossDc, DcId, FailoverMode, Kind, Metric, Model, ReadFrom, Role,
    Scenario, ScenarioAction, TargetRef, instances_in_zone,
};
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use super::{Options, RateMode, SimError};

/// Messages a queue without `max_backlog` holds per consumer copy before
/// it refuses more: the language leaves the backlog unbounded, the
/// simulator keeps its memory bounded.
pub const DEFAULT_BACKLOG: usize = 1_000_000;
/// A station's waiting line holds at least this many requests...
pub const MIN_QUEUE_BOUND: usize = 1_000;
/// ...and otherwise this many per serving worker: an instance accepts ten
/// waiting requests per worker, so a full line waits about ten service
/// times, well inside a service's timeout. Deeper lines would let an
/// overloaded copy serve only requests its callers have given up on.
pub const QUEUE_PER_WORKER: usize = 10;
/// `autoscale` copies re-target their instance count this often (§7).
pub const AUTOSCALE_PERIOD_S: f64 = 60.0;
/// No `choice` among shared edges.
pub const NONE: u16 = u16::MAX;

/// What happens when a request reaches a copy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Exec {
    /// No capacity limit and no latency (`client`, `dns`): routing only.
    Pass,
    /// No capacity limit: the request just takes this many seconds.
    Delay(f64),
    /// One FIFO queue in front of instances × k workers.
    Station(u32),
    /// A database copy: shards × (primary + replicas) stations.
    Db(u32),
}

/// What a copy does once it has served a request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum After {
    /// Calls its matching edges in order.
    Calls,
    /// A cache answers reads and static requests with this probability.
    Cache(f64),
    /// A CDN answers static requests with this probability; with
    /// `fallback = origin` static requests skip it while it is down.
    Cdn { hit: f64, fallback_origin: bool },
    /// A database or storage answers everything.
    Sink,
    /// A queue accepts the message (index into [`Plan::queues`]).
    Queue(u32),
}

#[derive(Clone, Debug)]
pub struct NodePlan {
    pub component: usize,
    pub dc: Option<DcId>,
    pub kind: Kind,
    pub exec: Exec,
    pub after: After,
    /// Per class: calls as `(start, len)` into [`Plan::calls`].
    pub calls: [(u32, u32); 3],
    /// Per class: shared calls as `(start, len)` into [`Plan::shares`].
    pub shares: [(u32, u32); 3],
    /// A service's `timeout`, infinite for other kinds.
    pub timeout: f64,
    /// Extra seconds a `write` spends at a copy without capacity: a
    /// database with `cross_dc = sync` and copies elsewhere waits for them
    /// (`cross_dc_latency`), as [`DbPlan::sync_delay`] does for databases
    /// with capacity.
    pub write_delay: f64,
    /// `web@us-east`.
    pub name: String,
    pub component_name: String,
    pub dc_name: Option<String>,
}

/// One outgoing flow edge of a copy, for one class.
#[derive(Clone, Copy, Debug)]
pub struct CallPlan {
    /// Callee copies as `(start, len)` into [`Plan::targets`].
    pub targets: (u32, u32),
    pub shared: bool,
    pub role: Option<Role>,
    /// Calls made one after another per request (`x10`, §13), at least 1.
    pub repeat: u32,
    /// A scatter-gather read (`all-shards`): the callee database serves it
    /// on every shard at once, and it returns when the last one answers.
    pub all_shards: bool,
}

/// A callee copy of a call, with the cumulative probability of choosing it.
#[derive(Clone, Copy, Debug)]
pub struct TargetPlan {
    pub node: u32,
    /// Cumulative fraction over the call's targets (the last one is 1).
    pub cum: f64,
    /// The edge's own fraction, before any DNS failover re-weighting.
    pub base: f64,
    /// Seconds the hop adds: `hop_latency`, or `cross_dc_latency`.
    pub hop: f64,
    pub dc: Option<DcId>,
}

/// A queueing station: one FIFO queue, `max_instances × k` workers.
#[derive(Clone, Debug)]
pub struct StationPlan {
    pub node: u32,
    /// Workers per instance (k of §7).
    pub k: u32,
    /// Mean service time, k / C seconds.
    pub mean: f64,
    /// Capacity of one instance, per second.
    pub capacity: f64,
    /// Instance slots (autoscale max, else the instance count).
    pub max_instances: u32,
    /// Instances serving at the start.
    pub start_instances: u32,
    pub autoscale: Option<(u32, u32)>,
    /// Waiting requests a queue consumer holds (the queue's `max_backlog`);
    /// `None` for other stations, whose bound follows their serving
    /// workers ([`MIN_QUEUE_BOUND`], [`QUEUE_PER_WORKER`]).
    pub backlog_bound: Option<usize>,
    /// Seconds until the load balancer in front notices a dead instance.
    pub detect: f64,
    /// A queue consumer: its waiting line is the queue's backlog, which
    /// waits (rather than fails) while no instance is alive.
    pub backlog: bool,
    /// For a database station: (database, shard, slot within the shard).
    pub db: Option<(u32, u32, u32)>,
    /// First index of this station's instances in the engine's arrays.
    pub first_instance: u32,
    /// First index of this station's workers in the engine's arrays.
    pub first_worker: u32,
}

/// A database copy with capacity: its shards' stations.
#[derive(Clone, Debug)]
pub struct DbPlan {
    pub node: u32,
    /// Per shard: station ids; slot 0 is the primary at the start.
    pub shards: Vec<Vec<u32>>,
    pub sampler: Option<ShardSampler>,
    pub read_from: ReadFrom,
    pub failover: FailoverMode,
    pub failover_time: f64,
    /// Every datacenter's copy applies the writes of the others.
    pub cross_dc: bool,
    /// Writes wait for the other datacenters (`cross_dc = sync`).
    pub sync_delay: f64,
    /// The same database's copies in other datacenters (indices into
    /// [`Plan::dbs`]).
    pub peers: Vec<u32>,
    /// Shard names for output: `None`, or the dedicated key.
    pub dedicated: Vec<Option<String>>,
}

/// A queue copy: the consumer copies its messages go to.
#[derive(Clone, Debug)]
pub struct QueuePlan {
    pub node: u32,
    /// Per consuming service: its copies as `(start, len)` into
    /// [`Plan::targets`]. A message goes to one service, chosen evenly.
    pub consumers: Vec<(u32, u32)>,
    pub durable: bool,
}

/// A `dns` copy that may stop sending to failed datacenters.
#[derive(Clone, Debug)]
pub struct DnsPlan {
    pub node: u32,
    pub failover: bool,
    pub ttl: f64,
    /// Datacenters its successors are placed in.
    pub dcs: Vec<DcId>,
    /// Per entry of `dcs`: the copies in that datacenter its requests need.
    pub needed: Vec<Vec<u32>>,
    /// Target ranges (into [`Plan::targets`]) to re-weight on failover.
    pub ranges: Vec<(u32, u32)>,
}

/// One change a scenario makes.
#[derive(Clone, Debug, PartialEq)]
pub enum Act {
    FailNode(u32),
    RecoverNode(u32),
    FailInstances(u32, u32),
    RecoverInstances(u32, u32),
    FailPrimary(u32),
    /// A copy's instances (or database members) in zone `.1` of `.2`.
    FailZone(u32, u32, u32),
    RecoverZone(u32, u32, u32),
    RecoverPrimary(u32),
    DcDown(DcId),
    DcUp(DcId),
    Traffic(f64),
}

/// A scenario event: seconds from the scenario's start, its acts, its text.
#[derive(Clone, Debug)]
pub struct EventPlan {
    pub at: f64,
    pub acts: Vec<Act>,
    pub text: String,
}

/// What an expectation measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MetricPlan {
    P50,
    P90,
    P99,
    P999,
    Mean,
    ErrorRate,
    Throughput,
    Utilization(u32),
}

#[derive(Clone, Debug)]
pub struct ExpectPlan {
    pub text: String,
    pub metric: MetricPlan,
    pub op: Comparison,
    /// In base units (seconds, fraction, per second).
    pub bound: f64,
    /// Index into [`Plan::windows`] (0 is the whole run).
    pub window: usize,
    pub during: Option<(f64, f64)>,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub nodes: Vec<NodePlan>,
    pub stations: Vec<StationPlan>,
    pub dbs: Vec<DbPlan>,
    pub queues: Vec<QueuePlan>,
    pub dns: Vec<DnsPlan>,
    pub calls: Vec<CallPlan>,
    pub shares: Vec<(u16, f64)>,
    pub targets: Vec<TargetPlan>,
    /// Entry copies with cumulative probabilities.
    pub entries: Vec<(u32, f64)>,
    /// Cumulative class probabilities (static, read, write).
    pub class_cum: [f64; 3],
    /// Entry requests per second at the start.
    pub rate: f64,
    pub target_utilization: f64,
    /// Frames a request's call stack can need.
    pub depth: usize,
    pub instances: usize,
    pub workers: usize,
    pub datacenters: usize,
    /// Per datacenter: the copies placed there.
    pub dc_nodes: Vec<Vec<u32>>,
    pub dc_names: Vec<String>,
    pub events: Vec<EventPlan>,
    pub expectations: Vec<ExpectPlan>,
    /// Measurement windows relative to the scenario's start; 0 is the run.
    pub windows: Vec<(f64, f64)>,
    pub warmup: f64,
    /// Run length after the warm-up, when bounded by time.
    pub duration: Option<f64>,
    /// Measured arrivals, when bounded by requests.
    pub requests: Option<u64>,
    /// Timeline bucket width, seconds.
    pub bucket: f64,
    pub system: String,
    pub scenario: Option<String>,
}

impl Plan {
    /// The plan of `model` under `scenario`, sized from `est` (the
    /// model's estimate, computed once by the caller for every scenario).
    pub fn build(
        model: &Model,
        est: &Estimate,
        scenario: Option<&Scenario>,
        opts: &Options,
    ) -> Result<Plan, SimError> {
        let traffic = model.traffic.as_ref().ok_or(SimError::NoTraffic)?;
        let peak = traffic.peak.value;
        let rate = match opts.rate {
            RateMode::Peak => traffic.rate * peak,
            RateMode::Avg => traffic.rate,
        };
        if !(rate.is_finite() && rate > 0.0) {
            return Err(SimError::NoTraffic);
        }
        let mut b = Builder {
            model,
            est,
            opts,
            plan: Plan {
                nodes: Vec::new(),
                stations: Vec::new(),
                dbs: Vec::new(),
                queues: Vec::new(),
                dns: Vec::new(),
                calls: Vec::new(),
                shares: Vec::new(),
                targets: Vec::new(),
                entries: Vec::new(),
                class_cum: [0.0; 3],
                rate,
                target_utilization: model.assumptions.target_utilization.value,
                depth: 1,
                instances: 0,
                workers: 0,
                datacenters: model.datacenters.len(),
                dc_nodes: vec![Vec::new(); model.datacenters.len()],
                dc_names: model.datacenters.iter().map(|d| d.name.clone()).collect(),
                events: Vec::new(),
                expectations: Vec::new(),
                windows: Vec::new(),
                warmup: opts.warmup_s,
                duration: None,
                requests: None,
                bucket: 1.0,
                system: model.system.clone(),
                scenario: scenario.map(|s| s.name.clone()),
            },
            placements: PlacementCache::default(),
        };
        b.nodes();
        b.calls();
        b.entries(traffic);
        b.dns();
        b.plan.depth = call_depth(&b.plan);
        b.scenario(scenario)?;
        b.limits(scenario)?;
        Ok(b.plan)
    }
}

struct Builder<'a> {
    model: &'a Model,
    est: &'a Estimate,
    opts: &'a Options,
    plan: Plan,
    placements: PlacementCache,
}

impl Builder<'_> {
    /// One [`NodePlan`] per copy, with its stations.
    fn nodes(&mut self) {
        let model = self.model;
        for node in model.graph.node_indices() {
            let copy = model.graph[node];
            let comp = &model.components[copy.component];
            let n = node.index() as u32;
            if let Some(dc) = copy.dc {
                self.plan.dc_nodes[dc].push(n);
            }
            let capacity = comp.capacity.value;
            let latency = comp.latency.value;
            let exec = match capacity {
                Some(c) if c > 0.0 && comp.kind == Kind::Database => self.database(node, c),
                Some(c) if c > 0.0 => Exec::Station(self.station(node, c, None)),
                _ if latency > 0.0 => Exec::Delay(latency),
                _ => Exec::Pass,
            };
            let after = match comp.kind {
                Kind::Cache => After::Cache(comp.cache().map_or(0.0, |c| c.hit_ratio.value)),
                Kind::Cdn => {
                    let cdn = comp.cdn();
                    After::Cdn {
                        hit: cdn.map_or(0.0, |c| c.hit_ratio.value),
                        fallback_origin: cdn
                            .is_some_and(|c| c.fallback.value == crate::model::Fallback::Origin),
                    }
                }
                Kind::Database | Kind::Storage => After::Sink,
                Kind::Queue => {
                    let q = self.queue(node);
                    After::Queue(q)
                }
                _ => After::Calls,
            };
            let timeout = comp
                .service()
                .map_or(f64::INFINITY, |s| s.timeout.value.max(0.0));
            let write_delay = match (exec, comp.database()) {
                (Exec::Delay(_) | Exec::Pass, Some(db))
                    if db.cross_dc.value == CrossDc::Sync
                        && model.copies_of(copy.component).count() > 1 =>
                {
                    model.assumptions.cross_dc_latency.value
                }
                _ => 0.0,
            };
            let exec = match exec {
                Exec::Pass if write_delay > 0.0 => Exec::Delay(0.0),
                e => e,
            };
            self.plan.nodes.push(NodePlan {
                component: copy.component,
                dc: copy.dc,
                kind: comp.kind,
                exec,
                after,
                calls: [(0, 0); 3],
                shares: [(0, 0); 3],
                timeout,
                write_delay,
                name: model.copy_name(copy),
                component_name: comp.name.clone(),
                dc_name: model.dc_name(copy.dc).map(String::from),
            });
        }
    }

    /// A station for a copy (or one database instance when `db` is set).
    fn station(&mut self, node: NodeIndex, capacity: f64, db: Option<(u32, u32, u32)>) -> u32 {
        let model = self.model;
        let copy = model.graph[node];
        let comp = &model.components[copy.component];
        let (k, mean) = estimate::workers(capacity, comp.latency.value);
        let single = db.is_some() || comp.provider_scaled();
        let (max_instances, start_instances, autoscale) = if single {
            (1, 1, None)
        } else if let Some(a) = &comp.autoscale {
            let (lo, hi) = a.value;
            let ce = self.est.copy(node);
            let rate = match self.opts.rate {
                RateMode::Peak => ce.peak_rps,
                RateMode::Avg => ce.avg_rps,
            };
            let (n, _) = queueing::servers_for_target(
                rate,
                capacity,
                model.assumptions.target_utilization.value,
                u64::from(lo),
                u64::from(hi),
            );
            (
                hi.max(1),
                (n as u32).clamp(lo.max(1), hi.max(1)),
                Some((lo, hi)),
            )
        } else {
            let n = comp.replicas.value.max(1);
            (n, n, None)
        };
        let consumer = comp.service().and_then(|s| s.consumes.as_ref());
        let backlog_bound = consumer.map(|q| {
            model.components[q.value]
                .queue()
                .and_then(|q| q.max_backlog.as_ref())
                .map_or(DEFAULT_BACKLOG, |m| m.value.clamp(1.0, 1e9) as usize)
        });
        // The load balancers in front notice a dead instance after their
        // health interval; callers without one see it at once.
        let detect = model
            .flows_to(copy.component)
            .filter_map(|(_, f)| model.components[f.from].lb())
            .map(|lb| lb.health_interval.value)
            .fold(0.0_f64, f64::max);
        let id = self.plan.stations.len() as u32;
        self.plan.stations.push(StationPlan {
            node: node.index() as u32,
            k,
            mean,
            capacity,
            max_instances,
            start_instances,
            autoscale,
            backlog_bound,
            detect: if db.is_some() { 0.0 } else { detect },
            backlog: consumer.is_some(),
            db,
            first_instance: self.plan.instances as u32,
            first_worker: self.plan.workers as u32,
        });
        self.plan.instances += max_instances as usize;
        self.plan.workers += max_instances as usize * k as usize;
        id
    }

    fn database(&mut self, node: NodeIndex, capacity: f64) -> Exec {
        let model = self.model;
        let copy = model.graph[node];
        let comp = &model.components[copy.component];
        let Some(db) = comp.database() else {
            return Exec::Station(self.station(node, capacity, None));
        };
        let id = self.plan.dbs.len() as u32;
        let replicas = if comp.managed { 0 } else { comp.replicas.value };
        let (sampler, dedicated) = if db.total_shards() > 1 {
            let placement = self.placements.get(&db.shard_spec());
            let names = placement
                .shards
                .iter()
                .map(|s| s.dedicated_key.clone())
                .collect();
            (Some(ShardSampler::from_placement(&placement)), names)
        } else {
            (None, vec![None])
        };
        let mut shards = Vec::new();
        for s in 0..dedicated.len() as u32 {
            let mut slots = Vec::new();
            for j in 0..=replicas {
                slots.push(self.station(node, capacity, Some((id, s, j))));
            }
            shards.push(slots);
        }
        let others = model.copies_of(copy.component).count() > 1;
        let cross = db.cross_dc.value != CrossDc::None;
        self.plan.dbs.push(DbPlan {
            node: node.index() as u32,
            shards,
            sampler,
            read_from: db.read_from.value,
            failover: db.failover.value,
            failover_time: db.failover_time.value,
            cross_dc: cross,
            sync_delay: if db.cross_dc.value == CrossDc::Sync && others {
                model.assumptions.cross_dc_latency.value
            } else {
                0.0
            },
            peers: Vec::new(),
            dedicated,
        });
        Exec::Db(id)
    }

    fn queue(&mut self, node: NodeIndex) -> u32 {
        let model = self.model;
        let copy = model.graph[node];
        let comp = &model.components[copy.component];
        let mut consumers: Vec<usize> = model.consumers_of(copy.component).collect();
        consumers.sort_unstable();
        let mut ranges = Vec::new();
        for c in consumers {
            let mut edges: Vec<(u32, f64, bool)> = model
                .graph
                .edges(node)
                .filter(|e| {
                    e.weight().kind == CopyEdgeKind::Consume
                        && model.graph[e.target()].component == c
                })
                .map(|e| {
                    (
                        e.target().index() as u32,
                        e.weight().fraction,
                        e.weight().cross_dc,
                    )
                })
                .collect();
            if edges.is_empty() {
                continue;
            }
            edges.sort_by_key(|e| e.0);
            ranges.push(self.push_targets(&edges));
        }
        let id = self.plan.queues.len() as u32;
        self.plan.queues.push(QueuePlan {
            node: node.index() as u32,
            consumers: ranges,
            durable: comp.queue().is_none_or(|q| q.durable.value),
        });
        id
    }

    /// Appends callee copies with cumulative fractions.
    fn push_targets(&mut self, edges: &[(u32, f64, bool)]) -> (u32, u32) {
        let start = self.plan.targets.len() as u32;
        let total: f64 = edges.iter().map(|e| e.1).sum();
        let mut acc = 0.0;
        for (i, &(node, fraction, cross)) in edges.iter().enumerate() {
            let base = if total > 0.0 {
                fraction / total
            } else {
                1.0 / edges.len() as f64
            };
            acc += base;
            let hop = if cross {
                self.model.assumptions.cross_dc_latency.value
            } else {
                self.model.assumptions.hop_latency.value
            };
            self.plan.targets.push(TargetPlan {
                node,
                cum: if i + 1 == edges.len() { 1.0 } else { acc },
                base,
                hop,
                dc: self.model.graph[NodeIndex::new(node as usize)].dc,
            });
        }
        (start, edges.len() as u32)
    }

    /// Per copy and class, the matching flow edges in the order written.
    fn calls(&mut self) {
        let model = self.model;
        for node in model.graph.node_indices() {
            let n = node.index();
            let component = model.graph[node].component;
            if matches!(self.plan.nodes[n].after, After::Sink | After::Queue(_)) {
                continue;
            }
            for class in Class::ALL {
                let start = self.plan.calls.len() as u32;
                let share_start = self.plan.shares.len() as u32;
                for (fid, flow) in model.flows_from(component) {
                    if !flow.classes.contains(class) {
                        continue;
                    }
                    let mut edges: Vec<(u32, f64, bool)> = model
                        .call_edges(node, fid)
                        .map(|(_, target, e)| (target.index() as u32, e.fraction, e.cross_dc))
                        .collect();
                    if edges.is_empty() {
                        continue;
                    }
                    edges.sort_by_key(|e| e.0);
                    let targets = self.push_targets(&edges);
                    let pos = self.plan.calls.len() as u32 - start;
                    if let Some(share) = flow.share {
                        self.plan.shares.push((pos as u16, share));
                    }
                    self.plan.calls.push(CallPlan {
                        targets,
                        shared: flow.share.is_some(),
                        role: flow.role,
                        repeat: flow.calls.max(1),
                        all_shards: flow.all_shards,
                    });
                }
                let len = self.plan.calls.len() as u32 - start;
                let share_len = self.plan.shares.len() as u32 - share_start;
                // Shares become cumulative so one draw picks at most one.
                let mut acc = 0.0;
                for s in &mut self.plan.shares[share_start as usize..] {
                    acc += s.1;
                    s.1 = acc;
                }
                self.plan.nodes[n].calls[class.index()] = (start, len);
                self.plan.nodes[n].shares[class.index()] = (share_start, share_len);
            }
        }
        // Database copies of one component know each other for cross_dc.
        let dbs = self.plan.dbs.clone();
        for (i, d) in dbs.iter().enumerate() {
            let comp = self.plan.nodes[d.node as usize].component;
            self.plan.dbs[i].peers = dbs
                .iter()
                .enumerate()
                .filter(|(j, o)| *j != i && self.plan.nodes[o.node as usize].component == comp)
                .map(|(j, _)| j as u32)
                .collect();
        }
    }

    fn entries(&mut self, traffic: &crate::model::Traffic) {
        let model = self.model;
        let mut entries = Vec::new();
        for (node, w) in model.entry_copies() {
            entries.push((node.index() as u32, w));
        }
        let total: f64 = entries.iter().map(|e| e.1).sum();
        let mut acc = 0.0;
        let count = entries.len();
        for (i, e) in entries.iter_mut().enumerate() {
            acc += if total > 0.0 {
                e.1 / total
            } else {
                1.0 / count as f64
            };
            e.1 = if i + 1 == count { 1.0 } else { acc };
        }
        self.plan.entries = entries;
        let rates = [
            traffic.class_rate(Class::Static),
            traffic.class_rate(Class::Read),
            traffic.class_rate(Class::Write),
        ];
        let sum: f64 = rates.iter().sum();
        let mut acc = 0.0;
        for (c, r) in rates.iter().enumerate() {
            acc += if sum > 0.0 { r / sum } else { 0.0 };
            self.plan.class_cum[c] = acc;
        }
        self.plan.class_cum[2] = 1.0;
    }

    /// DNS copies: which datacenters they send to and what each needs.
    fn dns(&mut self) {
        for n in 0..self.plan.nodes.len() {
            if self.plan.nodes[n].kind != Kind::Dns {
                continue;
            }
            let comp = &self.model.components[self.plan.nodes[n].component];
            let Some(spec) = comp.dns() else { continue };
            let mut ranges = Vec::new();
            let mut dcs: Vec<DcId> = Vec::new();
            for class in 0..3 {
                let (start, len) = self.plan.nodes[n].calls[class];
                for call in &self.plan.calls[start as usize..(start + len) as usize] {
                    ranges.push(call.targets);
                    let (ts, tl) = call.targets;
                    for t in &self.plan.targets[ts as usize..(ts + tl) as usize] {
                        if let Some(dc) = t.dc
                            && !dcs.contains(&dc)
                        {
                            dcs.push(dc);
                        }
                    }
                }
            }
            dcs.sort_unstable();
            let needed = dcs.iter().map(|&dc| self.needed_in(n as u32, dc)).collect();
            self.plan.dns.push(DnsPlan {
                node: n as u32,
                failover: spec.failover.value,
                ttl: spec.ttl.value,
                dcs,
                needed,
                ranges,
            });
        }
    }

    /// Copies in `dc` that requests sent by `from` into `dc` reach through
    /// calls that stay inside `dc` (§6 "a copy its requests need").
    fn needed_in(&self, from: u32, dc: DcId) -> Vec<u32> {
        let mut seen = vec![false; self.plan.nodes.len()];
        let mut stack: Vec<u32> = Vec::new();
        let push_succ = |n: u32, stack: &mut Vec<u32>, seen: &mut Vec<bool>| {
            let node = &self.plan.nodes[n as usize];
            for class in 0..3 {
                let (start, len) = node.calls[class];
                for call in &self.plan.calls[start as usize..(start + len) as usize] {
                    let (ts, tl) = call.targets;
                    for t in &self.plan.targets[ts as usize..(ts + tl) as usize] {
                        if t.dc == Some(dc) && !seen[t.node as usize] {
                            seen[t.node as usize] = true;
                            stack.push(t.node);
                        }
                    }
                }
            }
        };
        push_succ(from, &mut stack, &mut seen);
        let mut out = Vec::new();
        while let Some(n) = stack.pop() {
            out.push(n);
            push_succ(n, &mut stack, &mut seen);
        }
        out.sort_unstable();
        out
    }

    fn scenario(&mut self, scenario: Option<&Scenario>) -> Result<(), SimError> {
        self.plan.windows.push((0.0, f64::INFINITY));
        let Some(s) = scenario else { return Ok(()) };
        let model = self.model;
        for e in &s.events {
            let (acts, text) = match &e.action {
                ScenarioAction::Fail { target } => (
                    self.acts(target, true),
                    format!("fail {}", target_text(model, target)),
                ),
                ScenarioAction::Recover { target } => (
                    self.acts(target, false),
                    format!("recover {}", target_text(model, target)),
                ),
                ScenarioAction::Traffic { factor } => (
                    vec![Act::Traffic(*factor)],
                    format!(
                        "traffic {}",
                        crate::figures::multiplier(*factor, crate::figures::Style::Written)
                    ),
                ),
            };
            self.plan.events.push(EventPlan {
                at: e.at,
                acts,
                text,
            });
        }
        for x in &s.expectations {
            let metric = match x.metric {
                Metric::P50 => MetricPlan::P50,
                Metric::P90 => MetricPlan::P90,
                Metric::P99 => MetricPlan::P99,
                Metric::P999 => MetricPlan::P999,
                Metric::Mean => MetricPlan::Mean,
                Metric::ErrorRate => MetricPlan::ErrorRate,
                Metric::Throughput => MetricPlan::Throughput,
                Metric::Utilization(copy) => {
                    let node = model
                        .copy_node(copy.component, copy.dc)
                        .ok_or_else(|| SimError::Invalid(format!("`{}` has no copy", x.text)))?;
                    MetricPlan::Utilization(node.index() as u32)
                }
            };
            let window = match x.during {
                None => 0,
                Some(w) => match self.plan.windows.iter().position(|v| *v == w) {
                    Some(i) => i,
                    None => {
                        self.plan.windows.push(w);
                        self.plan.windows.len() - 1
                    }
                },
            };
            self.plan.expectations.push(ExpectPlan {
                text: x.text.clone(),
                metric,
                op: x.op,
                bound: x.bound,
                window,
                during: x.during,
            });
        }
        Ok(())
    }

    fn acts(&self, target: &TargetRef, fail: bool) -> Vec<Act> {
        let model = self.model;
        let copies = |component: usize, dc: Option<DcId>| -> Vec<u32> {
            match dc {
                Some(d) => model
                    .copy_node(component, Some(d))
                    .map(|n| n.index() as u32)
                    .into_iter()
                    .collect(),
                None => model
                    .copies_of(component)
                    .map(|(_, n)| n.index() as u32)
                    .collect(),
            }
        };
        match target {
            TargetRef::Datacenter { dc } => {
                let mut acts = vec![if fail {
                    Act::DcDown(*dc)
                } else {
                    Act::DcUp(*dc)
                }];
                for &n in &self.plan.dc_nodes[*dc] {
                    acts.push(if fail {
                        Act::FailNode(n)
                    } else {
                        Act::RecoverNode(n)
                    });
                }
                acts
            }
            TargetRef::Zone { dc, zone } => {
                let zones = model.datacenters[*dc].zones.value;
                let mut acts = Vec::new();
                for &n in &self.plan.dc_nodes[*dc] {
                    let node = &self.plan.nodes[n as usize];
                    // A managed service is redundant across zones inside
                    // its provider, as the estimator's zone-loss what-if
                    // has it: a zone takes none of it.
                    if model.components[node.component].provider_scaled() {
                        continue;
                    }
                    match node.exec {
                        // A copy without instance slots of its own goes
                        // down with the zone only when all its instances
                        // live there.
                        Exec::Pass | Exec::Delay(_) => {
                            let all = model.components[node.component].max_instances();
                            if zones > 1 && instances_in_zone(all, zones, *zone) < all {
                                continue;
                            }
                            acts.push(if fail {
                                Act::FailNode(n)
                            } else {
                                Act::RecoverNode(n)
                            });
                        }
                        _ => acts.push(if fail {
                            Act::FailZone(n, *zone, zones)
                        } else {
                            Act::RecoverZone(n, *zone, zones)
                        }),
                    }
                }
                acts
            }
            TargetRef::Component { component } => copies(*component, None)
                .into_iter()
                .map(|n| {
                    if fail {
                        Act::FailNode(n)
                    } else {
                        Act::RecoverNode(n)
                    }
                })
                .collect(),
            TargetRef::Copy { component, dc } => copies(*component, *dc)
                .into_iter()
                .map(|n| {
                    if fail {
                        Act::FailNode(n)
                    } else {
                        Act::RecoverNode(n)
                    }
                })
                .collect(),
            TargetRef::Instances {
                count,
                component,
                dc,
            } => copies(*component, *dc)
                .into_iter()
                .map(|n| {
                    if fail {
                        Act::FailInstances(n, *count)
                    } else {
                        Act::RecoverInstances(n, *count)
                    }
                })
                .collect(),
            TargetRef::Primary { component, dc } => copies(*component, *dc)
                .into_iter()
                .map(|n| {
                    if fail {
                        Act::FailPrimary(n)
                    } else {
                        Act::RecoverPrimary(n)
                    }
                })
                .collect(),
        }
    }

    /// How long the run lasts, and the timeline's bucket width.
    fn limits(&mut self, scenario: Option<&Scenario>) -> Result<(), SimError> {
        let o = self.opts;
        if let Some(d) = o.duration_s
            && !(d.is_finite() && d > 0.0)
        {
            return Err(SimError::Invalid("`--duration` must be above zero".into()));
        }
        if o.requests == Some(0) {
            return Err(SimError::Invalid("`--requests` must be at least 1".into()));
        }
        if !(o.warmup_s.is_finite() && o.warmup_s >= 0.0) {
            return Err(SimError::Invalid("`--warmup` must be zero or more".into()));
        }
        let scenario_end = scenario.and_then(|s| {
            s.duration.or_else(|| {
                // Without a duration, a scenario runs a minute past its last
                // event and to the end of its last window.
                let last_event = s.events.iter().map(|e| e.at).fold(0.0, f64::max);
                let last_window = s
                    .expectations
                    .iter()
                    .filter_map(|x| x.during.map(|w| w.1))
                    .fold(0.0, f64::max);
                Some((last_event + 60.0).max(last_window))
            })
        });
        // `--requests` must not cut a scenario short: when the count would
        // end the run before the scenario's last event or window, the run
        // is refused; otherwise the scenario's end decides.
        let mut requests = o.requests;
        if let (Some(n), Some(end), None, Some(sc)) =
            (o.requests, scenario_end, o.duration_s, scenario)
        {
            let reach = n as f64 / self.plan.rate;
            if reach < end {
                use crate::figures::{Style, duration};
                return Err(SimError::Invalid(format!(
                    "`--requests {n}` ends the run after about {} of simulated time, before scenario `{}` ends at {}: its events and windows would not all be simulated; leave `--requests` out (the scenario's duration decides) or give `--duration`",
                    duration(reach, Style::Written),
                    sc.name,
                    duration(end, Style::Written)
                )));
            }
            requests = None;
        }
        self.plan.duration = o.duration_s.or(scenario_end);
        self.plan.requests = match (requests, self.plan.duration) {
            (Some(n), _) => Some(n),
            (None, Some(_)) => None,
            (None, None) => Some(super::DEFAULT_REQUESTS),
        };
        let expected = match (self.plan.duration, self.plan.requests) {
            (Some(d), _) => d,
            (None, Some(n)) => n as f64 / self.plan.rate,
            (None, None) => 1.0,
        };
        self.plan.bucket = bucket_width(expected);
        Ok(())
    }
}

/// The timeline's bucket: one second, or a round width that keeps a run
/// to about [`super::MAX_BUCKETS`] buckets.
pub fn bucket_width(expected_s: f64) -> f64 {
    let raw = expected_s / super::MAX_BUCKETS as f64;
    if raw.is_nan() || raw <= 1.0 {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10.0 * mag
}

/// The longest chain of calls a request can be in at once, plus one.
fn call_depth(plan: &Plan) -> usize {
    let targets = |v: usize, out: &mut Vec<usize>| {
        for class in 0..3 {
            let (start, len) = plan.nodes[v].calls[class];
            for call in &plan.calls[start as usize..(start + len) as usize] {
                let (ts, tl) = call.targets;
                out.extend(
                    plan.targets[ts as usize..(ts + tl) as usize]
                        .iter()
                        .map(|t| t.node as usize),
                );
            }
        }
    };
    // In postorder every callee's depth is known before its caller's; a
    // callee closing a cycle (a compile error) counts 0 and stays finite.
    let mut depth = vec![0usize; plan.nodes.len()];
    let mut succ = Vec::new();
    for v in crate::model::walk::postorder(plan.nodes.len(), targets) {
        succ.clear();
        targets(v, &mut succ);
        depth[v] = 1 + succ.iter().map(|&t| depth[t]).max().unwrap_or(0);
    }
    depth.iter().copied().max().unwrap_or(0).max(1) + 1
}

/// `us-east`, `photos.primary@us-east`, `2 of web@us-east`.
pub fn target_text(model: &Model, t: &TargetRef) -> String {
    let copy = |component: usize, dc: Option<DcId>| match dc {
        Some(d) if !model.datacenters[d].implicit => {
            format!(
                "{}@{}",
                model.components[component].name, model.datacenters[d].name
            )
        }
        _ => model.components[component].name.clone(),
    };
    match t {
        TargetRef::Datacenter { dc } => model.datacenters[*dc].name.clone(),
        TargetRef::Zone { dc, zone } => model.datacenters[*dc].zone_name(*zone),
        TargetRef::Component { component } => model.components[*component].name.clone(),
        TargetRef::Copy { component, dc } => copy(*component, *dc),
        TargetRef::Instances {
            count,
            component,
            dc,
        } => format!("{count} of {}", copy(*component, *dc)),
        TargetRef::Primary { component, dc } => match dc {
            Some(d) if !model.datacenters[*d].implicit => format!(
                "{}.primary@{}",
                model.components[*component].name, model.datacenters[*d].name
            ),
            _ => format!("{}.primary", model.components[*component].name),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::bucket_width;

    #[test]
    fn timeline_buckets_are_round_and_few() {
        // Up to an hour: one-second buckets.
        assert_eq!(bucket_width(600.0), 1.0);
        assert_eq!(bucket_width(3600.0), 1.0);
        // A million seconds over 3,600 buckets is 277.8 s: round up to 500.
        assert_eq!(bucket_width(1e6), 500.0);
        assert_eq!(bucket_width(7200.0), 2.0);
        assert_eq!(bucket_width(f64::NAN), 1.0);
    }
}
