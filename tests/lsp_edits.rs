#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! Random edit sequences against `archc lsp` (issue 16): typing, deleting
//! and pasting fragments of fixtures and examples into an open document
//! never crashes the server, and the diagnostics it last publishes for the
//! final text are exactly `archc check --format json`'s on that text saved
//! at the same path (rule, position, message).
//!
//! Each edit goes over the wire as the server asks: a range change when it
//! advertises incremental sync (the range in UTF-16 positions of the text
//! before the edit), else the whole text. The final diagnostics are the
//! last published before the answer to a request sent after the
//! edits: the server answers messages in order, so a debounced analysis
//! of the last edit must have been published by then.

#[path = "common/lsp_client.rs"]
mod client;

use client::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Statements of fixtures and examples, the "clipboard" pastes come from.
fn fragments() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = Vec::new();
    for folder in ["tests/fixtures/compile", "tests/fixtures/parse", "examples"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "arch") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        // Whole top-level statements (a line, or a block to its closing
        // brace), as a user copies them: most pastes then still parse, and
        // the checks behind the parser get their turn.
        let mut chunk = String::new();
        let mut depth = 0i32;
        for line in text.lines() {
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            chunk.push_str(line);
            chunk.push('\n');
            if depth <= 0 {
                depth = 0;
                if !chunk.trim().is_empty() {
                    out.push(std::mem::take(&mut chunk));
                }
                chunk.clear();
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Edit {
    /// Insert fragment number `.1` (modulo the count) at the start of the
    /// line that holds char `.0` (modulo the length), as a paste of whole
    /// lines lands.
    Paste(usize, usize),
    /// Delete the line that holds char `.0`.
    DeleteLine(usize),
    /// Insert one character typed at char `.0`.
    Type(usize, char),
    /// Delete `.1` characters from char `.0`.
    Delete(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let typed = prop::sample::select(vec![
        'a', 'e', 's', '_', '-', '0', '5', '%', '/', '.', ' ', '\n', '{', '}', '[', ']', '=', '>',
        '"', '#', ':', ',', '(', ')', 'é',
    ]);
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(at, f)| Edit::Paste(at, f)),
        (any::<usize>(), typed).prop_map(|(at, c)| Edit::Type(at, c)),
        (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        any::<usize>().prop_map(Edit::DeleteLine),
    ]
}

/// Edits of whole statements and lines only: the text mostly still
/// parses, so the sequences end in the model's and the rules' findings
/// rather than in a syntax error.
fn structural_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(at, f)| Edit::Paste(at, f)),
        any::<usize>().prop_map(Edit::DeleteLine),
    ]
}

/// The byte offset of char `i` of `text` (its end when past it).
fn byte_of(text: &str, i: usize) -> usize {
    text.char_indices().nth(i).map_or(text.len(), |(b, _)| b)
}

/// The start of the line that holds byte `at`.
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Applies `e` to `text`; returns the replaced byte range and the new text.
fn apply(text: &mut String, e: &Edit, clipboard: &[String]) -> (usize, usize, String) {
    let chars = text.chars().count();
    let (start, end, insert) = match e {
        Edit::Paste(at, f) => {
            let at = line_start(text, byte_of(text, at % (chars + 1)));
            (at, at, clipboard[f % clipboard.len()].clone())
        }
        Edit::DeleteLine(at) => {
            let at = byte_of(text, at % (chars + 1));
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
            (line_start(text, at), end, String::new())
        }
        Edit::Type(at, c) => {
            let at = byte_of(text, at % (chars + 1));
            (at, at, c.to_string())
        }
        Edit::Delete(at, n) => {
            let from = at % (chars + 1);
            (byte_of(text, from), byte_of(text, from + n), String::new())
        }
    };
    text.replace_range(start..end, &insert);
    (start, end, insert)
}

