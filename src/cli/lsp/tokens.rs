//! Semantic tokens (full document). A lexical pass finds every token
//! (comments, strings, numbers with their units, identifiers, `->`); the
//! file's parsed tree says what each identifier is (a kind, an attribute, a
//! component, a datacenter, a template, an enum value). While the file does
//! not parse, identifiers fall back to what they look like: a word before
//! `=` is an attribute, a kind word is a kind, a declared name is a symbol.

use super::navigate::{SymbolKind, declared};
use super::{State, doc_path};
use archc::syntax::ast::{self, Item, ValueKind};
use lsp_types as lt;
use std::collections::{BTreeMap, HashMap};

/// The token types, in legend order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum T {
    Keyword,
    Type,
    Property,
    Class,
    Namespace,
    Interface,
    EnumMember,
    Function,
    Event,
    Number,
    String,
    Comment,
    Operator,
}

const TYPES: [lt::SemanticTokenType; 13] = [
    lt::SemanticTokenType::KEYWORD,
    lt::SemanticTokenType::TYPE,
    lt::SemanticTokenType::PROPERTY,
    lt::SemanticTokenType::CLASS,
    lt::SemanticTokenType::NAMESPACE,
    lt::SemanticTokenType::INTERFACE,
    lt::SemanticTokenType::ENUM_MEMBER,
    lt::SemanticTokenType::FUNCTION,
    lt::SemanticTokenType::EVENT,
    lt::SemanticTokenType::NUMBER,
    lt::SemanticTokenType::STRING,
    lt::SemanticTokenType::COMMENT,
    lt::SemanticTokenType::OPERATOR,
];

/// The one modifier: a name where it is declared.
const DECLARATION: u32 = 1;

pub fn legend() -> lt::SemanticTokensLegend {
    lt::SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: vec![lt::SemanticTokenModifier::DECLARATION],
    }
}

/// Words that are keywords wherever the grammar expects them.
const KEYWORDS: &[&str] = &[
    "system",
    "import",
    "scenario",
    "traffic",
    "slo",
    "monitoring",
    "assumptions",
    "at",
    "fail",
    "recover",
    "expect",
    "during",
    "of",
    "true",
    "false",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lex {
    Comment,
    Str,
    Number,
    Ident,
    Arrow,
}

/// The tokens of `text` that get a colour, as (start, end, what) in byte
/// offsets; each ends on its line.
fn lex(text: &str) -> Vec<(usize, usize, Lex)> {
    let b = text.as_bytes();
    let ident_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                i += 1;
            }
            out.push((start, i, Lex::Comment));
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' && b[i] != b'\r' {
                i += if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] != b'\n' {
                    2
                } else {
                    1
                };
            }
            if i < b.len() && b[i] == b'"' {
                i += 1;
            }
            out.push((start, i.min(b.len()), Lex::Str));
        } else if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            // The magnitude and unit: `k`, `MB`, `%`, `/s`, `k/day`.
            while i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'%') {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'/' && b[i + 1].is_ascii_alphabetic() {
                i += 1;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
            }
            out.push((start, i, Lex::Number));
        } else if c.is_ascii_alphabetic() {
            i += 1;
            loop {
                if i < b.len() && ident_char(b[i]) {
                    i += 1;
                    continue;
                }
                let mut j = i;
                while j < b.len() && b[j] == b'-' {
                    j += 1;
                }
                if j > i && j < b.len() && ident_char(b[j]) {
                    i = j;
                    continue;
                }
                break;
            }
            out.push((start, i, Lex::Ident));
        } else if c == b'-' && b.get(i + 1) == Some(&b'>') {
            i += 2;
            out.push((start, i, Lex::Arrow));
        } else {
            // Any other byte, a UTF-8 continuation included, is skipped
            // whole character by whole character.
            i += 1;
            while i < b.len() && !text.is_char_boundary(i) {
                i += 1;
            }
        }
    }
    out
}

fn symbol_type(kind: SymbolKind) -> T {
    match kind {
        SymbolKind::Component => T::Class,
        SymbolKind::Datacenter => T::Namespace,
        SymbolKind::Template => T::Interface,
    }
}

