//! The JSON shapes several routes share (docs/web-api.md): an account (and a console search's
//! hit), a customer's balances, the markets list, an order, a fill, funds history items. Reads of the gateway's read model only; nothing here checks who
//! asks.

use crate::Web;
use serde_json::{json, Value};
use std::sync::Arc;
use talat_core::money::format_units;
use talat_core::{Side, UserId};
use talat_gateway::gateway::MarketRef;
use talat_gateway::read::{OrderType, OrderView};
use talat_store::WebAccountRow;

/// An account as its customer (and the console) sees it.
pub fn account_json(a: &WebAccountRow) -> Value {
    json!({
        "id": a.id,
        "email": a.email,
        "user_id": a.user.0,
        "totp_enabled": a.totp_enabled,
        "locked": a.locked,
        "created_ms": a.created_ms,
        "email_verified": a.email_verified_ms.is_some(),
        "kyc_level": a.kyc_level,
        "admitted": a.admitted_ms.is_some(),
        "lang": a.lang,
    })
}

/// Every market's symbol, mode, fees and price scale (decimals of its prices); for staff also its
/// band and last price.
pub(crate) fn markets_json(web: &Web, for_staff: bool) -> Vec<Value> {
    web.gateway
        .read
        .markets()
        .iter()
        .map(|m| {
            let m = m.read();
            let spec = &m.info.spec;
            let mut row = json!({"symbol": spec.symbol, "mode": m.mode.name(), "maker_fee_ppm": spec.maker_fee_ppm, "taker_fee_ppm": spec.taker_fee_ppm, "price_scale": spec.price_scale});
            if for_staff {
                row["band_bps"] = json!(spec.band_bps);
                row["last_price"] = json!(m.last_price.map(|p| format_units(p as u128, spec.price_scale)));
            }
            row
        })
        .collect()
}

/// Every listed asset's code and scale (its decimals), so the apps print each amount to its
/// asset's decimals.
pub(crate) fn assets_json(web: &Web) -> Vec<Value> {
    web.gateway.read.assets().iter().map(|a| json!({"asset": a.code, "scale": a.scale})).collect()
}

/// Each asset with its THB value at the last price of `<ASSET>_THB` (its opening price before
/// the first trade; 0 when there is no such market).
pub(crate) fn balances_json(web: &Web, user: UserId) -> Value {
    let mut total: u128 = 0;
    let thb_scale = web.gateway.read.assets().iter().find(|a| a.code == "THB").map(|a| a.scale).unwrap_or(2);
    let assets: Vec<Value> = web
        .gateway
        .read
        .balances(user)
        .into_iter()
        .map(|(asset, b)| {
            let units = b.available as u128 + b.held as u128;
            let value = if asset.code == "THB" {
                units
            } else {
                web.gateway
                    .market(&format!("{}_THB", asset.code), false)
                    .ok()
                    .and_then(|m| {
                        // Before the first trade, the opening (reference) price.
                        let last = m.state.read().last_price.or(m.info.spec.opening_price.map(|p| p.0))?;
                        Some(last as u128 * units / m.divisor())
                    })
                    .unwrap_or(0)
            };
            total += value;
            json!({"asset": asset.code, "available": format_units(b.available as u128, asset.scale), "held": format_units(b.held as u128, asset.scale), "value_thb": format_units(value, thb_scale)})
        })
        .collect();
    json!({"assets": assets, "total_thb": format_units(total, thb_scale)})
}

/// A listed market by id, as the gateway hands it out by symbol.
pub(crate) fn market_ref(web: &Web, id: talat_core::MarketId) -> Option<MarketRef> {
    let state = web.gateway.read.market(id)?;
    let info = Arc::clone(&state.read().info);
    Some(MarketRef { state, info })
}

