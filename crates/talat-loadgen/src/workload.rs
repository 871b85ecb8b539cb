//! What each request is: which user sends it, which kind (place / cancel / read), its signed
//! HTTP form, and what its answer changes in the user's state. One `Workload` per connection
//! owns its users outright — a user is only ever used by one connection, one request at a
//! time — so the state needs no lock and a cancel always sees its user's latest acks.

use crate::config::{LoadgenConfig, Mix, ReadKind};
use crate::decimal::write_units;
use crate::market::Market;
use crate::rng::Rng;
use crate::sign::{demo_load_credentials, format_u64, Signer};
use crate::stats::{AckedOrder, Endpoint, Live};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Uri};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

pub const X_BTK_APIKEY: HeaderName = HeaderName::from_static("x-btk-apikey");
pub const X_BTK_TIMESTAMP: HeaderName = HeaderName::from_static("x-btk-timestamp");
pub const X_BTK_SIGN: HeaderName = HeaderName::from_static("x-btk-sign");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Depth levels asked for by the depth read.
const DEPTH_LEVELS: u32 = 10;

/// The request targets of a run, built once; cloning a `Uri` only bumps a reference count.
#[derive(Debug)]
pub struct Routes {
    pub host: HeaderValue,
    pub symbol: String,
    place_bid: Uri,
    place_ask: Uri,
    cancel: Uri,
    balances: Uri,
    depth: Uri,
    open_orders: Uri,
    /// `{"sym":"BTC_THB",` — every POST body with a symbol starts so.
    body_prefix: Vec<u8>,
}

fn uri(text: String) -> Uri {
    Uri::from_maybe_shared(Bytes::from(text)).expect("paths built from an alphanumeric symbol are valid")
}

impl Routes {
    pub fn new(host: HeaderValue, symbol: &str) -> Routes {
        Routes {
            host,
            symbol: symbol.to_string(),
            place_bid: uri("/api/v3/market/place-bid".into()),
            place_ask: uri("/api/v3/market/place-ask".into()),
            cancel: uri("/api/v3/market/cancel-order".into()),
            balances: uri("/api/v3/market/balances".into()),
            depth: uri(format!("/api/v3/market/depth?sym={symbol}&lmt={DEPTH_LEVELS}")),
            open_orders: uri(format!("/api/v3/market/my-open-orders?sym={symbol}")),
            body_prefix: format!(r#"{{"sym":"{symbol}","#).into_bytes(),
        }
    }

    /// `GET /api/v3/market/order-info?sym=…&id=…&sd=…` (verification).
    pub fn order_info(&self, id: u64, buy: bool) -> Uri {
        uri(format!("/api/v3/market/order-info?sym={}&id={id}&sd={}", self.symbol, side_name(buy)))
    }
}

fn side_name(buy: bool) -> &'static str {
    if buy {
        "buy"
    } else {
        "sell"
    }
}

/// A load user: credentials, signing key, and what the generator knows of its orders.
pub struct User {
    pub index: u32,
    pub key: HeaderValue,
    pub signer: Signer,
    next_is_ask: bool,
    read_turn: usize,
    /// Acknowledged, not yet cancelled (as far as the generator knows), newest last.
    open: VecDeque<(u64, bool)>,
}

impl User {
    pub fn demo(index: u32) -> User {
        let (key, secret) = demo_load_credentials(index);
        User {
            index,
            key: HeaderValue::from_str(&key).expect("hex is a valid header value"),
            signer: Signer::new(secret.as_bytes()),
            next_is_ask: false,
            read_turn: 0,
            open: VecDeque::new(),
        }
    }

    /// Acknowledged order ids this user could cancel.
    #[cfg(test)]
    pub fn open_orders(&self) -> impl Iterator<Item = (u64, bool)> + '_ {
        self.open.iter().copied()
    }
}

/// A signed request (or an unsigned one for public endpoints).
pub fn build_request(
    routes: &Routes,
    user: Option<&User>,
    method: Method,
    uri: &Uri,
    body: Bytes,
    timestamp_ms: u64,
) -> Request<Full<Bytes>> {
    let mut headers = HeaderMap::with_capacity(6);
    headers.insert(HOST, routes.host.clone());
    if method == Method::POST {
        headers.insert(CONTENT_TYPE, APPLICATION_JSON);
    }
    if let Some(user) = user {
        let mut buf = [0u8; 20];
        let timestamp = format_u64(timestamp_ms, &mut buf);
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        let signature = user.signer.sign(timestamp, method.as_str(), target, &body);
        headers.insert(X_BTK_APIKEY, user.key.clone());
        headers.insert(X_BTK_TIMESTAMP, HeaderValue::from_bytes(timestamp).expect("digits are a valid header value"));
        headers.insert(X_BTK_SIGN, HeaderValue::from_bytes(&signature).expect("hex is a valid header value"));
    }
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = method;
    *request.uri_mut() = uri.clone();
    *request.headers_mut() = headers;
    request
}

