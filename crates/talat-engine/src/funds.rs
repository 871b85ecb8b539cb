//! Money entering and leaving: deposits, withdrawal holds and their settlement or release, and
//! compensation credits. Each is keyed by an external id and enters the ledger once; a retry is
//! answered with [`Event::Duplicate`] and changes nothing.

use crate::{bangkok_day, Checked, Engine, WithdrawalState};
use talat_core::money::MAX_AMOUNT;
use talat_core::{Account, Amount, AssetId, Event, ExternalId, PostingCause, RejectReason, UserId};

/// Total outstanding per asset stays below this, so no user balance can ever overflow u64.
const MAX_OUTSTANDING: i128 = (u64::MAX / 2) as i128;

impl Engine {
    pub(crate) fn deposit(&mut self, user: UserId, asset: AssetId, amount: Amount, external_id: &ExternalId, out: &mut Vec<Event>) -> Checked<()> {
        if !external_id.is_valid() {
            return Err(RejectReason::InvalidParameter);
        }
        if self.deposits.contains(external_id) {
            out.push(Event::Duplicate { order: None });
            return Ok(());
        }
        self.user(user)?;
        self.check_inflow(asset, amount)?;
        self.deposits.insert(external_id.clone());
        self.ledger.post(asset, Account::Custody, Account::Available(user), amount.0, PostingCause::Deposit, out);
        out.push(Event::DepositCredited { user, asset, amount, external_id: external_id.clone() });
        Ok(())
    }

    pub(crate) fn compensate(&mut self, user: UserId, asset: AssetId, amount: Amount, reference: &ExternalId, out: &mut Vec<Event>) -> Checked<()> {
        if !reference.is_valid() {
            return Err(RejectReason::InvalidParameter);
        }
        if self.compensations.contains(reference) {
            out.push(Event::Duplicate { order: None });
            return Ok(());
        }
        self.user(user)?;
        self.check_inflow(asset, amount)?;
        self.compensations.insert(reference.clone());
        self.ledger.post(asset, Account::Compensation, Account::Available(user), amount.0, PostingCause::Compensation, out);
        out.push(Event::Compensated { user, asset, amount, reference: reference.clone() });
        Ok(())
    }

    /// A credit from outside the exchange: a listed asset, a positive bounded amount, and room
    /// under the asset's outstanding cap.
    fn check_inflow(&self, asset: AssetId, amount: Amount) -> Checked<()> {
        self.asset(asset)?;
        if amount.0 == 0 || amount.0 > MAX_AMOUNT {
            return Err(RejectReason::InvalidAmount);
        }
        let system = self.ledger.system(asset);
        let outstanding = -(system.custody + system.compensation);
        if outstanding + amount.0 as i128 > MAX_OUTSTANDING {
            return Err(RejectReason::InvalidAmount);
        }
        Ok(())
    }

    pub(crate) fn withdrawal_hold(
        &mut self,
        user: UserId,
        asset: AssetId,
        amount: Amount,
        fee: Amount,
        withdrawal_id: &ExternalId,
        out: &mut Vec<Event>,
    ) -> Checked<()> {
        if !withdrawal_id.is_valid() {
            return Err(RejectReason::InvalidParameter);
        }
        if !self.funding.withdrawals_open && !self.withdrawals.contains_key(withdrawal_id) {
            return Err(RejectReason::WithdrawalsSuspended);
        }
        if self.withdrawals.contains_key(withdrawal_id) {
            out.push(Event::Duplicate { order: None });
            return Ok(());
        }
        let u = self.user(user)?;
        self.asset(asset)?;
        if amount.0 == 0 || amount.0 > MAX_AMOUNT || fee.0 > MAX_AMOUNT {
            return Err(RejectReason::InvalidAmount);
        }
        let total = amount.0 + fee.0;
        if self.ledger.available(user, asset) < total {
            return Err(RejectReason::InsufficientBalance);
        }
        let day = bangkok_day(self.last_ts_ms);
        let used_today = if u.withdrawn_today.0 == day { u.withdrawn_today.1 } else { 0 };
        let value = match u.limits.daily_withdrawal {
            Some(budget) => {
                let value = self.value_in(asset, total, budget.valued_in).ok_or(RejectReason::WithdrawalLimitExceeded)?;
                if u128::from(used_today) + u128::from(value) > u128::from(budget.amount.0) {
                    return Err(RejectReason::WithdrawalLimitExceeded);
                }
                value
            }
            None => 0,
        };
        self.users[user.index()].withdrawn_today = (day, used_today + value);
        self.withdrawals.insert(withdrawal_id.clone(), WithdrawalState::Pending { user, asset, amount: amount.0, fee: fee.0, day, value });
        self.ledger.post(asset, Account::Available(user), Account::Held(user), total, PostingCause::WithdrawalHold, out);
        out.push(Event::WithdrawalHeld { user, asset, amount, fee, withdrawal_id: withdrawal_id.clone(), budget_value: Amount(value) });
        Ok(())
    }

