//! Staging: what a run of applied commands changes in each table, computed in memory before
//! anything is written, so the write is a handful of multi-row statements.
//!
//! Everything here is pure (no database): the events are folded in seq order, and an order
//! touched several times in the run becomes one insert (if it was placed in the run) or one
//! update of accumulated deltas (if it already existed).

use super::candles::CandleBatch;
use crate::codec::{OrderStatus, OrderType};
use crate::error::StoreError;
use std::collections::BTreeMap;
use talat_core::{
    Account, Applied, AssetId, AssetSpec, Command, Event, ExternalId, MarketId, MarketSpec, NewOrder, OrderKind, PostingCause, Seq, Side, TimeInForce,
    TradingMode, UserId,
};

/// What an order looked like when it was placed (from its `PlaceOrder` command).
pub(crate) struct PlacedOrder<'a> {
    pub user: UserId,
    pub market: MarketId,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: TimeInForce,
    pub post_only: bool,
    pub stp: talat_core::StpMode,
    pub price: Option<u64>,
    pub stop_price: Option<u64>,
    pub qty: Option<u64>,
    pub amount: Option<u64>,
    pub client_id: Option<&'a str>,
    pub created_seq: Seq,
    pub created_ts_ms: u64,
}

impl<'a> PlacedOrder<'a> {
    fn from_command(new: &'a NewOrder, seq: Seq, ts_ms: u64) -> PlacedOrder<'a> {
        let (order_type, tif, price, stop_price, qty, amount) = match new.kind {
            OrderKind::Limit { price, qty, tif } => (OrderType::Limit, tif, Some(price.0), None, Some(qty.0), None),
            // A market sell sells `amount` of the base asset: that is its quantity too. A market
            // buy spends `amount` of quote and has no quantity until it fills.
            OrderKind::Market { amount } => {
                let qty = (new.side == Side::Sell).then_some(amount.0);
                (OrderType::Market, TimeInForce::Ioc, None, None, qty, Some(amount.0))
            }
            OrderKind::StopLimit { stop_price, price, qty } => (OrderType::StopLimit, TimeInForce::Gtc, Some(price.0), Some(stop_price.0), Some(qty.0), None),
        };
        PlacedOrder {
            user: new.user,
            market: new.market,
            side: new.side,
            order_type,
            tif,
            post_only: tif == TimeInForce::PostOnly,
            stp: new.stp,
            price,
            stop_price,
            qty,
            amount,
            client_id: new.client_id.as_ref().map(|c| c.0.as_str()),
            created_seq: seq,
            created_ts_ms: ts_ms,
        }
    }
}

/// What happened to an order during the run, relative to where it stood before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    pub filled_qty: u64,
    /// Quote paid (a buy) or received before fees (a sell).
    pub filled_quote: u64,
    /// In the asset the order receives: base for a buy, quote for a sell.
    pub fee: u64,
    /// The last amend: new price, and new total quantity less the quantity filled before the run
    /// (the engine's amend names the new open quantity; total = filled + open).
    pub amend: Option<(u64, u64)>,
    pub status: Option<OrderStatus>,
    pub remaining_qty: Option<u64>,
    pub closed_ts_ms: Option<u64>,
    pub updated_ts_ms: u64,
}

/// One order touched by the run: placed in it (`placed`), or an update of an existing row.
pub(crate) struct OrderEntry<'a> {
    pub placed: Option<PlacedOrder<'a>>,
    pub progress: Progress,
}

pub(crate) struct NewTrade {
    pub seq: Seq,
    pub idx: u32,
    pub ts_ms: u64,
    pub market: MarketId,
    pub price: u64,
    pub qty: u64,
    pub maker_order: u64,
    pub taker_order: u64,
    pub maker_user: UserId,
    pub taker_user: UserId,
    pub taker_side: Side,
    pub quote_paid: u64,
    pub quote_received: u64,
    pub maker_fee: u64,
    pub taker_fee: u64,
}

