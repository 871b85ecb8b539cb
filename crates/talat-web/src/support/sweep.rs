//! The support sweep, every minute: a ticket whose clock passes its escalation point is
//! escalated once (an event, priority one step up, a mail to the support lead); a clock that
//! breaches is recorded as breached (what the dashboard counts); a ticket resolved a quiet week
//! ago is closed. Each is one conditional change, so a sweep racing a staff member's action
//! simply leaves that ticket to the next sweep. What to do is `talat-support`'s decision
//! (`SlaPolicy::sweep`, the ticket lifecycle); this module loads the rows, asks, and writes.

use super::clocks::clocks;
use super::view::{event, status_event};
use crate::Web;
use std::sync::Arc;
use std::time::Duration;
use talat_store::{NewMail, Set, TicketChange, TicketRow};
use talat_support::lifecycle::{ticket_next, Actor, TicketEvent, TicketStatus};
use talat_support::sla::Priority;
use talat_support::tickets::{Clock, Escalation, Recorded};

pub const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Most tickets one sweep looks at, and most it closes.
pub const MAX_SWEPT: i64 = 5_000;
pub const MAX_CLOSED: i64 = 500;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub escalated: u64,
    pub breached: u64,
    pub closed: u64,
}

pub async fn sweep(web: &Web) -> Result<Swept, talat_store::StoreError> {
    sweep_at(web, web.gateway.now_ms()).await
}

/// [`sweep`] as of `now_ms` (tests move time forward this way).
pub async fn sweep_at(web: &Web, now_ms: u64) -> Result<Swept, talat_store::StoreError> {
    let mut done = Swept::default();
    for t in web.store.unresolved_tickets(MAX_SWEPT).await? {
        let change = clock_change(web, &t, now_ms, &mut done).await?;
        if !change.set.is_empty() && !web.store.change_ticket(&change).await? {
            tracing::debug!("support sweep: ticket {} changed meanwhile; next sweep", t.id);
        }
    }
    done.closed = close_resolved(web, now_ms).await?;
    Ok(done)
}

/// What the ticket's clocks call for (`talat-support` decides: an escalation, breaches), as one
/// conditional change; counted in `done`.
async fn clock_change(web: &Web, t: &TicketRow, now_ms: u64, done: &mut Swept) -> Result<TicketChange, talat_store::StoreError> {
    let cfg = &web.config.support;
    let events = web.store.ticket_events(t.id).await?;
    let c = clocks(&cfg.calendar, &cfg.policy, t, &events, now_ms);
    let recorded = Recorded {
        escalated: t.escalated_ms.is_some(),
        first_response_breached: t.first_response_breached_ms.is_some(),
        resolution_breached: t.resolution_breached_ms.is_some(),
    };
    let priority = Priority::parse(&t.priority).unwrap_or(Priority::Normal);
    let actions = cfg.policy.sweep(priority, &c.first_response, &c.resolution, recorded, now_ms);
    let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms, ..Default::default() };
    if let Some(escalation) = actions.escalation {
        escalate(web, t, escalation, &mut change);
        done.escalated += 1;
    }
    for breach in actions.breaches {
        let column = match breach.clock {
            Clock::FirstResponse => "first_response_breached_ms",
            Clock::Resolution => "resolution_breached_ms",
        };
        change.set.push((column, Set::Int(breach.at_ms)));
        change.events.push(event("system", 0, "breached", None, None, breach.clock.phrase()));
        done.breached += 1;
    }
    Ok(change)
}

/// Records an escalation: the time, an event, the priority one step up, a mail to the lead.
fn escalate(web: &Web, t: &TicketRow, e: Escalation, change: &mut TicketChange) {
    let cfg = &web.config.support;
    let which = e.clock.phrase();
    change.set.push(("escalated_ms", Set::Int(change.now_ms)));
    change.events.push(event(
        "system",
        0,
        "escalated",
        Some(e.from.as_str()),
        Some(e.to.as_str()),
        format!("the {which} clock passed {} % of its target", e.at_pct),
    ));
    if e.to != e.from {
        change.set.push(("priority", Set::Text(e.to.as_str().into())));
    }
    change.mail.push(NewMail {
        kind: "ticket.escalated".into(),
        to_addr: cfg.lead_email.clone(),
        subject: format!("[{} #{}] escalated: {}", cfg.site_name, t.id, t.subject),
        body: format!(
            "Ticket #{} ({}, now {}) is close to breaching its {which} target.\nOpen it in the console under Support.",
            t.id,
            t.category,
            e.to.as_str()
        ),
    });
}

/// Closes tickets resolved long enough ago (when the lifecycle lets the system close them).
async fn close_resolved(web: &Web, now_ms: u64) -> Result<u64, talat_store::StoreError> {
    let rules = &web.config.support.ticket_rules;
    let mut closed = 0;
    for t in web.store.resolved_before(now_ms.saturating_sub(rules.auto_close_at_ms(0)), MAX_CLOSED).await? {
        if ticket_next(rules, TicketStatus::Resolved, TicketEvent::AutoClosed, Actor::System, t.resolved_ms, now_ms).is_err() {
            continue;
        }
        let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms, ..Default::default() };
        change.set.push(("status", Set::Text("closed".into())));
        change.set.push(("closed_ms", Set::Int(now_ms)));
        change.events.extend(status_event("system", 0, &t.status, "closed"));
        if web.store.change_ticket(&change).await? {
            closed += 1;
        }
    }
    Ok(closed)
}

/// Sweeps every `every` for as long as `web` lives (a weak reference, like the session sweeper).
pub fn spawn(web: &Arc<Web>, every: Duration) -> tokio::task::JoinHandle<()> {
    crate::spawn_periodic(web, every, |web| async move {
        match sweep(&web).await {
            Ok(s) if s == Swept::default() => {}
            Ok(s) => tracing::info!("support sweep: {} escalated, {} breached, {} closed", s.escalated, s.breached, s.closed),
            Err(e) => tracing::warn!("support sweep failed: {e}"),
        }
    })
}
