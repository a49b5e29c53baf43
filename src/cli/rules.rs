//! `archc rules` lists the rules; `archc explain RULE` prints one rule's
//! documentation.

use super::{EXIT_INPUT, EXIT_OK};
use archc::rules::{COMPILE_ERRORS, RULES, lookup};

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A rule name, such as `spof`.
    pub rule: String,
}

pub fn list() -> u8 {
    super::emit(&table());
    EXIT_OK
}

/// The rule table, as `archc rules` prints it.
pub fn table() -> String {
    let mut out = String::new();
    let w = RULES
        .iter()
        .map(|r| r.info().name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    out.push_str(&format!(
        "{:w$}  {:8}  {:11}  {}\n",
        "rule", "severity", "category", "fix"
    ));
    for r in RULES {
        let i = r.info();
        out.push_str(&format!(
            "{:w$}  {:8}  {:11}  {}\n",
            i.name,
            i.severity.as_str(),
            i.category,
            i.summary
        ));
    }
    out
}

pub fn explain(args: ExplainArgs) -> u8 {
    if let Some(rule) = lookup(&args.rule) {
        let i = rule.info();
        println!(
            "# {} ({}, {})\n\n{}",
            i.name,
            i.severity.as_str(),
            i.category,
            i.doc_text()
        );
        return EXIT_OK;
    }
    if let Some(c) = COMPILE_ERRORS.iter().find(|c| c.name == args.rule) {
        println!(
            "# {} (compile error)\n\n{}\n\nFix: {}.",
            c.name, c.doc, c.summary
        );
        return EXIT_OK;
    }
    let names = RULES
        .iter()
        .map(|r| r.info().name)
        .chain(COMPILE_ERRORS.iter().map(|c| c.name));
    match archc::diagnostic::did_you_mean(&args.rule, names) {
        Some(s) => eprintln!("error: no rule named `{}`; did you mean `{s}`?", args.rule),
        None => eprintln!(
            "error: no rule named `{}`; `archc rules` lists them",
            args.rule
        ),
    }
    EXIT_INPUT
}
