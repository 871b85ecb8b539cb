//! One snapshot of the status page: each component measured now (with operators' overrides),
//! the incidents of the last 90 days with their updates, and the page status.

use crate::error::WebResult;
use crate::Web;
use talat_status::component::{measure, Signals, WatcherBeat};
use talat_status::page::page_status;
use talat_status::{Component, ComponentStatus, Impact, Incident, IncidentKind, IncidentUpdate, Override, PageStatus};
use talat_store::StatusIncidentRow;

pub(crate) struct Snapshot {
    pub now_ms: u64,
    pub components: Vec<Component>,
    pub incidents: Vec<Incident>,
    pub status: PageStatus,
    /// The resume under way: (last step done, next step).
    pub resume: Option<(&'static str, &'static str)>,
}

/// What talat measures now.
pub(crate) fn signals(web: &Web) -> Signals {
    let gw = &web.gateway;
    let now_ms = gw.now_ms();
    let venue = gw.read.venue();
    let (shed_recent, answered_recent) = gw.health.recent(now_ms);
    let store_behind_commands = gw.projector.as_ref().map_or(0, |p| gw.read.applied_seq().saturating_sub(p.projected_seq()));
    Signals {
        now_ms,
        markets: gw
            .read
            .markets()
            .iter()
            .map(|m| {
                let m = m.read();
                (m.info.spec.symbol.clone(), m.mode_name())
            })
            .collect(),
        funding: venue.funding,
        resuming: venue.resume.active(),
        engine_stopped: gw.sequencer.stop_reason().is_some(),
        shed_recent,
        answered_recent,
        ws_connections: gw.ws_connections.load(std::sync::atomic::Ordering::Relaxed) as u64,
        ws_capacity: gw.config.max_ws_connections as u64,
        store_behind_commands,
        watchers: gw
            .health
            .beats()
            .into_iter()
            .map(|(component, b)| WatcherBeat { component, last_ok_ms: b.last_ok_ms, interval_ms: b.interval_ms, stopped: b.stopped })
            .collect(),
    }
}

pub(crate) async fn overrides(web: &Web) -> WebResult<Vec<Override>> {
    Ok(web
        .store
        .status_overrides()
        .await?
        .into_iter()
        .filter_map(|o| Some(Override { status: ComponentStatus::parse(&o.status)?, component: o.component, reason: o.reason, set_ms: o.set_ms }))
        .collect())
}

pub(crate) async fn incident(web: &Web, row: StatusIncidentRow) -> WebResult<Incident> {
    let updates = web.store.status_updates_of(row.id).await?;
    Ok(Incident {
        id: row.id,
        kind: IncidentKind::parse(&row.kind).unwrap_or(IncidentKind::Incident),
        name: row.name,
        status: row.status,
        impact: Impact::parse(&row.impact).unwrap_or(Impact::None),
        components: row.components.split(',').filter(|c| !c.is_empty()).map(str::to_string).collect(),
        created_ms: row.created_ms,
        updated_ms: row.updated_ms,
        resolved_ms: row.resolved_ms,
        scheduled_for_ms: row.scheduled_for_ms,
        scheduled_until_ms: row.scheduled_until_ms,
        support_incident: row.support_incident_id,
        updates: updates.into_iter().map(|u| IncidentUpdate { id: u.id, status: u.status, body: u.body, created_ms: u.created_ms }).collect(),
    })
}

/// What the page reads from the store: overrides and the incidents of the history window.
pub(crate) struct Stored {
    overrides: Vec<Override>,
    incidents: Vec<Incident>,
    loaded_ms: u64,
    generation: u64,
}

/// The stored part is read again after a change made here, or after this long (a change made
/// by another node sharing the store): during a surge the page is read far more often than
/// staff write to it, and each read would otherwise cost a query per incident.
pub(crate) const STORED_TTL_MS: u64 = 5_000;

/// Staff changed an incident, an update or an override: the next read goes to the store.
pub(crate) fn changed(web: &Web) {
    web.status_generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

async fn stored(web: &Web, now_ms: u64) -> WebResult<std::sync::Arc<Stored>> {
    let generation = web.status_generation.load(std::sync::atomic::Ordering::Acquire);
    if let Some(s) = web.status_stored.lock().clone() {
        if s.generation == generation && now_ms.saturating_sub(s.loaded_ms) < STORED_TTL_MS {
            return Ok(s);
        }
    }
    let since_ms = now_ms.saturating_sub(talat_status::HISTORY_DAYS * talat_core::calendar::DAY_MS);
    let mut incidents = Vec::new();
    for row in web.store.status_incidents_since(since_ms, talat_store::MAX_STATUS_INCIDENTS).await? {
        incidents.push(incident(web, row).await?);
    }
    let fresh = std::sync::Arc::new(Stored { overrides: overrides(web).await?, incidents, loaded_ms: now_ms, generation });
    *web.status_stored.lock() = Some(fresh.clone());
    Ok(fresh)
}

pub(crate) async fn snapshot(web: &Web) -> WebResult<Snapshot> {
    let signals = signals(web);
    let stored = stored(web, signals.now_ms).await?;
    let components = measure(&signals, &stored.overrides);
    let incidents = stored.incidents.clone();
    let status = page_status(&components, &incidents);
    let resume = web.gateway.read.venue().resume;
    let resume = resume.last.map(|last| (last.name(), resume.expected().name()));
    Ok(Snapshot { now_ms: signals.now_ms, components, incidents, status, resume })
}
