//! Inline suppressions: `# allow(RULE): reason [until YYYY-MM-DD]` in a
//! comment directly above a component block or flow statement silences
//! that rule's findings inside it. A missing reason or unknown rule is
//! itself reported; after the date the finding comes back with a note.

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::model::Model;

#[derive(Clone, Debug, PartialEq)]
pub struct Suppression {
    pub rule: String,
    pub reason: String,
    pub until: Option<String>,
    /// The comment.
    pub span: Span,
    /// The statement it covers.
    pub covers: Span,
}

/// Parses the allow comments of a model, reporting malformed ones.
pub fn collect(model: &Model) -> (Vec<Suppression>, Vec<Diagnostic>) {
    let mut items: Vec<Span> = model.components.iter().map(|c| c.span).collect();
    items.extend(model.flows.iter().map(|f| f.statement_span));
    items.sort();
    items.dedup();
    // Where a comment is certainly inside a component block: between its
    // name and its last attribute. (A block's own span may run on over the
    // comments after it, so it cannot tell.)
    let inside: Vec<Span> = model
        .components
        .iter()
        .filter_map(|c| {
            // Attributes a template set are written in the template,
            // perhaps in another file: only the block's own count.
            let last = c
                .attribute_spans
                .iter()
                .filter(|(name, _)| !c.templated.contains_key(*name))
                .map(|(_, s)| s.end)
                .max()?;
            Some(Span::new(c.name_span.start, last))
        })
        .collect();
    // Every other top-level block: a suppression above one of them covers
    // nothing, even when a component follows further down.
    let mut blocks: Vec<Span> = model.datacenters.iter().map(|d| d.span).collect();
    blocks.extend(model.scenarios.iter().map(|s| s.span));
    blocks.extend(model.system_span);
    blocks.extend(model.traffic.as_ref().map(|t| t.span));
    blocks.extend(model.slo.span);
    blocks.extend(model.monitoring.as_ref().map(|m| m.span));
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for c in &model.comments {
        let text = c.text.trim();
        let Some(rest) = text.strip_prefix("allow(") else {
            continue;
        };
        let Some(close) = rest.find(')') else {
            diags.push(bad(
                c.span,
                "a suppression without `)`",
                "write `# allow(RULE): reason`",
            ));
            continue;
        };
        let rule = rest[..close].trim().to_string();
        if super::lookup(&rule).is_none() {
            let names = super::RULES.iter().map(|r| r.info().name);
            let near = crate::diagnostic::did_you_mean(&rule, names);
            let help = match &near {
                Some(s) => format!("did you mean `{s}`?"),
                None => "name a rule from `archc rules`".to_string(),
            };
            let d = bad(
                c.span,
                &format!("suppression of unknown rule `{rule}`"),
                &help,
            );
            diags.push(match near {
                Some(s) => d.suggestion(s),
                None => d,
            });
            continue;
        }
        let after = rest[close + 1..].trim_start();
        let reason_text = after.strip_prefix(':').map(str::trim).unwrap_or("");
        let (reason, until) = split_until(reason_text);
        if reason.is_empty() {
            diags.push(bad(
                c.span,
                &format!("suppression of `{rule}` without a reason"),
                &format!("say why: `# allow({rule}): replaced in Q3`"),
            ));
            continue;
        }
        if let Some(d) = &until
            && !is_date(d)
        {
            diags.push(bad(
                c.span,
                &format!("`until {d}` is not a date"),
                "write the date as YYYY-MM-DD",
            ));
            continue;
        }
        // The statement directly below: the first item starting after the
        // comment, with nothing but comments between (no other block), and
        // the comment not inside a block of its own.
        let covers = items
            .iter()
            .find(|s| s.start >= c.span.end)
            .copied()
            .filter(|covers| {
                !blocks
                    .iter()
                    .any(|b| b.start >= c.span.end && b.start < covers.start)
            })
            .filter(|_| {
                !inside
                    .iter()
                    .any(|s| s.start < c.span.start && c.span.end <= s.end)
            });
        let Some(covers) = covers else {
            diags.push(bad(
                c.span,
                &format!("suppression of `{rule}` is not directly above a component or flow"),
                "put the `# allow(…)` comment on the line above the component block or flow statement it silences",
            ));
            continue;
        };
        out.push(Suppression {
            rule,
            reason,
            until,
            span: c.span,
            covers,
        });
    }
    (out, diags)
}

/// Splits `reason until YYYY-MM-DD` into the reason and the date. A
/// trailing `until` followed by something that starts like a date is the
/// expiry (and must then be a date); any other `until` belongs to the
/// reason ("accepted until launch").
fn split_until(text: &str) -> (String, Option<String>) {
    let pos = text
        .rfind(" until ")
        .map(|p| (p, p + " until ".len()))
        .or_else(|| text.strip_prefix("until ").map(|_| (0, "until ".len())));
    match pos {
        Some((end, date_at)) => {
            let date = text[date_at..].trim();
            if date.starts_with(|ch: char| ch.is_ascii_digit()) {
                (text[..end].trim().to_string(), Some(date.to_string()))
            } else {
                (text.to_string(), None)
            }
        }
        None => (text.to_string(), None),
    }
}

fn bad(span: Span, message: &str, help: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidSuppression.as_str(),
        Severity::Warning,
        span,
        message,
    )
    .label("this suppression")
    .help(help)
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Removes suppressed findings; brings back expired ones with a note.
pub fn apply(model: &Model, findings: Vec<Diagnostic>, today: &str) -> Vec<Diagnostic> {
    let (sups, mut out) = collect(model);
    for mut d in findings {
        let hit = sups.iter().find(|s| {
            s.rule == d.rule
                && d.primary.span.start >= s.covers.start
                && d.primary.span.start < s.covers.end
        });
        match hit {
            None => out.push(d),
            Some(s) => match &s.until {
                Some(until) if until.as_str() < today => {
                    d = d.related(s.span, "suppression expired").note(format!(
                        "the suppression `allow({})` expired on {until}: {}",
                        s.rule, s.reason
                    ));
                    out.push(d);
                }
                _ => {}
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::split_until;

    #[test]
    fn until_splits_off_a_date_only() {
        assert_eq!(
            split_until("replaced in Q3 until 2027-03-01"),
            ("replaced in Q3".to_string(), Some("2027-03-01".to_string()))
        );
        assert_eq!(
            split_until("accepted until launch"),
            ("accepted until launch".to_string(), None)
        );
        assert_eq!(
            split_until("kept until launch until 2027-3-1"),
            (
                "kept until launch".to_string(),
                Some("2027-3-1".to_string())
            )
        );
        assert_eq!(
            split_until("until 2027-03-01"),
            (String::new(), Some("2027-03-01".to_string()))
        );
        assert_eq!(
            split_until("plain reason"),
            ("plain reason".to_string(), None)
        );
    }
}
