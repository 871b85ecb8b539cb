//! The console's screening routes (docs/web-api.md, console `screening/*`): compliance loads a
//! list file (UN XML or talat's CSV), after which every customer is re-screened; reviewers read
//! the hits; compliance clears a false positive or confirms a true match, which rejects the
//! customer's applications and locks the account. Every change is an audited action. The
//! screening itself is `screening`'s.

use super::config::MAX_KYC_BODY_BYTES;
use super::screening;
use crate::auth::{submit_admin, Action, Role, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::views::account_json;
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use talat_core::{Command, TierLimits};
use talat_onboarding::sanctions::csv::parse_csv_list;
use talat_onboarding::sanctions::ofac_csv::parse_ofac_sdn_csv;
use talat_onboarding::sanctions::un_xml::parse_un_xml;
use talat_onboarding::Clearance;
use talat_store::{HitDecision, ListLoad, NewSanctionsList, SanctionsEntryRow, SanctionsListRow, ScreeningHitRow};

/// Who may read hits, decide them, and load or read lists (docs/web-api.md).
pub const HITS_READ: &[Role] = &[Role::Kyc, Role::Compliance, Role::Admin];
pub const HITS_DECIDE: &[Role] = &[Role::Compliance, Role::Admin];
pub const LISTS: &[Role] = &[Role::Compliance, Role::Admin];

/// Longest list name, in characters.
pub const LIST_NAME_MAX_CHARS: usize = 64;
/// Most hits one listing returns.
pub const HITS_LISTED: i64 = 500;

// ---- JSON -------------------------------------------------------------------------------------

fn list_json(l: &SanctionsListRow) -> Value {
    json!({"id": l.id, "name": l.name, "format": l.format, "sha256": l.sha256, "entry_count": l.entry_count, "loaded_by": l.loaded_by, "loaded_ms": l.loaded_ms, "active": l.active})
}

fn hit_json(h: &ScreeningHitRow) -> Value {
    let reasons: Value = serde_json::from_str(&h.reasons).unwrap_or_else(|_| json!([h.reasons]));
    json!({
        "id": h.id, "account_id": h.account_id, "customer_email": h.customer_email, "list": h.list_name, "entity_id": h.entity_id,
        "entity_version": h.entity_version, "score": h.score_milli as f64 / 1000.0, "matched_name": h.matched_name, "reasons": reasons,
        "status": h.status, "created_ms": h.created_ms, "decided_by": h.decided_by, "decision_reason": h.decision_reason, "decided_ms": h.decided_ms,
    })
}

// ---- routes -----------------------------------------------------------------------------------

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/console/screening/lists", get(lists).post(load_list))
        .route("/web/api/console/screening/hits", get(hits))
        .route("/web/api/console/screening/hits/{id}/clear", post(clear))
        .route("/web/api/console/screening/hits/{id}/confirm", post(confirm))
}

async fn lists(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(LISTS)?;
    let rows = web.store.sanctions_lists(talat_store::MAX_SCREENING_ROWS).await?;
    Ok(Json(json!({"lists": rows.iter().map(list_json).collect::<Vec<_>>()})))
}

fn list_name(m: &Map<String, Value>) -> WebResult<String> {
    let name = body::str(m, "name")?.trim();
    if name.is_empty() || name.chars().count() > LIST_NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(WebError::invalid("name", format!("name must be 1 to {LIST_NAME_MAX_CHARS} printable characters")));
    }
    Ok(name.to_string())
}

/// The audit detail of a list load: the request without the file (its size instead).
fn load_detail(m: &Map<String, Value>) -> String {
    let mut d = m.clone();
    if let Some(Value::String(data)) = d.get("data_base64") {
        let n = data.len();
        d.insert("data_base64".into(), json!(format!("<{n} base64 characters>")));
    }
    serde_json::to_string(&d).unwrap_or_default()
}

async fn load_list(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object_up_to(&headers, &body, false, MAX_KYC_BODY_BYTES).unwrap_or_default();
    let target = match m.get("name").and_then(Value::as_str) {
        Some(n) => format!("sanctions_list:{}", n.chars().take(LIST_NAME_MAX_CHARS).collect::<String>()),
        None => "sanctions_list:?".into(),
    };
    let act = Action { web: &web, staff: &s, action: "screening.list.load", target };
    act.run_detail(LISTS, load_detail(&m), || async {
        body::object_up_to(&headers, &body, false, MAX_KYC_BODY_BYTES)?;
        let name = list_name(&m)?;
        let format = match body::str(&m, "format")? {
            f @ ("un_xml" | "csv" | "ofac_sdn_csv") => f.to_string(),
            _ => return Err(WebError::invalid("format", "format must be un_xml, csv or ofac_sdn_csv")),
        };
        let data = base64::engine::general_purpose::STANDARD
            .decode(body::str(&m, "data_base64")?.trim())
            .map_err(|e| WebError::invalid("data_base64", format!("data_base64 is not base64: {e}")))?;
        body::reason(&m)?;
        if data.is_empty() {
            return Err(WebError::invalid("data_base64", "the list file is empty"));
        }
        let sha256 = hex::encode(Sha256::digest(&data));
        let parse = match format.as_str() {
            "un_xml" => parse_un_xml,
            "ofac_sdn_csv" => parse_ofac_sdn_csv,
            _ => parse_csv_list,
        };
        let entries = tokio::task::spawn_blocking(move || parse(&data))
            .await
            .map_err(WebError::internal)?
            .map_err(|e| WebError::invalid("data_base64", format!("the list file could not be read: {e}")))?;
        if entries.is_empty() {
            return Err(WebError::invalid("data_base64", "the list has no entries"));
        }
        let rows = entries
            .iter()
            .map(|e| {
                Ok(SanctionsEntryRow {
                    entity_id: e.entity_id.clone(),
                    version: u64::from(e.version),
                    entry: serde_json::to_string(e).map_err(WebError::internal)?,
                    addresses: e.addresses.iter().map(|a| (a.currency.clone(), a.address.clone())).collect(),
                })
            })
            .collect::<WebResult<Vec<_>>>()?;
        let new = NewSanctionsList { name: name.clone(), format, sha256: sha256.clone(), loaded_by: s.row.id, loaded_ms: web.gateway.now_ms() };
        let (list, replaced) = match web.store.load_sanctions_list(&new, &rows).await? {
            ListLoad::AlreadyActive(l) => return Err(WebError::conflict(format!("this file is already the active list {:?} (list {})", l.name, l.id))),
            ListLoad::Loaded { list, replaced } => (list, replaced),
        };
        screening::cache_loaded(&list, replaced, entries);
        let done = screening::rescreen_all(&web).await?;
        Ok(json!({"list": list_json(&list), "rescreened": done.customers, "new_hits": done.new_hits, "complete": done.complete}))
    })
    .await
}

