//! Proof of reserves' tables (migration 0015) on SQLite and on a real PostgreSQL: a customer's
//! salt is made once (a second one is ignored), a report and its leaves are written together in
//! batches (more leaves than one batch holds), read back exactly and in pages, and only the
//! newest 31 reports keep their leaves while every report row stays.

#[macro_use]
mod support;

use support::*;
use talat_store::*;

fn report(as_of_ms: u64, leaves: &[PorLeafRow]) -> PorReportRow {
    let totals = (0..2).map(|a| leaves.iter().map(|l| u128::from(l.balances[a])).sum::<u128>().to_string()).collect();
    PorReportRow {
        id: 0,
        as_of_ms,
        assets: vec!["THB".into(), "BTC".into()],
        root_hash_hex: format!("{as_of_ms:064x}"),
        totals,
        leaf_count: leaves.len() as u64,
        published_ms: as_of_ms + 1,
        published_by: (as_of_ms > 1_000).then_some(7), // the first by the daily job
        reserves: None,
    }
}

async fn salts_reports_and_pruning(db: &TestDb) {
    let store = db.connect().await;
    assert_eq!(store.insert_por_salts(&[(0, [1; 32]), (5, [2; 32])], 10).await.unwrap(), 2);
    // A salt is made once: a second one for the same customer is ignored, a new customer's kept.
    assert_eq!(store.insert_por_salts(&[(5, [9; 32]), (6, [3; 32])], 11).await.unwrap(), 1);
    assert_eq!(store.por_salts_page(None, 100).await.unwrap(), vec![(0, [1; 32]), (5, [2; 32]), (6, [3; 32])]);
    assert_eq!(store.por_salts_page(Some(0), 1).await.unwrap(), vec![(5, [2; 32])]);

    // More leaves than one INSERT batch, with balances up to u64::MAX.
    let many: Vec<PorLeafRow> =
        (0..POR_LEAF_BATCH as u64 + 7).map(|u| PorLeafRow { user_id: u, balances: vec![u * 100, if u == 3 { u64::MAX } else { 0 }] }).collect();
    let first = store.insert_por_report(&report(1_000, &many), &many).await.unwrap();
    let got = store.latest_por_report().await.unwrap().unwrap();
    assert_eq!(got, PorReportRow { id: first, ..report(1_000, &many) });
    // The assets side is written once, after the report.
    assert!(store.set_por_reserves(first, "[]").await.unwrap());
    assert!(!store.set_por_reserves(first, "[{}]").await.unwrap(), "not rewritten");
    assert_eq!(store.latest_por_report().await.unwrap().unwrap().reserves.as_deref(), Some("[]"));
    assert_eq!(store.por_leaf(first, 3).await.unwrap().unwrap().balances, vec![300, u64::MAX]);
    assert_eq!(store.por_leaf(first, 100_000).await.unwrap(), None);
    let mut read = Vec::new();
    let mut after = None;
    loop {
        let page = store.por_leaves_page(first, after, 200).await.unwrap();
        after = page.last().map(|l| l.user_id);
        let done = page.len() < 200;
        read.extend(page);
        if done {
            break;
        }
    }
    assert_eq!(read, many, "every leaf back, in user order, exactly");

    // 32 more reports: the first loses its leaves (only the newest 31 keep theirs), keeps its row.
    let few = vec![PorLeafRow { user_id: 1, balances: vec![5, 6] }];
    let mut ids = vec![first];
    for day in 1..=POR_KEEP_LEAF_REPORTS as u64 + 1 {
        ids.push(store.insert_por_report(&report(1_000 + day, &few), &few).await.unwrap());
    }
    assert!(store.por_leaves_page(first, None, 10).await.unwrap().is_empty(), "the oldest report's leaves are pruned");
    assert!(store.por_leaves_page(ids[1], None, 10).await.unwrap().is_empty(), "so are the second oldest's");
    for id in &ids[2..] {
        assert_eq!(store.por_leaf(*id, 1).await.unwrap().unwrap().balances, vec![5, 6], "report {id} keeps its leaves");
    }
    let reports = store.por_reports(100).await.unwrap();
    assert_eq!(reports.len(), ids.len(), "every report row stays");
    assert_eq!(reports.iter().map(|r| r.id).collect::<Vec<_>>(), ids.iter().rev().copied().collect::<Vec<_>>(), "newest first");
    assert_eq!(reports.last().unwrap().totals, report(1_000, &many).totals);
}

suite!(salts_reports_and_pruning);