pub(crate) struct NewPosting {
    pub seq: Seq,
    pub idx: u32,
    pub ts_ms: u64,
    pub asset: AssetId,
    pub from: Account,
    pub to: Account,
    pub amount: u64,
    pub cause: PostingCause,
}

pub(crate) struct Listed<'a, T> {
    pub id: u64,
    pub spec: &'a T,
    pub seq: Seq,
    pub ts_ms: u64,
}

pub(crate) enum MarketChange {
    Mode(TradingMode),
    Fees { maker_fee_ppm: u32, taker_fee_ppm: u32 },
    Band(u32),
}

pub(crate) struct NewMoney<'a> {
    pub key: &'a str,
    pub user: UserId,
    pub asset: AssetId,
    pub amount: u64,
    pub fee: u64,
    pub seq: Seq,
    pub ts_ms: u64,
}

/// Everything one transaction writes.
#[derive(Default)]
pub(crate) struct Staged<'a> {
    pub commands: u64,
    pub last_seq: Seq,
    pub last_ts_ms: u64,
    pub assets: Vec<Listed<'a, AssetSpec>>,
    pub markets: Vec<Listed<'a, MarketSpec>>,
    pub market_changes: Vec<(MarketId, MarketChange)>,
    /// Every mode change with when it happened: the `market_mode_changes` history.
    pub mode_history: Vec<(Seq, u64, MarketId, talat_core::TradingMode)>,
    pub users: Vec<(UserId, Seq, u64)>,
    /// Orders cancelled by something other than their owner's own command: the
    /// `system_cancels` table (seq, ts_ms, order, cause).
    pub system_cancels: Vec<(Seq, u64, u64, SystemCancel)>,
    pub orders: BTreeMap<u64, OrderEntry<'a>>,
    pub trades: Vec<NewTrade>,
    pub postings: Vec<NewPosting>,
    pub candles: CandleBatch,
    pub deposits: Vec<NewMoney<'a>>,
    pub compensations: Vec<NewMoney<'a>>,
    pub withdrawals: Vec<NewMoney<'a>>,
    /// (withdrawal id, new status, ts): applied after the inserts, so a withdrawal held and
    /// settled in one run ends settled.
    pub withdrawal_changes: Vec<(&'a str, crate::codec::WithdrawalStatus, u64)>,
}

/// Why the exchange, not the customer, cancelled an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemCancel {
    /// The customer's cancel-after switch fired (also when it fires late, as a halt or
    /// maintenance ends).
    CancelAfter,
    /// Any other command of the exchange's.
    Exchange,
}

impl SystemCancel {
    /// The cause of a cancel in `applied`; `None` when the command is the owner's own order
    /// command (place, amend, cancel, cancel-all).
    fn of(applied: &Applied) -> Option<SystemCancel> {
        match &applied.input.command {
            Command::PlaceOrder(_) | Command::AmendOrder { .. } | Command::CancelOrder { .. } | Command::CancelAll { .. } => None,
            Command::CancelAfterExpired { .. } => Some(SystemCancel::CancelAfter),
            _ if applied.events.iter().any(|e| matches!(e, Event::CancelAfterFired { .. })) => Some(SystemCancel::CancelAfter),
            _ => Some(SystemCancel::Exchange),
        }
    }

    pub fn as_word(self) -> &'static str {
        match self {
            SystemCancel::CancelAfter => "cancel_after",
            SystemCancel::Exchange => "exchange",
        }
    }

    pub fn parse(word: &str) -> Option<SystemCancel> {
        [SystemCancel::CancelAfter, SystemCancel::Exchange].into_iter().find(|c| c.as_word() == word)
    }
}

fn inconsistent(seq: Seq, what: impl Into<String>) -> StoreError {
    StoreError::Inconsistent { seq, what: what.into() }
}

