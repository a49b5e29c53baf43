//! Escaping and identifiers for every output format.
//!
//! Every string that reaches a generated file goes through one of these
//! functions (the template engine refuses to print an unfiltered string), so
//! no component name, image, region or key can break out of the value it
//! was written into: a YAML scalar, an HCL string (where `${` and `%{` start
//! templates), a Compose interpolation (`$`), a shell word, or a comment.
//!
//! Identifiers go the other way: a name is mapped onto the characters a
//! format allows, and [`Namer`] keeps the mapped names unique, so two
//! components never end up as one service.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::Arc;

/// A double-quoted YAML scalar that reads back as exactly `s`.
///
/// Double-quoted style is the only YAML style that can hold every string:
/// escapes cover the characters YAML does not allow raw (controls, DEL, C1,
/// surrogates, BOM, U+FFFE/U+FFFF) and the line separators that YAML 1.1
/// readers fold into line breaks.
pub fn yaml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if needs_yaml_escape(c) => push_unicode_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn needs_yaml_escape(c: char) -> bool {
    let u = c as u32;
    u < 0x20
        || (0x7f..=0x9f).contains(&u)
        || u == 0x2028
        || u == 0x2029
        || u == 0xfeff
        || u == 0xfffe
        || u == 0xffff
}

fn push_unicode_escape(out: &mut String, c: char) {
    let u = c as u32;
    // Writing to a String cannot fail.
    let _ = if u <= 0xffff {
        write!(out, "\\u{u:04X}")
    } else {
        write!(out, "\\U{u:08X}")
    };
}

/// Doubles every `$` so that Compose's variable interpolation leaves the
/// text as written (`$$` is Compose's escape for a literal `$`).
pub fn compose_literal(s: &str) -> String {
    s.replace('$', "$$")
}

/// A quoted HCL string that Terraform reads back as exactly `s`, with no
/// interpolation: `${` becomes `$${` and `%{` becomes `%%{`.
pub fn hcl(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next_is_brace = chars.get(i + 1) == Some(&'{');
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if next_is_brace => out.push_str("$$"),
            '%' if next_is_brace => out.push_str("%%"),
            c if needs_hcl_escape(c) => {
                // HCL's \u escape takes four hex digits and \U eight.
                push_unicode_escape(&mut out, c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn needs_hcl_escape(c: char) -> bool {
    let u = c as u32;
    u < 0x20 || (0x7f..=0x9f).contains(&u) || u == 0x2028 || u == 0x2029 || u == 0xfeff
}

/// One POSIX shell word that the shell reads back as exactly `s`.
pub fn shell(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=+,".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Text safe inside a `#` comment: one line, no control characters.
pub fn comment(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{feff}' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Whether `s` is a bare token every config format here reads as one word:
/// letters, digits and `._:/-`, not empty.
pub fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c))
}

/// Whether `s` is an HCL identifier (block labels, resource names).
pub fn is_hcl_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Whether `s` can stand as a Terraform expression the backend built
/// from identifiers: no `$` (so no `${`), no `%{`, no backslash, no
/// control character or `#` — nothing that could open a template or a
/// comment, or end the line.
pub fn is_tf_expr(s: &str) -> bool {
    !s.is_empty()
        && !s.contains("%{")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.,()[]*\":/%{}=>+-".contains(c))
}

/// Whether `s` is a plain YAML key that needs no quotes (and is a valid
/// Compose service, volume or network name).
pub fn is_yaml_key(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// Whether `s` is an environment variable name.
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The style of identifier a format wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A DNS label: `[a-z][a-z0-9-]*`, for Compose services, hostnames and
    /// cloud resource names.
    Label,
    /// An HCL / SQL identifier: `[a-z][a-z0-9_]*`.
    Snake,
    /// An environment variable prefix: `[A-Z][A-Z0-9_]*`.
    Env,
}

/// Maps `name` onto the characters `style` allows: lowercase (uppercase for
/// [`Style::Env`]), runs of other characters become one separator, a
/// non-letter start gets a letter prefix, and the result has at most `max`
/// characters (a long name keeps a hash of the whole so two long names stay
/// apart). Never empty.
pub fn ident(name: &str, style: Style, max: usize) -> String {
    let sep = if style == Style::Label { '-' } else { '_' };
    let mut out = String::new();
    let mut pending_sep = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_sep && !out.is_empty() {
                out.push(sep);
            }
            pending_sep = false;
            out.push(if style == Style::Env {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            });
        } else {
            pending_sep = true;
        }
    }
    if !out.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        let prefix = if style == Style::Env { "X" } else { "x" };
        out = if out.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}{sep}{out}")
        };
    }
    let max = max.max(8);
    if out.len() > max {
        // Keep long names distinct: a short hash of the original name.
        let hash = xxhash_rust::xxh64::xxh64(name.as_bytes(), 0);
        let tail = format!("{sep}{:06x}", hash & 0xff_ffff);
        out.truncate(max - tail.len());
        while out.ends_with(sep) {
            out.pop();
        }
        out.push_str(&tail);
        if style == Style::Env {
            out = out.to_ascii_uppercase();
        }
    }
    out
}

