//! Document symbols (the outline of one file) and workspace symbols (every
//! declaration of the open designs and the files they import).

use super::{Lines, State, doc_path, path_to_uri};
use archc::diagnostic::Span;
use archc::sources::normalize;
use archc::syntax::ast::{self, Item};
use lsp_types as lt;
use std::collections::BTreeSet;

/// How a declaration shows in a symbol list: its LSP kind and detail.
fn describe(d: &ast::Declaration) -> (lt::SymbolKind, String) {
    match d.kind.name.as_str() {
        "datacenter" => (lt::SymbolKind::NAMESPACE, "datacenter".into()),
        archc::syntax::templates::TEMPLATE => (lt::SymbolKind::INTERFACE, "template".into()),
        kind => {
            let mut detail = kind.to_string();
            if !d.templates.is_empty() {
                let uses: Vec<&str> = d.templates.iter().map(|t| t.name.as_str()).collect();
                detail.push_str(&format!(" : {}", uses.join(", ")));
            }
            (lt::SymbolKind::CLASS, detail)
        }
    }
}

/// One file's outline: datacenters, components (their kind as detail, their
/// attributes as children), templates and scenarios, in the order written.
/// The file is parsed on its own; a file that does not parse has none.
pub fn document(state: &State, p: &lt::DocumentSymbolParams) -> Option<lt::DocumentSymbolResponse> {
    let path = doc_path(&p.text_document.uri);
    let text = match state.docs.get(&path) {
        Some(t) => t.clone(),
        None => crate::cli::inputs::read_import(&path).ok()?,
    };
    let (file, _) = archc::syntax::parse(&text);
    let lines = Lines::new(&text);
    let r = |s: Span| lines.range(s.start, s.end);
    let mut out = Vec::new();
    for item in &file.items {
        match item {
            Item::Declaration(d) => {
                let (kind, detail) = describe(d);
                let children: Vec<lt::DocumentSymbol> = d
                    .attributes()
                    .iter()
                    .map(|a| {
                        let value = text
                            .get(a.value.span.start..a.value.span.end)
                            .unwrap_or("")
                            .to_string();
                        symbol(
                            &a.name.name,
                            Some(value),
                            lt::SymbolKind::PROPERTY,
                            r(a.span),
                            r(a.name.span),
                            None,
                        )
                    })
                    .collect();
                out.push(symbol(
                    &d.name.name,
                    Some(detail),
                    kind,
                    r(d.span),
                    r(d.name.span),
                    (!children.is_empty()).then_some(children),
                ));
            }
            Item::Scenario(s) => out.push(symbol(
                &s.name.name,
                Some("scenario".into()),
                lt::SymbolKind::EVENT,
                r(s.span),
                r(s.name.span),
                None,
            )),
            Item::Singleton(s) => out.push(symbol(
                s.kind.as_str(),
                None,
                lt::SymbolKind::OBJECT,
                r(s.span),
                r(s.keyword),
                None,
            )),
            Item::System(_) | Item::Import(_) | Item::Flow(_) => {}
        }
    }
    Some(lt::DocumentSymbolResponse::Nested(out))
}

fn symbol(
    name: &str,
    detail: Option<String>,
    kind: lt::SymbolKind,
    range: lt::Range,
    selection_range: lt::Range,
    children: Option<Vec<lt::DocumentSymbol>>,
) -> lt::DocumentSymbol {
    // `deprecated` is a field of the protocol's type, deprecated itself.
    #[allow(deprecated)]
    lt::DocumentSymbol {
        name: if name.is_empty() {
            "?".into()
        } else {
            name.into()
        },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range,
        children,
    }
}

/// Whether every character of `query` appears in `name` in order, ignoring
/// case (`wtr` finds `web-tier`); an empty query matches everything.
fn matches(query: &str, name: &str) -> bool {
    let mut rest = name.chars().flat_map(char::to_lowercase);
    query
        .chars()
        .flat_map(char::to_lowercase)
        .all(|q| rest.any(|c| c == q))
}

/// Every datacenter, component, template and scenario of the open designs
/// (each open document's design, with its imports) whose name matches the
/// query, sorted by name, then file and position.
pub fn workspace(state: &State, p: &lt::WorkspaceSymbolParams) -> Vec<lt::WorkspaceSymbol> {
    let mut roots: BTreeSet<String> = state.designs.keys().cloned().collect();
    for doc in state.docs.keys() {
        if state.roots_holding(doc).is_empty() {
            roots.insert(doc.clone());
        }
    }
    let mut found = BTreeSet::new();
    for root in &roots {
        let Some(loaded) = state.load(root) else {
            continue;
        };
        let lines = Lines::per_file(&loaded.sources);
        for item in &loaded.file.items {
            let (name, span, kind, detail) = match item {
                Item::Declaration(d) => {
                    let (kind, detail) = describe(d);
                    (&d.name.name, d.name.span, kind, detail)
                }
                Item::Scenario(s) => (
                    &s.name.name,
                    s.name.span,
                    lt::SymbolKind::EVENT,
                    "scenario".into(),
                ),
                _ => continue,
            };
            if !matches(&p.query, name) {
                continue;
            }
            let (i, local) = loaded.sources.locate(span);
            let Some(file) = loaded.sources.files.get(i) else {
                continue;
            };
            let r = lines[i].range(local.start, local.end);
            found.insert((
                name.clone(),
                normalize(&file.name),
                (r.start.line, r.start.character, r.end.line, r.end.character),
                kind_order(kind),
                detail,
            ));
        }
    }
    found
        .into_iter()
        .map(
            |(name, file, (l0, c0, l1, c1), kind, detail)| lt::WorkspaceSymbol {
                name,
                kind: KINDS[kind],
                tags: None,
                container_name: Some(detail),
                location: lt::OneOf::Left(lt::Location {
                    uri: path_to_uri(&file),
                    range: lt::Range::new(lt::Position::new(l0, c0), lt::Position::new(l1, c1)),
                }),
                data: None,
            },
        )
        .collect()
}

const KINDS: [lt::SymbolKind; 4] = [
    lt::SymbolKind::NAMESPACE,
    lt::SymbolKind::CLASS,
    lt::SymbolKind::INTERFACE,
    lt::SymbolKind::EVENT,
];

fn kind_order(kind: lt::SymbolKind) -> usize {
    KINDS.iter().position(|k| *k == kind).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn queries_match_in_order_ignoring_case() {
        assert!(matches("", "web"));
        assert!(matches("wtr", "web-tier"));
        assert!(matches("WEB", "web"));
        assert!(!matches("bew", "web"));
    }
}
