//! A chain's deposit watcher: one pass walks the blocks after its durable cursor, records the
//! outputs paying customers' addresses, follows a reorg back to the fork point, counts
//! confirmations against the scanned tip and credits what has enough through the engine's
//! idempotent `Deposit`. Each block and its deposits are one store transaction, so a crash
//! between blocks resumes at the next; a crash between a credit and its mark re-submits a
//! credit the engine already has, which it answers as a duplicate.

use crate::chain::{Chain, ChainBlock, ChainError};
use crate::deposit::{deposit_key, next_step, DepositStatus, Step};
use crate::network::{NetworkConfig, MAX_BLOCKS_PER_PASS, REORG_WINDOW_BLOCKS};
use std::sync::Arc;
use talat_core::{Amount, Command, ExternalId, UserId};
use talat_gateway::gateway::{Gateway, Refusal};
use talat_store::{CustodyDepositRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    #[error("{network}: a reorg deeper than the {window} blocks kept (no common block at or above height {lowest}); the watcher stops rather than guess")]
    DeepReorg { network: String, window: u64, lowest: u64 },
    #[error("{0}")]
    Engine(String),
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    /// The highest block scanned after the pass.
    pub scanned_height: Option<u64>,
    pub blocks: u64,
    pub found: usize,
    pub credited: usize,
    pub dropped: usize,
    pub cases: Vec<u64>,
}

pub struct Watcher<C: Chain> {
    pub network: NetworkConfig,
    pub chain: C,
    store: Store,
    gateway: Arc<Gateway>,
    /// The first height a fresh watcher scans (`None`: the tip it first sees).
    pub start_height: Option<u64>,
}

impl<C: Chain> Watcher<C> {
    pub fn new(network: NetworkConfig, chain: C, store: Store, gateway: Arc<Gateway>, start_height: Option<u64>) -> Watcher<C> {
        Watcher { network, chain, store, gateway, start_height }
    }

    fn id(&self) -> &str {
        &self.network.network
    }

    /// One pass: reorg check, new blocks (at most [`MAX_BLOCKS_PER_PASS`]), confirmations and
    /// credits.
    pub async fn pass(&self) -> Result<PassReport, WatchError> {
        let mut report = PassReport::default();
        let tip = self.chain.tip_height().await?;
        if let Some((height, hash)) = self.store.custody_cursor(self.id()).await? {
            if self.chain.block_hash(height).await?.as_deref() != Some(hash.as_str()) {
                let fork = self.fork_point(height).await?;
                let rewound = self.store.custody_rewind(self.id(), fork, self.gateway.now_ms()).await?;
                tracing::warn!(
                    "custody {}: reorg back to height {fork}: {} deposits dropped, {} cases opened",
                    self.id(),
                    rewound.dropped.len(),
                    rewound.cases.len()
                );
                report.dropped = rewound.dropped.len();
                report.cases = rewound.cases;
            }
        }
        let cursor = self.store.custody_cursor(self.id()).await?;
        let start = match &cursor {
            Some((height, _)) => height + 1,
            None => self.start_height.unwrap_or(tip),
        };
        let end = tip.min(start.saturating_add(MAX_BLOCKS_PER_PASS - 1));
        let mut prev = cursor.map(|(_, hash)| hash);
        for height in start..=end {
            let Some(hash) = self.chain.block_hash(height).await? else { break };
            let block = self.chain.block(&hash).await?;
            if block.height != height {
                let detail = format!("block {hash} at height {height} says it is at {}", block.height);
                return Err(ChainError::Malformed { method: "getblock".into(), detail }.into());
            }
            // The chain moved under the pass: the next pass finds the fork from the cursor.
            if prev.is_some() && block.prev_hash != prev {
                break;
            }
            let deposits = self.deposits_in(&block, tip).await?;
            report.found += deposits.len();
            self.store.custody_record_block(self.id(), height, &hash, &deposits, REORG_WINDOW_BLOCKS).await?;
            report.blocks += 1;
            prev = Some(hash);
        }
        let scanned = self.store.custody_cursor(self.id()).await?.map(|(h, _)| h);
        report.scanned_height = scanned;
        if let Some(scanned) = scanned {
            report.credited = self.confirm(scanned).await?;
        }
        Ok(report)
    }

    /// The highest height at or below `from` where the stored hash is still the chain's.
    async fn fork_point(&self, from: u64) -> Result<u64, WatchError> {
        let mut height = from;
        for _ in 0..=REORG_WINDOW_BLOCKS {
            let Some(stored) = self.store.custody_block_hash(self.id(), height).await? else { break };
            if self.chain.block_hash(height).await?.as_deref() == Some(stored.as_str()) {
                return Ok(height);
            }
            let Some(lower) = height.checked_sub(1) else { break };
            height = lower;
        }
        Err(WatchError::DeepReorg { network: self.id().into(), window: REORG_WINDOW_BLOCKS, lowest: height })
    }

