//! Maker-checker for money leaving client accounts (exchange-domain §4, SEC notice): THB 2 m to
//! 50 m needs two distinct authorised approvers; 50 m and above also an independent checker
//! (exactly 50 m is the stricter case). The thresholds are settings. Nobody approves their own
//! request, nobody signs twice, and the checker is none of the approvers.

use crate::Satang;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalPolicy {
    /// Below this, withdrawals need no staff approval at all (0: every withdrawal needs one).
    pub auto_approve_below_satang: Satang,
    /// From this amount, two distinct approvers.
    pub two_approvers_from_satang: Satang,
    /// From this amount, also an independent checker.
    pub checker_from_satang: Satang,
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        ApprovalPolicy { auto_approve_below_satang: 0, two_approvers_from_satang: 2_000_000_00, checker_from_satang: 50_000_000_00 }
    }
}

/// What one request needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub approvers: u8,
    pub checker: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    Approver,
    Checker,
}

impl ApprovalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalKind::Approver => "approver",
            ApprovalKind::Checker => "checker",
        }
    }

    pub fn parse(text: &str) -> Option<ApprovalKind> {
        [ApprovalKind::Approver, ApprovalKind::Checker].into_iter().find(|k| k.as_str() == text)
    }
}

/// A person, as four eyes see one: a staff id when staff, and an email address that ties a staff
/// account to a customer account of the same person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub staff_id: Option<u64>,
    pub email: String,
}

impl Person {
    fn same_as(&self, other: &Person) -> bool {
        (self.staff_id.is_some() && self.staff_id == other.staff_id) || self.email.trim().eq_ignore_ascii_case(other.email.trim())
    }
}

/// One signature already given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub by: Person,
    pub kind: ApprovalKind,
}

/// Someone asking to sign, with what their role allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signer {
    pub person: Person,
    pub may_approve: bool,
    pub may_check: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    #[error("the requester cannot approve their own request")]
    OwnRequest,
    #[error("you have already signed this request; another person must")]
    AlreadySigned,
    #[error("your role may not approve this request")]
    NotAllowed,
    #[error("this request needs no more approvals")]
    Complete,
    #[error("the approvals are given; this request now needs an independent checker, and your role is not one")]
    CheckerNeeded,
}

impl ApprovalPolicy {
    pub fn tier(&self, amount_satang: Satang) -> Tier {
        if amount_satang < self.auto_approve_below_satang {
            Tier { approvers: 0, checker: false }
        } else if amount_satang >= self.checker_from_satang {
            Tier { approvers: 2, checker: true }
        } else if amount_satang >= self.two_approvers_from_satang {
            Tier { approvers: 2, checker: false }
        } else {
            Tier { approvers: 1, checker: false }
        }
    }

    /// The thresholds make sense: the checker tier is not below the two-approver tier.
    pub fn validate(&self) -> Result<(), String> {
        if self.checker_from_satang < self.two_approvers_from_satang || self.two_approvers_from_satang < self.auto_approve_below_satang {
            return Err("approval thresholds must not decrease: auto_approve_below ≤ two_approvers_from ≤ checker_from".into());
        }
        Ok(())
    }
}

impl Tier {
    pub fn is_complete(&self, signatures: &[Signature]) -> bool {
        let approvers = signatures.iter().filter(|s| s.kind == ApprovalKind::Approver).count();
        let checked = signatures.iter().any(|s| s.kind == ApprovalKind::Checker);
        approvers >= usize::from(self.approvers) && (checked || !self.checker)
    }

