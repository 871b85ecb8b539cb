//! The suspicious-transaction report as PDF (A4, written with `pdf-writer`): the same sections
//! as the CSV, laid out for reading and filing — the case, the accounts, the alerts with their
//! summaries and figures, the orders and trades in tables, the timeline — with the page number
//! and the case on every page.
//!
//! Fonts: Helvetica and Helvetica-Bold, two of the 14 standard Type 1 fonts every PDF reader
//! has, so nothing is embedded and the file stays small; text is WinAnsi-encoded. Helvetica has
//! no Thai glyphs: Thai-script names are left out of the PDF (the account table shows the Latin
//! name from identity verification), any other Thai text is shown as `[Thai]`, a few symbols
//! are spelled out (`χ` → `chi`, `≥` → `>=`), and anything else outside WinAnsi becomes `?`.
//! When that happens the report says so on its last page; the CSV export has every character
//! exactly.

use super::str_report::{when, StrReport};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 40.0;
const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;
/// Space kept at the bottom of each page for its footer.
const FOOTER: f32 = 24.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Helvetica's advance widths (per 1000 em) of the printable ASCII characters 32..=126, from
/// its AFM; other WinAnsi characters are taken as 556 (a digit), enough for wrapping.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584,
    556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278,
    469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260,
    334, 584,
];

/// Text in WinAnsi bytes (see the module's note); `lossy` is set when something was replaced.
fn winansi(s: &str, lossy: &mut bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut in_thai = false;
    for ch in s.chars() {
        let thai = ('\u{0E00}'..='\u{0E7F}').contains(&ch);
        if thai {
            if !in_thai {
                out.extend_from_slice(b"[Thai]");
                *lossy = true;
            }
            in_thai = true;
            continue;
        }
        in_thai = false;
        let mapped: &[u8] = match ch {
            ' '..='~' => {
                out.push(ch as u8);
                continue;
            }
            '\t' | '\n' | '\r' => b" ",
            '\u{A0}'..='\u{FF}' => {
                out.push(ch as u32 as u8);
                continue;
            }
            '€' => &[0x80],
            '‚' => &[0x82],
            '„' => &[0x84],
            '…' => &[0x85],
            '‘' => &[0x91],
            '’' => &[0x92],
            '“' => &[0x93],
            '”' => &[0x94],
            '•' => &[0x95],
            '–' => &[0x96],
            '—' => &[0x97],
            '™' => &[0x99],
            'χ' => b"chi",
            'σ' => b"sigma",
            'Δ' | 'δ' => b"delta",
            'μ' => b"u",
            '≥' => b">=",
            '≤' => b"<=",
            '≈' => b"~",
            '→' => b"->",
            '−' => b"-",
            _ => {
                *lossy = true;
                b"?"
            }
        };
        out.extend_from_slice(mapped);
    }
    out
}

/// The width of WinAnsi `bytes` at `size` points (bold set a little wider).
fn width(bytes: &[u8], size: f32, bold: bool) -> f32 {
    let units: u32 = bytes.iter().map(|&b| if (32..=126).contains(&b) { u32::from(HELVETICA[usize::from(b - 32)]) } else { 556 }).sum();
    units as f32 * size / 1000.0 * if bold { 1.08 } else { 1.0 }
}

/// `bytes` cut to fit `max` points, ending in `…` when cut.
fn fit(bytes: &[u8], size: f32, bold: bool, max: f32) -> Vec<u8> {
    if width(bytes, size, bold) <= max {
        return bytes.to_vec();
    }
    let mut out = bytes.to_vec();
    while !out.is_empty() && width(&out, size, bold) + width(&[0x85], size, bold) > max {
        out.pop();
    }
    out.push(0x85);
    out
}