    /// The block's outputs that pay a customer's address, as deposit rows.
    async fn deposits_in(&self, block: &ChainBlock, tip: u64) -> Result<Vec<CustodyDepositRow>, WatchError> {
        if block.outputs.is_empty() {
            return Ok(Vec::new());
        }
        let mut addresses: Vec<String> = block.outputs.iter().map(|o| o.address.clone()).collect();
        addresses.sort();
        addresses.dedup();
        let owners: rustc_hash::FxHashMap<String, u64> = self.store.custody_owners(&self.network.address_scope(), &addresses).await?.into_iter().collect();
        let now_ms = self.gateway.now_ms();
        let mut rows = Vec::new();
        for out in &block.outputs {
            let Some(&user_id) = owners.get(&out.address) else { continue };
            let required = u64::from(self.network.required_confirmations(out.amount_units));
            let status = if out.too_large {
                // Loud, and kept: staff see the row; nothing is credited or wrapped.
                tracing::error!(
                    "custody {}: deposit {}:{} to {} of {} does not fit the engine's books; recorded as refused",
                    self.id(),
                    out.txid,
                    out.index,
                    out.address,
                    out.amount_raw.as_deref().unwrap_or("?")
                );
                DepositStatus::Refused
            } else if out.amount_units < self.network.dust_units {
                DepositStatus::Dust
            } else {
                DepositStatus::Confirming
            };
            rows.push(CustodyDepositRow {
                network: self.id().into(),
                txid: out.txid.clone(),
                output_index: u64::from(out.index),
                user_id,
                asset: self.network.asset.clone(),
                address: out.address.clone(),
                amount_units: out.amount_units,
                amount_raw: out.amount_raw.clone(),
                block_height: Some(block.height),
                block_hash: Some(block.hash.clone()),
                confirmations: crate::deposit::confirmations(tip, block.height),
                required_confirmations: required,
                status: status.as_str().into(),
                seen_ms: now_ms,
                updated_ms: now_ms,
                credited_ms: None,
            });
        }
        Ok(rows)
    }

    /// Counts confirmations against the scanned height and credits what has enough.
    async fn confirm(&self, scanned: u64) -> Result<usize, WatchError> {
        let mut credited = 0;
        for d in self.store.custody_confirming(self.id()).await? {
            let Some(block_height) = d.block_height else { continue };
            match next_step(scanned, block_height, d.required_confirmations) {
                Step::Wait { confirmations } if confirmations != d.confirmations => {
                    self.store.custody_set_confirmations(self.id(), &d.txid, d.output_index, confirmations, self.gateway.now_ms()).await?;
                }
                Step::Wait { .. } => {}
                Step::Credit => {
                    match self.credit(&d).await {
                        Ok(()) => {}
                        // One deposit the engine refuses (say, its asset delisted) must not hold
                        // up the others: it stays confirming, retried each pass, and is logged.
                        Err(WatchError::Engine(why)) => {
                            tracing::error!("custody {}: {why}", self.id());
                            continue;
                        }
                        Err(e) => return Err(e),
                    }
                    let n = crate::deposit::confirmations(scanned, block_height);
                    self.store.custody_mark_credited(self.id(), &d.txid, d.output_index, n, self.gateway.now_ms()).await?;
                    credited += 1;
                }
            }
        }
        Ok(credited)
    }

    async fn credit(&self, d: &CustodyDepositRow) -> Result<(), WatchError> {
        let user = UserId(u32::try_from(d.user_id).map_err(|_| WatchError::Engine(format!("user id {} out of range", d.user_id)))?);
        let asset = self
            .gateway
            .read
            .asset_id(&self.network.asset)
            .ok_or_else(|| WatchError::Engine(format!("{} is not listed on this exchange", self.network.asset)))?;
        // Units mean the engine's scale: a network that disagrees would credit by a power of ten.
        let scale = self.gateway.read.assets().iter().find(|a| a.code == self.network.asset).map(|a| a.scale);
        if scale != Some(self.network.engine_decimals) {
            return Err(WatchError::Engine(format!(
                "{} is booked at scale {scale:?} but network {} says engine_decimals = {}; nothing credited",
                self.network.asset,
                self.id(),
                self.network.engine_decimals
            )));
        }
        let external_id = ExternalId(deposit_key(self.id(), &d.txid, d.output_index));
        let command = Command::Deposit { user, asset, amount: Amount(d.amount_units), external_id };
        match self.gateway.execute(command).await {
            Ok(_) => Ok(()),
            Err(Refusal::Engine(reason)) => Err(WatchError::Engine(format!("the engine refused the credit of {}:{}: {reason:?}", d.txid, d.output_index))),
            Err(Refusal::Gateway(e)) => Err(WatchError::Engine(format!("the credit of {}:{} was not executed: {}", d.txid, d.output_index, e.message))),
        }
    }

    /// Re-reads heights `from..=to` (no further than the cursor) and records deposits the
    /// watcher does not have; the next pass credits them (once: the engine keys each credit by
    /// chain, txid and output). Returns how many were missing.
    pub async fn rescan(&self, from: u64, to: u64) -> Result<usize, WatchError> {
        let Some((cursor, _)) = self.store.custody_cursor(self.id()).await? else { return Ok(0) };
        let to = to.min(cursor);
        let mut missing = Vec::new();
        for height in from..=to {
            let Some(hash) = self.chain.block_hash(height).await? else { break };
            let block = self.chain.block(&hash).await?;
            for d in self.deposits_in(&block, cursor).await? {
                if self.store.custody_deposit(self.id(), &d.txid, d.output_index).await?.is_none() {
                    missing.push(d);
                }
            }
        }
        self.store.custody_record_deposits(&missing).await?;
        Ok(missing.len())
    }
}
