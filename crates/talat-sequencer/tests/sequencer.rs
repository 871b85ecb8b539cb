//! The live sequencer: outcomes equal a plain engine's, lanes are drained by priority, full lanes
//! refuse with Busy, a failed fdatasync stops everything, shutdown commits what was admitted.

mod support;

use std::sync::mpsc;
use std::time::Duration;
use support::*;
use talat_core::{Command, Event, ExternalId, Input, OrderId, UserId};
use talat_journal::storage::FaultyStorage;
use talat_journal::storage::{FsStorage, Storage};
use talat_sequencer::{CommitStats, Lane, ManualClock, Node, NodeConfig, NotAcknowledged, SequencerConfig, SequencerHandle, StopReason, SubmitError};

fn pause<S: Storage>(handle: &SequencerHandle<S>) -> mpsc::Sender<()> {
    // Parks the sequencer thread inside a control request until the returned sender fires (or
    // is dropped), so a test can fill the lanes while nothing is drained.
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (parked_tx, parked_rx) = mpsc::channel::<()>();
    let handle = handle.clone();
    std::thread::spawn(move || {
        let _ = handle.with_node(move |_| {
            parked_tx.send(()).unwrap();
            let _ = release_rx.recv();
        });
    });
    parked_rx.recv_timeout(Duration::from_secs(10)).expect("the sequencer parks");
    release_tx
}

#[test]
fn outcomes_equal_a_plain_engine_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START_MS);
    let config = small_config();
    let mut workload = workload(5);
    let node = Node::open(dir.path(), config.clone(), clock.clone()).unwrap();
    let sequencer = node.start(SequencerConfig { max_batch_commands: 32, ..SequencerConfig::default() });
    let handle = sequencer.handle();
    let mut outcomes = Vec::new();
    let mut commands = workload.setup();
    for _ in 0..600 {
        commands.push(workload.next_command());
    }
    // Submit in waves from two threads; each wave waits for its outcomes.
    for wave in commands.chunks(50) {
        let (a, b) = wave.split_at(wave.len() / 2);
        let submit_all = |part: &[Command]| {
            let tickets: Vec<_> = part.iter().map(|c| (c.clone(), handle.submit(c.clone(), Lane::of(c)).unwrap())).collect();
            tickets.into_iter().map(|(c, t)| (c, t.wait().unwrap())).collect::<Vec<_>>()
        };
        let (left, right) = std::thread::scope(|s| {
            let left = s.spawn(|| submit_all(a));
            let right = s.spawn(|| submit_all(b));
            (left.join().unwrap(), right.join().unwrap())
        });
        outcomes.extend(left);
        outcomes.extend(right);
        clock.advance(3);
    }
    let node = sequencer.shutdown().unwrap();
    let final_hash = node.engine().state_hash();
    let last_journal_seq = node.journal_span().next_seq - 1;
    node.close().unwrap();

    outcomes.sort_by_key(|(_, o)| o.seq);
    assert_eq!(outcomes.len(), commands.len());
    let mut engine = talat_engine::Engine::new(engine_config());
    for (i, (command, outcome)) in outcomes.iter().enumerate() {
        assert_eq!(outcome.seq, i as u64 + 1);
        let mut events = Vec::new();
        engine.apply(&Input { seq: outcome.seq, ts_ms: outcome.ts_ms, command: command.clone() }, &mut events);
        assert_eq!(events, outcome.events, "command {}", outcome.seq);
    }
    assert_eq!(engine.state_hash(), final_hash);
    // Checkpoints took journal seqs: one per 10 commands.
    assert_eq!(last_journal_seq, commands.len() as u64 + (commands.len() as u64 - 1) / 10);

    let reopened = Node::open(dir.path(), config, clock).unwrap();
    assert_eq!(reopened.engine().state_hash(), final_hash);
    assert!(reopened.recovery().snapshot.is_some(), "snapshots were taken");
    reopened.engine().check_invariants().unwrap();
}

#[test]
fn lanes_drain_cancels_first_then_money_out_then_orders() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), small_config(), ManualClock::new(START_MS)).unwrap();
    node.commit(workload(1).setup()).unwrap();
    let sequencer = node.start(SequencerConfig::default());
    let handle = sequencer.handle();
    let release = pause(&handle);
    let place = handle.submit(Command::CreateUser, Lane::Place).unwrap();
    let withdraw = Command::WithdrawalSettle { withdrawal_id: ExternalId("none".into()) };
    let money_out = handle.submit(withdraw, Lane::MoneyOut).unwrap();
    let cancel = Command::CancelOrder { user: UserId(0), order: OrderId(999) };
    let cancel = handle.submit(cancel, Lane::Cancel).unwrap();
    assert_eq!(handle.lane_depths(), [1, 1, 1]);
    release.send(()).unwrap();
    let (cancel, money_out, place) = (cancel.wait().unwrap(), money_out.wait().unwrap(), place.wait().unwrap());
    assert!(cancel.seq < money_out.seq && money_out.seq < place.seq);
    assert!(matches!(cancel.events[..], [Event::Rejected { .. }]));
    sequencer.shutdown().unwrap();
}

