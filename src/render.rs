//! Renderers: the diagnostics of one run as human text (miette), JSON,
//! SARIF 2.1.0 or GitHub workflow commands.
//!
//! Every renderer takes the files in the order the caller checked them and
//! their diagnostics in the order given (callers sort them with
//! [`crate::diagnostic::sort_diagnostics`]), and returns text ending in a
//! newline, or nothing when there is nothing to print. Nothing here does
//! I/O: the binary decides where the text goes.
//!
//! Positions follow one convention everywhere: lines and columns count from
//! 1, columns count Unicode characters, offsets and lengths count bytes.
//! SARIF's `charOffset`/`charLength` count characters by definition, so
//! SARIF regions carry the byte values as `byteOffset`/`byteLength` too.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceSpan, SpanContents,
};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, RuleInfo, Severity, Span};

/// One checked file: its name as the user gave it, its text, and what was
/// found in it.
#[derive(Clone, Copy, Debug)]
pub struct FileReport<'a> {
    pub name: &'a str,
    pub source: &'a str,
    pub diagnostics: &'a [Diagnostic],
}

/// Finding counts by severity over every file of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

/// Counts the findings of every report by severity.
pub fn summarize(reports: &[FileReport]) -> Summary {
    let mut summary = Summary::default();
    for diag in reports.iter().flat_map(|r| r.diagnostics) {
        match diag.severity {
            Severity::Error => summary.errors += 1,
            Severity::Warning => summary.warnings += 1,
            Severity::Info => summary.infos += 1,
        }
    }
    summary
}

/// The one-line summary closing human output, such as `2 errors, 1 info in
/// examples/millions.arch` or `no findings in 3 files`.
fn summary_line(reports: &[FileReport], summary: Summary) -> String {
    // Zero counts are left out so a clean severity does not read as noise;
    // "no findings" covers the case where every count is zero.
    let counts: Vec<String> = [
        (summary.errors, "error", "errors"),
        (summary.warnings, "warning", "warnings"),
        (summary.infos, "info", "infos"),
    ]
    .into_iter()
    .filter(|&(n, _, _)| n > 0)
    .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
    .collect();
    let findings = if counts.is_empty() {
        "no findings".to_string()
    } else {
        counts.join(", ")
    };
    let scope = match reports {
        [only] => only.name.to_string(),
        _ => format!("{} files", reports.len()),
    };
    format!("{findings} in {scope}")
}

// ---------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------

/// A span resolved against its source: clamped to the text and to character
/// boundaries, with the line and column of both ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Position {
    start: usize,
    end: usize,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    /// Unicode characters before the start, for SARIF's `charOffset`.
    char_offset: usize,
    /// Unicode characters inside the span, for SARIF's `charLength`.
    char_length: usize,
}

/// Where each line starts (bytes) and how many characters precede it, so
/// locating a span is a binary search instead of a scan from the start of
/// the file: with thousands of findings in a large design the scan made
/// rendering quadratic.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
    chars_before: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        let mut chars_before = vec![0];
        let mut chars = 0;
        for (i, c) in source.char_indices() {
            chars += 1;
            if c == '\n' {
                starts.push(i + 1);
                chars_before.push(chars);
            }
        }
        LineIndex {
            starts,
            chars_before,
        }
    }

    /// Line and column (from 1, columns in characters) and the characters
    /// before `offset`, which must be a character boundary.
    fn locate(&self, source: &str, offset: usize) -> (usize, usize, usize) {
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        let column = source[self.starts[line]..offset].chars().count();
        (line + 1, column + 1, self.chars_before[line] + column)
    }
}

impl Position {
    /// Where `span` lies in `source`, located through `index` (built from
    /// the same source).
    fn at(index: &LineIndex, source: &str, span: Span) -> Position {
        // Spans come from the parser and are always inside the text, but a
        // renderer must not panic or print garbage on a stage's off-by-one,
        // so every span is clamped before it is sliced or handed to miette.
        let end = ceil_char_boundary(source, span.end.min(source.len()));
        let start = floor_char_boundary(source, span.start.min(end));
        let (line, column, char_offset) = index.locate(source, start);
        let (end_line, end_column, end_chars) = index.locate(source, end);
        Position {
            start,
            end,
            line,
            column,
            end_line,
            end_column,
            char_offset,
            char_length: end_chars - char_offset,
        }
    }

    fn length(&self) -> usize {
        self.end - self.start
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

// ---------------------------------------------------------------------------
// Human output (miette)
// ---------------------------------------------------------------------------

/// Adapts one of our diagnostics to miette's protocol for rendering; it
/// borrows everything so rendering copies no source text per finding.
struct MietteView<'a> {
    diag: &'a Diagnostic,
    source: &'a IndexedSource<'a>,
    /// The file as read (without the newline `human` may add), and its
    /// line index.
    text: &'a str,
    index: &'a LineIndex,
}

/// A file as miette reads it. miette's own sources find a label's lines by
/// scanning from the first byte, once per label: with thousands of findings
/// in a large design that is quadratic. This one cuts, through the line
/// index, a window of whole lines around the label and lets miette read
/// that, then shifts the result back to the file's offsets and lines.
struct IndexedSource<'a> {
    name: &'a str,
    text: &'a str,
    /// Where each line starts, with miette's line breaks: `\n`, `\r\n`,
    /// and a lone `\r`.
    starts: Vec<usize>,
}

