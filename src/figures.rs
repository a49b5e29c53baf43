//! Numbers as text: the one place a figure becomes words, for every output
//! (findings, `archc estimate`, `archc simulate`, generated files' comments,
//! diagrams). Each function takes a [`Style`]; the same value in the same
//! style reads the same everywhere. `docs/figures.md` is the user-facing
//! account of these decisions.
//!
//! # Styles
//!
//! | style | for | percent | rate | size | duration |
//! |---|---|---|---|---|---|
//! | [`Style::Written`] | echoing a value from the design | `95%`, `99.95%` | `800/s` | `2GB`, `1.5KB` | `250ms`, `10m`, `3y` |
//! | [`Style::Compact`] | diagram labels; a finding's percentages and counts (RULES.md: whole percent) | `65%`, `13%` | `41.7/s`, `6944/s`, `13.9k/s` | `2GB`, `6.6TB` | `14.2ms`, `90s`, `24h` |
//! | [`Style::Precise`] | a finding's rates, sizes and latencies; generated files' comments | `65.1%`, `70.0%` | `4166.7/s` | `8.0GB`, `512B` | `33.0ms`, `12.3s` |
//! | [`Style::Report`] | the tables and summaries of `estimate` and `simulate` | `65.1%`, `70%`, `0.12%` | `8,301/s`, `41.7/s` | `12.6GB`, `272TB` | `850us`, `14.2ms`, `13.3s`, `12.5m` |
//!
//! - **Written** is how a person writes the value in a `.arch` file, so a
//!   figure quoted back can be pasted into a design: no trailing zeros, at
//!   most four decimals, the language's own units (`us`, `m` for minutes,
//!   `y`): from a second up the largest in which the value is whole
//!   (`90s`, `10m`, `3y`).
//!
//! Rules pin their styles in `rules/figures.rs`, backends in
//! `backends/view.rs`; the estimator, simulator and diagrams name theirs at
//! each call.
//! - **Compact** uses the fewest characters that still say the figure:
//!   whole percent; below 100 one decimal, from 100 whole numbers, from
//!   10,000 the language's magnitudes `k`, `M`, `G` with one decimal.
//! - **Precise** shows exactly one decimal, so figures in a message or a
//!   comment can be compared digit by digit with each other.
//! - **Report** shows three significant digits, never fewer than the
//!   integer part has, trailing zeros trimmed, thousands grouped with
//!   commas: as much as a table can use, no false precision.
//!
//! # Rules every style keeps
//!
//! - **Rounding never says 0 or 100% of something that is not.** A nonzero
//!   value that would round to zero shows two significant digits instead
//!   (`0.004` → `0.4%` in every style; `1e-9` → `0.0000001%`), and a
//!   percentage that would round to exactly 100% but is not shows two
//!   significant digits of its distance from 100% (`0.99995` → `99.995%`).
//! - Halves round away from zero (`12.5%` → `13%`), after removing binary
//!   representation noise (`0.7 × 100` is 70, not 70.00000000000001).
//! - Magnitudes below 10⁻¹² of the unit shown are zero: they are rounding
//!   noise of the queueing formulas, as in the JSON output. Measured and
//!   computed durations resolve to the microsecond, the simulator's clock
//!   tick: under half of one they print as `0s` (`0.0ms` in Precise); a
//!   Written duration is shown as written, however small.
//! - Negative values (differences, savings) carry a leading `-`; a value
//!   that prints as zero never does.
//! - Infinite values print as `unbounded` (an overloaded queue's wait, a
//!   load with no steady state) and NaN as `unknown`: never `inf` or `NaN`.
//!
//! Availabilities are written as nines by [`availability`] and compared
//! with an objective by [`availability_pair`], whatever the style.

/// What a figure is written for; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// As the design writes it: `95%`, `250ms`, `2GB`, `40/day`.
    Written,
    /// The fewest characters: `65%`, `13.9k/s`, `1.8M`.
    Compact,
    /// Exactly one decimal: `65.1%`, `4166.7/s`, `8.0GB`, `33.0ms`.
    Precise,
    /// Three significant digits, thousands grouped: `8,301/s`, `14.2ms`.
    Report,
}

/// An infinite figure: an overloaded queue, a load with no steady state.
pub const UNBOUNDED: &str = "unbounded";

/// A figure that could not be computed (NaN).
pub const UNKNOWN: &str = "unknown";

/// Below this, a magnitude in the unit shown is noise, not information.
const NOISE: f64 = 1e-12;

/// Below this many seconds a duration not in [`Style::Written`] prints as
/// zero: half a microsecond.
const MICROSECOND_HALF: f64 = 0.5e-6;

/// At most this many decimals in an availability (ten nines after the
/// point); beyond, it prints as more than that.
const MAX_NINES_DECIMALS: usize = 10;

