//! Customer support through the web API against a live exchange: the ticket and complaint
//! lifecycle, clocks pausing, escalation and breaches, incidents, staffing, reports, role
//! permissions and bad inputs (each refused with its field and changing nothing).

mod common;

use base64::Engine as _;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use talat_web::Role;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A tiny real PNG: 2×2 RGB (red, green / blue, white).
fn png() -> Vec<u8> {
    use image::ImageEncoder as _;
    let pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out).write_image(&pixels, 2, 2, image::ExtendedColorType::Rgb8).unwrap();
    out
}

fn pixels(bytes: &[u8]) -> image::RgbImage {
    image::load_from_memory(bytes).expect("a decodable image").to_rgb8()
}

fn staff_of(browsers: &mut [(Role, Browser)], role: Role) -> &mut Browser {
    &mut browsers.iter_mut().find(|(r, _)| *r == role).expect("a browser per role").1
}

async fn open_ticket(b: &mut Browser, subject: &str) -> Value {
    let (s, v) =
        b.post("/web/api/support/tickets", json!({"category": "withdrawal", "subject": subject, "text": "My withdrawal has been pending for a day."})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["ticket"].clone()
}

fn events_of(ticket: &Value) -> Vec<(String, String)> {
    ticket["events"].as_array().unwrap().iter().map(|e| (e["kind"].as_str().unwrap().to_string(), e["to"].as_str().unwrap_or("").to_string())).collect()
}

async fn outbox(kit: &Kit) -> Vec<talat_store::MailRow> {
    kit.web.store.outbox(500).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_becomes_a_complaint_and_follows_the_regulators_lifecycle() {
    let kit = start(relaxed()).await;
    let (mut alice, _) = signed_up(&kit, "alice@example.com").await;
    let mut staff = staff_browsers(&kit).await;

    // The customer opens a ticket with a screenshot, which carries a page after its end.
    let sent = [png().as_slice(), b"<html><script>alert(1)</script></html>"].concat();
    let (s, v) = alice
        .post("/web/api/support/tickets", json!({"category": "withdrawal", "subject": "Withdrawal stuck", "text": "Pending since yesterday.", "attachments": [{"name": "shot.png", "content_type": "image/png", "data_base64": b64(&sent)}]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let t = &v["ticket"];
    let id = t["id"].as_u64().unwrap();
    assert_eq!((t["status"].as_str(), t["priority"].as_str(), t["complaint"].is_null()), (Some("open"), Some("high"), true), "withdrawals start high: {t}");
    assert_eq!(t["clocks"]["first_response"]["state"], "running");
    let file = &t["messages"][0]["attachments"][0];
    let resp = alice.http.get(format!("{}/web/api/support/attachments/{}", alice.base, file["id"])).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    // The picture comes back re-encoded: the same pixels, and nothing of what rode along.
    let stored = resp.bytes().await.unwrap();
    assert_eq!((file["name"].as_str(), file["size"].as_u64()), (Some("shot.png"), Some(stored.len() as u64)));
    assert_eq!(pixels(&stored), pixels(&png()));
    assert!(!stored.windows(8).any(|w| w == b"<script>"), "only the image is stored");
    let mail = outbox(&kit).await;
    assert!(mail.iter().any(|m| m.to_addr == "alice@example.com" && m.kind == "ticket.received" && m.subject.contains(&format!("#{id}"))), "{mail:?}");

    // Support sees it in the queue, notes internally, then answers: the first-response clock
    // stops and both clocks pause while the customer is asked.
    let support = staff_of(&mut staff, Role::Support);
    let (s, q) = support.get("/web/api/console/support/tickets").await;
    assert_eq!(s, 200, "{q}");
    let listed = q["tickets"].as_array().unwrap().iter().find(|x| x["id"] == id).expect("the ticket is queued").clone();
    assert_eq!(listed["customer_email"], "alice@example.com");
    assert_eq!(q["counts"]["open"], 1);
    let (s, v) = support.post(&format!("/web/api/console/support/tickets/{id}/reply"), json!({"text": "Customer looks legit.", "internal": true})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ticket"]["status"], "open", "a note keeps the ticket where it was");
    assert!(v["ticket"]["first_response_ms"].is_null(), "a note is not an answer");
    let (s, v) = support.post(&format!("/web/api/console/support/tickets/{id}/reply"), json!({"text": "Which address did you send it to?"})).await;
    assert_eq!(s, 200, "{v}");
    let t = &v["ticket"];
    assert_eq!(t["status"], "waiting_customer");
    assert!(t["first_response_ms"].as_u64().is_some());
    assert_eq!(t["clocks"]["first_response"]["state"], "met");
    assert_eq!(t["clocks"]["resolution"]["state"], "paused");
    assert_eq!(t["clocks"]["resolution"]["due_ms"], Value::Null, "a paused clock has no due time");

    // The customer sees the answer but never the note; answering reopens the ticket.
    let (_, v) = alice.get(&format!("/web/api/support/tickets/{id}")).await;
    let texts: Vec<&str> = v["ticket"]["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, vec!["Pending since yesterday.", "Which address did you send it to?"]);
    let (s, v) = alice.post(&format!("/web/api/support/tickets/{id}/messages"), json!({"text": "To my own wallet."})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ticket"]["status"], "open");
    assert_eq!(v["ticket"]["clocks"]["resolution"]["state"], "running");

    // The customer raises it as a complaint; raising it twice is refused.
    let (s, v) = alice.post(&format!("/web/api/support/tickets/{id}/complaint"), json!({"reason": "It has taken too long."})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ticket"]["complaint"]["status"], "received");
    let (s, v) = alice.post(&format!("/web/api/support/tickets/{id}/complaint"), json!({})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")));

    // Compliance moves it through the lifecycle; a jump backwards and a rejection without a
    // reason are refused and change nothing.
    let compliance = staff_of(&mut staff, Role::Compliance);
    let path = format!("/web/api/console/support/tickets/{id}/complaint");
    for to in ["acknowledged", "investigating"] {
        let (s, v) = compliance.post(&path, json!({"status": to})).await;
        assert_eq!(s, 200, "{to}: {v}");
        assert_eq!(v["ticket"]["complaint"]["status"], to);
    }
    let (s, v) = compliance.post(&path, json!({"status": "received"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")), "{v}");
    let (s, v) = compliance.post(&path, json!({"status": "rejected"})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("reason")), "{v}");
    let (s, v) = compliance.post(&path, json!({"status": "resolved", "reason": "Sent on again; fee refunded."})).await;
    assert_eq!(s, 200, "{v}");
    let c = &v["ticket"]["complaint"];
    assert_eq!(c["status"], "resolved");
    let (received, acknowledged, resolved) = (c["received_ms"].as_u64().unwrap(), c["acknowledged_ms"].as_u64().unwrap(), c["resolved_ms"].as_u64().unwrap());
    assert!(received <= acknowledged && acknowledged <= resolved);
    // Compliance may move complaints but not answer tickets.
    let (s, _) = compliance.post(&format!("/web/api/console/support/tickets/{id}/reply"), json!({"text": "hi"})).await;
    assert_eq!(s, 403);

    // Every change is a timestamped event, and staff's are in the audit log.
    let (_, v) = staff_of(&mut staff, Role::Support).get(&format!("/web/api/console/support/tickets/{id}")).await;
    let events = events_of(&v["ticket"]);
    for expected in [
        ("created", "open"),
        ("status", "waiting_customer"),
        ("status", "open"),
        ("complaint", "received"),
        ("complaint", "acknowledged"),
        ("complaint", "investigating"),
        ("complaint", "resolved"),
    ] {
        assert!(events.contains(&(expected.0.to_string(), expected.1.to_string())), "{expected:?} in {events:?}");
    }
    assert_eq!(v["customer"]["email"], "alice@example.com");
    let audit = kit.web.store.audit_entries(None, 100).await.unwrap();
    let complaint_audits: Vec<&str> = audit.iter().filter(|a| a.action == "support.complaint").map(|a| a.outcome.as_str()).collect();
    assert_eq!(complaint_audits.len(), 5, "two moves, two refusals and the resolution: {complaint_audits:?}");
    assert!(complaint_audits.iter().filter(|o| **o == "ok").count() == 3);
    let mail = outbox(&kit).await;
    assert!(mail.iter().filter(|m| m.kind == "complaint.status" && m.to_addr == "alice@example.com").count() >= 3, "{mail:?}");

    // The monthly report counts it; the CSV downloads.
    let compliance = staff_of(&mut staff, Role::Compliance);
    let (s, v) = compliance.get("/web/api/console/support/reports/complaints").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["report"]["received"], 1);
    assert_eq!(v["report"]["by_category"]["withdrawal"]["resolved"], 1);
    assert_eq!(v["report"]["acknowledge_business_hours"]["count"], 1);
    let resp = compliance.http.get(format!("{}/web/api/console/support/reports/complaints?format=csv", compliance.base)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = resp.text().await.unwrap();
    assert!(csv.starts_with("month,category,outcome,complaints\n") && csv.contains(",withdrawal,resolved,1\n"), "{csv}");
    let (s, v) = compliance.get("/web/api/console/support/reports/complaints?month=2026-13").await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("month")));
    let (s, v) = compliance.get("/web/api/console/support/reports/sla?format=csv").await;
    assert_eq!(s, 200, "{v}");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_and_other_customers_tickets_are_refused_and_change_nothing() {
    let kit = start(relaxed()).await;
    let (mut alice, _) = signed_up(&kit, "alice@example.com").await;
    let (mut bob, _) = signed_up(&kit, "bob@example.com").await;
    let t = open_ticket(&mut alice, "Mine").await;
    let id = t["id"].as_u64().unwrap();
    let mail_before = outbox(&kit).await.len();

    let big = vec![b'a'; 2 * 1024 * 1024 + 1];
    let cases = [
        (json!({"category": "withdrawal", "subject": "x", "text": "   "}), "text"),
        (json!({"category": "withdrawal", "subject": "", "text": "x"}), "subject"),
        (json!({"category": "withdrawal", "subject": "x".repeat(201), "text": "x"}), "subject"),
        (json!({"category": "lottery", "subject": "x", "text": "x"}), "category"),
        (json!({"category": "other", "subject": "x", "text": "x", "link": {"kind": "order", "id": "99999"}}), "link"),
        (
            json!({"category": "other", "subject": "x", "text": "x", "attachments": [{"name": "a.png", "content_type": "image/png", "data_base64": b64(b"<svg onload=alert(1)>")}]}),
            "attachments",
        ),
        (
            json!({"category": "other", "subject": "x", "text": "x", "attachments": [{"name": "a.png", "content_type": "image/png", "data_base64": b64(&png()[..40])}]}),
            "attachments",
        ),
        (
            json!({"category": "other", "subject": "x", "text": "x", "attachments": [{"name": "a.txt", "content_type": "text/plain", "data_base64": b64(&big)}]}),
            "attachments",
        ),
        (
            json!({"category": "other", "subject": "x", "text": "x", "attachments": [{"name": "a.exe", "content_type": "application/octet-stream", "data_base64": "TVo="}]}),
            "attachments",
        ),
    ];
    for (body, field) in cases {
        let (s, v) = alice.post("/web/api/support/tickets", body.clone()).await;
        assert_eq!((s.as_u16(), v["error"].as_str(), v["field"].as_str()), (400, Some("invalid"), Some(field)), "{v}");
        assert!(!v["message"].as_str().unwrap_or("").is_empty());
    }
    let (_, mine) = alice.get("/web/api/support/tickets").await;
    assert_eq!(mine["tickets"].as_array().unwrap().len(), 1, "nothing half-created");
    assert_eq!(outbox(&kit).await.len(), mail_before, "no mail for refused requests");

    // Another customer's ticket does not exist for bob, whatever he tries.
    for path in [format!("/web/api/support/tickets/{id}"), "/web/api/support/tickets/abc".into(), "/web/api/support/tickets/999999".into()] {
        let (s, v) = bob.get(&path).await;
        assert_eq!((s.as_u16(), v["error"].as_str()), (404, Some("not_found")), "{path}: {v}");
    }
    let (s, _) = bob.post(&format!("/web/api/support/tickets/{id}/messages"), json!({"text": "hijack"})).await;
    assert_eq!(s, 404);
    let (s, _) = bob.post(&format!("/web/api/support/tickets/{id}/complaint"), json!({})).await;
    assert_eq!(s, 404);
    let (_, v) = alice.get(&format!("/web/api/support/tickets/{id}")).await;
    assert_eq!(v["ticket"]["messages"].as_array().unwrap().len(), 1, "bob's message did not land");
    assert!(v["ticket"]["complaint"].is_null());
    // Empty answers are refused too; an anonymous caller is not a customer.
    let (s, v) = alice.post(&format!("/web/api/support/tickets/{id}/messages"), json!({"text": ""})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("text")));
    let mut anonymous = Browser::new(&kit);
    assert_eq!(anonymous.get("/web/api/support/tickets").await.0, 401);

    // A resolved ticket closes after a quiet week; then it takes no more answers.
    let mut staff = staff_browsers(&kit).await;
    let support = staff_of(&mut staff, Role::Support);
    let (s, v) = support.post(&format!("/web/api/console/support/tickets/{id}/reply"), json!({"text": "Done.", "then": "resolved"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ticket"]["status"], "resolved");
    let (s, v) = support.post(&format!("/web/api/console/support/tickets/{id}/reply"), json!({"text": "x", "then": "sideways"})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("then")));
    let later = kit.web.gateway.now_ms() + 8 * 24 * 3_600_000;
    let swept = talat_web::support::sweep::sweep_at(&kit.web, later).await.unwrap();
    assert_eq!(swept.closed, 1);
    let (s, v) = alice.post(&format!("/web/api/support/tickets/{id}/messages"), json!({"text": "one more thing"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")), "{v}");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clocks_escalate_and_breaches_are_counted() {
    let kit = start(relaxed()).await;
    let (mut alice, _) = signed_up(&kit, "alice@example.com").await;
    let t = open_ticket(&mut alice, "Where is my money").await;
    let id = t["id"].as_u64().unwrap();
    assert_eq!(t["clocks"]["first_response"]["target_min"], 30, "a high withdrawal ticket gets urgent's targets");

    // Nothing to do yet.
    let now = kit.web.gateway.now_ms();
    assert_eq!(talat_web::support::sweep::sweep_at(&kit.web, now).await.unwrap().escalated, 0);
    // Four business days later both clocks are long breached: escalated once (priority up,
    // mail to the lead) and the breaches recorded.
    let later = now + 6 * 24 * 3_600_000;
    let swept = talat_web::support::sweep::sweep_at(&kit.web, later).await.unwrap();
    assert_eq!((swept.escalated, swept.breached), (1, 2), "{swept:?}");
    let again = talat_web::support::sweep::sweep_at(&kit.web, later + 60_000).await.unwrap();
    assert_eq!((again.escalated, again.breached), (0, 0), "escalated and breached once only");
    let row = kit.web.store.ticket(id).await.unwrap().unwrap();
    assert_eq!(row.priority, "urgent");
    assert!(row.escalated_ms.is_some() && row.first_response_breached_ms.is_some() && row.resolution_breached_ms.is_some());
    let mail = outbox(&kit).await;
    assert!(mail.iter().any(|m| m.kind == "ticket.escalated" && m.to_addr == "support-lead@talat.local"), "{mail:?}");

    let mut staff = staff_browsers(&kit).await;
    let operator = staff_of(&mut staff, Role::Operator);
    let (s, d) = operator.get("/web/api/console/dashboard").await;
    assert_eq!(s, 200, "{d}");
    assert_eq!((d["support"]["open"].as_u64(), d["support"]["breached"].as_u64(), d["support"]["at_risk"].as_u64()), (Some(1), Some(1), Some(1)), "{d}");
    let support = staff_of(&mut staff, Role::Support);
    let (_, q) = support.get("/web/api/console/support/tickets?clock=breached").await;
    assert_eq!(q["tickets"].as_array().unwrap().len(), 1);
    let (_, v) = support.get(&format!("/web/api/console/support/tickets/{id}")).await;
    let events = events_of(&v["ticket"]);
    assert!(events.iter().any(|(k, _)| k == "escalated") && events.iter().filter(|(k, _)| k == "breached").count() == 2, "{events:?}");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_answers_its_tickets_together() {
    let kit = start(relaxed()).await;
    let mut tickets = Vec::new();
    for who in ["a", "b", "c"] {
        let (mut b, _) = signed_up(&kit, &format!("{who}@example.com")).await;
        tickets.push(open_ticket(&mut b, "Withdrawals stuck").await["id"].as_u64().unwrap());
    }
    let mut staff = staff_browsers(&kit).await;
    // Support may answer incidents but not open them.
    let (s, _) = staff_of(&mut staff, Role::Support).post("/web/api/console/support/incidents", json!({"title": "x", "description": "y", "reason": "z"})).await;
    assert_eq!(s, 403);
    let operator = staff_of(&mut staff, Role::Operator);
    let (s, v) = operator
        .post("/web/api/console/support/incidents", json!({"title": "BTC withdrawals delayed", "description": "Node resync.", "reason": "many tickets"}))
        .await;
    assert_eq!(s, 200, "{v}");
    let incident = v["incident"]["id"].as_u64().unwrap();
    // A typo links nothing.
    let (s, v) = operator.post(&format!("/web/api/console/support/incidents/{incident}/link"), json!({"ticket_ids": [tickets[0], 999_999]})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("ticket_ids")), "{v}");
    assert!(kit.web.store.ticket(tickets[0]).await.unwrap().unwrap().incident_id.is_none());
    let (s, v) = operator.post(&format!("/web/api/console/support/incidents/{incident}/link"), json!({"ticket_ids": tickets})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["linked"].as_u64(), v["incident"]["ticket_count"].as_u64()), (Some(3), Some(3)));
    let (s, v) =
        operator.post(&format!("/web/api/console/support/incidents/{incident}/reply"), json!({"text": "Fixed; all withdrawals sent.", "resolve": true})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["answered"].as_u64(), v["incident"]["status"].as_str()), (Some(3), Some("resolved")));
    for id in &tickets {
        let row = kit.web.store.ticket(*id).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.incident_id), ("resolved", Some(incident)));
        assert!(kit.web.store.ticket_messages(*id).await.unwrap().iter().any(|m| m.body == "Fixed; all withdrawals sent."));
    }
    let answered_mail = outbox(&kit).await.into_iter().filter(|m| m.kind == "incident.answer").count();
    assert_eq!(answered_mail, 3);
    let (s, _) = operator.post(&format!("/web/api/console/support/incidents/{incident}/reply"), json!({"text": "again"})).await;
    assert_eq!(s, 409, "a resolved incident takes no more answers");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staffing_plans_with_erlang_c_against_the_roster() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;
    // The domain reference's case 2 in every half hour: 100 arrivals, 180 s, 80 % in 20 s → 14.
    let arrivals = vec!["100"; 48].join(",");
    let support = staff_of(&mut staff, Role::Support);
    let (s, v) = support.get(&format!("/web/api/console/support/staffing?arrivals={arrivals}&aht_s=180&target_pct=80&answer_s=20&shrinkage_pct=0")).await;
    assert_eq!(s, 200, "{v}");
    let intervals = v["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), 48);
    assert!(intervals.iter().all(|i| i["agents"] == 14), "{}", intervals[0]);
    assert!((intervals[0]["service_level"].as_f64().unwrap() - 0.8884).abs() < 0.0001);
    assert_eq!(v["understaffed_start_min"].as_array().unwrap().len(), 48, "nobody rostered yet");
    for (query, field) in
        [("aht_s=-1", "aht_s"), ("target_pct=100", "target_pct"), ("shrinkage_pct=95", "shrinkage_pct"), ("arrivals=1,2", "arrivals"), ("aht_s=abc", "aht_s")]
    {
        let (s, v) = support.get(&format!("/web/api/console/support/staffing?{query}")).await;
        assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some(field)), "{query}: {v}");
    }
    // Only an admin sets the roster.
    let roster: Vec<u32> = (0..48).map(|i| if (18..36).contains(&i) { 14 } else { 2 }).collect();
    let (s, _) = support.post("/web/api/console/support/roster", json!({"agents": roster, "reason": "new shift plan"})).await;
    assert_eq!(s, 403);
    let admin = staff_of(&mut staff, Role::Admin);
    let (s, v) = admin.post("/web/api/console/support/roster", json!({"agents": [1, 2], "reason": "x"})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("agents")));
    let (s, v) = admin.post("/web/api/console/support/roster", json!({"agents": roster, "reason": "new shift plan"})).await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = admin.get(&format!("/web/api/console/support/staffing?arrivals={arrivals}&aht_s=180&target_pct=80&answer_s=20&shrinkage_pct=0")).await;
    assert_eq!(v["intervals"][20]["rostered"], 14);
    assert_eq!(v["understaffed_start_min"].as_array().unwrap().len(), 30, "the 30 half hours with 2 rostered");
    // Measured arrivals (no forecast given) come from the tickets of the last 28 days.
    let (s, v) = admin.get("/web/api/console/support/staffing").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["inputs"]["arrivals_source"], "measured");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_routes_are_role_checked() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;
    let expect = |role: Role, path: &str| -> u16 {
        let ok = match path {
            "/web/api/console/support/tickets" | "/web/api/console/support/staffing" | "/web/api/console/support/reports/complaints" => {
                matches!(role, Role::Support | Role::Compliance | Role::Admin)
            }
            "/web/api/console/support/incidents" => matches!(role, Role::Operator | Role::Support | Role::Admin),
            "/web/api/console/mail" => matches!(role, Role::Support | Role::Admin),
            _ => unreachable!(),
        };
        if ok {
            200
        } else {
            403
        }
    };
    for (role, b) in staff.iter_mut() {
        for path in [
            "/web/api/console/support/tickets",
            "/web/api/console/support/staffing",
            "/web/api/console/support/reports/complaints",
            "/web/api/console/support/incidents",
            "/web/api/console/mail",
        ] {
            let (s, v) = b.get(path).await;
            assert_eq!(s.as_u16(), expect(*role, path), "{role:?} {path}: {v}");
        }
    }
    // A customer session opens no console route.
    let (mut alice, _) = signed_up(&kit, "alice@example.com").await;
    assert_eq!(alice.get("/web/api/console/support/tickets").await.0, 401);
    kit.ex.stop().await;
}

/// A minimal SMTP server on loopback that accepts every mail and hands its DATA to the test
/// (just enough of RFC 5321 for one client: greeting, EHLO, MAIL, RCPT, DATA, QUIT).
async fn smtp_sink() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            tx.send(data.take().unwrap()).unwrap();
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_is_delivered_over_smtp_and_failures_are_retried() {
    use talat_web::mail::{deliver, transport, MailConfig};
    let kit = start(relaxed()).await;
    let (mut alice, _) = signed_up(&kit, "alice@example.com").await;
    open_ticket(&mut alice, "Mail me").await;

    // A relay that is down: the attempt is recorded, the mail stays pending.
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = MailConfig { smtp_url: Some(format!("smtp://127.0.0.1:{closed_port}")), timeout_ms: 2_000, ..MailConfig::default() };
    // (The sign-up's verification mail is in the outbox too.)
    let queued = outbox(&kit).await.len() as u64;
    let d = deliver(&kit.web, &down, &transport(&down).unwrap().unwrap()).await.unwrap();
    assert_eq!((d.sent, d.failed), (0, queued));
    let row = &outbox(&kit).await[0];
    assert_eq!((row.sent_ms, row.attempts), (None, 1));
    assert!(row.last_error.is_some());

    // The relay is up: delivered once, marked sent, not sent again.
    let (port, mut received) = smtp_sink().await;
    let up = MailConfig { smtp_url: Some(format!("smtp://127.0.0.1:{port}")), ..MailConfig::default() };
    let d = deliver(&kit.web, &up, &transport(&up).unwrap().unwrap()).await.unwrap();
    assert_eq!((d.sent, d.failed), (queued, 0));
    let mut delivered = Vec::new();
    for _ in 0..queued {
        delivered.push(received.recv().await.unwrap());
    }
    assert!(delivered.iter().any(|data| data.contains("To: alice@example.com") && data.contains("Mail me")), "{delivered:?}");
    assert!(outbox(&kit).await.iter().all(|m| m.sent_ms.is_some()));
    assert_eq!(deliver(&kit.web, &up, &transport(&up).unwrap().unwrap()).await.unwrap(), Default::default());

    for bad in ["smtps://x:1", "smtp://nohost", "smtp://:25", "smtp://h:99999"] {
        assert!(transport(&MailConfig { smtp_url: Some(bad.into()), ..MailConfig::default() }).is_err(), "{bad}");
    }
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_raised_while_waiting_on_the_customer_starts_paused() {
    let kit = start(relaxed()).await;
    let (mut alice, _) = signed_up(&kit, "alice@example.com").await;
    let id = open_ticket(&mut alice, "Slow").await["id"].as_u64().unwrap();
    let mut staff = staff_browsers(&kit).await;
    let (s, _) =
        staff_of(&mut staff, Role::Support).post(&format!("/web/api/console/support/tickets/{id}/reply"), json!({"text": "Please send a screenshot."})).await;
    assert_eq!(s, 200);
    let (s, v) = alice.post(&format!("/web/api/support/tickets/{id}/complaint"), json!({"reason": "slow"})).await;
    assert_eq!(s, 200, "{v}");
    let t = &v["ticket"];
    assert_eq!((t["status"].as_str(), t["complaint"]["status"].as_str()), (Some("waiting_customer"), Some("received")));
    assert_eq!(t["clocks"]["resolution"]["state"], "paused", "the outcome clock waits with the ticket: {t}");
    assert_eq!(t["clocks"]["resolution"]["target_min"], 30 * 24 * 60, "a complaint's outcome is due in 30 calendar days");
    // Staff's reasons do not overwrite the customer's.
    let (s, v) = staff_of(&mut staff, Role::Compliance)
        .post(&format!("/web/api/console/support/tickets/{id}/complaint"), json!({"status": "acknowledged", "reason": "looking"}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ticket"]["complaint"]["reason"], "slow");
    kit.ex.stop().await;
}
