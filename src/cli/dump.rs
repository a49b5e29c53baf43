//! `archc dump FILE`: the resolved model as JSON — nodes with their
//! resolved attributes and placement, edges with labels — so users and
//! tests see what the compiler understood.

use super::{EXIT_INPUT, EXIT_OK, inputs};
use archc::render::{self, FileReport};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    pub file: PathBuf,
    /// Only JSON is supported; the flag is accepted for symmetry.
    #[arg(long, default_value = "json", value_parser = ["json"])]
    pub format: String,
}

pub fn run(args: Args) -> u8 {
    let (inputs, errors) = inputs::load(std::slice::from_ref(&args.file));
    for e in &errors {
        eprintln!("error: {e}");
    }
    let Some(input) = inputs.into_iter().next() else {
        return EXIT_INPUT;
    };
    let options = archc::BuildOptions {
        default_name: inputs::stem(&input.path),
        ..Default::default()
    };
    let compiled = archc::compile(&input.source, &options);
    let Some(model) = compiled.model else {
        let reports = [FileReport {
            name: &input.name,
            source: &input.source,
            diagnostics: &compiled.diagnostics,
        }];
        eprint!(
            "{}",
            render::human(&reports, false, super::terminal_width())
        );
        return EXIT_INPUT;
    };
    println!("{}", archc::model::dump::to_json(&model));
    EXIT_OK
}