// ─── Quantities ──────────────────────────────────────────────────────────

/// A bare number: `4166.7` (Precise), `4,167` (Report), `4167` (Compact).
pub fn number(x: f64, style: Style) -> String {
    with_sign(x, |m| number_body(m, style))
}

/// A fraction as a percentage: `0.651` → `65%` (Compact), `65.1%`
/// (Precise, Report); `0.004` → `0.4%` in every style.
pub fn percent(x: f64, style: Style) -> String {
    if let Some(word) = non_finite(x) {
        return word.into();
    }
    with_sign(x * 100.0, |p| format!("{}%", percent_body(p, style)))
}

/// Two fractions compared in one finding, as whole percentages unless
/// rounding would make different values read the same (`25.4%` against
/// `25.0%`): then both get the same number of decimals, as few as tell
/// them apart.
pub fn percent_pair(a: f64, b: f64) -> (String, String) {
    let (sa, sb) = (percent(a, Style::Compact), percent(b, Style::Compact));
    if sa != sb || a == b || !a.is_finite() || !b.is_finite() {
        return (sa, sb);
    }
    for decimals in 1..=6 {
        let (pa, pb) = (
            with_sign(a * 100.0, |p| fixed(snap(p), decimals)),
            with_sign(b * 100.0, |p| fixed(snap(p), decimals)),
        );
        if pa != pb {
            return (format!("{pa}%"), format!("{pb}%"));
        }
    }
    (sa, sb)
}

/// Requests, messages or operations per second: `4166.7/s` (Precise),
/// `4,167/s` (Report), `4167/s` (Compact), `800/s` (Written).
pub fn rate(x: f64, style: Style) -> String {
    per(x, style, "/s")
}

/// Something per day, such as requests per user: `40/day`.
pub fn per_day(x: f64, style: Style) -> String {
    per(x, style, "/day")
}

/// A multiplier: `3x`, `1.5x`.
pub fn multiplier(x: f64, style: Style) -> String {
    per(x, style, "x")
}

/// A count of things, which are whole: `950`, `29.8k`, `1.8M` (Compact),
/// `10,000,000` (Report), `1800000` (Precise).
pub fn count(x: f64, style: Style) -> String {
    with_sign(x, |m| match style {
        Style::Written => written(m),
        Style::Compact => compact(m, true),
        Style::Precise => whole_or_tiny(m),
        Style::Report => group(&whole_or_tiny(m)),
    })
}

/// An exact count (requests, events, errors), grouped: `1,000,000`.
pub fn tally(n: u64) -> String {
    group(&n.to_string())
}

/// A size in the language's decimal units, B to TB, in the largest unit
/// that keeps the number at least 1: `8.0GB` (Precise), `12.6GB` (Report),
/// `2GB` (Compact, Written).
pub fn size(bytes: f64, style: Style) -> String {
    with_sign(bytes, |m| size_body(m, style))
}

/// A size per second, such as egress: `131.9MB/s`.
pub fn size_per_second(bytes: f64, style: Style) -> String {
    if let Some(word) = non_finite(bytes) {
        return word.into();
    }
    format!("{}/s", size(bytes, style))
}

/// A duration given in seconds: `33.0ms` (Precise), `850us`, `14.2ms`,
/// `13.3s` (Report), `250ms`, `10m`, `3y` (Written).
pub fn duration(seconds: f64, style: Style) -> String {
    with_sign(seconds, |m| duration_body(m, style))
}

/// An amount of money in US dollars: `$1,234.50` (Precise), `$1,235`
/// (Report), `$1235` (Compact), `$500` (Written).
pub fn money(usd: f64, style: Style) -> String {
    with_sign(usd, |m| {
        let body = match style {
            Style::Written => written(m),
            Style::Compact => compact(m, false),
            Style::Precise => group(&decimals_or_tiny(m, 2)),
            Style::Report => report(m),
        };
        format!("${body}")
    })
}

// ─── Availability ────────────────────────────────────────────────────────

/// An availability as nines: at least two decimals, and as many more as it
/// takes not to read as 100% (`99.90%`, `99.99%`, `99.995%`,
/// `99.99998%`). Exactly 1 is `100%`; more than ten nines after the point
/// print as `>99.9999999999%`.
pub fn availability(a: f64) -> String {
    if !a.is_finite() {
        return UNKNOWN.into();
    }
    if a == 1.0 {
        return "100%".into();
    }
    match nines_decimals(a) {
        Some(d) => format!("{}%", nines(a, d)),
        None => format!(">99.{}%", "9".repeat(MAX_NINES_DECIMALS)),
    }
}

