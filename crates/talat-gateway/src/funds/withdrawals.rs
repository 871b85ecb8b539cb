//! THB withdrawals: a request is checked (`talat-funds::limits`), recorded, then held by the
//! engine; approvals follow the tier (maker-checker); a rejection or the customer's cancel
//! releases the hold. The row is written before the engine is asked, and `engine_done` says
//! whether the engine has done what the row's status needs, so [`Service::recover_withdrawals`]
//! can finish after a crash without doing anything twice (every engine command is keyed by the
//! withdrawal id).

use super::{Customer, FundsError, Service, StaffActor};
use talat_core::{Amount, Command, ExternalId, UserId};
use talat_funds::approval::{ApprovalKind, Person, Signature, Signer};
use talat_funds::lifecycle::{EngineEffect, WithdrawalEvent, WithdrawalStatus};
use talat_funds::limits::{Destination, WithdrawalRequest};
use talat_store::{ApprovalRow, FiatWithdrawalRow, Transition};

/// The statuses a customer's one pending withdrawal can be in.
pub fn pending_statuses() -> Vec<&'static str> {
    WithdrawalStatus::ALL.into_iter().filter(|s| s.is_pending()).map(WithdrawalStatus::as_str).collect()
}

fn status_of(row: &FiatWithdrawalRow) -> Result<WithdrawalStatus, FundsError> {
    WithdrawalStatus::parse(&row.status).ok_or_else(|| FundsError::unavailable(format!("withdrawal {} has an unknown status {}", row.id, row.status)))
}

