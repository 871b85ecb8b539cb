//! Onboarding and KYC over the web API (contract: docs/web-api.md, "Onboarding"): sign-up is
//! admitted or waitlisted by the admission policy, the email is verified through the outbox,
//! the customer submits level-1 data and documents (identity checked by a provider, screened
//! against the sanctions lists, rated for risk), passes the knowledge test, and a reviewer
//! approves — a second reviewer for a high-risk customer. A level is enforced by the engine:
//! its tier limits (trading from level 1, daily withdrawal limits per level) are set by a
//! journaled `SetTierLimits`. The rules are `talat-onboarding`'s; the tables `talat-store`'s.
//!
//! Module map. The routes: `customer` (status, level 1 and 2, more information, the knowledge
//! test), `email` (verify, resend), `documents` (uploads, content-addressed on disk, and the
//! reviewer's download), `review` (the reviewer queue, four eyes), `screening_console` (lists,
//! hits, clearances) and `admission_console` (the console's admission page). What they share,
//! never each other: `config`, `signup` (what a new account gets: admission, the verification
//! mail, level 0), `levels` (level → engine tier limits), `knowledge` (the knowledge test and who
//! passed it), `view` (applications and documents as JSON), `identity` (the provider and its
//! simulator), `screening` (screening a customer, re-screening, the prepared-list cache) and
//! `admission` (the capacity model, the waitlist and its sweep).

pub mod admission;
pub mod admission_console;
pub mod config;
pub mod customer;
pub mod documents;
pub mod email;
pub mod identity;
pub mod knowledge;
pub mod levels;
pub mod review;
pub mod screening;
pub mod screening_console;
pub mod signup;
pub mod view;

pub use config::OnboardingConfig;

use crate::Web;
use axum::extract::DefaultBodyLimit;
use axum::Router;
use std::sync::Arc;

/// Every onboarding route; each module adds its own.
pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .merge(customer::routes())
        .merge(email::routes())
        .merge(documents::routes())
        .merge(review::routes())
        .merge(screening_console::routes())
        .merge(admission_console::routes())
        // Document uploads and list files are larger than axum's 2 MB default (the gateway's
        // upload cap and permits apply first).
        .layer(DefaultBodyLimit::max(config::MAX_KYC_BODY_BYTES))
}

/// Background work: the waitlist's admissions and list re-screening.
pub fn spawn_background(web: &Arc<Web>) {
    admission::spawn(web, admission::SWEEP_EVERY);
}
