//! A crypto deposit's life and the arithmetic of confirmations, as pure rules.
//!
//! seen (in the mempool) → confirming n/N (in a block) → credited; or dropped (a reorg took the
//! block before the credit; mined again, it confirms anew), dust (below the floor, recorded,
//! never credited), reorged (a reorg took the block *after* the credit: a case for staff),
//! refused (an amount larger than the engine can book: recorded, never credited, logged).

/// The words stored in `custody_deposits.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositStatus {
    Seen,
    Confirming,
    Credited,
    Dropped,
    Dust,
    Reorged,
    Refused,
}

impl DepositStatus {
    pub const ALL: [DepositStatus; 7] = [
        DepositStatus::Seen,
        DepositStatus::Confirming,
        DepositStatus::Credited,
        DepositStatus::Dropped,
        DepositStatus::Dust,
        DepositStatus::Reorged,
        DepositStatus::Refused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DepositStatus::Seen => "seen",
            DepositStatus::Confirming => "confirming",
            DepositStatus::Credited => "credited",
            DepositStatus::Dropped => "dropped",
            DepositStatus::Dust => "dust",
            DepositStatus::Reorged => "reorged",
            DepositStatus::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<DepositStatus> {
        DepositStatus::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Bitkub's v4 words: `pending`, `complete`, `rejected`.
    pub fn bitkub_status(self) -> &'static str {
        match self {
            DepositStatus::Seen | DepositStatus::Confirming => "pending",
            DepositStatus::Credited => "complete",
            DepositStatus::Dropped | DepositStatus::Dust | DepositStatus::Reorged | DepositStatus::Refused => "rejected",
        }
    }
}

/// Confirmations of a transaction in the block at `block_height` when the best block is at
/// `tip_height`: the block itself counts as the first (off by one is a classic: a block at the
/// tip has 1 confirmation, not 0).
pub fn confirmations(tip_height: u64, block_height: u64) -> u64 {
    if block_height > tip_height {
        0
    } else {
        tip_height - block_height + 1
    }
}

/// What a confirming deposit's next step is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Enough confirmations: submit the engine's `Deposit`.
    Credit,
    /// Still waiting; store the new count if it changed.
    Wait { confirmations: u64 },
}

pub fn next_step(tip_height: u64, block_height: u64, required: u64) -> Step {
    debug_assert!(required >= 1, "nothing is credited from the mempool");
    let n = confirmations(tip_height, block_height);
    if n >= required.max(1) {
        Step::Credit
    } else {
        Step::Wait { confirmations: n }
    }
}

/// The engine's idempotency key of an on-chain deposit: (network, txid, output index).
pub fn deposit_key(network: &str, txid: &str, output_index: u64) -> String {
    format!("{network}:{txid}:{output_index}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_at_the_tip_has_one_confirmation() {
        assert_eq!(confirmations(100, 100), 1);
        assert_eq!(confirmations(105, 100), 6);
        assert_eq!(confirmations(99, 100), 0, "a block above the scanned tip is not confirmed");
        assert_eq!(next_step(102, 100, 3), Step::Credit, "blocks 100, 101, 102: three confirmations");
        assert_eq!(next_step(101, 100, 3), Step::Wait { confirmations: 2 });
    }

    #[test]
    fn statuses_round_trip_and_map_to_bitkub() {
        for s in DepositStatus::ALL {
            assert_eq!(DepositStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(DepositStatus::Confirming.bitkub_status(), "pending");
        assert_eq!(DepositStatus::Credited.bitkub_status(), "complete");
        assert_eq!(DepositStatus::Dust.bitkub_status(), "rejected");
        assert!(deposit_key("LTC", &"a".repeat(64), 4_294_967_295).len() <= talat_core::ids::MAX_EXTERNAL_ID_BYTES);
        let longest = deposit_key(&"N".repeat(crate::network::MAX_NETWORK_ID_BYTES), &format!("0x{}", "a".repeat(64)), u64::from(u32::MAX));
        assert!(longest.len() <= talat_core::ids::MAX_EXTERNAL_ID_BYTES, "an Ethereum key with the longest network id fits: {longest}");
    }
}
