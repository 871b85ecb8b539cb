//! Fixed-point decimal text: whole units of `10^-scale` to and from the text the API speaks.
//! Written without trailing zeros, because the reference forbids them in `amt` and `rat`
//! (§10.4: `1000.00` is invalid, `1000` is fine).

/// Why a decimal could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalError {
    NotANumber,
    /// More (non-zero) fractional digits than the scale allows.
    TooPrecise,
    TooLarge,
}

/// Parses `123.45` into units of `10^-scale`; extra fractional digits are an error unless
/// they are zeros.
pub fn parse_units(text: &str, scale: u8) -> Result<u64, DecimalError> {
    parse(text, scale, false)
}

/// Like [`parse_units`], but drops fractional digits beyond the scale (for reference prices
/// read from a ticker).
pub fn parse_units_truncating(text: &str, scale: u8) -> Result<u64, DecimalError> {
    parse(text, scale, true)
}

fn parse(text: &str, scale: u8, truncate: bool) -> Result<u64, DecimalError> {
    let text = text.trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits_only(whole) || !digits_only(fraction) {
        return Err(DecimalError::NotANumber);
    }
    let (kept, dropped) = fraction.split_at(fraction.len().min(scale as usize));
    if !truncate && dropped.bytes().any(|b| b != b'0') {
        return Err(DecimalError::TooPrecise);
    }
    let mut units: u64 = 0;
    let padded = kept.bytes().chain(std::iter::repeat_n(b'0', scale as usize - kept.len()));
    for digit in whole.bytes().chain(padded) {
        units = units.checked_mul(10).and_then(|u| u.checked_add((digit - b'0') as u64)).ok_or(DecimalError::TooLarge)?;
    }
    Ok(units)
}

/// Appends `units` at `scale` as decimal text without trailing zeros (`1150, 2` → `11.5`).
pub fn write_units(out: &mut Vec<u8>, units: u64, scale: u8) {
    let mut buf = [0u8; 20];
    let digits = crate::sign::format_u64(units, &mut buf);
    let scale = scale as usize;
    if scale == 0 {
        out.extend_from_slice(digits);
        return;
    }
    if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(whole);
        write_fraction(out, fraction);
    } else {
        out.push(b'0');
        let mut fraction = [b'0'; 20];
        fraction[scale - digits.len()..scale].copy_from_slice(digits);
        write_fraction(out, &fraction[..scale]);
    }
}

fn write_fraction(out: &mut Vec<u8>, fraction: &[u8]) {
    let significant = fraction.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
    if significant > 0 {
        out.push(b'.');
        out.extend_from_slice(&fraction[..significant]);
    }
}

/// [`write_units`] into a new string (reports, not the hot path).
pub fn format_units(units: u64, scale: u8) -> String {
    let mut out = Vec::with_capacity(24);
    write_units(&mut out, units, scale);
    String::from_utf8(out).expect("digits and a point are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(parse_units("0.01", 2), Ok(1));
        assert_eq!(parse_units("3500000.5", 2), Ok(350_000_050));
        assert_eq!(parse_units("10", 2), Ok(1_000));
        assert_eq!(parse_units("10.0", 2), Ok(1_000));
        assert_eq!(parse_units("0.00000001", 8), Ok(1));
        assert_eq!(parse_units("1", 8), Ok(100_000_000));
        assert_eq!(parse_units(".5", 1), Ok(5));
        assert_eq!(parse_units("0.10000", 1), Ok(1));
    }

    #[test]
    fn refuses_what_is_not_a_decimal_on_the_scale() {
        assert_eq!(parse_units("0.001", 2), Err(DecimalError::TooPrecise));
        assert_eq!(parse_units("1e-8", 8), Err(DecimalError::NotANumber));
        assert_eq!(parse_units("-1", 2), Err(DecimalError::NotANumber));
        assert_eq!(parse_units("", 2), Err(DecimalError::NotANumber));
        assert_eq!(parse_units(".", 2), Err(DecimalError::NotANumber));
        assert_eq!(parse_units("99999999999999999999", 0), Err(DecimalError::TooLarge));
        assert_eq!(parse_units_truncating("37.339", 2), Ok(3_733));
    }

    #[test]
    fn formats_without_trailing_zeros() {
        assert_eq!(format_units(1_150, 2), "11.5");
        assert_eq!(format_units(1_100, 2), "11");
        assert_eq!(format_units(350_000_001, 2), "3500000.01");
        assert_eq!(format_units(1, 8), "0.00000001");
        assert_eq!(format_units(31_000, 8), "0.00031");
        assert_eq!(format_units(0, 2), "0");
        assert_eq!(format_units(7, 0), "7");
        assert_eq!(format_units(100, 2), "1");
        for (units, scale) in [(0u64, 3u8), (1, 1), (123_456_789, 4), (u64::MAX, 19), (u64::MAX, 8)] {
            assert_eq!(parse_units(&format_units(units, scale), scale), Ok(units));
        }
    }
}
