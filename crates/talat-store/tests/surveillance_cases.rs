//! Surveillance cases (migration 0010) on SQLite and on a real PostgreSQL: a case opens from
//! open alerts only and takes them `in_case` with it (all or nothing), each move happens only
//! from the status it leaves, a closed case must have its disposition, asking the customer
//! writes the support ticket and the case's move together, and the timeline is append-only.

#[macro_use]
mod support;

use support::*;
use talat_core::UserId;
use talat_store::*;

fn alert(id: &str) -> AlertRow {
    AlertRow {
        id: id.into(),
        detector: "linked_wash".into(),
        symbol: "BTC_THB".into(),
        accounts: "[1,2]".into(),
        from_ts_ms: 1_000,
        to_ts_ms: 2_000,
        seq: 7,
        summary: "accounts 1 and 2 traded with each other".into(),
        figures: "[[\"round_trips\",\"4\"]]".into(),
        evidence: "{\"orders\":[],\"trades\":[],\"links\":[],\"chart\":[]}".into(),
        status: "open".into(),
        case_id: None,
        created_ms: 3_000,
    }
}

fn event(staff_id: u64, action: &str, note: &str) -> NewCaseEvent {
    NewCaseEvent { staff_id, action: action.into(), note: note.into(), detail: "{}".into() }
}

async fn cases_move_only_from_where_they_are(db: &TestDb) {
    let store = db.connect().await;
    store.surveillance_record_alerts(&[alert("a1"), alert("a2"), alert("a3")]).await.unwrap();
    assert!(store.surveillance_set_alert_status("a3", "open", "dismissed", None).await.unwrap());

    // A dismissed alert cannot join a case, and nothing of the attempt stays.
    let refused = store.surveillance_open_case("wash", &["a1".into(), "a3".into()], &event(5, "opened", ""), 10_000).await.unwrap();
    assert_eq!(refused, CaseOpened::AlertNotOpen("a3".into()));
    assert!(store.surveillance_cases(None, 10).await.unwrap().is_empty());
    assert_eq!(store.surveillance_alert("a1").await.unwrap().unwrap().status, "open", "rolled back");

    let CaseOpened::Opened(case) = store.surveillance_open_case("wash", &["a1".into(), "a2".into()], &event(5, "opened", "two alerts"), 10_000).await.unwrap()
    else {
        panic!("the case opens")
    };
    assert_eq!((case.status.as_str(), case.created_by, case.version), ("open", 5, 0));
    let alerts = store.surveillance_case_alerts(case.id).await.unwrap();
    assert_eq!(
        alerts.iter().map(|a| (a.id.as_str(), a.status.as_str(), a.case_id)).collect::<Vec<_>>(),
        [("a1", "in_case", Some(case.id)), ("a2", "in_case", Some(case.id))]
    );
    // An alert in a case cannot open another.
    assert_eq!(store.surveillance_open_case("again", &["a2".into()], &event(5, "opened", ""), 11_000).await.unwrap(), CaseOpened::AlertNotOpen("a2".into()));

    let assign = CaseChange {
        case_id: case.id,
        from: &["open", "awaiting_customer", "escalated"],
        now_ms: 12_000,
        set: vec![("assignee_staff_id", CaseSet::Int(9))],
        event: event(5, "assigned", ""),
    };
    assert!(store.surveillance_change_case(&assign).await.unwrap());
    let escalate = CaseChange {
        case_id: case.id,
        from: &["open", "awaiting_customer"],
        now_ms: 13_000,
        set: vec![("status", CaseSet::Text("escalated".into()))],
        event: event(9, "escalated", "big"),
    };
    assert!(store.surveillance_change_case(&escalate).await.unwrap());
    assert!(!store.surveillance_change_case(&escalate).await.unwrap(), "escalated once");

    // The database itself refuses a closed case without a disposition.
    let bare_close = CaseChange {
        case_id: case.id,
        from: &["escalated"],
        now_ms: 14_000,
        set: vec![("status", CaseSet::Text("closed".into()))],
        event: event(9, "closed", ""),
    };
    assert!(store.surveillance_change_case(&bare_close).await.is_err());
    let c = store.surveillance_case(case.id).await.unwrap().unwrap();
    assert_eq!((c.status.as_str(), c.assignee_staff_id, c.version, c.updated_ms), ("escalated", Some(9), 2, 13_000));

    let close = CaseChange {
        case_id: case.id,
        from: &["open", "awaiting_customer", "escalated"],
        now_ms: 15_000,
        set: vec![("status", CaseSet::Text("closed".into())), ("disposition", CaseSet::Text("reported_to_amlo".into()))],
        event: event(9, "closed", "STR filed"),
    };
    assert!(store.surveillance_change_case(&close).await.unwrap());
    assert!(!store.surveillance_change_case(&assign).await.unwrap(), "a closed case stays closed");
    let events = store.surveillance_case_events(case.id).await.unwrap();
    assert_eq!(events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["opened", "assigned", "escalated", "closed"]);
    assert_eq!((events[3].note.as_str(), events[3].ts_ms, events[3].staff_id), ("STR filed", 15_000, 9));
    assert_eq!(store.surveillance_cases(Some("closed"), 10).await.unwrap().len(), 1);
    assert!(store.surveillance_cases(Some("open"), 10).await.unwrap().is_empty());

    // The timeline is append-only.
    assert!(store.execute_raw("UPDATE surv_case_events SET note = 'x'").await.is_err());
    assert!(store.execute_raw("DELETE FROM surv_case_events").await.is_err());
    assert_eq!(store.surveillance_case_events(case.id).await.unwrap().len(), 4);
}

