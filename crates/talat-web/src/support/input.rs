//! Reading support requests field by field: texts, the link to an order, deposit or
//! withdrawal, and attachments (base64 in JSON, checked against what their type says). Every
//! check runs before anything is stored, so a refused request stores nothing.

use crate::body;
use crate::error::{WebError, WebResult};
use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use talat_store::NewAttachment;

/// Most attachments on one message, and most bytes of one (decoded).
pub const MAX_ATTACHMENTS: usize = 3;
pub const MAX_ATTACHMENT_BYTES: usize = 2 * 1024 * 1024;
/// A support body may carry [`MAX_ATTACHMENTS`] files in base64 (4/3 of their size) and text.
pub const MAX_SUPPORT_BODY_BYTES: usize = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES * 4 / 3 + 64 * 1024;
pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 5_000;
const MAX_FILE_NAME_CHARS: usize = 120;

pub const CONTENT_TYPES: [&str; 4] = ["image/png", "image/jpeg", "application/pdf", "text/plain"];

/// A required text: trimmed, 1..=`max_chars` characters, no control characters but line
/// breaks and tabs, no NUL.
pub fn text(m: &Map<String, Value>, field: &'static str, max_chars: usize) -> WebResult<String> {
    let t = body::str(m, field)?.trim();
    if t.is_empty() {
        return Err(WebError::invalid(field, format!("{field} must not be empty")));
    }
    if t.chars().count() > max_chars {
        return Err(WebError::invalid(field, format!("{field} may have at most {max_chars} characters")));
    }
    if t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(WebError::invalid(field, format!("{field} contains a control character")));
    }
    Ok(t.to_string())
}

/// An optional short reason (1–500 printable characters when given).
pub fn opt_reason(m: &Map<String, Value>) -> WebResult<Option<String>> {
    match body::opt_str(m, "reason")? {
        None => Ok(None),
        Some(r) if r.trim().is_empty() => Ok(None),
        Some(_) => body::reason(m).map(Some),
    }
}

/// `link: {kind, id}`: what the ticket is about.
pub fn link(m: &Map<String, Value>) -> WebResult<Option<(String, String)>> {
    let v = match m.get("link") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(WebError::invalid("link", "link must be {kind, id}")),
    };
    let kind = body::str(v, "kind").map_err(|_| WebError::invalid("link", "link.kind must be order, deposit or withdrawal"))?;
    if !matches!(kind, "order" | "deposit" | "withdrawal") {
        return Err(WebError::invalid("link", "link.kind must be order, deposit or withdrawal"));
    }
    let id = match v.get("id") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(WebError::invalid("link", "link.id is required")),
    };
    if id.is_empty() || id.len() > 100 || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')) {
        return Err(WebError::invalid("link", "link.id must be 1 to 100 letters, digits or - _ : ."));
    }
    Ok(Some((kind.to_string(), id)))
}

/// Whether `bytes` are what `content_type` says.
fn content_matches(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        // A PDF that runs something (scripts, actions on open) is not what a ticket needs.
        "application/pdf" => bytes.starts_with(b"%PDF-") && !talat_onboarding::pdf_has_active_content(bytes),
        "text/plain" => std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
        _ => false,
    }
}

