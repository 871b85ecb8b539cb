//! The incident history as an Atom 1.0 feed (RFC 4287): one entry per incident, its updates in
//! the content, newest first.

use crate::incident::Incident;
use std::fmt::Write;
use talat_core::calendar::bangkok_iso_datetime;

/// Text escaped for XML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0; drop them.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// `base_url` is the page's public address (no trailing slash); `now_ms` stamps an empty feed.
pub fn feed(title: &str, base_url: &str, incidents: &[Incident], now_ms: u64) -> String {
    let updated = incidents.iter().map(|i| i.updated_ms).max().unwrap_or(now_ms);
    let mut out = String::with_capacity(1_024 + incidents.len() * 512);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n");
    // Writing to a String cannot fail.
    let _ = writeln!(out, "  <id>{}/status</id>", escape(base_url));
    let _ = writeln!(out, "  <title>{} status - incident history</title>", escape(title));
    let _ = writeln!(out, "  <updated>{}</updated>", bangkok_iso_datetime(updated));
    let _ = writeln!(out, "  <link rel=\"alternate\" type=\"text/html\" href=\"{}/status\"/>", escape(base_url));
    let _ = writeln!(out, "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}/history.atom\"/>", escape(base_url));
    let _ = writeln!(out, "  <author><name>{}</name></author>", escape(title));
    for i in incidents {
        let _ = writeln!(out, "  <entry>");
        let _ = writeln!(out, "    <id>{}/status#incident-{}</id>", escape(base_url), i.id);
        let _ = writeln!(out, "    <title>{}</title>", escape(&i.name));
        let _ = writeln!(out, "    <published>{}</published>", bangkok_iso_datetime(i.created_ms));
        let _ = writeln!(out, "    <updated>{}</updated>", bangkok_iso_datetime(i.updated_ms));
        let _ = writeln!(out, "    <link rel=\"alternate\" type=\"text/html\" href=\"{}/status#incident-{}\"/>", escape(base_url), i.id);
        let mut body = String::new();
        for u in &i.updates {
            let _ =
                write!(body, "<p><small>{}</small><br/><strong>{}</strong> - {}</p>", bangkok_iso_datetime(u.created_ms), escape(&u.status), escape(&u.body));
        }
        let _ = writeln!(out, "    <content type=\"html\">{}</content>", escape(&body));
        let _ = writeln!(out, "  </entry>");
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{Impact, IncidentKind, IncidentUpdate};
    use quick_xml::events::Event;
    use quick_xml::Reader;

    /// Parses the feed with a real XML parser and returns the element names in order.
    fn elements(xml: &str) -> Vec<String> {
        let mut reader = Reader::from_str(xml);
        let mut names = Vec::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) | Event::Empty(e) => names.push(String::from_utf8(e.name().as_ref().to_vec()).unwrap()),
                Event::Eof => break,
                _ => {}
            }
        }
        names
    }

    #[test]
    fn the_feed_is_well_formed_atom_with_escaped_text() {
        let incident = Incident {
            id: 3,
            kind: IncidentKind::Incident,
            name: "Withdrawals <delayed> & \"queued\"".into(),
            status: "resolved".into(),
            impact: Impact::Minor,
            components: vec![],
            created_ms: 1_800_000_000_000,
            updated_ms: 1_800_000_600_000,
            resolved_ms: Some(1_800_000_600_000),
            scheduled_for_ms: None,
            scheduled_until_ms: None,
            support_incident: None,
            updates: vec![IncidentUpdate {
                id: 1, status: "resolved".into(), body: "ถอนได้ตามปกติ <ok>".into(), created_ms: 1_800_000_600_000
            }],
        };
        let xml = feed("talat", "http://127.0.0.1:8080", &[incident], 0);
        let names = elements(&xml);
        assert_eq!(names[0], "feed");
        for required in ["id", "title", "updated", "entry", "content", "published", "author"] {
            assert!(names.iter().any(|n| n == required), "no <{required}> in {xml}");
        }
        assert!(xml.contains("Withdrawals &lt;delayed&gt; &amp; &quot;queued&quot;"));
        assert!(xml.contains("2027-01-15T"), "RFC 3339 times: {xml}");
        assert_eq!(elements(&feed("talat", "http://x", &[], 1_800_000_000_000)).iter().filter(|n| *n == "entry").count(), 0);
    }
}
