//! Waiting for a slot's intended time. tokio's timer ticks in whole milliseconds and rounds
//! every deadline up to the next tick, so a request would leave up to a millisecond late —
//! and that lag is counted as latency (it is measured from the intended time).
//!
//! On Linux the lanes share one [`TimerHub`]: a single `timerfd`, polled by the same tokio
//! reactor as the sockets, armed for the earliest deadline any lane waits for. Deadlines are
//! rounded up to a grid of `resolution`, so lanes due within one grid step wake together:
//! at most `1 / resolution` wake-ups a second however high the rate, and two system calls per
//! wake-up rather than per request. Every wake-up the generator takes costs a trip through the
//! kernel's scheduler, which is what the grid bounds. Resolutions of a millisecond and more,
//! other systems, or a timerfd that cannot be created use tokio's timer instead.

#[cfg(target_os = "linux")]
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Resolutions from this one up use tokio's own (millisecond) timer.
const TOKIO_TIMER_FROM: Duration = Duration::from_millis(1);

/// The grid `epoch + k·resolution` that deadlines are rounded up to.
#[derive(Clone, Copy, Debug)]
struct Grid {
    epoch: Instant,
    resolution_ns: u64,
}

impl Grid {
    /// The grid index at or after `deadline`.
    fn tick_at_or_after(&self, deadline: Instant) -> u64 {
        (deadline.saturating_duration_since(self.epoch).as_nanos() as u64).div_ceil(self.resolution_ns)
    }

    /// The last grid index at or before `now`: every tick up to it is due.
    #[cfg(target_os = "linux")]
    fn tick_at_or_before(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_nanos() as u64 / self.resolution_ns
    }

    fn instant(&self, tick: u64) -> Instant {
        self.epoch + Duration::from_nanos(tick.saturating_mul(self.resolution_ns))
    }
}

/// The run's shared timer. Create it inside the runtime, hand a [`LaneTimer`] to each lane.
pub struct TimerHub {
    grid: Grid,
    #[cfg(target_os = "linux")]
    precise: Option<Arc<linux::Shared>>,
}

impl TimerHub {
    /// A hub waking on the grid `epoch + k·resolution`. Must be called within a tokio runtime:
    /// the precise hub spawns the task that waits on its timerfd (it ends with the hub).
    pub fn new(epoch: Instant, resolution: Duration) -> TimerHub {
        let grid = Grid { epoch, resolution_ns: (resolution.as_nanos() as u64).max(1) };
        TimerHub {
            grid,
            #[cfg(target_os = "linux")]
            precise: if resolution < TOKIO_TIMER_FROM { linux::Shared::start(grid).ok() } else { None },
        }
    }

    /// The timer of one lane.
    pub fn lane(&self) -> LaneTimer {
        #[cfg(target_os = "linux")]
        if let Some(shared) = &self.precise {
            return LaneTimer { grid: self.grid, precise: Some((Arc::clone(shared), shared.new_lane())) };
        }
        LaneTimer {
            grid: self.grid,
            #[cfg(target_os = "linux")]
            precise: None,
        }
    }
}

#[cfg(target_os = "linux")]
impl Drop for TimerHub {
    fn drop(&mut self) {
        if let Some(shared) = &self.precise {
            shared.stop();
        }
    }
}

/// One lane's handle on the hub.
pub struct LaneTimer {
    grid: Grid,
    #[cfg(target_os = "linux")]
    precise: Option<(Arc<linux::Shared>, usize)>,
}

impl LaneTimer {
    /// Returns at `deadline` rounded up to the grid (at once if that has passed).
    pub async fn sleep_until(&mut self, deadline: Instant) {
        let tick = self.grid.tick_at_or_after(deadline);
        let deadline = self.grid.instant(tick);
        if deadline <= Instant::now() {
            return;
        }
        #[cfg(target_os = "linux")]
        if let Some((shared, lane)) = &self.precise {
            if shared.wait(*lane, tick, deadline).await {
                return;
            }
        }
        tokio::time::sleep_until(deadline.into()).await;
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::Grid;
    use std::collections::BTreeMap;
    use std::future::poll_fn;
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Poll, Waker};
    use std::time::Instant;
    use tokio::io::unix::AsyncFd;
    use tokio::sync::Notify;

    #[derive(Default)]
    struct State {
        /// Grid tick → lanes waiting for it.
        due: BTreeMap<u64, Vec<usize>>,
        /// Per lane: the tick it waits for, and the waker to call then.
        waiting: Vec<Option<(u64, Waker)>>,
        /// The tick the timerfd is armed for.
        armed: Option<u64>,
    }

    pub struct Shared {
        grid: Grid,
        fd: AsyncFd<OwnedFd>,
        // Held for a few map operations per wait and per fire; uncontended on one thread.
        state: Mutex<State>,
        broken: AtomicBool,
        stop: Notify,
    }

