//! Crypto custody: the parts of money in and out that talk to chains.
//!
//! * `chain`: the [`chain::Chain`] trait a watcher reads (tip, block hashes, blocks' outputs)
//!   and exact amount parsing.
//! * `rpc`: the Bitcoin family's chain over Bitcoin Core's JSON-RPC (litecoind, bitcoind).
//! * `keys`: deposit addresses derived from an account-level xpub (BIP-32/84 SegWit v0, or
//!   BIP-44 Ethereum addresses).
//! * `evm`: the Ethereum family (native ETH and ERC-20 tokens): addresses, exact amounts,
//!   EIP-1559 transactions, the signer, the JSON-RPC chain, withdrawals with nonces and fee
//!   bumps, and a throwaway anvil node for tests.
//! * `network`: one network's settings (node, key, confirmation tiers, dust, fees).
//! * `deposit`: a deposit's statuses and confirmation arithmetic (pure).
//! * `watcher`: one chain's deposit watcher — durable cursor, reorgs, rescans, credits
//!   through the engine's idempotent `Deposit`.
//! * `sweep`: customers' deposit outputs to the hot wallet, as a PSBT for the offline signer.
//! * `cold`: the cold wallet's balance, hot → cold transfers (signed here after a second
//!   approval) and cold → hot top-ups (PSBTs for the offline cold key).
//! * `reserves`: proof of reserves' assets side — hot, cold and unswept deposits on chain, and
//!   the hot address's signed message (BIP-137).
//! * `service`: the networks a server runs and what the HTTP surfaces ask of them.
//! * `regtest`: a throwaway regtest node (tests and the demo).
//! * `crash`: crash points the tests of the real process abort at (`TALAT_CRASH_AT`).
//!
//! Nothing here credits or pays what the engine did not hold or order: a credit is the engine's
//! `Deposit`, keyed by (network, txid, output index), so it happens once however often it is
//! submitted.

pub mod chain;
pub mod cold;
pub mod crash;
pub mod deposit;
pub mod evm;
pub mod hot;
pub mod keys;
pub mod network;
pub mod payout;
pub mod regtest;
pub mod reserves;
pub mod rpc;
pub mod service;
pub mod sweep;
pub mod watcher;
pub mod withdrawals;

pub use service::{Custody, CustodyConfig, CustodyError};
