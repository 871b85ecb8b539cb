//! Crypto withdrawals, the rules: what a request is checked against before the engine holds it,
//! and the statuses it moves through. The chain side (build, sign, broadcast) is talat-custody's;
//! a signed transaction is recorded before it is broadcast, and a withdrawal that has one is
//! never signed again — after a crash it is broadcast again as it is, or looked up.
//!
//! requested → awaiting_approval → approved → signed → broadcast → completed, or rejected /
//! cancelled (the hold released) before it is signed.

/// The statuses, as stored in `custody_withdrawals.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoWithdrawalStatus {
    /// Recorded; the engine's hold not yet confirmed.
    Requested,
    AwaitingApproval,
    Approved,
    /// The signed transaction is recorded; it may or may not have reached the network.
    Signed,
    /// The node accepted it; waiting for confirmations.
    Broadcast,
    Completed,
    Rejected,
    Cancelled,
}

impl CryptoWithdrawalStatus {
    pub const ALL: [CryptoWithdrawalStatus; 8] = [
        CryptoWithdrawalStatus::Requested,
        CryptoWithdrawalStatus::AwaitingApproval,
        CryptoWithdrawalStatus::Approved,
        CryptoWithdrawalStatus::Signed,
        CryptoWithdrawalStatus::Broadcast,
        CryptoWithdrawalStatus::Completed,
        CryptoWithdrawalStatus::Rejected,
        CryptoWithdrawalStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CryptoWithdrawalStatus::Requested => "requested",
            CryptoWithdrawalStatus::AwaitingApproval => "awaiting_approval",
            CryptoWithdrawalStatus::Approved => "approved",
            CryptoWithdrawalStatus::Signed => "signed",
            CryptoWithdrawalStatus::Broadcast => "broadcast",
            CryptoWithdrawalStatus::Completed => "completed",
            CryptoWithdrawalStatus::Rejected => "rejected",
            CryptoWithdrawalStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<CryptoWithdrawalStatus> {
        CryptoWithdrawalStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Counts as the customer's one pending withdrawal.
    pub fn is_pending(self) -> bool {
        !matches!(self, CryptoWithdrawalStatus::Completed | CryptoWithdrawalStatus::Rejected | CryptoWithdrawalStatus::Cancelled)
    }

    /// May still be stopped with the hold released: nothing was signed.
    pub fn can_stop(self) -> bool {
        matches!(self, CryptoWithdrawalStatus::Requested | CryptoWithdrawalStatus::AwaitingApproval | CryptoWithdrawalStatus::Approved)
    }

    /// Bitkub's v4 words: `pending`, `processing`, `reported`, `rejected`, `complete`.
    pub fn bitkub_status(self) -> &'static str {
        match self {
            CryptoWithdrawalStatus::Requested | CryptoWithdrawalStatus::AwaitingApproval | CryptoWithdrawalStatus::Approved => "pending",
            CryptoWithdrawalStatus::Signed => "processing",
            CryptoWithdrawalStatus::Broadcast => "reported",
            CryptoWithdrawalStatus::Completed => "complete",
            CryptoWithdrawalStatus::Rejected | CryptoWithdrawalStatus::Cancelled => "rejected",
        }
    }
}

/// Everything a request is checked against, gathered by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CryptoWithdrawalRequest {
    /// What leaves the customer's balance, the fee included.
    pub amount_units: u64,
    pub min_units: u64,
    pub fee_units: u64,
    pub network_enabled: bool,
    /// The destination parses as an address of this network.
    pub address_valid: bool,
    /// An active sanctions list names the destination address.
    pub destination_sanctioned: bool,
    /// When the customer whitelisted the destination (`None`: not whitelisted).
    pub whitelisted_at_ms: Option<u64>,
    pub cooling_off_ms: u64,
    pub now_ms: u64,
    pub pending_withdrawals: usize,
    /// A reorg below a credited deposit froze this asset for the customer.
    pub frozen: bool,
    pub account_locked: bool,
    /// A sanctions screening hit on the account is open or confirmed.
    pub under_review: bool,
    /// The second factor was given and right (or an API key with withdraw permission made it).
    pub second_factor_ok: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CryptoRefusal {
    #[error("withdrawals on this network are disabled")]
    NetworkDisabled,
    #[error("the address is not a valid address of this network")]
    InvalidAddress,
    #[error("the amount is below the minimum withdrawal")]
    BelowMinimum,
    #[error("the amount does not cover the withdrawal fee")]
    BelowFee,
    #[error("the address is not on your withdrawal whitelist")]
    NotWhitelisted,
    #[error("the address was whitelisted recently and is not trusted yet (cooling-off)")]
    CoolingOff,
    #[error("a withdrawal is already pending")]
    PendingExists,
    #[error("withdrawals of this asset are frozen pending a review")]
    Frozen,
    #[error("the account is locked")]
    AccountLocked,
    #[error("a second factor is required")]
    SecondFactorRequired,
    #[error("the destination address is named on a sanctions list; withdrawals to it are refused and compliance has been told")]
    SanctionedDestination,
    #[error("withdrawals wait for a compliance review of this account")]
    UnderReview,
}

impl CryptoRefusal {
    /// The v4 code and HTTP status Bitkub answers with.
    pub fn v4(self) -> (&'static str, u16) {
        match self {
            CryptoRefusal::NetworkDisabled => ("B1001-CW", 400),
            CryptoRefusal::InvalidAddress | CryptoRefusal::BelowMinimum | CryptoRefusal::BelowFee => ("V1006-CW", 400),
            CryptoRefusal::NotWhitelisted => ("B1014-CW", 400),
            CryptoRefusal::CoolingOff | CryptoRefusal::SanctionedDestination => ("B1012-CW", 400),
            CryptoRefusal::PendingExists => ("B1009-CW", 400),
            CryptoRefusal::Frozen => ("B1013-CW", 400),
            CryptoRefusal::AccountLocked | CryptoRefusal::UnderReview => ("B1010-CW", 400),
            CryptoRefusal::SecondFactorRequired => ("A1001-CW", 403),
        }
    }
}

/// Checks in the order a customer can act on them: the request itself, then the destination,
/// then the account.
pub fn check(r: &CryptoWithdrawalRequest) -> Result<(), CryptoRefusal> {
    if !r.network_enabled {
        return Err(CryptoRefusal::NetworkDisabled);
    }
    if !r.second_factor_ok {
        return Err(CryptoRefusal::SecondFactorRequired);
    }
    if !r.address_valid {
        return Err(CryptoRefusal::InvalidAddress);
    }
    if r.destination_sanctioned {
        return Err(CryptoRefusal::SanctionedDestination);
    }
    if r.amount_units < r.min_units {
        return Err(CryptoRefusal::BelowMinimum);
    }
    if r.amount_units <= r.fee_units {
        return Err(CryptoRefusal::BelowFee);
    }
    match r.whitelisted_at_ms {
        None => return Err(CryptoRefusal::NotWhitelisted),
        Some(at) if r.now_ms < at.saturating_add(r.cooling_off_ms) => return Err(CryptoRefusal::CoolingOff),
        Some(_) => {}
    }
    if r.account_locked {
        return Err(CryptoRefusal::AccountLocked);
    }
    if r.under_review {
        return Err(CryptoRefusal::UnderReview);
    }
    if r.frozen {
        return Err(CryptoRefusal::Frozen);
    }
    if r.pending_withdrawals > 0 {
        return Err(CryptoRefusal::PendingExists);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: u64 = 86_400_000;

    fn ok() -> CryptoWithdrawalRequest {
        CryptoWithdrawalRequest {
            amount_units: 1_000_000,
            min_units: 100_000,
            fee_units: 100_000,
            network_enabled: true,
            address_valid: true,
            destination_sanctioned: false,
            whitelisted_at_ms: Some(0),
            cooling_off_ms: DAY_MS,
            now_ms: DAY_MS,
            pending_withdrawals: 0,
            frozen: false,
            account_locked: false,
            under_review: false,
            second_factor_ok: true,
        }
    }

    #[test]
    fn each_check_refuses_with_its_code() {
        assert_eq!(check(&ok()), Ok(()));
        type Case = (fn(&mut CryptoWithdrawalRequest), CryptoRefusal, &'static str);
        let cases: [Case; 11] = [
            (|r| r.network_enabled = false, CryptoRefusal::NetworkDisabled, "B1001-CW"),
            (|r| r.address_valid = false, CryptoRefusal::InvalidAddress, "V1006-CW"),
            (|r| r.destination_sanctioned = true, CryptoRefusal::SanctionedDestination, "B1012-CW"),
            (|r| r.amount_units = 99_999, CryptoRefusal::BelowMinimum, "V1006-CW"),
            (|r| r.fee_units = 1_000_000, CryptoRefusal::BelowFee, "V1006-CW"),
            (|r| r.whitelisted_at_ms = None, CryptoRefusal::NotWhitelisted, "B1014-CW"),
            (|r| r.whitelisted_at_ms = Some(1), CryptoRefusal::CoolingOff, "B1012-CW"),
            (|r| r.pending_withdrawals = 1, CryptoRefusal::PendingExists, "B1009-CW"),
            (|r| r.frozen = true, CryptoRefusal::Frozen, "B1013-CW"),
            (|r| r.under_review = true, CryptoRefusal::UnderReview, "B1010-CW"),
            (|r| r.second_factor_ok = false, CryptoRefusal::SecondFactorRequired, "A1001-CW"),
        ];
        for (change, refusal, code) in cases {
            let mut r = ok();
            change(&mut r);
            assert_eq!(check(&r), Err(refusal));
            assert_eq!(refusal.v4().0, code);
        }
    }

    #[test]
    fn cooling_off_ends_exactly_at_its_length() {
        let mut r = ok();
        r.whitelisted_at_ms = Some(5);
        r.now_ms = 5 + DAY_MS - 1;
        assert_eq!(check(&r), Err(CryptoRefusal::CoolingOff));
        r.now_ms = 5 + DAY_MS;
        assert_eq!(check(&r), Ok(()));
    }

    #[test]
    fn only_unsigned_withdrawals_can_be_stopped() {
        use CryptoWithdrawalStatus as S;
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert!(S::Approved.can_stop());
        assert!(!S::Signed.can_stop(), "a signed transaction may be on the network");
        assert!(S::Broadcast.is_pending() && !S::Completed.is_pending());
        assert_eq!(S::Broadcast.bitkub_status(), "reported");
    }
}
