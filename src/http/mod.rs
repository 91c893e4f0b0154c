//! The HTTP API on axum: one router, one problem+json error shape, one file per resource.

pub mod access_log;
mod as_of;
mod auth;
mod events;
mod export;
mod extract;
mod geocode;
mod layers;
pub mod limits;
mod ogc;
mod ogc_openapi;
mod openapi;
mod paging;
pub mod params;
mod problem;
mod relate;
mod reports;
pub mod server;
mod timeline;
mod tokens;
mod vocabulary;
mod web;

pub use auth::Access;
pub use extract::MAX_BODY_BYTES;
pub use problem::{PROBLEM_JSON, Problem};
pub use reports::GEO_JSON;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::routing::get;
use axum::{BoxError, Json, Router};
pub use layers::LayerCache;
pub use limits::Limits;
use sightmap_core::engine::service::ReportService;
use sightmap_core::geospatial::atlas::Atlas;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::cors::{Any, CorsLayer};

/// How long one request may take before it gets a 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Reports.
    pub reports: Arc<ReportService>,
    /// Who may do what.
    pub auth: Arc<Access>,
    /// The region: place text to points and back, borders and coast.
    pub atlas: Arc<Atlas>,
    /// Region-only map layers, built once per set of parameters.
    pub layer_cache: Arc<LayerCache>,
    /// How many requests at once, and how fast one client may send them.
    pub limits: Arc<Limits>,
    /// Where each request's line goes.
    pub access_log: access_log::AccessLogger,
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(web::index))
        .route("/web/{*path}", get(web::file))
        .route("/health", get(health))
        .route("/api/reports", get(reports::list).post(reports::create))
        .route("/api/geocode", get(geocode::geocode))
        .route("/api/reverse", get(geocode::reverse))
        .route("/api/relate", get(relate::relate))
        .route("/api/export", get(export::export))
        .route("/api/openapi.json", get(openapi::api))
        .route("/ogc", get(ogc::landing))
        .route("/ogc/", get(ogc::landing))
        .route("/ogc/api", get(ogc_openapi::api))
        .route("/ogc/conformance", get(ogc::conformance))
        .route("/ogc/collections", get(ogc::collections))
        .route("/ogc/collections/{id}", get(ogc::collection))
        .route("/ogc/collections/{id}/items", get(ogc::items))
        .route("/ogc/collections/{id}/items/{fid}", get(ogc::item))
        .route("/ogc/collections/{id}/queryables", get(ogc::queryables))
        .route("/api/reports/{id}/history", get(reports::history))
        .route("/api/tokens", get(tokens::list).post(tokens::create))
        .route("/api/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/api/vocabulary", get(vocabulary::vocabulary))
        .route("/api/events", get(events::list))
        .route("/api/timeline", get(timeline::timeline))
        .route("/api/events/{id}", get(events::get))
        .route(
            "/api/possible-duplicates",
            axum::routing::post(events::possible_duplicates),
        )
        .route("/api/layers", get(layers::list))
        .route("/api/layers/{id}", get(layers::get))
        .route(
            "/api/reports/{id}",
            get(reports::get)
                .patch(reports::update)
                .delete(reports::delete),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::HEAD])
                .allow_headers([header::ACCEPT, header::CONTENT_TYPE]),
        )
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: BoxError| async {
                    tracing::warn!(
                        "request timed out after {} s: answered 503",
                        REQUEST_TIMEOUT.as_secs()
                    );
                    Problem::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "/problems/timeout",
                        "Request timed out",
                        format!(
                            "the request took longer than {} s; narrow the query or retry",
                            REQUEST_TIMEOUT.as_secs()
                        ),
                    )
                }))
                .timeout(REQUEST_TIMEOUT),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            private_reads,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.limits.clone(),
            limits::enforce,
        ))
        .layer(axum::middleware::map_response(limits::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.auth.clone(),
            no_store_with_credentials,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.access_log.clone(),
            access_log::log_requests,
        ))
}

/// Middleware: on a `--private` server, reading the API or OGC API needs a reader token.
/// (Writes check their own, higher role.)
async fn private_reads(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let guarded = path.starts_with("/api/") || path == "/api" || path.starts_with("/ogc");
    if !guarded || !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    match state.auth.require(
        &parts,
        sightmap_core::domain::access::Role::Reader,
        "reading",
    ) {
        // Kept for the handler: its token is not checked twice (see `Viewer`).
        Ok(caller) => parts.extensions.insert(caller),
        Err(problem) => return axum::response::IntoResponse::into_response(problem),
    };
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// What answers to credentials, and every answer of a `--private` server, tell caches.
pub const PRIVATE_CACHE_CONTROL: &str = "private, no-store";

/// Middleware: `Cache-Control: private, no-store` on every answer (errors, 401s and 429s too)
/// to a request that carries credentials (an `Authorization` header, in whatever form: what
/// [`Access`] reads a token from), and on every answer of a `--private` server. QGIS
/// otherwise keeps a page read with one password and shows it after the password changed.
/// Other answers keep the caching their handler chose (the layers' ETags and `no-cache`).
async fn no_store_with_credentials(
    State(auth): State<Arc<Access>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let credentials = request.headers().contains_key(header::AUTHORIZATION);
    let mut response = next.run(request).await;
    if credentials || auth.is_private() {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(PRIVATE_CACHE_CONTROL),
        );
    }
    response
}

/// `GET /health`.
async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "reports": state.reports.len() }))
}

async fn not_found(uri: axum::http::Uri) -> Problem {
    Problem::not_found(format!(
        "nothing at {}; the API is under /api/reports",
        uri.path()
    ))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "/problems/method-not-allowed",
        "Method not allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// `scheme://host` of the request, for absolute links.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|s| *s == "https" || *s == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}
