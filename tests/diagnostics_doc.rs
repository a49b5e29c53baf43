//! `docs/diagnostics.md` lists every compile-diagnostic code between two
//! markers; the table is generated from `archc::codes::Code`, so adding a
//! code without documenting it fails here. `ARCHC_BLESS=1 cargo test --test
//! diagnostics_doc` rewrites the table.

const BEGIN: &str = "<!-- codes:begin (generated from src/codes.rs) -->\n";
const END: &str = "<!-- codes:end -->";

#[test]
fn the_documented_codes_are_the_enum() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md");
    let text = std::fs::read_to_string(&path).expect("docs/diagnostics.md");
    let start = text.find(BEGIN).expect("begin marker") + BEGIN.len();
    let end = text.find(END).expect("end marker");
    let table = archc::codes::markdown_table();
    if std::env::var_os("ARCHC_BLESS").is_some() {
        let updated = format!("{}{table}{}", &text[..start], &text[end..]);
        std::fs::write(&path, updated).expect("write docs/diagnostics.md");
        return;
    }
    assert_eq!(
        &text[start..end],
        table,
        "docs/diagnostics.md is out of date: run ARCHC_BLESS=1 cargo test --test diagnostics_doc"
    );
}

#[test]
fn every_code_is_known_to_explain() {
    for code in archc::codes::Code::ALL {
        assert!(
            archc::rules::COMPILE_ERRORS
                .iter()
                .any(|i| i.name == code.as_str()),
            "{code}"
        );
    }
}
