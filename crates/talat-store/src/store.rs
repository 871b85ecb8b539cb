//! [`Store`]: the handle on the database, and [`WriteTx`], the one way anything in the crate
//! writes. The projection's write path is `projection::project`; each domain's tables are under
//! `app`.

use crate::db::{self, Backend};
use crate::error::StoreError;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use tokio::sync::{Mutex, MutexGuard};

/// The query store. Cheap to clone (a pool and a lock behind `Arc`s).
///
/// Every write — the projection's and every domain's — goes through `Store::write_tx`: the
/// in-process write lock (SQLite allows one writer at a time; waiting here costs no connection
/// and no database lock), then a transaction that holds the database's write lock from its
/// `BEGIN`.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    write_lock: Arc<Mutex<()>>,
}

/// A write transaction from [`Store::write_tx`]: the store's write lock, held until the
/// transaction ends, and the transaction. It dereferences to the connection (`&mut *tx` runs a
/// statement in it); [`WriteTx::commit`] ends it, dropping it rolls back.
///
/// On SQLite it begins with `BEGIN IMMEDIATE`, taking the database's write lock before the first
/// statement. A deferred `BEGIN` takes a read lock at its first read and must upgrade it at its
/// first write; when another connection wrote or still holds the write lock meanwhile — a
/// second pool on the file, or this pool's previous transaction whose rollback (queued when it
/// was dropped) has not run yet — SQLite refuses the upgrade at once with SQLITE_BUSY ("database
/// is locked") instead of waiting. `BEGIN IMMEDIATE` waits for the lock under the connection's
/// busy timeout (`db`), so a writer waits rather than fails. PostgreSQL keeps a plain `BEGIN`.
pub(crate) struct WriteTx<'s> {
    // Declared first, dropped first: the rollback is queued before the lock is released.
    tx: Transaction<'static, Any>,
    _writer: MutexGuard<'s, ()>,
}

impl WriteTx<'_> {
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

impl Deref for WriteTx<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Store {
    /// For the crate's unit tests: runs `work` on a fresh in-memory store, on a runtime of its own.
    #[cfg(test)]
    pub(crate) fn with_memory_store<T, F: std::future::Future<Output = Result<T, StoreError>>>(work: impl FnOnce(Store) -> F) -> Result<T, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async { work(Store::connect("sqlite::memory:").await?).await })
    }

    /// Opens `url` (`sqlite://PATH` — created with its directory if missing, WAL mode —,
    /// `sqlite::memory:`, or `postgres://…`) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let (pool, backend) = db::open(url, db::PoolShape::Shared).await?;
        Ok(Store { pool, backend, write_lock: Arc::new(Mutex::new(())) })
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

    /// Opens a write transaction: waits for the write lock (shared with [`Store::dedicated`]
    /// handles), then begins — `BEGIN IMMEDIATE` on SQLite (see [`WriteTx`]). Every writer in
    /// the crate starts here, single statements included.
    pub(crate) async fn write_tx(&self) -> Result<WriteTx<'_>, StoreError> {
        let writer = self.write_lock.lock().await;
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx { tx, _writer: writer })
    }

    /// Holds the write lock, as a writer would (tests of lock sharing).
    #[doc(hidden)]
    pub async fn write_lock_for_tests(&self) -> MutexGuard<'_, ()> {
        self.write_lock.lock().await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
