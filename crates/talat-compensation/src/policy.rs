//! The operator's policy for one incident: which classes pay, how much, and the caps. Amounts
//! are units of the pay asset (satang for THB); shares are parts per million. Every field has a
//! default (docs/compensation.md explains each) and a bound, checked by [`Policy::validate`].

use serde::{Deserialize, Serialize};

/// One million: a share of 100 %.
pub const PPM: u64 = 1_000_000;

/// The most any one customer may be paid by one incident, whatever the policy says: THB 10 m
/// at scale 2. A larger claim is a legal case, not an automatic credit.
pub const MAX_CUSTOMER_CAP: u64 = 10_000_000_00;

/// The longest grace after t1 in which a customer's fill still counts as the price they
/// realised instead of the blocked action: one day.
pub const MAX_GRACE_MS: u64 = 24 * 3_600_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Inconvenience: a flat credit to every affected customer (Bitkub paid THB 500 in 2021).
    pub flat_credit: u64,
    /// Fee refund: this share of the fees an affected customer paid in the window, in the
    /// scoped markets (a fee in the base asset is converted at that trade's own price).
    pub fee_refund_ppm: u64,
    /// At most this much fee refund per customer.
    pub fee_refund_cap: u64,
    /// Blocked action: this share of the proven loss (Bithumb paid the difference + 10 %:
    /// 1_100_000). Up to 2_000_000.
    pub blocked_loss_ppm: u64,
    /// At most this much blocked-action loss per customer.
    pub blocked_loss_cap: u64,
    /// A customer's fills in the same market and side within this long after t1 are the price
    /// they realised instead (methodology: "first fill after t1 within a grace period").
    pub grace_ms: u64,
    /// At most this much in all per customer (blocked loss trimmed first, then fees, then flat).
    pub customer_cap: u64,
    /// Credits above this are flagged for a closer look in the preview (still paid on approval:
    /// the approval is the review).
    pub review_above: u64,
    /// Count refused requests whose user was read from the API key header without a verified
    /// signature (new orders shed before authentication). They are flagged in the evidence.
    pub include_unverified: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            flat_credit: 0,
            fee_refund_ppm: PPM,
            fee_refund_cap: 10_000_00,
            blocked_loss_ppm: PPM,
            blocked_loss_cap: 100_000_00,
            grace_ms: 3_600_000,
            customer_cap: 100_000_00,
            review_above: 10_000_00,
            include_unverified: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy.{field}: {problem}")]
pub struct PolicyError {
    pub field: &'static str,
    pub problem: &'static str,
}

impl Policy {
    pub fn validate(&self) -> Result<(), PolicyError> {
        let bad = |field, problem| Err(PolicyError { field, problem });
        if self.fee_refund_ppm > PPM {
            return bad("fee_refund_ppm", "at most 1000000 (100 %)");
        }
        if self.blocked_loss_ppm > 2 * PPM {
            return bad("blocked_loss_ppm", "at most 2000000 (200 %)");
        }
        if self.grace_ms > MAX_GRACE_MS {
            return bad("grace_ms", "at most one day");
        }
        if self.customer_cap > MAX_CUSTOMER_CAP {
            return bad("customer_cap", "at most 1000000000 units (THB 10 m)");
        }
        for (field, value) in [("flat_credit", self.flat_credit), ("fee_refund_cap", self.fee_refund_cap), ("blocked_loss_cap", self.blocked_loss_cap)] {
            if value > self.customer_cap {
                return bad(field, "larger than customer_cap");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_named() {
        assert_eq!(Policy::default().validate(), Ok(()));
        let p = Policy { fee_refund_ppm: PPM + 1, ..Policy::default() };
        assert_eq!(p.validate().unwrap_err().field, "fee_refund_ppm");
        let p = Policy { flat_credit: Policy::default().customer_cap + 1, ..Policy::default() };
        assert_eq!(p.validate().unwrap_err().field, "flat_credit");
        let p = Policy { grace_ms: MAX_GRACE_MS + 1, ..Policy::default() };
        assert_eq!(p.validate().unwrap_err().to_string(), "policy.grace_ms: at most one day");
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<Policy>(r#"{"flat_credit":5,"bonus":1}"#).is_err());
        let p: Policy = serde_json::from_str(r#"{"flat_credit":5}"#).unwrap();
        assert_eq!(p.flat_credit, 5);
        assert_eq!(p.fee_refund_ppm, PPM);
    }
}
