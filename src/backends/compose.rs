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

use super::escape::{compose_literal, is_env_name};
use super::view::{self, ComponentView, DcView, View};
use super::{BuildError, Job};
use crate::model::Kind;
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "compose.yaml.j2",
        include_str!("../../templates/compose/compose.yaml.j2"),
    ),
    (
        "env.example.j2",
        include_str!("../../templates/compose/env.example.j2"),
    ),
    (
        "haproxy.cfg.j2",
        include_str!("../../templates/compose/haproxy.cfg.j2"),
    ),
    (
        "nginx-cdn.conf.j2",
        include_str!("../../templates/compose/nginx-cdn.conf.j2"),
    ),
    (
        "postgres-primary.sh.j2",
        include_str!("../../templates/compose/postgres-primary.sh.j2"),
    ),
    (
        "mysql-primary.sh.j2",
        include_str!("../../templates/compose/mysql-primary.sh.j2"),
    ),
    (
        "mysql-replica.sh.j2",
        include_str!("../../templates/compose/mysql-replica.sh.j2"),
    ),
    (
        "rabbitmq.conf.j2",
        include_str!("../../templates/compose/rabbitmq.conf.j2"),
    ),
    (
        "prometheus.yml.j2",
        include_str!("../../templates/compose/prometheus.yml.j2"),
    ),
    (
        "alerts.yml.j2",
        include_str!("../../templates/compose/alerts.yml.j2"),
    ),
    (
        "alertmanager.yml.j2",
        include_str!("../../templates/compose/alertmanager.yml.j2"),
    ),
    (
        "grafana-datasources.yaml.j2",
        include_str!("../../templates/compose/grafana-datasources.yaml.j2"),
    ),
    (
        "tempo.yaml.j2",
        include_str!("../../templates/compose/tempo.yaml.j2"),
    ),
];

/// Images used when the design names none. Tags are pinned so a rebuild
/// does not silently change what runs.
pub mod images {
    pub const SERVICE: &str = "traefik/whoami:v1.10";
    pub const HAPROXY: &str = "haproxy:3.0-alpine";
    pub const NGINX: &str = "nginx:1.27-alpine";
    pub const POSTGRES: &str = "postgres:16";
    pub const MYSQL: &str = "mysql:8.4";
    pub const REDIS: &str = "redis:7.4-alpine";
    pub const MEMCACHED: &str = "memcached:1.6";
    pub const RABBITMQ: &str = "rabbitmq:3.13-alpine";
    pub const KAFKA: &str = "apache/kafka:3.9.0";
    pub const NATS: &str = "nats:2.10-alpine";
    pub const MINIO: &str = "minio/minio:RELEASE.2025-04-22T22-12-26Z";
    pub const LOCALSTACK: &str = "localstack/localstack:3.8";
    pub const PROMETHEUS: &str = "prom/prometheus:v2.53.0";
    pub const ALERTMANAGER: &str = "prom/alertmanager:v0.27.0";
    pub const GRAFANA: &str = "grafana/grafana:11.3.0";
    pub const LOKI: &str = "grafana/loki:3.2.0";
    pub const TEMPO: &str = "grafana/tempo:2.6.0";
}

