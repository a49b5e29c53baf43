//! Databases: PostgreSQL and MySQL primaries with read replicas, shards;
//! MongoDB, Cassandra and OpenSearch as one server per shard; managed-only
//! engines (Redshift) left outside the project, reached at an address the
//! user gives.

use super::{
    Builder, ConfigMount, Dependency, Endpoint, HEALTHY, Job, Script, engine_image, env,
    healthcheck, lit,
};
use crate::backends::engines::{self, Replication, Role};
use crate::backends::view::{self, ComponentView};
use minijinja::Value;
use serde::Serialize;

/// The role read replicas stream from their primary as.
const REPLICATION_USER: &str = "replicator";

impl Builder<'_> {
    pub(super) fn database(
        &mut self,
        c: &ComponentView,
        copy: &view::CopyView,
    ) -> Option<Endpoint> {
        let db = c.database.clone()?;
        if let Some(e) = engines::lookup(&db.engine)
            && let Some(service) = e.emulator
        {
            return Some(self.localstack(c, e, service));
        }
        let Some(entry) = engines::lookup(&db.engine).filter(|e| e.serves(Role::Database)) else {
            let other = &db.engine;
            let mapped = engines::names_for(Role::Database);
            self.unsupported(
                c,
                format!(
                    "engine `{other}` is not mapped by the compose backend (it maps {})",
                    engines::and_list(&mapped)
                ),
            );
            return None;
        };
        if entry.external() {
            return Some(self.external_database(c, entry));
        }
        // How the copies replicate decides how they are set up: streaming
        // from a base backup, or GTID-positioned binlog replication; the
        // other engines run one server per shard.
        let engine = Some(entry).filter(|e| {
            matches!(
                e.replication,
                Replication::PostgresStreaming | Replication::MysqlGtid
            )
        });
        let Some(engine) = engine else {
            return Some(self.single_node_database(c, copy, &db, entry));
        };
        let pg = engine.replication == Replication::PostgresStreaming;
        let port = engine.port;
        if db.cross_dc != "none" {
            self.note(format!(
                "database `{}`: cross_dc = {} is not mapped; each datacenter's project has its own primaries",
                c.name, db.cross_dc
            ));
        }
        let password = self.secret(
            format!("{}_PASSWORD", c.env),
            format!("password of the `{}` {} superuser", c.name, engine.title),
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
        let script_file = if pg {
            "postgres/primary-init.sh"
        } else {
            "mysql/primary-init.sh"
        };
        if replication.is_some() {
            let (config, template) = if pg {
                ("postgres-primary-init", "postgres-primary.sh.j2")
            } else {
                ("mysql-primary-init", "mysql-primary.sh.j2")
            };
            if self.config(config.to_string(), format!("./{script_file}")) {
                self.jobs.push(Job::new(
                    format!("{}{script_file}", self.dir),
                    template,
                    ScriptContext {
                        replication_user: REPLICATION_USER,
                    },
                ));
            }
            if !pg
                && self.config(
                    "mysql-replica-init".to_string(),
                    "./mysql/replica-init.sh".to_string(),
                )
            {
                self.jobs.push(Job::new(
                    format!("{}mysql/replica-init.sh", self.dir),
                    "mysql-replica.sh.j2",
                    ScriptContext {
                        replication_user: REPLICATION_USER,
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
            let mut p = self.base_service(base.clone(), engine_image(c, engine));
            p.stateful = true;
            if s == 0 {
                p.comments.push(format!(
                    "database `{}`: {}; {}",
                    c.name, engine.title, copy.figure
                ));
                if db.replicas > 0 {
                    p.comments.push(format!(
                        "read replicas stream from their primary ({}); read_from = {}",
                        engine.replication_text(),
                        db.read_from
                    ));
                }
            }
            if sharded && let Some(sh) = shard {
                p.comments.push(sh.figure.clone());
            }
            let vol = self.volume(format!("{base}-data"));
            if pg {
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
                    p.command = Some(crate::backends::engines::postgres_args(db.replicas, false));
                    p.configs.push(ConfigMount {
                        source: "postgres-primary-init".into(),
                        target: "/docker-entrypoint-initdb.d/10-replication.sh".into(),
                    });
                }
                p.volumes.push(format!("{vol}:{}", engine.data_path));
                // Stricter than the catalogue's `pg_isready -U postgres`:
                // over TCP, so the socket-only server the image runs while
                // it initialises does not count as up, and against the
                // design's own database.
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
            } else {
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
                p.volumes.push(format!("{vol}:{}", engine.data_path));
                p.healthcheck = healthcheck(
                    &["CMD", "mysqladmin", "ping", "-h", "127.0.0.1", "--silent"],
                    "30s",
                );
            }
            server_id += 1;
            self.push(p);
            all.push(base.clone());
            primaries.push(base.clone());
            let mut replicas = Vec::new();
            for r in 1..=db.replicas {
                let name = format!("{base}-replica-{r}");
                let mut svc = self.base_service(name.clone(), engine_image(c, engine));
                svc.stateful = true;
                svc.comments.push(format!("read replica {r} of `{base}`"));
                let vol = self.volume(format!("{name}-data"));
                let rp = replication.clone().unwrap_or_default();
                if pg {
                    let slot = name.replace('-', "_");
                    svc.user = Some("postgres".into());
                    svc.environment.push(env("PGPASSWORD".into(), rp));
                    // A fresh replica copies its primary once, then
                    // streams from the slot the primary made for it.
                    let (entrypoint, script) = Script::sh(
                        "entrypoint",
                        "postgres-replica.sh.j2",
                        [
                            ("primary", Value::from(base.clone())),
                            ("replication_user", Value::from(REPLICATION_USER)),
                            ("slot", Value::from(slot)),
                            (
                                "server",
                                Value::from(crate::backends::engines::postgres_args(
                                    db.replicas,
                                    true,
                                )),
                            ),
                        ],
                    );
                    svc.entrypoint = Some(entrypoint);
                    svc.script = Some(script);
                    svc.volumes.push(format!("{vol}:{}", engine.data_path));
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
                } else {
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
                    svc.volumes.push(format!("{vol}:{}", engine.data_path));
                    svc.healthcheck = healthcheck(
                        &["CMD", "mysqladmin", "ping", "-h", "127.0.0.1", "--silent"],
                        "60s",
                    );
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
        let mut env_list = host_env(c, &db, &primaries);
        env_list.extend(shard_env);
        env_list.push(env(format!("{}_PORT", c.env), port.to_string()));
        env_list.push(env(format!("{}_DATABASE", c.env), user.clone()));
        env_list.push(env(
            format!("{}_USER", c.env),
            if pg { user.clone() } else { "root".to_string() },
        ));
        env_list.push(env(format!("{}_PASSWORD", c.env), password));
        env_list.push(env(format!("{}_READ_FROM", c.env), db.read_from));
        Some(Endpoint {
            services: all.into_iter().map(|n| (n, HEALTHY)).collect(),
            env: env_list,
            http: None,
        })
    }
}

impl Builder<'_> {
    /// A database whose engine replicates by its own clustering (MongoDB
    /// replica sets, Cassandra's ring, OpenSearch's cluster): one server
    /// per shard, with the catalogue's image, arguments, data folder and
    /// health command. Clustering its copies is not generated.
    fn single_node_database(
        &mut self,
        c: &ComponentView,
        copy: &view::CopyView,
        db: &view::DatabaseView,
        e: &'static engines::Engine,
    ) -> Endpoint {
        if db.replicas > 0 {
            self.note(format!(
                "database `{}`: replicas = {}: {}'s own replication is not configured here; one server per shard",
                c.name, db.replicas, e.title
            ));
        }
        if db.cross_dc != "none" {
            self.note(format!(
                "database `{}`: cross_dc = {} is not mapped; each datacenter's project has its own servers",
                c.name, db.cross_dc
            ));
        }
        let password = e.password_env.map(|_| {
            self.secret(
                format!("{}_PASSWORD", c.env),
                format!("password of the `{}` {} administrator", c.name, e.title),
            )
        });
        let sharded = db.total_shards > 1;
        let mut primaries = Vec::new();
        for s in 0..db.total_shards.max(1) {
            let base = if sharded {
                format!("{}-shard-{s}", c.label)
            } else {
                c.label.clone()
            };
            let mut p = self.base_service(base.clone(), engine_image(c, e));
            p.stateful = true;
            if s == 0 {
                p.comments.push(format!(
                    "database `{}`: {}, one server per shard; {}",
                    c.name, e.title, copy.figure
                ));
            }
            if sharded && let Some(sh) = copy.shards.get(s) {
                p.comments.push(sh.figure.clone());
            }
            if let (Some(name), Some(pw)) = (e.password_env, &password) {
                p.environment.push(env(name.into(), pw.clone()));
            }
            if let Some((k, v)) = e.user_env {
                p.environment.push(env(k.into(), v));
            }
            for (k, v) in e.env {
                p.environment.push(env((*k).into(), *v));
            }
            if !e.args.is_empty() {
                p.command = Some(e.args.iter().map(|a| (*a).to_string()).collect());
            }
            let vol = self.volume(format!("{base}-data"));
            p.volumes.push(format!("{vol}:{}", e.data_path));
            // JVM servers (Cassandra, OpenSearch) take a minute to answer.
            p.healthcheck = healthcheck(&[&["CMD"], e.health].concat(), "120s");
            self.push(p);
            primaries.push(base);
        }
        let mut env_list = host_env(c, db, &primaries);
        env_list.push(env(format!("{}_PORT", c.env), e.port.to_string()));
        if let Some((_, user)) = e.user_env {
            env_list.push(env(format!("{}_USER", c.env), user));
        }
        if let Some(pw) = password {
            env_list.push(env(format!("{}_PASSWORD", c.env), pw));
        }
        Endpoint {
            services: primaries.into_iter().map(|n| (n, HEALTHY)).collect(),
            env: env_list,
            http: None,
        }
    }

    /// A managed-only engine (Redshift): nothing runs in the project; its
    /// callers get the address and password the user puts in `.env`.
    fn external_database(&mut self, c: &ComponentView, e: &'static engines::Engine) -> Endpoint {
        self.note(format!(
            "database `{}`: {} runs outside the project (it has no image); set {}_HOST and {}_PASSWORD in .env to an existing cluster",
            c.name, e.title, c.env, c.env
        ));
        let host = self.secret(
            format!("{}_HOST", c.env),
            format!(
                "address of the `{}` {} cluster, which runs outside the project",
                c.name, e.title
            ),
        );
        let password = self.secret(
            format!("{}_PASSWORD", c.env),
            format!("password of the `{}` {} user", c.name, e.title),
        );
        Endpoint {
            services: Vec::new(),
            env: vec![
                env(format!("{}_HOST", c.env), host),
                env(format!("{}_PORT", c.env), e.port.to_string()),
                env(format!("{}_DATABASE", c.env), c.snake.clone()),
                env(format!("{}_USER", c.env), c.snake.clone()),
                env(format!("{}_PASSWORD", c.env), password),
            ],
            http: None,
        }
    }
}

/// Where callers find a database's servers: `<DB>_HOST`, or for a sharded
/// one the shard primaries and how keys are routed (LANGUAGE.md §9).
fn host_env(
    c: &ComponentView,
    db: &view::DatabaseView,
    primaries: &[String],
) -> Vec<super::EnvEntry> {
    let mut env_list = Vec::new();
    if db.total_shards > 1 {
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
    env_list
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

#[derive(Serialize)]
struct ScriptContext {
    replication_user: &'static str,
}
