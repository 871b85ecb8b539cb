//! What a submitter gets back: a [`Ticket`] that resolves to the command's [`Outcome`] once it is
//! durable and executed, or to [`NotAcknowledged`] if the sequencer stopped first.
//!
//! A one-shot slot per request (a mutex, a condition variable and the result). The sequencer side
//! holds a `Completer`; dropping it without completing (the sequencer thread died) resolves the
//! ticket as not acknowledged, so no submitter ever waits forever.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use talat_core::{Event, Seq};

/// The result of an acknowledged command: it is on stable storage and the engine executed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The engine's command sequence number (`Input.seq`; see the crate docs for how it relates
    /// to journal record numbers).
    pub seq: Seq,
    /// The journal record holding the command.
    pub journal_seq: u64,
    /// The time the sequencer stamped on the command's batch.
    pub ts_ms: u64,
    /// What the engine said happened (a rejection is one `Rejected` event).
    pub events: Vec<Event>,
}

/// Why the sequencer stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// Asked to stop; everything it had accepted was committed first.
    Shutdown,
    /// The journal could not make a batch durable (failed fdatasync, write or directory sync).
    /// The process must stop; recovery on restart finds out what reached the disk.
    Fatal(String),
    /// The sequencer thread panicked (a bug).
    Crashed(String),
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Shutdown => f.write_str("the sequencer was shut down"),
            StopReason::Fatal(cause) => write!(f, "fatal journal error: {cause}"),
            StopReason::Crashed(cause) => write!(f, "the sequencer thread crashed: {cause}"),
        }
    }
}

/// The command was not acknowledged. Its fate is unknown: it may or may not have reached the
/// journal. After a restart, retry it with the same idempotence key (client id, external id); the
/// engine answers a retry of something already executed with `Duplicate`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not acknowledged: {reason}")]
pub struct NotAcknowledged {
    pub reason: StopReason,
}

type Resolution = Result<Outcome, StopReason>;

enum SlotState {
    Pending,
    Done { result: Resolution, at: Instant },
    Taken,
}

struct Inner {
    state: SlotState,
    /// The submitter is asleep on the condition variable. Set and read under the mutex, so the
    /// sequencer signals (a system call) only when someone actually waits — with thousands of
    /// tickets per batch, most are collected after they resolved.
    waiting: bool,
    /// An async submitter's waker (see the `Future` impl of [`Ticket`]).
    waker: Option<std::task::Waker>,
}

struct Slot {
    inner: Mutex<Inner>,
    ready: Condvar,
}

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the state half-written (every write is
        // one assignment), so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The submitter's end: wait for the outcome.
pub struct Ticket {
    slot: Arc<Slot>,
}

/// The sequencer's end.
pub(crate) struct Completer {
    slot: Option<Arc<Slot>>,
}

pub(crate) fn ticket() -> (Completer, Ticket) {
    let slot = Arc::new(Slot { inner: Mutex::new(Inner { state: SlotState::Pending, waiting: false, waker: None }), ready: Condvar::new() });
    (Completer { slot: Some(Arc::clone(&slot)) }, Ticket { slot })
}

impl Completer {
    /// Resolves the ticket; `at` is when the batch was acknowledged (kept for latency figures).
    pub(crate) fn complete(mut self, result: Resolution, at: Instant) {
        let slot = self.slot.take().expect("a completer completes once");
        resolve(&slot, result, at);
    }
}

impl Completer {
    /// Drops a completer whose ticket was never handed out (a refused submission).
    pub(crate) fn discard(mut self) {
        self.slot = None;
    }
}

fn resolve(slot: &Slot, result: Resolution, at: Instant) {
    let mut inner = slot.lock();
    assert!(matches!(inner.state, SlotState::Pending), "resolved twice");
    inner.state = SlotState::Done { result, at };
    let waiting = inner.waiting;
    let waker = inner.waker.take();
    drop(inner);
    if waiting {
        slot.ready.notify_all();
    }
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl Drop for Completer {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            let reason = StopReason::Crashed("the request was dropped before it was acknowledged".into());
            resolve(&slot, Err(reason), Instant::now());
        }
    }
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket").field("ready", &self.is_ready()).finish()
    }
}

impl Ticket {
    /// Blocks until the command is acknowledged (durable and executed) or the sequencer stops.
    pub fn wait(self) -> Result<Outcome, NotAcknowledged> {
        self.wait_timed().0
    }

