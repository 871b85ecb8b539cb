//! Signed v3 endpoints (reference §10): wallet, balances, place-bid/ask, cancel-order, open
//! orders, order info, user limits and credits — and talat's own additions (IOC, FOK,
//! stop-limit, amend, cancel-all, STP per order) under `/api/v3/talat/`, signed the same way.
//!
//! Every handler refuses a bad request before submitting anything, so a refusal changes nothing.

use super::ops::Admitted;
use super::{ok_v3, Empty, Pairs};
use crate::params::Params;
use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;
use talat_core::money::{MAX_AMOUNT, MAX_PRICE, MAX_QTY};
use talat_core::{Amount, ClientId, Command, Event, NewOrder, OrderId, OrderKind, Price, Qty, Side, StpMode, TimeInForce};
use talat_engine::estimate;
use talat_gateway::auth::ApiKey;
use talat_gateway::decimal::{Dec, DecimalError};
use talat_gateway::error::ApiError;
use talat_gateway::gateway::{AppState, MarketRef, PlaceSlot, Placed};
use talat_gateway::limits::{Caller, Endpoint};
use talat_gateway::read::{OrderStatus, OrderType, OrderView};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/market/place-bid", post(place_bid))
        .route("/api/v3/market/place-ask", post(place_ask))
        .route("/api/v3/talat/place-order", post(place_order))
        .route("/api/v3/market/wallet", post(wallet))
        .route("/api/v3/market/balances", post(balances))
        .route("/api/v3/user/trading-credits", post(trading_credits))
        .route("/api/v3/user/limits", post(user_limits))
        .route("/api/v3/market/cancel-order", post(cancel_order))
        .route("/api/v3/market/wstoken", post(wstoken))
        .route("/api/v3/market/my-open-orders", get(my_open_orders))
        .route("/api/v3/market/order-info", get(order_info))
        .route("/api/v3/talat/amend-order", post(amend_order))
        .route("/api/v3/talat/cancel-all", post(cancel_all))
        .route("/api/v3/talat/cancel-all-after", post(cancel_all_after))
}

/// A request whose signature, timestamp and key address checked out, with its parameters.
pub struct Signed {
    pub key: Arc<ApiKey>,
    pub params: Params,
}

impl FromRequest<AppState> for Signed {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let max_bytes = state.config.max_body_bytes;
        let bytes = axum::body::to_bytes(Body::new(body), max_bytes).await.map_err(|_| ApiError::body_too_large(max_bytes))?;
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        // The request target exactly as received: path plus `?query`.
        let target = parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
        let key = state.authenticate(&parts.headers, parts.method.as_str(), target, &bytes, ip)?;
        if let Some(slot) = parts.extensions.get::<talat_gateway::refusals::VerifiedUser>() {
            let _ = slot.0.set(key.user.0 as u64);
        }
        let params = Params::parse(parts.uri.query(), &bytes)?;
        Ok(Signed { key, params })
    }
}

fn limit(state: &AppState, key: &ApiKey, endpoint: Endpoint) -> Result<(), ApiError> {
    state.limit(Caller::User(key.user.0), endpoint)
}

fn require_trade(key: &ApiKey) -> Result<(), ApiError> {
    if key.perms.trade {
        Ok(())
    } else {
        Err(ApiError::permission_denied("trade"))
    }
}

async fn wallet(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::Wallet)?;
    let style = state.config.decimals;
    let balances = state.read.balances(signed.key.user);
    Ok(ok_v3(Pairs(balances.into_iter().map(|(asset, b)| (asset.code, Dec::styled(b.available, asset.scale, style))).collect())))
}

async fn balances(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::Balances)?;
    #[derive(serde::Serialize)]
    struct Balance {
        available: Dec,
        reserved: Dec,
    }
    let style = state.config.decimals;
    let balances = state.read.balances(signed.key.user);
    Ok(ok_v3(Pairs(
        balances
            .into_iter()
            .map(|(asset, b)| {
                (asset.code, Balance { available: Dec::styled(b.available, asset.scale, style), reserved: Dec::styled(b.held, asset.scale, style) })
            })
            .collect(),
    )))
}

