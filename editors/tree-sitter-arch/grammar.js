/**
 * @file The `.arch` language of archc (LANGUAGE.md 0.2) for tree-sitter.
 *
 * It follows the shapes of grammar/arch.pest, the grammar archc compiles
 * with, and is as permissive as it about which words stand where:
 * component kinds, attribute names, flow labels and metric names are plain
 * identifiers, so that a design archc accepts always parses here.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const RATE_UNIT = '(?:month|week|year|min|day|s|h)';
const UNIT =
  '(?:KiB|MiB|GiB|TiB|KB|MB|GB|TB|B' +
  `|[kMG](?:/${RATE_UNIT})?` +
  `|/${RATE_UNIT}` +
  '|ms|us|s|m|h|d|y|%|x)';

const sep1 = (rule, separator) => seq(rule, repeat(seq(separator, rule)));

module.exports = grammar({
  name: 'arch',

  extras: $ => [/[ \t\r\n\uFEFF]/, $.comment],

  word: $ => $.identifier,

  rules: {
    source_file: $ => repeat(seq($._statement, optional(';'))),

    _statement: $ => choice(
      $.system_line,
      $.import,
      $.singleton,
      $.scenario,
      $.declaration,
      $.flow,
    ),

    // ─── Lexical atoms ────────────────────────────────────────────────

    // A `#` comment; `# allow(RULE): reason` suppressions are comments too
    // (the highlight query tells them apart).
    comment: _ => token(seq('#', /[^\r\n]*/)),

    // A letter, then letters, digits, `_`, or `-` when more follows:
    // `web->db` is `web -> db`.
    identifier: _ => /[A-Za-z](?:[A-Za-z0-9_]|-+[A-Za-z0-9_])*/,

    // `"…"` with `\"`, `\\`, `\n`, `\t`; archc rejects any other escape.
    string: $ => seq(
      '"',
      repeat(choice($.string_content, $.escape_sequence)),
      token.immediate('"'),
    ),
    string_content: _ => token.immediate(prec(1, /[^"\\\r\n]+/)),
    escape_sequence: _ => token.immediate(/\\[^\r\n]/),

    // A number with its magnitude and unit, one token: `800/s`, `1.2k/s`,
    // `10MB`, `15ms`, `95%`, `3x`; `$12k/month` is money.
    quantity: _ => token(new RegExp(`\\$?[0-9]+(?:\\.[0-9]+)?${UNIT}?`)),

    boolean: _ => choice('true', 'false'),

    // ─── Values ───────────────────────────────────────────────────────

    _value: $ => choice(
      $.range,
      $.quantity,
      $.boolean,
      $.string,
      $.call,
      $.list,
      $.map,
      $.identifier,
    ),

    range: $ => seq(field('start', $.quantity), '..', field('end', $.quantity)),

    call: $ => seq(
      field('function', $.identifier),
      field('arguments', $.arguments),
    ),

    arguments: $ => seq('(', optional(sep1($._value, ',')), ')'),

    list: $ => seq(
      '[',
      optional(seq(sep1($._value, ','), optional(','))),
      ']',
    ),

    map: $ => seq(
      '{',
      optional(seq(
        $.map_entry,
        repeat(seq(optional(choice(',', ';')), $.map_entry)),
        optional(choice(',', ';')),
      )),
      '}',
    ),

    map_entry: $ => seq(
      field('key', choice($.string, $.identifier)),
      '=',
      field('value', $._value),
    ),

    // ─── Attribute blocks ─────────────────────────────────────────────

    attribute: $ => seq(field('name', $.identifier), '=', field('value', $._value)),

    body: $ => seq('{', repeat(seq($.attribute, optional(';'))), '}'),

    // ─── Top-level statements ─────────────────────────────────────────

    _name: $ => choice($.identifier, $.string),

    // `system photo-share`
    system_line: $ => seq('system', field('name', $._name)),

    // `import "platform/common.arch"`
    import: $ => seq('import', field('path', $.string)),

    // `traffic { … }`, `slo { … }`, `monitoring { … }`, `assumptions { … }`
    singleton: $ => seq(
      field('kind', choice('traffic', 'slo', 'monitoring', 'assumptions')),
      field('body', $.body),
    ),

    // `KIND NAME [: T1, T2] [{ … }]`: every component kind, `datacenter`
    // and `template` share this shape; the kind is checked by archc.
    declaration: $ => seq(
      field('kind', $.identifier),
      field('name', $.identifier),
      optional(field('uses', $.uses)),
      optional(field('body', $.body)),
    ),

    uses: $ => seq(':', sep1(field('template', $.identifier), ',')),

    // ─── Flows ────────────────────────────────────────────────────────

    // `browsers -> geo -> edge -> web [read, write]`
    flow: $ => seq(
      $.endpoint,
      repeat1(seq('->', $.endpoint)),
      optional(field('labels', $.labels)),
    ),

    // `web` or `users.replicas` (a database role)
    endpoint: $ => seq(
      field('component', $.identifier),
      optional(seq('.', field('role', $.identifier))),
    ),

    labels: $ => seq('[', optional(sep1($.label, ',')), ']'),

    // Words separated by spaces: a class, a share (`10%`), a call count
    // (`x10`), `all-shards`.
    label: $ => repeat1(choice($.calls, $.quantity, $.identifier)),

    // `x10`: calls per request along the chain's first edge.
    calls: _ => token(prec(1, /x-?[0-9]+(?:\.[0-9]+)?[kMG]?/)),

    // ─── Scenarios ────────────────────────────────────────────────────

    scenario: $ => seq(
      'scenario',
      field('name', $._name),
      '{',
      repeat(seq(choice($.event, $.expectation, $.attribute), optional(';'))),
      '}',
    ),

    // `at 1m fail 2 of web@us-east`
    event: $ => seq('at', field('time', $.quantity), field('action', $.action)),

    action: $ => choice(
      seq('fail', field('target', $.target)),
      seq('recover', field('target', $.target)),
      seq('traffic', field('factor', $.quantity)),
    ),

    // `us-west`, `us-west/b`, `web`, `web@us-east`, `2 of web@us-east`,
    // `users.primary@us-east`
    target: $ => seq(
      optional(seq(field('count', $.quantity), 'of')),
      field('name', $.identifier),
      optional(seq('/', field('zone', $.identifier))),
      optional(seq('.', field('role', $.identifier))),
      optional(seq('@', field('datacenter', $.identifier))),
    ),

    // `expect p99 < 400ms during 1m..2m`
    expectation: $ => seq(
      'expect',
      field('metric', $.metric),
      field('operator', $.comparison),
      field('value', $.quantity),
      optional(seq('during', field('during', $.range))),
    ),

    metric: $ => seq(
      field('name', $.identifier),
      optional(seq('(', field('target', $.target), ')')),
    ),

    comparison: _ => choice('<=', '>=', '<', '>'),
  },
});