/// What the parsed file says each identifier (by its start) is.
fn classify(file: &ast::File, names: &BTreeMap<String, SymbolKind>) -> HashMap<usize, (T, u32)> {
    let mut m = HashMap::new();
    let sym = |name: &str| names.get(name).copied().map(symbol_type);
    fn value(v: &ast::Value, m: &mut HashMap<usize, (T, u32)>, sym: &dyn Fn(&str) -> Option<T>) {
        match &v.kind {
            ValueKind::Ident(n) => {
                m.insert(v.span.start, (sym(n).unwrap_or(T::EnumMember), 0));
            }
            ValueKind::List(items) => items.iter().for_each(|x| value(x, m, sym)),
            ValueKind::Range(a, b) => {
                value(a, m, sym);
                value(b, m, sym);
            }
            ValueKind::Map(entries) => {
                for (k, x) in entries {
                    m.insert(k.span.start, (T::Property, 0));
                    value(x, m, sym);
                }
            }
            ValueKind::Call(f, args) => {
                m.insert(f.span.start, (T::Function, 0));
                args.iter().for_each(|x| value(x, m, sym));
            }
            _ => {}
        }
    }
    let attrs = |list: &[ast::Attribute], m: &mut HashMap<usize, (T, u32)>| {
        for a in list {
            m.insert(a.name.span.start, (T::Property, 0));
            value(&a.value, m, &sym);
        }
    };
    let target = |t: &ast::Target, m: &mut HashMap<usize, (T, u32)>| {
        m.insert(
            t.name.span.start,
            (sym(&t.name.name).unwrap_or(T::Class), 0),
        );
        if let Some(z) = &t.zone {
            m.insert(z.span.start, (T::EnumMember, 0));
        }
        if let Some(r) = &t.role {
            m.insert(r.span.start, (T::EnumMember, 0));
        }
        if let Some(d) = &t.datacenter {
            m.insert(d.span.start, (T::Namespace, 0));
        }
    };
    for item in &file.items {
        match item {
            Item::System(s) => {
                m.insert(s.name.span.start, (T::Namespace, DECLARATION));
            }
            Item::Import(_) => {}
            Item::Singleton(s) => attrs(&s.body.attributes, &mut m),
            Item::Declaration(d) => {
                m.insert(d.kind.span.start, (T::Type, 0));
                let own = match d.kind.name.as_str() {
                    "datacenter" => T::Namespace,
                    archc::syntax::templates::TEMPLATE => T::Interface,
                    _ => T::Class,
                };
                m.insert(d.name.span.start, (own, DECLARATION));
                for t in &d.templates {
                    m.insert(t.span.start, (T::Interface, 0));
                }
                attrs(d.attributes(), &mut m);
            }
            Item::Flow(f) => {
                for e in &f.endpoints {
                    m.insert(e.component.span.start, (T::Class, 0));
                    if let Some(r) = &e.role {
                        m.insert(r.span.start, (T::EnumMember, 0));
                    }
                }
                for l in &f.labels {
                    if let ast::FlowLabel::Class(w) | ast::FlowLabel::Modifier(w) = l {
                        m.insert(w.span.start, (T::EnumMember, 0));
                    }
                }
            }
            Item::Scenario(s) => {
                m.insert(s.name.span.start, (T::Event, DECLARATION));
                attrs(&s.attributes, &mut m);
                for e in &s.events {
                    if let ast::Action::Fail(t) | ast::Action::Recover(t) = &e.action {
                        target(t, &mut m);
                    }
                }
                for x in &s.expectations {
                    m.insert(x.metric.span.start, (T::Function, 0));
                    if let Some(t) = &x.argument {
                        target(t, &mut m);
                    }
                }
            }
        }
    }
    m
}

