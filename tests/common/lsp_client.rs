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
