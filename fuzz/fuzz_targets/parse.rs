//! Parsing never panics, and every syntax error points inside the source.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
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
