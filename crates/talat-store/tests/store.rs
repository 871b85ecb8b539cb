//! The store against a real engine stream, on SQLite and on a real PostgreSQL.
//!
//! Each scenario is an `async fn(&TestDb)`. On SQLite every scenario is its own test; on
//! PostgreSQL one test starts a throwaway server and runs every scenario on a fresh database
//! (one server start instead of one per scenario keeps the suite at a few seconds).

#[macro_use]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use support::*;
use talat_core::*;
use talat_store::*;

// ---------------------------------------------------------------------------------------------
// A trading stream: fills across levels, market orders, FOK, IOC, post-only rejection, an
// insufficient-balance rejection, cancels, an amend, a stop that triggers, self-trade
// prevention, a second market, withdrawals settled and released, a compensation, a duplicate
// deposit — over several minutes so that candles span buckets.

struct Story {
    sim: Sim,
    cancelled: OrderId,
    killed: OrderId,
    first_taker: OrderId,
    market_buy: OrderId,
    stop: OrderId,
    amended: OrderId,
    stp_taker: OrderId,
    resting: OrderId,
    pending_stop: OrderId,
    users: [UserId; 4],
}

fn trading_story() -> Story {
    let mut sim = Sim::new();
    let (a, b, c) = (sim.rich_user(), sim.rich_user(), sim.rich_user());
    let d = sim.user();
    sim.deposit(d, THB, 100 * THB_1);
    sim.tick(1_000);

    sim.limit(a, Side::Sell, 1_000_000, 10_000_000);
    sim.limit(a, Side::Sell, 1_001_000, 10_000_000);
    sim.limit(a, Side::Sell, 1_002_000, 20_000_000);
    let amended = sim.limit(b, Side::Buy, 990_000, 5_000_000);
    sim.limit(b, Side::Buy, 995_000, 5_000_000);
    sim.tick(30_000);

    // Fills the 1_000_000 ask and half of the 1_001_000 one.
    let first_taker = sim.limit(c, Side::Buy, 1_001_000, 15_000_000);
    sim.tick(45_000);
    let market_buy = sim.place_in(BTC_THB, c, Side::Buy, OrderKind::Market { amount: Amount(50_000 * THB_1) }).0.expect("accepted");
    sim.place_in(BTC_THB, c, Side::Sell, OrderKind::Market { amount: Amount(3_000_000) }).0.expect("accepted");
    sim.tick(61_000);

    let post_only = OrderKind::Limit { price: Price(1_002_000 * THB_1), qty: Qty(1_000_000), tif: TimeInForce::PostOnly };
    let reason =
        sim.rejected(Command::PlaceOrder(NewOrder { user: b, market: BTC_THB, side: Side::Buy, kind: post_only, client_id: None, stp: StpMode::ExpireTaker }));
    assert_eq!(reason, RejectReason::PostOnlyWouldTake);
    let poor = OrderKind::Limit { price: Price(1_000_000 * THB_1), qty: Qty(1_000_000), tif: TimeInForce::Gtc };
    let reason =
        sim.rejected(Command::PlaceOrder(NewOrder { user: d, market: BTC_THB, side: Side::Buy, kind: poor, client_id: None, stp: StpMode::ExpireTaker }));
    assert_eq!(reason, RejectReason::InsufficientBalance);
    let fok = OrderKind::Limit { price: Price(1_002_000 * THB_1), qty: Qty(BTC_1), tif: TimeInForce::Fok };
    let killed = sim.place_in(BTC_THB, b, Side::Buy, fok).0.expect("accepted, then killed");
    let ioc = OrderKind::Limit { price: Price(1_002_000 * THB_1), qty: Qty(30_000_000), tif: TimeInForce::Ioc };
    sim.place_in(BTC_THB, b, Side::Buy, ioc).0.expect("accepted");

    let cancelled = sim.limit(a, Side::Sell, 1_010_000, 10_000_000);
    sim.tick(5_000);
    sim.ok(Command::CancelOrder { user: a, order: cancelled });
    sim.ok(Command::AmendOrder { user: b, order: amended, price: Some(Price(992_000 * THB_1)), qty: Some(Qty(4_000_000)) });
    let stop_kind = OrderKind::StopLimit { stop_price: Price(994_000 * THB_1), price: Price(993_000 * THB_1), qty: Qty(2_000_000) };
    let stop = sim.place_in(BTC_THB, a, Side::Sell, stop_kind).0.expect("accepted");
    sim.tick(70_000);
    let resting = sim.limit(c, Side::Sell, 995_000, 5_000_000);
    // Hits the amended 992_000 bid: the last price falls below the stop, which triggers.
    sim.place_in(BTC_THB, c, Side::Sell, OrderKind::Market { amount: Amount(5_000_000) }).0.expect("accepted");
    // Fills the triggered stop, then reaches c's own 995_000 ask: self-trade prevention
    // expires the taker.
    let stp_taker = sim.limit(c, Side::Buy, 995_000, 3_000_000);
    let far_stop = OrderKind::StopLimit { stop_price: Price(900_000 * THB_1), price: Price(899_000 * THB_1), qty: Qty(2_000_000) };
    let pending_stop = sim.place_in(BTC_THB, a, Side::Sell, far_stop).0.expect("accepted");

    sim.tick(3_600_000);
    let eth = |p: u64, q: u64| OrderKind::Limit { price: Price(p * THB_1), qty: Qty(q), tif: TimeInForce::Gtc };
    sim.place_in(ETH_THB, a, Side::Sell, eth(50_000, BTC_1)).0.expect("accepted");
    sim.place_in(ETH_THB, b, Side::Buy, eth(50_000, BTC_1 / 2)).0.expect("accepted");

    sim.ok(Command::WithdrawalHold { user: a, asset: THB, amount: Amount(1_000 * THB_1), fee: Amount(10 * THB_1), withdrawal_id: ExternalId("w1".into()) });
    sim.ok(Command::WithdrawalHold { user: b, asset: BTC, amount: Amount(BTC_1 / 10), fee: Amount(10_000), withdrawal_id: ExternalId("w2".into()) });
    sim.tick(1_000);
    sim.ok(Command::WithdrawalSettle { withdrawal_id: ExternalId("w1".into()) });
    sim.ok(Command::WithdrawalRelease { withdrawal_id: ExternalId("w2".into()) });
    sim.ok(Command::Compensate { user: c, asset: THB, amount: Amount(5 * THB_1), reference: ExternalId("comp-1".into()) });
    let dup = sim.ok(Command::Deposit { user: d, asset: THB, amount: Amount(100 * THB_1), external_id: ExternalId("dep-7".into()) });
    assert!(matches!(dup.as_slice(), [Event::Duplicate { .. }]), "{dup:?}");
    sim.ok(Command::SetFees { market: ETH_THB, maker_fee_ppm: 1_000, taker_fee_ppm: 2_000 });
    sim.ok(Command::SetMarketMode { market: ETH_THB, mode: TradingMode::CancelOnly });

    Story { sim, cancelled, killed, first_taker, market_buy, stop, amended, stp_taker, resting, pending_stop, users: [a, b, c, d] }
}