/// Hands out identifiers that are unique within one namespace: a name that
/// maps onto one already taken gets `-2`, `-3`, … (or `_2`).
#[derive(Debug)]
pub struct Namer {
    style: Style,
    max: usize,
    /// Shared with the names handed out by [`Namer::shared`].
    taken: BTreeSet<Arc<str>>,
}

impl Namer {
    pub fn new(style: Style, max: usize) -> Namer {
        Namer {
            style,
            max,
            taken: BTreeSet::new(),
        }
    }

    /// Reserves a fixed name (so that generated names avoid it).
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(Arc::from(name));
    }

    pub fn name(&mut self, raw: &str) -> String {
        self.shared(raw).to_string()
    }

    /// [`Namer::name`], the name shared with the namer's own record of it:
    /// one copy for tables with a name per row.
    pub fn shared(&mut self, raw: &str) -> Arc<str> {
        let sep = if self.style == Style::Label { '-' } else { '_' };
        let base: Arc<str> = Arc::from(ident(raw, self.style, self.max.saturating_sub(4)));
        if self.taken.insert(Arc::clone(&base)) {
            return base;
        }
        let mut n = 2;
        loop {
            let candidate: Arc<str> = Arc::from(format!("{base}{sep}{n}"));
            if self.taken.insert(Arc::clone(&candidate)) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// A name for a cloud resource that has a length limit and allows only
/// lowercase letters, digits and hyphens (no double hyphen, no hyphen at
/// either end): the parts joined with `-`, shortened with a hash of the
/// whole when too long.
pub fn resource_name(parts: &[&str], max: usize) -> String {
    let joined: Vec<String> = parts.iter().map(|p| ident(p, Style::Label, 255)).collect();
    let full = joined.join("-");
    if full.len() <= max {
        return full;
    }
    let hash = xxhash_rust::xxh64::xxh64(full.as_bytes(), 0);
    let tail = format!("-{:06x}", hash & 0xff_ffff);
    let mut head: String = full.chars().take(max - tail.len()).collect();
    while head.ends_with('-') {
        head.pop();
    }
    head + &tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_quotes_and_escapes() {
        assert_eq!(yaml("plain"), "\"plain\"");
        assert_eq!(yaml("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(yaml("\u{7f}\u{2028}"), "\"\\u007F\\u2028\"");
    }

    #[test]
    fn hcl_escapes_templates() {
        assert_eq!(hcl("${x}"), "\"$${x}\"");
        assert_eq!(hcl("%{if}"), "\"%%{if}\"");
        assert_eq!(hcl("$x %d"), "\"$x %d\"");
        assert_eq!(hcl("$${"), "\"$$${\"");
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell("nginx:1.27"), "nginx:1.27");
        assert_eq!(shell("a b"), "'a b'");
        assert_eq!(shell("it's"), "'it'\\''s'");
        assert_eq!(shell(""), "''");
    }

    #[test]
    fn identifiers() {
        assert_eq!(ident("users-db", Style::Label, 63), "users-db");
        assert_eq!(ident("users_db", Style::Snake, 63), "users_db");
        assert_eq!(ident("users-db", Style::Env, 63), "USERS_DB");
        assert_eq!(ident("9lives", Style::Label, 63), "x-9lives");
        assert_eq!(ident("__", Style::Snake, 63), "x");
        let long = "a".repeat(100);
        let id = ident(&long, Style::Label, 20);
        assert_eq!(id.len(), 20);
        let mut namer = Namer::new(Style::Label, 63);
        assert_eq!(namer.name("Web"), "web");
        assert_eq!(namer.name("web"), "web-2");
    }

    #[test]
    fn resource_names_fit() {
        assert_eq!(
            resource_name(&["photo-share", "web", "us-east"], 32),
            "photo-share-web-us-east"
        );
        let n = resource_name(&["a-very-long-system-name", "component", "us-east"], 32);
        assert_eq!(n.len(), 32);
        assert!(!n.contains("--"));
    }
}
