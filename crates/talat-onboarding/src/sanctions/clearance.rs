//! Clearances: a reviewer's decision that a hit is a false positive (not the same person).
//!
//! A clearance names the exact revision it was made against: `(subject, entity_id, version)`.
//! When the list publishes a new `VERSIONNUM` for the entry (new alias, new date of birth, …)
//! the old decision no longer covers what the reviewer did not see, so the clearance **lapses**
//! and the hit re-opens for review. This is why list parsers keep the version.
//!
//! Who cleared and why are required: a clearance is an audit record (CDD records are kept five
//! years after the relationship ends). The time is recorded by the caller's storage layer.

use super::matcher::Hit;
use serde::{Deserialize, Serialize};

/// Longest reviewer id, subject id, entity id or reason, in bytes.
pub const TEXT_MAX_BYTES: usize = 2000;

/// A reviewer's "false positive" decision for one subject and one revision of one entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clearance {
    /// Our customer (or applicant) id.
    pub subject_id: String,
    /// The list entry's id (UN `DATAID`).
    pub entity_id: String,
    /// The entry's `VERSIONNUM` the reviewer looked at.
    pub version: u32,
    /// Staff member who decided.
    pub reviewer: String,
    /// Why the hit is not this customer (e.g. "different date of birth and nationality").
    pub reason: String,
}

/// Why a clearance could not be recorded. Messages are shown to staff.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClearanceError {
    #[error("a clearance needs a {field}")]
    Missing { field: &'static str },
    #[error("the {field} of a clearance is longer than {TEXT_MAX_BYTES} bytes")]
    TooLong { field: &'static str },
}

impl Clearance {
    /// Records a clearance of `hit` for `subject_id`, at the hit's version.
    pub fn for_hit(subject_id: &str, hit: &Hit, reviewer: &str, reason: &str) -> Result<Clearance, ClearanceError> {
        let clearance = Clearance {
            subject_id: subject_id.trim().to_owned(),
            entity_id: hit.entity_id.clone(),
            version: hit.version,
            reviewer: reviewer.trim().to_owned(),
            reason: reason.trim().to_owned(),
        };
        clearance.validate()?;
        Ok(clearance)
    }

    /// Checks that every field is present and bounded (use after loading from storage too).
    pub fn validate(&self) -> Result<(), ClearanceError> {
        for (field, value) in [("subject id", &self.subject_id), ("entity id", &self.entity_id), ("reviewer", &self.reviewer), ("reason", &self.reason)] {
            if value.trim().is_empty() {
                return Err(ClearanceError::Missing { field });
            }
            if value.len() > TEXT_MAX_BYTES {
                return Err(ClearanceError::TooLong { field });
            }
        }
        Ok(())
    }

    /// True if this clearance covers `hit` for `subject_id`: same subject, entry and version.
    pub fn covers(&self, subject_id: &str, hit: &Hit) -> bool {
        self.subject_id == subject_id && self.entity_id == hit.entity_id && self.version == hit.version
    }

    /// True if the entry has changed since the clearance was made, so it no longer applies.
    pub fn lapsed_by(&self, current_version: u32) -> bool {
        self.version != current_version
    }
}

/// Hits split by whether a current clearance covers them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Screened {
    /// Hits a reviewer must look at.
    pub open: Vec<Hit>,
    /// Hits already cleared at this exact version.
    pub cleared: Vec<Hit>,
}

/// Splits `hits` for `subject_id` into open and cleared. A clearance made at another version of
/// the entry does not count, so a list update re-opens it. Order within each part is kept.
pub fn apply_clearances(subject_id: &str, hits: Vec<Hit>, clearances: &[Clearance]) -> Screened {
    let mut screened = Screened::default();
    for hit in hits {
        if clearances.iter().any(|c| c.covers(subject_id, &hit)) {
            screened.cleared.push(hit);
        } else {
            screened.open.push(hit);
        }
    }
    screened
}

/// Entity ids cleared for `subject_id` at the versions in `hits`: the `exclude_entity_ids` a
/// yente-style matching service accepts.
pub fn excluded_entity_ids(subject_id: &str, hits: &[Hit], clearances: &[Clearance]) -> Vec<String> {
    hits.iter().filter(|hit| clearances.iter().any(|c| c.covers(subject_id, hit))).map(|hit| hit.entity_id.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::super::matcher::{screen, MatchConfig, PreparedList, Subject};
    use super::super::un_xml::parse_un_xml;
    use super::*;

    const FIXTURE: &str = include_str!("../../fixtures/un-synthetic.xml");

    fn subject() -> Subject {
        Subject { latin_names: vec!["Ilsabet Corwen Dray".to_owned()], ..Subject::default() }
    }

    fn hits_for(xml: &str) -> Vec<Hit> {
        let list = PreparedList::new(parse_un_xml(xml.as_bytes()).unwrap());
        screen(&subject(), &list, &MatchConfig::default()).unwrap()
    }

    #[test]
    fn clearance_suppresses_then_lapses_on_a_new_version() {
        let hits = hits_for(FIXTURE);
        assert_eq!(hits[0].entity_id, "9100006");
        assert_eq!(hits[0].version, 2);
        let clearance = Clearance::for_hit("cust-42", &hits[0], "reviewer-7", "different DOB and nationality").unwrap();
        assert_eq!(clearance.version, 2);

        let screened = apply_clearances("cust-42", hits.clone(), std::slice::from_ref(&clearance));
        assert!(screened.open.iter().all(|h| h.entity_id != "9100006"));
        assert_eq!(screened.cleared.len(), 1);
        assert_eq!(excluded_entity_ids("cust-42", &hits, std::slice::from_ref(&clearance)), vec!["9100006"]);

        // The clearance belongs to one customer only.
        let other = apply_clearances("cust-43", hits.clone(), std::slice::from_ref(&clearance));
        assert!(other.open.iter().any(|h| h.entity_id == "9100006"));

        // The list amends the entry: VERSIONNUM 2 → 3 re-opens the hit.
        let amended =
            FIXTURE.replace("<DATAID>9100006</DATAID>\n      <VERSIONNUM>2</VERSIONNUM>", "<DATAID>9100006</DATAID>\n      <VERSIONNUM>3</VERSIONNUM>");
        assert_ne!(amended, FIXTURE);
        let new_hits = hits_for(&amended);
        let reopened = apply_clearances("cust-42", new_hits, std::slice::from_ref(&clearance));
        assert!(reopened.open.iter().any(|h| h.entity_id == "9100006" && h.version == 3));
        assert!(reopened.cleared.is_empty());
        assert!(clearance.lapsed_by(3));
        assert!(!clearance.lapsed_by(2));
    }

    #[test]
    fn a_clearance_needs_who_and_why() {
        let hit = hits_for(FIXTURE).remove(0);
        assert_eq!(Clearance::for_hit("c", &hit, " ", "r"), Err(ClearanceError::Missing { field: "reviewer" }));
        assert_eq!(Clearance::for_hit("c", &hit, "x", ""), Err(ClearanceError::Missing { field: "reason" }));
        assert_eq!(Clearance::for_hit("", &hit, "x", "r"), Err(ClearanceError::Missing { field: "subject id" }));
        let long = "r".repeat(TEXT_MAX_BYTES + 1);
        assert_eq!(Clearance::for_hit("c", &hit, "x", &long), Err(ClearanceError::TooLong { field: "reason" }));
    }
}
