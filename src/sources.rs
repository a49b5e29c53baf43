//! A design's files: loading a file and everything it imports (LANGUAGE.md
//! §11), and the source map that says which file holds a span.
//!
//! The library does no I/O. The caller hands [`load`] a [`Loader`] that
//! reads one file by path: the CLI reads from disk, the language server
//! from its open buffers, tests from memory. Paths are strings with `/` as
//! separator, resolved lexically (`a/./b/../c` is `a/c`); a design names a
//! file by the path the root was given by, joined with each import.
//!
//! Every file is parsed once, then shifted to its own base in one offset
//! space (file `i` occupies `base_i .. base_i + len_i`, with one byte between
//! files), so a [`Span`] alone says which file holds it and the rest of the
//! pipeline is unchanged from a single file. The files' items are merged
//! into one tree, each import's items in place of its `import` line (the
//! first time the file is imported; a diamond loads it once).

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};
use crate::syntax::{self, ast};

/// Reads one file of a design.
pub trait Loader {
    /// The text of the file at `path`, or why it cannot be read (the
    /// message is shown after the path: `no such file`, `not UTF-8`).
    fn read(&self, path: &str) -> Result<String, String>;
}

impl<F: Fn(&str) -> Result<String, String>> Loader for F {
    fn read(&self, path: &str) -> Result<String, String> {
        self(path)
    }
}

/// Where imports may lead (LANGUAGE.md §11: the root folder rule).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportRules {
    /// Folders outside the root file's folder that imports may read
    /// (`[imports] roots` in `archc.toml`), as paths in the same form as
    /// the root's (both relative to one folder, or both absolute).
    pub roots: Vec<String>,
    /// The folder relative paths are relative to, when roots or imports
    /// are absolute; `None` compares paths as written.
    pub cwd: Option<String>,
}

/// One file of a design.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// The file's path as the design names it (the root as given, imports
    /// joined to the importing file's folder).
    pub name: String,
    pub text: String,
    /// Where the file starts in the design's offset space.
    pub base: usize,
}

/// The files of a design and the offset space their spans share.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceMap {
    pub files: Vec<Source>,
}

impl SourceMap {
    fn add(&mut self, name: String, text: String) -> usize {
        let base = self.files.last().map_or(0, |f| f.base + f.text.len() + 1);
        self.files.push(Source { name, text, base });
        self.files.len() - 1
    }

    /// The index of the file holding `offset`.
    pub fn file_of(&self, offset: usize) -> usize {
        self.files
            .partition_point(|f| f.base <= offset)
            .saturating_sub(1)
    }

    /// The file holding `span`, and the span in that file's own offsets.
    pub fn locate(&self, span: Span) -> (usize, Span) {
        let i = self.file_of(span.start);
        let base = self.files.get(i).map_or(0, |f| f.base);
        let len = self.files.get(i).map_or(0, |f| f.text.len());
        let start = span.start - base;
        let end = (span.end.saturating_sub(base)).clamp(start, len.max(start));
        (i, Span::new(start, end))
    }

    /// The name of the file holding `span`.
    pub fn name_of(&self, span: Span) -> &str {
        self.files
            .get(self.file_of(span.start))
            .map_or("", |f| f.name.as_str())
    }

    /// Splits a design's diagnostics by the file that holds each primary
    /// span, with every span made local to its file. A related span in
    /// another file keeps its file's name in [`crate::diagnostic::Label::file`].
    pub fn split(&self, diags: Vec<Diagnostic>) -> Vec<Vec<Diagnostic>> {
        let mut out = vec![Vec::new(); self.files.len().max(1)];
        // One file at base 0: nothing to move (a design of 100,000
        // components has that many findings to leave where they are).
        if self.files.len() <= 1 {
            out[0] = diags;
            return out;
        }
        for mut d in diags {
            let (i, primary) = self.locate(d.primary.span);
            d.primary.span = primary;
            for r in &mut d.related {
                let (j, local) = self.locate(r.span);
                r.span = local;
                if j != i {
                    r.file = self.files.get(j).map(|f| f.name.clone());
                }
            }
            let last = out.len() - 1;
            out[i.min(last)].push(d);
        }
        out
    }
}

