//! Hover documentation for the language itself: a kind keyword, an
//! attribute name (type, units, default, meaning, from the library's
//! schema), and a rule named in an `# allow(RULE)` comment (its summary and
//! documentation, as `archc explain` prints them). Hover on a component
//! name is the server's other hover (the estimate table).

use super::complete::spec;
use super::scan::{self, Ctx, Frame};
use super::{State, offset_of, range, uri_to_path};
use archc::figures::{Style, number};
use archc::model::schema::{self, AttrSpec, Block};
use archc::model::{Kind, kind_defaults};
use lsp_types as lt;

pub(super) fn hover(state: &State, at: &lt::TextDocumentPositionParams) -> Option<lt::Hover> {
    let path = uri_to_path(&at.text_document.uri);
    let text = state.docs.get(&path)?;
    let (start, end) = super::word_span(text, offset_of(text, at.position)?)?;
    let word = &text[start..end];
    let md = match scan::context(text, end) {
        Ctx::Allow => rule_doc(word)?,
        Ctx::TopLevel => kind_doc(Kind::parse(word)?),
        Ctx::AttrName(frame) => {
            let a = spec(frame, word)?;
            attr_doc(frame, a)
        }
        _ => return None,
    };
    Some(lt::Hover {
        contents: lt::HoverContents::Markup(lt::MarkupContent {
            kind: lt::MarkupKind::Markdown,
            value: md,
        }),
        range: Some(range(text, start, end)),
    })
}

/// A rule's header, summary and documentation, as `archc explain` gives it.
fn rule_doc(name: &str) -> Option<String> {
    let i = archc::rules::lookup(name)?.info();
    Some(format!(
        "**{}** ({}, {})\n\n{}\n\n---\n\n{}",
        i.name,
        i.severity.as_str(),
        i.category,
        i.summary,
        i.doc_text()
    ))
}

fn capacity_text(v: Option<f64>) -> String {
    v.map_or("unlimited".into(), |c| {
        format!("{}/s", number(c, Style::Report))
    })
}

fn latency_text(v: f64) -> String {
    format!("{}ms", number(v * 1000.0, Style::Report))
}

fn kind_doc(kind: Kind) -> String {
    let (cap, lat) = kind_defaults(kind);
    let names: Vec<String> = schema::names(Block::Component(kind))
        .iter()
        .map(|n| format!("`{n}`"))
        .collect();
    format!(
        "**{}**: {}\n\nDefaults per instance: capacity {}, latency {}.\n\nAttributes: {}.",
        kind.as_str(),
        schema::kind_meaning(kind),
        capacity_text(cap),
        latency_text(lat),
        names.join(", ")
    )
}

fn attr_doc(frame: Frame, a: &AttrSpec) -> String {
    let mut md = format!(
        "**{}**: {}\n\n- type: {}\n",
        a.name,
        a.meaning,
        a.ty.describe()
    );
    let units = a.ty.units();
    if !units.is_empty() {
        let list: Vec<String> = units.iter().map(|u| format!("`{u}`")).collect();
        md.push_str(&format!("- unit: {}\n", list.join(", ")));
    }
    // The kind's own default where the schema says "the kind's default".
    let kind_default = match frame {
        Frame::Block(Block::Component(k)) => match a.name {
            "capacity" => Some(format!(
                "{} for `{}`",
                capacity_text(kind_defaults(k).0),
                k.as_str()
            )),
            "latency" => Some(format!(
                "{} for `{}`",
                latency_text(kind_defaults(k).1),
                k.as_str()
            )),
            _ => None,
        },
        _ => None,
    };
    match (kind_default, a.default) {
        (Some(d), _) => md.push_str(&format!("- default: {d}\n")),
        (None, Some(d)) => md.push_str(&format!("- default: {d}\n")),
        (None, None) => md.push_str("- default: not set\n"),
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(state: &State, uri: &lt::Uri, line: u32, character: u32) -> Option<String> {
        let p = lt::TextDocumentPositionParams {
            text_document: lt::TextDocumentIdentifier { uri: uri.clone() },
            position: lt::Position { line, character },
        };
        hover(state, &p).map(|h| match h.contents {
            lt::HoverContents::Markup(m) => m.value,
            _ => String::new(),
        })
    }

    #[test]
    fn every_position_of_the_flagship_answers_without_panicking() {
        let text = include_str!("../../../examples/09-sharded-db.arch");
        let mut state = State::default();
        state
            .docs
            .insert("/x/flagship.arch".into(), text.to_string());
        let uri = super::super::path_to_uri("/x/flagship.arch");
        let mut documented = 0;
        for (line, l) in text.lines().enumerate().chain([(9999, "")]) {
            for character in 0..=l.encode_utf16().count() as u32 + 1 {
                documented += usize::from(at(&state, &uri, line as u32, character).is_some());
            }
        }
        assert!(documented > 500, "{documented}");
        // `hit_ratio` in the cdn block: the cdn's default, not the cache's.
        let (line, _) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains("hit_ratio    = 95%"))
            .expect("the cdn's hit_ratio");
        let md = at(&state, &uri, line as u32, 4).expect("a hover");
        assert!(md.contains("default: 90%"), "{md}");
    }
}
