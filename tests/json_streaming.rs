//! `estimate --format json` and `dump` are written as they are produced
//! (field by field, arrays element by element) instead of as one
//! `serde_json::Value`. These tests hold the streamed bytes to the
//! `Value`-built document — whose objects print their keys in sorted order,
//! as the outputs always have — for every example and estimate fixture, so
//! streaming cannot reorder or drop a field.

use archc::estimate::report::{self, JsonReport, Source};
use archc::estimate::shards::PlacementCache;
use archc::model::dump::{self, Dump};
use std::path::{Path, PathBuf};

fn designs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v = Vec::new();
    for dir in ["examples", "tests/fixtures/estimate"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "arch") {
                v.push(path);
            }
        }
    }
    v.sort();
    assert!(v.len() > 10, "found the examples and fixtures");
    v
}

#[test]
fn streamed_estimate_and_dump_equal_the_value_documents() {
    for path in designs() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let compiled = archc::compile(&text, &archc::BuildOptions::default());
        let Some(model) = compiled.model else {
            continue;
        };
        let est = archc::estimate(&model, &mut PlacementCache::default());
        let sets = vec!["web.replicas=3".to_string()];
        let source = Source {
            name: "design.arch",
            sets: &sets,
        };

        let streamed = serde_json::to_string_pretty(&JsonReport::new(&model, &est, &source))
            .expect("serialises");
        let value =
            serde_json::to_string_pretty(&report::json(&model, &est, &source)).expect("serialises");
        // `report::json` goes through `to_value`, which re-sorts every
        // object; equal text means the streamed fields are in that order.
        assert_eq!(streamed, value, "{}: estimate", path.display());
        assert!(streamed.contains("\"components\": ["), "{}", path.display());

        let streamed = serde_json::to_string_pretty(&Dump(&model)).expect("serialises");
        let value = serde_json::to_string_pretty(&dump::to_value(&model)).expect("serialises");
        assert_eq!(streamed, value, "{}: dump", path.display());
        assert_eq!(dump::to_json(&model), value, "{}: to_json", path.display());
    }
}
