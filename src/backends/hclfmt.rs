//! `terraform fmt`'s layout for the HCL the templates produce: two spaces
//! per bracket level, and the `=` of consecutive one-line attributes
//! aligned one space after the longest name.
//!
//! Templates cannot align `=` themselves (names come from the design), so
//! every `.tf` file is written through a [`Formatter`]. The rules are
//! those of hclwrite, the formatter behind `terraform fmt`:
//! - a line that opens more brackets than it closes indents what follows
//!   by one level, however many it opens; a line that closes them goes back;
//! - an attribute line is one whose first `=` (outside strings) is followed
//!   by a complete expression; a run of attribute lines, broken by any other
//!   line (blank, comment, block header, bracket), shares one `=` column.
//!
//! Heredocs are not handled: the templates do not produce them.

use std::io::Write;

/// What one line holds, outside strings and comments.
struct Line<'a> {
    text: &'a str,
    /// Net brackets opened on the line (`{[(` minus `}])`).
    net: i32,
    /// Byte offset of the line's assignment `=`, when the line is a
    /// one-line attribute.
    assign: Option<usize>,
}

fn scan(text: &str) -> Line<'_> {
    let b = text.as_bytes();
    let mut net = 0i32;
    let mut first_eq: Option<(usize, i32)> = None;
    let mut seen_token = false;
    // Inside a string, the stack holds the bracket depth of each open
    // template interpolation.
    let mut in_string = false;
    let mut interp: Vec<i32> = Vec::new();
    let mut depth = 0i32;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                b'$' | b'%' if b.get(i + 1) == Some(&c) && b.get(i + 2) == Some(&b'{') => i += 2,
                b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                    in_string = false;
                    interp.push(depth);
                    depth += 1;
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                seen_token = true;
            }
            b'#' => break,
            b'/' if b.get(i + 1) == Some(&b'/') => break,
            b'{' | b'[' | b'(' => {
                depth += 1;
                net += 1;
                seen_token = true;
            }
            b'}' if interp.last() == Some(&(depth - 1)) => {
                interp.pop();
                depth -= 1;
                in_string = true;
            }
            b'}' | b']' | b')' => {
                depth -= 1;
                net -= 1;
                seen_token = true;
            }
            b'=' => {
                let prev = if i > 0 { b[i - 1] } else { b' ' };
                let next = b.get(i + 1).copied().unwrap_or(b' ');
                let compound =
                    matches!(prev, b'=' | b'!' | b'<' | b'>') || matches!(next, b'=' | b'>');
                if !compound && first_eq.is_none() && seen_token {
                    first_eq = Some((i, net));
                }
                seen_token = true;
            }
            b' ' | b'\t' => {}
            _ => seen_token = true,
        }
        i += 1;
    }
    // The attribute's value is complete when the brackets after `=` balance.
    let assign = first_eq.and_then(|(at, before)| (net - before == 0).then_some(at));
    Line { text, net, assign }
}

/// Lays out HCL text as `terraform fmt` does (see the module docs): text
/// written to it comes out laid out in `inner`, one run of attribute lines at a time, so a file of any size is
/// formatted in the memory of its longest run. Call [`Formatter::finish`]
/// at the end: it writes the last run.
pub struct Formatter<W: Write> {
    inner: W,
    /// The unfinished line written so far.
    partial: Vec<u8>,
    /// hclwrite's stack of bracket counts per indentation level.
    indents: Vec<i32>,
    /// The current run of attribute lines: (text, `=` offset, indentation).
    run: Vec<(String, usize, usize)>,
    /// The widest name of the run, in characters.
    run_width: usize,
    /// Blank lines not written yet: `terraform fmt` keeps none at the end.
    blanks: usize,
}

impl<W: Write> Formatter<W> {
    pub fn new(inner: W) -> Formatter<W> {
        Formatter {
            inner,
            partial: Vec::new(),
            indents: Vec::new(),
            run: Vec::new(),
            run_width: 0,
            blanks: 0,
        }
    }

