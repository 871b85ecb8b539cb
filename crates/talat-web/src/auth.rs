//! Who is asking, and what they may do: the staff roles and what each route allows, the
//! signed-in customer and staff member as axum extractors, and the audited staff action.
//!
//! The extractors do what every route used to do by hand: read the session cookie of their
//! kind (401 without a live one, idle or absolute expiry included), check the CSRF token on
//! every request other than GET and HEAD (403 `csrf`), and load the account (401 when it no
//! longer exists). [`Staff`] also refuses a restricted session (403 `2fa_required`): while
//! [`crate::WebConfig::require_staff_2fa`] is set and the staff member has no 2FA yet, only the
//! routes that take [`StaffEvenRestricted`] (`me`, `logout`, `2fa/*`) answer. A new staff route
//! is therefore restricted unless it opts out. Their rejection is [`WebError`].

use crate::error::{WebError, WebResult};
use crate::session::{Kind, Session};
use crate::Web;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::Json;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use talat_core::Command;
use talat_store::{AuditRow, StaffRow, WebAccountRow};

/// The console roles are `talat-staff`'s (with the rules of changing the staff).
pub use talat_staff::Role;

/// What each route allows (docs/web-api.md, staff console table).
pub mod allow {
    use super::Role::{self, *};
    pub const DASHBOARD: &[Role] = &[Operator, Admin];
    pub const MARKETS: &[Role] = &[Operator, Admin];
    pub const MODE: &[Role] = &[Operator, Admin];
    pub const FEES: &[Role] = &[Admin];
    pub const BAND: &[Role] = &[Admin];
    pub const MAINTENANCE: &[Role] = &[Operator, Admin];
    pub const USERS: &[Role] = &[Support, Compliance, Admin];
    pub const LOCK: &[Role] = &[Compliance, Admin];
    pub const AUDIT: &[Role] = &[Compliance, Admin];
    pub const STAFF: &[Role] = &[Admin];
    pub const STAFF_2FA_RESET: &[Role] = &[Admin];
    pub const SUPPORT_READ: &[Role] = &[Support, Compliance, Admin];
    pub const SUPPORT_WRITE: &[Role] = &[Support, Admin];
    pub const COMPLAINT: &[Role] = &[Support, Compliance, Admin];
    pub const INCIDENTS_READ: &[Role] = &[Operator, Support, Admin];
    pub const STATUS_READ: &[Role] = &[Operator, Support, Admin];
    pub const STATUS_POST: &[Role] = &[Operator, Admin];
    pub const RESUME: &[Role] = &[Operator, Admin];
    pub const INCIDENTS_CREATE: &[Role] = &[Operator, Admin];
    pub const INCIDENTS_ANSWER: &[Role] = &[Operator, Support, Admin];
    pub const STAFFING: &[Role] = &[Support, Compliance, Admin];
    pub const ROSTER: &[Role] = &[Admin];
    pub const MAIL: &[Role] = &[Support, Admin];
    /// Onboarding: reading the KYC queue, deciding applications, screening, admission.
    pub const KYC_READ: &[Role] = &[Kyc, Compliance, Admin];
    pub const KYC_DECIDE: &[Role] = &[Kyc, Admin];
    pub const KYC_SCREENING_READ: &[Role] = &[Kyc, Compliance, Admin];
    pub const KYC_SCREENING_DECIDE: &[Role] = &[Compliance, Admin];
    pub const KYC_ADMISSION: &[Role] = &[Kyc, Support, Compliance, Admin];
    /// Funds: reading the queues and reports; approving withdrawals (two distinct approvers
    /// from THB 2 m); the independent checker from THB 50 m; statements, payouts, bank-account
    /// verification and exception proposals.
    pub const FUNDS_READ: &[Role] = &[Finance, Compliance, Admin];
    pub const FUNDS_APPROVE: &[Role] = &[Finance, Admin];
    pub const FUNDS_CHECK: &[Role] = &[Compliance];
    pub const FUNDS_OPERATE: &[Role] = &[Finance, Admin];
    /// Market surveillance: reading alerts, cases and tape audits, and every action on them
    /// (dismiss, open a case, assign, note, ask the customer, escalate, close, export the
    /// AMLO report, record a listing announcement) — compliance's, and the admin's.
    pub const SURVEILLANCE: &[Role] = &[Compliance, Admin];
    /// The circuit breaker's halts and resumptions: operators watch the markets too.
    pub const SURVEILLANCE_BREAKER: &[Role] = &[Operator, Compliance, Admin];
    /// Outage compensation: reading incidents, the refusal log and the report; preparing an
    /// incident (operators know the outage); approving it (money goes out: finance or
    /// compliance, never the preparer — the route checks that).
    pub const COMPENSATION_READ: &[Role] = &[Operator, Finance, Compliance, Admin];
    pub const COMPENSATION_PREPARE: &[Role] = &[Operator, Finance, Admin];
    pub const COMPENSATION_APPROVE: &[Role] = &[Finance, Compliance, Admin];
    /// Proof of reserves: reading the published reports; publishing one now (the daily job
    /// publishes by itself).
    pub const POR_READ: &[Role] = &[Finance, Compliance, Admin];
    pub const POR_PUBLISH: &[Role] = &[Finance, Admin];
}

