//! Compile, estimate and every rule never panic; the estimate of a design
//! that compiles holds no NaN where a figure is printed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let options = archc::BuildOptions {
        default_name: "fuzz".into(),
        ..Default::default()
    };
    let checked = archc::check(source, &options, &Default::default(), "2026-11-20");
    for d in &checked.diagnostics {
        assert!(
            d.primary.span.end <= source.len(),
            "span past the end: {d:?}"
        );
    }
    if let Some(model) = &checked.model {
        let est = archc::estimate(model, &mut Default::default());
        for c in &est.copies {
            assert!(!c.peak_rps.is_nan(), "NaN peak load");
        }
        let d = archc::graph::Diagram::new(model, &est, &checked.diagnostics, None);
        let _ = (d.dot(), d.mermaid(), d.svg());
    }
});
