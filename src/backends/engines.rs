//! The engine catalogue: everything the backends know about one storage,
//! cache or queue engine, in one place.
//!
//! Compose, Kubernetes and Terraform all read this table; none of them
//! keeps an engine fact of its own (an image, a port, a data folder, the
//! user the server runs as, its health check, how it replicates, which
//! managed AWS service stands in for it). Adding an engine means one entry
//! here plus the templates its set-up needs under `templates/`.
//!
//! Invariants:
//! - Images are pinned to a tag, so a rebuild never changes what runs.
//! - `user` is the numeric user and group the image's server process runs
//!   as (its documented unprivileged user), so a Kubernetes pod can declare
//!   `runAsNonRoot` with the id the image expects and volumes can be owned
//!   by that group.
//! - Every name a design may write for the engine (`postgres`,
//!   `postgresql`) resolves through [`lookup`] to one entry.

/// Which block kinds an engine may back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Database,
    Cache,
    Queue,
    Storage,
}

/// A numeric user and group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
}

/// How the engine's copies replicate, when it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replication {
    /// PostgreSQL streaming replication seeded by `pg_basebackup`.
    PostgresStreaming,
    /// MySQL GTID-based binlog replication.
    MysqlGtid,
    /// `replicaof` the primary.
    RedisReplicaof,
    /// The engine's own cluster protocol (Kafka KRaft, RabbitMQ, NATS
    /// clustering, MinIO erasure sets): every member is equal.
    Cluster,
    /// No replication at all: each instance holds its own data (Memcached).
    None,
}

/// The managed AWS service that stands in for the engine in Terraform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aws {
    /// Amazon RDS with this engine name and major version.
    Rds {
        engine: &'static str,
        version: &'static str,
        /// The logs RDS exports to CloudWatch for this engine
        /// (`enabled_cloudwatch_logs_exports`).
        log_exports: &'static [&'static str],
    },
    /// Amazon ElastiCache with this engine name.
    ElastiCache {
        engine: &'static str,
        /// The engine version, and the parameter group family it takes.
        version: &'static str,
        family: &'static str,
    },
    DynamoDb,
    Sqs,
    S3,
    /// Amazon DocumentDB (MongoDB-compatible): a cluster of instances in
    /// the private subnets, with this engine version and parameter group
    /// family.
    DocumentDb {
        version: &'static str,
        family: &'static str,
    },
    /// Amazon OpenSearch Service: a domain inside the VPC, with this
    /// engine version.
    OpenSearch {
        version: &'static str,
    },
    /// Amazon Keyspaces (Cassandra-compatible): a serverless keyspace
    /// behind the regional endpoint.
    Keyspaces,
    /// Amazon MSK: provisioned Kafka brokers in the private subnets, with
    /// this Kafka version.
    Msk {
        version: &'static str,
    },
    /// Amazon Redshift: a provisioned cluster in the private subnets.
    Redshift,
}

impl Aws {
    /// The service's name, for comments and error messages.
    pub fn service(self) -> &'static str {
        match self {
            Aws::Rds { .. } => "RDS",
            Aws::ElastiCache { .. } => "ElastiCache",
            Aws::DynamoDb => "DynamoDB",
            Aws::Sqs => "SQS",
            Aws::S3 => "S3",
            Aws::DocumentDb { .. } => "DocumentDB",
            Aws::OpenSearch { .. } => "OpenSearch Service",
            Aws::Keyspaces => "Keyspaces",
            Aws::Msk { .. } => "MSK",
            Aws::Redshift => "Redshift",
        }
    }

    /// Whether the service runs inside the VPC, behind a security group
    /// that admits the callers (rather than behind an AWS API endpoint).
    pub fn in_vpc(self) -> bool {
        !matches!(self, Aws::DynamoDb | Aws::Sqs | Aws::S3 | Aws::Keyspaces)
    }
}

