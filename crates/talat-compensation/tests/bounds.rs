//! The policy's bounds on random incidents: whatever the evidence, no customer is paid past a
//! cap or for a class the policy turned off, nobody without evidence is paid, the totals add
//! up, and the same facts give the same credits (a preview is what an approval pays).

use proptest::prelude::*;
use talat_compensation::{assess, Class, Facts, Fill, Incident, MarketFacts, Policy, Refused, RequestKind, Window};
use talat_core::Side;

const T0: u64 = 1_000_000;
const T1: u64 = 2_000_000;

fn side(b: bool) -> Side {
    if b {
        Side::Buy
    } else {
        Side::Sell
    }
}

prop_compose! {
    fn refused()(id in 0u64..1_000, user in 0u64..8, ts in T0 - 100..T1 + 100, market in 0u32..3, buy: bool, amount in 1u64..10_000_000_000, rate in prop_oneof![Just(0u64), 1u64..1_000_000_000], verified: bool) -> Refused {
        Refused { id, user, ts_ms: ts, kind: RequestKind::Place, market: Some(market), side: Some(side(buy)), amount: Some(amount), rate: Some(rate), verified, code: 90 }
    }
}

prop_compose! {
    fn fill()(user in 0u64..8, ts in T0..T1 + 10_000_000, market in 0u32..3, buy: bool, price in 1u64..1_000_000_000, qty in 1u64..1_000_000_000, fee in 0u64..1_000_000, fee_in_base: bool) -> Fill {
        Fill { user, market, ts_ms: ts, side: side(buy), price, qty, fee, fee_in_base }
    }
}

prop_compose! {
    fn policy()(flat in 0u64..100_000, fee_ppm in 0u64..=1_000_000, fee_cap in 0u64..1_000_000, blocked_ppm in 0u64..=2_000_000, blocked_cap in 0u64..10_000_000, cap in 10_000_000u64..20_000_000, review in 0u64..20_000_000, include_unverified: bool) -> Policy {
        Policy { flat_credit: flat, fee_refund_ppm: fee_ppm, fee_refund_cap: fee_cap, blocked_loss_ppm: blocked_ppm, blocked_loss_cap: blocked_cap, grace_ms: 3_600_000, customer_cap: cap, review_above: review, include_unverified }
    }
}

proptest! {
    #[test]
    fn credits_stay_within_the_policy(refused in prop::collection::vec(refused(), 0..40), fills in prop::collection::vec(fill(), 0..60), policy in policy(), reference in prop::option::of(1u64..1_000_000_000)) {
        prop_assert!(policy.validate().is_ok());
        let incident = Incident::new(Window::new(T0, T1, T1).unwrap(), vec![0, 1], vec![], vec![]).unwrap();
        let markets: Vec<MarketFacts> = (0..3).map(|m| MarketFacts { market: m, divisor: 100_000_000, reference_price: reference }).collect();
        let facts = Facts { refused: &refused, fills: &fills, markets: &markets, ticket_users: &[] };
        let out = assess(&incident, &policy, &facts);
        prop_assert_eq!(&out, &assess(&incident, &policy, &facts), "deterministic");
        for a in &out {
            let evidence = refused.iter().any(|r| r.user == a.user && incident.covers(r.ts_ms, r.market, r.kind) && (r.verified || policy.include_unverified));
            prop_assert!(evidence, "user {} has no evidence", a.user);
            prop_assert!(a.total <= policy.customer_cap);
            prop_assert_eq!(a.total, a.credits.iter().map(|c| c.amount).sum::<u64>());
            prop_assert_eq!(a.review, a.total > policy.review_above);
            for c in &a.credits {
                prop_assert!(c.amount > 0);
                match c.class {
                    Class::Flat => prop_assert_eq!(c.amount, policy.flat_credit),
                    Class::Fee => prop_assert!(c.amount <= policy.fee_refund_cap && policy.fee_refund_ppm > 0),
                    Class::Blocked => prop_assert!(c.amount <= policy.blocked_loss_cap && policy.blocked_loss_ppm > 0 && reference.is_some()),
                }
            }
        }
    }
}
