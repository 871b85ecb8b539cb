//! The sequencer: one thread that owns the node and turns admitted commands into acknowledged
//! outcomes.
//!
//! Its loop: take a batch from the lanes (cancels first, then money-out, then the rest; at most
//! `max_batch_commands`, and never past the next checkpoint), commit it (journal + one fdatasync,
//! then the engine), resolve each submitter's ticket with its outcome, do between-batch work
//! (time-based snapshots, archiving). When the lanes are empty it sleeps; when they are full,
//! submitters get `Busy`.
//!
//! A journal failure stops it for good: the batch in flight and everything queued are resolved as
//! not acknowledged, submissions are refused, and [`Sequencer::join`] returns
//! [`StopReason::Fatal`] — the process must exit and recover on restart.

use crate::admission::{Admission, Control, Drained};
use crate::committer::{Encoded, Unacknowledged};
use crate::config::SequencerConfig;
use crate::error::CommitError;
use crate::error::SubmitError;
use crate::lane::Lane;
use crate::node::Node;
use crate::ticket::{self, Completer, Outcome, StopReason, Ticket};
use std::collections::VecDeque;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use talat_core::Command;
use talat_journal::storage::{FsStorage, Storage};

/// A running sequencer. Dropping it without [`Sequencer::shutdown`] leaves the thread running
/// until the process ends.
pub struct Sequencer<S: Storage = FsStorage> {
    handle: SequencerHandle<S>,
    thread: JoinHandle<Result<Node<S>, StopReason>>,
}

/// A cheap, cloneable way to submit commands to a running sequencer from any thread.
pub struct SequencerHandle<S: Storage = FsStorage> {
    admission: Arc<Admission<S>>,
    max_command_bytes: usize,
}

impl<S: Storage> Clone for SequencerHandle<S> {
    fn clone(&self) -> Self {
        SequencerHandle { admission: Arc::clone(&self.admission), max_command_bytes: self.max_command_bytes }
    }
}

impl<S: Storage> Sequencer<S> {
    pub(crate) fn start(node: Node<S>, config: SequencerConfig) -> Self {
        config.assert_valid(&node.journal_config);
        let admission = Arc::new(Admission::new(config.lane_capacities(), config.max_pending_controls));
        let handle = SequencerHandle { admission: Arc::clone(&admission), max_command_bytes: config.max_command_bytes };
        let thread =
            std::thread::Builder::new().name("talat-sequencer".into()).spawn(move || run(node, admission, config)).expect("spawning the sequencer thread");
        Sequencer { handle, thread }
    }

    pub fn handle(&self) -> SequencerHandle<S> {
        self.handle.clone()
    }

    /// Orderly stop: refuses new submissions, commits everything already admitted, waits for a
    /// snapshot being written, and hands the node back.
    pub fn shutdown(self) -> Result<Node<S>, StopReason> {
        self.handle.admission.close(StopReason::Shutdown, false);
        self.join()
    }

    /// Waits until the sequencer stops: after a shutdown requested through a handle, or on its
    /// own after a fatal journal error or a crash.
    pub fn join(self) -> Result<Node<S>, StopReason> {
        match self.thread.join() {
            Ok(result) => result,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic without a message".into());
                Err(StopReason::Crashed(message))
            }
        }
    }
}

impl<S: Storage> SequencerHandle<S> {
    /// Offers `command` to `lane` (normally [`Lane::of`] the command). On `Ok` the command is
    /// queued; the ticket resolves once it is durable and executed. Never blocks.
    pub fn submit(&self, command: Command, lane: Lane) -> Result<Ticket, SubmitError> {
        // Encoding here, on the submitter's thread, takes that work off the sequencer thread.
        let encoded = Encoded::new(command);
        if encoded.bytes.len() > self.max_command_bytes {
            return Err(SubmitError::TooLarge { bytes: encoded.bytes.len(), max_bytes: self.max_command_bytes });
        }
        let (completer, ticket) = ticket::ticket();
        match self.admission.submit(lane, encoded, completer) {
            Ok(()) => Ok(ticket),
            Err((error, completer)) => {
                completer.discard();
                Err(error)
            }
        }
    }

