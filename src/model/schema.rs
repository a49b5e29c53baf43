//! The attribute schema: for every block (the nine component kinds, the
//! singleton blocks, datacenters and scenarios), the attributes it accepts,
//! each with its value type, its default and its meaning (LANGUAGE.md §3,
//! §4, §10).
//!
//! Lowering takes the names each block accepts from here (so
//! `unknown-attribute` and its "did you mean" are decided by this table),
//! and the language server takes completion items and hover text from it.
//! The choice lists are checked against what lowering accepts by the tests
//! at the end of this file.

use super::Kind;

/// What an attribute's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// A whole number (`3`).
    Integer,
    /// A number, with an optional magnitude (`2M`).
    Number,
    /// `min..max` (`4..40`).
    Range,
    /// A rate (`800/s`).
    Rate,
    /// A duration (`15ms`).
    Duration,
    /// A size (`32GB`).
    Size,
    /// A percentage (`95%`).
    Percent,
    /// A multiplier (`3x`).
    Multiplier,
    /// `true` or `false`.
    Bool,
    /// A string (`"nginx:1.27"`).
    Str,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// Any identifier; the list holds common ones.
    Word(&'static [&'static str]),
    /// The name of a component of one of these kinds; the words are
    /// accepted too (`session = local`).
    Component(&'static [Kind], &'static [&'static str]),
    /// A list of datacenter names.
    Datacenters,
    /// A list of key strings.
    Keys,
    /// A map of key strings to percentages.
    KeyShares,
    /// `uniform` or `zipf(s)`.
    Distribution,
}

impl ValueType {
    /// The type in words, for documentation.
    pub fn describe(self) -> String {
        match self {
            ValueType::Integer => "integer".into(),
            ValueType::Number => "number".into(),
            ValueType::Range => "range `min..max`".into(),
            ValueType::Rate => "rate".into(),
            ValueType::Duration => "duration".into(),
            ValueType::Size => "size".into(),
            ValueType::Percent => "percentage".into(),
            ValueType::Multiplier => "multiplier".into(),
            ValueType::Bool => "bool".into(),
            ValueType::Str => "string".into(),
            ValueType::Choice(words) => format!("one of {}", ticked(words)),
            ValueType::Word([]) => "identifier".into(),
            ValueType::Word(words) => format!("identifier (such as {})", ticked(words)),
            ValueType::Component(kinds, words) => {
                let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                let mut s = format!("name of a {}", ticked(&kinds).replace(", ", " or "));
                if !words.is_empty() {
                    s = format!("{}, or {s}", ticked(words));
                }
                s
            }
            ValueType::Datacenters => "list of datacenter names".into(),
            ValueType::Keys => "list of key strings".into(),
            ValueType::KeyShares => "map of key strings to percentages".into(),
            ValueType::Distribution => "`uniform` or `zipf(s)`".into(),
        }
    }

    /// The units a number may carry for this type (LANGUAGE.md §2, §13):
    /// empty for a type that is no quantity.
    pub fn units(self) -> &'static [&'static str] {
        match self {
            ValueType::Rate => &["/s", "/min", "/h", "/day", "/week", "/month", "/year"],
            ValueType::Duration => &["us", "ms", "s", "m", "h", "d", "y"],
            ValueType::Size => &["B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"],
            ValueType::Percent => &["%"],
            ValueType::Multiplier => &["x"],
            ValueType::Number => &["k", "M", "G"],
            _ => &[],
        }
    }

    /// The words a value of this type may be (choices, common
    /// identifiers, booleans).
    pub fn words(self) -> &'static [&'static str] {
        match self {
            ValueType::Choice(w) | ValueType::Word(w) | ValueType::Component(_, w) => w,
            ValueType::Bool => &["true", "false"],
            ValueType::Distribution => &["uniform", "zipf"],
            _ => &[],
        }
    }
}

fn ticked(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One attribute of a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrSpec {
    pub name: &'static str,
    pub ty: ValueType,
    /// The default in the language's own notation, or how it is found;
    /// `None` when an absent attribute means "not set".
    pub default: Option<&'static str>,
    /// One sentence: what the attribute means.
    pub meaning: &'static str,
}

/// A block that takes attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    Component(Kind),
    Traffic,
    Slo,
    Monitoring,
    Assumptions,
    Datacenter,
    Scenario,
}

