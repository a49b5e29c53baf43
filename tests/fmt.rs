#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! `archc fmt`: idempotent, keeps every comment, and never changes what a
//! design means (the dumped model is identical before and after).

use std::path::PathBuf;

fn inputs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["examples", "tests/fixtures/parse"] {
        for e in std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "arch") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

fn dump(source: &str) -> serde_json::Value {
    let c = archc::compile(
        source,
        &archc::BuildOptions {
            default_name: "x".into(),
            ..Default::default()
        },
    );
    archc::model::dump::to_value(&c.model.unwrap())
}

#[test]
fn formatting_is_idempotent_and_keeps_meaning_and_comments() {
    for path in inputs() {
        let src = std::fs::read_to_string(&path).unwrap();
        let once = archc::fmt::format(&src).unwrap();
        let twice = archc::fmt::format(&once).unwrap();
        assert_eq!(
            once,
            twice,
            "{}: formatting twice changes the file",
            path.display()
        );
        assert_eq!(
            dump(&src),
            dump(&once),
            "{}: formatting changed the model",
            path.display()
        );
        let comments = |s: &str| {
            let mut v: Vec<String> = archc::syntax::parse(s)
                .0
                .comments
                .iter()
                .map(|c| c.text.trim().to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            comments(&src),
            comments(&once),
            "{}: comments lost or duplicated",
            path.display()
        );
    }
}

#[test]
fn canonical_layout() {
    let src = "client   users\nservice web {replicas=2;capacity=800/s}\n\n\n\ndatabase db {\nreplicas = 1\n  engine=postgres # the store\n}\nusers->web->db [ read ,write 10% ]\n";
    let want = "client users\nservice web { replicas = 2  capacity = 800/s }\n\ndatabase db {\n  replicas = 1\n  engine   = postgres  # the store\n}\nusers -> web -> db  [read, write 10%]\n";
    assert_eq!(archc::fmt::format(src).unwrap(), want);
}

#[test]
fn syntax_errors_are_returned_not_formatted() {
    let errs = archc::fmt::format("service web {").unwrap_err();
    assert_eq!(errs[0].rule, "syntax");
}

#[test]
fn check_mode_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.arch");
    std::fs::write(&path, "client users\nservice   web\nusers->web\n").unwrap();
    let bin = env!("CARGO_BIN_EXE_archc");
    let check = std::process::Command::new(bin)
        .args(["fmt", "--check"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "client users\nservice   web\nusers->web\n",
        "--check changes nothing"
    );
    let fix = std::process::Command::new(bin)
        .arg("fmt")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(fix.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "client users\nservice web\nusers -> web\n"
    );
    let again = std::process::Command::new(bin)
        .args(["fmt", "--check"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    std::fs::write(&path, "service web {").unwrap();
    let bad = std::process::Command::new(bin)
        .arg("fmt")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "service web {",
        "a file with a syntax error is left untouched"
    );
}

#[test]
fn imports_move_first_with_their_comments() {
    let src = "system s\n\nservice web\n\n# the platform's datacenters\nimport \"p.arch\"\nweb -> db\nimport \"q.arch\"  # shared\n";
    let once = archc::fmt::format(src).unwrap();
    assert_eq!(
        once,
        "system s\n\n# the platform's datacenters\nimport \"p.arch\"\nimport \"q.arch\"  # shared\n\nservice web\n\nweb -> db\n"
    );
    assert_eq!(archc::fmt::format(&once).unwrap(), once);
}

#[test]
fn a_design_is_formatted_with_the_files_it_imports() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    let main = dir.path().join("main.arch");
    std::fs::write(
        &main,
        "system s\nimport \"lib/a.arch\"\nimport \"lib/b.arch\"\nclient   users\n",
    )
    .unwrap();
    // b imports a too: a is formatted once.
    std::fs::write(
        dir.path().join("lib/a.arch"),
        "template   t { timeout = 2s }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lib/b.arch"),
        "import \"a.arch\"\nservice web :t\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(["fmt", "main.arch"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "formatted main.arch\nformatted lib/a.arch\nformatted lib/b.arch\n"
    );
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    assert_eq!(
        read("main.arch"),
        "system s\nimport \"lib/a.arch\"\nimport \"lib/b.arch\"\nclient users\n"
    );
    assert_eq!(read("lib/a.arch"), "template t { timeout = 2s }\n");
    assert_eq!(read("lib/b.arch"), "import \"a.arch\"\nservice web : t\n");
}

/// Fuzzing found these (docs/fuzzing.md): imports sharing a line with other
/// statements made the hoisting slice backwards (a panic) or move the
/// other statements with them, forever.
#[test]
fn imports_sharing_a_line_with_statements_are_hoisted_once() {
    for (src, want) in [
        (
            "client u import \"a.arch\" import \"b.arch\"\n",
            "import \"a.arch\"\nimport \"b.arch\"\nclient u\n",
        ),
        (
            "client u import \"a.arch\"\n",
            "import \"a.arch\"\nclient u\n",
        ),
        (
            "system s import \"x.arch\" client u import \"y.arch\"\n",
            "system s\nimport \"x.arch\"\nimport \"y.arch\"\nclient u\n",
        ),
    ] {
        let once = archc::fmt::format(src).unwrap();
        assert_eq!(once, want, "{src:?}");
        assert_eq!(
            archc::fmt::format(&once).unwrap(),
            once,
            "idempotent: {src:?}"
        );
    }
}
