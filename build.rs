//! Generates the rule registry from the rule files alone.
//!
//! Every `src/rules/*.rs` file that invokes `declare_rule!` is a rule. This
//! script reads each one's declaration (struct name, rule name, category,
//! position), and writes `$OUT_DIR/rules.rs`: a `#[path]` module line per
//! rule file and the `RULES` static, ordered by category (in the order of
//! `src/rules/categories.rs`) and then by the rule's declared `position`.
//! `src/rules/mod.rs` includes that file, so adding a rule needs only its
//! file. A malformed declaration, an unknown category, or two rules at one
//! position in a category stop the build with a message naming the file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "src/rules/categories.rs"]
mod categories;

/// What the registry needs from one rule file.
struct Declared {
    file: PathBuf,
    module: String,
    strukt: String,
    name: String,
    category: String,
    position: u32,
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/rules");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|e| fail(&e.to_string()));
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|e| fail(&e.to_string()));
    let dir = Path::new(&manifest).join("src/rules");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())))
        .map(|entry| {
            entry
                .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())))
                .path()
        })
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();

    let mut rules = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", file.display())));
        if let Some(rule) = declared(&file, &text) {
            rules.push(rule);
        }
    }
    check(&rules);
    let rank = |r: &Declared| {
        categories::CATEGORIES
            .iter()
            .position(|c| *c == r.category)
            .unwrap_or(usize::MAX)
    };
    rules.sort_by_key(|r| (rank(r), r.position));

    let out = Path::new(&out_dir).join("rules.rs");
    std::fs::write(&out, generate(&rules))
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", out.display())));
}

fn fail(message: &str) -> ! {
    panic!("rule registry: {message}")
}

/// The declaration in one file, or `None` when the file declares no rule
/// (`config.rs`, `failure.rs`, …). A line that is only `declare_rule! {`
/// starts one; mentions in comments and docs do not count.
fn declared(file: &Path, text: &str) -> Option<Declared> {
    let shown = file.display();
    let starts: Vec<usize> = text
        .split('\n')
        .scan(0usize, |offset, line| {
            let at = *offset;
            *offset += line.len() + 1;
            Some((at, line))
        })
        .filter(|(_, line)| {
            let t = line.trim();
            t.strip_prefix("declare_rule!")
                .is_some_and(|rest| rest.trim() == "{")
        })
        .map(|(at, line)| at + line.len())
        .collect();
    let start = match starts.as_slice() {
        [] => return None,
        [one] => *one,
        _ => fail(&format!(
            "{shown} invokes `declare_rule!` {} times; a rule file declares one rule",
            starts.len()
        )),
    };
    let tokens = tokens(&text[start..]).unwrap_or_else(|e| fail(&format!("{shown}: {e}")));
    let mut p = Parser {
        file: file.to_path_buf(),
        tokens: tokens.into_iter(),
    };
    p.word("pub");
    p.word("struct");
    let strukt = p.ident("the struct name");
    p.punct('=');
    let name = p.string("the rule name");
    p.punct(',');
    p.ident("the severity");
    p.punct(',');
    let category = p.string("the category");
    p.punct(',');
    p.string("the fix hint");
    p.punct(';');
    let mut next = p.ident("`needs traffic;` or `position N;`");
    if next == "needs" {
        p.word("traffic");
        p.punct(';');
        next = p.ident("`position N;`");
    }
    if next != "position" {
        p.wrong("`position N;`", &Token::Ident(next));
    }
    let position = match p.next("the position") {
        Token::Int(n) if n >= 1 => n,
        t => p.wrong("a position of 1 or more", &t),
    };
    p.punct(';');
    p.punct('}');

    let module = file
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| {
            s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && s.starts_with(|c: char| c.is_ascii_lowercase())
        })
        .unwrap_or_else(|| fail(&format!("{shown}: a rule file's name is snake_case")))
        .to_string();
    Some(Declared {
        file: file.to_path_buf(),
        module,
        strukt,
        name,
        category,
        position,
    })
}

