//! In-app notifications: what happened to the customer's account lately — fills, orders the
//! exchange cancelled (the cancel-after switch), deposits and withdrawals, KYC decisions, staff answers to tickets, markets halted or reopened — gathered
//! from the tables that already record them (nothing is written twice), newest first, with
//! which are unread. The read mark is the account's own (`notifications_read_ms`).
//!
//! `GET /web/api/notifications/stream` is a WebSocket on the session: it says `notify` whenever
//! the engine publishes a change to the customer's orders or money, so the open app fetches the
//! list again at once. KYC decisions, ticket answers and market modes do not come through the
//! engine's private feed; the app also looks again on a timer and when the status it polls shows
//! a market's mode changed.

use crate::auth::Customer;
use crate::error::{WebError, WebResult};
use crate::{body, views, Web};
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use talat_core::calendar::DAY_MS;
use talat_gateway::read::Feed;
use talat_gateway::ws_slot::WsSlot;
use tokio::sync::broadcast::error::RecvError;

/// The most notifications one answer carries, and how far back they reach.
const MAX_NOTIFICATIONS: usize = 30;
const WINDOW_MS: u64 = 30 * DAY_MS;
/// Tickets whose staff answers are looked at (the most recent ones).
const TICKETS_LOOKED_AT: i64 = 10;
/// A socket the client does not drain within this is closed; one open longer than the
/// lifetime is closed too (the app reconnects), so a session that ended stops being told.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
const SOCKET_LIFETIME: Duration = Duration::from_secs(3600);

/// One notification: when, a stable id, and its fields (`kind` says which).
struct Item {
    ts_ms: u64,
    value: Value,
}

fn item(ts_ms: u64, id: String, kind: &str, mut fields: Value) -> Item {
    fields["id"] = id.into();
    fields["ts_ms"] = ts_ms.into();
    fields["kind"] = kind.into();
    Item { ts_ms, value: fields }
}

/// `GET /web/api/notifications` → `{notifications: [...], unread, read_ms}`.
pub async fn list(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let since_ms = web.gateway.now_ms().saturating_sub(WINDOW_MS);
    // The engine's half once it holds what this customer was last told (read-your-writes).
    let projected = web.gateway.store_at_read_seq().await?;
    let mut items = fills(&web, projected, account.user).await?;
    items.extend(funds(&web, projected, account.user).await?);
    items.extend(system_cancels(&web, projected, account.user, since_ms).await?);
    items.extend(markets(&web, projected, since_ms).await?);
    items.extend(kyc(&web, account.id).await?);
    items.extend(tickets(&web, account.id).await?);
    items.retain(|i| i.ts_ms >= since_ms);
    items.sort_by_key(|i| std::cmp::Reverse(i.ts_ms));
    items.truncate(MAX_NOTIFICATIONS);
    let read_ms = web.store.notifications_read_ms(account.id).await?;
    let unread = items.iter().filter(|i| i.ts_ms > read_ms).count();
    let list: Vec<Value> = items
        .into_iter()
        .map(|mut i| {
            i.value["unread"] = (i.ts_ms > read_ms).into();
            i.value
        })
        .collect();
    Ok(Json(json!({"notifications": list, "unread": unread, "read_ms": read_ms})))
}

/// `POST /web/api/notifications/read {up_to_ms}`: everything at or before it is read (never in
/// the future, never moved back).
pub async fn read(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let up_to_ms = m.get("up_to_ms").and_then(Value::as_u64).ok_or_else(|| WebError::invalid("up_to_ms", "up_to_ms must be a time in milliseconds"))?;
    web.store.mark_notifications_read(account.id, up_to_ms.min(web.gateway.now_ms())).await?;
    Ok(Json(json!({"read_ms": web.store.notifications_read_ms(account.id).await?})))
}

/// The customer's recent fills, one per trade, as the trade history shows them
/// ([`views::fill_json`]) with the market's two assets named for the sentence.
async fn fills(web: &Web, store: &talat_store::Store, user: talat_core::UserId) -> WebResult<Vec<Item>> {
    let mut items = Vec::new();
    for f in store.user_fills(user, None, MAX_NOTIFICATIONS as u32).await? {
        let Some(market) = views::market_ref(web, f.market) else { continue };
        let mut fields = views::fill_json(&market, &f);
        fields["base"] = market.info.spec.base.as_str().into();
        fields["quote"] = market.info.spec.quote.as_str().into();
        items.push(item(f.ts_ms, format!("fill-{}-{}-{}", f.seq, f.idx, u8::from(f.is_maker)), "fill", fields));
    }
    Ok(items)
}

