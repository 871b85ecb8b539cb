//! The suspicious-transaction report as CSV (UTF-8, Thai names intact): one file, one record
//! type per section. Each section starts with its header row, whose first cell is `record`;
//! every row after it starts with the section's record type (`report`, `case`, `account`,
//! `alert`, `order`, `trade`, `event`), so a spreadsheet can filter on the first column and a
//! program can split the file without guessing. Times are Bangkok (`+07:00`), numbers exact
//! decimal strings with their unit in the next column.

use super::str_report::{when, StrReport};

/// Free text (notes, summaries, names) that a spreadsheet would run as a formula gets a
/// leading apostrophe: a report must never execute on the analyst's machine.
fn text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn opt_ms(ms: Option<u64>) -> String {
    ms.map(when).unwrap_or_default()
}

/// The report's bytes.
pub fn render(r: &StrReport) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    let mut row = |cells: Vec<String>| {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(&cells);
    };
    let s = |x: &str| x.to_string();
    let c = &r.case;

    row(["record", "reporting_entity", "report", "generated_at", "generated_by"].map(s).to_vec());
    row(vec![s("report"), text(&r.reporting_entity), s("suspicious transaction report (AMLO)"), when(r.generated_ms), text(&r.generated_by)]);

    row(["record", "case_id", "title", "status", "disposition", "opened_at", "opened_by", "assignee", "updated_at", "ticket_id", "explain_due_at"]
        .map(s)
        .to_vec());
    row(vec![
        s("case"),
        c.id.to_string(),
        text(&c.title),
        c.status.clone(),
        c.disposition.clone().unwrap_or_default(),
        when(c.created_ms),
        text(r.opened_by.as_deref().unwrap_or("")),
        text(r.assignee.as_deref().unwrap_or("")),
        when(c.updated_ms),
        c.ticket_id.map(|t| t.to_string()).unwrap_or_default(),
        opt_ms(c.explain_due_ms),
    ]);

    row(["record", "user_id", "account_id", "email", "kyc_name_latin", "kyc_name_thai", "kyc_level", "locked"].map(s).to_vec());
    for a in &r.accounts {
        row(vec![
            s("account"),
            a.user_id.to_string(),
            a.account_id.map(|x| x.to_string()).unwrap_or_default(),
            text(a.email.as_deref().unwrap_or("")),
            text(a.name_latin.as_deref().unwrap_or("")),
            text(a.name_thai.as_deref().unwrap_or("")),
            a.kyc_level.map(|x| x.to_string()).unwrap_or_default(),
            a.locked.map(|x| x.to_string()).unwrap_or_default(),
        ]);
    }

    row(["record", "alert_id", "detector", "typology", "market", "from", "to", "accounts", "summary", "figures"].map(s).to_vec());
    for a in &r.alerts {
        let figures = a.figures.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let accounts = a.accounts.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
        row(vec![
            s("alert"),
            a.id.clone(),
            a.detector.clone(),
            a.title.clone(),
            a.symbol.clone(),
            when(a.from_ms),
            when(a.to_ms),
            accounts,
            text(&a.summary),
            text(&figures),
        ]);
    }

    row(["record", "alert_id", "market", "order_id", "user_id", "side", "price", "price_unit", "amount", "amount_unit", "placed_at", "outcome", "done_at"]
        .map(s)
        .to_vec());
    for o in &r.orders {
        row(vec![
            s("order"),
            o.alert_id.clone(),
            o.symbol.clone(),
            o.order_id.clone(),
            o.user_id.to_string(),
            s(o.side),
            o.price.clone(),
            o.price_unit.clone(),
            o.amount.clone(),
            o.amount_unit.clone(),
            when(o.placed_ms),
            o.outcome.clone(),
            opt_ms(o.done_ms),
        ]);
    }

    row([
        "record",
        "alert_id",
        "market",
        "seq",
        "time",
        "price",
        "price_unit",
        "amount",
        "amount_unit",
        "value",
        "value_unit",
        "buyer_user_id",
        "seller_user_id",
        "taker_side",
    ]
    .map(s)
    .to_vec());
    for t in &r.trades {
        row(vec![
            s("trade"),
            t.alert_id.clone(),
            t.symbol.clone(),
            t.seq.to_string(),
            when(t.ts_ms),
            t.price.clone(),
            t.price_unit.clone(),
            t.amount.clone(),
            t.amount_unit.clone(),
            t.value.clone(),
            t.value_unit.clone(),
            t.buyer.to_string(),
            t.seller.to_string(),
            s(t.taker_side),
        ]);
    }

    row(["record", "time", "staff", "action", "note"].map(s).to_vec());
    for e in &r.timeline {
        row(vec![s("event"), when(e.ts_ms), text(&e.staff), e.action.clone(), text(&e.note)]);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn formulas_are_defused_and_plain_text_is_kept() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("สมชาย ใจดี"), "สมชาย ใจดี");
        assert_eq!(text("a-b"), "a-b");
    }
}
