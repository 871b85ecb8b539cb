//! A KYC level as engine tier limits: level 0 may not trade and may withdraw nothing; levels 1
//! and 2 may trade, with the daily withdrawal limits of `[onboarding.levels]`. The fiat limit is
//! THB (in satang at THB's scale); the crypto limit is a THB equivalent, turned into each
//! asset's own units at the asset's last THB price. Integers only.
//!
//! A customer locked by compliance stays locked: the level is recorded and the new limits are
//! saved as what unlocking restores, but the engine's (frozen) limits are not lifted.

use crate::error::{WebError, WebResult};
use crate::Web;
use talat_core::money::MAX_AMOUNT;
use talat_core::{Amount, Command, TierLimits};
use talat_onboarding::levels::LevelEvidence;
use talat_onboarding::KycLevel;
use talat_store::WebAccountRow;

/// The fiat currency of the limits table.
pub const FIAT: &str = "THB";

/// The engine limits of `level` at the current prices.
pub fn limits_for(web: &Web, level: KycLevel) -> TierLimits {
    let read = &web.gateway.read;
    let table = web.config.onboarding.levels.limits_for(level);
    let assets = read.assets();
    let mut daily = Vec::new();
    for spec in &assets {
        let Some(id) = read.asset_id(&spec.code) else { continue };
        if level == KycLevel::L0 {
            daily.push((id, Amount(0)));
            continue;
        }
        let units = if spec.code == FIAT {
            u128::from(table.fiat_withdraw_thb_per_day) * 10u128.pow(u32::from(spec.scale))
        } else {
            match thb_price(web, &spec.code) {
                // limit (whole THB) / price (price units of THB per whole coin), in the coin's
                // smallest units: thb × 10^price_scale × 10^base_scale / price.
                Some((price, price_scale)) if price > 0 => {
                    u128::from(table.crypto_withdraw_thb_equiv_per_day) * 10u128.pow(u32::from(price_scale)) * 10u128.pow(u32::from(spec.scale))
                        / u128::from(price)
                }
                // No THB price yet (no `<coin>_THB` market, or no trade and no opening price):
                // the asset is left out, which the engine reads as "no engine-side limit" —
                // the withdrawal path's own THB-equivalent check still applies. It is set the
                // next time the customer's level is applied.
                _ => continue,
            }
        };
        daily.push((id, Amount(u64::try_from(units).unwrap_or(u64::MAX).min(MAX_AMOUNT))));
    }
    TierLimits { can_trade: level.can_trade(), daily_withdrawal: daily }
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