impl<'a> IndexedSource<'a> {
    fn new(name: &'a str, text: &'a str) -> IndexedSource<'a> {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        IndexedSource { name, text, starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1)
    }
}

impl miette::SourceCode for IndexedSource<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let (start, end) = (span.offset(), span.offset() + span.len());
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        // One line of slack on each side, so miette sees the same
        // neighbourhood it would in the whole file.
        let lines = self.starts.len();
        let first = self.line_of(start).saturating_sub(context_lines_before + 1);
        let last = (self.line_of(end) + context_lines_after + 1).min(lines - 1);
        let from = self.starts[first];
        let to = self
            .starts
            .get(last + 1)
            .copied()
            .unwrap_or(self.text.len());
        let window = &self.text[from..to];
        let inner = window.read_span(
            &SourceSpan::from((start - from, span.len())),
            context_lines_before,
            context_lines_after,
        )?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            inner.data(),
            SourceSpan::from((inner.span().offset() + from, inner.span().len())),
            inner.line() + first,
            inner.column(),
            // miette counts the line breaks up to the end of what it read.
            inner.line_count() + first,
        )))
    }
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diag, f)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.diag.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'b>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = |s: Span| {
            let p = Position::at(self.index, self.text, s);
            // miette draws nothing for an empty span after the final newline
            // (a syntax error at the end of the file), so such a span points
            // at the end of the last line instead. `human` gives miette a copy
            // of the text that always ends in a newline, which covers the
            // same case for files without one.
            let at_end = p.start == self.text.len() && p.start > 0;
            if p.start == p.end && at_end && self.text.ends_with('\n') {
                SourceSpan::from(p.start - 1..p.end - 1)
            } else {
                SourceSpan::from(p.start..p.end)
            }
        };
        // An empty label text means "underline only", which miette spells
        // `None`.
        let text = |m: &str| (!m.is_empty()).then(|| m.to_string());
        let primary = &self.diag.primary;
        let primary =
            LabeledSpan::new_primary_with_span(text(&primary.message), span(primary.span));
        // A related span in another file is shown as a note instead
        // (`human` adds it): a miette snippet shows one file.
        let related = self
            .diag
            .related
            .iter()
            .filter(|l| l.file.is_none())
            .map(move |l| LabeledSpan::new_with_span(text(&l.message), span(l.span)));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

/// miette graphical reports, one per diagnostic, then the summary line.
///
/// The rendering is deterministic: a fixed theme (`unicode_nocolor`, or
/// `unicode` with ANSI colours when `color` is set), a fixed width, no
/// hyperlinks and no syntax highlighting, so snapshots and CI logs are
/// stable whatever terminal runs them.
pub fn human(reports: &[FileReport], color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .without_syntax_highlighting();

    let indexes: Vec<LineIndex> = reports.iter().map(|r| LineIndex::new(r.source)).collect();
    let mut out = String::new();
    for report in reports {
        // Each file is copied once, not once per finding. The copy ends in a
        // newline so that miette can show a label at the very end of a file
        // that lacks one (see `MietteView::labels`).
        let mut text = report.source.to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let source = IndexedSource::new(report.name, &text);
        let index = LineIndex::new(report.source);
        for diag in report.diagnostics {
            let view = MietteView {
                diag,
                source: &source,
                text: report.source,
                index: &index,
            };
            // Notes go in miette's footer, which is per handler, so only
            // findings that carry notes pay for a handler of their own.
            let mut notes: Vec<String> = diag
                .related
                .iter()
                .filter_map(|l| {
                    let (name, p) = elsewhere(reports, &indexes, l)?;
                    let what = if l.message.is_empty() {
                        "related"
                    } else {
                        &l.message
                    };
                    Some(format!("note: {what}: {name}:{}:{}", p.line, p.column))
                })
                .collect();
            notes.extend(diag.notes.iter().map(|n| format!("note: {n}")));
            let rendered = if notes.is_empty() {
                render_one(&handler, &view)
            } else {
                render_one(&handler.clone().with_footer(notes.join("\n")), &view)
            };
            out.push_str(&rendered);
            out.push('\n');
        }
    }
    out.push_str(&summary_line(reports, summarize(reports)));
    out.push('\n');
    out
}

/// Where a related label in another file of the design lies: that file's
/// name and the position in it (`None` for a label in the diagnostic's own
/// file, or in a file no report holds).
fn elsewhere<'a>(
    reports: &[FileReport<'a>],
    indexes: &[LineIndex],
    label: &crate::diagnostic::Label,
) -> Option<(&'a str, Position)> {
    let file = label.file.as_deref()?;
    let i = reports.iter().position(|r| r.name == file)?;
    let p = Position::at(&indexes[i], reports[i].source, label.span);
    Some((reports[i].name, p))
}

