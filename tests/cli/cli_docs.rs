//! Shell completions and man pages come from the parser's own definitions: bash itself
//! completes commands and options from the generated script, and `man` renders pages that
//! document every option `--help` lists.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::common::*;

fn have(tool: &str) -> bool {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is missing (CI=true)"
        );
        eprintln!("SKIP: {tool} not installed");
    }
    ok
}

/// What bash's programmable completion offers for the words typed so far.
fn bash_complete(script: &Path, words: &[&str]) -> BTreeSet<String> {
    let line = words.join(" ");
    let words_q: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prog = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{line}'\nCOMP_POINT={}\n_stigpack stigpack '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        words_q.join(" "),
        words.len() - 1,
        line.len(),
        words[words.len() - 1],
        words[words.len().saturating_sub(2)],
    );
    let o = Command::new("bash").arg("-c").arg(prog).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_commands_subcommands_and_options_from_the_generated_script() {
    if !have("bash") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let o = run(stigpack(work).args(["completions", "bash"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let script = work.join("stigpack.bash");
    std::fs::write(&script, &o.stdout).unwrap();

    let got = bash_complete(&script, &["stigpack", "export-"]);
    assert_eq!(
        got,
        BTreeSet::from(["export-ckl".to_string(), "export-emass".to_string()])
    );
    // Hidden commands are not offered.
    assert!(bash_complete(&script, &["stigpack", "dev"]).is_empty());
    let got = bash_complete(&script, &["stigpack", "component", "tr"]);
    assert!(got.contains("trust"), "{got:?}");
    let got = bash_complete(&script, &["stigpack", "fleet", "status", "--inv"]);
    assert!(got.contains("--inventory"), "{got:?}");
    // The shell's value list is the parser's: an unknown shell is refused.
    let o = run(stigpack(work).args(["completions", "tcsh"]));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn every_shell_gets_a_script_naming_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = run(stigpack(dir.path()).args(["completions", shell]));
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let text = stdout(&o);
        for cmd in [
            "export-emass",
            "fleet",
            "component",
            "seal",
            "verify",
            "audit",
        ] {
            assert!(text.contains(cmd), "{shell} script lacks {cmd}");
        }
    }
}

/// `--long` options in a text.
fn options_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("--") {
        let name: String = text[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if name.len() > 1 && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            out.insert(name);
        }
    }
    out
}

#[test]
fn man_pages_render_and_document_every_option_help_lists() {
    if !have("man") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let pages = work.join("man");
    let o = run(stigpack(work).args(["man", "--out"]).arg(&pages));
    assert!(o.status.success(), "{}", stderr(&o));
    for cmd in [
        vec!["export-emass"],
        vec!["fleet", "status"],
        vec!["component", "trust"],
        vec!["seal"],
        vec!["audit"],
    ] {
        let page = pages.join(format!("stigpack-{}.1", cmd.join("-")));
        let rendered = Command::new("man")
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "200")
            .env("LC_ALL", "C")
            .arg("-l")
            .arg(&page)
            .output()
            .unwrap();
        assert!(
            rendered.status.success(),
            "{}: {}",
            page.display(),
            stderr(&rendered)
        );
        let text = stdout(&rendered);
        assert!(
            text.contains("SYNOPSIS") || text.contains("Synopsis"),
            "{text}"
        );
        let help = run(stigpack(work).args(&cmd).arg("--help"));
        let listed = options_in(&stdout(&help));
        assert!(listed.contains("help"), "{:?}", listed);
        let documented = options_in(&text);
        let missing: Vec<_> = listed.difference(&documented).collect();
        assert!(
            missing.is_empty(),
            "{}: --help lists {missing:?} but the man page does not",
            cmd.join(" ")
        );
    }
    // The top page lists the commands; hidden ones are not documented.
    assert!(pages.join("stigpack.1").exists());
    assert!(!pages.join("stigpack-dev-gen-fleet.1").exists());
}
