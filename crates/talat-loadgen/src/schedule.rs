//! The open-loop timeline. Request `k` of the run is due at `k / rate` seconds after the start,
//! whatever happened to earlier requests; latency is measured from that *intended* time, so a
//! slow server shows up as latency instead of silently lowering the rate (no coordinated
//! omission).
//!
//! Connection `c` of `C` owns every slot `k ≡ c (mod C)` — one request in flight per
//! connection, as HTTP/1.1 without pipelining allows. When a connection falls behind, its due
//! but unsent slots are the backlog; it is bounded, and the oldest slots beyond the bound are
//! dropped and counted as "not sent (generator backlog)" instead of being queued, so memory
//! and the catch-up burst stay bounded however slow the server gets.

/// Requests on the schedule of `rate_per_s` for `duration_s`.
pub fn total_slots(rate_per_s: f64, duration_s: f64) -> u64 {
    (rate_per_s * duration_s).floor() as u64
}

/// One connection's share of the timeline.
#[derive(Clone, Debug)]
pub struct Lane {
    ns_per_slot: f64,
    slots_per_ns: f64,
    total_slots: u64,
    stride: u64,
    lane: u64,
    /// The next of this lane's slots, counted within the lane (global slot = j·stride + lane).
    next_j: u64,
    backlog_bound: u64,
}

/// What a lane does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Send global slot `slot`, intended at `intended_ns` after the start.
    Send { slot: u64, intended_ns: u64 },
    /// Nothing due before `until_ns`.
    Wait { until_ns: u64 },
    /// Every slot of the lane is sent or dropped.
    Done,
}

impl Lane {
    /// Lane `lane` of `lanes`; `backlog_bound` ≥ 1 is this lane's share of the total bound.
    pub fn new(rate_per_s: f64, total_slots: u64, lanes: u64, lane: u64, backlog_bound: u64) -> Lane {
        assert!(lane < lanes && rate_per_s > 0.0);
        Lane { ns_per_slot: 1e9 / rate_per_s, slots_per_ns: rate_per_s / 1e9, total_slots, stride: lanes, lane, next_j: 0, backlog_bound: backlog_bound.max(1) }
    }

    /// Intended time of global slot `slot`, in ns after the start.
    pub fn slot_ns(&self, slot: u64) -> u64 {
        (slot as f64 * self.ns_per_slot) as u64
    }

    /// This lane's slots due by `elapsed_ns` (intended time ≤ elapsed), sent or not.
    fn due(&self, elapsed_ns: u64) -> u64 {
        // Global slots 0..=floor(elapsed·rate) are due; the float estimate is corrected by
        // the exact slot times so that `due` agrees with `slot_ns` at the boundaries.
        let mut global = ((elapsed_ns as f64 * self.slots_per_ns) as u64).saturating_add(1);
        while global > 0 && self.slot_ns(global - 1) > elapsed_ns {
            global -= 1;
        }
        while global < self.total_slots && self.slot_ns(global) <= elapsed_ns {
            global += 1;
        }
        let global = global.min(self.total_slots);
        if global > self.lane {
            (global - self.lane - 1) / self.stride + 1
        } else {
            0
        }
    }

    /// The lane's next step at `elapsed_ns`, and how many due slots it dropped to keep the
    /// backlog within its bound.
    pub fn next(&mut self, elapsed_ns: u64) -> (Next, u64) {
        let slot = self.next_j * self.stride + self.lane;
        if slot >= self.total_slots {
            return (Next::Done, 0);
        }
        let intended_ns = self.slot_ns(slot);
        if intended_ns > elapsed_ns {
            return (Next::Wait { until_ns: intended_ns }, 0);
        }
        let pending = self.due(elapsed_ns).saturating_sub(self.next_j);
        // Drop the oldest: the newest `backlog_bound` due slots are still sent, late, and
        // their latency counts from their intended times.
        let dropped = pending.saturating_sub(self.backlog_bound);
        self.next_j += dropped;
        let slot = self.next_j * self.stride + self.lane;
        self.next_j += 1;
        (Next::Send { slot, intended_ns: self.slot_ns(slot) }, dropped)
    }

    /// Drops every slot due by `elapsed_ns` (no connection to send them on); returns how many.
    pub fn drop_due(&mut self, elapsed_ns: u64) -> u64 {
        let dropped = self.due(elapsed_ns).saturating_sub(self.next_j);
        self.next_j += dropped;
        dropped
    }

