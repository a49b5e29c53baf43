//! Moving every span of a parsed file by a fixed number of bytes.
//!
//! A design of several files is one tree whose spans live in one offset
//! space: file `i` starts at its base ([`crate::sources::SourceMap`]), so a
//! span alone says which file holds it. Each file is parsed on its own and
//! then shifted to its base here.

use super::ast::*;
use crate::diagnostic::{Diagnostic, Span};

/// Moves a span.
pub fn span(s: Span, by: usize) -> Span {
    Span::new(s.start + by, s.end + by)
}

/// Moves every span of `file` by `by` bytes.
pub fn file(file: &mut File, by: usize) {
    if by == 0 {
        return;
    }
    for c in &mut file.comments {
        c.span = span(c.span, by);
    }
    for item in &mut file.items {
        self::item(item, by);
    }
}

/// Moves every span of a diagnostic, its related labels included.
pub fn diagnostic(d: &mut Diagnostic, by: usize) {
    d.primary.span = span(d.primary.span, by);
    for r in &mut d.related {
        r.span = span(r.span, by);
    }
}

fn ident(i: &mut Ident, by: usize) {
    i.span = span(i.span, by);
}

fn item(item: &mut Item, by: usize) {
    match item {
        Item::System(s) => {
            ident(&mut s.name, by);
            s.span = span(s.span, by);
        }
        Item::Import(i) => {
            i.path_span = span(i.path_span, by);
            i.span = span(i.span, by);
        }
        Item::Singleton(s) => {
            s.keyword = span(s.keyword, by);
            body(&mut s.body, by);
            s.span = span(s.span, by);
        }
        Item::Declaration(d) => {
            ident(&mut d.kind, by);
            ident(&mut d.name, by);
            d.templates.iter_mut().for_each(|t| ident(t, by));
            if let Some(b) = &mut d.body {
                body(b, by);
            }
            d.span = span(d.span, by);
        }
        Item::Flow(f) => {
            for e in &mut f.endpoints {
                ident(&mut e.component, by);
                if let Some(r) = &mut e.role {
                    ident(r, by);
                }
                e.span = span(e.span, by);
            }
            for l in &mut f.labels {
                match l {
                    FlowLabel::Class(i) | FlowLabel::Modifier(i) => ident(i, by),
                    FlowLabel::Calls(_, s) | FlowLabel::Share(_, s) => *s = span(*s, by),
                    FlowLabel::BadShare(v) => value(v, by),
                }
            }
            f.labels_span = f.labels_span.map(|s| span(s, by));
            f.span = span(f.span, by);
        }
        Item::Scenario(sc) => {
            ident(&mut sc.name, by);
            sc.attributes.iter_mut().for_each(|a| attribute(a, by));
            for e in &mut sc.events {
                value(&mut e.at, by);
                match &mut e.action {
                    Action::Fail(t) | Action::Recover(t) => target(t, by),
                    Action::Traffic(v) => value(v, by),
                }
                e.span = span(e.span, by);
            }
            for x in &mut sc.expectations {
                ident(&mut x.metric, by);
                if let Some(t) = &mut x.argument {
                    target(t, by);
                }
                value(&mut x.value, by);
                if let Some((a, b)) = &mut x.during {
                    value(a, by);
                    value(b, by);
                }
                x.span = span(x.span, by);
            }
            sc.span = span(sc.span, by);
        }
    }
}

fn body(b: &mut Body, by: usize) {
    b.attributes.iter_mut().for_each(|a| attribute(a, by));
    b.span = span(b.span, by);
}

fn attribute(a: &mut Attribute, by: usize) {
    ident(&mut a.name, by);
    value(&mut a.value, by);
    a.span = span(a.span, by);
    if let Some(via) = &mut a.via {
        via.used_at = span(via.used_at, by);
    }
}

fn target(t: &mut Target, by: usize) {
    if let Some(c) = &mut t.count {
        value(c, by);
    }
    for i in [&mut t.zone, &mut t.role, &mut t.datacenter]
        .into_iter()
        .flatten()
    {
        ident(i, by);
    }
    ident(&mut t.name, by);
    t.span = span(t.span, by);
}

fn value(v: &mut Value, by: usize) {
    v.span = span(v.span, by);
    match &mut v.kind {
        ValueKind::Range(lo, hi) => {
            value(lo, by);
            value(hi, by);
        }
        ValueKind::List(items) => items.iter_mut().for_each(|x| value(x, by)),
        ValueKind::Map(entries) => {
            for (k, x) in entries {
                ident(k, by);
                value(x, by);
            }
        }
        ValueKind::Call(f, args) => {
            ident(f, by);
            args.iter_mut().for_each(|x| value(x, by));
        }
        ValueKind::Number { .. }
        | ValueKind::Quantity(_)
        | ValueKind::Bool(_)
        | ValueKind::Str(_)
        | ValueKind::Ident(_) => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every span of a shifted file points at the same text as before, in
    /// the shifted source.
    #[test]
    fn shifted_spans_point_at_the_same_text() {
        let src = "system s\nimport \"a.arch\"\nservice web : t { capacity = [1, 2]  x = f(1..2) }\nweb -> db [read 10%, x2]\nscenario k { at 1m fail 2 of web@us  at 2m fail us/b  expect p99(web) < 1s during 1m..2m }\n# c\n";
        let (mut f, d) = crate::syntax::parse(src);
        assert!(d.is_empty(), "{d:?}");
        let before = format!("{f:?}");
        let pad = " ".repeat(37);
        let shifted_src = format!("{pad}{src}");
        file(&mut f, 37);
        let (g, _) = crate::syntax::parse(&shifted_src);
        assert_eq!(format!("{f:?}"), format!("{g:?}"));
        assert_ne!(before, format!("{f:?}"));
    }
}
