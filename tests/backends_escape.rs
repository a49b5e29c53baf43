#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! Escaping: no name or value from a design can break or inject into the
//! generated YAML, Compose interpolation, HCL or shell text.
//!
//! Each property writes an arbitrary string through a filter, parses the
//! result with an independent parser, and checks that what comes back is
//! the string itself — a literal, never an interpolation, a second key or
//! a second command. The last property runs whole designs with arbitrary
//! names, images and regions through both backends.

mod backends_common;

use archc::backends::Target;
use archc::backends::escape::{self, Namer, Style};
use backends_common::{build_source, yaml};
use hcl_edit::expr::Expression;
use hcl_edit::template::Element;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// Reads `a = <text>` back with hcl-edit and returns the string literal,
/// failing if the value holds any interpolation or directive.
fn hcl_literal(quoted: &str) -> Result<String, String> {
    let src = format!("a = {quoted}\n");
    let body = hcl_edit::parser::parse_body(&src).map_err(|e| format!("{e}\n{src}"))?;
    let attr = body.get_attribute("a").ok_or("no attribute")?;
    literal(&attr.value).map_err(|e| format!("{e} in {src}"))
}

/// The text of a string expression with no interpolation or directive.
fn literal(value: &Expression) -> Result<String, String> {
    match value {
        Expression::String(s) => Ok(s.value().clone()),
        Expression::StringTemplate(t) => {
            let mut out = String::new();
            for el in t.iter() {
                match el {
                    Element::Literal(l) => out.push_str(l.value()),
                    other => return Err(format!("template element {other:?}")),
                }
            }
            Ok(out)
        }
        other => Err(format!("not a string: {other:?}")),
    }
}

/// Compose's interpolation: `$$` is a literal `$`; `${…}` and `$NAME` are
/// variables. Returns the text Compose would use, or the variable it would
/// substitute.
fn compose_interpolate(s: &str) -> Result<String, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' {
            match chars.get(i + 1) {
                Some('$') => {
                    out.push('$');
                    i += 2;
                    continue;
                }
                Some('{') => return Err(format!("interpolation at {i} in {s:?}")),
                Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
                    return Err(format!("variable at {i} in {s:?}"));
                }
                _ => {}
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    Ok(out)
}

/// Strings that stress every format: quotes, escapes, template openers,
/// YAML indicators, line breaks and other control characters, non-ASCII.
fn nasty() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("${".to_string()),
        Just("%{".to_string()),
        Just("$${".to_string()),
        Just("$$".to_string()),
        Just("$VAR".to_string()),
        Just("}".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
        Just(": ".to_string()),
        Just("- ".to_string()),
        Just("#".to_string()),
        Just("&a *a !tag".to_string()),
        Just("\u{2028}\u{85}\u{feff}".to_string()),
        Just("\u{7f}\u{1}\u{1b}".to_string()),
        "[a-z]{1,4}",
        any::<String>(),
    ];
    prop::collection::vec(pieces, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn yaml_scalars_read_back_exactly(s in nasty()) {
        let text = format!("key: {}\nnext: 1\n", escape::yaml(&s));
        let v = yaml(&text);
        let obj = v.as_object().expect("a mapping");
        prop_assert_eq!(obj.len(), 2, "a second key leaked in: {}", text);
        prop_assert_eq!(obj["key"].as_str(), Some(s.as_str()));
    }

    #[test]
    fn compose_literals_are_never_interpolated(s in nasty()) {
        let text = format!("key: {}\n", escape::yaml(&escape::compose_literal(&s)));
        let v = yaml(&text);
        let raw = v["key"].as_str().expect("a string").to_string();
        prop_assert_eq!(compose_interpolate(&raw), Ok(s));
    }

    #[test]
    fn hcl_strings_read_back_exactly(s in nasty()) {
        prop_assert_eq!(hcl_literal(&escape::hcl(&s)), Ok(s));
    }

    #[test]
    fn comments_stay_on_their_line(s in nasty()) {
        let c = escape::comment(&s);
        let breaks = |ch: char| ch.is_control() || ch == '\u{2028}' || ch == '\u{2029}';
        prop_assert!(!c.chars().any(breaks), "a line break survived in {:?}", c);
        // In YAML and HCL alike the comment is followed by exactly what
        // comes after it.
        let v = yaml(&format!("# {c}\nkey: 1\n"));
        prop_assert_eq!(v, serde_json::json!({"key": 1}));
        let body = hcl_edit::parser::parse_body(&format!("# {c}\na = 1\n"));
        prop_assert!(body.is_ok_and(|b| b.len() == 1));
    }

    #[test]
    fn identifiers_fit_their_format(name in any::<String>(), max in 8usize..64) {
        let label = escape::ident(&name, Style::Label, max);
        let snake = escape::ident(&name, Style::Snake, max);
        let env = escape::ident(&name, Style::Env, max);
        prop_assert!(label.len() <= max && snake.len() <= max && env.len() <= max);
        prop_assert!(escape::is_yaml_key(&label) && !label.contains("--") && !label.ends_with('-'));
        prop_assert!(label.starts_with(|c: char| c.is_ascii_lowercase()));
        prop_assert!(escape::is_hcl_ident(&snake));
        prop_assert!(escape::is_env_name(&env));
        prop_assert!(escape::is_word(&label));
    }

    #[test]
    fn namer_never_hands_out_a_name_twice(names in prop::collection::vec(any::<String>(), 1..20)) {
        let mut namer = Namer::new(Style::Label, 30);
        let mut seen = BTreeSet::new();
        for n in &names {
            let id = namer.name(n);
            prop_assert!(escape::is_yaml_key(&id));
            prop_assert!(seen.insert(id));
        }
    }

    #[test]
    fn resource_names_fit_aws_limits(parts in prop::collection::vec(any::<String>(), 1..4), max in 16usize..64) {
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        let n = escape::resource_name(&refs, max);
        prop_assert!(n.len() <= max);
        prop_assert!(!n.starts_with('-') && !n.ends_with('-') && !n.contains("--"));
        prop_assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }
}