impl Block {
    /// The block a keyword opens (`service`, `traffic`, `datacenter`, …).
    pub fn from_keyword(word: &str) -> Option<Block> {
        Some(match word {
            "traffic" => Block::Traffic,
            "slo" => Block::Slo,
            "monitoring" => Block::Monitoring,
            "assumptions" => Block::Assumptions,
            "datacenter" => Block::Datacenter,
            "scenario" => Block::Scenario,
            _ => Block::Component(Kind::parse(word)?),
        })
    }
}

const fn a(
    name: &'static str,
    ty: ValueType,
    default: Option<&'static str>,
    meaning: &'static str,
) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        default,
        meaning,
    }
}

const CROSS_DC: AttrSpec = a(
    "cross_dc",
    ValueType::Choice(&["none", "async", "sync"]),
    Some("none"),
    "how the data is replicated between datacenters",
);

/// The attributes of every component kind except `client` and `dns`.
const COMMON: &[AttrSpec] = &[
    a(
        "replicas",
        ValueType::Integer,
        Some("1 (a database: 0)"),
        "instances per datacenter; for a database, read replicas per shard",
    ),
    a(
        "autoscale",
        ValueType::Range,
        None,
        "min..max instances per datacenter; excludes `replicas`",
    ),
    a(
        "capacity",
        ValueType::Rate,
        Some("the kind's default"),
        "requests one instance sustains",
    ),
    a(
        "latency",
        ValueType::Duration,
        Some("the kind's default"),
        "mean time one request spends inside one instance",
    ),
    a(
        "datacenters",
        ValueType::Datacenters,
        Some("all"),
        "where the component is placed",
    ),
    a(
        "public",
        ValueType::Bool,
        Some("`true` for `lb` and `cdn`, `false` otherwise"),
        "reachable from the internet",
    ),
    a(
        "availability",
        ValueType::Percent,
        Some("`assumptions.instance_availability`"),
        "one instance's availability",
    ),
    a(
        "image",
        ValueType::Str,
        Some("the engine's default"),
        "container image, for the deployment backends",
    ),
    a(
        "instance",
        ValueType::Str,
        None,
        "machine size, for the Terraform backend (`\"m6i.large\"`)",
    ),
];

const CLIENT: &[AttrSpec] = &[a(
    "share",
    ValueType::Percent,
    Some("an equal split of traffic among clients"),
    "this client's share of the traffic",
)];

const DNS: &[AttrSpec] = &[
    a(
        "routing",
        ValueType::Choice(&["simple", "weighted", "geo", "latency"]),
        Some("simple"),
        "how users are sent to datacenters",
    ),
    a(
        "failover",
        ValueType::Bool,
        Some("true"),
        "whether traffic leaves a failed datacenter",
    ),
    a(
        "ttl",
        ValueType::Duration,
        Some("60s"),
        "how long until traffic leaves a failed datacenter",
    ),
    a(
        "availability",
        ValueType::Percent,
        Some("99.99%"),
        "the managed service's availability",
    ),
];

const CDN: &[AttrSpec] = &[
    a(
        "ttl",
        ValueType::Duration,
        None,
        "how long an edge keeps a cached asset",
    ),
    a(
        "hit_ratio",
        ValueType::Percent,
        Some("90%"),
        "share of requests answered from the edge",
    ),
    a(
        "fallback",
        ValueType::Choice(&["origin", "none"]),
        Some("none"),
        "where requests go when the CDN is down",
    ),
    a(
        "invalidation",
        ValueType::Choice(&["versioning", "api", "none"]),
        Some("none"),
        "how changed assets are refreshed",
    ),
];

const LB: &[AttrSpec] = &[
    a(
        "algorithm",
        ValueType::Choice(&["round-robin", "least-connections", "ip-hash"]),
        Some("round-robin"),
        "how requests are spread over the instances behind it",
    ),
    a(
        "sticky",
        ValueType::Bool,
        Some("false"),
        "whether a user keeps going to the same instance",
    ),
    a(
        "health_interval",
        ValueType::Duration,
        Some("5s"),
        "how often instances are health-checked",
    ),
];

