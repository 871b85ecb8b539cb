//! The public status page, its Statuspage JSON and its Atom feed. No session, no JavaScript;
//! rate-limited per address like the other public reads.

use super::view::snapshot;
use crate::error::WebResult;
use crate::Web;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use talat_gateway::limits::{Caller, Endpoint};
use talat_status::statuspage::{self, PageInfo};
use talat_status::Lang;

/// The name the page and feeds carry.
const PAGE_NAME: &str = "talat";

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// The page's public address from the request (the operator's proxy sets Host).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).filter(|h| h.chars().all(|c| c.is_ascii_graphic())).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).filter(|p| *p == "https").unwrap_or("http");
    format!("{scheme}://{host}")
}

/// The public reads' per-address budget (as Bitkub's `/api/status`).
fn limit(web: &Web, peer: SocketAddr) -> WebResult<()> {
    web.gateway.limit(Caller::Ip(peer.ip()), Endpoint::Status).map_err(|_| crate::error::WebError::rate_limited())
}

fn info(headers: &HeaderMap, now_ms: u64) -> PageInfo {
    PageInfo { name: PAGE_NAME.into(), url: base_url(headers), updated_ms: now_ms }
}

fn with_type(body: String, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type)), (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))], body).into_response()
}

pub async fn page(
    State(web): State<Arc<Web>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> WebResult<Response> {
    limit(&web, peer)?;
    let s = snapshot(&web).await?;
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok());
    let lang = Lang::choose(q.lang.as_deref(), accept);
    let text = talat_status::html::PageText { title: PAGE_NAME, resume: s.resume, now_ms: s.now_ms };
    Ok(with_type(talat_status::html::page(&text, lang, &s.status, &s.components, &s.incidents), "text/html; charset=utf-8"))
}

pub async fn summary(State(web): State<Arc<Web>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> WebResult<Json<serde_json::Value>> {
    limit(&web, peer)?;
    let s = snapshot(&web).await?;
    Ok(Json(statuspage::summary(&info(&headers, s.now_ms), &s.components, &s.incidents, &s.status)))
}

pub async fn status(State(web): State<Arc<Web>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> WebResult<Json<serde_json::Value>> {
    limit(&web, peer)?;
    let s = snapshot(&web).await?;
    Ok(Json(statuspage::status(&info(&headers, s.now_ms), &s.status)))
}

pub async fn incidents(State(web): State<Arc<Web>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> WebResult<Json<serde_json::Value>> {
    limit(&web, peer)?;
    let s = snapshot(&web).await?;
    Ok(Json(statuspage::incidents(&info(&headers, s.now_ms), &s.components, &s.incidents)))
}

pub async fn atom(State(web): State<Arc<Web>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> WebResult<Response> {
    limit(&web, peer)?;
    let s = snapshot(&web).await?;
    Ok(with_type(talat_status::atom::feed(PAGE_NAME, &base_url(&headers), &s.incidents, s.now_ms), "application/atom+xml; charset=utf-8"))
}
