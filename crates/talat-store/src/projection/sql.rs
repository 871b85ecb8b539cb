//! Multi-row statements: one `VALUES (…), (…), …` list per statement instead of one round-trip
//! per row, which is what makes projecting a busy batch cheap on both backends.

use crate::db::Backend;
use crate::error::StoreError;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};
use std::fmt::Write as _;

/// One bound value. Every column the store writes is a BIGINT, a TEXT or NULL of either.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Text(&'a str),
    OptText(Option<&'a str>),
}

impl Val<'_> {
    fn bind<'q>(self, query: Query<'q, Any, AnyArguments<'q>>) -> Query<'q, Any, AnyArguments<'q>>
    where
        Self: 'q,
    {
        match self {
            Val::Int(v) => query.bind(v),
            Val::OptInt(v) => query.bind(v),
            Val::Text(v) => query.bind(v),
            Val::OptText(v) => query.bind(v),
        }
    }
}

/// Rows per statement. Fixed sizes, so each statement shape is prepared once and then reused from
/// the connection's statement cache; a batch of n rows needs at most a few statements per size.
/// 256 rows of the widest table (22 columns) bind 5,632 values: under SQLite's 32,766 and
/// PostgreSQL's 65,535.
const CHUNK_ROWS: [usize; 5] = [256, 64, 16, 4, 1];

/// Splits `rows` into the fixed chunk sizes, largest first.
fn chunks(mut rows: usize) -> impl Iterator<Item = usize> {
    let mut sizes = CHUNK_ROWS.iter().copied();
    let mut size = sizes.next().unwrap_or(1);
    std::iter::from_fn(move || {
        while rows > 0 {
            if rows >= size {
                rows -= size;
                return Some(size);
            }
            size = sizes.next().unwrap_or(1);
        }
        None
    })
}

/// How a statement marks its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// `$1, $2, …`: what PostgreSQL requires.
    Numbered,
    /// `?, ?, …`: for SQLite. SQLite reads `$n` too, but as a *named* parameter, and sqlx looks
    /// each name up by index through a linear list: binding n named values costs O(n²), which
    /// dominated a 256-row insert. Anonymous ones are bound in order with no lookup.
    Anonymous,
}

impl From<Backend> for Placeholders {
    fn from(backend: Backend) -> Placeholders {
        match backend {
            Backend::Sqlite => Placeholders::Anonymous,
            Backend::Postgres => Placeholders::Numbered,
        }
    }
}

/// SQLite's spelling of an insert that stops at its first failing row without undoing the rows
/// before it: `INSERT OR FAIL INTO …`.
///
/// Why: an insert of several rows (`VALUES (…), (…)` is a compound SELECT to SQLite) that could
/// end in an ABORT (the default for every constraint) makes SQLite keep a statement journal: a
/// copy of each existing page the statement first changes, so it can undo that statement
/// alone. On the query store's writer that was the `subjournalPageIfRequired` → `memjrnlWrite`
/// path: a 4 KiB copy and its allocations for every such page of every multi-row insert. The store never needs that undo: any error ends the whole
/// write transaction, which is dropped uncommitted and rolls back (`Store::project_all`).
/// PostgreSQL has no such clause and no such journal; its statements stay as written.
fn fail_fast(prefix: &str, style: Placeholders) -> (&'static str, &str) {
    if style == Placeholders::Anonymous {
        if let Some(rest) = prefix.strip_prefix("INSERT INTO ") {
            return ("INSERT OR FAIL INTO ", rest);
        }
    }
    ("", prefix)
}

