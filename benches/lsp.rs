//! `archc lsp` latency as an editor sees it (issue 16): the release binary
//! over stdio, timed from the moment a message is written to the moment
//! its answer is read.
//!
//! - diagnostics: a `didChange` (the whole text, alternately with and
//!   without a trailing comment, so every change is a real change) until
//!   the `publishDiagnostics` for that document, on the flagship, on a
//!   healthy generated design of 1,004 components in one file, and on the
//!   one-file generator's 1,000 components with their ~2,200 findings;
//! - hover on `web` in the flagship, and completion inside its block.
//!
//! Prints medians and 90th percentiles in milliseconds.
//! `LSP_RUNS=N` sets the runs per case (41 by default).
//! Run with `cargo bench --bench lsp`.

#[path = "../tests/common/lsp_client.rs"]
mod client;
#[path = "gen/mod.rs"]
mod generator;

use client::Server;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let runs: usize = std::env::var("LSP_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(41);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flagship_path = root.join("examples/09-sharded-db.arch");
    let flagship = std::fs::read_to_string(&flagship_path).expect("the flagship reads");

    let dir = tempfile::tempdir().expect("a temporary folder");
    let big_path = dir.path().join("generated-1004.arch");
    let big = generator::join_split_design(&generator::generate_split_design(10, 10, 42));
    std::fs::write(&big_path, &big).expect("write the generated design");
    // The one-file generator's design: overloaded tiers, about 2,200
    // findings to turn into diagnostics.
    let busy_path = dir.path().join("generated-1000.arch");
    let busy = generator::generate_design(1000, 42);
    std::fs::write(&busy_path, &busy).expect("write the generated design");

    let (mut server, caps) = Server::initialized();

    println!("| case | median ms | p90 ms | runs |");
    println!("|---|---:|---:|---:|");
    let flagship_uri = open(&mut server, &flagship_path, &flagship);
    let t = change_to_diagnostics(&mut server, &flagship_uri, &flagship, runs);
    row("diagnostics after a change, flagship", &t);
    let big_uri = open(&mut server, &big_path, &big);
    let t = change_to_diagnostics(&mut server, &big_uri, &big, runs);
    row("diagnostics after a change, 1,004 components (healthy)", &t);
    let busy_uri = open(&mut server, &busy_path, &busy);
    let t = change_to_diagnostics(&mut server, &busy_uri, &busy, runs);
    let findings = server_findings(&mut server, &busy_uri, &busy);
    row(
        &format!("diagnostics after a change, 1,000 components ({findings} findings)"),
        &t,
    );

    let (line, col) = flagship
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("service web").map(|c| (i, c + "service ".len() + 1)))
        .expect("the flagship declares `web`");
    let at = json!({ "textDocument": { "uri": flagship_uri }, "position": { "line": line, "character": col } });
    let t = timed_requests(&mut server, "textDocument/hover", &at, runs);
    row("hover on `web`, flagship", &t);
    if caps.get("completionProvider").is_some() {
        // Inside `web`'s block, at the start of its first attribute line.
        let at = json!({ "textDocument": { "uri": flagship_uri },
                         "position": { "line": line + 1, "character": 2 } });
        let t = timed_requests(&mut server, "textDocument/completion", &at, runs);
        row("completion in `web`'s block, flagship", &t);
    } else {
        println!("| completion | not offered by this server | | |");
    }
    server.stop();
}

fn open(server: &mut Server, path: &Path, text: &str) -> String {
    let uri = format!("file://{}", path.display());
    server.open(&uri, text);
    server.diagnostics_for(&uri);
    uri
}

fn change_to_diagnostics(server: &mut Server, uri: &str, text: &str, runs: usize) -> Vec<f64> {
    let edited = format!("{text}\n# edited\n");
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let body = if i % 2 == 0 { &edited } else { text };
        let start = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": i + 2 },
                    "contentChanges": [ { "text": body } ] }),
        );
        server.diagnostics_for(uri);
        times.push(ms(start.elapsed()));
    }
    times
}

/// How many diagnostics the server publishes for `text` at `uri`.
fn server_findings(server: &mut Server, uri: &str, text: &str) -> usize {
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 100_000 },
                "contentChanges": [ { "text": text } ] }),
    );
    server.diagnostics_for(uri).len()
}

fn timed_requests(server: &mut Server, method: &str, params: &Value, runs: usize) -> Vec<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let answer = server.request(method, params.clone());
        times.push(ms(start.elapsed()));
        assert!(!answer.is_null(), "{method} answered nothing");
    }
    times
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn row(case: &str, times: &[f64]) {
    let mut t = times.to_vec();
    t.sort_by(f64::total_cmp);
    let median = t[t.len() / 2];
    let p90 = t[(t.len() * 9 / 10).min(t.len() - 1)];
    println!("| {case} | {median:.2} | {p90:.2} | {} |", t.len());
}
