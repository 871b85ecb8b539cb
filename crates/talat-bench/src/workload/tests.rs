//! Tests of the workload generator: determinism per seed, the pinned stream, the warm-up books, the op mix and its invariants.

use std::collections::BTreeSet;

use super::*;

fn pct(n: u64, of: u64) -> f64 {
    100.0 * n as f64 / of as f64
}

#[test]
fn same_seed_same_stream_other_seed_other_stream() {
    let a = Workload::normal(11, 20_000);
    let b = Workload::normal(11, 20_000);
    let c = Workload::normal(12, 20_000);
    assert_eq!(a.warmup, b.warmup);
    assert_eq!(a.stream, b.stream);
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_ne!(a.fingerprint(), c.fingerprint());
}

/// Pins the stream itself. If this changes, figures measured before and
/// after the change were measured on different streams and must not be
/// compared: change it only on purpose, and say so in the commit.
#[test]
fn stream_is_pinned() {
    assert_eq!(format!("{:016x}", Workload::normal(42, 10_000).fingerprint()), "b75bb7ad14fd1f54");
}

#[test]
fn warmup_builds_a_thousand_orders_on_about_750_levels_around_mid() {
    let w = Workload::normal(5, 0);
    let mid = w.spec.mid_price_ticks;
    assert_eq!(w.warmup.len(), 1_000);
    let mut levels = BTreeSet::new();
    for mo in &w.warmup {
        let Op::Place { side, price_ticks, qty_lots, tif, account, .. } = mo.op else { panic!("warm-up only places: {mo:?}") };
        assert_eq!(tif, Tif::Gtc);
        assert!((1..=126).contains(&qty_lots));
        assert!((1..=1_000).contains(&account));
        // Bids strictly below mid, asks strictly above: nothing crosses.
        match side {
            Side::Buy => assert!(price_ticks < mid && mid - price_ticks <= 825),
            Side::Sell => assert!(price_ticks > mid && price_ticks - mid <= 825),
        }
        levels.insert((side, price_ticks));
    }
    assert!((650..=850).contains(&levels.len()), "{} levels", levels.len());
    assert_eq!(w.after_warmup.resting_orders, 1_000);
    assert_eq!(w.after_warmup.bid_levels + w.after_warmup.ask_levels, levels.len() as u64);
}

#[test]
fn stream_has_the_exchange_core_mix() {
    let w = Workload::normal(7, 200_000);
    let s = &w.stats;
    let n = s.total();
    assert_eq!(n, 200_000);
    // Nominal 9 / 3 / 6 / 82 with ~6 % trading; the book-size steering moves
    // about a point from cancel to GTC (see the generator).
    let (gtc, ioc, cancel, amend, trading) = (pct(s.gtc, n), pct(s.ioc, n), pct(s.cancel, n), pct(s.amend, n), pct(s.trading, n));
    assert!((8.5..11.0).contains(&gtc), "GTC {gtc:.2}%");
    assert!((2.7..3.3).contains(&ioc), "IOC {ioc:.2}%");
    assert!((4.0..6.5).contains(&cancel), "cancel {cancel:.2}%");
    assert!((81.0..83.0).contains(&amend), "amend {amend:.2}%");
    assert!((4.5..7.5).contains(&trading), "trading {trading:.2}%");
    // The book neither drains nor grows.
    assert!((900..=1_100).contains(&w.after_stream.resting_orders), "{:?}", w.after_stream);
}

#[test]
fn stream_refers_only_to_live_orders_with_their_true_open_quantity() {
    let w = Workload::normal(9, 50_000);
    let mut book = ModelBook::new();
    let mut max_id = 0;
    for mo in w.warmup.iter().chain(&w.stream) {
        assert_eq!(mo.market, 0);
        match mo.op {
            Op::Place { id, account, side, price_ticks, qty_lots, tif } => {
                assert!(id > max_id, "ids are fresh and increasing");
                max_id = id;
                assert!((1..=126).contains(&qty_lots));
                book.place(id, account, side, price_ticks, qty_lots, tif);
            }
            Op::Cancel { id, account } => {
                assert_eq!(book.get(id).map(|o| o.account), Some(account), "cancel of a live order by its owner");
                book.cancel(id);
            }
            Op::Amend { id, account, new_price_ticks, new_qty_lots } => {
                let o = *book.get(id).expect("amend of a live order");
                assert_eq!(o.account, account);
                assert_eq!(o.qty, new_qty_lots, "a move keeps the open quantity");
                assert_ne!(o.price, new_price_ticks, "a move moves");
                book.amend(id, new_price_ticks, new_qty_lots);
            }
        }
    }
    assert_eq!(book.state(), w.after_stream);
    assert_eq!(w.spec.max_order_id, max_id);
}

#[test]
fn large_config_is_ten_deep_books_and_a_hundred_thousand_accounts() {
    let cfg = WorkloadConfig::large(1, 0);
    assert_eq!((cfg.markets, cfg.accounts, cfg.resting_per_market as u64 * u64::from(cfg.markets)), (10, 100_000, 1_000_000));
    // Generating the full million takes seconds in a test build; a tenth of
    // it checks the multi-market plumbing the same way.
    let w = generate(&WorkloadConfig { resting_per_market: 10_000, stream_ops: 50_000, ..cfg });
    assert_eq!(w.warmup.len(), 100_000);
    assert_eq!(w.after_warmup.resting_orders, 100_000);
    let mut per_market = [0u64; 10];
    let mut max_account = 0;
    for mo in &w.stream {
        per_market[mo.market as usize] += 1;
        if let Op::Place { account, .. } = mo.op {
            max_account = max_account.max(account);
        }
    }
    // Markets are chosen uniformly: each gets 10 % ± 1 point.
    assert!(per_market.iter().all(|&n| (4_500..5_500).contains(&n)), "{per_market:?}");
    assert!(max_account > 90_000 && max_account <= 100_000);
    assert!((95_000..=105_000).contains(&w.after_stream.resting_orders));
}

#[test]
fn without_sweeping_no_crossing_op_wants_more_than_its_limit_offers() {
    let w = generate(&WorkloadConfig { sweep: false, ..WorkloadConfig::normal(13, 50_000) });
    let mut book = ModelBook::new();
    for mo in w.warmup.iter().chain(&w.stream) {
        match mo.op {
            Op::Place { id, account, side, price_ticks, qty_lots, tif } => {
                let avail = book.available_within(side, price_ticks);
                assert!(avail == 0 || qty_lots <= avail, "{mo:?} wants {qty_lots}, {avail} available");
                book.place(id, account, side, price_ticks, qty_lots, tif);
            }
            Op::Cancel { id, .. } => {
                book.cancel(id);
            }
            Op::Amend { id, new_price_ticks, new_qty_lots, .. } => {
                let side = book.get(id).unwrap().side;
                let avail = book.available_within(side, new_price_ticks);
                assert!(avail == 0 || new_qty_lots <= avail, "{mo:?}");
                book.amend(id, new_price_ticks, new_qty_lots);
            }
        }
    }
    // Still an exchange-core-like stream.
    let trading = pct(w.stats.trading, w.stats.total());
    assert!((3.5..7.5).contains(&trading), "trading {trading:.2}%");
    assert!((900..=1_100).contains(&w.after_stream.resting_orders));
}
