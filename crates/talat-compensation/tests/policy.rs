//! The compensation policy on small hand-worked incidents: who is affected, each loss class,
//! the caps, the reference price, and that gains are never paid.

use talat_compensation::price::vwap;
use talat_compensation::{assess, Class, Credit, Facts, Fill, Incident, MarketFacts, Policy, Refused, RequestKind, Window};
use talat_core::Side;

/// BTC_THB-like: price scale 2, base 8, quote 2.
const D: u128 = 100_000_000;
const BTC: u64 = 100_000_000;
const T0: u64 = 1_000_000;
const T1: u64 = 2_000_000;

fn incident() -> Incident {
    Incident::new(Window::new(T0, T1, T1 + 1).unwrap(), vec![1], vec![RequestKind::Login], vec![]).unwrap()
}

fn place(id: u64, user: u64, side: Side, amount: u64, rate: u64) -> Refused {
    Refused {
        id,
        user,
        ts_ms: T0 + 10,
        kind: RequestKind::Place,
        market: Some(1),
        side: Some(side),
        amount: Some(amount),
        rate: Some(rate),
        verified: true,
        code: 90,
    }
}

fn fill(user: u64, ts_ms: u64, side: Side, price: u64, qty: u64) -> Fill {
    Fill { user, market: 1, ts_ms, side, price, qty, fee: 0, fee_in_base: false }
}

fn market(reference_price: Option<u64>) -> Vec<MarketFacts> {
    vec![MarketFacts { market: 1, divisor: D, reference_price }]
}

fn no_caps() -> Policy {
    Policy { fee_refund_cap: u64::MAX / 4, blocked_loss_cap: u64::MAX / 4, customer_cap: u64::MAX / 4, ..Policy::default() }
}

#[test]
fn the_flat_credit_reaches_exactly_the_customers_with_evidence_in_window_and_scope() {
    let mut refused = vec![
        place(1, 10, Side::Buy, 100_00, 0),
        // Outside the window, another market, an unscoped kind: not evidence.
        Refused { ts_ms: T1 + 1, ..place(2, 11, Side::Buy, 100_00, 0) },
        Refused { market: Some(2), ..place(3, 12, Side::Buy, 100_00, 0) },
        Refused { kind: RequestKind::Withdraw, market: None, side: None, amount: None, rate: None, ..place(4, 13, Side::Buy, 0, 0) },
        // A refused login counts (the scope lists logins); so does an unverified shed order.
        Refused { kind: RequestKind::Login, market: None, side: None, amount: None, rate: None, ..place(5, 14, Side::Buy, 0, 0) },
        Refused { verified: false, ..place(6, 15, Side::Sell, BTC, 0) },
    ];
    refused.push(Refused { ts_ms: T1, ..place(7, 10, Side::Buy, 100_00, 0) });
    let policy = Policy { flat_credit: 500_00, ..Policy::default() };
    let facts = Facts { refused: &refused, fills: &[], markets: &market(Some(3_500_000_00)), ticket_users: &[16] };
    let out = assess(&incident(), &policy, &facts);
    let users: Vec<u64> = out.iter().map(|a| a.user).collect();
    assert_eq!(users, vec![10, 14, 15, 16]);
    for a in &out {
        assert_eq!(a.credits, vec![Credit { class: Class::Flat, amount: 500_00 }], "user {}", a.user);
    }
    assert_eq!(out[0].evidence.iter().filter(|l| l.what == "refused").count(), 2, "both of user 10's refusals are shown");
    assert!(out[2].evidence[0].note.contains("unverified"));
    assert_eq!(out[3].evidence[0].what, "ticket");

    let strict = Policy { include_unverified: false, ..policy };
    let users: Vec<u64> = assess(&incident(), &strict, &facts).iter().map(|a| a.user).collect();
    assert_eq!(users, vec![10, 14, 16]);
}

