//! The venue's switches: the dead-man's switch, the resume runbook and suspended withdrawals,
//! each surviving a snapshot and restore.

mod support;

use support::*;
use talat_core::venue::{Funding, ResumeStep};
use talat_core::{Amount, Command, DoneReason, Event, ExternalId, RejectReason, Side, TradingMode};
use talat_engine::Engine;

/// A GTC limit buy on ETH_THB.
fn eth_bid(user: talat_core::UserId, price_thb: u64) -> Command {
    let Command::PlaceOrder(mut order) = Harness::limit(user, Side::Buy, price_thb, 1_000_000) else { unreachable!() };
    order.market = ETH_THB;
    Command::PlaceOrder(order)
}

fn restored(h: &Harness) -> Engine {
    let engine = Engine::restore(&h.engine.snapshot()).expect("restores");
    assert_eq!(engine.state_hash(), h.engine.state_hash(), "a restored engine has the same state");
    engine
}

#[test]
fn the_switch_cancels_once_its_deadline_passed_and_not_before() {
    let mut h = Harness::new();
    let bot = h.rich_user();
    let (bid, _) = h.place(Harness::limit(bot, Side::Buy, 900_000, 1_000_000));
    let armed = h.ok(Command::CancelAfter { user: bot, timeout_ms: 60_000 });
    let Event::CancelAfterArmed { deadline_ms, .. } = armed[0] else { panic!("{armed:?}") };
    assert_eq!(deadline_ms, h.ts_ms + 60_000);
    h.rejects(Command::CancelAfterExpired { user: bot }, RejectReason::CancelAfterNotDue);

    // Refreshing moves the deadline; the old one no longer fires.
    h.ts_ms += 59_000;
    h.ok(Command::CancelAfter { user: bot, timeout_ms: 60_000 });
    h.ts_ms += 30_000;
    h.rejects(Command::CancelAfterExpired { user: bot }, RejectReason::CancelAfterNotDue);
    assert!(h.is_live(bid));

    // A restart in between keeps the switch: it is part of the state.
    h.engine = restored(&h);
    h.ts_ms += 31_000;
    let fired = h.ok(Command::CancelAfterExpired { user: bot });
    assert_eq!(Harness::done(&fired, bid), Some((DoneReason::Cancelled, 1_000_000)));
    assert_eq!(fired.last(), Some(&Event::CancelAfterFired { user: bot, remaining: 0 }));
    assert!(!h.is_live(bid));
    h.rejects(Command::CancelAfterExpired { user: bot }, RejectReason::CancelAfterNotDue);
}

#[test]
fn disarming_and_bad_timeouts() {
    let mut h = Harness::new();
    let bot = h.rich_user();
    h.ok(Command::CancelAfter { user: bot, timeout_ms: 5_000 });
    assert_eq!(h.ok(Command::CancelAfter { user: bot, timeout_ms: 0 }), vec![Event::CancelAfterDisarmed { user: bot }]);
    assert_eq!(h.ok(Command::CancelAfter { user: bot, timeout_ms: 0 }), vec![], "disarming twice changes nothing");
    h.ts_ms += 10_000;
    h.rejects(Command::CancelAfterExpired { user: bot }, RejectReason::CancelAfterNotDue);
    h.rejects(Command::CancelAfter { user: bot, timeout_ms: 999 }, RejectReason::InvalidParameter);
    h.rejects(Command::CancelAfter { user: bot, timeout_ms: 86_400_001 }, RejectReason::InvalidParameter);
    h.rejects(Command::CancelAfter { user: talat_core::UserId(404), timeout_ms: 5_000 }, RejectReason::UnknownUser);
}

#[test]
fn orders_in_a_halted_market_go_when_it_allows_cancels_again() {
    let mut h = Harness::new();
    let bot = h.rich_user();
    let (btc_bid, _) = h.place(Harness::limit(bot, Side::Buy, 900_000, 1_000_000));
    let (eth_bid, _) = h.place(eth_bid(bot, 50_000));
    h.ok(Command::SetMarketMode { market: BTC_THB, mode: TradingMode::Halted });
    h.ok(Command::CancelAfter { user: bot, timeout_ms: 1_000 });
    h.ts_ms += 2_000;
    let fired = h.ok(Command::CancelAfterExpired { user: bot });
    assert_eq!(fired.last(), Some(&Event::CancelAfterFired { user: bot, remaining: 1 }));
    assert!(h.is_live(btc_bid) && !h.is_live(eth_bid), "the halted market keeps its order, the other market's is gone");

    h.engine = restored(&h);
    let reopened = h.ok(Command::SetMarketMode { market: BTC_THB, mode: TradingMode::CancelOnly });
    assert_eq!(Harness::done(&reopened, btc_bid), Some((DoneReason::Cancelled, 1_000_000)), "{reopened:?}");
    assert!(!h.is_live(btc_bid));
    h.rejects(Command::CancelAfterExpired { user: bot }, RejectReason::CancelAfterNotDue);
}

#[test]
fn the_resume_runbook_walks_markets_back_in_order() {
    let mut h = Harness::new();
    let user = h.rich_user();
    // ETH_THB was cancel-only before the outage (a delisting): the resume leaves it so.
    h.ok(Command::SetMarketMode { market: ETH_THB, mode: TradingMode::CancelOnly });
    h.rejects(Command::Resume { step: ResumeStep::Deposits }, RejectReason::ResumeOutOfOrder);

    let begun = h.ok(Command::Resume { step: ResumeStep::Begin { cancel_only_ms: 600_000 } });
    assert!(begun.contains(&Event::MarketModeChanged { market: BTC_THB, mode: TradingMode::Halted }));
    assert!(begun.contains(&Event::FundingChanged(Funding { deposits_open: false, withdrawals_open: false })));
    let hold = |id: &str| Command::WithdrawalHold { user, asset: THB, amount: Amount(10 * THB_1), fee: Amount(0), withdrawal_id: ExternalId(id.into()) };
    h.rejects(hold("w1"), RejectReason::WithdrawalsSuspended);
    h.rejects(Command::Resume { step: ResumeStep::Open }, RejectReason::ResumeOutOfOrder);

    h.ok(Command::Resume { step: ResumeStep::Deposits });
    h.engine = restored(&h);
    let cancel_only = h.ok(Command::Resume { step: ResumeStep::CancelOnly });
    assert_eq!(
        cancel_only,
        vec![Event::MarketModeChanged { market: BTC_THB, mode: TradingMode::CancelOnly }, Event::ResumeStepTaken { step: ResumeStep::CancelOnly }]
    );
    h.rejects(Command::Resume { step: ResumeStep::PostOnly }, RejectReason::ResumeOutOfOrder);
    h.ts_ms += 600_000;
    h.ok(Command::Resume { step: ResumeStep::PostOnly });
    h.ok(Command::Resume { step: ResumeStep::Open });
    h.rejects(hold("w1"), RejectReason::WithdrawalsSuspended);
    h.ok(Command::Resume { step: ResumeStep::Withdrawals });
    h.ok(hold("w1"));
    h.engine = restored(&h);
    assert_eq!(h.engine.snapshot()[8..12], 1u32.to_le_bytes(), "a finished resume leaves the switches at rest (format 1)");
    h.rejects(Command::Resume { step: ResumeStep::Open }, RejectReason::ResumeOutOfOrder);
    let (_, events) = h.place(Harness::limit(user, Side::Buy, 900_000, 1_000_000));
    assert!(events.iter().any(|e| matches!(e, Event::OrderRested { .. })), "BTC_THB trades again");
    h.rejects(eth_bid(user, 50_000), RejectReason::CancelOnlyMode);
}
