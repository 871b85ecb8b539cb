//! Unit tests of order types, fees, rounding, bands, minimum size and amend/cancel.

mod support;
use support::*;
use talat_core::*;

#[test]
fn limit_orders_match_at_maker_price_in_time_priority() {
    let mut h = Harness::new();
    let (s1, s2, b) = (h.rich_user(), h.rich_user(), h.rich_user());
    let (first, _) = h.place(Harness::limit(s1, Side::Sell, 1_000_000, 30_000_000));
    let (second, _) = h.place(Harness::limit(s2, Side::Sell, 1_000_000, 30_000_000));
    let (better, _) = h.place(Harness::limit(s2, Side::Sell, 999_000, 10_000_000));
    let (taker, events) = h.place(Harness::limit(b, Side::Buy, 1_000_100, 50_000_000));
    // Best price first, then the older order at the same price; fills at the makers' prices.
    assert_eq!(
        Harness::trades(&events),
        vec![(better, taker, 99_900_000, 10_000_000), (first, taker, 100_000_000, 30_000_000), (second, taker, 100_000_000, 10_000_000)]
    );
    assert_eq!(Harness::done(&events, taker), Some((DoneReason::Filled, 0)));
    assert!(!h.is_live(first) && h.is_live(second));
    assert_eq!(h.engine.order(second).unwrap().open_qty, Qty(20_000_000));
    // The buyer held at its limit but paid the makers' prices: the difference was released.
    let paid = (99_900 + 300_000 + 100_000) * THB_1;
    assert_eq!(h.balance(b, THB), (10_000_000 * THB_1 - paid, 0));
}

#[test]
fn fees_come_out_of_what_each_side_receives() {
    let mut h = Harness::new();
    let (seller, buyer) = (h.rich_user(), h.rich_user());
    h.place(Harness::limit(seller, Side::Sell, 1_000_000, BTC_1));
    let (_, events) = h.place(Harness::limit(buyer, Side::Buy, 1_000_000, BTC_1));
    let trade = events.iter().find(|e| matches!(e, Event::Trade { .. })).unwrap();
    let Event::Trade { quote_paid, quote_received, maker_fee, taker_fee, .. } = trade else { unreachable!() };
    assert_eq!((quote_paid.0, quote_received.0), (1_000_000 * THB_1, 1_000_000 * THB_1));
    assert_eq!(maker_fee.0, 2_500 * THB_1, "0.25 % of 1,000,000 THB");
    assert_eq!(taker_fee.0, 250_000, "0.25 % of 1 BTC in satoshi");
    assert_eq!(h.balance(buyer, BTC), (101 * BTC_1 - 250_000, 0));
    assert_eq!(h.balance(buyer, THB), (9_000_000 * THB_1, 0));
    assert_eq!(h.balance(seller, THB), (11_000_000 * THB_1 - 2_500 * THB_1, 0));
    assert_eq!(h.engine.ledger().system(THB).fee_revenue, 2_500 * THB_1 as i128);
    assert_eq!(h.engine.ledger().system(BTC).fee_revenue, 250_000);
}

#[test]
fn fee_changes_apply_to_later_fills_with_distinct_maker_and_taker_rates() {
    let mut h = Harness::new();
    let (seller, buyer) = (h.rich_user(), h.rich_user());
    h.ok(Command::SetFees { market: BTC_THB, maker_fee_ppm: 1_000, taker_fee_ppm: 3_000 });
    h.place(Harness::limit(seller, Side::Sell, 1_000_000, BTC_1));
    let (_, events) = h.place(Harness::limit(buyer, Side::Buy, 1_000_000, BTC_1));
    assert!(events.iter().any(|e| matches!(e, Event::Trade { maker_fee, taker_fee, .. } if maker_fee.0 == 1_000 * THB_1 && taker_fee.0 == 300_000)));
    h.rejects(Command::SetFees { market: BTC_THB, maker_fee_ppm: 200_000, taker_fee_ppm: 0 }, RejectReason::InvalidParameter);
}

