//! Caches: Redis (a primary and replicas) and Memcached.

use super::{Builder, Dependency, Endpoint, HEALTHY, Script, engine_image, env, healthcheck};
use crate::backends::engines::{self, Replication, Role};
use crate::backends::view::{self, ComponentView};
use minijinja::Value;

impl Builder<'_> {
    pub(super) fn cache(&mut self, c: &ComponentView) -> Option<Endpoint> {
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
        let engine = engines::lookup(&cache.engine).filter(|e| e.serves(Role::Cache));
        match engine.map(|e| (e, e.replication)) {
            Some((e, Replication::RedisReplicaof)) => {
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
                    let (command, script) = Script::sh(
                        "command",
                        "redis.sh.j2",
                        [
                            (
                                "maxmemory",
                                usable.map_or(Value::from(()), |m| Value::from(format!("{m:.0}"))),
                            ),
                            ("policy", Value::from(policy)),
                            (
                                "primary",
                                if r > 0 {
                                    Value::from(c.label.clone())
                                } else {
                                    Value::from(())
                                },
                            ),
                            ("port", Value::from(e.port)),
                        ],
                    );
                    let mut svc = self.base_service(name.clone(), engine_image(c, e));
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
                    svc.command = Some(command);
                    svc.script = Some(script);
                    svc.environment
                        .push(env("REDISCLI_AUTH".to_string(), password.clone()));
                    let vol = self.volume(format!("{name}-data"));
                    svc.volumes.push(format!("{vol}:{}", e.data_path));
                    svc.healthcheck = healthcheck(&[&["CMD"], e.health].concat(), "10s");
                    self.push(svc);
                    names.push(name);
                }
                let mut env_list = vec![
                    env(format!("{}_HOST", c.env), c.label.clone()),
                    env(format!("{}_PORT", c.env), e.port.to_string()),
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
            Some((e, Replication::None)) => {
                let mut names = Vec::new();
                for r in 1..=n {
                    let name = if n == 1 {
                        c.label.clone()
                    } else {
                        format!("{}-{r}", c.label)
                    };
                    let mut svc = self.base_service(name.clone(), engine_image(c, e));
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
                        &[
                            "CMD",
                            "bash",
                            "-c",
                            &format!("exec 3<>/dev/tcp/127.0.0.1/{}", e.port),
                        ],
                        "5s",
                    );
                    self.push(svc);
                    names.push(name);
                }
                let servers: Vec<String> =
                    names.iter().map(|n| format!("{n}:{}", e.port)).collect();
                Some(Endpoint {
                    services: names.into_iter().map(|n| (n, HEALTHY)).collect(),
                    env: vec![env(format!("{}_SERVERS", c.env), servers.join(","))],
                    http: None,
                })
            }
            _ => {
                let other = &cache.engine;
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
}
