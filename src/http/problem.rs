//! RFC 9457 problem details: the one shape of every error sightmap sends.
//!
//! Each problem names the field at fault in `detail` and, where there are several, lists them
//! all in `errors` (an extension member). 5xx problems say what happened in general terms; the
//! cause goes to the log, never to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sightmap_core::domain::model::FieldError;
use sightmap_core::engine::service::ServiceError;
use sightmap_core::engine::store::StoreError;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// What a 401 offers: a bearer token, or HTTP Basic credentials whose password is a token.
pub const AUTH_CHALLENGE: &str =
    r#"Bearer realm="sightmap", Basic realm="sightmap", charset="UTF-8""#;

/// An error response.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    pub r#type: &'static str,
    /// A short summary of the kind.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time and how to fix it.
    pub detail: String,
    /// Every field at fault, when the problem is with input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds after which the request may succeed, sent as `Retry-After` (429 and 503).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem of a given kind.
    pub fn new(
        status: StatusCode,
        r#type: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            r#type,
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// The problem with a `Retry-After` of `seconds` (at least 1).
    pub fn retry_after(self, seconds: u64) -> Self {
        Self {
            retry_after: Some(seconds.max(1)),
            ..self
        }
    }

    /// 503: reading a past moment needs a rebuild of its state and every place for one is
    /// taken (see [`sightmap_core::engine::service::ReportService::with_past_rebuilds`]).
    pub fn past_busy(retry_after: std::time::Duration) -> Self {
        let seconds = retry_after.as_secs().max(1);
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "/problems/past-busy",
            "Past moments busy",
            format!(
                "as_of: this moment is not at hand and the server is already rebuilding as many \
                 past moments as it may; retry after {seconds} s (Retry-After), or read a \
                 moment already asked for (a link's as_of), or the present without as_of"
            ),
        )
        .retry_after(seconds)
    }

    /// 400: the query string is wrong.
    pub fn invalid_query(errors: Vec<FieldError>) -> Self {
        Self::with_fields(
            StatusCode::BAD_REQUEST,
            "/problems/invalid-query",
            "Invalid query parameter",
            errors,
        )
    }

    /// 422: the body is well-formed JSON but its content is wrong.
    pub fn invalid_report(errors: Vec<FieldError>) -> Self {
        Self::with_fields(
            StatusCode::UNPROCESSABLE_ENTITY,
            "/problems/invalid-report",
            "Invalid report",
            errors,
        )
    }

    /// 400: the body is not JSON at all.
    pub fn malformed_body(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "/problems/malformed-body",
            "Malformed request body",
            detail,
        )
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "/problems/not-found",
            "Not found",
            detail,
        )
    }

    /// 500, with nothing internal in it; the cause is logged here, once, inside the request's
    /// span (so with its request id).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(cause = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "/problems/internal",
            "Internal error",
            "the server failed to answer; the error is logged, and the request may be retried",
        )
    }

    pub(super) fn with_fields(
        status: StatusCode,
        r#type: &'static str,
        title: &'static str,
        errors: Vec<FieldError>,
    ) -> Self {
        let detail = match errors.as_slice() {
            [] => title.to_string(),
            [one] => format!("{}: {}", one.field, one.detail),
            [first, rest @ ..] => format!(
                "{}: {} (and {} more in errors)",
                first.field,
                first.detail,
                rest.len()
            ),
        };
        Self {
            errors,
            ..Self::new(status, r#type, title, detail)
        }
    }

    /// The status as an HTTP status code.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (self.status_code(), body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED.as_u16() {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(AUTH_CHALLENGE),
            );
        }
        response
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Full(_) => {
                tracing::error!(error = %e, "store full");
                Problem::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "/problems/store-full",
                    "Store full",
                    "the server has no space left to store this; nothing was written, and reads still work",
                )
            }
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "store unavailable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "/problems/unavailable",
                    "Store unavailable",
                    "the store cannot be reached right now; nothing was written; retry shortly",
                )
            }
            StoreError::Conflict(id) => Problem::new(
                StatusCode::CONFLICT,
                "/problems/conflict",
                "Conflicting edit",
                format!(
                    "report {id} kept changing while this edit was applied; fetch it and try again"
                ),
            ),
            StoreError::Corrupt(_) | StoreError::Internal(_) => {
                Problem::internal(format_args!("store error: {e}"))
            }
        }
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(errors) => Problem::invalid_report(errors),
            ServiceError::NotFound(id) => Problem::not_found(format!("no report has id {id}")),
            ServiceError::Store(e) => e.into(),
            ServiceError::PastBusy { retry_after } => Problem::past_busy(retry_after),
        }
    }
}
