//! `data.tf`: the stateful components on managed AWS services (RDS,
//! DynamoDB, ElastiCache, SQS, S3, DocumentDB, OpenSearch Service,
//! Keyspaces, MSK, Redshift), chosen by the engine catalogue.

use super::*;
use crate::backends::engines::Aws;

#[derive(Clone, Debug, Serialize)]
pub struct Database {
    pub id: String,
    pub dc: usize,
    pub component: String,
    pub engine: &'static str,
    pub engine_version: &'static str,
    /// The logs RDS exports to CloudWatch (the engine catalogue's).
    pub log_exports: &'static [&'static str],
    pub port: u16,
    pub identifier: String,
    pub instance_var: String,
    pub db_name: String,
    pub sg: String,
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
    pub engine_version: &'static str,
    pub family: &'static str,
    pub port: u16,
    /// A Redis replication group (primary and replicas) rather than a
    /// Memcached cluster of independent nodes.
    pub replicated: bool,
    pub group_id: String,
    pub node_var: String,
    pub nodes: u32,
    pub failover: bool,
    pub policy: &'static str,
    pub reserved_percent: u32,
    pub sg: String,
    /// The IAM-authenticated user services connect as, and the disabled
    /// `default` user every user group must hold (Redis only).
    pub user: Option<CacheUsers>,
    pub comment: String,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CacheUsers {
    /// The application user's name and id (IAM authentication needs them
    /// equal).
    pub app: String,
    /// The id of the disabled `default` user.
    pub default_id: String,
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

/// A store on one of the AWS services that are one resource (and its
/// companions) each: DocumentDB, OpenSearch Service, Keyspaces, MSK and
/// Redshift. `service` picks its block in `data.tf.j2`.
#[derive(Clone, Debug, Serialize)]
pub struct Managed {
    pub id: String,
    pub dc: usize,
    pub component: String,
    /// `docdb`, `opensearch`, `keyspaces`, `msk` or `redshift`.
    pub service: &'static str,
    /// The AWS service's name, for comments.
    pub title: &'static str,
    /// What the section is called: the engine on the service
    /// (`MongoDB on DocumentDB`), or the service alone.
    pub heading: String,
    /// The AWS identifier (cluster, domain or keyspace name).
    pub name: String,
    pub version: &'static str,
    pub family: &'static str,
    pub port: u16,
    pub sg: Option<String>,
    /// The variable holding the instance or node type.
    pub node_var: String,
    /// Instances, brokers or nodes.
    pub nodes: u32,
    pub nodes_comment: String,
    pub db_name: String,
    /// Storage per node, in GB (OpenSearch, MSK).
    pub volume_gb: u64,
    pub volume_comment: String,
    pub notes: Vec<String>,
    /// A multi-Region keyspace's regions, as the variables holding them
    /// (its own first); empty for every other store.
    pub regions: Vec<String>,
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

/// The smallest ElastiCache node with at least `bytes` of memory.
pub(super) fn cache_node(bytes: f64) -> (&'static str, f64) {
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

/// Largest allocated storage RDS gives one instance, in GB (64 TiB).
pub const RDS_MAX_GB: u64 = 65_536;

/// Allocated storage for one RDS instance: its part of what the estimator
/// expects the copy to keep (the estimate counts every instance's copy of
/// the data, so a primary with `replicas` replicas holds 1 / (1 + replicas)
/// of it), a quarter on top, between RDS's 20 GB and its 64 TiB.
pub(super) fn storage_gb(
    retained: Option<f64>,
    per_day: Option<f64>,
    replicas: u32,
) -> (u64, String) {
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

impl Builder<'_> {
    pub(super) fn database(&mut self, c: &ComponentView) {
        let Some(db) = c.database.clone() else { return };
        let entry = engines::lookup(&db.engine).filter(|e| e.serves(engines::Role::Database));
        let (engine, version, log_exports, port) = match entry.map(|e| (e, e.aws)) {
            Some((_, Some(Aws::DynamoDb))) => {
                self.dynamodb(c);
                return;
            }
            Some((
                e,
                Some(
                    aws @ (Aws::DocumentDb { .. }
                    | Aws::OpenSearch { .. }
                    | Aws::Keyspaces
                    | Aws::Redshift),
                ),
            )) => {
                self.managed_store(c, e, aws);
                return;
            }
            Some((
                e,
                Some(Aws::Rds {
                    engine,
                    version,
                    log_exports,
                }),
            )) => (engine, version, log_exports, e.port),
            _ => {
                self.unsupported(
                    c,
                    format!(
                        "engine `{}` is not mapped by the terraform backend (it maps {})",
                        db.engine,
                        mapped(engines::Role::Database)
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
        let sharded = db.total_shards > 1;
        let cross = db.cross_dc != "none" && c.copies.len() > 1;
        let mut source: Option<(String, usize)> = None;
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let id = self.base(c.index, Some(dc));
            let Some(sg) = self.sg_of(c, dc) else {
                continue;
            };
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
                log_exports,
                port,
                identifier: self.aws_name(&[&c.label], dc, 50),
                instance_var: instance_var.clone(),
                db_name: c.snake.clone(),
                sg: sg.clone(),
                multi_az: db.failover == "automatic",
                figure: copy.figure.clone(),
                notes,
                shards,
                sharded,
                allocated_storage: gb,
                storage_comment,
                replicas: db.replicas,
                source: this_source.as_ref().map(|s| s.0.clone()),
                source_dc: this_source.as_ref().map(|s| s.1.clone()),
            });
            // RDS keeps the master password in Secrets Manager and rotates
            // it; a replica answers to its source's credentials.
            let owner = this_source.map_or_else(|| id.clone(), |s| s.0);
            let secrets: Vec<String> = if sharded {
                copy.shards
                    .iter()
                    .map(|s| {
                        format!(
                            "aws_db_instance.{owner}[\"{}\"].master_user_secret[0].secret_arn",
                            s.index
                        )
                    })
                    .collect()
            } else {
                vec![format!(
                    "aws_db_instance.{owner}.master_user_secret[0].secret_arn"
                )]
            };
            let p = &c.env;
            let mut env = vec![
                if sharded {
                    expr(
                        format!("{p}_SECRET_ARNS"),
                        format!(
                            "jsonencode({{ for k, db in aws_db_instance.{owner} : k => db.master_user_secret[0].secret_arn }})"
                        ),
                    )
                } else {
                    expr(format!("{p}_SECRET_ARN"), secrets[0].clone())
                },
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
                    secrets,
                )],
            });
        }
    }

    pub(super) fn dynamodb(&mut self, c: &ComponentView) {
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

    pub(super) fn cache(&mut self, c: &ComponentView) {
        let Some(cache) = c.cache.clone() else { return };
        let entry = engines::lookup(&cache.engine).filter(|e| e.serves(engines::Role::Cache));
        let Some((
            entry,
            Aws::ElastiCache {
                engine,
                version,
                family,
            },
        )) = entry.and_then(|e| e.aws.map(|a| (e, a)))
        else {
            self.unsupported(
                c,
                format!(
                    "engine `{}` is not mapped by the terraform backend (it maps {})",
                    cache.engine,
                    mapped(engines::Role::Cache)
                ),
            );
            return;
        };
        let port = entry.port;
        // Engines that replicate run as a replication group with users;
        // the others as a cluster of independent nodes.
        let replicated = entry.replication != engines::Replication::None;
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
            if !replicated {
                notes.push(format!(
                    "{} has no authentication: only the design's callers reach it",
                    entry.title
                ));
            }
            let mut n = c.replicas.max(1);
            if replicated && n > 6 {
                notes.push(format!(
                    "replicas = {n}: a replication group holds at most 6 nodes (1 primary, 5 replicas)"
                ));
                n = 6;
            }
            let group_id = self.aws_name(&[&c.label], dc, 40);
            // IAM authentication: the user's name and id are one, and the
            // instance role's `elasticache:Connect` on it is the credential.
            let user = replicated.then(|| CacheUsers {
                app: self.aws_name(&[&c.label, "app"], dc, 40),
                default_id: self.aws_name(&[&c.label, "off"], dc, 40),
            });
            self.tf.caches.push(Cache {
                id: id.clone(),
                dc,
                component: c.name.clone(),
                engine,
                engine_version: version,
                family,
                port,
                replicated,
                group_id,
                node_var: node_var.clone(),
                nodes: n,
                failover: replicated && n >= 2,
                policy,
                reserved_percent: (cache.overprovision * 100.0).round() as u32,
                sg: sg.clone(),
                user: user.clone(),
                // Only a replication group (Redis, Valkey) fails over;
                // Memcached partitions keys over its nodes and a lost
                // node's keys are misses until it comes back.
                comment: format!(
                    "{n} node(s) as designed{}",
                    match (replicated, n >= 2) {
                        (true, true) => ", automatic failover across zones",
                        (false, true) => "; keys partitioned over the nodes, no failover (a lost node's keys miss)",
                        (_, false) => "; one node, no failover",
                    }
                ),
                notes,
            });
            let p = &c.env;
            let (env, iam) = match user {
                Some(user) => (
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
                        lit(format!("{p}_USER"), user.app),
                        lit(format!("{p}_AUTH"), "iam"),
                    ],
                    vec![grant(
                        "Connect",
                        vec!["elasticache:Connect"],
                        Vec::new(),
                        vec![
                            format!("aws_elasticache_replication_group.{id}.arn"),
                            format!("aws_elasticache_user.{id}.arn"),
                        ],
                    )],
                ),
                None => (
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

    pub(super) fn queue(&mut self, c: &ComponentView) {
        let Some(q) = c.queue.clone() else { return };
        if let Some(e) = engines::lookup(&q.engine)
            && let Some(aws @ Aws::Msk { .. }) = e.aws
        {
            self.managed_store(c, e, aws);
            return;
        }
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
            if engines::lookup(&q.engine).and_then(|e| e.aws) != Some(Aws::Sqs) {
                notes.push(format!(
                    "engine {} in the design: mapped to SQS (Amazon MQ is not generated)",
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

    pub(super) fn storage(&mut self, c: &ComponentView) {
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
                comment: if engines::lookup(engine).and_then(|e| e.aws) == Some(Aws::S3)
                    && engines::lookup(engine).is_some_and(|e| !e.self_hosted())
                {
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
}

impl Builder<'_> {
    /// A database or queue on DocumentDB, OpenSearch Service, Keyspaces,
    /// MSK or Redshift: one entry per copy for `data.tf.j2`, the variable
    /// of its node type, and what its callers get (address variables,
    /// security group rule, IAM permissions).
    fn managed_store(&mut self, c: &ComponentView, e: &'static engines::Engine, aws: Aws) {
        let (service, version, family, default_node, what) = match aws {
            Aws::DocumentDb { version, family } => (
                "docdb",
                version,
                family,
                "db.r6g.large",
                "DocumentDB instance class",
            ),
            Aws::OpenSearch { version } => (
                "opensearch",
                version,
                "",
                "r6g.large.search",
                "OpenSearch data node instance type",
            ),
            Aws::Keyspaces => ("keyspaces", "", "", "", ""),
            Aws::Msk { version } => (
                "msk",
                version,
                "",
                "kafka.m7g.large",
                "MSK broker instance type",
            ),
            Aws::Redshift => (
                "redshift",
                "",
                "redshift-1.0",
                "ra3.xlplus",
                "Redshift node type",
            ),
            _ => return,
        };
        let node_var = format!("{}_node_type", c.snake);
        if !default_node.is_empty() {
            let default = match &c.instance {
                Some(i) => match service {
                    "docdb" if !i.starts_with("db.") => format!("db.{i}"),
                    "opensearch" if !i.ends_with(".search") => format!("{i}.search"),
                    "msk" if !i.starts_with("kafka.") => format!("kafka.{i}"),
                    _ => i.clone(),
                },
                None => default_node.to_string(),
            };
            self.variable(Variable {
                rank: (9, 0),
                name: node_var.clone(),
                description: format!("{what} of `{}`", c.name),
                kind: "string",
                default_literal: None,
                default_string: Some(default),
                sensitive: false,
            });
        }
        let db = c.database.clone();
        let replicas = db.as_ref().map_or(0, |d| d.replicas);
        let copies_dcs: Vec<usize> = c.copies.iter().filter_map(|copy| copy.dc).collect();
        let cross = db.as_ref().is_some_and(|d| d.cross_dc != "none") && copies_dcs.len() > 1;
        // Keyspaces replicates one keyspace over regions itself (a
        // multi-Region keyspace, asynchronous and active in every region):
        // the first datacenter's keyspace lists every copy's region and the
        // other datacenters' callers use it at their own regional endpoint.
        let multi_region = service == "keyspaces" && cross;
        let mut first_keyspace: Option<(String, String)> = None;
        for copy in c.copies.clone() {
            let Some(dc) = copy.dc else { continue };
            let id = self.base(c.index, Some(dc));
            if multi_region && let Some((first, first_region)) = first_keyspace.clone() {
                let region = self.dc(dc).region_var.clone();
                let arn = format!(
                    "replace(aws_keyspaces_keyspace.{first}.arn, var.{first_region}, var.{region})"
                );
                let (env, iam) = keyspaces_access(&c.env, &region, &first, arn);
                self.endpoints[c.index][dc] = Some(Endpoint { sg: None, env, iam });
                continue;
            }
            let sg = self.sg_of(c, dc);
            if aws.in_vpc() && sg.is_none() {
                continue;
            }
            let mut notes = Vec::new();
            if c.public {
                notes.push(format!(
                    "public = true in the design: not honoured, {} stays in the private subnets",
                    aws.service()
                ));
            }
            if let Some(d) = &db {
                if multi_region {
                    notes.push(format!(
                        "cross_dc = {}: a multi-Region keyspace, replicated by Keyspaces to every datacenter's region{}",
                        d.cross_dc,
                        if d.cross_dc == "sync" {
                            " (asynchronously: Keyspaces has no synchronous replication)"
                        } else {
                            ""
                        }
                    ));
                } else if cross {
                    notes.push(format!(
                        "cross_dc = {}: not mapped; each region has its own {}",
                        d.cross_dc,
                        aws.service()
                    ));
                }
                if d.total_shards > 1 {
                    notes.push(format!(
                        "shards = {}: not mapped; {} partitions the data itself",
                        d.shards,
                        aws.service()
                    ));
                }
            }
            // Nodes: the design's instances where the service has nodes,
            // rounded to what it accepts.
            let (nodes, nodes_comment) = match service {
                "docdb" => (
                    1 + replicas,
                    format!("1 writer and {replicas} replica instance(s), as designed"),
                ),
                "opensearch" => {
                    let asked = 1 + replicas;
                    let n = asked.max(2).next_multiple_of(2);
                    (
                        n,
                        if n == asked {
                            format!("{n} data node(s) as designed, over two zones")
                        } else {
                            format!(
                                "{asked} node(s) as designed, made {n}: zone awareness over two zones takes an even count"
                            )
                        },
                    )
                }
                "msk" => {
                    let asked = c.replicas.max(1);
                    let n = asked.max(2).next_multiple_of(2);
                    (
                        n,
                        if n == asked {
                            format!("{n} broker(s) as designed, over two zones")
                        } else {
                            format!(
                                "{asked} broker(s) as designed, made {n}: MSK takes a multiple of its two subnets"
                            )
                        },
                    )
                }
                "redshift" => (
                    (1 + replicas).max(1),
                    format!("{} node(s) as designed", 1 + replicas),
                ),
                _ => (0, String::new()),
            };
            let (volume_gb, volume_comment) = storage_gb(
                copy.storage_bytes_retained,
                copy.storage_bytes_per_day,
                nodes.saturating_sub(1),
            );
            let volume_gb = volume_gb.min(if service == "msk" { 16_384 } else { 1_024 });
            // The port callers reach: OpenSearch Service answers HTTPS on
            // 443, MSK's IAM-authenticated listener is 9098.
            let port = match service {
                "opensearch" => 443,
                "msk" => 9098,
                _ => e.port,
            };
            let name = match service {
                "opensearch" => self.aws_name(&[&c.label], dc, 28),
                // Keyspace names take letters, digits and underscores.
                "keyspaces" => self.aws_name(&[&c.label], dc, 48).replace('-', "_"),
                // Room for DocumentDB's `-<n>` instance suffix.
                "docdb" => self.aws_name(&[&c.label], dc, 58),
                _ => self.aws_name(&[&c.label], dc, 63),
            };
            self.tf.managed.push(Managed {
                id: id.clone(),
                dc,
                component: c.name.clone(),
                service,
                title: aws.service(),
                heading: if e.title.ends_with(aws.service()) {
                    e.title.to_string()
                } else {
                    format!("{} on {}", e.title, aws.service())
                },
                name: name.clone(),
                version,
                family,
                port,
                sg: sg.clone(),
                node_var: node_var.clone(),
                nodes,
                nodes_comment,
                db_name: c.snake.clone(),
                volume_gb,
                volume_comment,
                notes,
                regions: if multi_region {
                    copies_dcs
                        .iter()
                        .map(|&d| self.dc(d).region_var.clone())
                        .collect()
                } else {
                    Vec::new()
                },
            });
            if multi_region {
                first_keyspace = Some((id.clone(), self.dc(dc).region_var.clone()));
            }
            let p = &c.env;
            let region = self.dc(dc).region_var.clone();
            let (env, iam) = match service {
                "docdb" => (
                    vec![
                        expr(
                            format!("{p}_HOST"),
                            format!("aws_docdb_cluster.{id}.endpoint"),
                        ),
                        expr(
                            format!("{p}_READER_HOST"),
                            format!("aws_docdb_cluster.{id}.reader_endpoint"),
                        ),
                        lit(format!("{p}_PORT"), e.port.to_string()),
                        lit(format!("{p}_DATABASE"), c.snake.clone()),
                        lit(format!("{p}_TLS"), "true"),
                        expr(
                            format!("{p}_SECRET_ARN"),
                            format!("aws_docdb_cluster.{id}.master_user_secret[0].secret_arn"),
                        ),
                    ],
                    vec![grant(
                        "ReadSecret",
                        vec!["secretsmanager:GetSecretValue"],
                        Vec::new(),
                        vec![format!(
                            "aws_docdb_cluster.{id}.master_user_secret[0].secret_arn"
                        )],
                    )],
                ),
                "opensearch" => (
                    vec![
                        expr(
                            format!("{p}_URL"),
                            format!("format(\"https://%s\", aws_opensearch_domain.{id}.endpoint)"),
                        ),
                        lit(format!("{p}_AUTH"), "iam"),
                    ],
                    vec![grant(
                        "Domain",
                        vec!["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost"],
                        vec![
                            "es:ESHttpPut",
                            "es:ESHttpPost",
                            "es:ESHttpDelete",
                            "es:ESHttpPatch",
                        ],
                        vec![format!("format(\"%s/*\", aws_opensearch_domain.{id}.arn)")],
                    )],
                ),
                "keyspaces" => {
                    keyspaces_access(p, &region, &id, format!("aws_keyspaces_keyspace.{id}.arn"))
                }
                "msk" => (
                    vec![
                        expr(
                            format!("{p}_BOOTSTRAP_SERVERS"),
                            format!("aws_msk_cluster.{id}.bootstrap_brokers_sasl_iam"),
                        ),
                        lit(format!("{p}_TLS"), "true"),
                        lit(format!("{p}_AUTH"), "iam"),
                    ],
                    vec![grant(
                        "Kafka",
                        vec![
                            "kafka-cluster:Connect",
                            "kafka-cluster:DescribeTopic",
                            "kafka-cluster:DescribeGroup",
                            "kafka-cluster:AlterGroup",
                            "kafka-cluster:ReadData",
                        ],
                        vec![
                            "kafka-cluster:Connect",
                            "kafka-cluster:DescribeTopic",
                            "kafka-cluster:CreateTopic",
                            "kafka-cluster:WriteData",
                        ],
                        vec![
                            format!("aws_msk_cluster.{id}.arn"),
                            format!(
                                "format(\"%s/*\", replace(aws_msk_cluster.{id}.arn, \":cluster/\", \":topic/\"))"
                            ),
                            format!(
                                "format(\"%s/*\", replace(aws_msk_cluster.{id}.arn, \":cluster/\", \":group/\"))"
                            ),
                        ],
                    )],
                ),
                _ => (
                    vec![
                        expr(
                            format!("{p}_HOST"),
                            format!("aws_redshift_cluster.{id}.dns_name"),
                        ),
                        lit(format!("{p}_PORT"), e.port.to_string()),
                        lit(format!("{p}_DATABASE"), c.snake.clone()),
                        expr(
                            format!("{p}_SECRET_ARN"),
                            format!("aws_redshift_cluster.{id}.master_password_secret_arn"),
                        ),
                    ],
                    vec![grant(
                        "ReadSecret",
                        vec!["secretsmanager:GetSecretValue"],
                        Vec::new(),
                        vec![format!(
                            "aws_redshift_cluster.{id}.master_password_secret_arn"
                        )],
                    )],
                ),
            };
            self.endpoints[c.index][dc] = Some(Endpoint {
                sg: sg.map(|g| (g, port)),
                env,
                iam,
            });
        }
    }
}

/// What the terraform backend maps for a role, for error messages: "mysql
/// and postgres to RDS, dynamodb to DynamoDB".
pub(crate) fn mapped(role: engines::Role) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for e in engines::ENGINES.iter().filter(|e| e.serves(role)) {
        // A queue engine with no AWS service of its own gets SQS (see
        // `queue`: Amazon MQ is not generated).
        let service = match e.aws {
            Some(aws) => aws.service(),
            None if role == engines::Role::Queue => Aws::Sqs.service(),
            None => continue,
        };
        match groups.iter_mut().find(|g| g.0 == service) {
            Some(g) => g.1.push(e.name),
            None => groups.push((service, vec![e.name])),
        }
    }
    groups
        .iter()
        .map(|(service, names)| format!("{} to {service}", engines::and_list(names)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a caller reaches a Keyspaces keyspace at its region's endpoint
/// (TLS, IAM auth) and the rights it needs on the keyspace `arn` (an HCL
/// expression) and its tables.
fn keyspaces_access(
    p: &str,
    region: &str,
    keyspace: &str,
    arn: String,
) -> (Vec<EnvVar>, Vec<Grant>) {
    (
        vec![
            expr(
                format!("{p}_HOST"),
                format!("format(\"cassandra.%s.amazonaws.com\", var.{region})"),
            ),
            lit(format!("{p}_PORT"), "9142"),
            expr(
                format!("{p}_KEYSPACE"),
                format!("aws_keyspaces_keyspace.{keyspace}.name"),
            ),
            lit(format!("{p}_TLS"), "true"),
            lit(format!("{p}_AUTH"), "iam"),
        ],
        vec![grant(
            "Keyspace",
            vec!["cassandra:Select"],
            vec!["cassandra:Modify"],
            vec![arn.clone(), format!("format(\"%stable/*\", {arn})")],
        )],
    )
}
