//! [`ReplicaGate`]: what the primary's committer knows of its standby, and the one place that
//! decides when a batch may be acknowledged in replicated mode.
//!
//! The replication link (talat-continuity) tells the gate what the standby has made durable;
//! the committer, after its own fdatasync and before it applies and acknowledges a batch, asks
//! the gate to wait until the standby holds the batch too (synchronous mode, RPO 0). When the
//! standby stays away longer than `standby_timeout_ms`, the policy decides: **strict** keeps
//! waiting (nothing more is acknowledged: clients see timeouts and `Busy`, nothing is lost),
//! **available** goes on alone and raises the alarm until the standby has caught up again.
//!
//! The gate also carries the highest epoch this process has heard of. A committer whose own
//! epoch is older stops writing: it was deposed.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// What a primary does when its standby is gone longer than the bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WhenStandbyGone {
    /// Stop acknowledging until the standby is back: RPO 0 always, availability second.
    Strict,
    /// Go on alone and raise the alarm: availability first; what is acknowledged meanwhile
    /// exists on one machine only.
    Available,
}

/// When a batch may be acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckMode {
    /// Once durable here and on the standby.
    Sync { when_gone: WhenStandbyGone, standby_timeout_ms: u64 },
    /// Once durable here; the standby's lag is reported.
    Async,
}

/// The replication state, for `/healthz`, metrics and the drills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReplicaStatus {
    pub synchronous: bool,
    pub standby_connected: bool,
    /// Available mode gave up waiting and is going on alone.
    pub degraded: bool,
    /// One past the last record durable here.
    pub local_next_seq: u64,
    /// One past the last record the standby reported durable.
    pub standby_next_seq: u64,
    pub lag_records: u64,
    /// How long the standby has not held everything (an upper bound on the age of the oldest
    /// record it lacks); 0 when it holds everything.
    pub lag_ms: u64,
    pub known_epoch: u32,
}

struct State {
    local_next_seq: u64,
    standby_next_seq: u64,
    connected: bool,
    degraded: bool,
    /// When the standby last held everything durable here.
    caught_up_at: Instant,
    stopping: bool,
}

/// See the module documentation. Shared by the committer and the replication link.
pub struct ReplicaGate {
    mode: AckMode,
    state: Mutex<State>,
    changed: Condvar,
    known_epoch: AtomicU32,
    /// The node's own epoch and its journal's epoch history, published by the committer so the
    /// link can answer a standby without asking the sequencer thread (which may be waiting for
    /// that very standby).
    epochs: Mutex<(u32, talat_journal::EpochHistory)>,
}

impl ReplicaGate {
    pub fn new(mode: AckMode) -> ReplicaGate {
        if let AckMode::Sync { standby_timeout_ms, .. } = mode {
            assert!(standby_timeout_ms >= 1);
        }
        let state = State { local_next_seq: 0, standby_next_seq: 0, connected: false, degraded: false, caught_up_at: Instant::now(), stopping: false };
        ReplicaGate { mode, state: Mutex::new(state), changed: Condvar::new(), known_epoch: AtomicU32::new(0), epochs: Mutex::default() }
    }

