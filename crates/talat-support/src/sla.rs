//! SLA targets and clocks: how long support may take, and where a given clock stands.
//!
//! A clock is not a stored counter but a function of facts — when it started, when it was
//! paused and resumed, whether it stopped — and of "now". Recomputing from facts means a
//! clock can never drift, and a changed calendar or policy applies to open cases at once.
//!
//! Targets are in business minutes of the [`BusinessCalendar`] in use. Targets in calendar days
//! (the complaint deadlines) run on [`BusinessCalendar::always_open`] with `days ·`
//! [`CALENDAR_DAY_MIN`] minutes.

use crate::calendar::{BusinessCalendar, MAX_ADD_MS, MAX_INSTANT_MS, MINUTE_MS};
use crate::names::{parse_name, UnknownName};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use thiserror::Error;

/// One business day of the default calendar (09:00–18:00), in minutes.
pub const BUSINESS_DAY_MIN: u32 = 9 * 60;
/// One calendar day, in minutes (for targets on [`BusinessCalendar::always_open`]).
pub const CALENDAR_DAY_MIN: u32 = 24 * 60;
/// The most pauses one clock may have; every status walks them all.
pub const MAX_PAUSES: usize = 1_000;
/// The longest target a clock accepts: what the calendar can add in one step.
pub const MAX_TARGET_MIN: u32 = (MAX_ADD_MS / MINUTE_MS) as u32;

/// How urgent a ticket is. Ordered most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Urgent, Priority::High, Priority::Normal, Priority::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }

    pub fn parse(text: &str) -> Result<Self, UnknownName> {
        parse_name("priority", &Self::ALL, Self::as_str, text)
    }

    /// One step more urgent (urgent stays urgent).
    pub fn stricter(self) -> Self {
        match self {
            Priority::Urgent | Priority::High => Priority::Urgent,
            Priority::Normal => Priority::High,
            Priority::Low => Priority::Normal,
        }
    }
}

/// What a ticket is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Account,
    Deposit,
    Withdrawal,
    Trading,
    Kyc,
    Security,
    Other,
}

impl Category {
    pub const ALL: [Category; 7] =
        [Category::Account, Category::Deposit, Category::Withdrawal, Category::Trading, Category::Kyc, Category::Security, Category::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Account => "account",
            Category::Deposit => "deposit",
            Category::Withdrawal => "withdrawal",
            Category::Trading => "trading",
            Category::Kyc => "kyc",
            Category::Security => "security",
            Category::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Result<Self, UnknownName> {
        parse_name("category", &Self::ALL, Self::as_str, text)
    }

    /// Where a new ticket's priority starts: money leaving and account security come first.
    pub fn initial_priority(self) -> Priority {
        match self {
            Category::Security | Category::Withdrawal => Priority::High,
            _ => Priority::Normal,
        }
    }
}

/// The two clocks of a ticket, in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTargets {
    /// From creation to the first staff answer.
    pub first_response_business_min: u32,
    /// From creation to resolution (time waiting on the customer excluded).
    pub resolution_business_min: u32,
}

/// Complaint deadlines (exchange-domain.md §5, our proposed defaults, tagged P there).
///
/// Only the acknowledgement counts business time; the others are calendar days, as the SEC's
/// 30-day rule for securities firms (the closest known analogue) counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComplaintTargets {
    /// Acknowledge receipt (automatically) within this many business minutes.
    pub acknowledge_business_min: u32,
    /// Give a first substantive answer within this many calendar days of receipt.
    pub first_answer_days: u32,
    /// Report the outcome within this many calendar days of receipt.
    pub resolve_days: u32,
    /// While still open, report progress every this many calendar days.
    pub progress_every_days: u32,
}

impl Default for ComplaintTargets {
    fn default() -> Self {
        Self { acknowledge_business_min: BUSINESS_DAY_MIN, first_answer_days: 7, resolve_days: 30, progress_every_days: 30 }
    }
}

