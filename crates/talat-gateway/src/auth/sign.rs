//! The request signature (reference §7.1–7.2): lowercase-hex HMAC-SHA256 over
//! `timestamp + METHOD + raw request target + raw body`, compared in constant time. The target
//! and body are taken exactly as received — re-serialising either breaks real clients.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The lowercase-hex signature of one request.
pub fn sign(secret: &[u8], timestamp: &str, method: &str, target: &str, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, method, target, body).finalize().into_bytes())
}

/// Whether `signature_hex` signs the request. Constant-time in the signature's content; a
/// signature that is not 64 hex digits is simply wrong.
pub fn verify(secret: &[u8], timestamp: &str, method: &str, target: &str, body: &[u8], signature_hex: &str) -> bool {
    let mut expected = [0u8; 32];
    if signature_hex.len() != 64 || hex::decode_to_slice(signature_hex.to_ascii_lowercase(), &mut expected).is_err() {
        return false;
    }
    mac(secret, timestamp, method, target, body).verify_slice(&expected).is_ok()
}

/// The private WebSocket's `auth` signature: over the timestamp alone (§7.4).
pub fn verify_timestamp_only(secret: &[u8], timestamp: &str, signature_hex: &str) -> bool {
    verify(secret, timestamp, "", "", b"", signature_hex)
}

fn mac(secret: &[u8], timestamp: &str, method: &str, target: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.as_bytes());
    mac.update(method.as_bytes());
    mac.update(target.as_bytes());
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2: the primitive itself.
    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        let got = sign(b"Jefe", "", "", "what do ya want ", b"for nothing?");
        assert_eq!(got, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    /// The reference's example signed strings (§7.1), each split the way the server sees the
    /// request, must sign to the same value as the whole string.
    #[test]
    fn the_reference_examples_sign_as_their_concatenation() {
        let secret = b"talat-test-secret";
        let cases: [(&str, &str, &str, &str); 4] = [
            ("1699381086593", "GET", "/api/v3/market/my-order-history?sym=BTC_THB", ""),
            ("1699376552354", "POST", "/api/v3/market/place-bid", r#"{"sym":"thb_btc","amt": 1000,"rat": 10,"typ": "limit"}"#),
            ("1699381086593", "GET", "/api/v4/crypto/addresses?symbol=ATOM", ""),
            ("1699376552354", "POST", "/api/v4/crypto/addresses", r#"{"symbol":"ATOM","network": "ATOM"}"#),
        ];
        for (ts, method, target, body) in cases {
            let whole = format!("{ts}{method}{target}{body}");
            let expected = sign(secret, "", "", "", whole.as_bytes());
            assert_eq!(sign(secret, ts, method, target, body.as_bytes()), expected);
            assert!(verify(secret, ts, method, target, body.as_bytes(), &expected));
            assert!(verify(secret, ts, method, target, body.as_bytes(), &expected.to_uppercase()));
            // Any change to what was signed fails: spacing of the body, the query, the time.
            let respaced = body.replace(": ", ":");
            if respaced != body {
                assert!(!verify(secret, ts, method, target, respaced.as_bytes(), &expected));
            }
            assert!(!verify(secret, "1699381086594", method, target, body.as_bytes(), &expected));
            assert!(!verify(b"other", ts, method, target, body.as_bytes(), &expected));
        }
    }

    #[test]
    fn malformed_signatures_are_wrong_not_errors() {
        for bad in ["", "zz", &"g".repeat(64), &"a".repeat(63), &"a".repeat(66)] {
            assert!(!verify(b"k", "1", "GET", "/", b"", bad));
        }
    }
}
