//! The staff rules' cases: four eyes, transitions, self-changes and the last admin.

use super::*;

fn m(id: u64, role: Role) -> Member {
    Member { id, email: format!("s{id}@staff.test"), role, disabled: false }
}

fn staff() -> Vec<Member> {
    vec![m(1, Role::Admin), m(2, Role::Admin), m(3, Role::Support), Member { disabled: true, ..m(4, Role::Operator) }]
}

#[test]
fn roles_round_trip_by_name() {
    for r in Role::ALL {
        assert_eq!(Role::parse(r.as_str()), Some(r));
    }
    assert_eq!(Role::parse("root"), None);
}

#[test]
fn only_active_admins_propose_and_approve() {
    let s = staff();
    let invite = Change::Invite { email: "new@staff.test".into(), role: Role::Kyc };
    assert_eq!(check_proposal(&s[0], &invite, &s, &[]), Ok(()));
    assert_eq!(check_proposal(&s[2], &invite, &s, &[]), Err(StaffError::NotAdmin));
    let gone = Member { disabled: true, ..m(9, Role::Admin) };
    assert_eq!(check_proposal(&gone, &invite, &s, &[]), Err(StaffError::NotAdmin));
    assert_eq!(check_approval(1, &s[2], &invite, &s), Err(StaffError::NotAdmin));
}

#[test]
fn four_eyes_the_proposer_cannot_approve() {
    let s = staff();
    let change = Change::SetRole { staff: 3, role: Role::Kyc };
    assert_eq!(check_approval(1, &s[0], &change, &s), Err(StaffError::SameAdmin));
    assert_eq!(check_approval(1, &s[1], &change, &s), Ok(()));
}

#[test]
fn an_admin_cannot_disable_or_re_role_themselves() {
    let s = staff();
    assert_eq!(check_proposal(&s[0], &Change::Disable { staff: 1 }, &s, &[]), Err(StaffError::DisableSelf));
    assert_eq!(check_proposal(&s[0], &Change::SetRole { staff: 1, role: Role::Support }, &s, &[]), Err(StaffError::OwnRole));
    // Nor approve their own disabling proposed by another admin.
    assert_eq!(check_approval(1, &s[1], &Change::Disable { staff: 2 }, &s), Err(StaffError::DisableSelf));
}

#[test]
fn the_last_admin_stays() {
    // Only one active admin (2 is disabled): demoting or disabling them is refused, whoever asks.
    let s = vec![m(1, Role::Admin), Member { disabled: true, ..m(2, Role::Admin) }, m(3, Role::Support)];
    let actor = m(7, Role::Admin); // an acting admin outside the list (the rule alone is tested)
    assert_eq!(check_change(&actor, &Change::Disable { staff: 1 }, &s), Err(StaffError::LastAdmin));
    assert_eq!(check_change(&actor, &Change::SetRole { staff: 1, role: Role::Finance }, &s), Err(StaffError::LastAdmin));
    assert_eq!(check_change(&actor, &Change::Disable { staff: 3 }, &s), Ok(()));
    assert_eq!(admins_after(&Change::Invite { email: "a@b.c".into(), role: Role::Admin }, &s), 2);
}

#[test]
fn transitions_targets_and_emails() {
    let s = staff();
    assert!(!allowed_transition(Role::Support, Role::Support));
    assert!(allowed_transition(Role::Support, Role::Admin));
    assert_eq!(
        check_proposal(&s[0], &Change::SetRole { staff: 3, role: Role::Support }, &s, &[]),
        Err(StaffError::SameRole("s3@staff.test".into(), "support"))
    );
    assert_eq!(check_proposal(&s[0], &Change::SetRole { staff: 3, role: Role::Admin }, &s, &[]), Ok(()));
    assert_eq!(check_proposal(&s[0], &Change::Disable { staff: 4 }, &s, &[]), Err(StaffError::Disabled("s4@staff.test".into())));
    assert_eq!(check_proposal(&s[0], &Change::SetRole { staff: 4, role: Role::Kyc }, &s, &[]), Err(StaffError::Disabled("s4@staff.test".into())));
    assert_eq!(check_proposal(&s[0], &Change::Disable { staff: 99 }, &s, &[]), Err(StaffError::NoSuchStaff(99)));
    let taken = Change::Invite { email: "s3@staff.test".into(), role: Role::Kyc };
    assert_eq!(check_proposal(&s[0], &taken, &s, &[]), Err(StaffError::EmailTaken("s3@staff.test".into())));
    assert_eq!(StaffError::EmailTaken(String::new()).field(), Some("email"));
}

#[test]
fn one_pending_change_per_person() {
    let s = staff();
    let pending = [Change::Disable { staff: 3 }, Change::Invite { email: "x@staff.test".into(), role: Role::Kyc }];
    assert_eq!(check_proposal(&s[0], &Change::SetRole { staff: 3, role: Role::Kyc }, &s, &pending), Err(StaffError::AlreadyPending));
    assert_eq!(check_proposal(&s[0], &Change::Invite { email: "x@staff.test".into(), role: Role::Admin }, &s, &pending), Err(StaffError::AlreadyPending));
    assert_eq!(check_proposal(&s[0], &Change::Invite { email: "y@staff.test".into(), role: Role::Kyc }, &s, &pending), Ok(()));
}

#[test]
fn approval_rechecks_the_staff_as_they_are_now() {
    // Proposed while 3 was active; 3 was disabled since: the approval is refused.
    let mut s = staff();
    s[2].disabled = true;
    assert_eq!(check_approval(1, &s[1], &Change::SetRole { staff: 3, role: Role::Kyc }, &s), Err(StaffError::Disabled("s3@staff.test".into())));
}

#[test]
fn a_proposer_disabled_or_demoted_since_no_longer_vouches() {
    let change = Change::SetRole { staff: 3, role: Role::Kyc };
    let mut s = staff();
    s.push(m(5, Role::Admin));
    assert_eq!(check_approval(1, &s[1], &change, &s), Ok(()));
    s[0].disabled = true;
    assert_eq!(check_approval(1, &s[1], &change, &s), Err(StaffError::ProposerGone));
    s[0] = m(1, Role::Support);
    assert_eq!(check_approval(1, &s[1], &change, &s), Err(StaffError::ProposerGone));
    assert_eq!(check_approval(42, &s[1], &change, &s), Err(StaffError::ProposerGone), "a proposer not on the staff at all");
}
