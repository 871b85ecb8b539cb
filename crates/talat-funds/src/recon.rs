//! The daily reconciliation (exchange-domain §3.3, §4): what the ledger says the segregated
//! bank account must hold, against the statement's closing balance, with every item in transit
//! itemised. A difference is an exception until staff resolve it; the report is kept as evidence.
//!
//! What the account must hold is the engine's THB custody: every credited deposit less every
//! settled payout. The report shows it as the customers' THB (available and held), plus the
//! exchange's THB fee revenue not yet swept out, less compensation credits the exchange has not
//! yet funded into the account, so each part can be checked on its own.

use serde::{Deserialize, Serialize};

/// Why the bank and the ledger legitimately differ on the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InTransitKind {
    /// On the statement, not credited: an exception waiting for staff (+ on the bank side).
    UncreditedReceipt,
    /// Credited from a bank callback; no statement shows it yet (− on the bank side).
    CreditedNotOnStatement,
    /// A refund or return of an uncredited receipt that left the account.
    RefundedReceipt,
}

impl InTransitKind {
    /// +1 when the bank holds this money and the ledger does not show it as client money.
    pub fn sign(self) -> i64 {
        match self {
            InTransitKind::UncreditedReceipt => 1,
            InTransitKind::CreditedNotOnStatement | InTransitKind::RefundedReceipt => -1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub kind: InTransitKind,
    pub reference: String,
    pub amount_satang: i64,
    pub note: String,
}

/// The ledger's side, at the end of the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerSide {
    pub customers_satang: i64,
    pub fee_revenue_satang: i64,
    pub compensation_satang: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub date: String,
    pub ledger: LedgerSide,
    /// customers + fees − compensation: what the deposits and payouts put in the account.
    pub ledger_custody_satang: i64,
    pub in_transit_satang: i64,
    /// custody ± in transit: what the statement should show.
    pub expected_bank_satang: i64,
    pub bank_satang: i64,
    /// bank − expected: zero when balanced.
    pub difference_satang: i64,
    pub items: Vec<Item>,
}

impl Report {
    pub fn balanced(&self) -> bool {
        self.difference_satang == 0
    }

    /// The report as CSV evidence: a summary block, then every item.
    pub fn to_csv(&self) -> String {
        let f = |v: i64| format!("{}{}", if v < 0 { "-" } else { "" }, crate::format_thb(v.unsigned_abs()));
        let mut out = String::from("field,amount_thb,reference,note\n");
        let summary = [
            ("customers_thb", self.ledger.customers_satang),
            ("fee_revenue_thb", self.ledger.fee_revenue_satang),
            ("compensation_thb", -self.ledger.compensation_satang),
            ("ledger_custody_thb", self.ledger_custody_satang),
            ("in_transit_thb", self.in_transit_satang),
            ("expected_bank_thb", self.expected_bank_satang),
            ("bank_thb", self.bank_satang),
            ("difference_thb", self.difference_satang),
        ];
        for (name, value) in summary {
            out.push_str(&format!("{name},{},,{}\n", f(value), self.date));
        }
        for item in &self.items {
            let kind = serde_json::to_value(item.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
            let note = item.note.replace(['"', '\n'], " ");
            out.push_str(&format!("{kind},{},{},\"{note}\"\n", f(item.kind.sign() * item.amount_satang), item.reference.replace(',', " ")));
        }
        out
    }
}

/// Reconciles one day.
pub fn reconcile(date: &str, ledger: LedgerSide, bank_satang: i64, items: Vec<Item>) -> Report {
    let ledger_custody_satang = ledger.customers_satang + ledger.fee_revenue_satang - ledger.compensation_satang;
    let in_transit_satang: i64 = items.iter().map(|i| i.kind.sign() * i.amount_satang).sum();
    let expected_bank_satang = ledger_custody_satang + in_transit_satang;
    Report {
        date: date.to_string(),
        ledger,
        ledger_custody_satang,
        in_transit_satang,
        expected_bank_satang,
        bank_satang,
        difference_satang: bank_satang - expected_bank_satang,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> LedgerSide {
        LedgerSide { customers_satang: 1_000_00, fee_revenue_satang: 20_00, compensation_satang: 0 }
    }

    #[test]
    fn balanced_with_items_in_transit() {
        let items = vec![
            Item { kind: InTransitKind::UncreditedReceipt, reference: "KB9".into(), amount_satang: 500_00, note: "amount mismatch".into() },
            Item { kind: InTransitKind::CreditedNotOnStatement, reference: "KB10".into(), amount_satang: 100_00, note: String::new() },
        ];
        let r = reconcile("2026-12-06", ledger(), 1_420_00, items);
        assert_eq!(r.expected_bank_satang, 1_020_00 + 500_00 - 100_00);
        assert!(r.balanced());
        assert!(r.to_csv().contains("difference_thb,0.00"));
    }

    #[test]
    fn a_planted_difference_is_found_and_signed() {
        let r = reconcile("2026-12-06", ledger(), 1_019_99, Vec::new());
        assert_eq!(r.difference_satang, -1);
        assert!(!r.balanced());
        assert!(r.to_csv().contains("difference_thb,-0.01"));
    }
}
