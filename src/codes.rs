//! Compile-diagnostic codes: every name a compile error (or the one
//! compile warning, `invalid-suppression`) is reported under, in one enum.
//!
//! The list `archc rules`, `archc explain`, SARIF's rule index and
//! `docs/diagnostics.md` show is generated from [`Code::ALL`], so a code
//! cannot be reported without being documented. Lint rules are not here:
//! each declares its own name in its file (`rules/*.rs`).

use crate::diagnostic::{RuleInfo, Severity};

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $sev:ident, $summary:literal; )*) => {
        /// A compile-diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable name diagnostics carry (`unknown-attribute`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// The severity it is reported at.
            pub const fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$sev,)*
                }
            }

            /// One line: the change that removes it.
            pub const fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }

            /// The code with this name.
            pub fn from_name(name: &str) -> Option<Code> {
                match name {
                    $($name => Some(Code::$variant),)*
                    _ => None,
                }
            }
        }

        /// The codes as rule metadata, for SARIF and `archc explain`.
        pub static INFOS: &[RuleInfo] = &[$(info($name, Severity::$sev, $summary)),*];
    };
}

codes! {
    /// The text does not parse.
    Syntax = "syntax", Error, "fix the syntax at the marked place";
    /// A string holds an escape other than `\"`, `\\`, `\n`, `\t`.
    InvalidEscape = "invalid-escape", Error, "use one of the escapes \\\", \\\\, \\n, \\t";
    /// A block starts with a word that is no component kind.
    UnknownKind = "unknown-kind", Error, "use a component kind or `datacenter`";
    /// An attribute the block's kind does not take.
    UnknownAttribute = "unknown-attribute", Error, "use an attribute the kind takes";
    /// A value of the wrong type or unit.
    TypeMismatch = "type-mismatch", Error, "give a value of the expected type and unit";
    /// A value outside its range or set.
    InvalidValue = "invalid-value", Error, "give a value in the allowed range or set";
    /// A block lacks an attribute it needs.
    MissingAttribute = "missing-attribute", Error, "add the attribute the block needs";
    /// Two definitions share a name.
    DuplicateName = "duplicate-name", Error, "rename one of the two definitions";
    /// A singleton block (`traffic`, `slo`, …) appears twice.
    DuplicateBlock = "duplicate-block", Error, "merge the two blocks";
    /// An attribute is set twice in one block.
    DuplicateAttribute = "duplicate-attribute", Error, "remove one of the two settings";
    /// A name that nothing declares.
    UnknownReference = "unknown-reference", Error, "name something that is declared";
    /// A name of a component of the wrong kind for the place.
    WrongKind = "wrong-kind", Error, "name a component of the right kind";
    /// A role other than `.primary` or `.replicas`.
    UnknownRole = "unknown-role", Error, "address `.primary` or `.replicas`";
    /// Datacenter weights that do not sum to 100%.
    WeightSum = "weight-sum", Error, "make datacenter weights sum to 100%";
    /// Client shares that do not sum to 100%.
    ShareSum = "share-sum", Error, "make client shares sum to 100%";
    /// A flow label that is not a class, a share, a call count or `all-shards`.
    InvalidLabel = "invalid-label", Error, "label flows with static, read, write, a share, a call count (`x2`) or `all-shards`";
    /// `all-shards` on a flow whose callee is not a sharded database.
    AllShardsTarget = "all-shards-target", Error, "end an `all-shards` flow at a database with `shards` above 1";
    /// Shared edges of one caller above 100%.
    FlowShare = "flow-share", Error, "keep shared edges of one caller at or under 100%";
    /// A cycle of synchronous calls.
    FlowCycle = "flow-cycle", Error, "break the cycle of synchronous calls";
    /// A flow into a client.
    ClientIncoming = "client-incoming", Error, "clients only call; reverse the flow";
    /// A flow out of a store or queue.
    SinkOutgoing = "sink-outgoing", Error, "end the chain at the data store or queue";
    /// An expectation names an unknown metric.
    UnknownMetric = "unknown-metric", Error, "use p50, p90, p99, p999, mean, error_rate, throughput or utilization";
    /// A scenario time outside the run.
    InvalidTime = "invalid-time", Error, "keep scenario times inside the run";
    /// A `--set` override that does not name a block attribute or does not parse.
    InvalidOverride = "invalid-override", Error, "write `--set BLOCK.ATTRIBUTE=VALUE` with a declared block";
    /// A template that applies itself, directly or through others.
    TemplateCycle = "template-cycle", Error, "remove one of the template uses in the cycle";
    /// Files that import each other in a cycle.
    ImportCycle = "import-cycle", Error, "remove one of the imports in the cycle";
    /// A `system` line in an imported file.
    SystemInImport = "system-in-import", Error, "keep the `system` line in the file given on the command line";
    /// An import that leaves the design's folder.
    ImportOutsideRoot = "import-outside-root", Error, "import a file below the design's folder, or list the folder under `[imports] roots`";
    /// The file cannot be read.
    UnreadableFile = "unreadable-file", Error, "check the path and its permissions";
    /// The file is not UTF-8.
    InvalidUtf8 = "invalid-utf8", Error, "save the file as UTF-8";
    /// An inline `allow(...)` without a reason or naming no known rule (a warning).
    InvalidSuppression = "invalid-suppression", Warning, "give the suppression a reason and a known rule";
}

const fn info(name: &'static str, severity: Severity, summary: &'static str) -> RuleInfo {
    RuleInfo {
        name,
        severity,
        category: "compile",
        summary,
        doc: "A compile error: the design cannot be used until it is fixed. The message says what was expected at the marked place.",
        needs_traffic: false,
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `docs/diagnostics.md`'s table, generated from [`Code::ALL`].
pub fn markdown_table() -> String {
    let mut out = String::from("| code | severity | fix |\n|---|---|---|\n");
    for code in Code::ALL {
        let severity = match code.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        out.push_str(&format!(
            "| `{}` | {severity} | {} |\n",
            code.as_str(),
            code.summary().replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for &code in Code::ALL {
            assert_eq!(Code::from_name(code.as_str()), Some(code));
            assert!(seen.insert(code.as_str()), "{code} twice");
        }
        assert_eq!(INFOS.len(), Code::ALL.len());
        assert_eq!(Code::from_name("spof"), None);
    }
}