/// talat has no fee credits: the balance is always zero (a string with `decimals = "strings"`).
async fn trading_credits(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::User)?;
    Ok(ok_v3(Dec::styled(0u64, 0, state.config.decimals)))
}

/// Level-1 daily limit in THB: the API has no view of a customer's KYC level (the web app shows
/// the level's own limit; the engine enforces it).
const LEVEL1_DAILY_LIMIT_THB: u64 = 2_500_000;

/// What the customer withdrew in THB today (Bangkok), amount and fee, not released; 0 for a
/// key without a web account.
async fn fiat_withdrawn_today_satang(state: &AppState, key: &ApiKey) -> u64 {
    let Some(store) = state.store.as_ref() else { return 0 };
    let Ok(Some(account)) = store.web_account_of_user(key.user).await else { return 0 };
    match state.fiat() {
        Ok(funds) => funds.withdrawn_today_satang(account.id).await.unwrap_or(0),
        Err(_) => 0,
    }
}

async fn user_limits(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::User)?;
    let style = state.config.decimals;
    // Crypto limits are in BTC at the last BTC_THB price (the reference's convention).
    let btc = state.market("BTC_THB", false).ok().and_then(|m| {
        let last = m.state.read().last_price?;
        Some((last, m))
    });
    let (rate, crypto) = match btc {
        Some((last, m)) => {
            let thb_in_price_units = LEVEL1_DAILY_LIMIT_THB as u128 * 10u128.pow(m.info.spec.price_scale as u32);
            let btc_units = thb_in_price_units * 10u128.pow(m.info.base_scale as u32) / last as u128;
            (Dec::styled(last, m.info.spec.price_scale, style), Dec::styled(btc_units, m.info.base_scale, style))
        }
        None => (Dec::styled(0u64, 0, style), Dec::styled(0u64, 0, style)),
    };
    let withdrawn = fiat_withdrawn_today_satang(&state, &signed.key).await;
    let limit_satang = u128::from(LEVEL1_DAILY_LIMIT_THB) * 100;
    let pct = |used: u128| Dec::styled(used * 100 * 100 / limit_satang, 2, style);
    let zero = Dec::styled(0u64, 0, style);
    let fiat_limit = Dec::styled(LEVEL1_DAILY_LIMIT_THB, 0, style);
    Ok(ok_v3(json!({
        "limits": {"crypto": {"deposit": crypto, "withdraw": crypto}, "fiat": {"deposit": fiat_limit, "withdraw": fiat_limit}},
        "usage": {
            "crypto": {"deposit": zero, "withdraw": zero, "deposit_percentage": zero, "withdraw_percentage": zero, "deposit_thb_equivalent": zero, "withdraw_thb_equivalent": zero},
            "fiat": {"deposit": zero, "withdraw": Dec::styled(withdrawn, 2, style), "deposit_percentage": zero, "withdraw_percentage": pct(u128::from(withdrawn))}
        },
        "rate": rate,
    })))
}

/// The order-book socket no longer takes a token (deprecated 2022); SDKs still ask for one.
async fn wstoken(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::Wallet)?;
    let (token, _) = talat_gateway::auth::keys::generate_credentials();
    Ok(ok_v3(token))
}

// ---- placing -------------------------------------------------------------------------------

fn amount_error(e: DecimalError) -> ApiError {
    match e {
        DecimalError::Negative => ApiError::invalid_amount("invalid amount: amt must not be negative"),
        DecimalError::TooPrecise(scale) => ApiError::invalid_amount(format!("invalid amount: amt has more than {scale} decimals")),
        DecimalError::TooLarge => ApiError::invalid_amount("invalid amount: amt is too large"),
        DecimalError::NotANumber => ApiError::invalid_amount("invalid amount: amt must be a number"),
    }
}

