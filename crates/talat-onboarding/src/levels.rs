//! KYC levels and the daily withdrawal limits that go with them.
//!
//! | level | evidence | may trade | default limit per day (fiat / crypto, THB) |
//! |---|---|---|---|
//! | 0 | email verified | no | 0 / 0 |
//! | 1 | identity verified (ID card or passport checked), FATCA declaration, knowledge test passed (or exempt) | yes | 2,500,000 / 2,500,000 |
//! | 2 | level 1 plus accepted income or asset documents (payslip, 3-month statement, securities) | yes | 50,000,000 / 50,000,000 |
//!
//! Sources (exchange-domain.md §1.3): Bitkub's level 1 allows an implied ≤ THB 2.5m a day (2025;
//! THB 1m in Dec 2023) after ID verification and a FATCA declaration (Bitkub support articles
//! 151000034329, 151000034765); its level 2 ranges THB 2.5m–50m, set from the customer's average
//! bank balance and assets (151000034766). We use the top of that range as level 2's default;
//! operators should set individual level 2 limits from the documents. Crypto withdrawals are
//! measured in THB equivalent at the time of withdrawal. Amounts are whole baht.
//!
//! [`tier_limits`] turns a level into the engine's tier limits: level 0 may not trade and may
//! withdraw nothing; levels 1 and 2 may trade, with the table's daily limits, the fiat one in
//! THB's smallest unit and the crypto one turned into each asset's own units at its THB price.

use serde::{Deserialize, Serialize};
use talat_core::money::MAX_AMOUNT;
use talat_core::{Amount, AssetId, TierLimits, WithdrawalBudget};

/// The fiat currency of the limits table.
pub const FIAT: &str = "THB";

/// Highest per-day limit accepted in configuration (THB 10bn): far above any real limit, and
/// far below where sums of limits could overflow `u64`.
pub const LIMIT_MAX_THB: u64 = 10_000_000_000;

/// A customer's verification level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum KycLevel {
    /// Email verified; may look around, not trade.
    L0,
    /// Identity verified and knowledge test passed; may trade.
    L1,
    /// Level 1 plus income or asset documents; higher limits.
    L2,
}

/// What has been verified so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelEvidence {
    pub email_verified: bool,
    /// ID card checked with DOPA (or dip-chip / NDID), or passport checked.
    pub identity_verified: bool,
    /// The US FATCA status declaration Thai institutions collect.
    pub fatca_declared: bool,
    /// Passed the current knowledge test, or exempt (the exemption reason is recorded elsewhere).
    pub knowledge_test_passed: bool,
    pub income_or_asset_documents_accepted: bool,
}

impl KycLevel {
    /// Only levels 1 and 2 may place orders.
    pub fn can_trade(self) -> bool {
        self >= KycLevel::L1
    }

    /// The highest level the evidence supports; `None` before the email is verified.
    /// Levels build on each other: documents without identity verification give level 0.
    pub fn from_evidence(evidence: &LevelEvidence) -> Option<KycLevel> {
        if !evidence.email_verified {
            return None;
        }
        if !(evidence.identity_verified && evidence.fatca_declared && evidence.knowledge_test_passed) {
            return Some(KycLevel::L0);
        }
        if !evidence.income_or_asset_documents_accepted {
            return Some(KycLevel::L1);
        }
        Some(KycLevel::L2)
    }
}

impl From<KycLevel> for u8 {
    fn from(level: KycLevel) -> u8 {
        match level {
            KycLevel::L0 => 0,
            KycLevel::L1 => 1,
            KycLevel::L2 => 2,
        }
    }
}

/// Why a level number or a limits table was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LevelError {
    #[error("KYC level {0} does not exist (levels are 0, 1 and 2)")]
    UnknownLevel(u8),
    #[error("level 0 cannot withdraw: its limits must be 0")]
    LevelZeroNotZero,
    #[error("level 1 must allow some withdrawals, or verified customers could never take money out")]
    LevelOneZero,
    #[error("limits must not decrease from level to level ({field})")]
    NotIncreasing { field: &'static str },
    #[error("a daily limit of {value_thb} THB is above the maximum of {LIMIT_MAX_THB} THB")]
    TooHigh { value_thb: u64 },
}

impl TryFrom<u8> for KycLevel {
    type Error = LevelError;
    fn try_from(value: u8) -> Result<KycLevel, LevelError> {
        match value {
            0 => Ok(KycLevel::L0),
            1 => Ok(KycLevel::L1),
            2 => Ok(KycLevel::L2),
            other => Err(LevelError::UnknownLevel(other)),
        }
    }
}