const SERVICE: &[AttrSpec] = &[
    a(
        "session",
        ValueType::Component(&[Kind::Cache, Kind::Database], &["none", "local"]),
        Some("none"),
        "where session state lives",
    ),
    a(
        "consumes",
        ValueType::Component(&[Kind::Queue], &[]),
        None,
        "the queue this service takes messages from",
    ),
    a(
        "timeout",
        ValueType::Duration,
        Some("2s"),
        "how long a call waits before it fails",
    ),
];

const CACHE: &[AttrSpec] = &[
    a(
        "engine",
        ValueType::Choice(&["redis", "memcached"]),
        Some("redis"),
        "the cache software",
    ),
    a("memory", ValueType::Size, None, "memory per instance"),
    a(
        "ttl",
        ValueType::Duration,
        None,
        "how long an entry stays cached",
    ),
    a(
        "eviction",
        ValueType::Choice(&["lru", "lfu", "fifo", "none"]),
        Some("none"),
        "which entries go when memory is full",
    ),
    a(
        "hit_ratio",
        ValueType::Percent,
        Some("80%"),
        "share of reads answered from the cache",
    ),
    a(
        "overprovision",
        ValueType::Percent,
        Some("0%"),
        "memory kept free above what the entries need",
    ),
    a(
        "item_size",
        ValueType::Size,
        Some("1KB"),
        "the size of one cached entry",
    ),
    CROSS_DC,
];

const DATABASE: &[AttrSpec] = &[
    a(
        "engine",
        ValueType::Word(&["postgres", "mysql", "mongodb", "cassandra", "dynamodb"]),
        Some("postgres"),
        "the database software",
    ),
    a(
        "model",
        ValueType::Choice(&["relational", "key-value", "document", "column", "graph"]),
        Some("from the engine"),
        "the data model",
    ),
    a(
        "failover",
        ValueType::Choice(&["automatic", "manual", "none"]),
        Some("`automatic` when `replicas` > 0, else `none`"),
        "how a replica replaces a failed primary",
    ),
    a(
        "failover_time",
        ValueType::Duration,
        Some("30s"),
        "how long promoting a replica takes",
    ),
    a(
        "read_from",
        ValueType::Choice(&["replicas", "primary", "any"]),
        Some("`replicas` when there are replicas"),
        "which members answer reads",
    ),
    a(
        "shards",
        ValueType::Integer,
        Some("1"),
        "the number of hashed shards",
    ),
    a(
        "shard_key",
        ValueType::Word(&[]),
        None,
        "the key the data is sharded by",
    ),
    a(
        "sharding",
        ValueType::Choice(&["hash", "consistent", "range"]),
        Some("hash"),
        "how keys map to shards",
    ),
    a(
        "keys",
        ValueType::Distribution,
        Some("uniform"),
        "the popularity of keys by rank",
    ),
    a(
        "key_count",
        ValueType::Number,
        Some("1M"),
        "how many keys there are",
    ),
    a(
        "hot_keys",
        ValueType::KeyShares,
        None,
        "keys and their share of this database's requests",
    ),
    a(
        "dedicated",
        ValueType::Keys,
        None,
        "keys that get a shard of their own",
    ),
    a(
        "record_size",
        ValueType::Size,
        Some("1KB"),
        "the size of one record",
    ),
    CROSS_DC,
];

const QUEUE: &[AttrSpec] = &[
    a(
        "engine",
        ValueType::Word(&["rabbitmq", "kafka", "sqs", "nats"]),
        Some("rabbitmq"),
        "the queue software",
    ),
    a(
        "durable",
        ValueType::Bool,
        Some("true"),
        "whether messages survive a restart",
    ),
    a(
        "max_backlog",
        ValueType::Number,
        None,
        "the most messages the queue holds",
    ),
];

const STORAGE: &[AttrSpec] = &[
    a(
        "engine",
        ValueType::Word(&["s3", "minio"]),
        Some("s3"),
        "the object store",
    ),
    CROSS_DC,
];

