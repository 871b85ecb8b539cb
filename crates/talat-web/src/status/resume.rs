//! The console's Resume page: the documented order after an outage (deposits, cancel-only for a
//! set time, post-only, open, then withdrawals once a reconciliation passed). Each step is an
//! operator's confirmed, audited action, journaled as the engine's `Resume` command (which
//! refuses a step out of order), and posted to the status page's resume incident.

use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;
use talat_core::venue::{ResumeStep, MAX_CANCEL_ONLY_MS};
use talat_core::Command;
use talat_store::NewStatusIncident;

/// What each step tells customers on the status page (English, Thai).
fn announcement(step: ResumeStep) -> (&'static str, &'static str) {
    match step {
        ResumeStep::Begin { .. } => (
            "Trading, deposits and withdrawals are paused while we restore service. Open orders are kept.",
            "หยุดการซื้อขาย ฝาก และถอนชั่วคราวระหว่างกู้คืนระบบ คำสั่งที่เปิดอยู่ยังคงอยู่",
        ),
        ResumeStep::Deposits => ("Deposits are back.", "เปิดรับฝากแล้ว"),
        ResumeStep::CancelOnly => ("Markets are in cancel-only mode: you can cancel open orders; new orders open later.", "ตลาดเปิดให้ยกเลิกคำสั่งได้เท่านั้น"),
        ResumeStep::PostOnly => ("Markets accept post-only limit orders; nothing matches yet.", "ตลาดรับเฉพาะคำสั่งแบบ post-only ยังไม่มีการจับคู่"),
        ResumeStep::Open => ("Trading is open.", "เปิดการซื้อขายตามปกติแล้ว"),
        ResumeStep::Withdrawals => {
            ("Withdrawals are back after our reconciliation passed. Service is fully restored.", "เปิดให้ถอนแล้วหลังกระทบยอดผ่าน บริการกลับมาครบถ้วน")
        }
    }
}

pub async fn state(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::RESUME)?;
    let venue = web.gateway.read.venue();
    let r = &venue.resume;
    let now_ms = web.gateway.now_ms();
    let expected = r.expected();
    let blocked = r.check(expected, now_ms).err().map(|e| e.to_string());
    Ok(Json(json!({
        "active": r.active(),
        "last": r.last.map(ResumeStep::name),
        "last_at_ms": r.last_at_ms,
        "began_at_ms": r.began_at_ms,
        "cancel_only_ms": r.cancel_only_ms,
        "next": expected.name(),
        "next_blocked": blocked,
        "order": ResumeStep::ORDER,
        "funding": {"deposits_open": venue.funding.deposits_open, "withdrawals_open": venue.funding.withdrawals_open},
    })))
}

pub async fn step(State(web): State<Arc<Web>>, headers: HeaderMap, Path(word): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "resume.step", target: format!("resume:{word}") };
    act.run(allow::RESUME, &m, || async {
        body::object(&headers, &body, false)?;
        let mut step =
            ResumeStep::parse(&word).ok_or_else(|| WebError::not_found(format!("no resume step {word}: the steps are {}", ResumeStep::ORDER.join(", "))))?;
        if let ResumeStep::Begin { cancel_only_ms } = &mut step {
            if let Some(v) = m.get("cancel_only_ms") {
                *cancel_only_ms = v
                    .as_u64()
                    .filter(|ms| *ms <= MAX_CANCEL_ONLY_MS)
                    .ok_or_else(|| WebError::invalid("cancel_only_ms", format!("cancel_only_ms must be 0 to {MAX_CANCEL_ONLY_MS}")))?;
            }
        }
        // The operator confirms by naming the step again: a stray click takes none.
        if body::str(&m, "confirm")? != word {
            return Err(WebError::invalid("confirm", format!("confirm by sending \"confirm\": \"{word}\"")));
        }
        body::reason(&m)?;
        let venue = web.gateway.read.venue();
        let now_ms = web.gateway.now_ms();
        venue.resume.check(step, now_ms).map_err(|refusal| WebError::conflict(refusal.to_string()))?;
        if step == ResumeStep::Withdrawals {
            let began = venue.resume.began_at_ms;
            let passed = web.store.reconciliations().await?.into_iter().any(|r| r.created_ms >= began && r.difference_satang == 0);
            if !passed {
                return Err(WebError::conflict(
                    "withdrawals wait for a reconciliation that passes (difference 0) made after the outage began: run it on the Reconciliation page",
                ));
            }
        }
        let outcome = web.gateway.execute(Command::Resume { step }).await?;
        // The step is taken (journaled) whatever happens next: a failure to post it is reported,
        // not turned into an error the operator would retry into "out of order".
        let posted = match post(&web, step, s.row.id).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(step = step.name(), "resume: the step was taken but not posted to the status page: {}", e.message);
                false
            }
        };
        Ok(json!({"seq": outcome.seq, "step": step.name(), "next": step.next().map(ResumeStep::name), "status_page_posted": posted}))
    })
    .await
}

/// Posts the step to the status page: `begin` opens the resume incident, each step adds an
/// update, `withdrawals` resolves it.
async fn post(web: &Web, step: ResumeStep, by: u64) -> WebResult<()> {
    let (en, th) = announcement(step);
    let body = format!("{en}\n{th}");
    let now_ms = web.gateway.now_ms();
    match (step, web.store.open_resume_incident().await?) {
        (_, Some(open)) => {
            let (status, resolves) = match step {
                ResumeStep::Withdrawals => ("resolved", true),
                ResumeStep::Open => ("monitoring", false),
                _ => ("identified", false),
            };
            web.store.add_status_update(open.id, status, &body, resolves, by, now_ms).await?;
        }
        (ResumeStep::Begin { .. }, None) => {
            // Every component: the ids come from the measurements alone (no store read).
            let components: Vec<String> = talat_status::component::measure(&super::view::signals(web), &[]).into_iter().map(|c| c.id).collect();
            web.store
                .create_status_incident(&NewStatusIncident {
                    kind: "incident",
                    name: "Resuming service after an outage / กำลังกลับมาให้บริการหลังเหตุขัดข้อง",
                    status: "identified",
                    impact: "major",
                    components: &components.join(","),
                    support_incident_id: None,
                    source: "resume",
                    scheduled_for_ms: None,
                    scheduled_until_ms: None,
                    body: &body,
                    created_by: by,
                    now_ms,
                })
                .await?;
        }
        // A step whose resume incident an operator closed by hand: nothing to post to.
        (_, None) => tracing::warn!(step = step.name(), "resume: no open resume incident on the status page to post this step to"),
    }
    super::view::changed(web);
    Ok(())
}