/// An availability against its objective: each as [`availability`]
/// writes it when that shows the gap (`99.99%` against `99.995%`, `99.80%`
/// against `99.90%`); when the two would read the same, or in the wrong
/// order, both get the same number of decimals, the fewest that tell them
/// apart (`99.949%` against `99.950%`).
pub fn availability_pair(a: f64, objective: f64) -> (String, String) {
    let (sa, sb) = (availability(a), availability(objective));
    if !a.is_finite() || !objective.is_finite() || a == objective {
        return (sa, sb);
    }
    let (va, vb) = (
        value_of(sa.trim_end_matches('%')),
        value_of(sb.trim_end_matches('%')),
    );
    if va != vb && (va < vb) == (a < objective) && !sa.starts_with('>') && !sb.starts_with('>') {
        return (sa, sb);
    }
    let (Some(da), Some(db)) = (nines_decimals(a), nines_decimals(objective)) else {
        return (availability(a), availability(objective));
    };
    let show = |x: f64, d: usize| {
        if x == 1.0 {
            "100%".to_string()
        } else {
            format!("{}%", nines(x, d))
        }
    };
    for d in da.max(db)..=MAX_NINES_DECIMALS {
        let (sa, sb) = (nines(a, d), nines(objective, d));
        if value_of(&sa) != value_of(&sb) || (a == 1.0) != (objective == 1.0) {
            return (show(a, d), show(objective, d));
        }
    }
    (sa, sb)
}

/// The decimals an availability needs not to read as 100%: `None` when
/// even [`MAX_NINES_DECIMALS`] are not enough.
fn nines_decimals(a: f64) -> Option<usize> {
    if a == 1.0 {
        return Some(2);
    }
    (2..=MAX_NINES_DECIMALS).find(|&d| value_of(&nines(a, d)).abs() != 100.0)
}

fn nines(a: f64, decimals: usize) -> String {
    with_sign(a * 100.0, |p| fixed(p, decimals))
}

// ─── Bodies of each figure, for a magnitude ≥ 0 ──────────────────────────

fn number_body(m: f64, style: Style) -> String {
    match style {
        Style::Written => written(m),
        Style::Compact => compact(m, false),
        Style::Precise => decimals_or_tiny(m, 1),
        Style::Report => report(m),
    }
}

fn percent_body(p: f64, style: Style) -> String {
    let p = snap(p);
    if p < NOISE {
        return if style == Style::Precise { "0.0" } else { "0" }.into();
    }
    let shown = match style {
        Style::Written => return written(p),
        Style::Compact => fixed(p, 0),
        Style::Precise => fixed(p, 1),
        Style::Report => trim(&significant(p, 3)),
    };
    let v = value_of(&shown);
    if v == 0.0 {
        tiny(p)
    } else if v == 100.0 && p != 100.0 {
        // Two significant digits of the distance from 100%.
        let distance = (p - 100.0).abs();
        let decimals = (1 - distance.log10().floor() as i64).max(1) as usize;
        trim(&fixed(p, decimals))
    } else if style == Style::Report {
        group(&shown)
    } else {
        shown
    }
}

fn per(x: f64, style: Style, unit: &str) -> String {
    if let Some(word) = non_finite(x) {
        return word.into();
    }
    format!("{}{unit}", number(x, style))
}

/// The language's size units, smallest first.
const SIZE_UNITS: [(f64, &str); 5] = [
    (1.0, "B"),
    (1e3, "KB"),
    (1e6, "MB"),
    (1e9, "GB"),
    (1e12, "TB"),
];

fn size_body(m: f64, style: Style) -> String {
    for (i, &(scale, unit)) in SIZE_UNITS.iter().enumerate().rev() {
        let v = m / scale;
        if i == 0 {
            let shown = match style {
                Style::Written => written(v),
                Style::Compact => compact(v, true),
                Style::Precise => whole_or_tiny(v),
                Style::Report => group(&whole_or_tiny(v)),
            };
            return format!("{shown}{unit}");
        }
        // Written picks the unit by the exact value, so the number stays
        // exact; the others by the value as shown, so 999.96MB rounds up
        // to 1.0GB rather than reading 1000.0MB.
        let shown = match style {
            Style::Written if v >= 1.0 => written(v),
            Style::Written => continue,
            Style::Compact => compact_unit(v),
            Style::Precise => decimals_or_tiny(v, 1),
            Style::Report => report(v),
        };
        if value_of(&shown) >= 1.0 {
            return format!("{shown}{unit}");
        }
    }
    "0B".into()
}