/// An open or past order; `amount` and `filled` in the units the order was given in.
pub(crate) fn order_json(market: &MarketRef, o: &OrderView) -> Value {
    let info = &market.info;
    let typ = match o.order_type {
        OrderType::Limit if o.post_only() => "post_only",
        OrderType::Limit => "limit",
        OrderType::Market => "market",
        OrderType::StopLimit => "stop_limit",
    };
    // `amount` as it was given: THB for a market buy, base quantity otherwise.
    let (amount, filled) = if o.order_type == OrderType::Market && o.side == Side::Buy {
        (format_units(o.budget as u128, info.quote_scale), format_units(o.filled_quote as u128, info.quote_scale))
    } else {
        (format_units(o.qty as u128, info.base_scale), format_units(o.filled_qty as u128, info.base_scale))
    };
    let price = |p: u64| if p == 0 { Value::Null } else { Value::String(format_units(p as u128, info.spec.price_scale)) };
    json!({
        "id": o.id.0.to_string(),
        "symbol": info.spec.symbol,
        "side": if o.side == Side::Buy { "buy" } else { "sell" },
        "type": typ,
        "price": price(o.price),
        "stop_price": price(o.stop_price),
        "amount": amount,
        "filled": filled,
        // Also what a market order (no price of its own) paid on average.
        "average_price": o.average_price(info.base_scale, info.quote_scale, info.spec.price_scale).map(|p| format_units(u128::from(p), info.spec.price_scale)),
        "base_asset": info.spec.base,
        "quote_asset": info.spec.quote,
        "status": o.status.as_str(),
        "ts_ms": o.created_ms,
    })
}

/// What an order did in the command that placed it (see [`talat_gateway::fill`]): decimal
/// strings with the fee's asset, and how it ended there (`null` while it rests).
pub(crate) fn placed_fill_json(market: &MarketRef, fill: &talat_gateway::fill::Fill, market_buy_budget: Option<u64>) -> Value {
    use talat_core::DoneReason;
    let info = &market.info;
    // A market buy whose last few satang cannot buy one more step has filled, not expired: the
    // remainder stays in the balance and is reported as such.
    let dust = market_buy_budget.filter(|&budget| {
        fill.done == Some(DoneReason::Expired) && fill.left_only_dust(budget, info.spec.qty_step, info.base_scale, info.quote_scale, info.spec.price_scale)
    });
    let (fee_scale, fee_asset) = if fill.fee_in_base() { (info.base_scale, &info.spec.base) } else { (info.quote_scale, &info.spec.quote) };
    let ended = fill.done.map(|d| match d {
        DoneReason::Filled => "filled",
        DoneReason::Expired if dust.is_some() => "filled",
        DoneReason::Cancelled => "cancelled",
        DoneReason::Expired => "expired",
        DoneReason::Killed => "killed",
        DoneReason::SelfTradePrevented => "self_trade_prevented",
    });
    json!({
        "trades": fill.trades,
        "filled": format_units(u128::from(fill.qty), info.base_scale),
        "quote": format_units(u128::from(fill.quote), info.quote_scale),
        "average_price": fill.average_price().map(|p| format_units(u128::from(p), info.spec.price_scale)),
        "fee": format_units(u128::from(fill.fee), fee_scale),
        "fee_asset": fee_asset,
        "base_asset": info.spec.base,
        "quote_asset": info.spec.quote,
        "ended": ended,
        "unspent": dust.map(|budget| format_units(u128::from(budget - fill.quote), info.quote_scale)),
    })
}

/// `user`'s daily withdrawal budget now, when it is kept in THB (the one budget for THB and
/// every coin, each withdrawal valued when it was held); `None` without one.
pub fn withdrawal_budget(web: &Web, user: UserId) -> Option<talat_gateway::read::BudgetView> {
    let read = &web.gateway.read;
    let budget = read.withdrawal_budget(user, web.gateway.now_ms())?;
    let thb = read.asset_id(talat_onboarding::levels::FIAT)?;
    (budget.valued_in == thb).then_some(budget)
}

/// The budget as the customer's pages show it: `{asset, daily, used, left}` in THB, or null.
pub fn withdrawal_limit_json(web: &Web, user: UserId) -> Value {
    let Some(b) = withdrawal_budget(web, user) else { return Value::Null };
    let scale = web.gateway.read.assets().iter().find(|a| a.code == talat_onboarding::levels::FIAT).map_or(2, |a| a.scale);
    let thb = |units: u64| format_units(units.into(), scale);
    json!({"asset": talat_onboarding::levels::FIAT, "daily": thb(b.daily), "used": thb(b.used_today), "left": thb(b.left_today)})
}