fn rate_error(e: DecimalError) -> ApiError {
    match e {
        DecimalError::Negative => ApiError::invalid_rate("invalid rate: rat must not be negative"),
        DecimalError::TooPrecise(scale) => ApiError::invalid_rate(format!("invalid rate: rat has more than {scale} decimals")),
        DecimalError::TooLarge => ApiError::invalid_rate("invalid rate: rat is too large"),
        DecimalError::NotANumber => ApiError::invalid_rate("invalid rate: rat must be a number"),
    }
}

fn client_id_of(params: &Params) -> Result<Option<ClientId>, ApiError> {
    match params.opt_str("client_id")? {
        None => Ok(None),
        Some(text) => {
            let id = ClientId(text);
            if id.is_valid() {
                Ok(Some(id))
            } else {
                Err(ApiError::invalid_parameter("client_id must be 1 to 96 printable ASCII characters without spaces"))
            }
        }
    }
}

/// The order a Bitkub place-bid/ask describes: `typ` limit or market, `amt` THB for a bid and
/// base for an ask, `rat` the limit (0 or absent for market), `post_only`.
fn bitkub_kind(market: &MarketRef, side: Side, typ: &str, amount: u64, rate: Option<u64>, post_only: bool) -> Result<OrderKind, ApiError> {
    match typ {
        "limit" => {
            let price = rate.filter(|r| *r > 0).ok_or_else(|| ApiError::invalid_rate("invalid rate: a limit order needs rat greater than zero"))?;
            let qty = match side {
                // Spend at most `amt`: the largest quantity on the grid whose cost fits.
                Side::Buy => estimate::buy_qty_for_budget(amount, price, market.info.spec.qty_step, MAX_QTY, market.divisor()),
                Side::Sell => amount,
            };
            if qty == 0 {
                return Err(ApiError::new(15, "amount too low: amt buys less than one quantity step at this rate"));
            }
            let tif = if post_only { TimeInForce::PostOnly } else { TimeInForce::Gtc };
            Ok(OrderKind::Limit { price: Price(price), qty: Qty(qty), tif })
        }
        "market" => {
            if rate.unwrap_or(0) != 0 {
                return Err(ApiError::invalid_rate("invalid rate: a market order takes rat 0"));
            }
            if post_only {
                return Err(ApiError::invalid_parameter("a market order cannot be post_only"));
            }
            Ok(OrderKind::Market { amount: Amount(amount) })
        }
        _ => Err(ApiError::invalid_parameter("typ must be limit or market")),
    }
}

