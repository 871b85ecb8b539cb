//! The support sweep, every minute: a ticket whose clock passes its escalation point is
//! escalated once (an event, priority one step up, a mail to the support lead); a clock that
//! breaches is recorded as breached (what the dashboard counts); a ticket resolved a quiet week
//! ago is closed. Each is one conditional change, so a sweep racing a staff member's action
//! simply leaves that ticket to the next sweep.

use super::clocks::clocks;
use super::view::{event, status_event};
use crate::Web;
use std::sync::Arc;
use std::time::Duration;
use talat_store::{NewMail, Set, TicketChange};
use talat_support::lifecycle::{ticket_next, Actor, TicketEvent, TicketStatus};
use talat_support::sla::{ClockState, Priority};

pub const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Most tickets one sweep looks at, and most it closes.
pub const MAX_SWEPT: i64 = 5_000;
pub const MAX_CLOSED: i64 = 500;

fn one_step_up(p: Priority) -> Priority {
    match p {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}

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
    let cfg = &web.config.support;
    let mut done = Swept::default();
    for t in web.store.unresolved_tickets(MAX_SWEPT).await? {
        let now = now_ms;
        let events = web.store.ticket_events(t.id).await?;
        let c = clocks(&cfg.calendar, &cfg.policy, &t, &events, now);
        let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms: now, ..Default::default() };
        let hot = |s: &ClockState| matches!(s, ClockState::AtRisk | ClockState::Breached);
        if t.escalated_ms.is_none() && (hot(&c.first_response.state) || hot(&c.resolution.state)) {
            let from = Priority::parse(&t.priority).unwrap_or(Priority::Normal);
            let to = one_step_up(from);
            change.set.push(("escalated_ms", Set::Int(now)));
            let which = if hot(&c.first_response.state) { "first response" } else { "resolution" };
            change.events.push(event(
                "system",
                0,
                "escalated",
                Some(from.as_str()),
                Some(to.as_str()),
                format!("the {which} clock passed {} % of its target", cfg.policy.escalate_at_pct),
            ));
            if to != from {
                change.set.push(("priority", Set::Text(to.as_str().into())));
            }
            change.mail.push(NewMail {
                kind: "ticket.escalated".into(),
                to_addr: cfg.lead_email.clone(),
                subject: format!("[{} #{}] escalated: {}", cfg.site_name, t.id, t.subject),
                body: format!(
                    "Ticket #{} ({}, now {}) is close to breaching its {which} target.\nOpen it in the console under Support.",
                    t.id,
                    t.category,
                    to.as_str()
                ),
            });
            done.escalated += 1;
        }
        for (clock, column, already) in [
            (&c.first_response, "first_response_breached_ms", t.first_response_breached_ms),
            (&c.resolution, "resolution_breached_ms", t.resolution_breached_ms),
        ] {
            if clock.state == ClockState::Breached && already.is_none() {
                change.set.push((column, Set::Int(clock.breached_at_ms.unwrap_or(now))));
                change.events.push(event("system", 0, "breached", None, None, column.trim_end_matches("_breached_ms").replace('_', " ")));
                done.breached += 1;
            }
        }
        if !change.set.is_empty() && !web.store.change_ticket(&change).await? {
            tracing::debug!("support sweep: ticket {} changed meanwhile; next sweep", t.id);
        }
    }
    let before = now_ms.saturating_sub(cfg.ticket_rules.auto_close_at_ms(0));
    for t in web.store.resolved_before(before, MAX_CLOSED).await? {
        let now = now_ms;
        let due = t.resolved_ms.is_some_and(|r| cfg.ticket_rules.auto_close_at_ms(r) <= now);
        let allowed = ticket_next(&cfg.ticket_rules, TicketStatus::Resolved, TicketEvent::AutoClosed, Actor::System, t.resolved_ms, now).is_ok();
        if !(due && allowed) {
            continue;
        }
        let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms: now, ..Default::default() };
        change.set.push(("status", Set::Text("closed".into())));
        change.set.push(("closed_ms", Set::Int(now)));
        change.events.extend(status_event("system", 0, &t.status, "closed"));
        if web.store.change_ticket(&change).await? {
            done.closed += 1;
        }
    }
    Ok(done)
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