proptest! {
    // Each case spawns a shell: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn shell_words_read_back_exactly(s in "[^\u{0}]{0,24}") {
        let word = escape::shell(&s);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s' {word}"))
            .output()
            .expect("sh runs");
        prop_assert!(out.status.success());
        prop_assert_eq!(String::from_utf8_lossy(&out.stdout).into_owned(), s);
    }
}

/// A string as a `.arch` string literal (only `\"`, `\\`, `\n`, `\t`).
fn arch_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text a `.arch` string can hold: anything but a raw carriage return
/// (the lexer ends a string at a line break).
fn arch_text() -> impl Strategy<Value = String> {
    nasty().prop_map(|s| s.replace('\r', ""))
}

fn arch_ident() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9_]{0,6}(-[a-zA-Z0-9_]{1,6})?"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Whole designs with arbitrary names and strings: both backends build,
    /// every file parses, and the image comes back as written.
    #[test]
    fn designs_with_arbitrary_names_build_to_parseable_files(
        system in arch_text(),
        dc in arch_ident(),
        region in arch_text(),
        lb in arch_ident(),
        web in arch_ident(),
        db in arch_ident(),
        loose in arch_ident(),
        image in arch_text(),
    ) {
        let names = [&lb, &web, &db, &dc, &"users".to_string()];
        let distinct: BTreeSet<&String> = names.iter().copied().collect();
        prop_assume!(distinct.len() == names.len());
        prop_assume!(!loose.is_empty() && !names.iter().any(|n| **n == loose));
        let source = format!(
            "system {sys}\n\
             traffic {{ rate = 100/s }}\n\
             datacenter {dc} {{ region = {region} }}\n\
             client users\n\
             lb {lb}\n\
             service {web} {{ image = {image} }}\n\
             database {db} {{ replicas = 1 }}\n\
             cache {loose_name} {{ engine = redis  replicas = 2 }}\n\
             users -> {lb} -> {web}\n\
             {web} -> {db}\n",
            sys = arch_string(&system),
            region = arch_string(&region),
            image = arch_string(&image),
            // Component names are identifiers (docs/language.md); strings
            // still reach the outputs through the system, region and image.
            loose_name = loose,
        );
        let compiled = archc::compile(&source, &archc::BuildOptions::default());
        // Names the language itself rejects (keywords, say) are not the
        // backends' business.
        prop_assume!(compiled.model.is_some());

        let compose = build_source(&source, "prop.arch", Target::Compose, None)
            .map_err(TestCaseError::fail)?;
        let mut images = Vec::new();
        for f in &compose {
            prop_assert!(archc::backends::is_generated(&f.contents), "{} lacks the header", f.path);
            if f.path.ends_with(".yaml") || f.path.ends_with(".yml") {
                let v = yaml(&f.contents);
                if f.path.ends_with("compose.yaml") {
                    for (_, svc) in v["services"].as_object().expect("services") {
                        let raw = svc["image"].as_str().expect("image").to_string();
                        images.push(compose_interpolate(&raw).map_err(TestCaseError::fail)?);
                    }
                }
            }
        }
        prop_assert!(images.contains(&image), "image {:?} not among {:?}", image, images);

        let tf = build_source(&source, "prop.arch", Target::Terraform, None)
            .map_err(TestCaseError::fail)?;
        let mut defaults = Vec::new();
        for f in &tf {
            let body = hcl_edit::parser::parse_body(&f.contents)
                .map_err(|e| TestCaseError::fail(format!("{}: {e}\n{}", f.path, f.contents)))?;
            for block in body.get_blocks("variable") {
                let Some(d) = block.body.get_attribute("default") else { continue };
                if matches!(d.value, Expression::String(_) | Expression::StringTemplate(_)) {
                    defaults.push(literal(&d.value).map_err(TestCaseError::fail)?);
                }
            }
        }
        prop_assert!(defaults.contains(&image), "image {:?} not among {:?}", image, defaults);

        // Kubernetes, with the replication scripts of the replicated
        // database and cache in ConfigMaps: every file parses, and the
        // image comes back as written.
        let k8s = build_source(&source, "prop.arch", Target::Kubernetes, None)
            .map_err(TestCaseError::fail)?;
        let mut k8s_images = Vec::new();
        let mut scripts = 0;
        for f in &k8s {
            prop_assert!(archc::backends::is_generated(&f.contents), "{} lacks the header", f.path);
            let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&f.contents)
                .map_err(|e| TestCaseError::fail(format!("{}: {e}\n{}", f.path, f.contents)))?;
            for d in docs {
                scripts += d["data"].as_object().map_or(0, |m| m.len());
                for c in d["spec"]["template"]["spec"]["containers"].as_array().into_iter().flatten() {
                    k8s_images.push(c["image"].as_str().unwrap_or_default().to_string());
                }
            }
        }
        prop_assert!(scripts > 0, "no replication script was written");
        prop_assert!(k8s_images.contains(&image), "image {:?} not among {:?}", image, k8s_images);
        prop_assert!(defaults.contains(&region), "region {:?} not among {:?}", region, defaults);
    }
}

