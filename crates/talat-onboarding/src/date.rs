//! A proleptic Gregorian calendar date, without a time or a time zone.
//!
//! Onboarding only ever needs whole days (dates of birth, passport expiry, review dates), so this
//! small type replaces a date-time library. It never reads a clock: every "today" in this crate is a
//! parameter, which keeps the logic deterministic and testable; [`Date::today_in_bangkok`] turns
//! the caller's clock reading into one.
//!
//! Serialised as the ISO 8601 text `YYYY-MM-DD` (years 0001–9999), so JSON and SQL see the form
//! people read. The calendar arithmetic (leap years, month lengths, days since the epoch,
//! Bangkok's day) is [`talat_core::calendar`]'s.

use serde::{Deserialize, Serialize};
use std::fmt;
use talat_core::calendar::{bangkok_date, bangkok_midnight_ms, days_from_civil, split_iso_date, write_iso_date};
pub use talat_core::calendar::{days_in_month, is_leap_year};

/// Smallest year accepted. Year 1 keeps arithmetic well away from zero and negative years.
pub const YEAR_MIN: u16 = 1;
/// Largest year accepted; four digits are all ISO 8601 basic text can carry.
pub const YEAR_MAX: u16 = 9999;

/// A valid calendar date (the Common Era / Gregorian year; see [`crate::dob`] for the Buddhist era).
///
/// Ordering is chronological because the fields are compared year, then month, then day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a date was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("a date must be written as YYYY-MM-DD (for example 1990-05-17)")]
    Format,
    #[error("the year {year} is out of range ({YEAR_MIN}–{YEAR_MAX})")]
    YearOutOfRange { year: u32 },
    #[error("the month {month} does not exist (months are 1–12)")]
    Month { month: u32 },
    #[error("{year:04}-{month:02} has no day {day} (it has {days_in_month} days)")]
    Day { year: u16, month: u8, day: u32, days_in_month: u8 },
}

impl Date {
    /// A date from its parts, refusing days that do not exist (such as 2023-02-29).
    pub fn new(year: u32, month: u32, day: u32) -> Result<Date, DateError> {
        if year < u32::from(YEAR_MIN) || year > u32::from(YEAR_MAX) {
            return Err(DateError::YearOutOfRange { year });
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::Month { month });
        }
        // Both casts are in range: checked just above.
        let year = year as u16;
        let month = month as u8;
        let days = days_in_month(i32::from(year), month);
        if day < 1 || day > u32::from(days) {
            return Err(DateError::Day { year, month, day, days_in_month: days });
        }
        Ok(Date { year, month, day: day as u8 })
    }

    /// Parses exactly `YYYY-MM-DD` (ASCII digits, zero-padded).
    pub fn parse_iso(input: &str) -> Result<Date, DateError> {
        let (year, month, day) = split_iso_date(input).ok_or(DateError::Format)?;
        Date::new(year, month, day)
    }

    /// Today in Bangkok at the instant `now_ms` (Unix milliseconds): "today" for ages and expiry
    /// dates is Bangkok's.
    ///
    /// # Panics
    ///
    /// If `now_ms` lies after the year [`YEAR_MAX`].
    pub fn today_in_bangkok(now_ms: u64) -> Date {
        let (year, month, day) = bangkok_date(now_ms);
        let year = u32::try_from(year).expect("an instant is after 1970");
        Date::new(year, u32::from(month), u32::from(day)).expect("a clock date is a valid date")
    }

    /// The instant (Unix milliseconds) this date begins in Bangkok: its midnight, 17:00 UTC the
    /// day before. Dates before 1970 give 0.
    pub fn bangkok_midnight_ms(self) -> u64 {
        bangkok_midnight_ms(days_from_civil(i32::from(self.year), self.month, self.day))
    }

    /// The Gregorian (Common Era) year.
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub const fn day(self) -> u8 {
        self.day
    }

    /// The same day `years` later. 29 February becomes 28 February in a common year, so a
    /// review date never slips into the next month.
    pub fn add_years(self, years: u16) -> Result<Date, DateError> {
        let year = u32::from(self.year) + u32::from(years);
        let day = if self.month == 2 && self.day == 29 && year <= u32::from(YEAR_MAX) {
            u32::from(self.day.min(days_in_month(year as i32, 2)))
        } else {
            u32::from(self.day)
        };
        Date::new(year, u32::from(self.month), day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso_date(f, i32::from(self.year), self.month, self.day)
    }
}

impl TryFrom<String> for Date {
    type Error = DateError;
    fn try_from(value: String) -> Result<Date, DateError> {
        Date::parse_iso(&value)
    }
}

impl From<Date> for String {
    fn from(value: Date) -> String {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000));
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2023));
    }

    #[test]
    fn parses_and_refuses() {
        assert_eq!(Date::parse_iso("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert!(matches!(Date::parse_iso("2023-02-29"), Err(DateError::Day { .. })));
        assert!(matches!(Date::parse_iso("2023-13-01"), Err(DateError::Month { month: 13 })));
        assert_eq!(Date::parse_iso("2023-1-01"), Err(DateError::Format));
        assert_eq!(Date::parse_iso("２０２３-01-01"), Err(DateError::Format));
        assert_eq!(Date::parse_iso("0000-01-01"), Err(DateError::YearOutOfRange { year: 0 }));
    }

    #[test]
    fn add_years_clamps_leap_day() {
        let leap = Date::parse_iso("2024-02-29").unwrap();
        assert_eq!(leap.add_years(1).unwrap().to_string(), "2025-02-28");
        assert_eq!(leap.add_years(4).unwrap().to_string(), "2028-02-29");
        assert!(Date::parse_iso("9999-01-01").unwrap().add_years(1).is_err());
    }

    #[test]
    fn bangkok_dates_round_trip() {
        // 2024-02-29 17:00 UTC is already 1 March in Bangkok.
        let ms = days_from_civil(2024, 2, 29) as u64 * talat_core::calendar::DAY_MS + 17 * 3_600_000;
        assert_eq!(Date::today_in_bangkok(ms).to_string(), "2024-03-01");
        assert_eq!(Date::today_in_bangkok(0).to_string(), "1970-01-01");
        let d = Date::new(2030, 12, 31).unwrap();
        assert_eq!(Date::today_in_bangkok(d.bangkok_midnight_ms()), d);
        assert_eq!(Date::today_in_bangkok(d.bangkok_midnight_ms() - 1).to_string(), "2030-12-30");
    }

    #[test]
    fn serde_is_iso_text() {
        let d = Date::new(1990, 5, 17).unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"1990-05-17\"");
        assert_eq!(serde_json::from_str::<Date>("\"1990-05-17\"").unwrap(), d);
        assert!(serde_json::from_str::<Date>("\"1990-02-30\"").is_err());
    }
}
