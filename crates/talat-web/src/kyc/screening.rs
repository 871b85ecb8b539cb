//! Sanctions and PEP screening (docs/web-api.md, "Onboarding and KYC", console `screening/*`).
//!
//! * Lists: compliance loads a list file (UN XML or talat's CSV), parsed by `talat-onboarding`;
//!   the list and its entries are stored in one transaction that deactivates the previous list
//!   of the same name, and then every customer with KYC data is re-screened against all active
//!   lists ([`rescreen_all`]).
//! * [`screen_account`]: one customer against every active list. Hits cleared for this customer
//!   at the same entry version are dropped (a clearance lapses when the entry's version
//!   changes: `talat_onboarding::apply_clearances`); hits already open (or confirmed) for the
//!   same entry version are not stored twice; the account's live applications get the screening
//!   status `hit` (open hits), `cleared` (every hit cleared), `confirmed` or `clear`.
//! * Hits: compliance clears a false positive (remembered per customer, list, entry and entry
//!   version) or confirms a true match (the customer's applications are rejected and the
//!   account is locked: no trading, no withdrawals). Decisions are conditional on the hit still
//!   being open, so two reviewers cannot both decide it; the second gets 409.
//!
//! Prepared lists (names normalised once) are cached in memory, keyed by list id and file
//! SHA-256, rebuilt from the database on first use after a start and filled directly by a load,
//! so screening a customer never re-parses a list.

use crate::auth::{submit_admin, Action, Role, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::kyc::config::MAX_KYC_BODY_BYTES;
use crate::views::account_json;
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use talat_core::{Amount, Command, TierLimits};
use talat_onboarding::sanctions::csv::parse_csv_list;
use talat_onboarding::sanctions::matcher::ScreenError;
use talat_onboarding::sanctions::un_xml::parse_un_xml;
use talat_onboarding::{apply_clearances, screen, Clearance, Date, ListEntry, MatchConfig, PreparedList, Subject};
use talat_store::{ClearanceRow, HitDecision, ListLoad, NewSanctionsList, NewScreeningHit, SanctionsEntryRow, SanctionsListRow, ScreeningHitRow};

/// Who may read hits, decide them, and load or read lists (docs/web-api.md).
pub const HITS_READ: &[Role] = &[Role::Kyc, Role::Compliance, Role::Admin];
pub const HITS_DECIDE: &[Role] = &[Role::Compliance, Role::Admin];
pub const LISTS: &[Role] = &[Role::Compliance, Role::Admin];

/// Customers read and screened per batch of a re-screening (one statement each).
pub const RESCREEN_BATCH: i64 = 500;
/// A re-screening stops after this many customers (the answer says `complete: false`); the
/// rest are screened at their next submission. Far above the expected customer base.
pub const RESCREEN_MAX_CUSTOMERS: u64 = 200_000;
/// Longest list name, in characters.
pub const LIST_NAME_MAX_CHARS: usize = 64;
/// Most hits one listing returns.
pub const HITS_LISTED: i64 = 500;
/// Most prepared lists kept in memory (active lists are few; old ones age out).
const CACHE_MAX: usize = 32;

/// The outcome of screening one customer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScreeningOutcome {
    /// Hits recorded now and awaiting a reviewer (cleared false positives are not among them).
    pub open_hits: usize,
}

// ---- the prepared-list cache ------------------------------------------------------------------

type CacheKey = (u64, String);

fn cache() -> &'static Mutex<HashMap<CacheKey, Arc<PreparedList>>> {
    static CACHE: OnceLock<Mutex<HashMap<CacheKey, Arc<PreparedList>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn cache_put(key: CacheKey, list: Arc<PreparedList>) {
    let mut c = cache().lock();
    if c.len() >= CACHE_MAX {
        c.clear();
    }
    c.insert(key, list);
}

