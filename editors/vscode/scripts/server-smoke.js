#!/usr/bin/env node
// Starts the language server the way the extension does (`ARCHC lsp` over
// stdio) and talks to it with vscode-languageserver-protocol, the library
// under the extension's vscode-languageclient:
//
//   initialize → the server offers hover and definition;
//   didOpen of a design → a publishDiagnostics for it, with no error;
//   didChange that misspells `capacity` → an `unknown-attribute` error on
//   that line;
//   didChangeWatchedFiles (the extension's file watcher) → no harm;
//   shutdown, exit → the process ends with status 0.
//
// Usage: node scripts/server-smoke.js ARCHC DESIGN.arch
"use strict";
const cp = require("child_process");
const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");
const lsp = require("vscode-languageserver-protocol/node");

const [archc, designArg] = process.argv.slice(2);
if (!archc || !designArg) {
  console.error("usage: node scripts/server-smoke.js ARCHC DESIGN.arch");
  process.exit(2);
}
const design = path.resolve(designArg);
const uri = pathToFileURL(design).href;
const text = fs.readFileSync(design, "utf8");

function fail(message) {
  console.error(`server smoke test: ${message}`);
  process.exit(1);
}

async function main() {
  const server = cp.spawn(archc, ["lsp"], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => server.on("exit", (code, signal) => resolve({ code, signal })));
  server.on("error", (err) => fail(`could not start \`${archc} lsp\`: ${err.message}`));
  const connection = lsp.createProtocolConnection(
    new lsp.StreamMessageReader(server.stdout),
    new lsp.StreamMessageWriter(server.stdin),
  );
  const published = [];
  let waiter = null;
  connection.onNotification(lsp.PublishDiagnosticsNotification.type, (params) => {
    published.push(params);
    if (waiter) waiter();
  });
  connection.listen();
  const timeout = setTimeout(() => fail("no answer within 30 s"), 30000);

  // The next publishDiagnostics for `uri` after `from` notifications.
  const diagnosticsFor = async (from) => {
    for (;;) {
      const hit = published.slice(from).find((p) => p.uri === uri);
      if (hit) return hit;
      await new Promise((resolve) => (waiter = resolve));
    }
  };

  const init = await connection.sendRequest(lsp.InitializeRequest.type, {
    processId: process.pid,
    rootUri: pathToFileURL(path.dirname(design)).href,
    capabilities: {},
    workspaceFolders: null,
  });
  const caps = init.capabilities;
  if (!caps.hoverProvider) fail("the server offers no hover");
  if (!caps.definitionProvider) fail("the server offers no definition");
  await connection.sendNotification(lsp.InitializedNotification.type, {});

  let seen = published.length;
  await connection.sendNotification(lsp.DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: "arch", version: 1, text },
  });
  const opened = await diagnosticsFor(seen);
  const errors = opened.diagnostics.filter((d) => d.severity === lsp.DiagnosticSeverity.Error);
  if (errors.length > 0) fail(`${designArg} has errors: ${errors.map((d) => d.message).join("; ")}`);

  const lines = text.split("\n");
  const line = lines.findIndex((l) => /^\s*capacity\s*=/.test(l));
  if (line < 0) fail(`${designArg} has no \`capacity =\` line to misspell`);
  lines[line] = lines[line].replace("capacity", "capacty");
  seen = published.length;
  await connection.sendNotification(lsp.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 2 },
    contentChanges: [{ text: lines.join("\n") }],
  });
  const changed = await diagnosticsFor(seen);
  const typo = changed.diagnostics.find((d) => d.code === "unknown-attribute" && d.range.start.line === line);
  if (!typo) fail(`no unknown-attribute diagnostic on line ${line + 1}: ${JSON.stringify(changed.diagnostics)}`);

  // What the extension's file watcher sends when archc.toml or a .arch
  // file changes on disk; the server must go on answering.
  await connection.sendNotification(lsp.DidChangeWatchedFilesNotification.type, {
    changes: [{ uri, type: lsp.FileChangeType.Changed }],
  });
  await connection.sendRequest(lsp.ShutdownRequest.type);
  await connection.sendNotification(lsp.ExitNotification.type);
  const { code, signal } = await exited;
  clearTimeout(timeout);
  connection.dispose();
  if (code !== 0) fail(`\`archc lsp\` exited with ${code === null ? `signal ${signal}` : `status ${code}`} after exit`);
  console.log(`server smoke test: \`${path.basename(archc)} lsp\` answered initialize, published ${opened.diagnostics.length} diagnostics (no error) for ${path.basename(design)}, ` +
    `flagged \`capacty\` on line ${line + 1} (${JSON.stringify(typo.message.split("\n")[0])}), and exited 0`);
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
