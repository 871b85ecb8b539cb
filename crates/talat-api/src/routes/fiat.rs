//! THB over the Bitkub API: the v4 fiat endpoints (§12.3) and the deprecated v3 ones (§11.1),
//! and talat's own signed deposit-intent endpoint and the banks' signed callback. The flows
//! are `talat_gateway::funds`'s, shared with the web app. An API key with withdraw permission
//! stands for the second factor, as at Bitkub: it can only pay to the customer's own verified
//! bank accounts, past their cooling-off.

use super::secure::Signed;
use super::{json_response, ok_v3};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use talat_funds::banks::{bank_name, mask};
use talat_funds::format_thb;
use talat_funds::lifecycle::{DepositStatus, WithdrawalStatus};
use talat_gateway::decimal::Dec;
use talat_gateway::error::ApiError;
use talat_gateway::funds::{Customer, ErrorKind, FundsError};
use talat_gateway::gateway::AppState;
use talat_gateway::limits::{Caller, Endpoint};
use talat_store::{BankAccountRow, FiatDepositRow, FiatWithdrawalRow};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v4/fiat/accounts", get(v4_accounts))
        .route("/api/v4/fiat/deposit/history", get(v4_deposits))
        .route("/api/v4/fiat/withdraw/history", get(v4_withdrawals))
        .route("/api/v4/fiat/withdraw", post(v4_withdraw))
        .route("/api/v3/fiat/accounts", post(v3_accounts))
        .route("/api/v3/fiat/deposit-history", post(v3_deposits))
        .route("/api/v3/fiat/withdraw-history", post(v3_withdrawals))
        .route("/api/v3/fiat/withdraw", post(v3_withdraw))
        .route("/api/talat/fiat/deposit-intents", post(create_intent))
        .route("/api/talat/fiat/callback/{bank}", post(callback))
}

/// A v4 error: `{"code","message","data":{}}` with its HTTP status.
pub struct V4Error(pub(crate) StatusCode, pub(crate) &'static str, pub(crate) String);

impl IntoResponse for V4Error {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({"code": self.1, "message": self.2, "data": {}}))).into_response()
    }
}

impl From<ApiError> for V4Error {
    fn from(e: ApiError) -> V4Error {
        let (status, code) = match e.code {
            2..=4 => (StatusCode::UNAUTHORIZED, "A1000-CW"),
            5 | 52 => (StatusCode::FORBIDDEN, "A1001-CW"),
            6 => (StatusCode::BAD_REQUEST, "V1003-CW"),
            7 | 8 => (StatusCode::UNAUTHORIZED, "V1004-CW"),
            30 => (StatusCode::TOO_MANY_REQUESTS, "S1000-CW"),
            1 | 10 | 12 => (StatusCode::BAD_REQUEST, "V1006-CW"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "S1000-CW"),
        };
        V4Error(status, code, e.message.into_owned())
    }
}

impl From<FundsError> for V4Error {
    fn from(e: FundsError) -> V4Error {
        let status = match e.kind {
            ErrorKind::Invalid | ErrorKind::Conflict | ErrorKind::Rejected => StatusCode::BAD_REQUEST,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Forbidden if e.v4_code.starts_with('A') => StatusCode::FORBIDDEN,
            ErrorKind::Forbidden => StatusCode::BAD_REQUEST,
            ErrorKind::Unavailable => StatusCode::INTERNAL_SERVER_ERROR,
        };
        V4Error(status, e.v4_code, e.message)
    }
}

/// A funds refusal in the v3 shape: `{"error":N,"message"}`.
fn v3_error(e: FundsError) -> ApiError {
    let mut error = ApiError::new(e.v3_code, e.message);
    if e.kind == ErrorKind::Unavailable {
        error.status = StatusCode::SERVICE_UNAVAILABLE;
    }
    error
}

fn v4_ok(data: Value) -> Response {
    json_response(&json!({"code": "0", "message": "success", "data": data}))
}

/// The customer behind a key. Keys made in the web app belong to a web account; a key made by
/// an operator for a bare engine user (the load-test users) has none, and so no bank accounts,
/// deposits or withdrawals: its lists are empty and it cannot withdraw.
async fn customer_of(state: &AppState, signed: &Signed) -> Result<Option<Customer>, FundsError> {
    let store = state.store.as_ref().ok_or_else(|| FundsError::unavailable("this server has no query store"))?;
    Ok(store.web_account_of_user(signed.key.user).await?.map(|a| Customer::of(&a)))
}

