//! Bank statements into bank lines: ISO 20022 camt.053 (BkToCstmrStmt) XML and a simple CSV.
//! The statement is the truth about the segregated account: every credit and debit on it, and
//! its opening and closing balances.

use crate::Satang;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Credit,
    Debit,
}

/// One booked entry of a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankLine {
    /// The bank's own unique reference for the entry (camt.053 `AcctSvcrRef`, else `NtryRef`):
    /// the key a line enters the exchange by, exactly once.
    pub reference: String,
    /// Booking date, `YYYY-MM-DD`.
    pub booked_on: String,
    pub direction: Direction,
    pub amount_satang: Satang,
    /// The other party: the payer of a credit, the payee of a debit.
    pub counterparty_name: Option<String>,
    pub counterparty_account: Option<String>,
    /// Thai QR bill-payment references (tag 30): Ref1 = customer code, Ref2 = deposit-intent id
    /// or, on a debit, the withdrawal id the payout file carried.
    pub ref1: Option<String>,
    pub ref2: Option<String>,
    /// Free text (`AddtlNtryInf` / `Ustrd`).
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The account the statement is for (IBAN or `Othr/Id`).
    pub account: String,
    /// The statement's date (`YYYY-MM-DD`; the closing balance's date).
    pub date: String,
    /// Opening and closing booked balances, signed (a debit balance is negative).
    pub opening_balance_satang: i64,
    pub closing_balance_satang: i64,
    pub lines: Vec<BankLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("the statement is not well-formed XML: {0}")]
    NotXml(String),
    #[error("the statement is not a camt.053 bank-to-customer statement: {0}")]
    NotCamt053(String),
    #[error("line {line}: {message}")]
    BadLine { line: usize, message: String },
    #[error("the statement's currency is {0}, not THB")]
    NotThb(String),
    #[error("the statement has {0} entries; at most {max} are read at once", max = MAX_LINES)]
    TooLarge(usize),
}

/// The most entries read from one file: a bound on memory and on one import's transaction.
pub const MAX_LINES: usize = 20_000;
