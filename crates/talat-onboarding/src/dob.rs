//! Date of birth: input in either calendar, plausibility, age, and the DOPA form.
//!
//! Thai documents print years in the **Buddhist era** (BE = CE + 543; `2543-01-01` is
//! 1 January 2000), while foreign documents and most software use the Gregorian (Common Era) year.
//!
//! **Era rule when none is given**: a year ≥ 2400 is read as BE, a smaller one as CE. This is
//! unambiguous for birth dates: BE 2400 is CE 1857, far older than [`MAX_AGE_YEARS`] allows, and
//! CE 2400 is centuries in the future. Either mistake would therefore be refused as too old or
//! in the future rather than silently accepted. Callers may pass an explicit [`Era`] instead.
//!
//! Month and day are the same in both calendars (the Thai civil year has started on 1 January
//! since 1941), so conversion only moves the year. Before 1941 the Thai year began on 1 April;
//! such dates (customers over 85) are read with the modern rule and a reviewer sees the card.

use crate::date::{Date, DateError};
use serde::{Deserialize, Serialize};

/// Years between the Buddhist and the Common era.
pub const BE_OFFSET_YEARS: u16 = 543;
/// Without an explicit era, years at or above this are Buddhist era.
pub const BE_YEAR_MIN: u16 = 2400;
/// Oldest plausible customer; older dates of birth are typing mistakes.
pub const MAX_AGE_YEARS: u32 = 120;
/// Thai age of majority (Civil and Commercial Code s.19: 20 complete years).
pub const MIN_ADULT_AGE_YEARS: u32 = 20;
/// Longest raw input looked at.
pub const INPUT_MAX_BYTES: usize = 32;

/// The calendar a year is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Era {
    /// Common Era (Gregorian), e.g. 1990.
    Gregorian,
    /// Buddhist era as printed on Thai ID cards, e.g. 2533 (= 1990).
    Buddhist,
}

/// A checked date of birth, stored in the Common Era.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DateOfBirth(Date);

/// Why a date of birth was refused. Messages are shown to customers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DobError {
    #[error("the date of birth must be written as YYYY-MM-DD, e.g. 1990-05-17 or 2533-05-17 (Buddhist era)")]
    Format,
    #[error("the date of birth is not a real date: {0}")]
    Date(DateError),
    #[error("the date of birth {date} is in the future")]
    Future { date: Date },
    #[error(
        "the date of birth {date} would make you older than {MAX_AGE_YEARS}; please check the year (Buddhist era years are 543 more than Gregorian years)"
    )]
    TooOld { date: Date },
    #[error("you must be at least {MIN_ADULT_AGE_YEARS} years old to open an account (age today: {age_years})")]
    Minor { age_years: u32 },
}

/// Parses `YYYY-MM-DD` in either era and checks it against `today`.
///
/// With `era == None` the year decides (see the module documentation).
pub fn parse_dob(input: &str, era: Option<Era>, today: Date) -> Result<DateOfBirth, DobError> {
    if input.len() > INPUT_MAX_BYTES {
        return Err(DobError::Format);
    }
    let input = input.trim();
    let bytes = input.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(DobError::Format);
    }
    // Digits first: `str::parse` would accept a leading '+'.
    if !input[0..4].bytes().all(|b| b.is_ascii_digit()) {
        return Err(DobError::Format);
    }
    let written_year: u32 = input[0..4].parse().map_err(|_| DobError::Format)?;
    let era = era.unwrap_or(if written_year >= u32::from(BE_YEAR_MIN) { Era::Buddhist } else { Era::Gregorian });
    let year_ce = match era {
        Era::Gregorian => written_year,
        // A BE year below 544 would be CE 0 or earlier: certainly too old.
        Era::Buddhist if written_year <= u32::from(BE_OFFSET_YEARS) => {
            return Err(DobError::Date(DateError::YearOutOfRange { year: 0 }));
        }
        Era::Buddhist => written_year - u32::from(BE_OFFSET_YEARS),
    };
    let gregorian = format!("{year_ce:04}{}", &input[4..]);
    let date = Date::parse_iso(&gregorian).map_err(|e| match e {
        DateError::Format => DobError::Format,
        other => DobError::Date(other),
    })?;
    DateOfBirth::new(date, today)
}

impl DateOfBirth {
    /// Checks a Common Era date of birth against `today`: not in the future, not older than
    /// [`MAX_AGE_YEARS`].
    pub fn new(date: Date, today: Date) -> Result<DateOfBirth, DobError> {
        if date > today {
            return Err(DobError::Future { date });
        }
        if age_on(date, today) > MAX_AGE_YEARS {
            return Err(DobError::TooOld { date });
        }
        Ok(DateOfBirth(date))
    }

    /// The date in the Common Era.
    pub fn date(self) -> Date {
        self.0
    }

