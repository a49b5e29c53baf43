//! archc: a compiler and checker for `.arch` system-architecture designs.
//!
//! The pipeline runs one way: [`syntax`] (pest → typed AST with spans) →
//! [`model`] (petgraph, names resolved, datacenters placed) → analyses
//! ([`estimate`], rules) → outputs (diagnostics, backends, simulator,
//! diagrams). The library does no I/O: it takes source text and returns
//! values; the `archc` binary reads files, renders and picks exit codes.

pub mod diagnostic;
pub mod estimate;
pub mod model;
pub mod render;
pub mod sim;
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
    let (file, mut diagnostics) = syntax::parse(source);
    let syntax_failed = diagnostics.iter().any(|d| d.rule == "syntax");
    let model = if syntax_failed {
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
    Compiled { model, diagnostics }
}