fn own(kind: Kind) -> &'static [AttrSpec] {
    match kind {
        Kind::Client => CLIENT,
        Kind::Dns => DNS,
        Kind::Cdn => CDN,
        Kind::Lb => LB,
        Kind::Service => SERVICE,
        Kind::Cache => CACHE,
        Kind::Database => DATABASE,
        Kind::Queue => QUEUE,
        Kind::Storage => STORAGE,
    }
}

const TRAFFIC: &[AttrSpec] = &[
    a("users", ValueType::Number, None, "daily active users"),
    a(
        "per_user",
        ValueType::Rate,
        None,
        "requests per user (with `users`)",
    ),
    a(
        "rate",
        ValueType::Rate,
        None,
        "the whole system's average rate (instead of `users` and `per_user`)",
    ),
    a(
        "peak",
        ValueType::Multiplier,
        Some("1x"),
        "peak rate over average rate",
    ),
    a(
        "reads",
        ValueType::Percent,
        Some("100%"),
        "share of dynamic requests that only read",
    ),
    a(
        "static",
        ValueType::Percent,
        Some("0%"),
        "share of all requests for static assets",
    ),
    a("payload", ValueType::Size, None, "mean response size"),
    a(
        "write_size",
        ValueType::Size,
        Some("1KB"),
        "size of the data one write stores",
    ),
    a(
        "retention",
        ValueType::Duration,
        None,
        "how long data is kept, for storage growth",
    ),
];

const SLO: &[AttrSpec] = &[
    a(
        "latency_p99",
        ValueType::Duration,
        None,
        "the 99th-percentile latency objective",
    ),
    a(
        "latency_mean",
        ValueType::Duration,
        None,
        "the mean latency objective",
    ),
    a(
        "availability",
        ValueType::Percent,
        None,
        "the availability objective",
    ),
    a(
        "error_rate",
        ValueType::Percent,
        None,
        "the highest acceptable share of failed requests",
    ),
];

const MONITORING: &[AttrSpec] = &[
    a(
        "logs",
        ValueType::Word(&["loki", "elasticsearch"]),
        None,
        "the log tool",
    ),
    a(
        "metrics",
        ValueType::Word(&["prometheus"]),
        None,
        "the metrics tool",
    ),
    a(
        "tracing",
        ValueType::Word(&["jaeger", "tempo"]),
        None,
        "the tracing tool",
    ),
    a(
        "alerts",
        ValueType::Bool,
        Some("false"),
        "whether alerts are set up",
    ),
];

const ASSUMPTIONS: &[AttrSpec] = &[
    a(
        "target_utilization",
        ValueType::Percent,
        Some("70%"),
        "the utilisation instance counts are sized for",
    ),
    a(
        "instance_availability",
        ValueType::Percent,
        Some("99.9%"),
        "one instance's availability, where a component sets none",
    ),
    a(
        "hop_latency",
        ValueType::Duration,
        Some("0.5ms"),
        "network time of one hop inside a datacenter",
    ),
    a(
        "cross_dc_latency",
        ValueType::Duration,
        Some("60ms"),
        "network time of one hop between datacenters",
    ),
    a(
        "hotspot_factor",
        ValueType::Multiplier,
        Some("2x"),
        "how far above its fair share a shard may be loaded",
    ),
];

const DATACENTER: &[AttrSpec] = &[
    a(
        "region",
        ValueType::Str,
        None,
        "the provider's region (`\"us-east-1\"`)",
    ),
    a(
        "weight",
        ValueType::Percent,
        Some("an equal split"),
        "this datacenter's share of the users",
    ),
    a(
        "zones",
        ValueType::Integer,
        Some("1"),
        "availability zones instances are spread over",
    ),
];

const SCENARIO: &[AttrSpec] = &[a(
    "duration",
    ValueType::Duration,
    None,
    "how long the simulated run lasts",
)];

/// The metrics an `expect` line may name (LANGUAGE.md §10).
pub const METRICS: &[&str] = &[
    "p50",
    "p90",
    "p99",
    "p999",
    "mean",
    "error_rate",
    "throughput",
    "utilization",
];

