//! A KYC level as engine tier limits: the arithmetic is `talat_onboarding::levels::tier_limits`'s;
//! this module finds THB for it.
//!
//! A customer locked by compliance stays locked: the level is recorded and the new limits are
//! saved as what unlocking restores, but the engine's (frozen) limits are not lifted.

use crate::error::{WebError, WebResult};
use crate::Web;
use talat_core::{AssetId, Command, TierLimits};
use talat_onboarding::levels::{tier_limits, LevelEvidence, FIAT};
use talat_onboarding::KycLevel;
use talat_store::WebAccountRow;

/// The engine limits of `level`: one daily withdrawal budget in THB, which the engine values
/// every crypto withdrawal against at its last price.
pub fn limits_for(web: &Web, level: KycLevel) -> TierLimits {
    let (thb, scale) = thb_asset(web);
    tier_limits(&web.config.onboarding.levels, level, thb, scale)
}

/// Limits that refuse every withdrawal (and trading): a locked account.
pub fn frozen_limits(web: &Web) -> TierLimits {
    TierLimits::frozen(thb_asset(web).0, false)
}

/// THB's asset id and scale. Without a listed THB the budget is kept in asset 0: a zero budget
/// still refuses everything, and no level limit can be valued anyway.
fn thb_asset(web: &Web) -> (AssetId, u8) {
    let read = &web.gateway.read;
    read.assets().iter().find(|a| a.code == FIAT).and_then(|a| Some((read.asset_id(&a.code)?, a.scale))).unwrap_or((AssetId(0), 2))
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