/// `attachments: [{name, content_type, data_base64}]`, each checked.
pub fn attachments(m: &Map<String, Value>) -> WebResult<Vec<NewAttachment>> {
    let items = match m.get("attachments") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(WebError::invalid("attachments", "attachments must be a list")),
    };
    if items.len() > MAX_ATTACHMENTS {
        return Err(WebError::invalid("attachments", format!("at most {MAX_ATTACHMENTS} attachments per message")));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(a) = item else { return Err(WebError::invalid("attachments", "each attachment must be {name, content_type, data_base64}")) };
        let name = body::str(a, "name").map_err(|_| WebError::invalid("attachments", "an attachment needs its name"))?.trim();
        if name.is_empty() || name.chars().count() > MAX_FILE_NAME_CHARS || name.chars().any(|c| c.is_control() || matches!(c, '/' | '\\' | '"')) {
            return Err(WebError::invalid(
                "attachments",
                format!("a file name must be 1 to {MAX_FILE_NAME_CHARS} characters without / \\ \" or control characters"),
            ));
        }
        let content_type = body::str(a, "content_type").map_err(|_| WebError::invalid("attachments", format!("{name}: content_type is required")))?;
        if !CONTENT_TYPES.contains(&content_type) {
            return Err(WebError::invalid("attachments", format!("{name}: only PNG, JPEG, PDF and plain text files are accepted")));
        }
        let data = body::str(a, "data_base64").map_err(|_| WebError::invalid("attachments", format!("{name}: data_base64 is required")))?;
        if data.len() > MAX_ATTACHMENT_BYTES * 4 / 3 + 4 {
            return Err(WebError::invalid("attachments", format!("{name} is larger than {} MiB", MAX_ATTACHMENT_BYTES / (1024 * 1024))));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| WebError::invalid("attachments", format!("{name}: data_base64 is not valid base64")))?;
        if bytes.is_empty() {
            return Err(WebError::invalid("attachments", format!("{name} is empty")));
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(WebError::invalid("attachments", format!("{name} is larger than {} MiB", MAX_ATTACHMENT_BYTES / (1024 * 1024))));
        }
        if !content_matches(content_type, &bytes) {
            return Err(WebError::invalid("attachments", format!("{name} is not a {content_type} file")));
        }
        let sha256 = hex::encode(Sha256::digest(&bytes));
        out.push(NewAttachment { file_name: name.to_string(), content_type: content_type.to_string(), sha256, content: bytes });
    }
    Ok(out)
}

/// A ticket id from the path: 404 if it is not a number (no ticket has that id).
pub fn ticket_id(raw: &str) -> WebResult<u64> {
    raw.parse::<u64>().map_err(|_| WebError::not_found(format!("no ticket {raw}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("an object")
    }

    #[test]
    fn texts_are_trimmed_bounded_and_printable() {
        assert_eq!(text(&obj(json!({"t": "  hi\nthere "})), "t", 10).unwrap(), "hi\nthere");
        assert_eq!(text(&obj(json!({"t": "   "})), "t", 10).unwrap_err().field, Some("t"));
        assert!(text(&obj(json!({"t": "x".repeat(11)})), "t", 10).is_err());
        assert!(text(&obj(json!({"t": "a\u{0}b"})), "t", 10).is_err());
        assert!(text(&obj(json!({})), "t", 10).is_err());
    }

    #[test]
    fn attachments_must_be_what_they_say() {
        let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nrest");
        let ok = attachments(&obj(json!({"attachments": [{"name": "a.png", "content_type": "image/png", "data_base64": png}]}))).unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].sha256.len(), 64);
        let fake = base64::engine::general_purpose::STANDARD.encode(b"<script>alert(1)</script>");
        let e = attachments(&obj(json!({"attachments": [{"name": "a.png", "content_type": "image/png", "data_base64": fake}]}))).unwrap_err();
        assert!(e.message.contains("not a image/png"), "{}", e.message);
        let e = attachments(&obj(json!({"attachments": [{"name": "a.exe", "content_type": "application/x-msdownload", "data_base64": "AA=="}]}))).unwrap_err();
        assert!(e.message.contains("only PNG"));
        let big = base64::engine::general_purpose::STANDARD.encode(vec![b'a'; MAX_ATTACHMENT_BYTES + 1]);
        let e = attachments(&obj(json!({"attachments": [{"name": "a.txt", "content_type": "text/plain", "data_base64": big}]}))).unwrap_err();
        assert!(e.message.contains("larger than 2 MiB"), "{}", e.message);
        let four: Vec<Value> = (0..4).map(|i| json!({"name": format!("{i}.txt"), "content_type": "text/plain", "data_base64": "aGk="})).collect();
        assert!(attachments(&obj(json!({"attachments": four}))).is_err());
        assert!(attachments(&obj(json!({"attachments": [{"name": "../x", "content_type": "text/plain", "data_base64": "aGk="}]}))).is_err());
    }

    #[test]
    fn links_name_the_customers_own_records() {
        assert_eq!(link(&obj(json!({"link": {"kind": "order", "id": 42}}))).unwrap(), Some(("order".into(), "42".into())));
        assert!(link(&obj(json!({"link": {"kind": "bank", "id": "1"}}))).is_err());
        assert!(link(&obj(json!({"link": {"kind": "order", "id": "<b>"}}))).is_err());
        assert_eq!(link(&obj(json!({}))).unwrap(), None);
    }
}