fn duration_body(m: f64, style: Style) -> String {
    if m < NOISE || (m < MICROSECOND_HALF && style != Style::Written) {
        return if style == Style::Precise {
            "0.0ms"
        } else {
            "0s"
        }
        .into();
    }
    match style {
        Style::Written => written_duration(m),
        // Latencies in milliseconds up to 10 s, so that the figures of one
        // message (a mean against a target) share a unit.
        Style::Precise if m < 10.0 => format!("{}ms", decimals_or_tiny(m * 1e3, 1)),
        Style::Precise => format!("{}s", decimals_or_tiny(m, 1)),
        // Each unit from one of it, or from ten of it for minutes and up
        // so that `599s` does not become `9.98m`.
        Style::Compact | Style::Report => {
            let units: [(f64, &str, f64); 6] = [
                (86_400.0, "d", 10.0),
                (3600.0, "h", 10.0),
                (60.0, "m", 10.0),
                (1.0, "s", 1.0),
                (1e-3, "ms", 1.0),
                (1e-6, "us", 0.0),
            ];
            for (scale, unit, least) in units {
                let shown = if style == Style::Compact {
                    compact_unit(m / scale)
                } else {
                    report(m / scale)
                };
                if value_of(&shown) >= least {
                    return format!("{shown}{unit}");
                }
            }
            "0s".into()
        }
    }
}

/// Seconds in the unit a person would write: `250ms`, `30s`, `2m`, `1h`,
/// `1d`, `3y`; sub-millisecond figures in `us`.
fn written_duration(s: f64) -> String {
    const YEAR: f64 = 365.0 * 86_400.0;
    if s < 1e-3 {
        format!("{}us", written(s * 1e6))
    } else if s < 1.0 {
        format!("{}ms", written(s * 1e3))
    } else if s < 60.0 || (s % 60.0 != 0.0 && s < 3600.0) {
        format!("{}s", written(s))
    } else if s < 3600.0 || s % 3600.0 != 0.0 {
        format!("{}m", written(s / 60.0))
    } else if s < 86_400.0 || s % 86_400.0 != 0.0 {
        format!("{}h", written(s / 3600.0))
    } else if s % YEAR == 0.0 {
        format!("{}y", written(s / YEAR))
    } else {
        format!("{}d", written(s / 86_400.0))
    }
}

// ─── The number styles ───────────────────────────────────────────────────

/// As a design writes it: whole numbers exactly, else at most four
/// decimals without trailing zeros; a value too small for four decimals
/// keeps six significant digits rather than reading 0.
fn written(m: f64) -> String {
    if m.fract() == 0.0 && m < 1e15 {
        return format!("{}", m as i64);
    }
    let s = trim(&format!("{m:.4}"));
    if value_of(&s) == 0.0 && m >= NOISE {
        trim(&significant(m, 6))
    } else {
        s
    }
}

/// Below 100 one decimal, trailing zero trimmed; from 100 whole; from
/// 10,000 `k`, `M`, `G` with one decimal. `integer` rounds below 100 too
/// (things counted are whole).
fn compact(m: f64, integer: bool) -> String {
    if m < NOISE {
        return "0".into();
    }
    let whole = fixed(m, 0);
    let w = value_of(&whole);
    if w >= 10_000.0 {
        return magnitude(m);
    }
    let shown = if w >= 100.0 || integer {
        whole
    } else {
        trim(&fixed(m, 1))
    };
    if value_of(&shown) == 0.0 {
        tiny(m)
    } else {
        shown
    }
}

/// [`compact`] for a figure that already has a unit (`TB`, `d`), which
/// takes no magnitude: from 10,000 whole and grouped.
fn compact_unit(v: f64) -> String {
    let whole = fixed(v, 0);
    if value_of(&whole) >= 10_000.0 {
        group(&whole)
    } else {
        compact(v, false)
    }
}

/// From 10,000: `13.9k`, `180k`, `1.8M`, `2G`; past `G`, grouped `G`s.
fn magnitude(m: f64) -> String {
    const UNITS: [(f64, &str); 3] = [(1e3, "k"), (1e6, "M"), (1e9, "G")];
    let mut out = String::new();
    for (scale, suffix) in UNITS {
        let s = trim(&fixed(m / scale, 1));
        out = format!("{}{suffix}", group(&s));
        if value_of(&s) < 1000.0 {
            break;
        }
    }
    out
}

/// Three significant digits, never fewer than the integer part, trimmed
/// and grouped.
fn report(m: f64) -> String {
    if m < NOISE {
        return "0".into();
    }
    group(&trim(&significant(m, 3)))
}

/// `decimals` places; a nonzero value that would show as zero keeps two
/// significant digits.
fn decimals_or_tiny(m: f64, decimals: usize) -> String {
    if m < NOISE {
        return fixed(0.0, decimals);
    }
    let s = fixed(m, decimals);
    if value_of(&s) == 0.0 { tiny(m) } else { s }
}

fn whole_or_tiny(m: f64) -> String {
    decimals_or_tiny(m, 0)
}

/// Two significant digits, trailing zeros trimmed.
fn tiny(m: f64) -> String {
    trim(&significant(m, 2))
}

// ─── Digits ──────────────────────────────────────────────────────────────

fn non_finite(x: f64) -> Option<&'static str> {
    if x.is_nan() {
        Some(UNKNOWN)
    } else if x.is_infinite() {
        Some(UNBOUNDED)
    } else {
        None
    }
}

