//! Replication: a store whose copies replicate runs as two StatefulSets
//! per shard, `<name>` (the primary, one pod) and `<name>-replica` (the
//! replicas), wired together on a vanilla cluster with no operator:
//!
//! - Postgres streaming replication: the primary's first start creates the
//!   `replicator` role and one physical replication slot per replica; a
//!   replica's init container copies the primary with `pg_basebackup -R`
//!   (which writes `standby.signal` and `primary_conninfo`) into an empty
//!   volume, then the server starts as a hot standby.
//! - MySQL GTID replication: the primary logs binlogs with GTIDs and creates
//!   the `replicator` user; each replica takes a server id from its pod
//!   ordinal and, on its first start, points itself at the primary with
//!   `SOURCE_AUTO_POSITION=1`.
//! - Redis: replicas run `--replicaof <primary> <port>`.
//!
//! Readiness follows the role: a primary is ready when it accepts writes, a
//! replica when it streams from its primary (`pg_stat_wal_receiver`
//! streaming, both MySQL replica threads running, `master_link_status:up`).
//! Failover is not automated: promoting a replica is an operator's job (or
//! an operator's, such as CloudNativePG, which this target does not
//! assume). Memcached has no replication: each of its instances holds its
//! own data, and the Kubernetes target runs them as one StatefulSet.
//!
//! The scripts are templates (`templates/kubernetes/*.sh.j2`) rendered into
//! one ConfigMap per component.

use super::workload::{EnvVar, InitContainer, PodSet, Probe};
use crate::backends::engines::{Engine, Replication};
use crate::backends::view::ComponentView;
use serde::Serialize;

/// The user replicas connect to their primary as.
pub const REPLICATION_USER: &str = "replicator";

/// Where every pod of a replicated store sees its ConfigMap.
pub const SCRIPTS_PATH: &str = "/scripts";

/// The Secret key of the replication password (beside `password`).
pub const REPLICATION_SECRET_KEY: &str = "replication-password";

/// MySQL server ids: the primary's, and the first replica's (plus its
/// ordinal).
pub const MYSQL_PRIMARY_ID: u32 = 1;
pub const MYSQL_REPLICA_ID_BASE: u32 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Primary,
    Replica,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Replica => "replica",
        }
    }
}

/// One script of the ConfigMap: its key and the template it renders.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Script {
    key: &'static str,
    template: &'static str,
}

/// The replication set-up of a component, for its file.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Replicated {
    pub config_map: String,
    /// How its copies replicate, in words.
    text: &'static str,
    scripts: Vec<Script>,
    replication_user: &'static str,
    port: u16,
}

/// How the pods of one replicated store are set up.
pub(super) struct Plan {
    kind: Replication,
    /// Replica pods per shard in the base.
    replicas: u32,
    port: u16,
    secret: String,
}

/// Whether the component's copies replicate, and how.
pub(super) fn plan(c: &ComponentView, e: &Engine) -> Option<Plan> {
    let replicas = match (e.replication, &c.database) {
        (Replication::PostgresStreaming | Replication::MysqlGtid, Some(db)) if db.replicas > 0 => {
            db.replicas
        }
        (Replication::RedisReplicaof, None) => {
            // Every instance but the primary is a replica; the overlays
            // set each datacenter's count.
            let most = c.copies.iter().map(|k| k.instances).max().unwrap_or(1);
            if most < 2 {
                return None;
            }
            c.copies
                .first()
                .map_or(0, |k| k.instances.saturating_sub(1))
        }
        _ => return None,
    };
    Some(Plan {
        kind: e.replication,
        replicas,
        port: e.port,
        secret: format!("{}-credentials", c.label),
    })
}

/// The ConfigMap of a replicated component.
pub(super) fn replicated(c: &ComponentView, e: &Engine) -> Option<Replicated> {
    let p = plan(c, e)?;
    let scripts = match p.kind {
        Replication::PostgresStreaming => vec![
            script("primary.sh", "postgres-primary.sh.j2"),
            script("replica.sh", "postgres-replica.sh.j2"),
            script("ready.sh", "postgres-ready.sh.j2"),
        ],
        Replication::MysqlGtid => vec![
            script("primary.sh", "mysql-primary.sh.j2"),
            script("replica.sh", "mysql-replica.sh.j2"),
            script("start.sh", "mysql-start.sh.j2"),
            script("ready.sh", "mysql-ready.sh.j2"),
        ],
        Replication::RedisReplicaof => vec![script("ready.sh", "redis-ready.sh.j2")],
        Replication::Cluster | Replication::None => return None,
    };
    Some(Replicated {
        config_map: format!("{}-replication", c.label),
        text: e.replication_text(),
        scripts,
        replication_user: REPLICATION_USER,
        port: p.port,
    })
}

fn script(key: &'static str, template: &'static str) -> Script {
    Script { key, template }
}

