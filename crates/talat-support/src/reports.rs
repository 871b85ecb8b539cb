//! The regulator's monthly complaint report and the SLA attainment report, computed from
//! plain facts (the caller reads them from its tables). The closest known rule (Thai
//! securities firms, exchange-domain.md §5) asks for the outcome within 30 days of receipt and a
//! progress report every 30 days while open, so the report counts complaints by category and
//! outcome, measures time to acknowledge (business hours) and to resolve (calendar days), and
//! lists every complaint still open with its age.

use crate::calendar::{BusinessCalendar, CalendarError, LocalDate, DAY_MS, HOUR_MS};
use crate::sla::ClockState;
use serde::Serialize;
use std::collections::BTreeMap;
use talat_core::calendar::{bangkok_date, bangkok_midnight_ms};

/// The regulator's deadline for an outcome, and the progress-report cadence, in days.
pub const OUTCOME_DEADLINE_DAYS: u64 = 30;

/// The support counts on the console's dashboard and ticket queue cover the last 30 days.
pub const RECENT_COUNTS_MS: u64 = 30 * DAY_MS;

/// A calendar month in Thai time, as `[from_ms, to_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Month {
    pub year: i32,
    pub month: u8,
    pub from_ms: u64,
    pub to_ms: u64,
}

impl Month {
    /// Reads `YYYY-MM`.
    pub fn parse(text: &str) -> Result<Month, CalendarError> {
        let bad = || CalendarError::DateFormat(text.to_string());
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let first = LocalDate::new(year, month, 1)?;
        let next = if month == 12 { LocalDate::new(year + 1, 1, 1)? } else { LocalDate::new(year, month + 1, 1)? };
        let start = |d: LocalDate| bangkok_midnight_ms(d.days_since_epoch());
        Ok(Month { year, month, from_ms: start(first), to_ms: start(next) })
    }

    /// The month that contains `ms` (Thai time).
    pub fn containing(ms: u64) -> Month {
        let (y, m, _) = bangkok_date(ms);
        Month::parse(&format!("{y:04}-{m:02}")).expect("a month from a valid instant")
    }

