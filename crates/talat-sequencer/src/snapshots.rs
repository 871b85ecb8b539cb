//! Taking snapshots by policy, writing them (on a background thread by default), pruning old
//! ones, and telling the sequencer which journal segments it may now archive.
//!
//! The sequencer thread only copies the engine's canonical state (`Engine::snapshot`, O(state));
//! hashing, writing, fdatasync, rename and pruning happen on the writer thread. At most one
//! snapshot is in flight, so memory stays bounded at one extra copy of the state; a snapshot that
//! comes due while another is being written waits for the next batch.

use crate::config::SnapshotPolicy;
use sha2::{Digest, Sha256};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use talat_engine::Engine;
use talat_journal::storage::Storage;
use talat_journal::SnapshotStore;

/// A snapshot that is now durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Written {
    pub(crate) journal_seq: u64,
    /// Seq of the oldest snapshot kept, once as many as the policy keeps exist: journal
    /// segments up to it may be archived.
    pub(crate) oldest_kept_seq: Option<u64>,
}

struct Job {
    journal_seq: u64,
    state: Vec<u8>,
}

struct Worker {
    jobs: Option<SyncSender<Job>>,
    results: Receiver<Result<Written, String>>,
    thread: Option<JoinHandle<()>>,
}

pub(crate) struct SnapshotTaker<S: Storage> {
    store: Arc<SnapshotStore<S>>,
    policy: SnapshotPolicy,
    /// Engine seq and clock time of the last snapshot taken (or recovered from).
    last_command_seq: u64,
    last_ms: u64,
    worker: Option<Worker>,
    in_flight: bool,
    /// Results of inline writes, handed out by `poll` like the worker's.
    inline_results: Vec<Result<Written, String>>,
}

impl<S: Storage> SnapshotTaker<S> {
    pub(crate) fn new(store: SnapshotStore<S>, policy: SnapshotPolicy, last_command_seq: u64, now_ms: u64) -> Self {
        let store = Arc::new(store);
        let worker = policy.background.then(|| spawn_worker(Arc::clone(&store), policy.keep));
        SnapshotTaker { store, policy, last_command_seq, last_ms: now_ms, worker, in_flight: false, inline_results: Vec::new() }
    }

    fn due(&self, command_seq: u64, now_ms: u64) -> bool {
        let new_commands = command_seq.saturating_sub(self.last_command_seq);
        if new_commands == 0 || self.in_flight {
            return false;
        }
        let by_count = self.policy.every_commands > 0 && new_commands >= self.policy.every_commands;
        let by_time = self.policy.every_ms > 0 && now_ms.saturating_sub(self.last_ms) >= self.policy.every_ms;
        by_count || by_time
    }

    /// Takes a snapshot of `engine` (the state after journal record `journal_seq`, which must be
    /// durable) if the policy says one is due.
    pub(crate) fn maybe_take(&mut self, engine: &Engine, journal_seq: u64, now_ms: u64) -> bool {
        if !self.due(engine.last_seq(), now_ms) {
            return false;
        }
        self.take(engine, journal_seq, now_ms);
        true
    }

    /// Takes a snapshot now, whatever the policy says (waits for one in flight first).
    pub(crate) fn take_now(&mut self, engine: &Engine, journal_seq: u64, now_ms: u64) {
        if self.in_flight {
            let finished = self.wait_in_flight();
            self.inline_results.extend(finished);
        }
        self.take(engine, journal_seq, now_ms);
    }

    fn take(&mut self, engine: &Engine, journal_seq: u64, now_ms: u64) {
        assert!(!self.in_flight);
        let job = Job { journal_seq, state: engine.snapshot() };
        self.last_command_seq = engine.last_seq();
        self.last_ms = now_ms;
        match &self.worker {
            Some(worker) => {
                self.in_flight = true;
                worker.jobs.as_ref().expect("the job channel lives as long as the taker").send(job).expect("the snapshot writer outlives the taker");
            }
            None => {
                let result = write(&self.store, job, self.policy.keep);
                self.inline_results.push(result);
            }
        }
    }