/// The signed-in customer: the session and the account.
pub struct Customer {
    pub session: Session,
    pub account: WebAccountRow,
}

impl FromRequestParts<Arc<Web>> for Customer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> WebResult<Customer> {
        let session = web.session(Kind::Customer, &parts.method, &parts.headers).await?;
        let account = web.store.web_account(session.owner_id).await?.ok_or_else(|| WebError::unauthenticated("the account no longer exists"))?;
        Ok(Customer { session, account })
    }
}

/// A live customer session, whether or not its account still exists (`logout`).
pub struct CustomerSession(pub Session);

impl FromRequestParts<Arc<Web>> for CustomerSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> WebResult<CustomerSession> {
        Ok(CustomerSession(web.session(Kind::Customer, &parts.method, &parts.headers).await?))
    }
}

/// A signed-in staff member, refused (403 `2fa_required`) while the session is restricted.
pub struct Staff {
    pub session: Session,
    pub row: StaffRow,
    pub role: Role,
    /// 2FA is required and this staff member has not enabled it yet.
    pub restricted: bool,
}

impl Staff {
    pub fn require(&self, roles: &[Role]) -> WebResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(WebError::forbidden(format!("the {} role may not do this", self.role.as_str())))
        }
    }

    /// The signed-in staff member, restricted or not.
    async fn of(web: &Web, parts: &Parts) -> WebResult<Staff> {
        let session = web.session(Kind::Staff, &parts.method, &parts.headers).await?;
        let row = web.store.staff(session.owner_id).await?.ok_or_else(|| WebError::unauthenticated("the staff account no longer exists"))?;
        // Disabling ends the sessions in the same transaction; this covers a race with it.
        if row.disabled_ms.is_some() {
            return Err(WebError::unauthenticated("this staff account is disabled"));
        }
        let role = Role::parse(&row.role).ok_or_else(|| WebError::forbidden("unknown role"))?;
        let restricted = web.config.require_staff_2fa && !row.totp_enabled;
        Ok(Staff { session, row, role, restricted })
    }
}

impl FromRequestParts<Arc<Web>> for Staff {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> WebResult<Staff> {
        let s = Staff::of(web, parts).await?;
        if s.restricted {
            return Err(WebError::two_factor_required());
        }
        Ok(s)
    }
}

/// The signed-in staff member, restricted or not: only for `me`, `logout` and `2fa/*`.
pub struct StaffEvenRestricted(pub Staff);

impl FromRequestParts<Arc<Web>> for StaffEvenRestricted {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> WebResult<StaffEvenRestricted> {
        Ok(StaffEvenRestricted(Staff::of(web, parts).await?))
    }
}

/// One audited console action: checks the role, parses, submits, and records the outcome
/// (whatever it is) before answering.
pub(crate) struct Action<'a> {
    pub(crate) web: &'a Web,
    pub(crate) staff: &'a Staff,
    pub(crate) action: &'static str,
    pub(crate) target: String,
}

impl Action<'_> {
    async fn record(&self, detail: &str, result: &WebResult<Value>) -> WebResult<()> {
        let outcome = match result {
            Ok(_) => "ok".to_string(),
            Err(e) => match e.bitkub_code {
                Some(code) => format!("{}:{code}: {}", e.code, e.message),
                None => format!("{}: {}", e.code, e.message),
            },
        };
        let row = AuditRow {
            id: 0,
            ts_ms: self.web.gateway.now_ms(),
            staff_id: self.staff.row.id,
            staff_email: self.staff.row.email.clone(),
            role: self.staff.row.role.clone(),
            action: self.action.into(),
            target: self.target.clone(),
            detail: detail.into(),
            outcome,
        };
        self.web.store.append_audit(&row).await?;
        Ok(())
    }

    /// Runs `f` (after the role check), audits, answers.
    pub(crate) async fn run<F, Fut>(self, roles: &[Role], m: &Map<String, Value>, f: F) -> WebResult<Json<Value>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = WebResult<Value>>,
    {
        // The detail is the request as given (reason included); it never holds a secret.
        let detail = serde_json::to_string(m).unwrap_or_default();
        self.run_detail(roles, detail, f).await
    }

    /// [`Action::run`] with the audit detail given (for requests that carry a secret).
    pub(crate) async fn run_detail<F, Fut>(self, roles: &[Role], detail: String, f: F) -> WebResult<Json<Value>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = WebResult<Value>>,
    {
        let result = match self.staff.require(roles) {
            Ok(()) => f().await,
            Err(e) => Err(e),
        };
        self.record(&detail, &result).await?;
        result.map(Json)
    }
}

/// Submits an administrative command for an action; answers `{seq}`.
pub(crate) async fn submit_admin(web: &Web, command: Command) -> WebResult<Value> {
    let outcome = web.gateway.execute(command).await?;
    Ok(json!({"seq": outcome.seq}))
}
