//! Incidents and scheduled maintenance, with Statuspage's statuses and impacts. The store keeps
//! them; this module says which words are valid and which status ends one.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    Incident,
    Maintenance,
}

impl IncidentKind {
    pub fn name(self) -> &'static str {
        match self {
            IncidentKind::Incident => "incident",
            IncidentKind::Maintenance => "maintenance",
        }
    }

    pub fn parse(word: &str) -> Option<IncidentKind> {
        [IncidentKind::Incident, IncidentKind::Maintenance].into_iter().find(|k| k.name() == word)
    }

    /// Statuspage's statuses for this kind, in their usual order; the last one ends it.
    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            IncidentKind::Incident => &["investigating", "identified", "monitoring", "resolved"],
            IncidentKind::Maintenance => &["scheduled", "in_progress", "verifying", "completed"],
        }
    }

    pub fn valid_status(self, status: &str) -> bool {
        self.statuses().contains(&status)
    }

    pub fn is_final(self, status: &str) -> bool {
        self.statuses().last() == Some(&status)
    }

    pub fn first_status(self) -> &'static str {
        self.statuses()[0]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    None,
    Minor,
    Major,
    Critical,
}

impl Impact {
    pub fn name(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
        }
    }

    pub fn parse(word: &str) -> Option<Impact> {
        [Impact::None, Impact::Minor, Impact::Major, Impact::Critical].into_iter().find(|i| i.name() == word)
    }
}

/// One timed update of an incident, as posted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentUpdate {
    pub id: u64,
    pub status: String,
    pub body: String,
    pub created_ms: u64,
}

/// An incident or a maintenance window with its updates (newest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    pub id: u64,
    pub kind: IncidentKind,
    pub name: String,
    pub status: String,
    pub impact: Impact,
    /// Component ids it affects.
    pub components: Vec<String>,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub resolved_ms: Option<u64>,
    /// Maintenance only: the announced window.
    pub scheduled_for_ms: Option<u64>,
    pub scheduled_until_ms: Option<u64>,
    /// The support incident its customer tickets are linked to, if any.
    pub support_incident: Option<u64>,
    pub updates: Vec<IncidentUpdate>,
}

impl Incident {
    pub fn is_open(&self) -> bool {
        self.resolved_ms.is_none()
    }

    /// Shown on the page: open ones, and those resolved within the history window.
    pub fn in_history(&self, now_ms: u64) -> bool {
        self.resolved_ms.is_none_or(|r| now_ms.saturating_sub(r) <= crate::HISTORY_DAYS * talat_core::calendar::DAY_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_by_kind() {
        assert!(IncidentKind::Incident.valid_status("identified"));
        assert!(!IncidentKind::Incident.valid_status("in_progress"));
        assert!(IncidentKind::Maintenance.is_final("completed"));
        assert!(!IncidentKind::Maintenance.is_final("verifying"));
        assert_eq!(IncidentKind::parse("maintenance"), Some(IncidentKind::Maintenance));
        assert_eq!(Impact::parse("critical"), Some(Impact::Critical));
        assert_eq!(Impact::parse("severe"), None);
    }
}
