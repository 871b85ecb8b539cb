//! Three-way matching: a deposit intent (what the customer said they would pay) ↔ the bank
//! line (what arrived) ↔ the ledger credit (the engine's `Deposit`, keyed by the bank
//! reference). A credit line either matches one open intent or falls into an exception class.
//!
//! [`match_credit`] first finds the intent the line points at:
//!
//! 1. by Ref2, the intent id its QR carried (trimmed, case-insensitive);
//! 2. without a Ref2, by an intent id standing as a token of the description (banks often put
//!    the reference there: "PROMPTPAY DEP20250101A1/U00012345"); tokens are split at anything
//!    but letters, digits, `-` and `_`, and only the first [`MAX_DESCRIPTION_TOKENS`] are
//!    looked at; ids of two different intents there point at neither;
//! 3. an id among the already paid ones is [`ExceptionClass::Duplicate`] (a second payment of
//!    one intent; a line already entered under its bank reference must not be matched again —
//!    the caller keys lines by reference before asking);
//! 4. pointing at nothing, the line may still be for the one open, unpaid intent with the line's
//!    Ref1 (customer code) and exactly its amount; with none or several, it is
//!    [`ExceptionClass::UnmatchedCredit`].
//!
//! The intent found is then checked, in this order, the first failure naming the class: a Ref1
//! that is not the intent's customer code ([`ExceptionClass::UnmatchedCredit`], with the
//! intent's id for staff), booked after the intent expired ([`ExceptionClass::IntentExpired`];
//! booked exactly at expiry is in time), another amount ([`ExceptionClass::AmountMismatch`]),
//! a payer name that is not [`same_person`] with any of the intent's payer names
//! ([`ExceptionClass::ThirdPartyPayer`]; a line without a payer name passes, the daily
//! statement carrying it is checked again). A debit line is never a deposit: it is
//! [`ExceptionClass::UnmatchedCredit`] without intent, and [`match_debit`] is its matcher.

use crate::names::same_person;
use crate::statement::{BankLine, Direction};
use crate::Satang;
use serde::{Deserialize, Serialize};

/// How many tokens of a description are looked at for an id: references sit near the start,
/// and this bounds the work of a long free text.
pub const MAX_DESCRIPTION_TOKENS: usize = 64;

/// An open deposit intent, as the matcher needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIntent {
    /// The intent id: Ref2 of its QR.
    pub id: String,
    /// The customer code: Ref1 of its QR.
    pub customer_code: String,
    pub amount_satang: Satang,
    pub expires_at_ms: u64,
    /// The names the payer may carry: the customer's KYC name and their registered bank
    /// accounts' names.
    pub payer_names: Vec<String>,
}

/// Why a credit line could not be credited by itself (exchange-domain §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionClass {
    /// No intent carries the line's references.
    UnmatchedCredit,
    /// The intent had expired when the bank booked the money.
    IntentExpired,
    /// The line's amount is not the intent's.
    AmountMismatch,
    /// The payer's name is not the customer's.
    ThirdPartyPayer,
    /// The intent was already paid by another line.
    Duplicate,
}

impl ExceptionClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionClass::UnmatchedCredit => "unmatched_credit",
            ExceptionClass::IntentExpired => "intent_expired",
            ExceptionClass::AmountMismatch => "amount_mismatch",
            ExceptionClass::ThirdPartyPayer => "third_party_payer",
            ExceptionClass::Duplicate => "duplicate",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// Credit the intent's customer: the line pays this intent.
    Intent { intent_id: String },
    /// Hold the line for staff, with the intent it pointed at if any.
    Exception { class: ExceptionClass, intent_id: Option<String> },
}

/// A payout sent to the bank (in a payout file or by API), waiting for its debit line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentPayout {
    pub withdrawal_id: String,
    pub amount_satang: Satang,
    pub account_no: String,
}