/// place-bid / place-ask (§10.4–10.5): `amt` is THB for a bid, base quantity for an ask.
async fn place(state: AppState, slot: PlaceSlot, signed: Signed, side: Side) -> Result<Response, ApiError> {
    let endpoint = if side == Side::Buy { Endpoint::PlaceBid } else { Endpoint::PlaceAsk };
    limit(&state, &signed.key, endpoint)?;
    require_trade(&signed.key)?;
    let p = &signed.params;
    let market = state.market(&p.str("sym").map_err(|_| ApiError::invalid_symbol())?, true)?;
    let info = Arc::clone(&market.info);
    let typ = p.opt_str("typ")?.unwrap_or_else(|| "limit".into());
    let amount_scale = if side == Side::Buy { info.quote_scale } else { info.base_scale };
    let amount = match p.decimal("amt", amount_scale, MAX_AMOUNT) {
        None => return Err(ApiError::invalid_amount("invalid amount: amt is required")),
        Some(r) => r.map_err(amount_error)?,
    };
    if amount == 0 {
        return Err(ApiError::invalid_amount("invalid amount: amt must be greater than zero"));
    }
    let rate = match p.decimal("rat", info.spec.price_scale, MAX_PRICE) {
        None => None,
        Some(r) => Some(r.map_err(rate_error)?),
    };
    let post_only = p.opt_bool("post_only")?.unwrap_or(false);
    let client_id = client_id_of(p)?;
    let kind = bitkub_kind(&market, side, &typ, amount, rate, post_only)?;
    let new = NewOrder { user: signed.key.user, market: info.id, side, kind, client_id: client_id.clone(), stp: StpMode::default() };
    let Placed { order, outcome, .. } = state.place(&slot, new).await?;
    let est = estimate::placement(side, amount as u128, rate.unwrap_or(0), info.spec.taker_fee_ppm, market.divisor());
    let receive_scale = if side == Side::Buy { info.base_scale } else { info.quote_scale };
    #[derive(serde::Serialize)]
    struct PlacedJson {
        id: String,
        typ: String,
        amt: Dec,
        rat: Dec,
        fee: Dec,
        cre: Dec,
        rec: Dec,
        ts: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        ci: Option<String>,
    }
    let style = state.config.decimals;
    Ok(ok_v3(PlacedJson {
        id: order.0.to_string(),
        typ,
        amt: Dec::styled(amount, amount_scale, style),
        rat: Dec::styled(rate.unwrap_or(0), info.spec.price_scale, style),
        fee: Dec::styled(est.fee_quote, info.quote_scale, style),
        cre: Dec::styled(0u64, info.quote_scale, style),
        rec: Dec::styled(est.receive, receive_scale, style),
        ts: (outcome.ts_ms / 1000).to_string(),
        ci: client_id.map(|c| c.0),
    }))
}

async fn place_bid(State(state): State<AppState>, Admitted(slot): Admitted, signed: Signed) -> Result<Response, ApiError> {
    place(state, slot, signed, Side::Buy).await
}

async fn place_ask(State(state): State<AppState>, Admitted(slot): Admitted, signed: Signed) -> Result<Response, ApiError> {
    place(state, slot, signed, Side::Sell).await
}

fn side_of(params: &Params) -> Result<Side, ApiError> {
    match params.opt_str("sd")?.map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("buy") => Ok(Side::Buy),
        Some("sell") => Ok(Side::Sell),
        _ => Err(ApiError::invalid_side()),
    }
}

fn order_id_of(params: &Params) -> Result<OrderId, ApiError> {
    let text = params.opt_str("id")?.ok_or_else(|| ApiError::invalid_parameter("id is required"))?;
    text.parse::<u64>().map(OrderId).map_err(|_| ApiError::order_not_found())
}

/// cancel-order (§10.6): `sym` in either order, `id`, `sd`. Served from the cancel lane, which
/// the sequencer drains before anything else, in every trading mode but a halt.
async fn cancel_order(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::CancelOrder)?;
    require_trade(&signed.key)?;
    let p = &signed.params;
    let market = state.market(&p.str("sym").map_err(|_| ApiError::invalid_symbol())?, true)?;
    let order = order_id_of(p)?;
    let side = side_of(p)?;
    let user = signed.key.user;
    match state.read.open_order(user, order) {
        Some(o) if o.market == market.info.id && o.side == side => {}
        _ => return Err(ApiError::order_not_found()),
    }
    state.execute(Command::CancelOrder { user, order }).await?;
    Ok(ok_v3(Empty {}))
}

// ---- reading one's orders ------------------------------------------------------------------

/// An open order in the my-open-orders shape (§10.7): strings but `ts`.
#[derive(serde::Serialize)]
pub struct OpenOrderJson {
    id: String,
    side: &'static str,
    #[serde(rename = "type")]
    order_type: &'static str,
    rate: String,
    fee: String,
    credit: &'static str,
    amount: String,
    receive: String,
    parent_id: &'static str,
    super_id: &'static str,
    client_id: String,
    ts: u64,
}

