//! `archc lsp`: a language server over standard input and output.
//!
//! The server is a thin layer, as rust-analyzer's is: each handler turns
//! LSP types into the library's (a path, a byte offset), asks the library,
//! and turns the answer back. The library never sees LSP types and still
//! does no I/O: the loader handed to it reads an open buffer from memory
//! and any other file from disk. One loop owns the state and answers every
//! message in order, so a later result can never be overwritten by an
//! earlier one. Changes already queued when one arrives are applied
//! together and analysed once ([`flush`]), and an analysis re-checks every
//! open design that holds the changed file.
//!
//! The features live beside this file: [`navigate`] (references, rename),
//! [`symbols`] (document and workspace symbols), [`inlay`] (the estimate's
//! figures after each header), [`tokens`] (semantic tokens), [`complete`]
//! (completion), [`describe`] (hover on the language's own words),
//! [`format`] (`archc fmt`), [`actions`] (quick fixes) and [`scan`] (the
//! tolerant lexer that reads the text around the cursor).

use archc::diagnostic::{Diagnostic, Severity};
use archc::estimate::Estimate;
use archc::estimate::shards::PlacementCache;
use archc::figures::{Style, duration, number, percent};
use archc::sources::SourceMap;
use archc::{Model, rules::config::Config};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types as lt;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

mod actions;
mod complete;
mod describe;
mod format;
mod inlay;
mod navigate;
mod scan;
mod symbols;
mod tokens;

/// What the last compile of one open document as a design root produced.
struct Analysis {
    sources: SourceMap,
    model: Model,
    estimate: Option<Estimate>,
}

#[derive(Default)]
struct State {
    /// Open buffers, by normalized file path (as the design names files).
    docs: HashMap<String, String>,
    /// The editor's version of each open buffer.
    versions: HashMap<String, i32>,
    /// The last analysis with a model, per open root; a buffer with an
    /// error keeps answering hovers from its last good state.
    analyses: HashMap<String, Analysis>,
    /// The files of each open root's design at its last analysis (the root
    /// first), built or not: who imports what.
    designs: BTreeMap<String, Vec<String>>,
    /// Shard placements from earlier analyses, reused while a database's
    /// sharding attributes stay the same (most edits leave them alone).
    placements: PlacementCache,
    /// Files given a non-empty diagnostics list last time, so that a list
    /// that empties is published (and clears the editor's).
    flagged: BTreeSet<String>,
}

impl State {
    /// The open roots whose design holds `path` (itself, when it is a root
    /// of its own), in name order.
    fn roots_holding(&self, path: &str) -> Vec<String> {
        self.designs
            .iter()
            .filter(|(_, files)| files.iter().any(|f| f == path))
            .map(|(root, _)| root.clone())
            .collect()
    }

    /// The designs holding `path` as they read now (open buffers, and
    /// disk), loaded and parsed but not compiled; `path` as a root of its
    /// own when no open design holds it.
    fn designs_holding(&self, path: &str) -> Vec<archc::sources::Loaded> {
        let mut roots = self.roots_holding(path);
        if roots.is_empty() {
            roots.push(path.to_string());
        }
        roots.iter().filter_map(|r| self.load(r)).collect()
    }

    /// Loads (reads and parses) the design rooted at `root`.
    fn load(&self, root: &str) -> Option<archc::sources::Loaded> {
        let text = match self.docs.get(root) {
            Some(t) => t.clone(),
            None => super::inputs::read_import(root).ok()?,
        };
        let design = PathBuf::from(root);
        let config = super::inputs::config_for(&design).unwrap_or_default();
        let rules = super::inputs::import_rules(&design, &config);
        let loader = buffer_loader(&self.docs);
        Some(archc::sources::load(root, text, &loader, &rules))
    }

