//! Opening the database: URL handling, the pool, per-connection settings and migrations.

use crate::error::StoreError;
use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a SQLite statement waits for a lock another connection holds before it fails with
/// SQLITE_BUSY: a writer waiting for another pool's transaction, or for the rollback of this
/// pool's last one. As long as the pool's acquire timeout: a write that waits this long is
/// stuck, not busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// WAL pages after which a committing SQLite connection copies the log back into the database
/// (SQLite's default is 1,000). The projector's inserts land all over the user indexes, so one
/// page is rewritten by many commits; a longer log copies each page back once per window instead
/// of once per commit group. At 12 k/s offered (`talat loadgen`) the projector's SQLite thread
/// took 19.1 -> 17.0 us per answered request on average (6 alternated pairs), its checkpoints
/// (copy, read back, fsync) a ninth of its time before. The log file grows to about 32 MiB.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 8_192;

/// Which database the store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A URL the pool can open, and where it points.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    backend: Backend,
    url: String,
    /// Directory to create first (a SQLite file's parent).
    parent_dir: Option<String>,
    in_memory: bool,
}

/// Reads a store URL: `sqlite://PATH`, `sqlite:PATH`, `sqlite::memory:` (optionally with
/// `?params`) or `postgres://…` / `postgresql://…`. A SQLite file is created when missing
/// (`mode=rwc` unless the URL names a mode).
fn target(url: &str) -> Result<Target, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target { backend: Backend::Postgres, url: url.to_string(), parent_dir: None, in_memory: false });
    }
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).ok_or_else(|| StoreError::UnsupportedUrl(url.to_string()))?;
    let (path, params) = match rest.split_once('?') {
        Some((path, params)) => (path, Some(params)),
        None => (rest, None),
    };
    let in_memory = path == ":memory:" || params.is_some_and(|p| p.split('&').any(|kv| kv == "mode=memory"));
    if path.is_empty() && !in_memory {
        return Err(StoreError::UnsupportedUrl(url.to_string()));
    }
    let has_mode = params.is_some_and(|p| p.split('&').any(|kv| kv.starts_with("mode=")));
    // `sqlite::memory:` stays in that form: `sqlite://:memory:` is not a URL the pool parses.
    let mut full = if path == ":memory:" { "sqlite::memory:".to_string() } else { format!("sqlite://{path}") };
    match (params, has_mode || in_memory) {
        (Some(p), true) => full = format!("{full}?{p}"),
        (Some(p), false) => full = format!("{full}?{p}&mode=rwc"),
        (None, true) => {}
        (None, false) => full.push_str("?mode=rwc"),
    }
    let parent_dir = if in_memory { None } else { Path::new(path).parent().map(|p| p.to_string_lossy().into_owned()).filter(|p| !p.is_empty()) };
    Ok(Target { backend: Backend::Sqlite, url: full, parent_dir, in_memory })
}

/// How many connections a pool keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PoolShape {
    /// Up to 8, opened on demand: the shared pool.
    Shared,
    /// Exactly one, opened now and kept for the pool's life: a writer whose connection (and, on
    /// SQLite, the driver's worker thread behind it) must stay the same one.
    Dedicated,
}

/// Opens the pool and brings the schema up to date.
pub(crate) async fn open(url: &str, shape: PoolShape) -> Result<(AnyPool, Backend), StoreError> {
    install_default_drivers();
    let target = target(url)?;
    if let Some(dir) = &target.parent_dir {
        std::fs::create_dir_all(dir)?;
    }
    if target.backend == Backend::Sqlite {
        crate::sqlite_library::configure_once();
    }
    let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
    if shape == PoolShape::Dedicated {
        options = options.max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None);
    }
    options = match target.backend {
        Backend::Sqlite => {
            // An in-memory database lives and dies with its one connection.
            let (max, min) = match shape {
                PoolShape::Dedicated => (1, 1),
                PoolShape::Shared if target.in_memory => (1, 1),
                PoolShape::Shared => (8, 0),
            };
            options.max_connections(max).min_connections(min).after_connect(|conn, _meta| {
                Box::pin(async move {
                    // busy_timeout first (sqlx sets 5 s), so the statements after it
                    // wait for a lock another connection holds instead of failing with
                    // SQLITE_BUSY; writers take theirs at BEGIN (Store::write_tx).
                    // WAL: readers never wait for the projector's transaction, nor it for them.
                    // synchronous=NORMAL: a power cut may lose the last transactions, never
                    // consistency; meta.projected_seq falls back with them and replay refills it.
                    // temp_store=MEMORY: statement journals (multi-row upserts inside the
                    // projector's transaction) stay in memory instead of temp-file writes.
                    let pragmas = format!(
                        "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};",
                        BUSY_TIMEOUT.as_millis()
                    );
                    conn.execute(pragmas.as_str()).await?;
                    Ok(())
                })
            })
        }
        Backend::Postgres if shape == PoolShape::Dedicated => options,
        Backend::Postgres => options.max_connections(8),
    };
    let pool = options.connect(&target.url).await?;
    match target.backend {
        Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
        Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
    }
    Ok((pool, target.backend))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_their_file_and_directory() {
        let t = target("sqlite://./data/store.db").unwrap();
        assert_eq!(t.backend, Backend::Sqlite);
        assert_eq!(t.url, "sqlite://./data/store.db?mode=rwc");
        assert_eq!(t.parent_dir.as_deref(), Some("./data"));
        assert_eq!(target("sqlite:store.db").unwrap().url, "sqlite://store.db?mode=rwc");
        assert_eq!(target("sqlite:store.db").unwrap().parent_dir, None);
        assert_eq!(target("sqlite://x.db?mode=ro").unwrap().url, "sqlite://x.db?mode=ro");
        assert_eq!(target("sqlite://x.db?cache=shared").unwrap().url, "sqlite://x.db?cache=shared&mode=rwc");
        let mem = target("sqlite::memory:").unwrap();
        assert!(mem.in_memory);
        assert_eq!(mem.url, "sqlite::memory:");
    }

    #[test]
    fn every_sqlite_connection_gets_the_stores_settings() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/store.db", dir.path().display());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            for shape in [PoolShape::Shared, PoolShape::Dedicated] {
                let (pool, _) = open(&url, shape).await.unwrap();
                let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(&pool).await.unwrap();
                assert_eq!(pages, i64::from(WAL_AUTOCHECKPOINT_PAGES), "{shape:?}");
                let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&pool).await.unwrap();
                assert_eq!(mode, "wal", "{shape:?}");
                pool.close().await;
            }
        });
    }

    #[test]
    fn other_urls_are_refused_or_passed_through() {
        assert_eq!(target("postgres://u@h/db").unwrap().backend, Backend::Postgres);
        assert!(matches!(target("mysql://h/db"), Err(StoreError::UnsupportedUrl(_))));
        assert!(matches!(target("sqlite://"), Err(StoreError::UnsupportedUrl(_))));
    }
}
