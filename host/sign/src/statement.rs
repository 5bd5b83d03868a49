//! in-toto Statement v1: what was made (subjects with their SHA-256) and a predicate
//! saying how. Serialised as RFC 8785 canonical JSON so a statement has one byte form.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::SignError;

/// The Statement v1 type URI.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// SLSA Provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";

/// An in-toto Statement v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub type_: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: serde_json::Value,
}

/// One artifact the statement is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    /// A subject named `name` with SHA-256 `digest`.
    pub fn sha256(name: &str, digest: &[u8; 32]) -> Self {
        Self::sha256_hex(name, &hex::encode(digest))
    }

    /// A subject from a lowercase hex SHA-256.
    pub fn sha256_hex(name: &str, digest_hex: &str) -> Self {
        Self {
            name: name.to_owned(),
            digest: BTreeMap::from([("sha256".to_owned(), digest_hex.to_owned())]),
        }
    }

    /// The subject's SHA-256, if it has one.
    pub fn sha256_of(&self) -> Option<&str> {
        self.digest.get("sha256").map(String::as_str)
    }
}

impl Statement {
    /// A statement whose subjects are sorted by name (one order, one byte form).
    pub fn new(
        mut subject: Vec<Subject>,
        predicate_type: &str,
        predicate: serde_json::Value,
    ) -> Self {
        subject.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Self {
            type_: STATEMENT_TYPE.to_owned(),
            subject,
            predicate_type: predicate_type.to_owned(),
            predicate,
        }
    }

    /// RFC 8785 canonical JSON bytes (no trailing newline: these are the signed bytes).
    pub fn to_canonical_json(&self) -> Result<Vec<u8>, SignError> {
        serde_json_canonicalizer::to_vec(self).map_err(|e| SignError::Statement(e.to_string()))
    }

    /// Parses a verified payload as a statement.
    pub fn from_json(bytes: &[u8]) -> Result<Self, SignError> {
        let st: Self = serde_json::from_slice(bytes)
            .map_err(|e| SignError::Statement(format!("not an in-toto statement: {e}")))?;
        if st.type_ != STATEMENT_TYPE {
            return Err(SignError::Statement(format!(
                "_type is {:?}, expected {STATEMENT_TYPE}",
                st.type_
            )));
        }
        Ok(st)
    }
}

/// How a statement's subjects differ from the files present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectMismatch {
    /// Files present that the statement does not name.
    pub unsigned: Vec<String>,
    /// Subjects with no file present.
    pub missing: Vec<String>,
    /// Files whose SHA-256 differs from the signed one.
    pub changed: Vec<String>,
}

impl SubjectMismatch {
    pub fn is_empty(&self) -> bool {
        self.unsigned.is_empty() && self.missing.is_empty() && self.changed.is_empty()
    }
}

impl std::fmt::Display for SubjectMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        for (what, list) in [
            ("not signed", &self.unsigned),
            ("signed but missing", &self.missing),
            ("changed since signing", &self.changed),
        ] {
            if !list.is_empty() {
                let shown: Vec<&str> = list.iter().take(5).map(String::as_str).collect();
                let more = list.len().saturating_sub(shown.len());
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                parts.push(format!("{what}: {}{tail}", shown.join(", ")));
            }
        }
        f.write_str(&parts.join("; "))
    }
}

/// Compares signed subjects with the files present (name -> lowercase hex SHA-256):
/// exactly the same names, each with the same digest.
pub fn compare_subjects(
    subjects: &[Subject],
    present: &BTreeMap<String, String>,
) -> SubjectMismatch {
    let mut m = SubjectMismatch::default();
    let mut signed: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for s in subjects {
        signed.insert(s.name.as_str(), s.sha256_of());
    }
    for (name, digest) in present {
        match signed.get(name.as_str()) {
            None => m.unsigned.push(name.clone()),
            Some(d) if *d != Some(digest.as_str()) => m.changed.push(name.clone()),
            Some(_) => {}
        }
    }
    for name in signed.keys() {
        if !present.contains_key(*name) {
            m.missing.push((*name).to_owned());
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_sorted_and_bytes_canonical() {
        let st = Statement::new(
            vec![
                Subject::sha256("b", &[1; 32]),
                Subject::sha256("a", &[2; 32]),
            ],
            SLSA_PROVENANCE_V1,
            serde_json::json!({"z": 1, "a": [1.0, "x"]}),
        );
        let text = String::from_utf8(st.to_canonical_json().unwrap()).unwrap();
        assert!(text.starts_with("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicate\":{\"a\":[1,\"x\"],\"z\":1}"), "{text}");
        assert!(text.find("\"name\":\"a\"").unwrap() < text.find("\"name\":\"b\"").unwrap());
        // Reading the canonical bytes back gives the same canonical bytes.
        let back = Statement::from_json(text.as_bytes()).unwrap();
        assert_eq!(back.to_canonical_json().unwrap(), text.as_bytes());
    }

    #[test]
    fn subject_comparison_names_each_kind_of_difference() {
        let subjects = vec![
            Subject::sha256_hex("a", "11"),
            Subject::sha256_hex("b", "22"),
            Subject::sha256_hex("c", "33"),
        ];
        let mut present = BTreeMap::new();
        present.insert("a".to_owned(), "11".to_owned());
        assert!(!compare_subjects(&subjects, &present).is_empty());
        present.insert("b".to_owned(), "99".to_owned());
        present.insert("d".to_owned(), "44".to_owned());
        let m = compare_subjects(&subjects, &present);
        assert_eq!(m.unsigned, vec!["d"]);
        assert_eq!(m.missing, vec!["c"]);
        assert_eq!(m.changed, vec!["b"]);
        present.insert("b".to_owned(), "22".to_owned());
        present.insert("c".to_owned(), "33".to_owned());
        present.remove("d");
        assert!(compare_subjects(&subjects, &present).is_empty());
    }
}
