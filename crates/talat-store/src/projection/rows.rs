//! What queries return: plain structs with the engine's integer types (the gateway formats
//! decimals), and how they are read from a row.

use super::candles::Resolution;
use crate::codec::{account_from, Cols, OrderStatus, OrderType, WithdrawalStatus};
use crate::error::StoreError;
use sqlx::any::AnyRow;
use sqlx::Row;
use talat_core::{Account, AssetId, MarketId, OrderId, PostingCause, Seq, Side, StpMode, TimeInForce, TradingMode, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetRow {
    pub asset: AssetId,
    pub code: String,
    pub scale: u8,
    pub listed_seq: Seq,
    pub listed_ts_ms: u64,
}

impl AssetRow {
    pub(crate) const COLUMNS: &'static str = "asset_id, code, scale, listed_seq, listed_ts_ms";

    pub(crate) fn read(row: &AnyRow) -> Result<AssetRow, StoreError> {
        let c = Cols::new(row, "assets");
        Ok(AssetRow {
            asset: c.asset("asset_id")?,
            code: c.text("code")?,
            scale: c.narrow("scale")?,
            listed_seq: c.u64("listed_seq")?,
            listed_ts_ms: c.u64("listed_ts_ms")?,
        })
    }
}

/// A market as listed, with its current mode, fees and band.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketRow {
    pub market: MarketId,
    pub symbol: String,
    pub base_asset: AssetId,
    pub quote_asset: AssetId,
    pub base: String,
    pub quote: String,
    pub price_scale: u8,
    pub price_step: u64,
    pub qty_step: u64,
    pub min_quote: u64,
    pub maker_fee_ppm: u32,
    pub taker_fee_ppm: u32,
    pub band_bps: u32,
    pub opening_price: Option<u64>,
    pub mode: TradingMode,
    pub listed_seq: Seq,
    pub listed_ts_ms: u64,
}

impl MarketRow {
    pub(crate) const COLUMNS: &'static str = "market_id, symbol, base_asset, quote_asset, base, quote, price_scale, price_step, \
        qty_step, min_quote, maker_fee_ppm, taker_fee_ppm, band_bps, opening_price, mode, listed_seq, listed_ts_ms";

    pub(crate) fn read(row: &AnyRow) -> Result<MarketRow, StoreError> {
        let c = Cols::new(row, "markets");
        Ok(MarketRow {
            market: c.market("market_id")?,
            symbol: c.text("symbol")?,
            base_asset: c.asset("base_asset")?,
            quote_asset: c.asset("quote_asset")?,
            base: c.text("base")?,
            quote: c.text("quote")?,
            price_scale: c.narrow("price_scale")?,
            price_step: c.u64("price_step")?,
            qty_step: c.u64("qty_step")?,
            min_quote: c.u64("min_quote")?,
            maker_fee_ppm: c.u32("maker_fee_ppm")?,
            taker_fee_ppm: c.u32("taker_fee_ppm")?,
            band_bps: c.u32("band_bps")?,
            opening_price: c.opt_u64("opening_price")?,
            mode: c.word("mode")?,
            listed_seq: c.u64("listed_seq")?,
            listed_ts_ms: c.u64("listed_ts_ms")?,
        })
    }
}

/// One order as placed and as it stands. Quantities are in base units, prices in the market's
/// price units, `filled_quote` and fees in the quote or base asset's units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    pub order: OrderId,
    pub user: UserId,
    pub market: MarketId,
    pub side: Side,
    pub order_type: OrderType,
    /// `Ioc` for market orders, `Gtc` for stop-limits.
    pub tif: TimeInForce,
    pub post_only: bool,
    pub stp: StpMode,
    /// Limit price (after the last amend); `None` for a market order.
    pub price: Option<u64>,
    pub stop_price: Option<u64>,
    /// Total quantity: as placed, or filled + open after an amend; a market sell's amount;
    /// `None` for a market buy.
    pub qty: Option<u64>,
    /// A market order's amount: quote to spend (buy) or base to sell (sell).
    pub amount: Option<u64>,
    pub client_id: Option<String>,
    pub status: OrderStatus,
    pub filled_qty: u64,
    /// Quote paid (buy) or received before fees (sell), summed over fills.
    pub filled_quote: u64,
    /// Fees charged, in the asset the order receives: base for a buy, quote for a sell.
    pub fee: u64,
    /// Open quantity when the order ended (`None` while live).
    pub remaining_qty: Option<u64>,
    pub created_seq: Seq,
    pub created_ts_ms: u64,
    pub updated_ts_ms: u64,
    pub closed_ts_ms: Option<u64>,
}

impl OrderRow {
    pub(crate) const COLUMNS: &'static str = "order_id, user_id, market_id, side, order_type, tif, post_only, stp, price, \
        stop_price, qty, amount, client_id, status, filled_qty, filled_quote, fee, remaining_qty, created_seq, created_ts_ms, \
        updated_ts_ms, closed_ts_ms";

