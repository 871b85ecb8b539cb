//! The snake_case names under which the enums of this crate are stored and sent.
//!
//! Every such enum has `as_str`, `parse` and an `ALL` list; parsing goes through one shared helper
//! so that an unknown name always gets the same readable error listing what would be accepted.

use thiserror::Error;

/// A name that is not one of an enum's names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown {kind} {value:?}; expected one of: {expected}")]
pub struct UnknownName {
    /// What was being parsed, e.g. `"priority"`.
    pub kind: &'static str,
    /// The text that was given (cut to 64 characters so a hostile input cannot bloat a log).
    pub value: String,
    /// The accepted names, comma-separated.
    pub expected: String,
}

impl UnknownName {
    /// `text` is not one of the `expected` names (comma-separated) of `kind`.
    pub fn new(kind: &'static str, text: &str, expected: impl Into<String>) -> UnknownName {
        UnknownName { kind, value: text.chars().take(ECHO_MAX_CHARS).collect(), expected: expected.into() }
    }
}

/// Longest part of an unknown name echoed back in the error.
const ECHO_MAX_CHARS: usize = 64;

/// Finds `text` among the names of `all`.
pub(crate) fn parse_name<T: Copy>(kind: &'static str, all: &[T], as_str: fn(T) -> &'static str, text: &str) -> Result<T, UnknownName> {
    // Enums here have at most a handful of variants; the bound documents that.
    assert!(!all.is_empty() && all.len() <= 16);
    if let Some(found) = all.iter().copied().find(|value| as_str(*value) == text) {
        return Ok(found);
    }
    Err(UnknownName::new(kind, text, all.iter().map(|value| as_str(*value)).collect::<Vec<_>>().join(", ")))
}
