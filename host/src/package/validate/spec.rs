//! What a check is: a name, what it checks, and a function from the package's facts to
//! a verdict. The checks themselves are the modules under `check/`; this is the shape they
//! share, kept apart so that the table in `mod.rs` and the checks both use it.

use super::facts::Facts;

/// How many problems one report entry lists; the rest are counted ("... and N more").
pub const MAX_FILES: usize = 200;

/// One check: a row of [`super::CHECKS`].
#[derive(Debug, Clone, Copy)]
pub struct CheckSpec {
    /// The `name` of its report entry, text and JSON.
    pub name: &'static str,
    /// What it checks, as `docs/package.md` shows it.
    pub what: &'static str,
    /// Its verdict on a package; `None` when it does not apply (a check of the contents
    /// when they cannot be read, the signature without `--trusted-key`).
    pub run: fn(&Facts) -> Option<Verdict>,
}

/// A check's outcome, without its name: what the report entry says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub passed: bool,
    pub message: String,
    pub files: Vec<String>,
}

impl Verdict {
    /// Passed when there are no `problems`, with `ok` as its message; otherwise `fail`,
    /// listing the problems (the first [`MAX_FILES`], then how many more).
    pub fn from_problems(problems: impl Into<Problems>, ok: String, fail: String) -> Verdict {
        let Problems { mut shown, total } = problems.into();
        let passed = total == 0;
        if total > shown.len() {
            shown.push(format!("... and {} more", total - shown.len()));
        }
        Verdict {
            passed,
            message: if passed { ok } else { fail },
            files: shown,
        }
    }
}

/// A check's problems: the first [`MAX_FILES`] kept for the report, the rest only
/// counted, so a package that disagrees on every row cannot make the validator hold a
/// message per row.
#[derive(Debug, Default)]
pub struct Problems {
    shown: Vec<String>,
    total: usize,
}

impl Problems {
    pub fn push(&mut self, p: String) {
        self.total += 1;
        if self.shown.len() < MAX_FILES {
            self.shown.push(p);
        }
    }

    pub fn append(&mut self, other: Problems) {
        let unshown = other.total - other.shown.len();
        for p in other.shown {
            self.push(p);
        }
        self.total += unshown;
    }

    /// Problems found but not kept (counted only).
    pub fn count_unshown(&mut self, n: usize) {
        self.total += n;
    }
}

impl From<Vec<String>> for Problems {
    fn from(mut shown: Vec<String>) -> Self {
        let total = shown.len();
        shown.truncate(MAX_FILES);
        Problems { shown, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_keep_what_the_report_shows_and_count_the_rest() {
        let mut a = Problems::default();
        for i in 0..150 {
            a.push(format!("a{i}"));
        }
        let mut b = Problems::default();
        for i in 0..(MAX_FILES + 30) {
            b.push(format!("b{i}"));
        }
        a.append(b);
        assert_eq!(a.total, 150 + MAX_FILES + 30);
        assert_eq!(a.shown.len(), MAX_FILES);
        assert_eq!(a.shown[150], "b0");
        let v = Verdict::from_problems(a, String::new(), "bad".into());
        assert!(!v.passed);
        assert_eq!(v.files.len(), MAX_FILES + 1);
        assert_eq!(v.files[MAX_FILES], format!("... and {} more", 150 + 30));
    }

    #[test]
    fn no_problems_pass_with_the_ok_message() {
        let v = Verdict::from_problems(Vec::new(), "fine".into(), "bad".into());
        assert_eq!(
            v,
            Verdict {
                passed: true,
                message: "fine".into(),
                files: vec![]
            }
        );
    }
}
