//! Market surveillance in the console (contract: docs/web-api.md, "Market surveillance"):
//! the alerts the live monitor raised, with their evidence; compliance cases built from them
//! (assign, note, ask the customer to explain through a support ticket, escalate, close with a
//! disposition) and their suspicious-transaction report for AMLO as CSV or PDF; the daily tape
//! audits; the circuit breaker's actions; recording a listing announcement. The detectors and
//! their alerts are `talat-surveillance`'s, the live monitor `talat_gateway::surveillance`'s,
//! the tables `talat-store`'s. Only compliance staff (and admins) act, and every action is
//! audited; operators may read the breaker's actions.
//!
//! Module map. The routes: `alerts`, `cases`, `reports` (the STR downloads), `monitor` (tape
//! audits, breaker). What they share, never each other: `view` (JSON shapes with units,
//! loading, inputs), `str_report` (the report gathered), `str_csv` and `str_pdf` (its two
//! renderings, pure). The case lifecycle's table of moves is `talat_surveillance::cases`.

pub mod alerts;
pub mod cases;
pub mod monitor;
pub mod reports;
pub mod str_csv;
pub mod str_pdf;
pub mod str_report;
pub mod view;

use crate::Web;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Web>> {
    const BASE: &str = "/web/api/console/surveillance";
    let at = |path: &str| format!("{BASE}{path}");
    Router::new()
        .route(&at("/alerts"), get(alerts::list))
        .route(&at("/alerts/{id}"), get(alerts::show))
        .route(&at("/alerts/{id}/dismiss"), post(alerts::dismiss))
        .route(&at("/listings"), post(alerts::announce_listing))
        .route(&at("/cases"), get(cases::list).post(cases::open))
        .route(&at("/cases/{id}"), get(cases::show))
        .route(&at("/cases/{id}/assign"), post(cases::assign))
        .route(&at("/cases/{id}/notes"), post(cases::note))
        .route(&at("/cases/{id}/ask"), post(cases::ask))
        .route(&at("/cases/{id}/escalate"), post(cases::escalate))
        .route(&at("/cases/{id}/close"), post(cases::close))
        .route(&at("/cases/{id}/str.csv"), get(reports::str_csv))
        .route(&at("/cases/{id}/str.pdf"), get(reports::str_pdf))
        .route(&at("/audits"), get(monitor::audits))
        .route(&at("/breaker"), get(monitor::breaker))
}
