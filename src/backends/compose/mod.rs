//! The `compose` target: one Docker Compose project per datacenter.
//!
//! Layout: `<datacenter>/compose.yaml` with its configuration files next to
//! it (`haproxy/`, `nginx/`, `postgres/`, …) and an `.env.example` listing
//! every secret the project reads; with `--datacenter NAME` (or a design
//! without datacenters) the same files go straight into the output folder.
//!
//! Every string in the view below is already a Compose-level string: a
//! value from the design has its `$` doubled so Compose reads it literally,
//! while the `${VAR:?…}` references to secrets are left for Compose to
//! interpolate. Templates quote them with `|yaml`.
//!
//! Code map: this file lays out the project, its services and how callers
//! reach each component; `database`, `cache`, `queue`, `storage`, `edge`
//! (load balancers and CDN edges) and `monitoring` map one kind of block
//! each. Engine facts come from [`super::engines`]; every shell script a
//! container runs is a template (`templates/compose/*.sh.j2`), never text
//! built here.

mod cache;
mod database;
mod edge;
mod monitoring;
mod queue;
mod storage;

use super::engines::{Engine, SERVICE_PORT, images};
use super::escape::{compose_literal, is_env_name};
use super::view::{self, ComponentView, DcView, View};
use super::{BuildError, Job};
use crate::model::Kind;
use serde::Serialize;
use std::collections::BTreeMap;

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "compose.yaml.j2",
        include_str!("../../../templates/compose/compose.yaml.j2"),
    ),
    (
        "env.example.j2",
        include_str!("../../../templates/compose/env.example.j2"),
    ),
    (
        "haproxy.cfg.j2",
        include_str!("../../../templates/compose/haproxy.cfg.j2"),
    ),
    (
        "nginx-cdn.conf.j2",
        include_str!("../../../templates/compose/nginx-cdn.conf.j2"),
    ),
    (
        "postgres-primary.sh.j2",
        include_str!("../../../templates/compose/postgres-primary.sh.j2"),
    ),
    (
        "mysql-primary.sh.j2",
        include_str!("../../../templates/compose/mysql-primary.sh.j2"),
    ),
    (
        "mysql-replica.sh.j2",
        include_str!("../../../templates/compose/mysql-replica.sh.j2"),
    ),
    (
        "postgres-replica.sh.j2",
        include_str!("../../../templates/compose/postgres-replica.sh.j2"),
    ),
    (
        "redis.sh.j2",
        include_str!("../../../templates/compose/redis.sh.j2"),
    ),
    (
        "nats.sh.j2",
        include_str!("../../../templates/compose/nats.sh.j2"),
    ),
    (
        "minio-init.sh.j2",
        include_str!("../../../templates/compose/minio-init.sh.j2"),
    ),
    (
        "rabbitmq.conf.j2",
        include_str!("../../../templates/compose/rabbitmq.conf.j2"),
    ),
    (
        "prometheus.yml.j2",
        include_str!("../../../templates/compose/prometheus.yml.j2"),
    ),
    (
        "alerts.yml.j2",
        include_str!("../../../templates/compose/alerts.yml.j2"),
    ),
    (
        "alertmanager.yml.j2",
        include_str!("../../../templates/compose/alertmanager.yml.j2"),
    ),
    (
        "grafana-datasources.yaml.j2",
        include_str!("../../../templates/compose/grafana-datasources.yaml.j2"),
    ),
    (
        "tempo.yaml.j2",
        include_str!("../../../templates/compose/tempo.yaml.j2"),
    ),
];

/// Where published host ports start; each datacenter's project adds 100.
pub const HOST_PORT_BASE: u16 = 8080;
/// The most containers one datacenter's project may run. Compose runs a
/// datacenter on one host; a design beyond this belongs on the terraform
/// or kubernetes target, and refusing it keeps a build from writing a
/// file of hundreds of megabytes nobody can start.
pub const MAX_CONTAINERS: u64 = 1_000;

