//! Recovery and the offline tools on real files: checkpoints where the rule puts them, snapshot +
//! tail equal to never stopping, archiving, torn tails truncated and reported, damage anywhere
//! else refused with file, offset and seq; `rebuild` at any point and `verify` of everything.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use support::*;
use talat_core::{Command, Input};
use talat_journal::{segment_name, Journal, JournalConfig, Record, RecordKind, SnapshotStore};
use talat_sequencer::datadir::{journal_dir, snapshot_dir};
use talat_sequencer::offline::{self, OfflineError, Start, VerifyOptions};
use talat_sequencer::{hex, ManualClock, Node, OpenError, ReplayError, ReplayFault};

/// A data directory with `commands` workload commands committed in uneven chunks; returns the
/// inputs in engine-seq order and the final state hash.
fn build(dir: &Path, commands: usize) -> (Vec<Input>, [u8; 32]) {
    let clock = ManualClock::new(START_MS);
    let mut node = Node::open(dir, small_config(), clock.clone()).unwrap();
    let mut workload = workload(11);
    let mut all = workload.setup();
    let mut inputs = Vec::new();
    let mut pending = std::mem::take(&mut all);
    let mut chunk_len = 1;
    while inputs.len() < commands {
        while pending.len() < chunk_len {
            pending.push(workload.next_command());
        }
        let chunk: Vec<Command> = pending.drain(..chunk_len).collect();
        clock.advance(7);
        for (command, outcome) in chunk.iter().zip(node.commit(chunk.clone()).unwrap()) {
            workload.observe(&outcome.events);
            inputs.push(Input { seq: outcome.seq, ts_ms: outcome.ts_ms, command: command.clone() });
        }
        chunk_len = chunk_len % 23 + 1;
    }
    let hash = node.engine().state_hash();
    node.close().unwrap();
    (inputs, hash)
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> =
        fs::read_dir(journal_dir(dir)).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "log")).collect();
    paths.sort();
    paths
}

fn no_progress() -> impl FnMut(offline::Progress) {
    |_| {}
}

#[test]
fn checkpoints_follow_the_rule_and_snapshot_plus_tail_equals_never_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let (inputs, hash) = build(dir.path(), 400);
    let (fresh, _) = fresh_replay(&inputs);
    assert_eq!(fresh.state_hash(), hash);

    // Every checkpoint directly follows a command whose engine seq is a multiple of 10, and
    // carries the state hash after it.
    let journal = Journal::open(journal_dir(dir.path()), JournalConfig::default()).unwrap();
    let span = journal.span();
    assert!(span.first_seq > 1, "covered segments were archived: {span:?}");
    assert!(journal_dir(dir.path()).join("archive").join(segment_name(1)).exists());
    let mut reader = journal.read_from(span.first_seq).unwrap();
    let mut last_command = None;
    let mut checkpoints = 0;
    while let Some(record) = reader.next_record().unwrap() {
        match record.kind {
            RecordKind::Command => last_command = Some(Input::decode(record.payload).unwrap().seq),
            RecordKind::Checkpoint => {
                let after = last_command.expect("the retained journal starts with a command");
                assert_eq!(after % 10, 0, "checkpoint after command {after}");
                let (at, _) = fresh_replay(&inputs[..after as usize]);
                assert_eq!(record.checkpoint_hash().unwrap(), &at.state_hash());
                checkpoints += 1;
            }
        }
    }
    assert!(checkpoints >= 5);
    drop(reader);
    drop(journal);

    let node = Node::open(dir.path(), small_config(), ManualClock::new(START_MS)).unwrap();
    assert_eq!(node.engine().state_hash(), hash);
    let snapshot = node.recovery().snapshot.clone().expect("recovered from a snapshot");
    assert!(snapshot.command_seq >= 360, "{snapshot:?}");
    assert_eq!(node.recovery().replayed.commands, inputs.len() as u64 - snapshot.command_seq);
    let kept = SnapshotStore::open(snapshot_dir(dir.path())).unwrap().list_seqs().unwrap();
    assert_eq!(kept.len(), 2, "older snapshots are pruned: {kept:?}");
}

