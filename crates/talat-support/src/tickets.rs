//! A ticket's two SLA clocks (first response, resolution) from what was recorded about it, and
//! what the periodic sweep does when one runs hot: escalate the ticket once, record each breach
//! once.
//!
//! The caller reads the facts from its tables (the status history, creation, the first answer,
//! resolution, the complaint's dates) and passes "now"; everything here is a function of them.

use crate::calendar::BusinessCalendar;
use crate::lifecycle::TicketStatus;
use crate::sla::{clock_status, Category, ClockError, ClockFacts, ClockState, ClockStatus, Priority, SlaPolicy, CALENDAR_DAY_MIN};

/// One recorded status change of a ticket. A status this crate does not know is `None`: it
/// holds no clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    pub at_ms: u64,
    pub from: Option<TicketStatus>,
    pub to: Option<TicketStatus>,
}

/// The intervals in which a ticket's clocks stood still ([`TicketStatus::clocks_stand_still`]),
/// from its status changes, oldest first: `(begin, end)`, the last one possibly still open.
/// A change into such a status opens an interval; a change out of one closes the open interval.
pub fn still_intervals(changes: impl IntoIterator<Item = StatusChange>) -> Vec<(u64, Option<u64>)> {
    let still = |status: Option<TicketStatus>| status.is_some_and(TicketStatus::clocks_stand_still);
    let mut out: Vec<(u64, Option<u64>)> = Vec::new();
    for change in changes {
        match (still(change.from), still(change.to)) {
            (false, true) => out.push((change.at_ms, None)),
            (true, false) => {
                if let Some(last) = out.last_mut().filter(|p| p.1.is_none()) {
                    last.1 = Some(change.at_ms.max(last.0));
                }
            }
            _ => {}
        }
    }
    out
}

impl ClockFacts {
    /// The facts of a clock that started at `started_ms` and stopped at `stopped_ms` (if it
    /// has), given the ticket's [`still_intervals`]: intervals after the stop do not matter, an
    /// open one ends at the stop, and one that began before the start (a complaint raised while
    /// the ticket waited on the customer) counts from the start.
    pub fn within(started_ms: u64, stopped_ms: Option<u64>, still: &[(u64, Option<u64>)]) -> ClockFacts {
        let end = stopped_ms.unwrap_or(u64::MAX);
        let pauses = still
            .iter()
            .filter(|(from, to)| *from < end && to.is_none_or(|t| t > started_ms))
            .map(|&(from, to)| (from.max(started_ms), to))
            .map(|(from, to)| match (to, stopped_ms) {
                (Some(to), Some(stop)) => (from, Some(to.min(stop))),
                (None, Some(stop)) => (from, Some(stop)),
                (to, None) => (from, to),
            })
            .collect();
        ClockFacts { started_ms, pauses, stopped_ms }
    }
}

/// A complaint's dates, once a ticket is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplaintDates {
    pub received_ms: u64,
    pub acknowledged_ms: Option<u64>,
    /// When it was resolved or rejected.
    pub closed_ms: Option<u64>,
}

/// What a ticket's clocks are computed from, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFacts {
    pub priority: Priority,
    pub category: Category,
    /// The current status; `None` if it is not one this crate knows.
    pub status: Option<TicketStatus>,
    pub created_ms: u64,
    /// The first answer the customer could see.
    pub first_response_ms: Option<u64>,
    pub resolved_ms: Option<u64>,
    pub closed_ms: Option<u64>,
    pub complaint: Option<ComplaintDates>,
    /// The ticket's [`still_intervals`].
    pub still: Vec<(u64, Option<u64>)>,
}

/// What a clock counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// The business hours of the support calendar.
    BusinessHours,
    /// Every minute ([`BusinessCalendar::always_open`]): targets in calendar days.
    CalendarTime,
}

/// One clock of a ticket: its facts, its target in minutes, and what it counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockSpec {
    pub facts: ClockFacts,
    pub target_min: u32,
    pub counting: Counting,
}

impl ClockSpec {
    /// Where the clock stands at `now_ms` ([`clock_status`]); `calendar` gives the business hours.
    pub fn status(&self, calendar: &BusinessCalendar, escalate_at_pct: u8, now_ms: u64) -> Result<ClockStatus, ClockError> {
        match self.counting {
            Counting::BusinessHours => clock_status(calendar, &self.facts, self.target_min, escalate_at_pct, now_ms),
            Counting::CalendarTime => clock_status(&BusinessCalendar::always_open(), &self.facts, self.target_min, escalate_at_pct, now_ms),
        }
    }
}

/// A ticket's two clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketClocks {
    pub first_response: ClockSpec,
    pub resolution: ClockSpec,
}

