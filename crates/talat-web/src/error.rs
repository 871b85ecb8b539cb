//! The web API's one error shape (docs/web-api.md, "Errors"):
//! `{"error": code, "message": …, "field"?, "bitkub_code"?}` with the contract's status codes.
//! Every handler returns these before it submits anything, so a refusal changes nothing —
//! except `rejected`, which is the engine's own refusal (and changes nothing either).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use talat_core::RejectReason;
use talat_gateway::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<&'static str>,
    pub bitkub_code: Option<u16>,
    pub retry_after_s: Option<u32>,
}

impl WebError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> WebError {
        WebError { status, code, message: message.into(), field: None, bitkub_code: None, retry_after_s: None }
    }
    pub fn invalid(field: &'static str, message: impl Into<String>) -> WebError {
        WebError { field: Some(field), ..WebError::new(StatusCode::BAD_REQUEST, "invalid", message) }
    }
    pub fn unauthenticated(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }
    pub fn totp_required() -> WebError {
        WebError::new(StatusCode::UNAUTHORIZED, "totp_required", "the password is right; a two-factor code is needed")
    }
    pub fn forbidden(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    /// A staff session that may only set up two-factor authentication (it is required).
    pub fn two_factor_required() -> WebError {
        WebError::new(StatusCode::FORBIDDEN, "2fa_required", "two-factor authentication is required: set it up on the Security page first")
    }
    pub fn csrf() -> WebError {
        WebError::new(StatusCode::FORBIDDEN, "csrf", "missing or wrong X-CSRF-Token header")
    }
    pub fn not_found(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn conflict(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::CONFLICT, "conflict", message)
    }
    pub fn rate_limited() -> WebError {
        WebError { retry_after_s: Some(60), ..WebError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many attempts; wait a minute") }
    }
    pub fn busy(retry_after_s: u32, message: impl Into<String>) -> WebError {
        WebError { retry_after_s: Some(retry_after_s), ..WebError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message) }
    }
    pub fn rejected(reason: RejectReason) -> WebError {
        WebError { bitkub_code: Some(reason.bitkub_code()), ..WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "rejected", reason.to_string()) }
    }
    /// A store or other internal failure: the client may retry.
    pub fn internal(what: impl std::fmt::Display) -> WebError {
        tracing::warn!("web api: {what}");
        WebError { retry_after_s: Some(5), ..WebError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", format!("server error: {what}")) }
    }
}

impl From<talat_store::StoreError> for WebError {
    fn from(e: talat_store::StoreError) -> WebError {
        WebError::internal(format!("store: {e}"))
    }
}

/// A command that did not take effect: the engine's refusal, or the gateway's.
impl From<talat_gateway::Refusal> for WebError {
    fn from(refusal: talat_gateway::Refusal) -> WebError {
        match refusal {
            talat_gateway::Refusal::Engine(reason) => WebError::rejected(reason),
            talat_gateway::Refusal::Gateway(error) => error.into(),
        }
    }
}

/// The gateway's errors (admission, symbols, the store) in the web API's terms.
impl From<talat_gateway::funds::FundsError> for WebError {
    fn from(e: talat_gateway::funds::FundsError) -> WebError {
        use talat_gateway::funds::ErrorKind;
        let error = match e.kind {
            ErrorKind::Invalid => WebError::new(StatusCode::BAD_REQUEST, "invalid", e.message),
            ErrorKind::NotFound => WebError::not_found(e.message),
            ErrorKind::Conflict => WebError::conflict(e.message),
            ErrorKind::Forbidden => WebError::forbidden(e.message),
            ErrorKind::Rejected => WebError { bitkub_code: Some(e.v3_code), ..WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "rejected", e.message) },
            ErrorKind::Unavailable => WebError::busy(5, e.message),
        };
        WebError { field: e.field, ..error }
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        match e.code {
            90 => WebError::busy(e.retry_after_s.unwrap_or(1), e.message),
            30 => WebError::rate_limited(),
            11 => WebError::invalid("symbol", e.message),
            12 | 15 => WebError::invalid("amount", e.message),
            13 => WebError::invalid("price", e.message),
            // A suspended (locked) account.
            56 | 57 => WebError { bitkub_code: Some(e.code), ..WebError::forbidden(e.message) },
            _ => WebError::invalid("request", e.message),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.code, "message": self.message });
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        if let Some(code) = self.bitkub_code {
            body["bitkub_code"] = code.into();
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        response
    }
}

pub type WebResult<T> = Result<T, WebError>;
