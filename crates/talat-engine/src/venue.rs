//! The venue's switches: deposits and withdrawals open or suspended, the resume runbook after an
//! outage (its order is `talat_core::venue`'s rule), and each client's dead-man's switch.
//!
//! A switch's deadline is sequenced time, so replaying the journal fires it at the same command
//! and a restart honours a switch armed before it.

use crate::orders::NIL;
use crate::{Checked, Engine};
use talat_core::venue::{Funding, ResumeStep, MAX_CANCEL_AFTER_MS, MIN_CANCEL_AFTER_MS};
use talat_core::{DoneReason, Event, MarketId, RejectReason, TradingMode, UserId};

impl Engine {
    pub(crate) fn set_funding(&mut self, funding: Funding, out: &mut Vec<Event>) -> Checked<()> {
        self.funding = funding;
        out.push(Event::FundingChanged(funding));
        Ok(())
    }

    pub(crate) fn resume(&mut self, step: ResumeStep, out: &mut Vec<Event>) -> Checked<()> {
        let now_ms = self.last_ts_ms;
        self.resume.check(step, now_ms).map_err(|_| RejectReason::ResumeOutOfOrder)?;
        match step {
            ResumeStep::Begin { cancel_only_ms } => {
                // Only markets that were open are walked back later; one that was post-only,
                // cancel-only (a delisting) or halted for its own reasons stays as it was.
                let markets: Vec<MarketId> =
                    (0..self.markets.len()).map(|i| MarketId(i as u16)).filter(|m| self.markets[m.index()].spec.mode == TradingMode::Open).collect();
                for &m in &markets {
                    self.change_mode(m, TradingMode::Halted, out);
                }
                self.resume.markets = markets;
                self.resume.cancel_only_ms = cancel_only_ms;
                self.resume.began_at_ms = now_ms;
                self.set_funding(Funding { deposits_open: false, withdrawals_open: false }, out)?;
            }
            ResumeStep::Deposits => self.set_funding(Funding { deposits_open: true, ..self.funding }, out)?,
            ResumeStep::CancelOnly => self.resume_markets(TradingMode::CancelOnly, out),
            ResumeStep::PostOnly => self.resume_markets(TradingMode::PostOnly, out),
            ResumeStep::Open => self.resume_markets(TradingMode::Open, out),
            ResumeStep::Withdrawals => self.set_funding(Funding { withdrawals_open: true, ..self.funding }, out)?,
        }
        out.push(Event::ResumeStepTaken { step });
        if step == ResumeStep::Withdrawals {
            self.resume = Default::default();
        } else {
            self.resume.last = Some(step);
            self.resume.last_at_ms = now_ms;
        }
        Ok(())
    }

    fn resume_markets(&mut self, mode: TradingMode, out: &mut Vec<Event>) {
        let markets = std::mem::take(&mut self.resume.markets);
        for &m in &markets {
            self.change_mode(m, mode, out);
        }
        self.resume.markets = markets;
        self.fire_overdue(out);
    }

    /// Sets a market's mode and says so (the caller checked the market exists).
    pub(crate) fn change_mode(&mut self, market: MarketId, mode: TradingMode, out: &mut Vec<Event>) {
        self.markets[market.index()].spec.mode = mode;
        out.push(Event::MarketModeChanged { market, mode });
    }

    pub(crate) fn cancel_after(&mut self, user: UserId, timeout_ms: u64, out: &mut Vec<Event>) -> Checked<()> {
        self.user_hot(user)?;
        if timeout_ms == 0 {
            if self.cancel_after.remove(&user).is_some() {
                out.push(Event::CancelAfterDisarmed { user });
            }
            return Ok(());
        }
        if !(MIN_CANCEL_AFTER_MS..=MAX_CANCEL_AFTER_MS).contains(&timeout_ms) {
            return Err(RejectReason::InvalidParameter);
        }
        let deadline_ms = self.last_ts_ms + timeout_ms;
        self.cancel_after.insert(user, deadline_ms);
        out.push(Event::CancelAfterArmed { user, deadline_ms });
        Ok(())
    }

    pub(crate) fn cancel_after_expired(&mut self, user: UserId, out: &mut Vec<Event>) -> Checked<()> {
        self.user_hot(user)?;
        match self.cancel_after.get(&user) {
            Some(&deadline_ms) if deadline_ms <= self.last_ts_ms => {}
            _ => return Err(RejectReason::CancelAfterNotDue),
        }
        self.fire(user, out);
        Ok(())
    }

    /// Cancels every order of `user` its market lets go now. The switch stays (overdue) while
    /// orders remain in halted markets or during maintenance, so they go when that ends.
    fn fire(&mut self, user: UserId, out: &mut Vec<Event>) {
        let mut remaining = 0u32;
        let mut slot = self.users_hot[user.index()].orders_head;
        while slot != NIL {
            let o = self.orders.get(slot);
            let next = self.orders.links(slot).user_next;
            if self.maintenance || self.markets[o.market.index()].spec.mode == TradingMode::Halted {
                remaining += 1;
            } else {
                self.finish(slot, DoneReason::Cancelled, out);
            }
            slot = next;
        }
        if remaining == 0 {
            self.cancel_after.remove(&user);
        }
        out.push(Event::CancelAfterFired { user, remaining });
    }

    /// Fires every overdue switch that still has orders waiting: called when a market or the
    /// venue starts allowing cancels again. Bounded by the number of armed switches.
    pub(crate) fn fire_overdue(&mut self, out: &mut Vec<Event>) {
        if self.maintenance {
            return;
        }
        let now_ms = self.last_ts_ms;
        let due: Vec<UserId> = self.cancel_after.iter().filter(|(_, &deadline_ms)| deadline_ms <= now_ms).map(|(&u, _)| u).collect();
        for user in due {
            self.fire(user, out);
        }
    }
}
