//! `terraform fmt`'s layout for the HCL the templates produce: two spaces
//! per bracket level, and the `=` of consecutive one-line attributes
//! aligned one space after the longest name.
//!
//! Templates cannot align `=` themselves (names come from the design), so
//! every `.tf` file passes through [`format`] after rendering. The rules are
//! those of hclwrite, the formatter behind `terraform fmt`:
//! - a line that opens more brackets than it closes indents what follows
//!   by one level, however many it opens; a line that closes them goes back;
//! - an attribute line is one whose first `=` (outside strings) is followed
//!   by a complete expression; a run of attribute lines, broken by any other
//!   line (blank, comment, block header, bracket), shares one `=` column.
//!
//! Heredocs are not handled: the templates do not produce them.

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

/// Lays out HCL text as `terraform fmt` does (see the module docs).
pub fn format(src: &str) -> String {
    let lines: Vec<Line> = src.lines().map(|l| scan(l.trim())).collect();

    // Indentation, with hclwrite's stack of bracket counts per level.
    let mut indents: Vec<i32> = Vec::new();
    let mut indent_of = Vec::with_capacity(lines.len());
    for line in &lines {
        if line.text.is_empty() {
            indent_of.push(0);
            continue;
        }
        if line.net > 0 {
            indent_of.push(indents.len());
            indents.push(line.net);
        } else if line.net < 0 {
            let mut closed = -line.net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else { break };
                if closed >= *top {
                    closed -= *top;
                    indents.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
            indent_of.push(indents.len());
        } else {
            indent_of.push(indents.len());
        }
    }

    // Alignment: the width of each run's longest name.
    let mut widths = vec![0usize; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        if lines[i].assign.is_none() {
            i += 1;
            continue;
        }
        let start = i;
        let mut max = 0;
        while i < lines.len() && lines[i].assign.is_some() {
            let at = lines[i].assign.unwrap_or(0);
            max = max.max(lines[i].text[..at].trim_end().chars().count());
            i += 1;
        }
        for w in &mut widths[start..i] {
            *w = max;
        }
    }

    let mut out = String::with_capacity(src.len() + src.len() / 8);
    for (k, line) in lines.iter().enumerate() {
        if !line.text.is_empty() {
            out.push_str(&"  ".repeat(indent_of[k]));
            match line.assign {
                Some(at) => {
                    let name = line.text[..at].trim_end();
                    let value = line.text[at + 1..].trim_start();
                    out.push_str(name);
                    out.push_str(&" ".repeat(widths[k] - name.chars().count() + 1));
                    out.push('=');
                    if !value.is_empty() {
                        out.push(' ');
                        out.push_str(value);
                    }
                }
                None => out.push_str(line.text),
            }
        }
        out.push('\n');
    }
    // `terraform fmt` keeps no blank lines at the end of a file.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn aligns_runs_and_indents() {
        let src = "resource \"x\" \"y\" {\nprovider = aws.a\ncount = 2\n# c\nname = \"a = b\"\nlonger_name = \"${x}\"\ntags = {\nName = \"a\"\nLongerKey = \"b\"\n}\nafter = 1\nuser_data = f(g(\"\\n\", [\n\"a\",\n]))\nz = a == b\n}\n";
        let want = "resource \"x\" \"y\" {\n  provider = aws.a\n  count    = 2\n  # c\n  name        = \"a = b\"\n  longer_name = \"${x}\"\n  tags = {\n    Name      = \"a\"\n    LongerKey = \"b\"\n  }\n  after = 1\n  user_data = f(g(\"\\n\", [\n    \"a\",\n  ]))\n  z = a == b\n}\n";
        assert_eq!(format(src), want);
    }
}
