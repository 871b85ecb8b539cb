//! PromptPay / Thai QR payloads (EMVCo merchant-presented TLV), generated and parsed.
//!
//! A payload is a run of fields, each a two-digit tag, a two-digit length and the value
//! (exchange-domain.md §3.1). Tag `00` (format, `01`) comes first and tag `63` (the CRC) last;
//! the CRC is CRC-16/CCITT-FALSE over everything before its value, `6304` included, written as
//! four upper-case hex digits.
//!
//! * [`generate`] writes the fields in ascending tag order — `00`, `01`, `29` or `30`, `53`,
//!   `54` (dynamic QR only), `58`, `63` — so that one payload always gives the same bytes (the
//!   tag order changes the CRC). [`encode_fields`] writes fields in any given order, for tests
//!   and for reproducing other generators' bytes.
//! * [`parse`] accepts any order between `00` and `63`, checks every length, the CRC and each
//!   value it reads; fields it does not need (`52` merchant category, `59`–`62` name, city,
//!   postcode, additional data, `64`, other schemes' `02`–`28` …) are skipped, but a repeated tag
//!   is refused. Lengths count characters, as EMVCo does, so a UTF-8 merchant name in another
//!   language (tag `64`) is read too; the CRC covers the UTF-8 bytes.
//!
//! Values are checked the same way in both directions: a mobile proxy is `0066` and nine digits,
//! a national or tax ID 13 digits, an e-wallet ID 15 digits, a bank code 3 digits and its account
//! 1–43 digits, a biller ID 1–15 digits, Ref1 and Ref2 1–20 upper-case letters or digits (the
//! charset is exchange-domain's [U] assumption: what Thai banks' bill-payment APIs accept).
//! The static QR (`01` = `11`) has no amount; the dynamic one (`12`) must have one, more than
//! zero and at most 9,999,999,999.99 THB, written with two decimals.

use crate::{format_thb, parse_thb, Satang};
use std::fmt::Write as _;

/// The most characters a Thai QR payload may have (EMVCo's limit); also bounds [`parse`]'s work.
pub const MAX_PAYLOAD_CHARS: usize = 512;
/// 9,999,999,999.99 THB: the largest amount tag `54` carries (13 characters).
pub const MAX_AMOUNT_SATANG: Satang = 999_999_999_999;

/// Application IDs of the two PromptPay templates (sub-tag `00`).
const AID_TRANSFER: &str = "A000000677010111";
const AID_BILL_PAYMENT: &str = "A000000677010112";

const TAG_FORMAT: u8 = 0;
const TAG_INITIATION: u8 = 1;
const TAG_TRANSFER: u8 = 29;
const TAG_BILL_PAYMENT: u8 = 30;
const TAG_CURRENCY: u8 = 53;
const TAG_AMOUNT: u8 = 54;
const TAG_COUNTRY: u8 = 58;
const TAG_CRC: u8 = 63;

/// Whom the QR pays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A mobile number as its 13-digit proxy, `0066` and nine digits (see [`mobile_proxy`]).
    Mobile(String),
    /// A national ID or tax ID, 13 digits.
    NationalId(String),
    /// An e-wallet ID, 15 digits.
    EWallet(String),
    /// A bank account: the 3-digit bank code and up to 43 digits of account number.
    BankAccount { bank: String, account: String },
    /// A biller (tag 30): tax ID and 2-digit suffix (≤ 15 digits), Ref1 and an optional Ref2.
    BillPayment { biller_id: String, ref1: String, ref2: Option<String> },
}

/// A Thai QR payment request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    pub target: Target,
    /// `None`: a static, reusable QR without amount (initiation `11`); `Some`: a dynamic QR for
    /// exactly this amount (initiation `12`).
    pub amount_satang: Option<Satang>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PromptPayError {
    #[error("{0:?} is not a Thai mobile number (expected 10 digits such as 081-234-5678, or +66 and 9 digits)")]
    BadMobile(String),
    #[error("{field} {value:?}: {rule}")]
    Invalid { field: &'static str, value: String, rule: &'static str },
    #[error("the payload has {0} characters; a Thai QR holds at most {max}", max = MAX_PAYLOAD_CHARS)]
    TooLong(usize),
    #[error("the payload is truncated: the field at character {at} runs past the end")]
    Truncated { at: usize },
    #[error("character {at}: expected a field's two-digit tag and two-digit length")]
    BadField { at: usize },
    #[error("the payload must begin with tag 00 (payload format), not tag {0:02}")]
    FormatNotFirst(u8),
    #[error("the payload must end with tag 63 (CRC) of length 04")]
    CrcNotLast,
    #[error("CRC mismatch: the payload's content gives {expected}, it carries {found:?}")]
    BadCrc { expected: String, found: String },
    #[error("tag {0:02} is missing")]
    MissingTag(u8),
    #[error("tag {0:02} appears more than once")]
    DuplicateTag(u8),
}

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final xor.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

