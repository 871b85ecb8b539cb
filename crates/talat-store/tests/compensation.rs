//! Outage compensation's tables (migration 0011) on SQLite and on a real PostgreSQL: the
//! refusal log is read by window and pruned by age, overflow counts add up, an incident is
//! approved once and never by its preparer, and a credit completes when the projection holds
//! its reference.

#[macro_use]
mod support;

use support::*;
use talat_store::*;

fn refused(user: u64, ts_ms: u64) -> RefusedRow {
    RefusedRow {
        id: 0,
        user,
        verified: true,
        ts_ms,
        kind: "place".into(),
        endpoint: "/api/v3/market/place-bid".into(),
        http_status: 503,
        code: 90,
        symbol: Some("BTC_THB".into()),
        side: Some("buy".into()),
        amount: Some("1000".into()),
        rate: Some("0".into()),
    }
}

fn incident(prepared_by: u64) -> CompIncidentRow {
    CompIncidentRow {
        id: 0,
        title: "order entry down".into(),
        t0_ms: 1_000,
        t1_ms: 2_000,
        markets: "BTC_THB".into(),
        kinds: "".into(),
        networks: "".into(),
        support_incident_id: None,
        pay_asset: "THB".into(),
        policy: "{}".into(),
        preview: "[]".into(),
        customers: 1,
        total: 500_00,
        status: "prepared".into(),
        prepared_by,
        prepared_email: "op@x".into(),
        created_ms: 3_000,
        approved_by: None,
        approved_email: None,
        approved_ms: None,
    }
}

async fn the_refusal_log_is_read_by_window_and_pruned(db: &TestDb) {
    let store = db.connect().await;
    let unverified = RefusedRow { verified: false, symbol: None, side: None, amount: None, rate: None, ..refused(8, 1_500) };
    store.record_refusals(&[refused(7, 999), refused(7, 1_000), unverified.clone(), refused(9, 2_001)], &[(7, 0, 5), (7, 0, 2), (8, 1, 1)]).await.unwrap();
    let rows = store.refusals_between(1_000, 2_000, 100).await.unwrap();
    assert_eq!(rows.iter().map(|r| (r.user, r.ts_ms, r.verified)).collect::<Vec<_>>(), [(7, 1_000, true), (8, 1_500, false)]);
    assert_eq!(rows[1], RefusedRow { id: rows[1].id, ..unverified });
    assert_eq!(store.refusals_dropped_between(0, 60_000).await.unwrap(), [(7, 7), (8, 1)]);
    assert_eq!(store.prune_refusals(1_000, 100).await.unwrap(), 1);
    assert_eq!(store.refusals_between(0, 10_000, 100).await.unwrap().len(), 3);
}

async fn an_incident_is_approved_once_and_not_by_its_preparer(db: &TestDb) {
    let store = db.connect().await;
    let id = store.comp_insert_incident(&incident(5)).await.unwrap();
    let credit = CompCreditRow {
        reference: format!("comp:{id}:7:flat"),
        incident_id: id,
        user: 7,
        asset_id: 0,
        class: "flat".into(),
        amount: 500_00,
        created_ms: 0,
        submitted_ms: None,
        completed_ms: None,
    };
    assert!(!store.comp_approve(id, 5, "op@x", 4_000, std::slice::from_ref(&credit)).await.unwrap(), "the preparer cannot approve");
    assert!(store.comp_credits_of_incident(id).await.unwrap().is_empty());
    assert!(store.comp_approve(id, 6, "fin@x", 4_000, std::slice::from_ref(&credit)).await.unwrap());
    assert!(!store.comp_approve(id, 6, "fin@x", 5_000, std::slice::from_ref(&credit)).await.unwrap(), "approved already");
    let row = store.comp_incident(id).await.unwrap().unwrap();
    assert_eq!((row.status.as_str(), row.approved_by, row.approved_ms), ("approved", Some(6), Some(4_000)));
    let credits = store.comp_credits_of_user(7, 10).await.unwrap();
    assert_eq!((credits.len(), credits[0].amount, credits[0].created_ms, credits[0].completed_ms), (1, 500_00, 4_000, None));
    store.comp_mark_submitted(&credit.reference, 4_100).await.unwrap();
    assert_eq!(store.comp_credits_of_incident(id).await.unwrap()[0].submitted_ms, Some(4_100));
    assert_eq!(store.comp_incidents(10).await.unwrap().len(), 1);
}

suite!(the_refusal_log_is_read_by_window_and_pruned, an_incident_is_approved_once_and_not_by_its_preparer);