/// Projects the log in chunks of varying sizes, so orders are updated both within one
/// transaction and across transactions.
async fn project_in_chunks(store: &Store, log: &[Applied]) {
    let sizes = [1usize, 2, 7, 3, 11, 5];
    let mut at = 0;
    for size in sizes.iter().cycle() {
        if at >= log.len() {
            break;
        }
        let end = (at + size).min(log.len());
        let seq = store.project(&log[at..end]).await.expect("projecting");
        assert_eq!(seq, log[end - 1].input.seq);
        at = end;
    }
}

/// Everything the store answers, checked against the events (and, for balances, the engine).
async fn check_against_log(store: &Store, sim: &Sim) {
    let log = &sim.log;
    assert_eq!(store.projected_seq().await.unwrap(), sim.seq);

    // Listings.
    let assets = store.assets().await.unwrap();
    assert_eq!(assets.iter().map(|a| (a.asset, a.code.as_str(), a.scale)).collect::<Vec<_>>(), vec![(THB, "THB", 2), (BTC, "BTC", 8), (ETH, "ETH", 8)]);
    let markets = store.markets().await.unwrap();
    assert_eq!(markets.len(), 2);
    assert_eq!((markets[0].market, markets[0].symbol.as_str(), markets[0].base_asset, markets[0].quote_asset), (BTC_THB, "BTC_THB", BTC, THB));
    assert_eq!((markets[1].maker_fee_ppm, markets[1].taker_fee_ppm, markets[1].mode), (1_000, 2_000, TradingMode::CancelOnly));
    assert_eq!(markets[0].mode, TradingMode::Open);

    // Orders: exactly the accepted ones, each as its events say.
    let expected = expected_orders(log);
    let users: Vec<UserId> = (0..sim.engine_users()).map(UserId).collect();
    let mut total = 0;
    for &user in &users {
        for market in [BTC_THB, ETH_THB] {
            let page = store.order_history(user, market, &HistoryQuery { page: Some(1), limit: 1, ..Default::default() }).await.unwrap();
            total += page.total.unwrap();
        }
    }
    assert_eq!(total, expected.len() as u64, "one row per accepted order, none for rejected ones");
    for (id, e) in &expected {
        let row = store.order(*id).await.unwrap().unwrap_or_else(|| panic!("order {id:?} missing"));
        assert_eq!((row.user, row.market, row.side), (e.user, e.market, e.side), "{id:?}");
        assert_eq!((row.filled_qty, row.filled_quote, row.fee), (e.filled_qty, e.filled_quote, e.fee), "{id:?}");
        assert_eq!(row.created_ts_ms, e.created_ts_ms);
        match e.done {
            Some((reason, remaining)) => {
                assert_eq!(row.status.done_reason(), Some(reason), "{id:?}");
                assert_eq!(row.remaining_qty, Some(remaining), "{id:?}");
                assert!(row.closed_ts_ms.is_some());
            }
            None => {
                assert!(!row.status.is_final(), "{id:?} is live but {:?}", row.status);
                assert_eq!(row.closed_ts_ms, None);
            }
        }
        let fills = store.fills_of(*id, MAX_LIMIT).await.unwrap();
        assert_eq!(fills.iter().map(|f| f.qty).sum::<u64>(), e.filled_qty, "{id:?}");
        assert_eq!(fills.iter().map(|f| f.quote).sum::<u64>(), e.filled_quote, "{id:?}");
        assert!(fills.iter().all(|f| f.order == *id && f.side == e.side && f.user == e.user));
    }

    // Trades: every one, with its stable id, newest first per market.
    let trades = trades_in(log);
    for market in [BTC_THB, ETH_THB] {
        let want: Vec<(u64, u32, u64, u64, u64)> = trades
            .iter()
            .rev()
            .filter_map(|(seq, idx, _, e)| match e {
                Event::Trade { market: m, price, qty, quote_paid, .. } if *m == market => Some((*seq, *idx, price.0, qty.0, quote_paid.0)),
                _ => None,
            })
            .collect();
        let got: Vec<_> = store.recent_trades(market, MAX_LIMIT).await.unwrap().iter().map(|t| (t.seq, t.idx, t.price, t.qty, t.quote_paid)).collect();
        assert_eq!(got, want, "trades of {market:?}");
        let latest = store.recent_trades(market, 2).await.unwrap();
        assert_eq!(latest.len(), want.len().min(2));
    }

    // Postings: all of them; per asset they sum to zero, and each user's accounts end where the
    // engine's balances are.
    let mut balances: BTreeMap<(AssetId, Account), i128> = BTreeMap::new();
    let mut count = 0;
    for asset in [THB, BTC, ETH] {
        let mut after = None;
        loop {
            let page = store.postings_of_asset(asset, after, 7).await.unwrap();
            let Some(last) = page.last() else { break };
            after = Some((last.seq, last.idx));
            for p in &page {
                count += 1;
                *balances.entry((asset, p.from)).or_default() -= p.amount as i128;
                *balances.entry((asset, p.to)).or_default() += p.amount as i128;
            }
        }
        let sum: i128 = balances.iter().filter(|((a, _), _)| *a == asset).map(|(_, v)| v).sum();
        assert_eq!(sum, 0, "postings of {asset:?} sum to zero");
        for &user in &users {
            let b = sim.engine.balance(user, asset).unwrap();
            assert_eq!(balances.get(&(asset, Account::Available(user))).copied().unwrap_or(0), b.available as i128);
            assert_eq!(balances.get(&(asset, Account::Held(user))).copied().unwrap_or(0), b.held as i128);
        }
    }
    let posting_events = log.iter().flat_map(|a| &a.events).filter(|e| matches!(e, Event::Posting { .. })).count();
    assert_eq!(count, posting_events);
    for &user in &users {
        let mine = store.postings_of(user, THB, 3).await.unwrap();
        let want: Vec<(u64, u32)> = log
            .iter()
            .rev()
            .flat_map(|a| {
                let seq = a.input.seq;
                let ps: Vec<_> = a.events.iter().filter(|e| matches!(e, Event::Posting { .. })).enumerate().collect();
                ps.into_iter().rev().filter_map(move |(i, e)| match e {
                    Event::Posting { asset, from, to, .. } if *asset == THB && (account_user(*from) == Some(user) || account_user(*to) == Some(user)) => {
                        Some((seq, i as u32))
                    }
                    _ => None,
                })
            })
            .take(3)
            .collect();
        assert_eq!(mine.iter().map(|p| (p.seq, p.idx)).collect::<Vec<_>>(), want, "latest THB postings of {user:?}");
    }

    // Candles: OHLCV per bucket exactly as the trades say, for every resolution.
    for market in [BTC_THB, ETH_THB] {
        for resolution in Resolution::ALL {
            let mut want: BTreeMap<u64, Ohlcv> = BTreeMap::new();
            for (_, _, ts, e) in &trades {
                let Event::Trade { market: m, price, qty, quote_paid, .. } = e else { unreachable!() };
                if *m != market {
                    continue;
                }
                let c = want.entry(resolution.bucket_start(*ts)).or_insert((price.0, price.0, price.0, price.0, 0, 0, 0));
                c.1 = c.1.max(price.0);
                c.2 = c.2.min(price.0);
                c.3 = price.0;
                c.4 += qty.0;
                c.5 += quote_paid.0;
                c.6 += 1;
            }
            let got = store.candles(market, resolution, 0, u64::MAX, MAX_CANDLES).await.unwrap();
            let got: BTreeMap<u64, _> = got.iter().map(|c| (c.bucket_start_s, (c.open, c.high, c.low, c.close, c.volume, c.quote_volume, c.trades))).collect();
            assert_eq!(got, want, "{market:?} {resolution:?}");
        }
    }
}