/// Every active list, prepared (from the cache, or read back from the database once).
pub async fn active_lists(web: &Web) -> WebResult<Vec<(SanctionsListRow, Arc<PreparedList>)>> {
    let mut out = Vec::new();
    for row in web.store.active_sanctions_lists().await? {
        let key = (row.id, row.sha256.clone());
        let cached = cache().lock().get(&key).cloned();
        let prepared = match cached {
            Some(p) => p,
            None => {
                let stored = web.store.sanctions_entries(row.id).await?;
                let list_id = row.id;
                let prepared = tokio::task::spawn_blocking(move || -> Result<PreparedList, String> {
                    let entries = stored
                        .iter()
                        .map(|e| serde_json::from_str::<ListEntry>(&e.entry).map_err(|err| format!("list {list_id} entry {}: {err}", e.entity_id)))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(PreparedList::new(entries))
                })
                .await
                .map_err(WebError::internal)?
                .map_err(WebError::internal)?;
                let prepared = Arc::new(prepared);
                cache_put(key, Arc::clone(&prepared));
                prepared
            }
        };
        out.push((row, prepared));
    }
    Ok(out)
}

// ---- screening --------------------------------------------------------------------------------

/// The screening subject of a KYC application's `data` (level-1 form): Latin and Thai names,
/// date of birth, nationality, ID or passport number. `None` without any name.
pub fn subject_from_data(data: &Value) -> Option<Subject> {
    let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let full = |first: &str, last: &str| {
        let parts: Vec<&str> = [text(first), text(last)].into_iter().flatten().collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    };
    let subject = Subject {
        latin_names: full("first_name_en", "last_name_en").into_iter().collect(),
        thai_names: full("first_name_th", "last_name_th").into_iter().collect(),
        dob: text("dob").and_then(|d| Date::parse_iso(d).ok()),
        nationality: text("nationality").map(str::to_owned),
        id_numbers: text("id_number").map(str::to_owned).into_iter().collect(),
    };
    (!subject.latin_names.is_empty() || !subject.thai_names.is_empty()).then_some(subject)
}

/// The hits of one customer still needing a reviewer: every active list's hits less those a
/// clearance of this customer covers at the entry's current version.
fn open_hits_for(
    account_id: u64,
    subject: &Subject,
    lists: &[(SanctionsListRow, Arc<PreparedList>)],
    clearances: &[ClearanceRow],
    config: &MatchConfig,
) -> Result<Vec<NewScreeningHit>, ScreenError> {
    let subject_id = account_id.to_string();
    let mut out = Vec::new();
    for (row, prepared) in lists {
        let hits = screen(subject, prepared, config)?;
        if hits.is_empty() {
            continue;
        }
        let cleared: Vec<Clearance> = clearances
            .iter()
            .filter(|c| c.account_id == account_id && c.list_name == row.name)
            .filter_map(|c| {
                Some(Clearance {
                    subject_id: subject_id.clone(),
                    entity_id: c.entity_id.clone(),
                    version: u32::try_from(c.entity_version).ok()?,
                    reviewer: c.staff_id.to_string(),
                    reason: c.reason.clone(),
                })
            })
            .collect();
        for h in apply_clearances(&subject_id, hits, &cleared).open {
            out.push(NewScreeningHit {
                list_name: row.name.clone(),
                entity_id: h.entity_id,
                entity_version: u64::from(h.version),
                score_milli: (h.score * 1000.0).round().clamp(0.0, 1000.0) as u64,
                matched_name: h.matched_name,
                reasons: serde_json::to_string(&h.reasons).unwrap_or_else(|_| "[]".into()),
            });
        }
    }
    Ok(out)
}

fn screen_error(e: ScreenError) -> WebError {
    match e {
        ScreenError::Threshold { .. } | ScreenError::Limit { .. } => WebError::internal(format!("onboarding.screening: {e}")),
        other => WebError::invalid("name", other.to_string()),
    }
}

/// Screens one customer against every active list, records new hits, and answers how many are
/// open for them.
pub async fn screen_account(web: &Web, account_id: u64, subject: &Subject) -> WebResult<ScreeningOutcome> {
    let lists = active_lists(web).await?;
    let clearances = web.store.screening_clearances_between(account_id, account_id).await?;
    let hits = open_hits_for(account_id, subject, &lists, &clearances, &web.config.onboarding.screening).map_err(screen_error)?;
    let recorded = web.store.record_screening(account_id, &hits, web.gateway.now_ms()).await?;
    Ok(ScreeningOutcome { open_hits: recorded.open as usize })
}

/// What a re-screening did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rescreened {
    pub customers: u64,
    pub new_hits: u64,
    /// False if [`RESCREEN_MAX_CUSTOMERS`] stopped it.
    pub complete: bool,
}

