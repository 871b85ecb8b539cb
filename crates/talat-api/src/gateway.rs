//! The gateway's shared state and the steps every request shares: authenticate, rate-limit,
//! resolve a symbol, admit and submit a command, wait for its outcome and for the read models.

use crate::auth::{sign, ApiKey, KeyRing, MasterKey};
use crate::config::ApiConfig;
use crate::error::ApiError;
use crate::limits::{Caller, Endpoint, RateLimits};
use crate::read::{MarketInfo, MarketState, ReadModel};
use axum::http::HeaderMap;
use parking_lot::RwLock;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use talat_core::money::pow10;
use talat_core::{Command, Event};
use talat_sequencer::{Lane, Outcome, SequencerHandle, SubmitError};

pub struct Gateway {
    pub config: ApiConfig,
    pub sequencer: SequencerHandle,
    pub read: Arc<ReadModel>,
    /// The query store (history, closed orders, candles, API keys) and its projector.
    pub store: Option<talat_store::Store>,
    pub projector: Option<talat_store::ProjectorHandle>,
    pub keys: KeyRing,
    pub master: MasterKey,
    pub limits: RateLimits,
    pub inflight_places: AtomicUsize,
    /// The exchange-wide new-order budget (`max_new_orders_per_s`), if set.
    pub new_order_budget: Option<governor::DefaultDirectRateLimiter>,
    pub ws_connections: AtomicUsize,
    /// Open WebSocket connections per peer IP (entries removed at zero).
    pub ws_per_ip: parking_lot::Mutex<rustc_hash::FxHashMap<std::net::IpAddr, usize>>,
    pub private_ws_per_key: parking_lot::Mutex<rustc_hash::FxHashMap<String, usize>>,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Upload-sized bodies being read (`max_concurrent_uploads` permits).
    pub upload_permits: tokio::sync::Semaphore,
    /// Wall clock for servertime and timestamp checks (ms).
    pub clock: Arc<dyn Fn() -> u64 + Send + Sync>,
}

pub type AppState = Arc<Gateway>;

/// A market resolved from a request, with the scales to read and print its numbers.
#[derive(Clone)]
pub struct MarketRef {
    pub state: Arc<RwLock<MarketState>>,
    pub info: Arc<MarketInfo>,
}

impl MarketRef {
    /// Quote units of `qty` base units at `price`: price × qty / 10^(price_scale + base_scale −
    /// quote_scale), floored.
    pub fn notional_floor(&self, price: u64, qty: u64) -> u128 {
        (price as u128 * qty as u128) / self.divisor()
    }

    pub fn divisor(&self) -> u128 {
        let exp = self.info.spec.price_scale as i32 + self.info.base_scale as i32 - self.info.quote_scale as i32;
        pow10(exp.max(0) as u32).expect("scales are small")
    }
}

impl Gateway {
    pub fn now_ms(&self) -> u64 {
        (self.clock)()
    }