/// One engine.
#[derive(Clone, Copy, Debug)]
pub struct Engine {
    /// The canonical name a design writes (`engine = postgres`).
    pub name: &'static str,
    /// Other names accepted for it.
    pub aliases: &'static [&'static str],
    /// The product's own name, for comments and documentation.
    pub title: &'static str,
    /// The block kinds it may back.
    pub roles: &'static [Role],
    /// The container image when it runs self-hosted; `None` for a
    /// managed-only engine.
    pub image: Option<&'static str>,
    /// The image's local emulator, for a managed-only engine on a laptop
    /// (Compose): LocalStack with this service name.
    pub emulator: Option<&'static str>,
    /// The port clients connect to.
    pub port: u16,
    /// The port's name in Kubernetes (at most 15 characters).
    pub port_name: &'static str,
    /// Where the server keeps its data inside the container.
    pub data_path: &'static str,
    /// The unprivileged user the server runs as in the image.
    pub user: User,
    /// The image's variable that takes the administrator password.
    pub password_env: Option<&'static str>,
    /// The image's variable that takes the administrator user name, with
    /// the name archc sets.
    pub user_env: Option<(&'static str, &'static str)>,
    /// A command, run inside the container, that exits 0 when the server
    /// answers (Compose healthchecks, Kubernetes readiness probes).
    pub health: &'static [&'static str],
    /// How its copies replicate.
    pub replication: Replication,
    /// The arguments a standalone server runs with (after the image's
    /// entrypoint); empty for the image's own command.
    pub args: &'static [&'static str],
    /// Folders the server writes besides `data_path` (sockets, pid and
    /// temporary files): `emptyDir` volumes in Kubernetes, where the root
    /// file system is read-only.
    pub scratch: &'static [&'static str],
    /// A folder of configuration the image ships and its start-up rewrites
    /// in place (Cassandra's entrypoint edits `cassandra.yaml`;
    /// OpenSearch's security set-up writes certificates into its
    /// `config/` and appends to `opensearch.yml`, its keystore tool writes
    /// `opensearch.keystore`). Kubernetes copies it into an `emptyDir` with
    /// an init container and mounts the copy in its place, so the root
    /// file system stays read-only.
    pub config: Option<&'static str>,
    /// Settings the server always takes from its environment.
    pub env: &'static [(&'static str, &'static str)],
    /// What Terraform builds for it on AWS, if anything.
    pub aws: Option<Aws>,
}

impl Engine {
    /// Whether the engine may back a block of this kind.
    pub fn serves(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the engine can run in a container (Compose, Kubernetes).
    pub fn self_hosted(&self) -> bool {
        self.image.is_some()
    }

    /// Whether the engine only runs as a cloud service, with neither an
    /// image nor a local emulator (Redshift): Compose and Kubernetes run
    /// nothing for it and hand its callers the address the user gives.
    pub fn external(&self) -> bool {
        self.image.is_none() && self.emulator.is_none()
    }

    /// A sentence on how copies replicate, for comments.
    pub fn replication_text(&self) -> &'static str {
        match self.replication {
            Replication::PostgresStreaming => "streaming replication from a pg_basebackup",
            Replication::MysqlGtid => "GTID-based replication",
            Replication::RedisReplicaof => "replicaof the primary",
            Replication::Cluster => "the engine's own clustering",
            Replication::None => "none (every instance holds its own data)",
        }
    }
}

/// Images the backends use for what is not an engine: services without an
/// `image`, load balancers, CDN edges and the monitoring stack.
pub mod images {
    pub const SERVICE: &str = "traefik/whoami:v1.10";
    pub const HAPROXY: &str = "haproxy:3.0-alpine";
    pub const NGINX: &str = "nginx:1.27-alpine";
    pub const LOCALSTACK: &str = "localstack/localstack:3.8";
    pub const PROMETHEUS: &str = "prom/prometheus:v2.53.0";
    pub const ALERTMANAGER: &str = "prom/alertmanager:v0.27.0";
    pub const GRAFANA: &str = "grafana/grafana:11.3.0";
    pub const LOKI: &str = "grafana/loki:3.2.0";
    pub const TEMPO: &str = "grafana/tempo:2.6.0";
    /// MinIO's client, for the job that creates a bucket.
    pub const MINIO_CLIENT: &str = "minio/mc:RELEASE.2025-04-16T18-13-26Z";
}

/// The port every `service` container listens on (passed as `PORT`).
pub const SERVICE_PORT: u16 = 8080;

