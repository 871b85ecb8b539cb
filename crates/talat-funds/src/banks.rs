//! Thai banks a customer can register for THB withdrawals: the three-digit bank code (as in
//! PromptPay tag 29/04 and interbank transfers), names in English and Thai, and how many digits
//! an account number has at that bank.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Bank {
    pub code: &'static str,
    pub name: &'static str,
    pub name_th: &'static str,
    /// Accepted account-number lengths, digits only.
    pub digits: &'static [usize],
}

pub const BANKS: &[Bank] = &[
    Bank { code: "002", name: "Bangkok Bank", name_th: "ธนาคารกรุงเทพ", digits: &[10] },
    Bank { code: "004", name: "Kasikornbank", name_th: "ธนาคารกสิกรไทย", digits: &[10] },
    Bank { code: "006", name: "Krungthai Bank", name_th: "ธนาคารกรุงไทย", digits: &[10] },
    Bank { code: "011", name: "TMBThanachart Bank", name_th: "ธนาคารทหารไทยธนชาต", digits: &[10] },
    Bank { code: "014", name: "Siam Commercial Bank", name_th: "ธนาคารไทยพาณิชย์", digits: &[10] },
    Bank { code: "022", name: "CIMB Thai Bank", name_th: "ธนาคารซีไอเอ็มบี ไทย", digits: &[10] },
    Bank { code: "024", name: "United Overseas Bank (Thai)", name_th: "ธนาคารยูโอบี", digits: &[10] },
    Bank { code: "025", name: "Bank of Ayudhya (Krungsri)", name_th: "ธนาคารกรุงศรีอยุธยา", digits: &[10] },
    Bank { code: "030", name: "Government Savings Bank", name_th: "ธนาคารออมสิน", digits: &[12] },
    Bank { code: "033", name: "Government Housing Bank", name_th: "ธนาคารอาคารสงเคราะห์", digits: &[12] },
    Bank {
        code: "034", name: "Bank for Agriculture and Agricultural Cooperatives", name_th: "ธนาคารเพื่อการเกษตรและสหกรณ์การเกษตร", digits: &[12]
    },
    Bank {
        code: "066", name: "Islamic Bank of Thailand", name_th: "ธนาคารอิสลามแห่งประเทศไทย", digits: &[10]
    },
    Bank { code: "067", name: "TISCO Bank", name_th: "ธนาคารทิสโก้", digits: &[10] },
    Bank { code: "069", name: "Kiatnakin Phatra Bank", name_th: "ธนาคารเกียรตินาคินภัทร", digits: &[10] },
    Bank { code: "073", name: "Land and Houses Bank", name_th: "ธนาคารแลนด์ แอนด์ เฮ้าส์", digits: &[10] },
];

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("unknown bank code {0}")]
    UnknownBank(String),
    #[error("an account number at {bank} has {expected} digits; this one has {found}")]
    WrongLength { bank: &'static str, expected: String, found: usize },
    #[error("an account number has digits only (dashes and spaces are ignored)")]
    NotDigits,
}

pub fn bank(code: &str) -> Option<&'static Bank> {
    BANKS.iter().find(|b| b.code == code.trim())
}

/// The bank's English name, or "unknown bank" for a code no longer listed.
pub fn bank_name(code: &str) -> &'static str {
    bank(code).map_or("unknown bank", |b| b.name)
}

/// The account number with dashes and spaces removed, checked against the bank's format.
pub fn normalise_account(code: &str, account: &str) -> Result<(&'static Bank, String), AccountError> {
    let bank = bank(code).ok_or_else(|| AccountError::UnknownBank(code.trim().chars().take(8).collect()))?;
    let digits: String = account.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AccountError::NotDigits);
    }
    if !bank.digits.contains(&digits.len()) {
        let expected = bank.digits.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" or ");
        return Err(AccountError::WrongLength { bank: bank.name, expected, found: digits.len() });
    }
    Ok((bank, digits))
}

/// `******7890`: only the last four digits shown (§12.3's masking).
pub fn mask(account: &str) -> String {
    let keep = account.len().saturating_sub(4);
    format!("{}{}", "*".repeat(keep.min(6)), &account[keep..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_checked_per_bank() {
        assert_eq!(normalise_account("004", "726-2-10909-9").unwrap().1, "7262109099");
        assert!(matches!(normalise_account("030", "7262109099"), Err(AccountError::WrongLength { found: 10, .. })));
        assert_eq!(normalise_account("030", "0201 2345 6789").unwrap().1, "020123456789");
        assert_eq!(normalise_account("999", "1"), Err(AccountError::UnknownBank("999".into())));
        assert_eq!(normalise_account("004", "72621O9099"), Err(AccountError::NotDigits));
        assert_eq!(mask("1234567890"), "******7890");
        let codes: std::collections::BTreeSet<_> = BANKS.iter().map(|b| b.code).collect();
        assert_eq!(codes.len(), BANKS.len(), "codes are unique");
    }
}
