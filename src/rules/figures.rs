//! How rule messages write numbers (RULES.md: percentages rounded to whole
//! percent, rates with one decimal and `/s`), shared by the data, cache,
//! CDN and capacity rules so one figure reads the same everywhere.

/// A fraction as a whole percentage, rounded half away from zero:
/// `0.125` → `13%`.
pub fn pct(x: f64) -> String {
    format!("{}%", (x * 100.0).round())
}

/// Two fractions compared in one message, as whole percentages unless
/// rounding would make different values read the same (`25.4%` against
/// `25%`), in which case decimals are added until they differ.
pub fn pct_pair(a: f64, b: f64) -> (String, String) {
    for decimals in 0..=4 {
        let (sa, sb) = (
            format!("{:.*}%", decimals, round_to(a * 100.0, decimals)),
            format!("{:.*}%", decimals, round_to(b * 100.0, decimals)),
        );
        if sa != sb || a == b {
            return (sa, sb);
        }
    }
    (format!("{:.6}%", a * 100.0), format!("{:.6}%", b * 100.0))
}

/// A share that may be tiny, such as one key's share of a database: whole
/// percent from 1% up, else two significant digits (`0.06%`), so a small
/// share never reads as `0%`.
pub fn share(x: f64) -> String {
    let p = x * 100.0;
    if p >= 1.0 || p == 0.0 {
        return pct(x);
    }
    let digits = (1 - p.log10().floor() as i32).max(1) as usize;
    format!("{:.*}%", digits, p)
}

/// An availability against its objective: at least two decimals, more
/// until the two differ (`99.90%` against `99.95%`).
pub fn availability_pair(a: f64, target: f64) -> (String, String) {
    for decimals in 2..=6 {
        let (sa, sb) = (
            format!("{:.*}%", decimals, round_to(a * 100.0, decimals)),
            format!("{:.*}%", decimals, round_to(target * 100.0, decimals)),
        );
        if sa != sb || a == target {
            return (sa, sb);
        }
    }
    (
        format!("{:.8}%", a * 100.0),
        format!("{:.8}%", target * 100.0),
    )
}

/// Rounds half away from zero at `decimals` places (the formatter alone
/// rounds half to even, which would turn 12.5 into 12).
fn round_to(x: f64, decimals: usize) -> f64 {
    let m = 10f64.powi(decimals as i32);
    (x * m).round() / m
}

/// Requests or messages per second, one decimal: `4166.7/s`.
pub fn rate(x: f64) -> String {
    format!("{:.1}/s", round_to(x, 1))
}

/// A duration in milliseconds with one decimal below 10 s, else seconds.
pub fn ms(s: f64) -> String {
    if s < 10.0 {
        format!("{:.1}ms", round_to(s * 1000.0, 1))
    } else {
        format!("{:.1}s", round_to(s, 1))
    }
}

/// A count in the language's magnitudes: `950`, `29.8k`, `1.2M`, `2G`.
pub fn count(x: f64) -> String {
    let (v, suffix) = if x >= 1e9 {
        (x / 1e9, "G")
    } else if x >= 1e6 {
        (x / 1e6, "M")
    } else if x >= 1e4 {
        (x / 1e3, "k")
    } else {
        return format!("{}", x.round());
    };
    let s = format!("{:.1}", round_to(v, 1));
    format!("{}{suffix}", s.trim_end_matches(".0"))
}

/// Bytes in the language's decimal units: `60.0MB`, `36.0GB`.
pub fn bytes(x: f64) -> String {
    let (v, unit) = if x >= 1e12 {
        (x / 1e12, "TB")
    } else if x >= 1e9 {
        (x / 1e9, "GB")
    } else if x >= 1e6 {
        (x / 1e6, "MB")
    } else if x >= 1e3 {
        (x / 1e3, "KB")
    } else {
        return format!("{}B", x.round());
    };
    format!("{:.1}{unit}", round_to(v, 1))
}

/// Seconds as a person writes them in a design: `250ms`, `2s`, `10m`, `1d`.
pub fn target_secs(s: f64) -> String {
    let whole = |v: f64| (v - v.round()).abs() < 1e-9;
    let num = |v: f64| {
        if whole(v) {
            format!("{}", v.round())
        } else {
            format!("{v:.1}")
        }
    };
    if s < 1.0 {
        format!("{}ms", num(s * 1000.0))
    } else if s >= 86_400.0 && whole(s / 86_400.0) {
        format!("{}d", num(s / 86_400.0))
    } else if s >= 3600.0 && whole(s / 3600.0) {
        format!("{}h", num(s / 3600.0))
    } else if s >= 60.0 && whole(s / 60.0) {
        format!("{}m", num(s / 60.0))
    } else {
        format!("{}s", num(s))
    }
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
    fn small_shares_keep_two_significant_digits() {
        assert_eq!(share(0.0006), "0.060%");
        assert_eq!(share(0.0045), "0.45%");
        assert_eq!(share(0.4), "40%");
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
