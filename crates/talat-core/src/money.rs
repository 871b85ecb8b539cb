//! Integer fixed-point money. No float ever touches an amount.
//!
//! * [`Amount`]: a quantity of one asset in that asset's smallest unit (satang for THB at scale 2,
//!   satoshi for BTC at scale 8).
//! * [`Qty`]: an order quantity, in the base asset's smallest unit.
//! * [`Price`]: quote per one whole base unit, in units of `10^-price_scale` of the quote asset.
//!
//! The quote value of `qty` at `price` is `price * qty / notional_divisor` quote units, where
//! `notional_divisor = 10^(price_scale + base_scale - quote_scale)`. Products are computed in
//! `u128`; inputs are bounded ([`MAX_PRICE`], [`MAX_QTY`]) so that even the running sum of an
//! order's fills cannot overflow.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Amount(pub u64);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Qty(pub u64);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Price(pub u64);

/// Largest accepted price in price units (2^50 ≈ 1.1e15: 11 trillion THB at scale 2).
pub const MAX_PRICE: u64 = 1 << 50;
/// Largest accepted order quantity in base units (2^60 ≈ 1.15e18).
pub const MAX_QTY: u64 = 1 << 60;
/// Largest single ledger movement accepted from outside (deposit, withdrawal, compensation).
pub const MAX_AMOUNT: u64 = 1 << 62;
/// Fee rates are parts per million of the amount received: 2_500 ppm = 0.25 %.
pub const FEE_PPM_ONE: u64 = 1_000_000;
/// Band widths are basis points of the reference price: 2_000 bps = 20 %.
pub const BPS_ONE: u64 = 10_000;

/// `price * qty` exactly, in units of `1 / notional_divisor` of a quote unit.
#[inline]
pub fn notional_scaled(price: Price, qty: Qty) -> u128 {
    debug_assert!(price.0 <= MAX_PRICE && qty.0 <= MAX_QTY);
    price.0 as u128 * qty.0 as u128
}

/// Ceiling division. Most values fit in 64 bits, where division is a native instruction rather
/// than a 128-bit library call several times slower.
#[inline]
pub fn div_ceil_u128(n: u128, d: u128) -> u128 {
    debug_assert!(d > 0);
    if n <= u64::MAX as u128 && d <= u64::MAX as u128 {
        (n as u64).div_ceil(d as u64) as u128
    } else {
        n.div_ceil(d)
    }
}

/// Floor division with the same 64-bit fast path as [`div_ceil_u128`].
#[inline]
pub fn div_floor_u128(n: u128, d: u128) -> u128 {
    debug_assert!(d > 0);
    if n <= u64::MAX as u128 && d <= u64::MAX as u128 {
        ((n as u64) / (d as u64)) as u128
    } else {
        n / d
    }
}

/// `10^exp` for the small exponents market scales produce; `None` past `u128`'s range.
pub fn pow10(exp: u32) -> Option<u128> {
    10u128.checked_pow(exp)
}

impl Amount {
    pub const ZERO: Amount = Amount(0);
    #[inline]
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }
    #[inline]
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }
}

/// A precomputed test of divisibility by a fixed step (Granlund–Montgomery, Hacker's Delight
/// §10-17): one multiplication and a rotate instead of a division, because every order checks
/// its price and quantity against the market's grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridStep {
    step: u64,
    /// Multiplicative inverse of the step's odd part modulo 2^64.
    inverse: u64,
    /// Trailing zero bits of the step.
    shift: u32,
    /// Largest quotient: `u64::MAX / step`.
    max_quotient: u64,
}

impl GridStep {
    pub fn new(step: u64) -> GridStep {
        assert!(step > 0, "a grid step is positive");
        let shift = step.trailing_zeros();
        let odd = step >> shift;
        // Newton's iteration doubles the correct low bits each round: 3 → 6 → 12 → 24 → 48 → 96.
        let mut inverse = odd;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inverse)));
        }
        debug_assert_eq!(odd.wrapping_mul(inverse), 1);
        GridStep { step, inverse, shift, max_quotient: u64::MAX / step }
    }

    pub fn step(&self) -> u64 {
        self.step
    }

    /// Whether `value` is a multiple of the step.
    #[inline]
    pub fn divides(&self, value: u64) -> bool {
        self.exact_quotient(value).is_some()
    }

    /// `value / step` if `value` is a multiple of the step, without dividing: for a multiple,
    /// multiplying by the odd part's inverse and rotating out the power of two is the quotient;
    /// for anything else the result lands above the largest possible quotient.
    #[inline]
    pub fn exact_quotient(&self, value: u64) -> Option<u64> {
        let q = value.wrapping_mul(self.inverse).rotate_right(self.shift);
        (q <= self.max_quotient).then_some(q)
    }
}

/// Formats `units` of an asset with `scale` decimals, trailing zeros trimmed (Bitkub style:
/// `1000`, `0.1`, never `1000.00`). One allocation: it runs for every amount in every answer.
pub fn format_units(units: u128, scale: u8) -> String {
    let mut out = String::with_capacity(24);
    write_units(&mut out, units, scale);
    out
}

