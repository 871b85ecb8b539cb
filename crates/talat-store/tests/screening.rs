//! Sanctions screening's tables on SQLite and on a real PostgreSQL: lists loaded in one
//! transaction (replacing the active list of a name, refusing the same file twice), hits
//! recorded without duplicates with the applications' screening status following them, and
//! decisions conditional on the hit still being open.

#[macro_use]
mod support;

use support::*;
use talat_core::UserId;
use talat_store::*;

fn entry(id: &str, version: u64) -> SanctionsEntryRow {
    SanctionsEntryRow { entity_id: id.into(), version, entry: format!("{{\"entity_id\":\"{id}\",\"version\":{version}}}"), addresses: Vec::new() }
}

fn list(name: &str, sha: &str, at: u64) -> NewSanctionsList {
    NewSanctionsList { name: name.into(), format: "csv".into(), sha256: sha.into(), loaded_by: 7, loaded_ms: at }
}

fn hit(list: &str, id: &str, version: u64) -> NewScreeningHit {
    NewScreeningHit {
        list_name: list.into(),
        entity_id: id.into(),
        entity_version: version,
        score_milli: 950,
        matched_name: format!("Name of {id}"),
        reasons: "[\"same name\"]".into(),
    }
}

async fn lists_load_in_one_transaction_and_replace_by_name(db: &TestDb) {
    let store = db.connect().await;
    let first = match store.load_sanctions_list(&list("un-sc", "aa", 1_000), &[entry("1", 1), entry("2", 3)]).await.unwrap() {
        ListLoad::Loaded { list, replaced } => {
            assert_eq!(replaced, None);
            list
        }
        other => panic!("{other:?}"),
    };
    assert_eq!((first.entry_count, first.active, first.loaded_by, first.format.as_str()), (2, true, 7, "csv"));
    // The same file again: refused, nothing changes.
    assert!(matches!(store.load_sanctions_list(&list("un-sc", "aa", 2_000), &[entry("1", 1)]).await.unwrap(), ListLoad::AlreadyActive(l) if l.id == first.id));
    assert_eq!(store.sanctions_lists(10).await.unwrap().len(), 1);

    // Another list name is independent; a new file of the first name replaces it. Enough
    // entries to need several insert statements.
    store.load_sanctions_list(&list("in-house", "aa", 3_000), &[entry("X", 1)]).await.unwrap();
    let many: Vec<SanctionsEntryRow> = (0..1_203).map(|i| entry(&format!("E{i:05}"), 1 + i % 3)).collect();
    let second = match store.load_sanctions_list(&list("un-sc", "bb", 4_000), &many).await.unwrap() {
        ListLoad::Loaded { list, replaced } => {
            assert_eq!(replaced, Some(first.id));
            list
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(second.entry_count, 1_203);
    let active = store.active_sanctions_lists().await.unwrap();
    assert_eq!(active.iter().map(|l| (l.name.as_str(), l.sha256.as_str())).collect::<Vec<_>>(), vec![("in-house", "aa"), ("un-sc", "bb")]);
    assert!(!store.sanctions_list(first.id).await.unwrap().unwrap().active);
    let back = store.sanctions_entries(second.id).await.unwrap();
    assert_eq!(back.len(), 1_203);
    assert_eq!(back[0], entry("E00000", 1));
    assert_eq!(back[1_202], many[1_202]);
    assert_eq!(store.sanctions_entries(first.id).await.unwrap(), vec![entry("1", 1), entry("2", 3)], "old lists keep their entries");
    // The old file of the name is not active any more, so loading it again is a new load.
    assert!(matches!(store.load_sanctions_list(&list("un-sc", "aa", 5_000), &[entry("1", 1)]).await.unwrap(), ListLoad::Loaded { .. }));
    let all = store.sanctions_lists(10).await.unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(all.iter().filter(|l| l.name == "un-sc" && l.active).count(), 1);
}

async fn hits_follow_the_applications_and_decisions_are_conditional(db: &TestDb) {
    let store = db.connect().await;
    let acct = store.insert_web_account("a@example.com", "h", UserId(3), 1).await.unwrap().unwrap();
    let other = store.insert_web_account("b@example.com", "h", UserId(4), 1).await.unwrap().unwrap();
    let old = store.insert_kyc_application_for_tests(acct, 1, "{\"first_name_en\":\"Old\"}", 10).await.unwrap();
    let app = store.insert_kyc_application_for_tests(acct, 1, "{\"first_name_en\":\"New\"}", 20).await.unwrap();
    let l2 = store.insert_kyc_application_for_tests(acct, 2, "{}", 30).await.unwrap();
    let app_b = store.insert_kyc_application_for_tests(other, 1, "{\"first_name_en\":\"B\"}", 40).await.unwrap();

    // The latest level-1 application of each account, in account order, in batches.
    let subjects = store.screening_subjects_after(0, 10).await.unwrap();
    assert_eq!(subjects.iter().map(|s| (s.account_id, s.application_id)).collect::<Vec<_>>(), vec![(acct, app), (other, app_b)]);
    assert_eq!(subjects[0].data, "{\"first_name_en\":\"New\"}");
    assert_eq!(store.screening_subjects_after(acct, 1).await.unwrap().len(), 1);
    assert!(store.screening_subjects_after(other, 10).await.unwrap().is_empty());

    // Two hits: both stored, every live application says `hit` and moved its version.
    let r = store.record_screening(acct, &[hit("un-sc", "9", 2), hit("amlo", "T1", 1)], 100).await.unwrap();
    assert_eq!(r, Recorded { inserted: 2, open: 2 });
    let (status, screening, _, version) = store.kyc_application_screening(app).await.unwrap().unwrap();
    assert_eq!((status.as_str(), screening.as_str(), version), ("submitted", "hit", 1));
    assert_eq!(store.kyc_application_screening(l2).await.unwrap().unwrap().1, "hit");
    assert_eq!(store.kyc_application_screening(app_b).await.unwrap().unwrap().1, "clear");
    // The same hits again are not stored twice, and an unchanged status keeps the version.
    assert_eq!(store.record_screening(acct, &[hit("un-sc", "9", 2)], 110).await.unwrap(), Recorded { inserted: 0, open: 2 });
    assert_eq!(store.kyc_application_screening(app).await.unwrap().unwrap().3, 1);

    let open = store.screening_hits(Some("open"), 10).await.unwrap();
    assert_eq!(open.len(), 2);
    assert_eq!((open[0].customer_email.as_deref(), open[0].score_milli, open[0].reasons.as_str()), (Some("a@example.com"), 950, "[\"same name\"]"));
    let (h9, ht) = (open[0].id, open[1].id);

    // Clearing one leaves the other open; clearing it again is refused and changes nothing.
    match store.clear_screening_hit(h9, 5, "different DOB", 200).await.unwrap() {
        HitDecision::Decided { hit, screening_status } => {
            assert_eq!(
                (hit.status.as_str(), hit.decided_by, hit.decision_reason.as_deref(), hit.decided_ms),
                ("cleared", Some(5), Some("different DOB"), Some(200))
            );
            assert_eq!(screening_status, "hit");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(store.clear_screening_hit(h9, 6, "again", 210).await.unwrap(), HitDecision::AlreadyDecided(h) if h.decided_by == Some(5)));
    assert!(matches!(store.confirm_screening_hit(h9, 6, "no", 210).await.unwrap(), HitDecision::AlreadyDecided(_)));
    assert_eq!(store.clear_screening_hit(999_999, 5, "x", 1).await.unwrap(), HitDecision::NotFound);
    let clearances = store.screening_clearances_between(acct, acct).await.unwrap();
    assert_eq!(
        clearances,
        vec![ClearanceRow {
            account_id: acct,
            list_name: "un-sc".into(),
            entity_id: "9".into(),
            entity_version: 2,
            staff_id: 5,
            reason: "different DOB".into(),
            ts_ms: 200
        }]
    );
    assert!(store.screening_clearances_between(other, other).await.unwrap().is_empty());

    match store.clear_screening_hit(ht, 5, "other person", 300).await.unwrap() {
        HitDecision::Decided { screening_status, .. } => assert_eq!(screening_status, "cleared"),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.kyc_application_screening(app).await.unwrap().unwrap().1, "cleared");
    assert_eq!(store.screening_hits(Some("cleared"), 10).await.unwrap().len(), 2);
    assert_eq!(store.screening_hits(None, 10).await.unwrap().len(), 2);

    // A new version of a cleared entry is a new hit (the caller drops covered ones).
    assert_eq!(store.record_screening(acct, &[hit("un-sc", "9", 3)], 400).await.unwrap(), Recorded { inserted: 1, open: 1 });
    assert_eq!(store.kyc_application_screening(app).await.unwrap().unwrap().1, "hit");
    let reopened = store.screening_hits(Some("open"), 10).await.unwrap();
    assert_eq!((reopened.len(), reopened[0].entity_version), (1, 3));

    // Confirming rejects every live application with its reason; a confirmed entry is not hit
    // again; the other customer is untouched.
    match store.confirm_screening_hit(reopened[0].id, 8, "same passport", 500).await.unwrap() {
        HitDecision::Decided { hit, screening_status } => assert_eq!((hit.status.as_str(), screening_status.as_str()), ("confirmed", "confirmed")),
        other => panic!("{other:?}"),
    }
    for a in [old, app, l2] {
        let (status, screening, reason, _) = store.kyc_application_screening(a).await.unwrap().unwrap();
        assert_eq!((status.as_str(), screening.as_str()), ("rejected", "confirmed"));
        assert!(reason.unwrap().contains("same passport"));
    }
    assert_eq!(store.record_screening(acct, &[hit("un-sc", "9", 3)], 600).await.unwrap(), Recorded { inserted: 0, open: 0 });
    assert_eq!(store.kyc_application_screening(app_b).await.unwrap().unwrap().0, "submitted");
    assert_eq!(store.screening_hits_of_account(acct, 10).await.unwrap().len(), 3);
}

/// Two reviewers deciding one hit at once: exactly one decision is applied.
async fn two_reviewers_cannot_both_decide(db: &TestDb) {
    let store = db.connect().await;
    let acct = store.insert_web_account("c@example.com", "h", UserId(9), 1).await.unwrap().unwrap();
    store.insert_kyc_application_for_tests(acct, 1, "{}", 10).await.unwrap();
    for round in 0..5u64 {
        store.record_screening(acct, &[hit("un-sc", &format!("R{round}"), 1)], 100).await.unwrap();
        let id = store.screening_hits(Some("open"), 10).await.unwrap()[0].id;
        let (a, b) = (store.clone(), store.clone());
        let first = tokio::spawn(async move { a.clear_screening_hit(id, 1, "not them", 200).await.unwrap() });
        let second = tokio::spawn(async move { b.clear_screening_hit(id, 2, "also not them", 200).await.unwrap() });
        let results = [first.await.unwrap(), second.await.unwrap()];
        assert_eq!(results.iter().filter(|r| matches!(r, HitDecision::Decided { .. })).count(), 1, "{results:?}");
        assert_eq!(results.iter().filter(|r| matches!(r, HitDecision::AlreadyDecided(_))).count(), 1, "{results:?}");
        assert_eq!(store.screening_clearances_between(acct, acct).await.unwrap().len() as u64, round + 1);
    }
}

async fn listed_addresses_are_found_only_in_active_lists(db: &TestDb) {
    let store = db.connect().await;
    let named = |id: &str, version: u64, addresses: &[(&str, &str)]| SanctionsEntryRow {
        addresses: addresses.iter().map(|(c, a)| (c.to_string(), a.to_string())).collect(),
        ..entry(id, version)
    };
    let loaded = store
        .load_sanctions_list(
            &list("ofac-sdn", "s1", 1_000),
            &[
                named("36001", 4, &[("XBT", "1exampleaddre55"), ("LTC", "rltc1qexample0")]),
                named("36002", 1, &[]),
                named("36003", 2, &[("LTC", "rltc1qexample0")]),
            ],
        )
        .await
        .unwrap();
    assert!(matches!(loaded, ListLoad::Loaded { .. }));
    let found = store.sanctioned_address("  RLTC1QEXAMPLE0 ").await.unwrap().expect("named by two entries, found in any case");
    assert_eq!((found.list_name.as_str(), found.currency.as_str(), found.address.as_str()), ("ofac-sdn", "LTC", "rltc1qexample0"));
    assert!(["36001", "36003"].contains(&found.entity_id.as_str()));
    assert_eq!(found.entity_version, if found.entity_id == "36001" { 4 } else { 2 });
    assert_eq!(store.sanctioned_address("1exampleaddre55").await.unwrap().map(|a| a.entity_id), Some("36001".into()));
    assert_eq!(store.sanctioned_address("rltc1qsomeoneelse").await.unwrap(), None);
    // A newer file of the list without the address: the old list is inactive, the address free.
    store.load_sanctions_list(&list("ofac-sdn", "s2", 2_000), &[named("36001", 5, &[("XBT", "1exampleaddre55")])]).await.unwrap();
    assert_eq!(store.sanctioned_address("rltc1qexample0").await.unwrap(), None);
    assert_eq!(store.sanctioned_address("1exampleaddre55").await.unwrap().map(|a| a.entity_version), Some(5));
}

suite!(
    lists_load_in_one_transaction_and_replace_by_name,
    hits_follow_the_applications_and_decisions_are_conditional,
    two_reviewers_cannot_both_decide,
    listed_addresses_are_found_only_in_active_lists
);
