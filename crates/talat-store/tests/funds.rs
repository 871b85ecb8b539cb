//! The funds tables (migration 0007) on SQLite and on a real PostgreSQL: bank accounts unique
//! per customer and decided once, deposits and withdrawals moved only from the state they are
//! in, a bank line recorded once by its reference (and re-applied only if unfinished), one
//! pending withdrawal per customer, one signature per staff member, a payout batch and its
//! withdrawals written together or not at all, exceptions proposed, resolved and reopened, the
//! ledger's THB summed from postings, and reconciliations replaced per day.

#[macro_use]
mod support;

use support::*;
use talat_core::UserId;
use talat_store::*;

fn bank_account(account_id: u64, number: &str) -> BankAccountRow {
    BankAccountRow {
        id: 0,
        account_id,
        user_id: 1,
        bank_code: "004".into(),
        account_no: number.into(),
        holder_name: "Somchai Jaidee".into(),
        name_matches: true,
        status: "pending_verification".into(),
        verified_ms: None,
        decided_by: None,
        reason: None,
        created_ms: 1_000,
    }
}

fn withdrawal(id: &str, account_id: u64, bank_account_id: u64) -> FiatWithdrawalRow {
    FiatWithdrawalRow {
        id: id.into(),
        account_id,
        user_id: 1,
        bank_account_id,
        amount_satang: 100_000,
        fee_satang: 2_000,
        status: "requested".into(),
        reason: None,
        source: "web".into(),
        engine_done: false,
        created_ms: 5_000,
        updated_ms: 5_000,
        batch_id: None,
        bank_ref: None,
    }
}

fn line(reference: &str) -> BankLineRow {
    BankLineRow {
        reference: reference.into(),
        source: "statement".into(),
        direction: "credit".into(),
        amount_satang: 150_000,
        booked_on: "2026-12-06".into(),
        counterparty_name: Some("สมชาย ใจดี".into()),
        counterparty_account: None,
        ref1: Some("U00000001".into()),
        ref2: Some("DEP1".into()),
        description: String::new(),
        on_statement: false,
        first_seen_ms: 1_000,
        statement_ms: None,
        outcome: "pending".into(),
        subject: None,
    }
}

async fn bank_accounts_deposits_and_lines(db: &TestDb) {
    let store = db.connect().await;
    let a = store.insert_web_account("a@example.com", "h", UserId(1), 1_000).await.unwrap().unwrap();
    let id = store.insert_bank_account(&bank_account(a, "7262109099")).await.unwrap().unwrap();
    assert_eq!(store.insert_bank_account(&bank_account(a, "7262109099")).await.unwrap(), None, "registered once");
    assert!(store.decide_bank_account(id, true, 7, None, 2_000).await.unwrap());
    assert!(!store.decide_bank_account(id, false, 8, Some("late"), 3_000).await.unwrap(), "decided once");
    let acct = store.bank_account(id).await.unwrap().unwrap();
    assert_eq!((acct.status.as_str(), acct.verified_ms, acct.decided_by), ("verified", Some(2_000), Some(7)));
    assert_eq!(store.bank_accounts_by_status(Some("pending_verification")).await.unwrap().len(), 0);

    let d = FiatDepositRow {
        id: "DEP1".into(),
        account_id: a,
        user_id: 1,
        customer_code: "U00000001".into(),
        amount_satang: 150_000,
        status: "awaiting_payment".into(),
        qr_payload: "000201".into(),
        created_ms: 1_000,
        expires_ms: 10_000,
        credited_ms: None,
        bank_ref: None,
    };
    store.insert_fiat_deposit(&d, "a@example.com").await.unwrap();
    assert_eq!(store.open_fiat_deposits(5_000, 0).await.unwrap().len(), 1);
    let t = Transition { id: "DEP1", from: &["awaiting_payment"], to: "credited", note: "paid", actor: "bank", now_ms: 6_000 };
    assert!(store.transition_deposit(&t, Some("KB1")).await.unwrap());
    assert!(!store.transition_deposit(&t, Some("KB2")).await.unwrap(), "credited once");
    let d = store.fiat_deposit("DEP1").await.unwrap().unwrap();
    assert_eq!((d.status.as_str(), d.credited_ms, d.bank_ref.as_deref()), ("credited", Some(6_000), Some("KB1")));
    assert_eq!(store.funds_events("DEP1").await.unwrap().iter().map(|e| e.status.as_str()).collect::<Vec<_>>(), ["awaiting_payment", "credited"]);
    assert_eq!(store.expire_fiat_deposits(20_000).await.unwrap(), 0, "a credited intent does not expire");

    assert_eq!(store.record_bank_line(&line("KB1")).await.unwrap(), LineSeen::New);
    assert!(matches!(store.record_bank_line(&line("KB1")).await.unwrap(), LineSeen::Unfinished(_)), "not applied yet: applied again");
    store.set_line_outcome("KB1", "credited", Some("DEP1")).await.unwrap();
    let seen = LineSeen::Applied(BankLineRow {
        outcome: "credited".into(),
        subject: Some("DEP1".into()),
        on_statement: true,
        statement_ms: Some(9_000),
        ..line("KB1")
    });
    assert_eq!(
        store.record_bank_line(&BankLineRow { on_statement: true, statement_ms: Some(9_000), ..line("KB1") }).await.unwrap(),
        seen,
        "the statement confirms it"
    );
    assert!(store.lines_not_on_statement("2026-12-31").await.unwrap().is_empty());
    assert_eq!(store.bank_line("KB1").await.unwrap().unwrap().counterparty_name.as_deref(), Some("สมชาย ใจดี"));
}

