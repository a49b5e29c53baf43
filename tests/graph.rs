#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! Diagrams: DOT parses with a DOT parser, SVG is well-formed XML with one
//! node element per copy and every component present, Mermaid is
//! snapshotted for every example.

use archc::graph::Diagram;
use std::collections::BTreeSet;

fn diagram(path: &str) -> (archc::Model, Diagram) {
    let src = std::fs::read_to_string(path).unwrap();
    let checked = archc::check(&src, &Default::default(), &Default::default(), "2026-11-20");
    let model = checked.model.unwrap();
    let est = archc::estimate(&model, &mut Default::default());
    let d = Diagram::new(&model, &est, &checked.diagnostics, None);
    (model, d)
}

fn examples() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".arch"))
        .collect();
    v.sort();
    v
}

#[test]
fn dot_parses_for_every_example() {
    for path in examples() {
        let (model, d) = diagram(&path);
        let dot = d.dot();
        let parsed = graphviz_rust::parse(&dot)
            .unwrap_or_else(|e| panic!("{path}: DOT does not parse: {e}\n{dot}"));
        let text = format!("{parsed:?}");
        for n in model.graph.node_indices() {
            let id = model.copy_name(model.graph[n]);
            assert!(
                text.contains(&format!("\"\\\"{id}\\\"\"")) || text.contains(&id),
                "{path}: node {id} missing"
            );
        }
        let arrows = dot.lines().filter(|l| l.contains(" -> ")).count();
        assert_eq!(
            arrows,
            d.edges.len(),
            "{path}: one DOT edge per diagram edge"
        );
    }
}

#[test]
fn svg_is_well_formed_with_one_element_per_copy() {
    for path in examples() {
        let (model, d) = diagram(&path);
        let svg = d.svg();
        let doc = roxmltree::Document::parse(&svg)
            .unwrap_or_else(|e| panic!("{path}: SVG is not XML: {e}"));
        let nodes: Vec<roxmltree::Node> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("node"))
            .collect();
        assert_eq!(
            nodes.len(),
            model.graph.node_count(),
            "{path}: one node element per copy"
        );
        let components: BTreeSet<&str> = nodes
            .iter()
            .filter_map(|n| n.attribute("data-component"))
            .collect();
        let expected: BTreeSet<&str> = model.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(components, expected, "{path}: every component drawn");
        let ids: BTreeSet<&str> = nodes.iter().filter_map(|n| n.attribute("id")).collect();
        assert_eq!(ids.len(), nodes.len(), "{path}: node ids are unique");
    }
}

#[test]
fn mermaid_snapshots() {
    for path in examples() {
        let (_, d) = diagram(&path);
        let name = std::path::Path::new(&path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        insta::assert_snapshot!(format!("mermaid_{name}"), d.mermaid());
    }
}

#[test]
fn names_with_markup_are_escaped() {
    let src = "system \"a<b & \\\"c\\\"\"\nclient users\nservice web\nusers -> web\n";
    let checked = archc::check(src, &Default::default(), &Default::default(), "2026-11-20");
    let model = checked.model.unwrap();
    let est = archc::estimate(&model, &mut Default::default());
    let d = Diagram::new(&model, &est, &checked.diagnostics, None);
    roxmltree::Document::parse(&d.svg()).unwrap();
    graphviz_rust::parse(&d.dot()).unwrap();
    assert!(d.mermaid().contains("flowchart LR"));
}

#[test]
fn one_datacenter_view_keeps_globals_and_that_datacenter() {
    let (model, _) = diagram("examples/09-sharded-db.arch");
    let checked = archc::check(
        &std::fs::read_to_string("examples/09-sharded-db.arch").unwrap(),
        &Default::default(),
        &Default::default(),
        "2026-11-20",
    );
    let est = archc::estimate(&model, &mut Default::default());
    let d = Diagram::new(&model, &est, &checked.diagnostics, Some(0));
    assert!(
        d.nodes
            .iter()
            .all(|n| n.cluster.is_none() || n.cluster == Some(0))
    );
    assert!(d.nodes.iter().any(|n| n.cluster.is_none()));
    assert!(d.nodes.iter().any(|n| n.cluster == Some(0)));
}

/// Edge labels carry a call count and `all-shards` as the source writes
/// them (LANGUAGE.md §13).
#[test]
fn edge_labels_show_call_counts_and_all_shards() {
    let src = "client u
service a
service b
database d { shards = 4  shard_key = k }
u -> a
a -> b [write x10]
a -> d [read 5% all-shards]
";
    let checked = archc::check(src, &Default::default(), &Default::default(), "2026-11-20");
    let model = checked.model.unwrap();
    let est = archc::estimate(&model, &mut Default::default());
    let d = Diagram::new(&model, &est, &checked.diagnostics, None);
    let labels: BTreeSet<&str> = d.edges.iter().map(|e| e.label.as_str()).collect();
    assert!(labels.contains("write x10"), "{labels:?}");
    assert!(labels.contains("read 5% all-shards"), "{labels:?}");
}
