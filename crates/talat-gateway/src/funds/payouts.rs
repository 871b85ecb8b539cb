//! Paying approved withdrawals out. A batch is written and stored, and its withdrawals moved to
//! `processing`, in one transaction before anything leaves; then the rail sends it. The rail is a
//! trait so a bank's API can replace the default, the payout file staff hand to the bank. A
//! withdrawal whose result the rail could not tell is `unknown_outcome` and is resolved by
//! [`PayoutRail::lookup`] (or by the statement's debit line), never by sending again.

use super::{FundsError, Service, StaffActor};
use talat_funds::lifecycle::{WithdrawalEvent, WithdrawalStatus};
use talat_funds::payout::{write_batch, PayoutLine, MAX_LINES};
use talat_store::{PayoutBatchRow, Transition};

/// What the rail says of one line it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendResult {
    Accepted,
    Refused(String),
    /// The connection broke, the bank timed out: the line may or may not be paid.
    Unknown,
}

/// What a lookup finds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupResult {
    Paid,
    NotPaid(String),
    Unknown,
}

/// How payouts leave the exchange. Implementations do blocking I/O; the service calls them on
/// a blocking thread.
pub trait PayoutRail: Send + Sync {
    fn name(&self) -> &'static str;
    /// Hands a stored batch over; one result per line, in order.
    fn send(&self, batch: &PayoutBatchRow, lines: &[PayoutLine]) -> Vec<SendResult>;
    /// Whether the bank paid `withdrawal_id` of `batch_id`.
    fn lookup(&self, batch_id: &str, withdrawal_id: &str) -> LookupResult;
}

/// The payout file: stored with the batch, downloaded by staff from the console and uploaded
/// to the bank's portal. Handing it over cannot fail once it is stored, so every line is
/// accepted and a lookup finds it paid; the statement's debit completes each.
pub struct FileRail;

impl PayoutRail for FileRail {
    fn name(&self) -> &'static str {
        "file"
    }

    fn send(&self, _batch: &PayoutBatchRow, lines: &[PayoutLine]) -> Vec<SendResult> {
        vec![SendResult::Accepted; lines.len()]
    }

    fn lookup(&self, _batch_id: &str, _withdrawal_id: &str) -> LookupResult {
        LookupResult::Paid
    }
}

impl Service<'_> {
    /// A batch of every approved withdrawal (at most [`MAX_LINES`]); `None` if none is approved.
    pub async fn create_payout_batch(&self, staff: &StaffActor) -> Result<Option<PayoutBatchRow>, FundsError> {
        let approved: Vec<_> = self.store.fiat_withdrawals_in(&[WithdrawalStatus::Approved.as_str()]).await?.into_iter().take(MAX_LINES).collect();
        if approved.is_empty() {
            return Ok(None);
        }
        let mut lines = Vec::with_capacity(approved.len());
        for w in &approved {
            let account =
                self.store.bank_account(w.bank_account_id).await?.ok_or_else(|| FundsError::unavailable(format!("the bank account of {} vanished", w.id)))?;
            lines.push(PayoutLine {
                withdrawal_id: w.id.clone(),
                bank_code: account.bank_code,
                account_no: account.account_no,
                account_name: account.holder_name,
                amount_satang: w.amount_satang - w.fee_satang,
            });
        }
        let id = self.new_id("PB");
        let content = write_batch(&id, &lines);
        let batch = PayoutBatchRow {
            id,
            created_ms: self.now_ms(),
            created_by: staff.id,
            created_by_email: staff.email.clone(),
            line_count: lines.len() as u64,
            total_satang: lines.iter().map(|l| l.amount_satang).sum(),
            content,
        };
        let ids: Vec<String> = approved.iter().map(|w| w.id.clone()).collect();
        if self.store.insert_payout_batch(&batch, &ids).await?.is_empty() {
            return Err(FundsError::conflict("a withdrawal changed while the batch was made; try again"));
        }
        self.send_batch(&batch, &lines).await?;
        Ok(Some(batch))
    }

    async fn send_batch(&self, batch: &PayoutBatchRow, lines: &[PayoutLine]) -> Result<(), FundsError> {
        let rail = std::sync::Arc::clone(&self.funds.rail);
        let (b, l) = (batch.clone(), lines.to_vec());
        let results =
            tokio::task::spawn_blocking(move || rail.send(&b, &l)).await.map_err(|e| FundsError::unavailable(format!("the payout rail failed: {e}")))?;
        for (line, result) in lines.iter().zip(results.iter().chain(std::iter::repeat(&SendResult::Unknown))) {
            let (event, note) = match result {
                SendResult::Accepted => (WithdrawalEvent::PayoutAccepted, format!("sent by {}", self.funds.rail.name())),
                SendResult::Refused(why) => (WithdrawalEvent::LookupNotPaid, format!("the bank refused the payout: {why}")),
                SendResult::Unknown => (WithdrawalEvent::PayoutOutcomeUnknown, "the payout's result is unknown; it will be looked up".to_string()),
            };
            self.move_payout(&line.withdrawal_id, event, &note).await?;
        }
        Ok(())
    }

    /// Moves a payout on by `event` from wherever it is; releases the hold if it was not paid.
    async fn move_payout(&self, id: &str, event: WithdrawalEvent, note: &str) -> Result<(), FundsError> {
        let row = self.withdrawal(id).await?;
        let from = WithdrawalStatus::parse(&row.status).unwrap_or(WithdrawalStatus::Processing);
        let Ok(to) = from.next(event) else { return Ok(()) };
        let reason = (to == WithdrawalStatus::Rejected).then_some(note);
        let t = Transition { id, from: &[from.as_str()], to: to.as_str(), note, actor: self.funds.rail.name(), now_ms: self.now_ms() };
        if self.store.transition_withdrawal(&t, reason, None).await? {
            self.finish_engine(id).await?;
        }
        Ok(())
    }

    /// Looks up every payout whose result is not known (left `processing` by a crash, or
    /// `unknown_outcome`). Returns how many it looked up.
    pub async fn resolve_unknown_payouts(&self) -> Result<u64, FundsError> {
        let open = self.store.fiat_withdrawals_in(&[WithdrawalStatus::Processing.as_str(), WithdrawalStatus::UnknownOutcome.as_str()]).await?;
        for w in &open {
            let (rail, batch, id) = (std::sync::Arc::clone(&self.funds.rail), w.batch_id.clone().unwrap_or_default(), w.id.clone());
            let found = tokio::task::spawn_blocking(move || rail.lookup(&batch, &id))
                .await
                .map_err(|e| FundsError::unavailable(format!("the payout rail failed: {e}")))?;
            match found {
                LookupResult::Paid => self.move_payout(&w.id, WithdrawalEvent::LookupPaid, "a lookup found it paid").await?,
                LookupResult::NotPaid(why) => self.move_payout(&w.id, WithdrawalEvent::LookupNotPaid, &format!("a lookup found it not paid: {why}")).await?,
                LookupResult::Unknown => self.move_payout(&w.id, WithdrawalEvent::PayoutOutcomeUnknown, "still unknown after a lookup").await?,
            }
        }
        Ok(open.len() as u64)
    }
}