/// The port every `service` container listens on (passed as `PORT`).
pub const SERVICE_PORT: u16 = 8080;
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
                (
                    (shards as u64).saturating_mul(1 + u64::from(db.replicas)),
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

    fn lb(&mut self, c: &ComponentView, copy: &view::CopyView) -> Option<Endpoint> {
        let lb = c.lb.clone()?;
        let mut backends = Vec::new();
        let mut svc = self.base_service(c.label.clone(), Self::image(c, images::HAPROXY));
        svc.comments.push(format!(
            "lb `{}`: HAProxy, {} ({})",
            c.name,
            lb.algorithm,
            if lb.sticky { "sticky" } else { "not sticky" }
        ));
        for k in &c.calls {
            let callee = self.comp(k.to).clone();
            match &self.endpoints[k.to] {
                Some(ep) => match ep.http.clone() {
                    Some((host, port, _)) => {
                        let timeout = callee.service.as_ref().map_or(30.0, |s| s.timeout_s);
                        backends.push(HaproxyBackend {
                            name: callee.label.clone(),
                            host,
                            port,
                            slots: callee.max_instances.max(1),
                            timeout_server_ms: (timeout * 1000.0).round() as u64,
                        });
                        self.wire_deps(k.to, &mut svc);
                    }
                    None => self.unsupported(
                        c,
                        format!(
                            "balances {} `{}`, which does not speak HTTP; the compose backend balances HTTP only",
                            callee.kind, callee.name
                        ),
                    ),
                },
                None => svc.comments.push(self.not_wired(k.to)),
            }
        }
        if backends.is_empty() {
            self.note(format!(
                "lb `{}`: nothing to balance in this datacenter; not mapped",
                c.name
            ));
            return None;
        }
        svc.replicas = Some(copy.instances);
        svc.replicas_comment = Some(format!(
            "{}; each replica is a separate HAProxy on its own host port",
            copy.figure
        ));
        if c.exposed {
            svc.ports
                .extend(self.host_ports(c, copy.instances, SERVICE_PORT));
            svc.networks = vec!["public", "internal"];
        }
        let file = format!("haproxy/{}.cfg", c.label);
        self.mount(
            &mut svc,
            format!("{}-haproxy", c.label),
            &file,
            "/usr/local/etc/haproxy/haproxy.cfg",
        );
        let balance = match lb.algorithm {
            "least-connections" => "leastconn",
            "ip-hash" => "source",
            _ => "roundrobin",
        };
        let cfg = Haproxy {
            component: c.name.clone(),
            listen_port: SERVICE_PORT,
            metrics_port: 8405,
            balance,
            sticky: lb.sticky,
            check_interval_ms: (lb.health_interval_s * 1000.0).round() as u64,
            default_backend: backends[0].name.clone(),
            extra_backends: backends.len() > 1,
            backends,
        };
        self.jobs.push(Job::new(
            format!("{}{file}", self.dir),
            "haproxy.cfg.j2",
            &cfg,
        ));
        self.push(svc);
        Some(Self::http_endpoint(c))
    }

    fn cdn(&mut self, c: &ComponentView) -> Option<Endpoint> {
        let cdn = c.cdn.clone()?;
        let origin = c.calls.iter().find_map(|k| {
            self.endpoints[k.to]
                .as_ref()
                .and_then(|e| e.http.clone())
                .map(|h| (k.to, h))
        });
        let Some((origin_id, (host, port, path))) = origin else {
            self.note(format!(
                "cdn `{}`: its origin has no copy in this datacenter; not mapped",
                c.name
            ));
            return None;
        };
        let origin_name = self.comp(origin_id).name.clone();
        let mut svc = self.base_service(c.label.clone(), Self::image(c, images::NGINX));
        svc.comments.push(format!(
            "cdn `{}`: a caching nginx in front of `{origin_name}`; the real CDN is global",
            c.name
        ));
        if c.exposed {
            svc.ports.extend(self.host_ports(c, 1, SERVICE_PORT));
            svc.networks = vec!["public", "internal"];
        }
        let file = format!("nginx/{}.conf", c.label);
        self.mount(
            &mut svc,
            format!("{}-nginx", c.label),
            &file,
            "/etc/nginx/conf.d/default.conf",
        );
        self.wire_deps(origin_id, &mut svc);
        let cfg = NginxCdn {
            component: c.name.clone(),
            zone: c.snake.clone(),
            listen_port: SERVICE_PORT,
            ttl_s: cdn.ttl_s.map(|t| t.round() as u64),
            hit_ratio: view::percent(cdn.hit_ratio),
            invalidation: cdn.invalidation,
            fallback: cdn.fallback,
            origin: origin_name,
            origin_host: host.clone(),
            origin_url: format!("http://{host}:{port}{path}"),
            origin_host_header: format!("{host}:{port}"),
        };
        self.jobs.push(Job::new(
            format!("{}{file}", self.dir),
            "nginx-cdn.conf.j2",
            &cfg,
        ));
        self.push(svc);
        Some(Self::http_endpoint(c))
    }

    fn cache(&mut self, c: &ComponentView) -> Option<Endpoint> {
        let cache = c.cache.clone()?;
        let n = c.replicas.max(1);
        if cache.cross_dc != "none" {
            self.note(format!(
                "cache `{}`: cross_dc = {} is not mapped; each datacenter's project has its own",
                c.name, cache.cross_dc
            ));
        }
        let usable = cache
            .memory_bytes
            .map(|m| (m * (1.0 - cache.overprovision)).floor());
        match cache.engine.as_str() {
            "redis" => {
                let password = self.secret(
                    format!("{}_PASSWORD", c.env),
                    format!("password of the `{}` Redis instances", c.name),
                );
                let policy = match cache.eviction {
                    "lru" => "allkeys-lru",
                    "lfu" => "allkeys-lfu",
                    // With one ttl for every key, the key nearest expiry is
                    // the oldest written: first in, first out.
                    "fifo" => "volatile-ttl",
                    _ => "noeviction",
                };
                let mut names = Vec::new();
                for r in 0..n {
                    let name = if r == 0 {
                        c.label.clone()
                    } else {
                        format!("{}-replica-{r}", c.label)
                    };
                    let mut args = String::from(
                        "exec redis-server --requirepass \"$$REDISCLI_AUTH\" --masterauth \"$$REDISCLI_AUTH\"",
                    );
                    if let Some(m) = usable {
                        args.push_str(&format!(" --maxmemory {m:.0}"));
                    }
                    args.push_str(&format!(" --maxmemory-policy {policy}"));
                    if r > 0 {
                        args.push_str(&format!(" --replicaof {} 6379", c.label));
                    }
                    let mut svc = self.base_service(name.clone(), Self::image(c, images::REDIS));
                    svc.stateful = true;
                    if r == 0 {
                        svc.comments.push(format!(
                            "cache `{}`: Redis primary{}",
                            c.name,
                            if n > 1 {
                                format!(" and {} replica(s): {n} instances as designed", n - 1)
                            } else {
                                String::new()
                            }
                        ));
                        if let (Some(m), Some(u)) = (cache.memory_bytes, usable) {
                            svc.comments.push(format!(
                                "memory {} per instance, {} kept free (overprovision): maxmemory {}",
                                view::size(m),
                                view::percent(cache.overprovision),
                                view::size(u)
                            ));
                        }
                        if cache.eviction == "fifo" {
                            svc.comments.push(
                                "eviction fifo: Redis has none; volatile-ttl evicts the key nearest expiry, the oldest when every key has the same ttl"
                                    .to_string(),
                            );
                        }
                    } else {
                        svc.comments.push(format!("replica {r} of `{}`", c.name));
                        svc.depends_on.push(Dependency {
                            name: c.label.clone(),
                            condition: "service_healthy",
                        });
                    }
                    svc.command = Some(vec!["sh".into(), "-c".into(), args]);
                    svc.environment
                        .push(env("REDISCLI_AUTH".to_string(), password.clone()));
                    let vol = self.volume(format!("{name}-data"));
                    svc.volumes.push(format!("{vol}:/data"));
                    svc.healthcheck = healthcheck(&["CMD", "redis-cli", "ping"], "10s");
                    self.push(svc);
                    names.push(name);
                }
                let mut env_list = vec![
                    env(format!("{}_HOST", c.env), c.label.clone()),
                    env(format!("{}_PORT", c.env), "6379"),
                ];
                if n > 1 {
                    env_list.push(env(
                        format!("{}_REPLICA_HOSTS", c.env),
                        names[1..].join(","),
                    ));
                }
                env_list.push(env(format!("{}_PASSWORD", c.env), password));
                Some(Endpoint {
                    services: names.into_iter().map(|n| (n, HEALTHY)).collect(),
                    env: env_list,
                    http: None,
                })
            }
            "memcached" => {
                let mut names = Vec::new();
                for r in 1..=n {
                    let name = if n == 1 {
                        c.label.clone()
                    } else {
                        format!("{}-{r}", c.label)
                    };
                    let mut svc =
                        self.base_service(name.clone(), Self::image(c, images::MEMCACHED));
                    svc.stateful = true;
                    if r == 1 {
                        svc.comments.push(format!(
                            "cache `{}`: Memcached, {n} independent instance(s); clients spread keys over them",
                            c.name
                        ));
                        svc.comments.push(
                            "Memcached has no authentication: it is reachable on the internal network only"
                                .to_string(),
                        );
                    }
                    let mut cmd = vec!["memcached".to_string()];
                    if let Some(u) = usable {
                        cmd.push("-m".into());
                        cmd.push(format!("{:.0}", (u / 1_048_576.0).floor().max(1.0)));
                    }
                    if cache.eviction == "none" {
                        // Return errors instead of evicting.
                        cmd.push("-M".into());
                    }
                    svc.command = Some(cmd);
                    svc.healthcheck = healthcheck(
                        &["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/11211"],
                        "5s",
                    );
                    self.push(svc);
                    names.push(name);
                }
                let servers: Vec<String> = names.iter().map(|n| format!("{n}:11211")).collect();
                Some(Endpoint {
                    services: names.into_iter().map(|n| (n, HEALTHY)).collect(),
                    env: vec![env(format!("{}_SERVERS", c.env), servers.join(","))],
                    http: None,
                })
            }
            other => {
                self.unsupported(
                    c,
                    format!(
                        "engine `{other}` is not mapped by the compose backend (it maps redis and memcached)"
                    ),
                );
                None
            }
        }
    }

    fn database(&mut self, c: &ComponentView, copy: &view::CopyView) -> Option<Endpoint> {
        let db = c.database.clone()?;
        if db.engine == "dynamodb" {
            return Some(self.localstack(c, "dynamodb", "DynamoDB"));
        }
        let (engine, port) = match db.engine.as_str() {
            "postgres" | "postgresql" => (Engine::Postgres, 5432),
            "mysql" => (Engine::Mysql, 3306),
            other => {
                self.unsupported(
                    c,
                    format!(
                        "engine `{other}` is not mapped by the compose backend (it maps postgres, mysql and dynamodb)"
                    ),
                );
                return None;
            }
        };
        if db.cross_dc != "none" {
            self.note(format!(
                "database `{}`: cross_dc = {} is not mapped; each datacenter's project has its own primaries",
                c.name, db.cross_dc
            ));
        }
        let password = self.secret(
            format!("{}_PASSWORD", c.env),
            format!("password of the `{}` {} superuser", c.name, engine.title()),
        );
        let replication = (db.replicas > 0).then(|| {
            self.secret(
                format!("{}_REPLICATION_PASSWORD", c.env),
                format!(
                    "password the `{}` read replicas use to stream from their primary",
                    c.name
                ),
            )
        });
        let user = c.snake.clone();
        let script_file = match engine {
            Engine::Postgres => "postgres/primary-init.sh",
            Engine::Mysql => "mysql/primary-init.sh",
        };
        if replication.is_some() {
            let (config, template) = match engine {
                Engine::Postgres => ("postgres-primary-init", "postgres-primary.sh.j2"),
                Engine::Mysql => ("mysql-primary-init", "mysql-primary.sh.j2"),
            };
            if self.config(config.to_string(), format!("./{script_file}")) {
                self.jobs.push(Job::new(
                    format!("{}{script_file}", self.dir),
                    template,
                    ScriptContext {
                        replication_user: "replicator",
                    },
                ));
            }
            if engine == Engine::Mysql
                && self.config(
                    "mysql-replica-init".to_string(),
                    "./mysql/replica-init.sh".to_string(),
                )
            {
                self.jobs.push(Job::new(
                    format!("{}mysql/replica-init.sh", self.dir),
                    "mysql-replica.sh.j2",
                    ScriptContext {
                        replication_user: "replicator",
                    },
                ));
            }
        }
        let sharded = db.total_shards > 1;
        let mut all = Vec::new();
        let mut primaries = Vec::new();
        let mut shard_env = Vec::new();
        let mut server_id = 1;
        for s in 0..db.total_shards {
            let base = if sharded {
                format!("{}-shard-{s}", c.label)
            } else {
                c.label.clone()
            };
            let shard = copy.shards.get(s);
            let mut p = self.base_service(base.clone(), Self::image(c, engine.image()));
            p.stateful = true;
            if s == 0 {
                p.comments.push(format!(
                    "database `{}`: {}; {}",
                    c.name,
                    engine.title(),
                    copy.figure
                ));
                if db.replicas > 0 {
                    p.comments.push(format!(
                        "read replicas stream from their primary ({}); read_from = {}",
                        engine.replication(),
                        db.read_from
                    ));
                }
            }
            if sharded && let Some(sh) = shard {
                p.comments.push(sh.figure.clone());
            }
            let vol = self.volume(format!("{base}-data"));
            match engine {
                Engine::Postgres => {
                    p.environment
                        .push(env("POSTGRES_USER".into(), user.clone()));
                    p.environment.push(env("POSTGRES_DB".into(), user.clone()));
                    p.environment
                        .push(env("POSTGRES_PASSWORD".into(), password.clone()));
                    if let Some(rp) = &replication {
                        p.environment
                            .push(env("REPLICATION_PASSWORD".into(), rp.clone()));
                        let slots: Vec<String> = (1..=db.replicas)
                            .map(|r| format!("{base}-replica-{r}").replace('-', "_"))
                            .collect();
                        p.environment
                            .push(env("REPLICATION_SLOTS".into(), slots.join(",")));
                        p.command = Some(postgres_args(db.replicas, false));
                        p.configs.push(ConfigMount {
                            source: "postgres-primary-init".into(),
                            target: "/docker-entrypoint-initdb.d/10-replication.sh".into(),
                        });
                    }
                    p.volumes.push(format!("{vol}:/var/lib/postgresql/data"));
                    p.healthcheck = healthcheck(
                        &[
                            "CMD",
                            "pg_isready",
                            "-h",
                            "127.0.0.1",
                            "-U",
                            &user,
                            "-d",
                            &user,
                        ],
                        "30s",
                    );
                }
                Engine::Mysql => {
                    p.environment
                        .push(env("MYSQL_ROOT_PASSWORD".into(), password.clone()));
                    p.environment
                        .push(env("MYSQL_DATABASE".into(), user.clone()));
                    if let Some(rp) = &replication {
                        p.environment
                            .push(env("REPLICATION_PASSWORD".into(), rp.clone()));
                        p.configs.push(ConfigMount {
                            source: "mysql-primary-init".into(),
                            target: "/docker-entrypoint-initdb.d/10-replication.sh".into(),
                        });
                    }
                    p.command = Some(mysql_args(server_id, false));
                    p.volumes.push(format!("{vol}:/var/lib/mysql"));
                    p.healthcheck = healthcheck(
                        &["CMD", "mysqladmin", "ping", "-h", "127.0.0.1", "--silent"],
                        "30s",
                    );
                }
            }
            server_id += 1;
            self.push(p);
            all.push(base.clone());
            primaries.push(base.clone());
            let mut replicas = Vec::new();
            for r in 1..=db.replicas {
                let name = format!("{base}-replica-{r}");
                let mut svc = self.base_service(name.clone(), Self::image(c, engine.image()));
                svc.stateful = true;
                svc.comments.push(format!("read replica {r} of `{base}`"));
                let vol = self.volume(format!("{name}-data"));
                let rp = replication.clone().unwrap_or_default();
                match engine {
                    Engine::Postgres => {
                        let slot = name.replace('-', "_");
                        svc.user = Some("postgres".into());
                        svc.environment.push(env("PGPASSWORD".into(), rp));
                        // A fresh replica copies its primary once, then
                        // streams from the slot the primary made for it.
                        let args = postgres_args(db.replicas, true).join(" ");
                        svc.entrypoint = Some(vec![
                            "sh".into(),
                            "-c".into(),
                            format!(
                                "set -eu; if [ ! -s \"$$PGDATA/PG_VERSION\" ]; then until pg_basebackup -h {base} -U replicator -D \"$$PGDATA\" -R -X stream -S {slot}; do echo waiting for {base}; rm -rf \"$$PGDATA\"/*; sleep 2; done; fi; chmod 0700 \"$$PGDATA\"; exec {args}"
                            ),
                        ]);
                        svc.volumes.push(format!("{vol}:/var/lib/postgresql/data"));
                        svc.healthcheck = healthcheck(
                            &[
                                "CMD",
                                "pg_isready",
                                "-h",
                                "127.0.0.1",
                                "-U",
                                &user,
                                "-d",
                                &user,
                            ],
                            "60s",
                        );
                    }
                    Engine::Mysql => {
                        svc.environment
                            .push(env("MYSQL_ROOT_PASSWORD".into(), password.clone()));
                        svc.environment.push(env("REPLICATION_PASSWORD".into(), rp));
                        svc.environment
                            .push(env("SOURCE_HOST".into(), base.clone()));
                        svc.configs.push(ConfigMount {
                            source: "mysql-replica-init".into(),
                            target: "/docker-entrypoint-initdb.d/10-replication.sh".into(),
                        });
                        svc.command = Some(mysql_args(server_id, true));
                        svc.volumes.push(format!("{vol}:/var/lib/mysql"));
                        svc.healthcheck = healthcheck(
                            &["CMD", "mysqladmin", "ping", "-h", "127.0.0.1", "--silent"],
                            "60s",
                        );
                    }
                }
                server_id += 1;
                svc.depends_on.push(Dependency {
                    name: base.clone(),
                    condition: "service_healthy",
                });
                self.push(svc);
                all.push(name.clone());
                replicas.push(name);
            }
            if sharded {
                shard_env.push(env(
                    format!("{}_SHARD_{s}_READ_HOSTS", c.env),
                    replicas.join(","),
                ));
            } else if !replicas.is_empty() {
                shard_env.push(env(format!("{}_READ_HOSTS", c.env), replicas.join(",")));
            }
        }
        let mut env_list = Vec::new();
        if sharded {
            env_list.push(env(format!("{}_SHARD_HOSTS", c.env), primaries.join(",")));
            env_list.push(env(format!("{}_SHARDS", c.env), db.shards.to_string()));
            env_list.push(env(format!("{}_SHARDING", c.env), db.sharding));
            if let Some(k) = &db.shard_key {
                env_list.push(env(format!("{}_SHARD_KEY", c.env), lit(k)));
            }
            if !db.dedicated.is_empty() {
                env_list.push(env(
                    format!("{}_DEDICATED_SHARDS", c.env),
                    lit(&view::dedicated_json(&db.dedicated, db.shards)),
                ));
            }
        } else {
            env_list.push(env(format!("{}_HOST", c.env), primaries.join(",")));
        }
        env_list.extend(shard_env);
        env_list.push(env(format!("{}_PORT", c.env), port.to_string()));
        env_list.push(env(format!("{}_DATABASE", c.env), user.clone()));
        env_list.push(env(
            format!("{}_USER", c.env),
            match engine {
                Engine::Postgres => user.clone(),
                Engine::Mysql => "root".to_string(),
            },
        ));
        env_list.push(env(format!("{}_PASSWORD", c.env), password));
        env_list.push(env(format!("{}_READ_FROM", c.env), db.read_from));
        Some(Endpoint {
            services: all.into_iter().map(|n| (n, HEALTHY)).collect(),
            env: env_list,
            http: None,
        })
    }

    /// A managed AWS service without a self-hosted twin, run locally in
    /// LocalStack.
    fn localstack(&mut self, c: &ComponentView, service: &str, title: &str) -> Endpoint {
        let mut svc = self.base_service(c.label.clone(), Self::image(c, images::LOCALSTACK));
        svc.stateful = true;
        svc.comments.push(format!(
            "{} `{}`: managed {title}; LocalStack stands in for it here",
            c.kind, c.name
        ));
        svc.environment.push(env("SERVICES".into(), service));
        let vol = self.volume(format!("{}-data", c.label));
        svc.volumes.push(format!("{vol}:/var/lib/localstack"));
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
                format!("http://{}:4566", c.label),
            )],
            http: None,
        }
    }

    fn queue(&mut self, c: &ComponentView) -> Option<Endpoint> {
        let q = c.queue.clone()?;
        let n = c.replicas.max(1);
        let names: Vec<String> = (1..=n)
            .map(|i| {
                if n == 1 {
                    c.label.clone()
                } else {
                    format!("{}-{i}", c.label)
                }
            })
            .collect();
        let mut note_backlog = q.max_backlog.map(|m| {
            format!(
                "max_backlog {m:.0}: not enforced here; cap the queue with a policy or alert on it"
            )
        });
        let env_list = match q.engine.as_str() {
            "sqs" => return Some(self.localstack(c, "sqs", "SQS")),
            "rabbitmq" => {
                let password = self.secret(
                    format!("{}_PASSWORD", c.env),
                    format!("password of the `{}` RabbitMQ user", c.name),
                );
                let cookie = (n > 1).then(|| {
                    self.secret(
                        format!("{}_ERLANG_COOKIE", c.env),
                        format!("shared secret the `{}` RabbitMQ nodes cluster with", c.name),
                    )
                });
                let file = format!("rabbitmq/{}.conf", c.label);
                let config = format!("{}-rabbitmq", c.label);
                self.config(config.clone(), format!("./{file}"));
                self.jobs.push(Job::new(
                    format!("{}{file}", self.dir),
                    "rabbitmq.conf.j2",
                    RabbitConf {
                        component: c.name.clone(),
                        nodes: names.clone(),
                        durable: q.durable,
                    },
                ));
                for (i, name) in names.iter().enumerate() {
                    let mut svc = self.base_service(name.clone(), Self::image(c, images::RABBITMQ));
                    svc.stateful = true;
                    svc.hostname = Some(name.clone());
                    if i == 0 {
                        svc.comments.push(format!(
                            "queue `{}`: RabbitMQ, {n} node(s){}",
                            c.name,
                            if n > 1 { " in one cluster" } else { "" }
                        ));
                        if q.durable {
                            svc.comments.push(
                                "durable: declare queues as quorum queues (x-queue-type: quorum) so messages survive a node"
                                    .to_string(),
                            );
                        }
                        if let Some(b) = note_backlog.take() {
                            svc.comments.push(b);
                        }
                    }
                    svc.environment
                        .push(env("RABBITMQ_DEFAULT_USER".into(), c.snake.clone()));
                    svc.environment
                        .push(env("RABBITMQ_DEFAULT_PASS".into(), password.clone()));
                    if let Some(k) = &cookie {
                        svc.environment
                            .push(env("RABBITMQ_ERLANG_COOKIE".into(), k.clone()));
                    }
                    svc.configs.push(ConfigMount {
                        source: config.clone(),
                        target: "/etc/rabbitmq/conf.d/20-archc.conf".into(),
                    });
                    let vol = self.volume(format!("{name}-data"));
                    svc.volumes.push(format!("{vol}:/var/lib/rabbitmq"));
                    svc.healthcheck =
                        healthcheck(&["CMD", "rabbitmq-diagnostics", "-q", "ping"], "30s");
                    self.push(svc);
                }
                vec![
                    env(format!("{}_HOSTS", c.env), names.join(",")),
                    env(format!("{}_PORT", c.env), "5672"),
                    env(format!("{}_USER", c.env), c.snake.clone()),
                    env(format!("{}_PASSWORD", c.env), password),
                ]
            }
            "nats" => {
                let password = self.secret(
                    format!("{}_PASSWORD", c.env),
                    format!("password of the `{}` NATS user", c.name),
                );
                let routes: Vec<String> =
                    names.iter().map(|n| format!("nats://{n}:6222")).collect();
                for (i, name) in names.iter().enumerate() {
                    let mut svc = self.base_service(name.clone(), Self::image(c, images::NATS));
                    svc.stateful = true;
                    if i == 0 {
                        svc.comments.push(format!(
                            "queue `{}`: NATS with JetStream, {n} node(s)",
                            c.name
                        ));
                        if let Some(b) = note_backlog.take() {
                            svc.comments.push(b);
                        }
                    }
                    svc.environment
                        .push(env("NATS_PASSWORD".into(), password.clone()));
                    let mut cmd = vec![
                        "--name".to_string(),
                        name.clone(),
                        "--jetstream".into(),
                        "--store_dir".into(),
                        "/data".into(),
                        "--http_port".into(),
                        "8222".into(),
                        "--user".into(),
                        c.snake.clone(),
                        "--pass".into(),
                        "$$NATS_PASSWORD".into(),
                    ];
                    if n > 1 {
                        cmd.extend([
                            "--cluster_name".to_string(),
                            c.label.clone(),
                            "--cluster".into(),
                            "nats://0.0.0.0:6222".into(),
                            "--routes".into(),
                            routes.join(","),
                        ]);
                    }
                    // The shell expands the password from the environment, so
                    // it never sits in the command line Compose stores.
                    let script = std::iter::once("exec nats-server".to_string())
                        .chain(cmd.into_iter().map(|a| {
                            if a.starts_with("$$") {
                                format!("\"{a}\"")
                            } else {
                                a
                            }
                        }))
                        .collect::<Vec<_>>()
                        .join(" ");
                    svc.entrypoint = Some(vec!["sh".into(), "-c".into(), script]);
                    let vol = self.volume(format!("{name}-data"));
                    svc.volumes.push(format!("{vol}:/data"));
                    svc.healthcheck = healthcheck(
                        &[
                            "CMD",
                            "wget",
                            "-q",
                            "--spider",
                            "http://127.0.0.1:8222/healthz",
                        ],
                        "10s",
                    );
                    self.push(svc);
                }
                let urls: Vec<String> = names.iter().map(|n| format!("nats://{n}:4222")).collect();
                vec![
                    env(format!("{}_URL", c.env), urls.join(",")),
                    env(format!("{}_USER", c.env), c.snake.clone()),
                    env(format!("{}_PASSWORD", c.env), password),
                ]
            }
            "kafka" => {
                let voters: Vec<String> = names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| format!("{}@{n}:9093", i + 1))
                    .collect();
                let cluster_id = kafka_cluster_id(&self.view.system, &c.name);
                let rf = n.min(3).to_string();
                let isr = n.min(2).to_string();
                for (i, name) in names.iter().enumerate() {
                    let mut svc = self.base_service(name.clone(), Self::image(c, images::KAFKA));
                    svc.stateful = true;
                    svc.hostname = Some(name.clone());
                    if i == 0 {
                        svc.comments.push(format!(
                            "queue `{}`: Kafka in KRaft mode, {n} broker(s) that are also controllers",
                            c.name
                        ));
                        svc.comments.push(
                            "no authentication (PLAINTEXT): reachable on the internal network only"
                                .to_string(),
                        );
                        if let Some(b) = note_backlog.take() {
                            svc.comments.push(b);
                        }
                    }
                    let e = &mut svc.environment;
                    e.push(env("CLUSTER_ID".into(), cluster_id.clone()));
                    e.push(env("KAFKA_NODE_ID".into(), (i + 1).to_string()));
                    e.push(env("KAFKA_PROCESS_ROLES".into(), "broker,controller"));
                    e.push(env(
                        "KAFKA_LISTENERS".into(),
                        "PLAINTEXT://:9092,CONTROLLER://:9093",
                    ));
                    e.push(env(
                        "KAFKA_ADVERTISED_LISTENERS".into(),
                        format!("PLAINTEXT://{name}:9092"),
                    ));
                    e.push(env("KAFKA_CONTROLLER_LISTENER_NAMES".into(), "CONTROLLER"));
                    e.push(env(
                        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP".into(),
                        "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    ));
                    e.push(env("KAFKA_INTER_BROKER_LISTENER_NAME".into(), "PLAINTEXT"));
                    e.push(env(
                        "KAFKA_CONTROLLER_QUORUM_VOTERS".into(),
                        voters.join(","),
                    ));
                    e.push(env("KAFKA_LOG_DIRS".into(), "/var/lib/kafka/data"));
                    e.push(env("KAFKA_DEFAULT_REPLICATION_FACTOR".into(), rf.clone()));
                    e.push(env(
                        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR".into(),
                        rf.clone(),
                    ));
                    e.push(env(
                        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR".into(),
                        rf.clone(),
                    ));
                    e.push(env(
                        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR".into(),
                        isr.clone(),
                    ));
                    e.push(env("KAFKA_MIN_INSYNC_REPLICAS".into(), isr.clone()));
                    let vol = self.volume(format!("{name}-data"));
                    svc.volumes.push(format!("{vol}:/var/lib/kafka/data"));
                    svc.healthcheck = healthcheck(
                        &[
                            "CMD-SHELL",
                            "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server 127.0.0.1:9092 > /dev/null",
                        ],
                        "30s",
                    );
                    // The check starts a JVM: give it time.
                    if let Some(h) = svc.healthcheck.as_mut() {
                        h.timeout = "15s";
                    }
                    self.push(svc);
                }
                let servers: Vec<String> = names.iter().map(|n| format!("{n}:9092")).collect();
                vec![env(
                    format!("{}_BOOTSTRAP_SERVERS", c.env),
                    servers.join(","),
                )]
            }
            other => {
                self.unsupported(
                    c,
                    format!(
                        "engine `{other}` is not mapped by the compose backend (it maps rabbitmq, kafka, nats and sqs)"
                    ),
                );
                return None;
            }
        };
        Some(Endpoint {
            services: names.into_iter().map(|n| (n, HEALTHY)).collect(),
            env: env_list,
            http: None,
        })
    }

    fn storage(&mut self, c: &ComponentView) -> Endpoint {
        let st = c.storage.clone();
        let engine = st.as_ref().map_or("s3", |s| s.engine.as_str()).to_string();
        let n = if c.managed { 1 } else { c.replicas.max(1) };
        let user = self.secret(
            format!("{}_ACCESS_KEY", c.env),
            format!(
                "access key (user name, 3+ characters) of the `{}` MinIO",
                c.name
            ),
        );
        let password = self.secret(
            format!("{}_SECRET_KEY", c.env),
            format!("secret key (8+ characters) of the `{}` MinIO", c.name),
        );
        if let Some(s) = &st
            && s.cross_dc != "none"
        {
            self.note(format!(
                "storage `{}`: cross_dc = {} is not mapped; each datacenter's project has its own bucket",
                c.name, s.cross_dc
            ));
        }
        let names: Vec<String> = (1..=n)
            .map(|i| {
                if n == 1 {
                    c.label.clone()
                } else {
                    format!("{}-{i}", c.label)
                }
            })
            .collect();
        // Erasure coding needs four drives: spread them over the nodes.
        let drives = if n == 1 { 1 } else { 4_u32.div_ceil(n).max(2) };
        for (i, name) in names.iter().enumerate() {
            let mut svc = self.base_service(name.clone(), Self::image(c, images::MINIO));
            svc.stateful = true;
            svc.hostname = Some(name.clone());
            if i == 0 {
                svc.comments.push(if engine == "s3" {
                    format!(
                        "storage `{}`: S3 in the design; MinIO stands in for it here",
                        c.name
                    )
                } else {
                    format!("storage `{}`: MinIO, {n} node(s)", c.name)
                });
            }
            svc.environment
                .push(env("MINIO_ROOT_USER".into(), user.clone()));
            svc.environment
                .push(env("MINIO_ROOT_PASSWORD".into(), password.clone()));
            svc.environment
                .push(env("MINIO_PROMETHEUS_AUTH_TYPE".into(), "public"));
            let mut cmd = vec!["server".to_string()];
            if n == 1 {
                cmd.push("/data".into());
                let vol = self.volume(format!("{name}-data"));
                svc.volumes.push(format!("{vol}:/data"));
            } else {
                cmd.push(format!(
                    "http://{}-{{1...{n}}}/data{{1...{drives}}}",
                    c.label
                ));
                for d in 1..=drives {
                    let vol = self.volume(format!("{name}-data{d}"));
                    svc.volumes.push(format!("{vol}:/data{d}"));
                }
            }
            cmd.push("--console-address".into());
            cmd.push(":9001".into());
            svc.command = Some(cmd);
            svc.healthcheck = healthcheck(&["CMD", "mc", "ready", "local"], "20s");
            if c.exposed {
                svc.ports.extend(self.host_ports(c, 1, 9000));
                svc.networks = vec!["public", "internal"];
            }
            self.push(svc);
        }
        let bucket = c.label.clone();
        // A one-shot job creates the bucket the design names.
        let mut init = self.base_service(
            format!("{}-init", c.label),
            "minio/mc:RELEASE.2025-04-16T18-13-26Z".to_string(),
        );
        // A cdn in front reads the bucket anonymously: the bucket is on the
        // internal network only, where the proxy is its one reader
        // without keys.
        let fronted = c
            .callers
            .iter()
            .any(|&i| self.view.components[i].kind == "cdn");
        init.comments.push(format!(
            "creates the `{bucket}` bucket once `{}` is up{}",
            c.name,
            if fronted {
                ", readable without keys by the cdn proxy in front of it"
            } else {
                ""
            }
        ));
        init.environment
            .push(env("MINIO_ROOT_USER".into(), user.clone()));
        init.environment
            .push(env("MINIO_ROOT_PASSWORD".into(), password.clone()));
        init.entrypoint = Some(vec![
            "sh".into(),
            "-c".into(),
            format!(
                "mc alias set local http://{}:9000 \"$$MINIO_ROOT_USER\" \"$$MINIO_ROOT_PASSWORD\" && mc mb --ignore-existing local/{bucket}{}",
                names[0],
                if fronted {
                    format!(" && mc anonymous set download local/{bucket}")
                } else {
                    String::new()
                }
            ),
        ]);
        init.depends_on.push(Dependency {
            name: names[0].clone(),
            condition: "service_healthy",
        });
        init.restart = "no";
        self.push(init);
        let mut services: Vec<(String, &'static str)> =
            names.iter().map(|n| (n.clone(), HEALTHY)).collect();
        services.push((format!("{}-init", c.label), COMPLETED));
        Endpoint {
            services,
            env: vec![
                env(
                    format!("{}_ENDPOINT", c.env),
                    format!("http://{}:9000", names[0]),
                ),
                env(format!("{}_BUCKET", c.env), bucket.clone()),
                env(format!("{}_ACCESS_KEY", c.env), user),
                env(format!("{}_SECRET_KEY", c.env), password),
            ],
            http: Some((names[0].clone(), 9000, format!("/{bucket}/"))),
        }
    }

    fn monitoring(&mut self) {
        let Some(m) = self.view.monitoring.clone() else {
            return;
        };
        let prometheus = m.metrics.as_deref() == Some("prometheus");
        let loki = m.logs.as_deref() == Some("loki");
        let tempo = m.tracing.as_deref() == Some("tempo");
        for (what, tool, mapped) in [
            ("metrics", &m.metrics, prometheus),
            ("logs", &m.logs, loki),
            ("tracing", &m.tracing, tempo),
        ] {
            if let (Some(t), false) = (tool, mapped) {
                self.note(format!(
                    "monitoring {what} = {t}: not mapped (the compose backend maps prometheus, loki and tempo)"
                ));
            }
        }
        let named_grafana = [&m.logs, &m.metrics, &m.tracing]
            .iter()
            .any(|t| t.as_deref() == Some("grafana"));
        let grafana = loki || tempo || named_grafana;
        let alerts = m.alerts && prometheus;
        if m.alerts && !prometheus {
            self.note(
                "monitoring alerts = true: not mapped without metrics = prometheus".to_string(),
            );
        }
        let dc_offset = self.port_base - u32::from(HOST_PORT_BASE);
        if prometheus {
            let mut jobs = vec![PromJob {
                name: "prometheus".into(),
                targets: vec!["localhost:9090".into()],
                dns_names: Vec::new(),
                port: 9090,
                path: "/metrics".into(),
            }];
            for c in &self.view.components {
                let Some(ep) = &self.endpoints[c.index] else {
                    continue;
                };
                let job = match Kind::parse(c.kind) {
                    Some(Kind::Lb) => Some((vec![c.label.clone()], Vec::new(), 8405, "/metrics")),
                    Some(Kind::Service) if c.image.is_some() => {
                        Some((vec![c.label.clone()], Vec::new(), SERVICE_PORT, "/metrics"))
                    }
                    Some(Kind::Queue)
                        if c.queue.as_ref().is_some_and(|q| q.engine == "rabbitmq") =>
                    {
                        Some((
                            Vec::new(),
                            ep.services
                                .iter()
                                .map(|(n, _)| format!("{n}:15692"))
                                .collect(),
                            15692,
                            "/metrics",
                        ))
                    }
                    Some(Kind::Storage) => Some((
                        Vec::new(),
                        ep.services
                            .iter()
                            .filter(|(_, condition)| *condition == HEALTHY)
                            .map(|(n, _)| format!("{n}:9000"))
                            .collect(),
                        9000,
                        "/minio/v2/metrics/cluster",
                    )),
                    _ => None,
                };
                if let Some((dns, targets, port, path)) = job {
                    jobs.push(PromJob {
                        name: c.label.clone(),
                        targets,
                        dns_names: dns,
                        port,
                        path: path.to_string(),
                    });
                }
            }
            let uncovered: Vec<String> = self
                .view
                .components
                .iter()
                .filter(|c| self.endpoints[c.index].is_some() && !c.managed)
                .filter(|c| {
                    matches!(c.kind, "database" | "cache")
                        || c.queue.as_ref().is_some_and(|q| q.engine != "rabbitmq")
                })
                .map(|c| format!("`{}`", c.name))
                .collect();
            if !uncovered.is_empty() {
                self.note(format!(
                    "metrics of {} need exporters, which are not generated",
                    uncovered.join(", ")
                ));
            }
            let mut svc = self.base_service("prometheus".into(), images::PROMETHEUS.into());
            svc.comments
                .push("monitoring: Prometheus scrapes what exposes metrics".into());
            self.mount(
                &mut svc,
                "prometheus-config".into(),
                "prometheus/prometheus.yml",
                "/etc/prometheus/prometheus.yml",
            );
            if alerts {
                self.mount(
                    &mut svc,
                    "prometheus-alerts".into(),
                    "prometheus/alerts.yml",
                    "/etc/prometheus/alerts.yml",
                );
            }
            let vol = self.volume("prometheus-data".into());
            svc.volumes.push(format!("{vol}:/prometheus"));
            svc.ports
                .push(format!("127.0.0.1:{}:9090", 9090 + dc_offset / 100));
            svc.networks = vec!["public", "internal"];
            self.push(svc);
            let rules = self.alert_rules();
            self.jobs.push(Job::new(
                format!("{}prometheus/prometheus.yml", self.dir),
                "prometheus.yml.j2",
                PromConfig {
                    jobs,
                    alerts,
                    datacenter: self.dc.map(|d| d.name.clone()),
                },
            ));
            if alerts {
                self.jobs.push(Job::new(
                    format!("{}prometheus/alerts.yml", self.dir),
                    "alerts.yml.j2",
                    rules,
                ));
                let mut am = self.base_service("alertmanager".into(), images::ALERTMANAGER.into());
                am.comments.push(
                    "alerts: Alertmanager; add a receiver (pager, e-mail) in alertmanager/alertmanager.yml"
                        .into(),
                );
                self.mount(
                    &mut am,
                    "alertmanager-config".into(),
                    "alertmanager/alertmanager.yml",
                    "/etc/alertmanager/alertmanager.yml",
                );
                self.push(am);
                self.jobs.push(Job::new(
                    format!("{}alertmanager/alertmanager.yml", self.dir),
                    "alertmanager.yml.j2",
                    (),
                ));
            }
        }
        if loki {
            let mut svc = self.base_service("loki".into(), images::LOKI.into());
            svc.comments.push(
                "logs: Loki; shipping container logs to it needs an agent (Alloy, Promtail), which is not generated"
                    .into(),
            );
            let vol = self.volume("loki-data".into());
            svc.volumes.push(format!("{vol}:/loki"));
            self.push(svc);
        }
        if tempo {
            let mut svc = self.base_service("tempo".into(), images::TEMPO.into());
            svc.comments
                .push("tracing: Tempo, receiving OTLP on 4317 (gRPC) and 4318 (HTTP)".into());
            svc.command = Some(vec!["-config.file=/etc/tempo/tempo.yaml".into()]);
            self.mount(
                &mut svc,
                "tempo-config".into(),
                "tempo/tempo.yaml",
                "/etc/tempo/tempo.yaml",
            );
            self.push(svc);
            self.jobs.push(Job::new(
                format!("{}tempo/tempo.yaml", self.dir),
                "tempo.yaml.j2",
                (),
            ));
        }
        if grafana {
            let password = self.secret(
                "GRAFANA_ADMIN_PASSWORD".into(),
                "password of Grafana's `admin` user".into(),
            );
            let mut svc = self.base_service("grafana".into(), images::GRAFANA.into());
            svc.comments
                .push("dashboards: Grafana, published on the loopback interface only".into());
            svc.environment
                .push(env("GF_SECURITY_ADMIN_PASSWORD".into(), password));
            self.mount(
                &mut svc,
                "grafana-datasources".into(),
                "grafana/datasources.yaml",
                "/etc/grafana/provisioning/datasources/archc.yaml",
            );
            let vol = self.volume("grafana-data".into());
            svc.volumes.push(format!("{vol}:/var/lib/grafana"));
            svc.ports
                .push(format!("127.0.0.1:{}:3000", 3000 + dc_offset / 100));
            svc.networks = vec!["public", "internal"];
            for (tool, on) in [("prometheus", prometheus), ("loki", loki), ("tempo", tempo)] {
                if on {
                    svc.depends_on.push(Dependency {
                        name: tool.into(),
                        condition: "service_started",
                    });
                }
            }
            self.push(svc);
            self.jobs.push(Job::new(
                format!("{}grafana/datasources.yaml", self.dir),
                "grafana-datasources.yaml.j2",
                GrafanaSources {
                    prometheus,
                    loki,
                    tempo,
                },
            ));
        }
    }

    /// Alerting rules with the design's own thresholds.
    fn alert_rules(&self) -> AlertRules {
        let slo = &self.view.slo;
        let mut rules = vec![AlertRule {
            name: "TargetDown".into(),
            comment: None,
            expr: "up == 0".into(),
            wait: "2m",
            summary: "{{ $labels.job }} target {{ $labels.instance }} is down".into(),
        }];
        let has_lb = self
            .view
            .components
            .iter()
            .any(|c| c.kind == "lb" && self.endpoints[c.index].is_some());
        if has_lb {
            rules.push(AlertRule {
                name: "BackendWithoutServers".into(),
                comment: None,
                expr: "haproxy_backend_active_servers == 0".into(),
                wait: "1m",
                summary: "HAProxy backend {{ $labels.proxy }} has no healthy server".into(),
            });
            if let Some(e) = slo.error_rate {
                rules.push(AlertRule {
                    name: "ErrorRateAboveSlo".into(),
                    comment: Some(format!("slo error_rate = {}", view::percent(e))),
                    expr: format!(
                        "sum by (proxy) (rate(haproxy_backend_http_responses_total{{code=\"5xx\"}}[5m])) / sum by (proxy) (rate(haproxy_backend_http_responses_total[5m])) > {e}"
                    ),
                    wait: "5m",
                    summary: "{{ $labels.proxy }} answers more errors than the SLO allows".into(),
                });
            }
            if let Some(l) = slo.latency_mean_s {
                rules.push(AlertRule {
                    name: "LatencyAboveSlo".into(),
                    comment: Some(format!("slo latency_mean = {:.0}ms", l * 1000.0)),
                    expr: format!("haproxy_backend_response_time_average_seconds > {l}"),
                    wait: "5m",
                    summary: "{{ $labels.proxy }} responds slower than the SLO's mean".into(),
                });
            }
        }
        for c in &self.view.components {
            if self.endpoints[c.index].is_none() {
                continue;
            }
            let Some(q) = &c.queue else { continue };
            if q.engine != "rabbitmq" {
                continue;
            }
            if let Some(m) = q.max_backlog {
                // Warn at 80% of the backlog the design allows.
                let threshold = (m * 0.8).round();
                rules.push(AlertRule {
                    name: format!("{}BacklogHigh", camel(&c.label)),
                    comment: Some(format!(
                        "max_backlog of `{}` = {m:.0}; warns at 80%",
                        c.name
                    )),
                    expr: format!(
                        "sum(rabbitmq_queue_messages_ready{{job=\"{}\"}}) > {threshold:.0}",
                        c.label
                    ),
                    wait: "5m",
                    summary: format!("the `{}` backlog is near its max_backlog", c.name),
                });
            }
        }
        AlertRules { rules }
    }
}

/// `photo-jobs` → `PhotoJobs`, for alert names.
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Engine {
    Postgres,
    Mysql,
}

impl Engine {
    fn image(self) -> &'static str {
        match self {
            Engine::Postgres => images::POSTGRES,
            Engine::Mysql => images::MYSQL,
        }
    }
    fn title(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::Mysql => "MySQL",
        }
    }
    fn replication(self) -> &'static str {
        match self {
            Engine::Postgres => "streaming replication from a pg_basebackup",
            Engine::Mysql => "GTID-based replication",
        }
    }
}

