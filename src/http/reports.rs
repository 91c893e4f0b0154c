//! `/api/reports`: create, read, update, delete and query reports.

use super::AppState;
use super::as_of::Reading;
use super::auth::{AsAdmin, AsReporter, AsReviewer};
use super::extract::{JsonBody, QueryPairs};
use super::problem::Problem;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use sightmap_core::domain::access::Role;
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::domain::model::{Report, ReportId, input_from_json};
use sightmap_core::engine::query::Spatial;
use sightmap_core::formats::feature::{
    ReportCollection, ReportFeature, collection_json, write_with_context,
};
use sightmap_core::geospatial::overlap::Overlap;

/// The media type of GeoJSON.
pub const GEO_JSON: &str = "application/geo+json";

pub(super) fn geojson_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(GEO_JSON));
    response
}

fn feature_response(
    state: &AppState,
    viewer: Viewer,
    status: StatusCode,
    report: &Report,
) -> Result<Response, Problem> {
    let event = state.reports.event_of(&report.id, viewer);
    let feature = ReportFeature::plain(report).in_event(event);
    let body = serde_json::to_vec(&feature).map_err(Problem::internal)?;
    Ok(geojson_response(status, body))
}

fn parse_id(text: &str) -> Result<ReportId, Problem> {
    text.parse().map_err(|_| {
        Problem::not_found(format!(
            "'{text}' is not a report id (a UUID such as 01978a4e-…); no such report"
        ))
    })
}

/// `GET /api/reports`: a page of matching reports as a FeatureCollection.
pub async fn list(
    Reading(state): Reading,
    viewer: Viewer,
    uri: Uri,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    let query = crate::http::params::report_query(&pairs).map_err(Problem::invalid_query)?;
    let links = |matched: usize| {
        super::paging::links(
            &super::base_url(&headers),
            &uri,
            &pairs,
            query.page,
            matched,
        )
    };
    let overlap_radius_m = match query.spatial {
        Spatial::Radius {
            radius_m,
            include_uncertain: true,
            ..
        } => Some(radius_m),
        _ => None,
    };
    let Some(radius_m) = overlap_radius_m else {
        // The common case: features as the cache keeps them, with their distances.
        let page = state
            .reports
            .query_features(&query, viewer, sightmap_core::formats::feature::packed_json)
            .await?;
        let returned = page.features.len();
        let stamp = state.reports.now();
        let body = collection_json(page.matched, links(page.matched), returned, stamp, |out| {
            // Room for the page at once (a packed feature unpacks to about 2.5 times its
            // size, and gains its distance and event): growing by doubling copied it twice.
            out.reserve(page.features.iter().map(|(f, ..)| f.len() * 3 + 96).sum());
            for (i, (feature, distance_m, event)) in page.features.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_with_context(out, feature, *distance_m, *event);
            }
        });
        return Ok(geojson_response(StatusCode::OK, body));
    };
    // With uncertainty overlaps, which need each report's uncertainty.
    let page = state.reports.query(&query, viewer).await?;
    let features: Vec<_> = page
        .reports
        .iter()
        .map(|f| ReportFeature {
            report: &f.report,
            distance_m: f.distance_m,
            overlap: f
                .distance_m
                .map(|d| Overlap::of(d, radius_m, f.report.location.uncertainty_m)),
            flat: false,
            event: state.reports.event_of(&f.report.id, viewer),
        })
        .collect();
    let body = serde_json::to_vec(&ReportCollection::at(
        features,
        page.matched,
        links(page.matched),
        state.reports.now(),
    ))
    .map_err(Problem::internal)?;
    Ok(geojson_response(StatusCode::OK, body))
}

/// `POST /api/reports`: stores a new report, sent as flat JSON or as a GeoJSON Feature.
pub async fn create(
    State(state): State<AppState>,
    AsReporter(caller): AsReporter,
    viewer: Viewer,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, Problem> {
    let input = input_from_json(body).map_err(Problem::invalid_report)?;
    let report = state.reports.create(input, &caller.name).await?;
    tracing::info!(report = %report.id, by = %caller.name, role = %caller.role, "created");
    let duplicates = state.reports.possible_duplicates(&report, viewer).await?;
    let seen = report.seen_by(viewer);
    let event = state.reports.event_of(&report.id, viewer);
    let mut feature = serde_json::to_value(ReportFeature::plain(&seen).in_event(event))
        .map_err(Problem::internal)?;
    feature["properties"]["possible_duplicates"] =
        sightmap_core::formats::events::duplicates(&duplicates);
    let body = serde_json::to_vec(&feature).map_err(Problem::internal)?;
    let mut response = geojson_response(StatusCode::CREATED, body);
    let location = format!("/api/reports/{}", report.id);
    response.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&location).map_err(Problem::internal)?,
    );
    Ok(response)
}

/// `GET /api/reports/{id}`.
pub async fn get(
    Reading(state): Reading,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let report = state.reports.get(parse_id(&id)?, viewer).await?;
    feature_response(&state, viewer, StatusCode::OK, &report)
}

/// `GET /api/reports/{id}/history`: every revision of a report, oldest first: who, when, and
/// what changed. A deleted report's history is for admins only.
pub async fn history(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    let (revisions, live) = state.reports.history(id).await?;
    if !live {
        state
            .auth
            .require(&parts, Role::Admin, "reading a deleted report's history")
            .map_err(|_| Problem::not_found(format!("no report has id {id}")))?;
    }
    let body = serde_json::json!({
        "id": id,
        "deleted": !live,
        "revisions": sightmap_core::domain::history::revisions_json(&revisions, state.auth.viewer(&parts)),
    });
    Ok(axum::Json(body).into_response())
}

/// `PATCH /api/reports/{id}`: a JSON merge patch of the report's fields.
pub async fn update(
    State(state): State<AppState>,
    AsReviewer(caller): AsReviewer,
    viewer: Viewer,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<Map<String, Value>>,
) -> Result<Response, Problem> {
    let report = state
        .reports
        .update(parse_id(&id)?, &patch, &caller.name)
        .await?;
    tracing::info!(report = %report.id, by = %caller.name, role = %caller.role, "edited");
    feature_response(&state, viewer, StatusCode::OK, &report.seen_by(viewer))
}

/// `DELETE /api/reports/{id}`: hides the report; the store keeps it.
pub async fn delete(
    State(state): State<AppState>,
    AsAdmin(caller): AsAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id = parse_id(&id)?;
    state.reports.delete(id, &caller.name).await?;
    tracing::info!(report = %id, by = %caller.name, role = %caller.role, "deleted");
    Ok(StatusCode::NO_CONTENT)
}