impl<'a> Staged<'a> {
    /// Folds one command's events in. Commands must come in seq order.
    pub fn add(&mut self, applied: &'a Applied) -> Result<(), StoreError> {
        let (seq, ts_ms) = (applied.input.seq, applied.input.ts_ms);
        self.commands += 1;
        self.last_seq = seq;
        self.last_ts_ms = ts_ms;
        let (mut trade_idx, mut posting_idx) = (0u32, 0u32);
        for event in &applied.events {
            match event {
                Event::Rejected { .. } | Event::Duplicate { .. } => {}
                Event::AssetListed { asset } => match &applied.input.command {
                    Command::ListAsset(spec) => self.assets.push(Listed { id: asset.0.into(), spec, seq, ts_ms }),
                    other => return Err(inconsistent(seq, format!("AssetListed after {other:?}"))),
                },
                Event::MarketListed { market } => match &applied.input.command {
                    Command::ListMarket(spec) => self.markets.push(Listed { id: market.0.into(), spec, seq, ts_ms }),
                    other => return Err(inconsistent(seq, format!("MarketListed after {other:?}"))),
                },
                Event::MarketModeChanged { market, mode } => {
                    self.market_changes.push((*market, MarketChange::Mode(*mode)));
                    self.mode_history.push((seq, ts_ms, *market, *mode));
                }
                Event::FeesChanged { market, maker_fee_ppm, taker_fee_ppm } => {
                    self.market_changes.push((*market, MarketChange::Fees { maker_fee_ppm: *maker_fee_ppm, taker_fee_ppm: *taker_fee_ppm }))
                }
                Event::BandChanged { market, band_bps } => self.market_changes.push((*market, MarketChange::Band(*band_bps))),
                // Not projected: exchange-wide switches and account settings the engine owns.
                Event::MaintenanceChanged { .. } | Event::AccountsLinked { .. } | Event::TierLimitsSet { .. } => {}
                // The venue's switches live in the read models; the status page records its own
                // history of them.
                Event::FundingChanged(_)
                | Event::ResumeStepTaken { .. }
                | Event::CancelAfterArmed { .. }
                | Event::CancelAfterDisarmed { .. }
                | Event::CancelAfterFired { .. } => {}
                Event::UserCreated { user } => self.users.push((*user, seq, ts_ms)),

                Event::Posting { asset, from, to, amount, cause } => {
                    self.postings.push(NewPosting { seq, idx: posting_idx, ts_ms, asset: *asset, from: *from, to: *to, amount: amount.0, cause: *cause });
                    posting_idx += 1;
                }
                Event::DepositCredited { user, asset, amount, external_id } => {
                    self.deposits.push(money(external_id, *user, *asset, amount.0, 0, seq, ts_ms));
                }
                Event::Compensated { user, asset, amount, reference } => {
                    self.compensations.push(money(reference, *user, *asset, amount.0, 0, seq, ts_ms));
                }
                Event::WithdrawalHeld { user, asset, amount, fee, withdrawal_id, .. } => {
                    self.withdrawals.push(money(withdrawal_id, *user, *asset, amount.0, fee.0, seq, ts_ms));
                }
                Event::WithdrawalSettled { withdrawal_id } => {
                    self.withdrawal_changes.push((&withdrawal_id.0, crate::codec::WithdrawalStatus::Settled, ts_ms));
                }
                Event::WithdrawalReleased { withdrawal_id } => {
                    self.withdrawal_changes.push((&withdrawal_id.0, crate::codec::WithdrawalStatus::Released, ts_ms));
                }

                Event::OrderAccepted { order, user, market, side, .. } => self.accept(applied, *order, *user, *market, *side)?,
                Event::StopAccepted { order, .. } => self.touch(order.0, ts_ms).status = Some(OrderStatus::Stop),
                Event::StopTriggered { order, .. } => self.touch(order.0, ts_ms).status = Some(OrderStatus::Open),
                Event::OrderRested { .. } | Event::SelfTradePrevented { .. } => {}
                Event::OrderAmended { order, price, qty, .. } => {
                    let p = self.touch(order.0, ts_ms);
                    p.amend = Some((price.0, p.filled_qty.saturating_add(qty.0)));
                }
                Event::OrderDone { order, reason, remaining } => self.done(applied, order.0, *reason, remaining.0),
                Event::Trade { .. } => {
                    self.trade(event, seq, ts_ms, trade_idx);
                    trade_idx += 1;
                }
            }
        }
        Ok(())
    }

