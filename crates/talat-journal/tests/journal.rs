//! Journal behaviour on real files (and on FaultyStorage where a fault must be injected):
//! recovery, corruption reporting, reading, group commit errors, snapshots, archiving.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use talat_journal::storage::FaultyStorage;
use talat_journal::{
    segment_name, AppendError, Journal, JournalConfig, JournalError, Problem, Record, RecordBuf, RecordKind, SeqSpan, SnapshotError, SnapshotStore,
    ARCHIVE_DIR, HEADER_BYTES,
};

fn payload(seq: u64) -> Vec<u8> {
    format!("command #{seq} {}", "x".repeat((seq % 7) as usize)).into_bytes()
}

/// Appends commands `next_seq..next_seq+count`, one batch of `batch` at a time.
fn append_commands<S: talat_journal::storage::Storage>(journal: &mut Journal<S>, count: u64, batch: u64) {
    let end = journal.next_seq() + count;
    while journal.next_seq() < end {
        let first = journal.next_seq();
        let n = batch.min(end - first);
        let payloads: Vec<Vec<u8>> = (first..first + n).map(payload).collect();
        let records: Vec<Record<'_>> = payloads.iter().enumerate().map(|(i, p)| Record::command(first + i as u64, 1000 + first + i as u64, p)).collect();
        assert_eq!(journal.append_batch(&records).unwrap(), first + n - 1);
    }
}

fn read_all<S: talat_journal::storage::Storage>(journal: &Journal<S>) -> Vec<RecordBuf> {
    journal.read_from(journal.span().first_seq).unwrap().map(Result::unwrap).collect()
}

fn segment_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(segment_name(first_seq))
}

fn frame_len(seq: u64) -> u64 {
    (HEADER_BYTES + payload(seq).len()) as u64
}

#[test]
fn records_survive_reopen_and_read_from_any_seq_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let config = JournalConfig { segment_max_bytes: 512, ..JournalConfig::default() };
    {
        let mut journal = Journal::open(dir.path(), config.clone()).unwrap();
        append_commands(&mut journal, 100, 7);
        let hash = [0x11; 32];
        assert_eq!(journal.append_batch(&[Record::checkpoint(101, 5, &hash)]).unwrap(), 101);
    }
    let journal = Journal::open(dir.path(), config).unwrap();
    assert_eq!(journal.span(), SeqSpan { first_seq: 1, next_seq: 102 });
    assert!(journal.recovery().segments > 5, "small segments roll often");
    assert_eq!(journal.recovery().truncated, None);

    let records = read_all(&journal);
    assert_eq!(records.len(), 101);
    for (i, record) in records[..100].iter().enumerate() {
        let seq = i as u64 + 1;
        assert_eq!((record.seq, record.kind, &record.payload), (seq, RecordKind::Command, &payload(seq)));
    }
    assert_eq!(records[100].as_record().checkpoint_hash(), Some(&[0x11; 32]));

    for start in [1, 2, 37, 100, 101, 102] {
        let seqs: Vec<u64> = journal.read_from(start).unwrap().map(|r| r.unwrap().seq).collect();
        assert_eq!(seqs, (start..102).collect::<Vec<_>>(), "read_from({start})");
    }
    assert!(matches!(journal.read_from(103), Err(JournalError::BeyondEnd { seq: 103, next_seq: 102 })));
}

#[test]
fn a_byte_flipped_in_the_middle_is_an_error_naming_file_offset_and_seq() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
        append_commands(&mut journal, 10, 3);
    }
    let path = segment_path(dir.path(), 1);
    let offset_of_5: u64 = (1..5).map(frame_len).sum();
    let mut bytes = fs::read(&path).unwrap();
    bytes[(offset_of_5 + HEADER_BYTES as u64 + 2) as usize] ^= 0x40;
    fs::write(&path, &bytes).unwrap();

    let error = Journal::open(dir.path(), JournalConfig::default()).err().expect("corruption must be reported");
    let JournalError::Corrupt(corruption) = error else { panic!("expected corruption, got {error}") };
    assert_eq!(corruption.file, path);
    assert_eq!(corruption.offset_bytes, offset_of_5);
    assert_eq!(corruption.expected_seq, 5);
    assert_eq!(corruption.found_seq, Some(5));
    assert!(matches!(corruption.problem, Problem::Frame(talat_journal::FrameDefect::Checksum { .. })));
    let message = corruption.to_string();
    assert!(message.contains(&path.display().to_string()) && message.contains(&offset_of_5.to_string()));
    assert!(message.contains("seq 5"), "{message}");
}