async fn withdrawals_approvals_and_batches(db: &TestDb) {
    let store = db.connect().await;
    let a = store.insert_web_account("a@example.com", "h", UserId(1), 1_000).await.unwrap().unwrap();
    let bank = store.insert_bank_account(&bank_account(a, "7262109099")).await.unwrap().unwrap();
    assert!(store.insert_fiat_withdrawal(&withdrawal("W1", a, bank), "a").await.unwrap());
    assert!(!store.insert_fiat_withdrawal(&withdrawal("W2", a, bank), "a").await.unwrap(), "one pending withdrawal per customer");
    assert_eq!(store.fiat_withdrawn_since(a, 0).await.unwrap(), 102_000);
    let t = |from: &'static [&'static str], to: &'static str| Transition { id: "W1", from, to, note: "", actor: "x", now_ms: 6_000 };
    assert!(store.transition_withdrawal(&t(&["requested"], "awaiting_approval"), None, None).await.unwrap());
    assert!(!store.transition_withdrawal(&t(&["requested"], "rejected"), Some("no"), None).await.unwrap(), "no longer requested");
    let sign =
        |staff_id: u64| ApprovalRow { withdrawal_id: "W1".into(), staff_id, staff_email: format!("s{staff_id}@x"), kind: "approver".into(), at_ms: 7_000 };
    assert!(store.add_withdrawal_approval(&sign(1)).await.unwrap());
    assert!(!store.add_withdrawal_approval(&sign(1)).await.unwrap(), "one signature per staff member");
    assert!(store.add_withdrawal_approval(&sign(2)).await.unwrap());
    assert_eq!(store.withdrawal_approvals("W1").await.unwrap().len(), 2);
    assert!(store.transition_withdrawal(&t(&["awaiting_approval"], "approved"), None, None).await.unwrap());

    let batch = PayoutBatchRow {
        id: "PB1".into(),
        created_ms: 8_000,
        created_by: 1,
        created_by_email: "s1@x".into(),
        line_count: 1,
        total_satang: 98_000,
        content: "csv".into(),
    };
    assert_eq!(
        store.insert_payout_batch(&batch, &["W1".into(), "W9".into()]).await.unwrap(),
        Vec::<String>::new(),
        "a file that names a withdrawal not approved is refused whole"
    );
    assert_eq!(store.fiat_withdrawal("W1").await.unwrap().unwrap().status, "approved");
    assert!(store.payout_batch("PB1").await.unwrap().is_none());
    assert_eq!(store.insert_payout_batch(&batch, &["W1".into()]).await.unwrap(), ["W1"]);
    let w = store.fiat_withdrawal("W1").await.unwrap().unwrap();
    assert_eq!((w.status.as_str(), w.batch_id.as_deref()), ("processing", Some("PB1")));
    let again = PayoutBatchRow { id: "PB2".into(), ..batch.clone() };
    assert!(store.insert_payout_batch(&again, &["W1".into()]).await.unwrap().is_empty(), "in one batch only");
    assert!(store.transition_withdrawal(&t(&["processing"], "completed"), None, Some("KB9")).await.unwrap());
    assert_eq!(store.fiat_withdrawals_engine_pending().await.unwrap().len(), 1, "settle not yet confirmed");
    store.fiat_withdrawal_engine_done("W1").await.unwrap();
    assert!(store.fiat_withdrawals_engine_pending().await.unwrap().is_empty());
    assert!(store.insert_fiat_withdrawal(&withdrawal("W2", a, bank), "a").await.unwrap(), "the first is final: a new one may start");
    store.delete_unheld_withdrawal("W2").await.unwrap();
    assert!(store.fiat_withdrawal("W2").await.unwrap().is_none() && store.funds_events("W2").await.unwrap().is_empty());
}

