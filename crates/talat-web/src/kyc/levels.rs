//! A KYC level as engine tier limits at the current prices: the arithmetic is
//! `talat_onboarding::levels::tier_limits`'s; this module reads the assets and their last THB
//! prices for it.
//!
//! A customer locked by compliance stays locked: the level is recorded and the new limits are
//! saved as what unlocking restores, but the engine's (frozen) limits are not lifted.

use crate::error::{WebError, WebResult};
use crate::Web;
use talat_core::{Command, TierLimits};
use talat_onboarding::levels::{tier_limits, LevelEvidence, LimitAsset, FIAT};
use talat_onboarding::KycLevel;
use talat_store::WebAccountRow;

/// The engine limits of `level` at the current prices.
pub fn limits_for(web: &Web, level: KycLevel) -> TierLimits {
    let read = &web.gateway.read;
    let assets: Vec<LimitAsset> = read
        .assets()
        .iter()
        .filter_map(|spec| {
            let fiat = spec.code == FIAT;
            let thb_price = if fiat { None } else { thb_price(web, &spec.code) };
            Some(LimitAsset { id: read.asset_id(&spec.code)?, scale: spec.scale, fiat, thb_price })
        })
        .collect();
    tier_limits(&web.config.onboarding.levels, level, &assets)
}

/// The last traded price of `<code>_THB` (the opening price before the first trade), with the
/// market's price scale.
fn thb_price(web: &Web, code: &str) -> Option<(u64, u8)> {
    let state = web.gateway.read.market_by_symbol(&format!("{code}_{FIAT}"))?;
    let m = state.read();
    let price = m.last_price.or(m.info.spec.opening_price.map(|p| p.0))?;
    Some((price, m.info.spec.price_scale))
}

/// Sets the engine's tier limits of `level` for the account's user (a journaled
/// `SetTierLimits`) and records the level on the account.
pub async fn apply(web: &Web, account: &WebAccountRow, level: KycLevel) -> WebResult<()> {
    let limits = limits_for(web, level);
    // The latest state: a lock may have happened since the caller read the account.
    let current = web.store.web_account(account.id).await?.ok_or_else(|| WebError::not_found("no such account"))?;
    if current.locked {
        let saved = serde_json::to_string(&limits).map_err(WebError::internal)?;
        web.store.set_web_account_lock(current.id, true, Some(&saved)).await?;
    } else {
        web.gateway.execute(Command::SetTierLimits { user: current.user, limits }).await?;
    }
    web.store.set_kyc_level(current.id, u8::from(level)).await?;
    Ok(())
}

/// What the account has proven so far, from the store.
pub async fn evidence(web: &Web, account: &WebAccountRow) -> WebResult<LevelEvidence> {
    let apps = web.store.kyc_applications_of_account(account.id).await?;
    let l1 = apps.iter().find(|a| a.level == 1 && a.status == "approved");
    let fatca_declared = l1.and_then(|a| serde_json::from_str::<serde_json::Value>(&a.data).ok()).is_some_and(|d| d["fatca_us_person"].is_boolean());
    let knowledge_test_passed = super::knowledge::knowledge_state(web, account.id).await?.is_some_and(|k| k["passed"] == true);
    Ok(LevelEvidence {
        email_verified: account.email_verified_ms.is_some(),
        identity_verified: l1.is_some(),
        fatca_declared,
        knowledge_test_passed,
        income_or_asset_documents_accepted: apps.iter().any(|a| a.level == 2 && a.status == "approved"),
    })
}

/// Raises the account to the level its evidence supports, if that is higher than its current
/// one (whichever of approval, knowledge test and email verification comes last does it).
/// Returns the level now in force.
pub async fn recompute(web: &Web, account_id: u64) -> WebResult<u8> {
    let account = web.store.web_account(account_id).await?.ok_or_else(|| WebError::not_found("no such account"))?;
    let ev = evidence(web, &account).await?;
    let Some(level) = KycLevel::from_evidence(&ev) else { return Ok(account.kyc_level) };
    if u8::from(level) > account.kyc_level {
        apply(web, &account, level).await?;
        return Ok(u8::from(level));
    }
    Ok(account.kyc_level)
}