/// What a credit line's references point at.
enum Found<'a> {
    Open(&'a OpenIntent),
    Paid(String),
    Nothing,
}

/// Matches a credit line against the open intents (see the module documentation).
/// `booked_at_ms` is when the bank booked it; `paid_intent_ids` are intents already credited.
pub fn match_credit(line: &BankLine, booked_at_ms: u64, open: &[OpenIntent], paid_intent_ids: &[String]) -> Match {
    if line.direction != Direction::Credit {
        return exception(ExceptionClass::UnmatchedCredit, None);
    }
    let intent = match find_intent(line, open, paid_intent_ids) {
        Found::Paid(id) => return exception(ExceptionClass::Duplicate, Some(&id)),
        Found::Open(intent) => intent,
        Found::Nothing => match by_customer_and_amount(line, open, paid_intent_ids) {
            Some(intent) => intent,
            None => return exception(ExceptionClass::UnmatchedCredit, None),
        },
    };
    check_intent(line, booked_at_ms, intent)
}

/// The sent payout a debit line settles: the one whose id is the line's Ref2 or a token of its
/// description, for exactly the line's amount. `None` for a credit, for no such payout, and for
/// two of them (which one was paid is then for a person to say).
pub fn match_debit(line: &BankLine, sent: &[SentPayout]) -> Option<String> {
    if line.direction != Direction::Debit {
        return None;
    }
    let ref2 = trimmed(line.ref2.as_deref());
    let tokens: Vec<&str> = description_tokens(&line.description).collect();
    let named = |id: &str| ref2.is_some_and(|r| same_id(r, id)) || tokens.iter().any(|t| same_id(t, id));
    let mut settled = sent.iter().filter(|p| p.amount_satang == line.amount_satang && named(&p.withdrawal_id));
    let first = settled.next()?;
    settled.next().is_none().then(|| first.withdrawal_id.clone())
}

fn exception(class: ExceptionClass, intent_id: Option<&str>) -> Match {
    Match::Exception { class, intent_id: intent_id.map(str::to_string) }
}

/// Trimmed, and `None` when nothing is left.
fn trimmed(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// Ids compare trimmed and case-insensitively (banks upper-case what they echo); an empty id
/// matches nothing.
fn same_id(reference: &str, id: &str) -> bool {
    let id = id.trim();
    !id.is_empty() && reference.trim().eq_ignore_ascii_case(id)
}

fn description_tokens(description: &str) -> impl Iterator<Item = &str> {
    description.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')).filter(|t| !t.is_empty()).take(MAX_DESCRIPTION_TOKENS)
}

fn find_intent<'a>(line: &BankLine, open: &'a [OpenIntent], paid: &[String]) -> Found<'a> {
    if let Some(ref2) = trimmed(line.ref2.as_deref()) {
        return lookup(ref2, open, paid);
    }
    let mut found = Found::Nothing;
    for token in description_tokens(&line.description) {
        match (lookup(token, open, paid), &found) {
            (Found::Nothing, _) => {}
            (new, Found::Nothing) => found = new,
            (new, old) if found_id(&new) == found_id(old) => {}
            // Two different intents named: the description points at neither.
            _ => return Found::Nothing,
        }
    }
    found
}

fn found_id<'a>(found: &'a Found) -> Option<&'a str> {
    match found {
        Found::Open(intent) => Some(intent.id.trim()),
        Found::Paid(id) => Some(id.trim()),
        Found::Nothing => None,
    }
}

/// A paid id first: an intent both paid and still listed open has been paid.
fn lookup<'a>(reference: &str, open: &'a [OpenIntent], paid: &[String]) -> Found<'a> {
    if let Some(id) = paid.iter().find(|id| same_id(reference, id)) {
        return Found::Paid(id.clone());
    }
    open.iter().find(|intent| same_id(reference, &intent.id)).map_or(Found::Nothing, Found::Open)
}