/// The PromptPay proxy of a Thai mobile number: `081-234-5678` → `0066812345678`.
///
/// Spaces, dashes, dots, brackets and `+` are ignored; what remains must be the 10-digit national
/// form (leading `0`, dropped and replaced by `66`), the 11-digit international form (`66…`) or
/// the 13-digit proxy itself (`0066…`). Anything else — a landline's 9 digits, letters — is
/// refused rather than guessed at.
pub fn mobile_proxy(input: &str) -> Result<String, PromptPayError> {
    let bad = || PromptPayError::BadMobile(shown(input));
    // A phone number written with generous separators is still short; this bounds the loop.
    if input.len() > 40 {
        return Err(bad());
    }
    let mut digits = String::with_capacity(13);
    for c in input.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '+' => {}
            _ => return Err(bad()),
        }
    }
    let national = match digits.len() {
        10 => digits.strip_prefix('0'),
        11 => digits.strip_prefix("66"),
        13 => digits.strip_prefix("0066"),
        _ => None,
    };
    national.map(|nine| format!("0066{nine}")).ok_or_else(bad)
}

/// The fields as TLV in the given order, then `6304` and the CRC over all of it.
///
/// # Panics
/// If a tag is above 99 or a value longer than 99 characters: a two-digit length cannot say so,
/// and every caller builds its fields from checked values ([`generate`] validates first).
pub fn encode_fields(fields: &[(u8, String)]) -> String {
    let mut out = String::with_capacity(fields.iter().map(|(_, v)| v.len() + 4).sum::<usize>() + 8);
    for (tag, value) in fields {
        push_field(&mut out, *tag, value);
    }
    out.push_str("6304");
    let crc = crc16_ccitt_false(out.as_bytes());
    // Writing to a String cannot fail.
    let _ = write!(out, "{crc:04X}");
    out
}

/// The payload for `p`, fields in ascending tag order, after checking every value.
pub fn generate(p: &Payload) -> Result<String, PromptPayError> {
    validate_target(&p.target)?;
    let (initiation, amount) = match p.amount_satang {
        None => ("11", None),
        Some(satang) => ("12", Some(checked_amount(satang)?)),
    };
    let (merchant_tag, merchant) = merchant_field(&p.target);
    let mut fields =
        vec![(TAG_FORMAT, "01".to_string()), (TAG_INITIATION, initiation.to_string()), (merchant_tag, merchant), (TAG_CURRENCY, "764".to_string())];
    if let Some(amount) = amount {
        fields.push((TAG_AMOUNT, amount));
    }
    fields.push((TAG_COUNTRY, "TH".to_string()));
    Ok(encode_fields(&fields))
}

/// Reads a payload: its structure, CRC, currency, country, target and amount.
pub fn parse(text: &str) -> Result<Payload, PromptPayError> {
    let count = text.chars().count();
    if count > MAX_PAYLOAD_CHARS {
        return Err(PromptPayError::TooLong(count));
    }
    let chars: Vec<char> = text.chars().collect();
    let fields = split_fields(&chars, 0)?;
    check_frame(&fields)?;
    check_crc(text, &fields)?;
    let tags = Tags::index(fields).map_err(PromptPayError::DuplicateTag)?;
    expect_value(&tags, TAG_CURRENCY, "tag 53 (currency)", "764", "must be 764 (THB)")?;
    expect_value(&tags, TAG_COUNTRY, "tag 58 (country)", "TH", "must be TH")?;
    let target = parse_target(&tags)?;
    let amount_satang = parse_amount(&tags)?;
    Ok(Payload { target, amount_satang })
}

/// One TLV field appended to `out`.
fn push_field(out: &mut String, tag: u8, value: &str) {
    let length = value.chars().count();
    assert!(tag <= 99 && length <= 99, "a TLV field has a two-digit tag and length (tag {tag}, {length} characters)");
    // Writing to a String cannot fail.
    let _ = write!(out, "{tag:02}{length:02}{value}");
}