/// open, high, low, close, volume, quote volume, trades.
type Ohlcv = (u64, u64, u64, u64, u64, u64, u64);

fn account_user(a: Account) -> Option<UserId> {
    match a {
        Account::Available(u) | Account::Held(u) => Some(u),
        _ => None,
    }
}

trait EngineUsers {
    fn engine_users(&self) -> u32;
}

impl EngineUsers for Sim {
    fn engine_users(&self) -> u32 {
        self.log.iter().flat_map(|a| &a.events).filter(|e| matches!(e, Event::UserCreated { .. })).count() as u32
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async fn projects_a_real_trading_stream(db: &TestDb) {
    let story = trading_story();
    let store = db.connect().await;
    assert_eq!(store.projected_seq().await.unwrap(), 0);
    project_in_chunks(&store, &story.sim.log).await;
    check_against_log(&store, &story.sim).await;

    let [a, b, c, d] = story.users;
    let order = |id| {
        let store = store.clone();
        async move { store.order(id).await.unwrap().unwrap() }
    };
    let cancelled = order(story.cancelled).await;
    assert_eq!((cancelled.status, cancelled.remaining_qty, cancelled.filled_qty), (OrderStatus::Cancelled, Some(10_000_000), 0));
    let killed = order(story.killed).await;
    assert_eq!((killed.status, killed.filled_qty, killed.tif), (OrderStatus::Killed, 0, TimeInForce::Fok));
    let first = order(story.first_taker).await;
    assert_eq!((first.status, first.filled_qty, first.order_type), (OrderStatus::Filled, 15_000_000, OrderType::Limit));
    // 0.1 BTC at 1_000_000 and 0.05 at 1_001_000, in satang; the fee is in BTC (a buy).
    assert_eq!(first.filled_quote, 10_000_000 + 5_005_000);
    assert!(first.fee > 0);
    let market_buy = order(story.market_buy).await;
    assert_eq!((market_buy.order_type, market_buy.qty, market_buy.amount, market_buy.price), (OrderType::Market, None, Some(5_000_000), None));
    assert!(market_buy.filled_qty > 0 && market_buy.filled_quote <= 5_000_000);
    let stop = order(story.stop).await;
    // Triggered, rested, then filled by the self-trade-prevented taker.
    assert_eq!((stop.order_type, stop.stop_price, stop.status), (OrderType::StopLimit, Some(994_000 * THB_1), OrderStatus::Filled));
    assert_eq!((stop.filled_qty, stop.fee), (2_000_000, 4_965));
    let amended = order(story.amended).await;
    assert_eq!((amended.price, amended.qty), (Some(992_000 * THB_1), Some(4_000_000)));
    assert_eq!((amended.status, amended.filled_qty), (OrderStatus::Filled, 4_000_000));
    let stp = order(story.stp_taker).await;
    assert_eq!((stp.status, stp.filled_qty, stp.remaining_qty), (OrderStatus::SelfTradePrevented, 2_000_000, Some(1_000_000)));
    assert!(store.order(OrderId(1_000_000)).await.unwrap().is_none());

    let open = store.open_orders(a, Some(BTC_THB), MAX_LIMIT).await.unwrap();
    assert_eq!(open.iter().map(|o| (o.order, o.status)).collect::<Vec<_>>(), vec![(story.pending_stop, OrderStatus::Stop)]);
    let open = store.open_orders(c, None, MAX_LIMIT).await.unwrap();
    assert_eq!(open.iter().map(|o| (o.order, o.status)).collect::<Vec<_>>(), vec![(story.resting, OrderStatus::Open)]);
    assert_eq!(open[0].filled_qty, 2_000_000);

    let deposits = store.deposits_of(d, 10).await.unwrap();
    assert_eq!(deposits.len(), 1, "the duplicate deposit is not a second row");
    assert_eq!((deposits[0].asset, deposits[0].amount), (THB, 100 * THB_1));
    assert_eq!(store.deposits_of(a, 10).await.unwrap().len(), 3);
    let w = store.withdrawals_of(a, 10).await.unwrap();
    assert_eq!((w[0].withdrawal_id.as_str(), w[0].status, w[0].amount, w[0].fee), ("w1", WithdrawalStatus::Settled, 1_000 * THB_1, 10 * THB_1));
    let w = store.withdrawals_of(b, 10).await.unwrap();
    assert_eq!((w[0].withdrawal_id.as_str(), w[0].status), ("w2", WithdrawalStatus::Released));
    let comp = store.compensations_of(c, 10).await.unwrap();
    assert_eq!((comp[0].external_id.as_str(), comp[0].amount), ("comp-1", 5 * THB_1));
}

async fn projecting_is_idempotent_and_resumes_after_a_crash(db: &TestDb) {
    let story = trading_story();
    let log = &story.sim.log;
    let mid = log.len() / 2;

    // First life: two transactions, then the process "dies" between transactions.
    let store = db.connect().await;
    store.project(&log[..mid / 2]).await.unwrap();
    store.project(&log[mid / 2..mid]).await.unwrap();
    // The same batch again changes nothing.
    assert_eq!(store.project(&log[..mid]).await.unwrap(), log[mid - 1].input.seq);
    store.close().await;
    drop(store);

    // Second life: the store knows where it stands; a transaction that fails half-way leaves
    // nothing behind.
    let store = db.connect().await;
    let at = store.projected_seq().await.unwrap();
    assert_eq!(at, log[mid - 1].input.seq);
    let trades_before = store.recent_trades(BTC_THB, MAX_LIMIT).await.unwrap().len();
    let mut poisoned = log[mid..].to_vec();
    let bogus_seq = poisoned.last().unwrap().input.seq + 1;
    poisoned.push(Applied {
        input: Input { seq: bogus_seq, ts_ms: story.sim.ts_ms, command: Command::CancelOrder { user: UserId(0), order: OrderId(999_999) } },
        events: vec![Event::OrderDone { order: OrderId(999_999), reason: DoneReason::Cancelled, remaining: Qty(1) }],
    });
    let err = store.project(&poisoned).await.unwrap_err();
    assert!(matches!(err, StoreError::Inconsistent { .. }), "{err}");
    assert_eq!(store.projected_seq().await.unwrap(), at, "a failed transaction moves nothing");
    assert_eq!(store.recent_trades(BTC_THB, MAX_LIMIT).await.unwrap().len(), trades_before);

    // A gap is refused.
    let err = store.project(&log[mid + 1..]).await.unwrap_err();
    assert!(matches!(err, StoreError::Gap { projected, next } if projected == at && next == at + 2), "{err}");

    // Overlapping batches in one call (a replay that started early, then the live batches):
    // every command is taken once.
    let overlap: Vec<Applied> = log[mid - 3..mid + 4].iter().chain(&log[mid + 1..mid + 6]).cloned().collect();
    assert_eq!(store.project(&overlap).await.unwrap(), log[mid + 5].input.seq);
    // One command at a time, as the replay callback hands them over.
    let next = &log[mid + 6];
    assert_eq!(store.project_one(&next.input, &next.events).await.unwrap(), next.input.seq);
    assert_eq!(store.project_one(&next.input, &next.events).await.unwrap(), next.input.seq);

    // Replaying from the start skips what is there and projects the rest.
    assert_eq!(store.project(log).await.unwrap(), story.sim.seq);
    check_against_log(&store, &story.sim).await;
    // And once more: nothing changes.
    assert_eq!(store.project(log).await.unwrap(), story.sim.seq);
    check_against_log(&store, &story.sim).await;
    assert!(store.project(&[]).await.is_ok());
}

async fn order_history_pages_and_cursors(db: &TestDb) {
    let mut sim = Sim::new();
    let (u, other) = (sim.rich_user(), sim.rich_user());
    let mut mine = Vec::new();
    for i in 0..23u64 {
        // Three orders per time stamp: ties are broken by order id.
        if i % 3 == 0 {
            sim.tick(1_000);
        }
        mine.push((sim.limit(u, Side::Buy, 900_000 + i * 100, 100_000), sim.ts_ms));
        sim.limit(other, Side::Buy, 900_000 + i * 100, 100_000);
        let eth = OrderKind::Limit { price: Price(40_000 * THB_1), qty: Qty(BTC_1 / 10), tif: TimeInForce::Gtc };
        sim.place_in(ETH_THB, u, Side::Buy, eth);
    }
    let store = db.connect().await;
    store.project(&sim.log).await.unwrap();
    let newest_first: Vec<OrderId> = mine.iter().rev().map(|(id, _)| *id).collect();

    // Page mode.
    let mut paged = Vec::new();
    for page in 1..=5u32 {
        let p = store.order_history(u, BTC_THB, &HistoryQuery { page: Some(page), limit: 5, ..Default::default() }).await.unwrap();
        assert_eq!((p.total, p.last_page, p.page), (Some(23), Some(5), Some(page)));
        assert_eq!(p.has_next, page < 5);
        assert_eq!(p.orders.len(), if page < 5 { 5 } else { 3 });
        assert!(p.orders.iter().all(|o| o.user == u && o.market == BTC_THB));
        paged.extend(p.orders.iter().map(|o| o.order));
    }
    assert_eq!(paged, newest_first, "pages cover every order once, newest first");
    let past = store.order_history(u, BTC_THB, &HistoryQuery { page: Some(6), limit: 5, ..Default::default() }).await.unwrap();
    assert!(past.orders.is_empty() && !past.has_next);

    // Keyset mode.
    let mut keyset = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let p = store.order_history(u, BTC_THB, &HistoryQuery { cursor, limit: 4, ..Default::default() }).await.unwrap();
        assert_eq!(p.total, None);
        keyset.extend(p.orders.iter().map(|o| o.order));
        if !p.has_next {
            assert_eq!(p.next_cursor, None);
            break;
        }
        cursor = p.next_cursor;
        assert_eq!(cursor, p.orders.last().map(OrderRow::cursor));
    }
    assert_eq!(keyset, newest_first, "cursors cover every order once, newest first");

    // A time window, inclusive at both ends, in both modes.
    let (start, end) = (mine[6].1, mine[14].1);
    let window: Vec<OrderId> = mine.iter().rev().filter(|(_, ts)| *ts >= start && *ts <= end).map(|(id, _)| *id).collect();
    let p = store
        .order_history(u, BTC_THB, &HistoryQuery { page: Some(1), limit: 100, start_ms: Some(start), end_ms: Some(end), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(p.orders.iter().map(|o| o.order).collect::<Vec<_>>(), window);
    assert_eq!(p.total, Some(window.len() as u64));
    let q = HistoryQuery { cursor: Some(p.orders[1].cursor()), limit: 100, start_ms: Some(start), end_ms: Some(end), ..Default::default() };
    let rest = store.order_history(u, BTC_THB, &q).await.unwrap();
    assert_eq!(rest.orders.iter().map(|o| o.order).collect::<Vec<_>>(), window[2..].to_vec());

    // Limits are clamped, never unbounded.
    let one = store.order_history(u, BTC_THB, &HistoryQuery { limit: 0, ..Default::default() }).await.unwrap();
    assert_eq!(one.orders.len(), 1);
    assert!(one.has_next);
    let empty = store.order_history(UserId(99), BTC_THB, &HistoryQuery { page: Some(1), limit: 5, ..Default::default() }).await.unwrap();
    assert_eq!((empty.total, empty.last_page, empty.orders.len()), (Some(0), Some(1), 0));
}

async fn the_projector_coalesces_catches_up_and_stops_on_failure(db: &TestDb) {
    let story = trading_story();
    let log = Arc::new(story.sim.log.clone());
    let store = db.connect().await;
    let handle = Projector::spawn(store.clone(), 2);

    // Live path: batches from a plain thread, as the sequencer's publisher sends them. The
    // first half goes through the projector; then a restart catches up with a replay.
    let half = log.len() / 2;
    // A reader that waits for a seq not yet projected marks demand, once, for a feeder that
    // gathers commands by time; a reader whose seq is already there does not.
    assert!(!handle.take_demand());
    let early = log[0].input.seq;
    assert!(tokio::time::timeout(Duration::from_millis(20), handle.wait_for(early)).await.is_err());
    assert!(handle.take_demand());
    assert!(!handle.take_demand());
    let sender = handle.clone();
    let first: Vec<Arc<Vec<Applied>>> = log[..half].chunks(3).map(|c| Arc::new(c.to_vec())).collect();
    tokio::task::spawn_blocking(move || first.into_iter().try_for_each(|b| sender.send(b))).await.unwrap().unwrap();
    let half_seq = log[half - 1].input.seq;
    tokio::time::timeout(Duration::from_secs(60), handle.wait_for(half_seq)).await.unwrap().unwrap();
    assert!(handle.projected_seq() >= half_seq);
    handle.take_demand();
    handle.wait_for(half_seq).await.unwrap();
    assert!(!handle.take_demand(), "a reader that need not wait marks no demand");
    assert_eq!(handle.shutdown().await.unwrap(), half_seq);
    assert!(matches!(handle.send_async(Arc::new(Vec::new())).await, Err(ProjectorError::Stopped)));

    // Restart: replay from the beginning (earlier than needed) through a Catchup.
    let store = db.connect().await;
    let handle = Projector::spawn(store.clone(), 2);
    let replayer = handle.clone();
    let replay = log.clone();
    let last = tokio::task::spawn_blocking(move || {
        let mut catchup = Catchup::new(&replayer, 5);
        for a in replay.iter() {
            catchup.push(&a.input, &a.events);
        }
        catchup.finish()
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(last, Some(story.sim.seq));
    tokio::time::timeout(Duration::from_secs(60), handle.wait_for(story.sim.seq)).await.unwrap().unwrap();
    check_against_log(&store, &story.sim).await;

    // A gap stops the projector loudly; the store stays where it was.
    let gap = Applied { input: Input { seq: story.sim.seq + 5, ts_ms: story.sim.ts_ms, command: Command::CreateUser }, events: vec![] };
    handle.send_async(Arc::new(vec![gap])).await.unwrap();
    let err = tokio::time::timeout(Duration::from_secs(60), handle.wait_for(story.sim.seq + 5)).await.unwrap().unwrap_err();
    assert!(matches!(&err, ProjectorError::Failed(e) if matches!(**e, StoreError::Gap { .. })), "{err}");
    assert!(handle.failure().is_some());
    let sender = handle.clone();
    let refused = tokio::task::spawn_blocking(move || sender.send(Arc::new(Vec::new()))).await.unwrap();
    assert!(matches!(refused, Err(ProjectorError::Failed(_))));
    assert!(handle.shutdown().await.is_err());
    assert_eq!(store.projected_seq().await.unwrap(), story.sim.seq);
}

async fn api_keys_are_stored_and_revoked(db: &TestDb) {
    let store = db.connect().await;
    let key = |name: &str, user: u32, created_ms: u64| ApiKeyRow {
        api_key: name.to_string(),
        user: UserId(user),
        secret_ciphertext: vec![0, 1, 2, 255, 0],
        secret_nonce: vec![9; 12],
        perms: PERM_TRADE | PERM_WITHDRAW,
        ip_allow: "127.0.0.1,10.0.0.1".into(),
        created_ms,
        revoked_ms: None,
    };
    store.insert_api_key(&key("k1", 1, 10)).await.unwrap();
    store.insert_api_key(&key("k2", 2, 20)).await.unwrap();
    assert!(matches!(store.insert_api_key(&key("k1", 3, 30)).await, Err(StoreError::DuplicateApiKey(k)) if k == "k1"));
    assert_eq!(store.api_keys().await.unwrap(), vec![key("k1", 1, 10), key("k2", 2, 20)]);
    assert!(store.revoke_api_key("k1", 50).await.unwrap());
    assert!(!store.revoke_api_key("k1", 60).await.unwrap(), "the first revocation stands");
    assert!(!store.revoke_api_key("nope", 60).await.unwrap());
    let k1 = store.api_key("k1").await.unwrap().unwrap();
    assert_eq!(k1.revoked_ms, Some(50));
    assert!(!k1.allows(PERM_TRADE));
    let k2 = store.api_key("k2").await.unwrap().unwrap();
    assert!(k2.allows(PERM_TRADE) && !k2.allows(PERM_DEPOSIT));
    assert_eq!(store.api_keys_of(UserId(2)).await.unwrap(), vec![key("k2", 2, 20)]);
    assert!(store.api_key("nope").await.unwrap().is_none());
}

/// The web app's per-user reads across markets: order history (all markets or one, paged),
/// fills from either side of a trade, bounded by their limits.
async fn user_histories_across_markets(db: &TestDb) {
    let mut sim = Sim::new();
    let (u, v) = (sim.rich_user(), sim.rich_user());
    let eth = OrderKind::Limit { price: Price(40_000 * THB_1), qty: Qty(BTC_1 / 10), tif: TimeInForce::Gtc };
    let mut mine = Vec::new();
    for i in 0..5u64 {
        sim.tick(1_000);
        // BTC: u's sell rests and v takes it (u is the maker).
        mine.push(sim.limit(u, Side::Sell, 1_000_000 + i * 100, 100_000));
        sim.limit(v, Side::Buy, 1_000_000 + i * 100, 100_000);
        // ETH: v's sell rests and u takes it (u is the taker).
        sim.place_in(ETH_THB, v, Side::Sell, eth);
        mine.push(sim.place_in(ETH_THB, u, Side::Buy, eth).0.unwrap());
    }
    sim.tick(1_000);
    let open = sim.limit(u, Side::Buy, 900_000, 100_000);
    mine.push(open);
    let store = db.connect().await;
    store.project(&sim.log).await.unwrap();
    let newest_first: Vec<OrderId> = mine.iter().rev().copied().collect();

    // Orders in every market, newest first, paged.
    let mut paged = Vec::new();
    for page in 1..=3u32 {
        let p = store.user_order_history(u, None, &HistoryQuery { page: Some(page), limit: 4, ..Default::default() }).await.unwrap();
        assert_eq!((p.total, p.last_page, p.page), (Some(11), Some(3), Some(page)));
        paged.extend(p.orders.iter().map(|o| o.order));
    }
    assert_eq!(paged, newest_first);
    let eth_only = store.user_order_history(u, Some(ETH_THB), &HistoryQuery { page: Some(1), limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(eth_only.total, Some(5));
    assert!(eth_only.orders.iter().all(|o| o.market == ETH_THB && o.user == u));
    assert_eq!(
        store.order_history(u, BTC_THB, &HistoryQuery { page: Some(1), limit: 100, ..Default::default() }).await.unwrap().total,
        Some(6),
        "order_history is the one-market case"
    );

    // Fills: the market's trades seen from u's side, newest first.
    let mut expected = Vec::new();
    for m in [BTC_THB, ETH_THB] {
        for t in store.recent_trades(m, 1_000).await.unwrap() {
            if t.maker_user == u {
                expected.push(t.fill_of(t.maker_order).unwrap());
            }
            if t.taker_user == u {
                expected.push(t.fill_of(t.taker_order).unwrap());
            }
        }
    }
    expected.sort_by_key(|f| std::cmp::Reverse((f.seq, f.idx)));
    assert_eq!(expected.len(), 10);
    let fills = store.user_fills(u, None, 1_000).await.unwrap();
    assert_eq!(fills, expected);
    assert!(fills.iter().all(|f| f.user == u && f.is_maker == (f.market == BTC_THB)));
    assert!(fills.iter().all(|f| f.side == if f.market == BTC_THB { Side::Sell } else { Side::Buy }));
    let btc = store.user_fills(u, Some(BTC_THB), 1_000).await.unwrap();
    assert_eq!(btc, expected.iter().filter(|f| f.market == BTC_THB).cloned().collect::<Vec<_>>());
    assert_eq!(store.user_fills(u, None, 3).await.unwrap(), expected[..3].to_vec(), "the newest `limit`");
    assert_eq!(store.user_fills(u, None, 0).await.unwrap().len(), 1, "limits are clamped");
    let theirs = store.user_fills(v, Some(ETH_THB), 1_000).await.unwrap();
    assert!(theirs.len() == 5 && theirs.iter().all(|f| f.is_maker && f.side == Side::Sell));
    assert!(store.user_fills(UserId(99), None, 10).await.unwrap().is_empty());
}

/// Migrations 0002's and 0004's tables and the queries on them, on both databases: accounts,
/// staff (with TOTP replay protection and the admin's 2FA reset), sessions (with the bounded sweep) and the audit log, which refuses UPDATE and DELETE (and
/// TRUNCATE on PostgreSQL).
async fn web_tables_and_the_append_only_audit_log(db: &TestDb) {
    let store = db.connect().await;

    // Accounts.
    let id = store.insert_web_account("ann@example.com", "hash-a", UserId(7), 1_000).await.unwrap().expect("inserted");
    assert_eq!(store.insert_web_account("ann@example.com", "hash-b", UserId(8), 1_001).await.unwrap(), None, "the email is taken");
    let other = store.insert_web_account("b_b@example.org", "hash-c", UserId(9), 1_002).await.unwrap().unwrap();
    let ann = store.web_account(id).await.unwrap().unwrap();
    assert_eq!((ann.email.as_str(), ann.password_hash.as_str(), ann.user, ann.created_ms), ("ann@example.com", "hash-a", UserId(7), 1_000));
    assert!(!ann.totp_enabled && !ann.locked && ann.totp.is_none() && ann.saved_limits.is_none());
    assert_eq!(store.web_account_by_email("ann@example.com").await.unwrap().unwrap().id, id);
    assert_eq!(store.web_account_of_user(UserId(9)).await.unwrap().unwrap().id, other);
    assert!(store.web_account(999).await.unwrap().is_none());
    let ids = |rows: Vec<WebAccountRow>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(store.search_web_accounts("example", None, 10).await.unwrap()), vec![id, other]);
    assert_eq!(ids(store.search_web_accounts("b_b", None, 10).await.unwrap()), vec![other]);
    assert_eq!(ids(store.search_web_accounts("n_e", None, 10).await.unwrap()), Vec::<u64>::new(), "_ is not a wildcard");
    assert_eq!(ids(store.search_web_accounts("zzz", Some(UserId(7)), 10).await.unwrap()), vec![id]);
    store.set_web_account_totp(id, Some((&[1, 2, 0, 255], &[9; 12])), true).await.unwrap();
    store.set_web_account_lock(id, true, Some("{\"max\":0}")).await.unwrap();
    let ann = store.web_account(id).await.unwrap().unwrap();
    assert_eq!(ann.totp, Some((vec![1, 2, 0, 255], vec![9; 12])));
    assert!(ann.totp_enabled && ann.locked);
    assert_eq!(ann.saved_limits.as_deref(), Some("{\"max\":0}"));

    // Staff.
    let staff = store.insert_staff("ops@talat.local", "hash-s", "operator", 2_000).await.unwrap().unwrap();
    assert_eq!(store.insert_staff("ops@talat.local", "x", "admin", 2_001).await.unwrap(), None);
    let s = store.staff_by_email("ops@talat.local").await.unwrap().unwrap();
    assert_eq!((s.id, s.role.as_str()), (staff, "operator"));
    assert_eq!(store.staff(staff).await.unwrap().unwrap().email, "ops@talat.local");

    // TOTP replay protection (migration 0004): a time step is used once, and only a later one
    // after it; a new or cleared secret forgets the last step, enabling keeps it.
    assert!(store.use_web_account_totp_step(id, 56_666_667).await.unwrap());
    assert!(!store.use_web_account_totp_step(id, 56_666_667).await.unwrap(), "the same step again");
    assert!(!store.use_web_account_totp_step(id, 56_666_666).await.unwrap(), "an earlier step");
    assert!(store.use_web_account_totp_step(other, 56_666_667).await.unwrap(), "per account");
    assert!(store.use_web_account_totp_step(id, 56_666_668).await.unwrap(), "a later step");
    assert!(!store.use_web_account_totp_step(999, 56_666_669).await.unwrap(), "no such account");
    store.set_web_account_totp(id, Some((&[1, 2, 0, 255], &[9; 12])), true).await.unwrap();
    assert!(!store.use_web_account_totp_step(id, 56_666_668).await.unwrap(), "enabling keeps the last step");
    store.set_web_account_totp(id, Some((&[3], &[4; 12])), false).await.unwrap();
    assert!(store.use_web_account_totp_step(id, 56_666_668).await.unwrap(), "a new secret starts afresh");
    store.set_web_account_totp(id, Some((&[1, 2, 0, 255], &[9; 12])), true).await.unwrap();
    assert!(store.use_staff_totp_step(staff, 56_666_667).await.unwrap());
    assert!(!store.use_staff_totp_step(staff, 56_666_667).await.unwrap(), "staff: the same step again");
    assert!(store.use_staff_totp_step(staff, 56_666_668).await.unwrap(), "staff: a later step");
    // Concurrent uses of one step, through two stores (two pools, two writer locks): exactly
    // one wins, by the conditional UPDATE alone.
    let second = db.connect().await;
    let tries = (0..8).map(|n| {
        let store = if n % 2 == 0 { store.clone() } else { second.clone() };
        tokio::spawn(async move { store.use_staff_totp_step(staff, 56_666_700).await.unwrap() })
    });
    let mut wins = 0;
    for t in tries.collect::<Vec<_>>() {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1, "one of the concurrent uses of a step");

    // Sessions, and the sweep: bounded per call, expired ones only.
    let session = |n: u32, created_ms: u64, last_seen_ms: u64| SessionRow {
        token_sha256: format!("{n:064x}"),
        kind: "customer".into(),
        owner_id: id,
        csrf: format!("csrf-{n}"),
        created_ms,
        last_seen_ms,
    };
    let live = session(0, 10_000, 10_000);
    store.insert_session(&live).await.unwrap();
    for n in 1..=3 {
        store.insert_session(&session(n, 9_000, 1_000 + u64::from(n))).await.unwrap();
        // idle
    }
    for n in 4..=5 {
        store.insert_session(&session(n, 100, 9_999)).await.unwrap(); // too old
    }
    assert_eq!(store.session(&live.token_sha256).await.unwrap(), Some(live.clone()));
    let (idle_before, created_before) = (5_000, 500);
    assert_eq!(store.delete_expired_sessions(idle_before, created_before, 2).await.unwrap(), 2);
    assert_eq!(store.delete_expired_sessions(idle_before, created_before, 2).await.unwrap(), 2);
    assert_eq!(store.delete_expired_sessions(idle_before, created_before, 2).await.unwrap(), 1);
    assert_eq!(store.delete_expired_sessions(idle_before, created_before, 2).await.unwrap(), 0);
    for n in 1..=5 {
        assert!(store.session(&format!("{n:064x}")).await.unwrap().is_none());
    }
    store.touch_session(&live.token_sha256, 12_000).await.unwrap();
    assert_eq!(store.session(&live.token_sha256).await.unwrap().unwrap().last_seen_ms, 12_000);
    store.delete_session(&live.token_sha256).await.unwrap();
    assert!(store.session(&live.token_sha256).await.unwrap().is_none());

    // The staff list, and an admin's reset of a staff member's 2FA: secret, flag and last step
    // cleared, that staff member's sessions (staff kind only) ended, in one go; only while 2FA
    // is on.
    let kyc = store.insert_staff("kyc@talat.local", "hash-k", "kyc", 2_002).await.unwrap().unwrap();
    let listed = store.staff_list().await.unwrap();
    assert_eq!(
        listed.iter().map(|r| (r.id, r.email.as_str(), r.role.as_str())).collect::<Vec<_>>(),
        vec![(staff, "ops@talat.local", "operator"), (kyc, "kyc@talat.local", "kyc")]
    );
    store.set_staff_totp(staff, Some((&[5, 6], &[7; 12])), true).await.unwrap();
    assert!(store.staff_list().await.unwrap()[0].totp_enabled);
    let staff_session = |n: u32, kind: &str, owner_id: u64| SessionRow {
        token_sha256: format!("{:064x}", 100 + n),
        kind: kind.into(),
        owner_id,
        csrf: format!("csrf-s{n}"),
        created_ms: 10_000,
        last_seen_ms: 10_000,
    };
    let sessions = [staff_session(0, "staff", staff), staff_session(1, "staff", staff), staff_session(2, "customer", staff), staff_session(3, "staff", kyc)];
    for s in &sessions {
        store.insert_session(s).await.unwrap();
    }
    assert_eq!(store.reset_staff_totp(kyc).await.unwrap(), None, "2FA is off: nothing to reset");
    assert_eq!(store.reset_staff_totp(999).await.unwrap(), None, "no such staff member");
    assert!(store.session(&sessions[3].token_sha256).await.unwrap().is_some(), "a refused reset ends no session");
    assert_eq!(store.reset_staff_totp(staff).await.unwrap(), Some(2), "both of the staff member's sessions");
    let s = store.staff(staff).await.unwrap().unwrap();
    assert!(!s.totp_enabled && s.totp.is_none(), "{s:?}");
    assert!(store.session(&sessions[0].token_sha256).await.unwrap().is_none());
    assert!(store.session(&sessions[1].token_sha256).await.unwrap().is_none());
    assert!(store.session(&sessions[2].token_sha256).await.unwrap().is_some(), "a customer session with the same owner id stays");
    assert!(store.session(&sessions[3].token_sha256).await.unwrap().is_some(), "another staff member's session stays");
    assert!(store.use_staff_totp_step(staff, 1).await.unwrap(), "the last used step is forgotten");
    assert_eq!(store.reset_staff_totp(staff).await.unwrap(), None, "a second reset finds 2FA off");
    assert_eq!((s.email.as_str(), s.role.as_str(), s.password_hash.as_str()), ("ops@talat.local", "operator", "hash-s"), "nothing else changes");

    // The audit log: appended, listed newest first, never rewritten.
    let entry = |n: u64| AuditRow {
        id: 0,
        ts_ms: 3_000 + n,
        staff_id: staff,
        staff_email: "ops@talat.local".into(),
        role: "operator".into(),
        action: format!("action-{n}"),
        target: "BTC_THB".into(),
        detail: "a reason".into(),
        outcome: "ok".into(),
    };
    let mut appended = Vec::new();
    for n in 0..3 {
        appended.push(store.append_audit(&entry(n)).await.unwrap());
    }
    assert!(appended.windows(2).all(|w| w[0] < w[1]));
    let all = store.audit_entries(None, 100).await.unwrap();
    assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), appended.iter().rev().copied().collect::<Vec<_>>());
    assert_eq!(all[0], AuditRow { id: appended[2], ..entry(2) });
    let older = store.audit_entries(Some(appended[2]), 1).await.unwrap();
    assert_eq!(older.iter().map(|e| e.id).collect::<Vec<_>>(), vec![appended[1]]);
    assert!(store.execute_raw("UPDATE staff_audit SET outcome = 'forged'").await.is_err(), "UPDATE is refused");
    assert!(store.execute_raw("DELETE FROM staff_audit").await.is_err(), "DELETE is refused");
    assert!(store.execute_raw(&format!("DELETE FROM staff_audit WHERE id = {}", appended[0])).await.is_err());
    if store.backend() == Backend::Postgres {
        assert!(store.execute_raw("TRUNCATE staff_audit").await.is_err(), "TRUNCATE is refused");
    }
    assert_eq!(store.audit_entries(None, 100).await.unwrap(), all, "nothing changed");
}

/// Migration 0005's tables on both databases: a ticket is created with its message,
/// attachments, events and mail in one transaction; a change applies only at the version it
/// was made against (so two staff cannot both apply a change to stale state); the event history
/// refuses UPDATE and DELETE; incidents, the roster and the outbox.
async fn support_tables_and_conditional_changes(db: &TestDb) {
    use talat_store::{NewAttachment, NewEvent, NewMail, NewMessage, NewTicket, QueueFilter, Set, TicketChange};
    let store = db.connect().await;
    let new = NewTicket {
        account_id: 4,
        category: "withdrawal".into(),
        priority: "high".into(),
        subject: "Stuck".into(),
        status: "open".into(),
        link_kind: Some("order".into()),
        link_ref: Some("12".into()),
        complaint_status: None,
        complaint_reason: None,
        created_ms: 1_000,
    };
    let first = NewMessage { author: "customer".into(), author_id: 4, internal: false, body: "help".into() };
    let file = NewAttachment { file_name: "a.txt".into(), content_type: "text/plain".into(), sha256: "ab".repeat(32), content: b"hello".to_vec() };
    let created =
        NewEvent { actor: "customer".into(), actor_id: 4, kind: "created".into(), from_state: None, to_state: Some("open".into()), detail: String::new() };
    let mail = |id: u64| vec![NewMail { kind: "ticket.received".into(), to_addr: "c@example.com".into(), subject: format!("#{id}"), body: "got it".into() }];
    let t = store.create_ticket(&new, &first, &[file], &[created], &mail).await.unwrap();
    assert_eq!((t.version, t.status.as_str(), t.created_ms, t.link_ref.as_deref()), (0, "open", 1_000, Some("12")));
    let files = store.ticket_attachments(t.id).await.unwrap();
    assert_eq!((files.len(), files[0].size_bytes), (1, 5));
    assert_eq!(store.attachment(files[0].id).await.unwrap().unwrap().1, b"hello");
    assert_eq!(store.outbox(10).await.unwrap()[0].subject, format!("#{}", t.id));

    // A change at the right version applies with its message, event and mail; the same change
    // again (now stale) changes nothing at all.
    let mut change = TicketChange { ticket_id: t.id, expect_version: 0, now_ms: 2_000, ..Default::default() };
    change.set.push(("status", Set::Text("waiting_customer".into())));
    change.set.push(("first_response_ms", Set::Int(2_000)));
    change.set.push(("assignee_staff_id", Set::Null));
    change.message = Some((NewMessage { author: "staff".into(), author_id: 1, internal: false, body: "which address?".into() }, Vec::new()));
    change.events.push(NewEvent {
        actor: "staff".into(),
        actor_id: 1,
        kind: "status".into(),
        from_state: Some("open".into()),
        to_state: Some("waiting_customer".into()),
        detail: String::new(),
    });
    change.mail.push(NewMail { kind: "ticket.answered".into(), to_addr: "c@example.com".into(), subject: "answer".into(), body: "see app".into() });
    assert!(store.change_ticket(&change).await.unwrap());
    assert!(!store.change_ticket(&change).await.unwrap(), "a stale version is refused");
    let t2 = store.ticket(t.id).await.unwrap().unwrap();
    assert_eq!((t2.version, t2.status.as_str(), t2.first_response_ms, t2.updated_ms), (1, "waiting_customer", Some(2_000), 2_000));
    assert_eq!(store.ticket_messages(t.id).await.unwrap().len(), 2, "the stale change added no message");
    assert_eq!(store.ticket_events(t.id).await.unwrap().len(), 2);
    assert_eq!(store.outbox(10).await.unwrap().len(), 2);
    assert!(store.execute_raw("UPDATE support_events SET detail = 'forged'").await.is_err(), "UPDATE is refused");
    assert!(store.execute_raw("DELETE FROM support_events").await.is_err(), "DELETE is refused");

    // Queue filters, counts, report reads.
    let q = |statuses: Vec<&str>| QueueFilter { statuses: statuses.into_iter().map(String::from).collect(), limit: 50, ..Default::default() };
    assert_eq!(store.ticket_queue(&q(vec![])).await.unwrap().len(), 1);
    assert_eq!(store.ticket_queue(&q(vec!["resolved"])).await.unwrap().len(), 0);
    assert_eq!(
        store.ticket_queue(&QueueFilter { text: Some("STU".into()), limit: 50, ..Default::default() }).await.unwrap().len(),
        1,
        "subject search ignores case"
    );
    assert_eq!(
        store.ticket_queue(&QueueFilter { text: Some(format!("#{}", t.id)), limit: 50, ..Default::default() }).await.unwrap().len(),
        1,
        "or finds the id"
    );
    let counts = store.support_counts(0).await.unwrap();
    assert_eq!((counts.open, counts.waiting_customer, counts.complaints_open), (0, 1, 0));
    assert_eq!(store.tickets_created_between(0, 1_001, 10).await.unwrap().len(), 1);
    assert_eq!(store.ticket_arrivals_since(500, 10).await.unwrap(), vec![1_000]);

    // Incidents and the roster.
    let i = store.create_incident("Outage", "node down", 1, 3_000).await.unwrap();
    let mut link = TicketChange { ticket_id: t.id, expect_version: 1, now_ms: 3_000, ..Default::default() };
    link.set.push(("incident_id", Set::Int(i.id)));
    assert!(store.change_ticket(&link).await.unwrap());
    assert_eq!(store.incident(i.id).await.unwrap().unwrap().ticket_count, 1);
    assert!(store.resolve_incident(i.id, 4_000).await.unwrap());
    assert!(!store.resolve_incident(i.id, 4_001).await.unwrap(), "resolved once");
    assert_eq!(store.roster().await.unwrap(), vec![0; 48]);
    let roster: Vec<u32> = (0..48).collect();
    store.set_roster(&roster).await.unwrap();
    assert_eq!(store.roster().await.unwrap(), roster);

    // The outbox: pending, a failed attempt, a sent one.
    let pending = store.pending_mail(3, 10).await.unwrap();
    assert_eq!(pending.len(), 2);
    store.mail_attempted(pending[0].id, 5_000, Some("connection refused")).await.unwrap();
    store.mail_attempted(pending[1].id, 5_000, None).await.unwrap();
    let left = store.pending_mail(3, 10).await.unwrap();
    assert_eq!((left.len(), left[0].attempts, left[0].last_error.as_deref()), (1, 1, Some("connection refused")));
}

// ---------------------------------------------------------------------------------------------
// Runners

suite!(
    projects_a_real_trading_stream,
    projecting_is_idempotent_and_resumes_after_a_crash,
    order_history_pages_and_cursors,
    the_projector_coalesces_catches_up_and_stops_on_failure,
    api_keys_are_stored_and_revoked,
    user_histories_across_markets,
    web_tables_and_the_append_only_audit_log,
    support_tables_and_conditional_changes,
);

#[tokio::test]
async fn unsupported_urls_are_refused() {
    assert!(matches!(Store::connect("mysql://localhost/x").await, Err(StoreError::UnsupportedUrl(_))));
}

#[tokio::test]
async fn an_in_memory_store_works() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    let mut sim = Sim::new();
    sim.rich_user();
    store.project(&sim.log).await.unwrap();
    assert_eq!(store.projected_seq().await.unwrap(), sim.seq);
    assert_eq!(store.deposits_of(UserId(0), 10).await.unwrap().len(), 3);
}
