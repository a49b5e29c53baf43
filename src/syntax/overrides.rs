//! What-if overrides: `archc estimate --set BLOCK.ATTR=VALUE`.
//!
//! An override is a rewrite of the syntax tree before the model is built:
//! the attribute is replaced in (or added to) the singleton block
//! (`traffic`, `slo`, `monitoring`, `assumptions`), component or datacenter
//! it names. The model then checks its type and meaning exactly as if it had
//! been written in the file, so `--set traffic.users=50M/s` fails with the
//! same "expected a number" a file would get.
//!
//! Spans of an override are byte offsets into whatever text the caller
//! renders diagnostics against; [`crate::compile_with_overrides`] appends
//! one comment line per override to the source and points into it.

use super::ast::{Attribute, Body, File, Ident, Item, Singleton, SingletonKind};
use super::{parse_value, shift_value};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span, did_you_mean};

/// One parsed `BLOCK.ATTR=VALUE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The block: a singleton keyword, a component or a datacenter name.
    pub target: Ident,
    pub attribute: Ident,
    pub value: super::ast::Value,
    /// The whole `BLOCK.ATTR=VALUE` text.
    pub span: Span,
}

/// Attributes that exclude each other in one block: setting one removes the
/// others, as a user asking "what if `web` had 4 replicas" of an
/// autoscaling service means "instead of autoscaling".
pub(crate) const ALTERNATIVES: &[(&str, &[&str])] = &[
    ("rate", &["users", "per_user"]),
    ("users", &["rate"]),
    ("per_user", &["rate"]),
    ("replicas", &["autoscale"]),
    ("autoscale", &["replicas"]),
];

fn is_ident(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
        && !s.ends_with('-')
}

/// Parses `BLOCK.ATTR=VALUE`; `base` is the offset of `text` in the text
/// diagnostics are rendered against.
// The error is the diagnostic the caller renders, once per `--set`; boxing
// it would only move the allocation.
#[allow(clippy::result_large_err)]
pub fn parse_override(text: &str, base: usize) -> Result<Override, Diagnostic> {
    let whole = Span::new(base, base + text.len());
    let usage = "write `--set BLOCK.ATTR=VALUE`, such as `--set traffic.users=50M` or `--set web.replicas=4`";
    if text.contains('\n') || text.contains('\r') {
        return Err(Diagnostic::error(
            Code::InvalidOverride,
            whole,
            "a `--set` spans several lines",
        )
        .label("line break inside")
        .help(usage));
    }
    let Some(eq) = text.find('=') else {
        return Err(Diagnostic::error(
            Code::InvalidOverride,
            whole,
            format!("`--set {text}` has no `=`"),
        )
        .label("expected `BLOCK.ATTR=VALUE`")
        .help(usage));
    };
    let left = &text[..eq];
    let lead = left.len() - left.trim_start().len();
    let path = left.trim();
    let path_span = Span::new(base + lead, base + lead + path.len());
    let Some(dot) = path.find('.') else {
        return Err(Diagnostic::error(
            Code::InvalidOverride,
            path_span,
            format!("`{path}` names no attribute"),
        )
        .label("expected `BLOCK.ATTR`")
        .help(usage));
    };
    let (block, attr) = (&path[..dot], &path[dot + 1..]);
    let block_span = Span::new(path_span.start, path_span.start + dot);
    let attr_span = Span::new(block_span.end + 1, path_span.end);
    if block.is_empty() {
        return Err(Diagnostic::error(
            Code::InvalidOverride,
            block_span,
            format!("`{path}` names no block"),
        )
        .label("expected a block or component name before `.`")
        .help(usage));
    }
    if !is_ident(attr) {
        return Err(Diagnostic::error(
            Code::InvalidOverride,
            attr_span,
            format!("`{attr}` is not an attribute name"),
        )
        .label("expected an attribute name")
        .help(usage));
    }
    let value_text = &text[eq + 1..];
    let value_base = base + eq + 1;
    let value = parse_value(value_text).map_err(|mut d| {
        d.primary.span = Span::new(
            d.primary.span.start + value_base,
            d.primary.span.end + value_base,
        );
        for r in &mut d.related {
            r.span = Span::new(r.span.start + value_base, r.span.end + value_base);
        }
        d
    })?;
    Ok(Override {
        target: Ident {
            name: block.to_string(),
            span: block_span,
        },
        attribute: Ident {
            name: attr.to_string(),
            span: attr_span,
        },
        value: shift_value(value, value_base),
        span: whole,
    })
}

fn singleton_kind(name: &str) -> Option<SingletonKind> {
    match name {
        "traffic" => Some(SingletonKind::Traffic),
        "slo" => Some(SingletonKind::Slo),
        "monitoring" => Some(SingletonKind::Monitoring),
        "assumptions" => Some(SingletonKind::Assumptions),
        _ => None,
    }
}

/// Applies the overrides in order (a later one wins). A singleton block that
/// does not exist is created; a component or datacenter that does not exist
/// is an error.
pub fn apply_overrides(file: &mut File, overrides: &[Override]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for o in overrides {
        let body = match singleton_kind(&o.target.name) {
            Some(kind) => singleton_body(file, kind, o),
            None => declaration_body(file, &o.target.name, o.span),
        };
        let Some(body) = body else {
            let mut names: Vec<&str> = vec!["traffic", "slo", "monitoring", "assumptions"];
            for item in &file.items {
                if let Item::Declaration(d) = item {
                    names.push(d.name.name.as_str());
                }
            }
            let mut d = Diagnostic::error(
                Code::UnknownReference,
                o.target.span,
                format!(
                    "`--set` names `{}`, which the design does not have",
                    o.target.name
                ),
            )
            .label("no such block, component or datacenter");
            d = match did_you_mean(&o.target.name, names) {
                Some(s) => d.suggest(s),
                None => d.help(
                    "name a block (`traffic`, `slo`, `assumptions`, `monitoring`), a component or a datacenter",
                ),
            };
            diags.push(d);
            continue;
        };
        set_attribute(body, o);
    }
    diags
}

