//! Identifiers. Users, assets and markets are dense indices assigned by the engine in command
//! order, so lookups are array indexing and every replica assigns the same ids.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Journal sequence number of a command: strictly increasing by one.
pub type Seq = u64;

macro_rules! dense_id {
    ($name:ident, $repr:ty) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub $repr);
        impl $name {
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

dense_id!(UserId, u32);
dense_id!(AssetId, u16);
dense_id!(MarketId, u16);
dense_id!(OrderId, u64);

/// Longest client-supplied string the engine stores (client order ids, external references).
pub const MAX_EXTERNAL_ID_BYTES: usize = 96;

/// A client's own order reference (Bitkub `client_id`), unique per user for idempotence.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClientId(pub String);

/// An external fact's key: a deposit's `chain:txid:output`, a bank line's reference, a
/// withdrawal's request id. Each enters the ledger once.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ExternalId(pub String);

impl ClientId {
    pub fn is_valid(&self) -> bool {
        is_valid_external_string(&self.0)
    }
}

impl ExternalId {
    pub fn is_valid(&self) -> bool {
        is_valid_external_string(&self.0)
    }
}

/// Non-empty, bounded, printable ASCII without spaces: safe to log, index and echo back.
fn is_valid_external_string(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_EXTERNAL_ID_BYTES && s.bytes().all(|b| b.is_ascii_graphic())
}
