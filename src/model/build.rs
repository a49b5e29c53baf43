//! Lowering: AST to [`Model`], with every semantic check reported in one
//! pass. Names are collected first, so references anywhere may point
//! forward; then attributes are typed and defaulted, flows resolved and
//! checked (shares, cycles, direction), components placed, and scenarios
//! resolved.

use super::*;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span, did_you_mean};
use crate::syntax::ast::{self, Attribute, Item, SingletonKind, Unit, Value, ValueKind};
use std::collections::{HashMap, HashSet};

/// Settings from outside the file (`archc.toml`, `--set`).
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// The name to use when the file has no `system` line (its stem).
    pub default_name: String,
    /// `assumptions` defaults from a project file; the file's own
    /// `assumptions` block wins over them.
    pub assumptions: Vec<(String, f64)>,
}

const COMMON: &[&str] = &[
    "replicas",
    "autoscale",
    "capacity",
    "latency",
    "datacenters",
    "public",
    "availability",
    "image",
    "instance",
];

fn own_attributes(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Client => &["share"],
        // §8 gives managed services an `availability`; dns takes it too.
        Kind::Dns => &["routing", "failover", "ttl", "availability"],
        Kind::Cdn => &["ttl", "hit_ratio", "fallback", "invalidation"],
        Kind::Lb => &["algorithm", "sticky", "health_interval"],
        Kind::Service => &["session", "consumes", "timeout"],
        Kind::Cache => &[
            "engine",
            "memory",
            "ttl",
            "eviction",
            "hit_ratio",
            "overprovision",
            "item_size",
            "cross_dc",
        ],
        Kind::Database => &[
            "engine",
            "model",
            "failover",
            "failover_time",
            "read_from",
            "shards",
            "shard_key",
            "sharding",
            "keys",
            "key_count",
            "hot_keys",
            "dedicated",
            "record_size",
            "cross_dc",
        ],
        Kind::Queue => &["engine", "durable", "max_backlog"],
        Kind::Storage => &["engine", "cross_dc"],
    }
}

fn allowed_attributes(kind: Kind) -> Vec<&'static str> {
    let mut v: Vec<&str> = match kind {
        Kind::Client | Kind::Dns => Vec::new(),
        _ => COMMON.to_vec(),
    };
    v.extend_from_slice(own_attributes(kind));
    v
}

const TRAFFIC_ATTRS: &[&str] = &[
    "users",
    "per_user",
    "rate",
    "peak",
    "reads",
    "static",
    "payload",
    "write_size",
    "retention",
];
const SLO_ATTRS: &[&str] = &["latency_p99", "latency_mean", "availability", "error_rate"];
const MONITORING_ATTRS: &[&str] = &["logs", "metrics", "tracing", "alerts"];
const ASSUMPTION_ATTRS: &[&str] = &[
    "target_utilization",
    "instance_availability",
    "hop_latency",
    "cross_dc_latency",
    "hotspot_factor",
];
const DATACENTER_ATTRS: &[&str] = &["region", "weight"];
const METRICS: &[&str] = &[
    "p50",
    "p90",
    "p99",
    "p999",
    "mean",
    "error_rate",
    "throughput",
    "utilization",
];

/// Compiles a parsed file. The model is returned only when no error was
/// found; the diagnostics list everything found either way.
pub fn build(file: &ast::File, options: &BuildOptions) -> (Option<Model>, Vec<Diagnostic>) {
    let mut cx = Cx { diags: Vec::new() };
    let model = cx.build(file, options);
    let has_error = cx
        .diags
        .iter()
        .any(|d| d.severity == crate::diagnostic::Severity::Error);
    (if has_error { None } else { Some(model) }, cx.diags)
}

struct Cx {
    diags: Vec<Diagnostic>,
}

/// A block's attributes, checked for unknown names and duplicates.
struct Attrs<'a> {
    map: HashMap<&'a str, &'a Attribute>,
}

impl<'a> Attrs<'a> {
    fn get(&self, name: &str) -> Option<&'a Attribute> {
        self.map.get(name).copied()
    }
}

/// Where a name was first defined, for duplicate reports.
enum Defined {
    Datacenter,
    Component,
}

impl Cx {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn build(&mut self, file: &ast::File, options: &BuildOptions) -> Model {
        // ── Pass 1: top-level shape and names ───────────────────────────
        let mut system: Option<&ast::SystemLine> = None;
        let mut singletons: HashMap<SingletonKind, &ast::Singleton> = HashMap::new();
        let mut dc_decls: Vec<&ast::Declaration> = Vec::new();
        let mut comp_decls: Vec<(&ast::Declaration, Kind)> = Vec::new();
        let mut names: HashMap<String, (Span, Defined)> = HashMap::new();
        let mut flows: Vec<&ast::Flow> = Vec::new();
        let mut scenarios: Vec<&ast::Scenario> = Vec::new();

        for item in &file.items {
            match item {
                Item::System(s) => {
                    if let Some(first) = system {
                        self.push(
                            Diagnostic::error(
                                Code::DuplicateBlock,
                                s.span,
                                "a second `system` line",
                            )
                            .label("second `system` line")
                            .related(first.span, "first `system` line here")
                            .help("keep one `system` line per file"),
                        );
                    } else {
                        system = Some(s);
                    }
                }
                Item::Singleton(s) => {
                    if let Some(first) = singletons.get(&s.kind) {
                        self.push(
                            Diagnostic::error(
                                Code::DuplicateBlock,
                                s.keyword,
                                format!("a second `{}` block", s.kind.as_str()),
                            )
                            .label("second block")
                            .related(first.keyword, "first block here")
                            .help(format!(
                                "merge the attributes into one `{}` block",
                                s.kind.as_str()
                            )),
                        );
                    } else {
                        singletons.insert(s.kind, s);
                    }
                }
                Item::Declaration(d) => {
                    let kind_word = d.kind.name.as_str();
                    let defined = if kind_word == "datacenter" {
                        dc_decls.push(d);
                        Defined::Datacenter
                    } else if let Some(kind) = Kind::parse(kind_word) {
                        comp_decls.push((d, kind));
                        Defined::Component
                    } else {
                        let mut words: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                        words.extend([
                            "datacenter",
                            "system",
                            "scenario",
                            "traffic",
                            "slo",
                            "monitoring",
                            "assumptions",
                        ]);
                        let mut diag = Diagnostic::error(
                            Code::UnknownKind,
                            d.kind.span,
                            format!("unknown component kind `{kind_word}`"),
                        )
                        .label("not a component kind");
                        diag = match did_you_mean(kind_word, words) {
                            Some(s) => diag.help(format!("did you mean `{s}`?")),
                            None => diag.help(
                                "the kinds are `client`, `dns`, `cdn`, `lb`, `service`, `cache`, `database`, `queue`, `storage`, and `datacenter`",
                            ),
                        };
                        self.push(diag);
                        continue;
                    };
                    let name = d.name.name.clone();
                    if let Some((first, _)) = names.get(&name) {
                        self.push(
                            Diagnostic::error(Code::DuplicateName, d.name.span, format!("`{name}` is defined twice"))
                                .label("second definition")
                                .related(*first, "first defined here")
                                .help("rename one of them; components and datacenters share one namespace"),
                        );
                        // Keep the first definition; drop this one.
                        match defined {
                            Defined::Datacenter => {
                                dc_decls.pop();
                            }
                            Defined::Component => {
                                comp_decls.pop();
                            }
                        }
                    } else {
                        names.insert(name, (d.name.span, defined));
                    }
                }
                Item::Flow(f) => flows.push(f),
                Item::Scenario(s) => scenarios.push(s),
            }
        }

