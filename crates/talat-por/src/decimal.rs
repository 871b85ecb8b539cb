//! Amounts in JSON as decimal strings ("123456789"), never numbers: JavaScript's numbers are
//! exact only below 2^53, and a browser verifier reads them with `BigInt`. Strict both ways:
//! ASCII digits only, no sign, no leading zeros (`0` itself aside), within the type's range. A
//! negative amount is refused by name (the "fake negative balance" attack).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

/// Parses one amount; the error says what is wrong with it.
pub fn parse<T: TryFrom<u128>>(text: &str) -> Result<T, String> {
    if text.starts_with('-') {
        return Err(format!("amount {text:?} is negative: balances and sums are never negative"));
    }
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (text.len() > 1 && text.starts_with('0')) {
        return Err(format!("amount {text:?} is not a decimal integer (digits only, no leading zeros)"));
    }
    let wide: u128 = text.parse().map_err(|_| format!("amount {text:?} is too large"))?;
    T::try_from(wide).map_err(|_| format!("amount {text:?} is too large"))
}

/// `#[serde(with = "decimal::one")]` for a `u64` or `u128` field.
pub mod one {
    use super::*;

    pub fn serialize<T: ToString, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, T: TryFrom<u128>, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(D::Error::custom)
    }
}

/// `#[serde(with = "decimal::many")]` for a `Vec<u64>` or `Vec<u128>` field.
pub mod many {
    use super::*;
    use serde::ser::SerializeSeq;

    pub fn serialize<T: ToString, S: Serializer>(values: &[T], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(values.len()))?;
        for value in values {
            seq.serialize_element(&value.to_string())?;
        }
        seq.end()
    }

    pub fn deserialize<'de, T: TryFrom<u128>, D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts.iter().map(|text| parse(text).map_err(D::Error::custom)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strictly() {
        assert_eq!(parse::<u64>("0"), Ok(0));
        assert_eq!(parse::<u64>("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse::<u128>("340282366920938463463374607431768211455"), Ok(u128::MAX));
        assert!(parse::<u64>("18446744073709551616").unwrap_err().contains("too large"));
        assert!(parse::<u128>("340282366920938463463374607431768211456").unwrap_err().contains("too large"));
        assert!(parse::<u64>("-1").unwrap_err().contains("negative"));
        for bad in ["", "01", "+1", "1.0", "1e3", " 1", "0x10"] {
            assert!(parse::<u64>(bad).unwrap_err().contains("not a decimal integer"), "{bad:?}");
        }
    }
}
