//! The `archc` command line: one file per verb. This layer owns all I/O:
//! reading sources, writing outputs, and the exit code (CLI.md).

pub mod build;
pub mod check;
pub mod completions;
pub mod dump;
pub mod estimate;
pub mod fmt;
pub mod graph;
pub mod inputs;
pub mod lsp;
pub mod rules;
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
    /// Rewrite files in the canonical layout, comments kept.
    Fmt(fmt::Args),
    /// Draw the model: DOT, Mermaid or SVG.
    Graph(graph::Args),
    /// List the design rules.
    Rules,
    /// Print one rule's documentation.
    Explain(rules::ExplainArgs),
    /// Print the capacity estimate: load, instances, utilisation, latency,
    /// availability, storage and bandwidth.
    Estimate(estimate::Args),
    /// Write deployment files (docker compose, Terraform, Kubernetes) for a design.
    Build(build::Args),
    /// Run the embedded simulator; scenario expectations decide the exit code.
    Simulate(simulate::Args),
    /// Serve the Language Server Protocol on standard input and output.
    Lsp,
    /// Print the completion script for a shell (bash, zsh, fish,
    /// powershell, elvish).
    Completions(completions::Args),
}

pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Dump(a) => dump::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Graph(a) => graph::run(a),
        Command::Rules => rules::list(),
        Command::Explain(a) => rules::explain(a),
        Command::Estimate(a) => estimate::run(a),
        Command::Build(a) => build::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Lsp => lsp::run(),
        Command::Completions(a) => completions::run(a),
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

/// Today's date, `YYYY-MM-DD` (UTC), for suppression expiry.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Writes a file atomically: a temporary file beside it, then a rename, so
/// a reader never sees half a file and a failure leaves the old one.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.archc-tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes to standard output. A closed pipe (`archc check … | head`) is
/// not an error worth a panic: the reader has what it wanted.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write to standard output: {e}");
    }
}

/// Serialises `value` as pretty JSON (and a newline) straight into
/// standard output through a buffer, without building the text first. A
/// reader that went away (`… | head`) ends the output quietly; any other
/// failure is returned.
pub fn emit_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<(), std::io::Error> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_774), (2026, 11, 17));
        assert_eq!(super::civil_from_days(11_016), (2000, 2, 29));
    }
}