async fn hits(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(HITS_READ)?;
    let status = match q.get("status").map(String::as_str).filter(|s| !s.is_empty()) {
        None | Some("open") => Some("open"),
        Some("cleared") => Some("cleared"),
        Some("confirmed") => Some("confirmed"),
        Some("all") => None,
        Some(_) => return Err(WebError::invalid("status", "status must be open, cleared, confirmed or all")),
    };
    let rows = web.store.screening_hits(status, HITS_LISTED).await?;
    Ok(Json(json!({"hits": rows.iter().map(hit_json).collect::<Vec<_>>()})))
}

/// The hit named in the path, open (a decided one → 409, none → 404).
async fn open_hit(web: &Web, id: &str) -> WebResult<ScreeningHitRow> {
    let n: u64 = id.parse().map_err(|_| WebError::not_found(format!("no screening hit {id}")))?;
    let hit = web.store.screening_hit(n).await?.ok_or_else(|| WebError::not_found(format!("no screening hit {n}")))?;
    if hit.status != "open" {
        return Err(WebError::conflict(format!("screening hit {n} is already {}", hit.status)));
    }
    Ok(hit)
}

fn decided(d: HitDecision, id: u64) -> WebResult<(ScreeningHitRow, String)> {
    match d {
        HitDecision::Decided { hit, screening_status } => Ok((hit, screening_status)),
        HitDecision::AlreadyDecided(h) => Err(WebError::conflict(format!("screening hit {id} is already {}", h.status))),
        HitDecision::NotFound => Err(WebError::not_found(format!("no screening hit {id}"))),
    }
}

async fn clear(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "screening.clear", target: format!("screening_hit:{id}") };
    act.run(HITS_DECIDE, &m, || async {
        body::object(&headers, &body, false)?;
        let reason = body::reason(&m)?;
        let hit = open_hit(&web, &id).await?;
        // The clearance as onboarding defines it (who, why, which revision): checked here.
        let as_hit = talat_onboarding::Hit {
            list: hit.list_name.clone(),
            entity_id: hit.entity_id.clone(),
            version: u32::try_from(hit.entity_version).map_err(WebError::internal)?,
            score: hit.score_milli as f64 / 1000.0,
            matched_name: hit.matched_name.clone(),
            reasons: Vec::new(),
        };
        Clearance::for_hit(&hit.account_id.to_string(), &as_hit, &s.row.id.to_string(), &reason).map_err(|e| WebError::invalid("reason", e.to_string()))?;
        let (hit, status) = decided(web.store.clear_screening_hit(hit.id, s.row.id, &reason, web.gateway.now_ms()).await?, hit.id)?;
        Ok(json!({"hit": hit_json(&hit), "screening_status": status}))
    })
    .await
}

async fn confirm(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "screening.confirm", target: format!("screening_hit:{id}") };
    act.run(HITS_DECIDE, &m, || async {
        body::object(&headers, &body, false)?;
        let reason = body::reason(&m)?;
        let hit = open_hit(&web, &id).await?;
        let account = web
            .store
            .web_account(hit.account_id)
            .await?
            .ok_or_else(|| WebError::conflict(format!("the account {} of this hit no longer exists", hit.account_id)))?;
        let (hit, status) = decided(web.store.confirm_screening_hit(hit.id, s.row.id, &reason, web.gateway.now_ms()).await?, hit.id)?;
        // The decision is stored; now the lock (as the console's user lock does it): the engine
        // refuses trading and every withdrawal. Already locked: the limits are frozen already.
        let mut seq = Value::Null;
        if !account.locked {
            let saved = serde_json::to_string(&TierLimits::default()).map_err(WebError::internal)?;
            let result = submit_admin(&web, Command::SetTierLimits { user: account.user, limits: super::levels::frozen_limits(&web) }).await.map_err(|e| {
                WebError { message: format!("the hit is confirmed but locking the account failed ({}); lock it from the users page", e.message), ..e }
            })?;
            web.store.set_web_account_lock(account.id, true, Some(&saved)).await?;
            seq = result["seq"].clone();
        }
        let account = web.store.web_account(account.id).await?.ok_or_else(|| WebError::internal("the account vanished"))?;
        Ok(json!({"hit": hit_json(&hit), "screening_status": status, "account": account_json(&account), "seq": seq}))
    })
    .await
}
