//! The model: what a design *means*, with names resolved, attributes typed
//! and defaulted, and every component placed in its datacenters.
//!
//! Two graphs live here. [`Model::flows`] are the edges as written, between
//! components. [`Model::graph`] is the petgraph of *copies*: one node per
//! (component, datacenter) pair (`web@us-east`), one node for each global
//! component, and edges per LANGUAGE.md §5–§6 — same-datacenter calls,
//! cross-datacenter calls split by weight when the callee is not placed in
//! the caller's datacenter, and weighted fan-out from global components.
//!
//! Architecture invariant: the model knows nothing of pest or of the AST
//! beyond spans; analyses and outputs read the model only, and never mutate
//! it.

mod build;
mod defaults;
pub mod dump;
pub mod schema;
pub mod walk;

pub use build::{BuildOptions, build};
pub use defaults::{DEFAULTS_TABLE, kind_defaults};

use crate::diagnostic::Span;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use serde::Serialize;
use std::collections::BTreeMap;

pub type ComponentId = usize;
pub type DcId = usize;
pub type FlowId = usize;

/// A resolved attribute: its value, and where it was written (`None` when
/// the value is a default — the estimator marks such figures "(assumed)").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Setting<T> {
    pub value: T,
    #[serde(skip)]
    pub span: Option<Span>,
}

impl<T> Setting<T> {
    pub fn given(value: T, span: Span) -> Self {
        Setting {
            value,
            span: Some(span),
        }
    }

    pub fn default(value: T) -> Self {
        Setting { value, span: None }
    }

    pub fn is_default(&self) -> bool {
        self.span.is_none()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Client,
    Dns,
    Cdn,
    Lb,
    Service,
    Cache,
    Database,
    Queue,
    Storage,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Client,
        Kind::Dns,
        Kind::Cdn,
        Kind::Lb,
        Kind::Service,
        Kind::Cache,
        Kind::Database,
        Kind::Queue,
        Kind::Storage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Dns => "dns",
            Kind::Cdn => "cdn",
            Kind::Lb => "lb",
            Kind::Service => "service",
            Kind::Cache => "cache",
            Kind::Database => "database",
            Kind::Queue => "queue",
            Kind::Storage => "storage",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Global kinds exist once, outside every datacenter (§5).
    pub fn is_global(self) -> bool {
        matches!(self, Kind::Client | Kind::Dns | Kind::Cdn)
    }
}

/// Request classes (§6). Every request has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Static,
    Read,
    Write,
}

impl Class {
    pub const ALL: [Class; 3] = [Class::Static, Class::Read, Class::Write];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Static => "static",
            Class::Read => "read",
            Class::Write => "write",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A set of classes, as a flow's labels give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Classes(u8);

impl Classes {
    pub const ALL: Classes = Classes(0b111);
    pub const NONE: Classes = Classes(0);

    pub fn with(self, c: Class) -> Classes {
        Classes(self.0 | (1 << c.index()))
    }

    pub fn contains(self, c: Class) -> bool {
        self.0 & (1 << c.index()) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Class> {
        Class::ALL.into_iter().filter(move |c| self.contains(*c))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Class::as_str).collect()
    }
}

impl Serialize for Classes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Datacenter {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    pub name_span: Span,
    pub region: Option<String>,
    /// Share of entry traffic, a fraction; defaults to an equal split.
    pub weight: Setting<f64>,
    /// Availability zones (LANGUAGE.md §13), named `a`, `b`, … ; 1 when not
    /// written, the datacenter being one zone.
    pub zones: Setting<u32>,
    /// The `default` datacenter of a design that declares none.
    pub implicit: bool,
}

/// The most zones a datacenter may have: they are named `a` to `z`.
pub const MAX_ZONES: u32 = 26;

impl Datacenter {
    /// The zone's name within its datacenter: 0 → `a`.
    pub fn zone_letter(zone: u32) -> char {
        char::from(b'a' + zone.min(MAX_ZONES - 1) as u8)
    }