fn open_order_json(market: &MarketRef, o: &OrderView) -> OpenOrderJson {
    let info = &market.info;
    let (amount, amount_scale) = match o.side {
        Side::Buy if o.order_type == OrderType::Market => (o.budget.saturating_sub(o.filled_quote) as u128, info.quote_scale),
        Side::Buy => (market.notional_floor(o.price, o.open_qty), info.quote_scale),
        Side::Sell => (o.open_qty as u128, info.base_scale),
    };
    let est = estimate::placement(o.side, amount, o.price, info.spec.maker_fee_ppm, market.divisor());
    let (fee, receive) = (est.fee_quote, est.receive);
    let receive_scale = if o.side == Side::Buy { info.base_scale } else { info.quote_scale };
    let text = |units: u128, scale: u8| talat_core::money::format_units(units, scale);
    OpenOrderJson {
        id: o.id.0.to_string(),
        side: if o.side == Side::Buy { "buy" } else { "sell" },
        order_type: o.order_type.as_str(),
        rate: text(o.price as u128, info.spec.price_scale),
        fee: text(fee, info.quote_scale),
        credit: "0",
        amount: text(amount, amount_scale),
        receive: text(receive, receive_scale),
        parent_id: "0",
        super_id: "0",
        client_id: o.client_id.clone().unwrap_or_default(),
        ts: o.created_ms,
    }
}

async fn my_open_orders(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::MyOpenOrders)?;
    let market = state.market(&signed.params.str("sym").map_err(|_| ApiError::invalid_symbol())?, true)?;
    let orders = state.read.open_orders(signed.key.user, Some(market.info.id));
    let list: Vec<OpenOrderJson> = orders.iter().map(|o| open_order_json(&market, o)).collect();
    Ok(ok_v3(list))
}

/// order-info (§10.9) of an open order; closed orders come from the query store.
async fn order_info(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::OrderInfo)?;
    let p = &signed.params;
    let market = state.market(&p.str("sym").map_err(|_| ApiError::invalid_symbol())?, true)?;
    let order = order_id_of(p).map_err(|_| ApiError::lookup_not_found())?;
    let side = side_of(p)?;
    match state.read.open_order(signed.key.user, order).filter(|o| o.market == market.info.id && o.side == side) {
        // An open order with no fill needs nothing the read models lack.
        Some(o) if o.filled_qty == 0 => Ok(ok_v3(order_info_json(&state, &market, &o, Vec::new()))),
        _ => Ok(ok_v3(super::history::closed_order_info(&state, &market, signed.key.user, order, side).await?)),
    }
}

pub fn order_info_json(state: &AppState, market: &MarketRef, o: &OrderView, history: Vec<Value>) -> Value {
    let info = &market.info;
    let style = state.config.decimals;
    // Amounts in Bitkub's sense: THB for a buy, base for a sell.
    let (total, filled, scale) = match o.side {
        Side::Buy => {
            let total = if o.order_type == OrderType::Market { o.budget as u128 } else { market.notional_floor(o.price, o.qty) };
            (total, o.filled_quote as u128, info.quote_scale)
        }
        Side::Sell => (o.qty as u128, o.filled_qty as u128, info.base_scale),
    };
    // The fee in THB: a sell pays it in THB; a buy pays it in base, valued at its price.
    let fee = match o.side {
        Side::Sell => o.fee as u128,
        Side::Buy => market.notional_floor(o.price, o.fee),
    };
    let status = match o.status {
        OrderStatus::Filled => "filled",
        s if s.is_final() => "cancelled",
        _ => "unfilled",
    };
    json!({
        "id": o.id.0.to_string(),
        "first": o.id.0.to_string(),
        "parent": "0",
        "last": o.id.0.to_string(),
        "client_id": o.client_id.clone().unwrap_or_default(),
        "post_only": o.post_only(),
        "amount": talat_core::money::format_units(total, scale),
        "rate": Dec::styled(o.price, info.spec.price_scale, style),
        "fee": Dec::styled(fee, info.quote_scale, style),
        "credit": Dec::styled(0u64, info.quote_scale, style),
        "filled": Dec::styled(filled, scale, style),
        "total": Dec::styled(total, scale, style),
        "status": status,
        "partial_filled": o.filled_qty > 0 && o.status != OrderStatus::Filled,
        "remaining": Dec::styled(total.saturating_sub(filled), scale, style),
        "history": history,
    })
}

