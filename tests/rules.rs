#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! The rule registry and per-rule fixtures.
//!
//! Every rule has a folder `tests/rules/<name>/` with at least two
//! `bad_*.arch` files, each of which must produce the rule at every
//! `# expect: <name> <line>` header it carries, and at least two
//! `ok_*.arch` files that must not produce it. Each fixture is also
//! snapshotted with its source beside the rendered findings.

use archc::diagnostic::line_col;
use archc::rules::{CATEGORIES, RULES, config::Config};
use std::collections::BTreeSet;
use std::path::Path;

const TODAY: &str = "2026-11-20";

fn findings(path: &Path) -> (String, archc::Compiled) {
    let source = std::fs::read_to_string(path).unwrap();
    let options = archc::BuildOptions {
        default_name: "fixture".into(),
        ..Default::default()
    };
    let compiled = archc::check(&source, &options, &Config::default(), TODAY);
    (source, compiled)
}

fn expected(source: &str, rule: &str) -> BTreeSet<usize> {
    source
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            (it.next()? == rule).then(|| it.next()?.parse().ok())?
        })
        .collect()
}

#[test]
fn registry_is_complete() {
    let mut names = BTreeSet::new();
    for r in RULES {
        let info = r.info();
        assert!(names.insert(info.name), "duplicate rule name {}", info.name);
        for section in [
            "## What it flags",
            "## Why it matters",
            "## Example",
            "## Instead",
        ] {
            assert!(
                info.doc.contains(section),
                "rule {} has no `{section}` section",
                info.name
            );
        }
        assert!(
            !info.summary.is_empty(),
            "rule {} has no fix hint",
            info.name
        );
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/rules")
            .join(info.name);
        let files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| {
                panic!("rule {} has no fixture folder {}", info.name, dir.display())
            })
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let bad = files
            .iter()
            .filter(|f| f.starts_with("bad_") && f.ends_with(".arch"))
            .count();
        let ok = files
            .iter()
            .filter(|f| f.starts_with("ok_") && f.ends_with(".arch"))
            .count();
        assert!(
            bad >= 2,
            "rule {} needs at least two bad_*.arch fixtures",
            info.name
        );
        assert!(
            ok >= 2,
            "rule {} needs at least two ok_*.arch fixtures",
            info.name
        );
    }
}

/// The registry is generated from the rule files (build.rs); this reads
/// them again on its own and proves that every file invoking
/// `declare_rule!` is in `RULES`, and that `RULES` holds nothing else.
#[test]
fn every_rule_file_is_registered() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let mut declared = BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // An invocation starts a line; the macro's own docs quote it after `///`.
        let Some(at) = text.find("\ndeclare_rule! {") else {
            continue;
        };
        files += 1;
        let block = &text[at..];
        let header = &block[block
            .find("\n    pub struct ")
            .unwrap_or_else(|| panic!("{} declares no `pub struct`", path.display()))..];
        // `pub struct Name = "rule-name", …`: the first string is the name.
        let name = header.split('"').nth(1).unwrap().to_string();
        assert!(declared.insert(name.clone()), "two files declare `{name}`");
    }
    let registered: BTreeSet<String> = RULES.iter().map(|r| r.info().name.to_string()).collect();
    assert_eq!(
        files,
        RULES.len(),
        "{files} files in src/rules/ invoke `declare_rule!`, but RULES has {} rules",
        RULES.len()
    );
    assert_eq!(declared, registered);
}

/// `RULES` lists the categories in catalogue order, each rule of a category
/// together; the order within a category is the declared `position`, which
/// the `archc rules` snapshot shows.
#[test]
fn rules_are_grouped_by_category_in_catalogue_order() {
    let ranks: Vec<usize> = RULES
        .iter()
        .map(|r| {
            let category = r.info().category;
            CATEGORIES
                .iter()
                .position(|c| *c == category)
                .unwrap_or_else(|| panic!("rule {} has unknown category {category}", r.info().name))
        })
        .collect();
    for (pair, rules) in ranks.windows(2).zip(RULES.windows(2)) {
        assert!(
            pair[0] <= pair[1],
            "rule {} ({}) is listed after {} ({})",
            rules[1].info().name,
            rules[1].info().category,
            rules[0].info().name,
            rules[0].info().category
        );
    }
    let used: BTreeSet<&str> = RULES.iter().map(|r| r.info().category).collect();
    let listed: BTreeSet<&str> = CATEGORIES.iter().copied().collect();
    assert_eq!(used, listed, "every category has a rule");
}

#[test]
fn fixtures() {
    insta::glob!("rules/*/*.arch", |path| {
        let rule = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let (source, compiled) = findings(path);
        assert!(
            compiled.model.is_some(),
            "{rule}/{file} does not compile: {:#?}",
            compiled.diagnostics
        );
        let got: BTreeSet<usize> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.rule == rule)
            .map(|d| line_col(&source, d.primary.span.start).0)
            .collect();
        if file.starts_with("bad_") {
            let want = expected(&source, &rule);
            assert!(
                !want.is_empty(),
                "{rule}/{file} has no `# expect: {rule} LINE` header"
            );
            assert_eq!(got, want, "{rule}/{file}: lines of `{rule}` findings");
        } else {
            assert!(
                got.is_empty(),
                "{rule}/{file} must not produce `{rule}`, got lines {got:?}"
            );
        }
        let reports = [archc::render::FileReport {
            name: &file,
            source: &source,
            diagnostics: &compiled.diagnostics,
        }];
        let rendered = archc::render::human(&reports, false, 100);
        insta::assert_snapshot!(format!("{source}\n----- findings -----\n{rendered}"));
    });
}
