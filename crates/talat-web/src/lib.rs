//! talat-web: the session-authenticated JSON API of the customer web app and the staff console
//! (`/web/api/…`, contract in docs/web-api.md), mounted into the gateway's router with
//! `talat_api::server::serve_with`. It places orders through the same gateway as the Bitkub
//! API (same admission and the engine's own checks) and keeps accounts, staff, sessions and the
//! append-only audit log in the query store.
//!
//! Module map, from the bottom up:
//! * `error` (the error shape), `body` (JSON fields), `secrets` (argon2id, TOTP, tokens),
//!   `session` (cookie, expiry, CSRF), `limits` (login attempts), `mail` (the outbox's SMTP
//!   sender), `lang` (the customer's language, which their mails are written in);
//! * `auth` (the roles and what each route allows, the `Customer` and `Staff` extractors, the
//!   audited staff `Action`), `views` (accounts, balances, markets and orders as JSON), `login`
//!   (the login form and its checks, customer or staff);
//! * the routes: `customer` (signup, login, 2FA, keys, balances, status), `orders`, `history`
//!   (order, trade and funds history from the query store), `console` (staff login and 2FA,
//!   markets, users, audit), `console_user` (the customer picture support sees),
//!   `staff_admin` (invite, disable, change role under four eyes; the rules are
//!   `talat-staff`'s), `dashboard` (the console dashboard, from Prometheus text), and the
//!   families `support` (tickets, complaints, incidents, staffing and reports; the rules are
//!   `talat-support`'s) and `kyc` (onboarding and KYC; the rules are `talat-onboarding`'s),
//!   and `funds` (deposits, withdrawals, statements, reconciliation; the flows are
//!   `talat_gateway::funds`'s, the rules `talat-funds`'s), and `surveillance` (alerts, compliance
//!   cases, the AMLO report, tape audits, breaker actions; the detectors are
//!   `talat-surveillance`'s), and `compensation` (outage incidents, their preview with the
//!   evidence, four-eyes approval, the credits and the regulator's report; the rules are
//!   `talat-compensation`'s), and `custody` (crypto deposit addresses, deposits, the withdrawal
//!   whitelist and withdrawals; the console's approvals, reorg cases, wallets and rescans; the
//!   flows are `talat-custody`'s), and `por` (proof of reserves: the daily report, the customer's
//!   root and inclusion proof, the public root, the console's reports; the tree is
//!   `talat-por`'s), each with the helpers its own routes share.
//!
//! A route module imports what sits below it, never another route module; only this file and
//! the families' `mod.rs` mount the routes (tests/layering.rs checks it).

pub mod auth;
pub mod body;
pub mod compensation;
pub mod console;
pub mod console_user;
pub mod custody;
pub mod customer;
pub mod dashboard;
pub mod error;
pub mod funds;
pub mod history;
pub mod kyc;
pub mod lang;
pub mod limits;
pub mod login;
pub mod mail;
pub mod notifications;
pub mod orders;
pub mod por;
pub mod secrets;
pub mod security;
pub mod security_mail;
pub mod session;
pub mod staff_admin;
pub mod status;
pub mod support;
pub mod surveillance;
pub mod views;

use axum::routing::{delete, get, post};
use axum::Router;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use talat_gateway::gateway::Gateway;

pub use auth::Role;

/// Settings of the web API.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Demo mode: new customers get demo funds.
    pub demo: bool,
    /// Login attempts per minute per client address, and per email.
    pub logins_per_ip_per_min: u32,
    pub logins_per_email_per_min: u32,
    /// Sign-ups per hour from one client address, and for one email address: each costs an
    /// argon2 hash, an engine user and a mail.
    pub signups_per_ip_per_hour: u32,
    pub signups_per_email_per_hour: u32,
    /// Demo mode: at most this many accounts get demo funds (later ones sign up unfunded).
    pub demo_funded_max: u64,
    /// Staff must use two-factor authentication: a staff member without it gets only a
    /// restricted session (the Security page, to set it up) until it is enabled.
    pub require_staff_2fa: bool,
    /// Customer support: the business calendar, SLA targets, escalation mail.
    pub support: support::SupportConfig,
    /// Onboarding and KYC: levels and limits, documents, screening, admission.
    pub onboarding: kyc::OnboardingConfig,
}

