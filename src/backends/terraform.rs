//! The `terraform` target: AWS, one provider alias per datacenter region.
//!
//! Files: `versions.tf`, `providers.tf`, `variables.tf`, `network.tf` (a
//! VPC with public and private subnets per region), `security.tf` (one
//! security group per component copy, with exactly the design's flows as
//! rules), `compute.tf` (ALB, target group, launch template and
//! autoscaling group per service), `data.tf` (RDS, ElastiCache, SQS, S3,
//! DynamoDB), `edge.tf` (CloudFront, Route 53) when the design has a cdn or
//! dns, `monitoring.tf` (CloudWatch alarms) when monitoring asks for alerts,
//! and `outputs.tf`.
//!
//! The view below holds resource names (unique HCL identifiers), Terraform
//! expressions built only from those names (printed with `|tfexpr`, which
//! admits no `$`, `{` or `}`), and plain values (printed with `|hcl`).

use super::escape::{Namer, Style, resource_name};
use super::view::{self, ComponentView, DcView, View};
use super::{BuildError, Job};
use crate::model::Kind;
use minijinja::Value;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "versions.tf.j2",
        include_str!("../../templates/terraform/versions.tf.j2"),
    ),
    (
        "providers.tf.j2",
        include_str!("../../templates/terraform/providers.tf.j2"),
    ),
    (
        "variables.tf.j2",
        include_str!("../../templates/terraform/variables.tf.j2"),
    ),
    (
        "network.tf.j2",
        include_str!("../../templates/terraform/network.tf.j2"),
    ),
    (
        "security.tf.j2",
        include_str!("../../templates/terraform/security.tf.j2"),
    ),
    (
        "compute.tf.j2",
        include_str!("../../templates/terraform/compute.tf.j2"),
    ),
    (
        "data.tf.j2",
        include_str!("../../templates/terraform/data.tf.j2"),
    ),
    (
        "edge.tf.j2",
        include_str!("../../templates/terraform/edge.tf.j2"),
    ),
    (
        "monitoring.tf.j2",
        include_str!("../../templates/terraform/monitoring.tf.j2"),
    ),
    (
        "outputs.tf.j2",
        include_str!("../../templates/terraform/outputs.tf.j2"),
    ),
];

/// What resources append to a copy's name; see `Builder::base`.
const SUFFIXES: &[&str] = &[
    "_alb",
    "_replica",
    "_dlq",
    "_cdn",
    "_ssm",
    "_assume",
    "_replication",
    "_elsewhere",
    "_5xx",
    "_p99",
    "_at_max",
    "_cpu",
    "_backlog",
];

/// The port services listen on behind their load balancer.
pub const SERVICE_PORT: u16 = 8080;

