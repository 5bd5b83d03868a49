//! No import circles (issue 17): within each crate of the repository, the modules that
//! name each other through `crate::`, `super::` or `self::` paths (in `use` lines and in
//! code) must form no cycle, so that data flows one way and a module can be read after
//! the ones it uses. Shared pieces belong in a module below both users.
//!
//! A parent naming its own children (`mod.rs` re-exporting or calling into its files) is
//! structure, not a dependency, and is not counted; a child naming its parent is. Test
//! modules (`#[cfg(test)]`, files named `tests.rs`) may use anything and are skipped. A
//! path is attributed to the deepest file module it reaches, so `super::Item` re-exported
//! by a `mod.rs` counts as a use of that `mod.rs`.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type ModPath = Vec<String>;

/// Cycles known and not yet broken: (crate `src` directory from the repository root, the
/// cycle as the test prints it). The test fails when one of these is gone, so the list
/// stays true.
const KNOWN: &[(&str, &str)] = &[];

#[test]
fn no_two_modules_of_a_crate_import_each_other() {
    let root = crate::common::repo();
    let root = root.as_path();
    let crates = crate_roots(root);
    assert!(crates.len() >= 7, "found only {crates:?}");
    let mut cycles = Vec::new();
    let mut known: BTreeSet<(String, String)> = KNOWN
        .iter()
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect();
    for src in &crates {
        let rel = src
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for cycle in cycles_in(src) {
            let names: Vec<String> = cycle.iter().map(display).collect();
            let key = (rel.clone(), names.join(" <-> "));
            if !known.remove(&key) {
                let (rel, names) = key;
                cycles.push(format!("{rel}: {names}"));
            }
        }
    }
    assert!(
        known.is_empty(),
        "no longer a cycle, remove it from KNOWN: {known:?}"
    );
    assert!(
        cycles.is_empty(),
        "modules that import each other (move what they share into a module below both):\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_check_sees_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("a")).unwrap();
    fs::write(src.join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    fs::write(src.join("a/mod.rs"), "mod c;\nuse crate::b::X;\n").unwrap();
    fs::write(src.join("a/c.rs"), "pub fn f() { super::super::b::g() }\n").unwrap();
    fs::write(
        src.join("b.rs"),
        "use crate::{x::Y, a::{c::f}};\n#[cfg(test)]\nmod tests {\n    use crate::a::Z;\n}\n",
    )
    .unwrap();
    let cycles = cycles_in(&src);
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    let names: BTreeSet<String> = cycles[0].iter().map(display).collect();
    assert_eq!(names, BTreeSet::from(["a::c".to_owned(), "b".to_owned()]));
}

fn display(m: &ModPath) -> String {
    if m.is_empty() {
        "crate".to_owned()
    } else {
        m.join("::")
    }
}

/// Every `src/` directory of a crate in the repository (the workspace, the guests, the
/// examples, the fuzz targets).
fn crate_roots(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with('.') || ["target", "node_modules", "tests", "benches"].contains(&&*name)
        {
            return;
        }
        if dir.join("Cargo.toml").is_file() && dir.join("src").is_dir() {
            out.push(dir.join("src"));
        }
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            // A symlinked crate (the guests' link to stig-formats) is checked where it lives.
            if e.file_type().is_ok_and(|t| t.is_dir()) && e.file_name() != "src" {
                walk(&e.path(), out);
            }
        }
    }
    walk(root, &mut out);
    out.sort();
    out
}

/// The cycles (strongly connected sets of two or more modules) of the crate under `src`.
fn cycles_in(src: &Path) -> Vec<Vec<ModPath>> {
    let modules = file_modules(src);
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (m, file) in &modules {
        let text = fs::read_to_string(file).unwrap();
        for path in paths_in(&without_tests(&text)) {
            let Some(abs) = absolute(m, &path) else {
                continue;
            };
            let Some(target) = (0..=abs.len())
                .rev()
                .map(|n| abs[..n].to_vec())
                .find(|p| modules.contains_key(p))
            else {
                continue;
            };
            // Itself, or a parent naming its own descendant: not a dependency.
            if target.starts_with(m) {
                continue;
            }
            edges.entry(m.clone()).or_default().insert(target);
        }
    }
    strongly_connected(&modules.keys().cloned().collect::<Vec<_>>(), &edges)
        .into_iter()
        .filter(|c| c.len() > 1)
        .collect()
}

/// Module path -> file, for every non-test `.rs` file under `src` (`lib.rs` is the root;
/// a `main.rs` beside it is its own crate and is left out).
fn file_modules(src: &Path) -> BTreeMap<ModPath, PathBuf> {
    let mut out = BTreeMap::new();
    fn walk(src: &Path, dir: &Path, out: &mut BTreeMap<ModPath, PathBuf>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(src, &p, out);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = p.strip_prefix(src).unwrap().with_extension("");
            let mut segs: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let last = segs.last().cloned().unwrap_or_default();
            if last == "tests" {
                continue;
            }
            if segs.len() == 1 && (last == "lib" || last == "main") {
                segs.clear();
            } else if last == "mod" {
                segs.pop();
            }
            out.insert(segs, p);
        }
    }
    walk(src, src, &mut out);
    if src.join("lib.rs").is_file() {
        out.insert(Vec::new(), src.join("lib.rs"));
    }
    out
}