/// A design loaded: its files, the merged tree, and the problems found
/// while loading and parsing (each located in its own file).
#[derive(Debug)]
pub struct Loaded {
    pub sources: SourceMap,
    pub file: ast::File,
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads the design rooted at `root` (whose text is `text`, already read by
/// the caller), reading every file it imports through `loader`.
pub fn load(root: &str, text: String, loader: &dyn Loader, rules: &ImportRules) -> Loaded {
    let mut l = Loading {
        loader,
        rules,
        root_dir: parent(&normalize(root)),
        sources: SourceMap::default(),
        file: ast::File::default(),
        diagnostics: Vec::new(),
        stack: Vec::new(),
    };
    let i = l.sources.add(root.to_string(), text);
    l.visit(i);
    Loaded {
        sources: l.sources,
        file: l.file,
        diagnostics: l.diagnostics,
    }
}

struct Loading<'a> {
    loader: &'a dyn Loader,
    rules: &'a ImportRules,
    root_dir: String,
    sources: SourceMap,
    file: ast::File,
    diagnostics: Vec<Diagnostic>,
    /// The files being loaded, outermost first, for cycles.
    stack: Vec<usize>,
}

impl Loading<'_> {
    /// Parses file `i` and appends its items, each import's in its place.
    fn visit(&mut self, i: usize) {
        self.stack.push(i);
        let base = self.sources.files[i].base;
        let (mut parsed, mut diags) = syntax::parse(&self.sources.files[i].text);
        syntax::shift::file(&mut parsed, base);
        for d in &mut diags {
            syntax::shift::diagnostic(d, base);
        }
        self.diagnostics.append(&mut diags);
        if self.file.comments.is_empty() {
            self.file.comments = std::mem::take(&mut parsed.comments);
        } else {
            self.file.comments.append(&mut parsed.comments);
        }
        // A file that imports nothing, first in the tree (a design of one
        // file): its items are the tree, moved rather than copied one by one.
        let plain = |i: &ast::Item| !matches!(i, ast::Item::Import(_) | ast::Item::System(_));
        if self.file.items.is_empty()
            && (i == 0 || parsed.items.iter().all(plain))
            && !parsed
                .items
                .iter()
                .any(|i| matches!(i, ast::Item::Import(_)))
        {
            self.file.items = parsed.items;
            self.stack.pop();
            return;
        }
        for item in parsed.items {
            match item {
                ast::Item::Import(imp) => {
                    if let Some((j, true)) = self.import(i, &imp) {
                        self.visit(j);
                    }
                    self.file.items.push(ast::Item::Import(imp));
                }
                ast::Item::System(s) if i != 0 => {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::SystemInImport,
                            s.span,
                            "a `system` line in an imported file",
                        )
                        .label("only the design's own file names the system")
                        .help(format!(
                            "remove this line; the `system` line belongs in `{}`",
                            self.sources.files[0].name
                        )),
                    );
                }
                other => self.file.items.push(other),
            }
        }
        self.stack.pop();
    }

    /// Resolves one import of file `from`: the file's index, added to the
    /// map (unloaded) when new, and whether it is new; `None` after
    /// reporting why it cannot be.
    fn import(&mut self, from: usize, imp: &ast::Import) -> Option<(usize, bool)> {
        let here = &self.sources.files[from].name;
        if imp.path.is_empty() {
            self.diagnostics.push(
                Diagnostic::error(Code::UnreadableFile, imp.path_span, "an empty import path")
                    .label("no file named")
                    .help("name a file: `import \"platform/common.arch\"`"),
            );
            return None;
        }
        let absolute = imp.path.starts_with('/');
        let path = resolve(here, &imp.path);
        if path.is_empty() || path == "/" {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::UnreadableFile,
                    imp.path_span,
                    format!("`{}` names a folder, not a file", imp.path),
                )
                .label("a folder")
                .help("import one `.arch` file: `import \"platform/common.arch\"`"),
            );
            return None;
        }
        if (absolute || !self.inside(&path, &self.root_dir)) && !self.allowed(&path) {
            let why = if absolute {
                "an absolute import path".to_string()
            } else {
                format!("`{}` is outside the design's folder", imp.path)
            };
            let folder = if self.root_dir.is_empty() {
                ".".to_string()
            } else {
                self.root_dir.clone()
            };
            self.diagnostics.push(
                Diagnostic::error(Code::ImportOutsideRoot, imp.path_span, why)
                    .label("outside the design's folder")
                    .help(format!(
                        "import files below `{folder}`, or list the folder that holds `{path}` under `[imports] roots` in archc.toml"
                    )),
            );
            return None;
        }
        if let Some(j) = self
            .sources
            .files
            .iter()
            .position(|f| normalize(&f.name) == path)
        {
            if let Some(pos) = self.stack.iter().position(|&s| s == j) {
                let mut chain: Vec<&str> = self.stack[pos..]
                    .iter()
                    .map(|&s| self.sources.files[s].name.as_str())
                    .collect();
                chain.push(&path);
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::ImportCycle,
                        imp.path_span,
                        format!("imports form a cycle: {}", chain.join(" → ")),
                    )
                    .label("closes the cycle")
                    .help("move what both files need into a third file that both import"),
                );
                return None;
            }
            // A diamond: loaded once already.
            return Some((j, false));
        }
        match self.loader.read(&path) {
            Ok(text) => Some((self.sources.add(path, text), true)),
            Err(why) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::UnreadableFile,
                        imp.path_span,
                        format!("cannot read `{path}`: {why}"),
                    )
                    .label("imported here")
                    .help("check the path: it is relative to the importing file's folder"),
                );
                None
            }
        }
    }

    fn absolute(&self, path: &str) -> String {
        match &self.rules.cwd {
            Some(cwd) if !path.starts_with('/') => normalize(&join(cwd, path)),
            _ => path.to_string(),
        }
    }

    /// Whether `path` lies in `dir` (lexically).
    fn inside(&self, path: &str, dir: &str) -> bool {
        let (path, dir) = (self.absolute(path), self.absolute(dir));
        if path.split('/').next() == Some("..") {
            return false;
        }
        if dir.is_empty() {
            return !path.starts_with('/');
        }
        path.strip_prefix(&dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            || dir == "/"
    }

    /// Whether `path` lies in one of the folders listed under
    /// `[imports] roots`.
    fn allowed(&self, path: &str) -> bool {
        self.rules
            .roots
            .iter()
            .any(|r| self.inside(path, &normalize(r)))
    }
}