/// The attributes `block` accepts, in the order the language lists them.
pub fn attributes(block: Block) -> Vec<&'static AttrSpec> {
    match block {
        Block::Component(kind) => {
            let common: &[AttrSpec] = match kind {
                Kind::Client | Kind::Dns => &[],
                _ => COMMON,
            };
            common.iter().chain(own(kind)).collect()
        }
        Block::Traffic => TRAFFIC.iter().collect(),
        Block::Slo => SLO.iter().collect(),
        Block::Monitoring => MONITORING.iter().collect(),
        Block::Assumptions => ASSUMPTIONS.iter().collect(),
        Block::Datacenter => DATACENTER.iter().collect(),
        Block::Scenario => SCENARIO.iter().collect(),
    }
}

/// The names of the attributes `block` accepts.
pub fn names(block: Block) -> Vec<&'static str> {
    attributes(block).into_iter().map(|a| a.name).collect()
}

/// One attribute of `block`.
pub fn attribute(block: Block, name: &str) -> Option<&'static AttrSpec> {
    attributes(block).into_iter().find(|a| a.name == name)
}

/// What each component kind is, one line (LANGUAGE.md §4).
pub fn kind_meaning(kind: Kind) -> &'static str {
    match kind {
        Kind::Client => "where requests come from: browsers, apps, partners",
        Kind::Dns => "a managed DNS service that sends users to datacenters",
        Kind::Cdn => "a managed content delivery network for static assets",
        Kind::Lb => "a load balancer in front of instances",
        Kind::Service => "a stateless service: instances that answer requests",
        Kind::Cache => "an in-memory cache (redis, memcached)",
        Kind::Database => "a database: primaries, read replicas and shards",
        Kind::Queue => "a message queue between producers and consumers",
        Kind::Storage => "an object store for files and media",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compiles `text` and returns its diagnostics' help lines.
    fn helps(text: &str) -> Vec<String> {
        let (file, mut diags) = crate::syntax::parse(text);
        let (_, more) = crate::model::build(&file, &Default::default());
        diags.extend(more);
        diags.into_iter().filter_map(|d| d.help).collect()
    }

    /// Every choice the schema lists is one lowering accepts, and lowering
    /// accepts no other: its "is one of" help names exactly the schema's.
    #[test]
    fn choices_match_what_lowering_accepts() {
        let mut checked = 0;
        for kind in Kind::ALL {
            for attr in attributes(Block::Component(kind)) {
                let ValueType::Choice(words) = attr.ty else {
                    continue;
                };
                let text = format!("{} thing {{ {} = zzzqqq }}\n", kind.as_str(), attr.name);
                // The words the help lists after "`NAME` is one of".
                let marker = format!("`{}` is one of ", attr.name);
                let helps = helps(&text);
                let listed: Vec<&str> = helps
                    .iter()
                    .find_map(|h| h.split_once(&marker).map(|(_, rest)| rest))
                    .unwrap_or_default()
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .collect();
                assert_eq!(
                    listed,
                    words.to_vec(),
                    "{}.{}: {helps:?}",
                    kind.as_str(),
                    attr.name
                );
                for w in words {
                    let ok = format!("{} thing {{ {} = {w} }}\n", kind.as_str(), attr.name);
                    assert!(
                        !helps_of_value(&ok),
                        "{}.{} = {w} was rejected",
                        kind.as_str(),
                        attr.name
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= 12, "only {checked} choice attributes checked");
    }

    /// Whether compiling `text` reports an invalid or mistyped value.
    fn helps_of_value(text: &str) -> bool {
        let (file, mut diags) = crate::syntax::parse(text);
        let (_, more) = crate::model::build(&file, &Default::default());
        diags.extend(more);
        diags
            .iter()
            .any(|d| d.rule == "invalid-value" || d.rule == "type-mismatch")
    }

    #[test]
    fn kinds_accept_their_own_attributes_only() {
        let service = names(Block::Component(Kind::Service));
        assert!(service.contains(&"capacity"));
        assert!(!service.contains(&"hit_ratio"));
        assert!(names(Block::Component(Kind::Cache)).contains(&"hit_ratio"));
        assert!(names(Block::Component(Kind::Client)) == ["share"]);
        assert_eq!(
            Block::from_keyword("database"),
            Some(Block::Component(Kind::Database))
        );
        assert_eq!(Block::from_keyword("system"), None);
    }
}
