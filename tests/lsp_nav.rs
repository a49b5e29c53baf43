//! `archc lsp`'s navigation half, driven over stdio as an editor drives it:
//! references, rename across files (the edited copy still checks the
//! same), document and workspace symbols, inlay hints against `archc
//! estimate`, semantic tokens, incremental sync against full sync,
//! debouncing, and libraries re-checking the designs that import them.

#[path = "common/lsp_client.rs"]
mod client;

use client::*;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn uri_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A request whose response is an error: its message.
fn request_error(server: &mut Server, method: &str, params: Value) -> String {
    let id = server.next_id;
    server.next_id += 1;
    server.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
    let response = server.wait_for(|m| m["id"] == json!(id));
    response["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{method} is refused: {response}"))
        .to_string()
}

/// Where `name` stands as a whole identifier outside comments and strings:
/// (line, UTF-16 column) pairs — the test's own reading of the language.
fn identifier_uses(text: &str, name: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'#' => break,
                b'"' => {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                c if c.is_ascii_alphabetic() => {
                    let start = i;
                    while i < b.len()
                        && (b[i].is_ascii_alphanumeric()
                            || b[i] == b'_'
                            || (b[i] == b'-'
                                && b.get(i + 1).is_some_and(|n| {
                                    n.is_ascii_alphanumeric() || *n == b'_' || *n == b'-'
                                })))
                    {
                        i += 1;
                    }
                    if &line[start..i] == name {
                        out.push((line_no, line[..start].encode_utf16().count()));
                    }
                }
                _ => i += 1,
            }
        }
    }
    out
}

fn start_of(range: &Value) -> (usize, usize) {
    (
        range["start"]["line"].as_u64().expect("line") as usize,
        range["start"]["character"].as_u64().expect("character") as usize,
    )
}

fn check_json(path: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(["check", &path.display().to_string(), "--format", "json"])
        .output()
        .expect("archc check runs");
    serde_json::from_slice(&out.stdout).expect("check's JSON")
}

/// What a check found, without where the files are: (rule, severity,
/// message) in order.
fn findings(check: &Value) -> Vec<(String, String, String)> {
    check["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].to_string(),
                d["severity"].to_string(),
                d["message"].to_string(),
            )
        })
        .collect()
}

#[test]
fn references_of_web_in_the_flagship_are_its_declaration_and_every_use() {
    let (_, uri, text) = flagship();
    let mut server = Server::initialized().0;
    server.open(&uri, &text);
    server.diagnostics_for(&uri);
    let (line, col) = line_of(&text, "web -> sessions");
    let refs = server.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": col },
                "context": { "includeDeclaration": true } }),
    );
    let mut got: Vec<(usize, usize)> = refs
        .as_array()
        .expect("a list")
        .iter()
        .map(|l| {
            assert_eq!(l["uri"], json!(uri));
            start_of(&l["range"])
        })
        .collect();
    got.sort();
    let want = identifier_uses(&text, "web");
    assert_eq!(got, want, "every `web` outside comments and strings");
    // The declaration and every flow that names web are among them.
    let (decl, decl_col) = line_of(&text, "service web {");
    assert!(got.contains(&(decl, decl_col + "service ".len())));
    for (i, l) in text.lines().enumerate() {
        if l.contains("->") && !l.trim_start().starts_with('#') && l.contains("web") {
            assert!(got.iter().any(|(g, _)| *g == i), "flow line {i}: {l}");
        }
    }
    assert!(want.len() >= 9, "{want:?}");

    // Without the declaration: one fewer.
    let uses = server.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": col },
                "context": { "includeDeclaration": false } }),
    );
    assert_eq!(uses.as_array().expect("a list").len(), want.len() - 1);

    // On a comment: nothing.
    let (cl, cc) = line_of(&text, "# Lose the bigger datacenter");
    let none = server.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": { "line": cl, "character": cc + 3 },
                "context": { "includeDeclaration": true } }),
    );
    assert_eq!(none, Value::Null);
    server.stop();
}