/// [`customer_of`] where a customer is required (moving money).
async fn require_customer(state: &AppState, signed: &Signed) -> Result<Customer, FundsError> {
    customer_of(state, signed).await?.ok_or_else(|| FundsError::no_bank_account("Invalid bank account: no bank account is registered for this user"))
}

/// `page` and `limit`, which v4 wants together (limit ≤ 100, default 25).
fn page_limit(signed: &Signed) -> Result<(u64, u64), ApiError> {
    let (page, limit) = (signed.params.opt_u64("page")?, signed.params.opt_u64("limit")?);
    match (page, limit) {
        (None, None) => Ok((1, 25)),
        (Some(p), Some(l)) if p >= 1 && (1..=100).contains(&l) => Ok((p, l)),
        (Some(_), Some(_)) => Err(ApiError::invalid_parameter("page starts at 1 and limit is 1 to 100")),
        _ => Err(ApiError::invalid_parameter("page and limit must be given together")),
    }
}

fn slice<T: Clone>(rows: &[T], page: u64, limit: u64) -> Vec<T> {
    rows.iter().skip(((page - 1) * limit) as usize).take(limit as usize).cloned().collect()
}

fn check(state: &AppState, signed: &Signed) -> Result<(), ApiError> {
    state.limit(Caller::User(signed.key.user.0), Endpoint::Fiat)
}

fn verified_accounts(rows: Vec<BankAccountRow>) -> Vec<BankAccountRow> {
    rows.into_iter().filter(|a| a.status == "verified").collect()
}

async fn v4_accounts(State(state): State<AppState>, signed: Result<Signed, ApiError>) -> Result<Response, V4Error> {
    let signed = signed?;
    check(&state, &signed)?;
    let (page, limit) = page_limit(&signed)?;
    let rows = match customer_of(&state, &signed).await? {
        Some(c) => verified_accounts(state.fiat()?.store.bank_accounts_of(c.account_id).await.map_err(FundsError::from)?),
        None => Vec::new(),
    };
    let data: Vec<Value> = slice(&rows, page, limit)
        .iter()
        .map(|a| json!({"id": mask(&a.account_no), "bank": bank_name(&a.bank_code), "name": a.holder_name, "time": a.created_ms / 1000}))
        .collect();
    Ok(json_response(&json!({"code": "0", "message": "success", "data": data, "pagination": {"page": page, "limit": limit}})))
}

async fn deposits_of(state: &AppState, signed: &Signed) -> Result<Vec<FiatDepositRow>, FundsError> {
    let Some(c) = customer_of(state, signed).await? else { return Ok(Vec::new()) };
    let rows = state.fiat()?.store.fiat_deposits_of(c.account_id, 200).await?;
    // A deposit is a deposit once money arrived; unpaid QRs are intents, not history.
    Ok(rows.into_iter().filter(|d| d.status != DepositStatus::AwaitingPayment.as_str() && d.status != DepositStatus::Expired.as_str()).collect())
}

fn deposit_status(d: &FiatDepositRow) -> &'static str {
    DepositStatus::parse(&d.status).map_or("pending", DepositStatus::bitkub_status)
}

fn withdrawal_status(w: &FiatWithdrawalRow) -> &'static str {
    WithdrawalStatus::parse(&w.status).map_or("pending", WithdrawalStatus::bitkub_status)
}

async fn v4_deposits(State(state): State<AppState>, signed: Result<Signed, ApiError>) -> Result<Response, V4Error> {
    let signed = signed?;
    check(&state, &signed)?;
    let rows = deposits_of(&state, &signed).await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|d| json!({"txn_id": d.id, "currency": "THB", "amount": format_thb(d.amount_satang), "status": deposit_status(d), "time": d.credited_ms.unwrap_or(d.created_ms) / 1000}))
        .collect();
    Ok(v4_ok(Value::Array(data)))
}

