//! Templates (LANGUAGE.md §11): `template NAME [: T1, T2] { attributes }` is
//! a named set of attributes; `KIND NAME : T1, T2 { … }` applies T1, then T2,
//! then its own attributes, a later value replacing an earlier one.
//!
//! This pass runs on the whole design's tree before the model is built: it
//! takes the `template` declarations out and copies their attributes into
//! the declarations that use them. A copied attribute keeps its own span
//! (in the template, in whichever file holds it) and records the template
//! and the place it was applied ([`TemplateUse`]), so a value the kind
//! rejects is reported at the template's line with the component beside it,
//! and `archc dump` can say where each value came from.

use super::ast::*;
use super::overrides::ALTERNATIVES;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span, did_you_mean};
use std::collections::{BTreeMap, HashMap};

/// The keyword that makes a declaration a template.
pub const TEMPLATE: &str = "template";

/// A template as declared, and the declarations that applied it.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub name: String,
    pub name_span: Span,
    pub span: Span,
    /// The components (and datacenters) that applied it, directly or
    /// through another template, in declaration order.
    pub used_by: Vec<String>,
}

/// Applies every template in `file` and removes the template declarations.
/// Returns the templates found and the problems: `template-cycle`,
/// `unknown-reference` for a template nobody declared, `wrong-kind` for a
/// name that is a component, `duplicate-name`, `duplicate-attribute`.
pub fn expand(file: &mut File) -> (Vec<Template>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let uses_templates = file.items.iter().any(
        |i| matches!(i, Item::Declaration(d) if d.kind.name == TEMPLATE || !d.templates.is_empty()),
    );
    if !uses_templates {
        return (Vec::new(), diags);
    }
    let mut decls: Vec<Declaration> = Vec::new();
    let mut others: HashMap<String, Span> = HashMap::new();
    for item in &file.items {
        if let Item::Declaration(d) = item
            && d.kind.name != TEMPLATE
        {
            others.entry(d.name.name.clone()).or_insert(d.name.span);
        }
    }
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut items = Vec::with_capacity(file.items.len());
    for item in std::mem::take(&mut file.items) {
        match item {
            Item::Declaration(d) if d.kind.name == TEMPLATE => {
                let name = d.name.name.clone();
                let first = index.get(&name).map(|&i| decls[i].name.span);
                if let Some(first) = first.or_else(|| others.get(&name).copied()) {
                    diags.push(
                        Diagnostic::error(
                            Code::DuplicateName,
                            d.name.span,
                            format!("`{name}` is defined twice"),
                        )
                        .label("second definition")
                        .related(first, "first defined here")
                        .help("rename one of them; templates share one namespace with components"),
                    );
                    continue;
                }
                duplicate_attributes(&d, &mut diags);
                index.insert(name, decls.len());
                decls.push(d);
            }
            other => items.push(other),
        }
    }
    file.items = items;
    let mut t = Templates {
        decls: &decls,
        index: &index,
        others: &others,
        flat: vec![None; decls.len()],
        visiting: Vec::new(),
        used_by: vec![Vec::new(); decls.len()],
        diags: &mut diags,
    };
    for i in 0..decls.len() {
        t.flatten(i);
    }
    for item in &mut file.items {
        let Item::Declaration(d) = item else { continue };
        if d.templates.is_empty() {
            continue;
        }
        let mut merged: Vec<Attribute> = Vec::new();
        for use_ in &d.templates {
            let Some(i) = t.lookup(use_) else { continue };
            t.mark_used(i, &d.name.name);
            for a in t.flat[i].clone().unwrap_or_default() {
                let mut a = a;
                if let Some(via) = &mut a.via {
                    via.used_at = use_.span;
                }
                replace(&mut merged, a);
            }
        }
        let own = d.body.take();
        let mut body = own.unwrap_or(Body {
            attributes: Vec::new(),
            span: Span::new(d.span.end, d.span.end),
        });
        for a in std::mem::take(&mut body.attributes) {
            replace(&mut merged, a);
        }
        body.attributes = merged;
        d.body = Some(body);
    }
    let used_by = t.used_by;
    let templates = decls
        .iter()
        .zip(used_by)
        .map(|(d, used_by)| Template {
            name: d.name.name.clone(),
            name_span: d.name.span,
            span: d.span,
            used_by,
        })
        .collect();
    (templates, diags)
}