/// `bytes` broken into lines of at most `max` points, at spaces where it can.
fn wrap(bytes: &[u8], size: f32, max: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in bytes.split(|&b| b == b' ') {
        let mut candidate = line.clone();
        if !candidate.is_empty() {
            candidate.push(b' ');
        }
        candidate.extend_from_slice(word);
        if width(&candidate, size, false) <= max || line.is_empty() && width(word, size, false) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word longer than a line is cut into pieces.
        let mut piece = Vec::new();
        for &b in word {
            piece.push(b);
            if width(&piece, size, false) > max {
                let last = piece.pop().expect("not empty");
                lines.push(std::mem::replace(&mut piece, vec![last]));
            }
        }
        line = piece;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A table time: Bangkok, to the second, without the offset (the report says it is +07:00).
fn short(ms: u64) -> String {
    let t = when(ms);
    t.get(..19).unwrap_or(&t).replace('T', " ")
}

/// Pages being written: the current one's content and how far down it is.
struct Pages {
    done: Vec<Content>,
    page: Content,
    y: f32,
    lossy: bool,
}

impl Pages {
    fn new() -> Pages {
        Pages { done: Vec::new(), page: Content::new(), y: PAGE_H - MARGIN, lossy: false }
    }

    /// Starts a new page unless `height` points still fit on this one; true if it did.
    fn room(&mut self, height: f32) -> bool {
        if self.y - height >= MARGIN + FOOTER {
            return false;
        }
        let full = std::mem::replace(&mut self.page, Content::new());
        self.done.push(full);
        self.y = PAGE_H - MARGIN;
        true
    }

    fn show(&mut self, x: f32, y: f32, font: Name<'static>, size: f32, bytes: &[u8]) {
        self.page.begin_text();
        self.page.set_font(font, size);
        self.page.next_line(x, y);
        self.page.show(Str(bytes));
        self.page.end_text();
    }

    fn encode(&mut self, s: &str) -> Vec<u8> {
        winansi(s, &mut self.lossy)
    }

    /// A paragraph, wrapped to the page (indented by `indent`).
    fn para(&mut self, s: &str, size: f32, bold: bool, indent: f32) {
        let bytes = self.encode(s);
        let font = if bold { BOLD } else { REGULAR };
        for line in wrap(&bytes, size, WIDTH - indent) {
            self.room(size * 1.35);
            self.y -= size * 1.35;
            self.show(MARGIN + indent, self.y, font, size, &line);
        }
    }

    fn heading(&mut self, s: &str) {
        self.room(40.0);
        self.y -= 8.0;
        self.para(s, 12.0, true, 0.0);
        self.page.set_line_width(0.5);
        self.page.move_to(MARGIN, self.y - 3.0);
        self.page.line_to(PAGE_W - MARGIN, self.y - 3.0);
        self.page.stroke();
        self.y -= 6.0;
    }

    /// `label: value` lines.
    fn fields(&mut self, rows: &[(&str, String)]) {
        for (label, value) in rows {
            let value = self.encode(value);
            for (i, line) in wrap(&value, 9.0, WIDTH - 130.0).into_iter().enumerate() {
                self.room(12.0);
                self.y -= 12.0;
                if i == 0 {
                    let l = self.encode(label);
                    self.show(MARGIN, self.y, BOLD, 9.0, &l);
                }
                self.show(MARGIN + 130.0, self.y, REGULAR, 9.0, &line);
            }
        }
    }

    /// A table: each cell cut to its column; the header repeated on every page it spans.
    fn table(&mut self, headers: &[&str], widths: &[f32], rows: &[Vec<String>]) {
        const SIZE: f32 = 7.5;
        const ROW: f32 = 10.5;
        let header = |p: &mut Pages| {
            p.y -= ROW;
            let mut x = MARGIN;
            for (h, w) in headers.iter().zip(widths) {
                let b = p.encode(h);
                let b = fit(&b, SIZE, true, w - 3.0);
                p.show(x, p.y, BOLD, SIZE, &b);
                x += w;
            }
            p.page.set_line_width(0.3);
            p.page.move_to(MARGIN, p.y - 2.5);
            p.page.line_to(PAGE_W - MARGIN, p.y - 2.5);
            p.page.stroke();
        };
        self.room(3.0 * ROW);
        header(self);
        if rows.is_empty() {
            self.y -= ROW;
            self.show(MARGIN, self.y, REGULAR, SIZE, b"(none)");
        }
        for row in rows {
            if self.room(ROW) {
                header(self);
            }
            self.y -= ROW;
            let mut x = MARGIN;
            for (cell, w) in row.iter().zip(widths) {
                let b = self.encode(cell);
                let b = fit(&b, SIZE, false, w - 3.0);
                self.show(x, self.y, REGULAR, SIZE, &b);
                x += w;
            }
        }
        self.y -= 4.0;
    }

    fn finish(mut self) -> (Vec<Content>, bool) {
        self.done.push(self.page);
        (self.done, self.lossy)
    }
}

/// The report's PDF bytes: its sections in order.
pub fn render(r: &StrReport) -> Vec<u8> {
    let mut p = Pages::new();
    p.para("Suspicious Transaction Report", 18.0, true, 0.0);
    p.para(&format!("For the Anti-Money Laundering Office (AMLO). Reporting entity: {}. Case {}.", r.reporting_entity, r.case.id), 9.0, false, 0.0);
    p.para("Times are Bangkok time (UTC+7). Prices are in the quote asset per unit of the base asset, amounts in the base asset.", 8.0, false, 0.0);
    case(&mut p, r);
    accounts(&mut p, r);
    alerts(&mut p, r);
    orders(&mut p, r);
    trades(&mut p, r);
    p.heading("Timeline");
    for e in &r.timeline {
        p.para(&format!("{}  {}  {}", short(e.ts_ms), e.staff, e.action.replace('_', " ")), 8.5, true, 0.0);
        if !e.note.is_empty() {
            p.para(&e.note, 8.5, false, 12.0);
        }
    }
    if p.lossy {
        p.y -= 6.0;
        p.para("Some text uses characters this PDF's font cannot show (Thai is marked [Thai], others ?); the CSV export has it exactly.", 7.5, false, 0.0);
    }
    let (pages, _) = p.finish();
    write(r, pages)
}

fn case(p: &mut Pages, r: &StrReport) {
    let c = &r.case;
    p.heading("Case");
    let ticket = match (c.ticket_id, c.explain_due_ms) {
        (Some(t), Some(due)) => format!("support ticket #{t}, answer due {}", when(due)),
        (Some(t), None) => format!("support ticket #{t}"),
        _ => "not asked".to_string(),
    };
    p.fields(&[
        ("Case", format!("#{} {}", c.id, c.title)),
        ("Status", c.status.replace('_', " ")),
        ("Disposition", c.disposition.as_deref().map_or_else(|| "(open)".to_string(), |d| d.replace('_', " "))),
        ("Opened", format!("{} by {}", when(c.created_ms), r.opened_by.as_deref().unwrap_or("?"))),
        ("Assigned to", r.assignee.clone().unwrap_or_else(|| "nobody".into())),
        ("Customer asked to explain", ticket),
        ("Last change", when(c.updated_ms)),
        ("This copy", format!("{} by {}", when(r.generated_ms), r.generated_by)),
    ]);
}

fn accounts(p: &mut Pages, r: &StrReport) {
    p.heading("Accounts");
    let thai_left_out = r.accounts.iter().any(|a| a.name_thai.is_some());
    let rows: Vec<Vec<String>> = r
        .accounts
        .iter()
        .map(|a| {
            vec![
                a.user_id.to_string(),
                a.account_id.map(|x| x.to_string()).unwrap_or_default(),
                a.email.clone().unwrap_or_else(|| "(no web account)".into()),
                a.name_latin.clone().unwrap_or_else(|| "(not verified)".into()),
                a.kyc_level.map(|x| x.to_string()).unwrap_or_default(),
                a.locked.map(|l| if l { "locked" } else { "no" }.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    p.table(&["User", "Account", "Email", "Name (identity verification)", "KYC level", "Locked"], &[45.0, 50.0, 160.0, 160.0, 50.0, 50.0], &rows);
    if thai_left_out {
        p.para("Names in Thai script are in the CSV export of this report (this PDF's font cannot show Thai).", 7.5, false, 0.0);
    }
}

fn alerts(p: &mut Pages, r: &StrReport) {
    p.heading("Alerts");
    for (i, a) in r.alerts.iter().enumerate() {
        p.room(50.0);
        p.y -= 4.0;
        p.para(&format!("A{} {} - {}", i + 1, a.title, a.symbol), 9.5, true, 0.0);
        let accounts = a.accounts.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        p.para(&format!("Alert {}: {} to {}; accounts {accounts}", a.id, when(a.from_ms), when(a.to_ms)), 8.0, false, 10.0);
        p.para(&a.summary, 9.0, false, 10.0);
        if !a.figures.is_empty() {
            let figures = a.figures.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(";  ");
            p.para(&format!("Figures: {figures}"), 8.0, false, 10.0);
        }
    }
}

/// An alert's short label in this report (`A1`, `A2`, …), as the Alerts section numbers them.
fn label(r: &StrReport, alert_id: &str) -> String {
    r.alerts.iter().position(|a| a.id == alert_id).map_or_else(|| "?".into(), |i| format!("A{}", i + 1))
}

fn orders(p: &mut Pages, r: &StrReport) {
    p.heading("Orders");
    let rows: Vec<Vec<String>> = r
        .orders
        .iter()
        .map(|o| {
            vec![
                label(r, &o.alert_id),
                o.order_id.clone(),
                o.user_id.to_string(),
                o.symbol.clone(),
                o.side.into(),
                o.price.clone(),
                o.amount.clone(),
                short(o.placed_ms),
                o.outcome.clone(),
            ]
        })
        .collect();
    p.table(
        &["Alert", "Order", "User", "Market", "Side", "Price", "Amount", "Placed", "Outcome"],
        &[28.0, 52.0, 40.0, 52.0, 28.0, 70.0, 70.0, 95.0, 80.0],
        &rows,
    );
}

fn trades(p: &mut Pages, r: &StrReport) {
    p.heading("Trades");
    let rows: Vec<Vec<String>> = r
        .trades
        .iter()
        .map(|t| {
            vec![
                label(r, &t.alert_id),
                t.seq.to_string(),
                short(t.ts_ms),
                t.symbol.clone(),
                t.price.clone(),
                t.amount.clone(),
                t.value.clone(),
                t.buyer.to_string(),
                t.seller.to_string(),
                t.taker_side.into(),
            ]
        })
        .collect();
    p.table(
        &["Alert", "Seq", "Time", "Market", "Price", "Amount", "Value", "Buyer", "Seller", "Taker"],
        &[28.0, 50.0, 92.0, 50.0, 68.0, 64.0, 68.0, 32.0, 32.0, 31.0],
        &rows,
    );
}

/// The document around the pages: catalog, page tree, the two fonts, a footer on each page.
fn write(r: &StrReport, pages: Vec<Content>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let (catalog, tree, regular, bold, info) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5));
    let ids: Vec<(Ref, Ref)> = (0..pages.len() as i32).map(|i| (Ref::new(10 + 2 * i), Ref::new(11 + 2 * i))).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(ids.iter().map(|(page, _)| *page)).count(ids.len() as i32);
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    let title = format!("Suspicious Transaction Report, case {}", r.case.id);
    pdf.document_info(info).title(TextStr(&title)).producer(TextStr("talat"));
    let n = pages.len();
    for (i, (mut content, (page_id, content_id))) in pages.into_iter().zip(ids).enumerate() {
        let footer = format!("{} - STR case {} - generated {} - page {} of {n}", r.reporting_entity, r.case.id, when(r.generated_ms), i + 1);
        let footer = winansi(&footer, &mut false);
        content.begin_text();
        content.set_font(REGULAR, 7.0);
        content.next_line(MARGIN, MARGIN - 10.0);
        content.show(Str(&footer));
        content.end_text();
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(content_id);
        page.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_outside_winansi_is_marked_not_garbled() {
        let mut lossy = false;
        assert_eq!(winansi("BTC_THB: 3,500,000.00 — ok", &mut lossy), b"BTC_THB: 3,500,000.00 \x97 ok");
        assert!(!lossy);
        assert_eq!(winansi("χ² ≥ 20", &mut lossy), b"chi\xB2 >= 20");
        assert!(!lossy);
        assert_eq!(winansi("ชื่อ สมชาย ok", &mut lossy), b"[Thai] [Thai] ok");
        assert!(lossy);
    }

    /// A long report runs over several pages, each with its footer, and parses back.
    #[test]
    fn a_long_report_spans_pages_that_a_reader_opens() {
        use super::super::str_report::{StrAccount, StrAlert, StrEvent, StrTrade};
        let case = talat_store::CaseRow {
            id: 7,
            title: "Wash ring".into(),
            status: "closed".into(),
            assignee_staff_id: None,
            disposition: Some("reported_to_amlo".into()),
            ticket_id: None,
            explain_due_ms: None,
            created_by: 1,
            created_ms: 1_700_000_000_000,
            updated_ms: 1_700_000_000_000,
            version: 3,
        };
        let trades = (0..400)
            .map(|i| StrTrade {
                alert_id: "a1".into(),
                symbol: "BTC_THB".into(),
                seq: i,
                ts_ms: 1_700_000_000_000 + i,
                price: "3500000".into(),
                amount: "0.01".into(),
                value: "35000".into(),
                price_unit: "THB/BTC".into(),
                amount_unit: "BTC".into(),
                value_unit: "THB".into(),
                buyer: 1,
                seller: 2,
                taker_side: "buy",
            })
            .collect();
        let report = StrReport {
            reporting_entity: "talat".into(),
            generated_ms: 1_700_000_000_000,
            generated_by: "c@x".into(),
            case,
            assignee: None,
            opened_by: Some("c@x".into()),
            accounts: vec![StrAccount {
                user_id: 1,
                account_id: Some(1),
                email: Some("a@x".into()),
                name_latin: Some("Somchai Jaidee".into()),
                name_thai: Some("สมชาย ใจดี".into()),
                kyc_level: Some(1),
                locked: Some(false),
            }],
            alerts: vec![StrAlert {
                id: "a1".into(),
                detector: "circular".into(),
                title: "Circular trading".into(),
                symbol: "BTC_THB".into(),
                from_ms: 0,
                to_ms: 1,
                summary: "three accounts traded in a ring ".repeat(20),
                figures: vec![("cycles".into(), "12".into())],
                accounts: vec![1, 2],
            }],
            orders: Vec::new(),
            trades,
            timeline: vec![StrEvent { ts_ms: 0, staff: "c@x".into(), action: "note".into(), note: "ลูกค้าไม่ตอบ".into() }],
        };
        let pdf = render(&report);
        let doc = lopdf::Document::load_mem(&pdf).expect("parses");
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        assert!(pages.len() >= 5, "{} pages", pages.len());
        let n = pages.len();
        for p in &pages {
            let text = doc.extract_text(&[*p]).unwrap();
            assert!(text.contains(&format!("page {p} of {n}")), "page {p}: {text}");
        }
        let last = doc.extract_text(&[n as u32]).unwrap();
        assert!(last.contains("[Thai]") && last.contains("the CSV export has it exactly"), "{last}");
        assert!(!doc.extract_text(&[1]).unwrap().contains("สมชาย"));
    }

    #[test]
    fn lines_wrap_within_the_width_and_cells_are_cut() {
        let text = b"one two three four five six seven eight nine ten eleven twelve".to_vec();
        let lines = wrap(&text, 10.0, 100.0);
        assert!(lines.len() > 2 && lines.iter().all(|l| width(l, 10.0, false) <= 100.0), "{lines:?}");
        assert_eq!(lines.concat().len() + lines.len() - 1, text.len(), "only the breaking spaces go");
        let long = wrap(&[b'W'; 80], 10.0, 100.0);
        assert!(long.len() > 1 && long.iter().all(|l| width(l, 10.0, false) <= 100.0));
        let cut = fit(b"a very long cell value indeed", 8.0, false, 40.0);
        assert!(cut.ends_with(&[0x85]) && width(&cut, 8.0, false) <= 40.0);
        assert_eq!(fit(b"short", 8.0, false, 40.0), b"short");
    }
}