/// A copy of `examples/split` in a fresh temporary folder.
fn split_copy(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("archc-lsp-nav-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("platform")).expect("temp dir");
    for f in [
        "photo-share.arch",
        "platform/datacenters.arch",
        "platform/templates.arch",
    ] {
        std::fs::copy(manifest().join("examples/split").join(f), dir.join(f)).expect("copy");
    }
    dir
}

#[test]
fn rename_across_the_split_design_edits_every_file_and_still_checks_the_same() {
    let dir = split_copy("rename");
    let root = dir.join("photo-share.arch");
    let dcs = dir.join("platform/datacenters.arch");
    let templates = dir.join("platform/templates.arch");
    let before = findings(&check_json(&root));
    let mut texts: Vec<(PathBuf, String)> = [&root, &dcs, &templates]
        .iter()
        .map(|p| ((*p).clone(), std::fs::read_to_string(p).expect("reads")))
        .collect();
    let mut server = Server::initialized().0;
    server.open(&uri_of(&root), &texts[0].1);
    assert!(server.diagnostics_for(&uri_of(&root)).is_empty());
    server.open(&uri_of(&templates), &texts[2].1);

    // (old, new, the file and text the cursor is in)
    let renames = [
        ("us-east", "east-1", 0usize, "at 2m fail us-east"),
        ("web-tier", "front-tier", 2, "template web-tier"),
        ("sessions", "logins", 0, "web -> sessions"),
        ("jobs", "tasks", 0, "consumes = jobs"),
    ];
    for (old, new, file, needle) in renames {
        let (line, col) = line_of(&texts[file].1, needle);
        let col = col + needle.find(old).expect("the needle names it");
        let uri = uri_of(&texts[file].0);
        let prep = server.request(
            "textDocument/prepareRename",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": col + 1 } }),
        );
        assert_eq!(prep["placeholder"], json!(old), "{prep}");
        // A name that is not one, and one already taken, are refused.
        let bad = request_error(
            &mut server,
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": col },
                    "newName": "not a name" }),
        );
        assert!(bad.contains("not a name"), "{bad}");
        let taken = request_error(
            &mut server,
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": col },
                    "newName": "photos" }),
        );
        assert!(taken.contains("already"), "{taken}");

        let edit = server.request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": col },
                    "newName": new }),
        );
        let changes = edit["documentChanges"].as_array().expect("documentChanges");
        let mut edited = 0;
        for (path, text) in texts.iter_mut() {
            let uses = identifier_uses(text, old);
            let Some(change) = changes
                .iter()
                .find(|c| c["textDocument"]["uri"] == json!(uri_of(path)))
            else {
                assert!(
                    uses.is_empty(),
                    "{old} in {} is not renamed",
                    path.display()
                );
                continue;
            };
            let edits = change["edits"].as_array().expect("edits");
            let mut at: Vec<(usize, usize)> = edits.iter().map(|e| start_of(&e["range"])).collect();
            at.sort();
            assert_eq!(at, uses, "every `{old}` in {}", path.display());
            *text = apply_edits(text, edits);
            assert!(identifier_uses(text, old).is_empty());
            edited += 1;
            // The editor applies the edit: the open buffers change.
            if let Some(v) = change["textDocument"]["version"].as_i64() {
                server.notify(
                    "textDocument/didChange",
                    json!({ "textDocument": { "uri": uri_of(path), "version": v + 1 },
                            "contentChanges": [ { "text": text } ] }),
                );
            }
        }
        assert!(edited >= 1, "{edit}");
        for (path, text) in &texts {
            std::fs::write(path, text).expect("write the copy");
        }
        assert_eq!(
            findings(&check_json(&root)),
            before,
            "after renaming {old} to {new}"
        );
    }
    // The datacenter's declaration moved with it, in the library.
    assert!(texts[1].1.contains("datacenter east-1"), "{}", texts[1].1);
    assert!(texts[2].1.contains("template front-tier"));
    assert!(texts[0].1.contains("service web : front-tier"));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn symbols_list_every_component_and_the_workspace_finds_library_ones() {
    let (path, uri, text) = flagship();
    let mut server = Server::initialized().0;
    server.open(&uri, &text);
    server.diagnostics_for(&uri);
    let outline = server.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let outline = outline.as_array().expect("a list");
    let estimate = Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(["estimate", &path, "--format", "json"])
        .output()
        .expect("archc estimate runs");
    let estimate: Value = serde_json::from_slice(&estimate.stdout).expect("JSON");
    let components = estimate["components"].as_array().expect("components");
    assert!(components.len() > 5);
    for c in components {
        let name = &c["component"];
        let sym = outline
            .iter()
            .find(|s| s["name"] == *name)
            .unwrap_or_else(|| panic!("{name} in the outline"));
        assert!(
            sym["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with(c["kind"].as_str().expect("kind"))),
            "{sym}"
        );
    }
    for dc in ["us-east", "us-west"] {
        assert!(
            outline
                .iter()
                .any(|s| s["name"] == dc && s["detail"] == "datacenter")
        );
    }
    assert!(outline.iter().any(|s| s["detail"] == "scenario"));

    // Workspace symbols: the split design's library templates, by query.
    let design = manifest().join("examples/split/photo-share.arch");
    let design_text = std::fs::read_to_string(&design).expect("reads");
    server.open(&uri_of(&design), &design_text);
    server.diagnostics_for(&uri_of(&design));
    let found = server.request("workspace/symbol", json!({ "query": "wtier" }));
    let found = found.as_array().expect("a list");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["name"], "web-tier");
    assert_eq!(
        found[0]["location"]["uri"],
        json!(uri_of(
            &manifest().join("examples/split/platform/templates.arch")
        ))
    );
    let all = server.request("workspace/symbol", json!({ "query": "" }));
    let webs = all
        .as_array()
        .expect("a list")
        .iter()
        .filter(|s| s["name"] == "web")
        .count();
    assert_eq!(webs, 2, "web of both open designs");
    server.stop();
}

