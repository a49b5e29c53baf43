//! `archc check FILE…`: compile and lint, print diagnostics, exit 0/1/2.

use super::{Common, EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, Format, inputs};
use archc::diagnostic::{Diagnostic, Severity};
use archc::render::{self, FileReport};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// `.arch` files, or folders to search for them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Treat warnings as errors for the exit code (`--deny warnings`).
    #[arg(long, value_name = "LEVEL", value_parser = ["warnings"])]
    pub deny: Option<String>,
    /// Project file (default: `archc.toml` next to each design).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Report only findings not recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in FILE and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// What-if override of one attribute, applied to every design checked,
    /// as if written in its file (`web.replicas=4`); repeatable.
    #[arg(long = "set", value_name = "BLOCK.ATTR=VALUE")]
    pub sets: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

struct Checked {
    name: String,
    source: String,
    diagnostics: Vec<Diagnostic>,
    compile_failed: bool,
}

pub fn run(args: Args) -> u8 {
    let (mut inputs, load_errors) = inputs::load(&args.files);
    for e in &load_errors {
        eprintln!("error: {e}");
    }
    let explicit = match &args.config {
        Some(p) => match inputs::load_config(p) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_INPUT;
            }
        },
        None => None,
    };
    let baseline = match &args.baseline {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(text) => match Baseline::parse(&text) {
                Ok(b) => Some(b),
                Err(e) => {
                    eprintln!("error: {}: {e}", p.display());
                    return EXIT_INPUT;
                }
            },
            Err(e) => {
                eprintln!("error: {}: cannot read baseline: {e}", p.display());
                return EXIT_INPUT;
            }
        },
        None => None,
    };
    let today = super::today();
    let mut results = Vec::new();
    let mut config_errors = false;
    // A folder's designs are the files no other file below it imports; the
    // imported ones are checked through the designs that import them.
    let libraries = inputs::imported(&inputs);
    for input in inputs.iter_mut().filter(|i| !libraries.contains(&i.path)) {
        let config = match &explicit {
            Some(c) => c.clone(),
            None => match inputs::config_for(&input.path) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    config_errors = true;
                    continue;
                }
            },
        };
        let (sources, compiled) = inputs::compile(input, &config, &args.sets, Some(&today));
        let compile_failed = compiled.model.is_none();
        // Each finding is reported in the file that holds it, and the
        // baseline is keyed by that file.
        let mut split = sources.split(compiled.diagnostics);
        if let Some(b) = &baseline {
            for (file, diags) in sources.files.iter().zip(&mut split) {
                b.filter(&file.name, diags);
            }
        }
        for (i, (file, diagnostics)) in sources.files.into_iter().zip(split).enumerate() {
            results.push(Checked {
                name: file.name,
                source: file.text,
                diagnostics,
                compile_failed: compile_failed && i == 0,
            });
        }
    }
    if let Some(path) = &args.write_baseline {
        let b = Baseline::record(
            results
                .iter()
                .map(|r| (r.name.as_str(), r.diagnostics.as_slice())),
        );
        if let Err(e) = super::write_atomic(path, b.to_json().as_bytes()) {
            eprintln!("error: {}: cannot write baseline: {e}", path.display());
            return EXIT_INPUT;
        }
        if !args.common.quiet {
            eprintln!("recorded {} findings in {}", b.len(), path.display());
        }
    }
    // Unusable files appear in every machine-readable format, each with its
    // diagnostic; human output has already said why on standard error.
    let load_diags: Vec<Vec<Diagnostic>> = load_errors
        .iter()
        .map(|e| vec![e.diagnostic.clone()])
        .collect();
    let mut reports: Vec<FileReport> = results
        .iter()
        .map(|r| FileReport {
            name: &r.name,
            source: &r.source,
            diagnostics: &r.diagnostics,
        })
        .collect();
    if args.format != Format::Human {
        for (e, d) in load_errors.iter().zip(&load_diags) {
            reports.push(FileReport {
                name: &e.name,
                source: &e.source,
                diagnostics: d,
            });
        }
    }
    let out = match args.format {
        // Nothing could be read: the errors above say why.
        Format::Human if reports.is_empty() => String::new(),
        Format::Human => render::human(
            &reports,
            super::use_color(args.common.color),
            super::terminal_width(),
        ),
        Format::Json => render::json(&reports),
        Format::Sarif => render::sarif(&reports, &archc::rules::all_infos()),
        Format::Github => render::github(&reports),
    };
    super::emit(&out);
    if results.iter().any(|r| r.compile_failed) || !load_errors.is_empty() || config_errors {
        return EXIT_INPUT;
    }
    if args.write_baseline.is_some() {
        return EXIT_OK;
    }
    let deny_warnings = args.deny.is_some();
    let failing = results.iter().flat_map(|r| r.diagnostics.iter()).any(|d| {
        d.severity == Severity::Error || (deny_warnings && d.severity == Severity::Warning)
    });
    if failing { EXIT_FINDINGS } else { EXIT_OK }
}

/// Findings recorded by `--write-baseline`: counted per (file, rule,
/// component, datacenter, message), so an unchanged design reports nothing
/// and a new finding — or one more of the same — is reported.
struct Baseline {
    entries: BTreeMap<(String, String, String, String, String), usize>,
}

impl Baseline {
    fn key(file: &str, d: &Diagnostic) -> (String, String, String, String, String) {
        (
            file.to_string(),
            d.rule.clone(),
            d.component.clone().unwrap_or_default(),
            d.datacenter.clone().unwrap_or_default(),
            d.message.clone(),
        )
    }

    fn record<'a>(files: impl Iterator<Item = (&'a str, &'a [Diagnostic])>) -> Baseline {
        let mut entries = BTreeMap::new();
        for (file, diags) in files {
            for d in diags {
                *entries.entry(Self::key(file, d)).or_insert(0) += 1;
            }
        }
        Baseline { entries }
    }

    fn len(&self) -> usize {
        self.entries.values().sum()
    }

    fn to_json(&self) -> String {
        let list: Vec<serde_json::Value> = self
            .entries
            .iter()
            .map(|((file, rule, component, datacenter, message), count)| {
                serde_json::json!({
                    "file": file, "rule": rule, "component": component,
                    "datacenter": datacenter, "message": message, "count": count,
                })
            })
            .collect();
        let doc = serde_json::json!({ "version": "0.1", "findings": list });
        serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
    }

    fn parse(text: &str) -> Result<Baseline, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not a baseline file: {e}"))?;
        let list = v["findings"]
            .as_array()
            .ok_or("not a baseline file: no `findings` list")?;
        let mut entries = BTreeMap::new();
        for f in list {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            let count = f["count"].as_u64().unwrap_or(1) as usize;
            entries.insert(
                (
                    s("file"),
                    s("rule"),
                    s("component"),
                    s("datacenter"),
                    s("message"),
                ),
                count,
            );
        }
        Ok(Baseline { entries })
    }

    /// Drops findings the baseline knows, up to the recorded count.
    fn filter(&self, file: &str, diags: &mut Vec<Diagnostic>) {
        let mut left = self.entries.clone();
        diags.retain(|d| match left.get_mut(&Self::key(file, d)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        });
    }
}