#[test]
fn rebuild_gives_the_state_at_any_point_and_refuses_beyond_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = small_config();
    config.snapshots.archive_covered_segments = false;
    {
        let clock = ManualClock::new(START_MS);
        let mut node = Node::open(dir.path(), config, clock).unwrap();
        let mut workload = workload(3);
        node.commit(workload.setup()).unwrap();
        for _ in 0..20 {
            let chunk = (0..9).map(|_| workload.next_command()).collect();
            for outcome in node.commit(chunk).unwrap() {
                workload.observe(&outcome.events);
            }
        }
        node.close().unwrap();
    }
    let full = offline::rebuild(dir.path(), None, &mut no_progress()).unwrap();
    let last = full.engine.last_seq();
    assert!(matches!(full.start, Start::Snapshot(_)));
    let mut inputs = Vec::new();
    offline::verify(dir.path(), VerifyOptions { every_command: false }, &mut no_progress(), &mut |input, _| inputs.push(input.clone())).unwrap();
    assert_eq!(inputs.len() as u64, last);
    for to in [0, 1, 7, 10, 11, 39, 40, 41, last / 2, last - 1, last] {
        let rebuilt = offline::rebuild(dir.path(), Some(to), &mut no_progress()).unwrap();
        let (fresh, _) = fresh_replay(&inputs[..to as usize]);
        assert_eq!(rebuilt.engine.last_seq(), to);
        assert_eq!(rebuilt.engine.state_hash(), fresh.state_hash(), "--to {to}");
    }
    let beyond = offline::rebuild(dir.path(), Some(last + 1), &mut no_progress()).unwrap_err();
    assert!(matches!(beyond, OfflineError::BeyondEnd { last_command_seq, .. } if last_command_seq == last), "{beyond}");
    assert!(beyond.to_string().contains("beyond the end"), "{beyond}");
    let far = offline::rebuild(dir.path(), Some(u64::MAX), &mut no_progress()).unwrap_err();
    assert!(matches!(far, OfflineError::BeyondEnd { .. }), "{far}");
}

#[test]
fn verify_checks_every_checkpoint_and_snapshot_and_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let (inputs, hash) = build(dir.path(), 300);
    let report = offline::verify(dir.path(), VerifyOptions { every_command: true }, &mut no_progress(), &mut |_, _| {}).unwrap();
    assert_eq!(report.last_command_seq, inputs.len() as u64);
    assert_eq!(report.state_hash, hex(&hash));
    assert!(matches!(report.start, Start::Snapshot(_)), "archived journal: starts from a snapshot");
    assert!(report.replayed.checkpoints >= 2);
    assert!(report.snapshots_verified >= 1, "{report:?}");
}

#[test]
fn a_torn_tail_is_truncated_and_reported_and_the_rest_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let (_, hash) = build(dir.path(), 120);
    let last = segments(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&last).unwrap();
    bytes.extend_from_slice(&[0x55; 21]);
    fs::write(&last, &bytes).unwrap();
    let node = Node::open(dir.path(), small_config(), ManualClock::new(START_MS)).unwrap();
    let sentence = node.recovery().truncated_tail.clone().expect("the torn tail is reported");
    assert!(sentence.contains(&last.display().to_string()) && sentence.contains("byte"), "{sentence}");
    assert_eq!(node.engine().state_hash(), hash);
}

#[test]
fn damage_in_the_middle_stops_the_start_naming_file_offset_and_seq() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = small_config();
    config.snapshots.archive_covered_segments = false;
    {
        let mut node = Node::open(dir.path(), config.clone(), ManualClock::new(START_MS)).unwrap();
        let mut workload = workload(2);
        node.commit(workload.setup()).unwrap();
        let more = (0..150).map(|_| workload.next_command()).collect();
        node.commit(more).unwrap();
        node.close().unwrap();
    }
    let first = segments(dir.path()).remove(0);
    assert!(segments(dir.path()).len() >= 2);
    let mut bytes = fs::read(&first).unwrap();
    bytes[100] ^= 0x01;
    fs::write(&first, &bytes).unwrap();
    let error = match Node::open(dir.path(), config, ManualClock::new(START_MS)) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("a damaged sealed segment must stop the start"),
    };
    assert!(error.contains(&first.display().to_string()), "{error}");
    assert!(error.contains("at byte") && error.contains("seq"), "{error}");
    let offline = offline::verify(dir.path(), VerifyOptions { every_command: false }, &mut no_progress(), &mut |_, _| {});
    assert!(offline.unwrap_err().to_string().contains("journal corrupt"));
}

