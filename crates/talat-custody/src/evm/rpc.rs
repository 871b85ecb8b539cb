//! Ethereum's JSON-RPC over HTTP, and the [`Chain`] a deposit watcher reads from it. A network
//! carries one asset: native ETH (each successful transaction with value to an address,
//! keyed (tx hash, 0)) or one ERC-20 token (each `Transfer` log of its contract, keyed (tx
//! hash, log index)). Amounts are read as integers and converted to whole engine units exactly
//! ([`super::units`]); one too large for the books is passed on flagged, never wrapped.

use super::address::{parse_hex, to_lower_hex, Address};
use super::units::{parse_quantity, parse_u64, raw_to_units, AmountError};
use crate::chain::{Chain, ChainBlock, ChainError, ChainOutput};
use crate::network::NetworkConfig;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// One call's limit: a node that hangs must not stall the watcher forever.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(30);
/// Most transactions of one block a native watcher looks at (mainnet blocks hold well under
/// this; a block above it is refused rather than half read).
pub const MAX_TXS_PER_BLOCK: usize = 20_000;

pub struct EvmRpc {
    url: String,
    http: reqwest::Client,
    /// `None`: native ETH.
    token: Option<Address>,
    chain_decimals: u8,
    engine_decimals: u8,
}

#[derive(Deserialize)]
struct Reply {
    result: Option<Value>,
    error: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockJson {
    hash: String,
    number: String,
    parent_hash: String,
    #[serde(default)]
    transactions: Vec<Value>,
    base_fee_per_gas: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TxJson {
    hash: String,
    to: Option<String>,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptJson {
    transaction_hash: String,
    block_number: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogJson {
    topics: Vec<String>,
    data: String,
    log_index: String,
    transaction_hash: String,
    #[serde(default)]
    removed: bool,
}

/// A mined transaction's receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub block_number: u64,
    /// False: mined but reverted (its nonce is used, nothing was transferred).
    pub success: bool,
}

/// Why a node would not take a signed transaction.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// A transaction with this nonce was already mined (ours, or a replacement of it).
    #[error("nonce too low: {0}")]
    NonceTooLow(String),
    #[error(transparent)]
    Chain(#[from] ChainError),
}

fn malformed(method: &str, detail: impl Into<String>) -> ChainError {
    ChainError::Malformed { method: method.into(), detail: detail.into() }
}

fn hex_u64(n: u64) -> String {
    format!("{n:#x}")
}

impl EvmRpc {
    pub fn new(url: &str, token: Option<Address>, chain_decimals: u8, engine_decimals: u8) -> EvmRpc {
        let http = reqwest::Client::builder().timeout(RPC_TIMEOUT).build().expect("a plain HTTP client builds");
        EvmRpc { url: url.into(), http, token, chain_decimals, engine_decimals }
    }

    /// The RPC of a network's node, for its asset.
    pub fn of(config: &NetworkConfig) -> EvmRpc {
        EvmRpc::new(&config.rpc_url, config.token(), config.decimals, config.engine_decimals)
    }

    /// One JSON-RPC 2.0 call; `result` deserialised as `T` (a JSON null as `None` for options).
    pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, ChainError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let response = self.http.post(&self.url).json(&body).send().await.map_err(|e| ChainError::Unreachable(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| ChainError::Unreachable(e.to_string()))?;
        let reply: Reply =
            serde_json::from_str(&text).map_err(|e| malformed(method, format!("HTTP {status}: {e}: {}", text.chars().take(200).collect::<String>())))?;
        if let Some(error) = reply.error.filter(|e| !e.is_null()) {
            let message = error.get("message").and_then(Value::as_str).map_or_else(|| error.to_string(), str::to_string);
            return Err(ChainError::Rpc { method: method.into(), message });
        }
        serde_json::from_value(reply.result.unwrap_or(Value::Null)).map_err(|e| malformed(method, e.to_string()))
    }

    async fn quantity(&self, method: &str, params: Value) -> Result<u64, ChainError> {
        let text: String = self.call(method, params).await?;
        parse_u64(&text).map_err(|e| malformed(method, e.to_string()))
    }

    pub async fn chain_id(&self) -> Result<u64, ChainError> {
        self.quantity("eth_chainId", json!([])).await
    }

    /// The next nonce of `address` counting the node's pending transactions.
    pub async fn pending_nonce(&self, address: &Address) -> Result<u64, ChainError> {
        self.quantity("eth_getTransactionCount", json!([to_lower_hex(address), "pending"])).await
    }

    /// The latest block's base fee per gas.
    pub async fn base_fee_wei(&self) -> Result<u64, ChainError> {
        let block: Option<BlockJson> = self.call("eth_getBlockByNumber", json!(["latest", false])).await?;
        let fee = block.and_then(|b| b.base_fee_per_gas).ok_or_else(|| malformed("eth_getBlockByNumber", "no baseFeePerGas: not an EIP-1559 chain"))?;
        parse_u64(&fee).map_err(|e| malformed("eth_getBlockByNumber", e.to_string()))
    }

    /// The native balance of `address`, in wei.
    pub async fn balance_wei(&self, address: &Address) -> Result<u128, ChainError> {
        let text: String = self.call("eth_getBalance", json!([to_lower_hex(address), "latest"])).await?;
        parse_quantity(&text).map_err(|e| malformed("eth_getBalance", e.to_string()))
    }

    /// The token balance of `owner` (`balanceOf`), in the token's base units.
    pub async fn token_balance(&self, token: &Address, owner: &Address) -> Result<u128, ChainError> {
        let data = format!("0x{}", hex::encode(super::tx::erc20_balance_of_data(owner)));
        let text: String = self.call("eth_call", json!([{"to": to_lower_hex(token), "data": data}, "latest"])).await?;
        parse_quantity(&text).map_err(|e| malformed("eth_call", e.to_string()))
    }

    /// Sends a signed transaction. One the node already has is success (the same bytes pay
    /// once); a nonce already used is told apart, so the caller looks its transactions up.
    pub async fn send_raw(&self, raw_hex: &str) -> Result<(), SendError> {
        match self.call::<Value>("eth_sendRawTransaction", json!([raw_hex])).await {
            Ok(_) => Ok(()),
            Err(ChainError::Rpc { message, .. }) if message.to_ascii_lowercase().contains("already known") || message.contains("already imported") => Ok(()),
            Err(ChainError::Rpc { message, .. }) if message.to_ascii_lowercase().contains("nonce too low") => Err(SendError::NonceTooLow(message)),
            Err(e) => Err(e.into()),
        }
    }

    /// The receipt of a mined transaction; `None` while it is pending or unknown.
    pub async fn receipt(&self, txid: &str) -> Result<Option<Receipt>, ChainError> {
        let receipt: Option<ReceiptJson> = self.call("eth_getTransactionReceipt", json!([txid])).await?;
        let Some(r) = receipt else { return Ok(None) };
        let Some(number) = r.block_number else { return Ok(None) };
        let block_number = parse_u64(&number).map_err(|e| malformed("eth_getTransactionReceipt", e.to_string()))?;
        Ok(Some(Receipt { block_number, success: r.status.as_deref() == Some("0x1") }))
    }

    /// Whether the node knows the transaction at all (pending or mined).
    pub async fn knows(&self, txid: &str) -> Result<bool, ChainError> {
        let tx: Option<Value> = self.call("eth_getTransactionByHash", json!([txid])).await?;
        Ok(tx.is_some())
    }

    /// The node's chain id must be the configured one (a signature is valid on one chain), and
    /// a token's `decimals()` the configured decimals (else every amount would be off by a
    /// power of ten).
    pub async fn check(&self, config: &NetworkConfig) -> Result<(), String> {
        let id = self.chain_id().await.map_err(|e| e.to_string())?;
        if id != config.chain_id {
            return Err(format!("{}: the node at {} is on chain {id}, the config says {}", config.network, config.rpc_url, config.chain_id));
        }
        if let Some(token) = &self.token {
            let data = format!("0x{}", hex::encode(&super::address::keccak256(b"decimals()")[..4]));
            let text: String = self.call("eth_call", json!([{"to": to_lower_hex(token), "data": data}, "latest"])).await.map_err(|e| e.to_string())?;
            let decimals = parse_quantity(&text).map_err(|e| format!("{}: decimals() of {}: {e}", config.network, config.token_contract))?;
            if decimals != u128::from(config.decimals) {
                return Err(format!("{}: the token {} has {decimals} decimals, the config says {}", config.network, config.token_contract, config.decimals));
            }
        }
        Ok(())
    }

    fn output(&self, txid: String, index: u32, to: &Address, raw_text: &str) -> Result<ChainOutput, ChainError> {
        let (amount_units, amount_raw, too_large) = match parse_quantity(raw_text) {
            Ok(raw) => match raw_to_units(raw, self.chain_decimals, self.engine_decimals) {
                Ok((units, _remainder)) => (units, raw.to_string(), false),
                Err(AmountError::TooLarge(_)) => (0, raw.to_string(), true),
                Err(e) => return Err(malformed("amount", e.to_string())),
            },
            Err(AmountError::TooLarge(_)) => (0, raw_text.to_string(), true),
            Err(e) => return Err(malformed("amount", format!("{e} in {txid}"))),
        };
        Ok(ChainOutput { txid, index, address: to_lower_hex(to), amount_units, amount_raw: Some(amount_raw), too_large })
    }

    async fn native_outputs(&self, block: &BlockJson) -> Result<Vec<ChainOutput>, ChainError> {
        if block.transactions.len() > MAX_TXS_PER_BLOCK {
            return Err(malformed("eth_getBlockByHash", format!("{} transactions in block {}", block.transactions.len(), block.hash)));
        }
        let mut candidates = Vec::new();
        for tx in &block.transactions {
            let tx: TxJson = serde_json::from_value(tx.clone()).map_err(|e| malformed("eth_getBlockByHash", e.to_string()))?;
            let Some(to) = tx.to.as_deref().and_then(parse_hex) else { continue };
            if parse_quantity(&tx.value).map_or(true, |v| v > 0) {
                candidates.push((tx.hash.to_ascii_lowercase(), to, tx.value));
            }
        }
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // A reverted transaction moved no value: only successful ones are deposits.
        let receipts: Vec<ReceiptJson> = self.call("eth_getBlockReceipts", json!([block.hash])).await?;
        let succeeded: rustc_hash::FxHashSet<String> =
            receipts.into_iter().filter(|r| r.status.as_deref() == Some("0x1")).map(|r| r.transaction_hash.to_ascii_lowercase()).collect();
        let mut outputs = Vec::new();
        for (hash, to, value) in candidates {
            if succeeded.contains(&hash) {
                outputs.push(self.output(hash, 0, &to, &value)?);
            }
        }
        Ok(outputs)
    }

    async fn token_outputs(&self, token: &Address, block_hash: &str) -> Result<Vec<ChainOutput>, ChainError> {
        let topic = format!("0x{}", hex::encode(super::tx::transfer_topic()));
        let logs: Vec<LogJson> = self.call("eth_getLogs", json!([{"blockHash": block_hash, "address": to_lower_hex(token), "topics": [topic]}])).await?;
        let mut outputs = Vec::new();
        for log in logs.into_iter().filter(|l| !l.removed) {
            // Transfer(address indexed from, address indexed to, uint256 value): three topics.
            if log.topics.len() != 3 {
                continue;
            }
            let to_word = &log.topics[2];
            let Some(to) =
                to_word.strip_prefix("0x").filter(|w| w.len() == 64 && w[..24].bytes().all(|b| b == b'0')).and_then(|w| parse_hex(&format!("0x{}", &w[24..])))
            else {
                continue;
            };
            let index = u32::try_from(parse_u64(&log.log_index).map_err(|e| malformed("eth_getLogs", e.to_string()))?)
                .map_err(|_| malformed("eth_getLogs", format!("log index {}", log.log_index)))?;
            outputs.push(self.output(log.transaction_hash.to_ascii_lowercase(), index, &to, &log.data)?);
        }
        Ok(outputs)
    }
}

impl Chain for EvmRpc {
    async fn tip_height(&self) -> Result<u64, ChainError> {
        self.quantity("eth_blockNumber", json!([])).await
    }

    async fn block_hash(&self, height: u64) -> Result<Option<String>, ChainError> {
        let block: Option<BlockJson> = self.call("eth_getBlockByNumber", json!([hex_u64(height), false])).await?;
        Ok(block.map(|b| b.hash.to_ascii_lowercase()))
    }

    async fn block(&self, hash: &str) -> Result<ChainBlock, ChainError> {
        let full = self.token.is_none();
        let block: Option<BlockJson> = self.call("eth_getBlockByHash", json!([hash, full])).await?;
        let block = block.ok_or_else(|| malformed("eth_getBlockByHash", format!("no block {hash}")))?;
        let height = parse_u64(&block.number).map_err(|e| malformed("eth_getBlockByHash", e.to_string()))?;
        let outputs = match &self.token {
            None => self.native_outputs(&block).await?,
            Some(token) => self.token_outputs(token, &block.hash).await?,
        };
        let prev_hash = (height > 0).then(|| block.parent_hash.to_ascii_lowercase());
        Ok(ChainBlock { height, hash: block.hash.to_ascii_lowercase(), prev_hash, outputs })
    }
}
