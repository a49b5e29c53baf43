//! The model as plain JSON, for `archc dump` and model tests.

use super::*;
use serde_json::{Value, json};

pub fn to_json(model: &Model) -> String {
    serde_json::to_string_pretty(&to_value(model)).unwrap_or_default()
}

pub fn to_value(model: &Model) -> Value {
    let components: Vec<Value> = model
        .components
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                let dcs: Vec<&str> = c
                    .datacenters
                    .value
                    .iter()
                    .map(|d| model.datacenters[*d].name.as_str())
                    .collect();
                m.insert("datacenters".into(), json!(dcs));
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
        })
        .collect();
    let nodes: Vec<Value> = model
        .graph
        .node_indices()
        .map(|n| {
            let copy = model.graph[n];
            json!({
                "id": model.copy_name(copy),
                "component": model.components[copy.component].name,
                "datacenter": model.dc_name(copy.dc),
                "kind": model.components[copy.component].kind,
            })
        })
        .collect();
    let edges: Vec<Value> = model
        .graph
        .edge_indices()
        .filter_map(|e| {
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
        })
        .collect();
    let entries: Vec<Value> = model
        .entries
        .iter()
        .map(|(c, share)| json!({ "component": model.components[*c].name, "share": share }))
        .collect();
    json!({
        "version": "0.1",
        "system": model.system,
        "traffic": model.traffic,
        "slo": model.slo,
        "monitoring": model.monitoring,
        "assumptions": model.assumptions,
        "datacenters": model.datacenters,
        "components": components,
        "flows": model.flows.iter().map(|f| json!({
            "from": model.components[f.from].name,
            "to": model.components[f.to].name,
            "role": f.role,
            "classes": f.classes,
            "share": f.share,
        })).collect::<Vec<_>>(),
        "nodes": nodes,
        "edges": edges,
        "entries": entries,
        "scenarios": model.scenarios,
    })
}