    /// `us-east/b`.
    pub fn zone_name(&self, zone: u32) -> String {
        format!("{}/{}", self.name, Self::zone_letter(zone))
    }

    /// The zone index a letter names, if this datacenter has it.
    pub fn zone_of(&self, letter: &str) -> Option<u32> {
        let mut chars = letter.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return None;
        };
        let z = (c as u32).checked_sub('a' as u32)?;
        (z < self.zones.value).then_some(z)
    }
}

/// How a copy's instances spread over its datacenter's zones (LANGUAGE.md
/// §13): instance `i` lives in zone `i mod zones`, so each zone holds
/// `n / zones` instances and the first `n mod zones` zones one more.
pub fn instances_in_zone(instances: u32, zones: u32, zone: u32) -> u32 {
    let zones = zones.max(1);
    instances / zones + u32::from(zone < instances % zones)
}

/// The zone of a database's member: shard `s`'s primary lives in zone
/// `s mod zones` and its `r`-th replica (1-based) in zone `(s + r) mod
/// zones`, so the primaries spread over the zones and every replica of a
/// shard sits in another zone than its primary while zones last.
pub fn db_member_zone(shard: u32, member: u32, zones: u32) -> u32 {
    (shard + member) % zones.max(1)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Routing {
    Simple,
    Weighted,
    Geo,
    Latency,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    RoundRobin,
    LeastConnections,
    IpHash,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fallback {
    Origin,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invalidation {
    Versioning,
    Api,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Eviction {
    Lru,
    Lfu,
    Fifo,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrossDc {
    None,
    Async,
    Sync,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailoverMode {
    Automatic,
    Manual,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadFrom {
    Replicas,
    Primary,
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataModel {
    Relational,
    KeyValue,
    Document,
    Column,
    Graph,
}

mod vocab;
pub use vocab::{Comparison, KeyDist, ShardSpec, Sharding};

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "store")]
pub enum Session {
    None,
    Local,
    /// A cache or database holding sessions.
    Store(ComponentId),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientSpec {
    /// Fraction of entry traffic; defaults to an equal split.
    pub share: Setting<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DnsSpec {
    pub routing: Setting<Routing>,
    pub failover: Setting<bool>,
    pub ttl: Setting<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CdnSpec {
    pub ttl: Option<Setting<f64>>,
    pub hit_ratio: Setting<f64>,
    pub fallback: Setting<Fallback>,
    pub invalidation: Setting<Invalidation>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LbSpec {
    pub algorithm: Setting<Algorithm>,
    pub sticky: Setting<bool>,
    pub health_interval: Setting<f64>,
}

impl LbSpec {
    /// A user keeps landing on the same server (`sticky`, or `ip-hash`).
    pub fn is_sticky(&self) -> bool {
        self.sticky.value || self.algorithm.value == Algorithm::IpHash
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceSpec {
    pub session: Setting<Session>,
    pub consumes: Option<Setting<ComponentId>>,
    pub timeout: Setting<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CacheSpec {
    pub engine: Setting<String>,
    /// Bytes per instance.
    pub memory: Option<Setting<f64>>,
    pub ttl: Option<Setting<f64>>,
    pub eviction: Setting<Eviction>,
    pub hit_ratio: Setting<f64>,
    pub overprovision: Setting<f64>,
    pub item_size: Setting<f64>,
    pub cross_dc: Setting<CrossDc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatabaseSpec {
    pub engine: Setting<String>,
    pub model: Setting<DataModel>,
    pub failover: Setting<FailoverMode>,
    pub failover_time: Setting<f64>,
    pub read_from: Setting<ReadFrom>,
    pub shards: Setting<u32>,
    pub shard_key: Option<Setting<String>>,
    pub sharding: Setting<Sharding>,
    pub keys: Setting<KeyDist>,
    pub key_count: Setting<u64>,
    pub hot_keys: Setting<Vec<(String, f64)>>,
    pub dedicated: Setting<Vec<String>>,
    pub record_size: Setting<f64>,
    pub cross_dc: Setting<CrossDc>,
}

impl DatabaseSpec {
    /// The shard layout this database's keys follow (§9).
    pub fn shard_spec(&self) -> ShardSpec {
        ShardSpec {
            shards: self.shards.value,
            sharding: self.sharding.value,
            keys: self.keys.value,
            key_count: self.key_count.value,
            hot_keys: self.hot_keys.value.clone(),
            dedicated: self.dedicated.value.clone(),
        }
    }

    /// Hashed shards plus dedicated ones.
    pub fn total_shards(&self) -> usize {
        self.shards.value as usize + self.dedicated.value.len()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueSpec {
    pub engine: Setting<String>,
    pub durable: Setting<bool>,
    pub max_backlog: Option<Setting<f64>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StorageSpec {
    pub engine: Setting<String>,
    pub cross_dc: Setting<CrossDc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
// Database attributes dominate the size; a model holds few components
// relative to memory, so boxing would only add indirection.
#[allow(clippy::large_enum_variant)]
pub enum KindSpec {
    Client(ClientSpec),
    Dns(DnsSpec),
    Cdn(CdnSpec),
    Lb(LbSpec),
    Service(ServiceSpec),
    Cache(CacheSpec),
    Database(DatabaseSpec),
    Queue(QueueSpec),
    Storage(StorageSpec),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Component {
    pub name: String,
    pub kind: Kind,
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    pub name_span: Span,
    /// Instances per datacenter copy (for a database: read replicas per
    /// shard).
    pub replicas: Setting<u32>,
    /// min..max instances per copy.
    pub autoscale: Option<Setting<(u32, u32)>>,
    /// Requests per second one instance sustains; `None` is unlimited.
    pub capacity: Setting<Option<f64>>,
    /// Mean seconds one request spends inside one instance.
    pub latency: Setting<f64>,
    /// Where the component is placed; empty for global kinds.
    pub datacenters: Setting<Vec<DcId>>,
    pub public: Setting<bool>,
    /// One instance's availability, a fraction.
    pub availability: Setting<f64>,
    pub image: Option<Setting<String>>,
    pub instance: Option<Setting<String>>,
    /// Redundant inside its provider (§8).
    pub managed: bool,
    /// Where each written attribute is, for findings that point at one.
    #[serde(skip)]
    pub attribute_spans: BTreeMap<String, Span>,
    /// The attributes whose value came from a template (LANGUAGE.md §11).
    #[serde(skip)]
    pub templated: BTreeMap<String, TemplateOrigin>,
    pub spec: KindSpec,
}

/// Where a templated attribute's value was written: the template, and the
/// file and line of the attribute in it (filled in once the design's files
/// are known; empty and 0 for a design compiled from one text).
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateOrigin {
    pub template: String,
    pub span: Span,
    pub file: String,
    pub line: usize,
}

impl Component {
    pub fn attr_span(&self, name: &str) -> Option<Span> {
        self.attribute_spans.get(name).copied()
    }

    /// The attribute's span if written, else the component's name.
    pub fn attr_or_name(&self, name: &str) -> Span {
        self.attr_span(name).unwrap_or(self.name_span)
    }

    /// Instances in one copy at the low end (`replicas`, or autoscale min).
    pub fn min_instances(&self) -> u32 {
        self.autoscale
            .as_ref()
            .map_or(self.replicas.value, |a| a.value.0)
    }

    /// Instances in one copy at the high end (`replicas`, or autoscale max).
    pub fn max_instances(&self) -> u32 {
        self.autoscale
            .as_ref()
            .map_or(self.replicas.value, |a| a.value.1)
    }

    /// Whether the component scales inside its provider instead of by an
    /// instance count: a managed service, or a global kind (client, dns,
    /// cdn). Each copy is then one station of unlimited or stated
    /// capacity, and no single instance of it can fail on its own.
    pub fn provider_scaled(&self) -> bool {
        self.managed || self.kind.is_global()
    }

    /// The most servers (in the M/M/c sense) one copy can run: one for a
    /// provider-scaled component, whose capacity is what was provisioned;
    /// otherwise [`Component::max_instances`], at least one.
    pub fn max_servers(&self) -> u32 {
        if self.provider_scaled() {
            1
        } else {
            self.max_instances().max(1)
        }
    }

    pub fn client(&self) -> Option<&ClientSpec> {
        match &self.spec {
            KindSpec::Client(s) => Some(s),
            _ => None,
        }
    }
    pub fn dns(&self) -> Option<&DnsSpec> {
        match &self.spec {
            KindSpec::Dns(s) => Some(s),
            _ => None,
        }
    }
    pub fn cdn(&self) -> Option<&CdnSpec> {
        match &self.spec {
            KindSpec::Cdn(s) => Some(s),
            _ => None,
        }
    }
    pub fn lb(&self) -> Option<&LbSpec> {
        match &self.spec {
            KindSpec::Lb(s) => Some(s),
            _ => None,
        }
    }
    pub fn service(&self) -> Option<&ServiceSpec> {
        match &self.spec {
            KindSpec::Service(s) => Some(s),
            _ => None,
        }
    }
    /// The fraction of the requests of `class` this component does not
    /// answer itself and sends on along its flows (LANGUAGE.md §6): a
    /// cache answers its hits of reads and static requests, a CDN its hits
    /// of static ones, a database or storage everything; the rest pass.
    pub fn onward_fraction(&self, class: Class) -> f64 {
        match (self.kind, class) {
            (Kind::Database | Kind::Storage, _) => 0.0,
            (Kind::Cache, Class::Static | Class::Read) => {
                1.0 - self.cache().map_or(0.0, |c| c.hit_ratio.value)
            }
            (Kind::Cdn, Class::Static) => 1.0 - self.cdn().map_or(0.0, |c| c.hit_ratio.value),
            _ => 1.0,
        }
    }

    pub fn cache(&self) -> Option<&CacheSpec> {
        match &self.spec {
            KindSpec::Cache(s) => Some(s),
            _ => None,
        }
    }
    pub fn database(&self) -> Option<&DatabaseSpec> {
        match &self.spec {
            KindSpec::Database(s) => Some(s),
            _ => None,
        }
    }
    pub fn queue(&self) -> Option<&QueueSpec> {
        match &self.spec {
            KindSpec::Queue(s) => Some(s),
            _ => None,
        }
    }
    pub fn storage(&self) -> Option<&StorageSpec> {
        match &self.spec {
            KindSpec::Storage(s) => Some(s),
            _ => None,
        }
    }

    /// `cross_dc` of a stateful component, when it has one.
    pub fn cross_dc(&self) -> Option<CrossDc> {
        match &self.spec {
            KindSpec::Cache(c) => Some(c.cross_dc.value),
            KindSpec::Database(d) => Some(d.cross_dc.value),
            KindSpec::Storage(s) => Some(s.cross_dc.value),
            _ => None,
        }
    }
}

/// A database role addressed in a flow (`users.replicas`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Primary,
    Replicas,
}

/// One edge as written: `a -> b` inside a flow statement.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowEdge {
    pub from: ComponentId,
    pub to: ComponentId,
    pub role: Option<Role>,
    pub classes: Classes,
    /// The share on a chain's first edge (a fraction), if any.
    pub share: Option<f64>,
    /// Calls per matching request: `x10` on a chain's first edge (§13),
    /// else 1. Each call is a separate request to the callee.
    #[serde(skip_serializing_if = "is_one")]
    pub calls: u32,
    /// `all-shards` on the chain's last edge, whose callee is a sharded
    /// database: a read goes to every shard, and waits for the slowest.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub all_shards: bool,
    /// `from -> to` in the source.
    #[serde(skip)]
    pub span: Span,
    /// The whole statement.
    #[serde(skip)]
    pub statement_span: Span,
    /// Which flow statement, in source order.
    pub statement: usize,
}

fn is_one(calls: &u32) -> bool {
    *calls == 1
}

/// A node of the copy graph: a component in one datacenter, or a global
/// component (`dc` is `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Copy {
    pub component: ComponentId,
    pub dc: Option<DcId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum CopyEdgeKind {
    /// A call along a flow edge.
    Call(FlowId),
    /// A queue handing messages to a consumer copy.
    Consume,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CopyEdge {
    pub kind: CopyEdgeKind,
    /// Of the caller copy's calls along this flow edge, the fraction that
    /// goes to this callee copy (datacenter weights; 1 when there is one).
    pub fraction: f64,
    /// The call leaves the caller's datacenter.
    pub cross_dc: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Traffic {
    /// Average requests per second of the whole system.
    pub rate: f64,
    pub users: Option<f64>,
    /// Requests per user per second.
    pub per_user: Option<f64>,
    pub peak: Setting<f64>,
    pub reads: Setting<f64>,
    #[serde(rename = "static")]
    pub static_share: Setting<f64>,
    pub payload: Option<Setting<f64>>,
    pub write_size: Setting<f64>,
    pub retention: Option<Setting<f64>>,
    #[serde(skip)]
    pub span: Span,
}

impl Traffic {
    /// Average rate of one class, per second.
    pub fn class_rate(&self, class: Class) -> f64 {
        let dynamic = 1.0 - self.static_share.value;
        self.rate
            * match class {
                Class::Static => self.static_share.value,
                Class::Read => dynamic * self.reads.value,
                Class::Write => dynamic * (1.0 - self.reads.value),
            }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Slo {
    pub latency_p99: Option<Setting<f64>>,
    pub latency_mean: Option<Setting<f64>>,
    pub availability: Option<Setting<f64>>,
    pub error_rate: Option<Setting<f64>>,
    #[serde(skip)]
    pub span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Monitoring {
    pub logs: Option<String>,
    pub metrics: Option<String>,
    pub tracing: Option<String>,
    pub alerts: bool,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assumptions {
    pub target_utilization: Setting<f64>,
    pub instance_availability: Setting<f64>,
    pub hop_latency: Setting<f64>,
    pub cross_dc_latency: Setting<f64>,
    pub hotspot_factor: Setting<f64>,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            target_utilization: Setting::default(0.70),
            instance_availability: Setting::default(0.999),
            hop_latency: Setting::default(0.0005),
            cross_dc_latency: Setting::default(0.060),
            hotspot_factor: Setting::default(2.0),
        }
    }
}

/// What a scenario's `fail`/`recover` names.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "target", rename_all = "kebab-case")]
pub enum TargetRef {
    Datacenter {
        dc: DcId,
    },
    /// A zone of a datacenter (`us-east/b`): the instances and database
    /// members placed there (see [`instances_in_zone`], [`db_member_zone`]).
    Zone {
        dc: DcId,
        zone: u32,
    },
    /// Every copy of a component.
    Component {
        component: ComponentId,
    },
    Copy {
        component: ComponentId,
        dc: Option<DcId>,
    },
    Instances {
        count: u32,
        component: ComponentId,
        dc: Option<DcId>,
    },
    Primary {
        component: ComponentId,
        dc: Option<DcId>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum ScenarioAction {
    Fail { target: TargetRef },
    Recover { target: TargetRef },
    Traffic { factor: f64 },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioEvent {
    /// Seconds from the start of the run.
    pub at: f64,
    #[serde(flatten)]
    pub action: ScenarioAction,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    P50,
    P90,
    P99,
    P999,
    Mean,
    ErrorRate,
    Throughput,
    Utilization(Copy),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expectation {
    pub text: String,
    pub metric: Metric,
    #[serde(skip)]
    pub op: Comparison,
    /// In base units: seconds for latencies, a fraction for rates and
    /// utilisation, per second for throughput.
    pub bound: f64,
    pub during: Option<(f64, f64)>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    pub duration: Option<f64>,
    pub events: Vec<ScenarioEvent>,
    pub expectations: Vec<Expectation>,
}

/// A compiled design.
#[derive(Clone, Debug)]
pub struct Model {
    pub system: String,
    /// The `system` line, when written.
    pub system_span: Option<Span>,
    pub traffic: Option<Traffic>,
    pub slo: Slo,
    pub monitoring: Option<Monitoring>,
    pub assumptions: Assumptions,
    pub datacenters: Vec<Datacenter>,
    pub components: Vec<Component>,
    pub flows: Vec<FlowEdge>,
    pub graph: DiGraph<Copy, CopyEdge>,
    /// Copy node of each (component, datacenter); global components under
    /// `None`.
    pub copies: BTreeMap<(ComponentId, Option<DcId>), NodeIndex>,
    /// Entry components and the fraction of traffic each receives.
    pub entries: Vec<(ComponentId, f64)>,
    pub scenarios: Vec<Scenario>,
    /// Comments of the source, for suppressions.
    pub comments: Vec<crate::syntax::ast::Comment>,
    /// The design's templates and who applied them (LANGUAGE.md §11).
    pub templates: Vec<crate::syntax::templates::Template>,
    by_name: std::collections::HashMap<String, ComponentId>,
    /// Flow ids leaving and entering each component, in the order written,
    /// so that walking a component's flows costs its degree, not the whole
    /// flow list (a 10,000-component design has as many flows).
    flows_out: Vec<Vec<FlowId>>,
    flows_in: Vec<Vec<FlowId>>,
    /// Call edges leaving each copy, sorted by flow id; within one flow in
    /// the order `graph.edges` yields them. A global component (a DNS in
    /// front of every datacenter's balancers) can have thousands of flows
    /// and edges: looking one flow's edges up must not scan them all.
    call_edges: Vec<Vec<(FlowId, EdgeIndex)>>,
    /// Services consuming each queue, in component order.
    consumers: Vec<Vec<ComponentId>>,
}

impl Model {
    pub fn component_id(&self, name: &str) -> Option<ComponentId> {
        self.by_name.get(name).copied()
    }

    pub fn component(&self, id: ComponentId) -> &Component {
        &self.components[id]
    }

    pub fn dc_name(&self, dc: Option<DcId>) -> Option<&str> {
        dc.map(|d| self.datacenters[d].name.as_str())
    }

    /// `web@us-east`, or `web` for a global component or a design without
    /// datacenters.
    pub fn copy_name(&self, copy: Copy) -> String {
        let name = &self.components[copy.component].name;
        match copy.dc {
            Some(d) if !self.datacenters[d].implicit => {
                format!("{name}@{}", self.datacenters[d].name)
            }
            _ => name.clone(),
        }
    }

    /// Whether the design declares datacenters (else one implicit `default`).
    pub fn has_datacenters(&self) -> bool {
        !self.datacenters.iter().any(|d| d.implicit)
    }

    pub fn copy_node(&self, component: ComponentId, dc: Option<DcId>) -> Option<NodeIndex> {
        self.copies.get(&(component, dc)).copied()
    }

    /// The copies of a component: one per datacenter it is placed in, or the
    /// one global copy.
    pub fn copies_of(
        &self,
        component: ComponentId,
    ) -> impl Iterator<Item = (Option<DcId>, NodeIndex)> + '_ {
        self.copies
            .range((component, None)..=(component, Some(usize::MAX)))
            .map(|((_, dc), n)| (*dc, *n))
    }

    /// Flow edges leaving a component, in the order written.
    pub fn flows_from(&self, component: ComponentId) -> impl Iterator<Item = (FlowId, &FlowEdge)> {
        self.flows_out
            .get(component)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&id| (id, &self.flows[id]))
    }

    /// Flow edges entering a component, in the order written.
    pub fn flows_to(&self, component: ComponentId) -> impl Iterator<Item = (FlowId, &FlowEdge)> {
        self.flows_in
            .get(component)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&id| (id, &self.flows[id]))
    }

    /// Rebuilds the per-component flow index after `flows` is set.
    fn index_flows(&mut self) {
        self.flows_out = vec![Vec::new(); self.components.len()];
        self.flows_in = vec![Vec::new(); self.components.len()];
        for (id, f) in self.flows.iter().enumerate() {
            self.flows_out[f.from].push(id);
            self.flows_in[f.to].push(id);
        }
    }

    /// Services consuming a queue, in component order.
    pub fn consumers_of(&self, queue: ComponentId) -> impl Iterator<Item = ComponentId> + '_ {
        self.consumers
            .get(queue)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
    }

    /// The copy edges carrying flow `flow` out of copy `node`, as (edge,
    /// target, weight), in the order `graph.edges(node)` yields them.
    pub fn call_edges(
        &self,
        node: NodeIndex,
        flow: FlowId,
    ) -> impl Iterator<Item = (EdgeIndex, NodeIndex, &CopyEdge)> + '_ {
        let all = self
            .call_edges
            .get(node.index())
            .map_or(&[][..], Vec::as_slice);
        let from = all.partition_point(|(f, _)| *f < flow);
        let to = all.partition_point(|(f, _)| *f <= flow);
        all[from..to].iter().filter_map(|&(_, e)| {
            let (_, target) = self.graph.edge_endpoints(e)?;
            Some((e, target, self.graph.edge_weight(e)?))
        })
    }

    /// Rebuilds the edge and consumer indexes after `graph` is set (the
    /// graph is built once, in `build`, and never changed after).
    fn index_graph(&mut self) {
        use petgraph::visit::EdgeRef;
        self.call_edges = self
            .graph
            .node_indices()
            .map(|n| {
                let mut v: Vec<(FlowId, EdgeIndex)> = self
                    .graph
                    .edges(n)
                    .filter_map(|e| match e.weight().kind {
                        CopyEdgeKind::Call(f) => Some((f, e.id())),
                        _ => None,
                    })
                    .collect();
                // Stable: a flow's edges keep the graph's order.
                v.sort_by_key(|x| x.0);
                v
            })
            .collect();
        self.consumers = vec![Vec::new(); self.components.len()];
        for (i, c) in self.components.iter().enumerate() {
            if let Some(q) = c.service().and_then(|s| s.consumes.as_ref())
                && let Some(list) = self.consumers.get_mut(q.value)
            {
                list.push(i);
            }
        }
    }

    /// Where "absent" findings point: the `system` line, else line 1.
    pub fn top_span(&self) -> Span {
        self.system_span.unwrap_or(Span::new(0, 0))
    }

    /// The part of a component's traffic each of its `copies` takes: the
    /// copies' datacenter weights normalised when every copy has a
    /// datacenter, else equal parts (a global component's one copy takes
    /// everything).
    pub fn copy_weights(&self, copies: &[(Option<DcId>, NodeIndex)]) -> Vec<f64> {
        let dcs: Vec<DcId> = copies.iter().filter_map(|(d, _)| *d).collect();
        if dcs.len() == copies.len() && !dcs.is_empty() {
            self.weights_over(&dcs)
        } else {
            vec![1.0 / copies.len().max(1) as f64; copies.len()]
        }
    }

    /// Entry copies with their parts of the entry traffic: each entry
    /// component's share (client shares, §6) split over its copies by
    /// [`Model::copy_weights`]. The class p99 and the simulator draw entry
    /// requests from this.
    pub fn entry_copies(&self) -> Vec<(NodeIndex, f64)> {
        let mut out = Vec::new();
        for &(comp, share) in &self.entries {
            let copies: Vec<(Option<DcId>, NodeIndex)> = self.copies_of(comp).collect();
            for ((_, node), w) in copies.iter().zip(self.copy_weights(&copies)) {
                out.push((*node, share * w));
            }
        }
        out
    }

    /// Datacenter weights normalised over a set of datacenters.
    pub fn weights_over(&self, dcs: &[DcId]) -> Vec<f64> {
        let total: f64 = dcs.iter().map(|d| self.datacenters[*d].weight.value).sum();
        dcs.iter()
            .map(|d| {
                if total > 0.0 {
                    self.datacenters[*d].weight.value / total
                } else {
                    1.0 / dcs.len() as f64
                }
            })
            .collect()
    }
}
