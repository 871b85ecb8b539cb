//! The gateway's API keys. The gateway encrypts each secret and keeps the key to it; this table
//! only stores the bytes it is given.

use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;

/// Permission bits of an API key.
pub const PERM_TRADE: u32 = 1;
pub const PERM_DEPOSIT: u32 = 2;
pub const PERM_WITHDRAW: u32 = 4;

/// Most keys `api_keys` returns (the gateway loads them all at start).
const MAX_KEYS: i64 = 10_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub api_key: String,
    pub user: talat_core::UserId,
    pub secret_ciphertext: Vec<u8>,
    pub secret_nonce: Vec<u8>,
    /// `PERM_*` bits.
    pub perms: u32,
    /// Comma-separated addresses; empty allows any.
    pub ip_allow: String,
    pub created_ms: u64,
    pub revoked_ms: Option<u64>,
}

impl ApiKeyRow {
    pub fn allows(&self, perm: u32) -> bool {
        self.revoked_ms.is_none() && self.perms & perm == perm
    }

    fn read(row: &AnyRow) -> Result<ApiKeyRow, StoreError> {
        let c = Cols::new(row, "api_keys");
        Ok(ApiKeyRow {
            api_key: c.text("api_key")?,
            user: c.user("user_id")?,
            secret_ciphertext: c.bytes("secret_ciphertext")?,
            secret_nonce: c.bytes("secret_nonce")?,
            perms: c.u32("perms")?,
            ip_allow: c.text("ip_allow")?,
            created_ms: c.u64("created_ms")?,
            revoked_ms: c.opt_u64("revoked_ms")?,
        })
    }
}

const COLUMNS: &str = "api_key, user_id, secret_ciphertext, secret_nonce, perms, ip_allow, created_ms, revoked_ms";

impl Store {
    /// Stores a new key; a key that exists already is refused with `DuplicateApiKey`.
    pub async fn insert_api_key(&self, key: &ApiKeyRow) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        // ON CONFLICT DO NOTHING + rows affected, rather than matching each backend's
        // unique-violation error.
        let inserted = sqlx::query(
            "INSERT INTO api_keys (api_key, user_id, secret_ciphertext, secret_nonce, perms, ip_allow, created_ms, revoked_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (api_key) DO NOTHING",
        )
        .bind(key.api_key.as_str())
        .bind(i64::from(key.user.0))
        .bind(key.secret_ciphertext.as_slice())
        .bind(key.secret_nonce.as_slice())
        .bind(i64::from(key.perms))
        .bind(key.ip_allow.as_str())
        .bind(int(key.created_ms)?)
        .bind(key.revoked_ms.map(int).transpose()?)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        if inserted == 0 {
            return Err(StoreError::DuplicateApiKey(key.api_key.clone()));
        }
        Ok(())
    }

    /// Marks the key revoked at `at_ms`. Returns false if it is unknown or already revoked (the
    /// first revocation time is kept).
    pub async fn revoke_api_key(&self, api_key: &str, at_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query("UPDATE api_keys SET revoked_ms = $1 WHERE api_key = $2 AND revoked_ms IS NULL")
            .bind(int(at_ms)?)
            .bind(api_key)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(changed == 1)
    }

    pub async fn api_key(&self, api_key: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE api_key = $1");
        let row = sqlx::query(&sql).bind(api_key).fetch_optional(&self.pool).await?;
        row.as_ref().map(ApiKeyRow::read).transpose()
    }

    /// Every key, revoked ones included, oldest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys ORDER BY created_ms, api_key LIMIT $1");
        let rows = sqlx::query(&sql).bind(MAX_KEYS).fetch_all(&self.pool).await?;
        rows.iter().map(ApiKeyRow::read).collect()
    }

    /// The user's keys, revoked ones included, oldest first.
    pub async fn api_keys_of(&self, user: talat_core::UserId) -> Result<Vec<ApiKeyRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_ms, api_key LIMIT $2");
        let rows = sqlx::query(&sql).bind(i64::from(user.0)).bind(MAX_KEYS).fetch_all(&self.pool).await?;
        rows.iter().map(ApiKeyRow::read).collect()
    }
}