    /// Checks the signed headers (§7.2) and the key's address list; returns the key.
    pub fn authenticate(&self, headers: &HeaderMap, method: &str, target: &str, body: &[u8], ip: IpAddr) -> Result<Arc<ApiKey>, ApiError> {
        let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or(""));
        let api_key = header("x-btk-apikey").filter(|k| !k.is_empty()).ok_or_else(ApiError::missing_api_key)?;
        let timestamp = header("x-btk-timestamp").filter(|t| !t.is_empty()).ok_or_else(ApiError::missing_timestamp)?;
        let signature = header("x-btk-sign").filter(|s| !s.is_empty()).ok_or_else(ApiError::invalid_signature)?;
        let key = self.keys.get(api_key).ok_or_else(ApiError::invalid_api_key)?;
        if !key.ip_allowed(ip) {
            return Err(ApiError::ip_not_allowed());
        }
        self.check_timestamp(timestamp)?;
        if !sign::verify(key.secret(), timestamp, method, target, body, signature) {
            metrics::counter!("talat_api_bad_signatures_total").increment(1);
            return Err(ApiError::invalid_signature());
        }
        Ok(key)
    }

    pub fn check_timestamp(&self, timestamp: &str) -> Result<(), ApiError> {
        let ts_ms: u64 = timestamp.parse().map_err(|_| ApiError::invalid_timestamp("invalid timestamp: expected Unix milliseconds"))?;
        let now_ms = self.now_ms();
        let window_ms = self.config.timestamp_window_ms;
        if ts_ms.abs_diff(now_ms) > window_ms {
            return Err(ApiError::invalid_timestamp(format!(
                "invalid timestamp: {ts_ms} is more than {window_ms} ms from the server time {now_ms} (use /api/v3/servertime)"
            )));
        }
        Ok(())
    }

    pub fn limit(&self, caller: Caller, endpoint: Endpoint) -> Result<(), ApiError> {
        self.limits.check(caller, endpoint)
    }

    /// Resolves `BASE_QUOTE` (any case); with `either_order`, `QUOTE_BASE` too (cancel-order,
    /// and the SDKs that still send the old order).
    pub fn market(&self, symbol: &str, either_order: bool) -> Result<MarketRef, ApiError> {
        let found = self.read.market_by_symbol(symbol).or_else(|| {
            if !either_order {
                return None;
            }
            let (a, b) = symbol.split_once('_')?;
            self.read.market_by_symbol(&format!("{b}_{a}"))
        });
        let state = found.ok_or_else(ApiError::invalid_symbol)?;
        let info = Arc::clone(&state.read().info);
        Ok(MarketRef { state, info })
    }

    /// Submits a command that creates exposure (a new order): shed at once when the place lane
    /// is past its high-water mark or this gateway has too many in flight.
    pub async fn submit_place(&self, command: Command) -> Result<Outcome, ApiError> {
        let depth = self.sequencer.lane_depths()[Lane::Place.index()];
        if depth >= self.config.place_high_water {
            metrics::counter!("talat_api_shed_total", "reason" => "lane").increment(1);
            return Err(ApiError::system_busy(self.config.busy_retry_after_s));
        }
        let inflight = self.inflight_places.fetch_add(1, Ordering::AcqRel);
        let _guard = InflightGuard(&self.inflight_places);
        if inflight >= self.config.max_inflight_places {
            metrics::counter!("talat_api_shed_total", "reason" => "inflight").increment(1);
            return Err(ApiError::system_busy(self.config.busy_retry_after_s));
        }
        self.submit(command, Lane::Place).await
    }

    /// Spends one unit of the exchange-wide new-order budget, or sheds the request. Checked
    /// before the request is even authenticated (`routes::ops::admit_new_order`), so a shed
    /// order costs as little as possible while the exchange is over capacity.
    pub fn admit_new_order(&self) -> Result<(), ApiError> {
        if let Some(budget) = &self.new_order_budget {
            if budget.check().is_err() {
                metrics::counter!("talat_api_shed_total", "reason" => "capacity").increment(1);
                return Err(ApiError::system_busy(self.config.busy_retry_after_s));
            }
        }
        let depth = self.sequencer.lane_depths()[Lane::Place.index()];
        if depth >= self.config.place_high_water || self.inflight_places.load(Ordering::Relaxed) >= self.config.max_inflight_places {
            metrics::counter!("talat_api_shed_total", "reason" => "early").increment(1);
            return Err(ApiError::system_busy(self.config.busy_retry_after_s));
        }
        Ok(())
    }

    /// Submits to the command's lane and waits until it is durable, executed and visible in the
    /// read models.
    pub async fn submit(&self, command: Command, lane: Lane) -> Result<Outcome, ApiError> {
        let ticket = match self.sequencer.submit(command, lane) {
            Ok(ticket) => ticket,
            Err(SubmitError::Busy { .. }) => {
                metrics::counter!("talat_api_shed_total", "reason" => "lane_full").increment(1);
                return Err(ApiError::system_busy(self.config.busy_retry_after_s));
            }
            Err(SubmitError::TooLarge { .. }) => return Err(ApiError::invalid_parameter("command too large")),
            Err(other) => return Err(ApiError::unavailable(other)),
        };
        let outcome = ticket.await.map_err(ApiError::unavailable)?;
        self.read.wait_for_seq(outcome.seq).await;
        Ok(outcome)
    }
}

impl Gateway {
    /// The store, caught up to at least what the read models show (so a client that saw its
    /// order acknowledged finds it in history). Errors if there is no store or it stopped.
    pub async fn store_at_read_seq(&self) -> Result<&talat_store::Store, ApiError> {
        let (Some(store), Some(projector)) = (&self.store, &self.projector) else {
            return Err(ApiError::unavailable("the query store is not configured"));
        };
        let seq = self.read.applied_seq();
        let waited = tokio::time::timeout(std::time::Duration::from_secs(5), projector.wait_for(seq)).await;
        match waited {
            Ok(Ok(())) => Ok(store),
            Ok(Err(e)) => Err(ApiError::unavailable(format!("the query store stopped: {e}"))),
            Err(_) => Err(ApiError::unavailable("the query store is behind; retry shortly")),
        }
    }
}

struct InflightGuard<'a>(&'a AtomicUsize);

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The engine's refusal of an outcome, if it refused.
pub fn rejection(outcome: &Outcome) -> Option<ApiError> {
    outcome.events.iter().find_map(|e| match e {
        Event::Rejected { reason } => Some(ApiError::rejected(*reason)),
        _ => None,
    })
}
