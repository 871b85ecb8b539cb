//! Property: under random batches, crashes at random storage operations (torn writes, lost
//! directory entries) and failed fdatasyncs, recovery always yields exactly
//!
//!   every acknowledged record, then possibly a prefix of whole records of the one batch that
//!   was in flight when the process stopped, and nothing else,
//!
//! byte for byte, and never reports corruption (FaultyStorage only produces damage a real crash
//! can: lost or torn unsynced writes, forgotten directory changes).

use proptest::prelude::*;
use talat_journal::storage::FaultyStorage;
use talat_journal::{AppendError, Journal, JournalConfig, JournalError, Record, RecordBuf, RecordKind};

const DIR: &str = "/journal";

#[derive(Clone, Debug)]
enum Op {
    /// Append one batch: payload sizes, and whether its last record is a checkpoint.
    Append { payload_sizes: Vec<usize>, checkpoint_last: bool },
    /// Power loss during the storage operation this many mutations from now.
    ArmCrash { after_ops: u64 },
    /// The fdatasync this many syncs from now fails.
    ArmSyncFailure { after_syncs: u64 },
    /// Power loss now, then restart.
    CrashNow,
    /// Process restart without power loss (page cache survives).
    Restart,
    /// Read everything back through a reader on the running journal.
    Verify,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (prop::collection::vec(0usize..120, 1..12), any::<bool>())
            .prop_map(|(payload_sizes, checkpoint_last)| Op::Append { payload_sizes, checkpoint_last }),
        2 => (0u64..14).prop_map(|after_ops| Op::ArmCrash { after_ops }),
        1 => (0u64..3).prop_map(|after_syncs| Op::ArmSyncFailure { after_syncs }),
        1 => Just(Op::CrashNow),
        1 => Just(Op::Restart),
        1 => Just(Op::Verify),
    ]
}

/// What the test knows about the journal's contents.
struct Model {
    /// Records that may be in the journal, in seq order: a recovered journal must be a prefix.
    candidates: Vec<RecordBuf>,
    /// How many of `candidates` were acknowledged (or found durable by recovery).
    acknowledged: usize,
    coverage: Coverage,
}

/// How often the interesting cases happened, so the sweep can assert it exercised them.
#[derive(Clone, Copy, Debug, Default)]
struct Coverage {
    fatal_appends: u64,
    torn_tails_truncated: u64,
    in_flight_records_kept: u64,
    in_flight_records_lost: u64,
}

fn payload_for(seq: u64, len: usize, salt: u64) -> Vec<u8> {
    (0..len).map(|i| (seq.wrapping_mul(31).wrapping_add(i as u64).wrapping_add(salt) % 251) as u8).collect()
}

fn read_everything(journal: &Journal<FaultyStorage>) -> Vec<RecordBuf> {
    journal.read_from(journal.span().first_seq).unwrap().map(|r| r.expect("durable records read back")).collect()
}

/// Opens after a restart and checks the guarantee against the model. A fault still armed may
/// fire during recovery itself (it syncs and may truncate); that is a crash during recovery, so
/// the test restarts again, as an operator's supervisor would.
fn restart(storage: &FaultyStorage, config: &JournalConfig, model: &mut Model) -> Journal<FaultyStorage> {
    let mut journal = None;
    for attempt in 0..4 {
        match Journal::open_with(storage.clone(), DIR, config.clone()) {
            Ok(opened) => {
                journal = Some(opened);
                break;
            }
            Err(JournalError::Corrupt(corruption)) => {
                panic!("a crash must never look like corruption: {corruption}")
            }
            // One-shot faults are spent once they fire; a random failure rate may fire again,
            // so it is switched off after a few attempts.
            Err(_fault) if attempt >= 2 => storage.disarm(),
            Err(_fault) => {}
        }
    }
    let journal = journal.expect("recovery succeeds once faults are disarmed");
    let recovered = read_everything(&journal);
    assert!(recovered.len() >= model.acknowledged, "lost acknowledged records: recovered {} < acknowledged {}", recovered.len(), model.acknowledged);
    assert!(recovered.len() <= model.candidates.len(), "records appeared that were never written");
    assert_eq!(recovered[..], model.candidates[..recovered.len()], "recovered records differ from those written");
    assert_eq!(journal.next_seq(), recovered.len() as u64 + 1);
    model.coverage.torn_tails_truncated += u64::from(journal.recovery().truncated.is_some());
    model.coverage.in_flight_records_kept += (recovered.len() - model.acknowledged) as u64;
    model.coverage.in_flight_records_lost += (model.candidates.len() - recovered.len()) as u64;
    // Recovery made what it kept durable, so all of it now counts as acknowledged.
    model.candidates = recovered;
    model.acknowledged = model.candidates.len();
    journal
}

