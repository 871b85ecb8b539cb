//! Reading JSON bodies field by field, so that each bad input names its field.

use crate::error::{WebError, WebResult};
use axum::http::{header, HeaderMap};
use serde_json::{Map, Value};

/// Most bytes of a web request body (the gateway's own cap applies first).
const MAX_BODY: usize = 16 * 1024;

/// The request body as a JSON object. An empty body reads as `{}`. With `require_type`, the
/// request must say `Content-Type: application/json` — a cross-site HTML form cannot, which is
/// what protects signup and login (no session, so no CSRF token yet).
pub fn object(headers: &HeaderMap, body: &[u8], require_type: bool) -> WebResult<Map<String, Value>> {
    object_up_to(headers, body, require_type, MAX_BODY)
}

/// [`object`] for the few routes whose bodies carry files (the gateway's upload cap applies
/// first).
pub fn object_up_to(headers: &HeaderMap, body: &[u8], require_type: bool, max_bytes: usize) -> WebResult<Map<String, Value>> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"));
    if require_type && !is_json {
        return Err(WebError::invalid("content-type", "the request must be sent as Content-Type: application/json"));
    }
    if body.len() > max_bytes {
        return Err(WebError::invalid("body", "request body too large"));
    }
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Map::new());
    }
    if let Some(key) = talat_gateway::strict_json::duplicate_key(body) {
        return Err(WebError::invalid("body", format!("the key {key} appears twice")));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(WebError::invalid("body", "the body must be a JSON object")),
        Err(e) => Err(WebError::invalid("body", format!("invalid JSON: {e}"))),
    }
}

pub fn opt_str<'a>(m: &'a Map<String, Value>, field: &'static str) -> WebResult<Option<&'a str>> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(WebError::invalid(field, format!("{field} must be a string"))),
    }
}

pub fn str<'a>(m: &'a Map<String, Value>, field: &'static str) -> WebResult<&'a str> {
    opt_str(m, field)?.ok_or_else(|| WebError::invalid(field, format!("{field} is required")))
}

pub fn bool(m: &Map<String, Value>, field: &'static str) -> WebResult<bool> {
    match m.get(field) {
        Some(Value::Bool(b)) => Ok(*b),
        None | Some(Value::Null) => Err(WebError::invalid(field, format!("{field} is required"))),
        Some(_) => Err(WebError::invalid(field, format!("{field} must be true or false"))),
    }
}

/// An unsigned integer given as a JSON number or a decimal string of digits.
pub fn u32(m: &Map<String, Value>, field: &'static str) -> WebResult<u32> {
    let bad = || WebError::invalid(field, format!("{field} must be a whole number from 0 to {}", u32::MAX));
    match m.get(field) {
        Some(Value::Number(n)) => n.as_u64().and_then(|v| u32::try_from(v).ok()).ok_or_else(bad),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().map_err(|_| bad()),
        None | Some(Value::Null) => Err(WebError::invalid(field, format!("{field} is required"))),
        Some(_) => Err(bad()),
    }
}

pub fn str_list<'a>(m: &'a Map<String, Value>, field: &'static str, max: usize) -> WebResult<Vec<&'a str>> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() <= max => {
            items.iter().map(|v| v.as_str().ok_or_else(|| WebError::invalid(field, format!("{field} must be a list of strings")))).collect()
        }
        Some(Value::Array(_)) => Err(WebError::invalid(field, format!("{field} has more than {max} entries"))),
        Some(_) => Err(WebError::invalid(field, format!("{field} must be a list of strings"))),
    }
}

/// A reason for a console action: required, short, printable.
pub fn reason(m: &Map<String, Value>) -> WebResult<String> {
    let r = str(m, "reason")?.trim();
    if r.is_empty() || r.chars().count() > 500 || r.chars().any(|c| c.is_control()) {
        return Err(WebError::invalid("reason", "reason must be 1 to 500 printable characters"));
    }
    Ok(r.to_string())
}