fn field(tag: u8, value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    push_field(&mut out, tag, value);
    out
}

/// Tag 29 or 30 and its sub-fields for a (validated) target.
fn merchant_field(target: &Target) -> (u8, String) {
    let transfer = |sub: u8, value: &str| (TAG_TRANSFER, field(0, AID_TRANSFER) + &field(sub, value));
    match target {
        Target::Mobile(proxy) => transfer(1, proxy),
        Target::NationalId(id) => transfer(2, id),
        Target::EWallet(id) => transfer(3, id),
        Target::BankAccount { bank, account } => transfer(4, &format!("{bank}{account}")),
        Target::BillPayment { biller_id, ref1, ref2 } => {
            let mut value = field(0, AID_BILL_PAYMENT) + &field(1, biller_id) + &field(2, ref1);
            if let Some(ref2) = ref2 {
                value.push_str(&field(3, ref2));
            }
            (TAG_BILL_PAYMENT, value)
        }
    }
}

/// A value as shown in an error: at most 40 characters, so that a huge input does not make a
/// huge message.
fn shown(value: &str) -> String {
    if value.chars().count() <= 40 {
        return value.to_string();
    }
    let mut cut: String = value.chars().take(40).collect();
    cut.push('…');
    cut
}

fn invalid(field: &'static str, value: &str, rule: &'static str) -> PromptPayError {
    PromptPayError::Invalid { field, value: shown(value), rule }
}

fn check_digits(field: &'static str, value: &str, lengths: std::ops::RangeInclusive<usize>, rule: &'static str) -> Result<(), PromptPayError> {
    if lengths.contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(invalid(field, value, rule))
    }
}

fn check_reference(field: &'static str, value: &str) -> Result<(), PromptPayError> {
    if (1..=20).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(invalid(field, value, "must be 1 to 20 upper-case letters or digits"))
    }
}

fn validate_target(target: &Target) -> Result<(), PromptPayError> {
    match target {
        Target::Mobile(proxy) => {
            check_digits("mobile proxy", proxy, 13..=13, "must be 0066 and nine digits")?;
            if proxy.starts_with("0066") {
                Ok(())
            } else {
                Err(invalid("mobile proxy", proxy, "must be 0066 and nine digits"))
            }
        }
        Target::NationalId(id) => check_digits("national ID", id, 13..=13, "must be 13 digits"),
        Target::EWallet(id) => check_digits("e-wallet ID", id, 15..=15, "must be 15 digits"),
        Target::BankAccount { bank, account } => {
            check_digits("bank code", bank, 3..=3, "must be 3 digits")?;
            check_digits("bank account", account, 1..=43, "must be 1 to 43 digits")
        }
        Target::BillPayment { biller_id, ref1, ref2 } => {
            check_digits("biller ID", biller_id, 1..=15, "must be 1 to 15 digits")?;
            check_reference("Ref1", ref1)?;
            ref2.as_deref().map_or(Ok(()), |ref2| check_reference("Ref2", ref2))
        }
    }
}

/// The amount as tag 54 writes it, or why it cannot be one.
fn checked_amount(satang: Satang) -> Result<String, PromptPayError> {
    if satang == 0 || satang > MAX_AMOUNT_SATANG {
        return Err(invalid("amount", &format_thb(satang), "must be more than 0 and at most 9999999999.99 THB"));
    }
    Ok(format_thb(satang))
}

/// Splits `chars` into TLV fields; `offset` is where `chars` starts in the whole payload, so
/// that positions in errors are the payload's. At most `chars.len() / 4` fields: bounded.
fn split_fields(chars: &[char], offset: usize) -> Result<Vec<(u8, String)>, PromptPayError> {
    let mut fields = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let header = chars.get(at..at + 4).ok_or(PromptPayError::Truncated { at: offset + at })?;
        let (tag, length) = match (two_digits(&header[0..2]), two_digits(&header[2..4])) {
            (Some(tag), Some(length)) => (tag, usize::from(length)),
            _ => return Err(PromptPayError::BadField { at: offset + at }),
        };
        let value = chars.get(at + 4..at + 4 + length).ok_or(PromptPayError::Truncated { at: offset + at })?;
        fields.push((tag, value.iter().collect()));
        at += 4 + length;
    }
    Ok(fields)
}

