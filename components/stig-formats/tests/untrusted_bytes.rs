//! Regressions for panics on untrusted bytes (issue 18), written from the class of defect:
//! every reader of XML must survive a multi-byte character wherever it falls, in
//! particular across byte 256 where the encoding-declaration check once cut the text.

#![allow(clippy::unwrap_used)]

mod common;

use stig_formats::{ckl, xccdf};

/// `bytes` with `insert` placed so that its first byte lands at offset `at`, padded with
/// `a` after the byte offset `after` (which must be inside element text).
fn place(bytes: &[u8], after: usize, insert: &str, at: usize) -> Vec<u8> {
    assert!(at >= after);
    let mut out = bytes[..after].to_vec();
    out.extend(std::iter::repeat_n(b'a', at - after));
    out.extend_from_slice(insert.as_bytes());
    out.extend_from_slice(&bytes[after..]);
    out
}

#[test]
fn a_real_ckl_with_a_multibyte_host_name_across_byte_256_reads() {
    let path = common::samples_dir().join("ckl/saf_small_ckl_overrides.ckl");
    let bytes = std::fs::read(path).unwrap();
    let start = bytes.windows(11).position(|w| w == b"<HOST_NAME>").unwrap() + 11;
    for ch in ["ü", "€", "𝄞"] {
        for at in 250..=260 {
            let doc = place(&bytes, start, ch, at);
            let c =
                ckl::read(&doc, "host.ckl").unwrap_or_else(|e| panic!("{ch} at byte {at}: {e}"));
            assert!(c.asset.host_name.ends_with(ch), "{ch} at {at}");
            assert_eq!(c.asset.host_name.len(), at - start + ch.len());
        }
    }
}

#[test]
fn xccdf_benchmarks_and_results_with_a_multibyte_character_across_byte_256_read() {
    let path = common::samples_dir().join("xccdf/U_Google_Chrome_STIG_V2R9_Manual-xccdf.xml");
    let bytes = std::fs::read(path).unwrap();
    // Inside the first comment or element text after the declaration: put a comment
    // right after the declaration and pad inside it.
    let decl_end = bytes.windows(2).position(|w| w == b"?>").unwrap() + 2;
    let mut with_comment = bytes[..decl_end].to_vec();
    with_comment.extend_from_slice(b"<!--");
    let inside = with_comment.len();
    with_comment.extend_from_slice(b"-->");
    with_comment.extend_from_slice(&bytes[decl_end..]);
    let reference = xccdf::benchmark::read(&bytes, "b.xml").unwrap();
    for ch in ["ü", "€", "𝄞"] {
        for at in 250..=260 {
            let doc = place(&with_comment, inside, ch, at);
            let b = xccdf::benchmark::read(&doc, "b.xml")
                .unwrap_or_else(|e| panic!("{ch} at byte {at}: {e}"));
            assert_eq!(b.rules.len(), reference.rules.len());
        }
    }
}
