//! Paying an approved incident: its preview's credits as `Compensate` commands, one per
//! (incident, customer, class) with the reference `comp:<incident>:<user>:<class>`. The engine
//! applies a reference once (a second submission answers `Duplicate`), so approving twice, a
//! retry after a crash or two approvers racing all credit once.

use super::evidence::Preview;
use crate::error::WebResult;
use crate::Web;
use talat_core::{Amount, AssetId, Command, ExternalId, UserId};
use talat_store::CompCreditRow;

pub fn reference(incident: u64, user: u64, class: &str) -> String {
    format!("comp:{incident}:{user}:{class}")
}

/// The credits `preview` orders, paid in `asset`.
pub fn credits_of(incident: u64, asset: AssetId, preview: &Preview) -> Vec<CompCreditRow> {
    preview
        .assessments
        .iter()
        .flat_map(|a| {
            a.credits.iter().map(move |c| CompCreditRow {
                reference: reference(incident, a.user, c.class.as_str()),
                incident_id: incident,
                user: a.user,
                asset_id: asset.0 as u32,
                class: c.class.as_str().into(),
                amount: c.amount,
                created_ms: 0,
                submitted_ms: None,
                completed_ms: None,
            })
        })
        .collect()
}

/// Submits every credit of `incident` the engine has not applied yet; returns how many were
/// submitted and the first error (the rest are left pending for the next approval call).
pub async fn submit_pending(web: &Web, incident: u64) -> WebResult<(usize, Option<String>)> {
    let credits = web.store.comp_credits_of_incident(incident).await?;
    let mut sent = 0;
    for c in credits.iter().filter(|c| c.completed_ms.is_none()) {
        let command = Command::Compensate {
            user: UserId(c.user as u32),
            asset: AssetId(c.asset_id as u16),
            amount: Amount(c.amount),
            reference: ExternalId(c.reference.clone()),
        };
        if let Err(e) = web.gateway.execute(command).await {
            return Ok((sent, Some(format!("{}: {e:?}", c.reference))));
        }
        web.store.comp_mark_submitted(&c.reference, web.gateway.now_ms()).await?;
        sent += 1;
    }
    Ok((sent, None))
}