/// Which targets apply to which ticket, and when to escalate.
///
/// Deserializable with every key optional; call [`validate`](Self::validate) after loading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaPolicy {
    pub urgent: SlaTargets,
    pub high: SlaTargets,
    pub normal: SlaTargets,
    pub low: SlaTargets,
    /// Categories whose tickets get the targets of the next more urgent priority: money leaving
    /// (withdrawals) and account takeovers (security) hurt most while they wait.
    pub stricter_categories: BTreeSet<Category>,
    /// A running clock is at risk once this share of its target is used, in percent (1..=100).
    pub escalate_at_pct: u8,
    pub complaint: ComplaintTargets,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        let targets = |first_response_business_min, resolution_business_min| SlaTargets { first_response_business_min, resolution_business_min };
        Self {
            urgent: targets(30, 8 * 60),
            high: targets(2 * 60, 2 * BUSINESS_DAY_MIN),
            normal: targets(BUSINESS_DAY_MIN, 5 * BUSINESS_DAY_MIN),
            low: targets(2 * BUSINESS_DAY_MIN, 10 * BUSINESS_DAY_MIN),
            stricter_categories: [Category::Withdrawal, Category::Security].into_iter().collect(),
            escalate_at_pct: 80,
            complaint: ComplaintTargets::default(),
        }
    }
}

/// Why a policy or a clock was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClockError {
    #[error("an SLA target must be between 1 and {max} minutes, got {0}", max = MAX_TARGET_MIN)]
    Target(u32),
    #[error("{priority} tickets must get a first response no later than their resolution")]
    FirstResponseAfterResolution { priority: &'static str },
    #[error("escalation must start between 1 and 100 % of the target, got {0} %")]
    EscalatePct(u8),
    #[error("complaint deadlines must be at least one day (or minute) each")]
    ComplaintTarget,
    #[error("a clock holds at most {max} pauses, got {0}", max = MAX_PAUSES)]
    TooManyPauses(usize),
    #[error("instant {0} ms is beyond the year 9999")]
    InstantOutOfRange(u64),
    #[error("the clock stopped ({stopped_ms}) before it started ({started_ms})")]
    StopBeforeStart { started_ms: u64, stopped_ms: u64 },
    #[error("pause {index} begins ({begin_ms}) before the clock started ({started_ms})")]
    PauseBeforeStart { index: usize, begin_ms: u64, started_ms: u64 },
    #[error("pause {index} ends ({end_ms}) before it begins ({begin_ms})")]
    PauseInverted { index: usize, begin_ms: u64, end_ms: u64 },
    #[error("pause {index} begins ({begin_ms}) before pause {previous} ended ({previous_end_ms}): pauses must be in order and not overlap")]
    PausesOverlap { index: usize, previous: usize, begin_ms: u64, previous_end_ms: u64 },
    #[error("pause {index} is still open, but a later pause follows it")]
    OpenPauseNotLast { index: usize },
    #[error("pause {index} runs past the moment the clock stopped ({stopped_ms})")]
    PauseAfterStop { index: usize, stopped_ms: u64 },
    #[error("the clock's facts reach {fact_ms} ms, after now ({now_ms} ms)")]
    FactsInTheFuture { fact_ms: u64, now_ms: u64 },
}

impl SlaPolicy {
    /// Checks every target, the escalation share and the complaint deadlines.
    pub fn validate(&self) -> Result<(), ClockError> {
        for priority in Priority::ALL {
            let targets = self.targets_of(priority);
            validate_target(targets.first_response_business_min)?;
            validate_target(targets.resolution_business_min)?;
            if targets.first_response_business_min > targets.resolution_business_min {
                return Err(ClockError::FirstResponseAfterResolution { priority: priority.as_str() });
            }
        }
        validate_escalate_pct(self.escalate_at_pct)?;
        let c = &self.complaint;
        let days = [c.first_answer_days, c.resolve_days, c.progress_every_days];
        if c.acknowledge_business_min == 0 || days.contains(&0) {
            return Err(ClockError::ComplaintTarget);
        }
        for d in days {
            validate_target(d.saturating_mul(CALENDAR_DAY_MIN))?;
        }
        validate_target(c.acknowledge_business_min)
    }

