//! The web API against a live exchange (test kit: real node, store and server), through HTTP
//! with a cookie-keeping client, as the browser apps use it.

mod common;

use common::*;
use reqwest::{Client, Method};
use serde_json::{json, Value};
use talat_web::{Role, WebConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_me_logout_login_and_bad_inputs() {
    let kit = start(relaxed()).await;
    let mut b = Browser::new(&kit);
    // The session cookie's attributes.
    let resp =
        b.http.post(format!("{}/web/api/signup", b.base)).json(&json!({"email": "Alice@Example.com", "password": "a good password"})).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("talat_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["account"]["email"], "alice@example.com");
    b.csrf = Some(v["csrf"].as_str().unwrap().to_string());
    let (s, me) = b.get("/web/api/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["account"]["email"], "alice@example.com");
    // Demo funds.
    let (_, bal) = b.get("/web/api/balances").await;
    let thb = bal["assets"].as_array().unwrap().iter().find(|a| a["asset"] == "THB").unwrap().clone();
    assert_eq!(thb["available"], "1000000");
    let btc = bal["assets"].as_array().unwrap().iter().find(|a| a["asset"] == "BTC").unwrap().clone();
    assert_eq!(btc["value_thb"], "3500000", "1 BTC at the opening price");
    assert_eq!(bal["total_thb"], "4500000");

    assert_eq!(b.post("/web/api/logout", json!({})).await.0, 200);
    assert_eq!(b.get("/web/api/me").await.1["error"], "unauthenticated");
    let (s, v) = b.post("/web/api/login", json!({"email": "alice@example.com", "password": "a good password"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(b.get("/web/api/me").await.0, 200);

    // Bad inputs: each names its field and creates nothing.
    let mut other = Browser::new(&kit);
    let cases = [
        (json!({"email": "nope", "password": "a good password"}), 400, "invalid", Some("email")),
        (json!({"password": "a good password"}), 400, "invalid", Some("email")),
        (json!({"email": "b@example.com", "password": "short"}), 400, "invalid", Some("password")),
        (json!({"email": "b@example.com", "password": "12345678901"}), 400, "invalid", Some("password")),
        (json!({"email": "b@example.com", "password": 5}), 400, "invalid", Some("password")),
        (json!({"email": "ALICE@example.com", "password": "a good password"}), 409, "conflict", None),
    ];
    for (body, status, code, field) in cases {
        let (s, v) = other.post("/web/api/signup", body.clone()).await;
        assert_eq!((s.as_u16(), v["error"].as_str()), (status, Some(code)), "{body} → {v}");
        assert_eq!(v["field"].as_str(), field, "{body} → {v}");
    }
    assert!(kit.web.store.web_account_by_email("b@example.com").await.unwrap().is_none());
    // A form post (not JSON) is refused.
    let resp = other
        .http
        .post(format!("{}/web/api/signup", other.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=c@example.com&password=aaaaaaaaaaaa")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let (s, v) = other.post("/web/api/login", json!({"email": "alice@example.com", "password": "wrong password"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (401, Some("unauthenticated")));
    let (s, v) = other.post("/web/api/login", json!({"email": "nobody@example.com", "password": "wrong password"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (401, Some("unauthenticated")));
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_attempts_are_rate_limited_per_email() {
    let kit = start(relaxed()).await;
    signed_up(&kit, "rl@example.com").await;
    let mut b = Browser::new(&kit);
    let mut codes = Vec::new();
    for _ in 0..11 {
        codes.push(b.post("/web/api/login", json!({"email": "rl@example.com", "password": "wrong password"})).await.0.as_u16());
    }
    assert_eq!(&codes[..10], &[401; 10]);
    let (s, v) = b.post("/web/api/login", json!({"email": "rl@example.com", "password": "a good password"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (429, Some("rate_limited")));
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_is_required_and_changes_nothing() {
    let kit = start(relaxed()).await;
    let (mut b, _) = signed_up(&kit, "csrf@example.com").await;
    let good = b.csrf.clone();
    for bad in [None, Some("0".repeat(64))] {
        b.csrf = bad;
        let (s, v) = b.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3000000", "amount": "0.001"})).await;
        assert_eq!((s.as_u16(), v["error"].as_str()), (403, Some("csrf")), "{v}");
        let (s, _) = b.post("/web/api/keys", json!({"permissions": ["trade"]})).await;
        assert_eq!(s, 403);
    }
    b.csrf = good;
    assert_eq!(b.get("/web/api/orders/open").await.1["orders"].as_array().unwrap().len(), 0);
    assert_eq!(b.get("/web/api/keys").await.1["keys"].as_array().unwrap().len(), 0);
    kit.ex.stop().await;
}

/// What a replayed TOTP code is told.
const REPLAYED: &str = "this code was already used; wait for the next one";

fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

/// The current TOTP time step (30 s).
fn now_step() -> u64 {
    unix_ms() / 30_000
}

/// The current time step once at least 10 s of it are left (sleeping into the next step if
/// not): the codes of that step and of one either side then stay good for a short test.
async fn settled_step() -> u64 {
    let left = 30_000 - unix_ms() % 30_000;
    if left < 10_000 {
        tokio::time::sleep(std::time::Duration::from_millis(left + 100)).await;
    }
    now_step()
}

/// The code of time step `step`.
fn code_at(totp: &totp_rs::TOTP, step: u64) -> String {
    totp.generate(step * 30)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_setup_enable_and_login() {
    let kit = start(relaxed()).await;
    let (mut b, _) = signed_up(&kit, "totp@example.com").await;
    let (s, v) = b.post("/web/api/2fa/setup", json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["otpauth_url"].as_str().unwrap().starts_with("otpauth://totp/"));
    let totp = totp_of(&v);
    let (s, v) = b.post("/web/api/2fa/enable", json!({"code": wrong_code(&totp)})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("code")), "a wrong code does not enable");
    // Three steps in play: the previous one enables, the current and the next one log in.
    let step = settled_step().await;
    let (s, v) = b.post("/web/api/2fa/enable", json!({"code": code_at(&totp, step - 1)})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["account"]["totp_enabled"], true);
    let mut c = Browser::new(&kit);
    let creds = json!({"email": "totp@example.com", "password": "a good password"});
    let with_code = |code: String| {
        let mut body = creds.clone();
        body["totp"] = json!(code);
        body
    };
    let (s, v) = c.post("/web/api/login", creds.clone()).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (401, Some("totp_required")));
    let (s, v) = c.post("/web/api/login", with_code(wrong_code(&totp))).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["message"].as_str()), (401, Some("unauthenticated"), Some("wrong two-factor code")), "{v}");
    // Enabling used up its code: the same code does not log in.
    let (s, v) = c.post("/web/api/login", with_code(code_at(&totp, step - 1))).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["message"].as_str()), (401, Some("unauthenticated"), Some(REPLAYED)), "{v}");
    assert_eq!(c.get("/web/api/me").await.0, 401);
    // The current step's code logs in once; again (from another browser too) it is refused.
    let (s, v) = c.post("/web/api/login", with_code(code_at(&totp, step))).await;
    assert_eq!(s, 200, "{v}");
    let mut d = Browser::new(&kit);
    let (s, v) = d.post("/web/api/login", with_code(code_at(&totp, step))).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["message"].as_str()), (401, Some("unauthenticated"), Some(REPLAYED)), "{v}");
    assert_eq!(d.get("/web/api/me").await.0, 401);
    // The next step's code is new: several logins with it at once, exactly one gets in.
    let next = code_at(&totp, step + 1);
    let tries = (0..3).map(|_| {
        let mut e = Browser::new(&kit);
        let body = with_code(next.clone());
        async move { e.post("/web/api/login", body).await }
    });
    let answers = futures_join_all(tries).await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(ok, 1, "one concurrent login with a code passes: {answers:?}");
    for (s, v) in answers.iter().filter(|(s, _)| *s != 200) {
        assert_eq!((s.as_u16(), v["message"].as_str()), (401, Some(REPLAYED)), "{v}");
    }
    // Turning 2FA off needs an unused code too: the last one used is refused like a wrong one.
    let (s, v) = b.post("/web/api/2fa/disable", json!({"code": next})).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["field"].as_str(), v["message"].as_str()), (400, Some("invalid"), Some("code"), Some(REPLAYED)), "{v}");
    assert!(kit.web.store.web_account_by_email("totp@example.com").await.unwrap().unwrap().totp_enabled);
    kit.ex.stop().await;
}

/// Runs the futures at once (each on its own task) and returns their outputs in order.
async fn futures_join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_work_signed_until_revoked() {
    let kit = start(relaxed()).await;
    let (mut b, _) = signed_up(&kit, "keys@example.com").await;
    let (s, v) = b.post("/web/api/keys", json!({"permissions": ["trade", "bogus"]})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("permissions")));
    let (s, v) = b.post("/web/api/keys", json!({"permissions": ["trade"], "ip_allow": ["not-an-ip"]})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("ip_allow")));
    let (s, created) = b.post("/web/api/keys", json!({"permissions": ["trade"], "ip_allow": []})).await;
    assert_eq!(s, 200, "{created}");
    let key = created["key"].as_str().unwrap().to_string();
    let secret = created["secret"].as_str().unwrap().to_string();
    let (_, list) = b.get("/web/api/keys").await;
    assert_eq!(list["keys"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&secret), "the secret is shown once only");
    let (http, base) = (b.http.clone(), b.base.clone());
    let signed = |key: &str| {
        let ts = kit.ex.gateway.now_ms().to_string();
        let sig = talat_gateway::auth::sign::sign(secret.as_bytes(), &ts, "POST", "/api/v3/market/balances", b"{}");
        http.post(format!("{base}/api/v3/market/balances"))
            .header("X-BTK-APIKEY", key)
            .header("X-BTK-TIMESTAMP", ts)
            .header("X-BTK-SIGN", sig)
            .header("content-type", "application/json")
            .body("{}")
    };
    let v: Value = signed(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["error"], 0, "{v}");
    assert!(v["result"]["THB"]["available"].is_number(), "{v}");
    let (s, _) = b.delete(&format!("/web/api/keys/{key}")).await;
    assert_eq!(s, 200);
    let v: Value = signed(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["error"], 3, "a revoked key is refused: {v}");
    assert_eq!(b.get("/web/api/keys").await.1["keys"].as_array().unwrap().len(), 0);
    assert_eq!(b.delete(&format!("/web/api/keys/{key}")).await.0, 404);
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_place_cancel_and_cancel_all() {
    let kit = start(relaxed()).await;
    let (mut b, _) = signed_up(&kit, "trader@example.com").await;
    let order = |price: &str| json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": price, "amount": "0.001"});
    let bad = [
        (json!({"symbol": "NOPE_THB", "side": "buy", "type": "limit", "price": "1", "amount": "1"}), "symbol"),
        (json!({"symbol": "BTC_THB", "side": "up", "type": "limit", "price": "1", "amount": "1"}), "side"),
        (json!({"symbol": "BTC_THB", "side": "buy", "type": "iceberg", "price": "1", "amount": "1"}), "type"),
        (json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "1.001", "amount": "1"}), "price"),
        (json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "amount": "1"}), "price"),
        (json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "-1", "amount": "1"}), "price"),
        (json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3000000", "amount": "0.000000001"}), "amount"),
        (json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3000000", "amount": "0"}), "amount"),
        (json!({"symbol": "BTC_THB", "side": "buy", "type": "stop_limit", "price": "3000000", "amount": "0.1"}), "stop_price"),
        (json!({"symbol": "BTC_THB", "side": "buy", "type": "market", "price": "3000000", "amount": "100"}), "price"),
    ];
    for (body, field) in bad {
        let (s, v) = b.post("/web/api/orders", body.clone()).await;
        assert_eq!((s.as_u16(), v["error"].as_str(), v["field"].as_str()), (400, Some("invalid"), Some(field)), "{body} → {v}");
    }
    assert_eq!(b.get("/web/api/orders/open").await.1["orders"].as_array().unwrap().len(), 0);
    // Engine refusals: too little money.
    let (s, v) = b.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3000000", "amount": "100"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["bitkub_code"].as_u64()), (422, Some("rejected"), Some(18)), "{v}");

    let (s, v) = b.post("/web/api/orders", order("3000000")).await;
    assert_eq!(s, 200, "{v}");
    let o = &v["order"];
    assert_eq!(
        (o["status"].as_str(), o["price"].as_str(), o["amount"].as_str(), o["type"].as_str()),
        (Some("open"), Some("3000000"), Some("0.001"), Some("limit"))
    );
    let id = o["id"].as_str().unwrap().to_string();
    let (_, bal) = b.get("/web/api/balances").await;
    let thb = bal["assets"].as_array().unwrap().iter().find(|a| a["asset"] == "THB").unwrap().clone();
    assert_eq!(thb["held"], "3000");
    assert_eq!(b.delete(&format!("/web/api/orders/{id}")).await.0, 200);
    assert_eq!(b.delete(&format!("/web/api/orders/{id}")).await.0, 404);
    assert_eq!(b.get("/web/api/orders/open").await.1["orders"].as_array().unwrap().len(), 0);
    for p in ["3000000", "3000001", "3000002"] {
        assert_eq!(b.post("/web/api/orders", order(p)).await.0, 200);
    }
    let (s, v) = b.post("/web/api/orders/cancel-all", json!({"symbol": "BTC_THB"})).await;
    assert_eq!((s.as_u16(), v["cancelled"].as_u64()), (200, Some(3)), "{v}");
    assert_eq!(b.get("/web/api/orders/open").await.1["orders"].as_array().unwrap().len(), 0);
    kit.ex.stop().await;
}

