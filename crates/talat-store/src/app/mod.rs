//! The application half: each domain's own tables, written and read by its web routes and
//! workers, one module per domain. Nothing here is derived from engine events.
//!
//! `web` (customer accounts, staff, sessions, the append-only audit log), `keys` (API keys),
//! `support` (tickets, incidents, roster, mail outbox), `onboarding` (KYC applications,
//! documents, knowledge tests), `screening` (sanctions lists, hits, clearances), `admission`
//! (admitted customers and the waitlist), `funds` (bank accounts, deposit intents, bank lines,
//! exceptions, withdrawals and approvals, payout batches, statements, reconciliations),
//! `compensation` (the refused-request log, compensation incidents and their credits), `status`
//! (the status page's incidents, their updates and component overrides), `custody` (deposit
//! addresses, chain watchers' cursors, on-chain deposits, reorg cases and freezes),
//! `custody_withdrawals` (hot wallets' sealed keys, whitelists, crypto withdrawals, approvals),
//! `custody_evm` (the Ethereum family's nonces, signed transactions, fee bumps and releases of reverted withdrawals),
//! `por` (proof of reserves: customers' salts, published reports and their leaves), `staff`
//! (admins' proposed staff changes under four eyes, invited staff's set-password links).
//!
//! New domains (funds, custody, continuity, surveillance) add their module here, with their
//! migrations, and write through [`crate::Store`]'s write transaction like the rest.

pub(crate) mod admission;
pub(crate) mod compensation;
pub(crate) mod custody;
pub(crate) mod custody_evm;
pub(crate) mod custody_withdrawals;
pub(crate) mod funds;
pub(crate) mod keys;
pub(crate) mod onboarding;
pub(crate) mod por;
pub(crate) mod screening;
pub(crate) mod staff;
pub(crate) mod status;
pub(crate) mod support;
pub(crate) mod surveillance;
pub(crate) mod web;