/// Which of a ticket's two clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clock {
    FirstResponse,
    Resolution,
}

impl Clock {
    /// How the clock reads inside a sentence.
    pub fn phrase(self) -> &'static str {
        match self {
            Clock::FirstResponse => "first response",
            Clock::Resolution => "resolution",
        }
    }
}

/// What the sweep has already recorded on a ticket: each of these happens once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    pub escalated: bool,
    pub first_response_breached: bool,
    pub resolution_breached: bool,
}

/// Escalate the ticket: because `clock` passed `at_pct` % of its target, from `from` to `to`
/// (one step more urgent; an urgent ticket stays urgent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    pub clock: Clock,
    pub at_pct: u8,
    pub from: Priority,
    pub to: Priority,
}

/// Record that `clock` breached its target at `at_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breach {
    pub clock: Clock,
    pub at_ms: u64,
}

/// What one sweep does to one ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepActions {
    pub escalation: Option<Escalation>,
    /// First response first.
    pub breaches: Vec<Breach>,
}

impl SlaPolicy {
    /// A ticket's two clocks.
    ///
    /// An ordinary ticket's run on business hours from its creation, with its priority's (and
    /// category's) targets: the first response clock stops at the first answer, the resolution
    /// clock at the resolution while the ticket is resolved or closed.
    ///
    /// A complaint runs on the regulator's clocks from its receipt: acknowledge within
    /// [`ComplaintTargets::acknowledge_business_min`](crate::sla::ComplaintTargets) business
    /// minutes (an answer after the receipt, the acknowledgement or the closing stops it), the
    /// outcome within `resolve_days` calendar days (a clock only the closing stops).
    pub fn ticket_clocks(&self, t: &TicketFacts) -> TicketClocks {
        let facts = |started_ms: u64, stopped_ms: Option<u64>| ClockFacts::within(started_ms, stopped_ms, &t.still);
        let business = |facts: ClockFacts, target_min: u32| ClockSpec { facts, target_min, counting: Counting::BusinessHours };
        if let Some(c) = t.complaint {
            let answered_ms = t.first_response_ms.filter(|&f| f >= c.received_ms);
            let acknowledged_ms = [c.acknowledged_ms, answered_ms, c.closed_ms].into_iter().flatten().min();
            return TicketClocks {
                first_response: business(facts(c.received_ms, acknowledged_ms), self.complaint.acknowledge_business_min),
                resolution: ClockSpec {
                    facts: facts(c.received_ms, c.closed_ms),
                    target_min: self.complaint.resolve_days * CALENDAR_DAY_MIN,
                    counting: Counting::CalendarTime,
                },
            };
        }
        let targets = self.targets(t.priority, t.category);
        let resolved_ms = if t.status.is_some_and(TicketStatus::stops_clocks) { t.resolved_ms.or(t.closed_ms) } else { None };
        TicketClocks {
            first_response: business(facts(t.created_ms, t.first_response_ms), targets.first_response_business_min),
            resolution: business(facts(t.created_ms, resolved_ms), targets.resolution_business_min),
        }
    }