async fn withdrawals_of(state: &AppState, signed: &Signed) -> Result<Vec<FiatWithdrawalRow>, FundsError> {
    let Some(c) = customer_of(state, signed).await? else { return Ok(Vec::new()) };
    Ok(state.fiat()?.store.fiat_withdrawals_of(c.account_id, 200).await?)
}

async fn v4_withdrawals(State(state): State<AppState>, signed: Result<Signed, ApiError>) -> Result<Response, V4Error> {
    let signed = signed?;
    check(&state, &signed)?;
    let rows = withdrawals_of(&state, &signed).await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|w| json!({"txn_id": w.id, "currency": "THB", "amount": format_thb(w.amount_satang), "fee": format_thb(w.fee_satang), "status": withdrawal_status(w), "time": w.created_ms / 1000}))
        .collect();
    Ok(v4_ok(Value::Array(data)))
}

/// The customer's verified account whose number is `number` (full, or masked as the accounts
/// endpoint shows it: the last four digits decide, and must be unambiguous).
async fn account_by_number(state: &AppState, c: &Customer, number: &str) -> Result<BankAccountRow, FundsError> {
    let rows = state.fiat()?.store.bank_accounts_of(c.account_id).await?;
    let digits: String = number.chars().filter(|ch| ch.is_ascii_digit()).collect();
    let exact: Vec<_> = rows.iter().filter(|a| a.account_no == digits).collect();
    let matched: Vec<_> = if exact.is_empty() && number.starts_with('*') && digits.len() == 4 {
        rows.iter().filter(|a| a.account_no.ends_with(&digits)).collect()
    } else {
        exact
    };
    match matched.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(FundsError::no_bank_account("Invalid bank account: no registered account has this number")),
        _ => Err(FundsError::no_bank_account("Invalid bank account: give the full number; several of your accounts end in these digits")),
    }
}

fn require_withdraw(signed: &Signed) -> Result<(), ApiError> {
    if signed.key.perms.withdraw {
        Ok(())
    } else {
        Err(ApiError::permission_denied("withdraw"))
    }
}

/// An amount the API sends as a number or a string, in THB with at most two places, exactly.
fn amount_param(signed: &Signed, key: &str) -> Result<u64, FundsError> {
    match signed.params.decimal(key, 2, talat_core::money::MAX_AMOUNT) {
        None => Err(FundsError::invalid_amount(format!("{key} is required"))),
        Some(Ok(0)) => Err(FundsError::invalid_amount(format!("{key} must be positive"))),
        Some(Ok(units)) => Ok(units),
        Some(Err(e)) => Err(FundsError::invalid_amount(format!("{key} must be a THB amount with at most two decimals: {e}"))),
    }
}

async fn v4_withdraw(State(state): State<AppState>, signed: Result<Signed, ApiError>) -> Result<Response, V4Error> {
    let signed = signed?;
    check(&state, &signed)?;
    require_withdraw(&signed)?;
    let c = require_customer(&state, &signed).await?;
    let number = signed.params.opt_str("bank_account_no")?.ok_or_else(|| FundsError::invalid("bank_account_no", "bank_account_no is required"))?;
    let amount = amount_param(&signed, "amount")?;
    let account = account_by_number(&state, &c, &number).await?;
    let w = state.fiat()?.request_withdrawal(&c, account.id, amount, true, "api").await?;
    Ok(v4_ok(json!({
        "txn_id": w.id, "bank_account_no": mask(&account.account_no), "currency": "THB",
        "amount": format_thb(w.amount_satang), "fee": format_thb(w.fee_satang), "receive": format_thb(w.amount_satang - w.fee_satang), "time": w.created_ms / 1000,
    })))
}

/// One page of `rows` (`p` and `lmt` in the query, as every v3 list) in the v3 envelope with
/// its `pagination`.
fn v3_paged<T>(signed: &Signed, rows: &[T], item: impl Fn(&T) -> Value) -> Result<Response, ApiError> {
    let page = signed.params.opt_u64("p")?.unwrap_or(1).max(1);
    let limit = signed.params.opt_u64("lmt")?.unwrap_or(25).clamp(1, 200);
    let last = (rows.len() as u64).div_ceil(limit).max(1);
    let skip = usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
    let result: Vec<Value> = rows.iter().skip(skip).take(limit as usize).map(item).collect();
    Ok(json_response(&json!({"error": 0, "result": result, "pagination": {"page": page, "last": last}})))
}

