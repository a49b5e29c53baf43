#!/usr/bin/env bash
# Builds and checks the editor support in editors/ (issue 16):
#
#   editors/vscode           npm ci, npm run package → archc.vsix, which must
#                            be a zip holding extension/package.json (with the
#                            `arch` language), the bundled client and the
#                            TextMate grammar; the grammar must be valid JSON
#                            and tokenize (vscode-textmate + Oniguruma, the
#                            engine VS Code uses) every file below with no
#                            character unscoped or invalid; and
#                            `archc lsp`, started as the extension starts it,
#                            must answer initialize, publish diagnostics,
#                            flag a typo and exit 0 (scripts/server-smoke.js);
#   editors/tree-sitter-arch npm ci, `npm run generate` in a copy, whose src/
#                            must equal the committed src/ (Helix and
#                            nvim-treesitter build from the committed
#                            parser.c); `tree-sitter test` (test/corpus and
#                            test/highlight); and `tree-sitter parse` of
#                            every example, every fixture that compiles and
#                            every file those import, with no ERROR or
#                            MISSING node in any tree; and no span of those
#                            files captured under two names by
#                            queries/highlights.scm.
#
# "Compiles" is decided by the project's binary: `archc check FILE` exiting
# 0 or 1 (CLI.md: 1 is findings of error severity, 2 a file that cannot be
# used); any other exit status fails the stage.
#
# The tree-sitter CLI is npm's tree-sitter-cli at the version pinned in
# editors/tree-sitter-arch/package.json. Its npm package fetches the binary
# from GitHub releases in an install script, which CI machines cannot reach,
# so `npm ci --ignore-scripts` installs the package and the binary of the
# same version comes from the package's own install script when that
# works, else from crates.io (`cargo install tree-sitter-cli@VERSION`,
# cached under $tools, a few minutes once). Either way the version is
# checked against the pin.
#
# Usage: .ci/stages/editors.sh   (ARCHC=path/to/archc to pick the binary)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

started=$SECONDS
command -v node >/dev/null 2>&1 || die "node is needed for editors/ (the VS Code extension and the tree-sitter CLI); install Node.js 20 or later"
command -v npm >/dev/null 2>&1 || die "npm is needed for editors/; install npm (it comes with Node.js)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "node $(node --version) is too old: @vscode/vsce needs Node.js 20 or later"
echo "tools: node $(node --version), npm $(npm --version)"

archc_binary
vscode="$root/editors/vscode"
tsdir="$root/editors/tree-sitter-arch"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# ─── The files to parse and tokenize ─────────────────────────────────────

cd "$root"
mapfile -t examples < <(find examples -name '*.arch' | sort)
mapfile -t fixtures < <(find tests/fixtures -name '*.arch' | sort)
[ "${#examples[@]}" -gt 0 ] || die "no examples/*.arch found"
compiling=()
not_compiling=0
for f in "${fixtures[@]}"; do
  rc=0
  "$archc" check "$f" >/dev/null 2>&1 || rc=$?
  case "$rc" in
    0 | 1) compiling+=("$f") ;;
    2) not_compiling=$((not_compiling + 1)) ;;
    *) die "archc check $f exited $rc (expected 0, 1 or 2)" ;;
  esac
