//! Ansible's INI inventory dialect (`plugins/inventory/ini.py`), which no generic INI
//! crate reads: host lines are split like a POSIX shell (`shlex.split(comments=True)`),
//! every value (on host lines and in `[group:vars]`) goes through Python's
//! `ast.literal_eval` and stays a string when that fails, `[group:children]` may name
//! groups declared further down, and host names carry `[a:b]` ranges and `:port`.

use serde_json::{Map, Number, Value};

use super::model::{Model, Var, UNGROUPED};

/// Reads an INI inventory into `model`. Errors carry the line number.
pub fn parse(text: &str, model: &mut Model) -> Result<(), String> {
    struct Pending {
        line: usize,
        children_of: Vec<usize>,
        vars_only: bool,
    }
    let mut pending: Vec<(String, Pending)> = Vec::new();
    let mut group = UNGROUPED;
    let mut state = State::Hosts;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let at = |e: String| format!("line {n}: {e}");
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some((name, kind)) = section(line) {
            check_group_name(name).map_err(at)?;
            state = match kind {
                None | Some("hosts") => State::Hosts,
                Some("children") => State::Children,
                Some("vars") => State::Vars,
                Some(other) => {
                    return Err(at(format!(
                        "section [{name}:{other}] has unknown type {other:?}"
                    )))
                }
            };
            let known = model.group(name).is_some();
            group = model.add_group(name);
            let p = pending.iter().position(|(g, _)| g == name);
            if !known && state == State::Vars && p.is_none() {
                pending.push((
                    name.to_owned(),
                    Pending {
                        line: n,
                        children_of: Vec::new(),
                        vars_only: true,
                    },
                ));
            }
            if let (Some(p), false) = (p, state == State::Vars) {
                let (_, decl) = pending.remove(p);
                for parent in decl.children_of {
                    model.add_child(parent, group).map_err(at)?;
                }
            }
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(at(format!(
                "invalid section {line:?} (no spaces are allowed in a section name)"
            )));
        }
        match state {
            State::Hosts => {
                let tokens = shlex_split(line).map_err(at)?;
                let Some((pattern, rest)) = tokens.split_first() else {
                    return Err(at(format!("cannot read host line {line:?}")));
                };
                let (names, port) = expand_host_pattern(pattern).map_err(at)?;
                let mut vars = Vec::new();
                for t in rest {
                    let Some((k, v)) = t.split_once('=') else {
                        return Err(at(format!(
                            "expected key=value host variable assignment, got {t:?}"
                        )));
                    };
                    vars.push((k.to_owned(), literal(v)));
                }
                for name in names {
                    let h = model.add_host(&name, group, port);
                    for (k, v) in &vars {
                        model.set_host_var(h, k, v.clone());
                    }
                }
            }
            State::Vars => {
                let Some((k, v)) = line.split_once('=') else {
                    return Err(at(format!("expected key=value, got {line:?}")));
                };
                model
                    .set_group_var(group, k.trim(), literal(v.trim()))
                    .map_err(at)?;
            }
            State::Children => {
                let child = line.split('#').next().unwrap_or("").trim();
                if child.is_empty()
                    || child.contains(|c: char| c == ':' || c == ']' || c.is_whitespace())
                {
                    return Err(at(format!("expected a group name, got {line:?}")));
                }
                check_group_name(child).map_err(at)?;
                match model.group(child) {
                    Some(c) if !pending.iter().any(|(g, _)| g == child) => {
                        model.add_child(group, c).map_err(at)?
                    }
                    _ => match pending.iter_mut().find(|(g, _)| g == child) {
                        Some((_, decl)) => {
                            decl.children_of.push(group);
                            decl.vars_only = false;
                        }
                        None => pending.push((
                            child.to_owned(),
                            Pending {
                                line: n,
                                children_of: vec![group],
                                vars_only: false,
                            },
                        )),
                    },
                }
            }
        }
    }
    if let Some((name, decl)) = pending.first() {
        return Err(if decl.vars_only {
            format!(
                "line {}: section [{name}:vars] is for a group that is never declared",
                decl.line
            )
        } else {
            format!(
                "line {}: [{}:children] names group {name}, which is never declared",
                decl.line,
                decl.children_of
                    .last()
                    .map_or("?", |&g| model.groups[g].name.as_str())
            )
        });
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Hosts,
    Children,
    Vars,
}