#[test]
fn sub_unit_values_round_in_the_exchanges_favour_and_are_recorded() {
    let mut h = Harness::with_markets(|m| {
        m.min_quote = Amount(0);
        m.maker_fee_ppm = 0;
        m.taker_fee_ppm = 0;
    });
    let (seller, buyer) = (h.rich_user(), h.rich_user());
    // 1 satoshi at 1,000,000.01 THB is worth 1.00000001 satang.
    h.place(Harness::order(seller, Side::Sell, OrderKind::Limit { price: Price(100_000_001), qty: Qty(1), tif: TimeInForce::Gtc }));
    let (_, events) = h.place(Harness::order(buyer, Side::Buy, OrderKind::Limit { price: Price(100_000_001), qty: Qty(1), tif: TimeInForce::Gtc }));
    assert!(events.iter().any(|e| matches!(e, Event::Trade { quote_paid, quote_received, .. } if quote_paid.0 == 2 && quote_received.0 == 1)));
    assert!(events.iter().any(|e| matches!(e, Event::Posting { to: Account::Rounding, amount, cause: PostingCause::TradeRounding, .. } if amount.0 == 1)));
    assert_eq!(h.engine.ledger().system(THB).rounding, 1);
    h.engine.check_invariants().unwrap();
}

#[test]
fn rounding_is_per_order_so_many_small_fills_cost_at_most_one_unit() {
    let mut h = Harness::with_markets(|m| {
        m.min_quote = Amount(0);
        m.maker_fee_ppm = 0;
        m.taker_fee_ppm = 0;
    });
    let (seller, buyer) = (h.rich_user(), h.rich_user());
    // Ten makers of 1 satoshi each at 1,000,000.01 THB: each worth 1.00000001 satang.
    for _ in 0..10 {
        h.place(Harness::order(seller, Side::Sell, OrderKind::Limit { price: Price(100_000_001), qty: Qty(1), tif: TimeInForce::Gtc }));
    }
    let before = h.balance(buyer, THB).0;
    h.place(Harness::order(buyer, Side::Buy, OrderKind::Limit { price: Price(100_000_001), qty: Qty(10), tif: TimeInForce::Gtc }));
    // Exact value 10.0000001 satang: the buyer pays 11, not 10 × 2.
    assert_eq!(before - h.balance(buyer, THB).0, 11);
}

#[test]
fn market_buy_spends_a_quote_amount_and_market_sell_a_base_quantity() {
    let mut h = Harness::new();
    let (maker, taker) = (h.rich_user(), h.rich_user());
    h.place(Harness::limit(maker, Side::Sell, 1_000_000, 10_000_000));
    h.place(Harness::limit(maker, Side::Sell, 1_000_100, 10_000_000));
    // Spend 150,000 THB: 0.1 BTC at 1,000,000 then 0.04999500 BTC at 1,000,100.
    let (id, events) = h.place(Harness::order(taker, Side::Buy, OrderKind::Market { amount: Amount(150_000 * THB_1) }));
    let qtys: Vec<u64> = Harness::trades(&events).iter().map(|t| t.3).collect();
    assert_eq!(qtys, vec![10_000_000, 4_999_500]);
    let (reason, _) = Harness::done(&events, id).unwrap();
    // 0.049995 BTC at 1,000,100 is worth 49,999.99995 THB, rounded up to the last satang.
    assert_eq!(reason, DoneReason::Filled, "the whole budget was spent");
    assert_eq!(10_000_000 * THB_1 - h.balance(taker, THB).0, 150_000 * THB_1);
    assert_eq!(h.balance(taker, THB).1, 0);

    h.place(Harness::limit(maker, Side::Buy, 990_000, 20_000_000));
    let (id, events) = h.place(Harness::order(taker, Side::Sell, OrderKind::Market { amount: Amount(5_000_000) }));
    assert_eq!(Harness::trades(&events)[0].3, 5_000_000);
    assert_eq!(Harness::done(&events, id), Some((DoneReason::Filled, 0)));
}