impl WebConfig {
    /// The defaults of a demo (`demo`) or production server: staff 2FA is required except in
    /// demo mode, where the demo staff log in with a password.
    pub fn for_mode(demo: bool) -> WebConfig {
        WebConfig {
            demo,
            logins_per_ip_per_min: 10,
            logins_per_email_per_min: 10,
            signups_per_ip_per_hour: 20,
            signups_per_email_per_hour: 3,
            demo_funded_max: 5_000,
            require_staff_2fa: !demo,
            support: support::SupportConfig::default(),
            onboarding: kyc::OnboardingConfig::default(),
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig::for_mode(false)
    }
}

pub struct Web {
    pub gateway: Arc<Gateway>,
    pub store: talat_store::Store,
    pub config: WebConfig,
    pub limits: limits::LoginLimits,
    pub signup_limits: limits::LoginLimits,
    /// Forgot-password and reset requests (their own budget: sign-ups must not use it up).
    pub reset_limits: limits::LoginLimits,
    /// Whether the session sweeper runs (started once, by the first `routes`).
    sweeper_started: AtomicBool,
    /// The status page's stored part (incidents, overrides), cached; `status_generation`
    /// counts staff changes so a change is seen at once.
    pub(crate) status_stored: parking_lot::Mutex<Option<Arc<status::view::Stored>>>,
    pub(crate) status_generation: std::sync::atomic::AtomicU64,
    /// Crypto custody, when this exchange runs chain networks (`install_custody`).
    pub custody: std::sync::OnceLock<Arc<talat_custody::Custody>>,
    /// Proof of reserves: one publication at a time, the latest report and its tree.
    pub(crate) por: por::publish::PorState,
}

/// How often expired sessions are swept, rows deleted per statement, and most statements per
/// sweep (a sweep that hits the cap leaves the rest to the next one).
pub const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(180);
pub const SESSION_SWEEP_BATCH: i64 = 500;
pub const SESSION_SWEEP_MAX_BATCHES: u32 = 20;

impl Web {
    /// Needs the gateway's query store (accounts, sessions and the audit log live there).
    pub fn new(gateway: Arc<Gateway>, config: WebConfig) -> Result<Arc<Web>, String> {
        let store = gateway.store.clone().ok_or("the web API needs the query store")?;
        let limits = limits::LoginLimits::new(config.logins_per_ip_per_min, config.logins_per_email_per_min);
        let signup_limits = limits::LoginLimits::per_hour(config.signups_per_ip_per_hour, config.signups_per_email_per_hour);
        let reset_limits = limits::LoginLimits::per_hour(security::RESETS_PER_IP_PER_HOUR, security::RESETS_PER_HOUR as u32 * 2);
        Ok(Arc::new(Web {
            gateway,
            store,
            config,
            limits,
            signup_limits,
            reset_limits,
            sweeper_started: AtomicBool::new(false),
            status_stored: Default::default(),
            status_generation: Default::default(),
            custody: Default::default(),
            por: Default::default(),
        }))
    }

    /// Deletes expired sessions (idle past [`session::IDLE_MS`] or older than
    /// [`session::ABSOLUTE_MS`]; `session` refuses them anyway, this only reclaims the rows):
    /// at most [`SESSION_SWEEP_MAX_BATCHES`] statements of [`SESSION_SWEEP_BATCH`] rows, each
    /// taking the store's writer lock briefly. Returns how many were deleted.
    pub async fn sweep_sessions(&self) -> Result<u64, talat_store::StoreError> {
        let now = self.gateway.now_ms();
        let (idle_before, created_before) = (now.saturating_sub(session::IDLE_MS), now.saturating_sub(session::ABSOLUTE_MS));
        let mut total = 0;
        for _ in 0..SESSION_SWEEP_MAX_BATCHES {
            let deleted = self.store.delete_expired_sessions(idle_before, created_before, SESSION_SWEEP_BATCH).await?;
            total += deleted;
            if deleted < SESSION_SWEEP_BATCH as u64 {
                break;
            }
            tokio::task::yield_now().await;
        }
        Ok(total)
    }

    /// Creates `<role>@talat.local` for every role that has no account yet, and a second admin
    /// `admin2@talat.local` (staff changes need two admins: four eyes), with random passwords.
    /// Returns every demo staff email with its password if it was created now (`None` for
    /// accounts that existed: their password is not recoverable).
    pub async fn ensure_demo_staff(&self) -> Result<Vec<(String, Option<String>)>, String> {
        let mut out = Vec::new();
        let accounts = Role::ALL.into_iter().map(|r| (r.as_str().to_string(), r)).chain([("admin2".to_string(), Role::Admin)]);
        for (name, role) in accounts {
            let email = format!("{name}@talat.local");
            if self.store.staff_by_email(&email).await.map_err(|e| e.to_string())?.is_some() {
                out.push((email, None));
                continue;
            }
            let password = secrets::token()[..20].to_string();
            let to_hash = password.clone();
            let hash = secrets::blocking(move || secrets::hash_password(&to_hash)).await;
            let created = self.store.insert_staff(&email, &hash, role.as_str(), self.gateway.now_ms()).await.map_err(|e| e.to_string())?;
            out.push((email, created.map(|_| password)));
        }
        Ok(out)
    }