/// The catalogue, sorted by name.
pub const ENGINES: &[Engine] = &[
    Engine {
        name: "cassandra",
        aliases: &[],
        title: "Apache Cassandra",
        roles: &[Role::Database],
        image: Some("cassandra:5.0"),
        emulator: None,
        port: 9042,
        port_name: "cql",
        data_path: "/var/lib/cassandra",
        // The image's `cassandra` user.
        user: User { uid: 999, gid: 999 },
        password_env: None,
        user_env: None,
        health: &["cqlsh", "-e", "describe keyspaces"],
        replication: Replication::Cluster,
        args: &[],
        // `/opt/cassandra/logs` is the image's link to `/var/log/cassandra`.
        scratch: &["/tmp", "/var/log/cassandra"],
        config: Some("/etc/cassandra"),
        // The image sizes its heap from the host's memory (`free`), not the
        // container's limit, and touches all of it at start: 1 GiB, half of
        // archc's default pod, with a quarter of it for the young
        // generation. Both or neither must be set.
        env: &[("MAX_HEAP_SIZE", "1024M"), ("HEAP_NEWSIZE", "256M")],
        aws: Some(Aws::Keyspaces),
    },
    Engine {
        name: "dynamodb",
        aliases: &[],
        title: "Amazon DynamoDB",
        roles: &[Role::Database],
        image: None,
        emulator: Some("dynamodb"),
        port: 4566,
        port_name: "dynamodb",
        data_path: "/var/lib/localstack",
        user: User {
            uid: 1000,
            gid: 1000,
        },
        password_env: None,
        user_env: None,
        health: &[],
        replication: Replication::Cluster,
        args: &[],
        scratch: &[],
        config: None,
        env: &[],
        aws: Some(Aws::DynamoDb),
    },
    Engine {
        name: "kafka",
        aliases: &[],
        title: "Apache Kafka",
        roles: &[Role::Queue],
        image: Some("apache/kafka:3.9.0"),
        emulator: None,
        port: 9092,
        port_name: "kafka",
        data_path: "/var/lib/kafka/data",
        // The image's `appuser`.
        user: User {
            uid: 1000,
            gid: 1000,
        },
        password_env: None,
        user_env: None,
        health: &[
            "/opt/kafka/bin/kafka-broker-api-versions.sh",
            "--bootstrap-server",
            "localhost:9092",
        ],
        replication: Replication::Cluster,
        args: &[],
        scratch: &["/tmp", "/opt/kafka/logs"],
        config: None,
        env: &[],
        aws: Some(Aws::Msk { version: "3.6.0" }),
    },
    Engine {
        name: "memcached",
        aliases: &[],
        title: "Memcached",
        roles: &[Role::Cache],
        image: Some("memcached:1.6"),
        emulator: None,
        port: 11211,
        port_name: "memcached",
        data_path: "/data",
        // The image's `memcache` user.
        user: User {
            uid: 11211,
            gid: 11211,
        },
        password_env: None,
        user_env: None,
        health: &[],
        replication: Replication::None,
        args: &[],
        scratch: &["/tmp"],
        config: None,
        env: &[],
        aws: Some(Aws::ElastiCache {
            engine: "memcached",
            version: "1.6.22",
            family: "memcached1.6",
        }),
    },
    Engine {
        name: "minio",
        aliases: &[],
        title: "MinIO",
        roles: &[Role::Storage],
        image: Some("minio/minio:RELEASE.2025-04-22T22-12-26Z"),
        emulator: None,
        port: 9000,
        port_name: "s3",
        data_path: "/data",
        // The image runs as any user that owns its data folder.
        user: User {
            uid: 1000,
            gid: 1000,
        },
        password_env: Some("MINIO_ROOT_PASSWORD"),
        user_env: Some(("MINIO_ROOT_USER", "archc")),
        health: &["mc", "ready", "local"],
        replication: Replication::Cluster,
        args: &["server", "/data", "--certs-dir", "/tmp/certs"],
        scratch: &["/tmp"],
        config: None,
        env: &[],
        aws: Some(Aws::S3),
    },
    Engine {
        name: "mongodb",
        aliases: &["mongo"],
        title: "MongoDB",
        roles: &[Role::Database],
        image: Some("mongo:7.0"),
        emulator: None,
        port: 27017,
        port_name: "mongodb",
        data_path: "/data/db",
        // The image's `mongodb` user.
        user: User { uid: 999, gid: 999 },
        password_env: Some("MONGO_INITDB_ROOT_PASSWORD"),
        user_env: Some(("MONGO_INITDB_ROOT_USERNAME", "archc")),
        health: &["mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"],
        replication: Replication::Cluster,
        args: &[],
        scratch: &["/tmp", "/data/configdb"],
        config: None,
        env: &[],
        aws: Some(Aws::DocumentDb {
            version: "5.0.0",
            family: "docdb5.0",
        }),
    },
    Engine {
        name: "mysql",
        aliases: &[],
        title: "MySQL",
        roles: &[Role::Database],
        image: Some("mysql:8.4"),
        emulator: None,
        port: 3306,
        port_name: "mysql",
        data_path: "/var/lib/mysql",
        // The image's `mysql` user.
        user: User { uid: 999, gid: 999 },
        password_env: Some("MYSQL_ROOT_PASSWORD"),
        user_env: None,
        health: &["mysqladmin", "ping", "-h", "127.0.0.1"],
        replication: Replication::MysqlGtid,
        args: &[],
        scratch: &["/tmp", "/var/run/mysqld"],
        config: None,
        env: &[],
        aws: Some(Aws::Rds {
            engine: "mysql",
            version: "8.4",
            log_exports: &["audit", "error", "general", "slowquery"],
        }),
    },
    Engine {
        name: "nats",
        aliases: &[],
        title: "NATS",
        roles: &[Role::Queue],
        image: Some("nats:2.10-alpine"),
        emulator: None,
        port: 4222,
        port_name: "nats",
        data_path: "/data",
        // The server runs as any user that owns its store folder.
        user: User {
            uid: 1000,
            gid: 1000,
        },
        password_env: None,
        user_env: None,
        health: &["wget", "-q", "-O", "-", "http://127.0.0.1:8222/healthz"],
        replication: Replication::Cluster,
        args: &["--jetstream", "--store_dir=/data", "--http_port=8222"],
        scratch: &["/tmp"],
        config: None,
        env: &[],
        aws: None,
    },
    Engine {
        name: "opensearch",
        aliases: &["elasticsearch"],
        title: "OpenSearch",
        roles: &[Role::Database],
        image: Some("opensearchproject/opensearch:2.18.0"),
        emulator: None,
        port: 9200,
        port_name: "https",
        data_path: "/usr/share/opensearch/data",
        // The image's `opensearch` user.
        user: User {
            uid: 1000,
            gid: 1000,
        },
        // The security plugin's `admin` user (required since 2.12).
        password_env: Some("OPENSEARCH_INITIAL_ADMIN_PASSWORD"),
        user_env: None,
        // Any answer over TLS (401 without credentials) means it is up.
        health: &["curl", "-sk", "-o", "/dev/null", "https://127.0.0.1:9200/"],
        replication: Replication::Cluster,
        // The entrypoint passes `-E` settings on to the server.
        args: &["-Ediscovery.type=single-node"],
        scratch: &["/tmp", "/usr/share/opensearch/logs"],
        config: Some("/usr/share/opensearch/config"),
        env: &[],
        aws: Some(Aws::OpenSearch {
            version: "OpenSearch_2.17",
        }),
    },
    Engine {
        name: "postgres",
        aliases: &["postgresql"],
        title: "PostgreSQL",
        roles: &[Role::Database],
        image: Some("postgres:16"),
        emulator: None,
        port: 5432,
        port_name: "postgres",
        data_path: "/var/lib/postgresql/data",
        // The image's `postgres` user.
        user: User { uid: 999, gid: 999 },
        password_env: Some("POSTGRES_PASSWORD"),
        user_env: None,
        health: &["pg_isready", "-U", "postgres"],
        replication: Replication::PostgresStreaming,
        args: &[],
        scratch: &["/tmp", "/var/run/postgresql"],
        config: None,
        env: &[],
        aws: Some(Aws::Rds {
            engine: "postgres",
            version: "16",
            log_exports: &["postgresql", "upgrade"],
        }),
    },
    Engine {
        name: "rabbitmq",
        aliases: &[],
        title: "RabbitMQ",
        roles: &[Role::Queue],
        image: Some("rabbitmq:3.13-alpine"),
        emulator: None,
        port: 5672,
        port_name: "amqp",
        data_path: "/var/lib/rabbitmq",
        // The image's `rabbitmq` user.
        user: User { uid: 100, gid: 101 },
        password_env: Some("RABBITMQ_DEFAULT_PASS"),
        user_env: Some(("RABBITMQ_DEFAULT_USER", "archc")),
        health: &["rabbitmq-diagnostics", "-q", "ping"],
        replication: Replication::Cluster,
        args: &[],
        scratch: &["/tmp"],
        config: None,
        env: &[],
        aws: None,
    },
    Engine {
        name: "redis",
        aliases: &[],
        title: "Redis",
        roles: &[Role::Cache],
        image: Some("redis:7.4-alpine"),
        emulator: None,
        port: 6379,
        port_name: "redis",
        data_path: "/data",
        // The image's `redis` user.
        user: User {
            uid: 999,
            gid: 1000,
        },
        password_env: None,
        user_env: None,
        health: &["redis-cli", "ping"],
        replication: Replication::RedisReplicaof,
        args: &[],
        scratch: &["/tmp"],
        config: None,
        env: &[],
        aws: Some(Aws::ElastiCache {
            engine: "redis",
            version: "7.1",
            family: "redis7",
        }),
    },
    Engine {
        name: "redshift",
        aliases: &[],
        title: "Amazon Redshift",
        roles: &[Role::Database],
        image: None,
        emulator: None,
        port: 5439,
        port_name: "redshift",
        data_path: "",
        user: User {
            uid: 1000,
            gid: 1000,
        },
        password_env: None,
        user_env: None,
        health: &[],
        replication: Replication::Cluster,
        args: &[],
        scratch: &[],
        config: None,
        env: &[],
        aws: Some(Aws::Redshift),
    },
    Engine {
        name: "s3",
        aliases: &[],
        title: "Amazon S3",
        roles: &[Role::Storage],
        image: None,
        emulator: Some("s3"),
        port: 4566,
        port_name: "s3",
        data_path: "/var/lib/localstack",
        user: User {
            uid: 1000,
            gid: 1000,
        },
        password_env: None,
        user_env: None,
        health: &[],
        replication: Replication::Cluster,
        args: &[],
        scratch: &[],
        config: None,
        env: &[],
        aws: Some(Aws::S3),
    },
    Engine {
        name: "sqs",
        aliases: &[],
        title: "Amazon SQS",
        roles: &[Role::Queue],
        image: None,
        emulator: Some("sqs"),
        port: 4566,
        port_name: "sqs",
        data_path: "/var/lib/localstack",
        user: User {
            uid: 1000,
            gid: 1000,
        },
        password_env: None,
        user_env: None,
        health: &[],
        replication: Replication::Cluster,
        args: &[],
        scratch: &[],
        config: None,
        env: &[],
        aws: Some(Aws::Sqs),
    },
];

