//! The Bitcoin family's [`Chain`]: Bitcoin Core's JSON-RPC (litecoind, bitcoind) over HTTP
//! with basic auth. Amounts are read from the JSON's own digits, never through a float.

use crate::chain::{parse_units, Chain, ChainBlock, ChainError, ChainOutput};
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::time::Duration;

/// One call's limit: a node that hangs must not stall the watcher forever.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(30);

pub struct BitcoinRpc {
    url: String,
    authorization: String,
    decimals: u8,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Reply {
    result: Option<Box<RawValue>>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct BlockJson {
    hash: String,
    height: u64,
    previousblockhash: Option<String>,
    tx: Vec<TxJson>,
}

#[derive(Deserialize)]
struct TxJson {
    txid: String,
    vout: Vec<VoutJson>,
}

#[derive(Deserialize)]
struct VoutJson {
    value: Box<RawValue>,
    n: u32,
    #[serde(rename = "scriptPubKey")]
    script: ScriptJson,
}

/// Core 22+ writes `address`; 0.21 (Debian's litecoind) writes `addresses`.
#[derive(Deserialize)]
struct ScriptJson {
    address: Option<String>,
    addresses: Option<Vec<String>>,
}

impl BitcoinRpc {
    pub fn new(url: &str, user: &str, password: &str, decimals: u8) -> BitcoinRpc {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let http = reqwest::Client::builder().timeout(RPC_TIMEOUT).build().expect("a plain HTTP client builds");
        BitcoinRpc { url: url.into(), authorization: format!("Basic {token}"), decimals, http }
    }

    /// One JSON-RPC call; `result` deserialised as `T`.
    pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, ChainError> {
        let body = json!({"jsonrpc": "1.0", "id": "talat", "method": method, "params": params});
        let response = self
            .http
            .post(&self.url)
            .header("Authorization", &self.authorization)
            .json(&body)
            .send()
            .await
            .map_err(|e| ChainError::Unreachable(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| ChainError::Unreachable(e.to_string()))?;
        let malformed = |detail: String| ChainError::Malformed { method: method.into(), detail };
        // Core answers RPC errors with HTTP 500 and a JSON body; anything else is transport.
        let reply: Reply = serde_json::from_str(&text).map_err(|e| malformed(format!("HTTP {status}: {e}: {}", text.chars().take(200).collect::<String>())))?;
        if let Some(error) = reply.error.filter(|e| !e.is_null()) {
            let message = error.get("message").and_then(Value::as_str).map_or_else(|| error.to_string(), str::to_string);
            return Err(ChainError::Rpc { method: method.into(), message });
        }
        // A null result (invalidateblock's) arrives as no value at all.
        let raw = reply.result.as_ref().map_or("null", |r| r.get());
        serde_json::from_str(raw).map_err(|e| malformed(e.to_string()))
    }

    fn outputs(&self, tx: TxJson) -> Result<Vec<ChainOutput>, ChainError> {
        let mut outputs = Vec::with_capacity(tx.vout.len());
        for out in tx.vout {
            let address = out.script.address.or_else(|| out.script.addresses.and_then(|a| if a.len() == 1 { a.into_iter().next() } else { None }));
            // Outputs without one address (OP_RETURN, bare multisig) cannot be a deposit.
            let Some(address) = address else { continue };
            let amount_units = parse_units(out.value.get(), self.decimals)
                .ok_or_else(|| ChainError::Malformed { method: "getblock".into(), detail: format!("amount {} of {}:{}", out.value.get(), tx.txid, out.n) })?;
            outputs.push(ChainOutput {
                txid: tx.txid.clone(),
                index: out.n,
                address: address.to_ascii_lowercase(),
                amount_units,
                amount_raw: None,
                too_large: false,
            });
        }
        Ok(outputs)
    }
}

impl Chain for BitcoinRpc {
    async fn tip_height(&self) -> Result<u64, ChainError> {
        self.call("getblockcount", json!([])).await
    }

    async fn block_hash(&self, height: u64) -> Result<Option<String>, ChainError> {
        match self.call::<String>("getblockhash", json!([height])).await {
            Ok(hash) => Ok(Some(hash)),
            // -8: "Block height out of range".
            Err(ChainError::Rpc { message, .. }) if message.contains("out of range") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn block(&self, hash: &str) -> Result<ChainBlock, ChainError> {
        let block: BlockJson = self.call("getblock", json!([hash, 2])).await?;
        let mut outputs = Vec::new();
        for tx in block.tx {
            outputs.extend(self.outputs(tx)?);
        }
        Ok(ChainBlock { height: block.height, hash: block.hash, prev_hash: block.previousblockhash, outputs })
    }
}

#[derive(Deserialize)]
struct ScanJson {
    unspents: Vec<UnspentJson>,
}

#[derive(Deserialize)]
struct UnspentJson {
    txid: String,
    vout: u32,
    amount: Box<RawValue>,
    #[serde(rename = "scriptPubKey")]
    script_pub_key: String,
}

#[derive(Deserialize)]
struct TxStatusJson {
    confirmations: Option<u64>,
}

/// What the node knows of a transaction of ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxState {
    /// Neither in the mempool nor in a block the node has.
    Unknown,
    /// In a block `confirmations` deep, or in the mempool (0).
    Known { confirmations: u64 },
}

impl BitcoinRpc {
    /// The confirmed outputs paying `address` (`scantxoutset`, which reads the node's UTXO set:
    /// no wallet needed).
    pub async fn unspent(&self, address: &str) -> Result<Vec<crate::payout::Utxo>, ChainError> {
        let scan: ScanJson = self.call("scantxoutset", json!(["start", [format!("addr({address})")]])).await?;
        scan.unspents
            .into_iter()
            .map(|u| {
                let units = parse_units(u.amount.get(), self.decimals)
                    .ok_or_else(|| ChainError::Malformed { method: "scantxoutset".into(), detail: format!("amount {}", u.amount.get()) })?;
                Ok(crate::payout::Utxo { txid: u.txid, vout: u.vout, units })
            })
            .collect()
    }

    /// The unspent outputs of several addresses in one scan of the UTXO set (a scan reads the
    /// whole set: one per wallet, not one per address), each with the index of its address in
    /// `addresses`.
    pub async fn unspent_of(&self, addresses: &[String], hrp: &str) -> Result<Vec<(usize, crate::payout::Utxo)>, ChainError> {
        let scripts: Vec<String> = addresses.iter().map(|a| crate::hot::script_of_address(a, hrp).map(|s| s.to_hex_string()).unwrap_or_default()).collect();
        let descriptors: Vec<String> = addresses.iter().map(|a| format!("addr({a})")).collect();
        let scan: ScanJson = self.call("scantxoutset", json!(["start", descriptors])).await?;
        scan.unspents
            .into_iter()
            .filter_map(|u| scripts.iter().position(|s| !s.is_empty() && *s == u.script_pub_key).map(|i| (i, u)))
            .map(|(i, u)| {
                let units = parse_units(u.amount.get(), self.decimals)
                    .ok_or_else(|| ChainError::Malformed { method: "scantxoutset".into(), detail: format!("amount {}", u.amount.get()) })?;
                Ok((i, crate::payout::Utxo { txid: u.txid, vout: u.vout, units }))
            })
            .collect()
    }

    /// Sends a signed transaction. Sending one the node already has (in its mempool or chain)
    /// is success: the same bytes can only ever pay once.
    pub async fn broadcast(&self, raw_hex: &str) -> Result<(), ChainError> {
        match self.call::<String>("sendrawtransaction", json!([raw_hex])).await {
            Ok(_) => Ok(()),
            Err(ChainError::Rpc { message, .. })
                if message.contains("already in block chain") || message.contains("already-in-mempool") || message.contains("txn-already-known") =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Looks a transaction up (`getrawtransaction`; the node needs `-txindex` for transactions
    /// that are neither in its mempool nor its wallet).
    pub async fn tx_state(&self, txid: &str) -> Result<TxState, ChainError> {
        match self.call::<TxStatusJson>("getrawtransaction", json!([txid, true])).await {
            Ok(status) => Ok(TxState::Known { confirmations: status.confirmations.unwrap_or(0) }),
            Err(ChainError::Rpc { message, .. }) if message.contains("No such mempool or blockchain transaction") => Ok(TxState::Unknown),
            Err(e) => Err(e),
        }
    }
}

impl BitcoinRpc {
    /// Whether an output is in the node's UTXO set (`gettxout`, confirmed outputs only).
    pub async fn is_unspent(&self, txid: &str, vout: u32) -> Result<bool, ChainError> {
        let out: Value = self.call("gettxout", json!([txid, vout, false])).await?;
        Ok(!out.is_null())
    }
}