/// Formats `|x|` with `body`, then puts back a minus sign unless the text
/// shows zero. Non-finite values become words.
fn with_sign(x: f64, body: impl Fn(f64) -> String) -> String {
    if let Some(word) = non_finite(x) {
        return word.into();
    }
    let s = body(x.abs());
    if x < 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        format!("-{s}")
    } else {
        s
    }
}

/// Removes binary representation noise by keeping 13 significant digits:
/// `0.7 * 100.0` is 70.00000000000001, which should round as 70.
fn snap(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.12e}").parse().unwrap_or(x)
}

/// `m ≥ 0` at `decimals` places, halves away from zero. The digits come
/// from the rounded integer, so no second rounding happens in formatting.
fn fixed(m: f64, decimals: usize) -> String {
    let scaled = snap(m * 10f64.powi(decimals as i32));
    if !scaled.is_finite() {
        return format!("{m:.decimals$}");
    }
    let digits = integer_digits(scaled.round());
    if decimals == 0 {
        return digits;
    }
    let digits = if digits.len() <= decimals {
        format!("{}{digits}", "0".repeat(decimals + 1 - digits.len()))
    } else {
        digits
    };
    let (int, frac) = digits.split_at(digits.len() - decimals);
    format!("{int}.{frac}")
}

/// A whole `y ≥ 0` in decimal digits. Past 10¹⁵ a double has no more
/// exact digits, and printing its exact binary value would show noise
/// (`99999999999999991611392` for 10²³): the first 15 digits are kept and
/// the rest are zeros.
fn integer_digits(y: f64) -> String {
    if y < 1e15 {
        return format!("{y:.0}");
    }
    let sci = format!("{y:.14e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return format!("{y:.0}");
    };
    let exp: usize = exp.parse().unwrap_or(14);
    let digits = mantissa.replace('.', "");
    format!("{digits}{}", "0".repeat(exp.saturating_sub(14)))
}

/// `m > 0` with `digits` significant digits, but never rounding the
/// integer part: `13888.9` with three is `13889`.
fn significant(m: f64, digits: i64) -> String {
    let magnitude = snap(m).log10().floor() as i64;
    let decimals = (digits - 1 - magnitude).clamp(0, 40) as usize;
    fixed(m, decimals)
}

