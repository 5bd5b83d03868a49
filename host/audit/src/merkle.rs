//! RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification.
//!
//! Written here rather than taken from a crate: `rs_merkle` is not RFC 6962 (no domain
//! prefixes, odd nodes promoted) and `ct-merkle` keeps the whole tree in memory, while the
//! log needs proofs computed from a few stored subtree hashes (see [`crate::index`]). The
//! algorithms follow RFC 9162 section 2.1 line by line and are tested against the
//! Certificate Transparency reference vectors.

use sha2::{Digest, Sha256};

/// A SHA-256 digest: leaf hashes, node hashes and tree roots.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || line)`: the RFC 6962 leaf hash of one log line (without its newline).
pub fn leaf_hash(line: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(line);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the RFC 6962 interior node hash.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Largest power of two strictly below `n` (n >= 2): where RFC 6962 splits a tree.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Computes a tree root in one streaming pass with O(log n) memory.
///
/// Why a stack: the RFC 6962 tree over n leaves is the right fold of the perfect subtrees
/// of the binary decomposition of n, so only one hash per set bit must be kept. `verify`
/// uses it to recompute the root of a million-line log without holding the leaves.
#[derive(Debug, Clone, Default)]
pub struct TreeBuilder {
    /// Perfect subtrees, largest first: (height, hash).
    stack: Vec<(u32, Hash)>,
    size: u64,
}

impl TreeBuilder {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves pushed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the next leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        self.push_subtree(0, leaf);
    }

    /// Adds a perfect subtree of `2^height` leaves. The current size must be a multiple
    /// of `2^height` (so the subtree is aligned), as it is when a range of leaves is
    /// pushed as its maximal aligned pieces, in order.
    pub fn push_subtree(&mut self, height: u32, hash: Hash) {
        debug_assert!(self.size.is_multiple_of(1u64 << height));
        let mut cur = (height, hash);
        while let Some(&(h, top)) = self.stack.last() {
            if h != cur.0 {
                break;
            }
            self.stack.pop();
            cur = (h + 1, node_hash(&top, &cur.1));
        }
        self.stack.push(cur);
        self.size += 1u64 << height;
    }

    /// The root of the leaves pushed so far (`SHA-256("")` when none).
    pub fn root(&self) -> Hash {
        let mut iter = self.stack.iter().rev();
        let Some(&(_, mut acc)) = iter.next() else {
            return empty_root();
        };
        for (_, left) in iter {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

/// Where proof generation reads subtree hashes from.
///
/// Implementations only need to answer for ranges `[start, end)` that RFC 6962's recursion
/// asks for; [`subtree_root`] reduces every such range to perfect, aligned subtrees, which
/// a store can keep precomputed.
pub trait SubtreeSource {
    /// Hash of the perfect subtree of `2^height` leaves starting at leaf `index << height`.
    fn perfect(&self, height: u32, index: u64) -> Result<Hash, crate::AuditError>;
}

/// MTH(D[start:end]) for a range whose start is aligned as RFC 6962's recursion aligns it.
pub fn subtree_root<S: SubtreeSource + ?Sized>(
    src: &S,
    start: u64,
    end: u64,
) -> Result<Hash, crate::AuditError> {
    let n = end - start;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return src.perfect(n.trailing_zeros(), start >> n.trailing_zeros());
    }
    let k = split_point(n);
    let left = subtree_root(src, start, start + k)?;
    let right = subtree_root(src, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// RFC 9162 2.1.3.1 PATH(m, D[start:start+n]): the inclusion proof, leaf side first.
pub fn inclusion_path<S: SubtreeSource + ?Sized>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, crate::AuditError> {
    let mut out = Vec::new();
    path_rec(src, index, 0, size, &mut out)?;
    Ok(out)
}

fn path_rec<S: SubtreeSource + ?Sized>(
    src: &S,
    m: u64,
    start: u64,
    n: u64,
    out: &mut Vec<Hash>,
) -> Result<(), crate::AuditError> {
    if n <= 1 {
        return Ok(());
    }
    let k = split_point(n);
    if m < k {
        path_rec(src, m, start, k, out)?;
        out.push(subtree_root(src, start + k, start + n)?);
    } else {
        path_rec(src, m - k, start + k, n - k, out)?;
        out.push(subtree_root(src, start, start + k)?);
    }
    Ok(())
}

/// RFC 9162 2.1.4.1 PROOF(m, D[n]): the consistency proof from size `old` to `new`.
pub fn consistency_path<S: SubtreeSource + ?Sized>(
    src: &S,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, crate::AuditError> {
    let mut out = Vec::new();
    if old == 0 || old >= new {
        return Ok(out);
    }
    subproof_rec(src, old, 0, new, true, &mut out)?;
    Ok(out)
}

fn subproof_rec<S: SubtreeSource + ?Sized>(
    src: &S,
    m: u64,
    start: u64,
    n: u64,
    b: bool,
    out: &mut Vec<Hash>,
) -> Result<(), crate::AuditError> {
    if m == n {
        if !b {
            out.push(subtree_root(src, start, start + n)?);
        }
        return Ok(());
    }
    let k = split_point(n);
    if m <= k {
        subproof_rec(src, m, start, k, b, out)?;
        out.push(subtree_root(src, start + k, start + n)?);
    } else {
        subproof_rec(src, m - k, start + k, n - k, false, out)?;
        out.push(subtree_root(src, start, start + k)?);
    }
    Ok(())
}

/// RFC 9162 2.1.3.2: does `proof` show leaf `index` with hash `leaf` in the tree of
/// `size` leaves whose root is `root`?
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// RFC 9162 2.1.4.2: does `proof` show the tree of `old` leaves with root `old_root` is a
/// prefix of the tree of `new` leaves with root `new_root`?
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    fr == *old_root && sr == *new_root && sn == 0
}

/// An in-memory [`SubtreeSource`] over leaf hashes; used by tests and by small callers.
#[derive(Debug, Clone)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// Builds every perfect aligned subtree over `leaves`.
    pub fn new(leaves: Vec<Hash>) -> Self {
        let mut levels = vec![leaves];
        while let Some(last) = levels.last() {
            if last.len() < 2 {
                break;
            }
            let next: Vec<Hash> = last
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
            levels.push(next);
        }
        Self { levels }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Root of the first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, crate::AuditError> {
        subtree_root(self, 0, size)
    }
}

impl SubtreeSource for MemoryTree {
    fn perfect(&self, height: u32, index: u64) -> Result<Hash, crate::AuditError> {
        self.levels
            .get(height as usize)
            .and_then(|l| l.get(index as usize))
            .copied()
            .ok_or(crate::AuditError::OutOfRange {
                what: "subtree",
                value: index,
                size: self.size(),
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    /// The Certificate Transparency reference inputs (RFC 6962 test data, as used by
    /// certificate-transparency-go and transparency-dev/merkle).
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    /// Roots for tree sizes 0..=8.
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    /// (leaf index, tree size, proof).
    const INCLUSION: [(u64, u64, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    /// (old size, new size, proof).
    const CONSISTENCY: [(u64, u64, &[&str]); 4] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];

    fn h(s: &str) -> Hash {
        let v = hex::decode(s).unwrap();
        v.try_into().unwrap()
    }

    fn leaves() -> Vec<Hash> {
        LEAVES
            .iter()
            .map(|l| leaf_hash(&hex::decode(l).unwrap()))
            .collect()
    }

    #[test]
    fn roots_match_rfc6962_vectors_streaming_and_stored() {
        let tree = MemoryTree::new(leaves());
        let mut builder = TreeBuilder::new();
        assert_eq!(builder.root(), h(ROOTS[0]));
        for (n, leaf) in leaves().into_iter().enumerate() {
            builder.push(leaf);
            assert_eq!(builder.root(), h(ROOTS[n + 1]), "streaming size {}", n + 1);
            assert_eq!(tree.root(n as u64 + 1).unwrap(), h(ROOTS[n + 1]));
        }
    }

    #[test]
    fn inclusion_proofs_match_vectors_and_verify() {
        let tree = MemoryTree::new(leaves());
        let lv = leaves();
        for (index, size, proof) in INCLUSION {
            let want: Vec<Hash> = proof.iter().map(|p| h(p)).collect();
            let got = inclusion_path(&tree, index, size).unwrap();
            assert_eq!(got, want, "PATH({index}, {size})");
            let root = h(ROOTS[size as usize]);
            assert!(verify_inclusion(
                index,
                size,
                &lv[index as usize],
                &got,
                &root
            ));
            let mut bad = lv[index as usize];
            bad[0] ^= 1;
            assert!(!verify_inclusion(index, size, &bad, &got, &root));
            assert!(!verify_inclusion(
                index,
                size,
                &lv[index as usize],
                &got,
                &h(ROOTS[0])
            ));
        }
    }

    #[test]
    fn consistency_proofs_match_vectors_and_verify() {
        let tree = MemoryTree::new(leaves());
        for (old, new, proof) in CONSISTENCY {
            let want: Vec<Hash> = proof.iter().map(|p| h(p)).collect();
            let got = consistency_path(&tree, old, new).unwrap();
            assert_eq!(got, want, "PROOF({old}, {new})");
            let (ro, rn) = (h(ROOTS[old as usize]), h(ROOTS[new as usize]));
            assert!(verify_consistency(old, new, &got, &ro, &rn));
            let mut bad = ro;
            bad[5] ^= 0x40;
            assert!(!verify_consistency(old, new, &got, &bad, &rn));
        }
    }

    #[test]
    fn every_proof_verifies_for_every_size_up_to_40() {
        let lv: Vec<Hash> = (0..40u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let tree = MemoryTree::new(lv.clone());
        for n in 1..=40u64 {
            let root = tree.root(n).unwrap();
            for i in 0..n {
                let p = inclusion_path(&tree, i, n).unwrap();
                assert!(
                    verify_inclusion(i, n, &lv[i as usize], &p, &root),
                    "{i}/{n}"
                );
                assert!(!verify_inclusion(
                    i,
                    n,
                    &lv[(i as usize + 1) % 40],
                    &p,
                    &root
                ));
                if let Some(first) = p.first() {
                    let mut bad = p.clone();
                    bad[0] = node_hash(first, first);
                    assert!(!verify_inclusion(i, n, &lv[i as usize], &bad, &root));
                }
            }
            for m in 1..=n {
                let p = consistency_path(&tree, m, n).unwrap();
                let rm = tree.root(m).unwrap();
                assert!(verify_consistency(m, n, &p, &rm, &root), "{m}->{n}");
                if m < n {
                    let other = tree.root(m + 1).unwrap();
                    assert!(
                        !verify_consistency(m, n, &p, &other, &root),
                        "{m}->{n} forged"
                    );
                }
            }
        }
    }
}
