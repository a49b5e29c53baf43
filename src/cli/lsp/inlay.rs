//! Inlay hints: after each component's header, its figures at peak from the
//! same estimate the hover and the rules read. One segment per copy: a
//! global component's one copy, else one per datacenter it is placed in,
//! named when the design has more than one (`us-east 4,167/s · 8 inst ·
//! 65% | us-west 2,778/s · 5 inst · 69%`).

use super::{Analysis, Lines, State, doc_path};
use archc::figures::{Style, percent, rate};
use archc::syntax::ast::Item;
use lsp_types as lt;

/// The figures of one component, or `None` without traffic (no estimate
/// to show). As `archc estimate` shows them: no instance count for a
/// client, `managed` for a managed service, no utilisation without a
/// capacity.
pub fn label(a: &Analysis, name: &str) -> Option<String> {
    let est = a.estimate.as_ref().filter(|e| e.has_traffic)?;
    let m = &a.model;
    let id = m.component_id(name)?;
    let c = &m.components[id];
    let dcs: Vec<Option<usize>> = if c.kind.is_global() {
        vec![None]
    } else {
        (0..m.datacenters.len()).map(Some).collect()
    };
    let named = dcs.len() > 1;
    let mut parts = Vec::new();
    for dc in dcs {
        let Some(node) = m.copy_node(id, dc) else {
            continue;
        };
        let e = est.copy(node);
        let mut part = String::new();
        if named && let Some(d) = dc {
            part.push_str(&m.datacenters[d].name);
            part.push(' ');
        }
        part.push_str(&rate(e.peak_rps, Style::Report));
        if c.managed {
            part.push_str(" · managed");
        } else if e.instances > 0 && c.kind != archc::model::Kind::Client {
            part.push_str(&format!(" · {} inst", e.instances));
        }
        if c.capacity.value.is_some() {
            part.push_str(" · ");
            part.push_str(&percent(e.utilization, Style::Compact));
        }
        parts.push(part);
    }
    (!parts.is_empty()).then(|| parts.join(" | "))
}

/// The hints of one open document in the requested range. The document is
/// parsed as it reads now, so hints stay after their headers while the
/// design has an error; the figures are those of the last analysis that
/// built (the document's own, or that of an open design importing it).
pub fn hints(state: &State, p: &lt::InlayHintParams) -> Vec<lt::InlayHint> {
    let path = doc_path(&p.text_document.uri);
    let (Some(text), Some(a)) = (state.docs.get(&path), state.analysis_for(&path)) else {
        return Vec::new();
    };
    let (file, _) = archc::syntax::parse(text);
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for item in &file.items {
        let Item::Declaration(d) = item else {
            continue;
        };
        let end = d.templates.last().map_or(d.name.span.end, |t| t.span.end);
        let at = lines.position(end);
        if at < p.range.start || at > p.range.end {
            continue;
        }
        let Some(label) = label(a, &d.name.name) else {
            continue;
        };
        out.push(lt::InlayHint {
            position: at,
            label: lt::InlayHintLabel::String(label),
            kind: None,
            text_edits: None,
            tooltip: Some(lt::InlayHintTooltip::String(
                "at peak: requests per second, instances in use, utilisation (archc estimate)"
                    .into(),
            )),
            padding_left: Some(true),
            padding_right: Some(true),
            data: None,
        });
    }
    out
}
