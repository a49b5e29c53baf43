//! Queues: RabbitMQ, NATS and Kafka clusters, SQS in LocalStack.

use super::{Builder, ConfigMount, Endpoint, HEALTHY, Job, Script, engine_image, env, healthcheck};
use crate::backends::engines::{self, Role};
use crate::backends::view::ComponentView;
use minijinja::Value;
use serde::Serialize;

impl Builder<'_> {
    pub(super) fn queue(&mut self, c: &ComponentView) -> Option<Endpoint> {
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
                "max_backlog {}: not enforced here; cap the queue with a policy or alert on it",
                crate::figures::count(m, crate::figures::Style::Written)
            )
        });
        let engine = engines::lookup(&q.engine).filter(|e| e.serves(Role::Queue));
        let Some(e) = engine else {
            self.unsupported_queue(c, &q.engine);
            return None;
        };
        if let Some(service) = e.emulator {
            return Some(self.localstack(c, e, service));
        }
        let env_list = match e.name {
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
                    let mut svc = self.base_service(name.clone(), engine_image(c, e));
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
                    svc.volumes.push(format!("{vol}:{}", e.data_path));
                    svc.healthcheck = healthcheck(&[&["CMD"], e.health].concat(), "30s");
                    self.push(svc);
                }
                vec![
                    env(format!("{}_HOSTS", c.env), names.join(",")),
                    env(format!("{}_PORT", c.env), e.port.to_string()),
                    env(format!("{}_USER", c.env), c.snake.clone()),
                    env(format!("{}_PASSWORD", c.env), password),
                ]
            }
            "nats" => {
                let password = self.secret(
                    format!("{}_PASSWORD", c.env),
                    format!("password of the `{}` NATS user", c.name),
                );
                let routes: Vec<String> = names
                    .iter()
                    .map(|n| format!("nats://{n}:{NATS_CLUSTER_PORT}"))
                    .collect();
                for (i, name) in names.iter().enumerate() {
                    let mut svc = self.base_service(name.clone(), engine_image(c, e));
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
                    let routes = if n > 1 { routes.clone() } else { Vec::new() };
                    let (entrypoint, script) = Script::sh(
                        "entrypoint",
                        "nats.sh.j2",
                        [
                            ("name", Value::from(name.clone())),
                            ("data_path", Value::from(e.data_path)),
                            ("monitor_port", Value::from(NATS_MONITOR_PORT)),
                            ("user", Value::from(c.snake.clone())),
                            ("cluster", Value::from(c.label.clone())),
                            ("cluster_port", Value::from(NATS_CLUSTER_PORT)),
                            ("routes", Value::from(routes)),
                        ],
                    );
                    svc.entrypoint = Some(entrypoint);
                    svc.script = Some(script);
                    let vol = self.volume(format!("{name}-data"));
                    svc.volumes.push(format!("{vol}:{}", e.data_path));
                    // `--spider` rather than the catalogue's `-O -`: the
                    // check needs the status, not the page.
                    svc.healthcheck = healthcheck(
                        &[
                            "CMD",
                            "wget",
                            "-q",
                            "--spider",
                            &format!("http://127.0.0.1:{NATS_MONITOR_PORT}/healthz"),
                        ],
                        "10s",
                    );
                    self.push(svc);
                }
                let urls: Vec<String> = names
                    .iter()
                    .map(|n| format!("nats://{n}:{}", e.port))
                    .collect();
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
                    let mut svc = self.base_service(name.clone(), engine_image(c, e));
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
                    let engine = e;
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
                    e.push(env("KAFKA_LOG_DIRS".into(), engine.data_path));
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
                    svc.volumes.push(format!("{vol}:{}", engine.data_path));
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
                let servers: Vec<String> =
                    names.iter().map(|n| format!("{n}:{}", e.port)).collect();
                vec![env(
                    format!("{}_BOOTSTRAP_SERVERS", c.env),
                    servers.join(","),
                )]
            }
            _ => {
                self.unsupported_queue(c, &q.engine);
                return None;
            }
        };
        Some(Endpoint {
            services: names.into_iter().map(|n| (n, HEALTHY)).collect(),
            env: env_list,
            http: None,
        })
    }
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

/// NATS's monitoring port (`/healthz`) and the port its servers route on.
const NATS_MONITOR_PORT: u16 = 8222;
const NATS_CLUSTER_PORT: u16 = 6222;

impl Builder<'_> {
    fn unsupported_queue(&mut self, c: &ComponentView, engine: &str) {
        self.unsupported(
            c,
            format!(
                "engine `{engine}` is not mapped by the compose backend (it maps rabbitmq, kafka, nats and sqs)"
            ),
        );
    }
}

#[derive(Serialize)]
struct RabbitConf {
    component: String,
    nodes: Vec<String>,
    durable: bool,
}
