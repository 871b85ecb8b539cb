//! The payout batch file handed to the bank: one line per approved withdrawal, written and
//! recorded before it leaves, so a crash can never pay a withdrawal twice (a withdrawal is in
//! at most one batch; its id travels as the transfer's reference and comes back on the
//! statement's debit line as Ref2).
//!
//! Format (CSV, UTF-8, comma-separated, one header line):
//! `batch_id,line,withdrawal_id,bank_code,account_no,account_name,amount,currency`, `amount`
//! in THB with two decimals, `currency` always `THB`; then one trailer line
//! `TOTAL,<count>,,,,,<sum>,THB` that the bank checks the batch against.

use crate::{format_thb, Satang};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutLine {
    pub withdrawal_id: String,
    pub bank_code: String,
    pub account_no: String,
    pub account_name: String,
    /// What the customer receives (the fee stays with the exchange).
    pub amount_satang: Satang,
}

pub const HEADER: &str = "batch_id,line,withdrawal_id,bank_code,account_no,account_name,amount,currency";

/// The most lines in one batch: a bank portal's upload bound, and one transaction's.
pub const MAX_LINES: usize = 1_000;

/// The file for `lines` (at most [`MAX_LINES`]; the caller batches).
pub fn write_batch(batch_id: &str, lines: &[PayoutLine]) -> String {
    assert!(lines.len() <= MAX_LINES, "a payout batch holds at most {MAX_LINES} lines");
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    let header: Vec<&str> = HEADER.split(',').collect();
    w.write_record(&header).expect("writing to memory");
    let mut total: Satang = 0;
    for (i, l) in lines.iter().enumerate() {
        total = total.checked_add(l.amount_satang).expect("a batch total fits in u64");
        let line_no = (i + 1).to_string();
        let amount = format_thb(l.amount_satang);
        w.write_record([batch_id, &line_no, &l.withdrawal_id, &l.bank_code, &l.account_no, &l.account_name, &amount, "THB"]).expect("writing to memory");
    }
    let (count, sum) = (lines.len().to_string(), format_thb(total));
    w.write_record(["TOTAL", &count, "", "", "", "", &sum, "THB"]).expect("writing to memory");
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 fields is UTF-8")
}

/// Reads a batch file back (the tests and a bank simulator): the lines, checked against the
/// trailer.
pub fn read_batch(text: &str) -> Result<(String, Vec<PayoutLine>), String> {
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let (mut batch, mut lines, mut trailer) = (String::new(), Vec::new(), None);
    for (i, record) in r.records().enumerate() {
        let rec = record.map_err(|e| format!("line {}: {e}", i + 2))?;
        if rec.get(0) == Some("TOTAL") {
            trailer = Some((rec.get(1).unwrap_or("").to_string(), rec.get(6).unwrap_or("").to_string()));
            continue;
        }
        if rec.len() != 8 || trailer.is_some() {
            return Err(format!("line {}: expected 8 fields before the trailer", i + 2));
        }
        batch = rec[0].to_string();
        let amount_satang = crate::parse_thb(&rec[6]).ok_or_else(|| format!("line {}: bad amount", i + 2))?;
        lines.push(PayoutLine {
            withdrawal_id: rec[2].into(),
            bank_code: rec[3].into(),
            account_no: rec[4].into(),
            account_name: rec[5].into(),
            amount_satang,
        });
    }
    let (count, sum) = trailer.ok_or("no TOTAL trailer")?;
    let total: Satang = lines.iter().map(|l| l.amount_satang).sum();
    if count != lines.len().to_string() || crate::parse_thb(&sum) != Some(total) {
        return Err("the trailer does not match the lines".into());
    }
    Ok((batch, lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_round_trips_and_names_with_commas_are_quoted() {
        let lines = vec![
            PayoutLine {
                withdrawal_id: "WD1".into(),
                bank_code: "004".into(),
                account_no: "7262109099".into(),
                account_name: "Somchai, Jaidee".into(),
                amount_satang: 1_480_00,
            },
            PayoutLine {
                withdrawal_id: "WD2".into(),
                bank_code: "014".into(),
                account_no: "1234567890".into(),
                account_name: "สมหญิง ใจดี".into(),
                amount_satang: 5,
            },
        ];
        let text = write_batch("PB7", &lines);
        assert!(text.starts_with(HEADER));
        assert!(text.contains("\"Somchai, Jaidee\""));
        assert!(text.trim_end().ends_with("TOTAL,2,,,,,1480.05,THB"));
        assert_eq!(read_batch(&text), Ok(("PB7".to_string(), lines)));
        assert!(read_batch(&text.replace("1480.05", "1480.06")).is_err());
    }
}