async fn v3_accounts(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    check(&state, &signed)?;
    let rows = match customer_of(&state, &signed).await.map_err(v3_error)? {
        Some(c) => verified_accounts(state.fiat().map_err(v3_error)?.store.bank_accounts_of(c.account_id).await.map_err(|e| v3_error(e.into()))?),
        None => Vec::new(),
    };
    v3_paged(&signed, &rows, |a| json!({"id": a.id.to_string(), "bank": bank_name(&a.bank_code), "name": a.holder_name, "time": a.created_ms / 1000}))
}

async fn v3_deposits(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    check(&state, &signed)?;
    let style = state.config.decimals;
    let rows = deposits_of(&state, &signed).await.map_err(v3_error)?;
    v3_paged(
        &signed,
        &rows,
        |d| json!({"txn_id": d.id, "currency": "THB", "amount": Dec::styled(d.amount_satang, 2, style), "status": deposit_status(d), "time": d.credited_ms.unwrap_or(d.created_ms) / 1000}),
    )
}

async fn v3_withdrawals(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    check(&state, &signed)?;
    let style = state.config.decimals;
    let rows = withdrawals_of(&state, &signed).await.map_err(v3_error)?;
    v3_paged(
        &signed,
        &rows,
        |w| json!({"txn_id": w.id, "currency": "THB", "amount": Dec::str(w.amount_satang, 2), "fee": Dec::styled(w.fee_satang, 2, style), "status": withdrawal_status(w), "time": w.created_ms / 1000}),
    )
}

/// `id` is the bank account id `accounts` lists, `amt` the amount (the fee included).
async fn v3_withdraw(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    check(&state, &signed)?;
    require_withdraw(&signed)?;
    let c = require_customer(&state, &signed).await.map_err(v3_error)?;
    let id: u64 = signed.params.str("id")?.trim().parse().map_err(|_| ApiError::new(48, "Invalid bank account: id is the id the accounts endpoint lists"))?;
    let amount = amount_param(&signed, "amt").map_err(v3_error)?;
    let w = state.fiat().map_err(v3_error)?.request_withdrawal(&c, id, amount, true, "api").await.map_err(v3_error)?;
    let style = state.config.decimals;
    let account = state.fiat().map_err(v3_error)?.store.bank_account(id).await.map_err(|e| v3_error(e.into()))?;
    Ok(ok_v3(json!({
        "txn": w.id, "acc": account.map(|a| a.id.to_string()), "cur": "THB",
        "amt": Dec::styled(w.amount_satang, 2, style), "fee": Dec::styled(w.fee_satang, 2, style), "rec": Dec::styled(w.amount_satang - w.fee_satang, 2, style), "ts": w.created_ms / 1000,
    })))
}

/// talat's own: a deposit intent (a single-use Thai QR) over the signed API. Body: `amount`.
async fn create_intent(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    check(&state, &signed)?;
    if !signed.key.perms.deposit {
        return Err(ApiError::permission_denied("deposit"));
    }
    let c = require_customer(&state, &signed).await.map_err(v3_error)?;
    let amount = amount_param(&signed, "amount").map_err(v3_error)?;
    let d = state.fiat().map_err(v3_error)?.create_deposit(&c, amount).await.map_err(v3_error)?;
    Ok(ok_v3(json!({
        "id": d.id, "amount": Dec::str(d.amount_satang, 2), "qr_payload": d.qr_payload, "ref1": d.customer_code, "ref2": d.id,
        "status": d.status, "created_at": d.created_ms, "expires_at": d.expires_ms,
    })))
}

/// A bank's deposit notification, signed with the bank's secret (`talat_funds::callback`).
/// Answers `{"error":0,"result":{"outcome":…}}`; a replay answers `duplicate` and credits nothing.
async fn callback(State(state): State<AppState>, Path(bank): Path<String>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let signature = headers.get(talat_funds::callback::SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let outcome = state.fiat().map_err(v3_error)?.callback(&bank, &body, signature).await.map_err(|e| {
        let status = match e.kind {
            ErrorKind::Forbidden => StatusCode::UNAUTHORIZED,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut error = v3_error(e);
        error.status = status;
        error
    })?;
    Ok(ok_v3(outcome))
}
