//! What each request is: which user sends it, which kind (place / cancel / read), its signed
//! HTTP form, and what its answer changes in the user's state. One `Workload` per connection
//! owns its users outright — a user is only ever used by one connection, one request at a
//! time — so the state needs no lock and a cancel always sees its user's latest acks.

use crate::config::{LoadgenConfig, Mix, ReadKind};
use crate::decimal::write_units;
use crate::http::{write_body, write_header, write_request_line, Method};
use crate::market::Market;
use crate::rng::Rng;
use crate::sign::{demo_load_credentials, format_u64, Signer};
use crate::stats::{AckedOrder, Endpoint, Live};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

/// Depth levels asked for by the depth read.
const DEPTH_LEVELS: u32 = 10;

/// The request targets (path and query) of a run, built once.
#[derive(Debug)]
pub struct Routes {
    /// `Host` of every request.
    pub host: String,
    pub symbol: String,
    place_bid: String,
    place_ask: String,
    cancel: String,
    balances: String,
    depth: String,
    open_orders: String,
    /// `{"sym":"BTC_THB",` — every POST body with a symbol starts so.
    body_prefix: Vec<u8>,
}

impl Routes {
    /// `symbol` goes verbatim into request targets and JSON bodies: it is the market's name
    /// as the server spells it, which discovery matched (ignoring ASCII case) to the validated
    /// `--symbol`, so it is ASCII letters, digits and `_`.
    pub fn new(host: &str, symbol: &str) -> Routes {
        debug_assert!(symbol.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{symbol:?}");
        Routes {
            host: host.to_string(),
            symbol: symbol.to_string(),
            place_bid: "/api/v3/market/place-bid".into(),
            place_ask: "/api/v3/market/place-ask".into(),
            cancel: "/api/v3/market/cancel-order".into(),
            balances: "/api/v3/market/balances".into(),
            depth: format!("/api/v3/market/depth?sym={symbol}&lmt={DEPTH_LEVELS}"),
            open_orders: format!("/api/v3/market/my-open-orders?sym={symbol}"),
            body_prefix: format!(r#"{{"sym":"{symbol}","#).into_bytes(),
        }
    }

    /// `GET /api/v3/market/order-info?sym=…&id=…&sd=…` (verification).
    pub fn order_info(&self, id: u64, buy: bool) -> String {
        format!("/api/v3/market/order-info?sym={}&id={id}&sd={}", self.symbol, side_name(buy))
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
    /// `X-BTK-APIKEY`: lowercase hex.
    pub key: String,
    pub signer: Signer,
    next_is_ask: bool,
    read_turn: usize,
    /// The last timestamp signed: each request gets a later one, since a signed request works
    /// once (the same bytes within a millisecond would be a replay).
    last_ts_ms: u64,
    /// Acknowledged, not yet cancelled (as far as the generator knows), newest last.
    open: VecDeque<(u64, bool)>,
}

impl User {
    pub fn demo(index: u32) -> User {
        let (key, secret) = demo_load_credentials(index);
        User { index, key, signer: Signer::new(secret.as_bytes()), next_is_ask: false, read_turn: 0, last_ts_ms: 0, open: VecDeque::new() }
    }

    /// Acknowledged order ids this user could cancel.
    #[cfg(test)]
    pub fn open_orders(&self) -> impl Iterator<Item = (u64, bool)> + '_ {
        self.open.iter().copied()
    }
}

/// Writes a signed request (or an unsigned one for public endpoints) into `out`, whole:
/// request line, `Host`, `Content-Type` for a POST, the three `X-BTK-*` headers,
/// `Content-Length`, body. The signature covers `target` and `body` exactly as they are sent.
pub fn build_request(out: &mut Vec<u8>, routes: &Routes, user: Option<&User>, method: Method, target: &str, body: &[u8], timestamp_ms: u64) {
    write_request_line(out, method, target, &routes.host);
    if method == Method::Post {
        write_header(out, b"Content-Type", b"application/json");
    }
    if let Some(user) = user {
        let mut buf = [0u8; 20];
        let timestamp = format_u64(timestamp_ms, &mut buf);
        let signature = user.signer.sign(timestamp, method.as_str(), target, body);
        write_header(out, b"X-BTK-APIKEY", user.key.as_bytes());
        write_header(out, b"X-BTK-TIMESTAMP", timestamp);
        write_header(out, b"X-BTK-SIGN", &signature);
    }
    write_body(out, method, body);
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
    /// The body of the request being built, reused (a body is under a hundred bytes).
    body: Vec<u8>,
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
            body: Vec::with_capacity(128),
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

    /// Writes the signed HTTP request for `planned` into `out` (emptied first by the caller).
    pub fn request(&mut self, planned: &Planned, timestamp_ms: u64, out: &mut Vec<u8>) {
        let Workload { users, rng, band_ppm, market, routes, body, .. } = self;
        let routes = &**routes;
        let user = &mut users[planned.slot];
        let timestamp_ms = timestamp_ms.max(user.last_ts_ms + 1);
        user.last_ts_ms = timestamp_ms;
        let user = &*user;
        body.clear();
        match planned.op {
            Op::Place { buy } => {
                let price = market.price_at(rng.symmetric(*band_ppm));
                let qty = market.order_qty(price);
                body.extend_from_slice(&routes.body_prefix);
                body.extend_from_slice(br#""amt":"#);
                if buy {
                    // place-bid's amt is the THB to spend.
                    write_units(body, market.bid_amount(price, qty), market.quote_scale);
                } else {
                    write_units(body, qty, market.base_scale);
                }
                body.extend_from_slice(br#","rat":"#);
                write_units(body, price, market.price_scale);
                body.extend_from_slice(br#","typ":"limit"}"#);
                let target = if buy { &routes.place_bid } else { &routes.place_ask };
                build_request(out, routes, Some(user), Method::Post, target, body, timestamp_ms);
            }
            Op::Cancel { id, buy } => {
                body.extend_from_slice(&routes.body_prefix);
                body.extend_from_slice(br#""id":""#);
                let mut buf = [0u8; 20];
                body.extend_from_slice(format_u64(id, &mut buf));
                body.extend_from_slice(br#"","sd":""#);
                body.extend_from_slice(side_name(buy).as_bytes());
                body.extend_from_slice(br#""}"#);
                build_request(out, routes, Some(user), Method::Post, &routes.cancel, body, timestamp_ms);
            }
            Op::Read(ReadKind::Balances) => build_request(out, routes, Some(user), Method::Post, &routes.balances, b"{}", timestamp_ms),
            // Public: no signature to compute or check.
            Op::Read(ReadKind::Depth) => build_request(out, routes, None, Method::Get, &routes.depth, b"", timestamp_ms),
            Op::Read(ReadKind::OpenOrders) => build_request(out, routes, Some(user), Method::Get, &routes.open_orders, b"", timestamp_ms),
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
        let routes = Arc::new(Routes::new("127.0.0.1:8080", "BTC_THB"));
        Workload::new(&config, 1, 0, market(), routes)
    }

    /// A request as a server reads it.
    #[derive(Debug)]
    struct Sent {
        method: String,
        target: String,
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Sent {
        fn header(&self, name: &str) -> Option<&str> {
            let mut found = self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
            let value = found.next().map(|(_, v)| v.as_str());
            assert!(found.next().is_none(), "{name} twice");
            value
        }
    }

    /// Parses the request bytes as a server would: one whole request, nothing after it.
    fn parse_sent(bytes: &[u8]) -> Sent {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut request = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(head_len) = request.parse(bytes).unwrap() else { panic!("partial request") };
        assert_eq!(request.version, Some(1));
        let headers: Vec<(String, String)> = request.headers.iter().map(|h| (h.name.to_string(), String::from_utf8(h.value.to_vec()).unwrap())).collect();
        let body = String::from_utf8(bytes[head_len..].to_vec()).unwrap();
        let sent = Sent { method: request.method.unwrap().into(), target: request.path.unwrap().into(), headers, body };
        let length = sent.header("content-length").map_or(0, |l| l.parse().unwrap());
        assert_eq!(sent.body.len(), length, "Content-Length matches the body: {sent:?}");
        assert_eq!(sent.header("host"), Some("127.0.0.1:8080"));
        sent
    }

    fn request_of(w: &mut Workload, planned: &Planned, timestamp_ms: u64) -> Sent {
        let mut out = Vec::new();
        w.request(planned, timestamp_ms, &mut out);
        parse_sent(&out)
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

    #[test]
    fn places_alternate_sides_and_are_signed_on_the_grid() {
        let mut w = workload(Mix { place: 1, cancel: 0, read: 0 }, 1);
        let live = Live::default();
        let mut sides = Vec::new();
        let mut last_ts = 0;
        for _ in 0..6 {
            let planned = w.plan(&live);
            let Op::Place { buy } = planned.op else { panic!("{planned:?}") };
            sides.push(buy);
            let request = request_of(&mut w, &planned, 1_699_376_552_354);
            let body = &request.body;
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
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
                assert_eq!(request.target, "/api/v3/market/place-bid");
            } else {
                assert!(amt * rat >= 11.0 && amt * rat < 11.1, "{body}");
                assert_eq!(request.target, "/api/v3/market/place-ask");
            }
            assert_eq!(request.method, "POST");
            assert_eq!(request.header("x-btk-apikey"), Some(demo_load_credentials(0).0.as_str()));
            // Each request of a user gets a later timestamp than the last (a signed request
            // works once), never an earlier one than the clock's.
            let ts: u64 = request.header("x-btk-timestamp").unwrap().parse().unwrap();
            assert!(ts >= 1699376552354 && ts > last_ts, "{ts}");
            last_ts = ts;
            assert_eq!(request.header("content-type"), Some("application/json"));
            let (_, secret) = demo_load_credentials(0);
            let expected = Signer::new(secret.as_bytes()).sign(ts.to_string().as_bytes(), "POST", &request.target, body.as_bytes());
            assert_eq!(request.header("x-btk-sign").map(str::as_bytes), Some(&expected[..]));
        }
        assert_eq!(sides, [true, false, true, false, true, false]);
    }

    #[test]
    fn cancels_take_acknowledged_orders_newest_first_and_fall_back_to_places() {
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
        let request = request_of(&mut w, &cancel, 1);
        assert_eq!(request.target, "/api/v3/market/cancel-order");
        assert_eq!(request.body, r#"{"sym":"BTC_THB","id":"42","sd":"sell"}"#);
        let (_, secret) = demo_load_credentials(0);
        let expected = Signer::new(secret.as_bytes()).sign(b"1", "POST", "/api/v3/market/cancel-order", request.body.as_bytes());
        assert_eq!(request.header("x-btk-sign").map(str::as_bytes), Some(&expected[..]));
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

    #[test]
    fn reads_rotate_and_users_take_turns() {
        let mut w = workload(Mix { place: 0, cancel: 0, read: 1 }, 2);
        let live = Live::default();
        let mut seen = Vec::new();
        for _ in 0..6 {
            let planned = w.plan(&live);
            let request = request_of(&mut w, &planned, 5);
            let user = w.users()[planned.slot].index;
            if planned.endpoint() == Endpoint::Depth {
                assert_eq!(request.header("x-btk-sign"), None, "depth is public");
                assert_eq!(request.header("x-btk-apikey"), None);
            } else {
                // The signed target is path and query, exactly as sent.
                let (_, secret) = demo_load_credentials(user);
                let ts = request.header("x-btk-timestamp").unwrap().to_string();
                let expected = Signer::new(secret.as_bytes()).sign(ts.as_bytes(), &request.method, &request.target, request.body.as_bytes());
                assert_eq!(request.header("x-btk-sign").map(str::as_bytes), Some(&expected[..]), "{request:?}");
            }
            // Only a POST says what its body is.
            assert_eq!(request.header("content-type").is_some(), request.method == "POST");
            seen.push((user, request.method, request.target, request.body));
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
        assert_eq!(seen[0].1, "POST");
        assert_eq!(seen[0].3, "{}");
        assert_eq!(seen[4].1, "GET");
        assert_eq!(seen[4].3, "");
    }

    #[test]
    fn lanes_split_users_without_overlap() {
        let config = LoadgenConfig { users: 10, ..LoadgenConfig::default() };
        let routes = Arc::new(Routes::new("h", "BTC_THB"));
        let mut all: Vec<u32> =
            (0..3).flat_map(|lane| Workload::new(&config, 3, lane, market(), routes.clone()).users().iter().map(|u| u.index).collect::<Vec<_>>()).collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }
}