        // ── Datacenters ─────────────────────────────────────────────────
        let mut datacenters = self.datacenters(&dc_decls);
        let dc_ids: HashMap<String, DcId> = datacenters
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.clone(), i))
            .collect();

        let comp_ids: HashMap<String, ComponentId> = comp_decls
            .iter()
            .enumerate()
            .map(|(i, (d, _))| (d.name.name.clone(), i))
            .collect();
        let kinds: Vec<Kind> = comp_decls.iter().map(|(_, k)| *k).collect();

        // ── Components ──────────────────────────────────────────────────
        let resolver = Names {
            comp_ids: &comp_ids,
            kinds: &kinds,
            dc_ids: &dc_ids,
            decls: &comp_decls,
        };
        let mut components: Vec<Component> = comp_decls
            .iter()
            .map(|(d, kind)| self.component(d, *kind, &resolver, datacenters.len()))
            .collect();
        self.client_shares(&mut components);

        // ── Singletons ──────────────────────────────────────────────────
        let traffic = singletons
            .get(&SingletonKind::Traffic)
            .and_then(|s| self.traffic(s));
        let slo = singletons
            .get(&SingletonKind::Slo)
            .map(|s| self.slo(s))
            .unwrap_or_default();
        let monitoring = singletons
            .get(&SingletonKind::Monitoring)
            .map(|s| self.monitoring(s));
        let assumptions = self.assumptions(
            singletons.get(&SingletonKind::Assumptions).copied(),
            options,
        );
        // An instance's availability defaults to the assumption (§4).
        for c in &mut components {
            if c.availability.value.is_nan() {
                c.availability = Setting::default(assumptions.instance_availability.value);
            }
        }

        // ── Flows ───────────────────────────────────────────────────────
        let flow_edges = self.flows(&flows, &resolver, &components);
        self.check_shares(&flow_edges, &components);
        self.check_cycles(&flow_edges, &components);

        // ── Placement ───────────────────────────────────────────────────
        if datacenters.is_empty() {
            datacenters.push(Datacenter {
                name: "default".into(),
                span: Span::default(),
                name_span: Span::default(),
                region: None,
                weight: Setting::default(1.0),
                implicit: true,
            });
            for c in components.iter_mut().filter(|c| !c.kind.is_global()) {
                c.datacenters.value = vec![0];
            }
        }
        let mut model = Model {
            system: system.map_or_else(|| options.default_name.clone(), |s| s.name.name.clone()),
            system_span: system.map(|s| s.span),
            traffic,
            slo,
            monitoring,
            assumptions,
            datacenters,
            components,
            flows: flow_edges,
            graph: petgraph::graph::DiGraph::new(),
            copies: BTreeMap::new(),
            entries: Vec::new(),
            scenarios: Vec::new(),
            comments: file.comments.clone(),
            by_name: comp_ids.clone(),
            flows_out: Vec::new(),
            flows_in: Vec::new(),
            call_edges: Vec::new(),
            consumers: Vec::new(),
        };
        model.index_flows();
        place(&mut model);
        model.entries = entries(&model);
        // The implicit `default` datacenter is addressable in scenarios.
        let dc_ids: HashMap<String, DcId> = model
            .datacenters
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.clone(), i))
            .collect();
        model.scenarios = scenarios
            .iter()
            .map(|s| self.scenario(s, &model, &dc_ids))
            .collect();
        model
    }

    // ── Attribute reading ───────────────────────────────────────────────

    fn attrs<'a>(
        &mut self,
        attributes: &'a [Attribute],
        allowed: &[&str],
        what: &str,
    ) -> Attrs<'a> {
        let mut map: HashMap<&str, &Attribute> = HashMap::new();
        for a in attributes {
            let name = a.name.name.as_str();
            if !allowed.contains(&name) {
                let mut d = Diagnostic::error(
                    Code::UnknownAttribute,
                    a.name.span,
                    format!("unknown attribute `{name}` for {what}"),
                )
                .label("unknown attribute");
                d = match did_you_mean(name, allowed.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!("{what} takes: {}", allowed.join(", "))),
                };
                self.push(d);
                continue;
            }
            if let Some(first) = map.get(name) {
                self.push(
                    Diagnostic::error(
                        Code::DuplicateAttribute,
                        a.name.span,
                        format!("`{name}` is set twice"),
                    )
                    .label("second setting")
                    .related(first.name.span, "first set here")
                    .help("remove one of the two settings"),
                );
                continue;
            }
            map.insert(name, a);
        }
        Attrs { map }
    }

    fn mismatch(&mut self, a: &Attribute, expected: &str, example: &str) {
        let found = a.value.kind.describe();
        self.push(
            Diagnostic::error(
                Code::TypeMismatch,
                a.value.span,
                format!("`{}` expects {expected}, found {found}", a.name.name),
            )
            .label(format!("this is {found}"))
            .help(format!(
                "write {expected}, for example `{} = {example}`",
                a.name.name
            )),
        );
    }

    fn invalid(&mut self, span: Span, message: String, help: &str) {
        self.push(
            Diagnostic::error(Code::InvalidValue, span, message)
                .label("invalid value")
                .help(help),
        );
    }

    fn quantity(&mut self, a: &Attribute, unit: Unit, example: &str) -> Option<f64> {
        match &a.value.kind {
            ValueKind::Quantity(q) if q.unit == unit => Some(q.value),
            _ => {
                self.mismatch(a, unit.describe(), example);
                None
            }
        }
    }

    fn duration(&mut self, attrs: &Attrs, name: &str, example: &str) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        let v = self.quantity(a, Unit::Duration, example)?;
        Some(Setting::given(v, a.value.span))
    }

    fn size(&mut self, attrs: &Attrs, name: &str, example: &str) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        let v = self.quantity(a, Unit::Size, example)?;
        Some(Setting::given(v, a.value.span))
    }

    fn rate(&mut self, attrs: &Attrs, name: &str, example: &str) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        let v = self.quantity(a, Unit::Rate, example)?;
        if v <= 0.0 {
            self.invalid(
                a.value.span,
                format!("`{name}` must be above zero"),
                "give a positive rate",
            );
            return None;
        }
        Some(Setting::given(v, a.value.span))
    }

    /// A percentage between 0% and 100%.
    fn percent(&mut self, attrs: &Attrs, name: &str, example: &str) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        let v = self.quantity(a, Unit::Percent, example)?;
        if v > 1.0 + 1e-12 {
            self.invalid(
                a.value.span,
                format!("`{name}` is {}%, above 100%", fmt_num(v * 100.0)),
                "a percentage here is between 0% and 100%",
            );
            return None;
        }
        Some(Setting::given(v, a.value.span))
    }

    fn multiplier(&mut self, attrs: &Attrs, name: &str, example: &str) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        let v = self.quantity(a, Unit::Multiplier, example)?;
        if v <= 0.0 {
            self.invalid(
                a.value.span,
                format!("`{name}` must be above zero"),
                "give a factor such as `2x`",
            );
            return None;
        }
        Some(Setting::given(v, a.value.span))
    }

    /// A bare number (magnitudes allowed).
    fn number(&mut self, attrs: &Attrs, name: &str, example: &str) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        match a.value.kind {
            ValueKind::Number { value, .. } => Some(Setting::given(value, a.value.span)),
            _ => {
                self.mismatch(a, "a number", example);
                None
            }
        }
    }

    fn integer(
        &mut self,
        attrs: &Attrs,
        name: &str,
        min: u64,
        example: &str,
    ) -> Option<Setting<u64>> {
        let a = attrs.get(name)?;
        match a.value.kind {
            ValueKind::Number {
                value,
                integer: true,
            } => {
                if value < min as f64 {
                    self.invalid(
                        a.value.span,
                        format!("`{name}` is {}, below the minimum of {min}", fmt_num(value)),
                        &format!("set `{name}` to {min} or more"),
                    );
                    return None;
                }
                if value > u32::MAX as f64 {
                    self.invalid(
                        a.value.span,
                        format!("`{name}` is too large"),
                        "use a realistic count",
                    );
                    return None;
                }
                Some(Setting::given(value as u64, a.value.span))
            }
            _ => {
                self.mismatch(a, "a whole number", example);
                None
            }
        }
    }

    fn boolean(&mut self, attrs: &Attrs, name: &str) -> Option<Setting<bool>> {
        let a = attrs.get(name)?;
        match a.value.kind {
            ValueKind::Bool(b) => Some(Setting::given(b, a.value.span)),
            _ => {
                self.mismatch(a, "`true` or `false`", "true");
                None
            }
        }
    }

    /// An identifier or a string: engine names, tools, regions.
    fn word(&mut self, attrs: &Attrs, name: &str, example: &str) -> Option<Setting<String>> {
        let a = attrs.get(name)?;
        match &a.value.kind {
            ValueKind::Ident(s) | ValueKind::Str(s) => {
                Some(Setting::given(s.clone(), a.value.span))
            }
            _ => {
                self.mismatch(a, "a name", example);
                None
            }
        }
    }

    fn string(&mut self, attrs: &Attrs, name: &str, example: &str) -> Option<Setting<String>> {
        let a = attrs.get(name)?;
        match &a.value.kind {
            ValueKind::Str(s) => Some(Setting::given(s.clone(), a.value.span)),
            _ => {
                self.mismatch(a, "a string", example);
                None
            }
        }
    }

    /// One of a fixed set of words.
    fn choice<T: std::marker::Copy>(
        &mut self,
        attrs: &Attrs,
        name: &str,
        options: &[(&str, T)],
    ) -> Option<Setting<T>> {
        let a = attrs.get(name)?;
        let words: Vec<&str> = options.iter().map(|(w, _)| *w).collect();
        let word = match &a.value.kind {
            ValueKind::Ident(s) => s.as_str(),
            ValueKind::Bool(false) if words.contains(&"none") => "none",
            _ => {
                self.mismatch(a, &format!("one of {}", quote_list(&words)), words[0]);
                return None;
            }
        };
        if let Some((_, v)) = options.iter().find(|(w, _)| *w == word) {
            return Some(Setting::given(*v, a.value.span));
        }
        let help = match did_you_mean(word, words.iter().copied()) {
            Some(s) => format!(
                "did you mean `{s}`? `{name}` is one of {}",
                quote_list(&words)
            ),
            None => format!("`{name}` is one of {}", quote_list(&words)),
        };
        self.invalid(
            a.value.span,
            format!("`{word}` is not a valid `{name}`"),
            &help,
        );
        None
    }

    // ── Blocks ──────────────────────────────────────────────────────────

    fn datacenters(&mut self, decls: &[&ast::Declaration]) -> Vec<Datacenter> {
        let mut dcs = Vec::new();
        let mut given_total = 0.0;
        let mut unweighted = 0usize;
        let mut weight_spans = Vec::new();
        for d in decls {
            let attrs = self.attrs(d.attributes(), DATACENTER_ATTRS, "a datacenter");
            let region = self
                .string(&attrs, "region", "\"us-east-1\"")
                .map(|s| s.value);
            let weight = self.percent(&attrs, "weight", "60%");
            match &weight {
                Some(w) => {
                    given_total += w.value;
                    weight_spans.push(w.span.unwrap_or(d.name.span));
                }
                None => unweighted += 1,
            }
            dcs.push(Datacenter {
                name: d.name.name.clone(),
                span: d.span,
                name_span: d.name.span,
                region,
                weight: weight.unwrap_or(Setting::default(f64::NAN)),
                implicit: false,
            });
        }
        let any_given = !weight_spans.is_empty();
        let bad = if unweighted == 0 {
            any_given && (given_total - 1.0).abs() > 1e-6
        } else {
            given_total > 1.0 + 1e-6
        };
        if bad {
            let mut diag = Diagnostic::error(
                Code::WeightSum,
                weight_spans[weight_spans.len() - 1],
                format!(
                    "datacenter weights sum to {}%, not 100%",
                    fmt_num(given_total * 100.0)
                ),
            )
            .label("weights end here")
            .help("make the datacenter weights add up to 100%");
            for s in &weight_spans[..weight_spans.len() - 1] {
                diag = diag.related(*s, "weight");
            }
            self.push(diag);
        }
        // Datacenters without a weight share what is left equally.
        let rest = if unweighted > 0 {
            ((1.0 - given_total).max(0.0)) / unweighted as f64
        } else {
            0.0
        };
        for d in &mut dcs {
            if d.weight.value.is_nan() {
                d.weight = Setting::default(if any_given {
                    rest
                } else {
                    1.0 / decls.len() as f64
                });
            }
        }
        dcs
    }

    fn component(
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

    fn unknown_dc(&mut self, n: &str, span: Span, names: &Names) {
        let mut d = Diagnostic::error(
            Code::UnknownReference,
            span,
            format!("no datacenter named `{n}`"),
        )
        .label("unknown datacenter");
        d = match did_you_mean(n, names.dc_ids.keys().map(String::as_str)) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
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
    fn unknown_component(&mut self, n: &str, span: Span, names: &Names, kind: &str) {
        let mut d = Diagnostic::error(
            Code::UnknownReference,
            span,
            format!("no component named `{n}`"),
        )
        .label("unknown component");
        d = match did_you_mean(n, names.comp_ids.keys().map(String::as_str)) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
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

    fn wrong_kind(
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

    fn client_shares(&mut self, components: &mut [Component]) {
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

    fn traffic(&mut self, s: &ast::Singleton) -> Option<Traffic> {
        let attrs = self.attrs(&s.body.attributes, TRAFFIC_ATTRS, "`traffic`");
        let users = self.number(&attrs, "users", "10M");
        let per_user = self.rate(&attrs, "per_user", "40/day");
        let rate = self.rate(&attrs, "rate", "1000/s");
        let peak = self
            .multiplier(&attrs, "peak", "3x")
            .unwrap_or(Setting::default(1.0));
        if peak.value < 1.0 {
            self.invalid(
                peak.span.unwrap_or(s.keyword),
                "`peak` is below 1x".into(),
                "peak is the peak rate over the average rate: 1x or more",
            );
        }
        let reads = self
            .percent(&attrs, "reads", "90%")
            .unwrap_or(Setting::default(1.0));
        let static_share = self
            .percent(&attrs, "static", "50%")
            .unwrap_or(Setting::default(0.0));
        let payload = self.size(&attrs, "payload", "20KB");
        let write_size = self
            .size(&attrs, "write_size", "1KB")
            .unwrap_or(Setting::default(1000.0));
        let retention = self.duration(&attrs, "retention", "5y");
        // A rate attribute that is present but malformed was reported
        // already; do not also call it missing.
        let malformed = ["users", "per_user", "rate"]
            .iter()
            .any(|n| attrs.get(n).is_some())
            && users.is_none() as u8 + per_user.is_none() as u8 + rate.is_none() as u8
                > ["users", "per_user", "rate"]
                    .iter()
                    .filter(|n| attrs.get(n).is_none())
                    .count() as u8;
        if malformed {
            return None;
        }
        let total = match (&users, &per_user, &rate) {
            (_, _, Some(r)) if users.is_some() || per_user.is_some() => {
                let other = attrs
                    .get("users")
                    .or(attrs.get("per_user"))
                    .map_or(s.keyword, |a| a.name.span);
                self.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        r.span.unwrap_or(s.keyword),
                        "`rate` together with `users`/`per_user`",
                    )
                    .label("rate here")
                    .related(other, "users given here")
                    .help("give either `rate`, or `users` with `per_user`"),
                );
                return None;
            }
            (_, _, Some(r)) => r.value,
            (Some(u), Some(p), None) => u.value * p.value,
            (Some(_), None, None) | (None, Some(_), None) => {
                let (have, missing) = if users.is_some() {
                    ("users", "per_user")
                } else {
                    ("per_user", "users")
                };
                let at = attrs.get(have).map_or(s.keyword, |a| a.name.span);
                self.push(
                    Diagnostic::error(
                        Code::MissingAttribute,
                        at,
                        format!("`traffic` has `{have}` but no `{missing}`"),
                    )
                    .label(format!("`{have}` without `{missing}`"))
                    .help(format!(
                        "add `{missing}`, or give the whole system's `rate` instead"
                    )),
                );
                return None;
            }
            (None, None, None) => {
                if attrs.map.is_empty() || !s.body.attributes.is_empty() {
                    self.push(
                        Diagnostic::error(
                            Code::MissingAttribute,
                            s.keyword,
                            "`traffic` gives no request rate",
                        )
                        .label("no `rate` or `users`")
                        .help("add `rate = 1000/s`, or `users = 1M` with `per_user = 20/day`"),
                    );
                }
                return None;
            }
        };
        Some(Traffic {
            rate: total,
            users: users.map(|u| u.value),
            per_user: per_user.map(|p| p.value),
            peak,
            reads,
            static_share,
            payload,
            write_size,
            retention,
            span: s.keyword,
        })
    }

    fn slo(&mut self, s: &ast::Singleton) -> Slo {
        let attrs = self.attrs(&s.body.attributes, SLO_ATTRS, "`slo`");
        Slo {
            latency_p99: self.duration(&attrs, "latency_p99", "250ms"),
            latency_mean: self.duration(&attrs, "latency_mean", "100ms"),
            availability: self.percent(&attrs, "availability", "99.95%"),
            error_rate: self.percent(&attrs, "error_rate", "0.1%"),
            span: Some(s.keyword),
        }
    }

    fn monitoring(&mut self, s: &ast::Singleton) -> Monitoring {
        let attrs = self.attrs(&s.body.attributes, MONITORING_ATTRS, "`monitoring`");
        Monitoring {
            logs: self.word(&attrs, "logs", "loki").map(|s| s.value),
            metrics: self.word(&attrs, "metrics", "prometheus").map(|s| s.value),
            tracing: self.word(&attrs, "tracing", "jaeger").map(|s| s.value),
            alerts: self.boolean(&attrs, "alerts").is_some_and(|b| b.value),
            span: s.keyword,
        }
    }

    fn assumptions(&mut self, s: Option<&ast::Singleton>, options: &BuildOptions) -> Assumptions {
        let mut out = Assumptions::default();
        // Project-file defaults first; the design's own block overrides them.
        for (name, value) in &options.assumptions {
            let v = Setting::default(*value);
            match name.as_str() {
                "target_utilization" => out.target_utilization = v,
                "instance_availability" => out.instance_availability = v,
                "hop_latency" => out.hop_latency = v,
                "cross_dc_latency" => out.cross_dc_latency = v,
                "hotspot_factor" => out.hotspot_factor = v,
                _ => {}
            }
        }
        let Some(s) = s else { return out };
        let attrs = self.attrs(&s.body.attributes, ASSUMPTION_ATTRS, "`assumptions`");
        if let Some(v) = self.percent(&attrs, "target_utilization", "70%") {
            if v.value <= 0.0 {
                self.invalid(
                    v.span.unwrap_or(s.keyword),
                    "`target_utilization` is 0%".into(),
                    "give a target above 0%, such as 70%",
                );
            } else {
                out.target_utilization = v;
            }
        }
        if let Some(v) = self.percent(&attrs, "instance_availability", "99.9%") {
            out.instance_availability = v;
        }
        if let Some(v) = self.duration(&attrs, "hop_latency", "0.5ms") {
            out.hop_latency = v;
        }
        if let Some(v) = self.duration(&attrs, "cross_dc_latency", "60ms") {
            out.cross_dc_latency = v;
        }
        if let Some(v) = self.multiplier(&attrs, "hotspot_factor", "2x") {
            out.hotspot_factor = v;
        }
        out
    }

    // ── Flows ───────────────────────────────────────────────────────────

    fn flows(
        &mut self,
        flows: &[&ast::Flow],
        names: &Names,
        components: &[Component],
    ) -> Vec<FlowEdge> {
        let mut edges = Vec::new();
        for (statement, f) in flows.iter().enumerate() {
            // Labels.
            let mut classes = Classes::NONE;
            let mut share: Option<(f64, Span)> = None;
            let mut labels_ok = true;
            for l in &f.labels {
                match l {
                    ast::FlowLabel::Class(id) => match id.name.as_str() {
                        "static" => classes = classes.with(Class::Static),
                        "read" => classes = classes.with(Class::Read),
                        "write" => classes = classes.with(Class::Write),
                        other => {
                            labels_ok = false;
                            let mut d = Diagnostic::error(
                                Code::InvalidLabel,
                                id.span,
                                format!("`{other}` is not a request class"),
                            )
                            .label("not a class");
                            d = match did_you_mean(other, ["static", "read", "write"]) {
                                Some(s) => d.help(format!("did you mean `{s}`? the classes are `static`, `read` and `write`")),
                                None => d.help("label flows with `static`, `read`, `write`, and optionally a share such as `10%`"),
                            };
                            self.push(d);
                        }
                    },
                    ast::FlowLabel::Share(v, sp) => {
                        if let Some((_, first)) = share {
                            labels_ok = false;
                            self.push(
                                Diagnostic::error(
                                    Code::InvalidLabel,
                                    *sp,
                                    "a flow carries at most one share",
                                )
                                .label("second share")
                                .related(first, "first share")
                                .help("keep one share per flow statement"),
                            );
                        } else if *v > 1.0 + 1e-12 {
                            labels_ok = false;
                            self.push(
                                Diagnostic::error(Code::FlowShare, *sp, format!("a share of {}%, above 100%", fmt_num(v * 100.0)))
                                    .label("above 100%")
                                    .help("a share is the fraction of matching requests that take the edge: at most 100%"),
                            );
                        } else {
                            share = Some((*v, *sp));
                        }
                    }
                    ast::FlowLabel::BadShare(v) => {
                        labels_ok = false;
                        self.push(
                            Diagnostic::error(
                                Code::InvalidLabel,
                                v.span,
                                format!(
                                    "a flow share is a percentage, found {}",
                                    v.kind.describe()
                                ),
                            )
                            .label("not a percentage")
                            .help("write a share as a percentage: `[write 10%]`"),
                        );
                    }
                }
            }
            if classes.is_empty() {
                classes = Classes::ALL;
            }
            // Endpoints.
            let mut ids: Vec<Option<(ComponentId, Option<Role>)>> = Vec::new();
            for e in &f.endpoints {
                let Some(&id) = names.comp_ids.get(&e.component.name) else {
                    if names.dc_ids.contains_key(&e.component.name) {
                        self.push(
                            Diagnostic::error(
                                Code::WrongKind,
                                e.component.span,
                                format!("`{}` is a datacenter, not a component", e.component.name),
                            )
                            .label("a datacenter")
                            .help("flows join components; placement in datacenters follows from `datacenters`"),
                        );
                    } else {
                        self.unknown_component(
                            &e.component.name,
                            e.component.span,
                            names,
                            "service",
                        );
                    }
                    ids.push(None);
                    continue;
                };
                let role = match &e.role {
                    None => None,
                    Some(r) => {
                        let role = match r.name.as_str() {
                            "replicas" => Some(Role::Replicas),
                            "primary" => Some(Role::Primary),
                            other => {
                                let mut d = Diagnostic::error(
                                    Code::UnknownRole,
                                    r.span,
                                    format!("`{other}` is not a database role"),
                                )
                                .label("unknown role");
                                d = match did_you_mean(other, ["replicas", "primary"]) {
                                    Some(s) => d.help(format!("did you mean `{s}`?")),
                                    None => {
                                        d.help("address `.primary` or `.replicas` of a database")
                                    }
                                };
                                self.push(d);
                                None
                            }
                        };
                        if role.is_some() && names.kinds[id] != Kind::Database {
                            self.wrong_kind(
                                r.span,
                                &e.component.name,
                                names.kinds[id],
                                "only a `database` has roles to address",
                                names,
                                id,
                            );
                            ids.push(None);
                            continue;
                        }
                        role
                    }
                };
                ids.push(Some((id, role)));
            }
            if !labels_ok {
                continue;
            }
            for (i, pair) in f.endpoints.windows(2).enumerate() {
                let (Some((from, from_role)), Some((to, role))) = (ids[i], ids[i + 1]) else {
                    continue;
                };
                let span = pair[0].span.to(pair[1].span);
                let from_kind = components[from].kind;
                let to_kind = components[to].kind;
                if from_role.is_some() {
                    self.push(
                        Diagnostic::error(Code::SinkOutgoing, pair[0].span, "a database role cannot call onward")
                            .label("a database role as caller")
                            .help("a database answers everything it receives; end the chain at the database"),
                    );
                    continue;
                }
                if to_kind == Kind::Client {
                    self.push(
                        Diagnostic::error(
                            Code::ClientIncoming,
                            pair[1].span,
                            format!("client `{}` receives a flow", components[to].name),
                        )
                        .label("a client is only ever a caller")
                        .related(components[to].name_span, "client declared here")
                        .help(
                            "clients start requests; reverse the flow or call a component instead",
                        ),
                    );
                    continue;
                }
                if matches!(from_kind, Kind::Database | Kind::Storage | Kind::Queue) {
                    let why = if from_kind == Kind::Queue {
                        "a queue hands messages to the services that `consumes` it"
                    } else {
                        "a database or storage answers everything it receives"
                    };
                    self.push(
                        Diagnostic::error(
                            Code::SinkOutgoing,
                            span,
                            format!(
                                "{} `{}` cannot call `{}`",
                                from_kind.as_str(),
                                components[from].name,
                                components[to].name
                            ),
                        )
                        .label("outgoing flow from a terminal component")
                        .related(
                            components[from].name_span,
                            format!("{} declared here", from_kind.as_str()),
                        )
                        .help(if from_kind == Kind::Queue {
                            "remove the flow and set `consumes = QUEUE` on the consuming service"
                        } else {
                            "end the chain at the data store; let the caller make any further call"
                        })
                        .note(why),
                    );
                    continue;
                }
                edges.push(FlowEdge {
                    from,
                    to,
                    role,
                    classes,
                    share: if i == 0 { share.map(|s| s.0) } else { None },
                    span,
                    statement_span: f.span,
                    statement,
                });
            }
        }
        edges
    }

    /// Shared edges of one caller matching one class are alternatives: their
    /// shares must sum to at most 100% (§6).
    fn check_shares(&mut self, edges: &[FlowEdge], components: &[Component]) {
        let mut by_caller: BTreeMap<ComponentId, Vec<&FlowEdge>> = BTreeMap::new();
        for e in edges.iter().filter(|e| e.share.is_some()) {
            by_caller.entry(e.from).or_default().push(e);
        }
        for (caller, shared) in by_caller {
            for class in Class::ALL {
                let matching: Vec<&&FlowEdge> = shared
                    .iter()
                    .filter(|e| e.classes.contains(class))
                    .collect();
                let total: f64 = matching.iter().filter_map(|e| e.share).sum();
                if total > 1.0 + 1e-9 && matching.len() > 1 {
                    let last = matching[matching.len() - 1];
                    let mut d = Diagnostic::error(
                        Code::FlowShare,
                        last.span,
                        format!(
                            "`{}` sends {}% of its {} requests over shared edges, above 100%",
                            components[caller].name,
                            fmt_num(total * 100.0),
                            class.as_str()
                        ),
                    )
                    .label("shares pass 100% here")
                    .help(
                        "shared edges are alternatives: lower their shares to sum to at most 100%",
                    );
                    for e in &matching[..matching.len() - 1] {
                        d = d.related(
                            e.span,
                            format!("{}%", fmt_num(e.share.unwrap_or(0.0) * 100.0)),
                        );
                    }
                    self.push(d);
                    // One report per caller is enough.
                    break;
                }
            }
        }
    }

    /// Synchronous calls must not loop. Strongly connected components find every cycle in one
    /// pass; each is shown by its edges.
    fn check_cycles(&mut self, edges: &[FlowEdge], components: &[Component]) {
        use petgraph::graph::DiGraph;
        let mut g: DiGraph<(), usize> = DiGraph::with_capacity(components.len(), edges.len());
        for _ in components {
            g.add_node(());
        }
        for (i, e) in edges.iter().enumerate() {
            g.add_edge(NodeIndex::new(e.from), NodeIndex::new(e.to), i);
        }
        // Kosaraju rather than Tarjan: petgraph's Tarjan recurses once per
        // node of a path and overflows the stack on a 20,000-hop chain.
        for scc in petgraph::algo::kosaraju_scc(&g) {
            let self_loop = scc.len() == 1 && g.find_edge(scc[0], scc[0]).is_some();
            if scc.len() < 2 && !self_loop {
                continue;
            }
            let members: HashSet<NodeIndex> = scc.iter().copied().collect();
            // Walk a cycle from the member first written in source.
            let start = scc
                .iter()
                .copied()
                .min_by_key(|n| components[n.index()].span.start)
                .unwrap_or(scc[0]);
            let mut path_edges: Vec<usize> = Vec::new();
            let mut seen: HashMap<NodeIndex, usize> = HashMap::new();
            let mut cur = start;
            loop {
                if let Some(&pos) = seen.get(&cur) {
                    path_edges.drain(..pos);
                    break;
                }
                seen.insert(cur, path_edges.len());
                let next = g
                    .edges(cur)
                    .filter(|er| members.contains(&petgraph::visit::EdgeRef::target(er)))
                    .min_by_key(|er| edges[*er.weight()].span.start);
                let Some(er) = next else { break };
                path_edges.push(*er.weight());
                cur = petgraph::visit::EdgeRef::target(&er);
            }
            if path_edges.is_empty() {
                continue;
            }
            let names: Vec<&str> = path_edges
                .iter()
                .map(|i| components[edges[*i].from].name.as_str())
                .chain(std::iter::once(
                    components[edges[path_edges[0]].from].name.as_str(),
                ))
                .collect();
            let closing = path_edges
                .iter()
                .copied()
                .max_by_key(|i| edges[*i].span.start)
                .unwrap_or(path_edges[0]);
            let mut d = Diagnostic::error(
                Code::FlowCycle,
                edges[closing].span,
                format!("synchronous calls form a cycle: {}", names.join(" -> ")),
            )
            .label("this call closes the cycle")
            .help("break the cycle: make one call asynchronous through a `queue`, or remove it");
            for i in path_edges.iter().filter(|i| **i != closing) {
                d = d.related(edges[*i].span, "part of the cycle");
            }
            self.push(d);
        }
    }

    // ── Scenarios ───────────────────────────────────────────────────────

    fn scenario(
        &mut self,
        s: &ast::Scenario,
        model: &Model,
        dc_ids: &HashMap<String, DcId>,
    ) -> Scenario {
        let attrs = self.attrs(&s.attributes, &["duration"], "a scenario");
        let duration = self.duration(&attrs, "duration", "5m").map(|d| d.value);
        let mut events = Vec::new();
        for e in &s.events {
            let Some(at) = self.time_value(&e.at, "`at`") else {
                continue;
            };
            if let Some(d) = duration
                && at > d
            {
                self.push(
                    Diagnostic::error(
                        Code::InvalidTime,
                        e.at.span,
                        format!(
                            "event at {} is after the scenario's end at {}",
                            fmt_secs(at),
                            fmt_secs(d)
                        ),
                    )
                    .label("after the end of the run")
                    .help("move the event inside the run, or lengthen `duration`"),
                );
                continue;
            }
            let action = match &e.action {
                ast::Action::Fail(t) => self
                    .target(t, model, dc_ids)
                    .map(|target| ScenarioAction::Fail { target }),
                ast::Action::Recover(t) => self
                    .target(t, model, dc_ids)
                    .map(|target| ScenarioAction::Recover { target }),
                ast::Action::Traffic(v) => match v.kind {
                    ValueKind::Quantity(ast::Quantity {
                        value,
                        unit: Unit::Multiplier,
                    }) => Some(ScenarioAction::Traffic { factor: value }),
                    ref other => {
                        self.push(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                v.span,
                                format!(
                                    "`traffic` expects a multiplier, found {}",
                                    other.describe()
                                ),
                            )
                            .label("not a multiplier")
                            .help("write `at 1m traffic 2x`"),
                        );
                        None
                    }
                },
            };
            if let Some(action) = action {
                events.push(ScenarioEvent {
                    at,
                    action,
                    span: e.span,
                });
            }
        }
        events.sort_by(|a, b| a.at.total_cmp(&b.at));
        let mut expectations = Vec::new();
        for x in &s.expectations {
            if let Some(e) = self.expectation(x, model, dc_ids, duration) {
                expectations.push(e);
            }
        }
        Scenario {
            name: s.name.name.clone(),
            span: s.span,
            duration,
            events,
            expectations,
        }
    }

    fn time_value(&mut self, v: &Value, what: &str) -> Option<f64> {
        match v.kind {
            ValueKind::Quantity(ast::Quantity {
                value,
                unit: Unit::Duration,
            }) => Some(value),
            ValueKind::Number { value: 0.0, .. } => Some(0.0),
            ref other => {
                self.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        v.span,
                        format!("{what} expects a time, found {}", other.describe()),
                    )
                    .label("not a duration")
                    .help("write a time from the start of the run, such as `1m` or `30s`"),
                );
                None
            }
        }
    }

    fn target(
        &mut self,
        t: &ast::Target,
        model: &Model,
        dc_ids: &HashMap<String, DcId>,
    ) -> Option<TargetRef> {
        let names = Names {
            comp_ids: &model.by_name,
            kinds: &[],
            dc_ids,
            decls: &[],
        };
        let count = match &t.count {
            None => None,
            Some(Value {
                kind:
                    ValueKind::Number {
                        value,
                        integer: true,
                    },
                ..
            }) if *value >= 1.0 => Some(*value as u32),
            Some(v) => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        v.span,
                        "an instance count is a whole number, 1 or more",
                    )
                    .label("not a count")
                    .help("write `2 of web@us-east`"),
                );
                return None;
            }
        };
        let dc = match &t.datacenter {
            None => None,
            Some(d) => match dc_ids.get(&d.name) {
                Some(id) => Some(*id),
                None => {
                    self.unknown_dc(&d.name, d.span, &names);
                    return None;
                }
            },
        };
        let name = &t.name.name;
        // A bare name may be a datacenter.
        if t.role.is_none()
            && t.datacenter.is_none()
            && count.is_none()
            && let Some(id) = dc_ids.get(name)
        {
            return Some(TargetRef::Datacenter { dc: *id });
        }
        let Some(comp) = model.component_id(name) else {
            let mut d = Diagnostic::error(
                Code::UnknownReference,
                t.name.span,
                format!("no component or datacenter named `{name}`"),
            )
            .label("unknown target");
            let candidates = model
                .by_name
                .keys()
                .map(String::as_str)
                .chain(dc_ids.keys().map(String::as_str));
            d = match did_you_mean(name, candidates) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("name a declared component or datacenter"),
            };
            self.push(d);
            return None;
        };
        let c = model.component(comp);
        // The copy in the named datacenter: global components have one.
        let copy_dc = if c.kind.is_global() {
            None
        } else {
            match dc {
                Some(d) => {
                    if !c.datacenters.value.contains(&d) {
                        self.push(
                            Diagnostic::error(
                                Code::UnknownReference,
                                t.span,
                                format!(
                                    "`{name}` is not placed in `{}`",
                                    model.datacenters[d].name
                                ),
                            )
                            .label("no such copy")
                            .related(c.name_span, format!("`{name}` declared here"))
                            .help("name a datacenter the component is placed in"),
                        );
                        return None;
                    }
                    Some(d)
                }
                None if !model.has_datacenters() => Some(0),
                None => None,
            }
        };
        if let Some(role) = &t.role {
            if role.name != "primary" {
                self.push(
                    Diagnostic::error(
                        Code::UnknownRole,
                        role.span,
                        format!("`{}` is not a failure target role", role.name),
                    )
                    .label("unknown role")
                    .help("fail a database's primary with `DB.primary@DC`"),
                );
                return None;
            }
            if c.kind != Kind::Database {
                self.push(
                    Diagnostic::error(
                        Code::WrongKind,
                        role.span,
                        format!(
                            "`{name}` is a `{}`; only a database has a primary",
                            c.kind.as_str()
                        ),
                    )
                    .label("not a database")
                    .related(c.name_span, format!("`{name}` declared here"))
                    .help(format!("fail the component itself: `fail {name}@DC`")),
                );
                return None;
            }
            return Some(TargetRef::Primary {
                component: comp,
                dc: copy_dc,
            });
        }
        if let Some(n) = count {
            return Some(TargetRef::Instances {
                count: n,
                component: comp,
                dc: copy_dc,
            });
        }
        if dc.is_some() || c.kind.is_global() || !model.has_datacenters() {
            Some(TargetRef::Copy {
                component: comp,
                dc: copy_dc,
            })
        } else {
            Some(TargetRef::Component { component: comp })
        }
    }

    fn expectation(
        &mut self,
        x: &ast::Expectation,
        model: &Model,
        dc_ids: &HashMap<String, DcId>,
        duration: Option<f64>,
    ) -> Option<Expectation> {
        let m = x.metric.name.as_str();
        let metric = match m {
            "p50" => Metric::P50,
            "p90" => Metric::P90,
            "p99" => Metric::P99,
            "p999" => Metric::P999,
            "mean" => Metric::Mean,
            "error_rate" => Metric::ErrorRate,
            "throughput" => Metric::Throughput,
            "utilization" => {
                let Some(t) = &x.argument else {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            x.metric.span,
                            "`utilization` needs a copy to measure",
                        )
                        .label("which copy?")
                        .help("write `utilization(web@us-east)`"),
                    );
                    return None;
                };
                let target = self.target(t, model, dc_ids)?;
                match target {
                    TargetRef::Copy { component, dc } => {
                        Metric::Utilization(Copy { component, dc })
                    }
                    _ => {
                        self.push(
                            Diagnostic::error(
                                Code::InvalidValue,
                                t.span,
                                "`utilization` measures one copy",
                            )
                            .label("not one copy")
                            .help("name the copy as `COMP@DC`"),
                        );
                        return None;
                    }
                }
            }
            _ => {
                let mut d = Diagnostic::error(
                    Code::UnknownMetric,
                    x.metric.span,
                    format!("unknown metric `{m}`"),
                )
                .label("not a metric");
                d = match did_you_mean(m, METRICS.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!("the metrics are {}", quote_list(METRICS))),
                };
                self.push(d);
                return None;
            }
        };
        let bound = match (metric, &x.value.kind) {
            (
                Metric::P50 | Metric::P90 | Metric::P99 | Metric::P999 | Metric::Mean,
                ValueKind::Quantity(q),
            ) if q.unit == Unit::Duration => q.value,
            (Metric::ErrorRate | Metric::Utilization(_), ValueKind::Quantity(q))
                if q.unit == Unit::Percent =>
            {
                q.value
            }
            (Metric::Throughput, ValueKind::Quantity(q)) if q.unit == Unit::Rate => q.value,
            (_, other) => {
                let expected = match metric {
                    Metric::ErrorRate | Metric::Utilization(_) => "a percentage",
                    Metric::Throughput => "a rate",
                    _ => "a duration",
                };
                self.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        x.value.span,
                        format!(
                            "`{m}` is compared with {expected}, found {}",
                            other.describe()
                        ),
                    )
                    .label(format!("expected {expected}"))
                    .help(format!("write `expect {m} < …` with {expected}")),
                );
                return None;
            }
        };
        let during = match &x.during {
            None => None,
            Some((lo, hi)) => {
                let (Some(a), Some(b)) = (
                    self.time_value(lo, "`during`"),
                    self.time_value(hi, "`during`"),
                ) else {
                    return None;
                };
                if a >= b {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidTime,
                            lo.span.to(hi.span),
                            format!(
                                "the window {}..{} is empty or backwards",
                                fmt_secs(a),
                                fmt_secs(b)
                            ),
                        )
                        .label("empty window")
                        .help("write the earlier time first: `during 1m..2m`"),
                    );
                    return None;
                }
                if let Some(d) = duration
                    && a >= d
                {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidTime,
                            lo.span.to(hi.span),
                            format!("the window starts after the run ends at {}", fmt_secs(d)),
                        )
                        .label("outside the run")
                        .help("move the window inside the run, or lengthen `duration`"),
                    );
                    return None;
                }
                Some((a, b))
            }
        };
        Some(Expectation {
            text: expectation_text(x, metric, model),
            metric,
            op: x.op.into(),
            bound,
            during,
            span: x.span,
        })
    }
}