    /// The priority whose targets apply: one step stricter for the stricter categories.
    pub fn effective_priority(&self, priority: Priority, category: Category) -> Priority {
        if self.stricter_categories.contains(&category) {
            priority.stricter()
        } else {
            priority
        }
    }

    /// The targets for a ticket of this priority and category.
    pub fn targets(&self, priority: Priority, category: Category) -> SlaTargets {
        self.targets_of(self.effective_priority(priority, category))
    }

    fn targets_of(&self, priority: Priority) -> SlaTargets {
        match priority {
            Priority::Urgent => self.urgent,
            Priority::High => self.high,
            Priority::Normal => self.normal,
            Priority::Low => self.low,
        }
    }
}

fn validate_target(target_min: u32) -> Result<(), ClockError> {
    if target_min == 0 || target_min > MAX_TARGET_MIN {
        return Err(ClockError::Target(target_min));
    }
    Ok(())
}

fn validate_escalate_pct(pct: u8) -> Result<(), ClockError> {
    if pct == 0 || pct > 100 {
        return Err(ClockError::EscalatePct(pct));
    }
    Ok(())
}

/// The facts of one clock, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClockFacts {
    /// When the clock started (the ticket or complaint was received).
    pub started_ms: u64,
    /// Paused intervals `[begin, end)` in order, not overlapping; the last may still be open
    /// (`None`). Paused time never counts.
    pub pauses: Vec<(u64, Option<u64>)>,
    /// When the clock stopped (the answer was sent, the case resolved), if it has. An open
    /// pause ends where the clock stops.
    pub stopped_ms: Option<u64>,
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Counting, below the escalation share.
    Running,
    /// Not counting (waiting on the customer) and not breached: nobody needs to act.
    Paused,
    /// Counting and past the escalation share: escalate before it breaches.
    AtRisk,
    /// Stopped within its target.
    Met,
    /// Over its target, running or stopped: a breach is never undone.
    Breached,
}

impl ClockState {
    /// How urgent a clock in this state makes its ticket, most urgent first (0): breached, then
    /// at risk, then running, then paused, then met. The support queue sorts by it.
    pub fn urgency(self) -> u8 {
        match self {
            ClockState::Breached => 0,
            ClockState::AtRisk => 1,
            ClockState::Running => 2,
            ClockState::Paused => 3,
            ClockState::Met => 4,
        }
    }
}

/// A clock's state at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockStatus {
    pub state: ClockState,
    /// Business time counted so far (to the stop, if stopped).
    pub elapsed_business_ms: u64,
    /// Target minus elapsed: negative once breached.
    pub remaining_business_ms: i64,
    /// Elapsed as a share of the target, in whole percent (may exceed 100).
    pub used_pct: u32,
    /// While running: the instant the target runs out if the clock keeps running (in the past
    /// once breached). `None` while paused or once stopped.
    pub due_ms: Option<u64>,
    /// When breached: the instant the target ran out (the deadline that was missed).
    pub breached_at_ms: Option<u64>,
}

impl ClockFacts {
    /// Checks order, overlap, range and that nothing lies after `now_ms`.
    pub fn validate(&self, now_ms: u64) -> Result<(), ClockError> {
        if self.pauses.len() > MAX_PAUSES {
            return Err(ClockError::TooManyPauses(self.pauses.len()));
        }
        let in_range = |ms: u64| {
            if ms <= MAX_INSTANT_MS {
                Ok(())
            } else {
                Err(ClockError::InstantOutOfRange(ms))
            }
        };
        in_range(now_ms)?;
        in_range(self.started_ms)?;
        let started_ms = self.started_ms;
        let mut latest_ms = started_ms;
        if let Some(stopped_ms) = self.stopped_ms {
            in_range(stopped_ms)?;
            if stopped_ms < started_ms {
                return Err(ClockError::StopBeforeStart { started_ms, stopped_ms });
            }
            latest_ms = stopped_ms;
        }
        let mut previous_end: Option<(usize, u64)> = None;
        for (index, &(begin_ms, end_ms)) in self.pauses.iter().enumerate() {
            in_range(begin_ms)?;
            if begin_ms < started_ms {
                return Err(ClockError::PauseBeforeStart { index, begin_ms, started_ms });
            }
            if let Some((previous, previous_end_ms)) = previous_end {
                if begin_ms < previous_end_ms {
                    return Err(ClockError::PausesOverlap { index, previous, begin_ms, previous_end_ms });
                }
            }
            if index > 0 && self.pauses[index - 1].1.is_none() {
                return Err(ClockError::OpenPauseNotLast { index: index - 1 });
            }
            let end_or_begin_ms = match end_ms {
                Some(end_ms) => {
                    in_range(end_ms)?;
                    if end_ms < begin_ms {
                        return Err(ClockError::PauseInverted { index, begin_ms, end_ms });
                    }
                    end_ms
                }
                None => begin_ms,
            };
            if let Some(stopped_ms) = self.stopped_ms {
                if end_or_begin_ms > stopped_ms {
                    return Err(ClockError::PauseAfterStop { index, stopped_ms });
                }
            }
            latest_ms = latest_ms.max(end_or_begin_ms);
            previous_end = Some((index, end_or_begin_ms));
        }
        if latest_ms > now_ms {
            return Err(ClockError::FactsInTheFuture { fact_ms: latest_ms, now_ms });
        }
        Ok(())
    }

