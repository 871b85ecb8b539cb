//! The status page as one HTML document, in Thai or English, readable without JavaScript: the
//! page status, each component, open incidents and maintenance with their updates, the resume
//! in progress, and 90 days of history by Bangkok day. It refreshes itself every minute.

use crate::atom::escape;
use crate::component::{Component, ComponentStatus};
use crate::incident::{Incident, IncidentKind};
use crate::page::{Indicator, PageStatus};
use crate::Lang;
use std::fmt::Write;
use talat_core::calendar::{bangkok_date, bangkok_ms_of_day, MINUTE_MS};

/// What the page shows beyond components and incidents.
pub struct PageText<'a> {
    pub title: &'a str,
    /// The resume under way: (last step done, next step), if any.
    pub resume: Option<(&'static str, &'static str)>,
    pub now_ms: u64,
}

fn t(lang: Lang, en: &'static str, th: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Th => th,
    }
}

fn when(ms: u64) -> String {
    let (y, m, d) = bangkok_date(ms);
    let minutes = bangkok_ms_of_day(ms) / MINUTE_MS;
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", minutes / 60, minutes % 60)
}

fn colour(s: ComponentStatus) -> &'static str {
    match s {
        ComponentStatus::Operational => "#1a7f37",
        ComponentStatus::UnderMaintenance => "#0969da",
        ComponentStatus::DegradedPerformance => "#bf8700",
        ComponentStatus::PartialOutage => "#d1560f",
        ComponentStatus::MajorOutage => "#cf222e",
    }
}

fn group_name(group: &str, lang: Lang) -> &'static str {
    match group {
        "trading" => t(lang, "Trading", "การซื้อขาย"),
        "funding" => t(lang, "Deposits and withdrawals", "ฝากและถอน"),
        _ => t(lang, "Platform", "ระบบ"),
    }
}

fn status_word(status: &str, lang: Lang) -> String {
    let th = match status {
        "investigating" => "กำลังตรวจสอบ",
        "identified" => "พบสาเหตุแล้ว",
        "monitoring" => "กำลังติดตามผล",
        "resolved" => "แก้ไขแล้ว",
        "scheduled" => "กำหนดการ",
        "in_progress" => "กำลังดำเนินการ",
        "verifying" => "กำลังตรวจสอบผล",
        "completed" => "เสร็จสิ้น",
        other => other,
    };
    match lang {
        Lang::En => status.replace('_', " "),
        Lang::Th => th.to_string(),
    }
}

fn incident_block(out: &mut String, i: &Incident, lang: Lang) {
    let _ = write!(out, "<article id=\"incident-{}\" class=\"incident\"><h3>{}</h3>", i.id, escape(&i.name));
    if let (Some(from), Some(until)) = (i.scheduled_for_ms, i.scheduled_until_ms) {
        let _ = write!(out, "<p class=\"when\">{} {} – {}</p>", t(lang, "Scheduled", "กำหนดเวลา"), when(from), when(until));
    }
    out.push_str("<ol class=\"updates\">");
    for u in &i.updates {
        let _ = write!(out, "<li><strong>{}</strong> — {} <small>{}</small></li>", escape(&status_word(&u.status, lang)), escape(&u.body), when(u.created_ms));
    }
    out.push_str("</ol></article>");
}

