//! [`Node`]: one data directory brought to life — recovered engine, journal, snapshot policy.
//!
//! A node is used in one of three ways:
//! - [`Node::start`] hands it to a [`crate::Sequencer`] thread that serves submissions (primary);
//! - [`Node::commit`] commits batches synchronously on the caller's thread (tools, benchmarks,
//!   tests that need exact control over batches);
//! - [`Node::follow`] makes it a standby that appends a primary's replication stream to its own
//!   journal and applies it, verifying checkpoints (it can later be started as a primary).

use crate::clock::Clock;
use crate::committer::{CommitStats, Committer, Encoded};
use crate::config::{NodeConfig, SequencerConfig};
use crate::datadir::DirLock;
use crate::error::{CommitError, FollowError, OpenError};
use crate::recovery::{self, RecoveryInfo};
use crate::sequencer::Sequencer;
use crate::snapshots::SnapshotTaker;
use crate::ticket::Outcome;
use std::io::Read;
use std::path::{Path, PathBuf};
use talat_core::Command;
use talat_engine::Engine;
use talat_journal::storage::{FsStorage, Storage};
use talat_journal::{JournalConfig, JournalError, JournalReader, Record, RecordBuf, SeqSpan, StreamReceiver};

/// Largest chunk [`Node::commit`] journals at once (bounds its staging memory).
const SYNC_COMMIT_CHUNK_MAX: usize = 1 << 16;

/// A recovered data directory, ready to commit.
pub struct Node<S: Storage = FsStorage> {
    pub(crate) committer: Committer<S>,
    recovery: RecoveryInfo,
    data_dir: PathBuf,
    pub(crate) journal_config: JournalConfig,
    /// Held for the node's life on real storage; released by the kernel if the process dies.
    _lock: Option<DirLock>,
}

impl Node<FsStorage> {
    /// Opens (creating if needed) the data directory on the real file system and recovers it:
    /// newest valid snapshot, then the journal's tail, verifying checkpoints. Refuses a directory
    /// another process holds.
    pub fn open(data_dir: impl AsRef<Path>, config: NodeConfig, clock: impl Clock) -> Result<Self, OpenError> {
        let lock = DirLock::acquire(data_dir.as_ref())?;
        let mut node = Node::open_with(FsStorage, data_dir, config, clock)?;
        node._lock = Some(lock);
        Ok(node)
    }

    /// Cuts a stopped data directory's journal from `from_seq` on (a deposed primary's
    /// unreplicated tail) and deletes the snapshots that covered any of it, so the next open
    /// recovers to the state just before the cut. Takes the directory's lock.
    pub fn cut_tail(data_dir: &Path, config: &NodeConfig, from_seq: u64) -> Result<talat_journal::TruncateReport, OpenError> {
        let _lock = DirLock::acquire(data_dir)?;
        let mut journal = talat_journal::Journal::open(crate::datadir::journal_dir(data_dir), config.journal.clone())?;
        let report = journal.truncate_from(from_seq)?;
        talat_journal::SnapshotStore::open(crate::datadir::snapshot_dir(data_dir))?.remove_from(from_seq)?;
        Ok(report)
    }
}

impl<S: Storage> Node<S> {
    /// Like [`Node::open`] on any storage (tests use the fault-injecting one). Takes no lock.
    pub fn open_with(storage: S, data_dir: impl AsRef<Path>, config: NodeConfig, clock: impl Clock) -> Result<Self, OpenError> {
        config.assert_valid();
        let data_dir = data_dir.as_ref().to_path_buf();
        let recovered = recovery::recover(&storage, &data_dir, &config)?;
        let snapshots =
            SnapshotTaker::new(recovered.store, config.snapshots.clone(), recovered.info.snapshot.as_ref().map_or(0, |s| s.command_seq), clock.now_ms());
        let journal_config = config.journal.clone();
        let committer = Committer::new(
            recovered.engine,
            recovered.journal,
            snapshots,
            Box::new(clock),
            config.checkpoint_every_commands,
            recovered.checkpoint_due,
            config.snapshots.archive_covered_segments,
        );
        Ok(Node { committer, recovery: recovered.info, data_dir, journal_config, _lock: None })
    }

    pub fn engine(&self) -> &Engine {
        &self.committer.engine
    }

