//! The funds service: THB deposits and withdrawals as both HTTP surfaces offer them (the web
//! app and the Bitkub v3/v4 fiat routes), with `talat-funds`' rules, the query store's funds
//! tables and the engine's idempotent money commands. Every external fact enters once: a bank
//! line by its reference, a withdrawal by its id; every engine command is keyed so a retry after
//! a crash does nothing twice.
//!
//! * `deposits`: deposit intents (single-use Thai QR, Ref1 = customer code, Ref2 = intent id).
//! * `ingest`: bank lines from a signed callback or a statement → three-way match → credit,
//!   settle or exception; statement import.
//! * `withdrawals`: request (checks, engine hold), approvals (maker-checker), reject, cancel,
//!   and recovery after a restart.
//! * `payouts`: the payout rail (a trait: the payout file by default, a bank API later) and
//!   batches; an unknown outcome is looked up, never paid again.
//! * `exceptions`: staff proposals and their four-eyes approval.
//! * `reconcile`: the daily reconciliation report.
//! * `error`: every refusal, with its v3 and v4 Bitkub codes.

pub mod deposits;
pub mod error;
pub mod exceptions;
pub mod ingest;
pub mod payouts;
pub mod reconcile;
pub mod withdrawals;

use crate::gateway::Gateway;
pub use error::{ErrorKind, FundsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use talat_core::{AssetId, ExternalId};
use talat_funds::approval::ApprovalPolicy;
use talat_funds::limits::FundsLimits;
use talat_store::Store;

/// `[funds]` in talat.toml; every key has a default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FundsConfig {
    pub limits: FundsLimits,
    pub approval: ApprovalPolicy,
    /// The exchange's PromptPay bill-payment biller id (tax id + two-digit suffix, ≤ 15 digits).
    pub biller_id: String,
    /// The segregated client account the statements must be for (empty: any).
    pub segregated_account: String,
    /// The asset code of the THB rail.
    pub fiat_asset: String,
    /// Per-bank callback secrets: the bank's id in the callback path → its HMAC secret.
    pub callback_secrets: BTreeMap<String, String>,
    /// A folder watched for statements (`*.xml` camt.053, `*.csv`); each file is imported once
    /// and moved to `imported/` (or `failed/` with a `.error` note).
    pub statement_dir: Option<std::path::PathBuf>,
    pub statement_poll_ms: u64,
}

impl Default for FundsConfig {
    fn default() -> Self {
        FundsConfig {
            limits: FundsLimits::default(),
            approval: ApprovalPolicy::default(),
            biller_id: "010554612345101".into(),
            segregated_account: String::new(),
            fiat_asset: "THB".into(),
            callback_secrets: BTreeMap::new(),
            statement_dir: None,
            statement_poll_ms: 5_000,
        }
    }
}

impl FundsConfig {
    pub fn validate(&self) -> Result<(), String> {
        self.approval.validate()?;
        let l = &self.limits;
        if l.deposit_min_satang == 0 || l.deposit_min_satang > l.deposit_max_satang || l.withdraw_min_satang > l.withdraw_max_satang {
            return Err("limits: minimums must be positive and not above the maximums".into());
        }
        if l.withdraw_fee_satang >= l.withdraw_min_satang {
            return Err("limits: the withdrawal fee must be below the minimum withdrawal".into());
        }
        if self.biller_id.is_empty() || self.biller_id.len() > 15 || !self.biller_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err("biller_id: up to 15 digits".into());
        }
        Ok(())
    }
}

/// The funds settings and the payout rail of one gateway.
pub struct Funds {
    pub config: FundsConfig,
    pub rail: Arc<dyn payouts::PayoutRail>,
}

impl Default for Funds {
    fn default() -> Self {
        Funds { config: FundsConfig::default(), rail: Arc::new(payouts::FileRail) }
    }
}

/// The customer a request is for, as the surface authenticated them.
#[derive(Clone, Debug)]
pub struct Customer {
    pub account_id: u64,
    pub user: talat_core::UserId,
    pub email: String,
    pub locked: bool,
}

impl Customer {
    pub fn of(row: &talat_store::WebAccountRow) -> Customer {
        Customer { account_id: row.id, user: row.user, email: row.email.clone(), locked: row.locked }
    }

    /// Ref1 of the customer's QRs: `U` and the account id, eight digits.
    pub fn code(&self) -> String {
        format!("U{:08}", self.account_id)
    }
}

/// A staff member acting on funds, and what their role allows.
#[derive(Clone, Debug)]
pub struct StaffActor {
    pub id: u64,
    pub email: String,
    pub may_approve: bool,
    pub may_check: bool,
}

/// The service over one gateway: its store, settings and rail.
pub struct Service<'a> {
    pub gw: &'a Gateway,
    pub store: &'a Store,
    pub funds: &'a Funds,
}

impl Gateway {
    /// The funds service; refused without a query store.
    pub fn fiat(&self) -> Result<Service<'_>, FundsError> {
        let store = self.store.as_ref().ok_or_else(|| FundsError::unavailable("deposits and withdrawals need the query store"))?;
        Ok(Service { gw: self, store, funds: self.funds() })
    }
}

impl Service<'_> {
    pub fn config(&self) -> &FundsConfig {
        &self.funds.config
    }

    pub fn now_ms(&self) -> u64 {
        self.gw.now_ms()
    }

    /// THB's asset id, or why there is none.
    pub fn fiat_asset(&self) -> Result<AssetId, FundsError> {
        self.gw.read.asset_id(&self.funds.config.fiat_asset).ok_or_else(|| FundsError::unavailable("THB is not listed on this exchange"))
    }

    /// A new id: `prefix`, the time in ms and two random digits (≤ 20 characters, upper-case
    /// alphanumeric, as a QR reference must be).
    pub fn new_id(&self, prefix: &str) -> String {
        let mut byte = [0u8; 1];
        getrandom::getrandom(&mut byte).expect("the OS random source");
        format!("{prefix}{}{:02}", self.now_ms(), byte[0] % 100)
    }
}

/// The engine key of a THB bank line: an external fact enters once (DESIGN invariant 5).
pub fn deposit_key(bank_ref: &str) -> ExternalId {
    ExternalId(format!("thb:{bank_ref}"))
}

/// The Bangkok calendar date of an instant, `YYYY-MM-DD`.
pub fn bangkok_date(ts_ms: u64) -> String {
    let (y, m, d) = talat_core::calendar::bangkok_date(ts_ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The Bangkok midnight that starts `date` (`YYYY-MM-DD`) and the one that ends it, in ms;
/// `None` for a date that is not one.
pub fn bangkok_day_bounds(date: &str) -> Option<(u64, u64)> {
    use talat_core::calendar::{bangkok_midnight_ms, days_from_civil, is_date, split_iso_date};
    let (y, m, d) = split_iso_date(date)?;
    let (y, m, d) = (i32::try_from(y).ok()?, u8::try_from(m).ok()?, u8::try_from(d).ok()?);
    if !is_date(y, m, d) || !(1970..=9999).contains(&y) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    Some((bangkok_midnight_ms(days), bangkok_midnight_ms(days + 1)))
}
