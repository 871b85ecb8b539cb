//! Business hours in Thailand: which instants count towards an SLA, and how many of them lie
//! between two instants.
//!
//! Thailand keeps UTC+7 all year (no daylight saving), so local time is UTC shifted by a
//! constant and a local day is exactly 24 hours. The date arithmetic (days since 1970-01-01 ↔
//! year/month/day, weekdays, the offset) is [`talat_core::calendar`]'s; this module adds the
//! support rules on top: opening hours, working weekdays and holidays.
//!
//! Counting is closed-form: whole weeks are multiplied out and the holidays inside a range are
//! subtracted, so [`BusinessCalendar::business_ms_between`] costs O(1 + holidays in the window)
//! however long the window, and [`BusinessCalendar::add_business_ms`] is a bounded binary
//! search over it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use talat_core::calendar::{civil_from_days, days_from_civil, days_in_month, split_iso_date, weekday, write_iso_date};
use thiserror::Error;

/// Thailand's offset from UTC (Indochina Time, no DST).
pub use talat_core::calendar::BANGKOK_OFFSET_MS as UTC_OFFSET_MS;
pub use talat_core::calendar::{DAY_MS, HOUR_MS, MINUTE_MS};
pub const MINUTES_PER_DAY: u16 = 24 * 60;

/// The last instant the calendar accepts: 9999-12-31T23:59:59.999Z. Keeps all arithmetic far
/// from u64 overflow; any real timestamp is far below it.
pub const MAX_INSTANT_MS: u64 = 253_402_300_800_000 - 1;

/// The most business time [`BusinessCalendar::add_business_ms`] adds: 3,660 days' worth of
/// milliseconds, far beyond any SLA target (the longest is 30 days).
pub const MAX_ADD_MS: u64 = 3_660 * DAY_MS;

/// The most holidays a calendar may list (about 50 years' worth): every count walks them.
pub const MAX_HOLIDAYS: usize = 1_000;

/// A calendar date in Thai local time. Ordered chronologically; written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalDate {
    // Field order is the chronological order: the derived `Ord` relies on it.
    y: i32,
    m: u8,
    d: u8,
}

/// Why a date or a calendar was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("date {0:?} is not written YYYY-MM-DD")]
    DateFormat(String),
    #[error("{y:04}-{m:02}-{d:02} is not a calendar date")]
    NoSuchDate { y: i32, m: u8, d: u8 },
    #[error("year {0} is outside {min}..={max}", min = LocalDate::MIN_YEAR, max = LocalDate::MAX_YEAR)]
    YearOutOfRange(i32),
    #[error("business hours must open before they close (open {open}, close {close})", open = hhmm(*open_min), close = hhmm(*close_min))]
    HoursInverted { open_min: u16, close_min: u16 },
    #[error("business hours must close by midnight (minute 1440), not at minute {0}")]
    CloseAfterMidnight(u16),
    #[error("a business calendar needs at least one working weekday")]
    NoWeekdays,
    #[error("a business calendar holds at most {max} holidays, got {0}", max = MAX_HOLIDAYS)]
    TooManyHolidays(usize),
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl LocalDate {
    pub const MIN_YEAR: i32 = 1970;
    pub const MAX_YEAR: i32 = 9999;

    /// A validated date: a real day of a year in `MIN_YEAR..=MAX_YEAR`.
    pub fn new(y: i32, m: u8, d: u8) -> Result<Self, CalendarError> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&y) {
            return Err(CalendarError::YearOutOfRange(y));
        }
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return Err(CalendarError::NoSuchDate { y, m, d });
        }
        Ok(Self { y, m, d })
    }

    /// Parses exactly `YYYY-MM-DD` (ASCII digits, zero-padded).
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let (y, m, d) = split_iso_date(text).ok_or_else(|| CalendarError::DateFormat(text.chars().take(32).collect()))?;
        // At most four and two digits, so the narrowing casts cannot truncate.
        Self::new(y as i32, m as u8, d as u8)
    }

    pub fn y(self) -> i32 {
        self.y
    }

    pub fn m(self) -> u8 {
        self.m
    }

    pub fn d(self) -> u8 {
        self.d
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(self.y, self.m, self.d)
    }

    /// The date `days` after 1970-01-01 (the inverse of [`Self::days_since_epoch`]).
    ///
    /// Not limited to `MAX_YEAR`: the calendar's internal arithmetic may look beyond it.
    pub(crate) fn from_days_since_epoch(days: i64) -> Self {
        let (y, m, d) = civil_from_days(days);
        Self { y, m, d }
    }

    /// 0 = Monday … 6 = Sunday.
    pub fn weekday_index(self) -> usize {
        let days = self.days_since_epoch();
        assert!(days >= 0, "dates start at 1970-01-01");
        weekday(days)
    }
}

