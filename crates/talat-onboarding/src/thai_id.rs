//! The Thai 13-digit national identification number (เลขประจำตัวประชาชน).
//!
//! Layout: d1 person type, d2–d3 province, d4–d5 district, d6–d12 serial, d13 check digit.
//! Printed cards show `1-2345-67890-12-3`; we accept dashes and spaces and store 13 digits.
//!
//! **Check digit**: `s = Σ_{i=1..12} d_i·(14−i)` (weights 13 down to 2) and
//! `d13 = (11 − s mod 11) mod 10`.
//!
//! **What the check digit catches, precisely.** Because 11 is prime, changing one digit `d_i` by
//! `δ` (0 < |δ| ≤ 9) changes `s mod 11` exactly when `11 ∤ w_i`. The weights are 13…2, and
//! one of them is 11 (position 3, the second province digit), so:
//! - a change to **digit 3 is never detected** (its weight is ≡ 0 mod 11);
//! - a change to digits 1, 2 or 4–12 changes `s mod 11` to another remainder, and the map from
//!   remainder to check digit is one-to-one except that remainders 0 and 10 both give 1, so the
//!   change is detected **unless the old and new remainders are 0 and 10**;
//! - a change to **digit 13** (the check digit itself) is always detected.
//!
//! The property tests below check exactly these three statements. The check digit is a typo
//! filter, not proof that a person exists: that is DOPA's job (see [`crate::laser`]).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Number of digits in a national ID.
pub const DIGITS: usize = 13;

/// Longest raw input looked at. Printed forms add at most 4 dashes and a few spaces; anything
/// much longer is not an ID, and bounding it keeps error handling cheap for hostile input.
pub const INPUT_MAX_BYTES: usize = 64;

/// A national ID whose digits passed the format and check-digit rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NationalId {
    digits: [u8; DIGITS],
}

/// Why a national ID was refused. Messages are shown to customers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("a Thai national ID must be 13 digits; this one has {digits}")]
    Length { digits: usize },
    #[error("a Thai national ID must be 13 digits; it contains a non-digit character '{found}'")]
    NonDigit { found: char },
    #[error("a Thai national ID cannot start with 9 (the first digit is a person type, 0 to 8)")]
    PersonType,
    #[error("the check digit (the last digit) is wrong (expected {expected}); please check the number for typing mistakes")]
    CheckDigit { expected: u8 },
}

/// Parses a national ID, accepting dashes and spaces between digits.
pub fn parse_national_id(input: &str) -> Result<NationalId, IdError> {
    if input.len() > INPUT_MAX_BYTES {
        // Counting digits of a long input still gives the customer a useful message.
        let digits = input.bytes().take(INPUT_MAX_BYTES).filter(u8::is_ascii_digit).count();
        return Err(IdError::Length { digits: digits.max(DIGITS + 1) });
    }
    let mut digits = [0u8; DIGITS];
    let mut count: usize = 0;
    for ch in input.chars() {
        if ch == '-' || ch == ' ' {
            continue;
        }
        if !ch.is_ascii_digit() {
            // Thai digits (๑๒๓) and full-width digits are refused on purpose: the stored form
            // must be ASCII, and silently converting would hide a keyboard-layout mistake.
            return Err(IdError::NonDigit { found: ch });
        }
        if count < DIGITS {
            digits[count] = ch as u8 - b'0';
        }
        count += 1;
    }
    if count != DIGITS {
        return Err(IdError::Length { digits: count });
    }
    // d1 is the person-type category assigned by the civil registry. Categories 0–8 exist
    // (Thai nationals registered at birth, those registered under older rules, and non-Thai
    // residents); 9 is not assigned, so a leading 9 is a typing mistake.
    if digits[0] > 8 {
        return Err(IdError::PersonType);
    }
    let expected = check_digit(&digits[..DIGITS - 1]);
    if digits[DIGITS - 1] != expected {
        return Err(IdError::CheckDigit { expected });
    }
    Ok(NationalId { digits })
}

/// The check digit for the first 12 digits (each 0–9).
pub fn check_digit(first_twelve: &[u8]) -> u8 {
    assert_eq!(first_twelve.len(), DIGITS - 1);
    let s = weighted_sum(first_twelve);
    ((11 - s % 11) % 10) as u8
}

/// `Σ d_i·(14−i)` for i = 1..=12: at most 9·(13+…+2) = 810, so `u32` never overflows.
fn weighted_sum(first_twelve: &[u8]) -> u32 {
    assert_eq!(first_twelve.len(), DIGITS - 1);
    let mut s: u32 = 0;
    for (index, &d) in first_twelve.iter().enumerate() {
        assert!(d <= 9);
        let weight = (DIGITS - index) as u32; // index 0 → 13, index 11 → 2
        s += u32::from(d) * weight;
    }
    s
}

impl NationalId {
    /// The 13 digits, without separators.
    pub fn as_digits(&self) -> String {
        self.digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The person-type category (first digit, 0–8).
    pub fn person_type(&self) -> u8 {
        self.digits[0]
    }

    /// The printed form `1-2345-67890-12-3`, for display to the card holder.
    pub fn printed(&self) -> String {
        let s = self.as_digits();
        format!("{}-{}-{}-{}-{}", &s[0..1], &s[1..5], &s[5..10], &s[10..12], &s[12..13])
    }
}

impl fmt::Display for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_digits())
    }
}