#[test]
fn inlay_hints_show_the_estimates_figures() {
    let (path, uri, text) = flagship();
    let mut server = Server::initialized().0;
    server.open(&uri, &text);
    server.diagnostics_for(&uri);
    let hints = server.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": uri },
                "range": { "start": { "line": 0, "character": 0 },
                           "end": { "line": 10000, "character": 0 } } }),
    );
    let hints = hints.as_array().expect("a list");
    let estimate = Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(["estimate", &path, "--format", "json"])
        .output()
        .expect("archc estimate runs");
    let estimate: Value = serde_json::from_slice(&estimate.stdout).expect("JSON");
    let (line, col) = line_of(&text, "service web {");
    let web = hints
        .iter()
        .find(|h| h["position"]["line"] == json!(line))
        .unwrap_or_else(|| panic!("a hint on web's line: {hints:?}"));
    assert_eq!(
        web["position"]["character"],
        json!(col + "service web".len())
    );
    let label = web["label"].as_str().expect("a label");
    for dc in ["us-east", "us-west"] {
        let copy = estimate["components"]
            .as_array()
            .expect("components")
            .iter()
            .find(|c| c["component"] == "web" && c["datacenter"] == dc)
            .expect("web's copy");
        let want = format!(
            "{dc} {}/s · {} inst · {}%",
            thousands(copy["peak_rps"].as_f64().expect("peak")),
            copy["instances"],
            (copy["utilization"].as_f64().expect("util") * 100.0).round()
        );
        assert!(label.contains(&want), "{label} has {want}");
    }
    // Every component gets one; datacenters do not.
    let components: std::collections::BTreeSet<&str> = estimate["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["component"].as_str())
        .collect();
    assert_eq!(hints.len(), components.len(), "{hints:?}");

    // No traffic, no hints.
    let quiet = "service a { capacity = 10/s }\nservice b\na -> b\n";
    let dir = std::env::temp_dir().join(format!("archc-lsp-nav-quiet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let quiet_uri = uri_of(&dir.join("quiet.arch"));
    server.open(&quiet_uri, quiet);
    server.diagnostics_for(&quiet_uri);
    let none = server.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": quiet_uri },
                "range": { "start": { "line": 0, "character": 0 },
                           "end": { "line": 100, "character": 0 } } }),
    );
    assert_eq!(none, json!([]));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn semantic_tokens_cover_the_flagship() {
    let (_, uri, text) = flagship();
    let mut server = Server::initialized().0;
    server.open(&uri, &text);
    server.diagnostics_for(&uri);
    let toks = server.request(
        "textDocument/semanticTokens/full",
        json!({ "textDocument": { "uri": uri } }),
    );
    let data: Vec<u64> = toks["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|v| v.as_u64().expect("a number"))
        .collect();
    assert_eq!(data.len() % 5, 0);
    // Decode: the text of each token and its type index.
    let lines: Vec<&str> = text.lines().collect();
    let (mut line, mut col) = (0usize, 0usize);
    let mut seen = Vec::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            line += t[0] as usize;
            col = t[1] as usize;
        } else {
            col += t[1] as usize;
        }
        let l = lines[line];
        let s = offset_at(l, 0, col);
        let e = offset_at(l, 0, col + t[2] as usize);
        seen.push((line, l[s..e].to_string(), t[3]));
    }
    let type_of = |line: usize, word: &str| {
        seen.iter()
            .find(|(l, w, _)| *l == line && w == word)
            .map(|t| t.2)
    };
    let (web, _) = line_of(&text, "service web {");
    let (cap, _) = line_of(&text, "  capacity  = 800/s");
    let (flow, _) = line_of(&text, "web -> sessions");
    // Legend order: keyword 0, type 1, property 2, class 3, … number 9,
    // string 10, comment 11.
    assert_eq!(type_of(web, "service"), Some(1));
    assert_eq!(type_of(web, "web"), Some(3));
    assert_eq!(type_of(cap, "capacity"), Some(2));
    assert_eq!(type_of(cap, "800/s"), Some(9));
    assert_eq!(type_of(flow, "sessions"), Some(3));
    assert_eq!(type_of(0, lines[0]), Some(11), "a comment");
    let (region, _) = line_of(&text, "region = \"us-east-1\"");
    assert_eq!(type_of(region, "\"us-east-1\""), Some(10));
    assert_eq!(type_of(region, "datacenter"), Some(1));
    server.stop();
}