/// Appends raw records after what a node wrote (as a bug or an attacker would).
fn append_raw(dir: &Path, records: impl FnOnce(u64) -> Vec<(RecordKind, Vec<u8>)>) {
    let mut journal = Journal::open(journal_dir(dir), JournalConfig::default()).unwrap();
    let next = journal.next_seq();
    let raw = records(next);
    let built: Vec<Record<'_>> = raw
        .iter()
        .enumerate()
        .map(|(i, (kind, payload))| Record { seq: next + i as u64, epoch: 0, timestamp_ms: START_MS + 1_000, kind: *kind, payload })
        .collect();
    journal.append_batch(&built).unwrap();
}

#[test]
fn a_wrong_checkpoint_or_command_seq_stops_replay_naming_the_record() {
    for case in ["checkpoint", "seq", "garbage"] {
        let dir = tempfile::tempdir().unwrap();
        let (inputs, _) = build(dir.path(), 55);
        let next_command = inputs.len() as u64 + 1;
        append_raw(dir.path(), |_| match case {
            "checkpoint" => vec![(RecordKind::Checkpoint, vec![7; 32])],
            "seq" => {
                let input = Input { seq: next_command + 1, ts_ms: START_MS + 1_000, command: Command::CreateUser };
                vec![(RecordKind::Command, input.encode())]
            }
            _ => vec![(RecordKind::Command, vec![0xFF; 9])],
        });
        let error = match Node::open(dir.path(), small_config(), ManualClock::new(START_MS)) {
            Err(OpenError::Replay(error)) => error,
            Err(other) => panic!("{case}: unexpected {other}"),
            Ok(_) => panic!("{case}: a bad record must stop the start"),
        };
        let ReplayError::Record { ref file, journal_seq, ref fault, .. } = error else { panic!("{error}") };
        assert!(file.exists(), "{error}");
        assert!(journal_seq > inputs.len() as u64);
        match case {
            "checkpoint" => assert!(matches!(fault, ReplayFault::Checkpoint { .. }), "{error}"),
            "seq" => assert!(matches!(fault, ReplayFault::CommandSeq { expected, .. } if *expected == next_command), "{error}"),
            _ => assert!(matches!(fault, ReplayFault::Undecodable(_)), "{error}"),
        }
        let message = error.to_string();
        assert!(message.contains("at byte") && message.contains(&format!("record seq {journal_seq}")), "{message}");
    }
}

#[test]
fn a_corrupt_newest_snapshot_falls_back_to_the_older_one() {
    let dir = tempfile::tempdir().unwrap();
    let (_, hash) = build(dir.path(), 200);
    let store = SnapshotStore::open(snapshot_dir(dir.path())).unwrap();
    let seqs = store.list_seqs().unwrap();
    let newest = snapshot_dir(dir.path()).join(format!("snapshot-{:020}.snap", seqs[1]));
    let mut bytes = fs::read(&newest).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    fs::write(&newest, &bytes).unwrap();
    let node = Node::open(dir.path(), small_config(), ManualClock::new(START_MS)).unwrap();
    assert_eq!(node.recovery().snapshot.as_ref().unwrap().journal_seq, seqs[0]);
    assert_eq!(node.engine().state_hash(), hash);
    drop(node);
    // verify compares every snapshot file with the replayed state, so it names the bad one.
    let error = offline::verify(dir.path(), VerifyOptions { every_command: false }, &mut no_progress(), &mut |_, _| {}).unwrap_err();
    assert!(error.to_string().contains(&newest.display().to_string()), "{error}");
}

#[test]
fn bad_directories_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let error = offline::rebuild(&missing, None, &mut no_progress()).unwrap_err().to_string();
    assert!(error.contains("does not exist"), "{error}");
    fs::create_dir(dir.path().join("empty")).unwrap();
    let error = offline::verify(&dir.path().join("empty"), VerifyOptions { every_command: false }, &mut no_progress(), &mut |_, _| {}).unwrap_err().to_string();
    assert!(error.contains("no journal/"), "{error}");

    // A journal without its engine bounds cannot be replayed, and the node says so.
    let data = dir.path().join("data");
    build(&data, 30);
    fs::remove_file(data.join("engine.json")).unwrap();
    let error = match Node::open(&data, small_config(), ManualClock::new(START_MS)) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("must refuse"),
    };
    assert!(error.contains("engine.json") && error.contains("missing"), "{error}");

    // A running node holds the directory.
    let live = dir.path().join("live");
    let _node = Node::open(&live, small_config(), ManualClock::new(START_MS)).unwrap();
    let error = offline::verify(&live, VerifyOptions { every_command: false }, &mut no_progress(), &mut |_, _| {}).unwrap_err();
    assert!(error.to_string().contains("in use by another process"), "{error}");
}
