//! Reading the files named on the command line. A folder means every
//! `.arch` file below it, in sorted order; an unreadable path is an input
//! error (exit 2) reported with its cause, never a panic.

use archc::codes::Code;
use archc::diagnostic::{Diagnostic, Span};
use archc::render::FileReport;
use archc::rules::config::Config;
use archc::sources::{ImportRules, SourceMap};
use std::path::{Path, PathBuf};

/// A path that could not be used: its message, and for `check`'s
/// machine-readable formats a located diagnostic (`unreadable-file`, or
/// `invalid-utf8` at the first bad byte of a lossily decoded source).
pub struct LoadError {
    pub name: String,
    pub message: String,
    pub source: String,
    pub diagnostic: Diagnostic,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn unreadable(name: &str, message: String) -> LoadError {
    let diagnostic = Diagnostic::error(Code::UnreadableFile, Span::new(0, 0), message.clone())
        .label("cannot read this file")
        .help("check the path and its permissions");
    LoadError {
        name: name.to_string(),
        message,
        source: String::new(),
        diagnostic,
    }
}

pub struct Input {
    /// The path as shown to the user.
    pub name: String,
    pub path: PathBuf,
    pub source: String,
}

/// Loads every named file. Problems are returned as messages, one per path.
pub fn load(paths: &[PathBuf]) -> (Vec<Input>, Vec<LoadError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            collect(p, &mut found, &mut errors);
            found.sort();
            if found.is_empty() {
                let name = p.display().to_string();
                errors.push(unreadable(
                    &name,
                    format!("{name}: no .arch files in this folder"),
                ));
            }
            for f in found {
                read_one(&f, &mut inputs, &mut errors);
            }
        } else {
            read_one(p, &mut inputs, &mut errors);
        }
    }
    (inputs, errors)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            let name = dir.display().to_string();
            errors.push(unreadable(
                &name,
                format!("{name}: cannot read folder: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            collect(&path, out, errors);
        } else if path.extension().is_some_and(|e| e == "arch") {
            out.push(path);
        }
    }
}

fn read_one(path: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<LoadError>) {
    let name = path.display().to_string().replace('\\', "/");
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(source) => inputs.push(Input {
                name,
                path: path.to_path_buf(),
                source,
            }),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let before = &e.as_bytes()[..at];
                let line = before.iter().filter(|b| **b == b'\n').count() + 1;
                let col = at
                    - before
                        .iter()
                        .rposition(|b| *b == b'\n')
                        .map_or(0, |i| i + 1)
                    + 1;
                let message = format!(
                    "{name}:{line}:{col}: invalid UTF-8 at byte {at}: `.arch` files are UTF-8 text"
                );
                // Decode lossily so the diagnostic can show the line.
                let source = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let end = source[at..]
                    .chars()
                    .next()
                    .map_or(at, |c| at + c.len_utf8());
                let diagnostic = Diagnostic::error(
                    Code::InvalidUtf8,
                    Span::new(at, end),
                    format!("invalid UTF-8 at byte {at}"),
                )
                .label("not UTF-8")
                .help("save the file as UTF-8 text");
                errors.push(LoadError {
                    name,
                    message,
                    source,
                    diagnostic,
                });
            }
        },
        Err(e) => {
            let message = format!("{name}: cannot read: {}", describe_io(&e));
            errors.push(unreadable(&name, message));
        }
    }
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "is a folder".into(),
        _ => e.to_string(),
    }
}

/// The file's stem: the system name when the file has no `system` line.
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "system".into())
}

/// The one design a single-file verb works on; load errors are printed.
pub fn load_one(path: &Path) -> Option<Input> {
    let (inputs, errors) = load(std::slice::from_ref(&path.to_path_buf()));
    for e in &errors {
        eprintln!("error: {e}");
    }
    inputs.into_iter().next()
}

/// Loads and compiles one design. On failure the reasons are printed (the
/// compile diagnostics rendered for a person) and the exit code returned.
pub fn compile_one(path: &Path) -> Result<(Input, SourceMap, archc::Model), u8> {
    let mut input = load_one(path).ok_or(super::EXIT_INPUT)?;
    let config = match config_for(&input.path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(super::EXIT_INPUT);
        }
    };
    let (sources, compiled) = compile(&mut input, &config, &[], None);
    match compiled.model {
        Some(model) => Ok((input, sources, model)),
        None => {
            let split = sources.split(compiled.diagnostics);
            eprint!(
                "{}",
                archc::render::human(&reports(&sources, &split), false, super::terminal_width())
            );
            Err(super::EXIT_INPUT)
        }
    }
}

/// Reads a file a design imports, for the library's loader.
pub fn read_import(path: &str) -> Result<String, String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
            format!(
                "invalid UTF-8 at byte {}: `.arch` files are UTF-8 text",
                e.utf8_error().valid_up_to()
            )
        }),
        Err(e) => Err(describe_io(&e)),
    }
}

