//! Passport details of foreign (and Thai) customers: number, issuing country, expiry.
//!
//! Only the shape is checked here. Passport numbers have no shared check digit outside the
//! machine-readable zone, and each state picks its own format, so we accept 6–9 Latin letters or
//! digits, which covers the ICAO 9303 document-number field (9 characters). Authenticity comes from
//! the NFC chip read or a human reviewer, not from this module.

use crate::date::Date;
use serde::{Deserialize, Serialize};

/// Fewest characters in a passport number we accept.
pub const NUMBER_MIN_CHARS: usize = 6;
/// Most characters: the ICAO 9303 document-number field is 9 wide.
pub const NUMBER_MAX_CHARS: usize = 9;
/// Longest raw input looked at (spaces around the number are allowed).
pub const INPUT_MAX_BYTES: usize = 64;

/// A passport whose details are well-formed and not expired on the day it was checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passport {
    /// Upper-case letters and digits, 6–9 of them.
    pub number: String,
    /// ISO 3166-1 alpha-3 code as printed in the passport (e.g. `THA`, `GBR`;
    /// Germany's one-letter machine-readable code `D` must be entered as `DEU`).
    pub issuing_country: String,
    /// Last day of validity.
    pub expires_on: Date,
}

/// Why passport details were refused. Messages are shown to customers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PassportError {
    #[error("a passport number has {NUMBER_MIN_CHARS} to {NUMBER_MAX_CHARS} letters or digits; this one has {chars}")]
    NumberLength { chars: usize },
    #[error("a passport number contains only letters A–Z and digits; '{found}' is not allowed")]
    NumberCharacter { found: char },
    #[error("the issuing country must be a three-letter code such as THA or GBR")]
    Country,
    #[error("the passport expired on {expires_on}; please use a valid passport")]
    Expired { expires_on: Date },
}

/// Checks passport details against `today` (a parameter so the check is reproducible).
///
/// A passport expiring today is refused: it would lapse before a reviewer could look at it.
pub fn parse_passport(number: &str, issuing_country: &str, expires_on: Date, today: Date) -> Result<Passport, PassportError> {
    let number = parse_number(number)?;
    let issuing_country = parse_country_code(issuing_country).ok_or(PassportError::Country)?;
    if expires_on <= today {
        return Err(PassportError::Expired { expires_on });
    }
    Ok(Passport { number, issuing_country, expires_on })
}

/// Upper-cases and checks a passport number. Inner spaces are refused: a number is printed
/// without them, and accepting them would let two spellings of one number exist.
pub fn parse_number(input: &str) -> Result<String, PassportError> {
    if input.len() > INPUT_MAX_BYTES {
        return Err(PassportError::NumberLength { chars: input.chars().count().min(INPUT_MAX_BYTES) });
    }
    let trimmed = input.trim();
    let mut number = String::with_capacity(NUMBER_MAX_CHARS);
    let mut chars: usize = 0;
    for ch in trimmed.chars() {
        if !ch.is_ascii_alphanumeric() {
            return Err(PassportError::NumberCharacter { found: ch });
        }
        chars += 1;
        number.push(ch.to_ascii_uppercase());
    }
    if !(NUMBER_MIN_CHARS..=NUMBER_MAX_CHARS).contains(&chars) {
        return Err(PassportError::NumberLength { chars });
    }
    Ok(number)
}

/// Three ASCII letters, upper-cased. Whether the code is assigned is not checked here: the
/// ICAO list includes codes outside ISO 3166 (e.g. `UNO`, `XXA`), and a reviewer sees the scan.
pub fn parse_country_code(input: &str) -> Option<String> {
    let trimmed = input.trim();
    if trimmed.len() != 3 || !trimmed.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    Some(trimmed.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse_iso(s).unwrap()
    }

    #[test]
    fn accepts_well_formed_passports() {
        let p = parse_passport(" aa1234567 ", "gbr", d("2030-01-01"), d("2026-11-01")).unwrap();
        assert_eq!(p.number, "AA1234567");
        assert_eq!(p.issuing_country, "GBR");
        assert!(parse_passport("X12345", "THA", d("2026-11-02"), d("2026-11-01")).is_ok());
    }

    #[test]
    fn refuses_bad_numbers() {
        let today = d("2026-11-01");
        let later = d("2030-01-01");
        assert_eq!(parse_passport("A1234", "THA", later, today), Err(PassportError::NumberLength { chars: 5 }));
        assert_eq!(parse_passport("A123456789", "THA", later, today), Err(PassportError::NumberLength { chars: 10 }));
        assert_eq!(parse_passport("AA 123456", "THA", later, today), Err(PassportError::NumberCharacter { found: ' ' }));
        assert_eq!(parse_passport("AA12345<", "THA", later, today), Err(PassportError::NumberCharacter { found: '<' }));
        assert!(parse_passport(&"A".repeat(500), "THA", later, today).is_err());
    }

    #[test]
    fn refuses_bad_country_and_expiry() {
        let today = d("2026-11-01");
        assert_eq!(parse_passport("AA123456", "TH", d("2030-01-01"), today), Err(PassportError::Country));
        assert_eq!(parse_passport("AA123456", "T1A", d("2030-01-01"), today), Err(PassportError::Country));
        assert_eq!(parse_passport("AA123456", "THA", today, today), Err(PassportError::Expired { expires_on: today }));
        let err = parse_passport("AA123456", "THA", d("2020-01-01"), today).unwrap_err();
        assert_eq!(err.to_string(), "the passport expired on 2020-01-01; please use a valid passport");
    }
}