/// Which of `files` (name, text) another of them imports directly, by
/// name: the rest are a folder's designs (`archc check DIR`). Each file is
/// parsed on its own; one that does not parse imports nothing.
pub fn imported(files: &[(&str, &str)]) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    // A file without the word imports nothing, and is not parsed.
    for (name, text) in files.iter().filter(|(_, t)| t.contains("import")) {
        let (parsed, _) = syntax::parse(text);
        for item in &parsed.items {
            if let ast::Item::Import(imp) = item {
                out.insert(resolve(name, &imp.path));
            }
        }
    }
    // Names compared as the loader would write them.
    files
        .iter()
        .filter(|(n, _)| out.contains(&normalize(n)))
        .map(|(n, _)| n.to_string())
        .collect()
}

/// The file an `import "PATH"` in the file `from` names: an absolute path
/// as written, a relative one from `from`'s folder; normalized.
pub fn resolve(from: &str, path: &str) -> String {
    if path.starts_with('/') {
        normalize(path)
    } else {
        normalize(&join(&parent(&normalize(from)), path))
    }
}

/// The path's folder (`a/b` for `a/b/c.arch`, empty for `c.arch`).
fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => path[..i].to_string(),
        None => String::new(),
    }
}

fn join(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        path.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{path}")
    } else {
        format!("{dir}/{path}")
    }
}

