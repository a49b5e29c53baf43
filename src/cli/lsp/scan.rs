//! What the text around the cursor is, read from the buffer itself rather
//! than from a compile: the user is mid-typing, so the file seldom parses.
//! A small tolerant lexer finds the enclosing block (by its keyword) and
//! the attribute, flow, scenario line or comment the cursor is in.
//! Completion and hover both start here.

use archc::model::Kind;
use archc::model::schema::Block;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TokKind {
    Ident,
    Number,
    Str,
    Punct,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Tok<'a> {
    pub kind: TokKind,
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
    /// Whether a string token has its closing quote.
    pub closed: bool,
    /// The line (0-based) the token starts on.
    pub line: usize,
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// The tokens of `text`, comments skipped; never fails.
pub(super) fn lex(text: &str) -> Vec<Tok<'_>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_whitespace() {
            if c == b'\n' {
                line += 1;
            }
            i += 1;
            continue;
        }
        let kind = if c == b'"' {
            i += 1;
            let mut closed = false;
            while i < b.len() && b[i] != b'\n' {
                if b[i] == b'\\' {
                    i += 2;
                    continue;
                }
                if b[i] == b'"' {
                    i += 1;
                    closed = true;
                    break;
                }
                i += 1;
            }
            let end = i.min(b.len());
            out.push(Tok {
                kind: TokKind::Str,
                start,
                end,
                text: &text[start..end],
                closed,
                line,
            });
            i = end;
            continue;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && ident_char(b[i]) {
                // `web->db`: a `-` that starts an arrow ends the name.
                if b[i] == b'-' && b.get(i + 1) == Some(&b'>') {
                    break;
                }
                i += 1;
            }
            TokKind::Ident
        } else if c.is_ascii_digit() {
            while i < b.len()
                && (b[i].is_ascii_digit() || (b[i] == b'.' && b.get(i + 1) != Some(&b'.')))
            {
                i += 1;
            }
            // A unit or magnitude written right after the number.
            while i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'%' || b[i] == b'/') {
                i += 1;
            }
            TokKind::Number
        } else {
            let two = b.get(i..i + 2);
            i += match two {
                Some(b"->") | Some(b"..") | Some(b"<=") | Some(b">=") => 2,
                _ => text[i..].chars().next().map_or(1, char::len_utf8),
            };
            TokKind::Punct
        };
        out.push(Tok {
            kind,
            start,
            end: i,
            text: &text[start..i],
            closed: true,
            line,
        });
    }
    out
}

/// What a `{` opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Frame {
    Block(Block),
    Template,
    /// A map value (`hot_keys = { … }`) or a block of an unknown keyword.
    Other,
}

/// The line number (0-based) of `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&c| c == b'\n')
        .count()
}

/// The open frames at the end of `toks`, each with the index of its `{`
/// and of the first token of its header.
fn frames(toks: &[Tok]) -> Vec<(Frame, usize, usize)> {
    let mut stack: Vec<(Frame, usize, usize)> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.text {
            "{" if t.kind == TokKind::Punct => {
                let line = t.line;
                // The header: the tokens before `{` on its line, or on the
                // line before when the brace starts its line.
                let back = |from: usize, on: usize| {
                    let mut j = from;
                    while j > 0 {
                        let p = &toks[j - 1];
                        if p.line != on
                            || (p.kind == TokKind::Punct && matches!(p.text, "{" | "}" | ";"))
                        {
                            break;
                        }
                        j -= 1;
                    }
                    j
                };
                let mut j = back(i, line);
                if j == i && line > 0 {
                    j = back(i, line - 1);
                }
                let header = &toks[j..i];
                let frame = if header.iter().any(|h| h.text == "=") || header.is_empty() {
                    Frame::Other
                } else if header[0].text == "template" {
                    Frame::Template
                } else {
                    Block::from_keyword(header[0].text).map_or(Frame::Other, Frame::Block)
                };
                stack.push((frame, i, j));
            }
            "}" if t.kind == TokKind::Punct => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack
}

/// Where the cursor is, for completion.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Ctx {
    /// The start of a top-level statement: a kind or keyword, or a
    /// component name starting a flow.
    TopLevel,
    /// An attribute name inside a block.
    AttrName(Frame),
    /// An attribute's value (a word), after `name =`.
    AttrValue(Frame, String),
    /// Inside a list value of `name` (`datacenters = [us-east, |`).
    ListValue(Frame, String),
    /// A number being typed as the value of `name`: its byte range.
    Unit(Frame, String, usize, usize),
    /// A component name in a flow (`a -> |`).
    Flow,
    /// A request class inside a flow's `[...]`.
    FlowClass,
    /// A template after `KIND NAME :`.
    Template,
    /// A scenario's event target (`at 1m fail |`, `utilization(|`).
    Target,
    /// A datacenter after `@` in a target.
    TargetDc,
    /// A database's member after `DB.` in a target (`photos.primary@dc`).
    Member,
    /// The action after `at T`.
    ScenarioEvent,
    /// The metric after `expect`.
    Metric,
    /// A rule name inside `# allow(`.
    Allow,
    /// A path inside `import "`: what was typed so far.
    Import(String),
    Nothing,
}

