//! Why the engine refused a command. A rejection changes no state. Each reason maps onto one
//! Bitkub v3 error code (../shared/reference/bitkub-api.md §13.1).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
pub enum RejectReason {
    #[error("user not found")]
    UnknownUser,
    #[error("invalid parameter")]
    InvalidParameter,
    #[error("amend changes nothing")]
    AmendNoChange,
    #[error("asset not found")]
    UnknownAsset,
    #[error("already listed")]
    AlreadyListed,
    #[error("invalid symbol")]
    UnknownMarket,
    #[error("invalid amount")]
    InvalidAmount,
    #[error("invalid rate")]
    InvalidRate,
    #[error("rate outside the market's price band")]
    OutsidePriceBand,
    #[error("stop price would trigger immediately")]
    StopWouldTrigger,
    #[error("amount too low")]
    AmountTooLow,
    #[error("insufficient balance")]
    InsufficientBalance,
    #[error("post-only order would match")]
    PostOnlyWouldTake,
    #[error("order not found")]
    UnknownOrder,
    #[error("KYC level 1 is required to proceed")]
    TradingNotAllowed,
    #[error("too many open orders")]
    TooManyOpenOrders,
    #[error("withdrawal exceeds the daily limit")]
    WithdrawalLimitExceeded,
    #[error("withdrawal not found or already completed")]
    UnknownWithdrawal,
    #[error("cancel only mode")]
    CancelOnlyMode,
    #[error("market accepts only post-only limit orders")]
    PostOnlyMode,
    #[error("market is halted")]
    MarketHalted,
    #[error("exchange is under maintenance")]
    Maintenance,
    #[error("withdrawal is under maintenance")]
    WithdrawalsSuspended,
    #[error("resume step out of order")]
    ResumeOutOfOrder,
    #[error("the dead-man's switch is not due")]
    CancelAfterNotDue,
}

impl RejectReason {
    /// The Bitkub v3 `error` code a client sees for this reason.
    pub fn bitkub_code(self) -> u16 {
        use RejectReason::*;
        match self {
            UnknownUser => 9,
            InvalidParameter | AmendNoChange | UnknownAsset | AlreadyListed | UnknownWithdrawal | ResumeOutOfOrder | CancelAfterNotDue => 10,
            UnknownMarket => 11,
            InvalidAmount => 12,
            InvalidRate | StopWouldTrigger => 13,
            OutsidePriceBand | PostOnlyWouldTake => 14,
            AmountTooLow => 15,
            InsufficientBalance => 18,
            UnknownOrder => 21,
            TradingNotAllowed => 25,
            TooManyOpenOrders => 30,
            WithdrawalLimitExceeded => 47,
            CancelOnlyMode | PostOnlyMode | MarketHalted | Maintenance => 55,
            WithdrawalsSuspended => 51,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RejectReason::*;

    /// The codes clients see (../shared/reference/bitkub-api.md §13.1), pinned.
    #[test]
    fn every_reason_has_its_bitkub_code() {
        let table = [
            (UnknownUser, 9),
            (InvalidParameter, 10),
            (AmendNoChange, 10),
            (UnknownAsset, 10),
            (AlreadyListed, 10),
            (UnknownWithdrawal, 10),
            (UnknownMarket, 11),
            (InvalidAmount, 12),
            (InvalidRate, 13),
            (StopWouldTrigger, 13),
            (OutsidePriceBand, 14),
            (PostOnlyWouldTake, 14),
            (AmountTooLow, 15),
            (InsufficientBalance, 18),
            (UnknownOrder, 21),
            (TradingNotAllowed, 25),
            (TooManyOpenOrders, 30),
            (WithdrawalLimitExceeded, 47),
            (CancelOnlyMode, 55),
            (PostOnlyMode, 55),
            (MarketHalted, 55),
            (Maintenance, 55),
            (WithdrawalsSuspended, 51),
            (ResumeOutOfOrder, 10),
            (CancelAfterNotDue, 10),
        ];
        for (reason, code) in table {
            assert_eq!(reason.bitkub_code(), code, "{reason:?}");
            assert!(!reason.to_string().is_empty());
        }
    }
}