#[test]
fn a_full_lane_refuses_with_busy_and_other_lanes_still_admit() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path(), small_config(), ManualClock::new(START_MS)).unwrap();
    let sequencer = node.start(SequencerConfig { place_lane_capacity: 2, ..SequencerConfig::default() });
    let handle = sequencer.handle();
    let release = pause(&handle);
    let first = handle.submit(Command::CreateUser, Lane::Place).unwrap();
    let second = handle.submit(Command::CreateUser, Lane::Place).unwrap();
    assert_eq!(handle.submit(Command::CreateUser, Lane::Place).unwrap_err(), SubmitError::Busy { lane: Lane::Place, capacity: 2 });
    let cancel = Command::CancelAll { user: UserId(0), market: None };
    let cancel = handle.submit(cancel, Lane::Cancel).unwrap();
    drop(release);
    assert_eq!(cancel.wait().unwrap().seq, 1, "the cancel overtook the queued orders");
    assert_eq!(first.wait().unwrap().seq, 2);
    assert_eq!(second.wait().unwrap().seq, 3);
    // Room again.
    handle.submit_and_wait(Command::CreateUser, Lane::Place).unwrap();
    sequencer.shutdown().unwrap();
}

#[test]
fn an_oversized_command_is_refused_before_it_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path(), small_config(), ManualClock::new(START_MS)).unwrap();
    let sequencer = node.start(SequencerConfig { max_command_bytes: 64, ..SequencerConfig::default() });
    let big = Command::Deposit {
        user: UserId(0),
        asset: talat_core::AssetId(0),
        amount: talat_core::Amount(1),
        external_id: talat_core::ExternalId("x".repeat(200)),
    };
    let error = sequencer.handle().submit(big, Lane::Place).unwrap_err();
    assert!(matches!(error, SubmitError::TooLarge { max_bytes: 64, .. }), "{error}");
    let node = sequencer.shutdown().unwrap();
    assert_eq!(node.engine().last_seq(), 0);
}

#[test]
fn a_failed_fdatasync_stops_the_sequencer_and_nothing_after_it_is_acknowledged() {
    let storage = FaultyStorage::new(9);
    let clock = ManualClock::new(START_MS);
    let node = Node::open_with(storage.clone(), "/data", small_config(), clock.clone()).unwrap();
    let sequencer = node.start(SequencerConfig::default());
    let handle = sequencer.handle();
    let acked = handle.submit_and_wait(Command::CreateUser, Lane::Place).unwrap();
    assert_eq!(acked.seq, 1);
    storage.fail_fdatasync_after(0);
    let failed = handle.submit(Command::CreateUser, Lane::Place).unwrap().wait();
    assert!(matches!(failed, Err(NotAcknowledged { reason: StopReason::Fatal(_) })), "{failed:?}");
    let refused = handle.submit(Command::CreateUser, Lane::Place).unwrap_err();
    assert!(matches!(refused, SubmitError::Stopped(StopReason::Fatal(_))), "{refused}");
    assert!(matches!(handle.stop_reason(), Some(StopReason::Fatal(_))));
    let stopped = sequencer.join();
    let Err(StopReason::Fatal(cause)) = stopped else { panic!("expected a fatal stop") };
    assert!(cause.contains("fdatasync"), "{cause}");
    storage.crash();
    storage.disarm();
    let node = Node::open_with(storage, "/data", small_config(), clock).unwrap();
    assert!(node.engine().last_seq() >= 1, "the acknowledged command survived");
}

#[test]
fn shutdown_commits_everything_admitted_first() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path(), small_config(), ManualClock::new(START_MS)).unwrap();
    let sequencer = node.start(SequencerConfig::default());
    let handle = sequencer.handle();
    let release = pause(&handle);
    let tickets: Vec<_> = (0..25).map(|_| handle.submit(Command::CreateUser, Lane::Place).unwrap()).collect();
    let shutdown = std::thread::spawn(move || sequencer.shutdown());
    // Admission closes at once; what was admitted still commits.
    while handle.stop_reason().is_none() {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(matches!(handle.submit(Command::CreateUser, Lane::Place), Err(SubmitError::Stopped(StopReason::Shutdown))));
    drop(release);
    for (i, ticket) in tickets.into_iter().enumerate() {
        assert_eq!(ticket.wait().unwrap().seq, i as u64 + 1);
    }
    let node = shutdown.join().unwrap().unwrap();
    assert_eq!(node.engine().user_count(), 25);
}

#[test]
fn snapshots_come_due_by_time_on_the_injected_clock() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START_MS);
    let mut config = small_config();
    config.snapshots.every_commands = 0;
    config.snapshots.every_ms = 60_000;
    let mut node = Node::open(dir.path(), config.clone(), clock.clone()).unwrap();
    node.commit(vec![Command::CreateUser; 3]).unwrap();
    node.tick().unwrap();
    assert_eq!(node.stats().snapshots_written, 0);
    clock.advance(60_000);
    node.tick().unwrap();
    assert_eq!(node.stats().snapshots_written, 1);
    node.tick().unwrap();
    assert_eq!(node.stats().snapshots_written, 1, "nothing new since: no second snapshot");
    node.close().unwrap();
    let reopened = Node::open(dir.path(), config, clock).unwrap();
    assert_eq!(reopened.recovery().snapshot.as_ref().unwrap().command_seq, 3);
    assert_eq!(reopened.recovery().replayed.commands, 0);
}

