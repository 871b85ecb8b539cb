//! Unit tests of self-trade prevention, trading modes, tier limits and money in and out.

mod support;
use support::*;
use talat_core::*;

fn with_stp(user: UserId, side: Side, price_thb: u64, qty: u64, stp: StpMode) -> Command {
    Command::PlaceOrder(NewOrder {
        user,
        market: BTC_THB,
        side,
        kind: OrderKind::Limit { price: Price(price_thb * THB_1), qty: Qty(qty), tif: TimeInForce::Gtc },
        client_id: None,
        stp,
    })
}

/// A user with a resting sell of 0.1 BTC at 1,000,000 and, behind it, another user's sell.
fn stp_setup() -> (Harness, UserId, OrderId, OrderId) {
    let mut h = Harness::new();
    let (me, other) = (h.rich_user(), h.rich_user());
    let (mine, _) = h.place(Harness::limit(me, Side::Sell, 1_000_000, 10_000_000));
    let (theirs, _) = h.place(Harness::limit(other, Side::Sell, 1_000_000, 10_000_000));
    (h, me, mine, theirs)
}

#[test]
fn stp_expire_taker_keeps_the_resting_order() {
    let (mut h, me, mine, _) = stp_setup();
    let (taker, events) = h.place(with_stp(me, Side::Buy, 1_000_000, 5_000_000, StpMode::ExpireTaker));
    assert!(Harness::trades(&events).is_empty());
    assert!(events.iter().any(|e| matches!(e, Event::SelfTradePrevented { mode: StpMode::ExpireTaker, .. })));
    assert_eq!(Harness::done(&events, taker), Some((DoneReason::SelfTradePrevented, 5_000_000)));
    assert!(h.is_live(mine));
    assert_eq!(h.balance(me, THB).1, 0);
}

#[test]
fn stp_expire_maker_removes_the_resting_order_and_continues() {
    let (mut h, me, mine, theirs) = stp_setup();
    let (taker, events) = h.place(with_stp(me, Side::Buy, 1_000_000, 5_000_000, StpMode::ExpireMaker));
    assert_eq!(Harness::done(&events, mine), Some((DoneReason::SelfTradePrevented, 10_000_000)));
    assert_eq!(Harness::trades(&events), vec![(theirs, taker, 100_000_000, 5_000_000)]);
    assert_eq!(h.balance(me, BTC).1, 0, "the expired maker's hold was released");
}

#[test]
fn stp_expire_both() {
    let (mut h, me, mine, theirs) = stp_setup();
    let (taker, events) = h.place(with_stp(me, Side::Buy, 1_000_000, 5_000_000, StpMode::ExpireBoth));
    assert!(Harness::done(&events, mine).is_some() && Harness::done(&events, taker).is_some());
    assert!(Harness::trades(&events).is_empty());
    assert!(h.is_live(theirs));
}

#[test]
fn stp_decrement_shrinks_both_and_expires_the_smaller() {
    let (mut h, me, mine, _) = stp_setup();
    let (taker, events) = h.place(with_stp(me, Side::Buy, 1_000_000, 4_000_000, StpMode::Decrement));
    assert!(Harness::trades(&events).is_empty());
    assert_eq!(Harness::done(&events, taker), Some((DoneReason::SelfTradePrevented, 0)));
    assert_eq!(h.engine.order(mine).unwrap().open_qty, Qty(6_000_000));
    assert_eq!(h.balance(me, BTC).1, 6_000_000);
    assert_eq!(h.balance(me, THB).1, 0);
    // A larger decrementing taker expires the maker and trades with the next order.
    let (taker, events) = h.place(with_stp(me, Side::Buy, 1_000_000, 8_000_000, StpMode::Decrement));
    assert_eq!(Harness::done(&events, mine), Some((DoneReason::SelfTradePrevented, 0)));
    assert_eq!(Harness::trades(&events).iter().map(|t| t.3).sum::<u64>(), 2_000_000);
    assert_eq!(Harness::done(&events, taker), Some((DoneReason::Filled, 0)));
}

#[test]
fn stp_covers_linked_accounts() {
    let (mut h, me, mine, _) = stp_setup();
    let sibling = h.rich_user();
    h.ok(Command::LinkAccounts { a: sibling, b: me });
    let (taker, events) = h.place(with_stp(sibling, Side::Buy, 1_000_000, 1_000_000, StpMode::ExpireTaker));
    assert_eq!(Harness::done(&events, taker), Some((DoneReason::SelfTradePrevented, 1_000_000)));
    assert!(h.is_live(mine));
    h.rejects(Command::LinkAccounts { a: me, b: me }, RejectReason::InvalidParameter);
    h.rejects(Command::LinkAccounts { a: me, b: UserId(404) }, RejectReason::UnknownUser);
}

