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

use super::engines::{self, SERVICE_PORT};
use super::escape::{Namer, Style, resource_name};
use super::rows::Rows;
use super::view::{self, ComponentView, DcView, View};
use super::{BuildError, Job};
use crate::model::Kind;
use minijinja::Value;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

mod compute;
mod data;
pub(crate) use data::mapped;
mod edge;
mod monitoring;
mod network;
mod security;

use compute::*;
use data::*;
use edge::*;
use monitoring::*;
use security::*;

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "versions.tf.j2",
        include_str!("../../../templates/terraform/versions.tf.j2"),
    ),
    (
        "providers.tf.j2",
        include_str!("../../../templates/terraform/providers.tf.j2"),
    ),
    (
        "variables.tf.j2",
        include_str!("../../../templates/terraform/variables.tf.j2"),
    ),
    (
        "network.tf.j2",
        include_str!("../../../templates/terraform/network.tf.j2"),
    ),
    (
        "security.tf.j2",
        include_str!("../../../templates/terraform/security.tf.j2"),
    ),
    (
        "compute.tf.j2",
        include_str!("../../../templates/terraform/compute.tf.j2"),
    ),
    (
        "data.tf.j2",
        include_str!("../../../templates/terraform/data.tf.j2"),
    ),
    (
        "edge.tf.j2",
        include_str!("../../../templates/terraform/edge.tf.j2"),
    ),
    (
        "monitoring.tf.j2",
        include_str!("../../../templates/terraform/monitoring.tf.j2"),
    ),
    (
        "outputs.tf.j2",
        include_str!("../../../templates/terraform/outputs.tf.j2"),
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
    "_default",
    "_logs",
    "_kms",
];

/// Everything the Terraform templates lay out.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tf {
    pub system: String,
    pub system_label: String,
    pub notes: Vec<String>,
    pub dcs: Rows<TfDc>,
    pub variables: Rows<Variable>,
    pub security_groups: Rows<SecurityGroup>,
    pub rules: Rows<Rule>,
    pub albs: Rows<Alb>,
    pub target_groups: Rows<TargetGroup>,
    pub services: Rows<TfService>,
    pub roles: Rows<Role>,
    pub databases: Rows<Database>,
    pub tables: Rows<Table>,
    pub caches: Rows<Cache>,
    pub queues: Rows<Queue>,
    /// DocumentDB, OpenSearch, Keyspaces, MSK and Redshift.
    pub managed: Rows<Managed>,
    pub buckets: Rows<Bucket>,
    pub replications: Rows<BucketReplication>,
    pub cdns: Rows<Cdn>,
    pub dns: Rows<Dns>,
    pub alarms: Rows<Alarm>,
    pub alerts: bool,
    pub outputs: Rows<Output>,
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
    /// The variable holding the ACM certificate of the datacenter's
    /// internet-facing balancers.
    pub cert_var: String,
    /// Whether the datacenter has balancers, whose access logs (and the
    /// VPC's flow logs) go to a log bucket.
    pub albs: bool,
    /// `bucket_prefix` of the log bucket (at most 37 characters).
    pub logs_prefix: String,
    pub weight: f64,
    /// Subnets on each side, one per zone: the design's `zones`, at least
    /// the two an RDS subnet group and an internet-facing ALB require.
    pub subnets: u32,
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
    /// Resource names handed out per component copy.
    bases: BTreeMap<(usize, Option<usize>), String>,
    /// Names taken: every base handed out stands for itself with each of
    /// the [`SUFFIXES`] too (see [`Taken`]).
    taken: Taken,
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
    /// The rules made so far (see `security::RuleKey`).
    rule_keys: HashSet<RuleKey>,
    /// Every security group name once, shared by its rules.
    groups: HashMap<Arc<str>, u32>,
}

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
        taken: Taken::default(),
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
        groups: HashMap::new(),
        albs_of_tg: HashMap::new(),
    };
    // The first component of a label wins, as a search in design order would.
    for c in view.components.iter().rev() {
        b.by_snake.insert(c.snake.clone(), c.index);
    }
    b.taken.fixed("ec2_assume");
    b.taken.fixed("rds_monitoring");
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
    let stores = tf.databases.len()
        + tf.tables.len()
        + tf.caches.len()
        + tf.queues.len()
        + tf.managed.len()
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

