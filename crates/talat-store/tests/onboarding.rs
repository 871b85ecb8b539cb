//! Onboarding's tables (migration 0006) on SQLite and on a real PostgreSQL: email verification
//! tokens used once, documents attached to one application only, applications unique per
//! identity among live ones, conditional (versioned) changes with their events, the account's
//! risk and the mail in one transaction, the append-only events, knowledge-test attempts, and
//! the screening hits read by account.
//!
//! Each scenario is an `async fn(&TestDb)`; on SQLite each is its own test, on PostgreSQL one
//! test starts a throwaway server and runs every scenario on a fresh database.

#[macro_use]
mod support;

use support::*;
use talat_core::UserId;
use talat_store::*;

fn mail(to: &str, kind: &str) -> NewMail {
    NewMail { kind: kind.into(), to_addr: to.into(), subject: "s".into(), body: "b".into() }
}

fn ev(kind: &str) -> NewKycEvent {
    NewKycEvent { actor: "customer".into(), actor_id: 1, kind: kind.into(), detail: String::new() }
}

async fn doc(store: &Store, account: u64, purpose: &str) -> u64 {
    let d = NewKycDocument {
        account_id: account,
        purpose: purpose.into(),
        content_type: "image/png".into(),
        sha256: "ab".repeat(32),
        size_bytes: 4096,
        width: Some(640),
        height: Some(480),
        created_ms: 1_000,
    };
    store.insert_kyc_document(&d).await.unwrap().id
}

fn application(account: u64, id_key: &str, ts: u64) -> NewKycApplication {
    NewKycApplication {
        account_id: account,
        level: 1,
        data: "{\"id_type\":\"thai_id\"}".into(),
        id_key: Some(id_key.into()),
        idv_provider: Some("simulator".into()),
        idv_outcome: Some("verified".into()),
        idv_evidence: Some("{}".into()),
        screening_status: "clear".into(),
        risk_rating: Some("low".into()),
        risk_factors: Some("{\"points\":0}".into()),
        submitted_ms: ts,
    }
}

async fn email_verification_is_used_once(db: &TestDb) {
    let store = db.connect().await;
    let a = store.insert_web_account("a@example.com", "h", UserId(1), 1_000).await.unwrap().unwrap();
    let b = store.insert_web_account("b@example.com", "h", UserId(2), 1_000).await.unwrap().unwrap();
    assert_eq!(store.last_email_verification_ms(a).await.unwrap(), None);
    store.create_email_verification(a, "t-a", 2_000, &mail("a@example.com", "email.verify")).await.unwrap();
    store.create_email_verification(a, "t-a2", 3_000, &mail("a@example.com", "email.verify")).await.unwrap();
    assert_eq!(store.last_email_verification_ms(a).await.unwrap(), Some(3_000));
    assert_eq!(store.outbox(10).await.unwrap().iter().filter(|m| m.kind == "email.verify").count(), 2, "each token's mail is queued with it");
    assert!(!store.use_email_verification(b, "t-a", 0, 4_000).await.unwrap(), "someone else's token");
    assert!(!store.use_email_verification(a, "t-a", 2_001, 4_000).await.unwrap(), "expired");
    assert!(!store.use_email_verification(a, "nope", 0, 4_000).await.unwrap(), "wrong");
    assert!(store.web_account(a).await.unwrap().unwrap().email_verified_ms.is_none());
    assert!(store.use_email_verification(a, "t-a", 0, 4_000).await.unwrap());
    assert!(!store.use_email_verification(a, "t-a", 0, 5_000).await.unwrap(), "used");
    assert_eq!(store.web_account(a).await.unwrap().unwrap().email_verified_ms, Some(4_000));
    assert!(store.use_email_verification(a, "t-a2", 0, 6_000).await.unwrap());
    assert_eq!(store.web_account(a).await.unwrap().unwrap().email_verified_ms, Some(4_000), "the first verification stays");

    // Level and admission.
    store.set_kyc_level(a, 2).await.unwrap();
    assert!(store.kyc_mark_admitted(a, 7_000).await.unwrap());
    assert!(!store.kyc_mark_admitted(a, 8_000).await.unwrap());
    let row = store.web_account(a).await.unwrap().unwrap();
    assert_eq!((row.kyc_level, row.admitted_ms), (2, Some(7_000)));
}