    /// Snapshot writes that finished since the last call (never blocks).
    pub(crate) fn poll(&mut self) -> Vec<Result<Written, String>> {
        let mut done = std::mem::take(&mut self.inline_results);
        if let Some(worker) = &self.worker {
            match worker.results.try_recv() {
                Ok(result) => {
                    self.in_flight = false;
                    done.push(result);
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    if self.in_flight {
                        self.in_flight = false;
                        done.push(Err("the snapshot writer thread died".into()));
                    }
                }
            }
        }
        done
    }

    fn wait_in_flight(&mut self) -> Vec<Result<Written, String>> {
        let mut done = Vec::new();
        if let (true, Some(worker)) = (self.in_flight, &self.worker) {
            done.push(worker.results.recv().unwrap_or_else(|_| Err("the snapshot writer thread died".into())));
            self.in_flight = false;
        }
        done
    }

    /// Waits for a write in flight; returns every result not yet handed out.
    pub(crate) fn wait_pending(&mut self) -> Vec<Result<Written, String>> {
        let mut done = std::mem::take(&mut self.inline_results);
        done.extend(self.wait_in_flight());
        done
    }

    /// Waits for a write in flight and stops the writer thread; returns what finished.
    pub(crate) fn finish(&mut self) -> Vec<Result<Written, String>> {
        let mut done = std::mem::take(&mut self.inline_results);
        done.extend(self.wait_in_flight());
        if let Some(mut worker) = self.worker.take() {
            worker.jobs = None; // the writer's recv ends
            if let Some(thread) = worker.thread.take() {
                if thread.join().is_err() {
                    done.push(Err("the snapshot writer thread panicked".into()));
                }
            }
        }
        done
    }
}

impl<S: Storage> Drop for SnapshotTaker<S> {
    fn drop(&mut self) {
        // Results are dropped: whoever drops a node without closing it does not need them, and
        // a completed snapshot file is valid on its own.
        let _ = self.finish();
    }
}

fn spawn_worker<S: Storage>(store: Arc<SnapshotStore<S>>, keep: usize) -> Worker {
    // One job at a time: the sequencer never queues a second (see `in_flight`).
    let (jobs, job_rx) = mpsc::sync_channel::<Job>(1);
    let (result_tx, results) = mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("talat-snapshot".into())
        .spawn(move || {
            // Ends when the taker drops its sender.
            while let Ok(job) = job_rx.recv() {
                if result_tx.send(write(&store, job, keep)).is_err() {
                    return;
                }
            }
        })
        .expect("spawning the snapshot writer thread");
    Worker { jobs: Some(jobs), results, thread: Some(thread) }
}

/// Hashes, writes durably, and prunes to `keep` snapshots.
///
/// The hash is SHA-256 of the snapshot bytes, which is exactly how the engine defines its state
/// hash (`Engine::state_hash`), so it is computed here, off the sequencer thread; a test holds the
/// two definitions together and recovery re-checks it against the restored engine.
fn write<S: Storage>(store: &SnapshotStore<S>, job: Job, keep: usize) -> Result<Written, String> {
    let hash: [u8; 32] = Sha256::digest(&job.state).into();
    store.write(job.journal_seq, &hash, &job.state).map_err(|e| e.to_string())?;
    let kept = store.retain_newest(keep).map_err(|e| e.to_string())?;
    // Archive only once `keep` snapshots exist, and only what the oldest of them covers: then
    // recovery can still fall back from a damaged newest snapshot to an older one.
    let oldest_kept_seq = (kept.len() >= keep).then(|| kept[0]);
    Ok(Written { journal_seq: job.journal_seq, oldest_kept_seq })
}

#[cfg(test)]
mod tests {
    use super::*;
    use talat_engine::EngineConfig;

    #[test]
    fn the_snapshot_hash_is_the_engines_state_hash() {
        let engine = Engine::new(EngineConfig::default());
        let bytes = engine.snapshot();
        let hash: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(hash, engine.state_hash());
    }
}
