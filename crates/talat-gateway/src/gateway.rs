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
use talat_core::{Command, Event, NewOrder, OrderId, RejectReason};
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
    pub inflight_places: Arc<AtomicUsize>,
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
    /// Signed requests seen inside the timestamp window: each works once.
    pub replays: crate::auth::replay::ReplayGuard,
    /// Deposits and withdrawals: settings and the payout rail (defaults until `install_funds`).
    pub funds_state: std::sync::OnceLock<crate::funds::Funds>,
    /// The live market-surveillance monitor, when it runs (`install_surveillance`).
    pub surveillance_state: std::sync::OnceLock<crate::surveillance::SurveillanceHandle>,
    /// The shed rate and the watchers' heartbeats, for the status page.
    pub health: crate::health::Health,
    /// Set once the gateway's own timers (the dead-man's switch) run.
    pub timers_started: std::sync::atomic::AtomicBool,
    /// Customers' refused and failed requests, queued for the store (outage evidence).
    pub refusals: crate::refusals::RefusalLog,
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

    /// The funds settings and rail: the installed ones, else the defaults.
    pub fn funds(&self) -> &crate::funds::Funds {
        self.funds_state.get_or_init(crate::funds::Funds::default)
    }

    /// The running surveillance monitor, if this node runs one.
    pub fn surveillance(&self) -> Option<&crate::surveillance::SurveillanceHandle> {
        self.surveillance_state.get()
    }

    pub fn install_surveillance(&self, handle: crate::surveillance::SurveillanceHandle) -> Result<(), String> {
        self.surveillance_state.set(handle).map_err(|_| "surveillance is installed already".to_string())
    }

    /// Installs the funds settings and rail, once, before the first request uses them.
    /// Starts the gateway's timers (the dead-man's switch) once, inside a Tokio runtime.
    pub fn start_timers(self: &Arc<Self>) {
        if tokio::runtime::Handle::try_current().is_ok() && !self.timers_started.swap(true, Ordering::AcqRel) {
            crate::cancel_after::spawn(self);
        }
    }

    pub fn install_funds(&self, funds: crate::funds::Funds) -> Result<(), String> {
        funds.config.validate().map_err(|e| format!("funds.{e}"))?;
        self.funds_state.set(funds).map_err(|_| "the funds settings are installed already".to_string())
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
        self.first_use(api_key, timestamp, signature)?;
        Ok(key)
    }

    /// Refuses a signed request (or private WebSocket auth) seen before inside its window:
    /// code 8, as a timestamp that may not be used again.
    pub fn first_use(&self, api_key: &str, timestamp: &str, signature: &str) -> Result<(), ApiError> {
        let keep_ms = self.config.timestamp_window_ms.saturating_mul(2);
        match self.replays.check(api_key, timestamp, signature, self.now_ms(), keep_ms) {
            crate::auth::replay::Use::First => Ok(()),
            crate::auth::replay::Use::Replayed => {
                metrics::counter!("talat_api_replays_total").increment(1);
                Err(ApiError::invalid_timestamp("this signed request was already used: sign each request with a new timestamp"))
            }
            crate::auth::replay::Use::Full => Err(ApiError::system_busy(self.config.busy_retry_after_s)),
        }
    }

    pub fn check_timestamp(&self, timestamp: &str) -> Result<(), ApiError> {
        // Digits only: no sign, no leading zero, no more than a u64 of milliseconds needs.
        let digits_only = !timestamp.is_empty()
            && timestamp.len() <= 16
            && timestamp.bytes().all(|b| b.is_ascii_digit())
            && !(timestamp.len() > 1 && timestamp.starts_with('0'));
        if !digits_only {
            return Err(ApiError::invalid_timestamp("invalid timestamp: expected Unix milliseconds as plain digits"));
        }
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

    /// The one shed check for a new order: the exchange-wide budget (`max_new_orders_per_s`),
    /// the place lane's high-water mark and the in-flight bound. The slot it returns counts the
    /// order as in flight until the last clone of it drops, and is what [`Gateway::place`]
    /// takes, so no order is placed without passing here exactly once. The Bitkub routes call
    /// it before authenticating (the `routes::ops::Admitted` extractor), so a shed order costs as
    /// little as possible while the exchange is over capacity.
    pub fn admit(&self) -> Result<PlaceSlot, ApiError> {
        if let Some(budget) = &self.new_order_budget {
            if budget.check().is_err() {
                return Err(self.shed("capacity"));
            }
        }
        let depth = self.sequencer.lane_depths()[Lane::Place.index()];
        if depth >= self.config.place_high_water {
            return Err(self.shed("lane"));
        }
        let slot = PlaceSlot { _in_flight: Arc::new(InflightGuard(Arc::clone(&self.inflight_places))) };
        let inflight = self.inflight_places.fetch_add(1, Ordering::AcqRel);
        if inflight >= self.config.max_inflight_places {
            return Err(self.shed("inflight"));
        }
        self.health.count_admitted();
        Ok(slot)
    }

    fn shed(&self, reason: &'static str) -> ApiError {
        metrics::counter!("talat_api_shed_total", "reason" => reason).increment(1);
        self.health.count_shed();
        ApiError::system_busy(self.config.busy_retry_after_s)
    }

    /// The one order path: submits `order` (admitted by `slot`) and returns the order it placed,
    /// or why not. Both the Bitkub routes and the web app place orders here.
    /// The slot is the proof of admission; the caller holds it until its answer is written.
    pub async fn place(&self, _admitted: &PlaceSlot, order: NewOrder) -> Result<Placed, Refusal> {
        let (user, side) = (order.user, order.side);
        let outcome = match self.execute(Command::PlaceOrder(order)).await {
            Ok(outcome) => outcome,
            Err(Refusal::Engine(RejectReason::TradingNotAllowed)) => return Err(self.not_allowed_to_trade(user, side).await),
            Err(other) => return Err(other),
        };
        let placed = outcome.events.iter().find_map(|e| match e {
            Event::OrderAccepted { order, .. } => Some((*order, false)),
            Event::Duplicate { order: Some(order) } => Some((*order, true)),
            _ => None,
        });
        let (order, duplicate) = placed.ok_or_else(|| Refusal::Gateway(ApiError::unavailable("the engine returned no order")))?;
        Ok(Placed { order, duplicate, outcome })
    }

    /// Why the engine refused to let `user` trade: a locked (suspended) account is told so, with
    /// Bitkub's suspension codes (56 buying, 57 selling); otherwise the KYC level is the reason
    /// (25). Asked of the store only on this refusal, never on the order path.
    async fn not_allowed_to_trade(&self, user: talat_core::UserId, side: talat_core::Side) -> Refusal {
        let locked = match &self.store {
            Some(store) => store.web_account_of_user(user).await.ok().flatten().is_some_and(|a| a.locked),
            None => false,
        };
        if !locked {
            return Refusal::Engine(RejectReason::TradingNotAllowed);
        }
        let code = if side == talat_core::Side::Buy { 56 } else { 57 };
        Refusal::Gateway(ApiError::new(code, "this account is suspended (locked by compliance): contact support"))
    }

    /// Submits `command` on its own lane ([`Lane::of`]) and waits until it is durable, executed
    /// and visible in the read models. The outcome may be the engine's refusal: see
    /// [`Gateway::execute`] for a command whose refusal is an error.
    pub async fn submit(&self, command: Command) -> Result<Outcome, ApiError> {
        let lane = Lane::of(&command);
        let ticket = match self.sequencer.submit(command, lane) {
            Ok(ticket) => ticket,
            Err(SubmitError::Busy { .. }) => return Err(self.shed("lane_full")),
            Err(SubmitError::TooLarge { .. }) => return Err(ApiError::invalid_parameter("command too large")),
            Err(other) => return Err(ApiError::unavailable(other)),
        };
        let outcome = ticket.await.map_err(ApiError::unavailable)?;
        self.read.wait_for_seq(outcome.seq).await;
        Ok(outcome)
    }

    /// [`Gateway::submit`], with the engine's refusal as an error.
    pub async fn execute(&self, command: Command) -> Result<Outcome, Refusal> {
        let outcome = self.submit(command).await.map_err(Refusal::Gateway)?;
        match refusal(&outcome) {
            Some(reason) => Err(Refusal::Engine(reason)),
            None => Ok(outcome),
        }
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

/// A new order's place among those in flight ([`Gateway::admit`]); freed when the last clone
/// drops. Cloned so that the admission layer and the handler can both hold it.
#[derive(Clone)]
pub struct PlaceSlot {
    _in_flight: Arc<InflightGuard>,
}

struct InflightGuard(Arc<AtomicUsize>);

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An order the engine accepted, or, for a client id it saw before, the order that id placed.
pub struct Placed {
    pub order: OrderId,
    /// The client id was seen before: `order` is the earlier order and nothing new was placed.
    pub duplicate: bool,
    pub outcome: Outcome,
}

/// Why a command did not take effect. Either way nothing changed; each surface words it in its
/// own error shape (`From<Refusal>` for `ApiError` here, for `WebError` in talat-web).
#[derive(Debug)]
pub enum Refusal {
    /// The engine refused it.
    Engine(RejectReason),
    /// The gateway did not get it executed: shed, too large, or the sequencer stopped.
    Gateway(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Refusal {
        Refusal::Gateway(error)
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> ApiError {
        match refusal {
            Refusal::Engine(reason) => ApiError::rejected(reason),
            Refusal::Gateway(error) => error,
        }
    }
}

/// How `order` ended within `outcome`, if it did: `filled`, `partial_filled_canceled` (it
/// traded, then the rest was cancelled or expired) or `canceled`. `None` while it is still open.
pub fn done_status(outcome: &Outcome, order: OrderId) -> Option<&'static str> {
    let traded = outcome.events.iter().any(|e| matches!(e, Event::Trade { maker_order, taker_order, .. } if *maker_order == order || *taker_order == order));
    let reason = outcome.events.iter().find_map(|e| match e {
        Event::OrderDone { order: o, reason, .. } if *o == order => Some(*reason),
        _ => None,
    })?;
    Some(match reason {
        talat_core::DoneReason::Filled => "filled",
        _ if traded => "partial_filled_canceled",
        _ => "canceled",
    })
}

/// The engine's refusal in an outcome, if it refused: the one place an outcome is read for it.
pub fn refusal(outcome: &Outcome) -> Option<RejectReason> {
    outcome.events.iter().find_map(|e| match e {
        Event::Rejected { reason } => Some(*reason),
        _ => None,
    })
}
