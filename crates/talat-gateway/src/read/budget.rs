//! Each user's daily withdrawal budget as the engine keeps it — one budget in THB for THB and
//! every crypto asset, each hold charged at its value when it was held — mirrored from the
//! engine's events, so a page can say how much is left today without asking the engine thread.
//! The arithmetic is the engine's: a hold adds what its event says it charged, a release the
//! same Bangkok day gives it back, a new day starts from zero.

use rustc_hash::FxHashMap;
use talat_core::calendar::bangkok_days;
use talat_core::{AssetId, TierLimits, UserId, WithdrawalBudget};

/// A user's budget and today's use of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Usage {
    budget: WithdrawalBudget,
    /// The Bangkok day `used` counts (days since 1970).
    day: u32,
    used: u64,
}

/// A budget as a page shows it, at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetView {
    /// The asset the budget is valued in (THB).
    pub valued_in: AssetId,
    pub daily: u64,
    pub used_today: u64,
    pub left_today: u64,
}

#[derive(Debug, Default)]
pub struct Budgets {
    users: FxHashMap<UserId, Usage>,
    /// Each held withdrawal's charge: (user, day, value), for its release.
    holds: FxHashMap<String, (UserId, u32, u64)>,
}

fn day_of(ts_ms: u64) -> u32 {
    // Days since 1970 fit a u32 for eleven million years.
    bangkok_days(ts_ms) as u32
}

impl Budgets {
    /// The engine's budgets and holds as they stand.
    pub fn from_engine(engine: &talat_engine::Engine) -> Budgets {
        let users = engine.withdrawal_budgets().map(|(user, budget, (day, used))| (user, Usage { budget, day, used })).collect();
        let holds = engine.pending_withdrawals().map(|w| (w.id.0.clone(), (w.user, w.budget_day, w.budget_value))).collect();
        Budgets { users, holds }
    }

    /// New limits for `user`: the budget changes, today's use stays (as in the engine).
    pub fn set_limits(&mut self, user: UserId, limits: &TierLimits) {
        match limits.daily_withdrawal {
            Some(budget) => {
                let usage = self.users.entry(user).or_insert(Usage { budget, day: 0, used: 0 });
                usage.budget = budget;
            }
            None => {
                self.users.remove(&user);
            }
        }
    }

    /// A hold at `ts_ms` charged `value` to the user's budget.
    pub fn held(&mut self, user: UserId, id: &str, value: u64, ts_ms: u64) {
        let day = day_of(ts_ms);
        if let Some(usage) = self.users.get_mut(&user) {
            if usage.day != day {
                usage.day = day;
                usage.used = 0;
            }
            usage.used = usage.used.saturating_add(value);
        }
        self.holds.insert(id.to_owned(), (user, day, value));
    }

    /// A hold ended: released, it gives its charge back if today is still its day.
    pub fn ended(&mut self, id: &str, released: bool) {
        let Some((user, day, value)) = self.holds.remove(id) else { return };
        if let (true, Some(usage)) = (released, self.users.get_mut(&user)) {
            if usage.day == day {
                usage.used = usage.used.saturating_sub(value);
            }
        }
    }

    /// `user`'s budget at `now_ms`; `None` without one.
    pub fn view(&self, user: UserId, now_ms: u64) -> Option<BudgetView> {
        let usage = self.users.get(&user)?;
        let used_today = if usage.day == day_of(now_ms) { usage.used } else { 0 };
        let daily = usage.budget.amount.0;
        Some(BudgetView { valued_in: usage.budget.valued_in, daily, used_today, left_today: daily.saturating_sub(used_today) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use talat_core::calendar::DAY_MS;
    use talat_core::Amount;

    const THB: AssetId = AssetId(0);

    fn limits(amount: u64) -> TierLimits {
        TierLimits { can_trade: true, daily_withdrawal: Some(WithdrawalBudget { valued_in: THB, amount: Amount(amount) }) }
    }

    #[test]
    fn holds_charge_releases_give_back_the_same_day_only_and_a_new_day_starts_at_zero() {
        let (u, t0) = (UserId(3), 20_000 * DAY_MS);
        let mut b = Budgets::default();
        assert_eq!(b.view(u, t0), None);
        b.set_limits(u, &limits(1_000));
        b.held(u, "w1", 300, t0);
        b.held(u, "w2", 200, t0 + 1);
        assert_eq!(b.view(u, t0 + 2), Some(BudgetView { valued_in: THB, daily: 1_000, used_today: 500, left_today: 500 }));
        b.ended("w1", true);
        b.ended("w2", false);
        assert_eq!(b.view(u, t0 + 3).map(|v| v.used_today), Some(200), "a release gives back, a settle does not");
        b.held(u, "yesterday", 100, t0 + 4);
        assert_eq!(b.view(u, t0 + DAY_MS).map(|v| v.left_today), Some(1_000), "a new Bangkok day");
        b.held(u, "w3", 900, t0 + DAY_MS);
        b.ended("w3", true);
        b.held(u, "w4", 100, t0 + DAY_MS);
        // A release of yesterday's hold does not touch today's use.
        b.held(u, "w5", 50, t0 + DAY_MS);
        b.ended("yesterday", true);
        assert_eq!(b.view(u, t0 + DAY_MS).map(|v| v.used_today), Some(150));
        b.set_limits(u, &limits(120));
        assert_eq!(b.view(u, t0 + DAY_MS).map(|v| (v.daily, v.left_today)), Some((120, 0)), "never negative");
        b.set_limits(u, &TierLimits::default());
        assert_eq!(b.view(u, t0 + DAY_MS), None);
    }
}
