//! A KYC level as engine tier limits (stub: being written).

use crate::error::WebResult;
use crate::Web;
use talat_onboarding::KycLevel;
use talat_store::WebAccountRow;

/// Sets the engine's tier limits of `level` for the account's user (a journaled
/// `SetTierLimits`) and records the level on the account.
pub async fn apply(_web: &Web, _account: &WebAccountRow, _level: KycLevel) -> WebResult<()> {
    Ok(())
}