/// Whether a component's copies sit in the VPC behind a security group of
/// their own: balancers, services, caches, and the databases and queues
/// whose AWS service runs in the VPC (RDS, DocumentDB, OpenSearch, MSK,
/// Redshift; not DynamoDB, Keyspaces or SQS).
fn needs_security_group(c: &ComponentView) -> bool {
    let aws = || {
        c.engine
            .as_deref()
            .and_then(engines::lookup)
            .and_then(|e| e.aws)
    };
    match c.kind {
        "lb" | "service" | "cache" => true,
        "database" => !c.managed && aws().is_none_or(|a| a.in_vpc()),
        "queue" => matches!(aws(), Some(engines::Aws::Msk { .. })),
        _ => false,
    }
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

fn lit(name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> EnvVar {
    EnvVar {
        name: name.into(),
        literal: Some(value.into()),
        expr: None,
    }
}

fn expr(name: impl Into<Arc<str>>, e: impl Into<Arc<str>>) -> EnvVar {
    EnvVar {
        name: name.into(),
        literal: None,
        expr: Some(e.into()),
    }
}

/// The resource names taken so far. A base stands for itself and for
/// itself with each of the [`SUFFIXES`] without storing those: one string
/// per copy rather than fifteen (30 MB of the 10,000-component design).
#[derive(Default)]
struct Taken {
    bases: HashSet<String>,
    fixed: HashSet<String>,
}

impl Taken {
    fn fixed(&mut self, name: &str) {
        self.fixed.insert(name.to_string());
    }

    fn base(&mut self, name: &str) {
        self.bases.insert(name.to_string());
    }

    fn contains(&self, name: &str) -> bool {
        self.fixed.contains(name)
            || std::iter::once("")
                .chain(SUFFIXES.iter().copied())
                .any(|s| {
                    name.strip_suffix(s)
                        .is_some_and(|base| self.bases.contains(base))
                })
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
            let free = std::iter::once("")
                .chain(SUFFIXES.iter().copied())
                .all(|s| !self.taken.contains(&format!("{candidate}{s}")));
            if free {
                break candidate;
            }
            n += 1;
        };
        self.taken.base(&name);
        self.bases.insert((comp, dc), name.clone());
        name
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
                if needs_security_group(c) {
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
        // Only services read endpoints: free them before the rest of the
        // tables grow. (The cdn stage below records one that nothing reads:
        // services skip global callees.)
        for per_dc in &mut self.endpoints {
            per_dc.iter_mut().for_each(|e| *e = None);
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
        for d in 0..self.tf.dcs.len() {
            if self.tf.albs.iter().any(|a| a.dc == d && !a.internal) {
                let dcv = self.dc(d).clone();
                self.variable(Variable {
                    rank: (9, 0),
                    name: dcv.cert_var.clone(),
                    description: format!(
                        "ARN of the ACM certificate{} the internet-facing load balancers serve HTTPS with (in that region)",
                        dcv.within
                    ),
                    kind: "string",
                    default_literal: None,
                    default_string: None,
                    sensitive: false,
                });
            }
        }
        if !self.tf.cdns.is_empty() {
            self.variable(Variable {
                rank: (9, 0),
                name: "cdn_certificate_arn".into(),
                description: "ARN of an ACM certificate in us-east-1 for the cdn's own domain names (empty: CloudFront's default certificate)".into(),
                kind: "string",
                default_literal: None,
                default_string: Some(String::new()),
                sensitive: false,
            });
            self.variable(Variable {
                rank: (9, 0),
                name: "cdn_domain_names".into(),
                description: "domain names the cdn answers for, covered by cdn_certificate_arn"
                    .into(),
                kind: "list(string)",
                default_literal: Some("[]".into()),
                default_string: None,
                sensitive: false,
            });
        }
        if !self.tf.databases.is_empty() || !self.tf.tables.is_empty() || !self.tf.albs.is_empty() {
            self.variable(Variable {
                rank: (9, 0),
                name: "deletion_protection".into(),
                description: "refuse to delete databases and load balancers (turn off before `terraform destroy`)"
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
        // `albs_of_tg` indexes the balancers in the order they were made.
        for t in &mut self.tf.target_groups {
            let albs = self.albs_of_tg.get(&t.id);
            t.behind_internal = albs.is_some_and(|ix| ix.iter().any(|&i| self.tf.albs[i].internal));
            t.behind_rule = albs.is_some_and(|ix| {
                ix.iter().any(|&i| {
                    let a = &self.tf.albs[i];
                    !a.internal && a.rules.iter().any(|r| r.target_group == t.id)
                })
            });
        }
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
            .sort_by_cached_key(|r| group_rank.get(&*r.sg).copied().unwrap_or(usize::MAX));
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
            self.tf.dcs[d].albs = self.tf.albs.iter().any(|x| x.dc == d);
            self.tf.dcs[d].alarms = self.tf.alarms.iter().any(|x| x.dc == d);
        }
        self.tf.has_rds = !self.tf.databases.is_empty();
        self.tf.has_cache = !self.tf.caches.is_empty();
    }

    fn outputs(&mut self) {
        let albs = self.tf.albs.clone();
        for a in albs.iter().filter(|a| !a.internal) {
            self.tf.outputs.push(Output {
                name: format!("{}_url", a.id),
                description: format!("entry point{}", self.dc(a.dc).within),
                expr: compute::alb_url(&a.id, a.internal),
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
        for m in self.tf.managed.clone() {
            let (name, expr) = match m.service {
                "docdb" => ("endpoint", format!("aws_docdb_cluster.{}.endpoint", m.id)),
                "opensearch" => (
                    "endpoint",
                    format!("aws_opensearch_domain.{}.endpoint", m.id),
                ),
                "keyspaces" => ("keyspace", format!("aws_keyspaces_keyspace.{}.name", m.id)),
                "msk" => (
                    "bootstrap_servers",
                    format!("aws_msk_cluster.{}.bootstrap_brokers_sasl_iam", m.id),
                ),
                _ => (
                    "endpoint",
                    format!("aws_redshift_cluster.{}.dns_name", m.id),
                ),
            };
            let kind = if m.service == "msk" {
                "queue"
            } else {
                "database"
            };
            self.tf.outputs.push(Output {
                name: format!("{}_{name}", m.id),
                description: format!("{kind} `{}`{}", m.component, self.dc(m.dc).within),
                expr,
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