/// A CSV file as a download named `name`.
pub fn csv_download(name: String, bytes: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))], bytes)
        .into_response()
}

/// The QR as an SVG image (server-made, no script).
pub fn qr_svg(payload: &str) -> String {
    use qrcode::render::svg;
    use qrcode::QrCode;
    match QrCode::new(payload.as_bytes()) {
        Ok(code) => code.render::<svg::Color<'_>>().min_dimensions(220, 220).quiet_zone(true).build(),
        Err(_) => String::new(),
    }
}

/// One fill as the history pages show it. `fee` is in the asset the fill received
/// (`fee_asset`: base for a buy, quote for a sell); `quote` is what the fill paid (buy) or
/// received before the fee (sell).
pub(crate) fn fill_json(market: &MarketRef, f: &talat_store::FillRow) -> Value {
    let info = &market.info;
    let buy = f.side == Side::Buy;
    let (fee_scale, fee_asset) = if buy { (info.base_scale, &info.spec.base) } else { (info.quote_scale, &info.spec.quote) };
    json!({
        "id": format!("{}-{}", f.seq, f.idx),
        "ts_ms": f.ts_ms,
        "symbol": info.spec.symbol,
        "side": if buy { "buy" } else { "sell" },
        "price": format_units(u128::from(f.price), info.spec.price_scale),
        "amount": format_units(u128::from(f.qty), info.base_scale),
        "quote": format_units(u128::from(f.quote), info.quote_scale),
        "fee": format_units(u128::from(f.fee), fee_scale),
        "fee_asset": fee_asset,
        "is_maker": f.is_maker,
        "order_id": f.order.0.to_string(),
    })
}

/// Credited deposits and withdrawals with their status, merged newest first by the seq that
/// created each, at most `limit`. A withdrawal's `fee` is charged on top of its `amount`.
pub(crate) fn funds_items(
    web: &Web,
    deposits: &[talat_store::DepositRow],
    withdrawals: &[talat_store::WithdrawalRow],
    limit: usize,
) -> crate::error::WebResult<Vec<Value>> {
    let assets = web.gateway.read.assets();
    let asset = |id: talat_core::AssetId| {
        assets.get(usize::from(id.0)).ok_or_else(|| crate::error::WebError::internal(format!("asset {} is not in the read model", id.0)))
    };
    let mut items: Vec<(u64, Value)> = Vec::with_capacity(deposits.len() + withdrawals.len());
    for d in deposits {
        let a = asset(d.asset)?;
        items.push((d.seq, json!({"id": d.external_id, "ts_ms": d.ts_ms, "kind": "deposit", "asset": a.code, "amount": format_units(u128::from(d.amount), a.scale), "status": "credited"})));
    }
    for w in withdrawals {
        let a = asset(w.asset)?;
        items.push((
            w.seq,
            json!({
                "id": w.withdrawal_id, "ts_ms": w.ts_ms, "kind": "withdrawal", "asset": a.code,
                "amount": format_units(u128::from(w.amount), a.scale), "fee": format_units(u128::from(w.fee), a.scale),
                "status": w.status.as_str(), "updated_ms": w.updated_ts_ms,
            }),
        ));
    }
    items.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
    items.truncate(limit);
    Ok(items.into_iter().map(|(_, v)| v).collect())
}

/// A console search's hit: a web account's fields, or an API-only user's (no email).
pub(crate) fn account_hit_json(hit: &talat_store::AccountHit) -> Value {
    match hit {
        talat_store::AccountHit::Web(a) => {
            let mut v = account_json(a);
            v["kind"] = json!("web");
            v
        }
        talat_store::AccountHit::ApiOnly { user, created_ms, live_keys } => {
            json!({"kind": "api", "user_id": user.0, "email": null, "created_ms": created_ms, "api_keys": live_keys, "locked": false, "totp_enabled": false})
        }
    }
}

/// A staff member as the console lists one (never the password hash or the TOTP secret).
pub(crate) fn staff_json(row: &talat_store::StaffRow) -> Value {
    json!({"id": row.id, "email": row.email, "role": row.role, "totp_enabled": row.totp_enabled, "disabled": row.disabled_ms.is_some(), "created_ms": row.created_ms})
}
