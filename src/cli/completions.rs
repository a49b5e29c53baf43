//! `archc completions SHELL`: the shell's completion script for every verb,
//! flag and value of this command line, generated from the same clap
//! definition the parser uses (so it cannot fall behind a new flag).

use clap::CommandFactory;
use clap_complete::Shell;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: Args) -> u8 {
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "archc", &mut out);
    super::emit(&String::from_utf8_lossy(&out));
    super::EXIT_OK
}
