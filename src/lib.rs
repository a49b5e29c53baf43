//! archc: a compiler and checker for `.arch` system-architecture designs.
//!
//! The pipeline runs one way: [`syntax`] (pest → typed AST with spans) →
//! [`model`] (petgraph, names resolved, datacenters placed) → analyses
//! ([`estimate`], rules) → outputs (diagnostics, backends, simulator,
//! diagrams). The library does no I/O: it takes source text and returns
//! values; the `archc` binary reads files, renders and picks exit codes.

pub mod backends;
pub mod codes;
pub mod diagnostic;
pub mod estimate;
pub mod figures;
pub mod fmt;
pub mod graph;
pub mod model;
pub mod render;
pub mod rules;
pub mod sim;
pub mod stream;
pub mod syntax;

pub use estimate::{Estimate, estimate};

use diagnostic::{Diagnostic, Severity, sort_diagnostics};
pub use model::{BuildOptions, Model};

/// The result of compiling one source: the model when there was no error,
/// and every diagnostic found, in output order.
#[derive(Debug)]
pub struct Compiled {
    pub model: Option<Model>,
    pub diagnostics: Vec<Diagnostic>,
    /// The model's estimate, when [`check`] computed one for its rules;
    /// callers that also draw or report reuse it instead of estimating again.
    pub estimate: Option<Estimate>,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Parses and builds the model of one source.
pub fn compile(source: &str, options: &BuildOptions) -> Compiled {
    let (file, diagnostics) = syntax::parse(source);
    build_parsed(file, diagnostics, options)
}

/// The text an override's diagnostics point into: one comment line per
/// `--set`, appended to the source. Comments change nothing in a design, and
/// a problem with an override is then shown on its own line, with the same
/// labels and help a problem in the file gets.
pub const OVERRIDE_PREFIX: &str = "# --set ";

/// Compiles `source` with `--set BLOCK.ATTR=VALUE` overrides applied to its
/// syntax tree (see [`syntax::overrides`]), so every override is type-checked
/// as if written in the file. Returns the text the diagnostics refer to: the
/// source with one `# --set …` comment line per override appended.
pub fn compile_with_overrides(
    source: &str,
    options: &BuildOptions,
    sets: &[String],
) -> (String, Compiled) {
    if sets.is_empty() {
        return (source.to_string(), compile(source, options));
    }
    let mut text = source.to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let mut parsed = Vec::new();
    let mut diagnostics = Vec::new();
    for set in sets {
        // A line break would end the comment early; the parser reports it.
        let one_line = set.replace(['\n', '\r'], " ");
        text.push_str(OVERRIDE_PREFIX);
        let base = text.len();
        text.push_str(&one_line);
        text.push('\n');
        match syntax::overrides::parse_override(set, base) {
            Ok(o) => parsed.push(o),
            Err(d) => diagnostics.push(d),
        }
    }
    let (mut file, more) = syntax::parse(&text);
    diagnostics.extend(more);
    if !diagnostics.iter().any(|d| d.severity == Severity::Error) {
        diagnostics.extend(syntax::overrides::apply_overrides(&mut file, &parsed));
    }
    let compiled = build_parsed(file, diagnostics, options);
    (text, compiled)
}

fn build_parsed(
    file: syntax::ast::File,
    mut diagnostics: Vec<Diagnostic>,
    options: &BuildOptions,
) -> Compiled {
    let failed = diagnostics.iter().any(|d| {
        matches!(
            d.code(),
            Some(
                codes::Code::Syntax | codes::Code::InvalidOverride | codes::Code::UnknownReference
            )
        )
    });
    let model = if failed {
        None
    } else {
        let (model, more) = model::build(&file, options);
        diagnostics.extend(more);
        if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            None
        } else {
            model
        }
    };
    sort_diagnostics(&mut diagnostics);
    Compiled {
        model,
        diagnostics,
        estimate: None,
    }
}

/// Compiles and lints one source: compile diagnostics, and when the model
/// builds, the findings of every rule under `config` (suppressions judged
/// as of `today`, `YYYY-MM-DD`).
pub fn check(
    source: &str,
    options: &BuildOptions,
    config: &rules::config::Config,
    today: &str,
) -> Compiled {
    let mut compiled = compile(source, options);
    if let Some(model) = &compiled.model {
        let est = estimate::estimate(model, &mut estimate::shards::PlacementCache::default());
        compiled
            .diagnostics
            .extend(rules::check(model, &est, config, today));
        sort_diagnostics(&mut compiled.diagnostics);
        compiled.estimate = Some(est);
    }
    compiled
}
