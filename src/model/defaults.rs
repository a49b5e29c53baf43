//! Default capacity and latency per kind (LANGUAGE.md §7), in one table that
//! the compiler, the estimator and `docs/defaults.md` share.

use super::Kind;

/// (capacity per instance per second — `None` is unlimited —, latency in
/// seconds) of a kind.
pub fn kind_defaults(kind: Kind) -> (Option<f64>, f64) {
    match kind {
        Kind::Lb => (Some(20_000.0), 0.001),
        Kind::Service => (Some(200.0), 0.020),
        Kind::Cache => (Some(50_000.0), 0.001),
        Kind::Database => (Some(2_000.0), 0.005),
        Kind::Queue => (Some(10_000.0), 0.002),
        Kind::Storage => (Some(5_000.0), 0.020),
        Kind::Cdn => (None, 0.005),
        Kind::Dns | Kind::Client => (None, 0.0),
    }
}

/// The table as Markdown rows, for documentation and `archc dump`.
pub const DEFAULTS_TABLE: &str = "\
| kind | capacity per instance | latency |
|---|---|---|
| `lb` | 20,000/s | 1ms |
| `service` | 200/s | 20ms |
| `cache` | 50,000/s | 1ms |
| `database` | 2,000/s | 5ms |
| `queue` | 10,000/s | 2ms |
| `storage` | 5,000/s | 20ms |
| `cdn` | unlimited | 5ms |
| `dns`, `client` | unlimited | 0 |
";
