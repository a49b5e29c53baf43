//! Diagrams of the model: DOT, Mermaid and a self-drawn SVG.
//!
//! One [`Diagram`] is built from the model, its estimate and the checker's
//! findings; the three formats only lay it out. Datacenters are clusters,
//! copies are nodes labelled with kind, instances and peak load, edges carry
//! their classes and shares. Single points of failure, overloaded copies and
//! hot shards are coloured from the findings, with a legend.

mod svg;

use crate::diagnostic::Diagnostic;
use crate::estimate::Estimate;
use crate::figures::{self, Style};
use crate::model::{Class, CopyEdgeKind, Kind, Model};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Why a node is highlighted; the worst wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    None,
    HotShard,
    Overloaded,
    Spof,
}

impl Mark {
    fn fill(self) -> &'static str {
        match self {
            Mark::None => "#ffffff",
            Mark::HotShard => "#fff3bf",
            Mark::Overloaded => "#ffd8a8",
            Mark::Spof => "#ffc9c9",
        }
    }

    fn stroke(self) -> &'static str {
        match self {
            Mark::None => "#495057",
            Mark::HotShard => "#f08c00",
            Mark::Overloaded => "#e8590c",
            Mark::Spof => "#c92a2a",
        }
    }

    fn legend(self) -> &'static str {
        match self {
            Mark::None => "",
            Mark::HotShard => "hot shard",
            Mark::Overloaded => "overloaded",
            Mark::Spof => "single point of failure",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Stable identifier (`web@us-east`).
    pub id: String,
    pub name: String,
    pub kind: Kind,
    /// Datacenter index, `None` for global components.
    pub cluster: Option<usize>,
    /// Second label line: instances and load.
    pub detail: String,
    pub mark: Mark,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub label: String,
    pub dashed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    pub title: String,
    pub clusters: Vec<String>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

impl Diagram {
    /// Builds the diagram, optionally for one datacenter's copies (and the
    /// global components).
    pub fn new(
        model: &Model,
        est: &Estimate,
        findings: &[Diagnostic],
        only_dc: Option<usize>,
    ) -> Diagram {
        let mut marks: BTreeMap<(String, Option<String>), Mark> = BTreeMap::new();
        for d in findings {
            let mark = match d.rule.as_str() {
                "spof" => Mark::Spof,
                "overload" | "dc-failover-capacity" => Mark::Overloaded,
                "hotspot-key" => Mark::HotShard,
                _ => continue,
            };
            let Some(c) = &d.component else { continue };
            let e = marks
                .entry((c.clone(), d.datacenter.clone()))
                .or_insert(Mark::None);
            *e = (*e).max(mark);
        }
        let clusters: Vec<String> = if model.has_datacenters() {
            model.datacenters.iter().map(|d| d.name.clone()).collect()
        } else {
            Vec::new()
        };
        let mut nodes = Vec::new();
        let mut index = BTreeMap::new();
        for n in model.graph.node_indices() {
            let copy = model.graph[n];
            if only_dc.is_some() && copy.dc.is_some() && copy.dc != only_dc {
                continue;
            }
            let comp = &model.components[copy.component];
            let ce = est.copy(n);
            let dc_name = model
                .dc_name(copy.dc)
                .filter(|_| model.has_datacenters())
                .map(String::from);
            let mark = marks
                .get(&(comp.name.clone(), dc_name.clone()))
                .copied()
                .max(marks.get(&(comp.name.clone(), None)).copied())
                .unwrap_or(Mark::None);
            let mut detail = String::new();
            if !comp.kind.is_global() {
                let _ = write!(detail, "×{}", ce.instances);
            }
            if est.has_traffic && ce.peak_rps > 0.0 {
                if !detail.is_empty() {
                    detail.push_str("  ");
                }
                detail.push_str(&figures::rate(ce.peak_rps, Style::Compact));
                if ce.capacity_rps.is_some() {
                    detail.push(' ');
                    detail.push_str(&figures::percent(ce.utilization, Style::Compact));
                }
            }
            index.insert(n, nodes.len());
            nodes.push(Node {
                id: model.copy_name(copy),
                name: comp.name.clone(),
                kind: comp.kind,
                cluster: copy.dc.filter(|_| model.has_datacenters()),
                detail,
                mark,
            });
        }
        let mut edges = Vec::new();
        let mut seen = BTreeSet::new();
        for e in model.graph.edge_indices() {
            let Some((a, b)) = model.graph.edge_endpoints(e) else {
                continue;
            };
            let (Some(&from), Some(&to)) = (index.get(&a), index.get(&b)) else {
                continue;
            };
            let w = model.graph[e];
            let (label, dashed) = match w.kind {
                CopyEdgeKind::Call(f) => {
                    let flow = &model.flows[f];
                    let mut label = if flow.classes == crate::model::Classes::ALL {
                        String::new()
                    } else {
                        flow.classes
                            .iter()
                            .map(Class::as_str)
                            .collect::<Vec<_>>()
                            .join(",")
                    };
                    if let Some(s) = flow.share {
                        if !label.is_empty() {
                            label.push(' ');
                        }
                        label.push_str(&figures::percent(s, Style::Written));
                    }
                    // The §13 words as the source writes them.
                    let calls = (flow.calls > 1).then(|| format!("x{}", flow.calls));
                    let scatter = flow.all_shards.then(|| "all-shards".to_string());
                    for word in [calls, scatter].into_iter().flatten() {
                        if !label.is_empty() {
                            label.push(' ');
                        }
                        label.push_str(&word);
                    }
                    (label, w.cross_dc)
                }
                CopyEdgeKind::Consume => ("consumes".to_string(), true),
            };
            if seen.insert((from, to, label.clone())) {
                edges.push(Edge {
                    from,
                    to,
                    label,
                    dashed,
                });
            }
        }
        Diagram {
            title: model.system.clone(),
            clusters,
            nodes,
            edges,
        }
    }

    /// Graphviz DOT.
    pub fn dot(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "digraph {} {{", dot_quote(&self.title));
        s.push_str("  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
        let node_line = |s: &mut String, n: &Node, indent: &str| {
            let label = if n.detail.is_empty() {
                format!("{}\\n{}", dot_escape(&n.name), n.kind.as_str())
            } else {
                format!(
                    "{}\\n{}  {}",
                    dot_escape(&n.name),
                    n.kind.as_str(),
                    dot_escape(&n.detail)
                )
            };
            let _ = writeln!(
                s,
                "{indent}{} [label=\"{label}\", fillcolor=\"{}\", color=\"{}\"];",
                dot_quote(&n.id),
                n.mark.fill(),
                n.mark.stroke()
            );
        };
        for n in self.nodes.iter().filter(|n| n.cluster.is_none()) {
            node_line(&mut s, n, "  ");
        }
        for (i, c) in self.clusters.iter().enumerate() {
            let members: Vec<&Node> = self.nodes.iter().filter(|n| n.cluster == Some(i)).collect();
            if members.is_empty() {
                continue;
            }
            let _ = writeln!(
                s,
                "  subgraph {} {{\n    label={};\n    style=dashed;",
                dot_quote(&format!("cluster_{i}")),
                dot_quote(c)
            );
            for n in members {
                node_line(&mut s, n, "    ");
            }
            s.push_str("  }\n");
        }
        for e in &self.edges {
            let style = if e.dashed { ", style=dashed" } else { "" };
            let _ = writeln!(
                s,
                "  {} -> {} [label=\"{}\"{style}];",
                dot_quote(&self.nodes[e.from].id),
                dot_quote(&self.nodes[e.to].id),
                dot_escape(&e.label)
            );
        }
        self.dot_legend(&mut s);
        s.push_str("}\n");
        s
    }

    fn used_marks(&self) -> Vec<Mark> {
        let set: BTreeSet<Mark> = self
            .nodes
            .iter()
            .map(|n| n.mark)
            .filter(|m| *m != Mark::None)
            .collect();
        set.into_iter().rev().collect()
    }

    fn dot_legend(&self, s: &mut String) {
        let marks = self.used_marks();
        if marks.is_empty() {
            return;
        }
        s.push_str("  subgraph cluster_legend {\n    label=\"legend\";\n    style=solid;\n");
        for m in marks {
            let _ = writeln!(
                s,
                "    {} [label=\"{}\", fillcolor=\"{}\", color=\"{}\"];",
                dot_quote(&format!("legend: {}", m.legend())),
                m.legend(),
                m.fill(),
                m.stroke()
            );
        }
        s.push_str("  }\n");
    }

    /// Mermaid flowchart.
    pub fn mermaid(&self) -> String {
        let mut s = String::from("flowchart LR\n");
        let id = |i: usize| format!("n{i}");
        let line = |s: &mut String, i: usize, n: &Node, indent: &str| {
            let detail = if n.detail.is_empty() {
                String::new()
            } else {
                format!("<br/>{}", mermaid_escape(&n.detail))
            };
            let _ = writeln!(
                s,
                "{indent}{}[\"{}<br/><i>{}</i>{detail}\"]",
                id(i),
                mermaid_escape(&n.name),
                n.kind.as_str()
            );
        };
        for (i, n) in self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.cluster.is_none())
        {
            line(&mut s, i, n, "  ");
        }
        for (c, name) in self.clusters.iter().enumerate() {
            let members: Vec<(usize, &Node)> = self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.cluster == Some(c))
                .collect();
            if members.is_empty() {
                continue;
            }
            let _ = writeln!(s, "  subgraph dc{c}[\"{}\"]", mermaid_escape(name));
            for (i, n) in members {
                line(&mut s, i, n, "    ");
            }
            s.push_str("  end\n");
        }
        for e in &self.edges {
            let arrow = if e.dashed { "-.->" } else { "-->" };
            if e.label.is_empty() {
                let _ = writeln!(s, "  {} {arrow} {}", id(e.from), id(e.to));
            } else {
                let _ = writeln!(
                    s,
                    "  {} {arrow}|\"{}\"| {}",
                    id(e.from),
                    mermaid_escape(&e.label),
                    id(e.to)
                );
            }
        }
        for m in self.used_marks() {
            let class = match m {
                Mark::Spof => "spof",
                Mark::Overloaded => "overloaded",
                _ => "hot",
            };
            let _ = writeln!(
                s,
                "  classDef {class} fill:{},stroke:{},stroke-width:2px",
                m.fill(),
                m.stroke()
            );
            let members: Vec<String> = self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.mark == m)
                .map(|(i, _)| id(i))
                .collect();
            let _ = writeln!(s, "  class {} {class}", members.join(","));
        }
        s
    }

    /// A standalone SVG drawn by archc's own layered layout.
    pub fn svg(&self) -> String {
        svg::render(self)
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn dot_quote(s: &str) -> String {
    format!("\"{}\"", dot_escape(s))
}

fn mermaid_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// XML text escaping for the SVG.
pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