// ---- talat's additions ---------------------------------------------------------------------

fn stp_of(params: &Params) -> Result<StpMode, ApiError> {
    Ok(match params.opt_str("stp")?.as_deref() {
        None | Some("expire_taker") => StpMode::ExpireTaker,
        Some("expire_maker") => StpMode::ExpireMaker,
        Some("expire_both") => StpMode::ExpireBoth,
        Some("decrement") => StpMode::Decrement,
        Some(_) => return Err(ApiError::invalid_parameter("stp must be expire_taker, expire_maker, expire_both or decrement")),
    })
}

/// `place-order`: `sym`, `sd`, `typ` (limit | market | stop_limit), `amt` (base quantity;
/// quote to spend for a market buy), `rat`, `stop` (stop-limit trigger), `tif` (gtc | ioc |
/// fok | post_only), `stp`, `client_id`.
async fn place_order(State(state): State<AppState>, Admitted(slot): Admitted, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::Extension)?;
    require_trade(&signed.key)?;
    let p = &signed.params;
    let market = state.market(&p.str("sym").map_err(|_| ApiError::invalid_symbol())?, true)?;
    let info = Arc::clone(&market.info);
    let side = side_of(p)?;
    let typ = p.opt_str("typ")?.unwrap_or_else(|| "limit".into());
    let price_of = |key: &str| -> Result<u64, ApiError> {
        match p.decimal(key, info.spec.price_scale, MAX_PRICE) {
            None => Err(ApiError::invalid_rate(format!("invalid rate: {key} is required"))),
            Some(r) => r.map_err(rate_error).and_then(|v| {
                if v == 0 {
                    Err(ApiError::invalid_rate(format!("invalid rate: {key} must be greater than zero")))
                } else {
                    Ok(v)
                }
            }),
        }
    };
    let amount_scale = if typ == "market" && side == Side::Buy { info.quote_scale } else { info.base_scale };
    let amount = match p.decimal("amt", amount_scale, MAX_AMOUNT) {
        None => return Err(ApiError::invalid_amount("invalid amount: amt is required")),
        Some(r) => r.map_err(amount_error)?,
    };
    if amount == 0 {
        return Err(ApiError::invalid_amount("invalid amount: amt must be greater than zero"));
    }
    let tif = match p.opt_str("tif")?.as_deref() {
        None | Some("gtc") => TimeInForce::Gtc,
        Some("ioc") => TimeInForce::Ioc,
        Some("fok") => TimeInForce::Fok,
        Some("post_only") => TimeInForce::PostOnly,
        Some(_) => return Err(ApiError::invalid_parameter("tif must be gtc, ioc, fok or post_only")),
    };
    let qty = || -> Result<Qty, ApiError> {
        if amount > MAX_QTY {
            return Err(ApiError::invalid_amount("invalid amount: amt is too large"));
        }
        Ok(Qty(amount))
    };
    let kind = match typ.as_str() {
        "limit" => OrderKind::Limit { price: Price(price_of("rat")?), qty: qty()?, tif },
        "market" => OrderKind::Market { amount: Amount(amount) },
        "stop_limit" => OrderKind::StopLimit { stop_price: Price(price_of("stop")?), price: Price(price_of("rat")?), qty: qty()? },
        _ => return Err(ApiError::invalid_parameter("typ must be limit, market or stop_limit")),
    };
    let client_id = client_id_of(p)?;
    let new = NewOrder { user: signed.key.user, market: info.id, side, kind, client_id, stp: stp_of(p)? };
    let Placed { order, outcome, .. } = state.place(&slot, new).await?;
    let status = status_after(&state, signed.key.user, order, &outcome);
    Ok(ok_v3(json!({"id": order.0.to_string(), "status": status, "ts": outcome.ts_ms})))
}

