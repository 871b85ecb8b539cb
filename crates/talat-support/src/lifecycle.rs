//! Ticket and complaint state machines: which moves exist and who may make them.
//!
//! # Tickets
//!
//! ```text
//!            staff triage             staff answer
//!   New ─────────────────▶ Open ◀──────────────────▶ WaitingCustomer
//!    │ staff answer ───────────────────────────────▶  (customer reply ─▶ Open)
//!    │                      │ staff resolve              │ staff resolve
//!    └──────────────────────┴──────────▶ Resolved ◀──────┘
//!                                          │ customer reopen (within the window) ─▶ Open
//!                                          │ system, after the auto-close delay ─▶ Closed
//!   the customer may close any case that is not yet closed ───────────────────────▶ Closed
//! ```
//!
//! SLA clocks pause only in `WaitingCustomer` ([`TicketStatus::pauses_clocks`]). The first
//! response clock stops at the first staff answer (or resolution); the resolution clock stops
//! at `Resolved` ([`TicketStatus::stops_clocks`]). On a reopen, record the resolved interval as
//! a pause of the resolution clock and clear its stop, so the time the case sat resolved does
//! not count ([`crate::tickets::still_intervals`] does this from the status history).
//!
//! # Complaints (the regulator's lifecycle)
//!
//! `Received → Acknowledged → Investigating → Resolved | Rejected`, strictly in that order;
//! rejecting needs a reason. Resolved and rejected are final.

use crate::calendar::DAY_MS;
use crate::names::{parse_name, UnknownName};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest reason (complaint rejection, resolution note), in characters after trimming.
pub const MAX_REASON_CHARS: usize = 2_000;

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Received; no staff member has touched it.
    New,
    /// Staff owe the next move.
    Open,
    /// Staff answered and wait for the customer; SLA clocks are paused.
    WaitingCustomer,
    /// Staff consider it solved; the customer may still reopen it for a while.
    Resolved,
    /// Final.
    Closed,
}

/// Who makes a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Customer,
    Staff,
    /// The platform itself (scheduled jobs).
    System,
}

/// What happened to a ticket. Each event belongs to one kind of actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketEvent {
    /// Staff picked the ticket up without answering yet (assignment, internal note).
    StaffTriaged,
    /// Staff sent the customer a message that needs a reply.
    StaffAnswered,
    /// The customer wrote on an unresolved ticket.
    CustomerReplied,
    /// Staff marked the ticket solved.
    StaffResolved,
    /// The customer says a resolved ticket is not solved after all.
    CustomerReopened,
    /// The customer closed the ticket (solved, or no longer needed).
    CustomerClosed,
    /// The platform closed a resolved ticket after the auto-close delay.
    AutoClosed,
}

/// Ticket timing rules, in calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TicketRules {
    /// A resolved ticket may be reopened by the customer within this many days.
    pub reopen_within_days: u32,
    /// A resolved ticket closes by itself this many days after it was resolved.
    pub auto_close_after_days: u32,
}

impl Default for TicketRules {
    fn default() -> Self {
        Self { reopen_within_days: 7, auto_close_after_days: 7 }
    }
}

/// Where a complaint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    Received,
    Acknowledged,
    Investigating,
    Resolved,
    Rejected,
}

/// Why a move was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("cannot {action} a ticket that is {status}")]
    TicketRefused { action: &'static str, status: &'static str },
    #[error("only {allowed} can {action} a ticket")]
    WrongActor { action: &'static str, allowed: &'static str },
    #[error("the ticket is resolved but its resolution time is missing")]
    MissingResolvedAt,
    #[error("a resolved ticket can only be reopened within {days} days of its resolution; please open a new ticket")]
    ReopenWindowPassed { days: u32 },
    #[error("a resolved ticket closes by itself only {days} days after its resolution")]
    TooEarlyToAutoClose { days: u32 },
    #[error("ticket rules need at least one day to reopen, and no more days to reopen than to close")]
    Rules,
    #[error("cannot go from {from} to {to}")]
    ComplaintRefused { from: &'static str, to: &'static str },
    #[error("a complaint can only be rejected with a reason")]
    ReasonRequired,
    #[error("a reason cannot be blank")]
    ReasonBlank,
    #[error("a reason holds at most {max} characters, got {chars}", max = MAX_REASON_CHARS)]
    ReasonTooLong { chars: usize },
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 5] = [TicketStatus::New, TicketStatus::Open, TicketStatus::WaitingCustomer, TicketStatus::Resolved, TicketStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::New => "new",
            TicketStatus::Open => "open",
            TicketStatus::WaitingCustomer => "waiting_customer",
            TicketStatus::Resolved => "resolved",
            TicketStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Result<Self, UnknownName> {
        parse_name("ticket status", &Self::ALL, Self::as_str, text)
    }

    /// Whether SLA clocks stand still in this status (only while waiting on the customer).
    pub fn pauses_clocks(self) -> bool {
        self == TicketStatus::WaitingCustomer
    }

    /// Whether the case is settled in this status (resolved or closed): its clocks have stopped.
    pub fn stops_clocks(self) -> bool {
        matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }

    /// Whether no clock counts while a ticket is in this status: paused ([`Self::pauses_clocks`])
    /// or stopped ([`Self::stops_clocks`]). The time a reopened ticket sat resolved counts as a
    /// pause, so its clocks resume where they stopped.
    pub fn clocks_stand_still(self) -> bool {
        self.pauses_clocks() || self.stops_clocks()
    }

    /// How the status reads inside a sentence.
    fn phrase(self) -> &'static str {
        match self {
            TicketStatus::New => "new",
            TicketStatus::Open => "open",
            TicketStatus::WaitingCustomer => "waiting for the customer",
            TicketStatus::Resolved => "resolved",
            TicketStatus::Closed => "closed",
        }
    }
}