/// Every message until a diagnostics list for `uri` with `version`; the
/// versions of the lists for `uri` on the way.
fn until_version(server: &mut Server, uri: &str, version: i64) -> (Vec<i64>, Vec<Value>) {
    let mut versions = Vec::new();
    loop {
        let m = server.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        let v = m["params"]["version"].as_i64().unwrap_or(-1);
        versions.push(v);
        if v == version {
            return (
                versions,
                m["params"]["diagnostics"]
                    .as_array()
                    .expect("a list")
                    .clone(),
            );
        }
    }
}

/// Every message the server sends before answering a request sent now:
/// everything it had to say about the notifications sent before.
fn settle(server: &mut Server) -> Vec<Value> {
    let id = server.next_id;
    server.next_id += 1;
    server.send(
        json!({ "jsonrpc": "2.0", "id": id, "method": "workspace/symbol",
                        "params": { "query": "" } }),
    );
    let mut seen = Vec::new();
    loop {
        let m = server.wait_for(|_| true);
        if m["id"] == json!(id) {
            return seen;
        }
        seen.push(m);
    }
}

/// The last diagnostics list for `uri` among `messages`.
fn last_list(messages: &[Value], uri: &str) -> Option<Vec<Value>> {
    messages
        .iter()
        .rev()
        .find(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri)
        .and_then(|m| m["params"]["diagnostics"].as_array().cloned())
}

fn frame(message: &Value) -> String {
    let body = message.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

fn change(uri: &str, version: i64, changes: Value) -> Value {
    json!({ "jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": { "textDocument": { "uri": uri, "version": version },
                        "contentChanges": changes } })
}

#[test]
fn incremental_edits_end_like_a_full_text_change_and_are_debounced() {
    let (_, uri, text) = flagship();
    let mut server = Server::initialized().0;
    server.open(&uri, &text);
    server.diagnostics_for(&uri);

    // Range edits, as an editor sends them, each on the text before it.
    let (cap, cap_col) = line_of(&text, "  capacity  = 800/s");
    let r = |l0: usize, c0: usize, l1: usize, c1: usize| json!({ "start": { "line": l0, "character": c0 }, "end": { "line": l1, "character": c1 } });
    let edits = vec![
        // `capacity` → `capacty` in web's block.
        json!({ "range": r(cap, cap_col + 7, cap, cap_col + 8), "text": "" }),
        // A line with characters of two and four UTF-8 bytes, at the top.
        json!({ "range": r(0, 0, 0, 0), "text": "# caf\u{e9} \u{1F600}\n" }),
        // After them on that line: UTF-16 columns, not bytes.
        json!({ "range": r(0, 9, 0, 9), "text": " x" }),
        // Two new lines at the top: a component and a flow to it.
        json!({ "range": r(0, 0, 0, 0), "text": "service extra { capacity = 9/s }\nweb -> extra\n" }),
    ];
    // The expected text, by the test's own reading of the positions.
    let mut want = text.clone();
    for e in &edits {
        let (l0, c0) = start_of(&e["range"]);
        let l1 = e["range"]["end"]["line"].as_u64().expect("line") as usize;
        let c1 = e["range"]["end"]["character"].as_u64().expect("char") as usize;
        let (s, t) = (offset_at(&want, l0, c0), offset_at(&want, l1, c1));
        want.replace_range(s..t, e["text"].as_str().expect("text"));
    }
    assert!(want.starts_with("service extra"), "{want}");
    assert!(want.contains("# caf\u{e9} \u{1F600} x\n"), "{want}");
    // Two notifications, the second with two changes, and then twenty
    // no-op changes, all written at once: the server drains them.
    let mut burst = frame(&change(&uri, 2, json!([edits[0], edits[1]])));
    burst.push_str(&frame(&change(&uri, 3, json!([edits[2], edits[3]]))));
    for v in 4..24 {
        burst.push_str(&frame(&change(
            &uri,
            v,
            json!([{ "range": r(0, 0, 0, 0), "text": "" }]),
        )));
    }
    server.stdin.write_all(burst.as_bytes()).expect("write");
    server.stdin.flush().expect("flush");
    let (versions, incremental) = until_version(&mut server, &uri, 23);
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "never an older version after a newer one: {versions:?}"
    );
    assert!(
        versions.len() < 12,
        "queued changes are analysed together: {versions:?}"
    );
    assert!(
        incremental
            .iter()
            .any(|d| d["message"].as_str().is_some_and(|m| m.contains("capacty"))),
        "{incremental:?}"
    );

    // The same final text in one full change: the same diagnostics.
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 24 },
                "contentChanges": [ { "text": want } ] }),
    );
    let (_, full) = until_version(&mut server, &uri, 24);
    assert_eq!(incremental, full);
    // And the server's text is the test's: a rename sees `extra` where the
    // test put it.
    let (extra, extra_col) = line_of(&want, "web -> extra");
    let refs = server.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri },
                "position": { "line": extra, "character": extra_col + 7 },
                "context": { "includeDeclaration": true } }),
    );
    assert_eq!(refs.as_array().map(Vec::len), Some(2), "{refs}");
    server.stop();
}

