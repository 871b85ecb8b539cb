//! The bounded lanes between submitters and the sequencer thread.
//!
//! One mutex guards the three lane queues and a small queue of control requests. A submitter
//! holds it for a push; the sequencer holds it to take a whole batch. A full lane refuses at once
//! with `Busy` — nothing blocks, nothing grows without bound. The sequencer sleeps on a condition
//! variable only when every queue is empty, and submitters signal only then (an uncontended push
//! costs no system call).

use crate::committer::Encoded;
use crate::error::SubmitError;
use crate::lane::Lane;
use crate::node::Node;
use crate::ticket::{Completer, StopReason};
use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use talat_journal::storage::Storage;

/// Work run on the sequencer thread between batches, with the node in hand.
pub(crate) type Control<S> = Box<dyn FnOnce(&mut Node<S>) + Send>;

struct Queues<S: Storage> {
    lanes: [VecDeque<(Encoded, Completer)>; 3],
    controls: VecDeque<Control<S>>,
    /// Set once: submissions are refused from then on.
    closed: Option<StopReason>,
    /// The sequencer is asleep waiting for work.
    idle: bool,
}

pub(crate) struct Admission<S: Storage> {
    queues: Mutex<Queues<S>>,
    wake: Condvar,
    capacities: [usize; 3],
    max_controls: usize,
}

/// What the sequencer found when it asked for work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Drained {
    /// Commands and/or controls were taken; `paced` if the drain waited for its window first.
    Work { paced: bool },
    /// Nothing arrived within the idle wait.
    Idle,
    /// Admission is closed and every queue is empty: the sequencer may exit.
    Closed,
}

impl<S: Storage> Admission<S> {
    pub(crate) fn new(capacities: [usize; 3], max_controls: usize) -> Self {
        Admission {
            queues: Mutex::new(Queues {
                lanes: std::array::from_fn(|i| VecDeque::with_capacity(capacities[i].min(4_096))),
                controls: VecDeque::new(),
                closed: None,
                idle: false,
            }),
            wake: Condvar::new(),
            capacities,
            max_controls,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queues<S>> {
        // Every critical section leaves the queues consistent, so a poisoned lock is usable.
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn submit(&self, lane: Lane, command: Encoded, completer: Completer) -> Result<(), (SubmitError, Completer)> {
        let mut queues = self.lock();
        if let Some(reason) = &queues.closed {
            return Err((SubmitError::Stopped(reason.clone()), completer));
        }
        let capacity = self.capacities[lane.index()];
        let queue = &mut queues.lanes[lane.index()];
        if queue.len() >= capacity {
            return Err((SubmitError::Busy { lane, capacity }, completer));
        }
        queue.push_back((command, completer));
        self.wake_if_idle(queues);
        Ok(())
    }

    pub(crate) fn control(&self, control: Control<S>) -> Result<(), SubmitError> {
        let mut queues = self.lock();
        if let Some(reason) = &queues.closed {
            return Err(SubmitError::Stopped(reason.clone()));
        }
        if queues.controls.len() >= self.max_controls {
            return Err(SubmitError::Busy { lane: Lane::Cancel, capacity: self.max_controls });
        }
        queues.controls.push_back(control);
        self.wake_if_idle(queues);
        Ok(())
    }

    fn wake_if_idle(&self, queues: MutexGuard<'_, Queues<S>>) {
        let idle = queues.idle;
        drop(queues);
        if idle {
            self.wake.notify_one();
        }
    }

    /// Takes up to `max_commands` commands, highest-priority lane first, plus every control
    /// request. Sleeps up to `idle_wait` if there is nothing at all. Once there is work, and
    /// unless a full batch already waits, lets more arrive until `not_before` (the pacing of
    /// group commits: see [`crate::SequencerConfig::gather_us`]).
    pub(crate) fn drain(
        &self,
        max_commands: usize,
        commands: &mut Vec<Encoded>,
        completers: &mut Vec<Completer>,
        controls: &mut Vec<Control<S>>,
        idle_wait: Duration,
        not_before: Option<Instant>,
    ) -> Drained {
        assert!(max_commands >= 1);
        let mut queues = self.lock();
        let deadline = Instant::now() + idle_wait;
        // Bounded by the deadline.
        while queues.is_empty() && queues.closed.is_none() {
            let now = Instant::now();
            if now >= deadline {
                return Drained::Idle;
            }
            queues.idle = true;
            queues = self.wake.wait_timeout(queues, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
            queues.idle = false;
        }
        let gather = not_before.map_or(Duration::ZERO, |at| at.saturating_duration_since(Instant::now()));
        let paced = !gather.is_zero() && queues.closed.is_none() && queues.lanes.iter().map(|l| l.len()).sum::<usize>() < max_commands;
        if paced {
            // Let more arrive before this group commit (submitters do not wake a busy thread).
            drop(queues);
            std::thread::sleep(gather);
            queues = self.lock();
        }
        controls.extend(queues.controls.drain(..));
        let mut room = max_commands;
        for lane in queues.lanes.iter_mut() {
            let take = room.min(lane.len());
            for (command, completer) in lane.drain(..take) {
                commands.push(command);
                completers.push(completer);
            }
            room -= take;
        }
        if commands.is_empty() && controls.is_empty() {
            debug_assert!(queues.closed.is_some());
            Drained::Closed
        } else {
            Drained::Work { paced }
        }
    }

    /// Refuses every later submission. With `fail_queued`, everything still queued is resolved
    /// as not acknowledged now; otherwise the sequencer keeps draining it (orderly shutdown).
    pub(crate) fn close(&self, reason: StopReason, fail_queued: bool) {
        let mut queues = self.lock();
        if queues.closed.is_none() {
            queues.closed = Some(reason.clone());
        }
        let mut failed = Vec::new();
        if fail_queued {
            for lane in queues.lanes.iter_mut() {
                failed.extend(lane.drain(..).map(|(_, completer)| completer));
            }
            queues.controls.clear();
        }
        drop(queues);
        self.wake.notify_all();
        let now = Instant::now();
        for completer in failed {
            completer.complete(Err(reason.clone()), now);
        }
    }

    pub(crate) fn stop_reason(&self) -> Option<StopReason> {
        self.lock().closed.clone()
    }

    /// Commands waiting per lane, indexed by [`Lane::index`].
    pub(crate) fn depths(&self) -> [usize; 3] {
        let queues = self.lock();
        std::array::from_fn(|i| queues.lanes[i].len())
    }
}

impl<S: Storage> Queues<S> {
    fn is_empty(&self) -> bool {
        self.controls.is_empty() && self.lanes.iter().all(VecDeque::is_empty)
    }
}