/// A path as the library names files: `/` as separator.
fn slashed(path: &Path) -> String {
    path.display().to_string().replace('\\', "/")
}

/// Where the imports of the design at `design` may lead: its folder, and
/// the folders `[imports] roots` lists, relative to the folder of the
/// `archc.toml` next to the design.
pub fn import_rules(design: &Path, config: &Config) -> ImportRules {
    let dir = design.parent().unwrap_or(Path::new(""));
    ImportRules {
        roots: config
            .import_roots
            .iter()
            .map(|r| {
                let r = Path::new(r);
                if r.is_absolute() {
                    slashed(r)
                } else {
                    slashed(&dir.join(r))
                }
            })
            .collect(),
        cwd: std::env::current_dir().ok().map(|d| slashed(&d)),
    }
}

/// `archc.toml` next to the design, when there is one.
pub fn config_for(design: &Path) -> Result<Config, String> {
    let dir = design.parent().unwrap_or(Path::new("."));
    let candidate = dir.join("archc.toml");
    if candidate.is_file() {
        load_config(&candidate)
    } else {
        Ok(Config::default())
    }
}

/// Reads and parses an `archc.toml`.
pub fn load_config(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    Config::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Compiles the design rooted at `input` with the files it imports, under
/// `config` (its assumptions and import roots) and `--set` overrides; with
/// `today`, the rules run too (as `archc check`).
pub fn compile(
    input: &mut Input,
    config: &Config,
    sets: &[String],
    today: Option<&str>,
) -> (SourceMap, archc::Compiled) {
    let options = archc::BuildOptions {
        default_name: stem(&input.path),
        assumptions: config.assumptions.clone(),
    };
    let rules = import_rules(&input.path, config);
    // The text moves into the design's source map: a 100,000-component
    // file is held once.
    let source = std::mem::take(&mut input.source);
    match today {
        Some(today) => archc::check_design(
            &input.name,
            source,
            &read_import,
            &rules,
            &options,
            sets,
            config,
            today,
        ),
        None => archc::compile_design(&input.name, source, &read_import, &rules, &options, sets),
    }
}

/// One report per file of a design, each with the diagnostics located in
/// it (`split` is [`SourceMap::split`] of the design's diagnostics).
pub fn reports<'a>(sources: &'a SourceMap, split: &'a [Vec<Diagnostic>]) -> Vec<FileReport<'a>> {
    sources
        .files
        .iter()
        .zip(split)
        .map(|(f, d)| FileReport {
            name: &f.name,
            source: &f.text,
            diagnostics: d,
        })
        .collect()
}

/// The paths of the `inputs` another of them imports: a folder's designs
/// are the rest (LANGUAGE.md §11). Only texts holding the word `import`
/// are parsed for it.
pub fn imported(inputs: &[Input]) -> std::collections::BTreeSet<PathBuf> {
    // One file imports no other of the list (importing itself is a cycle,
    // reported when it is compiled).
    if inputs.len() < 2 {
        return Default::default();
    }
    let named: Vec<(&str, &str)> = inputs
        .iter()
        .map(|i| (i.name.as_str(), i.source.as_str()))
        .collect();
    let imported = archc::sources::imported(&named);
    inputs
        .iter()
        .filter(|i| imported.contains(&i.name))
        .map(|i| i.path.clone())
        .collect()
}

/// For a single-design verb given a folder: runs `one` on each `.arch`
/// file below it, in sorted order, and returns the worst exit code of the
/// runs (`None` when `path` is not a folder: the verb runs once). With
/// `header`, a line naming each file comes before its output. A folder
/// without a design is an input error.
pub fn each_design(path: &Path, header: bool, mut one: impl FnMut(PathBuf) -> u8) -> Option<u8> {
    if !path.is_dir() {
        return None;
    }
    let mut files = Vec::new();
    let mut errors = Vec::new();
    collect(path, &mut files, &mut errors);
    for e in &errors {
        eprintln!("error: {e}");
    }
    if files.is_empty() {
        eprintln!("error: {}: no .arch files in this folder", path.display());
        return Some(super::EXIT_INPUT);
    }
    files.sort();
    // A library another file imports is checked through that file.
    let libraries = match files.len() {
        0 | 1 => Default::default(),
        _ => imported(&load(&files).0),
    };
    files.retain(|f| !libraries.contains(f));
    // The exit codes rank as their numbers do: input errors (2) over
    // findings (1) over success (0).
    let mut worst = if errors.is_empty() {
        super::EXIT_OK
    } else {
        super::EXIT_INPUT
    };
    for (i, file) in files.into_iter().enumerate() {
        if header {
            let name = file.display().to_string().replace('\\', "/");
            let gap = if i > 0 { "\n" } else { "" };
            super::emit(&format!("{gap}==> {name} <==\n"));
        }
        worst = worst.max(one(file));
    }
    Some(worst)
}