fn run(seed: u64, segment_max_bytes: u64, sync_failure_per_million: u32, ops: Vec<Op>) -> Coverage {
    let storage = FaultyStorage::new(seed);
    storage.set_fdatasync_failure_per_million(sync_failure_per_million);
    let config = JournalConfig { segment_max_bytes, ..JournalConfig::default() };
    let mut model = Model { candidates: Vec::new(), acknowledged: 0, coverage: Coverage::default() };
    let mut journal = restart(&storage, &config, &mut model);
    for (index, op) in ops.into_iter().enumerate() {
        match op {
            Op::Append { payload_sizes, checkpoint_last } => {
                let first = journal.next_seq();
                assert_eq!(first, model.candidates.len() as u64 + 1);
                let hash = [first as u8; 32];
                let payloads: Vec<Vec<u8>> = payload_sizes.iter().enumerate().map(|(i, &len)| payload_for(first + i as u64, len, index as u64)).collect();
                let mut batch: Vec<Record<'_>> = payloads.iter().enumerate().map(|(i, p)| Record::command(first + i as u64, index as u64, p)).collect();
                if checkpoint_last {
                    let last = batch.len() - 1;
                    batch[last] = Record::checkpoint(first + last as u64, index as u64, &hash);
                }
                model.candidates.extend(batch.iter().map(Record::to_owned_record));
                match journal.append_batch(&batch) {
                    Ok(durable) => {
                        assert_eq!(durable, first + batch.len() as u64 - 1);
                        model.acknowledged = model.candidates.len();
                    }
                    Err(AppendError::Fatal(_)) => {
                        model.coverage.fatal_appends += 1;
                        // The process must stop. Either the machine lost power too or only the
                        // process died; pick by the seed so both happen.
                        let poisoned = journal.append_batch(&batch[..1]).unwrap_err();
                        assert!(matches!(poisoned, AppendError::Poisoned { .. }));
                        drop(journal);
                        if (seed ^ index as u64) & 1 == 0 {
                            storage.crash();
                        }
                        journal = restart(&storage, &config, &mut model);
                    }
                    Err(other) => panic!("unexpected append error: {other}"),
                }
            }
            Op::ArmCrash { after_ops } => storage.crash_after_ops(after_ops),
            Op::ArmSyncFailure { after_syncs } => storage.fail_fdatasync_after(after_syncs),
            Op::CrashNow => {
                drop(journal);
                storage.crash();
                journal = restart(&storage, &config, &mut model);
            }
            Op::Restart => {
                drop(journal);
                journal = restart(&storage, &config, &mut model);
            }
            Op::Verify => {
                let read = read_everything(&journal);
                assert_eq!(read, model.candidates[..model.acknowledged], "a running journal reads back what it acked");
            }
        }
    }
    // Finally a power loss with nothing armed: exactly the acknowledged records remain (there is
    // no batch in flight).
    drop(journal);
    storage.disarm();
    storage.crash();
    let acknowledged = model.acknowledged;
    let journal = restart(&storage, &config, &mut model);
    assert_eq!(model.candidates.len(), acknowledged);
    let kinds_ok = read_everything(&journal).iter().all(|r| r.kind == RecordKind::Command || r.as_record().checkpoint_hash().is_some());
    assert!(kinds_ok);
    model.coverage
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn recovery_returns_exactly_the_acknowledged_prefix_plus_whole_in_flight_records(
        seed in any::<u64>(),
        segment_max_bytes in 64u64..2048,
        sync_failure_per_million in prop_oneof![Just(0u32), 0u32..200_000],
        ops in prop::collection::vec(op(), 1..40),
    ) {
        run(seed, segment_max_bytes, sync_failure_per_million, ops);
    }
}

/// The same property over many fixed seeds with a crash armed before every batch: a dense sweep
/// of crash points inside appends and segment rolls.
#[test]
fn crash_at_every_point_of_a_batch_with_rolls() {
    let mut total = Coverage::default();
    for seed in 0..300u64 {
        let ops: Vec<Op> = (0..12)
            .flat_map(|i| {
                [
                    Op::ArmCrash { after_ops: (seed + i) % 9 },
                    Op::Append { payload_sizes: vec![((seed * 7 + i) % 50) as usize; 1 + (i as usize % 5)], checkpoint_last: i % 4 == 0 },
                ]
            })
            .collect();
        let coverage = run(seed, 64 + seed % 200, 0, ops);
        total.fatal_appends += coverage.fatal_appends;
        total.torn_tails_truncated += coverage.torn_tails_truncated;
        total.in_flight_records_kept += coverage.in_flight_records_kept;
        total.in_flight_records_lost += coverage.in_flight_records_lost;
    }
    eprintln!("{total:?}");
    assert!(total.fatal_appends > 1000, "{total:?}");
    assert!(total.torn_tails_truncated > 100, "{total:?}");
    assert!(total.in_flight_records_kept > 100 && total.in_flight_records_lost > 100, "{total:?}");
}