/// Adds `a` to `attrs`, removing the earlier value a template gave the same
/// attribute or one it excludes (`replicas` and `autoscale`). Values the
/// block wrote itself are never removed, so a block that sets one
/// attribute twice is still `duplicate-attribute` for the model.
fn replace(attrs: &mut Vec<Attribute>, a: Attribute) {
    let name = a.name.name.as_str();
    let excluded: &[&str] = ALTERNATIVES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&[], |(_, ex)| ex);
    attrs.retain(|b| {
        b.via.is_none() || (b.name.name != name && !excluded.contains(&b.name.name.as_str()))
    });
    attrs.push(a);
}

/// A template that sets one attribute twice: `duplicate-attribute`, as in a
/// component (the model never sees a template's own body).
fn duplicate_attributes(d: &Declaration, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for a in d.attributes() {
        if let Some(first) = seen.insert(&a.name.name, a.name.span) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateAttribute,
                    a.name.span,
                    format!(
                        "`{}` is set twice in template `{}`",
                        a.name.name, d.name.name
                    ),
                )
                .label("second setting")
                .related(first, "first set here")
                .help("remove one of the two settings"),
            );
        }
    }
}

struct Templates<'a> {
    decls: &'a [Declaration],
    index: &'a HashMap<String, usize>,
    others: &'a HashMap<String, Span>,
    /// Each template's attributes with its own parents applied; `None`
    /// until computed (or when it is part of a cycle).
    flat: Vec<Option<Vec<Attribute>>>,
    /// The templates being flattened, outermost first, for cycles.
    visiting: Vec<usize>,
    used_by: Vec<Vec<String>>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Templates<'_> {
    /// The template a `: NAME` refers to, reporting a name that is not one.
    fn lookup(&mut self, name: &Ident) -> Option<usize> {
        if let Some(&i) = self.index.get(&name.name) {
            return Some(i);
        }
        let d = if let Some(&at) = self.others.get(&name.name) {
            Diagnostic::error(
                Code::WrongKind,
                name.span,
                format!("`{}` is a component, not a template", name.name),
            )
            .label("not a template")
            .related(at, "declared here")
            .help("apply a `template`; a component's attributes cannot be reused")
        } else {
            let mut d = Diagnostic::error(
                Code::UnknownReference,
                name.span,
                format!("no template named `{}`", name.name),
            )
            .label("unknown template");
            d = match did_you_mean(&name.name, self.index.keys().map(String::as_str)) {
                Some(s) => d.suggest(s),
                None => {
                    d.help("declare it with `template NAME { … }`, or import the file that does")
                }
            };
            d
        };
        self.diags.push(d);
        None
    }

    fn mark_used(&mut self, i: usize, by: &str) {
        let mut stack = vec![i];
        let mut seen = vec![false; self.decls.len()];
        while let Some(j) = stack.pop() {
            if std::mem::replace(&mut seen[j], true) {
                continue;
            }
            if self.used_by[j].last().is_none_or(|l| l != by) {
                self.used_by[j].push(by.to_string());
            }
            for p in &self.decls[j].templates {
                if let Some(&k) = self.index.get(&p.name) {
                    stack.push(k);
                }
            }
        }
    }

    fn flatten(&mut self, i: usize) {
        if self.flat[i].is_some() {
            return;
        }
        if let Some(pos) = self.visiting.iter().position(|&v| v == i) {
            let mut chain: Vec<&str> = self.visiting[pos..]
                .iter()
                .map(|&v| self.decls[v].name.name.as_str())
                .collect();
            chain.push(&self.decls[i].name.name);
            let d = &self.decls[i];
            self.diags.push(
                Diagnostic::error(
                    Code::TemplateCycle,
                    d.name.span,
                    format!(
                        "template `{}` applies itself: {}",
                        d.name.name,
                        chain.join(" → ")
                    ),
                )
                .label("part of a cycle")
                .help("remove one of the `: TEMPLATE` uses in the chain"),
            );
            // Marked done (empty) so the cycle is reported once.
            self.flat[i] = Some(Vec::new());
            return;
        }
        self.visiting.push(i);
        let decl = &self.decls[i];
        let mut merged: Vec<Attribute> = Vec::new();
        for p in &decl.templates {
            let Some(k) = self.lookup(p) else { continue };
            self.flatten(k);
            for a in self.flat[k].clone().unwrap_or_default() {
                replace(&mut merged, a);
            }
        }
        for a in decl.attributes() {
            let mut a = a.clone();
            a.via = Some(Box::new(TemplateUse {
                template: decl.name.name.clone(),
                used_at: decl.name.span,
            }));
            replace(&mut merged, a);
        }
        self.visiting.pop();
        if self.flat[i].is_none() {
            self.flat[i] = Some(merged);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn expanded(src: &str) -> (File, Vec<Template>, Vec<Diagnostic>) {
        let (mut f, d) = crate::syntax::parse(src);
        assert!(d.is_empty(), "{d:?}");
        let (t, d) = expand(&mut f);
        (f, t, d)
    }

    fn attrs(f: &File, name: &str) -> Vec<(String, String, Option<String>)> {
        f.items
            .iter()
            .find_map(|i| match i {
                Item::Declaration(d) if d.name.name == name => Some(d),
                _ => None,
            })
            .unwrap()
            .attributes()
            .iter()
            .map(|a| {
                (
                    a.name.name.clone(),
                    format!("{:?}", a.value.kind),
                    a.via.as_ref().map(|v| v.template.clone()),
                )
            })
            .collect()
    }

    #[test]
    fn later_values_replace_earlier_ones_in_order() {
        let (f, t, d) = expanded(
            "template base { timeout = 2s  capacity = 100/s }\n\
             template big : base { capacity = 800/s  autoscale = 2..4 }\n\
             service web : big { replicas = 3  latency = 5ms }\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let a = attrs(&f, "web");
        let names: Vec<&str> = a.iter().map(|x| x.0.as_str()).collect();
        // `replicas` replaces the template's `autoscale`.
        assert_eq!(names, ["timeout", "capacity", "replicas", "latency"]);
        assert_eq!(a[0].2.as_deref(), Some("base"));
        assert_eq!(a[1].2.as_deref(), Some("big"));
        assert!(a[1].1.contains("800"));
        assert_eq!(a[2].2, None);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].used_by, ["web"]);
        assert!(
            f.items
                .iter()
                .all(|i| !matches!(i, Item::Declaration(d) if d.kind.name == TEMPLATE))
        );
    }

    #[test]
    fn a_block_that_sets_an_attribute_twice_keeps_both_for_the_model() {
        let (f, _, d) = expanded(
            "template t { timeout = 2s }\nservice web : t { replicas = 2  replicas = 3 }\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let names: Vec<String> = attrs(&f, "web").into_iter().map(|a| a.0).collect();
        assert_eq!(names, ["timeout", "replicas", "replicas"]);
    }

    #[test]
    fn a_cycle_is_reported_once_with_its_chain() {
        let (_, _, d) = expanded(
            "template a : b { x = 1 }\ntemplate b : c { y = 1 }\ntemplate c : a { z = 1 }\nservice s : a\n",
        );
        let cycles: Vec<&Diagnostic> = d.iter().filter(|d| d.rule == "template-cycle").collect();
        assert_eq!(cycles.len(), 1, "{d:?}");
        assert!(
            cycles[0].message.contains("a → b → c → a"),
            "{}",
            cycles[0].message
        );
    }

    #[test]
    fn unknown_and_wrong_templates_are_located() {
        let src =
            "template web-tier { x = 1 }\nservice api\nservice a : web-teir\nservice b : api\n";
        let (_, _, d) = expanded(src);
        assert_eq!(d.len(), 2, "{d:?}");
        let unknown = d.iter().find(|d| d.rule == "unknown-reference").unwrap();
        assert_eq!(
            &src[unknown.primary.span.start..unknown.primary.span.end],
            "web-teir"
        );
        assert_eq!(unknown.help.as_deref(), Some("did you mean `web-tier`?"));
        assert!(d.iter().any(|d| d.rule == "wrong-kind"));
    }
}