/// The tokens of `text` as (start, end, type, modifiers), in order.
fn tokens(text: &str, names: &BTreeMap<String, SymbolKind>) -> Vec<(usize, usize, T, u32)> {
    let (file, _) = archc::syntax::parse(text);
    let known = classify(&file, names);
    let lexed = lex(text);
    let mut out = Vec::with_capacity(lexed.len());
    for (k, &(start, end, what)) in lexed.iter().enumerate() {
        let t = match what {
            Lex::Comment => Some((T::Comment, 0)),
            Lex::Str => Some((T::String, 0)),
            Lex::Number => Some((T::Number, 0)),
            Lex::Arrow => Some((T::Operator, 0)),
            Lex::Ident => known.get(&start).copied().or_else(|| {
                let word = &text[start..end];
                let before_eq = text[end..].trim_start().starts_with('=');
                if KEYWORDS.contains(&word) {
                    Some((T::Keyword, 0))
                } else if before_eq {
                    Some((T::Property, 0))
                } else if let Some(kind) = names.get(word) {
                    Some((symbol_type(*kind), 0))
                } else if matches!(word, "datacenter" | "template")
                    || archc::model::Kind::parse(word).is_some()
                {
                    // A kind word followed by a name starts a declaration.
                    let next = lexed.get(k + 1).map(|n| n.2);
                    (next == Some(Lex::Ident)).then_some((T::Type, 0))
                } else {
                    None
                }
            }),
        };
        if let Some((t, modifiers)) = t {
            out.push((start, end, t, modifiers));
        }
    }
    out
}

/// Every token of the document, encoded as the protocol wants: each
/// relative to the one before, columns and lengths in UTF-16 units.
pub fn full(state: &State, p: &lt::SemanticTokensParams) -> Option<lt::SemanticTokensResult> {
    let path = doc_path(&p.text_document.uri);
    let text = state.docs.get(&path)?;
    let mut names = BTreeMap::new();
    for d in state.designs_holding(&path) {
        for (n, k) in declared(&d) {
            names.entry(n).or_insert(k);
        }
    }
    Some(lt::SemanticTokensResult::Tokens(lt::SemanticTokens {
        result_id: None,
        data: encode(text, &tokens(text, &names)),
    }))
}

fn encode(text: &str, toks: &[(usize, usize, T, u32)]) -> Vec<lt::SemanticToken> {
    let mut data = Vec::with_capacity(toks.len());
    let (mut line, mut line_start, mut scanned) = (0u32, 0usize, 0usize);
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    for &(start, end, t, modifiers) in toks {
        for (i, c) in text[scanned..start].char_indices() {
            if c == '\n' {
                line += 1;
                line_start = scanned + i + 1;
            }
        }
        scanned = start;
        let col = text[line_start..start].encode_utf16().count() as u32;
        let length = text[start..end].encode_utf16().count() as u32;
        let delta_line = line - prev_line;
        let delta_start = if delta_line == 0 { col - prev_col } else { col };
        data.push(lt::SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: t as u32,
            token_modifiers_bitset: modifiers,
        });
        (prev_line, prev_col) = (line, col);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_gets_its_class() {
        let text = "# c\nservice web : tier { capacity = 800/s  session = db }\ndatabase db\nweb -> db [read]\n";
        let names: BTreeMap<String, SymbolKind> = [
            ("web".to_string(), SymbolKind::Component),
            ("db".to_string(), SymbolKind::Component),
            ("tier".to_string(), SymbolKind::Template),
        ]
        .into();
        let got: Vec<(&str, T)> = tokens(text, &names)
            .into_iter()
            .map(|(s, e, t, _)| (&text[s..e], t))
            .collect();
        assert_eq!(
            got,
            [
                ("# c", T::Comment),
                ("service", T::Type),
                ("web", T::Class),
                ("tier", T::Interface),
                ("capacity", T::Property),
                ("800/s", T::Number),
                ("session", T::Property),
                ("db", T::Class),
                ("database", T::Type),
                ("db", T::Class),
                ("web", T::Class),
                ("->", T::Operator),
                ("db", T::Class),
                ("read", T::EnumMember),
            ]
        );
    }

    #[test]
    fn positions_are_relative_and_in_utf16() {
        let text = "# \u{e9}\u{1F600}\nx = \"\u{1F600}\"\n";
        let toks = tokens(text, &BTreeMap::new());
        let enc = encode(text, &toks);
        let shape: Vec<(u32, u32, u32)> = enc
            .iter()
            .map(|t| (t.delta_line, t.delta_start, t.length))
            .collect();
        // The comment (5 units), `x` on the next line, the string 2 columns on.
        assert_eq!(shape, [(0, 0, 5), (1, 0, 1), (0, 4, 4)]);
    }
}
