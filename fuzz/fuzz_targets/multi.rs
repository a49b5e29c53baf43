//! The multi-file mode shared by the `parse` and `check` targets: one
//! input holds several files of a design.
//!
//! A line that starts with `%%% ` starts a file; the rest of the line,
//! trimmed, is its path. Text before the first such line is the file
//! `main.arch`; when the input starts with a `%%% ` line there is no such
//! text and the first named file is the root. An input with no `%%% ` line
//! is not split (the single-file mode). A path named twice keeps its first
//! text. Imports resolve through an in-memory loader over these files,
//! with `platform/` allowed as an `[imports] roots` folder so that a root
//! below `team/` can reach it.

use archc::diagnostic::{Diagnostic, Span};
use archc::sources::{ImportRules, SourceMap, normalize};

/// The marker that starts a file.
pub const SEPARATOR: &str = "%%% ";

/// The files of a multi-file input, the root first, or `None` for a
/// single-file input.
pub fn split(input: &str) -> Option<Vec<(String, String)>> {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut name = String::from("main.arch");
    let mut text = String::new();
    let mut split = false;
    for line in input.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(SEPARATOR) {
            if split || !text.is_empty() {
                files.push((std::mem::take(&mut name), std::mem::take(&mut text)));
            }
            split = true;
            name = rest.trim().to_string();
        } else {
            text.push_str(line);
        }
    }
    if !split {
        return None;
    }
    files.push((name, text));
    Some(files)
}

/// The import rules every multi-file input is loaded with.
pub fn rules() -> ImportRules {
    ImportRules {
        roots: vec!["platform".into()],
        cwd: None,
    }
}

/// Reads a file of the input by the normalised path the library asks for.
pub fn read(files: &[(String, String)], path: &str) -> Result<String, String> {
    files
        .iter()
        .find(|(n, _)| normalize(n) == path)
        .map(|(_, t)| t.clone())
        .ok_or_else(|| "no such file".to_string())
}

/// `span` lies inside one file of `map`, and `locate` gives the same span
/// in that file's own offsets.
fn assert_inside(map: &SourceMap, span: Span, what: &str, d: &Diagnostic) {
    assert!(span.start <= span.end, "{what} span reversed: {d:?}");
    let (i, local) = map.locate(span);
    let file = &map.files[i];
    assert!(
        span.start >= file.base && span.end <= file.base + file.text.len(),
        "{what} span {span:?} not inside file {i} `{}` ({}..{}): {d:?}",
        file.name,
        file.base,
        file.base + file.text.len()
    );
    assert_eq!(
        (local.start, local.end),
        (span.start - file.base, span.end - file.base),
        "{what} span relocated: {d:?}"
    );
    assert!(local.end <= file.text.len());
}

/// Every diagnostic's primary and related spans lie inside their own
/// files, and `SourceMap::split` keeps every diagnostic.
pub fn assert_spans(map: &SourceMap, diags: &[Diagnostic]) {
    assert!(!map.files.is_empty(), "a design without files");
    for d in diags {
        assert_inside(map, d.primary.span, "primary", d);
        for r in &d.related {
            assert_inside(map, r.span, "related", d);
        }
    }
    let split = map.split(diags.to_vec());
    assert_eq!(
        split.iter().map(Vec::len).sum::<usize>(),
        diags.len(),
        "split lost diagnostics"
    );
    for (i, ds) in split.iter().enumerate() {
        let len = map.files.get(i).map_or(0, |f| f.text.len());
        for d in ds {
            assert!(d.primary.span.end <= len, "split span past its file: {d:?}");
        }
    }
}
