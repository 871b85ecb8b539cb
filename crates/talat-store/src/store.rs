//! [`Store`]: the handle on the database, and the one write path (`project`).

use crate::codec::{int, uint};
use crate::db::{self, Backend};
use crate::error::StoreError;
use crate::stage::Staged;
use sqlx::{AnyConnection, AnyPool, Row};
use std::sync::Arc;
use talat_core::{Applied, Event, Input, Seq};

/// The query store. Cheap to clone (a pool and a lock behind `Arc`s).
///
/// Writes (projection, API keys) are serialised through one in-process lock: SQLite allows one
/// writer at a time, and a projection transaction that lost a race with another writer would
/// have to fail rather than wait.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    pub(crate) write_lock: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Store {
    /// Opens `url` (`sqlite://PATH` — created with its directory if missing, WAL mode —,
    /// `sqlite::memory:`, or `postgres://…`) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let (pool, backend) = db::open(url, db::PoolShape::Shared).await?;
        Ok(Store { pool, backend, write_lock: Arc::new(tokio::sync::Mutex::new(())) })
    }

    /// Another handle on the same database `url` (the one this store was opened with) with a
    /// pool of its own: one connection, opened now and kept. It shares this handle's write
    /// lock, so writes through either are still serialised. `talat serve` gives it to the
    /// projector, whose SQLite worker thread can then run at the lowest CPU priority while the
    /// shared pool serves customers' reads and logins at normal priority.
    pub async fn dedicated(&self, url: &str) -> Result<Store, StoreError> {
        if url.contains(":memory:") {
            return Err(StoreError::Dedicated("an in-memory database has one connection; it cannot have a second pool".into()));
        }
        let (pool, backend) = db::open(url, db::PoolShape::Dedicated).await?;
        if backend != self.backend {
            return Err(StoreError::Dedicated(format!("{url} is not the database this store was opened with")));
        }
        Ok(Store { pool, backend, write_lock: Arc::clone(&self.write_lock) })
    }

    /// Holds the write lock, as a writer would (tests of lock sharing).
    #[doc(hidden)]
    pub async fn write_lock_for_tests(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.write_lock.lock().await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The engine seq of the last command the projections include (0 before the first).
    pub async fn projected_seq(&self) -> Result<Seq, StoreError> {
        let mut conn = self.pool.acquire().await?;
        read_meta(&mut conn).await
    }

    /// Projects `batch` in one transaction. Commands at or below the projected seq (or at or
    /// below one already taken from this batch) are skipped, so a batch seen twice changes
    /// nothing; the rest must continue without a gap. Returns the projected seq afterwards.
    pub async fn project(&self, batch: &[Applied]) -> Result<Seq, StoreError> {
        self.project_all(batch.iter()).await
    }

    /// [`Store::project`] for one command as `replay_since` hands it over. For a long replay
    /// prefer [`crate::Catchup`], which batches commands into few transactions.
    pub async fn project_one(&self, input: &Input, events: &[Event]) -> Result<Seq, StoreError> {
        let applied = Applied { input: input.clone(), events: events.to_vec() };
        self.project_all(std::iter::once(&applied)).await
    }

    /// [`Store::project`] over several batches at once (the projector coalesces what queued up
    /// into one transaction).
    pub async fn project_all<'a, I>(&self, commands: I) -> Result<Seq, StoreError>
    where
        I: IntoIterator<Item = &'a Applied>,
    {
        let _writer = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        let projected = read_meta(&mut tx).await?;
        let mut staged = Staged::default();
        let mut prev = projected;
        for applied in commands {
            let seq = applied.input.seq;
            // Already projected, or earlier in this run (overlapping batches, e.g. a catch-up
            // replay that started early, coalesced with the batches after it).
            if seq <= prev {
                continue;
            }
            if seq != prev + 1 {
                return Err(StoreError::Gap { projected: prev, next: seq });
            }
            prev = seq;
            staged.add(applied)?;
        }
        if staged.commands == 0 {
            return Ok(projected);
        }
        crate::project::write(&mut tx, self.backend.into(), &staged).await?;
        let moved = sqlx::query("UPDATE meta SET projected_seq = $1, last_ts_ms = $2 WHERE id = 1 AND projected_seq = $3")
            .bind(int(staged.last_seq)?)
            .bind(int(staged.last_ts_ms)?)
            .bind(int(projected)?)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if moved != 1 {
            return Err(StoreError::ConcurrentWriter);
        }
        tx.commit().await?;
        Ok(staged.last_seq)
    }
}

async fn read_meta(conn: &mut AnyConnection) -> Result<Seq, StoreError> {
    let row = sqlx::query("SELECT projected_seq FROM meta WHERE id = 1").fetch_one(&mut *conn).await?;
    uint("meta", "projected_seq", row.try_get(0)?)
}