/// The kind of one request, decided before it is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Place { buy: bool },
    Cancel { id: u64, buy: bool },
    Read(ReadKind),
}

/// A request about to go out: whose, and what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    /// Index into the workload's users.
    pub slot: usize,
    pub op: Op,
}

impl Planned {
    pub fn endpoint(&self) -> Endpoint {
        match self.op {
            Op::Place { buy: true } => Endpoint::PlaceBid,
            Op::Place { buy: false } => Endpoint::PlaceAsk,
            Op::Cancel { .. } => Endpoint::CancelOrder,
            Op::Read(ReadKind::Balances) => Endpoint::Balances,
            Op::Read(ReadKind::Depth) => Endpoint::Depth,
            Op::Read(ReadKind::OpenOrders) => Endpoint::MyOpenOrders,
        }
    }
}

/// One connection's users and the choices it makes for them.
pub struct Workload {
    users: Vec<User>,
    next_user: usize,
    rng: Rng,
    mix: Mix,
    reads: Vec<ReadKind>,
    band_ppm: u64,
    open_cap: usize,
    market: Arc<Market>,
    routes: Arc<Routes>,
}

impl Workload {
    /// The workload of lane `lane` of `lanes`: users `u` with `u % lanes == lane`, visited in
    /// turn so each user's rate is the lane's rate divided evenly.
    pub fn new(config: &LoadgenConfig, lanes: u32, lane: u32, market: Arc<Market>, routes: Arc<Routes>) -> Workload {
        let users = (lane..config.users).step_by(lanes as usize).map(User::demo).collect();
        Workload {
            users,
            next_user: 0,
            rng: Rng::new(config.seed, lane as u64),
            mix: config.mix,
            reads: config.reads.clone(),
            band_ppm: (config.band_pct * 10_000.0).round() as u64,
            open_cap: config.open_orders_per_user as usize,
            market,
            routes,
        }
    }

    #[cfg(test)]
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// The next request: the next user in turn, a kind drawn by the mix. A cancel for a user
    /// with nothing to cancel becomes a place (counted), so the rate and the ratio of writes
    /// hold; the cancelled id leaves the user's list now, and comes back if the request gets
    /// no answer ([`Workload::settle`]).
    pub fn plan(&mut self, live: &Live) -> Planned {
        let slot = self.next_user;
        self.next_user = (self.next_user + 1) % self.users.len();
        let draw = self.rng.below(self.mix.total() as u64) as u32;
        let user = &mut self.users[slot];
        let op = if draw < self.mix.place {
            None
        } else if draw < self.mix.place + self.mix.cancel {
            match user.open.pop_back() {
                Some((id, buy)) => Some(Op::Cancel { id, buy }),
                None => {
                    Live::add(&live.cancels_replaced_by_place, 1);
                    None
                }
            }
        } else {
            let kind = self.reads[user.read_turn % self.reads.len()];
            user.read_turn = user.read_turn.wrapping_add(1);
            Some(Op::Read(kind))
        };
        let op = op.unwrap_or_else(|| {
            let buy = !user.next_is_ask;
            user.next_is_ask = buy;
            Op::Place { buy }
        });
        Planned { slot, op }
    }