/// Names visible to references, collected before attributes are read.
struct Names<'a> {
    comp_ids: &'a HashMap<String, ComponentId>,
    kinds: &'a [Kind],
    dc_ids: &'a HashMap<String, DcId>,
    decls: &'a [(&'a ast::Declaration, Kind)],
}

fn expectation_text(x: &ast::Expectation, metric: Metric, model: &Model) -> String {
    let m = match metric {
        Metric::Utilization(c) => format!("utilization({})", model.copy_name(c)),
        _ => x.metric.name.clone(),
    };
    let mut s = format!(
        "{m} {} {}",
        Comparison::from(x.op).as_str(),
        value_text(&x.value)
    );
    if let Some((a, b)) = &x.during {
        s.push_str(&format!(" during {}..{}", value_text(a), value_text(b)));
    }
    s
}

fn value_text(v: &Value) -> String {
    match &v.kind {
        ValueKind::Quantity(q) => match q.unit {
            Unit::Duration => fmt_secs(q.value),
            Unit::Percent => format!("{}%", fmt_num(q.value * 100.0)),
            Unit::Rate => format!("{}/s", fmt_num(q.value)),
            Unit::Multiplier => format!("{}x", fmt_num(q.value)),
            Unit::Size => format!("{}B", fmt_num(q.value)),
        },
        ValueKind::Number { value, .. } => fmt_num(*value),
        other => other.describe(),
    }
}

