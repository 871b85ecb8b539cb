//! One chain network's settings (`[[custody.networks]]` in talat.toml): which asset it
//! carries, how to reach its node, the deposit key, and the money rules — confirmations by
//! amount tier, the dust floor, withdrawal minimum and fee. Amounts are in the asset's smallest
//! unit (litoshi, satoshi).

use serde::{Deserialize, Serialize};

/// Confirmations a deposit needs, by its amount: the first tier whose `up_to_units` is at or
/// above the amount applies; a tier without a bound takes everything larger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationTier {
    pub up_to_units: Option<u64>,
    pub confirmations: u32,
}

/// Every key but the node and the key has a default (Litecoin's, [`NetworkConfig::default`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Bitkub's network id, e.g. `LTC`, `BTC`.
    pub network: String,
    /// The asset code the engine books deposits in (listed in the engine).
    pub asset: String,
    /// The coin's display name (`GET /api/v4/crypto/coins`).
    pub name: String,
    /// Decimals of the asset's smallest unit on chain (8 for the Bitcoin family).
    pub decimals: u8,
    /// Bitcoin Core JSON-RPC URL of the node, e.g. `http://127.0.0.1:19443`.
    pub rpc_url: String,
    pub rpc_user: String,
    pub rpc_password: String,
    /// Account-level extended public key (BIP-84 `m/84'/coin'/0'`) deposit addresses derive from.
    pub deposit_xpub: String,
    /// SegWit human-readable part: `ltc`/`tltc`/`rltc`, `bc`/`tb`/`bcrt`.
    pub hrp: String,
    pub confirmations: Vec<ConfirmationTier>,
    /// Deposits below this are recorded as dust and never credited.
    pub dust_units: u64,
    pub withdraw_min_units: u64,
    pub withdraw_fee_units: u64,
    pub deposit_enable: bool,
    pub withdraw_enable: bool,
    /// Block explorer URL prefix shown with transactions (empty: none).
    pub explorer: String,
    /// How often the watcher looks at the chain.
    pub poll_ms: u64,
    /// The network fee rate withdrawals pay, in smallest units per virtual byte.
    pub fee_rate_units_per_vb: u64,
    /// A whitelisted address is usable this long after it was added.
    pub whitelist_cooling_off_ms: u64,
    /// The hot wallet's watermarks: below `hot_low_units` the console alerts that withdrawals
    /// will soon wait for a top-up from cold; above `hot_high_units` that the excess belongs in
    /// cold storage (the reference's policy: keep the hot share small).
    pub hot_low_units: u64,
    pub hot_high_units: u64,
    /// Account-level xpub of the cold wallet (BIP-84, its key offline); empty: no cold wallet.
    /// Transfers to cold pay its receive addresses; top-ups are PSBTs spending from them.
    pub cold_xpub: String,
    /// Receive addresses of the cold wallet talat watches and pays (`0/0` … `0/n-1`).
    pub cold_addresses: u32,
}

/// Most blocks one watcher pass reads; a node far ahead is caught up over several passes.
pub const MAX_BLOCKS_PER_PASS: u64 = 500;
/// Block hashes kept per network to find a fork point; a reorg deeper than this stops the
/// watcher (crash rather than guess).
pub const REORG_WINDOW_BLOCKS: u64 = 288;

impl Default for NetworkConfig {
    /// Litecoin mainnet's format and talat's tiers; the node and the key must be given.
    fn default() -> NetworkConfig {
        NetworkConfig::litecoin("", "", "", "", "ltc")
    }
}

impl NetworkConfig {
    /// Litecoin with talat's policy tiers: 3 confirmations up to 10 LTC, 6 up to 100, 12 above
    /// (confirmations rise with the amount at risk; the reference's BTC practice is 1/3/6 for
    /// ≤ 1 / 1–10 / > 10 BTC, and Litecoin's blocks come four times as often).
    pub fn litecoin(rpc_url: &str, rpc_user: &str, rpc_password: &str, deposit_xpub: &str, hrp: &str) -> NetworkConfig {
        const LTC: u64 = 100_000_000;
        NetworkConfig {
            network: "LTC".into(),
            asset: "LTC".into(),
            name: "Litecoin".into(),
            decimals: 8,
            rpc_url: rpc_url.into(),
            rpc_user: rpc_user.into(),
            rpc_password: rpc_password.into(),
            deposit_xpub: deposit_xpub.into(),
            hrp: hrp.into(),
            confirmations: vec![
                ConfirmationTier { up_to_units: Some(10 * LTC), confirmations: 3 },
                ConfirmationTier { up_to_units: Some(100 * LTC), confirmations: 6 },
                ConfirmationTier { up_to_units: None, confirmations: 12 },
            ],
            dust_units: 10_000,
            withdraw_min_units: 100_000,
            withdraw_fee_units: 100_000,
            deposit_enable: true,
            withdraw_enable: true,
            explorer: String::new(),
            poll_ms: 2_000,
            fee_rate_units_per_vb: 20,
            whitelist_cooling_off_ms: 24 * 3_600_000,
            hot_low_units: 5 * LTC,
            hot_high_units: 100 * LTC,
            cold_xpub: String::new(),
            cold_addresses: 20,
        }
    }

