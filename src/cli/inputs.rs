//! Reading the files named on the command line. A folder means every
//! `.arch` file below it, in sorted order; an unreadable path is an input
//! error (exit 2) reported with its cause, never a panic.

use std::path::{Path, PathBuf};

pub struct Input {
    /// The path as shown to the user.
    pub name: String,
    pub path: PathBuf,
    pub source: String,
}

/// Loads every named file. Problems are returned as messages, one per path.
pub fn load(paths: &[PathBuf]) -> (Vec<Input>, Vec<String>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            collect(p, &mut found, &mut errors);
            found.sort();
            if found.is_empty() {
                errors.push(format!("{}: no .arch files in this folder", p.display()));
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

fn collect(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(format!("{}: cannot read folder: {e}", dir.display()));
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

fn read_one(path: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<String>) {
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
                errors.push(format!(
                    "{name}:{line}:{col}: invalid UTF-8 at byte {at}: `.arch` files are UTF-8 text"
                ));
            }
        },
        Err(e) => errors.push(format!("{name}: cannot read: {}", describe_io(&e))),
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