fn two_digits(pair: &[char]) -> Option<u8> {
    let tens = pair.first()?.to_digit(10)?;
    let units = pair.get(1)?.to_digit(10)?;
    u8::try_from(tens * 10 + units).ok()
}

/// `00` = `01` first, `63` of four characters last.
fn check_frame(fields: &[(u8, String)]) -> Result<(), PromptPayError> {
    match fields.first() {
        None => return Err(PromptPayError::MissingTag(TAG_FORMAT)),
        Some((TAG_FORMAT, value)) if value == "01" => {}
        Some((TAG_FORMAT, value)) => return Err(invalid("tag 00 (payload format)", value, "must be 01")),
        Some((tag, _)) => return Err(PromptPayError::FormatNotFirst(*tag)),
    }
    match fields.last() {
        Some((TAG_CRC, value)) if value.chars().count() == 4 => Ok(()),
        _ => Err(PromptPayError::CrcNotLast),
    }
}

/// The CRC over everything before the last field's value, compared as text: a lower-case CRC
/// is refused like a wrong one, since the format says upper case.
fn check_crc(text: &str, fields: &[(u8, String)]) -> Result<(), PromptPayError> {
    let found = fields.last().map(|(_, value)| value.as_str()).unwrap_or_default();
    // The CRC value is the payload's last four characters; their bytes end the text.
    let covered = &text[..text.len() - found.len()];
    let expected = format!("{:04X}", crc16_ccitt_false(covered.as_bytes()));
    if found == expected {
        Ok(())
    } else {
        Err(PromptPayError::BadCrc { expected, found: found.to_string() })
    }
}

/// The fields by tag, each at most once.
struct Tags {
    by_tag: Vec<Option<String>>,
}

impl Tags {
    /// Err(tag) when a tag appears twice.
    fn index(fields: Vec<(u8, String)>) -> Result<Tags, u8> {
        let mut by_tag = vec![None; 100];
        for (tag, value) in fields {
            let slot = &mut by_tag[usize::from(tag)];
            if slot.is_some() {
                return Err(tag);
            }
            *slot = Some(value);
        }
        Ok(Tags { by_tag })
    }

    fn get(&self, tag: u8) -> Option<&str> {
        self.by_tag.get(usize::from(tag)).and_then(Option::as_deref)
    }
}

fn expect_value(tags: &Tags, tag: u8, field: &'static str, wanted: &str, rule: &'static str) -> Result<(), PromptPayError> {
    match tags.get(tag) {
        None => Err(PromptPayError::MissingTag(tag)),
        Some(value) if value == wanted => Ok(()),
        Some(value) => Err(invalid(field, value, rule)),
    }
}

/// The target from tag 29 or tag 30 (exactly one of them), validated like [`generate`]'s.
fn parse_target(tags: &Tags) -> Result<Target, PromptPayError> {
    let target = match (tags.get(TAG_TRANSFER), tags.get(TAG_BILL_PAYMENT)) {
        (Some(_), Some(_)) => return Err(invalid("tags 29 and 30", "", "a payload pays one target: a transfer (29) or a bill (30)")),
        (None, None) => return Err(PromptPayError::MissingTag(TAG_TRANSFER)),
        (Some(value), None) => transfer_target(value)?,
        (None, Some(value)) => bill_target(value)?,
    };
    validate_target(&target)?;
    Ok(target)
}

/// The sub-fields of tag 29 or 30, with its application ID checked.
fn sub_fields(value: &str, field: &'static str, aid: &str) -> Result<Tags, PromptPayError> {
    let chars: Vec<char> = value.chars().collect();
    let fields = split_fields(&chars, 0).map_err(|_| invalid(field, value, "its sub-fields are not well-formed TLV"))?;
    let subs = Tags::index(fields).map_err(|_| invalid(field, value, "a sub-tag appears more than once"))?;
    if subs.get(0) != Some(aid) {
        return Err(invalid(field, value, "sub-tag 00 is not PromptPay's application ID"));
    }
    Ok(subs)
}

