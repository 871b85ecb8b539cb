//! Three-way matching: a deposit intent (what the customer said they would pay) ↔ the bank
//! line (what arrived) ↔ the ledger credit (the engine's `Deposit`, keyed by the bank
//! reference). A credit line either matches one open intent or falls into an exception class.

use crate::statement::BankLine;
use crate::Satang;
use serde::{Deserialize, Serialize};

/// An open deposit intent, as the matcher needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIntent {
    /// The intent id: Ref2 of its QR.
    pub id: String,
    /// The customer code: Ref1 of its QR.
    pub customer_code: String,
    pub amount_satang: Satang,
    pub expires_at_ms: u64,
    /// The names the payer may carry: the customer's KYC name and their registered bank
    /// accounts' names.
    pub payer_names: Vec<String>,
}

/// Why a credit line could not be credited by itself (exchange-domain §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionClass {
    /// No intent carries the line's references.
    UnmatchedCredit,
    /// The intent had expired when the bank booked the money.
    IntentExpired,
    /// The line's amount is not the intent's.
    AmountMismatch,
    /// The payer's name is not the customer's.
    ThirdPartyPayer,
    /// The intent was already paid by another line.
    Duplicate,
}

impl ExceptionClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionClass::UnmatchedCredit => "unmatched_credit",
            ExceptionClass::IntentExpired => "intent_expired",
            ExceptionClass::AmountMismatch => "amount_mismatch",
            ExceptionClass::ThirdPartyPayer => "third_party_payer",
            ExceptionClass::Duplicate => "duplicate",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// Credit the intent's customer: the line pays this intent.
    Intent { intent_id: String },
    /// Hold the line for staff, with the intent it pointed at if any.
    Exception { class: ExceptionClass, intent_id: Option<String> },
}
