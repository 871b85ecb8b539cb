//! What a deposit or withdrawal request must satisfy before the engine is asked to hold
//! anything: amount bounds, one pending withdrawal at a time, a verified account in the
//! customer's own name, cooling-off after a new destination or a security change, the account
//! neither locked nor under a sanctions hit, and the second factor. The daily budget itself is
//! the engine's (it values every asset at the last price); [`budget_left`] only shows it.

use crate::Satang;
use serde::{Deserialize, Serialize};

/// Settings of the THB rails (exchange-domain §3.2 gives Bitkub's: QR deposits from THB 40,
/// withdrawals up to THB 20 m per transaction).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FundsLimits {
    pub deposit_min_satang: Satang,
    pub deposit_max_satang: Satang,
    /// How long a deposit QR may be paid.
    pub deposit_expiry_ms: u64,
    pub withdraw_min_satang: Satang,
    pub withdraw_max_satang: Satang,
    pub withdraw_fee_satang: Satang,
    /// After a destination is verified, or after a password or 2FA change.
    pub cooling_off_ms: u64,
}

impl Default for FundsLimits {
    fn default() -> Self {
        FundsLimits {
            deposit_min_satang: 40_00,
            deposit_max_satang: 2_000_000_00,
            deposit_expiry_ms: 15 * 60 * 1000,
            withdraw_min_satang: 100_00,
            withdraw_max_satang: 20_000_000_00,
            withdraw_fee_satang: 20_00,
            cooling_off_ms: 24 * 60 * 60 * 1000,
        }
    }
}

/// The state of a registered destination, as the checks need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Destination {
    pub verified_at_ms: Option<u64>,
    pub rejected: bool,
    /// The account holder's name is the customer's KYC name (`names::same_person`).
    pub name_matches_owner: bool,
}

/// Everything a withdrawal request is checked against, gathered by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WithdrawalRequest {
    pub amount_satang: Satang,
    pub now_ms: u64,
    pub pending_withdrawals: usize,
    pub destination: Destination,
    /// The last password or 2FA change.
    pub security_changed_at_ms: Option<u64>,
    pub account_locked: bool,
    /// An open or confirmed sanctions hit.
    pub sanctions_hit: bool,
    /// The second factor was given and right (or the API key with withdraw permission stood for it).
    pub second_factor_ok: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the amount is below the minimum of {} THB", crate::format_thb(*min))]
    BelowMinimum { min: Satang },
    #[error("the amount is above the maximum of {} THB per request", crate::format_thb(*max))]
    AboveMaximum { max: Satang },
    #[error("a withdrawal is already pending; wait for it to finish or cancel it")]
    PendingExists,
    #[error("this bank account is not verified yet")]
    DestinationNotVerified,
    #[error("this bank account was rejected")]
    DestinationRejected,
    #[error("this bank account is not in your name")]
    DestinationNotOwn,
    #[error("this bank account was verified recently; it can be used once its cooling-off period ends")]
    DestinationCoolingOff { until_ms: u64 },
    #[error("your password or two-factor settings changed recently; withdrawals open again once the cooling-off period ends")]
    SecurityCoolingOff { until_ms: u64 },
    #[error("your account is locked; contact support")]
    Locked,
    #[error("your account is under compliance review; contact support")]
    Sanctions,
    #[error("the two-factor code is wrong or was already used")]
    SecondFactor,
}

impl Refusal {
    /// The v3 and v4 Bitkub codes (§13): 12 / 47 amounts, 40 and B1009-CW pending, 48 / 58
    /// accounts, 9 for "not allowed within the last 24 hours" and freezes.
    pub fn bitkub_v3_code(self) -> u16 {
        match self {
            Refusal::BelowMinimum { .. } => 12,
            Refusal::AboveMaximum { .. } => 47,
            Refusal::PendingExists => 40,
            Refusal::DestinationNotVerified | Refusal::DestinationCoolingOff { .. } => 58,
            Refusal::DestinationRejected | Refusal::DestinationNotOwn => 48,
            Refusal::SecurityCoolingOff { .. } | Refusal::Locked | Refusal::Sanctions => 9,
            Refusal::SecondFactor => 6,
        }
    }
}

impl FundsLimits {
    pub fn check_deposit(&self, amount_satang: Satang) -> Result<(), Refusal> {
        if amount_satang < self.deposit_min_satang {
            return Err(Refusal::BelowMinimum { min: self.deposit_min_satang });
        }
        if amount_satang > self.deposit_max_satang {
            return Err(Refusal::AboveMaximum { max: self.deposit_max_satang });
        }
        Ok(())
    }

