//! Every refusal of the funds service, with what each surface needs to say it: an HTTP-ish
//! kind for the web app, the v3 number and the v4 code of the Bitkub API, and a readable
//! message. A refusal changes nothing.

use crate::error::ApiError;
use crate::gateway::Refusal as GatewayRefusal;
use talat_core::RejectReason;
use talat_funds::approval::ApprovalError;
use talat_funds::limits::Refusal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input (400).
    Invalid,
    NotFound,
    /// The state forbids it now (409): a pending withdrawal, a second signature, a race lost.
    Conflict,
    Forbidden,
    /// The engine refused (422 on the web app).
    Rejected,
    /// Try again later (503).
    Unavailable,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundsError {
    pub kind: ErrorKind,
    pub v3_code: u16,
    pub v4_code: &'static str,
    pub message: String,
    /// The request field at fault, when one is.
    pub field: Option<&'static str>,
}

impl std::fmt::Display for FundsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl FundsError {
    fn new(kind: ErrorKind, v3_code: u16, v4_code: &'static str, message: impl Into<String>) -> FundsError {
        FundsError { kind, v3_code, v4_code, message: message.into(), field: None }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> FundsError {
        FundsError { field: Some(field), ..FundsError::new(ErrorKind::Invalid, 10, "V1006-CW", message) }
    }

    pub fn invalid_amount(message: impl Into<String>) -> FundsError {
        FundsError { field: Some("amount"), ..FundsError::new(ErrorKind::Invalid, 12, "V1006-CW", message) }
    }

    pub fn not_found(message: impl Into<String>) -> FundsError {
        FundsError::new(ErrorKind::NotFound, 10, "V1005-CW", message)
    }

    /// An unknown or unusable bank account (v3 48).
    pub fn no_bank_account(message: impl Into<String>) -> FundsError {
        FundsError { field: Some("bank_account_id"), ..FundsError::new(ErrorKind::NotFound, 48, "V1005-CW", message) }
    }

    pub fn conflict(message: impl Into<String>) -> FundsError {
        FundsError::new(ErrorKind::Conflict, 10, "B1015-CW", message)
    }

    pub fn forbidden(message: impl Into<String>) -> FundsError {
        FundsError::new(ErrorKind::Forbidden, 52, "A1001-CW", message)
    }

    pub fn unavailable(message: impl Into<String>) -> FundsError {
        FundsError::new(ErrorKind::Unavailable, 90, "S1000-CW", message)
    }

    pub fn refused(r: Refusal) -> FundsError {
        use Refusal::*;
        let v4 = match r {
            BelowMinimum { .. } | AboveMaximum { .. } => "V1006-CW",
            PendingExists => "B1009-CW",
            DestinationNotVerified | DestinationCoolingOff { .. } => "B1012-CW",
            DestinationRejected | DestinationNotOwn => "B1014-CW",
            SecurityCoolingOff { .. } | Sanctions => "B1013-CW",
            Locked => "B1010-CW",
            SecondFactor => "A1000-CW",
        };
        let kind = match r {
            PendingExists => ErrorKind::Conflict,
            Locked | Sanctions | SecurityCoolingOff { .. } => ErrorKind::Forbidden,
            _ => ErrorKind::Invalid,
        };
        let field = match r {
            BelowMinimum { .. } | AboveMaximum { .. } => Some("amount"),
            SecondFactor => Some("totp"),
            DestinationNotVerified | DestinationCoolingOff { .. } | DestinationRejected | DestinationNotOwn => Some("bank_account_id"),
            _ => None,
        };
        FundsError { field, ..FundsError::new(kind, r.bitkub_v3_code(), v4, r.to_string()) }
    }

    pub fn approval(e: ApprovalError) -> FundsError {
        let kind = if e == ApprovalError::NotAllowed { ErrorKind::Forbidden } else { ErrorKind::Conflict };
        FundsError::new(kind, 52, "A1001-CW", e.to_string())
    }

    pub fn engine(reason: RejectReason) -> FundsError {
        let v4 = match reason {
            RejectReason::InsufficientBalance => "B1003-CW",
            RejectReason::WithdrawalLimitExceeded => "B1011-CW",
            _ => "S1000-CW",
        };
        let message = match reason {
            RejectReason::WithdrawalLimitExceeded => "this withdrawal is over what your verification level allows today".to_string(),
            RejectReason::InsufficientBalance => "your available THB balance does not cover the amount and the fee".to_string(),
            other => other.to_string(),
        };
        FundsError::new(ErrorKind::Rejected, reason.bitkub_code(), v4, message)
    }
}

impl From<talat_store::StoreError> for FundsError {
    fn from(e: talat_store::StoreError) -> FundsError {
        tracing::warn!("funds: store: {e}");
        FundsError::unavailable(format!("server error: {e}"))
    }
}

impl From<ApiError> for FundsError {
    fn from(e: ApiError) -> FundsError {
        FundsError::new(ErrorKind::Unavailable, e.code, "S1000-CW", e.message.into_owned())
    }
}

impl From<GatewayRefusal> for FundsError {
    fn from(r: GatewayRefusal) -> FundsError {
        match r {
            GatewayRefusal::Engine(reason) => FundsError::engine(reason),
            GatewayRefusal::Gateway(e) => e.into(),
        }
    }
}
