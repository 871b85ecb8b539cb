//! Calendar dates and Bangkok time, by hand: the one place talat turns instants into days.
//!
//! Dates are proleptic Gregorian (year, month 1–12, day 1–31) and are converted to and from a
//! count of days since 1970-01-01 with H. Hinnant's public-domain algorithms (count from
//! 0000-03-01 so that the leap day falls at the end of each year). Instants are `u64`
//! milliseconds since the Unix epoch (UTC).
//!
//! Thailand keeps UTC+7 all year (no daylight saving), so Bangkok local time is UTC shifted by
//! [`BANGKOK_OFFSET_MS`] and a Bangkok day is exactly 24 hours. Daily withdrawal limits, support
//! business hours, ages and expiry dates all count Bangkok days.
//!
//! Everything here is pure arithmetic: no clock, no time-zone database. Callers keep their own
//! date types (with their own year ranges and error messages) and build them on these
//! functions.

use std::fmt;

pub const SECOND_MS: u64 = 1_000;
pub const MINUTE_MS: u64 = 60 * SECOND_MS;
pub const HOUR_MS: u64 = 60 * MINUTE_MS;
pub const DAY_MS: u64 = 24 * HOUR_MS;

/// Bangkok's offset from UTC (Indochina Time, no daylight saving), in milliseconds.
pub const BANGKOK_OFFSET_MS: u64 = 7 * HOUR_MS;
/// The same offset as ISO 8601 writes it.
pub const BANGKOK_OFFSET: &str = "+07:00";

/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const DAYS_0000_03_01_TO_EPOCH: i64 = 719_468;
/// Days in a 400-year Gregorian era.
const DAYS_PER_ERA: i64 = 146_097;
/// Weekday of 1970-01-01 (a Thursday), Monday = 0.
const EPOCH_WEEKDAY: i64 = 3;

/// The first day [`civil_from_days`] accepts: 1 January of year `i32::MIN`.
pub const MIN_DAYS: i64 = days_from_civil(i32::MIN, 1, 1);
/// The last day [`civil_from_days`] accepts: 31 December of year `i32::MAX`.
pub const MAX_DAYS: i64 = days_from_civil(i32::MAX, 12, 31);

/// True for Gregorian leap years: divisible by 4, except centuries not divisible by 400.
// `is_multiple_of` needs Rust 1.87; the workspace's rust-version is 1.85.
#[allow(clippy::manual_is_multiple_of)]
pub const fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1–12) of `year`.
///
/// # Panics
///
/// If `month` is not 1–12.
pub const fn days_in_month(year: i32, month: u8) -> u8 {
    assert!(month >= 1 && month <= 12, "months are 1-12");
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether `year-month-day` is a real date (any `i32` year).
pub const fn is_date(year: i32, month: u8, day: u8) -> bool {
    month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month)
}

/// Days since 1970-01-01 of the date `year-month-day` (negative before it).
///
/// Meant for real dates (see [`is_date`]); other inputs give a number, not a panic.
pub const fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let m = month as i64;
    let y = year as i64 - if m <= 2 { 1 } else { 0 };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400; // 0..=399
    let shifted_month = (m + 9) % 12; // March = 0 .. February = 11
    let day_of_year = (153 * shifted_month + 2) / 5 + day as i64 - 1; // 0..=365
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - DAYS_0000_03_01_TO_EPOCH
}

/// The date (year, month, day) `days` after 1970-01-01; the inverse of [`days_from_civil`].
///
/// # Panics
///
/// If `days` is outside [`MIN_DAYS`]`..=`[`MAX_DAYS`] (the year would not fit an `i32`). Any
/// day of a `u64` millisecond instant is inside.
pub const fn civil_from_days(days: i64) -> (i32, u8, u8) {
    assert!(days >= MIN_DAYS && days <= MAX_DAYS, "the year of this day count does not fit an i32");
    let z = days + DAYS_0000_03_01_TO_EPOCH;
    let era = z.div_euclid(DAYS_PER_ERA);
    let day_of_era = z - era * DAYS_PER_ERA; // 0..=146_096
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    // In range: checked by the assert above; month is 1..=12 and day 1..=31.
    (year as i32, month as u8, day as u8)
}

/// Weekday of the day `days` after 1970-01-01: 0 = Monday … 6 = Sunday.
pub const fn weekday(days: i64) -> usize {
    ((days.rem_euclid(7) + EPOCH_WEEKDAY) % 7) as usize
}

/// Bangkok local days since 1970-01-01 of the instant `ms`: the day number that changes at
/// Bangkok midnight (17:00 UTC).
pub const fn bangkok_days(ms: u64) -> u64 {
    ms.saturating_add(BANGKOK_OFFSET_MS) / DAY_MS
}