impl TryFrom<String> for NationalId {
    type Error = IdError;
    fn try_from(value: String) -> Result<NationalId, IdError> {
        parse_national_id(&value)
    }
}

impl From<NationalId> for String {
    fn from(value: NationalId) -> String {
        value.as_digits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reference_vectors() {
        // exchange-domain.md §1.1, all synthetic.
        assert!(parse_national_id("1101700123456").is_ok());
        assert!(parse_national_id("3509900045670").is_ok());
        assert_eq!(parse_national_id("1101700123453"), Err(IdError::CheckDigit { expected: 6 }));
        // Digits 8–9 swapped: s = 149, s mod 11 = 6, expected d13 = 5.
        assert_eq!(parse_national_id("1101700213456"), Err(IdError::CheckDigit { expected: 5 }));
        assert!(parse_national_id("3100600445635").is_ok());
        assert!(parse_national_id("1112034563562").is_ok());
        // Seen in PromptPay library tests, yet invalid: it would need a 9.
        assert_eq!(parse_national_id("1111111111111"), Err(IdError::CheckDigit { expected: 9 }));
    }

    #[test]
    fn weighted_sums_match_the_reference_table() {
        let digits = |s: &str| s.bytes().take(12).map(|b| b - b'0').collect::<Vec<u8>>();
        assert_eq!(weighted_sum(&digits("1101700123456")), 148);
        assert_eq!(weighted_sum(&digits("3509900045670")), 342);
        assert_eq!(weighted_sum(&digits("1101700213456")), 149);
    }

    #[test]
    fn separators_and_errors() {
        let id = parse_national_id("1-1017-00123-45-6").unwrap();
        assert_eq!(id.as_digits(), "1101700123456");
        assert_eq!(id.printed(), "1-1017-00123-45-6");
        assert_eq!(parse_national_id(" 1 1017 00123 45 6 ").unwrap(), id);
        assert_eq!(parse_national_id("110170012345"), Err(IdError::Length { digits: 12 }));
        assert_eq!(parse_national_id(""), Err(IdError::Length { digits: 0 }));
        assert_eq!(parse_national_id("11017001234567"), Err(IdError::Length { digits: 14 }));
        assert_eq!(parse_national_id("110170012345x"), Err(IdError::NonDigit { found: 'x' }));
        assert_eq!(parse_national_id("๑101700123456"), Err(IdError::NonDigit { found: '๑' }));
        assert!(matches!(parse_national_id(&"1".repeat(1000)), Err(IdError::Length { .. })));
        // 9 is not a person type, whatever the check digit says.
        let twelve = [9u8, 1, 0, 1, 7, 0, 0, 1, 2, 3, 4, 5];
        let d13 = check_digit(&twelve);
        let s: String = twelve.iter().chain([d13].iter()).map(|d| char::from(b'0' + d)).collect();
        assert_eq!(parse_national_id(&s), Err(IdError::PersonType));
    }

    #[test]
    fn known_blind_spots_of_the_check_digit() {
        // Digit 3 has weight 11: any value passes.
        assert!(parse_national_id("1101700123456").is_ok());
        assert!(parse_national_id("1151700123456").is_ok());
        // Remainders 0 and 10 share check digit 1: 1→6 in digit 1 moves s mod 11 from 0 to 10.
        assert!(parse_national_id("1101700123201").is_ok());
        assert!(parse_national_id("6101700123201").is_ok());
    }

    #[test]
    fn serde_round_trip() {
        let id = parse_national_id("3100600445635").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"3100600445635\"");
        assert_eq!(serde_json::from_str::<NationalId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<NationalId>("\"1111111111111\"").is_err());
    }

    fn to_string(digits: &[u8]) -> String {
        digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    fn valid_id() -> impl Strategy<Value = [u8; DIGITS]> {
        (0u8..=8, proptest::array::uniform11(0u8..=9)).prop_map(|(first, rest)| {
            let mut digits = [0u8; DIGITS];
            digits[0] = first;
            digits[1..12].copy_from_slice(&rest);
            digits[12] = check_digit(&digits[..12]);
            digits
        })
    }

    proptest! {
        #[test]
        fn any_twelve_digits_with_their_check_digit_parse(digits in valid_id()) {
            let id = parse_national_id(&to_string(&digits)).unwrap();
            prop_assert_eq!(id.as_digits(), to_string(&digits));
        }

        #[test]
        fn single_digit_changes(digits in valid_id(), position in 0usize..DIGITS, delta in 1u8..=9) {
            let mut changed = digits;
            changed[position] = (digits[position] + delta) % 10;
            let result = parse_national_id(&to_string(&changed));
            if position == 0 && changed[0] == 9 {
                prop_assert_eq!(result, Err(IdError::PersonType));
            } else if position == 2 {
                // Weight 11 ≡ 0 (mod 11): the second province digit is not protected.
                prop_assert!(result.is_ok());
            } else if position == DIGITS - 1 {
                prop_assert!(result.is_err());
            } else {
                let old = weighted_sum(&digits[..12]) % 11;
                let new = weighted_sum(&changed[..12]) % 11;
                prop_assert_ne!(old, new);
                let collides = (old == 0 && new == 10) || (old == 10 && new == 0);
                prop_assert_eq!(result.is_ok(), collides);
            }
        }
    }
}
