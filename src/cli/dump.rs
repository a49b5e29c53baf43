//! `archc dump FILE`: the resolved model as JSON — nodes with their
//! resolved attributes and placement, edges with labels — so users and
//! tests see what the compiler understood.

use super::{EXIT_OK, inputs};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    pub file: PathBuf,
    /// Only JSON is supported; the flag is accepted for symmetry.
    #[arg(long, default_value = "json", value_parser = ["json"])]
    pub format: String,
}

pub fn run(args: Args) -> u8 {
    let (_, _, model) = match inputs::compile_one(&args.file) {
        Ok(x) => x,
        Err(code) => return code,
    };
    // Streamed into standard output, one component at a time.
    if let Err(e) = super::emit_json(&archc::model::dump::Dump(&model)) {
        eprintln!("error: cannot write the model as JSON: {e}");
        return super::EXIT_INPUT;
    }
    EXIT_OK
}
