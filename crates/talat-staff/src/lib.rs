//! Staff accounts' rules, pure (every fact is an argument): the console's roles ([`Role`]) and
//! the changes admins make to the staff ([`Change`]: invite, disable, change role). Each change
//! is proposed by one admin and approved by a different one; [`check_proposal`] and
//! [`check_approval`] say whether that may happen given the staff as they are now. The web
//! API's staff routes store the proposals and apply an approved change; they decide nothing.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Operator,
    Support,
    Kyc,
    Compliance,
    /// Money in and out: statements, payouts, approving withdrawals.
    Finance,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Operator, Role::Support, Role::Kyc, Role::Compliance, Role::Finance, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Support => "support",
            Role::Kyc => "kyc",
            Role::Compliance => "compliance",
            Role::Finance => "finance",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A staff member as the rules see one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: u64,
    /// Lower-cased.
    pub email: String,
    pub role: Role,
    pub disabled: bool,
}

/// A change to the staff, as proposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new staff account for `email` (lower-cased) with `role`; they set their password by a
    /// one-time link.
    Invite {
        email: String,
        role: Role,
    },
    /// The staff member can no longer log in; their sessions end.
    Disable {
        staff: u64,
    },
    SetRole {
        staff: u64,
        role: Role,
    },
}

impl Change {
    /// `invite`, `disable` or `role`: the stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Invite { .. } => "invite",
            Change::Disable { .. } => "disable",
            Change::SetRole { .. } => "role",
        }
    }

    /// Whether two changes are about the same person (a second pending one is refused: the
    /// first approved would make the other stale).
    fn same_target(&self, other: &Change) -> bool {
        match (self, other) {
            (Change::Invite { email: a, .. }, Change::Invite { email: b, .. }) => a == b,
            (Change::Disable { staff: a } | Change::SetRole { staff: a, .. }, Change::Disable { staff: b } | Change::SetRole { staff: b, .. }) => a == b,
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StaffError {
    #[error("only an active admin may propose or approve a staff change")]
    NotAdmin,
    #[error("four eyes: the admin who proposed this change cannot approve it; another admin must")]
    SameAdmin,
    #[error("you cannot disable yourself: another admin must propose it")]
    DisableSelf,
    #[error("you cannot change your own role: another admin must propose it")]
    OwnRole,
    #[error("this would leave no active admin")]
    LastAdmin,
    #[error("no staff member {0}")]
    NoSuchStaff(u64),
    #[error("{0} is disabled")]
    Disabled(String),
    #[error("{0} already has the role {1}")]
    SameRole(String, &'static str),
    #[error("{0} already has a staff account")]
    EmailTaken(String),
    #[error("a change to this staff member is already waiting for approval")]
    AlreadyPending,
    #[error("the admin who proposed this change is no longer an active admin; reject it, and an active admin may propose it again")]
    ProposerGone,
}

impl StaffError {
    /// The request field the refusal is about, if any (the console shows it there).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            StaffError::EmailTaken(_) => Some("email"),
            StaffError::SameRole(..) => Some("role"),
            _ => None,
        }
    }
}

/// Whether a role may be changed from `from` to `to`: any move but to the same role (an admin
/// may grant admin: the second admin's approval is the check on it).
pub fn allowed_transition(from: Role, to: Role) -> bool {
    from != to
}

fn active_admin(m: &Member) -> bool {
    m.role == Role::Admin && !m.disabled
}

fn find(staff: &[Member], id: u64) -> Result<&Member, StaffError> {
    staff.iter().find(|m| m.id == id).ok_or(StaffError::NoSuchStaff(id))
}

/// Active admins once `change` is applied.
fn admins_after(change: &Change, staff: &[Member]) -> usize {
    let now = staff.iter().filter(|m| active_admin(m)).count();
    let was_admin = |id: u64| staff.iter().any(|m| m.id == id && active_admin(m));
    match change {
        Change::Invite { role, .. } => now + usize::from(*role == Role::Admin),
        Change::Disable { staff: id } => now - usize::from(was_admin(*id)),
        Change::SetRole { staff: id, role } => now - usize::from(was_admin(*id) && *role != Role::Admin),
    }
}

/// What the change itself must satisfy, whoever acts: the target exists and is active, the
/// role moves, the email is free, an admin remains. `actor` is the admin acting now.
fn check_change(actor: &Member, change: &Change, staff: &[Member]) -> Result<(), StaffError> {
    match change {
        Change::Invite { email, .. } => {
            if staff.iter().any(|m| &m.email == email) {
                return Err(StaffError::EmailTaken(email.clone()));
            }
        }
        Change::Disable { staff: id } => {
            let t = find(staff, *id)?;
            if t.id == actor.id {
                return Err(StaffError::DisableSelf);
            }
            if t.disabled {
                return Err(StaffError::Disabled(t.email.clone()));
            }
        }
        Change::SetRole { staff: id, role } => {
            let t = find(staff, *id)?;
            if t.id == actor.id {
                return Err(StaffError::OwnRole);
            }
            if t.disabled {
                return Err(StaffError::Disabled(t.email.clone()));
            }
            if !allowed_transition(t.role, *role) {
                return Err(StaffError::SameRole(t.email.clone(), role.as_str()));
            }
        }
    }
    if admins_after(change, staff) == 0 {
        return Err(StaffError::LastAdmin);
    }
    Ok(())
}

/// May `proposer` propose `change`, given the staff and the changes already pending?
pub fn check_proposal(proposer: &Member, change: &Change, staff: &[Member], pending: &[Change]) -> Result<(), StaffError> {
    if !active_admin(proposer) {
        return Err(StaffError::NotAdmin);
    }
    check_change(proposer, change, staff)?;
    if pending.iter().any(|p| p.same_target(change)) {
        return Err(StaffError::AlreadyPending);
    }
    Ok(())
}

/// May `approver` approve `change`, proposed by `proposed_by`, given the staff as they are now
/// (they may have changed since the proposal: it is checked again)?
pub fn check_approval(proposed_by: u64, approver: &Member, change: &Change, staff: &[Member]) -> Result<(), StaffError> {
    if !active_admin(approver) {
        return Err(StaffError::NotAdmin);
    }
    if approver.id == proposed_by {
        return Err(StaffError::SameAdmin);
    }
    // Four eyes means two admins who both hold the role now: one disabled or demoted since
    // proposing no longer vouches for the change.
    if !staff.iter().any(|m| m.id == proposed_by && active_admin(m)) {
        return Err(StaffError::ProposerGone);
    }
    check_change(approver, change, staff)
}

#[cfg(test)]
mod tests;