#[test]
fn trading_modes() {
    let mut h = Harness::new();
    let (a, b) = (h.rich_user(), h.rich_user());
    let (resting, _) = h.place(Harness::limit(a, Side::Sell, 1_000_000, 10_000_000));
    let post_only =
        |user, price| Harness::order(user, Side::Buy, OrderKind::Limit { price: Price(price * THB_1), qty: Qty(1_000_000), tif: TimeInForce::PostOnly });

    h.ok(Command::SetMarketMode { market: BTC_THB, mode: TradingMode::PostOnly });
    h.rejects(Harness::limit(b, Side::Buy, 1_000_000, 1_000_000), RejectReason::PostOnlyMode);
    h.rejects(post_only(b, 1_000_000), RejectReason::PostOnlyWouldTake);
    let (bid, _) = h.place(post_only(b, 990_000));

    h.ok(Command::SetMarketMode { market: BTC_THB, mode: TradingMode::CancelOnly });
    h.rejects(post_only(b, 980_000), RejectReason::CancelOnlyMode);
    h.rejects(Command::AmendOrder { user: b, order: bid, price: Some(Price(98_000_000)), qty: None }, RejectReason::CancelOnlyMode);
    h.ok(Command::CancelOrder { user: b, order: bid });

    h.ok(Command::SetMarketMode { market: BTC_THB, mode: TradingMode::Halted });
    h.rejects(Command::CancelOrder { user: a, order: resting }, RejectReason::MarketHalted);
    h.rejects(Harness::limit(b, Side::Buy, 1_000_000, 1_000_000), RejectReason::MarketHalted);
    h.rejects(Command::CancelAll { user: a, market: Some(BTC_THB) }, RejectReason::MarketHalted);

    h.ok(Command::SetMarketMode { market: BTC_THB, mode: TradingMode::Open });
    h.ok(Command::SetMaintenance { on: true });
    h.rejects(Harness::limit(b, Side::Buy, 1_000_000, 1_000_000), RejectReason::Maintenance);
    h.rejects(Command::CancelOrder { user: a, order: resting }, RejectReason::Maintenance);
    h.ok(Command::SetMaintenance { on: false });
    let (_, events) = h.place(Harness::limit(b, Side::Buy, 1_000_000, 1_000_000));
    assert_eq!(Harness::trades(&events).len(), 1, "open again: orders match");
    h.rejects(Command::SetMarketMode { market: MarketId(9), mode: TradingMode::Open }, RejectReason::UnknownMarket);
}

#[test]
fn kyc_tier_gates_trading_and_daily_withdrawals() {
    let mut h = Harness::new();
    let user = h.rich_user();
    let budget = |thb: u64| Some(WithdrawalBudget { valued_in: THB, amount: Amount(thb * THB_1) });
    h.ok(Command::SetTierLimits { user, limits: TierLimits { can_trade: false, daily_withdrawal: budget(100) } });
    h.rejects(Harness::limit(user, Side::Buy, 1_000_000, 1_000_000), RejectReason::TradingNotAllowed);
    let hold =
        |id: &str, amount| Command::WithdrawalHold { user, asset: THB, amount: Amount(amount), fee: Amount(THB_1), withdrawal_id: ExternalId(id.into()) };
    h.ok(hold("w1", 60 * THB_1));
    h.rejects(hold("w2", 40 * THB_1), RejectReason::WithdrawalLimitExceeded);
    // Releasing a withdrawal gives today's limit back.
    h.ok(Command::WithdrawalRelease { withdrawal_id: ExternalId("w1".into()) });
    h.ok(hold("w2", 40 * THB_1));
    // The next Bangkok day starts a fresh limit.
    h.ts_ms += 86_400_000;
    h.ok(hold("w3", 90 * THB_1));
    h.rejects(
        Command::SetTierLimits {
            user,
            limits: TierLimits { can_trade: true, daily_withdrawal: Some(WithdrawalBudget { valued_in: AssetId(50), amount: Amount(1) }) },
        },
        RejectReason::UnknownAsset,
    );
}