fn transfer_target(value: &str) -> Result<Target, PromptPayError> {
    const FIELD: &str = "tag 29 (PromptPay transfer)";
    let subs = sub_fields(value, FIELD, AID_TRANSFER)?;
    let present: Vec<u8> = (1..=4).filter(|sub| subs.get(*sub).is_some()).collect();
    let [sub] = present[..] else {
        return Err(invalid(FIELD, value, "must name exactly one of mobile (01), ID (02), e-wallet (03), bank account (04)"));
    };
    let id = subs.get(sub).unwrap_or_default().to_string();
    Ok(match sub {
        1 => Target::Mobile(id),
        2 => Target::NationalId(id),
        3 => Target::EWallet(id),
        _ => match (id.get(..3), id.get(3..)) {
            (Some(bank), Some(account)) => Target::BankAccount { bank: bank.to_string(), account: account.to_string() },
            _ => return Err(invalid("bank account", &id, "must be a 3-digit bank code and the account number")),
        },
    })
}

fn bill_target(value: &str) -> Result<Target, PromptPayError> {
    const FIELD: &str = "tag 30 (bill payment)";
    let subs = sub_fields(value, FIELD, AID_BILL_PAYMENT)?;
    match (subs.get(1), subs.get(2)) {
        (Some(biller_id), Some(ref1)) => {
            Ok(Target::BillPayment { biller_id: biller_id.to_string(), ref1: ref1.to_string(), ref2: subs.get(3).map(str::to_string) })
        }
        _ => Err(invalid(FIELD, value, "must carry the biller ID (01) and Ref1 (02)")),
    }
}

/// Tag 54 against tag 01: a static QR has no amount, a dynamic one has one.
fn parse_amount(tags: &Tags) -> Result<Option<Satang>, PromptPayError> {
    let initiation = tags.get(TAG_INITIATION).ok_or(PromptPayError::MissingTag(TAG_INITIATION))?;
    match (initiation, tags.get(TAG_AMOUNT)) {
        ("11", None) => Ok(None),
        ("12", Some(amount)) => amount_satang(amount).map(Some),
        ("11", Some(_)) => Err(invalid("tag 01 (initiation)", initiation, "a static QR (11) carries no amount (tag 54)")),
        ("12", None) => Err(PromptPayError::MissingTag(TAG_AMOUNT)),
        _ => Err(invalid("tag 01 (initiation)", initiation, "must be 11 (static) or 12 (dynamic)")),
    }
}

