//! Paying an approved incident: its preview's credits as `Compensate` commands, one per
//! (incident, customer, class) with the reference `comp:<incident>:<user>:<class>`. The engine
//! applies a reference once (a second submission answers `Duplicate`), so approving twice, a
//! retry after a crash or two approvers racing all credit once.

use super::evidence::Preview;
use crate::error::WebResult;
use crate::Web;
use std::sync::Arc;
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

/// Credits in flight at once: enough to fill a batch of the sequencer (one fdatasync pays for
/// many), few enough never to fill its money-out lane.
const IN_FLIGHT: usize = 64;

/// Submits every credit of `incident` the engine has not applied yet, [`IN_FLIGHT`] at a time;
/// returns how many were applied and the first error (the rest stay pending for the next
/// approval call, which submits them again: the engine applies each reference once).
pub async fn submit_pending(web: &Arc<Web>, incident: u64) -> WebResult<(usize, Option<String>)> {
    let credits = web.store.comp_credits_of_incident(incident).await?;
    let mut pending = credits.into_iter().filter(|c| c.completed_ms.is_none());
    let mut running = tokio::task::JoinSet::new();
    let (mut sent, mut error) = (0, None);
    loop {
        while error.is_none() && running.len() < IN_FLIGHT {
            let Some(c) = pending.next() else { break };
            let web = Arc::clone(web);
            running.spawn(async move {
                let command = Command::Compensate {
                    user: UserId(c.user as u32),
                    asset: AssetId(c.asset_id as u16),
                    amount: Amount(c.amount),
                    reference: ExternalId(c.reference.clone()),
                };
                match web.gateway.execute(command).await {
                    Ok(_) => web.store.comp_mark_submitted(&c.reference, web.gateway.now_ms()).await.map_err(|e| format!("{}: {e}", c.reference)),
                    Err(e) => Err(format!("{}: {e:?}", c.reference)),
                }
            });
        }
        match running.join_next().await {
            None => break,
            Some(Ok(Ok(()))) => sent += 1,
            Some(Ok(Err(e))) => error = error.or(Some(e)),
            Some(Err(e)) => error = error.or(Some(e.to_string())),
        }
    }
    Ok((sent, error))
}