    pub(crate) fn read(row: &AnyRow) -> Result<OrderRow, StoreError> {
        let c = Cols::new(row, "orders");
        Ok(OrderRow {
            order: c.order("order_id")?,
            user: c.user("user_id")?,
            market: c.market("market_id")?,
            side: c.word("side")?,
            order_type: c.word("order_type")?,
            tif: c.word("tif")?,
            post_only: c.bool("post_only")?,
            stp: c.word("stp")?,
            price: c.opt_u64("price")?,
            stop_price: c.opt_u64("stop_price")?,
            qty: c.opt_u64("qty")?,
            amount: c.opt_u64("amount")?,
            client_id: c.opt_text("client_id")?,
            status: c.word("status")?,
            filled_qty: c.u64("filled_qty")?,
            filled_quote: c.u64("filled_quote")?,
            fee: c.u64("fee")?,
            remaining_qty: c.opt_u64("remaining_qty")?,
            created_seq: c.u64("created_seq")?,
            created_ts_ms: c.u64("created_ts_ms")?,
            updated_ts_ms: c.u64("updated_ts_ms")?,
            closed_ts_ms: c.opt_u64("closed_ts_ms")?,
        })
    }

    /// Keyset cursor of this row in newest-first order.
    pub fn cursor(&self) -> HistoryCursor {
        HistoryCursor { order: self.order, ts_ms: self.created_ts_ms }
    }
}

/// A position in newest-first order history: rows strictly older come next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HistoryCursor {
    pub order: OrderId,
    pub ts_ms: u64,
}

/// One trade. `(seq, idx)` is its stable id: the command's seq and the trade's index among the
/// command's trades.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeRow {
    pub seq: Seq,
    pub idx: u32,
    pub ts_ms: u64,
    pub market: MarketId,
    pub price: u64,
    pub qty: u64,
    pub maker_order: OrderId,
    pub taker_order: OrderId,
    pub maker_user: UserId,
    pub taker_user: UserId,
    pub taker_side: Side,
    /// Quote the buyer paid (rounded up) and the seller received before fees (rounded down).
    pub quote_paid: u64,
    pub quote_received: u64,
    /// Fees in the asset each side receives: base for the buyer, quote for the seller.
    pub maker_fee: u64,
    pub taker_fee: u64,
}

impl TradeRow {
    pub(crate) const COLUMNS: &'static str = "seq, idx, ts_ms, market_id, price, qty, maker_order, taker_order, maker_user, \
        taker_user, taker_side, quote_paid, quote_received, maker_fee, taker_fee";

    pub(crate) fn read(row: &AnyRow) -> Result<TradeRow, StoreError> {
        let c = Cols::new(row, "trades");
        Ok(TradeRow {
            seq: c.u64("seq")?,
            idx: c.u32("idx")?,
            ts_ms: c.u64("ts_ms")?,
            market: c.market("market_id")?,
            price: c.u64("price")?,
            qty: c.u64("qty")?,
            maker_order: c.order("maker_order")?,
            taker_order: c.order("taker_order")?,
            maker_user: c.user("maker_user")?,
            taker_user: c.user("taker_user")?,
            taker_side: c.word("taker_side")?,
            quote_paid: c.u64("quote_paid")?,
            quote_received: c.u64("quote_received")?,
            maker_fee: c.u64("maker_fee")?,
            taker_fee: c.u64("taker_fee")?,
        })
    }

    /// This trade as seen by one of its two orders (`None` if `order` is neither).
    pub fn fill_of(&self, order: OrderId) -> Option<FillRow> {
        let is_maker = if order == self.maker_order {
            true
        } else if order == self.taker_order {
            false
        } else {
            return None;
        };
        let side = if is_maker { self.taker_side.opposite() } else { self.taker_side };
        let (user, counter_order, counter_user, fee) = if is_maker {
            (self.maker_user, self.taker_order, self.taker_user, self.maker_fee)
        } else {
            (self.taker_user, self.maker_order, self.maker_user, self.taker_fee)
        };
        let quote = if side == Side::Buy { self.quote_paid } else { self.quote_received };
        Some(FillRow {
            seq: self.seq,
            idx: self.idx,
            ts_ms: self.ts_ms,
            market: self.market,
            order,
            user,
            side,
            is_maker,
            price: self.price,
            qty: self.qty,
            quote,
            fee,
            counter_order,
            counter_user,
        })
    }
}