    /// An order ended; a cancel the owner did not ask for is also kept as a system cancel.
    fn done(&mut self, applied: &'a Applied, order: u64, reason: talat_core::DoneReason, remaining_qty: u64) {
        let (seq, ts_ms) = (applied.input.seq, applied.input.ts_ms);
        let p = self.touch(order, ts_ms);
        p.status = Some(OrderStatus::from_done(reason));
        p.remaining_qty = Some(remaining_qty);
        p.closed_ts_ms = Some(ts_ms);
        if reason == talat_core::DoneReason::Cancelled {
            if let Some(cause) = SystemCancel::of(applied) {
                self.system_cancels.push((seq, ts_ms, order, cause));
            }
        }
    }

    /// A new order: its placement comes from the command that accepted it.
    fn accept(&mut self, applied: &'a Applied, order: talat_core::OrderId, user: UserId, market: MarketId, side: Side) -> Result<(), StoreError> {
        let (seq, ts_ms) = (applied.input.seq, applied.input.ts_ms);
        let new = match &applied.input.command {
            Command::PlaceOrder(new) if new.user == user && new.market == market && new.side == side => new,
            other => return Err(inconsistent(seq, format!("OrderAccepted {order:?} after {other:?}"))),
        };
        let placed = PlacedOrder::from_command(new, seq, ts_ms);
        let entry = OrderEntry { placed: Some(placed), progress: Progress { status: Some(OrderStatus::Open), updated_ts_ms: ts_ms, ..Progress::default() } };
        if self.orders.insert(order.0, entry).is_some() {
            return Err(inconsistent(seq, format!("order {} accepted twice", order.0)));
        }
        Ok(())
    }

    /// A trade: both orders' fills, the candle, and the trade row (`idx` within its command).
    fn trade(&mut self, event: &Event, seq: u64, ts_ms: u64, idx: u32) {
        let Event::Trade { market, maker_order, taker_order, maker_user, taker_user, taker_side, price, qty, quote_paid, quote_received, maker_fee, taker_fee } =
            event
        else {
            unreachable!("trade is given trades only")
        };
        let (taker_quote, maker_quote) = match taker_side {
            Side::Buy => (quote_paid.0, quote_received.0),
            Side::Sell => (quote_received.0, quote_paid.0),
        };
        self.fill(maker_order.0, ts_ms, qty.0, maker_quote, maker_fee.0);
        self.fill(taker_order.0, ts_ms, qty.0, taker_quote, taker_fee.0);
        self.candles.add_trade(*market, ts_ms, price.0, qty.0, quote_paid.0);
        self.trades.push(NewTrade {
            seq,
            idx,
            ts_ms,
            market: *market,
            price: price.0,
            qty: qty.0,
            maker_order: maker_order.0,
            taker_order: taker_order.0,
            maker_user: *maker_user,
            taker_user: *taker_user,
            taker_side: *taker_side,
            quote_paid: quote_paid.0,
            quote_received: quote_received.0,
            maker_fee: maker_fee.0,
            taker_fee: taker_fee.0,
        });
    }

    /// The order's progress in this run, created on first touch.
    fn touch(&mut self, order: u64, ts_ms: u64) -> &mut Progress {
        let entry = self.orders.entry(order).or_insert_with(|| OrderEntry { placed: None, progress: Progress::default() });
        entry.progress.updated_ts_ms = ts_ms;
        &mut entry.progress
    }