/// `^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`
fn section(line: &str) -> Option<(&str, Option<&str>)> {
    let inner = line.strip_prefix('[')?;
    let close = inner.find(']')?;
    let after = inner[close + 1..].trim_start();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let head = &inner[..close];
    let (name, kind) = match head.split_once(':') {
        Some((n, k)) => (n, Some(k)),
        None => (head, None),
    };
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == ']') {
        return None;
    }
    if let Some(k) = kind {
        if k.is_empty() || !k.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
    }
    Some((name, kind))
}

/// Ansible rewrites group names that are not Python identifiers (`web-servers` becomes
/// `web_servers` in an INI header but stays as written elsewhere), so one name can mean two
/// groups. stigpack refuses such names instead of reproducing that.
pub fn check_group_name(name: &str) -> Result<(), String> {
    let ok = name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "group name {name:?}: use only letters, digits and '_', not starting with a digit \
             (Ansible rewrites other names to such a one)"
        ))
    }
}

/// Python's `shlex.split(line, comments=True)` (POSIX mode): whitespace separates words,
/// quotes group, a backslash escapes outside single quotes, `#` starts a comment where a
/// word could start or inside an unquoted word.
pub fn shlex_split(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' => break,
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(n) => word.push(n),
                    None => return Err("no escaped character at the end of the line".into()),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => word.push(n),
                        None => return Err("no closing quotation".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\')) => word.push(n),
                            Some(n) => {
                                word.push('\\');
                                word.push(n);
                            }
                            None => return Err("no closing quotation".into()),
                        },
                        Some(n) => word.push(n),
                        None => return Err("no closing quotation".into()),
                    }
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        out.push(word);
    }
    Ok(out)
}

/// A host pattern with an optional `:port` and `[a:b]` / `[a:b:step]` ranges, expanded
/// like `BaseInventoryPlugin._expand_hostpattern`.
pub fn expand_host_pattern(pattern: &str) -> Result<(Vec<String>, Option<u16>), String> {
    if pattern.ends_with(':') {
        return Err(format!(
            "host pattern {pattern:?} ends with ':' (reserved for a port)"
        ));
    }
    // `host:port`: the only colon outside brackets, followed by digits only.
    let mut depth = 0i32;
    let mut colons = Vec::new();
    for (i, c) in pattern.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => colons.push(i),
            _ => {}
        }
    }
    let (name, port) = match colons[..] {
        [i] if pattern[i + 1..].chars().all(|c| c.is_ascii_digit()) => {
            let port: u16 = pattern[i + 1..]
                .parse()
                .map_err(|_| format!("host pattern {pattern:?}: port out of range"))?;
            (&pattern[..i], Some(port))
        }
        _ => (pattern, None),
    };
    Ok((expand_ranges(name)?, port))
}

/// Most hosts one pattern may expand to. Each range is bounded on its own, but ranges
/// multiply (`h[0:99999][0:99999]`), and an inventory is untrusted input.
const MAX_PATTERN_HOSTS: usize = 100_000;

/// `expand_hostname_range`: the first `[beg:end(:step)]`, zero-padded when `beg` has a
/// leading zero, letters taken from `a..zA..Z`; repeats for the next range. At most
/// [`MAX_PATTERN_HOSTS`] names, counted before they are made.
pub fn expand_ranges(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    expand_into(line, line, &mut out)?;
    Ok(out)
}