/// What became of an order right after its command: still open (or untriggered) or done.
fn status_after(state: &AppState, user: talat_core::UserId, order: OrderId, outcome: &talat_sequencer::Outcome) -> &'static str {
    if let Some(o) = state.read.open_order(user, order) {
        return o.status.as_str();
    }
    talat_gateway::gateway::done_status(outcome, order).unwrap_or("new")
}

/// `amend-order`: `sym`, `id`, and a new `rat` and/or `amt` (base quantity still open).
async fn amend_order(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::Extension)?;
    require_trade(&signed.key)?;
    let p = &signed.params;
    let market = state.market(&p.str("sym").map_err(|_| ApiError::invalid_symbol())?, true)?;
    let order = order_id_of(p)?;
    let user = signed.key.user;
    if state.read.open_order(user, order).is_none_or(|o| o.market != market.info.id) {
        return Err(ApiError::order_not_found());
    }
    let price = match p.decimal("rat", market.info.spec.price_scale, MAX_PRICE) {
        None => None,
        Some(r) => Some(Price(r.map_err(rate_error)?)),
    };
    let qty = match p.decimal("amt", market.info.base_scale, MAX_QTY) {
        None => None,
        Some(r) => Some(Qty(r.map_err(amount_error)?)),
    };
    if price.is_none() && qty.is_none() {
        return Err(ApiError::invalid_parameter("give rat and/or amt to amend"));
    }
    let outcome = state.execute(Command::AmendOrder { user, order, price, qty }).await?;
    let kept_priority = outcome.events.iter().any(|e| matches!(e, Event::OrderAmended { kept_priority: true, .. }));
    Ok(ok_v3(json!({"id": order.0.to_string(), "status": status_after(&state, user, order, &outcome), "kept_priority": kept_priority})))
}

/// `cancel-all-after` (talat's dead-man's switch, as Kraken's `cancelAllOrdersAfter`): `timeout`
/// seconds from now every open order of the caller is cancelled unless it calls again first;
/// `timeout` 0 disarms. Journaled, so a restart keeps the deadline. Answers the server time and
/// the trigger time (ms; `null` when disarmed).
async fn cancel_all_after(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::CancelOrder)?;
    require_trade(&signed.key)?;
    let max_s = talat_core::venue::MAX_CANCEL_AFTER_MS / 1_000;
    let timeout_s = signed.params.opt_u64("timeout")?.ok_or_else(|| ApiError::invalid_parameter("timeout is required (seconds; 0 disarms)"))?;
    if timeout_s != 0 && !(1..=max_s).contains(&timeout_s) {
        return Err(ApiError::invalid_parameter(format!("timeout must be 0 (disarm) or 1 to {max_s} seconds")));
    }
    let outcome = state.execute(Command::CancelAfter { user: signed.key.user, timeout_ms: timeout_s * 1_000 }).await?;
    let trigger_ms = outcome.events.iter().find_map(|e| match e {
        Event::CancelAfterArmed { deadline_ms, .. } => Some(*deadline_ms),
        _ => None,
    });
    Ok(ok_v3(json!({"current_time": outcome.ts_ms, "trigger_time": trigger_ms})))
}

/// `cancel-all`: every open order of the caller, or of one market with `sym`. On the cancel lane.
async fn cancel_all(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    limit(&state, &signed.key, Endpoint::CancelOrder)?;
    require_trade(&signed.key)?;
    let market = match signed.params.opt_str("sym")? {
        Some(sym) => Some(state.market(&sym, true)?.info.id),
        None => None,
    };
    let outcome = state.execute(Command::CancelAll { user: signed.key.user, market }).await?;
    let cancelled: Vec<String> = outcome
        .events
        .iter()
        .filter_map(|e| match e {
            Event::OrderDone { order, .. } => Some(order.0.to_string()),
            _ => None,
        })
        .collect();
    Ok(ok_v3(json!({"cancelled": cancelled})))
}