fn weekday_of_day(day: u64) -> usize {
    weekday(i64::try_from(day).expect("day count fits in i64"))
}

impl fmt::Display for LocalDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso_date(f, self.y, self.m, self.d)
    }
}

impl FromStr for LocalDate {
    type Err = CalendarError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for LocalDate {
    type Error = CalendarError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<LocalDate> for String {
    fn from(date: LocalDate) -> Self {
        date.to_string()
    }
}

/// When support counts time: opening hours on working weekdays, minus holidays, in Thai time.
///
/// Build one in code and [`validate`](Self::validate) it, or deserialize one (every key
/// optional, defaulting to [`Default`]; deserializing validates). The counting methods assert
/// validity: an invalid calendar reaching them is a programming error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CalendarConfig")]
pub struct BusinessCalendar {
    /// Opening time, minutes after local midnight (09:00 = 540).
    pub open_min: u16,
    /// Closing time, minutes after local midnight (18:00 = 1080), at most 1440; the instant of
    /// closing is outside business hours.
    pub close_min: u16,
    /// Working weekdays, Monday first.
    pub weekdays: [bool; 7],
    /// Local dates on which support is closed all day.
    pub holidays: BTreeSet<LocalDate>,
}

/// The deserialization side of [`BusinessCalendar`]: same keys, all optional, then validated.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct CalendarConfig {
    open_min: u16,
    close_min: u16,
    weekdays: [bool; 7],
    holidays: BTreeSet<LocalDate>,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        let BusinessCalendar { open_min, close_min, weekdays, holidays } = BusinessCalendar::default();
        Self { open_min, close_min, weekdays, holidays }
    }
}

impl TryFrom<CalendarConfig> for BusinessCalendar {
    type Error = CalendarError;
    fn try_from(config: CalendarConfig) -> Result<Self, Self::Error> {
        let calendar = Self { open_min: config.open_min, close_min: config.close_min, weekdays: config.weekdays, holidays: config.holidays };
        calendar.validate()?;
        Ok(calendar)
    }
}

/// Thai public holidays of 2026 observed by banks, as (month, day, name).
///
/// Configurable defaults: check them against the official gazette (and the Bank of Thailand's
/// holiday list) each year — lunar holidays move and the cabinet adds special days.
/// When a holiday falls on a weekend the following Monday is observed; both days are listed.
const THAI_HOLIDAYS_2026: [(u8, u8, &str); 20] = [
    (1, 1, "New Year's Day"),
    (3, 3, "Makha Bucha Day"),
    (4, 6, "Chakri Memorial Day"),
    (4, 13, "Songkran"),
    (4, 14, "Songkran"),
    (4, 15, "Songkran"),
    (5, 1, "National Labour Day"),
    (5, 4, "Coronation Day"),
    (5, 31, "Visakha Bucha Day (a Sunday)"),
    (6, 1, "Visakha Bucha Day, observed"),
    (6, 3, "Queen Suthida's Birthday"),
    (7, 28, "King Vajiralongkorn's Birthday"),
    (7, 29, "Asarnha Bucha Day"),
    (8, 12, "Queen Mother's Birthday, Mother's Day"),
    (10, 13, "King Bhumibol Memorial Day"),
    (10, 23, "Chulalongkorn Day"),
    (12, 5, "King Bhumibol's Birthday, Father's Day (a Saturday)"),
    (12, 7, "Father's Day, observed"),
    (12, 10, "Constitution Day"),
    (12, 31, "New Year's Eve"),
];

impl Default for BusinessCalendar {
    /// Monday to Friday, 09:00–18:00 Thai time, closed on the Thai public holidays of 2026.
    fn default() -> Self {
        let holidays = THAI_HOLIDAYS_2026.iter().map(|&(m, d, _name)| LocalDate::new(2026, m, d).expect("a listed holiday is a date")).collect();
        Self { open_min: 9 * 60, close_min: 18 * 60, weekdays: [true, true, true, true, true, false, false], holidays }
    }
}

