//! Syntax: source text to a typed AST with spans (pest underneath).
//!
//! One `build_<rule>` function per grammar rule that carries meaning. Pest's
//! failures become `syntax` diagnostics whose "expected …" lists are in
//! human words ([`human_rule`]), never grammar rule names.

pub mod ast;
pub mod overrides;
pub mod shift;
pub mod templates;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};
use ast::*;
use pest::Parser;
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/arch.pest"]
struct ArchParser;

/// Parses a whole file. On a syntax error the returned file is empty and the
/// diagnostics say where and what was expected; lexical problems inside
/// well-formed tokens (a bad escape) are reported alongside a full tree.
pub fn parse(source: &str) -> (File, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    if let Some(d) = check_encoding(source).or_else(|| check_nesting(source)) {
        return (File::default(), vec![d]);
    }
    // Detailed attempts let syntax errors name expected punctuation.
    pest::set_error_detail(true);
    let pairs = match ArchParser::parse(Rule::file, source) {
        Ok(p) => p,
        Err(e) => return (File::default(), vec![syntax_error(source, e)]),
    };
    let mut file = File::default();
    let mut b = Builder { diags: &mut diags };
    for pair in pairs.clone().flatten() {
        if pair.as_rule() == Rule::COMMENT {
            file.comments.push(Comment {
                text: pair.as_str()[1..].to_string(),
                span: pair.as_span().into(),
            });
        }
    }
    if let Some(root) = pairs.into_iter().next() {
        for pair in inner(root) {
            let item = match pair.as_rule() {
                Rule::system_line => b.system_line(pair).map(Item::System),
                Rule::import_line => b.import_line(pair).map(Item::Import),
                Rule::singleton => Some(Item::Singleton(b.singleton(pair))),
                Rule::declaration => Some(Item::Declaration(b.declaration(pair))),
                Rule::flow => Some(Item::Flow(b.flow(pair))),
                Rule::scenario => Some(Item::Scenario(b.scenario(pair))),
                _ => None,
            };
            file.items.extend(item);
        }
    }
    (file, diags)
}

/// Parses one attribute value on its own (the grammar's `value` rule), as
/// `archc estimate --set BLOCK.ATTR=VALUE` needs: `50M`, `3x`, `4..40`,
/// `zipf(1.1)`, `["a", "b"]`. Spans are byte offsets into `text`. Anything
/// left after the value, or a lexical problem inside it (a bad escape), is an
/// error, so a value is accepted only if it would be accepted in a file.
// The error is the diagnostic the caller renders, once per `--set`; boxing
// it would only move the allocation.
#[allow(clippy::result_large_err)]
pub fn parse_value(text: &str) -> Result<Value, Diagnostic> {
    if let Some(d) = check_encoding(text) {
        return Err(d);
    }
    let start = text.len() - text.trim_start().len();
    let body = text.trim();
    if body.is_empty() {
        return Err(Diagnostic::error(
            Code::Syntax,
            Span::new(text.len(), text.len()),
            "expected a value, found nothing",
        )
        .label("expected a value")
        .help("give a value as it would be written in the file: `50M`, `3x`, `4..40`, `true`"));
    }
    pest::set_error_detail(true);
    let mut pairs = match ArchParser::parse(Rule::value, body) {
        Ok(p) => p,
        Err(e) => {
            let mut d = syntax_error(body, e);
            d.primary.span = shift(d.primary.span, start);
            return Err(d);
        }
    };
    let Some(pair) = pairs.next() else {
        return Err(Diagnostic::error(
            Code::Syntax,
            Span::new(start, start + body.len()),
            "expected a value",
        ));
    };
    let end = pair.as_span().end();
    if end < body.len() {
        let rest = &body[end..];
        let skip = rest.len() - rest.trim_start().len();
        return Err(Diagnostic::error(
            Code::Syntax,
            Span::new(start + end + skip, start + body.len()),
            format!(
                "unexpected `{}` after the value `{}`",
                rest.trim(),
                &body[..end]
            ),
        )
        .label("not part of the value")
        .help("give exactly one value, without spaces inside quantities: `50M`, `1.2k/s`"));
    }
    let mut diags = Vec::new();
    let value = Builder { diags: &mut diags }.value(pair);
    match diags.into_iter().next() {
        Some(mut d) => {
            d.primary.span = shift(d.primary.span, start);
            Err(d)
        }
        None => Ok(shift_value(value, start)),
    }
}

fn shift(s: Span, by: usize) -> Span {
    Span::new(s.start + by, s.end + by)
}

