//! The deposit and withdrawal lifecycles as state machines: every state a customer and an
//! operator sees, and the only transitions between them. A payout whose result is not known has
//! its own state, `UnknownOutcome`, left only by looking the payout up — never by paying again.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalStatus {
    /// Held by the engine; the checks are running.
    Requested,
    /// Waiting for the customer's second factor.
    AwaitingTwoFactor,
    /// Checks passed; waiting for the approvals its tier needs.
    AwaitingApproval,
    /// Fully approved; waiting for the next payout.
    Approved,
    /// Recorded in a payout (file line or bank instruction) before it leaves.
    Processing,
    /// The bank accepted the payout; the statement will show the debit.
    Sent,
    /// The payout was handed over but its result is not known: look it up.
    UnknownOutcome,
    /// The statement shows the debit; the engine settled the hold.
    Completed,
    /// Refused by a check, a staff member or the bank; the hold was released.
    Rejected,
    /// Cancelled by the customer before approval; the hold was released.
    Cancelled,
    /// The bank returned the money after the payout; the hold was released.
    Refunded,
}

/// What moves a withdrawal from one state to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WithdrawalEvent {
    SecondFactorRequired,
    /// The second factor (or, for an API key with withdraw permission, the key) and every
    /// check passed.
    ChecksPassed,
    /// The last approval its tier needs.
    FullyApproved,
    Rejected,
    Cancelled,
    /// Written into a payout batch (durably, before the file or instruction leaves).
    PayoutRecorded,
    PayoutAccepted,
    PayoutOutcomeUnknown,
    /// A lookup found that the bank paid it.
    LookupPaid,
    /// A lookup found that the bank did not pay it (refused or never received).
    LookupNotPaid,
    /// The statement shows the debit.
    StatementDebit,
    /// The bank returned the money.
    Returned,
}

/// What the engine must do when a withdrawal enters a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineEffect {
    None,
    /// `WithdrawalSettle`: the money left custody.
    Settle,
    /// `WithdrawalRelease`: the hold goes back to the customer.
    Release,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a withdrawal that is {} cannot be {}", from.as_str(), describe(*event))]
pub struct TransitionError {
    pub from: WithdrawalStatus,
    pub event: WithdrawalEvent,
}

fn describe(event: WithdrawalEvent) -> &'static str {
    use WithdrawalEvent::*;
    match event {
        SecondFactorRequired => "sent for a second factor",
        ChecksPassed => "passed its checks",
        FullyApproved => "approved",
        Rejected => "rejected",
        Cancelled => "cancelled",
        PayoutRecorded => "paid out",
        PayoutAccepted => "marked sent",
        PayoutOutcomeUnknown => "marked unknown",
        LookupPaid | LookupNotPaid => "resolved by a lookup",
        StatementDebit => "completed by a statement line",
        Returned => "returned",
    }
}

