//! Flow statements: each `a -> b -> c` chain becomes one `FlowEdge` per
//! hop, with its labels (classes, share) checked; then the shares out of
//! each caller and the absence of call cycles are checked over all edges.
//!
//! Invariant: an edge is produced only for a hop whose two ends resolved and
//! whose direction is allowed (no call into a client, none out of a data
//! store, queue or database role); edges keep statement order and carry
//! their statement's index.

use super::*;

impl Cx {
    pub(super) fn flows(
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
            let mut calls: Option<(u32, Span)> = None;
            let mut all_shards: Option<Span> = None;
            for l in &f.labels {
                match l {
                    ast::FlowLabel::Class(id) | ast::FlowLabel::Modifier(id) => {
                        let class = match id.name.as_str() {
                            "static" => Some(Class::Static),
                            "read" => Some(Class::Read),
                            "write" => Some(Class::Write),
                            _ => None,
                        };
                        match (class, l) {
                            (Some(c), ast::FlowLabel::Class(_)) => classes = classes.with(c),
                            (Some(_), _) => {
                                labels_ok = false;
                                self.push(
                                    Diagnostic::error(
                                        Code::InvalidLabel,
                                        id.span,
                                        format!(
                                            "the class `{}` follows another word without a comma",
                                            id.name
                                        ),
                                    )
                                    .label("a second class in one label")
                                    .help("separate classes with commas: `[read, write]`"),
                                );
                            }
                            (None, _) if id.name == "all-shards" => {
                                if let Some(first) = all_shards {
                                    labels_ok = false;
                                    self.push(
                                        Diagnostic::error(
                                            Code::InvalidLabel,
                                            id.span,
                                            "`all-shards` is written twice",
                                        )
                                        .label("second `all-shards`")
                                        .related(first, "first `all-shards`")
                                        .help("write `all-shards` once"),
                                    );
                                } else {
                                    all_shards = Some(id.span);
                                }
                            }
                            (None, _) => {
                                labels_ok = false;
                                let first = matches!(l, ast::FlowLabel::Class(_));
                                self.unknown_label(&id.name, id.span, first);
                            }
                        }
                    }
                    ast::FlowLabel::Calls(v, sp) => {
                        if let Some((_, first)) = calls {
                            labels_ok = false;
                            self.push(
                                Diagnostic::error(
                                    Code::InvalidLabel,
                                    *sp,
                                    "a flow carries at most one call count",
                                )
                                .label("second call count")
                                .related(first, "first call count")
                                .help("keep one call count per flow statement: `[write x10]`"),
                            );
                        } else if *v < 1.0 || v.fract() != 0.0 || *v > f64::from(u32::MAX) {
                            labels_ok = false;
                            let (found, help) = if *v < 0.0 {
                                (
                                    "a negative count".to_string(),
                                    "nothing in the language is negative: write a count of calls such as `x2`".to_string(),
                                )
                            } else if *v == 0.0 {
                                (
                                    "zero calls".to_string(),
                                    "remove the flow to make no call, or write `x1` or more"
                                        .to_string(),
                                )
                            } else if v.fract() != 0.0 {
                                let lo = v.floor().max(1.0);
                                (
                                    format!("{} calls", fmt_num(*v)),
                                    format!(
                                        "a request makes a whole number of calls: write `x{}` or `x{}`",
                                        fmt_num(lo),
                                        fmt_num(lo + 1.0)
                                    ),
                                )
                            } else {
                                (
                                    format!("{} calls", fmt_num(*v)),
                                    "write a smaller count".to_string(),
                                )
                            };
                            self.push(
                                Diagnostic::error(
                                    Code::InvalidLabel,
                                    *sp,
                                    format!("a call count is a whole number of at least 1, found {found}"),
                                )
                                .label("not a call count")
                                .help(help),
                            );
                        } else {
                            calls = Some((*v as u32, *sp));
                        }
                    }
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
                        if let ast::ValueKind::Quantity(q) = &v.kind
                            && q.unit == ast::Unit::Multiplier
                        {
                            let n = fmt_num(q.value);
                            self.push(
                                Diagnostic::error(
                                    Code::InvalidLabel,
                                    v.span,
                                    format!("`{n}x` is not a flow label: a call count is written `x{n}`"),
                                )
                                .label("a multiplier, not a label")
                                .help(format!(
                                    "write `x{n}` for {n} calls per request, or a share such as `10%` for a fraction of the requests"
                                )),
                            );
                            continue;
                        }
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
            if let Some(sp) = all_shards
                && classes != Classes::NONE.with(Class::Read)
            {
                labels_ok = false;
                let found = if classes.is_empty() {
                    "no class named, so every class that reaches the caller".to_string()
                } else {
                    let names: Vec<String> = classes
                        .iter()
                        .map(|c| format!("`{}`", c.as_str()))
                        .collect();
                    names.join(", ")
                };
                self.push(
                    Diagnostic::error(
                        Code::InvalidLabel,
                        sp,
                        format!("`all-shards` is a scatter-gather read, and this flow carries {found}"),
                    )
                    .label("reads only")
                    .help("label the flow `[read all-shards]`, and send writes on a flow of their own"),
                );
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
                                    Some(s) => d.suggest(s),
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
            // `all-shards` reaches every shard of the chain's last callee,
            // the only place a database can stand.
            if let (Some(sp), Some(Some((last, _)))) = (all_shards, ids.last()) {
                let comp = &components[*last];
                let shards = comp.database().map_or(1, |db| db.total_shards());
                if shards < 2 {
                    let what = if comp.kind == Kind::Database {
                        format!("database `{}` has one shard", comp.name)
                    } else {
                        format!(
                            "`{}` is a {}, not a sharded database",
                            comp.name,
                            comp.kind.as_str()
                        )
                    };
                    let endpoint = f.endpoints[f.endpoints.len() - 1].span;
                    self.push(
                        Diagnostic::error(
                            Code::AllShardsTarget,
                            sp,
                            format!(
                                "`all-shards` sends a read to every shard of the callee, and {what}"
                            ),
                        )
                        .label("scatter-gather")
                        .related(endpoint, "the callee")
                        .related(comp.name_span, "declared here")
                        .help(if comp.kind == Kind::Database {
                            "remove `all-shards`, or give the database `shards` above 1"
                        } else {
                            "remove `all-shards`, or end the flow at a sharded database"
                        }),
                    );
                    continue;
                }
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
                    calls: if i == 0 { calls.map_or(1, |c| c.0) } else { 1 },
                    all_shards: all_shards.is_some() && i + 2 == f.endpoints.len(),
                    span,
                    statement_span: f.span,
                    statement,
                });
            }
        }
        edges
    }

