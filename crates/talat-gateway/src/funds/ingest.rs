//! Bank lines into the exchange. A line arrives by the bank's signed callback or on a
//! statement; either way it is recorded once by its reference, matched three-way (intent ↔
//! line ↔ ledger credit), and applied through the engine's idempotent commands: a credit is a
//! `Deposit` keyed by the bank reference, a debit completes the withdrawal it paid
//! (`WithdrawalSettle`). A line applied halfway when the process died is applied again on the
//! next sight or at start (every step is idempotent); a line seen twice does nothing.

use super::{bangkok_date, bangkok_day_bounds, deposit_key, FundsError, Service};
use serde::Serialize;
use talat_core::{Amount, Command, UserId};
use talat_funds::lifecycle::{DepositStatus, WithdrawalStatus};
use talat_funds::matching::{match_credit, match_debit, Match, OpenIntent, SentPayout};
use talat_funds::statement::{parse_camt053, parse_csv, BankLine, Direction, Statement};
use talat_store::{BankLineRow, LineSeen, StatementImportRow, Transition};

/// Intents that expired this long ago still take part in matching (so a late line is
/// classified as `intent_expired`, not `unmatched_credit`).
pub const EXPIRED_GRACE_MS: u64 = 7 * talat_core::calendar::DAY_MS;

/// What became of one line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum LineOutcome {
    Credited {
        deposit: String,
    },
    Settled {
        withdrawal: String,
    },
    Exception {
        class: String,
        exception: u64,
    },
    /// Seen before: nothing was done again.
    Duplicate,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub id: u64,
    pub date: String,
    pub lines: u64,
    pub credited: u64,
    pub settled: u64,
    pub duplicates: u64,
    pub exceptions: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementFormat {
    Camt053,
    Csv,
}

impl StatementFormat {
    pub fn parse(text: &str) -> Option<StatementFormat> {
        match text {
            "camt053" | "camt.053" | "xml" => Some(StatementFormat::Camt053),
            "csv" => Some(StatementFormat::Csv),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StatementFormat::Camt053 => "camt053",
            StatementFormat::Csv => "csv",
        }
    }
}

fn line_row(line: &BankLine, source: &str, on_statement: bool, now_ms: u64) -> BankLineRow {
    BankLineRow {
        reference: line.reference.clone(),
        source: source.into(),
        direction: match line.direction {
            Direction::Credit => "credit".into(),
            Direction::Debit => "debit".into(),
        },
        amount_satang: line.amount_satang,
        booked_on: line.booked_on.clone(),
        counterparty_name: line.counterparty_name.clone(),
        counterparty_account: line.counterparty_account.clone(),
        ref1: line.ref1.clone(),
        ref2: line.ref2.clone(),
        description: line.description.clone(),
        on_statement,
        first_seen_ms: now_ms,
        statement_ms: on_statement.then_some(now_ms),
        outcome: "pending".into(),
        subject: None,
    }
}

/// A recorded line as a statement line again (to re-apply an unfinished one).
pub fn line_of(row: &BankLineRow) -> BankLine {
    BankLine {
        reference: row.reference.clone(),
        booked_on: row.booked_on.clone(),
        direction: if row.direction == "debit" { Direction::Debit } else { Direction::Credit },
        amount_satang: row.amount_satang,
        counterparty_name: row.counterparty_name.clone(),
        counterparty_account: row.counterparty_account.clone(),
        ref1: row.ref1.clone(),
        ref2: row.ref2.clone(),
        description: row.description.clone(),
    }
}

