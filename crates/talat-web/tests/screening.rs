//! Sanctions screening through the console against a live exchange: loading the synthetic UN
//! XML and CSV lists (re-screening every customer with KYC data), `screen_account`, clearing a
//! false positive (remembered until the entry's version changes), confirming a true match (the
//! account locked, the application rejected), bad list files (400, nothing stored) and roles.

mod common;

use base64::Engine as _;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use talat_web::kyc::screening::{screen_account, subject_from_data};
use talat_web::Role;

const UN_XML: &str = include_str!("../../talat-onboarding/fixtures/un-synthetic.xml");
const CSV: &str = include_str!("../../talat-onboarding/fixtures/sanctions-synthetic.csv");
const LISTS: &str = "/web/api/console/screening/lists";

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}

fn staff_of(browsers: &mut [(Role, Browser)], role: Role) -> &mut Browser {
    &mut browsers.iter_mut().find(|(r, _)| *r == role).expect("a browser per role").1
}

fn un_list(xml: &str) -> Value {
    json!({"name": "un-sc", "format": "un_xml", "data_base64": b64(xml), "reason": "monthly UN update"})
}

fn csv_list(csv: &str) -> Value {
    json!({"name": "synthetic-th", "format": "csv", "data_base64": b64(csv), "reason": "in-house list"})
}

/// A customer with a level-1 application holding `data` (stored directly: the level-1 route
/// is not what is tested here). Answers (account id, user id, application id).
async fn customer_with_kyc(kit: &Kit, email: &str, data: Value) -> (Browser, u64, u64, u64) {
    let (b, account) = signed_up(kit, email).await;
    let id = account["id"].as_u64().unwrap();
    let app = kit.web.store.insert_kyc_application_for_tests(id, 1, &data.to_string(), kit.web.gateway.now_ms()).await.unwrap();
    (b, id, account["user_id"].as_u64().unwrap(), app)
}

fn ilsabet() -> Value {
    json!({"id_type": "passport", "id_number": "PA1234567", "passport_country": "IRL", "first_name_en": "Ilsabet", "last_name_en": "Corwen Dray", "dob": "1984-04-23", "nationality": "IRL"})
}

fn chaiwat() -> Value {
    json!({"id_type": "thai_id", "id_number": "1101700230705", "first_name_th": "ชัยวัฒน์", "last_name_th": "พรหมสกุล", "first_name_en": "Chaiwat", "last_name_en": "Phromsakul", "dob": "1975-04-12", "nationality": "THA"})
}

fn somsri() -> Value {
    json!({"id_type": "thai_id", "id_number": "3100600123456", "first_name_th": "สมศรี", "last_name_th": "ใจดี", "first_name_en": "Somsri", "last_name_en": "Jaidee", "dob": "1990-01-01", "nationality": "THA"})
}

async fn hits(b: &mut Browser, status: &str) -> Vec<Value> {
    let (s, v) = b.get(&format!("/web/api/console/screening/hits?status={status}")).await;
    assert_eq!(s, 200, "{v}");
    v["hits"].as_array().unwrap().clone()
}

async fn screening_of(kit: &Kit, app: u64) -> (String, String) {
    let (status, screening, _, _) = kit.web.store.kyc_application_screening(app).await.unwrap().unwrap();
    (status, screening)
}

