//! The venue's own switches beside each market's trading mode: whether deposits and withdrawals
//! are open, the resume runbook after an outage, and the dead-man's switch bounds.
//!
//! The runbook's order is a rule, written once here: the engine applies it to journaled
//! `Resume` commands, and the surfaces ask the same function first so an operator reads why a
//! step is refused before anything is submitted.

use crate::ids::MarketId;
use serde::{Deserialize, Serialize};

/// Cancel-only lasts at least this long after an outage unless the operator sets another time
/// (Kraken ran a few minutes, Binance 30 min in March 2023).
pub const DEFAULT_CANCEL_ONLY_MS: u64 = 10 * 60 * 1_000;
/// Longest cancel-only period a resume may ask for: a day.
pub const MAX_CANCEL_ONLY_MS: u64 = 24 * 60 * 60 * 1_000;
/// Longest dead-man's switch a client may arm: a day, as Kraken's `cancelAllOrdersAfter`.
pub const MAX_CANCEL_AFTER_MS: u64 = 24 * 60 * 60 * 1_000;
/// Shortest switch: a shorter one would fire between two refreshes of any real client.
pub const MIN_CANCEL_AFTER_MS: u64 = 1_000;

/// Whether money may enter and leave. Suspending deposits stops new deposit requests; money
/// that arrives anyway is still booked, because refusing a fact would leave it unbooked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funding {
    pub deposits_open: bool,
    pub withdrawals_open: bool,
}

impl Default for Funding {
    fn default() -> Self {
        Funding { deposits_open: true, withdrawals_open: true }
    }
}

/// One step of the documented order after an outage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResumeStep {
    /// The outage is declared: every trading market halted, deposits and withdrawals suspended.
    Begin { cancel_only_ms: u64 },
    /// 1. Deposits back.
    Deposits,
    /// 2. Markets in cancel-only for at least the set time.
    CancelOnly,
    /// 3. Post-only limit orders.
    PostOnly,
    /// 4. Open trading.
    Open,
    /// 5. Withdrawals, only after a reconciliation passed (checked where the reconciliation is).
    Withdrawals,
}

impl ResumeStep {
    pub fn name(self) -> &'static str {
        match self {
            ResumeStep::Begin { .. } => "begin",
            ResumeStep::Deposits => "deposits",
            ResumeStep::CancelOnly => "cancel-only",
            ResumeStep::PostOnly => "post-only",
            ResumeStep::Open => "open",
            ResumeStep::Withdrawals => "withdrawals",
        }
    }

    /// The step after `self` in the runbook (`None` after the last).
    pub fn next(self) -> Option<ResumeStep> {
        match self {
            ResumeStep::Begin { .. } => Some(ResumeStep::Deposits),
            ResumeStep::Deposits => Some(ResumeStep::CancelOnly),
            ResumeStep::CancelOnly => Some(ResumeStep::PostOnly),
            ResumeStep::PostOnly => Some(ResumeStep::Open),
            ResumeStep::Open => Some(ResumeStep::Withdrawals),
            ResumeStep::Withdrawals => None,
        }
    }

    /// Parses an operator's word (`begin` takes the default cancel-only time).
    pub fn parse(word: &str) -> Option<ResumeStep> {
        Some(match word {
            "begin" => ResumeStep::Begin { cancel_only_ms: DEFAULT_CANCEL_ONLY_MS },
            "deposits" => ResumeStep::Deposits,
            "cancel-only" => ResumeStep::CancelOnly,
            "post-only" => ResumeStep::PostOnly,
            "open" => ResumeStep::Open,
            "withdrawals" => ResumeStep::Withdrawals,
            _ => return None,
        })
    }

    pub const ORDER: [&'static str; 6] = ["begin", "deposits", "cancel-only", "post-only", "open", "withdrawals"];
}

/// Where a resume stands. `last` is `None` when no outage is being resumed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeState {
    pub last: Option<ResumeStep>,
    /// When `last` was taken (the engine's sequenced time).
    pub last_at_ms: u64,
    /// When the outage was declared (`Begin`): evidence for withdrawals must be newer.
    pub began_at_ms: u64,
    pub cancel_only_ms: u64,
    /// The markets the outage halted, in id order: those that were open. Only these are walked
    /// back, so a market in another mode for its own reasons (a delisting's cancel-only, a
    /// halt) stays as it was.
    pub markets: Vec<MarketId>,
}

