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

/// The file being written: a header row and the rows of one section at a time.
struct Rows(csv::Writer<Vec<u8>>);

impl Rows {
    fn row(&mut self, cells: Vec<String>) {
        // Writing to a Vec cannot fail.
        let _ = self.0.write_record(&cells);
    }

    fn header(&mut self, names: &[&str]) {
        self.row(names.iter().map(|n| n.to_string()).collect());
    }
}

fn s(x: &str) -> String {
    x.to_string()
}

/// The report's bytes: its sections in order.
pub fn render(r: &StrReport) -> Vec<u8> {
    let mut w = Rows(csv::WriterBuilder::new().flexible(true).from_writer(Vec::new()));
    report_and_case(&mut w, r);
    accounts(&mut w, r);
    alerts(&mut w, r);
    orders(&mut w, r);
    trades(&mut w, r);
    w.header(&["record", "time", "staff", "action", "note"]);
    for e in &r.timeline {
        w.row(vec![s("event"), when(e.ts_ms), text(&e.staff), e.action.clone(), text(&e.note)]);
    }
    w.0.into_inner().unwrap_or_default()
}

fn report_and_case(w: &mut Rows, r: &StrReport) {
    let c = &r.case;
    w.header(&["record", "reporting_entity", "report", "generated_at", "generated_by"]);
    w.row(vec![s("report"), text(&r.reporting_entity), s("suspicious transaction report (AMLO)"), when(r.generated_ms), text(&r.generated_by)]);
    w.header(&["record", "case_id", "title", "status", "disposition", "opened_at", "opened_by", "assignee", "updated_at", "ticket_id", "explain_due_at"]);
    w.row(vec![
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
}

fn accounts(w: &mut Rows, r: &StrReport) {
    w.header(&["record", "user_id", "account_id", "email", "kyc_name_latin", "kyc_name_thai", "kyc_level", "locked"]);
    for a in &r.accounts {
        w.row(vec![
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
}

fn alerts(w: &mut Rows, r: &StrReport) {
    w.header(&["record", "alert_id", "detector", "typology", "market", "from", "to", "accounts", "summary", "figures"]);
    for a in &r.alerts {
        let figures = a.figures.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let accounts = a.accounts.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
        w.row(vec![
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
}

fn orders(w: &mut Rows, r: &StrReport) {
    w.header(&[
        "record",
        "alert_id",
        "market",
        "order_id",
        "user_id",
        "side",
        "price",
        "price_unit",
        "amount",
        "amount_unit",
        "placed_at",
        "outcome",
        "done_at",
    ]);
    for o in &r.orders {
        w.row(vec![
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
}

fn trades(w: &mut Rows, r: &StrReport) {
    w.header(&[
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
    ]);
    for t in &r.trades {
        w.row(vec![
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
}
