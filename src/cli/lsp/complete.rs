//! `textDocument/completion`: what may be typed at the cursor, from the
//! buffer text around it (which need not compile) and the names of the
//! document's last good analysis (components of imported files too).
//!
//! Attribute names, their types, defaults and values come from the
//! library's schema (`archc::model::schema`), the table lowering checks
//! attributes against; rule names from the rule registry.

use super::scan::{self, Ctx, Frame};
use super::{State, offset_of, range, uri_to_path};
use archc::model::Kind;
use archc::model::schema::{self, AttrSpec, Block, ValueType};
use lsp_types as lt;
use std::collections::BTreeMap;
use std::path::Path;

/// The characters after which a client should ask for completion.
pub(super) const TRIGGERS: &[&str] = &[" ", "=", ">", "(", "\"", "/", "@", "[", ","];

/// The top-level keywords other than the kinds, with what each starts.
const KEYWORDS: &[(&str, &str)] = &[
    ("system", "the design's name"),
    ("import", "another .arch file"),
    ("template", "a named set of attributes"),
    ("datacenter", "a datacenter components are placed in"),
    ("scenario", "a failure scenario for the simulator"),
    ("traffic", "the users and their requests"),
    ("slo", "the service-level objectives"),
    ("monitoring", "logs, metrics, tracing and alerts"),
    ("assumptions", "defaults the estimator uses"),
];

/// The names a document can refer to: declared in its buffer now, or in
/// any file of its last good analysis.
pub(super) struct Names {
    pub components: BTreeMap<String, Kind>,
    pub datacenters: Vec<String>,
    pub templates: Vec<String>,
}

pub(super) fn names(state: &State, path: &str, text: &str) -> Names {
    let d = scan::declared(text);
    let mut components = d.components;
    let mut datacenters = d.datacenters;
    let mut templates = d.templates;
    if let Some(a) = state.analyses.get(path) {
        for c in &a.model.components {
            components.entry(c.name.clone()).or_insert(c.kind);
        }
        datacenters.extend(a.model.datacenters.iter().map(|d| d.name.clone()));
        templates.extend(a.model.templates.iter().map(|t| t.name.clone()));
    }
    datacenters.sort();
    datacenters.dedup();
    templates.sort();
    templates.dedup();
    Names {
        components,
        datacenters,
        templates,
    }
}

/// An attribute of a block or, in a template, of the first kind that has it.
pub(super) fn spec(frame: Frame, name: &str) -> Option<&'static AttrSpec> {
    match frame {
        Frame::Block(b) => schema::attribute(b, name),
        Frame::Template => Kind::ALL
            .into_iter()
            .find_map(|k| schema::attribute(Block::Component(k), name)),
        Frame::Other => None,
    }
}

/// The attributes a frame accepts; a template may hold any kind's.
fn frame_attributes(frame: Frame) -> Vec<&'static AttrSpec> {
    match frame {
        Frame::Block(b) => schema::attributes(b),
        Frame::Template => {
            let mut out: Vec<&AttrSpec> = Vec::new();
            for k in Kind::ALL {
                for a in schema::attributes(Block::Component(k)) {
                    if !out.iter().any(|o| o.name == a.name) {
                        out.push(a);
                    }
                }
            }
            out
        }
        Frame::Other => Vec::new(),
    }
}

/// An attribute's type and default, on one line.
pub(super) fn detail(a: &AttrSpec) -> String {
    let mut s = a.ty.describe();
    if let Some(d) = a.default {
        s.push_str(&format!(" · default {d}"));
    }
    s
}

fn item(label: &str, kind: lt::CompletionItemKind, detail: &str) -> lt::CompletionItem {
    lt::CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: (!detail.is_empty()).then(|| detail.to_string()),
        ..Default::default()
    }
}