fn render_one(handler: &GraphicalReportHandler, view: &MietteView) -> String {
    let mut text = String::new();
    match handler.render_report(&mut text, view) {
        Ok(()) => text,
        // Writing to a String cannot fail, and our Display impls do not
        // either; should miette ever report an error, the finding is still
        // shown, plainly, rather than lost.
        Err(_) => format!(
            "{}: {}: {}\n",
            view.diag.severity.as_str(),
            view.diag.rule,
            view.diag.message
        ),
    }
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

// Field order in these structs is the key order of CLI.md's JSON shape,
// which is a stable interface: do not reorder.

#[derive(Serialize)]
struct JsonOutput<'a> {
    version: &'static str,
    files: Vec<&'a str>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    help: Option<&'a str>,
    component: Option<&'a str>,
    datacenter: Option<&'a str>,
    file: &'a str,
    span: JsonSpan,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonSpan {
    line: usize,
    column: usize,
    offset: usize,
    length: usize,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    /// The file holding the span, when it is not the diagnostic's file.
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    span: JsonSpan,
}

impl JsonSpan {
    fn of(index: &LineIndex, source: &str, span: Span) -> JsonSpan {
        let p = Position::at(index, source, span);
        JsonSpan {
            line: p.line,
            column: p.column,
            offset: p.start,
            length: p.length(),
        }
    }
}

/// The JSON object of CLI.md, pretty-printed.
pub fn json(reports: &[FileReport]) -> String {
    let indexes: Vec<LineIndex> = reports.iter().map(|r| LineIndex::new(r.source)).collect();
    let diagnostics = reports
        .iter()
        .zip(&indexes)
        .flat_map(|(r, ix)| r.diagnostics.iter().map(move |d| (r, ix, d)))
        .map(|(r, ix, d)| JsonDiagnostic {
            rule: &d.rule,
            severity: d.severity,
            message: &d.message,
            help: d.help.as_deref(),
            component: d.component.as_deref(),
            datacenter: d.datacenter.as_deref(),
            file: r.name,
            span: JsonSpan::of(ix, r.source, d.primary.span),
            related: d
                .related
                .iter()
                .map(|l| match elsewhere(reports, &indexes, l) {
                    Some((name, p)) => JsonRelated {
                        message: &l.message,
                        file: Some(name),
                        span: JsonSpan {
                            line: p.line,
                            column: p.column,
                            offset: p.start,
                            length: p.length(),
                        },
                    },
                    None => JsonRelated {
                        message: &l.message,
                        file: None,
                        span: JsonSpan::of(ix, r.source, l.span),
                    },
                })
                .collect(),
        })
        .collect();
    let output = JsonOutput {
        version: "0.1",
        files: reports.iter().map(|r| r.name).collect(),
        diagnostics,
        summary: summarize(reports),
    };
    to_pretty_json(&output)
}

fn to_pretty_json<T: Serialize>(value: &T) -> String {
    // serde_json fails only on maps with non-string keys or on a Serialize
    // impl that reports an error; the output types here have neither, so
    // this cannot fail and a panic would be a bug in this module.
    let mut text = serde_json::to_string_pretty(value).expect("output types always serialize");
    text.push('\n');
    text
}

// ---------------------------------------------------------------------------
// SARIF 2.1.0
// ---------------------------------------------------------------------------

const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

#[derive(Serialize)]
struct SarifLog<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<SarifRun<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRun<'a> {
    tool: SarifTool<'a>,
    /// SARIF counts columns in UTF-16 code units unless told otherwise; ours
    /// count Unicode characters, and saying so keeps columns exact past
    /// characters outside the Basic Multilingual Plane.
    column_kind: &'static str,
    /// Declares `%SRCROOT%`, the base every relative artifact location is
    /// resolved against: the folder archc was run in, which a CI job runs
    /// from the repository's root. It carries no `uri`, since the library
    /// does no I/O and does not know that folder's absolute path;
    /// code-scanning services supply it as the checkout.
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<SarifBaseIds>,
    /// One artifact per file of the run, imported libraries included; each
    /// location names its artifact by index.
    artifacts: Vec<SarifArtifact>,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct SarifArtifact {
    location: SarifArtifactLocation,
}

#[derive(Serialize)]
struct SarifBaseIds {
    #[serde(rename = "%SRCROOT%")]
    src_root: SarifBaseId,
}

#[derive(Serialize)]
struct SarifBaseId {
    description: SarifMessage,
}

/// The base id relative artifact locations name.
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct SarifTool<'a> {
    driver: SarifDriver<'a>,
}

#[derive(Serialize)]
struct SarifDriver<'a> {
    name: &'static str,
    version: &'static str,
    rules: Vec<SarifRule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    short_description: Option<SarifText<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<SarifText<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<SarifText<'a>>,
    default_configuration: SarifConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<SarifRuleProperties<'a>>,
}

#[derive(Serialize)]
struct SarifText<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    markdown: Option<&'a str>,
}

