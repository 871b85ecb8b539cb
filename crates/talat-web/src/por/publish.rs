//! Publishing a proof-of-reserves report and rebuilding its tree for customers' proofs.
//!
//! What is owed: every engine user's available + held balance of every listed asset, in
//! listing order, read from the gateway's read model (never from the engine thread). The
//! read is user by user while trading goes on, so `as_of_ms` is when the read began and the
//! report is each user's balances at some instant within the read (a few milliseconds for a
//! million users), not one engine sequence number.
//!
//! Salts: each customer has one secret random salt, made once (`por_salts`). A report's salt
//! for the customer is derived from it and the report's `as_of_ms`, so salts are fresh per
//! publication (salted ids cannot be linked across reports, as docs/proof-of-reserves.md asks)
//! and yet every report's tree can be rebuilt from what is stored, with no salt per leaf.

use crate::error::{WebError, WebResult};
use crate::Web;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use talat_core::calendar;
use talat_core::{AssetId, UserId};
use talat_por::{Account, Salt, Tree, MAX_LEAVES};
use talat_store::{PorLeafRow, PorReportRow, MAX_POR_PAGE, POR_SALT_BYTES};

/// How often the daily job looks whether today's (Bangkok) report is still missing.
pub const DAILY_CHECK_EVERY: Duration = Duration::from_secs(60);
/// Bounds every paged read of salts or leaves: enough pages for [`MAX_LEAVES`] rows.
const MAX_PAGES: usize = MAX_LEAVES / MAX_POR_PAGE as usize + 2;
/// Domain separation of a report's salt from any other use of the customer's salt.
const SALT_DOMAIN: &[u8] = b"talat-por-report-salt";

/// Publication state, one per `Web`.
#[derive(Default)]
pub struct PorState {
    /// One publication at a time (the daily job and staff alike): salts and reports never race.
    publishing: tokio::sync::Mutex<()>,
    /// The latest report's tree (by report id): a proof then costs no query and no rebuild.
    /// Held across a rebuild so that concurrent proof requests rebuild once.
    tree: tokio::sync::Mutex<Option<(u64, Arc<Tree>)>>,
    /// The latest report (`Some(None)`: known to be none), read once: the public route costs
    /// no query per request.
    latest: parking_lot::Mutex<Option<Option<Arc<PorReportRow>>>>,
}

/// The report's salt for one customer: SHA-256(domain ‖ stored salt ‖ as_of_ms, 8 bytes BE).
pub fn report_salt(stored: &[u8; POR_SALT_BYTES], as_of_ms: u64) -> Salt {
    let mut h = Sha256::new();
    h.update(SALT_DOMAIN);
    h.update(stored);
    h.update(as_of_ms.to_be_bytes());
    h.finalize().into()
}

/// Every engine user's liabilities now: (user id, available + held per asset), users in id
/// order (ids are dense from 0), assets in listing order.
fn read_liabilities(web: &Web, asset_count: usize) -> Vec<(u64, Vec<u128>)> {
    let read = &web.gateway.read;
    let mut out = Vec::new();
    // Bounded: a tree holds at most MAX_LEAVES accounts (Tree::build refuses more by name).
    for id in 0..=MAX_LEAVES as u32 {
        let user = UserId(id);
        if !read.user_exists(user) {
            break;
        }
        let balances = (0..asset_count)
            .map(|a| {
                let b = read.balance(user, AssetId(a as u16));
                u128::from(b.available) + u128::from(b.held)
            })
            .collect();
        out.push((u64::from(id), balances));
    }
    out
}

/// Every stored salt, indexed by user id (users are dense, so a vector).
async fn stored_salts(web: &Web, user_count: usize) -> WebResult<Vec<Option<[u8; POR_SALT_BYTES]>>> {
    let mut salts = vec![None; user_count];
    let mut after = None;
    for _ in 0..MAX_PAGES {
        let page = web.store.por_salts_page(after, MAX_POR_PAGE).await?;
        for (user, salt) in &page {
            if let Some(slot) = salts.get_mut(*user as usize) {
                *slot = Some(*salt);
            }
        }
        after = page.last().map(|(u, _)| *u);
        if page.len() < MAX_POR_PAGE as usize {
            return Ok(salts);
        }
    }
    Err(WebError::internal("por_salts holds more rows than a tree can"))
}