#[test]
fn editing_or_saving_a_library_rechecks_the_designs_that_import_it() {
    let dir = split_copy("library");
    let root = dir.join("photo-share.arch");
    let library = dir.join("platform/templates.arch");
    let root_text = std::fs::read_to_string(&root).expect("reads");
    let library_text = std::fs::read_to_string(&library).expect("reads");
    let (root_uri, library_uri) = (uri_of(&root), uri_of(&library));
    let mut server = Server::initialized().0;
    server.open(&root_uri, &root_text);
    assert!(server.diagnostics_for(&root_uri).is_empty());
    server.open(&library_uri, &library_text);
    server.diagnostics_for(&library_uri);

    // The open library buffer renames a template the root uses: the root's
    // list is published again, with the broken use, from the unsaved buffer.
    let (line, col) = line_of(&library_text, "template web-tier");
    let end = col + "template web-tier".len();
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": library_uri, "version": 2 },
                "contentChanges": [ { "range": { "start": { "line": line, "character": end },
                                                 "end": { "line": line, "character": end } },
                                      "text": "-x" } ] }),
    );
    let diags = server.diagnostics_for(&root_uri);
    let (use_line, _) = line_of(&root_text, ": web-tier");
    assert!(
        diags
            .iter()
            .any(|d| d["range"]["start"]["line"] == json!(use_line) && d["severity"] == json!(1)),
        "an error at the root's `: web-tier`: {diags:?}"
    );
    // Undone: the root is clean again.
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": library_uri, "version": 3 },
                "contentChanges": [ { "text": library_text } ] }),
    );
    assert!(server.diagnostics_for(&root_uri).is_empty());

    // Closed, then changed on disk and saved: read from disk again. Each
    // step waits for the server to have handled it (a request answered
    // after it), so a list cannot be taken for a later step's.
    server.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": library_uri } }),
    );
    settle(&mut server);
    std::fs::write(
        &library,
        library_text.replace("template web-tier", "template other"),
    )
    .expect("write the copy");
    server.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": library_uri } }),
    );
    let diags = last_list(&settle(&mut server), &root_uri).expect("the root's list");
    assert!(
        diags
            .iter()
            .any(|d| d["range"]["start"]["line"] == json!(use_line)),
        "{diags:?}"
    );

    // A finding inside the closed library is published under its own URI,
    // and cleared when the only design that holds it closes.
    std::fs::write(
        &library,
        library_text.replace("  timeout   = 2s", "  timeot   = 2s"),
    )
    .expect("write the copy");
    server.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": library_uri } }),
    );
    let in_library = last_list(&settle(&mut server), &library_uri).expect("the library's list");
    assert!(
        in_library.iter().any(|d| d["code"] == "unknown-attribute"),
        "{in_library:?}"
    );
    server.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": root_uri } }),
    );
    let after = last_list(&settle(&mut server), &library_uri).expect("the library cleared");
    assert!(after.is_empty(), "{after:?}");
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_buffers_get_answers_not_crashes() {
    let mut server = Server::initialized().0;
    let texts = [
        "service w\u{e9}b { capacity = \"unterminated\n}\n# \u{1F600} web -> db\n",
        "\u{0}\u{1F600}\"\\",
        "web -> -> [read\nservice 9x { = }\ndatabase db : : {",
        "datacenter a { region = \"a\" }\nservice web { datacenters = [a, b, \"a\"]  session = \"web\" }\nweb -> web.replicas\nscenario s { at 1m fail 2 of a/b@web  expect utilization(a) < 1% }\n",
        &"[".repeat(500),
        "",
    ];
    for (i, text) in texts.iter().enumerate() {
        let uri = format!("file:///nonexistent-archc-test/hostile{i}.arch");
        server.open(&uri, text);
        server.diagnostics_for(&uri);
        for (line, character) in [(0, 0), (0, 3), (1, 9), (2, 1), (3, 40), (99, 99)] {
            let at = json!({ "textDocument": { "uri": uri },
                             "position": { "line": line, "character": character } });
            let mut refs = at.clone();
            refs["context"] = json!({ "includeDeclaration": true });
            server.request("textDocument/references", refs);
            let mut rename = at.clone();
            rename["newName"] = json!("fresh");
            // Either an edit or a refusal; never a crash.
            let id = server.next_id;
            server.next_id += 1;
            server.send(
                json!({ "jsonrpc": "2.0", "id": id, "method": "textDocument/rename",
                                "params": rename }),
            );
            let answer = server.wait_for(|m| m["id"] == json!(id));
            assert!(
                answer.get("result").is_some() || answer["error"]["code"] == json!(-32602),
                "{answer}"
            );
            // An edit far past the end, and one inside a character.
            server.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": 2 },
                        "contentChanges": [ { "range": {
                            "start": { "line": line, "character": character },
                            "end": { "line": line + 1, "character": 1 } }, "text": "\u{e9}x" } ] }),
            );
        }
        server.request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": uri } }),
        );
        server.request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": uri } }),
        );
        server.request(
            "textDocument/inlayHint",
            json!({ "textDocument": { "uri": uri },
                    "range": { "start": { "line": 0, "character": 0 },
                               "end": { "line": 99, "character": 0 } } }),
        );
        server.request("workspace/symbol", json!({ "query": "\u{1F600}" }));
    }
    server.stop();
}

