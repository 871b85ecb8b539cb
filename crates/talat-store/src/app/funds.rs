//! Money in and out: customers' bank accounts, deposit intents, bank lines, exceptions,
//! withdrawals with their approvals and timeline, payout batches, statement imports and
//! reconciliations (migration 0007). Every state change is conditional on the state it leaves,
//! so two staff members or a retry racing each other change a row once; the caller learns
//! whether its change was the one that happened.

use crate::codec::{int, placeholders, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;

/// The most rows one list read returns.
pub const MAX_FUNDS_ROWS: i64 = 500;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankAccountRow {
    pub id: u64,
    pub account_id: u64,
    pub user_id: u64,
    pub bank_code: String,
    pub account_no: String,
    pub holder_name: String,
    pub name_matches: bool,
    pub status: String,
    pub verified_ms: Option<u64>,
    pub decided_by: Option<u64>,
    pub reason: Option<String>,
    pub created_ms: u64,
}

const BANK_ACCOUNT_COLUMNS: &str =
    "id, account_id, user_id, bank_code, account_no, holder_name, name_matches, status, verified_ms, decided_by, reason, created_ms";

impl BankAccountRow {
    fn read(row: &AnyRow) -> Result<BankAccountRow, StoreError> {
        let c = Cols::new(row, "fiat_bank_accounts");
        Ok(BankAccountRow {
            id: c.u64("id")?,
            account_id: c.u64("account_id")?,
            user_id: c.u64("user_id")?,
            bank_code: c.text("bank_code")?,
            account_no: c.text("account_no")?,
            holder_name: c.text("holder_name")?,
            name_matches: c.u64("name_matches")? == 1,
            status: c.text("status")?,
            verified_ms: c.opt_u64("verified_ms")?,
            decided_by: c.opt_u64("decided_by")?,
            reason: c.opt_text("reason")?,
            created_ms: c.u64("created_ms")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiatDepositRow {
    pub id: String,
    pub account_id: u64,
    pub user_id: u64,
    pub customer_code: String,
    pub amount_satang: u64,
    pub status: String,
    pub qr_payload: String,
    pub created_ms: u64,
    pub expires_ms: u64,
    pub credited_ms: Option<u64>,
    pub bank_ref: Option<String>,
}

const DEPOSIT_COLUMNS: &str = "id, account_id, user_id, customer_code, amount_satang, status, qr_payload, created_ms, expires_ms, credited_ms, bank_ref";

impl FiatDepositRow {
    fn read(row: &AnyRow) -> Result<FiatDepositRow, StoreError> {
        let c = Cols::new(row, "fiat_deposits");
        Ok(FiatDepositRow {
            id: c.text("id")?,
            account_id: c.u64("account_id")?,
            user_id: c.u64("user_id")?,
            customer_code: c.text("customer_code")?,
            amount_satang: c.u64("amount_satang")?,
            status: c.text("status")?,
            qr_payload: c.text("qr_payload")?,
            created_ms: c.u64("created_ms")?,
            expires_ms: c.u64("expires_ms")?,
            credited_ms: c.opt_u64("credited_ms")?,
            bank_ref: c.opt_text("bank_ref")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankLineRow {
    pub reference: String,
    pub source: String,
    pub direction: String,
    pub amount_satang: u64,
    pub booked_on: String,
    pub counterparty_name: Option<String>,
    pub counterparty_account: Option<String>,
    pub ref1: Option<String>,
    pub ref2: Option<String>,
    pub description: String,
    pub on_statement: bool,
    pub first_seen_ms: u64,
    pub statement_ms: Option<u64>,
    pub outcome: String,
    /// What the line was applied to: a deposit intent, a withdrawal, an exception id.
    pub subject: Option<String>,
}

const LINE_COLUMNS: &str = "reference, source, direction, amount_satang, booked_on, counterparty_name, counterparty_account, ref1, ref2, description, \
     on_statement, first_seen_ms, statement_ms, outcome, subject";

impl BankLineRow {
    fn read(row: &AnyRow) -> Result<BankLineRow, StoreError> {
        let c = Cols::new(row, "fiat_bank_lines");
        Ok(BankLineRow {
            reference: c.text("reference")?,
            source: c.text("source")?,
            direction: c.text("direction")?,
            amount_satang: c.u64("amount_satang")?,
            booked_on: c.text("booked_on")?,
            counterparty_name: c.opt_text("counterparty_name")?,
            counterparty_account: c.opt_text("counterparty_account")?,
            ref1: c.opt_text("ref1")?,
            ref2: c.opt_text("ref2")?,
            description: c.text("description")?,
            on_statement: c.u64("on_statement")? == 1,
            first_seen_ms: c.u64("first_seen_ms")?,
            statement_ms: c.opt_u64("statement_ms")?,
            outcome: c.text("outcome")?,
            subject: c.opt_text("subject")?,
        })
    }
}

/// What recording a line found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineSeen {
    /// First time: the caller applies it.
    New,
    /// Seen before and applied: nothing more to do (the row as it is now).
    Applied(BankLineRow),
    /// Seen before, but applying it did not finish (a crash): the caller applies it again.
    Unfinished(BankLineRow),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExceptionRow {
    pub id: u64,
    pub class: String,
    pub reference: String,
    pub intent_id: Option<String>,
    pub status: String,
    pub created_ms: u64,
    pub proposal_action: Option<String>,
    pub proposal_account_id: Option<u64>,
    pub proposal_reason: Option<String>,
    pub proposed_by: Option<u64>,
    pub proposed_by_email: Option<String>,
    pub proposed_ms: Option<u64>,
    pub resolved_by: Option<u64>,
    pub resolved_by_email: Option<String>,
    pub resolved_ms: Option<u64>,
}

const EXCEPTION_COLUMNS: &str = "id, class, reference, intent_id, status, created_ms, proposal_action, proposal_account_id, proposal_reason, proposed_by, \
     proposed_by_email, proposed_ms, resolved_by, resolved_by_email, resolved_ms";

impl ExceptionRow {
    fn read(row: &AnyRow) -> Result<ExceptionRow, StoreError> {
        let c = Cols::new(row, "fiat_exceptions");
        Ok(ExceptionRow {
            id: c.u64("id")?,
            class: c.text("class")?,
            reference: c.text("reference")?,
            intent_id: c.opt_text("intent_id")?,
            status: c.text("status")?,
            created_ms: c.u64("created_ms")?,
            proposal_action: c.opt_text("proposal_action")?,
            proposal_account_id: c.opt_u64("proposal_account_id")?,
            proposal_reason: c.opt_text("proposal_reason")?,
            proposed_by: c.opt_u64("proposed_by")?,
            proposed_by_email: c.opt_text("proposed_by_email")?,
            proposed_ms: c.opt_u64("proposed_ms")?,
            resolved_by: c.opt_u64("resolved_by")?,
            resolved_by_email: c.opt_text("resolved_by_email")?,
            resolved_ms: c.opt_u64("resolved_ms")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiatWithdrawalRow {
    pub id: String,
    pub account_id: u64,
    pub user_id: u64,
    pub bank_account_id: u64,
    pub amount_satang: u64,
    pub fee_satang: u64,
    pub status: String,
    pub reason: Option<String>,
    pub source: String,
    pub engine_done: bool,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub batch_id: Option<String>,
    pub bank_ref: Option<String>,
}

const WITHDRAWAL_COLUMNS: &str =
    "id, account_id, user_id, bank_account_id, amount_satang, fee_satang, status, reason, source, engine_done, created_ms, updated_ms, batch_id, bank_ref";

impl FiatWithdrawalRow {
    fn read(row: &AnyRow) -> Result<FiatWithdrawalRow, StoreError> {
        let c = Cols::new(row, "fiat_withdrawals");
        Ok(FiatWithdrawalRow {
            id: c.text("id")?,
            account_id: c.u64("account_id")?,
            user_id: c.u64("user_id")?,
            bank_account_id: c.u64("bank_account_id")?,
            amount_satang: c.u64("amount_satang")?,
            fee_satang: c.u64("fee_satang")?,
            status: c.text("status")?,
            reason: c.opt_text("reason")?,
            source: c.text("source")?,
            engine_done: c.u64("engine_done")? == 1,
            created_ms: c.u64("created_ms")?,
            updated_ms: c.u64("updated_ms")?,
            batch_id: c.opt_text("batch_id")?,
            bank_ref: c.opt_text("bank_ref")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalRow {
    pub withdrawal_id: String,
    pub staff_id: u64,
    pub staff_email: String,
    pub kind: String,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundsEventRow {
    pub subject: String,
    pub status: String,
    pub note: String,
    pub actor: String,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutBatchRow {
    pub id: String,
    pub created_ms: u64,
    pub created_by: u64,
    pub created_by_email: String,
    pub line_count: u64,
    pub total_satang: u64,
    pub content: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementImportRow {
    pub id: u64,
    pub format: String,
    pub account: String,
    pub statement_date: String,
    pub opening_satang: i64,
    pub closing_satang: i64,
    pub line_count: u64,
    pub summary: String,
    pub imported_by: String,
    pub imported_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconciliationRow {
    pub recon_date: String,
    pub report: String,
    pub difference_satang: i64,
    pub created_ms: u64,
    pub created_by: String,
}

/// One status change of a deposit or withdrawal: `from` is the state it must be in.
#[derive(Clone, Debug)]
pub struct Transition<'a> {
    pub id: &'a str,
    pub from: &'a [&'a str],
    pub to: &'a str,
    pub note: &'a str,
    pub actor: &'a str,
    pub now_ms: u64,
}

/// The ledger's THB side at an instant, from the projected postings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerTotals {
    pub customers: i64,
    pub fee_revenue: i64,
    pub compensation: i64,
    pub custody: i64,
}

impl Store {
    // --- bank accounts ---

    /// `None` if the customer registered this account already.
    pub async fn insert_bank_account(&self, r: &BankAccountRow) -> Result<Option<u64>, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO fiat_bank_accounts (account_id, user_id, bank_code, account_no, holder_name, name_matches, status, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (account_id, bank_code, account_no) DO NOTHING RETURNING id",
        )
        .bind(int(r.account_id)?)
        .bind(int(r.user_id)?)
        .bind(&r.bank_code)
        .bind(&r.account_no)
        .bind(&r.holder_name)
        .bind(i64::from(r.name_matches))
        .bind(&r.status)
        .bind(int(r.created_ms)?)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(|row| Cols::new(&row, "fiat_bank_accounts").u64("id")).transpose()
    }

    pub async fn bank_account(&self, id: u64) -> Result<Option<BankAccountRow>, StoreError> {
        let row =
            sqlx::query(&format!("SELECT {BANK_ACCOUNT_COLUMNS} FROM fiat_bank_accounts WHERE id = $1")).bind(int(id)?).fetch_optional(&self.pool).await?;
        row.as_ref().map(BankAccountRow::read).transpose()
    }

    pub async fn bank_accounts_of(&self, account_id: u64) -> Result<Vec<BankAccountRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {BANK_ACCOUNT_COLUMNS} FROM fiat_bank_accounts WHERE account_id = $1 ORDER BY id LIMIT $2"))
            .bind(int(account_id)?)
            .bind(MAX_FUNDS_ROWS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(BankAccountRow::read).collect()
    }

    /// Bank accounts by status (`None`: all), newest first.
    pub async fn bank_accounts_by_status(&self, status: Option<&str>) -> Result<Vec<BankAccountRow>, StoreError> {
        let rows = match status {
            Some(status) => {
                sqlx::query(&format!("SELECT {BANK_ACCOUNT_COLUMNS} FROM fiat_bank_accounts WHERE status = $1 ORDER BY id DESC LIMIT $2"))
                    .bind(status)
                    .bind(MAX_FUNDS_ROWS)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(&format!("SELECT {BANK_ACCOUNT_COLUMNS} FROM fiat_bank_accounts ORDER BY id DESC LIMIT $1"))
                    .bind(MAX_FUNDS_ROWS)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(BankAccountRow::read).collect()
    }

    /// Verifies or rejects a pending account; false if it was not pending.
    pub async fn decide_bank_account(&self, id: u64, verified: bool, staff_id: u64, reason: Option<&str>, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let (status, verified_ms) = if verified { ("verified", Some(int(now_ms)?)) } else { ("rejected", None) };
        let done = sqlx::query(
            "UPDATE fiat_bank_accounts SET status = $1, verified_ms = $2, decided_by = $3, reason = $4 WHERE id = $5 AND status = 'pending_verification'",
        )
        .bind(status)
        .bind(verified_ms)
        .bind(int(staff_id)?)
        .bind(reason)
        .bind(int(id)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    // --- deposits ---

    pub async fn insert_fiat_deposit(&self, d: &FiatDepositRow, actor: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(&format!("INSERT INTO fiat_deposits ({DEPOSIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL)"))
            .bind(&d.id)
            .bind(int(d.account_id)?)
            .bind(int(d.user_id)?)
            .bind(&d.customer_code)
            .bind(int(d.amount_satang)?)
            .bind(&d.status)
            .bind(&d.qr_payload)
            .bind(int(d.created_ms)?)
            .bind(int(d.expires_ms)?)
            .execute(&mut *tx)
            .await?;
        insert_event(&mut tx, &d.id, &d.status, "QR issued", actor, d.created_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn fiat_deposit(&self, id: &str) -> Result<Option<FiatDepositRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {DEPOSIT_COLUMNS} FROM fiat_deposits WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(FiatDepositRow::read).transpose()
    }

    /// A customer's deposits, newest first, at most `limit`.
    pub async fn fiat_deposits_of(&self, account_id: u64, limit: i64) -> Result<Vec<FiatDepositRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {DEPOSIT_COLUMNS} FROM fiat_deposits WHERE account_id = $1 ORDER BY created_ms DESC, id DESC LIMIT $2"))
            .bind(int(account_id)?)
            .bind(limit.clamp(1, MAX_FUNDS_ROWS))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(FiatDepositRow::read).collect()
    }

    /// Intents waiting for money (the matcher's candidates), including ones expired in the last
    /// `grace_ms` (a line booked before the expiry can arrive after it).
    pub async fn open_fiat_deposits(&self, now_ms: u64, grace_ms: u64) -> Result<Vec<FiatDepositRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DEPOSIT_COLUMNS} FROM fiat_deposits WHERE status IN ('awaiting_payment', 'expired') AND expires_ms >= $1 ORDER BY id LIMIT $2"
        ))
        .bind(int(now_ms.saturating_sub(grace_ms))?)
        .bind(MAX_FUNDS_ROWS * 20)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(FiatDepositRow::read).collect()
    }

    /// Marks intents past their expiry as expired; returns how many.
    pub async fn expire_fiat_deposits(&self, now_ms: u64) -> Result<u64, StoreError> {
        let ids: Vec<String> = {
            let rows = sqlx::query("SELECT id FROM fiat_deposits WHERE status = 'awaiting_payment' AND expires_ms < $1 LIMIT $2")
                .bind(int(now_ms)?)
                .bind(MAX_FUNDS_ROWS)
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(|r| Cols::new(r, "fiat_deposits").text("id")).collect::<Result<_, _>>()?
        };
        let mut n = 0;
        for id in &ids {
            let t = Transition { id, from: &["awaiting_payment"], to: "expired", note: "the QR expired unpaid", actor: "system", now_ms };
            n += u64::from(self.transition_deposit(&t, None).await?);
        }
        Ok(n)
    }

    /// Moves a deposit from one of `t.from` to `t.to`, recording the bank line that paid it
    /// when there is one; false if it was not in such a state.
    pub async fn transition_deposit(&self, t: &Transition<'_>, bank_ref: Option<&str>) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let n = t.from.len();
        let credited = if t.to == "credited" { Some(int(t.now_ms)?) } else { None };
        let sql = format!(
            "UPDATE fiat_deposits SET status = $1, credited_ms = COALESCE($2, credited_ms), bank_ref = COALESCE($3, bank_ref) WHERE id = $4 AND status IN ({})",
            placeholders(5, n)
        );
        let mut q = sqlx::query(&sql).bind(t.to).bind(credited).bind(bank_ref).bind(t.id);
        for s in t.from {
            q = q.bind(*s);
        }
        let done = q.execute(&mut *tx).await?.rows_affected() == 1;
        if done {
            insert_event(&mut tx, t.id, t.to, t.note, t.actor, t.now_ms).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    // --- bank lines ---

    /// Records a line by its reference. A statement seeing a line a callback brought marks it
    /// as on the statement.
    pub async fn record_bank_line(&self, line: &BankLineRow) -> Result<LineSeen, StoreError> {
        let mut tx = self.write_tx().await?;
        let inserted = sqlx::query(&format!(
            "INSERT INTO fiat_bank_lines ({LINE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending', NULL) \
             ON CONFLICT (reference) DO NOTHING"
        ))
        .bind(&line.reference)
        .bind(&line.source)
        .bind(&line.direction)
        .bind(int(line.amount_satang)?)
        .bind(&line.booked_on)
        .bind(line.counterparty_name.as_deref())
        .bind(line.counterparty_account.as_deref())
        .bind(line.ref1.as_deref())
        .bind(line.ref2.as_deref())
        .bind(&line.description)
        .bind(i64::from(line.on_statement))
        .bind(int(line.first_seen_ms)?)
        .bind(line.statement_ms.map(int).transpose()?)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if inserted {
            tx.commit().await?;
            return Ok(LineSeen::New);
        }
        if line.on_statement {
            sqlx::query("UPDATE fiat_bank_lines SET on_statement = 1, statement_ms = COALESCE(statement_ms, $1) WHERE reference = $2")
                .bind(line.statement_ms.map(int).transpose()?)
                .bind(&line.reference)
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query(&format!("SELECT {LINE_COLUMNS} FROM fiat_bank_lines WHERE reference = $1")).bind(&line.reference).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        let row = BankLineRow::read(&row)?;
        Ok(if row.outcome == "pending" { LineSeen::Unfinished(row) } else { LineSeen::Applied(row) })
    }

    /// What a line came to (`credited`, `settled`, `exception`, `ignored`) and for what.
    pub async fn set_line_outcome(&self, reference: &str, outcome: &str, subject: Option<&str>) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE fiat_bank_lines SET outcome = $1, subject = $2 WHERE reference = $3")
            .bind(outcome)
            .bind(subject)
            .bind(reference)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn bank_line(&self, reference: &str) -> Result<Option<BankLineRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {LINE_COLUMNS} FROM fiat_bank_lines WHERE reference = $1")).bind(reference).fetch_optional(&self.pool).await?;
        row.as_ref().map(BankLineRow::read).transpose()
    }

    /// Lines a callback brought that no statement has shown, booked on or before `date`.
    pub async fn lines_not_on_statement(&self, up_to_date: &str) -> Result<Vec<BankLineRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {LINE_COLUMNS} FROM fiat_bank_lines WHERE on_statement = 0 AND booked_on <= $1 ORDER BY booked_on LIMIT $2"))
            .bind(up_to_date)
            .bind(MAX_FUNDS_ROWS * 20)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(BankLineRow::read).collect()
    }

    /// Lines that did not finish applying (a crash between recording and applying).
    pub async fn unfinished_bank_lines(&self) -> Result<Vec<BankLineRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {LINE_COLUMNS} FROM fiat_bank_lines WHERE outcome = 'pending' ORDER BY first_seen_ms LIMIT $1"))
            .bind(MAX_FUNDS_ROWS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(BankLineRow::read).collect()
    }

    // --- exceptions ---

    /// Opens an exception for a line; the existing one's id if this class is open for it already.
    pub async fn open_fiat_exception(&self, class: &str, reference: &str, intent_id: Option<&str>, now_ms: u64) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO fiat_exceptions (class, reference, intent_id, status, created_ms) VALUES ($1, $2, $3, 'open', $4) ON CONFLICT (class, reference) DO NOTHING")
            .bind(class)
            .bind(reference)
            .bind(intent_id)
            .bind(int(now_ms)?)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query("SELECT id FROM fiat_exceptions WHERE class = $1 AND reference = $2").bind(class).bind(reference).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Cols::new(&row, "fiat_exceptions").u64("id")
    }

    pub async fn fiat_exception(&self, id: u64) -> Result<Option<ExceptionRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {EXCEPTION_COLUMNS} FROM fiat_exceptions WHERE id = $1")).bind(int(id)?).fetch_optional(&self.pool).await?;
        row.as_ref().map(ExceptionRow::read).transpose()
    }

    /// Exceptions not resolved (`open_only`) or all, oldest first.
    pub async fn fiat_exceptions(&self, open_only: bool) -> Result<Vec<ExceptionRow>, StoreError> {
        let filter = if open_only { "WHERE status <> 'resolved'" } else { "" };
        let rows = sqlx::query(&format!("SELECT {EXCEPTION_COLUMNS} FROM fiat_exceptions {filter} ORDER BY id LIMIT $1"))
            .bind(MAX_FUNDS_ROWS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(ExceptionRow::read).collect()
    }

    /// Records a proposal on an open (or re-proposes a proposed) exception; false if resolved.
    #[allow(clippy::too_many_arguments)]
    pub async fn propose_fiat_exception(
        &self,
        id: u64,
        action: &str,
        account_id: Option<u64>,
        reason: &str,
        staff_id: u64,
        staff_email: &str,
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE fiat_exceptions SET status = 'proposed', proposal_action = $1, proposal_account_id = $2, proposal_reason = $3, proposed_by = $4, \
             proposed_by_email = $5, proposed_ms = $6 WHERE id = $7 AND status <> 'resolved'",
        )
        .bind(action)
        .bind(account_id.map(int).transpose()?)
        .bind(reason)
        .bind(int(staff_id)?)
        .bind(staff_email)
        .bind(int(now_ms)?)
        .bind(int(id)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Resolves a proposed exception as proposed at `proposed_ms`; false if it changed meanwhile.
    pub async fn resolve_fiat_exception(&self, id: u64, proposed_ms: u64, staff_id: u64, staff_email: &str, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE fiat_exceptions SET status = 'resolved', resolved_by = $1, resolved_by_email = $2, resolved_ms = $3 WHERE id = $4 AND status = 'proposed' AND proposed_ms = $5",
        )
        .bind(int(staff_id)?)
        .bind(staff_email)
        .bind(int(now_ms)?)
        .bind(int(id)?)
        .bind(int(proposed_ms)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Opens the exception again if it was resolved (a reconciliation that differs again), or
    /// opens it; returns its id.
    pub async fn reopen_fiat_exception(&self, class: &str, reference: &str, now_ms: u64) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE fiat_exceptions SET status = 'open', created_ms = $1, proposal_action = NULL, proposal_account_id = NULL, proposal_reason = NULL, \
             proposed_by = NULL, proposed_by_email = NULL, proposed_ms = NULL, resolved_by = NULL, resolved_by_email = NULL, resolved_ms = NULL \
             WHERE class = $2 AND reference = $3 AND status = 'resolved'",
        )
        .bind(int(now_ms)?)
        .bind(class)
        .bind(reference)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.open_fiat_exception(class, reference, None, now_ms).await
    }

    /// Resolves an exception no person needs to decide (a reconciliation rerun that balanced).
    pub async fn close_fiat_exception_by_system(&self, class: &str, reference: &str, note: &str, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE fiat_exceptions SET status = 'resolved', proposal_action = 'close', proposal_reason = $1, resolved_by_email = 'system', resolved_ms = $2 \
             WHERE class = $3 AND reference = $4 AND status <> 'resolved'",
        )
        .bind(note)
        .bind(int(now_ms)?)
        .bind(class)
        .bind(reference)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    // --- withdrawals ---

    /// Inserts a new withdrawal in `requested`; false when the customer has a pending one (the
    /// unique index decides, so two racing requests cannot both pass).
    pub async fn insert_fiat_withdrawal(&self, w: &FiatWithdrawalRow, actor: &str) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let pending = sqlx::query(
            "SELECT COUNT(*) AS n FROM fiat_withdrawals WHERE account_id = $1 AND status IN ('requested', 'awaiting_2fa', 'awaiting_approval', 'approved', 'processing', 'sent', 'unknown_outcome')",
        )
        .bind(int(w.account_id)?)
        .fetch_one(&mut *tx)
        .await?;
        if Cols::new(&pending, "fiat_withdrawals").u64("n")? > 0 {
            return Ok(false);
        }
        sqlx::query(&format!("INSERT INTO fiat_withdrawals ({WITHDRAWAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, 0, $9, $10, NULL, NULL)"))
            .bind(&w.id)
            .bind(int(w.account_id)?)
            .bind(int(w.user_id)?)
            .bind(int(w.bank_account_id)?)
            .bind(int(w.amount_satang)?)
            .bind(int(w.fee_satang)?)
            .bind(&w.status)
            .bind(&w.source)
            .bind(int(w.created_ms)?)
            .bind(int(w.created_ms)?)
            .execute(&mut *tx)
            .await?;
        insert_event(&mut tx, &w.id, &w.status, "requested", actor, w.created_ms).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Removes a withdrawal the engine refused to hold: it never held anything, and the refusal
    /// must change nothing.
    pub async fn delete_unheld_withdrawal(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM fiat_withdrawals WHERE id = $1 AND status = 'requested' AND engine_done = 0").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM fiat_events WHERE subject = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn fiat_withdrawal(&self, id: &str) -> Result<Option<FiatWithdrawalRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {WITHDRAWAL_COLUMNS} FROM fiat_withdrawals WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(FiatWithdrawalRow::read).transpose()
    }

    pub async fn fiat_withdrawals_of(&self, account_id: u64, limit: i64) -> Result<Vec<FiatWithdrawalRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {WITHDRAWAL_COLUMNS} FROM fiat_withdrawals WHERE account_id = $1 ORDER BY created_ms DESC, id DESC LIMIT $2"))
            .bind(int(account_id)?)
            .bind(limit.clamp(1, MAX_FUNDS_ROWS))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(FiatWithdrawalRow::read).collect()
    }

    /// Withdrawals in any of `statuses` (empty: all), oldest first.
    pub async fn fiat_withdrawals_in(&self, statuses: &[&str]) -> Result<Vec<FiatWithdrawalRow>, StoreError> {
        let filter = if statuses.is_empty() { String::new() } else { format!("WHERE status IN ({})", placeholders(1, statuses.len())) };
        let sql = format!("SELECT {WITHDRAWAL_COLUMNS} FROM fiat_withdrawals {filter} ORDER BY created_ms, id LIMIT ${}", statuses.len() + 1);
        let mut q = sqlx::query(&sql);
        for s in statuses {
            q = q.bind(*s);
        }
        let rows = q.bind(MAX_FUNDS_ROWS).fetch_all(&self.pool).await?;
        rows.iter().map(FiatWithdrawalRow::read).collect()
    }

    /// Withdrawals whose engine command has not been confirmed (re-issued after a restart).
    pub async fn fiat_withdrawals_engine_pending(&self) -> Result<Vec<FiatWithdrawalRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {WITHDRAWAL_COLUMNS} FROM fiat_withdrawals WHERE engine_done = 0 AND status IN ('requested', 'completed', 'rejected', 'cancelled', 'refunded') LIMIT $1"
        ))
        .bind(MAX_FUNDS_ROWS)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(FiatWithdrawalRow::read).collect()
    }

    /// Moves a withdrawal; a move into a state that needs the engine clears `engine_done`
    /// until [`Store::fiat_withdrawal_engine_done`]. False if it was not in one of `t.from`.
    pub async fn transition_withdrawal(&self, t: &Transition<'_>, reason: Option<&str>, bank_ref: Option<&str>) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let engine_pending = matches!(t.to, "completed" | "rejected" | "cancelled" | "refunded");
        let sql = format!(
            "UPDATE fiat_withdrawals SET status = $1, reason = COALESCE($2, reason), bank_ref = COALESCE($3, bank_ref), updated_ms = $4, \
             engine_done = CASE WHEN $5 = 1 THEN 0 ELSE engine_done END WHERE id = $6 AND status IN ({})",
            placeholders(7, t.from.len())
        );
        let mut q = sqlx::query(&sql).bind(t.to).bind(reason).bind(bank_ref).bind(int(t.now_ms)?).bind(i64::from(engine_pending)).bind(t.id);
        for s in t.from {
            q = q.bind(*s);
        }
        let done = q.execute(&mut *tx).await?.rows_affected() == 1;
        if done {
            insert_event(&mut tx, t.id, t.to, t.note, t.actor, t.now_ms).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// The engine confirmed what the withdrawal's status needed.
    pub async fn fiat_withdrawal_engine_done(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE fiat_withdrawals SET engine_done = 1 WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an approval; false if this staff member signed it already.
    pub async fn add_withdrawal_approval(&self, a: &ApprovalRow) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "INSERT INTO fiat_withdrawal_approvals (withdrawal_id, staff_id, staff_email, kind, at_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (withdrawal_id, staff_id) DO NOTHING",
        )
        .bind(&a.withdrawal_id)
        .bind(int(a.staff_id)?)
        .bind(&a.staff_email)
        .bind(&a.kind)
        .bind(int(a.at_ms)?)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            insert_event(&mut tx, &a.withdrawal_id, "awaiting_approval", &format!("signed as {}", a.kind), &a.staff_email, a.at_ms).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    pub async fn withdrawal_approvals(&self, withdrawal_id: &str) -> Result<Vec<ApprovalRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT withdrawal_id, staff_id, staff_email, kind, at_ms FROM fiat_withdrawal_approvals WHERE withdrawal_id = $1 ORDER BY at_ms, staff_id",
        )
        .bind(withdrawal_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Cols::new(r, "fiat_withdrawal_approvals");
                Ok(ApprovalRow {
                    withdrawal_id: c.text("withdrawal_id")?,
                    staff_id: c.u64("staff_id")?,
                    staff_email: c.text("staff_email")?,
                    kind: c.text("kind")?,
                    at_ms: c.u64("at_ms")?,
                })
            })
            .collect()
    }

    /// The timeline of a deposit or withdrawal, oldest first.
    pub async fn funds_events(&self, subject: &str) -> Result<Vec<FundsEventRow>, StoreError> {
        let rows = sqlx::query("SELECT subject, status, note, actor, at_ms FROM fiat_events WHERE subject = $1 ORDER BY id LIMIT $2")
            .bind(subject)
            .bind(MAX_FUNDS_ROWS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let c = Cols::new(r, "fiat_events");
                Ok(FundsEventRow {
                    subject: c.text("subject")?,
                    status: c.text("status")?,
                    note: c.text("note")?,
                    actor: c.text("actor")?,
                    at_ms: c.u64("at_ms")?,
                })
            })
            .collect()
    }

    /// The customer's withdrawals today that still count against the day: held (not released).
    pub async fn fiat_withdrawn_since(&self, account_id: u64, since_ms: u64) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(amount_satang + fee_satang), 0) AS BIGINT) AS n FROM fiat_withdrawals WHERE account_id = $1 AND created_ms >= $2 AND status NOT IN ('rejected', 'cancelled', 'refunded')",
        )
        .bind(int(account_id)?)
        .bind(int(since_ms)?)
        .fetch_one(&self.pool)
        .await?;
        Cols::new(&row, "fiat_withdrawals").u64("n")
    }

    // --- payouts ---

    /// Stores a batch and moves its withdrawals from `approved` to `processing`, in one
    /// transaction: the file exists exactly when its withdrawals are in it. A withdrawal no
    /// longer approved is left out; returns the ids that went in.
    pub async fn insert_payout_batch(&self, b: &PayoutBatchRow, withdrawal_ids: &[String]) -> Result<Vec<String>, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut included = Vec::new();
        for id in withdrawal_ids {
            let done = sqlx::query(
                "UPDATE fiat_withdrawals SET status = 'processing', batch_id = $1, updated_ms = $2 WHERE id = $3 AND status = 'approved' AND batch_id IS NULL",
            )
            .bind(&b.id)
            .bind(int(b.created_ms)?)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                insert_event(&mut tx, id, "processing", &format!("in payout batch {}", b.id), &b.created_by_email, b.created_ms).await?;
                included.push(id.clone());
            }
        }
        if included.len() != withdrawal_ids.len() {
            // The file was written for all of them: refuse rather than store a file that
            // disagrees with its withdrawals. The caller rebuilds it from what is approved now.
            return Ok(Vec::new());
        }
        sqlx::query(
            "INSERT INTO fiat_payout_batches (id, created_ms, created_by, created_by_email, line_count, total_satang, content) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&b.id)
        .bind(int(b.created_ms)?)
        .bind(int(b.created_by)?)
        .bind(&b.created_by_email)
        .bind(int(b.line_count)?)
        .bind(int(b.total_satang)?)
        .bind(&b.content)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(included)
    }

    pub async fn payout_batch(&self, id: &str) -> Result<Option<PayoutBatchRow>, StoreError> {
        let row = sqlx::query("SELECT id, created_ms, created_by, created_by_email, line_count, total_satang, content FROM fiat_payout_batches WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(read_batch).transpose()
    }

    pub async fn payout_batches(&self) -> Result<Vec<PayoutBatchRow>, StoreError> {
        let rows = sqlx::query("SELECT id, created_ms, created_by, created_by_email, line_count, total_satang, content FROM fiat_payout_batches ORDER BY created_ms DESC, id DESC LIMIT $1")
            .bind(MAX_FUNDS_ROWS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(read_batch).collect()
    }

    // --- statements and reconciliation ---

    pub async fn insert_statement_import(&self, s: &StatementImportRow) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO fiat_statement_imports (format, account, statement_date, opening_satang, closing_satang, line_count, summary, imported_by, imported_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(&s.format)
        .bind(&s.account)
        .bind(&s.statement_date)
        .bind(s.opening_satang)
        .bind(s.closing_satang)
        .bind(int(s.line_count)?)
        .bind(&s.summary)
        .bind(&s.imported_by)
        .bind(int(s.imported_ms)?)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Cols::new(&row, "fiat_statement_imports").u64("id")
    }

    /// The latest statement imported for `date` or before it (its closing balance is the bank side).
    pub async fn latest_statement_up_to(&self, date: &str) -> Result<Option<StatementImportRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, format, account, statement_date, opening_satang, closing_satang, line_count, summary, imported_by, imported_ms FROM fiat_statement_imports \
             WHERE statement_date <= $1 ORDER BY statement_date DESC, id DESC LIMIT 1",
        )
        .bind(date)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let c = Cols::new(&r, "fiat_statement_imports");
            Ok(StatementImportRow {
                id: c.u64("id")?,
                format: c.text("format")?,
                account: c.text("account")?,
                statement_date: c.text("statement_date")?,
                opening_satang: c.i64("opening_satang")?,
                closing_satang: c.i64("closing_satang")?,
                line_count: c.u64("line_count")?,
                summary: c.text("summary")?,
                imported_by: c.text("imported_by")?,
                imported_ms: c.u64("imported_ms")?,
            })
        })
        .transpose()
    }

    /// The ledger's side for `asset` from every projected posting before `before_ms`.
    pub async fn ledger_totals(&self, asset_id: u32, before_ms: u64) -> Result<LedgerTotals, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, CAST(SUM(amount) AS BIGINT) AS total FROM (\
               SELECT to_kind AS kind, amount FROM postings WHERE asset_id = $1 AND ts_ms < $2 \
               UNION ALL SELECT from_kind AS kind, -amount FROM postings WHERE asset_id = $3 AND ts_ms < $4) AS p GROUP BY kind",
        )
        .bind(i64::from(asset_id))
        .bind(int(before_ms)?)
        .bind(i64::from(asset_id))
        .bind(int(before_ms)?)
        .fetch_all(&self.pool)
        .await?;
        let mut t = LedgerTotals::default();
        for r in &rows {
            let c = Cols::new(r, "postings");
            let total = c.i64("total")?;
            match c.text("kind")?.as_str() {
                "available" | "held" => t.customers += total,
                "fee_revenue" | "rounding" => t.fee_revenue += total,
                "compensation" => t.compensation -= total,
                "custody" => t.custody += total,
                _ => {}
            }
        }
        Ok(t)
    }

    /// Stores (or replaces) the day's report.
    pub async fn save_reconciliation(&self, r: &ReconciliationRow) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM fiat_reconciliations WHERE recon_date = $1").bind(&r.recon_date).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO fiat_reconciliations (recon_date, report, difference_satang, created_ms, created_by) VALUES ($1, $2, $3, $4, $5)")
            .bind(&r.recon_date)
            .bind(&r.report)
            .bind(r.difference_satang)
            .bind(int(r.created_ms)?)
            .bind(&r.created_by)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn reconciliations(&self) -> Result<Vec<ReconciliationRow>, StoreError> {
        let rows =
            sqlx::query("SELECT recon_date, report, difference_satang, created_ms, created_by FROM fiat_reconciliations ORDER BY recon_date DESC LIMIT $1")
                .bind(MAX_FUNDS_ROWS)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let c = Cols::new(r, "fiat_reconciliations");
                Ok(ReconciliationRow {
                    recon_date: c.text("recon_date")?,
                    report: c.text("report")?,
                    difference_satang: c.i64("difference_satang")?,
                    created_ms: c.u64("created_ms")?,
                    created_by: c.text("created_by")?,
                })
            })
            .collect()
    }

    /// Sets when the customer last changed their password or 2FA.
    pub async fn set_security_changed(&self, account_id: u64, now_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE web_accounts SET security_changed_ms = $1 WHERE id = $2").bind(int(now_ms)?).bind(int(account_id)?).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn security_changed_ms(&self, account_id: u64) -> Result<Option<u64>, StoreError> {
        let row = sqlx::query("SELECT security_changed_ms FROM web_accounts WHERE id = $1").bind(int(account_id)?).fetch_optional(&self.pool).await?;
        row.map(|r| Cols::new(&r, "web_accounts").opt_u64("security_changed_ms")).transpose().map(Option::flatten)
    }
}

fn read_batch(row: &AnyRow) -> Result<PayoutBatchRow, StoreError> {
    let c = Cols::new(row, "fiat_payout_batches");
    Ok(PayoutBatchRow {
        id: c.text("id")?,
        created_ms: c.u64("created_ms")?,
        created_by: c.u64("created_by")?,
        created_by_email: c.text("created_by_email")?,
        line_count: c.u64("line_count")?,
        total_satang: c.u64("total_satang")?,
        content: c.text("content")?,
    })
}

async fn insert_event(tx: &mut crate::store::WriteTx<'_>, subject: &str, status: &str, note: &str, actor: &str, at_ms: u64) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO fiat_events (subject, status, note, actor, at_ms) VALUES ($1, $2, $3, $4, $5)")
        .bind(subject)
        .bind(status)
        .bind(note)
        .bind(actor)
        .bind(int(at_ms)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