    pub fn label(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// One complaint as the report needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintFacts {
    pub ticket_id: u64,
    pub category: String,
    /// `received`, `acknowledged`, `investigating`, `resolved` or `rejected`.
    pub status: String,
    pub received_ms: u64,
    pub acknowledged_ms: Option<u64>,
    /// When it was resolved or rejected.
    pub closed_ms: Option<u64>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Timing {
    pub count: u64,
    pub mean: f64,
    pub median: f64,
    pub max: f64,
}

fn timing(mut values: Vec<f64>) -> Timing {
    if values.is_empty() {
        return Timing::default();
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    let median = if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 };
    Timing { count: n as u64, mean: values.iter().sum::<f64>() / n as f64, median, max: values[n - 1] }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenComplaint {
    pub ticket_id: u64,
    pub category: String,
    pub status: String,
    pub received_ms: u64,
    pub age_days: u64,
    /// Past the outcome deadline.
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplaintReport {
    pub month: String,
    pub received: u64,
    /// category → outcome (`open`, `resolved`, `rejected`) → count, for complaints received in
    /// the month.
    pub by_category: BTreeMap<String, BTreeMap<String, u64>>,
    pub acknowledge_business_hours: Timing,
    pub resolve_days: Timing,
    /// Closed within [`OUTCOME_DEADLINE_DAYS`] of receipt, of those closed.
    pub closed_within_deadline: u64,
    /// Every complaint open at the end of the month (or now, if earlier), oldest first.
    pub open: Vec<OpenComplaint>,
}

/// The report for `month`, from complaints received in it and complaints still open.
/// `now_ms` caps the end of a month still running.
pub fn complaint_report(calendar: &BusinessCalendar, month: &Month, complaints: &[ComplaintFacts], now_ms: u64) -> ComplaintReport {
    let as_of = month.to_ms.min(now_ms);
    let in_month: Vec<&ComplaintFacts> = complaints.iter().filter(|c| c.received_ms >= month.from_ms && c.received_ms < month.to_ms).collect();
    let mut by_category: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for c in &in_month {
        let outcome = match c.status.as_str() {
            "resolved" => "resolved",
            "rejected" => "rejected",
            _ => "open",
        };
        *by_category.entry(c.category.clone()).or_default().entry(outcome.into()).or_default() += 1;
    }
    let ack: Vec<f64> = in_month
        .iter()
        .filter_map(|c| c.acknowledged_ms.map(|a| calendar.business_ms_between(c.received_ms, a.max(c.received_ms)) as f64 / HOUR_MS as f64))
        .collect();
    let closed: Vec<f64> = in_month.iter().filter_map(|c| c.closed_ms.map(|d| d.saturating_sub(c.received_ms) as f64 / DAY_MS as f64)).collect();
    let closed_within_deadline = closed.iter().filter(|d| **d <= OUTCOME_DEADLINE_DAYS as f64).count() as u64;
    let mut open: Vec<OpenComplaint> = complaints
        .iter()
        .filter(|c| c.received_ms < as_of && c.closed_ms.is_none_or(|d| d >= as_of))
        .map(|c| {
            let age_days = (as_of - c.received_ms) / DAY_MS;
            OpenComplaint {
                ticket_id: c.ticket_id,
                category: c.category.clone(),
                status: c.status.clone(),
                received_ms: c.received_ms,
                age_days,
                overdue: age_days >= OUTCOME_DEADLINE_DAYS,
            }
        })
        .collect();
    open.sort_by_key(|o| (o.received_ms, o.ticket_id));
    ComplaintReport {
        month: month.label(),
        received: in_month.len() as u64,
        by_category,
        acknowledge_business_hours: timing(ack),
        resolve_days: timing(closed),
        closed_within_deadline,
        open,
    }
}

/// One ticket's clock outcomes for the SLA report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Met,
    Breached,
    /// Still running (or paused) at the report's time.
    Pending,
}

impl From<ClockState> for Outcome {
    /// A met clock is met, a breached one breached; any other is still pending.
    fn from(state: ClockState) -> Outcome {
        match state {
            ClockState::Met => Outcome::Met,
            ClockState::Breached => Outcome::Breached,
            ClockState::Running | ClockState::AtRisk | ClockState::Paused => Outcome::Pending,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Attainment {
    pub met: u64,
    pub breached: u64,
    pub pending: u64,
    /// met / (met + breached), in percent; `None` with nothing decided yet.
    pub attainment_pct: Option<f64>,
}

impl Attainment {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Met => self.met += 1,
            Outcome::Breached => self.breached += 1,
            Outcome::Pending => self.pending += 1,
        }
        let decided = self.met + self.breached;
        self.attainment_pct = (decided > 0).then(|| self.met as f64 * 100.0 / decided as f64);
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SlaRow {
    pub priority: String,
    pub category: String,
    pub tickets: u64,
    pub first_response: Attainment,
    pub resolution: Attainment,
}

/// Rows per (priority, category), in that order, plus the total row (`*`, `*`).
pub fn sla_report(tickets: &[(String, String, Outcome, Outcome)]) -> Vec<SlaRow> {
    let mut rows: BTreeMap<(String, String), SlaRow> = BTreeMap::new();
    let mut total = SlaRow { priority: "*".into(), category: "*".into(), ..Default::default() };
    for (priority, category, first, resolution) in tickets {
        let row = rows.entry((priority.clone(), category.clone())).or_insert_with(|| SlaRow {
            priority: priority.clone(),
            category: category.clone(),
            ..Default::default()
        });
        for r in [row, &mut total] {
            r.tickets += 1;
            r.first_response.add(*first);
            r.resolution.add(*resolution);
        }
    }
    let mut out: Vec<SlaRow> = rows.into_values().collect();
    out.push(total);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_states_as_report_outcomes() {
        assert_eq!(Outcome::from(ClockState::Met), Outcome::Met);
        assert_eq!(Outcome::from(ClockState::Breached), Outcome::Breached);
        for pending in [ClockState::Running, ClockState::AtRisk, ClockState::Paused] {
            assert_eq!(Outcome::from(pending), Outcome::Pending);
        }
    }

    #[test]
    fn months_are_thai_time_windows() {
        let m = Month::parse("2026-11").unwrap();
        // 2026-11-01 00:00 +07:00 is 2026-10-31 17:00 UTC.
        assert_eq!(m.from_ms, 1_793_466_000_000);
        assert_eq!(m.to_ms - m.from_ms, 30 * DAY_MS);
        assert_eq!(Month::parse("2026-12").unwrap().to_ms - Month::parse("2026-12").unwrap().from_ms, 31 * DAY_MS);
        assert!(Month::parse("2026-13").is_err());
        assert!(Month::parse("2026-1").is_err());
        assert!(Month::parse("<b>").is_err());
        assert_eq!(Month::containing(m.from_ms), m);
        assert_eq!(Month::containing(m.to_ms - 1), m);
        assert_eq!(Month::containing(m.to_ms).label(), "2026-12");
    }

    #[test]
    fn the_complaint_report_counts_times_and_lists_what_is_open() {
        let cal = BusinessCalendar::always_open();
        let m = Month::parse("2026-11").unwrap();
        let day = DAY_MS;
        let c = |id, status: &str, received, ack: Option<u64>, closed: Option<u64>| ComplaintFacts {
            ticket_id: id,
            category: "withdrawal".into(),
            status: status.into(),
            received_ms: received,
            acknowledged_ms: ack,
            closed_ms: closed,
            reason: None,
        };
        let complaints = vec![
            c(1, "resolved", m.from_ms + day, Some(m.from_ms + day + 2 * HOUR_MS), Some(m.from_ms + 11 * day)),
            c(2, "rejected", m.from_ms + 2 * day, Some(m.from_ms + 2 * day + 4 * HOUR_MS), Some(m.from_ms + 3 * day)),
            c(3, "investigating", m.from_ms + 5 * day, Some(m.from_ms + 5 * day + HOUR_MS), None),
            // Received the month before and still open: listed, not counted as received.
            c(4, "acknowledged", m.from_ms - 40 * day, Some(m.from_ms - 39 * day), None),
        ];
        let r = complaint_report(&cal, &m, &complaints, m.to_ms + day);
        assert_eq!(r.received, 3);
        assert_eq!(r.by_category["withdrawal"]["resolved"], 1);
        assert_eq!(r.by_category["withdrawal"]["rejected"], 1);
        assert_eq!(r.by_category["withdrawal"]["open"], 1);
        assert_eq!(r.acknowledge_business_hours.count, 3);
        assert_eq!(r.acknowledge_business_hours.median, 2.0);
        assert_eq!(r.acknowledge_business_hours.max, 4.0);
        assert_eq!(r.resolve_days.count, 2);
        assert_eq!(r.resolve_days.max, 10.0);
        assert_eq!(r.closed_within_deadline, 2);
        assert_eq!(r.open.iter().map(|o| o.ticket_id).collect::<Vec<_>>(), vec![4, 3]);
        assert!(r.open[0].overdue, "70 days open is past the 30-day outcome deadline");
        assert_eq!(r.open[0].age_days, 70);
        assert!(!r.open[1].overdue);
    }

    #[test]
    fn sla_attainment_counts_decided_clocks_only() {
        let t = |p: &str, c: &str, a, b| (p.to_string(), c.to_string(), a, b);
        let rows = sla_report(&[
            t("high", "withdrawal", Outcome::Met, Outcome::Breached),
            t("high", "withdrawal", Outcome::Breached, Outcome::Pending),
            t("normal", "other", Outcome::Met, Outcome::Met),
        ]);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].tickets, 2);
        assert_eq!(rows[0].first_response.attainment_pct, Some(50.0));
        assert_eq!(rows[0].resolution.attainment_pct, Some(0.0));
        assert_eq!(rows[0].resolution.pending, 1);
        let total = rows.last().unwrap();
        assert_eq!((total.priority.as_str(), total.tickets), ("*", 3));
        assert_eq!(total.first_response.met, 2);
    }
}
