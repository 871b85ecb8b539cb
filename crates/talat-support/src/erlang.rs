//! Erlang C staffing: how many agents answer a given share of contacts within a given time.
//!
//! The model (exchange-domain.md §5): contacts arrive as a Poisson stream, handling times are
//! exponential and nobody abandons the queue. With `A = λ·AHT` Erlangs of traffic and `N > A`
//! agents:
//!
//! - `P_wait` (Erlang C) is the chance a contact has to queue at all;
//! - the service level `SL(t) = 1 − P_wait·e^{−(N−A)·t/AHT}` is the share answered within `t`;
//! - the average speed of answer is `ASA = P_wait·AHT/(N−A)`; occupancy is `A/N`.
//!
//! Erlang C overstates the need when callers give up; it is the conventional, conservative
//! planning figure. Agents on the floor are not agents on the roster: [`rostered`] adds
//! shrinkage (breaks, training, absence). [`average_arrivals_per_slot`] measures the arrivals
//! of past days, slot by slot of the Bangkok day.

use serde::{Deserialize, Serialize};
use talat_core::calendar::{bangkok_ms_of_day, DAY_MS};
use thiserror::Error;

/// The most agents a plan may call for. The search walks N upwards one agent at a time, so this
/// bounds its work; a queue needing more is a data error in this setting.
pub const MAX_AGENTS: u32 = 100_000;

/// The most intervals [`plan_day`] takes: one day of 5-minute intervals.
pub const MAX_DAY_INTERVALS: usize = 288;

/// The highest shrinkage [`rostered`] accepts. Beyond it nearly all paid time is unavailable,
/// which is a typo rather than a roster (and 100 % would divide by zero).
pub const MAX_SHRINKAGE_PCT: f64 = 90.0;

/// What a staffing question is asked about: one interval of one queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StaffingInput {
    /// Contacts expected in the interval (0 is allowed: a quiet night interval needs no one).
    pub arrivals: f64,
    /// Length of the interval in seconds.
    pub interval_s: u32,
    /// Average handling time per contact in seconds (talk plus after-contact work).
    pub aht_s: f64,
    /// Share of contacts to answer within `answer_s`, in percent, strictly between 0 and 100
    /// (100 % is unreachable: some contact always risks a wait).
    pub target_pct: f64,
    /// The answer-time threshold of the target, in seconds.
    pub answer_s: f64,
}

/// Queue figures for a given traffic and number of agents.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Probability that a contact waits at all (Erlang C), 0..1.
    pub p_wait: f64,
    /// Share of contacts answered within the answer time, 0..1.
    pub service_level: f64,
    /// Average speed of answer over all contacts, in seconds.
    pub asa_s: f64,
    /// Share of agents' time spent handling contacts, 0..1.
    pub occupancy: f64,
}

/// The answer to a staffing question: the fewest agents meeting the target, with their figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StaffingPlan {
    /// Agents needed on the floor (before shrinkage; see [`rostered`]).
    pub agents: u32,
    /// Offered traffic `A = arrivals · AHT / interval`, in Erlangs.
    pub traffic_erlangs: f64,
    /// Probability that a contact waits at all, 0..1.
    pub p_wait: f64,
    /// Share answered within the answer time, 0..1.
    pub service_level: f64,
    /// Average speed of answer, in seconds.
    pub asa_s: f64,
    /// Agent occupancy, 0..1.
    pub occupancy: f64,
}