/// The identifier or number the cursor ends, and where it starts.
pub(super) fn partial_start(text: &str, offset: usize) -> usize {
    let b = text.as_bytes();
    let back = |more: &dyn Fn(u8) -> bool| {
        let mut s = offset;
        while s > 0 && (ident_char(b[s - 1]) || more(b[s - 1])) {
            s -= 1;
        }
        // `web->`: an arrow or a dash is no part of the word.
        while s < offset && !(b[s].is_ascii_alphanumeric() || b[s] == b'_') {
            s += 1;
        }
        s
    };
    // A number with its unit (`1.5k/s`, `95%`), else a name.
    let s = back(&|c| matches!(c, b'.' | b'%' | b'/'));
    if b.get(s).is_some_and(u8::is_ascii_digit) {
        s
    } else {
        back(&|_| false)
    }
}

/// The text of the line holding `offset`, up to `offset`.
fn line_before(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    &text[start..offset]
}

/// The position of a `#` that starts a comment in `line` (not one inside
/// a string).
fn comment_start(line: &str) -> Option<usize> {
    let mut in_str = false;
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'#' if !in_str => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether the comment text before the cursor is inside `allow(`: the
/// rule list is open and the cursor is on a rule name.
fn in_allow(comment: &str) -> bool {
    let body = comment.trim_start_matches('#').trim_start();
    let Some(rest) = body.strip_prefix("allow(") else {
        return false;
    };
    !rest.contains(')')
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ',' || c == ' ')
}

/// The cursor's context at byte `offset` of `text`.
pub(super) fn context(text: &str, offset: usize) -> Ctx {
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return Ctx::Nothing;
    }
    let line = line_before(text, offset);
    if let Some(hash) = comment_start(line) {
        return if in_allow(&line[hash..]) {
            Ctx::Allow
        } else {
            Ctx::Nothing
        };
    }
    let all = lex(text);
    let pstart = partial_start(text, offset);
    // The tokens before the word being typed.
    let before: Vec<Tok> = all.iter().copied().filter(|t| t.end <= pstart).collect();
    // Inside a string: only an import path completes.
    if let Some(s) = all
        .iter()
        .find(|t| t.kind == TokKind::Str && t.start < offset && (offset < t.end || !t.closed))
    {
        let first_on_line = all.iter().find(|t| t.line == s.line);
        if first_on_line.is_some_and(|f| f.text == "import") {
            return Ctx::Import(text[s.start + 1..offset].to_string());
        }
        return Ctx::Nothing;
    }
    let partial = &text[pstart..offset];
    let stack = frames(&before);
    let cursor_line = line_of(text, offset);
    let on_line: Vec<Tok> = before
        .iter()
        .copied()
        .filter(|t| t.line == cursor_line)
        .collect();
    match stack.last() {
        None => top_level(&on_line),
        Some((Frame::Other, _, _)) => Ctx::Nothing,
        Some((frame @ Frame::Block(Block::Scenario), open, _)) => {
            // A scenario's statements are lines: only the cursor's counts.
            let line_toks: Vec<Tok> = on_line
                .iter()
                .copied()
                .filter(|t| t.start > before[*open].start)
                .collect();
            scenario(*frame, &line_toks, partial, pstart, offset)
        }
        Some((frame, open, _)) => in_block(*frame, &before[open + 1..], partial, pstart, offset),
    }
}

fn top_level(on_line: &[Tok]) -> Ctx {
    // Skip a block closed earlier on the line.
    let start = on_line
        .iter()
        .rposition(|t| t.text == "}")
        .map_or(0, |i| i + 1);
    let toks = &on_line[start..];
    if toks.is_empty() {
        return Ctx::TopLevel;
    }
    if toks.iter().any(|t| t.text == "->") {
        let open = toks.iter().rposition(|t| t.text == "[");
        let close = toks.iter().rposition(|t| t.text == "]");
        return match (open, close) {
            (Some(o), c) if c.is_none_or(|c| c < o) => Ctx::FlowClass,
            (Some(_), _) => Ctx::Nothing,
            _ if toks.last().is_some_and(|t| t.text == "->" || t.text == ",") => Ctx::Flow,
            _ => Ctx::Nothing,
        };
    }
    let is_decl = Kind::parse(toks[0].text).is_some() || toks[0].text == "template";
    if is_decl && toks.iter().any(|t| t.text == ":") {
        return match toks.last().map(|t| t.text) {
            Some(":") | Some(",") => Ctx::Template,
            _ => Ctx::Nothing,
        };
    }
    Ctx::Nothing
}