#[derive(Serialize)]
struct SarifConfiguration {
    level: &'static str,
}

#[derive(Serialize)]
struct SarifRuleProperties<'a> {
    category: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: SarifMessage,
    locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<SarifResultProperties<'a>>,
}

#[derive(Serialize)]
struct SarifMessage {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: SarifPhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<SarifMessage>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifPhysicalLocation {
    artifact_location: SarifArtifactLocation,
    region: SarifRegion,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    char_offset: usize,
    char_length: usize,
    byte_offset: usize,
    byte_length: usize,
}

#[derive(Serialize)]
struct SarifResultProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    datacenter: Option<&'a str>,
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encodes a path for a URI: forward slashes for separators, and
/// anything outside URI's unreserved characters encoded, so names with
/// spaces or `#` still validate and resolve. `keep` lists further bytes
/// left as they are (the `:` of a Windows drive).
fn encode_path(path: &str, keep: &[u8]) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'\\' | b'/' => uri.push('/'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                uri.push(char::from(byte));
            }
            _ if keep.contains(&byte) => uri.push(char::from(byte)),
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri
}

/// A file name as SARIF wants it, with the base id it is relative to: an
/// absolute path (`/x/a.arch`, `C:\x\a.arch`, `\\host\share\a.arch`) becomes
/// a `file:` URI with no base; a relative one a relative reference
/// against `%SRCROOT%`, without a leading `./`.
fn file_uri(name: &str) -> (String, Option<&'static str>) {
    let bytes = name.as_bytes();
    let windows_drive = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/');
    if windows_drive {
        return (format!("file:///{}", encode_path(name, b":")), None);
    }
    if let Some(unc) = name.strip_prefix("\\\\") {
        return (format!("file://{}", encode_path(unc, b"")), None);
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return (format!("file://{}", encode_path(name, b"")), None);
    }
    let mut relative = name;
    while let Some(rest) = relative
        .strip_prefix("./")
        .or_else(|| relative.strip_prefix(".\\"))
    {
        relative = rest;
    }
    (encode_path(relative, b""), Some(SRCROOT))
}