pub(super) fn completion(
    state: &State,
    p: &lt::CompletionParams,
) -> Option<lt::CompletionResponse> {
    let at = &p.text_document_position;
    let path = uri_to_path(&at.text_document.uri);
    let text = state.docs.get(&path)?;
    let offset = offset_of(text, at.position)?;
    let items = items(state, &path, text, offset);
    let items = items
        .into_iter()
        .enumerate()
        .map(|(i, mut it)| {
            // Keep our order: the schema's, the language's.
            it.sort_text = Some(format!("{i:04}"));
            it
        })
        .collect();
    Some(lt::CompletionResponse::Array(items))
}

fn items(state: &State, path: &str, text: &str, offset: usize) -> Vec<lt::CompletionItem> {
    let offset = offset.min(text.len());
    use lt::CompletionItemKind as K;
    let names = || names(state, path, text);
    let components = |kinds: Option<&[Kind]>| -> Vec<lt::CompletionItem> {
        names()
            .components
            .iter()
            .filter(|(_, k)| kinds.is_none_or(|ks| ks.contains(k)))
            .map(|(n, k)| item(n, K::VARIABLE, k.as_str()))
            .collect()
    };
    let datacenters = || -> Vec<lt::CompletionItem> {
        names()
            .datacenters
            .iter()
            .map(|d| item(d, K::MODULE, "datacenter"))
            .collect()
    };
    match scan::context(text, offset) {
        Ctx::TopLevel => {
            let mut out: Vec<lt::CompletionItem> = Kind::ALL
                .into_iter()
                .map(|k| item(k.as_str(), K::KEYWORD, schema::kind_meaning(k)))
                .collect();
            out.extend(KEYWORDS.iter().map(|(w, d)| item(w, K::KEYWORD, d)));
            // A flow starts with a component's name.
            out.extend(components(None));
            out
        }
        Ctx::AttrName(frame) => {
            // Attributes the block sets already come last (a second
            // setting is `duplicate-attribute`).
            let set = scan::set_in_block(text, offset);
            let (fresh, again): (Vec<&AttrSpec>, Vec<&AttrSpec>) = frame_attributes(frame)
                .into_iter()
                .partition(|a| !set.iter().any(|s| s == a.name));
            let mut out: Vec<lt::CompletionItem> = fresh
                .into_iter()
                .map(|a| (a, ""))
                .chain(again.into_iter().map(|a| (a, " · set already")))
                .map(|(a, note)| {
                    let mut it = item(a.name, K::PROPERTY, &format!("{}{note}", detail(a)));
                    it.documentation = Some(lt::Documentation::String(a.meaning.to_string()));
                    it
                })
                .collect();
            if frame == Frame::Block(Block::Scenario) {
                out.push(item("at", K::KEYWORD, "an event: `at 1m fail us-east`"));
                out.push(item(
                    "expect",
                    K::KEYWORD,
                    "an expectation: `expect error_rate < 1%`",
                ));
            }
            out
        }
        Ctx::AttrValue(frame, attr) => {
            let Some(a) = spec(frame, &attr) else {
                return Vec::new();
            };
            let mut out: Vec<lt::CompletionItem> =
                a.ty.words()
                    .iter()
                    .map(|w| {
                        let label = if *w == "zipf" { "zipf(1.1)" } else { w };
                        let mut it = item(label, K::ENUM_MEMBER, &format!("`{}`", a.name));
                        if a.default == Some(*w) {
                            it.detail = Some(format!("`{}` · the default", a.name));
                        }
                        it
                    })
                    .collect();
            if let ValueType::Component(kinds, _) = a.ty {
                out.extend(components(Some(kinds)));
            }
            if a.ty == ValueType::Datacenters {
                out.extend(datacenters());
            }
            out
        }
        Ctx::ListValue(frame, attr) => match spec(frame, &attr).map(|a| a.ty) {
            Some(ValueType::Datacenters) => datacenters(),
            _ => Vec::new(),
        },
        Ctx::Unit(frame, attr, start, end) => {
            let Some(a) = spec(frame, &attr) else {
                return Vec::new();
            };
            let typed = &text[start..end];
            let digits = typed
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(typed.len());
            let mut base = &typed[..digits];
            // A magnitude may precede a rate's unit (`1.2k/s`).
            let rest = &typed[digits..];
            if a.ty == ValueType::Rate && rest.starts_with(['k', 'M', 'G']) {
                base = &typed[..digits + 1];
            }
            let edit_range = range(text, start, end);
            a.ty.units()
                .iter()
                .map(|u| {
                    let label = format!("{base}{u}");
                    let mut it = item(&label, K::UNIT, &a.ty.describe());
                    it.filter_text = Some(label.clone());
                    it.text_edit = Some(lt::CompletionTextEdit::Edit(lt::TextEdit {
                        range: edit_range,
                        new_text: label,
                    }));
                    it
                })
                .collect()
        }
        Ctx::Flow => components(None),
        Ctx::FlowClass => ["static", "read", "write"]
            .iter()
            .map(|c| item(c, K::ENUM_MEMBER, "request class"))
            .collect(),
        Ctx::Template => names()
            .templates
            .iter()
            .map(|t| item(t, K::STRUCT, "template"))
            .collect(),
        Ctx::Target => {
            let mut out = components(None);
            out.extend(datacenters());
            out
        }
        Ctx::TargetDc => datacenters(),
        Ctx::Member => vec![item(
            "primary",
            K::FIELD,
            "the primaries of a database's shards",
        )],
        Ctx::ScenarioEvent => [
            ("fail", "a datacenter, a component or instances fail"),
            ("recover", "a failed target comes back"),
            ("traffic", "multiply the arrival rate: `traffic 2x`"),
        ]
        .iter()
        .map(|(w, d)| item(w, K::KEYWORD, d))
        .collect(),
        Ctx::Metric => schema::METRICS
            .iter()
            .map(|m| {
                let mut it = item(m, K::FIELD, "metric");
                if *m == "utilization" {
                    it.insert_text = Some("utilization(".into());
                }
                it
            })
            .collect(),
        Ctx::Allow => archc::rules::RULES
            .iter()
            .map(|r| {
                let i = r.info();
                item(i.name, K::VALUE, i.summary)
            })
            .collect(),
        Ctx::Import(typed) => import_paths(path, text, offset, &typed),
        Ctx::Nothing => Vec::new(),
    }
}