/// Why a staffing question has no answer.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StaffingError {
    #[error("arrivals must be a finite number of contacts ≥ 0, got {0}")]
    Arrivals(f64),
    #[error("the interval must last at least one second")]
    Interval,
    #[error("the average handling time must be a finite number of seconds > 0, got {0}")]
    HandlingTime(f64),
    #[error("the service-level target must be a percentage strictly between 0 and 100, got {0}")]
    Target(f64),
    #[error("the answer time must be a finite number of seconds ≥ 0, got {0}")]
    AnswerTime(f64),
    #[error("shrinkage must be a percentage from 0 to {max}, got {value}", max = MAX_SHRINKAGE_PCT)]
    Shrinkage { value: f64 },
    #[error("{traffic_erlangs:.1} Erlangs of traffic would need more than {max} agents", max = MAX_AGENTS)]
    TooManyAgents { traffic_erlangs: f64 },
    #[error("a day plan holds at most {max} intervals, got {len}", max = MAX_DAY_INTERVALS)]
    TooManyIntervals { len: usize },
    #[error("interval {index}: {source}")]
    AtInterval { index: usize, source: Box<StaffingError> },
}

impl StaffingInput {
    /// Checks every field; [`agents_needed`] calls this first.
    pub fn validate(&self) -> Result<(), StaffingError> {
        if !(self.arrivals.is_finite() && self.arrivals >= 0.0) {
            return Err(StaffingError::Arrivals(self.arrivals));
        }
        if self.interval_s == 0 {
            return Err(StaffingError::Interval);
        }
        if !(self.aht_s.is_finite() && self.aht_s > 0.0) {
            return Err(StaffingError::HandlingTime(self.aht_s));
        }
        if !(self.target_pct.is_finite() && self.target_pct > 0.0 && self.target_pct < 100.0) {
            return Err(StaffingError::Target(self.target_pct));
        }
        if !(self.answer_s.is_finite() && self.answer_s >= 0.0) {
            return Err(StaffingError::AnswerTime(self.answer_s));
        }
        Ok(())
    }

    /// Offered traffic in Erlangs: the number of agents that would be busy all the time.
    pub fn traffic_erlangs(&self) -> f64 {
        self.arrivals * self.aht_s / f64::from(self.interval_s)
    }
}

/// One step of the Erlang B recursion: `B(k) = A·B(k−1) / (k + A·B(k−1))`, from `B(0) = 1`.
///
/// Why this and not the textbook sum of `Aᵏ/k!`: every intermediate stays in 0..1, so it neither
/// overflows nor loses precision for thousands of Erlangs.
fn erlang_b_step(b_previous: f64, traffic: f64, k: u32) -> f64 {
    debug_assert!((0.0..=1.0).contains(&b_previous));
    debug_assert!(k >= 1);
    let x = traffic * b_previous;
    x / (f64::from(k) + x)
}

/// Figures for `agents` agents given `b = B(agents)` (Erlang B at that many agents).
fn metrics_from_erlang_b(traffic: f64, agents: u32, b: f64, aht_s: f64, answer_s: f64) -> Metrics {
    let n = f64::from(agents);
    let spare = n - traffic;
    assert!(spare > 0.0, "Erlang C needs more agents than Erlangs of traffic");
    // C = N·B / (N − A·(1 − B)); the denominator is ≥ N − A > 0.
    let p_wait = (n * b / (n - traffic * (1.0 - b))).clamp(0.0, 1.0);
    let service_level = (1.0 - p_wait * (-spare * answer_s / aht_s).exp()).clamp(0.0, 1.0);
    Metrics { p_wait, service_level, asa_s: p_wait * aht_s / spare, occupancy: traffic / n }
}

/// Queue figures for `agents` agents facing `traffic` Erlangs.
///
/// `None` when the queue is unstable (`agents ≤ traffic`: it grows without bound), when
/// `agents` exceeds [`MAX_AGENTS`], or when an input is not finite (traffic and answer time must
/// be ≥ 0, handling time > 0).
pub fn evaluate(traffic: f64, agents: u32, aht_s: f64, answer_s: f64) -> Option<Metrics> {
    let inputs_ok = traffic.is_finite() && traffic >= 0.0 && aht_s.is_finite() && aht_s > 0.0 && answer_s.is_finite() && answer_s >= 0.0;
    if !inputs_ok || agents > MAX_AGENTS || f64::from(agents) <= traffic {
        return None;
    }
    // The same recursion, in the same order, as `agents_needed`: both give bit-identical figures.
    let mut b = 1.0;
    for k in 1..=agents {
        b = erlang_b_step(b, traffic, k);
    }
    Some(metrics_from_erlang_b(traffic, agents, b, aht_s, answer_s))
}