/// Why a resume step may not be taken now, in words an operator acts on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResumeRefusal {
    #[error("no outage is being resumed: begin one first (talat resume begin)")]
    NotBegun,
    #[error("a resume is already under way (last step: {last}); finish it before beginning another")]
    AlreadyBegun { last: &'static str },
    #[error("step {asked} is out of order: the next step is {expected}")]
    OutOfOrder { asked: &'static str, expected: &'static str },
    #[error("cancel-only must last {required_ms} ms; {remaining_ms} ms remain before post-only")]
    CancelOnlyTooShort { required_ms: u64, remaining_ms: u64 },
    #[error("the cancel-only time must be between 0 and {MAX_CANCEL_ONLY_MS} ms")]
    BadCancelOnlyTime,
}

impl ResumeState {
    pub fn active(&self) -> bool {
        self.last.is_some()
    }

    /// The step an operator takes next (`begin` when none is under way).
    pub fn expected(&self) -> ResumeStep {
        match self.last.and_then(ResumeStep::next) {
            Some(step) => step,
            None => ResumeStep::Begin { cancel_only_ms: DEFAULT_CANCEL_ONLY_MS },
        }
    }

    /// Whether `step` may be taken at `now_ms`; the one rule both the engine and the surfaces use.
    pub fn check(&self, step: ResumeStep, now_ms: u64) -> Result<(), ResumeRefusal> {
        match (self.last, step) {
            (None, ResumeStep::Begin { cancel_only_ms }) => {
                if cancel_only_ms > MAX_CANCEL_ONLY_MS {
                    return Err(ResumeRefusal::BadCancelOnlyTime);
                }
                Ok(())
            }
            (None, _) => Err(ResumeRefusal::NotBegun),
            (Some(last), ResumeStep::Begin { .. }) => Err(ResumeRefusal::AlreadyBegun { last: last.name() }),
            (Some(last), step) => {
                let expected = last.next().expect("a finished resume clears `last`");
                if std::mem::discriminant(&expected) != std::mem::discriminant(&step) {
                    return Err(ResumeRefusal::OutOfOrder { asked: step.name(), expected: expected.name() });
                }
                if step == ResumeStep::PostOnly {
                    let elapsed_ms = now_ms.saturating_sub(self.last_at_ms);
                    if elapsed_ms < self.cancel_only_ms {
                        return Err(ResumeRefusal::CancelOnlyTooShort { required_ms: self.cancel_only_ms, remaining_ms: self.cancel_only_ms - elapsed_ms });
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(state: &mut ResumeState, step: ResumeStep, now_ms: u64) {
        state.check(step, now_ms).unwrap();
        if let ResumeStep::Begin { cancel_only_ms } = step {
            state.cancel_only_ms = cancel_only_ms;
        }
        state.last = if step == ResumeStep::Withdrawals { None } else { Some(step) };
        state.last_at_ms = now_ms;
    }

    #[test]
    fn the_runbook_goes_in_its_order_only() {
        let mut s = ResumeState::default();
        assert_eq!(s.check(ResumeStep::Open, 0), Err(ResumeRefusal::NotBegun));
        walk(&mut s, ResumeStep::Begin { cancel_only_ms: 600_000 }, 1_000);
        assert!(matches!(s.check(ResumeStep::Begin { cancel_only_ms: 0 }, 2_000), Err(ResumeRefusal::AlreadyBegun { last: "begin" })));
        assert_eq!(s.check(ResumeStep::Open, 2_000), Err(ResumeRefusal::OutOfOrder { asked: "open", expected: "deposits" }));
        walk(&mut s, ResumeStep::Deposits, 2_000);
        walk(&mut s, ResumeStep::CancelOnly, 3_000);
        assert_eq!(s.check(ResumeStep::PostOnly, 3_000 + 599_999), Err(ResumeRefusal::CancelOnlyTooShort { required_ms: 600_000, remaining_ms: 1 }));
        walk(&mut s, ResumeStep::PostOnly, 603_000);
        assert_eq!(s.check(ResumeStep::Withdrawals, 603_001), Err(ResumeRefusal::OutOfOrder { asked: "withdrawals", expected: "open" }));
        walk(&mut s, ResumeStep::Open, 604_000);
        walk(&mut s, ResumeStep::Withdrawals, 605_000);
        assert!(!s.active());
        assert_eq!(s.expected().name(), "begin");
    }

    #[test]
    fn a_cancel_only_time_past_a_day_is_refused() {
        let s = ResumeState::default();
        assert_eq!(s.check(ResumeStep::Begin { cancel_only_ms: MAX_CANCEL_ONLY_MS + 1 }, 0), Err(ResumeRefusal::BadCancelOnlyTime));
    }

    #[test]
    fn every_word_parses_to_its_step() {
        for word in ResumeStep::ORDER {
            assert_eq!(ResumeStep::parse(word).unwrap().name(), word);
        }
        assert_eq!(ResumeStep::parse("reopen"), None);
    }
}