/// `archc check --format json`'s findings for the file at `path`, as
/// (rule, LSP position, message), sorted.
fn checked(path: &Path, text: &str) -> Vec<(String, Value, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(["check", path.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check's JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut found: Vec<(String, Value, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"].as_str() == path.to_str())
        .map(|d| {
            let offset = d["span"]["offset"].as_u64().unwrap() as usize;
            (
                d["rule"].as_str().unwrap().to_string(),
                position(text, offset.min(text.len())),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    found
}

/// The server's last published diagnostics for `uri`, as `checked` gives
/// them: the message up to the help and notes the server appends.
fn published(messages: &[Value], uri: &str) -> Vec<(String, Value, String)> {
    let last = messages
        .iter()
        .rev()
        .find(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri)
        .expect("diagnostics were published for the document");
    let mut found: Vec<(String, Value, String)> = last["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let message = d["message"].as_str().unwrap();
            let message = message.split("\nhelp: ").next().unwrap();
            let message = message.split("\nnote: ").next().unwrap();
            let message = message.split("\nsee: ").next().unwrap();
            (
                d["code"].as_str().unwrap().to_string(),
                d["range"]["start"].clone(),
                message.to_string(),
            )
        })
        .collect();
    found.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    found
}

/// The clipboard and the flagship, read once for every case.
fn inputs() -> &'static (Vec<String>, String) {
    static INPUTS: OnceLock<(Vec<String>, String)> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let flagship = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/09-sharded-db.arch"),
        )
        .unwrap();
        (fragments(), flagship)
    })
}

/// `edits` typed into the open flagship, then the final diagnostics
/// compared with `archc check`'s.
fn session(edits: &[Edit]) -> Result<(), TestCaseError> {
    let (clipboard, start) = inputs();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("design.arch");
    std::fs::write(&path, start).unwrap();
    let uri = format!("file://{}", path.display());

    let (mut server, caps) = Server::initialized();
    let sync = &caps["textDocumentSync"];
    let incremental = sync == &json!(2) || sync["change"] == json!(2);
    server.open(&uri, start);
    let mut text = start.to_string();
    for (n, e) in edits.iter().enumerate() {
        let before = text.clone();
        let (from, to, insert) = apply(&mut text, e, clipboard);
        let change = if incremental {
            json!({ "range": { "start": position(&before, from), "end": position(&before, to) },
                    "text": insert })
        } else {
            json!({ "text": text })
        };
        server.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": n + 2 },
                    "contentChanges": [ change ] }),
        );
    }
    // A request after the edits: its answer comes after the diagnostics of
    // the last one (the server answers in order).
    let id = server.next_id;
    server.next_id += 1;
    server.send(
        json!({ "jsonrpc": "2.0", "id": id, "method": "workspace/symbol",
                        "params": { "query": "" } }),
    );
    let messages = server.until_response(id);
    let response = messages.last().unwrap();
    prop_assert!(
        response.get("error").is_none(),
        "the server failed: {response}"
    );
    let status = server.stop();
    prop_assert!(status.success(), "the server exits cleanly: {status}");

    std::fs::write(&path, &text).unwrap();
    let want = checked(&path, &text);
    let got = published(&messages, &uri);
    prop_assert_eq!(got, want, "final text:\n{}", text);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_edits_end_with_check_diagnostics(edits in prop::collection::vec(edit(), 1..14)) {
        session(&edits)?;
    }

    #[test]
    fn statement_edits_end_with_check_diagnostics(
        edits in prop::collection::vec(structural_edit(), 1..6),
    ) {
        session(&edits)?;
    }
}

/// A fixed sequence, so a regression shows without proptest's search: a
/// letter of `capacity` deleted (a typo) and typed again, then a paste.
#[test]
fn typing_a_typo_and_taking_it_back() {
    let (_, flagship) = inputs();
    let at = flagship.find("capacity").unwrap();
    let at = flagship[..at].chars().count();
    let edits = [
        Edit::Delete(at + 6, 1), // capacty
        Edit::Type(at + 6, 'i'), // capacity again
        Edit::Paste(0, 7),
    ];
    session(&edits).unwrap();
}
