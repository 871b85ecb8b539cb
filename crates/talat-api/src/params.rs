//! Request parameters, read leniently after the signature is checked (reference §7.2 item 4):
//! from the query string and from a JSON object body (clients put paging in a GET body), with
//! `null` and `""` meaning "not given" for optional fields and unknown keys ignored. Values keep
//! their raw JSON token so decimals are read exactly.

mod members;

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

/// A JSON object body's members, refused if a key appears twice in any object of it (see
/// `talat_gateway::strict_json`), if it is not one object, or if it has too many members — in
/// that order, as the body reads.
fn body_members(text: &str) -> Result<Vec<(String, &serde_json::value::RawValue)>, ApiError> {
    let twice = |key: String| ApiError::invalid_json(format!("the key {key} appears twice"));
    let general_check = || talat_gateway::strict_json::duplicate_key(text.as_bytes());
    let (list, nested) = match members::read(text, PARAMS_MAX) {
        Ok(members::Read::Members { list, nested }) => (list, nested),
        Ok(members::Read::Duplicate(key)) => return Err(twice(key)),
        // A key twice inside a nested value may come before what broke the parse.
        Err(e) => return Err(general_check().map_or_else(|| ApiError::invalid_json(format!("expected a JSON object ({e})")), twice)),
    };
    if nested || list.len() > PARAMS_MAX {
        if let Some(key) = general_check() {
            return Err(twice(key));
        }
    }
    if list.len() > PARAMS_MAX {
        return Err(ApiError::invalid_parameter("too many parameters"));
    }
    Ok(list)
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
            for (key, raw) in body_members(text)? {
                values.insert(key, raw.get().to_owned());
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
    use proptest::prelude::*;

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

    /// How bodies were read before the one-pass reader: the general duplicate check on every
    /// body, then a map of raw values.
    fn body_members_two_passes(text: &str) -> Result<HashMap<String, String>, ApiError> {
        if let Some(key) = talat_gateway::strict_json::duplicate_key(text.as_bytes()) {
            return Err(ApiError::invalid_json(format!("the key {key} appears twice")));
        }
        let object: HashMap<String, Box<serde_json::value::RawValue>> =
            serde_json::from_str(text).map_err(|e| ApiError::invalid_json(format!("expected a JSON object ({e})")))?;
        if object.len() > PARAMS_MAX {
            return Err(ApiError::invalid_parameter("too many parameters"));
        }
        Ok(object.into_iter().map(|(k, v)| (k, v.get().to_owned())).collect())
    }

    /// JSON-ish text from a few keys and values, nested at times, broken at times.
    fn body() -> impl Strategy<Value = String> {
        let key = prop_oneof![Just("a"), Just("b"), Just("sym"), Just("amt"), Just("x\\u0061")].prop_map(|k| format!("\"{k}\""));
        let leaf = prop_oneof![Just("1".to_string()), Just("\"s\"".to_string()), Just("null".to_string()), Just("1e-05".to_string())];
        let value = leaf.prop_recursive(2, 12, 4, move |inner| {
            let key = prop_oneof![Just("\"a\""), Just("\"b\"")];
            prop_oneof![
                proptest::collection::vec((key, inner.clone()), 0..4)
                    .prop_map(|m| format!("{{{}}}", m.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(","))),
                proptest::collection::vec(inner, 0..3).prop_map(|v| format!("[{}]", v.join(","))),
            ]
        });
        // `unique`: every key distinct, so that more members than are read can appear.
        (proptest::collection::vec((key, value), 0..70), any::<bool>(), 0usize..4, any::<usize>()).prop_map(|(members, unique, damage, at)| {
            let key_of = |i: usize, k: &String| if unique { format!("\"k{i}\"") } else { k.clone() };
            let text = format!("{{{}}}", members.iter().enumerate().map(|(i, (k, v))| format!("{}:{v}", key_of(i, k))).collect::<Vec<_>>().join(","));
            let at = at % (text.len() + 1);
            match damage {
                0 => text[..at].to_string(),
                1 => format!("{}]{}", &text[..at], &text[at..]),
                _ => text,
            }
        })
    }

    proptest::proptest! {
        #[test]
        fn one_pass_refuses_and_reads_as_the_two_passes_did(text in body()) {
            // A blank body is never read as an object (`Params::parse` skips it).
            proptest::prop_assume!(!text.trim().is_empty());
            let one = body_members(&text).map(|list| list.into_iter().map(|(k, v)| (k, v.get().to_owned())).collect::<HashMap<_, _>>()).map_err(|e| (e.code, e.message.into_owned()));
            proptest::prop_assert_eq!(one, body_members_two_passes(&text).map_err(|e| (e.code, e.message.into_owned())));
        }
    }
}
