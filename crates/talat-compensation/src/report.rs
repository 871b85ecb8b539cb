//! The regulator's report of an incident's payments (exchange-domain.md §8): per credit its
//! time to pay, and per asset the customers, amounts, what is still pending and the longest
//! time to pay. Facts in (the credits as recorded), figures out: the CSV is the surface's job.

use std::collections::{BTreeMap, BTreeSet};

/// One credit as recorded: its customer, asset, amount and when it was paid (if it was).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaidCredit<'a> {
    pub user: u64,
    pub asset: &'a str,
    pub amount: u64,
    pub completed_ms: Option<u64>,
}

/// One asset's line of the report's totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssetTotal {
    /// Every credit's amount, paid or not.
    pub amount: u64,
    /// Distinct customers credited.
    pub customers: usize,
    pub pending_credits: u64,
    pub pending_amount: u64,
    /// The longest time from approval to payment among the paid credits.
    pub longest_time_to_pay_ms: u64,
}

/// How long a credit took from the incident's approval to its payment; `None` while unpaid.
/// A payment recorded before the approval (a clock step) counts as immediate, never negative.
pub fn time_to_pay_ms(approved_ms: u64, completed_ms: Option<u64>) -> Option<u64> {
    completed_ms.map(|t| t.saturating_sub(approved_ms))
}

/// The totals per asset (ordered by asset code). Sums saturate: no incident pays near u64::MAX.
pub fn totals(approved_ms: u64, credits: &[PaidCredit<'_>]) -> BTreeMap<String, AssetTotal> {
    let mut out: BTreeMap<String, (AssetTotal, BTreeSet<u64>)> = BTreeMap::new();
    for c in credits {
        let (t, users) = out.entry(c.asset.to_string()).or_default();
        t.amount = t.amount.saturating_add(c.amount);
        if c.completed_ms.is_none() {
            t.pending_credits += 1;
            t.pending_amount = t.pending_amount.saturating_add(c.amount);
        }
        users.insert(c.user);
        t.longest_time_to_pay_ms = t.longest_time_to_pay_ms.max(time_to_pay_ms(approved_ms, c.completed_ms).unwrap_or(0));
    }
    out.into_iter().map(|(code, (mut t, users))| (code, AssetTotal { customers: users.len(), ..std::mem::take(&mut t) })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_count_customers_once_and_pending_apart() {
        let credits = [
            PaidCredit { user: 1, asset: "THB", amount: 100, completed_ms: Some(1_500) },
            PaidCredit { user: 1, asset: "THB", amount: 50, completed_ms: None },
            PaidCredit { user: 2, asset: "THB", amount: 25, completed_ms: Some(4_000) },
            PaidCredit { user: 2, asset: "BTC", amount: 7, completed_ms: Some(900) },
        ];
        let t = totals(1_000, &credits);
        assert_eq!(t["THB"], AssetTotal { amount: 175, customers: 2, pending_credits: 1, pending_amount: 50, longest_time_to_pay_ms: 3_000 });
        // Paid before the approval was recorded: immediate, not negative.
        assert_eq!(t["BTC"], AssetTotal { amount: 7, customers: 1, pending_credits: 0, pending_amount: 0, longest_time_to_pay_ms: 0 });
        assert_eq!(time_to_pay_ms(1_000, None), None);
    }
}