/// Daily limit of one level, in whole THB: one budget for withdrawals of THB and of every crypto
/// asset together, crypto valued by the engine at its last THB price (DESIGN: the KYC level's
/// limit covers THB and every crypto asset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelLimits {
    pub withdraw_thb_per_day: u64,
}

/// Limits of every level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelLimitsTable {
    pub level_0: LevelLimits,
    pub level_1: LevelLimits,
    pub level_2: LevelLimits,
}

impl Default for LevelLimitsTable {
    fn default() -> LevelLimitsTable {
        LevelLimitsTable {
            level_0: LevelLimits { withdraw_thb_per_day: 0 },
            level_1: LevelLimits { withdraw_thb_per_day: 2_500_000 },
            level_2: LevelLimits { withdraw_thb_per_day: 50_000_000 },
        }
    }
}

impl LevelLimitsTable {
    /// Level 0 is zero, level 1 is non-zero, limits never decrease with the level, and none
    /// exceeds [`LIMIT_MAX_THB`].
    pub fn validate(&self) -> Result<(), LevelError> {
        let levels = [self.level_0, self.level_1, self.level_2];
        for limits in levels {
            if limits.withdraw_thb_per_day > LIMIT_MAX_THB {
                return Err(LevelError::TooHigh { value_thb: limits.withdraw_thb_per_day });
            }
        }
        if self.level_0.withdraw_thb_per_day != 0 {
            return Err(LevelError::LevelZeroNotZero);
        }
        if self.level_1.withdraw_thb_per_day == 0 {
            return Err(LevelError::LevelOneZero);
        }
        for pair in levels.windows(2) {
            if pair[1].withdraw_thb_per_day < pair[0].withdraw_thb_per_day {
                return Err(LevelError::NotIncreasing { field: "withdraw_thb_per_day" });
            }
        }
        Ok(())
    }

    /// The limits of `level`.
    pub fn limits_for(&self, level: KycLevel) -> LevelLimits {
        match level {
            KycLevel::L0 => self.level_0,
            KycLevel::L1 => self.level_1,
            KycLevel::L2 => self.level_2,
        }
    }
}

/// The engine limits of `level`: trading from level 1, and one daily withdrawal budget valued in
/// THB (`thb`, whose smallest unit has `thb_scale` decimals), capped at [`MAX_AMOUNT`]. Integers
/// only; the engine values each crypto withdrawal against it at the last price.
pub fn tier_limits(table: &LevelLimitsTable, level: KycLevel, thb: AssetId, thb_scale: u8) -> TierLimits {
    let whole_thb = table.limits_for(level).withdraw_thb_per_day;
    let units = 10u128.checked_pow(u32::from(thb_scale)).map_or(u128::MAX, |unit| u128::from(whole_thb).saturating_mul(unit));
    let amount = Amount(u64::try_from(units).unwrap_or(u64::MAX).min(MAX_AMOUNT));
    TierLimits { can_trade: level.can_trade(), daily_withdrawal: Some(WithdrawalBudget { valued_in: thb, amount }) }
}

/// What a lock saves, to be restored at unlock: with KYC the limits of the customer's level,
/// without it the engine's defaults.
pub fn limits_saved_at_lock(level_limits: Option<TierLimits>) -> TierLimits {
    level_limits.unwrap_or_default()
}

