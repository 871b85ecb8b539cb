//! How engine enumerations and integers are written into columns, and read back.
//!
//! Enumerations are stored as short lower-case words (readable in a SQL shell, stable across
//! Rust renames); integers as `i64`, checked both ways. [`Cols`] reads a row's columns back as
//! these types, naming the table in errors.

use crate::error::StoreError;
use sqlx::any::AnyRow;
use sqlx::Row;
use talat_core::{Account, AssetId, DoneReason, MarketId, OrderId, PostingCause, Side, StpMode, TimeInForce, TradingMode, UserId};

/// An engine integer as a BIGINT. The engine bounds money below 2^62 and ids/seqs/times stay far
/// below 2^63, so a failure here is a corrupt input, reported rather than wrapped.
#[inline]
/// `$from, $from+1, …` (n of them): the bind marks of an `IN (…)` list.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

pub(crate) fn int(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Overflow(value))
}

/// A BIGINT read back as the engine's unsigned integer.
#[inline]
pub(crate) fn uint(table: &'static str, column: &str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::corrupt(table, format!("{column} = {value} is negative")))
}

/// Implements `as_str` / `parse` for an enum stored as a word.
macro_rules! words {
    ($ty:ty, $name:literal { $($variant:path => $word:literal),+ $(,)? }) => {
        impl Word for $ty {
            fn as_word(&self) -> &'static str {
                match self { $($variant => $word),+ }
            }
            fn from_word(word: &str) -> Option<Self> {
                $(if word == $word { return Some($variant); })+
                None
            }
            const NAME: &'static str = $name;
        }
    };
}

/// An enumeration stored as a word.
pub(crate) trait Word: Sized {
    const NAME: &'static str;
    fn as_word(&self) -> &'static str;
    fn from_word(word: &str) -> Option<Self>;

    fn parse(table: &'static str, word: &str) -> Result<Self, StoreError> {
        Self::from_word(word).ok_or_else(|| StoreError::corrupt(table, format!("unknown {} {word:?}", Self::NAME)))
    }
}

words!(Side, "side" { Side::Buy => "buy", Side::Sell => "sell" });
words!(TimeInForce, "time in force" {
    TimeInForce::Gtc => "gtc",
    TimeInForce::Ioc => "ioc",
    TimeInForce::Fok => "fok",
    TimeInForce::PostOnly => "post_only",
});
words!(StpMode, "stp mode" {
    StpMode::ExpireTaker => "expire_taker",
    StpMode::ExpireMaker => "expire_maker",
    StpMode::ExpireBoth => "expire_both",
    StpMode::Decrement => "decrement",
});
words!(TradingMode, "trading mode" {
    TradingMode::Open => "open",
    TradingMode::PostOnly => "post_only",
    TradingMode::CancelOnly => "cancel_only",
    TradingMode::Halted => "halted",
});
words!(PostingCause, "posting cause" {
    PostingCause::Deposit => "deposit",
    PostingCause::OrderHold => "order_hold",
    PostingCause::OrderRelease => "order_release",
    PostingCause::Trade => "trade",
    PostingCause::TradeFee => "trade_fee",
    PostingCause::TradeRounding => "trade_rounding",
    PostingCause::WithdrawalHold => "withdrawal_hold",
    PostingCause::WithdrawalSettle => "withdrawal_settle",
    PostingCause::WithdrawalFee => "withdrawal_fee",
    PostingCause::WithdrawalRelease => "withdrawal_release",
    PostingCause::Compensation => "compensation",
});

/// Where an order stands. `Stop` waits for its trigger; `Open` is live (resting, or between
/// acceptance and the end of its command); the rest are final and name the engine's
/// [`DoneReason`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Stop,
    Open,
    Filled,
    Cancelled,
    Expired,
    Killed,
    SelfTradePrevented,
}

impl OrderStatus {
    pub fn is_final(self) -> bool {
        !matches!(self, OrderStatus::Stop | OrderStatus::Open)
    }

