//! `archc fmt FILE… [--check]`: rewrites files in the canonical layout
//! (atomically), or with `--check` lists the files that would change and
//! exits 1. A file with a syntax error is reported and left untouched.
//! The files a design imports are formatted with it, each once however
//! many designs import it; an import that cannot be read is `check`'s
//! business, not a reason to leave the others unformatted.

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
    let mut seen = std::collections::BTreeSet::new();
    let mut files = Vec::new();
    for input in inputs {
        let config = inputs::config_for(&input.path).unwrap_or_default();
        let rules = inputs::import_rules(&input.path, &config);
        let loaded = archc::sources::load(
            &input.name,
            input.source.clone(),
            &inputs::read_import,
            &rules,
        );
        for (i, f) in loaded.sources.files.into_iter().enumerate() {
            let key = archc::sources::normalize(&f.name);
            if !seen.insert(key) {
                continue;
            }
            let path = if i == 0 {
                input.path.clone()
            } else {
                PathBuf::from(&f.name)
            };
            files.push(inputs::Input {
                name: f.name,
                path,
                source: f.text,
            });
        }
    }
    for input in &files {
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
