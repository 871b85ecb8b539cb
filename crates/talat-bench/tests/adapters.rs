//! Each peer adapter, driven through the public trait, must do what the op
//! says: the counts of resting orders are checked, not merely "no panic".

use talat_bench::peers::{LobsterBooks, MatchcoreBooks, OrderbookRsBooks};
use talat_bench::workload::{generate, BookSpec, MarketOp, Op, Side, Tif, Workload, WorkloadConfig};
use talat_bench::{BookUnderTest, Outcome};

const MID: u64 = 1_000;

fn spec(markets: u32) -> BookSpec {
    BookSpec {
        markets,
        accounts: 10,
        max_order_id: 100,
        resting_per_market: 10,
        min_price_ticks: 1,
        max_price_ticks: 2 * MID,
        max_qty_lots: 126,
        mid_price_ticks: MID,
    }
}

fn place(market: u32, id: u64, side: Side, price: u64, qty: u64, tif: Tif) -> MarketOp {
    MarketOp { market, op: Op::Place { id, account: id % 10 + 1, side, price_ticks: price, qty_lots: qty, tif } }
}

fn cancel(market: u32, id: u64) -> MarketOp {
    MarketOp { market, op: Op::Cancel { id, account: id % 10 + 1 } }
}

fn amend(market: u32, id: u64, price: u64, qty: u64) -> MarketOp {
    MarketOp { market, op: Op::Amend { id, account: id % 10 + 1, new_price_ticks: price, new_qty_lots: qty } }
}

/// Places, cancels and amends that never cross: every engine must agree.
fn passive_lifecycle(b: &mut dyn BookUnderTest) {
    let name = b.name();
    // Ten non-crossing orders: five bids below mid, five asks above.
    for i in 0..5 {
        assert_eq!(b.apply(&place(0, 1 + i, Side::Buy, MID - 1 - i, 3, Tif::Gtc)), Outcome::Done, "{name}");
        assert_eq!(b.apply(&place(0, 6 + i, Side::Sell, MID + 1 + i, 3, Tif::Gtc)), Outcome::Done, "{name}");
    }
    assert_eq!(b.resting_orders(), 10, "{name}: ten placed");
    assert_eq!(b.apply(&cancel(0, 3)), Outcome::Done, "{name}");
    assert_eq!(b.resting_orders(), 9, "{name}: one cancelled");
    assert_eq!(b.apply(&cancel(0, 3)), Outcome::UnknownOrder, "{name}: cancelled twice");
    assert_eq!(b.apply(&cancel(0, 99)), Outcome::UnknownOrder, "{name}: never placed");
    assert_eq!(b.apply(&amend(0, 3, MID - 20, 3)), Outcome::UnknownOrder, "{name}: amend of a cancelled order");
    // A passive move keeps the order resting.
    assert_eq!(b.apply(&amend(0, 1, MID - 30, 3)), Outcome::Done, "{name}");
    assert_eq!(b.resting_orders(), 9, "{name}: a move neither adds nor removes");
    // An IOC that cannot trade leaves nothing behind.
    assert_eq!(b.apply(&place(0, 20, Side::Buy, MID, 5, Tif::Ioc)), Outcome::Done, "{name}");
    assert_eq!(b.resting_orders(), 9, "{name}: IOC never rests");
}

/// Trades at the best price only (no sweeping), so price limits cannot matter.
fn crossing_at_one_level(b: &mut dyn BookUnderTest) {
    let name = b.name();
    b.apply(&place(0, 1, Side::Sell, MID + 1, 5, Tif::Gtc));
    b.apply(&place(0, 2, Side::Sell, MID + 1, 5, Tif::Gtc));
    b.apply(&place(0, 3, Side::Buy, MID - 1, 5, Tif::Gtc));
    assert_eq!(b.resting_orders(), 3, "{name}");
    // IOC buys 7 at MID+1: #1 filled, #2 has 3 left.
    assert_eq!(b.apply(&place(0, 4, Side::Buy, MID + 1, 7, Tif::Ioc)), Outcome::Done, "{name}");
    assert_eq!(b.resting_orders(), 2, "{name}: maker #1 filled, IOC gone");
    assert_eq!(b.apply(&cancel(0, 1)), Outcome::UnknownOrder, "{name}: #1 was filled");
    // Move the bid up onto the ask: buys #2's last 3, rests 2 at MID+1.
    assert_eq!(b.apply(&amend(0, 3, MID + 1, 5)), Outcome::Done, "{name}");
    assert_eq!(b.resting_orders(), 1, "{name}: #2 filled, #3 rests with the remainder");
    assert_eq!(b.apply(&cancel(0, 2)), Outcome::UnknownOrder, "{name}");
    // A GTC sell for exactly the remainder fills it and does not rest.
    assert_eq!(b.apply(&place(0, 5, Side::Sell, MID + 1, 2, Tif::Gtc)), Outcome::Done, "{name}");
    assert_eq!(b.resting_orders(), 0, "{name}: book empty");
}

