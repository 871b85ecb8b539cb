//! The commit pipeline of one batch, in the order that makes "acknowledged = durable" true:
//!
//! 1. stamp: the next engine seqs and one time for the batch (from the injected clock, never
//!    going backwards);
//! 2. journal: a checkpoint record first if one is due, then one record per command; one
//!    `append_batch`, i.e. one fdatasync;
//! 3. only then apply the commands to the engine, in order, collecting each one's events;
//! 4. afterwards: schedule a checkpoint, take a snapshot if due, archive what snapshots cover.
//!
//! A journal failure poisons the committer: the batch is not acknowledged, and nothing is ever
//! committed again by this process.

use crate::clock::Clock;
use crate::error::{CommitError, ReplayFault};
use crate::publish::Publisher;
use crate::replay;
use crate::snapshots::{SnapshotTaker, Written};
use crate::ticket::Outcome;
use talat_core::{Applied, Command, Input};
use talat_engine::{Engine, UPCOMING_DISTANCE};
use talat_journal::storage::Storage;
use talat_journal::{AppendError, Journal, JournalError, Record, RecordKind};

/// A command with its postcard bytes, encoded by whoever submitted it.
///
/// A postcard struct is the concatenation of its fields, so the journal payload of
/// `Input { seq, ts_ms, command }` is `varint(seq) ++ varint(ts_ms) ++ postcard(command)`: the
/// sequencer prepends two varints to these bytes instead of encoding the command itself. A test
/// holds this equal to `Input::encode`.
pub(crate) struct Encoded {
    pub(crate) command: Command,
    pub(crate) bytes: Vec<u8>,
}

impl Encoded {
    pub(crate) fn new(command: Command) -> Self {
        let bytes = postcard::to_stdvec(&command).expect("serialising into a Vec cannot fail");
        Encoded { command, bytes }
    }
}

/// Appends `value` as postcard's unsigned varint (LEB128: 7 bits a byte, low bits first).
fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    // At most 10 bytes for a u64.
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A batch journaled and applied but not yet acknowledged (see
/// [`Committer::commit_unacknowledged`]).
pub(crate) struct Unacknowledged {
    /// One past the batch's last journal record: what the standby must hold.
    next_seq: u64,
    /// For the publisher, once acknowledged (empty without one).
    published: Vec<Applied>,
    committed_at: std::time::Instant,
}

/// Initial capacity of a command's event list.
const EVENTS_PER_COMMAND_HINT: usize = 8;

/// Counters of what a node has done since it opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CommitStats {
    pub batches: u64,
    pub commands: u64,
    pub checkpoints: u64,
    pub snapshots_taken: u64,
    pub snapshots_written: u64,
    pub snapshot_failures: u64,
    pub segments_archived: u64,
    /// Time the sequencer thread spent hashing the state for checkpoints (O(state) each).
    pub checkpoint_hash_us: u64,
    /// Time it spent copying the state for snapshots (the writing is on another thread).
    pub snapshot_copy_us: u64,
    /// Group commits that waited out the pacing window (`SequencerConfig::gather_us`) first.
    pub paced_batches: u64,
}

pub(crate) struct Committer<S: Storage> {
    pub(crate) engine: Engine,
    pub(crate) journal: Journal<S>,
    pub(crate) snapshots: SnapshotTaker<S>,
    clock: Box<dyn Clock>,
    checkpoint_every: u64,
    /// A checkpoint must lead the next batch: the engine's last seq is a multiple of
    /// `checkpoint_every` and no checkpoint for it is journaled yet.
    checkpoint_due: bool,
    archive: bool,
    last_ts_ms: u64,
    poisoned: Option<String>,
    stats: CommitStats,
    /// Told of every applied batch (see [`crate::publish`]).
    publisher: Option<Box<dyn Publisher>>,
    /// The epoch this node writes under (the leadership term it was promoted in).
    epoch: u32,
    /// Replicated mode: the standby's state, consulted before every acknowledgement, and the
    /// newest epoch heard of (a newer one than ours means we were deposed).
    replica: Option<std::sync::Arc<crate::replica::ReplicaGate>>,
    // Scratch, reused by every batch.
    inputs: Vec<Input>,
    payload: Vec<u8>,
    payload_ends: Vec<usize>,
}

