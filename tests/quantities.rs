#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! Lexical values lowered to base units (LANGUAGE.md §2), each checked
//! against a hand-computed figure: seconds, bytes, per-second rates,
//! fractions and factors.

use archc::syntax::ast::{Item, Quantity, Unit, Value, ValueKind};
use archc::syntax::parse;

/// The value of `v = TEXT` inside a `traffic` block, which the parser takes
/// whatever the attribute's name or type (the model checks those).
fn value(text: &str) -> Value {
    let source = format!("traffic {{ v = {text} }}\n");
    let (file, diags) = parse(&source);
    assert!(diags.is_empty(), "`{text}` should parse: {diags:#?}");
    let [Item::Singleton(block)] = file.items.as_slice() else {
        panic!("`{text}`: expected one block, got {:#?}", file.items);
    };
    let [attr] = block.body.attributes.as_slice() else {
        panic!("`{text}`: expected one attribute");
    };
    // The value's span covers exactly what was written.
    assert_eq!(&source[attr.value.span.start..attr.value.span.end], text);
    attr.value.clone()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300)
}

#[track_caller]
fn quantity(text: &str, unit: Unit, expected: f64) {
    match value(text).kind {
        ValueKind::Quantity(Quantity { value, unit: u }) => {
            assert_eq!(u, unit, "`{text}` has the wrong unit");
            assert!(
                close(value, expected),
                "`{text}` is {value}, expected {expected}"
            );
        }
        other => panic!("`{text}` should be {}, got {other:?}", unit.describe()),
    }
}

#[track_caller]
fn number(text: &str, expected: f64, whole: bool) {
    match value(text).kind {
        ValueKind::Number { value, integer } => {
            assert!(
                close(value, expected),
                "`{text}` is {value}, expected {expected}"
            );
            assert_eq!(integer, whole, "`{text}`: is it a whole number?");
        }
        other => panic!("`{text}` should be a bare number, got {other:?}"),
    }
}

#[track_caller]
fn rejected(text: &str) {
    let source = format!("traffic {{ v = {text} }}\n");
    let (file, diags) = parse(&source);
    assert!(
        diags.iter().any(|d| d.rule == "syntax"),
        "`{text}` must be a syntax error, parsed as {file:#?}"
    );
}

#[test]
fn durations_are_seconds() {
    quantity("15us", Unit::Duration, 15.0 / 1_000_000.0);
    quantity("250ms", Unit::Duration, 0.25);
    quantity("30s", Unit::Duration, 30.0);
    quantity("10m", Unit::Duration, 600.0);
    quantity("2h", Unit::Duration, 7_200.0);
    quantity("1d", Unit::Duration, 86_400.0);
    quantity("5y", Unit::Duration, 5.0 * 365.0 * 86_400.0);
    quantity("0.5ms", Unit::Duration, 0.0005);
    quantity("1.5h", Unit::Duration, 5_400.0);
}

#[test]
fn sizes_are_bytes_decimal_and_binary() {
    quantity("512B", Unit::Size, 512.0);
    quantity("20KB", Unit::Size, 20_000.0);
    quantity("32MB", Unit::Size, 32_000_000.0);
    quantity("32GB", Unit::Size, 32_000_000_000.0);
    quantity("2TB", Unit::Size, 2_000_000_000_000.0);
    quantity("4KiB", Unit::Size, 4_096.0);
    quantity("1MiB", Unit::Size, 1_048_576.0);
    quantity("64GiB", Unit::Size, 68_719_476_736.0);
    quantity("2TiB", Unit::Size, 2_199_023_255_552.0);
    quantity("1.5KB", Unit::Size, 1_500.0);
}

#[test]
fn rates_are_per_second() {
    quantity("800/s", Unit::Rate, 800.0);
    quantity("3/min", Unit::Rate, 0.05);
    quantity("36/h", Unit::Rate, 0.01);
    quantity("40/day", Unit::Rate, 40.0 / 86_400.0);
    quantity("1.2k/s", Unit::Rate, 1_200.0);
    quantity("6M/day", Unit::Rate, 6_000_000.0 / 86_400.0);
    quantity("2G/h", Unit::Rate, 2_000_000_000.0 / 3_600.0);
}