    /// Submits and waits for the outcome.
    pub fn submit_and_wait(&self, command: Command, lane: Lane) -> Result<Outcome, SubmitError> {
        let ticket = self.submit(command, lane)?;
        ticket.wait().map_err(|not_acknowledged| SubmitError::Stopped(not_acknowledged.reason))
    }

    /// Runs `f` on the sequencer thread between two batches, with the node in hand, and returns
    /// its result (e.g. a journal reader for a replication sender).
    pub fn with_node<T: Send + 'static>(&self, f: impl FnOnce(&mut Node<S>) -> T + Send + 'static) -> Result<T, SubmitError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let control: Control<S> = Box::new(move |node| {
            // The caller may have given up waiting; then the result is simply dropped.
            let _ = tx.send(f(node));
        });
        self.admission.control(control)?;
        rx.recv().map_err(|_| SubmitError::Stopped(self.admission.stop_reason().unwrap_or(StopReason::Crashed("the control request was dropped".into()))))
    }

    /// Asks the sequencer to stop after committing what it admitted (see
    /// [`Sequencer::shutdown`]); returns at once.
    pub fn request_shutdown(&self) {
        self.admission.close(StopReason::Shutdown, false);
    }

    /// Why the sequencer stopped, once it has.
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.admission.stop_reason()
    }

    /// Commands waiting in each lane, indexed by [`Lane::index`].
    pub fn lane_depths(&self) -> [usize; 3] {
        self.admission.depths()
    }
}

/// Closes admission if the sequencer thread unwinds, so no submitter waits on a dead thread.
struct CloseOnUnwind<'a, S: Storage> {
    admission: &'a Admission<S>,
    armed: bool,
}

impl<S: Storage> Drop for CloseOnUnwind<'_, S> {
    fn drop(&mut self) {
        if self.armed {
            self.admission.close(StopReason::Crashed("the sequencer thread panicked".into()), true);
        }
    }
}

/// Batches journaled and applied that wait for the standby before they are answered, at most.
/// Each holds its commands' outcomes and tickets; the bound keeps a slow standby from letting
/// the primary run far ahead of what it may acknowledge.
const UNACKNOWLEDGED_BATCHES_MAX: usize = 8;

/// A batch waiting for its acknowledgement, with its submitters.
struct Waiting {
    batch: Unacknowledged,
    completers: Vec<Completer>,
    outcomes: Vec<Outcome>,
}

