//! The laser code on the back of a Thai ID card, used with DOPA's "check by laser" service.
//!
//! Format: 2 Latin letters then 10 digits, sent to DOPA without separators (`JC3159691039`).
//! Cards print it with dashes (`JC3-1596910-39`), so dashes and spaces are accepted, and lower
//! case is upper-cased because people type what they see without the shift key.
//! Prefixes seen in the wild include JC, AA, BB and GC; any two letters are accepted because the
//! registry issues new series.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Letters at the start of a laser code.
pub const LETTERS: usize = 2;
/// Digits after the letters.
pub const DIGITS: usize = 10;
/// Longest raw input looked at.
pub const INPUT_MAX_BYTES: usize = 64;

/// A well-formed laser code: `[A-Z]{2}[0-9]{10}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LaserCode(String);

/// Why a laser code was refused. Messages are shown to customers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LaserError {
    #[error("the laser code is 2 letters followed by 10 digits (12 characters, e.g. JC3-1596910-39); this one has {chars}")]
    Length { chars: usize },
    #[error("the laser code must start with 2 letters A–Z; '{found}' is not a letter")]
    Letter { found: char },
    #[error("after its 2 letters the laser code has only digits; '{found}' is not a digit")]
    Digit { found: char },
}

/// Parses a laser code, accepting dashes, spaces and lower case.
pub fn parse_laser_code(input: &str) -> Result<LaserCode, LaserError> {
    if input.len() > INPUT_MAX_BYTES {
        return Err(LaserError::Length { chars: input.chars().count().min(INPUT_MAX_BYTES) });
    }
    let compact: Vec<char> = input.chars().filter(|&c| c != '-' && c != ' ').collect();
    if compact.len() != LETTERS + DIGITS {
        return Err(LaserError::Length { chars: compact.len() });
    }
    let mut code = String::with_capacity(LETTERS + DIGITS);
    for (index, &ch) in compact.iter().enumerate() {
        if index < LETTERS {
            if !ch.is_ascii_alphabetic() {
                return Err(LaserError::Letter { found: ch });
            }
            code.push(ch.to_ascii_uppercase());
        } else {
            if !ch.is_ascii_digit() {
                return Err(LaserError::Digit { found: ch });
            }
            code.push(ch);
        }
    }
    assert_eq!(code.len(), LETTERS + DIGITS);
    Ok(LaserCode(code))
}

impl LaserCode {
    /// The 12 characters as DOPA expects them.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LaserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for LaserCode {
    type Error = LaserError;
    fn try_from(value: String) -> Result<LaserCode, LaserError> {
        parse_laser_code(&value)
    }
}

impl From<LaserCode> for String {
    fn from(value: LaserCode) -> String {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_printed_and_typed_forms() {
        assert_eq!(parse_laser_code("JC3-1596910-39").unwrap().as_str(), "JC3159691039");
        assert_eq!(parse_laser_code("JC3159691039").unwrap().as_str(), "JC3159691039");
        assert_eq!(parse_laser_code("jc3 1596910 39").unwrap().as_str(), "JC3159691039");
        assert_eq!(parse_laser_code("gc0-0000000-01").unwrap().as_str(), "GC0000000001");
    }

    #[test]
    fn refuses_with_clear_errors() {
        assert_eq!(parse_laser_code("JC315969103"), Err(LaserError::Length { chars: 11 }));
        assert_eq!(parse_laser_code("J33159691039"), Err(LaserError::Letter { found: '3' }));
        assert_eq!(parse_laser_code("JCX159691039"), Err(LaserError::Digit { found: 'X' }));
        assert_eq!(parse_laser_code("ÀC3159691039"), Err(LaserError::Letter { found: 'À' }));
        assert_eq!(parse_laser_code("JC3_159691039").unwrap_err(), LaserError::Length { chars: 13 });
        assert!(parse_laser_code(&"-".repeat(100)).is_err());
        let msg = parse_laser_code("JC3").unwrap_err().to_string();
        assert!(msg.contains("2 letters followed by 10 digits"), "{msg}");
    }

    #[test]
    fn serde_validates() {
        assert!(serde_json::from_str::<LaserCode>("\"JC3159691039\"").is_ok());
        assert!(serde_json::from_str::<LaserCode>("\"JC31596910\"").is_err());
    }
}
