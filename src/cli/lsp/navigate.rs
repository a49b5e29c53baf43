//! Find references and rename for components, datacenters and templates.
//!
//! Every occurrence comes from the parsed tree of the design (the root and
//! every file it imports, as the loader hands them over: open buffers from
//! memory, the rest from disk), never from a text search: a word in a
//! comment, in a region string or in an enum value is not a reference. A
//! use counts only when the name resolves: it is declared somewhere in the
//! design, with a kind that fits the place (a flow names a component, a
//! `datacenters` list names datacenters, a `:` header names templates).

use super::{Lines, State, path_to_uri, range};
use archc::diagnostic::Span;
use archc::sources::{Loaded, normalize};
use archc::syntax::ast::{self, Item, ValueKind};
use lsp_types as lt;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SymbolKind {
    Component,
    Datacenter,
    Template,
}

impl SymbolKind {
    pub fn describe(self) -> &'static str {
        match self {
            SymbolKind::Component => "component",
            SymbolKind::Datacenter => "datacenter",
            SymbolKind::Template => "template",
        }
    }
}

/// One place a symbol's name is written, in its own file's offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The file, normalized, as the design names it.
    pub file: String,
    pub start: usize,
    pub end: usize,
    pub name: String,
    pub kind: SymbolKind,
    pub declaration: bool,
    /// The same place in the protocol's line and UTF-16 column.
    pub range: lt::Range,
}

impl Occurrence {
    fn key(&self) -> (&str, usize, usize, &str, SymbolKind, bool) {
        (
            &self.file,
            self.start,
            self.end,
            &self.name,
            self.kind,
            self.declaration,
        )
    }
}