    /// The engine's reason for a final status.
    pub fn done_reason(self) -> Option<DoneReason> {
        match self {
            OrderStatus::Stop | OrderStatus::Open => None,
            OrderStatus::Filled => Some(DoneReason::Filled),
            OrderStatus::Cancelled => Some(DoneReason::Cancelled),
            OrderStatus::Expired => Some(DoneReason::Expired),
            OrderStatus::Killed => Some(DoneReason::Killed),
            OrderStatus::SelfTradePrevented => Some(DoneReason::SelfTradePrevented),
        }
    }

    pub fn from_done(reason: DoneReason) -> OrderStatus {
        match reason {
            DoneReason::Filled => OrderStatus::Filled,
            DoneReason::Cancelled => OrderStatus::Cancelled,
            DoneReason::Expired => OrderStatus::Expired,
            DoneReason::Killed => OrderStatus::Killed,
            DoneReason::SelfTradePrevented => OrderStatus::SelfTradePrevented,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.as_word()
    }
}

words!(OrderStatus, "order status" {
    OrderStatus::Stop => "stop",
    OrderStatus::Open => "open",
    OrderStatus::Filled => "filled",
    OrderStatus::Cancelled => "cancelled",
    OrderStatus::Expired => "expired",
    OrderStatus::Killed => "killed",
    OrderStatus::SelfTradePrevented => "stp",
});

/// Limit, market (Bitkub: spend an amount) or stop-limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderType {
    Limit,
    Market,
    StopLimit,
}

impl OrderType {
    pub fn as_str(self) -> &'static str {
        self.as_word()
    }
}

words!(OrderType, "order type" {
    OrderType::Limit => "limit",
    OrderType::Market => "market",
    OrderType::StopLimit => "stoplimit",
});

/// Withdrawal lifecycle as the engine reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WithdrawalStatus {
    /// Held: the amount and fee are reserved, custody has not confirmed.
    Pending,
    Settled,
    Released,
}

impl WithdrawalStatus {
    pub fn as_str(self) -> &'static str {
        self.as_word()
    }
}

words!(WithdrawalStatus, "withdrawal status" {
    WithdrawalStatus::Pending => "pending",
    WithdrawalStatus::Settled => "settled",
    WithdrawalStatus::Released => "released",
});

/// The kind part of an [`Account`]; the user, if any, goes into its own column.
pub(crate) fn account_kind(account: Account) -> (&'static str, Option<u32>) {
    match account {
        Account::Available(user) => ("available", Some(user.0)),
        Account::Held(user) => ("held", Some(user.0)),
        Account::FeeRevenue => ("fee_revenue", None),
        Account::Rounding => ("rounding", None),
        Account::Custody => ("custody", None),
        Account::Compensation => ("compensation", None),
    }
}

pub(crate) fn account_from(table: &'static str, kind: &str, user: Option<i64>) -> Result<Account, StoreError> {
    let user_id = |user: Option<i64>| -> Result<talat_core::UserId, StoreError> {
        let raw = user.ok_or_else(|| StoreError::corrupt(table, format!("{kind} account without a user")))?;
        u32::try_from(raw).map(talat_core::UserId).map_err(|_| StoreError::corrupt(table, format!("user id {raw} out of range")))
    };
    Ok(match kind {
        "available" => Account::Available(user_id(user)?),
        "held" => Account::Held(user_id(user)?),
        "fee_revenue" => Account::FeeRevenue,
        "rounding" => Account::Rounding,
        "custody" => Account::Custody,
        "compensation" => Account::Compensation,
        other => return Err(StoreError::corrupt(table, format!("unknown account kind {other:?}"))),
    })
}

/// Typed column access with the table named in errors.
pub(crate) struct Cols<'r> {
    row: &'r AnyRow,
    table: &'static str,
}