impl Service<'_> {
    /// Records `line` (from `source`: `callback:<bank>` or `statement`) and applies it once.
    /// `booked_at_ms`: when the money moved, for the intent's expiry.
    pub async fn apply_line(&self, line: &BankLine, source: &str, on_statement: bool, booked_at_ms: u64) -> Result<LineOutcome, FundsError> {
        if line.reference.trim().is_empty() || line.reference.len() > 64 {
            return Err(FundsError::invalid("reference", "a bank line needs a reference of 1 to 64 characters"));
        }
        match self.store.record_bank_line(&line_row(line, source, on_statement, self.now_ms())).await? {
            LineSeen::Applied(_) => Ok(LineOutcome::Duplicate),
            LineSeen::New | LineSeen::Unfinished(_) => match line.direction {
                Direction::Credit => self.apply_credit(line, booked_at_ms).await,
                Direction::Debit => self.apply_debit(line).await,
            },
        }
    }

    async fn apply_credit(&self, line: &BankLine, booked_at_ms: u64) -> Result<LineOutcome, FundsError> {
        let now = self.now_ms();
        // The intent the line names by Ref2, read once: it tells whether this line already
        // credited it (before a crash: finish the line's outcome) or another line did.
        let named = match line.ref2.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(ref2) => self.store.fiat_deposit(&ref2.to_ascii_uppercase()).await?,
            None => None,
        };
        let credited = named.as_ref().filter(|d| d.status == DepositStatus::Credited.as_str());
        if let Some(d) = credited.filter(|d| d.bank_ref.as_deref() == Some(&line.reference)) {
            self.store.set_line_outcome(&line.reference, "credited", Some(&d.id)).await?;
            return Ok(LineOutcome::Credited { deposit: d.id.clone() });
        }
        let paid: Vec<String> = credited.map(|d| d.id.clone()).into_iter().collect();
        let intents = self.store.open_fiat_deposits(now, EXPIRED_GRACE_MS).await?;
        let description = line.description.to_ascii_uppercase();
        let mut open = Vec::with_capacity(intents.len());
        for d in &intents {
            // Only an intent the line could match needs its payer's names (two reads each).
            let candidate = named.as_ref().is_some_and(|n| n.id == d.id)
                || line.ref1.as_deref().is_some_and(|r| r.trim().eq_ignore_ascii_case(&d.customer_code))
                || description.contains(&d.id.to_ascii_uppercase());
            let payer_names = if candidate { self.payer_names(d.account_id).await? } else { Vec::new() };
            open.push(OpenIntent {
                id: d.id.clone(),
                customer_code: d.customer_code.clone(),
                amount_satang: d.amount_satang,
                expires_at_ms: d.expires_ms,
                payer_names,
            });
        }
        match match_credit(line, booked_at_ms, &open, &paid) {
            Match::Intent { intent_id } => {
                let Some(intent) = intents.iter().find(|d| d.id == intent_id) else {
                    return Err(FundsError::unavailable("the matched intent vanished"));
                };
                self.credit(intent.user_id, line).await?;
                let t =
                    Transition { id: &intent.id, from: &["awaiting_payment"], to: DepositStatus::Credited.as_str(), note: "paid", actor: "bank", now_ms: now };
                self.store.transition_deposit(&t, Some(&line.reference)).await?;
                self.store.set_line_outcome(&line.reference, "credited", Some(&intent.id)).await?;
                self.verify_by_deposit(intent.account_id, line).await?;
                Ok(LineOutcome::Credited { deposit: intent.id.clone() })
            }
            Match::Exception { class, intent_id } => self.open_exception(line, class.as_str(), intent_id.as_deref()).await,
        }
    }

    /// The reverse penny test: money the customer paid from a bank account they registered
    /// (the statement names the paying account, in their name) proves they hold it, so the
    /// account is verified without a staff member (recorded as decided by staff id 0).
    async fn verify_by_deposit(&self, account_id: u64, line: &BankLine) -> Result<(), FundsError> {
        let Some(from) = line.counterparty_account.as_deref() else { return Ok(()) };
        let from: String = from.chars().filter(char::is_ascii_digit).collect();
        let Some(payer) = line.counterparty_name.as_deref() else { return Ok(()) };
        // The payer is the customer (KYC names, either script) and the account is theirs.
        if !self.kyc_names(account_id).await?.iter().any(|n| talat_funds::names::same_person(n, payer)) {
            return Ok(());
        }
        for a in self.store.bank_accounts_of(account_id).await? {
            if a.status == "pending_verification" && a.account_no == from {
                self.store.decide_bank_account(a.id, true, 0, Some("verified by a deposit from this account"), self.now_ms()).await?;
            }
        }
        Ok(())
    }

    /// The names a customer's payments may carry: their KYC names and their bank accounts' holders.
    pub async fn payer_names(&self, account_id: u64) -> Result<Vec<String>, FundsError> {
        let mut names = self.kyc_names(account_id).await?;
        for a in self.store.bank_accounts_of(account_id).await? {
            if a.name_matches {
                names.push(a.holder_name);
            }
        }
        Ok(names)
    }

    /// The customer's names from their approved identity verification, Latin and Thai.
    pub async fn kyc_names(&self, account_id: u64) -> Result<Vec<String>, FundsError> {
        let apps = self.store.kyc_applications_of_account(account_id).await?;
        let mut names = Vec::new();
        for app in apps.iter().filter(|a| a.level == 1 && a.status == "approved") {
            let Ok(data) = serde_json::from_str::<serde_json::Value>(&app.data) else { continue };
            for (first, last) in [("first_name_en", "last_name_en"), ("first_name_th", "last_name_th")] {
                if let (Some(f), Some(l)) = (data[first].as_str(), data[last].as_str()) {
                    names.push(format!("{f} {l}"));
                }
            }
        }
        Ok(names)
    }

    /// The engine credit of a line to `user_id`, keyed by the bank reference.
    pub(crate) async fn credit(&self, user_id: u64, line: &BankLine) -> Result<(), FundsError> {
        let user = UserId(u32::try_from(user_id).map_err(|_| FundsError::unavailable("user id out of range"))?);
        let command = Command::Deposit { user, asset: self.fiat_asset()?, amount: Amount(line.amount_satang), external_id: deposit_key(&line.reference) };
        self.gw.execute(command).await?;
        Ok(())
    }

    async fn open_exception(&self, line: &BankLine, class: &str, intent_id: Option<&str>) -> Result<LineOutcome, FundsError> {
        let now = self.now_ms();
        let id = self.store.open_fiat_exception(class, &line.reference, intent_id, now).await?;
        if let Some(intent) = intent_id {
            let note = format!("money arrived but needs staff: {}", class.replace('_', " "));
            let t = Transition {
                id: intent,
                from: &["awaiting_payment", "expired"],
                to: DepositStatus::Exception.as_str(),
                note: &note,
                actor: "bank",
                now_ms: now,
            };
            self.store.transition_deposit(&t, Some(&line.reference)).await?;
        }
        self.store.set_line_outcome(&line.reference, "exception", Some(&id.to_string())).await?;
        Ok(LineOutcome::Exception { class: class.into(), exception: id })
    }

    async fn apply_debit(&self, line: &BankLine) -> Result<LineOutcome, FundsError> {
        let out = [WithdrawalStatus::Processing.as_str(), WithdrawalStatus::Sent.as_str(), WithdrawalStatus::UnknownOutcome.as_str()];
        let sent: Vec<SentPayout> = self
            .store
            .fiat_withdrawals_in(&out)
            .await?
            .into_iter()
            .map(|w| SentPayout { withdrawal_id: w.id, amount_satang: w.amount_satang - w.fee_satang, account_no: String::new() })
            .collect();
        let Some(id) = match_debit(line, &sent) else {
            return self.open_exception(line, "unmatched_debit", None).await;
        };
        let t = Transition {
            id: &id,
            from: &out,
            to: WithdrawalStatus::Completed.as_str(),
            note: "the bank statement shows the payment",
            actor: "bank",
            now_ms: self.now_ms(),
        };
        self.store.transition_withdrawal(&t, None, Some(&line.reference)).await?;
        self.finish_engine(&id).await?;
        self.store.set_line_outcome(&line.reference, "settled", Some(&id)).await?;
        Ok(LineOutcome::Settled { withdrawal: id })
    }

    /// The bank's callback for `bank`: verified, then applied as a line not yet on a statement.
    pub async fn callback(&self, bank: &str, body: &[u8], signature: Option<&str>) -> Result<LineOutcome, FundsError> {
        let secret = self.config().callback_secrets.get(bank).ok_or_else(|| FundsError::not_found("unknown bank"))?;
        let n = talat_funds::callback::verify_and_parse(secret.as_bytes(), body, signature).map_err(|e| match e {
            talat_funds::callback::CallbackError::BadSignature => FundsError { v3_code: 6, v4_code: "V1003-CW", ..FundsError::forbidden(e.to_string()) },
            other => FundsError::invalid("body", other.to_string()),
        })?;
        let line = n.to_line(bangkok_date(n.paid_at_ms));
        self.apply_line(&line, &format!("callback:{bank}"), false, n.paid_at_ms).await
    }

    /// Imports a statement: every line applied once, then the import recorded with its counts.
    pub async fn import_statement(&self, format: StatementFormat, content: &str, actor: &str) -> Result<ImportSummary, FundsError> {
        let statement: Statement = match format {
            StatementFormat::Camt053 => parse_camt053(content),
            StatementFormat::Csv => parse_csv(content),
        }
        .map_err(|e| FundsError::invalid("content", e.to_string()))?;
        let expected = &self.config().segregated_account;
        if !expected.is_empty() && statement.account != *expected {
            return Err(FundsError::invalid("content", format!("the statement is for account {}, not the segregated account", statement.account)));
        }
        bangkok_day_bounds(&statement.date).ok_or_else(|| FundsError::invalid("content", "the statement's date is not a date"))?;
        let mut summary = ImportSummary { date: statement.date.clone(), lines: statement.lines.len() as u64, ..ImportSummary::default() };
        for line in &statement.lines {
            let booked_at_ms = bangkok_day_bounds(&line.booked_on).map_or(0, |(start, _)| start);
            match self.apply_line(line, "statement", true, booked_at_ms).await? {
                LineOutcome::Credited { .. } => summary.credited += 1,
                LineOutcome::Settled { .. } => summary.settled += 1,
                LineOutcome::Exception { .. } => summary.exceptions += 1,
                LineOutcome::Duplicate => summary.duplicates += 1,
            }
        }
        let row = StatementImportRow {
            id: 0,
            format: format.as_str().into(),
            account: statement.account.clone(),
            statement_date: statement.date.clone(),
            opening_satang: statement.opening_balance_satang,
            closing_satang: statement.closing_balance_satang,
            line_count: summary.lines,
            summary: serde_json::to_string(&summary).unwrap_or_default(),
            imported_by: actor.into(),
            imported_ms: self.now_ms(),
        };
        summary.id = self.store.insert_statement_import(&row).await?;
        Ok(summary)
    }

    /// Applies again every line whose application a crash interrupted.
    pub async fn recover_lines(&self) -> Result<u64, FundsError> {
        let mut n = 0;
        for row in self.store.unfinished_bank_lines().await? {
            let booked_at_ms = bangkok_day_bounds(&row.booked_on).map_or(0, |(start, _)| start);
            let line = line_of(&row);
            match line.direction {
                Direction::Credit => self.apply_credit(&line, booked_at_ms).await?,
                Direction::Debit => self.apply_debit(&line).await?,
            };
            n += 1;
        }
        Ok(n)
    }
}
