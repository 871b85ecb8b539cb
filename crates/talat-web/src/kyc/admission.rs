//! SLA-aware admission over the running exchange: the model (`talat_onboarding::admission`) fed
//! with what the store and gateway measure — admitted customers, the declared order capacity,
//! tickets per customer, the roster's busiest half hour, applications waiting, reviewers. A
//! sign-up is admitted at once or waitlisted; a sweep admits waitlisted sign-ups in order as
//! headroom appears (and mails them). The console shows the inputs and the decision
//! (`admission_console`).

use crate::error::WebResult;
use crate::lang::Lang;
use crate::Web;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use talat_core::calendar::DAY_MS;
use talat_onboarding::admission::{decide, estimate_wait_ms, AdmissionInputs, Decision};
use talat_store::{NewMail, WebAccountRow};

pub use talat_onboarding::admission::AdmissionConfig;

pub const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// Most sign-ups one sweep admits (the model is re-read between admissions).
pub const MAX_ADMITTED_PER_SWEEP: usize = 100;
const MEASURE_DAYS: u64 = 28;
/// An admitted customer who has not applied within this long no longer holds a review place.
const PIPELINE_RECENT_MS: u64 = 7 * DAY_MS;

/// What the model reads now.
pub async fn inputs(web: &Web) -> WebResult<AdmissionInputs> {
    let store = &web.store;
    let customers = store.admitted_customers().await?;
    let since = web.gateway.now_ms().saturating_sub(MEASURE_DAYS * DAY_MS);
    let tickets = store.tickets_since(since).await?;
    let measured = (customers > 0).then(|| tickets as f64 / customers as f64 / MEASURE_DAYS as f64);
    Ok(AdmissionInputs {
        customers,
        declared_orders_per_s: web.gateway.config.max_new_orders_per_s,
        measured_contacts_per_customer_per_day: measured,
        rostered_peak_agents: store.roster().await?.into_iter().max().unwrap_or(0),
        pending_reviews: store.kyc_pipeline(web.gateway.now_ms(), PIPELINE_RECENT_MS).await?,
        kyc_staff: u32::try_from(store.staff_with_role("kyc").await?).unwrap_or(u32::MAX),
        review_sla_hours: web.config.onboarding.review_sla_hours,
    })
}

pub async fn decision(web: &Web) -> WebResult<(AdmissionInputs, Decision)> {
    let i = inputs(web).await?;
    let d = decide(&web.config.onboarding.admission, &i);
    Ok((i, d))
}

/// A new account is admitted now or waitlisted (KYC off: always admitted).
pub async fn decide_at_signup(web: &Web, account: &WebAccountRow) -> WebResult<()> {
    let now = web.gateway.now_ms();
    let admit = if web.config.onboarding.require_kyc { decision(web).await?.1.admit } else { true };
    web.store.set_admission(account.id, admit, now).await?;
    Ok(())
}

/// `{position, estimate_ms}` of a waitlisted account, `null` if admitted.
pub async fn waitlist_json(web: &Web, account: &WebAccountRow) -> WebResult<Value> {
    let Some(position) = web.store.waitlist_position(account).await? else { return Ok(Value::Null) };
    let (_, d) = decision(web).await?;
    Ok(json!({"position": position, "estimate_ms": estimate_wait_ms(&d, position), "binding": d.binding}))
}

/// Admits waitlisted sign-ups in order while the model has headroom; returns how many.
pub async fn sweep(web: &Web) -> WebResult<usize> {
    if !web.config.onboarding.require_kyc {
        return Ok(0);
    }
    let mut admitted = 0;
    for account in web.store.waitlist(MAX_ADMITTED_PER_SWEEP as i64).await? {
        if !decision(web).await?.1.admit {
            break;
        }
        let now = web.gateway.now_ms();
        if web.store.admit_waitlisted(account.id, now).await? {
            let site = &web.config.support.site_name;
            let link = format!("{}/#/kyc", web.config.onboarding.public_url.trim_end_matches('/'));
            let (subject, text) = Lang::of(&account).pick(
                ("Your account is open", "Thank you for waiting. You can now verify your identity and start trading:"),
                ("บัญชีของคุณเปิดใช้งานแล้ว", "ขอบคุณที่รอ ตอนนี้คุณยืนยันตัวตนและเริ่มซื้อขายได้แล้ว:"),
            );
            let mail = NewMail {
                kind: "admission.admitted".into(),
                to_addr: account.email.clone(),
                subject: format!("[{site}] {subject}"),
                body: format!("{text}\n{link}\n\n— {site}"),
            };
            web.store.enqueue_mail(&[mail], now).await?;
            admitted += 1;
        }
    }
    Ok(admitted)
}

pub fn spawn(web: &Arc<Web>, every: Duration) {
    crate::spawn_periodic(web, every, |web| async move {
        match sweep(&web).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("admission: {n} waitlisted sign-ups admitted"),
            Err(e) => tracing::warn!("admission sweep failed: {}", e.message),
        }
    });
}