async fn asking_the_customer_writes_ticket_and_case_together(db: &TestDb) {
    let store = db.connect().await;
    let account = store.insert_web_account("c@example.com", "h", UserId(1), 1_000).await.unwrap().unwrap();
    store.surveillance_record_alerts(&[alert("b1")]).await.unwrap();
    let CaseOpened::Opened(case) = store.surveillance_open_case("pump", &["b1".into()], &event(5, "opened", ""), 10_000).await.unwrap() else {
        panic!("the case opens")
    };
    let ticket = NewTicket {
        account_id: account,
        category: "trading".into(),
        priority: "high".into(),
        subject: "A question about your trading".into(),
        status: "waiting_customer".into(),
        link_kind: None,
        link_ref: None,
        complaint_status: None,
        complaint_reason: None,
        created_ms: 20_000,
    };
    let first = NewMessage { author: "staff".into(), author_id: 5, internal: false, body: "Please explain these trades.".into() };
    let events = [NewEvent {
        actor: "staff".into(),
        actor_id: 5,
        kind: "created".into(),
        from_state: None,
        to_state: Some("waiting_customer".into()),
        detail: String::new(),
    }];
    let mail = |ticket: u64| vec![NewMail { kind: "ticket.question".into(), to_addr: "c@example.com".into(), subject: format!("#{ticket}"), body: "b".into() }];
    let case_id = case.id;
    let ask = |from: &'static [&'static str]| {
        move |ticket: u64| CaseChange {
            case_id,
            from,
            now_ms: 20_000,
            set: vec![("status", CaseSet::Text("awaiting_customer".into())), ("explain_due_ms", CaseSet::Int(20_000 + 86_400_000))],
            event: NewCaseEvent { staff_id: 5, action: "asked_customer".into(), note: String::new(), detail: format!("{{\"ticket_id\":{ticket}}}") },
        }
    };
    // From a status the case is not in: neither the ticket nor the mail is written.
    assert_eq!(store.surveillance_ask_customer(&ticket, &first, &events, Some(5), &mail, &ask(&["escalated"])).await.unwrap(), None);
    assert!(store.tickets_of_account(account, 10).await.unwrap().is_empty());
    assert!(store.outbox(10).await.unwrap().is_empty());

    let ticket_id = store.surveillance_ask_customer(&ticket, &first, &events, Some(5), &mail, &ask(&["open", "escalated"])).await.unwrap().unwrap();
    let t = store.ticket(ticket_id).await.unwrap().unwrap();
    assert_eq!((t.account_id, t.status.as_str(), t.first_response_ms, t.assignee_staff_id), (account, "waiting_customer", Some(20_000), Some(5)));
    assert_eq!(store.ticket_messages(ticket_id).await.unwrap()[0].body, "Please explain these trades.");
    let outbox = store.outbox(10).await.unwrap();
    assert_eq!((outbox.len(), outbox[0].subject.clone()), (1, format!("#{ticket_id}")));
    let c = store.surveillance_case(case.id).await.unwrap().unwrap();
    assert_eq!((c.status.as_str(), c.ticket_id, c.explain_due_ms), ("awaiting_customer", Some(ticket_id), Some(20_000 + 86_400_000)));
    let events = store.surveillance_case_events(case.id).await.unwrap();
    assert_eq!(events.last().unwrap().detail, format!("{{\"ticket_id\":{ticket_id}}}"));
}

suite!(cases_move_only_from_where_they_are, asking_the_customer_writes_ticket_and_case_together);
