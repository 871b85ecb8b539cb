//! The replication link between two nodes in one process, over loopback TCP: synchronous
//! acknowledgement, promotion into a new epoch, a deposed primary fenced and its tail cut,
//! asynchronous lag, catching up from a snapshot, and a diverged standby stopping loudly.
//! (The same with real processes killed by SIGKILL is `talat drill failover`'s, in
//! crates/talat/tests/continuity.rs.)

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use talat_continuity::link::{self, PrimaryLink, StandbyConfig, StandbyControl, StandbyError};
use talat_core::Command;
use talat_engine::EngineConfig;
use talat_journal::JournalConfig;
use talat_sequencer::workload::{Workload, WorkloadConfig};
use talat_sequencer::{AckMode, Lane, Node, NodeConfig, ReplicaGate, Sequencer, SequencerConfig, SnapshotPolicy, SystemClock, WhenStandbyGone};

fn config() -> NodeConfig {
    NodeConfig {
        journal: JournalConfig { segment_max_bytes: 4 * 1024, ..JournalConfig::default() },
        engine: EngineConfig { check_invariants_every_command: false, ..EngineConfig::default() },
        checkpoint_every_commands: 10,
        snapshots: SnapshotPolicy { every_commands: 40, every_ms: 0, keep: 2, archive_covered_segments: true, background: false },
    }
}

fn workload(seed: u64) -> Workload {
    Workload::new(WorkloadConfig { seed, users: 6, markets: 2, target_live_per_market: 60 })
}

const SYNC: AckMode = AckMode::Sync { when_gone: WhenStandbyGone::Strict, standby_timeout_ms: 30_000 };

struct Primary {
    sequencer: Sequencer,
    gate: Arc<ReplicaGate>,
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    link: std::thread::JoinHandle<()>,
}

fn start_primary(dir: &Path, mode: AckMode, epoch: Option<u32>) -> Primary {
    let mut node = Node::open(dir, config(), SystemClock).unwrap();
    let gate = Arc::new(ReplicaGate::new(mode));
    node.set_replication(Arc::clone(&gate));
    if let Some(epoch) = epoch {
        node.begin_epoch(epoch).unwrap();
    }
    let sequencer = node.start(SequencerConfig { max_batch_commands: 64, ..SequencerConfig::default() });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let journal = sequencer.handle().with_node(|n| n.reader_source()).unwrap();
    let link = link::serve_standbys(listener, PrimaryLink { data_dir: dir.to_path_buf(), journal, gate: Arc::clone(&gate) }, Arc::clone(&stop));
    Primary { sequencer, gate, address, stop, link }
}

impl Primary {
    fn submit_all(&self, commands: &[Command], workload: &mut Workload) -> Vec<u64> {
        let handle = self.sequencer.handle();
        let mut acknowledged = Vec::new();
        for wave in commands.chunks(32) {
            let tickets: Vec<_> = wave.iter().map(|c| handle.submit(c.clone(), Lane::of(c)).unwrap()).collect();
            for ticket in tickets {
                let outcome = ticket.wait().unwrap();
                workload.observe(&outcome.events);
                acknowledged.push(outcome.journal_seq);
            }
        }
        acknowledged
    }

    fn stop(self) -> Node {
        self.gate.stop();
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        let node = self.sequencer.shutdown().unwrap();
        self.link.join().unwrap();
        node
    }
}

fn standby(dir: &Path, peer: SocketAddr) -> (Arc<StandbyControl>, std::thread::JoinHandle<Result<Node, StandbyError>>) {
    let control = Arc::new(StandbyControl::default());
    let config = StandbyConfig { data_dir: dir.to_path_buf(), node: config(), peer, node_id: "standby".into(), reconnect_ms: 20 };
    let thread = {
        let control = Arc::clone(&control);
        std::thread::spawn(move || link::run_standby(&config, &control))
    };
    (control, thread)
}

/// Polls `done` for up to 30 s (a bound, not a timing assertion).
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..3_000 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("gave up waiting: {what}");
}

#[test]
fn synchronous_replication_acknowledges_only_what_the_standby_holds_and_the_standby_takes_over() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let primary = start_primary(a.path(), SYNC, None);
    let (control, follower) = standby(b.path(), primary.address);
    let mut workload = workload(7);
    let mut commands = workload.setup();
    commands.extend((0..600).map(|_| workload.next_command()));
    let acknowledged = primary.submit_all(&commands, &mut workload);
    // Synchronous: the standby held every acknowledged record when it was acknowledged.
    let status = primary.gate.status();
    assert!(status.synchronous && status.standby_connected);
    assert!(status.standby_next_seq > *acknowledged.iter().max().unwrap());
    let primary_hash = primary.sequencer.handle().with_node(|n| n.engine().state_hash()).unwrap();

    // The primary is lost; the standby is promoted into epoch 1 and goes on.
    let old = primary.stop();
    control.request_promotion();
    let mut promoted = follower.join().unwrap().unwrap();
    assert_eq!(promoted.engine().state_hash(), primary_hash);
    let first = promoted.begin_epoch(1).unwrap();
    let outcomes = promoted.commit(vec![Command::CreateUser]).unwrap();
    assert_eq!(outcomes[0].journal_seq, first + 1);
    assert_eq!(promoted.epochs().end_of(0, promoted.journal_span().next_seq), Some(first));

    // The old primary learns of epoch 1 and writes nothing more.
    let old_gate = Arc::new(ReplicaGate::new(AckMode::Async));
    let mut old = old;
    old.set_replication(Arc::clone(&old_gate));
    old_gate.learn_epoch(1);
    let refused = old.commit(vec![Command::CreateUser]).unwrap_err();
    assert!(refused.cause.contains("deposed"), "{refused}");
}