fn scenario(frame: Frame, line: &[Tok], partial: &str, pstart: usize, offset: usize) -> Ctx {
    let Some(first) = line.first() else {
        return Ctx::AttrName(frame);
    };
    let last = line.last().map_or("", |t| t.text);
    match first.text {
        "at" => {
            if last == "@" {
                return Ctx::TargetDc;
            }
            if last == "." {
                return Ctx::Member;
            }
            if line.iter().any(|t| matches!(t.text, "fail" | "recover")) {
                return match last {
                    "fail" | "recover" | "of" => Ctx::Target,
                    _ => Ctx::Nothing,
                };
            }
            if line.len() == 2 && line[1].kind == TokKind::Number {
                return Ctx::ScenarioEvent;
            }
            Ctx::Nothing
        }
        "expect" => match last {
            "@" => Ctx::TargetDc,
            "(" => Ctx::Target,
            "expect" => Ctx::Metric,
            _ => Ctx::Nothing,
        },
        _ => in_block(frame, line, partial, pstart, offset),
    }
}

/// Where the attributes `inner` (the tokens of a block since its `{`)
/// leave the cursor.
fn in_block(frame: Frame, inner: &[Tok], partial: &str, pstart: usize, offset: usize) -> Ctx {
    enum S<'a> {
        /// Where an attribute name goes.
        Name,
        AfterName(&'a str),
        AfterEq(&'a str),
        /// In the value of an attribute, this deep in brackets.
        Value(&'a str, u32),
    }
    let mut s = S::Name;
    for t in inner {
        let open = t.kind == TokKind::Punct && matches!(t.text, "[" | "(" | "{");
        let close = t.kind == TokKind::Punct && matches!(t.text, "]" | ")" | "}");
        s = match s {
            S::Name | S::Value(_, 0) if t.text == ";" => S::Name,
            S::Value(n, 0) if t.text == ".." => S::AfterEq(n),
            // A call's name, then its `(`: still the same value.
            S::Value(n, 0) if t.text == "(" => S::Value(n, 1),
            S::Name | S::Value(_, 0) => match t.kind {
                TokKind::Ident => S::AfterName(t.text),
                _ => S::Name,
            },
            S::AfterName(n) if t.text == "=" => S::AfterEq(n),
            S::AfterName(_) => match t.kind {
                TokKind::Ident => S::AfterName(t.text),
                _ => S::Name,
            },
            S::AfterEq(n) if open => S::Value(n, 1),
            S::AfterEq(n) => S::Value(n, 0),
            S::Value(n, d) if open => S::Value(n, d + 1),
            S::Value(n, d) if close => S::Value(n, d - 1),
            S::Value(n, d) => S::Value(n, d),
        };
    }
    match s {
        // After a complete value a new name starts (`replicas = 2  cap|`).
        S::Name | S::Value(_, 0) => Ctx::AttrName(frame),
        S::AfterName(_) => Ctx::Nothing,
        S::AfterEq(n) if partial.starts_with(|c: char| c.is_ascii_digit()) => {
            Ctx::Unit(frame, n.to_string(), pstart, offset)
        }
        S::AfterEq(n) => Ctx::AttrValue(frame, n.to_string()),
        S::Value(n, _) => match inner.last().map(|t| t.text) {
            Some("[") | Some(",") => Ctx::ListValue(frame, n.to_string()),
            _ => Ctx::Nothing,
        },
    }
}

/// The attribute names set in the innermost block open at `offset`, the
/// whole block (after the cursor too), except the word at the cursor.
pub(super) fn set_in_block(text: &str, offset: usize) -> Vec<String> {
    let offset = offset.min(text.len());
    let all = lex(text);
    let pstart = partial_start(text, offset);
    let before = all.iter().take_while(|t| t.end <= pstart).count();
    let Some(&(_, open, _)) = frames(&all[..before]).last() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut depth = 0u32;
    for (i, t) in all.iter().enumerate().skip(open + 1) {
        match t.text {
            "{" | "[" | "(" if t.kind == TokKind::Punct => depth += 1,
            "}" | "]" | ")" if t.kind == TokKind::Punct => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            _ if depth == 0
                && t.kind == TokKind::Ident
                && t.start != pstart
                && all.get(i + 1).is_some_and(|n| n.text == "=") =>
            {
                out.push(t.text.to_string());
            }
            _ => {}
        }
    }
    out
}

/// Names declared in a buffer, found without compiling it.
#[derive(Default)]
pub(super) struct Declared {
    /// Component name → its kind.
    pub components: BTreeMap<String, Kind>,
    pub datacenters: Vec<String>,
    pub templates: Vec<String>,
}

/// The declarations of `text`: a line that starts with a kind,
/// `datacenter` or `template` and a name. A block left open above (the
/// user is typing in it) does not hide the declarations below it, since no
/// attribute line has that shape.
pub(super) fn declared(text: &str) -> Declared {
    let toks = lex(text);
    let mut out = Declared::default();
    for (i, t) in toks.iter().enumerate() {
        if t.kind != TokKind::Ident {
            continue;
        }
        let Some(name) = toks.get(i + 1).filter(|n| n.kind == TokKind::Ident) else {
            continue;
        };
        let starts_line = i == 0 || toks[i - 1].line != t.line;
        if !starts_line {
            continue;
        }
        let name = name.text.to_string();
        match t.text {
            "datacenter" => out.datacenters.push(name),
            "template" => out.templates.push(name),
            w => {
                if let Some(k) = Kind::parse(w) {
                    out.components.insert(name, k);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Ctx {
        let offset = text.find('|').expect("a cursor");
        let t = text.replace('|', "");
        context(&t, offset)
    }

    #[test]
    fn contexts() {
        let svc = Frame::Block(Block::Component(Kind::Service));
        assert_eq!(at("service web {\n  |\n}\n"), Ctx::AttrName(svc));
        assert_eq!(at("service web {\n  capa|\n}\n"), Ctx::AttrName(svc));
        assert_eq!(
            at("service web {\n  replicas = 2\n  cap|"),
            Ctx::AttrName(svc)
        );
        assert_eq!(
            at("service web { autoscale = 4..40  timeout = |"),
            Ctx::AttrValue(svc, "timeout".into())
        );
        assert_eq!(
            at("service web {\n  capacity = 800|\n}\n"),
            Ctx::Unit(svc, "capacity".into(), 27, 30)
        );
        assert_eq!(
            at("service web {\n  datacenters = [us-east, |]\n}\n"),
            Ctx::ListValue(svc, "datacenters".into())
        );
        assert_eq!(at("|"), Ctx::TopLevel);
        assert_eq!(at("service web\nse|"), Ctx::TopLevel);
        assert_eq!(at("a -> b -> |"), Ctx::Flow);
        assert_eq!(at("a->|"), Ctx::Flow);
        assert_eq!(at("a -> b [re|"), Ctx::FlowClass);
        assert_eq!(at("service web : |"), Ctx::Template);
        assert_eq!(at("# allow(|"), Ctx::Allow);
        assert_eq!(at("web -> db # allow(sp|"), Ctx::Allow);
        assert_eq!(at("# a comment |"), Ctx::Nothing);
        assert_eq!(at("import \"plat|"), Ctx::Import("plat".into()));
        assert_eq!(at("database d {\n  hot_keys = { \"a\" = |"), Ctx::Nothing);
        assert_eq!(at("scenario s {\n  at 1m fail |"), Ctx::Target);
        assert_eq!(at("scenario s {\n  at 1m fail web@|"), Ctx::TargetDc);
        assert_eq!(at("scenario s {\n  at 1m |"), Ctx::ScenarioEvent);
        assert_eq!(at("scenario s {\n  at 1m fail photos.|"), Ctx::Member);
        assert_eq!(at("scenario s {\n  expect |"), Ctx::Metric);
        assert_eq!(
            at("scenario s {\n  |"),
            Ctx::AttrName(Frame::Block(Block::Scenario))
        );
        assert_eq!(at("template t {\n  |"), Ctx::AttrName(Frame::Template));
        // Bad input: a cursor past the end, in the middle of a character.
        assert_eq!(context("é", 1), Ctx::Nothing);
        assert_eq!(context("", 10), Ctx::TopLevel);
    }

    #[test]
    fn attributes_set_in_the_block_around_the_cursor() {
        let text =
            "service web {\n  replicas = 2\n  cap\n  timeout = 2s\n}\ncache c { ttl = 1m }\n";
        let at = text.find("cap").expect("cap") + 3;
        assert_eq!(set_in_block(text, at), ["replicas", "timeout"]);
        assert!(set_in_block(text, text.len()).is_empty());
    }

    #[test]
    fn declarations_are_found_in_broken_text() {
        let d = declared(
            "datacenter us { weight = 50% }\nservice web {\n  capa\ncache hot\ntemplate t { }\n",
        );
        assert_eq!(d.datacenters, ["us"]);
        assert_eq!(d.templates, ["t"]);
        assert_eq!(d.components.get("web"), Some(&Kind::Service));
        assert_eq!(d.components.get("hot"), Some(&Kind::Cache));
    }
}
