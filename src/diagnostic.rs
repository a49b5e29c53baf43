//! Diagnostics: the one shape every stage reports in.
//!
//! A [`Diagnostic`] carries a stable rule name (compile-error names such as
//! `syntax` or `unknown-attribute`, or a lint rule name), a severity, a
//! lowercase message, a help line in the imperative, a primary labelled span
//! and any related spans. Rendering (miette, JSON, SARIF, GitHub) lives in
//! [`crate::render`]; nothing here does I/O.

use serde::Serialize;

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

impl From<pest::Span<'_>> for Span {
    fn from(s: pest::Span<'_>) -> Self {
        Span::new(s.start(), s.end())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    // Declared most severe first so sorting by severity puts errors first.
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// A span with the text shown beside it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
    /// The file holding the span when it is not the diagnostic's own file
    /// (set by [`crate::sources::SourceMap::split`]; `None` before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Label {
            span,
            message: message.into(),
            file: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Stable name: a compile-error name (`syntax`, `type-mismatch`, …) or a
    /// rule name (`spof`, …). Never reused for a different problem.
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub primary: Label,
    pub related: Vec<Label>,
    /// Extra lines shown after the help (an expired suppression, …).
    pub notes: Vec<String>,
    pub component: Option<String>,
    pub datacenter: Option<String>,
    /// The name that should replace the one the primary span names (or,
    /// for a suppression, the rule name inside its `allow(…)`): the
    /// did-you-mean, kept apart from the help's wording so that an editor's
    /// quick fix does not depend on it. Not part of any output format.
    #[serde(skip)]
    pub suggestion: Option<String>,
}

impl Diagnostic {
    /// A compile diagnostic under `code`, at the code's severity.
    pub fn error(code: crate::codes::Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic::new(code.as_str(), code.severity(), span, message)
    }

    /// The compile-diagnostic code this carries, if it is one (lint rules
    /// are not).
    pub fn code(&self) -> Option<crate::codes::Code> {
        crate::codes::Code::from_name(&self.rule)
    }

    pub fn new(rule: &str, severity: Severity, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            rule: rule.to_string(),
            severity,
            message: message.into(),
            help: None,
            primary: Label::new(span, ""),
            related: Vec::new(),
            notes: Vec::new(),
            component: None,
            datacenter: None,
            suggestion: None,
        }
    }

    /// The text shown at the primary span.
    pub fn label(mut self, text: impl Into<String>) -> Self {
        self.primary.message = text.into();
        self
    }

    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.help = Some(text.into());
        self
    }

    /// The help "did you mean `WORD`?", and `WORD` as the suggestion.
    pub fn suggest(self, word: impl Into<String>) -> Self {
        let word = word.into();
        self.help(format!("did you mean `{word}`?"))
            .suggestion(word)
    }

    /// `word` as the suggestion, the help left as it is.
    pub fn suggestion(mut self, word: impl Into<String>) -> Self {
        self.suggestion = Some(word.into());
        self
    }

    pub fn related(mut self, span: Span, text: impl Into<String>) -> Self {
        self.related.push(Label::new(span, text));
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.notes.push(text.into());
        self
    }

    pub fn component(mut self, name: impl Into<String>) -> Self {
        self.component = Some(name.into());
        self
    }

    pub fn datacenter(mut self, name: Option<impl Into<String>>) -> Self {
        self.datacenter = name.map(Into::into);
        self
    }

    /// Sort key: position first, then severity, then name and message, so
    /// output order never depends on the order analyses ran in.
    pub fn sort_key(&self) -> (usize, usize, Severity, &str, &str) {
        (
            self.primary.span.start,
            self.primary.span.end,
            self.severity,
            self.rule.as_str(),
            self.message.as_str(),
        )
    }
}

/// Sorts diagnostics into their stable output order and drops exact repeats.
pub fn sort_diagnostics(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup();
}

/// Longest name, in bytes, that `did_you_mean` compares.
const MAX_SUGGESTED_LEN: usize = 256;

/// The closest candidate to `word` by edit distance, when it is close enough
/// to be worth suggesting.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Both string metrics cost the product of the two lengths: on a hostile
    // 100,000-character name one comparison took 20 s. No one misspells a
    // name that long by a letter or two, so such names get no suggestion.
    if word.len() > MAX_SUGGESTED_LEN {
        return None;
    }
    // The fewest edits win (a swapped pair of letters is one edit, so `wbe`
    // means `web`, not `db`); among equals, the higher Jaro-Winkler score
    // (which favours a shared prefix); among those, the first candidate.
    let mut best: Option<(usize, f64, &str)> = None;
    for c in candidates {
        if c.len() > MAX_SUGGESTED_LEN {
            continue;
        }
        let score = strsim::jaro_winkler(word, c);
        let dist = strsim::damerau_levenshtein(word, c);
        let close = dist <= 2.max(word.len() / 4) || score >= 0.88;
        let better = best.is_none_or(|(d, s, _)| dist < d || (dist == d && score > s));
        if close && better {
            best = Some((dist, score, c));
        }
    }
    best.map(|(_, _, c)| c)
}

/// Line and column (both from 1, columns in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// What renderers (SARIF's rule index, `archc rules`) need to know of a rule
/// or compile-error name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    pub name: &'static str,
    pub severity: Severity,
    /// `redundancy`, `state`, `data`, `cache`, `cdn`, `network`,
    /// `capacity`, `operations`, or `compile` for compile errors.
    pub category: &'static str,
    /// One line: the change that removes the finding.
    pub summary: &'static str,
    /// The full documentation (What it flags / Why it matters / Example /
    /// Instead), Markdown, as the doc comment gave it.
    pub doc: &'static str,
    /// Whether every finding needs traffic figures: such a rule is not run
    /// on a design without a `traffic` block.
    pub needs_traffic: bool,
}

impl RuleInfo {
    /// The documentation without the one leading space each `///` line
    /// carries.
    pub fn doc_text(&self) -> String {
        let lines: Vec<&str> = self
            .doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        lines.join("\n").trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggestions_prefer_the_fewest_edits() {
        let names = ["users", "web", "db", "cache"];
        // A swapped pair is one edit: `web`, though `db` is two edits too.
        assert_eq!(did_you_mean("wbe", names), Some("web"));
        assert_eq!(did_you_mean("dbb", names), Some("db"));
        assert_eq!(did_you_mean("cahce", names), Some("cache"));
        assert_eq!(did_you_mean("user", names), Some("users"));
        assert_eq!(did_you_mean("payments", names), None);
        // Keywords: `replica` is one letter from `replicas`.
        assert_eq!(
            did_you_mean("replica", ["latency", "replicas", "capacity"]),
            Some("replicas")
        );
    }
}
