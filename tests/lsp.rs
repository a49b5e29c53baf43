//! `archc lsp` driven as an editor drives it (the client in
//! `common/lsp_client.rs`): a session on the flagship, and definitions
//! across files.

#[path = "common/lsp_client.rs"]
mod client;

use client::*;
use serde_json::{Value, json};
use std::process::Command;

#[test]
fn a_session_on_the_flagship() {
    let (path, uri, text) = flagship();
    let mut server = Server::start();
    let init = server.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], json!(2));
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
    let web = estimate_copy(&path, "web", "us-east");
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

    assert_eq!(server.stop().code(), Some(0));
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

    // On an import's path: the file it names.
    let (line, col) = line_of(&text, "import \"platform/templates.arch\"");
    let def = server.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": uri },
                "position": { "line": line, "character": col + "import \"plat".len() } }),
    );
    assert_eq!(
        def["uri"],
        json!(format!("file://{}", library.display())),
        "{def}"
    );
    assert_eq!(def["range"]["start"], json!({ "line": 0, "character": 0 }));

    // Hover on `web`: its p99 per copy as `archc estimate` has it, and its
    // attributes with where each comes from.
    let web = estimate_copy(design.to_str().expect("UTF-8 path"), "web", "us-east");
    let p99 = archc::figures::duration(
        web["p99_ms"].as_f64().expect("p99_ms") / 1e3,
        archc::figures::Style::Report,
    );
    let (line, col) = line_of(&text, "service web");
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri },
                "position": { "line": line, "character": col + "service w".len() } }),
    );
    let shown = hover["contents"]["value"].as_str().expect("markdown");
    let row = shown
        .lines()
        .find(|l| l.contains("web@us-east"))
        .unwrap_or_else(|| panic!("a row for web@us-east: {shown}"));
    assert!(row.ends_with(&format!("| {p99} |")), "{row} / {p99}");
    let (autoscale_line, _) = line_of(&library_text, "autoscale =");
    let from_template = format!(
        "— from template `web-tier` ({}:{})",
        library.display(),
        autoscale_line + 1
    );
    let autoscale = shown
        .lines()
        .find(|l| l.starts_with("- `autoscale"))
        .unwrap_or_else(|| panic!("autoscale among the attributes: {shown}"));
    assert!(autoscale.ends_with(&from_template), "{autoscale}");
    let (capacity_line, _) = line_of(&text, "capacity");
    let capacity = text.lines().nth(capacity_line).expect("the line").trim();
    assert!(
        shown.contains(&format!(
            "- `{}`\n",
            capacity.split('#').next().expect("text").trim()
        )),
        "web's own capacity as written: {shown}"
    );

    // Closing clears the document's list.
    server.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert!(server.diagnostics_for(&uri).is_empty());

    assert_eq!(server.stop().code(), Some(0));
}
