//! Passwords (argon2id), TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step), random tokens and
//! their SHA-256. Nothing here logs a password, a code or a token.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

/// A fresh random token: 32 bytes as 64 hex digits.
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).expect("the OS random source works");
    hex::encode(bytes)
}

/// A session's CSRF token, derived from its cookie token: the database keeps only the SHA-256
/// of either, so neither can be read back from it, and the server can still tell the browser
/// its CSRF token (`me`) from the cookie it sends.
pub fn csrf_of(session_token: &str) -> String {
    sha256_hex(&format!("csrf:{session_token}"))
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
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret.to_vec(), Some("talat".into()), account.to_string())
        .expect("a 160-bit secret and a plain account name are valid")
}

/// (base32 secret, otpauth:// URL) for an authenticator app.
pub fn totp_setup(secret: &[u8], account: &str) -> (String, String) {
    let t = totp(secret, account);
    (Secret::Raw(secret.to_vec()).to_encoded().to_string(), t.get_url())
}

/// The otpauth URI as a QR code, a base64 PNG an authenticator app scans from the screen.
pub fn totp_qr_png_base64(secret: &[u8], account: &str) -> Result<String, String> {
    totp(secret, account).get_qr_base64()
}

/// Backup codes per customer: each works once in place of a 2FA code.
pub const BACKUP_CODES: usize = 10;
/// Crockford's base32: no I, L, O or U, and a misread O, I or L is taken as 0 or 1 when typed.
const BACKUP_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `n` fresh backup codes, `XXXXX-XXXXX` (50 bits each).
pub fn backup_codes(n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let mut bytes = [0u8; 10];
            getrandom::getrandom(&mut bytes).expect("the OS random source works");
            let chars: String = bytes.iter().map(|b| BACKUP_ALPHABET[(*b & 31) as usize] as char).collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// A backup code as typed (any case, with or without the dash or spaces) in its stored form.
pub fn normalise_backup_code(typed: &str) -> Option<String> {
    let chars: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    (chars.len() == 10 && chars.bytes().all(|b| BACKUP_ALPHABET.contains(&b))).then(|| format!("{}-{}", &chars[..5], &chars[5..]))
}

/// Seconds per TOTP time step.
pub const TOTP_STEP_S: u64 = 30;

/// The time step (Unix seconds / 30) that `code` is the code of, checked at Unix time `now_s`
/// against the current step and one either side; `None` for a wrong code. If a code happens to
/// be right for two of them, the later step is returned (the one that uses up more). Pure: the
/// caller refuses a step that is not later than the last one used (RFC 6238 §5.2).
pub fn totp_step(secret: &[u8], code: &str, now_s: u64) -> Option<u64> {
    if !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let t = totp(secret, "x");
    let now = now_s / TOTP_STEP_S;
    (now.saturating_sub(1)..=now + 1).rev().find(|step| bool::from(t.generate(step * TOTP_STEP_S).as_bytes().ct_eq(code.as_bytes())))
}

#[cfg(test)]
mod tests {

    #[test]
    fn backup_codes_are_distinct_and_read_back_as_typed() {
        let codes = super::backup_codes(super::BACKUP_CODES);
        assert_eq!(codes.len(), 10);
        assert_eq!(codes.iter().collect::<std::collections::BTreeSet<_>>().len(), 10);
        for c in &codes {
            assert_eq!(super::normalise_backup_code(c).as_deref(), Some(c.as_str()));
            assert_eq!(super::normalise_backup_code(&c.to_lowercase().replace('-', " ")).as_deref(), Some(c.as_str()));
        }
        assert_eq!(super::normalise_backup_code("ABCDE-FGHIO").as_deref(), Some("ABCDE-FGH10"));
        assert_eq!(super::normalise_backup_code("123456"), None);
        assert_eq!(super::normalise_backup_code("ABCDE-FGHU0"), None, "U is not in the alphabet");
    }
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
        assert!(totp_step(&secret, &t.generate(now), now).is_some());
        assert!(totp_step(&secret, &t.generate(now - 30), now).is_some());
        assert!(totp_step(&secret, &t.generate(now + 30), now).is_some());
        assert!(totp_step(&secret, &t.generate(now - 90), now).is_none());
        assert!(totp_step(&secret, "12345", now).is_none());
        assert!(totp_step(&secret, "1234567", now).is_none());
        assert!(totp_step(&secret, "12345a", now).is_none());
    }

    /// A secret whose codes for `steps` are all different (so each code matches exactly one
    /// step), found deterministically.
    fn distinct_secret(steps: &[u64]) -> Vec<u8> {
        (0u8..)
            .map(|n| vec![n; 20])
            .find(|s| {
                let t = totp(s, "a");
                let codes: Vec<String> = steps.iter().map(|k| t.generate(k * TOTP_STEP_S)).collect();
                codes.iter().enumerate().all(|(i, c)| !codes[..i].contains(c))
            })
            .unwrap()
    }

    #[test]
    fn totp_step_is_the_step_the_code_belongs_to_within_one_either_side() {
        // Step 56_666_667 runs from Unix second 1_700_000_010 to 1_700_000_039.
        let step = 56_666_667u64;
        let start = step * TOTP_STEP_S;
        assert_eq!(start, 1_700_000_010);
        let secret = distinct_secret(&[step - 3, step - 2, step - 1, step, step + 1, step + 2, step + 3, 0, 1]);
        let t = totp(&secret, "a");
        let code = |k: u64| t.generate(k * TOTP_STEP_S);
        for now in [start, start + 20, start + TOTP_STEP_S - 1] {
            assert_eq!(totp_step(&secret, &code(step), now), Some(step), "now {now}");
            assert_eq!(totp_step(&secret, &code(step - 1), now), Some(step - 1), "previous step, now {now}");
            assert_eq!(totp_step(&secret, &code(step + 1), now), Some(step + 1), "next step, now {now}");
            assert_eq!(totp_step(&secret, &code(step - 2), now), None, "two steps back, now {now}");
            assert_eq!(totp_step(&secret, &code(step + 2), now), None, "two steps ahead, now {now}");
        }
        // The window edges in seconds: the previous step's code is good until the current step
        // ends, the next step's code from the first second of the current step.
        assert_eq!(totp_step(&secret, &code(step - 1), start + TOTP_STEP_S), None, "one second too late");
        assert_eq!(totp_step(&secret, &code(step + 1), start - 1), None, "one second too early");
        assert_eq!(totp_step(&secret, &code(step + 1), start + 2 * TOTP_STEP_S - 1), Some(step + 1), "now the current step");
        // Step 0: no step -1 to look at, and no underflow.
        assert_eq!(totp_step(&secret, &code(0), 5), Some(0));
        assert_eq!(totp_step(&secret, &code(1), 5), Some(1));
    }
}