#[test]
fn truncating_the_tail_at_every_byte_of_the_last_record_recovers_the_previous_record() {
    let source = tempfile::tempdir().unwrap();
    {
        let mut journal = Journal::open(source.path(), JournalConfig::default()).unwrap();
        append_commands(&mut journal, 6, 2);
    }
    let bytes = fs::read(segment_path(source.path(), 1)).unwrap();
    let last_len = frame_len(6) as usize;
    let last_start = bytes.len() - last_len;
    for cut in last_start..bytes.len() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(segment_path(dir.path(), 1), &bytes[..cut]).unwrap();
        let mut journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
        assert_eq!(journal.next_seq(), 6, "cut at {cut}");
        let truncated = journal.recovery().truncated.clone();
        if cut == last_start {
            assert_eq!(truncated, None);
        } else {
            let truncated = truncated.expect("a torn tail is reported");
            assert_eq!(truncated.tail.offset_bytes, last_start as u64);
            assert_eq!(truncated.tail.dropped_bytes, (cut - last_start) as u64);
            assert_eq!(truncated.tail.expected_seq, 6);
            // The seq is readable once the header's seq field survived.
            let seq_readable = cut - last_start >= 24;
            assert_eq!(truncated.tail.found_seq.is_some(), seq_readable, "cut at {cut}");
        }
        assert_eq!(fs::metadata(segment_path(dir.path(), 1)).unwrap().len(), last_start as u64);
        assert_eq!(read_all(&journal).last().unwrap().seq, 5);
        // The journal continues cleanly after the cut.
        append_commands(&mut journal, 1, 1);
        drop(journal);
        let reopened = Journal::open(dir.path(), JournalConfig::default()).unwrap();
        assert_eq!(reopened.recovery().truncated, None);
        assert_eq!(fs::read(segment_path(dir.path(), 1)).unwrap(), bytes, "cut at {cut}");
    }
}

#[test]
fn garbage_after_the_last_record_is_a_torn_tail_but_a_valid_record_after_it_is_not() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
        append_commands(&mut journal, 4, 4);
    }
    let path = segment_path(dir.path(), 1);
    let original = fs::read(&path).unwrap();

    // Zeros, as a file system may leave after extending a file whose data never landed.
    let mut zeros = original.clone();
    zeros.extend_from_slice(&[0u8; 100]);
    fs::write(&path, &zeros).unwrap();
    let journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    assert_eq!(journal.recovery().truncated.as_ref().unwrap().tail.dropped_bytes, 100);
    assert_eq!(journal.next_seq(), 5);
    drop(journal);

    // Damage the third record: the fourth is still valid after it, so this is not a torn tail.
    let mut damaged = original.clone();
    let third: u64 = (1..3).map(frame_len).sum();
    damaged[third as usize + 1] ^= 0xFF;
    fs::write(&path, &damaged).unwrap();
    let Err(JournalError::Corrupt(corruption)) = Journal::open(dir.path(), JournalConfig::default()) else { panic!("must refuse") };
    assert_eq!((corruption.offset_bytes, corruption.expected_seq), (third, 3));
}

#[test]
fn damage_in_a_sealed_segment_and_missing_segments_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = JournalConfig { segment_max_bytes: 200, ..JournalConfig::default() };
    {
        let mut journal = Journal::open(dir.path(), config.clone()).unwrap();
        append_commands(&mut journal, 30, 5);
    }
    let mut firsts: Vec<u64> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_prefix("journal-")?.strip_suffix(".log")?.parse().ok())
        .collect();
    firsts.sort();
    assert!(firsts.len() >= 4);

    // Cut the tail of a sealed (non-last) segment: an error, not a repair.
    let sealed = segment_path(dir.path(), firsts[1]);
    let original = fs::read(&sealed).unwrap();
    OpenOptions::new().write(true).open(&sealed).unwrap().set_len(original.len() as u64 - 3).unwrap();
    let Err(JournalError::Corrupt(corruption)) = Journal::open(dir.path(), config.clone()) else { panic!() };
    assert_eq!(corruption.file, sealed);
    fs::write(&sealed, &original).unwrap();

    // A missing middle segment is a sequence gap.
    let middle = segment_path(dir.path(), firsts[2]);
    let saved = fs::read(&middle).unwrap();
    fs::remove_file(&middle).unwrap();
    let Err(JournalError::Corrupt(corruption)) = Journal::open(dir.path(), config.clone()) else { panic!() };
    assert_eq!(corruption.problem, Problem::SegmentNameGap);
    assert_eq!((corruption.expected_seq, corruption.found_seq), (firsts[2], Some(firsts[3])));
    fs::write(&middle, &saved).unwrap();
    assert_eq!(Journal::open(dir.path(), config).unwrap().next_seq(), 31);
}

