//! Lowering: AST to [`Model`], with every semantic check reported in one
//! pass. Names are collected first, so references anywhere may point
//! forward; then attributes are typed and defaulted, flows resolved and
//! checked (shares, cycles, direction), components placed, and scenarios
//! resolved.
//!
//! This module holds the driver ([`build`] and `Cx::build`, which runs the
//! passes in that order), the tables of attribute names each block accepts,
//! and the name resolver the passes share. Each pass lives in its own file
//! as an `impl Cx` block: [`attrs`] types attribute values, [`singletons`]
//! reads datacenters and the one-per-file blocks, [`components`] the
//! component declarations, [`flows`] the flow statements, [`place`] the copy
//! graph, and [`scenarios`] the scenario blocks.
//!
//! Architecture invariant: `Cx` only collects diagnostics; no pass stops at
//! the first error, and the model is handed out only when none was an error.

mod attrs;
mod components;
mod flows;
mod place;
mod scenarios;
mod singletons;

use attrs::Attrs;
use place::{entries, place};

use super::schema;
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

/// The attribute names a component of `kind` accepts: the schema's.
pub(crate) fn allowed_attributes(kind: Kind) -> Vec<&'static str> {
    schema::names(schema::Block::Component(kind))
}

/// Compiles a parsed file. The model is returned only when no error was
/// found; the diagnostics list everything found either way.
pub fn build(file: &ast::File, options: &BuildOptions) -> (Option<Model>, Vec<Diagnostic>) {
    let mut cx = Cx {
        diags: Vec::new(),
        applying: Vec::new(),
    };
    let model = cx.build(file, options);
    let has_error = cx
        .diags
        .iter()
        .any(|d| d.severity == crate::diagnostic::Severity::Error);
    (if has_error { None } else { Some(model) }, cx.diags)
}

struct Cx {
    diags: Vec<Diagnostic>,
    /// While a declaration is built: its attributes that came from a
    /// template (their span, where the template was applied, the
    /// declaration's name), so a problem found in such an attribute also
    /// points at the component that used the template.
    applying: Vec<(Span, Span, String)>,
}

/// Where a name was first defined, for duplicate reports.
enum Defined {
    Datacenter,
    Component,
}

impl Cx {
    fn push(&mut self, mut d: Diagnostic) {
        let at = d.primary.span;
        if let Some((_, used, name)) = self
            .applying
            .iter()
            .find(|(s, _, _)| s.start <= at.start && at.end <= s.end)
        {
            d = d.related(*used, format!("template applied to `{name}` here"));
        }
        self.diags.push(d);
    }

    /// Records the templated attributes of `d` for [`Cx::push`].
    fn applying(&mut self, d: &ast::Declaration) {
        self.applying.clear();
        for a in d.attributes() {
            if let Some(via) = &a.via {
                self.applying
                    .push((a.span, via.used_at, d.name.name.clone()));
            }
        }
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
                // Imports are resolved and templates applied before the
                // model sees the tree (`syntax::design`, `syntax::templates`).
                Item::Import(_) => {}
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
                            Some(s) => diag.suggest(s),
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
        self.applying.clear();
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
            .map(|(d, kind)| {
                self.applying(d);
                self.component(d, *kind, &resolver, datacenters.len())
            })
            .collect();
        self.applying.clear();
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
                zones: Setting::default(1),
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
            templates: Vec::new(),
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
}

/// Names visible to references, collected before attributes are read.
struct Names<'a> {
    comp_ids: &'a HashMap<String, ComponentId>,
    kinds: &'a [Kind],
    dc_ids: &'a HashMap<String, DcId>,
    decls: &'a [(&'a ast::Declaration, Kind)],
}

/// A number as the design writes it (60, 0.5, 99.95):
/// [`crate::figures::number`] in the `Written` style, named for the
/// model's messages.
pub(crate) fn fmt_num(v: f64) -> String {
    crate::figures::number(v, crate::figures::Style::Written)
}

/// Seconds as the design writes them (250ms, 30s, 2m, 1h):
/// [`crate::figures::duration`] in the `Written` style.
pub(crate) fn fmt_secs(s: f64) -> String {
    crate::figures::duration(s, crate::figures::Style::Written)
}

fn quote_list(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}
