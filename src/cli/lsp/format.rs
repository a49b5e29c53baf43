//! `textDocument/formatting`: the document laid out as `archc fmt` lays it
//! out (the library's `archc::fmt::format`), as one edit replacing the
//! whole text, or no edit when it is already formatted. A document with a
//! syntax error is not formatted: the request fails with the first error.

use super::{State, position, uri_to_path};
use archc::diagnostic::line_col;
use lsp_types as lt;

pub(super) fn formatting(
    state: &State,
    p: &lt::DocumentFormattingParams,
) -> Result<Vec<lt::TextEdit>, String> {
    let path = uri_to_path(&p.text_document.uri);
    let Some(text) = state.docs.get(&path) else {
        return Err(format!("`{path}` is not open"));
    };
    match archc::fmt::format(text) {
        Ok(formatted) if formatted == *text => Ok(Vec::new()),
        Ok(formatted) => Ok(vec![lt::TextEdit {
            range: lt::Range {
                start: lt::Position::new(0, 0),
                end: position(text, text.len()),
            },
            new_text: formatted,
        }]),
        Err(diags) => {
            let first = diags.iter().find(|d| d.rule == "syntax").or(diags.first());
            Err(match first {
                Some(d) => {
                    let (line, col) = line_col(text, d.primary.span.start);
                    format!("not formatted: syntax error at {line}:{col}: {}", d.message)
                }
                None => "not formatted: the document does not parse".into(),
            })
        }
    }
}