impl Service<'_> {
    /// A new withdrawal of `amount_satang` (the fee included: the customer receives the amount
    /// less the fee) to the customer's bank account `bank_account_id`. `second_factor_ok`: the
    /// web app checked a 2FA code, or an API key with withdraw permission made the request.
    pub async fn request_withdrawal(
        &self,
        c: &Customer,
        bank_account_id: u64,
        amount_satang: u64,
        second_factor_ok: bool,
        source: &str,
    ) -> Result<FiatWithdrawalRow, FundsError> {
        let now = self.now_ms();
        let account = self.store.bank_account(bank_account_id).await?.filter(|a| a.account_id == c.account_id);
        let account = account.ok_or_else(|| FundsError::no_bank_account("no such bank account is registered for you"))?;
        let pending = self.store.fiat_withdrawals_of(c.account_id, 20).await?.iter().filter(|w| pending_statuses().contains(&w.status.as_str())).count();
        let hits = self.store.screening_hits_of_account(c.account_id, 50).await?;
        let request = WithdrawalRequest {
            amount_satang,
            now_ms: now,
            pending_withdrawals: pending,
            destination: Destination { verified_at_ms: account.verified_ms, rejected: account.status == "rejected", name_matches_owner: account.name_matches },
            security_changed_at_ms: self.store.security_changed_ms(c.account_id).await?,
            account_locked: c.locked,
            sanctions_hit: hits.iter().any(|h| h.status == "open" || h.status == "confirmed"),
            second_factor_ok,
        };
        self.config().limits.check_withdrawal(&request).map_err(FundsError::refused)?;
        let asset = self.fiat_asset()?;
        let fee = self.config().limits.fee();
        let row = FiatWithdrawalRow {
            id: self.new_id("THBWD"),
            account_id: c.account_id,
            user_id: u64::from(c.user.0),
            bank_account_id,
            amount_satang,
            fee_satang: fee,
            status: WithdrawalStatus::Requested.as_str().into(),
            reason: None,
            source: source.into(),
            engine_done: false,
            created_ms: now,
            updated_ms: now,
            batch_id: None,
            bank_ref: None,
        };
        if !self.store.insert_fiat_withdrawal(&row, &c.email).await? {
            return Err(FundsError::refused(talat_funds::limits::Refusal::PendingExists));
        }
        let hold =
            Command::WithdrawalHold { user: c.user, asset, amount: Amount(amount_satang - fee), fee: Amount(fee), withdrawal_id: ExternalId(row.id.clone()) };
        if let Err(refusal) = self.gw.execute(hold).await {
            let error = FundsError::from(refusal);
            // Only an engine refusal is known to have held nothing; anything else is left for
            // recovery, which asks the engine again (the hold is keyed by the id).
            if error.kind == super::ErrorKind::Rejected {
                self.store.delete_unheld_withdrawal(&row.id).await?;
            }
            return Err(error);
        }
        self.store.fiat_withdrawal_engine_done(&row.id).await?;
        self.after_hold(&row).await
    }

    /// Held: checks passed, and approved at once when its tier needs nobody.
    async fn after_hold(&self, row: &FiatWithdrawalRow) -> Result<FiatWithdrawalRow, FundsError> {
        let now = self.now_ms();
        let to = WithdrawalStatus::Requested.next(WithdrawalEvent::ChecksPassed).map_err(|e| FundsError::conflict(e.to_string()))?;
        let t = Transition { id: &row.id, from: &["requested", "awaiting_2fa"], to: to.as_str(), note: "held; checks passed", actor: "system", now_ms: now };
        self.store.transition_withdrawal(&t, None, None).await?;
        if self.config().approval.tier(row.amount_satang).is_complete(&[]) {
            let t = Transition {
                id: &row.id,
                from: &["awaiting_approval"],
                to: "approved",
                note: "approved automatically (below the approval threshold)",
                actor: "system",
                now_ms: now,
            };
            self.store.transition_withdrawal(&t, None, None).await?;
        }
        self.withdrawal(&row.id).await
    }

    /// What the customer withdrew in THB today (Bangkok), fee included, not released: what the
    /// day's budget shows as used.
    pub async fn withdrawn_today_satang(&self, account_id: u64) -> Result<u64, FundsError> {
        let now = self.now_ms();
        let today_start = talat_core::calendar::bangkok_midnight_ms(talat_core::calendar::bangkok_days(now) as i64);
        Ok(self.store.fiat_withdrawn_since(account_id, today_start).await?)
    }

    pub async fn withdrawal(&self, id: &str) -> Result<FiatWithdrawalRow, FundsError> {
        self.store.fiat_withdrawal(id).await?.ok_or_else(|| FundsError::not_found(format!("no withdrawal {id}")))
    }

    /// One staff signature; the withdrawal is approved when its tier is complete.
    pub async fn approve_withdrawal(&self, staff: &StaffActor, id: &str) -> Result<FiatWithdrawalRow, FundsError> {
        let row = self.withdrawal(id).await?;
        if status_of(&row)? != WithdrawalStatus::AwaitingApproval {
            return Err(FundsError::conflict(format!("the withdrawal is {}, not awaiting approval", row.status)));
        }
        let requester = self.store.web_account(row.account_id).await?.map(|a| a.email).unwrap_or_default();
        let requester = Person { staff_id: None, email: requester };
        let tier = self.config().approval.tier(row.amount_satang);
        let signatures = self.signatures(id).await?;
        let signer =
            Signer { person: Person { staff_id: Some(staff.id), email: staff.email.clone() }, may_approve: staff.may_approve, may_check: staff.may_check };
        let kind = tier.sign(&requester, &signatures, &signer).map_err(FundsError::approval)?;
        let approval =
            ApprovalRow { withdrawal_id: id.into(), staff_id: staff.id, staff_email: staff.email.clone(), kind: kind.as_str().into(), at_ms: self.now_ms() };
        if !self.store.add_withdrawal_approval(&approval).await? {
            return Err(FundsError::approval(talat_funds::approval::ApprovalError::AlreadySigned));
        }
        if tier.is_complete(&self.signatures(id).await?) {
            let t = Transition { id, from: &["awaiting_approval"], to: "approved", note: "fully approved", actor: &staff.email, now_ms: self.now_ms() };
            self.store.transition_withdrawal(&t, None, None).await?;
        }
        self.withdrawal(id).await
    }

    pub async fn signatures(&self, id: &str) -> Result<Vec<Signature>, FundsError> {
        Ok(self
            .store
            .withdrawal_approvals(id)
            .await?
            .into_iter()
            .map(|a| Signature {
                by: Person { staff_id: Some(a.staff_id), email: a.staff_email },
                kind: ApprovalKind::parse(&a.kind).unwrap_or(ApprovalKind::Approver),
            })
            .collect())
    }

    /// Staff refuse it before payout; the hold is released.
    pub async fn reject_withdrawal(&self, staff: &StaffActor, id: &str, reason: &str) -> Result<FiatWithdrawalRow, FundsError> {
        let row = self.withdrawal(id).await?;
        let from = status_of(&row)?;
        from.next(WithdrawalEvent::Rejected).map_err(|e| FundsError::conflict(e.to_string()))?;
        let t = Transition { id, from: &[from.as_str()], to: "rejected", note: reason, actor: &staff.email, now_ms: self.now_ms() };
        if !self.store.transition_withdrawal(&t, Some(reason), None).await? {
            return Err(FundsError::conflict("the withdrawal changed meanwhile; reload it"));
        }
        self.finish_engine(id).await?;
        self.withdrawal(id).await
    }

    /// The customer cancels before approval; the hold is released.
    pub async fn cancel_withdrawal(&self, c: &Customer, id: &str) -> Result<FiatWithdrawalRow, FundsError> {
        let row = self
            .store
            .fiat_withdrawal(id)
            .await?
            .filter(|w| w.account_id == c.account_id)
            .ok_or_else(|| FundsError::not_found(format!("no withdrawal {id}")))?;
        let from = status_of(&row)?;
        if !from.customer_can_cancel() {
            return Err(FundsError::conflict(format!("a withdrawal that is {} can no longer be cancelled", from.as_str().replace('_', " "))));
        }
        let t = Transition { id, from: &[from.as_str()], to: "cancelled", note: "cancelled by the customer", actor: &c.email, now_ms: self.now_ms() };
        if !self.store.transition_withdrawal(&t, Some("cancelled by the customer"), None).await? {
            return Err(FundsError::conflict("the withdrawal changed meanwhile; reload it"));
        }
        self.finish_engine(id).await?;
        self.withdrawal(id).await
    }

    /// Tells the engine what the withdrawal's status needs (settle, release), once.
    pub(crate) async fn finish_engine(&self, id: &str) -> Result<(), FundsError> {
        let row = self.withdrawal(id).await?;
        let withdrawal_id = ExternalId(id.to_string());
        let command = match status_of(&row)?.engine_effect() {
            EngineEffect::Settle => Command::WithdrawalSettle { withdrawal_id },
            EngineEffect::Release => Command::WithdrawalRelease { withdrawal_id },
            EngineEffect::None => return Ok(()),
        };
        match self.gw.execute(command).await {
            Ok(_) => {}
            // Never held (a request refused before its hold was recorded): nothing to undo.
            Err(crate::Refusal::Engine(talat_core::RejectReason::UnknownWithdrawal)) => tracing::warn!("funds: withdrawal {id} had no engine hold"),
            Err(other) => return Err(other.into()),
        }
        self.store.fiat_withdrawal_engine_done(id).await?;
        Ok(())
    }

    /// After a restart: every withdrawal whose engine step did not finish is finished (holds
    /// asked again, settles and releases re-issued; each is idempotent), and every payout left
    /// `processing` is looked up. Returns how many rows it touched.
    pub async fn recover_withdrawals(&self) -> Result<u64, FundsError> {
        let mut n = 0;
        for row in self.store.fiat_withdrawals_engine_pending().await? {
            n += 1;
            if status_of(&row)? != WithdrawalStatus::Requested {
                self.finish_engine(&row.id).await?;
                continue;
            }
            let asset = self.fiat_asset()?;
            let user = UserId(u32::try_from(row.user_id).map_err(|_| FundsError::unavailable("user id out of range"))?);
            let hold = Command::WithdrawalHold {
                user,
                asset,
                amount: Amount(row.amount_satang - row.fee_satang),
                fee: Amount(row.fee_satang),
                withdrawal_id: ExternalId(row.id.clone()),
            };
            match self.gw.execute(hold).await {
                Ok(_) => {
                    self.store.fiat_withdrawal_engine_done(&row.id).await?;
                    self.after_hold(&row).await?;
                }
                Err(crate::Refusal::Engine(reason)) => {
                    let note = format!("refused on recovery: {}", FundsError::engine(reason).message);
                    let t = Transition { id: &row.id, from: &["requested"], to: "rejected", note: &note, actor: "system", now_ms: self.now_ms() };
                    self.store.transition_withdrawal(&t, Some(&note), None).await?;
                    self.store.fiat_withdrawal_engine_done(&row.id).await?;
                }
                Err(other) => return Err(other.into()),
            }
        }
        n += self.resolve_unknown_payouts().await?;
        Ok(n)
    }
}
