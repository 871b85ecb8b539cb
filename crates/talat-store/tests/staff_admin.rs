//! Staff administration's tables (migration 0021) and the console's account search, on SQLite
//! and on a real PostgreSQL: a proposal is stored pending; an approval applies it once (an
//! invite creates the account, its set-password link and its mail; a disable ends the staff
//! member's sessions; a role change moves the role), a second decision changes nothing, the
//! database refuses an approval by the proposer, a link works once; and the search finds
//! engine users that have no web account by user id or by the start of an API key.

#[macro_use]
mod support;

use support::*;
use talat_core::UserId;
use talat_store::*;

fn proposal(kind: &str, target_id: Option<u64>, email: Option<&str>, role: Option<&str>, by: u64) -> StaffChangeRow {
    StaffChangeRow {
        id: 0,
        kind: kind.into(),
        target_id,
        email: email.map(Into::into),
        role: role.map(Into::into),
        reason: "because".into(),
        proposed_by: by,
        proposed_ms: 1_000,
        status: "pending".into(),
        decided_by: None,
        decided_ms: None,
    }
}

fn session(owner_id: u64, token: &str) -> SessionRow {
    SessionRow { token_sha256: token.into(), kind: "staff".into(), owner_id, csrf: "c".into(), created_ms: 1, last_seen_ms: 1 }
}

async fn staff_changes_apply_once(db: &TestDb) {
    let store = db.connect().await;
    let a = store.insert_staff("a@staff.test", "h", "admin", 1).await.unwrap().unwrap();
    let b = store.insert_staff("b@staff.test", "h", "admin", 1).await.unwrap().unwrap();
    let sup = store.insert_staff("sup@staff.test", "h", "support", 1).await.unwrap().unwrap();
    store.insert_session(&session(sup, "t1")).await.unwrap();
    store.insert_session(&session(sup, "t2")).await.unwrap();

    // An invite: pending, then approved by another admin, which creates everything at once.
    let id = store.insert_staff_change(&proposal("invite", None, Some("new@staff.test"), Some("kyc"), a)).await.unwrap();
    assert_eq!(store.staff_changes(Some("pending"), 10).await.unwrap().len(), 1);
    let mail = NewMail { kind: "staff_invite".into(), to_addr: "new@staff.test".into(), subject: "s".into(), body: "link".into() };
    let invite =
        StaffEffect::Invite { email: "new@staff.test".into(), role: "kyc".into(), password_hash: "!".into(), link_sha256: "L".into(), expires_ms: 5_000, mail };
    // The database refuses the proposer's own approval, and nothing is applied.
    assert!(store.approve_staff_change(id, a, 2_000, &invite).await.is_err());
    assert!(store.staff_by_email("new@staff.test").await.unwrap().is_none());
    let applied = store.approve_staff_change(id, b, 2_000, &invite).await.unwrap().unwrap();
    let new = store.staff(applied.staff_id).await.unwrap().unwrap();
    assert_eq!((new.email.as_str(), new.role.as_str(), new.disabled_ms), ("new@staff.test", "kyc", None));
    let row = store.staff_change(id).await.unwrap().unwrap();
    assert_eq!((row.status.as_str(), row.decided_by, row.target_id), ("approved", Some(b), Some(applied.staff_id)));
    assert!(store.outbox(10).await.unwrap().iter().any(|m| m.kind == "staff_invite" && m.to_addr == "new@staff.test"));
    assert_eq!(store.approve_staff_change(id, b, 2_001, &invite).await.unwrap(), None, "decided once");
    assert!(!store.reject_staff_change(id, b, 2_001).await.unwrap());

    // The link: not after it expires, then once.
    assert!(store.use_staff_password_link("L", "h2", 5_000).await.unwrap().is_none(), "expired at 5000");
    assert!(store.use_staff_password_link("nope", "h2", 3_000).await.unwrap().is_none());
    assert_eq!(store.use_staff_password_link("L", "h2", 3_000).await.unwrap().unwrap().password_hash, "h2");
    assert!(store.use_staff_password_link("L", "h3", 3_001).await.unwrap().is_none(), "used");

    // A disable ends the sessions; a role change moves the role; a rejection changes nothing.
    let d = store.insert_staff_change(&proposal("disable", Some(sup), None, None, a)).await.unwrap();
    let done = store.approve_staff_change(d, b, 3_000, &StaffEffect::Disable { staff_id: sup }).await.unwrap().unwrap();
    assert_eq!(done.sessions_ended, 2);
    assert_eq!(store.staff(sup).await.unwrap().unwrap().disabled_ms, Some(3_000));
    assert!(store.session("t1").await.unwrap().is_none());
    let r = store.insert_staff_change(&proposal("role", Some(new.id), None, Some("finance"), b)).await.unwrap();
    store.approve_staff_change(r, a, 4_000, &StaffEffect::SetRole { staff_id: new.id, role: "finance".into() }).await.unwrap().unwrap();
    assert_eq!(store.staff(new.id).await.unwrap().unwrap().role, "finance");
    let x = store.insert_staff_change(&proposal("role", Some(new.id), None, Some("admin"), b)).await.unwrap();
    assert!(store.reject_staff_change(x, b, 4_001).await.unwrap(), "the proposer may withdraw");
    assert_eq!(store.staff(new.id).await.unwrap().unwrap().role, "finance");
    // A disabled staff member's role is not changed.
    let y = store.insert_staff_change(&proposal("role", Some(sup), None, Some("kyc"), a)).await.unwrap();
    assert_eq!(store.approve_staff_change(y, b, 5_000, &StaffEffect::SetRole { staff_id: sup, role: "kyc".into() }).await.unwrap(), None);
    assert_eq!(store.staff_change(y).await.unwrap().unwrap().status, "pending", "rolled back");
    let all = store.staff_changes(None, 10).await.unwrap();
    assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), vec![y, x, r, d, id], "newest first");
}

