//! Crypto withdrawals on the Bitcoin family, end to end:
//!
//! 1. **Request** — `talat_funds::crypto`'s checks (network, second factor, address, minimum,
//!    fee, whitelist with cooling-off, lock, reorg freeze, one pending), the row written, then
//!    the engine's `WithdrawalHold` (which also applies the customer's THB-equivalent daily
//!    budget). Approvals by the THB value's tier (`talat_funds::approval`; a value that cannot
//!    be priced needs one approver).
//! 2. **Sign and record** — coin selection over the hot wallet, the signed transaction written
//!    (status `signed`) *before* it is broadcast.
//! 3. **Broadcast → confirmations → settle** — the engine's `WithdrawalSettle` once the network's
//!    minimum confirmations are reached.
//!
//! After a crash or timeout a withdrawal in `signed` is sent again *as recorded* (the node
//! answers "already known" if it has it): never a second signature, so never a second payment.
//!
//! The Ethereum family takes the same steps with its own signing, nonces and fee bumps
//! (`crate::evm::withdrawals`); the branches below pick by the network's family.

use crate::hot::{script_of_address, LocalSigner, Signer};
use crate::rpc::TxState;
use crate::service::{Custody, Network};
use bitcoin::consensus::encode::serialize_hex;
use talat_core::{Amount, Command, ExternalId, RejectReason, UserId};
use talat_funds::crypto::{check, CryptoRefusal, CryptoWithdrawalRequest, CryptoWithdrawalStatus as S};
use talat_gateway::gateway::Refusal;
use talat_store::{CustodyWithdrawalRow, NewScreeningHit, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum WithdrawError {
    #[error("{0}")]
    Refused(CryptoRefusal),
    #[error("the engine refused the withdrawal: {0:?}")]
    Engine(RejectReason),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
}

impl From<StoreError> for WithdrawError {
    fn from(e: StoreError) -> WithdrawError {
        WithdrawError::Unavailable(format!("the store failed: {e}"))
    }
}

impl From<crate::chain::ChainError> for WithdrawError {
    fn from(e: crate::chain::ChainError) -> WithdrawError {
        WithdrawError::Unavailable(e.to_string())
    }
}

impl WithdrawError {
    /// The v3 error number Bitkub's retired crypto endpoints answer with.
    pub fn v3(&self) -> u16 {
        match self {
            WithdrawError::Refused(r) => match r {
                CryptoRefusal::NetworkDisabled => 51,
                CryptoRefusal::SecondFactorRequired => 52,
                CryptoRefusal::InvalidAddress => 10,
                CryptoRefusal::BelowMinimum | CryptoRefusal::BelowFee => 12,
                CryptoRefusal::NotWhitelisted => 42,
                // "not allowed to perform this action within the last 24 hours"
                CryptoRefusal::CoolingOff
                | CryptoRefusal::Frozen
                | CryptoRefusal::AccountLocked
                | CryptoRefusal::SanctionedDestination
                | CryptoRefusal::UnderReview => 9,
                CryptoRefusal::PendingExists => 40,
            },
            WithdrawError::Engine(RejectReason::InsufficientBalance) => 43,
            WithdrawError::Engine(RejectReason::WithdrawalLimitExceeded) => 47,
            WithdrawError::Engine(RejectReason::WithdrawalsSuspended) => 51,
            WithdrawError::NotFound(_) | WithdrawError::Conflict(_) => 10,
            WithdrawError::Engine(_) | WithdrawError::Unavailable(_) => 90,
        }
    }

    /// The v4 code, HTTP status and message Bitkub answers with.
    pub fn v4(&self) -> (&'static str, u16, String) {
        match self {
            WithdrawError::Refused(r) => {
                let (code, status) = r.v4();
                (code, status, r.to_string())
            }
            WithdrawError::Engine(RejectReason::InsufficientBalance) => ("B1003-CW", 400, "Insufficient balance".into()),
            WithdrawError::Engine(RejectReason::WithdrawalLimitExceeded) => ("B1011-CW", 400, "Withdrawal exceeds daily limit".into()),
            WithdrawError::Engine(RejectReason::WithdrawalsSuspended) => ("B1001-CW", 400, "Network is disabled: withdrawals are suspended".into()),
            WithdrawError::Engine(r) => ("S1000-CW", 500, format!("Internal service error: {r:?}")),
            WithdrawError::NotFound(m) => ("V1005-CW", 404, m.clone()),
            WithdrawError::Conflict(m) => ("B1015-CW", 400, m.clone()),
            WithdrawError::Unavailable(m) => ("S1000-CW", 500, m.clone()),
        }
    }
}

/// Who asks: the engine user, whether their account is locked, whether a second factor was
/// given (an API key with withdraw permission stands for it), and the person's email (four
/// eyes: nobody approves their own).
pub struct Requester {
    pub user: UserId,
    pub email: String,
    pub account_locked: bool,
    pub second_factor_ok: bool,
    pub source: String,
}

/// A request still without a confirmed hold this long after it was made is recovered by the
/// withdrawal pass (its handler gave up: a crash, a timeout).
pub const UNKNOWN_HOLD_AFTER_MS: u64 = 30_000;

fn pending_statuses() -> Vec<&'static str> {
    S::ALL.into_iter().filter(|s| s.is_pending()).map(S::as_str).collect()
}