#[test]
fn market_orders_stop_at_the_price_band() {
    let mut h = Harness::with_markets(|m| m.opening_price = Some(Price(1_000_000 * THB_1)));
    let (maker, taker) = (h.rich_user(), h.rich_user());
    h.place(Harness::limit(maker, Side::Sell, 1_200_000, 10_000_000));
    h.ok(Command::SetBand { market: BTC_THB, band_bps: 1_000 });
    // With a ±10 % band around 1,000,000 the ask at 1,200,000 is out of reach.
    let (id, events) = h.place(Harness::order(taker, Side::Buy, OrderKind::Market { amount: Amount(100_000 * THB_1) }));
    assert!(Harness::trades(&events).is_empty());
    assert_eq!(Harness::done(&events, id), Some((DoneReason::Expired, 0)));
    assert_eq!(h.balance(taker, THB), (10_000_000 * THB_1, 0));
}

#[test]
fn ioc_expires_its_remainder_and_fok_fills_fully_or_not_at_all() {
    let mut h = Harness::new();
    let (maker, taker) = (h.rich_user(), h.rich_user());
    h.place(Harness::limit(maker, Side::Sell, 1_000_000, 10_000_000));
    let ioc = |qty| Harness::order(taker, Side::Buy, OrderKind::Limit { price: Price(100_000_000), qty: Qty(qty), tif: TimeInForce::Ioc });
    let (id, events) = h.place(ioc(15_000_000));
    assert_eq!(Harness::trades(&events).len(), 1);
    assert_eq!(Harness::done(&events, id), Some((DoneReason::Expired, 5_000_000)));
    assert!(h.engine.depth(BTC_THB, Side::Buy, 10).is_empty(), "IOC never rests");

    h.place(Harness::limit(maker, Side::Sell, 1_000_000, 10_000_000));
    let fok = |qty| Harness::order(taker, Side::Buy, OrderKind::Limit { price: Price(100_000_000), qty: Qty(qty), tif: TimeInForce::Fok });
    let before = h.balance(taker, THB);
    let (id, events) = h.place(fok(10_000_001));
    assert!(Harness::trades(&events).is_empty());
    assert_eq!(Harness::done(&events, id), Some((DoneReason::Killed, 10_000_001)));
    assert_eq!(h.balance(taker, THB), before);
    assert!(!events.iter().any(|e| matches!(e, Event::Posting { .. })), "a killed FOK moves no money");
    let (id, events) = h.place(fok(10_000_000));
    assert_eq!(Harness::done(&events, id), Some((DoneReason::Filled, 0)));
}

#[test]
fn post_only_rests_or_is_rejected_when_it_would_take() {
    let mut h = Harness::new();
    let (maker, taker) = (h.rich_user(), h.rich_user());
    h.place(Harness::limit(maker, Side::Sell, 1_000_000, 10_000_000));
    let post = |price| Harness::order(taker, Side::Buy, OrderKind::Limit { price: Price(price * THB_1), qty: Qty(1_000_000), tif: TimeInForce::PostOnly });
    h.rejects(post(1_000_000), RejectReason::PostOnlyWouldTake);
    let (id, events) = h.place(post(999_999));
    assert!(events.iter().any(|e| matches!(e, Event::OrderRested { order, .. } if *order == id)));
}

