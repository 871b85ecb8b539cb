//! Thai, completely: every string the customer app passes to `t("…")`, every label of its status
//! and type tables, and every refusal the engine can send has a Thai translation in
//! `web/src/lib/i18n.ts`. A string added without one fails the build here, not in front of a
//! customer.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use talat_core::RejectReason;

fn web_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/src")
}

/// The body of a double-quoted TypeScript string starting at `s[0] == '"'`, unescaped, and the
/// rest after its closing quote.
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '"' => return Some((out, &s[i + 1..])),
            _ => out.push(c),
        }
    }
    None
}

/// The keys of the `TH` table: every line of the form `  "English": "ไทย",` inside it.
fn thai_keys() -> BTreeSet<String> {
    let text = fs::read_to_string(web_src().join("lib/i18n.ts")).expect("web/src/lib/i18n.ts");
    let start = text.find("const TH: Record<string, string> = {").expect("the TH table");
    let end = start + text[start..].find("\n};").expect("the TH table's end");
    let keys: BTreeSet<String> = text[start..end]
        .lines()
        .filter_map(|line| {
            let (key, rest) = quoted(line.trim_start())?;
            let (value, _) = quoted(rest.trim_start().strip_prefix(':')?.trim_start())?;
            assert!(!value.trim().is_empty(), "an empty Thai text for {key:?}");
            Some(key)
        })
        .collect();
    assert!(keys.len() > 500, "the TH table was not read: {} keys", keys.len());
    keys
}

/// Every literal passed to `t("…")` in `text`.
fn t_literals(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("t(\"") {
        let boundary = rest[..at].chars().last().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
        rest = &rest[at + 2..];
        if let (true, Some((literal, after))) = (boundary, quoted(rest)) {
            if after.starts_with(')') {
                found.push(literal);
            }
        }
    }
    found
}

fn ts_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        fs::read_dir(dir).expect("a web source dir").map(|e| e.expect("an entry").path()).filter(|p| p.extension().is_some_and(|e| e == "ts")).collect();
    files.sort();
    files
}

#[test]
fn every_string_the_customer_app_translates_has_its_thai() {
    let keys = thai_keys();
    let mut missing = Vec::new();
    let mut seen = 0;
    for file in ts_files(&web_src().join("app")).into_iter().chain(ts_files(&web_src().join("lib"))) {
        let text = fs::read_to_string(&file).expect("a source file");
        for literal in t_literals(&text) {
            seen += 1;
            if !keys.contains(&literal) {
                missing.push(format!("{}: {literal:?}", file.file_name().unwrap().to_string_lossy()));
            }
        }
    }
    assert!(seen > 500, "t(\"…\") calls were not found: {seen}");
    assert!(missing.is_empty(), "strings shown to customers without a Thai translation (add them to TH in web/src/lib/i18n.ts):\n{}", missing.join("\n"));
}

#[test]
fn every_label_of_the_status_and_type_tables_has_its_thai() {
    let keys = thai_keys();
    let pages = fs::read_to_string(web_src().join("app/pages.ts")).expect("web/src/app/pages.ts");
    for (table, first) in [("ORDER_TYPE", "Limit"), ("ORDER_STATUS", "New"), ("FUNDS_STATUS", "Credited")] {
        let start = pages.find(&format!("const {table}: Record<string, string> = {{")).unwrap_or_else(|| panic!("{table} in pages.ts"));
        let body = &pages[start..start + pages[start..].find("};").expect("the table's end")];
        let labels: Vec<String> = body.split(": \"").skip(1).filter_map(|s| quoted(&format!("\"{s}")).map(|(l, _)| l)).collect();
        assert!(labels.len() >= 4 && labels[0] == first, "{table}'s labels were not read: {labels:?}");
        for label in labels {
            assert!(keys.contains(&label), "{table}'s label {label:?} has no Thai translation");
        }
    }
}

/// Every reason the engine refuses with; the match fails to compile when a reason is added.
fn every_reason() -> Vec<RejectReason> {
    use RejectReason::*;
    let all = vec![
        UnknownUser,
        InvalidParameter,
        AmendNoChange,
        UnknownAsset,
        AlreadyListed,
        UnknownMarket,
        InvalidAmount,
        InvalidRate,
        OutsidePriceBand,
        StopWouldTrigger,
        AmountTooLow,
        InsufficientBalance,
        PostOnlyWouldTake,
        UnknownOrder,
        TradingNotAllowed,
        TooManyOpenOrders,
        WithdrawalLimitExceeded,
        UnknownWithdrawal,
        CancelOnlyMode,
        PostOnlyMode,
        MarketHalted,
        Maintenance,
        WithdrawalsSuspended,
        ResumeOutOfOrder,
        CancelAfterNotDue,
    ];
    for reason in &all {
        match reason {
            UnknownUser
            | InvalidParameter
            | AmendNoChange
            | UnknownAsset
            | AlreadyListed
            | UnknownMarket
            | InvalidAmount
            | InvalidRate
            | OutsidePriceBand
            | StopWouldTrigger
            | AmountTooLow
            | InsufficientBalance
            | PostOnlyWouldTake
            | UnknownOrder
            | TradingNotAllowed
            | TooManyOpenOrders
            | WithdrawalLimitExceeded
            | UnknownWithdrawal
            | CancelOnlyMode
            | PostOnlyMode
            | MarketHalted
            | Maintenance
            | WithdrawalsSuspended
            | ResumeOutOfOrder
            | CancelAfterNotDue => {}
        }
    }
    all
}

#[test]
fn every_engine_refusal_is_shown_in_thai() {
    let keys = thai_keys();
    let missing: Vec<String> = every_reason().iter().map(ToString::to_string).filter(|m| !keys.contains(m)).collect();
    assert!(missing.is_empty(), "engine refusals the app would show in English to a Thai customer: {missing:?}");
}

#[test]
fn the_scanner_reads_literals_as_typescript_does() {
    assert_eq!(t_literals(r#"h("p", {}, t("Say \"hi\""), t(x), cat("no"), t("a") + at("b"))"#), ["Say \"hi\"", "a"]);
    assert_eq!(quoted(r#""a\\b" rest"#), Some(("a\\b".to_string(), " rest")));
}
