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

/// A benchmark with `depth` nested Groups around one rule each level.
fn nested_benchmark(depth: usize, description: &str) -> Vec<u8> {
    let mut doc = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Benchmark id=\"B\"><title>T</title><version>1</version>",
    );
    for i in 0..depth {
        doc.push_str(&format!(
            "<Group id=\"V-{i}\"><title>g{i}</title><description>{description}</description>\
             <Rule id=\"SV-{i}r1_rule\" severity=\"medium\"><version>R-{i}</version><title>r</title></Rule>"
        ));
    }
    doc.push_str(&"</Group>".repeat(depth));
    doc.push_str("</Benchmark>");
    doc.into_bytes()
}

#[test]
fn nested_groups_are_refused_past_the_limit_without_deep_recursion() {
    // 10^4 nested groups on a small stack: a clear error naming the file, no overflow.
    let doc = nested_benchmark(10_000, "d");
    let out = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || xccdf::benchmark::read(&doc, "deep.xml").map(|b| b.rules.len()))
        .unwrap()
        .join()
        .unwrap();
    let err = out.unwrap_err().to_string();
    assert!(
        err.contains("deep.xml") && err.contains("nest more than 32"),
        "{err}"
    );
    // At the limit, every level's rule is read with its whole chain of groups.
    let b = xccdf::benchmark::read(&nested_benchmark(32, "d"), "ok.xml").unwrap();
    assert_eq!(b.rules.len(), 32);
    assert_eq!(b.rules[31].rule.group_tree.len(), 32);
}

#[test]
fn group_chains_copied_into_rules_are_bounded_by_the_input_size() {
    // 32 levels of 512 KB descriptions (16 MB in) would copy 264 MB of chains into rules:
    // quadratic. The reader stops at its budget (a multiple of the input) instead.
    let big = "x".repeat(512 << 10);
    let doc = nested_benchmark(32, &big);
    let err = xccdf::benchmark::read(&doc, "wide.xml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("wide.xml") && err.contains("exceeds the limit"),
        "{err}"
    );
}