fn expand_into(pattern: &str, line: &str, out: &mut Vec<String>) -> Result<(), String> {
    let Some(open) = line.find('[') else {
        if out.len() >= MAX_PATTERN_HOSTS {
            return Err(format!(
                "host pattern {pattern:?} expands to more than {MAX_PATTERN_HOSTS} hosts"
            ));
        }
        out.push(line.to_owned());
        return Ok(());
    };
    let Some(close_rel) = line[open..].find(']') else {
        return Err(format!("host range in {line:?} has no closing ']'"));
    };
    let close = open + close_rel;
    let (head, range, tail) = (&line[..open], &line[open + 1..close], &line[close + 1..]);
    let bounds: Vec<&str> = range.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err(format!(
            "host range [{range}] must be begin:end or begin:end:step"
        ));
    }
    let beg = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    if end.is_empty() {
        return Err(format!("host range [{range}] must specify an end value"));
    }
    let step: usize = match bounds.get(2) {
        Some(s) => s
            .parse()
            .ok()
            .filter(|&s| s > 0)
            .ok_or_else(|| format!("host range [{range}]: bad step"))?,
        None => 1,
    };
    let pad = if beg.len() > 1 && beg.starts_with('0') {
        if beg.len() != end.len() {
            return Err(format!(
                "host range [{range}] must have begin and end of the same length"
            ));
        }
        beg.len()
    } else {
        0
    };
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let items: Vec<String> = match (LETTERS.find(beg), LETTERS.find(end)) {
        (Some(b), Some(e)) if beg.len() == 1 && end.len() == 1 => {
            if b > e {
                return Err(format!("host range [{range}] must have begin <= end"));
            }
            LETTERS[b..=e]
                .chars()
                .step_by(step)
                .map(String::from)
                .collect()
        }
        _ => {
            let b: i64 = beg.parse().map_err(|_| {
                format!("host range [{range}] is neither numeric nor a letter range")
            })?;
            let e: i64 = end.parse().map_err(|_| {
                format!("host range [{range}] is neither numeric nor a letter range")
            })?;
            if e - b > 100_000 {
                return Err(format!("host range [{range}] is too large"));
            }
            (b..=e)
                .step_by(step)
                .map(|x| format!("{x:0pad$}"))
                .collect()
        }
    };
    for item in items {
        expand_into(pattern, &format!("{head}{item}{tail}"), out)?;
    }
    Ok(())
}

/// A value as Ansible's INI plugin keeps it: `ast.literal_eval`, or the text itself.
pub fn literal(text: &str) -> Var {
    let s = text.trim_start_matches([' ', '\t']);
    let v = match Lit::new(s).whole() {
        Some(v) => v,
        None => Value::String(text.to_owned()),
    };
    // `$ANSIBLE_VAULT;` in an INI file is not decrypted by Ansible either; it would be
    // used as the literal text. Mark it so it is refused, never sent as a password.
    match &v {
        Value::String(s) if s.starts_with("$ANSIBLE_VAULT;") => Var::Vault,
        _ => Var::Data(v),
    }
}

/// The part of Python's literal syntax inventories use: numbers (decimal, hex, octal,
/// binary, floats), strings ('…', "…", adjacent pieces joined; no prefixes or triple
/// quotes: those stay strings), `True`/`False`/`None`, lists, tuples, dicts. Anything it
/// does not read is left a string, as Ansible does on a `ValueError`/`SyntaxError`.
struct Lit<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl<'a> Lit<'a> {
    fn new(src: &'a str) -> Self {
        Lit {
            s: src.as_bytes(),
            src,
            i: 0,
        }
    }