/// LANGUAGE.md §13: a week is 7 days, a month 30 and a year 365.
#[test]
fn long_rate_units_are_per_second() {
    quantity("7/week", Unit::Rate, 1.0 / 86_400.0);
    quantity("11/month", Unit::Rate, 11.0 / (30.0 * 86_400.0));
    quantity("365/year", Unit::Rate, 1.0 / 86_400.0);
    quantity("3k/month", Unit::Rate, 3_000.0 / 2_592_000.0);
}

#[test]
fn magnitudes_multiply_bare_numbers() {
    number("42", 42.0, true);
    number("0.25", 0.25, false);
    number("1.5k", 1_500.0, true);
    number("10M", 10_000_000.0, true);
    number("2G", 2_000_000_000.0, true);
    number("0.0005k", 0.5, false);
}

#[test]
fn suffixes_are_case_sensitive_and_never_collide() {
    // `10M` ten million, `10m` ten minutes, `10MB` ten million bytes.
    number("10M", 1e7, true);
    quantity("10m", Unit::Duration, 600.0);
    quantity("10MB", Unit::Size, 1e7);
    // `2G` two billion, `2GB` two billion bytes: equal numbers, not the
    // same type.
    number("2G", 2e9, true);
    quantity("2GB", Unit::Size, 2e9);
    assert_ne!(value("2G").kind, value("2GB").kind);
    // Wrong case is not a unit.
    rejected("10mb");
    rejected("10Mb");
    rejected("2g");
    rejected("3X");
    rejected("1kb");
}

#[test]
fn percentages_are_fractions_and_multipliers_factors() {
    quantity("95%", Unit::Percent, 0.95);
    quantity("99.95%", Unit::Percent, 0.9995);
    quantity("0%", Unit::Percent, 0.0);
    quantity("3x", Unit::Multiplier, 3.0);
    quantity("1.5x", Unit::Multiplier, 1.5);
}

#[test]
fn a_quantity_is_one_number_and_one_unit() {
    rejected("3m30s");
    rejected("-5");
    rejected("10 ms x");
    rejected("5msx");
}

