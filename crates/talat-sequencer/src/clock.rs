//! Time for the sequencer. The engine never reads a clock: the sequencer stamps each batch with
//! the time this trait gives, the stamp is journaled, and replay reuses it. Tests inject a
//! [`ManualClock`] so that stamps (and time-based snapshots) are deterministic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in Unix milliseconds.
pub trait Clock: Send + 'static {
    fn now_ms(&self) -> u64;
}

/// The machine's real-time clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        // A clock set before 1970 reads as 0; the sequencer never lets stamps go backwards anyway.
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// A clock that moves only when told to. Clones share the same time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    now_ms: Arc<AtomicU64>,
}

impl ManualClock {
    pub fn new(start_ms: u64) -> Self {
        ManualClock { now_ms: Arc::new(AtomicU64::new(start_ms)) }
    }

    pub fn set(&self, ms: u64) {
        self.now_ms.store(ms, Ordering::Release);
    }

    pub fn advance(&self, ms: u64) {
        self.now_ms.fetch_add(ms, Ordering::AcqRel);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::Acquire)
    }
}