impl BusinessCalendar {
    /// Open every minute of every day: counts calendar time (for targets in calendar days,
    /// such as the 30-day complaint deadline).
    pub fn always_open() -> Self {
        Self { open_min: 0, close_min: MINUTES_PER_DAY, weekdays: [true; 7], holidays: BTreeSet::new() }
    }

    /// Checks the hours, the weekdays and the holiday count.
    pub fn validate(&self) -> Result<(), CalendarError> {
        if self.close_min > MINUTES_PER_DAY {
            return Err(CalendarError::CloseAfterMidnight(self.close_min));
        }
        if self.open_min >= self.close_min {
            return Err(CalendarError::HoursInverted { open_min: self.open_min, close_min: self.close_min });
        }
        if !self.weekdays.iter().any(|&open| open) {
            return Err(CalendarError::NoWeekdays);
        }
        if self.holidays.len() > MAX_HOLIDAYS {
            return Err(CalendarError::TooManyHolidays(self.holidays.len()));
        }
        Ok(())
    }

    /// Business time in one open day, in milliseconds.
    pub fn open_ms_per_day(&self) -> u64 {
        u64::from(self.close_min - self.open_min) * MINUTE_MS
    }

    /// Whether support works on this date (a working weekday and not a holiday).
    pub fn is_business_day(&self, date: LocalDate) -> bool {
        self.weekdays[date.weekday_index()] && !self.holidays.contains(&date)
    }

    /// Whether the instant `ms` falls inside business hours.
    ///
    /// # Panics
    ///
    /// If the calendar is invalid or `ms > MAX_INSTANT_MS`.
    pub fn is_business_instant(&self, ms: u64) -> bool {
        self.assert_valid();
        let local_ms = to_local_ms(ms);
        let offset_ms = local_ms % DAY_MS;
        self.is_open_day(local_ms / DAY_MS) && offset_ms >= self.open_offset_ms() && offset_ms < self.close_offset_ms()
    }

    /// Business time in `[from_ms, to_ms)`, in milliseconds; 0 if `to_ms <= from_ms`.
    ///
    /// # Panics
    ///
    /// If the calendar is invalid or an instant is beyond `MAX_INSTANT_MS`.
    pub fn business_ms_between(&self, from_ms: u64, to_ms: u64) -> u64 {
        self.assert_valid();
        let (from_local, to_local) = (to_local_ms(from_ms), to_local_ms(to_ms));
        if to_local <= from_local {
            return 0;
        }
        let (from_day, to_day) = (from_local / DAY_MS, to_local / DAY_MS);
        let (from_offset, to_offset) = (from_local % DAY_MS, to_local % DAY_MS);
        if from_day == to_day {
            return self.open_ms_within_day(from_day, from_offset, to_offset);
        }
        let first = self.open_ms_within_day(from_day, from_offset, DAY_MS);
        let whole = self.open_days_in(from_day + 1, to_day) * self.open_ms_per_day();
        let last = self.open_ms_within_day(to_day, 0, to_offset);
        first + whole + last
    }