impl WithdrawalStatus {
    pub const ALL: [WithdrawalStatus; 11] = [
        WithdrawalStatus::Requested,
        WithdrawalStatus::AwaitingTwoFactor,
        WithdrawalStatus::AwaitingApproval,
        WithdrawalStatus::Approved,
        WithdrawalStatus::Processing,
        WithdrawalStatus::Sent,
        WithdrawalStatus::UnknownOutcome,
        WithdrawalStatus::Completed,
        WithdrawalStatus::Rejected,
        WithdrawalStatus::Cancelled,
        WithdrawalStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        use WithdrawalStatus::*;
        match self {
            Requested => "requested",
            AwaitingTwoFactor => "awaiting_2fa",
            AwaitingApproval => "awaiting_approval",
            Approved => "approved",
            Processing => "processing",
            Sent => "sent",
            UnknownOutcome => "unknown_outcome",
            Completed => "completed",
            Rejected => "rejected",
            Cancelled => "cancelled",
            Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Option<WithdrawalStatus> {
        WithdrawalStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// No event moves it any more.
    pub fn is_final(self) -> bool {
        matches!(self, WithdrawalStatus::Completed | WithdrawalStatus::Rejected | WithdrawalStatus::Cancelled | WithdrawalStatus::Refunded)
    }

    /// Counts as "the one pending withdrawal" a customer may have.
    pub fn is_pending(self) -> bool {
        !self.is_final()
    }

    /// The customer may still cancel: nothing has been approved for payout yet.
    pub fn customer_can_cancel(self) -> bool {
        matches!(self, WithdrawalStatus::Requested | WithdrawalStatus::AwaitingTwoFactor | WithdrawalStatus::AwaitingApproval)
    }

    /// The status the Bitkub APIs show (§3.2 and §12.3): `pending`, `processing`, `complete`,
    /// `rejected`, `cancelled`, `refunded`.
    pub fn bitkub_status(self) -> &'static str {
        use WithdrawalStatus::*;
        match self {
            Requested | AwaitingTwoFactor | AwaitingApproval | Approved => "pending",
            Processing | Sent | UnknownOutcome => "processing",
            Completed => "complete",
            Rejected => "rejected",
            Cancelled => "cancelled",
            Refunded => "refunded",
        }
    }

    /// The next state, or why there is none.
    pub fn next(self, event: WithdrawalEvent) -> Result<WithdrawalStatus, TransitionError> {
        use WithdrawalEvent as E;
        use WithdrawalStatus as S;
        let next = match (self, event) {
            (S::Requested, E::SecondFactorRequired) => S::AwaitingTwoFactor,
            (S::Requested | S::AwaitingTwoFactor, E::ChecksPassed) => S::AwaitingApproval,
            (S::AwaitingApproval, E::FullyApproved) => S::Approved,
            (S::Requested | S::AwaitingTwoFactor | S::AwaitingApproval | S::Approved, E::Rejected) => S::Rejected,
            (s, E::Cancelled) if s.customer_can_cancel() => S::Cancelled,
            (S::Approved, E::PayoutRecorded) => S::Processing,
            (S::Processing, E::PayoutAccepted) => S::Sent,
            (S::Processing, E::PayoutOutcomeUnknown) => S::UnknownOutcome,
            (S::Processing | S::UnknownOutcome, E::LookupPaid) => S::Sent,
            (S::Processing | S::UnknownOutcome, E::LookupNotPaid) => S::Rejected,
            // A statement debit is the truth even when the rail's answer was lost.
            (S::Processing | S::Sent | S::UnknownOutcome, E::StatementDebit) => S::Completed,
            (S::Sent, E::Returned) => S::Refunded,
            (from, event) => return Err(TransitionError { from, event }),
        };
        Ok(next)
    }

    /// What the engine does on entering this state.
    pub fn engine_effect(self) -> EngineEffect {
        match self {
            WithdrawalStatus::Completed => EngineEffect::Settle,
            WithdrawalStatus::Rejected | WithdrawalStatus::Cancelled | WithdrawalStatus::Refunded => EngineEffect::Release,
            _ => EngineEffect::None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositStatus {
    /// A QR was issued; no money has arrived.
    AwaitingPayment,
    /// The money arrived and was credited through the engine.
    Credited,
    /// Nothing arrived before the QR expired.
    Expired,
    /// Money arrived that could not be credited by itself: it waits for staff.
    Exception,
    /// The money was sent back to the payer.
    Refunded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositEvent {
    /// A bank line matched it (three-way).
    Matched,
    /// A bank line pointed at it but fell into an exception class.
    Mismatched,
    /// Its expiry passed with no line.
    ExpiryPassed,
    /// Staff (four eyes) credited the exception.
    StaffCredited,
    /// Staff (four eyes) refunded or returned the money.
    StaffRefunded,
}

impl DepositStatus {
    pub const ALL: [DepositStatus; 5] =
        [DepositStatus::AwaitingPayment, DepositStatus::Credited, DepositStatus::Expired, DepositStatus::Exception, DepositStatus::Refunded];

    pub fn as_str(self) -> &'static str {
        match self {
            DepositStatus::AwaitingPayment => "awaiting_payment",
            DepositStatus::Credited => "credited",
            DepositStatus::Expired => "expired",
            DepositStatus::Exception => "exception",
            DepositStatus::Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Option<DepositStatus> {
        DepositStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The status the Bitkub APIs show: `pending`, `complete`, `rejected` (§11.1, §12.3).
    pub fn bitkub_status(self) -> &'static str {
        match self {
            DepositStatus::AwaitingPayment | DepositStatus::Exception => "pending",
            DepositStatus::Credited => "complete",
            DepositStatus::Expired | DepositStatus::Refunded => "rejected",
        }
    }

    pub fn next(self, event: DepositEvent) -> Option<DepositStatus> {
        use DepositEvent as E;
        use DepositStatus as S;
        match (self, event) {
            (S::AwaitingPayment, E::Matched) => Some(S::Credited),
            // Money for an expired QR still arrives: it becomes an exception, never lost.
            (S::AwaitingPayment | S::Expired, E::Mismatched) => Some(S::Exception),
            (S::AwaitingPayment, E::ExpiryPassed) => Some(S::Expired),
            (S::Exception, E::StaffCredited) => Some(S::Credited),
            (S::Exception, E::StaffRefunded) => Some(S::Refunded),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WithdrawalEvent as E;
    use WithdrawalStatus as S;

    fn run(events: &[WithdrawalEvent]) -> Result<WithdrawalStatus, TransitionError> {
        events.iter().try_fold(S::Requested, |s, e| s.next(*e))
    }

    #[test]
    fn the_happy_path_settles_once() {
        let path = [E::SecondFactorRequired, E::ChecksPassed, E::FullyApproved, E::PayoutRecorded, E::PayoutAccepted, E::StatementDebit];
        assert_eq!(run(&path), Ok(S::Completed));
        assert_eq!(S::Completed.engine_effect(), EngineEffect::Settle);
        assert!(S::Completed.is_final());
        assert_eq!(S::Completed.next(E::StatementDebit).unwrap_err().from, S::Completed, "a second debit line completes nothing");
    }

    #[test]
    fn an_unknown_outcome_is_left_only_by_a_lookup_or_the_statement() {
        let s = run(&[E::ChecksPassed, E::FullyApproved, E::PayoutRecorded, E::PayoutOutcomeUnknown]).unwrap();
        assert_eq!(s, S::UnknownOutcome);
        assert!(s.next(E::PayoutRecorded).is_err(), "never paid again blind");
        assert!(s.next(E::Cancelled).is_err());
        assert!(s.next(E::Rejected).is_err());
        assert_eq!(s.next(E::LookupPaid), Ok(S::Sent));
        assert_eq!(s.next(E::LookupNotPaid), Ok(S::Rejected));
        assert_eq!(s.next(E::StatementDebit), Ok(S::Completed));
    }

    #[test]
    fn cancelling_ends_at_approval() {
        assert_eq!(run(&[E::ChecksPassed, E::Cancelled]), Ok(S::Cancelled));
        assert!(run(&[E::ChecksPassed, E::FullyApproved, E::Cancelled]).is_err());
        assert_eq!(S::Cancelled.engine_effect(), EngineEffect::Release);
    }

    #[test]
    fn every_final_state_has_no_way_out_and_every_status_round_trips() {
        let events = [
            E::SecondFactorRequired,
            E::ChecksPassed,
            E::FullyApproved,
            E::Rejected,
            E::Cancelled,
            E::PayoutRecorded,
            E::PayoutAccepted,
            E::PayoutOutcomeUnknown,
            E::LookupPaid,
            E::LookupNotPaid,
            E::StatementDebit,
            E::Returned,
        ];
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
            if s.is_final() {
                assert!(events.iter().all(|e| s.next(*e).is_err()), "{s:?}");
            }
            // Every state that releases or settles is final: the engine is told once.
            if s.engine_effect() != EngineEffect::None {
                assert!(s.is_final());
            }
        }
    }

    #[test]
    fn deposits() {
        use DepositEvent as DE;
        use DepositStatus as DS;
        assert_eq!(DS::AwaitingPayment.next(DE::Matched), Some(DS::Credited));
        assert_eq!(DS::Credited.next(DE::Matched), None, "credited once");
        assert_eq!(DS::Expired.next(DE::Mismatched), Some(DS::Exception));
        assert_eq!(DS::Exception.next(DE::StaffCredited), Some(DS::Credited));
        assert_eq!(DS::Exception.next(DE::StaffRefunded), Some(DS::Refunded));
        assert_eq!(DS::Refunded.next(DE::StaffCredited), None);
        for s in DS::ALL {
            assert_eq!(DS::parse(s.as_str()), Some(s));
        }
    }
}
