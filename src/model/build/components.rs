//! Component declarations: common attributes (instances, capacity, latency,
//! placement, exposure) and the per-kind settings of each of the nine
//! kinds, with references to datacenters and other components resolved by
//! name, then the clients' traffic shares.
//!
//! Invariant: every declared component yields one `Component`, in
//! declaration order, so a component's index is its `ComponentId` even when
//! some of its attributes were wrong.

use super::*;

impl Cx {
    pub(super) fn component(
        &mut self,
        d: &ast::Declaration,
        kind: Kind,
        names: &Names,
        dc_count: usize,
    ) -> Component {
        let allowed = allowed_attributes(kind);
        let what = format!("a `{}`", kind.as_str());
        let attrs = self.attrs(d.attributes(), &allowed, &what);
        let attribute_spans: BTreeMap<String, Span> = attrs
            .map
            .iter()
            .map(|(k, a)| (k.to_string(), a.span))
            .collect();
        let templated: BTreeMap<String, TemplateOrigin> = attrs
            .map
            .iter()
            .filter_map(|(k, a)| {
                let via = a.via.as_ref()?;
                let origin = TemplateOrigin {
                    template: via.template.clone(),
                    span: a.span,
                    file: String::new(),
                    line: 0,
                };
                Some((k.to_string(), origin))
            })
            .collect();
        let name = d.name.name.clone();

        let engine = attrs.get("engine").and_then(|a| match &a.value.kind {
            ValueKind::Ident(s) | ValueKind::Str(s) => Some(s.clone()),
            _ => None,
        });
        let managed = match kind {
            Kind::Dns | Kind::Cdn => true,
            Kind::Storage => engine.as_deref().is_none_or(|e| e == "s3"),
            Kind::Database => engine.as_deref() == Some("dynamodb"),
            Kind::Queue => engine.as_deref() == Some("sqs"),
            _ => false,
        };

        // Instances.
        let min_replicas = if kind == Kind::Database { 0 } else { 1 };
        let replicas_given = self.integer(&attrs, "replicas", min_replicas, "2");
        let autoscale = self.autoscale(&attrs, kind);
        if let (Some(r), Some(a)) = (&replicas_given, &autoscale) {
            self.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    a.span.unwrap_or(d.name.span),
                    "`autoscale` together with `replicas`",
                )
                .label("autoscale here")
                .related(r.span.unwrap_or(d.name.span), "replicas here")
                .help("keep one: `replicas` for a fixed count, `autoscale = min..max` for a range"),
            );
        }
        if managed {
            for attr in ["replicas", "autoscale"] {
                if let Some(a) = attrs.get(attr) {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            a.name.span,
                            format!("`{attr}` on managed {} `{name}`", kind.as_str()),
                        )
                        .label("not allowed on a managed service")
                        .help(format!(
                            "remove `{attr}`: a managed service is redundant inside its provider; set `availability` instead"
                        )),
                    );
                }
            }
        }
        let replicas = replicas_given
            .map(|s| Setting {
                value: s.value as u32,
                span: s.span,
            })
            .unwrap_or(Setting::default(if kind == Kind::Database { 0 } else { 1 }));

        let (default_cap, default_lat) = kind_defaults(kind);
        let default_cap = if managed { None } else { default_cap };
        let capacity = match self.rate(&attrs, "capacity", "800/s") {
            Some(s) => Setting {
                value: Some(s.value),
                span: s.span,
            },
            None => Setting::default(default_cap),
        };
        let latency = self
            .duration(&attrs, "latency", "15ms")
            .unwrap_or(Setting::default(default_lat));
        let public = self
            .boolean(&attrs, "public")
            .unwrap_or(Setting::default(matches!(kind, Kind::Lb | Kind::Cdn)));
        let availability = self
            .percent(&attrs, "availability", "99.9%")
            .unwrap_or(Setting::default(if managed { 0.9999 } else { f64::NAN }));
        let image = self.string(&attrs, "image", "\"nginx:1.27\"");
        let instance = self.string(&attrs, "instance", "\"m6i.large\"");

        let datacenters = if kind.is_global() {
            if let Some(a) = attrs.get("datacenters") {
                self.invalid(
                    a.name.span,
                    format!(
                        "`{name}` is a global {}; it is not placed in datacenters",
                        kind.as_str()
                    ),
                    "remove `datacenters`: clients, dns and cdn are global",
                );
            }
            Setting::default(Vec::new())
        } else {
            match attrs.get("datacenters") {
                Some(a) => Setting::given(self.dc_list(a, names), a.value.span),
                None => Setting::default((0..dc_count).collect()),
            }
        };

        let spec = self.kind_spec(kind, &attrs, names, &name, replicas.value, d);
        Component {
            name,
            kind,
            span: d.span,
            name_span: d.name.span,
            replicas,
            autoscale,
            capacity,
            latency,
            datacenters,
            public,
            availability,
            image,
            instance,
            managed,
            attribute_spans,
            templated,
            spec,
        }
    }

    fn autoscale(&mut self, attrs: &Attrs, kind: Kind) -> Option<Setting<(u32, u32)>> {
        let a = attrs.get("autoscale")?;
        if matches!(kind, Kind::Database | Kind::Cache) {
            self.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    a.name.span,
                    format!("a {} cannot autoscale", kind.as_str()),
                )
                .label("not allowed here")
                .help("give a fixed `replicas` count: stateful copies do not autoscale"),
            );
            return None;
        }
        let ValueKind::Range(lo, hi) = &a.value.kind else {
            self.mismatch(a, "a range of instance counts", "2..10");
            return None;
        };
        let (
            ValueKind::Number {
                value: lo_v,
                integer: true,
            },
            ValueKind::Number {
                value: hi_v,
                integer: true,
            },
        ) = (&lo.kind, &hi.kind)
        else {
            self.mismatch(a, "a range of whole numbers", "2..10");
            return None;
        };
        if *lo_v < 1.0 {
            self.invalid(
                lo.span,
                "`autoscale` starts at 0 instances".into(),
                "start the range at 1 or more",
            );
            return None;
        }
        if lo_v > hi_v {
            self.invalid(
                a.value.span,
                format!(
                    "`autoscale` range {}..{} runs backwards",
                    fmt_num(*lo_v),
                    fmt_num(*hi_v)
                ),
                &format!(
                    "write the smaller count first: `{}..{}`",
                    fmt_num(*hi_v),
                    fmt_num(*lo_v)
                ),
            );
            return None;
        }
        if *hi_v > 1_000_000.0 {
            self.invalid(
                hi.span,
                "`autoscale` maximum is too large".into(),
                "use a realistic instance count",
            );
            return None;
        }
        Some(Setting::given((*lo_v as u32, *hi_v as u32), a.value.span))
    }

    fn dc_list(&mut self, a: &Attribute, names: &Names) -> Vec<DcId> {
        let ValueKind::List(items) = &a.value.kind else {
            self.mismatch(a, "a list of datacenter names", "[us-east, us-west]");
            return Vec::new();
        };
        let mut out = Vec::new();
        for v in items {
            match &v.kind {
                ValueKind::Ident(n) | ValueKind::Str(n) => match names.dc_ids.get(n) {
                    Some(id) => {
                        if !out.contains(id) {
                            out.push(*id);
                        }
                    }
                    None => self.unknown_dc(n, v.span, names),
                },
                other => self.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        v.span,
                        format!(
                            "`datacenters` lists datacenter names, found {}",
                            other.describe()
                        ),
                    )
                    .label("not a name")
                    .help("list datacenter names: `datacenters = [us-east]`"),
                ),
            }
        }
        out.sort_unstable();
        out
    }

    pub(super) fn unknown_dc(&mut self, n: &str, span: Span, names: &Names) {
        let mut d = Diagnostic::error(
            Code::UnknownReference,
            span,
            format!("no datacenter named `{n}`"),
        )
        .label("unknown datacenter");
        d = match did_you_mean(n, names.dc_ids.keys().map(String::as_str)) {
            Some(s) => d.suggest(s),
            None if names.dc_ids.is_empty() => {
                d.help("declare it: `datacenter NAME { region = \"…\" }`")
            }
            None => d.help(format!(
                "declare `datacenter {n}`, or use one of the declared datacenters"
            )),
        };
        self.push(d);
    }

    /// `kind` is the kind the reference needs, for the "declare it" hint.
    pub(super) fn unknown_component(&mut self, n: &str, span: Span, names: &Names, kind: &str) {
        let mut d = Diagnostic::error(
            Code::UnknownReference,
            span,
            format!("no component named `{n}`"),
        )
        .label("unknown component");
        d = match did_you_mean(n, names.comp_ids.keys().map(String::as_str)) {
            Some(s) => d.suggest(s),
            None => d.help(format!("declare it, for example `{kind} {n}`")),
        };
        self.push(d);
    }

    fn kind_spec(
        &mut self,
        kind: Kind,
        attrs: &Attrs,
        names: &Names,
        name: &str,
        replicas: u32,
        decl: &ast::Declaration,
    ) -> KindSpec {
        match kind {
            Kind::Client => KindSpec::Client(ClientSpec {
                share: self
                    .percent(attrs, "share", "50%")
                    .unwrap_or(Setting::default(f64::NAN)),
            }),
            Kind::Dns => KindSpec::Dns(DnsSpec {
                routing: self
                    .choice(
                        attrs,
                        "routing",
                        &[
                            ("simple", Routing::Simple),
                            ("weighted", Routing::Weighted),
                            ("geo", Routing::Geo),
                            ("latency", Routing::Latency),
                        ],
                    )
                    .unwrap_or(Setting::default(Routing::Simple)),
                failover: self
                    .boolean(attrs, "failover")
                    .unwrap_or(Setting::default(true)),
                ttl: self
                    .duration(attrs, "ttl", "60s")
                    .unwrap_or(Setting::default(60.0)),
            }),
            Kind::Cdn => KindSpec::Cdn(CdnSpec {
                ttl: self.duration(attrs, "ttl", "1d"),
                hit_ratio: self
                    .percent(attrs, "hit_ratio", "90%")
                    .unwrap_or(Setting::default(0.9)),
                fallback: self
                    .choice(
                        attrs,
                        "fallback",
                        &[("origin", Fallback::Origin), ("none", Fallback::None)],
                    )
                    .unwrap_or(Setting::default(Fallback::None)),
                invalidation: self
                    .choice(
                        attrs,
                        "invalidation",
                        &[
                            ("versioning", Invalidation::Versioning),
                            ("api", Invalidation::Api),
                            ("none", Invalidation::None),
                        ],
                    )
                    .unwrap_or(Setting::default(Invalidation::None)),
            }),
            Kind::Lb => KindSpec::Lb(LbSpec {
                algorithm: self
                    .choice(
                        attrs,
                        "algorithm",
                        &[
                            ("round-robin", Algorithm::RoundRobin),
                            ("least-connections", Algorithm::LeastConnections),
                            ("ip-hash", Algorithm::IpHash),
                        ],
                    )
                    .unwrap_or(Setting::default(Algorithm::RoundRobin)),
                sticky: self
                    .boolean(attrs, "sticky")
                    .unwrap_or(Setting::default(false)),
                health_interval: self
                    .duration(attrs, "health_interval", "5s")
                    .unwrap_or(Setting::default(5.0)),
            }),
            Kind::Service => {
                let session = match attrs.get("session") {
                    None => Setting::default(Session::None),
                    Some(a) => match &a.value.kind {
                        ValueKind::Ident(s) if s == "none" => {
                            Setting::given(Session::None, a.value.span)
                        }
                        ValueKind::Ident(s) if s == "local" => {
                            Setting::given(Session::Local, a.value.span)
                        }
                        ValueKind::Ident(s) | ValueKind::Str(s) => {
                            match names.comp_ids.get(s) {
                                Some(id)
                                    if matches!(names.kinds[*id], Kind::Cache | Kind::Database) =>
                                {
                                    Setting::given(Session::Store(*id), a.value.span)
                                }
                                Some(id) => {
                                    self.wrong_kind(a.value.span, s, names.kinds[*id], "`session` names a `cache` or `database` that stores sessions", names, *id);
                                    Setting::default(Session::None)
                                }
                                None => {
                                    self.unknown_component(s, a.value.span, names, "cache");
                                    Setting::default(Session::None)
                                }
                            }
                        }
                        _ => {
                            self.mismatch(
                                a,
                                "`none`, `local`, or the name of a session store",
                                "sessions",
                            );
                            Setting::default(Session::None)
                        }
                    },
                };
                let consumes = match attrs.get("consumes") {
                    None => None,
                    Some(a) => match &a.value.kind {
                        ValueKind::Ident(s) | ValueKind::Str(s) => match names.comp_ids.get(s) {
                            Some(id) if names.kinds[*id] == Kind::Queue => {
                                Some(Setting::given(*id, a.value.span))
                            }
                            Some(id) => {
                                self.wrong_kind(
                                    a.value.span,
                                    s,
                                    names.kinds[*id],
                                    "`consumes` names a `queue`",
                                    names,
                                    *id,
                                );
                                None
                            }
                            None => {
                                self.unknown_component(s, a.value.span, names, "queue");
                                None
                            }
                        },
                        _ => {
                            self.mismatch(a, "the name of a queue", "jobs");
                            None
                        }
                    },
                };
                KindSpec::Service(ServiceSpec {
                    session,
                    consumes,
                    timeout: self
                        .duration(attrs, "timeout", "2s")
                        .unwrap_or(Setting::default(2.0)),
                })
            }
            Kind::Cache => {
                let engine = self.engine(attrs, &["redis", "memcached"], "redis");
                KindSpec::Cache(CacheSpec {
                    engine,
                    memory: self.size(attrs, "memory", "32GB"),
                    ttl: self.duration(attrs, "ttl", "10m"),
                    eviction: self
                        .choice(
                            attrs,
                            "eviction",
                            &[
                                ("lru", Eviction::Lru),
                                ("lfu", Eviction::Lfu),
                                ("fifo", Eviction::Fifo),
                                ("none", Eviction::None),
                            ],
                        )
                        .unwrap_or(Setting::default(Eviction::None)),
                    hit_ratio: self
                        .percent(attrs, "hit_ratio", "80%")
                        .unwrap_or(Setting::default(0.8)),
                    overprovision: self
                        .percent(attrs, "overprovision", "20%")
                        .unwrap_or(Setting::default(0.0)),
                    item_size: self
                        .size(attrs, "item_size", "1KB")
                        .unwrap_or(Setting::default(1000.0)),
                    cross_dc: self.cross_dc(attrs),
                })
            }
            Kind::Database => self.database(attrs, name, replicas, decl),
            Kind::Queue => KindSpec::Queue(QueueSpec {
                engine: self
                    .word(attrs, "engine", "rabbitmq")
                    .unwrap_or(Setting::default("rabbitmq".into())),
                durable: self
                    .boolean(attrs, "durable")
                    .unwrap_or(Setting::default(true)),
                max_backlog: self.number(attrs, "max_backlog", "1M"),
            }),
            Kind::Storage => KindSpec::Storage(StorageSpec {
                engine: self
                    .word(attrs, "engine", "s3")
                    .unwrap_or(Setting::default("s3".into())),
                cross_dc: self.cross_dc(attrs),
            }),
        }
    }

    fn engine(&mut self, attrs: &Attrs, options: &[&str], default: &str) -> Setting<String> {
        let Some(a) = attrs.get("engine") else {
            return Setting::default(default.to_string());
        };
        let choices: Vec<(&str, usize)> =
            options.iter().enumerate().map(|(i, o)| (*o, i)).collect();
        match self.choice(attrs, "engine", &choices) {
            Some(s) => Setting::given(options[s.value].to_string(), a.value.span),
            None => Setting::default(default.to_string()),
        }
    }

    fn cross_dc(&mut self, attrs: &Attrs) -> Setting<CrossDc> {
        self.choice(
            attrs,
            "cross_dc",
            &[
                ("none", CrossDc::None),
                ("async", CrossDc::Async),
                ("sync", CrossDc::Sync),
            ],
        )
        .unwrap_or(Setting::default(CrossDc::None))
    }

    pub(super) fn wrong_kind(
        &mut self,
        span: Span,
        name: &str,
        kind: Kind,
        rule: &str,
        names: &Names,
        id: usize,
    ) {
        self.push(
            Diagnostic::error(
                Code::WrongKind,
                span,
                format!("`{name}` is a `{}`, but {rule}", kind.as_str()),
            )
            .label(format!("a `{}`", kind.as_str()))
            .related(
                names.decls[id].0.name.span,
                format!("`{name}` declared here"),
            )
            .help("name a component of the right kind here"),
        );
    }

    fn database(
        &mut self,
        attrs: &Attrs,
        _name: &str,
        replicas: u32,
        decl: &ast::Declaration,
    ) -> KindSpec {
        let engine = self
            .word(attrs, "engine", "postgres")
            .unwrap_or(Setting::default("postgres".into()));
        let model_default = match engine.value.as_str() {
            "mongodb" | "couchdb" | "documentdb" | "firestore" => DataModel::Document,
            "cassandra" | "scylladb" | "scylla" | "hbase" | "bigtable" => DataModel::Column,
            "dynamodb" | "redis" | "riak" | "etcd" | "foundationdb" => DataModel::KeyValue,
            "neo4j" | "neptune" | "dgraph" | "janusgraph" => DataModel::Graph,
            _ => DataModel::Relational,
        };
        let model = self
            .choice(
                attrs,
                "model",
                &[
                    ("relational", DataModel::Relational),
                    ("key-value", DataModel::KeyValue),
                    ("document", DataModel::Document),
                    ("column", DataModel::Column),
                    ("graph", DataModel::Graph),
                ],
            )
            .unwrap_or(Setting::default(model_default));
        let failover = self
            .choice(
                attrs,
                "failover",
                &[
                    ("automatic", FailoverMode::Automatic),
                    ("manual", FailoverMode::Manual),
                    ("none", FailoverMode::None),
                ],
            )
            .unwrap_or(Setting::default(if replicas > 0 {
                FailoverMode::Automatic
            } else {
                FailoverMode::None
            }));
        let read_from = self
            .choice(
                attrs,
                "read_from",
                &[
                    ("replicas", ReadFrom::Replicas),
                    ("primary", ReadFrom::Primary),
                    ("any", ReadFrom::Any),
                ],
            )
            .unwrap_or(Setting::default(if replicas > 0 {
                ReadFrom::Replicas
            } else {
                ReadFrom::Primary
            }));
        let shards = self
            .integer(attrs, "shards", 1, "8")
            .map(|s| Setting {
                value: s.value as u32,
                span: s.span,
            })
            .unwrap_or(Setting::default(1));
        if shards.value > 100_000 {
            self.invalid(
                shards.span.unwrap_or(decl.name.span),
                "`shards` is above 100,000".into(),
                "use at most 100,000 shards",
            );
        }
        let shard_key = attrs.get("shard_key").and_then(|a| match &a.value.kind {
            ValueKind::Ident(s) | ValueKind::Str(s) => {
                Some(Setting::given(s.clone(), a.value.span))
            }
            _ => {
                self.mismatch(a, "a key name", "user_id");
                None
            }
        });
        let sharding = self
            .choice(
                attrs,
                "sharding",
                &[
                    ("hash", Sharding::Hash),
                    ("consistent", Sharding::Consistent),
                    ("range", Sharding::Range),
                ],
            )
            .unwrap_or(Setting::default(Sharding::Hash));
        let keys = self
            .keys(attrs)
            .unwrap_or(Setting::default(KeyDist::Uniform));
        let key_count = match self.number(attrs, "key_count", "50M") {
            Some(s) if s.value >= 1.0 && s.value.fract() == 0.0 && s.value <= 1e15 => Setting {
                value: s.value as u64,
                span: s.span,
            },
            Some(s) => {
                self.invalid(
                    s.span.unwrap_or(decl.name.span),
                    "`key_count` must be a whole number of keys, at least 1".into(),
                    "write a count such as `50M`",
                );
                Setting::default(1_000_000)
            }
            None => Setting::default(1_000_000),
        };
        let hot_keys = self.hot_keys(attrs);
        let dedicated = match attrs.get("dedicated") {
            None => Setting::default(Vec::new()),
            Some(a) => match &a.value.kind {
                ValueKind::List(items) => {
                    let mut keys = Vec::new();
                    for v in items {
                        match &v.kind {
                            ValueKind::Str(s) | ValueKind::Ident(s) => keys.push(s.clone()),
                            ValueKind::Number {
                                value,
                                integer: true,
                            } => keys.push(fmt_num(*value)),
                            other => self.push(
                                Diagnostic::error(
                                    Code::TypeMismatch,
                                    v.span,
                                    format!("`dedicated` lists keys, found {}", other.describe()),
                                )
                                .label("not a key")
                                .help("list keys as strings: `dedicated = [\"taylor\"]`"),
                            ),
                        }
                    }
                    Setting::given(keys, a.value.span)
                }
                _ => {
                    self.mismatch(a, "a list of keys", "[\"taylor\"]");
                    Setting::default(Vec::new())
                }
            },
        };
        KindSpec::Database(DatabaseSpec {
            engine,
            model,
            failover,
            failover_time: self
                .duration(attrs, "failover_time", "30s")
                .unwrap_or(Setting::default(30.0)),
            read_from,
            shards,
            shard_key,
            sharding,
            keys,
            key_count,
            hot_keys,
            dedicated,
            record_size: self
                .size(attrs, "record_size", "1KB")
                .unwrap_or(Setting::default(1000.0)),
            cross_dc: self.cross_dc(attrs),
        })
    }

    fn keys(&mut self, attrs: &Attrs) -> Option<Setting<KeyDist>> {
        let a = attrs.get("keys")?;
        match &a.value.kind {
            ValueKind::Ident(s) if s == "uniform" => {
                Some(Setting::given(KeyDist::Uniform, a.value.span))
            }
            ValueKind::Call(f, args) if f.name == "uniform" && args.is_empty() => {
                Some(Setting::given(KeyDist::Uniform, a.value.span))
            }
            ValueKind::Call(f, args) if f.name == "zipf" => match args.as_slice() {
                [
                    Value {
                        kind: ValueKind::Number { value, .. },
                        span,
                    },
                ] => {
                    if *value <= 0.0 {
                        self.invalid(
                            *span,
                            "`zipf` needs an exponent above 0".into(),
                            "write `zipf(1.1)`, s > 0",
                        );
                        None
                    } else if *value > 100.0 {
                        self.invalid(
                            *span,
                            "`zipf` exponent above 100".into(),
                            "use an exponent between 0 and 100",
                        );
                        None
                    } else {
                        Some(Setting::given(KeyDist::Zipf(*value), a.value.span))
                    }
                }
                _ => {
                    self.mismatch(a, "`uniform` or `zipf(s)` with a number s > 0", "zipf(1.1)");
                    None
                }
            },
            _ => {
                self.mismatch(a, "`uniform` or `zipf(s)`", "zipf(1.1)");
                None
            }
        }
    }

    fn hot_keys(&mut self, attrs: &Attrs) -> Setting<Vec<(String, f64)>> {
        let Some(a) = attrs.get("hot_keys") else {
            return Setting::default(Vec::new());
        };
        let ValueKind::Map(entries) = &a.value.kind else {
            self.mismatch(a, "a map of keys to shares", "{ \"taylor\" = 5% }");
            return Setting::default(Vec::new());
        };
        let mut out = Vec::new();
        let mut total = 0.0;
        for (k, v) in entries {
            match v.kind {
                ValueKind::Quantity(ast::Quantity {
                    value,
                    unit: Unit::Percent,
                }) => {
                    total += value;
                    out.push((k.name.clone(), value));
                }
                ref other => self.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        v.span,
                        format!(
                            "a hot key's share is a percentage, found {}",
                            other.describe()
                        ),
                    )
                    .label("not a percentage")
                    .help(format!("write `\"{}\" = 5%`", k.name)),
                ),
            }
        }
        if total > 1.0 + 1e-9 {
            self.invalid(
                a.value.span,
                format!(
                    "hot keys take {}% of the requests, above 100%",
                    fmt_num(total * 100.0)
                ),
                "lower the hot keys' shares so they sum to at most 100%",
            );
            return Setting::default(Vec::new());
        }
        Setting::given(out, a.value.span)
    }

    pub(super) fn client_shares(&mut self, components: &mut [Component]) {
        let clients: Vec<usize> = (0..components.len())
            .filter(|i| components[*i].kind == Kind::Client)
            .collect();
        let mut given = 0.0;
        let mut unset = 0;
        let mut spans = Vec::new();
        for &i in &clients {
            let s = &components[i].client().map(|c| c.share.clone());
            match s {
                Some(s) if !s.value.is_nan() => {
                    given += s.value;
                    spans.push(s.span.unwrap_or(components[i].name_span));
                }
                _ => unset += 1,
            }
        }
        let bad = if unset == 0 {
            !spans.is_empty() && (given - 1.0).abs() > 1e-6
        } else {
            given > 1.0 + 1e-6
        };
        if bad {
            let mut d = Diagnostic::error(
                Code::ShareSum,
                spans[spans.len() - 1],
                format!("client shares sum to {}%, not 100%", fmt_num(given * 100.0)),
            )
            .label("shares end here")
            .help("make the clients' shares add up to 100%");
            for s in &spans[..spans.len() - 1] {
                d = d.related(*s, "share");
            }
            self.push(d);
        }
        let rest = if unset > 0 {
            (1.0 - given).max(0.0) / unset as f64
        } else {
            0.0
        };
        for &i in &clients {
            if let KindSpec::Client(c) = &mut components[i].spec
                && c.share.value.is_nan()
            {
                c.share = Setting::default(rest);
            }
        }
    }
}