fn status(row: &CustodyWithdrawalRow) -> Result<S, WithdrawError> {
    S::parse(&row.status).ok_or_else(|| WithdrawError::Unavailable(format!("withdrawal {} has an unknown status {}", row.id, row.status)))
}

impl Custody {
    /// The network's hot wallet signer, created (and sealed into the store) on first use.
    pub async fn hot_signer(&self, network: &Network) -> Result<(LocalSigner, String), WithdrawError> {
        if network.config.is_evm() {
            return Err(WithdrawError::Unavailable(format!("{} is an Ethereum-family network: its hot wallet is evm_hot_signer's", network.config.network)));
        }
        let aad = format!("custody-hot:{}", network.config.network);
        let stored = match self.store.custody_hot_wallet(&network.config.network).await? {
            Some(stored) => stored,
            None => {
                let (signer, xprv) = LocalSigner::generate().map_err(WithdrawError::Unavailable)?;
                let address = signer.address(&network.config.hrp).map_err(WithdrawError::Unavailable)?;
                let (sealed, nonce) = self.gateway.master.seal(&aad, xprv.as_bytes());
                self.store.create_custody_hot_wallet(&network.config.network, &address, &sealed, &nonce, self.gateway.now_ms()).await?
            }
        };
        let (address, sealed, nonce) = stored;
        let xprv = self.gateway.master.open(&aad, &sealed, &nonce).map_err(|e| WithdrawError::Unavailable(format!("the hot wallet key does not open: {e}")))?;
        let signer = LocalSigner::from_xprv(&String::from_utf8_lossy(&xprv)).map_err(WithdrawError::Unavailable)?;
        Ok((signer, address))
    }