impl TicketEvent {
    pub const ALL: [TicketEvent; 7] = [
        TicketEvent::StaffTriaged,
        TicketEvent::StaffAnswered,
        TicketEvent::CustomerReplied,
        TicketEvent::StaffResolved,
        TicketEvent::CustomerReopened,
        TicketEvent::CustomerClosed,
        TicketEvent::AutoClosed,
    ];

    /// What a staff reply asks of its ticket. `then` names the status the reply should leave
    /// it in: `waiting_customer` (an answer, also the default), `resolved`, or `open` (no
    /// move); an internal note without `then` moves nothing. `None` means the status stays.
    pub fn of_staff_reply(then: Option<&str>, internal: bool) -> Result<Option<TicketEvent>, UnknownName> {
        match then {
            None if internal => Ok(None),
            None | Some("waiting_customer") => Ok(Some(TicketEvent::StaffAnswered)),
            Some("resolved") => Ok(Some(TicketEvent::StaffResolved)),
            Some("open") => Ok(None),
            Some(other) => {
                Err(UnknownName { kind: "reply's then", value: other.chars().take(64).collect(), expected: "open, waiting_customer, resolved".into() })
            }
        }
    }

    /// The only actor who may cause this event.
    pub fn actor(self) -> Actor {
        match self {
            TicketEvent::StaffTriaged | TicketEvent::StaffAnswered | TicketEvent::StaffResolved => Actor::Staff,
            TicketEvent::CustomerReplied | TicketEvent::CustomerReopened | TicketEvent::CustomerClosed => Actor::Customer,
            TicketEvent::AutoClosed => Actor::System,
        }
    }

    /// The verb phrase for error messages: "cannot {action} a ticket …".
    fn action(self) -> &'static str {
        match self {
            TicketEvent::StaffTriaged => "triage",
            TicketEvent::StaffAnswered => "answer",
            TicketEvent::CustomerReplied => "add a customer reply to",
            TicketEvent::StaffResolved => "resolve",
            TicketEvent::CustomerReopened => "reopen",
            TicketEvent::CustomerClosed => "close",
            TicketEvent::AutoClosed => "auto-close",
        }
    }
}

impl Actor {
    fn phrase(self) -> &'static str {
        match self {
            Actor::Customer => "the customer",
            Actor::Staff => "staff",
            Actor::System => "the system",
        }
    }
}

impl TicketRules {
    pub fn validate(&self) -> Result<(), TransitionError> {
        if self.reopen_within_days == 0 || self.reopen_within_days > self.auto_close_after_days {
            return Err(TransitionError::Rules);
        }
        Ok(())
    }

    /// When a ticket resolved at `resolved_at_ms` closes by itself (for the sweeping job).
    pub fn auto_close_at_ms(&self, resolved_at_ms: u64) -> u64 {
        resolved_at_ms.saturating_add(u64::from(self.auto_close_after_days) * DAY_MS)
    }
}

