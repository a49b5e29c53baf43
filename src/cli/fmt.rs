//! `archc fmt FILE… [--check]`: rewrites files in the canonical layout
//! (atomically), or with `--check` lists the files that would change and
//! exits 1. A file with a syntax error is reported and left untouched.

use super::{EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, inputs};
use archc::render::{self, FileReport};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Change nothing; exit 1 when a file is not formatted.
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: Args) -> u8 {
    let (inputs, errors) = inputs::load(&args.files);
    for e in &errors {
        eprintln!("error: {e}");
    }
    let mut failed = !errors.is_empty();
    let mut unformatted = false;
    for input in &inputs {
        match archc::fmt::format(&input.source) {
            Err(diags) => {
                let reports = [FileReport {
                    name: &input.name,
                    source: &input.source,
                    diagnostics: &diags,
                }];
                eprint!(
                    "{}",
                    render::human(&reports, false, super::terminal_width())
                );
                failed = true;
            }
            Ok(text) if text == input.source => {}
            Ok(text) => {
                unformatted = true;
                if args.check {
                    println!("would reformat {}", input.name);
                } else if let Err(e) = super::write_atomic(&input.path, text.as_bytes()) {
                    eprintln!("error: {}: cannot write: {e}", input.name);
                    failed = true;
                } else {
                    println!("formatted {}", input.name);
                }
            }
        }
    }
    if failed {
        EXIT_INPUT
    } else if args.check && unformatted {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