/// The fewest agents whose service level meets `input`'s target, with their figures.
///
/// Starts at `N = ⌊A⌋ + 1` (the smallest stable queue) and adds one agent at a time, carrying
/// Erlang B along, so the whole search costs O(N). Zero arrivals need zero agents.
pub fn agents_needed(input: &StaffingInput) -> Result<StaffingPlan, StaffingError> {
    input.validate()?;
    let traffic = input.traffic_erlangs();
    if traffic == 0.0 {
        return Ok(StaffingPlan { agents: 0, traffic_erlangs: 0.0, p_wait: 0.0, service_level: 1.0, asa_s: 0.0, occupancy: 0.0 });
    }
    if traffic >= f64::from(MAX_AGENTS) {
        return Err(StaffingError::TooManyAgents { traffic_erlangs: traffic });
    }
    let target = input.target_pct / 100.0;
    // Truncation is the floor here: traffic is finite, positive and below MAX_AGENTS.
    let first = traffic as u32 + 1;
    assert!(f64::from(first) > traffic && first <= MAX_AGENTS);

    let mut b = 1.0;
    for k in 1..first {
        b = erlang_b_step(b, traffic, k);
    }
    for agents in first..=MAX_AGENTS {
        b = erlang_b_step(b, traffic, agents);
        let m = metrics_from_erlang_b(traffic, agents, b, input.aht_s, input.answer_s);
        if m.service_level >= target {
            return Ok(StaffingPlan {
                agents,
                traffic_erlangs: traffic,
                p_wait: m.p_wait,
                service_level: m.service_level,
                asa_s: m.asa_s,
                occupancy: m.occupancy,
            });
        }
    }
    Err(StaffingError::TooManyAgents { traffic_erlangs: traffic })
}

/// A plan per interval of a day (for the console's staffing chart): `arrivals_per_interval[i]`
/// contacts in interval `i`, all intervals `interval_s` long, one target for all.
pub fn plan_day(arrivals_per_interval: &[f64], interval_s: u32, aht_s: f64, target_pct: f64, answer_s: f64) -> Result<Vec<StaffingPlan>, StaffingError> {
    if arrivals_per_interval.len() > MAX_DAY_INTERVALS {
        return Err(StaffingError::TooManyIntervals { len: arrivals_per_interval.len() });
    }
    // Check the shared figures once, so their errors are not blamed on interval 0.
    let shared = StaffingInput { arrivals: 0.0, interval_s, aht_s, target_pct, answer_s };
    shared.validate()?;
    arrivals_per_interval
        .iter()
        .enumerate()
        .map(|(index, &arrivals)| {
            agents_needed(&StaffingInput { arrivals, ..shared }).map_err(|source| StaffingError::AtInterval { index, source: Box::new(source) })
        })
        .collect()
}

/// Average arrivals per slot of the Bangkok day over `days` days: the day cut into `slots`
/// equal slots from Bangkok midnight, each arrival instant (Unix ms) counted in its slot, the
/// counts divided by `days`.
///
/// # Panics
///
/// If `slots` is 0 or does not divide the day into whole milliseconds, or `days` is 0.
pub fn average_arrivals_per_slot(arrivals_ms: impl IntoIterator<Item = u64>, slots: usize, days: u64) -> Vec<f64> {
    assert!(slots > 0, "a day of no slots");
    let slot_ms = DAY_MS / slots as u64;
    assert_eq!(slot_ms * slots as u64, DAY_MS, "{slots} slots do not divide a day");
    assert!(days > 0, "an average over no days");
    let mut per_slot = vec![0u64; slots];
    for t in arrivals_ms {
        per_slot[(bangkok_ms_of_day(t) / slot_ms) as usize] += 1;
    }
    per_slot.into_iter().map(|n| n as f64 / days as f64).collect()
}

