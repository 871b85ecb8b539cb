//! Sanctions and PEP screening (docs/web-api.md, "Onboarding and KYC"); the console's routes are
//! `screening_console`'s.
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

use crate::error::{WebError, WebResult};
use crate::Web;
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use talat_onboarding::sanctions::matcher::ScreenError;
use talat_onboarding::{apply_clearances, screen, Clearance, Date, ListEntry, MatchConfig, PreparedList, Subject};
use talat_store::{ClearanceRow, NewScreeningHit, SanctionsListRow};

/// Customers read and screened per batch of a re-screening (one statement each).
pub const RESCREEN_BATCH: i64 = 500;
/// A re-screening stops after this many customers (the answer says `complete: false`); the
/// rest are screened at their next submission. Far above the expected customer base.
pub const RESCREEN_MAX_CUSTOMERS: u64 = 200_000;
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

/// A list just loaded: prepared into the cache at once, and the list it replaced dropped from it.
pub fn cache_loaded(list: &SanctionsListRow, replaced: Option<u64>, entries: Vec<ListEntry>) {
    if let Some(old) = replaced {
        cache().lock().retain(|(id, _), _| *id != old);
    }
    cache_put((list.id, list.sha256.clone()), Arc::new(PreparedList::new(entries)));
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