async fn exceptions_ledger_and_reconciliations(db: &TestDb) {
    let store = db.connect().await;
    let id = store.open_fiat_exception("amount_mismatch", "KB1", Some("DEP1"), 1_000).await.unwrap();
    assert_eq!(store.open_fiat_exception("amount_mismatch", "KB1", Some("DEP1"), 2_000).await.unwrap(), id, "one per class and line");
    assert!(store.propose_fiat_exception(id, "credit", Some(5), "ok", 1, "s1@x", 3_000).await.unwrap());
    assert!(!store.resolve_fiat_exception(id, 2_999, 2, "s2@x", 4_000).await.unwrap(), "a changed proposal is not approved");
    assert!(store.resolve_fiat_exception(id, 3_000, 2, "s2@x", 4_000).await.unwrap());
    assert!(!store.propose_fiat_exception(id, "refund", None, "again", 1, "s1@x", 5_000).await.unwrap(), "resolved stays resolved");
    assert!(store.fiat_exceptions(true).await.unwrap().is_empty());
    let r = store.reopen_fiat_exception("reconciliation_difference", "recon:2026-12-06", 6_000).await.unwrap();
    assert!(store.close_fiat_exception_by_system("reconciliation_difference", "recon:2026-12-06", "balanced", 7_000).await.unwrap());
    assert_eq!(store.reopen_fiat_exception("reconciliation_difference", "recon:2026-12-06", 8_000).await.unwrap(), r);
    assert_eq!(store.fiat_exception(r).await.unwrap().unwrap().status, "open", "a new difference reopens it");

    // THB (asset 0): 1,500.00 deposited, 20.00 of it a fee, 5.00 compensated; one posting after.
    for (seq, ts, from, from_user, to, to_user, amount) in [
        (1, 100, "custody", "NULL", "available", "1", 150_000),
        (2, 200, "available", "1", "fee_revenue", "NULL", 2_000),
        (3, 300, "compensation", "NULL", "available", "1", 500),
        (4, 900, "custody", "NULL", "available", "1", 99_999),
    ] {
        store
            .execute_raw(&format!(
                "INSERT INTO postings (seq, idx, ts_ms, asset_id, from_kind, from_user, to_kind, to_user, amount, cause) VALUES ({seq}, 0, {ts}, 0, '{from}', {from_user}, '{to}', {to_user}, {amount}, 'x')"
            ))
            .await
            .unwrap();
    }
    let t = store.ledger_totals(0, 500).await.unwrap();
    assert_eq!(t, LedgerTotals { customers: 148_500, fee_revenue: 2_000, compensation: 500, custody: -150_000 });
    assert_eq!(t.customers + t.fee_revenue - t.compensation, -t.custody, "what the bank must hold");

    let rec = |diff: i64, by: &str| ReconciliationRow {
        recon_date: "2026-12-06".into(),
        report: "{}".into(),
        difference_satang: diff,
        created_ms: 1,
        created_by: by.into(),
    };
    store.save_reconciliation(&rec(-1, "a")).await.unwrap();
    store.save_reconciliation(&rec(0, "b")).await.unwrap();
    let all = store.reconciliations().await.unwrap();
    assert_eq!((all.len(), all[0].difference_satang, all[0].created_by.as_str()), (1, 0, "b"), "a rerun replaces the day's report");
    let s = StatementImportRow {
        id: 0,
        format: "camt053".into(),
        account: "1".into(),
        statement_date: "2026-12-05".into(),
        opening_satang: 0,
        closing_satang: -5,
        line_count: 0,
        summary: "{}".into(),
        imported_by: "x".into(),
        imported_ms: 1,
    };
    store.insert_statement_import(&s).await.unwrap();
    assert_eq!(store.latest_statement_up_to("2026-12-06").await.unwrap().unwrap().closing_satang, -5);
    assert!(store.latest_statement_up_to("2026-12-04").await.unwrap().is_none());
}

suite!(bank_accounts_deposits_and_lines, withdrawals_approvals_and_batches, exceptions_ledger_and_reconciliations);