    fn whole(mut self) -> Option<Value> {
        let v = self.value(0)?;
        self.ws();
        (self.i == self.s.len()).then_some(v)
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > 32 {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'[' => {
                self.i += 1;
                Some(Value::Array(self.items(b']', depth)?))
            }
            b'(' => {
                self.i += 1;
                let start = self.i;
                let items = self.items(b')', depth)?;
                // `(x)` is x; `(x,)` and `()` are tuples (lists once Ansible is done).
                let inner = &self.src[start..self.i - 1];
                if items.len() == 1 && !inner.trim_end().ends_with(',') {
                    items.into_iter().next()
                } else {
                    Some(Value::Array(items))
                }
            }
            b'{' => {
                self.i += 1;
                self.dict(depth)
            }
            b'\'' | b'"' => {
                let mut out = self.string()?;
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b'\'' | b'"') => out.push_str(&self.string()?),
                        _ => return Some(Value::String(out)),
                    }
                }
            }
            b'-' | b'+' => {
                let neg = self.peek() == Some(b'-');
                self.i += 1;
                match self.value(depth + 1)? {
                    Value::Number(n) if neg => negate(&n),
                    v @ Value::Number(_) => Some(v),
                    _ => None,
                }
            }
            c if c.is_ascii_digit() || c == b'.' => self.number(),
            _ => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    self.i += 1;
                }
                match &self.src[start..self.i] {
                    "True" => Some(Value::Bool(true)),
                    "False" => Some(Value::Bool(false)),
                    "None" => Some(Value::Null),
                    _ => None,
                }
            }
        }
    }

    fn items(&mut self, close: u8, depth: usize) -> Option<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            if self.eat(close) {
                return Some(out);
            }
            out.push(self.value(depth + 1)?);
            if !self.eat(b',') {
                return self.eat(close).then_some(out);
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Option<Value> {
        let mut out = Map::new();
        if self.eat(b'}') {
            return Some(Value::Object(out));
        }
        let first = self.value(depth + 1)?;
        if !self.eat(b':') {
            // A set: Ansible keeps it as a list.
            let mut items = vec![first];
            while self.eat(b',') {
                if self.eat(b'}') {
                    return Some(Value::Array(items));
                }
                items.push(self.value(depth + 1)?);
            }
            return self.eat(b'}').then_some(Value::Array(items));
        }
        let mut key = first;
        loop {
            let v = self.value(depth + 1)?;
            let k = match key {
                Value::String(s) => s,
                other => other.to_string(),
            };
            out.insert(k, v);
            if !self.eat(b',') {
                return self.eat(b'}').then_some(Value::Object(out));
            }
            if self.eat(b'}') {
                return Some(Value::Object(out));
            }
            key = self.value(depth + 1)?;
            if !self.eat(b':') {
                return None;
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        let q = self.peek()?;
        self.i += 1;
        if self.s.get(self.i..self.i + 2) == Some(&[q, q]) {
            return None; // triple quotes: not read here
        }
        let mut out = String::new();
        let rest = &self.src[self.i..];
        let mut it = rest.char_indices();
        while let Some((j, c)) = it.next() {
            if c as u32 == u32::from(q) {
                self.i += j + 1;
                return Some(out);
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let (_, e) = it.next()?;
            match e {
                '\\' | '\'' | '"' => out.push(e),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                // Escapes kept as written by Python (unknown ones) are kept as written
                // here; the rarer ones (\x, \u, \N, octal) make the value a plain string.
                'a' | 'b' | 'f' | 'v' | 'x' | 'u' | 'U' | 'N' | '1'..='7' | '\n' => return None,
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
        None
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_')
            || (self.i > start
                && matches!(self.peek(), Some(b'+' | b'-'))
                && matches!(self.s[self.i - 1], b'e' | b'E')
                && !self.src[start..].starts_with("0x"))
        {
            self.i += 1;
        }
        let text = &self.src[start..self.i];
        if text.starts_with('_') || text.ends_with('_') || text.contains("__") {
            return None;
        }
        let t = text.replace('_', "");
        let lower = t.to_ascii_lowercase();
        let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
            .into_iter()
            .find(|(p, _)| lower.starts_with(p));
        if let Some((p, r)) = radix {
            return i64::from_str_radix(&lower[p.len()..], r)
                .ok()
                .map(Value::from);
        }
        if t.chars().all(|c| c.is_ascii_digit()) {
            // Python 3 has no `0600`-style literals (SyntaxError): those stay strings.
            if t.len() > 1 && t.starts_with('0') && t.chars().any(|c| c != '0') {
                return None;
            }
            return t.parse::<i64>().ok().map(Value::from);
        }
        if lower.ends_with('j') || lower.contains("inf") || lower.contains("nan") {
            return None;
        }
        let f: f64 = t.parse().ok()?;
        Number::from_f64(f).map(Value::Number)
    }
}

fn negate(n: &Number) -> Option<Value> {
    if let Some(i) = n.as_i64() {
        return Some(Value::from(i.checked_neg()?));
    }
    Number::from_f64(-n.as_f64()?).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literal_eval_like_python() {
        let cases: [(&str, Value); 16] = [
            ("5986", json!(5986)),
            ("-3", json!(-3)),
            ("0x10", json!(16)),
            ("1_000", json!(1000)),
            ("0600", json!("0600")),
            ("1.5", json!(1.5)),
            ("True", json!(true)),
            ("yes", json!("yes")),
            ("None", Value::Null),
            ("'quoted'", json!("quoted")),
            ("\"a\" 'b'", json!("ab")),
            ("[1, 'x']", json!([1, "x"])),
            ("{'a': 1}", json!({"a": 1})),
            ("(1,)", json!([1])),
            (
                "{{ lookup('env', 'PW') }}",
                json!("{{ lookup('env', 'PW') }}"),
            ),
            ("CORP\\svc", json!("CORP\\svc")),
        ];
        for (text, want) in cases {
            assert_eq!(literal(text), Var::Data(want), "{text}");
        }
        assert_eq!(literal("$ANSIBLE_VAULT;1.1;AES256"), Var::Vault);
    }

    #[test]
    fn shlex_like_python() {
        assert_eq!(
            shlex_split(r#"ws01 a="x y" b='q"' c=C:\\d # comment"#).unwrap(),
            ["ws01", "a=x y", "b=q\"", r"c=C:\d"]
        );
        assert_eq!(
            shlex_split(r#"h u="CORP\\svc" v="a\b""#).unwrap(),
            ["h", r"u=CORP\svc", r"v=a\b"]
        );
        assert_eq!(shlex_split("h x=1#c").unwrap(), ["h", "x=1"]);
        assert!(shlex_split("h x='open").is_err());
    }

    #[test]
    fn ranges_like_ansible() {
        assert_eq!(
            expand_ranges("ws[01:03]").unwrap(),
            ["ws01", "ws02", "ws03"]
        );
        assert_eq!(expand_ranges("db-[a:c]").unwrap(), ["db-a", "db-b", "db-c"]);
        assert_eq!(expand_ranges("n[1:5:2]x").unwrap(), ["n1x", "n3x", "n5x"]);
        assert_eq!(
            expand_ranges("r[1:2]c[a:b]").unwrap(),
            ["r1ca", "r1cb", "r2ca", "r2cb"]
        );
        assert_eq!(expand_ranges("z[y:B]").unwrap(), ["zy", "zz", "zA", "zB"]);
        assert!(expand_ranges("w[01:100]").is_err());
        // Ranges multiply: each is within bounds, the product is refused, not built.
        let e = expand_ranges("h[0:99999][0:99999]").unwrap_err();
        assert!(e.contains("more than 100000 hosts"), "{e}");
        assert_eq!(expand_ranges("h[1:400][a:Z]").unwrap().len(), 400 * 52);
        assert_eq!(
            expand_host_pattern("ws[1:2]:5985").unwrap(),
            (vec!["ws1".to_owned(), "ws2".to_owned()], Some(5985))
        );
    }
}