/// The status a ticket moves to when `event`, made by `by`, happens to it in status `from`.
///
/// `resolved_at_ms` (when the ticket was last resolved) and `now_ms` matter only for reopening
/// and auto-closing; pass the stored value (`None` if never resolved) and the current time.
pub fn ticket_next(
    rules: &TicketRules,
    from: TicketStatus,
    event: TicketEvent,
    by: Actor,
    resolved_at_ms: Option<u64>,
    now_ms: u64,
) -> Result<TicketStatus, TransitionError> {
    use TicketEvent as E;
    use TicketStatus as S;
    rules.validate()?;
    if by != event.actor() {
        return Err(TransitionError::WrongActor { action: event.action(), allowed: event.actor().phrase() });
    }
    let to = match (from, event) {
        (S::New, E::StaffTriaged) => S::Open,
        (S::New | S::Open | S::WaitingCustomer, E::StaffAnswered) => S::WaitingCustomer,
        // A follow-up on an untouched ticket leaves it untouched; otherwise staff owe a move.
        (S::New, E::CustomerReplied) => S::New,
        (S::Open | S::WaitingCustomer, E::CustomerReplied) => S::Open,
        (S::New | S::Open | S::WaitingCustomer, E::StaffResolved) => S::Resolved,
        (S::New | S::Open | S::WaitingCustomer | S::Resolved, E::CustomerClosed) => S::Closed,
        (S::Resolved, E::CustomerReopened) => {
            let resolved_at_ms = resolved_at_ms.ok_or(TransitionError::MissingResolvedAt)?;
            let window_ms = u64::from(rules.reopen_within_days) * DAY_MS;
            if now_ms.saturating_sub(resolved_at_ms) > window_ms {
                return Err(TransitionError::ReopenWindowPassed { days: rules.reopen_within_days });
            }
            S::Open
        }
        (S::Resolved, E::AutoClosed) => {
            let resolved_at_ms = resolved_at_ms.ok_or(TransitionError::MissingResolvedAt)?;
            if now_ms < rules.auto_close_at_ms(resolved_at_ms) {
                return Err(TransitionError::TooEarlyToAutoClose { days: rules.auto_close_after_days });
            }
            S::Closed
        }
        _ => return Err(TransitionError::TicketRefused { action: event.action(), status: from.phrase() }),
    };
    Ok(to)
}

impl ComplaintStatus {
    pub const ALL: [ComplaintStatus; 5] =
        [ComplaintStatus::Received, ComplaintStatus::Acknowledged, ComplaintStatus::Investigating, ComplaintStatus::Resolved, ComplaintStatus::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintStatus::Received => "received",
            ComplaintStatus::Acknowledged => "acknowledged",
            ComplaintStatus::Investigating => "investigating",
            ComplaintStatus::Resolved => "resolved",
            ComplaintStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Result<Self, UnknownName> {
        parse_name("complaint status", &Self::ALL, Self::as_str, text)
    }

    /// Whether the complaint is final (its resolution clock has stopped).
    pub fn is_final(self) -> bool {
        matches!(self, ComplaintStatus::Resolved | ComplaintStatus::Rejected)
    }
}

/// Checks a complaint moving from `from` to `to`.
///
/// Rejecting needs a `reason`; any other move may carry one (e.g. a resolution summary). A
/// given reason is checked with [`clean_reason`]; store what that returns.
pub fn complaint_transition(from: ComplaintStatus, to: ComplaintStatus, reason: Option<&str>) -> Result<(), TransitionError> {
    use ComplaintStatus as C;
    let allowed = matches!(
        (from, to),
        (C::Received, C::Acknowledged) | (C::Acknowledged, C::Investigating) | (C::Investigating, C::Resolved) | (C::Investigating, C::Rejected)
    );
    if !allowed {
        return Err(TransitionError::ComplaintRefused { from: from.as_str(), to: to.as_str() });
    }
    match reason {
        Some(reason) => clean_reason(reason).map(|_| ()),
        None if to == C::Rejected => Err(TransitionError::ReasonRequired),
        None => Ok(()),
    }
}

/// A reason with surrounding whitespace trimmed: 1 to [`MAX_REASON_CHARS`] characters.
pub fn clean_reason(reason: &str) -> Result<&str, TransitionError> {
    let trimmed = reason.trim();
    if trimmed.is_empty() {
        return Err(TransitionError::ReasonBlank);
    }
    // A char is at most 4 bytes: cheap rejection of huge inputs before counting.
    if trimmed.len() > 4 * MAX_REASON_CHARS {
        return Err(TransitionError::ReasonTooLong { chars: trimmed.chars().count() });
    }
    let chars = trimmed.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(TransitionError::ReasonTooLong { chars });
    }
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staff_reply_answers_resolves_or_leaves_the_ticket_open() {
        assert_eq!(TicketEvent::of_staff_reply(None, false), Ok(Some(TicketEvent::StaffAnswered)), "an answer waits for the customer");
        assert_eq!(TicketEvent::of_staff_reply(None, true), Ok(None), "an internal note moves nothing");
        assert_eq!(TicketEvent::of_staff_reply(Some("waiting_customer"), true), Ok(Some(TicketEvent::StaffAnswered)));
        assert_eq!(TicketEvent::of_staff_reply(Some("resolved"), false), Ok(Some(TicketEvent::StaffResolved)));
        assert_eq!(TicketEvent::of_staff_reply(Some("open"), false), Ok(None));
        assert!(TicketEvent::of_staff_reply(Some("closed"), false).is_err(), "staff close a ticket by resolving it");
    }
    use ComplaintStatus as C;
    use TicketEvent as E;
    use TicketStatus as S;

