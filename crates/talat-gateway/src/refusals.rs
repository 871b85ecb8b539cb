//! The durable log of customers' refused and failed requests: the evidence outage compensation
//! finds its affected customers from (talat-compensation, the web console's compensation page).
//!
//! It must never slow the order path in the very surge it records. A request thread only
//! offers the row to a bounded in-memory queue ([`RefusalLog::record`]: `try_send`, never a
//! wait); when the queue is full the row is dropped and counted (`talat_refusals_dropped_total`,
//! a warning at most every 10 s). One writer task ([`RefusalLog::spawn_writer`]) drains it in
//! batches of up to [`WRITE_BATCH`] into the store, keeps at most [`MAX_ROWS_PER_USER_MINUTE`]
//! rows per customer per minute (the rest are counted in `refused_overflow`, so a client
//! retrying in a loop cannot grow the table without bound) and prunes rows older than
//! [`RETENTION_MS`].
//!
//! What is recorded: refusals that say the exchange could not serve the customer — shed or
//! unavailable (error 90), the market's mode (55: halted, cancel-only, post-only,
//! maintenance) and server errors (HTTP 5xx). The customer's own errors (authentication,
//! parameters, balance, rate limits) are not evidence of an outage and are not kept.
//!
//! Attribution: a new order is shed before its signature is checked (the admission layer runs
//! first, so shedding stays cheap), so its user is read from the `X-BTK-APIKEY` header alone
//! and the row is marked `verified = false`; a request whose signature (or web session) was
//! checked is `verified = true`. The compensation policy decides whether unverified rows count.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use talat_store::{RefusedRow, Store};
use tokio::sync::mpsc;

/// Rows waiting for the writer; past this, rows are dropped and counted.
pub const QUEUE_CAPACITY: usize = 16_384;
/// Rows per store transaction.
pub const WRITE_BATCH: usize = 1_000;
/// Rows kept per customer per minute; the rest are counted.
pub const MAX_ROWS_PER_USER_MINUTE: u32 = 20;
/// (customer, minute) counters the writer remembers; past this it forgets them all (a few
/// more rows may then be kept in that minute: the bound is per writer memory, not exact).
const MAX_TRACKED_MINUTES: usize = 200_000;
/// How long rows are kept: 90 days.
pub const RETENTION_MS: u64 = 90 * 24 * 3_600_000;
/// How often the writer prunes, and rows per prune statement (at most 20 statements a run).
const PRUNE_EVERY_MS: u64 = 3_600_000;
const PRUNE_BATCH: i64 = 10_000;
/// Longest text kept from a request's own fields (symbol, amount, rate, endpoint).
const MAX_FIELD_BYTES: usize = 64;

/// Put in a request's extensions by the layer that records refusals; the signed-request
/// extractor fills it with the user once the signature checked out, so the layer knows the
/// attribution is verified.
#[derive(Clone, Default)]
pub struct VerifiedUser(pub Arc<std::sync::OnceLock<u64>>);

/// Whether a refusal with this Bitkub code and HTTP status is evidence of an outage.
pub fn is_evidence(code: u16, http_status: u16) -> bool {
    code == 90 || code == 55 || http_status >= 500
}