/// Checks a shrinkage percentage for [`rostered`]: finite, 0 to [`MAX_SHRINKAGE_PCT`].
pub fn validate_shrinkage_pct(shrinkage_pct: f64) -> Result<(), StaffingError> {
    if shrinkage_pct.is_finite() && (0.0..=MAX_SHRINKAGE_PCT).contains(&shrinkage_pct) {
        Ok(())
    } else {
        Err(StaffingError::Shrinkage { value: shrinkage_pct })
    }
}

/// Agents to roster so that `agents` are available after `shrinkage_pct` of paid time is lost:
/// `⌈agents / (1 − shrinkage)⌉`.
///
/// Shrinkage counts in hundredths of a percent, so the division is exact: 210 agents at 30 %
/// is 300 rostered, not the 301 that `210 / 0.7` gives in binary floating point.
///
/// # Panics
///
/// If `agents > MAX_AGENTS` or the shrinkage fails [`validate_shrinkage_pct`] (check config first).
pub fn rostered(agents: u32, shrinkage_pct: f64) -> u32 {
    assert!(agents <= MAX_AGENTS, "rostered: {agents} agents is more than {MAX_AGENTS}");
    assert!(validate_shrinkage_pct(shrinkage_pct).is_ok(), "rostered: shrinkage {shrinkage_pct} % is outside 0..={MAX_SHRINKAGE_PCT} %");
    const WHOLE_BP: u64 = 10_000;
    // In range after the assertion above: 0..=9_000 basis points.
    let shrinkage_bp = (shrinkage_pct * 100.0).round() as u64;
    let available_bp = WHOLE_BP - shrinkage_bp;
    assert!(available_bp >= 1_000);
    let needed = (u64::from(agents) * WHOLE_BP).div_ceil(available_bp);
    // At most MAX_AGENTS · 10, far inside u32.
    u32::try_from(needed).expect("rostered agents fit in u32")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn arrivals_fall_in_bangkok_half_hours() {
        use talat_core::calendar::{BANGKOK_OFFSET_MS, MINUTE_MS};
        // 17:00 UTC is Bangkok midnight (slot 0); 16:59 UTC is 23:59 (slot 47).
        let midnight = 17 * 60 * MINUTE_MS;
        let times = [midnight, midnight + 29 * MINUTE_MS, midnight + 30 * MINUTE_MS, midnight - MINUTE_MS, DAY_MS + midnight - BANGKOK_OFFSET_MS];
        let per_slot = average_arrivals_per_slot(times, 48, 2);
        assert_eq!(per_slot.len(), 48);
        assert_eq!((per_slot[0], per_slot[1], per_slot[47], per_slot[34]), (1.0, 0.5, 0.5, 0.5));
        assert_eq!(per_slot.iter().sum::<f64>(), 2.5);
    }

    /// `x` rounded to `decimals` decimals, as an integer of that many hundredths etc.
    fn fixed(x: f64, decimals: i32) -> i64 {
        (x * 10f64.powi(decimals)).round() as i64
    }

    fn input(arrivals: f64, interval_min: u32, aht_s: f64, target_pct: f64, answer_s: f64) -> StaffingInput {
        StaffingInput { arrivals, interval_s: interval_min * 60, aht_s, target_pct, answer_s }
    }

    /// One row of the worked table in exchange-domain.md §5, figures as printed.
    struct Row {
        agents: u32,
        p_wait_pct: f64,
        sl_pct: f64,
        asa_s: f64,
        occupancy: f64,
        /// Decimals of the percentages and ASA (2 for cases 1–2, 1 for case 3).
        decimals: i32,
        /// Decimals of the occupancy (3 for cases 1–2, 2 for case 3).
        occupancy_decimals: i32,
    }

    impl Row {
        /// A row of the reference's table as printed: percentages and ASA at `decimals`, the
        /// occupancy at one more; `[agents, p_wait %, SL %, ASA s, occupancy]`.
        fn printed(decimals: i32, [agents, p_wait_pct, sl_pct, asa_s, occupancy]: [f64; 5]) -> Row {
            Row { agents: agents as u32, p_wait_pct, sl_pct, asa_s, occupancy, decimals, occupancy_decimals: decimals + 1 }
        }
    }

    fn check_row(traffic: f64, aht_s: f64, answer_s: f64, row: &Row) {
        let m = evaluate(traffic, row.agents, aht_s, answer_s).expect("stable queue");
        let d = row.decimals;
        assert_eq!(fixed(m.p_wait * 100.0, d), fixed(row.p_wait_pct, d), "P_wait at N={}", row.agents);
        assert_eq!(fixed(m.service_level * 100.0, d), fixed(row.sl_pct, d), "SL at N={}", row.agents);
        assert_eq!(fixed(m.asa_s, d), fixed(row.asa_s, d), "ASA at N={}", row.agents);
        let od = row.occupancy_decimals;
        assert_eq!(fixed(m.occupancy, od), fixed(row.occupancy, od), "occupancy at N={}", row.agents);
    }

    fn check_case(input: StaffingInput, miss: Row, meet: Row) {
        let plan = agents_needed(&input).unwrap();
        assert_eq!(plan.agents, meet.agents);
        assert_eq!(miss.agents + 1, meet.agents);
        let traffic = input.traffic_erlangs();
        check_row(traffic, input.aht_s, input.answer_s, &miss);
        check_row(traffic, input.aht_s, input.answer_s, &meet);
        let miss_sl = evaluate(traffic, miss.agents, input.aht_s, input.answer_s).unwrap().service_level;
        assert!(miss_sl < input.target_pct / 100.0, "the row before the answer misses");
        // The plan carries the same figures as evaluate at its N.
        let at_plan = evaluate(traffic, plan.agents, input.aht_s, input.answer_s).unwrap();
        assert_eq!(plan.p_wait, at_plan.p_wait);
        assert_eq!(plan.service_level, at_plan.service_level);
    }

    #[test]
    fn worked_case_1_360_per_half_hour() {
        let input = input(360.0, 30, 240.0, 80.0, 15.0);
        assert_eq!(input.traffic_erlangs(), 48.0);
        let row = |agents, p_wait_pct, sl_pct, asa_s, occupancy| Row::printed(2, [agents as f64, p_wait_pct, sl_pct, asa_s, occupancy]);
        check_case(input, row(54, 30.13, 79.29, 12.05, 0.889), row(55, 23.87, 84.59, 8.18, 0.873));
    }

    #[test]
    fn worked_case_2_100_per_half_hour() {
        let input = input(100.0, 30, 180.0, 80.0, 20.0);
        assert_eq!(input.traffic_erlangs(), 10.0);
        let row = |agents, p_wait_pct, sl_pct, asa_s, occupancy| Row::printed(2, [agents as f64, p_wait_pct, sl_pct, asa_s, occupancy]);
        check_case(input, row(13, 28.53, 79.56, 17.12, 0.769), row(14, 17.41, 88.84, 7.84, 0.714));
    }

    #[test]
    fn worked_case_3_surge() {
        let row = |agents, p_wait_pct, sl_pct, asa_s, occupancy| Row::printed(1, [agents as f64, p_wait_pct, sl_pct, asa_s, occupancy]);
        // Before the surge: 120 per 30 min at 300 s is 20 Erlangs → 25 agents.
        let before = input(120.0, 30, 300.0, 80.0, 20.0);
        assert_eq!(before.traffic_erlangs(), 20.0);
        let plan = agents_needed(&before).unwrap();
        assert_eq!(plan.agents, 25);
        // The table prints ASA 12.6 s here, but 0.20910 · 300 / 5 = 12.546 s, which is 12.5 at
        // one decimal (12.6 is 12.546 rounded twice); every other figure of the row matches.
        check_row(20.0, 300.0, 20.0, &row(25, 20.9, 85.0, 12.5, 0.80));
        assert_eq!(fixed(plan.asa_s, 2), 1255);
        assert!(evaluate(20.0, 24, 300.0, 20.0).unwrap().service_level < 0.8);

        // The surge: ten times the contacts, 200 Erlangs → 210 agents.
        let surge = input(1200.0, 30, 300.0, 80.0, 20.0);
        assert_eq!(surge.traffic_erlangs(), 200.0);
        check_case(surge, row(209, 41.9, 77.0, 14.0, 0.96), row(210, 37.6, 80.7, 11.3, 0.95));

        // "with 30 % shrinkage 36 → 300 rostered"
        assert_eq!(rostered(25, 30.0), 36);
        assert_eq!(rostered(210, 30.0), 300);
    }

    #[test]
    fn thousands_of_erlangs_stay_finite() {
        // 5,000 Erlangs: the textbook Aᴺ/N! would overflow f64 long before this.
        let plan = agents_needed(&input(30_000.0, 30, 300.0, 80.0, 20.0)).unwrap();
        assert!(plan.agents > 5_000 && plan.agents < 5_200, "{plan:?}");
        assert!(plan.service_level >= 0.8 && plan.p_wait.is_finite() && plan.asa_s.is_finite());
        assert!(evaluate(5_000.0, plan.agents - 1, 300.0, 20.0).unwrap().service_level < 0.8);
    }

    #[test]
    fn evaluate_refuses_unstable_and_bad_inputs() {
        assert_eq!(evaluate(10.0, 10, 180.0, 20.0), None);
        assert_eq!(evaluate(10.5, 10, 180.0, 20.0), None);
        assert_eq!(evaluate(f64::NAN, 10, 180.0, 20.0), None);
        assert_eq!(evaluate(1.0, 10, 0.0, 20.0), None);
        assert_eq!(evaluate(1.0, 10, 180.0, -1.0), None);
        assert_eq!(evaluate(1.0, MAX_AGENTS + 1, 180.0, 20.0), None);
        let idle = evaluate(0.0, 1, 180.0, 20.0).unwrap();
        assert_eq!((idle.p_wait, idle.service_level, idle.asa_s), (0.0, 1.0, 0.0));
    }

    #[test]
    fn validation_errors_read_well() {
        let good = input(100.0, 30, 180.0, 80.0, 20.0);
        let cases = [
            (StaffingInput { target_pct: 150.0, ..good }, "the service-level target must be a percentage strictly between 0 and 100, got 150"),
            (StaffingInput { target_pct: 100.0, ..good }, "strictly between 0 and 100, got 100"),
            (StaffingInput { target_pct: 0.0, ..good }, "got 0"),
            (StaffingInput { arrivals: -1.0, ..good }, "arrivals must be a finite number"),
            (StaffingInput { arrivals: f64::INFINITY, ..good }, "arrivals must be a finite number"),
            (StaffingInput { interval_s: 0, ..good }, "at least one second"),
            (StaffingInput { aht_s: 0.0, ..good }, "average handling time"),
            (StaffingInput { answer_s: f64::NAN, ..good }, "answer time"),
            (StaffingInput { arrivals: 1e9, ..good }, "would need more than 100000 agents"),
        ];
        for (bad, message) in cases {
            let error = agents_needed(&bad).unwrap_err().to_string();
            assert!(error.contains(message), "{error:?} should contain {message:?}");
        }
        assert_eq!(agents_needed(&StaffingInput { arrivals: 0.0, ..good }).unwrap().agents, 0);
    }

    #[test]
    fn plan_day_plans_every_interval_and_names_the_bad_one() {
        let day = [0.0, 100.0, 270.0];
        let plans = plan_day(&day, 1800, 180.0, 80.0, 20.0).unwrap();
        assert_eq!(plans[..2].iter().map(|p| p.agents).collect::<Vec<_>>(), [0, 14]);
        for (plan, arrivals) in plans.iter().zip(day) {
            assert_eq!(*plan, agents_needed(&input(arrivals, 30, 180.0, 80.0, 20.0)).unwrap());
        }
        let error = plan_day(&[100.0, -3.0], 1800, 180.0, 80.0, 20.0).unwrap_err();
        assert_eq!(error.to_string(), "interval 1: arrivals must be a finite number of contacts ≥ 0, got -3");
        let error = plan_day(&[100.0], 1800, 180.0, 120.0, 20.0).unwrap_err();
        assert!(matches!(error, StaffingError::Target(_)), "shared errors are not blamed on an interval");
        let too_long = vec![1.0; MAX_DAY_INTERVALS + 1];
        assert!(matches!(plan_day(&too_long, 300, 180.0, 80.0, 20.0), Err(StaffingError::TooManyIntervals { len: 289 })));
    }

    #[test]
    fn rostered_rounds_up_exactly() {
        assert_eq!(rostered(14, 0.0), 14);
        assert_eq!(rostered(0, 30.0), 0);
        assert_eq!(rostered(7, 30.0), 10);
        assert_eq!(rostered(8, 30.0), 12); // 11.43 → 12
        assert_eq!(rostered(100, 90.0), 1_000);
        assert!(validate_shrinkage_pct(-1.0).is_err());
        assert!(validate_shrinkage_pct(100.0).is_err());
        assert!(validate_shrinkage_pct(f64::NAN).is_err());
    }

    #[test]
    #[should_panic(expected = "shrinkage")]
    fn rostered_asserts_its_precondition() {
        rostered(10, 95.0);
    }

    proptest! {
        #[test]
        fn plan_meets_the_target_and_one_fewer_does_not(
            arrivals in 0.1f64..3_000.0,
            aht_s in 10.0f64..900.0,
            target_pct in 1.0f64..99.5,
            answer_s in 0.0f64..120.0,
        ) {
            let input = StaffingInput { arrivals, interval_s: 1800, aht_s, target_pct, answer_s };
            let plan = agents_needed(&input).unwrap();
            let traffic = input.traffic_erlangs();
            prop_assert!(f64::from(plan.agents) > traffic);
            prop_assert!(plan.service_level >= target_pct / 100.0);
            match evaluate(traffic, plan.agents - 1, aht_s, answer_s) {
                None => prop_assert!(f64::from(plan.agents - 1) <= traffic),
                Some(fewer) => prop_assert!(fewer.service_level < target_pct / 100.0),
            }
        }

        #[test]
        fn more_arrivals_never_need_fewer_agents(
            arrivals in 0.0f64..2_000.0,
            extra in 0.0f64..500.0,
            aht_s in 10.0f64..900.0,
            target_pct in 1.0f64..99.5,
            answer_s in 0.0f64..120.0,
        ) {
            let low = StaffingInput { arrivals, interval_s: 1800, aht_s, target_pct, answer_s };
            let high = StaffingInput { arrivals: arrivals + extra, ..low };
            prop_assert!(agents_needed(&low).unwrap().agents <= agents_needed(&high).unwrap().agents);
        }

        #[test]
        fn a_higher_target_never_needs_fewer_agents(
            arrivals in 0.0f64..2_000.0,
            aht_s in 10.0f64..900.0,
            target_pct in 1.0f64..99.5,
            raise_pct in 0.0f64..20.0,
            answer_s in 0.0f64..120.0,
        ) {
            let low = StaffingInput { arrivals, interval_s: 1800, aht_s, target_pct, answer_s };
            let high = StaffingInput { target_pct: (target_pct + raise_pct).min(99.9), ..low };
            prop_assert!(agents_needed(&low).unwrap().agents <= agents_needed(&high).unwrap().agents);
        }
    }
}
