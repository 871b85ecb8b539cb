//! One chain network's settings (`[[custody.networks]]` in talat.toml): its family (Bitcoin or
//! Ethereum), which asset it carries (one network, one asset: an ERC-20 network names its token
//! contract), how to reach its node, the deposit key, and the money rules — confirmations by
//! amount tier, the dust floor, withdrawal minimum and fee, and on Ethereum the gas settings.
//! Amounts (`*_units`) are in the engine's smallest unit of the asset (litoshi, satoshi,
//! 10^-8 ETH); on-chain amounts of the Ethereum family (`*_wei`) have the token's decimals.

use serde::{Deserialize, Serialize};

/// Confirmations a deposit needs, by its amount: the first tier whose `up_to_units` is at or
/// above the amount applies; a tier without a bound takes everything larger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationTier {
    pub up_to_units: Option<u64>,
    pub confirmations: u32,
}

/// Which kind of chain a network is: how its node is spoken to, how addresses look, how
/// withdrawals are built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Bitcoin Core's JSON-RPC, UTXOs, SegWit addresses (Litecoin, Bitcoin).
    #[default]
    Bitcoin,
    /// Ethereum's JSON-RPC, accounts and nonces, native ETH or one ERC-20 token.
    Ethereum,
}

/// Every key but the node and the key has a default: its family's ([`NetworkConfig::default`]
/// is Litecoin's, [`NetworkConfig::ethereum`] Ethereum's), so a network that says
/// `family = "ethereum"` never inherits Litecoin's decimals or confirmation tiers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// `remote = "Self"`: the derived (de)serializers become inherent functions, which the trait
// impls below call after laying the table over its family's defaults.
#[serde(remote = "Self", default, deny_unknown_fields)]
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
    /// `bitcoin` (the default) or `ethereum`.
    pub family: Family,
    /// Ethereum: the chain id transactions are signed for (1 mainnet, 31337 a local anvil);
    /// the node must report the same one.
    pub chain_id: u64,
    /// Ethereum: the ERC-20 contract this network carries (`0x…`); empty for native ETH.
    pub token_contract: String,
    /// Decimals the engine books the asset with (8 for ETH); `decimals` are the chain's.
    pub engine_decimals: u8,
    /// Ethereum: gas limit of a withdrawal (21,000 for ETH; a token transfer needs more).
    pub gas_limit: u64,
    /// Ethereum: the tip per gas a withdrawal offers.
    pub priority_fee_per_gas_wei: u64,
    /// Ethereum: the most any withdrawal, or a fee bump of one, may offer per gas.
    pub max_fee_per_gas_wei: u64,
}

impl Serialize for NetworkConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        NetworkConfig::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for NetworkConfig {
    /// The table as written, over the defaults of the family it names.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<NetworkConfig, D::Error> {
        use serde::de::Error;
        let table = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let family = match table.get("family") {
            None => Family::default(),
            Some(v) => Family::deserialize(v).map_err(D::Error::custom)?,
        };
        let defaults = match family {
            Family::Bitcoin => NetworkConfig::default(),
            Family::Ethereum => NetworkConfig::ethereum("", "", 0),
        };
        let mut merged = match NetworkConfig::serialize(&defaults, serde_json::value::Serializer).map_err(D::Error::custom)? {
            serde_json::Value::Object(map) => map,
            other => return Err(D::Error::custom(format!("a network's defaults are not a table: {other}"))),
        };
        for (key, value) in table {
            // An unknown key is kept, so the derived reader refuses it by name.
            merged.insert(key, value);
        }
        NetworkConfig::deserialize(serde_json::Value::Object(merged)).map_err(D::Error::custom)
    }
}