/// Runs a fresh node's sequencer with `config`, lets `drive` submit the setup commands of a
/// workload (it returns how many it submitted), and returns the node's counters after shutdown.
fn stats_after(config: SequencerConfig, drive: impl FnOnce(&SequencerHandle<FsStorage>, &[Command]) -> usize) -> CommitStats {
    let dir = tempfile::tempdir().unwrap();
    // Checkpoints end a batch: put them out of the way.
    let node_config = NodeConfig { checkpoint_every_commands: 1_000, ..small_config() };
    let node = Node::open(dir.path(), node_config, ManualClock::new(START_MS)).unwrap();
    let sequencer = node.start(config);
    let submitted = drive(&sequencer.handle(), &workload(9).setup());
    let node = sequencer.shutdown().unwrap();
    let stats = node.stats();
    assert_eq!(stats.commands, submitted as u64);
    node.close().unwrap();
    stats
}

#[test]
fn a_gather_window_makes_one_group_commit_of_what_arrives_within_it() {
    // The same arrivals — one command, then the rest 20 ms later — with and without a window.
    // The first command finds no earlier group commit, so it commits at once either way; the
    // window paces the next one (pacing after every commit, so that the lone first paces).
    let batches_with = |gather_us: u64| {
        let config = SequencerConfig { gather_us, gather_min_commands: 1, ..SequencerConfig::default() };
        let stats = stats_after(config, |handle, commands| {
            assert!(commands.len() >= 2, "the setup has several commands");
            let first = handle.submit(commands[0].clone(), Lane::of(&commands[0])).unwrap();
            std::thread::sleep(Duration::from_millis(20));
            let rest: Vec<_> = commands[1..].iter().map(|c| handle.submit(c.clone(), Lane::of(c)).unwrap()).collect();
            first.wait().unwrap();
            for ticket in rest {
                ticket.wait().unwrap();
            }
            commands.len()
        });
        stats.batches
    };
    assert!(batches_with(0) >= 2, "without a window the first command commits alone");
    assert_eq!(batches_with(100_000), 2, "the first commits at once; a 100 ms window takes everything that came after it");
}

#[test]
fn a_lone_client_is_never_paced() {
    // One command at a time, each submitted once the previous is answered: every group commit
    // holds one command, so with the default `gather_min_commands` none waits for the window.
    let paced_with = |gather_min_commands: usize| {
        let config = SequencerConfig { gather_us: 100_000, gather_min_commands, ..SequencerConfig::default() };
        let stats = stats_after(config, |handle, commands| {
            for command in &commands[..4] {
                handle.submit(command.clone(), Lane::of(command)).unwrap().wait().unwrap();
            }
            4
        });
        assert_eq!(stats.batches, 4);
        stats.paced_batches
    };
    assert_eq!(paced_with(SequencerConfig::default().gather_min_commands), 0);
    // Each later command arrives well within 100 ms of the commit before it (only a stall of
    // the whole machine could make one miss the window), so pacing after every commit waits.
    assert!(paced_with(1) >= 1, "pacing after every commit makes later commands wait");
}

/// Once the engine holds `LOOKAHEAD_MIN_ENTRIES` users and orders, the committer gives look-ahead
/// hints over the rest of each batch (`Committer::apply_batch`); the outcomes are still exactly
/// a plain engine's, which applies the same commands with no hint at all.
#[test]
fn look_ahead_hints_over_a_batch_change_no_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig { engine: engine_config(), ..NodeConfig::default() };
    let mut node = Node::open(dir.path(), config, ManualClock::new(START_MS)).unwrap();
    let mut workload = workload(7);
    let mut commands = workload.setup();
    commands.extend(std::iter::repeat_n(Command::CreateUser, talat_engine::LOOKAHEAD_MIN_ENTRIES));
    let mut outcomes = node.commit(commands.clone()).unwrap();
    assert!(node.engine().lookahead_pays(), "the hints are given from here on");
    let trading: Vec<Command> = (0..3_000).map(|_| workload.next_command()).collect();
    outcomes.extend(node.commit(trading.clone()).unwrap());
    commands.extend(trading);

    let mut engine = talat_engine::Engine::new(engine_config());
    let mut traded = 0;
    for (command, outcome) in commands.iter().zip(&outcomes) {
        let mut events = Vec::new();
        engine.apply(&Input { seq: outcome.seq, ts_ms: outcome.ts_ms, command: command.clone() }, &mut events);
        assert_eq!(events, outcome.events, "command {}", outcome.seq);
        traded += events.iter().filter(|e| matches!(e, Event::Trade { .. })).count();
    }
    assert_eq!(outcomes.len(), commands.len());
    assert!(traded > 100, "the stream matched orders: {traded} trades");
    assert_eq!(engine.state_hash(), node.engine().state_hash());
    node.close().unwrap();
}
