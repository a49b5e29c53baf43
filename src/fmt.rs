//! `archc fmt`: the canonical layout of a `.arch` file, comments kept.
//!
//! The layout: one statement per line; a block written on one line (and
//! holding no comment) stays on one line with two spaces between
//! attributes, otherwise one attribute per line indented by two with `=`
//! aligned;
//! `kind name` without braces when a block is empty; values normalised
//! (`[a, b]`, `{ "k" = 5% }`, `4..40`) with literals kept as written (`10M`
//! stays `10M`); at most one blank line between statements, kept where the
//! source had one. Comments stay attached to the statement or attribute
//! they precede, or to the line they end. Formatting is idempotent.

use crate::diagnostic::{Diagnostic, Span};
use crate::syntax::ast::*;

/// Formats a source, or returns its syntax errors.
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diags) = crate::syntax::parse(source);
    if diags.iter().any(|d| d.rule == "syntax") {
        return Err(diags);
    }
    if let Some(hoisted) = hoist_imports(source, &file) {
        // Once: the moved text has every import first, and is formatted
        // as it is even if it should not (a formatter must terminate).
        let (file, diags) = crate::syntax::parse(&hoisted);
        if diags.iter().any(|d| d.rule == "syntax") {
            return Err(diags);
        }
        return Ok(layout(&hoisted, &file));
    }
    Ok(layout(source, &file))
}

/// The canonical layout of a parsed source.
fn layout(source: &str, file: &File) -> String {
    let mut f = Formatter {
        src: source,
        comments: &file.comments,
        next_comment: 0,
        out: String::new(),
        last: 0,
    };
    for item in &file.items {
        let span = item.span();
        f.leading(span.start, "");
        f.gap(span.start);
        f.item(item);
        f.last = span.end;
    }
    // Comments after the last statement.
    f.leading(source.len(), "");
    f.out
}

/// Imports come first (after the `system` line): an `import` written after
/// other statements is moved up, with the comment lines directly above it.
/// Returns the moved text, or `None` when every import is in place.
fn hoist_imports(source: &str, file: &File) -> Option<String> {
    let header = file
        .items
        .iter()
        .take_while(|i| matches!(i, Item::System(_) | Item::Import(_)))
        .count();
    let late: Vec<Span> = file.items[header..]
        .iter()
        .filter_map(|i| match i {
            Item::Import(imp) => Some(imp.span),
            _ => None,
        })
        .collect();
    if late.is_empty() {
        return None;
    }
    let line_start = |at: usize| source[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = |at: usize| source[at..].find('\n').map_or(source.len(), |i| at + i + 1);
    // Each late import's text: its whole line (and the comment lines right
    // above it) when it stands alone on it, else only the statement, so
    // the statements sharing its line stay where they are.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for span in &late {
        let own_line = source[line_start(span.start)..span.start].trim().is_empty();
        let mut start = if own_line {
            line_start(span.start)
        } else {
            span.start
        };
        while own_line && start > 0 {
            let prev = line_start(start - 1);
            if source[prev..start].trim_start().starts_with('#') {
                start = prev;
            } else {
                break;
            }
        }
        let rest = &source[span.end..line_end(span.end)];
        let alone_after = rest.trim().is_empty() || rest.trim_start().starts_with('#');
        let end = if alone_after && own_line {
            line_end(span.end)
        } else {
            span.end
        };
        // Ranges never overlap: a later one starts after the earlier end.
        let start = start.max(ranges.last().map_or(0, |r| r.1));
        ranges.push((start, end.max(start)));
    }
    let insert_at = match header {
        0 => line_start(file.items[0].span().start),
        n => {
            // After the header's line, or right after its last statement
            // when other statements share that line.
            let e = file.items[n - 1].span().end;
            let rest = &source[e..line_end(e)];
            if rest.trim().is_empty() || rest.trim_start().starts_with('#') {
                line_end(e)
            } else {
                e
            }
        }
    }
    .min(ranges[0].0);
    // A blank line between the header and the moved imports.
    let mut moved = String::from(if header > 0 { "\n" } else { "" });
    for &(a, b) in &ranges {
        moved.push_str(source[a..b].trim_start_matches([' ', '\t']));
        if !moved.ends_with('\n') {
            moved.push('\n');
        }
    }
    let mut out = String::with_capacity(source.len() + 1);
    let mut at = 0;
    let mut inserted = false;
    for &(a, b) in &ranges {
        if !inserted && insert_at <= a {
            out.push_str(&source[at..insert_at]);
            out.push_str(&moved);
            at = insert_at;
            inserted = true;
        }
        out.push_str(&source[at..a]);
        at = b;
    }
    out.push_str(&source[at..]);
    Some(out)
}