#[test]
fn a_deposed_primary_rejoins_as_standby_with_its_unreplicated_tail_cut_exactly() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut workload = workload(11);
    let mut commands = workload.setup();
    commands.extend((0..300).map(|_| workload.next_command()));

    // A replicates 300-odd commands to B, then B is cut off and A writes on alone (async).
    let primary = start_primary(a.path(), AckMode::Async, None);
    let (control, follower) = standby(b.path(), primary.address);
    primary.submit_all(&commands, &mut workload);
    let replicated_end = primary.sequencer.handle().with_node(|n| n.journal_span().next_seq).unwrap();
    wait_until("the standby holds everything", || primary.gate.status().standby_next_seq == replicated_end);
    control.request_promotion();
    let mut b_node = follower.join().unwrap().unwrap();
    let tail: Vec<Command> = (0..50).map(|_| workload.next_command()).collect();
    primary.submit_all(&tail, &mut workload);
    let a_node = primary.stop();
    let a_end = a_node.journal_span().next_seq;
    assert!(a_end > replicated_end + 40);
    a_node.close().unwrap();

    // B is promoted into epoch 1 and serves; A comes back as B's standby.
    b_node.begin_epoch(1).unwrap();
    b_node.close().unwrap();
    let new_primary = start_primary(b.path(), SYNC, None);
    let more: Vec<Command> = (0..100).map(|_| workload.next_command()).collect();
    let (control, follower) = standby(a.path(), new_primary.address);
    new_primary.submit_all(&more, &mut workload);
    let b_end = new_primary.sequencer.handle().with_node(|n| n.journal_span().next_seq).unwrap();
    wait_until("the deposed primary follows the new one", || control.status().next_seq == b_end);
    let cut = control.status().last_cut.expect("the tail was cut");
    assert_eq!((cut.from_seq, cut.records_cut, cut.epochs.clone()), (replicated_end, a_end - replicated_end, vec![0]));
    let b_hash = new_primary.sequencer.handle().with_node(|n| n.engine().state_hash()).unwrap();
    control.request_promotion();
    let a_node = follower.join().unwrap().unwrap();
    assert_eq!(a_node.engine().state_hash(), b_hash);
    assert_eq!(a_node.epoch(), 1);
    new_primary.stop();
}

#[test]
fn asynchronous_mode_reports_its_lag_and_a_far_behind_standby_catches_up_from_a_snapshot() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let primary = start_primary(a.path(), AckMode::Async, None);
    let mut workload = workload(5);
    let mut commands = workload.setup();
    commands.extend((0..900).map(|_| workload.next_command()));
    primary.submit_all(&commands, &mut workload);
    let status = primary.gate.status();
    assert!(!status.synchronous && !status.standby_connected);
    assert_eq!(status.lag_records, status.local_next_seq - status.standby_next_seq);
    assert!(status.lag_records > 900);
    let first_retained = primary.sequencer.handle().with_node(|n| n.journal_span().first_seq).unwrap();
    assert!(first_retained > 1, "snapshots archived the start of the journal");

    let (control, follower) = standby(b.path(), primary.address);
    let end = primary.sequencer.handle().with_node(|n| n.journal_span().next_seq).unwrap();
    wait_until("the standby catches up", || primary.gate.status().lag_records == 0 && control.status().next_seq == end);
    assert_eq!(control.status().snapshots_installed, 1);
    assert_eq!(primary.gate.status().lag_ms, 0);
    let hash = primary.sequencer.handle().with_node(|n| n.engine().state_hash()).unwrap();
    control.request_promotion();
    assert_eq!(follower.join().unwrap().unwrap().engine().state_hash(), hash);
    primary.stop();
}

#[test]
fn a_standby_whose_state_disagrees_with_a_checkpoint_stops_loudly() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // B holds five records of its own, as if it had once been another exchange's node.
    let mut other = Node::open(b.path(), config(), SystemClock).unwrap();
    other.commit(vec![Command::CreateUser; 5]).unwrap();
    other.close().unwrap();
    std::fs::copy(b.path().join("engine.json"), a.path().join("engine.json")).unwrap();

    let primary = start_primary(a.path(), AckMode::Async, None);
    let mut workload = workload(3);
    let commands = workload.setup();
    primary.submit_all(&commands, &mut workload);
    let (_control, follower) = standby(b.path(), primary.address);
    match follower.join().unwrap() {
        Err(StandbyError::Diverged { journal_seq, fault }) => {
            assert!(fault.to_string().contains("checkpoint") || fault.to_string().contains("hash"), "{fault}");
            assert!(journal_seq > 5);
        }
        Err(other) => panic!("expected a divergence, got {other}"),
        Ok(_) => panic!("a diverged standby must stop"),
    }
    primary.stop();
}
