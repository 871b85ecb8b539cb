//! A KYC reviewer's rules: the review SLA of an application (its age, until the decision or
//! until now, against the configured hours, at risk from [`AT_RISK_PCT`] % of them on), and
//! whether an approval may go through ([`approval`]: screening, identity, four eyes).

use crate::risk::RiskRating;
use serde::{Deserialize, Serialize};
use talat_core::calendar::HOUR_MS;

/// Past this share of the SLA an application is at risk.
pub const AT_RISK_PCT: u64 = 80;

/// Where an application stands against the review SLA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewSla {
    Ok,
    AtRisk,
    Breached,
}

impl ReviewSla {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewSla::Ok => "ok",
            ReviewSla::AtRisk => "at_risk",
            ReviewSla::Breached => "breached",
        }
    }
}

/// The age (ms) of an application submitted at `submitted_ms` — until `decided_ms` if it is
/// decided, else until `now_ms` — and where that stands against `sla_hours`: breached once
/// older than the SLA, at risk from [`AT_RISK_PCT`] % of it.
pub fn review_sla(submitted_ms: u64, decided_ms: Option<u64>, now_ms: u64, sla_hours: u32) -> (u64, ReviewSla) {
    let age = decided_ms.unwrap_or(now_ms).saturating_sub(submitted_ms);
    let limit = u64::from(sla_hours) * HOUR_MS;
    let state = if age > limit {
        ReviewSla::Breached
    } else if age.saturating_mul(100) >= limit.saturating_mul(AT_RISK_PCT) {
        ReviewSla::AtRisk
    } else {
        ReviewSla::Ok
    };
    (age, state)
}

/// What a reviewer's approval of an application meets: its level, its screening as recorded on
/// it and the customer's screening hits now, the identity check's outcome, its risk rating,
/// and who approved first (if anyone) and who approves now.
#[derive(Clone, Copy, Debug)]
pub struct ApprovalFacts<'a> {
    pub level: u8,
    /// The application's screening status (`clear`, `hit`, `confirmed`, …).
    pub screening_status: &'a str,
    /// The statuses of the customer's screening hits (`open`, `cleared`, `confirmed`).
    pub hit_statuses: &'a [&'a str],
    pub idv_outcome: Option<&'a str>,
    pub risk_rating: Option<RiskRating>,
    pub first_approver: Option<u64>,
    pub approver: u64,
}

/// What an approval does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approval {
    /// The application is approved.
    Approve,
    /// A high-risk customer: this is the first of two approvals by different reviewers.
    FirstOfTwo,
    /// Refused, and nothing changes.
    Refused(ApprovalRefusal),
}

/// Why an approval cannot go through.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalRefusal {
    #[error("a sanctions match was confirmed for this customer: the application cannot be approved")]
    SanctionsConfirmed,
    #[error("resolve the screening hits first")]
    HitsOpen,
    #[error("the identity check did not verify the customer ({0}): reject or request information")]
    IdentityNotVerified(String),
    #[error("a high-risk customer needs a second, different reviewer to approve")]
    SameReviewerTwice,
}

