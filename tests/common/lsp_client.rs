//! A client for `archc lsp` tests: the real binary over stdio, JSON-RPC
//! messages framed by `Content-Length`. Every wait has a deadline, so a
//! server that hangs fails the test instead of hanging CI. Test files
//! include it with `#[path = "common/lsp_client.rs"] mod client;`.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

pub const DEADLINE: Duration = Duration::from_secs(60);

pub struct Server {
    pub child: Child,
    pub stdin: ChildStdin,
    pub incoming: Receiver<Value>,
    pub next_id: i64,
}

impl Server {
    pub fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_archc"))
            .arg("lsp")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("archc lsp starts");
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        length = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let value: Value = serde_json::from_slice(&body).expect("the body is JSON");
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            incoming,
            next_id: 1,
        }
    }

    pub fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response's `result`.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let response = self.wait_for(|m| m["id"] == json!(id));
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    /// The next message that satisfies `want`, skipping the others.
    pub fn wait_for(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        let end = Instant::now() + DEADLINE;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let message = self
                .incoming
                .recv_timeout(left)
                .expect("the server answers before the deadline");
            if want(&message) {
                return message;
            }
        }
    }

    pub fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        let message = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        message["params"]["diagnostics"]
            .as_array()
            .expect("a list")
            .clone()
    }
}

pub fn flagship() -> (String, String, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/09-sharded-db.arch");
    let text = std::fs::read_to_string(&path).expect("the flagship reads");
    let uri = format!("file://{}", path.display());
    (path.display().to_string(), uri, text)
}

pub fn line_of(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|c| (i, c)))
        .unwrap_or_else(|| panic!("`{needle}` is in the flagship"))
}

/// `4166.67` as the estimate table writes it: `4,167`.
pub fn thousands(x: f64) -> String {
    let digits = format!("{}", x.round() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Server {
    /// A server past `initialize` and `initialized`; returns it with its
    /// capabilities.
    pub fn initialized() -> (Server, Value) {
        let mut server = Server::start();
        let init = server.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {} }),
        );
        server.notify("initialized", json!({}));
        (server, init["capabilities"].clone())
    }

    /// Opens `text` as version 1 of `uri`.
    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "arch", "version": 1, "text": text } }),
        );
    }

    /// Every message until the response to request `id`, inclusive.
    pub fn until_response(&mut self, id: i64) -> Vec<Value> {
        let end = Instant::now() + DEADLINE;
        let mut seen = Vec::new();
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let m = self
                .incoming
                .recv_timeout(left)
                .expect("the server answers before the deadline");
            let done = m["id"] == json!(id);
            seen.push(m);
            if done {
                return seen;
            }
        }
    }

    /// `shutdown`, `exit`, and the process's exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let end = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < end, "the server exits after `exit`");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A byte offset of `text` as an LSP position: line, UTF-16 column.
pub fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    json!({
        "line": before.matches('\n').count(),
        "character": before[line_start..].encode_utf16().count(),
    })
}

/// The byte offset of an LSP position in `text` (UTF-16 columns; a column
/// past the line's end is its end).
pub fn offset(text: &str, pos: &Value) -> usize {
    offset_at(
        text,
        pos["line"].as_u64().expect("a line") as usize,
        pos["character"].as_u64().expect("a column") as usize,
    )
}

/// As [`offset`], from a line and a UTF-16 column.
pub fn offset_at(text: &str, line: usize, col: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= col || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// `text` with `edits` (LSP TextEdits, non-overlapping) applied, last first.
pub fn apply_edits(text: &str, edits: &[Value]) -> String {
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(text, &e["range"]["start"]),
                offset(text, &e["range"]["end"]),
                e["newText"].as_str().expect("newText").to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (s, e, new) in spans {
        out.replace_range(s..e, &new);
    }
    out
}

/// The entry of `archc estimate --format json DESIGN` for one copy.
pub fn estimate_copy(design: &str, component: &str, datacenter: &str) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(["estimate", design, "--format", "json"])
        .output()
        .expect("archc estimate runs");
    let estimate: Value = serde_json::from_slice(&out.stdout).expect("estimate's JSON");
    estimate["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["component"] == component && c["datacenter"] == datacenter)
        .unwrap_or_else(|| panic!("{component}@{datacenter} in the estimate"))
        .clone()
}
