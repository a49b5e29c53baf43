//! Helpers shared by the `backends_*` tests: build an example for a target
//! through the library, and read the generated files back.
#![allow(dead_code)]

use archc::backends::{self, Options, OutputFile, Target};
use archc::estimate::shards::PlacementCache;
use std::path::{Path, PathBuf};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every example design, sorted.
pub fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "arch"))
        .collect();
    v.sort();
    v
}

/// A design beyond the examples that uses the engines they lack (mysql,
/// dynamodb, memcached, kafka, nats, sqs, distributed minio), a
/// cdn in front of a balancer, sticky ip-hash balancing and datacenters on
/// two continents.
pub fn kitchen_sink() -> PathBuf {
    root().join("tests/backends_common/kitchen.arch")
}

/// A design using every engine the kitchen sink lacks: mongodb,
/// cassandra, opensearch (and its alias elasticsearch, sharded), the
/// managed-only redshift, memcached and kafka.
pub fn engines_design() -> PathBuf {
    root().join("tests/backends_common/engines.arch")
}

/// The examples, the kitchen sink and the engines design.
pub fn designs() -> Vec<PathBuf> {
    let mut v = examples();
    v.push(kitchen_sink());
    v.push(engines_design());
    v
}

pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Compiles `source` and builds `target`, or returns the build errors as
/// text. Panics on a compile error: callers pass valid designs.
pub fn build_source(
    source: &str,
    name: &str,
    target: Target,
    datacenter: Option<&str>,
) -> Result<Vec<OutputFile>, String> {
    // As the CLI does: a design without a `system` line is named after
    // its file.
    let default_name = Path::new(name)
        .file_stem()
        .map_or("design".to_string(), |s| s.to_string_lossy().into_owned());
    let compiled = archc::compile(
        source,
        &archc::BuildOptions {
            default_name,
            ..Default::default()
        },
    );
    let model = compiled.model.unwrap_or_else(|| {
        panic!(
            "{name} does not compile: {:?}\n{source}",
            compiled.diagnostics
        )
    });
    let est = archc::estimate(&model, &mut PlacementCache::default());
    let options = Options {
        source: name.to_string(),
        datacenter: datacenter.map(String::from),
        overrides: Default::default(),
    };
    backends::build(&model, &est, target, &options).map_err(|errors| {
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// The files of one example for one target.
pub fn build_example(path: &Path, target: Target) -> Vec<OutputFile> {
    let source = std::fs::read_to_string(path).expect("read example");
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned();
    build_source(&source, &name, target, None)
        .unwrap_or_else(|e| panic!("{name} does not build for {target:?}: {e}"))
}

pub fn file<'a>(files: &'a [OutputFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| {
            panic!(
                "no {path} among {:?}",
                files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        })
        .contents
}

/// Parses YAML the way the tests require: serde-saphyr, which refuses
/// duplicate keys.
pub fn yaml(text: &str) -> serde_json::Value {
    serde_saphyr::from_str::<serde_json::Value>(text)
        .unwrap_or_else(|e| panic!("not valid YAML: {e}\n{text}"))
}
