//! Every refusal the gateway gives, as Bitkub clients expect it (reference §13, §5): v3 errors
//! are HTTP 200 with `{"error":N,"message":…}`; a rate-limited caller gets 429; a shed new order
//! gets 503 with `Retry-After`. A refusal never changes state: handlers return these before
//! anything is submitted.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;
use talat_core::RejectReason;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// Bitkub v3 error code (§13.1).
    pub code: u16,
    pub status: StatusCode,
    pub message: Cow<'static, str>,
    pub retry_after_s: Option<u32>,
}

impl ApiError {
    pub fn new(code: u16, message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError { code, status: StatusCode::OK, message: message.into(), retry_after_s: None }
    }

    pub fn invalid_json(detail: impl std::fmt::Display) -> ApiError {
        ApiError::new(1, format!("invalid JSON payload: {detail}"))
    }
    pub fn missing_api_key() -> ApiError {
        ApiError::new(2, "missing X-BTK-APIKEY")
    }
    pub fn invalid_api_key() -> ApiError {
        ApiError::new(3, "invalid API key")
    }
    pub fn ip_not_allowed() -> ApiError {
        ApiError::new(5, "IP not allowed")
    }
    pub fn invalid_signature() -> ApiError {
        ApiError::new(6, "missing or invalid signature")
    }
    pub fn missing_timestamp() -> ApiError {
        ApiError::new(7, "missing timestamp")
    }
    pub fn invalid_timestamp(detail: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(8, detail)
    }
    pub fn invalid_parameter(detail: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(10, detail)
    }
    pub fn invalid_symbol() -> ApiError {
        ApiError::new(11, "invalid symbol")
    }
    pub fn invalid_amount(detail: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(12, detail)
    }
    pub fn invalid_rate(detail: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(13, detail)
    }
    pub fn order_not_found() -> ApiError {
        ApiError::new(21, "invalid order for cancellation: unable to find the order id or symbol")
    }
    pub fn invalid_side() -> ApiError {
        ApiError::new(22, "invalid side: expected buy or sell")
    }
    pub fn lookup_not_found() -> ApiError {
        ApiError::new(24, "invalid order for lookup")
    }
    pub fn permission_denied(permission: &str) -> ApiError {
        ApiError::new(52, format!("invalid permission: this API key lacks the {permission} permission"))
    }
    pub fn not_found() -> ApiError {
        let mut error = ApiError::new(10, "no such endpoint");
        error.status = StatusCode::NOT_FOUND;
        error
    }
    pub fn body_too_large(max_bytes: usize) -> ApiError {
        let mut error = ApiError::new(1, format!("request body larger than {max_bytes} bytes"));
        error.status = StatusCode::PAYLOAD_TOO_LARGE;
        error
    }

    /// Over the caller's rate limit: 429, `{"error":30}`, blocked for `block_s` (§13.1, §14).
    pub fn rate_limited(block_s: u32) -> ApiError {
        ApiError {
            code: 30,
            status: StatusCode::TOO_MANY_REQUESTS,
            message: Cow::Owned(format!("rate limit exceeded: blocked for {block_s} s")),
            retry_after_s: Some(block_s),
        }
    }

    /// A new order shed because the engine's queue is past its high-water mark. Cancels and
    /// reads are still served; the client should retry after the given delay.
    pub fn system_busy(retry_after_s: u32) -> ApiError {
        ApiError {
            code: 90,
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: Cow::Borrowed("system busy: new orders are being shed to keep cancels flowing; retry later"),
            retry_after_s: Some(retry_after_s),
        }
    }

    /// The sequencer stopped (shutdown or a fatal journal error); the request's fate is unknown
    /// unless it was refused before submission.
    pub fn unavailable(detail: impl std::fmt::Display) -> ApiError {
        ApiError { code: 90, status: StatusCode::SERVICE_UNAVAILABLE, message: Cow::Owned(format!("server error: {detail}")), retry_after_s: Some(5) }
    }

    pub fn rejected(reason: RejectReason) -> ApiError {
        ApiError::new(reason.bitkub_code(), reason.to_string())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error {}: {}", self.code, self.message)
    }
}

/// The Bitkub code of an error answer, carried in the response's extensions so that a layer
/// (the refusal log's) can tell a refusal from a success without reading the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode(pub u16);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code, "message": self.message });
        let mut response = (self.status, axum::Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        metrics::counter!("talat_api_errors_total", "code" => self.code.to_string()).increment(1);
        response
    }
}
