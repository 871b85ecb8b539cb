//! Staff actions on bank lines that could not be applied by themselves: credit to a customer,
//! refund to the payer, or return to the sending bank. One staff member proposes, another
//! approves (four eyes); only the approval moves money.

use super::ingest::line_of;
use super::{FundsError, Service, StaffActor};
use talat_funds::approval::{Person, Signer, Tier};
use talat_funds::lifecycle::DepositStatus;
use talat_store::{ExceptionRow, Transition};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionAction {
    Credit,
    Refund,
    Return,
    /// Nothing moves: the reason records how it was settled (a reconciliation difference
    /// explained, an unmatched debit identified, a callback the bank confirmed otherwise).
    /// Not for money that came in: that is credited, refunded or returned.
    Close,
}

impl ExceptionAction {
    pub fn parse(text: &str) -> Option<ExceptionAction> {
        match text {
            "credit" => Some(ExceptionAction::Credit),
            "refund" => Some(ExceptionAction::Refund),
            "return" => Some(ExceptionAction::Return),
            "close" => Some(ExceptionAction::Close),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionAction::Credit => "credit",
            ExceptionAction::Refund => "refund",
            ExceptionAction::Return => "return",
            ExceptionAction::Close => "close",
        }
    }
}

impl Service<'_> {
    pub async fn exception(&self, id: u64) -> Result<ExceptionRow, FundsError> {
        self.store.fiat_exception(id).await?.ok_or_else(|| FundsError::not_found(format!("no exception {id}")))
    }

    /// Proposes what to do; a credit names the customer by email.
    pub async fn propose_exception(
        &self,
        staff: &StaffActor,
        id: u64,
        action: ExceptionAction,
        email: Option<&str>,
        reason: &str,
    ) -> Result<ExceptionRow, FundsError> {
        if !staff.may_approve {
            return Err(FundsError::forbidden("your role may not act on funds exceptions"));
        }
        let row = self.exception(id).await?;
        if row.status == "resolved" {
            return Err(FundsError::conflict("this exception is resolved"));
        }
        let line = self.store.bank_line(&row.reference).await?;
        let money_in = line.as_ref().is_some_and(|l| l.direction == "credit");
        match action {
            ExceptionAction::Credit | ExceptionAction::Refund | ExceptionAction::Return if !money_in => {
                return Err(FundsError::invalid("action", "only money that came in can be credited, refunded or returned; close this one with a reason"));
            }
            ExceptionAction::Close if money_in => {
                return Err(FundsError::invalid("action", "money that came in is credited, refunded or returned, not closed"));
            }
            _ => {}
        }
        let account_id = match (action, email.map(str::trim).filter(|e| !e.is_empty())) {
            (ExceptionAction::Credit, Some(email)) => {
                let account = self
                    .store
                    .web_account_by_email(&email.to_ascii_lowercase())
                    .await?
                    .ok_or_else(|| FundsError::invalid("user_email", "no customer has this email address"))?;
                Some(account.id)
            }
            (ExceptionAction::Credit, None) => return Err(FundsError::invalid("user_email", "a credit needs the customer's email address")),
            _ => None,
        };
        if reason.trim().is_empty() {
            return Err(FundsError::invalid("reason", "give a reason"));
        }
        self.store.propose_fiat_exception(id, action.as_str(), account_id, reason.trim(), staff.id, &staff.email, self.now_ms()).await?;
        self.exception(id).await
    }

    /// A second staff member approves the proposal, which is then carried out.
    pub async fn approve_exception(&self, staff: &StaffActor, id: u64) -> Result<ExceptionRow, FundsError> {
        let row = self.exception(id).await?;
        let (Some(action), Some(proposed_by), Some(proposed_ms)) =
            (row.proposal_action.as_deref().and_then(ExceptionAction::parse), row.proposed_by, row.proposed_ms)
        else {
            return Err(FundsError::conflict("nothing is proposed for this exception yet"));
        };
        if row.status != "proposed" {
            return Err(FundsError::conflict(format!("this exception is {}", row.status)));
        }
        let proposer = Person { staff_id: Some(proposed_by), email: row.proposed_by_email.clone().unwrap_or_default() };
        let signer = Signer { person: Person { staff_id: Some(staff.id), email: staff.email.clone() }, may_approve: staff.may_approve, may_check: false };
        Tier { approvers: 1, checker: false }.sign(&proposer, &[], &signer).map_err(FundsError::approval)?;
        if !self.store.resolve_fiat_exception(id, proposed_ms, staff.id, &staff.email, self.now_ms()).await? {
            return Err(FundsError::conflict("the proposal changed meanwhile; reload it"));
        }
        self.carry_out(&row, action, &staff.email).await?;
        self.exception(id).await
    }

    async fn carry_out(&self, row: &ExceptionRow, action: ExceptionAction, actor: &str) -> Result<(), FundsError> {
        if action == ExceptionAction::Close {
            return Ok(());
        }
        let line = self.store.bank_line(&row.reference).await?.ok_or_else(|| FundsError::unavailable("the exception's bank line vanished"))?;
        let now = self.now_ms();
        match action {
            ExceptionAction::Credit => {
                let account_id = row.proposal_account_id.ok_or_else(|| FundsError::unavailable("a credit proposal without a customer"))?;
                let account = self.store.web_account(account_id).await?.ok_or_else(|| FundsError::unavailable("the customer vanished"))?;
                self.credit(u64::from(account.user.0), &line_of(&line)).await?;
                if let Some(intent) = row.intent_id.as_deref() {
                    let t = Transition {
                        id: intent,
                        from: &["exception"],
                        to: DepositStatus::Credited.as_str(),
                        note: "credited by staff (four eyes)",
                        actor,
                        now_ms: now,
                    };
                    self.store.transition_deposit(&t, Some(&line.reference)).await?;
                }
                self.store.set_line_outcome(&line.reference, "credited", row.intent_id.as_deref()).await?;
            }
            ExceptionAction::Close => {}
            ExceptionAction::Refund | ExceptionAction::Return => {
                if let Some(intent) = row.intent_id.as_deref() {
                    let note = format!("{} to the payer (four eyes)", if action == ExceptionAction::Refund { "refunded" } else { "returned" });
                    let t = Transition { id: intent, from: &["exception"], to: DepositStatus::Refunded.as_str(), note: &note, actor, now_ms: now };
                    self.store.transition_deposit(&t, None).await?;
                }
                self.store.set_line_outcome(&line.reference, action.as_str(), None).await?;
            }
        }
        Ok(())
    }
}