/// Milliseconds since Bangkok midnight at the instant `ms` (0 ..= `DAY_MS` − 1).
pub const fn bangkok_ms_of_day(ms: u64) -> u64 {
    ms.saturating_add(BANGKOK_OFFSET_MS) % DAY_MS
}

/// The Bangkok calendar date (year, month, day) at the instant `ms`.
pub const fn bangkok_date(ms: u64) -> (i32, u8, u8) {
    // At most u64::MAX / DAY_MS ≈ 2.1e11 days: well inside MAX_DAYS, and it fits an i64.
    civil_from_days(bangkok_days(ms) as i64)
}

/// The instant Bangkok day `days` (counted since 1970-01-01) begins: its midnight, 17:00 UTC
/// the day before. Days that begin before the Unix epoch give 0.
pub const fn bangkok_midnight_ms(days: i64) -> u64 {
    if days <= 0 {
        return 0;
    }
    (days as u64).saturating_mul(DAY_MS).saturating_sub(BANGKOK_OFFSET_MS)
}

/// The three numbers of a date written exactly `YYYY-MM-DD` (ASCII digits, zero-padded), or
/// `None` for any other shape. Whether they make a real date is the caller's check: each date
/// type has its own year range and its own errors.
pub fn split_iso_date(text: &str) -> Option<(u32, u32, u32)> {
    let bytes = text.as_bytes();
    // Fixed width: 10 bytes. Checking the length first also bounds all work below.
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| digits.iter().try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')));
    Some((number(&bytes[0..4])?, number(&bytes[5..7])?, number(&bytes[8..10])?))
}

/// Writes a date as `YYYY-MM-DD` (years below 1000 zero-padded to four digits).
pub fn write_iso_date(out: &mut impl fmt::Write, year: i32, month: u8, day: u8) -> fmt::Result {
    write!(out, "{year:04}-{month:02}-{day:02}")
}