#[test]
fn renaming_in_a_library_renames_in_every_open_design_that_imports_it() {
    let dir = std::env::temp_dir().join(format!("archc-lsp-nav-shared-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let lib = "datacenter east { region = \"east\" }\ndatabase store { datacenters = [east] }\n";
    let a = "system a\nimport \"lib.arch\"\nservice web\nweb -> store\n# store is shared\n";
    let b = "system b\nimport \"lib.arch\"\nservice api { session = \"store\" }\napi -> store\nscenario s { at 1m fail store@east }\n";
    let files = [("lib.arch", lib), ("a.arch", a), ("b.arch", b)];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let mut server = Server::initialized().0;
    for (name, text) in files {
        server.open(&uri_of(&dir.join(name)), text);
    }
    settle(&mut server);
    let edit = server.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri_of(&dir.join("lib.arch")) },
                "position": { "line": 1, "character": 10 }, "newName": "vault" }),
    );
    let changes = edit["documentChanges"].as_array().expect("documentChanges");
    let mut renamed = Vec::new();
    for (name, text) in files {
        let change = changes
            .iter()
            .find(|c| c["textDocument"]["uri"] == json!(uri_of(&dir.join(name))))
            .unwrap_or_else(|| panic!("{name} is edited: {edit}"));
        assert_eq!(change["textDocument"]["version"], json!(1));
        let new = apply_edits(text, change["edits"].as_array().expect("edits"));
        renamed.push(new);
    }
    assert_eq!(
        renamed[0],
        "datacenter east { region = \"east\" }\ndatabase vault { datacenters = [east] }\n"
    );
    assert_eq!(
        renamed[1],
        "system a\nimport \"lib.arch\"\nservice web\nweb -> vault\n# store is shared\n"
    );
    assert_eq!(
        renamed[2],
        "system b\nimport \"lib.arch\"\nservice api { session = \"vault\" }\napi -> vault\nscenario s { at 1m fail vault@east }\n"
    );
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
