//! `archc estimate FILE [--format human|json] [--set BLOCK.ATTR=VALUE …]`:
//! the capacity estimate of one design (LANGUAGE.md §6–§9), as a table or
//! as the JSON object documented in `docs/estimator.md`.
//!
//! Exit status: 0 when the estimate was printed, 2 when the design (or an
//! override) could not be used. Findings are `archc check`'s business, so an
//! overloaded design still exits 0 here: the table says what is wrong.

use super::{EXIT_INPUT, EXIT_OK, inputs};
use archc::estimate::report::{self, Source};
use archc::estimate::shards::PlacementCache;
use archc::render;
use clap::ValueEnum;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EstimateFormat {
    Human,
    Json,
}

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The `.arch` design to estimate.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: EstimateFormat,
    /// What-if override of one attribute, as if written in the file:
    /// `traffic.users=50M`, `web.replicas=4`, `assumptions.hop_latency=1ms`.
    /// Repeatable; later ones win.
    #[arg(long = "set", value_name = "BLOCK.ATTR=VALUE")]
    pub sets: Vec<String>,
    /// When to use colour in error reports.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: super::ColorChoice,
}

pub fn run(args: Args) -> u8 {
    // A folder: each design in turn, each human report headed by its file
    // (JSON prints one document per design, in file order).
    let header = args.format == EstimateFormat::Human;
    if let Some(code) = inputs::each_design(&args.file, header, |file| {
        run(Args {
            file,
            ..args.clone()
        })
    }) {
        return code;
    }
    let Some(mut input) = inputs::load_one(&args.file) else {
        return EXIT_INPUT;
    };
    let config = match inputs::config_for(&input.path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    let (sources, compiled) = inputs::compile(&mut input, &config, &args.sets, None);
    let Some(model) = compiled.model else {
        let split = sources.split(compiled.diagnostics);
        let reports = inputs::reports(&sources, &split);
        match args.format {
            EstimateFormat::Json => super::emit(&render::json(&reports)),
            EstimateFormat::Human => eprint!(
                "{}",
                render::human(&reports, stderr_color(args.color), super::terminal_width())
            ),
        }
        return EXIT_INPUT;
    };
    let est = archc::estimate(&model, &mut PlacementCache::default());
    let source = Source {
        name: &input.name,
        sets: &args.sets,
    };
    match args.format {
        EstimateFormat::Human => super::emit(&report::human(&model, &est, &source)),
        EstimateFormat::Json => {
            // Streamed: the report is serialised straight into standard
            // output, one copy at a time, so a design of 100,000
            // components never holds its whole JSON in memory.
            if let Err(e) = super::emit_json(&report::JsonReport::new(&model, &est, &source)) {
                eprintln!("error: cannot write the estimate as JSON: {e}");
                return EXIT_INPUT;
            }
        }
    }
    EXIT_OK
}

fn stderr_color(choice: super::ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        super::ColorChoice::Always => true,
        super::ColorChoice::Never => false,
        super::ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}
