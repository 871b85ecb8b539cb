//! Deposit intents: the customer says how much they will pay and gets a single-use Thai QR
//! (bill payment, tag 30: Ref1 = their customer code, Ref2 = the intent id) that expires.

use super::{Customer, FundsError, Service};
use talat_funds::lifecycle::DepositStatus;
use talat_funds::promptpay::{generate, Payload, Target};
use talat_store::FiatDepositRow;

/// The most intents a customer may have waiting for payment at once: each is a QR someone
/// may still pay, and the matcher reads every open one.
pub const MAX_OPEN_INTENTS: usize = 5;

impl Service<'_> {
    /// Issues a deposit intent for `amount_satang`.
    pub async fn create_deposit(&self, c: &Customer, amount_satang: u64) -> Result<FiatDepositRow, FundsError> {
        if c.locked {
            return Err(FundsError { v4_code: "B1016-CW", ..FundsError::forbidden("deposits to this account are frozen; contact support") });
        }
        self.fiat_asset()?;
        self.config().limits.check_deposit(amount_satang).map_err(FundsError::refused)?;
        let now = self.now_ms();
        let open = self
            .store
            .fiat_deposits_of(c.account_id, 50)
            .await?
            .into_iter()
            .filter(|d| d.status == DepositStatus::AwaitingPayment.as_str() && d.expires_ms >= now)
            .count();
        if open >= MAX_OPEN_INTENTS {
            return Err(FundsError::conflict(format!("you have {open} unpaid deposit QR codes; pay or let one expire first")));
        }
        let id = self.new_id("DEP");
        let payload = Payload {
            target: Target::BillPayment { biller_id: self.config().biller_id.clone(), ref1: c.code(), ref2: Some(id.clone()) },
            amount_satang: Some(amount_satang),
        };
        let qr_payload = generate(&payload).map_err(|e| FundsError::unavailable(format!("the QR could not be made: {e}")))?;
        let row = FiatDepositRow {
            id,
            account_id: c.account_id,
            user_id: u64::from(c.user.0),
            customer_code: c.code(),
            amount_satang,
            status: DepositStatus::AwaitingPayment.as_str().into(),
            qr_payload,
            created_ms: now,
            expires_ms: now + self.config().limits.deposit_expiry_ms,
            credited_ms: None,
            bank_ref: None,
        };
        self.store.insert_fiat_deposit(&row, &c.email).await?;
        Ok(row)
    }
}