#[test]
fn reader_rechecks_checksums_written_after_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    append_commands(&mut journal, 5, 5);
    let path = segment_path(dir.path(), 1);
    let mut bytes = fs::read(&path).unwrap();
    let second = frame_len(1) as usize;
    bytes[second + HEADER_BYTES] ^= 1;
    fs::write(&path, &bytes).unwrap();
    let mut reader = journal.read_from(1).unwrap();
    assert_eq!(reader.next_record().unwrap().unwrap().seq, 1);
    let Err(JournalError::Corrupt(corruption)) = reader.next_record() else { panic!("must not skip") };
    assert_eq!((corruption.offset_bytes, corruption.expected_seq), (second as u64, 2));
}

#[test]
fn failed_fdatasync_is_fatal_and_poisons_the_writer() {
    let storage = FaultyStorage::new(7);
    let mut journal = Journal::open_with(storage.clone(), "/j", JournalConfig::default()).unwrap();
    append_commands(&mut journal, 3, 3);
    storage.fail_fdatasync_after(0);
    let p = payload(4);
    let error = journal.append_batch(&[Record::command(4, 0, &p)]).unwrap_err();
    let AppendError::Fatal(fatal) = &error else { panic!("expected fatal, got {error}") };
    assert_eq!(fatal.op, "fdatasync");
    assert!(error.to_string().contains("must stop"), "{error}");
    // No retry: even though the disk would now accept a sync, the writer refuses.
    let again = journal.append_batch(&[Record::command(4, 0, &p)]).unwrap_err();
    assert!(matches!(again, AppendError::Poisoned { .. }));
    assert!(matches!(journal.archive_segments_through(1), Err(JournalError::Poisoned { .. })));
    // Restart after a power loss: everything acknowledged is there.
    drop(journal);
    storage.crash();
    let journal = Journal::open_with(storage, "/j", JournalConfig::default()).unwrap();
    assert!(journal.next_seq() >= 4);
    assert_eq!(read_all(&journal)[..3].iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
}

#[test]
fn oversized_payload_is_rejected_before_any_io_and_does_not_poison() {
    let storage = FaultyStorage::new(8);
    let config = JournalConfig { max_payload_bytes: 16, ..JournalConfig::default() };
    let mut journal = Journal::open_with(storage.clone(), "/j", config).unwrap();
    let ops_before = storage.stats().mutating_ops;
    let big = [0u8; 17];
    let error = journal.append_batch(&[Record::command(1, 0, b"ok"), Record::command(2, 0, &big)]).unwrap_err();
    assert!(matches!(error, AppendError::PayloadTooLarge { seq: 2, payload_bytes: 17, max_bytes: 16 }));
    assert_eq!(storage.stats().mutating_ops, ops_before, "nothing written");
    assert_eq!(journal.append_batch(&[Record::command(1, 0, b"ok")]).unwrap(), 1);
}

#[test]
#[should_panic(expected = "contiguous")]
fn a_seq_gap_in_a_batch_is_a_bug_and_panics() {
    let storage = FaultyStorage::new(9);
    let mut journal = Journal::open_with(storage, "/j", JournalConfig::default()).unwrap();
    let _ = journal.append_batch(&[Record::command(1, 0, b"a"), Record::command(3, 0, b"b")]);
}

#[test]
fn first_seq_config_starts_an_empty_journal_after_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let config = JournalConfig { first_seq: 1001, ..JournalConfig::default() };
    let mut journal = Journal::open(dir.path(), config).unwrap();
    assert_eq!(journal.span(), SeqSpan { first_seq: 1001, next_seq: 1001 });
    assert_eq!(journal.append_batch(&[Record::command(1001, 0, b"x")]).unwrap(), 1001);
    assert!(segment_path(dir.path(), 1001).exists());
    assert!(matches!(journal.read_from(1000), Err(JournalError::NotRetained { seq: 1000, first_seq: 1001 })));
}