fn singleton_body<'f>(
    file: &'f mut File,
    kind: SingletonKind,
    o: &Override,
) -> Option<&'f mut Body> {
    let exists = file
        .items
        .iter()
        .any(|i| matches!(i, Item::Singleton(s) if s.kind == kind));
    if !exists {
        file.items.push(Item::Singleton(Singleton {
            kind,
            keyword: o.target.span,
            body: Body {
                attributes: Vec::new(),
                span: o.span,
            },
            span: o.span,
        }));
    }
    file.items.iter_mut().find_map(|i| match i {
        Item::Singleton(s) if s.kind == kind => Some(&mut s.body),
        _ => None,
    })
}

fn declaration_body<'f>(file: &'f mut File, name: &str, span: Span) -> Option<&'f mut Body> {
    let decl = file.items.iter_mut().find_map(|i| match i {
        Item::Declaration(d) if d.name.name == name => Some(d),
        _ => None,
    })?;
    Some(decl.body.get_or_insert_with(|| Body {
        attributes: Vec::new(),
        span,
    }))
}

fn set_attribute(body: &mut Body, o: &Override) {
    let name = o.attribute.name.as_str();
    let excluded: &[&str] = ALTERNATIVES
        .iter()
        .find(|(a, _)| *a == name)
        .map_or(&[], |(_, ex)| ex);
    body.attributes
        .retain(|a| a.name.name != name && !excluded.contains(&a.name.name.as_str()));
    body.attributes.push(Attribute {
        name: o.attribute.clone(),
        value: o.value.clone(),
        span: o.span,
        via: None,
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::syntax::ast::{Quantity, Unit, ValueKind};

    #[test]
    fn parses_and_places_spans() {
        let o = parse_override("traffic.users=50M", 100).unwrap();
        assert_eq!(o.target.name, "traffic");
        assert_eq!(o.target.span, Span::new(100, 107));
        assert_eq!(o.attribute.name, "users");
        assert_eq!(o.attribute.span, Span::new(108, 113));
        assert_eq!(o.value.span, Span::new(114, 117));
        assert_eq!(
            o.value.kind,
            ValueKind::Number {
                value: 50e6,
                integer: true
            }
        );
    }

    #[test]
    fn quantity_values_are_lowered() {
        let o = parse_override("web.latency = 15ms", 0).unwrap();
        assert_eq!(
            o.value.kind,
            ValueKind::Quantity(Quantity {
                value: 0.015,
                unit: Unit::Duration
            })
        );
        assert_eq!(o.value.span, Span::new(14, 18));
    }

    #[test]
    fn malformed_overrides_say_what_is_wrong() {
        let no_eq = parse_override("traffic.users", 0).unwrap_err();
        assert!(no_eq.message.contains("has no `=`"), "{}", no_eq.message);
        let no_dot = parse_override("users=5", 0).unwrap_err();
        assert!(no_dot.message.contains("names no attribute"));
        let bad_value = parse_override("traffic.users=5 M", 0).unwrap_err();
        assert_eq!(bad_value.rule, "syntax");
        assert_eq!(bad_value.primary.span, Span::new(16, 17));
        let empty = parse_override("traffic.users=", 0).unwrap_err();
        assert!(empty.message.contains("found nothing"));
    }

    #[test]
    fn replaces_inserts_and_removes_alternatives() {
        let (mut file, diags) = crate::syntax::parse(
            "traffic { rate = 10/s }\nservice web { autoscale = 2..4 }\nclient c\n",
        );
        assert!(diags.is_empty());
        let sets = [
            parse_override("traffic.users=1k", 0).unwrap(),
            parse_override("traffic.per_user=40/day", 0).unwrap(),
            parse_override("web.replicas=3", 0).unwrap(),
            parse_override("c.share=100%", 0).unwrap(),
            parse_override("slo.availability=99.9%", 0).unwrap(),
        ];
        assert!(apply_overrides(&mut file, &sets).is_empty());
        let names = |i: usize| -> Vec<String> {
            match &file.items[i] {
                Item::Singleton(s) => s
                    .body
                    .attributes
                    .iter()
                    .map(|a| a.name.name.clone())
                    .collect(),
                Item::Declaration(d) => {
                    d.attributes().iter().map(|a| a.name.name.clone()).collect()
                }
                _ => Vec::new(),
            }
        };
        assert_eq!(names(0), ["users", "per_user"]);
        assert_eq!(names(1), ["replicas"]);
        assert_eq!(names(2), ["share"]);
        assert_eq!(names(3), ["availability"]);
    }

    #[test]
    fn unknown_target_suggests_a_name() {
        let (mut file, _) = crate::syntax::parse("service web\n");
        let d = apply_overrides(&mut file, &[parse_override("wbe.replicas=2", 0).unwrap()]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].rule, "unknown-reference");
        assert_eq!(d[0].help.as_deref(), Some("did you mean `web`?"));
    }
}
