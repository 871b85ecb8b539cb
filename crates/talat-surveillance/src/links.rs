//! Which accounts are one interest. The engine knows only the self-trade-prevention groups it
//! was told; the links that matter for wash trading live outside it — a shared KYC identity,
//! bank account, deposit address, device or IP — and are handed in as facts: (account, kind,
//! key). Two accounts sharing a key are linked by that kind. Staff accounts are marked, and an
//! account sharing any key with one is staff-linked.

use crate::alert::{LinkEvidence, LinkKind};
use std::collections::{BTreeMap, BTreeSet};
use talat_core::UserId;

/// The most accounts one key may join: a key shared by more (a carrier-grade NAT address, a
/// public Wi-Fi) says nothing about common control and is ignored.
pub const MAX_ACCOUNTS_PER_KEY: usize = 16;

#[derive(Clone, Debug, Default)]
pub struct LinkGraph {
    members: BTreeMap<(LinkKind, String), BTreeSet<UserId>>,
    keys: BTreeMap<UserId, BTreeSet<(LinkKind, String)>>,
    staff: BTreeSet<UserId>,
}

impl LinkGraph {
    pub fn new() -> LinkGraph {
        LinkGraph::default()
    }

    /// Records that `user` has `key` of `kind` (a hash of a national id, a bank account, …).
    pub fn add(&mut self, user: UserId, kind: LinkKind, key: impl Into<String>) {
        let key = key.into();
        self.members.entry((kind, key.clone())).or_default().insert(user);
        self.keys.entry(user).or_default().insert((kind, key));
    }

    /// Marks `user` as a staff member's own account.
    pub fn add_staff(&mut self, user: UserId) {
        self.staff.insert(user);
    }

    /// How `a` and `b` are linked, if they are (the first kind, in `LinkKind` order).
    pub fn linked(&self, a: UserId, b: UserId) -> Option<LinkKind> {
        if a == b {
            return None;
        }
        let keys = self.keys.get(&a)?;
        keys.iter().filter(|key| self.members.get(*key).is_some_and(|m| m.len() <= MAX_ACCOUNTS_PER_KEY && m.contains(&b))).map(|(kind, _)| *kind).min()
    }

    pub fn is_staff(&self, user: UserId) -> bool {
        self.staff.contains(&user)
    }

    /// The staff account `user` is, or is linked to.
    pub fn staff_link(&self, user: UserId) -> Option<UserId> {
        if self.staff.contains(&user) {
            return Some(user);
        }
        self.staff.iter().copied().find(|&s| self.linked(user, s).is_some())
    }

    /// The links among `accounts`, as evidence.
    pub fn evidence(&self, accounts: &[UserId]) -> Vec<LinkEvidence> {
        let mut out = Vec::new();
        for (i, &a) in accounts.iter().enumerate() {
            for &b in &accounts[i + 1..] {
                if let Some(kind) = self.linked(a, b) {
                    out.push(LinkEvidence { a, b, kind });
                }
            }
            if let Some(s) = self.staff_link(a) {
                if s != a && !accounts.contains(&s) {
                    out.push(LinkEvidence { a, b: s, kind: LinkKind::Staff });
                } else if s == a {
                    out.push(LinkEvidence { a, b: a, kind: LinkKind::Staff });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_keys_link_and_crowded_keys_do_not() {
        let mut g = LinkGraph::new();
        g.add(UserId(1), LinkKind::Ip, "10.0.0.1");
        g.add(UserId(2), LinkKind::Ip, "10.0.0.1");
        g.add(UserId(2), LinkKind::BankAccount, "kbank-123");
        g.add(UserId(3), LinkKind::BankAccount, "kbank-123");
        assert_eq!(g.linked(UserId(1), UserId(2)), Some(LinkKind::Ip));
        assert_eq!(g.linked(UserId(2), UserId(3)), Some(LinkKind::BankAccount));
        assert_eq!(g.linked(UserId(1), UserId(3)), None, "links are not transitive");
        for u in 10..30 {
            g.add(UserId(u), LinkKind::Ip, "cgnat");
        }
        assert_eq!(g.linked(UserId(10), UserId(11)), None);
    }

    #[test]
    fn staff_links() {
        let mut g = LinkGraph::new();
        g.add_staff(UserId(7));
        g.add(UserId(7), LinkKind::Device, "d1");
        g.add(UserId(8), LinkKind::Device, "d1");
        assert_eq!(g.staff_link(UserId(7)), Some(UserId(7)));
        assert_eq!(g.staff_link(UserId(8)), Some(UserId(7)));
        assert_eq!(g.staff_link(UserId(9)), None);
    }
}
