//! Inline suppressions: `# allow(RULE): reason [until YYYY-MM-DD]` in a
//! comment directly above a component block or flow statement silences
//! that rule's findings inside it. A missing reason or unknown rule is
//! itself reported; after the date the finding comes back with a note.

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
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for (i, c) in model.comments.iter().enumerate() {
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
            let help = match crate::diagnostic::did_you_mean(&rule, names) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "name a rule from `archc rules`".to_string(),
            };
            diags.push(bad(
                c.span,
                &format!("suppression of unknown rule `{rule}`"),
                &help,
            ));
            continue;
        }
        let after = rest[close + 1..].trim_start();
        let reason_text = after.strip_prefix(':').map(str::trim).unwrap_or("");
        let (reason, until) = match reason_text
            .rfind(" until ")
            .or_else(|| reason_text.strip_prefix("until ").map(|_| 0))
        {
            Some(pos) => {
                let date = reason_text[pos..].trim().trim_start_matches("until").trim();
                (
                    reason_text[..pos].trim().to_string(),
                    Some(date.to_string()),
                )
            }
            None => (reason_text.to_string(), None),
        };
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
        // comment, with only comments between.
        let Some(covers) = items.iter().find(|s| s.start >= c.span.end).copied() else {
            continue;
        };
        let next_comment = model
            .comments
            .get(i + 1)
            .map(|n| n.span.start)
            .unwrap_or(usize::MAX);
        if next_comment < covers.start && !model.comments[i + 1].text.trim().starts_with("allow(") {
            // Another (non-allow) comment between is fine; it is still directly above.
        }
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

fn bad(span: Span, message: &str, help: &str) -> Diagnostic {
    Diagnostic::new("invalid-suppression", Severity::Warning, span, message)
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