/// Longest network id: its deposits' engine keys must fit talat-core's external id.
pub const MAX_NETWORK_ID_BYTES: usize = 16;

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
            family: Family::Bitcoin,
            chain_id: 0,
            token_contract: String::new(),
            engine_decimals: 8,
            gas_limit: 0,
            priority_fee_per_gas_wei: 0,
            max_fee_per_gas_wei: 0,
        }
    }

    /// Native ETH on the chain `chain_id`, booked at 8 decimals, with talat's policy tiers: 12
    /// confirmations up to 10 ETH, 32 up to 100, 64 (two epochs: finalized) above (the
    /// reference's practice is 12 to 30).
    pub fn ethereum(rpc_url: &str, deposit_xpub: &str, chain_id: u64) -> NetworkConfig {
        const ETH: u64 = 100_000_000;
        NetworkConfig {
            network: "ETH".into(),
            asset: "ETH".into(),
            name: "Ethereum".into(),
            decimals: 18,
            rpc_url: rpc_url.into(),
            rpc_user: String::new(),
            rpc_password: String::new(),
            deposit_xpub: deposit_xpub.into(),
            hrp: String::new(),
            confirmations: vec![
                ConfirmationTier { up_to_units: Some(10 * ETH), confirmations: 12 },
                ConfirmationTier { up_to_units: Some(100 * ETH), confirmations: 32 },
                ConfirmationTier { up_to_units: None, confirmations: 64 },
            ],
            dust_units: 10_000,
            withdraw_min_units: 1_000_000,
            withdraw_fee_units: 200_000,
            deposit_enable: true,
            withdraw_enable: true,
            explorer: String::new(),
            poll_ms: 4_000,
            fee_rate_units_per_vb: 0,
            whitelist_cooling_off_ms: 24 * 3_600_000,
            hot_low_units: 5 * ETH,
            hot_high_units: 100 * ETH,
            family: Family::Ethereum,
            chain_id,
            token_contract: String::new(),
            engine_decimals: 8,
            gas_limit: crate::evm::tx::TRANSFER_GAS,
            priority_fee_per_gas_wei: 1_000_000_000,
            max_fee_per_gas_wei: 500_000_000_000,
            cold_xpub: String::new(),
            cold_addresses: 20,
        }
    }

    /// An ERC-20 token on the chain `chain_id`: its own network id and asset, the contract and
    /// its decimals; the engine books it at 8 decimals; a transfer's gas limit is 100,000.
    pub fn erc20(rpc_url: &str, deposit_xpub: &str, chain_id: u64, asset: &str, contract: &str, decimals: u8) -> NetworkConfig {
        NetworkConfig {
            network: format!("{asset}-ERC20"),
            asset: asset.into(),
            name: asset.into(),
            decimals,
            token_contract: contract.to_ascii_lowercase(),
            gas_limit: 100_000,
            ..NetworkConfig::ethereum(rpc_url, deposit_xpub, chain_id)
        }
    }

    pub fn is_evm(&self) -> bool {
        self.family == Family::Ethereum
    }

    /// Whose deposit addresses these are, in the store: on Ethereum one address per customer
    /// and *chain* (`EVM-<chain id>`), shared by ETH and every token on it — a customer who
    /// sends a token to their ETH address is credited, not a stranger whose token address it
    /// would otherwise be; elsewhere one per network.
    pub fn address_scope(&self) -> String {
        if self.is_evm() {
            format!("EVM-{}", self.chain_id)
        } else {
            self.network.clone()
        }
    }

    /// The ERC-20 contract, if this network carries a token.
    pub fn token(&self) -> Option<crate::evm::address::Address> {
        if self.token_contract.is_empty() {
            None
        } else {
            crate::evm::address::parse_hex(&self.token_contract)
        }
    }

    /// A Bitcoin Core JSON-RPC client for this network's node (the Bitcoin family).
    pub fn bitcoin_rpc(&self) -> crate::rpc::BitcoinRpc {
        debug_assert!(!self.is_evm(), "{} is an Ethereum-family network", self.network);
        crate::rpc::BitcoinRpc::new(&self.rpc_url, &self.rpc_user, &self.rpc_password, self.decimals)
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
        // The engine's deposit key is `<network>:<txid>:<index>`: an Ethereum txid (66) and a
        // log index (10 digits) leave 18 bytes of the 96 for the network's id.
        if self.network.is_empty() || self.network.len() > MAX_NETWORK_ID_BYTES || !self.network.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            return Err(format!("{:?}: a network id is 1 to {MAX_NETWORK_ID_BYTES} printable characters without ':'", self.network));
        }
        if self.rpc_url.is_empty() || self.deposit_xpub.is_empty() {
            return Err(format!("{}: rpc_url and deposit_xpub are required", self.network));
        }
        match self.family {
            Family::Bitcoin => self.validate_bitcoin()?,
            Family::Ethereum => self.validate_ethereum()?,
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

    fn validate_bitcoin(&self) -> Result<(), String> {
        let n = &self.network;
        if self.fee_rate_units_per_vb == 0 || self.fee_rate_units_per_vb > 10_000 {
            return Err(format!("{n}: fee_rate_units_per_vb must be 1 to 10000"));
        }
        if !self.token_contract.is_empty() || self.chain_id != 0 || self.gas_limit != 0 {
            return Err(format!("{n}: token_contract, chain_id and gas_limit are for the ethereum family (family = \"ethereum\")"));
        }
        // The Bitcoin family's amounts are booked as the node prints them.
        if self.engine_decimals != self.decimals {
            return Err(format!("{n}: engine_decimals ({}) must equal decimals ({}) on the bitcoin family", self.engine_decimals, self.decimals));
        }
        Ok(())
    }

    fn validate_ethereum(&self) -> Result<(), String> {
        let n = &self.network;
        if self.chain_id == 0 {
            return Err(format!("{n}: chain_id is required on the ethereum family (1 for mainnet)"));
        }
        if self.decimals > crate::evm::units::MAX_DECIMALS || self.engine_decimals > crate::evm::units::MAX_DECIMALS {
            return Err(format!("{n}: decimals and engine_decimals must be at most {}", crate::evm::units::MAX_DECIMALS));
        }
        if self.token_contract.is_empty() {
            if self.decimals != 18 {
                return Err(format!("{n}: native ETH has 18 decimals, not {}", self.decimals));
            }
        } else {
            match crate::evm::address::parse_hex(&self.token_contract) {
                Some(a) if !crate::evm::address::is_zero(&a) => {}
                _ => return Err(format!("{n}: token_contract {:?} is not a contract address (0x and 40 hex digits)", self.token_contract)),
            }
        }
        if self.gas_limit < crate::evm::tx::TRANSFER_GAS || self.gas_limit > 10_000_000 {
            return Err(format!("{n}: gas_limit must be 21000 to 10000000"));
        }
        if self.max_fee_per_gas_wei == 0 || self.priority_fee_per_gas_wei > self.max_fee_per_gas_wei {
            return Err(format!("{n}: max_fee_per_gas_wei must be above 0 and at least priority_fee_per_gas_wei"));
        }
        if !self.hrp.is_empty() {
            return Err(format!("{n}: hrp is for the bitcoin family; Ethereum addresses have none"));
        }
        // A withdrawal sends exactly its engine units: each must be a whole number of chain units.
        if crate::evm::units::units_to_raw(1, self.decimals, self.engine_decimals).is_none() {
            return Err(format!(
                "{n}: engine_decimals ({}) above the token's decimals ({}) would book amounts the chain cannot carry",
                self.engine_decimals, self.decimals
            ));
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
    fn ethereum_configs_are_checked_for_consistency() {
        let eth = NetworkConfig::ethereum("http://127.0.0.1:8545", "xpub", 1);
        assert_eq!(eth.validate(), Ok(()));
        assert_eq!(eth.required_confirmations(10 * 100_000_000), 12);
        let token = NetworkConfig::erc20("http://127.0.0.1:8545", "xpub", 1, "USDT", "0xdAC17F958D2ee523a2206206994597C13D831ec7", 6);
        assert_eq!((token.network.as_str(), token.token_contract.as_str()), ("USDT-ERC20", "0xdac17f958d2ee523a2206206994597c13d831ec7"));
        assert!(token.validate().unwrap_err().contains("engine_decimals"), "6-decimal token booked at 8 cannot be paid exactly");
        let token = NetworkConfig { engine_decimals: 6, ..token };
        assert_eq!(token.validate(), Ok(()));
        let cases = [
            (NetworkConfig { chain_id: 0, ..eth.clone() }, "chain_id"),
            (NetworkConfig { decimals: 8, ..eth.clone() }, "18 decimals"),
            (NetworkConfig { token_contract: "0x1234".into(), ..eth.clone() }, "token_contract"),
            (NetworkConfig { token_contract: format!("0x{}", "0".repeat(40)), ..eth.clone() }, "token_contract"),
            (NetworkConfig { gas_limit: 20_999, ..eth.clone() }, "gas_limit"),
            (NetworkConfig { priority_fee_per_gas_wei: eth.max_fee_per_gas_wei + 1, ..eth.clone() }, "max_fee_per_gas_wei"),
            (NetworkConfig { hrp: "ltc".into(), ..eth.clone() }, "hrp"),
            (NetworkConfig { network: "A-VERY-LONG-NETWORK-ID".into(), ..eth.clone() }, "network id"),
            (NetworkConfig { network: "ETH:1".into(), ..eth.clone() }, "network id"),
            (NetworkConfig { token_contract: token.token_contract.clone(), ..ltc() }, "ethereum family"),
            (NetworkConfig { engine_decimals: 6, ..ltc() }, "engine_decimals"),
        ];
        for (config, words) in cases {
            let e = config.validate().unwrap_err();
            assert!(e.contains(words), "{e:?} should say {words:?}");
        }
    }

    /// How an operator writes a token network in talat.toml (here through serde's JSON, the
    /// same derive): the family by name, everything unsaid from the defaults.
    #[test]
    fn a_token_network_reads_from_config_with_its_family() {
        let config: NetworkConfig = serde_json::from_value(serde_json::json!({
            "family": "ethereum", "network": "USDT-ERC20", "asset": "USDT", "decimals": 6, "engine_decimals": 6,
            "chain_id": 1, "token_contract": "0xdAC17F958D2ee523a2206206994597C13D831ec7", "rpc_url": "http://127.0.0.1:8545",
            "deposit_xpub": "xpub", "hrp": "", "gas_limit": 100000, "priority_fee_per_gas_wei": 1000000000, "max_fee_per_gas_wei": 200_000_000_000u64
        }))
        .unwrap();
        assert_eq!((config.family, config.token().is_some(), config.is_evm()), (Family::Ethereum, true, true));
        assert_eq!(config.address_scope(), "EVM-1");
        assert_eq!(config.validate(), Ok(()));
        let eth: NetworkConfig =
            serde_json::from_value(serde_json::json!({"family": "ethereum", "rpc_url": "http://127.0.0.1:8545", "deposit_xpub": "xpub", "chain_id": 1}))
                .unwrap();
        assert_eq!(eth, NetworkConfig::ethereum("http://127.0.0.1:8545", "xpub", 1), "Ethereum's defaults, not Litecoin's decimals or tiers");
        assert_eq!(eth.validate(), Ok(()));
        let ltc: NetworkConfig = serde_json::from_value(serde_json::json!({"rpc_url": "http://127.0.0.1:1", "deposit_xpub": "xpub"})).unwrap();
        assert_eq!(ltc, NetworkConfig::litecoin("http://127.0.0.1:1", "", "", "xpub", "ltc"));
        let back: NetworkConfig = serde_json::from_value(serde_json::to_value(&eth).unwrap()).unwrap();
        assert_eq!(back, eth, "what is written reads back");
        let typo = serde_json::from_value::<NetworkConfig>(serde_json::json!({"family": "ethereum", "chainid": 1})).unwrap_err();
        assert!(typo.to_string().contains("chainid"), "{typo}");
        assert_eq!((ltc.family, ltc.address_scope().as_str()), (Family::Bitcoin, "LTC"), "the Bitcoin family stays the default");
        assert!(serde_json::from_value::<NetworkConfig>(serde_json::json!({"family": "solana"})).is_err());
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
