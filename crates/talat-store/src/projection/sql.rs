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

/// `prefix VALUES ($1,…,$w), … suffix` (or with `?`) for `rows` rows of `width` values.
fn values_sql(prefix: &str, suffix: &str, width: usize, rows: usize, style: Placeholders) -> String {
    let mut sql = String::with_capacity(prefix.len() + suffix.len() + 8 + rows * width * 6);
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
        assert_eq!(values_sql("INSERT INTO t (a)", " X", 1, 2, Placeholders::Anonymous), "INSERT INTO t (a) VALUES (?),(?) X");
    }
}
