//! Outage compensation for talat, as pure rules (exchange-domain.md §8).
//!
//! Nothing here performs I/O, reads a clock or draws a random number: the window, the facts
//! (refused requests, the customer's fills, the market's trades) and the policy are arguments,
//! so the same incident computes the same credits every time, in a preview and at approval.
//! Money is integer units of the incident's pay asset (the scoped markets' quote asset); every
//! division rounds the credit down.
//!
//! # Module map
//!
//! | module       | one job                                                                    |
//! |--------------|----------------------------------------------------------------------------|
//! | [`incident`] | the window [t0, t1] and the scope (markets, request kinds, networks)       |
//! | [`policy`]   | the operator's parameters and their bounds (a bad one refused by name)     |
//! | [`price`]    | the volume-weighted reference price and exact unit conversions             |
//! | [`assess`]   | affected customers and their credits per loss class, with the evidence      |
//! | [`report`]   | the regulator's figures: time to pay, totals and pending per asset          |

pub mod assess;
pub mod incident;
pub mod policy;
pub mod price;
pub mod report;

pub use assess::{assess, Assessment, Class, Credit, Facts, Fill, Line, MarketFacts, Refused, RequestKind};
pub use incident::{check_four_eyes, Incident, IncidentError, Window};
pub use policy::{Policy, PolicyError};
