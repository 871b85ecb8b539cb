//! SLA-aware admission against a live exchange: with review capacity for one customer in the
//! onboarding pipeline, the next sign-ups wait in order with a position and an estimate, the
//! console shows the model's inputs and its decision, and a waitlisted sign-up is admitted (and
//! mailed) once a review frees the place.

mod common;

use common::*;
use serde_json::json;
use talat_web::kyc::admission::{self, AdmissionConfig};
use talat_web::kyc::OnboardingConfig;
use talat_web::{Role, WebConfig};

fn one_review_place(uploads: &std::path::Path) -> WebConfig {
    WebConfig {
        onboarding: OnboardingConfig {
            require_kyc: true,
            uploads_dir: Some(uploads.to_path_buf()),
            review_sla_hours: 24,
            admission: AdmissionConfig { reviewers: Some(1), reviews_per_reviewer_per_day: 1.0, ..AdmissionConfig::default() },
            ..OnboardingConfig::default()
        },
        ..relaxed()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_past_capacity_wait_in_order_and_are_admitted_when_a_place_frees() {
    let uploads = tempfile::tempdir().unwrap();
    let kit = start(one_review_place(uploads.path())).await;
    let (_, a) = signed_up(&kit, "a@example.com").await;
    assert_eq!(a["admitted"], true, "the first customer fits: {a}");
    let (mut b_browser, b) = signed_up(&kit, "b@example.com").await;
    let (_, c) = signed_up(&kit, "c@example.com").await;
    assert_eq!((b["admitted"].as_bool(), c["admitted"].as_bool()), (Some(false), Some(false)), "the review place is taken");

    let account = |id: &serde_json::Value| {
        let store = kit.web.store.clone();
        let id = id.as_u64().unwrap();
        async move { store.web_account(id).await.unwrap().unwrap() }
    };
    let b_row = account(&b["id"]).await;
    let c_row = account(&c["id"]).await;
    let b_wait = admission::waitlist_json(&kit.web, &b_row).await.unwrap();
    let c_wait = admission::waitlist_json(&kit.web, &c_row).await.unwrap();
    assert_eq!((b_wait["position"].as_u64(), c_wait["position"].as_u64()), (Some(1), Some(2)));
    assert_eq!(b_wait["binding"], "kyc");
    // The customer sees the same on their KYC status.
    let (s, v) = b_browser.get("/web/api/kyc").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["admitted"].as_bool(), v["waitlist"]["position"].as_u64(), v["next_step"].as_str()), (Some(false), Some(1), Some("verify_email")), "{v}"); // the email can be verified while waiting
    assert_eq!((b_wait["estimate_ms"].as_u64(), c_wait["estimate_ms"].as_u64()), (Some(86_400_000), Some(2 * 86_400_000)), "one review a day");

    // The console shows the model: its inputs, every limit, the decision, the waitlist.
    let mut staff = staff_browsers(&kit).await;
    let kyc = &mut staff.iter_mut().find(|(r, _)| *r == Role::Kyc).unwrap().1;
    let (s, v) = kyc.get("/web/api/console/onboarding/admission").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["decision"]["admit"].as_bool(), v["decision"]["binding"].as_str()), (Some(false), Some("kyc")), "{v}");
    assert_eq!(v["inputs"]["pending_reviews"], 1);
    assert_eq!(v["inputs"]["customers"], 1);
    let names: Vec<&str> = v["limits"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["engine", "support", "kyc"]);
    assert_eq!(v["waitlist"]["length"], 2);
    let operator = &mut staff.iter_mut().find(|(r, _)| *r == Role::Operator).unwrap().1;
    assert_eq!(operator.get("/web/api/console/onboarding/admission").await.0, 403);

    // Nothing frees: a sweep admits no one.
    assert_eq!(admission::sweep(&kit.web).await.unwrap(), 0);
    // The first customer's review is decided: the place frees, the next in line is admitted
    // (and told by mail), the one after waits on at position 1.
    let a_id = a["id"].as_u64().unwrap();
    kit.web
        .store
        .execute_raw(&format!("INSERT INTO kyc_applications (account_id, level, status, data, submitted_ms, updated_ms, decided_ms) VALUES ({a_id}, 1, 'approved', '{{}}', 1, 2, 2)"))
        .await
        .unwrap();
    assert_eq!(admission::sweep(&kit.web).await.unwrap(), 1);
    assert!(account(&b["id"]).await.admitted_ms.is_some());
    let c_row = account(&c["id"]).await;
    assert!(c_row.admitted_ms.is_none());
    assert_eq!(admission::waitlist_json(&kit.web, &c_row).await.unwrap()["position"], 1);
    let mail = kit.web.store.outbox(50).await.unwrap();
    assert!(mail.iter().any(|m| m.kind == "admission.admitted" && m.to_addr == "b@example.com"), "{mail:?}");
    assert!(!mail.iter().any(|m| m.kind == "admission.admitted" && m.to_addr == "c@example.com"));
    let _ = json!({});
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_kyc_everyone_is_admitted() {
    let kit = start(relaxed()).await;
    for who in ["x", "y", "z"] {
        let (_, a) = signed_up(&kit, &format!("{who}@example.com")).await;
        assert_eq!(a["admitted"], true);
    }
    kit.ex.stop().await;
}
