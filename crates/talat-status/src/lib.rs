//! The public status page's rules, pure: every instant and every measurement is an argument.
//!
//! * [`component`] — the components customers care about and their states, derived from what
//!   talat measures (a market's mode, the funding switches, a watcher's heartbeat, the shed
//!   rate), unless an operator overrides one.
//! * [`incident`] — incidents and scheduled maintenance: their statuses, impacts and updates.
//! * [`page`] — the page's indicator from its components and open incidents.
//! * [`statuspage`] — `/api/v2/summary.json`, `status.json` and `incidents.json` in Atlassian
//!   Statuspage's shape, so existing widgets and monitors read them unchanged.
//! * [`atom`] — the incident history as an Atom 1.0 feed.
//! * [`html`] — the page itself in Thai and English, readable without JavaScript.

pub mod atom;
pub mod component;
pub mod html;
pub mod incident;
pub mod page;
pub mod statuspage;

pub use component::{Component, ComponentStatus, Override, Signals, WatcherBeat};
pub use incident::{Impact, Incident, IncidentKind, IncidentUpdate};
pub use page::{Indicator, PageStatus};

/// Incidents older than this (resolved before it) leave the page and the feeds.
pub const HISTORY_DAYS: u64 = 90;

/// Thai or English, chosen by the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Th,
}

impl Lang {
    /// `?lang=` first, then the browser's `Accept-Language`; English otherwise.
    pub fn choose(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        match query {
            Some("th") => return Lang::Th,
            Some("en") => return Lang::En,
            _ => {}
        }
        match accept_language {
            Some(a) if a.trim_start().to_ascii_lowercase().starts_with("th") => Lang::Th,
            _ => Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Th => "th",
        }
    }
}