    const NOW: u64 = 1_800_000_000_000;

    fn next(from: TicketStatus, event: TicketEvent) -> Result<TicketStatus, TransitionError> {
        ticket_next(&TicketRules::default(), from, event, event.actor(), Some(NOW - DAY_MS), NOW)
    }

    #[test]
    fn every_allowed_ticket_move() {
        let allowed = [
            (S::New, E::StaffTriaged, S::Open),
            (S::New, E::StaffAnswered, S::WaitingCustomer),
            (S::Open, E::StaffAnswered, S::WaitingCustomer),
            (S::WaitingCustomer, E::StaffAnswered, S::WaitingCustomer),
            (S::New, E::CustomerReplied, S::New),
            (S::Open, E::CustomerReplied, S::Open),
            (S::WaitingCustomer, E::CustomerReplied, S::Open),
            (S::New, E::StaffResolved, S::Resolved),
            (S::Open, E::StaffResolved, S::Resolved),
            (S::WaitingCustomer, E::StaffResolved, S::Resolved),
            (S::Resolved, E::CustomerReopened, S::Open),
            (S::New, E::CustomerClosed, S::Closed),
            (S::Open, E::CustomerClosed, S::Closed),
            (S::WaitingCustomer, E::CustomerClosed, S::Closed),
            (S::Resolved, E::CustomerClosed, S::Closed),
        ];
        for (from, event, to) in allowed {
            assert_eq!(next(from, event), Ok(to), "{from:?} + {event:?}");
        }
        // Every other (status, event) pair is refused, except auto-close (timing, below).
        for from in S::ALL {
            for event in E::ALL {
                let listed = allowed.iter().any(|&(f, e, _)| f == from && e == event);
                let timed = from == S::Resolved && event == E::AutoClosed;
                if !(listed || timed) {
                    assert!(matches!(next(from, event), Err(TransitionError::TicketRefused { .. })), "{from:?} + {event:?} should be refused");
                }
            }
        }
    }

