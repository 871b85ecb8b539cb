//! JSON with a key twice in one object is refused: parsers disagree on which value wins (the
//! last here, the first elsewhere), so a signed body could mean one thing to a proxy or an
//! auditor and another to the exchange. Both APIs check every JSON body with [`duplicate_key`].

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// The first key found twice in one object, at any depth; `None` for valid JSON without one.
/// Malformed JSON is the caller's parser's to report: `None` here too.
pub fn duplicate_key(bytes: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Check>(bytes) {
        Err(e) if e.is_data() => Some(e.to_string().split(" at line").next().unwrap_or("").trim_start_matches("duplicate key ").to_string()),
        _ => None,
    }
}

struct Check;

impl<'de> Deserialize<'de> for Check {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Check, D::Error> {
        d.deserialize_any(CheckVisitor)
    }
}

struct CheckVisitor;

impl<'de> Visitor<'de> for CheckVisitor {
    type Value = Check;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Check, A::Error> {
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("duplicate key {key:?}")));
            }
            map.next_value::<Check>()?;
        }
        Ok(Check)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Check, A::Error> {
        while seq.next_element::<Check>()?.is_some() {}
        Ok(Check)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Check, E> {
        Ok(Check)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Check, E> {
        Ok(Check)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Check, E> {
        Ok(Check)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Check, E> {
        Ok(Check)
    }
    fn visit_str<E>(self, _: &str) -> Result<Check, E> {
        Ok(Check)
    }
    fn visit_unit<E>(self) -> Result<Check, E> {
        Ok(Check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_twice_in_one_object_is_found_at_any_depth() {
        assert_eq!(duplicate_key(br#"{"amt":1,"amt":2}"#).as_deref(), Some("\"amt\""));
        assert_eq!(duplicate_key(br#"{"a":{"b":1,"b":2}}"#).as_deref(), Some("\"b\""));
        assert_eq!(duplicate_key(br#"[{"x":1},{"x":1,"x":1}]"#).as_deref(), Some("\"x\""));
        assert_eq!(duplicate_key(br#"{"a":1,"b":{"a":1}}"#), None, "the same key in different objects is fine");
        assert_eq!(duplicate_key(br#"{"a":1"#), None, "malformed JSON is the parser's to report");
        assert_eq!(duplicate_key(b"12.5"), None);
    }
}