    fn fill(&mut self, order: u64, ts_ms: u64, qty: u64, quote: u64, fee: u64) {
        let p = self.touch(order, ts_ms);
        // Per order, fills sum to at most its quantity (< 2^60) and its quote and fees to at most
        // what it held (< 2^62): no overflow.
        p.filled_qty += qty;
        p.filled_quote += quote;
        p.fee += fee;
    }
}

fn money(key: &ExternalId, user: UserId, asset: AssetId, amount: u64, fee: u64, seq: Seq, ts_ms: u64) -> NewMoney<'_> {
    NewMoney { key: &key.0, user, asset, amount, fee, seq, ts_ms }
}

#[cfg(test)]
mod tests {
    use super::*;
    use talat_core::{Amount, Input, OrderId, Price, Qty, StpMode};

    fn applied(seq: Seq, command: Command, events: Vec<Event>) -> Applied {
        Applied { input: Input { seq, ts_ms: 1_000 * seq, command }, events }
    }

    fn place(user: u32, side: Side, price: u64, qty: u64) -> Command {
        Command::PlaceOrder(NewOrder {
            user: UserId(user),
            market: MarketId(0),
            side,
            kind: OrderKind::Limit { price: Price(price), qty: Qty(qty), tif: TimeInForce::Gtc },
            client_id: None,
            stp: StpMode::ExpireTaker,
        })
    }

    #[test]
    fn an_order_placed_filled_and_amended_in_one_run_is_one_insert() {
        let accepted = |order, user, side| Event::OrderAccepted { order: OrderId(order), user: UserId(user), market: MarketId(0), side, client_id: None };
        let cmds = vec![
            applied(1, place(1, Side::Sell, 100, 10), vec![accepted(1, 1, Side::Sell)]),
            applied(
                2,
                place(2, Side::Buy, 100, 4),
                vec![
                    accepted(2, 2, Side::Buy),
                    Event::Trade {
                        market: MarketId(0),
                        maker_order: OrderId(1),
                        taker_order: OrderId(2),
                        maker_user: UserId(1),
                        taker_user: UserId(2),
                        taker_side: Side::Buy,
                        price: Price(100),
                        qty: Qty(4),
                        quote_paid: Amount(400),
                        quote_received: Amount(399),
                        maker_fee: Amount(1),
                        taker_fee: Amount(2),
                    },
                    Event::OrderDone { order: OrderId(2), reason: talat_core::DoneReason::Filled, remaining: Qty(0) },
                ],
            ),
            applied(
                3,
                Command::AmendOrder { user: UserId(1), order: OrderId(1), price: Some(Price(90)), qty: Some(Qty(3)) },
                vec![Event::OrderAmended { order: OrderId(1), price: Price(90), qty: Qty(3), kept_priority: false }],
            ),
        ];
        let mut staged = Staged::default();
        for c in &cmds {
            staged.add(c).unwrap();
        }
        let maker = &staged.orders[&1];
        assert!(maker.placed.is_some());
        assert_eq!(maker.progress.filled_qty, 4);
        assert_eq!(maker.progress.filled_quote, 399);
        assert_eq!(maker.progress.fee, 1);
        assert_eq!(maker.progress.amend, Some((90, 7)));
        assert_eq!(maker.progress.status, Some(OrderStatus::Open));
        let taker = &staged.orders[&2];
        assert_eq!((taker.progress.filled_quote, taker.progress.fee), (400, 2));
        assert_eq!(taker.progress.status, Some(OrderStatus::Filled));
        assert_eq!(staged.trades.len(), 1);
        assert_eq!(staged.last_seq, 3);
    }

    #[test]
    fn an_accept_without_its_command_is_inconsistent() {
        let bad = applied(
            1,
            Command::CreateUser,
            vec![Event::OrderAccepted { order: OrderId(1), user: UserId(0), market: MarketId(0), side: Side::Buy, client_id: None }],
        );
        assert!(matches!(Staged::default().add(&bad), Err(StoreError::Inconsistent { seq: 1, .. })));
    }
}