/// `prefix VALUES ($1,…,$w), … suffix` (or with `?`, and [`fail_fast`] for SQLite) for `rows`
/// rows of `width` values.
fn values_sql(prefix: &str, suffix: &str, width: usize, rows: usize, style: Placeholders) -> String {
    let (verb, prefix) = fail_fast(prefix, style);
    let mut sql = String::with_capacity(verb.len() + prefix.len() + suffix.len() + 8 + rows * width * 6);
    sql.push_str(verb);
    sql.push_str(prefix);
    sql.push_str(" VALUES ");
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ",(" });
        for col in 0..width {
            n += 1;
            if col > 0 {
                sql.push(',');
            }
            match style {
                Placeholders::Numbered => {
                    let _ = write!(sql, "${n}");
                }
                Placeholders::Anonymous => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql.push_str(suffix);
    sql
}

/// Runs `prefix VALUES (…)… suffix` over `values` (row-major, `width` per row) in fixed-size
/// chunks; returns the rows affected in total. `prefix` and `suffix` must hold no placeholders.
pub(crate) async fn exec_values(
    conn: &mut AnyConnection,
    style: Placeholders,
    prefix: &str,
    suffix: &str,
    width: usize,
    values: &[Val<'_>],
) -> Result<u64, StoreError> {
    debug_assert!(width > 0 && values.len().is_multiple_of(width));
    let mut affected = 0;
    let mut rest = values;
    for rows in chunks(values.len() / width) {
        let (chunk, tail) = rest.split_at(rows * width);
        rest = tail;
        let sql = values_sql(prefix, suffix, width, rows, style);
        let mut query = sqlx::query(&sql);
        for v in chunk {
            query = v.bind(query);
        }
        affected += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::c_int;

    #[test]
    fn chunks_cover_every_row_with_few_statements() {
        for n in 0..2_000 {
            let sizes: Vec<usize> = chunks(n).collect();
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(sizes.iter().all(|s| CHUNK_ROWS.contains(s)));
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]));
            // Below the largest size, at most three statements of each smaller size.
            assert!(sizes.iter().filter(|&&s| s < 256).count() <= 12);
        }
    }

    #[test]
    fn placeholders_are_numbered_row_major() {
        assert_eq!(values_sql("INSERT INTO t (a, b)", "", 2, 2, Placeholders::Numbered), "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)");
        assert_eq!(values_sql("INSERT INTO t (a)", " X", 1, 2, Placeholders::Anonymous), "INSERT OR FAIL INTO t (a) VALUES (?),(?) X");
        assert_eq!(
            values_sql("UPDATE t SET a = d.column1 FROM (", ") AS d", 1, 1, Placeholders::Anonymous),
            "UPDATE t SET a = d.column1 FROM ( VALUES (?)) AS d"
        );
    }

    /// A connection of SQLite's own, opened on the test's thread so that the blocks it allocates
    /// can be counted there (`sqlite_library::thread_malloc_calls`); a file in WAL mode, as the
    /// store's database is.
    struct RawDb {
        db: *mut libsqlite3_sys::sqlite3,
        _dir: tempfile::TempDir,
    }

    impl RawDb {
        fn open() -> RawDb {
            crate::sqlite_library::configure_once();
            let dir = tempfile::tempdir().expect("a temporary directory");
            let path = std::ffi::CString::new(dir.path().join("t.db").to_str().expect("a UTF-8 path")).expect("no NUL");
            let mut db = std::ptr::null_mut();
            // SAFETY: a NUL-terminated name and an out-pointer SQLite fills; closed in Drop.
            let rc = unsafe { libsqlite3_sys::sqlite3_open(path.as_ptr(), &mut db) };
            assert_eq!(rc, libsqlite3_sys::SQLITE_OK);
            let db = RawDb { db, _dir: dir };
            db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY");
            db
        }

        /// Runs `sql` and returns how many blocks SQLite allocated for it.
        fn exec(&self, sql: &str) -> u64 {
            let sql = std::ffi::CString::new(sql).expect("no NUL in test SQL");
            let before = crate::sqlite_library::thread_malloc_calls();
            // SAFETY: an open connection, a NUL-terminated statement, no callback.
            let rc = unsafe { libsqlite3_sys::sqlite3_exec(self.db, sql.as_ptr(), None, std::ptr::null_mut(), std::ptr::null_mut()) };
            assert_eq!(rc, libsqlite3_sys::SQLITE_OK, "{sql:?}");
            crate::sqlite_library::thread_malloc_calls() - before
        }
    }

    impl Drop for RawDb {
        fn drop(&mut self) {
            // SAFETY: opened in open, closed once.
            unsafe { libsqlite3_sys::sqlite3_close(self.db) };
        }
    }

    /// `n` rows with even keys, each with a 100-byte text, in one statement.
    fn insert_even_rows(table: &str, n: u64) -> String {
        let values: Vec<String> = (0..n).map(|i| format!("({}, {}, '{}')", 2 * i, (i * 7_919) % 97, "x".repeat(100))).collect();
        format!("INSERT INTO {table} (k, grp, note) VALUES {}", values.join(","))
    }

    /// Runs the store's own multi-row insert (`values_sql`) of 256 odd-keyed rows into `table`
    /// and returns the blocks SQLite allocated while running it (not while compiling or binding).
    fn blocks_to_insert_odd_rows(db: &RawDb, table: &str, style: Placeholders) -> u64 {
        const ROWS: i64 = 256;
        let sql = values_sql(&format!("INSERT INTO {table} (k, grp, note)"), "", 3, ROWS as usize, style);
        // SQLite reads `$n` as a name; the numbered statement binds the same positions.
        let sql = std::ffi::CString::new(sql).expect("no NUL");
        let note = "y".repeat(100);
        let mut stmt = std::ptr::null_mut();
        // SAFETY: an open connection, a NUL-terminated statement, an out-pointer; every index
        // bound is within the statement's 3 × ROWS parameters; the text outlives the statement
        // (SQLITE_STATIC), which is finalized before returning.
        unsafe {
            assert_eq!(libsqlite3_sys::sqlite3_prepare_v2(db.db, sql.as_ptr(), -1, &mut stmt, std::ptr::null_mut()), libsqlite3_sys::SQLITE_OK);
            for row in 0..ROWS {
                let at = (3 * row) as c_int;
                libsqlite3_sys::sqlite3_bind_int64(stmt, at + 1, 2 * (row * 7) + 1);
                libsqlite3_sys::sqlite3_bind_int64(stmt, at + 2, row % 97);
                libsqlite3_sys::sqlite3_bind_text(stmt, at + 3, note.as_ptr().cast(), 100, libsqlite3_sys::SQLITE_STATIC());
            }
            let before = crate::sqlite_library::thread_malloc_calls();
            assert_eq!(libsqlite3_sys::sqlite3_step(stmt), libsqlite3_sys::SQLITE_DONE);
            let blocks = crate::sqlite_library::thread_malloc_calls() - before;
            assert_eq!(libsqlite3_sys::sqlite3_changes(db.db), ROWS as c_int);
            libsqlite3_sys::sqlite3_finalize(stmt);
            blocks
        }
    }

    #[test]
    fn a_fail_fast_insert_keeps_no_statement_journal_in_sqlite() {
        let db = RawDb::open();
        for table in ["aborts", "fails"] {
            db.exec(&format!(
                "CREATE TABLE {table} (k INTEGER PRIMARY KEY, grp BIGINT NOT NULL, note TEXT NOT NULL); CREATE INDEX {table}_grp ON {table} (grp, k)"
            ));
            db.exec(&insert_even_rows(table, 2_000));
        }
        db.exec("BEGIN");
        // The odd keys (1, 15, 29, …) land among the even ones all along the table, so each
        // insert changes pages that existed before it, as the store's inserts change the pages
        // of its indexes.
        // Numbered: the statement as PostgreSQL gets it, whose constraints would ABORT.
        let abort_blocks = blocks_to_insert_odd_rows(&db, "aborts", Placeholders::Numbered);
        let fail_blocks = blocks_to_insert_odd_rows(&db, "fails", Placeholders::Anonymous);
        db.exec("COMMIT");
        // With ABORT, SQLite copies each page the insert changes first into its statement
        // journal, allocating for every copy; with FAIL it keeps none (measured: 136 blocks
        // against 385).
        assert!(fail_blocks * 2 < abort_blocks, "blocks allocated: {fail_blocks} with OR FAIL, {abort_blocks} without");
    }
}