/// The text with `#[cfg(test)]` items removed.
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("#[cfg(test)]") {
            for item in lines.by_ref() {
                if item.starts_with("#[") {
                    continue;
                }
                if item.trim_end().ends_with(';') {
                    break;
                }
                for body in lines.by_ref() {
                    if body == "}" {
                        break;
                    }
                }
                break;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every path that starts with `crate`, `super` or `self`, from `use` trees (braces
/// expanded) and from code, where code may also start a path with a name a `use` brought
/// in (`use crate::interp;` then `interp::powershell::run(..)`).
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let tokens = tokenize(code);
    let mut uses = Vec::new();
    let mut code_at = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "use" {
            let end = (i..tokens.len())
                .find(|&j| tokens[j] == ";")
                .unwrap_or(tokens.len());
            use_tree(&tokens[i + 1..end], &[], &mut uses);
            i = end + 1;
        } else {
            code_at.push(i);
            i += 1;
        }
    }
    let local = |p: &[String]| {
        matches!(
            p.first().map(String::as_str),
            Some("crate" | "super" | "self")
        )
    };
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in uses.iter().filter(|p| local(p)) {
        let mut p = p.clone();
        if p.len() > 1 && p.last().is_some_and(|l| l == "self") {
            p.pop();
        }
        if let Some(name) = p.last() {
            aliases.insert(name.clone(), p.clone());
        }
    }
    let mut out: Vec<Vec<String>> = uses.into_iter().filter(|p| local(p)).collect();
    let mut skip_to = 0;
    for i in code_at {
        if i < skip_to || tokens.get(i + 1).is_none_or(|n| n != "::") {
            continue;
        }
        let t = tokens[i].as_str();
        // `a::b` after `::` is the tail of a longer path, not its start.
        if i > 0 && tokens[i - 1] == "::" {
            continue;
        }
        let mut path = match t {
            "crate" | "super" | "self" => vec![t.to_owned()],
            _ => match aliases.get(t) {
                Some(p) => p.clone(),
                None => continue,
            },
        };
        let mut j = i + 1;
        while tokens.get(j).is_some_and(|n| n == "::")
            && tokens.get(j + 1).is_some_and(|n| is_ident(n))
        {
            path.push(tokens[j + 1].clone());
            j += 2;
        }
        skip_to = j;
        out.push(path);
    }
    out
}

/// Expands one `use` tree (`a::{b, c::{d}}`) into full paths under `prefix`.
fn use_tree(tokens: &[String], prefix: &[String], out: &mut Vec<Vec<String>>) {
    // Split at top-level commas.
    let mut depth = 0;
    let mut start = 0;
    let mut parts = Vec::new();
    for (k, t) in tokens.iter().enumerate() {
        match t.as_str() {
            "{" => depth += 1,
            "}" => depth -= 1,
            "," if depth == 0 => {
                parts.push(&tokens[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    for part in parts {
        let mut path = prefix.to_vec();
        let mut k = 0;
        while k < part.len() {
            match part[k].as_str() {
                "{" => {
                    let close = part.len() - 1 - part.iter().rev().position(|t| t == "}").unwrap();
                    use_tree(&part[k + 1..close], &path, out);
                    path.clear();
                    break;
                }
                "::" => {}
                "as" => break,
                t if is_ident(t) => path.push(t.to_owned()),
                _ => {}
            }
            k += 1;
        }
        if !path.is_empty() {
            out.push(path);
        }
    }
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && t.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Identifiers, `::`, and single punctuation characters; comments, string and character
/// literals dropped.
fn tokenize(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && at(i + 1) == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\'') or a lifetime ('a).
            if at(i + 1) == '\\' {
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if (word == "r" || word == "br") && matches!(at(i), '"' | '#') {
                // A raw string: r"..." or r#"..."#.
                let hashes = (i..).take_while(|&k| at(k) == '#').count();
                i += hashes + 1;
                while i < chars.len()
                    && !(chars[i] == '"' && (1..=hashes).all(|h| at(i + h) == '#'))
                {
                    i += 1;
                }
                i += hashes + 1;
            } else {
                out.push(word);
            }
        } else if c == ':' && at(i + 1) == ':' {
            out.push("::".to_owned());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// The path's segments from the crate root, seen from module `from`; `None` for paths
/// into other crates.
fn absolute(from: &ModPath, path: &[String]) -> Option<Vec<String>> {
    let mut abs: Vec<String>;
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            abs = Vec::new();
            rest = &path[1..];
        }
        Some("self") => {
            abs = from.clone();
            rest = &path[1..];
        }
        Some("super") => {
            abs = from.clone();
            while rest.first().is_some_and(|s| s == "super") {
                abs.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    abs.extend(rest.iter().cloned());
    Some(abs)
}

/// Tarjan's strongly connected components.
fn strongly_connected(
    nodes: &[ModPath],
    edges: &BTreeMap<ModPath, BTreeSet<ModPath>>,
) -> Vec<Vec<ModPath>> {
    struct State<'a> {
        edges: &'a BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<ModPath, usize>,
        low: BTreeMap<ModPath, usize>,
        stack: Vec<ModPath>,
        on_stack: BTreeSet<ModPath>,
        next: usize,
        out: Vec<Vec<ModPath>>,
    }
    fn visit(s: &mut State<'_>, v: &ModPath) {
        s.index.insert(v.clone(), s.next);
        s.low.insert(v.clone(), s.next);
        s.next += 1;
        s.stack.push(v.clone());
        s.on_stack.insert(v.clone());
        let targets: Vec<ModPath> = s
            .edges
            .get(v)
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default();
        for w in targets {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let lw = s.low[&w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(&w) {
                let iw = s.index[&w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = &w == v;
                component.push(w);
                if done {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}