/// Screens every customer with KYC data (the latest level-1 application of each account) again
/// against every active list, in batches of [`RESCREEN_BATCH`], at most
/// [`RESCREEN_MAX_CUSTOMERS`]. A stored application whose data cannot be screened (no name) is
/// skipped.
pub async fn rescreen_all(web: &Web) -> WebResult<Rescreened> {
    let lists = Arc::new(active_lists(web).await?);
    let config = web.config.onboarding.screening;
    let mut done = Rescreened { complete: true, ..Default::default() };
    let mut after = 0u64;
    loop {
        if done.customers >= RESCREEN_MAX_CUSTOMERS {
            done.complete = false;
            tracing::warn!("sanctions re-screening stopped after {} customers", done.customers);
            break;
        }
        let room = (RESCREEN_MAX_CUSTOMERS - done.customers).min(RESCREEN_BATCH as u64) as i64;
        let batch = web.store.screening_subjects_after(after, room).await?;
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else { break };
        let clearances = web.store.screening_clearances_between(first.account_id, last.account_id).await?;
        after = last.account_id;
        done.customers += batch.len() as u64;
        let lists = Arc::clone(&lists);
        let found = tokio::task::spawn_blocking(move || {
            batch
                .iter()
                .filter_map(|s| {
                    let data: Value = serde_json::from_str(&s.data).ok()?;
                    let subject = subject_from_data(&data)?;
                    match open_hits_for(s.account_id, &subject, &lists, &clearances, &config) {
                        Ok(hits) if !hits.is_empty() => Some((s.account_id, hits)),
                        Ok(_) => None,
                        Err(e) => {
                            tracing::warn!("sanctions re-screening: account {}: {e}", s.account_id);
                            None
                        }
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(WebError::internal)?;
        let now = web.gateway.now_ms();
        for (account_id, hits) in found {
            done.new_hits += web.store.record_screening(account_id, &hits, now).await?.inserted;
        }
    }
    Ok(done)
}

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
            f @ ("un_xml" | "csv") => f.to_string(),
            _ => return Err(WebError::invalid("format", "format must be un_xml or csv")),
        };
        let data = base64::engine::general_purpose::STANDARD
            .decode(body::str(&m, "data_base64")?.trim())
            .map_err(|e| WebError::invalid("data_base64", format!("data_base64 is not base64: {e}")))?;
        body::reason(&m)?;
        if data.is_empty() {
            return Err(WebError::invalid("data_base64", "the list file is empty"));
        }
        let sha256 = hex::encode(Sha256::digest(&data));
        let is_xml = format == "un_xml";
        let entries = tokio::task::spawn_blocking(move || if is_xml { parse_un_xml(&data) } else { parse_csv_list(&data) })
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
                })
            })
            .collect::<WebResult<Vec<_>>>()?;
        let new = NewSanctionsList { name: name.clone(), format, sha256: sha256.clone(), loaded_by: s.row.id, loaded_ms: web.gateway.now_ms() };
        let list = match web.store.load_sanctions_list(&new, &rows).await? {
            ListLoad::AlreadyActive(l) => return Err(WebError::conflict(format!("this file is already the active list {:?} (list {})", l.name, l.id))),
            ListLoad::Loaded { list, replaced } => {
                if let Some(old) = replaced {
                    cache().lock().retain(|(id, _), _| *id != old);
                }
                list
            }
        };
        cache_put((list.id, list.sha256.clone()), Arc::new(PreparedList::new(entries)));
        let done = rescreen_all(&web).await?;
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
            let frozen = web.gateway.read.assets().iter().filter_map(|a| web.gateway.read.asset_id(&a.code)).map(|id| (id, Amount(0))).collect();
            let saved = serde_json::to_string(&TierLimits::default()).map_err(WebError::internal)?;
            let result = submit_admin(&web, Command::SetTierLimits { user: account.user, limits: TierLimits { can_trade: false, daily_withdrawal: frozen } })
                .await
                .map_err(|e| WebError {
                    message: format!("the hit is confirmed but locking the account failed ({}); lock it from the users page", e.message),
                    ..e
                })?;
            web.store.set_web_account_lock(account.id, true, Some(&saved)).await?;
            seq = result["seq"].clone();
        }
        let account = web.store.web_account(account.id).await?.ok_or_else(|| WebError::internal("the account vanished"))?;
        Ok(json!({"hit": hit_json(&hit), "screening_status": status, "account": account_json(&account), "seq": seq}))
    })
    .await
}