    /// Drops every slot not yet sent (the run is over); returns how many.
    pub fn drop_remaining(&mut self) -> u64 {
        let dropped = self.remaining();
        self.next_j += dropped;
        dropped
    }

    /// Slots not yet sent or dropped.
    pub fn remaining(&self) -> u64 {
        let slot = self.next_j * self.stride + self.lane;
        if slot >= self.total_slots {
            0
        } else {
            (self.total_slots - slot - 1) / self.stride + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_partition_the_timeline() {
        // 1000/s for 1 s over 3 lanes: every slot once, at k ms, each on its lane.
        let mut seen = Vec::new();
        for lane in 0..3 {
            let mut l = Lane::new(1_000.0, 1_000, 3, lane, 100);
            let mut now = 0;
            loop {
                match l.next(now) {
                    (Next::Send { slot, intended_ns }, 0) => {
                        assert_eq!(slot % 3, lane);
                        assert_eq!(intended_ns, slot * 1_000_000);
                        seen.push(slot);
                    }
                    (Next::Wait { until_ns }, 0) => now = until_ns,
                    (Next::Done, 0) => break,
                    other => panic!("dropped on time: {other:?}"),
                }
            }
            assert_eq!(l.remaining(), 0);
        }
        seen.sort();
        assert_eq!(seen, (0..1_000).collect::<Vec<_>>());
    }

    #[test]
    fn waits_until_the_next_slot_is_due() {
        let mut l = Lane::new(100.0, 10, 2, 1, 5);
        // Lane 1 owns slots 1, 3, 5, …: slot 1 is due at 10 ms.
        assert_eq!(l.next(0), (Next::Wait { until_ns: 10_000_000 }, 0));
        assert_eq!(l.next(10_000_000), (Next::Send { slot: 1, intended_ns: 10_000_000 }, 0));
        assert_eq!(l.remaining(), 4);
    }

    #[test]
    fn backlog_is_bounded_by_dropping_the_oldest() {
        // 1000/s, one lane, bound 10. At 500 ms, 501 slots are due and none sent: 491 are
        // dropped and the oldest survivor (slot 491) goes out.
        let mut l = Lane::new(1_000.0, 1_000, 1, 0, 10);
        let (next, dropped) = l.next(500_000_000);
        assert_eq!(dropped, 491);
        assert_eq!(next, Next::Send { slot: 491, intended_ns: 491_000_000 });
        // The other nine of the bound follow without further drops.
        for slot in 492..501 {
            assert_eq!(l.next(500_000_000), (Next::Send { slot, intended_ns: slot * 1_000_000 }, 0));
        }
        assert_eq!(l.next(500_000_000), (Next::Wait { until_ns: 501_000_000 }, 0));
        // Long after the end, at most the bound is sent and the rest is dropped.
        let (_, dropped) = l.next(10_000_000_000);
        assert_eq!(dropped, 499 - 10);
        assert_eq!(l.remaining(), 9);
        assert_eq!(l.drop_due(10_000_000_000), 9);
        assert_eq!(l.next(10_000_000_000), (Next::Done, 0));

        let mut l = Lane::new(1_000.0, 1_000, 4, 3, 10);
        assert_eq!(l.drop_remaining(), 250);
        assert_eq!((l.remaining(), l.next(0)), (0, (Next::Done, 0)));
    }

    #[test]
    fn sent_plus_dropped_is_the_schedule_whatever_the_lag() {
        for (lanes, bound) in [(1u64, 1u64), (4, 3), (7, 50)] {
            let mut total = 0;
            for lane in 0..lanes {
                let mut l = Lane::new(3_333.0, 10_000, lanes, lane, bound);
                let mut now = 0u64;
                loop {
                    let (next, dropped) = l.next(now);
                    total += dropped;
                    match next {
                        Next::Send { .. } => {
                            total += 1;
                            now += 2_000_000; // a slow server: 2 ms per request
                        }
                        Next::Wait { until_ns } => now = until_ns,
                        Next::Done => break,
                    }
                }
            }
            assert_eq!(total, 10_000);
        }
        assert_eq!(total_slots(3_333.0, 3.0), 9_999);
    }
}
