//! The pipeline from source text to checked findings, in its stages' order:
//!
//! 1. [`syntax::parse`] turns text into a typed AST with spans; with
//!    `--set` overrides ([`compile_with_overrides`]), each override is
//!    parsed and applied to that tree, so it is checked as if written in
//!    the file.
//! 2. [`model::build`] lowers the AST into the [`Model`], unless the parse
//!    failed in a way that leaves nothing sound to lower (a syntax error, a
//!    bad override). [`compile`] stops here.
//! 3. [`estimate::estimate`] computes the capacity figures once, and
//!    [`rules::check`] runs every lint rule over the model and those
//!    figures. [`check`] runs all three stages.
//!
//! Every stage appends to one list of diagnostics, sorted once the last
//! stage has run; a stage runs after an earlier one's errors when it can
//! still say something true, and the model is handed out only when no
//! stage found an error.

use crate::diagnostic::{Diagnostic, Severity, sort_diagnostics};
use crate::estimate::{self, Estimate};
use crate::model::{self, BuildOptions, Model};
use crate::sources::{self, ImportRules, Loader, SourceMap};
use crate::{codes, rules, syntax};

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

/// Parses and builds the model of one source. An `import` in it is
/// `unreadable-file`: a design of several files goes through
/// [`compile_design`], which is given a loader.
pub fn compile(source: &str, options: &BuildOptions) -> Compiled {
    compile_with_overrides(source, options, &[]).1
}

fn no_files(_: &str) -> Result<String, String> {
    Err("this entry point reads no other files; compile the design with a loader".to_string())
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
    let (sources, compiled) = compile_design(
        "design.arch",
        source.to_string(),
        &no_files,
        &ImportRules::default(),
        options,
        sets,
    );
    let text = sources.files.into_iter().next().map(|f| f.text);
    (text.unwrap_or_default(), compiled)
}

/// Compiles the design whose root file is `root` (its text already read),
/// reading the files it imports through `loader` under `rules`
/// (LANGUAGE.md §11), with `--set` overrides applied as in
/// [`compile_with_overrides`]. Returns the design's files — the root's
/// text with its `# --set` lines — and the result, whose spans are in the
/// files' shared offset space ([`SourceMap::split`] makes them local).
pub fn compile_design(
    root: &str,
    source: String,
    loader: &dyn Loader,
    imports: &ImportRules,
    options: &BuildOptions,
    sets: &[String],
) -> (SourceMap, Compiled) {
    let mut text = source;
    let mut parsed = Vec::new();
    let mut diagnostics = Vec::new();
    if !sets.is_empty() && !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
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
    let loaded = sources::load(root, text, loader, imports);
    let mut file = loaded.file;
    diagnostics.extend(loaded.diagnostics);
    if !sets.is_empty() && !diagnostics.iter().any(|d| d.severity == Severity::Error) {
        diagnostics.extend(syntax::overrides::apply_overrides(&mut file, &parsed));
    }
    let mut compiled = build_parsed(file, diagnostics, options);
    if let Some(model) = &mut compiled.model {
        locate_templates(model, &loaded.sources);
    }
    (loaded.sources, compiled)
}

/// Names the file and line of every templated attribute, for `archc dump`.
fn locate_templates(model: &mut Model, sources: &SourceMap) {
    for c in &mut model.components {
        for o in c.templated.values_mut() {
            let (i, local) = sources.locate(o.span);
            let file = &sources.files[i];
            o.file = file.name.clone();
            o.line = crate::diagnostic::line_col(&file.text, local.start).0;
        }
    }
}

fn build_parsed(
    mut file: syntax::ast::File,
    mut diagnostics: Vec<Diagnostic>,
    options: &BuildOptions,
) -> Compiled {
    let (templates, more) = syntax::templates::expand(&mut file);
    diagnostics.extend(more);
    let failed = diagnostics.iter().any(|d| {
        matches!(
            d.code(),
            Some(
                codes::Code::Syntax
                    | codes::Code::InvalidOverride
                    | codes::Code::UnknownReference
                    | codes::Code::ImportCycle
                    | codes::Code::TemplateCycle
                    | codes::Code::UnreadableFile
                    | codes::Code::ImportOutsideRoot
            )
        )
    });
    let model = if failed {
        None
    } else {
        let (model, more) = model::build(&file, options);
        let model = model.map(|mut m| {
            m.templates = templates;
            m
        });
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
    lint(
        compile(source, options),
        config,
        today,
        &mut estimate::shards::PlacementCache::default(),
    )
}

/// [`check`] with `--set` overrides, as [`compile_with_overrides`]: returns
/// the text the diagnostics refer to beside the result.
pub fn check_with_overrides(
    source: &str,
    options: &BuildOptions,
    sets: &[String],
    config: &rules::config::Config,
    today: &str,
) -> (String, Compiled) {
    let (text, compiled) = compile_with_overrides(source, options, sets);
    (
        text,
        lint(
            compiled,
            config,
            today,
            &mut estimate::shards::PlacementCache::default(),
        ),
    )
}

/// [`compile_design`] and the rules' findings, as [`check`].
#[allow(clippy::too_many_arguments)]
pub fn check_design(
    root: &str,
    source: String,
    loader: &dyn Loader,
    imports: &ImportRules,
    options: &BuildOptions,
    sets: &[String],
    config: &rules::config::Config,
    today: &str,
) -> (SourceMap, Compiled) {
    check_design_cached(
        root,
        source,
        loader,
        imports,
        options,
        sets,
        config,
        today,
        &mut estimate::shards::PlacementCache::default(),
    )
}

/// [`check_design`] with shard placements kept in `placements` across
/// calls: a placement depends on its database's sharding attributes only,
/// so a session that checks the same design again and again (the language
/// server, on every keystroke) computes each one once.
#[allow(clippy::too_many_arguments)]
pub fn check_design_cached(
    root: &str,
    source: String,
    loader: &dyn Loader,
    imports: &ImportRules,
    options: &BuildOptions,
    sets: &[String],
    config: &rules::config::Config,
    today: &str,
    placements: &mut estimate::shards::PlacementCache,
) -> (SourceMap, Compiled) {
    let (sources, compiled) = compile_design(root, source, loader, imports, options, sets);
    (sources, lint(compiled, config, today, placements))
}

/// The rules' findings on a compiled model, from its one estimate.
fn lint(
    mut compiled: Compiled,
    config: &rules::config::Config,
    today: &str,
    placements: &mut estimate::shards::PlacementCache,
) -> Compiled {
    if let Some(model) = &compiled.model {
        let est = estimate::estimate(model, placements);
        compiled
            .diagnostics
            .extend(rules::check(model, &est, config, today));
        sort_diagnostics(&mut compiled.diagnostics);
        compiled.estimate = Some(est);
    }
    compiled
}
