//! Market surveillance in the console, on a live exchange: alerts (stored as the live monitor
//! stores them) with their evidence in units, the whole case workflow — open from an alert,
//! assign, note, ask the customer to explain (a support ticket due in 24 hours), escalate,
//! close with a disposition —, the AMLO report as CSV and PDF, roles (only compliance and
//! admin act; everyone else gets 403 and nothing changes), refusals that change nothing,
//! every action in the staff audit log, and the IP and device recorded with customer sessions.

mod common;

use common::*;
use serde_json::{json, Value};
use talat_core::{OrderId, Side, UserId};
use talat_surveillance::alert::{ChartBar, Evidence, LinkEvidence, OrderEvidence, TradeEvidence};
use talat_surveillance::{Alert, DetectorKind, LinkKind};
use talat_web::Role;

const CONSOLE: &str = "/web/api/console/surveillance";

/// A linked-account wash alert between `a` and `b` on BTC_THB: two orders, two trades at
/// THB 3,500,000.00 for 0.01 BTC, the link, and two chart bars.
fn wash_alert(id: &str, a: u32, b: u32) -> Alert {
    let (a, b) = (UserId(a), UserId(b));
    let order = |n: u64, user: UserId, side: Side| OrderEvidence {
        order: OrderId(n),
        user,
        side,
        price: 350_000_000,
        qty: 1_000_000,
        placed_ts_ms: 1_700_000_000_000 + n,
        outcome: Some("filled".into()),
        done_ts_ms: Some(1_700_000_001_000 + n),
    };
    let trade = |seq: u64, buyer: UserId, seller: UserId| TradeEvidence {
        seq,
        ts_ms: 1_700_000_001_000 + seq,
        price: 350_000_000,
        qty: 1_000_000,
        buyer,
        seller,
        taker_side: Side::Buy,
    };
    let bar = |i: u64| ChartBar {
        start_ts_ms: 1_700_000_000_000 + i * 60_000,
        open: 350_000_000,
        high: 351_000_000,
        low: 349_000_000,
        close: 350_000_000,
        volume: 2_000_000,
    };
    Alert {
        id: id.into(),
        detector: DetectorKind::LinkedWash,
        symbol: "BTC_THB".into(),
        price_scale: 2,
        qty_scale: 8,
        accounts: vec![a, b],
        from_ts_ms: 1_700_000_000_000,
        to_ts_ms: 1_700_000_060_000,
        seq: 41,
        summary: format!("accounts {} and {} (same device) traded 0.02 BTC with each other", a.0, b.0),
        figures: vec![("round_trips".into(), "2".into()), ("volume_share_bps".into(), "9500".into())],
        evidence: Evidence {
            orders: vec![order(901, a, Side::Sell), order(902, b, Side::Buy)],
            trades: vec![trade(40, b, a), trade(41, a, b)],
            links: vec![LinkEvidence { a, b, kind: LinkKind::Device }],
            chart: vec![bar(0), bar(1)],
        },
    }
}

async fn store_alerts(kit: &Kit, alerts: &[Alert]) {
    let rows: Vec<_> = alerts.iter().map(|a| talat_gateway::surveillance::alert_row(a, kit.web.gateway.now_ms())).collect();
    kit.web.store.surveillance_record_alerts(&rows).await.unwrap();
}

fn browser(staff: &mut [(Role, Browser)], role: Role) -> &mut Browser {
    &mut staff.iter_mut().find(|(r, _)| *r == role).unwrap().1
}