#[test]
fn one_daily_budget_covers_thb_and_crypto_at_the_last_price() {
    let mut h = Harness::with_markets(|m| m.opening_price = Some(Price(1_000_000 * THB_1)));
    let user = h.rich_user();
    h.ok(Command::SetTierLimits {
        user,
        limits: TierLimits { can_trade: true, daily_withdrawal: Some(WithdrawalBudget { valued_in: THB, amount: Amount(20_000 * THB_1) }) },
    });
    let btc = |id: &str, sats| Command::WithdrawalHold { user, asset: BTC, amount: Amount(sats), fee: Amount(0), withdrawal_id: ExternalId(id.into()) };
    let thb = |id: &str, thb| Command::WithdrawalHold { user, asset: THB, amount: Amount(thb * THB_1), fee: Amount(0), withdrawal_id: ExternalId(id.into()) };
    // 0.01 BTC at the opening price of 1,000,000 THB is 10,000 THB of the 20,000 budget.
    h.ok(btc("b1", BTC_1 / 100));
    h.rejects(thb("t1", 10_001), RejectReason::WithdrawalLimitExceeded);
    h.ok(thb("t1", 10_000));
    // One satoshi more is worth 0.01 THB (rounded up from 0.01): over budget.
    h.rejects(btc("b2", 1), RejectReason::WithdrawalLimitExceeded);
    // A trade moves the price the budget is valued at: at 950,000 THB the same 0.01 BTC counts
    // 9,500 THB once released and held again.
    h.ok(Command::WithdrawalRelease { withdrawal_id: ExternalId("b1".into()) });
    let seller = h.rich_user();
    h.place(Harness::limit(seller, Side::Sell, 950_000, BTC_1 / 1000));
    h.place(Harness::limit(user, Side::Buy, 950_000, BTC_1 / 1000));
    h.ok(btc("b3", BTC_1 / 100));
    h.ok(thb("t2", 500));
    h.rejects(thb("t3", 1), RejectReason::WithdrawalLimitExceeded);
    // An asset with no market against the budget's asset cannot be valued, so it is refused.
    h.ok(Command::ListAsset(AssetSpec { code: "DOGE".into(), scale: 8 }));
    h.deposit(user, AssetId(3), 1_000);
    h.rejects(
        Command::WithdrawalHold { user, asset: AssetId(3), amount: Amount(1), fee: Amount(0), withdrawal_id: ExternalId("d1".into()) },
        RejectReason::WithdrawalLimitExceeded,
    );
}

#[test]
fn deposits_are_credited_once() {
    let mut h = Harness::new();
    let user = h.user();
    let deposit = |amount| Command::Deposit { user, asset: BTC, amount: Amount(amount), external_id: ExternalId("ltc:abcd:0".into()) };
    h.ok(deposit(5_000));
    assert_eq!(h.apply(deposit(5_000)), vec![Event::Duplicate { order: None }]);
    assert_eq!(h.balance(user, BTC), (5_000, 0));
    assert_eq!(h.engine.ledger().system(BTC).custody, -5_000);
    h.rejects(Command::Deposit { user, asset: BTC, amount: Amount(0), external_id: ExternalId("x".into()) }, RejectReason::InvalidAmount);
    h.rejects(Command::Deposit { user, asset: AssetId(9), amount: Amount(1), external_id: ExternalId("y".into()) }, RejectReason::UnknownAsset);
    h.rejects(Command::Deposit { user, asset: BTC, amount: Amount(1), external_id: ExternalId(String::new()) }, RejectReason::InvalidParameter);
    h.rejects(Command::Deposit { user, asset: BTC, amount: Amount(u64::MAX), external_id: ExternalId("z".into()) }, RejectReason::InvalidAmount);
}

#[test]
fn withdrawal_hold_then_settle_or_release() {
    let mut h = Harness::new();
    let user = h.user();
    h.deposit(user, BTC, 1_000_000);
    let hold =
        |id: &str, amount| Command::WithdrawalHold { user, asset: BTC, amount: Amount(amount), fee: Amount(1_000), withdrawal_id: ExternalId(id.into()) };
    h.rejects(hold("w1", 1_000_000), RejectReason::InsufficientBalance);
    h.ok(hold("w1", 500_000));
    assert_eq!(h.balance(user, BTC), (499_000, 501_000));
    assert_eq!(h.apply(hold("w1", 500_000)), vec![Event::Duplicate { order: None }]);
    let settle = Command::WithdrawalSettle { withdrawal_id: ExternalId("w1".into()) };
    h.ok(settle.clone());
    assert_eq!(h.apply(settle), vec![Event::Duplicate { order: None }]);
    assert_eq!(h.balance(user, BTC), (499_000, 0));
    assert_eq!(h.engine.ledger().system(BTC).fee_revenue, 1_000);
    assert_eq!(h.engine.ledger().system(BTC).custody, -500_000, "1,000,000 in, 500,000 out");
    h.rejects(Command::WithdrawalRelease { withdrawal_id: ExternalId("w1".into()) }, RejectReason::UnknownWithdrawal);
    h.ok(hold("w2", 100_000));
    h.ok(Command::WithdrawalRelease { withdrawal_id: ExternalId("w2".into()) });
    assert_eq!(h.balance(user, BTC), (499_000, 0));
    h.rejects(Command::WithdrawalSettle { withdrawal_id: ExternalId("w2".into()) }, RejectReason::UnknownWithdrawal);
    h.rejects(Command::WithdrawalSettle { withdrawal_id: ExternalId("nope".into()) }, RejectReason::UnknownWithdrawal);
}

