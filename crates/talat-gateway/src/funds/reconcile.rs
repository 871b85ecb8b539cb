//! The daily reconciliation: the ledger's THB at the end of a Bangkok day (from the projected
//! postings) against the closing balance of that day's statement, with every item in transit
//! listed. Callbacks that no statement confirmed by the day after become exceptions here.

use super::{bangkok_day_bounds, FundsError, Service};
use talat_core::AssetId;
use talat_funds::recon::{reconcile, InTransitKind, Item, LedgerSide, Report};
use talat_store::{ReconciliationRow, Store};

/// The report for `date` from what `store` holds (read only): the ledger of `asset` (THB) at
/// the day's end, the latest statement up to the day, the items in transit. The CLI prints it;
/// [`Service::reconcile`] also keeps it and opens exceptions.
pub async fn report(store: &Store, asset: AssetId, date: &str) -> Result<Report, FundsError> {
    let (_, end_ms) = bangkok_day_bounds(date).ok_or_else(|| FundsError::invalid("date", "a date is YYYY-MM-DD"))?;
    let statement =
        store.latest_statement_up_to(date).await?.ok_or_else(|| FundsError::invalid("date", format!("no bank statement up to {date} has been imported")))?;
    let totals = store.ledger_totals(u32::from(asset.0), end_ms).await?;
    let ledger = LedgerSide { customers_satang: totals.customers, fee_revenue_satang: totals.fee_revenue, compensation_satang: totals.compensation };
    Ok(reconcile(date, ledger, statement.closing_satang, items_in_transit(store, date).await?))
}

async fn items_in_transit(store: &Store, date: &str) -> Result<Vec<Item>, FundsError> {
    let mut items = Vec::new();
    // Credited from a callback, not yet on a statement: the ledger has it, the statement not.
    for line in store.lines_not_on_statement(date).await? {
        if line.outcome == "credited" {
            items.push(Item {
                kind: InTransitKind::CreditedNotOnStatement,
                reference: line.reference,
                amount_satang: line.amount_satang as i64,
                note: format!("callback of {}", line.booked_on),
            });
        }
    }
    // On the statement, not credited to anyone: waiting for staff, or refunded but not yet out.
    for e in store.fiat_exceptions(false).await? {
        let Some(line) = store.bank_line(&e.reference).await? else { continue };
        let still_here = e.status != "resolved" || matches!(e.proposal_action.as_deref(), Some("refund" | "return"));
        if line.direction == "credit" && line.on_statement && line.booked_on.as_str() <= date && still_here && line.outcome != "credited" {
            items.push(Item {
                kind: InTransitKind::UncreditedReceipt,
                reference: line.reference,
                amount_satang: line.amount_satang as i64,
                note: e.class.replace('_', " "),
            });
        }
    }
    Ok(items)
}

impl Service<'_> {
    /// Reconciles `date` (`YYYY-MM-DD`, Bangkok) and keeps the report as evidence. Callbacks
    /// no statement confirmed by the day before become `callback_unconfirmed` exceptions.
    pub async fn reconcile(&self, date: &str, actor: &str) -> Result<Report, FundsError> {
        let (start_ms, _) = bangkok_day_bounds(date).ok_or_else(|| FundsError::invalid("date", "a date is YYYY-MM-DD"))?;
        if start_ms > self.now_ms() {
            return Err(FundsError::invalid("date", "that day has not begun"));
        }
        // The projection must have seen everything the read models show (read-your-writes).
        let store = self.gw.store_at_read_seq().await.map_err(FundsError::from)?;
        let before = super::bangkok_date(start_ms.saturating_sub(talat_core::calendar::DAY_MS));
        for line in store.lines_not_on_statement(&before).await? {
            if line.booked_on < before {
                store.open_fiat_exception("callback_unconfirmed", &line.reference, None, self.now_ms()).await?;
            }
        }
        let report = report(store, self.fiat_asset()?, date).await?;
        let row = ReconciliationRow {
            recon_date: date.into(),
            report: serde_json::to_string(&report).map_err(|e| FundsError::unavailable(e.to_string()))?,
            difference_satang: report.difference_satang,
            created_ms: self.now_ms(),
            created_by: actor.into(),
        };
        self.store.save_reconciliation(&row).await?;
        // A difference is an exception until staff close it with a reason (four eyes); a
        // rerun that balances closes it.
        let reference = format!("recon:{date}");
        if report.balanced() {
            self.store.close_fiat_exception_by_system("reconciliation_difference", &reference, "a rerun balanced", self.now_ms()).await?;
        } else {
            self.store.reopen_fiat_exception("reconciliation_difference", &reference, self.now_ms()).await?;
        }
        Ok(report)
    }

    /// The scheduled run: yesterday (Bangkok), once its statement is in and no report is kept
    /// yet. A day without a statement (a weekend, a holiday) has nothing to reconcile.
    pub async fn reconcile_yesterday(&self) -> Result<Option<Report>, FundsError> {
        let yesterday = super::bangkok_date(self.now_ms().saturating_sub(talat_core::calendar::DAY_MS));
        if self.store.reconciliations().await?.iter().any(|r| r.recon_date == yesterday) {
            return Ok(None);
        }
        match self.store.latest_statement_up_to(&yesterday).await? {
            Some(s) if s.statement_date == yesterday => self.reconcile(&yesterday, "scheduler").await.map(Some),
            _ => Ok(None),
        }
    }

    /// Kept reports, newest first.
    pub async fn reconciliation_reports(&self) -> Result<Vec<Report>, FundsError> {
        let rows = self.store.reconciliations().await?;
        Ok(rows.iter().filter_map(|r| serde_json::from_str(&r.report).ok()).collect())
    }
}
