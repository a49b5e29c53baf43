//! The `archc` binary: parses arguments, runs a verb, exits with its code.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // Help and version are not errors; a bad option exits 2 (CLI.md).
            let code = if e.use_stderr() {
                cli::EXIT_INPUT
            } else {
                cli::EXIT_OK
            };
            let _ = e.print();
            return std::process::ExitCode::from(code);
        }
    };
    std::process::ExitCode::from(cli::run(cli))
}
