//! Every way building a tree or verifying a proof can fail, each naming what failed.

use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PorError {
    #[error("the asset list is empty")]
    NoAssets,
    #[error("{count} assets is more than the {max} a tree may carry")]
    TooManyAssets { count: usize, max: usize },
    #[error("asset code {0:?} is not 1 to 16 characters of A-Z and 0-9")]
    BadAssetCode(String),
    #[error("asset {0} is listed twice")]
    DuplicateAsset(String),
    #[error("there are no accounts to build a tree over")]
    NoAccounts,
    #[error("{count} accounts is more than the {max} one tree may hold")]
    TooManyAccounts { count: usize, max: usize },
    #[error("account {0} is listed twice")]
    DuplicateAccount(u64),
    #[error("account {account_id} has {got} balances for {expected} assets")]
    WrongBalanceCount { account_id: u64, expected: usize, got: usize },
    /// The "fake negative balance" attack: a negative leaf would lower the totals.
    #[error("account {account_id} has a negative {asset} balance ({amount}); a negative leaf would hide liabilities")]
    NegativeBalance { account_id: u64, asset: String, amount: i128 },
    #[error("account {account_id} has a {asset} balance of {amount}, above the 2^64 - 1 a leaf holds")]
    BalanceTooLarge { account_id: u64, asset: String, amount: i128 },
    #[error("the {asset} sum overflows at level {level}")]
    SumOverflow { asset: String, level: usize },
    #[error("unknown proof format {0:?} (this verifier reads {expected})", expected = crate::FORMAT)]
    UnknownFormat(String),
    #[error("{field} is not valid hex of {bytes} bytes: {value:?}")]
    BadHex { field: String, bytes: usize, value: String },
    #[error("{field} has {got} amounts for {expected} assets")]
    WrongAmountCount { field: String, expected: usize, got: usize },
    #[error("the root's leaf count {0} is outside 1..=2^24")]
    BadLeafCount(u64),
    #[error("the path has {got} steps; a tree of {leaf_count} leaves needs {expected}")]
    WrongPathLength { leaf_count: u64, expected: usize, got: usize },
    #[error("the path's sides put the account at leaf {index}, past the root's {leaf_count} leaves")]
    PositionOutOfRange { index: u64, leaf_count: u64 },
    #[error("path step {step}: the sibling lies past the end of its level, so it must be the padding node (the padding hash, zero sums), and it is not")]
    BadPadding { step: usize },
    #[error("{asset} total mismatch: the balances and the path's sibling sums add up to {computed}, the root publishes {published}")]
    TotalsMismatch { asset: String, computed: u128, published: u128 },
    #[error("root hash mismatch: the balances and the path hash to {computed}, the root publishes {published}")]
    RootHashMismatch { computed: String, published: String },
    #[error("this proof's root is not the published one: {0}")]
    NotThePublishedRoot(String),
}