    /// The signed HTTP request for `planned`.
    pub fn request(&mut self, planned: &Planned, timestamp_ms: u64) -> Request<Full<Bytes>> {
        let routes = &*self.routes;
        let user = &self.users[planned.slot];
        match planned.op {
            Op::Place { buy } => {
                let price = self.market.price_at(self.rng.symmetric(self.band_ppm));
                let qty = self.market.order_qty(price);
                let mut body = Vec::with_capacity(routes.body_prefix.len() + 64);
                body.extend_from_slice(&routes.body_prefix);
                body.extend_from_slice(br#""amt":"#);
                if buy {
                    // place-bid's amt is the THB to spend.
                    write_units(&mut body, self.market.bid_amount(price, qty), self.market.quote_scale);
                } else {
                    write_units(&mut body, qty, self.market.base_scale);
                }
                body.extend_from_slice(br#","rat":"#);
                write_units(&mut body, price, self.market.price_scale);
                body.extend_from_slice(br#","typ":"limit"}"#);
                let uri = if buy { &routes.place_bid } else { &routes.place_ask };
                build_request(routes, Some(user), Method::POST, uri, Bytes::from(body), timestamp_ms)
            }
            Op::Cancel { id, buy } => {
                let mut body = Vec::with_capacity(routes.body_prefix.len() + 48);
                body.extend_from_slice(&routes.body_prefix);
                body.extend_from_slice(br#""id":""#);
                let mut buf = [0u8; 20];
                body.extend_from_slice(format_u64(id, &mut buf));
                body.extend_from_slice(br#"","sd":""#);
                body.extend_from_slice(side_name(buy).as_bytes());
                body.extend_from_slice(br#""}"#);
                build_request(routes, Some(user), Method::POST, &routes.cancel, Bytes::from(body), timestamp_ms)
            }
            Op::Read(ReadKind::Balances) => {
                build_request(routes, Some(user), Method::POST, &routes.balances, Bytes::from_static(b"{}"), timestamp_ms)
            }
            // Public: no signature to compute or check.
            Op::Read(ReadKind::Depth) => build_request(routes, None, Method::GET, &routes.depth, Bytes::new(), timestamp_ms),
            Op::Read(ReadKind::OpenOrders) => {
                build_request(routes, Some(user), Method::GET, &routes.open_orders, Bytes::new(), timestamp_ms)
            }
        }
    }

    /// Applies an answer (`reply` = status and body) or its absence (`None`) to the user's
    /// state. Returns the body's error code and, for an acknowledged place, the order.
    pub fn settle(&mut self, planned: &Planned, reply: Option<(u16, &[u8])>, live: &Live) -> (Option<i64>, Option<AckedOrder>) {
        let user = &mut self.users[planned.slot];
        let Some((status, body)) = reply else {
            // No answer: the cancel may not have happened; keep the order cancellable.
            if let Op::Cancel { id, buy } = planned.op {
                user.open.push_back((id, buy));
            }
            return (None, None);
        };
        match planned.op {
            Op::Place { buy } => {
                let (code, id) = parse_place(body);
                let acked = (status == 200 && code == Some(0)).then_some(id).flatten();
                match acked {
                    Some(id) => {
                        if user.open.len() >= self.open_cap {
                            user.open.pop_front();
                        }
                        user.open.push_back((id, buy));
                        Live::add(&live.acked_places, 1);
                        (code, Some(AckedOrder { user: user.index, id, buy }))
                    }
                    None => {
                        if status == 200 && code == Some(0) {
                            Live::add(&live.acked_places, 1);
                            Live::add(&live.acked_without_numeric_id, 1);
                        }
                        (code, None)
                    }
                }
            }
            Op::Cancel { id, buy } => {
                let code = parse_code(body);
                // Refused before processing (rate limit, overload): the order is still open.
                if status == 429 || status >= 500 {
                    user.open.push_back((id, buy));
                }
                (code, None)
            }
            Op::Read(_) => (parse_code(body), None),
        }
    }
}

#[derive(Deserialize)]
struct CodeOnly {
    error: Option<i64>,
}

/// The `error` of a v3 envelope; `None` for a body that is not one.
pub fn parse_code(body: &[u8]) -> Option<i64> {
    serde_json::from_slice::<CodeOnly>(body).ok().and_then(|e| e.error)
}

#[derive(Deserialize)]
struct PlaceEnvelope {
    error: Option<i64>,
    result: Option<PlaceResult>,
}

#[derive(Deserialize)]
struct PlaceResult {
    #[serde(default)]
    id: NumericId,
}

/// An order id given as a string of digits (the reference) or as a number.
#[derive(Default)]
struct NumericId(Option<u64>);

impl<'de> Deserialize<'de> for NumericId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<NumericId, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = NumericId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an order id")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumericId, E> {
                Ok(NumericId(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumericId, E> {
                Ok(NumericId(u64::try_from(v).ok()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumericId, E> {
                Ok(NumericId(v.parse().ok()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<NumericId, E> {
                Ok(NumericId(None))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// The `error` and, when present, the numeric `result.id` of a place answer.
pub fn parse_place(body: &[u8]) -> (Option<i64>, Option<u64>) {
    match serde_json::from_slice::<PlaceEnvelope>(body) {
        Ok(e) => (e.error, e.result.and_then(|r| r.id.0)),
        Err(_) => (parse_code(body), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn market() -> Arc<Market> {
        Arc::new(Market {
            symbol: "BTC_THB".into(),
            price_scale: 2,
            price_step: 1,
            base_scale: 8,
            qty_step: 1,
            quote_scale: 2,
            min_quote: 1_000,
            reference_price: 350_000_000,
            reference_source: "last",
        })
    }

    fn workload(mix: Mix, users: u32) -> Workload {
        let config = LoadgenConfig { mix, users, ..LoadgenConfig::default() };
        let routes = Arc::new(Routes::new(HeaderValue::from_static("127.0.0.1:8080"), "BTC_THB"));
        Workload::new(&config, 1, 0, market(), routes)
    }

    async fn body_of(request: Request<Full<Bytes>>) -> (Request<()>, String) {
        let (parts, body) = request.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (Request::from_parts(parts, ()), String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[test]
    fn answers_are_parsed_for_code_and_id() {
        assert_eq!(parse_place(br#"{"error":0,"result":{"id":"123","typ":"limit","amt":11}}"#), (Some(0), Some(123)));
        assert_eq!(parse_place(br#"{"error":0,"result":{"id":124}}"#), (Some(0), Some(124)));
        assert_eq!(parse_place(br#"{"error":0,"result":{}}"#), (Some(0), None));
        assert_eq!(parse_place(br#"{"error":0,"result":{"id":"abc"}}"#), (Some(0), None));
        assert_eq!(parse_place(br#"{"error":90,"message":"system busy"}"#), (Some(90), None));
        assert_eq!(parse_place(b"not json"), (None, None));
        assert_eq!(parse_code(br#"{"error":30}"#), Some(30));
        assert_eq!(parse_code(br#"{"error":0,"result":[1,2,{"a":[]}]}"#), Some(0));
        assert_eq!(parse_code(br#"[{"symbol":"BTC_THB"}]"#), None);
    }

    #[tokio::test]
    async fn places_alternate_sides_and_are_signed_on_the_grid() {
        let mut w = workload(Mix { place: 1, cancel: 0, read: 0 }, 1);
        let live = Live::default();
        let mut sides = Vec::new();
        for _ in 0..6 {
            let planned = w.plan(&live);
            let Op::Place { buy } = planned.op else { panic!("{planned:?}") };
            sides.push(buy);
            let (request, body) = body_of(w.request(&planned, 1_699_376_552_354)).await;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["sym"], "BTC_THB");
            assert_eq!(v["typ"], "limit");
            // JSON numbers, on the price grid, within ±1% of 3.5M.
            let rat = v["rat"].as_f64().unwrap();
            assert!((3_465_000.0..=3_535_000.0).contains(&rat), "{body}");
            let rat_text = body.split(r#""rat":"#).nth(1).unwrap().split(',').next().unwrap();
            assert!(rat_text.split('.').nth(1).is_none_or(|f| f.len() <= 2 && !f.ends_with('0')), "{body}");
            let amt = v["amt"].as_f64().unwrap();
            if buy {
                assert!((11.0..11.1).contains(&amt), "{body}");
                assert_eq!(request.uri().path(), "/api/v3/market/place-bid");
            } else {
                assert!(amt * rat >= 11.0 && amt * rat < 11.1, "{body}");
                assert_eq!(request.uri().path(), "/api/v3/market/place-ask");
            }
            let h = request.headers();
            assert_eq!(h["x-btk-apikey"], demo_load_credentials(0).0.as_str());
            assert_eq!(h["x-btk-timestamp"], "1699376552354");
            assert_eq!(h["content-type"], "application/json");
            let (_, secret) = demo_load_credentials(0);
            let expected = Signer::new(secret.as_bytes()).sign(b"1699376552354", "POST", request.uri().path(), body.as_bytes());
            assert_eq!(h["x-btk-sign"].as_bytes(), &expected);
        }
        assert_eq!(sides, [true, false, true, false, true, false]);
    }

    #[tokio::test]
    async fn cancels_take_acknowledged_orders_newest_first_and_fall_back_to_places() {
        let mut w = workload(Mix { place: 0, cancel: 1, read: 0 }, 1);
        let live = Live::default();
        // Nothing acknowledged yet: the cancel becomes a place.
        let planned = w.plan(&live);
        assert_eq!(planned.op, Op::Place { buy: true });
        assert_eq!(Live::get(&live.cancels_replaced_by_place), 1);
        let (code, acked) = w.settle(&planned, Some((200, br#"{"error":0,"result":{"id":"41"}}"#)), &live);
        assert_eq!((code, acked), (Some(0), Some(AckedOrder { user: 0, id: 41, buy: true })));
        w.mix = Mix { place: 1, cancel: 0, read: 0 };
        let planned = w.plan(&live);
        let _ = w.settle(&planned, Some((200, br#"{"error":0,"result":{"id":"42"}}"#)), &live);
        assert_eq!(w.users()[0].open_orders().collect::<Vec<_>>(), vec![(41, true), (42, false)]);
        w.mix = Mix { place: 0, cancel: 1, read: 0 };

        let cancel = w.plan(&live);
        assert_eq!(cancel.op, Op::Cancel { id: 42, buy: false });
        let (request, body) = body_of(w.request(&cancel, 1)).await;
        assert_eq!(request.uri().path(), "/api/v3/market/cancel-order");
        assert_eq!(body, r#"{"sym":"BTC_THB","id":"42","sd":"sell"}"#);
        // Shed: the order stays cancellable. Answered: it is gone.
        assert_eq!(w.settle(&cancel, Some((503, br#"{"error":90}"#)), &live).0, Some(90));
        assert_eq!(w.users()[0].open_orders().count(), 2);
        let cancel = w.plan(&live);
        assert_eq!(cancel.op, Op::Cancel { id: 42, buy: false });
        let _ = w.settle(&cancel, Some((200, br#"{"error":0,"result":{}}"#)), &live);
        let cancel = w.plan(&live);
        assert_eq!(cancel.op, Op::Cancel { id: 41, buy: true });
        let _ = w.settle(&cancel, None, &live);
        assert_eq!(w.users()[0].open_orders().collect::<Vec<_>>(), vec![(41, true)], "no answer: kept");
    }

    #[test]
    fn the_open_order_list_is_bounded() {
        let mut w = workload(Mix { place: 1, cancel: 0, read: 0 }, 1);
        w.open_cap = 3;
        let live = Live::default();
        for id in 0..10u64 {
            let planned = w.plan(&live);
            let _ = w.settle(&planned, Some((200, format!(r#"{{"error":0,"result":{{"id":"{id}"}}}}"#).as_bytes())), &live);
        }
        assert_eq!(w.users()[0].open_orders().map(|(id, _)| id).collect::<Vec<_>>(), vec![7, 8, 9]);
        assert_eq!(Live::get(&live.acked_places), 10);
    }

    #[tokio::test]
    async fn reads_rotate_and_users_take_turns() {
        let mut w = workload(Mix { place: 0, cancel: 0, read: 1 }, 2);
        let live = Live::default();
        let mut seen = Vec::new();
        for _ in 0..6 {
            let planned = w.plan(&live);
            let (request, body) = body_of(w.request(&planned, 5)).await;
            seen.push((w.users()[planned.slot].index, request.method().clone(), request.uri().to_string(), body));
            if planned.endpoint() == Endpoint::Depth {
                assert!(!request.headers().contains_key("x-btk-sign"), "depth is public");
            } else {
                assert!(request.headers().contains_key("x-btk-sign"));
            }
        }
        let uris: Vec<_> = seen.iter().map(|s| (s.0, s.2.as_str())).collect();
        assert_eq!(
            uris,
            vec![
                (0, "/api/v3/market/balances"),
                (1, "/api/v3/market/balances"),
                (0, "/api/v3/market/depth?sym=BTC_THB&lmt=10"),
                (1, "/api/v3/market/depth?sym=BTC_THB&lmt=10"),
                (0, "/api/v3/market/my-open-orders?sym=BTC_THB"),
                (1, "/api/v3/market/my-open-orders?sym=BTC_THB"),
            ]
        );
        assert_eq!(seen[0].1, Method::POST);
        assert_eq!(seen[0].3, "{}");
        assert_eq!(seen[4].1, Method::GET);
        assert_eq!(seen[4].3, "");
    }

    #[test]
    fn lanes_split_users_without_overlap() {
        let config = LoadgenConfig { users: 10, ..LoadgenConfig::default() };
        let routes = Arc::new(Routes::new(HeaderValue::from_static("h"), "BTC_THB"));
        let mut all: Vec<u32> = (0..3)
            .flat_map(|lane| Workload::new(&config, 3, lane, market(), routes.clone()).users().iter().map(|u| u.index).collect::<Vec<_>>())
            .collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }
}
