//! The `archc` command line: one file per verb. This layer owns all I/O:
//! reading sources, writing outputs, and the exit code (CLI.md).

pub mod check;
pub mod dump;
pub mod inputs;
pub mod simulate;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit codes (CLI.md): 0 done and clean, 1 findings or failed
/// expectations, 2 unusable input.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_INPUT: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "archc",
    version,
    about = "Compile, check, estimate, simulate and deploy .arch system designs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// When to use colour in human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Print nothing but findings and errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile and lint designs; print diagnostics.
    Check(check::Args),
    /// Print the resolved model: what the compiler understood.
    Dump(dump::Args),
    /// Run the embedded simulator; scenario expectations decide the exit code.
    Simulate(simulate::Args),
}

pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Dump(a) => dump::run(a),
        Command::Simulate(a) => simulate::run(a),
    }
}

/// Whether to colour human output on standard output.
pub fn use_color(choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}