/// A number without trailing zeros: 60, 0.5, 99.95.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Seconds in the unit a person would write: 250ms, 30s, 2m, 1h.
pub fn fmt_secs(s: f64) -> String {
    if s == 0.0 {
        "0s".into()
    } else if s < 1e-3 {
        format!("{}us", fmt_num(s * 1e6))
    } else if s < 1.0 {
        format!("{}ms", fmt_num(s * 1e3))
    } else if s < 60.0 || (s % 60.0 != 0.0 && s < 3600.0) {
        format!("{}s", fmt_num(s))
    } else if s < 3600.0 || s % 3600.0 != 0.0 {
        format!("{}m", fmt_num(s / 60.0))
    } else if s < 86_400.0 || s % 86_400.0 != 0.0 {
        format!("{}h", fmt_num(s / 3600.0))
    } else {
        format!("{}d", fmt_num(s / 86_400.0))
    }
}

fn quote_list(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

/// Creates the copy graph (§5, §6): a node per placed copy, then an edge per
/// flow edge and placement, and consumer edges from queues.
fn place(model: &mut Model) {
    let mut graph = petgraph::graph::DiGraph::new();
    let mut copies = BTreeMap::new();
    for (id, c) in model.components.iter().enumerate() {
        if c.kind.is_global() {
            copies.insert(
                (id, None),
                graph.add_node(Copy {
                    component: id,
                    dc: None,
                }),
            );
        } else {
            for &dc in &c.datacenters.value {
                copies.insert(
                    (id, Some(dc)),
                    graph.add_node(Copy {
                        component: id,
                        dc: Some(dc),
                    }),
                );
            }
        }
    }
    let targets =
        |model: &Model, from_dc: Option<DcId>, to: ComponentId| -> Vec<(Option<DcId>, f64, bool)> {
            let callee = &model.components[to];
            if callee.kind.is_global() {
                return vec![(None, 1.0, false)];
            }
            let placed = &callee.datacenters.value;
            if let Some(dc) = from_dc
                && placed.contains(&dc)
            {
                return vec![(Some(dc), 1.0, false)];
            }
            let weights = model.weights_over(placed);
            placed
                .iter()
                .zip(weights)
                .map(|(d, w)| (Some(*d), w, from_dc.is_some()))
                .collect()
        };
    for (fid, f) in model.flows.iter().enumerate() {
        let from_copies: Vec<(Option<DcId>, NodeIndex)> = copies
            .range((f.from, None)..=(f.from, Some(usize::MAX)))
            .map(|((_, d), n)| (*d, *n))
            .collect();
        for (dc, from_node) in from_copies {
            for (to_dc, fraction, cross) in targets(model, dc, f.to) {
                if let Some(&to_node) = copies.get(&(f.to, to_dc)) {
                    graph.add_edge(
                        from_node,
                        to_node,
                        CopyEdge {
                            kind: CopyEdgeKind::Call(fid),
                            fraction,
                            cross_dc: cross,
                        },
                    );
                }
            }
        }
    }
    // A queue copy's messages go to the consumer copy in its datacenter, or
    // across to every consumer copy when its datacenter has none; consumer
    // copies in datacenters without a queue copy pull from every queue copy.
    // Messages are shared among the copies pulling from a queue copy in
    // proportion to their datacenters' weights.
    for (id, c) in model.components.iter().enumerate() {
        let Some(q) = c
            .service()
            .and_then(|s| s.consumes.as_ref())
            .map(|q| q.value)
        else {
            continue;
        };
        let queue_placed: Vec<Option<DcId>> = copies
            .range((q, None)..=(q, Some(usize::MAX)))
            .map(|((_, d), _)| *d)
            .collect();
        let consumer_copies: Vec<(Option<DcId>, NodeIndex)> = copies
            .range((id, None)..=(id, Some(usize::MAX)))
            .map(|((_, d), n)| (*d, *n))
            .collect();
        for &qdc in &queue_placed {
            let Some(&qnode) = copies.get(&(q, qdc)) else {
                continue;
            };
            let pulling: Vec<(Option<DcId>, NodeIndex)> = consumer_copies
                .iter()
                .copied()
                .filter(|(cdc, _)| {
                    *cdc == qdc
                        || qdc.is_none()
                        || cdc.is_none()
                        // No copy of the consumer here: every copy takes a part.
                        || !consumer_copies.iter().any(|(d, _)| *d == qdc)
                        // This consumer copy has no queue copy of its own.
                        || !queue_placed.contains(cdc)
                })
                .collect();
            let dcs: Vec<DcId> = pulling.iter().filter_map(|(d, _)| *d).collect();
            let weights = if dcs.len() == pulling.len() && !dcs.is_empty() {
                model.weights_over(&dcs)
            } else {
                vec![1.0 / pulling.len().max(1) as f64; pulling.len()]
            };
            for ((cdc, cnode), w) in pulling.into_iter().zip(weights) {
                let cross = qdc.is_some() && cdc.is_some() && cdc != qdc;
                graph.add_edge(
                    qnode,
                    cnode,
                    CopyEdge {
                        kind: CopyEdgeKind::Consume,
                        fraction: w,
                        cross_dc: cross,
                    },
                );
            }
        }
    }
    model.graph = graph;
    model.copies = copies;
    model.index_graph();
}

/// Every client, split by share; without clients, every component no flow
/// reaches (and that consumes no queue), split equally.
fn entries(model: &Model) -> Vec<(ComponentId, f64)> {
    let clients: Vec<(ComponentId, f64)> = model
        .components
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.client().map(|s| (i, s.share.value)))
        .collect();
    if !clients.is_empty() {
        return clients;
    }
    let mut reached = vec![false; model.components.len()];
    for f in &model.flows {
        reached[f.to] = true;
    }
    for (i, c) in model.components.iter().enumerate() {
        if c.service().is_some_and(|s| s.consumes.is_some()) {
            reached[i] = true;
        }
    }
    let roots: Vec<ComponentId> = (0..model.components.len())
        .filter(|i| !reached[*i])
        .collect();
    let n = roots.len().max(1) as f64;
    roots.into_iter().map(|i| (i, 1.0 / n)).collect()
}