#[derive(Clone, Debug, Serialize)]
pub struct Project {
    /// The Compose project name.
    pub name: String,
    pub system: String,
    pub source: String,
    /// The datacenter this project runs, when the design declares some.
    pub datacenter: Option<String>,
    pub region: Option<String>,
    /// Remarks on what is not mapped, printed at the top.
    pub notes: Vec<String>,
    pub services: Vec<Service>,
    pub volumes: Vec<String>,
    pub configs: Vec<ConfigFile>,
    pub secrets: Vec<Secret>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Service {
    pub name: String,
    /// Comment lines above the service.
    pub comments: Vec<String>,
    pub image: String,
    pub hostname: Option<String>,
    pub user: Option<String>,
    pub entrypoint: Option<Vec<String>>,
    pub command: Option<Vec<String>>,
    /// A shell script that ends the entrypoint or the command.
    pub script: Option<Script>,
    pub environment: Vec<EnvEntry>,
    pub ports: Vec<String>,
    pub networks: Vec<&'static str>,
    pub volumes: Vec<String>,
    pub configs: Vec<ConfigMount>,
    pub depends_on: Vec<Dependency>,
    pub healthcheck: Option<Healthcheck>,
    pub replicas: Option<u32>,
    /// The estimator's figure behind `replicas`.
    pub replicas_comment: Option<String>,
    /// `unless-stopped`, or `no` for a one-shot job.
    pub restart: &'static str,
    /// Holds data (gets a healthcheck, and dependents wait for it).
    #[serde(skip)]
    pub stateful: bool,
    /// Index of the component the service belongs to, for ordering.
    #[serde(skip)]
    pub rank: usize,
}

/// A script a service runs with `sh -c`: a template under
/// `templates/compose/` lays it out, `compose.yaml.j2` includes it as the
/// last argument of the service's `entrypoint` or `command` and makes it
/// literal for Compose (`$` doubled) and quoted for YAML. Its values are
/// plain text, printed with `|sh`.
#[derive(Clone, Debug, Serialize)]
pub struct Script {
    /// `entrypoint` or `command`.
    pub slot: &'static str,
    /// The embedded template, such as `redis.sh.j2`.
    pub template: &'static str,
    /// What the template reads, as `script.<name>`.
    pub vars: BTreeMap<&'static str, minijinja::Value>,
}

impl Script {
    /// `sh -c SCRIPT` as the service's `slot`, with `vars` for the template.
    fn sh(
        slot: &'static str,
        template: &'static str,
        vars: impl IntoIterator<Item = (&'static str, minijinja::Value)>,
    ) -> (Vec<String>, Script) {
        (
            vec!["sh".to_string(), "-c".to_string()],
            Script {
                slot,
                template,
                vars: vars.into_iter().collect(),
            },
        )
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct EnvEntry {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Dependency {
    pub name: String,
    pub condition: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub interval: &'static str,
    pub timeout: &'static str,
    pub retries: u32,
    pub start_period: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConfigFile {
    pub name: String,
    /// Path relative to the project folder.
    pub file: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConfigMount {
    pub source: String,
    pub target: String,
}

/// A variable the project reads from `.env`.
#[derive(Clone, Debug, Serialize)]
pub struct Secret {
    pub name: String,
    pub comment: String,
    /// The value `.env.example` holds: a placeholder to replace.
    pub placeholder: String,
}

impl Secret {
    /// The Compose reference: fails `docker compose config` when unset.
    fn reference(&self) -> String {
        format!(
            "${{{}:?copy .env.example to .env and set {}}}",
            self.name, self.name
        )
    }
}

/// The placeholder every secret has in `.env.example`.
pub const PLACEHOLDER: &str = "replace-me";

/// How a caller reaches one component in this project.
#[derive(Clone, Debug, Default)]
struct Endpoint {
    /// Service names a caller depends on, with the condition to wait for.
    services: Vec<(String, &'static str)>,
    env: Vec<EnvEntry>,
    /// HTTP host and port, for proxies in front of it.
    http: Option<(String, u16, String)>,
}

struct Builder<'a> {
    view: &'a View,
    dc: Option<&'a DcView>,
    port_base: u32,
    next_port: u32,
    project: Project,
    endpoints: Vec<Option<Endpoint>>,
    jobs: Vec<Job>,
    dir: String,
    errors: Vec<BuildError>,
    /// The component being mapped.
    current: usize,
    /// Notes with the component they are about, for design order.
    notes: Vec<(usize, String)>,
}

const STARTED: &str = "service_started";
const HEALTHY: &str = "service_healthy";
const COMPLETED: &str = "service_completed_successfully";

/// How many containers a component's copy becomes in a project, and how
/// the design asks for them (for the error when they are too many).
fn containers(c: &ComponentView, copy: &view::CopyView) -> (u64, String) {
    let replicas = |n: u32| {
        let n = n.max(1);
        (u64::from(n), format!("{n} replica(s)"))
    };
    match Kind::parse(c.kind) {
        Some(Kind::Service | Kind::Lb) => replicas(copy.instances),
        Some(Kind::Cache | Kind::Queue) if !c.managed => replicas(c.replicas),
        Some(Kind::Storage) if !c.managed => replicas(c.replicas),
        Some(Kind::Database) if !c.managed => match &c.database {
            Some(db) => {
                let shards = db.total_shards.max(1);
                // Only PostgreSQL and MySQL run replica containers; the
                // other engines one server per shard, Redshift none.
                let per_shard = match super::engines::lookup(&db.engine) {
                    Some(e) if e.external() => 0,
                    Some(e)
                        if !matches!(
                            e.replication,
                            super::engines::Replication::PostgresStreaming
                                | super::engines::Replication::MysqlGtid
                        ) =>
                    {
                        1
                    }
                    _ => 1 + u64::from(db.replicas),
                };
                (
                    (shards as u64).saturating_mul(per_shard),
                    format!("{shards} shard(s) with {} replica(s) each", db.replicas),
                )
            }
            None => replicas(1),
        },
        Some(Kind::Cdn | Kind::Cache | Kind::Queue | Kind::Storage | Kind::Database) => replicas(1),
        _ => (0, String::new()),
    }
}

/// Files of the compose target: one project per datacenter, or the one
/// named by `datacenter`.
pub(crate) fn jobs(view: &View, datacenter: Option<&str>) -> Result<Vec<Job>, Vec<BuildError>> {
    let selected: Vec<&DcView> = match datacenter {
        Some(name) => match view.datacenters.iter().find(|d| d.name == name) {
            Some(d) => vec![d],
            None => {
                return Err(vec![BuildError::UnknownDatacenter {
                    name: name.to_string(),
                    known: known_datacenters(view),
                }]);
            }
        },
        None => view.datacenters.iter().collect(),
    };
    let flat = datacenter.is_some() || !view.has_datacenters;
    let mut jobs = Vec::new();
    let mut errors = Vec::new();
    for dc in selected {
        let dir = if flat {
            String::new()
        } else {
            format!("{}/", dc.label)
        };
        let mut b = Builder {
            view,
            dc: Some(dc).filter(|_| view.has_datacenters),
            port_base: u32::from(HOST_PORT_BASE) + 100 * dc.index as u32,
            next_port: 0,
            project: Project {
                name: if view.has_datacenters {
                    format!("{}-{}", view.system_label, dc.label)
                } else {
                    view.system_label.clone()
                },
                system: view.system.clone(),
                source: view.source.clone(),
                datacenter: view.has_datacenters.then(|| dc.name.clone()),
                region: dc.region.clone(),
                notes: Vec::new(),
                services: Vec::new(),
                volumes: Vec::new(),
                configs: Vec::new(),
                secrets: Vec::new(),
            },
            endpoints: vec![None; view.components.len()],
            jobs: Vec::new(),
            dir,
            errors: Vec::new(),
            current: 0,
            notes: Vec::new(),
        };
        // Count before laying anything out: a design may ask for millions
        // of replicas, and building them first would exhaust memory.
        let mut total: u64 = 0;
        for c in &view.components {
            let copy = if c.global {
                c.copies.first()
            } else {
                c.copy_in(dc.index)
            };
            let Some(copy) = copy else { continue };
            let (n, why) = containers(c, copy);
            if n > MAX_CONTAINERS {
                b.unsupported(
                    c,
                    format!(
                        "{why} need {n} containers, more than the {MAX_CONTAINERS} one compose project runs; build for terraform or kubernetes"
                    ),
                );
            }
            total = total.saturating_add(n);
        }
        let system = match b.dc {
            Some(dc) => format!("datacenter `{}`", dc.name),
            None => format!("system `{}`", view.system),
        };
        let too_many = |component: String, n: u64| BuildError::Unsupported {
            component,
            message: format!(
                "the project runs {n} containers on one host, more than {MAX_CONTAINERS}; build for terraform or kubernetes"
            ),
        };
        if b.errors.is_empty() && total > MAX_CONTAINERS {
            b.errors.push(too_many(system.clone(), total));
        }
        if b.errors.is_empty() {
            b.build(dc.index);
            // The count above, checked against what was laid out
            // (monitoring adds its own containers).
            let built: u64 = b
                .project
                .services
                .iter()
                .map(|s| u64::from(s.replicas.unwrap_or(1)))
                .sum();
            if built > MAX_CONTAINERS {
                b.errors.push(too_many(system, built));
            }
        }
        errors.append(&mut b.errors);
        let project = b.project;
        // The project file first, then its secrets, then what it mounts.
        let context = minijinja::Value::from(minijinja::value::Serde(&project));
        jobs.push(Job::shared(
            format!("{}compose.yaml", b.dir),
            "compose.yaml.j2",
            &context,
        ));
        jobs.push(Job::shared(
            format!("{}.env.example", b.dir),
            "env.example.j2",
            &context,
        ));
        jobs.append(&mut b.jobs);
    }
    if errors.is_empty() {
        Ok(jobs)
    } else {
        Err(errors)
    }
}

fn known_datacenters(view: &View) -> String {
    if !view.has_datacenters {
        return "no datacenter blocks (build without --datacenter)".to_string();
    }
    let names: Vec<String> = view
        .datacenters
        .iter()
        .map(|d| format!("`{}`", d.name))
        .collect();
    format!("datacenters {}", names.join(", "))
}

fn healthcheck(test: &[&str], start_period: &'static str) -> Option<Healthcheck> {
    Some(Healthcheck {
        test: test.iter().map(|s| s.to_string()).collect(),
        interval: "5s",
        timeout: "5s",
        retries: 10,
        start_period,
    })
}

fn env(name: String, value: impl Into<String>) -> EnvEntry {
    EnvEntry {
        name,
        value: value.into(),
    }
}

/// The image of an engine's container: the design's, or the catalogue's.
fn engine_image(c: &ComponentView, engine: &Engine) -> String {
    lit(c.image.as_deref().or(engine.image).unwrap_or_default())
}

/// A value from the design, made literal for Compose.
fn lit(s: &str) -> String {
    compose_literal(s)
}

impl Builder<'_> {
    fn comp(&self, i: usize) -> &ComponentView {
        &self.view.components[i]
    }

    fn note(&mut self, s: String) {
        self.notes.push((self.current, s));
    }

    fn secret(&mut self, name: String, comment: String) -> String {
        debug_assert!(is_env_name(&name));
        let s = Secret {
            name,
            comment,
            placeholder: PLACEHOLDER.to_string(),
        };
        let r = s.reference();
        if !self.project.secrets.iter().any(|x| x.name == s.name) {
            self.project.secrets.push(s);
        }
        r
    }

    fn volume(&mut self, name: String) -> String {
        self.project.volumes.push(name.clone());
        name
    }

    /// Declares the project config `name` (a file of the project), once;
    /// whether this call declared it.
    fn config(&mut self, name: String, file: String) -> bool {
        let new = !self.project.configs.iter().any(|c| c.name == name);
        if new {
            self.project.configs.push(ConfigFile { name, file });
        }
        new
    }

    /// Declares the config `name` (the project file `file`) and mounts it
    /// into `svc` at `target`.
    fn mount(&mut self, svc: &mut Service, name: String, file: &str, target: &str) {
        self.config(name.clone(), format!("./{file}"));
        svc.configs.push(ConfigMount {
            source: name,
            target: target.to_string(),
        });
    }

    /// How callers reach an HTTP component: its name, `<ENV>_URL`, and the
    /// address a proxy in front of it forwards to.
    fn http_endpoint(c: &ComponentView) -> Endpoint {
        Endpoint {
            services: vec![(c.label.clone(), STARTED)],
            env: vec![env(
                format!("{}_URL", c.env),
                format!("http://{}:{SERVICE_PORT}", c.label),
            )],
            http: Some((c.label.clone(), SERVICE_PORT, "/".to_string())),
        }
    }

    /// `count` host ports for a published service, or `None` (and an
    /// error) when they would run past the last port a host has.
    fn host_ports(&mut self, c: &ComponentView, count: u32, container: u16) -> Option<String> {
        let count = count.max(1);
        let first = self.port_base.saturating_add(self.next_port);
        let last = first.saturating_add(count - 1);
        if last > u32::from(u16::MAX) {
            let ports = if count == 1 {
                format!("publishing it needs host port {first}")
            } else {
                format!("publishing {count} replicas needs host ports {first}-{last}")
            };
            let offset = match self.dc {
                Some(dc) if dc.index > 0 => format!(
                    " (datacenter `{}` starts at {}: each datacenter's project is offset by 100 so all can run on one host)",
                    dc.name, self.port_base
                ),
                _ => String::new(),
            };
            self.unsupported(
                c,
                format!(
                    "{ports}, past 65535{offset}; lower the instance count, build fewer datacenters, or build for kubernetes"
                ),
            );
            return None;
        }
        self.next_port = self.next_port.saturating_add(count);
        Some(if count == 1 {
            format!("{first}:{container}")
        } else {
            format!("{first}-{last}:{container}")
        })
    }

    fn unsupported(&mut self, c: &ComponentView, message: String) {
        self.errors.push(BuildError::Unsupported {
            component: format!("{} `{}`", c.kind, c.name),
            message,
        });
    }

    fn build(&mut self, dc: usize) {
        let view = self.view;
        let order = view::placement_order(view);
        // Callees first, so every caller finds its endpoints.
        for &i in &order {
            let c = &view.components[i];
            self.current = i;
            let copy = if c.global {
                c.copies.first()
            } else {
                c.copy_in(dc)
            };
            let Some(copy) = copy.cloned() else {
                if !c.global {
                    self.note(format!(
                        "{} `{}`: not placed in this datacenter",
                        c.kind, c.name
                    ));
                }
                continue;
            };
            let ep = match Kind::parse(c.kind) {
                Some(Kind::Client) => {
                    self.note(format!(
                        "client `{}`: not mapped; clients are the users outside",
                        c.name
                    ));
                    None
                }
                Some(Kind::Dns) => {
                    self.note(format!(
                        "dns `{}` ({} routing): not mapped; point a DNS name at this host's published ports",
                        c.name,
                        c.dns.as_ref().map_or("simple", |d| d.routing)
                    ));
                    None
                }
                Some(Kind::Cdn) => self.cdn(c),
                Some(Kind::Lb) => self.lb(c, &copy),
                Some(Kind::Service) => Some(self.service(c, &copy)),
                Some(Kind::Cache) => self.cache(c),
                Some(Kind::Database) => self.database(c, &copy),
                Some(Kind::Queue) => self.queue(c),
                Some(Kind::Storage) => Some(self.storage(c)),
                None => None,
            };
            self.endpoints[i] = ep;
        }
        self.current = usize::MAX;
        self.monitoring();
        // Services and notes in the order the design declares components.
        self.project.services.sort_by_key(|s| s.rank);
        self.notes.sort_by_key(|n| n.0);
        self.project.notes = self.notes.drain(..).map(|n| n.1).collect();
    }

    /// What a caller of component `to` gets: dependencies and variables.
    fn wire(&self, to: usize, svc: &mut Service) {
        self.wire_deps(to, svc);
        let Some(ep) = &self.endpoints[to] else {
            return;
        };
        for e in &ep.env {
            match svc.environment.iter().find(|x| x.name == e.name) {
                None => svc.environment.push(e.clone()),
                Some(x) if x.value != e.value => svc.comments.push(format!(
                    "`{}` of `{}` clashes with another variable of the same name: rename one of the components",
                    e.name,
                    self.comp(to).name
                )),
                Some(_) => {}
            }
        }
    }

    /// A proxy in front of component `to` waits for it but needs none of
    /// its variables (and so none of its secrets).
    fn wire_deps(&self, to: usize, svc: &mut Service) {
        let Some(ep) = &self.endpoints[to] else {
            return;
        };
        for (name, condition) in &ep.services {
            if !svc.depends_on.iter().any(|d| &d.name == name) {
                svc.depends_on.push(Dependency {
                    name: name.clone(),
                    condition,
                });
            }
        }
    }

    /// Why a call is missing from this project.
    fn not_wired(&self, to: usize) -> String {
        let callee = self.comp(to);
        let here = self.dc.map(|d| d.index);
        let elsewhere = !callee.global
            && here.is_some()
            && !callee.copies.is_empty()
            && callee.copies.iter().all(|cp| cp.dc != here);
        if elsewhere {
            format!(
                "calls `{}`, placed in other datacenters only: cross-datacenter calls are not mapped",
                callee.name
            )
        } else {
            format!("calls `{}`, which is not mapped here", callee.name)
        }
    }

    fn push(&mut self, svc: Service) {
        self.project.services.push(svc);
    }

    fn base_service(&self, name: String, image: String) -> Service {
        Service {
            name,
            comments: Vec::new(),
            image,
            hostname: None,
            user: None,
            entrypoint: None,
            command: None,
            script: None,
            environment: Vec::new(),
            ports: Vec::new(),
            networks: vec!["internal"],
            volumes: Vec::new(),
            configs: Vec::new(),
            depends_on: Vec::new(),
            healthcheck: None,
            replicas: None,
            replicas_comment: None,
            restart: "unless-stopped",
            stateful: false,
            rank: self.current,
        }
    }

    fn image(c: &ComponentView, default: &str) -> String {
        lit(c.image.as_deref().unwrap_or(default))
    }

    fn service(&mut self, c: &ComponentView, copy: &view::CopyView) -> Endpoint {
        let placeholder = c.image.is_none();
        let mut svc = self.base_service(c.label.clone(), Self::image(c, images::SERVICE));
        svc.comments.push(format!("service `{}`", c.name));
        if placeholder {
            svc.comments.push(
                "no `image` in the design: a placeholder that answers HTTP on $PORT".to_string(),
            );
            svc.command = Some(vec!["--port".to_string(), SERVICE_PORT.to_string()]);
        }
        svc.replicas = Some(copy.instances);
        svc.replicas_comment = Some(match c.autoscale {
            Some(_) => format!("{}; Compose does not autoscale", copy.figure),
            None => copy.figure.clone(),
        });
        svc.environment
            .push(env("PORT".to_string(), SERVICE_PORT.to_string()));
        if c.exposed {
            svc.ports
                .extend(self.host_ports(c, copy.instances, SERVICE_PORT));
            svc.networks = vec!["public", "internal"];
        }
        let mut callees: Vec<usize> = c
            .calls
            .iter()
            .chain(&c.through_caches)
            .map(|k| k.to)
            .collect();
        if let Some(s) = &c.service {
            if let Some(store) = s.session_store {
                if !callees.contains(&store) {
                    callees.push(store);
                }
                svc.environment.push(env(
                    "SESSION_STORE".to_string(),
                    self.comp(store).env.clone(),
                ));
            }
            if let Some(q) = s.consumes {
                if !callees.contains(&q) {
                    callees.push(q);
                }
                svc.environment
                    .push(env("CONSUMES".to_string(), self.comp(q).env.clone()));
            }
            svc.environment.push(env(
                "REQUEST_TIMEOUT_MS".to_string(),
                format!("{}", (s.timeout_s * 1000.0).round()),
            ));
        }
        for to in callees {
            if self.endpoints[to].is_none() && !matches!(self.comp(to).kind, "client" | "dns") {
                svc.comments.push(self.not_wired(to));
            }
            self.wire(to, &mut svc);
        }
        self.push(svc);
        Self::http_endpoint(c)
    }

    /// A managed AWS service without a self-hosted twin, run locally in
    /// LocalStack.
    fn localstack(&mut self, c: &ComponentView, engine: &Engine, service: &str) -> Endpoint {
        let title = engine.title.trim_start_matches("Amazon ");
        let mut svc = self.base_service(c.label.clone(), Self::image(c, images::LOCALSTACK));
        svc.stateful = true;
        svc.comments.push(format!(
            "{} `{}`: managed {title}; LocalStack stands in for it here",
            c.kind, c.name
        ));
        svc.environment.push(env("SERVICES".into(), service));
        let vol = self.volume(format!("{}-data", c.label));
        svc.volumes.push(format!("{vol}:{}", engine.data_path));
        svc.healthcheck = healthcheck(
            &[
                "CMD",
                "curl",
                "-fsS",
                "http://127.0.0.1:4566/_localstack/health",
            ],
            "20s",
        );
        self.push(svc);
        Endpoint {
            services: vec![(c.label.clone(), HEALTHY)],
            env: vec![env(
                format!("{}_ENDPOINT", c.env),
                format!("http://{}:{}", c.label, engine.port),
            )],
            http: None,
        }
    }
}
