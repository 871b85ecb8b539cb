//! The Ethereum family: native ETH and ERC-20 tokens, one network per asset.
//!
//! * `address`: Keccak-256, addresses from public keys, EIP-55 checksums, destination checks.
//! * `units`: 256-bit on-chain amounts to whole engine units and back, exactly.
//! * `message`: EIP-191 personal messages (`personal_sign`): hash, sign, recover, verify.
//! * `tx`: EIP-1559 transactions (signing hash, signed encoding, decoding), ERC-20 call data.
//! * `signer`: the [`signer::EvmSigner`] trait an HSM can implement, and the local sealed key.
//! * `rpc`: Ethereum's JSON-RPC, and the [`crate::chain::Chain`] the generic watcher reads:
//!   native transfers keyed (tx hash, 0), token `Transfer` logs keyed (tx hash, log index).
//! * `withdrawals`: nonces, sign → record → broadcast → confirmations, lookups after a lost
//!   answer, and fee bumps (same nonce, higher fees) under two staff approvals.
//! * `transfers`: hot and cold — cold balances per watched address, hot → cold signed with a
//!   durable nonce, cold → hot as unsigned EIP-1559 transactions for the offline signer.
//! * `reverted`: a mined-but-reverted withdrawal's hold released under two staff approvals.
//! * `sweep`: deposit addresses' sweeps to hot as unsigned transactions for the offline
//!   signer, and the gas top-ups a token sweep needs.
//! * `anvil`: a throwaway local node for tests (npm's `@foundry-rs/anvil`).

pub mod address;
pub mod anvil;
pub mod message;
pub mod reverted;
pub mod rpc;
pub mod signer;
pub mod sweep;
pub mod transfers;
pub mod tx;
pub mod units;
pub mod withdrawals;
