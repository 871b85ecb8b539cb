//! Amounts on an EVM chain: 256-bit integers in the token's smallest unit (wei for ETH, 18
//! decimals), read from the node's hex quantities; the engine books the asset with fewer
//! decimals (ETH at 8). Conversions are exact integer arithmetic: a deposit credits the whole
//! engine units it holds (the remainder below one unit is recorded with the raw amount, never
//! credited), a withdrawal sends exactly its engine units' worth. Anything larger than the
//! engine can book is refused, never wrapped or saturated.

/// Most decimals a network may declare: 10^38 is the largest power of ten in a u128.
pub const MAX_DECIMALS: u8 = 38;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("not a hex quantity: {0:?}")]
    Malformed(String),
    /// Above what 128 bits hold: no engine amount is that large in any supported unit.
    #[error("the amount {0} does not fit the exchange's books")]
    TooLarge(String),
}

/// A hex quantity (`0x1bc16d674ec80000`) or a 32-byte ABI word, as an integer; `TooLarge`
/// when it needs more than 128 bits (the text is kept for the record).
pub fn parse_quantity(text: &str) -> Result<u128, AmountError> {
    let digits = text.strip_prefix("0x").ok_or_else(|| AmountError::Malformed(text.into()))?;
    if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AmountError::Malformed(text.into()));
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 32 {
        return Err(AmountError::TooLarge(text.into()));
    }
    if significant.is_empty() {
        return Ok(0);
    }
    u128::from_str_radix(significant, 16).map_err(|_| AmountError::Malformed(text.into()))
}

/// A hex quantity that must fit 64 bits (block numbers, nonces, gas, fees per gas).
pub fn parse_u64(text: &str) -> Result<u64, AmountError> {
    let value = parse_quantity(text)?;
    u64::try_from(value).map_err(|_| AmountError::TooLarge(text.into()))
}

fn pow10(exponent: u8) -> u128 {
    assert!(exponent <= MAX_DECIMALS, "10^{exponent} does not fit 128 bits");
    10u128.pow(u32::from(exponent))
}

/// An on-chain amount (`chain_decimals`) as whole engine units (`engine_decimals`) and the
/// raw remainder those units leave (what is below one engine unit: recorded, not credited).
pub fn raw_to_units(raw: u128, chain_decimals: u8, engine_decimals: u8) -> Result<(u64, u128), AmountError> {
    let (units, remainder) = if chain_decimals >= engine_decimals {
        let scale = pow10(chain_decimals - engine_decimals);
        (raw / scale, raw % scale)
    } else {
        let scale = pow10(engine_decimals - chain_decimals);
        (raw.checked_mul(scale).ok_or_else(|| AmountError::TooLarge(raw.to_string()))?, 0)
    };
    let units = u64::try_from(units).map_err(|_| AmountError::TooLarge(raw.to_string()))?;
    Ok((units, remainder))
}

/// Engine units as the on-chain amount; `None` when they are not a whole number of the
/// chain's units (an engine with more decimals than the token) or do not fit.
pub fn units_to_raw(units: u64, chain_decimals: u8, engine_decimals: u8) -> Option<u128> {
    if chain_decimals >= engine_decimals {
        u128::from(units).checked_mul(pow10(chain_decimals - engine_decimals))
    } else {
        let scale = pow10(engine_decimals - chain_decimals);
        (u128::from(units) % scale == 0).then(|| u128::from(units) / scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_exactly_and_refuse_what_does_not_fit() {
        assert_eq!(parse_quantity("0x0"), Ok(0));
        assert_eq!(parse_quantity("0x1bc16d674ec80000"), Ok(2_000_000_000_000_000_000), "2 ETH in wei");
        let word = format!("0x{}{}", "0".repeat(48), "de0b6b3a7640000");
        assert_eq!(parse_quantity(&word[..word.len()]), Ok(1_000_000_000_000_000_000), "a 32-byte ABI word of 1e18");
        assert_eq!(parse_quantity(&format!("0x{}", "f".repeat(32))), Ok(u128::MAX));
        assert!(matches!(parse_quantity(&format!("0x1{}", "0".repeat(32))), Err(AmountError::TooLarge(_))), "2^128");
        assert!(matches!(parse_quantity(&format!("0x{}", "f".repeat(64))), Err(AmountError::TooLarge(_))), "2^256 - 1");
        assert!(matches!(parse_quantity("12"), Err(AmountError::Malformed(_))));
        assert!(matches!(parse_quantity("0x"), Err(AmountError::Malformed(_))));
        assert!(matches!(parse_quantity(&format!("0x{}", "0".repeat(65))), Err(AmountError::Malformed(_))), "more than 256 bits of digits");
        assert_eq!(parse_u64("0x10"), Ok(16));
        assert!(parse_u64("0x10000000000000000").is_err());
    }

    #[test]
    fn wei_convert_to_whole_engine_units_with_the_remainder_kept() {
        // 1.5 ETH and one wei: 150,000,000 units of 10^-8, one wei left over.
        assert_eq!(raw_to_units(1_500_000_000_000_000_001, 18, 8), Ok((150_000_000, 1)));
        assert_eq!(raw_to_units(9_999_999_999, 18, 8), Ok((0, 9_999_999_999)), "less than one engine unit credits nothing");
        assert_eq!(raw_to_units(u128::from(u64::MAX) * 10_000_000_000, 18, 8), Ok((u64::MAX, 0)));
        assert!(matches!(raw_to_units((u128::from(u64::MAX) + 1) * 10_000_000_000, 18, 8), Err(AmountError::TooLarge(_))), "one unit too many");
        // A token with fewer decimals than the engine books it with: scaled up, exact.
        assert_eq!(raw_to_units(1_234_567, 6, 8), Ok((123_456_700, 0)));
        assert!(matches!(raw_to_units(u128::MAX, 6, 8), Err(AmountError::TooLarge(_))));
    }

    #[test]
    fn engine_units_convert_back_exactly() {
        assert_eq!(units_to_raw(150_000_000, 18, 8), Some(1_500_000_000_000_000_000));
        assert_eq!(units_to_raw(u64::MAX, 18, 8), Some(u128::from(u64::MAX) * 10_000_000_000));
        assert_eq!(units_to_raw(123_456_700, 6, 8), Some(1_234_567));
        assert_eq!(units_to_raw(123_456_701, 6, 8), None, "not a whole number of the token's units");
        for units in [0, 1, 99, 100_000_000, u64::MAX] {
            let raw = units_to_raw(units, 18, 8).unwrap();
            assert_eq!(raw_to_units(raw, 18, 8), Ok((units, 0)));
        }
    }
}