/// Salts for every user: the stored ones, and new random ones for users without (stored
/// before they are used, so every published leaf's salt can be found again).
async fn salts_for(web: &Web, user_count: usize, now_ms: u64) -> WebResult<Vec<[u8; POR_SALT_BYTES]>> {
    let mut salts = stored_salts(web, user_count).await?;
    let missing: Vec<(u64, [u8; POR_SALT_BYTES])> = salts
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(user, _)| {
            let mut salt = [0u8; POR_SALT_BYTES];
            getrandom::getrandom(&mut salt).expect("the OS random source works");
            (user as u64, salt)
        })
        .collect();
    if !missing.is_empty() {
        let inserted = web.store.insert_por_salts(&missing, now_ms).await?;
        if inserted == missing.len() as u64 {
            for (user, salt) in missing {
                salts[user as usize] = Some(salt);
            }
        } else {
            // Someone else stored a salt for one of them first: theirs is the one kept.
            salts = stored_salts(web, user_count).await?;
        }
    }
    salts.into_iter().enumerate().map(|(user, s)| s.ok_or_else(|| WebError::internal(format!("no salt stored for user {user}")))).collect()
}

/// Builds and stores a report of what every user is owed now. `by`: the staff member, or
/// `None` for the daily job.
pub async fn publish(web: &Web, by: Option<u64>) -> WebResult<Arc<PorReportRow>> {
    let _one = web.por.publishing.lock().await;
    publish_locked(web, by).await
}

/// The daily job's pass: publishes unless a report of today (Bangkok) exists. `None` if it
/// did not need to.
pub async fn publish_if_due(web: &Web) -> WebResult<Option<Arc<PorReportRow>>> {
    let _one = web.por.publishing.lock().await;
    if !web.gateway.read.user_exists(UserId(0)) {
        return Ok(None); // nobody is owed anything yet
    }
    let today = calendar::bangkok_days(web.gateway.now_ms());
    if let Some(latest) = web.store.latest_por_report().await? {
        if calendar::bangkok_days(latest.as_of_ms) >= today {
            return Ok(None);
        }
    }
    publish_locked(web, None).await.map(Some)
}

async fn publish_locked(web: &Web, by: Option<u64>) -> WebResult<Arc<PorReportRow>> {
    let as_of_ms = web.gateway.now_ms();
    let codes: Vec<String> = web.gateway.read.assets().into_iter().map(|a| a.code).collect();
    let owed = read_liabilities(web, codes.len());
    if owed.is_empty() {
        return Err(WebError::conflict("nothing to publish: the exchange has no accounts yet"));
    }
    let salts = salts_for(web, owed.len(), as_of_ms).await?;
    let accounts: Vec<Account> = owed
        .iter()
        .zip(&salts)
        .map(|((id, balances), salt)| Account {
            id: *id,
            salt: report_salt(salt, as_of_ms),
            // Each is at most 2 × (2^64 − 1): an i128 always holds it, and the tree refuses
            // (by name) any above 2^64 − 1.
            balances: balances.iter().map(|&b| b as i128).collect(),
        })
        .collect();
    let build_codes = codes.clone();
    let tree = tokio::task::spawn_blocking(move || Tree::build(&build_codes, &accounts))
        .await
        .map_err(WebError::internal)?
        .map_err(|e| WebError::conflict(format!("the tree cannot be built: {e}")))?;
    let root = tree.root();
    let leaves: Vec<PorLeafRow> = owed
        .into_iter()
        .map(|(user_id, balances)| PorLeafRow {
            user_id,
            balances: balances.into_iter().map(|b| u64::try_from(b).expect("the tree refused any balance above 2^64 - 1")).collect(),
        })
        .collect();
    debug_assert_eq!(
        root.totals,
        (0..codes.len()).map(|a| leaves.iter().map(|l| u128::from(l.balances[a])).sum::<u128>()).collect::<Vec<_>>(),
        "the root's totals are the leaves' sums"
    );
    let mut row = PorReportRow {
        id: 0,
        as_of_ms,
        assets: codes,
        root_hash_hex: root.hash_hex.clone(),
        totals: root.totals.iter().map(u128::to_string).collect(),
        leaf_count: root.leaf_count,
        published_ms: web.gateway.now_ms(),
        published_by: by,
        reserves: None,
    };
    row.id = web.store.insert_por_report(&row, &leaves).await?;
    row.reserves = record_reserves(web, &row).await?;
    let row = Arc::new(row);
    *web.por.tree.lock().await = Some((row.id, Arc::new(tree)));
    *web.por.latest.lock() = Some(Some(Arc::clone(&row)));
    tracing::info!("proof of reserves: report {} published over {} accounts, root {}", row.id, row.leaf_count, row.root_hash_hex);
    Ok(row)
}

