//! Proof of reserves, the liabilities side, pure: every salt and balance is an argument.
//!
//! The exchange commits to what it owes each customer in a Merkle *sum* tree (as in
//! summa-solvency): a leaf is the hash of a salted customer id and that customer's balances, a
//! node hashes its two children together with their per-asset sums, and the root carries the
//! totals. The root and totals are published daily; each customer receives an inclusion proof
//! and checks that their balances are counted in the published totals.
//!
//! * [`assets`] — the ordered list of asset codes a tree is built over.
//! * [`hash`] — the byte format: salted id, leaf and node hashes, the padding node.
//! * [`decimal`] — amounts as decimal strings in JSON (a browser's numbers stop at 2^53).
//! * [`tree`] — building the tree from the accounts, its root, proofs.
//! * [`proof`] — the proof customers receive and its verification.
//!
//! The exact format is `docs/proof-of-reserves.md`; a verifier in a browser needs only it and
//! SHA-256.

pub mod assets;
pub mod decimal;
pub mod error;
pub mod hash;
pub mod proof;
pub mod tree;

pub use assets::AssetList;
pub use error::PorError;
pub use hash::{Hash, Salt};
pub use proof::{verify, verify_published, Proof, Side, Step, VerifiedRoot};
pub use tree::{Account, Root, Tree};

/// Names the byte format of this crate's hashes and JSON; a proof of another format is refused.
pub const FORMAT: &str = "talat-por-v1";

/// At most 2^24 accounts in one tree: a proof then has at most 24 steps, and every sum stays far
/// below u128 (2^24 leaves of at most 2^64 - 1 each are below 2^88).
pub const MAX_LEAVES: usize = 1 << 24;

/// How many levels above the leaves a tree of `leaf_count` leaves has (its proofs' length).
pub fn depth(leaf_count: usize) -> usize {
    let mut width = leaf_count;
    let mut levels = 0;
    while width > 1 {
        width = width.div_ceil(2);
        levels += 1;
    }
    levels
}
