//! Request parameters, read leniently after the signature is checked (reference §7.2 item 4):
//! from the query string and from a JSON object body (clients put paging in a GET body), with
//! `null` and `""` meaning "not given" for optional fields and unknown keys ignored. Values keep
//! their raw JSON token so decimals are read exactly.

use serde_json::value::RawValue;
use std::collections::HashMap;
use talat_gateway::decimal::{self, DecimalError};
use talat_gateway::error::ApiError;

/// Most parameters read from one request.
const PARAMS_MAX: usize = 64;

#[derive(Debug, Default)]
pub struct Params {
    /// key → raw JSON token (query values are stored as JSON strings).
    values: HashMap<String, String>,
}

impl Params {
    /// Query parameters first, then the body's (a body key wins: it was signed as JSON).
    pub fn parse(query: Option<&str>, body: &[u8]) -> Result<Params, ApiError> {
        let mut values = HashMap::new();
        if let Some(query) = query {
            for (key, value) in form_pairs(query) {
                if values.len() >= PARAMS_MAX {
                    return Err(ApiError::invalid_parameter("too many parameters"));
                }
                values.insert(key, serde_json::to_string(&value).expect("a string serialises"));
            }
        }
        let text = std::str::from_utf8(body).map_err(|_| ApiError::invalid_json("the body is not UTF-8"))?;
        if !text.trim().is_empty() {
            if let Some(key) = talat_gateway::strict_json::duplicate_key(body) {
                return Err(ApiError::invalid_json(format!("the key {key} appears twice")));
            }
            let object: HashMap<String, Box<RawValue>> =
                serde_json::from_str(text).map_err(|e| ApiError::invalid_json(format!("expected a JSON object ({e})")))?;
            if object.len() > PARAMS_MAX {
                return Err(ApiError::invalid_parameter("too many parameters"));
            }
            for (key, raw) in object {
                values.insert(key, raw.get().to_string());
            }
        }
        Ok(Params { values })
    }

    fn raw(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str).filter(|raw| *raw != "null")
    }

    /// A string parameter; `None` if absent, null or empty.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>, ApiError> {
        let Some(raw) = self.raw(key) else { return Ok(None) };
        let value: String = match serde_json::from_str::<String>(raw) {
            Ok(s) => s,
            // Numbers are accepted where a string id is expected (`"id": 123`).
            Err(_) if raw.bytes().all(|b| b.is_ascii_digit()) => raw.to_string(),
            Err(_) => return Err(ApiError::invalid_parameter(format!("{key} must be a string"))),
        };
        Ok(Some(value).filter(|s| !s.is_empty()))
    }

    pub fn str(&self, key: &str) -> Result<String, ApiError> {
        self.opt_str(key)?.ok_or_else(|| ApiError::invalid_parameter(format!("{key} is required")))
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.raw(key) {
            None => Ok(None),
            Some("true") | Some("\"true\"") => Ok(Some(true)),
            Some("false") | Some("\"false\"") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid_parameter(format!("{key} must be true or false"))),
        }
    }

    /// A non-negative integer parameter (number or numeric string).
    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, ApiError> {
        let Some(raw) = self.raw(key) else { return Ok(None) };
        let text = raw.trim_matches('"');
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<u64>().map(Some).map_err(|_| ApiError::invalid_parameter(format!("{key} must be a non-negative integer")))
    }

    /// A decimal at `scale` decimals, exactly; `Err` carries the parse failure for the caller
    /// to turn into the right code (12 for amounts, 13 for rates).
    pub fn decimal(&self, key: &str, scale: u8, max: u64) -> Option<Result<u64, DecimalError>> {
        self.raw(key).map(|raw| {
            if raw.starts_with('{') || raw.starts_with('[') || raw == "true" || raw == "false" {
                return Err(DecimalError::NotANumber);
            }
            decimal::parse_bounded(raw, scale, max)
        })
    }

    pub fn has(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }
}

/// `application/x-www-form-urlencoded` pairs of a query string, percent-decoded.
fn form_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k), percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(hi), Some(lo)) => {
                        out.push((hi * 16 + lo) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_body_merge_with_nulls_and_empties_as_absent() {
        let p = Params::parse(Some("sym=BTC_THB&p=1&lmt=10&hash="), br#"{"client_id": null, "amt": 1e-05, "id": 42, "post_only": false}"#).unwrap();
        assert_eq!(p.str("sym").unwrap(), "BTC_THB");
        assert_eq!(p.opt_u64("lmt").unwrap(), Some(10));
        assert_eq!(p.opt_str("hash").unwrap(), None);
        assert_eq!(p.opt_str("client_id").unwrap(), None);
        assert_eq!(p.opt_str("id").unwrap().as_deref(), Some("42"));
        assert_eq!(p.opt_bool("post_only").unwrap(), Some(false));
        assert_eq!(p.decimal("amt", 8, u64::MAX), Some(Ok(1_000)));
    }

    #[test]
    fn malformed_bodies_are_invalid_json() {
        for body in [&b"[1,2]"[..], b"{", b"\"x\"", b"{\"a\":}", b"\xff\xfe"] {
            assert_eq!(Params::parse(None, body).unwrap_err().code, 1, "{body:?}");
        }
        assert!(Params::parse(None, b"").is_ok());
        assert!(Params::parse(None, b"  {}  ").is_ok());
    }

    #[test]
    fn wrong_types_are_invalid_parameters() {
        let p = Params::parse(None, br#"{"sym": 5.5, "post_only": "maybe", "lmt": -1, "amt": [1]}"#).unwrap();
        assert_eq!(p.str("sym").unwrap_err().code, 10);
        assert_eq!(p.opt_bool("post_only").unwrap_err().code, 10);
        assert_eq!(p.opt_u64("lmt").unwrap_err().code, 10);
        assert!(matches!(p.decimal("amt", 2, u64::MAX), Some(Err(_))));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c%2"), "a b c%2");
        assert_eq!(percent_decode("%E0%B8%95"), "ต");
        assert_eq!(percent_decode("%éé"), "%éé");
    }
}