#[test]
fn snapshots_round_trip_fall_back_only_when_the_journal_allows_and_archive_old_segments() {
    let dir = tempfile::tempdir().unwrap();
    let journal_dir = dir.path().join("journal");
    let config = JournalConfig { segment_max_bytes: 300, ..JournalConfig::default() };
    let mut journal = Journal::open(&journal_dir, config.clone()).unwrap();
    append_commands(&mut journal, 40, 4);
    let store = SnapshotStore::open(dir.path().join("snapshots")).unwrap();
    assert!(store.newest_valid(journal.span()).unwrap().is_none(), "no snapshot: replay from genesis");

    store.write(10, &[1; 32], b"state at 10").unwrap();
    let newest = store.write(30, &[3; 32], b"state at 30").unwrap();
    let chosen = store.newest_valid(journal.span()).unwrap().unwrap();
    assert_eq!((chosen.seq, chosen.state_hash, chosen.state.as_slice()), (30, [3; 32], &b"state at 30"[..]));

    // Corrupt the newest: the journal still holds seq 11.., so seq 10 is a valid fallback.
    let mut bytes = fs::read(&newest).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&newest, &bytes).unwrap();
    assert!(matches!(store.load(30), Err(SnapshotError::Corrupt { .. })));
    assert_eq!(store.newest_valid(journal.span()).unwrap().unwrap().seq, 10);

    // Archive what a (valid) snapshot at 30 would cover; now seq 11.. may be gone.
    store.write(30, &[3; 32], b"state at 30").unwrap();
    let archived = journal.archive_segments_through(30).unwrap();
    assert!(archived.segments_moved >= 2);
    let span = journal.span();
    assert!(span.first_seq > 11 && span.first_seq <= 31, "{span:?}");
    assert!(journal_dir.join(ARCHIVE_DIR).join(segment_name(1)).exists());
    assert!(matches!(journal.read_from(1), Err(JournalError::NotRetained { .. })));
    assert_eq!(journal.read_from(31).unwrap().next().unwrap().unwrap().seq, 31);

    fs::write(&newest, &bytes).unwrap(); // corrupt again
    let error = store.newest_valid(span).unwrap_err();
    assert!(matches!(error, SnapshotError::NoUsableSnapshot { .. }), "{error}");
    assert!(error.to_string().contains("seq 10"), "{error}");

    // The archived journal reopens with the same contiguous span.
    drop(journal);
    let reopened = Journal::open(&journal_dir, config).unwrap();
    assert_eq!(reopened.span(), span);

    // A snapshot past the journal's end means the journal lost durable records.
    let ahead = SnapshotStore::open(dir.path().join("ahead")).unwrap();
    ahead.write(41, &[0; 32], b"").unwrap();
    assert!(matches!(ahead.newest_valid(span), Err(SnapshotError::AheadOfJournal { snapshot_seq: 41, journal_next_seq: 41 })));
}

#[test]
fn a_snapshot_write_interrupted_by_a_crash_leaves_the_old_one_and_no_debris() {
    for crash_point in 0..6 {
        let storage = FaultyStorage::new(crash_point);
        let store = SnapshotStore::open_with(storage.clone(), "/snap").unwrap();
        store.write(5, &[5; 32], b"old").unwrap();
        storage.crash_after_ops(crash_point);
        let outcome = store.write(9, &[9; 32], b"new");
        storage.crash();
        storage.disarm();
        let store = SnapshotStore::open_with(storage.clone(), "/snap").unwrap();
        let span = SeqSpan { first_seq: 1, next_seq: 20 };
        let chosen = store.newest_valid(span).unwrap().unwrap();
        if outcome.is_ok() {
            assert_eq!(chosen.seq, 9, "acknowledged snapshot write survives");
        }
        assert!(chosen.seq == 5 || (chosen.seq == 9 && chosen.state == b"new"));
        let names = talat_journal::storage::Storage::list_files(&storage, Path::new("/snap")).unwrap();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }
}

#[test]
fn bench_functions_run_on_a_tiny_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        talat_journal::bench::GroupCommitConfig { offered_rate_per_s: 2_000, run_duration_ms: 60, fixed_batch_sizes: vec![1, 8], ..Default::default() };
    let report = talat_journal::bench::bench_group_commit(dir.path(), &config).unwrap();
    assert_eq!(report.saturation.len(), 2);
    assert_eq!(report.open_loop.len(), 3);
    assert!(report.saturation.iter().all(|r| r.records > 0 && r.commands_per_s > 0.0));
    assert!(report.open_loop.iter().all(|r| r.records + r.shed > 0));
    serde_json::to_string(&report).unwrap();

    let journal_dir = dir.path().join("replay");
    talat_journal::bench::write_sample_journal(&journal_dir, 5_000, 64, 512).unwrap();
    let replay = talat_journal::bench::bench_replay(&journal_dir).unwrap();
    assert_eq!(replay.records, 5_000);
    assert_eq!(replay.bytes, 5_000 * (64 + HEADER_BYTES as u64));
}

