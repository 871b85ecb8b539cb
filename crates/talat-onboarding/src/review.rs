//! The review SLA of a KYC application: its age (until the decision, or until now) against the
//! configured hours, at risk from [`AT_RISK_PCT`] % of them on.

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

#[cfg(test)]
mod tests {
    use super::*;

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