impl PartialOrd for Occurrence {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Occurrence {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// The declared names of one design, by kind.
pub fn declared(loaded: &Loaded) -> BTreeMap<String, SymbolKind> {
    let mut out = BTreeMap::new();
    for item in &loaded.file.items {
        if let Item::Declaration(d) = item {
            out.entry(d.name.name.clone()).or_insert(kind_of(d));
        }
    }
    out
}

fn kind_of(d: &ast::Declaration) -> SymbolKind {
    match d.kind.name.as_str() {
        "datacenter" => SymbolKind::Datacenter,
        archc::syntax::templates::TEMPLATE => SymbolKind::Template,
        _ => SymbolKind::Component,
    }
}

/// Every occurrence of every symbol in the loaded design, sorted by file
/// and position.
pub fn occurrences(loaded: &Loaded) -> Vec<Occurrence> {
    let names = declared(loaded);
    let lines = Lines::per_file(&loaded.sources);
    let mut out = Vec::new();
    // `want`: the kinds the place may name; empty for a declaration.
    let mut push = |span: Span, name: &str, want: &[SymbolKind], declaration: bool| {
        let Some(&kind) = names.get(name) else {
            return;
        };
        if !want.is_empty() && !want.contains(&kind) {
            return;
        }
        let (i, local) = loaded.sources.locate(span);
        let Some(file) = loaded.sources.files.get(i) else {
            return;
        };
        // The name as written, or inside its quotes when a string names it.
        let (start, end) = match file.text.get(local.start..local.end) {
            Some(t) if t == name => (local.start, local.end),
            Some(t)
                if t.len() == name.len() + 2
                    && t.starts_with('"')
                    && &t[1..t.len() - 1] == name =>
            {
                (local.start + 1, local.end - 1)
            }
            _ => return,
        };
        out.push(Occurrence {
            file: normalize(&file.name),
            start,
            end,
            name: name.to_string(),
            kind,
            declaration,
            range: lines[i].range(start, end),
        });
    };
    for item in &loaded.file.items {
        match item {
            Item::Declaration(d) => {
                push(d.name.span, &d.name.name, &[], true);
                for t in &d.templates {
                    push(t.span, &t.name, &[SymbolKind::Template], false);
                }
                for a in d.attributes() {
                    let want = match a.name.name.as_str() {
                        "session" | "consumes" => SymbolKind::Component,
                        "datacenters" => SymbolKind::Datacenter,
                        _ => continue,
                    };
                    let values = match &a.value.kind {
                        ValueKind::List(items) => items.iter().collect(),
                        _ => vec![&a.value],
                    };
                    for v in values {
                        if let ValueKind::Ident(n) | ValueKind::Str(n) = &v.kind {
                            push(v.span, n, &[want], false);
                        }
                    }
                }
            }
            Item::Flow(f) => {
                for e in &f.endpoints {
                    push(
                        e.component.span,
                        &e.component.name,
                        &[SymbolKind::Component],
                        false,
                    );
                }
            }
            Item::Scenario(s) => {
                let targets = s
                    .events
                    .iter()
                    .filter_map(|e| match &e.action {
                        ast::Action::Fail(t) | ast::Action::Recover(t) => Some(t),
                        ast::Action::Traffic(_) => None,
                    })
                    .chain(s.expectations.iter().filter_map(|x| x.argument.as_ref()));
                for t in targets {
                    // `us-west` or `web`: whichever the name is declared as.
                    let want: &[SymbolKind] = if t.zone.is_some() {
                        &[SymbolKind::Datacenter]
                    } else if t.role.is_some() || t.datacenter.is_some() || t.count.is_some() {
                        &[SymbolKind::Component]
                    } else {
                        &[SymbolKind::Component, SymbolKind::Datacenter]
                    };
                    push(t.name.span, &t.name.name, want, false);
                    if let Some(dc) = &t.datacenter {
                        push(dc.span, &dc.name, &[SymbolKind::Datacenter], false);
                    }
                }
            }
            Item::System(_) | Item::Import(_) | Item::Singleton(_) => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The occurrences of every design that holds `path`, merged (a library
/// imported by two open designs is renamed in both), and the symbol under
/// the cursor.
fn at_cursor(
    state: &State,
    path: &str,
    offset: usize,
) -> Option<(Vec<Loaded>, Vec<Occurrence>, Occurrence)> {
    let designs = state.designs_holding(path);
    let mut all = Vec::new();
    for d in &designs {
        all.extend(occurrences(d));
    }
    all.sort();
    all.dedup();
    let file = normalize(path);
    let here = all
        .iter()
        .find(|o| o.file == file && o.start <= offset && offset <= o.end)?
        .clone();
    let same: Vec<Occurrence> = all
        .into_iter()
        .filter(|o| o.name == here.name && o.kind == here.kind)
        .collect();
    Some((designs, same, here))
}

fn locations(occ: &[Occurrence]) -> Vec<lt::Location> {
    occ.iter()
        .map(|o| lt::Location {
            uri: path_to_uri(&o.file),
            range: o.range,
        })
        .collect()
}

pub fn references(state: &State, p: &lt::ReferenceParams) -> Option<Vec<lt::Location>> {
    let at = &p.text_document_position;
    let path = super::doc_path(&at.text_document.uri);
    let offset = super::offset_of(state.docs.get(&path)?, at.position)?;
    let (_, occ, _) = at_cursor(state, &path, offset)?;
    let keep: Vec<Occurrence> = occ
        .into_iter()
        .filter(|o| p.context.include_declaration || !o.declaration)
        .collect();
    Some(locations(&keep))
}

pub fn prepare_rename(
    state: &State,
    at: &lt::TextDocumentPositionParams,
) -> Result<Option<lt::PrepareRenameResponse>, String> {
    let path = super::doc_path(&at.text_document.uri);
    let Some(text) = state.docs.get(&path) else {
        return Ok(None);
    };
    let Some(offset) = super::offset_of(text, at.position) else {
        return Ok(None);
    };
    let Some((_, _, here)) = at_cursor(state, &path, offset) else {
        return Err(
            "nothing to rename here: put the cursor on a component, datacenter or template name"
                .into(),
        );
    };
    Ok(Some(lt::PrepareRenameResponse::RangeWithPlaceholder {
        range: range(text, here.start, here.end),
        placeholder: here.name,
    }))
}

/// Words that mean something else where a name may stand: `session = none`,
/// `session = local`, and the booleans.
const RESERVED: &[&str] = &["none", "local", "true", "false"];

/// Whether `name` is an identifier of the language (LANGUAGE.md §2).
pub fn is_identifier(name: &str) -> bool {
    let b = name.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_alphabetic) || b.last() == Some(&b'-') {
        return false;
    }
    b.iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
}

pub fn rename(state: &State, p: &lt::RenameParams) -> Result<Option<lt::WorkspaceEdit>, String> {
    let at = &p.text_document_position;
    let path = super::doc_path(&at.text_document.uri);
    let Some(text) = state.docs.get(&path) else {
        return Ok(None);
    };
    let Some(offset) = super::offset_of(text, at.position) else {
        return Ok(None);
    };
    let Some((designs, occ, here)) = at_cursor(state, &path, offset) else {
        return Err(
            "nothing to rename here: put the cursor on a component, datacenter or template name"
                .into(),
        );
    };
    let new = p.new_name.as_str();
    if !is_identifier(new) {
        return Err(format!(
            "`{new}` is not a name: a letter, then letters, digits, `_` or `-`, not ending in `-`"
        ));
    }
    if RESERVED.contains(&new) {
        return Err(format!(
            "`{new}` cannot name a {}: it means something else where names are used",
            here.kind.describe()
        ));
    }
    if new != here.name {
        for d in &designs {
            if let Some(kind) = declared(d).get(new) {
                return Err(format!(
                    "`{new}` is already the name of a {} in this design",
                    kind.describe()
                ));
            }
        }
    }
    let mut by_file: BTreeMap<String, Vec<lt::TextEdit>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for o in &occ {
        if !seen.insert((o.file.clone(), o.start)) {
            continue;
        }
        by_file
            .entry(o.file.clone())
            .or_default()
            .push(lt::TextEdit {
                range: o.range,
                new_text: new.to_string(),
            });
    }
    let edits = by_file
        .into_iter()
        .map(|(file, edits)| lt::TextDocumentEdit {
            text_document: lt::OptionalVersionedTextDocumentIdentifier {
                version: state.versions.get(&file).copied(),
                uri: path_to_uri(&file),
            },
            edits: edits.into_iter().map(lt::OneOf::Left).collect(),
        })
        .collect();
    Ok(Some(lt::WorkspaceEdit {
        document_changes: Some(lt::DocumentChanges::Edits(edits)),
        ..Default::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        let none = |_: &str| -> Result<String, String> { Err("no such file".into()) };
        archc::sources::load("d.arch", text.to_string(), &none, &Default::default())
    }

    #[test]
    fn only_resolved_names_in_reference_places_count() {
        let text = "datacenter east { region = \"east\" }\n\
                    service web { session = \"db\"  datacenters = [east] }  # web\n\
                    database db\nweb -> db\n\
                    scenario s { at 1m fail east  at 2m fail web@east  expect utilization(web@east) < 90% }\n";
        let occ = occurrences(&load(text));
        let show: Vec<(String, bool)> = occ
            .iter()
            .map(|o| (text[o.start..o.end].to_string(), o.declaration))
            .collect();
        assert_eq!(
            show.iter().filter(|(n, _)| n == "web").count(),
            4,
            "declaration, flow, two targets; not the comment: {show:?}"
        );
        assert_eq!(
            show.iter().filter(|(n, _)| n == "east").count(),
            5,
            "declaration, list, three targets; not the region string: {show:?}"
        );
        assert_eq!(
            show.iter().filter(|(n, _)| n == "db").count(),
            3,
            "{show:?}"
        );
    }

    #[test]
    fn identifiers_follow_the_language() {
        assert!(is_identifier("users-db"));
        assert!(is_identifier("us_east2"));
        assert!(!is_identifier("2web"));
        assert!(!is_identifier("web-"));
        assert!(!is_identifier("a b"));
        assert!(!is_identifier(""));
    }
}
