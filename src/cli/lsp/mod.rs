//! `archc lsp`: a language server over standard input and output.
//!
//! The server is a thin layer, as rust-analyzer's is: each handler turns
//! LSP types into the library's (a path, a byte offset), asks the library,
//! and turns the answer back. The library never sees LSP types and still
//! does no I/O: the loader handed to it reads an open buffer from memory
//! and any other file from disk. One loop owns the state and answers every
//! message in order, so a later result can never be overwritten by an
//! earlier one.

mod actions;
mod complete;
mod describe;
mod format;
mod scan;

use archc::diagnostic::{Diagnostic, Severity};
use archc::estimate::Estimate;
use archc::figures::{Style, number, percent};
use archc::sources::SourceMap;
use archc::{Model, rules::config::Config};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types as lt;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What the last compile of one open document as a design root produced.
struct Analysis {
    sources: SourceMap,
    model: Model,
    estimate: Option<Estimate>,
}

#[derive(Default)]
struct State {
    /// Open buffers, by file path (as the design names files).
    docs: HashMap<String, String>,
    /// The last analysis with a model, per open root; a buffer with an
    /// error keeps answering hovers from its last good state.
    analyses: HashMap<String, Analysis>,
}

pub fn run() -> u8 {
    let (connection, io_threads) = Connection::stdio();
    let code = match serve(&connection) {
        Ok(()) => super::EXIT_OK,
        Err(e) => {
            eprintln!("error: archc lsp: {e}");
            super::EXIT_INPUT
        }
    };
    drop(connection);
    if let Err(e) = io_threads.join() {
        eprintln!("error: archc lsp: {e}");
        return super::EXIT_INPUT;
    }
    code
}