/// Known categories, unique names, and one rule per position per category.
fn check(rules: &[Declared]) {
    for r in rules {
        if !categories::CATEGORIES.contains(&r.category.as_str()) {
            fail(&format!(
                "{}: unknown category \"{}\"; the categories are {} (src/rules/categories.rs)",
                r.file.display(),
                r.category,
                categories::CATEGORIES.join(", ")
            ));
        }
    }
    for (i, a) in rules.iter().enumerate() {
        for b in &rules[i + 1..] {
            if a.name == b.name {
                fail(&format!(
                    "{} and {} both declare the rule \"{}\"",
                    a.file.display(),
                    b.file.display(),
                    a.name
                ));
            }
            if a.category == b.category && a.position == b.position {
                fail(&format!(
                    "{} and {} both take position {} in category \"{}\"; give one the next free position",
                    a.file.display(),
                    b.file.display(),
                    a.position,
                    a.category
                ));
            }
        }
    }
}

fn generate(rules: &[Declared]) -> String {
    let mut out = String::from(
        "// Generated by build.rs from the files in src/rules/ that invoke\n\
         // `declare_rule!`. Do not edit; add or change a rule file instead.\n\n",
    );
    let mut by_file: Vec<&Declared> = rules.iter().collect();
    by_file.sort_by(|a, b| a.module.cmp(&b.module));
    for r in by_file {
        let path = r.file.to_string_lossy();
        let _ = writeln!(out, "#[path = {path:?}]\nmod {};", r.module);
    }
    out.push_str(
        "\n/// Every rule, in catalogue order: by category, in [`CATEGORIES`] order,\n\
         /// then by each rule's declared `position`.\n\
         pub static RULES: &[&dyn Rule] = &[\n",
    );
    for r in rules {
        let _ = writeln!(out, "    &{}::{},", r.module, r.strukt);
    }
    out.push_str("];\n");
    out
}

/// Reads a `declare_rule!` block token by token; any surprise stops the
/// build with the form the block must take.
struct Parser {
    file: PathBuf,
    tokens: std::vec::IntoIter<Token>,
}

impl Parser {
    fn next(&mut self, what: &str) -> Token {
        self.tokens.next().unwrap_or_else(|| {
            fail(&format!(
                "{}: the `declare_rule!` block ends before {what}",
                self.file.display()
            ))
        })
    }

    fn wrong(&self, what: &str, found: &Token) -> ! {
        fail(&format!(
            "{}: expected {what} in `declare_rule!`, found {found:?}; the form is \
             `pub struct Name = \"rule-name\", Severity, \"category\", \"fix hint\";`, \
             then `needs traffic;` for a rule that reads traffic figures, then `position N;`",
            self.file.display()
        ))
    }

    fn word(&mut self, word: &str) {
        let t = self.next(&format!("`{word}`"));
        if t != Token::Ident(word.into()) {
            self.wrong(&format!("`{word}`"), &t);
        }
    }

    fn ident(&mut self, what: &str) -> String {
        match self.next(what) {
            Token::Ident(s) => s,
            t => self.wrong(what, &t),
        }
    }

    fn string(&mut self, what: &str) -> String {
        match self.next(what) {
            Token::Str(s) => s,
            t => self.wrong(&format!("{what} as a string"), &t),
        }
    }

    fn punct(&mut self, c: char) {
        let t = self.next(&format!("`{c}`"));
        if t != Token::Punct(c) {
            self.wrong(&format!("`{c}`"), &t);
        }
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Int(u32),
    Punct(char),
}

/// The tokens of a `declare_rule!` block, up to and including its closing
/// brace; `//` comments (the rule's doc comment) are skipped.
fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err("a string literal is not closed".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e) => {
                                s.push('\\');
                                s.push(e);
                            }
                            None => return Err("a string literal is not closed".into()),
                        },
                        Some(c) => s.push(c),
                    }
                }
                out.push(Token::Str(s));
            }
            c if c.is_ascii_digit() => {
                let mut s = String::from(c);
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    s.push(*d);
                    chars.next();
                }
                let n = s
                    .parse()
                    .map_err(|_| format!("the number {s} is too large"))?;
                out.push(Token::Int(n));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut s = String::from(c);
                while let Some(d) = chars.peek().filter(|d| d.is_alphanumeric() || **d == '_') {
                    s.push(*d);
                    chars.next();
                }
                out.push(Token::Ident(s));
            }
            '}' => {
                out.push(Token::Punct('}'));
                return Ok(out);
            }
            c => out.push(Token::Punct(c)),
        }
    }
    Err("the `declare_rule!` block is not closed".into())
}
