//! A staff session on a running exchange's console API, for the commands that act through it
//! (`talat resume`, `talat custody`): the login with its password and 2FA code, then calls with
//! the session's cookie and CSRF token. A refusal is the server's own message.

use serde_json::{json, Value};
use std::io::{BufRead, Write};

/// An exit code and what to print.
pub type Failure = (u8, String);

/// A console session: the cookie jar and the CSRF token.
pub struct Console {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

impl Console {
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, Failure> {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).header("X-CSRF-Token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| (1, format!("{}: {e}", self.base)))?;
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let message = v["message"].as_str().unwrap_or("refused").to_string();
            return Err((2, format!("{message} (HTTP {})", status.as_u16())));
        }
        Ok(v)
    }
}

/// Signs `staff` in to the console at `server` (password from `TALAT_STAFF_PASSWORD` or asked).
pub async fn login(server: &str, staff: &str, totp: Option<&str>) -> Result<Console, Failure> {
    let password = match std::env::var("TALAT_STAFF_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => ask(&format!("password for {staff}: "))?,
    };
    let http = reqwest::Client::builder().cookie_store(true).build().map_err(|e| (1, e.to_string()))?;
    let base = server.trim_end_matches('/').to_string();
    let mut body = json!({"email": staff, "password": password});
    if let Some(code) = totp {
        body["totp"] = json!(code);
    }
    let resp = http.post(format!("{base}/web/api/console/login")).json(&body).send().await.map_err(|e| (1, format!("{base}: {e}")))?;
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err((2, format!("login refused: {}", v["message"].as_str().unwrap_or("no reason given"))));
    }
    if v["two_factor_required"] == true {
        return Err((2, "this staff account must turn 2FA on in the console first".into()));
    }
    let csrf = v["csrf"].as_str().ok_or((1, "the login answer has no CSRF token".to_string()))?.to_string();
    Ok(Console { http, base, csrf })
}

pub fn ask(prompt: &str) -> Result<String, Failure> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| (1, e.to_string()))?;
    Ok(line.trim().to_string())
}

/// Runs a console command to its end on a small runtime: its text on stdout and exit 0, or
/// `<name>: <message>` on stderr and the failure's exit code.
pub fn run_command<F: std::future::Future<Output = Result<String, Failure>>>(name: &str, command: F) -> std::process::ExitCode {
    let fail = |code: u8, message: &str| {
        eprintln!("{name}: {message}");
        std::process::ExitCode::from(code)
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(1, &e.to_string()),
    };
    match runtime.block_on(command) {
        Ok(text) => {
            println!("{text}");
            std::process::ExitCode::SUCCESS
        }
        Err((code, message)) => fail(code, &message),
    }
}