#[test]
fn compensation_is_credited_once_from_the_exchanges_expense_account() {
    let mut h = Harness::new();
    let user = h.user();
    let pay = Command::Compensate { user, asset: THB, amount: Amount(500 * THB_1), reference: ExternalId("incident-7:user-0".into()) };
    h.ok(pay.clone());
    assert_eq!(h.apply(pay), vec![Event::Duplicate { order: None }]);
    assert_eq!(h.balance(user, THB), (500 * THB_1, 0));
    assert_eq!(h.engine.ledger().system(THB).compensation, -(500 * THB_1 as i128));
}

#[test]
fn listing_is_validated() {
    let mut h = Harness::new();
    h.rejects(Command::ListAsset(AssetSpec { code: "BTC".into(), scale: 8 }), RejectReason::AlreadyListed);
    h.rejects(Command::ListAsset(AssetSpec { code: "b<tc>".into(), scale: 8 }), RejectReason::InvalidParameter);
    h.rejects(Command::ListAsset(AssetSpec { code: "XRP".into(), scale: 40 }), RejectReason::InvalidParameter);
    h.rejects(Command::ListMarket(MarketSpec::with_defaults("BTC", "THB", 2, 1, 1)), RejectReason::AlreadyListed);
    h.rejects(Command::ListMarket(MarketSpec::with_defaults("DOGE", "THB", 2, 1, 1)), RejectReason::UnknownAsset);
    h.rejects(Command::ListMarket(MarketSpec::with_defaults("BTC", "ETH", 2, 0, 1)), RejectReason::InvalidRate);
    h.rejects(Command::ListMarket(MarketSpec::with_defaults("BTC", "ETH", 2, 1, 0)), RejectReason::InvalidAmount);
    let mut bad_symbol = MarketSpec::with_defaults("BTC", "ETH", 2, 1, 1);
    bad_symbol.symbol = "ETH_BTC".into();
    h.rejects(Command::ListMarket(bad_symbol), RejectReason::InvalidParameter);
}

#[test]
fn snapshot_restore_preserves_state_and_behaviour() {
    let mut h = Harness::new();
    let (a, b) = (h.rich_user(), h.rich_user());
    h.place(Harness::limit(a, Side::Sell, 1_000_000, 10_000_000));
    h.place(Harness::limit(a, Side::Sell, 1_000_000, 20_000_000));
    h.place(Harness::limit(b, Side::Buy, 990_000, 10_000_000));
    h.place(Harness::order(b, Side::Buy, OrderKind::StopLimit { stop_price: Price(110_000_000), price: Price(111_000_000), qty: Qty(1_000_000) }));
    h.place(Harness::limit(b, Side::Buy, 1_000_000, 5_000_000));
    let bytes = h.engine.snapshot();
    let restored = talat_engine::Engine::restore(&bytes).unwrap();
    assert_eq!(restored.state_hash(), h.engine.state_hash());
    assert_eq!(restored.snapshot(), bytes);
    // Both continue identically.
    let mut twin = Harness { engine: restored, seq: h.seq, ts_ms: h.ts_ms };
    let next = Harness::limit(b, Side::Buy, 1_000_000, 15_000_000);
    assert_eq!(h.ok(next.clone()), twin.ok(next));
    assert_eq!(h.engine.state_hash(), twin.engine.state_hash());
    // Damaged snapshots are refused with a reason, never half-loaded.
    assert!(matches!(talat_engine::Engine::restore(b"nonsense"), Err(talat_engine::SnapshotError::BadMagic)));
    let mut truncated = bytes.clone();
    truncated.truncate(bytes.len() / 2);
    assert!(talat_engine::Engine::restore(&truncated).is_err());
    let mut wrong_version = bytes.clone();
    wrong_version[8] = 99;
    assert!(matches!(talat_engine::Engine::restore(&wrong_version), Err(talat_engine::SnapshotError::UnsupportedVersion(99))));
}

#[test]
#[should_panic(expected = "out of sequence")]
fn a_sequence_gap_is_a_crash() {
    let mut h = Harness::new();
    h.seq += 1;
    h.apply(Command::CreateUser);
}
