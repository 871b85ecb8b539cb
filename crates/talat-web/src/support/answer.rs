//! One answer to every linked ticket of a support incident: each ticket not closed gets the
//! message, an event and a mail, in its own transaction; with `resolve` the tickets and the
//! incident are resolved too. Shared by the incident's own answer and by the status page, whose
//! updates reach the tickets of the support incident linked to the same event.

use super::view::{customer_email, customer_mail, event, status_event};
use crate::error::{WebError, WebResult};
use crate::Web;
use talat_store::{IncidentRow, NewMessage, Set, TicketChange};

/// Most tickets one incident answer reaches.
pub const MAX_ANSWERED: i64 = 5_000;
/// A ticket changed by someone else while an incident answer runs is retried this often.
const RETRIES: u32 = 3;

/// Answers the tickets of `incident` as staff member `staff_id`; returns how many were answered.
pub async fn answer_tickets(web: &Web, incident: &IncidentRow, text: &str, resolve: bool, staff_id: u64) -> WebResult<u64> {
    let then = if resolve { "resolved" } else { "waiting_customer" };
    let mut answered = 0u64;
    for t in web.store.incident_tickets(incident.id, MAX_ANSWERED).await? {
        let mut t = t;
        for attempt in 0..=RETRIES {
            if t.status == "closed" {
                break;
            }
            let now = web.gateway.now_ms();
            let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms: now, ..Default::default() };
            change.message = Some((NewMessage { author: "staff".into(), author_id: staff_id, internal: false, body: text.to_string() }, Vec::new()));
            change.events.push(event("staff", staff_id, "message", None, None, format!("incident {}", incident.id)));
            if t.first_response_ms.is_none() {
                change.set.push(("first_response_ms", Set::Int(now)));
            }
            if let Some(e) = status_event("staff", staff_id, &t.status, then) {
                change.events.push(e);
                change.set.push(("status", Set::Text(then.into())));
                if resolve {
                    change.set.push(("resolved_ms", Set::Int(now)));
                }
            }
            let to = customer_email(web, &t).await?;
            let what = to.lang.pick(format!("An update on \"{}\":\n\n{text}", incident.title), format!("ความคืบหน้าเรื่อง \"{}\":\n\n{text}", incident.title));
            change.mail.push(customer_mail(web, &to, "incident.answer", &t, &what));
            if web.store.change_ticket(&change).await? {
                answered += 1;
                break;
            }
            if attempt == RETRIES {
                return Err(WebError::conflict(format!("ticket {} keeps changing; {answered} tickets were answered, send the rest again", t.id)));
            }
            t = web.store.ticket(t.id).await?.ok_or_else(|| WebError::internal("a linked ticket vanished"))?;
        }
    }
    if resolve {
        web.store.resolve_incident(incident.id, web.gateway.now_ms()).await?;
    }
    Ok(answered)
}
