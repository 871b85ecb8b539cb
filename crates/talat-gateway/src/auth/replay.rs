//! A signed request works once. A captured request replayed inside the timestamp window would
//! otherwise pass every check (its signature is right), so each (key, timestamp, signature)
//! is remembered until its timestamp leaves the window, and seen again it is refused. A client
//! that retries signs again with a new timestamp.
//!
//! Memory is bounded: an entry lives at most twice the window (a timestamp may be that far
//! ahead of the server), the signed rate per key is bounded by the rate limits, and the whole
//! set by `max_entries`; when it is full of live entries, new signed requests are refused as
//! busy rather than let through unchecked.

use parking_lot::Mutex;
use rustc_hash::FxHashSet;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

/// Signed requests remembered at once: a million is two minutes of a sustained 8,000 signed
/// requests per second, about 60 MB at most.
pub const DEFAULT_MAX_ENTRIES: usize = 1_000_000;

/// A 128-bit fingerprint of (key, timestamp, signature): collisions are out of reach.
type Fingerprint = [u8; 16];

pub struct ReplayGuard {
    max_entries: usize,
    inner: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    set: FxHashSet<Fingerprint>,
    /// Arrival order, with the time each entry may be forgotten.
    expiry: VecDeque<(u64, Fingerprint)>,
}

/// What checking a request found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    First,
    Replayed,
    /// The guard is full of live entries: refuse the request (busy), do not let it through.
    Full,
}

impl ReplayGuard {
    pub fn new(max_entries: usize) -> ReplayGuard {
        assert!(max_entries >= 1);
        ReplayGuard { max_entries, inner: Mutex::new(Seen::default()) }
    }

    /// Records a signed request at `now_ms`; it may be forgotten `keep_ms` later.
    pub fn check(&self, api_key: &str, timestamp: &str, signature: &str, now_ms: u64, keep_ms: u64) -> Use {
        let mut h = Sha256::new();
        for part in [api_key, timestamp, signature] {
            h.update((part.len() as u32).to_le_bytes());
            h.update(part.as_bytes());
        }
        let digest = h.finalize();
        let mut fingerprint = [0u8; 16];
        fingerprint.copy_from_slice(&digest[..16]);
        let mut seen = self.inner.lock();
        while let Some(&(expires, old)) = seen.expiry.front() {
            if expires > now_ms {
                break;
            }
            seen.expiry.pop_front();
            seen.set.remove(&old);
        }
        if seen.set.contains(&fingerprint) {
            return Use::Replayed;
        }
        if seen.set.len() >= self.max_entries {
            return Use::Full;
        }
        seen.set.insert(fingerprint);
        seen.expiry.push_back((now_ms.saturating_add(keep_ms), fingerprint));
        Use::First
    }

    pub fn len(&self) -> usize {
        self.inner.lock().set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_works_once_within_its_window_and_memory_is_bounded() {
        let g = ReplayGuard::new(3);
        assert_eq!(g.check("k", "1000", "sig", 1_000, 60_000), Use::First);
        assert_eq!(g.check("k", "1000", "sig", 30_000, 60_000), Use::Replayed);
        assert_eq!(g.check("k", "1001", "sig", 30_000, 60_000), Use::First, "another timestamp is another request");
        assert_eq!(g.check("k2", "1000", "sig", 30_000, 60_000), Use::First, "another key too");
        assert_eq!(g.check("k3", "1000", "sig", 30_000, 60_000), Use::Full, "full of live entries: refused, not let through");
        // Past its keep time an entry is forgotten (its timestamp is outside the window by then).
        assert_eq!(g.check("k3", "1000", "sig", 61_000, 60_000), Use::First);
        assert_eq!(g.len(), 3);
        // Field boundaries count: ("ab","c") is not ("a","bc").
        let g = ReplayGuard::new(10);
        assert_eq!(g.check("ab", "c", "s", 0, 10), Use::First);
        assert_eq!(g.check("a", "bc", "s", 0, 10), Use::First);
    }
}
