//! archc: a compiler and checker for `.arch` system-architecture designs.
//!
//! The pipeline runs one way: [`syntax`] (pest → typed AST with spans) →
//! [`model`] (petgraph, names resolved, datacenters placed) → analyses
//! ([`estimate`], rules) → outputs (diagnostics, backends, simulator,
//! diagrams). The library does no I/O: it takes source text and returns
//! values; the `archc` binary reads files, renders and picks exit codes.
//!
//! [`pipeline`] runs the stages in order; its entry points ([`compile`],
//! [`compile_with_overrides`], [`check`]) and their result ([`Compiled`])
//! are re-exported here, so callers name them from the crate root.

pub mod backends;
pub mod codes;
pub mod diagnostic;
pub mod estimate;
pub mod figures;
pub mod fmt;
pub mod graph;
pub mod model;
pub mod pipeline;
pub mod render;
pub mod rules;
pub mod sim;
pub mod sources;
pub mod stream;
pub mod syntax;

pub use estimate::{Estimate, estimate};
pub use model::{BuildOptions, Model};
pub use pipeline::{
    Compiled, OVERRIDE_PREFIX, check, check_design, check_design_cached, check_with_overrides,
    compile, compile_design, compile_with_overrides,
};