/// The `.arch` files and folders in the folder `typed` names so far,
/// relative to the document's own folder.
fn import_paths(path: &str, text: &str, offset: usize, typed: &str) -> Vec<lt::CompletionItem> {
    // An absolute path is `import-outside-root` unless archc.toml allows
    // it: nothing is listed for one.
    if typed.starts_with('/') {
        return Vec::new();
    }
    let (dir_part, _) = typed.rsplit_once('/').unwrap_or(("", typed));
    let base = Path::new(path).parent().unwrap_or(Path::new(""));
    let dir = if dir_part.is_empty() {
        base.to_path_buf()
    } else {
        base.join(dir_part)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let me = Path::new(path).file_name();
    let mut found: Vec<(String, bool)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let is_dir = e.file_type().ok()?.is_dir();
            let wanted = if is_dir {
                !name.starts_with('.')
            } else {
                name.ends_with(".arch")
                    && (!dir_part.is_empty() || Some(e.file_name().as_os_str()) != me)
            };
            wanted.then_some((name, is_dir))
        })
        .collect();
    found.sort();
    // Replace what was typed after the last `/`.
    let word_start = offset - (typed.len() - typed.rfind('/').map_or(0, |i| i + 1));
    let edit_range = range(text, word_start, offset);
    found
        .into_iter()
        .map(|(name, is_dir)| {
            let (label, kind, detail) = if is_dir {
                (format!("{name}/"), lt::CompletionItemKind::FOLDER, "folder")
            } else {
                (name, lt::CompletionItemKind::FILE, "file")
            };
            let mut it = item(&label, kind, detail);
            it.text_edit = Some(lt::CompletionTextEdit::Edit(lt::TextEdit {
                range: edit_range,
                new_text: label.clone(),
            }));
            it
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts to try every position of: the examples, whole and cut off
    /// anywhere (the user is typing), and some broken fragments.
    fn texts() -> Vec<String> {
        let flagship = include_str!("../../../examples/09-sharded-db.arch");
        let mut out: Vec<String> = vec![
            flagship.to_string(),
            include_str!("../../../examples/05-cache-cdn.arch").into(),
            include_str!("../../../examples/split/photo-share.arch").into(),
            "service web { capacity = [ { ( \"x\n} } } ] ) =".into(),
            "# allow(\n# allow(spof, \nimport \"\"\"\n\"é😀 -> -> @ @\n".into(),
            "scenario s { at 1m fail 2 of web@ expect utilization( at".into(),
            "database d { keys = zipf(  hot_keys = { \"a\" = 5% , datacenters = [".into(),
            "cache c {\n  ttl = 1.5k/\n  memory = 4Gi\n".into(),
        ];
        let mut cut = 0;
        while cut < flagship.len() {
            if flagship.is_char_boundary(cut) {
                out.push(flagship[..cut].to_string());
            }
            cut += 173;
        }
        out
    }

    #[test]
    fn no_position_of_any_text_panics() {
        let state = State::default();
        for (n, text) in texts().iter().enumerate() {
            // The whole files at every position, the cut ones sampled.
            let step = if n < 8 { 1 } else { 11 };
            for offset in (0..=text.len() + 2).step_by(step) {
                let _ = items(&state, "/nonexistent/folder/x.arch", text, offset);
            }
        }
    }

    /// The labels offered at the `|` in `text`.
    fn labels_at(text: &str) -> Vec<String> {
        let at = text.find('|').expect("a cursor");
        let text = text.replacen('|', "", 1);
        items(&State::default(), "x.arch", &text, at)
            .into_iter()
            .map(|i| i.label)
            .collect()
    }

    #[test]
    fn values_come_from_the_schema_and_the_names() {
        let design =
            "datacenter east\ndatacenter west\ncache c\ndatabase d\nqueue q\nservice s {\n";
        let at = |rest: &str| labels_at(&format!("{design}{rest}"));
        assert_eq!(at("  session = |"), ["none", "local", "c", "d"]);
        assert_eq!(at("  consumes = |"), ["q"]);
        assert_eq!(at("  public = |"), ["true", "false"]);
        assert_eq!(at("  datacenters = [east, |"), ["east", "west"]);
        assert_eq!(at("  timeout = 2|")[..3], ["2us", "2ms", "2s"]);
        assert_eq!(
            labels_at("traffic {\n  |\n}\n"),
            schema::names(Block::Traffic)
        );
        assert_eq!(
            labels_at("database d { keys = | }"),
            ["uniform", "zipf(1.1)"]
        );
        assert_eq!(labels_at("lb l { capacity = 1.2k| }")[0], "1.2k/s");
        assert_eq!(labels_at("scenario s {\n  at 1m fail d.|"), ["primary"]);
    }

    #[test]
    fn the_flagship_offers_its_own_names_and_the_schema() {
        let text = include_str!("../../../examples/09-sharded-db.arch");
        let state = State::default();
        let at = text.find("  timeout   = 2s").expect("web's timeout") + 2;
        let got: Vec<String> = items(&state, "x.arch", text, at)
            .into_iter()
            .map(|i| i.label)
            .collect();
        // `web` sets autoscale, capacity, latency, session and timeout:
        // the others first, in the schema's order, then those. The cursor
        // is at the start of `timeout`, which does not count as set.
        let set = ["autoscale", "capacity", "latency", "session"];
        let all = schema::names(Block::Component(Kind::Service));
        let mut want: Vec<&str> = all.iter().copied().filter(|n| !set.contains(n)).collect();
        want.extend(all.iter().copied().filter(|n| set.contains(n)));
        assert_eq!(
            got, want,
            "the cursor is on `timeout`, which is not counted"
        );
    }
}
