//! A new customer's account rules: what counts as an email address, what a password must be,
//! and the one next step the customer is shown on the way to trading.

/// An email address as sign-up takes it (already trimmed and lower-cased): one `@`, a local
/// part, a dotted domain that neither starts nor ends with a dot, no space or control
/// character, at most 254 bytes. Deliverability is proven by the verification mail, not here.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

/// Shortest and longest password (characters, bytes).
pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_BYTES: usize = 256;

/// Why a password is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password needs at least 10 characters")]
    TooShort,
    #[error("the password may have at most 256 bytes")]
    TooLong,
    #[error("the password must not be all digits")]
    AllDigits,
}

/// A password's length (at least [`PASSWORD_MIN_CHARS`] characters, at most
/// [`PASSWORD_MAX_BYTES`] bytes: argon2 hashes whatever it is given) and not all digits.
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(PasswordError::TooLong);
    }
    if password.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PasswordError::AllDigits);
    }
    Ok(())
}

/// Where a customer stands on the way to trading, as the KYC status page needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Journey<'a> {
    pub email_verified: bool,
    pub admitted: bool,
    pub kyc_level: u8,
    /// The status of the latest level-1 and level-2 applications, if any.
    pub level1_status: Option<&'a str>,
    pub level2_status: Option<&'a str>,
    pub knowledge_passed: bool,
}

/// The one next step shown to the customer: verify the email, wait for admission, submit or
/// complete level 1 (information asked for, the knowledge test, the review), then level 2.
pub fn next_step(j: &Journey<'_>) -> &'static str {
    if !j.email_verified {
        return "verify_email";
    }
    if !j.admitted {
        return "wait_admission";
    }
    match j.kyc_level {
        0 => match j.level1_status {
            None | Some("rejected") => "submit_level1",
            Some("more_info") => "provide_more_info",
            _ if !j.knowledge_passed => "knowledge_test",
            Some("submitted") => "wait_review",
            _ => "done_level1",
        },
        1 => match j.level2_status {
            None => "done_level1",
            Some("rejected") => "submit_level2",
            Some("more_info") => "provide_more_info",
            Some("submitted") => "wait_review",
            _ => "done",
        },
        _ => "done",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last+tag@example.co.th"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in ["", "a", "@b.co", "a@b", "a@.b.co", "a@b.co.", "a b@c.co", "a@b@c.co", "a@b.co\n"] {
            assert!(!valid_email(bad), "{bad:?}");
        }
        assert!(!valid_email(&format!("{}@b.co", "a".repeat(250))), "longer than 254 bytes");
    }

    #[test]
    fn passwords() {
        assert_eq!(check_password("short"), Err(PasswordError::TooShort));
        assert_eq!(check_password("ตลาดตลาดตลาด"), Ok(()), "characters, not bytes, count toward the minimum");
        assert_eq!(check_password(&"x".repeat(257)), Err(PasswordError::TooLong));
        assert_eq!(check_password("0123456789012"), Err(PasswordError::AllDigits));
        assert_eq!(check_password("correct horse"), Ok(()));
        assert_eq!(PasswordError::TooShort.to_string(), "the password needs at least 10 characters");
    }

    #[test]
    fn the_next_step_follows_the_journey() {
        let start = Journey { email_verified: false, admitted: false, kyc_level: 0, level1_status: None, level2_status: None, knowledge_passed: false };
        assert_eq!(next_step(&start), "verify_email");
        let verified = Journey { email_verified: true, ..start };
        assert_eq!(next_step(&verified), "wait_admission");
        let admitted = Journey { admitted: true, ..verified };
        assert_eq!(next_step(&admitted), "submit_level1");
        assert_eq!(next_step(&Journey { level1_status: Some("rejected"), ..admitted }), "submit_level1");
        assert_eq!(next_step(&Journey { level1_status: Some("more_info"), ..admitted }), "provide_more_info");
        assert_eq!(next_step(&Journey { level1_status: Some("submitted"), ..admitted }), "knowledge_test");
        let tested = Journey { knowledge_passed: true, ..admitted };
        assert_eq!(next_step(&Journey { level1_status: Some("submitted"), ..tested }), "wait_review");
        assert_eq!(next_step(&Journey { level1_status: Some("approved"), ..tested }), "done_level1");
        let level1 = Journey { kyc_level: 1, ..tested };
        assert_eq!(next_step(&level1), "done_level1");
        assert_eq!(next_step(&Journey { level2_status: Some("rejected"), ..level1 }), "submit_level2");
        assert_eq!(next_step(&Journey { level2_status: Some("submitted"), ..level1 }), "wait_review");
        assert_eq!(next_step(&Journey { level2_status: Some("approved"), ..level1 }), "done");
        assert_eq!(next_step(&Journey { kyc_level: 2, ..tested }), "done");
    }
}