    /// Whether the clock is paused at the end of its facts (an open last pause, not stopped).
    pub fn is_paused(&self) -> bool {
        self.stopped_ms.is_none() && matches!(self.pauses.last(), Some((_, None)))
    }
}

/// Where the clock described by `facts` stands at `now_ms`, against a target of
/// `target_business_min` business minutes of `calendar`, at risk from `escalate_at_pct` % on.
///
/// A clock is breached once it has counted *more* than its target: an answer sent exactly as the
/// target runs out is on time.
pub fn clock_status(
    calendar: &BusinessCalendar,
    facts: &ClockFacts,
    target_business_min: u32,
    escalate_at_pct: u8,
    now_ms: u64,
) -> Result<ClockStatus, ClockError> {
    validate_target(target_business_min)?;
    validate_escalate_pct(escalate_at_pct)?;
    facts.validate(now_ms)?;
    let target_ms = u64::from(target_business_min) * MINUTE_MS;
    let end_ms = facts.stopped_ms.unwrap_or(now_ms);

    // Walk the running stretches between pauses, counting business time and noting the instant
    // the count reaches the target. Bounded by MAX_PAUSES + 1 stretches.
    let mut elapsed_ms: u64 = 0;
    let mut target_reached_ms: Option<u64> = None;
    let mut count_stretch = |begin_ms: u64, stretch_end_ms: u64| {
        let stretch_ms = calendar.business_ms_between(begin_ms, stretch_end_ms);
        if target_reached_ms.is_none() && elapsed_ms + stretch_ms >= target_ms {
            // The target runs out inside this stretch (or exactly at its end).
            let reached_ms = calendar.add_business_ms(begin_ms, target_ms - elapsed_ms);
            assert!(reached_ms >= begin_ms && reached_ms <= stretch_end_ms);
            target_reached_ms = Some(reached_ms);
        }
        elapsed_ms += stretch_ms;
    };
    let mut running_since_ms = facts.started_ms;
    for &(pause_begin_ms, pause_end_ms) in &facts.pauses {
        count_stretch(running_since_ms, pause_begin_ms);
        running_since_ms = pause_end_ms.unwrap_or(end_ms).min(end_ms);
    }
    count_stretch(running_since_ms, end_ms);

    let breached = elapsed_ms > target_ms;
    let stopped = facts.stopped_ms.is_some();
    let paused = facts.is_paused();
    let at_risk = u128::from(elapsed_ms) * 100 >= u128::from(target_ms) * u128::from(escalate_at_pct);
    let state = match (stopped, breached) {
        (_, true) => ClockState::Breached,
        (true, false) => ClockState::Met,
        // Paused wins over at risk: the case waits on the customer, staff cannot act on it.
        (false, false) if paused => ClockState::Paused,
        (false, false) if at_risk => ClockState::AtRisk,
        (false, false) => ClockState::Running,
    };
    let due_ms = if stopped || paused {
        None
    } else {
        // Reached already (possibly breached): the deadline lies behind; otherwise ahead.
        Some(target_reached_ms.unwrap_or_else(|| calendar.add_business_ms(now_ms, target_ms - elapsed_ms)))
    };
    let breached_at_ms = if breached { Some(target_reached_ms.expect("a breached clock reached its target on the way")) } else { None };
    // Both fit: elapsed is bounded by MAX_INSTANT_MS < 2^63, the target by MAX_ADD_MS.
    let remaining_business_ms = target_ms as i64 - elapsed_ms as i64;
    let used_pct = u32::try_from(u128::from(elapsed_ms) * 100 / u128::from(target_ms)).unwrap_or(u32::MAX);
    Ok(ClockStatus { state, elapsed_business_ms: elapsed_ms, remaining_business_ms, used_pct, due_ms, breached_at_ms })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{LocalDate, DAY_MS, HOUR_MS, UTC_OFFSET_MS};
    use proptest::prelude::*;

    /// UTC milliseconds of a Thai local time.
    fn bkk(date: &str, hour: u64, minute: u64) -> u64 {
        let day = LocalDate::parse(date).unwrap().days_since_epoch() as u64;
        day * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS - UTC_OFFSET_MS
    }

    fn status(facts: &ClockFacts, target_min: u32, now_ms: u64) -> ClockStatus {
        clock_status(&BusinessCalendar::default(), facts, target_min, 80, now_ms).unwrap()
    }

    #[test]
    fn names_parse_and_print() {
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Ok(p));
        }
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Ok(c));
        }
        assert_eq!(Priority::parse("asap").unwrap_err().to_string(), "unknown priority \"asap\"; expected one of: urgent, high, normal, low");
        assert!(Category::parse("KYC").is_err(), "names are exact");
    }

    #[test]
    fn money_and_security_tickets_start_high() {
        let high: Vec<_> = Category::ALL.into_iter().filter(|c| c.initial_priority() == Priority::High).collect();
        assert_eq!(high, [Category::Withdrawal, Category::Security]);
        assert_eq!(Category::Trading.initial_priority(), Priority::Normal);
    }

    #[test]
    fn clock_states_by_urgency() {
        let mut states = [ClockState::Met, ClockState::Running, ClockState::Breached, ClockState::Paused, ClockState::AtRisk];
        states.sort_by_key(|s| s.urgency());
        assert_eq!(states, [ClockState::Breached, ClockState::AtRisk, ClockState::Running, ClockState::Paused, ClockState::Met]);
    }

    #[test]
    fn default_policy_is_valid_and_stricter_for_money_and_security() {
        let policy = SlaPolicy::default();
        policy.validate().unwrap();
        let t = |p, c| policy.targets(p, c);
        assert_eq!(t(Priority::Normal, Category::Trading), policy.normal);
        assert_eq!(t(Priority::Normal, Category::Trading).first_response_business_min, 540);
        assert_eq!(t(Priority::Normal, Category::Withdrawal), policy.high);
        assert_eq!(t(Priority::Low, Category::Security), policy.normal);
        assert_eq!(t(Priority::Urgent, Category::Security), policy.urgent);
        assert_eq!(t(Priority::Urgent, Category::Deposit).first_response_business_min, 30);
        assert_eq!(policy.complaint.acknowledge_business_min, BUSINESS_DAY_MIN);
        assert_eq!((policy.complaint.first_answer_days, policy.complaint.resolve_days), (7, 30));
        // Stricter never means looser.
        for pair in Priority::ALL.windows(2) {
            let (stricter, looser) = (policy.targets_of(pair[0]), policy.targets_of(pair[1]));
            assert!(stricter.first_response_business_min <= looser.first_response_business_min);
            assert!(stricter.resolution_business_min <= looser.resolution_business_min);
        }
    }

    #[test]
    fn policy_validation_reads_well() {
        let mut policy = SlaPolicy { escalate_at_pct: 0, ..SlaPolicy::default() };
        assert_eq!(policy.validate().unwrap_err().to_string(), "escalation must start between 1 and 100 % of the target, got 0 %");
        policy.escalate_at_pct = 80;
        policy.low.first_response_business_min = policy.low.resolution_business_min + 1;
        assert_eq!(policy.validate().unwrap_err().to_string(), "low tickets must get a first response no later than their resolution");
        policy.low = SlaTargets { first_response_business_min: 0, resolution_business_min: 10 };
        assert!(matches!(policy.validate(), Err(ClockError::Target(0))));
    }

    #[test]
    fn a_running_clock_counts_business_time_only() {
        // Normal ticket (one business day to first response) received Monday 2026-03-09 10:00.
        let facts = ClockFacts { started_ms: bkk("2026-03-09", 10, 0), ..ClockFacts::default() };
        let s = status(&facts, BUSINESS_DAY_MIN, bkk("2026-03-09", 13, 0));
        assert_eq!(s.state, ClockState::Running);
        assert_eq!(s.elapsed_business_ms, 3 * HOUR_MS);
        assert_eq!(s.remaining_business_ms, 6 * HOUR_MS as i64);
        assert_eq!(s.used_pct, 33);
        assert_eq!(s.due_ms, Some(bkk("2026-03-10", 10, 0)));
        assert_eq!(s.breached_at_ms, None);
        // Overnight nothing counts.
        let night = status(&facts, BUSINESS_DAY_MIN, bkk("2026-03-10", 3, 0));
        assert_eq!(night.elapsed_business_ms, 8 * HOUR_MS);
        assert_eq!(night.due_ms, Some(bkk("2026-03-10", 10, 0)));
    }

    #[test]
    fn a_clock_crossing_a_weekend() {
        // Received Friday 2026-03-06 16:00 with a 4-business-hour target: due Monday 11:00.
        let facts = ClockFacts { started_ms: bkk("2026-03-06", 16, 0), ..ClockFacts::default() };
        let saturday = status(&facts, 4 * 60, bkk("2026-03-07", 12, 0));
        assert_eq!(saturday.elapsed_business_ms, 2 * HOUR_MS);
        assert_eq!(saturday.state, ClockState::Running);
        assert_eq!(saturday.due_ms, Some(bkk("2026-03-09", 11, 0)));
        let monday = status(&facts, 4 * 60, bkk("2026-03-09", 11, 30));
        assert_eq!(monday.state, ClockState::Breached);
        assert_eq!(monday.remaining_business_ms, -30 * MINUTE_MS as i64);
        assert_eq!(monday.breached_at_ms, Some(bkk("2026-03-09", 11, 0)));
        assert_eq!(monday.due_ms, Some(bkk("2026-03-09", 11, 0)), "the missed deadline");
    }

    #[test]
    fn waiting_on_the_customer_freezes_the_clock() {
        let start = bkk("2026-03-09", 9, 0);
        let paused_at = bkk("2026-03-09", 10, 0);
        let mut facts = ClockFacts { started_ms: start, pauses: vec![(paused_at, None)], stopped_ms: None };
        // Two days later, still waiting: one hour counted, nothing due.
        let waiting = status(&facts, 2 * 60, bkk("2026-03-11", 15, 0));
        assert_eq!(waiting.state, ClockState::Paused);
        assert_eq!(waiting.elapsed_business_ms, HOUR_MS);
        assert_eq!(waiting.due_ms, None);
        // The customer replies Wednesday 15:00: the clock resumes with one hour left.
        let replied = bkk("2026-03-11", 15, 0);
        facts.pauses[0].1 = Some(replied);
        let resumed = status(&facts, 2 * 60, bkk("2026-03-11", 15, 30));
        assert_eq!(resumed.state, ClockState::Running);
        assert_eq!(resumed.elapsed_business_ms, HOUR_MS + 30 * MINUTE_MS);
        assert_eq!(resumed.due_ms, Some(bkk("2026-03-11", 16, 0)));
        // Staff answer at 15:50: met.
        facts.stopped_ms = Some(bkk("2026-03-11", 15, 50));
        let met = status(&facts, 2 * 60, bkk("2026-03-20", 0, 0));
        assert_eq!(met.state, ClockState::Met);
        assert_eq!(met.due_ms, None);
        assert_eq!(met.elapsed_business_ms, HOUR_MS + 50 * MINUTE_MS);
    }

    #[test]
    fn escalation_at_80_pct() {
        let facts = ClockFacts { started_ms: bkk("2026-03-09", 9, 0), ..ClockFacts::default() };
        // 100-minute target: at risk from minute 80.
        assert_eq!(status(&facts, 100, bkk("2026-03-09", 10, 19)).state, ClockState::Running);
        let at_80 = status(&facts, 100, bkk("2026-03-09", 10, 20));
        assert_eq!((at_80.state, at_80.used_pct), (ClockState::AtRisk, 80));
        assert_eq!(status(&facts, 100, bkk("2026-03-09", 10, 40)).state, ClockState::AtRisk, "due, not late");
        assert_eq!(status(&facts, 100, bkk("2026-03-09", 10, 40) + 1).state, ClockState::Breached);
        // A paused clock at 90 % is paused, not at risk.
        let paused = ClockFacts { pauses: vec![(bkk("2026-03-09", 10, 30), None)], ..facts };
        assert_eq!(status(&paused, 100, bkk("2026-03-09", 12, 0)).state, ClockState::Paused);
    }

    #[test]
    fn a_breach_then_a_stop_stays_breached() {
        let start = bkk("2026-03-09", 9, 0);
        let mut facts = ClockFacts { started_ms: start, ..ClockFacts::default() };
        let late = status(&facts, 30, bkk("2026-03-09", 10, 0));
        assert_eq!(late.state, ClockState::Breached);
        assert_eq!(late.breached_at_ms, Some(bkk("2026-03-09", 9, 30)));
        // Answered at 10:00, then paused (irrelevant facts later cannot heal it).
        facts.stopped_ms = Some(bkk("2026-03-09", 10, 0));
        let stopped = status(&facts, 30, bkk("2026-04-01", 0, 0));
        assert_eq!(stopped.state, ClockState::Breached);
        assert_eq!(stopped.breached_at_ms, Some(bkk("2026-03-09", 9, 30)));
        assert_eq!(stopped.remaining_business_ms, -30 * MINUTE_MS as i64);
        assert_eq!(stopped.due_ms, None);
        // Answered exactly on the deadline: met.
        facts.stopped_ms = Some(bkk("2026-03-09", 9, 30));
        assert_eq!(status(&facts, 30, bkk("2026-04-01", 0, 0)).state, ClockState::Met);
    }

    #[test]
    fn a_breach_found_before_a_later_pause() {
        // 30-minute target, breached at 09:30, paused 10:00–11:00, still running at 12:00.
        let facts =
            ClockFacts { started_ms: bkk("2026-03-09", 9, 0), pauses: vec![(bkk("2026-03-09", 10, 0), Some(bkk("2026-03-09", 11, 0)))], stopped_ms: None };
        let s = status(&facts, 30, bkk("2026-03-09", 12, 0));
        assert_eq!(s.state, ClockState::Breached);
        assert_eq!(s.elapsed_business_ms, 2 * HOUR_MS);
        assert_eq!(s.breached_at_ms, Some(bkk("2026-03-09", 9, 30)));
    }

    #[test]
    fn complaint_deadline_in_calendar_days() {
        let policy = SlaPolicy::default();
        let received = bkk("2026-04-10", 18, 30); // a Friday evening before Songkran
        let facts = ClockFacts { started_ms: received, ..ClockFacts::default() };
        let minutes = policy.complaint.resolve_days * CALENDAR_DAY_MIN;
        let s = clock_status(&BusinessCalendar::always_open(), &facts, minutes, 80, received + DAY_MS).unwrap();
        assert_eq!(s.due_ms, Some(received + 30 * DAY_MS), "holidays do not stop the 30 days");
        // The acknowledgement counts business time: received Friday evening, due Thursday 18:00
        // after the weekend and Songkran (Mon–Wed).
        let ack = status(&facts, policy.complaint.acknowledge_business_min, received + HOUR_MS);
        assert_eq!(ack.due_ms, Some(bkk("2026-04-16", 18, 0)));
    }

    #[test]
    fn bad_facts_are_refused_with_reasons() {
        let start = 1_000 * HOUR_MS;
        let now = start + 100 * HOUR_MS;
        let check = |facts: ClockFacts, message: &str| {
            let error = clock_status(&BusinessCalendar::default(), &facts, 60, 80, now).unwrap_err().to_string();
            assert!(error.contains(message), "{error:?} should contain {message:?}");
        };
        let at = |h: u64| start + h * HOUR_MS;
        check(ClockFacts { started_ms: start, pauses: vec![], stopped_ms: Some(start - 1) }, "stopped");
        check(ClockFacts { started_ms: start, pauses: vec![(start - 1, None)], stopped_ms: None }, "before the clock started");
        check(ClockFacts { started_ms: start, pauses: vec![(at(2), Some(at(1)))], stopped_ms: None }, "ends");
        check(ClockFacts { started_ms: start, pauses: vec![(at(1), Some(at(3))), (at(2), Some(at(4)))], stopped_ms: None }, "must be in order and not overlap");
        check(ClockFacts { started_ms: start, pauses: vec![(at(1), None), (at(2), None)], stopped_ms: None }, "still open");
        check(ClockFacts { started_ms: start, pauses: vec![(at(1), Some(at(5)))], stopped_ms: Some(at(3)) }, "past the moment");
        check(ClockFacts { started_ms: now + 1, pauses: vec![], stopped_ms: None }, "after now");
        check(ClockFacts { started_ms: start, pauses: vec![(1, None); MAX_PAUSES + 1], stopped_ms: None }, "at most 1000 pauses");
        let ok = ClockFacts { started_ms: start, ..ClockFacts::default() };
        let calendar = BusinessCalendar::default();
        assert!(matches!(clock_status(&calendar, &ok, 0, 80, now), Err(ClockError::Target(0))));
        assert!(matches!(clock_status(&calendar, &ok, 60, 101, now), Err(ClockError::EscalatePct(101))));
        // Touching pauses and an open pause ended by the stop are fine.
        let touching = ClockFacts { started_ms: start, pauses: vec![(at(1), Some(at(2))), (at(2), None)], stopped_ms: Some(at(3)) };
        clock_status(&calendar, &touching, 60, 80, now).unwrap();
    }

    proptest! {
        #[test]
        fn paused_time_never_counts_and_elapsed_never_shrinks(
            start_h in 0u64..2_000,
            run_a_min in 0u64..5_000,
            pause_min in 0u64..10_000,
            run_b_min in 0u64..5_000,
            later_min in 0u64..5_000,
            target_min in 1u32..3_000,
        ) {
            let calendar = BusinessCalendar::default();
            let started_ms = bkk("2026-01-01", 0, 0) + start_h * HOUR_MS;
            let pause_begin = started_ms + run_a_min * MINUTE_MS;
            let pause_end = pause_begin + pause_min * MINUTE_MS;
            let now = pause_end + run_b_min * MINUTE_MS;
            let facts = ClockFacts { started_ms, pauses: vec![(pause_begin, Some(pause_end))], stopped_ms: None };
            let s = clock_status(&calendar, &facts, target_min, 80, now).unwrap();
            let expected = calendar.business_ms_between(started_ms, pause_begin) + calendar.business_ms_between(pause_end, now);
            prop_assert_eq!(s.elapsed_business_ms, expected);
            let later = clock_status(&calendar, &facts, target_min, 80, now + later_min * MINUTE_MS).unwrap();
            prop_assert!(later.elapsed_business_ms >= s.elapsed_business_ms);
            if s.state == ClockState::Breached {
                prop_assert_eq!(later.state, ClockState::Breached);
                prop_assert_eq!(later.breached_at_ms, s.breached_at_ms);
            }
            // The due instant is exactly where the count reaches the target.
            if let (Some(due), false) = (s.due_ms, s.state == ClockState::Breached) {
                let at_due = clock_status(&calendar, &facts, target_min, 80, due.max(now)).unwrap();
                prop_assert_eq!(at_due.remaining_business_ms, 0);
                prop_assert_ne!(at_due.state, ClockState::Breached);
            }
        }
    }
}