/// The PostgreSQL server command a primary and its replicas share, for a
/// database with `replicas` replicas: a standby refuses to start with fewer
/// WAL senders or slots than its primary, so both get the same figures.
pub fn postgres_args(replicas: u32, standby: bool) -> Vec<String> {
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

/// The entry for a name a design wrote, by canonical name or alias.
pub fn lookup(name: &str) -> Option<&'static Engine> {
    ENGINES
        .iter()
        .find(|e| e.name == name || e.aliases.contains(&name))
}

/// The canonical names of the engines that may back `role`, for error
/// messages ("it maps postgres, mysql, dynamodb").
pub fn names_for(role: Role) -> Vec<&'static str> {
    ENGINES
        .iter()
        .filter(|e| e.serves(role))
        .map(|e| e.name)
        .collect()
}

/// Names joined for a sentence: "a", "a and b", "a, b and c".
pub fn and_list(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_unique() {
        let names: Vec<&str> = ENGINES.iter().map(|e| e.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted, "ENGINES is sorted by name, each once");
    }

    #[test]
    fn an_engine_without_an_image_is_a_managed_service() {
        // Compose and Kubernetes run nothing for it, so Terraform must.
        for e in ENGINES.iter().filter(|e| !e.self_hosted()) {
            assert!(e.aws.is_some(), "{}", e.name);
        }
        assert!(lookup("redshift").is_some_and(Engine::external));
        assert!(!lookup("dynamodb").is_some_and(Engine::external));
    }

    #[test]
    fn aliases_resolve() {
        assert_eq!(lookup("elasticsearch").map(|e| e.name), Some("opensearch"));
        assert_eq!(lookup("mongo").map(|e| e.name), Some("mongodb"));
        assert_eq!(lookup("postgresql").map(|e| e.name), Some("postgres"));
        assert_eq!(lookup("postgres").map(|e| e.name), Some("postgres"));
        assert!(lookup("oracle").is_none());
    }

    #[test]
    fn ports_are_named_within_kubernetes_limits() {
        for e in ENGINES {
            assert!(
                !e.port_name.is_empty() && e.port_name.len() <= 15,
                "{}",
                e.name
            );
        }
    }

    #[test]
    fn images_are_pinned() {
        for e in ENGINES {
            if let Some(image) = e.image {
                let tag = image.rsplit_once(':').map(|(_, t)| t);
                assert!(
                    tag.is_some_and(|t| !t.is_empty() && t != "latest"),
                    "{image}"
                );
            }
        }
    }
}