    /// The earliest instant at which `amount_ms` of business time has passed since `from_ms`,
    /// so that `business_ms_between(from_ms, result) == amount_ms`. Adding 0 gives `from_ms`;
    /// time running out exactly at closing gives the closing instant, not the next opening.
    ///
    /// # Panics
    ///
    /// If the calendar is invalid, `from_ms > MAX_INSTANT_MS` or `amount_ms > MAX_ADD_MS`.
    pub fn add_business_ms(&self, from_ms: u64, amount_ms: u64) -> u64 {
        self.assert_valid();
        assert!(amount_ms <= MAX_ADD_MS, "add_business_ms: {amount_ms} ms is more than MAX_ADD_MS");
        let from_local = to_local_ms(from_ms);
        if amount_ms == 0 {
            return from_ms;
        }
        let (from_day, from_offset) = (from_local / DAY_MS, from_local % DAY_MS);

        // The rest of the first day may be enough.
        let first_day_ms = self.open_ms_within_day(from_day, from_offset, DAY_MS);
        if amount_ms <= first_day_ms {
            let start_offset = from_offset.max(self.open_offset_ms());
            return from_day * DAY_MS + start_offset + amount_ms - UTC_OFFSET_MS;
        }

        // Otherwise the time runs out on the k-th open day after the first, where k counts the
        // whole days still needed plus the part-day (if any) in which it runs out.
        let needed_ms = amount_ms - first_day_ms;
        let per_day_ms = self.open_ms_per_day();
        let open_days_needed = needed_ms.div_ceil(per_day_ms);
        let into_last_day_ms = needed_ms - (open_days_needed - 1) * per_day_ms;
        assert!(into_last_day_ms > 0 && into_last_day_ms <= per_day_ms);

        // Every 7 consecutive days hold at least one working weekday, and each holiday removes at
        // most one open day, so this many days surely hold enough open days.
        let first_candidate = from_day + 1;
        let horizon_days = 7 * (open_days_needed + self.holidays.len() as u64);
        // Binary search for the smallest `end` with open_days_in(first_candidate, end) ≥ k.
        let (mut low, mut high) = (first_candidate, first_candidate + horizon_days);
        assert!(self.open_days_in(first_candidate, high) >= open_days_needed);
        for _ in 0..64 {
            if low == high {
                break;
            }
            let middle = low + (high - low) / 2;
            if self.open_days_in(first_candidate, middle) >= open_days_needed {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        assert_eq!(low, high, "the binary search over at most 2^64 days converges in 64 steps");
        let last_day = low - 1;
        assert!(self.is_open_day(last_day));
        last_day * DAY_MS + self.open_offset_ms() + into_last_day_ms - UTC_OFFSET_MS
    }

    fn assert_valid(&self) {
        if let Err(error) = self.validate() {
            panic!("invalid business calendar: {error}");
        }
    }

    fn open_offset_ms(&self) -> u64 {
        u64::from(self.open_min) * MINUTE_MS
    }

    fn close_offset_ms(&self) -> u64 {
        u64::from(self.close_min) * MINUTE_MS
    }

    /// `day` counts local days since 1970-01-01.
    fn is_open_day(&self, day: u64) -> bool {
        self.weekdays[weekday_of_day(day)] && !self.holidays.contains(&local_date(day))
    }

    /// Business time on local `day` between the offsets `from_ms ≤ to_ms ≤ DAY_MS` of that day.
    fn open_ms_within_day(&self, day: u64, from_ms: u64, to_ms: u64) -> u64 {
        debug_assert!(from_ms <= to_ms && to_ms <= DAY_MS);
        if !self.is_open_day(day) {
            return 0;
        }
        let start = from_ms.max(self.open_offset_ms());
        let end = to_ms.min(self.close_offset_ms());
        end.saturating_sub(start)
    }

    /// Open days among local days `first_day..end_day`.
    fn open_days_in(&self, first_day: u64, end_day: u64) -> u64 {
        if end_day <= first_day {
            return 0;
        }
        let span_days = end_day - first_day;
        let working_weekdays = self.weekdays.iter().filter(|&&open| open).count() as u64;
        let whole_weeks = span_days / 7;
        let mut open_days = whole_weeks * working_weekdays;
        // The days after the whole weeks: fewer than seven.
        for day in first_day + whole_weeks * 7..end_day {
            open_days += u64::from(self.weekdays[weekday_of_day(day)]);
        }
        // A holiday on a working weekday inside the range closes one more day. The walk is
        // bounded by MAX_HOLIDAYS (checked in validate).
        let range = local_date(first_day)..local_date(end_day);
        for holiday in self.holidays.range(range) {
            let day = u64::try_from(holiday.days_since_epoch()).expect("holidays are after 1970");
            if self.weekdays[weekday_of_day(day)] {
                open_days -= 1;
            }
        }
        open_days
    }
}

/// UTC milliseconds to Thai local milliseconds (since local 1970-01-01 00:00).
fn to_local_ms(ms: u64) -> u64 {
    assert!(ms <= MAX_INSTANT_MS, "instant {ms} ms is beyond 9999-12-31");
    ms + UTC_OFFSET_MS
}

fn local_date(day: u64) -> LocalDate {
    LocalDate::from_days_since_epoch(i64::try_from(day).expect("day count fits in i64"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(text: &str) -> LocalDate {
        LocalDate::parse(text).unwrap()
    }

    /// UTC milliseconds of a Thai local time.
    fn bkk(text_date: &str, hour: u64, minute: u64) -> u64 {
        let day = date(text_date).days_since_epoch() as u64;
        day * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS - UTC_OFFSET_MS
    }

    /// The obvious day-by-day count, to check the closed form against.
    fn business_ms_between_by_days(calendar: &BusinessCalendar, from_ms: u64, to_ms: u64) -> u64 {
        if to_ms <= from_ms {
            return 0;
        }
        let (from_local, to_local) = (from_ms + UTC_OFFSET_MS, to_ms + UTC_OFFSET_MS);
        let mut total = 0;
        for day in from_local / DAY_MS..=to_local / DAY_MS {
            let day_start = day * DAY_MS;
            let open = day_start + calendar.open_offset_ms();
            let close = day_start + calendar.close_offset_ms();
            let weekday = ((day + 3) % 7) as usize;
            let date = LocalDate::from_days_since_epoch(day as i64);
            if calendar.weekdays[weekday] && !calendar.holidays.contains(&date) {
                total += close.min(to_local).saturating_sub(open.max(from_local));
            }
        }
        total
    }

    #[test]
    fn dates_parse_validate_and_round_trip() {
        assert_eq!(date("2026-04-13").to_string(), "2026-04-13");
        assert_eq!(date("2024-02-29").d(), 29);
        for bad in ["2026-4-13", "2026/04/13", "2026-04-1x", "", "12026-04-13", "２０２６-04-13"] {
            assert!(matches!(LocalDate::parse(bad), Err(CalendarError::DateFormat(_))), "{bad}");
        }
        assert_eq!(LocalDate::parse("2026-02-29").unwrap_err().to_string(), "2026-02-29 is not a calendar date");
        assert!(LocalDate::parse("2100-02-29").is_err(), "2100 is not a leap year");
        assert!(LocalDate::parse("2000-02-29").is_ok(), "2000 is");
        assert!(LocalDate::parse("2026-13-01").is_err());
        assert!(LocalDate::parse("2026-06-31").is_err());
        assert!(LocalDate::parse("2026-01-00").is_err());
        assert_eq!(LocalDate::parse("1969-12-31").unwrap_err().to_string(), "year 1969 is outside 1970..=9999");
    }

    #[test]
    fn civil_day_arithmetic_matches_known_dates() {
        assert_eq!(date("1970-01-01").days_since_epoch(), 0);
        assert_eq!(date("2000-03-01").days_since_epoch(), 11_017);
        // 2026-01-01T00:00Z is 1,767,225,600 s after the epoch.
        assert_eq!(date("2026-01-01").days_since_epoch(), 1_767_225_600 / 86_400);
        assert_eq!(date("9999-12-31").days_since_epoch(), 2_932_896);
        assert_eq!(date("1970-01-01").weekday_index(), 3, "a Thursday");
        assert_eq!(date("2026-12-05").weekday_index(), 5, "a Saturday");
        assert_eq!(date("2026-05-31").weekday_index(), 6, "a Sunday");
        assert_eq!(date("2026-04-13").weekday_index(), 0, "a Monday");
        for day in [0i64, 59, 60, 365, 10_956, 11_016, 11_017, 20_000, 2_932_896] {
            assert_eq!(LocalDate::from_days_since_epoch(day).days_since_epoch(), day);
        }
    }

    #[test]
    fn dates_serialize_as_text() {
        // No JSON crate here: check the serde conversions the derive goes through.
        assert_eq!(String::from(date("2026-12-31")), "2026-12-31");
        assert!(LocalDate::try_from("2026-12-32".to_string()).is_err());
    }

    #[test]
    fn default_calendar_is_thai_office_hours() {
        let calendar = BusinessCalendar::default();
        calendar.validate().unwrap();
        assert_eq!(calendar.holidays.len(), 20);
        assert_eq!(calendar.open_ms_per_day(), 9 * HOUR_MS);
        // Observed days fall on the Monday after a weekend holiday.
        assert_eq!(date("2026-06-01").weekday_index(), 0);
        assert_eq!(date("2026-12-07").weekday_index(), 0);
        assert!(calendar.is_business_instant(bkk("2026-03-02", 9, 0)));
        assert!(calendar.is_business_instant(bkk("2026-03-02", 17, 59)));
        assert!(!calendar.is_business_instant(bkk("2026-03-02", 18, 0)), "closing instant is closed");
        assert!(!calendar.is_business_instant(bkk("2026-03-02", 8, 59)));
        assert!(!calendar.is_business_instant(bkk("2026-03-03", 12, 0)), "Makha Bucha");
        assert!(!calendar.is_business_instant(bkk("2026-03-07", 12, 0)), "Saturday");
        // 09:00 Bangkok is 02:00 UTC.
        assert_eq!(bkk("2026-03-02", 9, 0) % DAY_MS, 2 * HOUR_MS);
    }

    #[test]
    fn validation_refuses_nonsense() {
        let hours = BusinessCalendar { open_min: 18 * 60, close_min: 9 * 60, ..BusinessCalendar::default() };
        assert_eq!(hours.validate().unwrap_err().to_string(), "business hours must open before they close (open 18:00, close 09:00)");
        let closed = BusinessCalendar { weekdays: [false; 7], ..BusinessCalendar::default() };
        assert_eq!(closed.validate().unwrap_err(), CalendarError::NoWeekdays);
        let late = BusinessCalendar { close_min: 1441, ..BusinessCalendar::default() };
        assert_eq!(late.validate().unwrap_err(), CalendarError::CloseAfterMidnight(1441));
        BusinessCalendar::always_open().validate().unwrap();
    }

    #[test]
    #[should_panic(expected = "invalid business calendar")]
    fn counting_with_an_invalid_calendar_panics() {
        let closed = BusinessCalendar { weekdays: [false; 7], ..BusinessCalendar::default() };
        closed.business_ms_between(0, DAY_MS);
    }

    #[test]
    fn across_a_weekend() {
        let calendar = BusinessCalendar::default();
        // Friday 2026-03-06 17:00 to Monday 2026-03-09 10:00: one hour each side.
        let friday = bkk("2026-03-06", 17, 0);
        let monday = bkk("2026-03-09", 10, 0);
        assert_eq!(calendar.business_ms_between(friday, monday), 2 * HOUR_MS);
        assert_eq!(calendar.add_business_ms(friday, 2 * HOUR_MS), monday);
        // Running out exactly at Friday's close gives the close, not Monday's opening.
        assert_eq!(calendar.add_business_ms(friday, HOUR_MS), bkk("2026-03-06", 18, 0));
        assert_eq!(calendar.add_business_ms(friday, HOUR_MS + 1), bkk("2026-03-09", 9, 0) + 1);
    }

    #[test]
    fn across_a_holiday() {
        let calendar = BusinessCalendar::default();
        // Monday 2026-03-02 12:00 to Wednesday 2026-03-04 12:00 skips Makha Bucha (Tuesday).
        let monday = bkk("2026-03-02", 12, 0);
        let wednesday = bkk("2026-03-04", 12, 0);
        assert_eq!(calendar.business_ms_between(monday, wednesday), 9 * HOUR_MS);
        assert_eq!(calendar.add_business_ms(monday, 9 * HOUR_MS), wednesday);
    }

    #[test]
    fn starting_outside_hours() {
        let calendar = BusinessCalendar::default();
        let early = bkk("2026-03-02", 6, 30);
        assert_eq!(calendar.business_ms_between(early, bkk("2026-03-02", 9, 30)), 30 * MINUTE_MS);
        assert_eq!(calendar.add_business_ms(early, 30 * MINUTE_MS), bkk("2026-03-02", 9, 30));
        let late = bkk("2026-03-02", 22, 0);
        assert_eq!(calendar.business_ms_between(late, bkk("2026-03-03", 23, 0)), 0, "Tuesday is a holiday");
        assert_eq!(calendar.add_business_ms(late, MINUTE_MS), bkk("2026-03-04", 9, 1));
        assert_eq!(calendar.add_business_ms(late, 0), late);
        // Saturday night: the first business minute is Monday 09:00.
        let saturday = bkk("2026-03-07", 23, 0);
        assert_eq!(calendar.add_business_ms(saturday, MINUTE_MS), bkk("2026-03-09", 9, 1));
    }

    #[test]
    fn songkran_closes_three_days() {
        let calendar = BusinessCalendar::default();
        // Friday 2026-04-10 18:00 to Thursday 2026-04-16 09:00: weekend, then Songkran Mon–Wed.
        let before = bkk("2026-04-10", 18, 0);
        let after = bkk("2026-04-16", 9, 0);
        assert_eq!(calendar.business_ms_between(before, after), 0);
        assert_eq!(calendar.add_business_ms(before, HOUR_MS), bkk("2026-04-16", 10, 0));
        // A week from the Thursday before Songkran holds two business days (Thu, Fri) plus Thursday after.
        let thursday = bkk("2026-04-09", 9, 0);
        assert_eq!(calendar.business_ms_between(thursday, bkk("2026-04-16", 18, 0)), 3 * 9 * HOUR_MS);
        // A 5-business-day target set on Thursday 09:00 runs out at Monday 20 April's close
        // (Thu 9, Fri 10, Thu 16, Fri 17, Mon 20).
        assert_eq!(calendar.add_business_ms(thursday, 5 * 9 * HOUR_MS), bkk("2026-04-20", 18, 0));
    }

    #[test]
    fn long_windows_count_in_closed_form() {
        let calendar = BusinessCalendar::default();
        // 2026: 261 weekdays; 18 of the 20 listed holidays fall on one (31 May and 5 Dec do not).
        let year = calendar.business_ms_between(bkk("2026-01-01", 0, 0), bkk("2027-01-01", 0, 0));
        assert_eq!(year, (261 - 18) * 9 * HOUR_MS);
        assert_eq!(calendar.add_business_ms(bkk("2026-01-01", 0, 0), year), bkk("2026-12-30", 18, 0));
        let always = BusinessCalendar::always_open();
        assert_eq!(always.business_ms_between(0, MAX_INSTANT_MS), MAX_INSTANT_MS);
        assert_eq!(always.add_business_ms(5, 30 * DAY_MS), 5 + 30 * DAY_MS);
    }

    fn instant() -> impl Strategy<Value = u64> {
        // 2025 to 2028, where the default holidays sit.
        bkk("2025-01-01", 0, 0)..bkk("2028-12-31", 0, 0)
    }

    fn calendar() -> impl Strategy<Value = BusinessCalendar> {
        let hours = (0u16..MINUTES_PER_DAY).prop_flat_map(|open| (Just(open), open + 1..=MINUTES_PER_DAY));
        (hours, any::<[bool; 7]>(), any::<bool>()).prop_filter_map("at least one working weekday", |((open_min, close_min), weekdays, holidays)| {
            let calendar =
                BusinessCalendar { open_min, close_min, weekdays, holidays: if holidays { BusinessCalendar::default().holidays } else { BTreeSet::new() } };
            calendar.validate().ok().map(|()| calendar)
        })
    }

    proptest! {
        #[test]
        fn adding_then_measuring_gives_the_amount_back(
            calendar in calendar(),
            from_ms in instant(),
            amount_ms in 0u64..40 * DAY_MS,
        ) {
            let until = calendar.add_business_ms(from_ms, amount_ms);
            prop_assert!(until >= from_ms);
            prop_assert_eq!(calendar.business_ms_between(from_ms, until), amount_ms);
            if amount_ms > 0 {
                prop_assert!(calendar.business_ms_between(from_ms, until - 1) < amount_ms, "earliest");
            }
        }

        #[test]
        fn closed_form_matches_the_day_by_day_count(
            calendar in calendar(),
            from_ms in instant(),
            span_ms in 0u64..60 * DAY_MS,
        ) {
            let to_ms = from_ms + span_ms;
            prop_assert_eq!(
                calendar.business_ms_between(from_ms, to_ms),
                business_ms_between_by_days(&calendar, from_ms, to_ms)
            );
        }

        #[test]
        fn counting_is_monotone(
            calendar in calendar(),
            from_ms in instant(),
            a_ms in 0u64..30 * DAY_MS,
            b_ms in 0u64..30 * DAY_MS,
        ) {
            let (short, long) = (a_ms.min(b_ms), a_ms.max(b_ms));
            prop_assert!(calendar.business_ms_between(from_ms, from_ms + short)
                <= calendar.business_ms_between(from_ms, from_ms + long));
            prop_assert!(calendar.add_business_ms(from_ms, short) <= calendar.add_business_ms(from_ms, long));
            // Adding splits: a then b is a + b.
            let middle = calendar.add_business_ms(from_ms, short);
            prop_assert_eq!(calendar.add_business_ms(middle, long - short), calendar.add_business_ms(from_ms, long));
        }
    }
}
