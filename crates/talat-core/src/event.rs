//! Events: everything the engine says happened. Downstream consumers (market data, the query
//! store, surveillance, the standby) rebuild what they need from these alone.

use crate::command::{Side, StpMode};
use crate::ids::{AssetId, ClientId, ExternalId, MarketId, OrderId, UserId};
use crate::market::TradingMode;
use crate::money::{Amount, Price, Qty};
use crate::reject::RejectReason;
use serde::{Deserialize, Serialize};

/// A ledger account of one asset. User accounts never go negative; `Custody` is the counterpart
/// of money that entered or left the exchange and is negative by what customers are owed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Account {
    Available(UserId),
    Held(UserId),
    FeeRevenue,
    /// Sub-unit remainders of trade values, always in the exchange's favour.
    Rounding,
    Custody,
    /// The exchange's expense account for compensation credits.
    Compensation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PostingCause {
    Deposit,
    OrderHold,
    OrderRelease,
    Trade,
    TradeFee,
    TradeRounding,
    WithdrawalHold,
    WithdrawalSettle,
    WithdrawalFee,
    WithdrawalRelease,
    Compensation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DoneReason {
    Filled,
    Cancelled,
    /// IOC or market remainder, or a market order stopped by the price band.
    Expired,
    /// FOK that could not fill completely; nothing traded.
    Killed,
    /// Expired by self-trade prevention.
    SelfTradePrevented,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    Rejected {
        reason: RejectReason,
    },
    /// A retried command whose (user, client_id) or external id was seen before: nothing
    /// changed, and this names the first outcome.
    Duplicate {
        order: Option<OrderId>,
    },

    AssetListed {
        asset: AssetId,
    },
    MarketListed {
        market: MarketId,
    },
    MarketModeChanged {
        market: MarketId,
        mode: TradingMode,
    },
    MaintenanceChanged {
        on: bool,
    },
    FeesChanged {
        market: MarketId,
        maker_fee_ppm: u32,
        taker_fee_ppm: u32,
    },
    BandChanged {
        market: MarketId,
        band_bps: u32,
    },

    UserCreated {
        user: UserId,
    },
    AccountsLinked {
        a: UserId,
        b: UserId,
    },
    TierLimitsSet {
        user: UserId,
    },

    /// One double-entry movement: `amount` of `asset` from `from` to `to`.
    Posting {
        asset: AssetId,
        from: Account,
        to: Account,
        amount: Amount,
        cause: PostingCause,
    },
    DepositCredited {
        user: UserId,
        asset: AssetId,
        amount: Amount,
        external_id: ExternalId,
    },
    WithdrawalHeld {
        user: UserId,
        asset: AssetId,
        amount: Amount,
        fee: Amount,
        withdrawal_id: ExternalId,
        /// What the hold charged to the user's daily withdrawal budget, in the budget's asset
        /// (0 without a budget); a release the same Bangkok day gives it back.
        budget_value: Amount,
    },
    WithdrawalSettled {
        withdrawal_id: ExternalId,
    },
    WithdrawalReleased {
        withdrawal_id: ExternalId,
    },
    Compensated {
        user: UserId,
        asset: AssetId,
        amount: Amount,
        reference: ExternalId,
    },

    /// An order passed validation and its funds are held.
    OrderAccepted {
        order: OrderId,
        user: UserId,
        market: MarketId,
        side: Side,
        client_id: Option<ClientId>,
    },
    /// The order (or its remainder) now rests on the book at `price` with `qty` open.
    OrderRested {
        order: OrderId,
        market: MarketId,
        side: Side,
        price: Price,
        qty: Qty,
    },
    /// A stop order is waiting for its trigger (its funds are held).
    StopAccepted {
        order: OrderId,
        market: MarketId,
        stop_price: Price,
    },
    StopTriggered {
        order: OrderId,
        market: MarketId,
    },
    Trade {
        market: MarketId,
        maker_order: OrderId,
        taker_order: OrderId,
        maker_user: UserId,
        taker_user: UserId,
        taker_side: Side,
        price: Price,
        qty: Qty,
        /// Quote paid by the buyer (rounded up) and received by the seller before fees (rounded
        /// down).
        quote_paid: Amount,
        quote_received: Amount,
        /// Fees in the asset each side receives: base for the buyer, quote for the seller.
        maker_fee: Amount,
        taker_fee: Amount,
    },
    SelfTradePrevented {
        market: MarketId,
        taker_order: OrderId,
        maker_order: OrderId,
        qty: Qty,
        mode: StpMode,
    },
    OrderAmended {
        order: OrderId,
        price: Price,
        qty: Qty,
        kept_priority: bool,
    },
    /// The order left the book (or never rested) with `remaining` unfilled.
    OrderDone {
        order: OrderId,
        reason: DoneReason,
        remaining: Qty,
    },

    // --- continuity (appended) ---
    FundingChanged(crate::venue::Funding),
    /// A runbook step was taken; the mode and funding changes it made are their own events.
    ResumeStepTaken {
        step: crate::venue::ResumeStep,
    },
    /// The user's dead-man's switch now fires at `deadline_ms` (sequenced time).
    CancelAfterArmed {
        user: UserId,
        deadline_ms: u64,
    },
    CancelAfterDisarmed {
        user: UserId,
    },
    /// The switch fired: the orders it could cancel are cancelled (their `OrderDone` events
    /// precede this); `remaining` orders sit in markets that allow no cancel now and go as soon
    /// as their market allows it.
    CancelAfterFired {
        user: UserId,
        remaining: u32,
    },
}