done
[ "${#compiling[@]}" -gt 0 ] || die "no fixture compiles: is $archc working?"
# Every file of a multi-file design: follow `import "PATH"` (relative to
# the importing file) from every design in the list.
mapfile -t files < <(python3 - "${examples[@]}" "${compiling[@]}" <<'PY'
import os, re, sys
pattern = re.compile(r'^\s*import\s+"([^"]+)"', re.M)
seen, todo = set(), [os.path.normpath(p) for p in sys.argv[1:]]
while todo:
    path = todo.pop()
    if path in seen:
        continue
    seen.add(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for target in pattern.findall(text):
        imported = os.path.normpath(os.path.join(os.path.dirname(path), target))
        if os.path.isfile(imported):
            todo.append(imported)
for path in sorted(seen):
    print(path)
PY
)
imported=$((${#files[@]} - ${#examples[@]} - ${#compiling[@]}))
echo "files: ${#examples[@]} examples, ${#compiling[@]} fixtures that compile ($not_compiling do not), $imported more files they import: ${#files[@]} in all"
abs_files=()
for f in "${files[@]}"; do abs_files+=("$root/$f"); done

# ─── VS Code extension ───────────────────────────────────────────────────

echo "== editors/vscode: npm ci, npm run package"
cd "$vscode"
rm -f archc.vsix
npm ci --no-audit --no-fund --loglevel=error >"$out/vscode-npm.log" 2>&1 ||
  { cat "$out/vscode-npm.log" >&2; die "npm ci failed in editors/vscode"; }
npm run --silent package >"$out/vscode-package.log" 2>&1 ||
  { cat "$out/vscode-package.log" >&2; die "npm run package failed in editors/vscode"; }
[ -s archc.vsix ] || die "npm run package wrote no editors/vscode/archc.vsix"
python3 - archc.vsix <<'PY' || die "editors/vscode/archc.vsix is not the extension it should be"
import json, sys, zipfile
vsix = sys.argv[1]
if not zipfile.is_zipfile(vsix):
    sys.exit(f"{vsix} is not a zip archive")
with zipfile.ZipFile(vsix) as z:
    names = set(z.namelist())
    for need in ("extension/package.json", "extension/dist/extension.js",
                 "extension/syntaxes/arch.tmLanguage.json",
                 "extension/language-configuration.json", "extension.vsixmanifest"):
        if need not in names:
            sys.exit(f"{vsix} has no {need}; it holds {sorted(names)}")
    manifest = json.loads(z.read("extension/package.json"))
    langs = [l["id"] for l in manifest["contributes"]["languages"]]
    if langs != ["arch"] or ".arch" not in manifest["contributes"]["languages"][0]["extensions"]:
        sys.exit(f"extension/package.json contributes languages {langs}, not arch for .arch")
    if "archc.path" not in manifest["contributes"]["configuration"]["properties"]:
        sys.exit("extension/package.json has no archc.path setting")
    if manifest["main"] != "./dist/extension.js":
        sys.exit(f"extension/package.json main is {manifest['main']}")
    json.loads(z.read("extension/syntaxes/arch.tmLanguage.json"))
    json.loads(z.read("extension/language-configuration.json"))
    size = sum(i.file_size for i in z.infolist())
print(f"archc.vsix: a zip of {len(names)} files ({size} bytes unpacked), extension/package.json contributes the arch language")
PY
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' syntaxes/arch.tmLanguage.json ||
  die "editors/vscode/syntaxes/arch.tmLanguage.json is not valid JSON"
node scripts/tokenize-check.js "${abs_files[@]}" || die "the TextMate grammar failed its check"
# The client's side of the protocol: `archc lsp` started as the extension
# starts it, spoken to with the library under vscode-languageclient.
node scripts/server-smoke.js "$archc" "$root/examples/09-sharded-db.arch" ||
  die "\`archc lsp\` failed the smoke test the extension's client library drives"

# ─── tree-sitter grammar ─────────────────────────────────────────────────

echo "== editors/tree-sitter-arch: npm ci, generate, test, parse"
cd "$tsdir"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$out/ts-npm.log" 2>&1 ||
  { cat "$out/ts-npm.log" >&2; die "npm ci failed in editors/tree-sitter-arch"; }
ts_version="$(node -p 'require("./package.json").devDependencies["tree-sitter-cli"]')"
ts_pkg="$tsdir/node_modules/tree-sitter-cli"
[ "$(node -p 'require("./node_modules/tree-sitter-cli/package.json").version')" = "$ts_version" ] ||
  die "node_modules/tree-sitter-cli is not version $ts_version"
if [ ! -x "$ts_pkg/tree-sitter" ]; then
  if (cd "$ts_pkg" && timeout 60 node install.js) >"$out/ts-install.log" 2>&1 && [ -s "$ts_pkg/tree-sitter" ]; then
    echo "tree-sitter $ts_version: the binary of npm's tree-sitter-cli"
  else
    rm -f "$ts_pkg/tree-sitter"
    # Without the default qjs-rt feature (QuickJS to evaluate grammar.js):
    # node, which this stage needs anyway, evaluates it, and the build is
    # shorter.
    cargo_root="$tools/tree-sitter-cli-$ts_version-node"
    if [ ! -x "$cargo_root/bin/tree-sitter" ]; then
      echo "tree-sitter-cli's install script cannot fetch its binary; building tree-sitter-cli $ts_version from crates.io into $cargo_root"
      cargo install --locked --debug --quiet --no-default-features "tree-sitter-cli@$ts_version" --root "$cargo_root" ||
        die "cargo install tree-sitter-cli@$ts_version failed"
    fi
    cp "$cargo_root/bin/tree-sitter" "$ts_pkg/tree-sitter"
    echo "tree-sitter $ts_version: built from crates.io by cargo install ($cargo_root)"
  fi
fi
ts="$tsdir/node_modules/.bin/tree-sitter"
"$ts" --version | grep -qx "tree-sitter $ts_version" ||
  die "npx tree-sitter is $("$ts" --version), not $ts_version"
# A private configuration (no parser directories to scan) and library
# folder, so that nothing of the user's is read or written and every run
# compiles the parser afresh.
export TREE_SITTER_DIR="$out/ts-config" TREE_SITTER_LIBDIR="$out/ts-lib"
mkdir -p "$TREE_SITTER_DIR" "$TREE_SITTER_LIBDIR"
echo "{\"parser-directories\": [\"$out/ts-none\"]}" >"$TREE_SITTER_DIR/config.json"

# Regenerate in a copy and compare with the committed parser.
gen="$out/generate"
mkdir -p "$gen"
cp grammar.js package.json tree-sitter.json "$gen/"
ln -s "$tsdir/node_modules" "$gen/node_modules"
(cd "$gen" && npm run --silent generate) >"$out/ts-generate.log" 2>&1 ||
  { cat "$out/ts-generate.log" >&2; die "npm run generate (tree-sitter generate) failed"; }
[ -s "$gen/src/parser.c" ] || die "tree-sitter generate wrote no src/parser.c"
if ! diff -r "$gen/src" "$tsdir/src" >"$out/ts-diff.txt"; then
  head -40 "$out/ts-diff.txt" >&2
  die "editors/tree-sitter-arch/src is not what grammar.js generates: run \`npm run generate\` there and commit src/"
fi
echo "tree-sitter generate: src/ is up to date ($(wc -c <"$gen/src/parser.c") bytes of parser.c)"

"$ts" test >"$out/ts-test.log" 2>&1 || { cat "$out/ts-test.log" >&2; die "tree-sitter test failed"; }
corpus="$(grep -c '✓' "$out/ts-test.log" || true)"
grep -q '✗' "$out/ts-test.log" && { cat "$out/ts-test.log" >&2; die "tree-sitter test reported a failure"; }
echo "tree-sitter test: $corpus passed (corpus tests and highlight files)"
# `tree-sitter test` accepts a highlight assertion when the name is any of
# the captures it tracks at that point; check each one exactly too.
mapfile -t hl_tests < <(find test/highlight -name '*.arch' | sort)
"$ts" query queries/highlights.scm "${hl_tests[@]}" >"$out/hl-captures.txt" 2>"$out/hl-captures.err" ||
  { cat "$out/hl-captures.err" >&2; die "tree-sitter query over test/highlight failed"; }
python3 - "$out/hl-captures.txt" "${hl_tests[@]}" <<'PY' || die "a highlight assertion in test/highlight does not hold exactly"
# Exact check of test/highlight/*.arch: each `# ^ NAME` (column of the
# caret) or `# <- NAME` (column of the `#`) assertion names the capture of
# the smallest captured span that holds that position on the last line
# above that is not an assertion, from `tree-sitter query` output.
import re, sys
captures_file, *tests = sys.argv[1:]
spans = {}  # file -> [(start, end, name)]
current = None
for line in open(captures_file, encoding="utf-8"):
    if not line.startswith(" "):
        current = line.strip()
        spans[current] = []
        continue
    m = re.match(r"\s+capture: \d+ - ([\w.]+), start: \((\d+), (\d+)\), end: \((\d+), (\d+)\)", line)
    if m:
        name, r1, c1, r2, c2 = m.group(1), *map(int, m.groups()[1:])
        spans[current].append(((r1, c1), (r2, c2), name))
failed = checked = 0
for test in tests:
    key = next((k for k in spans if k.endswith(test) or test.endswith(k)), None)
    if key is None:
        sys.exit(f"no captures for {test}")
    code_row = None
    for row, text in enumerate(open(test, encoding="utf-8").read().split("\n")):
        m = re.match(r"^(\s*)#(\s*)(\^|<-)\s+([\w.]+)\s*$", text)
        if not m or code_row is None:
            if not m:
                code_row = row
            continue
        col = text.index("^") if m.group(3) == "^" else len(m.group(1))
        pos = (code_row, col)
        holding = [(s, e, n) for s, e, n in spans[key] if s <= pos < e]
        actual = min(holding, key=lambda t: (t[1][0] - t[0][0], t[1][1] - t[0][1]))[2] if holding else None
        checked += 1
        if actual != m.group(4):
            failed += 1
            print(f"{test}:{code_row + 1}:{col + 1}: expected {m.group(4)}, captured {actual}")
if failed:
    sys.exit(f"{failed} of {checked} highlight assertions do not hold exactly")
if checked == 0:
    sys.exit("no highlight assertions found")
print(f"highlight assertions: {checked} hold exactly (the innermost capture)")
PY

failed=0
for f in "${abs_files[@]}"; do
  rc=0
  "$ts" parse "$f" >"$out/tree.txt" 2>"$out/tree.err" || rc=$?
  if [ "$rc" -ne 0 ] || grep -qE '\((ERROR|MISSING)' "$out/tree.txt"; then
    echo "FAIL: tree-sitter parse ${f#"$root"/} (exit $rc):" >&2
    grep -nE '\((ERROR|MISSING)' "$out/tree.txt" | head -5 >&2 || true
    head -5 "$out/tree.err" >&2
    failed=$((failed + 1))
  fi
done
[ "$failed" -eq 0 ] || die "$failed of ${#abs_files[@]} files have ERROR or MISSING nodes in their tree-sitter parse"
echo "tree-sitter parse: ${#abs_files[@]} files, no ERROR or MISSING node"

# highlights.scm promises that no node is captured by two patterns, so
# editors that let the first pattern win (Helix, tree-sitter highlight) and
# those that let the last win (Neovim) colour alike: check it over every
# file.
"$ts" query queries/highlights.scm "${abs_files[@]}" >"$out/captures.txt" 2>"$out/captures.err" ||
  { cat "$out/captures.err" >&2; die "tree-sitter query queries/highlights.scm failed"; }
python3 - "$out/captures.txt" <<'PY' || die "queries/highlights.scm captures a span under two names"
import re, sys, collections
caps = collections.defaultdict(set)
file = None
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.startswith(" "):
        file = line.strip()
        continue
    m = re.match(r"\s+capture: \d+ - ([\w.]+), start: \((\d+), (\d+)\), end: \((\d+), (\d+)\)", line)
    if m:
        n += 1
        caps[(file, m.group(2), m.group(3), m.group(4), m.group(5))].add(m.group(1))
bad = [(k, v) for k, v in caps.items() if len(v) > 1]
for (f, r1, c1, r2, c2), names in bad[:10]:
    print(f"{f}:{int(r1)+1}:{int(c1)+1}: captured as {', '.join(sorted(names))}")
if bad:
    sys.exit(f"highlights.scm captures {len(bad)} spans with more than one name")
if n == 0:
    sys.exit("highlights.scm captured nothing")
print(f"highlights.scm: {n} captures over {len({k[0] for k in caps})} files, no span captured under two names")
PY
echo "editors: done in $((SECONDS - started)) s"
