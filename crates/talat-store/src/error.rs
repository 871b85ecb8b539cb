//! The store's one error type.

use talat_core::Seq;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database url {0:?}: expected sqlite:PATH, sqlite::memory: or postgres://…")]
    UnsupportedUrl(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// [`crate::Store::dedicated`] was asked for something it cannot open.
    #[error("a dedicated pool: {0}")]
    Dedicated(String),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("creating the database directory: {0}")]
    Io(#[from] std::io::Error),
    /// The commands do not continue where the store (with the commands before them in the same
    /// call) stands: projecting them would leave a hole.
    #[error("seq gap: projected up to {projected}, the next command given is {next}")]
    Gap { projected: Seq, next: Seq },
    /// An engine integer that does not fit a signed 64-bit column (the engine keeps every value
    /// below 2^62, so this means a corrupt input).
    #[error("value {0} does not fit a BIGINT column")]
    Overflow(u64),
    /// The events contradict what the store already holds (an unknown order, a second listing of
    /// an id): the stream or the database is not what it should be.
    #[error("inconsistent event stream at seq {seq}: {what}")]
    Inconsistent { seq: Seq, what: String },
    /// A row that the store did not write the way it reads it.
    #[error("corrupt row in {table}: {what}")]
    Corrupt { table: &'static str, what: String },
    /// `meta.projected_seq` changed under an open transaction: another process projects into the
    /// same database.
    #[error("the projected seq moved during a transaction: another writer uses this database")]
    ConcurrentWriter,
    #[error("api key {0:?} already exists")]
    DuplicateApiKey(String),
}

impl StoreError {
    pub(crate) fn corrupt(table: &'static str, what: impl Into<String>) -> StoreError {
        StoreError::Corrupt { table, what: what.into() }
    }
}
