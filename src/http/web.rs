//! The web map's files, embedded in the binary and served with a Content-Security-Policy that
//! allows nothing but this origin: no inline scripts, no eval, no remote hosts.

use super::problem::Problem;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Scripts and workers only from this origin; MapLibre sets element styles and draws into
/// blob/data images, which the style and image sources allow.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     worker-src 'self'; connect-src 'self'; img-src 'self' data: blob:; \
     style-src 'self' 'unsafe-inline'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'self'";

/// Every file under `web/`: path, media type, bytes (listed by `build.rs`).
const ASSETS: &[(&str, &str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

fn serve(path: &str) -> Option<Response> {
    let (_, media_type, bytes) = ASSETS.iter().find(|(p, _, _)| *p == path)?;
    let mut response = (StatusCode::OK, *bytes).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(response)
}

/// `GET /`: the map.
pub async fn index() -> Response {
    serve("index.html").expect("index.html is embedded")
}

/// `GET /web/{*path}`: the map's scripts, styles and vendored libraries.
pub async fn file(Path(path): Path<String>) -> Result<Response, Problem> {
    serve(&path).ok_or_else(|| Problem::not_found(format!("no file /web/{path}")))
}