fn run<S: Storage>(mut node: Node<S>, admission: Arc<Admission<S>>, config: SequencerConfig) -> Result<Node<S>, StopReason> {
    let mut guard = CloseOnUnwind { admission: &admission, armed: true };
    let idle_wait = Duration::from_millis(config.idle_wait_ms);
    let gather = Duration::from_micros(config.gather_us);
    // When the last group commit started, and how many commands it held (see `pace_until`).
    let mut last_commit: Option<(Instant, usize)> = None;
    let mut commands = Vec::with_capacity(config.max_batch_commands);
    let mut completers = Vec::with_capacity(config.max_batch_commands);
    let mut controls = Vec::new();
    // Oldest first. Without a synchronous standby each batch is acknowledged in the pass that
    // committed it, so this holds at most one at a time.
    let mut waiting: VecDeque<Waiting> = VecDeque::with_capacity(UNACKNOWLEDGED_BATCHES_MAX);
    // Runs until admission is closed and drained, or the journal fails.
    loop {
        let max = config.max_batch_commands.min(node.committer.room());
        // With batches waiting for the standby, look at the lanes without sleeping: the next
        // wait is for the standby, below.
        let idle = if waiting.is_empty() { idle_wait } else { Duration::ZERO };
        let not_before = pace_until(last_commit, gather, config.gather_min_commands);
        let drained = admission.drain(max, &mut commands, &mut completers, &mut controls, idle, not_before);
        // A drain that found only controls may have waited too, but it commits nothing.
        if drained == (Drained::Work { paced: true }) && !commands.is_empty() {
            node.committer.note_paced();
        }
        for control in controls.drain(..) {
            control(&mut node);
        }
        let mut result = Ok(());
        let committed_now = !commands.is_empty();
        if committed_now {
            last_commit = Some((Instant::now(), commands.len()));
            let mut outcomes = Vec::with_capacity(commands.len());
            match node.committer.commit_unacknowledged(&mut commands, &mut outcomes) {
                Ok(batch) => {
                    assert_eq!(outcomes.len(), completers.len());
                    waiting.push_back(Waiting { batch, completers: std::mem::take(&mut completers), outcomes });
                }
                Err(error) => result = Err(error),
            }
        }
        if result.is_ok() {
            // Wait for the standby only when nothing else can be done: no new commands, the
            // bound reached, or closing.
            let must_wait = !committed_now || waiting.len() >= UNACKNOWLEDGED_BATCHES_MAX || drained == Drained::Closed;
            result = acknowledge_ready(&mut node, &mut waiting, must_wait);
        }
        if result.is_ok() {
            result = node.committer.tick();
        }
        if let Err(error) = result {
            let reason = StopReason::Fatal(error.cause);
            // Refuse new work before telling anyone, so that a submitter who learns of the
            // failure can never get one more command admitted.
            admission.close(reason.clone(), true);
            let now = Instant::now();
            for completer in completers.drain(..).chain(waiting.drain(..).flat_map(|w| w.completers)) {
                completer.complete(Err(reason.clone()), now);
            }
            guard.armed = false;
            return Err(reason);
        }
        if drained == Drained::Closed && waiting.is_empty() {
            guard.armed = false;
            return match node.committer.close() {
                Ok(()) => Ok(node),
                Err(error) => Err(StopReason::Fatal(error.cause)),
            };
        }
    }
}

/// When the next group commit may start: `gather` after the last one started, if that one held
/// at least `min_commands` commands (others were arriving alongside it, so waiting gathers
/// more); otherwise at once: a lone client's commands each commit without waiting.
fn pace_until(last_commit: Option<(Instant, usize)>, gather: Duration, min_commands: usize) -> Option<Instant> {
    let (started_at, commands) = last_commit?;
    (!gather.is_zero() && commands >= min_commands).then(|| started_at + gather)
}

/// Answers the waiting batches, oldest first, that the standby holds; with `must_wait`, waits
/// for the oldest one first (bounded by the replication gate's policy).
fn acknowledge_ready<S: Storage>(node: &mut Node<S>, waiting: &mut VecDeque<Waiting>, mut must_wait: bool) -> Result<(), CommitError> {
    // Bounded by the queue's length.
    while let Some(oldest) = waiting.front_mut() {
        if !must_wait && !node.committer.replicated(&oldest.batch) {
            return Ok(());
        }
        must_wait = false;
        // On failure the batch stays queued, and its submitters learn why with the rest.
        node.committer.acknowledge(&mut oldest.batch)?;
        let Waiting { completers, outcomes, .. } = waiting.pop_front().expect("front exists");
        let acknowledged_at = Instant::now();
        for (completer, outcome) in completers.into_iter().zip(outcomes) {
            completer.complete(Ok(outcome), acknowledged_at);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pace_until;
    use std::time::{Duration, Instant};

    #[test]
    fn only_a_commit_with_siblings_paces_the_next() {
        let at = Instant::now();
        let gather = Duration::from_millis(1);
        assert_eq!(pace_until(None, gather, 2), None, "the first commit never waits");
        assert_eq!(pace_until(Some((at, 1)), gather, 2), None, "a lone command's commit does not pace");
        assert_eq!(pace_until(Some((at, 2)), gather, 2), Some(at + gather));
        assert_eq!(pace_until(Some((at, 500)), gather, 2), Some(at + gather));
        assert_eq!(pace_until(Some((at, 1)), gather, 1), Some(at + gather), "a minimum of 1 paces after every commit");
        assert_eq!(pace_until(Some((at, 500)), Duration::ZERO, 2), None, "no window, no pacing");
    }
}