    /// The analysis that covers `path`: its own, else that of the first
    /// open root whose design imports it.
    fn analysis_for(&self, path: &str) -> Option<&Analysis> {
        self.analyses.get(path).or_else(|| {
            self.roots_holding(path)
                .iter()
                .find_map(|r| self.analyses.get(r))
        })
    }
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
        text_document_sync: Some(lt::TextDocumentSyncCapability::Options(
            lt::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lt::TextDocumentSyncKind::INCREMENTAL),
                save: Some(lt::TextDocumentSyncSaveOptions::SaveOptions(
                    lt::SaveOptions {
                        include_text: Some(false),
                    },
                )),
                ..Default::default()
            },
        )),
        hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lt::OneOf::Left(true)),
        references_provider: Some(lt::OneOf::Left(true)),
        rename_provider: Some(lt::OneOf::Right(lt::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_symbol_provider: Some(lt::OneOf::Left(true)),
        workspace_symbol_provider: Some(lt::OneOf::Left(true)),
        inlay_hint_provider: Some(lt::OneOf::Left(true)),
        semantic_tokens_provider: Some(
            lt::SemanticTokensServerCapabilities::SemanticTokensOptions(
                lt::SemanticTokensOptions {
                    legend: tokens::legend(),
                    full: Some(lt::SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    work_done_progress_options: Default::default(),
                },
            ),
        ),
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

/// Runs `f`, turning a panic inside archc into a logged message and `or`.
fn guarded<T>(method: &str, or: T, f: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        eprintln!("archc lsp: `{method}` failed inside archc (a bug; please report it)");
        or
    })
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
    // lsp-server hands messages over one at a time (a rendezvous channel);
    // a thread that moves them into an unbounded queue lets changes that
    // arrive during an analysis wait in it, to be drained together.
    let (queue, incoming) = std::sync::mpsc::channel();
    let receiver = connection.receiver.clone();
    std::thread::spawn(move || {
        for m in receiver {
            if queue.send(m).is_err() {
                return;
            }
        }
    });
    let mut shut_down = false;
    // A message taken from the queue while draining changes, to handle
    // next (after the drained changes are analysed).
    let mut next: Option<Message> = None;
    loop {
        let msg = match next.take() {
            Some(m) => m,
            None => match incoming.recv() {
                Ok(m) => m,
                Err(_) => return Ok(()),
            },
        };
        match msg {
            Message::Request(req) => {
                if shut_down || req.method == "shutdown" {
                    let resp = if shut_down {
                        Response::new_err(
                            req.id,
                            lsp_server::ErrorCode::InvalidRequest as i32,
                            "the server is shutting down".into(),
                        )
                    } else {
                        Response::new_ok(req.id, ())
                    };
                    shut_down = true;
                    connection.sender.send(Message::Response(resp))?;
                    continue;
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
                let mut dirty = BTreeSet::new();
                let method = n.method.clone();
                let mut out = guarded(&method, Vec::new(), || {
                    notification(&mut state, n, &mut dirty)
                });
                // Debounce: every change already waiting is applied before
                // one analysis; anything else waits until it is published.
                if !dirty.is_empty() {
                    while let Ok(m) = incoming.try_recv() {
                        match m {
                            Message::Notification(n) if n.method == "textDocument/didChange" => {
                                out.extend(guarded("textDocument/didChange", Vec::new(), || {
                                    notification(&mut state, n, &mut dirty)
                                }));
                            }
                            other => {
                                next = Some(other);
                                break;
                            }
                        }
                    }
                }
                out.extend(guarded(&method, Vec::new(), || flush(&mut state, &dirty)));
                for n in out {
                    connection.sender.send(Message::Notification(n))?;
                }
            }
            Message::Response(_) => {}
        }
    }
}

fn request(state: &State, req: Request) -> Response {
    fn reply<T: serde::Serialize>(v: T) -> Result<serde_json::Value, String> {
        serde_json::to_value(v).map_err(|e| e.to_string())
    }
    fn params<P: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<P, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }
    let id = req.id.clone();
    let v = req.params;
    let result: Result<serde_json::Value, String> = match req.method.as_str() {
        "textDocument/hover" => params::<lt::HoverParams>(v).and_then(|p| {
            let at = &p.text_document_position_params;
            reply(describe::hover(state, at).or_else(|| hover(state, at)))
        }),
        "textDocument/completion" => {
            params::<lt::CompletionParams>(v).and_then(|p| reply(complete::completion(state, &p)))
        }
        "textDocument/codeAction" => {
            params::<lt::CodeActionParams>(v).and_then(|p| reply(actions::code_actions(state, &p)))
        }
        "textDocument/formatting" => {
            match params::<lt::DocumentFormattingParams>(v).map(|p| format::formatting(state, &p)) {
                Ok(Ok(edits)) => reply(edits),
                // A document that does not parse is not formatted: the
                // request fails, it is not a bad request.
                Ok(Err(e)) => {
                    return Response::new_err(id, lsp_server::ErrorCode::RequestFailed as i32, e);
                }
                Err(e) => Err(e),
            }
        }
        "textDocument/definition" => params::<lt::GotoDefinitionParams>(v)
            .and_then(|p| reply(definition(state, &p.text_document_position_params))),
        "textDocument/references" => {
            params::<lt::ReferenceParams>(v).and_then(|p| reply(navigate::references(state, &p)))
        }
        "textDocument/prepareRename" => params::<lt::TextDocumentPositionParams>(v)
            .and_then(|p| navigate::prepare_rename(state, &p))
            .and_then(reply),
        "textDocument/rename" => params::<lt::RenameParams>(v)
            .and_then(|p| navigate::rename(state, &p))
            .and_then(reply),
        "textDocument/documentSymbol" => {
            params::<lt::DocumentSymbolParams>(v).and_then(|p| reply(symbols::document(state, &p)))
        }
        "workspace/symbol" => params::<lt::WorkspaceSymbolParams>(v)
            .and_then(|p| reply(symbols::workspace(state, &p))),
        "textDocument/inlayHint" => {
            params::<lt::InlayHintParams>(v).and_then(|p| reply(inlay::hints(state, &p)))
        }
        "textDocument/semanticTokens/full" => {
            params::<lt::SemanticTokensParams>(v).and_then(|p| reply(tokens::full(state, &p)))
        }
        _ => {
            return Response::new_err(
                id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("unsupported request `{}`", req.method),
            );
        }
    };
    match result {
        Ok(value) => Response::new_ok(id, value),
        Err(e) => Response::new_err(id, lsp_server::ErrorCode::InvalidParams as i32, e),
    }
}

/// The normalized path of a document's URI: the key of every map here.
fn doc_path(uri: &lt::Uri) -> String {
    archc::sources::normalize(&uri_to_path(uri))
}

/// Applies one change to a buffer: the whole text, or a range (UTF-16
/// positions; one past the end is the end) replaced.
fn apply_change(text: &mut String, change: lt::TextDocumentContentChangeEvent) {
    match change.range {
        None => *text = change.text,
        Some(r) => {
            let start = offset_of(text, r.start).unwrap_or(text.len());
            let end = offset_of(text, r.end).unwrap_or(text.len()).max(start);
            text.replace_range(start..end, &change.text);
        }
    }
}

/// Updates the buffers for one notification and notes which paths
/// changed; returns what must be published at once (a closed file's
/// empty list).
fn notification(
    state: &mut State,
    n: Notification,
    dirty: &mut BTreeSet<String>,
) -> Vec<Notification> {
    match n.method.as_str() {
        "textDocument/didOpen" => {
            if let Ok(p) = serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params) {
                let path = doc_path(&p.text_document.uri);
                state.docs.insert(path.clone(), p.text_document.text);
                state.versions.insert(path.clone(), p.text_document.version);
                dirty.insert(path);
            }
        }
        "textDocument/didChange" => {
            if let Ok(p) = serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params) {
                let path = doc_path(&p.text_document.uri);
                let Some(text) = state.docs.get_mut(&path) else {
                    return Vec::new();
                };
                for change in p.content_changes {
                    apply_change(text, change);
                }
                state.versions.insert(path.clone(), p.text_document.version);
                dirty.insert(path);
            }
        }
        "textDocument/didSave" => {
            // The buffer already holds the text; a saved library is read
            // from disk by designs that do not have it open.
            if let Ok(p) = serde_json::from_value::<lt::DidSaveTextDocumentParams>(n.params) {
                let path = doc_path(&p.text_document.uri);
                if let (Some(text), Some(doc)) = (p.text, state.docs.get_mut(&path)) {
                    *doc = text;
                }
                dirty.insert(path);
            }
        }
        "textDocument/didClose" => {
            if let Ok(p) = serde_json::from_value::<lt::DidCloseTextDocumentParams>(n.params) {
                let path = doc_path(&p.text_document.uri);
                state.docs.remove(&path);
                state.versions.remove(&path);
                state.analyses.remove(&path);
                let files = state.designs.remove(&path).unwrap_or_default();
                state.flagged.remove(&path);
                // A closed file's findings leave the editor's problem list,
                // and so do those of the files only its design held.
                let mut cleared = vec![p.text_document.uri];
                for f in files.iter().skip(1) {
                    if !state.docs.contains_key(f)
                        && state.roots_holding(f).is_empty()
                        && state.flagged.remove(f)
                    {
                        cleared.push(path_to_uri(f));
                    }
                }
                // Designs that import it now read it from disk.
                dirty.insert(path);
                return cleared
                    .into_iter()
                    .map(|uri| {
                        let params = lt::PublishDiagnosticsParams {
                            uri,
                            diagnostics: Vec::new(),
                            version: None,
                        };
                        Notification::new("textDocument/publishDiagnostics".into(), params)
                    })
                    .collect();
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Analyses what the changed paths affect, once each: a changed open
/// document that no other open design imports is a root of its own; every
/// open root whose design holds a changed path is re-checked; so is an
/// open document that was a library and is no longer imported.
fn flush(state: &mut State, dirty: &BTreeSet<String>) -> Vec<Notification> {
    if dirty.is_empty() {
        return Vec::new();
    }
    let imported_elsewhere = |state: &State, path: &str| {
        state
            .designs
            .iter()
            .any(|(root, files)| root != path && files.iter().any(|f| f == path))
    };
    let mut roots = BTreeSet::new();
    for path in dirty {
        if state.docs.contains_key(path) && !imported_elsewhere(state, path) {
            roots.insert(path.clone());
        }
        for r in state.roots_holding(path) {
            if state.docs.contains_key(&r) {
                roots.insert(r);
            }
        }
    }
    let mut out = Vec::new();
    for root in &roots {
        out.extend(analyse(state, root));
    }
    let orphans: Vec<String> = state
        .docs
        .keys()
        .filter(|d| !state.designs.contains_key(*d) && !imported_elsewhere(state, d))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for d in orphans {
        out.extend(analyse(state, &d));
    }
    out
}

/// Compiles and checks the design rooted at the open document `path` and
/// returns the diagnostics to publish: the root's always (an empty list
/// clears old ones); another file's when it has findings, is open, or had
/// findings before.
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
    let loader = buffer_loader(&state.docs);
    let today = super::today();
    // Typing a `key_count` digit by digit leaves a placement per value;
    // a bound keeps a long session's memory flat.
    if state.placements.len() > 256 {
        state.placements = PlacementCache::default();
    }
    let (sources, compiled) = archc::check_design_cached(
        path,
        text,
        &loader,
        &rules,
        &options,
        &[],
        &config,
        &today,
        &mut state.placements,
    );
    let split = sources.split(compiled.diagnostics);
    let files: Vec<String> = sources
        .files
        .iter()
        .map(|f| archc::sources::normalize(&f.name))
        .collect();
    // Open files this design imports are its libraries now, not roots.
    for f in files.iter().skip(1) {
        state.designs.remove(f);
        state.analyses.remove(f);
    }
    state.designs.insert(path.to_string(), files.clone());
    let mut out = Vec::new();
    for (i, (file, diags)) in sources.files.iter().zip(&split).enumerate() {
        let name = &files[i];
        let publish = i == 0
            || !diags.is_empty()
            || state.docs.contains_key(name)
            || state.flagged.contains(name);
        if !publish {
            continue;
        }
        if diags.is_empty() {
            state.flagged.remove(name);
        } else {
            state.flagged.insert(name.clone());
        }
        let lines = Lines::new(&file.text);
        let params = lt::PublishDiagnosticsParams {
            uri: path_to_uri(&file.name),
            diagnostics: diags
                .iter()
                .map(|d| to_lsp_diagnostic(&sources, file, &lines, d))
                .collect(),
            version: state.versions.get(name).copied(),
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
    lines: &Lines,
    d: &Diagnostic,
) -> lt::Diagnostic {
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
    // The rule's documentation has no web address to link as a
    // `codeDescription`; the command that prints it is the next best.
    message.push_str(&format!("\nsee: archc explain {}", d.rule));
    let related: Vec<lt::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|l| {
            let (name, at) = match &l.file {
                Some(f) => {
                    let src = sources.files.iter().find(|s| &s.name == f)?;
                    (
                        src.name.as_str(),
                        range(&src.text, l.span.start, l.span.end),
                    )
                }
                None => (file.name.as_str(), lines.range(l.span.start, l.span.end)),
            };
            Some(lt::DiagnosticRelatedInformation {
                location: lt::Location {
                    uri: path_to_uri(name),
                    range: at,
                },
                message: l.message.clone(),
            })
        })
        .collect();
    lt::Diagnostic {
        range: lines.range(d.primary.span.start, d.primary.span.end),
        severity: Some(severity),
        code: Some(lt::NumberOrString::String(d.rule.clone())),
        source: Some("archc".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        data: actions::data(d, &file.text),
        ..Default::default()
    }
}

/// The identifier around the cursor in the open document, with the
/// document's analysis.
fn word_at<'a>(
    state: &'a State,
    at: &lt::TextDocumentPositionParams,
) -> Option<(&'a Analysis, &'a str)> {
    let path = doc_path(&at.text_document.uri);
    let text = state.docs.get(&path)?;
    let analysis = state.analysis_for(&path)?;
    let (start, end) = word_span(text, offset_of(text, at.position)?)?;
    Some((analysis, &text[start..end]))
}

/// The byte range of the name (letters, digits, `_`, `-`) around `offset`.
fn word_span(text: &str, offset: usize) -> Option<(usize, usize)> {
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
    (start < end).then_some((start, end))
}

/// The loader the library reads a design through: an open buffer from
/// memory, any other file from disk.
fn buffer_loader(docs: &HashMap<String, String>) -> impl Fn(&str) -> Result<String, String> + '_ {
    move |p: &str| match docs.get(p) {
        Some(t) => Ok(t.clone()),
        None => super::inputs::read_import(p),
    }
}

fn hover(state: &State, at: &lt::TextDocumentPositionParams) -> Option<lt::Hover> {
    let (a, word) = word_at(state, at)?;
    let id = a.model.component_id(word)?;
    let c = &a.model.components[id];
    let mut md = format!("**{}** `{}`\n", c.kind.as_str(), c.name);
    if let Some(est) = a.estimate.as_ref().filter(|e| e.has_traffic) {
        md.push_str(
            "\n| copy | peak/s | instances | utilisation | p99 |\n|---|---:|---:|---:|---:|\n",
        );
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
            let instances = if c.managed {
                "managed".to_string()
            } else if c.kind == archc::model::Kind::Client {
                "-".to_string()
            } else {
                e.instances.to_string()
            };
            let p99 = if e.p99_s.is_finite() {
                duration(e.p99_s, Style::Report)
            } else {
                "unbounded".into()
            };
            md.push_str(&format!(
                "| {place} | {} | {instances} | {util} | {p99} |\n",
                number(e.peak_rps, Style::Report),
            ));
        }
    }
    md.push_str(&resolved_attributes(a, c));
    Some(lt::Hover {
        contents: lt::HoverContents::Markup(lt::MarkupContent {
            kind: lt::MarkupKind::Markdown,
            value: md,
        }),
        range: None,
    })
}

/// The attributes `c` sets, as written, each with where its value comes
/// from: its own block, or a template (file and line), LANGUAGE.md §11.
fn resolved_attributes(a: &Analysis, c: &archc::model::Component) -> String {
    let mut out = String::new();
    for spec in archc::model::schema::attributes(archc::model::schema::Block::Component(c.kind)) {
        let Some(span) = c.attr_span(spec.name) else {
            continue;
        };
        let (i, local) = a.sources.locate(span);
        let Some(written) = a
            .sources
            .files
            .get(i)
            .and_then(|f| f.text.get(local.start..local.end))
        else {
            continue;
        };
        let written = written.split_whitespace().collect::<Vec<_>>().join(" ");
        let origin = match c.templated.get(spec.name) {
            Some(o) => format!(" — from template `{}` ({}:{})", o.template, o.file, o.line),
            None => String::new(),
        };
        if out.is_empty() {
            out.push_str("\n**attributes** (the others take their defaults)\n\n");
        }
        out.push_str(&format!("- `{written}`{origin}\n"));
    }
    out
}

/// The file an `import "PATH"` line names, when the cursor is on its path
/// and the file exists: resolved as the loader resolves it (from the
/// importing file's folder, LANGUAGE.md §11).
fn import_target(state: &State, at: &lt::TextDocumentPositionParams) -> Option<String> {
    let path = uri_to_path(&at.text_document.uri);
    let text = state.docs.get(&path)?;
    let offset = offset_of(text, at.position)?;
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[start..end];
    line.trim_start().strip_prefix("import")?;
    let open = start + line.find('"')?;
    let close = open + 1 + text[open + 1..end].find('"')?;
    if offset <= open || offset > close {
        return None;
    }
    let target = archc::sources::resolve(&path, &text[open + 1..close]);
    (state.docs.contains_key(&target) || Path::new(&target).is_file()).then_some(target)
}

fn definition(
    state: &State,
    at: &lt::TextDocumentPositionParams,
) -> Option<lt::GotoDefinitionResponse> {
    if let Some(file) = import_target(state, at) {
        return Some(lt::GotoDefinitionResponse::Scalar(lt::Location {
            uri: path_to_uri(&file),
            range: lt::Range::default(),
        }));
    }
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

/// A text's line starts, so that many offsets of one text become
/// positions without scanning the text from its start for each.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// One index per file of a design, in the map's order.
    fn per_file(sources: &'a SourceMap) -> Vec<Lines<'a>> {
        sources.files.iter().map(|f| Lines::new(&f.text)).collect()
    }

    /// As [`position`].
    fn position(&self, offset: usize) -> lt::Position {
        let offset = floor_boundary(self.text, offset.min(self.text.len()));
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts[line];
        lt::Position {
            line: line as u32,
            character: self.text[start..offset].encode_utf16().count() as u32,
        }
    }

    /// As [`range`].
    fn range(&self, start: usize, end: usize) -> lt::Range {
        lt::Range {
            start: self.position(start),
            end: self.position(end),
        }
    }
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
    fn a_line_index_agrees_with_positions() {
        let text = "ab\n\u{e9}\u{1F600}x\n\nlast";
        let lines = Lines::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(lines.position(offset), position(text, offset), "{offset}");
        }
    }

    #[test]
    fn uris_round_trip() {
        let uri = path_to_uri("/tmp/a b/c.arch");
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/c.arch");
        assert_eq!(uri_to_path(&uri), "/tmp/a b/c.arch");
    }
}