    /// Writes what is still held and returns the inner writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line)?;
        }
        self.end_run()?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    /// The indentation of a line, from the lines before it.
    fn indent(&mut self, net: i32) -> usize {
        if net > 0 {
            let at = self.indents.len();
            self.indents.push(net);
            return at;
        }
        let mut closed = -net;
        while closed > 0 {
            let Some(top) = self.indents.last_mut() else {
                break;
            };
            if closed >= *top {
                closed -= *top;
                self.indents.pop();
            } else {
                *top -= closed;
                closed = 0;
            }
        }
        self.indents.len()
    }

    fn line(&mut self, raw: &[u8]) -> std::io::Result<()> {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = String::from_utf8_lossy(raw);
        let line = scan(text.trim());
        if line.text.is_empty() {
            self.end_run()?;
            self.blanks += 1;
            return Ok(());
        }
        let indent = self.indent(line.net);
        match line.assign {
            Some(at) => {
                if self.run.is_empty() {
                    self.blank_lines()?;
                }
                let width = line.text[..at].trim_end().chars().count();
                self.run_width = self.run_width.max(width);
                self.run.push((line.text.to_string(), at, indent));
            }
            None => {
                self.end_run()?;
                self.blank_lines()?;
                write_indent(&mut self.inner, indent)?;
                self.inner.write_all(line.text.as_bytes())?;
                self.inner.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    fn blank_lines(&mut self) -> std::io::Result<()> {
        for _ in 0..std::mem::take(&mut self.blanks) {
            self.inner.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Writes the run of attribute lines with one `=` column.
    fn end_run(&mut self) -> std::io::Result<()> {
        let width = std::mem::take(&mut self.run_width);
        for (text, at, indent) in std::mem::take(&mut self.run) {
            write_indent(&mut self.inner, indent)?;
            let name = text[..at].trim_end();
            let value = text[at + 1..].trim_start();
            self.inner.write_all(name.as_bytes())?;
            for _ in 0..=(width - name.chars().count()) {
                self.inner.write_all(b" ")?;
            }
            self.inner.write_all(b"=")?;
            if !value.is_empty() {
                self.inner.write_all(b" ")?;
                self.inner.write_all(value.as_bytes())?;
            }
            self.inner.write_all(b"\n")?;
        }
        Ok(())
    }
}

fn write_indent(w: &mut impl Write, levels: usize) -> std::io::Result<()> {
    for _ in 0..levels {
        w.write_all(b"  ")?;
    }
    Ok(())
}

impl<W: Write> Write for Formatter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            if self.partial.is_empty() {
                self.line(&rest[..nl])?;
            } else {
                self.partial.extend_from_slice(&rest[..nl]);
                let line = std::mem::take(&mut self.partial);
                self.line(&line)?;
            }
            rest = &rest[nl + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::Formatter;
    use std::io::Write;

    /// Lays out HCL text as `terraform fmt` does (see the module docs).
    fn format(src: &str) -> String {
        let mut out = Formatter::new(Vec::with_capacity(src.len() + src.len() / 8));
        // Writing into memory cannot fail.
        let _ = out.write_all(src.as_bytes());
        let bytes = out.finish().unwrap_or_default();
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Written in pieces of every size, split inside lines and inside
    /// multi-byte characters, the writer lays out the same text.
    #[test]
    fn the_writer_does_not_depend_on_how_text_arrives() {
        let src = "a {\nname = \"é = ü\"\nlonger = 1\n\n\nb = [\n1,\n]\n# c\n}\n\n\n";
        let want = "a {\n  name   = \"é = ü\"\n  longer = 1\n\n\n  b = [\n    1,\n  ]\n  # c\n}\n";
        assert_eq!(format(src), want);
        for size in 1..src.len() {
            let mut w = Formatter::new(Vec::new());
            for piece in src.as_bytes().chunks(size) {
                w.write_all(piece).unwrap();
            }
            assert_eq!(
                String::from_utf8(w.finish().unwrap()).unwrap(),
                want,
                "pieces of {size}"
            );
        }
    }

    #[test]
    fn aligns_runs_and_indents() {
        let src = "resource \"x\" \"y\" {\nprovider = aws.a\ncount = 2\n# c\nname = \"a = b\"\nlonger_name = \"${x}\"\ntags = {\nName = \"a\"\nLongerKey = \"b\"\n}\nafter = 1\nuser_data = f(g(\"\\n\", [\n\"a\",\n]))\nz = a == b\n}\n";
        let want = "resource \"x\" \"y\" {\n  provider = aws.a\n  count    = 2\n  # c\n  name        = \"a = b\"\n  longer_name = \"${x}\"\n  tags = {\n    Name      = \"a\"\n    LongerKey = \"b\"\n  }\n  after = 1\n  user_data = f(g(\"\\n\", [\n    \"a\",\n  ]))\n  z = a == b\n}\n";
        assert_eq!(format(src), want);
    }
}