#[test]
fn stop_limit_waits_for_the_last_trade_price_then_trades() {
    let mut h = Harness::new();
    let (a, b, stopper) = (h.rich_user(), h.rich_user(), h.rich_user());
    h.place(Harness::limit(a, Side::Sell, 1_000_000, 1_000_000));
    h.place(Harness::limit(b, Side::Buy, 1_000_000, 1_000_000)); // last = 1,000,000, book empty
    let stop = |stop_thb: u64, price_thb: u64| {
        Harness::order(stopper, Side::Buy, OrderKind::StopLimit { stop_price: Price(stop_thb * THB_1), price: Price(price_thb * THB_1), qty: Qty(2_000_000) })
    };
    h.rejects(stop(1_000_000, 1_010_000), RejectReason::StopWouldTrigger);
    let (id, events) = h.place(stop(1_005_000, 1_010_000));
    assert!(events.iter().any(|e| matches!(e, Event::StopAccepted { .. })));
    let held = h.balance(stopper, THB).1;
    assert_eq!(held, 1_010_000 * THB_1 / 50, "funds are held from placement");
    // A trade at 1,005,000 triggers the stop, which then buys the rest of the 1,005,000 ask.
    h.place(Harness::limit(a, Side::Sell, 1_005_000, 5_000_000));
    let (_, events) = h.place(Harness::limit(b, Side::Buy, 1_005_000, 1_000_000));
    assert!(events.iter().any(|e| matches!(e, Event::StopTriggered { order, .. } if *order == id)));
    let trades = Harness::trades(&events);
    assert_eq!(trades.last().unwrap().1, id);
    assert_eq!(trades.last().unwrap().3, 2_000_000);
    assert_eq!(h.balance(stopper, THB).1, 0);
}

#[test]
fn amend_keeps_priority_only_when_price_is_unchanged_and_quantity_does_not_grow() {
    let mut h = Harness::new();
    let (m1, m2, taker) = (h.rich_user(), h.rich_user(), h.rich_user());
    let (first, _) = h.place(Harness::limit(m1, Side::Sell, 1_000_000, 10_000_000));
    let (second, _) = h.place(Harness::limit(m2, Side::Sell, 1_000_000, 10_000_000));
    let amend =
        |user, order, price: Option<u64>, qty: Option<u64>| Command::AmendOrder { user, order, price: price.map(|p| Price(p * THB_1)), qty: qty.map(Qty) };
    let events = h.ok(amend(m1, first, None, Some(5_000_000)));
    assert!(events.iter().any(|e| matches!(e, Event::OrderAmended { kept_priority: true, .. })));
    assert_eq!(h.balance(m1, BTC), (100 * BTC_1 - 5_000_000, 5_000_000));
    let (_, events) = h.place(Harness::limit(taker, Side::Buy, 1_000_000, 1_000_000));
    assert_eq!(Harness::trades(&events)[0].0, first, "smaller quantity kept its place");
    let events = h.ok(amend(m1, first, None, Some(20_000_000)));
    assert!(events.iter().any(|e| matches!(e, Event::OrderAmended { kept_priority: false, .. })));
    let (_, events) = h.place(Harness::limit(taker, Side::Buy, 1_000_000, 1_000_000));
    assert_eq!(Harness::trades(&events)[0].0, second, "larger quantity went to the back");
    h.rejects(amend(m1, first, None, Some(20_000_000)), RejectReason::AmendNoChange);
    h.rejects(amend(taker, first, Some(1), None), RejectReason::UnknownOrder);
    h.rejects(amend(m1, first, None, Some(1_000 * BTC_1)), RejectReason::InsufficientBalance);
    // Moving the price across the book trades at once.
    let (bid, _) = h.place(Harness::limit(taker, Side::Buy, 990_000, 1_000_000));
    let events = h.ok(amend(taker, bid, Some(1_000_000), None));
    assert_eq!(Harness::trades(&events), vec![(second, bid, 100_000_000, 1_000_000)]);
}

