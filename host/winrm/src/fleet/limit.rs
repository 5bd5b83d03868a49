//! `--limit PATTERN` with Ansible's host pattern semantics (`inventory/manager.py`):
//! terms separated by `,` (or `:`), `&term` intersects, `!term` excludes, a term names a
//! host, a group (all its hosts, children included) or a shell glob (`*`, `?`, `[..]`)
//! over both. Regular terms apply first, then intersections, then exclusions; the result
//! keeps inventory order. Stricter than Ansible in one way: a term that matches nothing
//! is an error (Ansible warns and goes on), so a typo cannot shrink a compliance scan.

/// A group and every host it holds (directly or through children).
pub type GroupHosts = (String, Vec<String>);

/// Selects the hosts `pattern` names. `hosts` is every host in inventory order; returns a
/// subsequence of it.
pub fn select(
    pattern: &str,
    hosts: &[String],
    groups: &[GroupHosts],
) -> Result<Vec<String>, String> {
    let terms = split(pattern);
    if terms.is_empty() {
        return Err(format!("--limit {pattern:?} names no hosts"));
    }
    let (mut regular, mut and, mut not) = (Vec::new(), Vec::new(), Vec::new());
    for t in &terms {
        if let Some(t) = t.strip_prefix('&') {
            and.push(t);
        } else if let Some(t) = t.strip_prefix('!') {
            not.push(t);
        } else {
            regular.push(t.as_str());
        }
    }
    if regular.is_empty() {
        regular.push("all");
    }
    let mut picked: Vec<&str> = Vec::new();
    for t in regular {
        for h in matches(t, hosts, groups)? {
            if !picked.contains(&h) {
                picked.push(h);
            }
        }
    }
    for t in and {
        let m = matches(t, hosts, groups)?;
        picked.retain(|h| m.contains(h));
    }
    for t in not {
        let m = matches(t, hosts, groups)?;
        picked.retain(|h| !m.contains(h));
    }
    let out: Vec<String> = hosts
        .iter()
        .filter(|h| picked.contains(&h.as_str()))
        .cloned()
        .collect();
    if out.is_empty() {
        return Err(format!("--limit {pattern:?} leaves no hosts"));
    }
    Ok(out)
}

/// `split_host_pattern`: commas when there are any, else colons outside brackets.
fn split(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_owned).collect()
    } else {
        let mut out = vec![String::new()];
        let mut depth = 0;
        for c in pattern.chars() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
            match out.last_mut() {
                Some(cur) if c != ':' || depth > 0 => cur.push(c),
                _ => out.push(String::new()),
            }
        }
        out
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// `_enumerate_matches` for one term (without its `&`/`!`).
fn matches<'a>(
    term: &str,
    hosts: &'a [String],
    groups: &'a [GroupHosts],
) -> Result<Vec<&'a str>, String> {
    if term.starts_with('~') {
        return Err(format!(
            "--limit term {term:?}: regular expressions are not supported; use globs (ws*)"
        ));
    }
    if term.starts_with('@') {
        return Err(format!(
            "--limit term {term:?}: limit files are not supported"
        ));
    }
    if subscript(term) {
        return Err(format!(
            "--limit term {term:?}: subscripts (group[0], group[1:3]) are not supported"
        ));
    }
    if let Some(h) = hosts.iter().find(|h| *h == term) {
        return Ok(vec![h.as_str()]);
    }
    let mut out: Vec<&str> = Vec::new();
    let mut group_matched = false;
    for (g, members) in groups {
        if glob(term, g) {
            group_matched = true;
            out.extend(members.iter().map(String::as_str));
        }
    }
    if !group_matched || term.contains(['.', '?', '*', '[']) {
        out.extend(hosts.iter().filter(|h| glob(term, h)).map(String::as_str));
    }
    if out.is_empty() && !group_matched {
        return Err(format!(
            "--limit term {term:?} matches no group or host in the inventory"
        ));
    }
    Ok(out)
}

/// Ansible reads `name[3]`, `name[1:4]`, `name[2:]` and `name[1-4]` as subscripts.
fn subscript(term: &str) -> bool {
    let Some(body) = term.strip_suffix(']') else {
        return false;
    };
    let Some(open) = body.rfind('[') else {
        return false;
    };
    if open == 0 {
        return false;
    }
    let inner = &body[open + 1..];
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if digits(inner.strip_prefix('-').unwrap_or(inner)) {
        return true;
    }
    match inner.find([':', '-']) {
        Some(i) => digits(&inner[..i]) && inner[i + 1..].chars().all(|c| c.is_ascii_digit()),
        None => false,
    }
}