/// The one open, unpaid intent of the line's customer code for exactly the line's amount.
fn by_customer_and_amount<'a>(line: &BankLine, open: &'a [OpenIntent], paid: &[String]) -> Option<&'a OpenIntent> {
    let ref1 = trimmed(line.ref1.as_deref())?;
    let mut candidates = open
        .iter()
        .filter(|intent| same_id(ref1, &intent.customer_code) && intent.amount_satang == line.amount_satang && !paid.iter().any(|id| same_id(id, &intent.id)));
    let first = candidates.next()?;
    candidates.next().is_none().then_some(first)
}

fn check_intent(line: &BankLine, booked_at_ms: u64, intent: &OpenIntent) -> Match {
    let class = if trimmed(line.ref1.as_deref()).is_some_and(|ref1| !same_id(ref1, &intent.customer_code)) {
        Some(ExceptionClass::UnmatchedCredit)
    } else if booked_at_ms > intent.expires_at_ms {
        Some(ExceptionClass::IntentExpired)
    } else if line.amount_satang != intent.amount_satang {
        Some(ExceptionClass::AmountMismatch)
    } else if trimmed(line.counterparty_name.as_deref()).is_some_and(|payer| !intent.payer_names.iter().any(|name| same_person(payer, name))) {
        Some(ExceptionClass::ThirdPartyPayer)
    } else {
        None
    };
    match class {
        Some(class) => exception(class, Some(&intent.id)),
        None => Match::Intent { intent_id: intent.id.clone() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPIRES: u64 = 1_700_000_000_000;

    fn intent(id: &str, customer_code: &str, amount_satang: Satang) -> OpenIntent {
        OpenIntent {
            id: id.into(),
            customer_code: customer_code.into(),
            amount_satang,
            expires_at_ms: EXPIRES,
            payer_names: vec!["Somchai Jaidee".into(), "นาย สมชาย ใจดี".into()],
        }
    }

    fn open() -> Vec<OpenIntent> {
        vec![intent("DEP20250101A1", "U00012345", 150_000), intent("DEP20250101B2", "U00012345", 50_000), intent("DEP20250101C3", "U00099999", 150_000)]
    }

    fn credit(ref1: Option<&str>, ref2: Option<&str>, amount_satang: Satang) -> BankLine {
        BankLine {
            reference: "KB-0001".into(),
            booked_on: "2025-01-01".into(),
            direction: Direction::Credit,
            amount_satang,
            counterparty_name: Some("MR. SOMCHAI JAIDEE".into()),
            counterparty_account: Some("123-4-56789-0".into()),
            ref1: ref1.map(Into::into),
            ref2: ref2.map(Into::into),
            description: String::new(),
        }
    }

    fn run(line: &BankLine) -> Match {
        match_credit(line, EXPIRES - 1, &open(), &["DEP20241231Z9".to_string()])
    }

    fn intent_match(id: &str) -> Match {
        Match::Intent { intent_id: id.into() }
    }

    fn held(class: ExceptionClass, id: Option<&str>) -> Match {
        Match::Exception { class, intent_id: id.map(Into::into) }
    }

    #[test]
    fn ref2_finds_the_intent_trimmed_and_in_any_case() {
        assert_eq!(run(&credit(Some("U00012345"), Some("DEP20250101A1"), 150_000)), intent_match("DEP20250101A1"));
        assert_eq!(run(&credit(None, Some(" dep20250101a1 "), 150_000)), intent_match("DEP20250101A1"));
    }

    #[test]
    fn without_ref2_the_description_may_name_the_intent() {
        let mut line = credit(None, None, 50_000);
        line.description = "PROMPTPAY BILL PMT REF:DEP20250101B2/U00012345".into();
        assert_eq!(run(&line), intent_match("DEP20250101B2"));
        line.description = "dep20250101b2 again DEP20250101B2".into();
        assert_eq!(run(&line), intent_match("DEP20250101B2"));
        // Part of a longer token is not the id.
        line.description = "XDEP20250101B2".into();
        assert_eq!(run(&line), held(ExceptionClass::UnmatchedCredit, None));
        // Two intents named: neither, and without Ref1 nothing else to go by.
        line.description = "DEP20250101A1 DEP20250101B2".into();
        assert_eq!(run(&line), held(ExceptionClass::UnmatchedCredit, None));
        // Ref2 present: the description is not searched.
        let mut line = credit(None, Some("UNKNOWN"), 50_000);
        line.description = "DEP20250101B2".into();
        assert_eq!(run(&line), held(ExceptionClass::UnmatchedCredit, None));
    }

    #[test]
    fn an_id_already_paid_is_a_duplicate() {
        assert_eq!(run(&credit(Some("U00012345"), Some("DEP20241231Z9"), 150_000)), held(ExceptionClass::Duplicate, Some("DEP20241231Z9")));
        let mut line = credit(None, None, 150_000);
        line.description = "QR DEP20241231Z9".into();
        assert_eq!(run(&line), held(ExceptionClass::Duplicate, Some("DEP20241231Z9")));
        // Paid and still listed open: paid wins.
        let paid = ["DEP20250101A1".to_string()];
        assert_eq!(match_credit(&credit(None, Some("DEP20250101A1"), 150_000), 0, &open(), &paid), held(ExceptionClass::Duplicate, Some("DEP20250101A1")));
    }

    #[test]
    fn without_an_id_one_intent_of_the_customer_code_and_amount_is_enough() {
        assert_eq!(run(&credit(Some("U00012345"), None, 50_000)), intent_match("DEP20250101B2"));
        assert_eq!(run(&credit(Some(" u00012345"), Some("DEP-UNKNOWN"), 150_000)), intent_match("DEP20250101A1"));
        // No intent of that code and amount, or two of them, or no Ref1 at all.
        assert_eq!(run(&credit(Some("U00012345"), None, 70_000)), held(ExceptionClass::UnmatchedCredit, None));
        let mut twins = open();
        twins.push(intent("DEP20250101D4", "U00012345", 50_000));
        assert_eq!(match_credit(&credit(Some("U00012345"), None, 50_000), 0, &twins, &[]), held(ExceptionClass::UnmatchedCredit, None));
        assert_eq!(run(&credit(None, None, 150_000)), held(ExceptionClass::UnmatchedCredit, None));
        // An intent already paid is not a candidate.
        let paid = ["DEP20250101B2".to_string()];
        assert_eq!(match_credit(&credit(Some("U00012345"), None, 50_000), 0, &open(), &paid), held(ExceptionClass::UnmatchedCredit, None));
    }

    #[test]
    fn each_check_names_its_class_with_the_intent() {
        let a1 = Some("DEP20250101A1");
        assert_eq!(run(&credit(Some("U00099999"), a1, 150_000)), held(ExceptionClass::UnmatchedCredit, a1));
        let late = match_credit(&credit(Some("U00012345"), a1, 150_000), EXPIRES + 1, &open(), &[]);
        assert_eq!(late, held(ExceptionClass::IntentExpired, a1));
        let on_time = match_credit(&credit(Some("U00012345"), a1, 150_000), EXPIRES, &open(), &[]);
        assert_eq!(on_time, intent_match("DEP20250101A1"));
        assert_eq!(run(&credit(Some("U00012345"), a1, 150_001)), held(ExceptionClass::AmountMismatch, a1));
        let mut stranger = credit(Some("U00012345"), a1, 150_000);
        stranger.counterparty_name = Some("MR. SOMCHAI RAKDEE".into());
        assert_eq!(run(&stranger), held(ExceptionClass::ThirdPartyPayer, a1));
    }

    #[test]
    fn the_payer_may_be_any_of_the_customers_names_or_unnamed() {
        let mut line = credit(Some("U00012345"), Some("DEP20250101A1"), 150_000);
        for payer in ["นายสมชาย ใจดี", "JAIDEE SOMCHAI", "  "] {
            line.counterparty_name = Some(payer.into());
            assert_eq!(run(&line), intent_match("DEP20250101A1"), "{payer}");
        }
        line.counterparty_name = None;
        assert_eq!(run(&line), intent_match("DEP20250101A1"));
        let mut nameless = open();
        nameless[0].payer_names.clear();
        line.counterparty_name = Some("Somchai Jaidee".into());
        assert_eq!(match_credit(&line, 0, &nameless, &[]), held(ExceptionClass::ThirdPartyPayer, Some("DEP20250101A1")));
    }

    #[test]
    fn checks_run_in_their_order() {
        let a1 = Some("DEP20250101A1");
        let mut line = credit(Some("U00099999"), a1, 1);
        line.counterparty_name = Some("Someone Else".into());
        let at = |line: &BankLine, ms: u64| match_credit(line, ms, &open(), &[]);
        assert_eq!(at(&line, EXPIRES + 1), held(ExceptionClass::UnmatchedCredit, a1));
        line.ref1 = None;
        assert_eq!(at(&line, EXPIRES + 1), held(ExceptionClass::IntentExpired, a1));
        assert_eq!(at(&line, 0), held(ExceptionClass::AmountMismatch, a1));
        line.amount_satang = 150_000;
        assert_eq!(at(&line, 0), held(ExceptionClass::ThirdPartyPayer, a1));
    }

    #[test]
    fn a_debit_is_never_a_deposit() {
        let mut line = credit(Some("U00012345"), Some("DEP20250101A1"), 150_000);
        line.direction = Direction::Debit;
        assert_eq!(run(&line), held(ExceptionClass::UnmatchedCredit, None));
    }

    fn sent() -> Vec<SentPayout> {
        let payout = |id: &str, amount_satang| SentPayout { withdrawal_id: id.into(), amount_satang, account_no: "9876543210".into() };
        vec![payout("W1001", 200_000), payout("W1002", 300_000)]
    }

    fn debit(ref2: Option<&str>, description: &str, amount_satang: Satang) -> BankLine {
        BankLine { direction: Direction::Debit, ref2: ref2.map(Into::into), description: description.into(), ..credit(None, None, amount_satang) }
    }

    #[test]
    fn a_debit_settles_the_payout_it_names_for_its_amount() {
        assert_eq!(match_debit(&debit(Some("W1001"), "", 200_000), &sent()), Some("W1001".into()));
        assert_eq!(match_debit(&debit(Some(" w1002 "), "", 300_000), &sent()), Some("W1002".into()));
        assert_eq!(match_debit(&debit(None, "PAYOUT W1002 TALAT", 300_000), &sent()), Some("W1002".into()));
        assert_eq!(match_debit(&debit(Some("W1001"), "", 200_001), &sent()), None, "another amount");
        assert_eq!(match_debit(&debit(Some("W9999"), "", 200_000), &sent()), None, "no such payout");
        assert_eq!(match_debit(&debit(None, "", 200_000), &sent()), None, "no id at all");
        let mut as_credit = debit(Some("W1001"), "", 200_000);
        as_credit.direction = Direction::Credit;
        assert_eq!(match_debit(&as_credit, &sent()), None, "a credit settles no payout");
        let mut twins = sent();
        twins.push(SentPayout { withdrawal_id: "W1003".into(), amount_satang: 200_000, account_no: "1".into() });
        assert_eq!(match_debit(&debit(Some("W1001"), "W1003", 200_000), &twins), None, "two payouts named");
    }

    #[test]
    fn exception_classes_have_stable_names() {
        assert_eq!(ExceptionClass::ThirdPartyPayer.as_str(), "third_party_payer");
        assert_eq!(ExceptionClass::Duplicate.as_str(), "duplicate");
    }
}