    /// Confirmations a deposit of `amount_units` needs (at least 1: nothing is credited from
    /// the mempool).
    pub fn required_confirmations(&self, amount_units: u64) -> u32 {
        let tier = self.confirmations.iter().find(|t| t.up_to_units.is_none_or(|max| amount_units <= max));
        tier.or(self.confirmations.last()).map_or(1, |t| t.confirmations).max(1)
    }

    /// Where a hot balance stands against the watermarks: `low`, `high` or `ok`.
    pub fn hot_watermark(&self, balance_units: u64) -> &'static str {
        if balance_units < self.hot_low_units {
            "low"
        } else if balance_units > self.hot_high_units {
            "high"
        } else {
            "ok"
        }
    }

    /// The smallest confirmation count of any tier (`min_confirm` in the coins list).
    pub fn min_confirmations(&self) -> u32 {
        self.confirmations.iter().map(|t| t.confirmations).min().unwrap_or(1).max(1)
    }

    /// Refuses settings that would credit wrongly.
    pub fn validate(&self) -> Result<(), String> {
        if self.confirmations.is_empty() {
            return Err(format!("{}: at least one confirmation tier is needed", self.network));
        }
        let bounds: Vec<u64> = self.confirmations.iter().filter_map(|t| t.up_to_units).collect();
        if bounds.windows(2).any(|w| w[0] >= w[1]) || self.confirmations[..self.confirmations.len() - 1].iter().any(|t| t.up_to_units.is_none()) {
            return Err(format!("{}: confirmation tiers must rise, with only the last unbounded", self.network));
        }
        if self.confirmations.iter().any(|t| t.confirmations == 0) {
            return Err(format!("{}: a tier of 0 confirmations would credit from the mempool", self.network));
        }
        if self.rpc_url.is_empty() || self.deposit_xpub.is_empty() {
            return Err(format!("{}: rpc_url and deposit_xpub are required", self.network));
        }
        if self.fee_rate_units_per_vb == 0 || self.fee_rate_units_per_vb > 10_000 {
            return Err(format!("{}: fee_rate_units_per_vb must be 1 to 10000", self.network));
        }
        if self.hot_low_units >= self.hot_high_units {
            return Err(format!("{}: hot_low_units must be below hot_high_units", self.network));
        }
        if self.poll_ms < 100 {
            return Err(format!("{}: poll_ms below 100", self.network));
        }
        if !(1..=crate::cold::MAX_COLD_ADDRESSES).contains(&self.cold_addresses) {
            return Err(format!("{}: cold_addresses must be 1 to {}", self.network, crate::cold::MAX_COLD_ADDRESSES));
        }
        if !self.cold_xpub.is_empty() && self.cold_xpub.trim() == self.deposit_xpub.trim() {
            return Err(format!("{}: cold_xpub must not be the deposit key", self.network));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ltc() -> NetworkConfig {
        NetworkConfig::litecoin("http://127.0.0.1:1", "u", "p", "xpub", "rltc")
    }

    #[test]
    fn tiers_pick_by_amount_with_the_bound_inclusive() {
        let n = ltc();
        assert!(NetworkConfig::default().validate().unwrap_err().contains("required"));
        assert_eq!(n.required_confirmations(1), 3);
        assert_eq!(n.required_confirmations(10 * 100_000_000), 3);
        assert_eq!(n.required_confirmations(10 * 100_000_000 + 1), 6);
        assert_eq!(n.required_confirmations(u64::MAX), 12);
        assert_eq!(n.min_confirmations(), 3);
        assert_eq!(n.validate(), Ok(()));
        assert_eq!((n.hot_watermark(5 * 100_000_000 - 1), n.hot_watermark(5 * 100_000_000), n.hot_watermark(100 * 100_000_000 + 1)), ("low", "ok", "high"));
        let mut bad = ltc();
        bad.hot_low_units = bad.hot_high_units;
        assert!(bad.validate().unwrap_err().contains("hot_low_units"));
    }

    #[test]
    fn refuses_tiers_that_would_credit_wrongly() {
        let mut n = ltc();
        n.confirmations[0].confirmations = 0;
        assert!(n.validate().unwrap_err().contains("mempool"));
        let mut n = ltc();
        n.confirmations.swap(0, 1);
        assert!(n.validate().is_err());
        let mut n = ltc();
        n.confirmations.clear();
        assert!(n.validate().is_err());
    }
}
