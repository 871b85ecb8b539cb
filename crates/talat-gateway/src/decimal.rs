//! Decimals on the wire, exactly. Requests carry amounts and rates as JSON numbers or strings
//! (`1000`, `0.1`, `"0.1"`, Python's `1e-05`); they are read from the raw JSON token, never
//! through `f64`. Responses print units with the asset's scale, as JSON numbers (the official
//! examples) or strings (what one strict SDK needs) — a server setting (reference §1 item 9).

use serde::ser::{Serialize, Serializer};
use talat_core::money::format_units;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("not a number")]
    NotANumber,
    #[error("must not be negative")]
    Negative,
    #[error("has more decimals than allowed ({0})")]
    TooPrecise(u8),
    #[error("is too large")]
    TooLarge,
}

/// Longest decimal token read (digits, point, exponent); anything longer is refused unparsed.
const TOKEN_MAX_BYTES: usize = 64;
/// Exponents beyond this can only over- or underflow every scale we use.
const EXPONENT_MAX: i32 = 40;

/// Parses a JSON token (`12.5`, `"12.5"`, `1.25e1`) into units at `scale` decimals, exactly.
/// Zero is allowed here; callers decide whether it is valid.
pub fn parse_decimal(token: &str, scale: u8) -> Result<u128, DecimalError> {
    let text = token.trim();
    let text = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.trim(),
        None => text,
    };
    if text.is_empty() || text.len() > TOKEN_MAX_BYTES {
        return Err(if text.is_empty() { DecimalError::NotANumber } else { DecimalError::TooLarge });
    }
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => {
            let exp: i32 = text[at + 1..].parse().map_err(|_| DecimalError::NotANumber)?;
            (&text[..at], exp)
        }
        None => (text, 0),
    };
    if !(-EXPONENT_MAX..=EXPONENT_MAX).contains(&exponent) {
        return Err(if exponent > 0 { DecimalError::TooLarge } else { DecimalError::TooPrecise(scale) });
    }
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int_part.is_empty() && frac_part.is_empty()) || !int_part.bytes().all(|b| b.is_ascii_digit()) || !frac_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecimalError::NotANumber);
    }
    // value = digits × 10^(exponent − frac_len); in units: × 10^scale.
    let digits = int_part.bytes().chain(frac_part.bytes());
    let shift = exponent - frac_part.len() as i32 + scale as i32;
    let mut value: u128 = 0;
    let mut dropped_nonzero = false;
    let digit_count = int_part.len() + frac_part.len();
    // Digits that fall below the unit (shift < 0) must all be zero.
    let keep = if shift >= 0 { digit_count } else { digit_count.saturating_sub((-shift) as usize) };
    for (i, b) in digits.enumerate() {
        let d = (b - b'0') as u128;
        if i < keep {
            value = value.checked_mul(10).and_then(|v| v.checked_add(d)).ok_or(DecimalError::TooLarge)?;
        } else if d != 0 {
            dropped_nonzero = true;
        }
    }
    if dropped_nonzero {
        return Err(DecimalError::TooPrecise(scale));
    }
    if shift > 0 {
        for _ in 0..shift {
            value = value.checked_mul(10).ok_or(DecimalError::TooLarge)?;
        }
    }
    if negative && value != 0 {
        return Err(DecimalError::Negative);
    }
    Ok(value)
}

/// Parses into a `u64` no larger than `max` (the engine's bound for this kind of value).
pub fn parse_bounded(token: &str, scale: u8, max: u64) -> Result<u64, DecimalError> {
    let value = parse_decimal(token, scale)?;
    if value > max as u128 {
        return Err(DecimalError::TooLarge);
    }
    Ok(value as u64)
}

/// How decimals are printed in responses that the reference shows as numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DecimalStyle {
    #[default]
    Numbers,
    Strings,
}

/// A decimal value to serialise: `units` at `scale`, printed exactly, trailing zeros trimmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dec {
    pub units: u128,
    pub scale: u8,
    pub as_string: bool,
}

impl Dec {
    pub fn num(units: impl Into<u128>, scale: u8) -> Dec {
        Dec { units: units.into(), scale, as_string: false }
    }
    pub fn str(units: impl Into<u128>, scale: u8) -> Dec {
        Dec { units: units.into(), scale, as_string: true }
    }
    pub fn styled(units: impl Into<u128>, scale: u8, style: DecimalStyle) -> Dec {
        Dec { units: units.into(), scale, as_string: style == DecimalStyle::Strings }
    }
    pub fn text(&self) -> String {
        format_units(self.units, self.scale)
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.text();
        if self.as_string {
            serializer.serialize_str(&text)
        } else {
            // An exact number token, not an f64 round trip.
            let raw = serde_json::value::RawValue::from_string(text).map_err(serde::ser::Error::custom)?;
            raw.serialize(serializer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_clients_send() {
        assert_eq!(parse_decimal("1000", 2), Ok(100_000));
        assert_eq!(parse_decimal("0.1", 8), Ok(10_000_000));
        assert_eq!(parse_decimal("\"0.1\"", 8), Ok(10_000_000));
        assert_eq!(parse_decimal("1e-05", 8), Ok(1_000));
        assert_eq!(parse_decimal("1.5E3", 2), Ok(150_000));
        assert_eq!(parse_decimal("1000.00", 2), Ok(100_000));
        assert_eq!(parse_decimal("0", 2), Ok(0));
        assert_eq!(parse_decimal("-0", 2), Ok(0));
    }

    #[test]
    fn refuses_what_is_not_an_exact_non_negative_amount() {
        assert_eq!(parse_decimal("-1", 2), Err(DecimalError::Negative));
        assert_eq!(parse_decimal("0.001", 2), Err(DecimalError::TooPrecise(2)));
        assert_eq!(parse_decimal("1e-9", 8), Err(DecimalError::TooPrecise(8)));
        assert_eq!(parse_decimal("abc", 2), Err(DecimalError::NotANumber));
        assert_eq!(parse_decimal("", 2), Err(DecimalError::NotANumber));
        assert_eq!(parse_decimal("true", 2), Err(DecimalError::NotANumber));
        assert_eq!(parse_decimal("null", 2), Err(DecimalError::NotANumber));
        assert_eq!(parse_decimal("1e400", 2), Err(DecimalError::TooLarge));
        assert_eq!(parse_decimal(&"9".repeat(60), 2), Err(DecimalError::TooLarge));
        assert_eq!(parse_bounded("1e30", 2, u64::MAX), Err(DecimalError::TooLarge));
        assert_eq!(parse_decimal("1.2.3", 2), Err(DecimalError::NotANumber));
        assert_eq!(parse_decimal(".", 2), Err(DecimalError::NotANumber));
    }

    #[test]
    fn prints_numbers_or_strings_exactly() {
        let n = serde_json::to_string(&Dec::num(18_837_927_u64, 2)).unwrap();
        assert_eq!(n, "188379.27");
        let s = serde_json::to_string(&Dec::str(10_000_000u64, 8)).unwrap();
        assert_eq!(s, "\"0.1\"");
        let big = serde_json::to_string(&Dec::num(u64::MAX, 8)).unwrap();
        assert_eq!(big, "184467440737.09551615");
    }
}
