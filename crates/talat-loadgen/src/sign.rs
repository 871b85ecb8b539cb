//! Request signing (reference §7.1): `X-BTK-SIGN` is the lowercase-hex HMAC-SHA256, keyed with
//! the API secret, of `timestamp + METHOD + path(+?query) + raw body`, and the demo load users'
//! credentials.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The credentials of demo load user `index`: `(api_key, secret)`, each the lowercase hex of a
/// SHA-256 — `api_key = sha256("talat-demo-load-key:" + index)`,
/// `secret = sha256("talat-demo-load-secret:" + index)`.
///
/// This exists **only for demo exchanges and load tests**: `talat serve` in demo mode
/// provisions funded users with exactly these credentials so that `talat loadgen` can sign as
/// them without any exchange of secrets. Anyone can compute them, so a real deployment must
/// never create such users.
pub fn demo_load_credentials(index: u32) -> (String, String) {
    let key = Sha256::digest(format!("talat-demo-load-key:{index}"));
    let secret = Sha256::digest(format!("talat-demo-load-secret:{index}"));
    (hex_string(&key), hex_string(&secret))
}

/// One user's signing key. The HMAC state after absorbing the key is kept, so each signature
/// costs a clone and the message hashing, not the key schedule again.
#[derive(Clone)]
pub struct Signer {
    keyed: HmacSha256,
}

impl Signer {
    pub fn new(secret: &[u8]) -> Signer {
        Signer { keyed: HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length") }
    }

    /// The signature of one request, as 64 lowercase hex digits.
    pub fn sign(&self, timestamp_ms: &[u8], method: &str, target: &str, body: &[u8]) -> [u8; 64] {
        let mut mac = self.keyed.clone();
        mac.update(timestamp_ms);
        mac.update(method.as_bytes());
        mac.update(target.as_bytes());
        mac.update(body);
        let digest = mac.finalize().into_bytes();
        let mut hex = [0u8; 64];
        write_hex(&digest, &mut hex);
        hex
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes` into `out` (twice as long).
pub fn write_hex(bytes: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), bytes.len() * 2);
    for (byte, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = HEX_DIGITS[(byte >> 4) as usize];
        pair[1] = HEX_DIGITS[(byte & 0x0f) as usize];
    }
}

fn hex_string(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    write_hex(bytes, &mut out);
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// Decimal digits of `n` at the end of `buf`, without allocating (timestamps, ids).
pub fn format_u64(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = n;
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// Wall-clock milliseconds since the Unix epoch, for `X-BTK-TIMESTAMP`.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_whole(secret: &[u8], message: &[u8]) -> String {
        let hex = Signer::new(secret).sign(message, "", "", b"");
        String::from_utf8(hex.to_vec()).unwrap()
    }

    /// RFC 4231 test cases 1 and 2 check the primitive.
    #[test]
    fn hmac_sha256_primitive_matches_rfc_4231() {
        assert_eq!(sign_whole(&[0x0b; 20], b"Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        assert_eq!(sign_whole(b"Jefe", b"what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    /// The assembled message is timestamp + METHOD + target + body, nothing between them.
    /// Expected values were computed independently (Python's `hmac` over the whole string).
    #[test]
    fn assembled_requests_sign_as_the_reference_rule_says() {
        let signer = Signer::new(b"loadgen-secret");
        let body = br#"{"sym":"BTC_THB","amt":11.5,"rat":3500000.01,"typ":"limit"}"#;
        let place = signer.sign(b"1699376552354", "POST", "/api/v3/market/place-bid", body);
        assert_eq!(&place, b"252b0be9356646f55efd316816225b6a39f2bc5d0a6df1ef1d8ea2ed22a30be3");
        let get = signer.sign(b"1699381086593", "GET", "/api/v3/market/my-open-orders?sym=BTC_THB", b"");
        assert_eq!(&get, b"4f3212d56d4d313c834bfe661fc5c36c1b1f5f0f867d5a90a91e5f4ce6e56f93");
        // Splitting differently changes nothing: only the concatenation is signed.
        assert_eq!(signer.sign(b"1699381086593GET", "/api/v3/market/", "my-open-orders?sym=BTC_THB", b""), get);
    }

    #[test]
    fn demo_credentials_are_sha256_hex_of_the_documented_strings() {
        // sha256("talat-demo-load-key:0") and sha256("talat-demo-load-secret:0"), computed
        // independently.
        let (key, secret) = demo_load_credentials(0);
        assert_eq!(key, "33ce7045b693aab7c4cec115b74253027810b77863e48dee66750845a0bbeaf7");
        assert_eq!(secret, "36c9e4a1e41297e9be2c7ee6644489a53deb17ad9fc508f8ea02eb6c2706192a");
        let (key, secret) = demo_load_credentials(999);
        assert_eq!(key, "c99a6e22643f7d9121ad43b78bffbbc61cc7891a5fee6aadc50d43011efdace9");
        assert_eq!(secret, "7d03844675a9abc9b27a324147d3528dd901b19c785d852a29efa35c350a0f1b");
    }

    #[test]
    fn u64_formats_without_allocating() {
        let mut buf = [0u8; 20];
        assert_eq!(format_u64(0, &mut buf), b"0");
        assert_eq!(format_u64(1699376552354, &mut buf), b"1699376552354");
        assert_eq!(format_u64(u64::MAX, &mut buf), u64::MAX.to_string().as_bytes());
    }
}