    pub fn mode(&self) -> AckMode {
        self.mode
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A standby connected and holds everything below `next_seq`.
    pub fn standby_connected(&self, next_seq: u64) {
        let mut state = self.lock();
        state.connected = true;
        state.standby_next_seq = next_seq;
        self.note_progress(&mut state);
    }

    /// The standby made everything below `next_seq` durable.
    pub fn standby_acked(&self, next_seq: u64) {
        let mut state = self.lock();
        assert!(next_seq >= state.standby_next_seq, "a standby's durable end never goes back");
        state.standby_next_seq = next_seq;
        self.note_progress(&mut state);
    }

    /// The link to the standby broke.
    pub fn standby_gone(&self) {
        let mut state = self.lock();
        state.connected = false;
        metrics::gauge!("talat_replication_standby_connected").set(0.0);
        self.changed.notify_all();
    }

    fn note_progress(&self, state: &mut State) {
        metrics::gauge!("talat_replication_standby_connected").set(1.0);
        if state.standby_next_seq >= state.local_next_seq {
            state.caught_up_at = Instant::now();
            if state.degraded {
                state.degraded = false;
                metrics::gauge!("talat_replication_degraded").set(0.0);
                tracing::warn!(next_seq = state.standby_next_seq, "the standby has caught up: acknowledging synchronously again");
            }
        }
        self.changed.notify_all();
    }

    /// Goes on alone at once, without first waiting out the standby bound (available mode
    /// only): a node just promoted knows its standby would be the node that just failed.
    /// The alarm stands until a standby connects and catches up.
    pub fn go_alone(&self, reason: &str) {
        if !matches!(self.mode, AckMode::Sync { when_gone: WhenStandbyGone::Available, .. }) {
            return;
        }
        let mut state = self.lock();
        if state.connected && state.standby_next_seq >= state.local_next_seq {
            return;
        }
        state.degraded = true;
        metrics::gauge!("talat_replication_degraded").set(1.0);
        tracing::error!(%reason, "ALARM: going on alone (available mode) until a standby has caught up: what is acknowledged now exists on this machine only");
        self.changed.notify_all();
    }

    /// Tells the gate of an epoch heard elsewhere (the coordinator, a peer's handshake).
    pub fn learn_epoch(&self, epoch: u32) {
        self.known_epoch.fetch_max(epoch, Ordering::AcqRel);
    }

    /// This node's epoch and its journal's epoch history.
    pub fn epochs(&self) -> (u32, talat_journal::EpochHistory) {
        self.epochs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub(crate) fn set_epochs(&self, epoch: u32, history: &talat_journal::EpochHistory) {
        *self.epochs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = (epoch, history.clone());
    }

    /// The highest epoch this process has heard of.
    pub fn known_epoch(&self) -> u32 {
        self.known_epoch.load(Ordering::Acquire)
    }

    /// Wakes a committer waiting for the standby, for an orderly stop: what it waited for is
    /// not acknowledged.
    pub fn stop(&self) {
        self.lock().stopping = true;
        self.changed.notify_all();
    }

    pub fn status(&self) -> ReplicaStatus {
        let state = self.lock();
        let lag_records = state.local_next_seq.saturating_sub(state.standby_next_seq);
        ReplicaStatus {
            synchronous: matches!(self.mode, AckMode::Sync { .. }),
            standby_connected: state.connected,
            degraded: state.degraded,
            local_next_seq: state.local_next_seq,
            standby_next_seq: state.standby_next_seq,
            lag_records,
            lag_ms: if lag_records == 0 { 0 } else { state.caught_up_at.elapsed().as_millis() as u64 },
            known_epoch: self.known_epoch(),
        }
    }

    /// The committer made everything below `next_seq` durable here.
    pub(crate) fn committed(&self, next_seq: u64) {
        let mut state = self.lock();
        if state.standby_next_seq >= state.local_next_seq {
            // The standby held everything until now: the lag clock starts with this batch.
            state.caught_up_at = Instant::now();
        }
        state.local_next_seq = next_seq;
        metrics::gauge!("talat_replication_lag_records").set(next_seq.saturating_sub(state.standby_next_seq) as f64);
    }

    /// Whether the batch ending below `next_seq` may be acknowledged now, without waiting.
    pub(crate) fn holds(&self, next_seq: u64) -> bool {
        if !matches!(self.mode, AckMode::Sync { .. }) {
            return true;
        }
        let state = self.lock();
        state.degraded || state.standby_next_seq >= next_seq
    }

    /// Blocks until the batch ending below `next_seq` may be acknowledged (see the module
    /// documentation). `Err`: the gate was stopped while strict mode waited; the batch is not
    /// acknowledged.
    pub(crate) fn await_standby(&self, next_seq: u64) -> Result<(), String> {
        let AckMode::Sync { when_gone, standby_timeout_ms } = self.mode else {
            return Ok(());
        };
        let bound = Duration::from_millis(standby_timeout_ms);
        let mut state = self.lock();
        let mut deadline = Instant::now() + bound;
        let mut alarmed = false;
        // Each pass waits until the deadline or a change; strict mode renews the deadline, and
        // ends only on the standby's acknowledgement or a stop.
        loop {
            if state.standby_next_seq >= next_seq || state.degraded {
                return Ok(());
            }
            if state.stopping {
                return Err(format!("stopped while waiting for the standby to make seq {} durable: not acknowledged", next_seq - 1));
            }
            let now = Instant::now();
            if now >= deadline {
                match when_gone {
                    WhenStandbyGone::Available => {
                        state.degraded = true;
                        metrics::gauge!("talat_replication_degraded").set(1.0);
                        tracing::error!(
                            standby_timeout_ms,
                            standby_next_seq = state.standby_next_seq,
                            "ALARM: the standby is gone; going on alone (available mode): what is acknowledged now exists on this machine only"
                        );
                        return Ok(());
                    }
                    WhenStandbyGone::Strict => {
                        if !alarmed {
                            tracing::error!(standby_timeout_ms, "ALARM: the standby is gone; acknowledging nothing until it is back (strict mode)");
                            alarmed = true;
                        }
                        deadline = now + bound;
                    }
                }
            }
            let wait = deadline.saturating_duration_since(Instant::now());
            state = self.changed.wait_timeout(state, wait).unwrap_or_else(|poisoned| poisoned.into_inner()).0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn async_mode_never_waits_and_reports_its_lag() {
        let gate = ReplicaGate::new(AckMode::Async);
        gate.standby_connected(1);
        gate.committed(11);
        assert_eq!(gate.await_standby(11), Ok(()));
        let status = gate.status();
        assert_eq!((status.lag_records, status.synchronous), (10, false));
        gate.standby_acked(11);
        assert_eq!((gate.status().lag_records, gate.status().lag_ms), (0, 0));
    }

    #[test]
    fn sync_mode_waits_for_the_standby() {
        let gate = Arc::new(ReplicaGate::new(AckMode::Sync { when_gone: WhenStandbyGone::Strict, standby_timeout_ms: 60_000 }));
        gate.standby_connected(1);
        gate.committed(5);
        let acker = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                gate.standby_acked(3);
                gate.standby_acked(5);
            })
        };
        assert_eq!(gate.await_standby(5), Ok(()));
        acker.join().unwrap();
        assert_eq!(gate.status().standby_next_seq, 5);
    }

    #[test]
    fn available_mode_goes_on_alone_until_the_standby_catches_up() {
        let gate = ReplicaGate::new(AckMode::Sync { when_gone: WhenStandbyGone::Available, standby_timeout_ms: 1 });
        gate.committed(5);
        assert_eq!(gate.await_standby(5), Ok(()));
        assert!(gate.status().degraded);
        gate.committed(9);
        assert_eq!(gate.await_standby(9), Ok(()), "degraded: no second wait");
        gate.standby_connected(9);
        assert!(!gate.status().degraded, "caught up: synchronous again");
    }

    #[test]
    fn strict_mode_acknowledges_nothing_without_the_standby() {
        let gate = Arc::new(ReplicaGate::new(AckMode::Sync { when_gone: WhenStandbyGone::Strict, standby_timeout_ms: 1 }));
        gate.committed(5);
        let stopper = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                // Several strict rounds pass before the stop.
                std::thread::sleep(Duration::from_millis(20));
                gate.stop();
            })
        };
        let refused = gate.await_standby(5).unwrap_err();
        assert!(refused.contains("not acknowledged"), "{refused}");
        assert!(!gate.status().degraded);
        stopper.join().unwrap();
    }

    #[test]
    fn a_promoted_node_goes_on_alone_at_once_in_available_mode_only() {
        let available = ReplicaGate::new(AckMode::Sync { when_gone: WhenStandbyGone::Available, standby_timeout_ms: 60_000 });
        available.committed(5);
        available.go_alone("promoted");
        assert!(available.status().degraded);
        assert_eq!(available.await_standby(5), Ok(()), "no wait for the failed node");
        let strict = ReplicaGate::new(AckMode::Sync { when_gone: WhenStandbyGone::Strict, standby_timeout_ms: 60_000 });
        strict.go_alone("promoted");
        assert!(!strict.status().degraded);
    }

    #[test]
    fn epochs_only_grow() {
        let gate = ReplicaGate::new(AckMode::Async);
        gate.learn_epoch(4);
        gate.learn_epoch(2);
        assert_eq!(gate.known_epoch(), 4);
    }
}