/// Cuts `text` to [`MAX_FIELD_BYTES`] on a character boundary.
pub fn field(text: &str) -> String {
    let mut end = text.len().min(MAX_FIELD_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

pub struct RefusalLog {
    tx: mpsc::Sender<RefusedRow>,
    rx: parking_lot::Mutex<Option<mpsc::Receiver<RefusedRow>>>,
    dropped: AtomicU64,
    last_warned_ms: AtomicU64,
}

impl Default for RefusalLog {
    fn default() -> Self {
        RefusalLog::new(QUEUE_CAPACITY)
    }
}

impl RefusalLog {
    pub fn new(capacity: usize) -> RefusalLog {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        RefusalLog { tx, rx: parking_lot::Mutex::new(Some(rx)), dropped: AtomicU64::new(0), last_warned_ms: AtomicU64::new(0) }
    }

    /// Offers a row to the writer without waiting: dropped and counted if the queue is full.
    pub fn record(&self, mut row: RefusedRow) {
        row.endpoint = field(&row.endpoint);
        match self.tx.try_send(row) {
            Ok(()) => metrics::counter!("talat_refusals_logged_total").increment(1),
            Err(mpsc::error::TrySendError::Full(row)) | Err(mpsc::error::TrySendError::Closed(row)) => {
                let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                metrics::counter!("talat_refusals_dropped_total").increment(1);
                let last = self.last_warned_ms.load(Ordering::Relaxed);
                if row.ts_ms >= last + 10_000 && self.last_warned_ms.compare_exchange(last, row.ts_ms, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
                    tracing::warn!("refusal log: queue full, {n} rows dropped so far (the store writer is behind)");
                }
            }
        }
    }

    /// Rows dropped because the queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Starts the writer (once: later calls return `None`). It ends when the log is dropped.
    pub fn spawn_writer(&self, store: Store, clock: Arc<dyn Fn() -> u64 + Send + Sync>) -> Option<tokio::task::JoinHandle<()>> {
        let rx = self.rx.lock().take()?;
        Some(tokio::spawn(run_writer(rx, store, clock)))
    }
}

/// Per (customer, minute): how many rows were kept; decides keep or count.
#[derive(Default)]
struct MinuteBudget {
    kept: HashMap<(u64, u64), u32>,
}

impl MinuteBudget {
    /// Splits `batch` into rows to keep and (user, minute, dropped) counts.
    fn split(&mut self, batch: Vec<RefusedRow>) -> (Vec<RefusedRow>, Vec<(u64, u64, u64)>) {
        if self.kept.len() > MAX_TRACKED_MINUTES {
            self.kept.clear();
        }
        if let Some(newest) = batch.iter().map(|r| r.ts_ms / 60_000).max() {
            // Minutes before the previous one will not be written again (rows arrive in rough
            // time order): forget them.
            self.kept.retain(|(_, minute), _| *minute + 1 >= newest);
        }
        let (mut keep, mut over) = (Vec::new(), HashMap::<(u64, u64), u64>::new());
        for row in batch {
            let key = (row.user, row.ts_ms / 60_000);
            let kept = self.kept.entry(key).or_default();
            if *kept < MAX_ROWS_PER_USER_MINUTE {
                *kept += 1;
                keep.push(row);
            } else {
                *over.entry(key).or_default() += 1;
            }
        }
        let mut over: Vec<(u64, u64, u64)> = over.into_iter().map(|((u, m), n)| (u, m, n)).collect();
        over.sort_unstable();
        (keep, over)
    }
}

async fn run_writer(mut rx: mpsc::Receiver<RefusedRow>, store: Store, clock: Arc<dyn Fn() -> u64 + Send + Sync>) {
    let mut budget = MinuteBudget::default();
    let mut next_prune_ms = 0u64;
    let mut buffer = Vec::with_capacity(WRITE_BATCH);
    loop {
        buffer.clear();
        if rx.recv_many(&mut buffer, WRITE_BATCH).await == 0 {
            break;
        }
        let (keep, over) = budget.split(std::mem::take(&mut buffer));
        if let Err(e) = store.record_refusals(&keep, &over).await {
            metrics::counter!("talat_refusals_dropped_total").increment(keep.len() as u64);
            tracing::warn!("refusal log: writing {} rows failed: {e}", keep.len());
        }
        let now = clock();
        if now >= next_prune_ms {
            next_prune_ms = now + PRUNE_EVERY_MS;
            prune(&store, now.saturating_sub(RETENTION_MS)).await;
        }
    }
}

async fn prune(store: &Store, before_ms: u64) {
    for _ in 0..20 {
        match store.prune_refusals(before_ms, PRUNE_BATCH).await {
            Ok(n) if n < PRUNE_BATCH as u64 => break,
            Ok(_) => tokio::task::yield_now().await,
            Err(e) => {
                tracing::warn!("refusal log: pruning failed: {e}");
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(user: u64, ts_ms: u64) -> RefusedRow {
        RefusedRow {
            id: 0,
            user,
            verified: true,
            ts_ms,
            kind: "place".into(),
            endpoint: "/x".into(),
            http_status: 503,
            code: 90,
            symbol: None,
            side: None,
            amount: None,
            rate: None,
        }
    }

    #[test]
    fn a_customer_minute_keeps_its_first_rows_and_counts_the_rest() {
        let mut budget = MinuteBudget::default();
        let batch: Vec<RefusedRow> = (0..30).map(|i| row(7, 60_000 + i)).chain([row(8, 60_000)]).collect();
        let (keep, over) = budget.split(batch);
        assert_eq!(keep.len(), MAX_ROWS_PER_USER_MINUTE as usize + 1);
        assert_eq!(over, vec![(7, 1, 10)]);
        // The next batch in the same minute: nothing more is kept for user 7.
        let (keep, over) = budget.split(vec![row(7, 61_000), row(7, 120_000)]);
        assert_eq!(keep.iter().map(|r| r.ts_ms).collect::<Vec<_>>(), vec![120_000]);
        assert_eq!(over, vec![(7, 1, 1)]);
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_without_waiting() {
        let log = RefusalLog::new(2);
        for i in 0..5 {
            log.record(row(1, i));
        }
        assert_eq!(log.dropped(), 3);
    }

    #[test]
    fn evidence_is_outage_codes_and_server_errors() {
        assert!(is_evidence(90, 503) && is_evidence(55, 200) && is_evidence(0, 500));
        assert!(!is_evidence(18, 200) && !is_evidence(30, 429) && !is_evidence(6, 200));
        assert_eq!(field(&"é".repeat(40)).len(), 64);
    }
}