/// `a/./b/../c` is `a/c`; a `..` that climbs above the start is kept
/// (`../x`), so a path outside its folder still says so. Backslashes are
/// separators too, so a path written on Windows means the same file.
pub fn normalize(path: &str) -> String {
    let path = path.replace('\\', "/");
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn files(list: &[(&str, &str)]) -> HashMap<String, String> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load_from(fs: &HashMap<String, String>, root: &str, rules: &ImportRules) -> Loaded {
        let reader = |p: &str| fs.get(p).cloned().ok_or_else(|| "no such file".to_string());
        load(root, fs[root].clone(), &reader, rules)
    }

    #[test]
    fn normalizes_lexically() {
        assert_eq!(normalize("a/./b/../c.arch"), "a/c.arch");
        assert_eq!(normalize("../x/../../y"), "../../y");
        assert_eq!(normalize("/a/../../b"), "/b");
        assert_eq!(normalize("a\\b"), "a/b");
    }

    #[test]
    fn a_diamond_is_loaded_once_and_spans_find_their_file() {
        let fs = files(&[
            (
                "d/top.arch",
                "system s\nimport \"a.arch\"\nimport \"b.arch\"\n",
            ),
            ("d/a.arch", "import \"lib/c.arch\"\nservice a\n"),
            ("d/b.arch", "import \"lib/c.arch\"\nservice b\n"),
            ("d/lib/c.arch", "service c\n"),
        ]);
        let l = load_from(&fs, "d/top.arch", &ImportRules::default());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let names: Vec<&str> = l.sources.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["d/top.arch", "d/a.arch", "d/lib/c.arch", "d/b.arch"]
        );
        let decls: Vec<(String, String)> = l
            .file
            .items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Declaration(d) => Some((
                    d.name.name.clone(),
                    l.sources.name_of(d.name.span).to_string(),
                )),
                _ => None,
            })
            .collect();
        // c is placed where it was first imported, before a.
        assert_eq!(
            decls,
            [
                ("c".into(), "d/lib/c.arch".into()),
                ("a".into(), "d/a.arch".into()),
                ("b".into(), "d/b.arch".into())
            ]
        );
        let c = l.file.items.iter().find_map(|i| match i {
            ast::Item::Declaration(d) if d.name.name == "c" => Some(d.name.span),
            _ => None,
        });
        let (file, local) = l.sources.locate(c.unwrap());
        assert_eq!(file, 2);
        assert_eq!(&fs["d/lib/c.arch"][local.start..local.end], "c");
    }

    #[test]
    fn a_cycle_shows_its_chain_at_the_closing_import() {
        let fs = files(&[
            ("a.arch", "system s\nimport \"b.arch\"\n"),
            ("b.arch", "import \"c.arch\"\n"),
            ("c.arch", "import \"a.arch\"\n"),
        ]);
        let l = load_from(&fs, "a.arch", &ImportRules::default());
        assert_eq!(l.diagnostics.len(), 1);
        let d = &l.diagnostics[0];
        assert_eq!(d.rule, "import-cycle");
        assert!(
            d.message.contains("a.arch → b.arch → c.arch → a.arch"),
            "{}",
            d.message
        );
        assert_eq!(l.sources.name_of(d.primary.span), "c.arch");
    }

    #[test]
    fn climbing_out_needs_a_listed_root() {
        let fs = files(&[
            (
                "team/app.arch",
                "system s\nimport \"../platform/dc.arch\"\n",
            ),
            (
                "platform/dc.arch",
                "datacenter us { region = \"us-east-1\" }\n",
            ),
        ]);
        let l = load_from(&fs, "team/app.arch", &ImportRules::default());
        assert_eq!(l.diagnostics.len(), 1);
        assert_eq!(l.diagnostics[0].rule, "import-outside-root");
        let rules = ImportRules {
            roots: vec!["platform".into()],
            cwd: None,
        };
        let l = load_from(&fs, "team/app.arch", &rules);
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let abs = files(&[("app.arch", "import \"/etc/passwd\"\n")]);
        let l = load_from(&abs, "app.arch", &ImportRules::default());
        assert_eq!(l.diagnostics[0].rule, "import-outside-root");
    }

    #[test]
    fn system_in_an_import_and_a_missing_file_are_located() {
        let fs = files(&[
            (
                "app.arch",
                "system s\nimport \"lib.arch\"\nimport \"gone.arch\"\n",
            ),
            ("lib.arch", "system other\n"),
        ]);
        let l = load_from(&fs, "app.arch", &ImportRules::default());
        let rules: Vec<(&str, &str)> = l
            .diagnostics
            .iter()
            .map(|d| (d.rule.as_str(), l.sources.name_of(d.primary.span)))
            .collect();
        assert_eq!(
            rules,
            [
                ("system-in-import", "lib.arch"),
                ("unreadable-file", "app.arch")
            ]
        );
    }
}