#[test]
fn strings_unescape_the_four_escapes() {
    let v = value(r#""a\"b\\c\nd\te""#);
    assert_eq!(v.kind, ValueKind::Str("a\"b\\c\nd\te".to_string()));
    assert_eq!(value(r#""""#).kind, ValueKind::Str(String::new()));
    assert_eq!(
        value("\"café ☕\"").kind,
        ValueKind::Str("café ☕".to_string())
    );

    // Any other escape is reported at its place, and a raw newline ends
    // the string.
    let source = "traffic { v = \"a\\qb\" }\n";
    let (_, diags) = parse(source);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].rule, "invalid-escape");
    assert_eq!(
        &source[diags[0].primary.span.start..diags[0].primary.span.end],
        "\\q"
    );
    let (_, diags) = parse("traffic { v = \"a\nb\" }\n");
    assert_eq!(
        diags.iter().map(|d| d.rule.as_str()).collect::<Vec<_>>(),
        ["syntax"]
    );
}

#[test]
fn ranges_hold_two_values() {
    let ValueKind::Range(lo, hi) = value("4..40").kind else {
        panic!("`4..40` is a range");
    };
    assert_eq!(
        lo.kind,
        ValueKind::Number {
            value: 4.0,
            integer: true
        }
    );
    assert_eq!(
        hi.kind,
        ValueKind::Number {
            value: 40.0,
            integer: true
        }
    );

    let ValueKind::Range(lo, hi) = value("1m..2m").kind else {
        panic!("`1m..2m` is a range");
    };
    assert_eq!(
        lo.kind,
        ValueKind::Quantity(Quantity {
            value: 60.0,
            unit: Unit::Duration
        })
    );
    assert_eq!(
        hi.kind,
        ValueKind::Quantity(Quantity {
            value: 120.0,
            unit: Unit::Duration
        })
    );
}

#[test]
fn key_distributions_are_calls() {
    let ValueKind::Call(f, args) = value("zipf(1.1)").kind else {
        panic!("`zipf(1.1)` is a call");
    };
    assert_eq!(f.name, "zipf");
    assert_eq!(args.len(), 1);
    assert_eq!(
        args[0].kind,
        ValueKind::Number {
            value: 1.1,
            integer: false
        }
    );
    assert_eq!(
        value("uniform").kind,
        ValueKind::Ident("uniform".to_string())
    );

    // The model turns them into key distributions.
    use archc::model::KeyDist;
    let source = "database a { keys = zipf(1.1) }\ndatabase b { keys = uniform }\ndatabase c\n";
    let compiled = archc::compile(source, &Default::default());
    assert!(
        compiled.diagnostics.is_empty(),
        "{:#?}",
        compiled.diagnostics
    );
    let model = compiled.model.expect("model");
    let keys: Vec<KeyDist> = model
        .components
        .iter()
        .map(|c| c.database().expect("a database").keys.value)
        .collect();
    assert_eq!(
        keys,
        [KeyDist::Zipf(1.1), KeyDist::Uniform, KeyDist::Uniform]
    );
}

#[test]
fn lists_maps_and_booleans() {
    let ValueKind::List(items) = value("[us-east, \"us-west\", 3]").kind else {
        panic!("a list");
    };
    let kinds: Vec<ValueKind> = items.into_iter().map(|v| v.kind).collect();
    assert_eq!(
        kinds,
        [
            ValueKind::Ident("us-east".into()),
            ValueKind::Str("us-west".into()),
            ValueKind::Number {
                value: 3.0,
                integer: true
            },
        ]
    );
    let ValueKind::Map(entries) = value("{ \"taylor\" = 25%, bts = 10% }").kind else {
        panic!("a map");
    };
    let entries: Vec<(String, ValueKind)> =
        entries.into_iter().map(|(k, v)| (k.name, v.kind)).collect();
    assert_eq!(
        entries,
        [
            (
                "taylor".to_string(),
                ValueKind::Quantity(Quantity {
                    value: 0.25,
                    unit: Unit::Percent
                })
            ),
            (
                "bts".to_string(),
                ValueKind::Quantity(Quantity {
                    value: 0.10,
                    unit: Unit::Percent
                })
            ),
        ]
    );
    assert_eq!(value("true").kind, ValueKind::Bool(true));
    assert_eq!(value("false").kind, ValueKind::Bool(false));
    // A word that starts like a boolean is a name.
    assert_eq!(value("trueish").kind, ValueKind::Ident("trueish".into()));
}

/// The help line of the syntax error for `v = TEXT`.
fn syntax_help(text: &str) -> String {
    let source = format!("traffic {{ v = {text} }}\n");
    let (_, diags) = parse(&source);
    let [d] = diags.as_slice() else {
        panic!("`{text}`: one diagnostic expected, got {diags:#?}");
    };
    assert_eq!(d.rule, "syntax");
    // The whole malformed token is underlined.
    assert_eq!(
        &source[d.primary.span.start..d.primary.span.end],
        text,
        "span of `{text}`"
    );
    d.help.clone().expect("a help line")
}

#[test]
fn malformed_quantities_get_a_precise_hint() {
    assert!(syntax_help("10K").contains("did you mean `10k`?"));
    assert!(syntax_help("32gb").contains("did you mean `32GB`?"));
    assert!(syntax_help("2Kib").contains("did you mean `2KiB`?"));
    assert!(syntax_help("3X").contains("did you mean `3x`?"));
    assert!(syntax_help("3m30s").contains("`210s`"));
    assert!(syntax_help("1h30m").contains("`5400s`"));
    assert!(syntax_help("10mx").contains("a quantity is a number and one unit"));
}