    pub fn recovery(&self) -> &RecoveryInfo {
        &self.recovery
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn stats(&self) -> CommitStats {
        self.committer.stats()
    }

    /// The journal records this node's directory holds (archived ones excluded).
    pub fn journal_span(&self) -> SeqSpan {
        self.committer.journal.span()
    }

    /// A reader over durable records from `journal_seq` on, which keeps following the journal
    /// as it grows (what a replication sender streams from).
    pub fn read_from(&self, journal_seq: u64) -> Result<JournalReader<S>, JournalError> {
        self.committer.journal.read_from(journal_seq)
    }

    /// Commits `commands` on the caller's thread: journaled with one fdatasync per chunk (chunks
    /// end at checkpoints), then applied. Returns one outcome per command, in order.
    pub fn commit(&mut self, commands: Vec<Command>) -> Result<Vec<Outcome>, CommitError> {
        let mut outcomes = Vec::with_capacity(commands.len());
        let mut rest = commands.into_iter().peekable();
        let mut chunk = Vec::new();
        // Each pass commits at least one command.
        while rest.peek().is_some() {
            let room = self.committer.room().min(SYNC_COMMIT_CHUNK_MAX);
            chunk.extend(rest.by_ref().take(room).map(Encoded::new));
            self.committer.commit(&mut chunk, &mut outcomes)?;
        }
        Ok(outcomes)
    }

    /// Between-batch work a caller of [`Node::commit`] should run now and then: snapshots that
    /// came due by time, and archiving after finished snapshot writes.
    pub fn tick(&mut self) -> Result<(), CommitError> {
        self.committer.tick()
    }

    /// Writes a snapshot of the current state and waits until it is durable.
    pub fn snapshot_now(&mut self) -> Result<(), CommitError> {
        self.committer.snapshot_now()
    }

    /// Standby mode: appends the records `receiver` yields to this node's journal (one
    /// fdatasync per arrival batch of at most `max_batch_records`) and applies them, verifying
    /// checkpoints. Returns the number of records applied when the stream ends cleanly.
    pub fn follow<R: Read>(&mut self, receiver: &mut StreamReceiver<R>, max_batch_records: usize) -> Result<u64, FollowError> {
        self.follow_acking(receiver, max_batch_records, &mut |_| {})
    }

    /// [`Node::follow`], telling `durable` the journal's new end (one past the last record)
    /// after every arrival batch's fdatasync: what a standby acknowledges to its primary.
    pub fn follow_acking<R: Read>(
        &mut self,
        receiver: &mut StreamReceiver<R>,
        max_batch_records: usize,
        durable: &mut dyn FnMut(u64),
    ) -> Result<u64, FollowError> {
        assert!(max_batch_records >= 1);
        let expected_seq = self.committer.journal.next_seq();
        if receiver.next_seq() != expected_seq {
            return Err(FollowError::StartMismatch { stream_seq: receiver.next_seq(), expected_seq });
        }
        let mut batch: Vec<RecordBuf> = Vec::with_capacity(max_batch_records);
        let mut applied = 0;
        // Ends at the end of the stream; each pass applies at least one record.
        loop {
            batch.clear();
            match receiver.next_record()? {
                Some(record) => batch.push(record.to_owned_record()),
                None => return Ok(applied),
            }
            while batch.len() < max_batch_records {
                match receiver.next_buffered_record()? {
                    Some(record) => batch.push(record.to_owned_record()),
                    None => break,
                }
            }
            let records: Vec<Record<'_>> = batch.iter().map(RecordBuf::as_record).collect();
            let last_command_seq = self.committer.engine.last_seq();
            if let Err((journal_seq, fault)) = self.committer.append_replicated(&records)? {
                return Err(FollowError::Record { journal_seq, last_command_seq, fault });
            }
            durable(self.committer.journal.next_seq());
            applied += records.len() as u64;
        }
    }

    /// The epoch this node writes under, or last received records of.
    pub fn epoch(&self) -> u32 {
        self.committer.epoch()
    }

    /// Which epoch wrote which of the journal's retained records.
    pub fn epochs(&self) -> &talat_journal::EpochHistory {
        self.committer.journal.epochs()
    }

    /// A source of journal readers usable from any thread at any time (a replication link).
    pub fn reader_source(&self) -> talat_journal::ReaderSource<S> {
        self.committer.journal.reader_source()
    }

    /// Replicated mode: every batch from now on is acknowledged as `gate` decides (see
    /// [`crate::replica`]), and a newer epoch heard through it stops this node writing.
    pub fn set_replication(&mut self, gate: std::sync::Arc<crate::replica::ReplicaGate>) {
        self.committer.set_replica(gate);
    }

    /// Promotion: begins `epoch` with a durable checkpoint record of it (see
    /// [`talat_journal::EpochHistory`]). Returns that record's journal seq.
    pub fn begin_epoch(&mut self, epoch: u32) -> Result<u64, CommitError> {
        self.committer.begin_epoch(epoch)
    }

    /// Installs the publisher told of every batch this node commits from now on (see
    /// [`crate::publish`]).
    pub fn set_publisher(&mut self, publisher: impl crate::publish::Publisher) {
        self.committer.set_publisher(Box::new(publisher));
    }

    /// Hands the node to a sequencer thread; see [`Sequencer`].
    pub fn start(self, config: SequencerConfig) -> Sequencer<S> {
        Sequencer::start(self, config)
    }

    /// Waits for a snapshot being written and closes the node.
    pub fn close(mut self) -> Result<CommitStats, CommitError> {
        self.committer.close()?;
        Ok(self.committer.stats())
    }
}
