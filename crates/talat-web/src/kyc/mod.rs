//! Onboarding and KYC over the web API (contract: docs/web-api.md, "Onboarding"): sign-up is
//! admitted or waitlisted by the admission policy, the email is verified through the outbox,
//! the customer submits level-1 data and documents (identity checked by a provider, screened
//! against the sanctions lists, rated for risk), passes the knowledge test, and a reviewer
//! approves — a second reviewer for a high-risk customer. A level is enforced by the engine:
//! its tier limits (trading from level 1, daily withdrawal limits per level) are set by a
//! journaled `SetTierLimits`. The rules are `talat-onboarding`'s; the tables `talat-store`'s.
//!
//! Module map: `config`, `email` (verification tokens and mail), `levels` (level → engine tier
//! limits), `documents` (uploads, content-addressed on disk), `identity` (the provider and its
//! simulator), `customer` (the customer's routes), `review` (the reviewer queue, four eyes),
//! `screening` (lists, hits, clearances, re-screening), `admission` (the capacity model, the
//! waitlist and its sweep).

pub mod admission;
pub mod config;
pub mod customer;
pub mod documents;
pub mod email;
pub mod identity;
pub mod levels;
pub mod review;
pub mod screening;

pub use config::OnboardingConfig;

use crate::error::WebResult;
use crate::Web;
use axum::extract::DefaultBodyLimit;
use axum::Router;
use std::sync::Arc;
use talat_store::WebAccountRow;

/// Every onboarding route; each module adds its own.
pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .merge(customer::routes())
        .merge(review::routes())
        .merge(screening::routes())
        .merge(admission::routes())
        // Document uploads and list files are larger than axum's 2 MB default (the gateway's
        // upload cap and permits apply first).
        .layer(DefaultBodyLimit::max(config::MAX_KYC_BODY_BYTES))
}

/// What happens right after a sign-up created the account: the admission decision (admitted
/// now, or a place on the waitlist), the verification mail, and — when KYC is required — the
/// engine limits of level 0 (no trading, no withdrawals).
pub async fn on_signup(web: &Web, account: &WebAccountRow) -> WebResult<()> {
    admission::decide_at_signup(web, account).await?;
    email::send_verification(web, account).await?;
    if web.config.onboarding.require_kyc {
        levels::apply(web, account, talat_onboarding::KycLevel::L0).await?;
    }
    Ok(())
}

/// Background work: the waitlist's admissions and list re-screening.
pub fn spawn_background(web: &Arc<Web>) {
    admission::spawn(web, admission::SWEEP_EVERY);
}