/// Python's `fnmatch` (as Ansible compiles it: case-sensitive, whole name): `*`, `?`,
/// `[seq]`, `[!seq]`; a `[` without a closing `]` is literal.
pub fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with one backtrack point for the last `*`.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => match class(&p[pi..], n[ni]) {
                Some((true, len)) => Some(len),
                Some((false, _)) => None,
                None if n[ni] == '[' => Some(1),
                None => None,
            },
            Some(&c) if c == n[ni] => Some(1),
            _ => None,
        };
        match step {
            Some(len) => {
                pi += len;
                ni += 1;
            }
            None => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A `[...]` class at the start of `p`: whether `c` is in it and the class's length;
/// `None` when there is no closing `]`.
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = p.get(i) == Some(&'!');
    if negate {
        i += 1;
    }
    // A `]` right after `[` or `[!` is a member.
    let start = i;
    if p.get(i) == Some(&']') {
        i += 1;
    }
    while p.get(i).is_some_and(|&x| x != ']') {
        i += 1;
    }
    if i >= p.len() {
        return None;
    }
    let set = &p[start..i];
    let mut hit = false;
    let mut j = 0;
    while j < set.len() {
        if j + 2 < set.len() && set[j + 1] == '-' {
            hit |= set[j] <= c && c <= set[j + 2];
            j += 3;
        } else {
            hit |= set[j] == c;
            j += 1;
        }
    }
    Some((hit != negate, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv() -> (Vec<String>, Vec<GroupHosts>) {
        let hosts: Vec<String> = ["ws01", "ws02", "db1", "dc1"].map(String::from).into();
        let g = |n: &str, m: &[&str]| (n.to_owned(), m.iter().map(|s| s.to_string()).collect());
        let groups = vec![
            g("all", &["ws01", "ws02", "db1", "dc1"]),
            g("ungrouped", &["dc1"]),
            g("web", &["ws01", "ws02"]),
            g("sql", &["db1", "ws02"]),
        ];
        (hosts, groups)
    }

    #[test]
    fn pattern_forms() {
        let (h, g) = inv();
        let sel = |p: &str| select(p, &h, &g).map(|v| v.join(" "));
        assert_eq!(sel("web").unwrap(), "ws01 ws02");
        assert_eq!(sel("db1").unwrap(), "db1");
        assert_eq!(
            sel("sql:web").unwrap(),
            "ws01 ws02 db1",
            "inventory order, not pattern order"
        );
        assert_eq!(sel("web:&sql").unwrap(), "ws02");
        assert_eq!(sel("all:!web").unwrap(), "db1 dc1");
        assert_eq!(sel("!web").unwrap(), "db1 dc1");
        assert_eq!(sel("ws*").unwrap(), "ws01 ws02");
        assert_eq!(sel("*").unwrap(), "ws01 ws02 db1 dc1");
        assert_eq!(sel("web, db1").unwrap(), "ws01 ws02 db1");
        assert_eq!(sel("d[bc]?").unwrap(), "db1 dc1");
        assert!(sel("nosuch")
            .unwrap_err()
            .contains("matches no group or host"));
        assert!(sel("web:&nosuch").is_err());
        assert!(sel("web:!web").unwrap_err().contains("leaves no hosts"));
        assert!(sel("~ws.*").unwrap_err().contains("regular expressions"));
        assert!(sel("web[0]").unwrap_err().contains("subscripts"));
    }

    #[test]
    fn fnmatch_like_python() {
        assert!(glob("ws*", "ws01"));
        assert!(!glob("ws*", "WS01"));
        assert!(glob("*1", "ws01"));
        assert!(glob("w?0[0-9]", "ws01"));
        assert!(glob("w[!a]01", "ws01"));
        assert!(!glob("w[!s]01", "ws01"));
        assert!(glob("a[b", "a[b"));
        assert!(glob("*.corp.*", "ws.corp.example"));
        assert!(!glob("ws", "ws01"));
    }
}
