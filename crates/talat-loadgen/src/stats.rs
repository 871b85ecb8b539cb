//! What the run measured, recorded as answers arrive: HDR latency per endpoint, every outcome
//! counted by (endpoint, HTTP status, error code), and the acknowledged orders `--verify`
//! looks up. Live counters are atomics (the progress bar reads them); histograms and maps sit
//! behind one mutex, held for a few hundred nanoseconds per answer and uncontended on the
//! default single thread.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// The endpoints the generator calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    PlaceBid,
    PlaceAsk,
    CancelOrder,
    Balances,
    Depth,
    MyOpenOrders,
    OrderInfo,
}

impl Endpoint {
    pub const ALL: [Endpoint; 7] =
        [Endpoint::PlaceBid, Endpoint::PlaceAsk, Endpoint::CancelOrder, Endpoint::Balances, Endpoint::Depth, Endpoint::MyOpenOrders, Endpoint::OrderInfo];

    pub fn name(self) -> &'static str {
        match self {
            Endpoint::PlaceBid => "place-bid",
            Endpoint::PlaceAsk => "place-ask",
            Endpoint::CancelOrder => "cancel-order",
            Endpoint::Balances => "balances",
            Endpoint::Depth => "depth",
            Endpoint::MyOpenOrders => "my-open-orders",
            Endpoint::OrderInfo => "order-info",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// How a request ended, the key outcomes are counted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OutcomeKey {
    pub endpoint: Endpoint,
    /// 0 when no answer came (see `transport`).
    pub http_status: u16,
    /// The body's `error`; `None` when there was no answer or it carried no code.
    pub error_code: Option<i64>,
    /// Why no answer came, when none did.
    pub transport: Option<TransportError>,
}

/// A request that got no HTTP answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransportError {
    /// The connection failed while sending or reading.
    Connection,
    /// No complete answer within `--timeout-ms`.
    Timeout,
}

/// An order the server acknowledged with an id, for `--verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckedOrder {
    pub user: u32,
    pub id: u64,
    pub buy: bool,
}

/// Largest latency recorded exactly; anything slower is clamped to it (an hour).
const MAX_LATENCY_US: u64 = 3_600_000_000;

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("static histogram bounds")
}

/// Counters the progress bar reads while the run goes on.
#[derive(Debug, Default)]
pub struct Live {
    pub sent: AtomicU64,
    /// Got an HTTP answer, whatever it said.
    pub answered: AtomicU64,
    /// Answered 2xx with `error` 0.
    pub ok: AtomicU64,
    pub transport_errors: AtomicU64,
    pub not_sent_backlog: AtomicU64,
    pub not_sent_no_connection: AtomicU64,
    pub acked_places: AtomicU64,
    pub reconnects: AtomicU64,
    pub connect_failures: AtomicU64,
    /// Cancels due while the chosen user had no acknowledged open order: a place went
    /// instead, so the rate holds.
    pub cancels_replaced_by_place: AtomicU64,
    /// Places acknowledged with an id that is not a whole number: not tracked for cancels or
    /// `--verify`.
    pub acked_without_numeric_id: AtomicU64,
}

impl Live {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Relaxed);
        }
    }
}

/// Histograms, outcome counts and acknowledged orders.
pub struct Tallies {
    pub latency_us: Vec<Histogram<u64>>,
    /// Actual send time minus intended time, all endpoints: the generator's own lag (timer
    /// granularity, a busy connection, a slow generator).
    pub send_lag_us: Histogram<u64>,
    pub outcomes: BTreeMap<OutcomeKey, u64>,
    pub acked: Vec<AckedOrder>,
    /// Acknowledged orders beyond `--max-tracked-orders`.
    pub untracked: u64,
    max_tracked: usize,
}

/// The shared recorder of one phase (the run, or the verification).
pub struct Recorder {
    pub live: Live,
    pub tallies: Mutex<Tallies>,
}

impl Recorder {
    pub fn new(max_tracked_orders: u64) -> Recorder {
        Recorder {
            live: Live::default(),
            tallies: Mutex::new(Tallies {
                latency_us: Endpoint::ALL.iter().map(|_| new_histogram()).collect(),
                send_lag_us: new_histogram(),
                outcomes: BTreeMap::new(),
                acked: Vec::new(),
                untracked: 0,
                max_tracked: usize::try_from(max_tracked_orders).unwrap_or(usize::MAX),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tallies> {
        // A panicking lane must not hide what the others measured.
        self.tallies.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// One answered request.
    pub fn answered(&self, endpoint: Endpoint, http_status: u16, error_code: Option<i64>, latency_us: u64, lag_us: u64, acked: Option<AckedOrder>) {
        Live::add(&self.live.answered, 1);
        let ok = (200..300).contains(&http_status) && error_code == Some(0);
        if ok {
            Live::add(&self.live.ok, 1);
        }
        let mut t = self.lock();
        t.latency_us[endpoint.index()].saturating_record(latency_us.max(1));
        t.send_lag_us.saturating_record(lag_us.max(1));
        *t.outcomes.entry(OutcomeKey { endpoint, http_status, error_code, transport: None }).or_insert(0) += 1;
        if let Some(order) = acked {
            if t.acked.len() < t.max_tracked {
                t.acked.push(order);
            } else {
                t.untracked += 1;
            }
        }
    }

    /// One request that got no answer.
    pub fn failed(&self, endpoint: Endpoint, error: TransportError, lag_us: u64) {
        Live::add(&self.live.transport_errors, 1);
        let mut t = self.lock();
        t.send_lag_us.saturating_record(lag_us.max(1));
        *t.outcomes.entry(OutcomeKey { endpoint, http_status: 0, error_code: None, transport: Some(error) }).or_insert(0) += 1;
    }

    /// Takes the tallies out (after every lane finished).
    pub fn take(&self) -> Tallies {
        let mut t = self.lock();
        Tallies {
            latency_us: std::mem::take(&mut t.latency_us),
            send_lag_us: std::mem::replace(&mut t.send_lag_us, new_histogram()),
            outcomes: std::mem::take(&mut t.outcomes),
            acked: std::mem::take(&mut t.acked),
            untracked: t.untracked,
            max_tracked: t.max_tracked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_counted_by_endpoint_status_and_code() {
        let r = Recorder::new(1);
        r.answered(Endpoint::PlaceBid, 200, Some(0), 120, 3, Some(AckedOrder { user: 1, id: 7, buy: true }));
        r.answered(Endpoint::PlaceBid, 200, Some(0), 80, 3, Some(AckedOrder { user: 1, id: 8, buy: true }));
        r.answered(Endpoint::PlaceBid, 503, Some(90), 50, 3, None);
        r.failed(Endpoint::CancelOrder, TransportError::Timeout, 10);
        assert_eq!(Live::get(&r.live.answered), 3);
        assert_eq!(Live::get(&r.live.ok), 2);
        assert_eq!(Live::get(&r.live.transport_errors), 1);
        let t = r.take();
        assert_eq!(t.outcomes.len(), 3);
        assert_eq!(t.outcomes[&OutcomeKey { endpoint: Endpoint::PlaceBid, http_status: 200, error_code: Some(0), transport: None }], 2);
        assert_eq!(t.latency_us[Endpoint::PlaceBid.index()].len(), 3);
        assert_eq!(t.acked, vec![AckedOrder { user: 1, id: 7, buy: true }]);
        assert_eq!(t.untracked, 1, "beyond --max-tracked-orders");
    }
}
