//! Which [`crate::figures`] style a finding writes each kind of figure in,
//! so every rule's message reads the same (`docs/figures.md`):
//! percentages and counts compact (RULES.md: whole percent; `1.8M`), rates,
//! sizes and latencies precise (`4166.7/s`, `8.0GB`, `33.0ms`), values from
//! the design as written (`250ms`, `2x`).

use crate::figures::{self, Style};

/// A fraction as a whole percentage: `0.125` → `13%`, `0.004` → `0.4%`.
pub fn pct(x: f64) -> String {
    figures::percent(x, Style::Compact)
}

/// Two fractions compared in one message: see [`figures::percent_pair`].
pub fn pct_pair(a: f64, b: f64) -> (String, String) {
    figures::percent_pair(a, b)
}

/// An availability against its objective: see [`figures::availability_pair`].
pub fn availability_pair(a: f64, target: f64) -> (String, String) {
    figures::availability_pair(a, target)
}

/// Requests or messages per second, one decimal: `4166.7/s`.
pub fn rate(x: f64) -> String {
    figures::rate(x, Style::Precise)
}

/// A latency: milliseconds with one decimal below 10 s, else seconds.
pub fn ms(s: f64) -> String {
    figures::duration(s, Style::Precise)
}

/// A count in the language's magnitudes: `950`, `29.8k`, `1.2M`, `2G`.
pub fn count(x: f64) -> String {
    figures::count(x, Style::Compact)
}

/// Bytes in the language's decimal units, one decimal: `60.0MB`, `36.0GB`.
pub fn bytes(x: f64) -> String {
    figures::size(x, Style::Precise)
}

/// Seconds as a person writes them in a design: `250ms`, `2s`, `10m`, `1d`.
pub fn target_secs(s: f64) -> String {
    figures::duration(s, Style::Written)
}

/// A datacenter name for a finding: `None` in a design without datacenters.
pub fn dc_of(model: &crate::model::Model, dc: Option<usize>) -> Option<String> {
    if model.has_datacenters() {
        model.dc_name(dc).map(String::from)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_half_away_from_zero() {
        assert_eq!(pct(0.125), "13%");
        assert_eq!(pct(8.0 / 9.0), "89%");
        assert_eq!(pct(1.0 / 9.0), "11%");
        assert_eq!(pct(0.0), "0%");
    }

    #[test]
    fn pairs_add_decimals_only_when_needed() {
        assert_eq!(pct_pair(0.30, 0.25), ("30%".into(), "25%".into()));
        assert_eq!(pct_pair(0.254, 0.25), ("25.4%".into(), "25.0%".into()));
        assert_eq!(
            availability_pair(0.999, 0.9995),
            ("99.90%".into(), "99.95%".into())
        );
        assert_eq!(
            availability_pair(0.99949, 0.9995),
            ("99.949%".into(), "99.950%".into())
        );
    }

    #[test]
    fn small_shares_never_read_as_zero() {
        // One key's share of a database: two significant digits, trailing
        // zeros trimmed, where whole percent would say 0%.
        assert_eq!(pct(0.0006), "0.06%");
        assert_eq!(pct(0.0045), "0.45%");
        assert_eq!(pct(0.4), "40%");
    }

    #[test]
    fn counts_sizes_and_times() {
        assert_eq!(count(950.0), "950");
        assert_eq!(count(29_800.0), "29.8k");
        assert_eq!(count(2_000_000.0), "2M");
        assert_eq!(bytes(60e6), "60.0MB");
        assert_eq!(bytes(36e9), "36.0GB");
        assert_eq!(rate(4166.666), "4166.7/s");
        assert_eq!(ms(0.2605), "260.5ms");
        assert_eq!(target_secs(0.25), "250ms");
        assert_eq!(target_secs(2.0), "2s");
        assert_eq!(target_secs(86_400.0), "1d");
        assert_eq!(target_secs(600.0), "10m");
    }
}
