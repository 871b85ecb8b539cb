//! talat-funds: the rules of money entering and leaving the exchange, pure (no I/O, clock or
//! randomness: every instant and every fact is an argument). The engine holds and moves the
//! money; these rules decide what may be asked of it, and in which order.
//!
//! * `promptpay` (Thai QR payloads, generated and parsed, CRC-16/CCITT-FALSE);
//! * `statement` (bank statements: ISO 20022 camt.053 XML and a simple CSV, into `BankLine`s);
//! * `names` (payer and account names normalised for Thai and Latin script);
//! * `matching` (three-way: deposit intent ↔ bank line ↔ ledger credit, and the exception classes);
//! * `lifecycle` (deposit and withdrawal state machines);
//! * `approval` (maker-checker tiers);
//! * `limits` (amount bounds, one pending withdrawal, cooling-off);
//! * `crypto` (crypto withdrawals' checks — whitelist with cooling-off, freeze, one pending —
//!   and statuses, signed before broadcast);
//! * `banks` (Thai bank codes and account-number formats);
//! * `payout` (the payout batch file);
//! * `callback` (the bank's signed deposit notification);
//! * `recon` (the daily reconciliation of ledger against statement).

pub mod approval;
pub mod banks;
pub mod callback;
pub mod crypto;
pub mod lifecycle;
pub mod limits;
pub mod matching;
pub mod names;
pub mod payout;
pub mod promptpay;
pub mod recon;
pub mod statement;

/// THB amounts are integer satang (1/100 THB) everywhere in this crate.
pub type Satang = u64;

/// Formats satang as a THB decimal with two places (`150000` → `"1500.00"`).
pub fn format_thb(amount_satang: Satang) -> String {
    format!("{}.{:02}", amount_satang / 100, amount_satang % 100)
}

/// Parses a THB decimal with at most two places (`"1500"`, `"1500.5"`, `"1,500.00"` is refused:
/// no separators). `None` for anything else, negative numbers included.
pub fn parse_thb(text: &str) -> Option<Satang> {
    let text = text.trim();
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty() || whole.len() > 13 || frac.len() > 2 || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let frac_satang: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    whole.checked_mul(100)?.checked_add(frac_satang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thb_round_trips() {
        assert_eq!(parse_thb("1500.00"), Some(150_000));
        assert_eq!(parse_thb("1500"), Some(150_000));
        assert_eq!(parse_thb("0.5"), Some(50));
        assert_eq!(format_thb(150_005), "1500.05");
        for bad in ["", "-1", "1.234", "1,500", "abc", ".5", "1e3", "99999999999999"] {
            assert_eq!(parse_thb(bad), None, "{bad}");
        }
    }
}
