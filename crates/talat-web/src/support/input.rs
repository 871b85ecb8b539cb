//! Reading support requests field by field: texts, the link to an order, deposit or
//! withdrawal, and attachments (base64 in JSON, checked against what their type says; images
//! decoded in full and re-encoded, so only their pixels are stored). Every check runs before
//! anything is stored, so a refused request stores nothing.

use crate::body;
use crate::error::{WebError, WebResult};
use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use talat_onboarding::uploads::{UploadError, DEFAULT_MAX_SIDE_PX};
use talat_onboarding::{validate_upload, UploadLimits, UploadPurpose};
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

/// An image attached to a ticket may be any screenshot, however small, up to the largest side
/// a KYC photo may have.
const ATTACHED_IMAGE_LIMITS: UploadLimits = UploadLimits { min_bytes: 1, max_bytes: MAX_ATTACHMENT_BYTES, min_side_px: 1, max_side_px: DEFAULT_MAX_SIDE_PX };

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

/// An attachment as sent, its fields checked but not yet its content.
struct Sent {
    name: String,
    content_type: String,
    bytes: Vec<u8>,
}

/// What to store of an attachment whose bytes must be what `content_type` says: an image's
/// re-encoding (anything riding along in the upload is left behind), a PDF or a text as sent.
fn checked_content(name: &str, content_type: &str, bytes: Vec<u8>) -> WebResult<Vec<u8>> {
    let not_that = || WebError::invalid("attachments", format!("{name} is not a {content_type} file"));
    match content_type {
        "image/png" | "image/jpeg" => {
            let checked = validate_upload(&bytes, UploadPurpose::Image, &ATTACHED_IMAGE_LIMITS).map_err(|e| match e {
                UploadError::UnsupportedType { .. } | UploadError::PdfNotAllowed => not_that(),
                other => WebError::invalid("attachments", format!("{name}: {other}")),
            })?;
            if checked.kind.content_type() != content_type {
                return Err(not_that());
            }
            Ok(checked.bytes)
        }
        // A PDF that runs something (scripts, actions on open) is not what a ticket needs.
        "application/pdf" if bytes.starts_with(b"%PDF-") && !talat_onboarding::pdf_has_active_content(&bytes) => Ok(bytes),
        "text/plain" if std::str::from_utf8(&bytes).is_ok() && !bytes.contains(&0) => Ok(bytes),
        _ => Err(not_that()),
    }
}

fn checked_attachment(sent: Sent) -> WebResult<NewAttachment> {
    let content = checked_content(&sent.name, &sent.content_type, sent.bytes)?;
    let sha256 = hex::encode(Sha256::digest(&content));
    Ok(NewAttachment { file_name: sent.name, content_type: sent.content_type, sha256, content })
}

/// `attachments: [{name, content_type, data_base64}]`, each checked; what comes back is what
/// to store.
pub async fn attachments(m: &Map<String, Value>) -> WebResult<Vec<NewAttachment>> {
    let sent = sent_attachments(m)?;
    if sent.is_empty() {
        return Ok(Vec::new());
    }
    // Decoding an image in full takes a while: off the request workers.
    tokio::task::spawn_blocking(move || sent.into_iter().map(checked_attachment).collect()).await.map_err(WebError::internal)?
}

/// The attachments' fields: names, types, base64, counts and sizes.
fn sent_attachments(m: &Map<String, Value>) -> WebResult<Vec<Sent>> {
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
        out.push(Sent { name: name.to_string(), content_type: content_type.to_string(), bytes });
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

    /// A real 2×2 PNG (red, green / blue, white).
    fn tiny_png() -> Vec<u8> {
        use image::ImageEncoder as _;
        let pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out).write_image(&pixels, 2, 2, image::ExtendedColorType::Rgb8).expect("encode a PNG");
        out
    }

    fn one(name: &str, content_type: &str, bytes: &[u8]) -> Map<String, Value> {
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        obj(json!({"attachments": [{"name": name, "content_type": content_type, "data_base64": data}]}))
    }

    #[tokio::test]
    async fn attachments_must_be_what_they_say() {
        let ok = attachments(&one("a.png", "image/png", &tiny_png())).await.unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].sha256, hex::encode(Sha256::digest(&ok[0].content)), "the hash is of what is stored");
        let e = attachments(&one("a.png", "image/png", b"<script>alert(1)</script>")).await.unwrap_err();
        assert!(e.message.contains("not a image/png"), "{}", e.message);
        let e = attachments(&one("a.jpg", "image/jpeg", &tiny_png())).await.unwrap_err();
        assert!(e.message.contains("a.jpg is not a image/jpeg file"), "{}", e.message);
        let e = attachments(&one("a.exe", "application/x-msdownload", b"MZ")).await.unwrap_err();
        assert!(e.message.contains("only PNG"));
        let e = attachments(&one("a.txt", "text/plain", &vec![b'a'; MAX_ATTACHMENT_BYTES + 1])).await.unwrap_err();
        assert!(e.message.contains("larger than 2 MiB"), "{}", e.message);
        let four: Vec<Value> = (0..4).map(|i| json!({"name": format!("{i}.txt"), "content_type": "text/plain", "data_base64": "aGk="})).collect();
        assert!(attachments(&obj(json!({"attachments": four}))).await.is_err());
        assert!(attachments(&one("../x", "text/plain", b"hi")).await.is_err());
    }

    #[tokio::test]
    async fn an_attached_image_is_stored_re_encoded_and_a_damaged_one_refused() {
        let png = tiny_png();
        let mut sent = png.clone();
        sent.extend_from_slice(b"<html>riding along after IEND</html>");
        let stored = attachments(&one("shot.png", "image/png", &sent)).await.unwrap().remove(0).content;
        assert!(!stored.windows(6).any(|w| w == b"<html>"), "the trailer is not stored");
        let decode = |bytes: &[u8]| image::load_from_memory(bytes).expect("decodes").to_rgb8();
        assert_eq!(decode(&stored), decode(&png), "the same pixels");
        let e = attachments(&one("shot.png", "image/png", &png[..png.len() - 20])).await.unwrap_err();
        assert_eq!(e.message, "shot.png: the image could not be read; it may be damaged");
        // Text is stored as sent.
        assert_eq!(attachments(&one("a.txt", "text/plain", b"hi")).await.unwrap()[0].content, b"hi");
    }

    #[test]
    fn links_name_the_customers_own_records() {
        assert_eq!(link(&obj(json!({"link": {"kind": "order", "id": 42}}))).unwrap(), Some(("order".into(), "42".into())));
        assert!(link(&obj(json!({"link": {"kind": "bank", "id": "1"}}))).is_err());
        assert!(link(&obj(json!({"link": {"kind": "order", "id": "<b>"}}))).is_err());
        assert_eq!(link(&obj(json!({}))).unwrap(), None);
    }
}
