//! Building an app on a fresh store and sending it requests.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sightmap::http::{Access, AppState, router};
use sightmap_core::engine::clock::ManualClock;
use sightmap_core::engine::service::ReportService;
use sightmap_core::engine::store::Store;
use sightmap_core::engine::store::postgres::PostgresStore;
use sightmap_core::engine::store::sqlite::SqliteStore;
use sightmap_core::geospatial::atlas::Atlas;
use sightmap_core::geospatial::region::RegionFiles;
use std::sync::Arc;

pub use crate::common::reports::NewReport;
use tower::ServiceExt;

pub struct App {
    pub state: AppState,
    pub dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    /// The body as sent.
    pub bytes: axum::body::Bytes,
}

impl Reply {
    /// Asserts an RFC 9457 problem with this status whose detail names `field`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, field: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.content_type, "application/problem+json");
        for member in ["type", "title", "detail"] {
            assert!(
                self.body[member].is_string(),
                "problem lacks {member}: {}",
                self.body
            );
        }
        assert_eq!(self.body["status"], status);
        let detail = self.body["detail"].as_str().unwrap();
        assert!(
            detail.contains(field),
            "detail {detail:?} does not name {field:?}"
        );
    }
}

/// The store under test: with `SIGHTMAP_TEST_API_STORE=postgres`, PostgreSQL/PostGIS in the
/// database `SIGHTMAP_TEST_POSTGRES` names (each app in a schema of its own); else the
/// embedded store in `dir`.
async fn store_under_test(dir: &std::path::Path) -> Arc<dyn Store> {
    if std::env::var("SIGHTMAP_TEST_API_STORE").as_deref() != Ok("postgres") {
        return Arc::new(SqliteStore::open(dir).unwrap());
    }
    let url = crate::common::postgres::fresh_store(&crate::common::postgres::database());
    Arc::new(PostgresStore::open(&url).await.unwrap())
}

impl App {
    pub async fn new(token: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = store_under_test(dir.path()).await;
        let places = places();
        let reports = Arc::new(
            ReportService::open(store, Some(places.clone()))
                .await
                .unwrap(),
        );
        let state = AppState {
            reports,
            auth: Arc::new(Access::new(
                token.map(str::to_string),
                Default::default(),
                false,
            )),
            atlas: places,
            layer_cache: Default::default(),
            limits: Default::default(),
            access_log: Default::default(),
        };
        Self { state, dir }
    }

    /// An app whose service reads a clock the test moves (see
    /// [`sightmap_core::engine::clock::ManualClock`]), starting at the system's time.
    pub async fn with_manual_clock(token: Option<&str>) -> (Self, Arc<ManualClock>) {
        let mut app = Self::new(token).await;
        let clock = Arc::new(ManualClock::from_system());
        let store = app.state.reports.store().unwrap().clone();
        let reports = ReportService::open(store, Some(places()))
            .await
            .unwrap()
            .with_clock(clock.clone());
        app.state.reports = Arc::new(reports);
        (app, clock)
    }

    /// An app on a store written to meanwhile (by an import, say), indexing what it holds.
    pub async fn on_store(store: Arc<dyn Store>) -> Self {
        let mut app = Self::new(None).await;
        app.state.reports = Arc::new(ReportService::open(store, Some(places())).await.unwrap());
        app
    }

    /// An app whose reads need a token too (`--private`), with `admin` as its write token.
    pub async fn private(admin: &str) -> Self {
        let mut app = Self::new(None).await;
        app.state.auth = Arc::new(Access::new(Some(admin.into()), Default::default(), true));
        app
    }

    /// Sends `method uri` with a bearer token and an optional JSON body.
    pub async fn as_token(
        &self,
        token: &str,
        method: &str,
        uri: &str,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let body = body
            .map(|b| Body::from(b.to_string()))
            .unwrap_or_else(Body::empty);
        self.send(request.body(body).unwrap()).await
    }

    /// Makes a token through `POST /api/tokens` with the admin token `admin`; its id and secret.
    pub async fn make_token(&self, admin: &str, name: &str, role: &str) -> (String, String) {
        let reply = self
            .as_token(
                admin,
                "POST",
                "/api/tokens",
                Some(&json!({"name": name, "role": role})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.body["role"], role);
        let secret = reply.body["token"].as_str().unwrap().to_string();
        assert!(secret.starts_with("smt_"), "{secret}");
        (reply.body["id"].as_str().unwrap().to_string(), secret)
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply {
            status,
            content_type,
            headers,
            body,
            bytes,
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn json(&self, method: &str, uri: &str, body: &Value) -> Reply {
        self.raw(method, uri, "application/json", body.to_string())
            .await
    }

    pub async fn raw(&self, method: &str, uri: &str, content_type: &str, body: String) -> Reply {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Creates a report and returns its Feature.
    pub async fn create(&self, report: &Value) -> Value {
        let reply = self.json("POST", "/api/reports", report).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body
    }
}

/// The Feature ids of a FeatureCollection, in order.
pub fn ids_of(body: &Value) -> Vec<String> {
    body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// A valid report at a point, as [`NewReport`] builds it (drones heard over the coast from
/// 20:00 to 21:00 UTC on 13 June 2025, a resident asserting it); tests set what else they need.
pub fn report_at(lon: f64, lat: f64) -> Value {
    new_report(lon, lat).json()
}

/// The builder behind [`report_at`].
pub fn new_report(lon: f64, lat: f64) -> NewReport {
    NewReport::at(lon, lat)
        .description("drones heard over the coast")
        .observed("2025-06-13T20:00:00Z", Some("2025-06-13T21:00:00Z"))
        .source("a resident", "civilian", "asserts")
}

/// The embedded region with its geocoder and geography, built once for all tests.
pub fn places() -> Arc<Atlas> {
    static PLACES: std::sync::OnceLock<Arc<Atlas>> = std::sync::OnceLock::new();
    PLACES
        .get_or_init(|| Arc::new(Atlas::load(RegionFiles::embedded()).unwrap()))
        .clone()
}