/// Everything the Terraform templates lay out.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tf {
    pub system: String,
    pub system_label: String,
    pub notes: Vec<String>,
    pub dcs: Vec<TfDc>,
    pub variables: Vec<Variable>,
    pub security_groups: Vec<SecurityGroup>,
    pub rules: Vec<Rule>,
    pub albs: Vec<Alb>,
    pub target_groups: Vec<TargetGroup>,
    pub services: Vec<TfService>,
    pub roles: Vec<Role>,
    pub databases: Vec<Database>,
    pub tables: Vec<Table>,
    pub caches: Vec<Cache>,
    pub queues: Vec<Queue>,
    pub buckets: Vec<Bucket>,
    pub replications: Vec<BucketReplication>,
    pub passwords: Vec<Password>,
    pub cdns: Vec<Cdn>,
    pub dns: Vec<Dns>,
    pub alarms: Vec<Alarm>,
    pub alerts: bool,
    pub outputs: Vec<Output>,
    /// Settings shared by every datacenter's network.
    pub has_rds: bool,
    pub has_cache: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct TfDc {
    pub dc_name: String,
    /// ` in us-east` for text, empty for the implicit datacenter.
    pub within: String,
    pub implicit: bool,
    /// Suffix of resource names (`us_east`; empty for the implicit one).
    pub snake: String,
    pub label: String,
    /// `aws.<alias>`.
    pub alias: String,
    /// Suffix of the network's resource names (the alias).
    pub net: String,
    /// Prefix of the network's AWS names (`photo-share-us-east`).
    pub name: String,
    pub region_var: String,
    pub cidr: String,
    pub first: bool,
    /// CPU architectures whose AMI this datacenter needs.
    pub archs: Vec<&'static str>,
    pub rds: bool,
    pub cache: bool,
    pub alarms: bool,
    /// The KMS key of RDS, for encrypted cross-region replicas.
    pub rds_kms: bool,
    pub weight: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Variable {
    /// Regions first, then per component in design order, then the rest.
    #[serde(skip)]
    pub rank: (u8, usize),
    pub name: String,
    pub description: String,
    pub kind: &'static str,
    /// An HCL literal, already written (numbers, `true`) — or none.
    pub default_literal: Option<String>,
    /// A string default, quoted by the template.
    pub default_string: Option<String>,
    pub sensitive: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct SecurityGroup {
    /// Design order: the component it belongs to.
    #[serde(skip)]
    pub order: usize,
    pub id: String,
    pub dc: usize,
    pub name_prefix: String,
    pub description: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub id: String,
    pub dc: usize,
    /// `ingress` or `egress`.
    pub direction: &'static str,
    pub sg: String,
    /// The other side: a security group id, or a CIDR.
    pub peer_sg: Option<String>,
    pub cidr: Option<String>,
    pub port: u16,
    pub description: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Alb {
    /// Design order: the component it belongs to.
    #[serde(skip)]
    pub order: usize,
    pub id: String,
    pub dc: usize,
    pub name: String,
    pub internal: bool,
    pub sg: String,
    pub comment: String,
    /// Target group the listener forwards to.
    pub target_group: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TargetGroup {
    /// Design order: the component it belongs to.
    #[serde(skip)]
    pub order: usize,
    pub id: String,
    pub dc: usize,
    pub name: String,
    pub algorithm: &'static str,
    pub sticky: bool,
    pub health_interval: u32,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TfService {
    pub id: String,
    pub dc: usize,
    pub component: String,
    /// `photo-share-web-us-east`, for tags.
    pub name: String,
    pub name_prefix: String,
    pub sg: String,
    pub role: String,
    pub image_var: String,
    pub instance_var: String,
    pub arch: &'static str,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub figure: String,
    pub autoscale: bool,
    pub target_groups: Vec<String>,
    /// Target tracking on requests per target, when the service sits
    /// behind a load balancer: (ALB id, target group id, value).
    pub scaling: Option<Scaling>,
    pub env: Vec<EnvVar>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Scaling {
    pub alb: String,
    pub target_group: String,
    /// Requests per target per minute.
    pub target_value: u64,
    pub comment: String,
}

/// A variable of the service's environment: a literal, or the value of a
/// Terraform expression.
#[derive(Clone, Debug, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub literal: Option<String>,
    pub expr: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Role {
    /// Design order: the component it belongs to.
    #[serde(skip)]
    pub order: usize,
    pub id: String,
    pub component: String,
    pub name_prefix: String,
    pub statements: Vec<Statement>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Statement {
    pub sid: String,
    pub actions: Vec<&'static str>,
    /// Terraform expressions.
    pub resources: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Password {
    pub id: String,
    pub comment: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Database {
    pub id: String,
    pub dc: usize,
    pub component: String,
    pub engine: &'static str,
    pub engine_version: &'static str,
    pub port: u16,
    pub identifier: String,
    pub instance_var: String,
    pub db_name: String,
    pub password: String,
    pub sg: String,
    pub secret: String,
    pub multi_az: bool,
    pub figure: String,
    pub notes: Vec<String>,
    /// `for_each` keys when sharded: shard index → allocated GB.
    pub shards: Vec<ShardStorage>,
    pub sharded: bool,
    pub allocated_storage: u64,
    pub storage_comment: String,
    pub replicas: u32,
    /// Writable source of this copy when it is a cross-region replica.
    pub source: Option<String>,
    pub source_dc: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ShardStorage {
    pub key: String,
    pub gb: u64,
    pub comment: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Table {
    pub id: String,
    pub dc: usize,
    pub component: String,
    pub name: String,
    pub hash_key: String,
    /// Regions (by variable) of global-table replicas.
    pub replica_region_vars: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Cache {
    pub id: String,
    pub dc: usize,
    pub component: String,
    pub engine: &'static str,
    pub group_id: String,
    pub node_var: String,
    pub nodes: u32,
    pub failover: bool,
    pub policy: &'static str,
    pub reserved_percent: u32,
    pub sg: String,
    pub password: Option<String>,
    pub secret: Option<String>,
    pub comment: String,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Queue {
    pub id: String,
    /// The dead-letter queue's resource name.
    pub dlq: String,
    pub dc: usize,
    pub component: String,
    pub name: String,
    pub visibility_timeout: u32,
    pub notes: Vec<String>,
    pub max_backlog: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Bucket {
    pub id: String,
    /// The policy document letting CloudFront read the bucket.
    pub cdn_policy: String,
    pub dc: usize,
    pub component: String,
    pub prefix: String,
    pub comment: String,
    /// CloudFront distributions reading this bucket.
    pub cdns: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BucketReplication {
    pub id: String,
    pub component: String,
    pub role_prefix: String,
    pub first_dc: usize,
    pub buckets: Vec<String>,
    /// (source bucket index in `buckets`, destinations)
    pub rules: Vec<ReplicationSource>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReplicationSource {
    pub bucket: String,
    pub dc: usize,
    pub destinations: Vec<ReplicationTarget>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReplicationTarget {
    pub bucket: String,
    /// The destination's datacenter, for the rule's name.
    pub datacenter: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Cdn {
    pub id: String,
    pub component: String,
    pub name: String,
    pub default_ttl: u64,
    pub max_ttl: u64,
    pub comment: String,
    pub origins: Vec<CdnOrigin>,
    /// The origin id requests go to: one origin, or the failover group.
    pub target: String,
    pub group: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct CdnOrigin {
    pub origin_id: String,
    /// An S3 bucket id, or an ALB id.
    pub bucket: Option<String>,
    pub alb: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Dns {
    pub id: String,
    pub component: String,
    pub routing: &'static str,
    pub failover: bool,
    pub comment: String,
    pub records: Vec<DnsRecord>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DnsRecord {
    pub id: String,
    /// The health check this record uses (created with the datacenter's
    /// record).
    pub check: String,
    pub creates_check: bool,
    pub dc: usize,
    pub set_identifier: String,
    pub alb: String,
    /// `geolocation` (continent or default), `geoproximity`, `latency`,
    /// `weighted` or none.
    pub policy: Option<&'static str>,
    pub continent: Option<&'static str>,
    pub default_location: bool,
    pub weight: u32,
    pub health_check: bool,
    pub interval: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Alarm {
    pub id: String,
    pub dc: usize,
    pub name: String,
    pub comment: String,
    pub namespace: &'static str,
    pub metric: &'static str,
    pub statistic: Option<&'static str>,
    pub extended_statistic: Option<&'static str>,
    pub comparison: &'static str,
    pub threshold: String,
    pub period: u32,
    pub evaluation_periods: u32,
    /// (dimension name, Terraform expression)
    pub dimensions: Vec<Dimension>,
    /// `for_each` over shard keys, for sharded databases.
    pub for_each: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Dimension {
    pub name: &'static str,
    pub expr: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Output {
    pub name: String,
    pub description: String,
    pub expr: String,
    pub sensitive: bool,
}

/// What a caller may do to a callee: actions for reading and for writing
/// (for a queue: consuming and producing) on some resources.
#[derive(Clone, Debug)]
struct Grant {
    sid: &'static str,
    read: Vec<&'static str>,
    write: Vec<&'static str>,
    resources: Vec<String>,
}

fn grant(
    sid: &'static str,
    read: Vec<&'static str>,
    write: Vec<&'static str>,
    resources: Vec<String>,
) -> Grant {
    Grant {
        sid,
        read,
        write,
        resources,
    }
}

struct Builder<'a> {
    view: &'a View,
    tf: Tf,
    /// Resource names handed out per component copy, and every name taken
    /// with the suffixes resources add to it.
    bases: BTreeMap<(usize, Option<usize>), String>,
    taken: std::collections::BTreeSet<String>,
    /// Names of resource types that are many per copy.
    rule_ids: Namer,
    tg_ids: Namer,
    errors: Vec<BuildError>,
    /// Per component and datacenter, what callers use.
    endpoints: Vec<Vec<Option<Endpoint>>>,
    /// Security group of each (component, datacenter).
    sgs: BTreeMap<(usize, usize), String>,
    /// Load balancer of each (lb or service component, datacenter).
    albs: BTreeMap<(usize, usize), String>,
    /// Target group of each (service, datacenter, balancing lb or none).
    tgs: BTreeMap<(usize, usize, Option<usize>), String>,
    /// Positions in `tf.albs` of the balancers forwarding to each target
    /// group (valid until the balancers are sorted at the end).
    albs_of_tg: HashMap<String, Vec<usize>>,
    /// Bucket of each (storage component, datacenter).
    buckets: BTreeMap<(usize, usize), String>,
    /// Components by their snake-case label, for ranking variables.
    by_snake: HashMap<String, usize>,
    /// Names of the variables declared so far.
    variable_names: HashSet<String>,
    /// What makes two rules the same: (dc, direction, sg, peer, cidr, port).
    rule_keys: HashSet<RuleKey>,
}

type RuleKey = (
    usize,
    &'static str,
    String,
    Option<String>,
    Option<String>,
    u16,
);

#[derive(Clone, Debug, Default)]
struct Endpoint {
    /// Security group callers get a rule into, with its port.
    sg: Option<(String, u16)>,
    env: Vec<EnvVar>,
    /// IAM permissions a caller needs.
    iam: Vec<Grant>,
}

pub(crate) fn jobs(view: &View) -> Result<Vec<Job>, Vec<BuildError>> {
    let mut b = Builder {
        view,
        tf: Tf {
            system: view.system.clone(),
            system_label: view.system_label.clone(),
            alerts: view.monitoring.as_ref().is_some_and(|m| m.alerts),
            ..Tf::default()
        },
        bases: BTreeMap::new(),
        taken: std::collections::BTreeSet::new(),
        rule_ids: Namer::new(Style::Snake, 64),
        tg_ids: Namer::new(Style::Snake, 64),
        errors: Vec::new(),
        endpoints: vec![vec![None; view.datacenters.len()]; view.components.len()],
        sgs: BTreeMap::new(),
        albs: BTreeMap::new(),
        tgs: BTreeMap::new(),
        buckets: BTreeMap::new(),
        by_snake: HashMap::new(),
        variable_names: HashSet::new(),
        rule_keys: HashSet::new(),
        albs_of_tg: HashMap::new(),
    };
    // The first component of a label wins, as a search in design order would.
    for c in view.components.iter().rev() {
        b.by_snake.insert(c.snake.clone(), c.index);
    }
    b.taken.insert("ec2_assume".to_string());
    b.build();
    if !b.errors.is_empty() {
        return Err(b.errors);
    }
    let tf = b.tf;
    let context = Value::from(minijinja::value::Serde(&tf));
    let mut jobs = vec![
        Job::shared("versions.tf", "versions.tf.j2", &context),
        Job::shared("providers.tf", "providers.tf.j2", &context),
        Job::shared("variables.tf", "variables.tf.j2", &context),
        Job::shared("network.tf", "network.tf.j2", &context),
    ];
    // A file is written only when it holds something.
    if !tf.security_groups.is_empty() {
        jobs.push(Job::shared("security.tf", "security.tf.j2", &context));
    }
    if !tf.services.is_empty() || !tf.albs.is_empty() {
        jobs.push(Job::shared("compute.tf", "compute.tf.j2", &context));
    }
    let stores = tf.passwords.len()
        + tf.databases.len()
        + tf.tables.len()
        + tf.caches.len()
        + tf.queues.len()
        + tf.buckets.len();
    if stores > 0 {
        jobs.push(Job::shared("data.tf", "data.tf.j2", &context));
    }
    if !tf.cdns.is_empty() || !tf.dns.is_empty() {
        jobs.push(Job::shared("edge.tf", "edge.tf.j2", &context));
    }
    if tf.alerts && !tf.alarms.is_empty() {
        jobs.push(Job::shared("monitoring.tf", "monitoring.tf.j2", &context));
    }
    if !tf.outputs.is_empty() {
        jobs.push(Job::shared("outputs.tf", "outputs.tf.j2", &context));
    }
    Ok(jobs)
}

/// `photo-jobs` → `PhotoJobs`.
fn camel(label: &str) -> String {
    label
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The AWS continent code of a region, for geolocation routing.
fn continent(region: &str) -> Option<&'static str> {
    let prefix = region.split('-').next()?;
    Some(match prefix {
        "us" | "ca" | "mx" => "NA",
        "sa" => "SA",
        "eu" => "EU",
        "af" => "AF",
        "ap" => {
            if region.starts_with("ap-southeast-2") || region.starts_with("ap-southeast-4") {
                "OC"
            } else {
                "AS"
            }
        }
        "me" | "il" => "AS",
        _ => return None,
    })
}

/// Whether an instance type runs on arm64 (Graviton: `m7g`, `c6gn`, …).
fn is_arm(instance: &str) -> bool {
    let family = instance
        .trim_start_matches("db.")
        .trim_start_matches("cache.");
    let family = family.split('.').next().unwrap_or("");
    match family.find(|c: char| c.is_ascii_digit()) {
        Some(i) => family[i + 1..].contains('g'),
        None => false,
    }
}

/// The smallest ElastiCache node with at least `bytes` of memory.
fn cache_node(bytes: f64) -> (&'static str, f64) {
    const NODES: &[(&str, f64)] = &[
        ("cache.t4g.micro", 0.5),
        ("cache.t4g.small", 1.37),
        ("cache.t4g.medium", 3.09),
        ("cache.m7g.large", 6.38),
        ("cache.m7g.xlarge", 12.93),
        ("cache.r7g.xlarge", 26.32),
        ("cache.r7g.2xlarge", 52.82),
        ("cache.r7g.4xlarge", 105.81),
        ("cache.r7g.8xlarge", 209.55),
        ("cache.r7g.16xlarge", 419.09),
    ];
    let gib = bytes / (1u64 << 30) as f64;
    for (name, mem) in NODES {
        if *mem >= gib {
            return (name, *mem);
        }
    }
    NODES[NODES.len() - 1]
}

fn lit(name: impl Into<String>, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        literal: Some(value.into()),
        expr: None,
    }
}

fn expr(name: impl Into<String>, e: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        literal: None,
        expr: Some(e.into()),
    }
}

impl Builder<'_> {
    /// The resource name of a component copy (`web_us_east`), or of a
    /// component as a whole (`dc` none), the same for every resource of
    /// it. A name is taken only when it is free with every suffix that
    /// resources append to it, so no two resources of one type meet.
    fn base(&mut self, comp: usize, dc: Option<usize>) -> String {
        let dc = dc.filter(|d| !self.view.datacenters[*d].implicit);
        if let Some(b) = self.bases.get(&(comp, dc)) {
            return b.clone();
        }
        let c = &self.view.components[comp];
        let raw = match dc {
            Some(d) => format!("{}_{}", c.snake, self.view.datacenters[d].snake),
            None => c.snake.clone(),
        };
        let first = super::escape::ident(&raw, Style::Snake, 56);
        let mut n = 1;
        let name = loop {
            let candidate = if n == 1 {
                first.clone()
            } else {
                format!("{first}_{n}")
            };
            let free = std::iter::once(String::new())
                .chain(SUFFIXES.iter().map(|s| s.to_string()))
                .all(|s| !self.taken.contains(&format!("{candidate}{s}")));
            if free {
                break candidate;
            }
            n += 1;
        };
        self.taken.insert(name.clone());
        for s in SUFFIXES {
            self.taken.insert(format!("{name}{s}"));
        }
        self.bases.insert((comp, dc), name.clone());
        name
    }

    fn push_alb(&mut self, alb: Alb) {
        self.albs_of_tg
            .entry(alb.target_group.clone())
            .or_default()
            .push(self.tf.albs.len());
        self.tf.albs.push(alb);
    }

    fn dc(&self, i: usize) -> &TfDc {
        &self.tf.dcs[i]
    }

    fn note(&mut self, s: String) {
        self.tf.notes.push(s);
    }

    fn unsupported(&mut self, c: &ComponentView, message: String) {
        self.errors.push(BuildError::Unsupported {
            component: format!("{} `{}`", c.kind, c.name),
            message,
        });
    }

    /// A name for an AWS resource: system, parts, datacenter.
    fn aws_name(&self, parts: &[&str], dc: usize, max: usize) -> String {
        let mut all = vec![self.view.system_label.as_str()];
        all.extend(parts.iter().copied());
        let label = &self.tf.dcs[dc].label;
        if !label.is_empty() {
            all.push(label);
        }
        resource_name(&all, max)
    }

    fn variable(&mut self, mut v: Variable) {
        if self.variable_names.contains(&v.name) {
            return;
        }
        // Regions, then per component in design order, then the rest. A
        // component's variables are named `<label>_…`; labels may hold `_`,
        // so every prefix ending before a `_` is a candidate, and the
        // earliest component among them wins.
        let component = v
            .name
            .match_indices('_')
            .filter_map(|(at, _)| self.by_snake.get(&v.name[..at]).copied())
            .min();
        v.rank = if v.name == "region" || v.name.starts_with("region_") {
            (0, 0)
        } else if let Some(index) = component {
            (1, index)
        } else {
            (2, 0)
        };
        self.variable_names.insert(v.name.clone());
        self.tf.variables.push(v);
    }

    fn build(&mut self) {
        let view = self.view;
        for d in &view.datacenters {
            self.datacenter(d);
        }
        // Security groups first: rules refer to both ends.
        for c in &view.components {
            for copy in &c.copies {
                let Some(dc) = copy.dc else { continue };
                if matches!(c.kind, "lb" | "service" | "database" | "cache")
                    && !(c.kind == "database" && c.managed)
                {
                    let id = self.base(c.index, Some(dc));
                    self.sgs.insert((c.index, dc), id.clone());
                    let name_prefix = format!("{}-", self.aws_name(&[&c.label], dc, 200));
                    self.tf.security_groups.push(SecurityGroup {
                        order: c.index,
                        id,
                        dc,
                        name_prefix,
                        description: aws_text(&format!(
                            "{} {} - only the flows of the design",
                            c.kind, c.name
                        )),
                    });
                }
            }
        }
        let order = view::placement_order(view);
        for &i in &order {
            let c = &view.components[i];
            match Kind::parse(c.kind) {
                Some(Kind::Database) => self.database(c),
                Some(Kind::Cache) => self.cache(c),
                Some(Kind::Queue) => self.queue(c),
                Some(Kind::Storage) => self.storage(c),
                _ => {}
            }
        }
        // Services and balancers need their callees' endpoints; services
        // called through a balancer need the balancer's target group.
        for &i in &order {
            let c = &view.components[i];
            if c.kind == "service" {
                self.service_front(c);
            }
        }
        for &i in &order {
            let c = &view.components[i];
            if c.kind == "lb" {
                self.lb(c);
            }
        }
        for &i in &order {
            let c = &view.components[i];
            if c.kind == "service" {
                self.service(c);
            }
        }
        for &i in &order {
            let c = &view.components[i];
            match Kind::parse(c.kind) {
                Some(Kind::Cdn) => self.cdn(c),
                Some(Kind::Client) => self.note(format!(
                    "client `{}`: not mapped; clients are the users outside",
                    c.name
                )),
                _ => {}
            }
        }
        for &i in &order {
            let c = &view.components[i];
            if c.kind == "dns" {
                self.dns(c);
            }
        }
        if !self.tf.databases.is_empty() || !self.tf.tables.is_empty() {
            self.variable(Variable {
                rank: (9, 0),
                name: "deletion_protection".into(),
                description: "refuse to delete databases (turn off before `terraform destroy`)"
                    .into(),
                kind: "bool",
                default_literal: Some("true".into()),
                default_string: None,
                sensitive: false,
            });
        }
        self.alarms();
        self.outputs();
        self.tf.variables.sort_by_key(|v| v.rank);
        // Design order, datacenter by datacenter (stable: rules keep the
        // order they were made in within one group).
        self.tf.security_groups.sort_by_key(|g| (g.order, g.dc));
        self.tf.albs.sort_by_key(|a| (a.order, a.dc));
        self.tf.target_groups.sort_by_key(|t| (t.order, t.dc));
        self.tf.roles.sort_by_key(|r| r.order);
        let group_rank: HashMap<&str, usize> = self
            .tf
            .security_groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.as_str(), i))
            .collect();
        self.tf
            .rules
            .sort_by_cached_key(|r| group_rank.get(r.sg.as_str()).copied().unwrap_or(usize::MAX));
        let design_rank: HashMap<&str, usize> = view
            .components
            .iter()
            .rev()
            .map(|c| (c.name.as_str(), c.index))
            .collect();
        self.tf.services.sort_by_cached_key(|s| {
            design_rank
                .get(s.component.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        });
        for d in 0..self.tf.dcs.len() {
            let archs: Vec<&'static str> = ["x86_64", "arm64"]
                .into_iter()
                .filter(|a| self.tf.services.iter().any(|s| s.dc == d && s.arch == *a))
                .collect();
            self.tf.dcs[d].archs = archs;
            self.tf.dcs[d].rds = self.tf.databases.iter().any(|x| x.dc == d);
            self.tf.dcs[d].rds_kms = self
                .tf
                .databases
                .iter()
                .any(|x| x.dc == d && x.source.is_some());
            self.tf.dcs[d].cache = self.tf.caches.iter().any(|x| x.dc == d);
            self.tf.dcs[d].alarms = self.tf.alarms.iter().any(|x| x.dc == d);
        }
        self.tf.has_rds = !self.tf.databases.is_empty();
        self.tf.has_cache = !self.tf.caches.is_empty();
    }

    fn datacenter(&mut self, d: &DcView) {
        let (snake, label, alias, region_var) = if d.implicit {
            (
                String::new(),
                String::new(),
                "main".to_string(),
                "region".to_string(),
            )
        } else {
            (
                d.snake.clone(),
                d.label.clone(),
                d.snake.clone(),
                format!("region_{}", d.snake),
            )
        };
        self.variable(Variable {
            rank: (9, 0),
            name: region_var.clone(),
            description: if d.implicit {
                "AWS region to deploy to (the design declares no datacenter)".to_string()
            } else {
                format!("AWS region of datacenter {}", d.name)
            },
            kind: "string",
            default_literal: None,
            default_string: d.region.clone(),
            sensitive: false,
        });
        let aws = if d.implicit {
            self.view.system_label.clone()
        } else {
            resource_name(&[&self.view.system_label, &d.label], 60)
        };
        self.tf.dcs.push(TfDc {
            dc_name: d.name.clone(),
            within: if d.implicit {
                String::new()
            } else {
                format!(" in {}", d.name)
            },
            implicit: d.implicit,
            snake,
            label,
            net: alias.clone(),
            name: aws,
            alias,
            region_var,
            cidr: format!("10.{}.0.0/16", d.index),
            first: d.index == 0,
            archs: Vec::new(),
            rds: false,
            cache: false,
            alarms: false,
            rds_kms: false,
            weight: d.weight,
        });
    }

    fn sg_of(&self, c: &ComponentView, dc: usize) -> Option<String> {
        self.sgs.get(&(c.index, dc)).cloned()
    }

    /// Adds a rule once, naming it after its ends.
    fn push_rule(&mut self, mut r: Rule) {
        let key = (
            r.dc,
            r.direction,
            r.sg.clone(),
            r.peer_sg.clone(),
            r.cidr.clone(),
            r.port,
        );
        if !self.rule_keys.insert(key) {
            return;
        }
        let other = r.peer_sg.clone().unwrap_or_else(|| "world".to_string());
        r.id = self
            .rule_ids
            .name(&format!("{}_{}_{other}_{}", r.sg, r.direction, r.port));
        r.description = aws_text(&r.description);
        self.tf.rules.push(r);
    }

    /// A rule between a group and every address.
    fn open(
        &mut self,
        dc: usize,
        direction: &'static str,
        sg: &str,
        port: u16,
        description: String,
    ) {
        self.push_rule(Rule {
            id: String::new(),
            dc,
            direction,
            sg: sg.to_string(),
            peer_sg: None,
            cidr: Some("0.0.0.0/0".to_string()),
            port,
            description,
        });
    }

    /// Ingress into a callee's group from a caller's, and the matching
    /// egress out of the caller's.
    fn allow(&mut self, dc: usize, from_sg: &str, from: &str, to_sg: &str, to: &str, port: u16) {
        let description = format!("{from} to {to}");
        self.push_rule(Rule {
            id: String::new(),
            dc,
            direction: "ingress",
            sg: to_sg.to_string(),
            peer_sg: Some(from_sg.to_string()),
            cidr: None,
            port,
            description: description.clone(),
        });
        self.push_rule(Rule {
            id: String::new(),
            dc,
            direction: "egress",
            sg: from_sg.to_string(),
            peer_sg: Some(to_sg.to_string()),
            cidr: None,
            port,
            description,
        });
    }

    fn password(&mut self, c: &ComponentView, what: &str) -> String {
        let id = self.base(c.index, None);
        self.tf.passwords.push(Password {
            id: id.clone(),
            comment: format!(
                "{what} of `{}`, kept in Terraform state and Secrets Manager",
                c.name
            ),
        });
        id
    }

    fn database(&mut self, c: &ComponentView) {
        let Some(db) = c.database.clone() else { return };
        if db.engine == "dynamodb" {
            self.dynamodb(c);
            return;
        }
        let (engine, version, port) = match db.engine.as_str() {
            "postgres" | "postgresql" => ("postgres", "16", 5432),
            "mysql" => ("mysql", "8.4", 3306),
            other => {
                self.unsupported(
                    c,
                    format!(
                        "engine `{other}` is not mapped by the terraform backend (it maps postgres and mysql to RDS, dynamodb to DynamoDB)"
                    ),
                );
                return;
            }
        };
        let instance_var = format!("{}_instance_class", c.snake);
        let default_class = match &c.instance {
            Some(i) if i.starts_with("db.") => i.clone(),
            Some(i) => format!("db.{i}"),
            None => "db.m7g.large".to_string(),
        };
        self.variable(Variable {
            rank: (9, 0),
            name: instance_var.clone(),
            description: format!("RDS instance class of `{}`", c.name),
            kind: "string",
            default_literal: None,
            default_string: Some(default_class),
            sensitive: false,
        });
        let password = self.password(c, "master password");
        let sharded = db.total_shards > 1;
        let cross = db.cross_dc != "none" && c.copies.len() > 1;
        let mut source: Option<(String, usize)> = None;
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let id = self.base(c.index, Some(dc));
            let Some(sg) = self.sg_of(c, dc) else {
                continue;
            };
            let secret = id.clone();
            let mut notes = Vec::new();
            if c.public {
                notes.push(
                    "public = true in the design: not honoured, a database is never publicly accessible"
                        .to_string(),
                );
            }
            if db.failover != "automatic" {
                notes.push(format!(
                    "failover = {}: no Multi-AZ standby, so losing the primary's zone stops writes",
                    db.failover
                ));
            }
            if db.cross_dc == "sync" && cross {
                notes.push(
                    "cross_dc = sync: RDS replicates across regions asynchronously only"
                        .to_string(),
                );
            }
            let shards: Vec<ShardStorage> = copy
                .shards
                .iter()
                .map(|s| {
                    let (gb, comment) = storage_gb(
                        s.storage_bytes_retained,
                        s.storage_bytes_per_day,
                        db.replicas,
                    );
                    ShardStorage {
                        key: s.index.to_string(),
                        gb,
                        comment: if comment.is_empty() {
                            s.figure.clone()
                        } else {
                            format!("{}; {comment}", s.figure)
                        },
                    }
                })
                .collect();
            let (gb, storage_comment) = storage_gb(
                copy.storage_bytes_retained,
                copy.storage_bytes_per_day,
                db.replicas,
            );
            let this_source = match (&source, cross) {
                (Some((src, src_dc)), true) => {
                    let src_dc_name = self.dc(*src_dc).dc_name.clone();
                    notes.push(format!(
                        "cross_dc = {}: a cross-region read replica of the {src_dc_name} primary, to promote on failover; writes go to {src_dc_name}",
                        db.cross_dc
                    ));
                    Some((src.clone(), src_dc_name))
                }
                _ => None,
            };
            if source.is_none() {
                source = Some((id.clone(), dc));
            }
            self.tf.databases.push(Database {
                id: id.clone(),
                dc,
                component: c.name.clone(),
                engine,
                engine_version: version,
                port,
                identifier: self.aws_name(&[&c.label], dc, 50),
                instance_var: instance_var.clone(),
                db_name: c.snake.clone(),
                password: password.clone(),
                sg: sg.clone(),
                secret: secret.clone(),
                multi_az: db.failover == "automatic",
                figure: copy.figure.clone(),
                notes,
                shards,
                sharded,
                allocated_storage: gb,
                storage_comment,
                replicas: db.replicas,
                source: this_source.as_ref().map(|s| s.0.clone()),
                source_dc: this_source.map(|s| s.1),
            });
            let p = &c.env;
            let mut env = vec![
                expr(
                    format!("{p}_SECRET_ARN"),
                    format!("aws_secretsmanager_secret.{secret}.arn"),
                ),
                lit(format!("{p}_PORT"), port.to_string()),
                lit(format!("{p}_DATABASE"), c.snake.clone()),
            ];
            if sharded {
                // Shards in index order: the routing of LANGUAGE.md §9 numbers them.
                let keys: Vec<String> = copy
                    .shards
                    .iter()
                    .map(|s| format!("\"{}\"", s.index))
                    .collect();
                let keys = keys.join(", ");
                env.push(expr(
                    format!("{p}_SHARD_HOSTS"),
                    format!("join(\",\", [for k in [{keys}] : aws_db_instance.{id}[k].address])"),
                ));
                env.push(lit(format!("{p}_SHARDS"), db.shards.to_string()));
                env.push(lit(format!("{p}_SHARDING"), db.sharding));
                if let Some(k) = &db.shard_key {
                    env.push(lit(format!("{p}_SHARD_KEY"), k.clone()));
                }
                if !db.dedicated.is_empty() {
                    env.push(lit(
                        format!("{p}_DEDICATED_SHARDS"),
                        view::dedicated_json(&db.dedicated, db.shards),
                    ));
                }
                if db.replicas > 0 {
                    for sh in &copy.shards {
                        env.push(expr(
                            format!("{p}_SHARD_{}_READ_HOSTS", sh.index),
                            format!(
                                "join(\",\", [for r in range(1, {}) : aws_db_instance.{id}_replica[format(\"{}-%d\", r)].address])",
                                db.replicas + 1,
                                sh.index
                            ),
                        ));
                    }
                }
            } else {
                env.push(expr(
                    format!("{p}_HOST"),
                    format!("aws_db_instance.{id}.address"),
                ));
                if db.replicas > 0 {
                    env.push(expr(
                        format!("{p}_READ_HOSTS"),
                        format!("join(\",\", aws_db_instance.{id}_replica[*].address)"),
                    ));
                }
            }
            env.push(lit(format!("{p}_READ_FROM"), db.read_from));
            self.endpoints[c.index][dc] = Some(Endpoint {
                sg: Some((sg, port)),
                env,
                iam: vec![grant(
                    "ReadSecret",
                    vec!["secretsmanager:GetSecretValue"],
                    Vec::new(),
                    vec![format!("aws_secretsmanager_secret.{secret}.arn")],
                )],
            });
        }
    }

    fn dynamodb(&mut self, c: &ComponentView) {
        let db = c.database.clone();
        let cross = db.as_ref().is_some_and(|d| d.cross_dc != "none") && c.copies.len() > 1;
        let hash_key = db
            .as_ref()
            .and_then(|d| d.shard_key.clone())
            .unwrap_or_else(|| "id".to_string());
        let mut table: Option<(String, String, usize)> = None;
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let (id, name) = match (&table, cross) {
                (Some((id, name, _)), true) => (id.clone(), name.clone()),
                _ => {
                    let id = self.base(c.index, Some(dc));
                    let name = if cross {
                        resource_name(&[&self.view.system_label, &c.label], 255)
                    } else {
                        self.aws_name(&[&c.label], dc, 255)
                    };
                    let replicas = if cross {
                        c.copies
                            .iter()
                            .filter_map(|cp| cp.dc)
                            .filter(|d| *d != dc)
                            .map(|d| self.dc(d).region_var.clone())
                            .collect()
                    } else {
                        Vec::new()
                    };
                    self.tf.tables.push(Table {
                        id: id.clone(),
                        dc,
                        component: c.name.clone(),
                        name: name.clone(),
                        hash_key: hash_key.clone(),
                        replica_region_vars: replicas,
                    });
                    table = Some((id.clone(), name.clone(), dc));
                    (id, name)
                }
            };
            let _ = name;
            let p = &c.env;
            self.endpoints[c.index][dc] = Some(Endpoint {
                sg: None,
                env: vec![expr(
                    format!("{p}_TABLE"),
                    format!("aws_dynamodb_table.{id}.name"),
                )],
                iam: vec![grant(
                    "Table",
                    vec![
                        "dynamodb:GetItem",
                        "dynamodb:BatchGetItem",
                        "dynamodb:Query",
                    ],
                    vec![
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem",
                        "dynamodb:BatchWriteItem",
                    ],
                    vec![format!(
                        "format(\"arn:aws:dynamodb:*:*:table/%s\", aws_dynamodb_table.{id}.name)"
                    )],
                )],
            });
        }
    }

    fn cache(&mut self, c: &ComponentView) {
        let Some(cache) = c.cache.clone() else { return };
        let (engine, port) = match cache.engine.as_str() {
            "redis" => ("redis", 6379),
            "memcached" => ("memcached", 11211),
            other => {
                self.unsupported(
                    c,
                    format!(
                        "engine `{other}` is not mapped by the terraform backend (it maps redis and memcached to ElastiCache)"
                    ),
                );
                return;
            }
        };
        let node_var = format!("{}_node_type", c.snake);
        let (default_node, comment) = match (&c.instance, cache.memory_bytes) {
            (Some(i), _) => (
                if i.starts_with("cache.") {
                    i.clone()
                } else {
                    format!("cache.{i}")
                },
                "the design's `instance`".to_string(),
            ),
            (None, Some(m)) => {
                let (node, gib) = cache_node(m);
                (
                    node.to_string(),
                    format!(
                        "the smallest node with {} per instance: {gib} GiB",
                        view::size(m)
                    ),
                )
            }
            (None, None) => (
                "cache.t4g.medium".to_string(),
                "no `memory` in the design".to_string(),
            ),
        };
        self.variable(Variable {
            rank: (9, 0),
            name: node_var.clone(),
            description: format!("ElastiCache node type of `{}` ({comment})", c.name),
            kind: "string",
            default_literal: None,
            default_string: Some(default_node),
            sensitive: false,
        });
        let password = (engine == "redis").then(|| self.password(c, "auth token"));
        let policy = match cache.eviction {
            "lru" => "allkeys-lru",
            "lfu" => "allkeys-lfu",
            "fifo" => "volatile-ttl",
            _ => "noeviction",
        };
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let id = self.base(c.index, Some(dc));
            let Some(sg) = self.sg_of(c, dc) else {
                continue;
            };
            let mut notes = Vec::new();
            if cache.cross_dc != "none" && c.copies.len() > 1 {
                notes.push(format!(
                    "cross_dc = {}: not mapped; each region has its own cache (a Global Datastore would replicate it)",
                    cache.cross_dc
                ));
            }
            if cache.eviction == "fifo" {
                notes.push(
                    "eviction fifo: Redis has none; volatile-ttl evicts the key nearest expiry"
                        .to_string(),
                );
            }
            if engine == "memcached" {
                notes.push(
                    "Memcached has no authentication: only the design's callers reach it"
                        .to_string(),
                );
            }
            let mut n = c.replicas.max(1);
            if engine == "redis" && n > 6 {
                notes.push(format!(
                    "replicas = {n}: a replication group holds at most 6 nodes (1 primary, 5 replicas)"
                ));
                n = 6;
            }
            let secret = password.as_ref().map(|_| id.clone());
            self.tf.caches.push(Cache {
                id: id.clone(),
                dc,
                component: c.name.clone(),
                engine,
                group_id: self.aws_name(&[&c.label], dc, 40),
                node_var: node_var.clone(),
                nodes: n,
                failover: n >= 2,
                policy,
                reserved_percent: (cache.overprovision * 100.0).round() as u32,
                sg: sg.clone(),
                password: password.clone(),
                secret: secret.clone(),
                comment: format!(
                    "{n} node(s) as designed{}",
                    if n >= 2 {
                        ", automatic failover across zones"
                    } else {
                        "; one node, no failover"
                    }
                ),
                notes,
            });
            let p = &c.env;
            let (env, iam) = match engine {
                "redis" => (
                    vec![
                        expr(
                            format!("{p}_HOST"),
                            format!(
                                "aws_elasticache_replication_group.{id}.primary_endpoint_address"
                            ),
                        ),
                        expr(
                            format!("{p}_READER_HOST"),
                            format!(
                                "aws_elasticache_replication_group.{id}.reader_endpoint_address"
                            ),
                        ),
                        lit(format!("{p}_PORT"), port.to_string()),
                        lit(format!("{p}_TLS"), "true"),
                        expr(
                            format!("{p}_SECRET_ARN"),
                            format!("aws_secretsmanager_secret.{id}.arn"),
                        ),
                    ],
                    vec![grant(
                        "ReadSecret",
                        vec!["secretsmanager:GetSecretValue"],
                        Vec::new(),
                        vec![format!("aws_secretsmanager_secret.{id}.arn")],
                    )],
                ),
                _ => (
                    vec![expr(
                        format!("{p}_SERVERS"),
                        format!("aws_elasticache_cluster.{id}.configuration_endpoint"),
                    )],
                    Vec::new(),
                ),
            };
            self.endpoints[c.index][dc] = Some(Endpoint {
                sg: Some((sg, port)),
                env,
                iam,
            });
        }
    }

    fn queue(&mut self, c: &ComponentView) {
        let Some(q) = c.queue.clone() else { return };
        // Consumers must not see a message again while one is working on
        // it: six times the slowest consumer's timeout, at least 30 s.
        let timeout = q
            .consumers
            .iter()
            .filter_map(|i| self.view.components[*i].service.as_ref())
            .map(|s| s.timeout_s)
            .fold(0.0, f64::max);
        let visibility = ((timeout * 6.0).ceil() as u32).clamp(30, 43_200);
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let id = self.base(c.index, Some(dc));
            let mut notes = Vec::new();
            if q.engine != "sqs" {
                notes.push(format!(
                    "engine {} in the design: mapped to SQS (Amazon MQ and MSK are not generated)",
                    q.engine
                ));
            }
            if !q.durable {
                notes.push("durable = false: SQS keeps every message durably anyway".to_string());
            }
            if c.replicas > 1 {
                notes.push(format!(
                    "replicas = {}: SQS is managed and redundant by itself",
                    c.replicas
                ));
            }
            let dlq = format!("{id}_dlq");
            self.tf.queues.push(Queue {
                id: id.clone(),
                dlq,
                dc,
                component: c.name.clone(),
                name: self.aws_name(&[&c.label], dc, 76),
                visibility_timeout: visibility,
                notes,
                max_backlog: q.max_backlog.map(|m| m.round() as u64),
            });
            let p = &c.env;
            self.endpoints[c.index][dc] = Some(Endpoint {
                sg: None,
                env: vec![expr(
                    format!("{p}_QUEUE_URL"),
                    format!("aws_sqs_queue.{id}.url"),
                )],
                iam: vec![grant(
                    "Queue",
                    vec![
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                        "sqs:GetQueueUrl",
                    ],
                    vec![
                        "sqs:SendMessage",
                        "sqs:GetQueueAttributes",
                        "sqs:GetQueueUrl",
                    ],
                    vec![format!("aws_sqs_queue.{id}.arn")],
                )],
            });
        }
    }

    fn storage(&mut self, c: &ComponentView) {
        let st = c.storage.clone();
        let mut ids = Vec::new();
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let id = self.base(c.index, Some(dc));
            self.buckets.insert((c.index, dc), id.clone());
            let engine = st.as_ref().map_or("s3", |s| s.engine.as_str());
            let cdn_policy = format!("{id}_cdn");
            self.tf.buckets.push(Bucket {
                id: id.clone(),
                cdn_policy,
                dc,
                component: c.name.clone(),
                prefix: format!("{}-", self.aws_name(&[&c.label], dc, 36)),
                comment: if engine == "s3" {
                    format!("storage `{}`", c.name)
                } else {
                    format!(
                        "storage `{}` (engine {engine} in the design, S3 here)",
                        c.name
                    )
                },
                cdns: Vec::new(),
            });
            ids.push((id.clone(), dc));
            let p = &c.env;
            self.endpoints[c.index][dc] = Some(Endpoint {
                sg: None,
                env: vec![expr(
                    format!("{p}_BUCKET"),
                    format!("aws_s3_bucket.{id}.bucket"),
                )],
                iam: vec![grant(
                    "Objects",
                    vec!["s3:GetObject"],
                    vec!["s3:PutObject", "s3:DeleteObject"],
                    vec![format!("format(\"%s/*\", aws_s3_bucket.{id}.arn)")],
                )],
            });
        }
        let cross = st.as_ref().is_some_and(|s| s.cross_dc != "none");
        if cross && ids.len() > 1 {
            let id = format!("{}_replication", self.base(c.index, None));
            let rules = ids
                .iter()
                .map(|(b, dc)| ReplicationSource {
                    bucket: b.clone(),
                    dc: *dc,
                    destinations: ids
                        .iter()
                        .filter(|(o, _)| o != b)
                        .map(|(o, d)| ReplicationTarget {
                            bucket: o.clone(),
                            datacenter: self.view.datacenters[*d].label.clone(),
                        })
                        .collect(),
                })
                .collect();
            self.tf.replications.push(BucketReplication {
                id,
                component: c.name.clone(),
                role_prefix: format!(
                    "{}-",
                    resource_name(&[&self.view.system_label, &c.label, "repl"], 30)
                ),
                first_dc: ids[0].1,
                buckets: ids.iter().map(|(b, _)| b.clone()).collect(),
                rules,
            });
        }
    }

    /// Decides which load balancer fronts each service copy and creates
    /// the target groups, so balancers and callers can refer to them.
    fn service_front(&mut self, c: &ComponentView) {
        let lb_callers: Vec<usize> = c
            .callers
            .iter()
            .copied()
            .filter(|&i| self.view.components[i].kind == "lb")
            .collect();
        let other_callers = c
            .callers
            .iter()
            .any(|&i| self.view.components[i].kind != "lb");
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let mut tgs = Vec::new();
            for &l in &lb_callers {
                let lb = self.view.components[l].clone();
                if lb.copy_in(dc).is_none() {
                    continue;
                }
                let tg = self.target_group(c, dc, Some(&lb));
                self.tgs.insert((c.index, dc, Some(l)), tg.clone());
                tgs.push((Some(l), tg));
            }
            if other_callers && tgs.is_empty() {
                // No balancer in the design: the service gets its own, so
                // callers have one address for every instance.
                let tg = self.target_group(c, dc, None);
                self.tgs.insert((c.index, dc, None), tg.clone());
                let alb = self.base(c.index, Some(dc));
                self.albs.insert((c.index, dc), alb.clone());
                let sg = format!("{alb}_alb");
                let internal = !c.exposed;
                self.tf.security_groups.push(SecurityGroup {
                    order: c.index,
                    id: sg.clone(),
                    dc,
                    name_prefix: format!("{}-", self.aws_name(&[&c.label, "alb"], dc, 200)),
                    description: aws_text(&format!("load balancer of service {}", c.name)),
                });
                self.push_alb(Alb {
                    order: c.index,
                    id: alb.clone(),
                    dc,
                    name: self.aws_name(&[&c.label], dc, 32),
                    internal,
                    sg: sg.clone(),
                    comment: format!(
                        "no lb in front of `{}` in the design: {} load balancer of its own",
                        c.name,
                        if internal {
                            "an internal"
                        } else {
                            "an internet-facing"
                        }
                    ),
                    target_group: tg.clone(),
                });
                tgs.push((None, tg));
                if let Some(svc_sg) = self.sg_of(c, dc) {
                    self.allow(
                        dc,
                        &sg,
                        &format!("{} load balancer", c.name),
                        &svc_sg,
                        &c.name,
                        SERVICE_PORT,
                    );
                }
                if !internal {
                    self.open(dc, "ingress", &sg, 80, format!("internet to {}", c.name));
                }
                self.endpoints[c.index][dc] = Some(Endpoint {
                    sg: Some((sg, 80)),
                    env: vec![expr(
                        format!("{}_URL", c.env),
                        format!("format(\"http://%s\", aws_lb.{alb}.dns_name)"),
                    )],
                    iam: Vec::new(),
                });
            }
            let _ = tgs;
        }
    }

    fn target_group(&mut self, c: &ComponentView, dc: usize, lb: Option<&ComponentView>) -> String {
        let dcs = self.dc(dc).snake.clone();
        let id = match lb {
            Some(l) => self.tg_ids.name(&format!("{}_{}_{dcs}", l.snake, c.snake)),
            None => self.tg_ids.name(&format!("{}_{dcs}", c.snake)),
        };
        let lbv = lb.and_then(|l| l.lb.clone());
        let (algorithm, sticky, interval, comment) = match &lbv {
            Some(l) => (
                if l.algorithm == "least-connections" {
                    "least_outstanding_requests"
                } else {
                    "round_robin"
                },
                l.sticky || l.algorithm == "ip-hash",
                (l.health_interval_s.round() as u32).clamp(5, 300),
                (l.algorithm == "ip-hash").then(|| {
                    "algorithm ip-hash: an ALB cannot hash client addresses; a stickiness cookie keeps clients on one instance".to_string()
                }),
            ),
            None => ("round_robin", false, 10, None),
        };
        let name = match lb {
            Some(l) => self.aws_name(&[&l.label, &c.label], dc, 32),
            None => self.aws_name(&[&c.label], dc, 32),
        };
        self.tf.target_groups.push(TargetGroup {
            order: c.index,
            id: id.clone(),
            dc,
            name,
            algorithm,
            sticky,
            health_interval: interval,
            comment,
        });
        id
    }

    fn lb(&mut self, c: &ComponentView) {
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let Some(sg) = self.sg_of(c, dc) else {
                continue;
            };
            // The first service this balancer calls gets its listener.
            let target = c
                .calls
                .iter()
                .find(|k| self.view.components[k.to].kind == "service");
            let Some(target) = target else {
                self.note(format!(
                    "lb `{}`: balances no service; an ALB needs a service behind it, not mapped",
                    c.name
                ));
                continue;
            };
            let svc = self.view.components[target.to].clone();
            let Some(tg_id) = self.tgs.get(&(svc.index, dc, Some(c.index))).cloned() else {
                continue;
            };
            for k in &c.calls {
                let callee = &self.view.components[k.to];
                if k.to != target.to {
                    self.note(format!(
                        "lb `{}` also calls `{}`: only its first service gets the listener",
                        c.name, callee.name
                    ));
                }
            }
            let alb = self.base(c.index, Some(dc));
            self.albs.insert((c.index, dc), alb.clone());
            let internal = !c.exposed;
            let mut comment = format!(
                "lb `{}`: an ALB spans two zones and scales itself ({})",
                c.name, copy.figure
            );
            if c.replicas > 1 {
                comment.push_str(&format!("; replicas = {} needs no mapping", c.replicas));
            }
            self.push_alb(Alb {
                order: c.index,
                id: alb.clone(),
                dc,
                name: self.aws_name(&[&c.label], dc, 32),
                internal,
                sg: sg.clone(),
                comment,
                target_group: tg_id,
            });
            if !internal {
                self.open(dc, "ingress", &sg, 80, format!("internet to {}", c.name));
            }
            if let Some(svc_sg) = self.sg_of(&svc, dc) {
                self.allow(dc, &sg, &c.name, &svc_sg, &svc.name, SERVICE_PORT);
            }
            self.endpoints[c.index][dc] = Some(Endpoint {
                sg: Some((sg.clone(), 80)),
                env: vec![expr(
                    format!("{}_URL", c.env),
                    format!("format(\"http://%s\", aws_lb.{alb}.dns_name)"),
                )],
                iam: Vec::new(),
            });
            // Callers of the service reach it through this balancer.
            if self.endpoints[svc.index][dc].is_none() {
                self.endpoints[svc.index][dc] = Some(Endpoint {
                    sg: Some((sg, 80)),
                    env: vec![expr(
                        format!("{}_URL", svc.env),
                        format!("format(\"http://%s\", aws_lb.{alb}.dns_name)"),
                    )],
                    iam: Vec::new(),
                });
            }
        }
    }

    fn service(&mut self, c: &ComponentView) {
        let image_var = format!("{}_image", c.snake);
        let instance_var = format!("{}_instance_type", c.snake);
        self.variable(Variable {
            rank: (9, 0),
            name: image_var.clone(),
            description: format!("container image of service `{}`", c.name),
            kind: "string",
            default_literal: None,
            default_string: Some(
                c.image
                    .clone()
                    .unwrap_or_else(|| super::engines::images::SERVICE.to_string()),
            ),
            sensitive: false,
        });
        let instance = c
            .instance
            .clone()
            .unwrap_or_else(|| "t3.medium".to_string());
        let arch = if is_arm(&instance) { "arm64" } else { "x86_64" };
        self.variable(Variable {
            rank: (9, 0),
            name: instance_var.clone(),
            description: format!(
                "EC2 instance type of service `{}` ({} AMI; keep the architecture)",
                c.name, arch
            ),
            kind: "string",
            default_literal: None,
            default_string: Some(instance),
            sensitive: false,
        });
        let role = self.base(c.index, None);
        let mut statements: Vec<Statement> = Vec::new();
        let callees: Vec<(usize, bool, bool, bool)> = {
            let mut v: Vec<(usize, bool, bool, bool)> = c
                .calls
                .iter()
                .chain(&c.through_caches)
                .map(|k| (k.to, k.reads, k.writes, false))
                .collect();
            if let Some(s) = &c.service {
                if let Some(q) = s.consumes {
                    v.push((q, false, false, true));
                }
                if let Some(store) = s.session_store
                    && !v.iter().any(|x| x.0 == store)
                {
                    v.push((store, true, true, false));
                }
            }
            v
        };
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let dcv = self.dc(dc).clone();
            let id = self.base(c.index, Some(dc));
            let Some(sg) = self.sg_of(c, dc) else {
                continue;
            };
            let mut env = vec![
                lit("PORT", SERVICE_PORT.to_string()),
                expr("AWS_REGION", format!("var.{}", dcv.region_var)),
            ];
            if let Some(s) = &c.service {
                env.push(lit(
                    "REQUEST_TIMEOUT_MS",
                    format!("{}", (s.timeout_s * 1000.0).round()),
                ));
                if let Some(store) = s.session_store {
                    env.push(lit(
                        "SESSION_STORE",
                        self.view.components[store].env.clone(),
                    ));
                }
                if let Some(q) = s.consumes {
                    env.push(lit("CONSUMES", self.view.components[q].env.clone()));
                }
            }
            for &(to, reads, writes, consumes) in &callees {
                let callee = self.view.components[to].clone();
                let ep = if callee.global {
                    None
                } else {
                    self.endpoints[to][dc].clone()
                };
                let Some(ep) = ep else {
                    if !matches!(callee.kind, "client" | "dns" | "cdn") {
                        self.note(format!(
                            "`{}` in {} calls `{}`, which has no copy there: cross-datacenter calls are not mapped",
                            c.name, dcv.dc_name, callee.name
                        ));
                    }
                    continue;
                };
                if let Some((to_sg, port)) = &ep.sg {
                    self.allow(dc, &sg, &c.name, to_sg, &callee.name, *port);
                }
                for e in &ep.env {
                    if !env.iter().any(|x| x.name == e.name) {
                        env.push(e.clone());
                    }
                }
                for g in &ep.iam {
                    let mut actions: Vec<&'static str> = Vec::new();
                    if callee.kind == "queue" {
                        // Consumers read the queue; callers write into it.
                        if consumes {
                            actions.extend(&g.read);
                        }
                        if reads || writes {
                            actions.extend(&g.write);
                        }
                    } else if g.sid == "ReadSecret" {
                        actions.extend(&g.read);
                    } else {
                        if reads {
                            actions.extend(&g.read);
                        }
                        if writes {
                            actions.extend(&g.write);
                        }
                    }
                    let resources = &g.resources;
                    let mut seen = std::collections::BTreeSet::new();
                    actions.retain(|a| seen.insert(*a));
                    if actions.is_empty() {
                        continue;
                    }
                    // IAM statement ids are letters and digits only.
                    let sid = format!("{}{}", camel(&callee.label), g.sid);
                    match statements.iter_mut().find(|s| s.sid == sid) {
                        Some(s) => {
                            for r in resources {
                                if !s.resources.contains(r) {
                                    s.resources.push(r.clone());
                                }
                            }
                        }
                        None => statements.push(Statement {
                            sid,
                            actions,
                            resources: resources.clone(),
                        }),
                    }
                }
            }
            // Images, AWS APIs and managed services are reached over HTTPS.
            self.open(
                dc,
                "egress",
                &sg,
                443,
                format!("{} to HTTPS (AWS APIs, image registry)", c.name),
            );
            let tgs: Vec<String> = self
                .tgs
                .range((c.index, dc, None)..=(c.index, dc, Some(usize::MAX)))
                .map(|(_, id)| id.clone())
                .collect();
            let mut at: Vec<usize> = tgs
                .iter()
                .filter_map(|tg| self.albs_of_tg.get(tg))
                .flatten()
                .copied()
                .collect();
            at.sort_unstable();
            at.dedup();
            let albs: Vec<(String, String)> = at
                .iter()
                .map(|&i| {
                    let a = &self.tf.albs[i];
                    (a.id.clone(), a.target_group.clone())
                })
                .collect();
            let (min, max) = match c.autoscale {
                Some([lo, hi]) => (lo, hi),
                None => (c.replicas, c.replicas),
            };
            let scaling = match (c.autoscale, c.capacity_rps, albs.first()) {
                (Some(_), Some(cap), Some((alb, tg))) => {
                    let per_minute = (cap * self.view.target_utilization * 60.0).round() as u64;
                    Some(Scaling {
                        alb: alb.clone(),
                        target_group: tg.clone(),
                        target_value: per_minute.max(1),
                        comment: format!(
                            "{} per instance x {} target utilisation x 60 s",
                            view::rate(cap),
                            view::percent(self.view.target_utilization)
                        ),
                    })
                }
                _ => None,
            };
            if c.autoscale.is_some() && scaling.is_none() {
                self.note(format!(
                    "service `{}`: autoscale without a load balancer in front; the group keeps its desired count",
                    c.name
                ));
            }
            self.tf.services.push(TfService {
                id: id.clone(),
                dc,
                component: c.name.clone(),
                name: self.aws_name(&[&c.label], dc, 200),
                name_prefix: format!("{}-", self.aws_name(&[&c.label], dc, 200)),
                sg: sg.clone(),
                role: role.clone(),
                image_var: image_var.clone(),
                instance_var: instance_var.clone(),
                arch,
                min,
                max,
                desired: copy.instances.clamp(min, max),
                figure: copy.figure.clone(),
                autoscale: c.autoscale.is_some(),
                target_groups: tgs,
                scaling,
                env,
            });
        }
        self.tf.roles.push(Role {
            order: c.index,
            id: role,
            component: c.name.clone(),
            name_prefix: format!(
                "{}-",
                resource_name(&[&self.view.system_label, &c.label], 30)
            ),
            statements,
        });
    }

    fn cdn(&mut self, c: &ComponentView) {
        let Some(cdn) = c.cdn.clone() else { return };
        let mut origins = Vec::new();
        for k in &c.calls {
            let callee = self.view.components[k.to].clone();
            for copy in &callee.copies {
                let Some(dc) = copy.dc else { continue };
                let origin_id = resource_name(&[&callee.label, &self.dc(dc).label], 60);
                match callee.kind {
                    "storage" => {
                        if let Some(b) = self.buckets.get(&(callee.index, dc)) {
                            origins.push(CdnOrigin {
                                origin_id,
                                bucket: Some(b.clone()),
                                alb: None,
                            });
                        }
                    }
                    "lb" | "service" => {
                        if let Some(alb) = self.albs.get(&(callee.index, dc)) {
                            origins.push(CdnOrigin {
                                origin_id,
                                bucket: None,
                                alb: Some(alb.clone()),
                            });
                        }
                    }
                    _ => {}
                }
            }
            if !origins.is_empty() {
                break;
            }
        }
        if origins.is_empty() {
            self.note(format!(
                "cdn `{}`: no storage or load balancer to use as its origin; not mapped",
                c.name
            ));
            return;
        }
        let id = self.base(c.index, None);
        for o in &origins {
            if let Some(bucket) = &o.bucket
                && let Some(b) = self.tf.buckets.iter_mut().find(|b| &b.id == bucket)
            {
                b.cdns.push(id.clone());
            }
        }
        let ttl = cdn.ttl_s.map_or(86_400, |t| t.round() as u64);
        let group = origins.len() >= 2;
        let target = if group {
            format!("{}-group", c.label)
        } else {
            origins[0].origin_id.clone()
        };
        self.tf.cdns.push(Cdn {
            id: id.clone(),
            component: c.name.clone(),
            name: resource_name(&[&self.view.system_label, &c.label], 64),
            default_ttl: ttl,
            max_ttl: ttl.max(31_536_000),
            comment: format!(
                "cdn `{}`: ttl {ttl} s, hit ratio {} expected; invalidation = {}",
                c.name,
                view::percent(cdn.hit_ratio),
                cdn.invalidation
            ),
            origins,
            target,
            group,
        });
        let endpoint = Endpoint {
            sg: None,
            env: vec![expr(
                format!("{}_URL", c.env),
                format!("format(\"https://%s\", aws_cloudfront_distribution.{id}.domain_name)"),
            )],
            iam: Vec::new(),
        };
        self.endpoints[c.index] = vec![Some(endpoint); self.view.datacenters.len()];
    }

    fn dns(&mut self, c: &ComponentView) {
        let Some(dns) = c.dns.clone() else { return };
        // The dns forwards to its successor's copies: their balancers.
        let mut records = Vec::new();
        let target = c.calls.first().map(|k| self.view.components[k.to].clone());
        let Some(target) = target else {
            self.note(format!("dns `{}`: forwards to nothing; not mapped", c.name));
            return;
        };
        let albs: Vec<(usize, String)> = target
            .copies
            .iter()
            .filter_map(|cp| cp.dc)
            .filter_map(|dc| self.albs.get(&(target.index, dc)).map(|a| (dc, a.clone())))
            .collect();
        if albs.is_empty() {
            self.note(format!(
                "dns `{}`: `{}` has no load balancer to point at; not mapped",
                c.name, target.name
            ));
            return;
        }
        let multi = albs.len() > 1;
        let regions: Vec<Option<String>> = albs
            .iter()
            .map(|(dc, _)| self.view.datacenters[*dc].region.clone())
            .collect();
        let continents: Vec<Option<&'static str>> = regions
            .iter()
            .map(|r| r.as_deref().and_then(continent))
            .collect();
        let distinct = {
            let mut seen = std::collections::BTreeSet::new();
            continents.iter().all(|c| c.is_some_and(|c| seen.insert(c)))
        };
        let (policy, comment): (Option<&'static str>, String) = if !multi {
            (None, "one datacenter: a plain alias record".to_string())
        } else {
            match dns.routing {
                "geo" if distinct => (
                    Some("geolocation"),
                    "routing = geo: each datacenter answers its continent; the heaviest answers the rest".to_string(),
                ),
                "geo" => (
                    Some("geoproximity"),
                    "routing = geo: two datacenters share a continent, so geoproximity picks the nearest region".to_string(),
                ),
                "latency" => (
                    Some("latency"),
                    "routing = latency: the region with the lowest latency answers".to_string(),
                ),
                "weighted" => (
                    Some("weighted"),
                    "routing = weighted: datacenter weights".to_string(),
                ),
                _ => (
                    Some("weighted"),
                    "routing = simple with several datacenters: weighted by datacenter weight".to_string(),
                ),
            }
        };
        // The heaviest datacenter answers where no other rule applies.
        let heaviest = albs
            .iter()
            .map(|(dc, _)| *dc)
            .max_by(|a, b| {
                self.view.datacenters[*a]
                    .weight
                    .total_cmp(&self.view.datacenters[*b].weight)
                    .then(b.cmp(a))
            })
            .unwrap_or(0);
        let failover = dns.failover && multi;
        // Three failed checks must fit in the ttl the design allows.
        let interval = if dns.ttl_s >= 90.0 { 30 } else { 10 };
        for (k, (dc, alb)) in albs.iter().enumerate() {
            let id = self.base(c.index, Some(*dc));
            records.push(DnsRecord {
                id: id.clone(),
                check: id.clone(),
                creates_check: failover,
                dc: *dc,
                set_identifier: self.view.datacenters[*dc].name.clone(),
                alb: alb.clone(),
                policy,
                continent: if policy == Some("geolocation") {
                    continents[k]
                } else {
                    None
                },
                default_location: false,
                weight: (self.view.datacenters[*dc].weight * 100.0).round() as u32,
                health_check: failover,
                interval,
            });
            if policy == Some("geolocation") && *dc == heaviest {
                let default_id = format!("{}_elsewhere", self.base(c.index, None));
                records.push(DnsRecord {
                    id: default_id,
                    check: id,
                    creates_check: false,
                    dc: *dc,
                    set_identifier: format!("{}-elsewhere", self.view.datacenters[*dc].name),
                    alb: alb.clone(),
                    policy,
                    continent: None,
                    default_location: true,
                    weight: 0,
                    health_check: failover,
                    interval,
                });
            }
        }
        let id = self.base(c.index, None);
        self.variable(Variable {
            rank: (9, 0),
            name: "domain_name".into(),
            description: format!(
                "DNS name dns `{}` answers for (e.g. www.example.com)",
                c.name
            ),
            kind: "string",
            default_literal: None,
            default_string: None,
            sensitive: false,
        });
        self.variable(Variable {
            rank: (9, 0),
            name: "route53_zone_id".into(),
            description: "Route 53 hosted zone holding domain_name".into(),
            kind: "string",
            default_literal: None,
            default_string: None,
            sensitive: false,
        });
        let ttl_note = if failover {
            format!(
                "; failover: health checks every {interval} s, 3 failures (the design's ttl is {:.0} s)",
                dns.ttl_s
            )
        } else if dns.failover {
            String::new()
        } else {
            "; failover = false: no health checks, a failed datacenter keeps its share".to_string()
        };
        self.tf.dns.push(Dns {
            id,
            component: c.name.clone(),
            routing: dns.routing,
            failover,
            comment: format!("dns `{}`: {comment}{ttl_note}", c.name),
            records,
        });
    }

    fn alarms(&mut self) {
        if !self.tf.alerts {
            return;
        }
        let view = self.view;
        let slo = view.slo.clone();
        let albs = self.tf.albs.clone();
        for a in &albs {
            let id = format!("{}_5xx", a.id);
            let peak = self.peak_at_alb(a);
            let (threshold, comment) = match (slo.error_rate, peak) {
                (Some(e), Some(p)) if view.has_traffic => {
                    let per_minute = (e * p * 60.0).max(1.0);
                    (
                        format!("{per_minute:.0}"),
                        format!(
                            "slo error_rate {} of {} at peak, per minute",
                            view::percent(e),
                            view::rate(p)
                        ),
                    )
                }
                _ => (
                    "0".to_string(),
                    "any server error (no error_rate slo)".to_string(),
                ),
            };
            self.tf.alarms.push(Alarm {
                id,
                dc: a.dc,
                name: format!("{}-5xx", a.name),
                comment,
                namespace: "AWS/ApplicationELB",
                metric: "HTTPCode_Target_5XX_Count",
                statistic: Some("Sum"),
                extended_statistic: None,
                comparison: "GreaterThanThreshold",
                threshold,
                period: 60,
                evaluation_periods: 5,
                dimensions: vec![Dimension {
                    name: "LoadBalancer",
                    expr: format!("aws_lb.{}.arn_suffix", a.id),
                }],
                for_each: None,
            });
            if let Some(p99) = slo.latency_p99_s {
                let id = format!("{}_p99", a.id);
                self.tf.alarms.push(Alarm {
                    id,
                    dc: a.dc,
                    name: format!("{}-p99", a.name),
                    comment: format!("slo latency_p99 = {:.0}ms", p99 * 1000.0),
                    namespace: "AWS/ApplicationELB",
                    metric: "TargetResponseTime",
                    statistic: None,
                    extended_statistic: Some("p99"),
                    comparison: "GreaterThanThreshold",
                    threshold: format!("{p99}"),
                    period: 60,
                    evaluation_periods: 5,
                    dimensions: vec![Dimension {
                        name: "LoadBalancer",
                        expr: format!("aws_lb.{}.arn_suffix", a.id),
                    }],
                    for_each: None,
                });
            }
        }
        for s in self.tf.services.clone() {
            if !s.autoscale {
                continue;
            }
            let id = format!("{}_at_max", s.id);
            self.tf.alarms.push(Alarm {
                id,
                dc: s.dc,
                name: format!("{}-at-max", s.name),
                comment: format!(
                    "autoscale max {} reached: the design's headroom is used up",
                    s.max
                ),
                namespace: "AWS/AutoScaling",
                metric: "GroupInServiceInstances",
                statistic: Some("Minimum"),
                extended_statistic: None,
                comparison: "GreaterThanOrEqualToThreshold",
                threshold: s.max.to_string(),
                period: 300,
                evaluation_periods: 2,
                dimensions: vec![Dimension {
                    name: "AutoScalingGroupName",
                    expr: format!("aws_autoscaling_group.{}.name", s.id),
                }],
                for_each: None,
            });
        }
        let target = (view.target_utilization * 100.0).round();
        for d in self.tf.databases.clone() {
            let id = format!("{}_cpu", d.id);
            self.tf.alarms.push(Alarm {
                id,
                dc: d.dc,
                name: format!("{}-cpu", d.identifier),
                comment: format!("above the design's {target:.0}% target utilisation"),
                namespace: "AWS/RDS",
                metric: "CPUUtilization",
                statistic: Some("Average"),
                extended_statistic: None,
                comparison: "GreaterThanThreshold",
                threshold: format!("{target:.0}"),
                period: 300,
                evaluation_periods: 3,
                dimensions: vec![Dimension {
                    name: "DBInstanceIdentifier",
                    expr: if d.sharded {
                        format!("aws_db_instance.{}[each.key].identifier", d.id)
                    } else {
                        format!("aws_db_instance.{}.identifier", d.id)
                    },
                }],
                for_each: d.sharded.then(|| format!("aws_db_instance.{}", d.id)),
            });
        }
        for q in self.tf.queues.clone() {
            let id = format!("{}_backlog", q.id);
            let (metric, threshold, comment) = match q.max_backlog {
                Some(m) => (
                    "ApproximateNumberOfMessagesVisible",
                    format!("{:.0}", (m as f64 * 0.8).round()),
                    format!("80% of max_backlog {m}"),
                ),
                None => (
                    "ApproximateAgeOfOldestMessage",
                    "900".to_string(),
                    "no max_backlog: a message waiting over 15 minutes".to_string(),
                ),
            };
            self.tf.alarms.push(Alarm {
                id,
                dc: q.dc,
                name: format!("{}-backlog", q.name),
                comment,
                namespace: "AWS/SQS",
                metric,
                statistic: Some("Maximum"),
                extended_statistic: None,
                comparison: "GreaterThanThreshold",
                threshold,
                period: 300,
                evaluation_periods: 2,
                dimensions: vec![Dimension {
                    name: "QueueName",
                    expr: format!("aws_sqs_queue.{}.name", q.id),
                }],
                for_each: None,
            });
        }
        self.variable(Variable {
            rank: (9, 0),
            name: "alarm_email".into(),
            description: "address the CloudWatch alarms are mailed to (empty: none)".into(),
            kind: "string",
            default_literal: None,
            default_string: Some(String::new()),
            sensitive: false,
        });
    }

    /// Peak requests per second the balancer's service receives.
    fn peak_at_alb(&self, a: &Alb) -> Option<f64> {
        let tg = &a.target_group;
        let svc = self
            .tf
            .services
            .iter()
            .find(|s| s.dc == a.dc && s.target_groups.contains(tg))?;
        let comp = self
            .view
            .components
            .iter()
            .find(|c| c.name == svc.component)?;
        comp.copy_in(a.dc).map(|c| c.peak_rps)
    }

    fn outputs(&mut self) {
        let albs = self.tf.albs.clone();
        for a in albs.iter().filter(|a| !a.internal) {
            self.tf.outputs.push(Output {
                name: format!("{}_url", a.id),
                description: format!("entry point{}", self.dc(a.dc).within),
                expr: format!("format(\"http://%s\", aws_lb.{}.dns_name)", a.id),
                sensitive: false,
            });
        }
        for c in self.tf.cdns.clone() {
            self.tf.outputs.push(Output {
                name: format!("{}_url", c.id),
                description: format!("cdn `{}`", c.component),
                expr: format!(
                    "format(\"https://%s\", aws_cloudfront_distribution.{}.domain_name)",
                    c.id
                ),
                sensitive: false,
            });
        }
        for d in self.tf.databases.clone() {
            self.tf.outputs.push(Output {
                name: format!("{}_endpoint", d.id),
                description: format!("database `{}`{}", d.component, self.dc(d.dc).within),
                expr: if d.sharded {
                    format!(
                        "{{ for k, db in aws_db_instance.{} : k => db.address }}",
                        d.id
                    )
                } else {
                    format!("aws_db_instance.{}.address", d.id)
                },
                sensitive: false,
            });
        }
        for q in self.tf.queues.clone() {
            self.tf.outputs.push(Output {
                name: format!("{}_url", q.id),
                description: format!("queue `{}`{}", q.component, self.dc(q.dc).within),
                expr: format!("aws_sqs_queue.{}.url", q.id),
                sensitive: false,
            });
        }
        for b in self.tf.buckets.clone() {
            self.tf.outputs.push(Output {
                name: format!("{}_bucket", b.id),
                description: format!("storage `{}`{}", b.component, self.dc(b.dc).within),
                expr: format!("aws_s3_bucket.{}.bucket", b.id),
                sensitive: false,
            });
        }
    }
}

/// Text AWS accepts in security group and rule descriptions: letters,
/// digits, spaces and `._-:/()#,@[]+=&;{}!$*`; anything else is dropped.
fn aws_text(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(*c))
        .collect()
}

/// Largest allocated storage RDS gives one instance, in GB (64 TiB).
pub const RDS_MAX_GB: u64 = 65_536;

/// Allocated storage for one RDS instance: its part of what the estimator
/// expects the copy to keep (the estimate counts every instance's copy of
/// the data, so a primary with `replicas` replicas holds 1 / (1 + replicas)
/// of it), a quarter on top, between RDS's 20 GB and its 64 TiB.
fn storage_gb(retained: Option<f64>, per_day: Option<f64>, replicas: u32) -> (u64, String) {
    let min = 20;
    let instances = f64::from(1 + replicas);
    let (bytes, how) = match (retained, per_day) {
        (Some(r), _) => (r / instances, "over the retention"),
        (None, Some(d)) if d > 0.0 => (d * 365.0 / instances, "in a year (no retention given)"),
        _ => return (min, String::new()),
    };
    let gb = ((bytes * 1.25) / 1e9).ceil() as u64;
    let mut comment = format!(
        "the estimator expects {} per instance {how}, +25%",
        view::size(bytes)
    );
    if gb > RDS_MAX_GB {
        comment.push_str(": more than RDS holds, shard further");
    }
    (gb.clamp(min, RDS_MAX_GB), comment)
}