    #[test]
    fn refused_ticket_moves_read_well() {
        let cases = [
            (S::Closed, E::CustomerReopened, "cannot reopen a ticket that is closed"),
            (S::Open, E::CustomerReopened, "cannot reopen a ticket that is open"),
            (S::Closed, E::StaffAnswered, "cannot answer a ticket that is closed"),
            (S::Resolved, E::CustomerReplied, "cannot add a customer reply to a ticket that is resolved"),
            (S::WaitingCustomer, E::StaffTriaged, "cannot triage a ticket that is waiting for the customer"),
            (S::Open, E::AutoClosed, "cannot auto-close a ticket that is open"),
        ];
        for (from, event, message) in cases {
            assert_eq!(next(from, event).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn only_the_right_actor_moves_a_ticket() {
        let rules = TicketRules::default();
        let refuse = |event, by, message: &str| {
            let error = ticket_next(&rules, S::Open, event, by, None, NOW).unwrap_err();
            assert_eq!(error.to_string(), message);
        };
        refuse(E::StaffResolved, Actor::Customer, "only staff can resolve a ticket");
        refuse(E::CustomerReopened, Actor::Staff, "only the customer can reopen a ticket");
        refuse(E::AutoClosed, Actor::Staff, "only the system can auto-close a ticket");
        refuse(E::CustomerReplied, Actor::System, "only the customer can add a customer reply to a ticket");
    }

    #[test]
    fn reopening_and_auto_closing_follow_the_clock() {
        let rules = TicketRules::default();
        let resolved = NOW - 7 * DAY_MS;
        let reopen = |now| ticket_next(&rules, S::Resolved, E::CustomerReopened, Actor::Customer, Some(resolved), now);
        let close = |now| ticket_next(&rules, S::Resolved, E::AutoClosed, Actor::System, Some(resolved), now);
        assert_eq!(reopen(NOW), Ok(S::Open), "on the last moment of the window");
        assert_eq!(
            reopen(NOW + 1).unwrap_err().to_string(),
            "a resolved ticket can only be reopened within 7 days of its resolution; please open a new ticket"
        );
        assert_eq!(close(NOW), Ok(S::Closed));
        assert_eq!(close(NOW - 1), Err(TransitionError::TooEarlyToAutoClose { days: 7 }));
        assert_eq!(rules.auto_close_at_ms(resolved), NOW);
        assert_eq!(ticket_next(&rules, S::Resolved, E::CustomerReopened, Actor::Customer, None, NOW), Err(TransitionError::MissingResolvedAt));
        let bad = TicketRules { reopen_within_days: 10, auto_close_after_days: 7 };
        assert_eq!(ticket_next(&bad, S::Open, E::StaffAnswered, Actor::Staff, None, NOW), Err(TransitionError::Rules));
    }

    #[test]
    fn only_waiting_on_the_customer_pauses_clocks() {
        let paused: Vec<_> = S::ALL.into_iter().filter(|s| s.pauses_clocks()).collect();
        assert_eq!(paused, [S::WaitingCustomer]);
    }

    #[test]
    fn resolved_and_closed_stop_clocks_and_nothing_else_stands_still() {
        let stopped: Vec<_> = S::ALL.into_iter().filter(|s| s.stops_clocks()).collect();
        assert_eq!(stopped, [S::Resolved, S::Closed]);
        let still: Vec<_> = S::ALL.into_iter().filter(|s| s.clocks_stand_still()).collect();
        assert_eq!(still, [S::WaitingCustomer, S::Resolved, S::Closed]);
    }

    #[test]
    fn every_allowed_complaint_move() {
        let allowed = [
            (C::Received, C::Acknowledged, None),
            (C::Acknowledged, C::Investigating, None),
            (C::Investigating, C::Resolved, None),
            (C::Investigating, C::Resolved, Some("refunded the fee")),
            (C::Investigating, C::Rejected, Some("  not about our service  ")),
        ];
        for (from, to, reason) in allowed {
            assert_eq!(complaint_transition(from, to, reason), Ok(()), "{from:?} → {to:?}");
        }
        // Everything else between the five statuses is refused.
        for from in C::ALL {
            for to in C::ALL {
                let listed = allowed.iter().any(|&(f, t, _)| f == from && t == to);
                if !listed {
                    let error = complaint_transition(from, to, Some("a reason")).unwrap_err();
                    assert_eq!(error.to_string(), format!("cannot go from {} to {}", from.as_str(), to.as_str()));
                }
            }
        }
    }

    #[test]
    fn refused_complaint_moves_read_well() {
        let cases = [
            (C::Investigating, C::Rejected, None, "a complaint can only be rejected with a reason"),
            (C::Investigating, C::Rejected, Some(" \n\t "), "a reason cannot be blank"),
            (C::Resolved, C::Investigating, Some("more"), "cannot go from resolved to investigating"),
            (C::Received, C::Rejected, None, "cannot go from received to rejected"),
            (C::Received, C::Resolved, None, "cannot go from received to resolved"),
            (C::Rejected, C::Resolved, None, "cannot go from rejected to resolved"),
            (C::Acknowledged, C::Acknowledged, None, "cannot go from acknowledged to acknowledged"),
        ];
        for (from, to, reason, message) in cases {
            assert_eq!(complaint_transition(from, to, reason).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn reasons_are_trimmed_and_bounded_in_characters() {
        assert_eq!(clean_reason("  duplicate of #12 \n"), Ok("duplicate of #12"));
        // Thai is 3 bytes a character in UTF-8: the limit counts characters, not bytes.
        let thai = "ก".repeat(MAX_REASON_CHARS);
        assert_eq!(clean_reason(&thai), Ok(thai.as_str()));
        let long = "ก".repeat(MAX_REASON_CHARS + 1);
        assert_eq!(clean_reason(&long).unwrap_err().to_string(), "a reason holds at most 2000 characters, got 2001");
        assert!(clean_reason(&"x".repeat(100_000)).is_err());
    }

    #[test]
    fn statuses_parse_and_print() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Ok(s));
        }
        for c in C::ALL {
            assert_eq!(C::parse(c.as_str()), Ok(c));
        }
        assert_eq!(
            C::parse("closed").unwrap_err().to_string(),
            "unknown complaint status \"closed\"; expected one of: received, acknowledged, investigating, resolved, rejected"
        );
        assert!(C::Rejected.is_final() && C::Resolved.is_final() && !C::Investigating.is_final());
    }
}
