//! `textDocument/codeAction`: quick fixes for the diagnostics the client
//! sends back.
//!
//! - A "did you mean `X`?" diagnostic replaces the word at its range (or
//!   the rule name inside a suppression comment) with
//!   `X`. The suggestion travels in the diagnostic's `data` field
//!   (`{"replace": "X"}`), set when the server published it, so the check's
//!   own JSON and SARIF output stay as they are.
//! - A rule finding inside a component block or a flow statement can be
//!   allowed: `# allow(RULE): reason` is inserted above that statement,
//!   indented as it is (the suppression syntax of RULES.md). A finding
//!   elsewhere (the `system` line, a datacenter) gets no such action: a
//!   comment there covers nothing and is itself reported.
//! - `cache-ttl` adds `ttl = 10m` (the value the rule's help suggests) to
//!   the cache's block.

use super::scan::{self, Tok, TokKind};
use super::{State, offset_of, position, uri_to_path};
use archc::diagnostic::Diagnostic;
use lsp_types as lt;
use std::collections::HashMap;

/// A word the language could hold at a diagnostic's span.
fn is_word(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The `data` of a diagnostic in `text` (its file's text): the word its
/// "did you mean" suggests, when the diagnostic's span is the one word to
/// replace.
///
/// A suppression of an unknown rule points at its whole comment; its word
/// is the rule name inside `allow(…)`, whose range `data` then carries
/// (`{"replace": "spof", "range": …}`).
pub(super) fn data(d: &Diagnostic, text: &str) -> Option<serde_json::Value> {
    let suggestion = d.suggestion.as_deref()?;
    let (start, end) = (d.primary.span.start, d.primary.span.end);
    let found = text.get(start..end)?;
    if !is_word(suggestion) {
        return None;
    }
    if is_word(found) {
        return (found != suggestion).then(|| serde_json::json!({ "replace": suggestion }));
    }
    // `# allow(spff): reason`: the name between `(` and `)`.
    let open = found.find("allow(")? + "allow(".len();
    let close = open + found[open..].find(')')?;
    let name = found[open..close].trim();
    let name_start = start + open + found[open..close].find(name)?;
    (is_word(name) && name != suggestion).then(|| {
        serde_json::json!({
            "replace": suggestion,
            "range": super::range(text, name_start, name_start + name.len()),
        })
    })
}

pub(super) fn code_actions(
    state: &State,
    p: &lt::CodeActionParams,
) -> Vec<lt::CodeActionOrCommand> {
    let path = uri_to_path(&p.text_document.uri);
    let Some(text) = state.docs.get(&path) else {
        return Vec::new();
    };
    let uri = &p.text_document.uri;
    let mut out = Vec::new();
    for d in &p.context.diagnostics {
        if d.source.as_deref() != Some("archc") {
            continue;
        }
        if let Some(word) = d
            .data
            .as_ref()
            .and_then(|v| v.get("replace"))
            .and_then(|v| v.as_str())
            .filter(|w| is_word(w))
        {
            let range = d
                .data
                .as_ref()
                .and_then(|v| v.get("range"))
                .and_then(|r| serde_json::from_value::<lt::Range>(r.clone()).ok())
                .unwrap_or(d.range);
            out.push(action(
                format!("Replace with `{word}`"),
                d,
                uri,
                vec![lt::TextEdit {
                    range,
                    new_text: word.to_string(),
                }],
                true,
            ));
        }
        let Some(lt::NumberOrString::String(rule)) = &d.code else {
            continue;
        };
        if archc::rules::lookup(rule).is_none() {
            continue;
        }
        let Some(at) = offset_of(text, d.range.start) else {
            continue;
        };
        if rule == "cache-ttl"
            && let Some(edit) = add_ttl(text, at)
        {
            out.push(action(
                "Add `ttl = 10m` to the cache".into(),
                d,
                uri,
                vec![edit],
                true,
            ));
        }
        let start = statement_start(text, at);
        if !coverable(text, start) {
            continue;
        }
        let line = line_start(text, start);
        let indent: String = text[line..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let pos = position(text, line);
        out.push(action(
            format!("Allow `{rule}` here (`# allow({rule}): reason`)"),
            d,
            uri,
            vec![lt::TextEdit {
                range: lt::Range {
                    start: pos,
                    end: pos,
                },
                new_text: format!("{indent}# allow({rule}): reason\n"),
            }],
            false,
        ));
    }
    out
}

fn action(
    title: String,
    d: &lt::Diagnostic,
    uri: &lt::Uri,
    edits: Vec<lt::TextEdit>,
    preferred: bool,
) -> lt::CodeActionOrCommand {
    lt::CodeActionOrCommand::CodeAction(lt::CodeAction {
        title,
        kind: Some(lt::CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![d.clone()]),
        edit: Some(lt::WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..Default::default()
        }),
        is_preferred: preferred.then_some(true),
        ..Default::default()
    })
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

/// Where the top-level statement holding `offset` starts: the header of
/// the outermost block open there, else `offset` itself (a flow, or a
/// block's own header line).
fn statement_start(text: &str, offset: usize) -> usize {
    let toks = scan::lex(text);
    let mut depth = 0usize;
    let mut outer_header: Option<usize> = None;
    for (i, t) in toks.iter().enumerate() {
        if t.start >= offset {
            break;
        }
        match (t.kind, t.text) {
            (TokKind::Punct, "{") => {
                if depth == 0 {
                    outer_header = Some(header_start(&toks, i));
                }
                depth += 1;
            }
            (TokKind::Punct, "}") => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    outer_header = None;
                }
            }
            _ => {}
        }
    }
    outer_header.unwrap_or(offset)
}

/// Whether the statement starting at `start` is one a suppression can
/// cover: a component block or a flow (not `system`, `datacenter`, a
/// singleton block or a scenario, where `# allow` is itself reported).
fn coverable(text: &str, start: usize) -> bool {
    let toks = scan::lex(&text[line_start(text, start)..]);
    let Some(first) = toks.first() else {
        return false;
    };
    archc::model::Kind::parse(first.text).is_some()
        || toks
            .iter()
            .take_while(|t| t.line == first.line)
            .any(|t| t.text == "->")
}

/// The first token of the header of the `{` at `open`: the tokens before
/// it on its line (or the line before, when the brace starts its line).
fn header_start(toks: &[Tok], open: usize) -> usize {
    let line = toks[open].line;
    let mut j = open;
    while j > 0 && toks[j - 1].line == line && !matches!(toks[j - 1].text, "{" | "}" | ";") {
        j -= 1;
    }
    if j == open && open > 0 {
        let prev = toks[open - 1].line;
        while j > 0 && toks[j - 1].line == prev && !matches!(toks[j - 1].text, "{" | "}" | ";") {
            j -= 1;
        }
    }
    toks.get(j).map_or(0, |t| t.start)
}

/// The edit adding `ttl = 10m` to the block of the cache named at `name`.
fn add_ttl(text: &str, name: usize) -> Option<lt::TextEdit> {
    let toks = scan::lex(text);
    let i = toks
        .iter()
        .position(|t| t.start == name && t.kind == TokKind::Ident)?;
    let line = toks[i].line;
    // The header runs on to `{` (past a `: template` list) on its line.
    let mut k = i;
    while let Some(t) = toks.get(k + 1) {
        if t.line != line || t.text == "{" {
            break;
        }
        k += 1;
    }
    let insert = |at: usize, s: String| {
        let pos = position(text, at);
        Some(lt::TextEdit {
            range: lt::Range {
                start: pos,
                end: pos,
            },
            new_text: s,
        })
    };
    let open = match toks.get(k + 1) {
        Some(t) if t.text == "{" => k + 1,
        // `cache hot` without braces.
        _ => return insert(toks[k].end, " { ttl = 10m }".into()),
    };
    let mut depth = 0;
    let close = toks[open..].iter().position(|t| {
        match t.text {
            "{" => depth += 1,
            "}" => depth -= 1,
            _ => {}
        }
        depth == 0
    })? + open;
    if toks[close].line == toks[open].line {
        return insert(toks[close].start, " ttl = 10m ".into());
    }
    // One attribute per line: a new first line, indented as the next one.
    let after_open = text[toks[open].end..].find('\n')? + toks[open].end + 1;
    let header_indent: String = text[line_start(text, toks[i].start)..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let indent = if open + 1 != close {
        let next = line_start(text, toks[open + 1].start);
        text[next..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect()
    } else {
        format!("{header_indent}  ")
    };
    insert(after_open, format!("{indent}ttl = 10m\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_offset_panics_and_ttl_lands_in_the_block() {
        let texts = [
            include_str!("../../../examples/09-sharded-db.arch"),
            "cache hot",
            "cache hot {",
            "cache hot { }",
            "cache hot {\n}\n",
            "cache hot : t { memory = 1GB }\n",
            "cache é😀 { \"",
        ];
        for text in texts {
            for offset in 0..=text.len() + 1 {
                let _ = add_ttl(text, offset);
                let s = statement_start(text, offset);
                assert!(s <= text.len().max(offset));
            }
        }
        let edited = |text: &str| {
            let e = add_ttl(text, text.find("hot").expect("hot")).expect("an edit");
            let at = super::super::offset_of(text, e.range.start).expect("in the text");
            format!("{}{}{}", &text[..at], e.new_text, &text[at..])
        };
        assert_eq!(edited("cache hot\n"), "cache hot { ttl = 10m }\n");
        assert_eq!(
            edited("cache hot : t { memory = 1GB }\n"),
            "cache hot : t { memory = 1GB  ttl = 10m }\n"
        );
        assert_eq!(edited("cache hot {\n}\n"), "cache hot {\n  ttl = 10m\n}\n");
        assert_eq!(
            edited("  cache hot {\n    memory = 1GB\n  }\n"),
            "  cache hot {\n    ttl = 10m\n    memory = 1GB\n  }\n"
        );
    }

    #[test]
    fn allow_goes_above_the_block_holding_the_finding() {
        let text = "client u\n\nservice web {\n  replicas = 1\n}\nu -> web\n";
        let inside = text.find("replicas").expect("replicas");
        assert_eq!(
            statement_start(text, inside),
            text.find("service").expect("service")
        );
        assert!(coverable(text, text.find("service").expect("service")));
        assert!(!coverable("system s\n", 0));
        assert!(!coverable("datacenter a { weight = 5% }\n", 0));
        let flow = text.find("-> web").expect("flow");
        assert!(coverable(text, line_start(text, flow)));
        assert_eq!(
            line_start(text, statement_start(text, flow)),
            text.find("u ->").expect("u")
        );
    }
}