impl<'r> Cols<'r> {
    pub fn new(row: &'r AnyRow, table: &'static str) -> Cols<'r> {
        Cols { row, table }
    }

    pub fn i64(&self, col: &str) -> Result<i64, StoreError> {
        Ok(self.row.try_get::<i64, _>(col)?)
    }

    pub fn u64(&self, col: &str) -> Result<u64, StoreError> {
        uint(self.table, col, self.i64(col)?)
    }

    pub fn opt_u64(&self, col: &str) -> Result<Option<u64>, StoreError> {
        self.row.try_get::<Option<i64>, _>(col)?.map(|v| uint(self.table, col, v)).transpose()
    }

    pub fn narrow<T: TryFrom<u64>>(&self, col: &str) -> Result<T, StoreError> {
        let v = self.u64(col)?;
        T::try_from(v).map_err(|_| StoreError::corrupt(self.table, format!("{col} = {v} out of range")))
    }

    pub fn u32(&self, col: &str) -> Result<u32, StoreError> {
        self.narrow(col)
    }

    pub fn user(&self, col: &str) -> Result<UserId, StoreError> {
        self.narrow(col).map(UserId)
    }

    pub fn market(&self, col: &str) -> Result<MarketId, StoreError> {
        self.narrow(col).map(MarketId)
    }

    pub fn asset(&self, col: &str) -> Result<AssetId, StoreError> {
        self.narrow(col).map(AssetId)
    }

    pub fn order(&self, col: &str) -> Result<OrderId, StoreError> {
        self.u64(col).map(OrderId)
    }

    pub fn text(&self, col: &str) -> Result<String, StoreError> {
        Ok(self.row.try_get::<String, _>(col)?)
    }

    pub fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        Ok(self.row.try_get::<Option<String>, _>(col)?)
    }

    pub fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.row.try_get::<Vec<u8>, _>(col)?)
    }

    pub fn word<T: Word>(&self, col: &str) -> Result<T, StoreError> {
        T::parse(self.table, &self.text(col)?)
    }

    pub fn bool(&self, col: &str) -> Result<bool, StoreError> {
        Ok(self.i64(col)? != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Word + PartialEq + std::fmt::Debug + Copy>(values: &[T]) {
        for v in values {
            assert_eq!(T::from_word(v.as_word()), Some(*v));
        }
    }

    #[test]
    fn every_word_reads_back() {
        round_trip(&[Side::Buy, Side::Sell]);
        round_trip(&[TimeInForce::Gtc, TimeInForce::Ioc, TimeInForce::Fok, TimeInForce::PostOnly]);
        round_trip(&[StpMode::ExpireTaker, StpMode::ExpireMaker, StpMode::ExpireBoth, StpMode::Decrement]);
        round_trip(&[TradingMode::Open, TradingMode::PostOnly, TradingMode::CancelOnly, TradingMode::Halted]);
        round_trip(&[
            OrderStatus::Stop,
            OrderStatus::Open,
            OrderStatus::Filled,
            OrderStatus::Cancelled,
            OrderStatus::Expired,
            OrderStatus::Killed,
            OrderStatus::SelfTradePrevented,
        ]);
        round_trip(&[OrderType::Limit, OrderType::Market, OrderType::StopLimit]);
        round_trip(&[WithdrawalStatus::Pending, WithdrawalStatus::Settled, WithdrawalStatus::Released]);
        assert_eq!(Side::from_word("BUY"), None);
    }

    #[test]
    fn accounts_read_back() {
        use talat_core::UserId;
        for a in [Account::Available(UserId(7)), Account::Held(UserId(0)), Account::FeeRevenue, Account::Rounding, Account::Custody, Account::Compensation] {
            let (kind, user) = account_kind(a);
            assert_eq!(account_from("t", kind, user.map(i64::from)).unwrap(), a);
        }
        assert!(account_from("t", "held", None).is_err());
    }

    #[test]
    fn integers_are_checked_both_ways() {
        assert_eq!(int(1 << 62).unwrap(), 1 << 62);
        assert!(int(u64::MAX).is_err());
        assert!(uint("t", "c", -1).is_err());
    }
}
