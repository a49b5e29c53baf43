//! Parsing never panics, and every syntax error points inside the source.
//!
//! An input with a `%%% NAME` line holds several files (see `multi.rs`):
//! the design is loaded through an in-memory loader, each file formatted,
//! and every diagnostic's spans must lie inside their own file.
#![no_main]

mod multi;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(files) = multi::split(source) {
        let (root, text) = &files[0];
        let loader = |path: &str| multi::read(&files, path);
        let loaded = archc::sources::load(root, text.clone(), &loader, &multi::rules());
        multi::assert_spans(&loaded.sources, &loaded.diagnostics);
        for f in &loaded.sources.files {
            let _ = archc::fmt::format(&f.text);
        }
        return;
    }
    let (_, diags) = archc::syntax::parse(source);
    for d in diags {
        assert!(
            d.primary.span.end <= source.len(),
            "span past the end: {d:?}"
        );
        assert!(d.primary.span.start <= d.primary.span.end);
    }
    let _ = archc::fmt::format(source);
});