async fn audit_actions(kit: &Kit) -> Vec<(String, String)> {
    let mut rows = kit.web.store.audit_entries(None, 500).await.unwrap();
    rows.reverse();
    rows.into_iter().filter(|r| r.action.starts_with("screening.")).map(|r| (r.action, r.outcome)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loading_lists_rescreens_and_a_clearance_holds_until_the_entry_changes() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;
    let (_, ilsa, _, ilsa_app) = customer_with_kyc(&kit, "ilsa@example.com", ilsabet()).await;
    let (_, chai, _, chai_app) = customer_with_kyc(&kit, "chai@example.com", chaiwat()).await;
    let (_, _, _, somsri_app) = customer_with_kyc(&kit, "somsri@example.com", somsri()).await;
    signed_up(&kit, "nokyc@example.com").await;

    // Before any list: screening finds nothing.
    let subject = subject_from_data(&ilsabet()).unwrap();
    assert_eq!(screen_account(&kit.web, ilsa, &subject).await.unwrap().open_hits, 0);

    // The UN list: every customer with KYC data is screened; the namesake is hit.
    let compliance = staff_of(&mut staff, Role::Compliance);
    let (s, v) = compliance.post(LISTS, un_list(UN_XML)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["rescreened"].as_u64(), v["new_hits"].as_u64()), (Some(3), Some(1)), "{v}");
    assert_eq!((v["list"]["name"].as_str(), v["list"]["format"].as_str(), v["list"]["active"].as_bool()), (Some("un-sc"), Some("un_xml"), Some(true)));
    assert!(v["list"]["entry_count"].as_u64().unwrap() >= 7, "{v}");
    let open = hits(compliance, "open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    let h = &open[0];
    assert_eq!(
        (h["account_id"].as_u64(), h["customer_email"].as_str(), h["list"].as_str(), h["entity_id"].as_str(), h["entity_version"].as_u64()),
        (Some(ilsa), Some("ilsa@example.com"), Some("un-sc"), Some("9100006"), Some(2)),
        "{h}"
    );
    assert!(h["score"].as_f64().unwrap() >= 0.7 && !h["reasons"].as_array().unwrap().is_empty(), "{h}");
    assert_eq!(h["status"], "open");
    let first_hit = h["id"].as_u64().unwrap();
    assert_eq!(screening_of(&kit, ilsa_app).await.1, "hit");
    assert_eq!(screening_of(&kit, somsri_app).await.1, "clear");

    // The identical file again is refused; screening the customer again adds nothing.
    let (s, v) = compliance.post(LISTS, un_list(UN_XML)).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")), "{v}");
    assert_eq!(screen_account(&kit.web, ilsa, &subject).await.unwrap().open_hits, 1);
    assert_eq!(hits(compliance, "all").await.len(), 1);

    // The CSV list (another name): the Thai namesake is hit; both lists are active.
    let (s, v) = compliance.post(LISTS, csv_list(CSV)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["rescreened"].as_u64(), v["new_hits"].as_u64()), (Some(3), Some(1)), "{v}");
    let chai_hits: Vec<Value> = hits(compliance, "open").await.into_iter().filter(|h| h["account_id"] == chai).collect();
    assert_eq!((chai_hits.len(), chai_hits[0]["list"].as_str(), chai_hits[0]["entity_id"].as_str()), (1, Some("synthetic-th"), Some("SYN-0001")));
    assert_eq!(screening_of(&kit, chai_app).await.1, "hit");
    let (s, v) = compliance.get(LISTS).await;
    assert_eq!(s, 200, "{v}");
    let lists = v["lists"].as_array().unwrap();
    assert_eq!(lists.len(), 2);
    assert!(lists.iter().all(|l| l["active"] == true && l["loaded_ms"].as_u64().is_some()), "{v}");

    // Clear the UN hit: not the same person. Clearing again is refused.
    let clear = format!("/web/api/console/screening/hits/{first_hit}/clear");
    let (s, v) = compliance.post(&clear, json!({"reason": "different passport and DOB checked"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["hit"]["status"].as_str(), v["screening_status"].as_str()), (Some("cleared"), Some("cleared")), "{v}");
    assert_eq!(screening_of(&kit, ilsa_app).await.1, "cleared");
    let (s, _) = compliance.post(&clear, json!({"reason": "again"})).await;
    assert_eq!(s, 409);
    assert_eq!(hits(compliance, "cleared").await.len(), 1);

    // It does not fire again: not on screening the customer, not on the same entries loaded
    // from a changed file (only a comment differs).
    assert_eq!(screen_account(&kit.web, ilsa, &subject).await.unwrap().open_hits, 0);
    let recommented = UN_XML.replace("Invented entry for tests.", "Invented entry for tests (re-issued).");
    assert_ne!(recommented, UN_XML);
    let (s, v) = compliance.post(LISTS, un_list(&recommented)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["new_hits"].as_u64(), Some(0), "{v}");
    assert!(hits(compliance, "open").await.iter().all(|h| h["account_id"] != ilsa));
    assert_eq!(screening_of(&kit, ilsa_app).await.1, "cleared");
    let (_, v) = compliance.get(LISTS).await;
    let un: Vec<&Value> = v["lists"].as_array().unwrap().iter().filter(|l| l["name"] == "un-sc").collect();
    assert_eq!((un.len(), un.iter().filter(|l| l["active"] == true).count()), (2, 1), "the old file is inactive: {v}");

    // The list amends the entry (VERSIONNUM 2 → 3): the clearance lapses and the hit re-opens.
    let amended =
        recommented.replace("<DATAID>9100006</DATAID>\n      <VERSIONNUM>2</VERSIONNUM>", "<DATAID>9100006</DATAID>\n      <VERSIONNUM>3</VERSIONNUM>");
    assert_ne!(amended, recommented);
    let (s, v) = compliance.post(LISTS, un_list(&amended)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["new_hits"].as_u64(), Some(1), "{v}");
    let reopened: Vec<Value> = hits(compliance, "open").await.into_iter().filter(|h| h["account_id"] == ilsa).collect();
    assert_eq!((reopened.len(), reopened[0]["entity_version"].as_u64()), (1, Some(3)), "{reopened:?}");
    assert_eq!(screening_of(&kit, ilsa_app).await.1, "hit");
    assert_eq!(screen_account(&kit.web, ilsa, &subject).await.unwrap().open_hits, 1);

    // Every action is audited (the 409 included), without the file itself.
    let actions = audit_actions(&kit).await;
    assert_eq!(actions.iter().filter(|(a, _)| a == "screening.list.load").count(), 5, "{actions:?}");
    assert!(actions.contains(&("screening.clear".into(), "ok".into())), "{actions:?}");
    assert!(actions.iter().any(|(a, o)| a == "screening.clear" && o.starts_with("conflict")), "{actions:?}");
    let rows = kit.web.store.audit_entries(None, 500).await.unwrap();
    assert!(
        rows.iter().filter(|r| r.action == "screening.list.load").all(|r| r.detail.len() < 1_000 && r.detail.contains("base64 characters")),
        "the file is not in the audit log"
    );
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirming_a_hit_locks_the_account_and_rejects_the_application() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;
    let (mut cust, chai, _, chai_app) = customer_with_kyc(&kit, "chai@example.com", chaiwat()).await;
    let order = json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3000000", "amount": "0.001"});
    assert_eq!(cust.post("/web/api/orders", order.clone()).await.0, 200, "trading works before");

    let admin = staff_of(&mut staff, Role::Admin);
    let (s, v) = admin.post(LISTS, csv_list(CSV)).await;
    assert_eq!(s, 200, "{v}");
    // screen_account on submission finds the same open hit (and does not store it twice).
    let subject = subject_from_data(&chaiwat()).unwrap();
    assert_eq!(screen_account(&kit.web, chai, &subject).await.unwrap().open_hits, 1);
    let open = hits(admin, "open").await;
    assert_eq!(open.len(), 1);
    let id = open[0]["id"].as_u64().unwrap();

    let compliance = staff_of(&mut staff, Role::Compliance);
    let (s, v) = compliance.post(&format!("/web/api/console/screening/hits/{id}/confirm"), json!({"reason": "same ID number and date of birth"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["hit"]["status"].as_str(), v["screening_status"].as_str(), v["account"]["locked"].as_bool()),
        (Some("confirmed"), Some("confirmed"), Some(true)),
        "{v}"
    );
    assert!(v["seq"].as_u64().is_some(), "the engine limits were set: {v}");
    let (status, screening, reason, _) = kit.web.store.kyc_application_screening(chai_app).await.unwrap().unwrap();
    assert_eq!((status.as_str(), screening.as_str()), ("rejected", "confirmed"));
    assert!(reason.unwrap().contains("same ID number"));
    assert!(kit.web.store.web_account(chai).await.unwrap().unwrap().locked);
    let (s, v) = cust.post("/web/api/orders", order).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["bitkub_code"].as_u64()), (403, Some("forbidden"), Some(56)), "locked: suspended, not a KYC level: {v}");

    // Decided: neither decision applies again; re-screening does not re-open a confirmed match.
    for path in ["confirm", "clear"] {
        let (s, v) = compliance.post(&format!("/web/api/console/screening/hits/{id}/{path}"), json!({"reason": "again"})).await;
        assert_eq!(s, 409, "{v}");
    }
    let (s, _) = compliance.post("/web/api/console/screening/hits/999999/confirm", json!({"reason": "x"})).await;
    assert_eq!(s, 404);
    assert_eq!(screen_account(&kit.web, chai, &subject).await.unwrap().open_hits, 0);
    assert_eq!(hits(compliance, "confirmed").await.len(), 1);
    assert_eq!(hits(compliance, "open").await.len(), 0);
    let actions = audit_actions(&kit).await;
    assert!(actions.contains(&("screening.confirm".into(), "ok".into())), "{actions:?}");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_list_files_are_refused_and_store_nothing() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;
    customer_with_kyc(&kit, "ilsa@example.com", ilsabet()).await;
    let compliance = staff_of(&mut staff, Role::Compliance);
    let no_first_name = UN_XML.replacen("<FIRST_NAME>VARNEL</FIRST_NAME>", "", 1);
    let cases: Vec<(Value, &str, &str)> = vec![
        (un_list("this is not XML at all"), "data_base64", "CONSOLIDATED_LIST"),
        (un_list("<?xml version=\"1.0\"?><OTHER_LIST><A/></OTHER_LIST>"), "data_base64", "CONSOLIDATED_LIST"),
        (un_list("<CONSOLIDATED_LIST><INDIVIDUALS>"), "data_base64", "truncated"),
        (un_list(&no_first_name), "data_base64", "FIRST_NAME"),
        (un_list(""), "data_base64", "empty"),
        (un_list("<CONSOLIDATED_LIST></CONSOLIDATED_LIST>"), "data_base64", "no entries"),
        (csv_list("id,name\n1,Somebody\n"), "data_base64", "header"),
        (csv_list(&CSV.replace("SYN-0002,2,", "SYN-0002,two,")), "data_base64", "line"),
        (json!({"name": "un-sc", "format": "un_xml", "data_base64": "@@not base64@@", "reason": "x"}), "data_base64", "base64"),
        (json!({"name": "un-sc", "format": "pdf", "data_base64": b64(UN_XML), "reason": "x"}), "format", "format"),
        (json!({"name": "", "format": "un_xml", "data_base64": b64(UN_XML), "reason": "x"}), "name", "name"),
        (json!({"name": "un-sc", "format": "un_xml", "data_base64": b64(UN_XML)}), "reason", "reason"),
    ];
    for (body, field, words) in cases {
        let (s, v) = compliance.post(LISTS, body.clone()).await;
        assert_eq!((s.as_u16(), v["error"].as_str(), v["field"].as_str()), (400, Some("invalid"), Some(field)), "{v} for {}", body["data_base64"]);
        assert!(v["message"].as_str().unwrap().contains(words), "{v} should mention {words}");
    }
    let (_, v) = compliance.get(LISTS).await;
    assert_eq!(v["lists"].as_array().unwrap().len(), 0, "nothing stored: {v}");
    assert!(hits(compliance, "all").await.is_empty());
    let actions = audit_actions(&kit).await;
    assert_eq!(actions.len(), 12);
    assert!(actions.iter().all(|(a, o)| a == "screening.list.load" && o.starts_with("invalid")), "{actions:?}");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_decide_who_reads_loads_and_decides() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;
    customer_with_kyc(&kit, "ilsa@example.com", ilsabet()).await;
    let (s, v) = staff_of(&mut staff, Role::Compliance).post(LISTS, un_list(UN_XML)).await;
    assert_eq!(s, 200, "{v}");
    let id = hits(staff_of(&mut staff, Role::Compliance), "open").await[0]["id"].as_u64().unwrap();
    let clear = format!("/web/api/console/screening/hits/{id}/clear");
    let confirm = format!("/web/api/console/screening/hits/{id}/confirm");
    for role in [Role::Support, Role::Operator, Role::Kyc] {
        let b = staff_of(&mut staff, role);
        let (s, v) = b.post(LISTS, csv_list(CSV)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role:?} loads: {v}");
        assert_eq!(b.get(LISTS).await.0, StatusCode::FORBIDDEN, "{role:?} lists");
        assert_eq!(b.post(&clear, json!({"reason": "x"})).await.0, StatusCode::FORBIDDEN, "{role:?} clears");
        assert_eq!(b.post(&confirm, json!({"reason": "x"})).await.0, StatusCode::FORBIDDEN, "{role:?} confirms");
        let expected = if role == Role::Kyc { StatusCode::OK } else { StatusCode::FORBIDDEN };
        assert_eq!(b.get("/web/api/console/screening/hits").await.0, expected, "{role:?} reads hits");
    }
    // A customer session is not staff.
    let (mut cust, _) = signed_up(&kit, "cust@example.com").await;
    assert_eq!(cust.get("/web/api/console/screening/hits").await.0, StatusCode::UNAUTHORIZED);
    // Nothing changed; the refusals are audited.
    let compliance = staff_of(&mut staff, Role::Compliance);
    assert_eq!(hits(compliance, "open").await.len(), 1);
    assert_eq!(compliance.get(LISTS).await.1["lists"].as_array().unwrap().len(), 1);
    let (s, v) = compliance.get("/web/api/console/screening/hits?status=bogus").await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("status")));
    let actions = audit_actions(&kit).await;
    assert_eq!(actions.iter().filter(|(_, o)| o.starts_with("forbidden")).count(), 9, "{actions:?}");
    // Admin may decide.
    let (s, v) = staff_of(&mut staff, Role::Admin).post(&clear, json!({"reason": "not the listed person"})).await;
    assert_eq!(s, 200, "{v}");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reviewers_deciding_one_hit_at_once_one_wins() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;
    let mut names = Vec::new();
    for i in 0..4 {
        let (_, account, _, _) = customer_with_kyc(&kit, &format!("ilsa{i}@example.com"), ilsabet()).await;
        names.push(account);
    }
    let (s, v) = staff_of(&mut staff, Role::Compliance).post(LISTS, un_list(UN_XML)).await;
    assert_eq!((s.as_u16(), v["new_hits"].as_u64()), (200, Some(4)), "{v}");
    let open = hits(staff_of(&mut staff, Role::Compliance), "open").await;
    let mut compliance = staff.remove(staff.iter().position(|(r, _)| *r == Role::Compliance).unwrap()).1;
    let mut admin = staff.remove(staff.iter().position(|(r, _)| *r == Role::Admin).unwrap()).1;
    for h in &open {
        let id = h["id"].as_u64().unwrap();
        let clear = format!("/web/api/console/screening/hits/{id}/clear");
        let confirm = format!("/web/api/console/screening/hits/{id}/confirm");
        let ((s1, v1), (s2, v2)) = tokio::join!(compliance.post(&clear, json!({"reason": "not them"})), admin.post(&confirm, json!({"reason": "them"})));
        let mut codes = [s1.as_u16(), s2.as_u16()];
        codes.sort();
        assert_eq!(codes, [200, 409], "{v1} {v2}");
        let account = kit.web.store.web_account(h["account_id"].as_u64().unwrap()).await.unwrap().unwrap();
        assert_eq!(account.locked, s2 == 200, "locked only if the confirmation won");
        let decided = kit.web.store.screening_hit(id).await.unwrap().unwrap();
        assert_eq!(decided.status, if s2 == 200 { "confirmed" } else { "cleared" });
    }
    assert!(hits(&mut compliance, "open").await.is_empty());
    kit.ex.stop().await;
}
