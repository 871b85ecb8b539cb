//! Projecting a run of applied commands: [`Store::project`] and its variants open the one
//! write transaction, skip what is already projected, stage the rest and write it as a few
//! multi-row statements per table, moving `meta.projected_seq` in the same transaction.

use super::sql::{exec_values, Placeholders, Val};
use super::stage::{MarketChange, NewMoney, Staged};
use crate::codec::{account_kind, int, uint, Word};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::{AnyConnection, Row};
use talat_core::{Applied, Event, Input, Seq};

impl Store {
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
        let mut tx = self.write_tx().await?;
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
        write(&mut tx, self.backend().into(), &staged).await?;
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

/// Writes every row of `s`. The caller owns the transaction.
async fn write(conn: &mut AnyConnection, style: Placeholders, s: &Staged<'_>) -> Result<(), StoreError> {
    write_listings(conn, style, s).await?;
    write_orders(conn, style, s).await?;
    write_trades(conn, style, s).await?;
    write_postings(conn, style, s).await?;
    write_candles(conn, style, s).await?;
    write_money(conn, style, s).await?;
    Ok(())
}

fn opt(value: Option<u64>) -> Result<Val<'static>, StoreError> {
    Ok(Val::OptInt(value.map(int).transpose()?))
}

/// The histories kept for notifications: market mode changes and the orders the exchange
/// cancelled.
async fn write_histories(conn: &mut AnyConnection, s: &Staged<'_>) -> Result<(), StoreError> {
    for (seq, ts_ms, market, mode) in &s.mode_history {
        sqlx::query("INSERT INTO market_mode_changes (seq, market_id, ts_ms, mode) VALUES ($1, $2, $3, $4)")
            .bind(int(*seq)?)
            .bind(i64::from(market.0))
            .bind(int(*ts_ms)?)
            .bind(mode.as_word())
            .execute(&mut *conn)
            .await?;
    }
    for (seq, ts_ms, order, cause) in &s.system_cancels {
        sqlx::query("INSERT INTO system_cancels (order_id, seq, ts_ms, cause) VALUES ($1, $2, $3, $4)")
            .bind(int(*order)?)
            .bind(int(*seq)?)
            .bind(int(*ts_ms)?)
            .bind(cause.as_word())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn write_listings(conn: &mut AnyConnection, style: Placeholders, s: &Staged<'_>) -> Result<(), StoreError> {
    let mut v = Vec::with_capacity(s.assets.len() * 5);
    for a in &s.assets {
        v.extend([Val::Int(int(a.id)?), Val::Text(&a.spec.code), Val::Int(a.spec.scale.into()), Val::Int(int(a.seq)?), Val::Int(int(a.ts_ms)?)]);
    }
    exec_values(conn, style, "INSERT INTO assets (asset_id, code, scale, listed_seq, listed_ts_ms)", "", 5, &v).await?;

    // Markets name their assets by code; the ids come from the assets table (listings are
    // rare, so one statement per market is fine).
    for m in &s.markets {
        let spec = m.spec;
        let inserted = sqlx::query(
            "INSERT INTO markets (market_id, symbol, base_asset, quote_asset, base, quote, price_scale, price_step, qty_step, \
             min_quote, maker_fee_ppm, taker_fee_ppm, band_bps, opening_price, mode, listed_seq, listed_ts_ms) \
             SELECT $1, $2, b.asset_id, q.asset_id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15 \
             FROM assets b, assets q WHERE b.code = $3 AND q.code = $4",
        )
        .bind(int(m.id)?)
        .bind(spec.symbol.as_str())
        .bind(spec.base.as_str())
        .bind(spec.quote.as_str())
        .bind(i64::from(spec.price_scale))
        .bind(int(spec.price_step)?)
        .bind(int(spec.qty_step)?)
        .bind(int(spec.min_quote.0)?)
        .bind(i64::from(spec.maker_fee_ppm))
        .bind(i64::from(spec.taker_fee_ppm))
        .bind(i64::from(spec.band_bps))
        .bind(spec.opening_price.map(|p| int(p.0)).transpose()?)
        .bind(spec.mode.as_word())
        .bind(int(m.seq)?)
        .bind(int(m.ts_ms)?)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted != 1 {
            return Err(StoreError::Inconsistent { seq: m.seq, what: format!("market {} lists unknown assets", spec.symbol) });
        }
    }

    write_histories(conn, s).await?;
    for (market, change) in &s.market_changes {
        let id = i64::from(market.0);
        let query = match change {
            MarketChange::Mode(mode) => sqlx::query("UPDATE markets SET mode = $1 WHERE market_id = $2").bind(mode.as_word()).bind(id),
            MarketChange::Fees { maker_fee_ppm, taker_fee_ppm } => {
                sqlx::query("UPDATE markets SET maker_fee_ppm = $1, taker_fee_ppm = $2 WHERE market_id = $3")
                    .bind(i64::from(*maker_fee_ppm))
                    .bind(i64::from(*taker_fee_ppm))
                    .bind(id)
            }
            MarketChange::Band(band_bps) => sqlx::query("UPDATE markets SET band_bps = $1 WHERE market_id = $2").bind(i64::from(*band_bps)).bind(id),
        };
        if query.execute(&mut *conn).await?.rows_affected() != 1 {
            return Err(StoreError::Inconsistent { seq: s.last_seq, what: format!("change of unknown market {}", market.0) });
        }
    }

    let mut v = Vec::with_capacity(s.users.len() * 3);
    for (user, seq, ts_ms) in &s.users {
        v.extend([Val::Int(user.0.into()), Val::Int(int(*seq)?), Val::Int(int(*ts_ms)?)]);
    }
    exec_values(conn, style, "INSERT INTO users (user_id, created_seq, created_ts_ms)", "", 3, &v).await?;
    Ok(())
}

const ORDER_INSERT: &str = "INSERT INTO orders (order_id, user_id, market_id, side, order_type, tif, post_only, stp, price, \
    stop_price, qty, amount, client_id, status, filled_qty, filled_quote, fee, remaining_qty, created_seq, created_ts_ms, \
    updated_ts_ms, closed_ts_ms)";

/// Orders that existed before the run take their accumulated deltas in one statement per chunk:
/// `UPDATE … FROM (VALUES …)`, which SQLite (3.33+) and PostgreSQL both read, naming the
/// VALUES columns `column1…`. Every SET expression sees the row as it was, so `qty` is the
/// filled quantity before the run plus what the last amend left.
const ORDER_UPDATE_PREFIX: &str = "UPDATE orders SET \
    filled_qty = orders.filled_qty + d.column2, \
    filled_quote = orders.filled_quote + d.column3, \
    fee = orders.fee + d.column4, \
    price = COALESCE(d.column5, orders.price), \
    qty = CASE WHEN d.column6 IS NULL THEN orders.qty ELSE orders.filled_qty + d.column6 END, \
    status = COALESCE(d.column7, orders.status), \
    remaining_qty = COALESCE(d.column8, orders.remaining_qty), \
    closed_ts_ms = COALESCE(d.column9, orders.closed_ts_ms), \
    updated_ts_ms = d.column10 \
    FROM (";
const ORDER_UPDATE_SUFFIX: &str = ") AS d WHERE orders.order_id = d.column1";

async fn write_orders(conn: &mut AnyConnection, style: Placeholders, s: &Staged<'_>) -> Result<(), StoreError> {
    let mut inserts = Vec::new();
    let mut updates = Vec::new();
    let mut update_count = 0u64;
    for (&id, entry) in &s.orders {
        let p = &entry.progress;
        let status = p.status.map(|st| st.as_word());
        match &entry.placed {
            Some(o) => {
                let (price, qty) = match p.amend {
                    Some((price, qty)) => (Some(price), Some(qty)),
                    None => (o.price, o.qty),
                };
                inserts.extend([
                    Val::Int(int(id)?),
                    Val::Int(o.user.0.into()),
                    Val::Int(o.market.0.into()),
                    Val::Text(o.side.as_word()),
                    Val::Text(o.order_type.as_word()),
                    Val::Text(o.tif.as_word()),
                    Val::Int(o.post_only.into()),
                    Val::Text(o.stp.as_word()),
                    opt(price)?,
                    opt(o.stop_price)?,
                    opt(qty)?,
                    opt(o.amount)?,
                    Val::OptText(o.client_id),
                    Val::Text(status.unwrap_or("open")),
                    Val::Int(int(p.filled_qty)?),
                    Val::Int(int(p.filled_quote)?),
                    Val::Int(int(p.fee)?),
                    opt(p.remaining_qty)?,
                    Val::Int(int(o.created_seq)?),
                    Val::Int(int(o.created_ts_ms)?),
                    Val::Int(int(p.updated_ts_ms)?),
                    opt(p.closed_ts_ms)?,
                ]);
            }
            None => {
                update_count += 1;
                updates.extend([
                    Val::Int(int(id)?),
                    Val::Int(int(p.filled_qty)?),
                    Val::Int(int(p.filled_quote)?),
                    Val::Int(int(p.fee)?),
                    opt(p.amend.map(|(price, _)| price))?,
                    opt(p.amend.map(|(_, qty)| qty))?,
                    Val::OptText(status),
                    opt(p.remaining_qty)?,
                    opt(p.closed_ts_ms)?,
                    Val::Int(int(p.updated_ts_ms)?),
                ]);
            }
        }
    }
    exec_values(conn, style, ORDER_INSERT, "", 22, &inserts).await?;
    let updated = exec_values(conn, style, ORDER_UPDATE_PREFIX, ORDER_UPDATE_SUFFIX, 10, &updates).await?;
    if updated != update_count {
        return Err(StoreError::Inconsistent {
            seq: s.last_seq,
            what: format!("{} of {update_count} orders the events name are not in the store", update_count - updated.min(update_count)),
        });
    }
    Ok(())
}

async fn write_trades(conn: &mut AnyConnection, style: Placeholders, s: &Staged<'_>) -> Result<(), StoreError> {
    let mut v = Vec::with_capacity(s.trades.len() * 15);
    for t in &s.trades {
        v.extend([
            Val::Int(int(t.seq)?),
            Val::Int(t.idx.into()),
            Val::Int(int(t.ts_ms)?),
            Val::Int(t.market.0.into()),
            Val::Int(int(t.price)?),
            Val::Int(int(t.qty)?),
            Val::Int(int(t.maker_order)?),
            Val::Int(int(t.taker_order)?),
            Val::Int(t.maker_user.0.into()),
            Val::Int(t.taker_user.0.into()),
            Val::Text(t.taker_side.as_word()),
            Val::Int(int(t.quote_paid)?),
            Val::Int(int(t.quote_received)?),
            Val::Int(int(t.maker_fee)?),
            Val::Int(int(t.taker_fee)?),
        ]);
    }
    exec_values(
        conn,
        style,
        "INSERT INTO trades (seq, idx, ts_ms, market_id, price, qty, maker_order, taker_order, maker_user, taker_user, \
         taker_side, quote_paid, quote_received, maker_fee, taker_fee)",
        "",
        15,
        &v,
    )
    .await?;
    Ok(())
}

async fn write_postings(conn: &mut AnyConnection, style: Placeholders, s: &Staged<'_>) -> Result<(), StoreError> {
    let mut v = Vec::with_capacity(s.postings.len() * 10);
    for p in &s.postings {
        let (from_kind, from_user) = account_kind(p.from);
        let (to_kind, to_user) = account_kind(p.to);
        v.extend([
            Val::Int(int(p.seq)?),
            Val::Int(p.idx.into()),
            Val::Int(int(p.ts_ms)?),
            Val::Int(p.asset.0.into()),
            Val::Text(from_kind),
            Val::OptInt(from_user.map(i64::from)),
            Val::Text(to_kind),
            Val::OptInt(to_user.map(i64::from)),
            Val::Int(int(p.amount)?),
            Val::Text(p.cause.as_word()),
        ]);
    }
    exec_values(conn, style, "INSERT INTO postings (seq, idx, ts_ms, asset_id, from_kind, from_user, to_kind, to_user, amount, cause)", "", 10, &v).await?;
    Ok(())
}

/// Keeps the stored open, widens high/low, takes this run's close, adds volumes. `CASE` rather
/// than `MAX`/`GREATEST`, which the two backends spell differently.
const CANDLE_UPSERT_SUFFIX: &str = " ON CONFLICT (market_id, resolution_s, bucket_start_s) DO UPDATE SET \
    high = CASE WHEN excluded.high > candles.high THEN excluded.high ELSE candles.high END, \
    low = CASE WHEN excluded.low < candles.low THEN excluded.low ELSE candles.low END, \
    close = excluded.close, \
    volume = candles.volume + excluded.volume, \
    quote_volume = candles.quote_volume + excluded.quote_volume, \
    trades = candles.trades + excluded.trades";

async fn write_candles(conn: &mut AnyConnection, style: Placeholders, s: &Staged<'_>) -> Result<(), StoreError> {
    let mut v = Vec::with_capacity(s.candles.buckets.len() * 10);
    for (&(market, resolution, start), b) in &s.candles.buckets {
        v.extend([
            Val::Int(market.0.into()),
            Val::Int(int(resolution.seconds())?),
            Val::Int(int(start)?),
            Val::Int(int(b.open)?),
            Val::Int(int(b.high)?),
            Val::Int(int(b.low)?),
            Val::Int(int(b.close)?),
            Val::Int(int(b.volume)?),
            Val::Int(int(b.quote_volume)?),
            Val::Int(int(b.trades)?),
        ]);
    }
    exec_values(
        conn,
        style,
        "INSERT INTO candles (market_id, resolution_s, bucket_start_s, open, high, low, close, volume, quote_volume, trades)",
        CANDLE_UPSERT_SUFFIX,
        10,
        &v,
    )
    .await?;
    Ok(())
}

fn money_values<'a>(rows: &'a [NewMoney<'a>], with_fee: bool) -> Result<Vec<Val<'a>>, StoreError> {
    let mut v = Vec::with_capacity(rows.len() * 8);
    for r in rows {
        v.extend([Val::Text(r.key), Val::Int(r.user.0.into()), Val::Int(r.asset.0.into()), Val::Int(int(r.amount)?)]);
        if with_fee {
            v.extend([Val::Int(int(r.fee)?), Val::Text("pending"), Val::Int(int(r.ts_ms)?)]);
        }
        v.extend([Val::Int(int(r.seq)?), Val::Int(int(r.ts_ms)?)]);
    }
    Ok(v)
}

async fn write_money(conn: &mut AnyConnection, style: Placeholders, s: &Staged<'_>) -> Result<(), StoreError> {
    let deposits = money_values(&s.deposits, false)?;
    exec_values(conn, style, "INSERT INTO deposits (external_id, user_id, asset_id, amount, seq, ts_ms)", "", 6, &deposits).await?;
    let compensations = money_values(&s.compensations, false)?;
    exec_values(conn, style, "INSERT INTO compensations (reference, user_id, asset_id, amount, seq, ts_ms)", "", 6, &compensations).await?;
    let withdrawals = money_values(&s.withdrawals, true)?;
    exec_values(conn, style, "INSERT INTO withdrawals (withdrawal_id, user_id, asset_id, amount, fee, status, updated_ts_ms, seq, ts_ms)", "", 9, &withdrawals)
        .await?;
    for (id, status, ts_ms) in &s.withdrawal_changes {
        let changed = sqlx::query("UPDATE withdrawals SET status = $1, updated_ts_ms = $2 WHERE withdrawal_id = $3")
            .bind(status.as_word())
            .bind(int(*ts_ms)?)
            .bind(*id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if changed != 1 {
            return Err(StoreError::Inconsistent { seq: s.last_seq, what: format!("withdrawal {id:?} is not in the store") });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use talat_core::{Command, UserId};

    fn user_created(seq: Seq, user: u32) -> Applied {
        Applied { input: Input { seq, ts_ms: 1_000 + seq, command: Command::CreateUser }, events: vec![Event::UserCreated { user: UserId(user) }] }
    }

    /// The store's multi-row inserts stop at a failing row without undoing the rows before it
    /// (`INSERT OR FAIL` on SQLite, see `sql::fail_fast`); what keeps the store whole is the
    /// write transaction, which an error drops uncommitted.
    #[test]
    fn a_projection_failing_midway_leaves_the_store_as_it_was() {
        let (error, users, projected) = Store::with_memory_store(|store| async move {
            store.project(&[user_created(1, 1)]).await?;
            // A row the next batch's third user collides with.
            sqlx::query("INSERT INTO users (user_id, created_seq, created_ts_ms) VALUES (4, 99, 99)").execute(&store.pool).await?;
            let batch: Vec<Applied> = (2..=5).map(|seq| user_created(seq, seq as u32)).collect();
            let error = store.project(&batch).await.expect_err("the duplicate user fails the batch");
            let users: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM users ORDER BY user_id").fetch_all(&store.pool).await?;
            Ok((error, users, store.projected_seq().await?))
        })
        .expect("an in-memory store");
        assert!(error.to_string().contains("UNIQUE"), "{error}");
        assert_eq!(users, vec![1, 4], "users 2 and 3, inserted before the failing row, were rolled back");
        assert_eq!(projected, 1);
    }
}
