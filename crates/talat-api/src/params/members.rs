//! A JSON object body's members in one pass: each key with its raw value token, and a key found
//! twice on the way. Every order-path body is a flat object, and for those this pass is all the
//! reading there is. An object with a nested value, or with more members than the caller reads,
//! is reported as such and the caller asks `strict_json::duplicate_key` (every depth) as well,
//! so what is refused, and with which message, is the same as checking every body that way.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// What one pass over an object body found.
pub(super) enum Read<'a> {
    Members {
        /// In document order, no key twice.
        list: Vec<(String, &'a RawValue)>,
        /// Some value is an object or an array: nobody looked for keys twice inside it.
        nested: bool,
    },
    /// The first key found twice, quoted (`"amt"`), before any nested value.
    Duplicate(String),
}

/// Reads `text` as one JSON object (nothing after it). Duplicates are looked for among the first
/// `scan_max + 1` members only, so a huge object costs no quadratic scan; the caller refuses one
/// that large anyway, after asking the general check.
pub(super) fn read(text: &str, scan_max: usize) -> Result<Read<'_>, serde_json::Error> {
    let mut duplicate = None;
    let mut de = serde_json::Deserializer::from_str(text);
    let result = Seed { duplicate: &mut duplicate, scan_max }.deserialize(&mut de).and_then(|read| de.end().map(|()| read));
    match (result, duplicate) {
        (_, Some(key)) => Ok(Read::Duplicate(key)),
        (result, None) => result,
    }
}

struct Seed<'d> {
    duplicate: &'d mut Option<String>,
    scan_max: usize,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Read<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Read<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Read<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What a `HashMap` says, so an error reads as it did before this pass existed.
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read<'de>, A::Error> {
        let mut list: Vec<(String, &'de RawValue)> = Vec::new();
        let mut nested = false;
        while let Some(key) = map.next_key::<String>()? {
            // After a nested value, the first key twice in document order may be inside it:
            // that is the general check's to name.
            if !nested && list.len() <= self.scan_max && list.iter().any(|(k, _)| *k == key) {
                *self.duplicate = Some(format!("{key:?}"));
                return Err(serde::de::Error::custom("a key twice"));
            }
            let value: &'de RawValue = map.next_value()?;
            nested |= matches!(value.get().as_bytes().first(), Some(b'{' | b'['));
            list.push((key, value));
        }
        Ok(Read::Members { list, nested })
    }
}
