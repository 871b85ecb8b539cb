//! What a deposit watcher needs from a chain, whatever its family: the tip, a block's hash at a
//! height, and a block's outputs to addresses. The Bitcoin family implements it over Bitcoin
//! Core's JSON-RPC ([`crate::rpc`]); an Ethereum adapter implements the same trait.

use std::future::Future;

/// One output of a transaction in a block, paying `amount_units` to `address`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainOutput {
    pub txid: String,
    /// The output's index in its transaction (the log index on Ethereum).
    pub index: u32,
    /// Lower case.
    pub address: String,
    /// Whole engine units (what a credit books).
    pub amount_units: u64,
    /// The chain's own integer amount in decimal, where it is finer than the engine's unit
    /// (the Ethereum family: wei, token base units); recorded beside the credit.
    pub amount_raw: Option<String>,
    /// The amount does not fit the engine's books: recorded and refused, never credited.
    pub too_large: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBlock {
    pub height: u64,
    pub hash: String,
    /// `None` for the genesis block.
    pub prev_hash: Option<String>,
    pub outputs: Vec<ChainOutput>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("the node could not be reached: {0}")]
    Unreachable(String),
    #[error("the node answered {method} with an error: {message}")]
    Rpc { method: String, message: String },
    #[error("the node's answer to {method} does not parse: {detail}")]
    Malformed { method: String, detail: String },
}

pub trait Chain: Send + Sync {
    fn tip_height(&self) -> impl Future<Output = Result<u64, ChainError>> + Send;
    /// `None` above the tip.
    fn block_hash(&self, height: u64) -> impl Future<Output = Result<Option<String>, ChainError>> + Send;
    fn block(&self, hash: &str) -> impl Future<Output = Result<ChainBlock, ChainError>> + Send;
}

/// `text`, a decimal with at most `decimals` places as nodes print amounts ("0.10000000"), in
/// smallest units. Never through a float.
pub fn parse_units(text: &str, decimals: u8) -> Option<u64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > decimals as usize {
        return None;
    }
    let scale = 10u64.checked_pow(u32::from(decimals))?;
    let frac_units: u64 = if frac.is_empty() { 0 } else { frac.parse::<u64>().ok()? * 10u64.pow((decimals as usize - frac.len()) as u32) };
    whole.parse::<u64>().ok()?.checked_mul(scale)?.checked_add(frac_units)
}

/// `units` as a decimal with exactly `decimals` places, trailing zeros trimmed to at least one.
pub fn format_units(units: u64, decimals: u8) -> String {
    let scale = 10u64.pow(u32::from(decimals));
    if decimals == 0 {
        return units.to_string();
    }
    let frac = format!("{:0width$}", units % scale, width = decimals as usize);
    let trimmed = frac.trim_end_matches('0');
    format!("{}.{}", units / scale, if trimmed.is_empty() { "0" } else { trimmed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_units("0.10000000", 8), Some(10_000_000));
        assert_eq!(parse_units("84000000.00000001", 8), Some(8_400_000_000_000_001));
        assert_eq!(parse_units("1", 8), Some(100_000_000));
        assert_eq!(parse_units("0.000000001", 8), None, "more places than the asset has");
        assert_eq!(parse_units("-1.0", 8), None);
        assert_eq!(parse_units("1e-8", 8), None);
        assert_eq!(parse_units("", 8), None);
        assert_eq!(parse_units("184467440737.09551616", 8), None, "overflow");
    }

    #[test]
    fn amounts_format_back() {
        assert_eq!(format_units(10_000_000, 8), "0.1");
        assert_eq!(format_units(0, 8), "0.0");
        assert_eq!(format_units(575_111_474, 8), "5.75111474");
        for units in [0, 1, 99, 100_000_000, 8_400_000_000_000_001] {
            assert_eq!(parse_units(&format_units(units, 8), 8), Some(units));
        }
    }
}
