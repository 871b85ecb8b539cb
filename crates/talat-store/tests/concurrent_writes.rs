//! The web API's writes and the projection's writes at the same time on one database, as
//! `talat serve` runs them (the shared pool for the web, a dedicated pool for the projector,
//! one write lock), with a second store on the same database writing too (its own pool and
//! write lock: another process). Every write must land and none may fail: on SQLite, no
//! "database is locked" (SQLITE_BUSY) from a transaction that took a read lock and then could
//! not upgrade it, nor from one that began while the previous transaction's rollback was still
//! queued. The web side ends a transaction without committing every round (a 2FA reset that
//! finds 2FA off) right before its next write, and the projection reads `meta` before it writes.

#[macro_use]
mod support;

use support::*;
use talat_core::{Side, UserId};
use talat_store::*;
use tokio::sync::Barrier;

/// Rounds per writer: each web writer makes seven writes a round, the engine two orders (a trade).
const ROUNDS: u64 = 150;

/// The engine's side: two users trading BTC_THB, one trade per round.
fn trading() -> Sim {
    let mut sim = Sim::new();
    let (a, b) = (sim.rich_user(), sim.rich_user());
    for _ in 0..ROUNDS {
        sim.tick(10);
        sim.limit(a, Side::Buy, 1_000_000, 10_000);
        sim.limit(b, Side::Sell, 1_000_000, 10_000);
    }
    sim
}

fn email(writer: u64, round: u64) -> String {
    format!("w{writer}-{round}@example.com")
}

fn token(writer: u64, round: u64) -> String {
    format!("{:064x}", (writer << 32) | round)
}

/// One web writer's rounds: a sign-up, a session created and touched, an audit entry, a 2FA
/// reset that changes nothing (its transaction is dropped, not committed), a KYC application and
/// a support ticket.
async fn web_writes(store: Store, writer: u64, staff: u64, start: &Barrier) -> Result<(), StoreError> {
    start.wait().await;
    for round in 0..ROUNDS {
        let ms = 1_000 + round;
        let user = UserId(u32::try_from(writer * 10_000 + round).unwrap());
        let id = store.insert_web_account(&email(writer, round), "hash", user, ms).await?.expect("a new email");
        let session = SessionRow {
            token_sha256: token(writer, round),
            kind: "customer".into(),
            owner_id: id,
            csrf: format!("csrf-{round}"),
            created_ms: ms,
            last_seen_ms: ms,
        };
        store.insert_session(&session).await?;
        store.touch_session(&session.token_sha256, ms + 1).await?;
        let audit = AuditRow {
            id: 0,
            ts_ms: ms,
            staff_id: staff,
            staff_email: "ops@talat.local".into(),
            role: "operator".into(),
            action: "account.view".into(),
            target: format!("{writer}/{round}"),
            detail: String::new(),
            outcome: "ok".into(),
        };
        store.append_audit(&audit).await?;
        assert_eq!(store.reset_staff_totp(staff).await?, None, "2FA is off: nothing to reset");
        // Reads before it writes (no open application of this level, no duplicate identity).
        let kyc = NewKycApplication {
            account_id: id,
            level: 1,
            data: "{}".into(),
            id_key: Some(format!("key-{writer}-{round}")),
            idv_provider: None,
            idv_outcome: None,
            idv_evidence: None,
            screening_status: "clear".into(),
            risk_rating: None,
            risk_factors: None,
            submitted_ms: ms,
        };
        assert!(matches!(store.create_kyc_application(&kyc, &[], &[]).await?, KycCreate::Created(_)));
        let ticket = NewTicket {
            account_id: id,
            category: "other".into(),
            priority: "normal".into(),
            subject: format!("round {round}"),
            status: "open".into(),
            link_kind: None,
            link_ref: None,
            complaint_status: None,
            complaint_reason: None,
            created_ms: ms,
        };
        let first = NewMessage { author: "customer".into(), author_id: id, internal: false, body: "hello".into() };
        let mail = |t: u64| vec![NewMail { kind: "ticket.received".into(), to_addr: email(writer, round), subject: format!("#{t}"), body: "got it".into() }];
        store.create_ticket(&ticket, &first, &[], &[], &mail).await?;
    }
    Ok(())
}

/// The projection's writes: the log in runs of one to three commands, one transaction each.
async fn projection_writes(store: Store, log: Vec<talat_core::Applied>, start: &Barrier) -> Result<(), StoreError> {
    start.wait().await;
    let sizes = [1usize, 3, 2];
    let mut at = 0;
    for size in sizes.iter().cycle() {
        if at >= log.len() {
            return Ok(());
        }
        let end = (at + size).min(log.len());
        assert_eq!(store.project(&log[at..end]).await?, log[end - 1].input.seq);
        at = end;
    }
    Ok(())
}

async fn web_and_projection_writes_at_once_all_land(db: &TestDb) {
    let sim = trading();
    let web = db.connect().await;
    let projector = web.dedicated(&db.url).await.expect("a dedicated pool");
    let other = db.connect().await;
    let staff = web.insert_staff("ops@talat.local", "hash", "operator", 1).await.unwrap().unwrap();

    let start = std::sync::Arc::new(Barrier::new(3));
    let tasks = [
        tokio::spawn({
            let (store, start) = (web.clone(), start.clone());
            async move { web_writes(store, 1, staff, &start).await }
        }),
        tokio::spawn({
            let (store, start) = (other.clone(), start.clone());
            async move { web_writes(store, 2, staff, &start).await }
        }),
        tokio::spawn({
            let (store, start, log) = (projector.clone(), start.clone(), sim.log.clone());
            async move { projection_writes(store, log, &start).await }
        }),
    ];
    let mut errors = Vec::new();
    for task in tasks {
        if let Err(e) = task.await.expect("a writer panicked") {
            errors.push(e.to_string());
        }
    }
    assert!(errors.is_empty(), "writes failed: {errors:?}");

    // Every web write landed, read through a handle that did not write it.
    for (writer, reader) in [(1, &other), (2, &web)] {
        for round in 0..ROUNDS {
            let account = reader.web_account_by_email(&email(writer, round)).await.unwrap().expect("the account");
            let session = reader.session(&token(writer, round)).await.unwrap().expect("the session");
            assert_eq!((session.owner_id, session.last_seen_ms), (account.id, 1_000 + round + 1), "touched");
            let tickets = reader.tickets_of_account(account.id, 10).await.unwrap();
            assert_eq!(tickets.len(), 1, "one ticket for {}", account.email);
            assert_eq!(reader.kyc_applications_of_account(account.id).await.unwrap().len(), 1);
        }
    }
    let mut audit = 0;
    let mut before = None;
    loop {
        let page = web.audit_entries(before, MAX_WEB_ROWS).await.unwrap();
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        audit += page.len() as u64;
    }
    assert_eq!(audit, 2 * ROUNDS);
    assert_eq!(web.outbox(MAX_SUPPORT_ROWS).await.unwrap().len() as u64, 2 * ROUNDS);

    // Every command projected: the seq, one trade a round, every order of the buyer's.
    assert_eq!(web.projected_seq().await.unwrap(), sim.seq);
    assert_eq!(web.recent_trades(BTC_THB, MAX_LIMIT).await.unwrap().len() as u64, ROUNDS);
    let buyer = expected_orders(&sim.log).values().next().map(|o| o.user).expect("orders");
    let page = web.order_history(buyer, BTC_THB, &HistoryQuery { page: Some(1), limit: 1, ..Default::default() }).await.unwrap();
    assert_eq!(page.total, Some(ROUNDS));
}

suite!(web_and_projection_writes_at_once_all_land);