    /// `units` of `asset` valued in `valued_in`: at face value for the same asset, else at the
    /// reference price (last trade, else opening price) of the `asset`/`valued_in` market,
    /// rounded up so the budget never undercounts. `None` when there is no such market or price,
    /// or the value does not fit in u64.
    pub(crate) fn value_in(&self, asset: AssetId, units: u64, valued_in: AssetId) -> Option<u64> {
        if asset == valued_in {
            return Some(units);
        }
        let market = self.markets.iter().find(|m| m.base == asset && m.quote == valued_in)?;
        let price = market.reference_price()?;
        let scaled = u128::from(units).checked_mul(u128::from(price.0))?;
        u64::try_from(scaled.div_ceil(market.notional_divisor)).ok()
    }

    /// The withdrawal left custody: the amount goes out, the fee to revenue.
    pub(crate) fn withdrawal_settle(&mut self, withdrawal_id: &ExternalId, out: &mut Vec<Event>) -> Checked<()> {
        let (user, asset, amount, fee) = match self.withdrawals.get(withdrawal_id) {
            Some(WithdrawalState::Pending { user, asset, amount, fee, .. }) => (*user, *asset, *amount, *fee),
            Some(WithdrawalState::Settled) => {
                out.push(Event::Duplicate { order: None });
                return Ok(());
            }
            Some(WithdrawalState::Released) | None => return Err(RejectReason::UnknownWithdrawal),
        };
        self.withdrawals.insert(withdrawal_id.clone(), WithdrawalState::Settled);
        self.ledger.post(asset, Account::Held(user), Account::Custody, amount, PostingCause::WithdrawalSettle, out);
        self.ledger.post(asset, Account::Held(user), Account::FeeRevenue, fee, PostingCause::WithdrawalFee, out);
        out.push(Event::WithdrawalSettled { withdrawal_id: withdrawal_id.clone() });
        Ok(())
    }

    /// The withdrawal will not happen: its hold returns to the user, and so does today's limit.
    pub(crate) fn withdrawal_release(&mut self, withdrawal_id: &ExternalId, out: &mut Vec<Event>) -> Checked<()> {
        let (user, asset, total, day, value) = match self.withdrawals.get(withdrawal_id) {
            Some(WithdrawalState::Pending { user, asset, amount, fee, day, value }) => (*user, *asset, amount + fee, *day, *value),
            Some(WithdrawalState::Released) => {
                out.push(Event::Duplicate { order: None });
                return Ok(());
            }
            Some(WithdrawalState::Settled) | None => return Err(RejectReason::UnknownWithdrawal),
        };
        self.withdrawals.insert(withdrawal_id.clone(), WithdrawalState::Released);
        let usage = &mut self.users[user.index()].withdrawn_today;
        if usage.0 == day {
            usage.1 = usage.1.saturating_sub(value);
        }
        self.ledger.post(asset, Account::Held(user), Account::Available(user), total, PostingCause::WithdrawalRelease, out);
        out.push(Event::WithdrawalReleased { withdrawal_id: withdrawal_id.clone() });
        Ok(())
    }
}
