//! Passwords (argon2id), TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step), random tokens and
//! their SHA-256. Nothing here logs a password, a code or a token.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

/// A fresh random token: 32 bytes as 64 hex digits.
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).expect("the OS random source works");
    hex::encode(bytes)
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// argon2id with the crate's default parameters. CPU-heavy: call from a blocking thread.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).expect("the OS random source works");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 with default parameters hashes").to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the account does not exist, so that the answer takes as long
/// as for a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password"))
}

/// Runs argon2 off the async threads.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("a hashing task does not panic")
}

/// A fresh 160-bit TOTP secret (raw bytes).
pub fn new_totp_secret() -> Vec<u8> {
    let mut bytes = vec![0u8; 20];
    getrandom::getrandom(&mut bytes).expect("the OS random source works");
    bytes
}

fn totp(secret: &[u8], account: &str) -> TOTP {
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret.to_vec(), Some("talat".into()), account.to_string()).expect("a 160-bit secret and a plain account name are valid")
}

/// (base32 secret, otpauth:// URL) for an authenticator app.
pub fn totp_setup(secret: &[u8], account: &str) -> (String, String) {
    let t = totp(secret, account);
    (Secret::Raw(secret.to_vec()).to_encoded().to_string(), t.get_url())
}

/// Whether `code` is right now (or one step either side), at Unix time `now_s`.
pub fn totp_ok(secret: &[u8], code: &str, now_s: u64) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) && totp(secret, "x").check(code, now_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn totp_accepts_one_step_either_side_only() {
        let secret = new_totp_secret();
        let t = totp(&secret, "a");
        let now = 1_700_000_000;
        assert!(totp_ok(&secret, &t.generate(now), now));
        assert!(totp_ok(&secret, &t.generate(now - 30), now));
        assert!(totp_ok(&secret, &t.generate(now + 30), now));
        assert!(!totp_ok(&secret, &t.generate(now - 90), now));
        assert!(!totp_ok(&secret, "12345", now));
    }
}
