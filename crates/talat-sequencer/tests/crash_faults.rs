//! Crashes injected into the storage under the sequencer and the engine, on random streams of
//! real commands. After every crash and recovery:
//! - the recovered engine holds a prefix of what was submitted, at least every acknowledged
//!   command (possibly also the unacknowledged batch in flight, which reached the disk whole);
//! - its state equals a fresh engine that applied exactly that prefix (same state hash);
//! - every acknowledged command's events equal the fresh engine's events for it;
//! - every invariant holds, and the node keeps working (and recovers again) afterwards.

mod support;

use std::path::Path;
use support::*;
use talat_core::Command;
use talat_journal::storage::FaultyStorage;
use talat_sequencer::workload::Rng;
use talat_sequencer::{Lane, ManualClock, Node, NodeConfig, Outcome, SequencerConfig, StopReason};

const DATA: &str = "/data";

/// Cases per test; raise with TALAT_FAULT_CASES for a longer hunt.
fn cases() -> u64 {
    std::env::var("TALAT_FAULT_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(40)
}

/// Everything the test submitted (with the time it was stamped) and what was acknowledged.
#[derive(Default)]
struct History {
    submitted: Vec<(Command, u64)>,
    acked: Vec<Outcome>,
}

impl History {
    fn check_recovered(&self, node: &Node<FaultyStorage>, context: &str) {
        let engine = node.engine();
        let recovered = engine.last_seq() as usize;
        let last_acked = self.acked.iter().map(|o| o.seq as usize).max().unwrap_or(0);
        assert!(recovered >= last_acked, "{context}: recovered {recovered} commands but command {last_acked} was acknowledged");
        assert!(recovered <= self.submitted.len(), "{context}: recovered {recovered} commands, only {} were submitted", self.submitted.len());
        for pair in self.acked.windows(2) {
            assert!(pair[0].seq < pair[1].seq, "{context}: acknowledged in seq order");
        }
        let prefix = inputs(&self.submitted[..recovered]);
        let (fresh, events) = fresh_replay(&prefix);
        assert_eq!(fresh.state_hash(), engine.state_hash(), "{context}: recovered state differs from a fresh engine on the recovered prefix");
        for outcome in &self.acked {
            assert_eq!(outcome.events, events[outcome.seq as usize - 1], "{context}: events of acknowledged command {} differ after recovery", outcome.seq);
        }
        engine.check_invariants().unwrap_or_else(|v| panic!("{context}: invariant broken after recovery: {v}"));
    }

    /// Forgets submitted-but-lost commands beyond what recovery kept, so that later commands
    /// line up with their engine seqs again.
    fn truncate_to(&mut self, recovered: u64) {
        self.submitted.truncate(recovered as usize);
        assert!(self.acked.iter().all(|o| o.seq <= recovered));
    }
}

fn open(storage: &FaultyStorage, config: &NodeConfig, clock: &ManualClock) -> Node<FaultyStorage> {
    Node::open_with(storage.clone(), Path::new(DATA), config.clone(), clock.clone()).unwrap_or_else(|e| panic!("recovery failed: {e}"))
}

/// Commits random chunks synchronously until `chunks` are done or the storage fails.
fn commit_until_failure(
    node: &mut Node<FaultyStorage>,
    history: &mut History,
    workload: &mut talat_sequencer::workload::Workload,
    rng: &mut Rng,
    clock: &ManualClock,
    chunks: usize,
) -> bool {
    if node.engine().last_seq() == 0 {
        let setup = workload.setup();
        if !commit_chunk(node, history, workload, clock, setup) {
            return false;
        }
    }
    for _ in 0..chunks {
        let n = 1 + rng.below(24) as usize;
        let chunk = (0..n).map(|_| workload.next_command()).collect();
        if !commit_chunk(node, history, workload, clock, chunk) {
            return false;
        }
    }
    true
}

fn commit_chunk(
    node: &mut Node<FaultyStorage>,
    history: &mut History,
    workload: &mut talat_sequencer::workload::Workload,
    clock: &ManualClock,
    chunk: Vec<Command>,
) -> bool {
    clock.advance(1);
    let ts = clock_now(clock);
    history.submitted.extend(chunk.iter().cloned().map(|c| (c, ts)));
    match node.commit(chunk) {
        Ok(outcomes) => {
            for outcome in &outcomes {
                workload.observe(&outcome.events);
            }
            history.acked.extend(outcomes);
            true
        }
        // A crash can interrupt a chunk between two of its batches (at a checkpoint): the
        // batches before it were acknowledged, but `commit` returns only the error. Such
        // commands count as unacknowledged here, which only weakens the check for them.
        Err(_) => false,
    }
}

fn clock_now(clock: &ManualClock) -> u64 {
    use talat_sequencer::Clock;
    clock.now_ms()
}

#[test]
fn crashes_at_random_points_recover_the_acknowledged_prefix() {
    // The paths the test must have exercised: recovering from a snapshot, and an
    // unacknowledged batch (or part of a chunk) that reached the disk whole.
    let (mut from_snapshot, mut beyond_acked) = (0, 0);
    for seed in 0..cases() {
        let storage = FaultyStorage::new(seed);
        let config = small_config();
        let clock = ManualClock::new(START_MS);
        let mut rng = Rng::new(seed ^ 0xC0FFEE);
        let mut workload = workload(seed);
        let mut history = History::default();
        // Several crash-and-recover rounds on the same disk.
        for round in 0..3 {
            let mut node = open(&storage, &config, &clock);
            let context = format!("seed {seed} round {round}");
            history.check_recovered(&node, &context);
            history.truncate_to(node.engine().last_seq());
            storage.crash_after_ops(rng.below(240));
            commit_until_failure(&mut node, &mut history, &mut workload, &mut rng, &clock, 40);
            drop(node);
            storage.crash();
            storage.disarm();
        }
        let node = open(&storage, &config, &clock);
        history.check_recovered(&node, &format!("seed {seed} final"));
        from_snapshot += u64::from(node.recovery().snapshot.is_some());
        beyond_acked += u64::from(node.engine().last_seq() as usize > history.acked.len());
    }
    assert!(from_snapshot > 0 && beyond_acked > 0, "{from_snapshot} {beyond_acked}");
}

#[test]
fn a_failed_fdatasync_is_fatal_and_recovery_keeps_what_was_acknowledged() {
    for seed in 0..cases() / 2 {
        let storage = FaultyStorage::new(1_000 + seed);
        let config = small_config();
        let clock = ManualClock::new(START_MS);
        let mut rng = Rng::new(seed);
        let mut workload = workload(seed);
        let mut history = History::default();
        let mut node = open(&storage, &config, &clock);
        storage.fail_fdatasync_after(rng.below(40));
        let survived = commit_until_failure(&mut node, &mut history, &mut workload, &mut rng, &clock, 40);
        if !survived {
            // Poisoned: nothing more is ever acknowledged by this process.
            let error = node.commit(vec![Command::CreateUser]).unwrap_err();
            assert!(error.to_string().contains("FATAL"), "{error}");
        }
        drop(node);
        storage.crash();
        storage.disarm();
        let node = open(&storage, &config, &clock);
        history.check_recovered(&node, &format!("seed {seed}"));
    }
}

#[test]
fn crashes_under_the_threaded_sequencer_with_background_snapshots() {
    for seed in 0..cases() / 2 {
        let storage = FaultyStorage::new(2_000 + seed);
        let mut config = small_config();
        config.snapshots.background = true;
        let clock = ManualClock::new(START_MS);
        let mut rng = Rng::new(seed);
        let mut workload = workload(seed);
        let mut history = History::default();
        let context = format!("seed {seed}");

        let mut node = open(&storage, &config, &clock);
        let setup = workload.setup();
        history.submitted.extend(setup.iter().cloned().map(|c| (c, START_MS)));
        for outcome in node.commit(setup).unwrap() {
            workload.observe(&outcome.events);
            history.acked.push(outcome);
        }
        let sequencer = node.start(SequencerConfig { max_batch_commands: 16, ..SequencerConfig::default() });
        let handle = sequencer.handle();
        storage.crash_after_ops(rng.below(300));
        // Submit in waves; the clock stays put so every stamp is known in advance.
        let mut stopped = false;
        for _ in 0..30 {
            let mut tickets = Vec::new();
            for _ in 0..1 + rng.below(40) {
                let command = workload.next_command();
                let lane = Lane::of(&command);
                match handle.submit(command.clone(), lane) {
                    Ok(ticket) => tickets.push((command, ticket)),
                    Err(_) => {
                        stopped = true;
                        break;
                    }
                }
            }
            // Lanes reorder a wave (cancels first): record commands in the order the sequencer
            // gave them seqs, i.e. by outcome, and unacknowledged ones after (their order
            // among themselves is what the journal holds, checked by the prefix comparison
            // only up to the acknowledged ones).
            let mut acked = Vec::new();
            let mut lost = Vec::new();
            for (command, ticket) in tickets {
                match ticket.wait() {
                    Ok(outcome) => acked.push((command, outcome)),
                    Err(_) => lost.push(command),
                }
            }
            acked.sort_by_key(|(_, outcome)| outcome.seq);
            for (command, outcome) in acked {
                workload.observe(&outcome.events);
                history.submitted.push((command, START_MS));
                history.acked.push(outcome);
            }
            if !lost.is_empty() || stopped {
                break;
            }
        }
        // Stopped on its own after a fatal error, or (no crash came) shut down in order.
        let joined = sequencer.shutdown();
        if let Err(reason) = &joined {
            assert!(matches!(reason, StopReason::Fatal(_)), "{context}: {reason}");
        }
        drop(joined);
        storage.crash();
        storage.disarm();
        let node = open(&storage, &config, &clock);
        // Unacknowledged commands may have reached the journal in an order this test did not
        // record, so only the acknowledged prefix is compared with a fresh engine.
        let recovered = node.engine().last_seq() as usize;
        assert!(recovered >= history.acked.len(), "{context}");
        let acked_inputs = inputs(&history.submitted[..history.acked.len()]);
        let (_, events) = fresh_replay(&acked_inputs);
        for outcome in &history.acked {
            assert_eq!(outcome.events, events[outcome.seq as usize - 1], "{context}");
        }
        if recovered == history.acked.len() {
            let (fresh, _) = fresh_replay(&acked_inputs);
            assert_eq!(fresh.state_hash(), node.engine().state_hash(), "{context}");
        }
        node.engine().check_invariants().unwrap();
    }
}