    /// `yyyyMMdd` with a Buddhist-era year, as DOPA's card check wants (`25430101` = 2000-01-01).
    pub fn to_dopa_be(self) -> String {
        let d = self.0;
        format!("{:04}{:02}{:02}", u32::from(d.year()) + u32::from(BE_OFFSET_YEARS), d.month(), d.day())
    }
}

/// Completed years between `dob` and `today`.
///
/// The birthday counts from the same month and day; someone born on 29 February becomes a year
/// older on 1 March in common years (the later reading, so majority is never granted early).
pub fn age_on(dob: Date, today: Date) -> u32 {
    assert!(dob <= today, "age_on: date of birth {dob} is after today {today}");
    let mut years = u32::from(today.year()) - u32::from(dob.year());
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    years
}

/// Refuses customers younger than [`MIN_ADULT_AGE_YEARS`] on `today`.
pub fn check_adult(dob: DateOfBirth, today: Date) -> Result<(), DobError> {
    let age_years = age_on(dob.date(), today);
    if age_years < MIN_ADULT_AGE_YEARS {
        return Err(DobError::Minor { age_years });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse_iso(s).unwrap()
    }

    const TODAY: &str = "2026-11-01";

    #[test]
    fn both_eras() {
        let today = d(TODAY);
        let ce = parse_dob("1990-05-17", None, today).unwrap();
        let be = parse_dob("2533-05-17", None, today).unwrap();
        assert_eq!(ce, be);
        assert_eq!(ce.date(), d("1990-05-17"));
        assert_eq!(parse_dob("2533-05-17", Some(Era::Buddhist), today).unwrap(), ce);
        assert_eq!(ce.to_dopa_be(), "25330517");
        // Reference vector: 25430101 = 1 January 2000.
        assert_eq!(parse_dob("2000-01-01", None, today).unwrap().to_dopa_be(), "25430101");
    }

    #[test]
    fn explicit_era_overrides_the_rule() {
        let today = d(TODAY);
        // 1990 read as BE is CE 1447: too old.
        assert!(matches!(parse_dob("1990-05-17", Some(Era::Buddhist), today), Err(DobError::TooOld { .. })));
        // 2533 read as CE is in the future.
        assert!(matches!(parse_dob("2533-05-17", Some(Era::Gregorian), today), Err(DobError::Future { .. })));
        assert!(matches!(parse_dob("0500-05-17", Some(Era::Buddhist), today), Err(DobError::Date(_))));
    }

    #[test]
    fn leap_days_in_both_eras() {
        let today = d(TODAY);
        // 2000 is a leap year; BE 2543 is the same year.
        assert!(parse_dob("2000-02-29", None, today).is_ok());
        assert!(parse_dob("2543-02-29", None, today).is_ok());
        // 1900 is not (BE 2443).
        assert!(matches!(parse_dob("2443-02-29", None, today), Err(DobError::Date(DateError::Day { .. }))));
        assert!(matches!(parse_dob("2001-02-29", None, today), Err(DobError::Date(DateError::Day { .. }))));
    }

    #[test]
    fn refuses_future_too_old_and_malformed() {
        let today = d(TODAY);
        assert!(matches!(parse_dob("2026-11-02", None, today), Err(DobError::Future { .. })));
        assert!(parse_dob("2026-11-01", None, today).is_ok());
        assert!(matches!(parse_dob("1905-11-01", None, today), Err(DobError::TooOld { .. }))); // 121
        assert!(parse_dob("1905-11-02", None, today).is_ok()); // 120 until tomorrow

        assert_eq!(parse_dob("17/05/1990", None, today), Err(DobError::Format));
        assert_eq!(parse_dob("+990-05-17", None, today), Err(DobError::Format));
        assert_eq!(parse_dob("1990-5-17", None, today), Err(DobError::Format));
        assert_eq!(parse_dob(&"1".repeat(100), None, today), Err(DobError::Format));
    }

    #[test]
    fn ages() {
        assert_eq!(age_on(d("2006-11-01"), d("2026-11-01")), 20);
        assert_eq!(age_on(d("2006-11-02"), d("2026-11-01")), 19);
        assert_eq!(age_on(d("2004-02-29"), d("2026-02-28")), 21);
        assert_eq!(age_on(d("2004-02-29"), d("2026-03-01")), 22);
        assert_eq!(age_on(d("2026-11-01"), d("2026-11-01")), 0);
    }

    #[test]
    fn majority_is_twenty() {
        let today = d(TODAY);
        let twenty = parse_dob("2006-11-01", None, today).unwrap();
        assert_eq!(check_adult(twenty, today), Ok(()));
        let nineteen = parse_dob("2549-11-02", None, today).unwrap();
        assert_eq!(check_adult(nineteen, today), Err(DobError::Minor { age_years: 19 }));
    }
}