    /// What the sweep does at `now_ms` to a ticket of `priority` whose clocks stand at
    /// `first_response` and `resolution`, given what it `recorded` before.
    ///
    /// The ticket escalates once, one priority step, as soon as either clock is at risk (it has
    /// used [`SlaPolicy::escalate_at_pct`] % of its target) or breached; the reason names the
    /// first response clock if that one is hot. Each clock's breach is recorded once, at the
    /// instant its target ran out (`now_ms` if that is unknown).
    pub fn sweep(&self, priority: Priority, first_response: &ClockStatus, resolution: &ClockStatus, recorded: Recorded, now_ms: u64) -> SweepActions {
        let hot = |status: &ClockStatus| matches!(status.state, ClockState::AtRisk | ClockState::Breached);
        let escalation = match (hot(first_response), hot(resolution)) {
            _ if recorded.escalated => None,
            (true, _) => Some(Clock::FirstResponse),
            (false, true) => Some(Clock::Resolution),
            (false, false) => None,
        }
        .map(|clock| Escalation { clock, at_pct: self.escalate_at_pct, from: priority, to: priority.stricter() });
        let breaches =
            [(Clock::FirstResponse, first_response, recorded.first_response_breached), (Clock::Resolution, resolution, recorded.resolution_breached)]
                .into_iter()
                .filter(|(_, status, already)| status.state == ClockState::Breached && !already)
                .map(|(clock, status, _)| Breach { clock, at_ms: status.breached_at_ms.unwrap_or(now_ms) })
                .collect();
        SweepActions { escalation, breaches }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{HOUR_MS, MINUTE_MS};
    use crate::sla::BUSINESS_DAY_MIN;
    use talat_core::calendar::{bangkok_midnight_ms, days_from_civil, DAY_MS};
    use TicketStatus as S;

    /// UTC milliseconds of a Bangkok local time in March 2026.
    fn march(day: u8, hour: u64, minute: u64) -> u64 {
        bangkok_midnight_ms(days_from_civil(2026, 3, day)) + hour * HOUR_MS + minute * MINUTE_MS
    }

    fn change(at_ms: u64, from: S, to: S) -> StatusChange {
        StatusChange { at_ms, from: Some(from), to: Some(to) }
    }

    fn ticket(created_ms: u64) -> TicketFacts {
        TicketFacts {
            priority: Priority::Normal,
            category: Category::Trading,
            status: Some(S::Open),
            created_ms,
            first_response_ms: None,
            resolved_ms: None,
            closed_ms: None,
            complaint: None,
            still: Vec::new(),
        }
    }

    fn status_in(state: ClockState) -> ClockStatus {
        ClockStatus { state, elapsed_business_ms: 0, remaining_business_ms: 0, used_pct: 0, due_ms: None, breached_at_ms: None }
    }

    #[test]
    fn waiting_on_the_customer_and_resolved_stand_still() {
        let changes = [
            change(10, S::Open, S::WaitingCustomer),
            change(20, S::WaitingCustomer, S::Open),
            change(30, S::Open, S::Resolved),
            change(35, S::Resolved, S::Closed),
            change(40, S::Closed, S::Open),
            change(50, S::New, S::WaitingCustomer),
        ];
        assert_eq!(still_intervals(changes), vec![(10, Some(20)), (30, Some(40)), (50, None)]);
        // Unknown statuses hold no clock; a close never ends before its start.
        let odd = [StatusChange { at_ms: 5, from: None, to: Some(S::WaitingCustomer) }, StatusChange { at_ms: 3, from: Some(S::WaitingCustomer), to: None }];
        assert_eq!(still_intervals(odd), vec![(5, Some(5))]);
        assert_eq!(still_intervals([StatusChange { at_ms: 5, from: Some(S::Open), to: None }]), vec![]);
    }

    #[test]
    fn a_clock_sees_only_its_own_stretch_of_the_intervals() {
        let still = [(10, Some(20)), (30, Some(40)), (50, None)];
        assert_eq!(ClockFacts::within(0, None, &still).pauses, still.to_vec());
        // Started inside a pause: it counts from the start; earlier pauses drop out.
        assert_eq!(ClockFacts::within(35, None, &still).pauses, vec![(35, Some(40)), (50, None)]);
        // Stopped: later pauses drop out and an open or longer one ends at the stop.
        assert_eq!(ClockFacts::within(0, Some(35), &still).pauses, vec![(10, Some(20)), (30, Some(35))]);
        assert_eq!(ClockFacts::within(0, Some(60), &still).pauses, vec![(10, Some(20)), (30, Some(40)), (50, Some(60))]);
        assert_eq!(ClockFacts::within(0, Some(30), &still).pauses, vec![(10, Some(20))]);
    }

    #[test]
    fn an_ordinary_ticket_runs_on_business_hours_with_its_targets() {
        let policy = SlaPolicy::default();
        let mut t = ticket(march(9, 10, 0));
        t.category = Category::Withdrawal;
        t.first_response_ms = Some(march(9, 11, 0));
        t.resolved_ms = Some(march(9, 12, 0));
        let clocks = policy.ticket_clocks(&t);
        let high = policy.high;
        assert_eq!(clocks.first_response.target_min, high.first_response_business_min, "withdrawals get the next stricter targets");
        assert_eq!(clocks.first_response.facts.stopped_ms, Some(march(9, 11, 0)));
        assert_eq!(clocks.first_response.counting, Counting::BusinessHours);
        assert_eq!(clocks.resolution.target_min, high.resolution_business_min);
        assert_eq!(clocks.resolution.facts.stopped_ms, None, "an open ticket's resolution clock runs, whatever resolved_ms says");
        t.status = Some(S::Closed);
        t.resolved_ms = None;
        t.closed_ms = Some(march(9, 13, 0));
        assert_eq!(policy.ticket_clocks(&t).resolution.facts.stopped_ms, Some(march(9, 13, 0)), "closed without a resolution");
    }

    #[test]
    fn a_complaint_runs_on_the_regulators_clocks() {
        let policy = SlaPolicy::default();
        let mut t = ticket(march(2, 10, 0));
        t.first_response_ms = Some(march(2, 11, 0));
        t.complaint = Some(ComplaintDates { received_ms: march(4, 10, 0), acknowledged_ms: Some(march(5, 9, 0)), closed_ms: None });
        t.still = vec![(march(3, 10, 0), Some(march(4, 12, 0)))];
        let clocks = policy.ticket_clocks(&t);
        assert_eq!(clocks.first_response.target_min, BUSINESS_DAY_MIN);
        assert_eq!(clocks.first_response.facts.started_ms, march(4, 10, 0));
        assert_eq!(clocks.first_response.facts.stopped_ms, Some(march(5, 9, 0)), "the answer came before the receipt");
        assert_eq!(clocks.first_response.facts.pauses, vec![(march(4, 10, 0), Some(march(4, 12, 0)))]);
        assert_eq!(clocks.resolution.target_min, 30 * CALENDAR_DAY_MIN);
        assert_eq!(clocks.resolution.counting, Counting::CalendarTime);
        assert_eq!(clocks.resolution.facts.stopped_ms, None);
        t.first_response_ms = Some(march(4, 15, 0));
        assert_eq!(policy.ticket_clocks(&t).first_response.facts.stopped_ms, Some(march(4, 15, 0)), "an answer after the receipt");
        // 30 calendar days, holidays and nights included.
        let now = march(5, 10, 0);
        let s = policy.ticket_clocks(&t).resolution.status(&crate::BusinessCalendar::default(), policy.escalate_at_pct, now).unwrap();
        assert_eq!(s.elapsed_business_ms, DAY_MS - 2 * HOUR_MS);
    }

    #[test]
    fn a_ticket_escalates_once_at_the_policys_share_of_its_target() {
        let policy = SlaPolicy::default();
        let calendar = crate::BusinessCalendar::default();
        // Normal ticket, Monday 09:00: nine business hours to first response, at risk at 80 %.
        let clocks = policy.ticket_clocks(&ticket(march(9, 9, 0)));
        let sweep = |now_ms: u64, recorded: Recorded| {
            let first = clocks.first_response.status(&calendar, policy.escalate_at_pct, now_ms).unwrap();
            let resolution = clocks.resolution.status(&calendar, policy.escalate_at_pct, now_ms).unwrap();
            policy.sweep(Priority::Normal, &first, &resolution, recorded, now_ms)
        };
        assert_eq!(sweep(march(9, 16, 11), Recorded::default()), SweepActions::default());
        let at_risk = sweep(march(9, 16, 12), Recorded::default());
        let escalation = Escalation { clock: Clock::FirstResponse, at_pct: 80, from: Priority::Normal, to: Priority::High };
        assert_eq!(at_risk, SweepActions { escalation: Some(escalation), breaches: vec![] });
        let escalated = Recorded { escalated: true, ..Recorded::default() };
        assert_eq!(sweep(march(9, 16, 12), escalated), SweepActions::default());
        // Tuesday 09:01: over its target since Monday's close; the breach is recorded once.
        let breached = sweep(march(10, 9, 1), escalated);
        assert_eq!(breached.breaches, vec![Breach { clock: Clock::FirstResponse, at_ms: march(9, 18, 0) }]);
        assert_eq!(sweep(march(10, 9, 1), Recorded { first_response_breached: true, ..escalated }), SweepActions::default());
    }

    #[test]
    fn sweep_names_the_hot_clock_and_keeps_urgent_urgent() {
        let policy = SlaPolicy { escalate_at_pct: 50, ..SlaPolicy::default() };
        let (running, at_risk, mut breached) = (status_in(ClockState::Running), status_in(ClockState::AtRisk), status_in(ClockState::Breached));
        let resolution_hot = policy.sweep(Priority::Urgent, &running, &at_risk, Recorded::default(), 7);
        let escalation = Escalation { clock: Clock::Resolution, at_pct: 50, from: Priority::Urgent, to: Priority::Urgent };
        assert_eq!(resolution_hot, SweepActions { escalation: Some(escalation), breaches: vec![] });
        // Both breached, one deadline unknown (inconsistent facts): recorded at now.
        breached.breached_at_ms = Some(3);
        let both = policy.sweep(Priority::Low, &breached, &status_in(ClockState::Breached), Recorded::default(), 7);
        assert_eq!(both.escalation.map(|e| (e.clock, e.to)), Some((Clock::FirstResponse, Priority::Normal)));
        assert_eq!(both.breaches, vec![Breach { clock: Clock::FirstResponse, at_ms: 3 }, Breach { clock: Clock::Resolution, at_ms: 7 }]);
        for quiet in [ClockState::Running, ClockState::Paused, ClockState::Met] {
            assert_eq!(policy.sweep(Priority::Low, &status_in(quiet), &status_in(quiet), Recorded::default(), 7), SweepActions::default());
        }
        assert_eq!(Clock::FirstResponse.phrase(), "first response");
        assert_eq!(Clock::Resolution.phrase(), "resolution");
    }
}
