//! `archc completions SHELL` (CLI.md 0.2): the bash script is loaded into a
//! real bash and asked to complete, the others name every verb.

use std::process::Command;

fn completions(shell: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_archc"))
        .args(["completions", shell])
        .output()
        .expect("archc runs")
}

#[test]
fn bash_completes_verbs_and_flags() {
    let out = completions("bash");
    assert!(out.status.success());
    let script = String::from_utf8(out.stdout).expect("UTF-8");
    // Ask bash what `archc ch<TAB>` and `archc check --fo<TAB>` offer.
    let probe = format!(
        "{script}\n\
         COMP_WORDS=(archc ch); COMP_CWORD=1; COMP_LINE='archc ch'; COMP_POINT=8\n\
         _archc archc ch archc; echo \"verbs: ${{COMPREPLY[*]}}\"\n\
         COMP_WORDS=(archc check --fo); COMP_CWORD=2; COMP_LINE='archc check --fo'; COMP_POINT=16\n\
         _archc archc --fo check; echo \"flags: ${{COMPREPLY[*]}}\"\n"
    );
    let run = Command::new("bash")
        .args(["--norc", "-c", &probe])
        .output()
        .expect("bash runs");
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let verbs = said
        .lines()
        .find(|l| l.starts_with("verbs:"))
        .expect("verbs line");
    assert_eq!(verbs, "verbs: check", "{said}");
    let flags = said
        .lines()
        .find(|l| l.starts_with("flags:"))
        .expect("flags line");
    assert!(flags.contains("--format"), "{said}");
}

#[test]
fn every_shell_names_every_verb() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = completions(shell);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for verb in [
            "check",
            "dump",
            "fmt",
            "graph",
            "explain",
            "estimate",
            "build",
            "simulate",
            "lsp",
            "completions",
        ] {
            assert!(script.contains(verb), "{shell} lacks `{verb}`");
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = completions("tcsh");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tcsh") && err.contains("bash"), "{err}");
}
