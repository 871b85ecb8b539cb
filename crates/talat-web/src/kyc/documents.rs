//! Uploaded documents, content-addressed on disk: `POST /web/api/kyc/documents` (the customer's
//! ID photo, selfie, income or asset proof, base64 in JSON) is checked by its content
//! (`talat_onboarding::uploads`: JPEG/PNG, PDF for income/asset only, size and dimension
//! limits); an image is decoded in full and re-encoded, and only the re-encoding is written,
//! under its SHA-256 in `uploads_dir`, and described by a `kyc_documents` row.
//! Reviewers read it back with `GET /web/api/console/kyc/documents/{id}` (re-hashed on read).

use super::config::MAX_KYC_BODY_BYTES;
use super::view::document_json;
use crate::auth::{allow, Customer, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use talat_onboarding::uploads::store::StoreError as ContentError;
use talat_onboarding::{validate_upload, ContentHash, ContentStore, FileKind, UploadPurpose};
use talat_store::{KycDocumentRow, NewKycDocument};

/// The purposes a document may have, and which checks apply.
pub fn purpose_kind(purpose: &str) -> Option<UploadPurpose> {
    match purpose {
        "id_photo" | "selfie" => Some(UploadPurpose::Image),
        "income" | "asset" => Some(UploadPurpose::Document),
        _ => None,
    }
}

fn uploads_dir(web: &Web) -> WebResult<PathBuf> {
    web.config.onboarding.uploads_dir.clone().ok_or_else(|| WebError::busy(60, "uploads are not configured"))
}

fn content_store(web: &Web) -> WebResult<ContentStore> {
    let dir = uploads_dir(web)?;
    ContentStore::open(dir, talat_onboarding::uploads::HARD_MAX_BYTES).map_err(|e| WebError::internal(format!("uploads: {e}")))
}

pub fn routes() -> Router<Arc<Web>> {
    Router::new().route("/web/api/kyc/documents", post(upload)).route("/web/api/console/kyc/documents/{id}", get(download))
}

/// `POST /web/api/kyc/documents {purpose, content_type, data_base64}` → 201 `{document}`.
pub async fn upload(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Response> {
    let store = content_store(&web)?;
    let m = body::object_up_to(&headers, &body, false, MAX_KYC_BODY_BYTES)?;
    let purpose = body::str(&m, "purpose")?;
    let kind = purpose_kind(purpose).ok_or_else(|| WebError::invalid("purpose", "purpose must be id_photo, selfie, income or asset"))?;
    let declared = body::str(&m, "content_type")?;
    if !matches!(declared, "image/jpeg" | "image/png" | "application/pdf") {
        return Err(WebError::invalid("content_type", "content_type must be image/jpeg, image/png or application/pdf"));
    }
    let data = body::str(&m, "data_base64")?;
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(data.trim()).map_err(|_| WebError::invalid("data_base64", "data_base64 is not valid base64"))?;
    // The type is what the content says, whatever was declared. Decoding a photo in full takes
    // a while, so it runs off the request workers, as does the write.
    let limits = web.config.onboarding.upload_limits;
    let checked = tokio::task::spawn_blocking(move || validate_upload(&bytes, kind, &limits))
        .await
        .map_err(WebError::internal)?
        .map_err(|e| WebError::invalid("data_base64", e.to_string()))?;
    let (width, height) = match checked.kind {
        FileKind::Jpeg { width_px, height_px } | FileKind::Png { width_px, height_px } => (Some(u64::from(width_px)), Some(u64::from(height_px))),
        FileKind::Pdf => (None, None),
    };
    let content_type = checked.kind.content_type();
    // What is stored is the checked (for an image, re-encoded) bytes, never the upload itself.
    let size = checked.bytes.len() as u64;
    let hash = tokio::task::spawn_blocking(move || store.put(&checked.bytes))
        .await
        .map_err(WebError::internal)?
        .map_err(|e| WebError::internal(format!("uploads: {e}")))?;
    let new = NewKycDocument {
        account_id: account.id,
        purpose: purpose.to_string(),
        content_type: content_type.to_string(),
        sha256: hash.to_string(),
        size_bytes: size,
        width,
        height,
        created_ms: web.gateway.now_ms(),
    };
    let row = web.store.insert_kyc_document(&new).await?;
    Ok((StatusCode::CREATED, Json(json!({"document": document_json(&row)}))).into_response())
}

/// The stored bytes of a document (re-hashed as they are read).
pub async fn read_bytes(web: &Web, d: &KycDocumentRow) -> WebResult<Vec<u8>> {
    let store = content_store(web)?;
    let hash = ContentHash::parse(&d.sha256).map_err(|e| WebError::internal(format!("document {}: {e}", d.id)))?;
    tokio::task::spawn_blocking(move || store.get(&hash)).await.map_err(WebError::internal)?.map_err(|e| match e {
        ContentError::NotFound { .. } => WebError::not_found("the document's file is missing"),
        other => WebError::internal(format!("uploads: {other}")),
    })
}

/// `GET /web/api/console/kyc/documents/{id}`: the file, for reviewers.
pub async fn download(State(web): State<Arc<Web>>, Path(id): Path<String>, s: Staff) -> WebResult<Response> {
    s.require(allow::KYC_READ)?;
    let not_found = || WebError::not_found(format!("no document {id}"));
    let n: u64 = id.parse().map_err(|_| not_found())?;
    let d = web.store.kyc_document(n).await?.ok_or_else(not_found)?;
    let bytes = read_bytes(&web, &d).await?;
    let ext = match d.content_type.as_str() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        _ => "pdf",
    };
    Ok((
        [
            (header::CONTENT_TYPE, d.content_type.clone()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"kyc-{}-{}.{ext}\"", d.id, d.purpose)),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