#[test]
fn fees_in_the_window_are_refunded_in_the_quote_asset_with_share_and_cap() {
    let refused = vec![place(1, 10, Side::Buy, 100_00, 0)];
    let fills = vec![
        // A buyer's fee is in BTC: 0.0001 BTC at THB 3,000,000 = THB 300.00.
        Fill { fee: 10_000, fee_in_base: true, ..fill(10, T0 + 5, Side::Buy, 3_000_000_00, BTC) },
        // A seller's fee is in THB already.
        Fill { fee: 150_00, fee_in_base: false, ..fill(10, T0 + 6, Side::Sell, 3_000_000_00, BTC) },
        // After the window: not refunded.
        Fill { fee: 999_00, ..fill(10, T1 + 5, Side::Sell, 3_000_000_00, BTC) },
    ];
    let facts = Facts { refused: &refused, fills: &fills, markets: &market(None), ticket_users: &[] };
    let policy = Policy { fee_refund_ppm: 500_000, ..no_caps() };
    let out = assess(&incident(), &policy, &facts);
    assert_eq!(out[0].credits, vec![Credit { class: Class::Fee, amount: 225_00 }], "half of THB 450");
    let capped = Policy { fee_refund_ppm: 1_000_000, fee_refund_cap: 400_00, ..no_caps() };
    assert_eq!(assess(&incident(), &capped, &facts)[0].credits, vec![Credit { class: Class::Fee, amount: 400_00 }]);
}

#[test]
fn a_blocked_sell_is_paid_the_difference_to_the_reference_vwap_capped_at_its_notional() {
    // The window traded 1 BTC at 3.0 m and 3 BTC at 3.4 m: VWAP 3.3 m.
    let reference = vwap([(3_000_000_00, BTC), (3_400_000_00, 3 * BTC)]).unwrap();
    assert_eq!(reference, 3_300_000_00);
    // Refused: sell 0.5 BTC at market. After t1 the customer sold 0.2 BTC at 3.1 m and 0.5 at 3.2 m.
    let refused = vec![place(1, 10, Side::Sell, BTC / 2, 0)];
    let fills = vec![fill(10, T1 + 10, Side::Sell, 3_100_000_00, BTC / 5), fill(10, T1 + 20, Side::Sell, 3_200_000_00, BTC / 2)];
    let facts = Facts { refused: &refused, fills: &fills, markets: &market(Some(reference)), ticket_users: &[] };
    let out = assess(&incident(), &no_caps(), &facts);
    // 0.2 × (3.3 m − 3.1 m) + 0.3 × (3.3 m − 3.2 m) = 40,000 + 30,000 = THB 70,000.
    assert_eq!(out[0].credits, vec![Credit { class: Class::Blocked, amount: 70_000_00 }]);
    let line = out[0].evidence.iter().find(|l| l.what == "blocked").unwrap();
    assert_eq!((line.reference_price, line.qty), (Some(3_300_000_00), Some(BTC / 2)));
    assert_eq!(line.realised_price, Some(3_160_000_00), "(0.2·3.1 m + 0.3·3.2 m) / 0.5");

    // A fill after the grace period does not count.
    let late = vec![fill(10, T1 + Policy::default().grace_ms + 1, Side::Sell, 3_100_000_00, BTC)];
    let facts = Facts { refused: &refused, fills: &late, markets: &market(Some(reference)), ticket_users: &[] };
    assert!(assess(&incident(), &no_caps(), &facts)[0].credits.is_empty());

    // Capped at the order's notional: a limit sell of 0.01 BTC at 3.0 m is worth THB 30,000,
    // though selling later at almost nothing lost nearly THB 33,000 against the reference.
    let refused = vec![place(1, 10, Side::Sell, BTC / 100, 3_000_000_00)];
    let crash = vec![fill(10, T1 + 10, Side::Sell, 1, BTC / 100)];
    let facts = Facts { refused: &refused, fills: &crash, markets: &market(Some(reference)), ticket_users: &[] };
    assert_eq!(assess(&incident(), &no_caps(), &facts)[0].total, 30_000_00);
}