#[test]
fn cancel_and_cancel_all_release_holds() {
    let mut h = Harness::new();
    let user = h.rich_user();
    let (a, _) = h.place(Harness::limit(user, Side::Buy, 900_000, 1_000_000));
    h.place(Harness::limit(user, Side::Buy, 900_000, 2_000_000));
    let eth = Command::PlaceOrder(NewOrder {
        user,
        market: ETH_THB,
        side: Side::Sell,
        kind: OrderKind::Limit { price: Price(100_000 * THB_1), qty: Qty(BTC_1), tif: TimeInForce::Gtc },
        client_id: None,
        stp: StpMode::ExpireTaker,
    });
    h.place(eth);
    let events = h.ok(Command::CancelOrder { user, order: a });
    assert_eq!(Harness::done(&events, a), Some((DoneReason::Cancelled, 1_000_000)));
    h.rejects(Command::CancelOrder { user, order: a }, RejectReason::UnknownOrder);
    let events = h.ok(Command::CancelAll { user, market: Some(BTC_THB) });
    assert_eq!(events.iter().filter(|e| matches!(e, Event::OrderDone { .. })).count(), 1);
    assert_eq!(h.balance(user, THB).1, 0);
    assert_eq!(h.balance(user, ETH).1, BTC_1);
    h.ok(Command::CancelAll { user, market: None });
    assert_eq!(h.balance(user, ETH), (100 * BTC_1, 0));
    assert_eq!(h.engine.live_order_count(), 0);
}

#[test]
fn price_band_edges_and_grid() {
    let mut h = Harness::with_markets(|m| m.opening_price = Some(Price(1_000_000 * THB_1)));
    let user = h.rich_user();
    // ±20 % of 1,000,000 THB: 800,000.00 to 1,200,000.00 inclusive.
    h.place(Harness::order(user, Side::Buy, OrderKind::Limit { price: Price(80_000_000), qty: Qty(10_000), tif: TimeInForce::Gtc }));
    h.rejects(
        Harness::order(user, Side::Buy, OrderKind::Limit { price: Price(79_999_999), qty: Qty(10_000), tif: TimeInForce::Gtc }),
        RejectReason::OutsidePriceBand,
    );
    h.place(Harness::order(user, Side::Sell, OrderKind::Limit { price: Price(120_000_000), qty: Qty(10_000), tif: TimeInForce::Gtc }));
    h.rejects(
        Harness::order(user, Side::Sell, OrderKind::Limit { price: Price(120_000_001), qty: Qty(10_000), tif: TimeInForce::Gtc }),
        RejectReason::OutsidePriceBand,
    );
    let mut h = Harness::with_markets(|m| m.price_step = 100);
    let user = h.rich_user();
    h.rejects(
        Harness::order(user, Side::Buy, OrderKind::Limit { price: Price(100_000_050), qty: Qty(10_000), tif: TimeInForce::Gtc }),
        RejectReason::InvalidRate,
    );
    h.rejects(Harness::order(user, Side::Buy, OrderKind::Limit { price: Price(0), qty: Qty(10_000), tif: TimeInForce::Gtc }), RejectReason::InvalidRate);
    h.rejects(Harness::order(user, Side::Buy, OrderKind::Limit { price: Price(u64::MAX), qty: Qty(10_000), tif: TimeInForce::Gtc }), RejectReason::InvalidRate);
}

#[test]
fn minimum_order_value_is_ten_baht() {
    let mut h = Harness::new();
    let user = h.rich_user();
    // 1,000 satoshi at 1,000,000 THB = 10 THB exactly.
    h.place(Harness::limit(user, Side::Buy, 1_000_000, 1_000));
    h.rejects(Harness::limit(user, Side::Buy, 1_000_000, 999), RejectReason::AmountTooLow);
    h.rejects(Harness::order(user, Side::Buy, OrderKind::Market { amount: Amount(999) }), RejectReason::AmountTooLow);
}