    /// A word in a flow's brackets that is no label. A label's first word
    /// is most often a misspelt class, and is named as one.
    fn unknown_label(&mut self, word: &str, span: Span, first: bool) {
        const CLASSES: [&str; 3] = ["static", "read", "write"];
        let calls = word
            .strip_prefix('x')
            .or_else(|| word.strip_suffix('x'))
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        let near_class = did_you_mean(word, CLASSES);
        let near_scatter = did_you_mean(word, ["all-shards"]);
        let d = if first && calls.is_none() && near_scatter.is_none() {
            let d = Diagnostic::error(
                Code::InvalidLabel,
                span,
                format!("`{word}` is not a request class"),
            )
            .label("not a class");
            match near_class {
                Some(s) => d
                    .help(format!(
                        "did you mean `{s}`? the classes are `static`, `read` and `write`"
                    ))
                    .suggestion(s),
                None => d.help(
                    "label flows with `static`, `read`, `write`, and optionally a share (`10%`), a call count (`x10`) or `all-shards`",
                ),
            }
        } else {
            let d = Diagnostic::error(
                Code::InvalidLabel,
                span,
                format!("`{word}` is not a flow label"),
            )
            .label("not a label");
            match (calls, near_scatter.or(near_class)) {
                (Some(n), _) => d.help(format!("a call count is `x` and a whole number: `x{n}`")),
                (None, Some(s)) => d.suggest(s),
                (None, None) => d.help(
                    "after a class a label takes a share (`10%`), a call count (`x10`) and `all-shards`",
                ),
            }
        };
        self.push(d);
    }

    /// Shared edges of one caller matching one class are alternatives: their
    /// shares must sum to at most 100% (§6).
    pub(super) fn check_shares(&mut self, edges: &[FlowEdge], components: &[Component]) {
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
    pub(super) fn check_cycles(&mut self, edges: &[FlowEdge], components: &[Component]) {
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
}