/// The addresses of a replicated database's replicas, for the services
/// that read from it (one per shard, in shard order).
pub(super) fn read_addresses(c: &ComponentView) -> Option<String> {
    let e = super::engine_of(c)?;
    let db = c.database.as_ref()?;
    plan(c, e)?;
    let addrs: Vec<String> = if db.total_shards > 1 {
        (0..db.total_shards)
            .map(|i| format!("{}-shard-{i}-replica:{}", c.label, e.port))
            .collect()
    } else {
        vec![format!("{}-replica:{}", c.label, e.port)]
    };
    Some(addrs.join(","))
}

/// Where a server keeps its files inside the data volume: a fresh volume
/// holds `lost+found`, and Postgres and MySQL initialise only an empty
/// folder, so their data goes one level down. Applies replicated or not.
pub(super) fn data_folder(e: &Engine) -> Option<String> {
    match e.replication {
        Replication::PostgresStreaming => Some(format!("{}/pgdata", e.data_path)),
        Replication::MysqlGtid => Some(format!("{}/data", e.data_path)),
        _ => None,
    }
}

/// The settings that point a server at [`data_folder`].
pub(super) fn data_settings(e: &Engine) -> (Vec<EnvVar>, Vec<String>) {
    match (e.replication, data_folder(e)) {
        (Replication::PostgresStreaming, Some(f)) => (vec![EnvVar::value("PGDATA", f)], Vec::new()),
        (Replication::MysqlGtid, Some(f)) => (Vec::new(), vec![format!("--datadir={f}")]),
        _ => (Vec::new(), Vec::new()),
    }
}

fn ready(role: Role) -> Probe {
    Probe::exec(
        vec![
            "sh".into(),
            format!("{SCRIPTS_PATH}/ready.sh"),
            role.as_str().into(),
        ],
        10,
    )
}

/// MySQL settings of a primary or replica, after the set's own arguments
/// (its data folder).
fn mysql_args(own: &[String], replica: bool) -> Vec<String> {
    let mut v = vec!["mysqld".to_string()];
    v.extend(own.iter().cloned());
    v.extend([
        "--log-bin=mysql-bin".to_string(),
        "--gtid-mode=ON".into(),
        "--enforce-gtid-consistency=ON".into(),
    ]);
    if replica {
        v.push("--read-only=ON".into());
        v.push("--relay-log=relay-bin".into());
    } else {
        v.push(format!("--server-id={MYSQL_PRIMARY_ID}"));
    }
    v
}

impl Plan {
    /// Postgres slot names, one per replica pod: a slot lives on its own
    /// primary, so `replica_<ordinal>` is unique.
    fn slots(&self) -> String {
        (0..self.replicas)
            .map(|i| format!("replica_{i}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn password(&self) -> EnvVar {
        EnvVar::secret(
            "REPLICATION_PASSWORD",
            self.secret.clone(),
            REPLICATION_SECRET_KEY,
        )
    }

    /// The primary and replica sets of one shard, from the set a single
    /// unreplicated server would run (`base`, named `name`).
    pub fn sets(&self, base: PodSet, name: &str) -> (PodSet, PodSet) {
        let mut primary = base.clone();
        primary.role = Some(Role::Primary.as_str());
        primary.replicas = 1;
        primary.readiness = ready(Role::Primary);
        let mut replica = base;
        replica.name = format!("{name}-replica");
        replica.role = Some(Role::Replica.as_str());
        replica.replicas = self.replicas;
        replica.readiness = ready(Role::Replica);
        match self.kind {
            Replication::PostgresStreaming => {
                primary.args = crate::backends::engines::postgres_args(self.replicas, false);
                primary.env.push(self.password());
                primary
                    .env
                    .push(EnvVar::value("REPLICATION_SLOTS", self.slots()));
                primary.init_script = Some("primary.sh");
                replica.args = crate::backends::engines::postgres_args(self.replicas, true);
                replica.env.push(self.password());
                replica.env.push(EnvVar::value("PRIMARY_HOST", name));
                replica
                    .env
                    .push(EnvVar::value("PRIMARY_PORT", self.port.to_string()));
                replica.init = Some(InitContainer {
                    name: "bootstrap",
                    command: vec!["sh".into(), format!("{SCRIPTS_PATH}/replica.sh")],
                });
            }
            Replication::MysqlGtid => {
                primary.args = mysql_args(&primary.args, false);
                primary.env.push(self.password());
                primary.init_script = Some("primary.sh");
                // The server id comes from the pod's ordinal, which only a
                // script can read (`start.sh`).
                replica.command = vec!["sh".into(), format!("{SCRIPTS_PATH}/start.sh")];
                replica.args = mysql_args(&replica.args, true);
                replica.env.push(self.password());
                replica.env.push(EnvVar::value("SOURCE_HOST", name));
                replica
                    .env
                    .push(EnvVar::value("SOURCE_PORT", self.port.to_string()));
                replica.env.push(EnvVar::value(
                    "SERVER_ID_BASE",
                    MYSQL_REPLICA_ID_BASE.to_string(),
                ));
                replica.init_script = Some("replica.sh");
            }
            _ => {
                replica.args = vec![
                    "redis-server".into(),
                    "--replicaof".into(),
                    name.to_string(),
                    self.port.to_string(),
                ];
            }
        }
        (primary, replica)
    }
}
