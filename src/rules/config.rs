//! `archc.toml`: a severity per rule (`"error"`, `"warning"`, `"info"`,
//! `"off"`) and defaults for `assumptions`.
//!
//! ```toml
//! [rules]
//! spof = "warning"
//! cache-headroom = "off"
//!
//! [assumptions]
//! target_utilization = 0.6   # fractions, seconds, factors: base units
//! ```

use crate::diagnostic::Severity;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    pub rules: BTreeMap<String, Level>,
    /// `assumptions` defaults, in base units.
    pub assumptions: Vec<(String, f64)>,
    /// `[imports] roots`: folders, relative to `archc.toml`'s folder (or
    /// absolute), that imports may read outside the design's own folder
    /// (LANGUAGE.md §11).
    pub import_roots: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Default,
    Off,
    Set(Severity),
}

impl Config {
    pub fn severity(&self, rule: &str) -> Level {
        self.rules.get(rule).copied().unwrap_or(Level::Default)
    }

    /// Parses `archc.toml`. Errors name the key and say what was expected.
    pub fn parse(text: &str) -> Result<Config, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        let mut config = Config::default();
        for (key, value) in &table {
            match key.as_str() {
                "rules" => {
                    let t = value
                        .as_table()
                        .ok_or("`rules` must be a table of rule = \"severity\"")?;
                    for (rule, level) in t {
                        if super::lookup(rule).is_none() {
                            let names = super::RULES.iter().map(|r| r.info().name);
                            let hint = crate::diagnostic::did_you_mean(rule, names)
                                .map(|s| format!("; did you mean `{s}`?"))
                                .unwrap_or_default();
                            return Err(format!("unknown rule `{rule}` in [rules]{hint}"));
                        }
                        let level = match level.as_str() {
                            Some("off") => Level::Off,
                            Some(s) => Level::Set(Severity::parse(s).ok_or_else(|| {
                                format!("`{rule}`: expected \"error\", \"warning\", \"info\" or \"off\", found \"{s}\"")
                            })?),
                            None => return Err(format!("`{rule}`: expected a string such as \"warning\"")),
                        };
                        config.rules.insert(rule.clone(), level);
                    }
                }
                "assumptions" => {
                    let t = value.as_table().ok_or("`assumptions` must be a table")?;
                    const KNOWN: [&str; 5] = [
                        "target_utilization",
                        "instance_availability",
                        "hop_latency",
                        "cross_dc_latency",
                        "hotspot_factor",
                    ];
                    for (name, v) in t {
                        if !KNOWN.contains(&name.as_str()) {
                            return Err(format!(
                                "unknown assumption `{name}`; the assumptions are {}",
                                KNOWN.join(", ")
                            ));
                        }
                        let x = v
                            .as_float()
                            .or_else(|| v.as_integer().map(|i| i as f64))
                            .ok_or_else(|| {
                                format!(
                                    "`{name}`: expected a number in base units (fractions, seconds)"
                                )
                            })?;
                        if !(x.is_finite() && x >= 0.0) {
                            return Err(format!("`{name}`: expected a non-negative number"));
                        }
                        config.assumptions.push((name.clone(), x));
                    }
                }
                "imports" => {
                    let t = value
                        .as_table()
                        .ok_or("`imports` must be a table with `roots = [\"../platform\"]`")?;
                    for (name, v) in t {
                        if name != "roots" {
                            return Err(format!(
                                "unknown key `{name}` in [imports]; it has `roots`"
                            ));
                        }
                        let list = v.as_array().ok_or(
                            "`roots`: expected a list of folders such as [\"../platform\"]",
                        )?;
                        for r in list {
                            let r = r
                                .as_str()
                                .ok_or("`roots`: expected folder names as strings")?;
                            config.import_roots.push(r.to_string());
                        }
                    }
                }
                other => {
                    return Err(format!(
                        "unknown section `{other}`; archc.toml has [rules], [assumptions] and [imports]"
                    ));
                }
            }
        }
        Ok(config)
    }
}