/// The whole page.
pub fn page(text: &PageText<'_>, lang: Lang, status: &PageStatus, components: &[Component], incidents: &[Incident]) -> String {
    let mut out = String::with_capacity(8_192);
    let banner = match status.indicator {
        Indicator::None if status.description == "All Systems Operational" => "#1a7f37",
        Indicator::None => "#0969da",
        Indicator::Minor => "#bf8700",
        Indicator::Major => "#d1560f",
        Indicator::Critical => "#cf222e",
    };
    let description = match lang {
        Lang::En => status.description,
        Lang::Th => status.description_th(),
    };
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta http-equiv=\"refresh\" content=\"60\"><title>{} — {}</title>\
<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/history.atom\" title=\"Atom\">\
<style>body{{font-family:system-ui,sans-serif;max-width:760px;margin:0 auto;padding:16px;color:#1f2328}}\
.banner{{color:#fff;padding:16px;border-radius:8px;font-size:1.2em}}ul.components{{list-style:none;padding:0}}\
ul.components li{{display:flex;justify-content:space-between;gap:8px;padding:8px 0;border-bottom:1px solid #d0d7de;flex-wrap:wrap}}\
.reason{{color:#59636e;font-size:.9em;width:100%}}.incident{{border-left:4px solid #d0d7de;padding-left:12px;margin:12px 0}}\
.updates{{padding-left:18px}}small{{color:#59636e}}nav a{{margin-right:12px}}</style></head><body>",
        lang.code(),
        escape(text.title),
        t(lang, "Status", "สถานะระบบ")
    );
    let _ = write!(
        out,
        "<nav><a href=\"/status?lang=th\" hreflang=\"th\">ไทย</a><a href=\"/status?lang=en\" hreflang=\"en\">English</a><a href=\"/history.atom\">Atom</a><a href=\"/api/v2/summary.json\">JSON</a></nav>\
<h1>{} — {}</h1><p class=\"banner\" style=\"background:{banner}\">{}</p>",
        escape(text.title),
        t(lang, "Status", "สถานะระบบ"),
        description
    );
    if let Some((done, next)) = text.resume {
        let _ = write!(
            out,
            "<section><h2>{}</h2><p>{} <strong>{done}</strong>. {} <strong>{next}</strong>.</p></section>",
            t(lang, "Resuming after an outage", "กำลังกลับมาให้บริการหลังเหตุขัดข้อง"),
            t(lang, "Step done:", "ขั้นตอนที่เสร็จแล้ว:"),
            t(lang, "Next:", "ขั้นต่อไป:")
        );
    }
    let open: Vec<&Incident> = incidents.iter().filter(|i| i.is_open()).collect();
    if !open.is_empty() {
        let _ = write!(out, "<section><h2>{}</h2>", t(lang, "Current incidents and maintenance", "เหตุขัดข้องและการปรับปรุงระบบขณะนี้"));
        for i in open {
            incident_block(&mut out, i, lang);
        }
        out.push_str("</section>");
    }
    for group in ["trading", "funding", "platform"] {
        let members: Vec<&Component> = components.iter().filter(|c| c.group == group).collect();
        if members.is_empty() {
            continue;
        }
        let _ = write!(out, "<section><h2>{}</h2><ul class=\"components\">", group_name(group, lang));
        for c in members {
            let _ = write!(
                out,
                "<li id=\"component-{}\"><span>{}</span><strong style=\"color:{}\" data-status=\"{}\">{}</strong>",
                escape(&c.id),
                escape(c.name(lang)),
                colour(c.status),
                c.status.name(),
                c.status.label(lang)
            );
            if !c.reason.is_empty() {
                let _ = write!(out, "<span class=\"reason\">{}</span>", escape(&c.reason));
            }
            out.push_str("</li>");
        }
        out.push_str("</ul></section>");
    }
    let _ = write!(out, "<section><h2>{}</h2>", t(lang, "Past incidents (90 days)", "เหตุการณ์ย้อนหลัง 90 วัน"));
    let past: Vec<&Incident> = incidents.iter().filter(|i| !i.is_open() && i.in_history(text.now_ms)).collect();
    if past.is_empty() {
        let _ = write!(out, "<p>{}</p>", t(lang, "No incidents reported.", "ไม่มีเหตุขัดข้อง"));
    }
    let mut day = None;
    for i in past {
        let d = bangkok_date(i.created_ms);
        if day != Some(d) {
            let _ = write!(out, "<h3>{:04}-{:02}-{:02}</h3>", d.0, d.1, d.2);
            day = Some(d);
        }
        incident_block(&mut out, i, lang);
    }
    let kind_note = incidents.iter().any(|i| i.kind == IncidentKind::Maintenance);
    let _ = write!(
        out,
        "</section><footer><small>{} {}{}</small></footer></body></html>",
        t(lang, "Updated", "อัปเดตเมื่อ"),
        when(text.now_ms),
        if kind_note {
            t(lang, " · maintenance is announced here in advance", " · แจ้งการปรับปรุงระบบล่วงหน้าที่นี่")
        } else {
            ""
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::{measure, Signals};
    use crate::page::page_status;

    #[test]
    fn both_languages_show_every_component_and_escape_text() {
        let s = Signals { now_ms: 1_800_000_000_000, markets: vec![("BTC_THB".into(), "cancel_only")], ..Signals::default() };
        let components = measure(&s, &[]);
        let status = page_status(&components, &[]);
        let text = PageText { title: "talat <exchange>", resume: Some(("cancel-only", "post-only")), now_ms: s.now_ms };
        let en = page(&text, Lang::En, &status, &components, &[]);
        let th = page(&text, Lang::Th, &status, &components, &[]);
        assert!(en.contains("Partial outage") && en.contains("Partial System Outage") && en.contains("talat &lt;exchange&gt;"));
        assert!(th.contains("ขัดข้องบางส่วน") && th.contains("การซื้อขาย BTC_THB") && th.contains("lang=\"th\""));
        assert!(!en.contains("<script"), "readable without JavaScript");
        for c in &components {
            assert!(en.contains(&format!("id=\"component-{}\"", c.id)));
        }
    }
}
