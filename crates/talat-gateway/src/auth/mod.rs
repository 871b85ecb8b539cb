//! Who is calling: API keys and request signatures.

pub mod keys;
pub mod replay;
pub mod sign;

pub use keys::{ApiKey, KeyRing, MasterKey, Perms};