#[test]
fn gains_and_unreached_limits_are_not_paid() {
    let reference = 3_000_000_00;
    // A refused buy for THB 30,000 at market; the customer later bought cheaper: a gain.
    let refused = vec![place(1, 10, Side::Buy, 30_000_00, 0)];
    let fills = vec![fill(10, T1 + 10, Side::Buy, 2_900_000_00, BTC)];
    let facts = Facts { refused: &refused, fills: &fills, markets: &market(Some(reference)), ticket_users: &[] };
    let out = assess(&incident(), &no_caps(), &facts);
    assert!(out[0].credits.is_empty());
    assert!(out[0].evidence.iter().any(|l| l.note.contains("gains are not paid")));

    // Bought dearer later, but the refused bid's limit (2.9 m) was below the reference: it
    // would not have filled, so no loss.
    let refused = vec![place(1, 10, Side::Buy, 29_000_00, 2_900_000_00)];
    let fills = vec![fill(10, T1 + 10, Side::Buy, 3_200_000_00, BTC)];
    let facts = Facts { refused: &refused, fills: &fills, markets: &market(Some(reference)), ticket_users: &[] };
    let out = assess(&incident(), &no_caps(), &facts);
    assert!(out[0].credits.is_empty());
    assert!(out[0].evidence.iter().any(|l| l.note.contains("limit was not reached")));

    // The same bid at market: 0.01 BTC for THB 30,000 at the reference, later paid 3.2 m: THB 2,000.
    let refused = vec![place(1, 10, Side::Buy, 30_000_00, 0)];
    let facts = Facts { refused: &refused, fills: &fills, markets: &market(Some(reference)), ticket_users: &[] };
    assert_eq!(assess(&incident(), &no_caps(), &facts)[0].credits, vec![Credit { class: Class::Blocked, amount: 2_000_00 }]);
}

#[test]
fn a_later_fill_backs_one_refused_order_only() {
    // The client retried the same refused sell three times; one later sale of 1 BTC.
    let refused = vec![place(1, 10, Side::Sell, BTC, 0), place(2, 10, Side::Sell, BTC, 0), place(3, 10, Side::Sell, BTC, 0)];
    let fills = vec![fill(10, T1 + 10, Side::Sell, 2_900_000_00, BTC)];
    let facts = Facts { refused: &refused, fills: &fills, markets: &market(Some(3_000_000_00)), ticket_users: &[] };
    assert_eq!(assess(&incident(), &no_caps(), &facts)[0].total, 100_000_00, "1 BTC × THB 100,000, once");
}

#[test]
fn the_customer_cap_trims_the_blocked_loss_first_then_fees_then_the_flat_credit() {
    let refused = vec![place(1, 10, Side::Sell, BTC, 0)];
    let fills = vec![Fill { fee: 300_00, ..fill(10, T0 + 1, Side::Sell, 3_000_000_00, BTC / 10) }, fill(10, T1 + 10, Side::Sell, 2_990_000_00, BTC)];
    let facts = Facts { refused: &refused, fills: &fills, markets: &market(Some(3_000_000_00)), ticket_users: &[] };
    let base = Policy { flat_credit: 500_00, ..no_caps() };
    let full = assess(&incident(), &base, &facts);
    assert_eq!(full[0].credits.iter().map(|c| c.amount).collect::<Vec<_>>(), vec![500_00, 300_00, 10_000_00]);
    assert!(!full[0].capped);

    let capped = assess(&incident(), &Policy { customer_cap: 1_000_00, review_above: 900_00, ..base.clone() }, &facts);
    assert_eq!(
        capped[0].credits,
        vec![Credit { class: Class::Flat, amount: 500_00 }, Credit { class: Class::Fee, amount: 300_00 }, Credit { class: Class::Blocked, amount: 200_00 }]
    );
    assert!(capped[0].capped && capped[0].review);
    let tight = assess(&incident(), &Policy { customer_cap: 600_00, ..base.clone() }, &facts);
    assert_eq!(tight[0].credits, vec![Credit { class: Class::Flat, amount: 500_00 }, Credit { class: Class::Fee, amount: 100_00 }]);
    let share = assess(&incident(), &Policy { blocked_loss_ppm: 1_100_000, ..base }, &facts);
    assert_eq!(share[0].credits[2], Credit { class: Class::Blocked, amount: 11_000_00 }, "difference + 10 %");
}

#[test]
fn no_reference_price_means_no_blocked_loss_but_still_affected() {
    let refused = vec![place(1, 10, Side::Sell, BTC, 0)];
    let fills = vec![fill(10, T1 + 10, Side::Sell, 1, BTC)];
    let facts = Facts { refused: &refused, fills: &fills, markets: &market(None), ticket_users: &[] };
    let out = assess(&incident(), &Policy { flat_credit: 1, ..Policy::default() }, &facts);
    assert_eq!(out[0].credits, vec![Credit { class: Class::Flat, amount: 1 }]);
    assert!(out[0].evidence.iter().any(|l| l.note.contains("no reference price")));
}
