//! `archc lsp` driven as an editor drives it: the real binary over stdio,
//! JSON-RPC messages framed by `Content-Length`. Every wait has a deadline,
//! so a server that hangs fails the test instead of hanging CI.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

struct Server {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start() -> Server {
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

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response's `result`.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let response = self.wait_for(|m| m["id"] == json!(id));
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    /// The next message that satisfies `want`, skipping the others.
    fn wait_for(&mut self, want: impl Fn(&Value) -> bool) -> Value {
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

    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        let message = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        message["params"]["diagnostics"]
            .as_array()
            .expect("a list")
            .clone()
    }
}

fn flagship() -> (String, String, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/09-sharded-db.arch");
    let text = std::fs::read_to_string(&path).expect("the flagship reads");
    let uri = format!("file://{}", path.display());
    (path.display().to_string(), uri, text)
}

fn line_of(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|c| (i, c)))
        .unwrap_or_else(|| panic!("`{needle}` is in the flagship"))
}

/// `4166.67` as the estimate table writes it: `4,167`.
fn thousands(x: f64) -> String {
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

#[test]
fn a_session_on_the_flagship() {
    let (path, uri, text) = flagship();
    let mut server = Server::start();
    let init = server.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    assert_eq!(init["capabilities"]["textDocumentSync"], json!(1));
    assert_eq!(init["capabilities"]["hoverProvider"], json!(true));
    server.notify("initialized", json!({}));

    // Open: `archc check` has no findings on the flagship, so no error.
    let check = Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(["check", &path, "--format", "json"])
        .output()
        .expect("archc check runs");
    let checked: Value = serde_json::from_slice(&check.stdout).expect("check's JSON");
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "arch", "version": 1, "text": text } }),
    );
    let diags = server.diagnostics_for(&uri);
    assert!(
        diags.iter().all(|d| d["severity"] != json!(1)),
        "no error on the flagship: {diags:?}"
    );
    let findings = checked["diagnostics"].as_array().map_or(0, Vec::len);
    assert_eq!(diags.len(), findings, "as many as `archc check`: {diags:?}");

    // A typo in `web`'s block: a diagnostic at that line with the did-you-mean.
    let typo = text.replacen("  capacity  = 800/s", "  capacty  = 800/s", 1);
    assert_ne!(typo, text);
    let (typo_line, _) = line_of(&typo, "capacty");
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 },
                "contentChanges": [ { "text": typo } ] }),
    );
    let diags = server.diagnostics_for(&uri);
    let at_line: Vec<&Value> = diags
        .iter()
        .filter(|d| d["range"]["start"]["line"] == json!(typo_line))
        .collect();
    assert!(
        at_line.iter().any(|d| d["message"]
            .as_str()
            .is_some_and(|m| m.contains("capacity"))
            && d["source"] == "archc"
            && d["code"].is_string()),
        "a did-you-mean `capacity` at line {typo_line}: {diags:?}"
    );

    // Back to the flagship: the diagnostics clear.
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 },
                "contentChanges": [ { "text": text } ] }),
    );
    let diags = server.diagnostics_for(&uri);
    assert_eq!(diags.len(), findings, "{diags:?}");

    // Hover on `web` in a flow: the estimate's figures for web@us-east.
    let estimate = Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(["estimate", &path, "--format", "json"])
        .output()
        .expect("archc estimate runs");
    let estimate: Value = serde_json::from_slice(&estimate.stdout).expect("estimate's JSON");
    let web = estimate["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["component"] == "web" && c["datacenter"] == "us-east")
        .expect("web@us-east")
        .clone();
    let (flow_line, flow_col) = line_of(&text, "web -> sessions");
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri },
                "position": { "line": flow_line, "character": flow_col + 1 } }),
    );
    let shown = hover["contents"]["value"].as_str().expect("markdown");
    let row = shown
        .lines()
        .find(|l| l.contains("web@us-east"))
        .unwrap_or_else(|| panic!("a row for web@us-east: {shown}"));
    let peak = thousands(web["peak_rps"].as_f64().expect("peak_rps"));
    let instances = web["instances"].as_u64().expect("instances");
    assert!(row.contains(&format!("| {peak} |")), "{row}");
    assert!(row.contains(&format!("| {instances} |")), "{row}");
    assert!(shown.contains("service"), "{shown}");

    // Definition from the flow to `service web {`.
    let (decl_line, decl_col) = line_of(&text, "service web {");
    let def = server.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": uri },
                "position": { "line": flow_line, "character": flow_col } }),
    );
    assert_eq!(def["uri"], json!(uri), "{def}");
    assert_eq!(def["range"]["start"]["line"], json!(decl_line), "{def}");
    assert_eq!(
        def["range"]["start"]["character"],
        json!(decl_col + "service ".len()),
        "{def}"
    );

    server.request("shutdown", Value::Null);
    server.notify("exit", Value::Null);
    let end = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < end, "the server exits after `exit`");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn definition_crosses_into_an_imported_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/split");
    let design = root.join("photo-share.arch");
    let library = root.join("platform/templates.arch");
    let text = std::fs::read_to_string(&design).expect("the split design reads");
    let library_text = std::fs::read_to_string(&library).expect("the library reads");
    let uri = format!("file://{}", design.display());
    let mut server = Server::start();
    server.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    server.notify("initialized", json!({}));
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "arch", "version": 1, "text": text } }),
    );
    let diags = server.diagnostics_for(&uri);
    assert!(diags.is_empty(), "`archc check` has no findings: {diags:?}");

    // `service web : web-tier {` → `template web-tier {` in the library.
    let (line, col) = line_of(&text, ": web-tier");
    let def = server.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": uri },
                "position": { "line": line, "character": col + 3 } }),
    );
    assert_eq!(
        def["uri"],
        json!(format!("file://{}", library.display())),
        "{def}"
    );
    let (decl_line, decl_col) = line_of(&library_text, "template web-tier");
    assert_eq!(def["range"]["start"]["line"], json!(decl_line), "{def}");
    assert_eq!(
        def["range"]["start"]["character"],
        json!(decl_col + "template ".len()),
        "{def}"
    );

    // Closing clears the document's list.
    server.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert!(server.diagnostics_for(&uri).is_empty());

    server.request("shutdown", Value::Null);
    server.notify("exit", Value::Null);
    let end = Instant::now() + DEADLINE;
    while server.child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < end, "the server exits after `exit`");
        std::thread::sleep(Duration::from_millis(20));
    }
}