/// What an unlock restores: with KYC the limits of the customer's level *now* (re-applied, so an
/// approval during the lock counts, whatever was saved); without it what the lock saved, else
/// the engine's defaults.
pub fn limits_restored_at_unlock(level_limits: Option<TierLimits>, saved_at_lock: Option<TierLimits>) -> TierLimits {
    level_limits.or(saved_at_lock).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unlock_restores_the_level_of_now_else_what_the_lock_saved() {
        let table = LevelLimitsTable::default();
        let l1 = tier_limits(&table, KycLevel::L1, AssetId(1), 2);
        let l2 = tier_limits(&table, KycLevel::L2, AssetId(1), 2);
        assert_eq!(limits_saved_at_lock(Some(l1.clone())), l1);
        assert_eq!(limits_saved_at_lock(None), TierLimits::default());
        // Approved to level 2 while locked: level 2's limits, not the saved level 1's.
        assert_eq!(limits_restored_at_unlock(Some(l2.clone()), Some(l1.clone())), l2);
        assert_eq!(limits_restored_at_unlock(None, Some(l1.clone())), l1);
        assert_eq!(limits_restored_at_unlock(None, None), TierLimits::default());
    }

    #[test]
    fn tier_limits_of_each_level() {
        let table = LevelLimitsTable::default();
        let thb = AssetId(1);
        let budget = |limits: TierLimits| limits.daily_withdrawal.map(|b| (b.valued_in, b.amount));
        let l0 = tier_limits(&table, KycLevel::L0, thb, 2);
        assert!(!l0.can_trade);
        assert_eq!(budget(l0), Some((thb, Amount(0))));
        let l1 = tier_limits(&table, KycLevel::L1, thb, 2);
        assert!(l1.can_trade);
        // THB 2.5m in satang, for THB and every coin together.
        assert_eq!(budget(l1), Some((thb, Amount(250_000_000))));
        assert_eq!(budget(tier_limits(&table, KycLevel::L2, thb, 2)), Some((thb, Amount(5_000_000_000))));
    }

    #[test]
    fn tier_limits_are_capped() {
        let table = LevelLimitsTable::default();
        for scale in [18, 200] {
            let limits = tier_limits(&table, KycLevel::L2, AssetId(8), scale);
            assert_eq!(limits.daily_withdrawal.map(|b| b.amount), Some(Amount(MAX_AMOUNT)));
        }
    }

    #[test]
    fn levels_from_evidence() {
        let mut e = LevelEvidence::default();
        assert_eq!(KycLevel::from_evidence(&e), None);
        e.email_verified = true;
        assert_eq!(KycLevel::from_evidence(&e), Some(KycLevel::L0));
        e.income_or_asset_documents_accepted = true;
        assert_eq!(KycLevel::from_evidence(&e), Some(KycLevel::L0), "documents alone do not skip level 1");
        e.identity_verified = true;
        e.fatca_declared = true;
        assert_eq!(KycLevel::from_evidence(&e), Some(KycLevel::L0), "the knowledge test is required to trade");
        e.knowledge_test_passed = true;
        assert_eq!(KycLevel::from_evidence(&e), Some(KycLevel::L2));
        e.income_or_asset_documents_accepted = false;
        assert_eq!(KycLevel::from_evidence(&e), Some(KycLevel::L1));
        assert!(!KycLevel::L0.can_trade());
        assert!(KycLevel::L1.can_trade() && KycLevel::L2.can_trade());
    }

    #[test]
    fn default_limits() {
        let table = LevelLimitsTable::default();
        assert_eq!(table.validate(), Ok(()));
        assert_eq!(table.limits_for(KycLevel::L0).withdraw_thb_per_day, 0);
        assert_eq!(table.limits_for(KycLevel::L1).withdraw_thb_per_day, 2_500_000);
        assert_eq!(table.limits_for(KycLevel::L2).withdraw_thb_per_day, 50_000_000);
    }

    #[test]
    fn validation() {
        let mut t = LevelLimitsTable::default();
        t.level_0.withdraw_thb_per_day = 1;
        assert_eq!(t.validate(), Err(LevelError::LevelZeroNotZero));
        let mut t = LevelLimitsTable::default();
        t.level_1.withdraw_thb_per_day = 0;
        assert_eq!(t.validate(), Err(LevelError::LevelOneZero));
        let mut t = LevelLimitsTable::default();
        t.level_2.withdraw_thb_per_day = 1_000_000;
        assert_eq!(t.validate(), Err(LevelError::NotIncreasing { field: "withdraw_thb_per_day" }));
        let mut t = LevelLimitsTable::default();
        t.level_2.withdraw_thb_per_day = LIMIT_MAX_THB + 1;
        assert!(matches!(t.validate(), Err(LevelError::TooHigh { .. })));
    }

    #[test]
    fn serde_levels_are_numbers() {
        assert_eq!(serde_json::to_string(&KycLevel::L1).unwrap(), "1");
        assert_eq!(serde_json::from_str::<KycLevel>("2").unwrap(), KycLevel::L2);
        assert!(serde_json::from_str::<KycLevel>("3").is_err());
        let json = serde_json::to_string(&LevelLimitsTable::default()).unwrap();
        assert_eq!(serde_json::from_str::<LevelLimitsTable>(&json).unwrap(), LevelLimitsTable::default());
    }
}
