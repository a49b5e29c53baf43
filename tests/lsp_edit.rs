//! The editing half of `archc lsp`, driven over stdio as an editor drives
//! it: completion (on text that does not compile), hover on the language's
//! own words, formatting equal to `archc fmt`, and code actions whose
//! edits, applied, fix what they say.

#[path = "common/lsp_client.rs"]
mod client;

use client::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn started() -> Server {
    let (server, caps) = Server::initialized();
    let caps = &caps;
    assert_eq!(caps["documentFormattingProvider"], json!(true), "{caps}");
    assert!(caps["completionProvider"].is_object(), "{caps}");
    assert!(caps["codeActionProvider"].is_object(), "{caps}");
    server
}

fn open(server: &mut Server, uri: &str, text: &str) -> Vec<Value> {
    server.open(uri, text);
    server.diagnostics_for(uri)
}

fn change(server: &mut Server, uri: &str, version: i64, text: &str) -> Vec<Value> {
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": version },
                "contentChanges": [ { "text": text } ] }),
    );
    server.diagnostics_for(uri)
}

/// The line and UTF-16 column just after the first `needle` in `text`.
fn after(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` in the text"))
        + needle.len();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count();
    (line, text[line_start..at].encode_utf16().count())
}

fn completion(server: &mut Server, uri: &str, (line, character): (usize, usize)) -> Vec<Value> {
    let result = server.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
    );
    result.as_array().cloned().unwrap_or_default()
}

fn labels(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["label"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn hover(server: &mut Server, uri: &str, (line, character): (usize, usize)) -> String {
    let result = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
    );
    result["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A fresh folder under the system's temporary folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("archc-lsp-edit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn uri_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn completion_offers_what_fits_the_cursor() {
    let (_, uri, text) = flagship();
    let mut server = started();
    open(&mut server, &uri, &text);

    // Mid-typing in `web` (a service): `cap` does not compile.
    let typing = text.replacen("  timeout   = 2s\n", "  cap\n  timeout   = 2s\n", 1);
    assert_ne!(typing, text);
    let diags = change(&mut server, &uri, 2, &typing);
    assert!(diags.iter().any(|d| d["severity"] == json!(1)), "{diags:?}");
    let items = completion(&mut server, &uri, after(&typing, "  cap"));
    let got = labels(&items);
    assert!(got.contains(&"capacity".into()), "{got:?}");
    assert!(got.contains(&"timeout".into()), "{got:?}");
    assert!(
        !got.contains(&"hit_ratio".into()),
        "a service has no hit_ratio: {got:?}"
    );
    let capacity = items
        .iter()
        .find(|i| i["label"] == "capacity")
        .expect("capacity");
    assert_eq!(capacity["kind"], json!(10), "a property");
    assert!(
        capacity["detail"]
            .as_str()
            .is_some_and(|d| d.contains("rate")),
        "{capacity}"
    );

    // Inside the `hot` cache block.
    let typing = text.replacen(
        "  item_size     = 2KB\n",
        "  item_size     = 2KB\n  hi\n",
        1,
    );
    change(&mut server, &uri, 3, &typing);
    let got = labels(&completion(
        &mut server,
        &uri,
        after(&typing, "= 2KB\n  hi"),
    ));
    assert!(got.contains(&"hit_ratio".into()), "{got:?}");
    assert!(got.contains(&"eviction".into()), "{got:?}");
    assert!(!got.contains(&"timeout".into()), "{got:?}");

    // An enum value: the database's engine.
    let typing = text.replacen("  engine        = postgres\n", "  engine        = \n", 1);
    change(&mut server, &uri, 4, &typing);
    let got = labels(&completion(
        &mut server,
        &uri,
        after(&typing, "photos {\n  engine        = "),
    ));
    assert!(got.contains(&"postgres".into()), "{got:?}");
    assert!(!got.contains(&"capacity".into()), "{got:?}");
    // And a choice: the lb's algorithm.
    let got = labels(&completion(
        &mut server,
        &uri,
        after(&typing, "  algorithm       = "),
    ));
    assert_eq!(got, ["round-robin", "least-connections", "ip-hash"]);

    // A unit after a number whose attribute takes a rate.
    let typing = text.replacen("  capacity  = 800/s", "  capacity  = 800", 1);
    change(&mut server, &uri, 5, &typing);
    let items = completion(&mut server, &uri, after(&typing, "  capacity  = 800"));
    let got = labels(&items);
    assert!(got.contains(&"800/s".into()), "{got:?}");
    assert!(!got.contains(&"800ms".into()), "{got:?}");
    let per_s = items.iter().find(|i| i["label"] == "800/s").expect("800/s");
    let edit = &per_s["textEdit"];
    assert_eq!(apply_edits(&typing, std::slice::from_ref(edit)), text);

    // Component names in a flow.
    let typing = format!("{text}web -> ");
    change(&mut server, &uri, 6, &typing);
    let end = (typing.lines().count() - 1, "web -> ".len());
    let got = labels(&completion(&mut server, &uri, end));
    for name in ["photos", "sessions", "hot", "jobs"] {
        assert!(got.contains(&name.to_string()), "{name}: {got:?}");
    }
    assert!(!got.contains(&"us-east".into()), "{got:?}");
    assert!(!got.contains(&"service".into()), "{got:?}");

    // Rule names in an allow comment.
    let typing = text.replacen("service web {", "# allow(\nservice web {", 1);
    change(&mut server, &uri, 7, &typing);
    let items = completion(&mut server, &uri, after(&typing, "# allow("));
    let got = labels(&items);
    assert!(got.contains(&"spof".into()), "{got:?}");
    assert!(got.contains(&"cache-ttl".into()), "{got:?}");
    assert!(!got.contains(&"capacity".into()), "{got:?}");

    // Scenario targets: components and datacenters; after `@`, datacenters.
    let typing = text.replacen(
        "  at 1m traffic 2x\n",
        "  at 1m traffic 2x\n  at 2m fail \n",
        1,
    );
    change(&mut server, &uri, 8, &typing);
    let got = labels(&completion(
        &mut server,
        &uri,
        after(&typing, "  at 2m fail "),
    ));
    assert!(
        got.contains(&"web".into()) && got.contains(&"us-west".into()),
        "{got:?}"
    );
    let typing = typing.replacen("  at 2m fail \n", "  at 2m fail web@\n", 1);
    change(&mut server, &uri, 9, &typing);
    let got = labels(&completion(&mut server, &uri, after(&typing, "fail web@")));
    assert_eq!(got, ["us-east", "us-west"]);

    // The start of a declaration: the kinds and keywords.
    let typing = format!("{text}\nse");
    change(&mut server, &uri, 10, &typing);
    let end = (typing.lines().count() - 1, 2);
    let got = labels(&completion(&mut server, &uri, end));
    for kw in ["service", "cache", "database", "scenario", "datacenter"] {
        assert!(got.contains(&kw.to_string()), "{kw}: {got:?}");
    }
}

#[test]
fn completion_of_import_paths_lists_arch_files_beside_the_document() {
    let dir = scratch("import");
    std::fs::create_dir_all(dir.join("platform")).expect("a folder");
    std::fs::write(dir.join("platform/common.arch"), "datacenter a\n").expect("write");
    std::fs::write(dir.join("platform/notes.txt"), "not a design\n").expect("write");
    std::fs::write(dir.join("other.arch"), "client c\n").expect("write");
    let main = dir.join("main.arch");
    let text = "system s\nimport \"\n";
    std::fs::write(&main, text).expect("write");
    let uri = uri_of(&main);
    let mut server = started();
    open(&mut server, &uri, text);
    let got = labels(&completion(&mut server, &uri, after(text, "import \"")));
    assert_eq!(got, ["other.arch", "platform/"], "not main.arch itself");
    let text = "system s\nimport \"platform/\n";
    change(&mut server, &uri, 2, text);
    let items = completion(&mut server, &uri, after(text, "platform/"));
    assert_eq!(labels(&items), ["common.arch"]);
    let applied = apply_edits(text, std::slice::from_ref(&items[0]["textEdit"]));
    assert_eq!(applied, "system s\nimport \"platform/common.arch\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hover_documents_kinds_attributes_and_allowed_rules() {
    let (_, uri, text) = flagship();
    let with_allow = text.replacen(
        "service web {",
        "# allow(spof): a test of hover\nservice web {",
        1,
    );
    let mut server = started();
    open(&mut server, &uri, &with_allow);

    // An attribute: its type, its unit and the kind's default.
    let (line, col) = after(&with_allow, "  capac");
    let md = hover(&mut server, &uri, (line, col));
    assert!(md.contains("**capacity**"), "{md}");
    assert!(md.contains("rate") && md.contains("`/s`"), "{md}");
    assert!(md.contains("200/s for `service`"), "{md}");

    // A kind keyword.
    let (line, _) = after(&with_allow, "\ncache hot");
    let md = hover(&mut server, &uri, (line, 2));
    assert!(md.contains("**cache**") && md.contains("50,000/s"), "{md}");

    // A rule in an allow comment: `archc explain`'s header and text, and
    // the summary `archc rules` lists.
    let explain = Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(["explain", "spof"])
        .output()
        .expect("archc explain runs");
    let explain = String::from_utf8(explain.stdout).expect("UTF-8");
    let (header, body) = explain.split_once("\n\n").expect("a header");
    assert_eq!(header, "# spof (error, redundancy)");
    let rules = Command::new(env!("CARGO_BIN_EXE_archc"))
        .arg("rules")
        .output()
        .expect("archc rules runs");
    let rules = String::from_utf8(rules.stdout).expect("UTF-8");
    let summary = rules
        .lines()
        .find(|l| l.starts_with("spof "))
        .and_then(|l| l.split("  ").filter(|s| !s.is_empty()).last())
        .expect("spof in `archc rules`")
        .trim()
        .to_string();
    let (line, col) = after(&with_allow, "# allow(sp");
    let md = hover(&mut server, &uri, (line, col));
    assert!(md.starts_with("**spof** (error, redundancy)"), "{md}");
    assert!(md.contains(&summary), "{summary} in {md}");
    assert!(md.contains(body.trim()), "{md}");

    // A component name still shows its estimate.
    let (line, col) = after(&with_allow, "service we");
    let md = hover(&mut server, &uri, (line, col));
    assert!(md.contains("peak/s") && md.contains("web@us-east"), "{md}");
}

#[test]
fn formatting_equals_archc_fmt_and_refuses_a_syntax_error() {
    let (_, _, text) = flagship();
    // Badly indented, unaligned: what `fmt` must repair.
    let bad = text
        .replace("\n  ", "\n      ")
        .replace("  = ", " = ")
        .replace("{ region", "{region");
    assert_ne!(bad, text);
    let dir = scratch("fmt");
    let file = dir.join("flagship.arch");
    std::fs::write(&file, &bad).expect("write");
    let fmt = Command::new(env!("CARGO_BIN_EXE_archc"))
        .arg("fmt")
        .arg(&file)
        .output()
        .expect("archc fmt runs");
    assert!(
        fmt.status.success(),
        "{}",
        String::from_utf8_lossy(&fmt.stderr)
    );
    let truth = std::fs::read_to_string(&file).expect("the formatted file");
    assert_ne!(truth, bad);

    let uri = uri_of(&file);
    let mut server = started();
    open(&mut server, &uri, &bad);
    let edits = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = edits.as_array().cloned().expect("a list of edits");
    assert!(!edits.is_empty());
    assert_eq!(apply_edits(&bad, &edits), truth);

    // Already formatted: no edit.
    change(&mut server, &uri, 2, &truth);
    let edits = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits, json!([]));

    // A syntax error: an error response, never edits.
    change(&mut server, &uri, 3, "service web {\n  capacity = = 3\n");
    let id = server.next_id;
    server.next_id += 1;
    server.send(json!({ "jsonrpc": "2.0", "id": id, "method": "textDocument/formatting",
        "params": { "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } } }));
    let response = server.wait_for(|m| m["id"] == json!(id));
    assert!(response["result"].is_null(), "{response}");
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("syntax error at 2:"), "{response}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The code actions for `diag` in `uri`.
fn actions(server: &mut Server, uri: &str, diag: &Value) -> Vec<Value> {
    let result = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": diag["range"],
                "context": { "diagnostics": [diag] } }),
    );
    result.as_array().cloned().unwrap_or_default()
}

fn edits_of(action: &Value, uri: &str) -> Vec<Value> {
    action["edit"]["changes"][uri]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("edits for {uri}: {action}"))
}

#[test]
fn a_did_you_mean_quick_fix_gives_back_text_that_checks_clean() {
    let (_, uri, text) = flagship();
    let mut server = started();
    let clean = open(&mut server, &uri, &text);
    let typo = text.replacen("  capacity  = 800/s", "  capacty  = 800/s", 1);
    let diags = change(&mut server, &uri, 2, &typo);
    let diag = diags
        .iter()
        .find(|d| d["code"] == "unknown-attribute")
        .unwrap_or_else(|| panic!("{diags:?}"));
    assert_eq!(diag["data"], json!({ "replace": "capacity" }));
    let found = actions(&mut server, &uri, diag);
    let fix = found
        .iter()
        .find(|a| a["title"] == "Replace with `capacity`")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], json!(true));
    let fixed = apply_edits(&typo, &edits_of(fix, &uri));
    assert_eq!(fixed, text);
    let after_fix = change(&mut server, &uri, 3, &fixed);
    assert!(
        after_fix.iter().all(|d| d["severity"] != json!(1)),
        "{after_fix:?}"
    );
    assert_eq!(after_fix.len(), clean.len());

    // A misspelt rule in a suppression: the name inside `allow(…)` only.
    let allowed = text.replacen("service web {", "# allow(spof): a test\nservice web {", 1);
    let typo = allowed.replacen("allow(spof)", "allow(spfo)", 1);
    change(&mut server, &uri, 4, &allowed);
    let diags = change(&mut server, &uri, 5, &typo);
    let diag = diags
        .iter()
        .find(|d| d["code"] == "invalid-suppression")
        .unwrap_or_else(|| panic!("{diags:?}"));
    let found = actions(&mut server, &uri, diag);
    let fix = found
        .iter()
        .find(|a| a["title"] == "Replace with `spof`")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(apply_edits(&typo, &edits_of(fix, &uri)), allowed);

    // A wrong choice: `eviction = lur`.
    let typo = text.replacen("  eviction      = lru", "  eviction      = lur", 1);
    assert_ne!(typo, text);
    let diags = change(&mut server, &uri, 6, &typo);
    let diag = diags
        .iter()
        .find(|d| d["code"] == "invalid-value")
        .unwrap_or_else(|| panic!("{diags:?}"));
    let found = actions(&mut server, &uri, diag);
    let fix = found
        .iter()
        .find(|a| a["title"] == "Replace with `lru`")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(apply_edits(&typo, &edits_of(fix, &uri)), text);
}

#[test]
fn rule_findings_can_be_allowed_and_cache_ttl_fixed() {
    let dir = scratch("actions");
    let file = dir.join("small.arch");
    let text = "\
system small

traffic { users = 1M  per_user = 10/day }

datacenter us-east

client users

lb front { replicas = 2 }

service web {
  replicas = 3
  capacity = 100/s
}

cache hot {
  replicas = 2
  memory   = 4GB
}

database db { replicas = 1 }

users -> front -> web
web -> hot -> db
";
    std::fs::write(&file, text).expect("write");
    let uri = uri_of(&file);
    let mut server = started();
    let diags = open(&mut server, &uri, text);
    let codes: Vec<&str> = diags.iter().filter_map(|d| d["code"].as_str()).collect();
    assert!(codes.contains(&"cache-ttl"), "{codes:?}");
    assert!(diags.iter().all(|d| d["severity"] != json!(1)), "{diags:?}");

    // cache-ttl: the mechanical fix, and the allow comment.
    let ttl = diags
        .iter()
        .find(|d| d["code"] == "cache-ttl")
        .expect("cache-ttl");
    let found = actions(&mut server, &uri, ttl);
    let titles: Vec<&str> = found.iter().filter_map(|a| a["title"].as_str()).collect();
    assert!(
        titles.contains(&"Add `ttl = 10m` to the cache"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Allow `cache-ttl` here (`# allow(cache-ttl): reason`)"),
        "{titles:?}"
    );
    for a in &found {
        let edited = apply_edits(text, &edits_of(a, &uri));
        let after = change(&mut server, &uri, 2, &edited);
        let codes: Vec<&str> = after.iter().filter_map(|d| d["code"].as_str()).collect();
        assert!(
            !codes.contains(&"cache-ttl"),
            "{}: {codes:?}\n{edited}",
            a["title"]
        );
        assert_eq!(after.len(), diags.len() - 1, "{}: {after:?}", a["title"]);
        if a["title"].as_str().is_some_and(|t| t.starts_with("Add")) {
            assert!(
                edited.contains("cache hot {\n  ttl = 10m\n  replicas = 2\n"),
                "{edited}"
            );
        } else {
            assert!(
                edited.contains("# allow(cache-ttl): reason\ncache hot {"),
                "{edited}"
            );
        }
    }

    change(&mut server, &uri, 3, text);
    // A finding inside a component block can be allowed: the comment goes
    // above the block, and the finding is gone. One on the `system` line or
    // a datacenter cannot be (a comment there covers nothing).
    for d in &diags {
        let code = d["code"].as_str().expect("a code");
        let found = actions(&mut server, &uri, d);
        let allow = found
            .iter()
            .find(|a| a["title"].as_str().is_some_and(|t| t.starts_with("Allow")));
        if matches!(code, "no-monitoring" | "single-datacenter") {
            assert!(allow.is_none(), "{code}: {found:?}");
            continue;
        }
        let allow = allow.unwrap_or_else(|| panic!("{code}: {found:?}"));
        let edited = apply_edits(text, &edits_of(allow, &uri));
        assert!(
            edited.contains(&format!("# allow({code}): reason\ncache hot {{")),
            "{edited}"
        );
        let after = change(&mut server, &uri, 4, &edited);
        assert!(
            after.iter().all(|a| a["code"] != json!(code)),
            "{code}: {after:?}"
        );
        assert!(
            after.iter().all(|a| a["code"] != "invalid-suppression"),
            "{after:?}"
        );
        assert_eq!(after.len(), diags.len() - 1, "{code}: {after:?}");
    }
    // A flow's finding: the comment goes above the flow line.
    let flows = text.replace(
        "users -> front -> web\n",
        "users -> front -> web\nusers -> front\n",
    );
    let diags = change(&mut server, &uri, 5, &flows);
    let dup = diags
        .iter()
        .find(|d| d["code"] == "duplicate-edge")
        .unwrap_or_else(|| panic!("{diags:?}"));
    let found = actions(&mut server, &uri, dup);
    let allow = found
        .iter()
        .find(|a| a["title"].as_str().is_some_and(|t| t.starts_with("Allow")))
        .unwrap_or_else(|| panic!("{found:?}"));
    let edited = apply_edits(&flows, &edits_of(allow, &uri));
    let after = change(&mut server, &uri, 6, &edited);
    assert!(
        after.iter().all(|a| a["code"] != "duplicate-edge"),
        "{after:?}\n{edited}"
    );
    assert!(
        after.iter().all(|a| a["code"] != "invalid-suppression"),
        "{after:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The issue asks for hover and completion within 10 ms on the flagship;
/// on a shared machine the test only bounds the median loosely and prints
/// what it measured (`cargo test --test lsp_edit -- --nocapture`).
#[test]
fn completion_and_hover_answer_quickly_on_the_flagship() {
    let (_, uri, text) = flagship();
    let mut server = started();
    open(&mut server, &uri, &text);
    let cap = after(&text, "  capac");
    let flow = after(&text, "web -> ");
    let mut median = |what: &str, method: &str, pos: (usize, usize)| {
        let mut times: Vec<f64> = (0..41)
            .map(|_| {
                let t = std::time::Instant::now();
                let r = server.request(
                    method,
                    json!({ "textDocument": { "uri": uri }, "position": { "line": pos.0, "character": pos.1 } }),
                );
                assert!(!r.is_null(), "{what}");
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let m = times[times.len() / 2];
        eprintln!("{what}: median {m:.2} ms over {} requests", times.len());
        assert!(m < 100.0, "{what}: median {m:.2} ms");
    };
    median("completion of an attribute", "textDocument/completion", cap);
    median("completion in a flow", "textDocument/completion", flow);
    median("hover on an attribute", "textDocument/hover", cap);
}