/// Server settings a primary and its replicas share: a standby refuses to
/// start with fewer WAL senders or slots than its primary.
fn postgres_args(replicas: u32, standby: bool) -> Vec<String> {
    let senders = (replicas + 4).max(10);
    let mut v = vec![
        "postgres".to_string(),
        "-c".into(),
        "wal_level=replica".into(),
        "-c".into(),
        format!("max_wal_senders={senders}"),
        "-c".into(),
        format!("max_replication_slots={senders}"),
    ];
    if standby {
        v.push("-c".into());
        v.push("hot_standby=on".into());
    }
    v
}

fn mysql_args(server_id: u32, replica: bool) -> Vec<String> {
    let mut v = vec![
        "mysqld".to_string(),
        format!("--server-id={server_id}"),
        "--log-bin=mysql-bin".into(),
        "--gtid-mode=ON".into(),
        "--enforce-gtid-consistency=ON".into(),
    ];
    if replica {
        v.push("--read-only=ON".into());
        v.push("--relay-log=relay-bin".into());
    }
    v
}

/// A Kafka cluster id: 16 bytes in URL-safe base64, derived from the names
/// so rebuilds keep it.
fn kafka_cluster_id(system: &str, name: &str) -> String {
    let a = xxhash_rust::xxh64::xxh64(format!("{system}/{name}").as_bytes(), 0);
    let b = xxhash_rust::xxh64::xxh64(format!("{system}/{name}").as_bytes(), 1);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for byte in bytes {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(ALPHABET[((acc >> bits) & 63) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (6 - bits)) & 63) as usize] as char);
    }
    out
}

