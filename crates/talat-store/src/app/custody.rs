//! Crypto custody's tables (migration 0014): deposit addresses, each chain watcher's durable
//! cursor (the recent blocks' hashes), on-chain deposits, and reorg cases with the freezes they
//! put on a customer's withdrawals of an asset. Which deposit is credited when is
//! `talat-custody`'s rule; this module stores what it is given, each step in one transaction.

use crate::codec::{int, placeholders, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;

/// Most deposits one listing returns.
pub const MAX_CUSTODY_ROWS: i64 = 1_000;
/// Most addresses looked up in one statement.
const MAX_ADDRESSES_PER_QUERY: usize = 500;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyAddressRow {
    pub user_id: u64,
    pub network: String,
    pub derivation_index: u64,
    pub address: String,
    pub created_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyDepositRow {
    pub network: String,
    pub txid: String,
    pub output_index: u64,
    pub user_id: u64,
    pub asset: String,
    pub address: String,
    pub amount_units: u64,
    /// The chain's own integer amount (decimal) where it is finer than the engine's unit
    /// (Ethereum's wei and token base units); `None` on the Bitcoin family.
    pub amount_raw: Option<String>,
    pub block_height: Option<u64>,
    pub block_hash: Option<String>,
    pub confirmations: u64,
    pub required_confirmations: u64,
    /// `seen`, `confirming`, `credited`, `dropped`, `dust`, `reorged` or `refused`
    /// (talat-custody's words).
    pub status: String,
    pub seen_ms: u64,
    pub updated_ms: u64,
    pub credited_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyCaseRow {
    pub id: u64,
    pub network: String,
    pub kind: String,
    pub user_id: u64,
    pub asset: String,
    pub txid: String,
    pub output_index: u64,
    pub detail: String,
    pub opened_ms: u64,
    pub resolved_ms: Option<u64>,
    pub resolved_by: Option<u64>,
    pub resolution: Option<String>,
}

/// What a rewind to a fork point did to the deposits above it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rewound {
    /// Deposits not yet credited, now `dropped` (seen again if the transaction is mined anew).
    pub dropped: Vec<CustodyDepositRow>,
    /// Credited deposits the reorg took away: each opened a case and froze the asset.
    pub cases: Vec<u64>,
}

const DEPOSIT_COLUMNS: &str = "network, txid, output_index, user_id, asset, address, amount_units, amount_raw, block_height, block_hash, confirmations, required_confirmations, status, seen_ms, updated_ms, credited_ms";
const CASE_COLUMNS: &str = "id, network, kind, user_id, asset, txid, output_index, detail, opened_ms, resolved_ms, resolved_by, resolution";

impl CustodyAddressRow {
    fn read(row: &AnyRow) -> Result<CustodyAddressRow, StoreError> {
        let c = Cols::new(row, "custody_addresses");
        Ok(CustodyAddressRow {
            user_id: c.u64("user_id")?,
            network: c.text("network")?,
            derivation_index: c.u64("derivation_index")?,
            address: c.text("address")?,
            created_ms: c.u64("created_ms")?,
        })
    }
}

pub(crate) fn deposit_row(row: &AnyRow) -> Result<CustodyDepositRow, StoreError> {
    CustodyDepositRow::read(row)
}

impl CustodyDepositRow {
    fn read(row: &AnyRow) -> Result<CustodyDepositRow, StoreError> {
        let c = Cols::new(row, "custody_deposits");
        Ok(CustodyDepositRow {
            network: c.text("network")?,
            txid: c.text("txid")?,
            output_index: c.u64("output_index")?,
            user_id: c.u64("user_id")?,
            asset: c.text("asset")?,
            address: c.text("address")?,
            amount_units: c.u64("amount_units")?,
            amount_raw: c.opt_text("amount_raw")?,
            block_height: c.opt_u64("block_height")?,
            block_hash: c.opt_text("block_hash")?,
            confirmations: c.u64("confirmations")?,
            required_confirmations: c.u64("required_confirmations")?,
            status: c.text("status")?,
            seen_ms: c.u64("seen_ms")?,
            updated_ms: c.u64("updated_ms")?,
            credited_ms: c.opt_u64("credited_ms")?,
        })
    }
}

impl CustodyCaseRow {
    fn read(row: &AnyRow) -> Result<CustodyCaseRow, StoreError> {
        let c = Cols::new(row, "custody_cases");
        Ok(CustodyCaseRow {
            id: c.u64("id")?,
            network: c.text("network")?,
            kind: c.text("kind")?,
            user_id: c.u64("user_id")?,
            asset: c.text("asset")?,
            txid: c.text("txid")?,
            output_index: c.u64("output_index")?,
            detail: c.text("detail")?,
            opened_ms: c.u64("opened_ms")?,
            resolved_ms: c.opt_u64("resolved_ms")?,
            resolved_by: c.opt_u64("resolved_by")?,
            resolution: c.opt_text("resolution")?,
        })
    }
}

fn opt(v: Option<u64>) -> Result<Option<i64>, StoreError> {
    v.map(int).transpose()
}

impl Store {
    pub async fn custody_address(&self, user_id: u64, network: &str) -> Result<Option<CustodyAddressRow>, StoreError> {
        sqlx::query("SELECT user_id, network, derivation_index, address, created_ms FROM custody_addresses WHERE user_id = $1 AND network = $2")
            .bind(int(user_id)?)
            .bind(network)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(CustodyAddressRow::read)
            .transpose()
    }

    pub async fn custody_addresses_of(&self, user_id: u64) -> Result<Vec<CustodyAddressRow>, StoreError> {
        let rows = sqlx::query("SELECT user_id, network, derivation_index, address, created_ms FROM custody_addresses WHERE user_id = $1 ORDER BY network")
            .bind(int(user_id)?)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(CustodyAddressRow::read).collect()
    }

    /// The customer's address on `network`, assigned on first use: the next derivation index
    /// of the network, and `derive(index)` the address it gives. One write transaction, so two
    /// requests at once cannot take the same index.
    pub async fn assign_custody_address(
        &self,
        user_id: u64,
        network: &str,
        now_ms: u64,
        derive: impl FnOnce(u64) -> Result<String, String>,
    ) -> Result<Result<CustodyAddressRow, String>, StoreError> {
        let mut tx = self.write_tx().await?;
        let existing = sqlx::query("SELECT user_id, network, derivation_index, address, created_ms FROM custody_addresses WHERE user_id = $1 AND network = $2")
            .bind(int(user_id)?)
            .bind(network)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = existing {
            return Ok(Ok(CustodyAddressRow::read(&row)?));
        }
        let next = sqlx::query("SELECT COALESCE(MAX(derivation_index) + 1, 0) AS next FROM custody_addresses WHERE network = $1")
            .bind(network)
            .fetch_one(&mut *tx)
            .await?;
        let index = Cols::new(&next, "custody_addresses").u64("next")?;
        let address = match derive(index) {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        sqlx::query("INSERT INTO custody_addresses (user_id, network, derivation_index, address, created_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(int(user_id)?)
            .bind(network)
            .bind(int(index)?)
            .bind(&address)
            .bind(int(now_ms)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ok(CustodyAddressRow { user_id, network: network.into(), derivation_index: index, address, created_ms: now_ms }))
    }

    /// Which of `addresses` belong to a customer on `network`: (address, user id).
    pub async fn custody_owners(&self, network: &str, addresses: &[String]) -> Result<Vec<(String, u64)>, StoreError> {
        let mut owners = Vec::new();
        for chunk in addresses.chunks(MAX_ADDRESSES_PER_QUERY) {
            let sql = format!("SELECT address, user_id FROM custody_addresses WHERE network = $1 AND address IN ({})", placeholders(2, chunk.len()));
            let mut q = sqlx::query(&sql).bind(network);
            for a in chunk {
                q = q.bind(a);
            }
            for row in q.fetch_all(&self.pool).await? {
                let c = Cols::new(&row, "custody_addresses");
                owners.push((c.text("address")?, c.u64("user_id")?));
            }
        }
        Ok(owners)
    }

    /// The watcher's cursor: the highest block it finished, with its hash.
    pub async fn custody_cursor(&self, network: &str) -> Result<Option<(u64, String)>, StoreError> {
        let row = sqlx::query("SELECT height, hash FROM custody_blocks WHERE network = $1 ORDER BY height DESC LIMIT 1")
            .bind(network)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let c = Cols::new(&r, "custody_blocks");
            Ok((c.u64("height")?, c.text("hash")?))
        })
        .transpose()
    }

    pub async fn custody_block_hash(&self, network: &str, height: u64) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT hash FROM custody_blocks WHERE network = $1 AND height = $2")
            .bind(network)
            .bind(int(height)?)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Cols::new(&r, "custody_blocks").text("hash")).transpose()
    }

    /// Records one scanned block and the deposits in it, and forgets block hashes older than
    /// `keep_blocks` below it: the cursor moves only with its deposits. A deposit already
    /// known keeps a final status (credited, dust, reorged); one dropped by a reorg and mined
    /// again takes its new block.
    pub async fn custody_record_block(
        &self,
        network: &str,
        height: u64,
        hash: &str,
        deposits: &[CustodyDepositRow],
        keep_blocks: u64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO custody_blocks (network, height, hash) VALUES ($1, $2, $3)")
            .bind(network)
            .bind(int(height)?)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM custody_blocks WHERE network = $1 AND height < $2")
            .bind(network)
            .bind(int(height.saturating_sub(keep_blocks))?)
            .execute(&mut *tx)
            .await?;
        for d in deposits {
            upsert_deposit(&mut tx, d).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records deposits found outside the block walk (a rescan, the mempool): new ones are
    /// inserted; known ones keep a final status.
    pub async fn custody_record_deposits(&self, deposits: &[CustodyDepositRow]) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        for d in deposits {
            upsert_deposit(&mut tx, d).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Rewinds `network` to `fork_height` after a reorg: forgets the blocks above it; deposits
    /// in them not yet credited are dropped; each credited one becomes `reorged`, opens a case
    /// and freezes the customer's withdrawals of the asset.
    pub async fn custody_rewind(&self, network: &str, fork_height: u64, now_ms: u64) -> Result<Rewound, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!("SELECT {DEPOSIT_COLUMNS} FROM custody_deposits WHERE network = $1 AND block_height > $2 ORDER BY block_height, txid, output_index");
        let rows = sqlx::query(&sql).bind(network).bind(int(fork_height)?).fetch_all(&mut *tx).await?;
        let mut out = Rewound::default();
        for row in rows.iter().map(CustodyDepositRow::read) {
            let d = row?;
            if d.status == "credited" {
                let detail = format!("a reorg below height {} removed block {} holding this credited deposit", fork_height + 1, d.block_height.unwrap_or(0));
                let case = sqlx::query(
                    "INSERT INTO custody_cases (network, kind, user_id, asset, txid, output_index, detail, opened_ms) VALUES ($1, 'reorg_below_credit', $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(network)
                .bind(int(d.user_id)?)
                .bind(&d.asset)
                .bind(&d.txid)
                .bind(int(d.output_index)?)
                .bind(&detail)
                .bind(int(now_ms)?)
                .fetch_one(&mut *tx)
                .await?;
                let case_id = Cols::new(&case, "custody_cases").u64("id")?;
                sqlx::query(
                    "INSERT INTO custody_freezes (user_id, asset, case_id, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, asset) DO NOTHING",
                )
                .bind(int(d.user_id)?)
                .bind(&d.asset)
                .bind(int(case_id)?)
                .bind(int(now_ms)?)
                .execute(&mut *tx)
                .await?;
                set_deposit_status(&mut tx, &d, "reorged", now_ms).await?;
                out.cases.push(case_id);
            } else if d.status != "reorged" {
                set_deposit_status(&mut tx, &d, "dropped", now_ms).await?;
                out.dropped.push(d);
            }
        }
        sqlx::query("DELETE FROM custody_blocks WHERE network = $1 AND height > $2").bind(network).bind(int(fork_height)?).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Deposits of `network` in a block and not yet credited: the confirmation pass's work.
    pub async fn custody_confirming(&self, network: &str) -> Result<Vec<CustodyDepositRow>, StoreError> {
        let sql = format!(
            "SELECT {DEPOSIT_COLUMNS} FROM custody_deposits WHERE network = $1 AND status = 'confirming' ORDER BY block_height, txid, output_index LIMIT $2"
        );
        let rows = sqlx::query(&sql).bind(network).bind(MAX_CUSTODY_ROWS).fetch_all(&self.pool).await?;
        rows.iter().map(CustodyDepositRow::read).collect()
    }

    pub async fn custody_set_confirmations(&self, network: &str, txid: &str, output_index: u64, confirmations: u64, now_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE custody_deposits SET confirmations = $1, updated_ms = $2 WHERE network = $3 AND txid = $4 AND output_index = $5 AND status = 'confirming'",
        )
        .bind(int(confirmations)?)
        .bind(int(now_ms)?)
        .bind(network)
        .bind(txid)
        .bind(int(output_index)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a deposit credited once the engine took its `Deposit` (a repeat is harmless: the
    /// engine's own key makes the credit happen once).
    pub async fn custody_mark_credited(&self, network: &str, txid: &str, output_index: u64, confirmations: u64, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE custody_deposits SET status = 'credited', confirmations = $1, credited_ms = $2, updated_ms = $2 WHERE network = $3 AND txid = $4 AND output_index = $5 AND status = 'confirming'",
        )
        .bind(int(confirmations)?)
        .bind(int(now_ms)?)
        .bind(network)
        .bind(txid)
        .bind(int(output_index)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn custody_deposit(&self, network: &str, txid: &str, output_index: u64) -> Result<Option<CustodyDepositRow>, StoreError> {
        let sql = format!("SELECT {DEPOSIT_COLUMNS} FROM custody_deposits WHERE network = $1 AND txid = $2 AND output_index = $3");
        sqlx::query(&sql).bind(network).bind(txid).bind(int(output_index)?).fetch_optional(&self.pool).await?.as_ref().map(CustodyDepositRow::read).transpose()
    }

    /// A customer's deposits, newest first.
    pub async fn custody_deposits_of(&self, user_id: u64, limit: i64) -> Result<Vec<CustodyDepositRow>, StoreError> {
        let sql = format!("SELECT {DEPOSIT_COLUMNS} FROM custody_deposits WHERE user_id = $1 ORDER BY seen_ms DESC, txid, output_index LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(user_id)?).bind(limit.clamp(0, MAX_CUSTODY_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(CustodyDepositRow::read).collect()
    }

    /// Test and rescan support: forgets one deposit row, as a watcher that missed it would
    /// never have written it.
    #[doc(hidden)]
    pub async fn custody_forget_deposit_for_tests(&self, network: &str, txid: &str, output_index: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM custody_deposits WHERE network = $1 AND txid = $2 AND output_index = $3")
            .bind(network)
            .bind(txid)
            .bind(int(output_index)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn custody_cases(&self, open_only: bool) -> Result<Vec<CustodyCaseRow>, StoreError> {
        let filter = if open_only { "WHERE resolved_ms IS NULL" } else { "" };
        let sql = format!("SELECT {CASE_COLUMNS} FROM custody_cases {filter} ORDER BY id DESC LIMIT $1");
        let rows = sqlx::query(&sql).bind(MAX_CUSTODY_ROWS).fetch_all(&self.pool).await?;
        rows.iter().map(CustodyCaseRow::read).collect()
    }

    /// Whether a reorg case froze the customer's withdrawals of `asset`.
    pub async fn custody_frozen(&self, user_id: u64, asset: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT case_id FROM custody_freezes WHERE user_id = $1 AND asset = $2")
            .bind(int(user_id)?)
            .bind(asset)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Closes a case with the staff member's resolution and lifts its freeze.
    pub async fn resolve_custody_case(&self, id: u64, staff_id: u64, resolution: &str, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE custody_cases SET resolved_ms = $1, resolved_by = $2, resolution = $3 WHERE id = $4 AND resolved_ms IS NULL")
            .bind(int(now_ms)?)
            .bind(int(staff_id)?)
            .bind(resolution)
            .bind(int(id)?)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM custody_freezes WHERE case_id = $1").bind(int(id)?).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }
}

async fn upsert_deposit(tx: &mut crate::store::WriteTx<'_>, d: &CustodyDepositRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO custody_deposits (network, txid, output_index, user_id, asset, address, amount_units, block_height, block_hash, confirmations, required_confirmations, status, seen_ms, updated_ms, amount_raw) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) \
         ON CONFLICT (network, txid, output_index) DO UPDATE SET block_height = excluded.block_height, block_hash = excluded.block_hash, \
         confirmations = excluded.confirmations, status = excluded.status, updated_ms = excluded.updated_ms \
         WHERE custody_deposits.status IN ('seen', 'confirming', 'dropped')",
    )
    .bind(&d.network)
    .bind(&d.txid)
    .bind(int(d.output_index)?)
    .bind(int(d.user_id)?)
    .bind(&d.asset)
    .bind(&d.address)
    .bind(int(d.amount_units)?)
    .bind(opt(d.block_height)?)
    .bind(&d.block_hash)
    .bind(int(d.confirmations)?)
    .bind(int(d.required_confirmations)?)
    .bind(&d.status)
    .bind(int(d.seen_ms)?)
    .bind(&d.amount_raw)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn set_deposit_status(tx: &mut crate::store::WriteTx<'_>, d: &CustodyDepositRow, status: &str, now_ms: u64) -> Result<(), StoreError> {
    sqlx::query("UPDATE custody_deposits SET status = $1, block_height = NULL, block_hash = NULL, confirmations = 0, updated_ms = $2 WHERE network = $3 AND txid = $4 AND output_index = $5")
        .bind(status)
        .bind(int(now_ms)?)
        .bind(&d.network)
        .bind(&d.txid)
        .bind(int(d.output_index)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