    /// The signature `signer` would add, or why they may not sign. An approver slot is filled
    /// first; the checker signs when their role is a checker's and the slot is open.
    pub fn sign(&self, requester: &Person, signatures: &[Signature], signer: &Signer) -> Result<ApprovalKind, ApprovalError> {
        if signer.person.same_as(requester) {
            return Err(ApprovalError::OwnRequest);
        }
        if signatures.iter().any(|s| s.by.same_as(&signer.person)) {
            return Err(ApprovalError::AlreadySigned);
        }
        if self.is_complete(signatures) {
            return Err(ApprovalError::Complete);
        }
        let approvers = signatures.iter().filter(|s| s.kind == ApprovalKind::Approver).count();
        let checked = signatures.iter().any(|s| s.kind == ApprovalKind::Checker);
        if self.checker && !checked && signer.may_check {
            return Ok(ApprovalKind::Checker);
        }
        if approvers < usize::from(self.approvers) && signer.may_approve {
            return Ok(ApprovalKind::Approver);
        }
        if signer.may_approve && self.checker && !checked {
            return Err(ApprovalError::CheckerNeeded);
        }
        Err(ApprovalError::NotAllowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Satang = 1_000_000_00;

    fn staff(id: u64) -> Person {
        Person { staff_id: Some(id), email: format!("s{id}@talat.local") }
    }

    fn approver(id: u64) -> Signer {
        Signer { person: staff(id), may_approve: true, may_check: false }
    }

    fn checker(id: u64) -> Signer {
        Signer { person: staff(id), may_approve: false, may_check: true }
    }

    fn customer() -> Person {
        Person { staff_id: None, email: "somchai@example.com".into() }
    }

    #[test]
    fn tiers_at_their_boundaries() {
        let p = ApprovalPolicy::default();
        assert_eq!(p.tier(2 * M - 1), Tier { approvers: 1, checker: false });
        assert_eq!(p.tier(2 * M), Tier { approvers: 2, checker: false });
        assert_eq!(p.tier(50 * M - 1), Tier { approvers: 2, checker: false });
        assert_eq!(p.tier(50 * M), Tier { approvers: 2, checker: true }, "exactly 50 m is the stricter case");
        let auto = ApprovalPolicy { auto_approve_below_satang: 50_000_00, ..p };
        assert_eq!(auto.tier(49_999_99), Tier { approvers: 0, checker: false });
        assert!(auto.tier(0).is_complete(&[]));
        assert!(ApprovalPolicy { checker_from_satang: 1, ..p }.validate().is_err());
    }

    #[test]
    fn two_distinct_approvers_then_an_independent_checker() {
        let tier = ApprovalPolicy::default().tier(60 * M);
        let mut signed = Vec::new();
        for signer in [approver(1), approver(2), checker(3)] {
            assert!(!tier.is_complete(&signed));
            let kind = tier.sign(&customer(), &signed, &signer).unwrap();
            signed.push(Signature { by: signer.person, kind });
        }
        assert!(tier.is_complete(&signed));
        assert_eq!(tier.sign(&customer(), &signed, &approver(4)), Err(ApprovalError::Complete));
    }

    #[test]
    fn every_refusal() {
        let tier = ApprovalPolicy::default().tier(60 * M);
        let one = vec![Signature { by: staff(1), kind: ApprovalKind::Approver }];
        assert_eq!(tier.sign(&customer(), &one, &approver(1)), Err(ApprovalError::AlreadySigned));
        // The same person by email: a staff member approving their own customer account.
        let own = Signer { person: Person { staff_id: Some(9), email: "SOMCHAI@example.com".into() }, may_approve: true, may_check: true };
        assert_eq!(tier.sign(&customer(), &[], &own), Err(ApprovalError::OwnRequest));
        // A staff-made request (an exception proposal) cannot be approved by its maker.
        assert_eq!(Tier { approvers: 1, checker: false }.sign(&staff(5), &[], &approver(5)), Err(ApprovalError::OwnRequest));
        // The checker is none of the approvers.
        let both = Signer { person: staff(1), may_approve: true, may_check: true };
        assert_eq!(tier.sign(&customer(), &one, &both), Err(ApprovalError::AlreadySigned));
        let two = vec![one[0].clone(), Signature { by: staff(2), kind: ApprovalKind::Approver }];
        assert_eq!(tier.sign(&customer(), &two, &approver(3)), Err(ApprovalError::CheckerNeeded));
        let nobody = Signer { person: staff(7), may_approve: false, may_check: false };
        assert_eq!(tier.sign(&customer(), &[], &nobody), Err(ApprovalError::NotAllowed));
        // Below the checker tier a checker-only role is not an approver.
        assert_eq!(ApprovalPolicy::default().tier(M).sign(&customer(), &[], &checker(3)), Err(ApprovalError::NotAllowed));
    }
}