#[test]
fn retain_newest_keeps_the_newest_snapshots_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = SnapshotStore::open(dir.path()).unwrap();
    assert!(store.retain_newest(2).unwrap().is_empty());
    for seq in [3, 9, 20, 41] {
        store.write(seq, &[seq as u8; 32], b"state").unwrap();
    }
    assert_eq!(store.retain_newest(2).unwrap(), vec![20, 41]);
    assert_eq!(store.list_seqs().unwrap(), vec![20, 41]);
    assert_eq!(store.retain_newest(5).unwrap(), vec![20, 41]);
    assert_eq!(store.retain_newest(1).unwrap(), vec![41]);
}

#[test]
fn reader_names_the_file_and_offset_of_each_record() {
    let dir = tempfile::tempdir().unwrap();
    let config = JournalConfig { segment_max_bytes: 200, ..JournalConfig::default() };
    let mut journal = Journal::open(dir.path(), config).unwrap();
    append_commands(&mut journal, 12, 3);
    let mut reader = journal.read_from(1).unwrap();
    let (mut file, mut offset) = (PathBuf::new(), 0u64);
    while let Some(record) = reader.next_record().unwrap() {
        let seq = record.seq;
        let (path, at) = reader.last_position();
        if path != file {
            assert_eq!(at, 0, "seq {seq} opens a new segment at its start");
            assert_eq!(path, segment_path(dir.path(), seq));
            (file, offset) = (path.to_path_buf(), 0);
        }
        assert_eq!(at, offset, "seq {seq}");
        offset += frame_len(seq);
    }
}

/// Epoch fencing at the journal: records of an older epoch than the last one are refused before
/// any I/O, the history says where each epoch began and survives a reopen, and a deposed
/// primary's tail is cut at an exact record across segments, durably.
#[test]
fn epochs_fence_older_records_and_a_tail_is_cut_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let config = JournalConfig { segment_max_bytes: 256, ..JournalConfig::default() };
    let mut journal = Journal::open(dir.path(), config.clone()).unwrap();
    append_commands(&mut journal, 10, 3);
    let p = payload(11);
    journal.append_batch(&[Record::command(11, 5, &p).in_epoch(2)]).unwrap();
    let later: Vec<Vec<u8>> = (12..=30).map(payload).collect();
    let records: Vec<Record<'_>> = later.iter().enumerate().map(|(i, p)| Record::command(12 + i as u64, 6, p).in_epoch(2)).collect();
    journal.append_batch(&records).unwrap();

    let stale = payload(31);
    let refused = journal.append_batch(&[Record::command(31, 7, &stale).in_epoch(1)]).unwrap_err();
    assert!(matches!(refused, AppendError::StaleEpoch { seq: 31, epoch: 1, journal_epoch: 2 }), "{refused}");
    assert_eq!(journal.next_seq(), 31, "a refused record changes nothing");
    assert_eq!(journal.epochs().end_of(0, journal.next_seq()), Some(11));
    assert_eq!(journal.epochs().end_of(2, journal.next_seq()), Some(31));

    let source = journal.reader_source();
    assert_eq!(source.read_from(25).unwrap().next().unwrap().unwrap().seq, 25);
    let cut = journal.truncate_from(17).unwrap();
    assert_eq!((cut.from_seq, cut.records_cut, cut.epochs.clone()), (17, 14, vec![2]));
    assert_eq!(journal.next_seq(), 17);
    let p17 = payload(17);
    journal.append_batch(&[Record::command(17, 8, &p17).in_epoch(3)]).unwrap();
    drop(journal);

    let journal = Journal::open(dir.path(), config).unwrap();
    assert_eq!(journal.span(), SeqSpan { first_seq: 1, next_seq: 18 });
    let records = read_all(&journal);
    assert_eq!(records.iter().map(|r| r.epoch).collect::<Vec<_>>(), [vec![0; 10], vec![2; 6], vec![3]].concat());
    assert_eq!(records[15].payload, payload(16));
    assert_eq!(journal.epochs().end_of(2, 18), Some(17));
    assert_eq!(journal.epochs().last_epoch(), Some(3));
}
