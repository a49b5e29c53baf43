use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::model::{Classes, FlowEdge};
use std::collections::HashMap;

declare_rule! {
    /// ## What it flags
    /// The same edge written twice: one caller, one callee (and database
    /// role), the same classes, share, call count and `all-shards`, in two
    /// flow statements. The edges of a chain count one by one, so
    /// `web -> db [read]` next to `web -> db -> …` written again is caught
    /// too. Only the second and later copies are flagged, once per
    /// statement, each pointing at the first.
    ///
    /// ## Why it matters
    /// Every unshared edge is a separate call (LANGUAGE.md §6), so a
    /// repeated line doubles the load on the callee and adds its response
    /// time to every request twice. A copy pasted by mistake changes every
    /// figure archc gives without saying so; two calls meant on purpose
    /// are clearer as one call count (`x2`, §13).
    ///
    /// ## Example
    /// ```arch
    /// client users
    /// service web
    /// database db
    /// users -> web
    /// web -> db [write]
    /// web -> db [write]
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// client users
    /// service web
    /// database db
    /// users -> web
    /// web -> db [write x2]
    /// ```
    pub struct DuplicateEdge = "duplicate-edge", Warning, "network", "write the edge once, with a call count such as `x2` if several calls are meant";
    position 7;
}

/// What makes two edges the same call: ends, role, classes, share, call
/// count and scatter-gather.
type EdgeKey = (
    usize,
    usize,
    Option<crate::model::Role>,
    Classes,
    Option<u64>,
    u32,
    bool,
);

fn key(e: &FlowEdge) -> EdgeKey {
    (
        e.from,
        e.to,
        e.role,
        e.classes,
        e.share.map(f64::to_bits),
        e.calls,
        e.all_shards,
    )
}

/// The labels of the one flow that replaces `copies` copies of `e`: shared
/// copies are alternatives, so their shares add; unshared copies are calls
/// in turn, so their call counts add.
fn merged_labels(e: &FlowEdge, copies: u32) -> String {
    let mut words: Vec<String> = Vec::new();
    if e.classes != Classes::ALL {
        words.push(e.classes.names().join(", "));
    }
    let calls = match e.share {
        Some(s) => {
            // Source text to paste back, not a figure for people.
            words.push(format!("{}%", (s * f64::from(copies) * 1e6).round() / 1e4));
            e.calls
        }
        None => e.calls.saturating_mul(copies),
    };
    if calls > 1 {
        words.push(format!("x{calls}"));
    }
    if e.all_shards {
        words.push("all-shards".into());
    }
    format!("[{}]", words.join(" "))
}

fn times(n: u32) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

impl Rule for DuplicateEdge {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        // The first copy of each edge, and how many copies there are.
        let mut first: HashMap<EdgeKey, (usize, u32)> = HashMap::new();
        for (i, e) in m.flows.iter().enumerate() {
            first.entry(key(e)).or_insert((i, 0)).1 += 1;
        }
        let mut reported_statement = None;
        for (i, e) in m.flows.iter().enumerate() {
            let Some(&(f, copies)) = first.get(&key(e)) else {
                continue;
            };
            if f == i || reported_statement == Some(e.statement) {
                continue;
            }
            reported_statement = Some(e.statement);
            let original = &m.flows[f];
            let caller = &m.components[e.from].name;
            let callee = &m.components[e.to].name;
            let classes = if e.classes == Classes::ALL {
                "requests".to_string()
            } else {
                e.classes
                    .names()
                    .iter()
                    .map(|c| format!("{c}s"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            };
            let effect = match e.share {
                Some(s) => format!(
                    "shared edges are alternatives, so {} of {classes} take it instead of {}",
                    crate::figures::percent(s * f64::from(copies), crate::figures::Style::Compact),
                    crate::figures::percent(s, crate::figures::Style::Compact),
                ),
                None => format!(
                    "{classes} call `{callee}` {} instead of {}",
                    times(e.calls.saturating_mul(copies)),
                    times(e.calls)
                ),
            };
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    e.span,
                    format!(
                        "`{caller} -> {callee}` is written {} with the same labels: {effect}",
                        times(copies)
                    ),
                )
                .label("the same edge again")
                .related(original.span, "first written here")
                .help(format!(
                    "remove this copy, or write the edge once as `{caller} -> {callee} {}` if that is meant",
                    merged_labels(e, copies)
                ))
                .component(callee),
            );
        }
    }
}
