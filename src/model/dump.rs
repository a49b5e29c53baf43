//! The model as plain JSON, for `archc dump` and model tests.

use super::*;
use crate::stream::Lazy;
use serde_json::{Value, json};

pub fn to_json(model: &Model) -> String {
    serde_json::to_string_pretty(&Dump(model)).unwrap_or_default()
}

pub fn to_value(model: &Model) -> Value {
    serde_json::to_value(Dump(model)).unwrap_or(Value::Null)
}

/// `archc dump`'s document, serialised field by field: the arrays that
/// grow with the design are produced one element at a time while writing.
/// Fields are in alphabetical order, the order a [`Value`] object prints
/// in, so [`to_value`] and a streamed dump give the same bytes.
pub struct Dump<'a>(pub &'a Model);

impl serde::Serialize for Dump<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let model = self.0;
        let mut m = s.serialize_map(Some(13))?;
        m.serialize_entry("assumptions", &sorted(&model.assumptions))?;
        m.serialize_entry(
            "components",
            &Lazy(|| model.components.iter().map(|c| component(model, c))),
        )?;
        m.serialize_entry("datacenters", &sorted(&model.datacenters))?;
        m.serialize_entry(
            "edges",
            &Lazy(|| model.graph.edge_indices().filter_map(|e| edge(model, e))),
        )?;
        m.serialize_entry(
            "entries",
            &Lazy(|| {
                model.entries.iter().map(
                    |(c, share)| json!({ "component": model.components[*c].name, "share": share }),
                )
            }),
        )?;
        m.serialize_entry(
            "flows",
            &Lazy(|| {
                model.flows.iter().map(|f| {
                    let mut v = json!({
                        "from": model.components[f.from].name,
                        "to": model.components[f.to].name,
                        "role": f.role,
                        "classes": f.classes,
                        "share": f.share,
                    });
                    // The §13 labels appear only where written, so designs
                    // without them dump as before.
                    if f.calls != 1 {
                        v["calls"] = json!(f.calls);
                    }
                    if f.all_shards {
                        v["all_shards"] = json!(true);
                    }
                    v
                })
            }),
        )?;
        m.serialize_entry("monitoring", &sorted(&model.monitoring))?;
        m.serialize_entry(
            "nodes",
            &Lazy(|| {
                model.graph.node_indices().map(|n| {
                    let copy = model.graph[n];
                    json!({
                        "id": model.copy_name(copy),
                        "component": model.components[copy.component].name,
                        "datacenter": model.dc_name(copy.dc),
                        "kind": model.components[copy.component].kind,
                    })
                })
            }),
        )?;
        m.serialize_entry("scenarios", &sorted(&model.scenarios))?;
        m.serialize_entry("slo", &sorted(&model.slo))?;
        m.serialize_entry("system", &model.system)?;
        m.serialize_entry("traffic", &sorted(&model.traffic))?;
        m.serialize_entry("version", "0.1")?;
        m.end()
    }
}

/// A small part of the model as a [`Value`], so its object keys print
/// sorted like the rest of the document (a struct serialised directly
/// prints its fields in declaration order).
fn sorted<T: serde::Serialize>(part: &T) -> Value {
    serde_json::to_value(part).unwrap_or(Value::Null)
}

fn component(model: &Model, c: &Component) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        let dcs: Vec<&str> = c
            .datacenters
            .value
            .iter()
            .map(|d| model.datacenters[*d].name.as_str())
            .collect();
        m.insert("datacenters".into(), json!(dcs));
        m.insert("origins".into(), origins(c));
        m.insert(
            "defaulted".into(),
            json!({
                "capacity": c.capacity.is_default(),
                "latency": c.latency.is_default(),
                "replicas": c.replicas.is_default(),
                "availability": c.availability.is_default(),
            }),
        );
    }
    v
}

/// Where each attribute of the component's kind got its value
/// (LANGUAGE.md §11): `"own"` when written in the block, the template with
/// its file and line, or `"default"`.
fn origins(c: &Component) -> Value {
    let mut m = serde_json::Map::new();
    for name in super::build::allowed_attributes(c.kind) {
        let v = match c.templated.get(name) {
            Some(o) => json!({ "template": o.template, "file": o.file, "line": o.line }),
            None if c.attribute_spans.contains_key(name) => json!("own"),
            None => json!("default"),
        };
        m.insert(name.to_string(), v);
    }
    Value::Object(m)
}

fn edge(model: &Model, e: petgraph::graph::EdgeIndex) -> Option<Value> {
    let (a, b) = model.graph.edge_endpoints(e)?;
    let w = model.graph[e];
    let (kind, classes, share, role) = match w.kind {
        CopyEdgeKind::Call(f) => {
            let f = &model.flows[f];
            ("call", json!(f.classes), json!(f.share), json!(f.role))
        }
        CopyEdgeKind::Consume => ("consume", Value::Null, Value::Null, Value::Null),
    };
    Some(json!({
        "from": model.copy_name(model.graph[a]),
        "to": model.copy_name(model.graph[b]),
        "kind": kind,
        "classes": classes,
        "share": share,
        "role": role,
        "fraction": w.fraction,
        "cross_dc": w.cross_dc,
    }))
}
