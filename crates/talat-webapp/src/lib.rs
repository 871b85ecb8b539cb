//! The browser apps, embedded: the customer app at `/` and the staff console at `/console`,
//! built from `web/` by `build.rs` (Vite, in `OUT_DIR`) and served from memory. Hashed assets under
//! `/assets/` are cached for a year (immutable); the HTML pages are revalidated every time.
//! Every answer carries the browser protections: a Content-Security-Policy (scripts only from
//! this origin, no framing: `frame-ancestors 'none'`), `Referrer-Policy`, `nosniff`, and HSTS
//! when the request came over TLS (a terminating proxy says so with `X-Forwarded-Proto: https`).

use axum::extract::{Path, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use include_dir::{include_dir, Dir};

/// `$OUT_DIR/web/dist`, which `build.rs` builds.
static DIST: Dir<'_> = include_dir!("$OUT_DIR/web/dist");

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// `GET /` (index.html), `GET /console` (console.html) and `GET /assets/*`.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { file("index.html", REVALIDATE) }))
        .route("/index.html", get(|| async { file("index.html", REVALIDATE) }))
        .route("/console", get(|| async { file("console.html", REVALIDATE) }))
        .route("/console/", get(|| async { file("console.html", REVALIDATE) }))
        .route("/assets/{*path}", get(|Path(path): Path<String>| async move { file(&format!("assets/{path}"), IMMUTABLE) }))
        .layer(axum::middleware::from_fn(protect))
}

/// What the pages may load: their own scripts and styles (inline style attributes, which the
/// app and its charts set), images from here or data/blob URLs (the QR, previews), requests
/// and WebSockets to this origin; no plugins, no framing, no foreign form targets.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
     font-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn protect(request: Request, next: Next) -> Response {
    let over_tls = request.headers().get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if over_tls {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// The MIME type of a built file, by extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn file(path: &str, cache: &'static str) -> Response {
    match DIST.get_file(path) {
        Some(f) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type(path))),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ],
            f.contents(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], "not found").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get_path(path: &str) -> Response {
        routes::<()>().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap()
    }

    #[test]
    fn both_pages_are_embedded_and_load_built_assets() {
        for page in ["index.html", "console.html"] {
            let html = DIST.get_file(page).and_then(|f| f.contents_utf8()).unwrap_or_else(|| panic!("{page} is not embedded"));
            assert!(html.contains("/assets/"), "{page} does not load a built asset:\n{html}");
        }
    }

    #[tokio::test]
    async fn pages_and_assets_are_served_with_types_and_cache_headers() {
        let index = get_path("/").await;
        assert_eq!(index.status(), StatusCode::OK);
        assert_eq!(index.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(index.headers()[header::CACHE_CONTROL], REVALIDATE);
        assert_eq!(get_path("/console").await.status(), StatusCode::OK);

        let asset = DIST.get_dir("assets").and_then(|d| d.files().find(|f| f.path().extension().is_some_and(|e| e == "js"))).expect("a built script");
        let url = format!("/{}", asset.path().display());
        let res = get_path(&url).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
        assert_eq!(res.headers()[header::CACHE_CONTROL], IMMUTABLE);
        assert_eq!(get_path("/assets/nope.js").await.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn pages_carry_the_browser_protections() {
        for path in ["/", "/console"] {
            let page = get_path(path).await;
            let csp = page.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
            assert_eq!(page.headers()[header::REFERRER_POLICY], "strict-origin-when-cross-origin");
            assert!(page.headers().get(header::STRICT_TRANSPORT_SECURITY).is_none(), "plain HTTP: no HSTS");
        }
        let tls = routes::<()>().oneshot(Request::get("/").header("x-forwarded-proto", "https").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(tls.headers()[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000");
    }
}