/// Moves every span of a value by `by` bytes.
pub(crate) fn shift_value(mut v: Value, by: usize) -> Value {
    v.span = shift(v.span, by);
    v.kind = match v.kind {
        ValueKind::Range(lo, hi) => ValueKind::Range(
            Box::new(shift_value(*lo, by)),
            Box::new(shift_value(*hi, by)),
        ),
        ValueKind::List(items) => {
            ValueKind::List(items.into_iter().map(|x| shift_value(x, by)).collect())
        }
        ValueKind::Map(entries) => ValueKind::Map(
            entries
                .into_iter()
                .map(|(mut k, x)| {
                    k.span = shift(k.span, by);
                    (k, shift_value(x, by))
                })
                .collect(),
        ),
        ValueKind::Call(mut f, args) => {
            f.span = shift(f.span, by);
            ValueKind::Call(f, args.into_iter().map(|x| shift_value(x, by)).collect())
        }
        other => other,
    };
    v
}

/// A NUL byte is valid UTF-8 but never valid `.arch`; say so at its place
/// rather than through a confusing "expected" list.
fn check_encoding(source: &str) -> Option<Diagnostic> {
    let pos = source.find('\0')?;
    Some(
        Diagnostic::error(Code::Syntax, Span::new(pos, pos + 1), "NUL byte in source")
            .label("NUL byte here")
            .help("remove the NUL byte; `.arch` files are plain UTF-8 text"),
    )
}

/// Deepest bracket nesting accepted. Real designs nest two or three levels;
/// the limit keeps the recursive-descent parser and the AST builder far from
/// the stack's end on hostile input.
pub const MAX_NESTING: usize = 100;

/// Rejects nesting deeper than [`MAX_NESTING`] before pest sees it.
fn check_nesting(source: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, c) in source.char_indices() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') | (false, '\n') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '#' => in_comment = true,
            '"' => in_string = true,
            '[' | '{' | '(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::error(
                            Code::Syntax,
                            Span::new(i, i + 1),
                            format!("brackets nested deeper than {MAX_NESTING} levels"),
                        )
                        .label("too deep")
                        .help("flatten the value: `.arch` values nest a few levels at most"),
                    );
                }
            }
            ']' | '}' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The children of a pair, comments left out.
fn inner(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| p.as_rule() != Rule::COMMENT)
}

fn span(pair: &Pair<'_, Rule>) -> Span {
    pair.as_span().into()
}

/// The span of a rule that ends in an optional part (`body?`, `labels?`):
/// pest counts the whitespace and comments it skipped before trying that
/// part, so the span ends at the last child that matched instead.
fn tight(pair: &Pair<'_, Rule>) -> Span {
    let start = pair.as_span().start();
    let last = pair
        .clone()
        .into_inner()
        .filter(|p| p.as_rule() != Rule::COMMENT)
        .last();
    let end = match last {
        Some(child) if ends_optionally(child.as_rule()) => tight(&child).end,
        Some(child) => child.as_span().end(),
        None => pair.as_span().end(),
    };
    Span::new(start, end)
}

/// Rules whose last part is optional, so their pest span may run past it.
fn ends_optionally(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::declaration
            | Rule::flow
            | Rule::endpoint
            | Rule::target
            | Rule::metric
            | Rule::expectation
            | Rule::event
            | Rule::action
            | Rule::label
    )
}

struct Builder<'d> {
    diags: &'d mut Vec<Diagnostic>,
}