#[test]
fn the_yaml_parser_rejects_duplicate_keys() {
    // The compose checks rely on it: a duplicated key must not pass.
    assert!(serde_saphyr::from_str::<serde_json::Value>("a: 1\na: 2\n").is_err());
}

#[test]
fn hcl_escapes_both_template_openers() {
    assert_eq!(
        escape::hcl("${var.x} %{ if true }"),
        "\"$${var.x} %%{ if true }\""
    );
    // Runs of `$` before a brace: Terraform reads `"$$${x}"` as `$${x}`
    // (checked with `terraform console`), and so must hcl-edit.
    for s in ["${var.x}", "$${x}", "$$${x}", "%%{x}", "$%{x}", "${$${"] {
        assert_eq!(hcl_literal(&escape::hcl(s)), Ok(s.to_string()), "{s}");
    }
    // Without the escape the same text is an interpolation: the check above
    // would catch a filter that forgot it.
    assert!(hcl_literal("\"${var.x}\"").is_err());
}

/// Stub commands for the scripts under `templates/compose/`: each records
/// its name and arguments, one per line, so a test can read back the
/// words the shell passed.
fn stub_path(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for cmd in [
        "redis-server",
        "nats-server",
        "mc",
        "pg_basebackup",
        "postgres",
    ] {
        let path = bin.join(cmd);
        std::fs::write(
            &path,
            "#!/bin/sh\nprintf '%s\\n' \"$(basename \"$0\")\" \"$@\" >> \"$ARGS_OUT\"\nprintf -- '--\\n' >> \"$ARGS_OUT\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

proptest! {
    // Each case runs a shell per script: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// The scripts compose runs with `sh -c` (redis, the postgres replica,
    /// nats, the minio bucket job), for designs with arbitrary names: each
    /// runs, and the service names reach their commands as whole words.
    #[test]
    fn compose_scripts_pass_names_as_whole_words(
        system in arch_text(),
        web in arch_ident(),
        db in arch_ident(),
        kv in arch_ident(),
        q in arch_ident(),
        st in arch_ident(),
        edge in arch_ident(),
    ) {
        let names = [&web, &db, &kv, &q, &st, &edge, &"users".to_string()];
        let distinct: BTreeSet<String> = names.iter().map(|n| n.to_lowercase().replace('_', "-")).collect();
        prop_assume!(distinct.len() == names.len());
        let source = format!(
            "system {sys}\n\
             traffic {{ rate = 100/s  static = 20% }}\n\
             client users\n\
             cdn {edge}\n\
             service {web}\n\
             database {db} {{ replicas = 1 }}\n\
             cache {kv} {{ engine = redis  replicas = 2 }}\n\
             queue {q} {{ engine = nats  replicas = 2 }}\n\
             storage {st} {{ engine = minio  replicas = 2 }}\n\
             users -> {edge} -> {st} [static]\n\
             users -> {web}\n\
             {web} -> {db}\n\
             {web} -> {kv}\n\
             {web} -> {q} [write]\n",
            sys = arch_string(&system),
        );
        let compiled = archc::compile(&source, &archc::BuildOptions::default());
        prop_assume!(compiled.model.is_some());
        let files = build_source(&source, "prop.arch", Target::Compose, None)
            .map_err(TestCaseError::fail)?;
        let project = files.iter().find(|f| f.path == "compose.yaml").expect("compose.yaml");
        let v = yaml(&project.contents);
        let dir = tempfile::tempdir().unwrap();
        let bin = stub_path(dir.path());
        let mut scripts = 0;
        for (name, svc) in v["services"].as_object().expect("services") {
            for slot in ["entrypoint", "command"] {
                let Some(args) = svc[slot].as_array() else { continue };
                if args.len() != 3 || args[0] != "sh" || args[1] != "-c" {
                    continue;
                }
                scripts += 1;
                let script = compose_interpolate(args[2].as_str().unwrap())
                    .map_err(TestCaseError::fail)?;
                let out = dir.path().join(format!("{name}.args"));
                let pgdata = dir.path().join(format!("{name}.pgdata"));
                std::fs::create_dir_all(&pgdata).unwrap();
                let run = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&script)
                    .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                    .env("ARGS_OUT", &out)
                    .env("PGDATA", &pgdata)
                    .output()
                    .expect("sh runs");
                prop_assert!(run.status.success(), "{name}: {script}\n{}", String::from_utf8_lossy(&run.stderr));
                let words: Vec<String> = std::fs::read_to_string(&out)
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_string)
                    .collect();
                // The word after a flag that names another service, or
                // this one, is exactly that service's name.
                let expect = |flag: &str| -> Option<String> {
                    words.iter().position(|w| w == flag).and_then(|i| words.get(i + 1).cloned())
                };
                let primary = name.rsplit_once("-replica-").map(|(p, _)| p.to_string());
                match words.first().map(String::as_str) {
                    Some("redis-server") => {
                        prop_assert_eq!(expect("--replicaof"), primary.clone(), "{}", script);
                    }
                    Some("pg_basebackup") => {
                        prop_assert_eq!(expect("-h"), primary.clone(), "{}", script);
                        prop_assert!(words.contains(&"postgres".to_string()), "{}", script);
                    }
                    Some("nats-server") => {
                        prop_assert_eq!(expect("--name"), Some(name.clone()), "{}", script);
                    }
                    Some("mc") => {
                        let bucket = name.trim_end_matches("-init");
                        prop_assert!(words.contains(&format!("local/{bucket}")), "{}", script);
                    }
                    other => prop_assert!(false, "{name}: unexpected command {other:?}: {script}"),
                }
                prop_assert!(services_named(&v, &words), "{name}: {words:?}");
            }
        }
        // redis primary + replica, postgres replica, 2 nats, minio job.
        prop_assert_eq!(scripts, 6, "{}", project.contents);
    }
}

/// Whether every `http://host:port` or `host:port` word names a service
/// of the project (no name was split or mangled on its way).
fn services_named(v: &serde_json::Value, words: &[String]) -> bool {
    let services = v["services"].as_object().expect("services");
    words.iter().all(|w| {
        let Some(rest) = w
            .strip_prefix("http://")
            .or_else(|| w.strip_prefix("nats://"))
        else {
            return true;
        };
        rest.split(',').all(|r| {
            let r = r.trim_start_matches("nats://");
            let host = r.split(':').next().unwrap_or_default();
            host == "0.0.0.0" || host.contains('{') || services.contains_key(host)
        })
    })
}