async fn search_finds_api_only_users(db: &TestDb) {
    let store = db.connect().await;
    store.execute_raw("INSERT INTO users (user_id, created_seq, created_ts_ms) VALUES (5, 1, 100), (6, 2, 200), (7, 3, 300)").await.unwrap();
    store.insert_web_account("web@example.com", "h", UserId(7), 300).await.unwrap().unwrap();
    let key = ApiKeyRow {
        api_key: "abc123xyz".into(),
        user: UserId(5),
        secret_ciphertext: vec![1],
        secret_nonce: vec![2; 12],
        perms: PERM_TRADE,
        ip_allow: String::new(),
        created_ms: 100,
        revoked_ms: None,
    };
    store.insert_api_key(&key).await.unwrap();
    let users = |hits: Vec<AccountHit>| {
        hits.iter()
            .map(|h| match h {
                AccountHit::Web(a) => (a.user.0, true),
                AccountHit::ApiOnly { user, .. } => (user.0, false),
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(users(store.search_accounts("", None, 50).await.unwrap()), vec![(7, true), (5, false), (6, false)]);
    assert_eq!(users(store.search_accounts("6", Some(UserId(6)), 50).await.unwrap()), vec![(6, false)]);
    assert_eq!(users(store.search_accounts("abc1", None, 50).await.unwrap()), vec![(5, false)]);
    assert_eq!(users(store.search_accounts("a_c", None, 50).await.unwrap()), vec![], "_ is not a wildcard");
    assert_eq!(users(store.search_accounts("web@", None, 50).await.unwrap()), vec![(7, true)]);
    match &store.search_accounts("abc", None, 50).await.unwrap()[0] {
        AccountHit::ApiOnly { created_ms, live_keys, .. } => assert_eq!((*created_ms, *live_keys), (100, 1)),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.engine_user_created_ms(UserId(6)).await.unwrap(), Some(200));
    assert_eq!(store.engine_user_created_ms(UserId(60)).await.unwrap(), None);
}

suite!(staff_changes_apply_once, search_finds_api_only_users);