/// One fill of one order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillRow {
    pub seq: Seq,
    pub idx: u32,
    pub ts_ms: u64,
    pub market: MarketId,
    pub order: OrderId,
    pub user: UserId,
    pub side: Side,
    pub is_maker: bool,
    pub price: u64,
    pub qty: u64,
    /// Quote paid (a buy) or received before the fee (a sell).
    pub quote: u64,
    /// In base for a buy, quote for a sell.
    pub fee: u64,
    pub counter_order: OrderId,
    pub counter_user: UserId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandleRow {
    pub market: MarketId,
    pub resolution: Resolution,
    /// Unix seconds, aligned to the resolution.
    pub bucket_start_s: u64,
    pub open: u64,
    pub high: u64,
    pub low: u64,
    pub close: u64,
    /// Base quantity traded.
    pub volume: u64,
    /// Quote paid by buyers.
    pub quote_volume: u64,
    pub trades: u64,
}

impl CandleRow {
    pub(crate) const COLUMNS: &'static str = "market_id, resolution_s, bucket_start_s, open, high, low, close, volume, quote_volume, trades";

    pub(crate) fn read(row: &AnyRow) -> Result<CandleRow, StoreError> {
        let c = Cols::new(row, "candles");
        let seconds = c.u64("resolution_s")?;
        Ok(CandleRow {
            market: c.market("market_id")?,
            resolution: Resolution::from_seconds(seconds).ok_or_else(|| StoreError::corrupt("candles", format!("unknown resolution {seconds}s")))?,
            bucket_start_s: c.u64("bucket_start_s")?,
            open: c.u64("open")?,
            high: c.u64("high")?,
            low: c.u64("low")?,
            close: c.u64("close")?,
            volume: c.u64("volume")?,
            quote_volume: c.u64("quote_volume")?,
            trades: c.u64("trades")?,
        })
    }
}

/// One ledger movement: `amount` of `asset` from `from` to `to`. `(seq, idx)` identifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostingRow {
    pub seq: Seq,
    pub idx: u32,
    pub ts_ms: u64,
    pub asset: AssetId,
    pub from: Account,
    pub to: Account,
    pub amount: u64,
    pub cause: PostingCause,
}

impl PostingRow {
    pub(crate) const COLUMNS: &'static str = "seq, idx, ts_ms, asset_id, from_kind, from_user, to_kind, to_user, amount, cause";

    pub(crate) fn read(row: &AnyRow) -> Result<PostingRow, StoreError> {
        let c = Cols::new(row, "postings");
        Ok(PostingRow {
            seq: c.u64("seq")?,
            idx: c.u32("idx")?,
            ts_ms: c.u64("ts_ms")?,
            asset: c.asset("asset_id")?,
            from: account_from("postings", &c.text("from_kind")?, row.try_get("from_user")?)?,
            to: account_from("postings", &c.text("to_kind")?, row.try_get("to_user")?)?,
            amount: c.u64("amount")?,
            cause: c.word("cause")?,
        })
    }

    /// The signed change this posting makes to `account` (0 if it does not touch it).
    pub fn delta_for(&self, account: Account) -> i128 {
        let mut d = 0;
        if self.to == account {
            d += self.amount as i128;
        }
        if self.from == account {
            d -= self.amount as i128;
        }
        d
    }
}

/// A credited deposit (`fee` is always 0) or a compensation credit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositRow {
    pub external_id: String,
    pub user: UserId,
    pub asset: AssetId,
    pub amount: u64,
    pub seq: Seq,
    pub ts_ms: u64,
}

impl DepositRow {
    pub(crate) fn read(row: &AnyRow, table: &'static str, key: &str) -> Result<DepositRow, StoreError> {
        let c = Cols::new(row, table);
        Ok(DepositRow {
            external_id: c.text(key)?,
            user: c.user("user_id")?,
            asset: c.asset("asset_id")?,
            amount: c.u64("amount")?,
            seq: c.u64("seq")?,
            ts_ms: c.u64("ts_ms")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawalRow {
    pub withdrawal_id: String,
    pub user: UserId,
    pub asset: AssetId,
    pub amount: u64,
    pub fee: u64,
    pub status: WithdrawalStatus,
    /// When it was held.
    pub seq: Seq,
    pub ts_ms: u64,
    /// When its status last changed.
    pub updated_ts_ms: u64,
}

impl WithdrawalRow {
    pub(crate) const COLUMNS: &'static str = "withdrawal_id, user_id, asset_id, amount, fee, status, seq, ts_ms, updated_ts_ms";

    pub(crate) fn read(row: &AnyRow) -> Result<WithdrawalRow, StoreError> {
        let c = Cols::new(row, "withdrawals");
        Ok(WithdrawalRow {
            withdrawal_id: c.text("withdrawal_id")?,
            user: c.user("user_id")?,
            asset: c.asset("asset_id")?,
            amount: c.u64("amount")?,
            fee: c.u64("fee")?,
            status: c.word("status")?,
            seq: c.u64("seq")?,
            ts_ms: c.u64("ts_ms")?,
            updated_ts_ms: c.u64("updated_ts_ms")?,
        })
    }
}
