//! talat-web: the session-authenticated JSON API of the customer web app and the staff console
//! (`/web/api/…`, contract in docs/web-api.md), mounted into the gateway's router with
//! `talat_api::server::serve_with`. It places orders through the same gateway as the Bitkub
//! API (same admission and the engine's own checks) and keeps accounts, staff, sessions and the
//! append-only audit log in the query store.
//!
//! Module map: `error` (the error shape), `body` (JSON fields), `secrets` (argon2id, TOTP,
//! tokens), `session` (cookie, expiry, CSRF), `limits` (login attempts), `customer` (signup,
//! login, 2FA, keys, balances, status), `orders`, `console` (staff routes, roles, audit),
//! `dashboard` (Prometheus text → numbers).

pub mod body;
pub mod console;
pub mod customer;
pub mod dashboard;
pub mod error;
pub mod limits;
pub mod orders;
pub mod secrets;
pub mod session;

use axum::routing::{delete, get, post};
use axum::Router;
use std::sync::Arc;
use talat_api::gateway::Gateway;

pub use console::Role;

/// Settings of the web API.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Demo mode: new customers get demo funds.
    pub demo: bool,
    /// Login attempts per minute per client address, and per email.
    pub logins_per_ip_per_min: u32,
    pub logins_per_email_per_min: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig { demo: false, logins_per_ip_per_min: 10, logins_per_email_per_min: 10 }
    }
}

pub struct Web {
    pub gateway: Arc<Gateway>,
    pub store: talat_store::Store,
    pub config: WebConfig,
    pub limits: limits::LoginLimits,
}

impl Web {
    /// Needs the gateway's query store (accounts, sessions and the audit log live there).
    pub fn new(gateway: Arc<Gateway>, config: WebConfig) -> Result<Arc<Web>, String> {
        let store = gateway.store.clone().ok_or("the web API needs the query store")?;
        let limits = limits::LoginLimits::new(config.logins_per_ip_per_min, config.logins_per_email_per_min);
        Ok(Arc::new(Web { gateway, store, config, limits }))
    }

    /// Creates `<role>@talat.local` for every role that has no account yet, with a random
    /// password. Returns every demo staff email with its password if it was created now
    /// (`None` for accounts that existed: their password is not recoverable).
    pub async fn ensure_demo_staff(&self) -> Result<Vec<(String, Option<String>)>, String> {
        let mut out = Vec::new();
        for role in Role::ALL {
            let email = format!("{}@talat.local", role.as_str());
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

/// Every `/web/api/…` route, ready to merge into the gateway's router.
pub fn routes<S: Clone + Send + Sync + 'static>(web: Arc<Web>) -> Router<S> {
    Router::new()
        .route("/web/api/signup", post(customer::signup))
        .route("/web/api/login", post(customer::login))
        .route("/web/api/logout", post(customer::logout))
        .route("/web/api/me", get(customer::me))
        .route("/web/api/2fa/setup", post(customer::totp_setup))
        .route("/web/api/2fa/enable", post(customer::totp_enable))
        .route("/web/api/2fa/disable", post(customer::totp_disable))
        .route("/web/api/keys", get(customer::keys).post(customer::create_key))
        .route("/web/api/keys/{key}", delete(customer::revoke_key))
        .route("/web/api/status", get(customer::status))
        .route("/web/api/balances", get(customer::balances))
        .route("/web/api/orders", post(orders::place))
        .route("/web/api/orders/open", get(orders::open))
        .route("/web/api/orders/cancel-all", post(orders::cancel_all))
        .route("/web/api/orders/history", get(orders::history))
        .route("/web/api/orders/{id}", delete(orders::cancel))
        .route("/web/api/trades/history", get(orders::trades))
        .route("/web/api/funds/history", get(orders::funds))
        .merge(console::routes())
        .with_state(web)
}
