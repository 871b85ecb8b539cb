//! The durable watermark: the seq one past the last record known to be on stable storage,
//! published by the writer after each successful fdatasync and read by readers and replication
//! senders, which must never hand out a record that is not yet durable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Result of waiting for the watermark to move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// More records are durable than the caller has.
    Advanced,
    /// The timeout passed with nothing new.
    TimedOut,
    /// The writer is gone (dropped or poisoned) and the caller has every durable record.
    Closed,
}

#[derive(Debug)]
pub(crate) struct Watermark {
    /// Read lock-free on the hot path; written only while holding `closed`'s mutex so that a
    /// waiter cannot miss a notification between its check and its wait.
    durable_next_seq: AtomicU64,
    closed: Mutex<bool>,
    changed: Condvar,
}

impl Watermark {
    pub(crate) fn new(durable_next_seq: u64) -> Self {
        Watermark { durable_next_seq: AtomicU64::new(durable_next_seq), closed: Mutex::new(false), changed: Condvar::new() }
    }

    pub(crate) fn durable_next_seq(&self) -> u64 {
        self.durable_next_seq.load(Ordering::Acquire)
    }

    pub(crate) fn advance(&self, durable_next_seq: u64) {
        let guard = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        assert!(!*guard, "a closed journal never becomes more durable");
        let previous = self.durable_next_seq.load(Ordering::Acquire);
        assert!(durable_next_seq > previous, "durability only moves forward");
        self.durable_next_seq.store(durable_next_seq, Ordering::Release);
        drop(guard);
        self.changed.notify_all();
    }

    pub(crate) fn close(&self) {
        let mut guard = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        *guard = true;
        drop(guard);
        self.changed.notify_all();
    }

    /// Waits at most `timeout_ms` for the watermark to pass `have_next_seq`.
    pub(crate) fn wait_beyond(&self, have_next_seq: u64, timeout_ms: u64) -> WaitOutcome {
        let guard = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, Duration::from_millis(timeout_ms), |closed| !*closed && self.durable_next_seq.load(Ordering::Acquire) <= have_next_seq)
            .unwrap_or_else(|e| e.into_inner());
        if self.durable_next_seq.load(Ordering::Acquire) > have_next_seq {
            WaitOutcome::Advanced
        } else if *guard {
            WaitOutcome::Closed
        } else {
            WaitOutcome::TimedOut
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn waiters_wake_on_advance_and_close() {
        let mark = Arc::new(Watermark::new(1));
        assert_eq!(mark.wait_beyond(1, 1), WaitOutcome::TimedOut);
        let writer = {
            let mark = Arc::clone(&mark);
            std::thread::spawn(move || {
                mark.advance(5);
                mark.close();
            })
        };
        assert_ne!(mark.wait_beyond(1, 10_000), WaitOutcome::TimedOut);
        writer.join().unwrap();
        assert_eq!(mark.wait_beyond(1, 0), WaitOutcome::Advanced);
        assert_eq!(mark.wait_beyond(5, 10_000), WaitOutcome::Closed);
        assert_eq!(mark.durable_next_seq(), 5);
    }
}
