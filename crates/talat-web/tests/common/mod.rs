//! The harness shared by the web API's test files: a live exchange (test kit: real node, store
//! and server) with the web routes mounted, and a cookie-keeping browser.
#![allow(dead_code)]

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use talat_api::testkit::TestExchange;
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;
use talat_web::{Role, Web, WebConfig};

pub struct Kit {
    pub ex: TestExchange,
    pub web: Arc<Web>,
}

pub async fn start(config: WebConfig) -> Kit {
    let slot: Arc<Mutex<Option<Arc<Web>>>> = Arc::default();
    let put = Arc::clone(&slot);
    let ex = TestExchange::start_with(ApiConfig::default(), 1, SequencerConfig::default(), move |gateway| {
        let web = Web::new(gateway, config).expect("the test kit has a store");
        *put.lock().unwrap() = Some(Arc::clone(&web));
        talat_web::routes(web)
    })
    .await;
    let web = slot.lock().unwrap().take().expect("routes were built");
    Kit { ex, web }
}

pub fn relaxed() -> WebConfig {
    WebConfig {
        demo: true,
        logins_per_ip_per_min: 10_000,
        logins_per_email_per_min: 10,
        signups_per_ip_per_hour: 10_000,
        signups_per_email_per_hour: 10,
        demo_funded_max: 10_000,
        require_staff_2fa: false,
        support: Default::default(),
        onboarding: talat_web::kyc::OnboardingConfig { require_kyc: false, ..Default::default() },
    }
}

/// A browser: keeps cookies, remembers the CSRF token.
pub struct Browser {
    pub http: Client,
    pub base: String,
    pub csrf: Option<String>,
}

impl Browser {
    pub fn new(kit: &Kit) -> Browser {
        Browser { http: Client::builder().cookie_store(true).build().unwrap(), base: kit.ex.url.clone(), csrf: None }
    }

    pub async fn call(&mut self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(csrf) = &self.csrf {
            req = req.header("X-CSRF-Token", csrf);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if let Some(c) = v.get("csrf").and_then(Value::as_str) {
            self.csrf = Some(c.to_string());
        }
        (status, v)
    }
    pub async fn get(&mut self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&mut self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn delete(&mut self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }
}

/// A signed-up customer whose app is in English (mails in English too).
pub async fn signed_up(kit: &Kit, email: &str) -> (Browser, Value) {
    signed_up_in(kit, email, "en").await
}

/// A signed-up customer whose app is in `lang` (`th` or `en`).
pub async fn signed_up_in(kit: &Kit, email: &str, lang: &str) -> (Browser, Value) {
    let mut b = Browser::new(kit);
    let (s, v) = b.post("/web/api/signup", json!({"email": email, "password": "a good password", "lang": lang})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (b, v["account"].clone())
}

pub async fn staff_browsers(kit: &Kit) -> Vec<(Role, Browser)> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let email = format!("{}@staff.test", role.as_str());
        kit.web.create_staff(&email, "staff password 1", role).await.unwrap();
        let mut b = Browser::new(kit);
        let (s, v) = b.post("/web/api/console/login", json!({"email": email, "password": "staff password 1"})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["staff"]["role"], role.as_str());
        out.push((role, b));
    }
    out
}