fn sarif_location(
    (uri, base): &(String, Option<&'static str>),
    artifact: usize,
    index: &LineIndex,
    source: &str,
    span: Span,
    id: Option<usize>,
    message: &str,
) -> SarifLocation {
    let p = Position::at(index, source, span);
    SarifLocation {
        id,
        physical_location: SarifPhysicalLocation {
            artifact_location: SarifArtifactLocation {
                uri: uri.clone(),
                uri_base_id: *base,
                index: Some(artifact),
            },
            region: SarifRegion {
                start_line: p.line,
                start_column: p.column,
                end_line: p.end_line,
                end_column: p.end_column,
                char_offset: p.char_offset,
                char_length: p.char_length,
                byte_offset: p.start,
                byte_length: p.length(),
            },
        },
        message: (!message.is_empty()).then(|| SarifMessage {
            text: message.to_string(),
        }),
    }
}

/// SARIF 2.1.0 with one run: a rule descriptor per entry of `rules` (plus
/// one per unknown rule a finding names, so every `ruleIndex` resolves) and
/// one result per finding.
pub fn sarif(reports: &[FileReport], rules: &[RuleInfo]) -> String {
    let docs: Vec<String> = rules.iter().map(RuleInfo::doc_text).collect();
    let mut descriptors: Vec<SarifRule> = rules
        .iter()
        .zip(&docs)
        .map(|(r, doc)| SarifRule {
            id: r.name,
            short_description: Some(SarifText {
                text: r.summary,
                markdown: None,
            }),
            full_description: Some(SarifText {
                text: doc,
                markdown: None,
            }),
            help: Some(SarifText {
                text: doc,
                markdown: Some(doc),
            }),
            default_configuration: SarifConfiguration {
                level: sarif_level(r.severity),
            },
            properties: Some(SarifRuleProperties {
                category: r.category,
            }),
        })
        .collect();

    let mut results = Vec::new();
    let mut relative = false;
    let indexes: Vec<LineIndex> = reports.iter().map(|r| LineIndex::new(r.source)).collect();
    let uris: Vec<(String, Option<&'static str>)> =
        reports.iter().map(|r| file_uri(r.name)).collect();
    // A file checked through two designs is one artifact.
    let mut artifacts: Vec<&(String, Option<&'static str>)> = Vec::new();
    let artifact_of: Vec<usize> = uris
        .iter()
        .map(|u| match artifacts.iter().position(|a| *a == u) {
            Some(i) => i,
            None => {
                artifacts.push(u);
                artifacts.len() - 1
            }
        })
        .collect();
    for (k, report) in reports.iter().enumerate() {
        let uri = &uris[k];
        relative |= uri.1.is_some();
        let index = &indexes[k];
        for d in report.diagnostics {
            // The first descriptor with the name wins, so a duplicated
            // RuleInfo cannot make two results of one rule disagree.
            let rule_index = match descriptors.iter().position(|r| r.id == d.rule) {
                Some(i) => i,
                None => {
                    descriptors.push(SarifRule {
                        id: &d.rule,
                        short_description: None,
                        full_description: None,
                        help: None,
                        default_configuration: SarifConfiguration {
                            level: sarif_level(d.severity),
                        },
                        properties: None,
                    });
                    descriptors.len() - 1
                }
            };
            let text = match &d.help {
                Some(help) => format!("{} — help: {help}", d.message),
                None => d.message.clone(),
            };
            let properties = (d.component.is_some() || d.datacenter.is_some()).then_some(
                SarifResultProperties {
                    component: d.component.as_deref(),
                    datacenter: d.datacenter.as_deref(),
                },
            );
            results.push(SarifResult {
                rule_id: &d.rule,
                rule_index,
                level: sarif_level(d.severity),
                message: SarifMessage { text },
                locations: vec![sarif_location(
                    uri,
                    artifact_of[k],
                    index,
                    report.source,
                    d.primary.span,
                    None,
                    &d.primary.message,
                )],
                related_locations: d
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        // A related span in another file of the design
                        // points into that file's artifact.
                        let j = l
                            .file
                            .as_deref()
                            .and_then(|f| reports.iter().position(|r| r.name == f))
                            .unwrap_or(k);
                        let (u, ix, src) = (&uris[j], &indexes[j], reports[j].source);
                        sarif_location(u, artifact_of[j], ix, src, l.span, Some(i), &l.message)
                    })
                    .collect(),
                properties,
            });
        }
    }

    let log = SarifLog {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: vec![SarifRun {
            tool: SarifTool {
                driver: SarifDriver {
                    name: "archc",
                    version: env!("CARGO_PKG_VERSION"),
                    rules: descriptors,
                },
            },
            column_kind: "unicodeCodePoints",
            original_uri_base_ids: relative.then(|| SarifBaseIds {
                src_root: SarifBaseId {
                    description: SarifMessage {
                        text: "The folder archc was run in (the repository root in CI)".into(),
                    },
                },
            }),
            artifacts: artifacts
                .into_iter()
                .map(|(uri, base)| SarifArtifact {
                    location: SarifArtifactLocation {
                        uri: uri.clone(),
                        uri_base_id: *base,
                        index: None,
                    },
                })
                .collect(),
            results,
        }],
    };
    to_pretty_json(&log)
}

// ---------------------------------------------------------------------------
// GitHub workflow commands
// ---------------------------------------------------------------------------

/// Escapes a workflow command's message, per GitHub's runner
/// (`CommandExtensions.EscapeData`).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value, which additionally must not
/// contain the `:` and `,` that delimit properties
/// (`CommandExtensions.EscapeProperty`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error`/`::warning`/`::notice` workflow command per finding, which
/// GitHub Actions shows as an annotation on the file and line.
pub fn github(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for report in reports {
        let file = escape_property(&report.name.replace('\\', "/"));
        let index = LineIndex::new(report.source);
        for d in report.diagnostics {
            let command = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let p = Position::at(&index, report.source, d.primary.span);
            let title = escape_property(&format!("archc({})", d.rule));
            let message = match &d.help {
                Some(help) => format!("{} (help: {help})", d.message),
                None => d.message.clone(),
            };
            out.push_str(&format!(
                "::{command} file={file},line={},col={},title={title}::{}\n",
                p.line,
                p.column,
                escape_data(&message)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;

    // Line 2 holds a two-byte `é` and a three-byte `☕`, line 3 a two-byte
    // `ï` before the spans under test, so a column computed from bytes
    // would be off by one or more.
    //
    // Byte layout, worked out by hand:
    //   line 1 `system shop\n`                 bytes  0..=11
    //   line 2 `# café ☕\n`                    bytes 12..=23 (`☕` at 20..23)
    //   line 3 `service web { label = "naïve"; replicas = 1 }\n`
    //                                           bytes 24..=70
    //          `web` at 32..35 (column 9),
    //          `replicas = 1` at 56..68 (column 32: 31 characters, 32 bytes before it)
    //   line 4 `database db {}\n`              bytes 71..=85 (`db` at 80..82, column 10)
    const SOURCE: &str =
        "system shop\n# café ☕\nservice web { label = \"naïve\"; replicas = 1 }\ndatabase db {}\n";
    const FILE: &str = "examples/shop.arch";

    /// The indexed source reads exactly what miette's own source reads, for
    /// every span between character boundaries and every context size.
    #[test]
    fn indexed_source_reads_what_miettes_own_source_reads() {
        use miette::SourceCode;
        let text = "a\n\nservice web { x = 1 }\r\n# café ☕\n\rlone\r\n\n\nlast line\n";
        let indexed = IndexedSource::new("f.arch", text);
        let named = miette::NamedSource::new("f.arch", text.to_string());
        let bounds: Vec<usize> = (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        let mut compared = 0;
        for &start in &bounds {
            for &end in bounds.iter().filter(|e| **e >= start) {
                let span = SourceSpan::from(start..end);
                for (before, after) in [(0, 0), (1, 1), (2, 3), (5, 0)] {
                    let want = named.read_span(&span, before, after).unwrap();
                    let got = indexed.read_span(&span, before, after).unwrap();
                    let at = format!("{start}..{end} ±{before},{after}");
                    assert_eq!(got.data(), want.data(), "{at}");
                    assert_eq!(got.span(), want.span(), "{at}");
                    assert_eq!(got.line(), want.line(), "{at}");
                    assert_eq!(got.column(), want.column(), "{at}");
                    assert_eq!(got.line_count(), want.line_count(), "{at}");
                    assert_eq!(got.name(), want.name(), "{at}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 1000);
        let past = SourceSpan::from(text.len()..text.len() + 1);
        assert!(indexed.read_span(&past, 0, 0).is_err());
    }

    fn diagnostics() -> Vec<Diagnostic> {
        vec![
            Diagnostic::new(
                "spof",
                Severity::Error,
                Span::new(32, 35),
                "`web` runs as one instance in `us-east`: losing it fails 100% of requests",
            )
            .label("the only copy of `web`")
            .help("set `replicas = 2` or more")
            .related(Span::new(56, 68), "`replicas = 1` set here")
            .component("web")
            .datacenter(Some("us-east")),
            Diagnostic::new(
                "cache-ttl",
                Severity::Warning,
                Span::new(80, 82),
                "`db` is read through a cache with no `ttl`",
            )
            .related(Span::new(20, 23), "")
            .note("suppression `cache-ttl` expired on 2024-01-01"),
        ]
    }

    fn rules() -> Vec<RuleInfo> {
        vec![RuleInfo {
            name: "spof",
            severity: Severity::Error,
            category: "redundancy",
            summary: "give the component a second instance",
            doc: "## What it flags\n\nA component copy with a single instance.",
            needs_traffic: false,
        }]
    }

    fn report(diags: &[Diagnostic]) -> FileReport<'_> {
        FileReport {
            name: FILE,
            source: SOURCE,
            diagnostics: diags,
        }
    }

    #[test]
    fn hand_computed_layout_matches_the_source() {
        assert_eq!(&SOURCE[32..35], "web");
        assert_eq!(&SOURCE[56..68], "replicas = 1");
        assert_eq!(&SOURCE[80..82], "db");
        assert_eq!(&SOURCE[20..23], "☕");
    }

    #[test]
    fn summary_counts_and_wording() {
        let diags = diagnostics();
        let one = [report(&diags)];
        assert_eq!(
            summarize(&one),
            Summary {
                errors: 1,
                warnings: 1,
                infos: 0
            }
        );
        assert_eq!(
            summary_line(&one, summarize(&one)),
            "1 error, 1 warning in examples/shop.arch"
        );

        let clean = FileReport {
            name: "b.arch",
            source: "",
            diagnostics: &[],
        };
        assert_eq!(
            summary_line(&[clean], summarize(&[clean])),
            "no findings in b.arch"
        );
        let three = [one[0], one[0], clean];
        assert_eq!(
            summary_line(&three, summarize(&three)),
            "2 errors, 2 warnings in 3 files"
        );
        let info = [Diagnostic::new(
            "single-datacenter",
            Severity::Info,
            Span::new(0, 6),
            "x",
        )];
        let infos = [report(&info), report(&info)];
        assert_eq!(
            summary_line(&infos, summarize(&infos)),
            "2 infos in 2 files"
        );
        assert_eq!(
            summary_line(&infos[..1], summarize(&infos[..1])),
            "1 info in examples/shop.arch"
        );
    }

    #[test]
    fn json_has_exact_positions_and_shape() {
        let diags = diagnostics();
        let text = json(&[report(&diags)]);
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let expected = serde_json::json!({
            "version": "0.1",
            "files": ["examples/shop.arch"],
            "diagnostics": [
                {
                    "rule": "spof",
                    "severity": "error",
                    "message": "`web` runs as one instance in `us-east`: losing it fails 100% of requests",
                    "help": "set `replicas = 2` or more",
                    "component": "web",
                    "datacenter": "us-east",
                    "file": "examples/shop.arch",
                    "span": { "line": 3, "column": 9, "offset": 32, "length": 3 },
                    "related": [
                        {
                            "message": "`replicas = 1` set here",
                            "span": { "line": 3, "column": 32, "offset": 56, "length": 12 }
                        }
                    ]
                },
                {
                    "rule": "cache-ttl",
                    "severity": "warning",
                    "message": "`db` is read through a cache with no `ttl`",
                    "help": null,
                    "component": null,
                    "datacenter": null,
                    "file": "examples/shop.arch",
                    "span": { "line": 4, "column": 10, "offset": 80, "length": 2 },
                    "related": [
                        { "message": "", "span": { "line": 2, "column": 8, "offset": 20, "length": 3 } }
                    ]
                }
            ],
            "summary": { "errors": 1, "warnings": 1, "infos": 0 }
        });
        assert_eq!(value, expected);

        // Key order is part of the interface; `Value` comparison ignores it,
        // so check the order of the top-level and per-diagnostic keys in the
        // text itself.
        let positions = |keys: &[&str]| -> Vec<usize> {
            keys.iter()
                .map(|k| text.find(&format!("\"{k}\":")).expect("key present"))
                .collect()
        };
        let top = positions(&["version", "files", "diagnostics", "summary"]);
        assert!(top.is_sorted(), "top-level keys out of order: {top:?}");
        let diag = positions(&[
            "rule",
            "severity",
            "message",
            "help",
            "component",
            "datacenter",
            "file",
            "span",
            "related",
        ]);
        assert!(diag.is_sorted(), "diagnostic keys out of order: {diag:?}");
        let span = positions(&["line", "column", "offset", "length"]);
        assert!(span.is_sorted(), "span keys out of order: {span:?}");
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn json_of_a_clean_run() {
        let clean = FileReport {
            name: "a.arch",
            source: "system a\n",
            diagnostics: &[],
        };
        let value: serde_json::Value = serde_json::from_str(&json(&[clean])).expect("valid JSON");
        assert_eq!(
            value,
            serde_json::json!({
                "version": "0.1",
                "files": ["a.arch"],
                "diagnostics": [],
                "summary": { "errors": 0, "warnings": 0, "infos": 0 }
            })
        );
    }

    #[test]
    fn out_of_range_spans_are_clamped() {
        // A span past the end, and one starting inside `é`, must neither
        // panic nor point outside the text.
        let p = Position::at(&LineIndex::new(SOURCE), SOURCE, Span::new(200, 300));
        assert_eq!((p.start, p.end, p.line, p.column), (86, 86, 5, 1));
        let p = Position::at(&LineIndex::new(SOURCE), SOURCE, Span::new(18, 19));
        assert_eq!((p.start, p.end), (17, 19));
        assert_eq!((p.line, p.column, p.char_length), (2, 6, 1));
    }

    #[test]
    fn github_line_is_exact_and_escaped() {
        let diags = diagnostics();
        let text = github(&[report(&diags)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "::error file=examples/shop.arch,line=3,col=9,title=archc(spof)::`web` runs as one instance in `us-east`: losing it fails 100%25 of requests (help: set `replicas = 2` or more)",
                "::warning file=examples/shop.arch,line=4,col=10,title=archc(cache-ttl)::`db` is read through a cache with no `ttl`",
            ]
        );

        // Property values escape `:` and `,` as well; messages keep them but
        // escape line breaks.
        let odd = [Diagnostic::new(
            "x,y",
            Severity::Info,
            Span::new(0, 6),
            "a\r\nb: c, d",
        )];
        let report = FileReport {
            name: "C:\\designs\\50%,a.arch",
            source: SOURCE,
            diagnostics: &odd,
        };
        assert_eq!(
            github(&[report]),
            "::notice file=C%3A/designs/50%25%2Ca.arch,line=1,col=1,title=archc(x%2Cy)::a%0D%0Ab: c, d\n"
        );
    }

    #[test]
    fn sarif_validates_against_the_official_schema() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/schemas/sarif-schema-2.1.0.json"
        );
        let schema_text = std::fs::read_to_string(path).expect("SARIF schema readable");
        let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema is JSON");
        let validator = jsonschema::draft4::new(&schema).expect("schema compiles");
        // The validator must be able to fail, or the check below proves
        // nothing: a driver without its required `name` is rejected.
        let broken = serde_json::json!({
            "version": "2.1.0",
            "runs": [{ "tool": { "driver": {} }, "results": [] }]
        });
        assert!(!validator.is_valid(&broken));

        let diags = diagnostics();
        let clean = FileReport {
            name: "dir with space/ok.arch",
            source: "system ok\n",
            diagnostics: &[],
        };
        let text = sarif(&[report(&diags), clean], &rules());
        let log: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "schema errors: {errors:#?}\n{text}");

        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules array");
        let results = run["results"].as_array().expect("results array");
        assert_eq!(results.len(), 2);
        // `cache-ttl` is not among the rules given, so it gets a descriptor
        // of its own at the end, with the finding's severity.
        let ids: Vec<&str> = rules
            .iter()
            .map(|r| r["id"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(ids, ["spof", "cache-ttl"]);
        assert_eq!(rules[1]["defaultConfiguration"]["level"], "warning");
        assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
        assert_eq!(rules[0]["properties"]["category"], "redundancy");
        assert_eq!(
            rules[0]["help"]["markdown"],
            "## What it flags\n\nA component copy with a single instance."
        );
        for result in results {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
        }

        let spof = &results[0];
        assert_eq!(spof["level"], "error");
        assert_eq!(
            spof["message"]["text"],
            "`web` runs as one instance in `us-east`: losing it fails 100% of requests — help: set `replicas = 2` or more"
        );
        let location = &spof["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "examples/shop.arch");
        assert_eq!(
            location["region"],
            serde_json::json!({
                "startLine": 3, "startColumn": 9, "endLine": 3, "endColumn": 12,
                "charOffset": 29, "charLength": 3, "byteOffset": 32, "byteLength": 3
            })
        );
        let related = &spof["relatedLocations"][0];
        assert_eq!(related["id"], 0);
        assert_eq!(related["message"]["text"], "`replicas = 1` set here");
        assert_eq!(
            related["physicalLocation"]["region"],
            serde_json::json!({
                "startLine": 3, "startColumn": 32, "endLine": 3, "endColumn": 44,
                "charOffset": 52, "charLength": 12, "byteOffset": 56, "byteLength": 12
            })
        );
        assert_eq!(results[1]["level"], "warning");
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(
            log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["description"]["text"].is_string(),
            "the base id a relative location names is declared"
        );
    }

    #[test]
    fn sarif_locations_are_relative_to_srcroot_or_file_uris() {
        let relative = |u: &str| (u.to_string(), Some("%SRCROOT%"));
        let absolute = |u: &str| (u.to_string(), None);
        assert_eq!(
            file_uri("dir with space\\ok.arch"),
            relative("dir%20with%20space/ok.arch")
        );
        assert_eq!(file_uri("./a/b.arch"), relative("a/b.arch"));
        assert_eq!(file_uri("../up.arch"), relative("../up.arch"));
        assert_eq!(
            file_uri("/tmp/x y/a.arch"),
            absolute("file:///tmp/x%20y/a.arch")
        );
        assert_eq!(
            file_uri("C:\\designs\\a#1.arch"),
            absolute("file:///C:/designs/a%231.arch")
        );
        assert_eq!(
            file_uri("\\\\host\\share\\a.arch"),
            absolute("file://host/share/a.arch")
        );

        // A run with only absolute paths declares no base id.
        let diags = diagnostics();
        let mut r = report(&diags);
        r.name = "/abs/shop.arch";
        let log: serde_json::Value = serde_json::from_str(&sarif(&[r], &[])).expect("JSON");
        let location = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "file:///abs/shop.arch");
        assert!(location["artifactLocation"].get("uriBaseId").is_none());
        assert!(log["runs"][0].get("originalUriBaseIds").is_none());
    }

    #[test]
    fn human_output_shows_code_message_labels_and_summary() {
        let diags = diagnostics();
        let text = human(&[report(&diags)], false, 80);
        for needle in [
            "spof",
            "`web` runs as one instance in `us-east`",
            "the only copy of `web`",
            "`replicas = 1` set here",
            "help: set `replicas = 2` or more",
            "cache-ttl",
            "note: suppression `cache-ttl` expired on 2024-01-01",
            "1 error, 1 warning in examples/shop.arch\n",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
        assert!(!text.contains('\u{1b}'), "no colour codes without `color`");
        insta::assert_snapshot!(text, @r#"
        spof

          × `web` runs as one instance in `us-east`: losing it fails 100% of requests
           ╭─[examples/shop.arch:3:9]
         2 │ # café ☕
         3 │ service web { label = "naïve"; replicas = 1 }
           ·         ─┬─                    ──────┬─────
           ·          │                           ╰── `replicas = 1` set here
           ·          ╰── the only copy of `web`
         4 │ database db {}
           ╰────
          help: set `replicas = 2` or more

        cache-ttl

          ⚠ `db` is read through a cache with no `ttl`
           ╭─[examples/shop.arch:4:10]
         1 │ system shop
         2 │ # café ☕
           ·        ──
         3 │ service web { label = "naïve"; replicas = 1 }
         4 │ database db {}
           ·          ──
           ╰────

          note: suppression `cache-ttl` expired on 2024-01-01

        1 error, 1 warning in examples/shop.arch
        "#);
    }

    #[test]
    fn human_output_shows_a_label_at_the_end_of_the_file() {
        // A syntax error at the end of the input has an empty span after
        // the last character; miette alone would drop its label.
        for source in ["system a {\n  web\n", "system a {\n  web"] {
            let diags = [Diagnostic::error(
                Code::Syntax,
                Span::new(source.len(), source.len()),
                "unexpected end of file",
            )
            .label("expected `}`")];
            let report = FileReport {
                name: "eof.arch",
                source,
                diagnostics: &diags,
            };
            let text = human(&[report], false, 80);
            assert!(
                text.contains(" 2 │   web\n   ·      ▲\n   ·      ╰── expected `}`\n"),
                "label missing or misplaced for {source:?}:\n{text}"
            );
        }
    }

    #[test]
    fn human_output_in_colour_uses_ansi_codes() {
        let diags = diagnostics();
        let text = human(&[report(&diags)], true, 80);
        assert!(text.contains("\u{1b}["));
        assert!(!text.contains("\u{1b}]8;"), "no hyperlinks");
    }

    #[test]
    fn human_output_of_a_clean_run_is_the_summary_only() {
        let clean = FileReport {
            name: "a.arch",
            source: "system a\n",
            diagnostics: &[],
        };
        assert_eq!(human(&[clean], false, 80), "no findings in a.arch\n");
    }
}
