#!/usr/bin/env node
// Checks the TextMate grammar with the engine VS Code itself uses
// (vscode-textmate over the Oniguruma WebAssembly build):
//
//   1. a fixed snippet gets the scopes this grammar promises (kinds,
//      names, attributes, quantities, flows, scenarios, allow comments);
//   2. every file given on the command line tokenizes with no character
//      left as `invalid.illegal` and no non-blank character scoped only
//      `source.arch`.
//
// Usage: node scripts/tokenize-check.js FILE.arch...
"use strict";
const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const grammarPath = path.join(__dirname, "..", "syntaxes", "arch.tmLanguage.json");
const wasmPath = require.resolve("vscode-oniguruma/release/onig.wasm");

async function loadGrammar() {
  const wasm = fs.readFileSync(wasmPath).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.arch") return null;
      const text = fs.readFileSync(grammarPath, "utf8");
      return vsctm.parseRawGrammar(text, grammarPath);
    },
  });
  return registry.loadGrammar("source.arch");
}

// [{line, text, scopes}] for every token of `source`.
function tokenize(grammar, source) {
  const out = [];
  let state = vsctm.INITIAL;
  source.split(/\r?\n/).forEach((line, i) => {
    const r = grammar.tokenizeLine(line, state);
    for (const t of r.tokens) {
      out.push({ line: i + 1, col: t.startIndex + 1, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    state = r.ruleStack;
  });
  return out;
}

const snippet = [
  "system photo-share",
  'import "platform/common.arch"',
  "traffic { users = 10M  per_user = 40/day  peak = 3x }",
  "# allow(spof): one balancer is enough here",
  "service web : web-tier, hardened {",
  "  capacity = 800/s  # per instance",
  '  image = "nginx:1.27"',
  "  sticky = true",
  "}",
  "database users { keys = zipf(1.1)  hot_keys = { \"taylor\" = 5% } }",
  "web -> users.replicas [read x10, write 10%]",
  "scenario outage {",
  "  at 1m fail 2 of web@us-east",
  "  expect p99 < 250ms during 1m..2m",
  "}",
].join("\n");

// [line, token text, a scope it must carry]
const expected = [
  [1, "system", "keyword.other.system.arch"],
  [1, "photo-share", "entity.name.namespace.arch"],
  [2, "import", "keyword.control.import.arch"],
  [2, '"platform/common.arch"', "string.quoted.double.path.arch"],
  [3, "traffic", "keyword.other.block.arch"],
  [3, "users", "variable.other.property.arch"],
  [3, "10M", "constant.numeric.quantity.arch"],
  [3, "40/day", "constant.numeric.quantity.arch"],
  [3, "3x", "constant.numeric.quantity.arch"],
  [4, "allow", "keyword.other.directive.allow.arch"],
  [4, "spof", "entity.name.tag.rule.arch"],
  [5, "service", "storage.type.kind.arch"],
  [5, "web", "entity.name.type.arch"],
  [5, "web-tier, hardened", "entity.other.inherited-class.template.arch"],
  [6, "capacity", "variable.other.property.arch"],
  [6, "800/s", "constant.numeric.quantity.arch"],
  [6, "#", "comment.line.number-sign.arch"],
  [6, "per instance", "comment.line.number-sign.arch"],
  [7, '"', "string.quoted.double.arch"],
  [8, "true", "constant.language.boolean.arch"],
  [10, "zipf", "support.function.arch"],
  [10, "1.1", "constant.numeric.quantity.arch"],
  [10, "5%", "constant.numeric.quantity.arch"],
  [11, "->", "keyword.operator.arrow.arch"],
  [11, "read", "constant.language.request-class.arch"],
  [11, "x10", "constant.numeric.calls.arch"],
  [11, "10%", "constant.numeric.quantity.arch"],
  [12, "scenario", "keyword.other.scenario.arch"],
  [12, "outage", "entity.name.function.scenario.arch"],
  [13, "at", "keyword.control.scenario.arch"],
  [13, "fail", "keyword.control.scenario.arch"],
  [13, "of", "keyword.control.scenario.arch"],
  [13, "@", "punctuation.accessor.arch"],
  [14, "expect", "keyword.control.scenario.arch"],
  [14, "p99", "support.variable.metric.arch"],
  [14, "<", "keyword.operator.comparison.arch"],
  [14, "during", "keyword.control.scenario.arch"],
  [14, "..", "keyword.operator.range.arch"],
];

function problemsOf(tokens) {
  const problems = [];
  for (const t of tokens) {
    if (t.scopes.some((s) => s.startsWith("invalid."))) {
      problems.push(`${t.line}:${t.col}: \`${t.text}\` is ${t.scopes.join(" ")}`);
    } else if (t.scopes.length === 1 && t.text.trim() !== "") {
      problems.push(`${t.line}:${t.col}: \`${t.text}\` has no scope but source.arch`);
    }
  }
  return problems;
}

async function main() {
  const files = process.argv.slice(2);
  const grammar = await loadGrammar();
  let failed = 0;

  const tokens = tokenize(grammar, snippet);
  for (const [line, text, scope] of expected) {
    const hit = tokens.find((t) => t.line === line && t.text.trim() === text);
    if (!hit) {
      console.error(`snippet line ${line}: no token \`${text}\`; tokens: ` +
        tokens.filter((t) => t.line === line).map((t) => JSON.stringify(t.text)).join(" "));
      failed++;
    } else if (!hit.scopes.includes(scope)) {
      console.error(`snippet line ${line}: \`${text}\` is ${hit.scopes.join(" ")}, not ${scope}`);
      failed++;
    }
  }
  for (const p of problemsOf(tokens)) {
    console.error(`snippet ${p}`);
    failed++;
  }

  for (const file of files) {
    const problems = problemsOf(tokenize(grammar, fs.readFileSync(file, "utf8")));
    for (const p of problems.slice(0, 10)) console.error(`${file}:${p}`);
    failed += problems.length;
  }
  if (failed > 0) {
    console.error(`TextMate grammar: ${failed} problem(s)`);
    process.exit(1);
  }
  console.log(`TextMate grammar: ${expected.length} snippet scopes as expected, ${files.length} files tokenized with every character scoped`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