impl Builder<'_> {
    fn ident(&mut self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: span(&pair),
        }
    }

    /// `name = { ident | string }`: both become an identifier-like name.
    fn name(&mut self, pair: Pair<'_, Rule>) -> Ident {
        let sp = span(&pair);
        let Some(child) = inner(pair).next() else {
            return Ident {
                name: String::new(),
                span: sp,
            };
        };
        match child.as_rule() {
            Rule::string => Ident {
                name: self.string(child),
                span: sp,
            },
            _ => self.ident(child),
        }
    }

    fn system_line(&mut self, pair: Pair<'_, Rule>) -> Option<SystemLine> {
        let sp = tight(&pair);
        let name = inner(pair).find(|p| p.as_rule() == Rule::name)?;
        Some(SystemLine {
            name: self.name(name),
            span: sp,
        })
    }

    fn import_line(&mut self, pair: Pair<'_, Rule>) -> Option<Import> {
        let sp = span(&pair);
        let string = inner(pair).find(|p| p.as_rule() == Rule::string)?;
        let value = self.value(string);
        let ValueKind::Str(path) = value.kind else {
            return None;
        };
        Some(Import {
            path,
            path_span: value.span,
            span: sp,
        })
    }

    fn singleton(&mut self, pair: Pair<'_, Rule>) -> Singleton {
        let sp = span(&pair);
        let mut it = inner(pair);
        let kw = it.next().expect("grammar: singleton keyword");
        let kind = match kw.as_str() {
            "traffic" => SingletonKind::Traffic,
            "slo" => SingletonKind::Slo,
            "monitoring" => SingletonKind::Monitoring,
            _ => SingletonKind::Assumptions,
        };
        let body = self.body(it.next().expect("grammar: singleton body"));
        Singleton {
            kind,
            keyword: span(&kw),
            body,
            span: sp,
        }
    }

    fn declaration(&mut self, pair: Pair<'_, Rule>) -> Declaration {
        let sp = tight(&pair);
        let mut it = inner(pair);
        let kind = self.ident(it.next().expect("grammar: declaration kind"));
        let name = self.ident(it.next().expect("grammar: declaration name"));
        let mut templates = Vec::new();
        let mut body = None;
        for part in it {
            match part.as_rule() {
                Rule::uses => templates = inner(part).map(|t| self.ident(t)).collect(),
                _ => body = Some(self.body(part)),
            }
        }
        Declaration {
            kind,
            name,
            templates,
            body,
            span: sp,
        }
    }

    fn body(&mut self, pair: Pair<'_, Rule>) -> Body {
        let sp = span(&pair);
        let attributes = inner(pair).map(|a| self.attribute(a)).collect();
        Body {
            attributes,
            span: sp,
        }
    }

    fn attribute(&mut self, pair: Pair<'_, Rule>) -> Attribute {
        let sp = span(&pair);
        let mut it = inner(pair);
        let name = self.ident(it.next().expect("grammar: attribute name"));
        let value = self.value(it.next().expect("grammar: attribute value"));
        Attribute {
            name,
            value,
            span: sp,
            via: None,
        }
    }

    fn value(&mut self, pair: Pair<'_, Rule>) -> Value {
        // `value` wraps exactly one alternative.
        let pair = if pair.as_rule() == Rule::value {
            inner(pair).next().expect("grammar: value alternative")
        } else {
            pair
        };
        let sp = span(&pair);
        let kind = match pair.as_rule() {
            Rule::quantity => return self.quantity(pair),
            Rule::boolean => ValueKind::Bool(pair.as_str() == "true"),
            Rule::string => ValueKind::Str(self.string(pair)),
            Rule::ident => ValueKind::Ident(pair.as_str().to_string()),
            Rule::range => {
                let mut it = inner(pair);
                let lo = self.value(it.next().expect("grammar: range start"));
                let hi = self.value(it.next().expect("grammar: range end"));
                ValueKind::Range(Box::new(lo), Box::new(hi))
            }
            Rule::list => ValueKind::List(inner(pair).map(|v| self.value(v)).collect()),
            Rule::map => ValueKind::Map(
                inner(pair)
                    .map(|entry| {
                        let mut it = inner(entry);
                        let key = it.next().expect("grammar: map key");
                        let key = match key.as_rule() {
                            Rule::string => Ident {
                                name: self.string(key.clone()),
                                span: span(&key),
                            },
                            _ => self.ident(key),
                        };
                        let value = self.value(it.next().expect("grammar: map value"));
                        (key, value)
                    })
                    .collect(),
            ),
            Rule::call => {
                let mut it = inner(pair);
                let f = self.ident(it.next().expect("grammar: call name"));
                ValueKind::Call(f, it.map(|v| self.value(v)).collect())
            }
            _ => ValueKind::Ident(pair.as_str().to_string()),
        };
        Value { kind, span: sp }
    }

    /// Lowers `10M`, `15ms`, `32GB`, `1.2k/s`, `95%`, `3x` into base units.
    fn quantity(&mut self, pair: Pair<'_, Rule>) -> Value {
        let sp = span(&pair);
        let mut number = 0.0;
        let mut integer_literal = true;
        let mut magnitude = 1.0;
        let mut unit: Option<(Unit, f64)> = None;
        for part in inner(pair) {
            match part.as_rule() {
                Rule::number => {
                    number = part.as_str().parse::<f64>().unwrap_or(0.0);
                    integer_literal = !part.as_str().contains('.');
                }
                Rule::magnitude => {
                    magnitude = match part.as_str() {
                        "k" => 1e3,
                        "M" => 1e6,
                        _ => 1e9,
                    }
                }
                Rule::size_unit => {
                    let f = match part.as_str() {
                        "B" => 1.0,
                        "KB" => 1e3,
                        "MB" => 1e6,
                        "GB" => 1e9,
                        "TB" => 1e12,
                        "KiB" => 1024.0,
                        "MiB" => 1024.0 * 1024.0,
                        "GiB" => 1024.0 * 1024.0 * 1024.0,
                        _ => 1024.0 * 1024.0 * 1024.0 * 1024.0,
                    };
                    unit = Some((Unit::Size, f));
                }
                Rule::dur_unit => {
                    let f = match part.as_str() {
                        "us" => 1e-6,
                        "ms" => 1e-3,
                        "s" => 1.0,
                        "m" => 60.0,
                        "h" => 3600.0,
                        "d" => 86_400.0,
                        _ => 365.0 * 86_400.0,
                    };
                    unit = Some((Unit::Duration, f));
                }
                Rule::per => {
                    let per = inner(part).next().map_or("s", |p| p.as_str());
                    let seconds = match per {
                        "s" => 1.0,
                        "min" => 60.0,
                        "h" => 3600.0,
                        "day" => DAY,
                        "week" => 7.0 * DAY,
                        "month" => 30.0 * DAY,
                        _ => 365.0 * DAY,
                    };
                    unit = Some((Unit::Rate, 1.0 / seconds));
                }
                Rule::percent => unit = Some((Unit::Percent, 0.01)),
                Rule::times => unit = Some((Unit::Multiplier, 1.0)),
                _ => {}
            }
        }
        let value = number * magnitude;
        let kind = match unit {
            None => ValueKind::Number {
                value,
                integer: value.fract() == 0.0 && (integer_literal || magnitude > 1.0),
            },
            Some((unit, factor)) => ValueKind::Quantity(Quantity {
                value: value * factor,
                unit,
            }),
        };
        Value { kind, span: sp }
    }

    /// Unescapes a string literal; an unknown escape is reported at its place
    /// and kept as written.
    fn string(&mut self, pair: Pair<'_, Rule>) -> String {
        let inner_pair = inner(pair).next();
        let Some(raw) = inner_pair else {
            return String::new();
        };
        let base = raw.as_span().start();
        let text = raw.as_str();
        let mut out = String::with_capacity(text.len());
        let mut chars = text.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((j, other)) => {
                    let end = base + j + other.len_utf8();
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidEscape,
                            Span::new(base + i, end),
                            format!("unknown escape `\\{other}` in string"),
                        )
                        .label("not an escape")
                        .help("the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`; write `\\\\` for a backslash"),
                    );
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        }
        out
    }

    fn flow(&mut self, pair: Pair<'_, Rule>) -> Flow {
        let sp = tight(&pair);
        let mut endpoints = Vec::new();
        let mut labels = Vec::new();
        let mut labels_span = None;
        for part in inner(pair) {
            match part.as_rule() {
                Rule::endpoint => {
                    let esp = tight(&part);
                    let mut it = inner(part);
                    let component = self.ident(it.next().expect("grammar: endpoint name"));
                    let role = it.next().map(|r| self.ident(r));
                    endpoints.push(Endpoint {
                        component,
                        role,
                        span: esp,
                    });
                }
                Rule::labels => {
                    labels_span = Some(span(&part));
                    for label in inner(part) {
                        for (i, piece) in inner(label).enumerate() {
                            match piece.as_rule() {
                                Rule::ident if i == 0 => {
                                    labels.push(FlowLabel::Class(self.ident(piece)))
                                }
                                Rule::ident => labels.push(FlowLabel::Modifier(self.ident(piece))),
                                Rule::calls => {
                                    let text = &piece.as_str()[1..];
                                    let (digits, factor) = match text.char_indices().last() {
                                        Some((at, 'k')) => (&text[..at], 1e3),
                                        Some((at, 'M')) => (&text[..at], 1e6),
                                        Some((at, 'G')) => (&text[..at], 1e9),
                                        _ => (text, 1.0),
                                    };
                                    let value = digits.parse::<f64>().unwrap_or(0.0) * factor;
                                    labels.push(FlowLabel::Calls(value, span(&piece)));
                                }
                                _ => {
                                    let v = self.quantity(piece);
                                    match v.kind {
                                        ValueKind::Quantity(Quantity {
                                            value,
                                            unit: Unit::Percent,
                                        }) => labels.push(FlowLabel::Share(value, v.span)),
                                        _ => labels.push(FlowLabel::BadShare(v)),
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Flow {
            endpoints,
            labels,
            labels_span,
            span: sp,
        }
    }

    fn scenario(&mut self, pair: Pair<'_, Rule>) -> Scenario {
        let sp = span(&pair);
        let mut it = inner(pair);
        let _kw = it.next();
        let name = self.name(it.next().expect("grammar: scenario name"));
        let mut sc = Scenario {
            name,
            attributes: Vec::new(),
            events: Vec::new(),
            expectations: Vec::new(),
            span: sp,
        };
        for item in it {
            match item.as_rule() {
                Rule::attribute => sc.attributes.push(self.attribute(item)),
                Rule::event => sc.events.push(self.event(item)),
                Rule::expectation => sc.expectations.push(self.expectation(item)),
                _ => {}
            }
        }
        sc
    }

    fn event(&mut self, pair: Pair<'_, Rule>) -> ScenarioEvent {
        let sp = tight(&pair);
        let mut it = inner(pair);
        let _at = it.next();
        let at = self.quantity(it.next().expect("grammar: event time"));
        let action_pair = it.next().expect("grammar: event action");
        let mut ait = inner(action_pair);
        let kw = ait.next().expect("grammar: action keyword");
        let arg = ait.next().expect("grammar: action argument");
        let action = match kw.as_rule() {
            Rule::kw_fail => Action::Fail(self.target(arg)),
            Rule::kw_recover => Action::Recover(self.target(arg)),
            _ => Action::Traffic(self.quantity(arg)),
        };
        ScenarioEvent {
            at,
            action,
            span: sp,
        }
    }

    fn target(&mut self, pair: Pair<'_, Rule>) -> Target {
        let sp = tight(&pair);
        let mut count = None;
        let mut idents = Vec::new();
        let mut name = None;
        let mut role = None;
        let mut zone = None;
        let mut datacenter = None;
        let text = pair.as_str();
        let base = pair.as_span().start();
        for part in inner(pair) {
            match part.as_rule() {
                Rule::quantity => count = Some(self.quantity(part)),
                Rule::ident => idents.push(self.ident(part)),
                _ => {}
            }
        }
        // Re-read the separators to know which identifier is which: the
        // first is the name; one after `/` is a zone; one after `.` is a
        // role; one after `@` a datacenter.
        for id in idents {
            let offset = id.span.start - base;
            let prev = text[..offset].trim_end().chars().last();
            match prev {
                Some('/') => zone = Some(id),
                Some('.') => role = Some(id),
                Some('@') => datacenter = Some(id),
                // The grammar allows one bare name; a second cannot occur.
                _ if name.is_none() => name = Some(id),
                _ => {}
            }
        }
        Target {
            count,
            name: name.unwrap_or(Ident {
                name: String::new(),
                span: sp,
            }),
            zone,
            role,
            datacenter,
            span: sp,
        }
    }

    fn expectation(&mut self, pair: Pair<'_, Rule>) -> Expectation {
        let sp = tight(&pair);
        let mut it = inner(pair);
        let _kw = it.next();
        let metric_pair = it.next().expect("grammar: metric");
        let mut mit = inner(metric_pair);
        let metric = self.ident(mit.next().expect("grammar: metric name"));
        let argument = mit.next().map(|t| self.target(t));
        let op = match it.next().map(|p| p.as_str().to_string()).as_deref() {
            Some("<") => Comparison::Lt,
            Some("<=") => Comparison::Le,
            Some(">") => Comparison::Gt,
            _ => Comparison::Ge,
        };
        let value = self.quantity(it.next().expect("grammar: expectation value"));
        let mut during = None;
        for rest in it {
            if rest.as_rule() == Rule::range {
                let mut r = inner(rest);
                let lo = self.value(r.next().expect("grammar: range start"));
                let hi = self.value(r.next().expect("grammar: range end"));
                during = Some((lo, hi));
            }
        }
        Expectation {
            metric,
            argument,
            op,
            value,
            during,
            span: sp,
        }
    }
}

/// Turns pest's error into a located diagnostic with human words.
fn syntax_error(source: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let (mut start, mut end) = match e.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    // At the end of the file, point just after the last token, not at the
    // empty line the final newline opens.
    let at_eof = start >= source.len();
    if at_eof {
        start = source.trim_end().len();
        end = start;
    }
    // Some mistakes read better as what the user wrote than as what pest
    // wanted at the first wrong character.
    if let Some(d) = unterminated_string(source, start)
        .or_else(|| unknown_rate_unit(source, start))
        .or_else(|| malformed_quantity(source, start))
    {
        return d;
    }
    // Point at the offending token, not an empty position, when there is one.
    let tok_end = token_end(source, start);
    let span = Span::new(start, end.max(tok_end));
    let found = if at_eof {
        "end of file".to_string()
    } else {
        describe_found(source, start)
    };
    let mut expected: Vec<String> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .filter_map(|r| human_rule(*r))
            .map(String::from)
            .collect(),
        ErrorVariant::CustomError { message } => vec![message.clone()],
    };
    // Punctuation the grammar wanted is not a rule, so pest lists it only
    // among its parse attempts.
    if let Some(attempts) = e.parse_attempts() {
        for tok in attempts.expected_tokens() {
            // The token type is not exported; its Display is the literal.
            if let Some(h) = human_token(&tok.to_string()) {
                expected.push(h.to_string());
            }
        }
    }
    expected.sort();
    expected.dedup();
    // Brackets are already named by the constructs they open.
    let has_value = expected.iter().any(|e| e == "a value");
    let has_labels = expected.iter().any(|e| e.starts_with("flow labels"));
    expected.retain(|e| !(e == "`[`" && (has_value || has_labels)) && !(e == "`{`" && has_value));
    // At the end of the file, what is missing is the closing bracket; the
    // ways the last token could have gone on are noise.
    if at_eof {
        for close in ["`}`", "`]`"] {
            if expected.iter().any(|e| e == close) {
                expected = vec![close.to_string()];
                break;
            }
        }
    }
    // At the top level every statement form is possible; say so once.
    let statement_forms = [
        "`scenario`",
        "`system`",
        "`import`",
        "a block (`traffic`, `slo`, …)",
        "a declaration (`service web { … }`)",
    ];
    if expected
        .iter()
        .any(|e| statement_forms.contains(&e.as_str()))
    {
        expected.retain(|e| !statement_forms.contains(&e.as_str()) && e != "a name");
        expected.insert(
            0,
            "a statement (a declaration, a block or a flow)".to_string(),
        );
    }
    let expected_text = match expected.len() {
        0 => "something else".to_string(),
        1 => expected[0].clone(),
        _ => {
            let (last, rest) = expected.split_last().expect("non-empty");
            format!("{} or {}", rest.join(", "), last)
        }
    };
    let mut d = Diagnostic::error(
        Code::Syntax,
        span,
        format!("expected {expected_text}, found {found}"),
    )
    .label(format!("expected {expected_text}"));
    d.help = Some(syntax_hint(source, start, &expected));
    d
}

fn token_end(source: &str, start: usize) -> usize {
    let rest = &source[start.min(source.len())..];
    let len = rest
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(rest.len(), |(i, _)| i);
    // Keep spans short: at most one token, at most a line, and end on a
    // character boundary.
    let mut end = start + len.min(40);
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// A string opened at `start` and not closed on its line.
fn unterminated_string(source: &str, start: usize) -> Option<Diagnostic> {
    let rest = source.get(start..)?.strip_prefix('"')?;
    let mut line_end = rest.len();
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            '\n' | '\r' => {
                line_end = i;
                break;
            }
            '"' if !escaped => return None,
            _ => {}
        }
        escaped = c == '\\' && !escaped;
    }
    let span = Span::new(start, start + 1 + line_end);
    let what = if line_end == rest.len() {
        "file"
    } else {
        "line"
    };
    Some(
        Diagnostic::error(
            Code::Syntax,
            span,
            format!("string not closed before the end of the {what}"),
        )
        .label("unterminated string")
        .help("close the string with `\"` on the same line; write a line break inside it as `\\n`"),
    )
}

/// Units and magnitudes that may follow a number (LANGUAGE.md §2).
const SUFFIXES: &[&str] = &[
    "k", "M", "G", "us", "ms", "s", "m", "h", "d", "y", "B", "KB", "MB", "GB", "TB", "KiB", "MiB",
    "GiB", "TiB", "x",
];

/// Seconds in a day; a `month` is 30 of them and a `year` 365 (LANGUAGE.md
/// §13).
const DAY: f64 = 86_400.0;

/// The units a rate may be written per, in the order the help lists them.
pub const RATE_UNITS: &[&str] = &["s", "min", "h", "day", "week", "month", "year"];

/// A word after a quantity's `/` that is no rate unit (`11/fortnight`,
/// `5/hour`), when the parse failed on it.
fn unknown_rate_unit(source: &str, start: usize) -> Option<Diagnostic> {
    // pest stops at the `/` when a unit's prefix matched (`/hour`), and
    // after it otherwise.
    let start = if source[start..].starts_with('/') {
        start + 1
    } else {
        start
    };
    let slash = start.checked_sub(1)?;
    if source.as_bytes().get(slash) != Some(&b'/') {
        return None;
    }
    let before = source[..slash].chars().next_back()?;
    if !(before.is_ascii_digit() || matches!(before, 'k' | 'M' | 'G')) {
        return None;
    }
    let end = source[start..]
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .map_or(source.len(), |i| start + i);
    let word = &source[start..end];
    if word.is_empty() || RATE_UNITS.contains(&word) {
        return None;
    }
    let alias = match word.to_ascii_lowercase().as_str() {
        "sec" | "second" | "seconds" | "secs" => Some("s"),
        "m" | "mins" | "minute" | "minutes" => Some("min"),
        "hr" | "hrs" | "hour" | "hours" => Some("h"),
        "d" | "days" => Some("day"),
        "w" | "wk" | "weeks" => Some("week"),
        "mo" | "mon" | "months" => Some("month"),
        "y" | "yr" | "yrs" | "years" => Some("year"),
        lower => RATE_UNITS
            .iter()
            .copied()
            .find(|u| *u == lower)
            .or_else(|| {
                RATE_UNITS
                    .iter()
                    .copied()
                    .filter(|u| u.len() > 1)
                    .find(|u| strsim::levenshtein(u, lower) == 1)
            }),
    };
    let units = RATE_UNITS
        .iter()
        .map(|u| format!("`/{u}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let help = match alias {
        Some(u) => format!(
            "did you mean `/{u}`? a rate is written per {units} (a month is 30 days, a year 365)"
        ),
        None => format!("a rate is written per {units} (a month is 30 days, a year 365)"),
    };
    Some(
        Diagnostic::error(
            Code::Syntax,
            Span::new(start, end),
            format!("`{word}` is not a rate unit"),
        )
        .label("unknown rate unit")
        .help(help),
    )
}

/// A number run into letters that make no quantity (`10mx`, `3m30s`,
/// `10K`), when the parse failed inside it.
fn malformed_quantity(source: &str, start: usize) -> Option<Diagnostic> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '.';
    if !source
        .get(start..)?
        .starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return None;
    }
    // The token around `start`; `..` separates the ends of a range.
    // The separator before the token may be several bytes long (a BOM).
    let mut token_start = source[..start]
        .char_indices()
        .rev()
        .find(|(_, c)| !word(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    if let Some(i) = source[token_start..start].rfind("..") {
        token_start += i + 2;
    }
    let mut token_end = source[start..]
        .find(|c: char| !word(c))
        .map_or(source.len(), |i| start + i);
    if let Some(i) = source[start..token_end].find("..") {
        token_end = start + i;
    }
    if token_start == start || !source[token_start..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let token = &source[token_start..token_end];
    let number_len = token
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(token.len());
    let (number, suffix) = token.split_at(number_len);
    let help = if let Some(seconds) = compound_duration(token) {
        format!("a duration is one number and one unit: write `{token}` as `{seconds}s`")
    } else if let Some(s) = SUFFIXES.iter().find(|s| s.eq_ignore_ascii_case(suffix)) {
        format!("suffixes are case-sensitive: did you mean `{number}{s}`?")
    } else {
        "a quantity is a number and one unit: a magnitude `k`, `M`, `G`; a duration `us`, `ms`, `s`, `m`, \
         `h`, `d`, `y`; a size `B`, `KB`, `MB`, `GB`, `TB`, `KiB`, `MiB`, `GiB`, `TiB`; a rate `/s`, `/min`, \
         `/h`, `/day`, `/week`, `/month`, `/year`; `%`; or `x`"
            .to_string()
    };
    Some(
        Diagnostic::error(
            Code::Syntax,
            Span::new(token_start, token_end),
            format!("`{token}` is not a number or quantity"),
        )
        .label("not a quantity")
        .help(help),
    )
}

/// Whole seconds of `3m30s`-style text: two or more (number, duration
/// unit) pairs.
fn compound_duration(token: &str) -> Option<u64> {
    let mut rest = token;
    let mut total = 0.0;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let unit_len = rest[digits..]
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len() - digits);
        let number: f64 = rest[..digits].parse().ok()?;
        let seconds = match &rest[digits..digits + unit_len] {
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            _ => return None,
        };
        total += number * seconds;
        parts += 1;
        rest = &rest[digits + unit_len..];
    }
    (parts >= 2 && total.fract() == 0.0).then_some(total as u64)
}

fn describe_found(source: &str, start: usize) -> String {
    let rest = &source[start.min(source.len())..];
    match rest.chars().next() {
        None => "end of file".to_string(),
        Some('\n') | Some('\r') => "end of line".to_string(),
        Some(_) => {
            let tok: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace())
                .take(20)
                .collect();
            format!("`{tok}`")
        }
    }
}

fn syntax_hint(source: &str, start: usize, expected: &[String]) -> String {
    let rest = &source[start.min(source.len())..];
    if rest.starts_with('"') || expected.iter().any(|e| e == "a closing `\"`") {
        return "close the string with `\"` on the same line".into();
    }
    if rest.starts_with('-') && !rest.starts_with("->") {
        return "numbers have no sign in `.arch`; nothing in the language is negative".into();
    }
    if expected.iter().any(|e| e == "`]`") {
        return "close the list with `]`; separate its items with `,`".into();
    }
    if expected.iter().any(|e| e.contains("`}`")) {
        return "write attributes as `name = value`, and close the block with `}`".into();
    }
    if expected.iter().any(|e| e.contains("`=`")) {
        return "write attributes as `name = value`".into();
    }
    "see LANGUAGE.md §2–§6 for the shape of statements".into()
}

/// Human words for literal tokens worth naming in "expected …".
fn human_token(token: &str) -> Option<&'static str> {
    Some(match token {
        "=" => "`=`",
        "{" => "`{`",
        "}" => "`}`",
        "[" => "`[`",
        "]" => "`]`",
        "," => "`,`",
        "->" => "`->`",
        "(" => "`(`",
        ")" => "`)`",
        ".." => "`..`",
        "@" => "`@`",
        _ => return None,
    })
}

/// Human words for grammar rules, for "expected …" lists. Rules that should
/// never be named to a user map to `None`.
fn human_rule(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident | Rule::name => "a name",
        Rule::string | Rule::string_inner => "a string",
        Rule::number => "a number",
        Rule::quantity => "a number or quantity",
        Rule::magnitude => "a magnitude (`k`, `M`, `G`)",
        Rule::size_unit
        | Rule::dur_unit
        | Rule::rate_unit
        | Rule::per
        | Rule::percent
        | Rule::times => "a unit",
        Rule::boolean => "`true` or `false`",
        Rule::range => "a range (`4..40`)",
        Rule::call => "a call (`zipf(1.1)`)",
        Rule::list => "a list (`[a, b]`)",
        Rule::map | Rule::map_entry => "a map entry (`\"key\" = 10%`)",
        Rule::value => "a value",
        Rule::attribute => "an attribute (`name = value`)",
        Rule::body => "`{`",
        Rule::kw_system | Rule::system_line => "`system`",
        Rule::kw_import | Rule::import_line => "`import`",
        Rule::uses => "`:` and a template name",
        Rule::singleton_kw | Rule::singleton => "a block (`traffic`, `slo`, …)",
        Rule::declaration => "a declaration (`service web { … }`)",
        Rule::endpoint => "a component name",
        Rule::arrow => "`->`",
        Rule::labels | Rule::label => "flow labels (`[read]`)",
        Rule::calls => "a call count (`x10`)",
        Rule::flow => "a flow (`a -> b`)",
        Rule::target => "a target (`web@us-east`)",
        Rule::kw_of => "`of`",
        Rule::kw_at => "`at`",
        Rule::kw_expect | Rule::expectation => "`expect`",
        Rule::kw_during => "`during`",
        Rule::action | Rule::kw_fail | Rule::kw_recover | Rule::kw_traffic => {
            "`fail`, `recover` or `traffic`"
        }
        Rule::event => "`at`",
        Rule::metric => "a metric (`p99`, `error_rate`, …)",
        Rule::comparison => "a comparison (`<`, `<=`, `>`, `>=`)",
        Rule::kw_scenario | Rule::scenario => "`scenario`",
        Rule::EOI => "end of file",
        Rule::file => "a statement",
        Rule::WHITESPACE
        | Rule::COMMENT
        | Rule::ident_start
        | Rule::ident_char
        | Rule::scenario_item
        | Rule::label_word
        | Rule::statement => return None,
    })
}
