//! A ticket's two SLA clocks (first response, resolution) from what the store recorded: the
//! creation time, the stop times and the status history. The rules — business hours, targets,
//! what counts as paused — are `talat-support`'s; this module only gathers the facts.

use serde_json::{json, Value};
use talat_store::{EventRow, TicketRow};
use talat_support::calendar::BusinessCalendar;
use talat_support::sla::{clock_status, Category, ClockFacts, ClockState, ClockStatus, Priority, SlaPolicy, CALENDAR_DAY_MIN};

/// The statuses in which both clocks stand still: waiting on the customer, and resolved (a
/// reopened ticket's clock resumes where it stopped).
fn pausing(status: &str) -> bool {
    matches!(status, "waiting_customer" | "resolved" | "closed")
}

/// The paused intervals, from the ticket's status events (oldest first).
pub fn pauses(events: &[EventRow]) -> Vec<(u64, Option<u64>)> {
    let mut out: Vec<(u64, Option<u64>)> = Vec::new();
    for e in events.iter().filter(|e| e.kind == "status") {
        let (from, to) = (e.from_state.as_deref().unwrap_or(""), e.to_state.as_deref().unwrap_or(""));
        match (pausing(from), pausing(to)) {
            (false, true) => out.push((e.ts_ms, None)),
            (true, false) => {
                if let Some(last) = out.last_mut().filter(|p| p.1.is_none()) {
                    last.1 = Some(e.ts_ms.max(last.0));
                }
            }
            _ => {}
        }
    }
    out
}

/// Both clocks of a ticket at `now_ms`.
pub struct Clocks {
    pub first_response: ClockStatus,
    pub resolution: ClockStatus,
    pub first_response_target_min: u32,
    pub resolution_target_min: u32,
}

pub fn clocks(calendar: &BusinessCalendar, policy: &SlaPolicy, t: &TicketRow, events: &[EventRow], now_ms: u64) -> Clocks {
    let priority = Priority::parse(&t.priority).unwrap_or(Priority::Normal);
    let category = Category::parse(&t.category).unwrap_or(Category::Other);
    let targets = policy.targets(priority, category);
    let all_pauses = pauses(events);
    let facts = |started_ms: u64, stopped_ms: Option<u64>| {
        // Pauses after the stop do not matter; an open pause ends at the stop.
        let end = stopped_ms.unwrap_or(u64::MAX);
        let pauses: Vec<(u64, Option<u64>)> = all_pauses
            .iter()
            // A pause that began before this clock started (a complaint raised while the
            // ticket waited on the customer) counts from the clock's start.
            .filter(|(from, to)| *from < end && to.is_none_or(|t| t > started_ms))
            .map(|&(from, to)| (from.max(started_ms), to))
            .map(|(from, to)| match (to, stopped_ms) {
                (Some(to), Some(stop)) => (from, Some(to.min(stop))),
                (None, Some(stop)) => (from, Some(stop)),
                (to, None) => (from, to),
            })
            .collect();
        ClockFacts { started_ms, pauses, stopped_ms }
    };
    let status = |calendar: &BusinessCalendar, f: ClockFacts, target_min: u32| {
        clock_status(calendar, &f, target_min, policy.escalate_at_pct, now_ms).unwrap_or_else(|e| {
            // Facts come from our own append-only history: inconsistent ones are a bug, but a
            // console must still render; say so loudly and show the clock as breached.
            tracing::error!("support: ticket {} has inconsistent clock facts: {e}", t.id);
            ClockStatus { state: ClockState::Breached, elapsed_business_ms: 0, remaining_business_ms: 0, used_pct: 0, due_ms: None, breached_at_ms: None }
        })
    };
    let resolution_stop = if matches!(t.status.as_str(), "resolved" | "closed") { t.resolved_ms.or(t.closed_ms) } else { None };
    match (t.complaint_status.as_deref(), t.complaint_received_ms) {
        // A complaint runs on the regulator's clocks from its receipt: acknowledge within a
        // business day (an answer or the acknowledgement stops it), the outcome within 30
        // calendar days (a clock that never closes, paused only while waiting on the customer).
        (Some(_), Some(received_ms)) => {
            let ack_stop = [t.complaint_acknowledged_ms, t.first_response_ms.filter(|&f| f >= received_ms), t.complaint_closed_ms].into_iter().flatten().min();
            let ack_target = policy.complaint.acknowledge_business_min;
            let resolve_target = policy.complaint.resolve_days * CALENDAR_DAY_MIN;
            Clocks {
                first_response: status(calendar, facts(received_ms, ack_stop), ack_target),
                resolution: status(&BusinessCalendar::always_open(), facts(received_ms, t.complaint_closed_ms), resolve_target),
                first_response_target_min: ack_target,
                resolution_target_min: resolve_target,
            }
        }
        _ => Clocks {
            first_response: status(calendar, facts(t.created_ms, t.first_response_ms), targets.first_response_business_min),
            resolution: status(calendar, facts(t.created_ms, resolution_stop), targets.resolution_business_min),
            first_response_target_min: targets.first_response_business_min,
            resolution_target_min: targets.resolution_business_min,
        },
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
