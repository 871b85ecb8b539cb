//! The suspicious-transaction report of a case as a download, CSV or PDF. Exporting customer
//! data for a regulator is itself audited (`surveillance.case.str_export`), refused roles too.

use super::str_report::{file_name, gather};
use super::view::load_case;
use super::{str_csv, str_pdf};
use crate::auth::{allow, Action, Staff};
use crate::error::WebResult;
use crate::support::view::attachment_disposition;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Pdf,
}

async fn export(web: Arc<Web>, id: String, s: Staff, format: Format) -> WebResult<Response> {
    let (ext, content_type) = match format {
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
        Format::Pdf => ("pdf", "application/pdf"),
    };
    let act = Action { web: &web, staff: &s, action: "surveillance.case.str_export", target: format!("case:{id}") };
    let mut file: Option<(String, Vec<u8>)> = None;
    // The JSON answer is only the audit's outcome; the response is the file.
    let _recorded = act
        .run_detail(allow::SURVEILLANCE, json!({"format": ext}).to_string(), || async {
            let case = load_case(&web, &id).await?;
            let case_id = case.id;
            let report = gather(&web, case, &s.row.email, web.gateway.now_ms()).await?;
            let bytes = match format {
                Format::Csv => str_csv::render(&report),
                Format::Pdf => str_pdf::render(&report),
            };
            let answer = json!({"case_id": case_id, "bytes": bytes.len()});
            file = Some((file_name(case_id, ext), bytes));
            Ok(answer)
        })
        .await?;
    let (name, bytes) = file.expect("an exported report");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, attachment_disposition(&name)),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

pub async fn str_csv(State(web): State<Arc<Web>>, Path(id): Path<String>, s: Staff) -> WebResult<Response> {
    export(web, id, s, Format::Csv).await
}

pub async fn str_pdf(State(web): State<Arc<Web>>, Path(id): Path<String>, s: Staff) -> WebResult<Response> {
    export(web, id, s, Format::Pdf).await
}
