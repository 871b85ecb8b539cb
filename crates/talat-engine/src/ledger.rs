//! The double-entry ledger. Every change of any balance is a [`posting`](Ledger::post) that moves
//! an amount of one asset from one account to another, so the sum over all accounts of an asset
//! is zero at all times (DESIGN invariant 1).
//!
//! User accounts are unsigned and may never go negative: a posting that would overdraw one is a
//! bug in validation, so it panics (crash rather than corrupt). System accounts are signed:
//! `Custody` is negative by what customers are owed, `Compensation` by what the exchange paid out.

use talat_core::{Account, Amount, AssetId, Event, PostingCause, UserId};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    pub available: u64,
    pub held: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemAccounts {
    pub fee_revenue: i128,
    pub rounding: i128,
    pub custody: i128,
    pub compensation: i128,
}

/// User balances are one flat array, `stride` entries per user, so reaching a balance is one
/// index computation and one memory access (with 100 k users, a per-user heap vector cost an
/// extra cache miss on every posting). Listing an asset past the stride re-lays the array out
/// with the stride doubled: rare, and amortised.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    balances: Vec<Balance>,
    stride: usize,
    users: usize,
    /// One set of system accounts per asset.
    system: Vec<SystemAccounts>,
}

impl Ledger {
    pub fn add_asset(&mut self) {
        self.system.push(SystemAccounts::default());
        if self.system.len() > self.stride {
            self.relayout((self.stride * 2).max(4));
        }
    }

    fn relayout(&mut self, stride: usize) {
        debug_assert!(stride >= self.system.len());
        let mut balances = vec![Balance::default(); self.users * stride];
        for u in 0..self.users {
            let old = &self.balances[u * self.stride..u * self.stride + self.stride];
            balances[u * stride..u * stride + self.stride].copy_from_slice(old);
        }
        self.balances = balances;
        self.stride = stride;
    }

    pub fn add_user(&mut self) {
        self.users += 1;
        self.balances.resize(self.users * self.stride, Balance::default());
    }

    pub fn asset_count(&self) -> usize {
        self.system.len()
    }

    pub fn user_count(&self) -> usize {
        self.users
    }

    #[inline]
    pub fn balance(&self, user: UserId, asset: AssetId) -> Balance {
        debug_assert!(user.index() < self.users && asset.index() < self.system.len());
        self.balances[user.index() * self.stride + asset.index()]
    }

    /// Starts loading a balance the caller will read soon (see [`crate::prefetch`]); an unknown
    /// user or asset is ignored.
    #[inline]
    pub fn prefetch(&self, user: UserId, asset: AssetId) {
        if user.index() < self.users && asset.index() < self.stride {
            crate::prefetch::read(&self.balances[user.index() * self.stride + asset.index()]);
        }
    }

    #[inline]
    pub fn available(&self, user: UserId, asset: AssetId) -> u64 {
        self.balance(user, asset).available
    }

    pub fn system(&self, asset: AssetId) -> SystemAccounts {
        self.system[asset.index()]
    }

    /// Balances of a user, one per listed asset, in asset order.
    pub fn user_balances(&self, user: UserId) -> &[Balance] {
        let start = user.index() * self.stride;
        &self.balances[start..start + self.system.len()]
    }

    #[inline]
    fn user_mut(&mut self, user: UserId, asset: AssetId) -> &mut Balance {
        assert!(user.index() < self.users && asset.index() < self.system.len(), "posting to an unknown account");
        &mut self.balances[user.index() * self.stride + asset.index()]
    }

    /// Moves `amount` of `asset` from `from` to `to` and records the posting. A zero amount is a
    /// no-op and emits nothing.
    #[inline]
    pub fn post(&mut self, asset: AssetId, from: Account, to: Account, amount: u64, cause: PostingCause, out: &mut Vec<Event>) {
        if amount == 0 {
            return;
        }
        debug_assert_ne!(from, to);
        self.debit(asset, from, amount);
        self.credit(asset, to, amount);
        out.push(Event::Posting { asset, from, to, amount: Amount(amount), cause });
    }

    fn debit(&mut self, asset: AssetId, account: Account, amount: u64) {
        match account {
            Account::Available(user) => {
                let b = self.user_mut(user, asset);
                b.available = b.available.checked_sub(amount).expect("ledger: available balance would go negative");
            }
            Account::Held(user) => {
                let b = self.user_mut(user, asset);
                b.held = b.held.checked_sub(amount).expect("ledger: held balance would go negative");
            }
            system => *self.system_mut(asset, system) -= amount as i128,
        }
    }

    fn credit(&mut self, asset: AssetId, account: Account, amount: u64) {
        match account {
            Account::Available(user) => {
                let b = self.user_mut(user, asset);
                b.available = b.available.checked_add(amount).expect("ledger: available balance overflow");
            }
            Account::Held(user) => {
                let b = self.user_mut(user, asset);
                b.held = b.held.checked_add(amount).expect("ledger: held balance overflow");
            }
            system => *self.system_mut(asset, system) += amount as i128,
        }
    }

    fn system_mut(&mut self, asset: AssetId, account: Account) -> &mut i128 {
        let s = &mut self.system[asset.index()];
        match account {
            Account::FeeRevenue => &mut s.fee_revenue,
            Account::Rounding => &mut s.rounding,
            Account::Custody => &mut s.custody,
            Account::Compensation => &mut s.compensation,
            Account::Available(_) | Account::Held(_) => unreachable!("user accounts are handled by the caller"),
        }
    }

    /// Sum over every account of `asset`: zero in a consistent ledger.
    pub fn sum(&self, asset: AssetId) -> i128 {
        let s = self.system[asset.index()];
        let mut total = s.fee_revenue + s.rounding + s.custody + s.compensation;
        for u in 0..self.users {
            let b = self.balances[u * self.stride + asset.index()];
            total += b.available as i128 + b.held as i128;
        }
        total
    }

    /// Rebuilds a ledger from snapshot parts: per user, balances of the first assets (missing
    /// trailing ones are zero).
    pub fn from_parts(users: Vec<Vec<Balance>>, system: Vec<SystemAccounts>) -> Ledger {
        let stride = system.len().next_power_of_two().max(4);
        let mut ledger = Ledger { balances: vec![Balance::default(); users.len() * stride], stride, users: users.len(), system };
        for (u, list) in users.iter().enumerate() {
            assert!(list.len() <= ledger.system.len(), "balances of unlisted assets");
            ledger.balances[u * stride..u * stride + list.len()].copy_from_slice(list);
        }
        ledger
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_conserve_and_record() {
        let mut ledger = Ledger::default();
        ledger.add_asset();
        ledger.add_user();
        let (asset, user) = (AssetId(0), UserId(0));
        let mut out = Vec::new();
        ledger.post(asset, Account::Custody, Account::Available(user), 500, PostingCause::Deposit, &mut out);
        ledger.post(asset, Account::Available(user), Account::Held(user), 200, PostingCause::OrderHold, &mut out);
        ledger.post(asset, Account::Held(user), Account::Held(user), 0, PostingCause::OrderHold, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(ledger.balance(user, asset), Balance { available: 300, held: 200 });
        assert_eq!(ledger.system(asset).custody, -500);
        assert_eq!(ledger.sum(asset), 0);
    }

    #[test]
    #[should_panic(expected = "would go negative")]
    fn overdraft_is_a_crash_not_a_corruption() {
        let mut ledger = Ledger::default();
        ledger.add_asset();
        ledger.add_user();
        ledger.post(AssetId(0), Account::Available(UserId(0)), Account::FeeRevenue, 1, PostingCause::TradeFee, &mut Vec::new());
    }
}
