//! [`Store`]: the handle on the database (a pool, and the write lock every writer takes). The
//! projection's write path is `projection::project`; each domain's tables are under `app`.

use crate::db::{self, Backend};
use crate::error::StoreError;
use sqlx::AnyPool;
use std::sync::Arc;

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
}