    /// Like [`Ticket::wait`], also returning the instant the sequencer acknowledged it.
    pub fn wait_timed(self) -> (Result<Outcome, NotAcknowledged>, Instant) {
        let mut inner = self.slot.lock();
        // Bounded by the sequencer: it resolves every ticket it accepted, or drops it.
        while matches!(inner.state, SlotState::Pending) {
            inner.waiting = true;
            inner = self.slot.ready.wait(inner).unwrap_or_else(|e| e.into_inner());
        }
        take(&mut inner.state)
    }

    /// The resolution if it arrives within `timeout`; otherwise the ticket is handed back.
    pub fn wait_timeout(self, timeout: Duration) -> Result<(Result<Outcome, NotAcknowledged>, Instant), Ticket> {
        let deadline = Instant::now() + timeout;
        let mut inner = self.slot.lock();
        while matches!(inner.state, SlotState::Pending) {
            let now = Instant::now();
            if now >= deadline {
                drop(inner);
                return Err(self);
            }
            inner.waiting = true;
            inner = self.slot.ready.wait_timeout(inner, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        Ok(take(&mut inner.state))
    }

    /// Whether the ticket is resolved (waiting would not block).
    pub fn is_ready(&self) -> bool {
        !matches!(self.slot.lock().state, SlotState::Pending)
    }
}

/// Async waiting: the ticket resolves like [`Ticket::wait`] without blocking a thread (the
/// gateway awaits thousands of tickets on a couple of runtime threads).
impl std::future::Future for Ticket {
    type Output = Result<Outcome, NotAcknowledged>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let mut inner = self.slot.lock();
        if matches!(inner.state, SlotState::Pending) {
            let stale = match &inner.waker {
                Some(waker) => !waker.will_wake(cx.waker()),
                None => true,
            };
            if stale {
                inner.waker = Some(cx.waker().clone());
            }
            return std::task::Poll::Pending;
        }
        std::task::Poll::Ready(take(&mut inner.state).0)
    }
}

fn take(state: &mut SlotState) -> (Result<Outcome, NotAcknowledged>, Instant) {
    match std::mem::replace(state, SlotState::Taken) {
        SlotState::Done { result, at } => (result.map_err(|reason| NotAcknowledged { reason }), at),
        SlotState::Pending | SlotState::Taken => {
            unreachable!("a ticket is taken once, after it is resolved")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(seq: u64) -> Outcome {
        Outcome { seq, journal_seq: seq, ts_ms: 7, events: Vec::new() }
    }

    #[test]
    fn a_completed_ticket_yields_its_outcome_across_threads() {
        let (completer, ticket) = ticket();
        let waiter = std::thread::spawn(move || ticket.wait());
        completer.complete(Ok(outcome(3)), Instant::now());
        assert_eq!(waiter.join().unwrap().unwrap().seq, 3);
    }

    #[test]
    fn a_dropped_completer_resolves_as_not_acknowledged() {
        let (completer, ticket) = ticket();
        assert!(!ticket.is_ready());
        drop(completer);
        assert!(ticket.is_ready());
        assert!(matches!(ticket.wait(), Err(NotAcknowledged { reason: StopReason::Crashed(_) })));
    }

    #[test]
    fn a_ticket_is_a_future_woken_by_its_completion() {
        use std::future::Future;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::task::{Context, Poll, Wake, Waker};
        struct Count(AtomicUsize);
        impl Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&count));
        let mut cx = Context::from_waker(&waker);
        let (completer, mut ticket) = ticket();
        let mut pinned = std::pin::Pin::new(&mut ticket);
        assert!(pinned.as_mut().poll(&mut cx).is_pending());
        completer.complete(Ok(outcome(9)), Instant::now());
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        match pinned.as_mut().poll(&mut cx) {
            Poll::Ready(Ok(outcome)) => assert_eq!(outcome.seq, 9),
            other => panic!("expected the outcome, got {other:?}"),
        }
    }

    #[test]
    fn wait_timeout_hands_the_ticket_back() {
        let (completer, ticket) = ticket();
        let ticket = ticket.wait_timeout(Duration::from_millis(1)).unwrap_err();
        completer.complete(Err(StopReason::Shutdown), Instant::now());
        let (result, _) = ticket.wait_timeout(Duration::from_secs(5)).ok().unwrap();
        assert_eq!(result.unwrap_err().reason, StopReason::Shutdown);
    }
}