fn capabilities() -> lt::ServerCapabilities {
    lt::ServerCapabilities {
        text_document_sync: Some(lt::TextDocumentSyncCapability::Kind(
            lt::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lt::OneOf::Left(true)),
        completion_provider: Some(lt::CompletionOptions {
            trigger_characters: Some(complete::TRIGGERS.iter().map(|c| c.to_string()).collect()),
            ..Default::default()
        }),
        document_formatting_provider: Some(lt::OneOf::Left(true)),
        code_action_provider: Some(lt::CodeActionProviderCapability::Options(
            lt::CodeActionOptions {
                code_action_kinds: Some(vec![lt::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

fn serve(connection: &Connection) -> Result<(), Box<dyn std::error::Error>> {
    let caps = serde_json::to_value(capabilities())?;
    let (id, _params) = connection.initialize_start()?;
    connection.initialize_finish(
        id,
        serde_json::json!({
            "capabilities": caps,
            "serverInfo": { "name": "archc", "version": env!("CARGO_PKG_VERSION") },
        }),
    )?;
    let mut state = State::default();
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                // A panic in one handler becomes an error response; the
                // server keeps running for the next request.
                let id = req.id.clone();
                let method = req.method.clone();
                let resp = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    request(&state, req)
                }))
                .unwrap_or_else(|_| {
                    Response::new_err(
                        id,
                        lsp_server::ErrorCode::InternalError as i32,
                        format!(
                            "archc lsp: `{method}` failed inside archc (a bug; please report it)"
                        ),
                    )
                });
                connection.sender.send(Message::Response(resp))?;
            }
            Message::Notification(n) => {
                if n.method == "exit" {
                    return Ok(());
                }
                let method = n.method.clone();
                let published = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    notification(&mut state, n)
                }))
                .unwrap_or_else(|_| {
                    eprintln!(
                        "archc lsp: `{method}` failed inside archc (a bug; please report it)"
                    );
                    Vec::new()
                });
                for out in published {
                    connection.sender.send(Message::Notification(out))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn request(state: &State, req: Request) -> Response {
    let result = match req.method.as_str() {
        "textDocument/hover" => serde_json::from_value::<lt::HoverParams>(req.params).map(|p| {
            let at = &p.text_document_position_params;
            serde_json::to_value(describe::hover(state, at).or_else(|| hover(state, at)))
        }),
        "textDocument/completion" => serde_json::from_value::<lt::CompletionParams>(req.params)
            .map(|p| serde_json::to_value(complete::completion(state, &p))),
        "textDocument/codeAction" => serde_json::from_value::<lt::CodeActionParams>(req.params)
            .map(|p| serde_json::to_value(actions::code_actions(state, &p))),
        "textDocument/formatting" => {
            match serde_json::from_value::<lt::DocumentFormattingParams>(req.params) {
                Ok(p) => match format::formatting(state, &p) {
                    Ok(edits) => Ok(serde_json::to_value(edits)),
                    Err(e) => {
                        return Response::new_err(
                            req.id,
                            lsp_server::ErrorCode::RequestFailed as i32,
                            e,
                        );
                    }
                },
                Err(e) => Err(e),
            }
        }
        "textDocument/definition" => serde_json::from_value::<lt::GotoDefinitionParams>(req.params)
            .map(|p| serde_json::to_value(definition(state, &p.text_document_position_params))),
        _ => {
            return Response::new_err(
                req.id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("unsupported request `{}`", req.method),
            );
        }
    };
    match result {
        Ok(Ok(value)) => Response::new_ok(req.id, value),
        Ok(Err(e)) | Err(e) => Response::new_err(
            req.id,
            lsp_server::ErrorCode::InvalidParams as i32,
            e.to_string(),
        ),
    }
}

fn notification(state: &mut State, n: Notification) -> Vec<Notification> {
    let path = match n.method.as_str() {
        "textDocument/didOpen" => {
            let Ok(p) = serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params) else {
                return Vec::new();
            };
            let path = uri_to_path(&p.text_document.uri);
            state.docs.insert(path.clone(), p.text_document.text);
            path
        }
        "textDocument/didChange" => {
            let Ok(p) = serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params) else {
                return Vec::new();
            };
            let path = uri_to_path(&p.text_document.uri);
            // Full sync: the last change is the whole text.
            if let Some(change) = p.content_changes.into_iter().last() {
                state.docs.insert(path.clone(), change.text);
            }
            path
        }
        "textDocument/didClose" => {
            if let Ok(p) = serde_json::from_value::<lt::DidCloseTextDocumentParams>(n.params) {
                let path = uri_to_path(&p.text_document.uri);
                state.docs.remove(&path);
                state.analyses.remove(&path);
                // A closed file's findings leave the editor's problem list.
                let params = lt::PublishDiagnosticsParams {
                    uri: p.text_document.uri,
                    diagnostics: Vec::new(),
                    version: None,
                };
                return vec![Notification::new(
                    "textDocument/publishDiagnostics".into(),
                    params,
                )];
            }
            return Vec::new();
        }
        _ => return Vec::new(),
    };
    analyse(state, &path)
}

/// Compiles and checks the design rooted at the open document `path` and
/// returns the diagnostics to publish: the root's always (an empty list
/// clears old ones), another file's when it has findings.
fn analyse(state: &mut State, path: &str) -> Vec<Notification> {
    let Some(text) = state.docs.get(path).cloned() else {
        return Vec::new();
    };
    let design = PathBuf::from(path);
    let config = super::inputs::config_for(&design).unwrap_or_else(|e| {
        eprintln!("archc lsp: {e}; using the defaults");
        Config::default()
    });
    let options = archc::BuildOptions {
        default_name: super::inputs::stem(&design),
        assumptions: config.assumptions.clone(),
    };
    let rules = super::inputs::import_rules(&design, &config);
    let docs = &state.docs;
    let loader = |p: &str| -> Result<String, String> {
        match docs.get(p) {
            Some(t) => Ok(t.clone()),
            None => super::inputs::read_import(p),
        }
    };
    let today = super::today();
    let (sources, compiled) =
        archc::check_design(path, text, &loader, &rules, &options, &[], &config, &today);
    let split = sources.split(compiled.diagnostics);
    let mut out = Vec::new();
    for (i, (file, diags)) in sources.files.iter().zip(&split).enumerate() {
        if i > 0 && diags.is_empty() {
            continue;
        }
        let params = lt::PublishDiagnosticsParams {
            uri: path_to_uri(&file.name),
            diagnostics: diags
                .iter()
                .map(|d| to_lsp_diagnostic(&sources, file, d))
                .collect(),
            version: None,
        };
        out.push(Notification::new(
            "textDocument/publishDiagnostics".into(),
            params,
        ));
    }
    if let Some(model) = compiled.model {
        state.analyses.insert(
            path.to_string(),
            Analysis {
                sources,
                model,
                estimate: compiled.estimate,
            },
        );
    }
    out
}

/// A diagnostic of `file` (its spans local to it) in the protocol's shape.
fn to_lsp_diagnostic(
    sources: &SourceMap,
    file: &archc::sources::Source,
    d: &Diagnostic,
) -> lt::Diagnostic {
    let text = file.text.as_str();
    let severity = match d.severity {
        Severity::Error => lt::DiagnosticSeverity::ERROR,
        Severity::Warning => lt::DiagnosticSeverity::WARNING,
        Severity::Info => lt::DiagnosticSeverity::INFORMATION,
    };
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    for note in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    let related: Vec<lt::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|l| {
            let (name, other_text) = match &l.file {
                Some(f) => {
                    let src = sources.files.iter().find(|s| &s.name == f)?;
                    (src.name.as_str(), src.text.as_str())
                }
                None => (file.name.as_str(), text),
            };
            Some(lt::DiagnosticRelatedInformation {
                location: lt::Location {
                    uri: path_to_uri(name),
                    range: range(other_text, l.span.start, l.span.end),
                },
                message: l.message.clone(),
            })
        })
        .collect();
    lt::Diagnostic {
        range: range(text, d.primary.span.start, d.primary.span.end),
        severity: Some(severity),
        code: Some(lt::NumberOrString::String(d.rule.clone())),
        source: Some("archc".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        data: actions::data(d, text),
        ..Default::default()
    }
}

/// The identifier around the cursor in the open document, with the
/// document's analysis.
fn word_at<'a>(
    state: &'a State,
    at: &lt::TextDocumentPositionParams,
) -> Option<(&'a Analysis, &'a str)> {
    let path = uri_to_path(&at.text_document.uri);
    let text = state.docs.get(&path)?;
    let analysis = state.analyses.get(&path)?;
    let offset = offset_of(text, at.position)?;
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    (start < end).then(|| (analysis, &text[start..end]))
}

fn hover(state: &State, at: &lt::TextDocumentPositionParams) -> Option<lt::Hover> {
    let (a, word) = word_at(state, at)?;
    let id = a.model.component_id(word)?;
    let c = &a.model.components[id];
    let mut md = format!("**{}** `{}`\n", c.kind.as_str(), c.name);
    if let Some(est) = a.estimate.as_ref().filter(|e| e.has_traffic) {
        md.push_str("\n| copy | peak/s | instances | utilisation |\n|---|---:|---:|---:|\n");
        let dcs: Vec<Option<usize>> = if c.kind.is_global() {
            vec![None]
        } else {
            (0..a.model.datacenters.len()).map(Some).collect()
        };
        for dc in dcs {
            let Some(node) = a.model.copy_node(id, dc) else {
                continue;
            };
            let e = est.copy(node);
            let place = match dc {
                Some(d) => format!("{}@{}", c.name, a.model.datacenters[d].name),
                None => c.name.clone(),
            };
            let util = if c.capacity.value.is_some() {
                percent(e.utilization, Style::Report)
            } else {
                "-".into()
            };
            md.push_str(&format!(
                "| {place} | {} | {} | {util} |\n",
                number(e.peak_rps, Style::Report),
                e.instances
            ));
        }
    }
    Some(lt::Hover {
        contents: lt::HoverContents::Markup(lt::MarkupContent {
            kind: lt::MarkupKind::Markdown,
            value: md,
        }),
        range: None,
    })
}

fn definition(
    state: &State,
    at: &lt::TextDocumentPositionParams,
) -> Option<lt::GotoDefinitionResponse> {
    let (a, word) = word_at(state, at)?;
    let m = &a.model;
    let span = m
        .component_id(word)
        .map(|id| m.components[id].name_span)
        .or_else(|| {
            m.datacenters
                .iter()
                .find(|d| d.name == word)
                .map(|d| d.name_span)
        })
        .or_else(|| {
            m.templates
                .iter()
                .find(|t| t.name == word)
                .map(|t| t.name_span)
        })?;
    let (i, local) = a.sources.locate(span);
    let file = a.sources.files.get(i)?;
    Some(lt::GotoDefinitionResponse::Scalar(lt::Location {
        uri: path_to_uri(&file.name),
        range: range(&file.text, local.start, local.end),
    }))
}

// ─── Positions and paths ────────────────────────────────────────────────

/// A byte offset in `text` as an LSP position: a line and a column in
/// UTF-16 code units.
fn position(text: &str, offset: usize) -> lt::Position {
    let offset = offset.min(text.len());
    let before = &text[..floor_boundary(text, offset)];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() as u32;
    let character = before[line_start..].encode_utf16().count() as u32;
    lt::Position { line, character }
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn range(text: &str, start: usize, end: usize) -> lt::Range {
    lt::Range {
        start: position(text, start),
        end: position(text, end),
    }
}

/// An LSP position in `text` as a byte offset; a column past the line's
/// end is the line's end.
fn offset_of(text: &str, at: lt::Position) -> Option<usize> {
    let mut line_start = 0;
    for _ in 0..at.line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0u32;
    for (i, ch) in text[line_start..line_end].char_indices() {
        if units >= at.character {
            return Some(line_start + i);
        }
        units += ch.len_utf16() as u32;
    }
    Some(line_end)
}

/// A `file:` URI as the path the design names files by.
fn uri_to_path(uri: &lt::Uri) -> String {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://").unwrap_or(s);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A file path as a `file:` URI, made absolute against the working folder.
fn path_to_uri(path: &str) -> lt::Uri {
    let p = Path::new(path);
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut s = String::from("file://");
    for b in abs.to_string_lossy().replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    lt::Uri::from_str(&s).unwrap_or_else(|_| {
        lt::Uri::from_str("file:///").unwrap_or_else(|_| unreachable!("a constant URI parses"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "ab\n\u{e9}\u{1F600}x\n";
        assert_eq!(position(text, 0), lt::Position::new(0, 0));
        assert_eq!(position(text, 3), lt::Position::new(1, 0));
        // é is 2 bytes and 1 unit; 😀 is 4 bytes and 2 units.
        let x = text.find('x').unwrap();
        assert_eq!(position(text, x), lt::Position::new(1, 3));
        assert_eq!(offset_of(text, lt::Position::new(1, 3)), Some(x));
        assert_eq!(offset_of(text, lt::Position::new(1, 99)), Some(x + 1));
    }

    #[test]
    fn uris_round_trip() {
        let uri = path_to_uri("/tmp/a b/c.arch");
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/c.arch");
        assert_eq!(uri_to_path(&uri), "/tmp/a b/c.arch");
    }
}