    /// The first refusal that applies, in the order a customer can act on them.
    pub fn check_withdrawal(&self, r: &WithdrawalRequest) -> Result<(), Refusal> {
        if r.account_locked {
            return Err(Refusal::Locked);
        }
        if r.sanctions_hit {
            return Err(Refusal::Sanctions);
        }
        if r.amount_satang < self.withdraw_min_satang {
            return Err(Refusal::BelowMinimum { min: self.withdraw_min_satang });
        }
        if r.amount_satang > self.withdraw_max_satang {
            return Err(Refusal::AboveMaximum { max: self.withdraw_max_satang });
        }
        if r.pending_withdrawals > 0 {
            return Err(Refusal::PendingExists);
        }
        self.check_destination(&r.destination, r.now_ms)?;
        if let Some(changed) = r.security_changed_at_ms {
            let until_ms = changed.saturating_add(self.cooling_off_ms);
            if r.now_ms < until_ms {
                return Err(Refusal::SecurityCoolingOff { until_ms });
            }
        }
        if !r.second_factor_ok {
            return Err(Refusal::SecondFactor);
        }
        Ok(())
    }

    /// A destination may receive money: not rejected, in the owner's name, verified, and past
    /// its cooling-off.
    pub fn check_destination(&self, d: &Destination, now_ms: u64) -> Result<(), Refusal> {
        if d.rejected {
            return Err(Refusal::DestinationRejected);
        }
        if !d.name_matches_owner {
            return Err(Refusal::DestinationNotOwn);
        }
        let verified = d.verified_at_ms.ok_or(Refusal::DestinationNotVerified)?;
        let until_ms = verified.saturating_add(self.cooling_off_ms);
        if now_ms < until_ms {
            return Err(Refusal::DestinationCoolingOff { until_ms });
        }
        Ok(())
    }

    /// What the customer receives: the amount less the fee (the fee is held on top, as the
    /// engine's `WithdrawalHold` takes amount and fee apart).
    pub fn fee(&self) -> Satang {
        self.withdraw_fee_satang
    }
}

/// The day's budget left, for display: the engine's figure is the one enforced.
pub fn budget_left(daily_satang: Satang, used_satang: Satang) -> Satang {
    daily_satang.saturating_sub(used_satang)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 24 * 60 * 60 * 1000;
    const NOW: u64 = 10 * DAY;

    fn ok_request() -> WithdrawalRequest {
        WithdrawalRequest {
            amount_satang: 1_000_00,
            now_ms: NOW,
            pending_withdrawals: 0,
            destination: Destination { verified_at_ms: Some(NOW - DAY), rejected: false, name_matches_owner: true },
            security_changed_at_ms: None,
            account_locked: false,
            sanctions_hit: false,
            second_factor_ok: true,
        }
    }

    #[test]
    fn a_good_request_passes() {
        assert_eq!(FundsLimits::default().check_withdrawal(&ok_request()), Ok(()));
    }

    #[test]
    fn every_refusal() {
        let l = FundsLimits::default();
        let with = |f: &dyn Fn(&mut WithdrawalRequest)| {
            let mut r = ok_request();
            f(&mut r);
            l.check_withdrawal(&r).unwrap_err()
        };
        assert_eq!(with(&|r| r.amount_satang = 99_99), Refusal::BelowMinimum { min: 100_00 });
        assert_eq!(with(&|r| r.amount_satang = 20_000_000_01), Refusal::AboveMaximum { max: 20_000_000_00 });
        assert_eq!(with(&|r| r.pending_withdrawals = 1), Refusal::PendingExists);
        assert_eq!(with(&|r| r.destination.verified_at_ms = None), Refusal::DestinationNotVerified);
        assert_eq!(with(&|r| r.destination.rejected = true), Refusal::DestinationRejected);
        assert_eq!(with(&|r| r.destination.name_matches_owner = false), Refusal::DestinationNotOwn);
        assert_eq!(with(&|r| r.destination.verified_at_ms = Some(NOW - 1000)), Refusal::DestinationCoolingOff { until_ms: NOW - 1000 + DAY });
        assert_eq!(with(&|r| r.security_changed_at_ms = Some(NOW - 5)), Refusal::SecurityCoolingOff { until_ms: NOW - 5 + DAY });
        assert_eq!(with(&|r| r.account_locked = true), Refusal::Locked);
        assert_eq!(with(&|r| r.sanctions_hit = true), Refusal::Sanctions);
        assert_eq!(with(&|r| r.second_factor_ok = false), Refusal::SecondFactor);
        // Exactly at the end of cooling-off the account is usable.
        let mut r = ok_request();
        r.destination.verified_at_ms = Some(NOW - DAY);
        assert_eq!(l.check_withdrawal(&r), Ok(()));
    }

    #[test]
    fn deposits_within_bounds() {
        let l = FundsLimits::default();
        assert_eq!(l.check_deposit(39_99), Err(Refusal::BelowMinimum { min: 40_00 }));
        assert_eq!(l.check_deposit(40_00), Ok(()));
        assert_eq!(l.check_deposit(2_000_000_01), Err(Refusal::AboveMaximum { max: 2_000_000_00 }));
        assert_eq!(budget_left(100, 130), 0);
    }
}
