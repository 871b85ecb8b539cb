//! The bank's deposit notification: an HTTP `POST` whose JSON body is signed with HMAC-SHA256
//! under a secret per bank (header `X-Talat-Bank-Signature`: lower-case hex), idempotent on the
//! bank's reference. A notification is a hint that money arrived; the statement is the truth, so
//! a notification no statement shows by the next business day becomes an exception.
//!
//! Body: `{"bank_ref","amount":"1500.00","paid_at_ms","ref1","ref2","payer_name","payer_account"}`
//! (`ref1`, `ref2`, `payer_*` optional).

use crate::statement::{BankLine, Direction};
use crate::Satang;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-talat-bank-signature";

/// The largest body read: a notification is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub bank_ref: String,
    pub amount_satang: Satang,
    pub paid_at_ms: u64,
    pub ref1: Option<String>,
    pub ref2: Option<String>,
    pub payer_name: Option<String>,
    pub payer_account: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the signature is missing or wrong")]
    BadSignature,
    #[error("the body is not a notification: {0}")]
    Malformed(String),
    #[error("the body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    bank_ref: String,
    amount: String,
    paid_at_ms: u64,
    ref1: Option<String>,
    ref2: Option<String>,
    payer_name: Option<String>,
    payer_account: Option<String>,
}

/// The signature a bank puts on `body`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks the signature (in constant time) before reading anything, then parses.
pub fn verify_and_parse(secret: &[u8], body: &[u8], signature_hex: Option<&str>) -> Result<Notification, CallbackError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(CallbackError::TooLarge);
    }
    let given = signature_hex.and_then(|s| hex::decode(s.trim()).ok()).ok_or(CallbackError::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| CallbackError::BadSignature)?;
    let wire: Wire = serde_json::from_slice(body).map_err(|e| CallbackError::Malformed(e.to_string()))?;
    let bank_ref = wire.bank_ref.trim().to_string();
    if bank_ref.is_empty() || bank_ref.len() > 64 || !bank_ref.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CallbackError::Malformed("bank_ref must be 1-64 printable ASCII characters".into()));
    }
    let amount_satang =
        crate::parse_thb(&wire.amount).filter(|a| *a > 0).ok_or_else(|| CallbackError::Malformed("amount must be a positive THB decimal".into()))?;
    let short = |v: Option<String>| v.map(|s| s.trim().chars().take(140).collect::<String>()).filter(|s| !s.is_empty());
    Ok(Notification {
        bank_ref,
        amount_satang,
        paid_at_ms: wire.paid_at_ms,
        ref1: short(wire.ref1),
        ref2: short(wire.ref2),
        payer_name: short(wire.payer_name),
        payer_account: short(wire.payer_account),
    })
}

impl Notification {
    /// As a statement line would show it (booked on `booked_on`, the Bangkok date of payment).
    pub fn to_line(&self, booked_on: String) -> BankLine {
        BankLine {
            reference: self.bank_ref.clone(),
            booked_on,
            direction: Direction::Credit,
            amount_satang: self.amount_satang,
            counterparty_name: self.payer_name.clone(),
            counterparty_account: self.payer_account.clone(),
            ref1: self.ref1.clone(),
            ref2: self.ref2.clone(),
            description: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"bank_ref":"KB1","amount":"1500.00","paid_at_ms":1765000000000,"ref1":"U00000001","ref2":"DEP1","payer_name":"SOMCHAI JAIDEE"}"#;

    #[test]
    fn a_signed_notification_parses() {
        let n = verify_and_parse(b"s3cret", BODY, Some(&sign(b"s3cret", BODY))).unwrap();
        assert_eq!((n.bank_ref.as_str(), n.amount_satang, n.ref2.as_deref()), ("KB1", 150_000, Some("DEP1")));
        assert_eq!(n.to_line("2025-12-06".into()).amount_satang, 150_000);
    }

    #[test]
    fn refusals() {
        let good = sign(b"s3cret", BODY);
        assert_eq!(verify_and_parse(b"other", BODY, Some(&good)), Err(CallbackError::BadSignature));
        assert_eq!(verify_and_parse(b"s3cret", BODY, None), Err(CallbackError::BadSignature));
        assert_eq!(verify_and_parse(b"s3cret", BODY, Some("zz")), Err(CallbackError::BadSignature));
        let tampered = String::from_utf8(BODY.to_vec()).unwrap().replace("1500.00", "9500.00");
        assert_eq!(verify_and_parse(b"s3cret", tampered.as_bytes(), Some(&good)), Err(CallbackError::BadSignature));
        for body in [
            &br#"{"bank_ref":"","amount":"1","paid_at_ms":1}"#[..],
            br#"{"bank_ref":"a","amount":"-1","paid_at_ms":1}"#,
            br#"{"bank_ref":"a","amount":"1","paid_at_ms":1,"x":1}"#,
            b"not json",
        ] {
            assert!(matches!(verify_and_parse(b"k", body, Some(&sign(b"k", body))), Err(CallbackError::Malformed(_))), "{}", String::from_utf8_lossy(body));
        }
        assert_eq!(verify_and_parse(b"k", &[b' '; MAX_BODY_BYTES + 1], None), Err(CallbackError::TooLarge));
    }
}