    /// A network's hot wallet address (the key made on first use), and from its node the
    /// wallet's balance of the network's asset in engine units with the node's tip height (or
    /// why the node could not say).
    pub async fn hot_wallet(&self, n: &Network) -> Result<(String, Result<(u64, u64), String>), WithdrawError> {
        use crate::chain::Chain;
        if n.config.is_evm() {
            let (_, hot) = self.evm_hot_signer(n).await?;
            let rpc = crate::evm::rpc::EvmRpc::of(&n.config);
            let owner = crate::evm::address::parse_hex(&hot).ok_or_else(|| WithdrawError::Unavailable(format!("hot address {hot}")))?;
            let read = async {
                let raw = match n.config.token() {
                    None => rpc.balance_wei(&owner).await,
                    Some(token) => rpc.token_balance(&token, &owner).await,
                }
                .map_err(|e| e.to_string())?;
                let (units, _) = crate::evm::units::raw_to_units(raw, n.config.decimals, n.config.engine_decimals).map_err(|e| e.to_string())?;
                Ok((units, rpc.tip_height().await.map_err(|e| e.to_string())?))
            };
            return Ok((hot, read.await));
        }
        let (_, hot) = self.hot_signer(n).await?;
        let rpc = n.config.bitcoin_rpc();
        let read = match (rpc.unspent(&hot).await, rpc.tip_height().await) {
            (Ok(utxos), Ok(tip)) => Ok((utxos.iter().map(|u| u.units).sum::<u64>(), tip)),
            (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
        };
        Ok((hot, read))
    }

    /// THB value of `units` of the network's asset at the last price of its THB market (else
    /// its opening price); `None` when it has no such market.
    fn thb_value_satang(&self, network: &Network, units: u64) -> Option<u64> {
        let market = self.gateway.read.market_by_symbol(&format!("{}_THB", network.config.asset))?;
        let m = market.read();
        let price = m.last_price.or(m.info.spec.opening_price.map(|p| p.0))?;
        let exp = u32::from(m.info.spec.price_scale) + u32::from(m.info.base_scale);
        let exp = exp.checked_sub(u32::from(m.info.quote_scale))?;
        u64::try_from((u128::from(price) * u128::from(units)).div_ceil(10u128.checked_pow(exp)?)).ok()
    }

    /// A new withdrawal of `amount_units` (the fee included) to `address`.
    pub async fn request_withdrawal(&self, who: &Requester, network: &str, address: &str, amount_units: u64) -> Result<CustodyWithdrawalRow, WithdrawError> {
        let n = self.network(network).map_err(|_| WithdrawError::Refused(CryptoRefusal::NetworkDisabled))?;
        let c = &n.config;
        let user_id = u64::from(who.user.0);
        let address_valid = n.valid_destination(address);
        let address = address.trim().to_ascii_lowercase();
        let now = self.gateway.now_ms();
        let whitelist = self.store.custody_whitelist_of(user_id).await?;
        let destination_sanctioned = address_valid && self.store.sanctioned_address(&address).await?.is_some();
        let pending = self.store.custody_withdrawals_of(user_id, 20).await?.iter().filter(|w| S::parse(&w.status).is_some_and(S::is_pending)).count();
        let request = CryptoWithdrawalRequest {
            amount_units,
            min_units: c.withdraw_min_units,
            fee_units: c.withdraw_fee_units,
            network_enabled: c.withdraw_enable && self.gateway.read.venue().funding.withdrawals_open,
            address_valid,
            destination_sanctioned,
            whitelisted_at_ms: whitelist.iter().find(|w| w.network == c.network && w.address == address).map(|w| w.added_ms),
            cooling_off_ms: c.whitelist_cooling_off_ms,
            now_ms: now,
            pending_withdrawals: pending,
            frozen: self.store.custody_frozen(user_id, &c.asset).await?,
            account_locked: who.account_locked,
            under_review: self.under_review(who.user).await?,
            second_factor_ok: who.second_factor_ok,
        };
        if let Err(refusal) = check(&request) {
            if refusal == CryptoRefusal::SanctionedDestination {
                self.screen_destination(who.user, &address, "a crypto withdrawal").await?;
            }
            return Err(WithdrawError::Refused(refusal));
        }
        let tier = self.thb_value_satang(n, amount_units).map(|v| self.gateway.funds().config.approval.tier(v));
        let approvals_needed = tier.map_or(1, |t| u64::from(t.approvers) + u64::from(t.checker));
        let row = CustodyWithdrawalRow {
            id: new_id(&c.network, now),
            user_id,
            network: c.network.clone(),
            asset: c.asset.clone(),
            address,
            amount_units,
            fee_units: c.withdraw_fee_units,
            status: S::Requested.as_str().into(),
            approvals_needed,
            source: who.source.clone(),
            engine_held: false,
            txid: None,
            raw_tx: None,
            inputs: None,
            network_fee_units: None,
            confirmations: 0,
            reason: None,
            created_ms: now,
            updated_ms: now,
            completed_ms: None,
        };
        if !self.store.insert_custody_withdrawal(&row, &pending_statuses()).await? {
            return Err(WithdrawError::Refused(CryptoRefusal::PendingExists));
        }
        let asset = self.gateway.read.asset_id(&c.asset).ok_or_else(|| WithdrawError::Unavailable(format!("{} is not listed", c.asset)))?;
        let hold = Command::WithdrawalHold {
            user: who.user,
            asset,
            amount: Amount(amount_units - c.withdraw_fee_units),
            fee: Amount(c.withdraw_fee_units),
            withdrawal_id: ExternalId(row.id.clone()),
        };
        match self.gateway.execute(hold).await {
            Ok(_) => {}
            Err(Refusal::Engine(reason)) => {
                self.store.delete_unheld_custody_withdrawal(&row.id).await?;
                return Err(WithdrawError::Engine(reason));
            }
            // Not known to have held nothing: recovery asks again (the hold is keyed by id).
            Err(Refusal::Gateway(e)) => return Err(WithdrawError::Unavailable(e.message.into_owned())),
        }
        self.after_hold(&row.id).await
    }

    /// Whether an active sanctions list names `address`. If one does, the customer gets a
    /// screening hit for compliance (one per list entry and version, like a name match), and
    /// its open hit stops every withdrawal of the account until staff decide it.
    pub async fn screen_destination(&self, user: UserId, address: &str, attempt: &str) -> Result<bool, WithdrawError> {
        let Some(listed) = self.store.sanctioned_address(address).await? else { return Ok(false) };
        tracing::warn!(user = user.0, list = %listed.list_name, entity = %listed.entity_id, "{attempt} named a sanctioned address");
        // Screening hits belong to web accounts; an API-only user has none, and the refusal
        // and the log line above are then all there is.
        let Some(account) = self.store.web_account_of_user(user).await? else { return Ok(true) };
        let hit = NewScreeningHit {
            list_name: listed.list_name,
            entity_id: listed.entity_id,
            entity_version: listed.entity_version,
            score_milli: 1_000,
            matched_name: format!("{} address {}", listed.currency, listed.address),
            reasons: format!("{attempt} named this listed address"),
        };
        self.store.record_screening(account.id, &[hit], self.gateway.now_ms()).await?;
        Ok(true)
    }

    /// An open or confirmed screening hit on the customer's account stops its withdrawals, as
    /// it stops THB ones.
    async fn under_review(&self, user: UserId) -> Result<bool, WithdrawError> {
        let Some(account) = self.store.web_account_of_user(user).await? else { return Ok(false) };
        let hits = self.store.screening_hits_of_account(account.id, 50).await?;
        Ok(hits.iter().any(|h| h.status == "open" || h.status == "confirmed"))
    }

    async fn after_hold(&self, id: &str) -> Result<CustodyWithdrawalRow, WithdrawError> {
        self.store.custody_withdrawal_held(id).await?;
        let row = self.withdrawal(id).await?;
        let to = if row.approvals_needed == 0 { S::Approved } else { S::AwaitingApproval };
        self.store.move_custody_withdrawal(id, &[S::Requested.as_str()], to.as_str(), None, self.gateway.now_ms()).await?;
        self.withdrawal(id).await
    }

    pub async fn withdrawal(&self, id: &str) -> Result<CustodyWithdrawalRow, WithdrawError> {
        self.store.custody_withdrawal(id).await?.ok_or_else(|| WithdrawError::NotFound(format!("no withdrawal {id}")))
    }

    /// A staff member's approval; the last one needed approves it. Nobody approves their own
    /// request or twice.
    pub async fn approve_withdrawal(&self, id: &str, staff_id: u64, staff_email: &str) -> Result<CustodyWithdrawalRow, WithdrawError> {
        let row = self.withdrawal(id).await?;
        if status(&row)? != S::AwaitingApproval {
            return Err(WithdrawError::Conflict(format!("withdrawal {id} is {}, not awaiting approval", row.status)));
        }
        let owner = self.store.web_account_of_user(UserId(row.user_id as u32)).await?;
        if owner.is_some_and(|a| a.email.eq_ignore_ascii_case(staff_email)) {
            return Err(WithdrawError::Conflict("nobody approves their own withdrawal".into()));
        }
        if !self.store.add_custody_approval(id, staff_id, staff_email, self.gateway.now_ms()).await? {
            return Err(WithdrawError::Conflict("you already approved this withdrawal".into()));
        }
        if self.store.custody_approvals(id).await?.len() as u64 >= row.approvals_needed {
            self.store.move_custody_withdrawal(id, &[S::AwaitingApproval.as_str()], S::Approved.as_str(), None, self.gateway.now_ms()).await?;
        }
        self.withdrawal(id).await
    }

    /// Staff reject (or the customer cancels) a withdrawal not yet signed: the hold is released.
    pub async fn stop_withdrawal(&self, id: &str, to: S, reason: &str) -> Result<CustodyWithdrawalRow, WithdrawError> {
        assert!(matches!(to, S::Rejected | S::Cancelled), "a stop ends in rejected or cancelled");
        let row = self.withdrawal(id).await?;
        let from: Vec<&str> = S::ALL.into_iter().filter(|s| s.can_stop()).map(S::as_str).collect();
        if !self.store.move_custody_withdrawal(id, &from, to.as_str(), Some(reason), self.gateway.now_ms()).await? {
            return Err(WithdrawError::Conflict(format!("withdrawal {id} is {} and can no longer be stopped", row.status)));
        }
        self.engine_command(Command::WithdrawalRelease { withdrawal_id: ExternalId(id.into()) }).await?;
        self.withdrawal(id).await
    }

    pub(crate) async fn engine_command(&self, command: Command) -> Result<(), WithdrawError> {
        match self.gateway.execute(command).await {
            Ok(_) => Ok(()),
            Err(Refusal::Engine(reason)) => Err(WithdrawError::Engine(reason)),
            Err(Refusal::Gateway(e)) => Err(WithdrawError::Unavailable(e.message.into_owned())),
        }
    }

    /// Signs an approved withdrawal and records the transaction, without broadcasting it.
    pub async fn sign_withdrawal(&self, id: &str) -> Result<CustodyWithdrawalRow, WithdrawError> {
        let row = self.withdrawal(id).await?;
        if status(&row)? != S::Approved || row.raw_tx.is_some() {
            return Err(WithdrawError::Conflict(format!("withdrawal {id} is {}, not approved and unsigned", row.status)));
        }
        let n = self.network(&row.network).map_err(|e| WithdrawError::Unavailable(e.to_string()))?;
        if n.config.is_evm() {
            return self.sign_evm_withdrawal(&row, n).await;
        }
        let (signer, hot_address) = self.hot_signer(n).await?;
        let rpc = n.config.bitcoin_rpc();
        let utxos = rpc.unspent(&hot_address).await?;
        let reserved = self.store.custody_reserved_inputs(&row.network).await?;
        let send = row.amount_units - row.fee_units;
        let plan = crate::payout::plan(&utxos, &reserved, send, n.config.fee_rate_units_per_vb).map_err(WithdrawError::Unavailable)?;
        let destination = script_of_address(&row.address, &n.config.hrp).ok_or(WithdrawError::Refused(CryptoRefusal::InvalidAddress))?;
        let (tx, prevouts) = crate::payout::build(&plan, destination, signer.script_pubkey()).map_err(WithdrawError::Unavailable)?;
        let tx = signer.sign(tx, &prevouts).map_err(WithdrawError::Unavailable)?;
        let inputs: Vec<String> = plan.inputs.iter().map(crate::payout::Utxo::outpoint).collect();
        let txid = tx.compute_txid().to_string();
        if !self.store.record_signed_custody_withdrawal(id, &txid, &serialize_hex(&tx), &inputs.join(","), plan.fee_units, self.gateway.now_ms()).await? {
            return Err(WithdrawError::Conflict(format!("withdrawal {id} changed while it was being signed; nothing was sent")));
        }
        crate::crash::point("custody-signed");
        self.withdrawal(id).await
    }

    /// Broadcasts a signed withdrawal's recorded transaction (again, if need be).
    pub async fn broadcast_withdrawal(&self, id: &str) -> Result<CustodyWithdrawalRow, WithdrawError> {
        let row = self.withdrawal(id).await?;
        let raw = row.raw_tx.as_deref().ok_or_else(|| WithdrawError::Conflict(format!("withdrawal {id} has no signed transaction")))?;
        let n = self.network(&row.network).map_err(|e| WithdrawError::Unavailable(e.to_string()))?;
        if n.config.is_evm() {
            if status(&row)? != S::Signed {
                return Err(WithdrawError::Conflict(format!("withdrawal {id} is {}, not signed", row.status)));
            }
            return self.send_evm_withdrawal(&row, n).await;
        }
        n.config.bitcoin_rpc().broadcast(raw).await?;
        self.store.move_custody_withdrawal(id, &[S::Signed.as_str()], S::Broadcast.as_str(), None, self.gateway.now_ms()).await?;
        crate::crash::point("custody-broadcast");
        self.withdrawal(id).await
    }

    /// One pass over a network's withdrawals: requests whose hold's outcome is unknown asked
    /// again, approved ones signed and sent, signed ones (a crash or a timeout in between) sent
    /// again as recorded, broadcast ones followed to their confirmations and settled. One
    /// withdrawal's trouble is logged and does not hold up the others. Returns how many were
    /// settled.
    pub async fn process_withdrawals(&self, network: &str) -> Result<usize, WithdrawError> {
        let n = self.network(network).map_err(|e| WithdrawError::Unavailable(e.to_string()))?;
        let id = n.config.network.clone();
        let now = self.gateway.now_ms();
        for row in self.store.custody_withdrawals_in(&id, &[S::Requested.as_str()]).await? {
            // A request in flight is its handler's; one left behind (a crash, a timeout) is ours.
            if !row.engine_held && now.saturating_sub(row.created_ms) >= UNKNOWN_HOLD_AFTER_MS {
                if let Err(e) = self.recover_hold(&row).await {
                    tracing::warn!("custody {id}: withdrawal {} hold not recovered yet: {e}", row.id);
                }
            }
        }
        for row in self.store.custody_withdrawals_in(&id, &[S::Approved.as_str()]).await? {
            if let Err(e) = self.sign_withdrawal(&row.id).await {
                tracing::warn!("custody {id}: withdrawal {} waits: {e}", row.id);
            }
        }
        for row in self.store.custody_withdrawals_in(&id, &[S::Signed.as_str()]).await? {
            if let Err(e) = self.broadcast_withdrawal(&row.id).await {
                tracing::warn!("custody {id}: withdrawal {} not sent yet: {e}", row.id);
            }
        }
        if n.config.is_evm() {
            return self.follow_evm_withdrawals(n).await;
        }
        let rpc = n.config.bitcoin_rpc();
        let mut settled = 0;
        for row in self.store.custody_withdrawals_in(&id, &[S::Broadcast.as_str()]).await? {
            let Some(txid) = row.txid.as_deref() else { continue };
            let confirmations = match rpc.tx_state(txid).await? {
                TxState::Known { confirmations } => confirmations,
                // Dropped from the mempool: send the same bytes again.
                TxState::Unknown => {
                    rpc.broadcast(row.raw_tx.as_deref().unwrap_or_default()).await?;
                    0
                }
            };
            if confirmations != row.confirmations {
                self.store.set_custody_withdrawal_confirmations(&row.id, confirmations, self.gateway.now_ms()).await?;
            }
            if confirmations >= u64::from(n.config.min_confirmations()) {
                if let Err(e) = self.engine_command(Command::WithdrawalSettle { withdrawal_id: ExternalId(row.id.clone()) }).await {
                    tracing::error!("custody {id}: withdrawal {} confirmed but not settled: {e}", row.id);
                    continue;
                }
                self.store.move_custody_withdrawal(&row.id, &[S::Broadcast.as_str()], S::Completed.as_str(), None, self.gateway.now_ms()).await?;
                settled += 1;
            }
        }
        Ok(settled)
    }

    /// Asks the engine again for the hold of a request whose first answer was lost (keyed by
    /// the withdrawal's id: a hold that did happen is answered as a duplicate). Held: it goes
    /// on to approval; refused: the request ends, having held nothing.
    async fn recover_hold(&self, row: &CustodyWithdrawalRow) -> Result<(), WithdrawError> {
        let asset = self.gateway.read.asset_id(&row.asset).ok_or_else(|| WithdrawError::Unavailable(format!("{} is not listed", row.asset)))?;
        let user = UserId(u32::try_from(row.user_id).map_err(|_| WithdrawError::Unavailable(format!("user id {} out of range", row.user_id)))?);
        let hold = Command::WithdrawalHold {
            user,
            asset,
            amount: Amount(row.amount_units - row.fee_units),
            fee: Amount(row.fee_units),
            withdrawal_id: ExternalId(row.id.clone()),
        };
        match self.engine_command(hold).await {
            Ok(()) => self.after_hold(&row.id).await.map(|_| ()),
            Err(WithdrawError::Engine(reason)) => {
                let why = format!("the engine refused the hold: {reason:?}");
                self.store.move_custody_withdrawal(&row.id, &[S::Requested.as_str()], S::Rejected.as_str(), Some(&why), self.gateway.now_ms()).await?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// `<NETWORK>WD<ms><4 random digits>`.
fn new_id(network: &str, now_ms: u64) -> String {
    let mut bytes = [0u8; 2];
    getrandom::getrandom(&mut bytes).expect("the OS random source");
    format!("{network}WD{now_ms}{:04}", u16::from_le_bytes(bytes) % 10_000)
}