/// Books of different markets are separate.
fn markets_are_separate(b: &mut dyn BookUnderTest) {
    let name = b.name();
    b.apply(&place(0, 1, Side::Sell, MID, 5, Tif::Gtc));
    b.apply(&place(1, 2, Side::Buy, MID + 5, 5, Tif::Gtc));
    assert_eq!(b.resting_orders(), 2, "{name}: a buy in market 1 does not meet a sell in market 0");
    assert_eq!(b.apply(&place(7, 3, Side::Buy, MID, 1, Tif::Gtc)), Outcome::Rejected, "{name}: no market 7");
}

/// A generated stream, replayed: the engine must end exactly where the
/// reference model does and answer every op.
fn agrees_with_the_model(mut b: impl BookUnderTest, w: &Workload) {
    let name = b.name();
    for op in &w.warmup {
        assert_eq!(b.apply(op), Outcome::Done, "{name} warm-up");
    }
    assert_eq!(b.resting_orders(), w.after_warmup.resting_orders, "{name}");
    let mut unknown = 0;
    for op in &w.stream {
        match b.apply(op) {
            Outcome::Done => {}
            Outcome::UnknownOrder => unknown += 1,
            Outcome::Rejected => panic!("{name} rejected {op:?}"),
        }
    }
    assert_eq!(unknown, 0, "{name}");
    assert_eq!(b.resting_orders(), w.after_stream.resting_orders, "{name}");
}

fn all(spec: &BookSpec) -> Vec<Box<dyn BookUnderTest>> {
    vec![Box::new(MatchcoreBooks::new(spec)), Box::new(OrderbookRsBooks::new(spec)), Box::new(LobsterBooks::new(spec))]
}

#[test]
fn every_adapter_places_cancels_and_moves_passively() {
    for mut b in all(&spec(1)) {
        passive_lifecycle(b.as_mut());
    }
}

#[test]
fn every_adapter_trades_at_one_level() {
    for mut b in all(&spec(1)) {
        crossing_at_one_level(b.as_mut());
    }
}

#[test]
fn every_adapter_keeps_markets_apart() {
    for mut b in all(&spec(2)) {
        markets_are_separate(b.as_mut());
    }
}

#[test]
fn orderbook_rs_and_lobster_replay_a_stream_exactly_like_the_model() {
    let w = Workload::normal(3, 20_000);
    agrees_with_the_model(OrderbookRsBooks::new(&w.spec), &w);
    agrees_with_the_model(LobsterBooks::new(&w.spec), &w);
    let mut multi = WorkloadConfig::large(4, 20_000);
    multi.resting_per_market = 500;
    let w = generate(&multi);
    agrees_with_the_model(OrderbookRsBooks::new(&w.spec), &w);
    agrees_with_the_model(LobsterBooks::new(&w.spec), &w);
}

/// On a stream whose crossing ops never want more than their limit offers,
/// matchcore's limit-less matching (below) makes no difference, and all
/// three engines replay it exactly like the model.
#[test]
fn every_adapter_replays_a_non_sweeping_stream_exactly_like_the_model() {
    let cfg = WorkloadConfig { sweep: false, ..WorkloadConfig::normal(5, 20_000) };
    let w = generate(&cfg);
    agrees_with_the_model(MatchcoreBooks::new(&w.spec), &w);
    agrees_with_the_model(OrderbookRsBooks::new(&w.spec), &w);
    agrees_with_the_model(LobsterBooks::new(&w.spec), &w);
}

/// matchcore 0.4.0 matches a crossing limit order with no price limit
/// (`match_order(.., None, ..)` in execution/submit.rs and amend.rs), so it
/// sweeps past its own limit. This pins that behaviour: it is why matchcore
/// disagrees with the reference model on generated streams, and the runner
/// reports it. If this test fails, matchcore honours limits now: move it
/// into the exact-replay test above and drop the note.
#[test]
fn matchcore_sweeps_past_the_limit_price() {
    let mut b = MatchcoreBooks::new(&spec(1));
    b.apply(&place(0, 1, Side::Sell, MID + 1, 5, Tif::Gtc));
    b.apply(&place(0, 2, Side::Sell, MID + 50, 5, Tif::Gtc));
    // Price-time with limits: buys 5 at MID+1, rests 5 at MID+1 (2 resting).
    b.apply(&place(0, 3, Side::Buy, MID + 1, 10, Tif::Gtc));
    assert_eq!(b.resting_orders(), 0, "matchcore bought #2 at MID+50 with a MID+1 limit");
}

#[test]
fn lobster_depth_matches_its_liveness_table() {
    let mut b = LobsterBooks::new(&spec(1));
    crossing_at_one_level(&mut b);
    assert_eq!(b.depth_lots(0), (0, 0));
    b.apply(&place(0, 10, Side::Buy, MID - 1, 4, Tif::Gtc));
    b.apply(&place(0, 11, Side::Sell, MID + 3, 6, Tif::Gtc));
    b.apply(&amend(0, 11, MID + 2, 6));
    assert_eq!(b.depth_lots(0), (4, 6));
    assert_eq!(b.resting_orders(), 2);
}