/// Credited deposits and withdrawals as the funds history shows them ([`views::funds_items`]);
/// a withdrawal dated by its latest state (held, paid or returned).
async fn funds(web: &Web, store: &talat_store::Store, user: talat_core::UserId) -> WebResult<Vec<Item>> {
    let deposits = store.deposits_of(user, MAX_NOTIFICATIONS as u32).await?;
    let withdrawals = store.withdrawals_of(user, MAX_NOTIFICATIONS as u32).await?;
    let mut items = Vec::new();
    for fields in views::funds_items(web, &deposits, &withdrawals, 2 * MAX_NOTIFICATIONS)? {
        let (kind, id) = (fields["kind"].as_str().unwrap_or_default().to_string(), fields["id"].as_str().unwrap_or_default().to_string());
        let (ts_ms, id) = match kind.as_str() {
            "withdrawal" => (fields["updated_ms"].as_u64().unwrap_or_default(), format!("withdrawal-{id}-{}", fields["status"].as_str().unwrap_or_default())),
            _ => (fields["ts_ms"].as_u64().unwrap_or_default(), format!("deposit-{id}")),
        };
        items.push(item(ts_ms, id, &kind, fields));
    }
    Ok(items)
}

/// Orders the exchange cancelled rather than the customer (the cancel-after switch firing), as
/// the order history shows them ([`views::order_json`]) with why and the market's assets.
async fn system_cancels(web: &Web, store: &talat_store::Store, user: talat_core::UserId, since_ms: u64) -> WebResult<Vec<Item>> {
    let mut items = Vec::new();
    for (row, cause) in store.system_cancels_of(user, since_ms, MAX_NOTIFICATIONS as u32).await? {
        let Some(market) = views::market_ref(web, row.market) else { continue };
        let mut fields = views::order_json(&market, &talat_gateway::read::OrderView::from_row(&row));
        fields["cause"] = cause.as_word().into();
        // `id` becomes the notification's own; the order's is kept as the fills name it.
        fields["order_id"] = row.order.0.to_string().into();
        let ts_ms = row.closed_ts_ms.unwrap_or(row.updated_ts_ms);
        items.push(item(ts_ms, format!("cancel-{}", row.order.0), "cancel", fields));
    }
    Ok(items)
}

/// KYC applications a reviewer decided (approved, rejected, or more information asked for).
async fn kyc(web: &Web, account_id: u64) -> WebResult<Vec<Item>> {
    let mut items = Vec::new();
    for a in web.store.kyc_applications_of_account(account_id).await? {
        if let Some(decided_ms) = a.decided_ms.filter(|_| matches!(a.status.as_str(), "approved" | "rejected" | "more_info")) {
            items.push(item(decided_ms, format!("kyc-{}-{}", a.id, a.status), "kyc", json!({"level": a.level, "status": a.status})));
        }
    }
    Ok(items)
}

/// Staff answers (never internal notes) on the customer's most recent tickets.
async fn tickets(web: &Web, account_id: u64) -> WebResult<Vec<Item>> {
    let mut items = Vec::new();
    for t in web.store.tickets_of_account(account_id, TICKETS_LOOKED_AT).await? {
        for m in web.store.ticket_messages(t.id).await? {
            if m.author == "staff" && !m.internal {
                items.push(item(m.created_ms, format!("ticket-{}-{}", t.id, m.id), "ticket", json!({"ticket_id": t.id.to_string(), "subject": t.subject})));
            }
        }
    }
    Ok(items)
}

/// Markets halted, made cancel-only or post-only, and reopened.
async fn markets(web: &Web, store: &talat_store::Store, since_ms: u64) -> WebResult<Vec<Item>> {
    let mut items = Vec::new();
    for (ts_ms, market, mode) in store.market_mode_changes_since(since_ms, MAX_NOTIFICATIONS as u32).await? {
        let Some(m) = views::market_ref(web, market) else { continue };
        let mode = mode.name();
        items.push(item(ts_ms, format!("market-{}-{ts_ms}-{mode}", market.0), "market", json!({"symbol": m.info.spec.symbol, "mode": mode})));
    }
    Ok(items)
}

/// `GET /web/api/notifications/stream`: a WebSocket that says `{"event":"notify"}` when the
/// engine publishes anything of this customer's. It holds a gateway WebSocket slot (the same
/// bounds as the Bitkub API's sockets) and sends nothing else.
pub async fn stream(
    State(web): State<Arc<Web>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Customer { account, .. }: Customer,
    ws: WebSocketUpgrade,
) -> Response {
    let slot = match WsSlot::acquire(&web.gateway, peer.ip()) {
        Ok(slot) => slot,
        Err(refused) => return WebError::from(refused).into_response(),
    };
    let feed = web.gateway.read.subscribe();
    ws.on_upgrade(move |socket| pump(socket, feed, account.user, slot))
}

/// Until the client leaves, the feed closes or the lifetime ends: one `notify` per published
/// batch that touches `user` (a lagging receiver notifies too: something may have been missed).
async fn pump(mut socket: WebSocket, mut feed: tokio::sync::broadcast::Receiver<Arc<Feed>>, user: talat_core::UserId, _slot: WsSlot) {
    let end = tokio::time::sleep(SOCKET_LIFETIME);
    tokio::pin!(end);
    loop {
        let notify = tokio::select! {
            update = feed.recv() => match update {
                Ok(batch) => batch.private.iter().any(|(u, _)| *u == user),
                Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => false,
            },
            () = &mut end => return,
        };
        if notify {
            let sent = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(r#"{"event":"notify"}"#.into()))).await;
            if !matches!(sent, Ok(Ok(()))) {
                return;
            }
        }
    }
}