/// [`format_units`] appended to `out`.
pub fn write_units(out: &mut String, units: u128, scale: u8) {
    // u128::MAX has 39 digits; a scale pads to at most 256 + 1.
    let mut digits = [b'0'; 40 + u8::MAX as usize];
    // Least significant digit first. u64 division is several times cheaper than u128's, and
    // every real balance fits in a u64.
    let mut len = 0usize;
    let mut rest = units;
    while rest > u64::MAX as u128 {
        digits[len] = b'0' + (rest % 10) as u8;
        rest /= 10;
        len += 1;
    }
    let mut small = rest as u64;
    loop {
        digits[len] = b'0' + (small % 10) as u8;
        small /= 10;
        len += 1;
        if small == 0 {
            break;
        }
    }
    let scale = scale as usize;
    // At least one integer digit: `digits` is pre-filled with '0' for the padding.
    let len = len.max(scale + 1);
    let frac_zeros = digits[..scale].iter().take_while(|&&d| d == b'0').count();
    out.reserve(len + 1);
    for &d in digits[scale..len].iter().rev() {
        out.push(d as char);
    }
    if frac_zeros < scale {
        out.push('.');
        for &d in digits[frac_zeros..scale].iter().rev() {
            out.push(d as char);
        }
    }
}

/// Parses a non-negative decimal string into units at `scale` decimals, exactly. Rejects signs,
/// exponents, more decimals than `scale`, empty strings and overflow.
pub fn parse_units(text: &str, scale: u8) -> Option<u128> {
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit()) || !frac_part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if text.contains('.') && frac_part.is_empty() {
        return None;
    }
    if frac_part.len() > scale as usize {
        return None;
    }
    let mut value: u128 = 0;
    for b in int_part.bytes() {
        value = value.checked_mul(10)?.checked_add((b - b'0') as u128)?;
    }
    for i in 0..scale as usize {
        let digit = frac_part.as_bytes().get(i).map_or(0, |b| (b - b'0') as u128);
        value = value.checked_mul(10)?.checked_add(digit)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisions_agree_with_the_128_bit_result_on_both_paths() {
        for (n, d) in [(0u128, 7u128), (10, 3), (9, 3), (u64::MAX as u128, 10), (u64::MAX as u128 + 1, 10), (1u128 << 100, 3), (5, 1 << 70)] {
            assert_eq!(div_ceil_u128(n, d), n.div_ceil(d));
            assert_eq!(div_floor_u128(n, d), n / d);
        }
    }

    #[test]
    fn grid_divisibility_agrees_with_the_remainder() {
        let steps = [1u64, 2, 3, 5, 7, 10, 12, 100, 1_000, 1_000_000, 48, 1 << 40, 3 << 20, 999_999_937, u64::MAX];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for &step in &steps {
            let grid = GridStep::new(step);
            for k in 0..2_000u64 {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                for value in [k, x, x - x % step, step.wrapping_mul(k), (x - x % step).wrapping_add(1), u64::MAX - k] {
                    assert_eq!(grid.divides(value), value % step == 0, "step {step} value {value}");
                    assert_eq!(grid.exact_quotient(value), (value % step == 0).then(|| value / step), "step {step} value {value}");
                }
            }
        }
    }

    #[test]
    fn format_trims_trailing_zeros() {
        assert_eq!(format_units(100_000, 2), "1000");
        assert_eq!(format_units(10_000_000, 8), "0.1");
        assert_eq!(format_units(5, 2), "0.05");
        assert_eq!(format_units(0, 8), "0");
        assert_eq!(format_units(123, 0), "123");
        assert_eq!(format_units(120, 0), "120");
        assert_eq!(format_units(1_000_000_010, 2), "10000000.1");
        assert_eq!(format_units(u128::MAX, 0), u128::MAX.to_string());
        assert_eq!(format_units(u128::MAX, 38), "3.40282366920938463463374607431768211455");
        assert_eq!(format_units(1, 30), "0.000000000000000000000000000001");
        assert_eq!(format_units(u64::MAX as u128 + 1, 1), "1844674407370955161.6");
        let mut out = String::from("x=");
        write_units(&mut out, 250, 2);
        assert_eq!(out, "x=2.5");
    }

    #[test]
    fn parse_is_exact_and_strict() {
        assert_eq!(parse_units("1000", 2), Some(100_000));
        assert_eq!(parse_units("0.1", 8), Some(10_000_000));
        assert_eq!(parse_units(".5", 2), Some(50));
        assert_eq!(parse_units("0.001", 2), None);
        assert_eq!(parse_units("-1", 2), None);
        assert_eq!(parse_units("1e5", 2), None);
        assert_eq!(parse_units("", 2), None);
        assert_eq!(parse_units("1.", 2), None);
        assert_eq!(parse_units("99999999999999999999999999999999999999999", 2), None);
    }

    /// The obvious formatting, kept as the oracle for the fast one.
    fn format_by_strings(units: u128, scale: u8) -> String {
        let scale = scale as usize;
        let padded = format!("{units:0>width$}", width = scale + 1);
        let (int_part, frac_part) = padded.split_at(padded.len() - scale);
        match frac_part.trim_end_matches('0') {
            "" => int_part.to_string(),
            frac => format!("{int_part}.{frac}"),
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_format_matches_the_oracle(units in proptest::prelude::any::<u128>(), small in 0u64..10_000_000, scale in 0u8..=40) {
            proptest::prop_assert_eq!(format_units(units, scale), format_by_strings(units, scale));
            proptest::prop_assert_eq!(format_units(small as u128, scale), format_by_strings(small as u128, scale));
        }
    }

    #[test]
    fn parse_format_round_trip() {
        for (units, scale) in [(0u128, 2u8), (1, 8), (123_456_789, 8), (10, 0), (100, 2)] {
            assert_eq!(parse_units(&format_units(units, scale), scale), Some(units));
        }
    }
}