/// Signs in one staff member of each role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_role_matrix() {
    use Role::*;
    let kit = start(relaxed()).await;
    let (_, account) = signed_up(&kit, "target@example.com").await;
    let user = account["user_id"].as_u64().unwrap();
    let mut staff = staff_browsers(&kit).await;
    // (method, path, body, roles allowed). Mutations are chosen to succeed and be repeatable.
    let routes: Vec<(Method, String, Option<Value>, Vec<Role>)> = vec![
        (Method::GET, "/web/api/console/me".into(), None, vec![Operator, Support, Kyc, Compliance, Finance, Admin]),
        (Method::GET, "/web/api/console/dashboard".into(), None, vec![Operator, Admin]),
        (Method::GET, "/web/api/console/markets".into(), None, vec![Operator, Admin]),
        (Method::POST, "/web/api/console/markets/ETH_THB/mode".into(), Some(json!({"mode": "open", "reason": "matrix"})), vec![Operator, Admin]),
        (
            Method::POST,
            "/web/api/console/markets/ETH_THB/fees".into(),
            Some(json!({"maker_fee_ppm": 2500, "taker_fee_ppm": 2500, "reason": "matrix"})),
            vec![Admin],
        ),
        (Method::POST, "/web/api/console/markets/ETH_THB/band".into(), Some(json!({"band_bps": 2000, "reason": "matrix"})), vec![Admin]),
        (Method::POST, "/web/api/console/maintenance".into(), Some(json!({"on": false, "reason": "matrix"})), vec![Operator, Admin]),
        (Method::GET, "/web/api/console/users?q=target".into(), None, vec![Support, Compliance, Admin]),
        (Method::GET, format!("/web/api/console/users/{user}"), None, vec![Support, Compliance, Admin]),
        (Method::GET, "/web/api/console/audit".into(), None, vec![Compliance, Admin]),
        (Method::GET, "/web/api/console/staff".into(), None, vec![Admin]),
    ];
    for (method, path, body, allowed) in &routes {
        for (role, b) in staff.iter_mut() {
            let (s, v) = b.call(method.clone(), path, body.clone()).await;
            if allowed.contains(role) {
                assert_eq!(s, 200, "{role:?} {method} {path}: {v}");
            } else {
                assert_eq!((s.as_u16(), v["error"].as_str()), (403, Some("forbidden")), "{role:?} {method} {path}: {v}");
            }
        }
    }
    // Lock (then unlock, so that each allowed role's call succeeds).
    for (role, b) in staff.iter_mut() {
        let path = format!("/web/api/console/users/{user}/lock");
        let (s, v) = b.post(&path, json!({"locked": true, "reason": "matrix"})).await;
        if [Compliance, Admin].contains(role) {
            assert_eq!(s, 200, "{role:?}: {v}");
            assert_eq!(b.post(&path, json!({"locked": false, "reason": "matrix"})).await.0, 200);
        } else {
            assert_eq!(s, 403, "{role:?}: {v}");
        }
    }
    // 2FA reset: only an admin gets past the role check (to a refusal of its own: the operator's
    // 2FA is off).
    let operator_id = kit.web.store.staff_by_email("operator@staff.test").await.unwrap().unwrap().id;
    for (role, b) in staff.iter_mut() {
        let (s, v) = b.post(&format!("/web/api/console/staff/{operator_id}/2fa/reset"), json!({"reason": "matrix"})).await;
        if *role == Admin {
            assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")), "{role:?}: {v}");
        } else {
            assert_eq!((s.as_u16(), v["error"].as_str()), (403, Some("forbidden")), "{role:?}: {v}");
        }
    }
    let pages: Vec<Value> = {
        let mut out = Vec::new();
        for (_, b) in staff.iter_mut() {
            out.push(b.get("/web/api/console/me").await.1["pages"].clone());
        }
        out
    };
    assert_eq!(
        pages,
        vec![
            json!(["dashboard", "markets", "incidents", "breaker", "status-page", "resume", "compensation", "security"]),
            json!(["users", "support", "incidents", "staffing", "reports", "mail", "admission", "status-page", "security"]),
            json!(["kyc", "screening", "admission", "security"]),
            json!([
                "users",
                "support",
                "staffing",
                "reports",
                "kyc",
                "screening",
                "admission",
                "funds",
                "custody",
                "alerts",
                "cases",
                "tape-audit",
                "breaker",
                "compensation",
                "por",
                "audit",
                "security"
            ]),
            json!(["funds", "custody", "compensation", "por", "security"]),
            json!([
                "dashboard",
                "markets",
                "users",
                "support",
                "incidents",
                "staffing",
                "reports",
                "mail",
                "kyc",
                "screening",
                "admission",
                "funds",
                "custody",
                "alerts",
                "cases",
                "tape-audit",
                "breaker",
                "status-page",
                "resume",
                "compensation",
                "por",
                "audit",
                "staff",
                "security"
            ])
        ]
    );
    // A customer session is not a staff session.
    let (mut customer, _) = signed_up(&kit, "not-staff@example.com").await;
    assert_eq!(customer.get("/web/api/console/me").await.0, 401);
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halt_lock_and_audit() {
    let kit = start(relaxed()).await;
    let (mut cust, account) = signed_up(&kit, "halted@example.com").await;
    let user = account["user_id"].as_u64().unwrap();
    let mut staff = staff_browsers(&kit).await;
    let order = json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3000000", "amount": "0.001"});
    let (_, placed) = cust.post("/web/api/orders", order.clone()).await;
    let resting = placed["order"]["id"].as_str().unwrap().to_string();

    // Lock: no new orders; cancel still works; unlock restores.
    let compliance = &mut staff[3].1;
    let (s, v) = compliance.post(&format!("/web/api/console/users/{user}/lock"), json!({"locked": true, "reason": "fraud check"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["account"]["locked"], true);
    let (s, v) = cust.post("/web/api/orders", order.clone()).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["bitkub_code"].as_u64()), (403, Some("forbidden"), Some(56)), "locked: told it is suspended: {v}");
    assert!(v["message"].as_str().unwrap().contains("suspended"), "{v}");
    let (s, v) = cust.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3000000", "amount": "0.002"})).await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = compliance.post(&format!("/web/api/console/users/{user}/lock"), json!({"locked": false, "reason": "cleared"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(cust.post("/web/api/orders", order.clone()).await.0, 200);

    // An operator halts BTC_THB: status shows it, the engine refuses new orders, cancel... is
    // refused in a halt too (the engine freezes the book), and works again once reopened.
    let operator = &mut staff[0].1;
    let (s, v) = operator.post("/web/api/console/markets/BTC_THB/mode", json!({"mode": "halted", "reason": "incident"})).await;
    assert_eq!(s, 200, "{v}");
    let (_, status) = cust.get("/web/api/status").await;
    let btc = status["markets"].as_array().unwrap().iter().find(|m| m["symbol"] == "BTC_THB").unwrap().clone();
    assert_eq!(btc["mode"], "halted");
    // The order form shows the market's own fee.
    assert!(btc["taker_fee_ppm"].as_u64().is_some() && btc["maker_fee_ppm"].as_u64().is_some(), "{btc}");
    let (s, v) = cust.post("/web/api/orders", order.clone()).await;
    assert_eq!((s.as_u16(), v["bitkub_code"].as_u64()), (422, Some(55)), "{v}");
    let (s, v) = operator.post("/web/api/console/markets/BTC_THB/mode", json!({"mode": "cancel_only", "reason": "unwinding"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = cust.post("/web/api/orders", order.clone()).await;
    assert_eq!((s.as_u16(), v["bitkub_code"].as_u64()), (422, Some(55)), "{v}");
    let (s, v) = cust.delete(&format!("/web/api/orders/{resting}")).await;
    assert_eq!(s, 200, "cancel works in cancel-only: {v}");
    // A refused action is audited too: a bad mode.
    let (s, _) = operator.post("/web/api/console/markets/BTC_THB/mode", json!({"mode": "sideways", "reason": "typo"})).await;
    assert_eq!(s, 400);

    let admin = &mut staff.iter_mut().find(|(r, _)| *r == Role::Admin).unwrap().1;
    let (_, audit) = admin.get("/web/api/console/audit").await;
    let entries = audit["entries"].as_array().unwrap();
    let actions: Vec<(String, String)> = entries
        .iter()
        .rev()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["outcome"].as_str().unwrap().split(':').next().unwrap().to_string()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("user.lock".to_string(), "ok".to_string()),
            ("user.lock".into(), "ok".into()),
            ("market.mode".into(), "ok".into()),
            ("market.mode".into(), "ok".into()),
            ("market.mode".into(), "invalid".into()),
        ]
    );
    assert!(entries.iter().all(|e| e["detail"].as_str().unwrap().contains("reason")));
    assert_eq!(entries.last().unwrap()["staff_email"], "compliance@staff.test");

    // The database refuses to rewrite history.
    let store = &kit.web.store;
    assert!(store.execute_raw("UPDATE staff_audit SET outcome = 'ok'").await.is_err());
    assert!(store.execute_raw("DELETE FROM staff_audit").await.is_err());
    assert_eq!(store.audit_entries(None, 100).await.unwrap().len(), 5);
    kit.ex.stop().await;
}

// ---------------------------------------------------------------------------------------------
// History pages (orders, trades, funds) from the query store.

/// Runs one command as the exchange's operator would (funding, withdrawals); must be accepted.
async fn operator(kit: &Kit, command: talat_core::Command) {
    let outcome = kit.web.gateway.submit(command.clone()).await.unwrap();
    assert!(!outcome.events.iter().any(|e| matches!(e, talat_core::Event::Rejected { .. })), "{command:?}: {:?}", outcome.events);
}

fn user_of(account: &Value) -> talat_core::UserId {
    talat_core::UserId(account["user_id"].as_u64().unwrap() as u32)
}

async fn placed(b: &mut Browser, symbol: &str, side: &str, price: &str, amount: &str) -> Value {
    let (s, v) = b.post("/web/api/orders", json!({"symbol": symbol, "side": side, "type": "limit", "price": price, "amount": amount})).await;
    assert_eq!(s, 200, "{v}");
    v["order"].clone()
}

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key].as_array().unwrap_or_else(|| panic!("no {key} in {v}"))
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|o| o["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_and_trade_history_after_placing_cancelling_and_filling() {
    let kit = start(relaxed()).await;
    let (mut alice, _) = signed_up(&kit, "alice@example.com").await;
    let (mut bob, bob_account) = signed_up(&kit, "bob@example.com").await;
    let eth = kit.web.gateway.read.asset_id("ETH").unwrap();
    let ext = talat_core::ExternalId("eth-for-bob".into());
    operator(&kit, talat_core::Command::Deposit { user: user_of(&bob_account), asset: eth, amount: talat_core::Amount(1_000_000_000), external_id: ext }).await;

    // Nothing yet.
    let (s, v) = alice.get("/web/api/orders/history").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((list(&v, "orders").len(), v["page"].as_u64(), v["last_page"].as_u64()), (0, Some(1), Some(1)));
    assert_eq!(list(&alice.get("/web/api/trades/history").await.1, "trades").len(), 0);

    // Each read comes straight after the write it must show: the store is waited on.
    let cancelled = placed(&mut alice, "BTC_THB", "buy", "3000000", "0.001").await;
    let cancelled_id = cancelled["id"].as_str().unwrap().to_string();
    assert_eq!(alice.delete(&format!("/web/api/orders/{cancelled_id}")).await.0, 200);
    let (_, v) = alice.get("/web/api/orders/history").await;
    assert_eq!(list(&v, "orders")[0]["status"], "canceled", "{v}");

    let bob_btc = placed(&mut bob, "BTC_THB", "sell", "3500000", "0.01").await;
    let btc_buy = placed(&mut alice, "BTC_THB", "buy", "3500000", "0.004").await;
    assert_eq!(btc_buy["status"], "filled", "{btc_buy}");
    let bob_eth = placed(&mut bob, "ETH_THB", "sell", "120000", "0.5").await;
    let eth_buy = placed(&mut alice, "ETH_THB", "buy", "120000", "0.5").await;
    assert_eq!(eth_buy["status"], "filled", "{eth_buy}");
    let open = placed(&mut alice, "BTC_THB", "buy", "3000000", "0.002").await;
    let want: Vec<String> = [&open, &eth_buy, &btc_buy, &cancelled].iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();

    // Order history: every market, newest first, in the shape of `order`.
    let (s, v) = alice.get("/web/api/orders/history").await;
    assert_eq!(s, 200, "{v}");
    let orders = list(&v, "orders");
    assert_eq!(ids(orders), want);
    assert_eq!(orders.iter().map(|o| o["status"].as_str().unwrap()).collect::<Vec<_>>(), ["open", "filled", "filled", "canceled"]);
    assert_eq!((v["page"].as_u64(), v["last_page"].as_u64(), v["total"].as_u64()), (Some(1), Some(1), Some(4)));
    let eth_row = &orders[1];
    assert_eq!(
        (
            eth_row["symbol"].as_str(),
            eth_row["side"].as_str(),
            eth_row["type"].as_str(),
            eth_row["price"].as_str(),
            eth_row["amount"].as_str(),
            eth_row["filled"].as_str()
        ),
        (Some("ETH_THB"), Some("buy"), Some("limit"), Some("120000"), Some("0.5"), Some("0.5")),
        "{eth_row}"
    );
    assert!(eth_row["ts_ms"].as_u64().unwrap() > 0 && eth_row["stop_price"].is_null());
    assert_eq!(orders[0]["filled"], "0");

    // Pages.
    let (_, p1) = alice.get("/web/api/orders/history?limit=3").await;
    let (_, p2) = alice.get("/web/api/orders/history?limit=3&page=2").await;
    let (_, p3) = alice.get("/web/api/orders/history?page=3&limit=3").await;
    assert_eq!((p1["page"].as_u64(), p1["last_page"].as_u64(), p2["page"].as_u64(), p2["last_page"].as_u64()), (Some(1), Some(2), Some(2), Some(2)));
    assert_eq!([ids(list(&p1, "orders")), ids(list(&p2, "orders"))].concat(), want);
    assert!(list(&p3, "orders").is_empty(), "past the last page: {p3}");
    assert_eq!(p3["last_page"], 2);

    // Symbol filter.
    let (_, btc) = alice.get("/web/api/orders/history?symbol=BTC_THB").await;
    assert_eq!(ids(list(&btc, "orders")), [&want[0], &want[2], &want[3]].map(String::clone));
    let (_, eth_only) = alice.get("/web/api/orders/history?symbol=ETH_THB&page=1&limit=200").await;
    assert_eq!(ids(list(&eth_only, "orders")), [want[1].clone()]);
    let (_, empty_symbol) = alice.get("/web/api/orders/history?symbol=").await;
    assert_eq!(ids(list(&empty_symbol, "orders")), want, "an empty symbol is every market");
    // Bob's history is his own: two resting sells, partly and wholly filled.
    let (_, theirs) = bob.get("/web/api/orders/history").await;
    assert_eq!(ids(list(&theirs, "orders")), [&bob_eth, &bob_btc].map(|o| o["id"].as_str().unwrap().to_string()));
    assert_eq!(list(&theirs, "orders").iter().map(|o| o["status"].as_str().unwrap()).collect::<Vec<_>>(), ["filled", "partial_filled"]);

    // Trade history: alice took both trades (buys, fee in what she received).
    let (s, v) = alice.get("/web/api/trades/history").await;
    assert_eq!(s, 200, "{v}");
    let trades = list(&v, "trades");
    assert_eq!(trades.len(), 2, "{v}");
    let t = &trades[0];
    assert_eq!(
        (
            t["symbol"].as_str(),
            t["side"].as_str(),
            t["price"].as_str(),
            t["amount"].as_str(),
            t["quote"].as_str(),
            t["order_id"].as_str(),
            t["fee_asset"].as_str(),
            t["is_maker"].as_bool()
        ),
        (Some("ETH_THB"), Some("buy"), Some("120000"), Some("0.5"), Some("60000"), eth_buy["id"].as_str(), Some("ETH"), Some(false)),
        "{t}"
    );
    assert!(t["ts_ms"].as_u64().unwrap() > 0 && t["fee"].as_str().unwrap().parse::<f64>().is_ok());
    assert_eq!(
        (trades[1]["symbol"].as_str(), trades[1]["amount"].as_str(), trades[1]["order_id"].as_str()),
        (Some("BTC_THB"), Some("0.004"), btc_buy["id"].as_str())
    );
    let (_, btc_trades) = alice.get("/web/api/trades/history?symbol=BTC_THB").await;
    assert_eq!(list(&btc_trades, "trades").len(), 1);
    assert_eq!(list(&btc_trades, "trades")[0]["price"], "3500000");
    let (_, newest) = alice.get("/web/api/trades/history?limit=1").await;
    assert_eq!(list(&newest, "trades").len(), 1);
    assert_eq!(list(&newest, "trades")[0]["symbol"], "ETH_THB");
    // Bob made both: sells, maker, fee in THB.
    let (_, v) = bob.get("/web/api/trades/history").await;
    let theirs = list(&v, "trades");
    assert!(theirs.len() == 2 && theirs.iter().all(|t| t["side"] == "sell" && t["is_maker"] == true && t["fee_asset"] == "THB"), "{v}");
    assert_eq!(theirs[1]["order_id"], bob_btc["id"]);

    // Bad parameters: 400 `invalid`, naming the field.
    let bad = [
        ("/web/api/orders/history?symbol=NOPE_THB", "symbol"),
        ("/web/api/orders/history?page=0", "page"),
        ("/web/api/orders/history?page=abc", "page"),
        ("/web/api/orders/history?page=-1", "page"),
        ("/web/api/orders/history?page=100001", "page"),
        ("/web/api/orders/history?limit=0", "limit"),
        ("/web/api/orders/history?limit=201", "limit"),
        ("/web/api/orders/history?limit=1.5", "limit"),
        ("/web/api/trades/history?symbol=btc-thb", "symbol"),
        ("/web/api/trades/history?limit=0", "limit"),
        ("/web/api/trades/history?limit=1000", "limit"),
        ("/web/api/trades/history?limit=x", "limit"),
        ("/web/api/funds/history?limit=201", "limit"),
    ];
    for (path, field) in bad {
        let (s, v) = alice.get(path).await;
        assert_eq!((s.as_u16(), v["error"].as_str(), v["field"].as_str()), (400, Some("invalid"), Some(field)), "{path} → {v}");
    }
    // Signed out: 401.
    let mut nobody = Browser::new(&kit);
    for path in ["/web/api/orders/history", "/web/api/trades/history", "/web/api/funds/history"] {
        let (s, v) = nobody.get(path).await;
        assert_eq!((s.as_u16(), v["error"].as_str()), (401, Some("unauthenticated")), "{path} → {v}");
    }
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_history_pages_through_many_orders() {
    let kit = start(relaxed()).await;
    let (mut b, _) = signed_up(&kit, "pages@example.com").await;
    let mut placed_ids = Vec::new();
    for i in 0..7 {
        let o = placed(&mut b, "BTC_THB", "buy", &format!("{}", 3_000_000 + i), "0.001").await;
        placed_ids.push(o["id"].as_str().unwrap().to_string());
    }
    let (s, v) = b.post("/web/api/orders/cancel-all", json!({})).await;
    assert_eq!((s.as_u16(), v["cancelled"].as_u64()), (200, Some(7)));
    placed_ids.reverse();
    let mut seen = Vec::new();
    for page in 1..=4 {
        let (s, v) = b.get(&format!("/web/api/orders/history?page={page}&limit=2")).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!((v["page"].as_u64(), v["last_page"].as_u64(), v["total"].as_u64()), (Some(page), Some(4), Some(7)));
        let orders = list(&v, "orders");
        assert!(orders.iter().all(|o| o["status"] == "canceled"), "{v}");
        seen.extend(ids(orders));
    }
    assert_eq!(seen, placed_ids, "every order once, newest first");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funds_history_lists_demo_deposits_and_withdrawals() {
    let kit = start(relaxed()).await;
    let (mut alice, account) = signed_up(&kit, "funds@example.com").await;
    let (mut other, _) = signed_up(&kit, "other@example.com").await;

    // The demo signup's deposits.
    let (s, v) = alice.get("/web/api/funds/history").await;
    assert_eq!(s, 200, "{v}");
    let items = list(&v, "items");
    assert_eq!(items.len(), 2, "{v}");
    let mut deposits: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|i| (i["kind"].as_str().unwrap(), i["asset"].as_str().unwrap(), i["amount"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    deposits.sort();
    assert_eq!(deposits, [("deposit", "BTC", "1", "credited"), ("deposit", "THB", "1000000", "credited")]);
    assert!(items.iter().all(|i| i["ts_ms"].as_u64().unwrap() > 0));
    assert_eq!(items[0]["asset"], "BTC", "newest first: BTC was credited after THB");

    // A withdrawal, held then settled; another held then released.
    let thb = kit.web.gateway.read.asset_id("THB").unwrap();
    let user = user_of(&account);
    let hold = |id: &str, amount: u64| talat_core::Command::WithdrawalHold {
        user,
        asset: thb,
        amount: talat_core::Amount(amount),
        fee: talat_core::Amount(1_000),
        withdrawal_id: talat_core::ExternalId(id.into()),
    };
    operator(&kit, hold("w-1", 2_500_050)).await;
    let (_, v) = alice.get("/web/api/funds/history").await;
    let w = &list(&v, "items")[0];
    assert_eq!(
        (w["kind"].as_str(), w["asset"].as_str(), w["amount"].as_str(), w["fee"].as_str(), w["status"].as_str(), w["id"].as_str()),
        (Some("withdrawal"), Some("THB"), Some("25000.5"), Some("10"), Some("pending"), Some("w-1")),
        "{v}"
    );
    operator(&kit, talat_core::Command::WithdrawalSettle { withdrawal_id: talat_core::ExternalId("w-1".into()) }).await;
    operator(&kit, hold("w-2", 100)).await;
    operator(&kit, talat_core::Command::WithdrawalRelease { withdrawal_id: talat_core::ExternalId("w-2".into()) }).await;
    let (_, v) = alice.get("/web/api/funds/history").await;
    let items = list(&v, "items");
    assert_eq!(items.len(), 4, "{v}");
    let head: Vec<(&str, &str)> = items[..2].iter().map(|i| (i["id"].as_str().unwrap(), i["status"].as_str().unwrap())).collect();
    assert_eq!(head, [("w-2", "released"), ("w-1", "settled")]);
    assert!(items[2..].iter().all(|i| i["kind"] == "deposit"));
    let (_, v) = alice.get("/web/api/funds/history?limit=1").await;
    assert_eq!(ids(list(&v, "items")), ["w-2"]);
    // Another customer sees only their own.
    let (_, v) = other.get("/web/api/funds/history").await;
    assert!(list(&v, "items").iter().all(|i| i["kind"] == "deposit"), "{v}");
    assert_eq!(list(&v, "items").len(), 2);
    let (s, v) = alice.get("/web/api/funds/history?limit=0").await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("limit")));
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_are_swept() {
    let kit = start(relaxed()).await;
    let (mut b, account) = signed_up(&kit, "sweep@example.com").await;
    let now = kit.web.gateway.now_ms();
    let owner = account["id"].as_u64().unwrap();
    let stale = |n: u64, created_ms: u64, last_seen_ms: u64| talat_store::SessionRow {
        token_sha256: format!("{n:064x}"),
        kind: "customer".into(),
        owner_id: owner,
        csrf: "x".into(),
        created_ms,
        last_seen_ms,
    };
    let expired = |n: u64| if n.is_multiple_of(2) { stale(n, now - 60 * 60 * 1000, now - 31 * 60 * 1000) } else { stale(n, now - 13 * 60 * 60 * 1000, now) };
    for n in 1..=6 {
        kit.web.store.insert_session(&expired(n)).await.unwrap();
    }
    // Idle for 29 minutes: still live, kept.
    kit.web.store.insert_session(&stale(7, now - 60 * 60 * 1000, now - 29 * 60 * 1000)).await.unwrap();
    assert_eq!(kit.web.sweep_sessions().await.unwrap(), 6);
    assert_eq!(kit.web.sweep_sessions().await.unwrap(), 0);
    assert!(kit.web.store.session(&format!("{:064x}", 7)).await.unwrap().is_some());
    assert_eq!(b.get("/web/api/me").await.0, 200, "the browser's session is live");

    // The periodic task does the same on its own.
    for n in 11..=13 {
        kit.web.store.insert_session(&expired(n)).await.unwrap();
    }
    let task = talat_web::spawn_session_sweeper(&kit.web, std::time::Duration::from_millis(20));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mut left = 0;
        for n in 11..=13 {
            left += kit.web.store.session(&format!("{n:064x}")).await.unwrap().is_some() as usize;
        }
        if left == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the sweeper did not run");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    task.abort();
    assert_eq!(b.get("/web/api/me").await.0, 200);
    kit.ex.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Separate staff and customer sessions; staff two-factor authentication.

/// The token a `Set-Cookie` answer sets for `name`.
fn cookie_set(resp: &reqwest::Response, name: &str) -> (String, String) {
    let header = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie set"));
    let token = header[name.len() + 1..].split(';').next().unwrap().to_string();
    (header, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_and_customer_sessions_use_separate_cookies() {
    let kit = start(relaxed()).await;
    kit.web.create_staff("ops@staff.test", "staff password 1", Role::Operator).await.unwrap();
    let raw = Client::new();
    let base = kit.ex.url.clone();
    // The cookies' names and attributes.
    let resp = raw.post(format!("{base}/web/api/signup")).json(&json!({"email": "both@example.com", "password": "a good password"})).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let (header, customer_token) = cookie_set(&resp, "talat_session");
    assert!(header.contains("HttpOnly") && header.contains("SameSite=Strict") && header.contains("Path=/;"), "{header}");
    let resp =
        raw.post(format!("{base}/web/api/console/login")).json(&json!({"email": "ops@staff.test", "password": "staff password 1"})).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let (header, staff_token) = cookie_set(&resp, "talat_staff");
    assert!(header.contains("HttpOnly") && header.contains("SameSite=Strict") && header.contains("Path=/web/api/console;"), "{header}");
    assert!(
        !resp.headers().get_all("set-cookie").iter().any(|v| v.to_str().unwrap().starts_with("talat_session=")),
        "staff login leaves the customer cookie alone"
    );

    // Each cookie authenticates its own routes only, whatever name it is sent under.
    let status = |path: &str, cookie: String| {
        let req = raw.get(format!("{base}{path}")).header("cookie", cookie);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("/web/api/me", format!("talat_session={customer_token}")).await, 200);
    assert_eq!(status("/web/api/console/me", format!("talat_staff={staff_token}")).await, 200);
    assert_eq!(status("/web/api/console/me", format!("talat_session={customer_token}")).await, 401, "a customer cookie is no staff session");
    assert_eq!(status("/web/api/console/me", format!("talat_staff={customer_token}")).await, 401, "nor is a customer token under the staff name");
    assert_eq!(status("/web/api/console/dashboard", format!("talat_session={customer_token}")).await, 401);
    assert_eq!(status("/web/api/me", format!("talat_staff={staff_token}")).await, 401, "a staff cookie is no customer session");
    assert_eq!(status("/web/api/me", format!("talat_session={staff_token}")).await, 401, "nor is a staff token under the customer name");
    assert_eq!(status("/web/api/balances", format!("talat_session={staff_token}")).await, 401);
    // Both at once: each route picks its own.
    let both = format!("talat_session={customer_token}; talat_staff={staff_token}");
    assert_eq!(status("/web/api/me", both.clone()).await, 200);
    assert_eq!(status("/web/api/console/me", both).await, 200);

    // One browser holds both sessions; logging out of one keeps the other.
    let mut b = Browser::new(&kit);
    let (s, v) = b.post("/web/api/signup", json!({"email": "staffer@example.com", "password": "a good password"})).await;
    assert_eq!(s, 200, "{v}");
    let customer_csrf = b.csrf.clone();
    b.csrf = None;
    let (s, v) = b.post("/web/api/console/login", json!({"email": "ops@staff.test", "password": "staff password 1"})).await;
    assert_eq!(s, 200, "{v}");
    let staff_csrf = b.csrf.clone();
    assert_eq!(b.get("/web/api/me").await.1["account"]["email"], "staffer@example.com");
    assert_eq!(b.get("/web/api/console/me").await.1["staff"]["email"], "ops@staff.test");
    // The CSRF token of one session is no good for the other.
    b.csrf = staff_csrf.clone();
    assert_eq!(b.post("/web/api/logout", json!({})).await.1["error"], "csrf");
    b.csrf = customer_csrf.clone();
    assert_eq!(b.post("/web/api/console/logout", json!({})).await.1["error"], "csrf");
    assert_eq!(b.post("/web/api/logout", json!({})).await.0, 200);
    assert_eq!(b.get("/web/api/me").await.0, 401);
    assert_eq!(b.get("/web/api/console/me").await.0, 200, "the staff session survives the customer's logout");
    let (s, v) = b.post("/web/api/login", json!({"email": "staffer@example.com", "password": "a good password"})).await;
    assert_eq!(s, 200, "{v}");
    b.csrf = staff_csrf;
    let (s, v) = b.post("/web/api/console/logout", json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(b.get("/web/api/console/me").await.0, 401);
    assert_eq!(b.get("/web/api/me").await.0, 200, "the customer session survives the staff logout");
    kit.ex.stop().await;
}

/// A TOTP generator for a base32 secret as the setup route returns it.
fn totp_of(setup: &Value) -> totp_rs::TOTP {
    let secret = totp_rs::Secret::Encoded(setup["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret, None, "x".into()).unwrap()
}

/// A six-digit code that is not valid now (nor a step either side).
fn wrong_code(totp: &totp_rs::TOTP) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let valid = [totp.generate(now - 30), totp.generate(now), totp.generate(now + 30), totp.generate(now + 60)];
    (0..).map(|n: u32| format!("{:06}", n * 111_111 % 1_000_000)).find(|c| !valid.contains(c)).unwrap()
}

/// (action, outcome code) of every audit entry, oldest first.
async fn audit_actions(kit: &Kit) -> Vec<(String, String)> {
    let rows = kit.web.store.audit_entries(None, 100).await.unwrap();
    rows.iter().rev().map(|r| (r.action.clone(), r.outcome.split(':').next().unwrap().to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_two_factor_setup_enable_and_login() {
    let kit = start(relaxed()).await;
    kit.web.create_staff("admin2fa@staff.test", "staff password 1", Role::Admin).await.unwrap();
    let creds = json!({"email": "admin2fa@staff.test", "password": "staff password 1"});
    let mut b = Browser::new(&kit);
    let (s, v) = b.post("/web/api/console/login", creds.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["staff"]["totp_enabled"].as_bool(), v["two_factor_required"].as_bool()), (Some(false), Some(false)), "{v}");
    // Enable before setup: nothing to check the code against.
    let (s, v) = b.post("/web/api/console/2fa/enable", json!({"code": "123456"})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("code")), "{v}");
    let (s, setup) = b.post("/web/api/console/2fa/setup", json!({})).await;
    assert_eq!(s, 200, "{setup}");
    let url = setup["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/") && url.contains("admin2fa"), "{url}");
    let totp = totp_of(&setup);
    // Not active until enabled: the password alone still logs in.
    let mut other = Browser::new(&kit);
    assert_eq!(other.post("/web/api/console/login", creds.clone()).await.0, 200);
    let (s, v) = b.post("/web/api/console/2fa/enable", json!({"code": wrong_code(&totp)})).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["field"].as_str()), (400, Some("invalid"), Some("code")), "a wrong code does not enable: {v}");
    assert!(!kit.web.store.staff_by_email("admin2fa@staff.test").await.unwrap().unwrap().totp_enabled);
    // Three steps in play: the previous one enables, the current and the next one log in.
    let step = settled_step().await;
    let (s, v) = b.post("/web/api/console/2fa/enable", json!({"code": code_at(&totp, step - 1)})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["staff"]["totp_enabled"], true);
    assert_eq!(b.get("/web/api/console/me").await.1["staff"]["totp_enabled"], true);
    // Once on, setup cannot replace the secret.
    let (s, v) = b.post("/web/api/console/2fa/setup", json!({})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")), "{v}");
    let (s, v) = b.post("/web/api/console/2fa/enable", json!({"code": code_at(&totp, step)})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")), "{v}");

    // Login now needs the code: missing → totp_required, wrong → refused, used → refused,
    // right → in (once).
    let mut c = Browser::new(&kit);
    let (s, v) = c.post("/web/api/console/login", creds.clone()).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (401, Some("totp_required")), "{v}");
    let mut wrong = creds.clone();
    wrong["totp"] = json!(wrong_code(&totp));
    let (s, v) = c.post("/web/api/console/login", wrong).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (401, Some("unauthenticated")), "{v}");
    assert_eq!(c.get("/web/api/console/me").await.0, 401);
    let with_code = |step: u64| {
        let mut body = creds.clone();
        body["totp"] = json!(code_at(&totp, step));
        body
    };
    let (s, v) = c.post("/web/api/console/login", with_code(step - 1)).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["message"].as_str()), (401, Some("unauthenticated"), Some(REPLAYED)), "enabling used up its code: {v}");
    assert_eq!(c.get("/web/api/console/me").await.0, 401);
    let (s, v) = c.post("/web/api/console/login", with_code(step)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(c.get("/web/api/console/dashboard").await.0, 200);
    let mut d = Browser::new(&kit);
    let (s, v) = d.post("/web/api/console/login", with_code(step)).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["message"].as_str()), (401, Some("unauthenticated"), Some(REPLAYED)), "a code logs in once: {v}");
    assert_eq!(d.get("/web/api/console/me").await.0, 401);
    let (s, v) = d.post("/web/api/console/login", with_code(step + 1)).await;
    assert_eq!(s, 200, "the next step's code: {v}");
    assert_eq!(d.get("/web/api/console/dashboard").await.0, 200);

    // Every 2FA change is audited, refusals included; neither secret nor code is recorded.
    assert_eq!(
        audit_actions(&kit).await,
        [
            ("staff.2fa.enable", "invalid"),
            ("staff.2fa.setup", "ok"),
            ("staff.2fa.enable", "invalid"),
            ("staff.2fa.enable", "ok"),
            ("staff.2fa.setup", "conflict"),
            ("staff.2fa.enable", "conflict")
        ]
        .map(|(a, o)| (a.to_string(), o.to_string()))
        .to_vec()
    );
    let rows = kit.web.store.audit_entries(None, 100).await.unwrap();
    let secret = setup["secret"].as_str().unwrap();
    for r in &rows {
        assert_eq!(
            (r.staff_email.as_str(), r.role.as_str(), r.target.as_str()),
            ("admin2fa@staff.test", "admin", format!("staff:{}", v["staff"]["id"]).as_str())
        );
        assert!(!r.detail.contains(secret) && !r.outcome.contains(secret) && r.detail == "{}", "{r:?}");
    }
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_staff_2fa_restricts_the_session_until_enabled() {
    assert!(WebConfig::default().require_staff_2fa && !WebConfig::for_mode(true).require_staff_2fa && WebConfig::for_mode(false).require_staff_2fa);
    let kit = start(WebConfig { require_staff_2fa: true, ..relaxed() }).await;
    kit.web.create_staff("op@staff.test", "staff password 1", Role::Operator).await.unwrap();
    let creds = json!({"email": "op@staff.test", "password": "staff password 1"});
    let mut b = Browser::new(&kit);
    let (s, v) = b.post("/web/api/console/login", creds.clone()).await;
    assert_eq!(s, 200, "the password opens a restricted session: {v}");
    assert_eq!((v["pages"].clone(), v["two_factor_required"].as_bool()), (json!(["security"]), Some(true)), "{v}");
    let (s, me) = b.get("/web/api/console/me").await;
    assert_eq!((s.as_u16(), me["pages"].clone(), me["two_factor_required"].as_bool()), (200, json!(["security"]), Some(true)), "{me}");
    // Every other console route: 403 2fa_required, and nothing changes.
    let refused: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/web/api/console/dashboard", None),
        (Method::GET, "/web/api/console/markets", None),
        (Method::POST, "/web/api/console/markets/BTC_THB/mode", Some(json!({"mode": "halted", "reason": "x"}))),
        (Method::POST, "/web/api/console/markets/BTC_THB/fees", Some(json!({"maker_fee_ppm": 1, "taker_fee_ppm": 1, "reason": "x"}))),
        (Method::POST, "/web/api/console/markets/BTC_THB/band", Some(json!({"band_bps": 1, "reason": "x"}))),
        (Method::POST, "/web/api/console/maintenance", Some(json!({"on": true, "reason": "x"}))),
        (Method::GET, "/web/api/console/users?q=a", None),
        (Method::GET, "/web/api/console/users/1", None),
        (Method::POST, "/web/api/console/users/1/lock", Some(json!({"locked": true, "reason": "x"}))),
        (Method::GET, "/web/api/console/audit", None),
        (Method::GET, "/web/api/console/staff", None),
        (Method::POST, "/web/api/console/staff/1/2fa/reset", Some(json!({"reason": "x"}))),
    ];
    for (method, path, body) in &refused {
        let (s, v) = b.call(method.clone(), path, body.clone()).await;
        assert_eq!((s.as_u16(), v["error"].as_str()), (403, Some("2fa_required")), "{method} {path}: {v}");
    }
    assert!(!kit.web.gateway.read.maintenance());
    assert!(audit_actions(&kit).await.is_empty(), "a restricted session attempts nothing");

    // Set up and enable from the restricted session: a wrong code keeps it restricted.
    let (s, setup) = b.post("/web/api/console/2fa/setup", json!({})).await;
    assert_eq!(s, 200, "{setup}");
    let totp = totp_of(&setup);
    let (s, v) = b.post("/web/api/console/2fa/enable", json!({"code": wrong_code(&totp)})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("code")), "{v}");
    assert_eq!(b.get("/web/api/console/dashboard").await.1["error"], "2fa_required");
    let step = now_step();
    let (s, v) = b.post("/web/api/console/2fa/enable", json!({"code": code_at(&totp, step)})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["pages"], json!(["dashboard", "markets", "incidents", "breaker", "status-page", "resume", "compensation", "security"]));
    // The same session is now a full one.
    let (_, me) = b.get("/web/api/console/me").await;
    assert_eq!(
        (me["pages"].clone(), me["two_factor_required"].as_bool()),
        (json!(["dashboard", "markets", "incidents", "breaker", "status-page", "resume", "compensation", "security"]), Some(false)),
        "{me}"
    );
    assert_eq!(b.get("/web/api/console/dashboard").await.0, 200);

    // From now on the login needs the code, and gives a full session.
    let mut c = Browser::new(&kit);
    assert_eq!(c.post("/web/api/console/login", creds.clone()).await.1["error"], "totp_required");
    let mut wrong = creds.clone();
    wrong["totp"] = json!(wrong_code(&totp));
    assert_eq!(c.post("/web/api/console/login", wrong).await.0, 401);
    let mut used = creds.clone();
    used["totp"] = json!(code_at(&totp, step));
    assert_eq!(c.post("/web/api/console/login", used).await.0, 401, "the enabling code is used up");
    let mut right = creds.clone();
    right["totp"] = json!(code_at(&totp, step + 1));
    let (s, v) = c.post("/web/api/console/login", right).await;
    assert_eq!((s.as_u16(), v["two_factor_required"].as_bool()), (200, Some(false)), "{v}");
    assert_eq!(c.get("/web/api/console/markets").await.0, 200);
    assert_eq!(
        audit_actions(&kit).await,
        [("staff.2fa.setup", "ok"), ("staff.2fa.enable", "invalid"), ("staff.2fa.enable", "ok")].map(|(a, o)| (a.to_string(), o.to_string())).to_vec()
    );
    kit.ex.stop().await;
}

/// A staff member of `role` who has enrolled in 2FA (signed in, set up, enabled with the code of
/// `step`): a browser with a full session, the authenticator, and the staff id.
async fn enrolled(kit: &Kit, email: &str, role: Role, step: u64) -> (Browser, totp_rs::TOTP, u64) {
    kit.web.create_staff(email, "staff password 1", role).await.unwrap();
    let mut b = Browser::new(kit);
    let (s, v) = b.post("/web/api/console/login", json!({"email": email, "password": "staff password 1"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, setup) = b.post("/web/api/console/2fa/setup", json!({})).await;
    assert_eq!(s, 200, "{setup}");
    let totp = totp_of(&setup);
    let (s, v) = b.post("/web/api/console/2fa/enable", json!({"code": code_at(&totp, step)})).await;
    assert_eq!((s.as_u16(), v["staff"]["totp_enabled"].as_bool()), (200, Some(true)), "{v}");
    let id = v["staff"]["id"].as_u64().unwrap();
    (b, totp, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_resets_another_staff_members_2fa() {
    let kit = start(WebConfig { require_staff_2fa: true, ..relaxed() }).await;
    let step = settled_step().await;
    let (mut admin, _, admin_id) = enrolled(&kit, "admin@staff.test", Role::Admin, step).await;
    let (mut second_admin, _, _) = enrolled(&kit, "admin2@staff.test", Role::Admin, step).await;
    let (mut op, op_totp, op_id) = enrolled(&kit, "op@staff.test", Role::Operator, step).await;
    kit.web.create_staff("support@staff.test", "staff password 1", Role::Support).await.unwrap();
    let support_id = kit.web.store.staff_by_email("support@staff.test").await.unwrap().unwrap().id;
    // The operator is signed in twice (a code of the next step for the second login).
    let op_creds = json!({"email": "op@staff.test", "password": "staff password 1"});
    let mut op2 = Browser::new(&kit);
    let mut with_code = op_creds.clone();
    with_code["totp"] = json!(code_at(&op_totp, step + 1));
    let (s, v) = op2.post("/web/api/console/login", with_code).await;
    assert_eq!((s.as_u16(), v["two_factor_required"].as_bool()), (200, Some(false)), "{v}");

    // The staff list: admins only.
    let (s, v) = admin.get("/web/api/console/staff").await;
    assert_eq!(s, 200, "{v}");
    let listed: Vec<(String, String, bool)> = v["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["email"].as_str().unwrap().into(), r["role"].as_str().unwrap().into(), r["totp_enabled"].as_bool().unwrap()))
        .collect();
    let row = |e: &str, r: &str, t: bool| (e.to_string(), r.to_string(), t);
    assert_eq!(
        listed,
        vec![
            row("admin@staff.test", "admin", true),
            row("admin2@staff.test", "admin", true),
            row("op@staff.test", "operator", true),
            row("support@staff.test", "support", false)
        ]
    );
    assert_eq!(v["staff"][0]["id"].as_u64(), Some(admin_id));
    assert!(v["staff"][0].get("password_hash").is_none() && !v.to_string().contains("totp_sealed"), "no secret in the list: {v}");
    let (s, v) = op.get("/web/api/console/staff").await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (403, Some("forbidden")), "{v}");

    // Refusals, each changing nothing.
    let reset = |id: &str| format!("/web/api/console/staff/{id}/2fa/reset");
    let op_path = reset(&op_id.to_string());
    let (s, v) = op.post(&reset(&admin_id.to_string()), json!({"reason": "not mine to do"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (403, Some("forbidden")), "an operator may not: {v}");
    let csrf = admin.csrf.take();
    let (s, v) = admin.post(&op_path, json!({"reason": "no csrf"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (403, Some("csrf")), "{v}");
    admin.csrf = csrf;
    let long = "x".repeat(501);
    let cases: Vec<(String, Value, u16, &str, Option<&str>)> = vec![
        (reset("999"), json!({"reason": "lost phone"}), 404, "not_found", None),
        (reset("abc"), json!({"reason": "lost phone"}), 400, "invalid", Some("staff_id")),
        (reset("9223372036854775808"), json!({"reason": "lost phone"}), 400, "invalid", Some("staff_id")),
        (op_path.clone(), json!({}), 400, "invalid", Some("reason")),
        (op_path.clone(), json!({"reason": "   "}), 400, "invalid", Some("reason")),
        (op_path.clone(), json!({"reason": long}), 400, "invalid", Some("reason")),
        (op_path.clone(), json!({"reason": 5}), 400, "invalid", Some("reason")),
        (reset(&admin_id.to_string()), json!({"reason": "my own phone"}), 403, "forbidden", None),
        (reset(&support_id.to_string()), json!({"reason": "2FA is off"}), 409, "conflict", None),
    ];
    for (path, body, status, code, field) in &cases {
        let (s, v) = admin.post(path, body.clone()).await;
        assert_eq!((s.as_u16(), v["error"].as_str(), v["field"].as_str()), (*status, Some(*code), *field), "{path} {body}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    assert!(kit.web.store.staff(op_id).await.unwrap().unwrap().totp_enabled, "nothing changed");
    assert!(kit.web.store.staff(admin_id).await.unwrap().unwrap().totp_enabled);
    assert_eq!(op.get("/web/api/console/dashboard").await.0, 200);
    assert_eq!(op2.get("/web/api/console/dashboard").await.0, 200);

    // The reset: 2FA off, both of the operator's sessions ended; the admin's own stays.
    let (s, v) = admin.post(&op_path, json!({"reason": "  lost phone, ticket 42  "})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["staff"]["id"].as_u64(), v["staff"]["totp_enabled"].as_bool(), v["sessions_ended"].as_u64()), (Some(op_id), Some(false), Some(2)), "{v}");
    let row = kit.web.store.staff(op_id).await.unwrap().unwrap();
    assert!(!row.totp_enabled && row.totp.is_none(), "{row:?}");
    for b in [&mut op, &mut op2] {
        let (s, v) = b.get("/web/api/console/me").await;
        assert_eq!((s.as_u16(), v["error"].as_str()), (401, Some("unauthenticated")), "the old session is gone: {v}");
    }
    assert_eq!(admin.get("/web/api/console/me").await.0, 200);
    let (s, v) = admin.post(&op_path, json!({"reason": "again"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")), "now off: {v}");
    // The operator logs in with the password alone, to a restricted session, and enrols again.
    let mut fresh = Browser::new(&kit);
    let (s, v) = fresh.post("/web/api/console/login", op_creds.clone()).await;
    assert_eq!((s.as_u16(), v["pages"].clone(), v["two_factor_required"].as_bool()), (200, json!(["security"]), Some(true)), "{v}");
    assert_eq!(fresh.get("/web/api/console/dashboard").await.1["error"], "2fa_required");
    let (s, v) = fresh.post("/web/api/console/2fa/setup", json!({})).await;
    assert_eq!(s, 200, "enrolment starts afresh: {v}");

    // Four eyes: another admin resets the first admin's 2FA.
    let (s, v) = second_admin.post(&reset(&admin_id.to_string()), json!({"reason": "admin lost phone"})).await;
    assert_eq!((s.as_u16(), v["sessions_ended"].as_u64()), (200, Some(1)), "{v}");
    assert_eq!(admin.get("/web/api/console/me").await.0, 401);

    // Every attempt is audited (refusals by the role and by the checks included, not the CSRF
    // failure, refused before anything), with the target and the reason; no secret.
    let rows = kit.web.store.audit_entries(None, 100).await.unwrap();
    let resets: Vec<(String, String, String, String)> = rows
        .iter()
        .rev()
        .filter(|r| r.action == "staff.2fa.reset")
        .map(|r| (r.staff_email.clone(), r.target.clone(), r.outcome.split(':').next().unwrap().to_string(), r.detail.clone()))
        .collect();
    let entry = |who: &str, target: String, outcome: &str, detail: Value| {
        (who.to_string(), target, outcome.to_string(), if detail.is_null() { "{}".to_string() } else { detail.to_string() })
    };
    let (a, op_t, admin_t) = ("admin@staff.test", format!("staff:{op_id}"), format!("staff:{admin_id}"));
    assert_eq!(
        resets,
        vec![
            entry("op@staff.test", admin_t.clone(), "forbidden", json!({"reason": "not mine to do"})),
            entry(a, "staff:999".into(), "not_found", json!({"reason": "lost phone"})),
            entry(a, "staff:abc".into(), "invalid", json!({"reason": "lost phone"})),
            entry(a, "staff:9223372036854775808".into(), "invalid", json!({"reason": "lost phone"})),
            entry(a, op_t.clone(), "invalid", Value::Null),
            entry(a, op_t.clone(), "invalid", json!({"reason": "   "})),
            entry(a, op_t.clone(), "invalid", json!({"reason": long})),
            entry(a, op_t.clone(), "invalid", json!({"reason": 5})),
            entry(a, admin_t.clone(), "forbidden", json!({"reason": "my own phone"})),
            entry(a, format!("staff:{support_id}"), "conflict", json!({"reason": "2FA is off"})),
            entry(a, op_t.clone(), "ok", json!({"reason": "  lost phone, ticket 42  "})),
            entry(a, op_t.clone(), "conflict", json!({"reason": "again"})),
            entry("admin2@staff.test", admin_t.clone(), "ok", json!({"reason": "admin lost phone"})),
        ]
    );
    let op_reset = rows.iter().find(|r| r.action == "staff.2fa.reset" && r.outcome == "ok" && r.target == op_t).unwrap();
    assert_eq!(op_reset.role, "admin");
    for r in &rows {
        assert!(!r.detail.contains("totp") && !r.detail.contains("secret") && !r.outcome.contains("secret"), "{r:?}");
    }
    // The audit page shows them too.
    let (_, audit) = second_admin.get("/web/api/console/audit").await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "staff.2fa.reset" && e["detail"].as_str().unwrap().contains("lost phone, ticket 42")),
        "{audit}"
    );
    kit.ex.stop().await;
}

/// Sign-up resists abuse: past the per-address (and per-email) hourly limit it answers 429
/// before any cost and creates nothing; in demo mode only the first accounts get demo funds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signups_are_limited_and_demo_funds_capped() {
    let kit = start(WebConfig { signups_per_ip_per_hour: 3, signups_per_email_per_hour: 2, demo_funded_max: 2, ..relaxed() }).await;
    let mut funded = Vec::new();
    for i in 0..3 {
        let (_, account) = signed_up(&kit, &format!("s{i}@example.com")).await;
        let user = user_of(&account);
        funded.push(kit.web.gateway.read.balances(user).iter().any(|(_, b)| b.available > 0));
    }
    assert_eq!(funded, [true, true, false], "the third account signs up unfunded");
    let mut b = Browser::new(&kit);
    let (s, v) = b.post("/web/api/signup", json!({"email": "s9@example.com", "password": "a good password"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (429, Some("rate_limited")), "{v}");
    assert!(kit.web.store.web_account_by_email("s9@example.com").await.unwrap().is_none(), "nothing created");
    assert_eq!(kit.web.store.count_web_accounts().await.unwrap(), 3);
    kit.ex.stop().await;
}

/// The CSRF token is stored as its SHA-256 only (as the session token is): the database cannot
/// give it back, and the token still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_tokens_are_stored_hashed() {
    let kit = start(relaxed()).await;
    let (mut b, _) = signed_up(&kit, "hash@example.com").await;
    let csrf = b.csrf.clone().expect("signup returns the CSRF token");
    let rows_with = |value: String| {
        let store = kit.web.store.clone();
        async move { store.execute_raw(&format!("UPDATE web_sessions SET csrf = csrf WHERE csrf = '{value}'")).await.unwrap() }
    };
    assert_eq!(rows_with(csrf.clone()).await, 0, "not in the clear");
    assert_eq!(rows_with(talat_web::secrets::sha256_hex(&csrf)).await, 1, "its hash");
    assert_eq!(b.get("/web/api/me").await.1["csrf"].as_str(), Some(csrf.as_str()), "me still tells the browser its token");
    assert_eq!(b.post("/web/api/2fa/setup", json!({})).await.0, 200, "and it works");
    b.csrf = Some("0".repeat(64));
    assert_eq!(b.post("/web/api/2fa/setup", json!({})).await.0, 403);
    kit.ex.stop().await;
}

/// A body over the cap on a web route is refused in the web API's own shape (413 `too_large`),
/// not the Bitkub one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_web_body_gets_the_web_error_shape() {
    let kit = start(relaxed()).await;
    let mut b = Browser::new(&kit);
    let (s, v) = b.post("/web/api/login", json!({"email": "x@example.com", "password": "p".repeat(100_000)})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (413, Some("too_large")), "{v}");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_json_keys_are_refused_on_the_web_api() {
    let kit = start(relaxed()).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/web/api/signup", kit.ex.url))
        .header("content-type", "application/json")
        .body(r#"{"email":"a@example.com","password":"a good password","email":"b@example.com"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!((v["error"].as_str(), v["field"].as_str()), (Some("invalid"), Some("body")), "{v}");
    assert_eq!(kit.web.store.count_web_accounts().await.unwrap(), 0);
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_filters_pages_and_exports() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;
    let op = staff.iter().position(|(r, _)| *r == Role::Operator).unwrap();
    for mode in ["cancel_only", "open", "halted", "open"] {
        let (s, v) = staff[op].1.post("/web/api/console/markets/BTC_THB/mode", json!({"mode": mode, "reason": "audit test"})).await;
        assert_eq!(s, 200, "{v}");
    }
    let admin = &mut staff.iter_mut().find(|(r, _)| *r == Role::Admin).unwrap().1;
    let (s, v) = admin.post("/web/api/console/markets/BTC_THB/mode", json!({"mode": "sideways", "reason": "audit test"})).await;
    assert_eq!(s, 400, "{v}");

    let (_, all) = admin.get("/web/api/console/audit?action=market").await;
    let entries = all["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5, "the family `market` finds market.mode: {all}");
    assert!(entries[0]["outcome"].as_str().unwrap().starts_with("invalid"), "the refused one is audited too: {}", entries[0]);
    assert_eq!(entries[1]["detail_fields"]["mode"], "open", "details as fields");
    let (_, mine) = admin.get("/web/api/console/audit?action=market.mode&staff=operator@staff.test").await;
    assert_eq!(mine["entries"].as_array().unwrap().len(), 4);
    let today = talat_core::calendar::bangkok_iso_datetime(kit.ex.gateway.now_ms())[..10].to_string();
    let (_, dated) = admin.get(&format!("/web/api/console/audit?action=market&from={today}&to={today}")).await;
    assert_eq!(dated["entries"].as_array().unwrap().len(), 5);
    let (_, none) = admin.get("/web/api/console/audit?action=market&to=2000-01-01").await;
    assert_eq!(none["entries"].as_array().unwrap().len(), 0);

    // Paging: two at a time, then the rest.
    let (_, page1) = admin.get("/web/api/console/audit?action=market&limit=2").await;
    let next = page1["next_before_id"].as_u64().expect("a next page");
    let (_, page2) = admin.get(&format!("/web/api/console/audit?action=market&limit=2&before_id={next}")).await;
    assert_eq!(page2["entries"][0]["id"].as_u64().unwrap(), next - 1);

    for bad in ["from=2026-13-01", "to=yesterday", "from=2026-12-02&to=2026-12-01", "format=xml"] {
        let (s, v) = admin.get(&format!("/web/api/console/audit?{bad}")).await;
        assert_eq!(s, 400, "{bad}: {v}");
    }
    // CSV of the same filter.
    let resp = admin.http.get(format!("{}/web/api/console/audit?action=market&format=csv", admin.base)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = resp.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), ["id", "time_bangkok", "staff", "role", "action", "target", "detail", "outcome"]);
    assert_eq!(reader.records().count(), 5);
    // Support cannot read the audit log.
    let support = &mut staff.iter_mut().find(|(r, _)| *r == Role::Support).unwrap().1;
    assert_eq!(support.get("/web/api/console/audit").await.0, 403);
}

/// The place-order answer says what the order did at once: nothing (and why), filled at an
/// average price with the fee in the asset received, or partly filled with the rest resting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placing_an_order_says_what_it_did() {
    let kit = start(relaxed()).await;
    let (mut alice, _) = signed_up(&kit, "alice@example.com").await;
    let (mut bob, bob_account) = signed_up(&kit, "bob@example.com").await;
    let btc = kit.web.gateway.read.asset_id("BTC").unwrap();
    let ext = talat_core::ExternalId("btc-for-bob".into());
    operator(&kit, talat_core::Command::Deposit { user: user_of(&bob_account), asset: btc, amount: talat_core::Amount(100_000_000), external_id: ext }).await;

    // An empty book: a market buy fills nothing, and says the book had nothing to match.
    let (s, v) = alice.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "buy", "type": "market", "amount": "100"})).await;
    assert_eq!(s, 200, "{v}");
    let fill = &v["order"]["fill"];
    assert_eq!(
        (v["order"]["status"].as_str(), fill["trades"].as_u64(), fill["filled"].as_str(), fill["ended"].as_str()),
        (Some("canceled"), Some(0), Some("0"), Some("expired")),
        "{v}"
    );
    assert!(fill["average_price"].is_null(), "{v}");

    // Two levels taken: the average is weighted by quantity; the buyer's fee is in BTC.
    placed(&mut bob, "BTC_THB", "sell", "3500000", "0.01").await;
    placed(&mut bob, "BTC_THB", "sell", "3600000", "0.01").await;
    let taken = placed(&mut alice, "BTC_THB", "buy", "3600000", "0.015").await;
    let fill = &taken["fill"];
    assert_eq!(
        (taken["status"].as_str(), fill["trades"].as_u64(), fill["filled"].as_str(), fill["ended"].as_str()),
        (Some("filled"), Some(2), Some("0.015"), Some("filled")),
        "{taken}"
    );
    // (3,500,000 × 0.01 + 3,600,000 × 0.005) / 0.015 = 3,533,333.33…
    assert_eq!(
        (fill["average_price"].as_str(), fill["quote"].as_str(), fill["fee_asset"].as_str()),
        (Some("3533333.33"), Some("53000"), Some("BTC")),
        "{taken}"
    );
    assert_ne!(fill["fee"].as_str(), Some("0"), "{taken}");

    // Half of it fills, the rest rests in the book: no end yet.
    let partly = placed(&mut alice, "BTC_THB", "buy", "3600000", "0.01").await;
    let fill = &partly["fill"];
    assert_eq!((fill["filled"].as_str(), fill["average_price"].as_str(), fill["ended"].clone()), (Some("0.005"), Some("3600000"), Value::Null), "{partly}");
    assert_eq!(
        (partly["filled"].as_str(), partly["average_price"].as_str(), partly["base_asset"].as_str()),
        (Some("0.005"), Some("3600000"), Some("BTC")),
        "{partly}"
    );

    // History carries the average price of every order that filled (a market order has no
    // price of its own), and none for the one that filled nothing.
    let (_, history) = alice.get("/web/api/orders/history").await;
    let averages: Vec<Option<&str>> = list(&history, "orders").iter().map(|o| o["average_price"].as_str()).collect();
    assert_eq!(averages, [Some("3600000"), Some("3533333.33"), None], "{history}");

    // 50 THB buys 1,351 satoshi at 3,700,000 (49.99 THB); the 0.01 THB left cannot buy one more
    // (0.037 THB): filled, with the remainder said, not "the book ran out".
    placed(&mut bob, "BTC_THB", "sell", "3700000", "0.01").await;
    let (s, v) = alice.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "buy", "type": "market", "amount": "50"})).await;
    assert_eq!(s, 200, "{v}");
    let fill = &v["order"]["fill"];
    assert_eq!(
        (fill["filled"].as_str(), fill["quote"].as_str(), fill["ended"].as_str(), fill["unspent"].as_str()),
        (Some("0.00001351"), Some("49.99"), Some("filled"), Some("0.01")),
        "{v}"
    );
    kit.ex.stop().await;
}
