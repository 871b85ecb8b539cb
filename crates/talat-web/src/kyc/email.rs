//! Email verification (stub: being written).

use crate::error::WebResult;
use crate::Web;
use talat_store::WebAccountRow;

/// Queues the verification mail for a new account (a fresh token; only its hash is stored).
pub async fn send_verification(_web: &Web, _account: &WebAccountRow) -> WebResult<()> {
    Ok(())
}