    fn timerfd() -> io::Result<AsyncFd<OwnedFd>> {
        // SAFETY: timerfd_create takes no pointers; a non-negative result is a new descriptor
        // that nothing else owns.
        let raw = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor owned by no one else (see above).
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: the OwnedFd keeps the descriptor open, unchanged, for the AsyncFd's life.
        Ok(unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }?)
    }

    impl Shared {
        pub fn start(grid: Grid) -> io::Result<Arc<Shared>> {
            let shared = Arc::new(Shared { grid, fd: timerfd()?, state: Mutex::default(), broken: AtomicBool::new(false), stop: Notify::new() });
            let task = Arc::clone(&shared);
            tokio::spawn(async move {
                tokio::select! {
                    _ = task.stop.notified() => {}
                    _ = task.fire_forever() => {}
                }
            });
            Ok(shared)
        }

        pub fn stop(&self) {
            self.stop.notify_one();
        }

        pub fn new_lane(&self) -> usize {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.waiting.push(None);
            state.waiting.len() - 1
        }

        /// Waits for `tick` (whose instant is `deadline`). False if the timerfd failed, so the
        /// caller falls back to tokio's timer.
        pub async fn wait(&self, lane: usize, tick: u64, deadline: Instant) -> bool {
            let mut registered = false;
            let done = poll_fn(|cx| {
                if self.broken.load(Ordering::Relaxed) {
                    return Poll::Ready(false);
                }
                if Instant::now() >= deadline {
                    return Poll::Ready(true);
                }
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                match &mut state.waiting[lane] {
                    // Polled again (the lane shares its task with its connection): refresh
                    // the waker only.
                    Some((t, waker)) if *t == tick && registered => waker.clone_from(cx.waker()),
                    slot => {
                        *slot = Some((tick, cx.waker().clone()));
                        state.due.entry(tick).or_default().push(lane);
                        registered = true;
                        if state.armed.is_none_or(|armed| tick < armed) && self.arm(tick).is_ok() {
                            state.armed = Some(tick);
                        }
                    }
                }
                Poll::Pending
            });
            let woke = done.await;
            // Leave no registration behind (the deadline may have passed before the fire).
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if registered && state.waiting[lane].as_ref().is_some_and(|(t, _)| *t == tick) {
                state.waiting[lane] = None;
                if let Some(lanes) = state.due.get_mut(&tick) {
                    lanes.retain(|&l| l != lane);
                    if lanes.is_empty() {
                        state.due.remove(&tick);
                    }
                }
            }
            woke
        }

        /// Arms the timerfd to fire at `tick`.
        fn arm(&self, tick: u64) -> io::Result<()> {
            let after = self.grid.instant(tick).saturating_duration_since(Instant::now());
            let spec = libc::itimerspec {
                it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
                // A zero it_value would disarm the timer instead of firing it.
                it_value: libc::timespec { tv_sec: after.as_secs() as libc::time_t, tv_nsec: after.subsec_nanos().max(1) as libc::c_long },
            };
            // SAFETY: the descriptor is our timerfd; `spec` outlives the call; no old value asked.
            if unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }

        /// Waits for each fire, wakes every lane whose tick has come, re-arms for the next.
        async fn fire_forever(&self) {
            loop {
                let fired = match self.fd.readable().await {
                    Ok(mut guard) => match guard.try_io(|inner| {
                        let mut expirations = [0u8; 8];
                        // SAFETY: reads at most 8 bytes into an 8-byte buffer.
                        let n = unsafe { libc::read(inner.as_raw_fd(), expirations.as_mut_ptr().cast(), expirations.len()) };
                        if n < 0 {
                            Err(io::Error::last_os_error())
                        } else {
                            Ok(())
                        }
                    }) {
                        Ok(result) => result,
                        // Readiness was stale: wait again.
                        Err(_would_block) => continue,
                    },
                    Err(e) => Err(e),
                };
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if fired.is_err() {
                    // Every waiter falls back to tokio's timer from now on.
                    self.broken.store(true, Ordering::Relaxed);
                    for (_, waker) in state.waiting.iter_mut().filter_map(Option::take) {
                        waker.wake();
                    }
                    return;
                }
                let now_tick = self.grid.tick_at_or_before(Instant::now());
                let later = state.due.split_off(&(now_tick + 1));
                let due = std::mem::replace(&mut state.due, later);
                for (tick, lanes) in due {
                    for lane in lanes {
                        if state.waiting[lane].as_ref().is_some_and(|(t, _)| *t == tick) {
                            if let Some((_, waker)) = state.waiting[lane].take() {
                                waker.wake();
                            }
                        }
                    }
                }
                state.armed = None;
                if let Some(&next) = state.due.keys().next() {
                    if self.arm(next).is_ok() {
                        state.armed = Some(next);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_to_the_grid() {
        let epoch = Instant::now();
        let grid = Grid { epoch, resolution_ns: 100_000 };
        let at = |ns: u64| grid.instant(grid.tick_at_or_after(epoch + Duration::from_nanos(ns)));
        assert_eq!(at(0), epoch);
        assert_eq!(at(1), epoch + Duration::from_micros(100));
        assert_eq!(at(100_000), epoch + Duration::from_micros(100));
        assert_eq!(at(250_000), epoch + Duration::from_micros(300));
    }

    async fn lanes_wake_at_their_deadlines(resolution: Duration) {
        let hub = TimerHub::new(Instant::now(), resolution);
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..8u64 {
            let mut timer = hub.lane();
            tasks.spawn(async move {
                for step in 1..=10u64 {
                    let deadline = start + Duration::from_micros(137 * step + 11 * i);
                    timer.sleep_until(deadline).await;
                    assert!(Instant::now() >= deadline);
                }
                // A deadline in the past returns at once.
                timer.sleep_until(Instant::now() - Duration::from_millis(1)).await;
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
    }

    #[tokio::test]
    async fn the_precise_hub_wakes_lanes_at_or_after_their_deadlines() {
        lanes_wake_at_their_deadlines(Duration::from_micros(50)).await;
    }

    #[tokio::test]
    async fn the_tokio_fallback_wakes_lanes_at_or_after_their_deadlines() {
        lanes_wake_at_their_deadlines(Duration::from_millis(1)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lanes_on_several_threads_all_wake() {
        lanes_wake_at_their_deadlines(Duration::from_micros(100)).await;
    }
}