/// The assets side of a just-published report: each custody network's holdings on chain and
/// its hot address's signed message naming the report. A chain that cannot be read leaves the
/// report without it (logged), never unpublished: the liabilities side stands on its own.
async fn record_reserves(web: &Web, report: &PorReportRow) -> WebResult<Option<String>> {
    let Some(custody) = web.custody.get() else { return Ok(None) };
    let message =
        format!("talat proof of reserves: report {}, root {}, as of {}", report.id, report.root_hash_hex, calendar::bangkok_iso_datetime(report.as_of_ms));
    let reserves = match custody.reserves(&message).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("proof of reserves: report {} has no assets side: {e}", report.id);
            return Ok(None);
        }
    };
    let rows: Vec<Value> = reserves
        .iter()
        .map(|r| {
            json!({
                "network": r.network, "asset": r.asset, "hot_address": r.hot_address,
                "hot_units": r.hot_units.to_string(), "cold_units": r.cold_units.map(|u| u.to_string()),
                "deposit_units": r.deposit_units.to_string(), "total_units": r.total_units().to_string(),
                "message": r.message, "magic": r.magic, "signature": r.signature, "scheme": r.scheme,
                // Each cold address, for whoever holds the cold key to prove control of it
                // (the console's cold-proofs route attaches the signature, checked).
                "cold_addresses": r.cold.iter().map(|a| json!({"address": a.address, "units": a.units.to_string(), "proven": false})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let text = Value::Array(rows).to_string();
    web.store.set_por_reserves(report.id, &text).await?;
    Ok(Some(text))
}

/// Attaches a signature made offline by a cold address over `report_id`'s message, once it
/// is verified (BIP-137 on the Bitcoin family, EIP-191 on Ethereum's): the address is then
/// shown as proven in the report's JSON. A wrong signature, or an address the report does not
/// list, is refused and stores nothing.
pub async fn attach_cold_proof(web: &Web, report_id: u64, network: &str, address: &str, signature: &str, staff_id: u64) -> WebResult<PorReportRow> {
    let custody = web.custody.get().ok_or_else(|| WebError::not_found("no custody networks are served here"))?;
    let config = &custody.network(network).map_err(|e| WebError::invalid("network", e.to_string()))?.config;
    let mut report = web.store.por_report(report_id).await?.ok_or_else(|| WebError::not_found(format!("no report {report_id}")))?;
    let old = report.reserves.clone().ok_or_else(|| WebError::invalid("network", format!("report {report_id} has no assets side")))?;
    let mut rows: Vec<Value> = serde_json::from_str(&old).map_err(|e| WebError::internal(format!("report {report_id}'s assets side: {e}")))?;
    let row = rows
        .iter_mut()
        .find(|r| r["network"].as_str() == Some(config.network.as_str()))
        .ok_or_else(|| WebError::invalid("network", format!("report {report_id} lists no {} reserves", config.network)))?;
    let message = row["message"].as_str().unwrap_or_default().to_owned();
    let entry = row
        .get_mut("cold_addresses")
        .and_then(Value::as_array_mut)
        .and_then(|list| list.iter_mut().find(|a| a["address"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(address.trim()))))
        .ok_or_else(|| WebError::invalid("address", format!("{address} is not a cold address of report {report_id}'s {} reserves", config.network)))?;
    let stored_address = entry["address"].as_str().unwrap_or_default().to_owned();
    if !talat_custody::reserves::verify_control(config, &stored_address, &message, signature.trim()) {
        let scheme = if config.is_evm() { "an EIP-191 personal_sign signature (0x + 130 hex digits)" } else { "a BIP-137 signature (base64)" };
        return Err(WebError::invalid(
            "signature",
            format!("the signature does not prove control of {stored_address}: it must be {scheme} of the report's message by that address's key"),
        ));
    }
    entry["signature"] = json!(signature.trim());
    entry["proven"] = json!(true);
    entry["proven_by"] = json!(staff_id);
    entry["proven_ms"] = json!(web.gateway.now_ms());
    let new = Value::Array(rows).to_string();
    if !web.store.replace_por_reserves(report_id, &old, &new).await? {
        return Err(WebError::conflict("the report's assets side changed meanwhile; send the proof again"));
    }
    report.reserves = Some(new);
    let mut cache = web.por.latest.lock();
    if cache.as_ref().and_then(|c| c.as_ref()).is_some_and(|r| r.id == report_id) {
        *cache = Some(Some(Arc::new(report.clone())));
    }
    Ok(report)
}

/// The report's assets side against its liabilities, per network: amounts formatted in the
/// asset's scale, and whether the holdings cover what customers are owed of that asset.
fn reserves_json(report: &PorReportRow, scale_of: impl Fn(&str) -> u8) -> Value {
    let Some(rows) = report.reserves.as_deref().and_then(|t| serde_json::from_str::<Vec<Value>>(t).ok()) else { return Value::Null };
    let units = |v: &Value| v.as_str().and_then(|s| s.parse::<u128>().ok());
    let out: Vec<Value> = rows
        .into_iter()
        .map(|mut r| {
            let asset = r["asset"].as_str().unwrap_or_default().to_owned();
            let scale = scale_of(&asset);
            let owed = report.assets.iter().position(|a| *a == asset).and_then(|i| report.totals[i].parse::<u128>().ok());
            let held = units(&r["total_units"]);
            for (from, to) in [("hot_units", "hot"), ("cold_units", "cold"), ("deposit_units", "deposits"), ("total_units", "total")] {
                r[to] = units(&r[from]).map(|u| talat_core::money::format_units(u, scale)).into();
            }
            if let Some(cold) = r.get_mut("cold_addresses").and_then(Value::as_array_mut) {
                for a in cold {
                    a["amount"] = units(&a["units"]).map(|u| talat_core::money::format_units(u, scale)).into();
                }
            }
            r["liabilities"] = owed.map(|u| talat_core::money::format_units(u, scale)).into();
            r["covered"] = held.zip(owed).map(|(h, o)| h >= o).into();
            r
        })
        .collect();
    Value::Array(out)
}

/// The latest report, if any (cached after the first read; a publication replaces it).
pub async fn latest(web: &Web) -> WebResult<Option<Arc<PorReportRow>>> {
    if let Some(known) = web.por.latest.lock().clone() {
        return Ok(known);
    }
    let row = web.store.latest_por_report().await?.map(Arc::new);
    let mut cache = web.por.latest.lock();
    // A publication that finished meanwhile is newer than what was read.
    Ok(cache.get_or_insert(row).clone())
}

/// The tree of `report`, rebuilt from its stored leaves and salts unless it is the cached one.
/// The rebuilt root must be the published one: anything else is a corrupt store.
pub async fn tree_of(web: &Web, report: &PorReportRow) -> WebResult<Arc<Tree>> {
    let mut cached = web.por.tree.lock().await;
    if let Some((id, tree)) = cached.as_ref() {
        if *id == report.id {
            return Ok(Arc::clone(tree));
        }
    }
    let salts = stored_salts(web, usize::try_from(report.leaf_count).unwrap_or(usize::MAX).min(MAX_LEAVES)).await?;
    let mut accounts = Vec::with_capacity(report.leaf_count as usize);
    let mut after = None;
    for _ in 0..MAX_PAGES {
        let page = web.store.por_leaves_page(report.id, after, MAX_POR_PAGE).await?;
        for leaf in &page {
            let salt =
                salts.get(leaf.user_id as usize).copied().flatten().ok_or_else(|| WebError::internal(format!("no salt stored for user {}", leaf.user_id)))?;
            accounts.push(Account {
                id: leaf.user_id,
                salt: report_salt(&salt, report.as_of_ms),
                balances: leaf.balances.iter().map(|&b| i128::from(b)).collect(),
            });
        }
        after = page.last().map(|l| l.user_id);
        if page.len() < MAX_POR_PAGE as usize {
            break;
        }
    }
    if accounts.len() as u64 != report.leaf_count {
        return Err(WebError::not_found(format!("report {} no longer keeps its leaves (only the newest 31 reports do)", report.id)));
    }
    let codes = report.assets.clone();
    let tree = tokio::task::spawn_blocking(move || Tree::build(&codes, &accounts)).await.map_err(WebError::internal)?.map_err(WebError::internal)?;
    if !tree.root().hash_hex.eq_ignore_ascii_case(&report.root_hash_hex) {
        return Err(WebError::internal(format!("report {}: the stored leaves do not rebuild the published root", report.id)));
    }
    let tree = Arc::new(tree);
    *cached = Some((report.id, Arc::clone(&tree)));
    Ok(tree)
}

/// A report as JSON: the root as published (`talat_por::Root`'s shape, what a verifier
/// compares a proof with) and the totals with their codes, in units and formatted.
pub fn report_json(web: &Web, report: &PorReportRow) -> Value {
    let scales = web.gateway.read.assets();
    let totals: Vec<Value> = report
        .assets
        .iter()
        .zip(&report.totals)
        .map(|(code, units)| {
            let scale = scales.iter().find(|a| &a.code == code).map_or(0, |a| a.scale);
            let amount = units.parse::<u128>().map(|u| talat_core::money::format_units(u, scale)).unwrap_or_else(|_| units.clone());
            json!({"asset": code, "scale": scale, "units": units, "amount": amount})
        })
        .collect();
    json!({
        "id": report.id,
        "as_of_ms": report.as_of_ms,
        "as_of": calendar::bangkok_iso_datetime(report.as_of_ms),
        "published_ms": report.published_ms,
        "root": {
            "hash_hex": report.root_hash_hex,
            "totals": report.totals,
            "leaf_count": report.leaf_count,
            "assets": report.assets,
        },
        "totals": totals,
        "reserves": reserves_json(report, |code| scales.iter().find(|a| a.code == code).map_or(0, |a| a.scale)),
    })
}

/// Starts the daily job: every [`DAILY_CHECK_EVERY`], publishes if today's report is missing —
/// so once after Bangkok midnight, or a minute after start if today has none. Not at once: a
/// node just started (or promoted after a failover) serves its first orders before it reads
/// every balance and writes a report.
pub fn spawn(web: &Arc<Web>) {
    let started = std::time::Instant::now();
    crate::spawn_periodic(web, DAILY_CHECK_EVERY, move |web| async move {
        if started.elapsed() < DAILY_CHECK_EVERY {
            return;
        }
        if let Err(e) = publish_if_due(&web).await {
            tracing::warn!("proof of reserves: the daily report failed: {}", e.message);
        }
    });
}
