//! `archc check FILE…`: compile and lint, print diagnostics, exit 0/1/2.

use super::{Common, EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, Format, inputs};
use archc::diagnostic::{Diagnostic, Severity};
use archc::render::{self, FileReport};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// `.arch` files, or folders to search for them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format (human is the default).
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Treat warnings as errors for the exit code (`--deny warnings`).
    #[arg(long, value_name = "LEVEL", value_parser = ["warnings"])]
    pub deny: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(args: Args) -> u8 {
    let (inputs, load_errors) = inputs::load(&args.files);
    for e in &load_errors {
        eprintln!("error: {e}");
    }
    let mut results: Vec<(String, String, Vec<Diagnostic>, bool)> = Vec::new();
    for input in &inputs {
        let options = archc::BuildOptions {
            default_name: inputs::stem(&input.path),
            ..Default::default()
        };
        let compiled = archc::compile(&input.source, &options);
        let compile_failed = compiled.has_errors();
        results.push((
            input.name.clone(),
            input.source.clone(),
            compiled.diagnostics,
            compile_failed,
        ));
    }
    let reports: Vec<FileReport> = results
        .iter()
        .map(|(name, source, diags, _)| FileReport {
            name,
            source,
            diagnostics: diags,
        })
        .collect();
    let out = match args.format {
        Format::Human => render::human(
            &reports,
            super::use_color(args.common.color),
            super::terminal_width(),
        ),
        Format::Json => render::json(&reports),
        Format::Sarif => render::sarif(&reports, &[]),
        Format::Github => render::github(&reports),
    };
    print!("{out}");
    let compile_failed = results.iter().any(|r| r.3);
    if compile_failed || !load_errors.is_empty() {
        return EXIT_INPUT;
    }
    let deny_warnings = args.deny.is_some();
    let failing = results.iter().flat_map(|r| r.2.iter()).any(|d| {
        d.severity == Severity::Error || (deny_warnings && d.severity == Severity::Warning)
    });
    if failing { EXIT_FINDINGS } else { EXIT_OK }
}