#[test]
fn every_malformed_order_is_rejected_without_effect() {
    let mut h = Harness::with_markets(|m| m.qty_step = 100);
    let user = h.rich_user();
    let poor = h.user();
    let limit = |user, price: u64, qty: u64| Harness::order(user, Side::Buy, OrderKind::Limit { price: Price(price), qty: Qty(qty), tif: TimeInForce::Gtc });
    h.rejects(limit(user, 100_000_000, 0), RejectReason::InvalidAmount);
    h.rejects(limit(user, 100_000_000, 150), RejectReason::InvalidAmount);
    h.rejects(limit(user, 100_000_000, u64::MAX - 15), RejectReason::InvalidAmount);
    h.rejects(limit(poor, 100_000_000, 100_000), RejectReason::InsufficientBalance);
    h.rejects(limit(UserId(999), 100_000_000, 100_000), RejectReason::UnknownUser);
    h.rejects(Harness::order(user, Side::Buy, OrderKind::Market { amount: Amount(0) }), RejectReason::InvalidAmount);
    h.rejects(Harness::order(user, Side::Sell, OrderKind::Market { amount: Amount(150) }), RejectReason::InvalidAmount);
    h.rejects(
        Command::PlaceOrder(NewOrder {
            user,
            market: MarketId(77),
            side: Side::Buy,
            kind: OrderKind::Market { amount: Amount(100_000) },
            client_id: None,
            stp: StpMode::ExpireTaker,
        }),
        RejectReason::UnknownMarket,
    );
    h.rejects(
        Command::PlaceOrder(NewOrder {
            user,
            market: BTC_THB,
            side: Side::Buy,
            kind: OrderKind::Market { amount: Amount(100_000) },
            client_id: Some(ClientId("has space".into())),
            stp: StpMode::ExpireTaker,
        }),
        RejectReason::InvalidParameter,
    );
    h.rejects(Command::CancelOrder { user, order: OrderId(12345) }, RejectReason::UnknownOrder);
    h.rejects(Command::AmendOrder { user, order: OrderId(12345), price: None, qty: None }, RejectReason::UnknownOrder);
}

#[test]
fn a_client_id_retry_returns_the_first_outcome() {
    let mut h = Harness::new();
    let user = h.rich_user();
    let command = Command::PlaceOrder(NewOrder {
        user,
        market: BTC_THB,
        side: Side::Buy,
        kind: OrderKind::Limit { price: Price(100_000_000), qty: Qty(100_000), tif: TimeInForce::Gtc },
        client_id: Some(ClientId("bot-42".into())),
        stp: StpMode::ExpireTaker,
    });
    let (id, _) = h.place(command.clone());
    let before = h.engine.content_hash();
    assert_eq!(h.apply(command.clone()), vec![Event::Duplicate { order: Some(id) }]);
    assert_eq!(h.engine.content_hash(), before);
    // Another user may use the same client id.
    let other = h.rich_user();
    let Command::PlaceOrder(mut new) = command else { unreachable!() };
    new.user = other;
    h.place(Command::PlaceOrder(new));
}

#[test]
fn the_client_id_window_is_bounded() {
    let mut h = Harness::with_config(talat_engine::EngineConfig { client_id_window: 2, ..talat_engine::EngineConfig::default() });
    let user = h.user();
    h.deposit(user, THB, 1_000_000 * THB_1);
    let place = |cid: &str| {
        Command::PlaceOrder(NewOrder {
            user,
            market: BTC_THB,
            side: Side::Buy,
            kind: OrderKind::Limit { price: Price(100_000_000), qty: Qty(100_000), tif: TimeInForce::Gtc },
            client_id: Some(ClientId(cid.into())),
            stp: StpMode::ExpireTaker,
        })
    };
    h.place(place("a"));
    h.place(place("b"));
    h.place(place("c"));
    // "a" fell out of the window of 2, so it is a new order again; "c" is still remembered.
    h.place(place("a"));
    assert!(matches!(h.apply(place("c")).as_slice(), [Event::Duplicate { .. }]));
}