async fn applications_documents_and_conditional_changes(db: &TestDb) {
    let store = db.connect().await;
    let a = store.insert_web_account("a@example.com", "h", UserId(1), 1_000).await.unwrap().unwrap();
    let b = store.insert_web_account("b@example.com", "h", UserId(2), 1_000).await.unwrap().unwrap();
    let (photo, selfie) = (doc(&store, a, "id_photo").await, doc(&store, a, "selfie").await);
    let bs = doc(&store, b, "id_photo").await;
    let d = store.kyc_document(photo).await.unwrap().unwrap();
    assert_eq!((d.account_id, d.purpose.as_str(), d.width, d.application_id), (a, "id_photo", Some(640), None));

    // Someone else's document: nothing is stored.
    let r = store.create_kyc_application(&application(a, "key-1", 2_000), &[photo, bs], &[ev("submitted")]).await.unwrap();
    assert_eq!(r, KycCreate::DocumentUnavailable(bs));
    assert!(store.kyc_applications_of_account(a).await.unwrap().is_empty());
    assert!(store.kyc_document(photo).await.unwrap().unwrap().application_id.is_none(), "rolled back");

    let KycCreate::Created(app) =
        store.create_kyc_application(&application(a, "key-1", 2_000), &[photo, selfie], &[ev("submitted"), ev("identity")]).await.unwrap()
    else {
        panic!("created")
    };
    assert_eq!((app.status.as_str(), app.level, app.version, app.submitted_ms, app.screening_status.as_str()), ("submitted", 1, 0, 2_000, "clear"));
    assert_eq!(store.kyc_documents_of_application(app.id).await.unwrap().iter().map(|d| d.id).collect::<Vec<_>>(), vec![photo, selfie]);
    // One live application per level and account; one identity per account.
    assert_eq!(store.create_kyc_application(&application(a, "key-2", 2_100), &[], &[]).await.unwrap(), KycCreate::AlreadyOpen);
    assert_eq!(store.create_kyc_application(&application(b, "key-1", 2_200), &[], &[]).await.unwrap(), KycCreate::DuplicateIdentity);
    assert!(store.kyc_applications_of_account(b).await.unwrap().is_empty());

    // Queue and counts.
    assert_eq!(store.kyc_queue(&[], None, 10).await.unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), vec![app.id]);
    assert!(store.kyc_queue(&["approved"], None, 10).await.unwrap().is_empty());
    assert_eq!(store.kyc_counts().await.unwrap(), KycCounts { submitted: 1, ..Default::default() });

    // A change at the wrong version changes nothing; at the right one, everything at once.
    let mut change = KycChange {
        application_id: app.id,
        expect_version: 5,
        now_ms: 3_000,
        set: vec![("assignee_staff_id", Set::Int(42))],
        events: vec![NewKycEvent { actor: "staff".into(), actor_id: 42, kind: "assigned".into(), detail: "staff 42".into() }],
        ..Default::default()
    };
    assert!(!store.change_kyc_application(&change).await.unwrap());
    change.expect_version = 0;
    assert!(store.change_kyc_application(&change).await.unwrap());
    assert!(!store.change_kyc_application(&change).await.unwrap(), "the version moved on");
    assert_eq!(store.kyc_queue(&[], Some(42), 10).await.unwrap().len(), 1);
    assert!(store.kyc_queue(&[], Some(43), 10).await.unwrap().is_empty());

    let approve = KycChange {
        application_id: app.id,
        expect_version: 1,
        now_ms: 4_000,
        set: vec![
            ("status", Set::Text("approved".into())),
            ("decided_ms", Set::Int(4_000)),
            ("decision_reason", Set::Text("fine".into())),
            ("decided_by_staff_id", Set::Int(42)),
        ],
        events: vec![ev("approved")],
        mail: vec![mail("a@example.com", "kyc.approved")],
        account_risk: Some(("medium".into(), Some(99_000))),
        ..Default::default()
    };
    assert!(store.change_kyc_application(&approve).await.unwrap());
    let app = store.kyc_application(app.id).await.unwrap().unwrap();
    assert_eq!((app.status.as_str(), app.version, app.decided_ms, app.assignee_staff_id, app.updated_ms), ("approved", 2, Some(4_000), Some(42), 4_000));
    let acct = store.web_account(a).await.unwrap().unwrap();
    assert_eq!((acct.risk_rating.as_deref(), acct.next_review_ms), (Some("medium"), Some(99_000)));
    assert!(store.outbox(10).await.unwrap().iter().any(|m| m.kind == "kyc.approved"));
    let kinds: Vec<String> = store.kyc_events(app.id).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec!["submitted", "identity", "assigned", "approved"]);
    // An approved application still holds its identity.
    assert_eq!(store.create_kyc_application(&application(b, "key-1", 5_000), &[], &[]).await.unwrap(), KycCreate::DuplicateIdentity);

    // Attaching a document that is already in an application fails the whole change.
    let mut bad = KycChange { application_id: app.id, expect_version: 2, now_ms: 6_000, attach_documents: vec![photo], ..Default::default() };
    bad.events.push(ev("info_provided"));
    assert!(!store.change_kyc_application(&bad).await.unwrap());
    assert_eq!(store.kyc_application(app.id).await.unwrap().unwrap().version, 2, "rolled back");

    // The events are append-only.
    assert!(store.execute_raw("UPDATE kyc_events SET detail = 'x'").await.is_err());
    assert!(store.execute_raw("DELETE FROM kyc_events").await.is_err());
    assert_eq!(store.kyc_events(app.id).await.unwrap().len(), 4);
}

async fn knowledge_results_and_screening_hits(db: &TestDb) {
    let store = db.connect().await;
    let a = store.insert_web_account("a@example.com", "h", UserId(1), 1_000).await.unwrap().unwrap();
    store.insert_knowledge_result(a, "kt-1", 50, false, "{}", 1_000).await.unwrap();
    store.insert_knowledge_result(a, "kt-1", 100, true, "{\"q1\":\"a\"}", 2_000).await.unwrap();
    let r = store.knowledge_results(a, 10).await.unwrap();
    assert_eq!(r.iter().map(|r| (r.score_pct, r.passed, r.test_version.as_str())).collect::<Vec<_>>(), vec![(100, true, "kt-1"), (50, false, "kt-1")]);
    assert!(store.knowledge_results(a + 1, 10).await.unwrap().is_empty());

    assert!(store.screening_hits_of_account(a, 100).await.unwrap().is_empty());
    store
        .execute_raw(&format!(
            "INSERT INTO screening_hits (account_id, list_name, entity_id, entity_version, score_milli, matched_name, reasons, status, created_ms) \
             VALUES ({a}, 'un', 'QDi.1', 3, 950, 'Some Body', '[\"name\"]', 'open', 5000)"
        ))
        .await
        .unwrap();
    let hits = store.screening_hits_of_account(a, 100).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].list_name.as_str(), hits[0].entity_version, hits[0].score_milli, hits[0].status.as_str(), hits[0].decided_by),
        ("un", 3, 950, "open", None)
    );
}

suite!(email_verification_is_used_once, applications_documents_and_conditional_changes, knowledge_results_and_screening_hits);
