//! Admission lanes: which bounded queue a command waits in.
//!
//! The sequencer drains lanes strictly in priority order: every waiting cancel is taken before any
//! money-out command, and every money-out command before any new order. So under any load a cancel
//! waits only behind other cancels (DESIGN invariant 6), and a surge of orders is refused at the
//! door (`Busy`) instead of delaying the requests that reduce risk.

use talat_core::Command;

/// A bounded admission queue, in the order the sequencer drains them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// Cancels, and the staff switches that stop trading (market mode, maintenance): they must
    /// get through when the exchange is overloaded, which is exactly when they are needed.
    Cancel,
    /// Withdrawal holds, settlements and releases.
    MoneyOut,
    /// Everything else: new orders, amends, deposits, accounts, listings.
    Place,
}

impl Lane {
    /// Every lane, highest priority first.
    pub const ALL: [Lane; 3] = [Lane::Cancel, Lane::MoneyOut, Lane::Place];

    /// The lane a command belongs in by default.
    pub fn of(command: &Command) -> Lane {
        match command {
            // Cancels, the switches that stop trading or money, and the dead-man's switch (a
            // client refreshing it during a surge must not wait behind new orders).
            Command::CancelOrder { .. }
            | Command::CancelAll { .. }
            | Command::SetMarketMode { .. }
            | Command::SetMaintenance { .. }
            | Command::SetFunding(_)
            | Command::Resume { .. }
            | Command::CancelAfter { .. }
            | Command::CancelAfterExpired { .. } => Lane::Cancel,
            Command::WithdrawalHold { .. } | Command::WithdrawalSettle { .. } | Command::WithdrawalRelease { .. } => Lane::MoneyOut,
            _ => Lane::Place,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Lane::Cancel => "cancel",
            Lane::MoneyOut => "money-out",
            Lane::Place => "place",
        }
    }

    pub fn from_index(index: usize) -> Option<Lane> {
        Lane::ALL.get(index).copied()
    }
}

impl std::fmt::Display for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use talat_core::{ExternalId, OrderId, UserId};

    #[test]
    fn lanes_are_in_priority_order_and_classify_commands() {
        assert!(Lane::Cancel < Lane::MoneyOut && Lane::MoneyOut < Lane::Place);
        for (i, lane) in Lane::ALL.iter().enumerate() {
            assert_eq!(lane.index(), i);
            assert_eq!(Lane::from_index(i), Some(*lane));
        }
        let cancel = Command::CancelOrder { user: UserId(1), order: OrderId(2) };
        assert_eq!(Lane::of(&cancel), Lane::Cancel);
        assert_eq!(Lane::of(&Command::SetMaintenance { on: true }), Lane::Cancel);
        let settle = Command::WithdrawalSettle { withdrawal_id: ExternalId("w".into()) };
        assert_eq!(Lane::of(&settle), Lane::MoneyOut);
        assert_eq!(Lane::of(&Command::CreateUser), Lane::Place);
    }
}
