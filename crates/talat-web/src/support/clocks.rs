//! A ticket's two SLA clocks (first response, resolution) from what the store recorded: the
//! creation time, the stop times and the status history. The rules — business hours, targets,
//! what counts as paused, what stops which clock — are `talat-support`'s (`tickets`); this
//! module only gathers the facts.

use serde_json::{json, Value};
use talat_store::{EventRow, TicketRow};
use talat_support::calendar::BusinessCalendar;
use talat_support::lifecycle::TicketStatus;
use talat_support::sla::{Category, ClockState, ClockStatus, Priority, SlaPolicy};
use talat_support::tickets::{still_intervals, ClockSpec, ComplaintDates, StatusChange, TicketFacts};

/// The intervals in which the ticket's clocks stood still, from its status events (oldest
/// first); which statuses those are is `talat-support`'s rule.
pub fn pauses(events: &[EventRow]) -> Vec<(u64, Option<u64>)> {
    let status = |s: &Option<String>| s.as_deref().and_then(|s| TicketStatus::parse(s).ok());
    still_intervals(events.iter().filter(|e| e.kind == "status").map(|e| StatusChange { at_ms: e.ts_ms, from: status(&e.from_state), to: status(&e.to_state) }))
}

/// Both clocks of a ticket at `now_ms`.
pub struct Clocks {
    pub first_response: ClockStatus,
    pub resolution: ClockStatus,
    pub first_response_target_min: u32,
    pub resolution_target_min: u32,
}

/// The ticket's row and events as `talat-support` reads them.
fn facts(t: &TicketRow, events: &[EventRow]) -> TicketFacts {
    let complaint = t.complaint_status.as_ref().and(t.complaint_received_ms).map(|received_ms| ComplaintDates {
        received_ms,
        acknowledged_ms: t.complaint_acknowledged_ms,
        closed_ms: t.complaint_closed_ms,
    });
    TicketFacts {
        priority: Priority::parse(&t.priority).unwrap_or(Priority::Normal),
        category: Category::parse(&t.category).unwrap_or(Category::Other),
        status: TicketStatus::parse(&t.status).ok(),
        created_ms: t.created_ms,
        first_response_ms: t.first_response_ms,
        resolved_ms: t.resolved_ms,
        closed_ms: t.closed_ms,
        complaint,
        still: pauses(events),
    }
}

pub fn clocks(calendar: &BusinessCalendar, policy: &SlaPolicy, t: &TicketRow, events: &[EventRow], now_ms: u64) -> Clocks {
    let specs = policy.ticket_clocks(&facts(t, events));
    let status = |spec: &ClockSpec| {
        spec.status(calendar, policy.escalate_at_pct, now_ms).unwrap_or_else(|e| {
            // Facts come from our own append-only history: inconsistent ones are a bug, but a
            // console must still render; say so loudly and show the clock as breached.
            tracing::error!("support: ticket {} has inconsistent clock facts: {e}", t.id);
            ClockStatus { state: ClockState::Breached, elapsed_business_ms: 0, remaining_business_ms: 0, used_pct: 0, due_ms: None, breached_at_ms: None }
        })
    };
    Clocks {
        first_response: status(&specs.first_response),
        resolution: status(&specs.resolution),
        first_response_target_min: specs.first_response.target_min,
        resolution_target_min: specs.resolution.target_min,
    }
}

fn state_word(s: &ClockState) -> &'static str {
    match s {
        ClockState::Running => "running",
        ClockState::Paused => "paused",
        ClockState::AtRisk => "at_risk",
        ClockState::Met => "met",
        ClockState::Breached => "breached",
    }
}

pub fn clock_json(c: &ClockStatus, target_min: u32) -> Value {
    json!({
        "state": state_word(&c.state),
        "target_min": target_min,
        "elapsed_min": c.elapsed_business_ms / 60_000,
        "remaining_min": c.remaining_business_ms / 60_000,
        "due_ms": c.due_ms,
    })
}

pub fn clocks_json(c: &Clocks) -> Value {
    json!({
        "first_response": clock_json(&c.first_response, c.first_response_target_min),
        "resolution": clock_json(&c.resolution, c.resolution_target_min),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_event(ts_ms: u64, from: &str, to: &str) -> EventRow {
        EventRow {
            id: 0,
            ticket_id: 1,
            ts_ms,
            actor: "staff".into(),
            actor_id: 1,
            kind: "status".into(),
            from_state: Some(from.into()),
            to_state: Some(to.into()),
            detail: String::new(),
        }
    }

    #[test]
    fn waiting_on_the_customer_and_resolved_pause_the_clocks() {
        let events = vec![
            status_event(10, "open", "waiting_customer"),
            status_event(20, "waiting_customer", "open"),
            status_event(30, "open", "resolved"),
            status_event(40, "resolved", "open"),
            status_event(50, "open", "waiting_customer"),
        ];
        assert_eq!(pauses(&events), vec![(10, Some(20)), (30, Some(40)), (50, None)]);
    }
}
