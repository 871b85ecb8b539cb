//! What the status page measures that only the gateway sees: how many new orders were shed
//! against how many were admitted recently, and each background watcher's last sign of life.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// The shed rate is read over the last full window and the current one.
pub const WINDOW_MS: u64 = 60_000;
/// Most watchers remembered (one per network and direction).
pub const WATCHERS_MAX: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Beat {
    pub last_ok_ms: u64,
    pub interval_ms: u64,
    pub stopped: bool,
}

#[derive(Default)]
struct Window {
    start_ms: u64,
    shed_at_start: u64,
    admitted_at_start: u64,
    previous: (u64, u64),
}

#[derive(Default)]
pub struct Health {
    shed: AtomicU64,
    admitted: AtomicU64,
    window: Mutex<Window>,
    beats: Mutex<BTreeMap<String, Beat>>,
}

impl Health {
    pub fn count_shed(&self) {
        self.shed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_admitted(&self) {
        self.admitted.fetch_add(1, Ordering::Relaxed);
    }

    /// (shed, admitted) over the previous full window plus the current partial one.
    pub fn recent(&self, now_ms: u64) -> (u64, u64) {
        let (shed, admitted) = (self.shed.load(Ordering::Relaxed), self.admitted.load(Ordering::Relaxed));
        let mut w = self.window.lock();
        if now_ms.saturating_sub(w.start_ms) >= WINDOW_MS {
            // A window with no look in it counts as quiet rather than as the whole gap.
            w.previous = if now_ms - w.start_ms < 2 * WINDOW_MS { (shed - w.shed_at_start, admitted - w.admitted_at_start) } else { (0, 0) };
            (w.start_ms, w.shed_at_start, w.admitted_at_start) = (now_ms, shed, admitted);
        }
        (w.previous.0 + shed - w.shed_at_start, w.previous.1 + admitted - w.admitted_at_start)
    }

    /// A watcher finished a look without error.
    pub fn beat(&self, component: &str, interval_ms: u64, now_ms: u64) {
        let mut beats = self.beats.lock();
        if beats.len() < WATCHERS_MAX || beats.contains_key(component) {
            beats.insert(component.to_string(), Beat { last_ok_ms: now_ms, interval_ms, stopped: false });
        }
    }

    /// A watcher stopped and will not look again by itself.
    pub fn stopped(&self, component: &str) {
        if let Some(b) = self.beats.lock().get_mut(component) {
            b.stopped = true;
        }
    }

    pub fn beats(&self) -> Vec<(String, Beat)> {
        self.beats.lock().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shed_rate_covers_the_last_window_and_the_current_one() {
        let h = Health::default();
        assert_eq!(h.recent(1_000), (0, 0));
        h.count_shed();
        h.count_admitted();
        h.count_admitted();
        assert_eq!(h.recent(30_000), (1, 2));
        h.count_shed();
        assert_eq!(h.recent(61_000), (2, 2), "the window rolled: the previous one still counts");
        assert_eq!(h.recent(121_500), (0, 0), "two quiet windows later nothing is recent");
    }

    #[test]
    fn beats_and_stops() {
        let h = Health::default();
        h.beat("deposits-thb", 1_000, 5);
        h.stopped("deposits-thb");
        h.stopped("unknown");
        assert_eq!(h.beats(), vec![("deposits-thb".to_string(), Beat { last_ok_ms: 5, interval_ms: 1_000, stopped: true })]);
    }
}
