//! Commands: everything that can change the engine's state. Each arrives sequenced (an
//! [`Input`]), is journaled before it is applied, and is applied by exactly one writer.

use crate::ids::{AssetId, ClientId, ExternalId, MarketId, OrderId, Seq, UserId};
use crate::market::{AssetSpec, MarketSpec, TradingMode};
use crate::money::{Amount, Price, Qty};
use serde::{Deserialize, Serialize};

/// A command as the sequencer stamped it: the engine's only source of order and of time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    pub seq: Seq,
    /// Wall-clock time the sequencer assigned, Unix milliseconds. Never read by the engine from
    /// anywhere else.
    pub ts_ms: u64,
    pub command: Command,
}

impl Input {
    /// Canonical bytes of this input (postcard). The journal stores exactly these.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("serialising an Input into a Vec cannot fail")
    }

    pub fn decode(bytes: &[u8]) -> Result<Input, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// Self-trade prevention mode; the taker's mode governs (Binance, Coinbase).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StpMode {
    /// The incoming order's remainder expires; the resting order stays.
    #[default]
    ExpireTaker,
    /// The resting order expires; the incoming order continues matching.
    ExpireMaker,
    /// Both expire.
    ExpireBoth,
    /// Both shrink by the smaller remaining quantity; whichever reaches zero expires.
    Decrement,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeInForce {
    /// Rests until filled or cancelled.
    Gtc,
    /// Matches what it can now; the rest expires.
    Ioc,
    /// Fills completely now or not at all.
    Fok,
    /// Rests only if it would not match on arrival; otherwise it is rejected.
    PostOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderKind {
    Limit {
        price: Price,
        qty: Qty,
        tif: TimeInForce,
    },
    /// Bitkub market order: a buy spends `amount` of the quote asset, a sell sells `amount` of
    /// the base asset. Whatever cannot fill now (within the price band) expires.
    Market {
        amount: Amount,
    },
    /// Becomes a GTC limit at `price` when the last trade reaches `stop_price` (at or above for a
    /// buy, at or below for a sell). Funds are held from placement.
    StopLimit {
        stop_price: Price,
        price: Price,
        qty: Qty,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    pub user: UserId,
    pub market: MarketId,
    pub side: Side,
    pub kind: OrderKind,
    pub client_id: Option<ClientId>,
    pub stp: StpMode,
}

/// What a user's KYC tier allows, set by onboarding and enforced here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierLimits {
    pub can_trade: bool,
    /// The most that may be withdrawn per Bangkok calendar day, amount and fee together, across
    /// every asset: one budget valued in one asset (THB). `None`: no engine-side limit.
    pub daily_withdrawal: Option<WithdrawalBudget>,
}

/// One daily withdrawal budget across assets (DESIGN: the KYC level's limit covers THB and
/// every crypto asset). A withdrawal of `valued_in` counts at face value; any other asset at
/// the last price (else the opening price) of its market against `valued_in`, rounded up. An
/// asset with no such market or price cannot be valued, so it cannot be withdrawn under a
/// budget at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalBudget {
    pub valued_in: AssetId,
    pub amount: Amount,
}

impl TierLimits {
    /// Trading allowed, nothing may be withdrawn (level 0, a locked account).
    pub fn frozen(valued_in: AssetId, can_trade: bool) -> TierLimits {
        TierLimits { can_trade, daily_withdrawal: Some(WithdrawalBudget { valued_in, amount: Amount(0) }) }
    }
}

impl Default for TierLimits {
    fn default() -> Self {
        TierLimits { can_trade: true, daily_withdrawal: None }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    // --- listing and configuration (staff) ---
    ListAsset(AssetSpec),
    ListMarket(MarketSpec),
    SetMarketMode {
        market: MarketId,
        mode: TradingMode,
    },
    SetMaintenance {
        on: bool,
    },
    SetFees {
        market: MarketId,
        maker_fee_ppm: u32,
        taker_fee_ppm: u32,
    },
    SetBand {
        market: MarketId,
        band_bps: u32,
    },

    // --- accounts ---
    CreateUser,
    /// Puts two users in one self-trade-prevention group (linked accounts of one person).
    LinkAccounts {
        a: UserId,
        b: UserId,
    },
    SetTierLimits {
        user: UserId,
        limits: TierLimits,
    },

    // --- money in and out ---
    Deposit {
        user: UserId,
        asset: AssetId,
        amount: Amount,
        external_id: ExternalId,
    },
    WithdrawalHold {
        user: UserId,
        asset: AssetId,
        amount: Amount,
        fee: Amount,
        withdrawal_id: ExternalId,
    },
    WithdrawalSettle {
        withdrawal_id: ExternalId,
    },
    WithdrawalRelease {
        withdrawal_id: ExternalId,
    },
    Compensate {
        user: UserId,
        asset: AssetId,
        amount: Amount,
        reference: ExternalId,
    },

    // --- trading ---
    PlaceOrder(NewOrder),
    /// New price and/or new open quantity. Priority is kept only when the price is unchanged and
    /// the quantity does not grow.
    AmendOrder {
        user: UserId,
        order: OrderId,
        price: Option<Price>,
        qty: Option<Qty>,
    },
    CancelOrder {
        user: UserId,
        order: OrderId,
    },
    CancelAll {
        user: UserId,
        market: Option<MarketId>,
    },

    // --- continuity (appended: the journal's encoding numbers variants in order) ---
    /// Opens or suspends deposits and withdrawals (staff).
    SetFunding(crate::venue::Funding),
    /// One step of the runbook after an outage (staff); refused out of order.
    Resume {
        step: crate::venue::ResumeStep,
    },
    /// The dead-man's switch: unless armed again within `timeout_ms`, the user's orders are
    /// cancelled. A zero timeout disarms it.
    CancelAfter {
        user: UserId,
        timeout_ms: u64,
    },
    /// Fires a user's switch whose deadline has passed (submitted by the gateway's timer; a
    /// switch refreshed in the meantime is not due and is refused).
    CancelAfterExpired {
        user: UserId,
    },
}