#[test]
fn emptied_levels_are_reused_collected_and_never_seen() {
    let mut h = Harness::new();
    let (maker, taker) = (h.rich_user(), h.rich_user());
    // 300 bids on 300 prices; cancelling most of them (invariants are checked after every
    // command, including that the cached best is the best live level) forces the emptied
    // levels past their bound, so they are collected.
    let mut bids = Vec::new();
    for i in 0..300u64 {
        let (id, _) = h.place(Harness::limit(maker, Side::Buy, 900_000 + i * 100, 10_000));
        bids.push(id);
    }
    for (i, id) in bids.iter().enumerate().rev() {
        if i % 10 != 0 {
            h.ok(Command::CancelOrder { user: maker, order: *id });
        }
    }
    let depth = h.engine.depth(BTC_THB, Side::Buy, 1_000);
    assert_eq!(depth.len(), 30, "only live levels are reported");
    let (live, empty) = h.engine.level_counts(BTC_THB, Side::Buy).unwrap();
    assert_eq!(live, 30);
    assert!(empty <= talat_engine::book::EMPTY_LEVELS_FLOOR, "270 emptied levels were collected down to {empty}");
    assert_eq!(depth[0].0, Price((900_000 + 290 * 100) * THB_1));
    // Orders moving back onto vacated prices revive levels; a sell sweeps through them in order.
    for i in 0..50u64 {
        h.place(Harness::limit(maker, Side::Buy, 900_000 + i * 100 + 50, 10_000));
    }
    let (_, events) = h.place(Harness::order(taker, Side::Sell, OrderKind::Market { amount: Amount(10_000 * 80) }));
    let prices: Vec<u64> = Harness::trades(&events).iter().map(|t| t.2).collect();
    assert_eq!(prices.len(), 80);
    assert!(prices.windows(2).all(|w| w[0] > w[1]), "best price first, every level once");
    assert!(h.engine.depth(BTC_THB, Side::Buy, 1_000).is_empty());
}

#[test]
fn a_best_price_moving_back_and_forth_walks_the_empty_levels_below_it_once() {
    let mut h = Harness::new();
    let (maker, taker) = (h.rich_user(), h.rich_user());
    // A live bid at 900 000, 40 emptied levels above it (below the touch), and a best at 901 000.
    h.place(Harness::limit(maker, Side::Buy, 900_000, 10_000));
    let mut emptied = Vec::new();
    for i in 1..=40u64 {
        emptied.push(h.place(Harness::limit(maker, Side::Buy, 900_000 + i * 10, 10_000)).0);
    }
    // Best first: each cancel empties the best and finds the next live level right below it.
    for id in emptied.into_iter().rev() {
        h.ok(Command::CancelOrder { user: maker, order: id });
    }
    assert_eq!(h.engine.level_counts(BTC_THB, Side::Buy), Some((1, 40)));
    for round in 0..5 {
        // A bid above the touch becomes best; a sell takes it; the new best is found below.
        h.place(Harness::limit(maker, Side::Buy, 901_000, 10_000));
        let (_, events) = h.place(Harness::limit(taker, Side::Sell, 901_000, 10_000));
        assert_eq!(Harness::trades(&events).len(), 1);
        assert_eq!(h.engine.depth(BTC_THB, Side::Buy, 1)[0].0, Price(900_000 * THB_1), "round {round}");
        // The first scan dropped the 40 empty levels it passed; only the vacated best is kept.
        assert_eq!(h.engine.level_counts(BTC_THB, Side::Buy), Some((1, 1)), "round {round}");
    }
    // A bid onto a dropped price still rests and becomes best.
    h.place(Harness::limit(maker, Side::Buy, 900_200, 10_000));
    assert_eq!(h.engine.depth(BTC_THB, Side::Buy, 2), vec![(Price(900_200 * THB_1), 10_000), (Price(900_000 * THB_1), 10_000)]);
}

#[test]
fn open_orders_per_user_are_bounded() {
    let mut h = Harness::with_config(talat_engine::EngineConfig { max_open_orders_per_user: 3, ..talat_engine::EngineConfig::default() });
    let user = h.user();
    h.deposit(user, THB, 1_000_000 * THB_1);
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(h.place(Harness::limit(user, Side::Buy, 900_000 + i, 10_000)).0);
    }
    h.rejects(Harness::limit(user, Side::Buy, 900_100, 10_000), RejectReason::TooManyOpenOrders);
    h.ok(Command::CancelOrder { user, order: ids[0] });
    h.place(Harness::limit(user, Side::Buy, 900_100, 10_000));
}
