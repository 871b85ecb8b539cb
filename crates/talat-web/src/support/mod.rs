//! Customer support over the web API (contract: docs/web-api.md, "Support"): customers open
//! and follow tickets, staff answer them from the console, complaints follow the regulator's
//! lifecycle, incidents answer many tickets at once, and the console plans staffing and prints
//! the monthly reports. The rules (SLA clocks on the business calendar, the complaint
//! lifecycle, Erlang C) are `talat-support`'s, a pure crate; the tables are `talat-store`'s.
//! Every change — its event history, its audit entry when staff made it, and the mail that
//! announces it (the outbox) — is stored in one transaction or not at all.
//!
//! Module map: the routes are `customer`, `console` (queue, reply, assign, priority, complaint),
//! `incidents`, `staffing` and `reports`; they share `input` (fields, links, attachments),
//! `clocks` (a ticket's SLA clocks from its history), `answer` (one answer to an incident's
//! tickets, which the status page's updates use too) and `view` (JSON, loading, mail texts, the
//! answers to refused changes), never each other. `sweep` (escalation, breaches, closing
//! resolved tickets) runs in the background.

pub mod answer;
pub mod clocks;
pub mod console;
pub mod customer;
pub mod incidents;
pub mod input;
pub mod reports;
pub mod staffing;
pub mod sweep;
pub mod view;

use crate::Web;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use talat_support::calendar::BusinessCalendar;
use talat_support::lifecycle::TicketRules;
use talat_support::sla::SlaPolicy;

/// Support's settings: the business calendar the clocks run on, the SLA targets, where
/// escalations are mailed, and how long a resolved ticket stays open to a reply.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupportConfig {
    pub calendar: BusinessCalendar,
    pub policy: SlaPolicy,
    pub lead_email: String,
    /// How long a resolved ticket may be reopened, and when it closes by itself.
    pub ticket_rules: TicketRules,
    /// Where outgoing mail says it comes from, and the link customers follow.
    pub site_name: String,
}

impl Default for SupportConfig {
    fn default() -> Self {
        SupportConfig {
            calendar: BusinessCalendar::default(),
            policy: SlaPolicy::default(),
            lead_email: "support-lead@talat.local".into(),
            ticket_rules: TicketRules::default(),
            site_name: "talat".into(),
        }
    }
}

impl SupportConfig {
    /// Checks what deserialising cannot (the calendar checks itself as it is read).
    pub fn validate(&self) -> Result<(), String> {
        self.policy.validate().map_err(|e| format!("support.policy: {e}"))?;
        self.ticket_rules.validate().map_err(|e| format!("support.ticket_rules: {e}"))?;
        if !self.lead_email.contains('@') {
            return Err(format!("support.lead_email {:?} is not an email address", self.lead_email));
        }
        Ok(())
    }
}

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/support/tickets", get(customer::list).post(customer::create))
        .route("/web/api/support/tickets/{id}", get(customer::show))
        .route("/web/api/support/tickets/{id}/messages", post(customer::message))
        .route("/web/api/support/tickets/{id}/complaint", post(customer::complaint))
        .route("/web/api/support/attachments/{id}", get(customer::attachment))
        .route("/web/api/console/support/tickets", get(console::queue))
        .route("/web/api/console/support/tickets/{id}", get(console::show))
        .route("/web/api/console/support/tickets/{id}/reply", post(console::reply))
        .route("/web/api/console/support/tickets/{id}/assign", post(console::assign))
        .route("/web/api/console/support/tickets/{id}/priority", post(console::priority))
        .route("/web/api/console/support/tickets/{id}/complaint", post(console::complaint))
        .route("/web/api/console/support/attachments/{id}", get(console::attachment))
        .route("/web/api/console/support/incidents", get(incidents::list).post(incidents::create))
        .route("/web/api/console/support/incidents/{id}/link", post(incidents::link))
        .route("/web/api/console/support/incidents/{id}/reply", post(incidents::reply))
        .route("/web/api/console/support/staffing", get(staffing::plan))
        .route("/web/api/console/support/roster", post(staffing::set_roster))
        .route("/web/api/console/support/reports/complaints", get(reports::complaints))
        .route("/web/api/console/support/reports/sla", get(reports::sla))
        .route("/web/api/console/mail", get(console::mail))
        // axum's extractors stop at 2 MB by default; these bodies may carry files (the
        // gateway's upload cap and permits apply first).
        .layer(DefaultBodyLimit::max(input::MAX_SUPPORT_BODY_BYTES))
}
