//! The ordered asset codes a tree is built over. Every leaf, node and total lists its amounts in
//! this order, so the list is part of what is published with the root.

use crate::PorError;

/// More assets than an exchange lists; it bounds a node's bytes (65 + 32 × assets).
pub const MAX_ASSETS: usize = 64;

/// Longest asset code, in bytes.
pub const MAX_CODE_LEN: usize = 16;

/// Validated: 1 to [`MAX_ASSETS`] codes, each 1 to 16 characters of `A-Z` and `0-9`, no code
/// twice. The order is the caller's and is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetList {
    codes: Vec<String>,
}

impl AssetList {
    pub fn new<S: AsRef<str>>(codes: &[S]) -> Result<AssetList, PorError> {
        if codes.is_empty() {
            return Err(PorError::NoAssets);
        }
        if codes.len() > MAX_ASSETS {
            return Err(PorError::TooManyAssets { count: codes.len(), max: MAX_ASSETS });
        }
        let mut seen: Vec<&str> = Vec::with_capacity(codes.len());
        for code in codes.iter().map(AsRef::as_ref) {
            let valid = !code.is_empty() && code.len() <= MAX_CODE_LEN && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if !valid {
                return Err(PorError::BadAssetCode(code.to_string()));
            }
            if seen.contains(&code) {
                return Err(PorError::DuplicateAsset(code.to_string()));
            }
            seen.push(code);
        }
        Ok(AssetList { codes: seen.into_iter().map(str::to_string).collect() })
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Never true: a list is refused when empty. Here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    pub fn codes(&self) -> &[String] {
        &self.codes
    }

    pub fn code(&self, index: usize) -> &str {
        &self.codes[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_and_refuses_bad_lists() {
        assert_eq!(AssetList::new(&["THB", "BTC", "ETH"]).unwrap().codes(), ["THB", "BTC", "ETH"]);
        assert_eq!(AssetList::new::<&str>(&[]), Err(PorError::NoAssets));
        assert_eq!(AssetList::new(&["THB", "BTC", "THB"]), Err(PorError::DuplicateAsset("THB".into())));
        for bad in ["", "thb", "BTC-X", "ABCDEFGHIJKLMNOPQ"] {
            assert_eq!(AssetList::new(&[bad]), Err(PorError::BadAssetCode(bad.into())), "{bad:?}");
        }
        let many: Vec<String> = (0..=MAX_ASSETS).map(|i| format!("A{i}")).collect();
        assert_eq!(AssetList::new(&many), Err(PorError::TooManyAssets { count: MAX_ASSETS + 1, max: MAX_ASSETS }));
    }
}