/// Decides an approval: a confirmed sanctions match or an open hit blocks it, whatever the
/// application recorded; a level-1 application needs a verified identity; a high-risk or
/// prohibited customer needs two approvals by different reviewers.
pub fn approval(facts: &ApprovalFacts<'_>) -> Approval {
    let refused = |why| Approval::Refused(why);
    if facts.screening_status == "confirmed" || facts.hit_statuses.contains(&"confirmed") {
        return refused(ApprovalRefusal::SanctionsConfirmed);
    }
    if facts.screening_status == "hit" || facts.hit_statuses.contains(&"open") {
        return refused(ApprovalRefusal::HitsOpen);
    }
    if facts.level == 1 && facts.idv_outcome != Some("verified") {
        return refused(ApprovalRefusal::IdentityNotVerified(facts.idv_outcome.unwrap_or("not checked").to_string()));
    }
    if !facts.risk_rating.is_some_and(RiskRating::requires_second_reviewer) {
        return Approval::Approve;
    }
    match facts.first_approver {
        None => Approval::FirstOfTwo,
        Some(first) if first == facts.approver => refused(ApprovalRefusal::SameReviewerTwice),
        Some(_) => Approval::Approve,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> ApprovalFacts<'static> {
        ApprovalFacts {
            level: 1,
            screening_status: "clear",
            hit_statuses: &[],
            idv_outcome: Some("verified"),
            risk_rating: Some(RiskRating::Low),
            first_approver: None,
            approver: 7,
        }
    }

    #[test]
    fn screening_blocks_an_approval_whatever_the_application_recorded() {
        assert_eq!(approval(&ApprovalFacts { hit_statuses: &["cleared", "confirmed"], ..facts() }), Approval::Refused(ApprovalRefusal::SanctionsConfirmed));
        assert_eq!(approval(&ApprovalFacts { screening_status: "confirmed", ..facts() }), Approval::Refused(ApprovalRefusal::SanctionsConfirmed));
        assert_eq!(approval(&ApprovalFacts { hit_statuses: &["cleared", "open"], ..facts() }), Approval::Refused(ApprovalRefusal::HitsOpen));
        assert_eq!(approval(&ApprovalFacts { screening_status: "hit", ..facts() }), Approval::Refused(ApprovalRefusal::HitsOpen));
        assert_eq!(approval(&ApprovalFacts { hit_statuses: &["cleared"], ..facts() }), Approval::Approve);
    }

    #[test]
    fn level_one_needs_a_verified_identity_and_level_two_does_not_ask() {
        let unverified = approval(&ApprovalFacts { idv_outcome: Some("mismatch"), ..facts() });
        assert_eq!(unverified, Approval::Refused(ApprovalRefusal::IdentityNotVerified("mismatch".into())));
        let Approval::Refused(why) = approval(&ApprovalFacts { idv_outcome: None, ..facts() }) else { panic!("refused") };
        assert_eq!(why.to_string(), "the identity check did not verify the customer (not checked): reject or request information");
        assert_eq!(approval(&ApprovalFacts { level: 2, idv_outcome: None, ..facts() }), Approval::Approve);
    }

    #[test]
    fn a_high_risk_customer_needs_two_different_reviewers() {
        let high = ApprovalFacts { risk_rating: Some(RiskRating::High), ..facts() };
        assert_eq!(approval(&high), Approval::FirstOfTwo);
        assert_eq!(approval(&ApprovalFacts { first_approver: Some(7), ..high }), Approval::Refused(ApprovalRefusal::SameReviewerTwice));
        assert_eq!(approval(&ApprovalFacts { first_approver: Some(8), ..high }), Approval::Approve);
        let prohibited = ApprovalFacts { risk_rating: Some(RiskRating::Prohibited), ..facts() };
        assert_eq!(approval(&prohibited), Approval::FirstOfTwo);
        assert_eq!(approval(&ApprovalFacts { risk_rating: None, ..facts() }), Approval::Approve, "no rating: one reviewer");
    }

    #[test]
    fn ageing_against_the_sla() {
        let h = HOUR_MS;
        assert_eq!(review_sla(0, None, 19 * h, 24), (19 * h, ReviewSla::Ok));
        assert_eq!(review_sla(0, None, 19 * h + 12 * 60_000, 24), (19 * h + 12 * 60_000, ReviewSla::AtRisk), "80 % of 24 h is 19.2 h");
        assert_eq!(review_sla(0, None, 24 * h, 24).1, ReviewSla::AtRisk, "exactly on time");
        assert_eq!(review_sla(0, None, 24 * h + 1, 24).1, ReviewSla::Breached);
        // A decided application stops ageing at its decision.
        assert_eq!(review_sla(h, Some(2 * h), 100 * h, 24), (h, ReviewSla::Ok));
        // A clock behind the submission gives age 0.
        assert_eq!(review_sla(5 * h, None, h, 24), (0, ReviewSla::Ok));
        assert_eq!(ReviewSla::AtRisk.as_str(), "at_risk");
        assert_eq!(serde_json::to_string(&ReviewSla::Breached).unwrap(), "\"breached\"");
    }
}
