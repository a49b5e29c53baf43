//! Compile, estimate and every rule never panic; the estimate of a design
//! that compiles holds no NaN where a figure is printed.
//!
//! An input with a `%%% NAME` line holds several files (see `multi.rs`):
//! the design is checked through an in-memory loader, every diagnostic's
//! spans must lie inside their own file, and the findings split by file
//! render as the CLI shows them.
#![no_main]

mod multi;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let options = archc::BuildOptions {
        default_name: "fuzz".into(),
        ..Default::default()
    };
    let checked = if let Some(files) = multi::split(source) {
        let (root, text) = &files[0];
        let loader = |path: &str| multi::read(&files, path);
        let (map, checked) = archc::check_design(
            root,
            text.clone(),
            &loader,
            &multi::rules(),
            &options,
            &[],
            &Default::default(),
            "2026-11-20",
        );
        multi::assert_spans(&map, &checked.diagnostics);
        let split = map.split(checked.diagnostics.clone());
        let reports: Vec<archc::render::FileReport> = map
            .files
            .iter()
            .zip(&split)
            .map(|(f, ds)| archc::render::FileReport {
                name: &f.name,
                source: &f.text,
                diagnostics: ds,
            })
            .collect();
        let _ = archc::render::human(&reports, false, 100);
        checked
    } else {
        let checked = archc::check(source, &options, &Default::default(), "2026-11-20");
        for d in &checked.diagnostics {
            assert!(
                d.primary.span.end <= source.len(),
                "span past the end: {d:?}"
            );
        }
        checked
    };
    if let Some(model) = &checked.model {
        let est = archc::estimate(model, &mut Default::default());
        for c in &est.copies {
            assert!(!c.peak_rps.is_nan(), "NaN peak load");
        }
        let d = archc::graph::Diagram::new(model, &est, &checked.diagnostics, None);
        let _ = (d.dot(), d.mermaid(), d.svg());
    }
});
