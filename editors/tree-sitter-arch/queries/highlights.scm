; Highlights for the `.arch` language. Capture names are the dotted ones
; Neovim (nvim-treesitter) and Helix both understand; each falls back to
; its prefix (`@constant.builtin.boolean` → `@constant.builtin` →
; `@constant`) where an editor has no colour for the full name. No node is
; captured by two patterns, so the result does not depend on whether an
; editor lets the first or the last pattern win.

; ─── Comments; `# allow(RULE): reason` suppressions stand out ─────────────

((comment) @keyword.directive
  (#match? @keyword.directive "^#[ \t]*allow[ \t]*\\("))

((comment) @comment
  (#not-match? @comment "^#[ \t]*allow[ \t]*\\("))

; ─── Keywords ─────────────────────────────────────────────────────────────

[
  "system"
  "import"
  "scenario"
  "traffic"
  "slo"
  "monitoring"
  "assumptions"
] @keyword

[
  "at"
  "fail"
  "recover"
  "expect"
  "during"
  "of"
] @keyword.control

; The kind of a declaration: `service`, `database`, `datacenter`, `template`, …
(declaration
  kind: (identifier) @keyword.storage.type)

; ─── Names ────────────────────────────────────────────────────────────────

(system_line
  name: (_) @namespace)

(declaration
  name: (identifier) @type)

(uses
  template: (identifier) @type)

(scenario
  name: (_) @function)

(attribute
  name: (identifier) @variable.other.member)

(map_entry
  key: (identifier) @variable.other.member)

(endpoint
  component: (identifier) @variable)

(endpoint
  role: (identifier) @variable.other.member)

(target
  name: (identifier) @variable)

(target
  zone: (identifier) @variable)

(target
  role: (identifier) @variable.other.member)

(target
  datacenter: (identifier) @variable)

(metric
  name: (identifier) @variable.builtin)

(call
  function: (identifier) @function.builtin)

; Enum values and references used as values: `lru`, `redis`, `sessions`.
(attribute
  value: (identifier) @constant)

(map_entry
  value: (identifier) @constant)

(list
  (identifier) @constant)

(arguments
  (identifier) @constant)

; Request classes and `all-shards` in flow labels.
(label
  (identifier) @constant.builtin)

; ─── Literals ─────────────────────────────────────────────────────────────

(quantity) @constant.numeric

(calls) @constant.numeric

(boolean) @constant.builtin.boolean

(import
  path: (string) @string.special.path)

; Strings where values stand (the import path, the system's and a
; scenario's name are captured above).
(attribute
  value: (string) @string)

(map_entry
  key: (string) @string)

(map_entry
  value: (string) @string)

(list
  (string) @string)

(arguments
  (string) @string)

(string
  (escape_sequence) @constant.character.escape)

; ─── Operators and punctuation ────────────────────────────────────────────

[
  "->"
  "="
  ".."
] @operator

(comparison) @operator

[
  "{"
  "}"
  "["
  "]"
  "("
  ")"
] @punctuation.bracket

[
  ","
  ";"
  ":"
  "."
  "/"
  "@"
] @punctuation.delimiter