    /// Creates one staff account (tests and tooling). `None` if the email is taken.
    pub async fn create_staff(&self, email: &str, password: &str, role: Role) -> Result<Option<u64>, String> {
        let to_hash = password.to_string();
        let hash = secrets::blocking(move || secrets::hash_password(&to_hash)).await;
        self.store.insert_staff(&email.to_ascii_lowercase(), &hash, role.as_str(), self.gateway.now_ms()).await.map_err(|e| e.to_string())
    }
}

/// Runs `job` every `every` (the first run at once) for as long as `web` lives: the task keeps
/// only a weak reference and ends when the `Web` is dropped. A run that overruns delays the
/// next rather than bunching them up. Every background sweep of the web API runs this way.
pub fn spawn_periodic<F, Fut>(web: &Arc<Web>, every: Duration, job: F) -> tokio::task::JoinHandle<()>
where
    F: Fn(Arc<Web>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let weak = Arc::downgrade(web);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(web) = weak.upgrade() else { break };
            job(web).await;
        }
    })
}

/// Sweeps expired sessions every `every`.
pub fn spawn_session_sweeper(web: &Arc<Web>, every: Duration) -> tokio::task::JoinHandle<()> {
    spawn_periodic(web, every, |web| async move {
        match web.sweep_sessions().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!("web sessions: swept {n} expired"),
            Err(e) => tracing::warn!("web sessions: sweep failed: {e}"),
        }
    })
}

/// Every `/web/api/…` route, ready to merge into the gateway's router. Inside a Tokio runtime
/// the first call also starts the session sweeper ([`SESSION_SWEEP_EVERY`]).
pub fn routes<S: Clone + Send + Sync + 'static>(web: Arc<Web>) -> Router<S> {
    if tokio::runtime::Handle::try_current().is_ok() && !web.sweeper_started.swap(true, Ordering::AcqRel) {
        spawn_session_sweeper(&web, SESSION_SWEEP_EVERY);
        support::sweep::spawn(&web, support::sweep::SWEEP_EVERY);
        kyc::spawn_background(&web);
        funds::spawn_background(&web);
        por::spawn_background(&web);
    }
    Router::new()
        .route("/web/api/signup", post(customer::signup))
        .route("/web/api/login", post(customer::login))
        .route("/web/api/logout", post(customer::logout))
        .route("/web/api/me", get(customer::me))
        .route("/web/api/language", post(customer::set_language))
        .route("/web/api/2fa/setup", post(customer::totp_setup))
        .route("/web/api/2fa/enable", post(customer::totp_enable))
        .route("/web/api/2fa/disable", post(customer::totp_disable))
        .route("/web/api/2fa/backup-codes", get(customer::backup_codes_left).post(customer::backup_codes))
        .route("/web/api/keys", get(customer::keys).post(customer::create_key))
        .route("/web/api/keys/{key}", delete(customer::revoke_key))
        .route("/web/api/password/change", post(security::change))
        .route("/web/api/password/forgot", post(security::forgot))
        .route("/web/api/password/reset", post(security::reset))
        .route("/web/api/sessions", get(security::sessions))
        .route("/web/api/sessions/logout-others", post(security::logout_others))
        .route("/web/api/sessions/{id}", delete(security::logout_one))
        .route("/web/api/status", get(customer::status))
        .route("/web/api/balances", get(customer::balances))
        .route("/web/api/orders", post(orders::place))
        .route("/web/api/orders/open", get(orders::open))
        .route("/web/api/orders/cancel-all", post(orders::cancel_all))
        .route("/web/api/orders/history", get(history::orders))
        .route("/web/api/orders/{id}", delete(orders::cancel))
        .route("/web/api/trades/history", get(history::trades))
        .route("/web/api/funds/history", get(history::funds))
        .route("/web/api/notifications", get(notifications::list))
        .route("/web/api/notifications/read", post(notifications::read))
        .route("/web/api/notifications/stream", get(notifications::stream))
        .merge(console::routes())
        .merge(console_user::routes())
        .merge(staff_admin::routes())
        .merge(dashboard::routes())
        .merge(support::routes())
        .merge(kyc::routes())
        .merge(funds::routes())
        .merge(surveillance::routes())
        .merge(status::routes())
        .merge(compensation::routes())
        .merge(custody::routes())
        .merge(por::routes())
        .with_state(web)
}