/// Whether the text between two statements holds an empty line.
fn has_blank_line(between: &str) -> bool {
    let lines: Vec<&str> = between.split('\n').collect();
    lines.len() >= 3
        && lines[1..lines.len() - 1]
            .iter()
            .any(|l| l.trim().is_empty())
}

struct Formatter<'a> {
    src: &'a str,
    comments: &'a [Comment],
    next_comment: usize,
    out: String,
    /// End of the last thing emitted from the source, for blank lines.
    last: usize,
}

impl<'a> Formatter<'a> {
    fn text(&self, span: Span) -> &'a str {
        &self.src[span.start..span.end]
    }

    fn comments_before(&self, pos: usize) -> &'a [Comment] {
        let end = self.comments[self.next_comment..]
            .iter()
            .position(|c| c.span.start >= pos)
            .map_or(self.comments.len(), |p| self.next_comment + p);
        &self.comments[self.next_comment..end]
    }

    /// Emits the comments that start before `pos`, each on its own line,
    /// keeping one blank line wherever the source had any.
    fn leading(&mut self, pos: usize, indent: &str) {
        let cs = self.comments_before(pos);
        for c in cs {
            self.gap(c.span.start);
            self.out
                .push_str(&format!("{indent}#{}\n", c.text.trim_end()));
            self.last = c.span.end;
        }
        self.next_comment += cs.len();
    }

    /// One blank line before `pos` when the source has one since `last`
    /// (never at the start of the file or right after an opening brace).
    fn gap(&mut self, pos: usize) {
        if self.out.is_empty() || self.out.ends_with("{\n") || self.out.ends_with("\n\n") {
            return;
        }
        if has_blank_line(&self.src[self.last.min(pos)..pos]) {
            self.out.push('\n');
        }
    }

    /// A comment that ends the line `end` is on, if any.
    fn trailing(&mut self, end: usize) -> Option<String> {
        let c = self.comments.get(self.next_comment)?;
        let between = &self.src[end.min(c.span.start)..c.span.start];
        if c.span.start >= end && !between.contains('\n') {
            self.next_comment += 1;
            return Some(format!("#{}", c.text.trim_end()));
        }
        None
    }

    fn has_comments_within(&self, span: Span) -> bool {
        self.comments[self.next_comment..]
            .iter()
            .any(|c| c.span.start > span.start && c.span.start < span.end)
    }

    fn line(&mut self, text: &str, end: usize) {
        self.out.push_str(text);
        self.last = end;
        if let Some(t) = self.trailing(end) {
            self.out.push_str("  ");
            self.out.push_str(&t);
            self.last = self.comments[self.next_comment - 1].span.end;
        }
        self.out.push('\n');
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::System(s) => {
                let name = self.text(s.name.span).to_string();
                self.line(&format!("system {name}"), s.span.end);
            }
            Item::Import(i) => {
                let path = self.text(i.path_span).to_string();
                self.line(&format!("import {path}"), i.span.end);
            }
            Item::Singleton(s) => self.block(s.kind.as_str().to_string(), Some(&s.body), s.span),
            Item::Declaration(d) => {
                let mut head = format!("{} {}", d.kind.name, d.name.name);
                if !d.templates.is_empty() {
                    let names: Vec<&str> = d.templates.iter().map(|t| t.name.as_str()).collect();
                    head.push_str(&format!(" : {}", names.join(", ")));
                }
                self.block(head, d.body.as_ref(), d.span)
            }
            Item::Flow(fl) => {
                // Comments inside a multi-line chain move above it.
                self.leading(fl.span.end, "");
                let mut text = fl
                    .endpoints
                    .iter()
                    .map(|e| collapse(self.text(e.span)))
                    .collect::<Vec<_>>()
                    .join(" -> ");
                if let Some(ls) = fl.labels_span {
                    let inner = &self.text(ls)[1..ls.len() - 1];
                    let labels: Vec<String> = inner
                        .split(',')
                        .map(collapse)
                        .filter(|l| !l.is_empty())
                        .collect();
                    text.push_str(&format!("  [{}]", labels.join(", ")));
                }
                self.line(&text, fl.span.end);
            }
            Item::Scenario(sc) => {
                let name = self.text(sc.name.span).to_string();
                self.out.push_str(&format!("scenario {name} {{\n"));
                let mut lines: Vec<(Span, String)> = Vec::new();
                for a in &sc.attributes {
                    lines.push((
                        a.span,
                        format!("{} = {}", a.name.name, self.value(&a.value)),
                    ));
                }
                for e in &sc.events {
                    lines.push((e.span, collapse(self.text(e.span))));
                }
                for x in &sc.expectations {
                    lines.push((x.span, collapse(self.text(x.span))));
                }
                lines.sort_by_key(|(s, _)| s.start);
                for (span, text) in lines {
                    self.leading(span.start, "  ");
                    self.gap(span.start);
                    self.line(&format!("  {text}"), span.end);
                }
                self.leading(sc.span.end, "  ");
                self.out.push_str("}\n");
            }
        }
    }

    fn block(&mut self, head: String, body: Option<&Body>, span: Span) {
        let Some(body) = body.filter(|b| !b.attributes.is_empty()) else {
            if let Some(b) = body {
                // An empty block may still hold comments.
                self.out.push_str(&head);
                self.out.push('\n');
                self.leading(b.span.end, "  ");
                return;
            }
            self.line(&head, span.end);
            return;
        };
        // The author's choice of one line or several is kept; several
        // lines align their `=` like `terraform fmt`.
        let source_one_line = !self.text(body.span).contains('\n');
        let rendered: Vec<(String, String)> = body
            .attributes
            .iter()
            .map(|a| (a.name.name.clone(), self.value(&a.value)))
            .collect();
        if source_one_line && !self.has_comments_within(body.span) {
            let attrs: Vec<String> = rendered.iter().map(|(n, v)| format!("{n} = {v}")).collect();
            let one_line = format!("{head} {{ {} }}", attrs.join("  "));
            self.line(&one_line, span.end);
            return;
        }
        let width = rendered.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        self.out.push_str(&format!("{head} {{\n"));
        self.last = body.span.start + 1;
        for (a, (name, value)) in body.attributes.iter().zip(rendered) {
            self.leading(a.span.start, "  ");
            self.gap(a.span.start);
            self.line(&format!("  {name:width$} = {value}"), a.span.end);
        }
        self.leading(body.span.end, "  ");
        self.line("}", span.end);
    }

    fn value(&self, v: &Value) -> String {
        match &v.kind {
            ValueKind::Range(lo, hi) => format!("{}..{}", self.value(lo), self.value(hi)),
            ValueKind::List(items) => {
                format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|i| self.value(i))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            ValueKind::Map(entries) => {
                if entries.is_empty() {
                    return "{}".into();
                }
                let parts: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{} = {}", self.text(k.span), self.value(v)))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
            ValueKind::Call(f, args) => {
                format!(
                    "{}({})",
                    f.name,
                    args.iter()
                        .map(|a| self.value(a))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            _ => self.text(v.span).to_string(),
        }
    }
}

/// Collapses runs of whitespace to one space (for lines without strings).
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
