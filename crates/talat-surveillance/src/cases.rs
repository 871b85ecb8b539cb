//! A surveillance case's lifecycle, the one table of moves the console's routes consult: which
//! action a case may take from which status, and where it goes. The store applies each move
//! only from the statuses listed here (a conditional update), so two compliance officers acting
//! at once change a case once; the loser is told the case moved meanwhile.
//!
//! | action | from | to |
//! |---|---|---|
//! | assign, note | open, awaiting_customer, escalated | (stays) |
//! | ask the customer | open, escalated | awaiting_customer |
//! | escalate | open, awaiting_customer | escalated |
//! | close (with a disposition) | open, awaiting_customer, escalated | closed |
//!
//! A closed case is final: a new finding is a new case (the closed one is what was reported).
//! Asking again while the customer's answer is due is refused: one question at a time, so the
//! 24-hour due date means one thing.

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseStatus {
    Open,
    /// The customer was asked to explain (a support ticket) and has until `explain_due_ms`.
    AwaitingCustomer,
    /// Handed up (to the money-laundering reporting officer): a report is being considered.
    Escalated,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 4] = [CaseStatus::Open, CaseStatus::AwaitingCustomer, CaseStatus::Escalated, CaseStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::AwaitingCustomer => "awaiting_customer",
            CaseStatus::Escalated => "escalated",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What staff do to a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseAction {
    Assign,
    Note,
    AskCustomer,
    Escalate,
    Close,
}

impl CaseAction {
    /// The name on the case's timeline and (prefixed `surveillance.case.`) in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseAction::Assign => "assigned",
            CaseAction::Note => "note",
            CaseAction::AskCustomer => "asked_customer",
            CaseAction::Escalate => "escalated",
            CaseAction::Close => "closed",
        }
    }

    /// The statuses the action may start from.
    pub fn from(self) -> &'static [&'static str] {
        const LIVE: &[&str] = &["open", "awaiting_customer", "escalated"];
        match self {
            CaseAction::Assign | CaseAction::Note | CaseAction::Close => LIVE,
            CaseAction::AskCustomer => &["open", "escalated"],
            CaseAction::Escalate => &["open", "awaiting_customer"],
        }
    }

    /// Where the action takes a case (`None`: the status stays).
    pub fn to(self) -> Option<CaseStatus> {
        match self {
            CaseAction::Assign | CaseAction::Note => None,
            CaseAction::AskCustomer => Some(CaseStatus::AwaitingCustomer),
            CaseAction::Escalate => Some(CaseStatus::Escalated),
            CaseAction::Close => Some(CaseStatus::Closed),
        }
    }

    /// Whether a case in `status` may take this action.
    pub fn allowed_from(self, status: &str) -> bool {
        self.from().contains(&status)
    }

    /// Why a case in `status` may not take this action, in words for the console.
    pub fn refusal(self, status: &str) -> String {
        let what = match self {
            CaseAction::Assign => "assign",
            CaseAction::Note => "add a note to",
            CaseAction::AskCustomer => "ask the customer about",
            CaseAction::Escalate => "escalate",
            CaseAction::Close => "close",
        };
        let status = status.replace('_', " ");
        format!("cannot {what} a case that is {status}")
    }
}

/// How a closed case ended.
pub const DISPOSITIONS: [&str; 6] = ["no_action", "warning", "restricted", "account_closed", "reported_to_amlo", "reported_to_sec"];

/// Whether `text` is a disposition.
pub fn is_disposition(text: &str) -> bool {
    DISPOSITIONS.contains(&text)
}

/// How long the customer has to explain.
pub const EXPLAIN_WITHIN_MS: u64 = 24 * 60 * 60 * 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_of_moves() {
        use CaseAction::*;
        let actions = [Assign, Note, AskCustomer, Escalate, Close];
        let allowed = |status: &str| actions.iter().filter(|a| a.allowed_from(status)).map(|a| a.as_str()).collect::<Vec<_>>();
        assert_eq!(allowed("open"), ["assigned", "note", "asked_customer", "escalated", "closed"]);
        assert_eq!(allowed("awaiting_customer"), ["assigned", "note", "escalated", "closed"]);
        assert_eq!(allowed("escalated"), ["assigned", "note", "asked_customer", "closed"]);
        assert!(allowed("closed").is_empty(), "a closed case is final");
        for a in actions {
            for from in a.from() {
                assert!(CaseStatus::parse(from).is_some(), "{from}");
            }
        }
        assert_eq!(Close.to(), Some(CaseStatus::Closed));
        assert_eq!(Escalate.refusal("closed"), "cannot escalate a case that is closed");
        assert!(is_disposition("reported_to_amlo") && !is_disposition("") && !is_disposition("closed"));
    }
}