/// Digits with at most two decimals (`100`, `100.5`, `100.50`); no sign, spaces or separators.
fn amount_satang(text: &str) -> Result<Satang, PromptPayError> {
    const RULE: &str = "must be a THB amount with at most two decimals, more than 0 and at most 9999999999.99";
    let well_formed = !text.ends_with('.') && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    match parse_thb(text).filter(|_| well_formed) {
        Some(satang) if satang > 0 && satang <= MAX_AMOUNT_SATANG => Ok(satang),
        _ => Err(invalid("tag 54 (amount)", text, RULE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // exchange-domain.md §3.1, pinned byte for byte.
    const A: &str = "00020101021129370016A0000006770101110113006681234567853037645802TH6304823E";
    const B: &str = "00020101021229370016A00000067701011101130066812345678530376454071500.005802TH6304F89B";
    const C: &str = "00020101021229370016A0000006770101110213110170012345653037645406250.505802TH6304DCF8";
    const D: &str = "00020101021230690016A00000067701011201150105546123451010209U000123450313DEP20250101A1530376454075000.005802TH63045A9D";
    const E: &str = "00020101021129370016A000000677010111011300668012345675802TH530376463046197";
    const F: &str = "00020101021229370016A000000677010111011300660000000005802TH530376454044.226304E469";
    const G: &str = "00020101021229370016A0000006770101110413014123456789053037645406100.005802TH6304901D";

    fn mobile(number: &str) -> Target {
        Target::Mobile(mobile_proxy(number).unwrap())
    }

    fn payload(target: Target, amount_satang: Option<Satang>) -> Payload {
        Payload { target, amount_satang }
    }

    fn bill(ref2: Option<&str>) -> Target {
        Target::BillPayment { biller_id: "010554612345101".into(), ref1: "U00012345".into(), ref2: ref2.map(str::to_string) }
    }

    fn bank() -> Target {
        Target::BankAccount { bank: "014".into(), account: "1234567890".into() }
    }

    /// Every vector with what it pays.
    fn vectors() -> Vec<(&'static str, Payload)> {
        vec![
            (A, payload(mobile("081-234-5678"), None)),
            (B, payload(mobile("081-234-5678"), Some(150_000))),
            (C, payload(Target::NationalId("1101700123456".into()), Some(25_050))),
            (D, payload(bill(Some("DEP20250101A1")), Some(500_000))),
            (E, payload(mobile("080-123-4567"), None)),
            (F, payload(mobile("000-000-0000"), Some(422))),
            (G, payload(bank(), Some(10_000))),
        ]
    }

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
    }

    #[test]
    fn mobile_proxies() {
        assert_eq!(mobile_proxy("081-234-5678").unwrap(), "0066812345678");
        assert_eq!(mobile_proxy("0812345678").unwrap(), "0066812345678");
        assert_eq!(mobile_proxy("+66 81 234 5678").unwrap(), "0066812345678");
        assert_eq!(mobile_proxy("(081) 234.5678").unwrap(), "0066812345678");
        assert_eq!(mobile_proxy("0066812345678").unwrap(), "0066812345678");
        assert_eq!(mobile_proxy("000-000-0000").unwrap(), "0066000000000");
        for bad in ["", "02-123-4567", "81-234-5678", "081-234-567x", "1812345678", "6781234567", "00668123456789", "081 234 5678 ext 1", &"0".repeat(60)] {
            assert!(matches!(mobile_proxy(bad), Err(PromptPayError::BadMobile(_))), "{bad}");
        }
    }

    #[test]
    fn generate_pins_vectors_a_to_d_and_g() {
        for (text, p) in vectors() {
            if text != E && text != F {
                assert_eq!(generate(&p).unwrap(), text, "{p:?}");
            }
        }
    }

    #[test]
    fn encode_fields_pins_dtinths_order_e_and_f() {
        let transfer = |proxy: &str| format!("0016{AID_TRANSFER}0113{proxy}");
        let e = [(0, "01"), (1, "11"), (29, &transfer("0066801234567")), (58, "TH"), (53, "764")];
        let f = [(0, "01"), (1, "12"), (29, &transfer("0066000000000")), (58, "TH"), (53, "764"), (54, "4.22")];
        let owned = |fields: &[(u8, &str)]| fields.iter().map(|(t, v)| (*t, v.to_string())).collect::<Vec<_>>();
        assert_eq!(encode_fields(&owned(&e)), E);
        assert_eq!(encode_fields(&owned(&f)), F);
    }

    #[test]
    fn parse_reads_every_vector() {
        for (text, p) in vectors() {
            assert_eq!(parse(text).unwrap(), p, "{text}");
        }
    }

    #[test]
    fn the_same_payment_in_another_tag_order_is_another_valid_payload() {
        // exchange-domain.md §3.1: B as promptparse and dtinth order it.
        let promptparse = B.replace("530376454071500.005802TH6304F89B", "53037645802TH54071500.006304D4C0");
        let dtinth = B.replace("530376454071500.005802TH6304F89B", "5802TH530376454071500.0063046960");
        for text in [promptparse, dtinth] {
            assert_eq!(parse(&text).unwrap(), payload(mobile("0812345678"), Some(150_000)), "{text}");
        }
    }

    #[test]
    fn changing_any_one_character_of_a_vector_fails() {
        let replacements = "0123456789ABCDEFTUZabcdefz.- ก";
        for (text, _) in vectors() {
            for (index, original) in text.char_indices() {
                for replacement in replacements.chars().filter(|c| *c != original) {
                    let mut changed = text.to_string();
                    changed.replace_range(index..index + 1, &replacement.to_string());
                    assert!(parse(&changed).is_err(), "{changed}");
                }
            }
        }
    }

    #[test]
    fn clear_errors() {
        let last = B.len() - 4;
        assert_eq!(parse(&format!("{}F89C", &B[..last])), Err(PromptPayError::BadCrc { expected: "F89B".into(), found: "F89C".into() }));
        let lower = format!("{}{}", &A[..A.len() - 4], A[A.len() - 4..].to_lowercase());
        assert!(parse(&lower).unwrap_err().to_string().contains("CRC mismatch"), "an upper-case CRC is the format");
        assert_eq!(parse(&B[..B.len() - 1]), Err(PromptPayError::Truncated { at: B.len() - 8 }));
        assert_eq!(parse(""), Err(PromptPayError::MissingTag(0)));
        assert_eq!(parse("0102110002016304ABCD"), Err(PromptPayError::FormatNotFirst(1)));
        assert_eq!(parse("000201"), Err(PromptPayError::CrcNotLast));
        assert_eq!(parse("0002016X04AB"), Err(PromptPayError::BadField { at: 6 }));
        assert_eq!(parse(&"0".repeat(513)), Err(PromptPayError::TooLong(513)));
    }

    /// Fields re-encoded with a valid CRC, so that the semantic checks are what fails.
    fn with(fields: &[(u8, &str)]) -> Result<Payload, PromptPayError> {
        parse(&encode_fields(&fields.iter().map(|(t, v)| (*t, v.to_string())).collect::<Vec<_>>()))
    }

    const MOBILE_29: &str = "0016A00000067701011101130066812345678";

    #[test]
    fn semantic_checks_after_a_valid_crc() {
        assert_eq!(with(&[(0, "01"), (1, "11"), (29, MOBILE_29), (58, "TH")]), Err(PromptPayError::MissingTag(53)));
        assert_eq!(with(&[(0, "01"), (1, "11"), (29, MOBILE_29), (53, "764")]), Err(PromptPayError::MissingTag(58)));
        assert_eq!(with(&[(0, "01"), (29, MOBILE_29), (53, "764"), (58, "TH")]), Err(PromptPayError::MissingTag(1)));
        assert_eq!(with(&[(0, "01"), (1, "11"), (53, "764"), (58, "TH")]), Err(PromptPayError::MissingTag(29)));
        assert_eq!(with(&[(0, "01"), (1, "12"), (29, MOBILE_29), (53, "764"), (58, "TH")]), Err(PromptPayError::MissingTag(54)));
        assert_eq!(with(&[(0, "01"), (1, "11"), (29, MOBILE_29), (53, "764"), (53, "764"), (58, "TH")]), Err(PromptPayError::DuplicateTag(53)));
        let refused = |fields: &[(u8, &str)], needle: &str| {
            let error = with(fields).unwrap_err().to_string();
            assert!(error.contains(needle), "{error} lacks {needle}");
        };
        refused(&[(0, "02"), (1, "11"), (29, MOBILE_29), (53, "764"), (58, "TH")], "tag 00");
        refused(&[(0, "01"), (1, "11"), (29, MOBILE_29), (53, "840"), (58, "TH")], "764");
        refused(&[(0, "01"), (1, "11"), (29, MOBILE_29), (53, "764"), (58, "US")], "tag 58");
        refused(&[(0, "01"), (1, "13"), (29, MOBILE_29), (53, "764"), (58, "TH")], "tag 01");
        refused(&[(0, "01"), (1, "11"), (29, MOBILE_29), (53, "764"), (54, "1.00"), (58, "TH")], "static");
        for amount in ["0.00", "1.234", "1.", ".5", "-1.00", "1,000.00", " 1.00", "10000000000.00"] {
            refused(&[(0, "01"), (1, "12"), (29, MOBILE_29), (53, "764"), (54, amount), (58, "TH")], "tag 54");
        }
        refused(&[(0, "01"), (1, "11"), (29, "0016A00000067701011201130066812345678"), (53, "764"), (58, "TH")], "application ID");
        refused(&[(0, "01"), (1, "11"), (29, "0016A000000677010111"), (53, "764"), (58, "TH")], "exactly one");
        refused(&[(0, "01"), (1, "11"), (29, "0016A0000006770101110113006681234567802131101700123456"), (53, "764"), (58, "TH")], "exactly one");
        refused(&[(0, "01"), (1, "11"), (29, "0016A00000067701011101130077812345678"), (53, "764"), (58, "TH")], "mobile proxy");
        refused(&[(0, "01"), (1, "11"), (29, "0016A00000067701011101130066"), (53, "764"), (58, "TH")], "TLV");
        refused(&[(0, "01"), (1, "11"), (29, MOBILE_29), (30, "0016A0000006770101120102010202U1"), (53, "764"), (58, "TH")], "one target");
        refused(&[(0, "01"), (1, "11"), (30, "0016A000000677010112010201"), (53, "764"), (58, "TH")], "Ref1 (02)");
        refused(&[(0, "01"), (1, "11"), (30, "0016A0000006770101120102010202u1"), (53, "764"), (58, "TH")], "Ref1");
        refused(&[(0, "01"), (1, "11"), (29, "0016A0000006770101110403014"), (53, "764"), (58, "TH")], "bank account");
    }

    #[test]
    fn optional_tags_are_skipped_in_any_order() {
        let fields = [
            (0, "01"),
            (59, "TALAT"),
            (1, "12"),
            (52, "6051"),
            (58, "TH"),
            (29, MOBILE_29),
            (60, "BANGKOK"),
            (54, "1.50"),
            (64, "0002TH0105ตลาด"),
            (53, "764"),
        ];
        assert_eq!(with(&fields).unwrap(), payload(mobile("0812345678"), Some(150)));
    }

    #[test]
    fn generate_refuses_bad_values() {
        let refused = |target: Target, amount: Option<Satang>| generate(&payload(target, amount)).unwrap_err();
        assert!(matches!(refused(Target::Mobile("0812345678".into()), None), PromptPayError::Invalid { field: "mobile proxy", .. }));
        assert!(matches!(refused(Target::Mobile("0077812345678".into()), None), PromptPayError::Invalid { field: "mobile proxy", .. }));
        assert!(matches!(refused(Target::NationalId("110170012345".into()), None), PromptPayError::Invalid { field: "national ID", .. }));
        assert!(matches!(refused(Target::EWallet("12345678901234x".into()), None), PromptPayError::Invalid { field: "e-wallet ID", .. }));
        let account = |bank: &str, account: &str| Target::BankAccount { bank: bank.into(), account: account.into() };
        assert!(matches!(refused(account("14", "1"), None), PromptPayError::Invalid { field: "bank code", .. }));
        assert!(matches!(refused(account("014", ""), None), PromptPayError::Invalid { field: "bank account", .. }));
        assert!(matches!(refused(account("014", &"1".repeat(44)), None), PromptPayError::Invalid { field: "bank account", .. }));
        let bill =
            |biller: &str, ref1: &str, ref2: Option<&str>| Target::BillPayment { biller_id: biller.into(), ref1: ref1.into(), ref2: ref2.map(Into::into) };
        assert!(matches!(refused(bill(&"1".repeat(16), "A", None), None), PromptPayError::Invalid { field: "biller ID", .. }));
        assert!(matches!(refused(bill("1", "", None), None), PromptPayError::Invalid { field: "Ref1", .. }));
        assert!(matches!(refused(bill("1", "dep1", None), None), PromptPayError::Invalid { field: "Ref1", .. }));
        assert!(matches!(refused(bill("1", "A", Some(&"B".repeat(21))), None), PromptPayError::Invalid { field: "Ref2", .. }));
        assert!(matches!(refused(bill("1", "A", Some("DEP-1")), None), PromptPayError::Invalid { field: "Ref2", .. }));
        assert!(matches!(refused(bank(), Some(0)), PromptPayError::Invalid { field: "amount", .. }));
        assert!(matches!(refused(bank(), Some(MAX_AMOUNT_SATANG + 1)), PromptPayError::Invalid { field: "amount", .. }));
        assert!(generate(&payload(bank(), Some(MAX_AMOUNT_SATANG))).unwrap().contains("54139999999999.99"));
        let long = refused(Target::NationalId("9".repeat(1000)), None).to_string();
        assert!(long.len() < 120, "{long}");
    }

    #[test]
    fn bill_payment_without_ref2_round_trips() {
        let p = payload(bill(None), Some(4_000));
        assert_eq!(parse(&generate(&p).unwrap()).unwrap(), p);
    }

    fn digits(lengths: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::char::range('0', '9'), lengths).prop_map(|d| d.into_iter().collect())
    }

    fn reference() -> impl Strategy<Value = String> {
        "[A-Z0-9]{1,20}"
    }

    fn target() -> impl Strategy<Value = Target> {
        prop_oneof![
            digits(9..=9).prop_map(|nine| Target::Mobile(format!("0066{nine}"))),
            digits(13..=13).prop_map(Target::NationalId),
            digits(15..=15).prop_map(Target::EWallet),
            (digits(3..=3), digits(1..=43)).prop_map(|(bank, account)| Target::BankAccount { bank, account }),
            (digits(1..=15), reference(), proptest::option::of(reference())).prop_map(|(biller_id, ref1, ref2)| Target::BillPayment { biller_id, ref1, ref2 }),
        ]
    }

    proptest! {
        #[test]
        fn parse_inverts_generate(target in target(), amount in proptest::option::of(1..=MAX_AMOUNT_SATANG)) {
            let p = payload(target, amount);
            let text = generate(&p).unwrap();
            prop_assert!(text.len() <= MAX_PAYLOAD_CHARS);
            prop_assert_eq!(parse(&text).unwrap(), p);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,200}", digits_only in "[0-9A-F]{0,120}") {
            let _ = parse(&text);
            let _ = parse(&digits_only);
        }
    }
}
