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
use talat_core::{Amount, AssetId, TierLimits};

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

/// Daily limits of one level, in whole THB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelLimits {
    pub fiat_withdraw_thb_per_day: u64,
    /// Crypto withdrawals valued in THB at the time of withdrawal.
    pub crypto_withdraw_thb_equiv_per_day: u64,
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
            level_0: LevelLimits { fiat_withdraw_thb_per_day: 0, crypto_withdraw_thb_equiv_per_day: 0 },
            level_1: LevelLimits { fiat_withdraw_thb_per_day: 2_500_000, crypto_withdraw_thb_equiv_per_day: 2_500_000 },
            level_2: LevelLimits { fiat_withdraw_thb_per_day: 50_000_000, crypto_withdraw_thb_equiv_per_day: 50_000_000 },
        }
    }
}

impl LevelLimitsTable {
    /// Level 0 is all zeros, level 1 is non-zero, limits never decrease with the level, and none
    /// exceeds [`LIMIT_MAX_THB`].
    pub fn validate(&self) -> Result<(), LevelError> {
        let levels = [self.level_0, self.level_1, self.level_2];
        for limits in levels {
            for value_thb in [limits.fiat_withdraw_thb_per_day, limits.crypto_withdraw_thb_equiv_per_day] {
                if value_thb > LIMIT_MAX_THB {
                    return Err(LevelError::TooHigh { value_thb });
                }
            }
        }
        if self.level_0 != (LevelLimits { fiat_withdraw_thb_per_day: 0, crypto_withdraw_thb_equiv_per_day: 0 }) {
            return Err(LevelError::LevelZeroNotZero);
        }
        if self.level_1.fiat_withdraw_thb_per_day == 0 || self.level_1.crypto_withdraw_thb_equiv_per_day == 0 {
            return Err(LevelError::LevelOneZero);
        }
        for pair in levels.windows(2) {
            if pair[1].fiat_withdraw_thb_per_day < pair[0].fiat_withdraw_thb_per_day {
                return Err(LevelError::NotIncreasing { field: "fiat_withdraw_thb_per_day" });
            }
            if pair[1].crypto_withdraw_thb_equiv_per_day < pair[0].crypto_withdraw_thb_equiv_per_day {
                return Err(LevelError::NotIncreasing { field: "crypto_withdraw_thb_equiv_per_day" });
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

/// One asset as a level's engine limits need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitAsset {
    pub id: AssetId,
    /// Decimal places of the asset's smallest unit.
    pub scale: u8,
    /// Whether the asset is the table's fiat currency ([`FIAT`]).
    pub fiat: bool,
    /// The asset's last price in THB (THB price units per whole coin) and that price's scale;
    /// `None` when there is none (no `<coin>_THB` market, or no trade and no opening price).
    pub thb_price: Option<(u64, u8)>,
}

/// The engine limits of `level` over `assets`. Integers only.
///
/// Level 0 withdraws nothing of any asset. Above it, the fiat limit is the table's THB in THB's
/// smallest units, and a coin's limit is the table's THB equivalent at its THB price, in the
/// coin's smallest units: thb × 10^price_scale × 10^scale / price. A coin without a THB price
/// (or a zero one) is left out, which the engine reads as "no engine-side limit" (the
/// withdrawal path's own THB-equivalent check still applies). Every limit is capped at
/// [`MAX_AMOUNT`].
pub fn tier_limits(table: &LevelLimitsTable, level: KycLevel, assets: &[LimitAsset]) -> TierLimits {
    let limits = table.limits_for(level);
    let mut daily = Vec::with_capacity(assets.len());
    for asset in assets {
        let units = if level == KycLevel::L0 {
            Some(0)
        } else if asset.fiat {
            Some(scaled(limits.fiat_withdraw_thb_per_day, &[asset.scale]))
        } else {
            match asset.thb_price {
                Some((price, price_scale)) if price > 0 => {
                    Some(scaled(limits.crypto_withdraw_thb_equiv_per_day, &[price_scale, asset.scale]) / u128::from(price))
                }
                _ => None,
            }
        };
        if let Some(units) = units {
            daily.push((asset.id, Amount(u64::try_from(units).unwrap_or(u64::MAX).min(MAX_AMOUNT))));
        }
    }
    TierLimits { can_trade: level.can_trade(), daily_withdrawal: daily }
}

/// `thb` × 10^(sum of `scales`), saturating (far beyond any limit the engine accepts).
fn scaled(thb: u64, scales: &[u8]) -> u128 {
    scales.iter().fold(u128::from(thb), |units, &scale| units.saturating_mul(10u128.checked_pow(u32::from(scale)).unwrap_or(u128::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_limits_of_each_level() {
        let table = LevelLimitsTable::default();
        let thb = LimitAsset { id: AssetId(1), scale: 2, fiat: true, thb_price: None };
        // 2,000,000.00 THB per BTC at price scale 2.
        let btc = LimitAsset { id: AssetId(2), scale: 8, fiat: false, thb_price: Some((200_000_000, 2)) };
        let unpriced = LimitAsset { id: AssetId(3), scale: 6, fiat: false, thb_price: None };
        let free = LimitAsset { id: AssetId(4), scale: 6, fiat: false, thb_price: Some((0, 2)) };
        let assets = [thb, btc, unpriced, free];
        let l0 = tier_limits(&table, KycLevel::L0, &assets);
        assert!(!l0.can_trade);
        assert_eq!(l0.daily_withdrawal, vec![(AssetId(1), Amount(0)), (AssetId(2), Amount(0)), (AssetId(3), Amount(0)), (AssetId(4), Amount(0))]);
        let l1 = tier_limits(&table, KycLevel::L1, &assets);
        assert!(l1.can_trade);
        // THB 2.5m in satang; 1.25 BTC in satoshi; the unpriced coins are left out.
        assert_eq!(l1.daily_withdrawal, vec![(AssetId(1), Amount(250_000_000)), (AssetId(2), Amount(125_000_000))]);
        let l2 = tier_limits(&table, KycLevel::L2, &assets);
        assert_eq!(l2.daily_withdrawal, vec![(AssetId(1), Amount(5_000_000_000)), (AssetId(2), Amount(2_500_000_000))]);
    }

    #[test]
    fn tier_limits_are_capped() {
        let table = LevelLimitsTable::default();
        let dust = LimitAsset { id: AssetId(7), scale: 18, fiat: false, thb_price: Some((1, 18)) };
        let odd = LimitAsset { id: AssetId(8), scale: 200, fiat: true, thb_price: None };
        let limits = tier_limits(&table, KycLevel::L2, &[dust, odd]);
        assert_eq!(limits.daily_withdrawal, vec![(AssetId(7), Amount(MAX_AMOUNT)), (AssetId(8), Amount(MAX_AMOUNT))]);
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
        assert_eq!(table.limits_for(KycLevel::L0).fiat_withdraw_thb_per_day, 0);
        assert_eq!(table.limits_for(KycLevel::L1).fiat_withdraw_thb_per_day, 2_500_000);
        assert_eq!(table.limits_for(KycLevel::L1).crypto_withdraw_thb_equiv_per_day, 2_500_000);
        assert_eq!(table.limits_for(KycLevel::L2).crypto_withdraw_thb_equiv_per_day, 50_000_000);
    }

    #[test]
    fn validation() {
        let mut t = LevelLimitsTable::default();
        t.level_0.fiat_withdraw_thb_per_day = 1;
        assert_eq!(t.validate(), Err(LevelError::LevelZeroNotZero));
        let mut t = LevelLimitsTable::default();
        t.level_1.crypto_withdraw_thb_equiv_per_day = 0;
        assert_eq!(t.validate(), Err(LevelError::LevelOneZero));
        let mut t = LevelLimitsTable::default();
        t.level_2.fiat_withdraw_thb_per_day = 1_000_000;
        assert_eq!(t.validate(), Err(LevelError::NotIncreasing { field: "fiat_withdraw_thb_per_day" }));
        let mut t = LevelLimitsTable::default();
        t.level_2.crypto_withdraw_thb_equiv_per_day = LIMIT_MAX_THB + 1;
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
