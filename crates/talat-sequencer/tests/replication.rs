//! A standby follows the primary's live journal over a socket (the talat-journal replication
//! stream), appends it to its own journal and applies it, verifying every checkpoint; it ends
//! with the primary's exact state hash, and can then be opened and started as the primary.

mod support;

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::AtomicBool;
use support::*;
use talat_journal::{send_stream, SendOptions, StreamEnd, StreamReceiver};
use talat_sequencer::{Lane, ManualClock, Node, SequencerConfig};

#[test]
fn a_standby_following_the_live_journal_ends_with_the_primarys_state_hash() {
    let primary_dir = tempfile::tempdir().unwrap();
    let standby_dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START_MS);
    let mut config = small_config();
    // Archiving must not outrun a follower; this primary keeps every segment (see ARCHITECTURE).
    config.snapshots.archive_covered_segments = false;

    let primary = Node::open(primary_dir.path(), config.clone(), clock.clone()).unwrap();
    let sequencer = primary.start(SequencerConfig { max_batch_commands: 64, ..SequencerConfig::default() });
    let handle = sequencer.handle();

    // The sender streams from record 1 and keeps following the journal as it grows.
    let mut reader = handle.with_node(|node| node.read_from(1)).unwrap().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let sender = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let stop = AtomicBool::new(false);
        send_stream(&mut reader, socket, &stop, &SendOptions::default()).unwrap()
    });
    let standby_config = config.clone();
    let standby_path = standby_dir.path().to_path_buf();
    let follower = std::thread::spawn(move || {
        let mut standby = Node::open(&standby_path, standby_config, ManualClock::new(START_MS)).unwrap();
        let socket = TcpStream::connect(address).unwrap();
        let mut receiver = StreamReceiver::new(socket).unwrap();
        let applied = standby.follow(&mut receiver, 128).unwrap();
        (standby, applied)
    });

    // Load while the standby follows.
    let mut workload = workload(21);
    let mut commands = workload.setup();
    commands.extend((0..800).map(|_| workload.next_command()));
    for wave in commands.chunks(40) {
        let tickets: Vec<_> = wave.iter().map(|c| handle.submit(c.clone(), Lane::of(c)).unwrap()).collect();
        for ticket in tickets {
            workload.observe(&ticket.wait().unwrap().events);
        }
        clock.advance(5);
    }
    let primary = sequencer.shutdown().unwrap();
    let primary_hash = primary.engine().state_hash();
    let primary_span = primary.journal_span();
    // Closing the primary's journal ends the stream once everything durable was sent.
    primary.close().unwrap();
    let summary = sender.join().unwrap();
    assert_eq!(summary.end, StreamEnd::WriterClosed);
    assert_eq!(summary.next_seq, primary_span.next_seq);

    let (standby, applied) = follower.join().unwrap();
    assert_eq!(applied, primary_span.next_seq - 1);
    assert_eq!(standby.engine().state_hash(), primary_hash);
    assert_eq!(standby.journal_span(), primary_span);
    standby.close().unwrap();

    // Failover: the standby's directory opens as a primary with the same state and goes on.
    let promoted = Node::open(standby_dir.path(), config, clock).unwrap();
    assert_eq!(promoted.engine().state_hash(), primary_hash);
    let sequencer = promoted.start(SequencerConfig::default());
    let outcome = sequencer.handle().submit_and_wait(talat_core::Command::CreateUser, Lane::Place).unwrap();
    assert_eq!(outcome.seq, commands.len() as u64 + 1);
    sequencer.shutdown().unwrap();
}