/// The raw bytes of a GET, with its content type and disposition.
async fn download(b: &Browser, path: &str) -> (u16, String, String, Vec<u8>) {
    let resp = b.http.get(format!("{}{path}", b.base)).send().await.unwrap();
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (status, ct, cd) = (resp.status().as_u16(), header("content-type"), header("content-disposition"));
    (status, ct, cd, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_workflow_from_alert_to_amlo_report() {
    let kit = start(relaxed()).await;
    let (mut cust_a, acct_a) = signed_up(&kit, "wash-a@example.com").await;
    let (mut cust_b, acct_b) = signed_up(&kit, "wash-b@example.com").await;
    let (ua, ub) = (acct_a["user_id"].as_u64().unwrap() as u32, acct_b["user_id"].as_u64().unwrap() as u32);
    store_alerts(&kit, &[wash_alert("linked_wash-BTC_THB-41", ua, ub), wash_alert("linked_wash-BTC_THB-77", ua, ub)]).await;
    let mut staff = staff_browsers(&kit).await;
    let compliance_id = kit.web.store.staff_by_email("compliance@staff.test").await.unwrap().unwrap().id;
    let support_id = kit.web.store.staff_by_email("support@staff.test").await.unwrap().unwrap().id;
    let c = browser(&mut staff, Role::Compliance);

    // The list, its checked filters, and one alert's evidence read in units.
    let (s, v) = c.get(&format!("{CONSOLE}/alerts?status=open&detector=linked_wash&evidence=false")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["alerts"].as_array().unwrap().len(), 2);
    assert!(v["alerts"][0].get("evidence").is_none());
    assert_eq!(v["alerts"][0]["accounts"][0]["email"], "wash-a@example.com");
    let (s, v) = c.get(&format!("{CONSOLE}/alerts?detector=wash")).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["field"].as_str()), (400, Some("invalid"), Some("detector")), "{v}");
    let (s, v) = c.get(&format!("{CONSOLE}/alerts/linked_wash-BTC_THB-41")).await;
    assert_eq!(s, 200, "{v}");
    let alert = &v["alert"];
    assert_eq!((alert["title"].as_str(), alert["figures"][0]["name"].as_str()), (Some("Wash trading between linked accounts"), Some("round_trips")));
    let ev = &alert["evidence"];
    assert_eq!(ev["units"], json!({"price": "THB per BTC", "amount": "BTC", "value": "THB"}));
    assert_eq!(
        ev["trades"][0],
        json!({"seq": 40, "ts_ms": 1_700_000_001_040u64, "price": "3500000", "amount": "0.01", "value": "35000", "buyer": ub, "seller": ua, "taker_side": "buy"})
    );
    assert_eq!(
        (ev["orders"][1]["side"].as_str(), ev["links"][0]["kind"].as_str(), ev["chart"][0]["high"].as_str()),
        (Some("buy"), Some("device"), Some("3510000"))
    );
    assert_eq!(c.get(&format!("{CONSOLE}/alerts/nope")).await.0, 404);

    // Dismissing needs a reason, and happens once.
    let dismiss = format!("{CONSOLE}/alerts/linked_wash-BTC_THB-77/dismiss");
    let (s, v) = c.post(&dismiss, json!({})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("reason")), "{v}");
    let (s, v) = c.post(&dismiss, json!({"reason": "the same pair, already in a case"})).await;
    assert_eq!((s.as_u16(), v["alert"]["status"].as_str()), (200, Some("dismissed")), "{v}");
    assert_eq!(c.post(&dismiss, json!({"reason": "again"})).await.0, 409);

    // A case cannot take a dismissed alert, and the refused attempt leaves nothing behind.
    let cases = format!("{CONSOLE}/cases");
    let (s, v) = c.post(&cases, json!({"alert_ids": ["linked_wash-BTC_THB-41", "linked_wash-BTC_THB-77"]})).await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(c.get(&cases).await.1["cases"], json!([]));
    assert_eq!(c.get(&format!("{CONSOLE}/alerts/linked_wash-BTC_THB-41")).await.1["alert"]["status"], "open");
    assert_eq!(c.post(&cases, json!({"alert_ids": []})).await.1["field"], "alert_ids");

    let (s, v) = c.post(&cases, json!({"alert_ids": ["linked_wash-BTC_THB-41"], "note": "round trips between two accounts on one device"})).await;
    assert_eq!(s, 201, "{v}");
    let id = v["case"]["id"].as_u64().unwrap();
    let case = format!("{CONSOLE}/cases/{id}");
    assert_eq!((v["case"]["status"].as_str(), v["case"]["title"].as_str()), (Some("open"), Some("Wash trading between linked accounts: BTC_THB")));
    assert_eq!((v["case"]["alerts"][0]["status"].as_str(), v["case"]["alerts"][0]["case_id"].as_u64()), (Some("in_case"), Some(id)));
    assert_eq!(v["case"]["accounts"].as_array().unwrap().len(), 2);

    // Only compliance and admin act; everyone else is refused every action, and nothing moves.
    let acting: Vec<(String, Value)> = vec![
        (format!("{case}/assign"), json!({"staff_id": compliance_id})),
        (format!("{case}/notes"), json!({"note": "x"})),
        (format!("{case}/ask"), json!({"text": "why?", "user_id": ua})),
        (format!("{case}/escalate"), json!({"reason": "x"})),
        (format!("{case}/close"), json!({"disposition": "no_action", "reason": "x"})),
        (cases.clone(), json!({"alert_ids": ["linked_wash-BTC_THB-41"]})),
        (format!("{CONSOLE}/alerts/linked_wash-BTC_THB-41/dismiss"), json!({"reason": "x"})),
        (format!("{CONSOLE}/listings"), json!({"asset": "BTC"})),
    ];
    let version = c.get(&case).await.1["case"]["version"].clone();
    let mut refused = 0;
    for role in [Role::Support, Role::Operator, Role::Kyc, Role::Finance] {
        let b = browser(&mut staff, role);
        for (path, body) in &acting {
            let (s, v) = b.post(path, body.clone()).await;
            assert_eq!((s.as_u16(), v["error"].as_str()), (403, Some("forbidden")), "{role:?} {path}: {v}");
            refused += 1;
        }
        for path in [case.clone(), format!("{case}/str.csv"), format!("{CONSOLE}/alerts"), format!("{CONSOLE}/audits")] {
            assert_eq!(b.get(&path).await.0, 403, "{role:?} reads {path}");
        }
    }
    let c = browser(&mut staff, Role::Compliance);
    let (_, v) = c.get(&case).await;
    assert_eq!((&v["case"]["version"], v["case"]["status"].as_str(), v["case"]["events"].as_array().unwrap().len()), (&version, Some("open"), 1));

    // Assign (only to someone who may work cases), note.
    let (s, v) = c.post(&format!("{case}/assign"), json!({"staff_id": support_id})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("staff_id")), "{v}");
    let (s, v) = c.post(&format!("{case}/assign"), json!({"staff_id": compliance_id})).await;
    assert_eq!((s.as_u16(), v["case"]["assignee"]["email"].as_str()), (200, Some("compliance@staff.test")), "{v}");
    assert_eq!(c.post(&format!("{case}/notes"), json!({"note": "   "})).await.1["field"], "note");
    let (s, v) = c.post(&format!("{case}/notes"), json!({"note": "both accounts funded from one bank account"})).await;
    assert_eq!(s, 200, "{v}");

    // Ask the customer: the case names two accounts, so say which; a ticket waits for them,
    // due 24 hours after it was asked.
    let (s, v) = c.post(&format!("{case}/ask"), json!({"text": "Please explain your trades of 1 March."})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("user_id")), "{v}");
    let (s, v) = c.post(&format!("{case}/ask"), json!({"text": "Please explain your trades of 1 March.", "user_id": ua})).await;
    assert_eq!(s, 200, "{v}");
    let asked = &v["case"];
    assert_eq!(asked["status"], "awaiting_customer");
    let ticket_id = asked["ticket_id"].as_u64().unwrap();
    let asked_at = asked["events"].as_array().unwrap().last().unwrap()["ts_ms"].as_u64().unwrap();
    assert_eq!(asked["explain_due_ms"].as_u64().unwrap() - asked_at, 24 * 60 * 60 * 1000);
    assert_eq!((asked["ticket"]["id"].as_u64(), asked["ticket"]["status"].as_str()), (Some(ticket_id), Some("waiting_customer")));
    let (_, mine) = cust_a.get("/web/api/support/tickets").await;
    let t = mine["tickets"].as_array().unwrap().iter().find(|t| t["id"] == ticket_id).expect("the customer has the ticket").clone();
    assert_eq!(
        (t["status"].as_str(), t["subject"].as_str(), t["link"].is_null()),
        (Some("waiting_customer"), Some("A question about your recent trading"), true)
    );
    let (_, shown) = cust_a.get(&format!("/web/api/support/tickets/{ticket_id}")).await;
    assert_eq!(shown["ticket"]["messages"][0]["text"], "Please explain your trades of 1 March.");
    assert_eq!(cust_b.get(&format!("/web/api/support/tickets/{ticket_id}")).await.0, 404, "the other account does not see it");
    let t = kit.web.store.ticket(ticket_id).await.unwrap().unwrap();
    assert_eq!((t.assignee_staff_id, t.first_response_ms.is_some()), (Some(compliance_id), true), "compliance owns the answer");
    let (s, v) = c.post(&format!("{case}/ask"), json!({"text": "again?", "user_id": ua})).await;
    assert_eq!(s, 409, "one question at a time: {v}");

    // Escalate; a close without a disposition (or with a made-up one) changes nothing.
    let (s, v) = c.post(&format!("{case}/escalate"), json!({"reason": "no answer expected; consider a report"})).await;
    assert_eq!((s.as_u16(), v["case"]["status"].as_str()), (200, Some("escalated")), "{v}");
    let before = c.get(&case).await.1["case"].clone();
    let (s, v) = c.post(&format!("{case}/close"), json!({"reason": "reported"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["field"].as_str()), (400, Some("invalid"), Some("disposition")), "{v}");
    let (s, v) = c.post(&format!("{case}/close"), json!({"disposition": "shrug", "reason": "reported"})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("disposition")), "{v}");
    assert_eq!(c.get(&case).await.1["case"], before, "a refused close changes nothing");
    let (s, v) = c.post(&format!("{case}/close"), json!({"disposition": "reported_to_amlo", "reason": "STR filed with AMLO"})).await;
    assert_eq!((s.as_u16(), v["case"]["status"].as_str(), v["case"]["disposition"].as_str()), (200, Some("closed"), Some("reported_to_amlo")), "{v}");
    let actions: Vec<&str> = v["case"]["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["opened", "assigned", "note", "asked_customer", "escalated", "closed"]);
    assert_eq!(v["case"]["events"][3]["detail"]["ticket_id"], ticket_id);
    assert_eq!(c.post(&format!("{case}/notes"), json!({"note": "late"})).await.0, 409, "a closed case is final");
    assert_eq!(c.get(&format!("{cases}?status=closed")).await.1["cases"][0]["id"], id);

    // The report for AMLO, as CSV: the alert's summary, the trades, the accounts, the timeline.
    let (status, ct, cd, csv) = download(c, &format!("{case}/str.csv")).await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
    assert!(cd.starts_with(&format!("attachment; filename=\"str-case-{id}.csv\"")), "{cd}");
    let csv = String::from_utf8(csv).unwrap();
    let summary = format!("accounts {ua} and {ub} (same device) traded 0.02 BTC with each other");
    assert!(csv.contains(&summary), "{csv}");
    let trades: Vec<&str> = csv.lines().filter(|l| l.starts_with("trade,")).collect();
    assert_eq!(trades.len(), 2, "{csv}");
    assert!(trades[0].contains(",40,") && trades[0].contains(",3500000,THB/BTC,0.01,BTC,35000,THB,"), "{}", trades[0]);
    assert!(csv.contains("wash-a@example.com") && csv.contains("reported_to_amlo") && csv.contains("STR filed with AMLO"), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("event,") && l.contains("asked_customer")));

    // And as PDF: a document a PDF reader opens, with the same facts in its text.
    let (status, ct, cd, pdf) = download(c, &format!("{case}/str.pdf")).await;
    assert_eq!((status, ct.as_str()), (200, "application/pdf"));
    assert!(cd.contains(&format!("str-case-{id}.pdf")), "{cd}");
    assert!(pdf.starts_with(b"%PDF-"));
    let doc = lopdf::Document::load_mem(&pdf).expect("the report parses as a PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    assert!(!pages.is_empty());
    let text = doc.extract_text(&pages).unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in ["Suspicious Transaction Report", "same device", "3500000", "reported to amlo", "STR filed with AMLO", "wash-a@example.com"] {
        assert!(flat.contains(needle), "{needle:?} not in the PDF's text: {flat}");
    }

    // Every action is in the staff audit log, refused ones too.
    let audit = kit.web.store.audit_entries(None, 500).await.unwrap();
    let count = |action: &str, ok: bool| audit.iter().filter(|e| e.action == action && (e.outcome == "ok") == ok).count();
    assert_eq!((count("surveillance.alert.dismiss", true), count("surveillance.alert.dismiss", false)), (1, 2 + 4));
    assert_eq!((count("surveillance.case.open", true), count("surveillance.case.open", false)), (1, 2 + 4));
    assert_eq!((count("surveillance.case.assign", true), count("surveillance.case.assign", false)), (1, 1 + 4));
    assert_eq!((count("surveillance.case.note", true), count("surveillance.case.note", false)), (1, 2 + 4));
    assert_eq!((count("surveillance.case.ask_customer", true), count("surveillance.case.ask_customer", false)), (1, 2 + 4));
    assert_eq!((count("surveillance.case.escalate", true), count("surveillance.case.escalate", false)), (1, 4));
    assert_eq!((count("surveillance.case.close", true), count("surveillance.case.close", false)), (1, 2 + 4));
    assert_eq!(count("surveillance.listing.announce", false), 4);
    assert_eq!(count("surveillance.case.str_export", true), 2);
    assert_eq!(count("surveillance.case.str_export", false), 4, "the refused downloads");
    let forbidden = audit.iter().filter(|e| e.action.starts_with("surveillance.") && e.outcome.starts_with("forbidden")).count();
    assert_eq!(forbidden, refused + 4);
    let close = audit.iter().find(|e| e.action == "surveillance.case.close" && e.outcome == "ok").unwrap();
    assert_eq!((close.target.as_str(), close.staff_email.as_str()), (format!("case:{id}").as_str(), "compliance@staff.test"));
    assert!(close.detail.contains("reported_to_amlo"), "{}", close.detail);
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audits_breaker_listings_and_session_origins() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;

    // Tape audits: stored days come back with their date; today's need the running monitor.
    let report = json!({"symbol": "BTC_THB", "day": 20_000, "trades": 1500, "first_digits": [450, 260, 190, 140, 120, 100, 90, 80, 70],
        "benford_chi2": 3.2, "benford_ok": true, "round_unit": 1_000_000, "round_trades": 300, "round_expected_bps": 1, "round_z": 40.0, "round_clustering": true});
    kit.web.store.surveillance_record_audit("BTC_THB", 20_000, &report.to_string()).await.unwrap();
    let c = browser(&mut staff, Role::Compliance);
    let (s, v) = c.get(&format!("{CONSOLE}/audits")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["running"].as_bool(), v["today"].as_array().map(Vec::len), v["benford"].as_array().map(Vec::len)), (Some(false), Some(0), Some(9)));
    assert_eq!(
        (v["stored"][0]["symbol"].as_str(), v["stored"][0]["date"].as_str(), v["stored"][0]["benford_ok"].as_bool()),
        (Some("BTC_THB"), Some("2024-10-04"), Some(true))
    );

    // A listing announcement needs the monitor, and a well-formed asset code.
    let (s, v) = c.post(&format!("{CONSOLE}/listings"), json!({"asset": "btc!"})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("asset")), "{v}");
    let (s, v) = c.post(&format!("{CONSOLE}/listings"), json!({"asset": "BTC"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (503, Some("busy")), "{v}");

    // The breaker's actions: operators read them too, support does not.
    kit.web.store.surveillance_record_action("BTC_THB", "halted", "moved 12.5 % in 5 min", 1_700_000_000_000).await.unwrap();
    kit.web.store.surveillance_record_action("BTC_THB", "cancel_only", "halt over", 1_700_000_300_000).await.unwrap();
    for role in [Role::Operator, Role::Compliance, Role::Admin] {
        let (s, v) = browser(&mut staff, role).get(&format!("{CONSOLE}/breaker")).await;
        assert_eq!(s, 200, "{role:?}: {v}");
        assert_eq!((v["actions"][0]["mode"].as_str(), v["actions"][1]["reason"].as_str()), (Some("cancel_only"), Some("moved 12.5 % in 5 min")));
    }
    assert_eq!(browser(&mut staff, Role::Support).get(&format!("{CONSOLE}/breaker")).await.0, 403);
    assert_eq!(browser(&mut staff, Role::Operator).get(&format!("{CONSOLE}/audits")).await.0, 403);

    // Session origins: the address, and one device key per browser: two accounts signed in
    // from one browser share it, another browser has its own.
    let (mut shared, a) = signed_up(&kit, "origin-a@example.com").await;
    let (_, b) = signed_up(&kit, "origin-b@example.com").await;
    let (s, v) = shared.post("/web/api/login", json!({"email": "origin-b@example.com", "password": "a good password"})).await;
    assert_eq!(s, 200, "{v}");
    let (ua, ub) = (a["user_id"].as_u64().unwrap() as u32, b["user_id"].as_u64().unwrap() as u32);
    let facts = kit.web.store.surveillance_link_facts().await.unwrap();
    let keys =
        |user: u32, kind: &str| facts.iter().filter(|f| f.user == user && f.kind == kind).map(|f| f.key.clone()).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(keys(ua, "ip").into_iter().collect::<Vec<_>>(), ["127.0.0.1"]);
    let (da, db) = (keys(ua, "device"), keys(ub, "device"));
    assert_eq!(da.len(), 1);
    assert_eq!(db.len(), 2, "b signed up in its own browser, then logged in from a's");
    assert!(db.is_superset(&da), "the shared browser links a and b");
    assert!(da.iter().all(|k| k.len() == 64 && k.bytes().all(|c| c.is_ascii_hexdigit())), "a hash, never the cookie itself");
    // The links outlive the sessions: a logout ends the session, not what it showed.
    let (s, v) = shared.post("/web/api/logout", json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(kit.web.store.surveillance_link_facts().await.unwrap(), facts);
    kit.ex.stop().await;
}