impl<S: Storage> Committer<S> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        engine: Engine,
        journal: Journal<S>,
        snapshots: SnapshotTaker<S>,
        clock: Box<dyn Clock>,
        checkpoint_every: u64,
        checkpoint_due: bool,
        archive: bool,
    ) -> Self {
        assert!(checkpoint_every >= 1);
        let last_ts_ms = engine.last_ts_ms();
        let epoch = journal.epochs().last_epoch().unwrap_or(0);
        Committer {
            epoch,
            replica: None,
            engine,
            journal,
            snapshots,
            clock,
            checkpoint_every,
            checkpoint_due,
            archive,
            last_ts_ms,
            poisoned: None,
            stats: CommitStats::default(),
            publisher: None,
            inputs: Vec::new(),
            payload: Vec::new(),
            payload_ends: Vec::new(),
        }
    }

    pub(crate) fn set_publisher(&mut self, publisher: Box<dyn Publisher>) {
        self.publisher = Some(publisher);
    }

    pub(crate) fn stats(&self) -> CommitStats {
        self.stats
    }

    pub(crate) fn note_paced(&mut self) {
        self.stats.paced_batches += 1;
    }

    pub(crate) fn epoch(&self) -> u32 {
        self.epoch
    }

    pub(crate) fn set_replica(&mut self, gate: std::sync::Arc<crate::replica::ReplicaGate>) {
        gate.learn_epoch(self.epoch);
        gate.set_epochs(self.epoch, self.journal.epochs());
        gate.committed(self.journal.next_seq());
        self.replica = Some(gate);
    }

    /// Begins `epoch` (a promotion): one checkpoint record of the new epoch, durable before
    /// this returns, marks where it starts; every later record carries it.
    ///
    /// # Panics
    /// If `epoch` is not newer than the journal's (the coordinator hands out growing epochs).
    pub(crate) fn begin_epoch(&mut self, epoch: u32) -> Result<u64, CommitError> {
        self.check_poisoned()?;
        let journal_epoch = self.journal.epochs().last_epoch().unwrap_or(0);
        assert!(epoch > self.epoch && epoch > journal_epoch, "epoch {epoch} is not newer than {} (journal {journal_epoch})", self.epoch);
        if let Some(gate) = &self.replica {
            gate.learn_epoch(epoch);
        }
        self.epoch = epoch;
        let ts_ms = self.clock.now_ms().max(self.last_ts_ms);
        self.last_ts_ms = ts_ms;
        let hash = self.engine.state_hash();
        let seq = self.journal.next_seq();
        if let Err(error) = self.journal.append_batch(&[Record::checkpoint(seq, ts_ms, &hash).in_epoch(epoch)]) {
            return Err(self.poison(error.to_string()));
        }
        self.checkpoint_due = false;
        self.stats.checkpoints += 1;
        if let Some(gate) = &self.replica {
            gate.set_epochs(epoch, self.journal.epochs());
            gate.committed(self.journal.next_seq());
        }
        tracing::warn!(epoch, first_seq = seq, "a new epoch begins: this node is the primary");
        Ok(seq)
    }

    /// Refuses to write once a newer epoch is known: another node was promoted.
    fn check_not_deposed(&mut self) -> Result<(), CommitError> {
        let known = self.replica.as_ref().map_or(0, |gate| gate.known_epoch());
        if known > self.epoch {
            return Err(self.poison(format!("deposed: epoch {known} is newer than this node's epoch {}; it writes nothing more", self.epoch)));
        }
        Ok(())
    }

    /// Most commands the next batch may hold, so that every checkpoint lands exactly after a
    /// command whose engine seq is a multiple of `checkpoint_every`.
    pub(crate) fn room(&self) -> usize {
        let left = self.checkpoint_every - self.engine.last_seq() % self.checkpoint_every;
        usize::try_from(left).unwrap_or(usize::MAX)
    }

    fn poison(&mut self, cause: String) -> CommitError {
        tracing::error!(%cause, "journal failure: the sequencer stops; restart to recover");
        self.poisoned = Some(cause.clone());
        CommitError { cause }
    }

    fn check_poisoned(&self) -> Result<(), CommitError> {
        match &self.poisoned {
            Some(cause) => Err(CommitError { cause: cause.clone() }),
            None => Ok(()),
        }
    }

    /// Journals `commands` (drained) with one fdatasync, then applies them and appends one
    /// [`Outcome`] per command to `outcomes`, in order.
    ///
    /// # Panics
    /// If `commands` is empty or longer than [`Committer::room`] (caller bugs).
    pub(crate) fn commit(&mut self, commands: &mut Vec<Encoded>, outcomes: &mut Vec<Outcome>) -> Result<(), CommitError> {
        let mut batch = self.commit_unacknowledged(commands, outcomes)?;
        self.acknowledge(&mut batch)
    }

    /// [`Committer::commit`] up to, not including, the acknowledgement: journaled (one
    /// fdatasync) and applied, its outcomes in `outcomes`, but neither published nor to be
    /// answered until [`Committer::acknowledge`] — which in synchronous replicated mode waits
    /// for the standby. The sequencer journals and applies the next batches meanwhile, so the
    /// standby's round trip overlaps them instead of stalling the pipeline.
    pub(crate) fn commit_unacknowledged(&mut self, commands: &mut Vec<Encoded>, outcomes: &mut Vec<Outcome>) -> Result<Unacknowledged, CommitError> {
        self.check_poisoned()?;
        self.check_not_deposed()?;
        assert!(!commands.is_empty(), "an empty batch has nothing to commit");
        assert!(commands.len() <= self.room(), "a batch may not run past a checkpoint");
        let (ts_ms, first_command_seq) = self.stamp(commands);
        let first_command_journal_seq = self.journal_batch(ts_ms)?;
        let next_seq = self.journal.next_seq();
        if let Some(gate) = &self.replica {
            gate.committed(next_seq);
        }
        // Durable here: now, and only now, execute.
        let published = self.apply_batch(ts_ms, first_command_journal_seq, outcomes);
        self.after_batch(ts_ms, first_command_seq)?;
        Ok(Unacknowledged { next_seq, published, committed_at: std::time::Instant::now() })
    }

    /// Whether `batch` may be acknowledged now without waiting (no standby to wait for, or it
    /// holds the batch, or available mode went on alone).
    pub(crate) fn replicated(&self, batch: &Unacknowledged) -> bool {
        self.replica.as_ref().is_none_or(|gate| gate.holds(batch.next_seq))
    }

    /// Waits (in synchronous mode) until the standby holds `batch`, then publishes it: after
    /// this its commands may be answered. A stop while waiting poisons the committer: the batch
    /// is durable here but not acknowledged.
    pub(crate) fn acknowledge(&mut self, batch: &mut Unacknowledged) -> Result<(), CommitError> {
        if let Some(gate) = self.replica.clone() {
            let waited = gate.await_standby(batch.next_seq);
            metrics::histogram!("talat_replication_ack_wait_seconds").record(batch.committed_at.elapsed().as_secs_f64());
            waited.map_err(|cause| self.poison(cause))?;
        }
        if let Some(publisher) = self.publisher.as_mut() {
            publisher.publish(std::mem::take(&mut batch.published));
        }
        Ok(())
    }

    /// Step 1: one time for the batch (never going backwards) and the next engine seqs; drains
    /// `commands` into `self.inputs` and their journal payloads into `self.payload`. Returns the
    /// batch's time and its first command's engine seq.
    fn stamp(&mut self, commands: &mut Vec<Encoded>) -> (u64, u64) {
        let ts_ms = self.clock.now_ms().max(self.last_ts_ms);
        self.last_ts_ms = ts_ms;
        let first_command_seq = self.engine.last_seq() + 1;

        self.inputs.clear();
        self.payload_ends.clear();
        self.payload.clear();
        for (i, encoded) in commands.drain(..).enumerate() {
            let seq = first_command_seq + i as u64;
            push_varint(&mut self.payload, seq);
            push_varint(&mut self.payload, ts_ms);
            self.payload.extend_from_slice(&encoded.bytes);
            self.payload_ends.push(self.payload.len());
            self.inputs.push(Input { seq, ts_ms, command: encoded.command });
        }
        (ts_ms, first_command_seq)
    }

    /// Step 2: a checkpoint record first if one is due, then one record per stamped command, in
    /// one `append_batch` (one fdatasync). A journal failure poisons the committer. Returns the
    /// journal seq of the first command's record.
    fn journal_batch(&mut self, ts_ms: u64) -> Result<u64, CommitError> {
        let mut journal_seq = self.journal.next_seq();
        let mut records = Vec::with_capacity(self.inputs.len() + 1);
        let hash;
        if self.checkpoint_due {
            let started = std::time::Instant::now();
            hash = self.engine.state_hash();
            self.stats.checkpoint_hash_us += crate::recovery::micros(started.elapsed());
            records.push(Record::checkpoint(journal_seq, ts_ms, &hash).in_epoch(self.epoch));
            journal_seq += 1;
        }
        let first_command_journal_seq = journal_seq;
        let mut start = 0;
        for (i, &end) in self.payload_ends.iter().enumerate() {
            records.push(Record::command(journal_seq + i as u64, ts_ms, &self.payload[start..end]).in_epoch(self.epoch));
            start = end;
        }
        let append_started = std::time::Instant::now();
        let appended = self.journal.append_batch(&records);
        // Write + fdatasync of the batch: what every acknowledgement in it waited for.
        metrics::histogram!("talat_journal_append_seconds").record(append_started.elapsed().as_secs_f64());
        metrics::histogram!("talat_batch_commands").record(records.len() as f64);
        drop(records);
        match appended {
            Ok(_) => {}
            Err(AppendError::PayloadTooLarge { seq, payload_bytes, max_bytes }) => {
                // Admission bounds every command well below the journal's limit.
                panic!("bug: record {seq} has {payload_bytes} bytes, above the journal's {max_bytes}; admission must bound command size");
            }
            Err(error) => return Err(self.poison(error.to_string())),
        }
        if self.checkpoint_due {
            self.checkpoint_due = false;
            self.stats.checkpoints += 1;
        }
        Ok(first_command_journal_seq)
    }

    /// Step 3 (only once the batch is durable): applies the stamped commands to the engine in
    /// order, appending one [`Outcome`] each to `outcomes`; returns what the publisher is to be
    /// told once the batch is acknowledged.
    fn apply_batch(&mut self, ts_ms: u64, first_command_journal_seq: u64, outcomes: &mut Vec<Outcome>) -> Vec<Applied> {
        let apply_started = std::time::Instant::now();
        let mut published = match self.publisher {
            Some(_) => Vec::with_capacity(self.inputs.len()),
            None => Vec::new(),
        };
        let lookahead = self.engine.lookahead_pays();
        let mut inputs = self.inputs.drain(..);
        let mut i = 0;
        while let Some(input) = inputs.next() {
            if lookahead {
                // The rest of the batch is known: start loading what the next commands read
                // while this one runs (hints only; they change nothing).
                let rest = inputs.as_slice();
                if let Some(far) = rest.get(UPCOMING_DISTANCE - 1) {
                    self.engine.prefetch_upcoming(&far.command);
                }
                if let Some(near) = rest.first() {
                    self.engine.prefetch_next(&near.command);
                }
            }
            // Most commands emit a handful of events; one allocation instead of regrowing.
            let mut events = Vec::with_capacity(EVENTS_PER_COMMAND_HINT);
            self.engine.apply(&input, &mut events);
            let seq = input.seq;
            if self.publisher.is_some() {
                published.push(Applied { input, events: events.clone() });
            }
            outcomes.push(Outcome { seq, journal_seq: first_command_journal_seq + i as u64, ts_ms, events });
            i += 1;
        }
        metrics::histogram!("talat_batch_apply_seconds").record(apply_started.elapsed().as_secs_f64());
        published
    }

    /// Step 4: schedules the next checkpoint if this batch ended on one, counts the batch, takes
    /// a snapshot if due and archives what finished snapshots cover.
    fn after_batch(&mut self, ts_ms: u64, first_command_seq: u64) -> Result<(), CommitError> {
        if self.engine.last_seq().is_multiple_of(self.checkpoint_every) {
            self.checkpoint_due = true;
        }
        self.stats.batches += 1;
        self.stats.commands += self.engine.last_seq() + 1 - first_command_seq;
        let last_journal_seq = self.journal.next_seq() - 1;
        self.maybe_snapshot(last_journal_seq, ts_ms);
        self.collect_snapshots()
    }

    /// Work between batches: a snapshot that came due by time, and the results of snapshot
    /// writes (archiving what they cover).
    pub(crate) fn tick(&mut self) -> Result<(), CommitError> {
        self.check_poisoned()?;
        let now_ms = self.clock.now_ms();
        if self.journal.next_seq() > self.journal.span().first_seq {
            let last_journal_seq = self.journal.next_seq() - 1;
            self.maybe_snapshot(last_journal_seq, now_ms);
        }
        self.collect_snapshots()
    }

    fn maybe_snapshot(&mut self, last_journal_seq: u64, now_ms: u64) {
        let started = std::time::Instant::now();
        if self.snapshots.maybe_take(&self.engine, last_journal_seq, now_ms) {
            self.stats.snapshots_taken += 1;
            self.stats.snapshot_copy_us += crate::recovery::micros(started.elapsed());
        }
    }

    /// Takes a snapshot of the current state now and waits until it is durable (tools, tests
    /// and an orderly shutdown). Nothing to do if the journal is empty.
    pub(crate) fn snapshot_now(&mut self) -> Result<(), CommitError> {
        self.check_poisoned()?;
        if self.journal.next_seq() == self.journal.span().first_seq && self.engine.last_seq() == 0 {
            return Ok(());
        }
        let last_journal_seq = self.journal.next_seq() - 1;
        let now_ms = self.clock.now_ms();
        self.snapshots.take_now(&self.engine, last_journal_seq, now_ms);
        self.stats.snapshots_taken += 1;
        let finished = self.snapshots.wait_pending();
        self.handle_written(finished)
    }

    fn collect_snapshots(&mut self) -> Result<(), CommitError> {
        let finished = self.snapshots.poll();
        self.handle_written(finished)
    }

    fn handle_written(&mut self, finished: Vec<Result<Written, String>>) -> Result<(), CommitError> {
        for result in finished {
            match result {
                Ok(written) => {
                    self.stats.snapshots_written += 1;
                    tracing::debug!(journal_seq = written.journal_seq, "snapshot durable");
                    if let (true, Some(seq)) = (self.archive, written.oldest_kept_seq) {
                        self.archive_through(seq)?;
                    }
                }
                Err(reason) => {
                    // The journal still holds everything; recovery will just replay more.
                    self.stats.snapshot_failures += 1;
                    tracing::error!(%reason, "snapshot write failed; the journal is not archived past it");
                }
            }
        }
        Ok(())
    }

    fn archive_through(&mut self, journal_seq: u64) -> Result<(), CommitError> {
        match self.journal.archive_segments_through(journal_seq) {
            Ok(report) => {
                self.stats.segments_archived += report.segments_moved as u64;
                Ok(())
            }
            Err(error @ (JournalError::Fatal(_) | JournalError::Poisoned { .. })) => Err(self.poison(error.to_string())),
            Err(error) => {
                tracing::error!(%error, "archiving journal segments failed; they stay in place");
                Ok(())
            }
        }
    }

    /// Appends replicated records (already durable on the primary) to this node's journal with
    /// one fdatasync, then applies them through `replayer`-equivalent checks. Used by a standby.
    pub(crate) fn append_replicated(&mut self, records: &[Record<'_>]) -> Result<Result<(), (u64, ReplayFault)>, CommitError> {
        self.check_poisoned()?;
        if let Err(error) = self.journal.append_batch(records) {
            return Err(self.poison(error.to_string()));
        }
        self.epoch = self.epoch.max(records.last().map_or(0, |r| r.epoch));
        // Verified exactly as recovery verifies.
        let mut result = Ok(());
        let mut input = None;
        let mut events = Vec::new();
        for record in records {
            let applied = replay::apply_body(&mut self.engine, record.timestamp_ms, replay::decode(record), &mut events, &mut input);
            if let Err(fault) = applied {
                result = Err((record.seq, fault));
                break;
            }
        }
        let last_kind = records.last().map(|r| r.kind);
        if result.is_ok() {
            self.last_ts_ms = self.last_ts_ms.max(records.last().map_or(0, |r| r.timestamp_ms));
            self.checkpoint_due =
                self.engine.last_seq() > 0 && self.engine.last_seq().is_multiple_of(self.checkpoint_every) && last_kind != Some(RecordKind::Checkpoint);
            let last_journal_seq = self.journal.next_seq() - 1;
            let now_ms = self.clock.now_ms();
            self.maybe_snapshot(last_journal_seq, now_ms);
            self.collect_snapshots()?;
        }
        Ok(result)
    }

    /// Waits for a snapshot being written, then stops the writer.
    pub(crate) fn close(&mut self) -> Result<(), CommitError> {
        let finished = self.snapshots.finish();
        self.handle_written(finished)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Workload, WorkloadConfig};

    #[test]
    fn varints_and_pre_encoded_commands_make_exactly_input_encode() {
        let mut workload = Workload::new(WorkloadConfig::default());
        let mut commands = workload.setup();
        commands.extend((0..2_000).map(|_| workload.next_command()));
        let stamps = [0, 1, 127, 128, 16_383, 16_384, 1 << 35, u64::MAX - 1, u64::MAX];
        for (i, command) in commands.into_iter().enumerate() {
            let (seq, ts_ms) = (stamps[i % stamps.len()], stamps[(i / 3) % stamps.len()]);
            let encoded = Encoded::new(command.clone());
            let mut payload = Vec::new();
            push_varint(&mut payload, seq);
            push_varint(&mut payload, ts_ms);
            payload.extend_from_slice(&encoded.bytes);
            assert_eq!(payload, Input { seq, ts_ms, command }.encode());
        }
    }
}