#[derive(Serialize)]
struct Haproxy {
    component: String,
    listen_port: u16,
    metrics_port: u16,
    balance: &'static str,
    sticky: bool,
    check_interval_ms: u64,
    default_backend: String,
    extra_backends: bool,
    backends: Vec<HaproxyBackend>,
}

#[derive(Serialize)]
struct HaproxyBackend {
    name: String,
    host: String,
    port: u16,
    slots: u32,
    timeout_server_ms: u64,
}

#[derive(Serialize)]
struct NginxCdn {
    component: String,
    zone: String,
    listen_port: u16,
    ttl_s: Option<u64>,
    hit_ratio: String,
    invalidation: &'static str,
    fallback: &'static str,
    origin: String,
    origin_host: String,
    origin_url: String,
    origin_host_header: String,
}

#[derive(Serialize)]
struct ScriptContext {
    replication_user: &'static str,
}

#[derive(Serialize)]
struct RabbitConf {
    component: String,
    nodes: Vec<String>,
    durable: bool,
}

#[derive(Serialize)]
struct PromJob {
    name: String,
    targets: Vec<String>,
    dns_names: Vec<String>,
    port: u16,
    path: String,
}

#[derive(Serialize)]
struct PromConfig {
    jobs: Vec<PromJob>,
    alerts: bool,
    datacenter: Option<String>,
}

#[derive(Serialize)]
struct AlertRules {
    rules: Vec<AlertRule>,
}

#[derive(Serialize)]
struct AlertRule {
    name: String,
    comment: Option<String>,
    expr: String,
    wait: &'static str,
    summary: String,
}

#[derive(Serialize)]
struct GrafanaSources {
    prometheus: bool,
    loki: bool,
    tempo: bool,
}