/// Trailing zeros after the point, and a bare point, removed.
fn trim(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Commas between thousands of the integer part: `13888.9` → `13,888.9`.
fn group(s: &str) -> String {
    let (int, rest) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out.push_str(rest);
    out
}

/// The value a figure's text shows, for comparing what two figures read as.
fn value_of(s: &str) -> f64 {
    s.trim_start_matches('-')
        .replace(',', "")
        .parse::<f64>()
        .unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::Style::{Compact, Precise, Report, Written};
    use super::*;

    const STYLES: [Style; 4] = [Written, Compact, Precise, Report];

    #[test]
    fn percent_in_each_style() {
        // 0, tiny, ordinary, halves, exactly 100%, just under and over.
        let cases: [(f64, [&str; 4]); 11] = [
            (0.0, ["0%", "0%", "0.0%", "0%"]),
            (0.004, ["0.4%", "0.4%", "0.4%", "0.4%"]),
            (0.0045, ["0.45%", "0.45%", "0.5%", "0.45%"]),
            (0.0012, ["0.12%", "0.12%", "0.1%", "0.12%"]),
            (
                1e-9,
                ["0.0000001%", "0.0000001%", "0.0000001%", "0.0000001%"],
            ),
            (0.125, ["12.5%", "13%", "12.5%", "12.5%"]),
            (0.651, ["65.1%", "65%", "65.1%", "65.1%"]),
            (0.7, ["70%", "70%", "70.0%", "70%"]),
            (1.0, ["100%", "100%", "100.0%", "100%"]),
            (0.99995, ["99.995%", "99.995%", "99.995%", "99.995%"]),
            (1.004, ["100.4%", "100.4%", "100.4%", "100.4%"]),
        ];
        for (x, want) in cases {
            for (style, want) in STYLES.iter().zip(want) {
                assert_eq!(percent(x, *style), want, "{x} in {style:?}");
            }
        }
    }

    #[test]
    fn percent_extremes_and_signs() {
        assert_eq!(percent(1e13, Report), "1,000,000,000,000,000%");
        assert_eq!(percent(1e13, Compact), "1000000000000000%");
        assert_eq!(percent(-0.004, Compact), "-0.4%");
        assert_eq!(percent(-0.25, Precise), "-25.0%");
        // Negative zero and noise read as zero, without a sign.
        assert_eq!(percent(-0.0, Compact), "0%");
        assert_eq!(percent(1e-16, Compact), "0%");
        assert_eq!(percent(f64::NAN, Report), "unknown");
        assert_eq!(percent(f64::INFINITY, Compact), "unbounded");
        assert_eq!(percent(f64::NEG_INFINITY, Precise), "unbounded");
        // Halves round up, as people round: the formatter alone would make
        // 12.5 into 12 and 0.45 into 0.4.
        assert_eq!(percent(8.0 / 9.0, Compact), "89%");
        assert_eq!(percent(1.0 / 9.0, Compact), "11%");
        assert_eq!(percent(0.875, Compact), "88%");
        assert_eq!(percent(0.996, Compact), "99.6%");
        assert_eq!(percent(0.9996, Precise), "99.96%");
    }

    #[test]
    fn pairs_add_decimals_only_when_needed() {
        assert_eq!(percent_pair(0.30, 0.25), ("30%".into(), "25%".into()));
        assert_eq!(percent_pair(0.254, 0.25), ("25.4%".into(), "25.0%".into()));
        assert_eq!(percent_pair(0.72, 0.7), ("72%".into(), "70%".into()));
        assert_eq!(percent_pair(0.5, 0.5), ("50%".into(), "50%".into()));
        assert_eq!(percent_pair(0.004, 0.0041), ("0.4%".into(), "0.41%".into()));
        assert_eq!(
            percent_pair(f64::INFINITY, 0.5),
            ("unbounded".into(), "50%".into())
        );
    }

    #[test]
    fn availability_as_nines() {
        assert_eq!(availability(0.999), "99.90%");
        assert_eq!(availability(0.9999), "99.99%");
        assert_eq!(availability(0.99995), "99.995%");
        assert_eq!(availability(0.99949), "99.95%");
        assert_eq!(availability(0.9999998), "99.99998%");
        assert_eq!(availability(1.0 - 1e-9), "99.9999999%");
        assert_eq!(availability(1.0 - 1e-15), ">99.9999999999%");
        assert_eq!(availability(1.0), "100%");
        assert_eq!(availability(0.0), "0.00%");
        assert_eq!(availability(0.5), "50.00%");
        assert_eq!(availability(-0.1), "-10.00%");
        assert_eq!(availability(f64::NAN), "unknown");
        assert_eq!(availability(f64::INFINITY), "unknown");
    }

    #[test]
    fn availability_against_an_objective() {
        let pair = |a, b| availability_pair(a, b);
        assert_eq!(pair(0.999, 0.9995), ("99.90%".into(), "99.95%".into()));
        assert_eq!(pair(0.99949, 0.9995), ("99.949%".into(), "99.950%".into()));
        assert_eq!(pair(0.998, 0.999), ("99.80%".into(), "99.90%".into()));
        assert_eq!(
            pair(0.99989999, 0.9999),
            ("99.989999%".into(), "99.990000%".into())
        );
        assert_eq!(pair(0.9999, 0.99995), ("99.99%".into(), "99.995%".into()));
        assert_eq!(
            pair(0.9999998, 0.999),
            ("99.99998%".into(), "99.90%".into())
        );
        assert_eq!(
            pair(0.998999, 0.999),
            ("99.8999%".into(), "99.9000%".into())
        );
        // On their own both would read 99.99%.
        assert_eq!(
            pair(0.99985, 0.999899),
            ("99.985%".into(), "99.990%".into())
        );
        assert_eq!(pair(1.0, 0.9995), ("100%".into(), "99.95%".into()));
        assert_eq!(pair(0.999, 0.999), ("99.90%".into(), "99.90%".into()));
        assert_eq!(pair(f64::NAN, 0.999), ("unknown".into(), "99.90%".into()));
    }

    #[test]
    fn rates_in_each_style() {
        let cases: [(f64, [&str; 4]); 10] = [
            (0.0, ["0/s", "0/s", "0.0/s", "0/s"]),
            (0.004, ["0.004/s", "0.004/s", "0.004/s", "0.004/s"]),
            (
                1e-9,
                [
                    "0.000000001/s",
                    "0.000000001/s",
                    "0.000000001/s",
                    "0.000000001/s",
                ],
            ),
            (0.35, ["0.35/s", "0.4/s", "0.4/s", "0.35/s"]),
            (41.66666, ["41.6667/s", "41.7/s", "41.7/s", "41.7/s"]),
            (800.0, ["800/s", "800/s", "800.0/s", "800/s"]),
            (4166.666, ["4166.666/s", "4167/s", "4166.7/s", "4,167/s"]),
            (8301.2, ["8301.2/s", "8301/s", "8301.2/s", "8,301/s"]),
            (13_888.9, ["13888.9/s", "13.9k/s", "13888.9/s", "13,889/s"]),
            (
                1e15,
                [
                    "1000000000000000/s",
                    "1,000,000G/s",
                    "1000000000000000.0/s",
                    "1,000,000,000,000,000/s",
                ],
            ),
        ];
        for (x, want) in cases {
            for (style, want) in STYLES.iter().zip(want) {
                assert_eq!(rate(x, *style), want, "{x} in {style:?}");
            }
        }
        assert_eq!(rate(-50.0, Precise), "-50.0/s");
        assert_eq!(rate(f64::INFINITY, Report), "unbounded");
        assert_eq!(rate(f64::NAN, Compact), "unknown");
        assert_eq!(rate(999_960.0, Compact), "1M/s");
        assert_eq!(rate(20_000.0, Compact), "20k/s");
    }

    #[test]
    fn numbers_counts_and_tallies() {
        assert_eq!(number(2.0, Written), "2");
        assert_eq!(number(1.5, Written), "1.5");
        assert_eq!(number(99.95, Written), "99.95");
        assert_eq!(number(0.00001, Written), "0.00001");
        assert_eq!(number(1e15, Written), "1000000000000000");
        assert_eq!(number(5.0, Precise), "5.0");
        assert_eq!(number(0.625, Report), "0.625");
        assert_eq!(number(12.345, Report), "12.3");
        assert_eq!(count(950.0, Compact), "950");
        assert_eq!(count(29_800.0, Compact), "29.8k");
        assert_eq!(count(2_000_000.0, Compact), "2M");
        assert_eq!(count(1_800_000.0, Compact), "1.8M");
        assert_eq!(count(180_000.0, Compact), "180k");
        assert_eq!(count(2e9, Compact), "2G");
        assert_eq!(count(29.7, Compact), "30");
        assert_eq!(count(0.0, Compact), "0");
        assert_eq!(count(0.004, Compact), "0.004");
        assert_eq!(count(1e7, Report), "10,000,000");
        assert_eq!(count(1.8e6, Precise), "1800000");
        assert_eq!(count(1e15, Report), "1,000,000,000,000,000");
        assert_eq!(count(-3.0, Report), "-3");
        assert_eq!(count(f64::INFINITY, Compact), "unbounded");
        assert_eq!(tally(0), "0");
        assert_eq!(tally(999), "999");
        assert_eq!(tally(1_000_000), "1,000,000");
        assert_eq!(tally(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(multiplier(3.0, Written), "3x");
        assert_eq!(multiplier(1.5, Written), "1.5x");
        assert_eq!(per_day(40.0, Written), "40/day");
    }

    #[test]
    fn sizes_in_each_style() {
        let cases: [(f64, [&str; 4]); 10] = [
            (0.0, ["0B", "0B", "0B", "0B"]),
            (0.004, ["0.004B", "0.004B", "0.004B", "0.004B"]),
            (512.0, ["512B", "512B", "512B", "512B"]),
            (1500.0, ["1.5KB", "1.5KB", "1.5KB", "1.5KB"]),
            (2e9, ["2GB", "2GB", "2.0GB", "2GB"]),
            (60e6, ["60MB", "60MB", "60.0MB", "60MB"]),
            (999.96e6, ["999.96MB", "1GB", "1.0GB", "1GB"]),
            (6.5975e12, ["6.5975TB", "6.6TB", "6.6TB", "6.6TB"]),
            (1e15, ["1000TB", "1000TB", "1000.0TB", "1,000TB"]),
            (1e17, ["100000TB", "100,000TB", "100000.0TB", "100,000TB"]),
        ];
        for (x, want) in cases {
            for (style, want) in STYLES.iter().zip(want) {
                assert_eq!(size(x, *style), want, "{x} in {style:?}");
            }
        }
        assert_eq!(size(271.6e12, Report), "272TB");
        assert_eq!(size(12.6e9, Report), "12.6GB");
        assert_eq!(size(1.0e3, Precise), "1.0KB");
        assert_eq!(size(1.6e9, Precise), "1.6GB");
        assert_eq!(size(-2e9, Precise), "-2.0GB");
        assert_eq!(size(f64::NAN, Report), "unknown");
        assert_eq!(size_per_second(131.9e6, Precise), "131.9MB/s");
        assert_eq!(size_per_second(f64::INFINITY, Precise), "unbounded");
    }

    #[test]
    fn durations_in_each_style() {
        let cases: [(f64, [&str; 4]); 14] = [
            (0.0, ["0s", "0s", "0.0ms", "0s"]),
            (1e-9, ["0.001us", "0s", "0.0ms", "0s"]),
            (4e-7, ["0.4us", "0s", "0.0ms", "0s"]),
            (6e-7, ["0.6us", "0.6us", "0.0006ms", "0.6us"]),
            (0.00085, ["850us", "850us", "0.9ms", "850us"]),
            (0.0142, ["14.2ms", "14.2ms", "14.2ms", "14.2ms"]),
            (0.25, ["250ms", "250ms", "250.0ms", "250ms"]),
            (0.2605, ["260.5ms", "261ms", "260.5ms", "261ms"]),
            (13.34, ["13.34s", "13.3s", "13.3s", "13.3s"]),
            (90.0, ["90s", "90s", "90.0s", "90s"]),
            (600.0, ["10m", "10m", "600.0s", "10m"]),
            (5400.0, ["90m", "90m", "5400.0s", "90m"]),
            (86_400.0, ["1d", "24h", "86400.0s", "24h"]),
            (
                3.0 * 365.0 * 86_400.0,
                ["3y", "1095d", "94608000.0s", "1,095d"],
            ),
        ];
        for (x, want) in cases {
            for (style, want) in STYLES.iter().zip(want) {
                assert_eq!(duration(x, *style), want, "{x} in {style:?}");
            }
        }
        assert_eq!(duration(0.0005, Written), "500us");
        assert_eq!(duration(0.0005, Precise), "0.5ms");
        assert_eq!(duration(0.2, Written), "200ms");
        assert_eq!(duration(30.0, Written), "30s");
        assert_eq!(duration(120.0, Written), "2m");
        assert_eq!(duration(3600.0, Written), "1h");
        assert_eq!(duration(0.9999996, Report), "1s");
        assert_eq!(duration(599.0, Report), "599s");
        assert_eq!(duration(1e15, Report), "11,574,074,074d");
        assert_eq!(duration(1e15, Compact), "11,574,074,074d");
        assert_eq!(duration(1e-30, Report), "0s");
        assert_eq!(duration(1e-30, Written), "0s");
        assert_eq!(duration(-2.0, Written), "-2s");
        assert_eq!(duration(f64::INFINITY, Report), "unbounded");
        assert_eq!(duration(f64::NAN, Precise), "unknown");
    }

    #[test]
    fn money_in_each_style() {
        let cases: [(f64, [&str; 4]); 6] = [
            (0.0, ["$0", "$0", "$0.00", "$0"]),
            (0.004, ["$0.004", "$0.004", "$0.004", "$0.004"]),
            (12.5, ["$12.5", "$12.5", "$12.50", "$12.5"]),
            (1234.5, ["$1234.5", "$1235", "$1,234.50", "$1,235"]),
            (25_000.0, ["$25000", "$25k", "$25,000.00", "$25,000"]),
            (
                1e15,
                [
                    "$1000000000000000",
                    "$1,000,000G",
                    "$1,000,000,000,000,000.00",
                    "$1,000,000,000,000,000",
                ],
            ),
        ];
        for (x, want) in cases {
            for (style, want) in STYLES.iter().zip(want) {
                assert_eq!(money(x, *style), want, "{x} in {style:?}");
            }
        }
        assert_eq!(money(-12.5, Precise), "-$12.50");
        assert_eq!(money(f64::INFINITY, Report), "unbounded");
    }

    #[test]
    fn digits_helpers() {
        assert_eq!(fixed(0.44999999999999996, 1), "0.5");
        assert_eq!(fixed(2.5, 0), "3");
        assert_eq!(fixed(0.0, 2), "0.00");
        assert_eq!(fixed(1e-7, 8), "0.00000010");
        assert_eq!(fixed(1e23, 0), "100000000000000000000000");
        assert_eq!(fixed(1e15, 2), "1000000000000000.00");
        assert_eq!(group("13888.9"), "13,888.9");
        assert_eq!(group("100"), "100");
        assert_eq!(group("1000000G"), "1,000,000G");
        assert_eq!(trim("70.0"), "70");
        assert_eq!(trim("100"), "100");
    }

    proptest::proptest! {
        /// Whatever the value, the text is a number people read: no `inf`,
        /// `NaN` or exponent, and a nonzero share never reads as 0% nor a
        /// share other than 1 as 100%.
        #[test]
        fn figures_are_always_readable(mantissa in -10.0f64..10.0, exp in -11i32..16) {
            let x = mantissa * 10f64.powi(exp);
            for style in STYLES {
                for text in [
                    number(x, style), percent(x, style), rate(x, style),
                    count(x, style), size(x, style), duration(x, style),
                    money(x, style), availability(x),
                ] {
                    proptest::prop_assert!(
                        !text.contains("inf") && !text.contains("NaN") && !text.contains('e'),
                        "{x} in {style:?}: {text}"
                    );
                }
                let p = percent(x, style);
                if x.abs() * 100.0 >= NOISE {
                    proptest::prop_assert!(value_of(p.trim_end_matches('%')) != 0.0, "{x}: {p}");
                }
                // Within 13 significant digits of 100% is 100% (binary noise).
                if (x.abs() - 1.0).abs() > 1e-9 && style != Written {
                    proptest::prop_assert!(value_of(p.trim_end_matches('%')) != 100.0, "{x}: {p}");
                }
            }
        }
    }
}