/// The instant `ms` in Bangkok time, to the second: `YYYY-MM-DDTHH:MM:SS+07:00`.
pub fn bangkok_iso_datetime(ms: u64) -> String {
    let (year, month, day) = bangkok_date(ms);
    let seconds = bangkok_ms_of_day(ms) / SECOND_MS;
    let mut out = String::with_capacity(25);
    // Writing to a String cannot fail.
    let _ = write_iso_date(&mut out, year, month, day);
    let _ = fmt::Write::write_fmt(&mut out, format_args!("T{:02}:{:02}:{:02}{BANGKOK_OFFSET}", seconds / 3_600, seconds / 60 % 60, seconds % 60));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// UTC milliseconds of a Bangkok local time.
    fn bkk(year: i32, month: u8, day: u8, hour: u64, minute: u64) -> u64 {
        bangkok_midnight_ms(days_from_civil(year, month, day)) + hour * HOUR_MS + minute * MINUTE_MS
    }

    #[test]
    fn the_epoch_and_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        // 2026-01-01T00:00Z is 1,767,225,600 s after the epoch.
        assert_eq!(days_from_civil(2026, 1, 1), 1_767_225_600 / 86_400);
        assert_eq!(days_from_civil(9999, 12, 31), 2_932_896);
        assert_eq!(days_from_civil(1, 1, 1), -719_162);
        assert_eq!(civil_from_days(days_from_civil(1999, 12, 31)), (1999, 12, 31));
        assert_eq!(civil_from_days(MIN_DAYS), (i32::MIN, 1, 1));
        assert_eq!(civil_from_days(MAX_DAYS), (i32::MAX, 12, 31));
    }

    #[test]
    #[should_panic(expected = "does not fit an i32")]
    fn days_beyond_the_last_year_panic() {
        civil_from_days(MAX_DAYS + 1);
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000) && is_leap_year(2024) && is_leap_year(1600) && is_leap_year(0) && is_leap_year(-4));
        assert!(!is_leap_year(1900) && !is_leap_year(2100) && !is_leap_year(2023) && !is_leap_year(-1));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert!(is_date(2000, 2, 29) && !is_date(1900, 2, 29) && !is_date(2026, 4, 31) && !is_date(2026, 13, 1) && !is_date(2026, 1, 0));
        // 1 March follows 29 February in a leap year, 28 February otherwise.
        assert_eq!(days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28), 2);
        assert_eq!(days_from_civil(2023, 3, 1) - days_from_civil(2023, 2, 28), 1);
        // A leap year has 366 days, a 400-year era 146,097.
        assert_eq!(days_from_civil(2025, 1, 1) - days_from_civil(2024, 1, 1), 366);
        assert_eq!(days_from_civil(2400, 1, 1) - days_from_civil(2000, 1, 1), 146_097);
    }

    #[test]
    fn round_trips_day_by_day() {
        // Every day from 1600-01-01 to 2500-12-31, against a walk of the calendar.
        let (mut y, mut m, mut d) = (1600, 1, 1);
        let first = days_from_civil(1600, 1, 1);
        for days in first..=days_from_civil(2500, 12, 31) {
            assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
            assert_eq!(days_from_civil(y, m, d), days);
            assert_eq!(weekday(days), (weekday(first) + (days - first) as usize) % 7);
            d += 1;
            if d > days_in_month(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    proptest! {
        #[test]
        fn round_trips_anywhere(days in MIN_DAYS..=MAX_DAYS) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!(is_date(y, m, d));
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn bangkok_days_begin_at_bangkok_midnight(ms in 0u64..=253_402_300_799_999) {
            let days = bangkok_days(ms);
            prop_assert!(bangkok_midnight_ms(days as i64) <= ms);
            prop_assert!(ms < bangkok_midnight_ms(days as i64 + 1));
            prop_assert_eq!(bangkok_ms_of_day(ms), ms + BANGKOK_OFFSET_MS - days * DAY_MS);
        }
    }

    #[test]
    fn weekdays() {
        assert_eq!(weekday(0), 3, "1970-01-01 was a Thursday");
        assert_eq!(weekday(-1), 2, "a Wednesday");
        assert_eq!(weekday(days_from_civil(2026, 4, 13)), 0, "a Monday");
        assert_eq!(weekday(days_from_civil(2026, 5, 31)), 6, "a Sunday");
    }

    #[test]
    fn bangkok_midnight_boundaries() {
        // 2024-02-29 17:00 UTC is already 1 March in Bangkok; a millisecond earlier it is not.
        let midnight = days_from_civil(2024, 2, 29) as u64 * DAY_MS + 17 * HOUR_MS;
        assert_eq!(bangkok_date(midnight), (2024, 3, 1));
        assert_eq!(bangkok_date(midnight - 1), (2024, 2, 29));
        assert_eq!(bangkok_ms_of_day(midnight), 0);
        assert_eq!(bangkok_ms_of_day(midnight - 1), DAY_MS - 1);
        assert_eq!(bangkok_midnight_ms(days_from_civil(2024, 3, 1)), midnight);
        assert_eq!(bkk(2024, 3, 1, 0, 0), midnight);
        // The Unix epoch is 07:00 on 1 January 1970 in Bangkok; that day's midnight is clamped.
        assert_eq!(bangkok_date(0), (1970, 1, 1));
        assert_eq!(bangkok_ms_of_day(0), 7 * HOUR_MS);
        assert_eq!(bangkok_days(17 * HOUR_MS - 1), 0);
        assert_eq!(bangkok_days(17 * HOUR_MS), 1);
        assert_eq!(bangkok_midnight_ms(0), 0);
        assert_eq!(bangkok_midnight_ms(-5), 0);
        assert_eq!(bangkok_midnight_ms(1), 17 * HOUR_MS);
        // 09:00 Bangkok is 02:00 UTC.
        assert_eq!(bkk(2026, 3, 2, 9, 0) % DAY_MS, 2 * HOUR_MS);
        // The largest instant does not overflow.
        assert_eq!(bangkok_days(u64::MAX), u64::MAX / DAY_MS);
        let (year, _, _) = bangkok_date(u64::MAX);
        assert!(year > 500_000_000);
    }

    #[test]
    fn iso_text() {
        assert_eq!(split_iso_date("2026-04-13"), Some((2026, 4, 13)));
        assert_eq!(split_iso_date("0000-13-99"), Some((0, 13, 99)), "shape only: the caller checks the date");
        for bad in ["2026-4-13", "2026/04/13", "2026-04-1x", "", "12026-04-13", "２０２６-04-13", "+026-04-13", "2026-04-13 "] {
            assert_eq!(split_iso_date(bad), None, "{bad}");
        }
        let mut text = String::new();
        write_iso_date(&mut text, 990, 5, 7).unwrap();
        assert_eq!(text, "0990-05-07");
        assert_eq!(bangkok_iso_datetime(0), "1970-01-01T07:00:00+07:00");
        assert_eq!(bangkok_iso_datetime(bkk(2024, 3, 1, 0, 0) - 1), "2024-02-29T23:59:59+07:00");
        assert_eq!(bangkok_iso_datetime(bkk(2026, 12, 31, 13, 5) + 42_999), "2026-12-31T13:05:42+07:00");
    }
}
